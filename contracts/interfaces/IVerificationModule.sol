// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IVerificationModule
/// @notice One verification mode (NONE, OPTIMISTIC, COMMITTEE; ZK next), called by the inference hub through this
///         interface only. A module decides whether a posted result is final, rejected or refunded; it never holds
///         requesters' funds (bonds and fees stay in the settlement contract).
/// @dev The hub passes the job's facts on every call, so a module stores nothing for a request it does not need to
///      (an unchallenged OPTIMISTIC result costs it no storage).
interface IVerificationModule {
    /// @notice A module's decision on a result.
    enum Verdict {
        Pending, // not decided yet
        Accepted, // final: the worker is paid, the listed verifiers share the verifier fee
        Rejected, // the worker was wrong: the court slashed it (its collateral included); the requester is refunded
        Refunded // undecided or unverifiable: the requester is refunded, the worker is not paid and not slashed
    }

    /// @notice The facts of a submitted job, as the hub recorded them.
    struct Job {
        address worker;
        address requester;
        uint256 modelId;
        bytes32 resultHash;
        bool isError;
        uint256 collateral; // the worker's stake locked for this job
        uint256 fee; // model fee + protocol fee locked from the requester
    }

    /// @notice Thrown when a caller other than the hub calls a hub-only function.
    error ModuleNotHub(address caller);

    /// @notice Thrown when a constructor is given the zero address for a contract it calls.
    error ModuleZeroAddress();

    /// @notice The hub tells the module that `job`'s result was posted.
    /// @return verdict Accepted (final at once, e.g. NONE) or Pending.
    /// @return deadline When the module's own window ends (informational: when to ask again); 0 when final.
    function onResult(uint256 requestId, Job calldata job) external returns (Verdict verdict, uint64 deadline);

    /// @notice The hub asks for the verdict while finalizing.
    /// @param deadline The deadline `onResult` returned.
    /// @return verdict Pending keeps the request open.
    /// @return paid The verifiers who earn the verifier share, one entry per seat (empty: the worker gets it).
    function settle(
        uint256 requestId,
        Job calldata job,
        uint64 deadline
    ) external returns (Verdict verdict, address[] memory paid);

    /// @notice Whether the request is in a dispute (the hub shows it as Disputed).
    function isDisputed(uint256 requestId) external view returns (bool);

    /// @notice The longest time from a posted result to a verdict, disputes and appeals included. The staking
    ///         unbonding delay must exceed the hub's lifecycle, which adds this.
    function maxVerificationDuration() external view returns (uint256);
}
