/**
 * Fetches a request input passed by URI and checks it against the keccak256 hash the requester committed to on
 * chain. Used by workers and verifiers; whatever the source, bytes that do not match the hash are never returned.
 *
 * Sources: `http(s)://` (an input store, see store.ts, or any web server; plain `http:` is accepted for any host
 * because the hash, not the transport, is what makes the bytes trustworthy), `ipfs://<cid>` through an HTTP
 * gateway, and `file:` (a path on this machine: only for a requester and a worker that share it).
 */
import { readFile } from "node:fs/promises";

import { ethers } from "ethers";

import { describeFetchFailure } from "./failure.js";

/** Largest input a node fetches by URI (the store's default limit is the same). */
export const MAX_FETCHED_INPUT_BYTES = 16 * 1024 * 1024;

export interface FetchInputOptions {
  /** Largest input accepted, in bytes. Default {@link MAX_FETCHED_INPUT_BYTES}. */
  maxBytes?: number;
  /** Timeout of one download attempt, headers and body, in milliseconds. Default 30 000. */
  timeoutMs?: number;
  /** Attempts for a download that failed with a network error or a 5xx answer. Default 3. */
  attempts?: number;
  /** `fetch` implementation (tests, proxies). Default: the global `fetch`. */
  fetchImpl?: typeof fetch;
}

/** Base class of input fetch errors: the input could not be obtained, or not the committed bytes. */
export class InputFetchError extends Error {
  override readonly name: string = "InputFetchError";

  constructor(
    readonly uri: string,
    reason: string,
    /** Whether trying again later may succeed (network errors, 5xx answers), unlike a 404 or a hash mismatch. */
    readonly retryable = false,
  ) {
    super(`input ${uri}: ${reason}`);
  }
}

/** The source served other bytes than the requester committed to (`inputHash`). They were discarded. */
export class InputHashMismatchError extends InputFetchError {
  override readonly name = "InputHashMismatchError";

  constructor(
    uri: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(uri, `does not match its hash: expected ${expected}, got ${actual}; the bytes were discarded`);
  }
}

/** Fetches an input passed by URI and checks it against the keccak256 hash the requester committed to. */
export async function fetchInput(
  uri: string,
  expectedKeccak: string,
  ipfsGateway?: string,
  options: FetchInputOptions = {},
): Promise<Uint8Array> {
  const maxBytes = options.maxBytes ?? MAX_FETCHED_INPUT_BYTES;
  let bytes: Uint8Array;
  if (uri.startsWith("file:")) {
    bytes = await readLocal(uri);
  } else if (uri.startsWith("https://") || uri.startsWith("http://")) {
    bytes = await download(uri, uri, maxBytes, options);
  } else if (uri.startsWith("ipfs://")) {
    if (ipfsGateway === undefined || ipfsGateway === "") {
      throw new InputFetchError(uri, "is on IPFS: configure an IPFS gateway (--ipfs-gateway)");
    }
    const url = `${ipfsGateway.replace(/\/$/, "")}/ipfs/${uri.slice("ipfs://".length)}`;
    bytes = await download(uri, url, maxBytes, options);
  } else {
    throw new InputFetchError(uri, "URI scheme not supported (use https:, http:, ipfs:// or file:)");
  }
  if (bytes.length > maxBytes) throw new InputFetchError(uri, `is larger than ${maxBytes} bytes`);
  const actual = ethers.keccak256(bytes);
  if (actual !== expectedKeccak.toLowerCase()) throw new InputHashMismatchError(uri, expectedKeccak, actual);
  return bytes;
}

async function readLocal(uri: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(new URL(uri.startsWith("file://") ? uri : `file://${uri.slice(5)}`)));
  } catch (error) {
    throw new InputFetchError(uri, `cannot be read on this machine (${(error as Error).message})`);
  }
}

/** GET with a size limit enforced while reading, and retries for failures that may pass (network, 5xx). */
async function download(uri: string, url: string, maxBytes: number, options: FetchInputOptions): Promise<Uint8Array> {
  const attempts = Math.max(1, options.attempts ?? 3);
  const fetchImpl = options.fetchImpl ?? fetch;
  let last: InputFetchError | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, 250 * 4 ** (attempt - 2)));
    let response: Response;
    try {
      response = await fetchImpl(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 30_000) });
    } catch (error) {
      last = new InputFetchError(uri, `GET ${url} failed: ${describeFetchFailure(error)}`, true);
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      last = new InputFetchError(uri, `GET ${url} answered ${response.status}`, response.status >= 500);
      if (response.status >= 500) continue;
      throw last;
    }
    const declared = Number(response.headers.get("content-length") ?? NaN);
    if (declared > maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw new InputFetchError(uri, `is ${declared} bytes, larger than ${maxBytes}`);
    }
    try {
      return await readLimited(uri, response, maxBytes);
    } catch (error) {
      if (error instanceof InputFetchError) throw error;
      last = new InputFetchError(uri, `GET ${url} broke off: ${describeFetchFailure(error)}`, true);
    }
  }
  throw last ?? new InputFetchError(uri, `GET ${url} failed`);
}

async function readLimited(uri: string, response: Response, maxBytes: number): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new InputFetchError(uri, `is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
