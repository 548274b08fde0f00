/**
 * Language-model benchmark (issue 10, point 7) on the shipped model `models/lm/` (brown-lm), onnxruntime-node on
 * the CPU, no chain:
 *
 *   1. worker generation speed: tokens/s of `generate` with the KV cache (`stepping`), 1 intra-op thread;
 *   2. verification time / generation time (`verifyGeneration`, one teacher-forced pass) at 16, 64 and 255 new
 *      tokens (255: a 1-token prompt fills the 256-token context);
 *   3. false disputes: honest generations on 1 intra-op thread verified on 2 and the reverse, greedy and T 0.8;
 *   4. detection: (a) one substituted token, (b) generations by a different model — the same weights rounded to
 *      float16, and perturbed by 1 % Gaussian noise (`offchain/lm/variants.ts`) — verified by the real model.
 *
 *   npm run bench:llm
 *   OPG_BENCH_LLM_SCALE=0.1 npx tsx scripts/bench/llm.ts     fewer generations in parts 3 and 4 (a quick check)
 *
 * The sampler uses logit decimals 4 and tolerance 10 (`SAMPLING` below, the values of the tests). Prompts are
 * sentence beginnings of the Brown corpus' held-out texts; seeds and request ids come from a fixed seed, so a run
 * repeats the same requests. Timings are medians of several runs of one request. Figures only: nothing fails on a
 * slow machine.
 */
import { createRequire } from "node:module";
import os from "node:os";
import { performance } from "node:perf_hooks";

import { ethers } from "ethers";

import { stepping, teacherForcing } from "../../offchain/lm/adapters.js";
import { loadBrownCorpus } from "../../offchain/lm/corpus.js";
import { Decoder } from "../../offchain/lm/decoder.js";
import {
  generate,
  verifyGeneration,
  type GenerationVerdict,
  type ModelSampling,
  type StepDecoder,
  type TeacherForcedDecoder,
} from "../../offchain/lm/generate.js";
import {
  STOP_NAMES,
  stopReasonOf,
  type GenerationRequest,
  type GenerationResult,
  type StopReason,
} from "../../offchain/lm/generation.js";
import {
  argmax,
  canonicalLogits,
  gumbelNoise,
  noiseWord,
  positionScores,
  scores,
  scoreSlack,
  uniforms,
} from "../../offchain/lm/sampler.js";
import { readShippedLanguageModel } from "../../offchain/lm/shipped.js";
import { float16Variant, noisyVariant, type ModelVariant } from "../../offchain/lm/variants.js";
import { defaultSessionOptions } from "../../offchain/model/runtime.js";
import { SeededRandom } from "../../offchain/zoo/random.js";

// ------------------------------------------------------------------------------------------------ settings

/** Logit decimals and tolerance of the sampler (as in test/integration/lm.generation.test.ts). */
const DECIMALS = 4;
const TOLERANCE = 10n;
const SCALE = Number(process.env.OPG_BENCH_LLM_SCALE ?? "1");
if (!Number.isFinite(SCALE) || SCALE <= 0) throw new Error(`OPG_BENCH_LLM_SCALE is ${SCALE}; use a number > 0.`);
const scaled = (n: number): number => Math.max(1, Math.round(n * SCALE));

const RUNS_GREEDY = 7;
const RUNS_SAMPLED = 3;
const SPEED_TOKENS = 128;
const RATIO_LENGTHS = [16, 64] as const;
/** Honest generations per (generation threads → verification threads) cell of part 3. */
const HONEST = { greedy: scaled(375), sampled: scaled(125) };
const HONEST_TOKENS = { greedy: 32, sampled: 16 };
const SUBSTITUTIONS = { greedy: scaled(200), sampled: scaled(100) };
const VARIANT_GENERATIONS = { greedy: scaled(100), sampled: scaled(50) };
const VARIANT_TOKENS = 64;
const TEMPERATURES = [0, 800] as const;
const SPEED_PROMPT = "The jury said that the city";

interface VariantSummary {
  temperatureMilli: number;
  count: number;
  differ: number;
  detectedDiffering: number;
  acceptedDiffering: number;
  needed: number[];
}

/** The goal figures, filled by the parts and printed at the end. */
const summary = {
  speed: {} as Record<number, number>,
  ratio64: {} as Record<number, number>,
  ratioModel64: {} as Record<number, number>,
  honest: { total: 0, disputes: 0, maxUnits: 0n },
  substitution: { all: 0, detected: 0, atPosition: 0 },
  variants: [] as { name: string; rows: VariantSummary[] }[],
};

