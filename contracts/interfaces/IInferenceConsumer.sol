// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IInferenceConsumer
/// @notice Implemented by requester contracts that want to be told when their request reached a terminal state.
/// @dev Delivered by {IInferenceHub.deliverCallback}, in its own transaction, with exactly the gas limit the requester
///      chose and prepaid: neither the worker's submission nor finalization runs it. The call's failure is recorded
///      and ignored. The output bytes are not passed: they are in the hub's `ResultSubmitted` event, and a consumer
///      proves them against `resultHash`.
interface IInferenceConsumer {
    /// @param requestId The request that reached a terminal state.
    /// @param finalized True when the result is final (Finalized); false when Rejected, Expired or Refunded.
    /// @param resultHash keccak256 of the canonical output (zero when not finalized).
    /// @param isError True when the final result is a verified error result.
    function onInferenceSettled(uint256 requestId, bool finalized, bytes32 resultHash, bool isError) external;
}
