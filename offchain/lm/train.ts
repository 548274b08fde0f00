/**
 * Trains a {@link TfLlama} on a token stream and measures it on a held-out stream.
 *
 * - **Batches**: windows of `seqLength + 1` tokens starting at uniformly drawn offsets of the training stream
 *   (a seeded {@link SeededRandom}), inputs the first `seqLength`, targets the last.
 * - **Phases**: training runs through a list of (steps, batch, sequence length) phases, e.g. most steps on short
 *   windows and the last ones at the full context, so the model sees every position it is declared for.
 * - **Optimiser**: AdamW written with tfjs ops (decoupled weight decay on matrices only, not on gains), gradients
 *   clipped to a global norm, learning rate warmed up linearly and then decayed along a cosine.
 * - **Evaluation**: the held-out stream cut into consecutive windows (each token predicted once, from the tokens
 *   before it in its window); reports mean cross-entropy, perplexity and bits per byte.
 *
 * On tfjs' wasm backend (single-threaded) every step runs the same kernels in the same order, so a seed gives the
 * same weights run after run on one machine.
 */
import * as tf from "@tensorflow/tfjs";

import { SeededRandom } from "../zoo/random.js";
import type { TfLlama } from "./tfModel.js";

// ------------------------------------------------------------------------------------------------ types

export interface TrainingPhase {
  steps: number;
  batchSize: number;
  /** Window length (≤ the model's context length). */
  seqLength: number;
}