const out = (line = ""): void => console.log(line);
const progress = (line: string): void => void process.stderr.write(`  … ${line}\n`);

// ------------------------------------------------------------------------------------------------ set-up

const startedAt = performance.now();
const shipped = await readShippedLanguageModel();
const sessionOptions = (threads: number) => ({ ...defaultSessionOptions(), intraOpNumThreads: threads });
const load = (model: Uint8Array, threads: number) =>
  Decoder.load({ model, tokenizer: shipped.tokenizer, sessionOptions: sessionOptions(threads) });
const decoders: Record<1 | 2, Decoder> = { 1: await load(shipped.model, 1), 2: await load(shipped.model, 2) };
const real = decoders[1];
const SAMPLING: ModelSampling = {
  limits: { contextLength: real.contextLength, eosTokenId: real.eosTokenId, vocabSize: real.vocabSize },
  decimals: DECIMALS,
  tolerance: TOLERANCE,
};
const EOS = real.eosTokenId;

/** Sentence beginnings of the held-out texts (never seen in training). */
const sentences = loadBrownCorpus()
  .heldOut.flatMap((t) => t.text.split(/(?<=[.!?]) +/))
  .filter((s) => /^[A-Z]/.test(s) && s.split(" ").length >= 6);
const rng = new SeededRandom(20_251_010);

const usedPrompts = new Set<string>();

/**
 * A prompt of the first 1–12 words of a random held-out sentence, never the same twice in a run (a greedy
 * generation depends on the prompt alone, so a repeated prompt would repeat a generation).
 */
function randomPrompt(): number[] {
  for (;;) {
    const words = sentences[rng.nextInt(sentences.length)]!.split(" ");
    const ids = real.tokenizer.encode(words.slice(0, 1 + rng.nextInt(Math.min(12, words.length))).join(" "));
    const key = ids.join(",");
    if (usedPrompts.has(key)) continue;
    usedPrompts.add(key);
    return ids;
  }
}
const randomSeed = (): bigint => BigInt(rng.nextUint32());
let nextRequestId = 1_000n;
const freshRequestId = (): bigint => nextRequestId++;

const slackOf = (temperatureMilli: number): bigint => scoreSlack(TOLERANCE, temperatureMilli);
const temperatureName = (t: number): string => (t === 0 ? "greedy (T 0)" : `T ${(t / 1000).toFixed(1)}`);
const ms = (x: number): string => x.toFixed(1);
const pct = (a: number, b: number): string => (b === 0 ? "–" : `${((100 * a) / b).toFixed(1)} %`);
const int = (x: number): string => x.toLocaleString("en-US");

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Prints a table: a header row, then rows, columns right-aligned (the first left-aligned). */
function table(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: readonly string[]) =>
    "  " + cells.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join("  ");
  out(line(header));
  out("  " + widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) out(line(r));
}

// ------------------------------------------------------------------------------------------------ timed decoders

interface Clock {
  modelMs: number;
}

/** `stepping(decoder)` that adds the time spent in the model (onnxruntime) to `clock`. */
function timedStepping(decoder: Decoder, clock: Clock): StepDecoder {
  const inner = stepping(decoder);
  const timed =
    <A>(f: (a: A) => Promise<ArrayLike<number>>) =>
    async (a: A) => {
      const t0 = performance.now();
      const logits = await f(a);
      clock.modelMs += performance.now() - t0;
      return logits;
    };
  return { start: timed((p: readonly number[]) => inner.start(p)), next: timed((t: number) => inner.next(t)) };
}

function timedTeacherForcing(decoder: Decoder, clock: Clock): TeacherForcedDecoder {
  const inner = teacherForcing(decoder);
  return {
    async logitsAll(ids) {
      const t0 = performance.now();
      const rows = await inner.logitsAll(ids);
      clock.modelMs += performance.now() - t0;
      return rows;
    },
  };
}

/** `stepping(decoder)` that keeps a copy of every logits row it returns (the worker's logits). */
function recordingStepping(decoder: Decoder, rows: Float32Array[]): StepDecoder {
  const inner = stepping(decoder);
  const keep = (logits: ArrayLike<number>) => {
    rows.push(Float32Array.from(logits));
    return logits;
  };
  return { start: async (p) => keep(await inner.start(p)), next: async (t) => keep(await inner.next(t)) };
}

