/**
 * The Llama-layout decoder (`./llama.ts`) as tfjs variables: the forward pass, the training loss, and conversion
 * from and to plain {@link LlamaWeights}. Training runs on tfjs' WebAssembly backend ({@link useWasmBackend}),
 * about 8× faster here than the pure-JS CPU backend.
 *
 * Everything is written with kernels that backend has, forward and backward: the token embedding is
 * `oneHot(ids) · embed` (the gradient of `tf.gather` needs `UnsortedSegmentSum`, which the wasm backend lacks),
 * and the loss is `−Σ oneHot(target) · logSoftmax(logits)`.
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";

import {
  checkLlamaWeights,
  headSize,
  type LlamaConfig,
  type LlamaLayerWeights,
  type LlamaWeights,
  rotaryTables,
} from "./llama.js";

// ------------------------------------------------------------------------------------------------ types

/** One variable per weight array of {@link LlamaLayerWeights}, same names and shapes. */
type LayerVariables = Record<keyof LlamaLayerWeights, tf.Variable>;

/** The weight arrays of a layer in a fixed order, with their shapes. */
function layerShapes(c: LlamaConfig): Array<[keyof LlamaLayerWeights, number[]]> {
  const d = c.dModel;
  const f = c.ffnHidden;
  return [
    ["attnNorm", [d]],
    ["wq", [d, d]],
    ["wk", [d, d]],
    ["wv", [d, d]],
    ["wo", [d, d]],
    ["mlpNorm", [d]],
    ["wGate", [d, f]],
    ["wUp", [d, f]],
    ["wDown", [f, d]],
  ];
}

// ------------------------------------------------------------------------------------------------ backend

/**
 * Selects tfjs' WebAssembly backend (single-threaded SIMD in Node) and waits until it is ready.
 * @throws {Error} from tfjs when the backend cannot start.
 */
export async function useWasmBackend(): Promise<void> {
  if (tf.getBackend() === "wasm") return;
  const ok = await tf.setBackend("wasm");
  if (!ok)
    throw new Error("tfjs could not start its wasm backend; check that @tensorflow/tfjs-backend-wasm is installed.");
  await tf.ready();
}

// ------------------------------------------------------------------------------------------------ model

/** A Llama-layout decoder held in tfjs variables. Call {@link dispose} when done. */
export class TfLlama {
  readonly config: LlamaConfig;
  readonly #embed: tf.Variable;
  readonly #layers: LayerVariables[];
  readonly #finalNorm: tf.Variable;
  /** The untied output projection `[d, vocab]`, or null when the embedding is reused. */
  readonly #lmHead: tf.Variable | null;
  /** Rotary tables `[contextLength, headSize]` and the causal mask `[contextLength, contextLength]` (0 / −1e9). */
  readonly #cos: tf.Tensor2D;
  readonly #sin: tf.Tensor2D;
  readonly #mask: tf.Tensor2D;
  /** {@link rotateHalfMatrix} and its transpose. */
  readonly #rotateHalf: tf.Tensor2D;
  readonly #rotateHalfT: tf.Tensor2D;

  /** Variable names are global in tfjs: each instance gets its own prefix. */
  static #instances = 0;

