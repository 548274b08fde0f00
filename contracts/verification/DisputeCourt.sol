// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IDisputeCourt} from "../interfaces/IDisputeCourt.sol";
import {IInferenceHub} from "../interfaces/IInferenceHub.sol";
import {IRandomnessSource} from "../interfaces/IRandomnessSource.sol";
import {ISettlement} from "../interfaces/ISettlement.sol";
import {IStaking} from "../interfaces/IStaking.sol";

/// @title DisputeCourt
/// @notice The dispute court shared by the OPTIMISTIC and COMMITTEE modules: juries of exactly `jurySize` seats
///         drawn by stake from delayed randomness among non-parties, commit–reveal votes weighted by seats, one
///         appeal with `appealJurySize` seats, and the slashes and credits of the decision.
/// @dev Trust: Staking, Settlement and the randomness source are trusted protocol contracts; the allowed modules
///      are trusted to have locked each bonded challenger's bond in the settlement contract before `open`/`join`.
///      Funds: the court holds no tokens. Every slash is sent by Staking to the settlement contract, and the court
///      credits exactly what each slash returned, in the same transaction, with `Source.Surplus`; bonds are paid out
///      of `Source.Bonds`, exactly `totalBond` per case. Divisions round down for payouts and up for slashes; every
///      remainder is credited explicitly (to the treasury).
///      Choices (docs/PROTOCOL.md is silent on them):
///      - "stake" of a penalty or defender slash is `slashableStake(account, 0)` (free active + unbonding: what a
///        slash can reach without touching job collateral); a juror with k seats loses k × bps of it (capped at all).
///      - A stake-backed challenger of an upheld result is slashed its weight (`challengeBond` when it joined),
///        without jail; defenders of a rejected result are slashed without jail; only the worker is jailed.
///      - An address that is only `excluded` (e.g. a committee member) may be a challenger; the worker, the
///        requester, defenders and jurors may not.
///      - Parameters are read when they are used: a round's seats when it opens, its windows when it opens/draws,
///        the economics at resolution. The randomness of an expired ticket is requested again without moving the
///        draw deadline, so a case never lasts longer than {maxCaseDuration} plus the keepers' delay.
///      Every loop is bounded: challengers ≤ MAX_CHALLENGERS, defenders + further excluded ≤ MAX_LISTED_PARTIES,
///      unique jurors per round ≤ seats ≤ MAX_APPEAL_JURY_SIZE.
contract DisputeCourt is IDisputeCourt, Ownable, ReentrancyGuard {
    // ------------------------------------------------------------------------------------------------- constants

    uint256 internal constant BPS = 10_000;
    uint256 internal constant MIN_JURY_SIZE = 3;
    uint256 internal constant MAX_JURY_SIZE = 15;
    uint256 internal constant MAX_APPEAL_JURY_SIZE = 31;
    /// @notice Hard maximum of `maxChallengers`.
    uint256 internal constant MAX_CHALLENGERS = 16;
    /// @notice Most defenders + further excluded addresses of one case (a committee has at most 15 members, each
    ///         listed at most twice).
    uint256 internal constant MAX_LISTED_PARTIES = 30;
    /// @notice Longest exclusion list a jury draw passes to Staking: worker, requester, defenders, excluded,
    ///         challengers.
    uint256 internal constant MAX_JURY_EXCLUDED = 2 + MAX_LISTED_PARTIES + MAX_CHALLENGERS;
    uint256 internal constant NOT_FOUND = type(uint256).max;
    uint256 internal constant MIN_SLASH_BPS = 100;
    uint256 internal constant MAX_REWARD_BPS = 5_000;
    uint256 internal constant MIN_NON_REVEAL_PENALTY_BPS = 1;
    uint256 internal constant MAX_PENALTY_BPS = 1_000;
    uint256 internal constant MIN_WINDOW = 1 minutes;
    uint256 internal constant MAX_WINDOW = 7 days;
    uint256 internal constant MIN_CHALLENGE_BOND = 1e18;
    uint256 internal constant MAX_CHALLENGE_BOND = 1_000_000e18;

    bytes32 internal constant PENALTY_WORKER = "worker";
    bytes32 internal constant PENALTY_DEFENDER = "defender";
    bytes32 internal constant PENALTY_CHALLENGER = "challenger";
    bytes32 internal constant PENALTY_MINORITY = "minority";
    bytes32 internal constant PENALTY_NON_REVEAL = "nonReveal";
    bytes32 internal constant CREDIT_BOND_RETURN = "bond-return";
    bytes32 internal constant CREDIT_CHALLENGER_REWARD = "challenger-reward";
    bytes32 internal constant CREDIT_VOTER_REWARD = "voter-reward";
    bytes32 internal constant CREDIT_FORFEIT = "forfeit";
    bytes32 internal constant CREDIT_TREASURY = "treasury";

    // ------------------------------------------------------------------------------------------------- immutables

    IStaking public immutable staking;
    ISettlement public immutable settlement;
    IRandomnessSource public immutable randomness;
    uint8 internal immutable _roleVerifier;

    // ------------------------------------------------------------------------------------------------- types

    /// @dev What the jurors of a decided round earned and lost (memory only).
    struct Tally {
        address[] majority; // unique majority jurors
        uint256[] majoritySeats;
        uint256 count; // entries of `majority`
        uint256 seats; // majority seats
        uint256 penalties; // stake slashed from minority and silent seats, for the treasury
    }

    // ------------------------------------------------------------------------------------------------- state

    /// @inheritdoc IDisputeCourt
    address public hub;
    /// @inheritdoc IDisputeCourt
    mapping(address module => bool allowed) public isModule;

    CourtParams internal _params;
    mapping(uint256 requestId => Case) internal _cases;
    mapping(uint256 requestId => Challenger[]) internal _challengers;
    /// @dev Who may not sit on the jury besides the worker and the requester, each once: the defenders first
    ///      (`_defenderCount` of them), then the further excluded addresses, then the challengers not listed yet.
    mapping(uint256 requestId => address[]) internal _barred;
    mapping(uint256 requestId => uint256) internal _defenderCount;
    /// @dev Unique jurors of each round, in order of their first seat.
    mapping(uint256 requestId => mapping(uint8 round => address[])) internal _jurors;
    mapping(uint256 requestId => mapping(uint8 round => mapping(address juror => Ballot))) internal _ballots;

    // ------------------------------------------------------------------------------------------------- constructor

    /// @dev The inference hub is deployed after the court: governance sets it once with {setHub}.
    constructor(
        IStaking staking_,
        ISettlement settlement_,
        IRandomnessSource randomness_,
        CourtParams memory params_,
        address owner_
    ) Ownable(owner_) {
        if (address(staking_) == address(0) || address(settlement_) == address(0) || address(randomness_) == address(0))
            revert CourtZeroAddress();
        _checkParams(params_);
        staking = staking_;
        settlement = settlement_;
        randomness = randomness_;
        _roleVerifier = staking_.ROLE_VERIFIER();
        _params = params_;
        emit ParamsUpdated(params_);
    }

    // ------------------------------------------------------------------------------------------------- modules

    /// @inheritdoc IDisputeCourt
    function open(uint256 requestId, Parties calldata parties, address challenger, uint96 bond) external nonReentrant {
        if (!isModule[msg.sender]) revert CourtNotModule(msg.sender);
        Case storage c = _cases[requestId];
        if (c.phase != Phase.None) revert CourtCaseExists(requestId);
        if (parties.worker == address(0) || parties.requester == address(0)) revert CourtZeroAddress();
        uint256 listed = parties.defenders.length + parties.excluded.length;
        if (listed > MAX_LISTED_PARTIES) revert CourtTooManyParties(listed, MAX_LISTED_PARTIES);

        c.module = msg.sender;
        c.worker = parties.worker;
        c.requester = parties.requester;
        c.collateral = SafeCast.toUint96(parties.collateral);
        c.outcome = Outcome.Pending;
        _storeParties(requestId, parties);
        emit CaseOpened(requestId, msg.sender, parties.worker);

        if (challenger != address(0) || bond != 0) _addChallenger(requestId, c, challenger, bond);
        _openRound(requestId, c, 1, _params.jurySize);
    }

    /// @inheritdoc IDisputeCourt
    function join(uint256 requestId, address challenger, uint96 bond) external nonReentrant {
        Case storage c = _caseOf(requestId);
        if (msg.sender != c.module || !isModule[msg.sender]) revert CourtNotModule(msg.sender);
        if (c.round != 1 || c.phase == Phase.Resolved) revert CourtWrongPhase(requestId, c.phase);
        if (c.phase == Phase.Voting) {
            if (block.timestamp > c.commitDeadline) revert CourtDeadlinePassed(requestId, c.commitDeadline);
        } else {
            // Drawing. A challenger is excluded from the jury: once the word is known, joining would move the draw.
            (IRandomnessSource.Status status, ) = randomness.read(c.ticket);
            if (status == IRandomnessSource.Status.Ready) revert CourtDrawPending(requestId, c.ticket);
        }
        _addChallenger(requestId, c, challenger, bond);
    }

    // ------------------------------------------------------------------------------------------------- anyone

    /// @inheritdoc IDisputeCourt
    /// @dev No token movement; the only calls go to the trusted randomness source and Staking: no reentrancy guard.
    function drawJury(uint256 requestId) external {
        Case storage c = _caseIn(requestId, Phase.Drawing);
        if (block.timestamp > c.drawDeadline) revert CourtDeadlinePassed(requestId, c.drawDeadline);
        (IRandomnessSource.Status status, uint256 word) = randomness.read(c.ticket);
        if (status == IRandomnessSource.Status.Pending) revert CourtRandomnessPending(requestId, c.ticket);
        if (status == IRandomnessSource.Status.Expired) return _reissueTicket(requestId, c);
        uint8 round = c.round;
        uint256 seats = c.seats;
        uint256 seed = uint256(keccak256(abi.encode(word, requestId, round, "jury")));
        (address[] memory members, IStaking.Snapshot snapshot) = staking.drawPanel(
            _roleVerifier,
            seed,
            seats,
            _juryExclusions(requestId, c),
            c.ticketRequestedAt
        );
        if (members.length != seats) {
            // Gone, or too few tickets or verifiers whatever the word: a new word reads a newer snapshot, if any.
            if (snapshot == IStaking.Snapshot.Latest) revert CourtTooFewJurors(requestId, seats);
            return _reissueTicket(requestId, c);
        }

        address[] storage jurors = _jurors[requestId][round];
        mapping(address => Ballot) storage ballots = _ballots[requestId][round];
        for (uint256 i; i < seats; ++i) {
            Ballot storage ballot = ballots[members[i]];
            if (ballot.seats == 0) jurors.push(members[i]);
            ++ballot.seats;
        }
        uint64 commitDeadline = uint64(block.timestamp + _params.commitWindow);
        uint64 revealDeadline = commitDeadline + _params.revealWindow;
        c.phase = Phase.Voting;
        c.commitDeadline = commitDeadline;
        c.revealDeadline = revealDeadline;
        c.drawnAtBlock = uint64(block.number);
        emit JuryDrawn(requestId, round, members, commitDeadline, revealDeadline);
    }

    /// @inheritdoc IDisputeCourt
    /// @dev No external call and no token movement: no reentrancy guard needed.
    function commitVote(uint256 requestId, bytes32 commitment) external {
        Case storage c = _caseIn(requestId, Phase.Voting);
        if (commitment == bytes32(0)) revert CourtEmptyCommitment();
        if (block.timestamp > c.commitDeadline) revert CourtDeadlinePassed(requestId, c.commitDeadline);
        uint8 round = c.round;
        Ballot storage ballot = _ballots[requestId][round][msg.sender];
        uint16 seats = ballot.seats;
        if (seats == 0) revert CourtNotJuror(requestId, msg.sender);
        if (ballot.committed) revert CourtAlreadyActed(requestId, msg.sender);

        ballot.committed = true;
        ballot.commitment = commitment;
        c.committedSeats += seats;
        emit VoteCommitted(requestId, round, msg.sender, seats);
    }

    /// @inheritdoc IDisputeCourt
    /// @dev No external call and no token movement: no reentrancy guard needed.
    function revealVote(uint256 requestId, bool upholdWorker, bytes32 salt) external {
        Case storage c = _caseIn(requestId, Phase.Voting);
        uint8 round = c.round;
        Ballot storage ballot = _ballots[requestId][round][msg.sender];
        if (!ballot.committed) revert CourtNotCommitted(requestId, msg.sender);
        if (ballot.revealed) revert CourtAlreadyActed(requestId, msg.sender);
        if (block.timestamp <= c.commitDeadline && c.committedSeats < c.seats) {
            revert CourtCommitPhaseOpen(requestId, c.commitDeadline);
        }
        if (block.timestamp > c.revealDeadline) revert CourtDeadlinePassed(requestId, c.revealDeadline);
        if (voteCommitment(requestId, round, msg.sender, upholdWorker, salt) != ballot.commitment) {
            revert CourtRevealMismatch(requestId, msg.sender);
        }

        uint16 seats = ballot.seats;
        ballot.revealed = true;
        ballot.upholdWorker = upholdWorker;
        c.revealedSeats += seats;
        if (upholdWorker) c.upholdSeats += seats;
        else c.rejectSeats += seats;
        emit VoteRevealed(requestId, round, msg.sender, upholdWorker, seats);
    }

    /// @inheritdoc IDisputeCourt
    function resolve(uint256 requestId) external nonReentrant {
        Case storage c = _caseOf(requestId);
        Phase phase = c.phase;
        if (phase == Phase.Drawing) {
            // No jury by the draw deadline: nobody voted, so nobody is penalised.
            if (block.timestamp <= c.drawDeadline) revert CourtDeadlineNotReached(requestId, c.drawDeadline);
            c.phase = Phase.Resolved;
            c.outcome = Outcome.Undecided;
            emit CaseResolved(requestId, Outcome.Undecided, 0, 0);
            _returnBonds(requestId);
            return;
        }
        if (phase != Phase.Voting) revert CourtWrongPhase(requestId, phase);
        if (block.timestamp <= c.revealDeadline && c.revealedSeats < c.seats) {
            revert CourtDeadlineNotReached(requestId, c.revealDeadline);
        }
        if (block.number <= c.drawnAtBlock) revert CourtSameBlock(requestId);

        uint8 round = c.round;
        uint256 uphold = c.upholdSeats;
        uint256 reject = c.rejectSeats;
        Outcome outcome;
        if (uphold > reject) outcome = Outcome.Upheld;
        else if (reject > uphold) outcome = Outcome.Rejected;
        else if (round == 1) outcome = Outcome.Pending;
        else outcome = Outcome.Undecided;

        if (outcome == Outcome.Pending) {
            emit Appealed(requestId, round, uphold, reject);
            _openRound(requestId, c, 2, _params.appealJurySize);
        } else {
            c.phase = Phase.Resolved;
            c.outcome = outcome;
            emit CaseResolved(requestId, outcome, uphold, reject);
        }

        Tally memory tally = _judgeJurors(requestId, round, outcome);
        if (outcome == Outcome.Rejected) {
            _settleRejected(requestId, c, tally);
        } else if (outcome == Outcome.Upheld) {
            _settleUpheld(requestId, c, tally);
        } else {
            // Appeal or Undecided: only silent seats lost stake.
            _creditTreasury(requestId, tally.penalties);
            if (outcome == Outcome.Undecided) _returnBonds(requestId);
        }
    }

    // ------------------------------------------------------------------------------------------------- governance

    /// @inheritdoc IDisputeCourt
    function setParams(CourtParams calldata params_) external onlyOwner {
        CourtParams memory p = params_;
        _checkParams(p);
        _params = p;
        emit ParamsUpdated(p);
        if (hub != address(0)) IInferenceHub(hub).checkLifecycle();
    }

    /// @inheritdoc IDisputeCourt
    function setModule(address module, bool allowed) external onlyOwner {
        if (module == address(0)) revert CourtZeroAddress();
        isModule[module] = allowed;
        emit ModuleSet(module, allowed);
    }

    /// @inheritdoc IDisputeCourt
    function setHub(address hub_) external onlyOwner {
        if (hub_ == address(0)) revert CourtZeroAddress();
        if (hub != address(0)) revert CourtHubAlreadySet(hub);
        hub = hub_;
        emit HubSet(hub_);
    }

    // ------------------------------------------------------------------------------------------------- views

    /// @inheritdoc IDisputeCourt
    function params() external view returns (CourtParams memory) {
        return _params;
    }

    /// @inheritdoc IDisputeCourt
    function getCase(uint256 requestId) external view returns (Case memory) {
        return _cases[requestId];
    }

    /// @inheritdoc IDisputeCourt
    function outcomeOf(uint256 requestId) external view returns (Outcome outcome, address[] memory majority) {
        Case storage c = _cases[requestId];
        outcome = c.outcome;
        if (outcome == Outcome.Upheld) majority = _seatsOf(requestId, c.round, true);
    }

    /// @inheritdoc IDisputeCourt
    function challengersOf(uint256 requestId) external view returns (Challenger[] memory) {
        return _challengers[requestId];
    }

    /// @inheritdoc IDisputeCourt
    function juryOf(uint256 requestId, uint8 round) external view returns (address[] memory) {
        return _seatsOf(requestId, round, false);
    }

    /// @inheritdoc IDisputeCourt
    function ballotOf(uint256 requestId, uint8 round, address juror) external view returns (Ballot memory) {
        return _ballots[requestId][round][juror];
    }

    /// @inheritdoc IDisputeCourt
    function isParty(uint256 requestId, address account) external view returns (bool) {
        Case storage c = _cases[requestId];
        if (c.phase == Phase.None) return false;
        return
            account == c.worker ||
            account == c.requester ||
            _indexOf(_barred[requestId], account) != NOT_FOUND ||
            _ballots[requestId][1][account].seats != 0 ||
            _ballots[requestId][2][account].seats != 0;
    }

    /// @inheritdoc IDisputeCourt
    function maxCaseDuration() external view returns (uint256) {
        CourtParams storage p = _params;
        return 2 * (uint256(p.drawWindow) + p.commitWindow + p.revealWindow);
    }

    /// @inheritdoc IDisputeCourt
    function voteCommitment(
        uint256 requestId,
        uint8 round,
        address juror,
        bool upholdWorker,
        bytes32 salt
    ) public pure returns (bytes32) {
        return keccak256(abi.encode(requestId, round, juror, upholdWorker, salt));
    }

    // ------------------------------------------------------------------------------------------------- internals

    function _caseOf(uint256 requestId) private view returns (Case storage c) {
        c = _cases[requestId];
        if (c.phase == Phase.None) revert CourtUnknownCase(requestId);
    }

    function _caseIn(uint256 requestId, Phase phase) private view returns (Case storage c) {
        c = _caseOf(requestId);
        if (c.phase != phase) revert CourtWrongPhase(requestId, c.phase);
    }

    /// @dev Lists defenders and further excluded addresses once each, without the worker and the requester.
    function _storeParties(uint256 requestId, Parties calldata parties) private {
        address[] storage barred = _barred[requestId];
        uint256 defenderCount = parties.defenders.length;
        uint256 total = defenderCount + parties.excluded.length;
        for (uint256 i; i < defenderCount; ++i) _listParty(barred, parties, i);
        uint256 listed = barred.length;
        if (listed != 0) _defenderCount[requestId] = listed;
        for (uint256 i = defenderCount; i < total; ++i) _listParty(barred, parties, i);
    }

    /// @dev Lists candidate `i` (defenders, then excluded) unless it is zero, a principal or an earlier candidate.
    function _listParty(address[] storage barred, Parties calldata parties, uint256 i) private {
        address account = _candidate(parties, i);
        if (account == address(0) || account == parties.worker || account == parties.requester) return;
        for (uint256 j; j < i; ++j) {
            if (_candidate(parties, j) == account) return;
        }
        barred.push(account);
    }

    function _candidate(Parties calldata parties, uint256 i) private pure returns (address) {
        uint256 defenderCount = parties.defenders.length;
        return i < defenderCount ? parties.defenders[i] : parties.excluded[i - defenderCount];
    }

    function _addChallenger(uint256 requestId, Case storage c, address account, uint96 bond) private {
        if (account == address(0)) revert CourtZeroAddress();
        Challenger[] storage list = _challengers[requestId];
        uint256 max = _params.maxChallengers;
        if (list.length >= max) revert CourtTooManyChallengers(requestId, max);
        for (uint256 i; i < list.length; ++i) {
            if (list[i].account == account) revert CourtAlreadyChallenger(requestId, account);
        }
        address[] storage barred = _barred[requestId];
        uint256 index = _indexOf(barred, account);
        if (
            account == c.worker ||
            account == c.requester ||
            _ballots[requestId][1][account].seats != 0 ||
            (index != NOT_FOUND && index < _defenderCount[requestId])
        ) revert CourtPartyConflict(requestId, account);
        if (index == NOT_FOUND) barred.push(account);

        uint96 weight = bond == 0 ? _params.challengeBond : bond;
        list.push(Challenger({account: account, bond: bond, weight: weight}));
        c.totalBond += bond;
        c.challengerWeight += weight;
        emit ChallengerJoined(requestId, account, bond, weight);
    }

    function _openRound(uint256 requestId, Case storage c, uint8 round, uint256 seats) private {
        uint256 ticket = _requestTicket(c);
        uint64 drawDeadline = uint64(block.timestamp + _params.drawWindow);
        c.phase = Phase.Drawing;
        c.round = round;
        c.seats = uint16(seats);
        c.committedSeats = 0;
        c.revealedSeats = 0;
        c.upholdSeats = 0;
        c.rejectSeats = 0;
        c.drawDeadline = drawDeadline;
        c.commitDeadline = 0;
        c.revealDeadline = 0;
        c.drawnAtBlock = 0;
        emit RoundOpened(requestId, round, seats, ticket, drawDeadline);
    }

    /// @dev Replaces the current round's ticket (expired word, or a snapshot that is gone or too small).
    function _reissueTicket(uint256 requestId, Case storage c) private {
        emit RoundOpened(requestId, c.round, c.seats, _requestTicket(c), c.drawDeadline);
    }

    /// @dev Asks for the draw's word now and records when: the draw reads the weights frozen before this moment.
    function _requestTicket(Case storage c) private returns (uint256 ticket) {
        ticket = randomness.request();
        c.ticket = SafeCast.toUint64(ticket);
        c.ticketRequestedAt = uint64(block.timestamp);
    }

    /// @dev Worker, requester, defenders, further excluded and challengers, each once.
    function _juryExclusions(uint256 requestId, Case storage c) private view returns (address[] memory list) {
        address[] storage barred = _barred[requestId];
        uint256 n = barred.length;
        list = new address[](n + 2);
        list[0] = c.worker;
        list[1] = c.requester;
        for (uint256 i; i < n; ++i) list[i + 2] = barred[i];
    }

    /// @dev Penalises the silent seats of `round` and, when it was decided, its minority seats; lists the majority.
    function _judgeJurors(uint256 requestId, uint8 round, Outcome outcome) private returns (Tally memory tally) {
        address[] storage jurors = _jurors[requestId][round];
        mapping(address => Ballot) storage ballots = _ballots[requestId][round];
        bool decided = outcome == Outcome.Upheld || outcome == Outcome.Rejected;
        uint256 count = jurors.length;
        tally.majority = new address[](count);
        tally.majoritySeats = new uint256[](count);
        CourtParams storage p = _params;
        for (uint256 i; i < count; ++i) {
            address juror = jurors[i];
            Ballot storage ballot = ballots[juror];
            uint256 seats = ballot.seats;
            if (!ballot.revealed) {
                tally.penalties += _penalise(requestId, juror, p.nonRevealPenaltyBps, seats, PENALTY_NON_REVEAL);
            } else if (decided) {
                if (ballot.upholdWorker == (outcome == Outcome.Upheld)) {
                    tally.majority[tally.count] = juror;
                    tally.majoritySeats[tally.count++] = seats;
                    tally.seats += seats;
                } else {
                    tally.penalties += _penalise(requestId, juror, p.minorityPenaltyBps, seats, PENALTY_MINORITY);
                }
            }
        }
    }

    /// @dev Slashes `seats` × `bps` (at most all) of `account`'s slashable stake, rounded up; no jail.
    function _penalise(
        uint256 requestId,
        address account,
        uint256 bps,
        uint256 seats,
        bytes32 reason
    ) private returns (uint256 slashed) {
        uint256 share = Math.min(bps * seats, BPS);
        uint256 amount = Math.ceilDiv(staking.slashableStake(account, 0) * share, BPS);
        if (amount == 0) return 0;
        slashed = staking.slash(account, amount, 0, false);
        emit Penalised(requestId, account, slashed, reason);
    }

    /// @dev Rejected: the worker (jailed) and the defenders are slashed into a pool; challengers share
    ///      `challengerRewardBps` of it by weight, majority seats `voterRewardBps`; the treasury takes the rest and the
    ///      jurors' penalties; bonds go back.
    function _settleRejected(uint256 requestId, Case storage c, Tally memory tally) private {
        uint256 pool = _slashWrongSide(requestId, c);
        uint256 paid = _payChallengers(requestId, c, (pool * _params.challengerRewardBps) / BPS);
        paid += _payVoters(requestId, ISettlement.Source.Surplus, (pool * _params.voterRewardBps) / BPS, tally);
        _creditTreasury(requestId, pool - paid + tally.penalties);
        _returnBonds(requestId);
    }

    /// @dev Slashes the worker max(slashBps × slashable stake, collateral), releasing its collateral, and jails it;
    ///      slashes each defender `defenderSlashBps` of its stake. Returns the total slashed.
    function _slashWrongSide(uint256 requestId, Case storage c) private returns (uint256 pool) {
        address worker = c.worker;
        uint256 collateral = c.collateral;
        uint256 amount = Math.max(
            Math.ceilDiv(staking.slashableStake(worker, collateral) * _params.slashBps, BPS),
            collateral
        );
        pool = staking.slash(worker, amount, collateral, true);
        emit Penalised(requestId, worker, pool, PENALTY_WORKER);
        address[] storage barred = _barred[requestId];
        uint256 defenderCount = _defenderCount[requestId];
        uint256 defenderBps = _params.defenderSlashBps;
        for (uint256 i; i < defenderCount; ++i) {
            pool += _penalise(requestId, barred[i], defenderBps, 1, PENALTY_DEFENDER);
        }
    }

    /// @dev Credits `challengerPool` pro rata to the challengers' weights (rounded down); returns what was paid.
    function _payChallengers(uint256 requestId, Case storage c, uint256 challengerPool) private returns (uint256 paid) {
        Challenger[] storage challengers = _challengers[requestId];
        uint256 n = challengers.length;
        uint256 totalWeight = c.challengerWeight;
        if (totalWeight == 0) return 0; // no challenger: the treasury keeps their share
        address[] memory accounts = new address[](n);
        uint256[] memory amounts = new uint256[](n);
        uint256 k;
        for (uint256 i; i < n; ++i) {
            Challenger storage challenger = challengers[i];
            uint256 reward = (challengerPool * challenger.weight) / totalWeight;
            if (reward == 0) continue;
            accounts[k] = challenger.account;
            amounts[k++] = reward;
            paid += reward;
        }
        _credit(requestId, ISettlement.Source.Surplus, accounts, amounts, k, CREDIT_CHALLENGER_REWARD);
    }

    /// @dev Upheld: bonds are forfeited and stake-backed challengers slashed their weight; of each source's pool the
    ///      majority seats share `voterRewardBps`, the treasury takes the rest, as it does jurors' penalties.
    function _settleUpheld(uint256 requestId, Case storage c, Tally memory tally) private {
        Challenger[] storage challengers = _challengers[requestId];
        uint256 stakePool;
        for (uint256 i; i < challengers.length; ++i) {
            Challenger storage challenger = challengers[i];
            if (challenger.bond != 0) continue;
            address account = challenger.account;
            uint256 slashed = staking.slash(account, challenger.weight, 0, false);
            emit Penalised(requestId, account, slashed, PENALTY_CHALLENGER);
            stakePool += slashed;
        }
        // The forfeited pool beyond the voters' share goes to the treasury, not to the worker: a worker whose own
        // jurors uphold a wrong result must not win the honest challengers' bonds (docs/ECONOMICS.md).
        uint256 voterBps = _params.voterRewardBps;
        address treasury = settlement.treasury();
        uint256 bondPool = c.totalBond;
        uint256 paid = _payVoters(requestId, ISettlement.Source.Bonds, (bondPool * voterBps) / BPS, tally);
        _creditOne(requestId, ISettlement.Source.Bonds, treasury, bondPool - paid, CREDIT_FORFEIT);
        paid = _payVoters(requestId, ISettlement.Source.Surplus, (stakePool * voterBps) / BPS, tally);
        _creditOne(requestId, ISettlement.Source.Surplus, treasury, stakePool - paid, CREDIT_FORFEIT);
        _creditTreasury(requestId, tally.penalties);
    }

    /// @dev Credits `voterPool / majority seats` per majority seat out of `source`; returns what was paid.
    function _payVoters(
        uint256 requestId,
        ISettlement.Source source,
        uint256 voterPool,
        Tally memory tally
    ) private returns (uint256 paid) {
        uint256 perSeat = voterPool / tally.seats;
        if (perSeat == 0) return 0;
        uint256 count = tally.count;
        uint256[] memory amounts = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            amounts[i] = perSeat * tally.majoritySeats[i];
        }
        paid = perSeat * tally.seats;
        _credit(requestId, source, tally.majority, amounts, count, CREDIT_VOTER_REWARD);
    }

    function _returnBonds(uint256 requestId) private {
        Challenger[] storage challengers = _challengers[requestId];
        uint256 n = challengers.length;
        address[] memory accounts = new address[](n);
        uint256[] memory amounts = new uint256[](n);
        uint256 k;
        for (uint256 i; i < n; ++i) {
            Challenger storage challenger = challengers[i];
            if (challenger.bond == 0) continue;
            accounts[k] = challenger.account;
            amounts[k++] = challenger.bond;
        }
        _credit(requestId, ISettlement.Source.Bonds, accounts, amounts, k, CREDIT_BOND_RETURN);
    }

    function _creditTreasury(uint256 requestId, uint256 amount) private {
        if (amount == 0) return;
        _creditOne(requestId, ISettlement.Source.Surplus, settlement.treasury(), amount, CREDIT_TREASURY);
    }

    function _creditOne(
        uint256 requestId,
        ISettlement.Source source,
        address account,
        uint256 amount,
        bytes32 reason
    ) private {
        address[] memory accounts = new address[](1);
        uint256[] memory amounts = new uint256[](1);
        accounts[0] = account;
        amounts[0] = amount;
        _credit(requestId, source, accounts, amounts, amount == 0 ? 0 : 1, reason);
    }

    /// @dev Credits the first `count` entries (all non-zero); nothing when `count` is zero.
    function _credit(
        uint256 requestId,
        ISettlement.Source source,
        address[] memory accounts,
        uint256[] memory amounts,
        uint256 count,
        bytes32 reason
    ) private {
        if (count == 0) return;
        assembly ("memory-safe") {
            mstore(accounts, count)
            mstore(amounts, count)
        }
        settlement.credit(requestId, source, accounts, amounts, reason);
    }

    /// @dev One entry per seat of `round`'s jurors (only seats that revealed upholding when `upheldOnly`).
    function _seatsOf(uint256 requestId, uint8 round, bool upheldOnly) private view returns (address[] memory seats) {
        address[] storage jurors = _jurors[requestId][round];
        mapping(address => Ballot) storage ballots = _ballots[requestId][round];
        seats = new address[](MAX_APPEAL_JURY_SIZE);
        uint256 n;
        for (uint256 i; i < jurors.length; ++i) {
            Ballot storage ballot = ballots[jurors[i]];
            if (upheldOnly && !(ballot.revealed && ballot.upholdWorker)) continue;
            for (uint256 s; s < ballot.seats; ++s) seats[n++] = jurors[i];
        }
        assembly ("memory-safe") {
            mstore(seats, n)
        }
    }

    /// @dev Position of `account` in `list`, or NOT_FOUND.
    function _indexOf(address[] storage list, address account) private view returns (uint256) {
        uint256 n = list.length;
        for (uint256 i; i < n; ++i) {
            if (list[i] == account) return i;
        }
        return NOT_FOUND;
    }

    function _checkParams(CourtParams memory p) private pure {
        _checkOdd("jurySize", p.jurySize, MIN_JURY_SIZE, MAX_JURY_SIZE);
        _checkOdd("appealJurySize", p.appealJurySize, uint256(p.jurySize) + 2, MAX_APPEAL_JURY_SIZE);
        _checkRange("maxChallengers", p.maxChallengers, 1, MAX_CHALLENGERS);
        _checkRange("slashBps", p.slashBps, MIN_SLASH_BPS, BPS);
        _checkRange("defenderSlashBps", p.defenderSlashBps, MIN_SLASH_BPS, BPS);
        _checkRange("challengerRewardBps", p.challengerRewardBps, 0, MAX_REWARD_BPS);
        _checkRange("voterRewardBps", p.voterRewardBps, 0, MAX_REWARD_BPS);
        _checkRange("nonRevealPenaltyBps", p.nonRevealPenaltyBps, MIN_NON_REVEAL_PENALTY_BPS, MAX_PENALTY_BPS);
        // The spec: minority seats lose a smaller share than silent ones.
        _checkRange("minorityPenaltyBps", p.minorityPenaltyBps, 0, p.nonRevealPenaltyBps);
        _checkRange("drawWindow", p.drawWindow, MIN_WINDOW, MAX_WINDOW);
        _checkRange("commitWindow", p.commitWindow, MIN_WINDOW, MAX_WINDOW);
        _checkRange("revealWindow", p.revealWindow, MIN_WINDOW, MAX_WINDOW);
        _checkRange("challengeBond", p.challengeBond, MIN_CHALLENGE_BOND, MAX_CHALLENGE_BOND);
    }

    function _checkRange(string memory name, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert CourtParamOutOfBounds(name, value, min, max);
    }

    function _checkOdd(string memory name, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max || value % 2 == 0) revert CourtParamOutOfBounds(name, value, min, max);
    }
}
