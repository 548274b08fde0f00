// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {IInferenceConsumer} from "../interfaces/IInferenceConsumer.sol";
import {IInferenceHub} from "../interfaces/IInferenceHub.sol";
import {ISettlement} from "../interfaces/ISettlement.sol";
import {TensorCodec} from "../libraries/TensorCodec.sol";

/// @title ExampleClassifierConsumer
/// @notice Example consumer of verified OPG inferences: anyone pays for a classification of an input; once the
///         result is final, anyone can post the output bytes, which are checked against the hub's `resultHash`,
///         decoded with {TensorCodec}, and the argmax of tensor 0 is recorded as the predicted class.
/// @dev Flow: {requestClassification} pulls the quoted price (model fee + protocol fee + the prepaid callback fee)
///      from the caller, deposits it in the settlement contract (the only holder of requesters' funds) and requests
///      from the hub with `maxFee` equal to that price. On a terminal state anyone may run the callback with
///      `IInferenceHub.deliverCallback` (the hub forwards exactly `callbackGasLimit` gas and pays the deliverer the
///      prepaid fee); the callback only records the outcome (well under 50k gas). Because a callback may fail, be
///      skipped (gas limit 0) or never be delivered, the contract never depends on it: {recordOutput} and
///      {reclaimRefund} read the terminal state from the hub when no callback was recorded, and cancel an
///      undelivered callback so its prepaid fee goes back to the payer.
///      Accepted assumption: a Rejected, Expired or Refunded request refunds its model fee + protocol fee to this
///      contract's free balance in the settlement contract (docs/PROTOCOL.md); {reclaimRefund} withdraws exactly
///      that amount, once.
contract ExampleClassifierConsumer is IInferenceConsumer, ReentrancyGuard {
    using SafeERC20 for IERC20;

    // ----------------------------------------------------------------------------------------------- types

    /// @notice What this contract knows about one of its requests.
    struct Job {
        // slot 0
        address payer; // who paid the fee; receives any refund
        bool settled; // a terminal state was recorded
        bool finalized; // the terminal state is Finalized (else Rejected, Expired or Refunded)
        bool isError; // the final result is an error result
        bool refunded; // the refund was paid out
        bool recorded; // the predicted class was recorded
        // slot 1
        uint256 fee; // model fee + protocol fee locked by the hub (refunded unless Finalized)
        // slot 2
        bytes32 resultHash; // keccak256 of the canonical output (Finalized only)
    }

    // ----------------------------------------------------------------------------------------------- immutables

    /// @notice The inference hub this consumer requests from.
    IInferenceHub public immutable hub;
    /// @notice The settlement contract that holds this consumer's balance.
    ISettlement public immutable settlement;
    /// @notice The OPG token fees are paid in.
    IERC20 public immutable token;
    /// @notice The classifier model every request runs.
    uint256 public immutable modelId;
    /// @notice Gas the hub forwards to {onInferenceSettled} (prepaid by the payer); 0: no callback.
    uint32 public immutable callbackGasLimit;

    // ----------------------------------------------------------------------------------------------- state

    /// @dev Jobs by hub request id.
    mapping(uint256 requestId => Job) private _jobs;
    /// @notice The recorded class (argmax of output tensor 0) of a request; see {hasPrediction}.
    mapping(uint256 requestId => uint256 classIndex) public predictedClass;

    // ----------------------------------------------------------------------------------------------- events

    /// @notice `payer` paid `fee` (model fee + protocol fee) and `callbackFee` for request `requestId`.
    event ClassificationRequested(uint256 indexed requestId, address indexed payer, uint256 fee, uint256 callbackFee);
    /// @notice The terminal state of `requestId` was recorded (from the hub's callback or read from the hub).
    event InferenceSettlementRecorded(uint256 indexed requestId, bool finalized, bytes32 resultHash, bool isError);
    /// @notice The verified output of `requestId` classifies its input as `classIndex` with score `value`.
    event ClassificationRecorded(uint256 indexed requestId, uint256 classIndex, int256 value);
    /// @notice The fee of a rejected, expired or refunded request was returned to its payer.
    event RefundReclaimed(uint256 indexed requestId, address indexed payer, uint256 amount);
    /// @notice The callback of `requestId` was never delivered: it was cancelled and its prepaid fee returned.
    event CallbackFeeReturned(uint256 indexed requestId, address indexed payer, uint256 amount);

    // ----------------------------------------------------------------------------------------------- errors

    /// @notice A constructor argument is the zero address.
    error ConsumerZeroAddress();
    /// @notice The hub's current price is above the caller's limit.
    error ConsumerFeeAboveMax(uint256 fee, uint256 maxFee);
    /// @notice Only the hub may call the settlement callback.
    error ConsumerNotHub(address caller);
    /// @notice The request was not made through this contract.
    error ConsumerUnknownRequest(uint256 requestId);
    /// @notice The request already had its terminal state recorded.
    error ConsumerAlreadySettled(uint256 requestId);
    /// @notice The request has not reached a terminal state in the hub.
    error ConsumerNotSettled(uint256 requestId, IInferenceHub.Status status);
    /// @notice The request did not finalize: there is no output to record.
    error ConsumerNotFinalized(uint256 requestId);
    /// @notice The final result is an error result: there is no class to record.
    error ConsumerErrorResult(uint256 requestId);
    /// @notice The posted output does not hash to the final `resultHash`.
    error ConsumerOutputMismatch(uint256 requestId, bytes32 expected, bytes32 actual);
    /// @notice The class of this request was already recorded.
    error ConsumerAlreadyRecorded(uint256 requestId);
    /// @notice The request finalized and was paid for: nothing to refund.
    error ConsumerNothingToRefund(uint256 requestId);
    /// @notice The refund was already paid out.
    error ConsumerAlreadyRefunded(uint256 requestId);

    // ----------------------------------------------------------------------------------------------- constructor

    /// @param hub_ The inference hub.
    /// @param settlement_ The settlement contract the hub charges fees from.
    /// @param token_ The OPG token.
    /// @param modelId_ The classifier model.
    /// @param callbackGasLimit_ Gas for {onInferenceSettled} (must not exceed the hub's `maxCallbackGas`).
    constructor(
        IInferenceHub hub_,
        ISettlement settlement_,
        IERC20 token_,
        uint256 modelId_,
        uint32 callbackGasLimit_
    ) {
        if (address(hub_) == address(0) || address(settlement_) == address(0) || address(token_) == address(0)) {
            revert ConsumerZeroAddress();
        }
        hub = hub_;
        settlement = settlement_;
        token = token_;
        modelId = modelId_;
        callbackGasLimit = callbackGasLimit_;
    }

    // ----------------------------------------------------------------------------------------------- functions

    /// @notice Pays for and requests a classification of `input` (canonical tensor bytes).
    /// @dev Pulls the price as quoted now (model fee + protocol fee + callbackGasLimit × callbackFeePerGas) from the
    ///      caller, who must have approved this contract.
    /// @param input The canonical tensor encoding of the input.
    /// @param maxFee The most the caller is willing to pay.
    /// @return requestId The hub's request id.
    function requestClassification(
        bytes calldata input,
        uint256 maxFee
    ) external nonReentrant returns (uint256 requestId) {
        (uint256 modelFee, uint256 protocolFee) = hub.quote(modelId);
        uint256 fee = modelFee + protocolFee;
        uint256 callbackFee = uint256(callbackGasLimit) * hub.params().callbackFeePerGas;
        uint256 total = fee + callbackFee;
        if (total > maxFee) revert ConsumerFeeAboveMax(total, maxFee);

        token.safeTransferFrom(msg.sender, address(this), total);
        token.forceApprove(address(settlement), total);
        settlement.deposit(total);
        requestId = hub.request(
            IInferenceHub.RequestParams({
                modelId: modelId,
                input: input,
                inputUri: "",
                inputHash: bytes32(0),
                callbackGasLimit: callbackGasLimit,
                maxFee: total
            })
        );

        Job storage job = _jobs[requestId];
        job.payer = msg.sender;
        job.fee = fee;
        emit ClassificationRequested(requestId, msg.sender, fee, callbackFee);
    }

    /// @inheritdoc IInferenceConsumer
    /// @dev Only records the outcome: one warm slot update, one new slot when finalized, one event.
    function onInferenceSettled(uint256 requestId, bool finalized, bytes32 resultHash, bool isError) external {
        if (msg.sender != address(hub)) revert ConsumerNotHub(msg.sender);
        Job storage job = _jobs[requestId];
        if (job.payer == address(0)) revert ConsumerUnknownRequest(requestId);
        if (job.settled) revert ConsumerAlreadySettled(requestId);
        _recordSettlement(job, requestId, finalized, resultHash, isError);
    }

    /// @notice Records the classification of a finalized request from its output bytes. Anyone may call.
    /// @param requestId The request.
    /// @param output The canonical output bytes posted by the worker (from the hub's `ResultSubmitted` event).
    function recordOutput(uint256 requestId, bytes calldata output) external nonReentrant {
        Job storage job = _settledJob(requestId);
        if (!job.finalized) revert ConsumerNotFinalized(requestId);
        if (job.isError) revert ConsumerErrorResult(requestId);
        if (job.recorded) revert ConsumerAlreadyRecorded(requestId);
        bytes32 actual = keccak256(output);
        if (actual != job.resultHash) revert ConsumerOutputMismatch(requestId, job.resultHash, actual);

        bytes memory encoded = output;
        TensorCodec.Tensor[] memory tensors = TensorCodec.decode(encoded);
        (uint256 classIndex, int256 value) = TensorCodec.argmax(encoded, tensors[0]);

        job.recorded = true;
        predictedClass[requestId] = classIndex;
        emit ClassificationRecorded(requestId, classIndex, value);
    }

    /// @notice Returns the fee of a rejected, expired or refunded request to the account that paid it, once.
    ///         Anyone may call; the funds always go to the payer.
    /// @param requestId The request.
    function reclaimRefund(uint256 requestId) external nonReentrant {
        Job storage job = _settledJob(requestId);
        if (job.finalized) revert ConsumerNothingToRefund(requestId);
        if (job.refunded) revert ConsumerAlreadyRefunded(requestId);

        job.refunded = true;
        address payer = job.payer;
        uint256 amount = job.fee;
        emit RefundReclaimed(requestId, payer, amount);

        settlement.withdraw(amount);
        token.safeTransfer(payer, amount);
    }

    /// @notice This contract's record of `requestId`.
    function getJob(uint256 requestId) external view returns (Job memory) {
        return _jobs[requestId];
    }

    /// @notice Whether a class was recorded for `requestId` (`predictedClass` is 0 otherwise).
    function hasPrediction(uint256 requestId) external view returns (bool) {
        return _jobs[requestId].recorded;
    }

    /// @dev The job of `requestId` with its terminal state recorded, reading it from the hub if the callback did
    ///      not run (or failed). An undelivered callback is cancelled and its prepaid fee sent back to the payer.
    ///      Reverts for a foreign request or one that is not terminal yet.
    function _settledJob(uint256 requestId) private returns (Job storage job) {
        job = _jobs[requestId];
        if (job.payer == address(0)) revert ConsumerUnknownRequest(requestId);
        if (job.settled) return job;

        IInferenceHub.Request memory r = hub.getRequest(requestId);
        IInferenceHub.Status status = r.status;
        if (status == IInferenceHub.Status.Finalized) {
            _recordSettlement(job, requestId, true, r.resultHash, r.isError);
        } else if (
            status == IInferenceHub.Status.Rejected ||
            status == IInferenceHub.Status.Expired ||
            status == IInferenceHub.Status.Refunded
        ) {
            _recordSettlement(job, requestId, false, bytes32(0), false);
        } else {
            revert ConsumerNotSettled(requestId, status);
        }
        if (r.callbackPending) _returnCallbackFee(requestId, job.payer, r.callbackFee);
    }

    /// @dev Gives up the undelivered callback of `requestId` (this contract is its requester) and passes the prepaid
    ///      callback fee, refunded to this contract's settlement balance, on to the payer.
    function _returnCallbackFee(uint256 requestId, address payer, uint256 amount) private {
        hub.cancelCallback(requestId);
        if (amount == 0) return;
        emit CallbackFeeReturned(requestId, payer, amount);
        settlement.withdraw(amount);
        token.safeTransfer(payer, amount);
    }

    /// @dev Stores a terminal state and emits {InferenceSettlementRecorded}.
    function _recordSettlement(
        Job storage job,
        uint256 requestId,
        bool finalized,
        bytes32 resultHash,
        bool isError
    ) private {
        job.settled = true;
        job.finalized = finalized;
        job.isError = isError;
        if (finalized) job.resultHash = resultHash;
        emit InferenceSettlementRecorded(requestId, finalized, resultHash, isError);
    }
}
