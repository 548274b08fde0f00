// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {MockERC20} from "../../../contracts/mocks/MockERC20.sol";
import {Staking} from "../../../contracts/staking/Staking.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice Stands in for the inference hub as the lifecycle source: a settable `maxLifecycleDuration`.
contract MockLifecycleSource {
    uint256 public maxLifecycleDuration;

    constructor(uint256 maxLifecycleDuration_) {
        maxLifecycleDuration = maxLifecycleDuration_;
    }

    function setMaxLifecycleDuration(uint256 maxLifecycleDuration_) external {
        maxLifecycleDuration = maxLifecycleDuration_;
    }
}

/// @notice Shared set-up of the Staking suites: token, staking with the shipped defaults, a locker, a slasher and a
///         settlement address.
abstract contract StakingBase is BaseTest {
    uint8 internal constant W = 1;
    uint8 internal constant V = 2;
    uint8 internal constant WV = 3;

    uint128 internal constant MIN_WORKER = 1_000e18;
    uint128 internal constant MIN_VERIFIER = 500e18;
    uint32 internal constant UNBONDING = 7 days;
    uint32 internal constant JAIL = 1 days;
    uint256 internal constant LIFECYCLE = 1 hours;
    uint256 internal constant T0 = 1_000_000;

    MockERC20 internal token;
    MockLifecycleSource internal source;
    Staking internal staking;

    address internal locker = address(0x10CCE5);
    address internal slasher = address(0x51A5E5);
    address internal settlementAddr = address(0x5E771E);
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    address internal carol = address(0xCA801);
    address internal stranger = address(0x5757);

    function setUp() public virtual {
        vm.warp(T0);
        token = new MockERC20("OPG", "OPG");
        source = new MockLifecycleSource(LIFECYCLE);
        staking = new Staking(IERC20(address(token)), _defaultParams(), SNAPSHOT_PERIOD, address(this));
        staking.setLifecycleSource(address(source));
        staking.setSettlement(settlementAddr);
        staking.setPermissions(locker, staking.LOCKER());
        staking.setPermissions(slasher, staking.SLASHER());
    }

    function _defaultParams() internal pure returns (IStaking.StakingParams memory) {
        return
            IStaking.StakingParams({
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

    function _op(address who) internal view returns (IStaking.Operator memory) {
        return staking.getOperator(who);
    }

    function _assign(uint256 seed, uint256 collateral) internal returns (address) {
        vm.prank(locker);
        return staking.assignWorker(seed, address(0), address(0), collateral);
    }

    function _slash(address who, uint256 amount, uint256 released, bool jail) internal returns (uint256) {
        vm.prank(slasher);
        return staking.slash(who, amount, released, jail);
    }

    /// @dev Moves to the next snapshot epoch, so that panels drawn from now on see every weight set so far.
    function _freeze() internal {
        vm.warp(block.timestamp + SNAPSHOT_PERIOD);
    }

    /// @dev A panel for randomness requested now (drawn from the weights at the start of this epoch).
    function _panel(
        uint8 role,
        uint256 seed,
        uint256 seats,
        address[] memory excluded
    ) internal view returns (address[] memory members) {
        (members, ) = staking.drawPanel(role, seed, seats, excluded, block.timestamp);
    }

    function _none() internal pure returns (address[] memory) {
        return new address[](0);
    }

    function _countOf(address[] memory list, address who) internal pure returns (uint256 n) {
        for (uint256 i = 0; i < list.length; i++) {
            if (list[i] == who) n++;
        }
    }

    function _operatorAt(uint256 i) internal pure returns (address) {
        return address(uint160(0x100000 + i));
    }
}
