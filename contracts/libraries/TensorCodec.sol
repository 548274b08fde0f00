// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title TensorCodec
/// @notice Decoder of the OPG canonical tensor encoding v1 (docs/TENSOR_ENCODING.md) for consumer contracts.
/// @dev Layout, all integers big-endian:
///      `"OPG" | 0x01 | uint8 tensorCount (1..16)` then, per tensor,
///      `uint8 dtype | uint8 decimals | uint8 rank (0..8) | uint32 dims[rank] | product(dims) elements`.
///      {decode} validates the whole buffer once and returns, per tensor, where its elements start; the element
///      readers then index into the same `bytes` without copying. Readers re-check that the element lies inside
///      `data`, so a hand-made {Tensor} cannot read out of bounds.
///      Assembly is used only to read big-endian words straight out of memory (one `mload` and a shift instead of
///      a bounds-checked byte loop), which is what every header field and element read costs.
library TensorCodec {
    // ----------------------------------------------------------------------------------------------- types

    /// @notice One decoded tensor: its header, and where its elements are in the encoded bytes.
    struct Tensor {
        uint8 dtype; // ONNX TensorProto code, or FIXED64
        uint8 decimals; // fixed-point decimals (FIXED64 only, else 0)
        uint32[] shape; // dims; empty for a scalar
        uint256 elementCount; // product(shape), 1 for a scalar
        uint256 dataOffset; // byte offset of element 0 in the encoded bytes
    }

    // ----------------------------------------------------------------------------------------------- constants

    /// @notice The magic bytes "OPG".
    bytes3 internal constant MAGIC = 0x4f5047;
    /// @notice The only supported encoding version.
    uint8 internal constant VERSION = 1;
    /// @notice Most tensors in one encoding.
    uint8 internal constant MAX_TENSORS = 16;
    /// @notice Highest rank of a tensor.
    uint8 internal constant MAX_RANK = 8;
    /// @notice Bytes before the first tensor: magic, version, tensor count.
    uint256 internal constant HEADER_LENGTH = 5;
    /// @notice Bytes of a tensor header before its dims: dtype, decimals, rank.
    uint256 internal constant TENSOR_HEADER_LENGTH = 3;

    /// @notice ONNX FLOAT: IEEE-754 binary32 bits.
    uint8 internal constant DTYPE_FLOAT = 1;
    /// @notice ONNX UINT8.
    uint8 internal constant DTYPE_UINT8 = 2;
    /// @notice ONNX INT8.
    uint8 internal constant DTYPE_INT8 = 3;
    /// @notice ONNX INT16.
    uint8 internal constant DTYPE_INT16 = 5;
    /// @notice ONNX INT32.
    uint8 internal constant DTYPE_INT32 = 6;
    /// @notice ONNX INT64.
    uint8 internal constant DTYPE_INT64 = 7;
    /// @notice ONNX BOOL: one byte, 0x00 or 0x01.
    uint8 internal constant DTYPE_BOOL = 9;
    /// @notice ONNX DOUBLE: IEEE-754 binary64 bits.
    uint8 internal constant DTYPE_DOUBLE = 11;
    /// @notice ONNX UINT32.
    uint8 internal constant DTYPE_UINT32 = 12;
    /// @notice ONNX UINT64.
    uint8 internal constant DTYPE_UINT64 = 13;
    /// @notice OPG fixed point: int64 holding round(x * 10^decimals).
    uint8 internal constant DTYPE_FIXED64 = 128;

    // ----------------------------------------------------------------------------------------------- errors

    /// @notice The encoding does not start with "OPG".
    error TensorCodecBadMagic(bytes3 magic);
    /// @notice The encoding version is not 1.
    error TensorCodecUnsupportedVersion(uint8 version);
    /// @notice The tensor count is 0 or above {MAX_TENSORS}.
    error TensorCodecBadTensorCount(uint8 count, uint8 maxCount);
    /// @notice Tensor `tensorIndex` has a dtype code this version does not define.
    error TensorCodecUnknownDtype(uint256 tensorIndex, uint8 dtype);
    /// @notice Tensor `tensorIndex` has a rank above {MAX_RANK}.
    error TensorCodecRankTooHigh(uint256 tensorIndex, uint8 rank, uint8 maxRank);
    /// @notice Tensor `tensorIndex` has non-zero decimals but its dtype is not FIXED64.
    error TensorCodecDecimalsOnNonFixed(uint256 tensorIndex, uint8 dtype, uint8 decimals);
    /// @notice The encoding ends before byte `needed` (a length): it has only `length` bytes.
    error TensorCodecTruncated(uint256 needed, uint256 length);
    /// @notice The encoding has bytes after its last tensor: `consumed` of `length` bytes were used.
    error TensorCodecTrailingBytes(uint256 consumed, uint256 length);
    /// @notice A BOOL element at byte `offset` is neither 0x00 nor 0x01.
    error TensorCodecInvalidBool(uint256 offset, uint8 value);
    /// @notice A float tensor was read as an integer; use {elementBits} and decode the IEEE-754 bits instead.
    error TensorCodecFloatUseElementBits(uint8 dtype);
    /// @notice The element index is not below the tensor's element count.
    error TensorCodecIndexOutOfRange(uint256 index, uint256 elementCount);
    /// @notice {argmax} of a tensor without elements.
    error TensorCodecEmptyTensor();

    // ----------------------------------------------------------------------------------------------- functions

    /// @notice Decodes and validates a canonical tensor encoding.
    /// @dev Reverts on any deviation from the format: bad magic, unsupported version, bad tensor count, unknown
    ///      dtype, rank too high, decimals on a non-FIXED64 dtype, truncation, trailing bytes, or a BOOL byte
    ///      other than 0/1. Truncation is checked before any field is read, so a prefix of a valid encoding always
    ///      reverts with {TensorCodecTruncated}.
    /// @param data The encoded tensors.
    /// @return tensors One entry per tensor; elements are read with {elementAsInt} / {elementBits} on `data`.
    function decode(bytes memory data) internal pure returns (Tensor[] memory tensors) {
        uint256 length = data.length;
        if (length < HEADER_LENGTH) revert TensorCodecTruncated(HEADER_LENGTH, length);
        bytes3 magic = bytes3(uint24(_readUint(data, 0, 3)));
        if (magic != MAGIC) revert TensorCodecBadMagic(magic);
        uint8 version = uint8(_readUint(data, 3, 1));
        if (version != VERSION) revert TensorCodecUnsupportedVersion(version);
        uint8 count = uint8(_readUint(data, 4, 1));
        if (count == 0 || count > MAX_TENSORS) revert TensorCodecBadTensorCount(count, MAX_TENSORS);

        tensors = new Tensor[](count);
        uint256 offset = HEADER_LENGTH;
        for (uint256 t; t < count; ++t) {
            (tensors[t], offset) = _decodeTensor(data, t, offset);
        }
        if (offset != length) revert TensorCodecTrailingBytes(offset, length);
    }

    /// @notice Reads element `index` (row-major) of an integer, BOOL or FIXED64 tensor as a signed integer.
    /// @dev Signed dtypes are sign-extended; BOOL reads as 0 or 1; FIXED64 returns the raw scaled integer (divide by
    ///      10^decimals to interpret). FLOAT and DOUBLE revert with {TensorCodecFloatUseElementBits}.
    function elementAsInt(bytes memory data, Tensor memory t, uint256 index) internal pure returns (int256) {
        (uint256 width, bool signed, bool isFloat) = _layout(type(uint256).max, t.dtype);
        if (isFloat) revert TensorCodecFloatUseElementBits(t.dtype);
        uint256 raw = _readElement(data, t, index, width);
        return signed ? _signExtend(raw, width) : int256(raw);
    }

    /// @notice Reads the raw big-endian bits of element `index` (row-major) of any tensor, zero-extended.
    /// @dev For FLOAT these are the IEEE-754 binary32 bits, for DOUBLE the binary64 bits; for integers the two's
    ///      complement bits of the dtype's width (not sign-extended).
    function elementBits(bytes memory data, Tensor memory t, uint256 index) internal pure returns (uint256) {
        (uint256 width, , ) = _layout(type(uint256).max, t.dtype);
        return _readElement(data, t, index, width);
    }

    /// @notice Index and value of the largest element of an integer, BOOL or FIXED64 tensor; the first maximum wins.
    /// @dev Reverts with {TensorCodecEmptyTensor} for a tensor without elements and with
    ///      {TensorCodecFloatUseElementBits} for FLOAT/DOUBLE (canonical outputs are FIXED64, never floats).
    function argmax(bytes memory data, Tensor memory t) internal pure returns (uint256 index, int256 value) {
        (uint256 width, bool signed, bool isFloat) = _layout(type(uint256).max, t.dtype);
        if (isFloat) revert TensorCodecFloatUseElementBits(t.dtype);
        uint256 count = t.elementCount;
        if (count == 0) revert TensorCodecEmptyTensor();
        _checkRange(data, t.dataOffset, count, width);

        uint256 shift = 256 - 8 * width;
        uint256 signByte = width - 1;
        uint256 dataOffset = t.dataOffset;
        uint256 ptr;
        // Memory address of element 0: skip the length word, then `dataOffset` bytes. In range (checked above).
        assembly ("memory-safe") {
            ptr := add(add(data, 0x20), dataOffset)
        }
        value = type(int256).min;
        for (uint256 i; i < count; ++i) {
            int256 v;
            // One mload per element: the element is the top `width` bytes of the word at `ptr`.
            assembly ("memory-safe") {
                let raw := shr(shift, mload(ptr))
                switch signed
                case 0 {
                    v := raw
                }
                default {
                    v := signextend(signByte, raw)
                }
                ptr := add(ptr, width)
            }
            if (v > value) {
                value = v;
                index = i;
            }
        }
    }

    /// @dev Decodes tensor `t` starting at `offset`; returns it and the offset after its last element.
    function _decodeTensor(
        bytes memory data,
        uint256 t,
        uint256 offset
    ) private pure returns (Tensor memory tensor, uint256 end) {
        uint256 length = data.length;
        _need(offset + TENSOR_HEADER_LENGTH, length);
        uint8 dtype = uint8(_readUint(data, offset, 1));
        uint8 decimals = uint8(_readUint(data, offset + 1, 1));
        uint8 rank = uint8(_readUint(data, offset + 2, 1));
        (uint256 width, , ) = _layout(t, dtype);
        if (decimals != 0 && dtype != DTYPE_FIXED64) revert TensorCodecDecimalsOnNonFixed(t, dtype, decimals);
        if (rank > MAX_RANK) revert TensorCodecRankTooHigh(t, rank, MAX_RANK);
        offset += TENSOR_HEADER_LENGTH;

        _need(offset + 4 * uint256(rank), length);
        uint32[] memory shape = new uint32[](rank);
        // At most 8 dims of < 2^32 each: the product is < 2^256 and cannot overflow.
        uint256 count = 1;
        for (uint256 d; d < rank; ++d) {
            uint32 dim = uint32(_readUint(data, offset, 4));
            shape[d] = dim;
            count *= dim;
            offset += 4;
        }

        _checkRange(data, offset, count, width);
        if (dtype == DTYPE_BOOL) _checkBools(data, offset, count);

        tensor = Tensor({dtype: dtype, decimals: decimals, shape: shape, elementCount: count, dataOffset: offset});
        end = offset + count * width; // cannot overflow: bounded by data.length (checked above)
    }

    /// @dev Reverts unless every byte of `data[offset : offset + count]` is 0 or 1. Caller checked the range.
    function _checkBools(bytes memory data, uint256 offset, uint256 count) private pure {
        for (uint256 i; i < count; ++i) {
            uint8 b = uint8(_readUint(data, offset + i, 1));
            if (b > 1) revert TensorCodecInvalidBool(offset + i, b);
        }
    }

    /// @dev Width in bytes, signedness and floatness of `dtype`; reverts for an unknown code (`t` is the tensor
    ///      index reported in the error, `type(uint256).max` when unknown).
    function _layout(uint256 t, uint8 dtype) private pure returns (uint256 width, bool signed, bool isFloat) {
        if (dtype == DTYPE_FIXED64 || dtype == DTYPE_INT64) return (8, true, false);
        if (dtype == DTYPE_FLOAT) return (4, false, true);
        if (dtype == DTYPE_UINT8 || dtype == DTYPE_BOOL) return (1, false, false);
        if (dtype == DTYPE_INT8) return (1, true, false);
        if (dtype == DTYPE_INT16) return (2, true, false);
        if (dtype == DTYPE_INT32) return (4, true, false);
        if (dtype == DTYPE_DOUBLE) return (8, false, true);
        if (dtype == DTYPE_UINT32) return (4, false, false);
        if (dtype == DTYPE_UINT64) return (8, false, false);
        revert TensorCodecUnknownDtype(t, dtype);
    }

    /// @dev Reads element `index` of `t` after checking the index and that the element lies inside `data`.
    function _readElement(
        bytes memory data,
        Tensor memory t,
        uint256 index,
        uint256 width
    ) private pure returns (uint256) {
        if (index >= t.elementCount) revert TensorCodecIndexOutOfRange(index, t.elementCount);
        _checkRange(data, t.dataOffset, index + 1, width);
        return _readUint(data, t.dataOffset + index * width, width);
    }

    /// @dev Reverts with {TensorCodecTruncated} unless `count` elements of `width` bytes from `offset` fit in
    ///      `data`. Written so that huge counts cannot overflow: the reported `needed` saturates.
    function _checkRange(bytes memory data, uint256 offset, uint256 count, uint256 width) private pure {
        uint256 length = data.length;
        if (offset > length || count > (length - offset) / width) {
            uint256 needed = type(uint256).max;
            unchecked {
                if (count <= (type(uint256).max - offset) / width) needed = offset + count * width;
            }
            revert TensorCodecTruncated(needed, length);
        }
    }

    /// @dev Reverts with {TensorCodecTruncated} if `data` is shorter than `needed` bytes.
    function _need(uint256 needed, uint256 length) private pure {
        if (needed > length) revert TensorCodecTruncated(needed, length);
    }

    /// @dev Big-endian unsigned integer of `width` (1..32) bytes at `offset`. The caller checked the bounds.
    function _readUint(bytes memory data, uint256 offset, uint256 width) private pure returns (uint256 v) {
        // One mload of the 32-byte word starting at the field, keep its top `width` bytes. Bytes past the end of
        // `data` may be loaded but are shifted out.
        assembly ("memory-safe") {
            v := shr(sub(256, shl(3, width)), mload(add(add(data, 0x20), offset)))
        }
    }

    /// @dev Two's complement sign extension of a `width`-byte value.
    function _signExtend(uint256 raw, uint256 width) private pure returns (int256 v) {
        assembly ("memory-safe") {
            v := signextend(sub(width, 1), raw)
        }
    }
}
