// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {StakingV1} from "../../../contracts/v1/StakingV1.sol";
import {IStakingV1} from "../../../contracts/v1/interfaces/IStakingV1.sol";
import {MockERC20} from "../../../contracts/mocks/MockERC20.sol";
import {MockStakingHub} from "../../../contracts/v1/mocks/MockStakingHub.sol";
import {BaseTest} from "../utils/BaseTest.sol";

contract StakingTest is BaseTest {
    uint8 internal constant W = 1;
    uint8 internal constant V = 2;
    uint8 internal constant WV = 3;

    uint96 internal constant MIN_WORKER = 1_000e18;
    uint96 internal constant MIN_VERIFIER = 500e18;
    uint32 internal constant UNBONDING = 7 days;
    uint32 internal constant JAIL = 1 days;
    uint256 internal constant LIFECYCLE = 1 hours;
    uint256 internal constant T0 = 1_000_000;

    MockERC20 internal token;
    MockStakingHub internal hub;
    StakingV1 internal staking;

    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    address internal carol = address(0xCA801);
    address internal stranger = address(0x5757);

    function setUp() public {
        vm.warp(T0);
        token = new MockERC20("OPG", "OPG");
        hub = new MockStakingHub(LIFECYCLE);
        staking = new StakingV1(IERC20(address(token)), _defaultParams(), address(this));
        hub.setStaking(staking);
        staking.setHub(address(hub));
    }

    // ----------------------------------------------------------------------------------------------- helpers

    function _defaultParams() internal pure returns (IStakingV1.StakingParams memory) {
        return
            IStakingV1.StakingParams({
                minWorkerStake: MIN_WORKER,
                minVerifierStake: MIN_VERIFIER,
                unbondingDelay: UNBONDING,
                jailDuration: JAIL
            });
    }

    function _fund(address who, uint256 amount) internal {
        token.mint(who, amount);
        vm.prank(who);
        token.approve(address(staking), type(uint256).max);
    }

    function _stake(address who, uint256 amount, uint8 roles) internal {
        _fund(who, amount);
        vm.prank(who);
        staking.stake(amount, roles);
    }

    function _op(address who) internal view returns (IStakingV1.Operator memory) {
        return staking.getOperator(who);
    }

    function _freshStaking() internal returns (StakingV1) {
        return new StakingV1(IERC20(address(token)), _defaultParams(), address(this));
    }

    function _boundsError(
        string memory name,
        uint256 value,
        uint256 min,
        uint256 max
    ) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IStakingV1.StakingParamOutOfBounds.selector, name, value, min, max);
    }

    // ----------------------------------------------------------------------------------------------- constructor

    function test_constructor_readsBackEverything() public view {
        IStakingV1.StakingParams memory p = staking.params();
        assertEq(p.minWorkerStake, MIN_WORKER, "minWorkerStake");
        assertEq(p.minVerifierStake, MIN_VERIFIER, "minVerifierStake");
        assertEq(p.unbondingDelay, UNBONDING, "unbondingDelay");
        assertEq(p.jailDuration, JAIL, "jailDuration");
        assertEq(address(staking.token()), address(token), "token");
        assertEq(staking.owner(), address(this), "owner");
        assertEq(staking.hub(), address(hub), "hub");
        assertEq(staking.ROLE_WORKER(), 1, "ROLE_WORKER");
        assertEq(staking.ROLE_VERIFIER(), 2, "ROLE_VERIFIER");
        assertEq(staking.ALL_ROLES(), 3, "ALL_ROLES");
        assertEq(staking.MAX_OPERATORS_PER_ROLE(), 1024, "MAX_OPERATORS_PER_ROLE");
        assertEq(staking.MIN_STAKE_LOWER_BOUND(), 1e18, "min stake lower");
        assertEq(staking.MIN_STAKE_UPPER_BOUND(), 10_000_000e18, "min stake upper");
        assertEq(staking.UNBONDING_DELAY_LOWER_BOUND(), 10 minutes, "unbonding lower");
        assertEq(staking.UNBONDING_DELAY_UPPER_BOUND(), 90 days, "unbonding upper");
        assertEq(staking.JAIL_DURATION_LOWER_BOUND(), 1 minutes, "jail lower");
        assertEq(staking.JAIL_DURATION_UPPER_BOUND(), 30 days, "jail upper");
        assertEq(staking.totalWeight(W), 0, "worker total");
        assertEq(staking.totalWeight(V), 0, "verifier total");
    }

    function test_constructor_emitsParamsUpdated() public {
        vm.expectEmit();
        emit IStakingV1.ParamsUpdated(_defaultParams());
        _freshStaking();
    }

    function test_constructor_hubUnset() public {
        assertEq(_freshStaking().hub(), address(0), "hub unset");
    }

    function test_revert_constructor_zeroToken() public {
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingZeroAddress.selector));
        new StakingV1(IERC20(address(0)), _defaultParams(), address(this));
    }

    function test_revert_constructor_zeroOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableInvalidOwner.selector, address(0)));
        new StakingV1(IERC20(address(token)), _defaultParams(), address(0));
    }

    function test_revert_constructor_paramOutOfBounds() public {
        IStakingV1.StakingParams memory p = _defaultParams();
        p.minWorkerStake = 1e18 - 1;
        vm.expectRevert(_boundsError("minWorkerStake", 1e18 - 1, 1e18, 10_000_000e18));
        new StakingV1(IERC20(address(token)), p, address(this));

        p = _defaultParams();
        p.minVerifierStake = 10_000_000e18 + 1;
        vm.expectRevert(_boundsError("minVerifierStake", 10_000_000e18 + 1, 1e18, 10_000_000e18));
        new StakingV1(IERC20(address(token)), p, address(this));

        p = _defaultParams();
        p.unbondingDelay = 10 minutes - 1;
        vm.expectRevert(_boundsError("unbondingDelay", 10 minutes - 1, 10 minutes, 90 days));
        new StakingV1(IERC20(address(token)), p, address(this));

        p = _defaultParams();
        p.jailDuration = 30 days + 1;
        vm.expectRevert(_boundsError("jailDuration", 30 days + 1, 1 minutes, 30 days));
        new StakingV1(IERC20(address(token)), p, address(this));
    }

    // ----------------------------------------------------------------------------------------------- setParams

    function test_setParams_updatesAndEmits() public {
        IStakingV1.StakingParams memory p = IStakingV1.StakingParams({
            minWorkerStake: 2_000e18,
            minVerifierStake: 700e18,
            unbondingDelay: 14 days,
            jailDuration: 2 days
        });
        vm.expectEmit(address(staking));
        emit IStakingV1.ParamsUpdated(p);
        staking.setParams(p);
        IStakingV1.StakingParams memory r = staking.params();
        assertEq(r.minWorkerStake, 2_000e18, "minWorkerStake");
        assertEq(r.minVerifierStake, 700e18, "minVerifierStake");
        assertEq(r.unbondingDelay, 14 days, "unbondingDelay");
        assertEq(r.jailDuration, 2 days, "jailDuration");
    }

    function test_revert_setParams_notOwner() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        staking.setParams(_defaultParams());
    }

    function test_setParams_minWorkerStakeBounds() public {
        IStakingV1.StakingParams memory p = _defaultParams();
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
        IStakingV1.StakingParams memory p = _defaultParams();
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
        // Without a hub only the hard bounds apply (the lowest bound is below the mock hub's lifecycle).
        StakingV1 s = _freshStaking();
        IStakingV1.StakingParams memory p = _defaultParams();
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
        IStakingV1.StakingParams memory p = _defaultParams();
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

    function test_revert_setParams_unbondingNotAboveHubLifecycle() public {
        IStakingV1.StakingParams memory p = _defaultParams();
        p.unbondingDelay = uint32(LIFECYCLE);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingUnbondingTooShort.selector, LIFECYCLE, LIFECYCLE));
        staking.setParams(p);
        p.unbondingDelay = uint32(LIFECYCLE + 1);
        staking.setParams(p);
        assertEq(staking.params().unbondingDelay, LIFECYCLE + 1, "just above lifecycle");
    }

    function test_setParams_readsHubLifecycleEachTime() public {
        hub.setMaxLifecycleDuration(30 days);
        IStakingV1.StakingParams memory p = _defaultParams();
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingUnbondingTooShort.selector, UNBONDING, 30 days));
        staking.setParams(p);
    }

    // ----------------------------------------------------------------------------------------------- setHub

    function test_setHub_setsAndEmits() public {
        StakingV1 s = _freshStaking();
        vm.expectEmit(address(s));
        emit IStakingV1.HubSet(address(hub));
        s.setHub(address(hub));
        assertEq(s.hub(), address(hub), "hub");
    }

    function test_revert_setHub_alreadySet() public {
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingHubAlreadySet.selector, address(hub)));
        staking.setHub(address(0x1234));
    }

    function test_revert_setHub_zeroAddress() public {
        StakingV1 s = _freshStaking();
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingZeroAddress.selector));
        s.setHub(address(0));
    }

    function test_revert_setHub_notOwner() public {
        StakingV1 s = _freshStaking();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        s.setHub(address(hub));
    }

    function test_revert_setHub_unbondingNotAboveLifecycle() public {
        StakingV1 s = _freshStaking();
        MockStakingHub longHub = new MockStakingHub(UNBONDING);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingUnbondingTooShort.selector, UNBONDING, UNBONDING));
        s.setHub(address(longHub));
        longHub.setMaxLifecycleDuration(UNBONDING - 1);
        s.setHub(address(longHub));
        assertEq(s.hub(), address(longHub), "hub set at lifecycle = delay - 1");
    }

    // ----------------------------------------------------------------------------------------------- stake

    function test_stake_pullsTokensAndSetsWeights() public {
        _fund(alice, 1_500e18);
        vm.expectEmit(address(staking));
        emit IStakingV1.Staked(alice, 1_500e18, WV);
        vm.expectEmit(address(staking));
        emit IStakingV1.WeightUpdated(alice, W, 1_500e18);
        vm.expectEmit(address(staking));
        emit IStakingV1.WeightUpdated(alice, V, 1_500e18);
        vm.prank(alice);
        staking.stake(1_500e18, WV);

        IStakingV1.Operator memory o = _op(alice);
        assertEq(o.active, 1_500e18, "active");
        assertEq(o.roles, WV, "roles");
        assertEq(token.balanceOf(address(staking)), 1_500e18, "pulled");
        assertEq(token.balanceOf(alice), 0, "payer");
        assertEq(staking.weightOf(alice, W), 1_500e18, "worker weight");
        assertEq(staking.weightOf(alice, V), 1_500e18, "verifier weight");
        assertEq(staking.totalWeight(W), 1_500e18, "worker total");
        assertTrue(staking.isEligible(alice, W) && staking.isEligible(alice, V), "eligible");
        assertEq(staking.slashableStake(alice), 1_500e18, "slashable");
        assertEq(staking.freeStake(alice), 1_500e18, "free");
    }

    function test_stake_betweenMinimumsOnlyVerifierWeight() public {
        _stake(alice, 600e18, WV);
        assertEq(staking.weightOf(alice, W), 0, "below worker min");
        assertEq(staking.weightOf(alice, V), 600e18, "verifier");
        assertTrue(!staking.isEligible(alice, W), "not worker");
        assertTrue(staking.isEligible(alice, V), "verifier");
    }

    function test_stake_exactlyMinimumIsEligible() public {
        _stake(alice, MIN_WORKER, W);
        assertEq(staking.weightOf(alice, W), MIN_WORKER, "min counts");
        _stake(bob, MIN_WORKER - 1, W);
        assertEq(staking.weightOf(bob, W), 0, "min - 1 does not");
    }

    function test_stake_topUpAddsAndReplacesRoles() public {
        _stake(alice, 600e18, V);
        _stake(alice, 400e18, W);
        IStakingV1.Operator memory o = _op(alice);
        assertEq(o.active, 1_000e18, "active");
        assertEq(o.roles, W, "roles replaced");
        assertEq(staking.weightOf(alice, W), 1_000e18, "worker");
        assertEq(staking.weightOf(alice, V), 0, "verifier dropped");
        assertEq(staking.totalWeight(V), 0, "verifier total");
    }

    function test_stake_whileJailedHasNoWeight() public {
        _stake(alice, 1_000e18, W);
        hub.slash(alice, 0, true);
        _stake(alice, 1_000e18, W);
        assertEq(staking.weightOf(alice, W), 0, "jailed");
        assertEq(_op(alice).active, 2_000e18, "active");
    }

    function test_revert_stake_zeroAmount() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingZeroAmount.selector));
        staking.stake(0, W);
    }

    function test_revert_stake_emptyRoles() public {
        _fund(alice, 1e18);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingInvalidRoles.selector, uint8(0)));
        staking.stake(1e18, 0);
    }

    function test_revert_stake_unknownRoleBits() public {
        _fund(alice, 1e18);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingInvalidRoles.selector, uint8(4)));
        staking.stake(1e18, 4);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingInvalidRoles.selector, uint8(7)));
        staking.stake(1e18, 7);
    }

    function test_revert_stake_overflowsUint128() public {
        _stake(alice, type(uint128).max, V);
        _fund(alice, 1);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(SafeCast.SafeCastOverflowedUintDowncast.selector, uint8(128), uint256(1) << 128)
        );
        staking.stake(1, V);
    }

    function test_revert_stake_insufficientAllowance() public {
        token.mint(alice, 1e18);
        vm.prank(alice);
        vm.expectRevert();
        staking.stake(1e18, W);
    }

    function testFuzz_stake_rolesAndWeights(uint256 amount, uint8 roles) public {
        amount = bound(amount, 1, 1e27);
        roles = uint8(bound(roles, 1, 3));
        _stake(alice, amount, roles);
        uint256 expectW = (roles & W != 0 && amount >= MIN_WORKER) ? amount : 0;
        uint256 expectV = (roles & V != 0 && amount >= MIN_VERIFIER) ? amount : 0;
        assertEq(staking.weightOf(alice, W), expectW, "worker weight");
        assertEq(staking.weightOf(alice, V), expectV, "verifier weight");
        assertEq(staking.totalWeight(W), expectW, "worker total");
        assertEq(staking.totalWeight(V), expectV, "verifier total");
        assertTrue(staking.isEligible(alice, W) == (expectW > 0), "worker eligibility");
        assertTrue(staking.isEligible(alice, V) == (expectV > 0), "verifier eligibility");
    }

    // ----------------------------------------------------------------------------------------------- sortition capacity

    function test_revert_stake_sortitionFull() public {
        uint256 cap = staking.MAX_OPERATORS_PER_ROLE();
        for (uint256 i = 1; i <= cap; i++) {
            _stake(address(uint160(0x10000 + i)), MIN_VERIFIER, V);
        }
        assertEq(staking.totalWeight(V), cap * MIN_VERIFIER, "full");

        _fund(alice, MIN_VERIFIER);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingSortitionFull.selector, V));
        staking.stake(MIN_VERIFIER, V);

        // Below the minimum needs no slot, so staking still works.
        vm.prank(alice);
        staking.stake(MIN_VERIFIER - 1, V);
        // Crossing the minimum (or joining via setRoles / unjail) would need a slot.
        _stake(bob, MIN_VERIFIER, W);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingSortitionFull.selector, V));
        staking.setRoles(V);

        // An exiting operator frees its slot for the next one.
        address leaver = address(uint160(0x10000 + 7));
        vm.prank(leaver);
        staking.unstake(MIN_VERIFIER);
        assertEq(staking.weightOf(leaver, V), 0, "leaver weight");
        vm.prank(bob);
        staking.setRoles(V);
        assertEq(staking.weightOf(bob, V), MIN_VERIFIER, "joined");
        assertEq(staking.totalWeight(V), cap * MIN_VERIFIER, "total");
    }

    // ----------------------------------------------------------------------------------------------- setRoles

    function test_setRoles_zeroLeavesSortition() public {
        _stake(alice, 2_000e18, WV);
        vm.expectEmit(address(staking));
        emit IStakingV1.RolesUpdated(alice, 0);
        vm.expectEmit(address(staking));
        emit IStakingV1.WeightUpdated(alice, W, 0);
        vm.expectEmit(address(staking));
        emit IStakingV1.WeightUpdated(alice, V, 0);
        vm.prank(alice);
        staking.setRoles(0);
        assertEq(staking.totalWeight(W), 0, "worker total");
        assertEq(staking.totalWeight(V), 0, "verifier total");
        assertEq(_op(alice).active, 2_000e18, "stake untouched");
        assertTrue(!staking.isEligible(alice, W), "not eligible");
    }

    function test_setRoles_switchesRole() public {
        _stake(alice, 2_000e18, W);
        vm.prank(alice);
        staking.setRoles(V);
        assertEq(staking.weightOf(alice, W), 0, "worker");
        assertEq(staking.weightOf(alice, V), 2_000e18, "verifier");
        assertEq(_op(alice).roles, V, "roles");
    }

    function test_setRoles_withoutStake() public {
        vm.expectEmit(address(staking));
        emit IStakingV1.RolesUpdated(alice, WV);
        vm.prank(alice);
        staking.setRoles(WV);
        assertEq(_op(alice).roles, WV, "roles");
        assertEq(staking.weightOf(alice, W), 0, "no weight");
    }

    function test_revert_setRoles_unknownBits() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingInvalidRoles.selector, uint8(8)));
        staking.setRoles(8);
    }

    // ----------------------------------------------------------------------------------------------- unstake

    function test_unstake_movesToUnbonding() public {
        _stake(alice, 3_000e18, WV);
        vm.expectEmit(address(staking));
        emit IStakingV1.UnbondingStarted(alice, 1_000e18, T0 + UNBONDING);
        vm.expectEmit(address(staking));
        emit IStakingV1.WeightUpdated(alice, W, 2_000e18);
        vm.prank(alice);
        staking.unstake(1_000e18);
        IStakingV1.Operator memory o = _op(alice);
        assertEq(o.active, 2_000e18, "active");
        assertEq(o.unbonding, 1_000e18, "unbonding");
        assertEq(o.unbondingReleaseAt, T0 + UNBONDING, "releaseAt");
        assertEq(staking.weightOf(alice, V), 2_000e18, "verifier weight");
        assertEq(staking.slashableStake(alice), 3_000e18, "slashable");
        assertEq(token.balanceOf(address(staking)), 3_000e18, "tokens stay");
    }

    function test_unstake_restartsClockForAllUnbonding() public {
        _stake(alice, 3_000e18, W);
        vm.prank(alice);
        staking.unstake(1_000e18);
        vm.warp(T0 + 5 days);
        vm.prank(alice);
        staking.unstake(500e18);
        IStakingV1.Operator memory o = _op(alice);
        assertEq(o.unbonding, 1_500e18, "unbonding");
        assertEq(o.unbondingReleaseAt, T0 + 5 days + UNBONDING, "clock restarted");
        vm.warp(T0 + UNBONDING);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingNothingToWithdraw.selector, T0 + 5 days + UNBONDING));
        staking.withdraw();
    }

    function test_unstake_belowMinimumDropsWeight() public {
        _stake(alice, 1_000e18, W);
        vm.prank(alice);
        staking.unstake(1);
        assertEq(staking.weightOf(alice, W), 0, "below min");
        assertEq(staking.totalWeight(W), 0, "total");
    }

    function test_unstake_allFreeStakeWithLock() public {
        _stake(alice, 1_000e18, W);
        hub.lockCollateral(alice, 400e18);
        vm.prank(alice);
        staking.unstake(600e18);
        assertEq(_op(alice).active, 400e18, "active == locked");
        assertEq(staking.freeStake(alice), 0, "free");
    }

    function test_revert_unstake_zeroAmount() public {
        _stake(alice, 1_000e18, W);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingZeroAmount.selector));
        staking.unstake(0);
    }

    function test_revert_unstake_lockedStake() public {
        _stake(alice, 1_000e18, W);
        hub.lockCollateral(alice, 400e18);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingInsufficientFreeStake.selector, 600e18 + 1, 600e18));
        staking.unstake(600e18 + 1);
    }

    function test_revert_unstake_noStake() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingInsufficientFreeStake.selector, 1, 0));
        staking.unstake(1);
    }

    // ----------------------------------------------------------------------------------------------- withdraw

    function _unbond(address who, uint256 amount) internal {
        _stake(who, amount, W);
        vm.prank(who);
        staking.unstake(amount);
    }

    function test_revert_withdraw_oneSecondBeforeRelease() public {
        _unbond(alice, 1_000e18);
        vm.warp(T0 + UNBONDING - 1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingNothingToWithdraw.selector, T0 + UNBONDING));
        staking.withdraw();
    }

    function test_withdraw_atReleaseTime() public {
        _unbond(alice, 1_000e18);
        vm.warp(T0 + UNBONDING);
        vm.expectEmit(address(staking));
        emit IStakingV1.StakeWithdrawn(alice, 1_000e18);
        vm.prank(alice);
        uint256 paid = staking.withdraw();
        assertEq(paid, 1_000e18, "returned");
        assertEq(token.balanceOf(alice), 1_000e18, "paid");
        assertEq(token.balanceOf(address(staking)), 0, "emptied");
        assertEq(_op(alice).unbonding, 0, "unbonding cleared");
        assertEq(staking.slashableStake(alice), 0, "slashable");
    }

    function test_withdraw_afterReleaseTime() public {
        _unbond(alice, 1_000e18);
        vm.warp(T0 + UNBONDING + 1);
        vm.prank(alice);
        assertEq(staking.withdraw(), 1_000e18, "returned");
        assertEq(token.balanceOf(alice), 1_000e18, "paid");
    }

    function test_revert_withdraw_nothingUnbonding() public {
        _stake(alice, 1_000e18, W);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingNothingToWithdraw.selector, 0));
        staking.withdraw();
    }

    function test_revert_withdraw_twice() public {
        _unbond(alice, 1_000e18);
        vm.warp(T0 + UNBONDING);
        vm.prank(alice);
        staking.withdraw();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingNothingToWithdraw.selector, T0 + UNBONDING));
        staking.withdraw();
    }

    function test_revert_withdraw_fullySlashedUnbonding() public {
        _unbond(alice, 1_000e18);
        hub.slash(alice, 1_000e18, false);
        vm.warp(T0 + UNBONDING);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingNothingToWithdraw.selector, T0 + UNBONDING));
        staking.withdraw();
    }

    // ----------------------------------------------------------------------------------------------- unjail

    function _jail(address who) internal {
        _stake(who, 1_000e18, WV);
        hub.slash(who, 0, true);
    }

    function test_revert_unjail_oneSecondBeforeJailEnds() public {
        _jail(alice);
        vm.warp(T0 + JAIL - 1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingCannotUnjail.selector, T0 + JAIL));
        staking.unjail();
    }

    function test_unjail_whenJailEnds() public {
        _jail(alice);
        vm.warp(T0 + JAIL);
        vm.expectEmit(address(staking));
        emit IStakingV1.Unjailed(alice);
        vm.expectEmit(address(staking));
        emit IStakingV1.WeightUpdated(alice, W, 1_000e18);
        vm.expectEmit(address(staking));
        emit IStakingV1.WeightUpdated(alice, V, 1_000e18);
        vm.prank(alice);
        staking.unjail();
        assertTrue(!_op(alice).jailed, "cleared");
        assertTrue(staking.isEligible(alice, W), "eligible");
        assertEq(staking.totalWeight(W), 1_000e18, "weight back");
    }

    function test_unjail_afterJailEnds() public {
        _jail(alice);
        vm.warp(T0 + JAIL + 1);
        vm.prank(alice);
        staking.unjail();
        assertEq(staking.weightOf(alice, V), 1_000e18, "weight back");
    }

    function test_unjail_belowMinimumStaysWeightless() public {
        _stake(alice, 1_000e18, W);
        hub.slash(alice, 1, true);
        vm.warp(T0 + JAIL);
        vm.prank(alice);
        staking.unjail();
        assertEq(staking.weightOf(alice, W), 0, "below min");
        assertTrue(!staking.isEligible(alice, W), "not eligible");
    }

    function test_revert_unjail_notJailed() public {
        _stake(alice, 1_000e18, W);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingCannotUnjail.selector, 0));
        staking.unjail();
    }

    function test_revert_unjail_twice() public {
        _jail(alice);
        vm.warp(T0 + JAIL);
        vm.prank(alice);
        staking.unjail();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingCannotUnjail.selector, T0 + JAIL));
        staking.unjail();
    }

    // ----------------------------------------------------------------------------------------------- lockCollateral

    function test_lockCollateral_locks() public {
        _stake(alice, 1_000e18, W);
        assertTrue(hub.lockCollateral(alice, 300e18), "ok");
        assertEq(_op(alice).locked, 300e18, "locked");
        assertEq(staking.freeStake(alice), 700e18, "free");
        assertEq(staking.weightOf(alice, W), 1_000e18, "weight includes locked");
    }

    function test_lockCollateral_exactFreeStake() public {
        _stake(alice, 1_000e18, W);
        assertTrue(hub.lockCollateral(alice, 600e18), "first");
        assertTrue(hub.lockCollateral(alice, 400e18), "exact rest");
        assertEq(staking.freeStake(alice), 0, "free");
    }

    function test_lockCollateral_insufficientReturnsFalse() public {
        _stake(alice, 1_000e18, W);
        hub.lockCollateral(alice, 600e18);
        vm.recordLogs();
        assertTrue(!hub.lockCollateral(alice, 400e18 + 1), "not ok");
        assertEq(vm.getRecordedLogs().length, 0, "no event");
        assertEq(_op(alice).locked, 600e18, "unchanged");
    }

    function test_lockCollateral_ineligibleWorkerReturnsFalse() public {
        _stake(alice, 5_000e18, V); // verifier only
        _stake(bob, MIN_WORKER - 1, W); // below the worker minimum
        _stake(carol, 5_000e18, W);
        hub.slash(carol, 1, true); // jailed
        vm.recordLogs();
        assertTrue(!hub.lockCollateral(alice, 1e18), "no worker role");
        assertTrue(!hub.lockCollateral(bob, 1e18), "below minimum");
        assertTrue(!hub.lockCollateral(carol, 1e18), "jailed");
        assertEq(vm.getRecordedLogs().length, 0, "no event");
        _stake(bob, 1, W);
        assertTrue(hub.lockCollateral(bob, 1e18), "at the minimum");
    }

    function test_lockCollateral_zeroNeedsAnEligibleWorker() public {
        vm.recordLogs();
        assertTrue(!hub.lockCollateral(alice, 0), "no stake: not a worker");
        _stake(alice, MIN_WORKER, W);
        assertTrue(hub.lockCollateral(alice, 0), "eligible worker, nothing to lock");
        assertEq(_op(alice).locked, 0, "nothing locked");
    }

    function test_revert_lockCollateral_notHub() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingNotHub.selector, stranger));
        staking.lockCollateral(alice, 1);
    }

    function test_revert_lockCollateral_hubNotSet() public {
        StakingV1 s = _freshStaking();
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingHubNotSet.selector));
        s.lockCollateral(alice, 1);
    }

    // ----------------------------------------------------------------------------------------------- unlockCollateral

    function test_unlockCollateral_unlocks() public {
        _stake(alice, 1_000e18, W);
        hub.lockCollateral(alice, 300e18);
        hub.unlockCollateral(alice, 100e18);
        assertEq(_op(alice).locked, 200e18, "locked");
        hub.unlockCollateral(alice, 200e18);
        assertEq(_op(alice).locked, 0, "all unlocked");
        assertEq(staking.freeStake(alice), 1_000e18, "free");
    }

    function test_unlockCollateral_zeroIsNoop() public {
        vm.recordLogs();
        hub.unlockCollateral(alice, 0);
        assertEq(vm.getRecordedLogs().length, 0, "no event");
    }

    function test_unlockCollateral_saturatesAtLocked() public {
        _stake(alice, 1_000e18, W);
        hub.lockCollateral(alice, 300e18);
        hub.unlockCollateral(alice, 300e18 + 1);
        assertEq(_op(alice).locked, 0, "all released");
    }

    /// @dev After a slash cuts `locked`, settling every open job still succeeds.
    function test_unlockCollateral_afterSlashNeverReverts() public {
        _stake(alice, 1_000e18, W);
        hub.lockCollateral(alice, 400e18);
        hub.lockCollateral(alice, 400e18);
        hub.slash(alice, 900e18, false);
        assertEq(_op(alice).locked, 100e18, "locked capped at active");
        hub.unlockCollateral(alice, 400e18);
        hub.unlockCollateral(alice, 400e18);
        assertEq(_op(alice).locked, 0, "released");
    }

    function test_revert_unlockCollateral_notHub() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingNotHub.selector, stranger));
        staking.unlockCollateral(alice, 0);
    }

    function test_revert_unlockCollateral_hubNotSet() public {
        StakingV1 s = _freshStaking();
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingHubNotSet.selector));
        s.unlockCollateral(alice, 0);
    }

    // ----------------------------------------------------------------------------------------------- slash

    function test_slash_fromActiveOnly() public {
        _stake(alice, 2_000e18, W);
        vm.prank(alice);
        staking.unstake(500e18);
        vm.expectEmit(address(staking));
        emit IStakingV1.Slashed(alice, 300e18, 0);
        uint256 slashed = hub.slash(alice, 300e18, false);
        assertEq(slashed, 300e18, "slashed");
        IStakingV1.Operator memory o = _op(alice);
        assertEq(o.active, 1_200e18, "active");
        assertEq(o.unbonding, 500e18, "unbonding untouched");
        assertEq(token.balanceOf(address(hub)), 300e18, "to hub");
        assertEq(staking.weightOf(alice, W), 1_200e18, "weight refreshed");
        assertTrue(!o.jailed, "not jailed");
    }

    function test_slash_activeThenUnbonding() public {
        _stake(alice, 2_000e18, W);
        vm.prank(alice);
        staking.unstake(500e18);
        vm.expectEmit(address(staking));
        emit IStakingV1.Slashed(alice, 1_500e18, 200e18);
        assertEq(hub.slash(alice, 1_700e18, false), 1_700e18, "slashed");
        IStakingV1.Operator memory o = _op(alice);
        assertEq(o.active, 0, "active");
        assertEq(o.unbonding, 300e18, "unbonding");
        assertEq(token.balanceOf(address(hub)), 1_700e18, "to hub");
        assertEq(token.balanceOf(address(staking)), 300e18, "left");
        assertEq(staking.totalWeight(W), 0, "weight gone");
    }

    function test_slash_cappedAtSlashableStake() public {
        _stake(alice, 2_000e18, W);
        vm.prank(alice);
        staking.unstake(500e18);
        vm.expectEmit(address(staking));
        emit IStakingV1.Slashed(alice, 1_500e18, 500e18);
        assertEq(hub.slash(alice, type(uint256).max, false), 2_000e18, "capped");
        assertEq(staking.slashableStake(alice), 0, "nothing left");
        assertEq(token.balanceOf(address(hub)), 2_000e18, "to hub");
    }

    function test_slash_nothingAvailableReturnsZero() public {
        vm.expectEmit(address(staking));
        emit IStakingV1.Slashed(alice, 0, 0);
        assertEq(hub.slash(alice, 1_000e18, false), 0, "zero");
        assertEq(token.balanceOf(address(hub)), 0, "nothing sent");
    }

    function test_slash_clampsLockedToActive() public {
        _stake(alice, 1_000e18, W);
        hub.lockCollateral(alice, 800e18);
        hub.slash(alice, 500e18, false);
        IStakingV1.Operator memory o = _op(alice);
        assertEq(o.active, 500e18, "active");
        assertEq(o.locked, 500e18, "locked clamped");
        assertEq(staking.freeStake(alice), 0, "free");
    }

    function test_slash_keepsLockedWhenCovered() public {
        _stake(alice, 1_000e18, W);
        hub.lockCollateral(alice, 300e18);
        hub.slash(alice, 500e18, false);
        assertEq(_op(alice).locked, 300e18, "locked kept");
    }

    function test_slash_jailsAndEmits() public {
        _stake(alice, 2_000e18, WV);
        vm.expectEmit(address(staking));
        emit IStakingV1.Slashed(alice, 100e18, 0);
        vm.expectEmit(address(staking));
        emit IStakingV1.Jailed(alice, T0 + JAIL);
        vm.expectEmit(address(staking));
        emit IStakingV1.WeightUpdated(alice, W, 0);
        vm.expectEmit(address(staking));
        emit IStakingV1.WeightUpdated(alice, V, 0);
        hub.slash(alice, 100e18, true);
        IStakingV1.Operator memory o = _op(alice);
        assertTrue(o.jailed, "jailed");
        assertEq(o.jailedUntil, T0 + JAIL, "until");
        assertTrue(!staking.isEligible(alice, W) && !staking.isEligible(alice, V), "ineligible");
        assertEq(staking.totalWeight(W) + staking.totalWeight(V), 0, "no weight");
        assertEq(staking.draw(W, 123), address(0), "not drawable");
    }

    function test_slash_jailNeverShortens() public {
        _stake(alice, 2_000e18, W);
        IStakingV1.StakingParams memory p = _defaultParams();
        p.jailDuration = 30 days;
        staking.setParams(p);
        hub.slash(alice, 0, true);
        p.jailDuration = 1 minutes;
        staking.setParams(p);
        vm.warp(T0 + 1 days);
        vm.expectEmit(address(staking));
        emit IStakingV1.Jailed(alice, T0 + 30 days);
        hub.slash(alice, 0, true);
        assertEq(_op(alice).jailedUntil, T0 + 30 days, "kept the longer jail");
        vm.warp(T0 + 40 days);
        hub.slash(alice, 0, true);
        assertEq(_op(alice).jailedUntil, T0 + 40 days + 1 minutes, "extends from now");
    }

    function test_slash_unbondingAfterReleaseTimeStillSlashable() public {
        _unbond(alice, 1_000e18);
        vm.warp(T0 + UNBONDING + 1 days);
        assertEq(hub.slash(alice, 400e18, false), 400e18, "slashed");
        vm.prank(alice);
        assertEq(staking.withdraw(), 600e18, "rest withdrawn");
    }

    function test_revert_slash_notHub() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingNotHub.selector, stranger));
        staking.slash(alice, 1, true);
    }

    function test_revert_slash_ownerIsNotHub() public {
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingNotHub.selector, address(this)));
        staking.slash(alice, 1, false);
    }

    function test_revert_slash_hubNotSet() public {
        StakingV1 s = _freshStaking();
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingHubNotSet.selector));
        s.slash(alice, 1, false);
    }

    // ----------------------------------------------------------------------------------------------- draw and views

    function test_draw_byRole() public {
        _stake(alice, 1_000e18, W); // worker [0, 1000e18)
        _stake(bob, 3_000e18, WV); // worker [1000e18, 4000e18), verifier [0, 3000e18)
        _stake(carol, 500e18, V); // verifier [3000e18, 3500e18)
        assertEq(staking.draw(W, 0), alice, "w 0");
        assertEq(staking.draw(W, 1_000e18 - 1), alice, "w edge");
        assertEq(staking.draw(W, 1_000e18), bob, "w next");
        assertEq(staking.draw(W, 4_000e18), alice, "w wraps");
        assertEq(staking.draw(V, 0), bob, "v 0");
        assertEq(staking.draw(V, 3_000e18), carol, "v carol");
        assertEq(staking.draw(V, 3_500e18 - 1), carol, "v edge");
    }

    function test_draw_emptyReturnsZero() public view {
        assertEq(staking.draw(W, 42), address(0), "worker");
        assertEq(staking.draw(V, 42), address(0), "verifier");
    }

    function test_revert_views_invalidRole() public {
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingInvalidRoles.selector, uint8(0)));
        staking.draw(0, 1);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingInvalidRoles.selector, uint8(3)));
        staking.draw(3, 1);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingInvalidRoles.selector, uint8(3)));
        staking.weightOf(alice, 3);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingInvalidRoles.selector, uint8(4)));
        staking.totalWeight(4);
        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingInvalidRoles.selector, uint8(3)));
        staking.isEligible(alice, 3);
    }

    function test_isEligible_exactWhenMinimumRaised() public {
        _stake(alice, 1_000e18, W);
        IStakingV1.StakingParams memory p = _defaultParams();
        p.minWorkerStake = 2_000e18;
        staking.setParams(p);
        // The stale weight stays until alice's next change; eligibility is exact.
        assertEq(staking.weightOf(alice, W), 1_000e18, "stale weight");
        assertEq(staking.draw(W, 0), alice, "still drawable");
        assertTrue(!staking.isEligible(alice, W), "not eligible");
        hub.lockCollateral(alice, 1); // collateral changes do not refresh weights
        assertEq(staking.weightOf(alice, W), 1_000e18, "still stale");
        hub.slash(alice, 0, false); // any operator change refreshes
        assertEq(staking.weightOf(alice, W), 0, "refreshed");
    }

    function test_isEligible_requiresRole() public {
        _stake(alice, 1_000e18, V);
        assertTrue(!staking.isEligible(alice, W), "no worker role");
        assertTrue(staking.isEligible(alice, V), "verifier");
        assertTrue(!staking.isEligible(bob, V), "no stake");
    }

    // ----------------------------------------------------------------------------------------------- fuzz

    /// @dev Any sequence of stakes, unstakes, locks and slashes keeps StakingV1's balance equal to the sum of active +
    ///      unbonding stake, and delivers exactly the slashed amount to the hub.
    function testFuzz_slash_conservesTokens(uint256 seed) public {
        address[3] memory ops = [alice, bob, carol];
        uint256 hubReceived;
        for (uint256 step = 0; step < 30; step++) {
            uint256 h = uint256(keccak256(abi.encode(seed, step)));
            address who = ops[h % 3];
            uint256 action = (h >> 8) % 5;
            uint256 value = (h >> 16) % 3_000e18;
            IStakingV1.Operator memory o = _op(who);
            if (action == 0) {
                _stake(who, value + 1, uint8(1 + ((h >> 200) % 3)));
            } else if (action == 1) {
                uint256 free = o.active - o.locked;
                if (free > 0) {
                    vm.prank(who);
                    staking.unstake(bound(value, 1, free));
                }
            } else if (action == 2) {
                hub.lockCollateral(who, value % (uint256(o.active) + 1));
            } else if (action == 3) {
                uint256 before = token.balanceOf(address(hub));
                uint256 slashable = uint256(o.active) + o.unbonding;
                uint256 slashed = hub.slash(who, value, (h >> 210) % 2 == 0);
                uint256 expected = value < slashable ? value : slashable;
                assertEq(slashed, expected, "slashed == min(amount, slashable)");
                assertEq(token.balanceOf(address(hub)) - before, slashed, "hub received exactly");
                IStakingV1.Operator memory after_ = _op(who);
                uint256 fromActive = value < o.active ? value : o.active;
                assertEq(after_.active, o.active - fromActive, "active first");
                assertEq(after_.unbonding, o.unbonding - (slashed - fromActive), "then unbonding");
                assertLe(after_.locked, after_.active, "locked <= active");
                hubReceived += slashed;
            } else {
                vm.warp(block.timestamp + ((h >> 220) % (2 * UNBONDING)));
                if (o.unbonding > 0 && block.timestamp >= o.unbondingReleaseAt) {
                    vm.prank(who);
                    staking.withdraw();
                }
            }

            uint256 sum;
            for (uint256 i = 0; i < 3; i++) {
                IStakingV1.Operator memory x = _op(ops[i]);
                sum += uint256(x.active) + x.unbonding;
                assertLe(x.locked, x.active, "locked <= active");
            }
            assertEq(token.balanceOf(address(staking)), sum, "solvency");
            assertEq(token.balanceOf(address(hub)), hubReceived, "hub total");
        }
    }

    /// @dev Draw maps r to the operator whose cumulative-weight interval (in staking order) contains r % total.
    function testFuzz_draw_matchesLinearReference(uint256[6] memory amounts, uint256 randomness) public {
        address[6] memory ops;
        uint256[6] memory weights;
        uint256 sum;
        for (uint256 i = 0; i < 6; i++) {
            ops[i] = address(uint160(0x20000 + i));
            uint256 amount = bound(amounts[i], 1, 10_000e18);
            _stake(ops[i], amount, W);
            weights[i] = amount >= MIN_WORKER ? amount : 0;
            sum += weights[i];
        }
        assertEq(staking.totalWeight(W), sum, "total");
        address expected;
        if (sum > 0) {
            uint256 r = randomness % sum;
            uint256 cumulative;
            for (uint256 i = 0; i < 6; i++) {
                cumulative += weights[i];
                if (r < cumulative) {
                    expected = ops[i];
                    break;
                }
            }
        }
        assertEq(staking.draw(W, randomness), expected, "draw == linear reference");
    }

    /// @dev An operator that leaves sortition frees its slot; a newcomer takes it and totals stay exact.
    function testFuzz_sortition_slotReuseAfterExit(uint256 amount, uint256 exitMode) public {
        amount = bound(amount, MIN_VERIFIER, 1e24);
        _stake(alice, amount, V);
        _stake(bob, amount, V);
        exitMode %= 3;
        if (exitMode == 0) {
            vm.prank(alice);
            staking.unstake(amount);
        } else if (exitMode == 1) {
            vm.prank(alice);
            staking.setRoles(0);
        } else {
            hub.slash(alice, 0, true);
        }
        assertEq(staking.weightOf(alice, V), 0, "exited");
        assertEq(staking.totalWeight(V), amount, "total after exit");
        _stake(carol, amount, V);
        assertEq(staking.totalWeight(V), 2 * amount, "total after join");
        // Carol took alice's slot 1: r in [0, amount) draws carol, [amount, 2 amount) draws bob.
        assertEq(staking.draw(V, 0), carol, "carol in slot 1");
        assertEq(staking.draw(V, amount), bob, "bob in slot 2");
    }

    /// @dev Lock/unlock never lets locked exceed active, and free stake is always active - locked.
    function testFuzz_lockUnlock(uint256 stakeAmount, uint256 lockAmount, uint256 unlockAmount) public {
        stakeAmount = bound(stakeAmount, MIN_WORKER, 1e27);
        _stake(alice, stakeAmount, W);
        bool ok = hub.lockCollateral(alice, lockAmount);
        assertTrue(ok == (lockAmount <= stakeAmount), "ok iff covered");
        uint256 locked = ok ? lockAmount : 0;
        assertEq(_op(alice).locked, locked, "locked");
        assertEq(staking.freeStake(alice), stakeAmount - locked, "free");
        hub.unlockCollateral(alice, unlockAmount);
        assertEq(_op(alice).locked, unlockAmount >= locked ? 0 : locked - unlockAmount, "unlocked, saturating");
    }

    /// @dev Unstake then withdraw returns exactly what was staked, no earlier than the release time.
    function testFuzz_unstakeWithdrawRoundTrip(uint256 amount, uint256 part, uint256 wait) public {
        amount = bound(amount, 1, 1e27);
        part = bound(part, 1, amount);
        wait = bound(wait, 0, 2 * UNBONDING);
        _stake(alice, amount, WV);
        vm.prank(alice);
        staking.unstake(part);
        vm.warp(T0 + wait);
        vm.prank(alice);
        if (wait < UNBONDING) {
            vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingNothingToWithdraw.selector, T0 + UNBONDING));
            staking.withdraw();
        } else {
            assertEq(staking.withdraw(), part, "withdrawn");
            assertEq(token.balanceOf(alice), part, "paid");
            assertEq(token.balanceOf(address(staking)), amount - part, "rest staked");
        }
    }
}
