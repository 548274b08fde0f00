// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {HubParamsBounds} from "../../../../contracts/v1/HubParamsBounds.sol";
import {InferenceHubV1} from "../../../../contracts/v1/InferenceHubV1.sol";
import {ModelRegistryV1} from "../../../../contracts/v1/ModelRegistryV1.sol";
import {OPGToken} from "../../../../contracts/token/OPGToken.sol";
import {StakingV1} from "../../../../contracts/v1/StakingV1.sol";
import {IInferenceHubV1} from "../../../../contracts/v1/interfaces/IInferenceHubV1.sol";
import {IModelRegistryV1} from "../../../../contracts/v1/interfaces/IModelRegistryV1.sol";
import {IRandomnessSourceV1} from "../../../../contracts/v1/interfaces/IRandomnessSourceV1.sol";
import {IStakingV1} from "../../../../contracts/v1/interfaces/IStakingV1.sol";
import {MockRandomnessV1} from "../../../../contracts/v1/mocks/MockRandomnessV1.sol";
import {BaseTest} from "../../utils/BaseTest.sol";

/// @notice Deploys the real protocol (token, registry, staking, hub, deterministic randomness) with short windows,
///         owned by the deploying test contract, which also holds the whole token supply.
/// @dev Shared by the hub unit/fuzz tests and the invariant campaign. The test contract (not a factory) deploys so
///      that no single contract has to embed all creation codes under the EIP-170 size limit.
abstract contract ProtocolDeployer is BaseTest {
    uint256 internal constant SUPPLY = 1_000_000_000e18;
    uint8 internal constant ROLE_WORKER = 1;
    uint8 internal constant ROLE_VERIFIER = 2;

    uint96 internal constant MIN_WORKER_STAKE = 1_000e18;
    uint96 internal constant MIN_VERIFIER_STAKE = 500e18;
    uint32 internal constant UNBONDING_DELAY = 3_600;
    uint32 internal constant JAIL_DURATION = 600;

    uint32 internal constant RESPONSE_TIMEOUT = 60;
    uint32 internal constant CHALLENGE_WINDOW = 120;
    uint32 internal constant COMMIT_WINDOW = 60;
    uint32 internal constant REVEAL_WINDOW = 60;
    uint96 internal constant CHALLENGE_BOND = 10e18;

    address internal constant TREASURY = address(0x7EA5);

    struct Protocol {
        OPGToken token;
        ModelRegistryV1 registry;
        StakingV1 staking;
        InferenceHubV1 hub;
        MockRandomnessV1 randomness;
        address treasury;
    }

    function _defaultStakingParams() internal pure returns (IStakingV1.StakingParams memory) {
        return
            IStakingV1.StakingParams({
                minWorkerStake: MIN_WORKER_STAKE,
                minVerifierStake: MIN_VERIFIER_STAKE,
                unbondingDelay: UNBONDING_DELAY,
                jailDuration: JAIL_DURATION
            });
    }

    function _defaultHubParams(
        IRandomnessSourceV1 randomness
    ) internal pure returns (IInferenceHubV1.HubParams memory) {
        return
            IInferenceHubV1.HubParams({
                protocolFeeBps: 500,
                verifierShareBps: 1_000,
                stakeToFeeRatio: 10,
                slashBps: 1_000,
                challengerRewardBps: 5_000,
                voterRewardBps: 2_000,
                livenessPenaltyBps: 1_000,
                nonRevealPenaltyBps: 100,
                maxAttempts: 3,
                committeeSize: 3,
                responseTimeout: RESPONSE_TIMEOUT,
                challengeWindow: CHALLENGE_WINDOW,
                commitWindow: COMMIT_WINDOW,
                revealWindow: REVEAL_WINDOW,
                maxCallbackGas: 500_000,
                maxInputBytes: 4_096,
                maxOutputBytes: 4_096,
                challengeBond: CHALLENGE_BOND,
                minRequestFee: 0,
                treasury: TREASURY,
                randomness: randomness
            });
    }

    /// @notice Deploys with the default parameters (the hub's randomness is always the deployed mock).
    function _deployProtocol() internal returns (Protocol memory p) {
        return _deployProtocol(_defaultStakingParams(), _defaultHubParams(IRandomnessSourceV1(address(1))));
    }

    function _deployProtocol(
        IStakingV1.StakingParams memory stakingParams,
        IInferenceHubV1.HubParams memory hubParams
    ) internal returns (Protocol memory p) {
        p.token = new OPGToken(address(this), SUPPLY);
        p.registry = new ModelRegistryV1();
        p.staking = new StakingV1(IERC20(address(p.token)), stakingParams, address(this));
        p.randomness = new MockRandomnessV1();
        hubParams.randomness = p.randomness;
        p.hub = new InferenceHubV1(
            IERC20(address(p.token)),
            p.staking,
            p.registry,
            new HubParamsBounds(),
            hubParams,
            address(this)
        );
        p.staking.setHub(address(p.hub));
        p.treasury = hubParams.treasury;
        vm.label(address(p.token), "OPGToken");
        vm.label(address(p.registry), "ModelRegistryV1");
        vm.label(address(p.staking), "StakingV1");
        vm.label(address(p.hub), "InferenceHubV1");
        vm.label(address(p.randomness), "MockRandomnessV1");
        vm.label(p.treasury, "treasury");
    }

    /// @notice Sends `amount` OPG from this contract to `who` and approves the hub and staking for it.
    function _fund(Protocol memory p, address who, uint256 amount) internal {
        if (amount != 0) p.token.transfer(who, amount);
        vm.startPrank(who);
        p.token.approve(address(p.hub), type(uint256).max);
        p.token.approve(address(p.staking), type(uint256).max);
        vm.stopPrank();
    }

    function _stake(Protocol memory p, address who, uint256 amount, uint8 roles) internal {
        vm.prank(who);
        p.staking.stake(amount, roles);
    }

    function _deposit(Protocol memory p, address who, uint256 amount) internal {
        vm.prank(who);
        p.hub.deposit(amount);
    }

    function _registerModel(
        Protocol memory p,
        address owner,
        IModelRegistryV1.VerificationMode mode,
        uint96 fee,
        uint16 royaltyBps
    ) internal returns (uint256 modelId) {
        // Computed before the prank: a view call in the arguments would consume it.
        bytes32 contentHash = keccak256(abi.encode("model", mode, fee, royaltyBps, p.registry.modelCount()));
        vm.prank(owner);
        modelId = p.registry.registerModel(
            IModelRegistryV1.ModelParams({
                contentHash: contentHash,
                uri: "ipfs://bafy-opg-test-model",
                fee: fee,
                mode: mode,
                outputDecimals: 6,
                tolerance: 1,
                royaltyRecipient: owner,
                royaltyBps: royaltyBps,
                schemaDigest: keccak256("schema")
            })
        );
    }

    function _requestParams(
        uint256 modelId,
        uint32 callbackGasLimit
    ) internal pure returns (IInferenceHubV1.RequestParams memory) {
        return
            IInferenceHubV1.RequestParams({
                modelId: modelId,
                input: hex"4f50470101010001000000023f80000040000000",
                inputUri: "",
                inputHash: bytes32(0),
                callbackGasLimit: callbackGasLimit,
                maxFee: type(uint256).max
            });
    }
}
