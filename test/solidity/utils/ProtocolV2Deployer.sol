// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {InferenceHub} from "../../../contracts/inference/InferenceHub.sol";
import {ICommitteeModule} from "../../../contracts/interfaces/ICommitteeModule.sol";
import {IDisputeCourt} from "../../../contracts/interfaces/IDisputeCourt.sol";
import {IInferenceHub} from "../../../contracts/interfaces/IInferenceHub.sol";
import {IModelRegistry} from "../../../contracts/interfaces/IModelRegistry.sol";
import {IRandomnessSource} from "../../../contracts/interfaces/IRandomnessSource.sol";
import {ISettlement} from "../../../contracts/interfaces/ISettlement.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {BlockhashRandomness} from "../../../contracts/randomness/BlockhashRandomness.sol";
import {ModelRegistry} from "../../../contracts/registry/ModelRegistry.sol";
import {Settlement} from "../../../contracts/settlement/Settlement.sol";
import {Staking} from "../../../contracts/staking/Staking.sol";
import {OPGToken} from "../../../contracts/token/OPGToken.sol";
import {CommitteeModule} from "../../../contracts/verification/CommitteeModule.sol";
import {DisputeCourt} from "../../../contracts/verification/DisputeCourt.sol";
import {NoneModule} from "../../../contracts/verification/NoneModule.sol";
import {OptimisticModule} from "../../../contracts/verification/OptimisticModule.sol";
import {BaseTest} from "./BaseTest.sol";

