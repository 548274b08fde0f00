// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {InferenceHub} from "../../../contracts/inference/InferenceHub.sol";
import {IInferenceHub} from "../../../contracts/interfaces/IInferenceHub.sol";
import {IModelRegistry} from "../../../contracts/interfaces/IModelRegistry.sol";
import {IRandomnessSource} from "../../../contracts/interfaces/IRandomnessSource.sol";
import {ISettlement} from "../../../contracts/interfaces/ISettlement.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {IVerificationModule} from "../../../contracts/interfaces/IVerificationModule.sol";
import {MockRandomnessSource} from "../../../contracts/mocks/MockRandomnessSource.sol";
import {MockVerificationModule} from "../../../contracts/mocks/MockVerificationModule.sol";
import {ModelRegistry} from "../../../contracts/registry/ModelRegistry.sol";
import {Settlement} from "../../../contracts/settlement/Settlement.sol";
import {Staking} from "../../../contracts/staking/Staking.sol";
import {OPGToken} from "../../../contracts/token/OPGToken.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice Records the callback it receives; can revert, burn gas or call back into the hub.
contract RecordingConsumer {
    uint256 public calls;
    uint256 public lastRequestId;
    bool public lastFinalized;
    bytes32 public lastResultHash;
    bool public lastIsError;
    bool public burn;
    bool public reenter;
    bytes public reentryError;

    function setBurn(bool burn_) external {
        burn = burn_;
    }

    function setReenter(bool reenter_) external {
        reenter = reenter_;
    }

    function onInferenceSettled(uint256 requestId, bool finalized, bytes32 resultHash, bool isError) external {
        if (burn) while (true) {} // solhint-disable-line no-empty-blocks
        if (reenter) {
            try IInferenceHub(msg.sender).deliverCallback(requestId) {} catch (bytes memory reason) {
                reentryError = reason;
            }
        }
        ++calls;
        lastRequestId = requestId;
        lastFinalized = finalized;
        lastResultHash = resultHash;
        lastIsError = isError;
    }
}

