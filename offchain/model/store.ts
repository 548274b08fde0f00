/**
 * Fetches registered ONNX models by URI and checks them against the registry's sha256 before anything uses them.
 *
 * Sources: `file:` (absolute `file:///x` or `file:models/x.onnx` relative to `baseDir`), `https:` (`http:` only for
 * 127.0.0.1 / localhost), and `ipfs://<cid>[/path]` through an HTTP gateway (`${gateway}/ipfs/<cid>/path`).
 *
 * Verified bytes are cached as `cacheDir/<sha256 hex>.onnx` (temp file + rename, so a crash never leaves a partial
 * entry under the final name). A cache hit is served by hash without touching the URI, after re-hashing the file; a
 * corrupted entry is deleted and fetched again. Bytes whose hash differs from the registry's are never returned.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

// ------------------------------------------------------------------------------------------------ types

export interface ModelStoreOptions {
  /** Directory of verified models (created when missing). */
  cacheDir: string;
  /** Directory that relative `file:` URIs are resolved against. Default: the process working directory. */
  baseDir?: string;
  /** IPFS HTTP gateway for `ipfs://` URIs, e.g. `https://ipfs.io` (no trailing `/ipfs`). No default. */
  ipfsGateway?: string;
  /** `fetch` implementation (tests, proxies). Default: the global `fetch`. */
  fetchImpl?: typeof fetch;
  /** Timeout of one HTTP download, headers and body, in milliseconds. Default 60 000. */
  timeoutMs?: number;
  /** Largest model accepted, in bytes. Default 512 MiB. */
  maxBytes?: number;
  /** Called as a download proceeds (bytes so far; the declared size or null), for progress displays. */
  onDownload?: (uri: string, received: number, total: number | null) => void;
}

/** A verified model: its bytes and the cache file holding them. */
export interface StoredModel {
  bytes: Uint8Array;
  path: string;
}

/** Base class of every model store error. */
export class ModelStoreError extends Error {
  override readonly name: string = "ModelStoreError";
}

/** The fetched bytes are not the registered model. They were discarded. */
export class ModelHashMismatchError extends ModelStoreError {
  override readonly name = "ModelHashMismatchError";

  constructor(
    readonly uri: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `The model at ${uri} has sha256 ${actual} but the registry expects ${expected}; the bytes were discarded. ` +
        "The source serves other content than was registered: do not serve this model; the owner must fix the " +
        "content or the URI (ModelRegistry.setUri).",
    );
  }
}

/** The URI cannot be fetched by this store (scheme, plain http to a remote host, malformed, no gateway). */
export class UnsupportedModelUriError extends ModelStoreError {
  override readonly name = "UnsupportedModelUriError";

  constructor(
    readonly uri: string,
    reason: string,
  ) {
    super(`Cannot fetch model URI "${uri}": ${reason}`);
  }
}

/** Fetching failed. `retryable` says whether trying again later may help (timeouts, 5xx, network errors). */
export class ModelFetchError extends ModelStoreError {
  override readonly name = "ModelFetchError";

