import { expect } from "chai";
import ort from "onnxruntime-node";

import { trainBpe } from "../../offchain/lm/bpe.js";
import { DIMS } from "../../offchain/lm/convention.js";
import { loadBrownCorpus } from "../../offchain/lm/corpus.js";
import { Decoder } from "../../offchain/lm/decoder.js";
import { buildGpt2Onnx, type Gpt2Config, randomGpt2Weights } from "../../offchain/lm/gpt2.js";
import { initLlamaWeights, type LlamaConfig, type LlamaWeights } from "../../offchain/lm/llama.js";
import { buildLlamaOnnx } from "../../offchain/lm/llamaOnnx.js";
import { gpt2ReferenceLogits } from "./helpers/gpt2Reference.js";

/** The Optimum names, element types and dimensions of a decoder's inputs and outputs (offchain/lm/convention.ts). */
function optimumSignature(layers: number, heads: number, headDim: number, vocab: number, cache: boolean) {
  const kv = (prefix: string, length: string) =>
    Array.from({ length: layers }, (_, l) =>
      ["key", "value"].map((part) => ({
        name: `${prefix}.${l}.${part}`,
        type: "float32",
        shape: [DIMS.batch, heads, length, headDim],
      })),
    ).flat();
  return cache
    ? {
        inputs: [
          { name: "input_ids", type: "int64", shape: ["batch_size", "sequence_length"] },
          { name: "attention_mask", type: "int64", shape: ["batch_size", "past_sequence_length + sequence_length"] },
          { name: "position_ids", type: "int64", shape: ["batch_size", "sequence_length"] },
          ...kv("past_key_values", "past_sequence_length"),
        ],
        outputs: [
          { name: "logits", type: "float32", shape: ["batch_size", "sequence_length", vocab] },
          ...kv("present", "past_sequence_length + sequence_length"),
        ],
      }
    : {
        inputs: [
          { name: "input_ids", type: "int64", shape: ["batch_size", "sequence_length"] },
          { name: "attention_mask", type: "int64", shape: ["batch_size", "sequence_length"] },
        ],
        outputs: [{ name: "logits", type: "float32", shape: ["batch_size", "sequence_length", vocab] }],
      };
}

