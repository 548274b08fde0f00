/**
 * OPG canonical tensor encoding, version 1 (see docs/TENSOR_ENCODING.md).
 *
 * The same bytes are decoded on-chain by `contracts/libraries/TensorCodec.sol`. This module is pure (no I/O, no
 * ethers): worker nodes use it to encode inputs, canonicalise model outputs and hash them; consumers and auditors use
 * it to decode.
 *
 * Layout, all integers big-endian:
 *   "OPG" | 0x01 | uint8 tensorCount (1..16)
 *   per tensor: uint8 dtype | uint8 decimals | uint8 rank (0..8) | uint32 dims[rank] | product(dims) elements
 *
 * Element values in {@link TensorData.data}:
 *   - FLOAT, DOUBLE: `number[]` (FLOAT is rounded to binary32 on encode).
 *   - BOOL: `boolean[]`.
 *   - every integer dtype and FIXED64: `bigint[]` on decode; `bigint[]` or `number[]` of safe integers on encode.
 */

// ------------------------------------------------------------------------------------------------ types

/** dtype codes: ONNX TensorProto codes, plus 128 for OPG fixed point. */
export const DType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  FIXED64: 128,
} as const;

/** A dtype code. */
export type DType = (typeof DType)[keyof typeof DType];

/** One tensor: header and row-major elements. */
export interface TensorData {
  /** Element type. */
  dtype: DType;
  /** Fixed-point decimals; must be 0 unless `dtype` is FIXED64 (0..255). */
  decimals: number;
  /** Dimensions, outermost first; `[]` for a scalar. At most 8, each 0..2^32-1. */
  shape: number[];
  /** Elements in row-major order; see the module comment for the JS type per dtype. */
  data: bigint[] | number[] | boolean[];
}

/** Machine-readable reason of a {@link TensorCodecError}. */
export type TensorCodecErrorCode =
  | "BAD_MAGIC"
  | "UNSUPPORTED_VERSION"
  | "BAD_TENSOR_COUNT"
  | "UNKNOWN_DTYPE"
  | "RANK_TOO_HIGH"
  | "DECIMALS_ON_NON_FIXED"
  | "BAD_DECIMALS"
  | "BAD_DIMENSION"
  | "TRUNCATED"
  | "TRAILING_BYTES"
  | "INVALID_BOOL"
  | "DATA_LENGTH_MISMATCH"
  | "BAD_ELEMENT"
  | "NAN";

/** Every error of this module. `code` says what went wrong; the message says how to fix it. */
export class TensorCodecError extends Error {
  override readonly name = "TensorCodecError";

  constructor(
    readonly code: TensorCodecErrorCode,
    message: string,
  ) {
    super(message);
  }
}

// ------------------------------------------------------------------------------------------------ constants

/** Magic bytes "OPG". */
export const MAGIC: readonly number[] = [0x4f, 0x50, 0x47];
/** The encoding version this module reads and writes. */
export const VERSION = 1;
/** Most tensors in one encoding. */
export const MAX_TENSORS = 16;
/** Highest tensor rank. */
export const MAX_RANK = 8;

const HEADER_LENGTH = 5;
const TENSOR_HEADER_LENGTH = 3;
const MAX_DIM = 0xffff_ffff;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const TWO_POW_63 = 2 ** 63;

interface Layout {
  readonly width: number;
  readonly kind: "float" | "bool" | "int";
  readonly signed: boolean;
}

const LAYOUTS: ReadonlyMap<number, Layout> = new Map<number, Layout>([
  [DType.FLOAT, { width: 4, kind: "float", signed: true }],
  [DType.UINT8, { width: 1, kind: "int", signed: false }],
  [DType.INT8, { width: 1, kind: "int", signed: true }],
  [DType.INT16, { width: 2, kind: "int", signed: true }],
  [DType.INT32, { width: 4, kind: "int", signed: true }],
  [DType.INT64, { width: 8, kind: "int", signed: true }],
  [DType.BOOL, { width: 1, kind: "bool", signed: false }],
  [DType.DOUBLE, { width: 8, kind: "float", signed: true }],
  [DType.UINT32, { width: 4, kind: "int", signed: false }],
  [DType.UINT64, { width: 8, kind: "int", signed: false }],
  [DType.FIXED64, { width: 8, kind: "int", signed: true }],
]);