  constructor(
    readonly uri: string,
    readonly retryable: boolean,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Fetching model ${uri} failed: ${reason}. ` +
        (retryable
          ? "This may be temporary: retry later, or check the network/gateway."
          : "Retrying will not help: the owner must fix the URI or its content."),
      options,
    );
  }
}

/** A store option or a registry hash is malformed. */
export class ModelStoreConfigError extends ModelStoreError {
  override readonly name = "ModelStoreConfigError";
}

// ------------------------------------------------------------------------------------------------ store

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;
const LOCAL_HOSTS: ReadonlySet<string> = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Fetches, verifies and caches model bytes. */
export class ModelStore {
  readonly #cacheDir: string;
  readonly #baseDir: string;
  readonly #gateway: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #onDownload: ModelStoreOptions["onDownload"];
  readonly #inFlight = new Map<string, Promise<StoredModel>>();

  constructor(options: ModelStoreOptions) {
    if (options.cacheDir.length === 0) throw new ModelStoreConfigError("cacheDir is empty; set a writable directory.");
    this.#cacheDir = path.resolve(options.cacheDir);
    this.#baseDir = path.resolve(options.baseDir ?? process.cwd());
    this.#timeoutMs = positiveInteger(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, "timeoutMs");
    this.#maxBytes = positiveInteger(options.maxBytes ?? DEFAULT_MAX_BYTES, "maxBytes");
    this.#onDownload = options.onDownload;
    this.#fetch = options.fetchImpl ?? globalThis.fetch;
    if (options.ipfsGateway !== undefined) {
      const gateway = options.ipfsGateway.replace(/\/+$/, "");
      const problem = httpUrlProblem(gateway);
      if (problem !== null) throw new ModelStoreConfigError(`ipfsGateway "${options.ipfsGateway}": ${problem}.`);
      this.#gateway = gateway;
    }
  }

  /** The cache file for `sha256` (0x-hex), whether or not it exists. */
  cachePath(expectedSha256: string): string {
    return path.join(this.#cacheDir, `${hashHex(expectedSha256)}.onnx`);
  }

  /**
   * The verified bytes of the model registered with `uri` and `expectedSha256` (the registry's `contentHash`).
   * @throws {ModelHashMismatchError} when the source's bytes have another hash (nothing is returned or cached).
   * @throws {UnsupportedModelUriError} for a URI this store cannot fetch.
   * @throws {ModelFetchError} when reading or downloading fails (see `retryable`).
   * @throws {ModelStoreConfigError} for a malformed `expectedSha256`.
   */
  async get(uri: string, expectedSha256: string): Promise<StoredModel> {
    const hex = hashHex(expectedSha256);
    const key = `${hex} ${uri}`;
    let pending = this.#inFlight.get(key);
    if (pending === undefined) {
      pending = this.#get(uri, hex).finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, pending);
    }
    const stored = await pending;
    // Concurrent callers share one fetch; each gets its own copy of the bytes.
    return { bytes: stored.bytes.slice(), path: stored.path };
  }

  async #get(uri: string, hex: string): Promise<StoredModel> {
    const cached = await this.#readCache(hex);
    if (cached !== null) return cached;
    const source = this.#resolve(uri);
    const bytes = source.kind === "file" ? await readLocal(uri, source.path) : await this.#download(uri, source.url);
    const actual = sha256Hex(bytes);
    if (actual !== hex) throw new ModelHashMismatchError(uri, `0x${hex}`, `0x${actual}`);
    const file = await this.#writeCache(hex, bytes);
    return { bytes, path: file };
  }

  async #readCache(hex: string): Promise<StoredModel | null> {
    const file = path.join(this.#cacheDir, `${hex}.onnx`);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(file));
    } catch (error) {
      if (isErrno(error, "ENOENT")) return null;
      throw new ModelFetchError(file, true, `the cache file cannot be read (${errorMessage(error)})`, { cause: error });
    }
    if (sha256Hex(bytes) === hex) return { bytes, path: file };
    await rm(file, { force: true }); // corrupted entry: drop it and fetch again
    return null;
  }

  async #writeCache(hex: string, bytes: Uint8Array): Promise<string> {
    const file = path.join(this.#cacheDir, `${hex}.onnx`);
    const temp = path.join(this.#cacheDir, `.${hex}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
    try {
      await mkdir(this.#cacheDir, { recursive: true });
      await writeFile(temp, bytes, { flag: "wx" });
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw new ModelStoreConfigError(
        `Cannot write the model cache ${file} (${errorMessage(error)}): make cacheDir writable and check free space.`,
        { cause: error },
      );
    }
    return file;
  }

  #resolve(uri: string): { kind: "file"; path: string } | { kind: "http"; url: string } {
    const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
    if (scheme === "file") return { kind: "file", path: this.#filePath(uri) };
    if (scheme === "https" || scheme === "http") {
      const problem = httpUrlProblem(uri);
      if (problem !== null) throw new UnsupportedModelUriError(uri, `${problem}.`);
      return { kind: "http", url: uri };
    }
    if (scheme === "ipfs") return { kind: "http", url: this.#gatewayUrl(uri) };
    throw new UnsupportedModelUriError(
      uri,
      `${scheme === undefined ? "no scheme" : `scheme "${scheme}:"`} is not supported; ` +
        "register the model under file:, https: or ipfs://.",
    );
  }

  #filePath(uri: string): string {
    if (uri.toLowerCase().startsWith("file://")) {
      try {
        return fileURLToPath(uri);
      } catch (error) {
        throw new UnsupportedModelUriError(
          uri,
          `it is not a local absolute file URL (${errorMessage(error)}); use file:///absolute/path.`,
        );
      }
    }
    const relative = decodePath(uri, uri.slice("file:".length));
    if (relative.length === 0 || path.isAbsolute(relative)) {
      throw new UnsupportedModelUriError(
        uri,
        "use file:///absolute/path or file:relative/path (relative to the store's baseDir).",
      );
    }
    const resolved = path.resolve(this.#baseDir, relative);
    if (resolved !== this.#baseDir && !resolved.startsWith(this.#baseDir + path.sep)) {
      throw new UnsupportedModelUriError(
        uri,
        `the relative path leaves the store's baseDir ${this.#baseDir}; keep models under it or use file:///.`,
      );
    }
    return resolved;
  }

  #gatewayUrl(uri: string): string {
    const rest = uri.slice("ipfs://".length);
    if (!uri.toLowerCase().startsWith("ipfs://") || /[?#]/.test(rest)) {
      throw new UnsupportedModelUriError(
        uri,
        "IPFS URIs have the form ipfs://<cid>[/path], without query or fragment.",
      );
    }
    const slash = rest.indexOf("/");
    const cid = slash < 0 ? rest : rest.slice(0, slash);
    const subPath = slash < 0 ? "" : rest.slice(slash);
    if (!/^[A-Za-z0-9]+$/.test(cid)) {
      throw new UnsupportedModelUriError(uri, `"${cid}" is not a CID; IPFS URIs have the form ipfs://<cid>[/path].`);
    }
    if (subPath.split("/").some((segment) => segment === ".." || segment === ".")) {
      throw new UnsupportedModelUriError(uri, "the path must not contain . or .. segments.");
    }
    if (this.#gateway === undefined) {
      throw new UnsupportedModelUriError(
        uri,
        "no IPFS gateway is configured; set ipfsGateway (e.g. https://ipfs.io or a local node's http://127.0.0.1:8080).",
      );
    }
    return `${this.#gateway}/ipfs/${cid}${subPath}`;
  }

  async #download(uri: string, url: string): Promise<Uint8Array> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#timeoutMs);
    const timedOut = (): ModelFetchError =>
      new ModelFetchError(uri, true, `no complete answer from ${url} within ${this.#timeoutMs} ms`);
    try {
      let response: Response;
      try {
        response = await this.#fetch(url, { signal: controller.signal, redirect: "follow" });
      } catch (error) {
        if (controller.signal.aborted) throw timedOut();
        throw new ModelFetchError(uri, true, `cannot reach ${url} (${errorMessage(error)})`, { cause: error });
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined);
        const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
        throw new ModelFetchError(uri, retryable, `${url} answered HTTP ${response.status} ${response.statusText}`);
      }
      const declared = Number(response.headers.get("content-length") ?? "NaN");
      if (Number.isFinite(declared) && declared > this.#maxBytes) {
        await response.body?.cancel().catch(() => undefined);
        throw this.#tooLarge(uri, declared);
      }
      try {
        return await this.#readBody(uri, response, Number.isFinite(declared) ? declared : null);
      } catch (error) {
        if (error instanceof ModelStoreError) throw error;
        if (controller.signal.aborted) throw timedOut();
        throw new ModelFetchError(uri, true, `the download from ${url} broke off (${errorMessage(error)})`, {
          cause: error,
        });
      }
    } finally {
      clearTimeout(timer);
    }
  }

