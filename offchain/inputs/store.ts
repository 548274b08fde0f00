/**
 * The input store: a small content-addressed HTTP store for request inputs too large for calldata (and, later, chat
 * prompts). A requester uploads bytes, the store answers with their address — the keccak256 of the bytes, which is
 * exactly the `inputHash` the hub records — and a URI under which any worker, on any machine, fetches them and checks
 * them against that hash. The store is not trusted: a worker never uses bytes whose keccak256 differs.
 *
 * HTTP API (JSON errors `{ "error": "…" }`):
 * - `POST /inputs` or `PUT /inputs` with the bytes as body → 201 (new) or 200 (already held)
 *   `{ "address": "0x…", "uri": "http://…/inputs/0x…", "size": n }`;
 * - `PUT /inputs/<0x keccak256>` → the same, after checking the body hashes to that address (422 if not);
 * - `GET` / `HEAD /inputs/<0x keccak256>` → the bytes (`application/octet-stream`), 404 when not held;
 * - `GET /health` → `{ "ok": true, "maxBytes": n }`.
 * Bodies above `maxBytes` are refused with 413 before anything is written.
 *
 * On disk: `<dir>/<first two hex digits>/<64 hex digits>`, written to `<dir>/tmp/` first and renamed into place, so a
 * crash never leaves a partial entry under a final name (leftovers in tmp/ are removed at start). Entries are
 * re-hashed when served: a corrupted file is removed and answered 404, never served.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";

import { ethers } from "ethers";

import type { Logger } from "../node/logger.js";
import { MAX_FETCHED_INPUT_BYTES } from "./fetch.js";

export const DEFAULT_STORE_DIR = ".opg/store";
export const DEFAULT_STORE_HOST = "127.0.0.1";
export const DEFAULT_STORE_PORT = 8790;
/** Same as the largest input a node fetches: a larger one could be stored but never served to a worker. */
export const DEFAULT_STORE_MAX_BYTES = MAX_FETCHED_INPUT_BYTES;

const ADDRESS = /^0x[0-9a-f]{64}$/;

// ------------------------------------------------------------------------------------------------ errors

export class InputStoreError extends Error {
  override readonly name: string = "InputStoreError";
}

/** The bytes are larger than the store accepts. Nothing was written. */
export class InputTooLargeError extends InputStoreError {
  override readonly name = "InputTooLargeError";

  constructor(
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super(
      `input is ${size} bytes, above this store's limit of ${maxBytes} bytes (start the store with a larger --max-bytes)`,
    );
  }
}

/** The bytes do not hash to the address they were uploaded under. Nothing was written. */
export class InputAddressMismatchError extends InputStoreError {
  override readonly name = "InputAddressMismatchError";

  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`the uploaded bytes hash to ${actual}, not to the address ${expected} they were uploaded under`);
  }
}

// ------------------------------------------------------------------------------------------------ disk layer

/** Content-addressed files under one directory, addressed by the keccak256 of their bytes. */
export class InputStore {
  readonly #tmp: string;

  constructor(
    readonly dir: string,
    readonly maxBytes: number = DEFAULT_STORE_MAX_BYTES,
  ) {
    this.#tmp = path.join(dir, "tmp");
  }

  /** The address of `bytes`: their keccak256, as the hub records it for an input by URI. */
  static address(bytes: Uint8Array): string {
    return ethers.keccak256(bytes);
  }

  /** Whether `value` is an address (0x + 64 lower- or upper-case hex digits). */
  static isAddress(value: string): boolean {
    return ADDRESS.test(value.toLowerCase());
  }

