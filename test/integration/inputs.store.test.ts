/**
 * The content-addressed input store over HTTP (offchain/inputs/store.ts), the requester's upload
 * (offchain/inputs/upload.ts) and the node's fetch (offchain/inputs/fetch.ts): round trip, addresses that are the
 * on-chain keccak256, hash mismatches refused, size limits, restarts that keep the data, corrupted entries not served.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import { ethers } from "ethers";

import { InputFetchError, InputHashMismatchError, fetchInput } from "../../offchain/inputs/fetch.js";
import { InputStore, startInputStore, type RunningInputStore } from "../../offchain/inputs/store.js";
import { InputUploadError, uploadInput } from "../../offchain/inputs/upload.js";
import { expectRejects } from "./helpers/assertions.js";

const bytesOf = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe("Input store (content-addressed HTTP)", function () {
  this.timeout(30_000);
  const dirs: string[] = [];
  const stores: RunningInputStore[] = [];

  async function tempDir(): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), "opg-store-"));
    dirs.push(dir);
    return dir;
  }

  async function start(options: { dir?: string; maxBytes?: number } = {}): Promise<RunningInputStore> {
    const store = await startInputStore({ dir: options.dir ?? (await tempDir()), port: 0, maxBytes: options.maxBytes });
    stores.push(store);
    return store;
  }

  /** Files under the store's directory other than tmp/ (entries), and in tmp/ (partial writes). */
  async function files(dir: string): Promise<{ entries: string[]; temp: string[] }> {
    const all = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    const rel = all.map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
    return { entries: rel.filter((f) => !f.startsWith("tmp")), temp: rel.filter((f) => f.startsWith("tmp")) };
  }

  afterEach(async function () {
    for (const store of stores.splice(0)) await store.close();
  });

  after(async function () {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("POST returns the keccak256 address and its URI; GET serves the same bytes", async function () {
    const store = await start();
    const bytes = bytesOf(40_000);
    const put = await fetch(`${store.url}/inputs`, { method: "POST", body: bytes });
    expect(put.status).to.equal(201);
    const body = (await put.json()) as { address: string; uri: string; size: number };
    const hash = ethers.keccak256(bytes);
    expect(body).to.deep.equal({ address: hash, uri: `${store.url}/inputs/${hash}`, size: bytes.length });
    const got = await fetch(body.uri);
    expect(got.status).to.equal(200);
    expect(got.headers.get("content-type")).to.equal("application/octet-stream");
    // Readable from any page (the web app's explorer fetches stored inputs from the browser).
    expect(got.headers.get("access-control-allow-origin")).to.equal("*");
    expect(new Uint8Array(await got.arrayBuffer())).to.deep.equal(bytes);
  });

  it("uploading the same bytes again answers 200 and stores nothing new", async function () {
    const store = await start();
    const bytes = bytesOf(100);
    const first = await fetch(`${store.url}/inputs`, { method: "PUT", body: bytes });
    const second = await fetch(`${store.url}/inputs`, { method: "PUT", body: bytes });
    expect([first.status, second.status]).to.deep.equal([201, 200]);
    expect((await files(store.store.dir)).entries).to.have.length(1);
  });

  it("a PUT at an address refuses bytes of another hash: 422 naming both, nothing written", async function () {
    const store = await start();
    const claimed = ethers.keccak256(bytesOf(10, 2));
    const bytes = bytesOf(10, 3);
    const res = await fetch(`${store.url}/inputs/${claimed}`, { method: "PUT", body: bytes });
    expect(res.status).to.equal(422);
    const { error } = (await res.json()) as { error: string };
    expect(error).to.include(claimed).and.to.include(ethers.keccak256(bytes));
    expect(await files(store.store.dir)).to.deep.equal({ entries: [], temp: [] });
  });

  it("refuses a body above maxBytes with 413 naming the limit, and writes nothing", async function () {
    const store = await start({ maxBytes: 1_000 });
    const res = await fetch(`${store.url}/inputs`, { method: "POST", body: bytesOf(1_001) });
    expect(res.status).to.equal(413);
    expect(((await res.json()) as { error: string }).error)
      .to.include("1001 bytes")
      .and.to.include("1000 bytes");
    expect(await files(store.store.dir)).to.deep.equal({ entries: [], temp: [] });
    const atLimit = await fetch(`${store.url}/inputs`, { method: "POST", body: bytesOf(1_000) });
    expect(atLimit.status).to.equal(201);
  });

  it("cuts off a chunked body (no Content-Length) at the limit with 413", async function () {
    const store = await start({ maxBytes: 1_000 });
    const chunks = [bytesOf(600), bytesOf(600)];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(next);
      },
    });
    const res = await fetch(`${store.url}/inputs`, { method: "POST", body, duplex: "half" } as RequestInit);
    expect(res.status).to.equal(413);
    expect((await files(store.store.dir)).entries).to.deep.equal([]);
  });

  it("answers 404 for an address not held, 400 for one that is not an address", async function () {
    const store = await start();
    const unknown = await fetch(`${store.url}/inputs/${ethers.keccak256("0x01")}`);
    expect(unknown.status).to.equal(404);
    const malformed = await fetch(`${store.url}/inputs/0x1234`);
    expect(malformed.status).to.equal(400);
    expect(((await malformed.json()) as { error: string }).error).to.include("64 hex digits");
  });

  it("a store restarted on the same directory serves what it held", async function () {
    const dir = await tempDir();
    const first = await start({ dir });
    const bytes = bytesOf(5_000);
    const { uri, hash } = await uploadInput(first.url, bytes);
    await first.close();
    stores.splice(stores.indexOf(first), 1);
    const second = await start({ dir });
    const res = await fetch(`${second.url}/inputs/${hash}`);
    expect(res.status).to.equal(200);
    expect(new Uint8Array(await res.arrayBuffer())).to.deep.equal(bytes);
    expect(uri.endsWith(`/inputs/${hash}`)).to.equal(true);
  });

  it("removes leftovers in tmp/ from a crash are removed at start", async function () {
    const dir = await tempDir();
    await new InputStore(dir).open();
    await writeFile(path.join(dir, "tmp", "crashed.part"), bytesOf(10));
    await start({ dir });
    expect((await files(dir)).temp).to.deep.equal([]);
  });

  it("never serves a corrupted entry: a file whose bytes no longer match its name is removed, 404", async function () {
    const store = await start();
    const { hash } = await uploadInput(store.url, bytesOf(300));
    const [entry] = (await files(store.store.dir)).entries;
    await writeFile(path.join(store.store.dir, entry!), bytesOf(300, 9));
    expect((await fetch(`${store.url}/inputs/${hash}`)).status).to.equal(404);
    expect((await files(store.store.dir)).entries).to.deep.equal([]);
  });

  describe("upload (requester side)", function () {
    it("returns the store's URI and the keccak256 computed locally", async function () {
      const store = await start();
      const bytes = bytesOf(2_000);
      expect(await uploadInput(`${store.url}/`, bytes)).to.deep.equal({
        uri: `${store.url}/inputs/${ethers.keccak256(bytes)}`,
        hash: ethers.keccak256(bytes),
      });
    });

    it("an unreachable store: the error says how to start one", async function () {
      const store = await start();
      const url = store.url;
      await store.close();
      stores.splice(stores.indexOf(store), 1);
      const error = await expectRejects(uploadInput(url, bytesOf(10)), InputUploadError);
      expect(error.message).to.include("unreachable").and.to.include("npx hardhat store");
    });

    it("an input above the store's limit: the store's 413 reason reaches the requester", async function () {
      const store = await start({ maxBytes: 100 });
      const error = await expectRejects(uploadInput(store.url, bytesOf(101)), InputUploadError);
      expect(error.message).to.include("413").and.to.include("above this store's limit of 100 bytes");
    });
  });

  describe("fetch (worker side)", function () {
    it("fetches bytes by the store's http URI and checks them against their keccak256", async function () {
      const store = await start();
      const bytes = bytesOf(20_000);
      const { uri, hash } = await uploadInput(store.url, bytes);
      expect(await fetchInput(uri, hash)).to.deep.equal(bytes);
    });

    it("refuses a URI serving other bytes than the committed inputHash (InputHashMismatchError)", async function () {
      const store = await start();
      const { uri } = await uploadInput(store.url, bytesOf(64, 1));
      const committed = ethers.keccak256(bytesOf(64, 2));
      const error = await expectRejects(fetchInput(uri, committed), InputHashMismatchError);
      expect([error.expected, error.actual]).to.deep.equal([committed, ethers.keccak256(bytesOf(64, 1))]);
    });

    it("refuses a body above its maxBytes while reading it", async function () {
      const store = await start();
      const bytes = bytesOf(5_000);
      const { uri, hash } = await uploadInput(store.url, bytes);
      const error = await expectRejects(fetchInput(uri, hash, undefined, { maxBytes: 4_096 }), InputFetchError);
      expect(error.message).to.include("larger than 4096");
    });

    it("fails at once on a 404, naming the status", async function () {
      const store = await start();
      const hash = ethers.keccak256("0x02");
      const error = await expectRejects(fetchInput(`${store.url}/inputs/${hash}`, hash), InputFetchError);
      expect(error.message).to.include("answered 404");
    });

    it("retries a 503 and then gets the bytes", async function () {
      const bytes = bytesOf(50);
      let calls = 0;
      const flaky = createServer((_req, res) => {
        calls++;
        if (calls === 1) {
          res.writeHead(503).end();
          return;
        }
        res.writeHead(200, { "content-length": bytes.length }).end(bytes);
      });
      await new Promise<void>((resolve) => flaky.listen(0, "127.0.0.1", resolve));
      try {
        const url = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}/x`;
        expect(await fetchInput(url, ethers.keccak256(bytes))).to.deep.equal(bytes);
        expect(calls).to.equal(2);
      } finally {
        await new Promise((resolve) => flaky.close(resolve));
      }
    });
  });
});
