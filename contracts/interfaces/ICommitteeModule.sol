// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IVerificationModule} from "./IVerificationModule.sol";

/// @title ICommitteeModule
/// @notice COMMITTEE mode: a committee of exactly `committeeSize` seats, drawn by stake from randomness of a block
///         after the submission, re-executes the result and attests by commit–reveal. Final only when at least
///         `quorum` seats revealed agreement and none disagreement; any disagreement, or no quorum by the reveal
///         deadline, escalates to the dispute court (silence is never approval). Seats that do not reveal are
///         penalised; attesters on the losing side of a dispute are slashed by the court.
/// @dev If no committee can be drawn by the draw deadline (too few eligible verifiers), the request is Refunded:
///      the requester gets the fee back, the worker is neither paid nor slashed.
interface ICommitteeModule is IVerificationModule {
    struct CommitteeParams {
        uint8 committeeSize; // seats (odd, 1..15)
        uint8 quorum; // agreeing seats needed (> committeeSize / 2)
        uint16 silencePenaltyBps; // stake share lost per seat that did not reveal
        uint32 drawWindow; // seconds after submission to draw the committee
        uint32 commitWindow; // seconds to commit after the draw
        uint32 revealWindow; // seconds to reveal after the commit window
    }

    /// @notice The committee of one request.
    struct Round {
        // First slot: what the submission writes (one fresh slot), plus the commit deadline.
        uint64 ticket; // randomness ticket for the draw
        uint64 drawDeadline;
        uint64 ticketRequestedAt; // when the ticket was requested: the draw reads the weights frozen before it
        uint64 commitDeadline;
        uint64 revealDeadline;
        uint64 drawnAtBlock;
        uint8 seats; // committee size when drawn (0 before)
        uint8 quorum; // agreeing seats needed, fixed when drawn
        uint8 committedSeats;
        uint8 revealedSeats;
        uint8 agreeSeats;
        uint8 disagreeSeats;
        bool escalated; // sent to the court
        bool penalised; // silent seats were penalised
    }

    struct Attestation {
        uint8 seats;
        bool committed;
        bool revealed;
        bool agree;
        bytes32 commitment;
    }

    /// @notice The committee of `requestId` will be drawn from `ticket`'s randomness, by `drawDeadline` (emitted at
    ///         submission, and again with a new ticket when the first one expired unread).
    event DrawRequested(uint256 indexed requestId, uint256 ticket, uint256 drawDeadline);
    event CommitteeDrawn(uint256 indexed requestId, address[] seats, uint256 commitDeadline, uint256 revealDeadline);
    event AttestationCommitted(uint256 indexed requestId, address indexed member, uint256 seats);
    event AttestationRevealed(uint256 indexed requestId, address indexed member, bool agree, uint256 seats);
    /// @notice The result went to the court: `disagreeSeats` > 0, or fewer than `quorum` agreeing seats.
    event Escalated(uint256 indexed requestId, uint256 agreeSeats, uint256 disagreeSeats);
    event SilencePenalised(uint256 indexed requestId, address indexed member, uint256 amount);
    event ParamsUpdated(CommitteeParams params);

    error CommitteeUnknownRequest(uint256 requestId);
    error CommitteeAlreadyDrawn(uint256 requestId);
    error CommitteeNotDrawn(uint256 requestId);
    error CommitteeRandomnessPending(uint256 requestId, uint256 ticket);
    /// @notice The snapshot holds fewer non-party tickets or fewer non-party verifiers than seats (IStaking.drawPanel:
    ///         every seat could go to a different verifier): wait for a newer snapshot, or for the draw deadline.
    error CommitteeTooFewVerifiers(uint256 requestId, uint256 seats);
    error CommitteeNotMember(uint256 requestId, address account);
    error CommitteeAlreadyActed(uint256 requestId, address account);
    error CommitteeNotCommitted(uint256 requestId, address account);
    error CommitteeEmptyCommitment();
    error CommitteeRevealMismatch(uint256 requestId, address account);
    error CommitteeCommitPhaseOpen(uint256 requestId, uint256 commitDeadline);
    error CommitteeDeadlinePassed(uint256 requestId, uint256 deadline);
    /// @notice Not yet time to escalate: reveals are still open, or the request is final without a dispute.
    error CommitteeCannotEscalate(uint256 requestId);
    error CommitteeSameBlock(uint256 requestId);
    error CommitteeParamOutOfBounds(string name, uint256 value, uint256 min, uint256 max);

    /// @notice Draws the committee once the randomness is known, from the verifier weights frozen before the
    ///         randomness was requested (IStaking.drawPanel); an expired ticket or snapshot is requested again
    ///         instead. Permissionless.
    function drawCommittee(uint256 requestId) external;

    /// @notice A member commits `attestationCommitment(requestId, member, agree, salt)` before the commit deadline.
    function commitAttestation(uint256 requestId, bytes32 commitment) external;

    /// @notice A member reveals once every seat committed or the commit window closed, before the reveal deadline.
    function revealAttestation(uint256 requestId, bool agree, bytes32 salt) external;

    /// @notice Sends the result to the court (a disagreement was revealed, or no quorum by the reveal deadline).
    ///         Permissionless.
    function escalate(uint256 requestId) external;

    function setParams(CommitteeParams calldata params) external;

    function params() external view returns (CommitteeParams memory);

    function roundOf(uint256 requestId) external view returns (Round memory);

    function committeeOf(uint256 requestId) external view returns (address[] memory seats);

    function attestationOf(uint256 requestId, address member) external view returns (Attestation memory);

    function attestationCommitment(
        uint256 requestId,
        address member,
        bool agree,
        bytes32 salt
    ) external pure returns (bytes32);
}
