// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {ExampleClassifierConsumer} from "../../../contracts/examples/ExampleClassifierConsumer.sol";
import {IInferenceHub} from "../../../contracts/interfaces/IInferenceHub.sol";
import {ProtocolV2Deployer} from "../utils/ProtocolV2Deployer.sol";
import {Vm} from "../utils/Vm.sol";

/// @notice ExampleClassifierConsumer paths the mocha suite leaves out, against the wired protocol: an undelivered
///         callback whose prepaid fee is zero (governance set `callbackFeePerGas` to 0) is cancelled without a
///         transfer, and the refund still reaches the payer.
contract ExampleClassifierConsumerPathsTest is ProtocolV2Deployer {
    uint96 internal constant FEE = 1e18;
    uint256 internal constant PRICE = 1.05e18; // model fee + 5 % protocol fee; the callback costs nothing
    uint32 internal constant CALLBACK_GAS = 50_000;

    ProtocolV2 internal p;
    ExampleClassifierConsumer internal consumer;
    address internal payer = address(0x3000);
    address internal worker = address(0x1001);
    uint256 internal modelId;

    function setUp() public {
        vm.warp(1_000_000);
        vm.roll(1_000);
        p = _deployProtocolV2();
        IInferenceHub.InferenceParams memory hp = _defaultHubParams();
        hp.callbackFeePerGas = 0;
        p.hub.setParams(hp);
        _fund(p, worker, 2_000e18);
        _stake(p, worker, 2_000e18, ROLE_WORKER);
        modelId = _registerModel(p, address(0x40DE1), MODE_NONE, FEE, 1_000);
        consumer = new ExampleClassifierConsumer(
            IInferenceHub(address(p.hub)),
            p.settlement,
            IERC20(address(p.token)),
            modelId,
            CALLBACK_GAS
        );
        _fund(p, payer, 10e18);
        vm.prank(payer);
        p.token.approve(address(consumer), type(uint256).max);
    }

    /// @dev The payer requests; the only worker declines, so the request expires with its callback undelivered.
    function _expiredWithFreeCallback() internal returns (uint256 id) {
        vm.prank(payer);
        id = consumer.requestClassification(hex"4f50470101", PRICE);
        vm.prank(worker);
        p.hub.decline(id, "uri-unreachable");
        IInferenceHub.Request memory r = p.hub.getRequest(id);
        assertEq(uint256(r.status), uint256(IInferenceHub.Status.Expired), "expired: no other worker");
        assertTrue(r.callbackPending, "callback undelivered");
        assertEq(r.callbackFee, 0, "free callback");
    }

    function test_requestClassification_freeCallbackPaysModelAndProtocolFeeOnly() public {
        vm.expectEmit(address(consumer));
        emit ExampleClassifierConsumer.ClassificationRequested(1, payer, PRICE, 0);
        vm.prank(payer);
        uint256 id = consumer.requestClassification(hex"4f50470101", PRICE);
        assertEq(p.token.balanceOf(payer), 10e18 - PRICE, "payer charged the price");
        assertEq(p.hub.getRequest(id).callbackGasLimit, CALLBACK_GAS, "callback still requested");
    }

    function test_reclaimRefund_freeCallbackIsCancelledWithoutTransfer() public {
        uint256 id = _expiredWithFreeCallback();
        vm.recordLogs();
        vm.prank(address(0xCA11)); // anyone may reclaim; the payer receives
        consumer.reclaimRefund(id);
        Vm.Log[] memory logs = vm.getRecordedLogs();

        assertTrue(!p.hub.getRequest(id).callbackPending, "callback cancelled");
        assertEq(p.token.balanceOf(payer), 10e18, "payer repaid the whole price, nothing more");
        assertEq(p.settlement.balanceOf(address(consumer)), 0, "nothing left in the consumer's balance");
        uint256 cancelled;
        for (uint256 i; i < logs.length; ++i) {
            bytes32 topic = logs[i].topics[0];
            assertTrue(topic != ExampleClassifierConsumer.CallbackFeeReturned.selector, "no callback fee returned");
            if (topic == IInferenceHub.CallbackCancelled.selector && logs[i].emitter == address(p.hub)) {
                assertEq(abi.decode(logs[i].data, (uint256)), 0, "cancelled with a zero refund");
                ++cancelled;
            }
        }
        assertEq(cancelled, 1, "one cancellation");
        assertTrue(consumer.getJob(id).refunded, "refund recorded");
    }
}
