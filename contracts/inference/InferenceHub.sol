// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {IInferenceConsumer} from "../interfaces/IInferenceConsumer.sol";
import {IInferenceHub} from "../interfaces/IInferenceHub.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {IRandomnessSource} from "../interfaces/IRandomnessSource.sol";
import {ISettlement} from "../interfaces/ISettlement.sol";
import {IStaking} from "../interfaces/IStaking.sol";
import {IVerificationModule} from "../interfaces/IVerificationModule.sol";

/// @title InferenceHub
/// @notice The inference layer of OPG: requests, stake-weighted worker assignment, results, declines, timeouts,
///         reassignment and consumer callbacks. Verification is delegated to the module of the model's mode, funds to
///         the settlement contract, stake to Staking.
/// @dev Holds no tokens. Trusted collaborators: Staking, Settlement, ModelRegistry, the randomness source and the
///      modules governance enabled; the only untrusted external call is the consumer callback, made in its own
///      transaction ({deliverCallback}) with the gas the requester prepaid.
///      Accepted risks (docs/THREAT_MODEL.md): worker assignment uses an instant seed, so a requester can choose
///      the block in which it requests and with it its worker (it only affects its own request); a worker may
///      decline any job (it earns nothing and costs its attempt).
contract InferenceHub is IInferenceHub, Ownable {
    // ------------------------------------------------------------------------------------------------- constants

    uint256 public constant BPS = 10_000;
    /// @notice Most items one batch call accepts.
    uint256 public constant MAX_BATCH = 50;
    /// @notice Mode ids are below this (bounds the lifecycle loop over modules).
    uint8 public constant MAX_MODES = 8;
    /// @notice Gas kept back around a consumer callback for the code that follows it.
    uint256 internal constant CALLBACK_GAS_RESERVE = 20_000;
    bytes32 internal constant LIVENESS_PENALTY = "liveness-penalty";

    uint256 internal constant MAX_PROTOCOL_FEE_BPS = 2_000;
    uint256 internal constant MAX_VERIFIER_SHARE_BPS = 5_000;
    uint256 internal constant MAX_STAKE_TO_FEE_RATIO = 1_000;
    uint256 internal constant MAX_LIVENESS_PENALTY_BPS = 5_000;
    uint256 internal constant MAX_ATTEMPTS = 10;
    uint256 internal constant MAX_DECLINE_THRESHOLD = 20;
    uint256 internal constant MIN_RESPONSE_TIMEOUT = 10 seconds;
    uint256 internal constant MAX_RESPONSE_TIMEOUT = 1 days;
    uint256 internal constant MAX_CALLBACK_GAS = 2_000_000; // < 2^24: fits the record's uint24
    uint256 internal constant MIN_IO_BYTES = 32;
    uint256 internal constant MAX_IO_BYTES = 128 * 1024;
    uint256 internal constant MAX_CALLBACK_FEE_PER_GAS = 1e15;

    // ------------------------------------------------------------------------------------------------- immutables

    ISettlement public immutable settlement;
    IStaking public immutable staking;
    IModelRegistry public immutable registry;
    IRandomnessSource public immutable randomness;

    // ------------------------------------------------------------------------------------------------- types

    /// @dev Storage form of a request: two slots at request time, a third (the result hash) at submission.
    ///      Slot 0 holds everything a step changes (worker, deadline, status, flags), so submitting and finalizing
    ///      write one slot; slot 1 is written once, at request time.
    struct RequestRecord {
        // slot 0
        address worker;
        uint40 deadline;
        Status status;
        uint8 mode;
        uint8 attempts;
        bool isError;
        bool callbackPending;
        // slot 1
        address requester;
        uint40 modelId;
        uint32 termsId;
        uint24 callbackGasLimit;
        // slot 2
        bytes32 resultHash;
    }

    /// @dev Economic terms snapshotted at request time, shared by every request made under the same terms.
    struct Terms {
        uint96 modelFee;
        uint96 protocolFee;
        uint16 stakeToFeeRatio;
        uint16 verifierShareBps;
        uint16 royaltyBps;
    }

    struct ModuleSlot {
        address module;
        bool enabled;
    }

    /// @dev A model's latest terms record with the inputs it was made from, so a request compares them in one slot.
    ///      The protocol fee is a function of the model fee and `protocolFeeBps`, so equal inputs mean equal terms.
    struct LatestTerms {
        uint32 termsId;
        uint96 modelFee;
        uint16 protocolFeeBps;
        uint16 stakeToFeeRatio;
        uint16 verifierShareBps;
        uint16 royaltyBps;
    }

    /// @dev Distinct workers that declined a model in its current registry epoch.
    struct DeclineTally {
        uint32 epoch;
        uint8 count;
    }

    // ------------------------------------------------------------------------------------------------- state

    InferenceParams internal _params;
    uint256 internal _requestCount;
    uint32 internal _termsCount;
    mapping(uint256 requestId => RequestRecord) internal _requests;
    mapping(uint256 termsId => Terms) internal _terms;
    mapping(uint256 modelId => LatestTerms) internal _latestTerms;
    mapping(uint256 requestId => uint96) internal _callbackFees;
    mapping(uint8 mode => ModuleSlot) internal _modules;
    mapping(uint256 modelId => DeclineTally) internal _declines;
    /// @dev epoch + 1 of the worker's last decline of the model (0: never).
    mapping(uint256 modelId => mapping(address worker => uint32)) internal _declinedIn;
    /// @dev Reentrancy lock in transient storage (EIP-1153): set and cleared around every guarded call, so it costs
    ///      no storage write and leaves nothing behind for a later call in the same transaction.
    bool private transient _entered;

    // ------------------------------------------------------------------------------------------------- modifiers

    modifier nonReentrant() {
        _enter();
        _;
        _entered = false;
    }

    // ------------------------------------------------------------------------------------------------- constructor

    constructor(
        ISettlement settlement_,
        IStaking staking_,
        IModelRegistry registry_,
        IRandomnessSource randomness_,
        InferenceParams memory params_,
        address initialOwner
    ) Ownable(initialOwner) {
        if (
            address(settlement_) == address(0) ||
            address(staking_) == address(0) ||
            address(registry_) == address(0) ||
            address(randomness_) == address(0)
        ) revert HubZeroAddress();
        settlement = settlement_;
        staking = staking_;
        registry = registry_;
        randomness = randomness_;
        _setParams(params_);
    }

    // ------------------------------------------------------------------------------------------------- requests

    /// @inheritdoc IInferenceHub
    function request(RequestParams calldata params_) external nonReentrant returns (uint256 requestId) {
        return _request(params_);
    }

    /// @inheritdoc IInferenceHub
    function requestWithPermit(
        RequestParams calldata params_,
        uint256 permitAmount,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant returns (uint256 requestId) {
        settlement.depositWithPermit(msg.sender, permitAmount, permitDeadline, v, r, s);
        return _request(params_);
    }

    /// @inheritdoc IInferenceHub
    function requestBatch(RequestParams[] calldata batch) external nonReentrant returns (uint256 firstRequestId) {
        uint256 length = batch.length;
        if (length == 0 || length > MAX_BATCH) revert HubBatchTooLarge(length, MAX_BATCH);
        firstRequestId = _request(batch[0]);
        for (uint256 i = 1; i < length; ++i) _request(batch[i]);
    }

    // ------------------------------------------------------------------------------------------------- workers

    /// @inheritdoc IInferenceHub
    function submitResult(uint256 requestId, bytes calldata output, bool isError) external nonReentrant {
        _submit(requestId, output, isError);
    }

    /// @inheritdoc IInferenceHub
    function submitResultBatch(
        uint256[] calldata requestIds,
        bytes[] calldata outputs,
        bool[] calldata isError
    ) external nonReentrant {
        uint256 length = requestIds.length;
        if (length == 0 || length > MAX_BATCH) revert HubBatchTooLarge(length, MAX_BATCH);
        if (outputs.length != length || isError.length != length) revert HubBatchLengthMismatch();
        for (uint256 i; i < length; ++i) _submit(requestIds[i], outputs[i], isError[i]);
    }

    /// @inheritdoc IInferenceHub
    function decline(uint256 requestId, bytes32 reason) external nonReentrant {
        RequestRecord storage req = _requireStatus(requestId, Status.Requested);
        address worker = req.worker;
        if (msg.sender != worker) revert HubNotAssignedWorker(requestId, msg.sender, worker);
        if (block.timestamp > req.deadline) revert HubDeadlinePassed(requestId, req.deadline);

        req.worker = address(0);
        uint256 collateral = _collateral(req.termsId);
        staking.unlockCollateral(worker, collateral);
        uint256 modelId = req.modelId;
        emit WorkerDeclined(requestId, worker, modelId, reason);

        if (_recordDecline(modelId, worker)) _expire(requestId, req);
        else _reassignOrExpire(requestId, req, worker, collateral);
    }

    // ------------------------------------------------------------------------------------------------- anyone

    /// @inheritdoc IInferenceHub
    function reassign(uint256 requestId) external nonReentrant {
        RequestRecord storage req = _requireStatus(requestId, Status.Requested);
        if (block.timestamp <= req.deadline) revert HubDeadlineNotReached(requestId, req.deadline);
        _timeOut(requestId, req);
    }

    /// @inheritdoc IInferenceHub
    function finalize(uint256 requestId) external nonReentrant {
        RequestRecord storage req = _requireStatus(requestId, Status.Submitted);
        if (!_settle(requestId, req)) revert HubNotFinal(requestId);
    }

    /// @inheritdoc IInferenceHub
    function processBatch(uint256[] calldata requestIds) external nonReentrant returns (uint256 done) {
        uint256 length = requestIds.length;
        if (length == 0 || length > MAX_BATCH) revert HubBatchTooLarge(length, MAX_BATCH);
        for (uint256 i; i < length; ++i) {
            uint256 requestId = requestIds[i];
            RequestRecord storage req = _requests[requestId];
            Status status = req.status;
            if (status == Status.Submitted) {
                if (_settle(requestId, req)) ++done;
            } else if (status == Status.Requested && block.timestamp > req.deadline) {
                _timeOut(requestId, req);
                ++done;
            }
        }
    }

    /// @inheritdoc IInferenceHub
    function deliverCallback(uint256 requestId) external nonReentrant {
        RequestRecord storage req = _requests[requestId];
        if (!req.callbackPending) revert HubNoCallback(requestId);
        req.callbackPending = false;
        uint256 fee = _callbackFees[requestId];
        delete _callbackFees[requestId];
        address consumer = req.requester;
        uint256 gasLimit = req.callbackGasLimit;
        Status status = req.status;
        bool finalized = status == Status.Finalized;
        bytes memory data = abi.encodeCall(
            IInferenceConsumer.onInferenceSettled,
            (requestId, finalized, finalized ? req.resultHash : bytes32(0), finalized && req.isError)
        );
        if (fee > 0) settlement.payLocked(requestId, msg.sender, fee);

        // The consumer gets exactly `gasLimit`: the caller must forward enough (EIP-150 keeps 1/64 back), else the
        // whole call reverts and can be retried with more gas.
        uint256 needed = (gasLimit * 64) / 63 + CALLBACK_GAS_RESERVE;
        if (gasleft() < needed) revert HubInsufficientCallbackGas(gasleft(), needed);
        bool success;
        assembly ("memory-safe") {
            success := call(gasLimit, consumer, 0, add(data, 0x20), mload(data), 0, 0)
        }
        emit CallbackDelivered(requestId, consumer, success, msg.sender);
    }

    /// @inheritdoc IInferenceHub
    function cancelCallback(uint256 requestId) external nonReentrant {
        RequestRecord storage req = _requests[requestId];
        if (!req.callbackPending) revert HubNoCallback(requestId);
        if (msg.sender != req.requester) revert HubNotRequester(requestId, msg.sender);
        req.callbackPending = false;
        uint256 fee = _callbackFees[requestId];
        delete _callbackFees[requestId];
        if (fee > 0) settlement.refundFee(requestId, msg.sender, fee);
        emit CallbackCancelled(requestId, fee);
    }

    // ------------------------------------------------------------------------------------------------- governance

    /// @inheritdoc IInferenceHub
    function setParams(InferenceParams calldata params_) external onlyOwner {
        _setParams(params_);
        checkLifecycle();
    }

    /// @inheritdoc IInferenceHub
    function enableModule(uint8 mode, address module) external onlyOwner {
        if (mode >= MAX_MODES) revert HubInvalidMode(mode);
        if (module == address(0)) revert HubZeroAddress();
        ModuleSlot storage slot = _modules[mode];
        if (slot.module != address(0)) revert HubModeTaken(mode, slot.module);
        slot.module = module;
        slot.enabled = true;
        emit ModuleEnabled(mode, module);
        checkLifecycle();
    }

    /// @inheritdoc IInferenceHub
    function disableModule(uint8 mode) external onlyOwner {
        ModuleSlot storage slot = _modules[mode];
        if (!slot.enabled) revert HubModeDisabled(mode);
        slot.enabled = false;
        emit ModuleDisabled(mode, slot.module);
    }

    /// @inheritdoc IInferenceHub
    function checkLifecycle() public view {
        uint256 lifecycle = maxLifecycleDuration();
        uint256 unbonding = staking.params().unbondingDelay;
        if (lifecycle >= unbonding) revert HubLifecycleTooLong(lifecycle, unbonding);
    }

    // ------------------------------------------------------------------------------------------------- views

    /// @inheritdoc IInferenceHub
    function params() external view returns (InferenceParams memory) {
        return _params;
    }

    /// @inheritdoc IInferenceHub
    function getRequest(uint256 requestId) external view returns (Request memory r) {
        RequestRecord storage req = _requests[requestId];
        if (req.status == Status.None) revert HubUnknownRequest(requestId);
        Terms storage terms = _terms[req.termsId];
        address module = _modules[req.mode].module;
        Status status = req.status;
        if (status == Status.Submitted && IVerificationModule(module).isDisputed(requestId)) status = Status.Disputed;
        r = Request({
            requester: req.requester,
            modelId: req.modelId,
            status: status,
            mode: req.mode,
            module: module,
            attempts: req.attempts,
            isError: req.isError,
            worker: req.worker,
            deadline: req.deadline,
            callbackGasLimit: req.callbackGasLimit,
            callbackPending: req.callbackPending,
            modelFee: terms.modelFee,
            protocolFee: terms.protocolFee,
            callbackFee: _callbackFees[requestId],
            stakeToFeeRatio: terms.stakeToFeeRatio,
            verifierShareBps: terms.verifierShareBps,
            royaltyBps: terms.royaltyBps,
            resultHash: req.resultHash
        });
    }

    /// @inheritdoc IInferenceHub
    function jobOf(
        uint256 requestId
    ) external view returns (IVerificationModule.Job memory job, Status status, uint64 deadline, address module) {
        RequestRecord storage req = _requests[requestId];
        status = req.status;
        if (status == Status.None) revert HubUnknownRequest(requestId);
        job = _job(req);
        deadline = req.deadline;
        module = _modules[req.mode].module;
    }

    /// @inheritdoc IInferenceHub
    function collateralOf(uint256 requestId) external view returns (uint256) {
        RequestRecord storage req = _requests[requestId];
        Status status = req.status;
        if (status == Status.Requested && req.worker != address(0)) return _collateral(req.termsId);
        if (status == Status.Submitted) return _collateral(req.termsId);
        return 0;
    }

    /// @inheritdoc IInferenceHub
    function requestCount() external view returns (uint256) {
        return _requestCount;
    }

    /// @inheritdoc IInferenceHub
    function quote(uint256 modelId) external view returns (uint256 modelFee, uint256 protocolFee) {
        (uint96 fee, , , , ) = registry.requestTerms(modelId);
        modelFee = fee;
        protocolFee = (modelFee * _params.protocolFeeBps) / BPS;
    }

    /// @inheritdoc IInferenceHub
    function moduleOf(uint8 mode) external view returns (address module, bool enabled) {
        ModuleSlot storage slot = _modules[mode];
        return (slot.module, slot.enabled);
    }

    /// @inheritdoc IInferenceHub
    function maxLifecycleDuration() public view returns (uint256) {
        uint256 longest;
        for (uint8 mode; mode < MAX_MODES; ++mode) {
            address module = _modules[mode].module;
            if (module == address(0)) continue;
            uint256 duration = IVerificationModule(module).maxVerificationDuration();
            if (duration > longest) longest = duration;
        }
        return uint256(_params.maxAttempts) * _params.responseTimeout + longest;
    }

    // --------------------------------------------------------------------------------------------- internal: flow

    function _request(RequestParams calldata rp) internal returns (uint256 requestId) {
        (uint96 modelFee, uint8 mode, uint16 royaltyBps, bool available, ) = registry.requestTerms(rp.modelId);
        if (!available) revert HubModelUnavailable(rp.modelId);
        if (!_modules[mode].enabled) revert HubModeDisabled(mode);
        bytes32 inputHash = _checkInput(rp);
        (uint96 protocolFee, uint96 callbackFee) = _price(modelFee, rp.callbackGasLimit, rp.maxFee);

        requestId = ++_requestCount;
        RequestRecord storage req = _requests[requestId];
        req.requester = msg.sender;
        req.modelId = uint40(rp.modelId);
        req.status = Status.Requested;
        req.mode = mode;
        req.termsId = _termsFor(rp.modelId, modelFee, protocolFee, royaltyBps);
        req.callbackGasLimit = uint24(rp.callbackGasLimit);
        if (callbackFee > 0) _callbackFees[requestId] = callbackFee;

        settlement.lockFee(requestId, msg.sender, uint256(modelFee) + protocolFee + callbackFee);
        _emitRequested(requestId, rp, inputHash, modelFee, protocolFee);
        // The terms just matched the current parameters, so this is `_collateral(req.termsId)` without reading it.
        uint256 collateral = (uint256(modelFee) + protocolFee) * _params.stakeToFeeRatio;
        if (!_assign(requestId, req, address(0), collateral)) revert HubNoWorkerAvailable(rp.modelId);
    }

    function _emitRequested(
        uint256 requestId,
        RequestParams calldata rp,
        bytes32 inputHash,
        uint96 modelFee,
        uint96 protocolFee
    ) internal {
        emit InferenceRequested(
            requestId,
            rp.modelId,
            msg.sender,
            rp.input,
            rp.inputUri,
            inputHash,
            modelFee,
            protocolFee,
            rp.callbackGasLimit
        );
    }

    /// @dev Inline input xor URI + hash, within the size cap. Returns the input hash (computed for inline input).
    function _checkInput(RequestParams calldata rp) internal view returns (bytes32) {
        uint256 maxInput = _params.maxInputBytes;
        if (rp.input.length > 0) {
            if (bytes(rp.inputUri).length > 0) revert HubInvalidInput();
            if (rp.input.length > maxInput) revert HubInputTooLarge(rp.input.length, maxInput);
            return keccak256(rp.input);
        }
        uint256 uriLength = bytes(rp.inputUri).length;
        if (uriLength == 0 || rp.inputHash == bytes32(0)) revert HubInvalidInput();
        if (uriLength > maxInput) revert HubInputTooLarge(uriLength, maxInput);
        return rp.inputHash;
    }

    /// @dev The protocol fee on top of the model fee and the prepaid callback fee; the total must not exceed maxFee.
    function _price(
        uint96 modelFee,
        uint32 callbackGasLimit,
        uint256 maxFee
    ) internal view returns (uint96 protocolFee, uint96 callbackFee) {
        InferenceParams storage p = _params;
        if (callbackGasLimit > p.maxCallbackGas) revert HubCallbackGasTooHigh(callbackGasLimit, p.maxCallbackGas);
        protocolFee = uint96((uint256(modelFee) * p.protocolFeeBps) / BPS);
        if (callbackGasLimit > 0) callbackFee = uint96(uint256(callbackGasLimit) * p.callbackFeePerGas);
        uint256 price = uint256(modelFee) + protocolFee + callbackFee;
        if (price > maxFee) revert HubFeeAboveMax(price, maxFee);
    }

    function _submit(uint256 requestId, bytes calldata output, bool isError) internal {
        RequestRecord storage req = _requireStatus(requestId, Status.Requested);
        if (msg.sender != req.worker) revert HubNotAssignedWorker(requestId, msg.sender, req.worker);
        if (block.timestamp > req.deadline) revert HubDeadlinePassed(requestId, req.deadline);
        uint256 maxOutput = _params.maxOutputBytes;
        if (output.length > maxOutput) revert HubOutputTooLarge(output.length, maxOutput);

        bytes32 resultHash = keccak256(output);
        req.resultHash = resultHash;
        req.isError = isError;
        req.status = Status.Submitted;
        (IVerificationModule.Verdict verdict, uint64 deadline) = IVerificationModule(_modules[req.mode].module)
            .onResult(requestId, _job(req));
        req.deadline = uint40(deadline);
        emit ResultSubmitted(requestId, msg.sender, resultHash, isError, output, deadline);
        if (verdict != IVerificationModule.Verdict.Pending) {
            _apply(requestId, req, verdict, new address[](0));
        }
    }

    /// @dev Asks the module for its verdict and applies it. Returns false (and changes nothing) while Pending.
    function _settle(uint256 requestId, RequestRecord storage req) internal returns (bool) {
        (IVerificationModule.Verdict verdict, address[] memory paid) = IVerificationModule(_modules[req.mode].module)
            .settle(requestId, _job(req), req.deadline);
        if (verdict == IVerificationModule.Verdict.Pending) return false;
        _apply(requestId, req, verdict, paid);
        return true;
    }

    function _apply(
        uint256 requestId,
        RequestRecord storage req,
        IVerificationModule.Verdict verdict,
        address[] memory paid
    ) internal {
        req.callbackPending = req.callbackGasLimit > 0;
        if (verdict == IVerificationModule.Verdict.Accepted) {
            _finalizeAccepted(requestId, req, paid);
            return;
        }
        Terms storage terms = _terms[req.termsId];
        uint256 refund = uint256(terms.modelFee) + terms.protocolFee;
        address worker = req.worker;
        if (verdict == IVerificationModule.Verdict.Rejected) {
            // The court's slash already released this job's collateral.
            req.status = Status.Rejected;
            settlement.refundFee(requestId, req.requester, refund);
            emit RequestRejected(requestId, worker, refund);
        } else {
            req.status = Status.Refunded;
            staking.unlockCollateral(worker, _collateral(req.termsId));
            settlement.refundFee(requestId, req.requester, refund);
            emit RequestRefunded(requestId, worker, refund);
        }
    }

    /// @dev Splits the locked fee: royalty and verifier shares round down; the worker is the residual claimant of the
    ///      model fee and the treasury of the per-seat division remainder, so no wei is created or lost. With no
    ///      verifier work on record, the verifier share goes to the worker, whose stake was the only security.
    function _finalizeAccepted(uint256 requestId, RequestRecord storage req, address[] memory paid) internal {
        req.status = Status.Finalized;
        address worker = req.worker;
        uint32 termsId = req.termsId;
        staking.unlockCollateral(worker, _collateral(termsId));

        Terms storage terms = _terms[termsId];
        uint256 modelFee = terms.modelFee;
        ISettlement.FeeSplit memory split;
        split.worker = worker;
        split.royaltyRecipient = registry.royaltyRecipientOf(req.modelId);
        split.royalty = (modelFee * terms.royaltyBps) / BPS;
        split.verifiers = paid;
        uint256 verifierPay;
        if (paid.length > 0) {
            verifierPay = (modelFee * terms.verifierShareBps) / BPS;
            split.perVerifier = verifierPay / paid.length;
        }
        split.workerPay = modelFee - split.royalty - verifierPay;
        split.treasuryPay = uint256(terms.protocolFee) + verifierPay - split.perVerifier * paid.length;
        settlement.payFee(requestId, split);
        emit RequestFinalized(requestId, worker, req.resultHash, req.isError);
    }

    /// @dev The assigned worker missed its deadline: its job collateral is released and `livenessPenaltyBps` of it
    ///      slashed to the treasury, it is jailed, and the request goes to another worker or expires.
    function _timeOut(uint256 requestId, RequestRecord storage req) internal {
        address late = req.worker;
        uint256 collateral = _collateral(req.termsId);
        req.worker = address(0);
        uint256 penalty = staking.slash(late, (collateral * _params.livenessPenaltyBps) / BPS, collateral, true);
        if (penalty > 0) _creditTreasury(requestId, penalty);
        emit WorkerTimedOut(requestId, late, penalty);
        _reassignOrExpire(requestId, req, late, collateral);
    }

    function _reassignOrExpire(
        uint256 requestId,
        RequestRecord storage req,
        address previous,
        uint256 collateral
    ) internal {
        if (req.attempts >= _params.maxAttempts || !_assign(requestId, req, previous, collateral)) {
            _expire(requestId, req);
        }
    }

    /// @dev Draws a worker other than the requester and `previous` whose free stake covers the collateral.
    /// @dev `collateral` is the request's job collateral, `_collateral(req.termsId)`.
    function _assign(
        uint256 requestId,
        RequestRecord storage req,
        address previous,
        uint256 collateral
    ) internal returns (bool) {
        uint8 attempt = req.attempts + 1;
        uint256 seed = randomness.instantSeed(keccak256(abi.encode(requestId, attempt, "worker")));
        address worker = staking.assignWorker(seed, req.requester, previous, collateral);
        if (worker == address(0)) return false;
        uint40 deadline = uint40(block.timestamp + _params.responseTimeout);
        req.worker = worker;
        req.deadline = deadline;
        req.attempts = attempt;
        emit WorkerAssigned(requestId, worker, attempt, deadline, collateral);
        return true;
    }

    function _expire(uint256 requestId, RequestRecord storage req) internal {
        req.status = Status.Expired;
        req.callbackPending = req.callbackGasLimit > 0;
        Terms storage terms = _terms[req.termsId];
        uint256 refund = uint256(terms.modelFee) + terms.protocolFee;
        settlement.refundFee(requestId, req.requester, refund);
        emit RequestExpired(requestId, refund);
    }

    /// @dev Counts `worker` once per model epoch; suspends the model at the threshold.
    /// @return unavailable Whether the model now takes no requests (suspended or inactive): the request expires.
    function _recordDecline(uint256 modelId, address worker) internal returns (bool unavailable) {
        (, , , bool available, uint32 epoch) = registry.requestTerms(modelId);
        DeclineTally storage tally = _declines[modelId];
        if (tally.epoch != epoch) {
            tally.epoch = epoch;
            tally.count = 0;
        }
        mapping(address => uint32) storage declinedIn = _declinedIn[modelId];
        if (declinedIn[worker] != epoch + 1) {
            declinedIn[worker] = epoch + 1;
            ++tally.count;
        }
        if (available && tally.count >= _params.declineThreshold) {
            registry.suspend(modelId);
            available = false;
        }
        return !available;
    }

    function _creditTreasury(uint256 requestId, uint256 amount) internal {
        address[] memory accounts = new address[](1);
        uint256[] memory amounts = new uint256[](1);
        accounts[0] = settlement.treasury();
        amounts[0] = amount;
        settlement.credit(requestId, ISettlement.Source.Surplus, accounts, amounts, LIVENESS_PENALTY);
    }

    // --------------------------------------------------------------------------------------------- internal: helpers

    function _enter() internal {
        if (_entered) revert HubReentrantCall();
        _entered = true;
    }

    function _requireStatus(uint256 requestId, Status status) internal view returns (RequestRecord storage req) {
        req = _requests[requestId];
        if (req.status == Status.None) revert HubUnknownRequest(requestId);
        if (req.status != status) revert HubInvalidStatus(requestId, req.status);
    }

    function _job(RequestRecord storage req) internal view returns (IVerificationModule.Job memory) {
        Terms storage terms = _terms[req.termsId];
        uint256 fee = uint256(terms.modelFee) + terms.protocolFee;
        return
            IVerificationModule.Job({
                worker: req.worker,
                requester: req.requester,
                modelId: req.modelId,
                resultHash: req.resultHash,
                isError: req.isError,
                collateral: fee * terms.stakeToFeeRatio,
                fee: fee
            });
    }

    function _collateral(uint32 termsId) internal view returns (uint256) {
        Terms storage terms = _terms[termsId];
        return (uint256(terms.modelFee) + terms.protocolFee) * terms.stakeToFeeRatio;
    }

    /// @dev Reuses the model's latest terms record when nothing changed; otherwise records the new terms.
    function _termsFor(
        uint256 modelId,
        uint96 modelFee,
        uint96 protocolFee,
        uint16 royaltyBps
    ) internal returns (uint32 termsId) {
        InferenceParams storage p = _params;
        LatestTerms storage latest = _latestTerms[modelId];
        termsId = latest.termsId;
        if (
            termsId != 0 &&
            latest.modelFee == modelFee &&
            latest.protocolFeeBps == p.protocolFeeBps &&
            latest.royaltyBps == royaltyBps &&
            latest.stakeToFeeRatio == p.stakeToFeeRatio &&
            latest.verifierShareBps == p.verifierShareBps
        ) return termsId;
        termsId = ++_termsCount;
        _terms[termsId] = Terms(modelFee, protocolFee, p.stakeToFeeRatio, p.verifierShareBps, royaltyBps);
        _latestTerms[modelId] = LatestTerms(
            termsId,
            modelFee,
            p.protocolFeeBps,
            p.stakeToFeeRatio,
            p.verifierShareBps,
            royaltyBps
        );
    }

    function _setParams(InferenceParams memory p) internal {
        _check("protocolFeeBps", p.protocolFeeBps, 0, MAX_PROTOCOL_FEE_BPS);
        _check("verifierShareBps", p.verifierShareBps, 0, MAX_VERIFIER_SHARE_BPS);
        _check("stakeToFeeRatio", p.stakeToFeeRatio, 1, MAX_STAKE_TO_FEE_RATIO);
        _check("livenessPenaltyBps", p.livenessPenaltyBps, 0, MAX_LIVENESS_PENALTY_BPS);
        _check("maxAttempts", p.maxAttempts, 1, MAX_ATTEMPTS);
        _check("declineThreshold", p.declineThreshold, 1, MAX_DECLINE_THRESHOLD);
        _check("responseTimeout", p.responseTimeout, MIN_RESPONSE_TIMEOUT, MAX_RESPONSE_TIMEOUT);
        _check("maxCallbackGas", p.maxCallbackGas, 0, MAX_CALLBACK_GAS);
        _check("maxInputBytes", p.maxInputBytes, MIN_IO_BYTES, MAX_IO_BYTES);
        _check("maxOutputBytes", p.maxOutputBytes, MIN_IO_BYTES, MAX_IO_BYTES);
        _check("callbackFeePerGas", p.callbackFeePerGas, 0, MAX_CALLBACK_FEE_PER_GAS);
        _params = p;
        emit ParamsUpdated(p);
    }

    function _check(string memory name, uint256 value, uint256 min, uint256 max) internal pure {
        if (value < min || value > max) revert HubParamOutOfBounds(name, value, min, max);
    }
}
