// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IModelRegistryV1} from "./IModelRegistryV1.sol";
import {IRandomnessSourceV1} from "./IRandomnessSourceV1.sol";

/// @title IInferenceHubV1
/// @notice Requests, assignment, results, verification, disputes, timeouts and settlement of OPG inferences.
/// @dev Lifecycle (see PROTOCOL.md and docs/ARCHITECTURE.md):
///      Requested --submit--> Submitted --(mode)--> Finalized
///      Requested --deadline passes--> reassigned ... after maxAttempts --> Expired (full refund)
///      Submitted --challenge / disagreeing attestation--> Disputed --resolve--> Finalized | Rejected
///      All deadlines are inclusive: an action "before the deadline" is allowed while block.timestamp <= deadline,
///      and the time-based transition that follows is allowed from deadline + 1. Every time-based transition
///      (`finalize`, `reassign`, `resolveDispute`) is permissionless.
interface IInferenceHubV1 {
    // ------------------------------------------------------------------------------------------------- types

    enum Status {
        None,
        Requested, // waiting for the assigned worker's result
        Submitted, // result posted, inside the challenge / attestation window
        Disputed, // a dispute committee is voting
        Finalized, // terminal: result final, fee split credited
        Rejected, // terminal: worker slashed, requester refunded
        Expired // terminal: no result after maxAttempts, requester refunded
    }

    /// @notice Governance parameters; every field has a hard min/max (see `ParamOutOfBounds`).
    struct HubParams {
        uint16 protocolFeeBps; // charged on top of the model fee, to the treasury
        uint16 verifierShareBps; // share of the model fee for verifiers that did work on the request
        uint16 stakeToFeeRatio; // collateral locked per job = total fee * ratio
        uint16 slashBps; // slash for a wrong result, of the worker's slashable stake (at least its collateral)
        uint16 challengerRewardBps; // share of a worker slash paid to a winning challenger
        uint16 voterRewardBps; // share of a slash or a lost bond paid to majority voters
        uint16 livenessPenaltyBps; // share of a timed-out worker's job collateral that is slashed
        uint16 nonRevealPenaltyBps; // share of a silent juror's slashable stake that is slashed
        uint8 maxAttempts; // assignments before a request expires
        uint8 committeeSize; // verifiers drawn for an attestation committee or a dispute (odd)
        uint32 responseTimeout; // seconds a worker has to submit
        uint32 challengeWindow; // seconds to challenge (OPTIMISTIC) or attest (COMMITTEE) after submission
        uint32 commitWindow; // seconds for dispute vote commits
        uint32 revealWindow; // seconds for dispute vote reveals after the commit window
        uint32 maxCallbackGas; // upper bound on a requester's callback gas limit
        uint32 maxInputBytes; // inline input size cap; larger inputs go by URI + hash
        uint32 maxOutputBytes; // result size cap
        uint96 challengeBond; // OPG wei a challenger (or disagreeing attester) puts at stake
        uint96 minRequestFee; // lower bound on model fee + protocol fee (dust spam)
        address treasury; // receives protocol fees, penalties and remainders
        IRandomnessSourceV1 randomness; // entropy for sortition
    }

    /// @notice Arguments of {request}.
    struct RequestParams {
        uint256 modelId;
        bytes input; // canonical tensor bytes inline; empty when the input goes by URI
        string inputUri; // location of the input when `input` is empty
        bytes32 inputHash; // keccak256 of the input bytes at `inputUri`; ignored (computed) for inline input
        uint32 callbackGasLimit; // 0: no callback; else gas for IInferenceConsumerV1.onInferenceSettled
        uint256 maxFee; // the request reverts if model fee + protocol fee exceeds this (fee front-running)
    }

