import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import { ethers } from "ethers";
import { network } from "hardhat";

import { OpgClient } from "../../offchain/client/client.js";
import { DType, decodeTensors, encodeTensors, type TensorData } from "../../offchain/codec/tensor.js";
import { settleAll, startLocalNetwork } from "../../offchain/devnet/network.js";
import { Mode, OPG, registerModel } from "../../offchain/devnet/protocol.js";
import { LanguageModelHost } from "../../offchain/lm/serving.js";
import { decodeErrorResult } from "../../offchain/model/errorResult.js";
import { UnsupportedModelError, assertServable, inspectOnnx } from "../../offchain/model/inspect.js";
import { buildMlp } from "../../offchain/model/onnxBuilder.js";
import { ModelRuntime } from "../../offchain/model/runtime.js";
import { modelSchema, schemaDigest } from "../../offchain/model/schema.js";
import { ModelStore, sha256Hex } from "../../offchain/model/store.js";
import { execute, type RequestContext } from "../../offchain/node/jobs.js";
import { memoryLogger } from "../../offchain/node/logger.js";
import { ELEM, buildGraph, multiDtypeModel, rowMeanModel } from "./helpers/onnxGraph.js";

const hashOf = (bytes: Uint8Array) => `0x${sha256Hex(bytes)}`;

