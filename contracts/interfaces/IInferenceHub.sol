// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IVerificationModule} from "./IVerificationModule.sol";

/// @title IInferenceHub
/// @notice The inference layer: requests, worker assignment, results, declines, timeouts and reassignment. It holds
///         no funds (the settlement contract does) and knows no verification rule: a posted result goes to the
///         verification module of the model's mode, and `finalize` applies the module's verdict.
/// @dev Lifecycle (docs/PROTOCOL.md):
///      Requested --submitResult--> Submitted --(module verdict)--> Finalized | Rejected | Refunded
///      Requested --decline--> reassigned, no penalty ... after maxAttempts --> Expired (refund)
///      Requested --deadline passes, reassign--> reassigned (liveness penalty) ... after maxAttempts --> Expired
///      All deadlines are inclusive: an action "before the deadline" is allowed while block.timestamp <= deadline;
///      the time-based transition that follows is allowed from deadline + 1. Every time-based transition is
///      permissionless. Mode ids map to modules that governance enables once per id and may disable for new
///      requests; open requests keep the module they were made under.
interface IInferenceHub {
    // ------------------------------------------------------------------------------------------------- types

    enum Status {
        None,
        Requested, // waiting for the assigned worker's result
        Submitted, // result posted; the module decides (Disputed is shown when the module reports a dispute)
        Disputed, // (view only) Submitted with a dispute open in the module
        Finalized, // terminal: result final, fee split credited
        Rejected, // terminal: worker slashed, requester refunded
        Expired, // terminal: no result after maxAttempts, requester refunded
        Refunded // terminal: verification undecided or impossible, requester refunded, worker unpaid
    }

    /// @notice Governance parameters; every field has hard bounds.
    struct InferenceParams {
        uint16 protocolFeeBps; // charged on top of the model fee, to the treasury
        uint16 verifierShareBps; // share of the model fee for verifiers that did work on the request
        uint16 stakeToFeeRatio; // collateral locked per job = total fee × ratio
        uint16 livenessPenaltyBps; // share of a timed-out worker's job collateral that is slashed
        uint8 maxAttempts; // assignments (declines and timeouts included) before a request expires
        uint8 declineThreshold; // distinct workers declining a model in one epoch before it is suspended
        uint32 responseTimeout; // seconds a worker has to submit or decline
        uint32 maxCallbackGas; // upper bound on a requester's callback gas limit
        uint32 maxInputBytes; // inline input cap; larger inputs go by URI + hash
        uint32 maxOutputBytes; // result size cap
        uint96 callbackFeePerGas; // OPG wei per callback gas the requester prepays to whoever delivers it
    }

    struct RequestParams {
        uint256 modelId;
        bytes input; // canonical tensor bytes inline; empty when the input goes by URI
        string inputUri; // location of the input when `input` is empty
        bytes32 inputHash; // keccak256 of the bytes at `inputUri`; ignored (computed) for inline input
        uint32 callbackGasLimit; // 0: no callback; else gas for IInferenceConsumer.onInferenceSettled
        uint256 maxFee; // the request reverts if its total price exceeds this (fee front-running)
    }

    /// @notice The public view of one request.
    struct Request {
        address requester;
        uint256 modelId;
        Status status;
        uint8 mode;
        address module;
        uint8 attempts;
        bool isError;
        address worker;
        uint64 deadline; // response deadline (Requested) or the module's window end (Submitted)
        uint32 callbackGasLimit;
        bool callbackPending; // terminal with an undelivered callback
        uint96 modelFee;
        uint96 protocolFee;
        uint96 callbackFee;
        uint16 stakeToFeeRatio;
        uint16 verifierShareBps;
        uint16 royaltyBps;
        bytes32 resultHash;
    }

    // ------------------------------------------------------------------------------------------------- events

