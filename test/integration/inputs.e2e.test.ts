/**
 * Inputs through the input store, end to end on the in-process devnet: the requester's client uploads the input to
 * a store over HTTP, the request carries the store's URI and the input's keccak256, and the real worker and
 * verifier nodes fetch it from the store, check it against the on-chain hash and serve it.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import { ethers } from "ethers";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import { loadRequest } from "../../app/src/lib/explorer.js";
import { InputNeedsStoreError, OpgClient } from "../../offchain/client/client.js";
import { DType, encodeTensors } from "../../offchain/codec/tensor.js";
import { settleAll, startLocalNetwork, type LocalNetwork } from "../../offchain/devnet/network.js";
import { Mode, OPG, registerModel } from "../../offchain/devnet/protocol.js";
import { startInputStore, type RunningInputStore } from "../../offchain/inputs/store.js";
import { ModelRuntime } from "../../offchain/model/runtime.js";
import { modelSchema, schemaDigest } from "../../offchain/model/schema.js";
import { sha256Hex } from "../../offchain/model/store.js";
import { memoryLogger } from "../../offchain/node/logger.js";
import { expectRejects } from "./helpers/assertions.js";
import { rowMeanModel } from "./helpers/onnxGraph.js";

const WIDTH = 2048;
const BATCH = 3;
/** Rows of i/2048 for i < 2048: 3 × 2048 FLOATs, 24 KB, above the hub's 16 KB inline limit. */
const LARGE_INPUT = encodeTensors([
  {
    dtype: DType.FLOAT,
    decimals: 0,
    shape: [BATCH, WIDTH],
    data: Array.from({ length: BATCH * WIDTH }, (_, i) => (i % WIDTH) / WIDTH),
  },
]);
/** The mean of i/2048 for i < 2048 is 0.49975585…: 6 decimals. */
const LARGE_INPUT_MEANS = [499756n, 499756n, 499756n];

