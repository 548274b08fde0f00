/**
 * Error results, version 1 (see docs/TENSOR_ENCODING.md, "Error results").
 *
 * When a request cannot produce a canonical output (its input does not decode or does not fit the model, the runtime
 * fails, or the model yields NaN/Infinity), the worker posts these bytes instead of an output, and verifiers that
 * re-execute reach the same bytes. They are hashed like an output: `resultHash = keccak256(error result bytes)`.
 *
 * Format: the ASCII text `OPG-ERROR/1:<CODE>` with no terminator, where `<CODE>` is one of {@link ERROR_CODES}; the
 * input errors (INPUT_DECODE, INPUT_SCHEMA) append `:<detail>` — which input, expected versus got — because that
 * text is a pure function of the request's input and the model's declared inputs, so every verifier derives the
 * same bytes and checks the detail like the rest of the result. The detail is printable ASCII (other characters
 * become `?`), at most {@link MAX_DETAIL_BYTES} bytes (longer text is cut, ending in `...`). Other codes post no
 * detail: runtime messages differ between machines and versions. The fourth byte is `-` (0x2d), never the tensor
 * encoding's version byte 0x01, so an error result can never be read as a tensor encoding and vice versa.
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

/** Longest detail an error result carries. */
export const MAX_DETAIL_BYTES = 240;

/** Codes whose detail is deterministic, and therefore posted. */
const DETAILED: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["INPUT_DECODE", "INPUT_SCHEMA"]);

/** A decoded error result. */
export interface ErrorResult {
  code: ErrorCode;
  /** The posted detail, or null (codes without detail, or none given). */
  detail: string | null;
}

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
 * The canonical error result bytes for `code`: `OPG-ERROR/1:<CODE>`, plus `:<detail>` for the input errors when a
 * detail is given (ignored for the other codes, whose details are not deterministic).
 * @throws {UnknownErrorCodeError} for a code outside {@link ERROR_CODES} (only reachable from untyped callers).
 */
export function encodeErrorResult(code: ErrorCode, detail?: string): Uint8Array {
  if (!isErrorCode(code)) throw new UnknownErrorCodeError(code);
  const posted = detail !== undefined && detail !== "" && DETAILED.has(code) ? `:${canonicalDetail(detail)}` : "";
  return new TextEncoder().encode(ERROR_RESULT_PREFIX + code + posted);
}

/** Printable ASCII only, at most {@link MAX_DETAIL_BYTES}: what {@link encodeErrorResult} posts for `detail`. */
export function canonicalDetail(detail: string): string {
  const ascii = Array.from(detail, (c) => (c >= " " && c <= "~" ? c : "?")).join("");
  return ascii.length <= MAX_DETAIL_BYTES ? ascii : `${ascii.slice(0, MAX_DETAIL_BYTES - 3)}...`;
}

/**
 * The code and detail of an error result, or `null` when `bytes` are not exactly an error result v1 (a tensor
 * encoding, another version, an unknown code, a detail on a code that takes none, or a detail outside the canonical
 * form).
 */
export function decodeErrorResultDetail(bytes: Uint8Array): ErrorResult | null {
  const prefixLength = ERROR_RESULT_PREFIX.length;
  if (bytes.length <= prefixLength || bytes.length > prefixLength + 32 + 1 + MAX_DETAIL_BYTES) return null;
  for (let i = 0; i < prefixLength; i++) {
    if (bytes[i] !== ERROR_RESULT_PREFIX.charCodeAt(i)) return null;
  }
  let code = "";
  let i = prefixLength;
  for (; i < bytes.length && bytes[i] !== 0x3a; i++) {
    const byte = bytes[i] as number;
    // Codes are upper-case ASCII letters and underscores; anything else (including non-ASCII) is not an error result.
    if (!((byte >= 0x41 && byte <= 0x5a) || byte === 0x5f)) return null;
    code += String.fromCharCode(byte);
  }
  if (!isErrorCode(code)) return null;
  if (i === bytes.length) return { code, detail: null };
  if (!DETAILED.has(code)) return null;
  let detail = "";
  for (i++; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (byte < 0x20 || byte > 0x7e) return null;
    detail += String.fromCharCode(byte);
  }
  if (detail === "" || canonicalDetail(detail) !== detail || detail.length > MAX_DETAIL_BYTES) return null;
  return { code, detail };
}

/** The code of an error result, or `null` when `bytes` are not exactly an error result v1. */
export function decodeErrorResult(bytes: Uint8Array): ErrorCode | null {
  return decodeErrorResultDetail(bytes)?.code ?? null;
}

/** Whether `bytes` are an error result v1. */
export function isErrorResult(bytes: Uint8Array): boolean {
  return decodeErrorResultDetail(bytes) !== null;
}
