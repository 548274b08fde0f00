/**
 * The network indexer on a database ({@link IndexerStore}): it resumes from the stored cursor, reads new blocks in
 * bounded batches (chunked `eth_getLogs`, transient RPC errors retried with backoff, as the nodes read), and
 * follows reorgs.
 *
 * Reorgs. The store keeps the headers of the newest `confirmations + reorgWindow` blocks. Before each sync the
 * stored hash of the cursor block is compared with the chain's (one call when nothing changed); on a mismatch the
 * newest kept block still on the chain is found (binary search over the kept headers), everything after it is
 * deleted and re-indexed. When no kept block is on the chain any more the reorg is deeper than the window: the
 * store is emptied and the history indexed again. Events of the newest `confirmations` blocks are tentative (a reorg
 * of that depth is expected); a deeper one inside the window is handled the same way, and reported as such. While
 * reading, the kept headers must link to each other and to the cursor, every log of a kept block must carry its
 * hash, and the last block's hash must not change during the read; otherwise the batch is dropped and the sync
 * starts over from the reorg check.
 */
import { ZeroHash, type Block, type Provider } from "ethers";

import { DEFAULT_RPC_RETRY, withRetry, type RetryOptions } from "../chain/retry.js";
import {
  IndexerStore,
  StoreCursorMovedError,
  type StoreCursor,
  type StoreRebuildReason,
  type StoredBlock,
} from "./db.js";
import {
  protocolReaders,
  readProtocolEvents,
  type IndexedContracts,
  type NetworkStats,
  type ProtocolReaders,
  type StatsOptions,
  type SyncProgress,
} from "./stats.js";

export interface PersistentIndexerOptions {
  /** The database file (see `defaultIndexerDbFile`); `":memory:"` for none. */
  file: string;
  /** First block to read (the deployment block). Default 0. */
  startBlock?: number;
  /** Events of the newest `confirmations` blocks are tentative. Default 12. */
  confirmations?: number;
  /** Headers kept beyond the confirmation depth to find a fork point: a deeper reorg rebuilds. Default 64. */
  reorgWindow?: number;
  /** Largest block span of one `eth_getLogs`. Default 2,000. */
  maxBlockSpan?: number;
  /** Blocks read and stored per transaction. Default 5,000. */
  batchBlocks?: number;
  /** Retry policy of RPC calls. */
  retry?: Omit<RetryOptions, "isRetryable">;
  /** Called after each stored batch. */
  onProgress?: (progress: SyncProgress) => void;
  /** Called when a reorg was found (and undone) before a sync. */
  onReorg?: (reorg: ReorgReport) => void;
}

/** A reorg the indexer found and undid. */
export interface ReorgReport {
  /** `rollback`: blocks from `forkBlock` on were deleted; `rebuild`: the fork is older than every kept header. */
  kind: "rollback" | "rebuild";
  /** First block re-indexed (`rebuild`: the start block). */
  forkBlock: number;
  /** The cursor before: the last block indexed on the old branch. */
  previousBlock: number;
  /** Blocks replaced (`previousBlock - forkBlock + 1`; `rebuild`: at least the kept window). */
  depth: number;
  /** Stored events deleted. */
  events: number;
  /** True when confirmed events were replaced (the reorg was deeper than the confirmation depth). */
  beyondConfirmations: boolean;
}

export interface PersistentSyncResult {
  /** First block read by this sync. */
  fromBlock: number;
  /** Last block read (the head unless a target was given); `fromBlock - 1` when there was nothing new. */
  toBlock: number;
  /** Blocks caught up (`toBlock - fromBlock + 1`, or 0). */
  blocks: number;
  /** Events stored by this sync. */
  events: number;
  /** The reorg undone before reading, if any. */
  reorg?: ReorgReport;
  /** Stored events in blocks after `head - confirmations` (a reorg may still replace them). */
  tentativeEvents: number;
}

/** The chain changed while a batch was read: the batch is dropped and the sync starts over. */
class ChainMovedError extends Error {
  override readonly name = "ChainMovedError";
}

/** A sync starts over at most this often for a chain that moves while it reads, then the error reaches the caller. */
const MAX_RESTARTS = 4;
/** Headers fetched at once. */
const HEADER_CONCURRENCY = 8;

/** Incrementally indexes the protocol's events into an {@link IndexerStore}; statistics come from the store. */
export class PersistentIndexer {
  readonly store: IndexerStore;
  readonly #readers: ProtocolReaders;
  readonly #provider: Provider;
  readonly #settlement: IndexedContracts["settlement"];
  readonly #startBlock: number;
  readonly #confirmations: number;
  readonly #keepBlocks: number;
  readonly #batchBlocks: number;
  readonly #retry: Omit<RetryOptions, "isRetryable">;
  readonly #onProgress: ((progress: SyncProgress) => void) | undefined;
  readonly #onReorg: ((reorg: ReorgReport) => void) | undefined;

