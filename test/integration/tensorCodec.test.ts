import { expect } from "chai";
import { network } from "hardhat";

import {
  canonicalizeOutputs,
  decodeTensors,
  DType,
  encodeCanonicalOutputs,
  encodeTensors,
  TensorCodecError,
  type TensorCodecErrorCode,
  type TensorData,
  toFixed64,
} from "../../offchain/codec/tensor.js";
import type { TensorCodecHarness } from "../../typechain-types/index.js";

const { ethers, networkHelpers } = await network.create();

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

async function deployHarness(): Promise<{ harness: TensorCodecHarness }> {
  const harness = await ethers.deployContract("TensorCodecHarness");
  return { harness };
}

function float32Bits(x: number): bigint {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, x, false);
  return BigInt(view.getUint32(0, false));
}

function float64Bits(x: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x, false);
  return view.getBigUint64(0, false);
}

function expectCodecError(fn: () => unknown, code: TensorCodecErrorCode): TensorCodecError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(TensorCodecError);
    const codecError = error as TensorCodecError;
    expect(codecError.code).to.equal(code);
    return codecError;
  }
  expect.fail(`expected a TensorCodecError ${code}`);
}

/** One tensor per dtype, with values at the edges of each range. */
const EVERY_DTYPE: TensorData[] = [
  { dtype: DType.FLOAT, decimals: 0, shape: [2, 2], data: [1, -1.5, 3.4028234663852886e38, -0] },
  { dtype: DType.UINT8, decimals: 0, shape: [3], data: [0n, 127n, 255n] },
  { dtype: DType.INT8, decimals: 0, shape: [3], data: [-128n, -1n, 127n] },
  { dtype: DType.INT16, decimals: 0, shape: [3], data: [-32768n, 0n, 32767n] },
  { dtype: DType.INT32, decimals: 0, shape: [1, 3], data: [-2147483648n, 42n, 2147483647n] },
  { dtype: DType.INT64, decimals: 0, shape: [3], data: [INT64_MIN, -7n, INT64_MAX] },
  { dtype: DType.BOOL, decimals: 0, shape: [2, 1, 2], data: [true, false, false, true] },
  { dtype: DType.DOUBLE, decimals: 0, shape: [3], data: [Math.PI, -1e-300, 1.7976931348623157e308] },
  { dtype: DType.UINT32, decimals: 0, shape: [2], data: [0n, 4294967295n] },
  { dtype: DType.UINT64, decimals: 0, shape: [2], data: [1n, (1n << 64n) - 1n] },
  { dtype: DType.FIXED64, decimals: 6, shape: [], data: [-1_500_000n] },
];

function expectedBits(tensor: TensorData): bigint[] {
  return tensor.data.map((value: bigint | number | boolean) => {
    if (typeof value === "boolean") return value ? 1n : 0n;
    if (typeof value === "number") return tensor.dtype === DType.FLOAT ? float32Bits(value) : float64Bits(value);
    const width =
      tensor.dtype === DType.INT8 ? 8 : tensor.dtype === DType.INT16 ? 16 : tensor.dtype === DType.INT32 ? 32 : 64;
    return BigInt.asUintN(width, value);
  });
}

