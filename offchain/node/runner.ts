/**
 * The skeleton every node shares: a poll loop over on-chain events with a persisted cursor, a bounded pool of
 * concurrent jobs, persisted job state (so a crash resumes where it stopped), and a clean shutdown that lets
 * in-flight jobs finish.
 */
import { describeError, isTransientRpcError, withRetry } from "../chain/retry.js";
import type { Logger } from "./logger.js";

const JOB_RETRY = { retries: 4, baseDelayMs: 300, maxDelayMs: 3_000 };

/** One decoded event, in chain order. */
export interface FeedEvent {
  name: string;
  args: Record<string, unknown> & ArrayLike<unknown>;
  blockNumber: number;
  logIndex: number;
  txHash: string;
}

/** A batch of new events; `commit` acknowledges them (a crash before it re-delivers them). */
export interface FeedBatch {
  events: FeedEvent[];
  commit(): Promise<void>;
}

/** At-least-once source of events (see offchain/chain/scanner.ts). */
export interface EventFeed {
  next(): Promise<FeedBatch>;
}

export interface RunnerOptions {
  pollIntervalMs: number;
  concurrency: number;
  /** How long `stop` waits for in-flight jobs before giving up on them (they resume on the next start). */
  drainTimeoutMs: number;
}

/**
 * Drives `handle(events)` and `work()` until stopped. Subclasses decide what the events mean and what a job is.
 */
export abstract class NodeRunner {
  readonly #inFlight = new Map<string, Promise<void>>();
  #stopping = false;
  #wake: (() => void) | null = null;
  #loop: Promise<void> | null = null;
  #restored = false;

  protected constructor(
    protected readonly feed: EventFeed,
    protected readonly logger: Logger,
    protected readonly options: RunnerOptions,
  ) {}

  /** Called once before the loop: load persisted state. */
  protected abstract restore(): Promise<void>;
  /** Record new events as jobs (and persist them) before the feed acknowledges them. */
  protected abstract handle(events: FeedEvent[]): Promise<void>;
  /** Job keys that are ready to run now, oldest first. */
  protected abstract ready(): Promise<string[]>;
  /** Runs one job; must be idempotent (it may run again after a crash). */
  protected abstract runJob(key: string): Promise<void>;
  /** Called after the loop ends: persist state. */
  protected abstract persist(): Promise<void>;

  get stopping(): boolean {
    return this.#stopping;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  async start(): Promise<void> {
    await this.#restoreOnce();
    this.logger.info("node.started", { concurrency: this.options.concurrency });
    this.#loop = this.#run();
  }

  /** Runs one poll + dispatch round and waits for the jobs it started (tests and scripted networks use it). */
  async tick(): Promise<void> {
    await this.#restoreOnce(); // a scripted node must not start from (and then persist over) an empty state
    await this.#round();
    await Promise.allSettled([...this.#inFlight.values()]);
  }

  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#wake?.();
    this.logger.info("node.stopping", { inFlight: this.#inFlight.size });
    await this.#loop;
    const drained = await Promise.race([
      Promise.allSettled([...this.#inFlight.values()]).then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), this.options.drainTimeoutMs).unref()),
    ]);
    if (!drained) this.logger.warn("node.drain_timeout", { abandoned: this.#inFlight.size });
    if (this.#restored) await this.persist(); // never ran: its (unloaded) empty state must not replace the file
    this.logger.info("node.stopped", {});
  }

  async #restoreOnce(): Promise<void> {
    if (this.#restored) return;
    await this.restore();
    this.#restored = true;
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      try {
        await this.#round();
      } catch (error) {
        // A transient RPC failure (timeout, rate limit, 5xx, reset) costs one poll: the next round resumes from the
        // persisted cursor. Anything else is an error worth an operator's attention.
        if (isTransientRpcError(error)) this.logger.warn("node.round_retry", { error: describeError(error) });
        else this.logger.error("node.round_failed", { error: describeError(error) });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.pollIntervalMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }

  async #round(): Promise<void> {
    const batch = await this.feed.next();
    if (batch.events.length > 0) await this.handle(batch.events);
    await batch.commit();
    for (const key of await this.ready()) {
      if (this.#stopping || this.#inFlight.size >= this.options.concurrency) break;
      if (this.#inFlight.has(key)) continue;
      // Jobs are idempotent, so a transient RPC failure anywhere inside one re-runs the whole job with backoff
      // instead of costing a round (which can cost a deadline).
      const job = withRetry(() => this.runJob(key), {
        ...JOB_RETRY,
        isRetryable: isTransientRpcError,
        onRetry: (error, attempt, delayMs) =>
          this.logger.warn("job.retry", { job: key, attempt, delayMs, error: describeError(error) }),
      })
        .catch((error: unknown) => {
          this.logger.error("job.failed", { job: key, error: describeError(error) });
        })
        .finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, job);
    }
  }
}
