// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IInferenceHubV1} from "../../../contracts/v1/interfaces/IInferenceHubV1.sol";
import {IModelRegistryV1} from "../../../contracts/v1/interfaces/IModelRegistryV1.sol";
import {IStakingV1} from "../../../contracts/v1/interfaces/IStakingV1.sol";
import {ProtocolDeployer} from "./utils/ProtocolDeployer.sol";

/// @notice Hub arithmetic end to end on the real protocol: fee splits, dispute splits, collateral, capacity and the
///         gas of the largest loops (committee of 15, MAX_BATCH finalisation).
contract InferenceHubTest is ProtocolDeployer {
    uint256 internal constant T0 = 1_000_000;
    uint256 internal constant BPS = 10_000;
    uint256 internal constant BLOCK_GAS_BUDGET = 15_000_000;

    bytes internal constant OUTPUT = hex"4f50470101800600000000000000000f4240";
    bytes internal constant WRONG_OUTPUT = hex"4f50470101800600000000000000001e8480";

    Protocol internal p;
    address internal requester = address(0x3000);
    address internal modelOwner = address(0x40DE1);
    address internal worker = address(0x1000);
    address[] internal verifiers;

    function setUp() public {
        vm.warp(T0);
        vm.roll(100);
        p = _deployProtocol();
        _fund(p, requester, 10_000_000e18);
        _fund(p, modelOwner, 0);
        _fund(p, worker, 20_000_000e18);
    }

    // ------------------------------------------------------------------------------------------------- helpers

    function _addVerifiers(uint256 count, uint256 stakeEach) internal {
        for (uint256 i; i < count; ++i) {
            address verifier = address(uint160(0x2000 + verifiers.length));
            verifiers.push(verifier);
            _fund(p, verifier, stakeEach + 1_000e18);
            _stake(p, verifier, stakeEach, ROLE_VERIFIER);
            _deposit(p, verifier, 1_000e18);
        }
    }

    function _setHubParams(IInferenceHubV1.HubParams memory params) internal {
        p.hub.setParams(params);
    }

    function _request(uint256 modelId) internal returns (uint256 requestId) {
        IInferenceHubV1.RequestParams memory params = _requestParams(modelId, 0);
        vm.prank(requester);
        requestId = p.hub.request(params);
    }

    function _submit(uint256 requestId, bytes memory output) internal {
        address assigned = p.hub.getRequest(requestId).worker;
        vm.prank(assigned);
        p.hub.submitResult(requestId, output, false);
    }

    function _sumCredits(address[] memory accounts) internal view returns (uint256 sum) {
        for (uint256 i; i < accounts.length; ++i) sum += p.hub.creditsOf(accounts[i]);
    }

    /// @dev Everyone who can be credited in these tests (no duplicates).
    function _parties() internal view returns (address[] memory parties) {
        parties = new address[](verifiers.length + 4);
        parties[0] = modelOwner;
        parties[1] = worker;
        parties[2] = TREASURY;
        parties[3] = requester;
        for (uint256 i; i < verifiers.length; ++i) parties[i + 4] = verifiers[i];
    }

    function _total(uint256 modelId) internal view returns (uint256) {
        (uint256 modelFee, uint256 protocolFee) = p.hub.quote(modelId);
        return modelFee + protocolFee;
    }

    function _commitAndReveal(uint256 requestId, address[] memory jurors, bool uphold) internal {
        for (uint256 i; i < jurors.length; ++i) {
            bytes32 commitment = p.hub.voteCommitment(requestId, jurors[i], uphold, bytes32(i + 1));
            vm.prank(jurors[i]);
            p.hub.commitVote(requestId, commitment);
        }
        for (uint256 i; i < jurors.length; ++i) {
            vm.prank(jurors[i]);
            p.hub.revealVote(requestId, uphold, bytes32(i + 1));
        }
    }

    // ------------------------------------------------------------------------------------------------- fee split

    /// @notice NONE and COMMITTEE finalisation credit exactly the payer's debit: royalty and verifier shares round
    ///         down, the worker takes the model-fee residue and the treasury the protocol fee plus the per-verifier
    ///         division remainder.
    function testFuzz_feeSplitConservesWei(
        uint96 modelFee,
        uint16 royaltyBps,
        uint16 protocolFeeBps,
        uint16 verifierShareBps
    ) public {
        modelFee = uint96(bound(modelFee, 0, 1_000_000e18));
        royaltyBps = uint16(bound(royaltyBps, 0, 5_000));
        IInferenceHubV1.HubParams memory params = p.hub.params();
        params.protocolFeeBps = uint16(bound(protocolFeeBps, 0, 2_000));
        params.verifierShareBps = uint16(bound(verifierShareBps, 0, 3_000));
        _setHubParams(params);
        _stake(p, worker, 13_000_000e18, ROLE_WORKER);
        _addVerifiers(3, 1_000e18);
        _checkNoneSplit(modelFee, royaltyBps);
        _checkCommitteeSplit(modelFee, royaltyBps, params.verifierShareBps);
    }

    /// @dev NONE: final at submission; with no verifier work the worker also takes the verifier share.
    function _checkNoneSplit(uint96 modelFee, uint16 royaltyBps) internal {
        address[] memory parties = _parties();
        uint256 modelId = _registerModel(p, modelOwner, IModelRegistryV1.VerificationMode.NONE, modelFee, royaltyBps);
        uint256 total = _total(modelId);
        _deposit(p, requester, total + 1);
        uint256 balanceBefore = p.hub.balanceOf(requester);
        uint256 creditsBefore = _sumCredits(parties);
        uint256 id = _request(modelId);
        assertEq(balanceBefore - p.hub.balanceOf(requester), total, "NONE: payer debit");
        _submit(id, OUTPUT);
        assertEq(uint256(p.hub.getRequest(id).status), uint256(IInferenceHubV1.Status.Finalized), "NONE finalized");
        assertEq(_sumCredits(parties) - creditsBefore, total, "NONE: credits == debit");
        uint256 royalty = (uint256(modelFee) * royaltyBps) / BPS;
        assertEq(p.hub.creditsOf(modelOwner), royalty, "NONE: royalty");
        assertEq(p.hub.creditsOf(worker), modelFee - royalty, "NONE: worker takes the verifier share too");
        assertEq(p.hub.creditsOf(TREASURY), total - modelFee, "NONE: treasury == protocol fee");
    }

    /// @dev COMMITTEE: final when a quorum (2 of 3) attests; the two attesters share the verifier pay.
    function _checkCommitteeSplit(uint96 modelFee, uint16 royaltyBps, uint256 verifierShareBps) internal {
        address[] memory parties = _parties();
        uint256 modelId = _registerModel(
            p,
            modelOwner,
            IModelRegistryV1.VerificationMode.COMMITTEE,
            modelFee,
            royaltyBps
        );
        uint256 total = _total(modelId);
        _deposit(p, requester, total + 1);
        uint256 creditsBefore = _sumCredits(parties);
        uint256 treasuryBefore = p.hub.creditsOf(TREASURY);
        uint256 id = _request(modelId);
        _submit(id, OUTPUT);
        address[] memory committee = p.hub.committeeOf(id);
        assertEq(committee.length, 3, "committee drawn");
        for (uint256 i; i < 2; ++i) {
            vm.prank(committee[i]);
            p.hub.attest(id, true);
        }
        assertEq(uint256(p.hub.getRequest(id).status), uint256(IInferenceHubV1.Status.Finalized), "COMMITTEE final");
        assertEq(_sumCredits(parties) - creditsBefore, total, "COMMITTEE: credits == debit");
        uint256 verifierPay = (uint256(modelFee) * verifierShareBps) / BPS;
        assertEq(p.hub.creditsOf(committee[0]), verifierPay / 2, "COMMITTEE: attester share");
        assertEq(p.hub.creditsOf(committee[1]), verifierPay / 2, "COMMITTEE: attester share");
        assertEq(p.hub.creditsOf(committee[2]), 0, "COMMITTEE: silent member unpaid");
        assertEq(
            p.hub.creditsOf(TREASURY) - treasuryBefore,
            total - modelFee + (verifierPay % 2),
            "COMMITTEE: treasury == protocol fee + remainder"
        );
    }

    // ------------------------------------------------------------------------------------------------- reject split

    /// @notice A rejected result: the slashed stake arrives at the hub, and challenger (bond + reward), majority
    ///         voters and the treasury remainder add up to slashed + bond exactly; the requester gets its debit back.
    function testFuzz_rejectSplitConservesWei(
        uint256 workerStake,
        uint16 slashBps,
        uint16 challengerRewardBps,
        uint16 voterRewardBps
    ) public {
        workerStake = bound(workerStake, MIN_WORKER_STAKE, 10_000_000e18);
        IInferenceHubV1.HubParams memory params = p.hub.params();
        params.slashBps = uint16(bound(slashBps, 100, BPS));
        params.challengerRewardBps = uint16(bound(challengerRewardBps, 0, BPS));
        params.voterRewardBps = uint16(bound(voterRewardBps, 0, BPS - params.challengerRewardBps));
        _setHubParams(params);
        _stake(p, worker, workerStake, ROLE_WORKER);
        _addVerifiers(4, 1_000e18);

        uint256 modelId = _registerModel(p, modelOwner, IModelRegistryV1.VerificationMode.OPTIMISTIC, 7e18 + 3, 1_000);
        uint256 total = _total(modelId);
        _deposit(p, requester, total);
        uint256 id = _request(modelId);
        _submit(id, WRONG_OUTPUT);
        vm.prank(verifiers[0]);
        p.hub.challenge(id);
        address[] memory jurors = p.hub.jurorsOf(id);
        assertEq(jurors.length, 3, "jurors drawn");
        _commitAndReveal(id, jurors, false);
        _resolveAndCheckReject(id, total, params, jurors);
    }

    struct RejectSnapshot {
        uint256 slashable;
        uint256 collateral;
        uint256 hubTokens;
        uint256 stakingTokens;
        uint256 credits;
        uint256 challengerCredits;
        uint256 requesterBalance;
    }

    function _resolveAndCheckReject(
        uint256 id,
        uint256 total,
        IInferenceHubV1.HubParams memory params,
        address[] memory jurors
    ) internal {
        address[] memory parties = _parties();
        address challenger = verifiers[0];
        RejectSnapshot memory before = RejectSnapshot({
            slashable: p.staking.slashableStake(worker),
            collateral: p.hub.collateralOf(id),
            hubTokens: p.token.balanceOf(address(p.hub)),
            stakingTokens: p.token.balanceOf(address(p.staking)),
            credits: _sumCredits(parties),
            challengerCredits: p.hub.creditsOf(challenger),
            requesterBalance: p.hub.balanceOf(requester)
        });
        p.hub.resolveDispute(id);

        assertEq(uint256(p.hub.getRequest(id).status), uint256(IInferenceHubV1.Status.Rejected), "rejected");
        uint256 slashed = before.slashable - p.staking.slashableStake(worker);
        uint256 expected = (before.slashable * params.slashBps) / BPS;
        if (expected < before.collateral) expected = before.collateral;
        if (expected > before.slashable) expected = before.slashable;
        assertEq(slashed, expected, "slash == max(slashBps of slashable, collateral)");
        assertEq(p.token.balanceOf(address(p.hub)) - before.hubTokens, slashed, "slashed stake arrives at the hub");
        assertEq(before.stakingTokens - p.token.balanceOf(address(p.staking)), slashed, "slashed stake leaves staking");
        assertEq(p.hub.balanceOf(requester) - before.requesterBalance, total, "requester refunded in full");
        assertEq(_sumCredits(parties) - before.credits, slashed + CHALLENGE_BOND, "credits == slashed + bond");
        uint256 challengerReward = (slashed * params.challengerRewardBps) / BPS;
        assertEq(
            p.hub.creditsOf(challenger) - before.challengerCredits,
            CHALLENGE_BOND + challengerReward,
            "challenger: bond + reward"
        );
        uint256 perVoter = (slashed * params.voterRewardBps) / BPS / jurors.length;
        for (uint256 i; i < jurors.length; ++i) assertEq(p.hub.creditsOf(jurors[i]), perVoter, "voter reward");
        assertEq(
            p.hub.creditsOf(TREASURY),
            slashed - challengerReward - perVoter * jurors.length,
            "treasury takes the remainder"
        );
    }

    // ------------------------------------------------------------------------------------------------- collateral

    /// @notice A job locks exactly (model fee + protocol fee) * stakeToFeeRatio of the worker's free stake, released
    ///         on settlement.
    function testFuzz_collateralCoversStakeToFeeRatio(uint96 modelFee, uint16 ratio) public {
        modelFee = uint96(bound(modelFee, 0, 1_000e18));
        IInferenceHubV1.HubParams memory params = p.hub.params();
        params.stakeToFeeRatio = uint16(bound(ratio, 1, 1_000));
        _setHubParams(params);
        _stake(p, worker, 2_000_000e18, ROLE_WORKER);
        uint256 modelId = _registerModel(p, modelOwner, IModelRegistryV1.VerificationMode.OPTIMISTIC, modelFee, 0);
        uint256 total = _total(modelId);
        if (total != 0) _deposit(p, requester, total);

        uint256 id = _request(modelId);
        uint256 collateral = total * params.stakeToFeeRatio;
        assertEq(p.hub.collateralOf(id), collateral, "collateral == total fee * ratio");
        assertGe(p.hub.collateralOf(id), uint256(modelFee) * params.stakeToFeeRatio, "covers fee * ratio");
        IStakingV1.Operator memory op = p.staking.getOperator(worker);
        assertEq(op.locked, collateral, "locked");
        assertEq(p.staking.freeStake(worker), uint256(op.active) - collateral, "free == active - locked");

        _submit(id, OUTPUT);
        vm.warp(block.timestamp + CHALLENGE_WINDOW + 1);
        p.hub.finalize(id);
        assertEq(p.staking.getOperator(worker).locked, 0, "released on settlement");
    }

    /// @notice With 1,000 OPG staked and 210 OPG of collateral per job, the worker takes 4 jobs, the 5th finds no
    ///         worker, locked stake cannot be unstaked, and settling one job frees room for the next.
    function test_workerCannotTakeMoreJobsThanStakeCovers() public {
        _stake(p, worker, 1_000e18, ROLE_WORKER);
        uint256 modelId = _registerModel(p, modelOwner, IModelRegistryV1.VerificationMode.OPTIMISTIC, 20e18, 0);
        _deposit(p, requester, 200e18);
        uint256[] memory ids = new uint256[](4);
        for (uint256 i; i < 4; ++i) ids[i] = _request(modelId);
        assertEq(p.staking.getOperator(worker).locked, 840e18, "4 x 210 OPG locked");
        assertEq(p.staking.freeStake(worker), 160e18, "160 OPG free");

        IInferenceHubV1.RequestParams memory params = _requestParams(modelId, 0);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHubV1.HubNoWorkerAvailable.selector, modelId));
        vm.prank(requester);
        p.hub.request(params);

        vm.expectRevert(abi.encodeWithSelector(IStakingV1.StakingInsufficientFreeStake.selector, 161e18, 160e18));
        vm.prank(worker);
        p.staking.unstake(161e18);

        _submit(ids[0], OUTPUT);
        vm.warp(block.timestamp + CHALLENGE_WINDOW + 1);
        p.hub.finalize(ids[0]);
        uint256 id = _request(modelId);
        assertEq(p.hub.getRequest(id).worker, worker, "room for one more job");
        assertEq(p.staking.getOperator(worker).locked, 840e18, "still 4 jobs");
    }

    // ------------------------------------------------------------------------------------------------- gas

    /// @notice Committee of 15 (the maximum): drawing it, the quorum attestation that pays 8 verifiers, a dispute
    ///         with 15 jurors who all vote, and one where all 15 stay silent (15 penalty slashes) stay under 15M gas.
    function test_gas_maxCommitteeSize() public {
        IInferenceHubV1.HubParams memory params = p.hub.params();
        params.committeeSize = 15;
        _setHubParams(params);
        _stake(p, worker, 1_000_000e18, ROLE_WORKER);
        _addVerifiers(20, 1_000e18);
        uint256 modelId = _registerModel(p, modelOwner, IModelRegistryV1.VerificationMode.COMMITTEE, 1e18, 1_000);
        _deposit(p, requester, 10e18);

        // Draw of 15 and a quorum of 8 attestations.
        uint256 id = _request(modelId);
        uint256 gasUsed = _gasOfSubmit(id);
        address[] memory committee = p.hub.committeeOf(id);
        assertEq(committee.length, 15, "committee of 15");
        assertLe(gasUsed, BLOCK_GAS_BUDGET, "submit + draw of 15");
        for (uint256 i; i < 7; ++i) {
            vm.prank(committee[i]);
            p.hub.attest(id, true);
        }
        vm.prank(committee[7]);
        uint256 before = gasleft();
        p.hub.attest(id, true);
        gasUsed = before - gasleft();
        assertEq(uint256(p.hub.getRequest(id).status), uint256(IInferenceHubV1.Status.Finalized), "quorum of 8");
        assertLe(gasUsed, BLOCK_GAS_BUDGET, "finalising attestation paying 8");

        // Disputes with 15 jurors: all vote, then all silent.
        for (uint256 round; round < 2; ++round) {
            id = _request(modelId);
            _submit(id, OUTPUT);
            committee = p.hub.committeeOf(id);
            vm.prank(committee[0]);
            before = gasleft();
            p.hub.attest(id, false);
            assertLe(before - gasleft(), BLOCK_GAS_BUDGET, "dispute opening draws 15 jurors");
            address[] memory jurors = p.hub.jurorsOf(id);
            assertEq(jurors.length, 15, "15 jurors");
            if (round == 0) _commitAndReveal(id, jurors, true);
            else vm.warp(block.timestamp + COMMIT_WINDOW + REVEAL_WINDOW + 1);
            before = gasleft();
            p.hub.resolveDispute(id);
            gasUsed = before - gasleft();
            assertEq(uint256(p.hub.getRequest(id).status), uint256(IInferenceHubV1.Status.Finalized), "upheld");
            assertLe(gasUsed, BLOCK_GAS_BUDGET, round == 0 ? "resolve paying 15 voters" : "resolve with 15 slashes");
        }
    }

    /// @notice finalizeBatch at MAX_BATCH (100 requests) stays under 15M gas.
    function test_gas_finalizeBatchAtMaxBatch() public {
        uint256 maxBatch = p.hub.MAX_BATCH();
        _stake(p, worker, 1_000_000e18, ROLE_WORKER);
        uint256 modelId = _registerModel(p, modelOwner, IModelRegistryV1.VerificationMode.OPTIMISTIC, 1e18, 1_000);
        _deposit(p, requester, maxBatch * _total(modelId));
        uint256[] memory ids = new uint256[](maxBatch);
        for (uint256 i; i < maxBatch; ++i) {
            ids[i] = _request(modelId);
            _submit(ids[i], OUTPUT);
        }
        vm.warp(block.timestamp + CHALLENGE_WINDOW + 1);
        uint256 before = gasleft();
        uint256 finalized = p.hub.finalizeBatch(ids);
        uint256 gasUsed = before - gasleft();
        assertEq(finalized, maxBatch, "all finalized");
        assertLe(gasUsed, BLOCK_GAS_BUDGET, "finalizeBatch(MAX_BATCH)");
    }

    function _gasOfSubmit(uint256 id) internal returns (uint256) {
        address assigned = p.hub.getRequest(id).worker;
        bytes memory output = OUTPUT;
        vm.prank(assigned);
        uint256 before = gasleft();
        p.hub.submitResult(id, output, false);
        return before - gasleft();
    }
}