async function sessionSignature(bytes: Uint8Array) {
  const session = await ort.InferenceSession.create(bytes);
  const describe = (metadata: readonly ort.InferenceSession.ValueMetadata[]) =>
    metadata.map((m) => ({ name: m.name, type: m.isTensor ? m.type : "?", shape: m.isTensor ? [...m.shape] : [] }));
  const signature = { inputs: describe(session.inputMetadata), outputs: describe(session.outputMetadata) };
  await session.release();
  return signature;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).to.equal(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

/** Greedy generation step by step with the cache; returns the ids and the logits of every step's new position. */
async function generateGreedy(decoder: Decoder, prompt: number[], steps: number) {
  const ids = [...prompt];
  const rows: Float32Array[] = [];
  let { logits, cache } = await decoder.step(prompt);
  rows.push(...logits.map((r) => Float32Array.from(r)));
  for (let i = 0; i < steps; i++) {
    const last = logits[logits.length - 1] as Float32Array;
    let best = 0;
    for (let v = 1; v < last.length; v++) if ((last[v] as number) > (last[best] as number)) best = v;
    ids.push(best);
    ({ logits, cache } = await decoder.step([best], cache));
    rows.push(Float32Array.from(logits[0] as Float32Array));
  }
  return { ids, rows };
}

const GPT2_SMALL: Gpt2Config = {
  vocabSize: 300,
  contextLength: 40,
  layers: 2,
  dModel: 32,
  heads: 4,
  layerNormEpsilon: 1e-5,
};
const GPT2_OTHER: Gpt2Config = {
  vocabSize: 300,
  contextLength: 24,
  layers: 3,
  dModel: 48,
  heads: 6,
  layerNormEpsilon: 1e-5,
};
const LLAMA_SMALL: LlamaConfig = {
  vocabSize: 300,
  contextLength: 40,
  layers: 2,
  dModel: 32,
  heads: 4,
  ffnHidden: 48,
  ropeTheta: 10000,
  normEpsilon: 1e-5,
  tieEmbeddings: true,
};

/** Llama weights scaled up so the logits are far from uniform (every weight then matters). */
function peakyLlama(config: LlamaConfig, seed: number): LlamaWeights {
  const w = initLlamaWeights(config, seed);
  for (const layer of w.layers) {
    for (const key of ["wq", "wk", "wv", "wo", "wGate", "wUp", "wDown"] as const)
      layer[key] = layer[key].map((x) => x * 25);
  }
  w.embed = w.embed.map((x) => x * 40);
  return w;
}

describe("language model ONNX decoders (Optimum I/O, GPT-2 and Llama layouts)", function () {
  this.timeout(120_000);

  let tokenizerJson: object;
  before(function () {
    const texts = loadBrownCorpus()
      .train.slice(0, 3)
      .map((t) => t.text);
    tokenizerJson = trainBpe(texts, { vocabSize: 300, specialTokens: ["<|endoftext|>"] });
  });

  describe("I/O convention", function () {
    for (const cache of [true, false]) {
      it(`test_gpt2_${cache ? "withCache" : "noCache"}_hasExactlyTheOptimumInputsAndOutputs`, async function () {
        const bytes = buildGpt2Onnx(randomGpt2Weights(GPT2_SMALL, 1), { cache });
        expect(await sessionSignature(bytes)).to.deep.equal(optimumSignature(2, 4, 8, 300, cache));
      });

      it(`test_llama_${cache ? "withCache" : "noCache"}_hasExactlyTheOptimumInputsAndOutputs`, async function () {
        const bytes = buildLlamaOnnx(initLlamaWeights(LLAMA_SMALL, 1), { cache });
        expect(await sessionSignature(bytes)).to.deep.equal(optimumSignature(2, 4, 8, 300, cache));
      });
    }

    it("test_gpt2_sameSeed_givesTheSameBytes_otherSeed_otherBytes", function () {
      const a = buildGpt2Onnx(randomGpt2Weights(GPT2_SMALL, 3));
      expect(Buffer.from(buildGpt2Onnx(randomGpt2Weights(GPT2_SMALL, 3))).equals(Buffer.from(a))).to.equal(true);
      expect(Buffer.from(buildGpt2Onnx(randomGpt2Weights(GPT2_SMALL, 4))).equals(Buffer.from(a))).to.equal(false);
    });
  });

  describe("GPT-2 layout", function () {
    const ids = [5, 17, 299, 0, 42, 42, 8, 123, 77, 3, 250, 19];

    for (const config of [GPT2_SMALL, GPT2_OTHER]) {
      const size = `${config.layers}x${config.dModel}`;
      it(`test_gpt2_${size}_noCachePass_matchesTheFloat64Reference`, async function () {
        const weights = randomGpt2Weights(config, 7, 0.3);
        const decoder = await Decoder.load({
          model: buildGpt2Onnx(weights, { cache: false }),
          tokenizer: tokenizerJson,
        });
        const logits = await decoder.logits(ids);
        await decoder.close();
        const reference = gpt2ReferenceLogits(weights, ids);
        expect(
          maxAbsDiff(
            logits.flatMap((r) => [...r]),
            reference.flatMap((r) => [...r]),
          ),
        ).to.be.below(1e-4);
      });

      it(`test_gpt2_${size}_cachedSteps_matchTheFloat64Reference`, async function () {
        const weights = randomGpt2Weights(config, 7, 0.3);
        const decoder = await Decoder.load({ model: buildGpt2Onnx(weights), tokenizer: tokenizerJson });
        const { ids: generated, rows } = await generateGreedy(decoder, ids.slice(0, 4), 8);
        await decoder.close();
        const reference = gpt2ReferenceLogits(weights, generated.slice(0, rows.length));
        expect(
          maxAbsDiff(
            rows.flatMap((r) => [...r]),
            reference.flatMap((r) => [...r]),
          ),
        ).to.be.below(1e-4);
      });
    }

    it("test_gpt2_positionBeyondTheContext_isRefusedBeforeRunning", async function () {
      const decoder = await Decoder.load({
        model: buildGpt2Onnx(randomGpt2Weights(GPT2_OTHER, 1)),
        tokenizer: tokenizerJson,
      });
      expect(decoder.contextLength).to.equal(GPT2_OTHER.contextLength);
      const { cache } = await decoder.step(new Array<number>(24).fill(1));
      const error = await decoder.step([1], cache).catch((e: unknown) => e);
      await decoder.close();
      expect(error).to.have.property("reason", "CONTEXT_EXCEEDED");
    });
  });

  describe("cache against no cache (both layouts)", function () {
    const prompt = [11, 200, 3, 3, 57];
    const layouts = {
      gpt2: (cache: boolean) => buildGpt2Onnx(randomGpt2Weights(GPT2_SMALL, 11, 0.3), { cache }),
      llama: (cache: boolean) => buildLlamaOnnx(peakyLlama(LLAMA_SMALL, 11), { cache }),
    };
    for (const [layout, build] of Object.entries(layouts)) {
      it(`test_${layout}_greedySteps_withCache_giveTheLogitsOfOneNoCachePass`, async function () {
        const cached = await Decoder.load({ model: build(true), tokenizer: tokenizerJson });
        const { ids, rows } = await generateGreedy(cached, prompt, 24);
        await cached.close();
        const plain = await Decoder.load({ model: build(false), tokenizer: tokenizerJson });
        const full = await plain.logits(ids.slice(0, rows.length));
        await plain.close();
        expect(
          maxAbsDiff(
            rows.flatMap((r) => [...r]),
            full.flatMap((r) => [...r]),
          ),
        ).to.be.at.most(1e-4);
      });

      it(`test_${layout}_cachedModel_fromAnEmptyCache_equalsTheNoCacheModel`, async function () {
        const ids = [...prompt, 1, 2, 3, 250];
        const cached = await Decoder.load({ model: build(true), tokenizer: tokenizerJson });
        const plain = await Decoder.load({ model: build(false), tokenizer: tokenizerJson });
        const a = await cached.logits(ids);
        const b = await plain.logits(ids);
        await cached.close();
        await plain.close();
        expect(
          maxAbsDiff(
            a.flatMap((r) => [...r]),
            b.flatMap((r) => [...r]),
          ),
        ).to.be.at.most(1e-5);
      });

      it(`test_${layout}_noCacheModel_servesStepsByRecomputing`, async function () {
        const plain = await Decoder.load({ model: build(false), tokenizer: tokenizerJson });
        expect(plain.hasCache).to.equal(false);
        const first = await plain.step(prompt);
        const second = await plain.step([9], first.cache);
        const full = await plain.logits([...prompt, 9]);
        await plain.close();
        expect([...(second.logits[0] as Float32Array)]).to.deep.equal([...(full[prompt.length] as Float32Array)]);
      });

      it(`test_${layout}_noCache_leftPaddedRow_givesTheLogitsOfTheUnpaddedSequence`, async function () {
        // Batch of two: [pad, pad, prompt] with mask [0, 0, 1 …] and the prompt alone; positions come from the mask.
        const session = await ort.InferenceSession.create(build(false));
        const int64 = (values: number[], dims: number[]) =>
          new ort.Tensor(
            "int64",
            BigInt64Array.from(values, (v) => BigInt(v)),
            dims,
          );
        const padded = await session.run({
          input_ids: int64([0, 0, ...prompt], [1, prompt.length + 2]),
          attention_mask: int64([0, 0, ...prompt.map(() => 1)], [1, prompt.length + 2]),
        });
        const alone = await session.run({
          input_ids: int64(prompt, [1, prompt.length]),
          attention_mask: int64(
            prompt.map(() => 1),
            [1, prompt.length],
          ),
        });
        await session.release();
        const vocab = LLAMA_SMALL.vocabSize;
        const paddedRows = (padded.logits?.data as Float32Array).subarray(2 * vocab);
        expect(maxAbsDiff(paddedRows, alone.logits?.data as Float32Array)).to.be.at.most(1e-5);
      });
    }

    it("test_llama_causalMask_laterTokensDoNotChangeEarlierLogits", async function () {
      const plain = await Decoder.load({ model: layouts.llama(false), tokenizer: tokenizerJson });
      const a = await plain.logits([...prompt, 1, 2]);
      const b = await plain.logits([...prompt, 299, 150]);
      await plain.close();
      expect(
        maxAbsDiff(
          a.slice(0, prompt.length).flatMap((r) => [...r]),
          b.slice(0, prompt.length).flatMap((r) => [...r]),
        ),
      ).to.equal(0);
      expect(maxAbsDiff(a[prompt.length + 1] as Float32Array, b[prompt.length + 1] as Float32Array)).to.be.above(1e-3);
    });
  });
});
