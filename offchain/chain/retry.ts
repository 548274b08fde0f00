/**
 * Retries with exponential backoff and jitter, and the classification of RPC errors into "transient" (retry the
 * same call later) and everything else. Browser-safe: no Node-only APIs.
 */

export interface RetryOptions {
  /** Retries after the first attempt (0: call once). */
  retries: number;
  /** Delay before the first retry; doubles per retry. */
  baseDelayMs: number;
  /** Upper bound of one delay. */
  maxDelayMs: number;
  /** Whether `error` is worth another attempt; default {@link isTransientRpcError}. */
  isRetryable?: (error: unknown) => boolean;
  /** Called before each retry's delay (logging, metrics). `attempt` counts from 1 (the first retry). */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Aborts the delay between attempts (and prevents further attempts). */
  signal?: AbortSignal;
  /** Source of jitter in [0, 1); default `Math.random` (tests pass a seeded one). */
  random?: () => number;
}

/** Every attempt failed with a retryable error. `cause` is the last error. */
export class RetriesExhaustedError extends Error {
  override readonly name = "RetriesExhaustedError";

  constructor(
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(
      `Still failing after ${attempts} attempts: ${describeError(cause)}. ` +
        "The RPC endpoint is unreachable, overloaded or rate-limiting: check it (or configure a fallback) and restart.",
      { cause },
    );
  }
}

/** The retry loop was aborted through its `AbortSignal`. */
export class RetryAbortedError extends Error {
  override readonly name = "RetryAbortedError";

  constructor(override readonly cause: unknown) {
    super("Retry aborted (shutdown requested) before the call succeeded.", { cause });
  }
}

/**
 * Sane defaults for RPC calls: 5 retries, 600 ms doubling to at most 5 s. The first delay (300–600 ms) outlasts
 * ethers' 250 ms request cache, which would otherwise hand a quick retry the same failed promise.
 */
export const DEFAULT_RPC_RETRY: Pick<RetryOptions, "retries" | "baseDelayMs" | "maxDelayMs"> = {
  retries: 5,
  baseDelayMs: 600,
  maxDelayMs: 5_000,
};

/**
 * The delay before retry number `attempt` (1-based): `min(maxDelayMs, baseDelayMs * 2^(attempt-1))`, with "equal
 * jitter" — uniformly drawn from the upper half, so retries of many clients spread out but never collapse to 0.
 */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number, random: () => number): number {
  const exponential = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

/** Resolves after `ms`, or rejects with {@link RetryAbortedError} when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new RetryAbortedError(signal.reason));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new RetryAbortedError(signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Calls `fn` until it resolves, retrying errors that `isRetryable` accepts (default: transient RPC errors) up to
 * `retries` times with exponential backoff and jitter. A non-retryable error is rethrown as is, at once; when the
 * retries run out, {@link RetriesExhaustedError} carries the last error as `cause`.
 */
export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const isRetryable = opts.isRetryable ?? isTransientRpcError;
  const random = opts.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    if (opts.signal?.aborted) throw new RetryAbortedError(opts.signal.reason);
    try {
      return await fn();
    } catch (error) {
      if (!isRetryable(error)) throw error;
      if (attempt >= opts.retries) throw new RetriesExhaustedError(attempt + 1, error);
      const delayMs = backoffDelay(attempt + 1, opts.baseDelayMs, opts.maxDelayMs, random);
      opts.onRetry?.(error, attempt + 1, delayMs);
      await sleep(delayMs, opts.signal);
    }
  }
}

// ------------------------------------------------------------------------------------------------- classification

/** ethers v6 error codes of a failed transport or an overloaded node. */
const TRANSIENT_ETHERS_CODES = new Set(["NETWORK_ERROR", "TIMEOUT", "SERVER_ERROR"]);
/** Node.js / undici socket error codes. */
const TRANSIENT_SYSTEM_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);
/** JSON-RPC codes: -32005 limit exceeded (EIP-1474); HTTP-ish 429 and 5xx some gateways put in `code`. */
const TRANSIENT_RPC_CODES = new Set([-32005, 429, 500, 502, 503, 504]);
const TRANSIENT_MESSAGE =
  /timeout|timed out|rate limit|too many requests|\b429\b|\b50[234]\b|bad gateway|service unavailable|gateway timeout|econnreset|econnrefused|socket hang up|network error|fetch failed|connection (?:reset|refused|closed)|header not found|limit exceeded|temporarily unavailable|try again/i;
/** Errors the transaction sender handles itself (nonce and replacement bookkeeping), never blind retries. */
const SENDER_HANDLED_MESSAGE =
  /nonce too low|nonce has already been used|nonce expired|replacement (?:transaction )?underpriced|replacement fee too low|already known|known transaction/i;
const SENDER_HANDLED_CODES = new Set(["NONCE_EXPIRED", "REPLACEMENT_UNDERPRICED", "TRANSACTION_REPLACED"]);
/** Definitive failures: retrying cannot help. */
const PERMANENT_ETHERS_CODES = new Set([
  "INSUFFICIENT_FUNDS",
  "INVALID_ARGUMENT",
  "MISSING_ARGUMENT",
  "UNEXPECTED_ARGUMENT",
  "NUMERIC_FAULT",
  "UNSUPPORTED_OPERATION",
  "ACTION_REJECTED",
  "BAD_DATA",
  "UNCONFIGURED_NAME",
]);

