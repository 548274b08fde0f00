import { createHash } from "node:crypto";

import { expect } from "chai";
import onnxProto from "onnx-proto";

import { decodeTensors, DType, encodeTensors, type TensorData } from "../../offchain/codec/tensor.js";
import {
  canonicalDetail,
  decodeErrorResult,
  decodeErrorResultDetail,
  encodeErrorResult,
  ERROR_CODES,
  type ErrorCode,
  isErrorResult,
} from "../../offchain/model/errorResult.js";
import { buildDemoModels, buildMlp, type DemoModel, OnnxBuildError } from "../../offchain/model/onnxBuilder.js";
import {
  defaultSessionOptions,
  type InferenceOutcome,
  type LoadedModel,
  ModelLoadError,
  ModelRuntime,
  ModelRuntimeUsageError,
} from "../../offchain/model/runtime.js";
import { expectRejects } from "./helpers/assertions.js";

const { onnx } = onnxProto;

function sha256(bytes: Uint8Array): string {
  return `0x${createHash("sha256").update(bytes).digest("hex")}`;
}

function demo(name: string): DemoModel {
  const model = buildDemoModels().find((m) => m.name === name);
  if (model === undefined) throw new Error(`no demo model ${name}`);
  return model;
}

function floats(shape: number[], data: number[]): Uint8Array {
  return encodeTensors([{ dtype: DType.FLOAT, decimals: 0, shape, data }]);
}

function expectOk(outcome: InferenceOutcome): TensorData[] {
  if (outcome.kind !== "ok") expect.fail(`expected an output, got error ${outcome.code}: ${outcome.detail}`);
  expect(decodeTensors(outcome.output)).to.deep.equal(outcome.tensors);
  return outcome.tensors;
}

function expectError(outcome: InferenceOutcome, code: ErrorCode): string {
  if (outcome.kind !== "error") expect.fail(`expected error ${code}, got an output`);
  expect(outcome.code).to.equal(code);
  // Input errors post their (deterministic) detail; the others only their code.
  expect(outcome.output).to.deep.equal(encodeErrorResult(code, outcome.detail));
  expect(decodeErrorResult(outcome.output)).to.equal(code);
  const posted = decodeErrorResultDetail(outcome.output)?.detail ?? null;
  expect(posted).to.equal(code === "INPUT_DECODE" || code === "INPUT_SCHEMA" ? canonicalDetail(outcome.detail) : null);
  return outcome.detail;
}

/** A hand-written graph (for shapes the MLP builder does not make). */
function customModel(
  inputs: Array<{ name: string; elemType: number; dims?: Array<number | string> }>,
  outputs: Array<{ name: string; elemType: number }>,
  nodes: Array<{ opType: string; input: string[]; output: string[] }>,
  initializer: InstanceType<typeof onnx.TensorProto>[] = [],
): Uint8Array {
  const valueInfo = (name: string, elemType: number, dims?: Array<number | string>) =>
    onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType,
          ...(dims === undefined
            ? {}
            : { shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) } }),
        },
      },
    });
  const graph = onnx.GraphProto.create({
    name: "test",
    node: nodes.map((n) => onnx.NodeProto.create(n)),
    initializer,
    input: inputs.map((i) => valueInfo(i.name, i.elemType, i.dims)),
    output: outputs.map((o) => valueInfo(o.name, o.elemType)),
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "opg-test",
    opsetImport: [{ domain: "", version: 17 }],
    graph,
  });
  return Uint8Array.from(onnx.ModelProto.encode(model).finish());
}

const ONNX_FLOAT = 1;
const ONNX_INT64 = 7;
const ONNX_FLOAT16 = 10;