/**
 * The one dtype vocabulary every task and message uses: onnxruntime's element type names (`float32`, `int64`, …) and
 * `fixed64` for OPG fixed point. {@link parseDType} also accepts the ONNX TensorProto names (`FLOAT`, `DOUBLE`) and
 * any letter case.
 */
const DTYPE_LABELS: ReadonlyMap<number, string> = new Map<number, string>([
  [DType.FLOAT, "float32"],
  [DType.UINT8, "uint8"],
  [DType.INT8, "int8"],
  [DType.INT16, "int16"],
  [DType.INT32, "int32"],
  [DType.INT64, "int64"],
  [DType.BOOL, "bool"],
  [DType.DOUBLE, "float64"],
  [DType.UINT32, "uint32"],
  [DType.UINT64, "uint64"],
  [DType.FIXED64, "fixed64"],
]);
const DTYPE_BY_NAME: ReadonlyMap<string, DType> = new Map<string, DType>([
  ...[...DTYPE_LABELS].map(([code, label]) => [label, code as DType] as const),
  ...Object.entries(DType).map(([name, code]) => [name.toLowerCase(), code] as const),
]);

// ------------------------------------------------------------------------------------------------ public API

/** The dtype's name in the project's vocabulary (`float32`, `int64`, `fixed64`, …); the number for unknown codes. */
export function dtypeLabel(dtype: number): string {
  return DTYPE_LABELS.get(dtype) ?? String(dtype);
}

/** Every dtype name {@link dtypeLabel} prints, in code order. */
export const DTYPE_VOCABULARY: readonly string[] = [...DTYPE_LABELS.values()];

/** The dtype named `name` (`float32`, `FLOAT`, `Int64`, …: any case, onnxruntime or ONNX names); undefined if none. */
export function parseDType(name: string): DType | undefined {
  return DTYPE_BY_NAME.get(name.trim().toLowerCase());
}

/** Whether `code` is a dtype defined by version 1. */
export function isDType(code: number): code is DType {
  return LAYOUTS.has(code);
}

/** Bytes per element of `dtype`. */
export function dtypeWidth(dtype: DType): number {
  return layoutOf(dtype, 0).width;
}

/**
 * Encodes tensors in the canonical encoding v1.
 * @throws {TensorCodecError} when a tensor does not fit the format (the message names the tensor and the fix).
 */
export function encodeTensors(tensors: readonly TensorData[]): Uint8Array {
  if (tensors.length < 1 || tensors.length > MAX_TENSORS) {
    throw new TensorCodecError(
      "BAD_TENSOR_COUNT",
      `An encoding holds 1..${MAX_TENSORS} tensors, got ${tensors.length}: split or merge the tensors.`,
    );
  }
  let size = HEADER_LENGTH;
  const layouts = tensors.map((tensor, t) => {
    const layout = checkHeader(tensor, t);
    const count = elementCount(tensor.shape);
    if (BigInt(tensor.data.length) !== count) {
      throw new TensorCodecError(
        "DATA_LENGTH_MISMATCH",
        `Tensor ${t}: shape [${tensor.shape.join(", ")}] needs ${count} elements but data has ${tensor.data.length}; ` +
          "fix the shape or the data.",
      );
    }
    size += TENSOR_HEADER_LENGTH + 4 * tensor.shape.length + tensor.data.length * layout.width;
    return layout;
  });

  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[3] = VERSION;
  out[4] = tensors.length;
  let offset = HEADER_LENGTH;
  tensors.forEach((tensor, t) => {
    const layout = layouts[t] as Layout;
    out[offset] = tensor.dtype;
    out[offset + 1] = tensor.decimals;
    out[offset + 2] = tensor.shape.length;
    offset += TENSOR_HEADER_LENGTH;
    for (const dim of tensor.shape) {
      view.setUint32(offset, dim, false);
      offset += 4;
    }
    for (let i = 0; i < tensor.data.length; i++) {
      writeElement(view, offset, tensor, layout, tensor.data[i], t, i);
      offset += layout.width;
    }
  });
  return out;
}