    /// @notice The public view of one request. Stored as two slots at request time (plus the result hash at
    ///         submission) joined with a shared, immutable terms record; the input and its hash live in the
    ///         `InferenceRequested` event, the output in `ResultSubmitted`.
    struct Request {
        address requester;
        uint40 modelId;
        Status status;
        IModelRegistryV1.VerificationMode mode;
        uint8 attempts; // assignments so far
        bool isError; // the posted result is an error result
        bool hasDispute;
        address worker;
        uint64 deadline; // response deadline (Requested) or challenge/attestation deadline (Submitted)
        uint32 callbackGasLimit;
        // terms snapshotted at request time, so later governance or owner changes do not apply
        uint96 modelFee;
        uint96 protocolFee;
        uint16 stakeToFeeRatio; // collateral = (modelFee + protocolFee) * stakeToFeeRatio
        uint16 verifierShareBps;
        uint16 royaltyBps;
        uint8 attestations; // COMMITTEE agreements so far
        uint8 committeeSize; // attesters actually drawn
        bytes32 resultHash; // keccak256 of the canonical output (or error result)
    }

    /// @notice A dispute over one request (at most one per request).
    struct Dispute {
        address challenger; // address(0) never: a disagreeing attester is the challenger in COMMITTEE mode
        uint96 bond;
        uint64 commitDeadline;
        uint64 revealDeadline;
        uint8 jurorCount;
        uint8 commits;
        uint8 reveals;
        uint8 upholdVotes;
        uint8 rejectVotes;
    }

    /// @notice A juror's or attester's state for one request.
    struct Ballot {
        bool drawn;
        bool acted; // attested (committee) or committed (dispute)
        bool revealed;
        bool vote; // attestation agreement, or dispute vote "uphold the worker"
        bytes32 commitment;
    }

    // ------------------------------------------------------------------------------------------------- events

    event Deposited(address indexed account, address indexed from, uint256 amount);
    event Withdrawn(address indexed account, uint256 amount);
    event CreditsClaimed(address indexed account, uint256 amount);
    /// @notice A request was made and its fee locked. The input is in the event for workers and auditors.
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
    /// @notice A worker was (re)assigned with a response deadline.
    event WorkerAssigned(
        uint256 indexed requestId,
        address indexed worker,
        uint256 attempt,
        uint256 deadline,
        uint256 collateral
    );
    /// @notice The assigned worker missed its deadline and was penalised.
    event WorkerTimedOut(uint256 indexed requestId, address indexed worker, uint256 penalty);
    /// @notice A result (or an error result) was posted.
    event ResultSubmitted(
        uint256 indexed requestId,
        address indexed worker,
        bytes32 resultHash,
        bool isError,
        bytes output,
        uint256 windowEnd
    );
    /// @notice A verifier committee was drawn to attest a COMMITTEE-mode result.
    event CommitteeDrawn(uint256 indexed requestId, address[] members);
    /// @notice A committee member attested agreement or disagreement.
    event Attested(uint256 indexed requestId, address indexed verifier, bool agree);
    /// @notice A result was challenged (OPTIMISTIC) or disputed by an attester (COMMITTEE).
    event Challenged(uint256 indexed requestId, address indexed challenger, uint256 bond);
    /// @notice A dispute committee was drawn.
    event DisputeOpened(uint256 indexed requestId, address[] jurors, uint256 commitDeadline, uint256 revealDeadline);
    event VoteCommitted(uint256 indexed requestId, address indexed juror);
    event VoteRevealed(uint256 indexed requestId, address indexed juror, bool upholdWorker);
    /// @notice A dispute was decided. `upheld` false means the worker was wrong.
    event DisputeResolved(uint256 indexed requestId, bool upheld, uint256 upholdVotes, uint256 rejectVotes);
    /// @notice A juror who did not commit or reveal was penalised.
    event JurorPenalised(uint256 indexed requestId, address indexed juror, uint256 amount);
    /// @notice A worker was slashed for a wrong result.
    event WorkerSlashed(uint256 indexed requestId, address indexed worker, uint256 amount);
    /// @notice The request is final; the fee was split as credits: `royalty` to `royaltyRecipient`, `workerPay` to
    ///         `worker`, `verifierPay` in total to the verifiers (each also gets a `Credited` event; 0 when none did
    ///         work), `treasuryPay` (protocol fee plus the per-verifier division remainder) to the treasury. The four
    ///         amounts sum exactly to the fee the requester paid.
    event RequestFinalized(
        uint256 indexed requestId,
        address indexed worker,
        address indexed royaltyRecipient,
        bytes32 resultHash,
        bool isError,
        uint256 royalty,
        uint256 workerPay,
        uint256 verifierPay,
        uint256 treasuryPay
    );
    /// @notice The result was rejected in a dispute; the requester was refunded.
    event RequestRejected(uint256 indexed requestId, address indexed worker, uint256 refund);
    /// @notice No result after maxAttempts (or no worker left); the requester was refunded.
    event RequestExpired(uint256 indexed requestId, uint256 refund);
    /// @notice `amount` was credited to `account` (pull payment) for `reason` — every credit except the three standard
    ///         fee-split credits, which `RequestFinalized` reports.
    event Credited(uint256 indexed requestId, address indexed account, uint256 amount, bytes32 indexed reason);
    /// @notice The consumer callback ran; `success` false means it reverted or ran out of gas (ignored).
    event CallbackResult(uint256 indexed requestId, address indexed consumer, bool success);
    event ParamsUpdated(HubParams params);

