/**
 * Writes a Llama-layout decoder (`./llama.ts`) as ONNX, with or without a key/value cache, in the Optimum decoder
 * convention (`./convention.ts`). Opset 17; float32 weights; a tied output projection reuses the embedding through a
 * `Transpose` (the weights are stored once). The computation follows the trainer's (`./tfModel.ts`) operation by
 * operation — RMSNorm as `x · 1/√(mean(x²) + ε) · g`, rotary embedding as `x · cos + rotateHalf(x) · sin` with the
 * same float32 tables, SwiGLU as `(gate · σ(gate)) · up` — so tfjs and onnxruntime agree to float32 rounding.
 *
 * Initializers carry Hugging Face Llama names (`model.embed_tokens.weight`, `model.layers.N.self_attn.q_proj.weight`
 * …) but projection matrices are stored `[in, out]` (the orientation of `MatMul`), not PyTorch's `[out, in]`.
 */
import onnxProto from "onnx-proto";

import { pastName } from "./convention.js";
import { type DecoderContext, buildDecoderGraph } from "./decoderOnnx.js";
import {
  checkLlamaWeights,
  headSize,
  type LlamaConfig,
  LlamaConfigError,
  type LlamaWeights,
  rotaryTables,
} from "./llama.js";

const { onnx } = onnxProto;

// ------------------------------------------------------------------------------------------------ types

export interface LlamaOnnxOptions {
  /** With `past_key_values` / `present` and `position_ids` (default), or `input_ids` + `attention_mask` only. */
  cache?: boolean;
  docString?: string;
  /** Extra `metadata_props` (after the ones written here), in key order. */
  metadata?: Readonly<Record<string, string>>;
}

// ------------------------------------------------------------------------------------------------ public API

/** The `metadata_props` every Llama-layout file carries (read back by `model:inspect`). */
export function llamaMetadata(weights: LlamaWeights): Record<string, string> {
  const c = weights.config;
  return {
    "opg.kind": "causal_lm",
    "opg.layout": "llama",
    "opg.vocab_size": String(c.vocabSize),
    "opg.context_length": String(c.contextLength),
    "opg.layers": String(c.layers),
    "opg.heads": String(c.heads),
    "opg.config": JSON.stringify(c),
  };
}

/**
 * Serialises `weights` as an ONNX decoder. The same weights and options give the same bytes.
 * @throws {LlamaConfigError} for weights that do not match their configuration.
 */
export function buildLlamaOnnx(weights: LlamaWeights, options: LlamaOnnxOptions = {}): Uint8Array {
  checkLlamaWeights(weights);
  const c = weights.config;
  const d = c.dModel;
  const f = c.ffnHidden;
  const hd = headSize(c);
  const { cos, sin } = rotaryTables(c);

  const body = ({ g, inputIds, positionIds, attention }: DecoderContext): string => {
    const embed = g.weight("model.embed_tokens.weight", [c.vocabSize, d], weights.embed);
    const epsilon = g.scalar(c.normEpsilon);
    const rmsNorm = (x: string, gain: string): string => {
      const meanSquare = g.op("ReduceMean", [g.op("Mul", [x, x])], { axes: { ints: [-1] }, keepdims: { i: 1 } });
      const inverse = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [meanSquare, epsilon])])]);
      return g.op("Mul", [g.op("Mul", [x, inverse]), gain]);
    };
    // cos/sin rows of the positions, [batch, 1, seq, headDim] (broadcast over the heads).
    const table = (name: string, values: Float32Array): string =>
      g.op("Unsqueeze", [
        g.op("Gather", [g.weight(name, [c.contextLength, hd], values), positionIds], { axis: { i: 0 } }),
        g.ints([1]),
      ]);
    const cosRows = table("model.rotary_emb.cos", cos);
    const sinRows = table("model.rotary_emb.sin", sin);
    const half = g.ints([hd / 2]);
    const start = g.ints([0]);
    const end = g.ints([hd]);
    const lastAxis = g.ints([-1]);
    const rotate = (heads: string): string => {
      const first = g.op("Slice", [heads, start, half, lastAxis]);
      const second = g.op("Slice", [heads, half, end, lastAxis]);
      const rotated = g.op("Concat", [g.op("Neg", [second]), first], { axis: { i: -1 } });
      return g.op("Add", [g.op("Mul", [heads, cosRows]), g.op("Mul", [rotated, sinRows])]);
    };

    let x = g.op("Gather", [embed, inputIds], { axis: { i: 0 } });
    weights.layers.forEach((layer, l) => {
      const p = `model.layers.${l}`;
      const normed = rmsNorm(x, g.weight(`${p}.input_layernorm.weight`, [d], layer.attnNorm));
      const project = (input: string, name: string, dims: number[], values: Float32Array): string =>
        g.op("MatMul", [input, g.weight(name, dims, values)]);
      const q = project(normed, `${p}.self_attn.q_proj.weight`, [d, d], layer.wq);
      const k = project(normed, `${p}.self_attn.k_proj.weight`, [d, d], layer.wk);
      const v = project(normed, `${p}.self_attn.v_proj.weight`, [d, d], layer.wv);
      const attended = attention(l, q, k, v, rotate);
      x = g.op("Add", [x, project(attended, `${p}.self_attn.o_proj.weight`, [d, d], layer.wo)]);
      const normed2 = rmsNorm(x, g.weight(`${p}.post_attention_layernorm.weight`, [d], layer.mlpNorm));
      const gate = project(normed2, `${p}.mlp.gate_proj.weight`, [d, f], layer.wGate);
      const up = project(normed2, `${p}.mlp.up_proj.weight`, [d, f], layer.wUp);
      const hidden = g.op("Mul", [g.op("Mul", [gate, g.op("Sigmoid", [gate])]), up]);
      x = g.op("Add", [x, project(hidden, `${p}.mlp.down_proj.weight`, [f, d], layer.wDown)]);
    });
    const final = rmsNorm(x, g.weight("model.norm.weight", [d], weights.finalNorm));
    const head =
      weights.lmHead === undefined
        ? g.op("Transpose", [embed], { perm: { ints: [1, 0] } }, "lm_head.weight_t")
        : g.weight("lm_head.weight", [d, c.vocabSize], weights.lmHead);
    return g.op("MatMul", [final, head]);
  };

  return buildDecoderGraph({
    shape: { layers: c.layers, heads: c.heads, headDim: hd, vocabSize: c.vocabSize },
    cache: options.cache ?? true,
    body,
    graphName: "opg_llama_decoder",
    ...(options.docString !== undefined ? { docString: options.docString } : {}),
    metadata: { ...llamaMetadata(weights), ...options.metadata },
  });
}

