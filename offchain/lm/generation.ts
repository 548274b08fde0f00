/**
 * Generation requests and results of causal language models, in the canonical tensor encoding (so they are hashed,
 * posted and decoded like any other input and output):
 *
 *   request (the input bytes):  [ prompt int32 [1, n],  params int64 [3] = (maxNewTokens, temperatureMilli, seed) ]
 *   result (the output bytes):  [ tokens int32 [1, m],  stop uint8 [1] ]   stop: 0 eos, 1 length, 2 context
 *
 * Token ids are int32 (4 bytes each in calldata; vocabularies stay far below 2^31).
 *
 * {@link checkGenerationRequest} is the input check of a language model: its message becomes the detail of the
 * INPUT_SCHEMA error result a worker posts (and every verifier derives), exactly like a tensor model's input check.
 */
import { DType, decodeTensors, encodeTensors, TensorCodecError, type TensorData } from "../codec/tensor.js";
import { MAX_TEMPERATURE_MILLI } from "./sampler.js";

/** Most new tokens a request may ask for. */
export const MAX_NEW_TOKENS = 1_024;
/** Largest seed (int64, non-negative). */
export const MAX_SEED = 2n ** 63n - 1n;

export const StopReason = { EOS: 0, LENGTH: 1, CONTEXT: 2 } as const;
export type StopReason = (typeof StopReason)[keyof typeof StopReason];
export const STOP_NAMES: Record<StopReason, string> = { 0: "eos", 1: "length", 2: "context" };

export interface GenerationRequest {
  prompt: number[];
  maxNewTokens: number;
  /** 0: greedy; else thousandths (800 = 0.8), at most {@link MAX_TEMPERATURE_MILLI}. */
  temperatureMilli: number;
  seed: bigint;
}

export interface GenerationResult {
  tokens: number[];
  stop: StopReason;
}

/** What a language model accepts: its registered context length, end-of-sequence token and vocabulary size. */
export interface LanguageModelLimits {
  contextLength: number;
  eosTokenId: number;
  vocabSize: number;
}

export function encodeGenerationRequest(request: GenerationRequest): Uint8Array {
  return encodeTensors([
    { dtype: DType.INT32, decimals: 0, shape: [1, request.prompt.length], data: request.prompt.map(BigInt) },
    {
      dtype: DType.INT64,
      decimals: 0,
      shape: [3],
      data: [BigInt(request.maxNewTokens), BigInt(request.temperatureMilli), request.seed],
    },
  ]);
}

/**
 * Decodes and checks a generation request against the model.
 * @returns the request, or the reason it is not one this model can serve (the INPUT_SCHEMA detail)
 * @throws {TensorCodecError} when the bytes are not a canonical encoding (an INPUT_DECODE error result)
 */
export function checkGenerationRequest(
  bytes: Uint8Array,
  limits: LanguageModelLimits,
): { request: GenerationRequest } | { problem: string } {
  const tensors = decodeTensors(bytes);
  const problem = (text: string) => ({ problem: text });
  if (tensors.length !== 2)
    return problem(`a generation request has 2 tensors (prompt, params), got ${tensors.length}`);
  const [prompt, params] = tensors as [TensorData, TensorData];
  if (prompt.dtype !== DType.INT32 || prompt.shape.length !== 2 || prompt.shape[0] !== 1) {
    return problem("the prompt must be int32 [1, n]");
  }
  if (params.dtype !== DType.INT64 || params.shape.length !== 1 || params.shape[0] !== 3) {
    return problem("params must be int64 [3] (maxNewTokens, temperatureMilli, seed)");
  }
  const ids = prompt.data as bigint[];
  if (ids.length === 0) return problem("the prompt is empty");
  if (ids.length >= limits.contextLength) {
    return problem(`the prompt has ${ids.length} tokens, the context holds ${limits.contextLength} (prompt + output)`);
  }
  const outside = ids.findIndex((id) => id < 0n || id >= BigInt(limits.vocabSize));
  if (outside >= 0) {
    return problem(`prompt token ${outside} is id ${ids[outside]}, outside the vocabulary 0..${limits.vocabSize - 1}`);
  }
  const [maxNewTokens, temperature, seed] = params.data as [bigint, bigint, bigint];
  if (maxNewTokens < 1n || maxNewTokens > BigInt(MAX_NEW_TOKENS)) {
    return problem(`maxNewTokens is ${maxNewTokens}, allowed 1..${MAX_NEW_TOKENS}`);
  }
  if (temperature < 0n || temperature > BigInt(MAX_TEMPERATURE_MILLI)) {
    return problem(`temperatureMilli is ${temperature}, allowed 0..${MAX_TEMPERATURE_MILLI}`);
  }
  if (seed < 0n) return problem(`the seed is ${seed}, allowed 0..${MAX_SEED}`);
  return {
    request: {
      prompt: ids.map(Number),
      maxNewTokens: Number(maxNewTokens),
      temperatureMilli: Number(temperature),
      seed,
    },
  };
}

export function encodeGenerationResult(result: GenerationResult): Uint8Array {
  return encodeTensors([
    { dtype: DType.INT32, decimals: 0, shape: [1, result.tokens.length], data: result.tokens.map(BigInt) },
    { dtype: DType.UINT8, decimals: 0, shape: [1], data: [BigInt(result.stop)] },
  ]);
}

/** The generation a worker posted, or why the bytes are not one. */
export function decodeGenerationResult(bytes: Uint8Array): GenerationResult | { problem: string } {
  let tensors: TensorData[];
  try {
    tensors = decodeTensors(bytes);
  } catch (error) {
    if (error instanceof TensorCodecError) return { problem: `not a canonical encoding (${error.code})` };
    throw error;
  }
  const [tokens, stop] = tensors;
  if (tensors.length !== 2 || tokens === undefined || stop === undefined) return { problem: "not 2 tensors" };
  if (tokens.dtype !== DType.INT32 || tokens.shape.length !== 2 || tokens.shape[0] !== 1) {
    return { problem: "tokens must be int32 [1, m]" };
  }
  if (stop.dtype !== DType.UINT8 || stop.shape.length !== 1 || stop.shape[0] !== 1) {
    return { problem: "stop must be uint8 [1]" };
  }
  const reason = Number((stop.data as bigint[])[0]);
  if (!(reason in STOP_NAMES)) return { problem: `stop reason ${reason} is not 0 (eos), 1 (length) or 2 (context)` };
  return { tokens: (tokens.data as bigint[]).map(Number), stop: reason as StopReason };
}

/** The stop rule: why a generation of `tokens` (all but possibly the last not EOS) ends where it does, or null. */
export function stopReasonOf(
  tokens: readonly number[],
  request: GenerationRequest,
  limits: LanguageModelLimits,
): StopReason | null {
  if (tokens.length === 0 || tokens.length > request.maxNewTokens) return null;
  if (request.prompt.length + tokens.length > limits.contextLength) return null;
  const eosAt = tokens.indexOf(limits.eosTokenId);
  if (eosAt >= 0) return eosAt === tokens.length - 1 ? StopReason.EOS : null;
  if (tokens.length === request.maxNewTokens) return StopReason.LENGTH;
  if (request.prompt.length + tokens.length === limits.contextLength) return StopReason.CONTEXT;
  return null;
}