export interface LmTrainingConfig {
  phases: TrainingPhase[];
  /** Peak learning rate, reached after `warmupSteps`. */
  learningRate: number;
  warmupSteps: number;
  /** Learning rate at the last step (cosine decay from the peak). */
  finalLearningRate: number;
  /** AdamW decoupled weight decay, applied to matrices (not to normalisation gains). */
  weightDecay: number;
  /** Largest global gradient norm; larger gradients are scaled down to it. */
  gradientClip: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** Reported after every step. */
export interface StepReport {
  step: number;
  totalSteps: number;
  phase: number;
  loss: number;
  learningRate: number;
  gradientNorm: number;
  /** Training tokens processed so far. */
  tokens: number;
  elapsedMs: number;
  /** Training tokens per second over the run so far. */
  tokensPerSecond: number;
  /** Estimated time to finish, from the average step time of the current phase. */
  etaMs: number;
}

/** Held-out figures. */
export interface Evaluation {
  /** Tokens predicted. */
  tokens: number;
  /** UTF-8 bytes of the predicted tokens (the end-of-sequence token counts as one). */
  bytes: number;
  /** Mean cross-entropy in nats per token. */
  loss: number;
  /** exp(loss). */
  perplexity: number;
  /** Total cross-entropy in bits divided by `bytes` (bits per character for ASCII text). */
  bitsPerByte: number;
}

export interface TrainHooks {
  onStep?: (report: StepReport) => void;
}

/** The training options or data cannot be used; the message names what to fix. */
export class LmTrainingError extends Error {
  override readonly name = "LmTrainingError";
}

// ------------------------------------------------------------------------------------------------ training

/**
 * Trains `model` in place on `train` (token ids) with `config`, drawing batches from `seed`.
 * @throws {LmTrainingError} for an invalid configuration, a stream shorter than a window, or a diverging run.
 */
export async function trainLm(
  model: TfLlama,
  train: Int32Array,
  config: LmTrainingConfig,
  seed: number,
  hooks: TrainHooks = {},
): Promise<StepReport[]> {
  checkConfig(model, train, config);
  const rng = new SeededRandom(seed);
  const variables = model.variables;
  const optimizer = new AdamW(variables, config);
  const totalSteps = config.phases.reduce((sum, p) => sum + p.steps, 0);
  const reports: StepReport[] = [];
  const started = performance.now();
  let step = 0;
  let tokens = 0;
  for (let phase = 0; phase < config.phases.length; phase++) {
    const { steps, batchSize, seqLength } = config.phases[phase] as TrainingPhase;
    const phaseStarted = performance.now();
    for (let s = 0; s < steps; s++) {
      step++;
      const [ids, targets] = sampleBatch(train, batchSize, seqLength, rng);
      const { value, grads } = tf.variableGrads(() => model.loss(ids, targets), variables);
      const gradients = variables.map((v) => grads[v.name] as tf.Tensor);
      const learningRate = learningRateAt(step, totalSteps, config);
      const gradientNorm = optimizer.apply(gradients, learningRate);
      const loss = (await value.data())[0] as number;
      tf.dispose([value, ids, targets, ...gradients]);
      if (!Number.isFinite(loss) || !Number.isFinite(gradientNorm)) {
        throw new LmTrainingError(`training diverged at step ${step} (loss ${loss}); lower the learning rate.`);
      }
      tokens += batchSize * seqLength;
      const now = performance.now();
      const perStep = (now - phaseStarted) / (s + 1);
      const laterPhases = config.phases.slice(phase + 1);
      // Later phases are estimated from this one's speed, scaled by their tokens per step.
      const remaining =
        perStep * (steps - s - 1) +
        laterPhases.reduce(
          (sum, p) => sum + (perStep * p.steps * p.batchSize * p.seqLength) / (batchSize * seqLength),
          0,
        );
      const report: StepReport = {
        step,
        totalSteps,
        phase,
        loss,
        learningRate,
        gradientNorm,
        tokens,
        elapsedMs: now - started,
        tokensPerSecond: tokens / ((now - started) / 1000),
        etaMs: remaining,
      };
      reports.push(report);
      hooks.onStep?.(report);
    }
  }
  optimizer.dispose();
  return reports;
}

/** Learning rate at `step` (1-based): linear warm-up to the peak, then a cosine down to the final rate. */
export function learningRateAt(step: number, totalSteps: number, config: LmTrainingConfig): number {
  if (step <= config.warmupSteps) return (config.learningRate * step) / config.warmupSteps;
  const progress = (step - config.warmupSteps) / Math.max(1, totalSteps - config.warmupSteps);
  const cosine = 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
  return config.finalLearningRate + (config.learningRate - config.finalLearningRate) * cosine;
}

// ------------------------------------------------------------------------------------------------ evaluation

/**
 * Held-out figures of `model` on `stream`: consecutive windows of `seqLength + 1` tokens overlapping by one (each
 * token after the first is predicted once), `batchSize` windows per forward pass, the shorter last window alone.
 * `tokenBytes[id]` is the UTF-8 length of token `id`.
 */
export async function evaluateLm(
  model: TfLlama,
  stream: Int32Array,
  seqLength: number,
  batchSize: number,
  tokenBytes: ArrayLike<number>,
): Promise<Evaluation> {
  if (stream.length < 2) throw new LmTrainingError("the held-out stream needs at least two tokens.");
  const starts: number[] = [];
  for (let start = 0; start + 1 < stream.length; start += seqLength) starts.push(start);
  const full = starts.filter((start) => start + seqLength + 1 <= stream.length);
  const partial = starts.slice(full.length);
  let nats = 0;
  const run = async (group: number[], length: number): Promise<void> => {
    const ids = new Int32Array(group.length * length);
    const targets = new Int32Array(group.length * length);
    group.forEach((start, b) => {
      ids.set(stream.subarray(start, start + length), b * length);
      targets.set(stream.subarray(start + 1, start + length + 1), b * length);
    });
    const total = tf.tidy(() =>
      model.lossSum(
        tf.tensor2d(ids, [group.length, length], "int32"),
        tf.tensor2d(targets, [group.length, length], "int32"),
      ),
    );
    nats += (await total.data())[0] as number;
    total.dispose();
  };
  for (let i = 0; i < full.length; i += batchSize) await run(full.slice(i, i + batchSize), seqLength);
  for (const start of partial) await run([start], stream.length - 1 - start);
  const tokens = stream.length - 1;
  let bytes = 0;
  for (let i = 1; i < stream.length; i++) bytes += tokenBytes[stream[i] as number] as number;
  const loss = nats / tokens;
  return { tokens, bytes, loss, perplexity: Math.exp(loss), bitsPerByte: nats / Math.LN2 / bytes };
}

// ------------------------------------------------------------------------------------------------ internals

function sampleBatch(
  stream: Int32Array,
  batchSize: number,
  seqLength: number,
  rng: SeededRandom,
): [tf.Tensor2D, tf.Tensor2D] {
  const ids = new Int32Array(batchSize * seqLength);
  const targets = new Int32Array(batchSize * seqLength);
  const span = stream.length - seqLength - 1;
  for (let b = 0; b < batchSize; b++) {
    const start = rng.nextInt(span + 1);
    ids.set(stream.subarray(start, start + seqLength), b * seqLength);
    targets.set(stream.subarray(start + 1, start + seqLength + 1), b * seqLength);
  }
  return [tf.tensor2d(ids, [batchSize, seqLength], "int32"), tf.tensor2d(targets, [batchSize, seqLength], "int32")];
}

/** AdamW over tfjs variables; state in tfjs variables, arithmetic in tfjs ops. */
class AdamW {
  readonly #variables: tf.Variable[];
  readonly #first: tf.Variable[];
  readonly #second: tf.Variable[];
  readonly #config: LmTrainingConfig;
  #step = 0;