  /** Creates the directory and removes partial writes a crash left behind. */
  async open(): Promise<this> {
    await rm(this.#tmp, { recursive: true, force: true });
    await mkdir(this.#tmp, { recursive: true });
    return this;
  }

  /**
   * Stores `bytes` (atomically: temp file + rename) and returns their address. With `expected`, the bytes must hash
   * to it. Storing bytes already held changes nothing (`created` false).
   */
  async put(bytes: Uint8Array, expected?: string): Promise<{ address: string; size: number; created: boolean }> {
    if (bytes.length > this.maxBytes) throw new InputTooLargeError(bytes.length, this.maxBytes);
    const address = InputStore.address(bytes);
    if (expected !== undefined && expected.toLowerCase() !== address) {
      throw new InputAddressMismatchError(expected.toLowerCase(), address);
    }
    const file = this.#file(address);
    if (await exists(file)) return { address, size: bytes.length, created: false };
    await mkdir(path.dirname(file), { recursive: true });
    const temp = path.join(this.#tmp, `${address.slice(2, 18)}-${randomBytes(6).toString("hex")}.part`);
    try {
      await writeFile(temp, bytes, { flush: true });
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { address, size: bytes.length, created: true };
  }

  /** The bytes held under `address`, or null. A corrupted entry (other bytes than its name) is removed: null. */
  async get(address: string): Promise<Uint8Array | null> {
    if (!InputStore.isAddress(address)) return null;
    const file = this.#file(address.toLowerCase());
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
    if (InputStore.address(bytes) !== address.toLowerCase()) {
      await rm(file, { force: true });
      return null;
    }
    return bytes;
  }

  /** Whether `address` is held (without re-hashing it). */
  async has(address: string): Promise<boolean> {
    return InputStore.isAddress(address) && exists(this.#file(address.toLowerCase()));
  }

  #file(address: string): string {
    return path.join(this.dir, address.slice(2, 4), address.slice(2));
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------------------------------------ HTTP server

export interface InputStoreOptions {
  /** Where the bytes are kept (created when missing). Default `.opg/store` under the working directory. */
  dir?: string;
  /** Interface to listen on. Default 127.0.0.1 (this machine only); `0.0.0.0` for workers on other machines. */
  host?: string;
  /** Port; 0 picks a free one. Default 8790. */
  port?: number;
  /** Largest input accepted, in bytes. Default 16 MiB (the largest a node fetches). */
  maxBytes?: number;
  /**
   * Base URL put into the URIs the store hands out, as workers reach it (e.g. `https://inputs.example.org`).
   * Default `http://<host>:<port>` (with 127.0.0.1 for a wildcard host: set this when workers are remote).
   */
  publicUrl?: string;
  logger?: Logger;
}

export interface RunningInputStore {
  /** Where this machine reaches the store, e.g. `http://127.0.0.1:8790`. */
  url: string;
  /** The base of the URIs handed out. */
  publicUrl: string;
  port: number;
  store: InputStore;
  /** The URI of `address` (what a request carries as `inputUri`). */
  uriFor(address: string): string;
  close(): Promise<void>;
}

/** Starts the store's HTTP server; resolves once it listens. */
export async function startInputStore(options: InputStoreOptions = {}): Promise<RunningInputStore> {
  const store = await new InputStore(
    path.resolve(options.dir ?? DEFAULT_STORE_DIR),
    options.maxBytes ?? DEFAULT_STORE_MAX_BYTES,
  ).open();
  const host = options.host ?? DEFAULT_STORE_HOST;
  const logger = options.logger;
  let publicUrl = "";
  const uriFor = (address: string) => `${publicUrl}/inputs/${address.toLowerCase()}`;

  const server = createServer((req, res) => {
    handle(store, uriFor, req, res).catch((error: unknown) => {
      logger?.error("store.failed", { method: req.method, url: req.url, error: (error as Error).message });
      if (!res.headersSent) sendJson(res, 500, { error: `store failed: ${(error as Error).message}` });
      else res.destroy();
    });
  });
  server.on("clientError", (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? DEFAULT_STORE_PORT, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const local = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  const url = `http://${local.includes(":") ? `[${local}]` : local}:${port}`;
  publicUrl = (options.publicUrl ?? "").replace(/\/+$/, "") || url;
  logger?.info("store.listening", { url, publicUrl, dir: store.dir, maxBytes: store.maxBytes });
  return {
    url,
    publicUrl,
    port,
    store,
    uriFor,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}

async function handle(
  store: InputStore,
  uriFor: (address: string) => string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { pathname } = new URL(req.url ?? "/", "http://store");
  const method = req.method ?? "GET";
  if (pathname === "/health") {
    if (method !== "GET" && method !== "HEAD") return refuseMethod(res, "GET, HEAD");
    return sendJson(res, 200, { ok: true, maxBytes: store.maxBytes });
  }
  if (pathname === "/inputs" || pathname === "/inputs/") {
    if (method !== "POST" && method !== "PUT") return refuseMethod(res, "POST, PUT");
    return upload(store, uriFor, req, res);
  }
  if (!pathname.startsWith("/inputs/"))
    return sendJson(res, 404, { error: `no such endpoint ${pathname}: use /inputs` });
  const address = pathname.slice("/inputs/".length);
  if (!InputStore.isAddress(address)) {
    return sendJson(res, 400, { error: `"${address}" is not an input address (0x followed by 64 hex digits)` });
  }
  if (method === "PUT") return upload(store, uriFor, req, res, address);
  if (method !== "GET" && method !== "HEAD") return refuseMethod(res, "GET, HEAD, PUT");
  const bytes = await store.get(address);
  if (bytes === null) return sendJson(res, 404, { error: `input ${address.toLowerCase()} is not held by this store` });
  res.writeHead(200, {
    "content-type": "application/octet-stream",
    "content-length": bytes.length,
    etag: `"${address.toLowerCase()}"`,
    "cache-control": "public, max-age=31536000, immutable",
    // Content-addressed public bytes: any page may read them (the web app's explorer checks them against the hash).
    "access-control-allow-origin": "*",
  });
  res.end(method === "HEAD" ? undefined : bytes);
}

async function upload(
  store: InputStore,
  uriFor: (address: string) => string,
  req: IncomingMessage,
  res: ServerResponse,
  expected?: string,
): Promise<void> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > store.maxBytes) return refuseTooLarge(req, res, new InputTooLargeError(declared, store.maxBytes));
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > store.maxBytes) return refuseTooLarge(req, res, new InputTooLargeError(size, store.maxBytes));
    chunks.push(chunk);
  }
  try {
    const { address, created } = await store.put(new Uint8Array(Buffer.concat(chunks)), expected);
    sendJson(res, created ? 201 : 200, { address, uri: uriFor(address), size });
  } catch (error) {
    if (error instanceof InputAddressMismatchError) return sendJson(res, 422, { error: error.message });
    if (error instanceof InputTooLargeError) return sendJson(res, 413, { error: error.message });
    throw error;
  }
}

/** Answers 413 and closes the connection (the rest of the body is not read). */
function refuseTooLarge(req: IncomingMessage, res: ServerResponse, error: InputTooLargeError): void {
  res.setHeader("connection", "close");
  sendJson(res, 413, { error: error.message });
  res.on("finish", () => req.destroy());
}

function refuseMethod(res: ServerResponse, allow: string): void {
  res.setHeader("allow", allow);
  sendJson(res, 405, { error: `method not allowed here: use ${allow}` });
}

function sendJson(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