  async #readBody(uri: string, response: Response, declared: number | null): Promise<Uint8Array> {
    if (response.body === null) return new Uint8Array(0);
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > this.#maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw this.#tooLarge(uri, total);
      }
      chunks.push(value);
      this.#onDownload?.(uri, total, declared);
    }
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return bytes;
  }

  #tooLarge(uri: string, size: number): ModelFetchError {
    return new ModelFetchError(
      uri,
      false,
      `the model is larger than maxBytes (${size} > ${this.#maxBytes}); raise maxBytes if this model is expected`,
    );
  }
}

// ------------------------------------------------------------------------------------------------ internals

/** Lower-case hex of the sha256 of `bytes`, without 0x. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function hashHex(expectedSha256: string): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(expectedSha256)) {
    throw new ModelStoreConfigError(
      `Expected hash "${expectedSha256}" is not a 0x-prefixed sha256 (64 hex digits); pass the registry's contentHash.`,
    );
  }
  return expectedSha256.slice(2).toLowerCase();
}

async function readLocal(uri: string, file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (error) {
    const permanent = isErrno(error, "ENOENT") || isErrno(error, "EISDIR") || isErrno(error, "ENOTDIR");
    throw new ModelFetchError(uri, !permanent, `cannot read ${file} (${errorMessage(error)})`, { cause: error });
  }
}

/** Why `url` is not an acceptable HTTP(S) source, or null. */
function httpUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "it is not a valid URL";
  }
  if (parsed.protocol === "https:") return null;
  if (parsed.protocol === "http:") {
    return LOCAL_HOSTS.has(parsed.hostname)
      ? null
      : `plain http is only allowed for 127.0.0.1/localhost, not ${parsed.hostname}; use https`;
  }
  return `scheme ${parsed.protocol} is not http(s)`;
}

function decodePath(uri: string, encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new UnsupportedModelUriError(uri, "the path has an invalid %-escape.");
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ModelStoreConfigError(`${name} is ${value}; set a positive integer.`);
  }
  return value;
}

function isErrno(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
