/**
 * A GPT-2 decoder of any size written as ONNX in the Optimum decoder convention (`./convention.ts`), from given
 * weights or from seeded random ones. The layout is GPT-2's (Radford et al. 2019; Hugging Face `GPT2LMHeadModel`):
 * learned token and position embeddings added, pre-LayerNorm blocks with a fused `c_attn` projection (q, k, v
 * side by side, with bias) and a `c_fc` → GELU (tanh approximation, `gelu_new`) → `c_proj` MLP, a final
 * LayerNorm, and the output projection tied to the token embedding.
 *
 * Initializers have the Hugging Face names and layouts (`transformer.wte.weight` `[vocab, d]`,
 * `transformer.h.N.attn.c_attn.weight` `[d, 3d]` — GPT-2's `Conv1D` already stores `[in, out]` — …), so weights
 * converted from a GPT-2 checkpoint drop in unchanged. The context length is the number of rows of
 * `transformer.wpe.weight`, which `model:inspect` reads back.
 */
import { buildDecoderGraph, type DecoderContext } from "./decoderOnnx.js";
import { SeededRandom } from "../zoo/random.js";
import { gaussian } from "./gaussian.js";

// ------------------------------------------------------------------------------------------------ types

export interface Gpt2Config {
  vocabSize: number;
  /** `n_positions`: rows of the position embedding, the longest sequence the model can take. */
  contextLength: number;
  /** `n_layer`. */
  layers: number;
  /** `n_embd`. */
  dModel: number;
  /** `n_head`. */
  heads: number;
  /** `layer_norm_epsilon` (1e-5 in GPT-2). */
  layerNormEpsilon: number;
}

export interface Gpt2LayerWeights {
  ln1Weight: Float32Array;
  ln1Bias: Float32Array;
  /** `[d, 3d]`: q, k, v projections side by side. */
  attnWeight: Float32Array;
  attnBias: Float32Array;
  /** `[d, d]`. */
  attnProjWeight: Float32Array;
  attnProjBias: Float32Array;
  ln2Weight: Float32Array;
  ln2Bias: Float32Array;
  /** `[d, 4d]`. */
  fcWeight: Float32Array;
  fcBias: Float32Array;
  /** `[4d, d]`. */
  fcProjWeight: Float32Array;
  fcProjBias: Float32Array;
}

export interface Gpt2Weights {
  config: Gpt2Config;
  /** `[vocab, d]`, also the output projection. */
  wte: Float32Array;
  /** `[contextLength, d]`. */
  wpe: Float32Array;
  layers: Gpt2LayerWeights[];
  lnFWeight: Float32Array;
  lnFBias: Float32Array;
}

export interface Gpt2OnnxOptions {
  /** With `past_key_values` / `present` and `position_ids` (default), or `input_ids` + `attention_mask` only. */
  cache?: boolean;
  docString?: string;
  /** Extra `metadata_props` (after the ones written here), in key order. */
  metadata?: Readonly<Record<string, string>>;
}

/** A configuration or weight set that does not describe a GPT-2 model; the message names the field. */
export class Gpt2ConfigError extends Error {
  override readonly name = "Gpt2ConfigError";
}

// ------------------------------------------------------------------------------------------------ public API

/** @throws {Gpt2ConfigError} unless every size is a positive integer and `dModel` divides into the heads. */
export function checkGpt2Config(config: Gpt2Config): void {
  for (const key of ["vocabSize", "contextLength", "layers", "dModel", "heads"] as const) {
    if (!Number.isSafeInteger(config[key]) || config[key] < 1) {
      throw new Gpt2ConfigError(`${key} is ${config[key]}; it must be a positive integer.`);
    }
  }
  if (config.dModel % config.heads !== 0) {
    throw new Gpt2ConfigError(`dModel ${config.dModel} is not a multiple of heads ${config.heads}.`);
  }
  if (!(config.layerNormEpsilon > 0)) {
    throw new Gpt2ConfigError(`layerNormEpsilon is ${config.layerNormEpsilon}; it must be positive.`);
  }
}