  private constructor(
    contracts: IndexedContracts,
    provider: Provider,
    store: IndexerStore,
    options: PersistentIndexerOptions,
  ) {
    this.store = store;
    this.#provider = provider;
    this.#settlement = contracts.settlement;
    this.#readers = protocolReaders(contracts, { maxBlockSpan: options.maxBlockSpan, retry: options.retry });
    this.#startBlock = store.identity.startBlock;
    this.#confirmations = Math.max(0, Math.floor(options.confirmations ?? 12));
    this.#keepBlocks = this.#confirmations + Math.max(1, Math.floor(options.reorgWindow ?? 64));
    this.#batchBlocks = Math.max(1, Math.floor(options.batchBlocks ?? 5_000));
    this.#retry = options.retry ?? DEFAULT_RPC_RETRY;
    this.#onProgress = options.onProgress;
    this.#onReorg = options.onReorg;
  }

  /**
   * Opens the database of `contracts`' deployment (the chain id is read from their provider) and returns the
   * indexer. See {@link IndexerStore.open} for rebuilds and mismatches. The provider should not cache requests
   * (ethers' `JsonRpcProvider` caches identical calls for 250 ms unless `cacheTimeout: -1`): a cached header hides
   * a reorg until the next sync.
   */
  static async open(contracts: IndexedContracts, options: PersistentIndexerOptions): Promise<PersistentIndexer> {
    const provider = contracts.hub.runner?.provider ?? null;
    if (provider === null) {
      throw new TypeError("PersistentIndexer needs contracts connected to a provider (contract.connect(provider)).");
    }
    if (typeof contracts.hub.target !== "string") throw new TypeError("PersistentIndexer needs the hub's address.");
    const hub = contracts.hub.target;
    const network = await withRetry(() => provider.getNetwork(), options.retry ?? DEFAULT_RPC_RETRY);
    const store = IndexerStore.open(options.file, {
      chainId: network.chainId.toString(),
      hub,
      startBlock: Math.max(0, Math.floor(options.startBlock ?? 0)),
    });
    return new PersistentIndexer(contracts, provider, store, options);
  }

  /** Why the database was started from scratch when it was opened (undefined: it was resumed). */
  get rebuilt(): StoreRebuildReason | undefined {
    return this.store.rebuilt;
  }

  /** The database file. */
  get file(): string {
    return this.store.file;
  }

  /** Last block indexed (−1 before the first sync). */
  get syncedBlock(): number {
    return this.store.cursor()?.block ?? -1;
  }

  /** Statistics of everything indexed (tentative events included). */
  stats(options: StatsOptions): NetworkStats {
    return this.store.stats(options);
  }

  close(): void {
    this.store.close();
  }

  /**
   * Undoes a reorg if there was one, then reads and stores the blocks after the cursor up to `toBlock` (default:
   * the head). The events of the newest `confirmations` blocks are stored as tentative.
   */
  async sync(toBlock?: number): Promise<PersistentSyncResult> {
    let reorg: ReorgReport | undefined;
    for (let restarts = 0; ;) {
      try {
        const result = await this.#syncOnce(toBlock);
        reorg ??= result.reorg;
        return reorg === undefined ? result : { ...result, reorg };
      } catch (error) {
        // Another process stored the batch first: it made progress, so go on from its cursor (no limit needed).
        if (error instanceof StoreCursorMovedError) continue;
        if (!(error instanceof ChainMovedError) || ++restarts > MAX_RESTARTS) throw error;
      }
    }
  }

