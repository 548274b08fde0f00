// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BaseTest} from "./utils/BaseTest.sol";
import {TensorCodec} from "../../contracts/libraries/TensorCodec.sol";
import {TensorCodecHarness} from "../../contracts/mocks/TensorCodecHarness.sol";

contract TensorCodecTest is BaseTest {
    /// @dev A tensor to encode: header and the raw (masked) element bits.
    struct Spec {
        uint8 dtype;
        uint8 decimals;
        uint32[] shape;
        uint256[] raw;
    }

    TensorCodecHarness internal harness;

    uint8[11] internal DTYPES = [1, 2, 3, 5, 6, 7, 9, 11, 12, 13, 128];

    function setUp() public {
        harness = new TensorCodecHarness();
    }

    // ------------------------------------------------------------------------------------------ encoder helpers

    function _width(uint8 dtype) internal pure returns (uint256) {
        if (dtype == 2 || dtype == 3 || dtype == 9) return 1;
        if (dtype == 5) return 2;
        if (dtype == 1 || dtype == 6 || dtype == 12) return 4;
        return 8;
    }

    function _signed(uint8 dtype) internal pure returns (bool) {
        return dtype == 3 || dtype == 5 || dtype == 6 || dtype == 7 || dtype == 128;
    }

    function _isFloat(uint8 dtype) internal pure returns (bool) {
        return dtype == 1 || dtype == 11;
    }

    function _be(uint256 value, uint256 width) internal pure returns (bytes memory b) {
        b = new bytes(width);
        for (uint256 i; i < width; ++i) b[width - 1 - i] = bytes1(uint8(value >> (8 * i)));
    }

    function _encode(Spec[] memory specs) internal pure returns (bytes memory out) {
        out = abi.encodePacked(bytes3(0x4f5047), uint8(1), uint8(specs.length));
        for (uint256 t; t < specs.length; ++t) {
            Spec memory s = specs[t];
            out = abi.encodePacked(out, s.dtype, s.decimals, uint8(s.shape.length));
            for (uint256 d; d < s.shape.length; ++d) out = abi.encodePacked(out, s.shape[d]);
            uint256 width = _width(s.dtype);
            for (uint256 i; i < s.raw.length; ++i) out = abi.encodePacked(out, _be(s.raw[i], width));
        }
    }

    function _spec(
        uint8 dtype,
        uint8 decimals,
        uint32[] memory shape,
        uint256[] memory raw
    ) internal pure returns (Spec[] memory specs) {
        specs = new Spec[](1);
        specs[0] = Spec(dtype, decimals, shape, raw);
    }

    function _vector(uint8 dtype, uint256[] memory raw) internal pure returns (bytes memory) {
        uint32[] memory shape = new uint32[](1);
        shape[0] = uint32(raw.length);
        return _encode(_spec(dtype, 0, shape, raw));
    }

    function _one(uint256 a) internal pure returns (uint256[] memory r) {
        r = new uint256[](1);
        r[0] = a;
    }

    function _four(uint256 a, uint256 b, uint256 c, uint256 d) internal pure returns (uint256[] memory r) {
        r = new uint256[](4);
        (r[0], r[1], r[2], r[3]) = (a, b, c, d);
    }

    /// @dev Random specs: 1..4 tensors, any dtype, rank 0..3, dims 0..3, random element bits.
    function _randomSpecs(uint256 seed) internal view returns (Spec[] memory specs) {
        specs = new Spec[](1 + (seed % 4));
        for (uint256 t; t < specs.length; ++t) {
            uint256 r = uint256(keccak256(abi.encode(seed, t)));
            uint8 dtype = DTYPES[r % 11];
            uint8 decimals = dtype == 128 ? uint8((r >> 8) % 19) : 0;
            uint32[] memory shape = new uint32[]((r >> 16) % 4);
            uint256 count = 1;
            for (uint256 d; d < shape.length; ++d) {
                shape[d] = uint32((r >> (24 + 8 * d)) % 4);
                count *= shape[d];
            }
            uint256[] memory raw = new uint256[](count);
            uint256 width = _width(dtype);
            for (uint256 i; i < count; ++i) {
                uint256 v = uint256(keccak256(abi.encode(seed, t, i)));
                raw[i] = dtype == 9 ? v & 1 : v & ((1 << (8 * width)) - 1);
            }
            specs[t] = Spec(dtype, decimals, shape, raw);
        }
    }

    function _expectedInt(uint8 dtype, uint256 raw) internal pure returns (int256 v) {
        if (!_signed(dtype)) return int256(raw);
        uint256 signByte = _width(dtype) - 1;
        assembly {
            v := signextend(signByte, raw)
        }
    }

    function _selector(bytes memory reason) internal pure returns (bytes4 sel) {
        assembly {
            sel := mload(add(reason, 0x20))
        }
    }

    // ------------------------------------------------------------------------------------------ decode: success

    function test_decode_documentExample() public view {
        bytes memory data = hex"4f5047_01_01_80_02_01_00000002_0000000000000096_ffffffffffffffe7";
        TensorCodec.Tensor[] memory ts = harness.decode(data);
        assertEq(ts.length, 1, "count");
        assertEq(ts[0].dtype, 128, "dtype");
        assertEq(ts[0].decimals, 2, "decimals");
        assertEq(ts[0].shape.length, 1, "rank");
        assertEq(ts[0].shape[0], 2, "dim");
        assertEq(ts[0].elementCount, 2, "elements");
        assertEq(ts[0].dataOffset, 12, "offset");
        assertEq(harness.elementAsInt(data, ts[0], 0), int256(150), "e0");
        assertEq(harness.elementAsInt(data, ts[0], 1), int256(-25), "e1");
        (uint256 index, int256 value) = harness.argmax(data, ts[0]);
        assertEq(index, 0, "argmax index");
        assertEq(value, int256(150), "argmax value");
    }

    function test_decode_scalarRank0() public view {
        bytes memory data = hex"4f5047_01_01_06_00_00_fffffffe";
        TensorCodec.Tensor[] memory ts = harness.decode(data);
        assertEq(ts[0].shape.length, 0, "rank 0");
        assertEq(ts[0].elementCount, 1, "one element");
        assertEq(harness.elementAsInt(data, ts[0], 0), int256(-2), "value");
    }

    function test_decode_zeroDimension() public {
        bytes memory data = hex"4f5047_01_02_07_00_02_00000003_00000000_09_00_01_00000001_01";
        TensorCodec.Tensor[] memory ts = harness.decode(data);
        assertEq(ts[0].elementCount, 0, "empty tensor");
        assertEq(ts[1].dataOffset, ts[0].dataOffset + 3 + 4, "next tensor right after the dims");
        assertEq(harness.elementAsInt(data, ts[1], 0), int256(1), "bool true");
        vm.expectRevert(abi.encodeWithSelector(TensorCodec.TensorCodecEmptyTensor.selector));
        harness.argmax(data, ts[0]);
    }

    function test_decode_maxTensorsAndMaxRank() public view {
        Spec[] memory specs = new Spec[](16);
        uint32[] memory shape = new uint32[](8);
        for (uint256 d; d < 8; ++d) shape[d] = 1;
        for (uint256 t; t < 16; ++t) specs[t] = Spec(2, 0, shape, _one(t));
        bytes memory data = _encode(specs);
        TensorCodec.Tensor[] memory ts = harness.decode(data);
        assertEq(ts.length, 16, "16 tensors");
        for (uint256 t; t < 16; ++t) {
            assertEq(ts[t].shape.length, 8, "rank 8");
            assertEq(uint256(harness.elementAsInt(data, ts[t], 0)), t, "value");
        }
    }

    function test_decode_fixed64MaxDecimals() public view {
        bytes memory data = hex"4f5047_01_01_80_ff_00_8000000000000000";
        TensorCodec.Tensor[] memory ts = harness.decode(data);
        assertEq(ts[0].decimals, 255, "decimals");
        assertEq(harness.elementAsInt(data, ts[0], 0), type(int64).min, "int64 min");
    }

    // ------------------------------------------------------------------------------------------ decode: reverts

    function test_revert_decode_badMagic() public {
        vm.expectRevert(abi.encodeWithSelector(TensorCodec.TensorCodecBadMagic.selector, bytes3(0x4f5048)));
        harness.decode(hex"4f5048_01_01_02_00_00_05");
    }

    function test_revert_decode_unsupportedVersion() public {
        vm.expectRevert(abi.encodeWithSelector(TensorCodec.TensorCodecUnsupportedVersion.selector, uint8(2)));
        harness.decode(hex"4f5047_02_01_02_00_00_05");
        vm.expectRevert(abi.encodeWithSelector(TensorCodec.TensorCodecUnsupportedVersion.selector, uint8(0)));
        harness.decode(hex"4f5047_00_01_02_00_00_05");
    }

    function test_revert_decode_zeroTensors() public {
        vm.expectRevert(abi.encodeWithSelector(TensorCodec.TensorCodecBadTensorCount.selector, uint8(0), uint8(16)));
        harness.decode(hex"4f5047_01_00");
    }

    function test_revert_decode_tooManyTensors() public {
        vm.expectRevert(abi.encodeWithSelector(TensorCodec.TensorCodecBadTensorCount.selector, uint8(17), uint8(16)));
        harness.decode(hex"4f5047_01_11");
    }

    function test_revert_decode_unknownDtype() public {
        vm.expectRevert(abi.encodeWithSelector(TensorCodec.TensorCodecUnknownDtype.selector, uint256(0), uint8(4)));
        harness.decode(hex"4f5047_01_01_04_00_00_0005");
        vm.expectRevert(abi.encodeWithSelector(TensorCodec.TensorCodecUnknownDtype.selector, uint256(1), uint8(0)));
        harness.decode(hex"4f5047_01_02_02_00_00_05_00_00_00_05");
        vm.expectRevert(abi.encodeWithSelector(TensorCodec.TensorCodecUnknownDtype.selector, uint256(0), uint8(129)));
        harness.decode(hex"4f5047_01_01_81_00_00_0000000000000005");
    }

    function test_revert_decode_rankTooHigh() public {
        vm.expectRevert(
            abi.encodeWithSelector(TensorCodec.TensorCodecRankTooHigh.selector, uint256(0), uint8(9), uint8(8))
        );
        harness.decode(hex"4f5047_01_01_02_00_09");
    }

    function test_revert_decode_decimalsOnNonFixed() public {
        vm.expectRevert(
            abi.encodeWithSelector(TensorCodec.TensorCodecDecimalsOnNonFixed.selector, uint256(0), uint8(7), uint8(2))
        );
        harness.decode(hex"4f5047_01_01_07_02_00_0000000000000005");
    }

    function test_revert_decode_truncatedHeader() public {
        vm.expectRevert(abi.encodeWithSelector(TensorCodec.TensorCodecTruncated.selector, uint256(5), uint256(4)));
        harness.decode(hex"4f504701");
        vm.expectRevert(abi.encodeWithSelector(TensorCodec.TensorCodecTruncated.selector, uint256(5), uint256(0)));
        harness.decode("");
    }

    function test_revert_decode_truncatedTensorHeader() public {
        vm.expectRevert(abi.encodeWithSelector(TensorCodec.TensorCodecTruncated.selector, uint256(8), uint256(7)));
        harness.decode(hex"4f5047_01_01_02_00");
    }

    function test_revert_decode_truncatedDims() public {
        vm.expectRevert(abi.encodeWithSelector(TensorCodec.TensorCodecTruncated.selector, uint256(16), uint256(14)));
        harness.decode(hex"4f5047_01_01_02_00_02_00000001_0000");
    }

    function test_revert_decode_truncatedElements() public {
        vm.expectRevert(abi.encodeWithSelector(TensorCodec.TensorCodecTruncated.selector, uint256(20), uint256(19)));
        harness.decode(hex"4f5047_01_01_06_00_01_00000002_00000001_000000");
    }

    function test_revert_decode_hugeShapeSaturatesNeeded() public {
        bytes memory data = abi.encodePacked(
            hex"4f5047_01_01_07_00_08",
            hex"ffffffff_ffffffff_ffffffff_ffffffff_ffffffff_ffffffff_ffffffff_ffffffff"
        );
        vm.expectRevert(
            abi.encodeWithSelector(TensorCodec.TensorCodecTruncated.selector, type(uint256).max, data.length)
        );
        harness.decode(data);
    }

    function test_revert_decode_largeShapeReportsNeeded() public {
        bytes memory data = hex"4f5047_01_01_02_00_01_ffffffff";
        vm.expectRevert(
            abi.encodeWithSelector(TensorCodec.TensorCodecTruncated.selector, uint256(12) + 0xffffffff, uint256(12))
        );
        harness.decode(data);
    }

    function test_revert_decode_trailingBytes() public {
        vm.expectRevert(abi.encodeWithSelector(TensorCodec.TensorCodecTrailingBytes.selector, uint256(9), uint256(10)));
        harness.decode(hex"4f5047_01_01_02_00_00_05_00");
    }

    function test_revert_decode_invalidBool() public {
        vm.expectRevert(abi.encodeWithSelector(TensorCodec.TensorCodecInvalidBool.selector, uint256(13), uint8(2)));
        harness.decode(hex"4f5047_01_01_09_00_01_00000003_01_02_00");
    }

    // ------------------------------------------------------------------------------------------ element readers

    function test_elementAsInt_signExtendsPerDtype() public view {
        _checkInt(3, 0xff, -1);
        _checkInt(2, 0xff, 255);
        _checkInt(5, 0x8000, -32768);
        _checkInt(5, 0x7fff, 32767);
        _checkInt(6, 0x80000000, type(int32).min);
        _checkInt(12, 0xffffffff, int256(uint256(type(uint32).max)));
        _checkInt(7, 0x8000000000000000, type(int64).min);
        _checkInt(13, 0xffffffffffffffff, int256(uint256(type(uint64).max)));
        _checkInt(128, 0xffffffffffffffff, -1);
        _checkInt(9, 1, 1);
        _checkInt(9, 0, 0);
    }

    function _checkInt(uint8 dtype, uint256 raw, int256 expected) internal view {
        bytes memory data = _vector(dtype, _one(raw));
        TensorCodec.Tensor[] memory ts = harness.decode(data);
        assertEq(harness.elementAsInt(data, ts[0], 0), expected, "elementAsInt");
        assertEq(harness.elementBits(data, ts[0], 0), raw, "elementBits");
    }

    function test_elementBits_floatsReturnIeeeBits() public view {
        bytes memory f = _vector(1, _four(0x3f800000, 0xbf800000, 0x7fc00000, 0));
        TensorCodec.Tensor[] memory ts = harness.decode(f);
        assertEq(harness.elementBits(f, ts[0], 0), 0x3f800000, "1.0f");
        assertEq(harness.elementBits(f, ts[0], 1), 0xbf800000, "-1.0f");
        assertEq(harness.elementBits(f, ts[0], 2), 0x7fc00000, "NaN bits");
        bytes memory d = _vector(11, _one(0x3ff0000000000000));
        assertEq(harness.elementBits(d, harness.decode(d)[0], 0), 0x3ff0000000000000, "1.0");
    }

    function test_revert_elementAsInt_float() public {
        bytes memory f = _vector(1, _one(0x3f800000));
        TensorCodec.Tensor[] memory ts = harness.decode(f);
        vm.expectRevert(abi.encodeWithSelector(TensorCodec.TensorCodecFloatUseElementBits.selector, uint8(1)));
        harness.elementAsInt(f, ts[0], 0);
        bytes memory d = _vector(11, _one(0x3ff0000000000000));
        ts = harness.decode(d);
        vm.expectRevert(abi.encodeWithSelector(TensorCodec.TensorCodecFloatUseElementBits.selector, uint8(11)));
        harness.elementAsInt(d, ts[0], 0);
    }

    function test_revert_elementAsInt_indexOutOfRange() public {
        bytes memory data = _vector(2, _four(1, 2, 3, 4));
        TensorCodec.Tensor[] memory ts = harness.decode(data);
        vm.expectRevert(
            abi.encodeWithSelector(TensorCodec.TensorCodecIndexOutOfRange.selector, uint256(4), uint256(4))
        );
        harness.elementAsInt(data, ts[0], 4);
        vm.expectRevert(
            abi.encodeWithSelector(TensorCodec.TensorCodecIndexOutOfRange.selector, uint256(9), uint256(4))
        );
        harness.elementBits(data, ts[0], 9);
    }

    function test_revert_elementAsInt_forgedTensorOutOfBounds() public {
        bytes memory data = _vector(7, _one(5));
        TensorCodec.Tensor memory t = harness.decode(data)[0];
        t.elementCount = 3;
        vm.expectRevert(
            abi.encodeWithSelector(TensorCodec.TensorCodecTruncated.selector, t.dataOffset + 16, data.length)
        );
        harness.elementAsInt(data, t, 1);
        t.dataOffset = data.length + 1;
        vm.expectRevert(
            abi.encodeWithSelector(TensorCodec.TensorCodecTruncated.selector, data.length + 9, data.length)
        );
        harness.elementBits(data, t, 0);
        vm.expectRevert(
            abi.encodeWithSelector(TensorCodec.TensorCodecTruncated.selector, data.length + 25, data.length)
        );
        harness.argmax(data, t);
    }

    function test_revert_elementAsInt_forgedUnknownDtype() public {
        bytes memory data = _vector(7, _one(5));
        TensorCodec.Tensor memory t = harness.decode(data)[0];
        t.dtype = 4;
        vm.expectRevert(
            abi.encodeWithSelector(TensorCodec.TensorCodecUnknownDtype.selector, type(uint256).max, uint8(4))
        );
        harness.elementAsInt(data, t, 0);
    }

    // ------------------------------------------------------------------------------------------ argmax

    function test_argmax_firstMaximumWins() public view {
        bytes memory data = _vector(6, _four(3, 7, 7, 1));
        (uint256 index, int256 value) = harness.argmax(data, harness.decode(data)[0]);
        assertEq(index, 1, "index");
        assertEq(value, int256(7), "value");
    }

    function test_argmax_allNegative() public view {
        // FIXED64 [-5, -2, -9, -2]
        bytes memory data = _vector(
            128,
            _four(
                uint64(type(uint64).max - 4),
                uint64(type(uint64).max - 1),
                uint64(type(uint64).max - 8),
                uint64(type(uint64).max - 1)
            )
        );
        (uint256 index, int256 value) = harness.argmax(data, harness.decode(data)[0]);
        assertEq(index, 1, "index");
        assertEq(value, int256(-2), "value");
    }

    function test_argmax_int64MinOnly() public view {
        bytes memory data = _vector(7, _one(0x8000000000000000));
        (uint256 index, int256 value) = harness.argmax(data, harness.decode(data)[0]);
        assertEq(index, 0, "index");
        assertEq(value, int256(type(int64).min), "value");
    }

    function test_argmax_unsignedAndBool() public view {
        bytes memory u = _vector(13, _four(1, type(uint64).max, 2, 0));
        (uint256 index, int256 value) = harness.argmax(u, harness.decode(u)[0]);
        assertEq(index, 1, "uint64 index");
        assertEq(value, int256(uint256(type(uint64).max)), "uint64 value");
        bytes memory b = _vector(9, _four(0, 0, 1, 1));
        (index, value) = harness.argmax(b, harness.decode(b)[0]);
        assertEq(index, 2, "bool index");
        assertEq(value, int256(1), "bool value");
    }

    function test_argmax_secondTensor() public view {
        Spec[] memory specs = new Spec[](2);
        uint32[] memory shape = new uint32[](2);
        (shape[0], shape[1]) = (2, 2);
        specs[0] = Spec(3, 0, shape, _four(0x80, 0x7f, 0, 1));
        specs[1] = Spec(5, 0, shape, _four(0xffff, 0xfffe, 0x8000, 0xffff));
        bytes memory data = _encode(specs);
        (uint256 index, int256 value) = harness.argmaxOf(data, 0);
        assertEq(index, 1, "t0 index");
        assertEq(value, int256(127), "t0 value");
        (index, value) = harness.argmaxOf(data, 1);
        assertEq(index, 0, "t1 index");
        assertEq(value, int256(-1), "t1 value");
    }

    function test_revert_argmax_float() public {
        bytes memory f = _vector(11, _one(0));
        TensorCodec.Tensor memory t = harness.decode(f)[0];
        vm.expectRevert(abi.encodeWithSelector(TensorCodec.TensorCodecFloatUseElementBits.selector, uint8(11)));
        harness.argmax(f, t);
    }

    /// @dev Absolute gas figures are recorded with `snapshotGasLastCall`; the assertion is relative so it also holds
    ///      under coverage instrumentation: decoding does not scan (non-BOOL) elements, argmax does.
    function test_gas_argmax1000Fixed64() public {
        uint256[] memory raw = new uint256[](1000);
        for (uint256 i; i < 1000; ++i) raw[i] = i * 3;
        bytes memory data = _vector(128, raw);
        uint256 decodeGas = harness.decodeGas(data);
        (uint256 index, ) = harness.argmaxOf(data, 0);
        uint256 argmaxGas = vm.snapshotGasLastCall("TensorCodec.argmaxOf 1000 FIXED64");
        assertEq(index, 999, "index");
        assertLe(decodeGas * 20, argmaxGas, "decode is O(header), argmax O(elements)");
    }

    // ------------------------------------------------------------------------------------------ fuzz

    function testFuzz_roundTrip(uint256 seed) public view {
        Spec[] memory specs = _randomSpecs(seed);
        bytes memory data = _encode(specs);
        TensorCodec.Tensor[] memory ts = harness.decode(data);
        assertEq(ts.length, specs.length, "tensor count");
        for (uint256 t; t < specs.length; ++t) {
            Spec memory s = specs[t];
            assertEq(ts[t].dtype, s.dtype, "dtype");
            assertEq(ts[t].decimals, s.decimals, "decimals");
            assertEq(ts[t].shape.length, s.shape.length, "rank");
            for (uint256 d; d < s.shape.length; ++d) assertEq(ts[t].shape[d], s.shape[d], "dim");
            assertEq(ts[t].elementCount, s.raw.length, "element count");
            uint256[] memory bits = harness.tensorBits(data, t);
            for (uint256 i; i < s.raw.length; ++i) assertEq(bits[i], s.raw[i], "bits");
            if (_isFloat(s.dtype)) continue;
            int256[] memory ints = harness.tensorInts(data, t);
            for (uint256 i; i < s.raw.length; ++i) assertEq(ints[i], _expectedInt(s.dtype, s.raw[i]), "int");
            if (s.raw.length == 0) continue;
            (uint256 index, int256 value) = harness.argmax(data, ts[t]);
            for (uint256 i; i < s.raw.length; ++i) {
                int256 v = _expectedInt(s.dtype, s.raw[i]);
                if (i < index) assertTrue(v < value, "first maximum");
                else assertTrue(v <= value, "maximum");
            }
            assertEq(value, _expectedInt(s.dtype, s.raw[index]), "argmax value");
        }
    }

    function testFuzz_truncationReverts(uint256 seed, uint256 cut) public view {
        bytes memory data = _encode(_randomSpecs(seed));
        cut = bound(cut, 1, data.length);
        bytes memory short = new bytes(data.length - cut);
        for (uint256 i; i < short.length; ++i) short[i] = data[i];
        try harness.decode(short) {
            revert AssertionFailed("truncated encoding decoded", data.length, cut);
        } catch (bytes memory reason) {
            assertEq(bytes32(_selector(reason)), bytes32(TensorCodec.TensorCodecTruncated.selector), "selector");
            bytes memory args = new bytes(reason.length - 4);
            for (uint256 i; i < args.length; ++i) args[i] = reason[i + 4];
            (uint256 needed, uint256 length) = abi.decode(args, (uint256, uint256));
            assertEq(length, short.length, "reported length");
            assertGe(needed, short.length + 1, "needed beyond the end");
            assertLe(needed, data.length, "needed within the full encoding");
        }
    }

    function testFuzz_trailingBytesRevert(uint256 seed, uint8 extra) public view {
        bytes memory data = _encode(_randomSpecs(seed));
        uint256 n = bound(extra, 1, 40);
        bytes memory long = abi.encodePacked(data, new bytes(n));
        try harness.decode(long) {
            revert AssertionFailed("trailing bytes decoded", data.length, n);
        } catch (bytes memory reason) {
            assertEq(
                keccak256(reason),
                keccak256(
                    abi.encodeWithSelector(TensorCodec.TensorCodecTrailingBytes.selector, data.length, long.length)
                ),
                "trailing bytes error"
            );
        }
    }
}
