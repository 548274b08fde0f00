/**
 * The decoder I/O convention of Hugging Face Optimum / transformers.js, which every causal language model served by
 * OPG follows (the models made here, and GPT-2, SmolLM, Llama … exported with `optimum-cli export onnx`):
 *
 * | with a cache                         | element | shape                                                          |
 * | ------------------------------------ | ------- | -------------------------------------------------------------- |
 * | in  `input_ids`                      | int64   | `[batch_size, sequence_length]`                                 |
 * | in  `attention_mask`                 | int64   | `[batch_size, past_sequence_length + sequence_length]`          |
 * | in  `position_ids` (optional)        | int64   | `[batch_size, sequence_length]`                                 |
 * | in  `past_key_values.N.key`/`.value` | float32 | `[batch_size, heads, past_sequence_length, head_dim]`           |
 * | out `logits`                         | float32 | `[batch_size, sequence_length, vocab]`                          |
 * | out `present.N.key`/`.value`         | float32 | `[batch_size, heads, past_sequence_length + sequence_length, head_dim]` |
 *
 * Without a cache the model takes `input_ids` and `attention_mask` (`[batch_size, sequence_length]`) and returns
 * `logits` only. `N` runs over the layers, `0 … layers−1`; `heads` is the number of key/value heads.
 *
 * This module only names and recognises the convention; it has no dependency on a runtime, so `model:inspect` can
 * use it on a file's declared inputs and outputs.
 */

// ------------------------------------------------------------------------------------------------ types

/** One graph input or output as declared (the shape of `OnnxTensorInfo` in `offchain/model/inspect.ts`). */
export interface DeclaredTensor {
  name: string;
  /** `"float32"`, `"int64"`, … */
  elementType: string;
  /** Fixed sizes as numbers, symbolic ones by name (`""` or `"?"` when unnamed). */
  shape: ReadonlyArray<number | string>;
}

/** What the declared inputs and outputs say about a decoder. */
export interface DecoderSignature {
  /** Whether the model takes `past_key_values.*` and returns `present.*`. */
  hasCache: boolean;
  /** Whether the model takes `position_ids`. */
  hasPositionIds: boolean;
  /** Number of `past_key_values` pairs (0 for a model without a cache: the graph does not say). */
  layers: number;
  /** Key/value heads and head size from the cache shapes, when declared as numbers. */
  kvHeads: number | null;
  headDim: number | null;
  /** Last dimension of `logits`, when declared as a number. */
  vocabSize: number | null;
}

/** The inputs and outputs look like a decoder but break the convention; the message says what is wrong. */
export class DecoderConventionError extends Error {
  override readonly name = "DecoderConventionError";
}

// ------------------------------------------------------------------------------------------------ names

export const INPUT_IDS = "input_ids";
export const ATTENTION_MASK = "attention_mask";
export const POSITION_IDS = "position_ids";
export const LOGITS = "logits";

/** `past_key_values.<layer>.key` / `.value`. */
export function pastName(layer: number, part: "key" | "value"): string {
  return `past_key_values.${layer}.${part}`;
}

/** `present.<layer>.key` / `.value`. */
export function presentName(layer: number, part: "key" | "value"): string {
  return `present.${layer}.${part}`;
}

/** Symbolic dimension names used by Optimum. */
export const DIMS = {
  batch: "batch_size",
  sequence: "sequence_length",
  past: "past_sequence_length",
  total: "past_sequence_length + sequence_length",
} as const;

// ------------------------------------------------------------------------------------------------ recognition

/**
 * Whether `inputs` / `outputs` follow the decoder convention at all: an `input_ids` input and a `logits` output.
 * A model that passes is then checked by {@link decoderSignature}.
 */
export function looksLikeDecoder(inputs: readonly DeclaredTensor[], outputs: readonly DeclaredTensor[]): boolean {
  return inputs.some((t) => t.name === INPUT_IDS) && outputs.some((t) => t.name === LOGITS);
}

/**
 * Reads the decoder signature from the declared inputs and outputs.
 * @throws {DecoderConventionError} when they break the convention: wrong element types or ranks, past inputs
 *   without matching present outputs (or the reverse), layers not numbered `0 … n−1`, unknown extra inputs.
 */