describe("TensorCodec (TypeScript encoder ↔ Solidity decoder)", function () {
  describe("byte compatibility", function () {
    it("decodes on-chain what tensor.ts encodes, for every dtype", async function () {
      const { harness } = await networkHelpers.loadFixture(deployHarness);
      const bytes = encodeTensors(EVERY_DTYPE);
      const decoded = await harness.decode(bytes);
      expect(decoded.length).to.equal(EVERY_DTYPE.length);

      for (const [t, tensor] of EVERY_DTYPE.entries()) {
        const onChain = decoded[t];
        if (onChain === undefined) expect.fail(`tensor ${t} missing`);
        expect(onChain.dtype).to.equal(BigInt(tensor.dtype));
        expect(onChain.decimals).to.equal(BigInt(tensor.decimals));
        expect(onChain.shape.map(Number)).to.deep.equal(tensor.shape);
        expect(onChain.elementCount).to.equal(BigInt(tensor.data.length));

        expect(await harness.tensorBits(bytes, t)).to.deep.equal(expectedBits(tensor));
        if (tensor.dtype !== DType.FLOAT && tensor.dtype !== DType.DOUBLE) {
          const ints = await harness.tensorInts(bytes, t);
          const expected = tensor.data.map((v: bigint | number | boolean) =>
            typeof v === "boolean" ? (v ? 1n : 0n) : BigInt(v),
          );
          expect(ints).to.deep.equal(expected);
        }
      }
    });

    it("round-trips through decodeTensors", function () {
      const decoded = decodeTensors(encodeTensors(EVERY_DTYPE));
      const floatTensor = decoded[0];
      expect(floatTensor?.data).to.deep.equal([1, -1.5, 3.4028234663852886e38, -0]);
      expect(decoded.slice(1)).to.deep.equal(EVERY_DTYPE.slice(1));
    });

    it("accepts safe-integer numbers for integer dtypes", function () {
      const bytes = encodeTensors([{ dtype: DType.INT16, decimals: 0, shape: [2], data: [-3, 4] }]);
      expect(decodeTensors(bytes)[0]?.data).to.deep.equal([-3n, 4n]);
    });

    it("encodes the documented example byte for byte", async function () {
      const { harness } = await networkHelpers.loadFixture(deployHarness);
      const bytes = encodeCanonicalOutputs([{ dtype: DType.FLOAT, decimals: 0, shape: [2], data: [1.5, -0.25] }], 2);
      expect(ethers.hexlify(bytes)).to.equal("0x4f50470101800201000000020000000000000096ffffffffffffffe7");
      const [index, value] = await harness.argmaxOf(bytes, 0);
      expect(index).to.equal(0n);
      expect(value).to.equal(150n);
    });

    it("agrees with the on-chain argmax on a canonical classifier output", async function () {
      const { harness } = await networkHelpers.loadFixture(deployHarness);
      const logits = [0.1, -2, 3.25, 3.25, 1];
      const bytes = encodeCanonicalOutputs([{ dtype: DType.FLOAT, decimals: 0, shape: [1, 5], data: logits }], 4);
      const [index, value] = await harness.argmaxOf(bytes, 0);
      expect(index).to.equal(2n);
      expect(value).to.equal(32500n);
    });

    it("reports the same truncation as the Solidity decoder", async function () {
      const { harness } = await networkHelpers.loadFixture(deployHarness);
      const bytes = encodeTensors(EVERY_DTYPE);
      for (const cut of [1, 7, bytes.length - 5, bytes.length]) {
        const short = bytes.subarray(0, bytes.length - cut);
        expectCodecError(() => decodeTensors(short), "TRUNCATED");
        await expect(harness.decode(short)).to.be.revertedWithCustomError(harness, "TensorCodecTruncated");
      }
    });

    it("rejects the same malformed encodings as the Solidity decoder", async function () {
      const { harness } = await networkHelpers.loadFixture(deployHarness);
      const cases: Array<[string, TensorCodecErrorCode, string, unknown[]]> = [
        ["0x4f504801010200000005", "BAD_MAGIC", "TensorCodecBadMagic", ["0x4f5048"]],
        ["0x4f504702010200000005", "UNSUPPORTED_VERSION", "TensorCodecUnsupportedVersion", [2n]],
        ["0x4f50470100", "BAD_TENSOR_COUNT", "TensorCodecBadTensorCount", [0n, 16n]],
        ["0x4f50470101040000", "UNKNOWN_DTYPE", "TensorCodecUnknownDtype", [0n, 4n]],
        ["0x4f50470101020009", "RANK_TOO_HIGH", "TensorCodecRankTooHigh", [0n, 9n, 8n]],
        ["0x4f504701010702000000000000000005", "DECIMALS_ON_NON_FIXED", "TensorCodecDecimalsOnNonFixed", [0n, 7n, 2n]],
        ["0x4f504701010900010000000102", "INVALID_BOOL", "TensorCodecInvalidBool", [12n, 2n]],
        ["0x4f50470101020000050000", "TRAILING_BYTES", "TensorCodecTrailingBytes", [9n, 11n]],
      ];
      for (const [hex, code, error, args] of cases) {
        const bytes = ethers.getBytes(hex);
        expectCodecError(() => decodeTensors(bytes), code);
        await expect(harness.decode(bytes))
          .to.be.revertedWithCustomError(harness, error)
          .withArgs(...args);
      }
    });
  });

  describe("toFixed64", function () {
    it("rounds half away from zero", function () {
      expect(toFixed64(0.5, 0)).to.equal(1n);
      expect(toFixed64(-0.5, 0)).to.equal(-1n);
      expect(toFixed64(2.5, 0)).to.equal(3n);
      expect(toFixed64(-2.5, 0)).to.equal(-3n);
      expect(toFixed64(0.49999999999999994, 0)).to.equal(0n);
      expect(toFixed64(-0.49999999999999994, 0)).to.equal(0n);
      expect(toFixed64(-0, 3)).to.equal(0n);
      expect(toFixed64(1.234567, 6)).to.equal(1234567n);
    });

    it("rounds the double product, not the decimal literal", function () {
      // 2.675 is 2.67499999999999982236431605997495353221893310546875, but 2.675 * 100 rounds to exactly 267.5.
      expect(2.675 * 100).to.equal(267.5);
      expect(toFixed64(2.675, 2)).to.equal(268n);
      // 1.005 * 100 = 100.49999999999999 in doubles.
      expect(toFixed64(1.005, 2)).to.equal(100n);
    });

    it("widens float32 outputs exactly before scaling", function () {
      const f = Math.fround(0.1); // 0.100000001490116119384765625
      expect(toFixed64(f, 9)).to.equal(100000001n);
      // The exact product is 100000001490116119.38...; the double product (ulp 16 here) is 100000001490116112.
      expect(toFixed64(f, 18)).to.equal(100000001490116112n);
    });

    it("saturates at the int64 bounds", function () {
      expect(toFixed64(1e300, 0)).to.equal(INT64_MAX);
      expect(toFixed64(-1e300, 0)).to.equal(INT64_MIN);
      expect(toFixed64(Infinity, 2)).to.equal(INT64_MAX);
      expect(toFixed64(-Infinity, 2)).to.equal(INT64_MIN);
      expect(toFixed64(9.3e18, 0)).to.equal(INT64_MAX);
      expect(toFixed64(-(2 ** 63), 0)).to.equal(INT64_MIN);
      expect(toFixed64(2 ** 62, 0)).to.equal(1n << 62n);
      expect(toFixed64(10, 18)).to.equal(INT64_MAX); // 1e19 > 2^63 - 1
    });

    it("throws a TensorCodecError for NaN", function () {
      const error = expectCodecError(() => toFixed64(NaN, 2), "NAN");
      expect(error.message).to.match(/error result/);
    });

    it("rejects decimals outside 0..255", function () {
      expectCodecError(() => toFixed64(1, 256), "BAD_DECIMALS");
      expectCodecError(() => toFixed64(1, 1.5), "BAD_DECIMALS");
    });
  });

  describe("canonicalizeOutputs", function () {
    it("converts float tensors to FIXED64 and keeps integer and bool tensors", function () {
      const out = canonicalizeOutputs(
        [
          { dtype: DType.FLOAT, decimals: 0, shape: [2], data: [0.125, -1] },
          { dtype: DType.DOUBLE, decimals: 0, shape: [1], data: [2.675] },
          { dtype: DType.INT64, decimals: 0, shape: [1], data: [5n] },
          { dtype: DType.BOOL, decimals: 0, shape: [1], data: [true] },
          { dtype: DType.FIXED64, decimals: 2, shape: [1], data: [7n] },
        ],
        2,
      );
      expect(out).to.deep.equal([
        { dtype: DType.FIXED64, decimals: 2, shape: [2], data: [13n, -100n] },
        { dtype: DType.FIXED64, decimals: 2, shape: [1], data: [268n] },
        { dtype: DType.INT64, decimals: 0, shape: [1], data: [5n] },
        { dtype: DType.BOOL, decimals: 0, shape: [1], data: [true] },
        { dtype: DType.FIXED64, decimals: 2, shape: [1], data: [7n] },
      ]);
    });

    it("fails on NaN and on FIXED64 with other decimals", function () {
      expectCodecError(
        () => canonicalizeOutputs([{ dtype: DType.FLOAT, decimals: 0, shape: [1], data: [NaN] }], 2),
        "NAN",
      );
      expectCodecError(
        () => canonicalizeOutputs([{ dtype: DType.FIXED64, decimals: 3, shape: [1], data: [1n] }], 2),
        "BAD_DECIMALS",
      );
    });
  });

  describe("encoder validation", function () {
    it("rejects tensors that do not fit the format", function () {
      const ok: TensorData = { dtype: DType.INT8, decimals: 0, shape: [1], data: [1n] };
      expectCodecError(() => encodeTensors([]), "BAD_TENSOR_COUNT");
      expectCodecError(() => encodeTensors(new Array<TensorData>(17).fill(ok)), "BAD_TENSOR_COUNT");
      expectCodecError(() => encodeTensors([{ ...ok, dtype: 4 as DType }]), "UNKNOWN_DTYPE");
      expectCodecError(() => encodeTensors([{ ...ok, decimals: 2 }]), "DECIMALS_ON_NON_FIXED");
      expectCodecError(() => encodeTensors([{ ...ok, shape: [1, 1, 1, 1, 1, 1, 1, 1, 1] }]), "RANK_TOO_HIGH");
      expectCodecError(() => encodeTensors([{ ...ok, shape: [-1] }]), "BAD_DIMENSION");
      expectCodecError(() => encodeTensors([{ ...ok, shape: [2] }]), "DATA_LENGTH_MISMATCH");
      expectCodecError(() => encodeTensors([{ ...ok, data: [128n] }]), "BAD_ELEMENT");
      expectCodecError(() => encodeTensors([{ ...ok, data: [1.5] }]), "BAD_ELEMENT");
      expectCodecError(() => encodeTensors([{ ...ok, dtype: DType.BOOL, data: [1n] }]), "BAD_ELEMENT");
      expectCodecError(() => encodeTensors([{ ...ok, dtype: DType.FLOAT, data: [1n] }]), "BAD_ELEMENT");
      expectCodecError(() => encodeTensors([{ ...ok, dtype: DType.UINT64, data: [-1n] }]), "BAD_ELEMENT");
    });
  });
});
