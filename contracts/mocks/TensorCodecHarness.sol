// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TensorCodec} from "../libraries/TensorCodec.sol";

/// @title TensorCodecHarness
/// @notice Test-only external wrappers around {TensorCodec}, so tests can call the library and catch its reverts.
contract TensorCodecHarness {
    /// @notice {TensorCodec.decode}.
    function decode(bytes calldata data) external pure returns (TensorCodec.Tensor[] memory) {
        return TensorCodec.decode(data);
    }

    /// @notice {TensorCodec.elementAsInt} on a caller-given tensor descriptor.
    function elementAsInt(
        bytes calldata data,
        TensorCodec.Tensor calldata t,
        uint256 index
    ) external pure returns (int256) {
        return TensorCodec.elementAsInt(data, t, index);
    }

    /// @notice {TensorCodec.elementBits} on a caller-given tensor descriptor.
    function elementBits(
        bytes calldata data,
        TensorCodec.Tensor calldata t,
        uint256 index
    ) external pure returns (uint256) {
        return TensorCodec.elementBits(data, t, index);
    }

    /// @notice {TensorCodec.argmax} on a caller-given tensor descriptor.
    function argmax(bytes calldata data, TensorCodec.Tensor calldata t) external pure returns (uint256, int256) {
        return TensorCodec.argmax(data, t);
    }

    /// @notice Decodes `data` and returns every element of tensor `tensorIndex` as an integer.
    function tensorInts(bytes calldata data, uint256 tensorIndex) external pure returns (int256[] memory values) {
        bytes memory encoded = data;
        TensorCodec.Tensor memory t = TensorCodec.decode(encoded)[tensorIndex];
        values = new int256[](t.elementCount);
        for (uint256 i; i < values.length; ++i) values[i] = TensorCodec.elementAsInt(encoded, t, i);
    }

    /// @notice Decodes `data` and returns the raw bits of every element of tensor `tensorIndex`.
    function tensorBits(bytes calldata data, uint256 tensorIndex) external pure returns (uint256[] memory values) {
        bytes memory encoded = data;
        TensorCodec.Tensor memory t = TensorCodec.decode(encoded)[tensorIndex];
        values = new uint256[](t.elementCount);
        for (uint256 i; i < values.length; ++i) values[i] = TensorCodec.elementBits(encoded, t, i);
    }

    /// @notice Decodes `data` and returns the argmax of tensor `tensorIndex`.
    function argmaxOf(bytes calldata data, uint256 tensorIndex) external pure returns (uint256, int256) {
        bytes memory encoded = data;
        return TensorCodec.argmax(encoded, TensorCodec.decode(encoded)[tensorIndex]);
    }

    /// @notice Gas used by decoding `data` (for benchmarks).
    function decodeGas(bytes calldata data) external view returns (uint256 gasUsed) {
        bytes memory encoded = data;
        uint256 before = gasleft();
        TensorCodec.decode(encoded);
        gasUsed = before - gasleft();
    }
}
