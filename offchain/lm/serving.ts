/**
 * Serving a registered causal language model on a node: the worker's generation and the verifier's teacher-forced
 * check of a posted generation, with the same verifiable error results as tensor models (docs/PROTOCOL.md, "Text
 * generation"). The model and its tokenizer come from the node's {@link ModelStore}, each checked against its
 * registered sha256; the registered context length and end-of-sequence token override the files' own.
 *
 * Both sides derive an error result from the same pure checks, in the same order: the model cannot be served
 * (MODEL_LOAD), the input could not be fetched (INPUT_FETCH), the input does not decode (INPUT_DECODE) or is not a
 * generation request this model can serve (INPUT_SCHEMA, with its detail: prompt longer than the context, a token
 * outside the vocabulary, max tokens outside bounds, or a generation that could exceed the hub's output limit).
 */
import { TensorCodecError } from "../codec/tensor.js";
import { decodeErrorResult, encodeErrorResult, type ErrorCode } from "../model/errorResult.js";
import { defaultSessionOptions, type InferenceOutcome } from "../model/runtime.js";
import type { ModelStore } from "../model/store.js";
import { compareOutputs } from "../model/tolerance.js";
import { stepping, teacherForcing } from "./adapters.js";
import { Decoder, DecoderLoadError } from "./decoder.js";
import { generate, verifyGeneration, type ModelSampling } from "./generate.js";
import {
  checkGenerationRequest,
  decodeGenerationResult,
  encodeGenerationResult,
  type GenerationRequest,
} from "./generation.js";

// ------------------------------------------------------------------------------------------------ types

/** The registry fields of a CAUSAL_LM model a node needs (a subset of `IModelRegistry.Model`). */
export interface LanguageModelRecord {
  uri: string;
  contentHash: string;
  tokenizerUri: string;
  tokenizerHash: string;
  contextLength: bigint | number;
  eosTokenId: bigint | number;
  outputDecimals: bigint | number;
  tolerance: bigint;
}

/** What one request brings: its id, its input bytes (null when they could not be fetched) and why not. */
export interface GenerationJob {
  requestId: bigint;
  model: LanguageModelRecord;
  input: Uint8Array | null;
  inputProblem: string | null;
}

export interface ServingLimits {
  /** The hub's `maxOutputBytes`: a request whose generation could be larger is refused up front (INPUT_SCHEMA). */
  maxOutputBytes: bigint;
}

export interface GenerationCheck {
  agree: boolean;
  reason: string;
}

export interface LanguageModelHostOptions {
  /** Most decoders kept open; the least recently used is closed beyond it. Default 2. */
  maxModels?: number;
  /** Intra-op threads of each session (default 1, like the tensor runtime: results repeat run to run). */
  intraOpThreads?: number;
}

// ------------------------------------------------------------------------------------------------ host

/** Loads registered language models from the store once and keeps the most recent ones open. */
export class LanguageModelHost {
  readonly #store: ModelStore;
  readonly #maxModels: number;
  readonly #intraOpThreads: number;
  readonly #open = new Map<string, Promise<Decoder>>();

  constructor(store: ModelStore, options: LanguageModelHostOptions = {}) {
    this.#store = store;
    this.#maxModels = options.maxModels ?? 2;
    this.#intraOpThreads = options.intraOpThreads ?? 1;
  }

