// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IModelRegistry
/// @notice Content-addressed registry of the models served by the OPG network: tensor models and causal language
///         models (with their tokenizer).
/// @dev A model's content hash, kind, tokenizer hash, output precision, tolerance, schema digest and verification
///      mode are immutable: a new model version is a new model. The owner can change the fee (it applies to requests
///      made afterwards: the hub snapshots it), the royalty, the URIs (new locations of the same bytes) and the
///      active flag. A model that several distinct workers could not obtain is suspended by the inference hub until
///      its owner acts ({setUri} or {resume}); each such action starts a new decline epoch.
interface IModelRegistry {
    /// @notice What a model computes.
    enum ModelKind {
        TENSOR, // ONNX tensors in, tensors out
        CAUSAL_LM // ONNX decoder + tokenizer: token ids in, generated token ids out
    }

    /// @notice Everything the network needs to run and check a model.
    struct Model {
        address owner; // may update the mutable fields and transfer ownership
        uint96 fee; // OPG wei per inference paid to the model side (royalty + worker + verifiers)
        address royaltyRecipient; // receives `royaltyBps` of the fee
        uint16 royaltyBps;
        uint8 mode; // verification mode id (0 NONE, 1 OPTIMISTIC, 2 COMMITTEE; the hub maps ids to modules)
        uint8 outputDecimals; // fixed-point decimals used to canonicalise float outputs (logits for a LM)
        bool active; // set by the owner: inactive models accept no new requests
        bool suspended; // set by the hub after `declineThreshold` distinct workers declined; cleared by the owner
        ModelKind kind;
        uint32 epoch; // bumped by every owner action that may fix an unobtainable model (setUri, resume)
        uint64 tolerance; // max absolute difference per output element, in units of 10^-outputDecimals
        uint32 contextLength; // CAUSAL_LM: most tokens of prompt + output (0 for TENSOR)
        uint32 eosTokenId; // CAUSAL_LM: end-of-sequence token id
        bytes32 contentHash; // sha256 of the ONNX file
        bytes32 schemaDigest; // keccak256 of the canonical input/output schema description
        bytes32 tokenizerHash; // CAUSAL_LM: sha256 of tokenizer.json (zero for TENSOR)
        string uri; // where the ONNX bytes can be fetched: ipfs://, https://, file:
        string tokenizerUri; // CAUSAL_LM: where tokenizer.json can be fetched
    }

    /// @notice Arguments of {registerModel}.
    struct ModelParams {
        bytes32 contentHash;
        string uri;
        uint96 fee;
        uint8 mode;
        uint8 outputDecimals;
        uint64 tolerance;
        address royaltyRecipient;
        uint16 royaltyBps;
        bytes32 schemaDigest;
        ModelKind kind;
        bytes32 tokenizerHash;
        string tokenizerUri;
        uint32 contextLength;
        uint32 eosTokenId;
    }

    // ------------------------------------------------------------------------------------------------- events

    /// @notice A model was registered (the LM fields are in {LanguageModelRegistered} when `kind` is CAUSAL_LM).
    event ModelRegistered(
        uint256 indexed modelId,
        address indexed owner,
        bytes32 indexed contentHash,
        string uri,
        uint96 fee,
        uint8 mode,
        uint8 outputDecimals,
        uint64 tolerance,
        bytes32 schemaDigest,
        ModelKind kind
    );
    /// @notice The language-model fields of a CAUSAL_LM registration.
    event LanguageModelRegistered(
        uint256 indexed modelId,
        bytes32 tokenizerHash,
        string tokenizerUri,
        uint32 contextLength,
        uint32 eosTokenId
    );
    event ModelFeeUpdated(uint256 indexed modelId, uint96 oldFee, uint96 newFee);
    event ModelRoyaltyUpdated(uint256 indexed modelId, address recipient, uint16 royaltyBps);
    /// @notice The model's bytes (or its tokenizer's) moved; a new decline epoch starts.
    event ModelUriUpdated(uint256 indexed modelId, string uri, string tokenizerUri, uint32 epoch);
    event ModelActiveSet(uint256 indexed modelId, bool active);
    /// @notice The hub suspended the model after distinct workers declined it.
    event ModelSuspended(uint256 indexed modelId, uint32 epoch);
    /// @notice The owner lifted a suspension; a new decline epoch starts.
    event ModelResumed(uint256 indexed modelId, uint32 epoch);
    event ModelOwnershipTransferred(uint256 indexed modelId, address indexed previousOwner, address indexed newOwner);
    event MinFeeSet(uint96 minFee);
    event SuspenderSet(address suspender);

