import * as tf from "@tensorflow/tfjs";
import { expect } from "chai";

import { Decoder } from "../../offchain/lm/decoder.js";
import { initLlamaWeights, type LlamaConfig, type LlamaWeights } from "../../offchain/lm/llama.js";
import { buildLlamaOnnx, readLlamaOnnx } from "../../offchain/lm/llamaOnnx.js";
import { readShippedLanguageModel, type ShippedLanguageModel } from "../../offchain/lm/shipped.js";
import { TfLlama, useWasmBackend } from "../../offchain/lm/tfModel.js";
import { evaluateLm, learningRateAt, type LmTrainingConfig, trainLm } from "../../offchain/lm/train.js";
import { expectNear } from "./helpers/assertions.js";

const TINY: LlamaConfig = {
  vocabSize: 64,
  contextLength: 32,
  layers: 2,
  dModel: 16,
  heads: 2,
  ffnHidden: 24,
  ropeTheta: 10000,
  normEpsilon: 1e-5,
  tieEmbeddings: true,
};

const TRAINING: LmTrainingConfig = {
  phases: [{ steps: 4, batchSize: 4, seqLength: 16 }],
  learningRate: 1e-2,
  warmupSteps: 2,
  finalLearningRate: 1e-3,
  weightDecay: 0.1,
  gradientClip: 1,
  beta1: 0.9,
  beta2: 0.95,
  epsilon: 1e-8,
};

/** A token stream with structure to learn: a fixed pattern of period 21. */
function patternStream(length: number, vocab: number): Int32Array {
  return Int32Array.from({ length }, (_, i) => ((i % 7) * 5 + (Math.floor(i / 7) % 3)) % vocab);
}

