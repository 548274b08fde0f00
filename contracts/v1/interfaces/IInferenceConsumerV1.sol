// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IInferenceConsumerV1
/// @notice Implemented by contracts that want to be told when their request reaches a terminal state.
/// @dev Called by the hub with the gas limit the requester chose (bounded by governance). The call happens after
///      all settlement effects, its failure is recorded in an event and ignored: a reverting or gas-hungry consumer
///      cannot block settlement. The output bytes are not passed: they live in the hub's `ResultSubmitted` event
///      and calldata, and a consumer proves them against `resultHash` (see {ExampleClassifierConsumerV1}).
interface IInferenceConsumerV1 {
    /// @param requestId The request that reached a terminal state.
    /// @param finalized True when the result is final (Finalized); false when the request was Rejected or Expired.
    /// @param resultHash keccak256 of the canonical output (zero when not finalized).
    /// @param isError True when the final result is a verified error result.
    function onInferenceSettled(uint256 requestId, bool finalized, bytes32 resultHash, bool isError) external;
}
