// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IInferenceHub} from "../interfaces/IInferenceHub.sol";
import {IVerificationModule} from "../interfaces/IVerificationModule.sol";

/// @title MockModuleHub
/// @notice Stands in for the inference hub in verification-module tests: records jobs, forwards `onResult` and
///         `settle` to a module the way the hub does, answers `jobOf`, and checks the lifecycle against a settable
///         unbonding delay. Never deploy outside tests.
contract MockModuleHub {
    struct Entry {
        IVerificationModule.Job job;
        IInferenceHub.Status status;
        uint64 deadline;
        address module;
    }

    /// @notice Fixed part of the lifecycle (attempts × response timeout) added to the modules' durations.
    uint256 public baseLifecycle;
    /// @notice The staking unbonding delay the lifecycle must stay below (0: no check).
    uint256 public unbondingDelay;
    /// @notice Modules whose `maxVerificationDuration` {checkLifecycle} adds (a handful in tests).
    address[] public modules;

    mapping(uint256 requestId => Entry) internal _entries;
    mapping(uint256 requestId => address[]) internal _paid;

    event Submitted(uint256 indexed requestId, IVerificationModule.Verdict verdict, uint64 deadline);
    event Settled(uint256 indexed requestId, IVerificationModule.Verdict verdict, address[] paid);

    // ------------------------------------------------------------------------------------------------- set-up

    function setLifecycle(uint256 baseLifecycle_, uint256 unbondingDelay_) external {
        baseLifecycle = baseLifecycle_;
        unbondingDelay = unbondingDelay_;
    }

    function addModule(address module) external {
        modules.push(module);
    }

    /// @notice Overrides the stored status (e.g. to a terminal one, or Requested).
    function setStatus(uint256 requestId, IInferenceHub.Status status) external {
        _entries[requestId].status = status;
    }

    /// @notice Records a job under `module` without calling it (a request that is not Submitted yet).
    function setJob(
        uint256 requestId,
        address module,
        IVerificationModule.Job calldata job,
        IInferenceHub.Status status,
        uint64 deadline
    ) external {
        _entries[requestId] = Entry({job: job, status: status, deadline: deadline, module: module});
    }

    // ------------------------------------------------------------------------------------------------- hub calls

    /// @notice Posts `job`'s result to `module` (`onResult`) and stores the verdict like the hub.
    function submit(
        uint256 requestId,
        address module,
        IVerificationModule.Job calldata job
    ) external returns (IVerificationModule.Verdict verdict, uint64 deadline) {
        Entry storage entry = _entries[requestId];
        entry.job = job;
        entry.module = module;
        entry.status = IInferenceHub.Status.Submitted;
        (verdict, deadline) = IVerificationModule(module).onResult(requestId, job);
        entry.deadline = deadline;
        if (verdict != IVerificationModule.Verdict.Pending) entry.status = _terminal(verdict);
        emit Submitted(requestId, verdict, deadline);
    }

    /// @notice Asks the module for the verdict (`settle`) and applies a final one like the hub's `finalize`.
    function settle(uint256 requestId) external returns (IVerificationModule.Verdict verdict, address[] memory paid) {
        Entry storage entry = _entries[requestId];
        (verdict, paid) = IVerificationModule(entry.module).settle(requestId, entry.job, entry.deadline);
        if (verdict != IVerificationModule.Verdict.Pending) {
            entry.status = _terminal(verdict);
            _paid[requestId] = paid;
        }
        emit Settled(requestId, verdict, paid);
    }

    // ------------------------------------------------------------------------------------------------- views

    /// @notice Same as {IInferenceHub.jobOf}: reverts for an unknown request.
    function jobOf(
        uint256 requestId
    )
        external
        view
        returns (IVerificationModule.Job memory job, IInferenceHub.Status status, uint64 deadline, address)
    {
        Entry storage entry = _entries[requestId];
        if (entry.status == IInferenceHub.Status.None) revert IInferenceHub.HubUnknownRequest(requestId);
        return (entry.job, entry.status, entry.deadline, entry.module);
    }

    /// @notice Same contract as {IInferenceHub.checkLifecycle}.
    function checkLifecycle() external view {
        if (unbondingDelay == 0) return;
        uint256 longest;
        for (uint256 i; i < modules.length; ++i) {
            uint256 duration = IVerificationModule(modules[i]).maxVerificationDuration();
            if (duration > longest) longest = duration;
        }
        uint256 lifecycle = baseLifecycle + longest;
        if (lifecycle >= unbondingDelay) revert IInferenceHub.HubLifecycleTooLong(lifecycle, unbondingDelay);
    }

    function paidOf(uint256 requestId) external view returns (address[] memory) {
        return _paid[requestId];
    }

    function _terminal(IVerificationModule.Verdict verdict) internal pure returns (IInferenceHub.Status) {
        if (verdict == IVerificationModule.Verdict.Accepted) return IInferenceHub.Status.Finalized;
        if (verdict == IVerificationModule.Verdict.Rejected) return IInferenceHub.Status.Rejected;
        return IInferenceHub.Status.Refunded;
    }
}
