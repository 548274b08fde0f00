// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IRandomnessSource} from "../interfaces/IRandomnessSource.sol";

/// @title BlockhashRandomness
/// @notice Default entropy for the OPG network. Delayed words (panels) come from the hash of a block `delay` blocks
///         after the request; instant seeds (worker assignment) from the current block's RANDAO mix.
/// @dev A ticket is `block.number + delay` at the time of {request}: its hash is unknown to everyone, the requester
///      included, while the requesting transaction runs. A `delay` longer than the chain's proposer lookahead (on
///      Ethereum about two epochs, 64 slots) also keeps a proposer from triggering a draw just before its own slot,
///      so that it cannot know it will control the ticket's block. {read} is Pending while
///      `block.number <= ticket`, Ready for the next `BLOCKHASH_WINDOW` blocks (the EVM serves the hashes of the
///      last 256 blocks), with
///      `word = uint256(keccak256(abi.encode(blockhash(ticket), ticket)))`, and Expired afterwards: the consumer
///      then requests a new ticket. A zero block hash inside the window (a chain that does not serve block hashes)
///      also reads as Expired, never as a predictable word. Requests in the same block share a ticket; consumers
///      mix their context into the word: `keccak256(abi.encode(word, requestId, round, purpose))`.
///      Accepted risks (see docs/THREAT_MODEL.md): the proposer of block `ticket` knows its hash before publishing
///      and can withhold the block (losing its reward) to re-roll the word once per slot it controls; the RANDAO mix
///      behind {instantSeed} is known one slot ahead, which only matters for draws that affect the caller's own
///      request. A VRF-backed source implements the same interface.
contract BlockhashRandomness is IRandomnessSource {
    // ----------------------------------------------------------------------------------------------- constants

    /// @notice Blocks after its ticket during which a word can be read (the EVM's block hash window).
    uint256 public constant BLOCKHASH_WINDOW = 256;
    /// @notice Largest allowed delay (a word must stay readable long enough for keepers to use it).
    uint256 public constant MAX_DELAY = 128;

    // ----------------------------------------------------------------------------------------------- immutables

    /// @notice Blocks between a request and its ticket's block.
    uint256 public immutable delay;

    // ----------------------------------------------------------------------------------------------- errors

    /// @notice The delay is zero or above {MAX_DELAY}.
    error RandomnessInvalidDelay(uint256 delay, uint256 maxDelay);

    // ----------------------------------------------------------------------------------------------- constructor

    constructor(uint256 delay_) {
        if (delay_ == 0 || delay_ > MAX_DELAY) revert RandomnessInvalidDelay(delay_, MAX_DELAY);
        delay = delay_;
    }

    // ----------------------------------------------------------------------------------------------- functions

    /// @inheritdoc IRandomnessSource
    /// @dev Stateless: the ticket is a future block number, so this is a view.
    function request() external view returns (uint256 ticket) {
        return block.number + delay;
    }

    /// @inheritdoc IRandomnessSource
    function read(uint256 ticket) external view returns (Status status, uint256 word) {
        if (ticket >= block.number) return (Status.Pending, 0);
        if (block.number - ticket > BLOCKHASH_WINDOW) return (Status.Expired, 0);
        bytes32 hash = blockhash(ticket);
        if (hash == bytes32(0)) return (Status.Expired, 0);
        return (Status.Ready, uint256(keccak256(abi.encode(hash, ticket))));
    }

    /// @inheritdoc IRandomnessSource
    function instantSeed(bytes32 context) external view returns (uint256) {
        return uint256(keccak256(abi.encode(block.prevrandao, block.number, context)));
    }
}
