/**
 * What the soak (soak.ts) and the node benchmark (scripts/bench/throughput.ts) read off a running local chain: the
 * protocol's events from a cursor onwards, the gas every account spent over a range of blocks, and percentiles.
 */
import type { Interface, Log, LogDescription, Provider } from "ethers";

import { Status } from "./protocol.js";
import { mapLimit } from "../node/keeper.js";

/** The hub events that put a request in a terminal state. */
export const TERMINAL_EVENTS: Readonly<Record<string, Status>> = {
  RequestFinalized: Status.Finalized,
  RequestRejected: Status.Rejected,
  RequestExpired: Status.Expired,
  RequestRefunded: Status.Refunded,
};

/** Nearest-rank percentile `p` (0–100) of ascending `sorted` values; 0 when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** A contract whose logs a {@link LogReader} decodes. */
export interface LogSource {
  address: string;
  interface: Interface;
}

export interface ReadLog {
  event: LogDescription;
  log: Log;
}

/**
 * Reads the logs of `sources` block range by block range: each `poll()` returns the decoded logs of the blocks mined
 * since the previous one (up to the head), in chain order; logs a source's ABI does not decode are skipped. Polls
 * run one at a time, so concurrent callers never see a log twice.
 */
export class LogReader {
  readonly #provider: Provider;
  readonly #byAddress: Map<string, Interface>;
  #next: number;
  #queue: Promise<unknown> = Promise.resolve();

  /** @param fromBlock the first block the first poll reads */
  constructor(provider: Provider, sources: readonly LogSource[], fromBlock: number) {
    this.#provider = provider;
    this.#byAddress = new Map(sources.map((s) => [s.address.toLowerCase(), s.interface]));
    this.#next = fromBlock;
  }

  /** The next block a poll reads. */
  get cursor(): number {
    return this.#next;
  }

  poll(): Promise<ReadLog[]> {
    const run = this.#queue.then(() => this.#poll());
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #poll(): Promise<ReadLog[]> {
    const head = await this.#provider.getBlockNumber();
    if (head < this.#next) return [];
    const logs = await this.#provider.getLogs({
      address: [...this.#byAddress.keys()],
      fromBlock: this.#next,
      toBlock: head,
    });
    this.#next = head + 1;
    const read: ReadLog[] = [];
    for (const log of logs) {
      let event: LogDescription | null = null;
      try {
        event = this.#byAddress.get(log.address.toLowerCase())?.parseLog(log) ?? null;
      } catch {
        event = null; // an event of another ABI version with the same topic: not ours
      }
      if (event !== null) read.push({ event, log });
    }
    return read;
  }
}

/** Transactions and gas of one sender (or of everyone). */
export interface GasTally {
  transactions: number;
  /** Mined with status 0: their gas was spent for nothing. */
  reverted: number;
  gasUsed: bigint;
}

/** A transaction mined with status 0. */
export interface RevertedTransaction {
  hash: string;
  from: string;
  to: string | null;
  /** The first four bytes of its calldata (the function called), "0x" for none. */
  selector: string;
  gasUsed: bigint;
}

export interface GasSpent extends GasTally {
  blocks: number;
  /** Keyed by lower-case sender address. */
  bySender: Map<string, GasTally>;
  revertedTransactions: RevertedTransaction[];
}

/**
 * The gas every transaction mined in blocks `fromBlock..toBlock` (inclusive) used, in total and by sender, read from
 * the receipts: what the accounts actually paid for, reverted transactions included.
 */
export async function gasSpent(provider: Provider, fromBlock: number, toBlock: number): Promise<GasSpent> {
  const total: GasSpent = {
    blocks: 0,
    transactions: 0,
    reverted: 0,
    gasUsed: 0n,
    bySender: new Map(),
    revertedTransactions: [],
  };
  const hashes: string[] = [];
  for (let n = fromBlock; n <= toBlock; n++) {
    const block = await provider.getBlock(n);
    if (block === null) throw new Error(`block ${n} not found`);
    total.blocks++;
    hashes.push(...block.transactions);
  }
  const receipts = await mapLimit(hashes, 8, async (hash) => {
    const receipt = await provider.getTransactionReceipt(hash);
    if (receipt === null) throw new Error(`no receipt for mined transaction ${hash}`);
    return receipt;
  });
  for (const receipt of receipts) {
    const sender = receipt.from.toLowerCase();
    const tally = total.bySender.get(sender) ?? { transactions: 0, reverted: 0, gasUsed: 0n };
    const reverted = receipt.status === 0 ? 1 : 0;
    for (const t of [tally, total]) {
      t.transactions++;
      t.reverted += reverted;
      t.gasUsed += receipt.gasUsed;
    }
    total.bySender.set(sender, tally);
    if (reverted === 1) {
      const tx = await provider.getTransaction(receipt.hash);
      total.revertedTransactions.push({
        hash: receipt.hash,
        from: sender,
        to: receipt.to,
        selector: (tx?.data ?? "0x").slice(0, 10),
        gasUsed: receipt.gasUsed,
      });
    }
  }
  return total;
}
