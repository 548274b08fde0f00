// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IInferenceConsumerV1} from "../interfaces/IInferenceConsumerV1.sol";
import {IInferenceHubV1} from "../interfaces/IInferenceHubV1.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice Test consumer whose callback can succeed, revert, burn all its gas, or try to re-enter the hub.
contract MockConsumerV1 is IInferenceConsumerV1 {
    enum Behaviour {
        Record,
        Revert,
        BurnGas,
        Reenter
    }

    IInferenceHubV1 public immutable hub;
    Behaviour public behaviour;
    uint256 public calls;
    uint256 public lastRequestId;
    bool public lastFinalized;
    bytes32 public lastResultHash;
    bool public lastIsError;
    bool public reentryBlocked;

    error MockConsumerRefused();

    constructor(IInferenceHubV1 hub_) {
        hub = hub_;
    }

    function setBehaviour(Behaviour behaviour_) external {
        behaviour = behaviour_;
    }

    /// @notice Deposits `amount` held by this contract and makes a request with a callback.
    function request(IERC20 token, IInferenceHubV1.RequestParams calldata params) external returns (uint256) {
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
