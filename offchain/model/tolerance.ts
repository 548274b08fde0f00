/**
 * Compares a verifier's own result with a worker's posted result, element by element within the model's tolerance
 * (PROTOCOL.md, "Results and determinism"): equal bytes are not required, a last-digit float difference is not a
 * dispute, and a hash match alone is never the criterion.
 */
import { encodeTensors, decodeTensors, DType, dtypeLabel, type TensorData } from "../codec/tensor.js";
import { decodeErrorResult } from "./errorResult.js";

/** Verdict of {@link compareOutputs}. */
export interface Comparison {
  /** Whether the posted result is acceptable. */
  agree: boolean;
  /** Why, for logs and dispute evidence: the first difference found, or what matched. */
  reason: string;
  /** Largest absolute difference over all compared integer/FIXED64 elements (0 when none were compared). */
  maxAbsDiff: bigint;
}

/** The verifier's own result (or the tolerance) is unusable: a local bug or misconfiguration, not the worker's fault. */
export class ComparisonInputError extends Error {
  override readonly name = "ComparisonInputError";
}

/**
 * Whether `posted` agrees with `expected` (the verifier's re-execution) within `tolerance`, in units of
 * 10^-decimals (the registry's `tolerance`).
 *
 * - Error results agree only with an error result of the same code; an error result never agrees with an output.
 * - Outputs must have the same tensor count, and per tensor the same dtype, decimals and shape.
 * - FIXED64 and integer elements agree when `|expected − posted| <= tolerance`; BOOL elements must be equal.
 * - FLOAT/DOUBLE never appear in canonical outputs: a posted float tensor disagrees.
 * - Posted bytes that are neither a valid encoding nor an error result disagree.
 * @throws {ComparisonInputError} when `tolerance` is negative or `expected` is neither a canonical output nor an
 *   error result.
 */
export function compareOutputs(expected: Uint8Array, posted: Uint8Array, tolerance: bigint): Comparison {
  if (tolerance < 0n) {
    throw new ComparisonInputError(`tolerance is ${tolerance}; pass the model's registered tolerance (>= 0).`);
  }
  const expectedError = decodeErrorResult(expected);
  const postedError = decodeErrorResult(posted);
  if (expectedError !== null || postedError !== null) {
    if (expectedError === postedError) {
      // Same code: the bytes (and so any detail: which input, expected vs got) must be identical too.
      if (sameBytes(expected, posted)) return verdict(true, `both are error results ${expectedError}`, 0n);
      return verdict(false, `both are error results ${expectedError}, with a different detail`, 0n);
    }
    if (expectedError === null) return verdict(false, `posted error result ${postedError}, expected an output`, 0n);
    if (postedError === null) {
      return verdict(false, `posted an output or invalid bytes, expected error result ${expectedError}`, 0n);
    }
    return verdict(false, `posted error result ${postedError}, expected error result ${expectedError}`, 0n);
  }

  let mine: TensorData[];
  try {
    mine = decodeTensors(expected);
  } catch (error) {
    throw new ComparisonInputError(
      `The verifier's own result does not decode (${error instanceof Error ? error.message : String(error)}): ` +
        "this is a local bug; do not vote on this request and report it.",
      { cause: error },
    );
  }
  mine.forEach((tensor, t) => {
    if (tensor.dtype === DType.FLOAT || tensor.dtype === DType.DOUBLE) {
      throw new ComparisonInputError(
        `The verifier's own result has a ${dtypeLabel(tensor.dtype)} tensor (${t}); canonicalise outputs with ` +
          "encodeCanonicalOutputs before comparing.",
      );
    }
  });

  let theirs: TensorData[];
  try {
    theirs = decodeTensors(posted);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return verdict(false, `posted bytes are neither a tensor encoding nor an error result: ${why}`, 0n);
  }
  if (theirs.length !== mine.length) {
    return verdict(false, `posted ${theirs.length} tensor(s), expected ${mine.length}`, 0n);
  }
  for (let t = 0; t < mine.length; t++) {
    const a = mine[t] as TensorData;
    const b = theirs[t] as TensorData;
    if (a.dtype !== b.dtype) {
      return verdict(false, `tensor ${t}: posted dtype ${dtypeLabel(b.dtype)}, expected ${dtypeLabel(a.dtype)}`, 0n);
    }
    if (a.decimals !== b.decimals) {
      return verdict(false, `tensor ${t}: posted ${b.decimals} decimals, expected ${a.decimals}`, 0n);
    }
    if (a.shape.length !== b.shape.length || a.shape.some((dim, d) => dim !== b.shape[d])) {
      return verdict(false, `tensor ${t}: posted shape [${b.shape.join(", ")}], expected [${a.shape.join(", ")}]`, 0n);
    }
  }

  let maxAbsDiff = 0n;
  let firstDifference: string | null = null;
  for (let t = 0; t < mine.length; t++) {
    const a = mine[t] as TensorData;
    const b = theirs[t] as TensorData;
    if (a.dtype === DType.BOOL) {
      const xs = a.data as boolean[];
      const ys = b.data as boolean[];
      const i = xs.findIndex((x, k) => x !== ys[k]);
      if (i >= 0 && firstDifference === null) {
        firstDifference = `tensor ${t} element ${i}: posted ${String(ys[i])}, expected ${String(xs[i])} (BOOL is exact)`;
      }
      continue;
    }
    const xs = a.data as bigint[];
    const ys = b.data as bigint[];
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i] as bigint;
      const y = ys[i] as bigint;
      const diff = x > y ? x - y : y - x;
      if (diff > maxAbsDiff) maxAbsDiff = diff;
      if (diff > tolerance && firstDifference === null) {
        firstDifference = `tensor ${t} element ${i}: posted ${y}, expected ${x}, difference ${diff} > tolerance ${tolerance}`;
      }
    }
  }
  if (firstDifference !== null) return verdict(false, firstDifference, maxAbsDiff);
  return verdict(true, `all elements within tolerance ${tolerance} (max difference ${maxAbsDiff})`, maxAbsDiff);
}

function verdict(agree: boolean, reason: string, maxAbsDiff: bigint): Comparison {
  return { agree, reason, maxAbsDiff };
}

/**
 * Shifts the first element of the first integer or FIXED64 tensor of a canonical output by `delta` (saturating).
 * Used by tests and by the demo's deliberately cheating worker; honest nodes never call it.
 */
export function perturbOutput(output: Uint8Array, delta: bigint): Uint8Array {
  const tensors = decodeTensors(output);
  const target = tensors.find((t) => t.data.length > 0 && typeof t.data[0] === "bigint");
  if (target === undefined) return output;
  const data = [...(target.data as bigint[])];
  const max = (1n << 63n) - 1n;
  const first = data[0] ?? 0n;
  data[0] = first + delta > max ? first - delta : first + delta;
  target.data = data;
  return encodeTensors(tensors);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