/// @notice InferenceHub against the real Staking, Settlement and ModelRegistry, with test-double modules whose
///         verdicts the test sets: every external function's success and failure paths.
contract InferenceHubTest is BaseTest {
    uint256 internal constant OPG = 1e18;
    uint256 internal constant FEE = 1e18;
    uint8 internal constant MODE_NOW = 0; // module answers Accepted at submission
    uint8 internal constant MODE_LATER = 1; // module answers Pending, then whatever the test sets
    bytes internal constant INPUT = hex"4f5047010101000200000001000000043f8000003f8000003f8000003f800000";
    bytes internal constant OUTPUT = hex"4f504701018006020000000100000003";

    OPGToken internal token;
    Staking internal staking;
    Settlement internal settlement;
    ModelRegistry internal registry;
    MockRandomnessSource internal randomness;
    InferenceHub internal hub;
    MockVerificationModule internal moduleNow;
    MockVerificationModule internal moduleLater;

    address internal treasury = address(0x7EA5);
    address internal requester = address(0xA11CE);
    address internal modelOwner = address(0x0DE1);
    address internal stranger = address(0xBAD);
    address[3] internal workers = [address(0x1001), address(0x1002), address(0x1003)];
    uint256 internal modelNow;
    uint256 internal modelLater;

    function setUp() public {
        token = new OPGToken(address(this), 1_000_000_000 * OPG);
        staking = new Staking(
            IERC20(address(token)),
            IStaking.StakingParams({
                minWorkerStake: uint128(1_000 * OPG),
                minVerifierStake: uint128(500 * OPG),
                unbondingDelay: 7 days,
                jailDuration: 1 days
            }),
            SNAPSHOT_PERIOD,
            address(this)
        );
        settlement = new Settlement(IERC20(address(token)), treasury, address(this));
        registry = new ModelRegistry(address(this), uint96(OPG / 100));
        randomness = new MockRandomnessSource();
        hub = new InferenceHub(
            ISettlement(address(settlement)),
            IStaking(address(staking)),
            IModelRegistry(address(registry)),
            IRandomnessSource(address(randomness)),
            _params(),
            address(this)
        );
        staking.setSettlement(address(settlement));
        staking.setPermissions(address(hub), 3);
        settlement.setPermissions(address(hub), 3);
        registry.setSuspender(address(hub));
        moduleNow = new MockVerificationModule();
        moduleNow.setOnResult(IVerificationModule.Verdict.Accepted, 0);
        moduleLater = new MockVerificationModule();
        moduleLater.setOnResult(IVerificationModule.Verdict.Pending, 600);
        hub.enableModule(MODE_NOW, address(moduleNow));
        hub.enableModule(MODE_LATER, address(moduleLater));
        staking.setLifecycleSource(address(hub));

        for (uint256 i; i < workers.length; ++i) _stakeWorker(workers[i], 10_000 * OPG);
        token.transfer(requester, 1_000 * OPG);
        vm.startPrank(requester);
        token.approve(address(settlement), type(uint256).max);
        settlement.deposit(100 * OPG);
        vm.stopPrank();
        modelNow = _register(MODE_NOW);
        modelLater = _register(MODE_LATER);
    }

    // ----------------------------------------------------------------------------------------------- helpers

    function _params() internal pure returns (IInferenceHub.InferenceParams memory) {
        return
            IInferenceHub.InferenceParams({
                protocolFeeBps: 500,
                verifierShareBps: 1_000,
                stakeToFeeRatio: 10,
                livenessPenaltyBps: 1_000,
                maxAttempts: 3,
                declineThreshold: 2,
                responseTimeout: 300,
                maxCallbackGas: 500_000,
                maxInputBytes: 1_024,
                maxOutputBytes: 1_024,
                callbackFeePerGas: 1e10
            });
    }

    function _stakeWorker(address worker, uint256 amount) internal {
        token.transfer(worker, amount);
        vm.startPrank(worker);
        token.approve(address(staking), amount);
        staking.stake(amount, 1);
        vm.stopPrank();
    }

    function _register(uint8 mode) internal returns (uint256) {
        vm.prank(modelOwner);
        return
            registry.registerModel(
                IModelRegistry.ModelParams({
                    contentHash: keccak256(abi.encode("model", mode)),
                    uri: "ipfs://model",
                    fee: uint96(FEE),
                    mode: mode,
                    outputDecimals: 6,
                    tolerance: 10,
                    royaltyRecipient: modelOwner,
                    royaltyBps: 1_000,
                    schemaDigest: keccak256("schema"),
                    kind: IModelRegistry.ModelKind.TENSOR,
                    tokenizerHash: bytes32(0),
                    tokenizerUri: "",
                    contextLength: 0,
                    eosTokenId: 0
                })
            );
    }

    function _rp(uint256 modelId) internal pure returns (IInferenceHub.RequestParams memory) {
        return
            IInferenceHub.RequestParams({
                modelId: modelId,
                input: INPUT,
                inputUri: "",
                inputHash: bytes32(0),
                callbackGasLimit: 0,
                maxFee: 10 * OPG
            });
    }

    function _request(uint256 modelId) internal returns (uint256 id) {
        vm.prank(requester);
        id = hub.request(_rp(modelId));
    }

    function _worker(uint256 id) internal view returns (address) {
        return hub.getRequest(id).worker;
    }

    function _submit(uint256 id, bytes memory output) internal {
        vm.prank(_worker(id));
        hub.submitResult(id, output, false);
    }

    /// @dev A request for `modelId` now reverts with HubModelUnavailable.
    function _expectUnavailable(uint256 modelId) internal {
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubModelUnavailable.selector, modelId));
        hub.request(_rp(modelId));
    }

    function _price() internal pure returns (uint256) {
        return FEE + (FEE * 500) / 10_000;
    }

    function _collateral() internal pure returns (uint256) {
        return _price() * 10;
    }

    function _status(uint256 id) internal view returns (uint256) {
        return uint256(hub.getRequest(id).status);
    }

    function _err(bytes4 selector, uint256 id) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, id);
    }

    // ----------------------------------------------------------------------------------------------- constructor, governance

    function test_constructor_readsBackEverything() public view {
        assertEq(address(hub.settlement()), address(settlement), "settlement");
        assertEq(address(hub.staking()), address(staking), "staking");
        assertEq(address(hub.registry()), address(registry), "registry");
        assertEq(address(hub.randomness()), address(randomness), "randomness");
        assertEq(hub.owner(), address(this), "owner");
        IInferenceHub.InferenceParams memory p = hub.params();
        assertEq(p.protocolFeeBps, 500, "protocolFeeBps");
        assertEq(p.declineThreshold, 2, "declineThreshold");
        assertEq(p.callbackFeePerGas, 1e10, "callbackFeePerGas");
        (address m, bool enabled) = hub.moduleOf(MODE_LATER);
        assertEq(m, address(moduleLater), "module");
        assertTrue(enabled, "enabled");
    }

    function test_revert_constructor_zeroAddress() public {
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubZeroAddress.selector));
        new InferenceHub(
            ISettlement(address(0)),
            IStaking(address(staking)),
            IModelRegistry(address(registry)),
            IRandomnessSource(address(randomness)),
            _params(),
            address(this)
        );
    }

    function test_revert_constructor_eachCollaboratorZero() public {
        for (uint256 i; i < 4; ++i) {
            address[4] memory at = [address(settlement), address(staking), address(registry), address(randomness)];
            at[i] = address(0);
            vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubZeroAddress.selector));
            new InferenceHub(
                ISettlement(at[0]),
                IStaking(at[1]),
                IModelRegistry(at[2]),
                IRandomnessSource(at[3]),
                _params(),
                address(this)
            );
        }
    }

    function test_enableModule_lastModeIdIsSeven() public {
        MockVerificationModule other = new MockVerificationModule();
        hub.enableModule(7, address(other));
        (address m, ) = hub.moduleOf(7);
        assertEq(m, address(other), "mode 7 enabled");
        assertEq(hub.MAX_MODES(), 8, "MAX_MODES");
    }

    function test_revert_setParams_outOfBounds() public {
        IInferenceHub.InferenceParams memory p = _params();
        p.protocolFeeBps = 2_001;
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.HubParamOutOfBounds.selector, "protocolFeeBps", 2_001, 0, 2_000)
        );
        hub.setParams(p);
        p = _params();
        p.maxAttempts = 0;
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubParamOutOfBounds.selector, "maxAttempts", 0, 1, 7));
        hub.setParams(p);
        p = _params();
        p.responseTimeout = 9;
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.HubParamOutOfBounds.selector, "responseTimeout", 9, 10, 1 days)
        );
        hub.setParams(p);
    }

    /// @dev `_params()` with parameter `i` (in `_bounds` order) set to `value`.
    function _withParam(uint256 i, uint256 value) internal pure returns (IInferenceHub.InferenceParams memory p) {
        p = _params();
        if (i == 0) p.protocolFeeBps = uint16(value);
        else if (i == 1) p.verifierShareBps = uint16(value);
        else if (i == 2) p.stakeToFeeRatio = uint16(value);
        else if (i == 3) p.livenessPenaltyBps = uint16(value);
        else if (i == 4) p.maxAttempts = uint8(value);
        else if (i == 5) p.declineThreshold = uint8(value);
        else if (i == 6) p.responseTimeout = uint32(value);
        else if (i == 7) p.maxCallbackGas = uint32(value);
        else if (i == 8) p.maxInputBytes = uint32(value);
        else if (i == 9) p.maxOutputBytes = uint32(value);
        else p.callbackFeePerGas = uint96(value);
    }

    function _bounds() internal pure returns (string[11] memory names, uint256[11] memory min, uint256[11] memory max) {
        names = [
            "protocolFeeBps",
            "verifierShareBps",
            "stakeToFeeRatio",
            "livenessPenaltyBps",
            "maxAttempts",
            "declineThreshold",
            "responseTimeout",
            "maxCallbackGas",
            "maxInputBytes",
            "maxOutputBytes",
            "callbackFeePerGas"
        ];
        min = [uint256(0), 0, 1, 0, 1, 1, 10, 0, 32, 32, 0];
        max = [uint256(2_000), 5_000, 1_000, 5_000, 7, 20, 1 days, 2_000_000, 128 * 1024, 128 * 1024, 1e15];
    }

    function test_setParams_everyBoundIsInclusiveAndExact() public {
        (string[11] memory names, uint256[11] memory min, uint256[11] memory max) = _bounds();
        for (uint256 i; i < names.length; ++i) {
            hub.setParams(_withParam(i, max[i]));
            hub.setParams(_withParam(i, min[i]));
            vm.expectRevert(
                abi.encodeWithSelector(IInferenceHub.HubParamOutOfBounds.selector, names[i], max[i] + 1, min[i], max[i])
            );
            hub.setParams(_withParam(i, max[i] + 1));
            if (min[i] == 0) continue;
            vm.expectRevert(
                abi.encodeWithSelector(IInferenceHub.HubParamOutOfBounds.selector, names[i], min[i] - 1, min[i], max[i])
            );
            hub.setParams(_withParam(i, min[i] - 1));
        }
    }

    function test_revert_setParams_notOwner() public {
        IInferenceHub.InferenceParams memory p = _params();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        hub.setParams(p);
    }

    function test_setParams_appliesToNewRequestsOnly() public {
        uint256 before = _request(modelLater);
        IInferenceHub.InferenceParams memory p = _params();
        p.protocolFeeBps = 1_000;
        hub.setParams(p);
        assertEq(hub.getRequest(before).protocolFee, (FEE * 500) / 10_000, "old terms kept");
        assertEq(hub.getRequest(_request(modelLater)).protocolFee, (FEE * 1_000) / 10_000, "new terms");
    }

    function test_revert_setParams_lifecycleLongerThanUnbonding() public {
        moduleLater.setDuration(7 days);
        IInferenceHub.InferenceParams memory p = _params();
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubLifecycleTooLong.selector, 3 * 300 + 7 days, 7 days));
        hub.setParams(p);
    }

    function test_enableModule_onceAndOnlyBelowMaxModes() public {
        MockVerificationModule other = new MockVerificationModule();
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubModeTaken.selector, MODE_LATER, address(moduleLater)));
        hub.enableModule(MODE_LATER, address(other));
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubInvalidMode.selector, 8));
        hub.enableModule(8, address(other));
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubZeroAddress.selector));
        hub.enableModule(3, address(0));
        hub.enableModule(3, address(other));
        (address m, bool enabled) = hub.moduleOf(3);
        assertEq(m, address(other), "ZK slot");
        assertTrue(enabled, "enabled");
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        hub.enableModule(4, address(other));
    }

    function test_disableModule_stopsNewRequestsButOpenOnesFinish() public {
        uint256 id = _request(modelLater);
        hub.disableModule(MODE_LATER);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubModeDisabled.selector, MODE_LATER));
        hub.request(_rp(modelLater));
        _submit(id, OUTPUT);
        moduleLater.setSettle(IVerificationModule.Verdict.Accepted, new address[](0));
        hub.finalize(id);
        assertEq(_status(id), uint256(IInferenceHub.Status.Finalized), "finalized");
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubModeDisabled.selector, MODE_LATER));
        hub.disableModule(MODE_LATER);
    }

    /// Each mode has its own enabled bit: enabling or disabling one leaves every other mode as it was.
    function test_modeBits_eachModeIsEnabledAndDisabledAlone() public {
        MockVerificationModule other = new MockVerificationModule();
        bool[8] memory before;
        for (uint8 mode; mode < 8; ++mode) (, before[mode]) = hub.moduleOf(mode);
        hub.enableModule(7, address(other));
        hub.disableModule(MODE_LATER);
        for (uint8 mode; mode < 8; ++mode) {
            (, bool enabled) = hub.moduleOf(mode);
            bool expected = mode == 7 ? true : (mode == MODE_LATER ? false : before[mode]);
            assertTrue(enabled == expected, "mode bit");
        }
        (, bool beyond) = hub.moduleOf(8);
        assertFalse(beyond, "no mode from MAX_MODES on is enabled");
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubModeDisabled.selector, uint8(8)));
        hub.disableModule(8);
    }

    function test_revert_enableModule_lifecycleTooLong() public {
        MockVerificationModule slow = new MockVerificationModule();
        slow.setDuration(8 days);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubLifecycleTooLong.selector, 900 + 8 days, 7 days));
        hub.enableModule(3, address(slow));
    }

    // ----------------------------------------------------------------------------------------------- request

    function test_request_locksPriceAndCollateralAndAssigns() public {
        uint256 balance = settlement.balanceOf(requester);
        uint256 id = _request(modelLater);
        assertEq(id, 1, "first id");
        assertEq(hub.requestCount(), 1, "count");
        assertEq(balance - settlement.balanceOf(requester), _price(), "price locked");
        assertEq(settlement.totalLocked(), _price(), "locked total");
        IInferenceHub.Request memory r = hub.getRequest(id);
        assertEq(uint256(r.status), uint256(IInferenceHub.Status.Requested), "status");
        assertEq(r.attempts, 1, "attempts");
        assertEq(r.deadline, block.timestamp + 300, "deadline");
        assertEq(staking.getOperator(r.worker).locked, _collateral(), "collateral");
        assertEq(hub.collateralOf(id), _collateral(), "collateralOf");
        (uint256 modelFee, uint256 protocolFee) = hub.quote(modelLater);
        assertEq(modelFee + protocolFee, _price(), "quote");
    }

    function test_request_byUriAndHash() public {
        IInferenceHub.RequestParams memory rp = _rp(modelLater);
        rp.input = "";
        rp.inputUri = "ipfs://input";
        rp.inputHash = keccak256("input");
        vm.prank(requester);
        uint256 id = hub.request(rp);
        assertEq(_status(id), uint256(IInferenceHub.Status.Requested), "requested");
    }

    function test_revert_request_invalidInput() public {
        IInferenceHub.RequestParams memory rp = _rp(modelLater);
        rp.inputUri = "ipfs://both";
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubInvalidInput.selector));
        hub.request(rp);
        rp.input = "";
        rp.inputHash = bytes32(0);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubInvalidInput.selector));
        hub.request(rp);
        rp.inputUri = "";
        rp.inputHash = keccak256("x");
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubInvalidInput.selector));
        hub.request(rp);
    }

    function test_revert_request_inputTooLarge() public {
        IInferenceHub.RequestParams memory rp = _rp(modelLater);
        rp.input = new bytes(1_025);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubInputTooLarge.selector, 1_025, 1_024));
        hub.request(rp);
    }

    function test_revert_request_feeAboveMax() public {
        IInferenceHub.RequestParams memory rp = _rp(modelLater);
        rp.maxFee = _price() - 1;
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubFeeAboveMax.selector, _price(), _price() - 1));
        hub.request(rp);
    }

    function test_revert_request_callbackGasTooHigh() public {
        IInferenceHub.RequestParams memory rp = _rp(modelLater);
        rp.callbackGasLimit = 500_001;
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubCallbackGasTooHigh.selector, 500_001, 500_000));
        hub.request(rp);
    }

    function test_revert_request_modelUnavailable() public {
        vm.prank(modelOwner);
        registry.setActive(modelLater, false);
        _expectUnavailable(modelLater);
    }

    function test_revert_request_modeNotEnabled() public {
        uint256 modelId = _register(5);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubModeDisabled.selector, 5));
        hub.request(_rp(modelId));
    }

    function test_revert_request_noWorker() public {
        // The only workers are all busy beyond their free stake: a fresh hub with a tiny worker set.
        for (uint256 i; i < workers.length; ++i) {
            vm.prank(workers[i]);
            staking.setRoles(0);
        }
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubNoWorkerAvailable.selector, modelLater));
        hub.request(_rp(modelLater));
    }

    function test_request_requesterIsNeverItsOwnWorker() public {
        address dual = workers[0];
        token.transfer(dual, 10 * OPG);
        vm.startPrank(dual);
        token.approve(address(settlement), 10 * OPG);
        settlement.deposit(10 * OPG);
        for (uint256 i; i < 5; ++i) {
            uint256 id = hub.request(_rp(modelLater));
            assertTrue(hub.getRequest(id).worker != dual, "requester excluded");
        }
        vm.stopPrank();
    }

    function test_requestBatch_consecutiveIds() public {
        IInferenceHub.RequestParams[] memory batch = new IInferenceHub.RequestParams[](3);
        for (uint256 i; i < 3; ++i) batch[i] = _rp(modelLater);
        vm.prank(requester);
        uint256 first = hub.requestBatch(batch);
        assertEq(first, 1, "first");
        assertEq(hub.requestCount(), 3, "count");
        assertEq(settlement.totalLocked(), 3 * _price(), "locked");
    }

    function test_revert_requestBatch_bounds() public {
        IInferenceHub.RequestParams[] memory none = new IInferenceHub.RequestParams[](0);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubBatchTooLarge.selector, 0, 50));
        hub.requestBatch(none);
        IInferenceHub.RequestParams[] memory many = new IInferenceHub.RequestParams[](51);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubBatchTooLarge.selector, 51, 50));
        hub.requestBatch(many);
    }

    function test_requestWithPermit_depositsAndRequests() public {
        uint256 key = 0xB0B;
        address bob = vm.addr(key);
        token.transfer(bob, 10 * OPG);
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"),
                bob,
                address(settlement),
                5 * OPG,
                token.nonces(bob),
                deadline
            )
        );
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        vm.prank(bob);
        uint256 id = hub.requestWithPermit(_rp(modelLater), 5 * OPG, deadline, v, r, s);
        assertEq(hub.getRequest(id).requester, bob, "requester");
        assertEq(settlement.balanceOf(bob), 5 * OPG - _price(), "rest stays free");
    }

    // ----------------------------------------------------------------------------------------------- submit

    function test_submit_acceptedAtOnce_splitsFeeExactly() public {
        uint256 id = _request(modelNow);
        address worker = _worker(id);
        _submit(id, OUTPUT);
        assertEq(_status(id), uint256(IInferenceHub.Status.Finalized), "finalized");
        uint256 royalty = (FEE * 1_000) / 10_000;
        assertEq(settlement.creditsOf(modelOwner), royalty, "royalty");
        assertEq(settlement.creditsOf(worker), FEE - royalty, "worker gets the unused verifier share");
        assertEq(settlement.creditsOf(treasury), _price() - FEE, "protocol fee");
        assertEq(settlement.totalLocked(), 0, "nothing locked");
        assertEq(staking.getOperator(worker).locked, 0, "collateral released");
        assertEq(hub.getRequest(id).resultHash, keccak256(OUTPUT), "result hash");
        IVerificationModule.Job memory job = moduleNow.lastJob();
        assertEq(job.worker, worker, "job.worker");
        assertEq(job.collateral, _collateral(), "job.collateral");
        assertEq(job.fee, _price(), "job.fee");
    }

    function test_submit_pending_thenAcceptedWithPayeesPerSeat() public {
        uint256 id = _request(modelLater);
        address worker = _worker(id);
        _submit(id, OUTPUT);
        assertEq(_status(id), uint256(IInferenceHub.Status.Submitted), "submitted");
        assertEq(hub.getRequest(id).deadline, block.timestamp + 600, "module deadline");
        moduleLater.setDisputed(true);
        assertEq(_status(id), uint256(IInferenceHub.Status.Disputed), "shown as disputed");
        vm.expectRevert(_err(IInferenceHub.HubNotFinal.selector, id));
        hub.finalize(id);

        address[] memory paid = new address[](3);
        paid[0] = address(0xE1);
        paid[1] = address(0xE2);
        paid[2] = address(0xE1); // two seats
        moduleLater.setSettle(IVerificationModule.Verdict.Accepted, paid);
        hub.finalize(id);
        uint256 verifierPay = (FEE * 1_000) / 10_000;
        uint256 perSeat = verifierPay / 3;
        assertEq(settlement.creditsOf(address(0xE1)), 2 * perSeat, "two seats");
        assertEq(settlement.creditsOf(address(0xE2)), perSeat, "one seat");
        uint256 royalty = (FEE * 1_000) / 10_000;
        assertEq(settlement.creditsOf(worker), FEE - royalty - verifierPay, "worker");
        assertEq(
            settlement.creditsOf(treasury),
            _price() - FEE + verifierPay - 3 * perSeat,
            "protocol fee + remainder"
        );
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.HubInvalidStatus.selector, id, IInferenceHub.Status.Finalized)
        );
        hub.finalize(id);
    }

    function test_revert_submit_notAssigned_late_tooLarge_unknown() public {
        uint256 id = _request(modelLater);
        address worker = _worker(id);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubNotAssignedWorker.selector, id, stranger, worker));
        hub.submitResult(id, OUTPUT, false);
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubOutputTooLarge.selector, 1_025, 1_024));
        hub.submitResult(id, new bytes(1_025), false);
        uint256 deadline = hub.getRequest(id).deadline;
        vm.warp(deadline + 1);
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubDeadlinePassed.selector, id, deadline));
        hub.submitResult(id, OUTPUT, false);
        vm.expectRevert(_err(IInferenceHub.HubUnknownRequest.selector, 99));
        hub.submitResult(99, OUTPUT, false);
    }

    function test_submit_atDeadlineIsInTime() public {
        uint256 id = _request(modelLater);
        vm.warp(hub.getRequest(id).deadline);
        _submit(id, OUTPUT);
        assertEq(_status(id), uint256(IInferenceHub.Status.Submitted), "inclusive deadline");
    }

    function test_submitResultBatch_andBounds() public {
        uint256 a = _request(modelLater);
        uint256 b = _request(modelLater);
        uint256[] memory ids = new uint256[](1);
        bytes[] memory outputs = new bytes[](1);
        bool[] memory errors = new bool[](1);
        ids[0] = a;
        outputs[0] = OUTPUT;
        vm.prank(_worker(a));
        hub.submitResultBatch(ids, outputs, errors);
        assertEq(_status(a), uint256(IInferenceHub.Status.Submitted), "a");
        assertEq(_status(b), uint256(IInferenceHub.Status.Requested), "b untouched");
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubBatchLengthMismatch.selector));
        hub.submitResultBatch(ids, new bytes[](2), errors);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubBatchTooLarge.selector, 0, 50));
        hub.submitResultBatch(new uint256[](0), new bytes[](0), new bool[](0));
    }

    function test_errorResult_isRecorded() public {
        uint256 id = _request(modelNow);
        vm.prank(_worker(id));
        hub.submitResult(id, hex"01", true);
        assertTrue(hub.getRequest(id).isError, "error result");
        assertTrue(moduleNow.lastJob().isError, "module saw it");
    }

    // ----------------------------------------------------------------------------------------------- verdicts

    function test_rejected_refundsRequesterAndLeavesCollateralToTheCourt() public {
        uint256 id = _request(modelLater);
        address worker = _worker(id);
        _submit(id, OUTPUT);
        uint256 balance = settlement.balanceOf(requester);
        // The court's slash releases the job collateral; emulate it with the hub's own permission holder.
        staking.setPermissions(address(this), 2);
        staking.slash(worker, 0, _collateral(), true);
        moduleLater.setSettle(IVerificationModule.Verdict.Rejected, new address[](0));
        hub.finalize(id);
        assertEq(_status(id), uint256(IInferenceHub.Status.Rejected), "rejected");
        assertEq(settlement.balanceOf(requester) - balance, _price(), "refund");
        assertEq(staking.getOperator(worker).locked, 0, "no double unlock");
    }

    function test_refunded_refundsAndReleasesCollateralWithoutPaying() public {
        uint256 id = _request(modelLater);
        address worker = _worker(id);
        _submit(id, OUTPUT);
        uint256 balance = settlement.balanceOf(requester);
        moduleLater.setSettle(IVerificationModule.Verdict.Refunded, new address[](0));
        hub.finalize(id);
        assertEq(_status(id), uint256(IInferenceHub.Status.Refunded), "refunded");
        assertEq(settlement.balanceOf(requester) - balance, _price(), "refund");
        assertEq(staking.getOperator(worker).locked, 0, "collateral released");
        assertEq(settlement.creditsOf(worker), 0, "worker unpaid");
    }

    // ----------------------------------------------------------------------------------------------- decline

    function test_decline_noPenalty_reassignedToAnother() public {
        uint256 id = _request(modelLater);
        address first = _worker(id);
        uint256 stake = staking.getOperator(first).active;
        vm.prank(first);
        hub.decline(id, "uri-unreachable");
        IInferenceHub.Request memory r = hub.getRequest(id);
        assertEq(uint256(r.status), uint256(IInferenceHub.Status.Requested), "still requested");
        assertTrue(r.worker != first && r.worker != address(0), "another worker");
        assertEq(r.attempts, 2, "attempt counted");
        assertEq(staking.getOperator(first).active, stake, "no slash");
        assertEq(staking.getOperator(first).locked, 0, "collateral released");
        assertTrue(staking.isEligible(first, 1), "not jailed");
        assertEq(settlement.creditsOf(first), 0, "declining earns nothing");
    }

    function test_decline_thresholdSuspendsModelAndExpires() public {
        uint256 id = _request(modelLater);
        vm.prank(_worker(id));
        hub.decline(id, "hash-mismatch");
        uint256 balance = settlement.balanceOf(requester);
        vm.prank(_worker(id));
        hub.decline(id, "hash-mismatch");
        assertTrue(registry.getModel(modelLater).suspended, "suspended at 2 distinct workers");
        assertEq(_status(id), uint256(IInferenceHub.Status.Expired), "expired at once");
        assertEq(settlement.balanceOf(requester) - balance, _price(), "refunded");
        _expectUnavailable(modelLater);
        vm.prank(modelOwner);
        registry.resume(modelLater);
        _request(modelLater);
    }

    function test_decline_sameWorkerTwiceCountsOnce() public {
        // One worker: it declines, is excluded for this request, so the request expires without a second worker.
        uint256 id = _request(modelLater);
        address first = _worker(id);
        vm.prank(first);
        hub.decline(id, "x");
        uint256 second = _request(modelLater);
        if (_worker(second) == first) {
            vm.prank(first);
            hub.decline(second, "x");
            assertTrue(!registry.getModel(modelLater).suspended, "one distinct worker");
        }
    }

    function test_revert_decline_notAssigned_late() public {
        uint256 id = _request(modelLater);
        address worker = _worker(id);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubNotAssignedWorker.selector, id, stranger, worker));
        hub.decline(id, "x");
        uint256 deadline = hub.getRequest(id).deadline;
        vm.warp(deadline + 1);
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubDeadlinePassed.selector, id, deadline));
        hub.decline(id, "x");
    }

    // ----------------------------------------------------------------------------------------------- reassign

    function test_reassign_penalisesJailsAndReassigns() public {
        uint256 id = _request(modelLater);
        address late = _worker(id);
        uint256 deadline = hub.getRequest(id).deadline;
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubDeadlineNotReached.selector, id, deadline));
        hub.reassign(id);
        vm.warp(deadline + 1);
        uint256 stake = staking.getOperator(late).active;
        vm.prank(stranger); // permissionless
        hub.reassign(id);
        uint256 penalty = (_collateral() * 1_000) / 10_000;
        assertEq(stake - staking.getOperator(late).active, penalty, "liveness penalty");
        assertEq(settlement.creditsOf(treasury), penalty, "to the treasury");
        assertEq(staking.getOperator(late).locked, 0, "collateral released");
        assertTrue(!staking.isEligible(late, 1), "jailed");
        IInferenceHub.Request memory r = hub.getRequest(id);
        assertTrue(r.worker != late, "another worker");
        assertEq(r.attempts, 2, "attempts");
        // Jail ends by time, without any call.
        vm.warp(block.timestamp + 1 days);
        assertTrue(staking.isEligible(late, 1), "jail over");
    }

    function test_reassign_expiresAfterMaxAttempts() public {
        uint256 id = _request(modelLater);
        uint256 balance = settlement.balanceOf(requester);
        for (uint256 i; i < 3; ++i) {
            vm.warp(hub.getRequest(id).deadline + 1);
            hub.reassign(id);
        }
        assertEq(_status(id), uint256(IInferenceHub.Status.Expired), "expired");
        assertEq(settlement.balanceOf(requester) - balance, _price(), "full refund");
        assertEq(settlement.totalLocked(), 0, "nothing locked");
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.HubInvalidStatus.selector, id, IInferenceHub.Status.Expired)
        );
        hub.reassign(id);
    }

    function test_processBatch_finalizesAndReassignsWhatIsDue() public {
        uint256 a = _request(modelLater);
        uint256 b = _request(modelLater);
        uint256 c = _request(modelLater);
        _submit(a, OUTPUT);
        moduleLater.setSettle(IVerificationModule.Verdict.Accepted, new address[](0));
        uint256[] memory ids = new uint256[](4);
        ids[0] = a;
        ids[1] = b;
        ids[2] = c;
        ids[3] = 77; // unknown: skipped
        assertEq(hub.processBatch(ids), 1, "only a is due");
        vm.warp(hub.getRequest(b).deadline + 1);
        assertEq(hub.processBatch(ids), 2, "b and c timed out");
        assertEq(_status(a), uint256(IInferenceHub.Status.Finalized), "a");
        assertEq(hub.getRequest(b).attempts, 2, "b reassigned");
        moduleLater.setSettle(IVerificationModule.Verdict.Pending, new address[](0));
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubBatchTooLarge.selector, 0, 50));
        hub.processBatch(new uint256[](0));
    }

    // ----------------------------------------------------------------------------------------------- callbacks

    function _consumerRequest(uint32 gasLimit) internal returns (RecordingConsumer consumer, uint256 id) {
        consumer = new RecordingConsumer();
        token.transfer(address(consumer), 10 * OPG);
        vm.startPrank(address(consumer));
        token.approve(address(settlement), 10 * OPG);
        settlement.deposit(10 * OPG);
        IInferenceHub.RequestParams memory rp = _rp(modelNow);
        rp.callbackGasLimit = gasLimit;
        id = hub.request(rp);
        vm.stopPrank();
    }

    function test_callback_prepaid_deliveredByAnyone_workerGasIndependent() public {
        (RecordingConsumer consumer, uint256 id) = _consumerRequest(200_000);
        uint256 callbackFee = 200_000 * 1e10;
        assertEq(hub.getRequest(id).callbackFee, callbackFee, "prepaid");
        assertEq(settlement.totalLocked(), _price() + callbackFee, "locked with the fee");
        _submit(id, OUTPUT);
        assertEq(consumer.calls(), 0, "the submission runs no consumer code");
        assertTrue(hub.getRequest(id).callbackPending, "pending");
        vm.prank(stranger);
        hub.deliverCallback{gas: 400_000}(id);
        assertEq(consumer.calls(), 1, "delivered");
        assertTrue(consumer.lastFinalized(), "finalized");
        assertEq(consumer.lastResultHash(), keccak256(OUTPUT), "hash");
        assertEq(settlement.creditsOf(stranger), callbackFee, "deliverer paid");
        assertEq(settlement.totalLocked(), 0, "nothing locked");
        vm.expectRevert(_err(IInferenceHub.HubNoCallback.selector, id));
        hub.deliverCallback(id);
    }

    function test_callback_reportsAnErrorResultAsSuch() public {
        (RecordingConsumer consumer, uint256 id) = _consumerRequest(200_000);
        vm.prank(_worker(id));
        hub.submitResult(id, OUTPUT, true);
        hub.deliverCallback{gas: 400_000}(id);
        assertTrue(consumer.lastFinalized(), "finalized");
        assertTrue(consumer.lastIsError(), "an error result");
        (RecordingConsumer plain, uint256 other) = _consumerRequest(200_000);
        _submit(other, OUTPUT);
        hub.deliverCallback{gas: 400_000}(other);
        assertTrue(plain.lastFinalized(), "finalized");
        assertTrue(!plain.lastIsError(), "not an error result");
    }

    function test_callback_gasHungryConsumerCannotBlock() public {
        (RecordingConsumer consumer, uint256 id) = _consumerRequest(100_000);
        consumer.setBurn(true);
        _submit(id, OUTPUT);
        hub.deliverCallback{gas: 300_000}(id);
        assertEq(_status(id), uint256(IInferenceHub.Status.Finalized), "still final");
        assertTrue(!hub.getRequest(id).callbackPending, "done");
    }

    function test_revert_callback_reentryIntoTheHub() public {
        (RecordingConsumer consumer, uint256 id) = _consumerRequest(200_000);
        consumer.setReenter(true);
        _submit(id, OUTPUT);
        hub.deliverCallback{gas: 400_000}(id);
        assertEq(consumer.calls(), 1, "the callback ran");
        assertEq(
            keccak256(consumer.reentryError()),
            keccak256(abi.encodeWithSelector(IInferenceHub.HubReentrantCall.selector)),
            "the nested call hit the lock"
        );
    }

    function test_revert_callback_insufficientGas() public {
        (, uint256 id) = _consumerRequest(400_000);
        _submit(id, OUTPUT);
        vm.expectRevert();
        hub.deliverCallback{gas: 200_000}(id);
        assertTrue(hub.getRequest(id).callbackPending, "retry possible");
    }

    function test_cancelCallback_refundsRequesterOnly() public {
        (RecordingConsumer consumer, uint256 id) = _consumerRequest(100_000);
        _submit(id, OUTPUT);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubNotRequester.selector, id, stranger));
        hub.cancelCallback(id);
        uint256 balance = settlement.balanceOf(address(consumer));
        vm.prank(address(consumer));
        hub.cancelCallback(id);
        assertEq(settlement.balanceOf(address(consumer)) - balance, 100_000 * 1e10, "refund");
        vm.expectRevert(_err(IInferenceHub.HubNoCallback.selector, id));
        hub.cancelCallback(id);
    }

    function test_callback_expiredRequestStillNotifies() public {
        (RecordingConsumer consumer, uint256 id) = _consumerRequest(100_000);
        for (uint256 i; i < 3; ++i) {
            vm.warp(hub.getRequest(id).deadline + 1);
            hub.reassign(id);
        }
        hub.deliverCallback{gas: 300_000}(id);
        assertEq(consumer.calls(), 1, "notified");
        assertTrue(!consumer.lastFinalized(), "not finalized");
        assertEq(consumer.lastResultHash(), bytes32(0), "no hash");
    }

    // ----------------------------------------------------------------------------------------------- storage record

    function test_royalty_goesToTheRecipientOfTheRequestsTerms() public {
        address bob = address(0xB0B);
        uint256 before = _request(modelLater);
        vm.prank(modelOwner);
        registry.setRoyalty(modelLater, bob, 1_000);
        uint256 afterChange = _request(modelLater);
        _submit(before, OUTPUT);
        _submit(afterChange, OUTPUT);
        moduleLater.setSettle(IVerificationModule.Verdict.Accepted, new address[](0));
        uint256 royalty = (FEE * 1_000) / 10_000;
        hub.finalize(before);
        assertEq(settlement.creditsOf(modelOwner), royalty, "the recipient when the request was made");
        assertEq(settlement.creditsOf(bob), 0, "not the new one");
        hub.finalize(afterChange);
        assertEq(settlement.creditsOf(bob), royalty, "a request made after the change pays the new recipient");
        assertEq(settlement.creditsOf(modelOwner), royalty, "unchanged");
    }

    function test_record_attemptsReachTheMaximumBound() public {
        IInferenceHub.InferenceParams memory p = _params();
        p.maxAttempts = 7;
        p.declineThreshold = 20;
        hub.setParams(p);
        uint256 id = _request(modelLater);
        for (uint256 attempt = 1; attempt < 7; ++attempt) {
            IInferenceHub.Request memory r = hub.getRequest(id);
            assertEq(r.attempts, attempt, "attempts");
            assertEq(uint256(r.status), uint256(IInferenceHub.Status.Requested), "still requested");
            vm.prank(r.worker);
            hub.decline(id, "unreachable");
        }
        assertEq(hub.getRequest(id).attempts, 7, "seventh attempt");
        vm.prank(_worker(id));
        hub.decline(id, "unreachable");
        IInferenceHub.Request memory last = hub.getRequest(id);
        assertEq(uint256(last.status), uint256(IInferenceHub.Status.Expired), "expired after the last attempt");
        assertEq(last.attempts, 7, "attempts kept");
        assertEq(last.worker, address(0), "no worker");
        assertEq(last.requester, requester, "requester kept");
        assertEq(last.modelId, modelLater, "model kept");
        p.maxAttempts = 8;
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubParamOutOfBounds.selector, "maxAttempts", 8, 1, 7));
        hub.setParams(p);
    }

    function test_record_workerIdsAreStablePerWorker() public {
        uint256[] memory ids = new uint256[](12);
        for (uint256 i; i < ids.length; ++i) ids[i] = _request(modelLater);
        for (uint256 i; i < ids.length; ++i) {
            address worker = _worker(ids[i]);
            assertTrue(worker == workers[0] || worker == workers[1] || worker == workers[2], "a staked worker");
            (IVerificationModule.Job memory job, , , ) = hub.jobOf(ids[i]);
            assertEq(job.worker, worker, "jobOf names the same worker");
            // Only that worker can post, whatever id it was given.
            for (uint256 w; w < workers.length; ++w) {
                if (workers[w] == worker) continue;
                vm.prank(workers[w]);
                vm.expectRevert(
                    abi.encodeWithSelector(IInferenceHub.HubNotAssignedWorker.selector, ids[i], workers[w], worker)
                );
                hub.submitResult(ids[i], OUTPUT, false);
            }
            _submit(ids[i], OUTPUT);
            assertEq(hub.getRequest(ids[i]).worker, worker, "kept after submission");
        }
    }

    function test_revert_record_workerIdsExhausted() public {
        uint256 first = _request(modelLater);
        address known = _worker(first);
        // Find the counters slot (requests 1, terms 1, worker ids 1 in its low 120 bits; the enabled-mode bits above)
        // and mark every worker id as taken.
        uint256 packed = 1 | (1 << 64) | (1 << 96);
        uint256 low = (1 << 120) - 1;
        uint256 slot = type(uint256).max;
        uint256 value;
        for (uint256 i; i < 16; ++i) {
            uint256 word = uint256(vm.load(address(hub), bytes32(i)));
            if (word & low == packed && word >> 120 != 0) (slot, value) = (i, word);
        }
        assertTrue(slot != type(uint256).max, "counters slot found");
        value = (value & ~(uint256(type(uint24).max) << 96)) | (uint256(type(uint24).max) << 96);
        vm.store(address(hub), bytes32(slot), bytes32(value));
        bool exhausted;
        for (uint256 i; i < 24 && !exhausted; ++i) {
            vm.prank(requester);
            try hub.request(_rp(modelLater)) returns (uint256 id) {
                assertEq(_worker(id), known, "only the worker with an id can still be assigned");
            } catch (bytes memory reason) {
                assertEq(
                    keccak256(reason),
                    keccak256(abi.encodeWithSelector(IInferenceHub.HubWorkerIdsExhausted.selector)),
                    "error"
                );
                exhausted = true;
            }
        }
        assertTrue(exhausted, "a new worker was drawn and refused");
    }

    // ----------------------------------------------------------------------------------------------- views

    function test_revert_views_unknownRequest() public {
        vm.expectRevert(_err(IInferenceHub.HubUnknownRequest.selector, 5));
        hub.getRequest(5);
        vm.expectRevert(_err(IInferenceHub.HubUnknownRequest.selector, 5));
        hub.jobOf(5);
        assertEq(hub.collateralOf(5), 0, "no collateral");
    }

    function test_maxLifecycleDuration_addsTheLongestModule() public {
        moduleLater.setDuration(3_600);
        assertEq(hub.maxLifecycleDuration(), 3 * 300 + 3_600, "lifecycle");
    }

    // ----------------------------------------------------------------------------------------------- kept terms

    /// The hub keeps a model's terms only while it is the registry's suspender, which tells it of every change.
    function test_keptTerms_listeningFollowsTheRegistrysSuspender() public {
        assertTrue(hub.listensToRegistry(), "listening after setUp");
        vm.expectEmit(address(hub));
        emit IInferenceHub.RegistryListening(false);
        registry.setSuspender(stranger);
        assertFalse(hub.listensToRegistry(), "another suspender");
        vm.expectEmit(address(hub));
        emit IInferenceHub.RegistryListening(true);
        registry.setSuspender(address(hub));
        assertTrue(hub.listensToRegistry(), "listening again");
    }

    /// Every registry change a request depends on reaches the next request: fee, royalty, active flag, suspension.
    function test_keptTerms_everyRegistryChangeReachesTheNextRequest() public {
        _request(modelLater);
        vm.prank(modelOwner);
        registry.setFee(modelLater, uint96(2 * FEE));
        assertEq(hub.getRequest(_request(modelLater)).modelFee, 2 * FEE, "new fee");
        vm.prank(modelOwner);
        registry.setRoyalty(modelLater, stranger, 0);
        assertEq(hub.getRequest(_request(modelLater)).royaltyBps, 0, "new royalty");
        vm.prank(modelOwner);
        registry.setActive(modelLater, false);
        _expectUnavailable(modelLater);
        vm.prank(modelOwner);
        registry.setActive(modelLater, true);
        _request(modelLater);
        vm.prank(address(hub));
        registry.suspend(modelLater);
        _expectUnavailable(modelLater);
        vm.prank(modelOwner);
        registry.resume(modelLater);
        assertEq(hub.getRequest(_request(modelLater)).modelFee, 2 * FEE, "serves again");
    }

    /// A hub that is not the suspender hears of no change, so it reads the registry on every request.
    function test_keptTerms_aHubThatDoesNotListenReadsTheRegistryEveryTime() public {
        _request(modelLater);
        registry.setSuspender(stranger);
        vm.prank(modelOwner);
        registry.setFee(modelLater, uint96(3 * FEE));
        assertEq(hub.getRequest(_request(modelLater)).modelFee, 3 * FEE, "fee read from the registry");
        vm.prank(modelOwner);
        registry.setActive(modelLater, false);
        _expectUnavailable(modelLater);
    }

    /// Terms kept before the hub stopped listening are not trusted when it listens again.
    function test_keptTerms_areForgottenWhenTheSuspenderChanges() public {
        _request(modelLater);
        registry.setSuspender(stranger);
        vm.prank(modelOwner);
        registry.setFee(modelLater, uint96(4 * FEE)); // not reported to the hub
        registry.setSuspender(address(hub));
        assertEq(hub.getRequest(_request(modelLater)).modelFee, 4 * FEE, "not the fee kept before");
    }

    /// A parameter change makes every kept model's terms stale: the next request has the new protocol fee.
    function test_keptTerms_aParameterChangeRenewsThem() public {
        _request(modelLater);
        IInferenceHub.InferenceParams memory p = _params();
        p.protocolFeeBps = 1_000;
        hub.setParams(p);
        IInferenceHub.Request memory r = hub.getRequest(_request(modelLater));
        assertEq(r.protocolFee, FEE / 10, "new protocol fee");
        assertEq(r.modelFee, FEE, "same model fee");
    }

    function test_revert_onModelTermsChanged_notRegistry() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubNotRegistry.selector, stranger));
        hub.onModelTermsChanged(modelLater);
    }

    function test_revert_onSuspenderChanged_notRegistry() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubNotRegistry.selector, stranger));
        hub.onSuspenderChanged(address(hub));
        assertTrue(hub.listensToRegistry(), "unchanged");
    }

    // ----------------------------------------------------------------------------------------------- fuzz

    /// @dev The split of any fee and any number of seats sums exactly to the locked price.
    function testFuzz_split_exact(uint96 fee, uint8 seatCount) public {
        fee = uint96(bound(fee, OPG / 100, 900 * OPG)); // collateral (10.5 × fee) within a worker's 10,000 OPG
        uint256 seats = bound(seatCount, 0, 31);
        vm.prank(modelOwner);
        registry.setFee(modelLater, fee);
        token.transfer(requester, 2_000 * OPG);
        vm.prank(requester);
        settlement.deposit(2_000 * OPG);
        IInferenceHub.RequestParams memory rp = _rp(modelLater);
        rp.maxFee = type(uint256).max;
        vm.prank(requester);
        uint256 id = hub.request(rp);
        _submit(id, OUTPUT);
        address[] memory paid = new address[](seats);
        for (uint256 i; i < seats; ++i) paid[i] = address(uint160(0xE000 + (i % 5)));
        moduleLater.setSettle(IVerificationModule.Verdict.Accepted, paid);
        uint256 creditsBefore = settlement.totalCredits();
        uint256 locked = settlement.totalLocked();
        hub.finalize(id);
        assertEq(settlement.totalCredits() - creditsBefore, locked, "every wei of the price credited");
        assertEq(settlement.totalLocked(), 0, "nothing left locked");
    }
}
