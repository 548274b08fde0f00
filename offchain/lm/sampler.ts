/**
 * The protocol's sampler for text generation: Gumbel-max on canonical fixed-point logits, with noise every node
 * derives from `keccak256(seed, requestId, position)`, so every honest worker makes the same choice and a verifier
 * can check a claimed token from its own logits (docs/PROTOCOL.md, "Text generation").
 *
 * At generated position `p` (0 for the first new token), with canonical logits `z_i` (the model's float logits as
 * FIXED64 with the model's `outputDecimals`, see `toFixed64`) and temperature `T` in thousandths:
 *
 *   greedy (T = 0):  score_i = z_i
 *   sampled (T > 0): score_i = floor(z_i · 1000 / T) + g_i,   g_i = round(-ln(-ln(u_i)) · 10^decimals)
 *
 * and the token is the index of the highest score (the lowest index among equal scores). The noise of position `p`
 * comes from one hash, `word = keccak256(abi.encode(uint256 seed, uint256 requestId, uint256 p))`, expanded by
 * xoshiro128** (Blackman and Vigna) seeded with the word's first four big-endian 32-bit words: for token i, two
 * successive outputs a, b give `u_i = ((a >>> 5) · 2^26 + (b >>> 6) + 0.5) / 2^53`. Keccak fixes the stream (nobody
 * can choose it once the request exists); the generator only stretches it, about a hundred times faster than a hash
 * per four tokens, which matters because worker and verifier both draw noise for the whole vocabulary.
 */
import { ethers } from "ethers";

import { toFixed64 } from "../codec/tensor.js";

/** Highest temperature a request may ask for, in thousandths (2.0). */
export const MAX_TEMPERATURE_MILLI = 2_000;

const TWO_POW_53 = 2 ** 53;
const UINT64_MASK = (1n << 64n) - 1n;
const UINT256_LIMIT = 1n << 256n;

/** The position's noise word: `keccak256(abi.encode(seed, requestId, position))`. */
export function noiseWord(seed: bigint, requestId: bigint, position: number): string {
  // abi.encode of three uint256, written directly: the ABI coder costs ten times the hash here.
  const preimage = new Uint8Array(96);
  const view = new DataView(preimage.buffer);
  [seed, requestId, BigInt(position)].forEach((value, slot) => {
    if (value < 0n || value >= UINT256_LIMIT) throw new RangeError(`noise word input ${value} is not a uint256`);
    for (let word = 3; word >= 0; word--) {
      view.setBigUint64(32 * slot + 8 * word, value & UINT64_MASK);
      value >>= 64n;
    }
  });
  return ethers.keccak256(preimage);
}

/** The `count` uniforms in (0, 1) of a position's noise word (see the module comment). */
export function uniforms(word: string, count: number): Float64Array {
  const bytes = ethers.getBytes(word);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let s0 = view.getUint32(0) | 0;
  let s1 = view.getUint32(4) | 0;
  let s2 = view.getUint32(8) | 0;
  let s3 = view.getUint32(12) | 0;
  // xoshiro128**: 32-bit state words, Math.imul for the multiplications modulo 2^32.
  const next = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const a = next() >>> 5;
    const b = next() >>> 6;
    out[i] = (a * 67_108_864 + b + 0.5) / TWO_POW_53;
  }
  return out;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Gumbel noise `round(-ln(-ln(u)) · 10^decimals)` for each uniform. */
export function gumbelNoise(us: Float64Array, decimals: number): bigint[] {
  return Array.from(us, (u) => toFixed64(-Math.log(-Math.log(u)), decimals));
}

/** The sampler's scores at one position from canonical logits (see the module comment). */
export function scores(logits: readonly bigint[], temperatureMilli: number, noise: () => readonly bigint[]): bigint[] {
  if (temperatureMilli === 0) return [...logits];
  const t = BigInt(temperatureMilli);
  const g = noise();
  return logits.map((z, i) => floorDiv(z * 1000n, t) + (g[i] as bigint));
}

/** Index of the highest score; the lowest index among equal scores. */
export function argmax(values: readonly bigint[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] as bigint) > (values[best] as bigint)) best = i;
  return best;
}

