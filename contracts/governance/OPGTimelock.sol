// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title OPGTimelock
/// @notice The timelock that owns every protocol parameter setter; the {OPGGovernor} is its proposer.
/// @dev A thin subclass of OpenZeppelin's TimelockController so deployments and typechain have a project artifact.
///      On production networks the delay is at least the staking unbonding delay, so an operator can always leave
///      before a parameter change it disagrees with takes effect.
contract OPGTimelock is TimelockController {
    /// @param minDelay Initial minimum delay in seconds for operations.
    /// @param proposers Accounts granted the proposer and canceller roles.
    /// @param executors Accounts granted the executor role (address(0) means anyone).
    /// @param admin Optional extra admin (address(0) for a self-administered timelock).
    constructor(
        uint256 minDelay,
        address[] memory proposers,
        address[] memory executors,
        address admin
    ) TimelockController(minDelay, proposers, executors, admin) {}
}
