// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IDisputeCourt} from "../../../../contracts/interfaces/IDisputeCourt.sol";

// Test double of the dispute court, used by the module suites until the real DisputeCourt reaches main (only
// ModuleTestBase deploys it). It implements the calls the modules make with IDisputeCourt's errors and semantics,
// plus controls for the tests. Never deploy outside tests.

/// @notice Cases as the modules see them: open / join with the court's refusals, and outcomes set by the test.
contract CourtDouble {
    struct CaseData {
        address module;
        address worker;
        address requester;
        uint96 collateral;
        IDisputeCourt.Phase phase;
        IDisputeCourt.Outcome outcome;
        bool joinsClosed;
        address[] defenders;
        address[] excluded;
        address[] jurors;
        address[] majority;
    }

    IDisputeCourt.CourtParams internal _params;
    mapping(address => bool) public isModule;
    mapping(uint256 => CaseData) internal _cases;
    mapping(uint256 => IDisputeCourt.Challenger[]) internal _challengers;

    event CaseOpened(uint256 indexed requestId, address indexed module, address indexed worker);
    event ChallengerJoined(uint256 indexed requestId, address indexed challenger, uint256 bond, uint256 weight);

    constructor(IDisputeCourt.CourtParams memory params_) {
        _params = params_;
    }

    function setModule(address module, bool allowed) external {
        isModule[module] = allowed;
    }

    function setParams(IDisputeCourt.CourtParams calldata params_) external {
        _params = params_;
    }

    // ----------------------------------------------------------------------------------------- module calls

    function open(uint256 requestId, IDisputeCourt.Parties calldata parties, address challenger, uint96 bond) external {
        if (!isModule[msg.sender]) revert IDisputeCourt.CourtNotModule(msg.sender);
        CaseData storage c = _cases[requestId];
        if (c.phase != IDisputeCourt.Phase.None) revert IDisputeCourt.CourtCaseExists(requestId);
        c.module = msg.sender;
        c.worker = parties.worker;
        c.requester = parties.requester;
        c.collateral = uint96(parties.collateral);
        c.phase = IDisputeCourt.Phase.Drawing;
        c.outcome = IDisputeCourt.Outcome.Pending;
        c.defenders = parties.defenders;
        c.excluded = parties.excluded;
        emit CaseOpened(requestId, msg.sender, parties.worker);
        if (challenger != address(0)) _addChallenger(requestId, challenger, bond);
    }

    function join(uint256 requestId, address challenger, uint96 bond) external {
        CaseData storage c = _cases[requestId];
        if (c.phase == IDisputeCourt.Phase.None) revert IDisputeCourt.CourtUnknownCase(requestId);
        if (msg.sender != c.module) revert IDisputeCourt.CourtNotModule(msg.sender);
        if (c.phase == IDisputeCourt.Phase.Resolved) revert IDisputeCourt.CourtWrongPhase(requestId, c.phase);
        if (c.joinsClosed) revert IDisputeCourt.CourtDeadlinePassed(requestId, 0);
        _addChallenger(requestId, challenger, bond);
    }

    function _addChallenger(uint256 requestId, address challenger, uint96 bond) internal {
        CaseData storage c = _cases[requestId];
        if (
            challenger == c.worker ||
            challenger == c.requester ||
            _contains(c.defenders, challenger) ||
            _contains(c.jurors, challenger)
        ) revert IDisputeCourt.CourtPartyConflict(requestId, challenger);
        IDisputeCourt.Challenger[] storage list = _challengers[requestId];
        for (uint256 i; i < list.length; ++i) {
            if (list[i].account == challenger) revert IDisputeCourt.CourtAlreadyChallenger(requestId, challenger);
        }
        if (list.length >= _params.maxChallengers) {
            revert IDisputeCourt.CourtTooManyChallengers(requestId, _params.maxChallengers);
        }
        uint96 weight = bond == 0 ? _params.challengeBond : bond;
        list.push(IDisputeCourt.Challenger({account: challenger, bond: bond, weight: weight}));
        emit ChallengerJoined(requestId, challenger, bond, weight);
    }

    // ----------------------------------------------------------------------------------------- test controls

    function decide(uint256 requestId, IDisputeCourt.Outcome outcome, address[] calldata majority) external {
        CaseData storage c = _cases[requestId];
        c.outcome = outcome;
        c.majority = majority;
        c.phase = outcome == IDisputeCourt.Outcome.Pending ? IDisputeCourt.Phase.Voting : IDisputeCourt.Phase.Resolved;
    }

    function closeJoins(uint256 requestId) external {
        _cases[requestId].joinsClosed = true;
    }

    function addJuror(uint256 requestId, address juror) external {
        _cases[requestId].jurors.push(juror);
    }

    function defendersOf(uint256 requestId) external view returns (address[] memory) {
        return _cases[requestId].defenders;
    }

    function excludedOf(uint256 requestId) external view returns (address[] memory) {
        return _cases[requestId].excluded;
    }

    // ----------------------------------------------------------------------------------------- views

    function params() external view returns (IDisputeCourt.CourtParams memory) {
        return _params;
    }

    function maxCaseDuration() external view returns (uint256) {
        return 2 * (uint256(_params.drawWindow) + _params.commitWindow + _params.revealWindow);
    }

    function outcomeOf(uint256 requestId) external view returns (IDisputeCourt.Outcome, address[] memory) {
        CaseData storage c = _cases[requestId];
        address[] memory majority = c.outcome == IDisputeCourt.Outcome.Upheld ? c.majority : new address[](0);
        return (c.outcome, majority);
    }

    function getCase(uint256 requestId) external view returns (IDisputeCourt.Case memory k) {
        CaseData storage c = _cases[requestId];
        k.module = c.module;
        k.worker = c.worker;
        k.requester = c.requester;
        k.collateral = c.collateral;
        k.phase = c.phase;
        k.outcome = c.outcome;
        k.round = c.phase == IDisputeCourt.Phase.None ? 0 : 1;
    }

    function challengersOf(uint256 requestId) external view returns (IDisputeCourt.Challenger[] memory) {
        return _challengers[requestId];
    }

    function isParty(uint256 requestId, address account) external view returns (bool) {
        CaseData storage c = _cases[requestId];
        if (c.phase == IDisputeCourt.Phase.None) return false;
        if (account == c.worker || account == c.requester) return true;
        if (_contains(c.defenders, account) || _contains(c.excluded, account) || _contains(c.jurors, account)) {
            return true;
        }
        IDisputeCourt.Challenger[] storage list = _challengers[requestId];
        for (uint256 i; i < list.length; ++i) if (list[i].account == account) return true;
        return false;
    }

    function _contains(address[] storage list, address account) internal view returns (bool) {
        for (uint256 i; i < list.length; ++i) if (list[i] == account) return true;
        return false;
    }
}
