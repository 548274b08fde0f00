// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IInferenceHub} from "../../../contracts/interfaces/IInferenceHub.sol";
import {IModelRegistry} from "../../../contracts/interfaces/IModelRegistry.sol";
import {ISettlement} from "../../../contracts/interfaces/ISettlement.sol";
import {ProtocolV2Deployer} from "../utils/ProtocolV2Deployer.sol";
import {Vm} from "../utils/Vm.sol";

/// @notice A consumer that counts the settlement callbacks it receives.
contract SettledCallbackCounter {
    uint256 public calls;
    bool public lastFinalized;

    function onInferenceSettled(uint256, bool finalized, bytes32, bool) external {
        ++calls;
        lastFinalized = finalized;
    }
}

/// @notice InferenceHub paths the unit suite leaves out, through external functions of the wired protocol: the size
///         bound of an input given by URI, the decline tally restarting in a new model epoch, and a free callback
///         (`callbackFeePerGas` 0) delivered without crediting the deliverer.
contract InferenceHubPathsTest is ProtocolV2Deployer {
    uint96 internal constant FEE = 1e18;
    uint256 internal constant PRICE = 1.05e18; // model fee + 5 % protocol fee

    ProtocolV2 internal p;
    address internal requester = address(0x3000);
    address internal modelOwner = address(0x40DE1);
    address internal workerA = address(0x1001);
    address internal workerB = address(0x1002);
    uint256 internal modelId;

    function setUp() public {
        vm.warp(1_000_000);
        vm.roll(1_000);
        p = _deployProtocolV2();
        _fund(p, workerA, 2_000e18);
        _stake(p, workerA, 2_000e18, ROLE_WORKER);
        _fund(p, workerB, 2_000e18);
        _fund(p, requester, 10e18);
        _deposit(p, requester, 10e18);
        modelId = _registerModel(p, modelOwner, MODE_NONE, FEE, 1_000);
    }

    // ----------------------------------------------------------------------------------------------- helpers

    function _byUri(uint256 uriLength) internal view returns (IInferenceHub.RequestParams memory rp) {
        rp.modelId = modelId;
        rp.inputUri = string(new bytes(uriLength));
        rp.inputHash = keccak256("input behind the uri");
        rp.maxFee = PRICE;
    }

    function _request() internal returns (uint256 id) {
        IInferenceHub.RequestParams memory rp;
        rp.modelId = modelId;
        rp.input = hex"4f50470101";
        rp.maxFee = PRICE;
        vm.prank(requester);
        id = p.hub.request(rp);
    }

    /// @dev workerB is funded in setUp but staked only by the tests that want two workers.
    function _stakeSecondWorker() internal {
        _stake(p, workerB, 2_000e18, ROLE_WORKER);
    }

    function _declineThreshold(uint8 threshold) internal {
        IInferenceHub.InferenceParams memory hp = _defaultHubParams();
        hp.declineThreshold = threshold;
        p.hub.setParams(hp);
    }

    function _decline(uint256 id) internal returns (address worker) {
        worker = p.hub.getRequest(id).worker;
        vm.prank(worker);
        p.hub.decline(id, "uri-unreachable");
    }

    // ----------------------------------------------------------------------------------------------- input by URI

    function test_revert_request_inputUriLongerThanMaxInput() public {
        uint256 maxInput = p.hub.params().maxInputBytes;
        IInferenceHub.RequestParams memory rp = _byUri(maxInput + 1);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubInputTooLarge.selector, maxInput + 1, maxInput));
        p.hub.request(rp);
    }

    function test_request_inputUriOfMaxInputIsAccepted() public {
        uint256 maxInput = p.hub.params().maxInputBytes;
        IInferenceHub.RequestParams memory rp = _byUri(maxInput);
        vm.expectEmit(address(p.hub));
        emit IInferenceHub.InferenceRequested(
            1,
            modelId,
            requester,
            "",
            rp.inputUri,
            rp.inputHash,
            FEE,
            PRICE - FEE,
            0
        );
        vm.prank(requester);
        uint256 id = p.hub.request(rp);
        assertEq(uint256(p.hub.getRequest(id).status), uint256(IInferenceHub.Status.Requested), "requested");
        assertEq(p.settlement.balanceOf(requester), 10e18 - PRICE, "price locked");
    }

    // ----------------------------------------------------------------------------------------------- decline epochs

    function test_decline_sameWorkerTwiceInOneEpochCountsOnce() public {
        _declineThreshold(2);
        uint256 first = _request();
        assertEq(_decline(first), workerA, "the only worker declines");
        assertEq(uint256(p.hub.getRequest(first).status), uint256(IInferenceHub.Status.Expired), "no other worker");
        uint256 second = _request();
        assertEq(_decline(second), workerA, "the same worker declines again");
        assertTrue(!p.registry.getModel(modelId).suspended, "one distinct worker: below the threshold");
        _stakeSecondWorker();
        uint256 third = _request();
        address decliner = _decline(third);
        // Drawn from both: workerA declining once more still counts once, and the request moves on to workerB.
        if (decliner == workerA) decliner = _decline(third);
        assertEq(decliner, workerB, "a second distinct worker");
        assertTrue(p.registry.getModel(modelId).suspended, "two distinct workers: suspended");
    }

    function test_decline_newModelEpochRestartsTheTally() public {
        _stakeSecondWorker();
        _declineThreshold(2);
        uint256 id = _request();
        address first = _decline(id); // epoch 0: one distinct worker
        vm.prank(modelOwner);
        p.registry.setUri(modelId, "ipfs://model-v2", ""); // epoch 1
        address second = _decline(id); // epoch 1: one distinct worker, not two
        assertTrue(!p.registry.getModel(modelId).suspended, "not suspended: the tally restarted");
        IInferenceHub.Request memory r = p.hub.getRequest(id);
        assertEq(uint256(r.status), uint256(IInferenceHub.Status.Requested), "still requested");
        assertEq(r.worker, first, "reassigned to the only worker other than the second decliner");
        assertTrue(second != first, "two workers declined");
        assertEq(r.attempts, 3, "third attempt");
    }

    function test_decline_workerOfTheOldEpochCountsAgainInTheNewEpoch() public {
        _stakeSecondWorker();
        _declineThreshold(2);
        uint256 id = _request();
        _decline(id); // epoch 0
        vm.prank(modelOwner);
        p.registry.setUri(modelId, "ipfs://model-v2", ""); // epoch 1
        _decline(id); // epoch 1: count 1
        uint256 balance = p.settlement.balanceOf(requester);
        vm.expectEmit(address(p.registry));
        emit IModelRegistry.ModelSuspended(modelId, 1);
        _decline(id); // epoch 1: the epoch-0 decliner again, count 2
        assertTrue(p.registry.getModel(modelId).suspended, "suspended at the threshold of the new epoch");
        assertEq(uint256(p.hub.getRequest(id).status), uint256(IInferenceHub.Status.Expired), "expired");
        assertEq(p.settlement.balanceOf(requester) - balance, PRICE, "price refunded");
    }

    // ----------------------------------------------------------------------------------------------- callbacks

    function test_deliverCallback_freeCallbackCreditsNoDeliverer() public {
        IInferenceHub.InferenceParams memory hp = _defaultHubParams();
        hp.callbackFeePerGas = 0;
        p.hub.setParams(hp);
        SettledCallbackCounter consumer = new SettledCallbackCounter();
        _fund(p, address(consumer), PRICE);
        _deposit(p, address(consumer), PRICE);
        IInferenceHub.RequestParams memory rp;
        rp.modelId = modelId;
        rp.input = hex"4f50470101";
        rp.callbackGasLimit = 50_000;
        rp.maxFee = PRICE;
        vm.prank(address(consumer));
        uint256 id = p.hub.request(rp);
        vm.prank(p.hub.getRequest(id).worker);
        p.hub.submitResult(id, hex"01", false);
        assertTrue(p.hub.getRequest(id).callbackPending, "finalized with the callback pending");
        assertEq(p.hub.getRequest(id).callbackFee, 0, "free callback");

        address deliverer = address(0xDE11);
        vm.recordLogs();
        vm.expectEmit(address(p.hub));
        emit IInferenceHub.CallbackDelivered(id, address(consumer), true, deliverer);
        vm.prank(deliverer);
        p.hub.deliverCallback(id);
        Vm.Log[] memory logs = vm.getRecordedLogs();

        assertEq(consumer.calls(), 1, "consumer notified once");
        assertTrue(consumer.lastFinalized(), "notified as finalized");
        assertTrue(!p.hub.getRequest(id).callbackPending, "callback no longer pending");
        assertEq(p.settlement.creditsOf(deliverer), 0, "deliverer earns nothing");
        for (uint256 i; i < logs.length; ++i) {
            bool credit =
                logs[i].emitter == address(p.settlement) && logs[i].topics[0] == ISettlement.FeeCredited.selector;
            assertTrue(!credit, "no fee credited, not even zero");
        }
    }
}
