/**
 * Text generation for requesters: turns a prompt into a generation request for a registered causal language model
 * (its tokenizer fetched by the registry's URI and checked against its sha256), sends it through `OpgClient`, and
 * reads the verified generation back as text. Everything a verifier checks is in the request and the posted token
 * ids; the text is only their decoding with the registered tokenizer.
 */
import { ethers } from "ethers";

import {
  checkGenerationRequest,
  decodeGenerationResult,
  encodeGenerationRequest,
  MAX_NEW_TOKENS,
  STOP_NAMES,
  type GenerationRequest,
  type StopReason,
} from "../lm/generation.js";
import { MAX_TEMPERATURE_MILLI } from "../lm/sampler.js";
import { LmTokenizer } from "../lm/tokenizer.js";
import type { IModelRegistry } from "../../typechain-types/index.js";
import type { InferenceRecord } from "./client.js";

/** `IModelRegistry.ModelKind.CAUSAL_LM`. */
const CAUSAL_LM = 1n;

// ------------------------------------------------------------------------------------------------ types

export interface GenerateOptions {
  /** Text (encoded with the model's tokenizer) or token ids. */
  prompt: string | readonly number[];
  /** Most new tokens (1 … 1,024). Default 64. */
  maxNewTokens?: number;
  /** 0 = greedy (the default); up to {@link MAX_TEMPERATURE_MILLI}/1000, in steps of 0.001. */
  temperature?: number;
  /** Sampling seed (public: it is part of the request). Default: a random 53-bit number. */
  seed?: bigint;
}

/** A language model as the registry records it, with its tokenizer loaded. */
export interface LanguageModelInfo {
  modelId: bigint;
  contextLength: number;
  eosTokenId: number;
  tokenizer: LmTokenizer;
}

/** The verified generation of a request. */
export interface GenerationOutcome {
  requestId: bigint;
  /** The generated text (without the end-of-sequence token). */
  text: string;
  /** Generated token ids as posted (an EOS stop ends with the EOS id). */
  tokens: number[];
  stop: StopReason;
  stopName: string;
  promptTokens: number;
  request: GenerationRequest;
  record: InferenceRecord;
}

/** The model is not a causal language model. */
export class NotALanguageModelError extends Error {
  override readonly name = "NotALanguageModelError";

  constructor(modelId: bigint) {
    super(
      `model ${modelId} is a tensor model, not a language model: use \`infer\`, or pick a CAUSAL_LM model (model:list)`,
    );
  }
}

/** The prompt or the options cannot make a request the model serves; nothing was sent or paid. */
export class GenerationInputError extends Error {
  override readonly name = "GenerationInputError";
}

/** The request's result is not a generation (an error result, or still pending). */
export class NoGenerationError extends Error {
  override readonly name = "NoGenerationError";
}

// ------------------------------------------------------------------------------------------------ tokenizers

/**
 * Where a registered tokenizer's bytes come from: `(uri, sha256)` → bytes whose sha256 is `sha256` (the source
 * checks it). In Node, `./tokenizerSource.ts` fetches by URI through the model store; the web app asks its server.
 */
export type TokenizerSource = (uri: string, sha256: string) => Promise<Uint8Array>;

/** Fetches registered tokenizers once (checked against their sha256) and keeps them by hash. */
export class TokenizerCache {
  readonly #source: TokenizerSource;
  readonly #loaded = new Map<string, Promise<LmTokenizer>>();

  constructor(source: TokenizerSource) {
    this.#source = source;
  }

