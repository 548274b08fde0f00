// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {IModelRegistry, IModelTermsListener} from "../interfaces/IModelRegistry.sol";

/// @title ModelRegistry
/// @notice Content-addressed registry of the models served by the OPG network: tensor models and causal language
///         models with their tokenizer.
/// @dev Each model's owner manages its model's mutable fields (fee, royalty, URIs, active flag, ownership).
///      Everything that determines what a result is (content hash, kind, tokenizer hash, output decimals, tolerance,
///      context length, end-of-sequence token, schema digest, verification mode) is immutable: a new version is a new
///      model. Governance (the contract owner) sets only the minimum fee, within hard bounds, and the suspender (the
///      inference hub), which may suspend a model that distinct workers could not obtain; the model's owner lifts the
///      suspension with {setUri} or {resume}, each of which starts a new decline epoch.
///      The suspender, when it is a contract, is also told of every change of a model's request terms and of every
///      suspender change ({IModelTermsListener}), so the hub can keep models' terms between requests; its failure
///      reverts the change.
///      Storage: {IModelRegistry.Model} is stored as declared; its first two slots hold (owner, fee) and
///      (royaltyRecipient, royaltyBps, mode, outputDecimals, active, suspended, kind, epoch), so {requestTerms} reads
///      exactly two slots (existence is `owner != 0`: no model can have a zero owner).
///      A governance change of the minimum fee does not touch registered models; the hub compares a model's fee
///      with {minFee} if it needs to.
contract ModelRegistry is IModelRegistry, Ownable {
    // ----------------------------------------------------------------------------------------------- constants

    /// @notice Highest fee per inference, in OPG wei.
    uint96 public constant MAX_FEE = 1_000_000e18;
    /// @notice Lowest value governance may give {minFee} (one millionth of an OPG: never a free model).
    uint96 public constant MIN_MIN_FEE = 1e12;
    /// @notice Highest value governance may give {minFee}.
    uint96 public constant MAX_MIN_FEE = 1_000e18;
    /// @notice Highest number of fixed-point decimals of canonical outputs (a FIXED64 keeps 18 decimals exactly).
    uint8 public constant MAX_OUTPUT_DECIMALS = 18;
    /// @notice Highest royalty share of the model fee, in basis points.
    uint16 public constant MAX_ROYALTY_BPS = 5_000;
    /// @notice Longest URI (model or tokenizer), in bytes.
    uint256 public constant MAX_URI_LENGTH = 512;
    /// @notice Verification mode ids are below this (the hub maps ids to modules).
    uint8 public constant MAX_MODES = 8;

    // ----------------------------------------------------------------------------------------------- state

    /// @dev Model records by id (ids start at 1).
    mapping(uint256 modelId => Model) private _models;
    /// @dev Number of registered models, which is also the highest id.
    uint256 private _modelCount;
    /// @dev Lowest fee a model may be registered with or set to.
    uint96 private _minFee;
    /// @dev The contract allowed to suspend models (the inference hub); zero: nobody.
    address private _suspender;

    // ----------------------------------------------------------------------------------------------- modifiers

    /// @dev Reverts unless `modelId` exists and the caller owns it.
    modifier onlyModelOwner(uint256 modelId) {
        _checkModelOwner(modelId);
        _;
    }

    // ----------------------------------------------------------------------------------------------- constructor

    /// @param initialOwner The deployer first; governance (the timelock) afterwards.
    /// @param minFee_ The initial minimum fee, within [{MIN_MIN_FEE}, {MAX_MIN_FEE}].
    constructor(address initialOwner, uint96 minFee_) Ownable(initialOwner) {
        _setMinFee(minFee_);
    }

    // ----------------------------------------------------------------------------------------------- owners

    /// @inheritdoc IModelRegistry
    function registerModel(ModelParams calldata params) external returns (uint256 modelId) {
        _checkParams(params);
        bool isLanguageModel = params.kind == ModelKind.CAUSAL_LM;

        modelId = ++_modelCount;
        _models[modelId] = Model({
            owner: msg.sender,
            fee: params.fee,
            royaltyRecipient: params.royaltyRecipient,
            royaltyBps: params.royaltyBps,
            mode: params.mode,
            outputDecimals: params.outputDecimals,
            active: true,
            suspended: false,
            kind: params.kind,
            epoch: 0,
            tolerance: params.tolerance,
            contextLength: params.contextLength,
            eosTokenId: params.eosTokenId,
            contentHash: params.contentHash,
            schemaDigest: params.schemaDigest,
            tokenizerHash: params.tokenizerHash,
            uri: params.uri,
            tokenizerUri: params.tokenizerUri
        });
        emit ModelRegistered(
            modelId,
            msg.sender,
            params.contentHash,
            params.uri,
            params.fee,
            params.mode,
            params.outputDecimals,
            params.tolerance,
            params.schemaDigest,
            params.kind
        );
        if (isLanguageModel) {
            emit LanguageModelRegistered(
                modelId,
                params.tokenizerHash,
                params.tokenizerUri,
                params.contextLength,
                params.eosTokenId
            );
        }
        emit ModelRoyaltyUpdated(modelId, params.royaltyRecipient, params.royaltyBps);
    }

    /// @inheritdoc IModelRegistry
    function setFee(uint256 modelId, uint96 fee) external onlyModelOwner(modelId) {
        _checkFee(fee);
        Model storage model = _models[modelId];
        uint96 oldFee = model.fee;
        model.fee = fee;
        emit ModelFeeUpdated(modelId, oldFee, fee);
        _notifyTermsChanged(modelId);
    }

    /// @inheritdoc IModelRegistry
    function setRoyalty(uint256 modelId, address recipient, uint16 royaltyBps) external onlyModelOwner(modelId) {
        _checkRoyalty(recipient, royaltyBps);
        Model storage model = _models[modelId];
        model.royaltyRecipient = recipient;
        model.royaltyBps = royaltyBps;
        emit ModelRoyaltyUpdated(modelId, recipient, royaltyBps);
        _notifyTermsChanged(modelId);
    }

    /// @inheritdoc IModelRegistry
    /// @dev `tokenizerUri` must be empty for a TENSOR model and a valid URI for a CAUSAL_LM. Emits {ModelResumed}
    ///      as well when the model was suspended.
    function setUri(
        uint256 modelId,
        string calldata uri,
        string calldata tokenizerUri
    ) external onlyModelOwner(modelId) {
        _checkUri(uri);
        Model storage model = _models[modelId];
        if (model.kind == ModelKind.CAUSAL_LM) {
            _checkTokenizerUri(tokenizerUri);
        } else if (bytes(tokenizerUri).length != 0) {
            revert RegistryInvalidLanguageModel();
        }
        model.uri = uri;
        model.tokenizerUri = tokenizerUri;
        bool wasSuspended = model.suspended;
        uint32 epoch = _newEpoch(model);
        emit ModelUriUpdated(modelId, uri, tokenizerUri, epoch);
        if (wasSuspended) emit ModelResumed(modelId, epoch);
        _notifyTermsChanged(modelId);
    }

    /// @inheritdoc IModelRegistry
    function setActive(uint256 modelId, bool active) external onlyModelOwner(modelId) {
        _models[modelId].active = active;
        emit ModelActiveSet(modelId, active);
        _notifyTermsChanged(modelId);
    }

    /// @inheritdoc IModelRegistry
    function resume(uint256 modelId) external onlyModelOwner(modelId) {
        Model storage model = _models[modelId];
        if (!model.suspended) revert RegistryNotSuspended(modelId);
        emit ModelResumed(modelId, _newEpoch(model));
        _notifyTermsChanged(modelId);
    }

    /// @inheritdoc IModelRegistry
    function transferModelOwnership(uint256 modelId, address newOwner) external onlyModelOwner(modelId) {
        if (newOwner == address(0)) revert RegistryZeroAddress();
        Model storage model = _models[modelId];
        address previousOwner = model.owner;
        model.owner = newOwner;
        emit ModelOwnershipTransferred(modelId, previousOwner, newOwner);
    }

    // ----------------------------------------------------------------------------------------------- protocol

    /// @inheritdoc IModelRegistry
    /// @dev Idempotent: suspending a suspended model changes nothing and does not revert, so the hub's decline path
    ///      never fails on it.
    function suspend(uint256 modelId) external {
        if (msg.sender != _suspender) revert RegistryNotSuspender(msg.sender);
        _checkExists(modelId);
        Model storage model = _models[modelId];
        if (model.suspended) return;
        model.suspended = true;
        emit ModelSuspended(modelId, model.epoch);
        _notifyTermsChanged(modelId);
    }

    // ----------------------------------------------------------------------------------------------- governance

    /// @inheritdoc IModelRegistry
    function setMinFee(uint96 minFee_) external onlyOwner {
        _setMinFee(minFee_);
    }

    /// @inheritdoc IModelRegistry
    /// @dev The zero address disables suspension (no caller is the zero address). The previous and the new suspender
    ///      hear of the change when they are contracts ({IModelTermsListener.onSuspenderChanged}).
    function setSuspender(address suspender_) external onlyOwner {
        address previous = _suspender;
        _suspender = suspender_;
        emit SuspenderSet(suspender_);
        if (previous.code.length != 0) IModelTermsListener(previous).onSuspenderChanged(suspender_);
        if (suspender_ != previous && suspender_.code.length != 0) {
            IModelTermsListener(suspender_).onSuspenderChanged(suspender_);
        }
    }

    // ----------------------------------------------------------------------------------------------- views

    /// @inheritdoc IModelRegistry
    function getModel(uint256 modelId) external view returns (Model memory) {
        _checkExists(modelId);
        return _models[modelId];
    }

    /// @inheritdoc IModelRegistry
    function requestTerms(
        uint256 modelId
    )
        external
        view
        returns (uint96 fee, uint8 mode, uint16 royaltyBps, bool available, uint32 epoch, address royaltyRecipient)
    {
        Model storage model = _models[modelId];
        if (model.owner == address(0)) revert RegistryUnknownModel(modelId);
        return (
            model.fee,
            model.mode,
            model.royaltyBps,
            model.active && !model.suspended,
            model.epoch,
            model.royaltyRecipient
        );
    }

    /// @inheritdoc IModelRegistry
    function royaltyRecipientOf(uint256 modelId) external view returns (address) {
        _checkExists(modelId);
        return _models[modelId].royaltyRecipient;
    }

    /// @inheritdoc IModelRegistry
    function modelCount() external view returns (uint256) {
        return _modelCount;
    }

    /// @inheritdoc IModelRegistry
    function minFee() external view returns (uint96) {
        return _minFee;
    }

    /// @inheritdoc IModelRegistry
    function suspender() external view returns (address) {
        return _suspender;
    }

    // ----------------------------------------------------------------------------------------------- internal

    /// @dev Tells the suspender, if it is a contract, that `modelId`'s request terms may have changed. Its failure
    ///      reverts the change, so a listener never keeps terms the registry no longer has.
    function _notifyTermsChanged(uint256 modelId) private {
        address listener = _suspender;
        if (listener.code.length != 0) IModelTermsListener(listener).onModelTermsChanged(modelId);
    }

    /// @dev Clears the suspension and starts a new decline epoch; returns the new epoch.
    function _newEpoch(Model storage model) private returns (uint32 epoch) {
        epoch = model.epoch + 1;
        model.epoch = epoch;
        model.suspended = false;
    }

    function _setMinFee(uint96 minFee_) private {
        if (minFee_ < MIN_MIN_FEE || minFee_ > MAX_MIN_FEE) {
            revert RegistryParamOutOfBounds("minFee", minFee_, MIN_MIN_FEE, MAX_MIN_FEE);
        }
        _minFee = minFee_;
        emit MinFeeSet(minFee_);
    }

    /// @dev Reverts unless `params` describe a valid model (bounds, URIs, LM fields present exactly for an LM).
    function _checkParams(ModelParams calldata params) private view {
        if (params.contentHash == bytes32(0)) revert RegistryEmptyContentHash();
        _checkUri(params.uri);
        _checkFee(params.fee);
        if (params.outputDecimals > MAX_OUTPUT_DECIMALS) {
            revert RegistryDecimalsTooHigh(params.outputDecimals, MAX_OUTPUT_DECIMALS);
        }
        if (params.mode >= MAX_MODES) revert RegistryInvalidMode(params.mode, MAX_MODES);
        _checkRoyalty(params.royaltyRecipient, params.royaltyBps);
        if (params.kind == ModelKind.CAUSAL_LM) {
            if (params.tokenizerHash == bytes32(0) || params.contextLength == 0) revert RegistryInvalidLanguageModel();
            _checkTokenizerUri(params.tokenizerUri);
        } else if (
            params.tokenizerHash != bytes32(0) ||
            bytes(params.tokenizerUri).length != 0 ||
            params.contextLength != 0 ||
            params.eosTokenId != 0
        ) {
            revert RegistryInvalidLanguageModel();
        }
    }

    /// @dev Reverts with {RegistryUnknownModel} for an id that was never registered.
    function _checkExists(uint256 modelId) private view {
        if (_models[modelId].owner == address(0)) revert RegistryUnknownModel(modelId);
    }

    /// @dev Reverts unless `modelId` exists and `msg.sender` owns it.
    function _checkModelOwner(uint256 modelId) private view {
        address owner_ = _models[modelId].owner;
        if (owner_ == address(0)) revert RegistryUnknownModel(modelId);
        if (owner_ != msg.sender) revert RegistryNotModelOwner(modelId, msg.sender);
    }

    /// @dev Reverts unless `uri` is 1..MAX_URI_LENGTH bytes long.
    function _checkUri(string calldata uri) private pure {
        uint256 length = bytes(uri).length;
        if (length == 0 || length > MAX_URI_LENGTH) revert RegistryInvalidUri(length, MAX_URI_LENGTH);
    }

    /// @dev A language model's tokenizer URI: empty is a missing LM field, too long an invalid URI.
    function _checkTokenizerUri(string calldata tokenizerUri) private pure {
        uint256 length = bytes(tokenizerUri).length;
        if (length == 0) revert RegistryInvalidLanguageModel();
        if (length > MAX_URI_LENGTH) revert RegistryInvalidUri(length, MAX_URI_LENGTH);
    }

    /// @dev Reverts if `fee` is above {MAX_FEE} or below {minFee}.
    function _checkFee(uint96 fee) private view {
        if (fee > MAX_FEE) revert RegistryFeeTooHigh(fee, MAX_FEE);
        uint96 minFee_ = _minFee;
        if (fee < minFee_) revert RegistryFeeTooLow(fee, minFee_);
    }

    /// @dev Reverts for a zero recipient or a share above {MAX_ROYALTY_BPS}.
    function _checkRoyalty(address recipient, uint16 royaltyBps) private pure {
        if (recipient == address(0)) revert RegistryZeroAddress();
        if (royaltyBps > MAX_ROYALTY_BPS) revert RegistryRoyaltyTooHigh(royaltyBps, MAX_ROYALTY_BPS);
    }
}
