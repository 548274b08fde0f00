/**
 * Error results, version 1 (see docs/TENSOR_ENCODING.md, "Error results").
 *
 * When a request cannot produce a canonical output (its input does not decode or does not fit the model, the runtime
 * fails, or the model yields NaN/Infinity), the worker posts these bytes instead of an output, and verifiers that
 * re-execute reach the same bytes. They are hashed like an output: `resultHash = keccak256(error result bytes)`.
 *
 * Format: the ASCII/UTF-8 text `OPG-ERROR/1:<CODE>` with no terminator, where `<CODE>` is one of {@link ERROR_CODES}.
 * The fourth byte is `-` (0x2d), never the tensor encoding's version byte 0x01, so an error result can never be read as
 * a tensor encoding and vice versa. Only the code is posted: runtime messages differ between machines and versions.
 */

/** Why a request has an error result instead of an output. */
export type ErrorCode =
  | "INPUT_DECODE"
  | "INPUT_SCHEMA"
  | "INPUT_FETCH"
  | "MODEL_LOAD"
  | "MODEL_RUNTIME"
  | "OUTPUT_INVALID"
  | "OUTPUT_TOO_LARGE";

/** Every error code of version 1, in a fixed order. */
export const ERROR_CODES: readonly ErrorCode[] = [
  "INPUT_DECODE",
  "INPUT_SCHEMA",
  "INPUT_FETCH", // input by URI: unreachable, too large, or not matching its committed hash
  "MODEL_LOAD", // the registered model cannot be served (external data, unsupported opset or dtype, corrupt graph)
  "MODEL_RUNTIME",
  "OUTPUT_INVALID",
  "OUTPUT_TOO_LARGE", // the canonical output exceeds the hub's maxOutputBytes
];

/** The text every error result v1 starts with. */
export const ERROR_RESULT_PREFIX = "OPG-ERROR/1:";

/** Thrown by {@link encodeErrorResult} for a code that is not part of version 1. */
export class UnknownErrorCodeError extends Error {
  override readonly name = "UnknownErrorCodeError";

  constructor(readonly code: string) {
    super(`"${code}" is not an error result code; use one of ${ERROR_CODES.join(", ")}.`);
  }
}

/** Whether `value` is an {@link ErrorCode}. */
export function isErrorCode(value: string): value is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(value);
}

/**
 * The canonical error result bytes for `code`: UTF-8 `OPG-ERROR/1:<CODE>`.
 * @throws {UnknownErrorCodeError} for a code outside {@link ERROR_CODES} (only reachable from untyped callers).
 */
export function encodeErrorResult(code: ErrorCode): Uint8Array {
  if (!isErrorCode(code)) throw new UnknownErrorCodeError(code);
  return new TextEncoder().encode(ERROR_RESULT_PREFIX + code);
}

/**
 * The code of an error result, or `null` when `bytes` are not exactly an error result v1 (a tensor encoding, another
 * version, an unknown code, or trailing bytes).
 */
export function decodeErrorResult(bytes: Uint8Array): ErrorCode | null {
  const prefixLength = ERROR_RESULT_PREFIX.length;
  if (bytes.length <= prefixLength || bytes.length > prefixLength + 32) return null;
  for (let i = 0; i < prefixLength; i++) {
    if (bytes[i] !== ERROR_RESULT_PREFIX.charCodeAt(i)) return null;
  }
  let code = "";
  for (let i = prefixLength; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    // Codes are upper-case ASCII letters and underscores; anything else (including non-ASCII) is not an error result.
    if (!((byte >= 0x41 && byte <= 0x5a) || byte === 0x5f)) return null;
    code += String.fromCharCode(byte);
  }
  return isErrorCode(code) ? code : null;
}

/** Whether `bytes` are an error result v1. */
export function isErrorResult(bytes: Uint8Array): boolean {
  return decodeErrorResult(bytes) !== null;
}
