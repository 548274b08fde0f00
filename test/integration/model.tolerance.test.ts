import { createHash } from "node:crypto";

import { expect } from "chai";

import { DType, encodeCanonicalOutputs, encodeTensors, type TensorData } from "../../offchain/codec/tensor.js";
import { encodeErrorResult } from "../../offchain/model/errorResult.js";
import { buildDemoModels } from "../../offchain/model/onnxBuilder.js";
import { ModelRuntime } from "../../offchain/model/runtime.js";
import { ComparisonInputError, compareOutputs } from "../../offchain/model/tolerance.js";

function fixed(data: bigint[], shape: number[] = [data.length], decimals = 6): TensorData {
  return { dtype: DType.FIXED64, decimals, shape, data };
}

function enc(...tensors: TensorData[]): Uint8Array {
  return encodeTensors(tensors);
}

const TOL = 10n;
const BASE = [1_000_000n, -250_000n, 0n, 42n];

function shifted(index: number, by: bigint): bigint[] {
  return BASE.map((x, i) => (i === index ? x + by : x));
}

describe("model tolerance", function () {
  describe("FIXED64 and integer elements", function () {
    it("agrees within, at, and disagrees one unit beyond the tolerance", function () {
      const expected = enc(fixed(BASE));
      const within = compareOutputs(expected, enc(fixed(shifted(1, TOL - 1n))), TOL);
      expect(within).to.deep.include({ agree: true, maxAbsDiff: TOL - 1n });
      const at = compareOutputs(expected, enc(fixed(shifted(1, -TOL))), TOL);
      expect(at).to.deep.include({ agree: true, maxAbsDiff: TOL });
      const beyond = compareOutputs(expected, enc(fixed(shifted(1, TOL + 1n))), TOL);
      expect(beyond).to.deep.include({ agree: false, maxAbsDiff: TOL + 1n });
      expect(beyond.reason).to.match(
        /tensor 0 element 1: posted -249989, expected -250000, difference 11 > tolerance 10/,
      );
      const beyondBelow = compareOutputs(expected, enc(fixed(shifted(3, -(TOL + 1n)))), TOL);
      expect(beyondBelow.agree).to.equal(false);
    });

    it("does not require equal bytes, and equal bytes agree", function () {
      const expected = enc(fixed(BASE));
      const posted = enc(fixed(shifted(0, 1n)));
      expect(createHash("sha256").update(posted).digest("hex")).to.not.equal(
        createHash("sha256").update(expected).digest("hex"),
      );
      expect(compareOutputs(expected, posted, TOL).agree).to.equal(true);
      expect(compareOutputs(expected, expected, 0n)).to.deep.include({ agree: true, maxAbsDiff: 0n });
      expect(compareOutputs(expected, posted, 0n)).to.deep.include({ agree: false, maxAbsDiff: 1n });
    });

    it("reports the largest difference over every tensor and the first offending element", function () {
      const expected = enc(fixed(BASE), { dtype: DType.INT64, decimals: 0, shape: [2], data: [5n, 7n] });
      const posted = enc(fixed(shifted(2, 50n)), { dtype: DType.INT64, decimals: 0, shape: [2], data: [5n, 107n] });
      const result = compareOutputs(expected, posted, TOL);
      expect(result.agree).to.equal(false);
      expect(result.maxAbsDiff).to.equal(100n);
      expect(result.reason).to.match(/^tensor 0 element 2/);
    });

    it("applies the tolerance to integer dtypes and handles the int64 extremes", function () {
      const min = -(1n << 63n);
      const max = (1n << 63n) - 1n;
      const a = enc({ dtype: DType.INT32, decimals: 0, shape: [2], data: [100n, -100n] });
      const b = enc({ dtype: DType.INT32, decimals: 0, shape: [2], data: [103n, -97n] });
      expect(compareOutputs(a, b, 3n)).to.deep.include({ agree: true, maxAbsDiff: 3n });
      expect(compareOutputs(a, b, 2n).agree).to.equal(false);
      const extremes = compareOutputs(enc(fixed([min])), enc(fixed([max])), TOL);
      expect(extremes).to.deep.include({ agree: false, maxAbsDiff: max - min });
    });

    it("compares BOOL exactly whatever the tolerance", function () {
      const a = enc({ dtype: DType.BOOL, decimals: 0, shape: [3], data: [true, false, true] });
      const b = enc({ dtype: DType.BOOL, decimals: 0, shape: [3], data: [true, true, true] });
      expect(compareOutputs(a, a, 0n).agree).to.equal(true);
      const result = compareOutputs(a, b, 1_000n);
      expect(result.agree).to.equal(false);
      expect(result.reason).to.match(/element 1.*BOOL is exact/);
    });
  });

  describe("structure", function () {
    const expected = enc(fixed(BASE, [2, 2]));

    it("disagrees on a different shape, even with the same elements", function () {
      for (const shape of [[4], [1, 4], [2, 2, 1]]) {
        const result = compareOutputs(expected, enc(fixed(BASE, shape)), TOL);
        expect(result.agree, String(shape)).to.equal(false);
        expect(result.reason).to.match(/shape/);
      }
    });

    it("disagrees on a different dtype, decimals or tensor count", function () {
      const int64 = enc({ dtype: DType.INT64, decimals: 0, shape: [2, 2], data: BASE });
      expect(compareOutputs(expected, int64, TOL).reason).to.match(/dtype int64, expected fixed64/);
      expect(compareOutputs(expected, enc(fixed(BASE, [2, 2], 5)), TOL).reason).to.match(/5 decimals, expected 6/);
      const two = enc(fixed(BASE, [2, 2]), fixed(BASE, [2, 2]));
      expect(compareOutputs(expected, two, TOL).reason).to.match(/posted 2 tensor\(s\), expected 1/);
      const floats = enc({ dtype: DType.FLOAT, decimals: 0, shape: [2, 2], data: [1, -0.25, 0, 0] });
      expect(compareOutputs(expected, floats, TOL).agree).to.equal(false);
    });

    it("disagrees with posted bytes that do not decode", function () {
      for (const posted of [
        new Uint8Array(0),
        expected.subarray(0, expected.length - 1),
        Uint8Array.from([...expected, 0]),
      ]) {
        const result = compareOutputs(expected, posted, TOL);
        expect(result.agree).to.equal(false);
        expect(result.reason).to.match(/neither a tensor encoding nor an error result/);
      }
    });

    it("throws when the verifier's own result or the tolerance is unusable", function () {
      expect(() => compareOutputs(new Uint8Array([1, 2]), expected, TOL)).to.throw(ComparisonInputError, /local bug/);
      const raw = enc({ dtype: DType.FLOAT, decimals: 0, shape: [1], data: [1] });
      expect(() => compareOutputs(raw, raw, TOL)).to.throw(ComparisonInputError, /encodeCanonicalOutputs/);
      expect(() => compareOutputs(expected, expected, -1n)).to.throw(ComparisonInputError, /tolerance/);
    });
  });

  describe("error results", function () {
    const output = enc(fixed(BASE));

    it("agree only with an error result of the same code", function () {
      const runtimeError = encodeErrorResult("MODEL_RUNTIME");
      expect(compareOutputs(runtimeError, encodeErrorResult("MODEL_RUNTIME"), 0n)).to.deep.include({
        agree: true,
        maxAbsDiff: 0n,
      });
      const other = compareOutputs(runtimeError, encodeErrorResult("INPUT_SCHEMA"), TOL);
      expect(other.agree).to.equal(false);
      expect(other.reason).to.match(/posted error result INPUT_SCHEMA, expected error result MODEL_RUNTIME/);
    });

    it("agree only when an input error's detail is the same too", function () {
      const fiveWide = encodeErrorResult("INPUT_SCHEMA", 'input 0 ("x") dimension 1 is 5, expected 4');
      expect(compareOutputs(fiveWide, fiveWide.slice(), 0n).agree).to.equal(true);
      const other = compareOutputs(fiveWide, encodeErrorResult("INPUT_SCHEMA", 'input 0 ("x") must be float32'), TOL);
      expect(other.agree).to.equal(false);
      expect(other.reason).to.match(/different detail/);
    });

    it("never agree with an output, either way round", function () {
      expect(compareOutputs(output, encodeErrorResult("OUTPUT_INVALID"), 10n ** 18n).agree).to.equal(false);
      expect(compareOutputs(encodeErrorResult("OUTPUT_INVALID"), output, 10n ** 18n).agree).to.equal(false);
      const unknown = new TextEncoder().encode("OPG-ERROR/1:SOMETHING_ELSE");
      expect(compareOutputs(encodeErrorResult("INPUT_DECODE"), unknown, TOL).agree).to.equal(false);
    });
  });

  describe("with the runtime", function () {
    it("accepts a worker output that differs from the verifier's by a last-digit float difference", async function () {
      const iris = buildDemoModels().find((m) => m.name === "iris-linear");
      if (iris === undefined) expect.fail("iris-linear demo model missing");
      const runtime = new ModelRuntime();
      const hash = `0x${createHash("sha256").update(iris.bytes).digest("hex")}`;
      const model = await runtime.load(hash, iris.bytes);
      const outcome = await runtime.run(model, encodeTensors([iris.exampleInput]), iris.outputDecimals);
      await runtime.close();
      if (outcome.kind !== "ok") expect.fail(outcome.detail);
      const probabilities = outcome.tensors[0]?.data as bigint[];
      // A worker whose float32 results differ in the last bits: re-canonicalise slightly perturbed floats.
      const perturbed = probabilities.map((p, i) => Number(p) / 10 ** iris.outputDecimals + (i === 0 ? 3e-6 : -4e-6));
      const posted = encodeCanonicalOutputs(
        [{ dtype: DType.DOUBLE, decimals: 0, shape: outcome.tensors[0]?.shape ?? [], data: perturbed }],
        iris.outputDecimals,
      );
      expect(compareOutputs(outcome.output, posted, iris.tolerance)).to.deep.include({ agree: true, maxAbsDiff: 4n });
      expect(compareOutputs(outcome.output, posted, 3n).agree).to.equal(false);
    });
  });
});
