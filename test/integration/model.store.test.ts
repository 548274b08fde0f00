import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { expect } from "chai";

import { buildDemoModels } from "../../offchain/model/onnxBuilder.js";
import {
  ModelFetchError,
  ModelHashMismatchError,
  ModelStore,
  ModelStoreConfigError,
  UnsupportedModelUriError,
} from "../../offchain/model/store.js";
import { expectRejects } from "./helpers/assertions.js";

const MODEL = buildDemoModels()[0]?.bytes ?? new Uint8Array(0);
const OTHER = buildDemoModels()[1]?.bytes ?? new Uint8Array(0);

function sha256(bytes: Uint8Array): string {
  return `0x${createHash("sha256").update(bytes).digest("hex")}`;
}

const MODEL_HASH = sha256(MODEL);
const CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi";

/** A fetch that fails the test if the store reaches the network. */
const noFetch: typeof fetch = () => {
  throw new Error("the store must not fetch here");
};

/** A local HTTP server with scripted routes; records every request path. */
class TestServer {
  readonly requests: string[] = [];
  readonly routes = new Map<string, (res: http.ServerResponse) => void>();
  readonly #server = http.createServer((req, res) => {
    const url = req.url ?? "/";
    this.requests.push(url);
    const route = this.routes.get(url);
    if (route === undefined) {
      res.writeHead(404).end("not found");
      return;
    }
    route(res);
  });
  origin = "";

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.origin = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  serve(url: string, bytes: Uint8Array): void {
    this.routes.set(url, (res) => res.writeHead(200, { "content-type": "application/octet-stream" }).end(bytes));
  }
}

