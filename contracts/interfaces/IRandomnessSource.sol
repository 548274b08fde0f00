// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IRandomnessSource
/// @notice Entropy for sortition, in two kinds: a delayed word that nobody can know when the draw is triggered
///         (panels: committees and juries), and an instant seed for draws that only affect the caller's own request
///         (worker assignment).
/// @dev A consumer calls {request} in the transaction that makes a draw necessary and keeps the ticket; a later
///      transaction reads the word with {read} and mixes its own context (request id, round, purpose) into it.
///      The default {BlockhashRandomness} uses the hash of the block after the request; a VRF-backed source can
///      implement the same interface (its fulfilment simply makes {read} return Ready).
interface IRandomnessSource {
    /// @notice The state of a ticket.
    enum Status {
        Pending, // the word is not known yet: try again in a later block
        Ready, // the word is known and final
        Expired // the word can no longer be read: request a new ticket
    }

    /// @notice Asks for a word that is unknown to everyone at the time of this call.
    /// @return ticket An opaque handle for {read}.
    function request() external returns (uint256 ticket);

    /// @notice The word of `ticket`, once it is known.
    /// @return status Pending, Ready or Expired.
    /// @return word The random word (zero unless Ready).
    function read(uint256 ticket) external view returns (Status status, uint256 word);

    /// @notice A seed known inside the current block, bound to `context`. Only for draws whose outcome matters to
    ///         nobody but the caller who triggers them (see docs/PROTOCOL.md, "Randomness").
    function instantSeed(bytes32 context) external view returns (uint256);
}
