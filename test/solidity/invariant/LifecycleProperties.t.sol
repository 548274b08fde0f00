// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICommitteeModule} from "../../../contracts/interfaces/ICommitteeModule.sol";
import {IDisputeCourt} from "../../../contracts/interfaces/IDisputeCourt.sol";
import {IInferenceHub} from "../../../contracts/interfaces/IInferenceHub.sol";
import {IOptimisticModule} from "../../../contracts/interfaces/IOptimisticModule.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {ProtocolV2Deployer} from "../utils/ProtocolV2Deployer.sol";

/// @notice Fuzz properties of the v2 lifecycle rules that a random campaign rarely hits exactly, on the real protocol
///         (ProtocolV2Deployer, BlockhashRandomness): inclusive deadline edges (response, challenge window,
///         committee draw/commit/reveal, jury commit/reveal), quorum edges, the majority rule with ties, and the
///         tie → appeal → Undecided → Refunded path; nothing finalizes in the block of its own draw.
/// @dev Actors: one worker (5,000 OPG), one requester, sixteen verifiers with equal stakes (1,000 OPG), so panels are
///      drawable with any shipped panel size: a panel needs as many distinct non-party verifiers as seats
///      (IStaking.drawPanel), and a 15-seat appeal jury of an OPTIMISTIC case excludes its challenger.
contract LifecyclePropertiesTest is ProtocolV2Deployer {
    uint256 internal constant T0 = 1_000_000;
    uint256 internal constant B0 = 1_000;
    uint256 internal constant VERIFIERS = 16;
    address internal constant WORKER = address(0x1000);
    address internal constant REQUESTER = address(0x3000);
    address internal constant MODEL_OWNER = address(0x40DE1);
    bytes internal constant OUTPUT = hex"4f50470101800600000000000000000f4240";

    ProtocolV2 internal p;
    address[] internal verifiers;
    uint256 internal modelNone;
    uint256 internal modelOptimistic;
    uint256 internal modelCommittee;

    function setUp() public {
        vm.warp(T0);
        vm.roll(B0);
        p = _deployProtocolV2();
        _fund(p, WORKER, 5_000e18);
        _stake(p, WORKER, 5_000e18, ROLE_WORKER);
        _fund(p, REQUESTER, 10_000e18);
        _deposit(p, REQUESTER, 10_000e18);
        for (uint256 i; i < VERIFIERS; ++i) {
            address v = address(uint160(0x2000 + i));
            verifiers.push(v);
            _fund(p, v, 2_000e18);
            _stake(p, v, 1_000e18, ROLE_VERIFIER);
            _deposit(p, v, 1_000e18);
        }
        modelNone = _registerModel(p, MODEL_OWNER, MODE_NONE, 1e18, 1_000);
        modelOptimistic = _registerModel(p, MODEL_OWNER, MODE_OPTIMISTIC, 2e18, 500);
        modelCommittee = _registerModel(p, MODEL_OWNER, MODE_COMMITTEE, 3e18, 2_000);
        vm.warp(block.timestamp + SNAPSHOT_PERIOD); // panels see the stakes above from now on
    }

    // ------------------------------------------------------------------------------------------------- response

    /// @notice A result is accepted at any time up to and including the response deadline.
    function testFuzz_submit_acceptedUpToDeadlineInclusive(uint256 before) public {
        uint256 id = _request(modelNone);
        uint256 deadline = p.hub.getRequest(id).deadline;
        vm.warp(deadline - bound(before, 0, 300));
        vm.prank(WORKER);
        p.hub.submitResult(id, OUTPUT, false);
        assertEq(uint256(p.hub.getRequest(id).status), uint256(IInferenceHub.Status.Finalized), "finalized");
    }

    /// @notice From deadline + 1 a result is refused and the request can be reassigned (and not before).
    function testFuzz_submit_refusedAfterDeadline_reassignOnlyAfter(uint256 late) public {
        uint256 id = _request(modelNone);
        uint256 deadline = p.hub.getRequest(id).deadline;
        vm.warp(deadline);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubDeadlineNotReached.selector, id, deadline));
        p.hub.reassign(id);
        vm.warp(deadline + 1 + bound(late, 0, 1 days));
        vm.prank(WORKER);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubDeadlinePassed.selector, id, deadline));
        p.hub.submitResult(id, OUTPUT, false);
        uint256 activeBefore = p.staking.getOperator(WORKER).active;
        uint256 collateral = p.hub.collateralOf(id);
        uint256 penalty = (collateral * p.hub.params().livenessPenaltyBps) / 10_000;
        assertGe(penalty, 1, "a penalty is due");
        p.hub.reassign(id);
        assertEq(activeBefore - p.staking.getOperator(WORKER).active, penalty, "late worker penalised");
        assertGe(p.staking.getOperator(WORKER).jailedUntil, block.timestamp + JAIL_DURATION, "late worker jailed");
        // the only worker was the late one: the request expires with a full refund
        assertEq(uint256(p.hub.getRequest(id).status), uint256(IInferenceHub.Status.Expired), "expired");
        assertEq(p.staking.getOperator(WORKER).locked, 0, "collateral released");
    }

    /// @notice A decline is allowed up to and including the deadline, never after.
    function testFuzz_decline_inclusiveDeadline(uint256 offset, bool late) public {
        uint256 id = _request(modelNone);
        uint256 deadline = p.hub.getRequest(id).deadline;
        if (late) {
            vm.warp(deadline + 1 + bound(offset, 0, 1 days));
            vm.prank(WORKER);
            vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubDeadlinePassed.selector, id, deadline));
            p.hub.decline(id, "unreachable");
        } else {
            vm.warp(deadline - bound(offset, 0, 300));
            uint256 activeBefore = p.staking.getOperator(WORKER).active;
            vm.prank(WORKER);
            p.hub.decline(id, "unreachable");
            assertEq(p.staking.getOperator(WORKER).active, activeBefore, "no penalty for a decline");
            assertEq(p.staking.getOperator(WORKER).jailedUntil, 0, "not jailed for a decline");
        }
    }

    // ------------------------------------------------------------------------------------------------- optimistic

    /// @notice The challenge window is inclusive: a first challenge is accepted at `windowEnd - x` (x ≥ 0) and
    ///         refused from `windowEnd + 1`; the result is not final at `windowEnd` and final from `windowEnd + 1`.
    function testFuzz_optimistic_windowInclusive(uint256 offset, bool afterWindow) public {
        uint256 id = _request(modelOptimistic);
        vm.prank(WORKER);
        p.hub.submitResult(id, OUTPUT, false);
        uint256 windowEnd = p.hub.getRequest(id).deadline;
        if (afterWindow) {
            vm.warp(windowEnd + 1 + bound(offset, 0, 1 days));
            vm.prank(verifiers[0]);
            vm.expectRevert(abi.encodeWithSelector(IOptimisticModule.OptimisticWindowClosed.selector, id, windowEnd));
            p.optimistic.challenge(id);
            p.hub.finalize(id);
            assertEq(uint256(p.hub.getRequest(id).status), uint256(IInferenceHub.Status.Finalized), "final");
        } else {
            vm.warp(windowEnd - bound(offset, 0, CHALLENGE_WINDOW));
            vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubNotFinal.selector, id));
            p.hub.finalize(id);
            vm.prank(verifiers[0]);
            p.optimistic.challenge(id);
            assertEq(uint256(p.hub.getRequest(id).status), uint256(IInferenceHub.Status.Disputed), "disputed");
        }
    }

    // ------------------------------------------------------------------------------------------------- committee

    /// @notice The committee draw deadline is inclusive: drawable at `drawDeadline`, refused from `drawDeadline + 1`,
    ///         and an undrawn committee is Refunded only from `drawDeadline + 1` (worker unpaid and unslashed).
    function testFuzz_committee_drawDeadlineInclusive(uint256 offset, bool late) public {
        uint256 id = _request(modelCommittee);
        vm.prank(WORKER);
        p.hub.submitResult(id, OUTPUT, false);
        ICommitteeModule.Round memory r = p.committee.roundOf(id);
        _readyTicket(r.ticket);
        if (!late) {
            vm.warp(r.drawDeadline - bound(offset, 0, 300));
            vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubNotFinal.selector, id));
            p.hub.finalize(id);
            p.committee.drawCommittee(id);
            assertEq(p.committee.committeeOf(id).length, 3, "committee of exactly committeeSize seats");
            return;
        }
        vm.warp(r.drawDeadline + 1 + bound(offset, 0, 1 days));
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeDeadlinePassed.selector, id, r.drawDeadline));
        p.committee.drawCommittee(id);
        uint256 activeBefore = p.staking.getOperator(WORKER).active;
        p.hub.finalize(id);
        assertEq(uint256(p.hub.getRequest(id).status), uint256(IInferenceHub.Status.Refunded), "refunded");
        assertEq(p.settlement.creditsOf(WORKER), 0, "worker unpaid");
        assertEq(p.staking.getOperator(WORKER).active, activeBefore, "worker unslashed");
        assertEq(p.staking.getOperator(WORKER).locked, 0, "collateral released");
    }

    /// @notice Quorum edge: with members attesting agree / disagree / silent as fuzzed, the result is Accepted
    ///         exactly when agreeSeats ≥ quorum and disagreeSeats == 0 (after the reveals close), and otherwise can
    ///         be escalated (never both); silent seats are penalised silencePenaltyBps each, once.
    function testFuzz_committee_quorumEdge(uint256 votes, uint8 sizeSeed, uint8 quorumSeed) public {
        ICommitteeModule.CommitteeParams memory cp = _defaultCommitteeParams();
        cp.committeeSize = uint8(1 + 2 * (sizeSeed % 3));
        cp.quorum = uint8(bound(quorumSeed, cp.committeeSize / 2 + 1, cp.committeeSize));
        p.committee.setParams(cp);
        uint256 id = _request(modelCommittee);
        vm.prank(WORKER);
        p.hub.submitResult(id, OUTPUT, false);
        _readyTicket(p.committee.roundOf(id).ticket);
        p.committee.drawCommittee(id);
        address[] memory members = _unique(p.committee.committeeOf(id));
        uint256 agree;
        uint256 disagree;
        for (uint256 i; i < members.length; ++i) {
            uint256 v = (votes >> (2 * i)) % 3; // 0 agree, 1 disagree, 2 silent
            if (v == 2) continue;
            uint256 seats = p.committee.attestationOf(id, members[i]).seats;
            bytes32 commitment = p.committee.attestationCommitment(id, members[i], v == 0, keccak256(abi.encode(i)));
            vm.prank(members[i]);
            p.committee.commitAttestation(id, commitment);
            if (v == 0) agree += seats;
            else disagree += seats;
        }
        ICommitteeModule.Round memory r = p.committee.roundOf(id);
        vm.warp(r.commitDeadline + 1);
        vm.roll(block.number + 1);
        for (uint256 i; i < members.length; ++i) {
            uint256 v = (votes >> (2 * i)) % 3;
            if (v == 2) continue;
            vm.prank(members[i]);
            p.committee.revealAttestation(id, v == 0, keccak256(abi.encode(i)));
        }
        vm.warp(r.revealDeadline + 1);
        bool approved = agree >= cp.quorum && disagree == 0;
        if (approved) {
            vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeCannotEscalate.selector, id));
            p.committee.escalate(id);
            p.hub.finalize(id);
            assertEq(uint256(p.hub.getRequest(id).status), uint256(IInferenceHub.Status.Finalized), "accepted");
        } else {
            vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubNotFinal.selector, id));
            p.hub.finalize(id);
            p.committee.escalate(id);
            assertTrue(p.committee.isDisputed(id), "escalated to the court");
        }
    }

    /// @notice Nothing finalizes in the block of its own draw: a committee that drew, committed and revealed all in
    ///         one block is final only from the next block.
    function test_committee_notFinalInDrawBlock() public {
        uint256 id = _request(modelCommittee);
        vm.prank(WORKER);
        p.hub.submitResult(id, OUTPUT, false);
        _readyTicket(p.committee.roundOf(id).ticket);
        p.committee.drawCommittee(id);
        address[] memory members = _unique(p.committee.committeeOf(id));
        for (uint256 i; i < members.length; ++i) {
            bytes32 commitment = p.committee.attestationCommitment(id, members[i], true, bytes32(i));
            vm.prank(members[i]);
            p.committee.commitAttestation(id, commitment);
        }
        for (uint256 i; i < members.length; ++i) {
            vm.prank(members[i]);
            p.committee.revealAttestation(id, true, bytes32(i));
        }
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubNotFinal.selector, id));
        p.hub.finalize(id);
        vm.roll(block.number + 1);
        p.hub.finalize(id);
        assertEq(uint256(p.hub.getRequest(id).status), uint256(IInferenceHub.Status.Finalized), "final next block");
    }

    // ------------------------------------------------------------------------------------------------- court

    /// @notice Jury commit and reveal deadlines are inclusive, and a round with missing reveals resolves only from
    ///         `revealDeadline + 1`.
    function testFuzz_court_deadlinesInclusive(uint256 offset) public {
        uint256 id = _disputedOptimistic();
        IDisputeCourt.Case memory c = p.court.getCase(id);
        address[] memory jurors = _unique(p.court.juryOf(id, 1));
        vm.warp(c.commitDeadline - bound(offset, 0, 300));
        bytes32 commitment = p.court.voteCommitment(id, 1, jurors[0], false, "s");
        vm.prank(jurors[0]);
        p.court.commitVote(id, commitment);
        vm.warp(c.commitDeadline + 1);
        if (jurors.length > 1) {
            commitment = p.court.voteCommitment(id, 1, jurors[1], false, "s");
            vm.prank(jurors[1]);
            vm.expectRevert(abi.encodeWithSelector(IDisputeCourt.CourtDeadlinePassed.selector, id, c.commitDeadline));
            p.court.commitVote(id, commitment);
        }
        vm.warp(c.revealDeadline - bound(offset, 0, 299));
        vm.prank(jurors[0]);
        p.court.revealVote(id, false, "s");
        if (jurors.length > 1) {
            vm.expectRevert(
                abi.encodeWithSelector(IDisputeCourt.CourtDeadlineNotReached.selector, id, c.revealDeadline)
            );
            p.court.resolve(id);
        }
        vm.warp(c.revealDeadline + 1);
        vm.roll(block.number + 1);
        p.court.resolve(id);
        (IDisputeCourt.Outcome outcome, ) = p.court.outcomeOf(id);
        assertEq(uint256(outcome), uint256(IDisputeCourt.Outcome.Rejected), "the one revealed seat decides");
    }

    /// @notice The majority of revealed seats decides; a tie (no reveals included) never upholds the worker: in
    ///         round 1 it appeals to exactly appealJurySize seats, in round 2 it ends Undecided.
    function testFuzz_court_majorityRule(uint256 votes1, uint256 votes2) public {
        uint256 id = _disputedOptimistic();
        (uint256 uphold, uint256 reject) = _vote(id, 1, votes1);
        _closeRound(id);
        (IDisputeCourt.Outcome outcome, ) = p.court.outcomeOf(id);
        if (uphold != reject) {
            assertEq(
                uint256(outcome),
                uint256(uphold > reject ? IDisputeCourt.Outcome.Upheld : IDisputeCourt.Outcome.Rejected),
                "round 1 majority decides"
            );
            return;
        }
        IDisputeCourt.Case memory c = p.court.getCase(id);
        assertEq(uint256(outcome), uint256(IDisputeCourt.Outcome.Pending), "a tie does not decide");
        assertEq(c.round, 2, "a tie appeals");
        assertEq(c.seats, p.court.params().appealJurySize, "appeal of appealJurySize seats");
        _readyTicket(c.ticket);
        p.court.drawJury(id);
        assertEq(p.court.juryOf(id, 2).length, p.court.params().appealJurySize, "appeal jury drawn in full");
        (uphold, reject) = _vote(id, 2, votes2);
        _closeRound(id);
        (outcome, ) = p.court.outcomeOf(id);
        if (uphold == reject) assertEq(uint256(outcome), uint256(IDisputeCourt.Outcome.Undecided), "undecided");
        else if (uphold > reject) assertEq(uint256(outcome), uint256(IDisputeCourt.Outcome.Upheld), "upheld");
        else assertEq(uint256(outcome), uint256(IDisputeCourt.Outcome.Rejected), "rejected");
    }

    /// @notice tie → appeal → tie → Undecided → Refunded: the requester gets the whole fee back, the worker is
    ///         neither paid nor slashed (nor jailed), the challenger's bond is returned.
    function testFuzz_court_tieAppealUndecidedRefunded(bool silentFirst, bool silentSecond) public {
        uint256 id = _disputedOptimistic();
        address challenger = verifiers[0];
        uint256 requesterBefore = p.settlement.balanceOf(REQUESTER);
        uint256 fee = uint256(p.hub.getRequest(id).modelFee) + p.hub.getRequest(id).protocolFee;
        IStaking.Operator memory workerBefore = p.staking.getOperator(WORKER);
        _tie(id, 1, silentFirst);
        _closeRound(id);
        IDisputeCourt.Case memory c = p.court.getCase(id);
        assertEq(c.round, 2, "appealed");
        _readyTicket(c.ticket);
        p.court.drawJury(id);
        _tie(id, 2, silentSecond);
        _closeRound(id);
        (IDisputeCourt.Outcome outcome, ) = p.court.outcomeOf(id);
        assertEq(uint256(outcome), uint256(IDisputeCourt.Outcome.Undecided), "undecided after the appeal");
        p.hub.finalize(id);
        assertEq(uint256(p.hub.getRequest(id).status), uint256(IInferenceHub.Status.Refunded), "refunded");
        assertEq(p.settlement.balanceOf(REQUESTER), requesterBefore + fee, "requester refunded in full");
        assertEq(p.settlement.creditsOf(WORKER), 0, "worker unpaid");
        IStaking.Operator memory workerAfter = p.staking.getOperator(WORKER);
        assertEq(workerAfter.active, workerBefore.active, "worker unslashed");
        assertEq(workerAfter.jailedUntil, workerBefore.jailedUntil, "worker not jailed");
        assertEq(workerAfter.locked, 0, "collateral released");
        assertGe(p.settlement.creditsOf(challenger), CHALLENGE_BOND, "bond returned");
    }

    /// @notice THREAT_MODEL §6.4a on the real protocol: the whole committee rejects a COMMITTEE result, and the
    ///         escalation finds only jurySize - 1 verifiers besides the committee (many tickets, too few operators):
    ///         no jury is drawn, and by the draw deadline the case is Undecided and the request Refunded — the
    ///         requester gets the whole fee back, nobody is paid or slashed.
    function test_committee_escalationWithASmallPoolRefundedByTheDrawDeadline() public {
        (uint256 id, address[] memory members) = _escalatedWithASmallPool();
        uint256 requesterBefore = p.settlement.balanceOf(REQUESTER);
        uint256 fee = uint256(p.hub.getRequest(id).modelFee) + p.hub.getRequest(id).protocolFee;
        uint256 workerActive = p.staking.getOperator(WORKER).active;
        uint256[] memory memberStakes = new uint256[](members.length);
        for (uint256 i; i < members.length; ++i) memberStakes[i] = p.staking.getOperator(members[i]).active;
        IDisputeCourt.Case memory c = p.court.getCase(id);
        _readyTicket(c.ticket);
        vm.expectRevert(abi.encodeWithSelector(IDisputeCourt.CourtTooFewJurors.selector, id, c.seats));
        p.court.drawJury(id);

        vm.warp(c.drawDeadline + 1);
        p.court.resolve(id);
        (IDisputeCourt.Outcome outcome, ) = p.court.outcomeOf(id);
        assertEq(uint256(outcome), uint256(IDisputeCourt.Outcome.Undecided), "no jury by the draw deadline");
        p.hub.finalize(id);
        assertEq(uint256(p.hub.getRequest(id).status), uint256(IInferenceHub.Status.Refunded), "refunded");
        assertEq(p.settlement.balanceOf(REQUESTER), requesterBefore + fee, "requester refunded in full");
        assertEq(p.settlement.creditsOf(WORKER), 0, "worker unpaid");
        assertEq(p.staking.getOperator(WORKER).active, workerActive, "worker unslashed");
        assertEq(p.staking.getOperator(WORKER).locked, 0, "collateral released");
        for (uint256 i; i < members.length; ++i) {
            assertEq(p.staking.getOperator(members[i]).active, memberStakes[i], "committee member unslashed");
        }
    }

    /// @notice The same escalation once one more verifier has staked: the draw waits while the snapshot is the
    ///         latest, asks for a new word once a newer snapshot holds the newcomer, and seats a full jury without
    ///         a party.
    function test_committee_escalationWithASmallPoolDrawnOnceANewVerifierIsInANewerSnapshot() public {
        (uint256 id, address[] memory members) = _escalatedWithASmallPool();
        IDisputeCourt.Case memory c = p.court.getCase(id);
        _readyTicket(c.ticket);
        address newcomer = address(uint160(0x2000 + VERIFIERS));
        _fund(p, newcomer, 1_000e18);
        _stake(p, newcomer, 1_000e18, ROLE_VERIFIER);
        vm.expectRevert(abi.encodeWithSelector(IDisputeCourt.CourtTooFewJurors.selector, id, c.seats));
        p.court.drawJury(id); // the newcomer is not in this snapshot
        vm.warp(block.timestamp + 601); // the next epoch, inside the draw window
        p.court.drawJury(id); // a newer snapshot exists: a new word
        uint256 ticket = p.court.getCase(id).ticket;
        assertGt(ticket, c.ticket, "new ticket");
        _readyTicket(ticket);
        p.court.drawJury(id);
        address[] memory seats = p.court.juryOf(id, 1);
        assertEq(seats.length, p.court.params().jurySize, "a full jury");
        for (uint256 s; s < seats.length; ++s) {
            assertTrue(seats[s] != WORKER && seats[s] != REQUESTER, "no worker or requester");
            for (uint256 i; i < members.length; ++i) assertTrue(seats[s] != members[i], "no committee member");
        }
    }

    // ------------------------------------------------------------------------------------------------- helpers

    /// @dev A COMMITTEE request whose whole committee disagrees, escalated 10 minutes before an epoch ends on a
    ///      network where only jurySize - 1 verifiers besides the committee remain (the others left the role after
    ///      the committee draw, in the epoch before the escalation). Returns the request and its distinct members.
    function _escalatedWithASmallPool() internal returns (uint256 id, address[] memory members) {
        id = _request(modelCommittee);
        vm.prank(WORKER);
        p.hub.submitResult(id, OUTPUT, false);
        _readyTicket(p.committee.roundOf(id).ticket);
        p.committee.drawCommittee(id);
        members = _unique(p.committee.committeeOf(id));
        for (uint256 i; i < members.length; ++i) {
            bytes32 commitment = p.committee.attestationCommitment(id, members[i], false, bytes32(i));
            vm.prank(members[i]);
            p.committee.commitAttestation(id, commitment);
        }
        for (uint256 i; i < members.length; ++i) {
            vm.prank(members[i]);
            p.committee.revealAttestation(id, false, bytes32(i));
        }
        uint256 keep = p.court.params().jurySize - 1;
        for (uint256 i; i < verifiers.length; ++i) {
            bool member;
            for (uint256 j; j < members.length; ++j) member = member || members[j] == verifiers[i];
            if (member) continue;
            if (keep > 0) {
                --keep;
                continue;
            }
            vm.prank(verifiers[i]);
            p.staking.setRoles(0);
        }
        vm.warp(((block.timestamp / SNAPSHOT_PERIOD) + 2) * SNAPSHOT_PERIOD - 600);
        vm.roll(block.number + 1);
        p.committee.escalate(id);
    }

    function _request(uint256 modelId) internal returns (uint256 id) {
        (uint256 modelFee, uint256 protocolFee) = p.hub.quote(modelId);
        IInferenceHub.RequestParams memory rp;
        rp.modelId = modelId;
        rp.input = hex"4f504701010000";
        rp.maxFee = modelFee + protocolFee;
        vm.prank(REQUESTER);
        id = p.hub.request(rp);
    }

    /// @dev An OPTIMISTIC request with a challenged result and its round-1 jury drawn.
    function _disputedOptimistic() internal returns (uint256 id) {
        id = _request(modelOptimistic);
        vm.prank(WORKER);
        p.hub.submitResult(id, OUTPUT, false);
        vm.prank(verifiers[0]);
        p.optimistic.challenge(id);
        _readyTicket(p.court.getCase(id).ticket);
        p.court.drawJury(id);
    }

    /// @dev Every distinct juror of `round` votes per two bits of `votes`: uphold, reject or silent.
    function _vote(uint256 id, uint8 round, uint256 votes) internal returns (uint256 uphold, uint256 reject) {
        address[] memory jurors = _unique(p.court.juryOf(id, round));
        for (uint256 i; i < jurors.length; ++i) {
            uint256 v = (votes >> (2 * i)) % 3;
            if (v == 2) continue;
            bytes32 commitment = p.court.voteCommitment(id, round, jurors[i], v == 0, bytes32(i));
            vm.prank(jurors[i]);
            p.court.commitVote(id, commitment);
            uint256 seats = p.court.ballotOf(id, round, jurors[i]).seats;
            if (v == 0) uphold += seats;
            else reject += seats;
        }
        vm.warp(p.court.getCase(id).commitDeadline + 1);
        for (uint256 i; i < jurors.length; ++i) {
            uint256 v = (votes >> (2 * i)) % 3;
            if (v == 2) continue;
            vm.prank(jurors[i]);
            p.court.revealVote(id, v == 0, bytes32(i));
        }
    }

    /// @dev A tie in `round`: everyone silent, or two equal blocs of seats (greedy: the larger bloc stays silent
    ///      when the seats cannot be split evenly).
    function _tie(uint256 id, uint8 round, bool silent) internal {
        if (silent) return;
        address[] memory jurors = _unique(p.court.juryOf(id, round));
        // choose two disjoint groups with equal seats: first juror vs. any other with the same seats
        for (uint256 i; i < jurors.length; ++i) {
            uint256 si = p.court.ballotOf(id, round, jurors[i]).seats;
            for (uint256 j = i + 1; j < jurors.length; ++j) {
                if (p.court.ballotOf(id, round, jurors[j]).seats != si) continue;
                _commitReveal(id, round, jurors[i], jurors[j]);
                return;
            }
        }
    }

    function _commitReveal(uint256 id, uint8 round, address upholder, address rejecter) internal {
        bytes32 up = p.court.voteCommitment(id, round, upholder, true, "u");
        bytes32 down = p.court.voteCommitment(id, round, rejecter, false, "r");
        vm.prank(upholder);
        p.court.commitVote(id, up);
        vm.prank(rejecter);
        p.court.commitVote(id, down);
        vm.warp(p.court.getCase(id).commitDeadline + 1);
        vm.prank(upholder);
        p.court.revealVote(id, true, "u");
        vm.prank(rejecter);
        p.court.revealVote(id, false, "r");
    }

    function _closeRound(uint256 id) internal {
        vm.warp(p.court.getCase(id).revealDeadline + 1);
        vm.roll(block.number + 1);
        p.court.resolve(id);
    }

    function _readyTicket(uint256 ticket) internal {
        if (block.number <= ticket) vm.roll(ticket + 1);
        _feedBlockhash(ticket, keccak256("lifecycle"));
    }

    function _unique(address[] memory seats) internal pure returns (address[] memory out) {
        out = new address[](seats.length);
        uint256 n;
        for (uint256 i; i < seats.length; ++i) {
            bool seen;
            for (uint256 j; j < n && !seen; ++j) seen = out[j] == seats[i];
            if (!seen) out[n++] = seats[i];
        }
        assembly ("memory-safe") {
            mstore(out, n)
        }
    }
}
