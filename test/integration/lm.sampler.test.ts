/**
 * The protocol's sampler and the teacher-forced verification rule (offchain/lm/), on a synthetic decoder whose
 * logits are a fixed function of the tokens so far: sampling follows softmax(z / T), honest generations always
 * verify (also when the verifier's logits differ within the tolerance), and a substituted token, a wrong stop or a
 * bad request is caught.
 */
import { expect } from "chai";
import { ethers } from "ethers";

import {
  MAX_NEW_TOKENS,
  StopReason,
  checkGenerationRequest,
  decodeGenerationResult,
  encodeGenerationRequest,
  encodeGenerationResult,
  stopReasonOf,
  type GenerationRequest,
  type LanguageModelLimits,
} from "../../offchain/lm/generation.js";
import {
  generate,
  verifyGeneration,
  type ModelSampling,
  type StepDecoder,
  type TeacherForcedDecoder,
} from "../../offchain/lm/generate.js";
import {
  argmax,
  canonicalLogits,
  noiseWord,
  positionScores,
  sampleToken,
  scoreGap,
  scoreSlack,
  uniforms,
  type SamplingParams,
} from "../../offchain/lm/sampler.js";
import { encodeTensors, DType } from "../../offchain/codec/tensor.js";

const VOCAB = 16;
const EOS = 15;
const limits: LanguageModelLimits = { contextLength: 64, eosTokenId: EOS, vocabSize: VOCAB };
const model: ModelSampling = { limits, decimals: 4, tolerance: 20n };

/** Logits in [-4, 4) as a fixed function of the last three tokens; EOS is unlikely unless `eosBias`. */
function synthLogits(history: readonly number[], eosBias = -3, perturb = 0): number[] {
  const key = ethers.keccak256(ethers.toUtf8Bytes(history.slice(-3).join(",")));
  const bytes = ethers.getBytes(key);
  return Array.from({ length: VOCAB }, (_, i) => {
    const base = ((bytes[i] as number) / 256) * 8 - 4 + (i === EOS ? eosBias : 0);
    // A verifier on other hardware: each logit off by at most `perturb` (deterministic per position and token).
    const wobble = perturb * (((bytes[(i + 16) % 32] as number) / 255) * 2 - 1);
    return base + wobble;
  });
}

function decoders(options: { eosBias?: number; perturb?: number } = {}): StepDecoder & TeacherForcedDecoder {
  let history: number[] = [];
  return {
    async start(prompt) {
      history = [...prompt];
      return synthLogits(history, options.eosBias);
    },
    async next(token) {
      history.push(token);
      return synthLogits(history, options.eosBias);
    },
    async logitsAll(ids) {
      return ids.map((_, i) => synthLogits(ids.slice(0, i + 1), options.eosBias, options.perturb ?? 0));
    },
  };
}

const request = (overrides: Partial<GenerationRequest> = {}): GenerationRequest => ({
  prompt: [1, 2, 3],
  maxNewTokens: 24,
  temperatureMilli: 800,
  seed: 7n,
  ...overrides,
});

