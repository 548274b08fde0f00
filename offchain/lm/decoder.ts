/**
 * Runs a causal language model — an ONNX decoder in the Optimum I/O convention (`./convention.ts`) plus its
 * `tokenizer.json` — with onnxruntime-node. The same class serves the model trained here (`models/lm/`), the GPT-2
 * layout of `./gpt2.ts`, and decoders exported by `optimum-cli export onnx` (GPT-2, SmolLM, Llama, …).
 *
 * - {@link Decoder.logits}: one pass over a whole sequence, no cache (what a verifier's teacher-forced pass needs).
 * - {@link Decoder.step}: extends a {@link KvCache} by some tokens and returns their logits (what a worker's
 *   generation loop needs). A model exported without a cache still works: its "cache" keeps the token ids and each
 *   step re-runs the whole sequence.
 *
 * Both return one `Float32Array` of `vocabSize` logits per input position (views of onnxruntime's output). Batch
 * size is 1; positions are `0 … n−1` (no padding). The session runs single-threaded by default, as the tensor
 * runtime does (`offchain/model/runtime.ts`), so float results repeat run to run.
 */
import ort from "onnxruntime-node";
import type { InferenceSession, Tensor as OrtTensor } from "onnxruntime-node";

import { defaultSessionOptions } from "../model/runtime.js";
import { inspectOnnx, type DecoderInspection } from "../model/inspect.js";
import {
  ATTENTION_MASK,
  DecoderConventionError,
  decoderSignature,
  type DecoderSignature,
  INPUT_IDS,
  LOGITS,
  pastName,
  POSITION_IDS,
  presentName,
} from "./convention.js";
import { LmTokenizer } from "./tokenizer.js";

// ------------------------------------------------------------------------------------------------ types

export interface DecoderLoadOptions {
  /** The ONNX file's bytes. */
  model: Uint8Array;
  /** `tokenizer.json` (text, bytes or parsed). */
  tokenizer: string | Uint8Array | object;
  /** End-of-sequence token id; default the tokenizer's (see `LmTokenizer`). */
  eosTokenId?: number;
  /** Context length when the model file does not declare it (or to serve less than it declares). */
  contextLength?: number;
  /** onnxruntime session options; default {@link defaultSessionOptions} (CPU, one thread). */
  sessionOptions?: InferenceSession.SessionOptions;
}

/**
 * What the model has seen so far. Immutable: {@link Decoder.step} returns a new cache and leaves this one valid,
 * so a caller can branch from any point.
 */
export interface KvCache {
  /** Tokens covered. */
  readonly length: number;
  /** The token ids covered (a model without a cache recomputes from them). */
  readonly ids: readonly number[];
  /** `present` tensors by past-input name (empty for a model without a cache). */
  readonly tensors: Readonly<Record<string, OrtTensor>>;
}

/** Logits of a pass: one row of `vocabSize` floats per input position. */
export interface StepResult {
  logits: Float32Array[];
  cache: KvCache;
}

/** The files cannot be served as a causal language model; the message says why and what to do. */
export class DecoderLoadError extends Error {
  override readonly name = "DecoderLoadError";
}

/** A request the model cannot take (too long, token out of the vocabulary, empty); nothing was run. */
export class DecoderInputError extends Error {
  override readonly name = "DecoderInputError";

  constructor(
    readonly reason: "EMPTY" | "CONTEXT_EXCEEDED" | "TOKEN_OUT_OF_VOCABULARY",
    message: string,
  ) {
    super(message);
  }
}

// ------------------------------------------------------------------------------------------------ decoder

export class Decoder {
  readonly tokenizer: LmTokenizer;
  readonly signature: DecoderSignature;
  /** What `model:inspect` reads from the file. */
  readonly inspection: DecoderInspection;
  readonly vocabSize: number;
  /** Most tokens (prompt + generated) a sequence may have. */
  readonly contextLength: number;
  readonly eosTokenId: number;
  readonly #session: InferenceSession;
  /** Shape of an empty past tensor `[1, kvHeads, 0, headDim]`. */
  readonly #emptyPast: readonly number[];

