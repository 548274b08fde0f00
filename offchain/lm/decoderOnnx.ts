/**
 * The part of a decoder graph every layout shares: the Optimum inputs and outputs (`./convention.ts`), the
 * attention mask, position ids, and multi-head causal attention with an optional key/value cache. A layout
 * (`./llamaOnnx.ts`, `./gpt2.ts`) supplies the rest — embeddings, normalisation, projections, feed-forward block,
 * output head — through {@link DecoderBody}.
 *
 * **Masking.** With `past` cached tokens and `seq` new ones (`total = past + seq` = the length of
 * `attention_mask`), query `i` sits at absolute position `past + i` and may attend to key `j` exactly when
 * `j ≤ past + i` and `attention_mask[b, j] ≠ 0`. Masked scores are replaced (not offset) by the lowest float32, so
 * a row with no visible key gives a uniform distribution rather than NaN.
 *
 * **Positions.** The cached variant takes `position_ids` (the caller's business, as in transformers.js:
 * `past … past + seq − 1` for an unpadded sequence). The variant without a cache derives them from the mask,
 * `max(cumsum(attention_mask) − 1, 0)`, the rule of transformers' `generate`, so a left-padded batch gets the
 * positions its tokens would have alone.
 */
import { ATTENTION_MASK, DIMS, INPUT_IDS, LOGITS, pastName, POSITION_IDS, presentName } from "./convention.js";
import { GraphBuilder } from "./onnxGraph.js";

// ------------------------------------------------------------------------------------------------ types

/** Sizes the shared part needs. */
export interface DecoderShape {
  layers: number;
  heads: number;
  headDim: number;
  vocabSize: number;
}

/** What the shared part hands to a layout. */
export interface DecoderContext {
  g: GraphBuilder;
  /** `[batch, seq]` int64. */
  inputIds: string;
  /** `[batch, seq]` int64 absolute positions. */
  positionIds: string;
  /**
   * Causal multi-head attention of layer `layer` over `q`, `k`, `v` (`[batch, seq, heads·headDim]` each, after
   * their projections). `rotate`, when given, is applied to the query and key heads (`[batch, heads, seq,
   * headDim]`) before the cache is extended (rotary embeddings). Returns the heads merged back, `[batch, seq,
   * heads·headDim]`, before the output projection.
   */
  attention(layer: number, q: string, k: string, v: string, rotate?: (heads: string) => string): string;
}

/** The layout's part of the graph: returns the name of the `[batch, seq, vocab]` float32 logits tensor. */
export type DecoderBody = (context: DecoderContext) => string;

export interface DecoderGraphOptions {
  shape: DecoderShape;
  /** With `past_key_values` inputs and `present` outputs (and a `position_ids` input), or without. */
  cache: boolean;
  body: DecoderBody;
  graphName: string;
  docString?: string;
  metadata?: Readonly<Record<string, string>>;
}

// ------------------------------------------------------------------------------------------------ constants

/** The lowest finite float32: the score of a masked key. */
const LOWEST_FLOAT32 = -3.4028234663852886e38;
const BOOL = 9;

// ------------------------------------------------------------------------------------------------ builder

/** Writes a decoder graph: the convention's inputs and outputs around the layout's `body`. */
export function buildDecoderGraph(options: DecoderGraphOptions): Uint8Array {
  const { layers, heads, headDim, vocabSize } = options.shape;
  const g = new GraphBuilder();
  const cache = options.cache;
  const inputIds = g.input(INPUT_IDS, "int64", [DIMS.batch, DIMS.sequence]);
  const attentionMask = g.input(ATTENTION_MASK, "int64", [DIMS.batch, cache ? DIMS.total : DIMS.sequence]);
  let positionIds: string;
  if (cache) {
    positionIds = g.input(POSITION_IDS, "int64", [DIMS.batch, DIMS.sequence]);
    for (let l = 0; l < layers; l++) {
      for (const part of ["key", "value"] as const) {
        g.input(pastName(l, part), "float32", [DIMS.batch, heads, DIMS.past, headDim]);
      }
    }
  } else {
    const cumulative = g.op("CumSum", [attentionMask, g.ints([1], [])]);
    positionIds = g.op(
      "Max",
      [g.op("Sub", [cumulative, g.ints([1], [])]), g.ints([0], [])],
      {},
      "position_ids_from_mask",
    );
  }

  // allowed[b, 0, i, j] = (j ≤ past + i) ∧ attention_mask[b, j] ≠ 0, shape [batch, 1, seq, total].
  const scalarIndex = (tensor: string, axis: number): string =>
    g.op("Gather", [g.op("Shape", [tensor]), g.ints([axis], [])], { axis: { i: 0 } });
  const seq = scalarIndex(inputIds, 1);
  const total = scalarIndex(attentionMask, 1);
  const past = g.op("Sub", [total, seq]);
  const one = g.ints([1], []);
  const keyPositions = g.op("Range", [g.ints([0], []), total, one]);
  const queryPositions = g.op("Range", [past, total, one]);
  const causal = g.op("LessOrEqual", [
    g.op("Unsqueeze", [keyPositions, g.ints([0])]),
    g.op("Unsqueeze", [queryPositions, g.ints([1])]),
  ]);
  const visible = g.op("Unsqueeze", [g.op("Cast", [attentionMask], { to: { i: BOOL } }), g.ints([1, 2])]);
  const allowed = g.op("And", [causal, visible], {}, "attention_allowed");
  const lowest = g.scalar(LOWEST_FLOAT32);
  const scale = g.scalar(1 / Math.sqrt(headDim));
  const splitShape = g.ints([0, 0, heads, headDim]);
  const mergeShape = g.ints([0, 0, heads * headDim]);

  const splitHeads = (t: string): string =>
    g.op("Transpose", [g.op("Reshape", [t, splitShape])], { perm: { ints: [0, 2, 1, 3] } });

  const context: DecoderContext = {
    g,
    inputIds,
    positionIds,
    attention(layer, q, k, v, rotate) {
      let qh = splitHeads(q);
      let kh = splitHeads(k);
      const vh = splitHeads(v);
      if (rotate !== undefined) {
        qh = rotate(qh);
        kh = rotate(kh);
      }
      let keys = kh;
      let values = vh;
      if (cache) {
        keys = g.op("Concat", [pastName(layer, "key"), kh], { axis: { i: 2 } }, presentName(layer, "key"));
        values = g.op("Concat", [pastName(layer, "value"), vh], { axis: { i: 2 } }, presentName(layer, "value"));
      }
      const keysT = g.op("Transpose", [keys], { perm: { ints: [0, 1, 3, 2] } });
      const scores = g.op("Mul", [g.op("MatMul", [qh, keysT]), scale]);
      const masked = g.op("Where", [allowed, scores, lowest]);
      const probabilities = g.op("Softmax", [masked], { axis: { i: -1 } });
      const attended = g.op("MatMul", [probabilities, values]);
      const merged = g.op("Transpose", [attended], { perm: { ints: [0, 2, 1, 3] } });
      return g.op("Reshape", [merged, mergeShape]);
    },
  };

  const logits = options.body(context);
  g.output(logits, LOGITS, "float32", [DIMS.batch, DIMS.sequence, vocabSize]);
  if (cache) {
    for (let l = 0; l < layers; l++) {
      for (const part of ["key", "value"] as const) {
        g.output(presentName(l, part), presentName(l, part), "float32", [DIMS.batch, heads, DIMS.total, headDim]);
      }
    }
  }
  return g.finish({
    graphName: options.graphName,
    ...(options.docString !== undefined ? { docString: options.docString } : {}),
    ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
  });
}