    /// @notice A request was made and its price locked. The input is in the event for workers and auditors.
    event InferenceRequested(
        uint256 indexed requestId,
        uint256 indexed modelId,
        address indexed requester,
        bytes input,
        string inputUri,
        bytes32 inputHash,
        uint256 modelFee,
        uint256 protocolFee,
        uint32 callbackGasLimit
    );
    event WorkerAssigned(
        uint256 indexed requestId,
        address indexed worker,
        uint256 attempt,
        uint256 deadline,
        uint256 collateral
    );
    /// @notice The assigned worker could not obtain the model (`reason`: see docs/PROTOCOL.md) and declined.
    event WorkerDeclined(uint256 indexed requestId, address indexed worker, uint256 indexed modelId, bytes32 reason);
    /// @notice The assigned worker missed its deadline and was penalised.
    event WorkerTimedOut(uint256 indexed requestId, address indexed worker, uint256 penalty);
    /// @notice A result (or an error result) was posted; `deadline` is the module's window end (0: final).
    event ResultSubmitted(
        uint256 indexed requestId,
        address indexed worker,
        bytes32 resultHash,
        bool isError,
        bytes output,
        uint256 deadline
    );
    /// @notice The result is final; the fee split is in the settlement contract's `FeeSplitPaid`.
    event RequestFinalized(uint256 indexed requestId, address indexed worker, bytes32 resultHash, bool isError);
    event RequestRejected(uint256 indexed requestId, address indexed worker, uint256 refund);
    event RequestExpired(uint256 indexed requestId, uint256 refund);
    event RequestRefunded(uint256 indexed requestId, address indexed worker, uint256 refund);
    /// @notice The consumer callback ran (`success` false: it reverted or ran out of gas, ignored).
    event CallbackDelivered(uint256 indexed requestId, address indexed consumer, bool success, address deliverer);
    event CallbackCancelled(uint256 indexed requestId, uint256 refund);
    event ModuleEnabled(uint8 indexed mode, address module);
    event ModuleDisabled(uint8 indexed mode, address module);
    event ParamsUpdated(InferenceParams params);
    /// @notice The registry made this hub its suspender (`listening`), or another address (`!listening`). Only while
    ///         listening does the hub keep models' request terms between requests; otherwise every request reads them.
    event RegistryListening(bool listening);

    // ------------------------------------------------------------------------------------------------- errors

    error HubZeroAddress();
    /// @notice A guarded function was entered again during its own call.
    error HubReentrantCall();
    error HubUnknownRequest(uint256 requestId);
    error HubInvalidStatus(uint256 requestId, Status status);
    error HubModelUnavailable(uint256 modelId);
    error HubModeDisabled(uint8 mode);
    error HubFeeAboveMax(uint256 fee, uint256 maxFee);
    error HubInputTooLarge(uint256 length, uint256 maxLength);
    error HubOutputTooLarge(uint256 length, uint256 maxLength);
    /// @notice Inline input and URI were both given, or neither, or a URI came without a hash.
    error HubInvalidInput();
    error HubCallbackGasTooHigh(uint256 gasLimit, uint256 maxGas);
    error HubNoWorkerAvailable(uint256 modelId);
    error HubNotAssignedWorker(uint256 requestId, address caller, address worker);
    error HubDeadlinePassed(uint256 requestId, uint256 deadline);
    error HubDeadlineNotReached(uint256 requestId, uint256 deadline);
    /// @notice The module has no verdict yet.
    error HubNotFinal(uint256 requestId);
    error HubBatchTooLarge(uint256 length, uint256 maxLength);
    error HubBatchLengthMismatch();
    error HubNoCallback(uint256 requestId);
    error HubNotRequester(uint256 requestId, address caller);
    error HubInsufficientCallbackGas(uint256 gasLeft, uint256 needed);
    error HubModeTaken(uint8 mode, address module);
    error HubInvalidMode(uint8 mode);
    error HubParamOutOfBounds(string name, uint256 value, uint256 min, uint256 max);
    /// @notice The longest lifecycle would not be shorter than the staking unbonding delay.
    error HubLifecycleTooLong(uint256 maxLifecycle, uint256 unbondingDelay);
    /// @notice Every hub-local worker id (2^24 - 1) is taken: no new worker can be assigned.
    error HubWorkerIdsExhausted();
    /// @notice Only the model registry reports changes of models' request terms.
    error HubNotRegistry(address caller);

    // ------------------------------------------------------------------------------------------------- requests

