/**
 * "A different model" made from an ONNX file by changing its float32 initializers — what a cheating worker might
 * serve instead of the registered weights, for measuring whether verification notices (`npm run bench:llm`):
 *
 * - {@link float16Variant}: every float32 initializer rounded to float16 precision (round to nearest, ties to even,
 *   float16 subnormals included, out-of-range values clamped) and stored back as float32, so the graph and its I/O are unchanged and onnxruntime
 *   still computes in float32 — the weights a float16 export would carry.
 * - {@link noisyVariant}: the learned weights perturbed by Gaussian noise from a seed, `sigma` relative to each
 *   tensor's root mean square.
 *
 * Only the main graph's initializers are changed (no subgraphs of `If`/`Loop`, no `Constant` nodes: the decoders
 * of this folder have none). Names, shapes, storage (`raw_data` or `float_data`), metadata and everything else are
 * kept, so a variant loads wherever the original does.
 */
import onnxProto from "onnx-proto";

import { SeededRandom } from "../zoo/random.js";
import { gaussian } from "./gaussian.js";

const { onnx } = onnxProto;

// ------------------------------------------------------------------------------------------------ types

/** What a variant changed in one initializer. */
export interface TensorChange {
  name: string;
  values: number;
  /** Values whose float32 bits changed. */
  changed: number;
  /** `‖new − old‖ / ‖old‖` (Euclidean norms over the tensor; 0 when the tensor is all zeros and unchanged). */
  relativeChange: number;
}

/** What a variant changed. */
export interface VariantStats {
  /** float32 initializers changed (of those the model has). */
  initializers: number;
  /** Values in them. */
  values: number;
  /** Values whose float32 bits changed. */
  changed: number;
  /** Each changed initializer, in file order. */
  tensors: TensorChange[];
}

export interface ModelVariant {
  /** The variant's ONNX bytes. */
  model: Uint8Array;
  stats: VariantStats;
}

export interface NoiseOptions {
  /** Seed of the noise (an integer in 0 … 2^32 − 1). */
  seed: number;
  /** Standard deviation of the noise relative to each tensor's root mean square, e.g. 0.01. */
  relativeSigma: number;
  /**
   * Which initializers are learned weights to perturb (default: every tensor with more than one value except the
   * rotary tables `*rotary_emb*`, which are fixed functions of the position, not weights).
   */
  include?: (name: string, size: number) => boolean;
}

/** The file is not an ONNX model, or the options make no sense. */
export class ModelVariantError extends Error {
  override readonly name = "ModelVariantError";
}

// ------------------------------------------------------------------------------------------------ constants

const FLOAT = onnx.TensorProto.DataType.FLOAT;
/** Largest finite float16 (2^15 · (2 − 2^-10)). */
const FLOAT16_MAX = 65504;
/** Smallest positive float16 (a subnormal): 2^-24, also the spacing of the subnormals. */
const FLOAT16_MIN_SUBNORMAL = 2 ** -24;
/** Exponent of the smallest normal float16 (2^-14). */
const FLOAT16_MIN_EXPONENT = -14;

// ------------------------------------------------------------------------------------------------ public API

/**
 * `x` rounded to the nearest float16 value (ties to even), as a number: ±Infinity beyond the float16 range
 * (|x| ≥ 65520), ±0 below half the smallest subnormal, NaN and ±0 unchanged.
 */