function recordingTeacherForcing(decoder: Decoder, sink: { rows: ArrayLike<number>[] }): TeacherForcedDecoder {
  const inner = teacherForcing(decoder);
  return {
    async logitsAll(ids) {
      sink.rows = await inner.logitsAll(ids);
      return sink.rows;
    },
  };
}

/**
 * Generates one request on several decoders in lockstep with the protocol's sampler (the noise of a position is
 * derived once and shared): what `generate(stepping(d), …)` returns for each decoder `d` (checked below).
 */
async function lockstep(
  models: readonly Decoder[],
  requestId: bigint,
  request: GenerationRequest,
): Promise<GenerationResult[]> {
  const steppers = models.map((d) => stepping(d));
  const logits: ArrayLike<number>[] = [];
  for (const s of steppers) logits.push(await s.start(request.prompt));
  const tokens: number[][] = models.map(() => []);
  const stops: (StopReason | null)[] = models.map(() => null);
  for (let position = 0; stops.some((s) => s === null); position++) {
    let noise: bigint[] | undefined;
    const noiseOf = () =>
      (noise ??= gumbelNoise(
        uniforms(noiseWord(request.seed, requestId, position), real.vocabSize),
        SAMPLING.decimals,
      ));
    for (let i = 0; i < models.length; i++) {
      if (stops[i] !== null) continue;
      const z = canonicalLogits(logits[i]!, SAMPLING.decimals);
      const token = argmax(scores(z, request.temperatureMilli, noiseOf));
      tokens[i]!.push(token);
      stops[i] = stopReasonOf(tokens[i]!, request, SAMPLING.limits);
      if (stops[i] === null) logits[i] = await steppers[i]!.next(token);
    }
  }
  return tokens.map((t, i) => ({ tokens: t, stop: stops[i]! }));
}

const sameResult = (a: GenerationResult, b: GenerationResult): boolean =>
  a.stop === b.stop && a.tokens.length === b.tokens.length && a.tokens.every((t, i) => t === b.tokens[i]);

/** The first (prompt, seed) of the candidates whose generation runs to `maxNewTokens` (no early EOS). */
async function fullLengthRequest(
  prompts: readonly number[][],
  maxNewTokens: number,
  temperatureMilli: number,
): Promise<{ requestId: bigint; request: GenerationRequest }> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const prompt = prompts[attempt % prompts.length]!;
    const seed = BigInt(1 + Math.floor(attempt / prompts.length));
    if (temperatureMilli === 0 && attempt >= prompts.length) break; // greedy: the seed changes nothing
    const request = { prompt, maxNewTokens, temperatureMilli, seed };
    const requestId = 7n;
    const [result] = await lockstep([real], requestId, request);
    if (result!.tokens.length === maxNewTokens) return { requestId, request };
  }
  throw new Error(`no candidate request generates ${maxNewTokens} tokens at temperature ${temperatureMilli}`);
}

// ------------------------------------------------------------------------------------------------ header

const ortVersion = (createRequire(import.meta.url)("onnxruntime-node/package.json") as { version: string }).version;
out(
  `LLM benchmark: brown-lm (models/lm/), onnxruntime-node ${ortVersion} on the CPU, Node ${process.versions.node}, ` +
    `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? "unknown CPU"}`,
);
out(
  `  model ${shipped.card.parameters.toLocaleString("en-US")} parameters, ${shipped.card.architecture.layers} layers, ` +
    `vocabulary ${real.vocabSize}, context ${real.contextLength}, EOS id ${EOS}; ` +
    `sampler: logit decimals ${DECIMALS}, tolerance ${TOLERANCE} (score slack ${slackOf(0)} units greedy, ` +
    `${slackOf(800)} at T 0.8)`,
);
out(
  `  prompts: the first 1–12 words of the Brown corpus' ${sentences.length.toLocaleString("en-US")} held-out ` +
    `sentences, each prompt used once; OPG_BENCH_LLM_SCALE ${SCALE}`,
);

// ------------------------------------------------------------------------------------------------ part 1