    // ------------------------------------------------------------------------------------------------- errors

    error RegistryUnknownModel(uint256 modelId);
    error RegistryNotModelOwner(uint256 modelId, address caller);
    error RegistryEmptyContentHash();
    /// @notice A URI is empty or longer than `maxLength` bytes.
    error RegistryInvalidUri(uint256 length, uint256 maxLength);
    error RegistryFeeTooHigh(uint256 fee, uint256 maxFee);
    /// @notice The fee is below the protocol's minimum (every request to such a model would be refused).
    error RegistryFeeTooLow(uint256 fee, uint256 minFee);
    error RegistryDecimalsTooHigh(uint8 decimals, uint8 maxDecimals);
    error RegistryRoyaltyTooHigh(uint16 royaltyBps, uint16 maxRoyaltyBps);
    error RegistryZeroAddress();
    /// @notice The mode id is not below `MAX_MODES`.
    error RegistryInvalidMode(uint8 mode, uint8 maxModes);
    /// @notice A CAUSAL_LM without tokenizer hash, URI or context length, or a TENSOR model with LM fields.
    error RegistryInvalidLanguageModel();
    error RegistryNotSuspender(address caller);
    error RegistryNotSuspended(uint256 modelId);
    error RegistryParamOutOfBounds(string name, uint256 value, uint256 min, uint256 max);

    // ------------------------------------------------------------------------------------------------- owners

    /// @notice Registers a model; the caller becomes its owner.
    /// @return modelId The new model's id (ids start at 1).
    function registerModel(ModelParams calldata params) external returns (uint256 modelId);

    function setFee(uint256 modelId, uint96 fee) external;

    function setRoyalty(uint256 modelId, address recipient, uint16 royaltyBps) external;

    /// @notice Points the model at new locations of the same bytes; lifts a suspension and starts a new epoch.
    function setUri(uint256 modelId, string calldata uri, string calldata tokenizerUri) external;

    /// @notice Activates or deactivates the model for new requests; open requests are unaffected.
    function setActive(uint256 modelId, bool active) external;

    /// @notice Lifts a suspension without moving the bytes (the location works again); starts a new epoch.
    function resume(uint256 modelId) external;

    function transferModelOwnership(uint256 modelId, address newOwner) external;

    // ------------------------------------------------------------------------------------------------- protocol

    /// @notice Suspends the model (the suspender only: the inference hub).
    function suspend(uint256 modelId) external;

    // ------------------------------------------------------------------------------------------------- governance

    /// @notice Sets the lowest fee a model may be registered with or set to.
    function setMinFee(uint96 minFee) external;

    /// @notice Sets the contract allowed to suspend models (the inference hub).
    function setSuspender(address suspender) external;

    // ------------------------------------------------------------------------------------------------- views

    function getModel(uint256 modelId) external view returns (Model memory);

    /// @notice The fields the hub needs at request time, from two storage slots.
    /// @dev `available`: active and not suspended.
    function requestTerms(
        uint256 modelId
    )
        external
        view
        returns (uint96 fee, uint8 mode, uint16 royaltyBps, bool available, uint32 epoch, address royaltyRecipient);

    function royaltyRecipientOf(uint256 modelId) external view returns (address);

    function modelCount() external view returns (uint256);

    function minFee() external view returns (uint96);

    function suspender() external view returns (address);
}

/// @title IModelTermsListener
/// @notice Implemented by the registry's suspender (the inference hub), which keeps each model's request terms so that
///         a request does not have to read the registry.
/// @dev The registry calls these only on a suspender that is a contract (an account has nothing to keep), and reverts
///      with the listener: a change the listener did not hear of never takes effect.
interface IModelTermsListener {
    /// @notice The request terms of `modelId` (fee, royalty, active, suspended, decline epoch) may have changed.
    function onModelTermsChanged(uint256 modelId) external;

    /// @notice The registry's suspender is now `suspender`: a listener that is not it hears of no further change and
    ///         must forget what it kept.
    function onSuspenderChanged(address suspender) external;
}
