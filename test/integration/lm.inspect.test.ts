import { expect } from "chai";
import onnxProto from "onnx-proto";

import { buildGpt2Onnx, randomGpt2Weights } from "../../offchain/lm/gpt2.js";
import { initLlamaWeights, type LlamaConfig } from "../../offchain/lm/llama.js";
import { buildLlamaOnnx } from "../../offchain/lm/llamaOnnx.js";
import { buildDemoModels } from "../../offchain/model/onnxBuilder.js";
import { assertServable, inspectOnnx, UnsupportedModelError } from "../../offchain/model/inspect.js";

const { onnx } = onnxProto;

const LLAMA: LlamaConfig = {
  vocabSize: 96,
  contextLength: 48,
  layers: 3,
  dModel: 24,
  heads: 3,
  ffnHidden: 32,
  ropeTheta: 10000,
  normEpsilon: 1e-5,
  tieEmbeddings: true,
};
const GPT2 = { vocabSize: 80, contextLength: 20, layers: 2, dModel: 16, heads: 2, layerNormEpsilon: 1e-5 };

/** `bytes` re-encoded after `edit` changed the decoded model. */
function edited(bytes: Uint8Array, edit: (model: onnxProto.onnx.ModelProto) => void): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  edit(model);
  return Uint8Array.from(onnx.ModelProto.encode(model).finish());
}

describe("model inspection of causal language models", function () {
  it("test_inspect_llamaWithCache_reportsKindVocabularyContextAndLayers", function () {
    const info = inspectOnnx(buildLlamaOnnx(initLlamaWeights(LLAMA, 1)));
    expect(info.decoder).to.deep.equal({
      kind: "CAUSAL_LM",
      vocabSize: 96,
      contextLength: 48,
      layers: 3,
      hasCache: true,
      hasPositionIds: true,
      kvHeads: 3,
      headDim: 8,
      problem: null,
    });
  });

  it("test_inspect_gpt2WithoutMetadata_takesTheContextFromThePositionEmbedding", function () {
    const bytes = edited(buildGpt2Onnx(randomGpt2Weights(GPT2, 1)), (m) => {
      m.metadataProps = [];
    });
    const info = inspectOnnx(bytes);
    expect(info.metadata).to.deep.equal({});
    expect([info.decoder?.contextLength, info.decoder?.vocabSize, info.decoder?.layers]).to.deep.equal([20, 80, 2]);
  });

  it("test_inspect_noCacheDecoder_takesTheLayersFromTheMetadata", function () {
    const info = inspectOnnx(buildLlamaOnnx(initLlamaWeights(LLAMA, 1), { cache: false }));
    expect(info.decoder).to.include({
      hasCache: false,
      hasPositionIds: false,
      layers: 3,
      contextLength: 48,
      problem: null,
    });
  });

  it("test_inspect_tensorModel_isNoDecoder", function () {
    for (const demo of buildDemoModels()) expect(inspectOnnx(demo.bytes).decoder).to.equal(null);
  });

  it("test_assertServable_acceptsDecodersWithAndWithoutCache", function () {
    for (const cache of [true, false]) {
      expect(() => assertServable(inspectOnnx(buildGpt2Onnx(randomGpt2Weights(GPT2, 1), { cache })))).to.not.throw();
      expect(() => assertServable(inspectOnnx(buildLlamaOnnx(initLlamaWeights(LLAMA, 1), { cache })))).to.not.throw();
    }
  });

  it("test_revert_assertServable_pastInputsWithoutPresentOutputs", function () {
    const bytes = edited(buildGpt2Onnx(randomGpt2Weights(GPT2, 1)), (m) => {
      const graph = m.graph as onnxProto.onnx.GraphProto;
      graph.output = graph.output.filter((o) => o.name === "logits");
    });
    const info = inspectOnnx(bytes);
    expect(info.decoder?.problem).to.include("2 past_key_values layer(s) but 0 present");
    expect(() => assertServable(info)).to.throw(UnsupportedModelError, "looks like a causal language model");
  });

  it("test_revert_assertServable_inputIdsNotInt64", function () {
    const bytes = edited(buildGpt2Onnx(randomGpt2Weights(GPT2, 1), { cache: false }), (m) => {
      const input = (m.graph as onnxProto.onnx.GraphProto).input.find((i) => i.name === "input_ids");
      const tensorType = input?.type?.tensorType;
      if (tensorType === null || tensorType === undefined) expect.fail("input_ids has no tensor type");
      tensorType.elemType = onnx.TensorProto.DataType.INT32;
    });
    expect(() => assertServable(inspectOnnx(bytes))).to.throw(UnsupportedModelError, '"input_ids" is int32');
  });
});