    /// @notice Locks the price (model fee + protocol fee + prepaid callback fee) from the caller's free balance in
    ///         the settlement contract and assigns a worker by stake.
    function request(RequestParams calldata params) external returns (uint256 requestId);

    /// @notice {request} funded in the same call: an ERC-2612 permit to the settlement contract for
    ///         `permitAmount`, a deposit of it, then the request.
    function requestWithPermit(
        RequestParams calldata params,
        uint256 permitAmount,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint256 requestId);

    /// @notice Up to `MAX_BATCH` requests in one call; ids are consecutive.
    function requestBatch(RequestParams[] calldata batch) external returns (uint256 firstRequestId);

    // ------------------------------------------------------------------------------------------------- workers

    /// @notice The assigned worker posts the canonical output (or an error result) before its deadline.
    function submitResult(uint256 requestId, bytes calldata output, bool isError) external;

    /// @notice Up to `MAX_BATCH` results in one call (any failure reverts all).
    function submitResultBatch(
        uint256[] calldata requestIds,
        bytes[] calldata outputs,
        bool[] calldata isError
    ) external;

    /// @notice The assigned worker cannot obtain the model's bytes (`reason` says why) and gives the job back
    ///         before its deadline, without penalty. The request is reassigned to another worker or, after the last
    ///         attempt, expires with a refund. Declining earns nothing. The model is suspended once
    ///         `declineThreshold` distinct workers declined it in the same epoch.
    function decline(uint256 requestId, bytes32 reason) external;

    // ------------------------------------------------------------------------------------------------- anyone

    /// @notice After the response deadline: penalise the worker and reassign, or expire after maxAttempts.
    function reassign(uint256 requestId) external;

    /// @notice Applies the module's verdict to a Submitted request. Reverts with {HubNotFinal} while Pending.
    function finalize(uint256 requestId) external;

    /// @notice Finalizes (Submitted, verdict reached) or reassigns (Requested, deadline passed) every request of
    ///         `requestIds` that is due, skipping the others. At most `MAX_BATCH` ids.
    /// @return done How many made a transition.
    function processBatch(uint256[] calldata requestIds) external returns (uint256 done);

    /// @notice Runs the consumer callback of a terminal request with exactly its prepaid gas limit and credits the
    ///         prepaid callback fee to the caller. Permissionless; once per request.
    function deliverCallback(uint256 requestId) external;

    /// @notice The requester gives up an undelivered callback and gets its prepaid fee back.
    function cancelCallback(uint256 requestId) external;

    // ------------------------------------------------------------------------------------------------- governance

    function setParams(InferenceParams calldata params) external;

    /// @notice Enables `module` for mode id `mode` (once per id).
    function enableModule(uint8 mode, address module) external;

    /// @notice Stops new requests for `mode`; open requests keep their module.
    function disableModule(uint8 mode) external;

    /// @notice Reverts with {HubLifecycleTooLong} unless the longest lifecycle is shorter than the unbonding delay.
    ///         Modules and the court call it after their own parameter changes.
    function checkLifecycle() external view;

    // ------------------------------------------------------------------------------------------------- views

    function params() external view returns (InferenceParams memory);

    function getRequest(uint256 requestId) external view returns (Request memory);

    /// @notice The facts a module needs about a request, with its stored status and deadline.
    function jobOf(
        uint256 requestId
    ) external view returns (IVerificationModule.Job memory job, Status status, uint64 deadline, address module);

    function collateralOf(uint256 requestId) external view returns (uint256);

    function requestCount() external view returns (uint256);

    /// @notice Price a request for `modelId` would lock now (without a callback).
    function quote(uint256 modelId) external view returns (uint256 modelFee, uint256 protocolFee);

    /// @notice The module of mode id `mode` and whether it takes new requests.
    function moduleOf(uint8 mode) external view returns (address module, bool enabled);

    /// @notice Whether the registry reports model changes to this hub (it is the registry's suspender), so that a
    ///         request reuses the model's terms without reading the registry.
    function listensToRegistry() external view returns (bool);

    /// @notice maxAttempts × responseTimeout + the longest verification of any module (disputes and appeals
    ///         included). The staking unbonding delay must exceed it.
    function maxLifecycleDuration() external view returns (uint256);
}