out();
out(`1. Worker generation speed (generate + stepping: KV cache, one step per token; ${SPEED_TOKENS} new tokens)`);
{
  const rows: string[][] = [];
  const prompts = [real.tokenizer.encode(SPEED_PROMPT), ...Array.from({ length: 20 }, randomPrompt)];
  const speed: Record<string, number> = {};
  for (const temperatureMilli of TEMPERATURES) {
    const { requestId, request } = await fullLengthRequest(prompts, SPEED_TOKENS, temperatureMilli);
    for (const threads of [1, 2] as const) {
      const totals: number[] = [];
      const models: number[] = [];
      const runs = temperatureMilli === 0 ? RUNS_GREEDY : RUNS_SAMPLED;
      const warmUp = temperatureMilli === 0 ? 1 : 0; // the sampled cases run the same shapes after the greedy ones
      for (let run = 0; run < runs + warmUp; run++) {
        const clock = { modelMs: 0 };
        const t0 = performance.now();
        const result = await generate(timedStepping(decoders[threads], clock), requestId, request, SAMPLING);
        const total = performance.now() - t0;
        if (result.tokens.length !== SPEED_TOKENS) throw new Error("the speed request stopped early");
        if (run < warmUp) continue;
        totals.push(total);
        models.push(clock.modelMs);
      }
      const total = median(totals);
      const model = median(models);
      if (threads === 1) speed[temperatureMilli] = SPEED_TOKENS / (total / 1000);
      rows.push([
        temperatureName(temperatureMilli),
        String(threads),
        String(request.prompt.length),
        String(runs),
        ms(total),
        (SPEED_TOKENS / (total / 1000)).toFixed(0),
        ms(model),
        (SPEED_TOKENS / (model / 1000)).toFixed(0),
        ((total - model) / SPEED_TOKENS).toFixed(2),
      ]);
    }
  }
  table(
    [
      "temperature",
      "threads",
      "prompt",
      "runs",
      "median ms",
      "tokens/s",
      "model ms",
      "model-only tokens/s",
      "sampler ms/token",
    ],
    rows,
  );
  out(
    "  tokens/s = new tokens / whole generate() time (prompt pass included); model ms = time inside onnxruntime " +
      "(prompt + one cached step per token); sampler ms/token = the rest (canonical logits, noise, argmax).",
  );
  summary.speed = speed;
}

// ------------------------------------------------------------------------------------------------ part 2

out();
out("2. Verification time / generation time (1 thread; verifyGeneration = one teacher-forced pass + the sampler");
out("   at every position; generation = generate with the KV cache)");
{
  const rows: string[][] = [];
  const speedPrompt = real.tokenizer.encode(SPEED_PROMPT);
  const prompts = [speedPrompt, ...Array.from({ length: 20 }, randomPrompt)];
  const oneToken = [" The", " He", " It", " In", " A", " But"]
    .map((w) => real.tokenizer.encode(w))
    .filter((ids) => ids.length === 1);
  const cases: { candidates: number[][]; newTokens: number }[] = [
    ...RATIO_LENGTHS.map((n) => ({ candidates: prompts, newTokens: n })),
    { candidates: [...oneToken, [EOS]], newTokens: real.contextLength - 1 },
  ];
  for (const temperatureMilli of TEMPERATURES) {
    for (const { candidates, newTokens } of cases) {
      const { requestId, request } = await fullLengthRequest(candidates, newTokens, temperatureMilli);
      const runs = temperatureMilli === 0 ? RUNS_GREEDY : RUNS_SAMPLED;
      const gen: number[] = [];
      const genModel: number[] = [];
      const ver: number[] = [];
      const verModel: number[] = [];
      const warmUp = temperatureMilli === 0 ? 1 : 0;
      for (let run = 0; run < runs + warmUp; run++) {
        const gClock = { modelMs: 0 };
        let t0 = performance.now();
        const result = await generate(timedStepping(real, gClock), requestId, request, SAMPLING);
        const g = performance.now() - t0;
        const vClock = { modelMs: 0 };
        t0 = performance.now();
        const verdict = await verifyGeneration(timedTeacherForcing(real, vClock), requestId, request, result, SAMPLING);
        const v = performance.now() - t0;
        if (!verdict.agree) throw new Error(`an honest generation was rejected: ${verdict.reason}`);
        if (result.tokens.length !== newTokens) throw new Error("the ratio request stopped early");
        if (run < warmUp) continue;
        gen.push(g);
        genModel.push(gClock.modelMs);
        ver.push(v);
        verModel.push(vClock.modelMs);
      }
      const ratio = median(ver.map((v, i) => v / gen[i]!));
      const modelRatio = median(verModel.map((v, i) => v / genModel[i]!));
      if (newTokens === 64) {
        summary.ratio64[temperatureMilli] = ratio;
        summary.ratioModel64[temperatureMilli] = modelRatio;
      }
      rows.push([
        temperatureName(temperatureMilli),
        String(request.prompt.length),
        String(newTokens),
        String(runs),
        ms(median(gen)),
        ms(median(genModel)),
        ms(median(ver)),
        ms(median(verModel)),
        ratio.toFixed(3),
        modelRatio.toFixed(3),
      ]);
    }
  }
  table(
    [
      "temperature",
      "prompt",
      "new tokens",
      "runs",
      "generate ms",
      "(model)",
      "verify ms",
      "(model)",
      "verify/generate",
      "model only",
    ],
    rows,
  );
  out(
    `  The longest case is ${real.contextLength - 1} new tokens after a 1-token prompt: the context holds ` +
      `${real.contextLength} tokens, prompt included. Every request was chosen to run to its length (no early EOS); ` +
      "medians over the runs (greedy after one warm-up run); (model) = time inside onnxruntime, the rest is the " +
      "sampler (verify/generate and model only are medians of the per-run ratios).",
  );
  out(
    "  The sampler costs the worker and the verifier the same per position (canonical logits of the whole " +
      "vocabulary, and at T > 0 its noise), so for this small model it is a large part of both sides and the ratio " +
      "is higher when sampling; the model passes alone show what verification saves.",
  );
}

