// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IInferenceConsumer} from "../interfaces/IInferenceConsumer.sol";
import {IInferenceHub} from "../interfaces/IInferenceHub.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice Test consumer whose callback can succeed, revert, burn all its gas, or try to re-enter the hub.
contract MockConsumer is IInferenceConsumer {
    enum Behaviour {
        Record,
        Revert,
        BurnGas,
        Reenter
    }

    IInferenceHub public immutable hub;
    Behaviour public behaviour;
    uint256 public calls;
    uint256 public lastRequestId;
    bool public lastFinalized;
    bytes32 public lastResultHash;
    bool public lastIsError;
    bool public reentryBlocked;

    error MockConsumerRefused();

    constructor(IInferenceHub hub_) {
        hub = hub_;
    }

    function setBehaviour(Behaviour behaviour_) external {
        behaviour = behaviour_;
    }

    /// @notice Deposits `amount` held by this contract and makes a request with a callback.
    function request(IERC20 token, IInferenceHub.RequestParams calldata params) external returns (uint256) {
        uint256 amount = params.maxFee;
        token.approve(address(hub), amount);
        hub.deposit(amount);
        return hub.request(params);
    }

    function withdrawAll() external {
        hub.withdraw(hub.balanceOf(address(this)));
    }

    function onInferenceSettled(uint256 requestId, bool finalized, bytes32 resultHash, bool isError) external {
        if (behaviour == Behaviour.Revert) revert MockConsumerRefused();
        if (behaviour == Behaviour.BurnGas) {
            while (true) {
                calls += 1;
            }
        }
        if (behaviour == Behaviour.Reenter) {
            try hub.finalize(requestId) {} catch {
                reentryBlocked = true;
            }
        }
        calls += 1;
        lastRequestId = requestId;
        lastFinalized = finalized;
        lastResultHash = resultHash;
        lastIsError = isError;
    }
}