describe("model store", function () {
  this.timeout(20_000);

  let dir: string;
  let cacheDir: string;
  let server: TestServer;
  let fetchCount: number;
  const countingFetch: typeof fetch = (input, init) => {
    fetchCount++;
    return fetch(input, init);
  };

  before(async function () {
    server = new TestServer();
    await server.start();
  });

  after(async function () {
    await server.stop();
  });

  beforeEach(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), "opg-store-"));
    cacheDir = path.join(dir, "cache");
    server.requests.length = 0;
    server.routes.clear();
    fetchCount = 0;
  });

  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  describe("file:", function () {
    it("serves an absolute file:/// URI and caches it under the hash", async function () {
      const file = path.join(dir, "iris.onnx");
      await writeFile(file, MODEL);
      const store = new ModelStore({ cacheDir, fetchImpl: noFetch });
      const stored = await store.get(pathToFileURL(file).href, MODEL_HASH);
      expect(stored.bytes).to.deep.equal(MODEL);
      expect(stored.path).to.equal(path.join(cacheDir, `${MODEL_HASH.slice(2)}.onnx`));
      expect(stored.path).to.equal(store.cachePath(MODEL_HASH));
      expect(new Uint8Array(await readFile(stored.path))).to.deep.equal(MODEL);
      expect((await readdir(cacheDir)).filter((f) => f.endsWith(".tmp"))).to.deep.equal([]);
    });

    it("resolves relative file: URIs against baseDir and refuses to leave it", async function () {
      await mkdir(path.join(dir, "models"));
      await writeFile(path.join(dir, "models", "iris model.onnx"), MODEL);
      const store = new ModelStore({ cacheDir, baseDir: dir, fetchImpl: noFetch });
      const stored = await store.get("file:models/iris%20model.onnx", MODEL_HASH);
      expect(stored.bytes).to.deep.equal(MODEL);
      const inner = new ModelStore({ cacheDir, baseDir: path.join(dir, "models"), fetchImpl: noFetch });
      await expectRejects(inner.get("file:../secret.onnx", sha256(OTHER)), UnsupportedModelUriError);
    });

    it("reports a missing file as a non-retryable ModelFetchError", async function () {
      const store = new ModelStore({ cacheDir, baseDir: dir, fetchImpl: noFetch });
      const error = await expectRejects(store.get("file:missing.onnx", MODEL_HASH), ModelFetchError);
      expect(error.retryable).to.equal(false);
      expect(error.uri).to.equal("file:missing.onnx");
    });
  });

  describe("verification", function () {
    it("refuses bytes whose sha256 differs from the registry's, and never caches them", async function () {
      const file = path.join(dir, "other.onnx");
      await writeFile(file, OTHER);
      const store = new ModelStore({ cacheDir, fetchImpl: noFetch });
      const uri = pathToFileURL(file).href;
      const error = await expectRejects(store.get(uri, MODEL_HASH), ModelHashMismatchError);
      expect(error.uri).to.equal(uri);
      expect(error.expected).to.equal(MODEL_HASH);
      expect(error.actual).to.equal(sha256(OTHER));
      expect(error.message).to.match(/discarded/);
      const cached = await readdir(cacheDir).catch(() => [] as string[]);
      expect(cached).to.deep.equal([]);
      // Upper-case registry hashes are the same hash.
      expect((await store.get(uri, sha256(OTHER).toUpperCase().replace("0X", "0x"))).bytes).to.deep.equal(OTHER);
    });

    it("refuses a mismatching download too", async function () {
      server.serve("/model.onnx", OTHER);
      const store = new ModelStore({ cacheDir, fetchImpl: countingFetch });
      await expectRejects(store.get(`${server.origin}/model.onnx`, MODEL_HASH), ModelHashMismatchError);
      expect(fetchCount).to.equal(1);
    });

    it("rejects a malformed expected hash before fetching", async function () {
      const store = new ModelStore({ cacheDir, fetchImpl: noFetch });
      for (const hash of ["", MODEL_HASH.slice(2), MODEL_HASH.slice(0, 64), `${MODEL_HASH}00`, "0x" + "g".repeat(64)]) {
        await expectRejects(store.get("https://example.com/m.onnx", hash), ModelStoreConfigError);
      }
    });
  });

  describe("cache", function () {
    it("serves a cache hit by hash without refetching", async function () {
      server.serve("/model.onnx", MODEL);
      const store = new ModelStore({ cacheDir, fetchImpl: countingFetch });
      const uri = `${server.origin}/model.onnx`;
      const first = await store.get(uri, MODEL_HASH);
      server.routes.clear(); // the source is gone; the cache must answer
      const second = await store.get(uri, MODEL_HASH);
      const viaOtherUri = await store.get("ipfs://unreachable-without-gateway", MODEL_HASH);
      expect(second.bytes).to.deep.equal(MODEL);
      expect(viaOtherUri.bytes).to.deep.equal(MODEL);
      expect(second.path).to.equal(first.path);
      expect(fetchCount).to.equal(1);
      // A fresh store over the same directory also hits.
      const restarted = new ModelStore({ cacheDir, fetchImpl: noFetch });
      expect((await restarted.get(uri, MODEL_HASH)).bytes).to.deep.equal(MODEL);
    });

    it("deletes a corrupted cache entry and fetches again", async function () {
      server.serve("/model.onnx", MODEL);
      const store = new ModelStore({ cacheDir, fetchImpl: countingFetch });
      const uri = `${server.origin}/model.onnx`;
      const { path: cached } = await store.get(uri, MODEL_HASH);
      const corrupted = Uint8Array.from(MODEL);
      corrupted[10] = (corrupted[10] ?? 0) ^ 0xff;
      await writeFile(cached, corrupted);
      const again = await store.get(uri, MODEL_HASH);
      expect(again.bytes).to.deep.equal(MODEL);
      expect(fetchCount).to.equal(2);
      expect(new Uint8Array(await readFile(cached))).to.deep.equal(MODEL);
    });

    it("drops a corrupted entry even when the refetch fails", async function () {
      const store = new ModelStore({ cacheDir, fetchImpl: countingFetch });
      await mkdir(cacheDir, { recursive: true });
      const cached = store.cachePath(MODEL_HASH);
      await writeFile(cached, OTHER);
      await expectRejects(store.get(`${server.origin}/gone.onnx`, MODEL_HASH), ModelFetchError);
      expect(await readdir(cacheDir)).to.deep.equal([]);
    });

    it("shares one download between concurrent requests", async function () {
      server.serve("/model.onnx", MODEL);
      const store = new ModelStore({ cacheDir, fetchImpl: countingFetch });
      const uri = `${server.origin}/model.onnx`;
      const results = await Promise.all([store.get(uri, MODEL_HASH), store.get(uri, MODEL_HASH)]);
      expect(fetchCount).to.equal(1);
      expect(results[0]?.bytes).to.deep.equal(MODEL);
      expect(results[1]?.bytes).to.deep.equal(MODEL);
      expect(results[0]?.bytes).to.not.equal(results[1]?.bytes);
    });
  });

  describe("http(s) and ipfs", function () {
    it("downloads over http from 127.0.0.1", async function () {
      server.serve("/models/iris.onnx", MODEL);
      const store = new ModelStore({ cacheDir, fetchImpl: countingFetch });
      const stored = await store.get(`${server.origin}/models/iris.onnx`, MODEL_HASH);
      expect(stored.bytes).to.deep.equal(MODEL);
      expect(server.requests).to.deep.equal(["/models/iris.onnx"]);
      const viaLocalhost = `${server.origin.replace("127.0.0.1", "localhost")}/models/iris.onnx`;
      const fresh = new ModelStore({ cacheDir: path.join(dir, "cache2"), fetchImpl: countingFetch });
      expect((await fresh.get(viaLocalhost, MODEL_HASH)).bytes).to.deep.equal(MODEL);
    });

    it("maps HTTP errors to ModelFetchError with a retryable flag", async function () {
      server.routes.set("/broken.onnx", (res) => res.writeHead(500).end("boom"));
      server.routes.set("/busy.onnx", (res) => res.writeHead(429).end("slow down"));
      const store = new ModelStore({ cacheDir, fetchImpl: countingFetch });
      const serverError = await expectRejects(store.get(`${server.origin}/broken.onnx`, MODEL_HASH), ModelFetchError);
      expect(serverError.retryable).to.equal(true);
      expect(serverError.message).to.match(/HTTP 500/);
      const busy = await expectRejects(store.get(`${server.origin}/busy.onnx`, MODEL_HASH), ModelFetchError);
      expect(busy.retryable).to.equal(true);
      const notFound = await expectRejects(store.get(`${server.origin}/missing.onnx`, MODEL_HASH), ModelFetchError);
      expect(notFound.retryable).to.equal(false);
      expect(notFound.message).to.match(/HTTP 404/);
    });

    it("reports an unreachable host as retryable", async function () {
      const closed = new TestServer();
      await closed.start();
      const origin = closed.origin;
      await closed.stop();
      const store = new ModelStore({ cacheDir });
      const error = await expectRejects(store.get(`${origin}/model.onnx`, MODEL_HASH), ModelFetchError);
      expect(error.retryable).to.equal(true);
    });

    it("times out a server that does not answer, or stalls mid-body", async function () {
      server.routes.set("/hang.onnx", () => undefined);
      server.routes.set("/stall.onnx", (res) => {
        res.writeHead(200, { "content-length": String(MODEL.length) });
        res.write(MODEL.subarray(0, 10));
      });
      const store = new ModelStore({ cacheDir, timeoutMs: 200 });
      const started = Date.now();
      const hang = await expectRejects(store.get(`${server.origin}/hang.onnx`, MODEL_HASH), ModelFetchError);
      expect(hang.retryable).to.equal(true);
      expect(hang.message).to.match(/within 200 ms/);
      const stall = await expectRejects(store.get(`${server.origin}/stall.onnx`, MODEL_HASH), ModelFetchError);
      expect(stall.retryable).to.equal(true);
      expect(stall.message).to.match(/within 200 ms/);
      expect(Date.now() - started).to.be.lessThan(5_000);
    });

    it("refuses models above maxBytes", async function () {
      server.serve("/model.onnx", MODEL);
      server.routes.set("/chunked.onnx", (res) => {
        res.writeHead(200); // no content-length: the limit applies while reading
        res.end(MODEL);
      });
      const store = new ModelStore({ cacheDir, maxBytes: 100 });
      const declared = await expectRejects(store.get(`${server.origin}/model.onnx`, MODEL_HASH), ModelFetchError);
      expect(declared.retryable).to.equal(false);
      expect(declared.message).to.match(/maxBytes/);
      const streamed = await expectRejects(store.get(`${server.origin}/chunked.onnx`, MODEL_HASH), ModelFetchError);
      expect(streamed.message).to.match(/maxBytes/);
    });

    it("fetches ipfs://<cid>/path through the gateway", async function () {
      server.serve(`/ipfs/${CID}/iris.onnx`, MODEL);
      server.serve(`/ipfs/${CID}`, MODEL);
      const store = new ModelStore({ cacheDir, ipfsGateway: `${server.origin}/`, fetchImpl: countingFetch });
      expect((await store.get(`ipfs://${CID}/iris.onnx`, MODEL_HASH)).bytes).to.deep.equal(MODEL);
      const bare = new ModelStore({ cacheDir: path.join(dir, "cache2"), ipfsGateway: server.origin });
      expect((await bare.get(`ipfs://${CID}`, MODEL_HASH)).bytes).to.deep.equal(MODEL);
      expect(server.requests).to.deep.equal([`/ipfs/${CID}/iris.onnx`, `/ipfs/${CID}`]);
    });

    it("requires a configured gateway and well-formed ipfs URIs", async function () {
      const noGateway = new ModelStore({ cacheDir, fetchImpl: noFetch });
      const error = await expectRejects(noGateway.get(`ipfs://${CID}`, MODEL_HASH), UnsupportedModelUriError);
      expect(error.message).to.match(/ipfsGateway/);
      const store = new ModelStore({ cacheDir, ipfsGateway: server.origin, fetchImpl: noFetch });
      for (const uri of [`ipfs://`, `ipfs://not-a-cid!/x`, `ipfs://${CID}/../x`, `ipfs://${CID}?x=1`]) {
        await expectRejects(store.get(uri, MODEL_HASH), UnsupportedModelUriError);
      }
      expect(() => new ModelStore({ cacheDir, ipfsGateway: "http://gateway.example.com" })).to.throw(
        ModelStoreConfigError,
        /use https/,
      );
    });

    it("refuses unsupported schemes and plain http to remote hosts without fetching", async function () {
      const store = new ModelStore({ cacheDir, fetchImpl: noFetch });
      for (const uri of ["s3://bucket/model.onnx", "ftp://127.0.0.1/model.onnx", "model.onnx", "data:,abc"]) {
        const error = await expectRejects(store.get(uri, MODEL_HASH), UnsupportedModelUriError);
        expect(error.uri).to.equal(uri);
      }
      const remote = await expectRejects(
        store.get("http://example.com/model.onnx", MODEL_HASH),
        UnsupportedModelUriError,
      );
      expect(remote.message).to.match(/use https/);
      await expectRejects(store.get("file://remote-host/share/model.onnx", MODEL_HASH), UnsupportedModelUriError);
    });
  });
});
