/**
 * A small seeded pseudo-random generator (mulberry32) for data shuffles and weight initialisation. Integer arithmetic
 * only, so a seed gives the same sequence on every machine and Node version.
 */

/** A seed is not a 32-bit unsigned integer. */
export class SeedError extends Error {
  override readonly name = "SeedError";
}

/** Deterministic generator of uniform numbers; not for cryptography. */
export class SeededRandom {
  #state: number;

  /** @throws {SeedError} unless `seed` is an integer in 0..2^32-1. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new SeedError(`seed is ${seed}; use an integer in 0..4294967295.`);
    }
    this.#state = seed >>> 0;
  }

  /** The next uniform 32-bit unsigned integer. */
  nextUint32(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniform number in [0, 1) (a multiple of 2^-32). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform number in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** A uniform integer in 0..n-1 (n ≤ 2^32; the modulo bias is below 2^-32·n, irrelevant for shuffles). */
  nextInt(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const a = items[i] as T;
      items[i] = items[j] as T;
      items[j] = a;
    }
    return items;
  }

  /** A child generator whose sequence depends on this one's next output (for independent streams). */
  fork(): SeededRandom {
    return new SeededRandom(this.nextUint32());
  }
}