/**
 * Decodes and validates a canonical encoding v1 with the same rules as the Solidity `TensorCodec.decode`.
 * @throws {TensorCodecError} on any deviation from the format.
 */
export function decodeTensors(bytes: Uint8Array): TensorData[] {
  const length = bytes.length;
  if (length < HEADER_LENGTH) throw truncated(HEADER_LENGTH, length);
  if (bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1] || bytes[2] !== MAGIC[2]) {
    throw new TensorCodecError(
      "BAD_MAGIC",
      `Bytes do not start with "OPG" (got 0x${hex(bytes.subarray(0, 3))}): this is not an OPG tensor encoding.`,
    );
  }
  const version = bytes[3] as number;
  if (version !== VERSION) {
    throw new TensorCodecError(
      "UNSUPPORTED_VERSION",
      `Encoding version ${version} is not supported (only ${VERSION}): upgrade the codec or re-encode with v${VERSION}.`,
    );
  }
  const count = bytes[4] as number;
  if (count < 1 || count > MAX_TENSORS) {
    throw new TensorCodecError("BAD_TENSOR_COUNT", `Tensor count ${count} is outside 1..${MAX_TENSORS}.`);
  }

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tensors: TensorData[] = [];
  let offset = HEADER_LENGTH;
  for (let t = 0; t < count; t++) {
    if (offset + TENSOR_HEADER_LENGTH > length) throw truncated(offset + TENSOR_HEADER_LENGTH, length);
    const dtypeCode = bytes[offset] as number;
    const decimals = bytes[offset + 1] as number;
    const rank = bytes[offset + 2] as number;
    const layout = layoutOf(dtypeCode, t);
    const dtype = dtypeCode as DType;
    if (decimals !== 0 && dtype !== DType.FIXED64) throw decimalsOnNonFixed(t, dtype, decimals);
    if (rank > MAX_RANK) throw rankTooHigh(t, rank);
    offset += TENSOR_HEADER_LENGTH;

    if (offset + 4 * rank > length) throw truncated(offset + 4 * rank, length);
    const shape: number[] = [];
    for (let d = 0; d < rank; d++) {
      shape.push(view.getUint32(offset, false));
      offset += 4;
    }
    const elements = elementCount(shape);
    const needed = BigInt(offset) + elements * BigInt(layout.width);
    if (needed > BigInt(length)) throw truncated(needed, length);
    const n = Number(elements);

    tensors.push({ dtype, decimals, shape, data: readElements(view, offset, n, dtype, layout) });
    offset += n * layout.width;
  }
  if (offset !== length) {
    throw new TensorCodecError(
      "TRAILING_BYTES",
      `${length - offset} trailing byte(s) after the last tensor (used ${offset} of ${length}): ` +
        "the encoding is corrupt or was concatenated; re-encode it.",
    );
  }
  return tensors;
}

/**
 * Canonical fixed-point value of `x` with `decimals` decimals: round half away from zero of the IEEE-754 double
 * product `x * 10^decimals` (10^decimals being the double nearest to it), saturated to the int64 range.
 * @throws {TensorCodecError} `NAN` for NaN (the worker must post an error result), `BAD_DECIMALS` for decimals
 *   outside 0..255.
 */
export function toFixed64(x: number, decimals: number): bigint {
  checkDecimals(decimals, "toFixed64");
  if (Number.isNaN(x)) {
    throw new TensorCodecError(
      "NAN",
      "The model produced NaN, which has no canonical fixed-point value: post an error result for this request.",
    );
  }
  const scale = Number(`1e${decimals}`); // correctly rounded, unlike Math.pow for large exponents
  const product = x * scale;
  if (product >= TWO_POW_63) return INT64_MAX; // also +Infinity
  if (product < -TWO_POW_63) return INT64_MIN; // also -Infinity
  const truncated = Math.trunc(product);
  const fraction = product - truncated; // exact in IEEE-754
  let rounded = BigInt(truncated);
  if (fraction >= 0.5) rounded += 1n;
  else if (fraction <= -0.5) rounded -= 1n;
  if (rounded > INT64_MAX) return INT64_MAX;
  if (rounded < INT64_MIN) return INT64_MIN;
  return rounded;
}

