// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {Staking} from "../../../contracts/staking/Staking.sol";
import {MockLifecycleSource, StakingBase} from "./StakingBase.sol";

contract StakingTest is StakingBase {
    // ----------------------------------------------------------------------------------------------- helpers

    function _fresh() internal returns (Staking) {
        return new Staking(IERC20(address(token)), _defaultParams(), SNAPSHOT_PERIOD, address(this));
    }

    function _boundsError(
        string memory name,
        uint256 value,
        uint256 min,
        uint256 max
    ) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IStaking.StakingParamOutOfBounds.selector, name, value, min, max);
    }

    function _unauthorized(address who, uint8 permission) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IStaking.StakingUnauthorized.selector, who, permission);
    }

    function _notOwner(address who) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, who);
    }

    // ----------------------------------------------------------------------------------------------- constructor

    function test_constructor_readsBackEverything() public view {
        IStaking.StakingParams memory p = staking.params();
        assertEq(p.minWorkerStake, MIN_WORKER, "minWorkerStake");
        assertEq(p.minVerifierStake, MIN_VERIFIER, "minVerifierStake");
        assertEq(p.unbondingDelay, UNBONDING, "unbondingDelay");
        assertEq(p.jailDuration, JAIL, "jailDuration");
        assertEq(address(staking.token()), address(token), "token");
        assertEq(staking.owner(), address(this), "owner");
        assertEq(staking.settlement(), settlementAddr, "settlement");
        assertEq(staking.lifecycleSource(), address(source), "lifecycle source");
        assertEq(staking.permissionsOf(locker), 1, "locker");
        assertEq(staking.permissionsOf(slasher), 2, "slasher");
        assertEq(staking.totalStaked(), 0, "totalStaked");
        assertEq(staking.totalWeight(W), 0, "worker total");
        assertEq(staking.totalWeight(V), 0, "verifier total");
        assertEq(staking.operatorCount(W), 0, "worker count");
        assertEq(staking.operatorCount(V), 0, "verifier count");
    }

    function test_constructor_constants() public view {
        assertEq(staking.ROLE_WORKER(), 1, "ROLE_WORKER");
        assertEq(staking.ROLE_VERIFIER(), 2, "ROLE_VERIFIER");
        assertEq(staking.ALL_ROLES(), 3, "ALL_ROLES");
        assertEq(staking.TICKET(), 1e18, "TICKET");
        assertEq(staking.LOCKER(), 1, "LOCKER");
        assertEq(staking.SLASHER(), 2, "SLASHER");
        assertEq(staking.ALL_PERMISSIONS(), 3, "ALL_PERMISSIONS");
        assertEq(staking.MAX_WORKER_DRAWS(), 8, "MAX_WORKER_DRAWS");
        assertEq(staking.MAX_PANEL_SEATS(), 31, "MAX_PANEL_SEATS");
        assertEq(staking.MAX_EXCLUDED(), 48, "MAX_EXCLUDED");
        assertEq(staking.snapshotPeriod(), SNAPSHOT_PERIOD, "snapshotPeriod");
        assertEq(staking.MIN_STAKE_LOWER_BOUND(), 1e18, "min stake lower");
        assertEq(staking.MIN_STAKE_UPPER_BOUND(), 10_000_000e18, "min stake upper");
        assertEq(staking.UNBONDING_DELAY_LOWER_BOUND(), 10 minutes, "unbonding lower");
        assertEq(staking.UNBONDING_DELAY_UPPER_BOUND(), 90 days, "unbonding upper");
        assertEq(staking.JAIL_DURATION_LOWER_BOUND(), 1 minutes, "jail lower");
        assertEq(staking.JAIL_DURATION_UPPER_BOUND(), 30 days, "jail upper");
    }

    function test_constructor_emitsParamsUpdated() public {
        vm.expectEmit();
        emit IStaking.ParamsUpdated(_defaultParams());
        _fresh();
    }

    function test_constructor_unsetAddresses() public {
        Staking s = _fresh();
        assertEq(s.settlement(), address(0), "settlement unset");
        assertEq(s.lifecycleSource(), address(0), "source unset");
    }

    function test_revert_constructor_zeroToken() public {
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingZeroAddress.selector));
        new Staking(IERC20(address(0)), _defaultParams(), SNAPSHOT_PERIOD, address(this));
    }

    function test_revert_constructor_zeroOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableInvalidOwner.selector, address(0)));
        new Staking(IERC20(address(token)), _defaultParams(), SNAPSHOT_PERIOD, address(0));
    }

    function test_revert_constructor_paramOutOfBounds() public {
        IStaking.StakingParams memory p = _defaultParams();
        p.jailDuration = 30 days + 1;
        vm.expectRevert(_boundsError("jailDuration", 30 days + 1, 1 minutes, 30 days));
        new Staking(IERC20(address(token)), p, SNAPSHOT_PERIOD, address(this));
    }

    function test_revert_constructor_snapshotPeriodOutOfBounds() public {
        vm.expectRevert(_boundsError("snapshotPeriod", 59, 1 minutes, 1 days));
        new Staking(IERC20(address(token)), _defaultParams(), 59, address(this));
        vm.expectRevert(_boundsError("snapshotPeriod", 1 days + 1, 1 minutes, 1 days));
        new Staking(IERC20(address(token)), _defaultParams(), 1 days + 1, address(this));
        assertEq(
            new Staking(IERC20(address(token)), _defaultParams(), 1 days, address(this)).snapshotPeriod(),
            1 days,
            "max"
        );
    }

    // ----------------------------------------------------------------------------------------------- setParams

    function test_setParams_updatesAndEmits() public {
        IStaking.StakingParams memory p = IStaking.StakingParams({
            minWorkerStake: 2_000e18,
            minVerifierStake: 700e18,
            unbondingDelay: 14 days,
            jailDuration: 2 days
        });
        vm.expectEmit(address(staking));
        emit IStaking.ParamsUpdated(p);
        staking.setParams(p);
        IStaking.StakingParams memory r = staking.params();
        assertEq(r.minWorkerStake, 2_000e18, "minWorkerStake");
        assertEq(r.minVerifierStake, 700e18, "minVerifierStake");
        assertEq(r.unbondingDelay, 14 days, "unbondingDelay");
        assertEq(r.jailDuration, 2 days, "jailDuration");
    }

    function test_revert_setParams_notOwner() public {
        vm.prank(stranger);
        vm.expectRevert(_notOwner(stranger));
        staking.setParams(_defaultParams());
    }

    function test_setParams_minWorkerStakeBounds() public {
        IStaking.StakingParams memory p = _defaultParams();
        p.minWorkerStake = 1e18 - 1;
        vm.expectRevert(_boundsError("minWorkerStake", 1e18 - 1, 1e18, 10_000_000e18));
        staking.setParams(p);
        p.minWorkerStake = 1e18;
        staking.setParams(p);
        assertEq(staking.params().minWorkerStake, 1e18, "min");
        p.minWorkerStake = 10_000_000e18;
        staking.setParams(p);
        assertEq(staking.params().minWorkerStake, 10_000_000e18, "max");
        p.minWorkerStake = 10_000_000e18 + 1;
        vm.expectRevert(_boundsError("minWorkerStake", 10_000_000e18 + 1, 1e18, 10_000_000e18));
        staking.setParams(p);
    }

    function test_setParams_minVerifierStakeBounds() public {
        IStaking.StakingParams memory p = _defaultParams();
        p.minVerifierStake = 1e18 - 1;
        vm.expectRevert(_boundsError("minVerifierStake", 1e18 - 1, 1e18, 10_000_000e18));
        staking.setParams(p);
        p.minVerifierStake = 1e18;
        staking.setParams(p);
        assertEq(staking.params().minVerifierStake, 1e18, "min");
        p.minVerifierStake = 10_000_000e18;
        staking.setParams(p);
        assertEq(staking.params().minVerifierStake, 10_000_000e18, "max");
        p.minVerifierStake = 10_000_000e18 + 1;
        vm.expectRevert(_boundsError("minVerifierStake", 10_000_000e18 + 1, 1e18, 10_000_000e18));
        staking.setParams(p);
    }

    function test_setParams_unbondingDelayBounds() public {
        Staking s = _fresh(); // no lifecycle source: only the hard bounds apply
        IStaking.StakingParams memory p = _defaultParams();
        p.unbondingDelay = 10 minutes - 1;
        vm.expectRevert(_boundsError("unbondingDelay", 10 minutes - 1, 10 minutes, 90 days));
        s.setParams(p);
        p.unbondingDelay = 10 minutes;
        s.setParams(p);
        assertEq(s.params().unbondingDelay, 10 minutes, "min");
        p.unbondingDelay = 90 days;
        s.setParams(p);
        assertEq(s.params().unbondingDelay, 90 days, "max");
        p.unbondingDelay = 90 days + 1;
        vm.expectRevert(_boundsError("unbondingDelay", 90 days + 1, 10 minutes, 90 days));
        s.setParams(p);
    }

    function test_setParams_jailDurationBounds() public {
        IStaking.StakingParams memory p = _defaultParams();
        p.jailDuration = 1 minutes - 1;
        vm.expectRevert(_boundsError("jailDuration", 1 minutes - 1, 1 minutes, 30 days));
        staking.setParams(p);
        p.jailDuration = 1 minutes;
        staking.setParams(p);
        assertEq(staking.params().jailDuration, 1 minutes, "min");
        p.jailDuration = 30 days;
        staking.setParams(p);
        assertEq(staking.params().jailDuration, 30 days, "max");
        p.jailDuration = 30 days + 1;
        vm.expectRevert(_boundsError("jailDuration", 30 days + 1, 1 minutes, 30 days));
        staking.setParams(p);
    }

    /// @notice The unbonding delay must exceed the longest lifecycle plus two snapshot epochs (a panel member may
    ///         have unstaked two epochs before its draw).
    function test_revert_setParams_unbondingNotAboveLifecycleAndTwoEpochs() public {
        source.setMaxLifecycleDuration(3 days);
        uint256 floor = 3 days + 2 * SNAPSHOT_PERIOD;
        IStaking.StakingParams memory p = _defaultParams();
        p.unbondingDelay = uint32(floor);
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingUnbondingTooShort.selector, floor, floor));
        staking.setParams(p);
        p.unbondingDelay = uint32(floor + 1);
        staking.setParams(p);
        assertEq(staking.params().unbondingDelay, floor + 1, "just above lifecycle + two epochs");
    }

    /// @notice A raised minimum leaves weights as they were until {refresh}; worker draws skip the stale operator.
    function test_setParams_doesNotRewriteWeights() public {
        _stake(alice, 1_500e18, W);
        IStaking.StakingParams memory p = _defaultParams();
        p.minWorkerStake = 2_000e18;
        staking.setParams(p);
        assertEq(staking.weightOf(alice, W), 1_500, "stale weight kept");
        assertTrue(!staking.isEligible(alice, W), "but not eligible");
    }

    // ----------------------------------------------------------------------------------------------- setLifecycleSource

    function test_setLifecycleSource_setsAndEmits() public {
        Staking s = _fresh();
        vm.expectEmit(address(s));
        emit IStaking.LifecycleSourceSet(address(source));
        s.setLifecycleSource(address(source));
        assertEq(s.lifecycleSource(), address(source), "source");
    }

    function test_revert_setLifecycleSource_zero() public {
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingZeroAddress.selector));
        staking.setLifecycleSource(address(0));
    }

    function test_revert_setLifecycleSource_notOwner() public {
        vm.prank(stranger);
        vm.expectRevert(_notOwner(stranger));
        staking.setLifecycleSource(address(source));
    }

    function test_revert_setLifecycleSource_unbondingTooShort() public {
        MockLifecycleSource longer = new MockLifecycleSource(UNBONDING - 2 * SNAPSHOT_PERIOD);
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingUnbondingTooShort.selector, UNBONDING, UNBONDING));
        staking.setLifecycleSource(address(longer));
    }

    // ----------------------------------------------------------------------------------------------- setPermissions

    function test_setPermissions_grantsAndEmits() public {
        vm.expectEmit(address(staking));
        emit IStaking.PermissionsSet(stranger, 3);
        staking.setPermissions(stranger, 3);
        assertEq(staking.permissionsOf(stranger), 3, "both");
    }

    function test_setPermissions_zeroRevokes() public {
        staking.setPermissions(locker, 0);
        assertEq(staking.permissionsOf(locker), 0, "revoked");
        vm.prank(locker);
        vm.expectRevert(_unauthorized(locker, 1));
        staking.assignWorker(1, address(0), address(0), 0);
    }

    function test_revert_setPermissions_unknownBits() public {
        vm.expectRevert(_boundsError("permissions", 4, 0, 3));
        staking.setPermissions(stranger, 4);
    }

    function test_revert_setPermissions_zeroAddress() public {
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingZeroAddress.selector));
        staking.setPermissions(address(0), 1);
    }

    function test_revert_setPermissions_notOwner() public {
        vm.prank(stranger);
        vm.expectRevert(_notOwner(stranger));
        staking.setPermissions(stranger, 1);
    }

    // ----------------------------------------------------------------------------------------------- setSettlement

    function test_setSettlement_setsAndEmits() public {
        vm.expectEmit(address(staking));
        emit IStaking.SettlementSet(stranger);
        staking.setSettlement(stranger);
        assertEq(staking.settlement(), stranger, "settlement");
    }

    function test_revert_setSettlement_zero() public {
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingZeroAddress.selector));
        staking.setSettlement(address(0));
    }

    function test_revert_setSettlement_notOwner() public {
        vm.prank(stranger);
        vm.expectRevert(_notOwner(stranger));
        staking.setSettlement(stranger);
    }

    // ----------------------------------------------------------------------------------------------- stake

    function test_stake_updatesPositionWeightsAndEmits() public {
        _fund(alice, 2_000e18);
        vm.expectEmit(address(staking));
        emit IStaking.Staked(alice, 2_000e18, WV);
        vm.expectEmit(address(staking));
        emit IStaking.WeightUpdated(alice, W, 2_000);
        vm.expectEmit(address(staking));
        emit IStaking.WeightUpdated(alice, V, 2_000);
        vm.prank(alice);
        staking.stake(2_000e18, WV);
        IStaking.Operator memory op = _op(alice);
        assertEq(op.active, 2_000e18, "active");
        assertEq(op.roles, WV, "roles");
        assertEq(staking.totalStaked(), 2_000e18, "totalStaked");
        assertEq(token.balanceOf(address(staking)), 2_000e18, "tokens pulled");
        assertEq(staking.weightOf(alice, W), 2_000, "worker tickets");
        assertEq(staking.weightOf(alice, V), 2_000, "verifier tickets");
        assertEq(staking.operatorCount(W), 1, "worker count");
        assertEq(staking.operatorCount(V), 1, "verifier count");
    }

    function test_stake_addsToExistingAndReplacesRoles() public {
        _stake(alice, 1_000e18, W);
        _stake(alice, 500e18, V);
        IStaking.Operator memory op = _op(alice);
        assertEq(op.active, 1_500e18, "active");
        assertEq(op.roles, V, "roles replaced");
        assertEq(staking.weightOf(alice, W), 0, "left worker tree");
        assertEq(staking.weightOf(alice, V), 1_500, "verifier tickets");
    }

    function test_stake_weightCountsWholeTickets() public {
        _stake(alice, 1_000e18 + 1e18 - 1, W);
        assertEq(staking.weightOf(alice, W), 1_000, "fraction of a ticket dropped");
    }

    function test_stake_belowMinimumHasNoWeight() public {
        _stake(alice, 999e18, WV);
        assertEq(staking.weightOf(alice, W), 0, "below worker minimum");
        assertEq(staking.weightOf(alice, V), 999, "above verifier minimum");
        assertTrue(!staking.isEligible(alice, W), "not eligible as worker");
        assertTrue(staking.isEligible(alice, V), "eligible as verifier");
    }

    function test_revert_stake_zeroAmount() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingZeroAmount.selector));
        staking.stake(0, W);
    }

    function test_revert_stake_emptyRoles() public {
        _fund(alice, 1e18);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingInvalidRoles.selector, 0));
        staking.stake(1e18, 0);
    }

    function test_revert_stake_unknownRoleBits() public {
        _fund(alice, 1e18);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingInvalidRoles.selector, 4));
        staking.stake(1e18, 4);
    }

    /// Stake is stored in 96 bits (the OPG supply is below 2^96): one wei beyond reverts, nothing is truncated.
    function test_revert_stake_aboveUint96() public {
        uint256 amount = uint256(type(uint96).max) + 1;
        token.mint(alice, amount);
        vm.startPrank(alice);
        token.approve(address(staking), amount);
        vm.expectRevert(abi.encodeWithSignature("SafeCastOverflowedUintDowncast(uint8,uint256)", 96, amount));
        staking.stake(amount, W);
        vm.stopPrank();
    }

    function test_revert_stake_withoutAllowance() public {
        token.mint(alice, 1e18);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(staking), 0, 1e18)
        );
        staking.stake(1e18, W);
    }

    // ----------------------------------------------------------------------------------------------- setRoles

    function test_setRoles_updatesWeightsAndEmits() public {
        _stake(alice, 1_000e18, W);
        vm.expectEmit(address(staking));
        emit IStaking.RolesUpdated(alice, V);
        vm.expectEmit(address(staking));
        emit IStaking.WeightUpdated(alice, W, 0);
        vm.expectEmit(address(staking));
        emit IStaking.WeightUpdated(alice, V, 1_000);
        vm.prank(alice);
        staking.setRoles(V);
        assertEq(_op(alice).roles, V, "roles");
        assertEq(staking.operatorCount(W), 0, "left worker tree");
    }

    function test_setRoles_zeroLeavesBothTrees() public {
        _stake(alice, 1_000e18, WV);
        vm.prank(alice);
        staking.setRoles(0);
        assertEq(staking.totalWeight(W), 0, "worker");
        assertEq(staking.totalWeight(V), 0, "verifier");
        assertEq(_op(alice).active, 1_000e18, "stake stays");
    }

    function test_revert_setRoles_unknownBits() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingInvalidRoles.selector, 6));
        staking.setRoles(6);
    }

    // ----------------------------------------------------------------------------------------------- unstake

    function test_unstake_movesToUnbondingAndEmits() public {
        _stake(alice, 3_000e18, W);
        vm.expectEmit(address(staking));
        emit IStaking.UnbondingStarted(alice, 1_000e18, T0 + UNBONDING);
        vm.expectEmit(address(staking));
        emit IStaking.WeightUpdated(alice, W, 2_000);
        vm.prank(alice);
        staking.unstake(1_000e18);
        IStaking.Operator memory op = _op(alice);
        assertEq(op.active, 2_000e18, "active");
        assertEq(op.unbonding, 1_000e18, "unbonding");
        assertEq(op.unbondingReleaseAt, T0 + UNBONDING, "release");
        assertEq(staking.totalStaked(), 3_000e18, "still owed");
    }

    function test_unstake_restartsClockOfAllUnbonding() public {
        _stake(alice, 3_000e18, W);
        vm.prank(alice);
        staking.unstake(1_000e18);
        vm.warp(T0 + 1 days);
        vm.prank(alice);
        staking.unstake(500e18);
        IStaking.Operator memory op = _op(alice);
        assertEq(op.unbonding, 1_500e18, "unbonding");
        assertEq(op.unbondingReleaseAt, T0 + 1 days + UNBONDING, "restarted");
    }

    function test_unstake_belowMinimumLeavesTree() public {
        _stake(alice, 1_200e18, W);
        vm.prank(alice);
        staking.unstake(300e18);
        assertEq(staking.weightOf(alice, W), 0, "below minimum");
        assertEq(staking.operatorCount(W), 0, "count");
    }

    function test_revert_unstake_zero() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingZeroAmount.selector));
        staking.unstake(0);
    }

    function test_revert_unstake_lockedCollateral() public {
        _stake(alice, 2_000e18, W);
        assertEq(_assign(1, 1_500e18), alice, "assigned");
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingInsufficientFreeStake.selector, 501e18, 500e18));
        staking.unstake(501e18);
        vm.prank(alice);
        staking.unstake(500e18);
        assertEq(_op(alice).active, 1_500e18, "collateral stays");
    }

    // ----------------------------------------------------------------------------------------------- withdraw

    function test_withdraw_paysAfterDelayAndEmits() public {
        _stake(alice, 2_000e18, W);
        vm.prank(alice);
        staking.unstake(800e18);
        vm.warp(T0 + UNBONDING);
        vm.expectEmit(address(staking));
        emit IStaking.StakeWithdrawn(alice, 800e18);
        vm.prank(alice);
        assertEq(staking.withdraw(), 800e18, "amount");
        assertEq(token.balanceOf(alice), 800e18, "paid");
        assertEq(_op(alice).unbonding, 0, "cleared");
        assertEq(staking.totalStaked(), 1_200e18, "totalStaked");
    }

    function test_revert_withdraw_beforeRelease() public {
        _stake(alice, 2_000e18, W);
        vm.prank(alice);
        staking.unstake(800e18);
        vm.warp(T0 + UNBONDING - 1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingNothingToWithdraw.selector, T0 + UNBONDING));
        staking.withdraw();
    }

    function test_revert_withdraw_nothingUnbonding() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingNothingToWithdraw.selector, 0));
        staking.withdraw();
    }

    // ----------------------------------------------------------------------------------------------- refresh

    function test_refresh_restoresWeightAfterJail() public {
        _stake(alice, 2_000e18, WV);
        _slash(alice, 0, 0, true);
        assertEq(staking.weightOf(alice, W), 0, "jailed: no weight");
        vm.warp(T0 + JAIL);
        assertTrue(staking.isEligible(alice, W), "eligible by time alone");
        vm.expectEmit(address(staking));
        emit IStaking.WeightUpdated(alice, W, 2_000);
        vm.expectEmit(address(staking));
        emit IStaking.WeightUpdated(alice, V, 2_000);
        vm.prank(stranger);
        staking.refresh(alice);
        assertEq(staking.weightOf(alice, W), 2_000, "worker restored");
        assertEq(staking.weightOf(alice, V), 2_000, "verifier restored");
    }

    function test_refresh_removesStaleWeightAfterMinimumRaised() public {
        _stake(alice, 1_500e18, W);
        IStaking.StakingParams memory p = _defaultParams();
        p.minWorkerStake = 2_000e18;
        staking.setParams(p);
        staking.refresh(alice);
        assertEq(staking.weightOf(alice, W), 0, "removed");
    }

    function test_refresh_addsWeightAfterMinimumLowered() public {
        _stake(alice, 800e18, W);
        IStaking.StakingParams memory p = _defaultParams();
        p.minWorkerStake = 500e18;
        staking.setParams(p);
        staking.refresh(alice);
        assertEq(staking.weightOf(alice, W), 800, "added");
    }

    function test_refresh_idempotentEmitsNothing() public {
        _stake(alice, 1_000e18, W);
        vm.recordLogs();
        staking.refresh(alice);
        staking.refresh(stranger);
        assertEq(vm.getRecordedLogs().length, 0, "no events");
        assertEq(staking.weightOf(alice, W), 1_000, "unchanged");
    }

    // ----------------------------------------------------------------------------------------------- assignWorker

    function test_assignWorker_locksExactCollateralAndEmits() public {
        _stake(alice, 2_000e18, W);
        vm.expectEmit(address(staking));
        emit IStaking.CollateralLocked(alice, 300e18, 300e18);
        assertEq(_assign(7, 300e18), alice, "worker");
        assertEq(_op(alice).locked, 300e18, "locked");
        assertEq(staking.freeStake(alice), 1_700e18, "free");
        assertEq(staking.weightOf(alice, W), 2_000, "weight unchanged");
    }

    function test_assignWorker_zeroCollateral() public {
        _stake(alice, 1_000e18, W);
        vm.expectEmit(address(staking));
        emit IStaking.CollateralLocked(alice, 0, 0);
        assertEq(_assign(1, 0), alice, "worker");
    }

    function test_assignWorker_emptyTreeReturnsZero() public {
        assertEq(_assign(1, 0), address(0), "nobody");
    }

    function test_assignWorker_excludesBothAddresses() public {
        _stake(alice, 1_000e18, W);
        _stake(bob, 100_000e18, W);
        _stake(carol, 1_000e18, W);
        for (uint256 k = 0; k < 10; k++) {
            vm.prank(locker);
            address w = staking.assignWorker(k, bob, carol, 0);
            assertEq(w, alice, "only alice remains");
        }
        vm.prank(locker);
        assertEq(staking.assignWorker(1, alice, bob, 0), carol, "only carol remains");
    }

    function test_assignWorker_allExcludedReturnsZero() public {
        _stake(alice, 1_000e18, W);
        _stake(bob, 1_000e18, W);
        vm.recordLogs();
        vm.prank(locker);
        assertEq(staking.assignWorker(1, alice, bob, 0), address(0), "nobody");
        assertEq(vm.getRecordedLogs().length, 0, "nothing changes");
    }

    function test_assignWorker_skipsInsufficientFreeStake() public {
        _stake(alice, 100_000e18, W); // almost every first draw
        _stake(bob, 25_000e18, W);
        assertEq(_assign(1, 99_000e18), alice, "alice takes a big job");
        for (uint256 k = 0; k < 10; k++) {
            assertEq(_assign(100 + k, 2_000e18), bob, "alice lacks free stake: bob");
        }
        assertEq(_op(alice).locked, 99_000e18, "alice unchanged");
        assertEq(_op(bob).locked, 20_000e18, "bob locked 10 jobs");
    }

    function test_assignWorker_skipsStaleIneligible() public {
        _stake(alice, 1_500e18, W);
        _stake(bob, 100_000e18, W); // stale below
        IStaking.StakingParams memory p = _defaultParams();
        p.minWorkerStake = 1_000e18;
        staking.setParams(p);
        _stake(carol, 1_000e18, W);
        vm.prank(bob);
        staking.setRoles(V); // leaves the tree: not stale
        p.minWorkerStake = 1_200e18;
        staking.setParams(p); // carol is now stale (1,000 < 1,200)
        assertEq(staking.weightOf(carol, W), 1_000, "carol stale");
        for (uint256 k = 0; k < 10; k++) assertEq(_assign(k, 0), alice, "stale carol skipped");
    }

    function test_assignWorker_jailedNeverDrawn() public {
        _stake(alice, 1_000e18, W);
        _stake(bob, 100_000e18, W);
        _slash(bob, 0, 0, true);
        for (uint256 k = 0; k < 10; k++) assertEq(_assign(k, 0), alice, "bob jailed");
    }

    function test_assignWorker_givesUpAfterMaxDraws() public {
        for (uint256 i = 0; i < 12; i++) _stake(_operatorAt(i), 1_000e18, W);
        vm.recordLogs();
        assertEq(_assign(1, 1_001e18), address(0), "nobody covers the collateral");
        assertEq(vm.getRecordedLogs().length, 0, "nothing changes");
    }

    /// Drawing one of the two excluded members costs a redraw, not one of the MAX_WORKER_DRAWS rejections: with both
    /// excluded members holding almost all tickets and seven workers that cannot cover the collateral, the one
    /// worker that can is still found, whatever the seed (2 excluded + 7 rejected + 1 = 10 draws at most).
    function test_assignWorker_excludedMembersDoNotCountAsDraws() public {
        _stake(bob, 1_000_000e18, W);
        _stake(carol, 1_000_000e18, W);
        for (uint256 i = 0; i < 7; i++) _stake(_operatorAt(i), 1_000e18, W);
        _stake(alice, 2_000e18, W);
        assertEq(staking.MAX_WORKER_DRAWS(), 8, "bound");
        for (uint256 k = 0; k < 40; k++) {
            vm.prank(locker);
            assertEq(staking.assignWorker(uint256(keccak256(abi.encode(k))), bob, carol, 1_001e18), alice, "found");
            vm.prank(locker);
            staking.unlockCollateral(alice, 1_001e18);
        }
    }

    /// Eight rejections of other candidates end the draw even when the excluded members were drawn as well.
    function test_assignWorker_givesUpAfterMaxRejectionsBesidesExcluded() public {
        _stake(bob, 1_000_000e18, W);
        for (uint256 i = 0; i < 12; i++) _stake(_operatorAt(i), 1_000e18, W);
        vm.recordLogs();
        vm.prank(locker);
        assertEq(staking.assignWorker(1, bob, address(0), 1_001e18), address(0), "nobody covers the collateral");
        assertEq(vm.getRecordedLogs().length, 0, "nothing changes");
    }

    /// The one-slot operator record keeps every field exactly, the 40-bit jail end included.
    function test_operatorRecord_keepsEveryField() public {
        _stake(alice, 5_000e18, W | V);
        vm.prank(locker);
        staking.assignWorker(1, address(0), address(0), 1_234e18);
        _slash(alice, 0, 0, true);
        vm.prank(alice);
        staking.unstake(1_000e18);
        IStaking.Operator memory op = _op(alice);
        assertEq(op.active, 4_000e18, "active");
        assertEq(op.locked, 1_234e18, "locked");
        assertEq(op.unbonding, 1_000e18, "unbonding");
        assertEq(op.unbondingReleaseAt, block.timestamp + staking.params().unbondingDelay, "release");
        assertEq(op.jailedUntil, block.timestamp + staking.params().jailDuration, "jail");
        assertEq(op.roles, W | V, "roles");
    }

    /// Free stake equal to the collateral is enough (the bound is inclusive); one wei more is not.
    function test_assignWorker_freeStakeExactlyTheCollateralSuffices() public {
        _stake(alice, 1_000e18, W);
        assertEq(_assign(1, 1_000e18), alice, "exactly the free stake");
        assertEq(_op(alice).locked, 1_000e18, "all of it locked");
        assertEq(_assign(2, 1), address(0), "nothing left");
        _stake(bob, 1_000e18, W);
        assertEq(_assign(3, 1_000e18 + 1), address(0), "one wei above the free stake");
    }

    function test_assignWorker_verifierOnlyNeverDrawn() public {
        _stake(alice, 100_000e18, V);
        assertEq(_assign(1, 0), address(0), "not a worker");
    }

    function test_revert_assignWorker_notLocker() public {
        vm.prank(slasher);
        vm.expectRevert(_unauthorized(slasher, 1));
        staking.assignWorker(1, address(0), address(0), 0);
    }

    /// @notice Assignment is proportional to tickets: over 300 draws a 3:1 stake wins about 3 in 4.
    function test_assignWorker_proportionalToStake() public {
        _stake(alice, 3_000e18, W);
        _stake(bob, 1_000e18, W);
        uint256 aliceWins;
        for (uint256 k = 0; k < 300; k++) {
            if (_assign(uint256(keccak256(abi.encode(k))), 0) == alice) aliceWins++;
        }
        // expected 225, sd 7.5
        assertGe(aliceWins, 195, "not below");
        assertLe(aliceWins, 255, "not above");
    }

    // ----------------------------------------------------------------------------------------------- unlockCollateral

    function test_unlockCollateral_releasesExactlyAndEmits() public {
        _stake(alice, 2_000e18, W);
        _assign(1, 300e18);
        _assign(2, 200e18);
        vm.expectEmit(address(staking));
        emit IStaking.CollateralUnlocked(alice, 300e18, 200e18);
        vm.prank(locker);
        staking.unlockCollateral(alice, 300e18);
        assertEq(_op(alice).locked, 200e18, "other job stays locked");
    }

    function test_unlockCollateral_zeroIsNoop() public {
        vm.recordLogs();
        vm.prank(locker);
        staking.unlockCollateral(alice, 0);
        assertEq(vm.getRecordedLogs().length, 0, "no event");
    }

    function test_revert_unlockCollateral_moreThanLocked() public {
        _stake(alice, 2_000e18, W);
        _assign(1, 300e18);
        vm.prank(locker);
        vm.expectRevert(
            abi.encodeWithSelector(IStaking.StakingCollateralUnderflow.selector, alice, 300e18 + 1, 300e18)
        );
        staking.unlockCollateral(alice, 300e18 + 1);
    }

    function test_revert_unlockCollateral_notLocker() public {
        vm.prank(stranger);
        vm.expectRevert(_unauthorized(stranger, 1));
        staking.unlockCollateral(alice, 1);
    }

    // ----------------------------------------------------------------------------------------------- slash

    function test_slash_releasesJobCollateralThenTakesFreeActive() public {
        _stake(alice, 2_000e18, W);
        _assign(1, 500e18); // job A
        _assign(2, 300e18); // job B
        vm.expectEmit(address(staking));
        emit IStaking.CollateralUnlocked(alice, 500e18, 300e18);
        vm.expectEmit(address(staking));
        emit IStaking.Slashed(alice, slasher, 600e18, 0);
        assertEq(_slash(alice, 600e18, 500e18, false), 600e18, "slashed");
        IStaking.Operator memory op = _op(alice);
        assertEq(op.active, 1_400e18, "active");
        assertEq(op.locked, 300e18, "job B's collateral untouched");
        assertEq(token.balanceOf(settlementAddr), 600e18, "sent to settlement");
        assertEq(staking.totalStaked(), 1_400e18, "totalStaked");
    }

    function test_slash_neverTakesOtherJobsCollateral() public {
        _stake(alice, 2_000e18, W);
        _assign(1, 500e18); // job A (judged)
        _assign(2, 1_000e18); // job B
        // Free after release: 2,000 - 1,000 = 1,000; the rest of the slash finds nothing more.
        assertEq(_slash(alice, 5_000e18, 500e18, false), 1_000e18, "capped at free stake");
        IStaking.Operator memory op = _op(alice);
        assertEq(op.active, 1_000e18, "job B's collateral remains");
        assertEq(op.locked, 1_000e18, "locked == job B");
    }

    function test_slash_takesUnbondingAfterFreeActive() public {
        _stake(alice, 2_000e18, W);
        vm.prank(alice);
        staking.unstake(1_000e18);
        _assign(1, 400e18);
        vm.expectEmit(address(staking));
        emit IStaking.Slashed(alice, slasher, 600e18, 300e18);
        assertEq(_slash(alice, 900e18, 0, false), 900e18, "slashed");
        IStaking.Operator memory op = _op(alice);
        assertEq(op.active, 400e18, "only the collateral left");
        assertEq(op.unbonding, 700e18, "unbonding cut");
        assertEq(op.locked, 400e18, "locked");
    }

    function test_slash_unbondingAfterReleaseStillSlashable() public {
        _stake(alice, 1_000e18, V);
        vm.prank(alice);
        staking.unstake(1_000e18);
        vm.warp(T0 + UNBONDING + 10);
        assertEq(_slash(alice, 100e18, 0, false), 100e18, "slashed");
        assertEq(_op(alice).unbonding, 900e18, "unbonding");
    }

    function test_slash_moreThanPositionTakesAll() public {
        _stake(alice, 1_000e18, WV);
        vm.prank(alice);
        staking.unstake(200e18);
        assertEq(_slash(alice, type(uint256).max, type(uint256).max, false), 1_000e18, "all");
        IStaking.Operator memory op = _op(alice);
        assertEq(op.active, 0, "active");
        assertEq(op.unbonding, 0, "unbonding");
        assertEq(staking.totalStaked(), 0, "totalStaked");
        assertEq(staking.operatorCount(W), 0, "worker tree");
        assertEq(staking.operatorCount(V), 0, "verifier tree");
    }

    function test_slash_releasedCollateralCappedAtLocked() public {
        _stake(alice, 2_000e18, W);
        _assign(1, 300e18);
        vm.expectEmit(address(staking));
        emit IStaking.CollateralUnlocked(alice, 300e18, 0);
        _slash(alice, 100e18, 1_000e18, false);
        assertEq(_op(alice).locked, 0, "locked");
        assertEq(_op(alice).active, 1_900e18, "active");
    }

    function test_slash_nothingToTakeSendsNothing() public {
        vm.expectEmit(address(staking));
        emit IStaking.Slashed(stranger, slasher, 0, 0);
        assertEq(_slash(stranger, 100e18, 50e18, false), 0, "nothing");
        assertEq(token.balanceOf(settlementAddr), 0, "no transfer");
    }

    function test_slash_updatesWeights() public {
        _stake(alice, 1_200e18, WV);
        vm.expectEmit(address(staking));
        emit IStaking.WeightUpdated(alice, W, 0);
        vm.expectEmit(address(staking));
        emit IStaking.WeightUpdated(alice, V, 900);
        _slash(alice, 300e18, 0, false);
        assertEq(staking.weightOf(alice, W), 0, "below worker minimum");
        assertEq(staking.weightOf(alice, V), 900, "verifier tickets");
    }

    function test_slash_jailsRemovesWeightsAndEmits() public {
        _stake(alice, 2_000e18, WV);
        vm.expectEmit(address(staking));
        emit IStaking.Jailed(alice, T0 + JAIL);
        _slash(alice, 0, 0, true);
        assertEq(_op(alice).jailedUntil, T0 + JAIL, "jailedUntil");
        assertEq(staking.totalWeight(W), 0, "worker weight");
        assertEq(staking.totalWeight(V), 0, "verifier weight");
        assertTrue(!staking.isEligible(alice, W), "not eligible");
    }

    function test_slash_jailEndsByTime() public {
        _stake(alice, 2_000e18, W);
        _slash(alice, 0, 0, true);
        vm.warp(T0 + JAIL - 1);
        assertTrue(!staking.isEligible(alice, W), "still jailed");
        vm.warp(T0 + JAIL);
        assertTrue(staking.isEligible(alice, W), "free at jailedUntil");
    }

    function test_slash_jailNeverShortens() public {
        _stake(alice, 2_000e18, W);
        IStaking.StakingParams memory p = _defaultParams();
        p.jailDuration = 10 days;
        staking.setParams(p);
        _slash(alice, 0, 0, true);
        p.jailDuration = 1 days;
        staking.setParams(p);
        vm.warp(T0 + 1 hours);
        vm.expectEmit(address(staking));
        emit IStaking.Jailed(alice, T0 + 10 days);
        _slash(alice, 0, 0, true);
        assertEq(_op(alice).jailedUntil, T0 + 10 days, "kept the later end");
    }

    function test_slash_jailExtends() public {
        _stake(alice, 2_000e18, W);
        _slash(alice, 0, 0, true);
        vm.warp(T0 + 12 hours);
        _slash(alice, 0, 0, true);
        assertEq(_op(alice).jailedUntil, T0 + 12 hours + JAIL, "extended");
    }

    function test_revert_slash_notSlasher() public {
        vm.prank(locker);
        vm.expectRevert(_unauthorized(locker, 2));
        staking.slash(alice, 1, 0, false);
    }

    function test_revert_slash_settlementNotSet() public {
        Staking s = _fresh();
        s.setPermissions(slasher, 2);
        token.mint(alice, 1_000e18);
        vm.startPrank(alice);
        token.approve(address(s), 1_000e18);
        s.stake(1_000e18, W);
        vm.stopPrank();
        vm.prank(slasher);
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingSettlementNotSet.selector));
        s.slash(alice, 1, 0, false);
    }

    // ----------------------------------------------------------------------------------------------- drawPanel

    function test_drawPanel_exactSeatsOfVerifiers() public {
        for (uint256 i = 0; i < 6; i++) _stake(_operatorAt(i), 500e18 + i * 100e18, V);
        _stake(alice, 100_000e18, W); // worker only: never on a verifier panel
        _freeze();
        for (uint256 k = 0; k < 10; k++) {
            address[] memory panel = _panel(V, k, 5, _none());
            assertEq(panel.length, 5, "5 seats");
            assertEq(_countOf(panel, alice), 0, "no worker-only operator");
        }
    }

    function test_drawPanel_excludesParties() public {
        _stake(alice, 100_000e18, V);
        _stake(bob, 100_000e18, V);
        for (uint256 i = 0; i < 5; i++) _stake(_operatorAt(i), 500e18, V);
        _freeze();
        address[] memory excluded = new address[](2);
        excluded[0] = alice;
        excluded[1] = bob;
        for (uint256 k = 0; k < 10; k++) {
            address[] memory panel = _panel(V, k, 5, excluded);
            assertEq(panel.length, 5, "5 seats");
            assertEq(_countOf(panel, alice) + _countOf(panel, bob), 0, "parties excluded");
        }
    }

    function test_drawPanel_tooFewTicketsIsEmpty() public {
        staking.setParams(
            IStaking.StakingParams({
                minWorkerStake: MIN_WORKER,
                minVerifierStake: 1e18,
                unbondingDelay: UNBONDING,
                jailDuration: JAIL
            })
        );
        for (uint256 i = 0; i < 4; i++) _stake(_operatorAt(i), 1e18, V);
        _freeze();
        assertEq(_panel(V, 1, 5, _none()).length, 0, "4 tickets < 5 seats");
        assertEq(_panel(V, 1, 4, _none()).length, 4, "4 tickets, 4 seats");
    }

    /// @notice THREAT_MODEL §6.4a: a panel is drawn only from a pool in which every seat could go to a different
    ///         operator. Two verifiers with thousands of tickets each are no pool for three seats.
    function test_drawPanel_enoughTicketsButTooFewOperatorsIsEmpty() public {
        _stake(alice, 100_000e18, V);
        _stake(bob, 100_000e18, V);
        _freeze();
        (address[] memory members, IStaking.Snapshot snapshot) = staking.drawPanel(V, 1, 3, _none(), block.timestamp);
        assertEq(members.length, 0, "200,000 tickets, 2 operators < 3 seats");
        assertEq(uint256(snapshot), uint256(IStaking.Snapshot.Latest), "reported like too few tickets");
        assertEq(_panel(V, 1, 2, _none()).length, 2, "2 operators, 2 seats");
    }

    /// @notice Exactly `seats` distinct operators suffice, however unequal their stakes: seats still follow tickets.
    function test_drawPanel_exactlySeatsOperatorsIsDrawn() public {
        _stake(alice, 1_000_000e18, V);
        for (uint256 i = 0; i < 4; i++) _stake(_operatorAt(i), 500e18, V);
        _freeze();
        address[] memory panel = _panel(V, 7, 5, _none());
        assertEq(panel.length, 5, "5 operators, 5 seats");
        assertGe(_countOf(panel, alice), 2, "the large stake holds several seats");
        assertEq(_panel(V, 7, 6, _none()).length, 0, "5 operators < 6 seats");
    }

    /// @notice Excluded parties with tickets in the snapshot do not count towards the pool; duplicates, the zero
    ///         address and addresses without verifier tickets are not subtracted twice or at all.
    function test_drawPanel_excludedPartiesDoNotCountTowardsThePool() public {
        _stake(alice, 100_000e18, V);
        _stake(bob, 100_000e18, V);
        _stake(carol, 100_000e18, W); // no verifier tickets
        for (uint256 i = 0; i < 3; i++) _stake(_operatorAt(i), 500e18, V);
        _freeze();
        address[] memory excluded = new address[](5);
        excluded[0] = alice;
        excluded[1] = bob;
        excluded[2] = alice;
        excluded[3] = carol;
        excluded[4] = address(0);
        assertEq(_panel(V, 1, 3, excluded).length, 3, "5 verifiers - 2 parties == 3 seats");
        assertEq(_panel(V, 1, 4, excluded).length, 0, "3 non-parties < 4 seats");
        assertEq(_panel(V, 1, 5, _none()).length, 5, "without exclusions: 5 operators");
    }

    /// @notice The pool is counted in the snapshot the panel is drawn from: an operator that unstaked after it still
    ///         counts (it is seated by its frozen tickets), one that joined after it does not.
    function test_drawPanel_poolIsCountedInTheSnapshot() public {
        for (uint256 i = 0; i < 3; i++) _stake(_operatorAt(i), 500e18, V);
        _freeze();
        vm.prank(_operatorAt(0));
        staking.unstake(500e18); // leaves after the snapshot
        _stake(alice, 100_000e18, V); // joins after it
        _stake(bob, 100_000e18, V);
        assertEq(staking.operatorCount(V), 4, "live operators");
        address[] memory panel = _panel(V, 2, 3, _none());
        assertEq(panel.length, 3, "three operators in the snapshot");
        assertEq(_countOf(panel, alice) + _countOf(panel, bob), 0, "joiners not drawn");
        assertEq(_panel(V, 2, 4, _none()).length, 0, "joiners do not count");
        _freeze();
        assertEq(_panel(V, 2, 4, _none()).length, 4, "the next snapshot holds the joiners and not the leaver");
        assertEq(_panel(V, 2, 5, _none()).length, 0, "nor the leaver");
    }

    /// @notice The open finding of THREAT_MODEL §6.11, fixed: once the word is known, no weight change of anyone
    ///         (a dummy joining or leaving, a member growing, unstaking, changing roles, a refresh, a slash, jail)
    ///         moves a single seat. On live weights each of these changes remapped the tickets.
    function test_drawPanel_weightChangesAfterTheRequestLeaveThePanelUnchanged() public {
        for (uint256 i = 0; i < 8; i++) _stake(_operatorAt(i), 600e18 + i * 50e18, V);
        _stake(alice, 5_000e18, V);
        _freeze();
        uint256 requestedAt = block.timestamp; // the module asks for the word now
        vm.warp(block.timestamp + 60);
        address[][] memory before = new address[][](6);
        for (uint256 k = 0; k < 6; k++) (before[k], ) = staking.drawPanel(V, k, 5, _none(), requestedAt);

        _stake(bob, 7_000e18, V); // a dummy joins with many tickets
        vm.prank(alice);
        staking.unstake(4_000e18); // a member shrinks
        vm.prank(_operatorAt(0));
        staking.setRoles(W); // a member leaves the role
        _slash(_operatorAt(1), 100e18, 0, true); // a slash with jail
        _stake(_operatorAt(2), 3_000e18, V); // a member grows
        for (uint256 i = 0; i < 30; i++) _stake(_operatorAt(100 + i), 500e18, V); // the tree doubles
        assertGt(staking.totalWeight(V), 0, "live weights moved");

        for (uint256 k = 0; k < 6; k++) {
            (address[] memory again, IStaking.Snapshot snapshot) = staking.drawPanel(V, k, 5, _none(), requestedAt);
            assertEq(uint256(snapshot), uint256(IStaking.Snapshot.Latest), "same epoch");
            for (uint256 s = 0; s < 5; s++) assertEq(again[s], before[k][s], "same seat after the changes");
        }
    }

    function test_drawPanel_stakeOfTheRequestEpochIsNotDrawn() public {
        for (uint256 i = 0; i < 5; i++) _stake(_operatorAt(i), 500e18, V);
        _freeze();
        _stake(alice, 1_000_000e18, V); // joins in the epoch of the request
        for (uint256 k = 0; k < 10; k++) assertEq(_countOf(_panel(V, k, 5, _none()), alice), 0, "not in the snapshot");
        _freeze();
        assertGt(_countOf(_panel(V, 1, 5, _none()), alice), 0, "drawn from the next epoch on");
    }

    function test_drawPanel_memberThatLeftSinceIsSeatedAndExcludable() public {
        _stake(alice, 100_000e18, V);
        for (uint256 i = 0; i < 5; i++) _stake(_operatorAt(i), 500e18, V);
        _freeze();
        vm.prank(alice);
        staking.unstake(100_000e18); // gone from the live tree, still slashable while unbonding
        assertEq(staking.weightOf(alice, V), 0, "no live weight");
        assertEq(staking.panelWeightOf(alice, V, block.timestamp), 100_000, "frozen weight");
        assertGt(_countOf(_panel(V, 1, 5, _none()), alice), 0, "seated by its frozen tickets");
        address[] memory excluded = new address[](1);
        excluded[0] = alice;
        for (uint256 k = 0; k < 10; k++) {
            address[] memory panel = _panel(V, k, 5, excluded);
            assertEq(panel.length, 5, "5 seats");
            assertEq(_countOf(panel, alice), 0, "a party that left is still excluded");
        }
    }

    function test_drawPanel_jailedBeforeTheSnapshotNeverDrawn() public {
        _stake(alice, 100_000e18, V);
        for (uint256 i = 0; i < 5; i++) _stake(_operatorAt(i), 500e18, V);
        _slash(alice, 0, 0, true);
        _freeze();
        for (uint256 k = 0; k < 10; k++) assertEq(_countOf(_panel(V, k, 5, _none()), alice), 0, "jailed");
    }

    function test_drawPanel_staleWeightCountsUntilRefreshed() public {
        _stake(alice, 100_000e18, V);
        for (uint256 i = 0; i < 5; i++) _stake(_operatorAt(i), 700e18, V);
        IStaking.StakingParams memory p = _defaultParams();
        p.minVerifierStake = 1_000e18; // the five small verifiers are below it, their weights are stale
        staking.setParams(p);
        _freeze();
        assertEq(_panel(V, 3, 5, _none()).length, 5, "stale weights still hold tickets");
        for (uint256 i = 0; i < 5; i++) staking.refresh(_operatorAt(i));
        for (uint256 i = 5; i < 9; i++) _stake(_operatorAt(i), 1_000e18, V); // above the new minimum
        _freeze();
        for (uint256 k = 0; k < 10; k++) {
            address[] memory panel = _panel(V, k, 5, _none());
            assertEq(panel.length, 5, "5 seats");
            for (uint256 i = 0; i < 5; i++) assertEq(_countOf(panel, _operatorAt(i)), 0, "refreshed: no tickets");
        }
    }

    function test_drawPanel_workerRole() public {
        _stake(alice, 2_000e18, W);
        _stake(bob, 2_000e18, W);
        _stake(carol, 2_000e18, W);
        _stake(stranger, 100_000e18, V); // verifier only: never on a worker panel
        _freeze();
        address[] memory panel = _panel(W, 1, 3, _none());
        assertEq(panel.length, 3, "3 seats");
        assertEq(_countOf(panel, alice) + _countOf(panel, bob) + _countOf(panel, carol), 3, "workers only");
    }

    function test_snapshotOf_latestThenSupersededThenUnavailable() public {
        vm.warp(10 * SNAPSHOT_PERIOD + 5); // just after an epoch start
        uint256 requestedAt = block.timestamp;
        assertTrue(staking.snapshotAvailable(requestedAt), "same epoch");
        assertEq(uint256(staking.snapshotOf(requestedAt)), uint256(IStaking.Snapshot.Latest), "latest");
        vm.warp(11 * SNAPSHOT_PERIOD);
        assertEq(uint256(staking.snapshotOf(requestedAt)), uint256(IStaking.Snapshot.Superseded), "superseded");
        vm.warp(12 * SNAPSHOT_PERIOD - 1);
        assertTrue(staking.snapshotAvailable(requestedAt), "last second of the next epoch");
        vm.warp(12 * SNAPSHOT_PERIOD);
        assertFalse(staking.snapshotAvailable(requestedAt), "two epochs later");
        assertEq(uint256(staking.snapshotOf(requestedAt)), uint256(IStaking.Snapshot.Unavailable), "gone");
        assertFalse(staking.snapshotAvailable(block.timestamp + 1), "in the future");
        assertEq(uint256(staking.snapshotOf(block.timestamp + 1)), uint256(IStaking.Snapshot.Unavailable), "future");
    }

    function test_drawPanel_unavailableSnapshotIsEmpty() public {
        _stake(alice, 2_000e18, V);
        _freeze();
        uint256 requestedAt = block.timestamp;
        (address[] memory members, IStaking.Snapshot snapshot) = staking.drawPanel(V, 1, 1, _none(), requestedAt);
        assertEq(members.length, 1, "drawn while available");
        vm.warp(block.timestamp + 2 * SNAPSHOT_PERIOD);
        (members, snapshot) = staking.drawPanel(V, 1, 1, _none(), requestedAt);
        assertEq(members.length, 0, "empty once gone");
        assertEq(uint256(snapshot), uint256(IStaking.Snapshot.Unavailable), "unavailable");
        (members, snapshot) = staking.drawPanel(V, 1, 1, _none(), block.timestamp + 1);
        assertEq(members.length, 0, "empty for a future request");
        assertEq(uint256(snapshot), uint256(IStaking.Snapshot.Unavailable), "future: unavailable");
    }

    function test_revert_panelWeightOf_snapshotUnavailable() public {
        uint256 requestedAt = block.timestamp;
        vm.warp(block.timestamp + 2 * SNAPSHOT_PERIOD);
        vm.expectRevert(
            abi.encodeWithSelector(IStaking.StakingSnapshotUnavailable.selector, requestedAt, block.timestamp)
        );
        staking.panelWeightOf(alice, V, requestedAt);
    }

    function test_revert_drawPanel_invalidRole() public {
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingInvalidRoles.selector, 3));
        staking.drawPanel(3, 1, 1, _none(), block.timestamp);
    }

    function test_revert_drawPanel_tooManySeats() public {
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingPanelTooLarge.selector, 32, 0));
        staking.drawPanel(V, 1, 32, _none(), block.timestamp);
    }

    function test_revert_drawPanel_tooManyExcluded() public {
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingPanelTooLarge.selector, 5, 49));
        staking.drawPanel(V, 1, 5, new address[](49), block.timestamp);
    }

    // ----------------------------------------------------------------------------------------------- recoverSurplus

    function test_recoverSurplus_sendsDonationsAndEmits() public {
        _stake(alice, 1_000e18, W);
        token.mint(address(staking), 77e18);
        vm.expectEmit(address(staking));
        emit IStaking.SurplusRecovered(77e18);
        assertEq(staking.recoverSurplus(), 77e18, "amount");
        assertEq(token.balanceOf(settlementAddr), 77e18, "to settlement");
        assertEq(token.balanceOf(address(staking)), 1_000e18, "stakes untouched");
    }

    function test_recoverSurplus_noneReturnsZero() public {
        _stake(alice, 1_000e18, W);
        _slash(alice, 100e18, 0, false);
        vm.recordLogs();
        assertEq(staking.recoverSurplus(), 0, "nothing beyond stakes");
        assertEq(vm.getRecordedLogs().length, 0, "no event");
    }

    function test_revert_recoverSurplus_notOwner() public {
        vm.prank(stranger);
        vm.expectRevert(_notOwner(stranger));
        staking.recoverSurplus();
    }

    function test_revert_recoverSurplus_settlementNotSet() public {
        Staking s = _fresh();
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingSettlementNotSet.selector));
        s.recoverSurplus();
    }

    // ----------------------------------------------------------------------------------------------- views

    function test_slashableStake_collateralPlusFreePlusUnbonding() public {
        _stake(alice, 3_000e18, W);
        _assign(1, 500e18);
        _assign(2, 700e18);
        vm.prank(alice);
        staking.unstake(400e18);
        // active 2,600, locked 1,200, unbonding 400
        assertEq(staking.slashableStake(alice, 500e18), 500e18 + 1_400e18 + 400e18, "job A");
        assertEq(staking.slashableStake(alice, 0), 1_400e18 + 400e18, "no job");
        assertEq(staking.slashableStake(alice, 5_000e18), 2_600e18 + 400e18, "capped at locked");
        assertEq(staking.freeStake(alice), 1_400e18, "free");
    }

    function test_revert_isEligible_invalidRole() public {
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingInvalidRoles.selector, 0));
        staking.isEligible(alice, 0);
    }

    function test_revert_weightOf_invalidRole() public {
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingInvalidRoles.selector, 4));
        staking.weightOf(alice, 4);
    }

    function test_revert_totalWeight_invalidRole() public {
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingInvalidRoles.selector, 3));
        staking.totalWeight(3);
    }

    function test_revert_operatorCount_invalidRole() public {
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingInvalidRoles.selector, 0));
        staking.operatorCount(0);
    }

    function test_isEligible_requiresRole() public {
        _stake(alice, 5_000e18, V);
        assertTrue(!staking.isEligible(alice, W), "no worker role");
        assertTrue(staking.isEligible(alice, V), "verifier");
    }
}
