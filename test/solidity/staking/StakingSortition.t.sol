// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {StakingBase} from "./StakingBase.sol";

/// @notice Seats follow stake: splitting a stake over many addresses gives no more expected seats, and an address
///         holding many tickets holds many seats (v1's de-duplicated draw capped it at one). Plus gas at the bounds.
contract StakingSortitionTest is StakingBase {
    uint256 internal constant PANELS = 400;
    uint256 internal constant SEATS = 5;
    uint256 internal constant SPLIT = 20;

    address internal whale = address(0x3A1E);

    /// @dev One third of the verifier tickets on one address, one third split over 20 addresses, one third over 10
    ///      others.
    function _stakeThirds() internal {
        _stake(whale, 20_000e18, V);
        for (uint256 i = 0; i < SPLIT; i++) _stake(_operatorAt(i), 1_000e18, V);
        for (uint256 i = 0; i < 10; i++) _stake(_operatorAt(100 + i), 2_000e18, V);
        assertEq(staking.totalWeight(V), 60_000, "tickets");
        _freeze();
    }

    /// @notice 400 panels of 5 seats: the whale and the split group, each with 1/3 of the tickets, both average
    ///         5/3 seats (sd of a 400-panel sum ~21 seats; tolerance 120 seats on the difference, 5 sd on each).
    function test_drawPanel_splittingStakeGivesSameExpectedSeats() public {
        _stakeThirds();
        uint256 whaleSeats;
        uint256 groupSeats;
        for (uint256 k = 0; k < PANELS; k++) {
            address[] memory panel = _panel(V, uint256(keccak256(abi.encode("panel", k))), SEATS, _none());
            assertEq(panel.length, SEATS, "exact size");
            for (uint256 s = 0; s < SEATS; s++) {
                if (panel[s] == whale) whaleSeats++;
                else if (uint160(panel[s]) >= 0x100000 && uint160(panel[s]) < 0x100000 + SPLIT) groupSeats++;
            }
        }
        uint256 expected = (PANELS * SEATS) / 3; // 666
        uint256 diff = whaleSeats > groupSeats ? whaleSeats - groupSeats : groupSeats - whaleSeats;
        assertLe(diff, 120, "split group's mean seats == single address's mean seats");
        assertGe(whaleSeats, expected - 105, "whale near 5/3 seats per panel");
        assertLe(whaleSeats, expected + 105, "whale near 5/3 seats per panel");
        assertGe(groupSeats, expected - 105, "group near 5/3 seats per panel");
        assertLe(groupSeats, expected + 105, "group near 5/3 seats per panel");
        // v1 de-duplicated draws gave an address at most one seat per panel: at most PANELS seats in all.
        assertGe(whaleSeats, PANELS + 150, "a third of the tickets holds more than one seat per panel");
    }

    /// @notice v1's tree held at most 1,024 operators per role and a weight update on a full tree reverted (also
    ///      inside a slash). Here 1,100 verifiers hold weight, and after the minimum is lowered a slash that brings a
    ///      previously unweighted operator into the tree succeeds.
    function test_slash_neverRevertsBeyond1024OperatorsAfterMinimumLowered() public {
        for (uint256 i = 0; i < 1_100; i++) _stake(_operatorAt(i), 600e18, V);
        _stake(alice, 400e18, V); // below the minimum: no weight
        assertEq(staking.operatorCount(V), 1_100, "beyond v1's capacity");
        staking.setParams(
            IStaking.StakingParams({
                minWorkerStake: MIN_WORKER,
                minVerifierStake: 300e18,
                unbondingDelay: UNBONDING,
                jailDuration: JAIL
            })
        );
        assertEq(_slash(alice, 1e18, 0, false), 1e18, "slashed");
        assertEq(staking.weightOf(alice, V), 399, "inserted into the tree");
        assertEq(staking.operatorCount(V), 1_101, "count");
    }

    /// @notice Each of the 20 split addresses holds 1,000 tickets: none ever holds more seats than that, and the
    ///         whale's seats in one panel reach several.
    function test_drawPanel_whaleHoldsSeveralSeats() public {
        _stakeThirds();
        uint256 maxWhale;
        for (uint256 k = 0; k < 50; k++) {
            uint256 c = _countOf(_panel(V, k, SEATS, _none()), whale);
            if (c > maxWhale) maxWhale = c;
        }
        assertGe(maxWhale, 3, "an address votes with every seat it holds");
    }
}

/// @notice Gas of the bounded loops at their bounds. Stakes are made in `setUp`, so the measured call reads cold
///         storage as a real transaction does.
contract StakingGasTest is StakingBase {
    uint256 internal constant VERIFIERS = 600;
    uint256 internal constant WORKERS = 300;
    uint256 internal constant PANEL_GAS_BUDGET = 3_000_000;
    uint256 internal constant ASSIGN_GAS_BUDGET = 400_000;

    function setUp() public override {
        super.setUp();
        for (uint256 i = 0; i < VERIFIERS; i++) _stake(_operatorAt(i), 500e18 + (i % 7) * 100e18, V);
        for (uint256 i = 0; i < WORKERS; i++) _stake(_operatorAt(10_000 + i), 1_000e18, W);
        _freeze();
    }

    /// @notice A panel of MAX_PANEL_SEATS with MAX_EXCLUDED parties (all staked) among 600 verifiers stays under
    ///         3M gas.
    function test_gas_drawPanelAtMaxSeatsAndExclusions() public view {
        address[] memory excluded = new address[](staking.MAX_EXCLUDED());
        for (uint256 i = 0; i < excluded.length; i++) excluded[i] = _operatorAt(i * 11);
        uint256 seats = staking.MAX_PANEL_SEATS();

        uint256 before = gasleft();
        address[] memory panel = _panel(V, 12345, seats, excluded);
        uint256 used = before - gasleft();

        assertEq(panel.length, seats, "full panel");
        for (uint256 i = 0; i < excluded.length; i++) assertEq(_countOf(panel, excluded[i]), 0, "excluded");
        assertLe(used, PANEL_GAS_BUDGET, "drawPanel(31 seats, 48 excluded)");
    }

    /// @notice The worst assignWorker: MAX_WORKER_DRAWS rejected candidates (none covers the collateral), two
    ///         staked exclusions.
    function test_gas_assignWorkerAtMaxDraws() public {
        vm.prank(locker);
        uint256 before = gasleft();
        address worker = staking.assignWorker(99, _operatorAt(10_000), _operatorAt(10_001), 2_000e18);
        uint256 used = before - gasleft();
        assertEq(worker, address(0), "nobody");
        assertLe(used, ASSIGN_GAS_BUDGET, "assignWorker, 8 rejected draws");
    }
}
