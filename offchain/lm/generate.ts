/**
 * Generation and its verification by one teacher-forced pass (docs/PROTOCOL.md, "Text generation").
 *
 * The worker generates token by token with the KV cache and the protocol's sampler. A verifier does not generate
 * again: it runs the model once over prompt + claimed output (teacher forcing), and at every position checks that
 * the claimed token is the sampler's choice on its own logits within the model's tolerance (a near-tie within
 * {@link scoreSlack} is allowed, since the worker's logits may differ by the tolerance), and that the stop rule holds.
 */
import {
  StopReason,
  STOP_NAMES,
  stopReasonOf,
  type GenerationRequest,
  type GenerationResult,
  type LanguageModelLimits,
} from "./generation.js";
import { sampleToken, scoreGap, scoreSlack, type SamplingParams } from "./sampler.js";

/** A decoder with a KV cache, for generating: logits of the last position after each step. */
export interface StepDecoder {
  /** Feeds the prompt; returns the logits that predict the first new token. */
  start(prompt: readonly number[]): Promise<ArrayLike<number>>;
  /** Feeds one more token; returns the logits that predict the next one. */
  next(token: number): Promise<ArrayLike<number>>;
}

/** A decoder without cache, for verifying: the logits at every position of `ids` in one pass. */
export interface TeacherForcedDecoder {
  logitsAll(ids: readonly number[]): Promise<ArrayLike<number>[]>;
}

export interface ModelSampling {
  limits: LanguageModelLimits;
  /** Logit decimals (the model's `outputDecimals`). */
  decimals: number;
  /** Largest difference per logit between honest nodes, in 10^-decimals (the model's `tolerance`). */
  tolerance: bigint;
}

function samplingParams(requestId: bigint, request: GenerationRequest, model: ModelSampling): SamplingParams {
  return { requestId, seed: request.seed, temperatureMilli: request.temperatureMilli, decimals: model.decimals };
}

/** Generates with the protocol's sampler until EOS, `maxNewTokens` or the context is full. */
export async function generate(
  decoder: StepDecoder,
  requestId: bigint,
  request: GenerationRequest,
  model: ModelSampling,
): Promise<GenerationResult> {
  const params = samplingParams(requestId, request, model);
  const tokens: number[] = [];
  let logits = await decoder.start(request.prompt);
  for (;;) {
    const token = sampleToken(logits, tokens.length, params);
    tokens.push(token);
    const stop = stopReasonOf(tokens, request, model.limits);
    if (stop !== null) return { tokens, stop };
    logits = await decoder.next(token);
  }
}

export interface GenerationVerdict {
  agree: boolean;
  reason: string;
  /** The first generated position that failed (null when it agrees, or the stop rule failed). */
  position: number | null;
}

/** Checks a claimed generation with one teacher-forced pass. */
export async function verifyGeneration(
  decoder: TeacherForcedDecoder,
  requestId: bigint,
  request: GenerationRequest,
  claimed: GenerationResult,
  model: ModelSampling,
): Promise<GenerationVerdict> {
  const stop = stopReasonOf(claimed.tokens, request, model.limits);
  if (stop === null || stop !== claimed.stop) {
    const rule = stop === null ? "no stop rule ends the generation there" : `the stop reason is ${STOP_NAMES[stop]}`;
    return {
      agree: false,
      reason: `claimed stop ${STOP_NAMES[claimed.stop] ?? claimed.stop}, but ${rule}`,
      position: null,
    };
  }
  if (claimed.tokens.some((t) => !Number.isInteger(t) || t < 0 || t >= model.limits.vocabSize)) {
    return { agree: false, reason: "a claimed token is outside the vocabulary", position: null };
  }
  // Logits at index n - 1 + k predict generated token k: the pass needs prompt + all claimed tokens but the last.
  const ids = [...request.prompt, ...claimed.tokens.slice(0, -1)];
  const all = await decoder.logitsAll(ids);
  const params = samplingParams(requestId, request, model);
  const slack = scoreSlack(model.tolerance, request.temperatureMilli);
  const n = request.prompt.length;
  for (let k = 0; k < claimed.tokens.length; k++) {
    const token = claimed.tokens[k]!;
    const { best, gap } = scoreGap(all[n - 1 + k]!, k, params, token);
    if (gap > slack) {
      return {
        agree: false,
        reason: `position ${k}: claimed token ${token}, the sampler picks ${best} (score gap ${gap} > slack ${slack})`,
        position: k,
      };
    }
  }
  return {
    agree: true,
    reason: `${claimed.tokens.length} tokens are the sampler's choices within slack ${slack}; stop ${STOP_NAMES[stop]}`,
    position: null,
  };
}

export { StopReason };