// ------------------------------------------------------------------------------------------------ part 3

interface Honest {
  requestId: bigint;
  request: GenerationRequest;
  result: GenerationResult;
}
const honestByCell = new Map<string, Honest[]>();

out();
out("3. False disputes: honest generations verified on the other intra-op thread count");
{
  const rows: string[][] = [];
  let total = 0;
  let disputes = 0;
  let maxUnits = 0n;
  let maxFloat = 0;
  const reasons: string[] = [];
  for (const temperatureMilli of TEMPERATURES) {
    const kind = temperatureMilli === 0 ? "greedy" : "sampled";
    for (const [genThreads, verThreads] of [
      [1, 2],
      [2, 1],
    ] as const) {
      const count = HONEST[kind];
      const list: Honest[] = [];
      let cellDisputes = 0;
      let cellUnits = 0n;
      let cellFloat = 0;
      let identicalPositions = 0;
      let positions = 0;
      let eos = 0;
      let tokens = 0;
      const t0 = performance.now();
      for (let i = 0; i < count; i++) {
        const requestId = freshRequestId();
        const request = {
          prompt: randomPrompt(),
          maxNewTokens: HONEST_TOKENS[kind],
          temperatureMilli,
          seed: randomSeed(),
        };
        const workerRows: Float32Array[] = [];
        const result = await generate(
          recordingStepping(decoders[genThreads], workerRows),
          requestId,
          request,
          SAMPLING,
        );
        const sink: { rows: ArrayLike<number>[] } = { rows: [] };
        const verdict = await verifyGeneration(
          recordingTeacherForcing(decoders[verThreads], sink),
          requestId,
          request,
          result,
          SAMPLING,
        );
        if (!verdict.agree) {
          cellDisputes++;
          if (reasons.length < 5)
            reasons.push(`${temperatureName(temperatureMilli)} ${genThreads}→${verThreads}: ${verdict.reason}`);
        }
        // The worker's logits at generated position k vs the verifier's at index prompt − 1 + k.
        for (let k = 0; k < result.tokens.length; k++) {
          const w = workerRows[k]!;
          const v = sink.rows[request.prompt.length - 1 + k]!;
          const zw = canonicalLogits(w, DECIMALS);
          const zv = canonicalLogits(v, DECIMALS);
          let same = true;
          for (let j = 0; j < w.length; j++) {
            const d = Math.abs(w[j]! - v[j]!);
            if (d !== 0) same = false;
            if (d > cellFloat) cellFloat = d;
            const u = zw[j]! > zv[j]! ? zw[j]! - zv[j]! : zv[j]! - zw[j]!;
            if (u > cellUnits) cellUnits = u;
          }
          positions++;
          if (same) identicalPositions++;
        }
        tokens += result.tokens.length;
        if (result.stop === 0) eos++;
        list.push({ requestId, request, result });
      }
      const seconds = (performance.now() - t0) / 1000;
      honestByCell.set(`${temperatureMilli}/${genThreads}`, list);
      total += count;
      disputes += cellDisputes;
      if (cellUnits > maxUnits) maxUnits = cellUnits;
      maxFloat = Math.max(maxFloat, cellFloat);
      rows.push([
        temperatureName(temperatureMilli),
        `${genThreads} → ${verThreads}`,
        int(count),
        String(HONEST_TOKENS[kind]),
        int(tokens),
        int(eos),
        String(cellDisputes),
        cellFloat.toExponential(2),
        String(cellUnits),
        pct(identicalPositions, positions),
        seconds.toFixed(1),
      ]);
      progress(`part 3: ${total} honest generations`);
    }
  }
  table(
    [
      "temperature",
      "threads gen → verify",
      "generations",
      "max new",
      "tokens",
      "EOS stops",
      "disputes",
      "max |Δlogit|",
      "max Δ units",
      "bit-identical rows",
      "seconds",
    ],
    rows,
  );
  out(
    `  ${int(total)} honest generations, ${disputes} disagreements of verifyGeneration. Δ compares the worker's ` +
      "logits (KV-cache step) with the verifier's (one pass) at every generated position; units are 10^-4 (the " +
      `canonical logits), the tolerance is ${TOLERANCE}.`,
  );
  for (const r of reasons) out(`  dispute: ${r}`);
  summary.honest = { total, disputes, maxUnits };
}