/// @notice Deploys the whole v2 protocol with the real contracts — OPGToken, Staking, Settlement, ModelRegistry,
///         InferenceHub, DisputeCourt, NoneModule, OptimisticModule, CommitteeModule — with the shipped default
///         parameters (ignition/defaults.ts), and wires it exactly as `ignition/modules/Verification.ts` does:
///         Staking LOCKER|SLASHER to the hub and SLASHER to the court and the committee module; Settlement FEES|BONDS
///         to the hub and BONDS to the court and both bonding modules; the registry's suspender is the hub; the
///         court knows the hub and both modules; the hub enables modes 0 NONE, 1 OPTIMISTIC, 2 COMMITTEE; Staking
///         sends slashes to Settlement and checks the unbonding delay against the hub's lifecycle.
/// @dev The test contract that inherits this deploys everything and owns every contract (it plays governance) and
///      holds the whole token supply; nothing is handed to a timelock. The test contract, not a factory, deploys so
///      that no single deployed contract has to embed all creation codes under the EIP-170 size limit.
///      Randomness: the real {BlockhashRandomness} by default, with the shipped delay (96 blocks). A ticket is
///      `block.number + delay` at request time and is Ready once the chain has moved past it, for 256 blocks; a
///      test moves the chain with `vm.roll` (and time with it: 12 s a block keeps the shipped draw windows
///      meaningful) and gives the ticket's block a hash of its choice with {_feedBlockhash}, so draws stay fuzzable
///      and the real expiry rule (a ticket more than 256 blocks old is Expired and the consumer requests a new one)
///      is reachable with a longer roll. This is what lets an invariant campaign progress through committee and
///      jury draws with the production source and its production delay.
///      Tests that want to set words directly pass a {MockRandomnessSource} to {_deployProtocolV2With}.
abstract contract ProtocolV2Deployer is BaseTest {
    uint256 internal constant SUPPLY = 1_000_000_000e18;
    uint8 internal constant ROLE_WORKER = 1;
    uint8 internal constant ROLE_VERIFIER = 2;
    uint8 internal constant ROLE_BOTH = 3;
    uint8 internal constant LOCKER = 1;
    uint8 internal constant SLASHER = 2;
    uint8 internal constant FEES = 1;
    uint8 internal constant BONDS = 2;
    uint8 internal constant MODE_NONE = 0;
    uint8 internal constant MODE_OPTIMISTIC = 1;
    uint8 internal constant MODE_COMMITTEE = 2;

    address internal constant TREASURY = address(0x7EA5);

    // Shipped defaults (ignition/defaults.ts).
    uint128 internal constant MIN_WORKER_STAKE = 1_000e18;
    uint128 internal constant MIN_VERIFIER_STAKE = 500e18;
    uint32 internal constant UNBONDING_DELAY = 7 days;
    uint32 internal constant JAIL_DURATION = 1 days;
    uint96 internal constant MIN_FEE = 1e17;
    uint32 internal constant CHALLENGE_WINDOW = 600;
    uint96 internal constant CHALLENGE_BOND = 10e18;
    /// @notice Shipped BlockhashRandomness delay (blocks between a draw's trigger and its word).
    uint256 internal constant RANDOMNESS_DELAY = 96;

    struct ProtocolV2 {
        OPGToken token;
        Staking staking;
        Settlement settlement;
        ModelRegistry registry;
        IRandomnessSource randomness;
        InferenceHub hub;
        DisputeCourt court;
        NoneModule none;
        OptimisticModule optimistic;
        CommitteeModule committee;
        address treasury;
    }

    // ------------------------------------------------------------------------------------------------- defaults

    function _defaultStakingParams() internal pure returns (IStaking.StakingParams memory) {
        return
            IStaking.StakingParams({
                minWorkerStake: MIN_WORKER_STAKE,
                minVerifierStake: MIN_VERIFIER_STAKE,
                unbondingDelay: UNBONDING_DELAY,
                jailDuration: JAIL_DURATION
            });
    }

    function _defaultHubParams() internal pure returns (IInferenceHub.InferenceParams memory) {
        return
            IInferenceHub.InferenceParams({
                protocolFeeBps: 500,
                verifierShareBps: 1_000,
                stakeToFeeRatio: 10,
                livenessPenaltyBps: 1_000,
                maxAttempts: 3,
                declineThreshold: 3,
                responseTimeout: 300,
                maxCallbackGas: 500_000,
                maxInputBytes: 16 * 1024,
                maxOutputBytes: 16 * 1024,
                callbackFeePerGas: 1e10
            });
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

    function _defaultCommitteeParams() internal pure returns (ICommitteeModule.CommitteeParams memory) {
        return
            ICommitteeModule.CommitteeParams({
                committeeSize: 3,
                quorum: 2,
                silencePenaltyBps: 100,
                drawWindow: 1_800,
                commitWindow: 300,
                revealWindow: 300
            });
    }

    // ------------------------------------------------------------------------------------------------- deployment

    /// @notice The whole protocol with {BlockhashRandomness} and its shipped delay of 96 blocks.
    function _deployProtocolV2() internal returns (ProtocolV2 memory p) {
        return _deployProtocolV2With(new BlockhashRandomness(RANDOMNESS_DELAY));
    }

    /// @notice The whole protocol with the given randomness source (e.g. a MockRandomnessSource).
    function _deployProtocolV2With(IRandomnessSource randomness) internal returns (ProtocolV2 memory p) {
        address owner = address(this);
        p.treasury = TREASURY;
        p.randomness = randomness;
        p.token = new OPGToken(owner, SUPPLY);
        p.staking = new Staking(IERC20(address(p.token)), _defaultStakingParams(), SNAPSHOT_PERIOD, owner);
        p.settlement = new Settlement(IERC20(address(p.token)), TREASURY, owner);
        p.registry = new ModelRegistry(owner, MIN_FEE);
        p.hub = new InferenceHub(
            ISettlement(address(p.settlement)),
            IStaking(address(p.staking)),
            IModelRegistry(address(p.registry)),
            randomness,
            _defaultHubParams(),
            owner
        );
        p.court = new DisputeCourt(
            IStaking(address(p.staking)),
            ISettlement(address(p.settlement)),
            randomness,
            _defaultCourtParams(),
            owner
        );
        p.none = new NoneModule();
        p.optimistic = new OptimisticModule(
            IInferenceHub(address(p.hub)),
            IDisputeCourt(address(p.court)),
            ISettlement(address(p.settlement)),
            IStaking(address(p.staking)),
            CHALLENGE_WINDOW,
            owner
        );
        p.committee = new CommitteeModule(
            IInferenceHub(address(p.hub)),
            IDisputeCourt(address(p.court)),
            ISettlement(address(p.settlement)),
            IStaking(address(p.staking)),
            randomness,
            _defaultCommitteeParams(),
            owner
        );
        _wire(p);
        _label(p);
    }

    /// @dev ignition/modules/Verification.ts, call for call.
    function _wire(ProtocolV2 memory p) internal {
        p.staking.setSettlement(address(p.settlement));
        p.staking.setPermissions(address(p.hub), LOCKER | SLASHER);
        p.staking.setPermissions(address(p.court), SLASHER);
        p.staking.setPermissions(address(p.committee), SLASHER);
        p.settlement.setPermissions(address(p.hub), FEES | BONDS);
        p.settlement.setPermissions(address(p.court), BONDS);
        p.settlement.setPermissions(address(p.optimistic), BONDS);
        p.settlement.setPermissions(address(p.committee), BONDS);
        p.registry.setSuspender(address(p.hub));
        p.court.setHub(address(p.hub));
        p.court.setModule(address(p.optimistic), true);
        p.court.setModule(address(p.committee), true);
        p.hub.enableModule(MODE_NONE, address(p.none));
        p.hub.enableModule(MODE_OPTIMISTIC, address(p.optimistic));
        p.hub.enableModule(MODE_COMMITTEE, address(p.committee));
        p.staking.setLifecycleSource(address(p.hub));
    }

    function _label(ProtocolV2 memory p) internal {
        vm.label(address(p.token), "OPGToken");
        vm.label(address(p.staking), "Staking");
        vm.label(address(p.settlement), "Settlement");
        vm.label(address(p.registry), "ModelRegistry");
        vm.label(address(p.randomness), "Randomness");
        vm.label(address(p.hub), "InferenceHub");
        vm.label(address(p.court), "DisputeCourt");
        vm.label(address(p.none), "NoneModule");
        vm.label(address(p.optimistic), "OptimisticModule");
        vm.label(address(p.committee), "CommitteeModule");
        vm.label(TREASURY, "treasury");
    }

    // ------------------------------------------------------------------------------------------------- actors

    /// @notice Sends `amount` OPG from the test contract (which holds the supply) to `account`.
    function _fund(ProtocolV2 memory p, address account, uint256 amount) internal {
        if (amount > 0) p.token.transfer(account, amount);
    }

    /// @notice `operator` stakes `amount` (already in its wallet) with `roles`.
    function _stake(ProtocolV2 memory p, address operator, uint256 amount, uint8 roles) internal {
        vm.startPrank(operator);
        p.token.approve(address(p.staking), amount);
        p.staking.stake(amount, roles);
        vm.stopPrank();
    }

    /// @notice `account` deposits `amount` (already in its wallet) into its free balance in Settlement.
    function _deposit(ProtocolV2 memory p, address account, uint256 amount) internal {
        vm.startPrank(account);
        p.token.approve(address(p.settlement), amount);
        p.settlement.deposit(amount);
        vm.stopPrank();
    }

    /// @notice Registers a TENSOR model owned by `owner` with `mode`, `fee` and `royaltyBps` (royalty to the owner).
    function _registerModel(
        ProtocolV2 memory p,
        address owner,
        uint8 mode,
        uint96 fee,
        uint16 royaltyBps
    ) internal returns (uint256 modelId) {
        IModelRegistry.ModelParams memory mp;
        mp.contentHash = keccak256(abi.encode("model", mode, fee, p.registry.modelCount()));
        mp.uri = "ipfs://model";
        mp.fee = fee;
        mp.mode = mode;
        mp.outputDecimals = 6;
        mp.tolerance = 10;
        mp.royaltyRecipient = owner;
        mp.royaltyBps = royaltyBps;
        mp.schemaDigest = keccak256("schema");
        vm.prank(owner);
        modelId = p.registry.registerModel(mp);
    }

    /// @notice Makes a {BlockhashRandomness} ticket readable: sets the hash of block `ticket` (which must be in the
    ///         past) to `keccak256(salt, ticket)`. No effect on the outcome rule: an old ticket stays Expired.
    function _feedBlockhash(uint256 ticket, bytes32 salt) internal {
        if (ticket < block.number) vm.setBlockhash(ticket, keccak256(abi.encode(salt, ticket)));
    }
}
