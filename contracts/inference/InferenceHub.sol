// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IInferenceConsumer} from "../interfaces/IInferenceConsumer.sol";
import {IInferenceHub} from "../interfaces/IInferenceHub.sol";
import {IModelRegistry, IModelTermsListener} from "../interfaces/IModelRegistry.sol";
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
contract InferenceHub is IInferenceHub, IModelTermsListener, Ownable {
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
    uint256 internal constant MAX_ATTEMPTS = 7; // < 2^3: fits the record's attempt bits
    uint256 internal constant MAX_DECLINE_THRESHOLD = 20;
    uint256 internal constant MIN_RESPONSE_TIMEOUT = 10 seconds;
    uint256 internal constant MAX_RESPONSE_TIMEOUT = 1 days;
    uint256 internal constant MAX_CALLBACK_GAS = 2_000_000;
    uint256 internal constant MIN_IO_BYTES = 32;
    uint256 internal constant MAX_IO_BYTES = 128 * 1024;
    uint256 internal constant MAX_CALLBACK_FEE_PER_GAS = 1e15;

    // Bits of `RequestRecord.flags`.
    uint8 internal constant STATUS_MASK = 0x07; // bits 0-2: the stored Status (never Disputed, which is a view)
    uint8 internal constant ATTEMPTS_SHIFT = 3; // bits 3-5: assignments so far
    uint8 internal constant ATTEMPTS_MASK = 0x38;
    uint8 internal constant IS_ERROR = 0x40; // bit 6: the posted result is an error result
    uint8 internal constant HAS_CALLBACK = 0x80; // bit 7: the requester asked for a callback (see `_callbacks`)

    // ------------------------------------------------------------------------------------------------- immutables

    ISettlement public immutable settlement;
    IStaking public immutable staking;
    IModelRegistry public immutable registry;
    IRandomnessSource public immutable randomness;

    // ------------------------------------------------------------------------------------------------- types

    /// @dev Storage form of a request: one slot, written at request time and by every step; the result hash takes
    ///      a second slot at submission. What is the same for every request under the same terms (model, mode,
    ///      fees, royalty recipient) is in `Terms`; the worker is a hub-local id (`_workerIds`), which is what lets
    ///      the rest fit 256 bits; the callback, which most requests do not have, is in `_callbacks`.
    struct RequestRecord {
        address requester;
        uint24 workerId; // 0: no worker assigned
        uint32 deadline; // response deadline (Requested) or the module's window end (Submitted)
        uint32 termsId;
        uint8 flags; // STATUS_MASK, ATTEMPTS_MASK, IS_ERROR, HAS_CALLBACK
    }

    /// @dev Terms snapshotted at request time, shared by every request made for the same model under the same
    ///      terms. Slot A is what collateral and fees need; slot B what paying out needs.
    struct Terms {
        // slot A
        uint96 modelFee;
        uint96 protocolFee;
        uint16 stakeToFeeRatio;
        uint16 verifierShareBps;
        uint16 royaltyBps;
        uint8 mode;
        // slot B
        address royaltyRecipient;
        uint64 modelId;
    }

    /// @dev A request's consumer callback: its gas limit, prepaid fee, and whether it waits for delivery.
    struct Callback {
        uint96 fee;
        uint32 gasLimit;
        bool pending;
    }

    /// @dev The hub's counters in one slot: a request reads and writes it anyway, so a new terms record, a new
    ///      worker id, the check that the model's mode is enabled or that its kept terms are current costs no extra
    ///      slot access.
    struct Counters {
        uint64 requests;
        uint32 terms;
        uint24 workerIds;
        uint8 enabledModes; // bit `mode` set: the mode's module takes new requests
        uint32 termsEpoch; // bumped when every kept model's terms become stale (parameter change, suspender change)
        bool listening; // the registry reports model changes to this hub (see `LatestTerms`)
    }

    /// @dev A model's latest terms record, and what a request needs of it, in one slot. It is current while the hub
    ///      listens to the registry and `epoch` is `Counters.termsEpoch`: the registry reports every change of the
    ///      model ({onModelTermsChanged} sets `epoch` to 0), a parameter change or a suspender change bumps the
    ///      counter. A request then reads this slot instead of calling the registry; the protocol fee follows from
    ///      `modelFee` and the current parameters, which the terms were made with.
    struct LatestTerms {
        uint32 termsId;
        uint32 epoch;
        uint96 modelFee;
        uint8 mode;
    }

    /// @dev What a request takes from the registry and the terms records. The items of one batch share it: nothing
    ///      the hub calls during a request can change the registry or the hub's parameters.
    struct ModelTerms {
        uint256 modelId;
        uint96 modelFee;
        uint96 protocolFee;
        uint32 termsId; // 0: not loaded
    }

    /// @dev Distinct workers that declined a model in its current registry epoch.
    struct DeclineTally {
        uint32 epoch;
        uint8 count;
    }

    // ------------------------------------------------------------------------------------------------- state

    InferenceParams internal _params;
    Counters internal _counters;
    mapping(uint256 requestId => RequestRecord) internal _requests;
    mapping(uint256 requestId => bytes32) internal _resultHashes;
    mapping(uint256 requestId => Callback) internal _callbacks;
    mapping(uint256 termsId => Terms) internal _terms;
    mapping(uint256 modelId => LatestTerms) internal _latestTerms;
    /// @dev Hub-local worker ids, given the first time a worker is assigned and never reused.
    mapping(address worker => uint24 id) internal _workerIds;
    mapping(uint24 id => address worker) internal _workerAddresses;
    /// @dev The module of each mode, fixed once set; whether it takes requests is `Counters.enabledModes`.
    mapping(uint8 mode => address module) internal _modules;
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
        ModelTerms memory terms;
        return _request(params_, terms);
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
        ModelTerms memory terms;
        return _request(params_, terms);
    }

    /// @inheritdoc IInferenceHub
    function requestBatch(RequestParams[] calldata batch) external nonReentrant returns (uint256 firstRequestId) {
        uint256 length = batch.length;
        if (length == 0 || length > MAX_BATCH) revert HubBatchTooLarge(length, MAX_BATCH);
        ModelTerms memory terms;
        firstRequestId = _request(batch[0], terms);
        for (uint256 i = 1; i < length; ++i) _request(batch[i], terms);
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
        _requireAssignedWorker(requestId, req);
        if (block.timestamp > req.deadline) revert HubDeadlinePassed(requestId, req.deadline);

        address worker = msg.sender;
        req.workerId = 0;
        uint256 collateral = _collateral(req.termsId);
        staking.unlockCollateral(worker, collateral);
        uint256 modelId = _terms[req.termsId].modelId;
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
            Status status = _status(req);
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
        Callback storage callback = _callbacks[requestId];
        if (!callback.pending) revert HubNoCallback(requestId);
        uint256 fee = callback.fee;
        uint256 gasLimit = callback.gasLimit;
        callback.pending = false;
        callback.fee = 0;
        RequestRecord storage req = _requests[requestId];
        address consumer = req.requester;
        bool finalized = _status(req) == Status.Finalized;
        bytes memory data = abi.encodeCall(
            IInferenceConsumer.onInferenceSettled,
            (
                requestId,
                finalized,
                finalized ? _resultHashes[requestId] : bytes32(0),
                finalized && req.flags & IS_ERROR != 0
            )
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
        Callback storage callback = _callbacks[requestId];
        if (!callback.pending) revert HubNoCallback(requestId);
        if (msg.sender != _requests[requestId].requester) revert HubNotRequester(requestId, msg.sender);
        uint256 fee = callback.fee;
        callback.pending = false;
        callback.fee = 0;
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
        address current = _modules[mode];
        if (current != address(0)) revert HubModeTaken(mode, current);
        _modules[mode] = module;
        _counters.enabledModes |= uint8(1 << mode); // mode < MAX_MODES = 8
        emit ModuleEnabled(mode, module);
        checkLifecycle();
    }

    /// @inheritdoc IInferenceHub
    function disableModule(uint8 mode) external onlyOwner {
        if (!_modeEnabled(mode)) revert HubModeDisabled(mode);
        _counters.enabledModes &= ~uint8(1 << mode); // an enabled mode is below MAX_MODES = 8
        emit ModuleDisabled(mode, _modules[mode]);
    }

    // ------------------------------------------------------------------------------------------------- registry

    /// @inheritdoc IModelTermsListener
    /// @dev Marks the model's kept terms stale; the registry's own event records the change. Not guarded against
    ///      reentrancy: the registry calls it while the hub suspends a model from {decline}.
    function onModelTermsChanged(uint256 modelId) external {
        if (msg.sender != address(registry)) revert HubNotRegistry(msg.sender);
        _latestTerms[modelId].epoch = 0;
    }

    /// @inheritdoc IModelTermsListener
    /// @dev Whatever was kept before is stale: while another address was the suspender, no change was reported.
    function onSuspenderChanged(address suspender) external {
        if (msg.sender != address(registry)) revert HubNotRegistry(msg.sender);
        Counters storage counters = _counters;
        bool listening = suspender == address(this);
        counters.listening = listening;
        ++counters.termsEpoch;
        emit RegistryListening(listening);
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
        Status status = _status(req);
        if (status == Status.None) revert HubUnknownRequest(requestId);
        Terms storage terms = _terms[req.termsId];
        address module = _modules[terms.mode];
        if (status == Status.Submitted && IVerificationModule(module).isDisputed(requestId)) status = Status.Disputed;
        Callback storage callback = _callbacks[requestId];
        r = Request({
            requester: req.requester,
            modelId: terms.modelId,
            status: status,
            mode: terms.mode,
            module: module,
            attempts: _attempts(req),
            isError: req.flags & IS_ERROR != 0,
            worker: _workerAddresses[req.workerId],
            deadline: req.deadline,
            callbackGasLimit: callback.gasLimit,
            callbackPending: callback.pending,
            modelFee: terms.modelFee,
            protocolFee: terms.protocolFee,
            callbackFee: callback.fee,
            stakeToFeeRatio: terms.stakeToFeeRatio,
            verifierShareBps: terms.verifierShareBps,
            royaltyBps: terms.royaltyBps,
            resultHash: _resultHashes[requestId]
        });
    }

    /// @inheritdoc IInferenceHub
    function jobOf(
        uint256 requestId
    ) external view returns (IVerificationModule.Job memory job, Status status, uint64 deadline, address module) {
        RequestRecord storage req = _requests[requestId];
        status = _status(req);
        if (status == Status.None) revert HubUnknownRequest(requestId);
        job = _job(requestId, req, _workerAddresses[req.workerId]);
        deadline = req.deadline;
        module = _modules[_terms[req.termsId].mode];
    }

    /// @inheritdoc IInferenceHub
    function collateralOf(uint256 requestId) external view returns (uint256) {
        RequestRecord storage req = _requests[requestId];
        Status status = _status(req);
        if (status == Status.Requested && req.workerId != 0) return _collateral(req.termsId);
        if (status == Status.Submitted) return _collateral(req.termsId);
        return 0;
    }

    /// @inheritdoc IInferenceHub
    function requestCount() external view returns (uint256) {
        return _counters.requests;
    }

    /// @inheritdoc IInferenceHub
    function quote(uint256 modelId) external view returns (uint256 modelFee, uint256 protocolFee) {
        (uint96 fee, , , , , ) = registry.requestTerms(modelId);
        modelFee = fee;
        protocolFee = (modelFee * _params.protocolFeeBps) / BPS;
    }

    /// @inheritdoc IInferenceHub
    function moduleOf(uint8 mode) external view returns (address module, bool enabled) {
        return (_modules[mode], _modeEnabled(mode));
    }

    /// @inheritdoc IInferenceHub
    function listensToRegistry() external view returns (bool) {
        return _counters.listening;
    }

    /// @inheritdoc IInferenceHub
    function maxLifecycleDuration() public view returns (uint256) {
        uint256 longest;
        for (uint8 mode; mode < MAX_MODES; ++mode) {
            address module = _modules[mode];
            if (module == address(0)) continue;
            uint256 duration = IVerificationModule(module).maxVerificationDuration();
            if (duration > longest) longest = duration;
        }
        return uint256(_params.maxAttempts) * _params.responseTimeout + longest;
    }

    // --------------------------------------------------------------------------------------------- internal: flow

    /// @dev `terms` is reused when it holds the same model (the next item of a batch), else loaded into.
    function _request(RequestParams calldata rp, ModelTerms memory terms) internal returns (uint256 requestId) {
        if (terms.termsId == 0 || terms.modelId != rp.modelId) _loadTerms(rp.modelId, terms);
        bytes32 inputHash = _checkInput(rp);
        uint256 fee = uint256(terms.modelFee) + terms.protocolFee;
        uint96 callbackFee = _callbackFee(rp.callbackGasLimit, fee, rp.maxFee);

        requestId = ++_counters.requests;
        RequestRecord storage req = _requests[requestId];
        req.requester = msg.sender;
        req.termsId = terms.termsId;
        uint8 flags = uint8(Status.Requested);
        if (rp.callbackGasLimit > 0) {
            flags |= HAS_CALLBACK;
            _callbacks[requestId] = Callback(callbackFee, rp.callbackGasLimit, false);
        }
        req.flags = flags;

        settlement.lockFee(requestId, msg.sender, fee + callbackFee);
        _emitRequested(requestId, rp, inputHash, terms.modelFee, terms.protocolFee);
        // The terms match the current parameters, so this is `_collateral(req.termsId)` without reading it.
        if (!_assign(requestId, req, address(0), fee * _params.stakeToFeeRatio)) {
            revert HubNoWorkerAvailable(rp.modelId);
        }
    }

    /// @dev Checks that `modelId` takes requests and fills `terms` with its price and terms record: from the model's
    ///      kept terms while they are current (see `LatestTerms`), else from the registry, keeping them.
    function _loadTerms(uint256 modelId, ModelTerms memory terms) internal {
        Counters storage counters = _counters;
        LatestTerms storage latest = _latestTerms[modelId];
        uint32 termsId = latest.termsId;
        uint96 modelFee;
        uint8 mode;
        uint16 protocolFeeBps = _params.protocolFeeBps;
        // `termsEpoch` starts at 1, so a model whose terms were never kept (epoch 0) is never current.
        if (counters.listening && latest.epoch == counters.termsEpoch) {
            (modelFee, mode) = (latest.modelFee, latest.mode);
        } else {
            (termsId, modelFee, mode) = _refreshTerms(modelId, termsId, protocolFeeBps, counters.termsEpoch);
        }
        if (!_modeEnabled(mode)) revert HubModeDisabled(mode);
        terms.modelId = modelId;
        terms.modelFee = modelFee;
        terms.protocolFee = uint96((uint256(modelFee) * protocolFeeBps) / BPS);
        terms.termsId = termsId;
    }

    /// @dev Reads the model's terms from the registry (reverting unless it takes requests), reuses the model's
    ///      previous terms record `termsId` if it matches them exactly (else records new terms) and keeps the result
    ///      as the model's latest terms.
    function _refreshTerms(
        uint256 modelId,
        uint32 termsId,
        uint16 protocolFeeBps,
        uint32 termsEpoch
    ) internal returns (uint32, uint96 modelFee, uint8 mode) {
        InferenceParams storage p = _params;
        uint16 royaltyBps;
        bool available;
        address royaltyRecipient;
        (modelFee, mode, royaltyBps, available, , royaltyRecipient) = registry.requestTerms(modelId);
        if (!available) revert HubModelUnavailable(modelId);
        Terms memory fresh = Terms({
            modelFee: modelFee,
            protocolFee: uint96((uint256(modelFee) * protocolFeeBps) / BPS),
            stakeToFeeRatio: p.stakeToFeeRatio,
            verifierShareBps: p.verifierShareBps,
            royaltyBps: royaltyBps,
            mode: mode,
            royaltyRecipient: royaltyRecipient,
            modelId: uint64(modelId) // an existing model's id: the registry reverted otherwise
        });
        if (termsId == 0 || keccak256(abi.encode(_terms[termsId])) != keccak256(abi.encode(fresh))) {
            termsId = ++_counters.terms;
            _terms[termsId] = fresh;
        }
        _latestTerms[modelId] = LatestTerms(termsId, termsEpoch, modelFee, mode);
        return (termsId, modelFee, mode);
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

    /// @dev The prepaid callback fee; the request's total price (`fee` + callback fee) must not exceed maxFee.
    function _callbackFee(
        uint32 callbackGasLimit,
        uint256 fee,
        uint256 maxFee
    ) internal view returns (uint96 callbackFee) {
        InferenceParams storage p = _params;
        if (callbackGasLimit > p.maxCallbackGas) revert HubCallbackGasTooHigh(callbackGasLimit, p.maxCallbackGas);
        if (callbackGasLimit > 0) callbackFee = uint96(uint256(callbackGasLimit) * p.callbackFeePerGas);
        uint256 price = fee + callbackFee;
        if (price > maxFee) revert HubFeeAboveMax(price, maxFee);
    }

    function _submit(uint256 requestId, bytes calldata output, bool isError) internal {
        RequestRecord storage req = _requireStatus(requestId, Status.Requested);
        _requireAssignedWorker(requestId, req);
        if (block.timestamp > req.deadline) revert HubDeadlinePassed(requestId, req.deadline);
        uint256 maxOutput = _params.maxOutputBytes;
        if (output.length > maxOutput) revert HubOutputTooLarge(output.length, maxOutput);

        bytes32 resultHash = keccak256(output);
        _resultHashes[requestId] = resultHash;
        uint8 flags = (req.flags & ~(STATUS_MASK | IS_ERROR)) | uint8(Status.Submitted);
        if (isError) flags |= IS_ERROR;
        req.flags = flags;
        (IVerificationModule.Verdict verdict, uint64 deadline) = IVerificationModule(_modules[_terms[req.termsId].mode])
            .onResult(requestId, _job(requestId, req, msg.sender));
        req.deadline = SafeCast.toUint32(deadline);
        emit ResultSubmitted(requestId, msg.sender, resultHash, isError, output, deadline);
        if (verdict != IVerificationModule.Verdict.Pending) {
            _apply(requestId, req, msg.sender, verdict, new address[](0));
        }
    }

    /// @dev Asks the module for its verdict and applies it. Returns false (and changes nothing) while Pending.
    function _settle(uint256 requestId, RequestRecord storage req) internal returns (bool) {
        address worker = _workerAddresses[req.workerId];
        (IVerificationModule.Verdict verdict, address[] memory paid) = IVerificationModule(
            _modules[_terms[req.termsId].mode]
        ).settle(requestId, _job(requestId, req, worker), req.deadline);
        if (verdict == IVerificationModule.Verdict.Pending) return false;
        _apply(requestId, req, worker, verdict, paid);
        return true;
    }

    function _apply(
        uint256 requestId,
        RequestRecord storage req,
        address worker,
        IVerificationModule.Verdict verdict,
        address[] memory paid
    ) internal {
        if (req.flags & HAS_CALLBACK != 0) _callbacks[requestId].pending = true;
        if (verdict == IVerificationModule.Verdict.Accepted) {
            _finalizeAccepted(requestId, req, worker, paid);
            return;
        }
        Terms storage terms = _terms[req.termsId];
        uint256 refund = uint256(terms.modelFee) + terms.protocolFee;
        if (verdict == IVerificationModule.Verdict.Rejected) {
            // The court's slash already released this job's collateral.
            _setStatus(req, Status.Rejected);
            settlement.refundFee(requestId, req.requester, refund);
            emit RequestRejected(requestId, worker, refund);
        } else {
            _setStatus(req, Status.Refunded);
            staking.unlockCollateral(worker, _collateral(req.termsId));
            settlement.refundFee(requestId, req.requester, refund);
            emit RequestRefunded(requestId, worker, refund);
        }
    }

    /// @dev Splits the locked fee: royalty and verifier shares round down; the worker is the residual claimant of the
    ///      model fee and the treasury of the per-seat division remainder, so no wei is created or lost. With no
    ///      verifier work on record, the verifier share goes to the worker, whose stake was the only security. The
    ///      royalty goes to the recipient of the terms the request was made under.
    function _finalizeAccepted(
        uint256 requestId,
        RequestRecord storage req,
        address worker,
        address[] memory paid
    ) internal {
        _setStatus(req, Status.Finalized);
        uint32 termsId = req.termsId;
        staking.unlockCollateral(worker, _collateral(termsId));

        Terms storage terms = _terms[termsId];
        uint256 modelFee = terms.modelFee;
        ISettlement.FeeSplit memory split;
        split.worker = worker;
        split.royaltyRecipient = terms.royaltyRecipient;
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
        emit RequestFinalized(requestId, worker, _resultHashes[requestId], req.flags & IS_ERROR != 0);
    }

    /// @dev The assigned worker missed its deadline: its job collateral is released and `livenessPenaltyBps` of it
    ///      slashed to the treasury, it is jailed, and the request goes to another worker or expires.
    function _timeOut(uint256 requestId, RequestRecord storage req) internal {
        address late = _workerAddresses[req.workerId];
        uint256 collateral = _collateral(req.termsId);
        req.workerId = 0;
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
        if (_attempts(req) >= _params.maxAttempts || !_assign(requestId, req, previous, collateral)) {
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
        uint8 attempt = _attempts(req) + 1;
        uint256 seed = randomness.instantSeed(keccak256(abi.encode(requestId, attempt, "worker")));
        address worker = staking.assignWorker(seed, req.requester, previous, collateral);
        if (worker == address(0)) return false;
        // Timestamps fit 32 bits until 2106 (and the timeout is at most a day).
        uint32 deadline = uint32(block.timestamp + _params.responseTimeout);
        req.workerId = _workerIdOf(worker);
        req.deadline = deadline;
        req.flags = (req.flags & ~ATTEMPTS_MASK) | (attempt << ATTEMPTS_SHIFT);
        emit WorkerAssigned(requestId, worker, attempt, deadline, collateral);
        return true;
    }

    function _expire(uint256 requestId, RequestRecord storage req) internal {
        _setStatus(req, Status.Expired);
        if (req.flags & HAS_CALLBACK != 0) _callbacks[requestId].pending = true;
        Terms storage terms = _terms[req.termsId];
        uint256 refund = uint256(terms.modelFee) + terms.protocolFee;
        settlement.refundFee(requestId, req.requester, refund);
        emit RequestExpired(requestId, refund);
    }

    /// @dev Counts `worker` once per model epoch; suspends the model at the threshold.
    /// @return unavailable Whether the model now takes no requests (suspended or inactive): the request expires.
    function _recordDecline(uint256 modelId, address worker) internal returns (bool unavailable) {
        (, , , bool available, uint32 epoch, ) = registry.requestTerms(modelId);
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
        Status current = _status(req);
        if (current == Status.None) revert HubUnknownRequest(requestId);
        if (current != status) revert HubInvalidStatus(requestId, current);
    }

    /// @dev Reverts unless the caller is the request's assigned worker.
    function _requireAssignedWorker(uint256 requestId, RequestRecord storage req) internal view {
        uint24 workerId = req.workerId;
        if (workerId == 0 || _workerIds[msg.sender] != workerId) {
            revert HubNotAssignedWorker(requestId, msg.sender, _workerAddresses[workerId]);
        }
    }

    /// @dev The worker's hub-local id; a worker assigned for the first time gets the next one.
    function _workerIdOf(address worker) internal returns (uint24 workerId) {
        workerId = _workerIds[worker];
        if (workerId != 0) return workerId;
        uint256 next = uint256(_counters.workerIds) + 1;
        if (next > type(uint24).max) revert HubWorkerIdsExhausted();
        workerId = uint24(next);
        _counters.workerIds = workerId;
        _workerIds[worker] = workerId;
        _workerAddresses[workerId] = worker;
    }

    /// @dev Whether `mode`'s module takes new requests (false for any mode from MAX_MODES on).
    function _modeEnabled(uint8 mode) internal view returns (bool) {
        return (uint256(_counters.enabledModes) >> mode) & 1 != 0;
    }

    function _status(RequestRecord storage req) internal view returns (Status) {
        return Status(req.flags & STATUS_MASK);
    }

    function _setStatus(RequestRecord storage req, Status status) internal {
        req.flags = (req.flags & ~STATUS_MASK) | uint8(status);
    }

    function _attempts(RequestRecord storage req) internal view returns (uint8) {
        return (req.flags & ATTEMPTS_MASK) >> ATTEMPTS_SHIFT;
    }

    function _job(
        uint256 requestId,
        RequestRecord storage req,
        address worker
    ) internal view returns (IVerificationModule.Job memory) {
        Terms storage terms = _terms[req.termsId];
        uint256 fee = uint256(terms.modelFee) + terms.protocolFee;
        return
            IVerificationModule.Job({
                worker: worker,
                requester: req.requester,
                modelId: terms.modelId,
                resultHash: _resultHashes[requestId],
                isError: req.flags & IS_ERROR != 0,
                collateral: fee * terms.stakeToFeeRatio,
                fee: fee
            });
    }

    function _collateral(uint32 termsId) internal view returns (uint256) {
        Terms storage terms = _terms[termsId];
        return (uint256(terms.modelFee) + terms.protocolFee) * terms.stakeToFeeRatio;
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
        ++_counters.termsEpoch; // every kept model's terms were made with the previous parameters
        emit ParamsUpdated(p);
    }

    function _check(string memory name, uint256 value, uint256 min, uint256 max) internal pure {
        if (value < min || value > max) revert HubParamOutOfBounds(name, value, min, max);
    }
}