/**
 * True when `error` is a transport failure, a timeout, rate limiting (429, -32005) or a 5xx from the node — the
 * same call may succeed later. False for reverts (a `CALL_EXCEPTION` with revert data), insufficient funds,
 * malformed calls, and the nonce / replacement errors ("nonce too low", "replacement underpriced", "already
 * known") that the transaction sender resolves itself. Looks through ethers' wrappers (`error`, `info.error`,
 * `cause`), because ethers reports a failed `eth_call` / `eth_estimateGas` transport as a data-less
 * `CALL_EXCEPTION` holding the original error.
 */
export function isTransientRpcError(error: unknown): boolean {
  return classify(error) === "transient";
}

/** True for the nonce / replacement errors a sender resolves by resyncing its nonce or keeping its bumped tx. */
export function isNonceError(error: unknown): boolean {
  return collectErrors(error).some(
    (e) =>
      (typeof e.code === "string" && (e.code === "NONCE_EXPIRED" || e.code === "TRANSACTION_REPLACED")) ||
      /nonce too low|nonce has already been used|nonce expired/i.test(e.message ?? ""),
  );
}

/** True for "replacement transaction underpriced" and "already known" (the same tx is already in the pool). */
export function isReplacementError(error: unknown): boolean {
  return collectErrors(error).some(
    (e) =>
      e.code === "REPLACEMENT_UNDERPRICED" ||
      /replacement (?:transaction )?underpriced|replacement fee too low|already known|known transaction/i.test(
        e.message ?? "",
      ),
  );
}

/** A short, single-line description of any thrown value, without a trailing full stop. */
export function describeError(error: unknown): string {
  let text: string;
  if (error instanceof Error) {
    const short = (error as { shortMessage?: unknown }).shortMessage;
    text = (typeof short === "string" ? short : error.message).split("\n")[0] ?? error.name;
  } else if (typeof error === "object" && error !== null && "message" in error) {
    text = String(error.message);
  } else {
    text = String(error);
  }
  return text.replace(/[.\s]+$/, "");
}

/** Every message in `error`'s wrapper chain, joined — for pattern matching on node-specific texts. */
export function errorText(error: unknown): string {
  return collectErrors(error)
    .map((e) => e.message ?? "")
    .filter((m) => m.length > 0)
    .join(" | ");
}

interface ErrorLike {
  code?: unknown;
  message?: string;
  /** HTTP status, when the transport reported one. */
  status?: number;
  data?: unknown;
}

function httpStatus(record: Record<string, unknown>): number | undefined {
  if (typeof record.status === "number") return record.status;
  if (typeof record.statusCode === "number") return record.statusCode;
  const info = record.info;
  if (typeof info === "object" && info !== null) {
    // ethers' SERVER_ERROR carries `info.responseStatus` such as "429 Too Many Requests".
    const responseStatus = (info as Record<string, unknown>).responseStatus;
    if (typeof responseStatus === "string") {
      const parsed = Number.parseInt(responseStatus, 10);
      if (Number.isFinite(parsed)) return parsed;
    }
  }
  return undefined;
}

/** `error` and the errors it wraps (ethers `error`/`info.error`, `cause`), outermost first. */
function collectErrors(error: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): void => {
    if (typeof value !== "object" || value === null || seen.has(value) || depth > 6) return;
    seen.add(value);
    const record = value as Record<string, unknown>;
    out.push({
      code: record.code,
      message: typeof record.message === "string" ? record.message : undefined,
      status: httpStatus(record),
      data: record.data,
    });
    visit(record.error, depth + 1);
    visit(record.cause, depth + 1);
    const info = record.info;
    if (typeof info === "object" && info !== null) visit((info as Record<string, unknown>).error, depth + 1);
  };
  visit(error, 0);
  return out;
}

function classify(error: unknown): "transient" | "permanent" {
  const chain = collectErrors(error);
  if (chain.length === 0) return "permanent";
  // Sender-handled and revert errors win over anything transient-looking deeper in the chain.
  for (const e of chain) {
    if (typeof e.code === "string" && SENDER_HANDLED_CODES.has(e.code)) return "permanent";
    if (SENDER_HANDLED_MESSAGE.test(e.message ?? "")) return "permanent";
    if (typeof e.data === "string" && e.data.length > 2 && e.data.startsWith("0x")) return "permanent"; // revert data
  }
  for (const e of chain) {
    if (e.status !== undefined) return e.status === 429 || e.status >= 500 ? "transient" : "permanent";
    if (typeof e.code === "string") {
      if (TRANSIENT_ETHERS_CODES.has(e.code) || TRANSIENT_SYSTEM_CODES.has(e.code)) return "transient";
      if (PERMANENT_ETHERS_CODES.has(e.code)) return "permanent";
    }
    if (typeof e.code === "number" && TRANSIENT_RPC_CODES.has(e.code)) return "transient";
    if (TRANSIENT_MESSAGE.test(e.message ?? "")) return "transient";
  }
  return "permanent";
}
