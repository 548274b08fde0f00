// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IDisputeCourt} from "../interfaces/IDisputeCourt.sol";

/// @title MockLifecycleHub
/// @notice Stands in for the inference hub's `checkLifecycle()`: reverts like the hub when the court's longest case
///         reaches `limit`, and counts nothing else. Never deploy outside tests.
contract MockLifecycleHub {
    IDisputeCourt public immutable court;
    uint256 public limit;

    error HubLifecycleTooLong(uint256 maxLifecycle, uint256 unbondingDelay);

    constructor(IDisputeCourt court_, uint256 limit_) {
        court = court_;
        limit = limit_;
    }

    function checkLifecycle() external view {
        uint256 duration = court.maxCaseDuration();
        if (duration >= limit) revert HubLifecycleTooLong(duration, limit);
    }
}
