// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IRandomnessSourceV1
/// @notice Pluggable entropy for sortition draws. The hub asks for one seed per draw context (request id,
///         attempt, purpose) and expands it locally.
/// @dev Implementations must return a value that the party who benefits from a draw cannot choose freely.
///      The default {PrevrandaoRandomness} is biasable by a block proposer within the limits documented in
///      docs/THREAT_MODEL.md; networks with higher stakes should plug in a VRF-backed source.
interface IRandomnessSourceV1 {
    /// @notice Returns a pseudo-random seed bound to `context`.
    function seed(bytes32 context) external view returns (uint256);
}
