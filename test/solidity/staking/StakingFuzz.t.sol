// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {StakingBase} from "./StakingBase.sol";

/// @notice Slash and collateral arithmetic under random sequences of protocol calls, with dual-role operators:
///         `locked` equals the sum of the operator's open jobs' collateral after every step, `locked <= active`,
///         protocol calls never revert, and tokens are conserved exactly.
contract StakingFuzzTest is StakingBase {
    uint256 internal constant OPERATORS = 4;
    uint256 internal constant MAX_JOBS = 24;
    uint256 internal constant STEPS = 48;

    struct Job {
        address operator;
        uint256 collateral;
    }

    Job[] internal _jobs;
    uint256 internal _slashedTotal;

    function setUp() public override {
        super.setUp();
        staking.setPermissions(address(this), 3); // this suite plays hub, court and committee module
    }

    function testFuzz_slash_lockedEqualsOpenCollateral(uint256 seed) public {
        for (uint256 i = 0; i < OPERATORS; i++) {
            uint256 amount = bound(uint256(keccak256(abi.encode(seed, "stake", i))), 1_000e18, 50_000e18);
            _stake(_operatorAt(i), amount, i == 0 ? W : WV); // three dual-role operators, one worker only
        }
        for (uint256 step = 0; step < STEPS; step++) {
            uint256 h = uint256(keccak256(abi.encode(seed, step)));
            uint256 action = h % 6;
            if (action <= 1) _assignStep(h);
            else if (action == 2) _unlockStep(h);
            else if (action == 3) _slashJobStep(h);
            else if (action == 4) _slashStakeStep(h);
            else _operatorStep(h);
            _checkAccounting();
        }
    }

    /// @dev A single slash of any size on any position takes `min(amount, free + released + unbonding)` in the
    ///      documented order and never reverts.
    function testFuzz_slash_takesInOrder(
        uint256 stakeAmount,
        uint256 unbondAmount,
        uint256 collateralA,
        uint256 collateralB,
        uint256 amount
    ) public {
        stakeAmount = bound(stakeAmount, 1_000e18, 1e27);
        collateralA = bound(collateralA, 0, stakeAmount / 2);
        collateralB = bound(collateralB, 0, stakeAmount / 2);
        _stake(alice, stakeAmount, WV);
        assertEq(staking.assignWorker(1, address(0), address(0), collateralA), alice, "job A");
        assertEq(staking.assignWorker(2, address(0), address(0), collateralB), alice, "job B");
        unbondAmount = bound(unbondAmount, 0, stakeAmount - collateralA - collateralB);
        if (unbondAmount > 0) {
            vm.prank(alice);
            staking.unstake(unbondAmount);
        }
        IStaking.Operator memory before = _op(alice);
        uint256 reachable = staking.slashableStake(alice, collateralA);

        uint256 slashed = staking.slash(alice, amount, collateralA, true);

        IStaking.Operator memory op = _op(alice);
        uint256 free = uint256(before.active) - before.locked + collateralA;
        uint256 fromActive = amount < free ? amount : free;
        uint256 fromUnbonding = amount - fromActive < before.unbonding ? amount - fromActive : before.unbonding;
        assertEq(slashed, fromActive + fromUnbonding, "slashed");
        assertLe(slashed, reachable, "within slashableStake");
        if (amount >= reachable) assertEq(slashed, reachable, "all reachable stake when asked");
        assertEq(op.active, before.active - fromActive, "active");
        assertEq(op.unbonding, before.unbonding - fromUnbonding, "unbonding");
        assertEq(op.locked, collateralB, "job B's collateral intact");
        assertEq(token.balanceOf(settlementAddr), slashed, "sent to settlement");
        assertEq(token.balanceOf(address(staking)), staking.totalStaked(), "solvent");
        assertEq(staking.weightOf(alice, V), 0, "jailed: no weight");
    }

    // ----------------------------------------------------------------------------------------------- steps

    function _assignStep(uint256 h) internal {
        if (_jobs.length == MAX_JOBS) return;
        uint256 collateral = (h >> 8) % 4_000e18;
        address excludeA = (h >> 80) % 3 == 0 ? _operatorAt((h >> 90) % OPERATORS) : address(0);
        address worker = staking.assignWorker(h, excludeA, address(0), collateral);
        if (worker == address(0)) return;
        assertTrue(worker != excludeA, "excluded never assigned");
        assertTrue(staking.isEligible(worker, W), "assigned worker eligible");
        _jobs.push(Job(worker, collateral));
    }

    function _unlockStep(uint256 h) internal {
        if (_jobs.length == 0) return;
        uint256 i = (h >> 8) % _jobs.length;
        staking.unlockCollateral(_jobs[i].operator, _jobs[i].collateral);
        _removeJob(i);
    }

    /// @dev A judged job: its collateral is released and the operator slashed any amount (maybe far beyond its
    ///      position), maybe jailed.
    function _slashJobStep(uint256 h) internal {
        if (_jobs.length == 0) return;
        uint256 i = (h >> 8) % _jobs.length;
        uint256 amount = _amount(h >> 40);
        _slashedTotal += staking.slash(_jobs[i].operator, amount, _jobs[i].collateral, (h >> 100) & 1 == 1);
        _removeJob(i);
    }

    /// @dev A penalty without a job (silent or minority juror, stake-backed challenger).
    function _slashStakeStep(uint256 h) internal {
        address who = _operatorAt((h >> 8) % OPERATORS);
        _slashedTotal += staking.slash(who, _amount(h >> 40), 0, (h >> 100) & 1 == 1);
    }

    /// @dev Operators unstake free stake, top up, withdraw, or time passes and keepers refresh.
    function _operatorStep(uint256 h) internal {
        address who = _operatorAt((h >> 8) % OPERATORS);
        uint256 kind = (h >> 16) % 4;
        if (kind == 0) {
            uint256 free = staking.freeStake(who);
            if (free == 0) return;
            vm.prank(who);
            staking.unstake(1 + ((h >> 40) % free));
        } else if (kind == 1) {
            _stake(who, 1 + ((h >> 40) % 5_000e18), _op(who).roles == 0 ? WV : _op(who).roles);
        } else if (kind == 2) {
            vm.warp(block.timestamp + UNBONDING);
            if (_op(who).unbonding > 0) {
                vm.prank(who);
                staking.withdraw();
            }
        } else {
            vm.warp(block.timestamp + JAIL);
            staking.refresh(who);
        }
    }

    // ----------------------------------------------------------------------------------------------- checks

    function _checkAccounting() internal view {
        uint256 owed;
        for (uint256 k = 0; k < OPERATORS; k++) {
            address who = _operatorAt(k);
            uint256 open;
            for (uint256 j = 0; j < _jobs.length; j++) {
                if (_jobs[j].operator == who) open += _jobs[j].collateral;
            }
            IStaking.Operator memory op = _op(who);
            assertEq(op.locked, open, "locked == sum of open collateral");
            assertLe(op.locked, op.active, "locked <= active");
            owed += uint256(op.active) + op.unbonding;
            _checkWeight(who, op, W, MIN_WORKER);
            _checkWeight(who, op, V, MIN_VERIFIER);
        }
        assertEq(staking.totalStaked(), owed, "totalStaked == sum of positions");
        assertEq(token.balanceOf(address(staking)), owed, "tokens == stakes");
        assertEq(token.balanceOf(settlementAddr), _slashedTotal, "slashes reached settlement");
    }

    /// @dev Every weight written by an operator change is exact (time passing alone only ends jails: the weight
    ///      may then be zero until refreshed, never larger than the tickets).
    function _checkWeight(address who, IStaking.Operator memory op, uint8 role, uint256 minStake) internal view {
        bool eligible = op.roles & role != 0 && block.timestamp >= op.jailedUntil && op.active >= minStake;
        uint256 weight = staking.weightOf(who, role);
        if (!eligible && block.timestamp >= op.jailedUntil) assertEq(weight, 0, "ineligible: no weight");
        if (eligible) assertTrue(weight == 0 || weight == op.active / 1e18, "weight in whole tickets");
        if (block.timestamp < op.jailedUntil) assertEq(weight, 0, "jailed: no weight");
    }

    function _amount(uint256 h) internal pure returns (uint256) {
        uint256 kind = h % 4;
        if (kind == 0) return 0;
        if (kind == 1) return type(uint256).max;
        return (h >> 4) % 20_000e18;
    }

    function _removeJob(uint256 i) internal {
        _jobs[i] = _jobs[_jobs.length - 1];
        _jobs.pop();
    }
}