describe("Inputs through the input store (end to end on the devnet)", function () {
  this.timeout(180_000);
  let connection: NetworkConnection;
  let dir: string;
  let net: LocalNetwork;
  let store: RunningInputStore;
  let rowMean: bigint;

  before(async function () {
    connection = await network.create();
    dir = await mkdtemp(path.join(os.tmpdir(), "opg-inputs-e2e-"));
    store = await startInputStore({ dir: path.join(dir, "store"), port: 0 });
    net = await startLocalNetwork(connection, { dir, logger: memoryLogger(), workers: 2, verifiers: 3 });
    const model = rowMeanModel(WIDTH);
    const modelFile = path.join(dir, "rowmean.onnx");
    await writeFile(modelFile, model);
    const contentHash = `0x${sha256Hex(model)}`;
    const runtime = new ModelRuntime();
    const digest = schemaDigest(modelSchema(await runtime.load(contentHash, model)));
    await runtime.close();
    rowMean = await registerModel(net.protocol, net.actors.modelOwner, {
      contentHash,
      uri: `file://${modelFile}`,
      fee: OPG,
      mode: Mode.OPTIMISTIC,
      outputDecimals: 6,
      tolerance: 10n,
      royaltyBps: 1_000,
      schemaDigest: digest,
    });
  });

  after(async function () {
    await net?.stop();
    await store?.close();
    await connection?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const client = () => new OpgClient(net.contracts.addresses, net.actors.requester, { storeUrl: store.url });

  async function requestedEvent(requestId: bigint) {
    const { hub } = net.protocol;
    const [event] = await hub.queryFilter(hub.filters.InferenceRequested(requestId));
    return event!.args;
  }

  it("uploads an input above the inline limit to the store; the nodes fetch it by URI, check its hash and settle", async function () {
    expect(BigInt(LARGE_INPUT.length)).to.be.greaterThan((await net.protocol.hub.params()).maxInputBytes);
    const c = client();
    const { requestId, inputUri } = await c.request(rowMean, LARGE_INPUT);
    const hash = ethers.keccak256(LARGE_INPUT);
    expect(inputUri).to.equal(`${store.url}/inputs/${hash}`);
    const event = await requestedEvent(requestId);
    expect([event.input, event.inputUri, event.inputHash]).to.deep.equal(["0x", inputUri, hash]);
    await settleAll(net, connection, [requestId]);
    const record = await c.status(requestId);
    expect(record.status).to.equal("Finalized");
    expect(record.output?.isError).to.equal(false);
    expect(record.output!.tensors![0]!.data).to.deep.equal(LARGE_INPUT_MEANS);
  });

  it("the explorer fetches an input passed by URI from the store, checks it against the committed hash and decodes it", async function () {
    const c = client();
    const { requestId, inputUri } = await c.request(rowMean, LARGE_INPUT);
    await settleAll(net, connection, [requestId]);
    const data = await loadRequest(c, requestId);
    expect(data.input?.uri).to.equal(inputUri);
    expect(data.input?.hash).to.equal(ethers.keccak256(LARGE_INPUT));
    expect(data.input?.bytes).to.equal(null); // not in calldata
    expect(data.input?.uriCheck).to.deep.equal({ fetched: true, matches: true, problem: null });
    const view = data.input?.view;
    expect(view?.kind).to.equal("tensors");
    if (view?.kind !== "tensors") throw new Error("unreachable");
    expect(view.tensors[0]!.shape).to.deep.equal([BATCH, WIDTH]);
    expect(view.tensors[0]!.data.slice(0, 3)).to.deep.equal([0, 1 / WIDTH, 2 / WIDTH]);
    expect(data.hashCheck?.matches).to.equal(true);
  });

  it("the explorer says when the bytes at an input's URI do not hash to the committed inputHash, and decodes nothing", async function () {
    const c = client();
    const { uri } = await c.storeInput(LARGE_INPUT);
    const { requestId } = await c.request(rowMean, { uri, hash: ethers.keccak256(Uint8Array.from([1, 2, 3])) });
    await settleAll(net, connection, [requestId]);
    const data = await loadRequest(c, requestId);
    expect(data.input?.uriCheck).to.deep.equal({
      fetched: true,
      matches: false,
      problem: "the fetched bytes do not hash to the committed inputHash",
    });
    expect(data.input?.view).to.equal(null);
    expect(data.output?.kind).to.equal("error"); // the worker's verified INPUT_FETCH error result
  });

  it("with viaStore, passes an input that would fit inline by the store's URI as well", async function () {
    const iris = net.models.find((m) => m.name === "iris-linear" && m.mode === Mode.NONE)!;
    const input = encodeTensors([{ ...iris.exampleInput, data: [5.1, 3.5, 1.4, 0.2] }]);
    const c = client();
    const byStore = await c.request(iris.id, input, { viaStore: true });
    const inline = await c.request(iris.id, input);
    expect(inline.inputUri).to.equal(null);
    expect((await requestedEvent(byStore.requestId)).inputUri).to.equal(
      `${store.url}/inputs/${ethers.keccak256(input)}`,
    );
    await settleAll(net, connection, [byStore.requestId, inline.requestId]);
    const [viaStore, viaCalldata] = [await c.status(byStore.requestId), await c.status(inline.requestId)];
    expect(viaStore.status).to.equal("Finalized");
    expect(viaStore.output?.isError).to.equal(false);
    expect(viaStore.output?.bytes).to.equal(viaCalldata.output?.bytes);
  });

  it("a store URI whose bytes do not match the committed inputHash gets a verified INPUT_FETCH error result", async function () {
    const c = client();
    const { uri } = await c.storeInput(LARGE_INPUT);
    const other = ethers.keccak256(Uint8Array.from([1, 2, 3]));
    const { requestId } = await c.request(rowMean, { uri, hash: other });
    await settleAll(net, connection, [requestId]);
    const record = await c.status(requestId);
    expect(record.status).to.equal("Finalized");
    expect([record.output?.isError, record.output?.errorCode]).to.deep.equal([true, "INPUT_FETCH"]);
  });

  it("a store that is down for a while: the worker retries, posts the real output, and nobody is slashed", async function () {
    const c = client();
    const { uri, hash } = await c.storeInput(LARGE_INPUT);
    // A front for the store that answers 503 to its first requests (the store restarting), then passes them on.
    let refusals = 5;
    const front = http.createServer((req, res) => {
      if (refusals > 0) {
        refusals--;
        res.writeHead(503).end();
        return;
      }
      fetch(`${store.url}${req.url}`)
        .then(async (upstream) => res.writeHead(upstream.status).end(Buffer.from(await upstream.arrayBuffer())))
        .catch(() => res.writeHead(502).end());
    });
    await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
    try {
      const port = (front.address() as AddressInfo).port;
      const flakyUri = uri.replace(new URL(store.url).origin, `http://127.0.0.1:${port}`);
      const stakeBefore = await Promise.all(net.actors.workers.map((w) => net.protocol.staking.getOperator(w.address)));
      const { requestId } = await c.request(rowMean, { uri: flakyUri, hash });
      await settleAll(net, connection, [requestId], { stepSeconds: 5 });
      const record = await c.status(requestId);
      expect(refusals).to.equal(0);
      expect(record.status).to.equal("Finalized");
      expect(record.output?.isError, record.output?.errorCode ?? "").to.equal(false);
      expect(record.output!.tensors![0]!.data).to.deep.equal(LARGE_INPUT_MEANS);
      expect(record.dispute).to.equal(null);
      const stakeAfter = await Promise.all(net.actors.workers.map((w) => net.protocol.staking.getOperator(w.address)));
      expect(stakeAfter.map((o) => o.active)).to.deep.equal(stakeBefore.map((o) => o.active));
    } finally {
      await new Promise<void>((resolve) => front.close(() => resolve()));
    }
  });

  it("without a store, an input above the inline limit is refused before anything is sent", async function () {
    const c = new OpgClient(net.contracts.addresses, net.actors.requester);
    const before = await c.balances();
    const error = await expectRejects(c.request(rowMean, LARGE_INPUT), InputNeedsStoreError);
    expect(error.message).to.include("--store").and.to.include("OPG_STORE_URL");
    expect(await c.balances()).to.deep.equal(before);
  });
});