  async #syncOnce(toBlock: number | undefined): Promise<PersistentSyncResult> {
    const head = await this.#rpc(() => this.#provider.getBlockNumber());
    const reorg = await this.#undoReorg();
    const confirmedBlock = head - this.#confirmations;
    let cursor = this.store.cursor();
    const fromBlock = cursor === undefined ? this.#startBlock : cursor.block + 1;
    const target = Math.min(toBlock ?? head, head);
    if (target < fromBlock) {
      return { fromBlock, toBlock: fromBlock - 1, blocks: 0, events: 0, reorg, tentativeEvents: this.#tentative(head) };
    }
    if (fromBlock > 0 && this.store.treasury() === undefined) await this.#seedTreasury(fromBlock - 1);
    let stored = 0;
    for (let start = fromBlock; start <= target; start += this.#batchBlocks) {
      const end = Math.min(target, start + this.#batchBlocks - 1);
      // Headers first: the kept window (blocks within `keepBlocks` of the head), else the batch's last block.
      const tailStart = Math.max(start, head - this.#keepBlocks + 1);
      const headers = await this.#headers(tailStart <= end ? tailStart : end, end);
      const byNumber = new Map(headers.map((h) => [h.number, h]));
      for (let i = 1; i < headers.length; i++) {
        if (!links(headers[i]!, headers[i - 1]!.hash)) throw new ChainMovedError("headers do not link");
      }
      if (cursor !== undefined && headers[0]!.number === cursor.block + 1 && !links(headers[0]!, cursor.hash)) {
        throw new ChainMovedError(`block ${cursor.block} was replaced`);
      }
      const events = await readProtocolEvents(this.#readers, start, end);
      const last = headers[headers.length - 1]!;
      const again = await this.#header(end);
      if (again.hash !== last.hash) throw new ChainMovedError(`block ${end} was replaced during the read`);
      const timestamps = new Map<number, number>();
      for (const event of events) {
        const header = byNumber.get(event.blockNumber);
        if (header !== undefined && header.hash !== event.blockHash) {
          throw new ChainMovedError(`a log of block ${event.blockNumber} is of another branch`);
        }
        if (event.name === "InferenceRequested" && !timestamps.has(event.blockNumber)) {
          timestamps.set(event.blockNumber, header?.timestamp ?? (await this.#header(event.blockNumber)).timestamp);
        }
      }
      const next: StoreCursor = { block: end, hash: last.hash, timestamp: last.timestamp };
      this.store.append({
        after: start - 1,
        events,
        timestamps,
        blocks: tailStart <= end ? headers : [last],
        cursor: next,
        confirmedBlock,
        keepBlocks: this.#keepBlocks,
      });
      cursor = next;
      stored += events.length;
      this.#onProgress?.({ fromBlock, syncedBlock: end, toBlock: target, events: stored });
    }
    return {
      fromBlock,
      toBlock: target,
      blocks: target - fromBlock + 1,
      events: stored,
      reorg,
      tentativeEvents: this.#tentative(head),
    };
  }

  /** Compares the kept hashes with the chain's and undoes a reorg: roll back to the fork, or rebuild. */
  async #undoReorg(): Promise<ReorgReport | undefined> {
    const cursor = this.store.cursor();
    if (cursor === undefined) return undefined;
    const current = await this.#maybeHeader(cursor.block);
    if (current?.hash === cursor.hash) return undefined;
    const kept = this.store.recentBlocks().reverse(); // oldest first
    const confirmed = this.store.confirmedBlock() ?? cursor.block;
    // Kept headers still on the chain form a prefix (a block's hash commits to its ancestors): find its end.
    let lo = 0;
    let hi = kept.length - 1;
    let newest = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const block = kept[mid]!;
      const onChain = block.number === cursor.block ? current : await this.#maybeHeader(block.number);
      if (onChain?.hash === block.hash) {
        newest = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    let report: ReorgReport;
    if (newest < 0) {
      const events = this.store.eventCount();
      this.store.reset();
      report = {
        kind: "rebuild",
        forkBlock: this.#startBlock,
        previousBlock: cursor.block,
        depth: Math.max(kept.length, cursor.block - (kept[0]?.number ?? cursor.block) + 1),
        events,
        beyondConfirmations: true,
      };
    } else {
      const base = kept[newest]!;
      const forkBlock = base.number + 1;
      const events = this.store.rollback(forkBlock, { block: base.number, hash: base.hash, timestamp: base.timestamp });
      report = {
        kind: "rollback",
        forkBlock,
        previousBlock: cursor.block,
        depth: cursor.block - forkBlock + 1,
        events,
        beyondConfirmations: forkBlock <= confirmed,
      };
    }
    this.#onReorg?.(report);
    return report;
  }

  #tentative(head: number): number {
    return this.store.eventCount(head - this.#confirmations + 1);
  }

  /** Indexing starts after the deployment: read the treasury as of the block before (needs an archive node). */
  async #seedTreasury(blockTag: number): Promise<void> {
    let treasury: string;
    try {
      treasury = await this.#rpc(() => this.#settlement.treasury({ blockTag }));
    } catch {
      return; // not an archive node, or the contract did not exist yet: `TreasurySet` will tell, else a placeholder
    }
    this.store.seedTreasury(treasury, blockTag);
  }

  /** Headers of blocks `from..to`, a few at a time. */
  async #headers(from: number, to: number): Promise<StoredBlock[]> {
    const out: StoredBlock[] = [];
    for (let start = from; start <= to; start += HEADER_CONCURRENCY) {
      const numbers: number[] = [];
      for (let n = start; n <= Math.min(to, start + HEADER_CONCURRENCY - 1); n++) numbers.push(n);
      out.push(...(await Promise.all(numbers.map((n) => this.#header(n)))));
    }
    return out;
  }

  async #header(blockNumber: number): Promise<StoredBlock> {
    const header = await this.#maybeHeader(blockNumber);
    if (header === undefined) throw new ChainMovedError(`block ${blockNumber} is no longer on the chain`);
    return header;
  }

  async #maybeHeader(blockNumber: number): Promise<StoredBlock | undefined> {
    const block: Block | null = await this.#rpc(() => this.#provider.getBlock(blockNumber));
    if (block === null || block.hash === null) return undefined;
    return { number: block.number, hash: block.hash, parentHash: block.parentHash, timestamp: block.timestamp };
  }

  #rpc<T>(fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, this.#retry);
  }
}

/**
 * Whether `header` is the child of the block with hash `parent`. A zero parent hash is no answer: Hardhat reports
 * it for the blocks `hardhat_mine` reserves without building them.
 */
function links(header: StoredBlock, parent: string): boolean {
  return header.parentHash === parent || header.parentHash === ZeroHash;
}