  constructor(weights: LlamaWeights) {
    checkLlamaWeights(weights);
    const c = weights.config;
    this.config = { ...c };
    const d = c.dModel;
    const p = `llama${TfLlama.#instances++}.`;
    // tf.variable shares the initial tensor's data: each temporary is released right after.
    const variable = (make: () => tf.Tensor, name: string): tf.Variable => {
      const initial = tf.tidy(make);
      const created = tf.variable(initial, true, `${p}${name}`);
      initial.dispose();
      return created;
    };
    this.#embed = variable(() => tf.tensor2d(weights.embed, [c.vocabSize, d]), "embed");
    this.#layers = weights.layers.map(
      (layer, l) =>
        Object.fromEntries(
          layerShapes(c).map(([key, shape]) => [key, variable(() => tf.tensor(layer[key], shape), `l${l}.${key}`)]),
        ) as LayerVariables,
    );
    this.#finalNorm = variable(() => tf.tensor1d(weights.finalNorm), "finalNorm");
    const lmHead = weights.lmHead;
    this.#lmHead = lmHead === undefined ? null : variable(() => tf.tensor2d(lmHead, [d, c.vocabSize]), "lmHead");
    const { cos, sin } = rotaryTables(c);
    this.#cos = tf.tensor2d(cos, [c.contextLength, headSize(c)]);
    this.#sin = tf.tensor2d(sin, [c.contextLength, headSize(c)]);
    const mask = new Float32Array(c.contextLength * c.contextLength);
    for (let i = 0; i < c.contextLength; i++)
      for (let j = i + 1; j < c.contextLength; j++) mask[i * c.contextLength + j] = -1e9;
    this.#mask = tf.tensor2d(mask, [c.contextLength, c.contextLength]);
    this.#rotateHalf = tf.tensor2d(rotateHalfMatrix(headSize(c)), [headSize(c), headSize(c)]);
    this.#rotateHalfT = this.#rotateHalf.transpose();
  }

  /** The trainable variables, in a fixed order. */
  get variables(): tf.Variable[] {
    return [
      this.#embed,
      ...this.#layers.flatMap((layer) => layerShapes(this.config).map(([key]) => layer[key])),
      this.#finalNorm,
      ...(this.#lmHead === null ? [] : [this.#lmHead]),
    ];
  }

  /**
   * Logits `[batch·seq, vocab]` of every position of `ids` (`[batch, seq]`, int32, seq ≤ contextLength; positions
   * 0 … seq−1, causal attention). Call inside `tf.tidy`.
   */
  forward(ids: tf.Tensor2D): tf.Tensor2D {
    const c = this.config;
    const [batch, seq] = ids.shape;
    const d = c.dModel;
    const h = c.heads;
    const hd = headSize(c);
    const n = batch * seq;
    const cos = seq === c.contextLength ? this.#cos : this.#cos.slice([0, 0], [seq, hd]);
    const sin = seq === c.contextLength ? this.#sin : this.#sin.slice([0, 0], [seq, hd]);
    const mask = seq === c.contextLength ? this.#mask : this.#mask.slice([0, 0], [seq, seq]);
    const scale = tf.scalar(1 / Math.sqrt(hd));

    let x: tf.Tensor2D = matMul(oneHot(ids.reshape([n]), c.vocabSize), this.#embed);
    const heads = (t: tf.Tensor2D): tf.Tensor4D => t.reshape([batch, seq, h, hd]).transpose([0, 2, 1, 3]);
    for (const layer of this.#layers) {
      const normed = rmsNorm(x, layer.attnNorm, c.normEpsilon);
      const q = this.#rotate(heads(matMul(normed, layer.wq)), cos, sin);
      const k = this.#rotate(heads(matMul(normed, layer.wk)), cos, sin);
      const v = heads(matMul(normed, layer.wv));
      const scores = tf.add(tf.mul(batchMatMul(q, k.transpose([0, 1, 3, 2])), scale), mask); // [b, h, s, s]
      const attended = batchMatMul(tf.softmax(scores), v); // [b, h, s, hd]
      const merged = attended.transpose([0, 2, 1, 3]).reshape([n, d]) as tf.Tensor2D;
      x = tf.add(x, matMul(merged, layer.wo)) as tf.Tensor2D;
      const normed2 = rmsNorm(x, layer.mlpNorm, c.normEpsilon);
      const gate = matMul(normed2, layer.wGate);
      const hidden = tf.mul(tf.mul(gate, tf.sigmoid(gate)), matMul(normed2, layer.wUp));
      x = tf.add(x, matMul(hidden, layer.wDown)) as tf.Tensor2D;
    }
    return matMul(rmsNorm(x, this.#finalNorm, c.normEpsilon), this.#lmHead ?? this.#embed.transpose());
  }

  /**
   * Mean cross-entropy (nats per token) of predicting `targets` from `ids` (both `[batch, seq]` int32). Call inside
   * `tf.tidy` / `tf.variableGrads`.
   */
  loss(ids: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
    const logits = this.forward(ids);
    const n = targets.shape[0] * targets.shape[1];
    const onehot = oneHot(targets.reshape([n]), this.config.vocabSize);
    return tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  }

  /** Sum of the cross-entropy over all positions (nats), for held-out evaluation. */
  lossSum(ids: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => tf.mul(this.loss(ids, targets), targets.shape[0] * targets.shape[1]));
  }

  /** The current weights as plain float32 arrays (the layout of `./llama.ts`). */
  async toWeights(): Promise<LlamaWeights> {
    const read = async (t: tf.Tensor): Promise<Float32Array> => Float32Array.from(await t.data());
    const layers: LlamaLayerWeights[] = [];
    for (const layer of this.#layers) {
      const entries: Array<[string, Float32Array]> = [];
      for (const [key] of layerShapes(this.config)) entries.push([key, await read(layer[key])]);
      layers.push(Object.fromEntries(entries) as unknown as LlamaLayerWeights);
    }
    return {
      config: { ...this.config },
      embed: await read(this.#embed),
      layers,
      finalNorm: await read(this.#finalNorm),
      ...(this.#lmHead === null ? {} : { lmHead: await read(this.#lmHead) }),
    };
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
    tf.dispose([this.#cos, this.#sin, this.#mask, this.#rotateHalf, this.#rotateHalfT]);
  }

  /**
   * Rotary embedding of `x` `[b, h, s, hd]` at positions 0 … s−1: `x · cos + rotateHalf(x) · sin`, rotateHalf
   * as a product with a constant matrix (a slice would copy the whole tensor on the wasm backend).
   */
  #rotate(x: tf.Tensor4D, cos: tf.Tensor2D, sin: tf.Tensor2D): tf.Tensor4D {
    const [b, h, s, hd] = x.shape;
    const rows = x.reshape([b * h * s, hd]) as tf.Tensor2D;
    const rotated = matMulConstant(rows, this.#rotateHalf, this.#rotateHalfT).reshape([b, h, s, hd]);
    return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
  }
}

// ------------------------------------------------------------------------------------------------ internals

/** What `tf.customGrad` takes (the functions below have fixed arities, which its variadic type does not express). */
type GradientFunction = Parameters<typeof tf.customGrad>[0];

/**
 * `a · b` for 2-D tensors, with a gradient that uses explicit transposes. tfjs' own gradient multiplies with the
 * transpose flags set, which sends the wasm backend to its slow generic kernel (about 6× slower here); without
 * flags it runs XNNPACK.
 */
const matMul = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, [sa, sb]: tf.Tensor[]) => [
      tf.matMul(dy as tf.Tensor2D, (sb as tf.Tensor2D).transpose()),
      tf.matMul((sa as tf.Tensor2D).transpose(), dy as tf.Tensor2D),
    ],
  };
}) as unknown as GradientFunction) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor2D;

/** `a · b` over the last two axes of rank-4 tensors, gradient with explicit transposes (see {@link matMul}). */
const batchMatMul = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  const swap = [0, 1, 3, 2];
  return {
    value: tf.matMul(a as tf.Tensor4D, b as tf.Tensor4D),
    gradFunc: (dy: tf.Tensor, [sa, sb]: tf.Tensor[]) => [
      tf.matMul(dy as tf.Tensor4D, (sb as tf.Tensor4D).transpose(swap)),
      tf.matMul((sa as tf.Tensor4D).transpose(swap), dy as tf.Tensor4D),
    ],
  };
}) as unknown as GradientFunction) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor4D;

