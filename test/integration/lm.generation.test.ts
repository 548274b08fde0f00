/**
 * Generation and its verification on the shipped language model (models/lm/): the protocol's sampler picks the same
 * tokens in separate processes and at 1 or 2 intra-op threads, every honest generation passes the teacher-forced
 * check, and a substituted token is caught at its position.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

import { expect } from "chai";

import { stepping, teacherForcing } from "../../offchain/lm/adapters.js";
import { Decoder } from "../../offchain/lm/decoder.js";
import { generate, verifyGeneration, type ModelSampling } from "../../offchain/lm/generate.js";
import type { GenerationRequest, GenerationResult } from "../../offchain/lm/generation.js";
import { readShippedLanguageModel } from "../../offchain/lm/shipped.js";

const execFileAsync = promisify(execFile);
const HELPER = path.join(import.meta.dirname, "helpers", "generate-lm.ts");

describe("Generation with the shipped language model", function () {
  this.timeout(120_000);
  let decoder: Decoder;
  let model: ModelSampling;
  let prompt: number[];

  before(async function () {
    const shipped = await readShippedLanguageModel();
    decoder = await Decoder.load({ model: shipped.model, tokenizer: shipped.tokenizer });
    model = {
      limits: { contextLength: decoder.contextLength, eosTokenId: decoder.eosTokenId, vocabSize: decoder.vocabSize },
      decimals: 4,
      tolerance: 10n,
    };
    prompt = decoder.tokenizer.encode("The jury said that the city");
  });

  after(async () => decoder?.close());

  const request = (temperatureMilli: number, seed: bigint): GenerationRequest => ({
    prompt,
    maxNewTokens: 32,
    temperatureMilli,
    seed,
  });

  it("an honest generation passes the teacher-forced check, greedy and sampled", async function () {
    for (const [temperature, seed] of [
      [0, 1n],
      [800, 1n],
      [800, 2n],
      [1000, 3n],
    ] as const) {
      const r = request(temperature, seed);
      const result = await generate(stepping(decoder), 7n, r, model);
      expect(result.tokens.length).to.be.greaterThan(0);
      const verdict = await verifyGeneration(teacherForcing(decoder), 7n, r, result, model);
      expect(verdict.agree, `T=${temperature} seed ${seed}: ${verdict.reason}`).to.equal(true);
    }
  });

  it("a substituted token is caught at its position", async function () {
    const r = request(0, 1n);
    const honest = await generate(stepping(decoder), 8n, r, model);
    const k = Math.min(10, honest.tokens.length - 2);
    const forged: GenerationResult = { ...honest, tokens: [...honest.tokens] };
    forged.tokens[k] = (forged.tokens[k]! + 1) % (decoder.eosTokenId - 1);
    const verdict = await verifyGeneration(teacherForcing(decoder), 8n, r, forged, model);
    expect(verdict.agree).to.equal(false);
    expect(verdict.position).to.equal(k);
  });

  it("picks the same tokens in two separate processes, at 1 and at 2 intra-op threads", async function () {
    const requests = [
      { requestId: "11", prompt, maxNewTokens: 24, temperatureMilli: 0, seed: "5" },
      { requestId: "12", prompt, maxNewTokens: 24, temperatureMilli: 800, seed: "5" },
    ];
    const run = async (threads: number) => {
      const { stdout } = await execFileAsync(
        process.execPath,
        ["--import", "tsx", HELPER, JSON.stringify({ requests, threads })],
        { cwd: process.cwd(), maxBuffer: 4 * 1024 * 1024 },
      );
      return JSON.parse(stdout) as { pid: number; results: GenerationResult[] };
    };
    const [one, two] = await Promise.all([run(1), run(2)]);
    expect(one.pid).to.not.equal(two.pid);
    expect(two.results).to.deep.equal(one.results);
    // And the in-process runtime (the test's own) agrees.
    for (const [i, r] of requests.entries()) {
      const mine = await generate(
        stepping(decoder),
        BigInt(r.requestId),
        { prompt, maxNewTokens: r.maxNewTokens, temperatureMilli: r.temperatureMilli, seed: BigInt(r.seed) },
        model,
      );
      expect(mine).to.deep.equal(one.results[i]);
    }
  });
});