/**
 * Canonicalises model outputs: FLOAT and DOUBLE tensors become FIXED64 with `decimals` (via {@link toFixed64});
 * integer and BOOL tensors are kept; FIXED64 tensors must already carry `decimals`.
 * @throws {TensorCodecError} for NaN elements or a FIXED64 tensor with other decimals.
 */
export function canonicalizeOutputs(outputs: readonly TensorData[], decimals: number): TensorData[] {
  checkDecimals(decimals, "canonicalizeOutputs");
  return outputs.map((tensor, t) => {
    const layout = layoutOf(tensor.dtype, t);
    if (tensor.dtype === DType.FIXED64 && tensor.decimals !== decimals) {
      throw new TensorCodecError(
        "BAD_DECIMALS",
        `Output tensor ${t} is FIXED64 with ${tensor.decimals} decimals but the model declares ${decimals}: ` +
          "convert it from the float output instead.",
      );
    }
    if (layout.kind !== "float") return { ...tensor, shape: [...tensor.shape], data: copyData(tensor.data) };
    const data = tensor.data.map((value: number | bigint | boolean, i: number) => {
      if (typeof value !== "number") throw badElement(t, i, tensor.dtype, value, "a number");
      return toFixed64(value, decimals);
    });
    return { dtype: DType.FIXED64, decimals, shape: [...tensor.shape], data };
  });
}

/** `canonicalizeOutputs` then `encodeTensors`: the bytes a worker posts and hashes. */
export function encodeCanonicalOutputs(outputs: readonly TensorData[], decimals: number): Uint8Array {
  return encodeTensors(canonicalizeOutputs(outputs, decimals));
}

// ------------------------------------------------------------------------------------------------ internals

function layoutOf(dtype: number, t: number): Layout {
  const layout = LAYOUTS.get(dtype);
  if (layout === undefined) {
    throw new TensorCodecError(
      "UNKNOWN_DTYPE",
      `Tensor ${t}: dtype ${dtype} is not defined by encoding v${VERSION}; use one of ` +
        `${[...DTYPE_LABELS.entries()].map(([code, name]) => `${name}=${code}`).join(", ")}.`,
    );
  }
  return layout;
}

function checkHeader(tensor: TensorData, t: number): Layout {
  const layout = layoutOf(tensor.dtype, t);
  checkDecimals(tensor.decimals, `tensor ${t}`);
  if (tensor.decimals !== 0 && tensor.dtype !== DType.FIXED64) {
    throw decimalsOnNonFixed(t, tensor.dtype, tensor.decimals);
  }
  if (tensor.shape.length > MAX_RANK) throw rankTooHigh(t, tensor.shape.length);
  tensor.shape.forEach((dim, d) => {
    if (!Number.isInteger(dim) || dim < 0 || dim > MAX_DIM) {
      throw new TensorCodecError(
        "BAD_DIMENSION",
        `Tensor ${t}: dimension ${d} is ${dim}; dimensions are integers in 0..${MAX_DIM}.`,
      );
    }
  });
  return layout;
}

function checkDecimals(decimals: number, where: string): void {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 255) {
    throw new TensorCodecError("BAD_DECIMALS", `${where}: decimals must be an integer in 0..255, got ${decimals}.`);
  }
}

function elementCount(shape: readonly number[]): bigint {
  return shape.reduce((product, dim) => product * BigInt(dim), 1n);
}

