/**
 * Serving a registered language model on a node (offchain/lm/serving.ts), for both decoder layouts and both I/O
 * variants: a GPT-2-layout decoder built by the project's ONNX builder, with and without a KV cache, fetched from the
 * node's model store by URI and sha256 like any registered model. The worker's generation passes the verifier's
 * teacher-forced check; every other result — an extra token, a wrong stop reason, a dropped token, an error result
 * for a valid request, bytes that are not a generation — fails it; requests the model cannot take get the same
 * error result on both sides.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";

import { buildGpt2Onnx, randomGpt2Weights, type Gpt2Config } from "../../offchain/lm/gpt2.js";
import {
  decodeGenerationResult,
  encodeGenerationRequest,
  encodeGenerationResult,
  type GenerationRequest,
} from "../../offchain/lm/generation.js";
import {
  LanguageModelHost,
  checkPostedGeneration,
  executeGeneration,
  generationBytes,
  largestGeneration,
  type LanguageModelRecord,
} from "../../offchain/lm/serving.js";
import { readShippedLanguageModel } from "../../offchain/lm/shipped.js";
import { decodeErrorResultDetail, encodeErrorResult } from "../../offchain/model/errorResult.js";
import { ModelStore, sha256Hex } from "../../offchain/model/store.js";

const CONFIG: Gpt2Config = {
  vocabSize: 1024,
  contextLength: 48,
  layers: 2,
  dModel: 32,
  heads: 4,
  layerNormEpsilon: 1e-5,
};
const LIMITS = { maxOutputBytes: 16_384n };

describe("Serving a language model on a node: generation and its teacher-forced check", function () {
  this.timeout(120_000);
  let dir: string;
  let host: LanguageModelHost;
  const records: Record<"cache" | "noCache", LanguageModelRecord> = {} as never;

  before(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), "opg-lm-serving-"));
    const shipped = await readShippedLanguageModel();
    const tokenizerFile = path.join(dir, "tokenizer.json");
    await writeFile(tokenizerFile, shipped.tokenizer);
    // Peaked logits (std 0.5), so a changed token is far from a tie.
    const weights = randomGpt2Weights(CONFIG, 11, 0.5);
    for (const cache of [true, false]) {
      const bytes = buildGpt2Onnx(weights, { cache });
      const file = path.join(dir, `gpt2-${cache ? "cache" : "nocache"}.onnx`);
      await writeFile(file, bytes);
      records[cache ? "cache" : "noCache"] = {
        uri: `file://${file}`,
        contentHash: `0x${sha256Hex(bytes)}`,
        tokenizerUri: `file://${tokenizerFile}`,
        tokenizerHash: shipped.card.files.tokenizer.sha256,
        contextLength: CONFIG.contextLength,
        eosTokenId: shipped.card.eosTokenId,
        outputDecimals: 4,
        tolerance: 10n,
      };
    }
    host = new LanguageModelHost(new ModelStore({ cacheDir: path.join(dir, "cache") }));
  });

  after(async () => host?.close());

  const job = (model: LanguageModelRecord, request: GenerationRequest | Uint8Array, requestId = 5n) => ({
    requestId,
    model,
    input: request instanceof Uint8Array ? request : encodeGenerationRequest(request),
    inputProblem: null,
  });
  const request = (temperatureMilli: number, maxNewTokens = 12): GenerationRequest => ({
    prompt: [84, 104, 101, 32],
    maxNewTokens,
    temperatureMilli,
    seed: 9n,
  });

  for (const variant of ["cache", "noCache"] as const) {
    it(`test_${variant}_honestGeneration_passesTheTeacherForcedCheck_greedyAndSampled`, async function () {
      for (const t of [0, 800]) {
        const outcome = await executeGeneration(job(records[variant], request(t)), host, LIMITS);
        expect(outcome.kind).to.equal("ok");
        const check = await checkPostedGeneration(job(records[variant], request(t)), host, LIMITS, outcome.output);
        expect(check.agree, check.reason).to.equal(true);
      }
    });
  }

  it("test_withAndWithoutCache_generateTheSameTokens", async function () {
    for (const t of [0, 800]) {
      const a = await executeGeneration(job(records.cache, request(t)), host, LIMITS);
      const b = await executeGeneration(job(records.noCache, request(t)), host, LIMITS);
      expect(Buffer.from(a.output).equals(Buffer.from(b.output))).to.equal(true);
    }
  });

  it("test_wrongResults_failTheCheck: extra token, dropped token, wrong stop reason, error result, not a generation", async function () {
    const model = records.cache;
    const r = request(0, 12);
    const honest = decodeGenerationResult((await executeGeneration(job(model, r), host, LIMITS)).output);
    if ("problem" in honest) throw new Error(honest.problem);
    const wrong: Array<[string, Uint8Array]> = [
      ["an extra token", encodeGenerationResult({ tokens: [...honest.tokens, 65], stop: honest.stop })],
      ["a dropped token", encodeGenerationResult({ tokens: honest.tokens.slice(0, -1), stop: honest.stop })],
      ["another stop reason", encodeGenerationResult({ tokens: honest.tokens, stop: honest.stop === 1 ? 0 : 1 })],
      [
        "a token outside the vocabulary",
        encodeGenerationResult({ tokens: [...honest.tokens.slice(0, -1), 5000], stop: honest.stop }),
      ],
      ["an error result", encodeErrorResult("MODEL_RUNTIME")],
      ["bytes that are not a generation", Uint8Array.from([1, 2, 3])],
    ];
    for (const [what, posted] of wrong) {
      const check = await checkPostedGeneration(job(model, r), host, LIMITS, posted);
      expect(check.agree, what).to.equal(false);
    }
  });

  it("test_requestsTheModelCannotTake_getTheSameErrorResultOnBothSides", async function () {
    const model = records.cache;
    const cases: Array<[string, Uint8Array, string, string]> = [
      ["bytes that do not decode", Uint8Array.from([9, 9, 9]), "INPUT_DECODE", ""],
      [
        "a prompt that fills the context",
        encodeGenerationRequest({ ...request(0), prompt: new Array<number>(CONFIG.contextLength).fill(65) }),
        "INPUT_SCHEMA",
        "the context holds 48",
      ],
      [
        "a temperature above 2",
        encodeGenerationRequest({ ...request(0), temperatureMilli: 2001 }),
        "INPUT_SCHEMA",
        "temperatureMilli is 2001",
      ],
    ];
    for (const [what, input, code, detail] of cases) {
      const outcome = await executeGeneration(job(model, input), host, LIMITS);
      const error = decodeErrorResultDetail(outcome.output);
      expect(error?.code, what).to.equal(code);
      expect(error?.detail ?? "", what).to.include(detail);
      const check = await checkPostedGeneration(job(model, input), host, LIMITS, outcome.output);
      expect(check.agree, `${what}: ${check.reason}`).to.equal(true);
      // A generation posted instead of the error result is wrong.
      const instead = encodeGenerationResult({ tokens: [65], stop: 1 });
      expect((await checkPostedGeneration(job(model, input), host, LIMITS, instead)).agree, what).to.equal(false);
    }
  });

  it("test_aGenerationThatCouldExceedTheHubsOutputLimit_isRefusedUpFront_withTheLargestThatFits", async function () {
    const limits = { maxOutputBytes: BigInt(generationBytes(10)) };
    expect(largestGeneration(limits.maxOutputBytes)).to.equal(10);
    const outcome = await executeGeneration(job(records.cache, request(0, 11)), host, limits);
    const error = decodeErrorResultDetail(outcome.output);
    expect(error?.code).to.equal("INPUT_SCHEMA");
    expect(error?.detail).to.include("ask for at most 10");
    const fits = await executeGeneration(job(records.cache, request(0, 10)), host, limits);
    expect(fits.kind).to.equal("ok");
  });

  it("test_aTokenizerThatDoesNotBelongToTheModel_isAModelLoadErrorResult", async function () {
    const small = buildGpt2Onnx(randomGpt2Weights({ ...CONFIG, vocabSize: 300 }, 1));
    const file = path.join(dir, "gpt2-small-vocab.onnx");
    await writeFile(file, small);
    const model = { ...records.cache, uri: `file://${file}`, contentHash: `0x${sha256Hex(small)}` };
    const outcome = await executeGeneration(job(model, request(0)), host, LIMITS);
    expect(decodeErrorResultDetail(outcome.output)?.code).to.equal("MODEL_LOAD");
    expect((await checkPostedGeneration(job(model, request(0)), host, LIMITS, outcome.output)).agree).to.equal(true);
  });

  it("test_theSampler_dependsOnTheRequestId: the same request under another id samples other tokens", async function () {
    const a = await executeGeneration(job(records.cache, request(1000, 24), 5n), host, LIMITS);
    const b = await executeGeneration(job(records.cache, request(1000, 24), 6n), host, LIMITS);
    expect(Buffer.from(a.output).equals(Buffer.from(b.output))).to.equal(false);
    // The generation of request 5 is not accepted as the generation of request 6.
    expect(
      (await checkPostedGeneration(job(records.cache, request(1000, 24), 6n), host, LIMITS, a.output)).agree,
    ).to.equal(false);
  });
});