    // ------------------------------------------------------------------------------------------------- errors

    error HubZeroAmount();
    error HubZeroAddress();
    error HubInsufficientBalance(address account, uint256 balance, uint256 needed);
    error HubNoCredits(address account);
    error HubUnknownRequest(uint256 requestId);
    error HubInvalidStatus(uint256 requestId, Status status);
    error HubModelInactive(uint256 modelId);
    error HubFeeAboveMax(uint256 fee, uint256 maxFee);
    error HubFeeBelowMin(uint256 fee, uint256 minFee);
    error HubInputTooLarge(uint256 length, uint256 maxLength);
    error HubOutputTooLarge(uint256 length, uint256 maxLength);
    /// @notice Inline input and URI were both given, or neither, or a URI came without a hash.
    error HubInvalidInput();
    error HubCallbackGasTooHigh(uint256 gasLimit, uint256 maxGas);
    error HubNoWorkerAvailable(uint256 modelId);
    error HubNotAssignedWorker(uint256 requestId, address caller, address worker);
    error HubDeadlinePassed(uint256 requestId, uint256 deadline);
    error HubDeadlineNotReached(uint256 requestId, uint256 deadline);
    error HubWrongMode(uint256 requestId, IModelRegistryV1.VerificationMode mode);
    error HubNotEligibleVerifier(address account);
    error HubPartyToRequest(uint256 requestId, address account);
    error HubNotCommitteeMember(uint256 requestId, address account);
    error HubAlreadyActed(uint256 requestId, address account);
    error HubNotCommitted(uint256 requestId, address account);
    error HubRevealMismatch(uint256 requestId, address account);
    error HubCommitPhaseOpen(uint256 requestId, uint256 commitDeadline);
    /// @notice A batch is empty (where one item is needed) or longer than `maxLength`.
    error HubBatchTooLarge(uint256 length, uint256 maxLength);
    /// @notice The arrays of a batch call differ in length.
    error HubBatchLengthMismatch();
    error HubInsufficientCallbackGas(uint256 gasLeft, uint256 needed);
    /// @notice A juror submitted a zero commitment.
    error HubEmptyCommitment();
    error ParamOutOfBounds(string name, uint256 value, uint256 min, uint256 max);
    /// @notice The longest lifecycle would not be shorter than the staking unbonding delay.
    error HubLifecycleTooLong(uint256 maxLifecycle, uint256 unbondingDelay);

    // ------------------------------------------------------------------------------------------------- balances

    /// @notice Pulls `amount` OPG from the caller into its free balance.
    function deposit(uint256 amount) external;

    /// @notice Pulls `amount` OPG from the caller into `account`'s free balance.
    function depositFor(address account, uint256 amount) external;

    /// @notice Sends `amount` of the caller's free (unlocked) balance back to it.
    function withdraw(uint256 amount) external;

    /// @notice Sends all of the caller's credits (earned fees, rewards, returned bonds) to it.
    function claimCredits() external returns (uint256 amount);

    // ------------------------------------------------------------------------------------------------- requests

    /// @notice Locks model fee + protocol fee from the caller's free balance and assigns a worker by stake.
    function request(RequestParams calldata params) external returns (uint256 requestId);

    /// @notice {request} funded in the same call: an ERC-2612 permit for `permitAmount`, a deposit of
    ///         `permitAmount`, then the request. A front-run permit does not block it if the allowance is there.
    function requestWithPermit(
        RequestParams calldata params,
        uint256 permitAmount,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint256 requestId);

