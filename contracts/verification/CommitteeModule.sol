// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ICommitteeModule} from "../interfaces/ICommitteeModule.sol";
import {IDisputeCourt} from "../interfaces/IDisputeCourt.sol";
import {IInferenceHub} from "../interfaces/IInferenceHub.sol";
import {IRandomnessSource} from "../interfaces/IRandomnessSource.sol";
import {ISettlement} from "../interfaces/ISettlement.sol";
import {IStaking} from "../interfaces/IStaking.sol";
import {IVerificationModule} from "../interfaces/IVerificationModule.sol";

/// @title CommitteeModule
/// @notice COMMITTEE mode: for each posted result, a committee of exactly `committeeSize` seats is drawn by stake
///         (without replacement, worker and requester excluded) from randomness of a block after the submission.
///         Members re-execute the model and attest by commit–reveal. The result is Accepted only when at least
///         `quorum` seats revealed agreement and none revealed disagreement; otherwise anyone escalates it to the
///         dispute court, with the disagreeing members as stake-backed challengers and the agreeing ones as
///         defenders. Silence is never approval, and every seat that did not reveal loses `silencePenaltyBps` of
///         its member's stake.
/// @dev Lifecycle of a request's round (all deadlines inclusive, like the hub's):
///      onResult (ticket requested, `drawDeadline = now + drawWindow`) → drawCommittee (while `now <= drawDeadline`,
///      once the ticket is Ready; an Expired ticket, or one whose weight snapshot is gone, is replaced)
///      → commitAttestation (while `now <= commitDeadline`)
///      → revealAttestation (once every seat committed or from `commitDeadline + 1`, while `now <= revealDeadline`)
///      → reveals closed (every seat revealed, or `now > revealDeadline`), in a block after the draw → Accepted
///      (quorum, no disagreement) or escalate → the court's outcome.
///      No committee drawn by `drawDeadline` (too few eligible verifiers, or nobody drew): Refunded; the worker is
///      neither paid nor slashed. The committee is never smaller than `committeeSize`.
///      The commit and reveal windows and the quorum in force when the committee is drawn apply to its round.
///      Silent seats are penalised once: at escalation, or when the hub settles an accepted round; the slashed
///      stake (sent by Staking to the settlement contract) is credited to the treasury. The module holds no tokens;
///      it needs Staking's SLASHER and the settlement contract's BONDS permissions. Hub, court, staking, settlement
///      and randomness are trusted protocol contracts; every loop is bounded by `MAX_COMMITTEE_SIZE`.
contract CommitteeModule is ICommitteeModule, Ownable {
    // ------------------------------------------------------------------------------------------------- constants

    uint256 public constant BPS = 10_000;
    /// @notice Hard bounds of the parameters.
    uint8 public constant MAX_COMMITTEE_SIZE = 15;
    uint16 public constant MIN_SILENCE_PENALTY_BPS = 10;
    uint16 public constant MAX_SILENCE_PENALTY_BPS = 1_000;
    uint32 public constant MIN_WINDOW = 1 minutes;
    uint32 public constant MAX_WINDOW = 1 days;

    /// @dev Reason of the treasury credit of silence penalties.
    bytes32 internal constant SILENCE = "silence";

    // ------------------------------------------------------------------------------------------------- immutables

    IInferenceHub public immutable hub;
    IDisputeCourt public immutable court;
    ISettlement public immutable settlement;
    IStaking public immutable staking;
    IRandomnessSource public immutable randomness;
    uint8 internal immutable _roleVerifier;

    // ------------------------------------------------------------------------------------------------- state

    CommitteeParams internal _params;
    mapping(uint256 requestId => Round) internal _rounds;
    /// @dev One entry per seat, in draw order (an address holding several seats appears once per seat).
    mapping(uint256 requestId => address[]) internal _committees;
    mapping(uint256 requestId => mapping(address member => Attestation)) internal _attestations;

    // ------------------------------------------------------------------------------------------------- modifiers

    modifier onlyHub() {
        if (msg.sender != address(hub)) revert ModuleNotHub(msg.sender);
        _;
    }

    // ------------------------------------------------------------------------------------------------- constructor

    constructor(
        IInferenceHub hub_,
        IDisputeCourt court_,
        ISettlement settlement_,
        IStaking staking_,
        IRandomnessSource randomness_,
        CommitteeParams memory params_,
        address initialOwner
    ) Ownable(initialOwner) {
        if (
            address(hub_) == address(0) ||
            address(court_) == address(0) ||
            address(settlement_) == address(0) ||
            address(staking_) == address(0) ||
            address(randomness_) == address(0)
        ) revert ModuleZeroAddress();
        hub = hub_;
        court = court_;
        settlement = settlement_;
        staking = staking_;
        randomness = randomness_;
        _roleVerifier = staking_.ROLE_VERIFIER();
        _setParams(params_);
    }

    // ------------------------------------------------------------------------------------------------- hub

    /// @inheritdoc IVerificationModule
    /// @dev Requests the draw's randomness now, so nobody can know the committee when the result is posted.
    function onResult(uint256 requestId, Job calldata) external onlyHub returns (Verdict verdict, uint64 deadline) {
        CommitteeParams memory p = _params;
        uint64 drawDeadline = uint64(block.timestamp) + p.drawWindow;
        Round storage round = _rounds[requestId];
        round.drawDeadline = drawDeadline;
        _requestTicket(requestId, round, drawDeadline);
        return (Verdict.Pending, drawDeadline + p.commitWindow + p.revealWindow);
    }

    /// @inheritdoc IVerificationModule
    /// @dev Refunded when no committee was drawn by the draw deadline. Accepted (paying the agreeing seats) once the
    ///      reveals are closed in a block after the draw with `quorum` agreeing seats and no disagreeing one; this
    ///      penalises the silent seats. After an escalation, the court's outcome: Upheld pays the agreeing seats
    ///      and the court's majority seats.
    function settle(
        uint256 requestId,
        Job calldata,
        uint64
    ) external onlyHub returns (Verdict verdict, address[] memory paid) {
        Round storage round = _rounds[requestId];
        if (round.drawDeadline == 0) revert CommitteeUnknownRequest(requestId);
        if (round.seats == 0) {
            return (block.timestamp > round.drawDeadline ? Verdict.Refunded : Verdict.Pending, paid);
        }
        if (round.escalated) {
            (IDisputeCourt.Outcome outcome, address[] memory majority) = court.outcomeOf(requestId);
            if (outcome == IDisputeCourt.Outcome.Upheld) {
                return (Verdict.Accepted, _agreeingSeats(requestId, _committees[requestId], majority));
            }
            if (outcome == IDisputeCourt.Outcome.Rejected) return (Verdict.Rejected, paid);
            if (outcome == IDisputeCourt.Outcome.Undecided) return (Verdict.Refunded, paid);
            return (Verdict.Pending, paid);
        }
        if (!_closed(round) || !_approved(round)) return (Verdict.Pending, paid);
        address[] memory committee = _committees[requestId];
        if (!round.penalised) {
            round.penalised = true;
            (address[] memory members, , ) = _sortMembers(requestId, committee);
            _penaliseSilence(requestId, members);
        }
        return (Verdict.Accepted, _agreeingSeats(requestId, committee, new address[](0)));
    }

    // ------------------------------------------------------------------------------------------------- anyone

    /// @inheritdoc ICommitteeModule
    /// @dev Reverts with {CommitteeTooFewVerifiers} while the snapshot holds fewer non-party tickets, or fewer
    ///      non-party verifiers (a panel is drawn only if every seat could go to a different operator), than seats and
    ///      no later snapshot exists yet (the caller may retry until the draw deadline); once one does, requests a
    ///      new ticket instead (the shortage does not depend on the word, so this re-roll cannot be chosen). An
    ///      Expired ticket, or one requested so long ago that Staking no longer has its weight snapshot, is replaced
    ///      by a new one (no revert). The committee is drawn from the weights frozen before the ticket was requested
    ///      (see IStaking.drawPanel).
    function drawCommittee(uint256 requestId) external {
        Round storage round = _rounds[requestId];
        uint64 drawDeadline = round.drawDeadline;
        if (drawDeadline == 0) revert CommitteeUnknownRequest(requestId);
        if (round.seats != 0) revert CommitteeAlreadyDrawn(requestId);
        if (block.timestamp > drawDeadline) revert CommitteeDeadlinePassed(requestId, drawDeadline);

        (IRandomnessSource.Status status, uint256 word) = randomness.read(round.ticket);
        if (status == IRandomnessSource.Status.Pending) revert CommitteeRandomnessPending(requestId, round.ticket);
        if (status == IRandomnessSource.Status.Expired) {
            _requestTicket(requestId, round, drawDeadline);
            return;
        }

        (Job memory job, , , ) = hub.jobOf(requestId);
        address[] memory excluded = new address[](2);
        excluded[0] = job.worker;
        excluded[1] = job.requester;
        CommitteeParams memory p = _params;
        uint256 seed = uint256(keccak256(abi.encode(word, requestId, "committee")));
        (address[] memory members, IStaking.Snapshot snapshot) = staking.drawPanel(
            _roleVerifier,
            seed,
            p.committeeSize,
            excluded,
            round.ticketRequestedAt
        );
        if (members.length != p.committeeSize) {
            // Gone, or too few tickets or verifiers whatever the word: a new word reads a newer snapshot, if any.
            if (snapshot == IStaking.Snapshot.Latest) revert CommitteeTooFewVerifiers(requestId, p.committeeSize);
            _requestTicket(requestId, round, drawDeadline);
            return;
        }

        _committees[requestId] = members;
        mapping(address => Attestation) storage attestations = _attestations[requestId];
        for (uint256 i; i < members.length; ++i) ++attestations[members[i]].seats;
        uint64 commitDeadline = uint64(block.timestamp) + p.commitWindow;
        uint64 revealDeadline = commitDeadline + p.revealWindow;
        round.seats = p.committeeSize;
        round.quorum = p.quorum;
        round.drawnAtBlock = uint64(block.number);
        round.commitDeadline = commitDeadline;
        round.revealDeadline = revealDeadline;
        emit CommitteeDrawn(requestId, members, commitDeadline, revealDeadline);
    }

    /// @inheritdoc ICommitteeModule
    function commitAttestation(uint256 requestId, bytes32 commitment) external {
        Round storage round = _drawnRound(requestId);
        if (commitment == bytes32(0)) revert CommitteeEmptyCommitment();
        Attestation storage attestation = _attestations[requestId][msg.sender];
        uint8 seats = attestation.seats;
        if (seats == 0) revert CommitteeNotMember(requestId, msg.sender);
        if (attestation.committed) revert CommitteeAlreadyActed(requestId, msg.sender);
        if (block.timestamp > round.commitDeadline) revert CommitteeDeadlinePassed(requestId, round.commitDeadline);

        attestation.committed = true;
        attestation.commitment = commitment;
        round.committedSeats += seats;
        emit AttestationCommitted(requestId, msg.sender, seats);
    }

    /// @inheritdoc ICommitteeModule
    function revealAttestation(uint256 requestId, bool agree, bytes32 salt) external {
        Round storage round = _drawnRound(requestId);
        Attestation storage attestation = _attestations[requestId][msg.sender];
        uint8 seats = attestation.seats;
        if (seats == 0) revert CommitteeNotMember(requestId, msg.sender);
        if (!attestation.committed) revert CommitteeNotCommitted(requestId, msg.sender);
        if (attestation.revealed) revert CommitteeAlreadyActed(requestId, msg.sender);
        if (round.committedSeats < round.seats && block.timestamp <= round.commitDeadline) {
            revert CommitteeCommitPhaseOpen(requestId, round.commitDeadline);
        }
        if (block.timestamp > round.revealDeadline) revert CommitteeDeadlinePassed(requestId, round.revealDeadline);
        if (attestationCommitment(requestId, msg.sender, agree, salt) != attestation.commitment) {
            revert CommitteeRevealMismatch(requestId, msg.sender);
        }

        attestation.revealed = true;
        attestation.agree = agree;
        round.revealedSeats += seats;
        if (agree) round.agreeSeats += seats;
        else round.disagreeSeats += seats;
        emit AttestationRevealed(requestId, msg.sender, agree, seats);
    }

    /// @inheritdoc ICommitteeModule
    /// @dev Allowed once the reveals are closed (every seat revealed, or `now > revealDeadline`) in a block after
    ///      the draw, unless the round is approved (quorum and no disagreement). Penalises the silent seats, then
    ///      opens the court case: the first disagreeing member (in draw order) is the challenger and the next ones
    ///      join (stake-backed, bond 0; at most the court's `maxChallengers` in all), the agreeing members are
    ///      defenders, and the whole committee is excluded from the jury. Without any disagreement (no quorum
    ///      through silence) the case has no challenger: `court.open` is called with `address(0)`.
    function escalate(uint256 requestId) external {
        Round storage round = _drawnRound(requestId);
        if (round.escalated || !_revealsOver(round) || _approved(round)) revert CommitteeCannotEscalate(requestId);
        if (block.number <= round.drawnAtBlock) revert CommitteeSameBlock(requestId);
        round.escalated = true;
        round.penalised = true;
        emit Escalated(requestId, round.agreeSeats, round.disagreeSeats);

        (address[] memory members, address[] memory agreeing, address[] memory disagreeing) = _sortMembers(
            requestId,
            _committees[requestId]
        );
        _penaliseSilence(requestId, members);

        (Job memory job, , , ) = hub.jobOf(requestId);
        IDisputeCourt.Parties memory parties = IDisputeCourt.Parties({
            worker: job.worker,
            requester: job.requester,
            collateral: job.collateral,
            defenders: agreeing,
            excluded: members
        });
        court.open(requestId, parties, disagreeing.length == 0 ? address(0) : disagreeing[0], 0);
        uint256 maxChallengers = court.params().maxChallengers;
        for (uint256 i = 1; i < disagreeing.length && i < maxChallengers; ++i) {
            court.join(requestId, disagreeing[i], 0);
        }
    }

    // ------------------------------------------------------------------------------------------------- governance

    /// @inheritdoc ICommitteeModule
    /// @dev Reverts with the hub's {IInferenceHub.HubLifecycleTooLong} if longer windows would let a request outlive
    ///      the staking unbonding delay. Rounds already drawn keep their deadlines and quorum.
    function setParams(CommitteeParams calldata params_) external onlyOwner {
        _setParams(params_);
        hub.checkLifecycle();
    }

    // ------------------------------------------------------------------------------------------------- views

    /// @inheritdoc ICommitteeModule
    function params() external view returns (CommitteeParams memory) {
        return _params;
    }

    /// @inheritdoc ICommitteeModule
    function roundOf(uint256 requestId) external view returns (Round memory) {
        return _rounds[requestId];
    }

    /// @inheritdoc ICommitteeModule
    function committeeOf(uint256 requestId) external view returns (address[] memory seats) {
        return _committees[requestId];
    }

    /// @inheritdoc ICommitteeModule
    function attestationOf(uint256 requestId, address member) external view returns (Attestation memory) {
        return _attestations[requestId][member];
    }

    /// @inheritdoc IVerificationModule
    function isDisputed(uint256 requestId) external view returns (bool) {
        if (!_rounds[requestId].escalated) return false;
        (IDisputeCourt.Outcome outcome, ) = court.outcomeOf(requestId);
        return outcome == IDisputeCourt.Outcome.Pending;
    }

    /// @inheritdoc IVerificationModule
    /// @dev The draw, commit and reveal windows, then the longest court case (escalation is permissionless and
    ///      due at the reveal deadline).
    function maxVerificationDuration() external view returns (uint256) {
        CommitteeParams memory p = _params;
        return uint256(p.drawWindow) + p.commitWindow + p.revealWindow + court.maxCaseDuration();
    }

    /// @inheritdoc ICommitteeModule
    function attestationCommitment(
        uint256 requestId,
        address member,
        bool agree,
        bytes32 salt
    ) public pure returns (bytes32) {
        return keccak256(abi.encode(requestId, member, agree, salt));
    }

    // ------------------------------------------------------------------------------------------------- internal

    /// @dev Asks for the draw's word now and records when: the draw reads the weights frozen before this moment.
    function _requestTicket(uint256 requestId, Round storage round, uint64 drawDeadline) internal {
        uint256 ticket = randomness.request();
        round.ticket = SafeCast.toUint64(ticket);
        round.ticketRequestedAt = uint64(block.timestamp);
        emit DrawRequested(requestId, ticket, drawDeadline);
    }

    function _drawnRound(uint256 requestId) internal view returns (Round storage round) {
        round = _rounds[requestId];
        if (round.drawDeadline == 0) revert CommitteeUnknownRequest(requestId);
        if (round.seats == 0) revert CommitteeNotDrawn(requestId);
    }

    /// @dev No more reveals can come: every seat revealed, or the reveal deadline passed.
    function _revealsOver(Round storage round) internal view returns (bool) {
        return round.revealedSeats == round.seats || block.timestamp > round.revealDeadline;
    }

    /// @dev The reveals are over, in a block after the draw's (nothing resolves in the block of its own draw).
    function _closed(Round storage round) internal view returns (bool) {
        return block.number > round.drawnAtBlock && _revealsOver(round);
    }

    function _approved(Round storage round) internal view returns (bool) {
        return round.agreeSeats >= round.quorum && round.disagreeSeats == 0;
    }

    /// @dev The distinct members of `committee`, and among them those who revealed agreement and disagreement, each
    ///      in draw order. O(seats²) with seats ≤ MAX_COMMITTEE_SIZE.
    function _sortMembers(
        uint256 requestId,
        address[] memory committee
    ) internal view returns (address[] memory members, address[] memory agreeing, address[] memory disagreeing) {
        uint256 n = committee.length;
        members = new address[](n);
        agreeing = new address[](n);
        disagreeing = new address[](n);
        uint256 m;
        uint256 a;
        uint256 d;
        for (uint256 i; i < n; ++i) {
            address member = committee[i];
            bool seen;
            for (uint256 j; j < i && !seen; ++j) seen = committee[j] == member;
            if (seen) continue;
            members[m++] = member;
            Attestation storage attestation = _attestations[requestId][member];
            if (!attestation.revealed) continue;
            if (attestation.agree) agreeing[a++] = member;
            else disagreeing[d++] = member;
        }
        _shrink(members, m);
        _shrink(agreeing, a);
        _shrink(disagreeing, d);
    }

    /// @dev One entry per seat that revealed agreement, followed by `extra`.
    function _agreeingSeats(
        uint256 requestId,
        address[] memory committee,
        address[] memory extra
    ) internal view returns (address[] memory seats) {
        Round storage round = _rounds[requestId];
        seats = new address[](round.agreeSeats + extra.length);
        uint256 k;
        for (uint256 i; i < committee.length; ++i) {
            Attestation storage attestation = _attestations[requestId][committee[i]];
            if (attestation.revealed && attestation.agree) seats[k++] = committee[i];
        }
        for (uint256 i; i < extra.length; ++i) seats[k++] = extra[i];
    }

    /// @dev Slashes every distinct member that did not reveal `silencePenaltyBps` per seat (at most all) of its
    ///      slashable stake (free active + unbonding), rounded up like the court's penalties; no collateral is
    ///      released and nobody is jailed. The total slashed is credited to the treasury.
    function _penaliseSilence(uint256 requestId, address[] memory members) internal {
        uint256 bps = _params.silencePenaltyBps;
        uint256 total;
        for (uint256 i; i < members.length; ++i) {
            Attestation storage attestation = _attestations[requestId][members[i]];
            if (attestation.revealed) continue;
            uint256 share = Math.min(bps * attestation.seats, BPS);
            uint256 amount = Math.ceilDiv(staking.slashableStake(members[i], 0) * share, BPS);
            uint256 slashed = amount == 0 ? 0 : staking.slash(members[i], amount, 0, false);
            total += slashed;
            emit SilencePenalised(requestId, members[i], slashed);
        }
        if (total == 0) return;
        address[] memory accounts = new address[](1);
        accounts[0] = settlement.treasury();
        uint256[] memory amounts = new uint256[](1);
        amounts[0] = total;
        settlement.credit(requestId, ISettlement.Source.Surplus, accounts, amounts, SILENCE);
    }

    function _setParams(CommitteeParams memory p) internal {
        if (p.committeeSize == 0 || p.committeeSize > MAX_COMMITTEE_SIZE || p.committeeSize % 2 == 0) {
            revert CommitteeParamOutOfBounds("committeeSize", p.committeeSize, 1, MAX_COMMITTEE_SIZE);
        }
        _bound("quorum", p.quorum, p.committeeSize / 2 + 1, p.committeeSize);
        _bound("silencePenaltyBps", p.silencePenaltyBps, MIN_SILENCE_PENALTY_BPS, MAX_SILENCE_PENALTY_BPS);
        _bound("drawWindow", p.drawWindow, MIN_WINDOW, MAX_WINDOW);
        _bound("commitWindow", p.commitWindow, MIN_WINDOW, MAX_WINDOW);
        _bound("revealWindow", p.revealWindow, MIN_WINDOW, MAX_WINDOW);
        _params = p;
        emit ParamsUpdated(p);
    }

    function _bound(string memory name, uint256 value, uint256 min, uint256 max) internal pure {
        if (value < min || value > max) revert CommitteeParamOutOfBounds(name, value, min, max);
    }

    /// @dev Shortens a memory array in place to `length` (≤ its length).
    function _shrink(address[] memory array, uint256 length) internal pure {
        assembly ("memory-safe") {
            mstore(array, length)
        }
    }
}
