// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MockERC20} from "../../../../contracts/mocks/MockERC20.sol";
import {MockModuleHub} from "../../../../contracts/mocks/MockModuleHub.sol";
import {IDisputeCourt} from "../../../../contracts/interfaces/IDisputeCourt.sol";
import {IInferenceHub} from "../../../../contracts/interfaces/IInferenceHub.sol";
import {IRandomnessSource} from "../../../../contracts/interfaces/IRandomnessSource.sol";
import {ISettlement} from "../../../../contracts/interfaces/ISettlement.sol";
import {IStaking} from "../../../../contracts/interfaces/IStaking.sol";
import {IVerificationModule} from "../../../../contracts/interfaces/IVerificationModule.sol";
import {BaseTest} from "../../utils/BaseTest.sol";
import {Settlement} from "../../../../contracts/settlement/Settlement.sol";
import {BlockhashRandomness} from "../../../../contracts/randomness/BlockhashRandomness.sol";
import {Staking} from "../../../../contracts/staking/Staking.sol";
import {CourtDouble} from "./CourtDouble.sol";

/// @notice Deploys what the verification modules call with the shipped default parameters: a test-double hub
///         (MockModuleHub), the real Staking, Settlement and BlockhashRandomness, and — until the real DisputeCourt
///         reaches main — a court double (CourtDouble.sol). Moving to the real court changes this file only: the
///         deployment, and the court controls at the bottom (`_decide`, `_closeJoins`, `_addJuror`), which then drive
///         a real jury.
abstract contract ModuleTestBase is BaseTest {
    uint256 internal constant T0 = 1_000_000;
    uint256 internal constant B0 = 100;
    uint256 internal constant BPS = 10_000;
    uint8 internal constant ROLE_WORKER = 1;
    uint8 internal constant ROLE_VERIFIER = 2;
    uint8 internal constant LOCKER = 1;
    uint8 internal constant SLASHER = 2;
    uint8 internal constant BONDS = 2;
    uint256 internal constant VERIFIER_STAKE = 1_000e18;
    uint96 internal constant CHALLENGE_BOND = 100e18;
    uint256 internal constant COLLATERAL = 110e18;

    address internal constant TREASURY = address(0x7EA5);
    address internal constant WORKER = address(0x1000);
    address internal constant REQUESTER = address(0x3000);
    address internal constant OWNER_B = address(0xB0B);

    MockERC20 internal token;
    Staking internal staking;
    Settlement internal settlement;
    CourtDouble internal court;
    BlockhashRandomness internal randomness;
    MockModuleHub internal hub;
    address[] internal verifiers;

    function _deployProtocol() internal {
        vm.warp(T0);
        vm.roll(B0);
        token = new MockERC20("OPG", "OPG");
        staking = new Staking(
            token,
            IStaking.StakingParams({
                minWorkerStake: 1_000e18,
                minVerifierStake: 500e18,
                unbondingDelay: 7 days,
                jailDuration: 1 days
            }),
            SNAPSHOT_PERIOD,
            address(this)
        );
        settlement = new Settlement(token, TREASURY, address(this));
        staking.setSettlement(address(settlement));
        // The test contract stands in for the hub's LOCKER role and for a slasher (to jail in set-ups).
        staking.setPermissions(address(this), LOCKER | SLASHER);
        court = new CourtDouble(_defaultCourtParams());
        randomness = new BlockhashRandomness(1); // local-chain delay: ticket = next block
        hub = new MockModuleHub();
    }

    function _defaultCourtParams() internal pure returns (IDisputeCourt.CourtParams memory) {
        return
            IDisputeCourt.CourtParams({
                jurySize: 9,
                appealJurySize: 15,
                maxChallengers: 8,
                slashBps: 1_000,
                defenderSlashBps: 1_000,
                challengerRewardBps: 1_500,
                voterRewardBps: 1_000,
                minorityPenaltyBps: 50,
                nonRevealPenaltyBps: 100,
                drawWindow: 1_800,
                commitWindow: 300,
                revealWindow: 300,
                challengeBond: CHALLENGE_BOND
            });
    }

    /// @dev Grants `module` what governance grants a verification module: court module, SLASHER, BONDS, hub mode.
    function _allowModule(address module) internal {
        court.setModule(module, true);
        staking.setPermissions(module, SLASHER);
        settlement.setPermissions(module, BONDS);
        hub.addModule(module);
    }

    // ------------------------------------------------------------------------------------------------- typed views

    function _hub() internal view returns (IInferenceHub) {
        return IInferenceHub(address(hub));
    }

    function _court() internal view returns (IDisputeCourt) {
        return IDisputeCourt(address(court));
    }

    function _settlement() internal view returns (ISettlement) {
        return ISettlement(address(settlement));
    }

    function _staking() internal view returns (IStaking) {
        return IStaking(address(staking));
    }

    function _randomness() internal view returns (IRandomnessSource) {
        return IRandomnessSource(address(randomness));
    }

    // ------------------------------------------------------------------------------------------------- actors

    /// @dev Stakes, then lets one snapshot epoch pass so that panels drawn from now on see the stake.
    function _stake(address operator, uint256 amount, uint8 roles) internal {
        _stakeNow(operator, amount, roles);
        vm.warp(block.timestamp + SNAPSHOT_PERIOD);
    }

    /// @dev Stakes without waiting: panels whose randomness is requested in this epoch do not see it.
    function _stakeNow(address operator, uint256 amount, uint8 roles) internal {
        token.mint(operator, amount);
        vm.startPrank(operator);
        token.approve(address(staking), amount);
        staking.stake(amount, roles);
        vm.stopPrank();
    }

    function _addVerifiers(uint256 count, uint256 amount) internal {
        for (uint256 i; i < count; ++i) {
            address verifier = address(uint160(0x2000 + verifiers.length));
            verifiers.push(verifier);
            _stakeNow(verifier, amount, ROLE_VERIFIER);
        }
        vm.warp(block.timestamp + SNAPSHOT_PERIOD);
    }

    /// @dev Free balance in the settlement contract (what challenge bonds are taken from).
    function _fundBalance(address account, uint256 amount) internal {
        token.mint(account, amount);
        vm.startPrank(account);
        token.approve(address(settlement), amount);
        settlement.deposit(amount);
        vm.stopPrank();
    }

    function _job() internal pure returns (IVerificationModule.Job memory) {
        return
            IVerificationModule.Job({
                worker: WORKER,
                requester: REQUESTER,
                modelId: 1,
                resultHash: keccak256("output"),
                isError: false,
                collateral: COLLATERAL,
                fee: 11e18
            });
    }

    // ------------------------------------------------------------------------------------------------- court controls

    /// @dev Ends the case of `requestId` with `outcome` and returns the majority seats the court reports (Upheld).
    function _decide(uint256 requestId, IDisputeCourt.Outcome outcome) internal returns (address[] memory majority) {
        if (outcome == IDisputeCourt.Outcome.Upheld) {
            majority = new address[](3);
            majority[0] = address(0xA1);
            majority[1] = address(0xA2);
            majority[2] = address(0xA1);
        }
        court.decide(requestId, outcome, majority);
        (, majority) = _court().outcomeOf(requestId);
    }

    /// @dev Brings the case past round 1's commit deadline (no more challengers may join); returns the court's error.
    function _closeJoins(uint256 requestId) internal returns (bytes memory expectedError) {
        court.closeJoins(requestId);
        return abi.encodeWithSelector(IDisputeCourt.CourtDeadlinePassed.selector, requestId, 0);
    }

    /// @dev A juror of the case's first round who holds a free balance (drawn, with a real court).
    function _juror(uint256 requestId) internal returns (address juror) {
        juror = verifiers[verifiers.length - 1];
        court.addJuror(requestId, juror);
    }

    /// @dev Locks `collateral` of `operator`'s stake as the collateral of a job, the way the hub does (a worker draw
    ///      in which `operator` is the only eligible worker: it takes the worker role for it).
    function _lockCollateral(address operator, uint256 collateral) internal {
        vm.prank(operator);
        staking.setRoles(ROLE_WORKER | ROLE_VERIFIER);
        assertEq(staking.assignWorker(uint256(keccak256("lock")), WORKER, REQUESTER, collateral), operator, "locked");
    }

    /// @dev Jails `operator` for the jail duration (a zero slash with jail).
    function _jail(address operator) internal {
        staking.slash(operator, 0, 0, true);
    }

    /// @dev Takes `operator` out of sortition (no roles).
    function _retire(address operator) internal {
        vm.prank(operator);
        staking.setRoles(0);
    }

    /// @dev Makes randomness `ticket` readable: moves past its block and gives it a hash.
    function _ready(uint256 ticket) internal {
        if (block.number <= ticket) vm.roll(ticket + 1);
        vm.setBlockhash(ticket, keccak256(abi.encode("block", ticket)));
    }

    /// @dev The defenders and further excluded addresses the module gave the court (the double records them; the
    ///      real court keeps them internal: with it, check `isParty` and the defenders' slash on Rejected instead).
    function _defenders(uint256 requestId) internal view returns (address[] memory) {
        return court.defendersOf(requestId);
    }

    function _excluded(uint256 requestId) internal view returns (address[] memory) {
        return court.excludedOf(requestId);
    }
}