/** What {@link readLlamaOnnx} recovers from a file written by {@link buildLlamaOnnx}. */
export interface LlamaOnnxContents {
  weights: LlamaWeights;
  cache: boolean;
  docString: string | undefined;
  /** `metadata_props` beyond {@link llamaMetadata}, in file order. */
  metadata: Record<string, string>;
}

/**
 * Reads back the weights (and options) of a file written by {@link buildLlamaOnnx}, so that
 * `buildLlamaOnnx(weights, options)` gives the same bytes again — e.g. to rebuild the variant without a cache
 * from the shipped file, or to load the shipped weights into tfjs.
 * @throws {LlamaConfigError} when the file is not a Llama-layout decoder of this writer.
 */
export function readLlamaOnnx(bytes: Uint8Array): LlamaOnnxContents {
  const model = onnx.ModelProto.decode(bytes);
  const metadata: Record<string, string> = {};
  for (const prop of model.metadataProps ?? []) metadata[prop.key ?? ""] = prop.value ?? "";
  if (metadata["opg.layout"] !== "llama" || metadata["opg.config"] === undefined) {
    throw new LlamaConfigError("the file has no opg.layout=llama metadata: it was not written by buildLlamaOnnx.");
  }
  const config = JSON.parse(metadata["opg.config"]) as LlamaConfig;
  const tensors = new Map<string, Float32Array>();
  for (const t of model.graph?.initializer ?? []) {
    const raw = t.rawData;
    if (t.dataType !== onnx.TensorProto.DataType.FLOAT || raw === null || raw === undefined || raw.length === 0)
      continue;
    const copy = Uint8Array.from(raw);
    tensors.set(t.name ?? "", new Float32Array(copy.buffer, 0, copy.length / 4));
  }
  const get = (name: string): Float32Array => {
    const found = tensors.get(name);
    if (found === undefined) throw new LlamaConfigError(`the file has no initializer ${name}.`);
    return found;
  };
  const weights: LlamaWeights = {
    config,
    embed: get("model.embed_tokens.weight"),
    layers: Array.from({ length: config.layers }, (_, l) => {
      const p = `model.layers.${l}`;
      return {
        attnNorm: get(`${p}.input_layernorm.weight`),
        wq: get(`${p}.self_attn.q_proj.weight`),
        wk: get(`${p}.self_attn.k_proj.weight`),
        wv: get(`${p}.self_attn.v_proj.weight`),
        wo: get(`${p}.self_attn.o_proj.weight`),
        mlpNorm: get(`${p}.post_attention_layernorm.weight`),
        wGate: get(`${p}.mlp.gate_proj.weight`),
        wUp: get(`${p}.mlp.up_proj.weight`),
        wDown: get(`${p}.mlp.down_proj.weight`),
      };
    }),
    finalNorm: get("model.norm.weight"),
    ...(config.tieEmbeddings ? {} : { lmHead: get("lm_head.weight") }),
  };
  checkLlamaWeights(weights);
  const own = new Set(Object.keys(llamaMetadata(weights)));
  const extra = Object.fromEntries(Object.entries(metadata).filter(([key]) => !own.has(key)));
  const docString = model.docString === "" || model.docString === null ? undefined : model.docString;
  return {
    weights,
    cache: (model.graph?.input ?? []).some((i) => i.name === pastName(0, "key")),
    docString,
    metadata: extra,
  };
}
