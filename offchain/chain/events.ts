/**
 * Reads a contract's events over a block range: one `queryFilter` per chunk of at most `maxBlockSpan` blocks (all
 * wanted event types in one topic filter), transient RPC errors retried, results parsed with the contract's ABI and
 * sorted by (block, logIndex). Browser-safe: shared by the scanner (node) and the indexer (node or web page).
 */
import type { BaseContract, EventLog, Log, Result } from "ethers";

import {
  DEFAULT_RPC_RETRY,
  describeError,
  errorText,
  isTransientRpcError,
  withRetry,
  type RetryOptions,
} from "./retry.js";

/** One decoded event. */
export interface ParsedEvent {
  name: string;
  args: Result;
  blockNumber: number;
  /** Hash of the block the log is in (a reorg replaces it). */
  blockHash: string;
  logIndex: number;
  txHash: string;
  /** The emitting contract (checksummed). */
  address: string;
}

/** Event names a typechain contract declares (`"RequestFinalized"`, also full signatures). */
export type EventName<C extends BaseContract> = C extends { filters: infer F } ? Extract<keyof F, string> : string;

export interface EventReaderOptions {
  /** Largest block span of one `eth_getLogs` (providers cap it; 2,000 is safe for most). Default 2,000. */
  maxBlockSpan?: number;
  /** Retry policy for each chunk. Default {@link DEFAULT_RPC_RETRY}. */
  retry?: Omit<RetryOptions, "isRetryable">;
}

/** An event name the contract's ABI does not have: a configuration mistake. */
export class UnknownEventError extends Error {
  override readonly name = "UnknownEventError";

  constructor(
    readonly eventName: string,
    readonly contract: string,
  ) {
    super(`Event "${eventName}" is not in the ABI of ${contract}: check the event list and the typechain bindings.`);
  }
}

/** The node refused a range even at a span of one block. */
export class LogRangeError extends Error {
  override readonly name = "LogRangeError";

  constructor(
    readonly fromBlock: number,
    readonly toBlock: number,
    override readonly cause: unknown,
  ) {
    super(
      `eth_getLogs failed for blocks ${fromBlock}..${toBlock}: ${describeError(cause)}. ` +
        "Lower maxBlockSpan, or use an RPC endpoint without a log-range limit.",
      { cause },
    );
  }
}

/** Messages of nodes that refuse a range as too large or too many results (the span is halved and retried). */
const RANGE_TOO_LARGE =
  /block range|range (?:is )?too (?:large|wide)|too many (?:results|logs|blocks)|query returned more than|exceed(?:s|ed)? .*(?:range|limit|results)|response size/i;

export class EventReader<C extends BaseContract = BaseContract> {
  readonly contract: C;
  readonly events: readonly string[];
  readonly #topics: string[];
  readonly #maxBlockSpan: number;
  readonly #retry: Omit<RetryOptions, "isRetryable">;

  constructor(contract: C, events: readonly EventName<C>[], options: EventReaderOptions = {}) {
    this.contract = contract;
    this.events = [...events];
    this.#topics = events.map((name) => {
      const fragment = contract.interface.getEvent(name);
      if (fragment === null) throw new UnknownEventError(name, describeContract(contract));
      return fragment.topicHash;
    });
    this.#maxBlockSpan = Math.max(1, Math.floor(options.maxBlockSpan ?? 2_000));
    this.#retry = options.retry ?? DEFAULT_RPC_RETRY;
  }

  /** Events of blocks `fromBlock..toBlock` (inclusive), in (block, logIndex) order. */
  async read(fromBlock: number, toBlock: number): Promise<ParsedEvent[]> {
    const out: ParsedEvent[] = [];
    let span = this.#maxBlockSpan;
    let start = fromBlock;
    while (start <= toBlock) {
      const end = Math.min(toBlock, start + span - 1);
      let logs: Array<EventLog | Log>;
      try {
        logs = await withRetry(() => this.contract.queryFilter([this.#topics], start, end), {
          ...this.#retry,
          // Some nodes report an oversized range as -32005 "limit exceeded": halve at once instead of retrying.
          isRetryable: (e) => isTransientRpcError(e) && !RANGE_TOO_LARGE.test(errorText(e)),
        });
      } catch (error) {
        if (RANGE_TOO_LARGE.test(errorText(error))) {
          if (end === start) throw new LogRangeError(start, end, error);
          span = Math.max(1, Math.floor((end - start + 1) / 2));
          continue;
        }
        throw error;
      }
      for (const log of logs) out.push(this.#parse(log));
      start = end + 1;
    }
    return sortEvents(out);
  }

  #parse(log: EventLog | Log): ParsedEvent {
    const parsed = "fragment" in log ? { name: log.fragment.name, args: log.args } : this.#decode(log);
    return {
      name: parsed.name,
      args: parsed.args,
      blockNumber: log.blockNumber,
      blockHash: log.blockHash,
      logIndex: log.index,
      txHash: log.transactionHash,
      address: log.address,
    };
  }

  #decode(log: Log): { name: string; args: Result } {
    const description = this.contract.interface.parseLog({ topics: [...log.topics], data: log.data });
    if (description === null) {
      throw new UnknownEventError(log.topics[0] ?? "(anonymous)", describeContract(this.contract));
    }
    return { name: description.name, args: description.args };
  }
}

/** Sorts events by (block, logIndex) — the chain's order. */
export function sortEvents<E extends Pick<ParsedEvent, "blockNumber" | "logIndex">>(events: E[]): E[] {
  return events.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
}

function describeContract(contract: BaseContract): string {
  return typeof contract.target === "string" ? contract.target : "the contract";
}
