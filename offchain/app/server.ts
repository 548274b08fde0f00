/**
 * The web app's server (`npm run app`, also started by `npm run network`): serves the built single-page app
 * (`app/dist`), a same-origin JSON-RPC proxy to the chain, the small API the pages need, and the OpenAI-style chat
 * API. The pages do the rest in the browser with the repository's client (offchain/client): requests, records,
 * hash checks.
 *
 *   GET  /api/config                 chain, addresses, wallet kind (local: the development mnemonic and an account)
 *   GET  /api/models                 every registered model (offchain/app/models.ts)
 *   GET  /api/tokenizers/<sha256>    a registered tokenizer.json, fetched by its URI and checked against its sha256
 *   GET  /api/observatory?window=s   network health from the persistent SQLite indexer (caught up on each call),
 *                                    in the JSON form of `network:stats --json`
 *   POST /api/faucet {to}            local network only: OPG and gas money for an account
 *   POST /rpc                        JSON-RPC, forwarded to the chain
 *   GET  /v1/models, POST /v1/chat/completions   the OpenAI-style API (offchain/app/openai.ts)
 *
 * Every API error is one line: `{ "error": "…" }` (OpenAI's shape under /v1).
 */
import { readFile, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

import { ethers, type Signer } from "ethers";

import { OpgClient } from "../client/client.js";
import { connectContracts, type DeploymentAddresses } from "../chain/contracts.js";
import { defaultIndexerDbFile } from "../indexer/db.js";
import { PersistentIndexer } from "../indexer/persistent.js";
import { statsToJson } from "../indexer/report.js";
import { ModelStore, ModelStoreError } from "../model/store.js";
import type { Logger } from "../node/logger.js";
import { cachedModels } from "./models.js";
import { ApiError, chatCompletion, listModels } from "./openai.js";

export interface AppServerOptions {
  /** The chain's JSON-RPC URL (the proxy forwards to it). */
  rpcUrl: string;
  addresses: DeploymentAddresses;
  /** Shown in the app ("localhost", "sepolia", …). */
  network: string;
  /** The built app (`app/dist`). */
  staticDir: string;
  /** The project root: `.opg/indexer` (the database `network:stats` shares) and `.opg/app` live under it. */
  root: string;
  port: number;
  host?: string;
  logger: Logger;
  /** Local network: the browser's wallet is this account of the development mnemonic. Else an injected wallet. */
  localWallet?: { mnemonic: string; accountIndex: number };
  /** Pays for `/v1/chat/completions` requests; without one the API says how to configure it. */
  apiSigner?: Signer;
  /** Local network: sends OPG from the supply for the faucet button. */
  faucetSigner?: Signer;
  /** Events of the newest blocks the observatory treats as tentative (the indexer's reorg depth). Default 12. */
  confirmations?: number;
  /** Seconds an API request waits for its inference to be final. Default 600. */
  apiTimeoutSeconds?: number;
}

export interface AppServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".wasm": "application/wasm",
};
const FAUCET_OPG = ethers.parseEther("100");
const GAS_MONEY = ethers.parseEther("10");
const MAX_BODY_BYTES = 1 << 20;

