/**
 * The layout of the language model trained here: a decoder-only transformer in the Llama / SmolLM style —
 * pre-normalisation with RMSNorm, rotary position embeddings (RoPE, the "rotate half" convention of Hugging Face
 * transformers), a SwiGLU feed-forward block, no biases, and an output projection that is either the token
 * embedding (tied, as in SmolLM) or a matrix of its own (as in Llama).
 *
 * This module holds the plain data (configuration, weights as float32 arrays) shared by the trainer
 * (`./tfModel.ts`, tfjs) and the ONNX writer (`./llamaOnnx.ts`), plus the rotary tables both use, so that the two
 * compute from bit-identical constants.
 *
 * Matrices are stored row-major in the `x · W` orientation (`[in, out]`), the layout of ONNX `MatMul` and of
 * `tf.matMul(x, w)`; `embed` is `[vocab, d]`.
 */
import { SeededRandom } from "../zoo/random.js";
import { gaussian } from "./gaussian.js";

// ------------------------------------------------------------------------------------------------ types

export interface LlamaConfig {
  /** Tokens in the vocabulary (rows of the embedding, columns of the logits). */
  vocabSize: number;
  /** Most positions the model was trained for; the rotary table has this many rows. */
  contextLength: number;
  layers: number;
  /** Width of the residual stream. */
  dModel: number;
  /** Attention heads; `dModel / heads` is the head size (even, for the rotary halves). */
  heads: number;
  /** Width of the SwiGLU hidden layer. */
  ffnHidden: number;
  /** Base of the rotary frequencies (10,000 in Llama). */
  ropeTheta: number;
  /** ε of RMSNorm. */
  normEpsilon: number;
  /** Whether the output projection is the embedding (`logits = h · embedᵀ`) or a matrix of its own. */
  tieEmbeddings: boolean;
}

export interface LlamaLayerWeights {
  /** RMSNorm gain before attention, `[d]`. */
  attnNorm: Float32Array;
  /** `[d, d]` each. */
  wq: Float32Array;
  wk: Float32Array;
  wv: Float32Array;
  wo: Float32Array;
  /** RMSNorm gain before the feed-forward block, `[d]`. */
  mlpNorm: Float32Array;
  /** `[d, ffnHidden]`. */
  wGate: Float32Array;
  /** `[d, ffnHidden]`. */
  wUp: Float32Array;
  /** `[ffnHidden, d]`. */
  wDown: Float32Array;
}

export interface LlamaWeights {
  config: LlamaConfig;
  /** `[vocab, d]`; also the output projection (logits = h · embedᵀ) when the configuration ties them. */
  embed: Float32Array;
  /** `[d, vocab]`, the output projection of an untied model (absent when tied). */
  lmHead?: Float32Array;
  layers: LlamaLayerWeights[];
  /** Final RMSNorm gain, `[d]`. */
  finalNorm: Float32Array;
}

/** A configuration or weight set that does not describe a valid model; the message names the field. */
export class LlamaConfigError extends Error {
  override readonly name = "LlamaConfigError";
}

// ------------------------------------------------------------------------------------------------ public API

/** Size of one attention head. */
export function headSize(config: LlamaConfig): number {
  return config.dModel / config.heads;
}

/** @throws {LlamaConfigError} unless every size is a positive integer and the head size is even. */
export function checkLlamaConfig(config: LlamaConfig): void {
  for (const key of ["vocabSize", "contextLength", "layers", "dModel", "heads", "ffnHidden"] as const) {
    const value = config[key];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new LlamaConfigError(`${key} is ${value}; it must be a positive integer.`);
    }
  }
  const hd = config.dModel / config.heads;
  if (!Number.isInteger(hd) || hd % 2 !== 0) {
    throw new LlamaConfigError(
      `dModel ${config.dModel} / heads ${config.heads} = ${hd}; the head size must be an even integer (rotary halves).`,
    );
  }
  if (typeof config.tieEmbeddings !== "boolean") {
    throw new LlamaConfigError(`tieEmbeddings is ${String(config.tieEmbeddings)}; set it to true or false.`);
  }
  if (!(config.ropeTheta > 1) || !(config.normEpsilon > 0)) {
    throw new LlamaConfigError(
      `ropeTheta (${config.ropeTheta}) must be > 1 and normEpsilon (${config.normEpsilon}) > 0.`,
    );
  }
}

