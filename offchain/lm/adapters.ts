/**
 * The `Decoder` runtime (decoder.ts) behind the interfaces of generation and verification (generate.ts): the worker
 * generates through {@link stepping} (one KV-cache step per token), a verifier checks through {@link teacherForcing}
 * (one pass over prompt + claimed output).
 */
import type { Decoder } from "./decoder.js";
import type { StepDecoder, TeacherForcedDecoder } from "./generate.js";

/** A fresh generation: `start` feeds the prompt, each `next` one token; the logits are the last position's. */
export function stepping(decoder: Decoder): StepDecoder {
  let cache = decoder.emptyCache();
  const last = (rows: Float32Array[]) => rows[rows.length - 1]!;
  return {
    async start(prompt) {
      const result = await decoder.step(prompt, decoder.emptyCache());
      cache = result.cache;
      return last(result.logits);
    },
    async next(token) {
      const result = await decoder.step([token], cache);
      cache = result.cache;
      return last(result.logits);
    },
  };
}

/** One pass without cache: the logits at every position. */
export function teacherForcing(decoder: Decoder): TeacherForcedDecoder {
  return { logitsAll: (ids) => decoder.logits(ids) };
}