  constructor(variables: tf.Variable[], config: LmTrainingConfig) {
    this.#variables = variables;
    this.#first = variables.map((v) => tf.variable(tf.zerosLike(v), false));
    this.#second = variables.map((v) => tf.variable(tf.zerosLike(v), false));
    this.#config = config;
  }

  /** One update with `gradients` (same order as the variables); returns the global gradient norm before clipping. */
  apply(gradients: tf.Tensor[], learningRate: number): number {
    const { beta1, beta2, epsilon, weightDecay, gradientClip } = this.#config;
    const normTensor = tf.tidy(() => tf.sqrt(tf.addN(gradients.map((g) => tf.sum(tf.square(g))))));
    const norm = normTensor.dataSync()[0] as number;
    normTensor.dispose();
    const clip = norm > gradientClip ? gradientClip / norm : 1;
    this.#step++;
    const correction1 = 1 - Math.pow(beta1, this.#step);
    const correction2 = 1 - Math.pow(beta2, this.#step);
    tf.tidy(() => {
      this.#variables.forEach((v, i) => {
        const g = tf.mul(gradients[i] as tf.Tensor, clip);
        const m = this.#first[i] as tf.Variable;
        const s = this.#second[i] as tf.Variable;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        s.assign(tf.add(tf.mul(s, beta2), tf.mul(tf.square(g), 1 - beta2)));
        let update = tf.div(tf.div(m, correction1), tf.add(tf.sqrt(tf.div(s, correction2)), epsilon));
        if (v.rank >= 2 && weightDecay > 0) update = tf.add(update, tf.mul(v, weightDecay));
        v.assign(tf.sub(v, tf.mul(update, learningRate)));
      });
    });
    return norm;
  }

  dispose(): void {
    tf.dispose([...this.#first, ...this.#second]);
  }
}

function checkConfig(model: TfLlama, train: Int32Array, config: LmTrainingConfig): void {
  if (config.phases.length === 0) throw new LmTrainingError("phases is empty; give at least one training phase.");
  config.phases.forEach((p, i) => {
    for (const key of ["steps", "batchSize", "seqLength"] as const) {
      if (!Number.isSafeInteger(p[key]) || p[key] < 1) {
        throw new LmTrainingError(`phases[${i}].${key} is ${p[key]}; it must be a positive integer.`);
      }
    }
    if (p.seqLength > model.config.contextLength) {
      throw new LmTrainingError(
        `phases[${i}].seqLength ${p.seqLength} exceeds the model's context length ${model.config.contextLength}.`,
      );
    }
    if (train.length < p.seqLength + 1) {
      throw new LmTrainingError(
        `the training stream has ${train.length} tokens, fewer than one window (${p.seqLength + 1}).`,
      );
    }
  });
  if (!(config.learningRate > 0) || !(config.finalLearningRate >= 0) || !(config.gradientClip > 0)) {
    throw new LmTrainingError("learningRate and gradientClip must be positive and finalLearningRate ≥ 0.");
  }
  if (!Number.isSafeInteger(config.warmupSteps) || config.warmupSteps < 1) {
    throw new LmTrainingError(`warmupSteps is ${config.warmupSteps}; it must be a positive integer.`);
  }
}
