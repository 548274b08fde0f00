/**
 * The model zoo: real classifiers trained here, from npm data sets, by the project's own trainer (`./train.ts`),
 * exported with `buildMlp` and measured by running the exported ONNX bytes through the protocol's runtime
 * (onnxruntime-node, canonical fixed-point outputs) on a held-out split.
 *
 * | name        | data                 | graph                              | output                      |
 * | ----------- | -------------------- | ---------------------------------- | --------------------------- |
 * | `iris-mlp`  | Iris, 120/30         | 4 → 16 ReLU → 3 softmax            | species probabilities       |
 * | `mnist-mlp` | MNIST, 8,000 / 2,000 | 784 → 64 ReLU → 10 softmax         | digit probabilities         |
 *
 * For a fixed seed the bytes (and sha256) are identical on every build: the split, initialisation and batch order
 * are seeded, training is float64 in a fixed order, and the ONNX writer is deterministic.
 */
import { createHash } from "node:crypto";

import { DType, encodeTensors, type TensorData } from "../codec/tensor.js";
import { buildMlp, type DemoModel } from "../model/onnxBuilder.js";
import { ModelRuntime } from "../model/runtime.js";
import {
  type Examples,
  type IrisDataset,
  loadIris,
  loadMnist,
  MNIST_PIXELS,
  type SplitDataset,
  type SplitInfo,
  standardize,
} from "./datasets.js";
import { accuracyOf, type TrainOptions, toDenseLayers, trainMlp } from "./train.js";

// ------------------------------------------------------------------------------------------------ types

/** Names of the zoo models. */
export const ZOO_MODEL_NAMES = ["iris-mlp", "mnist-mlp"] as const;
export type ZooModelName = (typeof ZOO_MODEL_NAMES)[number];

/** One graph input or output, for docs, metadata files and registry listings. */
export interface ZooTensorInfo {
  name: string;
  /** Graph element type (the canonical output of a FLOAT output is FIXED64 with the model's decimals). */
  dtype: "FLOAT";
  /** `"batch"` is the dynamic batch dimension. */
  shape: Array<number | "batch">;
  description: string;
}

