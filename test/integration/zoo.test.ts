import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { expect } from "chai";
import onnxProto from "onnx-proto";

import { decodeTensors, DType, encodeTensors } from "../../offchain/codec/tensor.js";
import { ModelRuntime } from "../../offchain/model/runtime.js";
import { compareOutputs, perturbOutput } from "../../offchain/model/tolerance.js";
import { loadIris, loadMnist, standardization, standardize } from "../../offchain/zoo/datasets.js";
import { accuracyOf, trainMlp } from "../../offchain/zoo/train.js";
import { buildZoo, sha256Hex, ZOO_MODEL_NAMES, ZooError, type ZooModel } from "../../offchain/zoo/zoo.js";
import type { RunModelJob, RunModelResult } from "./helpers/run-model.js";

const { onnx } = onnxProto;
const execFileAsync = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const HELPER = path.join(ROOT, "test/integration/helpers/run-model.ts");

/**
 * sha256 of the shipped zoo (seed 1) as listed in docs/MODELS.md. A change to the data, the trainer, the training
 * configuration or the ONNX writer changes them: rebuild (`npm run models:build`) and update both places.
 */
const SHIPPED_SHA256: Readonly<Record<string, string>> = {
  "iris-mlp": "0xc0d301de5f95b7eb04c3b96592bd735a4bd17a960e8d412de3e125e84dbced39",
  "mnist-mlp": "0x367c385026c6ee5776ff43f3c8cb2788de4aa6578dc1e0bc9fafd09887b0a272",
};