function writeElement(
  view: DataView,
  offset: number,
  tensor: TensorData,
  layout: Layout,
  value: bigint | number | boolean | undefined,
  t: number,
  i: number,
): void {
  const { dtype } = tensor;
  if (layout.kind === "bool") {
    if (typeof value !== "boolean") throw badElement(t, i, dtype, value, "a boolean");
    view.setUint8(offset, value ? 1 : 0);
    return;
  }
  if (layout.kind === "float") {
    if (typeof value !== "number") throw badElement(t, i, dtype, value, "a number");
    if (dtype === DType.FLOAT) view.setFloat32(offset, value, false);
    else view.setFloat64(offset, value, false);
    return;
  }
  let big: bigint;
  if (typeof value === "bigint") big = value;
  else if (typeof value === "number" && Number.isSafeInteger(value)) big = BigInt(value);
  else throw badElement(t, i, dtype, value, "a bigint or a safe integer number");
  const bits = BigInt(8 * layout.width);
  const min = layout.signed ? -(1n << (bits - 1n)) : 0n;
  const max = layout.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  if (big < min || big > max) {
    throw new TensorCodecError(
      "BAD_ELEMENT",
      `Tensor ${t} element ${i}: ${big} does not fit ${dtypeLabel(dtype)} (${min}..${max}); ` +
        "use a wider dtype or clamp the value.",
    );
  }
  const unsigned = BigInt.asUintN(Number(bits), big);
  for (let b = layout.width - 1; b >= 0; b--) {
    view.setUint8(offset + (layout.width - 1 - b), Number((unsigned >> BigInt(8 * b)) & 0xffn));
  }
}

function readElements(
  view: DataView,
  offset: number,
  n: number,
  dtype: DType,
  layout: Layout,
): bigint[] | number[] | boolean[] {
  if (layout.kind === "bool") {
    const out: boolean[] = [];
    for (let i = 0; i < n; i++) {
      const byte = view.getUint8(offset + i);
      if (byte > 1) {
        throw new TensorCodecError(
          "INVALID_BOOL",
          `BOOL byte at offset ${offset + i} is ${byte}; BOOL elements are 0x00 or 0x01: the encoding is corrupt.`,
        );
      }
      out.push(byte === 1);
    }
    return out;
  }
  if (layout.kind === "float") {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      out.push(
        dtype === DType.FLOAT
          ? view.getFloat32(offset + i * layout.width, false)
          : view.getFloat64(offset + i * layout.width, false),
      );
    }
    return out;
  }
  const out: bigint[] = [];
  const bits = 8 * layout.width;
  for (let i = 0; i < n; i++) {
    let raw = 0n;
    const start = offset + i * layout.width;
    for (let b = 0; b < layout.width; b++) raw = (raw << 8n) | BigInt(view.getUint8(start + b));
    out.push(layout.signed ? BigInt.asIntN(bits, raw) : raw);
  }
  return out;
}

function copyData(data: bigint[] | number[] | boolean[]): bigint[] | number[] | boolean[] {
  return data.slice() as bigint[] | number[] | boolean[];
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function truncated(needed: number | bigint, length: number): TensorCodecError {
  return new TensorCodecError(
    "TRUNCATED",
    `Encoding truncated: needs at least ${needed} bytes, has ${length}; fetch or copy the complete bytes.`,
  );
}

function decimalsOnNonFixed(t: number, dtype: number, decimals: number): TensorCodecError {
  return new TensorCodecError(
    "DECIMALS_ON_NON_FIXED",
    `Tensor ${t}: ${dtypeLabel(dtype)} has decimals ${decimals}; only FIXED64 carries decimals, set them to 0.`,
  );
}

function rankTooHigh(t: number, rank: number): TensorCodecError {
  return new TensorCodecError(
    "RANK_TOO_HIGH",
    `Tensor ${t}: rank ${rank} exceeds ${MAX_RANK}; reshape the tensor to at most ${MAX_RANK} dimensions.`,
  );
}

function badElement(t: number, i: number, dtype: number, value: unknown, expected: string): TensorCodecError {
  return new TensorCodecError(
    "BAD_ELEMENT",
    `Tensor ${t} element ${i}: ${dtypeLabel(dtype)} expects ${expected}, got ${typeof value} (${String(value)}).`,
  );
}
