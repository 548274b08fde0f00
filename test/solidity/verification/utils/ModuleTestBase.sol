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
import {CourtDouble, RandomnessDouble, SettlementDouble, StakingDouble} from "./ModuleDoubles.sol";

/// @notice Deploys what the verification modules call: a test-double hub (MockModuleHub), and — until the real
///         contracts reach main — doubles of Staking, Settlement, DisputeCourt and BlockhashRandomness
///         (ModuleDoubles.sol) with the shipped default parameters. Moving to the real contracts changes this file
///         only: the deployment, and the three court controls at the bottom (`_decide`, `_closeJoins`,
///         `_addJuror`), which then drive a real jury.
abstract contract ModuleTestBase is BaseTest {
    uint256 internal constant T0 = 1_000_000;
    uint256 internal constant B0 = 100;
    uint256 internal constant BPS = 10_000;
    uint8 internal constant ROLE_WORKER = 1;
    uint8 internal constant ROLE_VERIFIER = 2;
    uint8 internal constant SLASHER = 2;
    uint8 internal constant BONDS = 2;
    uint256 internal constant VERIFIER_STAKE = 1_000e18;
    uint96 internal constant CHALLENGE_BOND = 100e18;
    uint256 internal constant COLLATERAL = 110e18;
    uint256 internal constant MAX_CODE_SIZE = 20_480;

    address internal constant TREASURY = address(0x7EA5);
    address internal constant WORKER = address(0x1000);
    address internal constant REQUESTER = address(0x3000);
    address internal constant OWNER_B = address(0xB0B);

    MockERC20 internal token;
    StakingDouble internal staking;
    SettlementDouble internal settlement;
    CourtDouble internal court;
    RandomnessDouble internal randomness;
    MockModuleHub internal hub;
    address[] internal verifiers;

    function _deployProtocol() internal {
        vm.warp(T0);
        vm.roll(B0);
        token = new MockERC20("OPG", "OPG");
        staking = new StakingDouble(token);
        settlement = new SettlementDouble(token, TREASURY);
        staking.setSettlement(address(settlement));
        court = new CourtDouble(_defaultCourtParams());
        randomness = new RandomnessDouble();
        hub = new MockModuleHub();
    }

    function _defaultCourtParams() internal pure returns (IDisputeCourt.CourtParams memory) {
        return
            IDisputeCourt.CourtParams({
                jurySize: 5,
                appealJurySize: 11,
                maxChallengers: 8,
                slashBps: 1_000,
                defenderSlashBps: 1_000,
                challengerRewardBps: 1_500,
                voterRewardBps: 1_000,
                minorityPenaltyBps: 50,
                nonRevealPenaltyBps: 100,
                drawWindow: 600,
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

    function _stake(address operator, uint256 amount, uint8 roles) internal {
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
            _stake(verifier, amount, ROLE_VERIFIER);
        }
    }

    /// @dev Free balance in the settlement contract (what challenge bonds are taken from).
    function _fundBalance(address account, uint256 amount) internal {
        token.mint(account, amount);
        vm.startPrank(account);
        token.approve(address(settlement), amount);
        settlement.deposit(amount);
        vm.stopPrank();
    }

    function _job() internal view returns (IVerificationModule.Job memory) {
        return
            IVerificationModule.Job({
                worker: WORKER,
                requester: REQUESTER,
                modelId: 1,
                resultHash: keccak256("output"),
                isError: false,
                collateral: COLLATERAL,
                fee: 11e18,
                submittedAt: uint64(block.timestamp)
            });
    }

    // ------------------------------------------------------------------------------------------------- court controls

    /// @dev Ends (or keeps Pending) the case of `requestId` with `outcome`; `majority` = the deciding seats.
    function _decide(uint256 requestId, IDisputeCourt.Outcome outcome, address[] memory majority) internal {
        court.decide(requestId, outcome, majority);
    }

    /// @dev Brings the case past round 1's commit deadline (no more challengers may join).
    function _closeJoins(uint256 requestId) internal {
        court.closeJoins(requestId);
    }

    /// @dev Locks `amount` of `operator`'s stake as the collateral of some open job (the hub's LOCKER path).
    function _lockCollateral(address operator, uint128 amount) internal {
        staking.lock(operator, amount);
    }

    /// @dev Makes `account` a juror of the case.
    function _addJuror(uint256 requestId, address account) internal {
        court.addJuror(requestId, account);
    }

    function _one(address a) internal pure returns (address[] memory list) {
        list = new address[](1);
        list[0] = a;
    }
}