function hex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes).toString("hex")}`;
}

describe("model zoo (real data, own trainer, exported ONNX)", function () {
  this.timeout(180_000);

  let zoo: ZooModel[];
  let dir: string;
  const runtime = new ModelRuntime();

  const model = (name: string): ZooModel => {
    const found = zoo.find((m) => m.name === name);
    if (found === undefined) expect.fail(`no zoo model ${name}`);
    return found;
  };

  before(async function () {
    zoo = await buildZoo({ runtime });
    dir = await mkdtemp(path.join(os.tmpdir(), "opg-zoo-test-"));
    for (const m of zoo) await writeFile(path.join(dir, `${m.name}.onnx`), m.bytes);
  });

  after(async function () {
    await runtime.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  describe("data sets", function () {
    it("splits Iris 120/30 and MNIST 8,000/2,000, stratified and disjoint, the same way for the same seed", function () {
      const iris = loadIris({ seed: 1 });
      expect([iris.train.size, iris.test.size]).to.deep.equal([120, 30]);
      for (let c = 0; c < 3; c++) expect(iris.test.labels.filter((l) => l === c).length).to.equal(10);
      expect(loadIris({ seed: 1 }).test.features).to.deep.equal(iris.test.features);
      expect(loadIris({ seed: 2 }).test.features).to.not.deep.equal(iris.test.features);
      const rows = (set: typeof iris.train): Set<string> =>
        new Set(Array.from({ length: set.size }, (_, i) => set.features.subarray(i * 4, i * 4 + 4).join(",")));
      const trainRows = rows(iris.train);
      // Iris has a few duplicate flowers; a held-out row may equal a training row only if it is one of them.
      const overlap = [...rows(iris.test)].filter((r) => trainRows.has(r));
      expect(overlap.length).to.be.at.most(2);

      const mnist = loadMnist({ seed: 1 });
      expect([mnist.train.size, mnist.test.size, mnist.train.featureCount]).to.deep.equal([8000, 2000, 784]);
      expect(Math.min(...mnist.test.features.subarray(0, 784 * 50))).to.equal(0);
      expect(Math.max(...mnist.test.features.subarray(0, 784 * 50))).to.be.at.most(1);
      const counts = Array.from({ length: 10 }, (_, d) => mnist.test.labels.filter((l) => l === d).length);
      counts.forEach((n) => expect(n).to.be.within(170, 230));
    });

    it("computes the Iris standardisation on the training split only", function () {
      const iris = loadIris({ seed: 1 });
      expect(iris.standardization).to.deep.equal(standardization(iris.train));
      expect(iris.standardization).to.not.deep.equal(standardization(iris.test));
    });
  });

  describe("accuracy", function () {
    it("every model clears its floor (>= 0.90) on the held-out split, measured through onnxruntime", async function () {
      expect(zoo.map((m) => m.name)).to.deep.equal([...ZOO_MODEL_NAMES]);
      for (const m of zoo) {
        expect(m.accuracyFloor, m.name).to.be.at.least(0.9);
        expect(m.accuracy, m.name).to.be.at.least(m.accuracyFloor);
        // Independently of buildZoo: a fresh runtime, one request per chunk of 250 held-out examples.
        const fresh = new ModelRuntime();
        try {
          const loaded = await fresh.load(m.sha256, m.bytes);
          const [n, features] = m.testSet.input.shape as [number, number];
          const data = m.testSet.input.data as number[];
          let correct = 0;
          for (let start = 0; start < n; start += 250) {
            const count = Math.min(250, n - start);
            const input = encodeTensors([
              {
                dtype: DType.FLOAT,
                decimals: 0,
                shape: [count, features],
                data: data.slice(start * features, (start + count) * features),
              },
            ]);
            const outcome = await fresh.run(loaded, input, m.outputDecimals);
            if (outcome.kind !== "ok") expect.fail(`${m.name}: ${outcome.code} ${outcome.detail}`);
            const [probs] = outcome.tensors;
            const k = probs?.shape[1] as number;
            const values = probs?.data as bigint[];
            for (let i = 0; i < count; i++) {
              const row = values.slice(i * k, (i + 1) * k);
              const best = row.indexOf(row.reduce((a, b) => (b > a ? b : a)));
              if (best === m.testSet.labels[start + i]) correct++;
            }
          }
          expect(correct / n, m.name).to.be.at.least(m.accuracyFloor);
          expect(Math.abs(correct / n - m.accuracy), m.name).to.be.at.most(1 / n);
        } finally {
          await fresh.close();
        }
      }
      expect(model("iris-mlp").testSet.labels).to.have.length(30);
      expect(model("mnist-mlp").testSet.labels).to.have.length(2000);
    });

    it("the exported float32 model classifies like the trainer's float64 model (folded standardisation)", function () {
      const iris = loadIris({ seed: 1 });
      const trained = trainMlp(standardize(iris.train, iris.standardization), {
        hidden: [16],
        classCount: 3,
        epochs: 200,
        batchSize: 16,
        learningRate: 0.01,
        seed: 1,
      });
      expect(accuracyOf(trained, standardize(iris.test, iris.standardization))).to.equal(model("iris-mlp").accuracy);
    });

    it("refuses to ship a model below its floor", async function () {
      const attempt = buildZoo({ models: ["mnist-mlp"], training: { "mnist-mlp": { epochs: 1, learningRate: 1e-6 } } });
      try {
        await attempt;
        expect.fail("expected ZooError");
      } catch (error) {
        expect(error).to.be.instanceOf(ZooError);
        expect((error as Error).message).to.match(/below its floor/);
      }
    });
  });

  describe("bytes and metadata", function () {
    it("gives byte-identical models for the same seed (the sha256s in docs/MODELS.md), different ones for another", async function () {
      for (const m of zoo) expect(m.sha256, m.name).to.equal(SHIPPED_SHA256[m.name]);
      const again = await buildZoo({ runtime });
      expect(again.map((m) => hex(m.bytes))).to.deep.equal(zoo.map((m) => hex(m.bytes)));
      const [other] = await buildZoo({ seed: 2, models: ["iris-mlp"], runtime });
      expect(other?.sha256).to.not.equal(model("iris-mlp").sha256);
    });

    it("declares its inputs and outputs as onnxruntime sees them, and carries doc_string and metadata_props", async function () {
      for (const m of zoo) {
        expect(m.sha256).to.equal(sha256Hex(m.bytes));
        const loaded = await runtime.load(m.sha256, m.bytes);
        expect(loaded.inputs.map((s) => [s.name, s.ortType, s.shape[1]])).to.deep.equal(
          m.inputs.map((s) => [s.name, "float32", s.shape[1]]),
        );
        expect(loaded.outputs.map((s) => [s.name, s.ortType, s.shape[1]])).to.deep.equal(
          m.outputs.map((s) => [s.name, "float32", s.shape[1]]),
        );
        expect(typeof loaded.inputs[0]?.shape[0]).to.equal("string"); // dynamic batch
        const proto = onnx.ModelProto.decode(m.bytes);
        expect(proto.docString).to.equal(m.description);
        const props = Object.fromEntries(proto.metadataProps.map((p) => [p.key, p.value]));
        expect(props["opg.name"]).to.equal(m.name);
        expect(props["opg.output_decimals"]).to.equal(String(m.outputDecimals));
        expect(props["opg.tolerance"]).to.equal(m.tolerance.toString());
        expect(props["opg.split"]).to.equal(m.dataset.split.description);
        expect([m.outputDecimals, m.tolerance]).to.deep.equal([6, 10n]);
      }
    });
  });

  describe("determinism and tolerance", function () {
    it("two separate processes produce byte-identical canonical outputs for every model", async function () {
      for (const m of zoo) {
        const batch = {
          dtype: DType.FLOAT,
          decimals: 0,
          shape: [m.exampleInputs.length, m.inputs[0]?.shape[1] as number],
          data: m.exampleInputs.flatMap((t) => t.data as number[]),
        };
        const inputs = [...m.exampleInputs, batch].map((t) => hex(encodeTensors([t])));
        const job: RunModelJob = { model: path.join(dir, `${m.name}.onnx`), outputDecimals: m.outputDecimals, inputs };
        const jobPath = path.join(dir, `${m.name}.job.json`);
        await writeFile(jobPath, JSON.stringify(job));
        const run = async (): Promise<RunModelResult> => {
          const { stdout } = await execFileAsync(process.execPath, ["--import", "tsx", HELPER, jobPath], {
            cwd: ROOT,
            maxBuffer: 16 * 1024 * 1024,
          });
          return JSON.parse(stdout) as RunModelResult;
        };
        const [a, b] = await Promise.all([run(), run()]);
        expect(a.pid).to.not.equal(b.pid);
        expect(a.sha256).to.equal(m.sha256);
        expect(a.outputs).to.have.length(inputs.length);
        expect(b.outputs, m.name).to.deep.equal(a.outputs);
        // The in-process runtime (the test's own) gives the same bytes as well.
        const loaded = await runtime.load(m.sha256, m.bytes);
        for (let i = 0; i < inputs.length; i++) {
          const outcome = await runtime.run(
            loaded,
            Buffer.from((inputs[i] as string).slice(2), "hex"),
            m.outputDecimals,
          );
          expect(hex(outcome.output), `${m.name} input ${i}`).to.equal(a.outputs[i]);
        }
        // Outputs are probabilities: FIXED64 with the model's decimals, each row summing to ~1.
        const [probs] = decodeTensors(Buffer.from((a.outputs[0] as string).slice(2), "hex"));
        expect(probs?.dtype).to.equal(DType.FIXED64);
        expect(probs?.decimals).to.equal(m.outputDecimals);
        const sum = (probs?.data as bigint[]).reduce((x, y) => x + y, 0n);
        expect(Number(sum)).to.be.closeTo(1e6, 10);
      }
    });

    it("accepts an output perturbed by the tolerance and rejects tolerance + 1", async function () {
      for (const m of zoo) {
        const loaded = await runtime.load(m.sha256, m.bytes);
        for (const input of m.exampleInputs.slice(0, 3)) {
          const outcome = await runtime.run(loaded, encodeTensors([input]), m.outputDecimals);
          if (outcome.kind !== "ok") expect.fail(`${m.name}: ${outcome.code}`);
          const honest = outcome.output;
          expect(compareOutputs(honest, honest, m.tolerance).agree).to.equal(true);
          for (const sign of [1n, -1n]) {
            const within = compareOutputs(honest, perturbOutput(honest, sign * m.tolerance), m.tolerance);
            expect(within.agree, `${m.name} ±tolerance: ${within.reason}`).to.equal(true);
            expect(within.maxAbsDiff).to.equal(m.tolerance);
            const beyond = compareOutputs(honest, perturbOutput(honest, sign * (m.tolerance + 1n)), m.tolerance);
            expect(beyond.agree, `${m.name} ±(tolerance + 1)`).to.equal(false);
            expect(beyond.maxAbsDiff).to.equal(m.tolerance + 1n);
          }
        }
      }
    });
  });
});
