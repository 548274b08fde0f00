// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IRandomnessSource} from "./interfaces/IRandomnessSource.sol";

/// @title PrevrandaoRandomness
/// @notice Default entropy for sortition: the beacon chain's RANDAO output of the current block, mixed with the
///         block number and the caller's context.
/// @dev Manipulation limits (accepted risk, see docs/THREAT_MODEL.md):
///      - `block.prevrandao` is fixed before the block is built, so transaction senders cannot influence it; only
///        the block proposer can. A proposer who dislikes the outcome can withhold its block (miss its slot) and
///        let the next proposer's RANDAO value apply: one re-roll per controlled slot, at the cost of that slot's
///        rewards. The bias a proposer can buy is therefore bounded by the value of one slot's rewards per re-roll
///        (and by how many consecutive slots it controls).
///      - The seed is the same for every call in one block with the same context. The hub mixes the request id
///        and the attempt (and the draw purpose) into `context`, so a seed is not reusable across requests or
///        reassignments, and a requester cannot pick a block whose seed it already knows favours a worker, except
///        by being the proposer (above).
///      - On networks without a beacon chain (local devnets) `prevrandao` may be constant or predictable; networks
///        with higher stakes should plug in a VRF-backed {IRandomnessSource}.
contract PrevrandaoRandomness is IRandomnessSource {
    /// @inheritdoc IRandomnessSource
    function seed(bytes32 context) external view returns (uint256) {
        return uint256(keccak256(abi.encode(block.prevrandao, block.number, context)));
    }
}
