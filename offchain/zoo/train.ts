/**
 * The zoo's own MLP trainer (no ML library): dense layers, ReLU hidden units, a softmax output trained with
 * cross-entropy, mini-batch Adam or SGD with momentum, optional L2 weight decay.
 *
 * Everything is float64 and runs in a fixed order, and the initial weights and batch order come from a seeded
 * integer generator: the same data, options and seed give bit-identical weights. (Only `Math.exp`/`Math.log` are
 * transcendental; V8 implements them in software (fdlibm ports), identically on every platform. A Node upgrade that
 * changed them would change the zoo's sha256s, which `test/integration/zoo.test.ts` checks.)
 */
import type { DenseLayer } from "../model/onnxBuilder.js";
import type { Examples, Standardization } from "./datasets.js";
import { SeededRandom } from "./random.js";

// ------------------------------------------------------------------------------------------------ types

export interface TrainOptions {
  /** Widths of the hidden ReLU layers, e.g. `[64]`; `[]` trains softmax regression. */
  hidden: number[];
  /** Output units (classes). Labels must lie in `0 … classCount-1`. */
  classCount: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Default `"adam"` (β1 0.9, β2 0.999, ε 1e-8). `"sgd"` uses momentum 0.9. */
  optimizer?: "adam" | "sgd";
  /** L2 penalty coefficient added to the weight gradients (not the biases). Default 0. */
  weightDecay?: number;
  /** Seed of the initial weights and of the batch order. */
  seed: number;
  /** Called after every epoch (progress output). */
  onEpoch?: (report: EpochReport) => void;
}

/** Training progress after one epoch. */
export interface EpochReport {
  epoch: number;
  /** Mean cross-entropy over the epoch's batches (before each batch's update). */
  loss: number;
  /** Share of training examples classified correctly during the epoch (before each batch's update). */
  trainAccuracy: number;
}

/** One trained dense layer, weights row-major `weights[o·inputs + i]` (the `DenseLayer` / `nn.Linear` layout). */
export interface TrainedLayer {
  inputs: number;
  outputs: number;
  weights: Float64Array;
  bias: Float64Array;
}

/** A trained MLP: ReLU after every layer but the last, softmax after the last. */
export interface TrainedMlp {
  layers: TrainedLayer[];
  history: EpochReport[];
}

/** Options or data the trainer cannot use; the message names what to fix. */
export class TrainingError extends Error {
  override readonly name = "TrainingError";
}

// ------------------------------------------------------------------------------------------------ training

/**
 * Trains an MLP classifier on `data`.
 * @throws {TrainingError} for invalid options, labels outside `0 … classCount-1` or a diverging run (non-finite loss).
 */
export function trainMlp(data: Examples, options: TrainOptions): TrainedMlp {
  checkOptions(data, options);
  const rng = new SeededRandom(options.seed);
  const widths = [data.featureCount, ...options.hidden, options.classCount];
  const layers = initLayers(widths, rng.fork());
  const order = rng.fork();
  const optimizer = createOptimizer(layers, options);
  const weightDecay = options.weightDecay ?? 0;
  const batchSize = Math.min(options.batchSize, data.size);
  const work = createWorkspace(widths, batchSize);
  const grads = layers.map((layer) => ({
    weights: new Float64Array(layer.weights.length),
    bias: new Float64Array(layer.bias.length),
  }));
  const indices = Array.from({ length: data.size }, (_, i) => i);
  const history: EpochReport[] = [];

  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    order.shuffle(indices);
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < data.size; start += batchSize) {
      const batch = indices.slice(start, start + batchSize);
      const input = work.activations[0] as Float64Array;
      batch.forEach((source, b) => {
        input.set(
          data.features.subarray(source * data.featureCount, (source + 1) * data.featureCount),
          b * data.featureCount,
        );
      });
      forward(layers, work, batch.length);

      // Softmax cross-entropy: d(loss)/d(logits) = (p − onehot) / B.
      const probs = work.activations[layers.length] as Float64Array;
      const delta = work.deltas[layers.length - 1] as Float64Array;
      const k = options.classCount;
      batch.forEach((source, b) => {
        const label = data.labels[source] as number;
        const p = probs[b * k + label] as number;
        lossSum += -Math.log(Math.max(p, 1e-300));
        if (argmax(probs, b * k, k) === label) correct++;
        for (let c = 0; c < k; c++) {
          delta[b * k + c] = ((probs[b * k + c] as number) - (c === label ? 1 : 0)) / batch.length;
        }
      });
      backward(layers, work, grads, batch.length, weightDecay);
      optimizer(grads);
    }
    const report = { epoch, loss: lossSum / data.size, trainAccuracy: correct / data.size };
    if (!Number.isFinite(report.loss)) {
      throw new TrainingError(`training diverged at epoch ${epoch} (loss ${report.loss}); lower the learning rate.`);
    }
    history.push(report);
    options.onEpoch?.(report);
  }
  return { layers, history };
}