// ------------------------------------------------------------------------------------------------ part 4a

out();
out("4a. Detection of one substituted token (an honest generation with the token at one random position replaced by");
out("    a random other id, EOS excluded; verified on 1 thread)");
{
  const rows: string[][] = [];
  let allDetected = 0;
  let allAtPosition = 0;
  let all = 0;
  for (const temperatureMilli of TEMPERATURES) {
    const kind = temperatureMilli === 0 ? "greedy" : "sampled";
    const pool = honestByCell.get(`${temperatureMilli}/1`)!.slice(0, SUBSTITUTIONS[kind]);
    let detected = 0;
    let atPosition = 0;
    let byStopRule = 0;
    const positions: number[] = [];
    for (const h of pool) {
      const k = rng.nextInt(h.result.tokens.length);
      const original = h.result.tokens[k]!;
      const excluded = [...new Set([original, EOS])].sort((a, b) => a - b);
      let replacement = rng.nextInt(real.vocabSize - excluded.length);
      for (const id of excluded) if (replacement >= id) replacement++;
      const forged = { ...h.result, tokens: h.result.tokens.map((t, i) => (i === k ? replacement : t)) };
      const verdict: GenerationVerdict = await verifyGeneration(
        teacherForcing(real),
        h.requestId,
        h.request,
        forged,
        SAMPLING,
      );
      positions.push(k);
      if (!verdict.agree) detected++;
      if (verdict.position === k) atPosition++;
      if (!verdict.agree && verdict.position === null) byStopRule++;
    }
    all += pool.length;
    allDetected += detected;
    allAtPosition += atPosition;
    rows.push([
      temperatureName(temperatureMilli),
      int(pool.length),
      `${Math.min(...positions)}–${Math.max(...positions)}`,
      `${detected} (${pct(detected, pool.length)})`,
      `${atPosition} (${pct(atPosition, pool.length)})`,
      String(byStopRule),
    ]);
  }
  table(
    ["temperature", "forged generations", "positions", "detected", "at the substituted position", "by the stop rule"],
    rows,
  );
  out("  The forged generations are the honest ones of part 3 generated on 1 thread (their requests and seeds).");
  summary.substitution = { all, detected: allDetected, atPosition: allAtPosition };
}

// ------------------------------------------------------------------------------------------------ part 4b

