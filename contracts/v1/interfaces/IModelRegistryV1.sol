// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IModelRegistryV1
/// @notice Content-addressed registry of ONNX models served by the OPG network.
/// @dev A model's `contentHash` (sha256 of the ONNX bytes), output precision, tolerance, schema digest and
///      verification mode are immutable: a new model version is a new model. Only the fee, royalty recipient,
///      URI (a new location of the same bytes) and the active flag can change. Fee changes apply only to requests
///      made after the change, because the hub snapshots the fee at request time.
interface IModelRegistryV1 {
    /// @notice How results of a model are verified.
    enum VerificationMode {
        NONE, // final at submission; secured by the worker's stake only
        OPTIMISTIC, // final after a challenge window without a (bonded) challenge
        COMMITTEE // final when a quorum of a drawn verifier committee attests agreement
    }

    /// @notice Everything the network needs to run and check a model.
    struct Model {
        address owner; // may update mutable fields and transfer ownership
        uint96 fee; // OPG wei per inference paid to the model side (royalty + worker + verifiers)
        address royaltyRecipient; // receives `royaltyBps` of the fee
        uint16 royaltyBps; // share of the fee paid to the royalty recipient, in basis points
        VerificationMode mode;
        uint8 outputDecimals; // fixed-point decimals used to canonicalise float outputs
        bool active; // inactive models accept no new requests
        uint64 tolerance; // max absolute difference per output element, in units of 10^-outputDecimals
        bytes32 contentHash; // sha256 of the ONNX file
        bytes32 schemaDigest; // keccak256 of the canonical input/output schema description
        string uri; // where the ONNX bytes can be fetched: ipfs://, https://, file:
    }

    /// @notice Arguments of {registerModel}.
    struct ModelParams {
        bytes32 contentHash;
        string uri;
        uint96 fee;
        VerificationMode mode;
        uint8 outputDecimals;
        uint64 tolerance;
        address royaltyRecipient;
        uint16 royaltyBps;
        bytes32 schemaDigest;
    }

    // ------------------------------------------------------------------------------------------------- events

    /// @notice A model was registered.
    event ModelRegistered(
        uint256 indexed modelId,
        address indexed owner,
        bytes32 indexed contentHash,
        string uri,
        uint96 fee,
        VerificationMode mode,
        uint8 outputDecimals,
        uint64 tolerance,
        bytes32 schemaDigest
    );
    /// @notice The per-inference fee changed; requests made before keep their old fee.
    event ModelFeeUpdated(uint256 indexed modelId, uint96 oldFee, uint96 newFee);
    /// @notice Royalty recipient or share changed.
    event ModelRoyaltyUpdated(uint256 indexed modelId, address recipient, uint16 royaltyBps);
    /// @notice The model bytes moved to a new location (same content hash).
    event ModelUriUpdated(uint256 indexed modelId, string uri);
    /// @notice The model was (de)activated.
    event ModelActiveSet(uint256 indexed modelId, bool active);
    /// @notice Ownership of the model's mutable fields changed hands.
    event ModelOwnershipTransferred(uint256 indexed modelId, address indexed previousOwner, address indexed newOwner);

    // ------------------------------------------------------------------------------------------------- errors

    /// @notice No model with this id.
    error RegistryUnknownModel(uint256 modelId);
    /// @notice The caller is not the model's owner.
    error RegistryNotModelOwner(uint256 modelId, address caller);
    /// @notice The content hash is zero.
    error RegistryEmptyContentHash();
    /// @notice The URI is empty or longer than `maxLength` bytes.
    error RegistryInvalidUri(uint256 length, uint256 maxLength);
    /// @notice The fee is above the hard cap.
    error RegistryFeeTooHigh(uint256 fee, uint256 maxFee);
    /// @notice The output decimals are above the hard cap.
    error RegistryDecimalsTooHigh(uint8 decimals, uint8 maxDecimals);
    /// @notice The royalty share is above the hard cap.
    error RegistryRoyaltyTooHigh(uint16 royaltyBps, uint16 maxRoyaltyBps);
    /// @notice A zero address was given where an account is required.
    error RegistryZeroAddress();

    // ------------------------------------------------------------------------------------------------- functions

    /// @notice Registers a model; the caller becomes its owner.
    /// @return modelId The new model's id (ids start at 1).
    function registerModel(ModelParams calldata params) external returns (uint256 modelId);

    /// @notice Sets the per-inference fee. Applies only to requests made after this call.
    function setFee(uint256 modelId, uint96 fee) external;

    /// @notice Sets who receives the royalty and how large it is.
    function setRoyalty(uint256 modelId, address recipient, uint16 royaltyBps) external;

    /// @notice Points the model at a new location of the same bytes.
    function setUri(uint256 modelId, string calldata uri) external;

    /// @notice Activates or deactivates the model for new requests; open requests are unaffected.
    function setActive(uint256 modelId, bool active) external;

    /// @notice Hands the model's mutable fields to `newOwner`.
    function transferModelOwnership(uint256 modelId, address newOwner) external;

    /// @notice Returns the full model record; reverts for an unknown id.
    function getModel(uint256 modelId) external view returns (Model memory);

    /// @notice The fields the hub needs at request time, read from two storage slots.
    /// @dev Reverts for an unknown id.
    function requestTerms(
        uint256 modelId
    ) external view returns (uint96 fee, VerificationMode mode, uint16 royaltyBps, bool active);

    /// @notice Current royalty recipient (read at settlement). Reverts for an unknown id.
    function royaltyRecipientOf(uint256 modelId) external view returns (address);

    /// @notice Number of registered models (the highest id).
    function modelCount() external view returns (uint256);
}