/** Class probabilities of every example (row-major `size × classCount`), float64 forward pass. */
export function predictProbabilities(model: TrainedMlp, data: Examples): Float64Array {
  const widths = [data.featureCount, ...model.layers.map((layer) => layer.outputs)];
  if (model.layers[0]?.inputs !== data.featureCount) {
    throw new TrainingError(`the model takes ${model.layers[0]?.inputs} features, the data has ${data.featureCount}.`);
  }
  const chunk = 256;
  const work = createWorkspace(widths, chunk);
  const k = widths[widths.length - 1] as number;
  const out = new Float64Array(data.size * k);
  for (let start = 0; start < data.size; start += chunk) {
    const count = Math.min(chunk, data.size - start);
    (work.activations[0] as Float64Array).set(
      data.features.subarray(start * data.featureCount, (start + count) * data.featureCount),
    );
    forward(model.layers, work, count);
    out.set((work.activations[model.layers.length] as Float64Array).subarray(0, count * k), start * k);
  }
  return out;
}

/** Share of `data` whose most probable class (first maximum) is the label. */
export function accuracyOf(model: TrainedMlp, data: Examples): number {
  const probs = predictProbabilities(model, data);
  const k = model.layers[model.layers.length - 1]?.outputs ?? 0;
  let correct = 0;
  for (let i = 0; i < data.size; i++) if (argmax(probs, i * k, k) === data.labels[i]) correct++;
  return data.size === 0 ? 0 : correct / data.size;
}

/**
 * The layers for `buildMlp` (ReLU hidden layers, softmax output). With `standardization`, the model was trained on
 * `(x − mean) / std` and the first layer absorbs it, so the exported model takes raw features:
 * `W'[o][i] = W[o][i] / std[i]`, `b'[o] = b[o] − Σᵢ W[o][i] · mean[i] / std[i]`.
 */
export function toDenseLayers(model: TrainedMlp, standardization?: Standardization): DenseLayer[] {
  return model.layers.map((layer, l) => {
    const weights: number[][] = [];
    const bias: number[] = [];
    for (let o = 0; o < layer.outputs; o++) {
      const row = Array.from(layer.weights.subarray(o * layer.inputs, (o + 1) * layer.inputs));
      let b = layer.bias[o] as number;
      if (l === 0 && standardization !== undefined) {
        for (let i = 0; i < layer.inputs; i++) {
          const w = (row[i] as number) / (standardization.std[i] as number);
          row[i] = w;
          b -= w * (standardization.mean[i] as number);
        }
      }
      weights.push(row);
      bias.push(b);
    }
    return { weights, bias, activation: l === model.layers.length - 1 ? "softmax" : "relu" };
  });
}

/** Index of the first maximum of `values[offset … offset+count)`. */
export function argmax(values: ArrayLike<number>, offset: number, count: number): number {
  let best = 0;
  let bestValue = values[offset] as number;
  for (let c = 1; c < count; c++) {
    const v = values[offset + c] as number;
    if (v > bestValue) {
      best = c;
      bestValue = v;
    }
  }
  return best;
}

// ------------------------------------------------------------------------------------------------ internals

interface Workspace {
  /** activations[0] is the input batch, activations[l+1] the output of layer l (probabilities for the last). */
  activations: Float64Array[];
  /** deltas[l]: d(loss)/d(pre-activation of layer l). */
  deltas: Float64Array[];
  /** Scratch: indices of the non-zero inputs of one example. */
  nonZero: Int32Array;
}

interface Gradients {
  weights: Float64Array;
  bias: Float64Array;
}

