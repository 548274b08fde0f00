// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IHubParamsBounds} from "./interfaces/IHubParamsBounds.sol";
import {IInferenceHubV1} from "./interfaces/IInferenceHubV1.sol";

/// @title HubParamsBounds
/// @notice Hard bounds of the hub's governance parameters. Immutable and stateless: a change of bounds is a new
///         deployment of the protocol, like any other contract change.
contract HubParamsBounds is IHubParamsBounds {
    uint256 public constant BPS = 10_000;
    uint256 public constant MAX_PROTOCOL_FEE_BPS = 2_000; // 20 %
    uint256 public constant MAX_VERIFIER_SHARE_BPS = 3_000; // with royalty ≤ 50 %, the worker keeps ≥ 20 %
    uint256 public constant MIN_STAKE_TO_FEE_RATIO = 1;
    uint256 public constant MAX_STAKE_TO_FEE_RATIO = 1_000;
    uint256 public constant MIN_SLASH_BPS = 100;
    uint256 public constant MAX_NON_REVEAL_PENALTY_BPS = 1_000;
    uint256 public constant MAX_ATTEMPTS = 10;
    uint256 public constant MAX_COMMITTEE_SIZE = 15;
    uint256 public constant MIN_WINDOW = 10 seconds;
    uint256 public constant MAX_RESPONSE_TIMEOUT = 1 days;
    uint256 public constant MAX_CHALLENGE_WINDOW = 7 days;
    uint256 public constant MAX_VOTE_WINDOW = 3 days;
    uint256 public constant MIN_CALLBACK_GAS = 10_000;
    uint256 public constant MAX_CALLBACK_GAS = 2_000_000;
    uint256 public constant MIN_IO_BYTES = 64;
    uint256 public constant MAX_IO_BYTES = 128 * 1024;
    uint256 public constant MIN_CHALLENGE_BOND = 1e15;
    uint256 public constant MAX_CHALLENGE_BOND = 1_000_000e18;
    uint256 public constant MAX_MIN_REQUEST_FEE = 1_000e18;

    /// @inheritdoc IHubParamsBounds
    function check(IInferenceHubV1.HubParams calldata p, uint256 unbondingDelay) external pure {
        _bound("protocolFeeBps", p.protocolFeeBps, 0, MAX_PROTOCOL_FEE_BPS);
        _bound("verifierShareBps", p.verifierShareBps, 0, MAX_VERIFIER_SHARE_BPS);
        _bound("stakeToFeeRatio", p.stakeToFeeRatio, MIN_STAKE_TO_FEE_RATIO, MAX_STAKE_TO_FEE_RATIO);
        _bound("slashBps", p.slashBps, MIN_SLASH_BPS, BPS);
        _bound("challengerRewardBps", p.challengerRewardBps, 0, BPS);
        // Challenger reward and voter reward are both paid out of one slash: together at most 100 %.
        _bound("voterRewardBps", p.voterRewardBps, 0, BPS - p.challengerRewardBps);
        _bound("livenessPenaltyBps", p.livenessPenaltyBps, 0, BPS);
        _bound("nonRevealPenaltyBps", p.nonRevealPenaltyBps, 0, MAX_NON_REVEAL_PENALTY_BPS);
        _bound("maxAttempts", p.maxAttempts, 1, MAX_ATTEMPTS);
        _bound("committeeSize", p.committeeSize, 1, MAX_COMMITTEE_SIZE);
        // An odd committee cannot tie when every member reveals.
        if (p.committeeSize % 2 == 0) {
            revert IInferenceHubV1.ParamOutOfBounds("committeeSize (odd)", p.committeeSize, 1, MAX_COMMITTEE_SIZE);
        }
        _bound("responseTimeout", p.responseTimeout, MIN_WINDOW, MAX_RESPONSE_TIMEOUT);
        _bound("challengeWindow", p.challengeWindow, MIN_WINDOW, MAX_CHALLENGE_WINDOW);
        _bound("commitWindow", p.commitWindow, MIN_WINDOW, MAX_VOTE_WINDOW);
        _bound("revealWindow", p.revealWindow, MIN_WINDOW, MAX_VOTE_WINDOW);
        _bound("maxCallbackGas", p.maxCallbackGas, MIN_CALLBACK_GAS, MAX_CALLBACK_GAS);
        _bound("maxInputBytes", p.maxInputBytes, MIN_IO_BYTES, MAX_IO_BYTES);
        _bound("maxOutputBytes", p.maxOutputBytes, MIN_IO_BYTES, MAX_IO_BYTES);
        _bound("challengeBond", p.challengeBond, MIN_CHALLENGE_BOND, MAX_CHALLENGE_BOND);
        _bound("minRequestFee", p.minRequestFee, 0, MAX_MIN_REQUEST_FEE);
        if (p.treasury == address(0) || address(p.randomness) == address(0)) revert IInferenceHubV1.HubZeroAddress();

        // Stake must stay slashable for as long as any request can still be disputed.
        uint256 lifecycle = uint256(p.responseTimeout) + p.challengeWindow + p.commitWindow + p.revealWindow;
        if (lifecycle >= unbondingDelay) revert IInferenceHubV1.HubLifecycleTooLong(lifecycle, unbondingDelay);
    }

    function _bound(string memory name, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert IInferenceHubV1.ParamOutOfBounds(name, value, min, max);
    }
}