/** Everything the sampler needs about a request. */
export interface SamplingParams {
  requestId: bigint;
  seed: bigint;
  temperatureMilli: number;
  /** The model's logit decimals (`outputDecimals`). */
  decimals: number;
}

/** Canonical fixed-point logits of one position. */
export function canonicalLogits(logits: ArrayLike<number>, decimals: number): bigint[] {
  return Array.from(logits, (x) => toFixed64(x, decimals));
}

/** The scores at generated position `position` for float logits. */
export function positionScores(logits: ArrayLike<number>, position: number, params: SamplingParams): bigint[] {
  const z = canonicalLogits(logits, params.decimals);
  return scores(z, params.temperatureMilli, () =>
    gumbelNoise(uniforms(noiseWord(params.seed, params.requestId, position), z.length), params.decimals),
  );
}

/** The token the sampler picks at generated position `position`. */
export function sampleToken(logits: ArrayLike<number>, position: number, params: SamplingParams): number {
  const fast = exactNumberScores(logits, position, params);
  return fast === null ? argmax(positionScores(logits, position, params)) : argmaxNumbers(fast);
}

/**
 * At generated position `position`: the sampler's choice and how far below its score the score of `token` is
 * (0 when `token` is the choice) — what the verification rule compares with {@link scoreSlack}.
 */
export function scoreGap(
  logits: ArrayLike<number>,
  position: number,
  params: SamplingParams,
  token: number,
): { best: number; gap: bigint } {
  const fast = exactNumberScores(logits, position, params);
  if (fast !== null) {
    const best = argmaxNumbers(fast);
    return { best, gap: BigInt(fast[best]! - fast[token]!) };
  }
  const exact = positionScores(logits, position, params);
  const best = argmax(exact);
  return { best, gap: exact[best]! - exact[token]! };
}

/** Below this magnitude every canonical logit, scaled logit, noise term and score is an integer a double holds. */
const EXACT_LIMIT = 2 ** 42;

/**
 * {@link positionScores} computed in doubles: the same integers (every value stays far below 2^53, so each rounding,
 * product, floor division and sum is exact), about twenty times faster than with BigInt. Null when a logit is NaN
 * or too large for that guarantee: the caller then takes the BigInt definition.
 */
function exactNumberScores(logits: ArrayLike<number>, position: number, params: SamplingParams): Float64Array | null {
  const scale = Number(`1e${params.decimals}`);
  const n = logits.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const z = roundHalfAway((logits[i] as number) * scale);
    if (z === null) return null;
    out[i] = z;
  }
  const t = params.temperatureMilli;
  if (t === 0) return out;
  const us = uniforms(noiseWord(params.seed, params.requestId, position), n);
  for (let i = 0; i < n; i++) {
    const g = roundHalfAway(-Math.log(-Math.log(us[i]!)) * scale);
    if (g === null) return null;
    // floor(z · 1000 / t): the numerator is an exact integer below 2^52, so the double quotient errs by less than
    // 1/t, less than a non-integer quotient's distance to the next integer: Math.floor is the exact floor division.
    out[i] = Math.floor((out[i]! * 1000) / t) + g;
  }
  return out;
}

/** `toFixed64`'s rounding (half away from zero) for |x| below {@link EXACT_LIMIT}, else null. */
function roundHalfAway(product: number): number | null {
  if (!(Math.abs(product) < EXACT_LIMIT)) return null; // also NaN and ±Infinity
  const truncated = Math.trunc(product);
  const fraction = product - truncated;
  return fraction >= 0.5 ? truncated + 1 : fraction <= -0.5 ? truncated - 1 : truncated;
}

function argmaxNumbers(values: Float64Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/**
 * How far below the best score a claimed token's score may be and still be the sampler's choice, when the worker's
 * logits may differ from the verifier's by up to `tolerance` (units of 10^-decimals) per element: each of the two
 * scores compared may move by `tolerance · 1000 / T` (or `tolerance` when greedy), one floor rounding included.
 */
export function scoreSlack(tolerance: bigint, temperatureMilli: number): bigint {
  if (temperatureMilli === 0) return 2n * tolerance;
  return 2n * (floorDiv(tolerance * 1000n, BigInt(temperatureMilli)) + 1n);
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}
