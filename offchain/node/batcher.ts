/**
 * Coalesces calls that arrive close together into one batched call. The first item starts a window of `windowMs`;
 * everything added until it closes (or until `maxItems` are waiting) is flushed together, and each caller receives
 * the result for its own item. A node uses it to send several results or finalizations in one transaction
 * (`submitResultBatch`, `processBatch`), which costs less gas per item than one transaction each.
 *
 * Bounded: a flush never holds more than `maxItems` (the contract's MAX_BATCH or less). A failing flush rejects every
 * item of that flush, and nothing else. `drain()` flushes what is waiting at once (shutdown).
 */
export interface CoalescerOptions {
  /** Most items in one flush. */
  maxItems: number;
  /** Milliseconds the first waiting item waits for company. 0: flush on the next tick (still coalesces items added
   *  synchronously together). */
  windowMs: number;
}

interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export class Coalescer<T, R> {
  #waiting: Waiting<T, R>[] = [];
  #timer: NodeJS.Timeout | null = null;
  readonly #inFlight = new Set<Promise<void>>();

  /**
   * @param flush Sends one batch; must return one result per item, in order.
   */
  constructor(
    private readonly flush: (items: readonly T[]) => Promise<R[]>,
    private readonly options: CoalescerOptions,
  ) {
    if (!Number.isInteger(options.maxItems) || options.maxItems < 1) {
      throw new RangeError(`maxItems must be a positive integer, got ${options.maxItems}`);
    }
    if (!(options.windowMs >= 0)) throw new RangeError(`windowMs must be >= 0, got ${options.windowMs}`);
  }

  /** Items waiting for the next flush. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Queues `item` and resolves with its result once its batch was sent. */
  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      if (this.#waiting.length >= this.options.maxItems) this.#flushNow();
      else this.#timer ??= setTimeout(() => this.#flushNow(), this.options.windowMs);
    });
  }

  /** Flushes everything waiting now and waits for every flush in flight. */
  async drain(): Promise<void> {
    while (this.#waiting.length > 0) this.#flushNow();
    await Promise.allSettled([...this.#inFlight]);
  }

  #flushNow(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const batch = this.#waiting.splice(0, this.options.maxItems);
    if (this.#waiting.length > 0) this.#timer = setTimeout(() => this.#flushNow(), this.options.windowMs);
    if (batch.length === 0) return;
    const run = this.#send(batch);
    this.#inFlight.add(run);
    void run.finally(() => this.#inFlight.delete(run));
  }

  async #send(batch: Waiting<T, R>[]): Promise<void> {
    try {
      const results = await this.flush(batch.map((w) => w.item));
      if (results.length !== batch.length) {
        throw new Error(`batch flush returned ${results.length} results for ${batch.length} items`);
      }
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }
}