out();
out(
  `4b. Detection of a different model: the variant generates (${VARIANT_TOKENS} new tokens), the real model verifies ` +
    "(1 thread)",
);
{
  const variants: { name: string; variant: ModelVariant; note: string }[] = [
    {
      name: "float16 weights",
      variant: float16Variant(shipped.model),
      note: "every float32 initializer rounded to float16 precision (mask fill clamped to 65504), kept as float32",
    },
    {
      name: "1 % weight noise",
      variant: noisyVariant(shipped.model, { seed: 1, relativeSigma: 0.01 }),
      note: "learned weights + N(0, (0.01 · rms of the tensor)^2), seed 1; rotary tables unchanged",
    },
  ];
  // The replica against the real generate(), on the real model and a variant.
  {
    const check = await load(variants[0]!.variant.model, 1);
    let checked = 0;
    for (const temperatureMilli of TEMPERATURES) {
      for (let i = 0; i < 2; i++) {
        const requestId = freshRequestId();
        const request = { prompt: randomPrompt(), maxNewTokens: 24, temperatureMilli, seed: randomSeed() };
        const fast = await lockstep([real, check], requestId, request);
        const slow = [
          await generate(stepping(real), requestId, request, SAMPLING),
          await generate(stepping(check), requestId, request, SAMPLING),
        ];
        if (!fast.every((r, j) => sameResult(r, slow[j]!)))
          throw new Error("the lockstep replica differs from generate");
        checked += 2;
      }
    }
    await check.close();
    out(
      `  (the variant and reference generations run through a replica of generate() that derives each position's noise ` +
        `once for both; it matched generate() on ${checked}/${checked} generations)`,
    );
  }
  const rows: string[][] = [];
  const logitRows: string[][] = [];
  const acceptedNotes: string[] = [];
  const probe = real.tokenizer.encode(sentences.slice(0, 8).join(" ")).slice(0, real.contextLength);
  const realLogits = await real.logits(probe);
  for (const { name, variant, note } of variants) {
    out(`  ${name}: ${note}`);
    const decoder = await load(variant.model, 1);
    {
      const vl = await decoder.logits(probe);
      let max = 0;
      let sum = 0;
      let n = 0;
      for (let i = 0; i < vl.length; i++) {
        for (let j = 0; j < real.vocabSize; j++) {
          const d = Math.abs(vl[i]![j]! - realLogits[i]![j]!);
          max = Math.max(max, d);
          sum += d;
          n++;
        }
      }
      const weights = variant.stats.tensors.filter((t) => t.values > 1 && !t.name.includes("rotary_emb"));
      logitRows.push([
        name,
        median(weights.map((t) => t.relativeChange)).toExponential(2),
        ((sum / n) * 10 ** DECIMALS).toFixed(1),
        (max * 10 ** DECIMALS).toFixed(0),
      ]);
    }
    const perName: VariantSummary[] = [];
    for (const temperatureMilli of TEMPERATURES) {
      const kind = temperatureMilli === 0 ? "greedy" : "sampled";
      const count = VARIANT_GENERATIONS[kind];
      let differ = 0;
      let detected = 0;
      let detectedDiffering = 0;
      let atDivergence = 0;
      let acceptedDiffering = 0;
      let falseOnIdentical = 0;
      const needed: number[] = [];
      const divergence: number[] = [];
      const accepted: string[] = [];
      const t0 = performance.now();
      for (let i = 0; i < count; i++) {
        const requestId = freshRequestId();
        const request = { prompt: randomPrompt(), maxNewTokens: VARIANT_TOKENS, temperatureMilli, seed: randomSeed() };
        const [honest, claim] = await lockstep([real, decoder], requestId, request);
        const sink: { rows: ArrayLike<number>[] } = { rows: [] };
        const verdict = await verifyGeneration(
          recordingTeacherForcing(real, sink),
          requestId,
          request,
          claim!,
          SAMPLING,
        );
        const identical = sameResult(honest!, claim!);
        if (!verdict.agree) {
          detected++;
          if (verdict.position !== null) needed.push(verdict.position + 1);
        }
        if (identical) {
          if (!verdict.agree) falseOnIdentical++;
          continue;
        }
        differ++;
        let first = 0;
        while (first < claim!.tokens.length && claim!.tokens[first] === honest!.tokens[first]) first++;
        divergence.push(first + 1);
        if (!verdict.agree) {
          detectedDiffering++;
          if (verdict.position === first) atDivergence++;
        } else {
          acceptedDiffering++;
          // The real model's score gap to the variant's token where it first chose differently.
          const row = sink.rows[request.prompt.length - 1 + first];
          if (row !== undefined) {
            const params = { requestId, seed: request.seed, temperatureMilli, decimals: DECIMALS };
            const s = positionScores(row, first, params);
            accepted.push(`position ${first + 1} gap ${s[argmax(s)]! - s[claim!.tokens[first]!]!}`);
          }
        }
      }
      if (accepted.length > 0) {
        acceptedNotes.push(
          `  ${name}, ${temperatureName(temperatureMilli)}: differing but accepted, the real model's score gap to the ` +
            `variant's token at its first divergence (slack ${slackOf(temperatureMilli)}): ${accepted.join("; ")}`,
        );
      }
      const seconds = (performance.now() - t0) / 1000;
      perName.push({ temperatureMilli, count, differ, detectedDiffering, acceptedDiffering, needed });
      rows.push([
        name,
        temperatureName(temperatureMilli),
        int(count),
        `${differ} (${pct(differ, count)})`,
        divergence.length === 0 ? "–" : `${median(divergence)} / ${Math.max(...divergence)}`,
        `${detected} (${pct(detected, count)})`,
        `${detectedDiffering}/${differ} (${pct(detectedDiffering, differ)})`,
        needed.length === 0 ? "–" : `${median(needed)} / ${Math.max(...needed)}`,
        String(atDivergence),
        String(acceptedDiffering),
        String(falseOnIdentical),
        seconds.toFixed(1),
      ]);
      progress(`part 4b: ${name}, ${temperatureName(temperatureMilli)} done`);
    }
    summary.variants.push({ name, rows: perName });
    await decoder.close();
  }
  out();
  table(["variant", "median weight change (‖Δ‖/‖w‖)", "mean |Δlogit| units", "max |Δlogit| units"], logitRows);
  out(
    `  logits of the variant vs the real model over one ${probe.length}-token held-out text, in units of 10^-4 ` +
      `(tolerance ${TOLERANCE}, score slack ${slackOf(0)} at greedy)`,
  );
  out(
    "  A variant whose logits move by about the tolerance picks another token only where the real model's top two " +
      "scores are close; where they are within the slack (a near-tie) the rule accepts the token by design, since " +
      "honest float noise could have made the same choice. Such a variant mostly generates the very same text.",
  );
  out();
  table(
    [
      "variant",
      "temperature",
      "generations",
      "differ from real",
      "1st divergence med/max",
      "detected (all)",
      "detected (differing)",
      "tokens needed med/max",
      "at 1st divergence",
      "differing, accepted",
      "identical, rejected",
      "seconds",
    ],
    rows,
  );
  out(
    "  differ from real: the variant's tokens or stop differ from what the real model generates for the same request " +
      "(an identical generation is the honest one: nothing to detect). 1st divergence: the 1-based position of the " +
      "first differing token. tokens needed: generated tokens up to and including the first position the verifier " +
      "rejects. differing, accepted: generations that differ but every token is within the slack (near-ties).",
  );
  for (const note of acceptedNotes) out(note);
}