export function roundToFloat16(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  let exponent = Math.floor(Math.log2(a));
  // Math.log2 may be off by one near powers of two: fix the exponent so that 2^e ≤ a < 2^(e+1) exactly.
  if (2 ** exponent > a) exponent -= 1;
  else if (2 ** (exponent + 1) <= a) exponent += 1;
  const quantum = exponent < FLOAT16_MIN_EXPONENT ? FLOAT16_MIN_SUBNORMAL : 2 ** (exponent - 10);
  const scaled = a / quantum; // exact: quantum is a power of two
  const floor = Math.floor(scaled);
  const fraction = scaled - floor;
  const units = fraction > 0.5 || (fraction === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
  const rounded = units * quantum;
  if (rounded > FLOAT16_MAX) return sign * Infinity;
  return sign * rounded;
}

/**
 * The model with every float32 initializer rounded to float16 precision (see the module comment). Values beyond
 * the float16 range (such as a `−3.4e38` mask fill) are clamped to ±65504 first, as float16 converters
 * (onnxconverter-common's `convert_float_to_float16`) do, rather than becoming infinite.
 */
export function float16Variant(model: Uint8Array): ModelVariant {
  return mapFloatInitializers(model, (_name, values) =>
    values.map((v) => roundToFloat16(Math.max(-FLOAT16_MAX, Math.min(FLOAT16_MAX, v)))),
  );
}

/**
 * The model with its learned weights perturbed: `w + sigma · rms(w) · N(0, 1)` per tensor, the normal samples from
 * {@link SeededRandom}`(seed)` in initializer order (the same seed gives the same bytes on every machine).
 * @throws {ModelVariantError} for a negative or non-finite `relativeSigma`.
 */
export function noisyVariant(model: Uint8Array, options: NoiseOptions): ModelVariant {
  if (!Number.isFinite(options.relativeSigma) || options.relativeSigma < 0) {
    throw new ModelVariantError(`relativeSigma is ${options.relativeSigma}; use a finite number ≥ 0, e.g. 0.01.`);
  }
  const include = options.include ?? ((name: string, size: number) => size > 1 && !name.includes("rotary_emb"));
  const rng = new SeededRandom(options.seed);
  return mapFloatInitializers(model, (name, values) => {
    if (!include(name, values.length)) return null;
    let squares = 0;
    for (const v of values) squares += v * v;
    const sigma = options.relativeSigma * Math.sqrt(squares / values.length);
    const noise = gaussian(rng, values.length, sigma);
    return values.map((v, i) => v + (noise[i] as number));
  });
}

/**
 * Rewrites the float32 initializers of `model`: `transform` gets each one's name and values and returns the new
 * values (stored as float32, in the initializer's own storage) or null to keep it.
 * @throws {ModelVariantError} when the bytes are not an ONNX model with a graph, or a transform changes a size.
 */
export function mapFloatInitializers(
  model: Uint8Array,
  transform: (name: string, values: Float32Array) => Float32Array | null,
): ModelVariant {
  let proto: InstanceType<typeof onnx.ModelProto>;
  try {
    proto = onnx.ModelProto.decode(model);
  } catch (error) {
    throw new ModelVariantError(`the bytes are not an ONNX model (${(error as Error).message}).`, { cause: error });
  }
  if (proto.graph === null || proto.graph === undefined) {
    throw new ModelVariantError("the ONNX model has no graph.");
  }
  const stats: VariantStats = { initializers: 0, values: 0, changed: 0, tensors: [] };
  for (const tensor of proto.graph.initializer ?? []) {
    if (tensor.dataType !== FLOAT) continue;
    const raw = tensor.rawData !== null && tensor.rawData !== undefined && tensor.rawData.length > 0;
    const old = raw ? readFloat32(tensor.rawData as Uint8Array) : Float32Array.from(tensor.floatData ?? []);
    const next = transform(tensor.name ?? "", old);
    if (next === null) continue;
    if (next.length !== old.length) {
      throw new ModelVariantError(`the transform of ${tensor.name} returned ${next.length} values for ${old.length}.`);
    }
    const stored = Float32Array.from(next); // float32, as the file stores it
    let changed = 0;
    let deltaSquares = 0;
    let oldSquares = 0;
    for (let i = 0; i < stored.length; i++) {
      const before = old[i] as number;
      const after = stored[i] as number;
      oldSquares += before * before;
      if (Object.is(before, after)) continue;
      changed += 1;
      deltaSquares += (after - before) ** 2;
    }
    const relativeChange = deltaSquares === 0 ? 0 : Math.sqrt(deltaSquares / oldSquares);
    stats.initializers += 1;
    stats.values += stored.length;
    stats.changed += changed;
    stats.tensors.push({ name: tensor.name ?? "", values: stored.length, changed, relativeChange });
    if (raw) tensor.rawData = writeFloat32(stored);
    else tensor.floatData = Array.from(stored);
  }
  return { model: Uint8Array.from(onnx.ModelProto.encode(proto).finish()), stats };
}

// ------------------------------------------------------------------------------------------------ internals

/** Little-endian float32 values of `raw_data` (ONNX stores raw data little-endian on every platform). */
function readFloat32(bytes: Uint8Array): Float32Array {
  if (bytes.length % 4 !== 0) throw new ModelVariantError(`float32 raw_data of ${bytes.length} bytes.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

function writeFloat32(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i] as number, true);
  return bytes;
}