  /**
   * The decoder of `model`, loaded on first use.
   * @throws {DecoderLoadError} when the files cannot be served as a decoder (a MODEL_LOAD error result)
   * @throws {ModelStoreError} when a file cannot be fetched or its hash differs (the node declines or retries)
   */
  async decoder(model: LanguageModelRecord): Promise<Decoder> {
    const key = `${model.contentHash}:${model.tokenizerHash}:${model.contextLength}:${model.eosTokenId}`;
    let loading = this.#open.get(key);
    if (loading !== undefined) {
      this.#open.delete(key); // re-inserted below: most recently used last
    } else {
      loading = this.#load(model);
      loading.catch(() => this.#open.delete(key));
    }
    this.#open.set(key, loading);
    while (this.#open.size > this.#maxModels) {
      const [oldest, evicted] = this.#open.entries().next().value as [string, Promise<Decoder>];
      this.#open.delete(oldest);
      void evicted.then((d) => d.close()).catch(() => undefined);
    }
    return loading;
  }

  async #load(model: LanguageModelRecord): Promise<Decoder> {
    const [onnx, tokenizer] = await Promise.all([
      this.#store.get(model.uri, model.contentHash),
      this.#store.get(model.tokenizerUri, model.tokenizerHash),
    ]);
    return Decoder.load({
      model: onnx.bytes,
      tokenizer: tokenizer.bytes,
      contextLength: Number(model.contextLength),
      eosTokenId: Number(model.eosTokenId),
      sessionOptions: { ...defaultSessionOptions(), intraOpNumThreads: this.#intraOpThreads },
    });
  }

  /** Closes every open decoder. */
  async close(): Promise<void> {
    const open = [...this.#open.values()];
    this.#open.clear();
    await Promise.all(open.map((d) => d.then((x) => x.close()).catch(() => undefined)));
  }
}

// ------------------------------------------------------------------------------------------------ serving

type Prepared =
  | { kind: "error"; code: ErrorCode; detail: string }
  | { kind: "ready"; decoder: Decoder; request: GenerationRequest; sampling: ModelSampling };

/** The checks both sides run before any model pass; every outcome is a pure function of the request and model. */
async function prepare(job: GenerationJob, host: LanguageModelHost, limits: ServingLimits): Promise<Prepared> {
  let decoder: Decoder;
  try {
    decoder = await host.decoder(job.model);
  } catch (error) {
    if (error instanceof DecoderLoadError) return { kind: "error", code: "MODEL_LOAD", detail: error.message };
    throw error;
  }
  if (job.input === null) return { kind: "error", code: "INPUT_FETCH", detail: job.inputProblem ?? "unavailable" };
  const sampling: ModelSampling = {
    limits: {
      contextLength: Number(job.model.contextLength),
      eosTokenId: Number(job.model.eosTokenId),
      vocabSize: decoder.vocabSize,
    },
    decimals: Number(job.model.outputDecimals),
    tolerance: job.model.tolerance,
  };
  let checked;
  try {
    checked = checkGenerationRequest(job.input, sampling.limits);
  } catch (error) {
    if (error instanceof TensorCodecError) {
      return { kind: "error", code: "INPUT_DECODE", detail: `${error.code}: ${error.message}` };
    }
    throw error;
  }
  if ("problem" in checked) return { kind: "error", code: "INPUT_SCHEMA", detail: checked.problem };
  const { request } = checked;
  const longest = Math.min(request.maxNewTokens, sampling.limits.contextLength - request.prompt.length);
  const bound = generationBytes(longest);
  if (BigInt(bound) > limits.maxOutputBytes) {
    const fits = largestGeneration(limits.maxOutputBytes);
    return {
      kind: "error",
      code: "INPUT_SCHEMA",
      detail: `up to ${longest} new tokens could take ${bound} bytes, above the hub's ${limits.maxOutputBytes}: ask for at most ${fits}`,
    };
  }
  return { kind: "ready", decoder, request, sampling };
}

/** The worker's side: generates with the KV cache and the protocol's sampler, or derives the error result. */
export async function executeGeneration(
  job: GenerationJob,
  host: LanguageModelHost,
  limits: ServingLimits,
): Promise<InferenceOutcome> {
  const prepared = await prepare(job, host, limits);
  if (prepared.kind === "error") {
    return {
      kind: "error",
      code: prepared.code,
      detail: prepared.detail,
      output: encodeErrorResult(prepared.code, prepared.detail),
    };
  }
  const result = await generate(stepping(prepared.decoder), job.requestId, prepared.request, prepared.sampling);
  return { kind: "ok", output: encodeGenerationResult(result), tensors: [] };
}

/**
 * A verifier's or juror's side: checks the posted bytes by one teacher-forced pass (never by generating again), or,
 * when the request has an error result, compares the posted bytes with it.
 */
export async function checkPostedGeneration(
  job: GenerationJob,
  host: LanguageModelHost,
  limits: ServingLimits,
  posted: Uint8Array,
): Promise<GenerationCheck> {
  const prepared = await prepare(job, host, limits);
  if (prepared.kind === "error") {
    return compareOutputs(encodeErrorResult(prepared.code, prepared.detail), posted, 0n);
  }
  const postedError = decodeErrorResult(posted);
  if (postedError !== null) {
    return { agree: false, reason: `posted error result ${postedError}, but the request is a valid generation` };
  }
  const claimed = decodeGenerationResult(posted);
  if ("problem" in claimed)
    return { agree: false, reason: `the posted output is not a generation: ${claimed.problem}` };
  const verdict = await verifyGeneration(
    teacherForcing(prepared.decoder),
    job.requestId,
    prepared.request,
    claimed,
    prepared.sampling,
  );
  return { agree: verdict.agree, reason: verdict.reason };
}

/** Size of the canonical encoding of a generation of `tokens` tokens. */
export function generationBytes(tokens: number): number {
  return encodeGenerationResult({ tokens: new Array<number>(tokens).fill(0), stop: 0 }).length;
}

/** Most new tokens whose generation fits in `maxOutputBytes`. */
export function largestGeneration(maxOutputBytes: bigint): number {
  const perToken = generationBytes(1) - generationBytes(0);
  return Math.max(0, Math.floor((Number(maxOutputBytes) - generationBytes(0)) / perToken));
}
