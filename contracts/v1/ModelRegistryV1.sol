// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IModelRegistryV1} from "./interfaces/IModelRegistryV1.sol";

/// @title ModelRegistryV1
/// @notice Content-addressed registry of the ONNX models served by the OPG network.
/// @dev Ownerless: there is no admin; each model's owner manages its own model's mutable fields (fee, royalty, URI,
///      active flag, ownership). Everything that determines what a result is (content hash, output decimals,
///      tolerance, schema digest, verification mode) is immutable: a new version is a new model. Every bound is a
///      hard-coded constant. The hub snapshots the fee at request time, so fee changes never touch open requests.
contract ModelRegistryV1 is IModelRegistryV1 {
    // ----------------------------------------------------------------------------------------------- constants

    /// @notice Highest fee per inference, in OPG wei.
    uint96 public constant MAX_FEE = 1_000_000e18;
    /// @notice Highest number of fixed-point decimals of canonical outputs (a FIXED64 keeps 18 decimals exactly).
    uint8 public constant MAX_OUTPUT_DECIMALS = 18;
    /// @notice Highest royalty share of the model fee, in basis points.
    /// @dev With the hub's verifier share capped at 30 %, the worker always keeps at least 20 % of the model fee.
    uint16 public constant MAX_ROYALTY_BPS = 5_000;
    /// @notice Longest URI, in bytes.
    uint256 public constant MAX_URI_LENGTH = 512;

    // ----------------------------------------------------------------------------------------------- state

    /// @dev Model records by id (ids start at 1).
    mapping(uint256 modelId => Model) private _models;
    /// @dev Number of registered models, which is also the highest id.
    uint256 private _modelCount;

    // ----------------------------------------------------------------------------------------------- modifiers

    /// @dev Reverts unless `modelId` exists and the caller owns it.
    modifier onlyModelOwner(uint256 modelId) {
        _checkModelOwner(modelId);
        _;
    }

    // ----------------------------------------------------------------------------------------------- functions

    /// @inheritdoc IModelRegistryV1
    function registerModel(ModelParams calldata params) external returns (uint256 modelId) {
        if (params.contentHash == bytes32(0)) revert RegistryEmptyContentHash();
        _checkUri(params.uri);
        _checkFee(params.fee);
        if (params.outputDecimals > MAX_OUTPUT_DECIMALS) {
            revert RegistryDecimalsTooHigh(params.outputDecimals, MAX_OUTPUT_DECIMALS);
        }
        _checkRoyalty(params.royaltyRecipient, params.royaltyBps);

        modelId = ++_modelCount;
        _models[modelId] = Model({
            owner: msg.sender,
            fee: params.fee,
            royaltyRecipient: params.royaltyRecipient,
            royaltyBps: params.royaltyBps,
            mode: params.mode,
            outputDecimals: params.outputDecimals,
            active: true,
            tolerance: params.tolerance,
            contentHash: params.contentHash,
            schemaDigest: params.schemaDigest,
            uri: params.uri
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
            params.schemaDigest
        );
        emit ModelRoyaltyUpdated(modelId, params.royaltyRecipient, params.royaltyBps);
    }

    /// @inheritdoc IModelRegistryV1
    function setFee(uint256 modelId, uint96 fee) external onlyModelOwner(modelId) {
        _checkFee(fee);
        Model storage model = _models[modelId];
        uint96 oldFee = model.fee;
        model.fee = fee;
        emit ModelFeeUpdated(modelId, oldFee, fee);
    }

    /// @inheritdoc IModelRegistryV1
    function setRoyalty(uint256 modelId, address recipient, uint16 royaltyBps) external onlyModelOwner(modelId) {
        _checkRoyalty(recipient, royaltyBps);
        Model storage model = _models[modelId];
        model.royaltyRecipient = recipient;
        model.royaltyBps = royaltyBps;
        emit ModelRoyaltyUpdated(modelId, recipient, royaltyBps);
    }

    /// @inheritdoc IModelRegistryV1
    function setUri(uint256 modelId, string calldata uri) external onlyModelOwner(modelId) {
        _checkUri(uri);
        _models[modelId].uri = uri;
        emit ModelUriUpdated(modelId, uri);
    }

    /// @inheritdoc IModelRegistryV1
    function setActive(uint256 modelId, bool active) external onlyModelOwner(modelId) {
        _models[modelId].active = active;
        emit ModelActiveSet(modelId, active);
    }

    /// @inheritdoc IModelRegistryV1
    function transferModelOwnership(uint256 modelId, address newOwner) external onlyModelOwner(modelId) {
        if (newOwner == address(0)) revert RegistryZeroAddress();
        Model storage model = _models[modelId];
        address previousOwner = model.owner;
        model.owner = newOwner;
        emit ModelOwnershipTransferred(modelId, previousOwner, newOwner);
    }

    /// @inheritdoc IModelRegistryV1
    function getModel(uint256 modelId) external view returns (Model memory) {
        _checkExists(modelId);
        return _models[modelId];
    }

    /// @inheritdoc IModelRegistryV1
    function requestTerms(
        uint256 modelId
    ) external view returns (uint96 fee, VerificationMode mode, uint16 royaltyBps, bool active) {
        _checkExists(modelId);
        Model storage model = _models[modelId];
        return (model.fee, model.mode, model.royaltyBps, model.active);
    }

    /// @inheritdoc IModelRegistryV1
    function royaltyRecipientOf(uint256 modelId) external view returns (address) {
        _checkExists(modelId);
        return _models[modelId].royaltyRecipient;
    }

    /// @inheritdoc IModelRegistryV1
    function modelCount() external view returns (uint256) {
        return _modelCount;
    }

    /// @dev Reverts with {RegistryUnknownModel} for an id that was never registered.
    function _checkExists(uint256 modelId) private view {
        if (modelId == 0 || modelId > _modelCount) revert RegistryUnknownModel(modelId);
    }

    /// @dev Reverts unless `modelId` exists and `msg.sender` owns it.
    function _checkModelOwner(uint256 modelId) private view {
        _checkExists(modelId);
        if (_models[modelId].owner != msg.sender) revert RegistryNotModelOwner(modelId, msg.sender);
    }

    /// @dev Reverts unless `uri` is 1..MAX_URI_LENGTH bytes long.
    function _checkUri(string calldata uri) private pure {
        uint256 length = bytes(uri).length;
        if (length == 0 || length > MAX_URI_LENGTH) revert RegistryInvalidUri(length, MAX_URI_LENGTH);
    }

    /// @dev Reverts if `fee` is above {MAX_FEE}.
    function _checkFee(uint96 fee) private pure {
        if (fee > MAX_FEE) revert RegistryFeeTooHigh(fee, MAX_FEE);
    }

    /// @dev Reverts for a zero recipient or a share above {MAX_ROYALTY_BPS}.
    function _checkRoyalty(address recipient, uint16 royaltyBps) private pure {
        if (recipient == address(0)) revert RegistryZeroAddress();
        if (royaltyBps > MAX_ROYALTY_BPS) revert RegistryRoyaltyTooHigh(royaltyBps, MAX_ROYALTY_BPS);
    }
}