function multiDtypeInput(batch: number): Uint8Array {
  const n = batch * 2;
  const seq = (f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
  const tensors: TensorData[] = [
    { dtype: DType.FLOAT, decimals: 0, shape: [batch, 2], data: seq((i) => i + 0.25) },
    { dtype: DType.DOUBLE, decimals: 0, shape: [batch, 2], data: seq((i) => -i / 8) },
    { dtype: DType.INT32, decimals: 0, shape: [batch, 2], data: seq((i) => -i) },
    { dtype: DType.INT64, decimals: 0, shape: [batch, 2], data: seq((i) => i * 10) },
    { dtype: DType.UINT8, decimals: 0, shape: [batch, 2], data: seq((i) => 250 + (i % 6)) },
    { dtype: DType.BOOL, decimals: 0, shape: [batch, 2], data: Array.from({ length: n }, (_, i) => i % 2 === 0) },
  ];
  return encodeTensors(tensors);
}

describe("Runtime capabilities (ONNX edge cases)", function () {
  const runtime = new ModelRuntime();
  after(() => runtime.close());
  const serving = (store: ModelStore) => ({ store, runtime, languageModels: new LanguageModelHost(store) });

  it("serves several inputs and outputs of float32, float64, int32, int64, uint8 and bool", async function () {
    const bytes = multiDtypeModel();
    const model = await runtime.load(hashOf(bytes), bytes);
    expect(model.inputs.map((i) => i.dtype)).to.deep.equal([
      DType.FLOAT,
      DType.DOUBLE,
      DType.INT32,
      DType.INT64,
      DType.UINT8,
      DType.BOOL,
    ]);
    const outcome = await runtime.run(model, multiDtypeInput(2), 3);
    expect(outcome.kind).to.equal("ok");
    const out = decodeTensors(outcome.output);
    expect(out.map((t) => t.dtype)).to.deep.equal([
      DType.FIXED64,
      DType.FIXED64,
      DType.INT32,
      DType.INT64,
      DType.UINT8,
      DType.BOOL,
    ]);
    // sum = f32 + float(i64): (i + 0.25) + 10 i, at 3 decimals.
    expect(out[0]!.data).to.deep.equal([250n, 11250n, 22250n, 33250n]);
    expect(out[1]!.data).to.deep.equal([0n, -125n, -250n, -375n]);
    expect(out[2]!.data).to.deep.equal([0n, -1n, -2n, -3n]);
    expect(out[3]!.data).to.deep.equal([0n, 10n, 20n, 30n]);
    expect(out[4]!.data).to.deep.equal([250n, 251n, 252n, 253n]);
    expect(out[5]!.data).to.deep.equal([false, true, false, true]);
  });

  it("accepts any batch size on a dynamic batch dimension", async function () {
    const bytes = multiDtypeModel();
    const model = await runtime.load(hashOf(bytes), bytes);
    for (const batch of [1, 5, 17]) {
      const outcome = await runtime.run(model, multiDtypeInput(batch), 3);
      expect(outcome.kind, `batch ${batch}`).to.equal("ok");
      expect(decodeTensors(outcome.output)[0]!.shape).to.deep.equal([batch, 2]);
    }
  });

  it("runs opsets 7 to 21 with byte-identical canonical outputs", async function () {
    const outputs = new Set<string>();
    for (let opset = 7; opset <= 21; opset++) {
      const bytes = multiDtypeModel(opset);
      expect(inspectOnnx(bytes).defaultOpset).to.equal(opset);
      assertServable(inspectOnnx(bytes));
      const outcome = await runtime.run(await runtime.load(hashOf(bytes), bytes), multiDtypeInput(3), 6);
      expect(outcome.kind, `opset ${opset}`).to.equal("ok");
      outputs.add(ethers.hexlify(outcome.output));
    }
    expect(outputs.size).to.equal(1);
  });

  it("inspects a file before registration: inputs, outputs, opset, size, sha256", function () {
    const bytes = multiDtypeModel(15);
    const info = inspectOnnx(bytes);
    expect(info.sha256).to.equal(hashOf(bytes));
    expect(info.sizeBytes).to.equal(bytes.length);
    expect(info.opsets).to.deep.equal([{ domain: "", version: 15 }]);
    expect(info.inputs.map((i) => `${i.name}:${i.elementType}:${i.shape.join("x")}`)).to.deep.equal([
      "f32:float32:batchx2",
      "f64:float64:batchx2",
      "i32:int32:batchx2",
      "i64:int64:batchx2",
      "u8:uint8:batchx2",
      "b:bool:batchx2",
    ]);
    expect(info.outputs).to.have.length(6);
  });

  it("serves an opset-9 MLP (older exporters) exactly like its opset-17 twin, in two separate sessions", async function () {
    const spec = {
      inputName: "features",
      outputName: "probabilities",
      inputSize: 4,
      dynamicBatch: true,
      layers: [
        {
          weights: [
            [0.5, -1, 2, 0.25],
            [1, 1, -0.5, 0],
            [-2, 0.5, 0, 1],
          ],
          bias: [0.1, 0, -0.3],
          activation: "relu" as const,
        },
        {
          weights: [
            [1, -1, 0.5],
            [0, 2, -1],
          ],
          bias: [0, 0.2],
          activation: "softmax" as const,
        },
      ],
    };
    const old = buildMlp({ ...spec, opset: 9 });
    expect(inspectOnnx(old).defaultOpset).to.equal(9);
    assertServable(inspectOnnx(old));
    const input = encodeTensors([
      { dtype: DType.FLOAT, decimals: 0, shape: [2, 4], data: [5.1, 3.5, 1.4, 0.2, 6.3, 3.3, 6, 2.5] },
    ]);
    const outputs = new Set<string>();
    for (const bytes of [old, buildMlp({ ...spec, opset: 17 })]) {
      for (const session of [new ModelRuntime(), new ModelRuntime()]) {
        const outcome = await session.run(await session.load(hashOf(bytes), bytes), input, 6);
        await session.close();
        expect(outcome.kind).to.equal("ok");
        outputs.add(ethers.hexlify(outcome.output));
      }
    }
    expect(outputs.size).to.equal(1);
  });

  it("refuses external data, opsets outside 7..21 and unsupported dtypes with what to do", function () {
    const external = buildGraph({
      inputs: [{ name: "x", elemType: ELEM.FLOAT, dims: [1, 2] }],
      outputs: [{ name: "y", elemType: ELEM.FLOAT, dims: [1, 2] }],
      nodes: [{ op: "Add", inputs: ["x", "w"], outputs: ["y"] }],
      initializers: [{ name: "w", dims: [2], values: [1, 2] }],
      external: true,
    });
    const info = inspectOnnx(external);
    expect(info.externalData).to.deep.equal(["weights.bin"]);
    expect(() => assertServable(info)).to.throw(UnsupportedModelError, /external data.*embed the weights/);
    expect(() => assertServable(inspectOnnx(multiDtypeModel(6)))).to.throw(UnsupportedModelError, /opset 6 is outside/);
    expect(() => assertServable(inspectOnnx(multiDtypeModel(22)))).to.throw(
      UnsupportedModelError,
      /opset 22 is outside/,
    );
    const half = buildGraph({
      inputs: [{ name: "x", elemType: 10, dims: [1] }],
      outputs: [{ name: "y", elemType: 10, dims: [1] }],
      nodes: [{ op: "Identity", inputs: ["x"], outputs: ["y"] }],
    });
    expect(() => assertServable(inspectOnnx(half))).to.throw(UnsupportedModelError, /float16/);
  });

  it("a registered model the runtime cannot serve yields a verifiable MODEL_LOAD error result, not a crash", async function () {
    const dir = await mkdtemp(path.join(os.tmpdir(), "opg-cap-"));
    const bytes = buildGraph({
      inputs: [{ name: "x", elemType: ELEM.FLOAT, dims: [1, 2] }],
      outputs: [{ name: "y", elemType: ELEM.FLOAT, dims: [1, 2] }],
      nodes: [{ op: "Add", inputs: ["x", "w"], outputs: ["y"] }],
      initializers: [{ name: "w", dims: [2], values: [1, 2] }],
      external: true,
    });
    const file = path.join(dir, "external.onnx");
    await writeFile(file, bytes);
    const context = {
      model: { kind: 0n, uri: `file://${file}`, contentHash: hashOf(bytes), outputDecimals: 6n },
      input: encodeTensors([{ dtype: DType.FLOAT, decimals: 0, shape: [1, 2], data: [1, 2] }]),
      inputProblem: null,
    } as unknown as RequestContext;
    const store = new ModelStore({ cacheDir: path.join(dir, "cache") });
    const outcome = await execute(context, serving(store), { maxOutputBytes: 16_384n });
    expect(outcome.kind).to.equal("error");
    expect(decodeErrorResult(outcome.output)).to.equal("MODEL_LOAD");
  });

  it("an output above the hub's limit becomes an OUTPUT_TOO_LARGE error result", async function () {
    const dir = await mkdtemp(path.join(os.tmpdir(), "opg-cap-"));
    const bytes = multiDtypeModel();
    const file = path.join(dir, "multi.onnx");
    await writeFile(file, bytes);
    const context = {
      model: { kind: 0n, uri: `file://${file}`, contentHash: hashOf(bytes), outputDecimals: 6n },
      input: multiDtypeInput(8),
      inputProblem: null,
    } as unknown as RequestContext;
    const outcome = await execute(context, serving(new ModelStore({ cacheDir: path.join(dir, "cache") })), {
      maxOutputBytes: 64n,
    });
    expect(decodeErrorResult(outcome.output)).to.equal("OUTPUT_TOO_LARGE");
  });
});

describe("Inputs too large for calldata go by URI + hash (end to end)", function () {
  it("a 24 KB input is passed by file URI, verified against its hash and served", async function () {
    this.timeout(120_000);
    const connection = await network.create();
    const dir = await mkdtemp(path.join(os.tmpdir(), "opg-uri-"));
    const net = await startLocalNetwork(connection, { dir, logger: memoryLogger(), workers: 2, verifiers: 3 });
    try {
      const width = 2048;
      const model = rowMeanModel(width);
      const modelFile = path.join(dir, "rowmean.onnx");
      await writeFile(modelFile, model);
      const runtime = new ModelRuntime();
      const digest = schemaDigest(modelSchema(await runtime.load(hashOf(model), model)));
      await runtime.close();
      const modelId = await registerModel(net.protocol, net.actors.modelOwner, {
        contentHash: hashOf(model),
        uri: `file://${modelFile}`,
        fee: OPG,
        mode: Mode.OPTIMISTIC,
        outputDecimals: 6,
        tolerance: 10n,
        royaltyBps: 1_000,
        schemaDigest: digest,
      });
      const batch = 3;
      const input = encodeTensors([
        {
          dtype: DType.FLOAT,
          decimals: 0,
          shape: [batch, width],
          data: Array.from({ length: batch * width }, (_, i) => (i % width) / width),
        },
      ]);
      const maxInline = (await net.protocol.hub.params()).maxInputBytes;
      expect(BigInt(input.length)).to.be.greaterThan(maxInline);
      const inputFile = path.join(dir, "input.bin");
      await writeFile(inputFile, input);
      const client = new OpgClient(net.contracts.addresses, net.actors.requester);
      const { requestId } = await client.request(modelId, {
        uri: `file://${inputFile}`,
        hash: ethers.keccak256(input),
      });
      await settleAll(net, connection, [requestId]);
      const record = await client.status(requestId);
      expect(record.status).to.equal("Finalized");
      expect(record.output?.isError).to.equal(false);
      const mean = record.output!.tensors![0]!;
      expect(mean.shape).to.deep.equal([batch, 1]);
      // Mean of i/2048 for i < 2048 is 0.49975585…: 6 decimals.
      expect(mean.data).to.deep.equal([499756n, 499756n, 499756n]);
    } finally {
      await net.stop();
    }
  });
});