// ------------------------------------------------------------------------------------------------ summary

out();
out("Summary (issue 10, point 7)");
out(
  `  worker generation, 1 thread:            ${summary.speed[0]!.toFixed(0)} tokens/s greedy, ` +
    `${summary.speed[800]!.toFixed(0)} tokens/s at T 0.8`,
);
out(
  `  verify / generate at 64 new tokens:     ${summary.ratio64[0]!.toFixed(3)} greedy, ` +
    `${summary.ratio64[800]!.toFixed(3)} at T 0.8 (goal ≤ 0.2); model passes alone ` +
    `${summary.ratioModel64[0]!.toFixed(3)} / ${summary.ratioModel64[800]!.toFixed(3)}`,
);
if (summary.ratio64[0]! > 0.2 || summary.ratio64[800]! > 0.2) {
  out("                                          (the sampler's work per position, the same for worker and verifier,");
  out("                                          is a large part of both times for this model: see part 2)");
}
out(
  `  false disputes:                         ${summary.honest.disputes} of ${int(summary.honest.total)} honest ` +
    `generations, threads 1↔2, T 0 and 0.8 (goal 0); largest logit difference ${summary.honest.maxUnits} units ` +
    `(tolerance ${TOLERANCE})`,
);
out(
  `  one substituted token:                  detected ${summary.substitution.detected}/${summary.substitution.all} ` +
    `(${pct(summary.substitution.detected, summary.substitution.all)}), at the substituted position ` +
    `${summary.substitution.atPosition}/${summary.substitution.all}`,
);
for (const v of summary.variants) {
  for (const r of v.rows) {
    out(
      `  ${`${v.name}, ${temperatureName(r.temperatureMilli)}:`.padEnd(39)} ${r.differ}/${r.count} generations ` +
        `differ from the real model's, ${r.detectedDiffering}/${r.differ} of those detected ` +
        `(${pct(r.detectedDiffering, r.differ)})` +
        (r.needed.length === 0 ? "" : `, tokens needed median ${median(r.needed)}, max ${Math.max(...r.needed)}`) +
        (r.acceptedDiffering === 0 ? "" : `; ${r.acceptedDiffering} accepted, every token within the slack`),
    );
  }
}
out(`  (different-model generations have at most ${VARIANT_TOKENS} new tokens)`);
out(`  total time ${((performance.now() - startedAt) / 1000).toFixed(0)} s`);

await decoders[1].close();
await decoders[2].close();
