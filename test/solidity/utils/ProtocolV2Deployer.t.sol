// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IInferenceHub} from "../../../contracts/interfaces/IInferenceHub.sol";
import {ProtocolV2Deployer} from "./ProtocolV2Deployer.sol";

/// @notice The shared deployment is wired as ignition/modules/Verification.ts wires production, and a request goes
///         through it end to end.
contract ProtocolV2DeployerTest is ProtocolV2Deployer {
    ProtocolV2 internal p;

    function setUp() public {
        vm.warp(1_000_000);
        vm.roll(1_000);
        p = _deployProtocolV2();
    }

    function test_wiring_permissionsAsIgnition() public view {
        assertEq(p.staking.permissionsOf(address(p.hub)), LOCKER | SLASHER, "staking: hub LOCKER|SLASHER");
        assertEq(p.staking.permissionsOf(address(p.court)), SLASHER, "staking: court SLASHER");
        assertEq(p.staking.permissionsOf(address(p.committee)), SLASHER, "staking: committee SLASHER");
        assertEq(p.staking.permissionsOf(address(p.optimistic)), 0, "staking: optimistic none");
        assertEq(p.settlement.permissionsOf(address(p.hub)), FEES | BONDS, "settlement: hub FEES|BONDS");
        assertEq(p.settlement.permissionsOf(address(p.court)), BONDS, "settlement: court BONDS");
        assertEq(p.settlement.permissionsOf(address(p.optimistic)), BONDS, "settlement: optimistic BONDS");
        assertEq(p.settlement.permissionsOf(address(p.committee)), BONDS, "settlement: committee BONDS");
        assertEq(p.staking.settlement(), address(p.settlement), "staking sends slashes to settlement");
        assertEq(p.staking.lifecycleSource(), address(p.hub), "unbonding checked against the hub");
        assertEq(p.registry.suspender(), address(p.hub), "the hub suspends models");
        assertEq(p.court.hub(), address(p.hub), "court hub");
        assertTrue(p.court.isModule(address(p.optimistic)), "court: optimistic module");
        assertTrue(p.court.isModule(address(p.committee)), "court: committee module");
    }

    function test_wiring_modesEnabled() public view {
        address[3] memory modules = [address(p.none), address(p.optimistic), address(p.committee)];
        for (uint8 mode; mode < 3; ++mode) {
            (address module, bool enabled) = p.hub.moduleOf(mode);
            assertEq(module, modules[mode], "module of mode");
            assertTrue(enabled, "mode enabled");
        }
        assertLe(p.hub.maxLifecycleDuration() + 1, p.staking.params().unbondingDelay, "lifecycle < unbonding");
    }

    function test_endToEnd_noneRequestFinalizedAndSplit() public {
        address worker = address(0x1000);
        address requester = address(0x3000);
        _fund(p, worker, 2_000e18);
        _stake(p, worker, 2_000e18, ROLE_WORKER);
        _fund(p, requester, 10e18);
        _deposit(p, requester, 10e18);
        uint256 modelId = _registerModel(p, address(0x40DE1), MODE_NONE, 1e18, 1_000);
        IInferenceHub.RequestParams memory rp;
        rp.modelId = modelId;
        rp.input = hex"4f50470101";
        rp.maxFee = 1.05e18;
        vm.prank(requester);
        uint256 id = p.hub.request(rp);
        assertEq(p.hub.getRequest(id).worker, worker, "assigned");
        vm.prank(worker);
        p.hub.submitResult(id, hex"01", false);
        assertEq(uint256(p.hub.getRequest(id).status), uint256(IInferenceHub.Status.Finalized), "finalized");
        assertEq(p.settlement.creditsOf(worker), 0.9e18, "worker: model fee - royalty");
        assertEq(p.settlement.creditsOf(address(0x40DE1)), 0.1e18, "royalty");
        assertEq(p.settlement.creditsOf(TREASURY), 0.05e18, "protocol fee");
        assertEq(p.staking.getOperator(worker).locked, 0, "collateral released");
    }
}