function createWorkspace(widths: readonly number[], batch: number): Workspace {
  return {
    activations: widths.map((w) => new Float64Array(w * batch)),
    deltas: widths.slice(1).map((w) => new Float64Array(w * batch)),
    nonZero: new Int32Array(Math.max(...widths)),
  };
}

/** Writes the indices `i` with `values[offset + i] !== 0` (ascending) to `out`; returns how many. */
function nonZeroIndices(values: Float64Array, offset: number, count: number, out: Int32Array): number {
  let nnz = 0;
  for (let i = 0; i < count; i++) if ((values[offset + i] as number) !== 0) out[nnz++] = i;
  return nnz;
}

/** He-uniform initial weights for ReLU layers, Glorot-uniform for the softmax layer, zero biases. */
function initLayers(widths: readonly number[], rng: SeededRandom): TrainedLayer[] {
  const layers: TrainedLayer[] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    const inputs = widths[l] as number;
    const outputs = widths[l + 1] as number;
    const last = l + 2 === widths.length;
    const limit = last ? Math.sqrt(6 / (inputs + outputs)) : Math.sqrt(6 / inputs);
    const weights = new Float64Array(inputs * outputs);
    for (let j = 0; j < weights.length; j++) weights[j] = rng.uniform(-limit, limit);
    layers.push({ inputs, outputs, weights, bias: new Float64Array(outputs) });
  }
  return layers;
}

function forward(layers: readonly TrainedLayer[], work: Workspace, count: number): void {
  layers.forEach((layer, l) => {
    const input = work.activations[l] as Float64Array;
    const output = work.activations[l + 1] as Float64Array;
    const { inputs: n, outputs: m, weights: w, bias } = layer;
    const last = l === layers.length - 1;
    const nonZero = work.nonZero;
    for (let b = 0; b < count; b++) {
      // Zero inputs (most MNIST pixels, inactive ReLUs) add nothing: sum only the others, in index order.
      const nnz = nonZeroIndices(input, b * n, n, nonZero);
      for (let o = 0; o < m; o++) {
        let z = bias[o] as number;
        const row = o * n;
        for (let k = 0; k < nnz; k++) {
          const i = nonZero[k] as number;
          z += (input[b * n + i] as number) * (w[row + i] as number);
        }
        output[b * m + o] = last || z > 0 ? z : 0;
      }
      if (last) softmaxInPlace(output, b * m, m);
    }
  });
}

function softmaxInPlace(values: Float64Array, offset: number, count: number): void {
  let max = values[offset] as number;
  for (let c = 1; c < count; c++) max = Math.max(max, values[offset + c] as number);
  let sum = 0;
  for (let c = 0; c < count; c++) {
    const e = Math.exp((values[offset + c] as number) - max);
    values[offset + c] = e;
    sum += e;
  }
  for (let c = 0; c < count; c++) values[offset + c] = (values[offset + c] as number) / sum;
}

/** Fills `grads` from `work.deltas[last]` (already set by the loss), back-propagating through the ReLUs. */
function backward(
  layers: readonly TrainedLayer[],
  work: Workspace,
  grads: Gradients[],
  count: number,
  weightDecay: number,
): void {
  for (let l = layers.length - 1; l >= 0; l--) {
    const layer = layers[l] as TrainedLayer;
    const grad = grads[l] as Gradients;
    const { inputs: n, outputs: m, weights: w } = layer;
    const input = work.activations[l] as Float64Array;
    const delta = work.deltas[l] as Float64Array;
    const gw = grad.weights;
    const gb = grad.bias;
    for (let j = 0; j < gw.length; j++) gw[j] = weightDecay * (w[j] as number);
    gb.fill(0);
    const nonZero = work.nonZero;
    for (let b = 0; b < count; b++) {
      const x = b * n;
      const nnz = nonZeroIndices(input, x, n, nonZero);
      for (let o = 0; o < m; o++) {
        const g = delta[b * m + o] as number;
        if (g === 0) continue;
        gb[o] = (gb[o] as number) + g;
        const row = o * n;
        for (let k = 0; k < nnz; k++) {
          const i = nonZero[k] as number;
          gw[row + i] = (gw[row + i] as number) + g * (input[x + i] as number);
        }
      }
    }
    if (l === 0) continue;
    // delta of the previous layer: (δ · W) ⊙ relu'(z), where relu'(z) = 1 exactly when the activation is > 0.
    const previous = work.deltas[l - 1] as Float64Array;
    for (let b = 0; b < count; b++) {
      const x = b * n;
      for (let i = 0; i < n; i++) previous[x + i] = 0;
      for (let o = 0; o < m; o++) {
        const g = delta[b * m + o] as number;
        if (g === 0) continue;
        const row = o * n;
        for (let i = 0; i < n; i++) previous[x + i] = (previous[x + i] as number) + g * (w[row + i] as number);
      }
      for (let i = 0; i < n; i++) if (!((input[x + i] as number) > 0)) previous[x + i] = 0;
    }
  }
}

