// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {IDisputeCourt} from "../interfaces/IDisputeCourt.sol";
import {IInferenceHub} from "../interfaces/IInferenceHub.sol";
import {IOptimisticModule} from "../interfaces/IOptimisticModule.sol";
import {ISettlement} from "../interfaces/ISettlement.sol";
import {IStaking} from "../interfaces/IStaking.sol";
import {IVerificationModule} from "../interfaces/IVerificationModule.sol";

/// @title OptimisticModule
/// @notice OPTIMISTIC mode: a result is final once its challenge window has passed without a challenge. A challenge
///         bonds `court.params().challengeBond` in the settlement contract and sends the request to the dispute
///         court, whose outcome the module then reports to the hub.
/// @dev Stores one bit per challenged request (whether it opened a court case), so an unchallenged request settles
///      without a call to the court: the window end is the deadline the hub keeps for the request (returned by
///      {onResult} and passed back to {settle} and by `jobOf`), and the case, its challengers and bonds live in the
///      court and the settlement contract. A change of `challengeWindow` therefore applies to results posted after
///      it. Cases of this module's requests are opened only by {challenge}, so "no case opened here" is exactly the
///      court's `Outcome.None`.
///      Windows are inclusive: a first challenge is accepted while `block.timestamp <= deadline`; the result is
///      Accepted from `deadline + 1` if no case was opened. Once a case is open, further challengers join it for as
///      long as the court admits them (until round 1's commit deadline), also after the window, so a first
///      challenger at the last second locks nobody out. The module moves no tokens itself: `lockBond` moves the
///      challenger's free balance inside the settlement contract (BONDS permission), and the hub, court, staking
///      and settlement contracts are trusted protocol contracts.
contract OptimisticModule is IOptimisticModule, Ownable {
    // ------------------------------------------------------------------------------------------------- constants

    /// @notice Hard bounds of `challengeWindow` (seconds).
    uint32 public constant MIN_CHALLENGE_WINDOW = 1 minutes;
    uint32 public constant MAX_CHALLENGE_WINDOW = 3 days;

    // ------------------------------------------------------------------------------------------------- immutables

    IInferenceHub public immutable hub;
    IDisputeCourt public immutable court;
    ISettlement public immutable settlement;
    IStaking public immutable staking;
    uint8 internal immutable _roleVerifier;

    // ------------------------------------------------------------------------------------------------- state

    uint32 internal _challengeWindow;
    /// @dev Requests for which {challenge} opened a court case.
    /// @dev One bit per request id, 256 ids per word: finalizing a batch of nearby ids reads one cold word, not one
    ///      per request.
    mapping(uint256 word => uint256 bits) internal _casesOpened;

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
        uint32 challengeWindow_,
        address initialOwner
    ) Ownable(initialOwner) {
        if (
            address(hub_) == address(0) ||
            address(court_) == address(0) ||
            address(settlement_) == address(0) ||
            address(staking_) == address(0)
        ) revert ModuleZeroAddress();
        hub = hub_;
        court = court_;
        settlement = settlement_;
        staking = staking_;
        _roleVerifier = staking_.ROLE_VERIFIER();
        _setChallengeWindow(challengeWindow_);
    }

    // ------------------------------------------------------------------------------------------------- hub

    /// @inheritdoc IVerificationModule
    function onResult(uint256, Job calldata) external view onlyHub returns (Verdict verdict, uint64 deadline) {
        return (Verdict.Pending, uint64(block.timestamp) + _challengeWindow);
    }

    /// @inheritdoc IVerificationModule
    function settle(
        uint256 requestId,
        Job calldata,
        uint64 deadline
    ) external view onlyHub returns (Verdict verdict, address[] memory paid) {
        if (!_caseOpened(requestId)) return (block.timestamp > deadline ? Verdict.Accepted : Verdict.Pending, paid);
        (IDisputeCourt.Outcome outcome, address[] memory majority) = court.outcomeOf(requestId);
        if (outcome == IDisputeCourt.Outcome.Upheld) return (Verdict.Accepted, majority);
        if (outcome == IDisputeCourt.Outcome.Rejected) return (Verdict.Rejected, paid);
        if (outcome == IDisputeCourt.Outcome.Undecided) return (Verdict.Refunded, paid);
        return (Verdict.Pending, paid);
    }

    // ------------------------------------------------------------------------------------------------- challengers

    /// @inheritdoc IOptimisticModule
    /// @dev Checks: the request is known to the hub (else the hub's {IInferenceHub.HubUnknownRequest}), was made
    ///      under this module (else {OptimisticUnknownRequest}) and is Submitted; the caller is an eligible verifier
    ///      and neither its worker nor its requester; for the first challenge, the window is open. The court refuses
    ///      jurors, parties, repeated and late joins, and challengers beyond `maxChallengers`.
    function challenge(uint256 requestId) external {
        (Job memory job, IInferenceHub.Status status, uint64 deadline, address module) = hub.jobOf(requestId);
        if (module != address(this)) revert OptimisticUnknownRequest(requestId);
        if (status != IInferenceHub.Status.Submitted) revert OptimisticNotSubmitted(requestId);
        if (msg.sender == job.worker || msg.sender == job.requester) {
            revert OptimisticPartyToRequest(requestId, msg.sender);
        }
        if (!staking.isEligible(msg.sender, _roleVerifier)) revert OptimisticNotEligible(msg.sender);

        bool caseOpen = _caseOpened(requestId);
        if (!caseOpen && block.timestamp > deadline) revert OptimisticWindowClosed(requestId, deadline);

        uint96 bond = court.params().challengeBond;
        settlement.lockBond(requestId, msg.sender, bond);
        if (caseOpen) {
            court.join(requestId, msg.sender, bond);
        } else {
            _casesOpened[requestId >> 8] |= 1 << (requestId & 0xff);
            IDisputeCourt.Parties memory parties = IDisputeCourt.Parties({
                worker: job.worker,
                requester: job.requester,
                collateral: job.collateral,
                defenders: new address[](0),
                excluded: new address[](0)
            });
            court.open(requestId, parties, msg.sender, bond);
        }
    }

    // ------------------------------------------------------------------------------------------------- governance

    /// @inheritdoc IOptimisticModule
    /// @dev Reverts with the hub's {IInferenceHub.HubLifecycleTooLong} if the longer window would let a request
    ///      outlive the staking unbonding delay.
    function setChallengeWindow(uint32 challengeWindow_) external onlyOwner {
        _setChallengeWindow(challengeWindow_);
        hub.checkLifecycle();
    }

    // ------------------------------------------------------------------------------------------------- views

    /// @inheritdoc IOptimisticModule
    function challengeWindow() external view returns (uint32) {
        return _challengeWindow;
    }

    /// @inheritdoc IVerificationModule
    function isDisputed(uint256 requestId) external view returns (bool) {
        if (!_caseOpened(requestId)) return false;
        (IDisputeCourt.Outcome outcome, ) = court.outcomeOf(requestId);
        return outcome == IDisputeCourt.Outcome.Pending;
    }

    /// @inheritdoc IVerificationModule
    /// @dev The last first challenge comes at the window's end; the court bounds the case from its opening.
    function maxVerificationDuration() external view returns (uint256) {
        return uint256(_challengeWindow) + court.maxCaseDuration();
    }

    // ------------------------------------------------------------------------------------------------- internal

    function _setChallengeWindow(uint32 challengeWindow_) internal {
        if (challengeWindow_ < MIN_CHALLENGE_WINDOW || challengeWindow_ > MAX_CHALLENGE_WINDOW) {
            revert OptimisticParamOutOfBounds(
                "challengeWindow",
                challengeWindow_,
                MIN_CHALLENGE_WINDOW,
                MAX_CHALLENGE_WINDOW
            );
        }
        _challengeWindow = challengeWindow_;
        emit ChallengeWindowSet(challengeWindow_);
    }

    function _caseOpened(uint256 requestId) internal view returns (bool) {
        return (_casesOpened[requestId >> 8] >> (requestId & 0xff)) & 1 == 1;
    }
}
