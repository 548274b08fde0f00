// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IDisputeCourt
/// @notice The dispute court shared by the verification modules: juries drawn by stake from a future block,
///         commit–reveal votes, one appeal with a larger jury, and the economic consequences of the decision.
/// @dev Lifecycle of a case: a module opens it (Drawing) → anyone draws the jury once the randomness is known
///      (Voting) → jurors commit, then reveal → anyone resolves after the reveal deadline, or once every seat revealed:
///      a decided vote ends the case Upheld or Rejected; an undecided one (tie, no reveal) opens round 2 with
///      `appealJurySize` seats; an undecided round 2 — or a jury that could not be drawn by its draw deadline — ends
///      it Undecided (the module then refunds the requester without paying the worker).
///      Economics at resolution (all credits via the settlement contract, all slashes via Staking):
///      - Rejected: the worker is slashed max(slashBps × its slashable stake, collateral) and jailed; defenders
///        (committee members who attested the result) are slashed `defenderSlashBps` of their stake; from that pool
///        the challengers share `challengerRewardBps` pro rata to their weight, majority seats share
///        `voterRewardBps`, the treasury takes the rest; bonds are returned.
///      - Upheld: bonds are forfeited and stake-backed challengers slashed `challengeBond` each; majority seats share
///        `voterRewardBps` of that pool, the treasury takes the rest (never the worker: a wrong result upheld by
///        colluding jurors must not win the honest bonds).
///      - Every decided round: seats in the minority lose `minorityPenaltyBps` of their stake; every round: seats
///        that did not reveal lose `nonRevealPenaltyBps` of their stake (per seat; to the treasury).
///      - Undecided: bonds are returned, nobody is slashed except silent jurors.
interface IDisputeCourt {
    // ------------------------------------------------------------------------------------------------- types

    enum Outcome {
        None, // no case
        Pending, // being decided
        Upheld, // the worker's result stands
        Rejected, // the worker's result was wrong
        Undecided // no decision after the appeal, or no jury could be drawn
    }

    enum Phase {
        None,
        Drawing, // waiting for randomness / enough eligible jurors
        Voting, // jury drawn: commit, then reveal
        Resolved
    }

    /// @notice Who a case is about, given by the module that opens it.
    struct Parties {
        address worker;
        address requester;
        uint256 collateral; // the worker's locked collateral for the job (released by the slash on Rejected)
        address[] defenders; // stake-backed supporters of the result (COMMITTEE members who agreed)
        address[] excluded; // further addresses that may not sit on the jury (e.g. the whole committee)
    }

    /// @notice Governance parameters; each has hard bounds.
    struct CourtParams {
        uint8 jurySize; // seats in round 1 (odd)
        uint8 appealJurySize; // seats in round 2 (odd, larger than jurySize)
        uint8 maxChallengers; // challengers per case
        uint16 slashBps; // worker slash for a wrong result, of its slashable stake (at least the collateral)
        uint16 defenderSlashBps; // slash of each defender of a rejected result, of its stake
        uint16 challengerRewardBps; // share of the slash pool paid to challengers
        uint16 voterRewardBps; // share of the slash / forfeit pool paid to majority seats
        uint16 minorityPenaltyBps; // stake share lost per minority seat of a decided round
        uint16 nonRevealPenaltyBps; // stake share lost per seat that did not reveal
        uint32 drawWindow; // seconds after a round opens to draw its jury before the case ends Undecided
        uint32 commitWindow; // seconds to commit after the jury is drawn
        uint32 revealWindow; // seconds to reveal after the commit window
        uint96 challengeBond; // OPG wei each challenger bonds (stake-backed challengers risk this much stake)
    }

    /// @notice The state of a case (one per request).
    struct Case {
        address module; // the module that opened it
        address worker;
        address requester;
        uint96 collateral;
        Phase phase;
        Outcome outcome;
        uint8 round; // 1, or 2 after an appeal
        uint16 seats; // seats of the current round
        uint16 committedSeats;
        uint16 revealedSeats;
        uint16 upholdSeats;
        uint16 rejectSeats;
        uint64 ticket; // randomness ticket of the current round's draw
        uint64 ticketRequestedAt; // when the ticket was requested: the draw reads the weights frozen before it
        uint64 drawDeadline;
        uint64 commitDeadline;
        uint64 revealDeadline;
        uint64 drawnAtBlock; // nothing resolves in the block of its own draw
        uint96 totalBond; // bonds held for this case
        uint128 challengerWeight; // sum of challengers' weights
    }