describe("model runtime", function () {
  this.timeout(30_000);

  describe("onnxBuilder", function () {
    it("builds the same bytes on every call", function () {
      const first = buildDemoModels();
      const second = buildDemoModels();
      expect(first.map((m) => m.name)).to.include.members(["iris-linear", "xor-mlp"]);
      expect(first.map((m) => sha256(m.bytes))).to.deep.equal(second.map((m) => sha256(m.bytes)));
      expect(new Set(first.map((m) => sha256(m.bytes))).size).to.equal(first.length);
      const spec = {
        inputName: "x",
        outputName: "y",
        inputSize: 2,
        layers: [{ weights: [[1, 2]], bias: [3], activation: "none" as const }],
      };
      expect(buildMlp(spec)).to.deep.equal(buildMlp(spec));
      expect(buildMlp(spec)).to.not.deep.equal(buildMlp({ ...spec, dynamicBatch: true }));
    });

    it("sets producer, IR version, opset and the declared shapes", function () {
      const bytes = buildMlp({
        inputName: "x",
        outputName: "y",
        inputSize: 3,
        dynamicBatch: true,
        layers: [
          { weights: [[1, 0, 0]], bias: [0], activation: "relu" },
          { weights: [[1], [2]], bias: [0, 0], activation: "softmax" },
        ],
      });
      const model = onnx.ModelProto.decode(bytes);
      expect(model.producerName).to.equal("opg");
      expect(Number(model.irVersion)).to.equal(8);
      expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).to.deep.equal([["", 17]]);
      const input = model.graph?.input?.[0]?.type?.tensorType?.shape?.dim ?? [];
      expect(input.map((d) => d.dimParam || Number(d.dimValue))).to.deep.equal(["batch", 3]);
      const output = model.graph?.output?.[0]?.type?.tensorType?.shape?.dim ?? [];
      expect(output.map((d) => d.dimParam || Number(d.dimValue))).to.deep.equal(["batch", 2]);
      expect(model.graph?.node?.map((n) => n.opType)).to.deep.equal(["Gemm", "Relu", "Gemm", "Softmax"]);
      const fixed = onnx.ModelProto.decode(
        buildMlp({
          inputName: "x",
          outputName: "y",
          inputSize: 1,
          layers: [{ weights: [[1]], bias: [0], activation: "none" }],
        }),
      );
      const fixedDims = fixed.graph?.input?.[0]?.type?.tensorType?.shape?.dim ?? [];
      expect(fixedDims.map((d) => d.dimParam || Number(d.dimValue))).to.deep.equal([1, 1]);
    });

    it("rejects inconsistent specs with an OnnxBuildError naming the field", function () {
      const base = { inputName: "x", outputName: "y", inputSize: 2 };
      const bad: Array<[Parameters<typeof buildMlp>[0], RegExp]> = [
        [{ ...base, layers: [] }, /layers is empty/],
        [{ ...base, layers: [{ weights: [[1, 2, 3]], bias: [0], activation: "none" }] }, /weights\[0\] has 3 values/],
        [{ ...base, layers: [{ weights: [[1, 2]], bias: [0, 1], activation: "none" }] }, /bias has 2 values/],
        [{ ...base, layers: [{ weights: [[1, Number.NaN]], bias: [0], activation: "none" }] }, /weights\[0\]\[1\]/],
        [{ ...base, layers: [{ weights: [[1, 1e39]], bias: [0], activation: "none" }] }, /float32 range/],
        [{ ...base, opset: 6, layers: [{ weights: [[1, 1]], bias: [0], activation: "none" }] }, /opset 6/],
        [{ ...base, inputSize: 0, layers: [{ weights: [[]], bias: [0], activation: "none" }] }, /inputSize/],
        [{ ...base, outputName: "x", layers: [{ weights: [[1, 1]], bias: [0], activation: "none" }] }, /different/],
        [
          { ...base, inputName: "layer0.linear", layers: [{ weights: [[1, 1]], bias: [0], activation: "none" }] },
          /internal/,
        ],
      ];
      for (const [spec, message] of bad) {
        expect(() => buildMlp(spec)).to.throw(OnnxBuildError, message);
      }
    });
  });

  describe("running models", function () {
    let runtime: ModelRuntime;

    beforeEach(function () {
      runtime = new ModelRuntime();
    });

    afterEach(async function () {
      await runtime.close();
    });

    it("reports input and output metadata from the session, with symbolic dims", async function () {
      const iris = demo("iris-linear");
      const model = await runtime.load(sha256(iris.bytes), iris.bytes);
      expect(model.contentHash).to.equal(sha256(iris.bytes));
      expect(model.inputs).to.deep.equal([
        { name: "features", dtype: DType.FLOAT, ortType: "float32", shape: ["batch", 4] },
      ]);
      expect(model.outputs).to.deep.equal([
        { name: "probabilities", dtype: DType.FLOAT, ortType: "float32", shape: ["batch", 3] },
      ]);
      const xor = demo("xor-mlp");
      const xorModel = await runtime.load(sha256(xor.bytes), xor.bytes);
      expect(xorModel.inputs[0]?.shape).to.deep.equal([1, 2]);
    });

    it("computes XOR exactly and canonicalises it to FIXED64", async function () {
      const xor = demo("xor-mlp");
      const model = await runtime.load(sha256(xor.bytes), xor.bytes);
      const cases: Array<[number, number, bigint]> = [
        [0, 0, 0n],
        [0, 1, 1_000_000n],
        [1, 0, 1_000_000n],
        [1, 1, 0n],
      ];
      for (const [a, b, expected] of cases) {
        const [tensor] = expectOk(await runtime.run(model, floats([1, 2], [a, b]), xor.outputDecimals));
        expect(tensor).to.deep.equal({ dtype: DType.FIXED64, decimals: 6, shape: [1, 1], data: [expected] });
      }
      const example = await runtime.run(model, encodeTensors([xor.exampleInput]), xor.outputDecimals);
      expect(expectOk(example)[0]?.data).to.deep.equal([1_000_000n]);
    });

    it("classifies Iris samples, batched, with probabilities summing to one", async function () {
      const iris = demo("iris-linear");
      const model = await runtime.load(sha256(iris.bytes), iris.bytes);
      const samples: Array<[number[], number]> = [
        [[5.1, 3.5, 1.4, 0.2], 0],
        [[4.9, 3.0, 1.4, 0.2], 0],
        [[7.0, 3.2, 4.7, 1.4], 1],
        [[5.7, 2.8, 4.1, 1.3], 1],
        [[6.3, 3.3, 6.0, 2.5], 2],
        [[6.5, 3.0, 5.2, 2.0], 2],
      ];
      const [tensor] = expectOk(
        await runtime.run(
          model,
          floats(
            [samples.length, 4],
            samples.flatMap(([x]) => x),
          ),
          iris.outputDecimals,
        ),
      );
      expect(tensor?.dtype).to.equal(DType.FIXED64);
      expect(tensor?.shape).to.deep.equal([samples.length, 3]);
      const data = tensor?.data as bigint[];
      samples.forEach(([, label], row) => {
        const p = data.slice(row * 3, row * 3 + 3);
        const best = p.indexOf(p.reduce((m, x) => (x > m ? x : m)));
        expect(best, `sample ${row}`).to.equal(label);
        const sum = p.reduce((s, x) => s + x, 0n);
        expect(Number(sum - 1_000_000n)).to.be.within(-3, 3);
      });
      expectOk(await runtime.run(model, encodeTensors([iris.exampleInput]), iris.outputDecimals));
    });

    it("loads models built for other opsets with the same results", async function () {
      const layers = [
        {
          weights: [
            [1, -1],
            [0.5, 2],
          ],
          bias: [0.25, -1],
          activation: "relu" as const,
        },
        { weights: [[1, 1]], bias: [0], activation: "none" as const },
      ];
      const outputs: Uint8Array[] = [];
      for (const opset of [13, 17, 21]) {
        const bytes = buildMlp({ inputName: "x", outputName: "y", inputSize: 2, layers, opset });
        const model = await runtime.load(sha256(bytes), bytes);
        const outcome = await runtime.run(model, floats([1, 2], [2, 1]), 4);
        expectOk(outcome);
        outputs.push(outcome.output);
      }
      // relu([2-1+0.25, 1+2-1]) = [1.25, 2] → 3.25
      expect(decodeTensors(outputs[0] as Uint8Array)[0]?.data).to.deep.equal([32_500n]);
      expect(outputs[1]).to.deep.equal(outputs[0]);
      expect(outputs[2]).to.deep.equal(outputs[0]);
    });

    it("keeps integer outputs as integers", async function () {
      const bytes = customModel(
        [{ name: "a", elemType: ONNX_INT64, dims: ["n"] }],
        [{ name: "b", elemType: ONNX_INT64 }],
        [{ opType: "Neg", input: ["a"], output: ["b"] }],
      );
      const model = await runtime.load(sha256(bytes), bytes);
      const input = encodeTensors([{ dtype: DType.INT64, decimals: 0, shape: [3], data: [1n, -2n, 1n << 62n] }]);
      const [tensor] = expectOk(await runtime.run(model, input, 6));
      expect(tensor).to.deep.equal({ dtype: DType.INT64, decimals: 0, shape: [3], data: [-1n, 2n, -(1n << 62n)] });
    });
  });

  describe("error outcomes", function () {
    let runtime: ModelRuntime;
    let iris: LoadedModel;
    let xor: LoadedModel;

    before(async function () {
      runtime = new ModelRuntime();
      const irisDemo = demo("iris-linear");
      const xorDemo = demo("xor-mlp");
      iris = await runtime.load(sha256(irisDemo.bytes), irisDemo.bytes);
      xor = await runtime.load(sha256(xorDemo.bytes), xorDemo.bytes);
    });

    after(async function () {
      await runtime.close();
    });

    it("INPUT_DECODE for bytes that are not a canonical encoding", async function () {
      const good = floats([1, 2], [0, 1]);
      expectError(await runtime.run(xor, new Uint8Array([1, 2, 3]), 6), "INPUT_DECODE");
      expectError(await runtime.run(xor, good.subarray(0, good.length - 1), 6), "INPUT_DECODE");
      expectError(await runtime.run(xor, Uint8Array.from([...good, 0]), 6), "INPUT_DECODE");
      const detail = expectError(await runtime.run(xor, encodeErrorResult("MODEL_RUNTIME"), 6), "INPUT_DECODE");
      expect(detail).to.match(/UNSUPPORTED_VERSION/);
    });

    it("INPUT_SCHEMA for a wrong tensor count, dtype, rank or dimension", async function () {
      const one: TensorData = { dtype: DType.FLOAT, decimals: 0, shape: [1, 2], data: [0, 1] };
      const cases: Array<[LoadedModel, TensorData[], RegExp]> = [
        [xor, [one, one], /takes 1 input tensor\(s\) \(bits\), got 2/],
        [xor, [{ dtype: DType.DOUBLE, decimals: 0, shape: [1, 2], data: [0, 1] }], /must be float32, got float64/],
        [xor, [{ dtype: DType.INT64, decimals: 0, shape: [1, 2], data: [0n, 1n] }], /must be float32, got int64/],
        [xor, [{ dtype: DType.FIXED64, decimals: 6, shape: [1, 2], data: [0n, 1n] }], /must be float32, got fixed64/],
        [xor, [{ ...one, shape: [2], data: [0, 1] }], /rank 2/],
        [xor, [{ ...one, shape: [1, 2, 1], data: [0, 1] }], /rank 2/],
        [xor, [{ ...one, shape: [2, 2], data: [0, 1, 1, 0] }], /dimension 0 is 2, expected 1/],
        [iris, [{ ...one, shape: [1, 3], data: [0, 1, 2] }], /dimension 1 is 3, expected 4/],
        [iris, [{ ...one, shape: [0, 4], data: [] }], /dimension 0 is 0, expected a positive size/],
      ];
      for (const [model, tensors, message] of cases) {
        const detail = expectError(await runtime.run(model, encodeTensors(tensors), 6), "INPUT_SCHEMA");
        expect(detail).to.match(message);
      }
    });

    it("MODEL_RUNTIME when onnxruntime fails during the run", async function () {
      // Reshape to [2, 2] fails at run time unless the (undeclared-shape) input has exactly 4 elements.
      const shapeTensor = onnx.TensorProto.create({
        name: "shape",
        dataType: ONNX_INT64,
        dims: [2],
        int64Data: [2, 2],
      });
      const bytes = customModel(
        [{ name: "x", elemType: ONNX_FLOAT }],
        [{ name: "y", elemType: ONNX_FLOAT }],
        [{ opType: "Reshape", input: ["x", "shape"], output: ["y"] }],
        [shapeTensor],
      );
      // Fatal-only logging: onnxruntime would print the expected kernel failure to stderr.
      const quiet = new ModelRuntime({ sessionOptions: { ...defaultSessionOptions(), logSeverityLevel: 4 } });
      const model = await quiet.load(sha256(bytes), bytes);
      expect(model.inputs[0]?.shape).to.deep.equal([]);
      expectOk(await quiet.run(model, floats([4], [1, 2, 3, 4]), 2));
      const detail = expectError(await quiet.run(model, floats([3], [1, 2, 3]), 2), "MODEL_RUNTIME");
      expect(detail).to.match(/Reshape|reshape/);
      await quiet.close();
    });

    it("OUTPUT_INVALID for NaN and infinite outputs", async function () {
      // xor-mlp on [Infinity, 0]: 0.5·∞ − ∞ = NaN.
      expectError(await runtime.run(xor, floats([1, 2], [Infinity, 0]), 6), "OUTPUT_INVALID");
      const bytes = buildMlp({
        inputName: "x",
        outputName: "y",
        inputSize: 1,
        layers: [{ weights: [[1e30]], bias: [0], activation: "none" }],
      });
      const model = await runtime.load(sha256(bytes), bytes);
      const detail = expectError(await runtime.run(model, floats([1, 1], [1e30]), 6), "OUTPUT_INVALID");
      expect(detail).to.match(/Infinity/);
      // Finite but beyond int64 after scaling saturates, as the codec specifies.
      const [big] = expectOk(await runtime.run(model, floats([1, 1], [1e-10]), 18));
      expect(big?.data).to.deep.equal([(1n << 63n) - 1n]);
    });

    it("throws ModelRuntimeUsageError for decimals outside 0..18", async function () {
      for (const decimals of [-1, 19, 1.5]) {
        await expectRejects(runtime.run(xor, floats([1, 2], [0, 1]), decimals), ModelRuntimeUsageError);
      }
    });
  });

  describe("loading and the session cache", function () {
    it("throws ModelLoadError for bytes onnxruntime rejects", async function () {
      const runtime = new ModelRuntime();
      const junk = new TextEncoder().encode("not an onnx model");
      const error = await expectRejects(runtime.load(sha256(junk), junk), ModelLoadError);
      expect(error.contentHash).to.equal(sha256(junk));
      expect(error.message).to.match(/deregister/);
      expect(runtime.size).to.equal(0);
    });

    it("throws ModelLoadError for inputs the canonical encoding cannot carry", async function () {
      const runtime = new ModelRuntime();
      const bytes = customModel(
        [{ name: "h", elemType: ONNX_FLOAT16, dims: [2] }],
        [{ name: "o", elemType: ONNX_FLOAT16 }],
        [{ opType: "Identity", input: ["h"], output: ["o"] }],
      );
      const error = await expectRejects(runtime.load(sha256(bytes), bytes), ModelLoadError);
      expect(error.message).to.match(/float16/);
      expect(runtime.size).to.equal(0);
      await runtime.close();
    });

    it("reuses the session for the same content hash, also for concurrent loads", async function () {
      const runtime = new ModelRuntime();
      const xor = demo("xor-mlp");
      const hash = sha256(xor.bytes);
      const [a, b] = await Promise.all([runtime.load(hash, xor.bytes), runtime.load(hash, xor.bytes)]);
      const c = await runtime.load(hash.toUpperCase().replace("0X", "0x"), xor.bytes);
      expect(a).to.equal(b);
      expect(a).to.equal(c);
      expect(runtime.sessionsCreated).to.equal(1);
      expect(runtime.size).to.equal(1);
      expectOk(await runtime.run(c, floats([1, 2], [1, 0]), 6));
      await runtime.close();
    });

    it("evicts the least recently used session beyond maxSessions", async function () {
      // One caller-owned options object for every session (onnxruntime must not keep or mutate it).
      const runtime = new ModelRuntime({ maxSessions: 2, sessionOptions: { ...defaultSessionOptions() } });
      const [iris, xor] = [demo("iris-linear"), demo("xor-mlp")];
      const third = buildMlp({
        inputName: "x",
        outputName: "y",
        inputSize: 1,
        layers: [{ weights: [[2]], bias: [0], activation: "none" }],
      });
      const irisModel = await runtime.load(sha256(iris.bytes), iris.bytes);
      await runtime.load(sha256(xor.bytes), xor.bytes);
      await runtime.load(sha256(iris.bytes), iris.bytes); // iris is now the most recently used
      await runtime.load(sha256(third), third);
      expect(runtime.size).to.equal(2);
      expect(runtime.has(sha256(iris.bytes))).to.equal(true);
      expect(runtime.has(sha256(xor.bytes))).to.equal(false);
      expect(runtime.has(sha256(third))).to.equal(true);
      expect(runtime.sessionsCreated).to.equal(3);
      expectOk(await runtime.run(irisModel, encodeTensors([iris.exampleInput]), 6));

      expect(await runtime.evict(sha256(iris.bytes))).to.equal(true);
      expect(await runtime.evict(sha256(iris.bytes))).to.equal(false);
      await expectRejects(runtime.run(irisModel, encodeTensors([iris.exampleInput]), 6), ModelRuntimeUsageError);
      const reloaded = await runtime.load(sha256(iris.bytes), iris.bytes);
      expect(reloaded).to.not.equal(irisModel);
      expect(runtime.sessionsCreated).to.equal(4);
      await runtime.close();
      expect(runtime.size).to.equal(0);
    });

    it("rejects malformed content hashes and options", async function () {
      const runtime = new ModelRuntime();
      const xor = demo("xor-mlp");
      await expectRejects(runtime.load("abc", xor.bytes), ModelRuntimeUsageError);
      expect(() => new ModelRuntime({ maxSessions: 0 })).to.throw(ModelRuntimeUsageError);
    });
  });

  describe("error results", function () {
    it("encodes OPG-ERROR/1:<CODE> and decodes only exact error results", function () {
      for (const code of ERROR_CODES) {
        const bytes = encodeErrorResult(code);
        expect(new TextDecoder().decode(bytes)).to.equal(`OPG-ERROR/1:${code}`);
        expect(decodeErrorResult(bytes)).to.equal(code);
        expect(isErrorResult(bytes)).to.equal(true);
      }
      const text = (s: string) => new TextEncoder().encode(s);
      for (const s of [
        "OPG-ERROR/1:",
        "OPG-ERROR/1:NOPE",
        "OPG-ERROR/2:MODEL_RUNTIME",
        "OPG-ERROR/1:MODEL_RUNTIME\n",
      ]) {
        expect(decodeErrorResult(text(s)), s).to.equal(null);
      }
      expect(decodeErrorResult(text("opg-error/1:MODEL_RUNTIME"))).to.equal(null);
      expect(decodeErrorResult(floats([1], [1]))).to.equal(null);
      expect(decodeErrorResult(new Uint8Array(0))).to.equal(null);
    });

    it("input errors carry a canonical detail; other codes never do", function () {
      const text = (s: string) => new TextEncoder().encode(s);
      const schema = encodeErrorResult("INPUT_SCHEMA", 'input 0 ("x") dimension 1 is 5, expected 4');
      expect(new TextDecoder().decode(schema)).to.equal(
        'OPG-ERROR/1:INPUT_SCHEMA:input 0 ("x") dimension 1 is 5, expected 4',
      );
      expect(decodeErrorResultDetail(schema)).to.deep.equal({
        code: "INPUT_SCHEMA",
        detail: 'input 0 ("x") dimension 1 is 5, expected 4',
      });
      // Runtime messages differ between machines: not posted.
      expect(new TextDecoder().decode(encodeErrorResult("MODEL_RUNTIME", "segfault at 0x1"))).to.equal(
        "OPG-ERROR/1:MODEL_RUNTIME",
      );
      expect(decodeErrorResult(text("OPG-ERROR/1:MODEL_RUNTIME:segfault"))).to.equal(null);
      // Non-ASCII becomes "?", long text is cut at 240 bytes ending in "...".
      expect(canonicalDetail("é\n")).to.equal("??");
      const long = canonicalDetail("x".repeat(500));
      expect(long).to.have.length(240);
      expect(long.endsWith("...")).to.equal(true);
      expect(decodeErrorResultDetail(encodeErrorResult("INPUT_DECODE", "x".repeat(500)))?.detail).to.equal(long);
      // A detail that is not canonical, or empty, is not an error result.
      expect(decodeErrorResult(text("OPG-ERROR/1:INPUT_SCHEMA:"))).to.equal(null);
      expect(decodeErrorResult(text("OPG-ERROR/1:INPUT_SCHEMA:tab\there"))).to.equal(null);
      expect(decodeErrorResult(text(`OPG-ERROR/1:INPUT_SCHEMA:${"x".repeat(241)}`))).to.equal(null);
    });
  });
});