    /// @notice Makes up to {MAX_BATCH} requests in one call (same checks as {request}); ids are consecutive.
    /// @return firstRequestId The id of the first request of the batch.
    function requestBatch(RequestParams[] calldata batch) external returns (uint256 firstRequestId);

    /// @notice Posts up to {MAX_BATCH} results in one call (same checks as {submitResult}; any failure reverts all).
    function submitResultBatch(
        uint256[] calldata requestIds,
        bytes[] calldata outputs,
        bool[] calldata isError
    ) external;

    /// @notice The assigned worker posts the canonical output (or an error result) before its deadline.
    function submitResult(uint256 requestId, bytes calldata output, bool isError) external;

    /// @notice After the response deadline: penalise the worker and reassign, or expire with a full refund
    ///         after maxAttempts. Permissionless.
    function reassign(uint256 requestId) external;

    // ------------------------------------------------------------------------------------------------- verification

    /// @notice A drawn committee member attests (COMMITTEE mode). Disagreement posts the challenge bond from the
    ///         caller's free balance and opens a dispute.
    function attest(uint256 requestId, bool agree) external;

    /// @notice A staked verifier challenges an OPTIMISTIC result inside the window, posting the challenge bond
    ///         from its free balance.
    function challenge(uint256 requestId) external;

    /// @notice A juror commits `keccak256(abi.encode(requestId, juror, upholdWorker, salt))`.
    function commitVote(uint256 requestId, bytes32 commitment) external;

    /// @notice A juror reveals its vote, once all jurors committed or the commit window closed.
    function revealVote(uint256 requestId, bool upholdWorker, bytes32 salt) external;

    /// @notice Decides a dispute after the reveal window (or once every juror revealed). Permissionless.
    function resolveDispute(uint256 requestId) external;

    // ------------------------------------------------------------------------------------------------- settlement

    /// @notice Finalizes a Submitted request whose window has passed (or a COMMITTEE request that reached quorum
    ///         is finalized in `attest`). Permissionless.
    function finalize(uint256 requestId) external;

    /// @notice Finalizes every request of `requestIds` that can be finalized, skipping the others.
    /// @dev The caller bounds the work: at most {MAX_BATCH} ids.
    /// @return finalized How many were finalized.
    function finalizeBatch(uint256[] calldata requestIds) external returns (uint256 finalized);

    // ------------------------------------------------------------------------------------------------- governance

    /// @notice Replaces all parameters; each is checked against its hard bounds.
    function setParams(HubParams calldata params) external;

    // ------------------------------------------------------------------------------------------------- views

    function params() external view returns (HubParams memory);

    function getRequest(uint256 requestId) external view returns (Request memory);

    function getDispute(uint256 requestId) external view returns (Dispute memory);

    /// @notice Members of the attestation committee of a COMMITTEE-mode request.
    function committeeOf(uint256 requestId) external view returns (address[] memory);

    /// @notice Jurors of the request's dispute.
    function jurorsOf(uint256 requestId) external view returns (address[] memory);

    function attestationOf(uint256 requestId, address verifier) external view returns (Ballot memory);

    function ballotOf(uint256 requestId, address juror) external view returns (Ballot memory);

    /// @notice Collateral locked from the assigned worker's stake for this request (0 when none).
    function collateralOf(uint256 requestId) external view returns (uint256);

    /// @notice Free (withdrawable) balance of `account`.
    function balanceOf(address account) external view returns (uint256);

    /// @notice Claimable credits of `account`.
    function creditsOf(address account) external view returns (uint256);

    /// @notice Number of requests made (the highest id).
    function requestCount() external view returns (uint256);

    /// @notice Fee a request for `modelId` would lock now: (modelFee, protocolFee).
    function quote(uint256 modelId) external view returns (uint256 modelFee, uint256 protocolFee);

    /// @notice Longest time from assignment to a decided dispute: responseTimeout + challengeWindow +
    ///         commitWindow + revealWindow. The staking unbonding delay must exceed it.
    function maxLifecycleDuration() external view returns (uint256);

    /// @notice The commitment a juror must submit for `upholdWorker` and `salt`.
    function voteCommitment(
        uint256 requestId,
        address juror,
        bool upholdWorker,
        bytes32 salt
    ) external pure returns (bytes32);
}