describe("LM sampler and teacher-forced verification", function () {
  it("derives the noise word from keccak256(abi.encode(seed, requestId, position))", function () {
    const expected = ethers.keccak256(
      ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "uint256", "uint256"], [7n, 42n, 3n]),
    );
    expect(noiseWord(7n, 42n, 3)).to.equal(expected);
    expect(noiseWord(7n, 42n, 4)).to.not.equal(expected);
    const us = uniforms(expected, 10);
    expect(Array.from(us).every((u) => u > 0 && u < 1)).to.equal(true);
    expect(Array.from(uniforms(expected, 10))).to.deep.equal(Array.from(us)); // deterministic
  });

  it("the uniforms are xoshiro128** seeded with the noise word, two outputs per 53-bit uniform", function () {
    // A reference in BigInt arithmetic, written from the algorithm's definition (Blackman and Vigna).
    const M = 0xffffffffn;
    const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M;
    const word = noiseWord(7n, 42n, 3);
    const bytes = ethers.getBytes(word);
    const st = [0, 4, 8, 12].map((o) => BigInt(ethers.hexlify(bytes.slice(o, o + 4))));
    const next = () => {
      const result = (rotl((st[1]! * 5n) & M, 7n) * 9n) & M;
      const t = (st[1]! << 9n) & M;
      st[2]! ^= st[0]!;
      st[3]! ^= st[1]!;
      st[1]! ^= st[2]!;
      st[0]! ^= st[3]!;
      st[2]! ^= t;
      st[3] = rotl(st[3]!, 11n);
      return result;
    };
    const us = uniforms(word, 300);
    for (let i = 0; i < 300; i++) {
      const a = next() >> 5n;
      const b = next() >> 6n;
      expect(us[i], `u_${i}`).to.equal((Number((a << 26n) + b) + 0.5) / 2 ** 53);
    }
    // Roughly uniform: the mean of 300 draws is near 1/2.
    expect(Array.from(us).reduce((x, y) => x + y, 0) / 300).to.be.within(0.42, 0.58);
  });

  it("the sampler's fast double arithmetic picks exactly the BigInt definition's token and gap", function () {
    let state = 12345;
    const rand = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    for (let trial = 0; trial < 60; trial++) {
      const decimals = [0, 2, 4, 6][trial % 4]!;
      const temperatureMilli = [0, 1, 250, 800, 1000, 1999, 2000][trial % 7]!;
      // Wide logits, values on rounding halves, negative halves, and exact ties.
      const logits = Array.from({ length: 97 }, (_, i) =>
        i % 11 === 0 ? (Math.trunc(rand() * 1e4) + 0.5) / 10 ** decimals : i % 13 === 0 ? 3.25 : rand() * 30,
      );
      const params: SamplingParams = { requestId: BigInt(trial), seed: 99n, temperatureMilli, decimals };
      const exact = positionScores(logits, trial, params);
      const best = argmax(exact);
      expect(sampleToken(logits, trial, params), `trial ${trial}`).to.equal(best);
      for (const token of [0, 11, 13, 50, best]) {
        expect(scoreGap(logits, trial, params, token)).to.deep.equal({ best, gap: exact[best]! - exact[token]! });
      }
    }
    // Beyond the doubles' exact range, the BigInt definition is used.
    const huge = [1e13, 1e13 + 1, -5];
    const params: SamplingParams = { requestId: 1n, seed: 1n, temperatureMilli: 800, decimals: 4 };
    expect(sampleToken(huge, 0, params)).to.equal(argmax(positionScores(huge, 0, params)));
  });

  it("greedy picks the highest canonical logit, the lowest index on a tie", function () {
    const params: SamplingParams = { requestId: 1n, seed: 0n, temperatureMilli: 0, decimals: 4 };
    expect(sampleToken([0.1, 0.5, 0.2], 0, params)).to.equal(1);
    expect(sampleToken([0.5, 0.50001, 0.2], 0, params)).to.equal(0); // equal at 4 decimals
    expect(argmax([3n, 5n, 5n])).to.equal(1);
  });

  it("samples in proportion to softmax(z / T)", function () {
    const logits = [0, Math.log(2), Math.log(3)]; // at T = 1: 1/6, 2/6, 3/6
    const counts = [0, 0, 0];
    const draws = 6_000;
    for (let i = 0; i < draws; i++) {
      counts[sampleToken(logits, i, { requestId: 9n, seed: 5n, temperatureMilli: 1000, decimals: 6 })]!++;
    }
    const expected = [1 / 6, 2 / 6, 3 / 6];
    // Plain numbers: the ethers chai matchers make `closeTo` a bigint matcher.
    counts.forEach((c, i) => expect(Math.abs(c / draws - expected[i]!)).to.be.below(0.025));
    // A lower temperature sharpens it.
    const cold = [0, 0, 0];
    for (let i = 0; i < 2_000; i++) {
      cold[sampleToken(logits, i, { requestId: 9n, seed: 5n, temperatureMilli: 250, decimals: 6 })]!++;
    }
    expect(cold[2]! / 2_000).to.be.greaterThan(0.75);
  });

  it("an honest generation verifies, greedy and sampled, for many seeds", async function () {
    for (const temperatureMilli of [0, 800]) {
      for (let seed = 0n; seed < 20n; seed++) {
        const r = request({ temperatureMilli, seed });
        const result = await generate(decoders(), 100n + seed, r, model);
        const verdict = await verifyGeneration(decoders(), 100n + seed, r, result, model);
        expect(verdict.agree, verdict.reason).to.equal(true);
      }
    }
  });

  it("never disputes an honest generation when the verifier's logits differ within the tolerance", async function () {
    const perturb = Number(model.tolerance) / 10 ** model.decimals / 2; // |difference| <= tolerance
    for (const temperatureMilli of [0, 800]) {
      for (let seed = 0n; seed < 60n; seed++) {
        const r = request({ temperatureMilli, seed });
        const result = await generate(decoders(), seed, r, model);
        const verdict = await verifyGeneration(decoders({ perturb }), seed, r, result, model);
        expect(verdict.agree, `T=${temperatureMilli} seed ${seed}: ${verdict.reason}`).to.equal(true);
      }
    }
  });

  it("catches one substituted token, at its position", async function () {
    let caught = 0;
    for (let seed = 0n; seed < 20n; seed++) {
      const r = request({ seed, temperatureMilli: 0 });
      const honest = await generate(decoders(), seed, r, model);
      const k = Math.min(5, honest.tokens.length - 2);
      if (k < 0) continue;
      const forged = { ...honest, tokens: [...honest.tokens] };
      forged.tokens[k] = (forged.tokens[k]! + 1) % (VOCAB - 1); // never EOS, so the stop rule still holds
      const verdict = await verifyGeneration(decoders(), seed, r, forged, model);
      // A substitution inside the slack is a near-tie the rule allows; the synthetic logits make that rare.
      if (!verdict.agree) {
        caught++;
        expect(verdict.position).to.be.at.most(k);
      }
    }
    expect(caught).to.be.at.least(18);
  });

  it("checks the stop rule: EOS only last, length, context", async function () {
    const limitsSmall: LanguageModelLimits = { contextLength: 8, eosTokenId: EOS, vocabSize: VOCAB };
    const r = request({ prompt: [1, 2, 3], maxNewTokens: 4 });
    expect(stopReasonOf([1, 2, 3, 4], r, limits)).to.equal(StopReason.LENGTH);
    expect(stopReasonOf([1, EOS], r, limits)).to.equal(StopReason.EOS);
    expect(stopReasonOf([EOS, 1], r, limits)).to.equal(null);
    expect(stopReasonOf([1, 2], r, limits)).to.equal(null);
    expect(stopReasonOf([1, 2, 3, 4, 5], r, limits)).to.equal(null);
    expect(stopReasonOf([1, 2, 3, 4, 5], request({ prompt: [1, 2, 3], maxNewTokens: 9 }), limitsSmall)).to.equal(
      StopReason.CONTEXT,
    );
    const honest = await generate(decoders(), 1n, request({ maxNewTokens: 6 }), model);
    const wrongStop = { ...honest, stop: honest.stop === StopReason.EOS ? StopReason.LENGTH : StopReason.EOS };
    const verdict = await verifyGeneration(decoders(), 1n, request({ maxNewTokens: 6 }), wrongStop, model);
    expect(verdict.agree).to.equal(false);
    expect(verdict.reason).to.match(/claimed stop/);
    const truncated = { tokens: honest.tokens.slice(0, -1), stop: StopReason.LENGTH };
    expect((await verifyGeneration(decoders(), 1n, request({ maxNewTokens: 6 }), truncated, model)).agree).to.equal(
      false,
    );
  });

  it("ends at EOS when the model favours it", async function () {
    const result = await generate(decoders({ eosBias: 6 }), 3n, request({ temperatureMilli: 0 }), model);
    expect(result.stop).to.equal(StopReason.EOS);
    expect(result.tokens.at(-1)).to.equal(EOS);
  });

  it("slack: twice the tolerance when greedy, scaled by 1/T when sampled", function () {
    expect(scoreSlack(20n, 0)).to.equal(40n);
    expect(scoreSlack(20n, 1000)).to.equal(42n);
    expect(scoreSlack(20n, 500)).to.equal(82n);
    expect(canonicalLogits([1.23456, -0.5], 4)).to.deep.equal([12346n, -5000n]);
  });

  describe("requests and results in the canonical encoding", function () {
    it("round-trips a request and a result", function () {
      const r = request();
      expect(checkGenerationRequest(encodeGenerationRequest(r), limits)).to.deep.equal({ request: r });
      const result = { tokens: [4, 5, EOS], stop: StopReason.EOS };
      expect(decodeGenerationResult(encodeGenerationResult(result))).to.deep.equal(result);
    });

    it("refuses what the model cannot serve, with the detail an error result carries", function () {
      const problem = (r: GenerationRequest) =>
        (checkGenerationRequest(encodeGenerationRequest(r), limits) as { problem?: string }).problem;
      expect(problem(request({ prompt: Array.from({ length: 64 }, () => 1) }))).to.match(/context holds 64/);
      expect(problem(request({ prompt: [] }))).to.match(/empty/);
      expect(problem(request({ prompt: [1, 16] }))).to.match(/prompt token 1 is id 16, outside the vocabulary 0..15/);
      expect(problem(request({ maxNewTokens: 0 }))).to.match(/maxNewTokens is 0/);
      expect(problem(request({ maxNewTokens: MAX_NEW_TOKENS + 1 }))).to.match(/maxNewTokens is 1025/);
      expect(problem(request({ temperatureMilli: 2001 }))).to.match(/temperatureMilli is 2001/);
      const oneTensor = encodeTensors([{ dtype: DType.INT32, decimals: 0, shape: [1, 2], data: [1n, 2n] }]);
      expect((checkGenerationRequest(oneTensor, limits) as { problem?: string }).problem).to.match(/2 tensors/);
      expect(() => checkGenerationRequest(new Uint8Array([1, 2, 3]), limits)).to.throw();
    });
  });
});