export function decoderSignature(
  inputs: readonly DeclaredTensor[],
  outputs: readonly DeclaredTensor[],
): DecoderSignature {
  const input = new Map(inputs.map((t) => [t.name, t]));
  const output = new Map(outputs.map((t) => [t.name, t]));
  const expect = (t: DeclaredTensor | undefined, name: string, elementType: string, rank: number): DeclaredTensor => {
    if (t === undefined) throw new DecoderConventionError(`the model has no "${name}"; a decoder needs it.`);
    if (t.elementType !== elementType || t.shape.length !== rank) {
      throw new DecoderConventionError(
        `"${name}" is ${t.elementType} of rank ${t.shape.length}; the decoder convention has ${elementType} of ` +
          `rank ${rank}. Re-export the model with optimum-cli export onnx --task text-generation(-with-past).`,
      );
    }
    return t;
  };
  expect(input.get(INPUT_IDS), INPUT_IDS, "int64", 2);
  expect(input.get(ATTENTION_MASK), ATTENTION_MASK, "int64", 2);
  const logits = expect(output.get(LOGITS), LOGITS, "float32", 3);
  const hasPositionIds = input.has(POSITION_IDS);
  if (hasPositionIds) expect(input.get(POSITION_IDS), POSITION_IDS, "int64", 2);

  const pastLayers = layerIndices(inputs, /^past_key_values\.(\d+)\.(key|value)$/);
  const presentLayers = layerIndices(outputs, /^present\.(\d+)\.(key|value)$/);
  if (pastLayers.length !== presentLayers.length) {
    throw new DecoderConventionError(
      `the model has ${pastLayers.length} past_key_values layer(s) but ${presentLayers.length} present layer(s); ` +
        "a decoder with a cache returns one present pair per past pair.",
    );
  }
  let kvHeads: number | null = null;
  let headDim: number | null = null;
  for (let l = 0; l < pastLayers.length; l++) {
    if (pastLayers[l] !== l || presentLayers[l] !== l) {
      throw new DecoderConventionError(`the cache layers are not numbered 0 … ${pastLayers.length - 1}.`);
    }
    for (const part of ["key", "value"] as const) {
      const past = expect(input.get(pastName(l, part)), pastName(l, part), "float32", 4);
      expect(output.get(presentName(l, part)), presentName(l, part), "float32", 4);
      if (typeof past.shape[1] === "number") kvHeads ??= past.shape[1];
      if (typeof past.shape[3] === "number") headDim ??= past.shape[3];
    }
  }
  const known = new Set([INPUT_IDS, ATTENTION_MASK, POSITION_IDS]);
  const extra = inputs.find((t) => !known.has(t.name) && !/^past_key_values\.\d+\.(key|value)$/.test(t.name));
  if (extra !== undefined) {
    throw new DecoderConventionError(
      `input "${extra.name}" is not part of the decoder convention (input_ids, attention_mask, position_ids, ` +
        "past_key_values.N.key/value); export the model without it.",
    );
  }
  const vocab = logits.shape[2];
  return {
    hasCache: pastLayers.length > 0,
    hasPositionIds,
    layers: pastLayers.length,
    kvHeads,
    headDim,
    vocabSize: typeof vocab === "number" && vocab > 0 ? vocab : null,
  };
}

/** Sorted distinct layer numbers of the tensors whose names match `pattern` (group 1), each needing key and value. */
function layerIndices(tensors: readonly DeclaredTensor[], pattern: RegExp): number[] {
  const parts = new Map<number, Set<string>>();
  for (const t of tensors) {
    const match = pattern.exec(t.name);
    if (match === null) continue;
    const layer = Number(match[1]);
    let set = parts.get(layer);
    if (set === undefined) parts.set(layer, (set = new Set()));
    set.add(match[2] as string);
  }
  for (const [layer, set] of parts) {
    if (set.size !== 2) {
      throw new DecoderConventionError(`layer ${layer} of the cache has a ${[...set][0]} but no partner tensor.`);
    }
  }
  return [...parts.keys()].sort((a, b) => a - b);
}