/** Hyper-parameters of one zoo model's training run. */
export interface ZooTrainingConfig {
  hidden: number[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: "adam" | "sgd";
  weightDecay: number;
}

/** A zoo model: a {@link DemoModel} (so it registers like one) plus how it was made and how good it is. */
export interface ZooModel extends DemoModel {
  name: ZooModelName;
  /** `0x` + sha256 of `bytes` (the registry's content hash). */
  sha256: string;
  inputs: ZooTensorInfo[];
  /** Graph outputs (float32); the canonical output is FIXED64 with `outputDecimals`. */
  outputs: ZooTensorInfo[];
  /** Held-out accuracy of the exported ONNX model through onnxruntime (argmax of the canonical output). */
  accuracy: number;
  /** Accuracy the model must reach to ship (tests and `models:build` enforce it). */
  accuracyFloor: number;
  /** Seed of the split, the initial weights and the batch order. */
  seed: number;
  dataset: { name: string; source: string; classNames: readonly string[]; split: SplitInfo };
  training: ZooTrainingConfig & {
    /** Training-split accuracy of the final float64 weights (the trainer's own forward pass). */
    trainAccuracy: number;
    /** Final epoch's mean cross-entropy. */
    finalLoss: number;
  };
  /** Held-out examples, each a batch-1 input (the first is `exampleInput`), for determinism checks and demos. */
  exampleInputs: TensorData[];
  /** The whole held-out split as one float32 batch `[n, features]`, with its labels. */
  testSet: { input: TensorData; labels: number[] };
}

export interface ZooOptions {
  /** Seed of every random choice. Default {@link DEFAULT_ZOO_SEED}. */
  seed?: number;
  /** Which models to build (default all, in {@link ZOO_MODEL_NAMES} order). */
  models?: readonly ZooModelName[];
  /** Per-model changes to the training configuration (e.g. fewer epochs in a quick check). */
  training?: Partial<Record<ZooModelName, Partial<ZooTrainingConfig>>>;
  /** Runtime used for the accuracy measurement; default a fresh one (closed afterwards). */
  runtime?: ModelRuntime;
  /** Progress lines (training epochs, evaluation). */
  onProgress?: (message: string) => void;
}

/** A zoo model cannot be built as asked. */
export class ZooError extends Error {
  override readonly name = "ZooError";
}

// ------------------------------------------------------------------------------------------------ constants

export const DEFAULT_ZOO_SEED = 1;
/** Softmax probabilities with 6 decimals (1e-6 resolution), accepted within 10 units (1e-5). */
export const ZOO_OUTPUT_DECIMALS = 6;
export const ZOO_TOLERANCE = 10n;
/** Examples in `exampleInputs`. */
const EXAMPLE_COUNT = 8;

/** The shipped training configurations. */
export const ZOO_TRAINING: Readonly<Record<ZooModelName, Readonly<ZooTrainingConfig>>> = {
  "iris-mlp": { hidden: [16], epochs: 200, batchSize: 16, learningRate: 0.01, optimizer: "adam", weightDecay: 0 },
  "mnist-mlp": { hidden: [64], epochs: 10, batchSize: 32, learningRate: 0.001, optimizer: "adam", weightDecay: 0 },
};

const ACCURACY_FLOOR: Readonly<Record<ZooModelName, number>> = { "iris-mlp": 0.9, "mnist-mlp": 0.9 };

// ------------------------------------------------------------------------------------------------ public API

/**
 * Trains, exports and evaluates the zoo models.
 * @throws {ZooError} for an unknown model name or a model whose held-out accuracy is below its floor.
 */
export async function buildZoo(options: ZooOptions = {}): Promise<ZooModel[]> {
  const seed = options.seed ?? DEFAULT_ZOO_SEED;
  const names = options.models ?? ZOO_MODEL_NAMES;
  for (const name of names) {
    if (!ZOO_MODEL_NAMES.includes(name)) {
      throw new ZooError(`unknown zoo model "${String(name)}"; choose from ${ZOO_MODEL_NAMES.join(", ")}.`);
    }
  }
  const runtime = options.runtime ?? new ModelRuntime();
  const log = options.onProgress ?? (() => undefined);
  try {
    const models: ZooModel[] = [];
    for (const name of names) {
      const config = { ...ZOO_TRAINING[name], ...options.training?.[name] };
      const model = name === "iris-mlp" ? buildIris(seed, config, log) : buildMnist(seed, config, log);
      model.accuracy = await heldOutAccuracy(runtime, model);
      log(`${name}: held-out accuracy ${(model.accuracy * 100).toFixed(2)} % (exported ONNX, onnxruntime)`);
      if (model.accuracy < model.accuracyFloor) {
        throw new ZooError(
          `${name} reaches ${model.accuracy} on the held-out split, below its floor ${model.accuracyFloor}; ` +
            "train longer or revert the training change.",
        );
      }
      models.push(model);
    }
    return models;
  } finally {
    if (options.runtime === undefined) await runtime.close();
  }
}

/**
 * Accuracy of `model.bytes` on `model.testSet`: one batched request through {@link ModelRuntime.run}, the predicted
 * class being the first maximum of the canonical (FIXED64) output row.
 * @throws {ZooError} when the runtime returns an error result.
 */
export async function heldOutAccuracy(runtime: ModelRuntime, model: ZooModel): Promise<number> {
  const loaded = await runtime.load(model.sha256, model.bytes);
  const outcome = await runtime.run(loaded, encodeTensors([model.testSet.input]), model.outputDecimals);
  if (outcome.kind !== "ok")
    throw new ZooError(`${model.name} failed on its test set: ${outcome.code} ${outcome.detail}`);
  const [probabilities] = outcome.tensors;
  const classes = probabilities?.shape[1];
  const labels = model.testSet.labels;
  if (probabilities === undefined || classes === undefined || probabilities.shape[0] !== labels.length) {
    throw new ZooError(`${model.name} returned an output of unexpected shape for ${labels.length} examples.`);
  }
  const data = probabilities.data as bigint[];
  let correct = 0;
  labels.forEach((label, i) => {
    let best = 0;
    for (let c = 1; c < classes; c++)
      if ((data[i * classes + c] as bigint) > (data[i * classes + best] as bigint)) best = c;
    if (best === label) correct++;
  });
  return correct / labels.length;
}

/** `0x` + sha256 of `bytes`. */
export function sha256Hex(bytes: Uint8Array): string {
  return `0x${createHash("sha256").update(bytes).digest("hex")}`;
}

// ------------------------------------------------------------------------------------------------ models

function buildIris(seed: number, config: ZooTrainingConfig, log: (message: string) => void): ZooModel {
  const data: IrisDataset = loadIris({ seed });
  const trained = trainMlp(
    standardize(data.train, data.standardization),
    trainOptions(3, seed, config, "iris-mlp", log),
  );
  const classes = data.classNames.join(", ");
  const description =
    `Iris species classifier: input [batch, 4] float32 (sepal length, sepal width, petal length, petal width in ` +
    `cm) → [batch, 3] probabilities of ${classes}. MLP 4 → ${config.hidden.join(" → ")} ReLU → 3 softmax trained on ` +
    `${data.split.trainSize} flowers of the Iris data set; standardisation (training-split mean and std) is folded ` +
    "into the first layer, so the input is raw centimetres.";
  return assemble("iris-mlp", data, trained, config, seed, description, {
    inputs: [{ name: "features", dtype: "FLOAT", shape: ["batch", 4], description: data.featureNames.join(", ") }],
    outputs: [
      {
        name: "probabilities",
        dtype: "FLOAT",
        shape: ["batch", 3],
        description: `P(${data.classNames.join("), P(")})`,
      },
    ],
    layers: toDenseLayers(trained, data.standardization),
    accuracyFloor: ACCURACY_FLOOR["iris-mlp"],
  });
}

function buildMnist(seed: number, config: ZooTrainingConfig, log: (message: string) => void): ZooModel {
  const data = loadMnist({ seed });
  const trained = trainMlp(data.train, trainOptions(10, seed, config, "mnist-mlp", log));
  const description =
    "Handwritten digit classifier (MNIST): input [batch, 784] float32 (28 × 28 grey levels in [0, 1], row-major, " +
    `0 = background) → [batch, 10] probabilities of the digits 0-9. MLP 784 → ${config.hidden.join(" → ")} ReLU → ` +
    `10 softmax trained on ${data.split.trainSize} digits of the mnist package.`;
  return assemble("mnist-mlp", data, trained, config, seed, description, {
    inputs: [
      {
        name: "pixels",
        dtype: "FLOAT",
        shape: ["batch", MNIST_PIXELS],
        description: "28 × 28 grey levels in [0, 1], row-major, 0 = background, 1 = ink",
      },
    ],
    outputs: [{ name: "probabilities", dtype: "FLOAT", shape: ["batch", 10], description: "P(digit 0) … P(digit 9)" }],
    layers: toDenseLayers(trained),
    accuracyFloor: ACCURACY_FLOOR["mnist-mlp"],
  });
}

function trainOptions(
  classCount: number,
  seed: number,
  config: ZooTrainingConfig,
  name: ZooModelName,
  log: (message: string) => void,
): TrainOptions {
  return {
    hidden: config.hidden,
    classCount,
    epochs: config.epochs,
    batchSize: config.batchSize,
    learningRate: config.learningRate,
    optimizer: config.optimizer,
    weightDecay: config.weightDecay,
    seed,
    onEpoch: (report) => {
      if (report.epoch === config.epochs || config.epochs <= 20 || report.epoch % 50 === 0) {
        log(
          `${name}: epoch ${report.epoch}/${config.epochs} loss ${report.loss.toFixed(4)} ` +
            `train accuracy ${(report.trainAccuracy * 100).toFixed(2)} %`,
        );
      }
    },
  };
}

function assemble(
  name: ZooModelName,
  data: SplitDataset,
  trained: ReturnType<typeof trainMlp>,
  config: ZooTrainingConfig,
  seed: number,
  description: string,
  parts: {
    inputs: ZooTensorInfo[];
    outputs: ZooTensorInfo[];
    layers: ReturnType<typeof toDenseLayers>;
    accuracyFloor: number;
  },
): ZooModel {
  const input = parts.inputs[0] as ZooTensorInfo;
  const output = parts.outputs[0] as ZooTensorInfo;
  const bytes = buildMlp({
    inputName: input.name,
    outputName: output.name,
    inputSize: data.train.featureCount,
    dynamicBatch: true,
    layers: parts.layers,
    docString: description,
    metadata: {
      "opg.name": name,
      "opg.classes": data.classNames.join(","),
      "opg.output_decimals": String(ZOO_OUTPUT_DECIMALS),
      "opg.tolerance": ZOO_TOLERANCE.toString(),
      "opg.dataset": data.source,
      "opg.split": data.split.description,
      "opg.seed": String(seed),
      "opg.training": JSON.stringify(config),
    },
  });
  const last = trained.history[trained.history.length - 1];
  const trainSet = name === "iris-mlp" ? standardize(data.train, (data as IrisDataset).standardization) : data.train;
  const exampleInputs = Array.from({ length: Math.min(EXAMPLE_COUNT, data.test.size) }, (_, i) =>
    floatBatch(data.test, i, 1),
  );
  return {
    name,
    description,
    bytes,
    sha256: sha256Hex(bytes),
    inputs: parts.inputs,
    outputs: parts.outputs,
    outputDecimals: ZOO_OUTPUT_DECIMALS,
    tolerance: ZOO_TOLERANCE,
    exampleInput: exampleInputs[0] as TensorData,
    exampleInputs,
    accuracy: Number.NaN, // measured on the exported bytes by buildZoo
    accuracyFloor: parts.accuracyFloor,
    seed,
    dataset: { name: data.name, source: data.source, classNames: data.classNames, split: data.split },
    training: {
      ...config,
      hidden: [...config.hidden],
      trainAccuracy: accuracyOf(trained, trainSet),
      finalLoss: last?.loss ?? Number.NaN,
    },
    testSet: { input: floatBatch(data.test, 0, data.test.size), labels: Array.from(data.test.labels) },
  };
}

/** Examples `start … start+count-1` of `set` as one float32 input tensor `[count, features]`. */
function floatBatch(set: Examples, start: number, count: number): TensorData {
  const n = set.featureCount;
  return {
    dtype: DType.FLOAT,
    decimals: 0,
    shape: [count, n],
    data: Array.from(set.features.subarray(start * n, (start + count) * n)),
  };
}
