/**
 * The event feed of a node: the events of several contracts (hub, committee module, court) over the same block
 * range, merged in chain order, behind one persisted cursor. v2 spreads a request's lifecycle over several
 * contracts; one cursor keeps "everything up to block N was handled" true for all of them at once.
 *
 * At-least-once: `next()` returns the events after the committed cursor; `commit()` acknowledges them after the
 * node recorded its jobs, so a crash re-delivers what was not acknowledged (node handlers are idempotent).
 */
import type { BaseContract } from "ethers";

import { EventReader, sortEvents, type ParsedEvent } from "../chain/events.js";
import { DEFAULT_RPC_RETRY, withRetry, type RetryOptions } from "../chain/retry.js";
import type { ScanCursor } from "../chain/scanner.js";
import { JsonStateFile } from "../chain/stateFile.js";
import type { EventFeed, FeedBatch, FeedEvent } from "./runner.js";

export interface FeedSource {
  contract: BaseContract;
  events: readonly string[];
}

export interface MultiContractFeedOptions {
  cursorFile: string;
  /** First block to scan when no cursor was saved yet (the deployment block). */
  startBlock: number;
  /** Only blocks at or below `head - confirmations` are read. Default 0 (dev chains); 5–64 on live ones. */
  confirmations?: number;
  /** Largest block span of one `eth_getLogs`. Default 2,000. */
  maxBlockSpan?: number;
  /** Largest block range one `next()` covers. Default 20,000. */
  maxBlocksPerPoll?: number;
  retry?: Omit<RetryOptions, "isRetryable">;
}

export class MultiContractFeed implements EventFeed {
  readonly #readers: EventReader[];
  readonly #state: JsonStateFile<ScanCursor>;
  readonly #confirmations: number;
  readonly #maxBlocksPerPoll: number;
  readonly #retry: Omit<RetryOptions, "isRetryable">;
  #committed: ScanCursor | undefined;

  constructor(sources: readonly FeedSource[], options: MultiContractFeedOptions) {
    if (sources.length === 0) throw new TypeError("MultiContractFeed needs at least one contract");
    this.#readers = sources.map(
      (s) =>
        new EventReader(s.contract, s.events as never, { maxBlockSpan: options.maxBlockSpan, retry: options.retry }),
    );
    this.#state = new JsonStateFile<ScanCursor>(
      options.cursorFile,
      { block: options.startBlock - 1 },
      {
        parse: parseCursor,
      },
    );
    this.#confirmations = Math.max(0, Math.floor(options.confirmations ?? 0));
    this.#maxBlocksPerPoll = Math.max(1, Math.floor(options.maxBlocksPerPoll ?? 20_000));
    this.#retry = options.retry ?? DEFAULT_RPC_RETRY;
  }

  /** The acknowledged cursor. */
  async cursor(): Promise<ScanCursor> {
    this.#committed ??= await this.#state.load();
    return { ...this.#committed };
  }

  async next(): Promise<FeedBatch> {
    const from = (await this.cursor()).block + 1;
    const provider = this.#readers[0]!.contract.runner?.provider ?? null;
    if (provider === null) throw new TypeError("the feed's contracts have no provider: connect them first");
    const head = await withRetry(() => provider.getBlockNumber(), this.#retry);
    const to = Math.min(head - this.#confirmations, from + this.#maxBlocksPerPoll - 1);
    if (to < from) return { events: [], commit: async () => {} };
    const parts: ParsedEvent[][] = [];
    for (const reader of this.#readers) parts.push(await reader.read(from, to));
    const events = sortEvents(parts.flat()) as unknown as FeedEvent[];
    return {
      events,
      commit: async () => {
        const next = { block: to };
        await this.#state.save(next);
        this.#committed = next;
      },
    };
  }
}

function parseCursor(raw: unknown, defaults: ScanCursor): ScanCursor {
  const block = (raw as { block?: unknown } | null)?.block;
  if (typeof block !== "number" || !Number.isSafeInteger(block) || block < -1) {
    throw new TypeError(`"block" must be an integer >= -1, found ${JSON.stringify(block)}`);
  }
  return { ...defaults, block };
}
