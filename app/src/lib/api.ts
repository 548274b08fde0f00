/**
 * The app server's HTTP API (offchain/app/server.ts): configuration, registered models, tokenizers, the
 * observatory's statistics and the local faucet. Every error is `{ error: "<one line>" }` with a 4xx/5xx status;
 * JSON bigints are decimal strings.
 */
import { ethers } from "ethers";

import type { DeploymentAddresses } from "../../../offchain/chain/contracts.js";
import type { TokenizerSource } from "../../../offchain/client/generation.js";
import type { ModelSummary } from "../../../offchain/app/models.js";

// ------------------------------------------------------------------------------------------------ types

export type WalletConfig = { kind: "local"; mnemonic: string; accountIndex: number } | { kind: "injected" };

export interface AppConfig {
  chainId: string;
  addresses: DeploymentAddresses;
  network: string;
  local: boolean;
  wallet: WalletConfig;
}

/** `GET /api/models`: the server's summary of each registered model (one type on both sides). */
export type ApiModel = ModelSummary;
export type ModelKindName = ModelSummary["kind"];
export type ModeName = ModelSummary["mode"];

/** `GET /api/observatory`: the indexer's statistics (their JSON form, see lib/observatory.ts) and its position. */
export interface ObservatoryResponse {
  stats: unknown;
  syncedBlock: number;
  head: number;
  confirmations: number;
}

/** The server answered with an error (its one-line message), or not at all. */
export class ApiError extends Error {
  override readonly name = "ApiError";

  constructor(
    readonly path: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

// ------------------------------------------------------------------------------------------------ requests

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(path, 0, `the app server is unreachable (${(error as Error).message}): is \`npm run app\` up?`);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(path, response.status, `${path} answered ${response.status} with something else than JSON`);
  }
  if (!response.ok) {
    const message = (body as { error?: unknown }).error;
    throw new ApiError(path, response.status, typeof message === "string" ? message : `${path}: ${response.status}`);
  }
  return body as T;
}

export const getConfig = (): Promise<AppConfig> => call<AppConfig>("/api/config");

export const getModels = (): Promise<ApiModel[]> => call<ApiModel[]>("/api/models");

export const getObservatory = (windowSeconds: number): Promise<ObservatoryResponse> =>
  call<ObservatoryResponse>(`/api/observatory?window=${windowSeconds}`);

/** Sends OPG and gas money to `to` (local network only); returns the transaction hashes. */
export const requestFaucet = (to: string): Promise<{ txHashes: string[] }> =>
  call<{ txHashes: string[] }>("/api/faucet", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ to }),
  });

// ------------------------------------------------------------------------------------------------ tokenizers

/** 0x-prefixed lower-case sha256 of `bytes`: Web Crypto where the page is a secure context, else ethers' own. */
async function sha256Hex(bytes: Uint8Array): Promise<string> {
  if (globalThis.crypto?.subtle === undefined) return ethers.sha256(bytes);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return ethers.hexlify(digest);
}

/**
 * The `OpgClient` tokenizer source of the browser: the registered tokenizer.json by its sha256 from the app server,
 * refused unless its bytes hash to the registered sha256 (the server is not trusted for them).
 */
export const serverTokenizerSource: TokenizerSource = async (uri, sha256) => {
  const path = `/api/tokenizers/${sha256}`;
  let response: Response;
  try {
    response = await fetch(path);
  } catch (error) {
    throw new ApiError(path, 0, `tokenizer ${uri} could not be fetched: ${(error as Error).message}`);
  }
  if (!response.ok) {
    const text = await response.text();
    let message = `tokenizer ${uri}: the server answered ${response.status}`;
    try {
      const error = (JSON.parse(text) as { error?: unknown }).error;
      if (typeof error === "string") message = `tokenizer ${uri}: ${error}`;
    } catch {
      // not JSON: keep the status
    }
    throw new ApiError(path, response.status, message);
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const actual = await sha256Hex(bytes);
  if (actual !== sha256.toLowerCase()) {
    throw new ApiError(path, response.status, `tokenizer ${uri}: sha256 is ${actual}, the registry says ${sha256}`);
  }
  return bytes;
};
