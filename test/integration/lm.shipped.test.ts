import { readFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";

import { sha256 } from "../../offchain/lm/build.js";
import { Decoder, DecoderInputError } from "../../offchain/lm/decoder.js";
import { inspectOnnx } from "../../offchain/model/inspect.js";
import { readShippedLanguageModel, SHIPPED_LM_DIR, type ShippedLanguageModel } from "../../offchain/lm/shipped.js";
import { SHIPPED_LM_SHA256 } from "./helpers/lmPins.js";
import { expectNear } from "./helpers/assertions.js";

describe("shipped language model (models/lm/)", function () {
  this.timeout(60_000);

  let shipped: ShippedLanguageModel;
  let decoder: Decoder;
  before(async function () {
    shipped = await readShippedLanguageModel();
    decoder = await Decoder.load({ model: shipped.model, tokenizer: shipped.tokenizer });
  });
  after(async function () {
    await decoder?.close();
  });

  it("test_shippedFiles_haveThePinnedSha256", function () {
    expect({
      model: sha256(shipped.model),
      modelNoCache: sha256(shipped.modelNoCache),
      tokenizer: sha256(shipped.tokenizer),
    }).to.deep.equal(SHIPPED_LM_SHA256);
  });

  it("test_modelJson_recordsTheSha256AndSizeOfEveryFile", async function () {
    for (const entry of Object.values(shipped.card.files)) {
      const bytes = await readFile(path.join(SHIPPED_LM_DIR, entry.file));
      expect([sha256(bytes), bytes.length], entry.file).to.deep.equal([entry.sha256, entry.sizeBytes]);
    }
  });

  it("test_shippedFiles_fitIn5MB", async function () {
    const card = await readFile(path.join(SHIPPED_LM_DIR, "model.json"));
    const total = shipped.model.length + shipped.modelNoCache.length + shipped.tokenizer.length + card.length;
    expect(total).to.be.at.most(5 * 1024 * 1024);
  });

  it("test_modelJson_recordsConsistentHeldOutFigures_belowTheUnigramEntropy", function () {
    const { heldOut, dataset } = shipped.card;
    expect(heldOut.tokens).to.equal(dataset.heldOutTokens - 1);
    expectNear(heldOut.perplexity, Math.exp(heldOut.loss), 1e-9);
    expectNear(heldOut.bitsPerCharacter, (heldOut.loss * heldOut.tokens) / Math.LN2 / heldOut.bytes, 1e-9);
    // Token frequencies alone (a unigram model of the training tokens) give 3.30 bits/character on this split.
    expect(heldOut.bitsPerCharacter).to.be.below(3.3);
  });

  it("test_decoder_readsVocabularyContextAndEndOfSequenceFromTheFiles", function () {
    const card = shipped.card;
    expect([decoder.vocabSize, decoder.contextLength, decoder.eosTokenId, decoder.hasCache]).to.deep.equal([
      card.vocabSize,
      card.contextLength,
      card.eosTokenId,
      true,
    ]);
    expect(inspectOnnx(shipped.modelNoCache).decoder).to.include({
      vocabSize: card.vocabSize,
      contextLength: card.contextLength,
      layers: card.architecture.layers,
      hasCache: false,
    });
  });

  it("test_revert_step_promptLongerThanTheContext", async function () {
    const error = await decoder.logits(new Array<number>(decoder.contextLength + 1).fill(5)).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(DecoderInputError).and.have.property("reason", "CONTEXT_EXCEEDED");
  });

  it("test_revert_step_tokenOutsideTheVocabulary", async function () {
    const error = await decoder.logits([1, decoder.vocabSize]).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(DecoderInputError).and.have.property("reason", "TOKEN_OUT_OF_VOCABULARY");
  });

  it("test_revert_step_noTokens", async function () {
    const error = await decoder.step([]).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(DecoderInputError).and.have.property("reason", "EMPTY");
  });
});