/**
 * Seeded random weights in GPT-2's initialisation scheme scaled by `std` (GPT-2 uses 0.02): matrices and
 * embeddings normal(0, std), the projections into the residual stream normal(0, std/√(2·layers)), biases
 * normal(0, std/2), LayerNorm gains 1 + normal(0, 0.1) and shifts normal(0, 0.1) — not zeros and ones, so every
 * weight matters in a test. The same seed gives the same float32 weights everywhere.
 */
export function randomGpt2Weights(config: Gpt2Config, seed: number, std = 0.02): Gpt2Weights {
  checkGpt2Config(config);
  const rng = new SeededRandom(seed);
  const d = config.dModel;
  const residual = std / Math.sqrt(2 * config.layers);
  const normal = (n: number, sigma: number): Float32Array => gaussian(rng.fork(), n, sigma);
  const gain = (n: number): Float32Array => normal(n, 0.1).map((x) => 1 + x);
  return {
    config: { ...config },
    wte: normal(config.vocabSize * d, std),
    wpe: normal(config.contextLength * d, std),
    layers: Array.from({ length: config.layers }, () => ({
      ln1Weight: gain(d),
      ln1Bias: normal(d, 0.1),
      attnWeight: normal(d * 3 * d, std),
      attnBias: normal(3 * d, std / 2),
      attnProjWeight: normal(d * d, residual),
      attnProjBias: normal(d, std / 2),
      ln2Weight: gain(d),
      ln2Bias: normal(d, 0.1),
      fcWeight: normal(d * 4 * d, std),
      fcBias: normal(4 * d, std / 2),
      fcProjWeight: normal(4 * d * d, residual),
      fcProjBias: normal(d, std / 2),
    })),
    lnFWeight: gain(d),
    lnFBias: normal(d, 0.1),
  };
}

/** @throws {Gpt2ConfigError} when an array of `weights` does not have the size its configuration implies. */
export function checkGpt2Weights(weights: Gpt2Weights): void {
  const c = weights.config;
  checkGpt2Config(c);
  const d = c.dModel;
  const expect = (array: Float32Array, size: number, name: string): void => {
    if (array.length !== size) throw new Gpt2ConfigError(`${name} has ${array.length} values, expected ${size}.`);
  };
  expect(weights.wte, c.vocabSize * d, "wte");
  expect(weights.wpe, c.contextLength * d, "wpe");
  expect(weights.lnFWeight, d, "lnFWeight");
  expect(weights.lnFBias, d, "lnFBias");
  if (weights.layers.length !== c.layers) {
    throw new Gpt2ConfigError(`weights have ${weights.layers.length} layers, the configuration ${c.layers}.`);
  }
  const sizes: Record<keyof Gpt2LayerWeights, number> = {
    ln1Weight: d,
    ln1Bias: d,
    attnWeight: 3 * d * d,
    attnBias: 3 * d,
    attnProjWeight: d * d,
    attnProjBias: d,
    ln2Weight: d,
    ln2Bias: d,
    fcWeight: 4 * d * d,
    fcBias: 4 * d,
    fcProjWeight: 4 * d * d,
    fcProjBias: d,
  };
  weights.layers.forEach((layer, l) => {
    for (const [key, size] of Object.entries(sizes)) {
      expect(layer[key as keyof Gpt2LayerWeights], size, `layers[${l}].${key}`);
    }
  });
}

/**
 * Serialises `weights` as an ONNX decoder (opset 17). The same weights and options give the same bytes.
 * @throws {Gpt2ConfigError} for weights that do not match their configuration.
 */