/** A client mistake: answered with its status and one line. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startAppServer(options: AppServerOptions): Promise<AppServer> {
  const { addresses, logger } = options;
  const provider = new ethers.JsonRpcProvider(options.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
  const contracts = connectContracts(addresses, provider);
  const models = cachedModels(contracts.registry);
  const tokenizers = new ModelStore({
    cacheDir: path.join(options.root, ".opg", "app", "tokenizers"),
    baseDir: options.root,
  });
  const indexer = await PersistentIndexer.open(contracts, {
    file: defaultIndexerDbFile(options.root, addresses.chainId, addresses.hub),
    startBlock: addresses.fromBlock,
    confirmations: options.confirmations ?? 12,
  });
  let syncing: Promise<unknown> | undefined;
  const catchUp = () => {
    // One sync at a time; callers arriving during a sync share it.
    syncing ??= indexer.sync().finally(() => (syncing = undefined));
    return syncing;
  };
  let faucetQueue: Promise<unknown> = Promise.resolve();
  const apiClient =
    options.apiSigner === undefined ? null : new OpgClient(addresses, options.apiSigner.connect(provider));
  let origin = "";

  const api = async (req: IncomingMessage, url: URL): Promise<unknown> => {
    const route = `${req.method} ${url.pathname}`;
    if (route === "GET /api/config") {
      return {
        chainId: addresses.chainId,
        addresses,
        network: options.network,
        local: options.localWallet !== undefined,
        wallet: options.localWallet === undefined ? { kind: "injected" } : { kind: "local", ...options.localWallet },
      };
    }
    if (route === "GET /api/models") return models();
    if (req.method === "GET" && url.pathname.startsWith("/api/tokenizers/")) {
      return tokenizer(url.pathname.slice("/api/tokenizers/".length));
    }
    if (route === "GET /api/observatory") {
      const window = Number(url.searchParams.get("window") ?? "3600");
      if (!Number.isSafeInteger(window) || window < 1)
        throw new HttpError(400, "window must be a whole number of seconds");
      await catchUp();
      const head = await provider.getBlockNumber();
      return {
        // The same JSON form as `network:stats --json` (offchain/indexer/report.ts).
        stats: statsToJson(indexer.stats({ windowSeconds: window })),
        syncedBlock: indexer.syncedBlock,
        head,
        confirmations: options.confirmations ?? 12,
      };
    }
    if (route === "POST /api/faucet") return faucet(await readJson(req));
    throw new HttpError(404, `no such endpoint: ${route}`);
  };

  const tokenizer = async (hash: string): Promise<Uint8Array> => {
    if (!/^0x[0-9a-fA-F]{64}$/.test(hash))
      throw new HttpError(400, "the tokenizer is named by its sha256 (0x + 64 hex digits)");
    const model = (await models()).find((m) => m.tokenizerHash.toLowerCase() === hash.toLowerCase());
    if (model === undefined) throw new HttpError(404, `no registered model has tokenizer ${hash}`);
    try {
      return (await tokenizers.get(model.tokenizerUri, model.tokenizerHash)).bytes;
    } catch (error) {
      if (error instanceof ModelStoreError)
        throw new HttpError(502, `the tokenizer cannot be fetched: ${error.message}`);
      throw error;
    }
  };

  const faucet = async (body: unknown): Promise<unknown> => {
    const signer = options.faucetSigner;
    if (signer === undefined) throw new HttpError(403, "there is no faucet on this network: get OPG from its holders");
    const to = (body as { to?: unknown } | null)?.to;
    if (typeof to !== "string" || !ethers.isAddress(to)) throw new HttpError(400, "to must be an address");
    const send = async () => {
      const token = contracts.token.connect(signer.connect(provider));
      const txHashes: string[] = [];
      const tx = await token.transfer(to, FAUCET_OPG);
      await tx.wait();
      txHashes.push(tx.hash);
      if ((await provider.getBalance(to)) < GAS_MONEY) {
        const gas = await signer.connect(provider).sendTransaction({ to, value: GAS_MONEY });
        await gas.wait();
        txHashes.push(gas.hash);
      }
      logger.info("faucet.sent", { to, opg: ethers.formatEther(FAUCET_OPG) });
      return { txHashes, amount: FAUCET_OPG.toString() };
    };
    // One faucet transaction at a time: they share the supply account's nonce.
    const result = faucetQueue.then(send, send);
    faucetQueue = result.catch(() => undefined);
    return result;
  };

  const chatApi = {
    client: apiClient,
    models,
    recordUrl: (id: bigint) => `${origin}/#/explorer/${id}`,
    timeoutSeconds: options.apiTimeoutSeconds ?? 600,
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://app");
    if (url.pathname === "/rpc" && req.method === "POST") return proxyRpc(req, res, options.rpcUrl);
    if (url.pathname.startsWith("/v1/")) {
      try {
        if (req.method === "GET" && url.pathname === "/v1/models") return sendJson(res, 200, await listModels(chatApi));
        if (req.method === "POST" && url.pathname === "/v1/chat/completions") {
          return sendJson(res, 200, await chatCompletion(await readJson(req), chatApi));
        }
        throw new ApiError(404, `no such endpoint: ${req.method} ${url.pathname}`);
      } catch (error) {
        const apiError =
          error instanceof ApiError
            ? error
            : error instanceof HttpError
              ? new ApiError(error.status, error.message)
              : new ApiError(500, oneLine(error), "api_error");
        if (apiError.status >= 500) logger.warn("api.failed", { path: url.pathname, error: apiError.message });
        return sendJson(res, apiError.status, apiError.body());
      }
    }
    if (url.pathname.startsWith("/api/")) {
      try {
        const result = await api(req, url);
        if (result instanceof Uint8Array) return sendBytes(res, 200, "application/json", result);
        return sendJson(res, 200, result);
      } catch (error) {
        const status = error instanceof HttpError ? error.status : 500;
        if (status >= 500) logger.warn("api.failed", { path: url.pathname, error: oneLine(error) });
        return sendJson(res, status, { error: oneLine(error) });
      }
    }
    return serveStatic(res, options.staticDir, url.pathname);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      logger.error("request.failed", { url: req.url, error: oneLine(error) });
      if (!res.headersSent) sendJson(res, 500, { error: oneLine(error) });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      indexer.close();
      provider.destroy();
      reject(
        error.code === "EADDRINUSE"
          ? new Error(`port ${options.port} is already in use: stop what listens there, or set OPG_APP_PORT`)
          : error,
      );
    });
    server.listen(options.port, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://${options.host ?? "127.0.0.1"}:${port}`;
  logger.info("app.listening", { url: origin, network: options.network });
  return {
    url: origin,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await syncing?.catch(() => undefined);
      indexer.close();
      provider.destroy();
    },
  };
}

async function proxyRpc(req: IncomingMessage, res: ServerResponse, rpcUrl: string): Promise<void> {
  const body = await readBody(req);
  let upstream: Response;
  try {
    upstream = await fetch(rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body });
  } catch (error) {
    return sendJson(res, 502, {
      jsonrpc: "2.0",
      id: null,
      error: { code: -32603, message: `chain unreachable: ${oneLine(error)}` },
    });
  }
  sendBytes(res, upstream.status, "application/json", new Uint8Array(await upstream.arrayBuffer()));
}

async function serveStatic(res: ServerResponse, dir: string, pathname: string): Promise<void> {
  const relative = path.normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, "");
  let file = path.join(dir, relative);
  if (!file.startsWith(path.resolve(dir))) return sendJson(res, 403, { error: "outside the app" });
  const isFile = await stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!isFile) file = path.join(dir, "index.html"); // the single-page app routes by #hash
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch {
    res.writeHead(503, { "content-type": "text/plain; charset=utf-8" });
    res.end(`the web app is not built: run \`npx vite build --config app/vite.config.ts\` (npm run app does)\n`);
    return;
  }
  sendBytes(res, 200, CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream", bytes);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = (await readBody(req)).toString("utf8");
  try {
    return JSON.parse(text === "" ? "{}" : text);
  } catch {
    throw new HttpError(400, "the body is not JSON");
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  sendBytes(res, status, "application/json", new TextEncoder().encode(text));
}

function sendBytes(res: ServerResponse, status: number, type: string, bytes: Uint8Array): void {
  res.writeHead(status, { "content-type": type, "content-length": bytes.length, "cache-control": "no-store" });
  res.end(bytes);
}

function oneLine(error: unknown): string {
  const text =
    error instanceof Error ? ((error as { shortMessage?: string }).shortMessage ?? error.message) : String(error);
  return text.split("\n")[0]!.replace(/[.\s]+$/, "");
}
