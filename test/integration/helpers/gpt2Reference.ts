/**
 * GPT-2's forward pass written out in plain float64 JavaScript, straight from the definition (Hugging Face
 * `GPT2LMHeadModel`: token + position embeddings, pre-LayerNorm blocks, causal multi-head attention, gelu_new MLP,
 * final LayerNorm, tied output projection). Slow and independent of the ONNX writer: the tests compare the ONNX
 * graph of `offchain/lm/gpt2.ts` against it.
 */
import type { Gpt2Weights } from "../../../offchain/lm/gpt2.js";

/** Logits `[seq][vocab]` of `ids` at positions 0 … seq−1. */
export function gpt2ReferenceLogits(weights: Gpt2Weights, ids: readonly number[]): Float64Array[] {
  const { vocabSize, dModel: d, heads, layerNormEpsilon: eps } = weights.config;
  const hd = d / heads;
  const seq = ids.length;
  const at = (a: Float32Array, i: number): number => a[i] as number;

  const layerNorm = (v: Float64Array, gain: Float32Array, shift: Float32Array): Float64Array => {
    let mean = 0;
    for (let j = 0; j < d; j++) mean += v[j] as number;
    mean /= d;
    let variance = 0;
    for (let j = 0; j < d; j++) variance += ((v[j] as number) - mean) ** 2;
    variance /= d;
    const inv = 1 / Math.sqrt(variance + eps);
    return Float64Array.from({ length: d }, (_, j) => ((v[j] as number) - mean) * inv * at(gain, j) + at(shift, j));
  };
  /** `v · W + b` with `W` `[nIn, nOut]` row-major. */
  const linear = (v: Float64Array, w: Float32Array, b: Float32Array, nOut: number): Float64Array => {
    const out = Float64Array.from(b);
    for (let i = 0; i < v.length; i++) {
      const x = v[i] as number;
      for (let o = 0; o < nOut; o++) out[o] = (out[o] as number) + x * at(w, i * nOut + o);
    }
    return out;
  };
  const gelu = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

  let x = ids.map((token, p) =>
    Float64Array.from({ length: d }, (_, j) => at(weights.wte, token * d + j) + at(weights.wpe, p * d + j)),
  );
  for (const layer of weights.layers) {
    const qkv = x.map((v) =>
      linear(layerNorm(v, layer.ln1Weight, layer.ln1Bias), layer.attnWeight, layer.attnBias, 3 * d),
    );
    const merged = Array.from({ length: seq }, () => new Float64Array(d));
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < seq; i++) {
        const scores: number[] = [];
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let c = 0; c < hd; c++) {
            s +=
              ((qkv[i] as Float64Array)[h * hd + c] as number) * ((qkv[j] as Float64Array)[d + h * hd + c] as number);
          }
          scores.push(s / Math.sqrt(hd));
        }
        const max = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - max));
        const sum = exps.reduce((a, b) => a + b, 0);
        for (let j = 0; j <= i; j++) {
          const p = (exps[j] as number) / sum;
          for (let c = 0; c < hd; c++) {
            const row = merged[i] as Float64Array;
            row[h * hd + c] =
              (row[h * hd + c] as number) + p * ((qkv[j] as Float64Array)[2 * d + h * hd + c] as number);
          }
        }
      }
    }
    x = x.map((v, i) => {
      const attended = linear(merged[i] as Float64Array, layer.attnProjWeight, layer.attnProjBias, d);
      return v.map((value, j) => value + (attended[j] as number));
    });
    x = x.map((v) => {
      const hidden = linear(layerNorm(v, layer.ln2Weight, layer.ln2Bias), layer.fcWeight, layer.fcBias, 4 * d).map(
        gelu,
      );
      const out = linear(hidden, layer.fcProjWeight, layer.fcProjBias, d);
      return v.map((value, j) => value + (out[j] as number));
    });
  }
  return x.map((v) => {
    const h = layerNorm(v, weights.lnFWeight, weights.lnFBias);
    return Float64Array.from({ length: vocabSize }, (_, t) => {
      let s = 0;
      for (let j = 0; j < d; j++) s += (h[j] as number) * at(weights.wte, t * d + j);
      return s;
    });
  });
}
