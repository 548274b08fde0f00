import { expect } from "chai";

import { BpeTrainingError, byteSymbols, trainBpe } from "../../offchain/lm/bpe.js";
import { buildLmTokenizer, LM_EOS_TOKEN, LM_VOCAB_SIZE, sha256 } from "../../offchain/lm/build.js";
import { type BrownCorpus, detokenize, loadBrownCorpus, tokenStream } from "../../offchain/lm/corpus.js";
import { LmTokenizer, TokenizerError } from "../../offchain/lm/tokenizer.js";
import { SHIPPED_LM_SHA256 } from "./helpers/lmPins.js";

describe("language model tokenizer (byte-level BPE on the Brown corpus)", function () {
  this.timeout(120_000);

  let corpus: BrownCorpus;
  let json: string;
  let tokenizer: LmTokenizer;
  before(function () {
    corpus = loadBrownCorpus();
    json = buildLmTokenizer(corpus);
    tokenizer = LmTokenizer.load(json);
  });

  describe("corpus", function () {
    it("test_detokenize_stripsTags_attachesPunctuation_andWritesQuotes", function () {
      const formC =
        "\n\n\tThe/at jury/nn said/vbd ,/, ``/`` no/at evidence/nn ''/'' ./.\n\n\t(/( Atlanta's/np$ )/) !/.\n";
      expect(detokenize(formC)).to.equal('The jury said, "no evidence". (Atlanta\'s)!');
    });

    it("test_split_holdsOutEveryTenthText_fromEveryGenre", function () {
      expect([corpus.train.length, corpus.heldOut.length]).to.deep.equal([450, 50]);
      expect(corpus.heldOut.slice(0, 3).map((t) => t.name)).to.deep.equal(["ca10", "ca20", "ca30"]);
      const trainNames = new Set(corpus.train.map((t) => t.name));
      expect(corpus.heldOut.some((t) => trainNames.has(t.name))).to.equal(false);
      expect(new Set(corpus.heldOut.map((t) => t.genre)).size).to.equal(15);
    });

    it("test_texts_areAsciiWithoutTags", function () {
      for (const t of [...corpus.train, ...corpus.heldOut]) {
        expect(/^[\x20-\x7e]+$/.test(t.text), t.name).to.equal(true);
        expect(t.text.includes("/at "), t.name).to.equal(false);
      }
    });

    it("test_tokenStream_endsEveryTextWithTheEndOfSequenceToken", function () {
      const texts = corpus.heldOut.slice(0, 2);
      const stream = tokenStream(texts, (t) => tokenizer.encode(t), tokenizer.eosTokenId);
      const first = tokenizer.encode(texts[0]?.text ?? "");
      expect(stream[first.length]).to.equal(tokenizer.eosTokenId);
      expect(stream[stream.length - 1]).to.equal(tokenizer.eosTokenId);
      expect([...stream].filter((id) => id === tokenizer.eosTokenId)).to.have.length(2);
    });
  });

  describe("tokenizer.json", function () {
    it("test_training_reproducesTheShippedTokenizer", function () {
      expect(sha256(new TextEncoder().encode(json))).to.equal(SHIPPED_LM_SHA256.tokenizer);
    });

    it("test_vocabulary_isBytesThenMergesThenEndOfText", function () {
      expect(tokenizer.vocabSize).to.equal(LM_VOCAB_SIZE);
      expect([tokenizer.eosToken, tokenizer.eosTokenId]).to.deep.equal([LM_EOS_TOKEN, LM_VOCAB_SIZE - 1]);
      const vocab = (JSON.parse(json) as { model: { vocab: Record<string, number> } }).model.vocab;
      byteSymbols().forEach((symbol, byte) => expect(vocab[symbol]).to.equal(byte));
      expect(new Set(Object.values(vocab)).size).to.equal(LM_VOCAB_SIZE - 1);
    });

    it("test_roundTrip_isExact_forEveryHeldOutText", function () {
      for (const t of corpus.heldOut) expect(tokenizer.decode(tokenizer.encode(t.text)), t.name).to.equal(t.text);
    });

    it("test_roundTrip_isExact_forSpacesPunctuationAndNonAscii", function () {
      for (const text of [
        "  two  spaces , before .",
        "tab\tand\nnewline",
        "café ☕ naïve — 日本",
        "x" + "!".repeat(300),
      ]) {
        expect(tokenizer.decode(tokenizer.encode(text))).to.equal(text);
      }
    });

    it("test_encode_compressesCorpusText_andMapsTheEndOfTextToken", function () {
      const text = corpus.heldOut[0]?.text ?? "";
      expect(text.length / tokenizer.encode(text).length).to.be.above(2.4);
      expect(tokenizer.encode(`a${LM_EOS_TOKEN}b`)).to.deep.equal([
        ...tokenizer.encode("a"),
        tokenizer.eosTokenId,
        ...tokenizer.encode("b"),
      ]);
      expect(tokenizer.decode([tokenizer.eosTokenId])).to.equal(LM_EOS_TOKEN);
    });

    it("test_emptyText_encodesToNoTokens_andDecodesBack", function () {
      expect(tokenizer.encode("")).to.deep.equal([]);
      expect(tokenizer.decode([])).to.equal("");
    });

    it("test_revert_load_unknownEosToken", function () {
      expect(() => LmTokenizer.load(json, { eosToken: "</s>" })).to.throw(TokenizerError, '"</s>"');
    });

    it("test_revert_trainBpe_vocabularySmallerThanTheBytes", function () {
      expect(() => trainBpe(["abc"], { vocabSize: 200, specialTokens: [] })).to.throw(BpeTrainingError, "200");
    });
  });
});