function createOptimizer(layers: readonly TrainedLayer[], options: TrainOptions): (grads: Gradients[]) => void {
  const params = layers.flatMap((layer) => [layer.weights, layer.bias]);
  const first = params.map((p) => new Float64Array(p.length));
  const lr = options.learningRate;
  if ((options.optimizer ?? "adam") === "sgd") {
    const momentum = 0.9;
    return (grads) => {
      const gs = grads.flatMap((g) => [g.weights, g.bias]);
      params.forEach((p, k) => {
        const v = first[k] as Float64Array;
        const g = gs[k] as Float64Array;
        for (let j = 0; j < p.length; j++) {
          v[j] = momentum * (v[j] as number) + (g[j] as number);
          p[j] = (p[j] as number) - lr * (v[j] as number);
        }
      });
    };
  }
  const beta1 = 0.9;
  const beta2 = 0.999;
  const epsilon = 1e-8;
  const second = params.map((p) => new Float64Array(p.length));
  let beta1Power = 1;
  let beta2Power = 1;
  return (grads) => {
    beta1Power *= beta1;
    beta2Power *= beta2;
    const stepSize = lr / (1 - beta1Power);
    const correction2 = 1 - beta2Power;
    const gs = grads.flatMap((g) => [g.weights, g.bias]);
    params.forEach((p, k) => {
      const m = first[k] as Float64Array;
      const v = second[k] as Float64Array;
      const g = gs[k] as Float64Array;
      for (let j = 0; j < p.length; j++) {
        const gj = g[j] as number;
        const mj = beta1 * (m[j] as number) + (1 - beta1) * gj;
        const vj = beta2 * (v[j] as number) + (1 - beta2) * gj * gj;
        m[j] = mj;
        v[j] = vj;
        p[j] = (p[j] as number) - (stepSize * mj) / (Math.sqrt(vj / correction2) + epsilon);
      }
    });
  };
}

function checkOptions(data: Examples, options: TrainOptions): void {
  const positive = (value: number, name: string): void => {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new TrainingError(`${name} is ${value}; it must be a positive integer.`);
    }
  };
  positive(options.classCount, "classCount");
  positive(options.epochs, "epochs");
  positive(options.batchSize, "batchSize");
  options.hidden.forEach((width, l) => positive(width, `hidden[${l}]`));
  if (!(options.learningRate > 0 && Number.isFinite(options.learningRate))) {
    throw new TrainingError(`learningRate is ${options.learningRate}; use a small positive number such as 0.001.`);
  }
  const decay = options.weightDecay ?? 0;
  if (!(decay >= 0 && Number.isFinite(decay))) {
    throw new TrainingError(`weightDecay is ${decay}; use 0 or a small positive number.`);
  }
  if (data.size < 1) throw new TrainingError("the training set is empty.");
  if (data.features.length !== data.size * data.featureCount || data.labels.length !== data.size) {
    throw new TrainingError(
      `the training set holds ${data.features.length} features and ${data.labels.length} labels for ` +
        `${data.size} examples of ${data.featureCount} features.`,
    );
  }
  const bad = data.labels.findIndex((label) => label < 0 || label >= options.classCount);
  if (bad >= 0) {
    throw new TrainingError(`label ${data.labels[bad]} of example ${bad} is outside 0..${options.classCount - 1}.`);
  }
  if (data.features.some((x) => !Number.isFinite(x)))
    throw new TrainingError("the training set has a non-finite feature.");
}