export function buildGpt2Onnx(weights: Gpt2Weights, options: Gpt2OnnxOptions = {}): Uint8Array {
  checkGpt2Weights(weights);
  const c = weights.config;
  const d = c.dModel;

  const body = ({ g, inputIds, positionIds, attention }: DecoderContext): string => {
    const wte = g.weight("transformer.wte.weight", [c.vocabSize, d], weights.wte);
    const wpe = g.weight("transformer.wpe.weight", [c.contextLength, d], weights.wpe);
    const layerNorm = (x: string, name: string, gain: Float32Array, shift: Float32Array): string =>
      g.op("LayerNormalization", [x, g.weight(`${name}.weight`, [d], gain), g.weight(`${name}.bias`, [d], shift)], {
        axis: { i: -1 },
        epsilon: { f: c.layerNormEpsilon },
      });
    const linear = (x: string, name: string, dims: [number, number], w: Float32Array, b: Float32Array): string =>
      g.op("Add", [g.op("MatMul", [x, g.weight(`${name}.weight`, dims, w)]), g.weight(`${name}.bias`, [dims[1]], b)]);
    // gelu_new(x) = 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))
    const half = g.scalar(0.5);
    const oneF = g.scalar(1);
    const cubic = g.scalar(0.044715);
    const root = g.scalar(Math.sqrt(2 / Math.PI));
    const gelu = (x: string): string => {
      const x3 = g.op("Mul", [g.op("Mul", [x, x]), x]);
      const inner = g.op("Mul", [root, g.op("Add", [x, g.op("Mul", [cubic, x3])])]);
      return g.op("Mul", [g.op("Mul", [half, x]), g.op("Add", [oneF, g.op("Tanh", [inner])])]);
    };
    const thirds = g.ints([d, d, d]);

    let x = g.op("Add", [
      g.op("Gather", [wte, inputIds], { axis: { i: 0 } }),
      g.op("Gather", [wpe, positionIds], { axis: { i: 0 } }),
    ]);
    weights.layers.forEach((layer, l) => {
      const p = `transformer.h.${l}`;
      const normed = layerNorm(x, `${p}.ln_1`, layer.ln1Weight, layer.ln1Bias);
      const qkv = linear(normed, `${p}.attn.c_attn`, [d, 3 * d], layer.attnWeight, layer.attnBias);
      const [q, k, v] = g.opMulti("Split", [qkv, thirds], 3, { axis: { i: 2 } }) as [string, string, string];
      const attended = attention(l, q, k, v);
      x = g.op("Add", [x, linear(attended, `${p}.attn.c_proj`, [d, d], layer.attnProjWeight, layer.attnProjBias)]);
      const normed2 = layerNorm(x, `${p}.ln_2`, layer.ln2Weight, layer.ln2Bias);
      const hidden = gelu(linear(normed2, `${p}.mlp.c_fc`, [d, 4 * d], layer.fcWeight, layer.fcBias));
      x = g.op("Add", [x, linear(hidden, `${p}.mlp.c_proj`, [4 * d, d], layer.fcProjWeight, layer.fcProjBias)]);
    });
    const final = layerNorm(x, "transformer.ln_f", weights.lnFWeight, weights.lnFBias);
    return g.op("MatMul", [final, g.op("Transpose", [wte], { perm: { ints: [1, 0] } }, "lm_head.weight_t")]);
  };

  return buildDecoderGraph({
    shape: { layers: c.layers, heads: c.heads, headDim: d / c.heads, vocabSize: c.vocabSize },
    cache: options.cache ?? true,
    body,
    graphName: "opg_gpt2_decoder",
    ...(options.docString !== undefined ? { docString: options.docString } : {}),
    metadata: {
      "opg.kind": "causal_lm",
      "opg.layout": "gpt2",
      "opg.vocab_size": String(c.vocabSize),
      "opg.context_length": String(c.contextLength),
      "opg.layers": String(c.layers),
      "opg.heads": String(c.heads),
      "opg.config": JSON.stringify(c),
      ...options.metadata,
    },
  });
}