/**
 * Float32 one-hot rows of `ids`. (tfjs-backend-wasm 4.22 writes the integer bit pattern of 1 into a float32
 * one-hot, 1.4e-45 instead of 1.0: build it as int32 and cast.)
 */
function oneHot(ids: tf.Tensor, depth: number): tf.Tensor2D {
  return tf.cast(tf.oneHot(ids as tf.Tensor1D, depth), "float32") as tf.Tensor2D;
}

/** `x / sqrt(mean(x²) + ε) · gain` over the last axis. */
function rmsNorm(x: tf.Tensor, gain: tf.Tensor, epsilon: number): tf.Tensor2D {
  const meanSquare = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanSquare, epsilon))), gain) as tf.Tensor2D;
}

/**
 * `x · c` for a constant `c` (given with its transpose `cT`): only `x` gets a gradient, `dy · cᵀ`, computed without
 * transpose flags (see {@link matMul}).
 */
function matMulConstant(x: tf.Tensor2D, c: tf.Tensor2D, cT: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad(((a: tf.Tensor) => ({
    value: tf.matMul(a as tf.Tensor2D, c),
    gradFunc: (dy: tf.Tensor) => tf.matMul(dy as tf.Tensor2D, cT),
  })) as unknown as GradientFunction) as (a: tf.Tensor2D) => tf.Tensor2D;
  return f(x);
}

/** The `[hd, hd]` matrix `R` with `x · R = rotateHalf(x) = [−x₂, x₁]` (x₁, x₂ the two halves of a row). */
function rotateHalfMatrix(hd: number): Float32Array {
  const half = hd / 2;
  const r = new Float32Array(hd * hd);
  for (let j = 0; j < half; j++) {
    r[(j + half) * hd + j] = -1; // output column j takes −x₂[j]
    r[j * hd + (j + half)] = 1; // output column j + half takes x₁[j]
  }
  return r;
}