    /// @notice One juror's ballot in one round (an address votes once with all the seats it holds).
    struct Ballot {
        uint16 seats;
        bool committed;
        bool revealed;
        bool upholdWorker;
        bytes32 commitment;
    }

    /// @notice One challenger of a case.
    struct Challenger {
        address account;
        uint96 bond; // held in settlement; 0 for a stake-backed challenger
        uint96 weight; // share of the challenger reward (the bond, or `challengeBond` when stake-backed)
    }

    // ------------------------------------------------------------------------------------------------- events

    event CaseOpened(uint256 indexed requestId, address indexed module, address indexed worker);
    event ChallengerJoined(uint256 indexed requestId, address indexed challenger, uint256 bond, uint256 weight);
    /// @notice A round's jury must be drawn from `ticket`'s randomness before `drawDeadline`.
    event RoundOpened(uint256 indexed requestId, uint8 round, uint256 seats, uint256 ticket, uint256 drawDeadline);
    /// @notice A jury was drawn (`seats` holds one address per seat).
    event JuryDrawn(
        uint256 indexed requestId,
        uint8 round,
        address[] seats,
        uint256 commitDeadline,
        uint256 revealDeadline
    );
    event VoteCommitted(uint256 indexed requestId, uint8 round, address indexed juror, uint256 seats);
    event VoteRevealed(uint256 indexed requestId, uint8 round, address indexed juror, bool upholdWorker, uint256 seats);
    /// @notice A round ended undecided and the case was appealed to a larger jury.
    event Appealed(uint256 indexed requestId, uint8 round, uint256 upholdSeats, uint256 rejectSeats);
    /// @notice The case ended.
    event CaseResolved(uint256 indexed requestId, Outcome outcome, uint256 upholdSeats, uint256 rejectSeats);
    /// @notice `account` lost `amount` of stake in this case for `reason` (worker, defender, challenger, minority,
    ///         nonReveal).
    event Penalised(uint256 indexed requestId, address indexed account, uint256 amount, bytes32 indexed reason);
    event ParamsUpdated(CourtParams params);
    event ModuleSet(address indexed module, bool allowed);
    /// @notice The inference hub whose lifecycle bound `setParams` checks was set (once).
    event HubSet(address hub);

    // ------------------------------------------------------------------------------------------------- errors

    error CourtNotModule(address caller);
    error CourtCaseExists(uint256 requestId);
    error CourtUnknownCase(uint256 requestId);
    error CourtWrongPhase(uint256 requestId, Phase phase);
    error CourtTooManyChallengers(uint256 requestId, uint256 max);
    error CourtAlreadyChallenger(uint256 requestId, address account);
    /// @notice A juror of the case cannot join it as a challenger (nor a party sit on the jury).
    error CourtPartyConflict(uint256 requestId, address account);
    error CourtRandomnessPending(uint256 requestId, uint256 ticket);
    /// @notice The jury's word is known but the jury is not drawn: a join now would change who can be drawn. Draw the
    ///         jury first (anyone can), then join before the commit deadline.
    error CourtDrawPending(uint256 requestId, uint256 ticket);
    /// @notice The snapshot holds fewer non-party tickets or fewer non-party verifiers than seats (IStaking.drawPanel:
    ///         every seat could go to a different verifier): wait for a newer snapshot, or for the draw deadline.
    error CourtTooFewJurors(uint256 requestId, uint256 seats);
    error CourtNotJuror(uint256 requestId, address account);
    error CourtAlreadyActed(uint256 requestId, address account);
    error CourtNotCommitted(uint256 requestId, address account);
    error CourtEmptyCommitment();
    error CourtRevealMismatch(uint256 requestId, address account);
    error CourtCommitPhaseOpen(uint256 requestId, uint256 commitDeadline);
    error CourtDeadlinePassed(uint256 requestId, uint256 deadline);
    error CourtDeadlineNotReached(uint256 requestId, uint256 deadline);
    /// @notice Nothing is resolved in the block of its own draw.
    error CourtSameBlock(uint256 requestId);
    error CourtParamOutOfBounds(string name, uint256 value, uint256 min, uint256 max);
    error CourtZeroAddress();
    /// @notice The hub can be set only once.
    error CourtHubAlreadySet(address hub);
    /// @notice More defenders, or more further excluded addresses, than a case can hold.
    error CourtTooManyParties(uint256 count, uint256 max);