function tfLogits(model: TfLlama, ids: number[]): Float32Array {
  return tf.tidy(() => model.forward(tf.tensor2d([ids], [1, ids.length], "int32")).dataSync() as Float32Array);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).to.equal(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

function sameWeights(a: LlamaWeights, b: LlamaWeights): boolean {
  const arrays = (w: LlamaWeights) => [w.embed, w.finalNorm, ...w.layers.flatMap((l) => Object.values(l))];
  const x = arrays(a);
  const y = arrays(b);
  return (
    x.length === y.length && x.every((t, i) => Buffer.from(t.buffer).equals(Buffer.from((y[i] as Float32Array).buffer)))
  );
}

describe("language model: tfjs trainer and its ONNX export (Llama layout)", function () {
  this.timeout(300_000);

  before(async function () {
    await useWasmBackend();
  });

  describe("training", function () {
    it("test_training_sameSeed_givesBitIdenticalWeights", async function () {
      const run = async (): Promise<LlamaWeights> => {
        const model = new TfLlama(initLlamaWeights(TINY, 5));
        await trainLm(model, patternStream(400, TINY.vocabSize), TRAINING, 9);
        const weights = await model.toWeights();
        model.dispose();
        return weights;
      };
      const first = await run();
      expect(sameWeights(first, await run())).to.equal(true);
      expect(sameWeights(first, initLlamaWeights(TINY, 5))).to.equal(false);
    });

    it("test_training_lowersTheLoss_onAPatternedStream", async function () {
      const stream = patternStream(600, TINY.vocabSize);
      const bytes = new Array<number>(TINY.vocabSize).fill(1);
      const model = new TfLlama(initLlamaWeights(TINY, 2));
      const before = await evaluateLm(model, stream.subarray(0, 100), 16, 4, bytes);
      await trainLm(model, stream, { ...TRAINING, phases: [{ steps: 40, batchSize: 8, seqLength: 16 }] }, 1);
      const after = await evaluateLm(model, stream.subarray(0, 100), 16, 4, bytes);
      model.dispose();
      expectNear(before.loss, Math.log(TINY.vocabSize), 0.3);
      expect(after.loss).to.be.below(before.loss / 2);
    });

    it("test_evaluate_predictsEveryTokenAfterTheFirstOnce", async function () {
      const model = new TfLlama(initLlamaWeights(TINY, 2));
      const stream = patternStream(50, TINY.vocabSize); // 3 windows of 16 and a last one of 1
      const bytes = Array.from({ length: TINY.vocabSize }, (_, id) => id % 3);
      const evaluation = await evaluateLm(model, stream, 16, 2, bytes);
      model.dispose();
      expect(evaluation.tokens).to.equal(49);
      expect(evaluation.bytes).to.equal([...stream.subarray(1)].reduce((sum, id) => sum + (id % 3), 0));
      expectNear(evaluation.perplexity, Math.exp(evaluation.loss), 1e-9);
    });

    it("test_learningRate_warmsUpLinearly_thenDecaysToTheFinalRate", function () {
      const config = { ...TRAINING, phases: [{ steps: 100, batchSize: 1, seqLength: 1 }], warmupSteps: 10 };
      expectNear(learningRateAt(5, 100, config), 5e-3, 1e-12);
      expectNear(learningRateAt(10, 100, config), 1e-2, 1e-12);
      expectNear(learningRateAt(100, 100, config), 1e-3, 1e-12);
    });
  });

  describe("tfjs against onnxruntime", function () {
    const ids = [1, 9, 33, 63, 0, 12, 12, 40, 7, 21, 5, 58];

    it("test_tfjsForward_matchesOnnxruntime_forSeededWeights", async function () {
      const weights = initLlamaWeights(TINY, 3);
      for (const layer of weights.layers) layer.wq = layer.wq.map((x) => x * 30);
      weights.embed = weights.embed.map((x) => x * 50);
      const model = new TfLlama(weights);
      const expected = tfLogits(model, ids);
      model.dispose();
      for (const cache of [true, false]) {
        const decoder = await Decoder.load({ model: buildLlamaOnnx(weights, { cache }), tokenizer: tinyTokenizer() });
        const logits = await decoder.logits(ids);
        await decoder.close();
        expect(
          maxAbsDiff(
            logits.flatMap((r) => [...r]),
            expected,
          ),
          `cache ${cache}`,
        ).to.be.below(1e-4);
      }
    });

    it("test_readLlamaOnnx_recoversWeightsThatRebuildTheSameBytes", function () {
      const weights = initLlamaWeights({ ...TINY, tieEmbeddings: false }, 4);
      const bytes = buildLlamaOnnx(weights, { docString: "d", metadata: { "opg.name": "x" } });
      const read = readLlamaOnnx(bytes);
      expect([read.cache, read.docString, read.metadata]).to.deep.equal([true, "d", { "opg.name": "x" }]);
      const rebuilt = buildLlamaOnnx(read.weights, { cache: true, docString: "d", metadata: read.metadata });
      expect(Buffer.from(rebuilt).equals(Buffer.from(bytes))).to.equal(true);
    });
  });

  describe("shipped model", function () {
    let shipped: ShippedLanguageModel;
    before(async function () {
      shipped = await readShippedLanguageModel();
    });

    it("test_shippedModel_tfjsForward_matchesOnnxruntime", async function () {
      const decoder = await Decoder.load({ model: shipped.model, tokenizer: shipped.tokenizer });
      const prompt = decoder.tokenizer.encode("The Fulton County Grand Jury said Friday an investigation of");
      const onnxLogits = await decoder.logits(prompt);
      await decoder.close();
      const model = new TfLlama(readLlamaOnnx(shipped.model).weights);
      const expected = tfLogits(model, prompt);
      model.dispose();
      expect(
        maxAbsDiff(
          onnxLogits.flatMap((r) => [...r]),
          expected,
        ),
      ).to.be.below(1e-4);
    });

    it("test_shippedNoCacheFile_holdsTheWeightsOfTheCachedFile", function () {
      const read = readLlamaOnnx(shipped.model);
      const rebuilt = buildLlamaOnnx(read.weights, {
        cache: false,
        ...(read.docString !== undefined ? { docString: read.docString } : {}),
        metadata: read.metadata,
      });
      expect(Buffer.from(rebuilt).equals(Buffer.from(shipped.modelNoCache))).to.equal(true);
    });

    it("test_shippedModel_64GreedyStepsWithCache_matchOneNoCachePass", async function () {
      const cached = await Decoder.load({ model: shipped.model, tokenizer: shipped.tokenizer });
      const prompt = cached.tokenizer.encode("It was a dark and stormy night, and");
      const ids = [...prompt];
      let { logits, cache } = await cached.step(prompt);
      const rows = logits.map((r) => Float32Array.from(r));
      for (let i = 0; i < 64; i++) {
        const last = logits[logits.length - 1] as Float32Array;
        let best = 0;
        for (let v = 1; v < last.length; v++) if ((last[v] as number) > (last[best] as number)) best = v;
        ids.push(best);
        ({ logits, cache } = await cached.step([best], cache));
        rows.push(Float32Array.from(logits[0] as Float32Array));
      }
      await cached.close();
      const plain = await Decoder.load({ model: shipped.modelNoCache, tokenizer: shipped.tokenizer });
      const full = await plain.logits(ids);
      await plain.close();
      expect(
        maxAbsDiff(
          rows.flatMap((r) => [...r]),
          full.flatMap((r) => [...r]),
        ),
      ).to.be.at.most(1e-4);
    });
  });
});

/** A 64-token byte-level tokenizer (63 byte symbols are enough for the ids these tests feed). */
function tinyTokenizer(): object {
  const vocab: Record<string, number> = {};
  for (let i = 0; i < 63; i++) vocab[String.fromCharCode(0x21 + i)] = i;
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: "1.0",
    added_tokens: [
      {
        id: 63,
        content: "<|endoftext|>",
        special: true,
        normalized: false,
        lstrip: false,
        rstrip: false,
        single_word: false,
      },
    ],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: byteLevel,
    decoder: byteLevel,
    model: { type: "BPE", vocab, merges: [], unk_token: null, byte_fallback: false, ignore_merges: false },
  };
}