  /**
   * The registered language model `modelId` with its tokenizer.
   * @throws {NotALanguageModelError} for a tensor model
   */
  async model(registry: IModelRegistry, modelId: bigint): Promise<LanguageModelInfo> {
    const model = await registry.getModel(modelId);
    if (BigInt(model.kind) !== CAUSAL_LM) throw new NotALanguageModelError(modelId);
    let tokenizer = this.#loaded.get(model.tokenizerHash);
    if (tokenizer === undefined) {
      tokenizer = this.#source(model.tokenizerUri, model.tokenizerHash).then((bytes) => LmTokenizer.load(bytes));
      tokenizer.catch(() => this.#loaded.delete(model.tokenizerHash));
      this.#loaded.set(model.tokenizerHash, tokenizer);
    }
    return {
      modelId,
      contextLength: Number(model.contextLength),
      eosTokenId: Number(model.eosTokenId),
      tokenizer: await tokenizer,
    };
  }
}

// ------------------------------------------------------------------------------------------------ requests

/**
 * The generation request for `options`, checked as the worker will check it (so a request that would only earn an
 * INPUT_SCHEMA error result is refused before it is paid for).
 * @throws {GenerationInputError} with what to change
 */
export function buildGenerationRequest(model: LanguageModelInfo, options: GenerateOptions): GenerationRequest {
  const prompt = typeof options.prompt === "string" ? model.tokenizer.encode(options.prompt) : [...options.prompt];
  const maxNewTokens = options.maxNewTokens ?? 64;
  if (!Number.isSafeInteger(maxNewTokens) || maxNewTokens < 1 || maxNewTokens > MAX_NEW_TOKENS) {
    throw new GenerationInputError(
      `--max-tokens must be a whole number from 1 to ${MAX_NEW_TOKENS}, got ${maxNewTokens}`,
    );
  }
  const temperature = options.temperature ?? 0;
  const temperatureMilli = Math.round(temperature * 1000);
  if (!Number.isFinite(temperature) || temperatureMilli < 0 || temperatureMilli > MAX_TEMPERATURE_MILLI) {
    throw new GenerationInputError(
      `--temperature must be from 0 (greedy) to ${MAX_TEMPERATURE_MILLI / 1000}, got ${options.temperature}`,
    );
  }
  const seed = options.seed ?? randomSeed();
  const request: GenerationRequest = { prompt, maxNewTokens, temperatureMilli, seed };
  const checked = checkGenerationRequest(encodeGenerationRequest(request), {
    contextLength: model.contextLength,
    eosTokenId: model.eosTokenId,
    vocabSize: model.tokenizer.vocabSize,
  });
  if ("problem" in checked) {
    const hint =
      prompt.length >= model.contextLength
        ? `; shorten the prompt below ${model.contextLength} tokens (prompt and output share the context)`
        : "";
    throw new GenerationInputError(`${checked.problem}${hint}`);
  }
  return request;
}

/**
 * The verified generation of a finalized request, decoded to text.
 * @throws {NoGenerationError} when the request is not Finalized (a rejected result is not a reply), has no result
 *   yet, or has an error result
 */
export function readGeneration(
  model: LanguageModelInfo,
  request: GenerationRequest,
  record: InferenceRecord,
): GenerationOutcome {
  if (record.status !== "Finalized") {
    const refunded = record.settlement?.kind === "refunded" ? " (the fee was refunded)" : "";
    throw new NoGenerationError(`request ${record.requestId} is ${record.status}: no verified generation${refunded}`);
  }
  return readPostedGeneration(model, request, record);
}

/**
 * The generation the worker posted, decoded to text, whatever became of it (an explorer shows a rejected one too).
 * @throws {NoGenerationError} when there is no result, or an error result
 */
export function readPostedGeneration(
  model: LanguageModelInfo,
  request: GenerationRequest,
  record: InferenceRecord,
): GenerationOutcome {
  const output = record.output;
  if (output === null) throw new NoGenerationError(`request ${record.requestId} has no result (${record.status})`);
  if (output.isError) {
    const detail = output.errorDetail === null ? "" : `: ${output.errorDetail}`;
    throw new NoGenerationError(`request ${record.requestId} has error result ${output.errorCode}${detail}`);
  }
  const generation = decodeGenerationResult(ethers.getBytes(output.bytes));
  if ("problem" in generation) {
    throw new NoGenerationError(
      `request ${record.requestId}: the posted output is not a generation (${generation.problem})`,
    );
  }
  const visible = generation.tokens.filter((t, i) => !(i === generation.tokens.length - 1 && t === model.eosTokenId));
  return {
    requestId: record.requestId,
    text: model.tokenizer.decode(visible),
    tokens: generation.tokens,
    stop: generation.stop,
    stopName: STOP_NAMES[generation.stop],
    promptTokens: request.prompt.length,
    request,
    record,
  };
}

/** A uniformly random 53-bit seed (Web Crypto: the same in Node and browsers). */
function randomSeed(): bigint {
  const words = crypto.getRandomValues(new Uint32Array(2));
  return (BigInt(words[0]!) << 21n) | BigInt(words[1]! >>> 11);
}