    // ------------------------------------------------------------------------------------------------- modules

    /// @notice Opens the case of `requestId` with a first challenger. `bond` > 0: bonded (already locked in
    ///         settlement by the module); 0: stake-backed. `challenger` = address(0) (with `bond` 0) opens a case
    ///         without a challenger (a COMMITTEE without quorum); on Rejected the challengers' share then goes to
    ///         the treasury. Only an allowed module.
    /// @dev A challenger may not be the worker, the requester, a defender, a challenger already, or a juror of the
    ///      case. An address that is only in `parties.excluded` may challenge (a COMMITTEE module excludes its whole
    ///      committee from the jury and opens the case with the disagreeing members as challengers).
    function open(uint256 requestId, Parties calldata parties, address challenger, uint96 bond) external;

    /// @notice Adds a challenger to an open case while round 1 is drawing (until its word is known) or before its
    ///         commit deadline (not a juror or party, see {open}). Only the module that opened the case, while it is
    ///         allowed.
    function join(uint256 requestId, address challenger, uint96 bond) external;

    // ------------------------------------------------------------------------------------------------- anyone

    /// @notice Draws the current round's jury once its randomness is known, from the verifier weights frozen before
    ///         the randomness was requested (IStaking.drawPanel); an expired ticket or snapshot is requested again
    ///         instead. Permissionless.
    function drawJury(uint256 requestId) external;

    /// @notice A juror commits `voteCommitment(requestId, round, juror, upholdWorker, salt)`.
    function commitVote(uint256 requestId, bytes32 commitment) external;

    /// @notice A juror reveals, once every seat committed or the commit window closed, before the reveal deadline.
    function revealVote(uint256 requestId, bool upholdWorker, bytes32 salt) external;

    /// @notice Ends the round after its reveal deadline (or once every seat revealed, in a later block than the
    ///         draw): decides, appeals or ends Undecided; or ends a case whose jury could not be drawn in time.
    ///         Permissionless.
    function resolve(uint256 requestId) external;

    // ------------------------------------------------------------------------------------------------- governance

    function setParams(CourtParams calldata params) external;

    function setModule(address module, bool allowed) external;

    /// @notice Sets the inference hub (deployed after the court), once. From then on {setParams} calls its
    ///         `checkLifecycle()`.
    function setHub(address hub) external;

    // ------------------------------------------------------------------------------------------------- views

    function params() external view returns (CourtParams memory);

    /// @notice The inference hub, or address(0) before {setHub}.
    function hub() external view returns (address);

    /// @notice Whether `module` may open cases.
    function isModule(address module) external view returns (bool);

    function getCase(uint256 requestId) external view returns (Case memory);

    /// @notice The outcome, and (when Upheld) the majority seats of the deciding round, one entry per seat.
    function outcomeOf(uint256 requestId) external view returns (Outcome outcome, address[] memory majority);

    function challengersOf(uint256 requestId) external view returns (Challenger[] memory);

    /// @notice The seats of `round`'s jury (one address per seat).
    function juryOf(uint256 requestId, uint8 round) external view returns (address[] memory);

    function ballotOf(uint256 requestId, uint8 round, address juror) external view returns (Ballot memory);

    /// @notice Whether `account` may not challenge or sit: a party, a challenger or a juror of the case.
    function isParty(uint256 requestId, address account) external view returns (bool);

    /// @notice Longest time from opening to resolution: two rounds of draw + commit + reveal windows.
    function maxCaseDuration() external view returns (uint256);

    function voteCommitment(
        uint256 requestId,
        uint8 round,
        address juror,
        bool upholdWorker,
        bytes32 salt
    ) external pure returns (bytes32);
}
