// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IVerificationModule} from "../interfaces/IVerificationModule.sol";

/// @notice Test double of a verification module: the test sets the verdict, the payees and the durations, and
///         reads back what the hub passed.
contract MockVerificationModule is IVerificationModule {
    Verdict public onResultVerdict;
    uint64 public window;
    Verdict public settleVerdict;
    address[] internal _paid;
    bool public disputed;
    uint256 public duration;
    uint256 public settleCalls;
    Job internal _lastJob;

    function setOnResult(Verdict verdict, uint64 window_) external {
        onResultVerdict = verdict;
        window = window_;
    }

    function setSettle(Verdict verdict, address[] calldata paid) external {
        settleVerdict = verdict;
        _paid = paid;
    }

    function setDisputed(bool disputed_) external {
        disputed = disputed_;
    }

    function setDuration(uint256 duration_) external {
        duration = duration_;
    }

    function lastJob() external view returns (Job memory) {
        return _lastJob;
    }

    function onResult(uint256, Job calldata job) external returns (Verdict, uint64) {
        _lastJob = job;
        return (onResultVerdict, onResultVerdict == Verdict.Pending ? uint64(block.timestamp) + window : 0);
    }

    function settle(uint256, Job calldata job, uint64) external returns (Verdict, address[] memory) {
        _lastJob = job;
        ++settleCalls;
        return (settleVerdict, _paid);
    }

    function isDisputed(uint256) external view returns (bool) {
        return disputed;
    }

    function maxVerificationDuration() external view returns (uint256) {
        return duration;
    }
}
