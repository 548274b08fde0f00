/**
 * Uploads a request input to an input store (store.ts) and returns what the request carries: the URI workers fetch
 * and the keccak256 they check. The hash is computed here, not taken from the store, and the store's answer must
 * name that same address.
 */
import { ethers } from "ethers";

import { describeFetchFailure } from "./failure.js";

/** The input could not be stored: the message says why and what to do. */
export class InputUploadError extends Error {
  override readonly name = "InputUploadError";

  constructor(
    readonly storeUrl: string,
    reason: string,
  ) {
    super(`input store ${storeUrl}: ${reason}`);
  }
}

export interface UploadOptions {
  /** Timeout of the upload, in milliseconds. Default 60 000. */
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

/** Stores `bytes` at `storeUrl` (e.g. `http://127.0.0.1:8790`); returns the input URI and its keccak256. */
export async function uploadInput(
  storeUrl: string,
  bytes: Uint8Array,
  options: UploadOptions = {},
): Promise<{ uri: string; hash: string }> {
  const base = storeUrl.replace(/\/+$/, "");
  if (!/^https?:\/\//.test(base))
    throw new InputUploadError(storeUrl, "the store URL must start with http:// or https://");
  const hash = ethers.keccak256(bytes);
  let response: Response;
  try {
    response = await (options.fetchImpl ?? fetch)(`${base}/inputs/${hash}`, {
      method: "PUT",
      headers: { "content-type": "application/octet-stream" },
      body: bytes,
      signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
    });
  } catch (error) {
    throw new InputUploadError(
      storeUrl,
      `unreachable (${describeFetchFailure(error)}): start one with \`npx hardhat store\`, or point --store / OPG_STORE_URL at a running one`,
    );
  }
  const text = await response.text();
  let body: { address?: unknown; uri?: unknown; error?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // not a store: reported below
  }
  if (!response.ok) {
    const reason = typeof body.error === "string" ? body.error : text.slice(0, 200);
    throw new InputUploadError(storeUrl, `refused the input (${response.status}): ${reason}`);
  }
  if (typeof body.uri !== "string" || typeof body.address !== "string") {
    throw new InputUploadError(
      storeUrl,
      `answered ${response.status} without an address and a URI: is it an input store?`,
    );
  }
  if (body.address.toLowerCase() !== hash) {
    throw new InputUploadError(storeUrl, `stored the input under ${body.address}, not under its keccak256 ${hash}`);
  }
  return { uri: body.uri, hash };
}
