/**
 * At-least-once event delivery for a node loop: a persisted cursor, a confirmation depth against reorgs, chunked
 * `queryFilter` ranges with retries. `poll()` returns the events after the committed cursor; the cursor moves only
 * when the caller `commit()`s after handling them, so a crash re-delivers what was not acknowledged and consumers
 * must be idempotent (the hub's `HubInvalidStatus` tells a consumer that a step was already done).
 */
import type { BaseContract } from "ethers";

import { EventReader, type EventName, type EventReaderOptions, type ParsedEvent } from "./events.js";
import { DEFAULT_RPC_RETRY, withRetry, type RetryOptions } from "./retry.js";
import { JsonStateFile } from "./stateFile.js";

export type { ParsedEvent } from "./events.js";

/** Every block up to and including `block` has been handled. */
export interface ScanCursor {
  block: number;
}

export interface EventScannerOptions {
  /** Where the cursor is persisted (JSON). */
  cursorFile: string;
  /** First block to scan when no cursor was saved yet (usually the contract's deployment block). */
  startBlock: number;
  /** Only blocks at or below `head - confirmations` are scanned. Default 0 (dev chains); use 5–64 on live ones. */
  confirmations?: number;
  /** Largest block span of one `eth_getLogs`. Default 2,000. */
  maxBlockSpan?: number;
  /** Largest block range one `poll()` covers, so a long catch-up is handed over in bounded batches. Default 20,000. */
  maxBlocksPerPoll?: number;
  /** Retry policy of RPC calls. Default 5 retries, 600 ms to 5 s. */
  retry?: Omit<RetryOptions, "isRetryable">;
}

/** `commit` got a cursor outside the range the last `poll` returned. */
export class ScanCursorError extends Error {
  override readonly name = "ScanCursorError";

  constructor(message: string) {
    super(message);
  }
}

export class EventScanner<C extends BaseContract = BaseContract> {
  readonly #reader: EventReader<C>;
  readonly #state: JsonStateFile<ScanCursor>;
  readonly #confirmations: number;
  readonly #maxBlocksPerPoll: number;
  readonly #retry: Omit<RetryOptions, "isRetryable">;
  #committed: ScanCursor | undefined;
  #pending: ScanCursor | undefined;

  constructor(contract: C, events: readonly EventName<C>[], options: EventScannerOptions) {
    const readerOptions: EventReaderOptions = { maxBlockSpan: options.maxBlockSpan, retry: options.retry };
    this.#reader = new EventReader(contract, events, readerOptions);
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

  /** The acknowledged cursor (loaded from the file on first use). */
  async cursor(): Promise<ScanCursor> {
    this.#committed ??= await this.#state.load();
    return { ...this.#committed };
  }

  /** The cursor that acknowledges everything the last `poll()` returned; undefined before the first poll. */
  get pendingCursor(): ScanCursor | undefined {
    return this.#pending === undefined ? undefined : { ...this.#pending };
  }

  /**
   * Events of the confirmed blocks after the committed cursor, in (block, logIndex) order; at most
   * `maxBlocksPerPoll` blocks. Calling it again without `commit()` returns the same events again (plus newer ones).
   * An empty result with `pendingCursor` ahead of `cursor()` still deserves a commit (blocks without events).
   */
  async poll(): Promise<ParsedEvent[]> {
    const from = (await this.cursor()).block + 1;
    const head = await withRetry(() => this.#provider().getBlockNumber(), this.#retry);
    const safe = head - this.#confirmations;
    const to = Math.min(safe, from + this.#maxBlocksPerPoll - 1);
    if (to < from) {
      this.#pending = { block: from - 1 };
      return [];
    }
    const events = await this.#reader.read(from, to);
    this.#pending = { block: to };
    return events;
  }

  /**
   * Acknowledges every event up to and including `cursor.block` (default: everything the last poll returned) and
   * persists it. A restart resumes after it.
   */
  async commit(cursor: ScanCursor | undefined = this.#pending): Promise<void> {
    if (cursor === undefined) throw new ScanCursorError("Nothing to commit: call poll() first.");
    const committed = await this.cursor();
    if (!Number.isSafeInteger(cursor.block) || cursor.block < committed.block) {
      throw new ScanCursorError(
        `Cannot commit block ${cursor.block}: the cursor is already at ${committed.block} (cursors only move forward).`,
      );
    }
    if (this.#pending === undefined || cursor.block > this.#pending.block) {
      throw new ScanCursorError(
        `Cannot commit block ${cursor.block}: the last poll only covered blocks up to ` +
          `${this.#pending?.block ?? committed.block}; commit what you handled.`,
      );
    }
    const next = { block: cursor.block };
    await this.#state.save(next);
    this.#committed = next;
  }

  #provider() {
    const runner = this.#reader.contract.runner;
    const provider = runner?.provider ?? null;
    if (provider === null) {
      throw new TypeError("The scanned contract has no provider: connect it to a provider or signer first.");
    }
    return provider;
  }
}

function parseCursor(raw: unknown, defaults: ScanCursor): ScanCursor {
  if (typeof raw !== "object" || raw === null) throw new TypeError("expected an object { block }");
  const block = (raw as { block?: unknown }).block;
  if (typeof block !== "number" || !Number.isSafeInteger(block) || block < -1) {
    throw new TypeError(`"block" must be an integer >= -1, found ${JSON.stringify(block)}`);
  }
  return { ...defaults, block };
}
