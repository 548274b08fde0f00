// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IStakingV1} from "../interfaces/IStakingV1.sol";

/// @title MockStakingHub
/// @notice Stands in for the InferenceHubV1 in StakingV1 tests: reports a configurable `maxLifecycleDuration` and
///         forwards the hub-only calls. Never deploy outside tests.
contract MockStakingHub {
    IStakingV1 public staking;
    uint256 public maxLifecycleDuration;

    constructor(uint256 maxLifecycleDuration_) {
        maxLifecycleDuration = maxLifecycleDuration_;
    }

    function setStaking(IStakingV1 staking_) external {
        staking = staking_;
    }

    function setMaxLifecycleDuration(uint256 maxLifecycleDuration_) external {
        maxLifecycleDuration = maxLifecycleDuration_;
    }

    function lockCollateral(address operator, uint256 amount) external returns (bool) {
        return staking.lockCollateral(operator, amount);
    }

    function unlockCollateral(address operator, uint256 amount) external {
        staking.unlockCollateral(operator, amount);
    }

    function slash(address operator, uint256 amount, bool jail) external returns (uint256) {
        return staking.slash(operator, amount, jail);
    }
}
