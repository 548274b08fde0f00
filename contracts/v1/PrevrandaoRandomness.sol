// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IRandomnessSourceV1} from "./interfaces/IRandomnessSourceV1.sol";

/// @title PrevrandaoRandomness
/// @notice Default entropy for sortition: the beacon chain's RANDAO output of the current block, mixed with the
///         block number and the caller's context.
/// @dev Manipulation limits (accepted risk, see docs/THREAT_MODEL.md):
///      - `block.prevrandao` of the next block is the RANDAO mix already revealed by the current one, so it is
///        public about one slot ahead. Whoever triggers a draw (a requester calling `request`, a verifier calling
///        `challenge`, a worker calling `submitResult` for a COMMITTEE draw) can compute the outcome for the next
///        block and choose to send, or wait for a block whose outcome suits it. With a stake share s of the drawn
///        role, waiting k blocks raises the chance of a favourable draw from s to 1 − (1 − s)^k.
///      - A block proposer can additionally withhold its block to re-roll the mix, at the cost of that slot's
///        rewards.
///      - The hub mixes the request id, the attempt and the draw purpose into `context`, so a seed cannot be
///        reused across requests or reassignments.
///      - On local devnets `prevrandao` may be constant or predictable. Networks with stakes worth biasing should
///        plug in a VRF-backed {IRandomnessSourceV1} (governance sets it in the hub parameters).
contract PrevrandaoRandomness is IRandomnessSourceV1 {
    /// @inheritdoc IRandomnessSourceV1
    function seed(bytes32 context) external view returns (uint256) {
        return uint256(keccak256(abi.encode(block.prevrandao, block.number, context)));
    }
}
