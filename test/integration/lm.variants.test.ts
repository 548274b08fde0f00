/**
 * Model variants for the LLM benchmark (offchain/lm/variants.ts): float16 rounding against every float16 value,
 * initializers rewritten without touching the rest of the file, and the float16 / noisy variants of the shipped
 * model.
 */
import { expect } from "chai";

import { Decoder } from "../../offchain/lm/decoder.js";
import { readShippedLanguageModel, type ShippedLanguageModel } from "../../offchain/lm/shipped.js";
import {
  float16Variant,
  mapFloatInitializers,
  ModelVariantError,
  noisyVariant,
  roundToFloat16,
} from "../../offchain/lm/variants.js";
import { SeededRandom } from "../../offchain/zoo/random.js";
import { expectNear } from "./helpers/assertions.js";

/** The value of float16 bit pattern `bits` (sign 1, exponent 5, mantissa 10 bits), decoded independently. */
function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** The positive finite float16 values in increasing order; index = bit pattern (0x0000 … 0x7bff). */
const POSITIVE = Array.from({ length: 0x7c00 }, (_, bits) => float16Value(bits));

/** The nearest float16 value to `x > 0` by search over {@link POSITIVE}, ties to the even bit pattern. */
function nearestFloat16(x: number): number {
  if (x >= 65520) return Infinity; // halfway between 65504 and 2^16
  let lo = 0;
  let hi = POSITIVE.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (POSITIVE[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  if (lo === POSITIVE.length - 1) return POSITIVE[lo]!;
  const below = POSITIVE[lo]!;
  const above = POSITIVE[lo + 1]!;
  if (x - below < above - x) return below;
  if (x - below > above - x) return above;
  return lo % 2 === 0 ? below : above;
}

describe("Model variants (offchain/lm/variants.ts)", function () {
  this.timeout(60_000);

  let shipped: ShippedLanguageModel;
  before(async function () {
    shipped = await readShippedLanguageModel();
  });

  /** The float32 initializers of `model` by name. */
  function initializers(model: Uint8Array): Map<string, Float32Array> {
    const found = new Map<string, Float32Array>();
    mapFloatInitializers(model, (name, values) => {
      found.set(name, Float32Array.from(values));
      return null;
    });
    return found;
  }

  it("testFuzz_roundToFloat16_isTheNearestFloat16Value", function () {
    const rng = new SeededRandom(16);
    for (let i = 0; i < 5_000; i++) {
      const magnitude = 2 ** (rng.nextInt(48) - 30); // 2^-30 … 2^17: subnormals, normals and overflow
      const x = Math.fround(rng.next() * magnitude);
      if (x === 0) continue;
      expect(roundToFloat16(x), `x = ${x}`).to.equal(nearestFloat16(x));
      expect(roundToFloat16(-x), `x = ${-x}`).to.equal(-nearestFloat16(x));
    }
  });

  it("test_roundToFloat16_halfwayBetweenTwoValues_goesToTheEvenOne", function () {
    // Subnormal, smallest normal and large neighbours: the midpoint is exact in float64.
    for (const bits of [0x0001, 0x0002, 0x03ff, 0x0400, 0x3c00, 0x3c01, 0x7bfe]) {
      const midpoint = (POSITIVE[bits]! + POSITIVE[bits + 1]!) / 2;
      expect(roundToFloat16(midpoint), `between patterns ${bits} and ${bits + 1}`).to.equal(
        POSITIVE[bits % 2 === 0 ? bits : bits + 1],
      );
    }
  });

  it("test_roundToFloat16_beyondTheRangeIsInfinite_belowHalfTheSmallestSubnormalIsZero", function () {
    expect([roundToFloat16(65519.9), roundToFloat16(65520), roundToFloat16(-1e6)]).to.deep.equal([
      65504,
      Infinity,
      -Infinity,
    ]);
    expect([roundToFloat16(2 ** -25), roundToFloat16(2 ** -25 * 1.0001), roundToFloat16(1e-9)]).to.deep.equal([
      0,
      2 ** -24,
      0,
    ]);
  });

  it("test_mapFloatInitializers_keepingEveryInitializer_returnsTheSameBytes", function () {
    const same = mapFloatInitializers(shipped.model, () => null);
    expect(Buffer.from(same.model).equals(Buffer.from(shipped.model))).to.equal(true);
    expect(same.stats.initializers).to.equal(0);
  });

  it("test_float16Variant_storesOnlyFloat16Values_andChangesAlmostEveryValue", function () {
    const variant = float16Variant(shipped.model);
    const original = initializers(shipped.model);
    const rounded = initializers(variant.model);
    expect([...rounded.keys()]).to.deep.equal([...original.keys()]);
    const wrong: string[] = [];
    for (const [name, values] of rounded) {
      const before = original.get(name)!;
      values.forEach((v, i) => {
        const b = before[i]!;
        const expected = Math.sign(b) * nearestFloat16(Math.min(65504, Math.abs(b)));
        if (v !== expected) wrong.push(`${name}[${i}]: ${b} → ${v}, expected ${expected}`);
      });
    }
    expect(wrong.slice(0, 3)).to.deep.equal([]);
    expect(variant.stats.changed / variant.stats.values).to.be.greaterThan(0.99);
  });

  it("test_float16Variant_loadsAsADecoder_withLogitsNearButNotEqualToTheOriginal", async function () {
    const prompt = [84, 257, 503, 328, 121, 556, 326, 260, 270, 415];
    const real = await Decoder.load({ model: shipped.model, tokenizer: shipped.tokenizer });
    const variant = await Decoder.load({ model: float16Variant(shipped.model).model, tokenizer: shipped.tokenizer });
    try {
      expect(variant.signature).to.deep.equal(real.signature);
      const [a, b] = [(await real.logits(prompt)).at(-1)!, (await variant.logits(prompt)).at(-1)!];
      const largest = a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
      expect(largest).to.be.greaterThan(0);
      expectNear(largest, 0, 0.01, "largest logit difference");
    } finally {
      await real.close();
      await variant.close();
    }
  });

  it("test_noisyVariant_sameSeedGivesTheSameBytes_anotherSeedOthers", function () {
    const a = noisyVariant(shipped.model, { seed: 1, relativeSigma: 0.01 }).model;
    const b = noisyVariant(shipped.model, { seed: 1, relativeSigma: 0.01 }).model;
    const c = noisyVariant(shipped.model, { seed: 2, relativeSigma: 0.01 }).model;
    expect(Buffer.from(a).equals(Buffer.from(b))).to.equal(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).to.equal(false);
  });

  it("test_noisyVariant_changesEachWeightTensorByTheRelativeSigma_notTheRotaryTablesOrScalars", function () {
    const variant = noisyVariant(shipped.model, { seed: 3, relativeSigma: 0.01 });
    for (const t of variant.stats.tensors) expectNear(t.relativeChange, 0.01, 0.003, t.name);
    const changed = new Set(variant.stats.tensors.map((t) => t.name));
    const original = initializers(shipped.model);
    const after = initializers(variant.model);
    for (const [name, values] of original) {
      if (changed.has(name)) continue;
      expect(name.includes("rotary_emb") || values.length === 1, name).to.equal(true);
      expect(Array.from(after.get(name)!), name).to.deep.equal(Array.from(values));
    }
    expect(changed.has("model.embed_tokens.weight")).to.equal(true);
  });

  it("test_revert_noisyVariant_negativeSigma", function () {
    expect(() => noisyVariant(shipped.model, { seed: 1, relativeSigma: -0.01 })).to.throw(
      ModelVariantError,
      /relativeSigma is -0.01/,
    );
  });

  it("test_revert_mapFloatInitializers_bytesThatAreNoOnnxModel", function () {
    expect(() => mapFloatInitializers(new Uint8Array([0xff, 0xff, 0xff]), () => null)).to.throw(ModelVariantError);
  });
});
