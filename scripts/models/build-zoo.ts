/**
 * Builds the model zoo: trains every zoo model on its real data set, exports it to `models/<name>.onnx`, writes
 * `models/<name>.json` (inputs, outputs, held-out accuracy, decimals, tolerance, sha256, data set, split, seed,
 * training configuration, an example input and its canonical output) and prints the held-out accuracy of each
 * exported model, measured through onnxruntime. The same seed always gives the same bytes (docs/MODELS.md).
 *
 *   npm run models:build
 *   OPG_ZOO_SEED=7 OPG_ZOO_DIR=/tmp/zoo npx hardhat run scripts/models/build-zoo.ts
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

import { decodeTensors, encodeTensors } from "../../offchain/codec/tensor.js";
import { ModelRuntime } from "../../offchain/model/runtime.js";
import { buildZoo, DEFAULT_ZOO_SEED, type ZooModel } from "../../offchain/zoo/zoo.js";

const seed = process.env.OPG_ZOO_SEED === undefined ? DEFAULT_ZOO_SEED : Number(process.env.OPG_ZOO_SEED);
const dir = path.resolve(process.env.OPG_ZOO_DIR ?? "models");
const started = performance.now();
const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(1)} s`;

console.log(`Building the OPG model zoo (seed ${seed}) into ${path.relative(process.cwd(), dir) || "."}/`);
const runtime = new ModelRuntime();
try {
  const zoo = await buildZoo({ seed, runtime, onProgress: (message) => console.log(`  [${elapsed()}] ${message}`) });
  await mkdir(dir, { recursive: true });
  console.log("\nmodel        held-out accuracy  floor   test set  size       sha256");
  for (const model of zoo) {
    await writeFile(path.join(dir, `${model.name}.onnx`), model.bytes);
    await writeFile(path.join(dir, `${model.name}.json`), `${JSON.stringify(await metadata(model), null, 2)}\n`);
    console.log(
      `${model.name.padEnd(12)} ${`${(model.accuracy * 100).toFixed(2)} %`.padStart(17)}  ` +
        `${model.accuracyFloor.toFixed(2)}  ${String(model.testSet.labels.length).padStart(8)}  ` +
        `${`${(model.bytes.length / 1024).toFixed(1)} KB`.padStart(9)}  ${model.sha256}`,
    );
  }
  console.log(`\nWrote ${zoo.length * 2} files in ${elapsed()}.`);
} finally {
  await runtime.close();
}

async function metadata(model: ZooModel): Promise<Record<string, unknown>> {
  const input = encodeTensors([model.exampleInput]);
  const loaded = await runtime.load(model.sha256, model.bytes);
  const outcome = await runtime.run(loaded, input, model.outputDecimals);
  if (outcome.kind !== "ok")
    throw new Error(`${model.name}: example input failed (${outcome.code}: ${outcome.detail})`);
  const [output] = decodeTensors(outcome.output);
  return {
    name: model.name,
    description: model.description,
    file: `${model.name}.onnx`,
    sha256: model.sha256,
    sizeBytes: model.bytes.length,
    inputs: model.inputs,
    outputs: model.outputs,
    canonicalOutput: { dtype: "FIXED64", decimals: model.outputDecimals },
    accuracy: model.accuracy,
    accuracyFloor: model.accuracyFloor,
    accuracyMeasuredOn: `held-out split (${model.testSet.labels.length} examples), exported ONNX via onnxruntime`,
    outputDecimals: model.outputDecimals,
    tolerance: model.tolerance.toString(),
    dataset: { name: model.dataset.name, source: model.dataset.source, classes: model.dataset.classNames },
    split: model.dataset.split,
    seed: model.seed,
    training: model.training,
    exampleInput: { shape: model.exampleInput.shape, data: model.exampleInput.data, hex: hex(input) },
    exampleOutput: {
      shape: output?.shape ?? [],
      fixed: (output?.data ?? []).map(String),
      hex: hex(outcome.output),
    },
  };
}

function hex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes).toString("hex")}`;
}
