// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IStaking} from "../interfaces/IStaking.sol";

/// @title MockStakingHub
/// @notice Stands in for the InferenceHub in Staking tests: reports a configurable `maxLifecycleDuration` and
///         forwards the hub-only calls. Never deploy outside tests.
contract MockStakingHub {
    IStaking public staking;
    uint256 public maxLifecycleDuration;

    constructor(uint256 maxLifecycleDuration_) {
        maxLifecycleDuration = maxLifecycleDuration_;
    }

    function setStaking(IStaking staking_) external {
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
