// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IRandomnessSource} from "../interfaces/IRandomnessSource.sol";

/// @title MockRandomnessSource
/// @notice Test double of {IRandomnessSource}: tickets are consecutive from 1 and stay Pending until a test sets
///         their status and word; the instant seed can be fixed. Never deploy outside tests.
contract MockRandomnessSource is IRandomnessSource {
    /// @notice The last ticket handed out (0 before the first {request}).
    uint256 public lastTicket;
    /// @notice Whether {instantSeed} returns {fixedSeed} instead of the block-derived formula.
    bool public seedFixed;
    /// @notice The seed {instantSeed} returns while {seedFixed}.
    uint256 public fixedSeed;

    mapping(uint256 ticket => Status) private _status;
    mapping(uint256 ticket => uint256) private _words;

    /// @notice A ticket was handed out to `requester`.
    event RandomnessRequested(uint256 indexed ticket, address indexed requester);

    /// @inheritdoc IRandomnessSource
    function request() external returns (uint256 ticket) {
        ticket = ++lastTicket;
        emit RandomnessRequested(ticket, msg.sender);
    }

    /// @inheritdoc IRandomnessSource
    function read(uint256 ticket) external view returns (Status status, uint256 word) {
        status = _status[ticket];
        if (status == Status.Ready) word = _words[ticket];
    }

    /// @inheritdoc IRandomnessSource
    /// @dev `keccak256(abi.encode(block.prevrandao, block.number, context))` (as {BlockhashRandomness}) unless fixed.
    function instantSeed(bytes32 context) external view returns (uint256) {
        if (seedFixed) return fixedSeed;
        return uint256(keccak256(abi.encode(block.prevrandao, block.number, context)));
    }

    /// @notice Sets the status and word of `ticket` (the word is only returned while Ready).
    function setTicket(uint256 ticket, Status status, uint256 word) external {
        _status[ticket] = status;
        _words[ticket] = word;
    }

    /// @notice Makes `ticket` Ready with `word`.
    function setReady(uint256 ticket, uint256 word) external {
        _status[ticket] = Status.Ready;
        _words[ticket] = word;
    }

    /// @notice Makes `ticket` Expired.
    function setExpired(uint256 ticket) external {
        _status[ticket] = Status.Expired;
    }

    /// @notice Makes {instantSeed} return `seed` for every context.
    function setInstantSeed(uint256 seed) external {
        seedFixed = true;
        fixedSeed = seed;
    }

    /// @notice Returns {instantSeed} to the block-derived formula.
    function clearInstantSeed() external {
        seedFixed = false;
        fixedSeed = 0;
    }
}