/** Number of weights (the tied embedding counted once). */
export function parameterCount(config: LlamaConfig): number {
  const d = config.dModel;
  const perLayer = 2 * d + 4 * d * d + 3 * d * config.ffnHidden;
  return config.vocabSize * d * (config.tieEmbeddings ? 1 : 2) + config.layers * perLayer + d;
}

/**
 * The rotary tables `cos`, `sin`, each `[contextLength, headSize]` row-major: for position `p` and column `j`,
 * angle `p · θ^(−2i/headSize)` with `i = j mod headSize/2` (both halves repeat the frequencies, the Hugging Face
 * convention). Computed in float64 and rounded once to float32, so every consumer uses the same constants.
 */
export function rotaryTables(config: LlamaConfig): { cos: Float32Array; sin: Float32Array } {
  const hd = headSize(config);
  const half = hd / 2;
  const cos = new Float32Array(config.contextLength * hd);
  const sin = new Float32Array(config.contextLength * hd);
  for (let p = 0; p < config.contextLength; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p * Math.pow(config.ropeTheta, (-2 * i) / hd);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      cos[p * hd + i] = c;
      cos[p * hd + half + i] = c;
      sin[p * hd + i] = s;
      sin[p * hd + half + i] = s;
    }
  }
  return { cos, sin };
}

/**
 * Seeded initial weights: normal(0, 0.02) for the embedding and the input projections, normal(0, 0.02/√(2·layers))
 * for the projections into the residual stream (`wo`, `wDown`, GPT-2's scaling), gains 1. Box–Muller over
 * {@link SeededRandom}, so the same seed gives the same float32 weights everywhere.
 */
export function initLlamaWeights(config: LlamaConfig, seed: number): LlamaWeights {
  checkLlamaConfig(config);
  const rng = new SeededRandom(seed);
  const d = config.dModel;
  const f = config.ffnHidden;
  const std = 0.02;
  const residualStd = std / Math.sqrt(2 * config.layers);
  const normal = (n: number, sigma: number): Float32Array => gaussian(rng.fork(), n, sigma);
  const ones = (n: number): Float32Array => new Float32Array(n).fill(1);
  return {
    config: { ...config },
    embed: normal(config.vocabSize * d, std),
    layers: Array.from({ length: config.layers }, () => ({
      attnNorm: ones(d),
      wq: normal(d * d, std),
      wk: normal(d * d, std),
      wv: normal(d * d, std),
      wo: normal(d * d, residualStd),
      mlpNorm: ones(d),
      wGate: normal(d * f, std),
      wUp: normal(d * f, std),
      wDown: normal(f * d, residualStd),
    })),
    finalNorm: ones(d),
    ...(config.tieEmbeddings ? {} : { lmHead: normal(d * config.vocabSize, std) }),
  };
}

/** @throws {LlamaConfigError} when an array of `weights` does not have the size its configuration implies. */
export function checkLlamaWeights(weights: LlamaWeights): void {
  const c = weights.config;
  checkLlamaConfig(c);
  const d = c.dModel;
  const f = c.ffnHidden;
  const expect = (array: Float32Array, size: number, name: string): void => {
    if (array.length !== size) throw new LlamaConfigError(`${name} has ${array.length} values, expected ${size}.`);
  };
  expect(weights.embed, c.vocabSize * d, "embed");
  expect(weights.finalNorm, d, "finalNorm");
  if (c.tieEmbeddings !== (weights.lmHead === undefined)) {
    throw new LlamaConfigError(
      c.tieEmbeddings ? "a tied model has no lmHead; remove it." : "an untied model needs lmHead ([d, vocab]).",
    );
  }
  if (weights.lmHead !== undefined) expect(weights.lmHead, d * c.vocabSize, "lmHead");
  if (weights.layers.length !== c.layers) {
    throw new LlamaConfigError(`weights have ${weights.layers.length} layers, the configuration ${c.layers}.`);
  }
  weights.layers.forEach((layer, l) => {
    expect(layer.attnNorm, d, `layers[${l}].attnNorm`);
    expect(layer.mlpNorm, d, `layers[${l}].mlpNorm`);
    for (const key of ["wq", "wk", "wv", "wo"] as const) expect(layer[key], d * d, `layers[${l}].${key}`);
    expect(layer.wGate, d * f, `layers[${l}].wGate`);
    expect(layer.wUp, d * f, `layers[${l}].wUp`);
    expect(layer.wDown, f * d, `layers[${l}].wDown`);
  });
}
