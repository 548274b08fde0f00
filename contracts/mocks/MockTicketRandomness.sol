// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IRandomnessSource} from "../interfaces/IRandomnessSource.sol";

/// @title MockTicketRandomness
/// @notice Temporary test double of {IRandomnessSource} (tickets consecutive from 1, Pending until a test sets
///         them), until the shared randomness mock lands. Never deploy outside tests.
contract MockTicketRandomness is IRandomnessSource {
    uint256 public lastTicket;
    mapping(uint256 ticket => Status) private _status;
    mapping(uint256 ticket => uint256) private _words;

    /// @inheritdoc IRandomnessSource
    function request() external returns (uint256 ticket) {
        ticket = ++lastTicket;
    }

    /// @inheritdoc IRandomnessSource
    function read(uint256 ticket) external view returns (Status status, uint256 word) {
        status = _status[ticket];
        if (status == Status.Ready) word = _words[ticket];
    }

    /// @inheritdoc IRandomnessSource
    function instantSeed(bytes32 context) external view returns (uint256) {
        return uint256(keccak256(abi.encode(block.prevrandao, block.number, context)));
    }

    function setReady(uint256 ticket, uint256 word) external {
        _status[ticket] = Status.Ready;
        _words[ticket] = word;
    }

    function setExpired(uint256 ticket) external {
        _status[ticket] = Status.Expired;
    }
}