  private constructor(
    session: InferenceSession,
    tokenizer: LmTokenizer,
    signature: DecoderSignature,
    inspection: DecoderInspection,
    sizes: { vocabSize: number; contextLength: number; eosTokenId: number },
  ) {
    this.#session = session;
    this.tokenizer = tokenizer;
    this.signature = signature;
    this.inspection = inspection;
    this.vocabSize = sizes.vocabSize;
    this.contextLength = sizes.contextLength;
    this.eosTokenId = sizes.eosTokenId;
    this.#emptyPast = [1, signature.kvHeads ?? 0, 0, signature.headDim ?? 0];
  }

  /**
   * Opens the model.
   * @throws {DecoderLoadError} when the file is not a decoder in the convention, onnxruntime rejects it, the
   *   context length is unknown, or the tokenizer does not fit the model's vocabulary.
   * @throws {TokenizerError} when the tokenizer file cannot be loaded.
   */
  static async load(options: DecoderLoadOptions): Promise<Decoder> {
    const info = inspectOnnx(options.model);
    const inspection = info.decoder;
    if (inspection === null) {
      throw new DecoderLoadError(
        "the model has no input_ids input and logits output: it is not a causal language model in the Optimum " +
          "convention (export it with optimum-cli export onnx --task text-generation-with-past).",
      );
    }
    if (inspection.problem !== null) throw new DecoderLoadError(inspection.problem);
    const tokenizer = LmTokenizer.load(options.tokenizer);
    const contextLength = options.contextLength ?? inspection.contextLength;
    if (contextLength === null || !Number.isSafeInteger(contextLength) || contextLength < 1) {
      throw new DecoderLoadError(
        "the model file does not declare its context length (no opg.context_length metadata or position table): " +
          "pass contextLength (the model's max_position_embeddings).",
      );
    }
    if (inspection.contextLength !== null && contextLength > inspection.contextLength) {
      throw new DecoderLoadError(
        `contextLength ${contextLength} exceeds the ${inspection.contextLength} positions the model declares.`,
      );
    }
    let session: InferenceSession;
    try {
      session = await ort.InferenceSession.create(options.model, options.sessionOptions ?? defaultSessionOptions());
    } catch (error) {
      throw new DecoderLoadError(`onnxruntime rejected the model (${(error as Error).message}).`, { cause: error });
    }
    try {
      const declared = (metadata: readonly InferenceSession.ValueMetadata[]) =>
        metadata.map((m) => ({
          name: m.name,
          elementType: m.isTensor ? m.type : "non-tensor",
          shape: m.isTensor ? m.shape : [],
        }));
      const signature = decoderSignature(declared(session.inputMetadata), declared(session.outputMetadata));
      if (signature.hasCache && (signature.kvHeads === null || signature.headDim === null)) {
        throw new DecoderLoadError(
          "the past_key_values inputs do not declare their head count and head size as numbers; re-export the model.",
        );
      }
      const vocabSize = signature.vocabSize ?? inspection.vocabSize;
      if (vocabSize === null) {
        throw new DecoderLoadError("the model declares no vocabulary size (logits' last dimension is symbolic).");
      }
      if (tokenizer.vocabSize > vocabSize) {
        throw new DecoderLoadError(
          `the tokenizer has ${tokenizer.vocabSize} tokens but the model only ${vocabSize} logits: they do not belong ` +
            "together.",
        );
      }
      const eosTokenId = options.eosTokenId ?? tokenizer.eosTokenId;
      if (!Number.isSafeInteger(eosTokenId) || eosTokenId < 0 || eosTokenId >= vocabSize) {
        throw new DecoderLoadError(`eosTokenId ${eosTokenId} is outside the vocabulary 0 … ${vocabSize - 1}.`);
      }
      return new Decoder(session, tokenizer, signature, inspection, { vocabSize, contextLength, eosTokenId });
    } catch (error) {
      await session.release();
      if (error instanceof DecoderConventionError) throw new DecoderLoadError(error.message, { cause: error });
      throw error;
    }
  }

  /** Whether the model takes a key/value cache (otherwise {@link step} recomputes the sequence). */
  get hasCache(): boolean {
    return this.signature.hasCache;
  }

  /** An empty cache (no tokens seen). */
  emptyCache(): KvCache {
    const tensors: Record<string, OrtTensor> = {};
    if (this.hasCache) {
      for (let l = 0; l < this.signature.layers; l++) {
        for (const part of ["key", "value"] as const) {
          tensors[pastName(l, part)] = new ort.Tensor("float32", new Float32Array(0), [...this.#emptyPast]);
        }
      }
    }
    return { length: 0, ids: [], tensors };
  }

  /**
   * Logits of every position of `ids` in one pass from an empty cache.
   * @throws {DecoderInputError} for an empty sequence, one longer than the context, or an id outside the vocabulary.
   */
  async logits(ids: readonly number[]): Promise<Float32Array[]> {
    return (await this.step(ids, this.emptyCache())).logits;
  }

  /**
   * Runs `ids` after the tokens of `cache` (default: none) and returns their logits and the extended cache.
   * @throws {DecoderInputError} for no new tokens, a total longer than the context, or an id outside the vocabulary.
   */
  async step(ids: readonly number[], cache: KvCache = this.emptyCache()): Promise<StepResult> {
    this.#checkInput(ids, cache.length);
    const all = [...cache.ids, ...ids];
    if (!this.hasCache) {
      const rows = await this.#run({
        [INPUT_IDS]: int64([...all], [1, all.length]),
        [ATTENTION_MASK]: int64(
          all.map(() => 1),
          [1, all.length],
        ),
      });
      return { logits: rows.logits.slice(cache.length), cache: { length: all.length, ids: all, tensors: {} } };
    }
    const past = cache.length;
    const feeds: Record<string, OrtTensor> = {
      [INPUT_IDS]: int64([...ids], [1, ids.length]),
      [ATTENTION_MASK]: int64(
        all.map(() => 1),
        [1, all.length],
      ),
      ...cache.tensors,
    };
    if (this.signature.hasPositionIds) {
      feeds[POSITION_IDS] = int64(
        ids.map((_, i) => past + i),
        [1, ids.length],
      );
    }
    const { logits, results } = await this.#run(feeds);
    const tensors: Record<string, OrtTensor> = {};
    for (let l = 0; l < this.signature.layers; l++) {
      for (const part of ["key", "value"] as const) {
        const present = results[presentName(l, part)];
        if (present === undefined) throw new DecoderLoadError(`the model returned no ${presentName(l, part)}.`);
        tensors[pastName(l, part)] = present as OrtTensor;
      }
    }
    return { logits, cache: { length: all.length, ids: all, tensors } };
  }

  /** Releases the onnxruntime session. */
  async close(): Promise<void> {
    await this.#session.release();
  }

  async #run(
    feeds: Record<string, OrtTensor>,
  ): Promise<{ logits: Float32Array[]; results: InferenceSession.ReturnType }> {
    const results = await this.#session.run(feeds);
    const output = results[LOGITS];
    if (output === undefined || output.type !== "float32" || output.dims.length !== 3) {
      throw new DecoderLoadError("the model returned no float32 [1, seq, vocab] logits.");
    }
    const [, seq, vocab] = output.dims as [number, number, number];
    const data = output.data as Float32Array;
    const logits = Array.from({ length: seq }, (_, i) => data.subarray(i * vocab, (i + 1) * vocab));
    return { logits, results };
  }

  #checkInput(ids: readonly number[], past: number): void {
    if (ids.length === 0) throw new DecoderInputError("EMPTY", "no tokens to run: pass at least one token id.");
    if (past + ids.length > this.contextLength) {
      throw new DecoderInputError(
        "CONTEXT_EXCEEDED",
        `${past} cached + ${ids.length} new tokens exceed the context length ${this.contextLength}.`,
      );
    }
    const bad = ids.findIndex((id) => !Number.isSafeInteger(id) || id < 0 || id >= this.vocabSize);
    if (bad >= 0) {
      throw new DecoderInputError(
        "TOKEN_OUT_OF_VOCABULARY",
        `token ${bad} is ${ids[bad]}, outside the vocabulary 0 … ${this.vocabSize - 1}.`,
      );
    }
  }
}

function int64(values: number[], dims: number[]): OrtTensor {
  return new ort.Tensor(
    "int64",
    BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );
}
