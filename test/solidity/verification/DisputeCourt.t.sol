// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {DisputeCourt} from "../../../contracts/verification/DisputeCourt.sol";
import {IDisputeCourt} from "../../../contracts/interfaces/IDisputeCourt.sol";
import {IRandomnessSource} from "../../../contracts/interfaces/IRandomnessSource.sol";
import {ISettlement} from "../../../contracts/interfaces/ISettlement.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {MockLifecycleHub} from "../../../contracts/mocks/MockLifecycleHub.sol";
import {Vm} from "../utils/Vm.sol";
import {CourtFixture} from "./utils/CourtFixture.sol";

/// @notice DisputeCourt lifecycle: parameters and governance, opening and joining, jury draws (exact size, no
///         party, randomness states, too few jurors), commit–reveal, resolution paths and every revert with its
///         arguments. The economics of each outcome are in DisputeCourtEconomics.t.sol.
contract DisputeCourtTest is CourtFixture {
    uint256 internal constant ID = 7;

    function setUp() public override {
        super.setUp();
        _addVerifiers(20, VERIFIER_STAKE);
        // Dual-role worker with more stake than all verifiers together: it would sit if it were not excluded.
        _stakeWorker(30_000e18, ROLE_WORKER | ROLE_VERIFIER, COLLATERAL);
    }

    // ------------------------------------------------------------------------------------------------- helpers

    function _expectRevert(bytes4 selector, uint256 a) internal {
        vm.expectRevert(abi.encodeWithSelector(selector, a));
    }

    function _expectRevert(bytes4 selector, uint256 a, address b) internal {
        vm.expectRevert(abi.encodeWithSelector(selector, a, b));
    }

    function _expectRevert(bytes4 selector, uint256 a, uint256 b) internal {
        vm.expectRevert(abi.encodeWithSelector(selector, a, b));
    }

    function _expectWrongPhase(IDisputeCourt.Phase phase) internal {
        vm.expectRevert(abi.encodeWithSelector(IDisputeCourt.CourtWrongPhase.selector, ID, phase));
    }

    /// @dev A verifier outside the default pool, staked and funded for one bond.
    function _challenger(uint256 index) internal returns (address account) {
        account = address(uint160(0xC000 + index));
        _stakeNow(account, VERIFIER_STAKE, ROLE_VERIFIER);
    }

    function _openDefault() internal returns (address challenger) {
        challenger = _challenger(0);
        _openBonded(ID, challenger, BOND);
    }

    /// @dev Opens, draws and lets round 1 pass with every juror silent: the case is appealed to round 2.
    function _appeal() internal {
        address[] memory jurors = _draw(ID);
        _vote(ID, jurors, _all(jurors.length, SILENT));
        court.resolve(ID);
    }

    function _assertNoParty(uint256 requestId, uint8 round, address[] memory parties) internal view {
        address[] memory seats = court.juryOf(requestId, round);
        for (uint256 i; i < seats.length; ++i) {
            assertTrue(!_contains(parties, seats[i]), "party on the jury");
            assertTrue(seats[i] != address(0), "empty seat");
        }
    }

    // ------------------------------------------------------------------------------------------------- constructor

    function test_constructor_storesContractsParamsAndOwner() public view {
        assertEq(address(court.staking()), address(staking), "staking");
        assertEq(address(court.settlement()), address(settlement), "settlement");
        assertEq(address(court.randomness()), address(randomness), "randomness");
        assertEq(court.owner(), address(this), "owner");
        assertEq(court.hub(), address(0), "hub unset");
        assertEq(keccak256(abi.encode(court.params())), keccak256(abi.encode(_defaultParams())), "params");
        assertTrue(court.isModule(address(module)), "module allowed");
        assertTrue(!court.isModule(STRANGER), "stranger not a module");
    }

    function test_constructor_emitsParamsUpdated() public {
        vm.expectEmit();
        emit IDisputeCourt.ParamsUpdated(_defaultParams());
        new DisputeCourt(staking, settlement, randomness, _defaultParams(), address(this));
    }

    function test_revert_constructor_zeroAddress() public {
        vm.expectRevert(IDisputeCourt.CourtZeroAddress.selector);
        new DisputeCourt(IStaking(address(0)), settlement, randomness, _defaultParams(), address(this));
        vm.expectRevert(IDisputeCourt.CourtZeroAddress.selector);
        new DisputeCourt(staking, ISettlement(address(0)), randomness, _defaultParams(), address(this));
        vm.expectRevert(IDisputeCourt.CourtZeroAddress.selector);
        new DisputeCourt(staking, settlement, IRandomnessSource(address(0)), _defaultParams(), address(this));
    }

    function test_revert_constructor_paramOutOfBounds() public {
        IDisputeCourt.CourtParams memory p = _defaultParams();
        p.jurySize = 4;
        vm.expectRevert(abi.encodeWithSelector(IDisputeCourt.CourtParamOutOfBounds.selector, "jurySize", 4, 3, 15));
        new DisputeCourt(staking, settlement, randomness, p, address(this));
    }

    // ------------------------------------------------------------------------------------------------- governance

    function _expectBound(
        IDisputeCourt.CourtParams memory p,
        string memory name,
        uint256 value,
        uint256 min,
        uint256 max
    ) internal {
        vm.expectRevert(abi.encodeWithSelector(IDisputeCourt.CourtParamOutOfBounds.selector, name, value, min, max));
        court.setParams(p);
    }

    function test_revert_setParams_jurySizeAndChallengerBounds() public {
        IDisputeCourt.CourtParams memory p;
        p = _defaultParams();
        p.jurySize = 1;
        _expectBound(p, "jurySize", 1, 3, 15);
        p.jurySize = 17;
        _expectBound(p, "jurySize", 17, 3, 15);
        p.jurySize = 6;
        _expectBound(p, "jurySize", 6, 3, 15);
        p = _defaultParams();
        p.appealJurySize = 9; // not larger than the jury
        _expectBound(p, "appealJurySize", 9, 11, 31);
        p.appealJurySize = 33;
        _expectBound(p, "appealJurySize", 33, 11, 31);
        p.appealJurySize = 12;
        _expectBound(p, "appealJurySize", 12, 11, 31);
        p = _defaultParams();
        p.maxChallengers = 0;
        _expectBound(p, "maxChallengers", 0, 1, 16);
        p.maxChallengers = 17;
        _expectBound(p, "maxChallengers", 17, 1, 16);
    }

    function test_revert_setParams_economicBounds() public {
        IDisputeCourt.CourtParams memory p = _defaultParams();
        p.slashBps = 99;
        _expectBound(p, "slashBps", 99, 100, 10_000);
        p.slashBps = 10_001;
        _expectBound(p, "slashBps", 10_001, 100, 10_000);
        p = _defaultParams();
        p.defenderSlashBps = 99;
        _expectBound(p, "defenderSlashBps", 99, 100, 10_000);
        p.defenderSlashBps = 10_001;
        _expectBound(p, "defenderSlashBps", 10_001, 100, 10_000);
        p = _defaultParams();
        p.challengerRewardBps = 5_001;
        _expectBound(p, "challengerRewardBps", 5_001, 0, 5_000);
        p = _defaultParams();
        p.voterRewardBps = 5_001;
        _expectBound(p, "voterRewardBps", 5_001, 0, 5_000);
        p = _defaultParams();
        p.nonRevealPenaltyBps = 0;
        p.minorityPenaltyBps = 0;
        _expectBound(p, "nonRevealPenaltyBps", 0, 1, 1_000);
        p.nonRevealPenaltyBps = 1_001;
        _expectBound(p, "nonRevealPenaltyBps", 1_001, 1, 1_000);
        p = _defaultParams();
        p.minorityPenaltyBps = 101;
        _expectBound(p, "minorityPenaltyBps", 101, 0, 100);
    }

    function test_revert_setParams_windowAndBondBounds() public {
        IDisputeCourt.CourtParams memory p = _defaultParams();
        p.drawWindow = 59;
        _expectBound(p, "drawWindow", 59, 60, 7 days);
        p.drawWindow = 7 days + 1;
        _expectBound(p, "drawWindow", 7 days + 1, 60, 7 days);
        p = _defaultParams();
        p.commitWindow = 59;
        _expectBound(p, "commitWindow", 59, 60, 7 days);
        p.commitWindow = 7 days + 1;
        _expectBound(p, "commitWindow", 7 days + 1, 60, 7 days);
        p = _defaultParams();
        p.revealWindow = 59;
        _expectBound(p, "revealWindow", 59, 60, 7 days);
        p.revealWindow = 7 days + 1;
        _expectBound(p, "revealWindow", 7 days + 1, 60, 7 days);
        p = _defaultParams();
        p.challengeBond = 1e18 - 1;
        _expectBound(p, "challengeBond", 1e18 - 1, 1e18, 1_000_000e18);
        p.challengeBond = 1_000_000e18 + 1;
        _expectBound(p, "challengeBond", 1_000_000e18 + 1, 1e18, 1_000_000e18);
    }

    function test_setParams_acceptsEveryEdge() public {
        IDisputeCourt.CourtParams memory low = IDisputeCourt.CourtParams({
            jurySize: 3,
            appealJurySize: 5,
            maxChallengers: 1,
            slashBps: 100,
            defenderSlashBps: 100,
            challengerRewardBps: 0,
            voterRewardBps: 0,
            minorityPenaltyBps: 0,
            nonRevealPenaltyBps: 1,
            drawWindow: 60,
            commitWindow: 60,
            revealWindow: 60,
            challengeBond: 1e18
        });
        court.setParams(low);
        assertEq(keccak256(abi.encode(court.params())), keccak256(abi.encode(low)), "low edges");
        IDisputeCourt.CourtParams memory high = IDisputeCourt.CourtParams({
            jurySize: 15,
            appealJurySize: 31,
            maxChallengers: 16,
            slashBps: 10_000,
            defenderSlashBps: 10_000,
            challengerRewardBps: 5_000,
            voterRewardBps: 5_000,
            minorityPenaltyBps: 1_000,
            nonRevealPenaltyBps: 1_000,
            drawWindow: 7 days,
            commitWindow: 7 days,
            revealWindow: 7 days,
            challengeBond: 1_000_000e18
        });
        court.setParams(high);
        assertEq(keccak256(abi.encode(court.params())), keccak256(abi.encode(high)), "high edges");
        assertEq(court.maxCaseDuration(), 42 days, "max case duration at the bounds");
    }

    function test_setParams_storesAndEmits() public {
        IDisputeCourt.CourtParams memory p = _defaultParams();
        p.jurySize = 7;
        p.appealJurySize = 15;
        vm.expectEmit(address(court));
        emit IDisputeCourt.ParamsUpdated(p);
        court.setParams(p);
        assertEq(court.params().jurySize, 7, "jury size");
        assertEq(court.params().appealJurySize, 15, "appeal jury size");
    }

    function test_revert_setParams_notOwner() public {
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, STRANGER));
        court.setParams(_defaultParams());
    }

    function test_setParams_checksTheHubLifecycleOnceSet() public {
        MockLifecycleHub lifecycle = new MockLifecycleHub(court, 7 days);
        IDisputeCourt.CourtParams memory p = _defaultParams();
        p.drawWindow = 4 days; // 2 × (4 days + 600 s) ≥ 7 days
        court.setParams(p); // no hub yet: nothing to check
        p.drawWindow = DRAW_WINDOW;
        court.setParams(p);
        court.setHub(address(lifecycle));
        p.drawWindow = 4 days;
        vm.expectRevert(
            abi.encodeWithSelector(MockLifecycleHub.HubLifecycleTooLong.selector, 2 * (4 days + 600), 7 days)
        );
        court.setParams(p);
        p.drawWindow = 1 days;
        court.setParams(p);
        assertEq(court.params().drawWindow, 1 days, "within the lifecycle");
    }

    function test_setHub_onceAndEmits() public {
        vm.expectEmit(address(court));
        emit IDisputeCourt.HubSet(address(0x4B));
        court.setHub(address(0x4B));
        assertEq(court.hub(), address(0x4B), "hub");
        vm.expectRevert(abi.encodeWithSelector(IDisputeCourt.CourtHubAlreadySet.selector, address(0x4B)));
        court.setHub(address(0x4C));
    }

    function test_revert_setHub_zeroOrNotOwner() public {
        vm.expectRevert(IDisputeCourt.CourtZeroAddress.selector);
        court.setHub(address(0));
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, STRANGER));
        court.setHub(address(0x4B));
    }

    function test_setModule_allowsAndRevokes() public {
        vm.expectEmit(address(court));
        emit IDisputeCourt.ModuleSet(address(module), false);
        court.setModule(address(module), false);
        assertTrue(!court.isModule(address(module)), "revoked");
        court.setModule(address(module), true);
        assertTrue(court.isModule(address(module)), "allowed");
    }

    function test_revert_setModule_zeroOrNotOwner() public {
        vm.expectRevert(IDisputeCourt.CourtZeroAddress.selector);
        court.setModule(address(0), true);
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, STRANGER));
        court.setModule(STRANGER, true);
    }

    function test_maxCaseDuration_isTwoFullRounds() public view {
        assertEq(court.maxCaseDuration(), 2 * (1_800 + 300 + 300), "two rounds of draw + commit + reveal");
    }

    // ------------------------------------------------------------------------------------------------- open

    function test_open_storesTheCaseAndOpensRoundOne() public {
        address challenger = _challenger(0);
        _fundBond(challenger, BOND);
        uint256 ticket = randomness.lastTicket() + 1;
        uint256 openedAt = block.timestamp;
        vm.expectEmit(address(court));
        emit IDisputeCourt.CaseOpened(ID, address(module), WORKER);
        vm.expectEmit(address(court));
        emit IDisputeCourt.ChallengerJoined(ID, challenger, BOND, BOND);
        vm.expectEmit(address(court));
        emit IDisputeCourt.RoundOpened(ID, 1, JURY, ticket, openedAt + DRAW_WINDOW);
        module.open(ID, _plainParties(), challenger, BOND);

        IDisputeCourt.Case memory c = _case(ID);
        assertEq(c.module, address(module), "module");
        assertEq(c.worker, WORKER, "worker");
        assertEq(c.requester, REQUESTER, "requester");
        assertEq(c.collateral, COLLATERAL, "collateral");
        assertEq(uint256(c.phase), uint256(IDisputeCourt.Phase.Drawing), "phase");
        assertEq(uint256(c.outcome), uint256(IDisputeCourt.Outcome.Pending), "outcome");
        assertEq(c.round, 1, "round");
        assertEq(c.seats, JURY, "seats");
        assertEq(c.ticket, ticket, "ticket");
        assertEq(c.drawDeadline, openedAt + DRAW_WINDOW, "draw deadline");
        assertEq(c.ticketRequestedAt, openedAt, "ticket requested at the opening");
        assertEq(c.totalBond, BOND, "total bond");
        assertEq(c.challengerWeight, BOND, "challenger weight");
        assertEq(settlement.totalBonded(), BOND, "bond held in settlement");
        (IDisputeCourt.Outcome outcome, address[] memory majority) = court.outcomeOf(ID);
        assertEq(uint256(outcome), uint256(IDisputeCourt.Outcome.Pending), "pending");
        assertEq(majority.length, 0, "no majority yet");
    }

    function test_open_stakeBackedChallengerWeighsTheChallengeBond() public {
        address challenger = _challenger(0);
        module.open(ID, _plainParties(), challenger, 0);
        IDisputeCourt.Challenger[] memory challengers = court.challengersOf(ID);
        assertEq(challengers.length, 1, "one challenger");
        assertEq(challengers[0].account, challenger, "account");
        assertEq(challengers[0].bond, 0, "no bond");
        assertEq(challengers[0].weight, 100e18, "weight = challengeBond");
        assertEq(_case(ID).totalBond, 0, "nothing bonded");
    }

    function test_open_withoutChallenger() public {
        module.open(ID, _plainParties(), address(0), 0);
        assertEq(court.challengersOf(ID).length, 0, "no challenger");
        assertEq(_case(ID).challengerWeight, 0, "no weight");
        assertEq(uint256(_case(ID).phase), uint256(IDisputeCourt.Phase.Drawing), "drawing");
    }

    function test_open_excludedAddressMayChallenge() public {
        address member = _challenger(0);
        module.open(ID, _parties(COLLATERAL, new address[](0), _single(member)), member, 0);
        assertEq(court.challengersOf(ID)[0].account, member, "committee member challenges");
        _draw(ID); // the mock staking refuses duplicate exclusions: the member is listed once
        _assertNoParty(ID, 1, _single(member));
    }

    function test_revert_open_notModule() public {
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(IDisputeCourt.CourtNotModule.selector, STRANGER));
        court.open(ID, _plainParties(), address(0xC1), 0);
        court.setModule(address(module), false);
        vm.expectRevert(abi.encodeWithSelector(IDisputeCourt.CourtNotModule.selector, address(module)));
        module.open(ID, _plainParties(), address(0xC1), 0);
    }

    function test_revert_open_caseExists() public {
        _openDefault();
        _expectRevert(IDisputeCourt.CourtCaseExists.selector, ID);
        otherModule.open(ID, _plainParties(), address(0xC1), 0);
    }

    function test_revert_open_zeroWorkerOrRequester() public {
        IDisputeCourt.Parties memory parties = _plainParties();
        parties.worker = address(0);
        vm.expectRevert(IDisputeCourt.CourtZeroAddress.selector);
        module.open(ID, parties, address(0xC1), 0);
        parties = _plainParties();
        parties.requester = address(0);
        vm.expectRevert(IDisputeCourt.CourtZeroAddress.selector);
        module.open(ID, parties, address(0xC1), 0);
    }

    function test_revert_open_zeroChallengerWithBond() public {
        vm.prank(address(module));
        vm.expectRevert(IDisputeCourt.CourtZeroAddress.selector);
        court.open(ID, _plainParties(), address(0), 1);
    }

    function test_revert_open_tooManyParties() public {
        address[] memory defenders = new address[](16);
        address[] memory excluded = new address[](15);
        for (uint256 i; i < 16; ++i) defenders[i] = address(uint160(0xD000 + i));
        for (uint256 i; i < 15; ++i) excluded[i] = address(uint160(0xE000 + i));
        _expectRevert(IDisputeCourt.CourtTooManyParties.selector, 31, 30);
        module.open(ID, _parties(COLLATERAL, defenders, excluded), address(0xC1), 0);
    }

    function test_revert_open_collateralAboveUint96() public {
        uint256 collateral = uint256(type(uint96).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(SafeCast.SafeCastOverflowedUintDowncast.selector, 96, collateral));
        module.open(ID, _parties(collateral, new address[](0), new address[](0)), address(0xC1), 0);
    }

    function test_revert_open_challengerIsAParty() public {
        address defender = address(0xD0);
        IDisputeCourt.Parties memory parties = _parties(COLLATERAL, _single(defender), new address[](0));
        _expectRevert(IDisputeCourt.CourtPartyConflict.selector, ID, WORKER);
        module.open(ID, parties, WORKER, 0);
        _expectRevert(IDisputeCourt.CourtPartyConflict.selector, ID, REQUESTER);
        module.open(ID, parties, REQUESTER, 0);
        _expectRevert(IDisputeCourt.CourtPartyConflict.selector, ID, defender);
        module.open(ID, parties, defender, 0);
    }

    function test_open_listsDefendersAndExcludedOnce() public {
        address a = address(0xA1);
        address b = address(0xB1);
        address[] memory defenders = new address[](4);
        defenders[0] = a;
        defenders[1] = a;
        defenders[2] = WORKER;
        defenders[3] = address(0);
        address[] memory excluded = new address[](5);
        excluded[0] = a;
        excluded[1] = b;
        excluded[2] = b;
        excluded[3] = REQUESTER;
        excluded[4] = address(0);
        module.open(ID, _parties(COLLATERAL, defenders, excluded), _challenger(0), 0);
        assertTrue(court.isParty(ID, a), "defender");
        assertTrue(court.isParty(ID, b), "excluded");
        assertTrue(!court.isParty(ID, address(0)), "zero is not listed");
        _draw(ID); // would revert MockDuplicateExclusion on a duplicate
        assertEq(court.juryOf(ID, 1).length, JURY, "drawn");
    }

    // ------------------------------------------------------------------------------------------------- join

    function test_join_othersJoinUpToMaxChallengers() public {
        address first = _openDefault();
        uint256 weight = BOND;
        for (uint256 i = 1; i < 8; ++i) {
            address challenger = _challenger(i);
            if (i % 2 == 0) {
                vm.expectEmit(address(court));
                emit IDisputeCourt.ChallengerJoined(ID, challenger, 0, 100e18);
                module.join(ID, challenger, 0);
                weight += 100e18;
            } else {
                uint96 bond = uint96(50e18 * i);
                _joinBonded(ID, challenger, bond);
                weight += bond;
            }
        }
        IDisputeCourt.Challenger[] memory challengers = court.challengersOf(ID);
        assertEq(challengers.length, 8, "eight challengers");
        assertEq(challengers[0].account, first, "first challenger");
        assertEq(_case(ID).challengerWeight, weight, "weights summed");
        assertEq(_case(ID).totalBond, BOND + 50e18 * (1 + 3 + 5 + 7), "bonds summed");
    }

    function test_revert_join_tooManyChallengers() public {
        _openDefault();
        for (uint256 i = 1; i < 8; ++i) module.join(ID, _challenger(i), 0);
        address next = _challenger(8);
        _expectRevert(IDisputeCourt.CourtTooManyChallengers.selector, ID, 8);
        module.join(ID, next, 0);
    }

    function test_revert_join_alreadyChallenger() public {
        address first = _openDefault();
        _expectRevert(IDisputeCourt.CourtAlreadyChallenger.selector, ID, first);
        module.join(ID, first, 0);
    }

    function test_revert_join_partyOrZero() public {
        address defender = address(0xD0);
        module.open(ID, _parties(COLLATERAL, _single(defender), new address[](0)), _challenger(0), 0);
        _expectRevert(IDisputeCourt.CourtPartyConflict.selector, ID, WORKER);
        module.join(ID, WORKER, 0);
        _expectRevert(IDisputeCourt.CourtPartyConflict.selector, ID, REQUESTER);
        module.join(ID, REQUESTER, 0);
        _expectRevert(IDisputeCourt.CourtPartyConflict.selector, ID, defender);
        module.join(ID, defender, 0);
        vm.expectRevert(IDisputeCourt.CourtZeroAddress.selector);
        module.join(ID, address(0), 0);
    }

    function test_revert_join_jurorCannotJoin() public {
        _openDefault();
        address[] memory jurors = _draw(ID);
        _expectRevert(IDisputeCourt.CourtPartyConflict.selector, ID, jurors[0]);
        module.join(ID, jurors[0], 0);
    }

    function test_join_whileVotingBeforeTheCommitDeadline() public {
        _openDefault();
        _draw(ID);
        address late = _challenger(1);
        vm.warp(_case(ID).commitDeadline);
        module.join(ID, late, 0);
        assertEq(court.challengersOf(ID).length, 2, "joined at the commit deadline");
        assertTrue(court.isParty(ID, late), "late challenger is a party");
    }

    function test_revert_join_afterTheCommitDeadline() public {
        _openDefault();
        _draw(ID);
        uint256 deadline = _case(ID).commitDeadline;
        vm.warp(deadline + 1);
        address next = _challenger(1);
        _expectRevert(IDisputeCourt.CourtDeadlinePassed.selector, ID, deadline);
        module.join(ID, next, 0);
    }

    function test_revert_join_inRoundTwo() public {
        _openDefault();
        _appeal();
        address next = _challenger(1);
        _expectWrongPhase(IDisputeCourt.Phase.Drawing);
        module.join(ID, next, 0);
    }

    function test_revert_join_resolved() public {
        _openDefault();
        address[] memory jurors = _draw(ID);
        _vote(ID, jurors, _all(jurors.length, UPHOLD));
        court.resolve(ID);
        address next = _challenger(1);
        _expectWrongPhase(IDisputeCourt.Phase.Resolved);
        module.join(ID, next, 0);
    }

    function test_revert_join_notTheCaseModule() public {
        _openDefault();
        address next = _challenger(1);
        vm.expectRevert(abi.encodeWithSelector(IDisputeCourt.CourtNotModule.selector, address(otherModule)));
        otherModule.join(ID, next, 0);
        court.setModule(address(module), false);
        vm.expectRevert(abi.encodeWithSelector(IDisputeCourt.CourtNotModule.selector, address(module)));
        module.join(ID, next, 0);
    }

    function test_revert_join_unknownCase() public {
        address next = _challenger(1);
        _expectRevert(IDisputeCourt.CourtUnknownCase.selector, ID);
        module.join(ID, next, 0);
    }

    // ------------------------------------------------------------------------------------------------- draw

    /// @notice Every jury has exactly its configured size and no party: dual-role worker (more stake than all
    ///         verifiers), staked requester, eight staked challengers, defenders and excluded members — round 1
    ///         and the larger appeal jury.
    function testFuzz_drawJury_exactSizeAndNoParty(uint256 word, uint256 appealWord) public {
        _stake(REQUESTER, 20_000e18, ROLE_VERIFIER);
        address[] memory defenders = new address[](3);
        address[] memory excluded = new address[](4);
        for (uint256 i; i < 3; ++i) {
            defenders[i] = address(uint160(0xD000 + i));
            _stake(defenders[i], 5_000e18, ROLE_VERIFIER);
        }
        for (uint256 i; i < 4; ++i) {
            excluded[i] = address(uint160(0xE000 + i));
            _stake(excluded[i], 5_000e18, ROLE_VERIFIER);
        }
        excluded[3] = defenders[0]; // the whole committee is excluded, defenders included
        // Every party holds stake in the snapshot the jury is drawn from, so excluding them is what keeps them out.
        for (uint256 i; i < 8; ++i) _stakeNow(address(uint160(0xC000 + i)), 5_000e18, ROLE_VERIFIER);
        vm.warp(block.timestamp + SNAPSHOT_PERIOD);
        address first = address(uint160(0xC000));
        module.open(ID, _parties(COLLATERAL, defenders, excluded), first, 0);
        for (uint256 i = 1; i < 8; ++i) module.join(ID, address(uint160(0xC000 + i)), 0);
        address[] memory parties = new address[](2 + 3 + 4 + 8);
        parties[0] = WORKER;
        parties[1] = REQUESTER;
        for (uint256 i; i < 3; ++i) parties[2 + i] = defenders[i];
        for (uint256 i; i < 4; ++i) parties[5 + i] = excluded[i];
        for (uint256 i; i < 8; ++i) parties[9 + i] = address(uint160(0xC000 + i));

        vm.roll(block.number + 1);
        randomness.setReady(_case(ID).ticket, word);
        court.drawJury(ID);
        assertEq(court.juryOf(ID, 1).length, JURY, "round 1 jury size");
        _assertNoParty(ID, 1, parties);

        address[] memory jurors = _jurorsOf(ID, 1);
        _vote(ID, jurors, _all(jurors.length, SILENT));
        court.resolve(ID);
        vm.roll(block.number + 1);
        randomness.setReady(_case(ID).ticket, appealWord);
        court.drawJury(ID);
        assertEq(court.juryOf(ID, 2).length, APPEAL_JURY, "appeal jury size");
        _assertNoParty(ID, 2, parties);
    }

    function test_drawJury_storesSeatsAndDeadlines() public {
        _openDefault();
        _ready(ID);
        vm.recordLogs();
        court.drawJury(ID);
        IDisputeCourt.Case memory c = _case(ID);
        assertEq(uint256(c.phase), uint256(IDisputeCourt.Phase.Voting), "voting");
        assertEq(c.commitDeadline, block.timestamp + 300, "commit deadline");
        assertEq(c.revealDeadline, block.timestamp + 600, "reveal deadline");
        assertEq(c.drawnAtBlock, block.number, "drawn at block");
        address[] memory seats = court.juryOf(ID, 1);
        uint256 total;
        address[] memory jurors = _jurorsOf(ID, 1);
        for (uint256 i; i < jurors.length; ++i) total += _seats(ID, 1, jurors[i]);
        assertEq(total, seats.length, "ballot seats sum to the jury");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bool found;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] != IDisputeCourt.JuryDrawn.selector) continue;
            (uint8 round, address[] memory drawn, uint256 commitDeadline, uint256 revealDeadline) = abi.decode(
                logs[i].data,
                (uint8, address[], uint256, uint256)
            );
            assertEq(round, 1, "event round");
            assertEq(drawn.length, JURY, "event seats");
            assertEq(commitDeadline, c.commitDeadline, "event commit deadline");
            assertEq(revealDeadline, c.revealDeadline, "event reveal deadline");
            found = true;
        }
        assertTrue(found, "JuryDrawn emitted");
    }

    function test_drawJury_aLargeStakeHoldsSeveralSeatsAndVotesWithAll() public {
        address whale = address(0x3A1E);
        _stake(whale, 1_000_000e18, ROLE_VERIFIER);
        _openDefault();
        _draw(ID);
        uint256 seats = _seats(ID, 1, whale);
        assertGe(seats, 2, "the whale holds several seats");
        address[] memory jury = court.juryOf(ID, 1);
        uint256 listed;
        for (uint256 i; i < jury.length; ++i) if (jury[i] == whale) ++listed;
        assertEq(listed, seats, "one entry per seat");
        vm.expectEmit(address(court));
        emit IDisputeCourt.VoteCommitted(ID, 1, whale, seats);
        _commit(ID, whale, false);
        vm.warp(_case(ID).commitDeadline + 1);
        vm.expectEmit(address(court));
        emit IDisputeCourt.VoteRevealed(ID, 1, whale, false, seats);
        _reveal(ID, whale, false);
        assertEq(_case(ID).rejectSeats, seats, "reject seats");
        assertEq(_case(ID).revealedSeats, seats, "revealed seats");
    }

    function test_revert_drawJury_randomnessPending() public {
        _openDefault();
        _expectRevert(IDisputeCourt.CourtRandomnessPending.selector, ID, _case(ID).ticket);
        court.drawJury(ID);
    }

    function test_drawJury_expiredTicketRequestsANewOne() public {
        _openDefault();
        uint256 oldTicket = _case(ID).ticket;
        uint256 deadline = _case(ID).drawDeadline;
        randomness.setExpired(oldTicket);
        vm.warp(block.timestamp + 100);
        vm.expectEmit(address(court));
        emit IDisputeCourt.RoundOpened(ID, 1, JURY, oldTicket + 1, deadline);
        court.drawJury(ID);
        IDisputeCourt.Case memory c = _case(ID);
        assertEq(c.ticket, oldTicket + 1, "new ticket");
        assertEq(c.drawDeadline, deadline, "draw deadline unchanged");
        assertEq(uint256(c.phase), uint256(IDisputeCourt.Phase.Drawing), "still drawing");
        _expectRevert(IDisputeCourt.CourtRandomnessPending.selector, ID, oldTicket + 1);
        court.drawJury(ID);
        _draw(ID);
        assertEq(court.juryOf(ID, 1).length, JURY, "drawn from the new ticket");
    }

    /// @dev Every verifier of the pool is a defender or excluded: nobody is eligible.
    function _openWithNoEligibleJuror() internal {
        address[] memory defenders = new address[](10);
        address[] memory excluded = new address[](10);
        for (uint256 i; i < 10; ++i) {
            defenders[i] = verifiers[i];
            excluded[i] = verifiers[10 + i];
        }
        address challenger = address(0xC0FFEE);
        _fundBond(challenger, BOND);
        module.open(ID, _parties(COLLATERAL, defenders, excluded), challenger, BOND);
    }

    function test_revert_drawJury_tooFewJurors() public {
        _openWithNoEligibleJuror();
        _ready(ID);
        _expectRevert(IDisputeCourt.CourtTooFewJurors.selector, ID, JURY);
        court.drawJury(ID);
    }

    /// @notice Stake that arrives after the ticket is not in its snapshot; once a later snapshot exists the draw asks
    ///         for a new word (the shortage did not depend on the word, so this is no re-roll anyone chose).
    function test_drawJury_tooFewJurorsThenALaterSnapshotHasMoreStake() public {
        vm.warp(((block.timestamp / SNAPSHOT_PERIOD) + 1) * SNAPSHOT_PERIOD - 600); // 10 minutes before an epoch ends
        _openWithNoEligibleJuror();
        _ready(ID);
        for (uint256 i; i < JURY; ++i) _stakeNow(address(uint160(0xE000 + i)), VERIFIER_STAKE, ROLE_VERIFIER);
        _expectRevert(IDisputeCourt.CourtTooFewJurors.selector, ID, JURY);
        court.drawJury(ID); // same epoch: the snapshot cannot change
        vm.warp(block.timestamp + 601); // the next epoch, inside the draw window
        uint256 oldTicket = _case(ID).ticket;
        vm.expectEmit(address(court));
        emit IDisputeCourt.RoundOpened(ID, 1, JURY, oldTicket + 1, _case(ID).drawDeadline);
        court.drawJury(ID);
        assertEq(_case(ID).ticketRequestedAt, block.timestamp, "new ticket, new snapshot");
        _draw(ID);
        assertEq(court.juryOf(ID, 1).length, JURY, "drawn from the newer snapshot");
    }

    /// @notice The draw reads the weights frozen before the ticket: a large stake, unstake or role change after the
    ///         word is known moves no seat (the jury equals the panel of the snapshot computed before the changes).
    function test_drawJury_weightChangesAfterTheWordMoveNoSeat() public {
        address challenger = _openDefault();
        _ready(ID);
        IDisputeCourt.Case memory c = _case(ID);
        (, uint256 word) = randomness.read(c.ticket);
        address[] memory parties = new address[](3);
        parties[0] = WORKER;
        parties[1] = REQUESTER;
        parties[2] = challenger;
        uint256 seed = uint256(keccak256(abi.encode(word, ID, uint8(1), "jury")));
        (address[] memory expected, ) = staking.drawPanel(ROLE_VERIFIER, seed, JURY, parties, c.ticketRequestedAt);

        _stakeNow(address(0xBADBAD), 1_000_000e18, ROLE_VERIFIER); // a dummy with 50x the pool
        vm.prank(verifiers[0]);
        staking.unstake(VERIFIER_STAKE);
        vm.prank(verifiers[1]);
        staking.setRoles(ROLE_WORKER);
        court.drawJury(ID);
        address[] memory jury = court.juryOf(ID, 1);
        assertEq(jury.length, JURY, "size");
        for (uint256 i; i < JURY; ++i) {
            assertEq(_seatCount(jury, expected[i]), _seatCount(expected, expected[i]), "same seats per juror");
        }
    }

    function _seatCount(address[] memory seats, address account) internal pure returns (uint256 n) {
        for (uint256 i; i < seats.length; ++i) if (seats[i] == account) ++n;
    }

    function test_drawJury_staleSnapshotRequestsANewTicket() public {
        IDisputeCourt.CourtParams memory p = _defaultParams();
        p.drawWindow = uint32(3 * SNAPSHOT_PERIOD); // longer than the snapshot period (not what the defaults do)
        court.setParams(p);
        _openDefault();
        _ready(ID);
        uint256 oldTicket = _case(ID).ticket;
        vm.warp(_case(ID).ticketRequestedAt + 2 * SNAPSHOT_PERIOD);
        vm.expectEmit(address(court));
        emit IDisputeCourt.RoundOpened(ID, 1, JURY, oldTicket + 1, _case(ID).drawDeadline);
        court.drawJury(ID);
        assertEq(_case(ID).ticket, oldTicket + 1, "new ticket");
        assertEq(_case(ID).ticketRequestedAt, block.timestamp, "requested now");
        _draw(ID);
        assertEq(court.juryOf(ID, 1).length, JURY, "drawn from the new snapshot");
    }

    /// @notice Joining excludes the joiner from the jury, so joins pause from the moment the word is known until the
    ///         jury is drawn (a join then would move the draw), and reopen until the commit deadline.
    function test_revert_join_whileTheWordIsKnownAndTheJuryUndrawn() public {
        _openDefault();
        address second = _challenger(1);
        _fundBond(second, BOND);
        _ready(ID);
        _expectRevert(IDisputeCourt.CourtDrawPending.selector, ID, _case(ID).ticket);
        module.join(ID, second, BOND);
        _draw(ID);
        module.join(ID, second, BOND);
        assertEq(court.challengersOf(ID).length, 2, "joined after the draw");
    }

    function test_resolve_noJuryByTheDrawDeadlineIsUndecided() public {
        _openWithNoEligibleJuror();
        _ready(ID);
        uint256 deadline = _case(ID).drawDeadline;
        vm.warp(deadline);
        _expectRevert(IDisputeCourt.CourtDeadlineNotReached.selector, ID, deadline);
        court.resolve(ID);
        vm.warp(deadline + 1);
        _expectRevert(IDisputeCourt.CourtDeadlinePassed.selector, ID, deadline);
        court.drawJury(ID);
        uint256 staked = token.balanceOf(address(staking));
        vm.expectEmit(address(court));
        emit IDisputeCourt.CaseResolved(ID, IDisputeCourt.Outcome.Undecided, 0, 0);
        court.resolve(ID);
        (IDisputeCourt.Outcome outcome, address[] memory majority) = court.outcomeOf(ID);
        assertEq(uint256(outcome), uint256(IDisputeCourt.Outcome.Undecided), "undecided");
        assertEq(majority.length, 0, "no majority");
        assertEq(settlement.creditsOf(address(0xC0FFEE)), BOND, "bond returned");
        assertEq(token.balanceOf(address(staking)), staked, "nobody slashed");
        assertEq(settlement.totalBonded(), 0, "no bond left");
    }

    /// @dev THREAT_MODEL §6.4a, the case seen on the local network: an escalated COMMITTEE case (two disagreeing
    ///      members challenge with their stake, the agreeing one defends, the whole committee is excluded) on a network
    ///      where only `others` verifiers are not parties — the first of them with ten times the stake of the rest,
    ///      like the lazy verifier that held 7 of 9 seats. Returns the committee.
    function _openEscalatedCommitteeCase(uint256 others) internal returns (address[] memory committee) {
        for (uint256 i; i < verifiers.length; ++i) {
            vm.prank(verifiers[i]);
            staking.setRoles(0);
        }
        committee = new address[](3);
        for (uint256 i; i < 3; ++i) {
            committee[i] = address(uint160(0xD000 + i));
            _stakeNow(committee[i], VERIFIER_STAKE, ROLE_VERIFIER);
        }
        _stakeNow(address(0xF000), 10 * VERIFIER_STAKE, ROLE_VERIFIER);
        for (uint256 i = 1; i < others; ++i) _stakeNow(address(uint160(0xF000 + i)), VERIFIER_STAKE, ROLE_VERIFIER);
        vm.warp(block.timestamp + SNAPSHOT_PERIOD);
        module.open(ID, _parties(COLLATERAL, _single(committee[2]), committee), committee[0], 0);
        module.join(ID, committee[1], 0);
    }

    /// @notice Eight non-party verifiers hold far more tickets than nine seats, but a jury drawn from them would give
    ///         one address most seats: no jury is drawn, and by the draw deadline the case is Undecided — the module
    ///         refunds, nobody is slashed, no bond is held.
    function test_resolve_escalatedCommitteeWithASmallPoolIsUndecidedByTheDrawDeadline() public {
        address[] memory committee = _openEscalatedCommitteeCase(JURY - 1);
        IDisputeCourt.Case memory c = _case(ID);
        uint256 tickets;
        for (uint256 i; i < JURY - 1; ++i) {
            tickets += staking.panelWeightOf(address(uint160(0xF000 + i)), ROLE_VERIFIER, c.ticketRequestedAt);
        }
        assertGe(tickets, JURY, "tickets for every seat: a draw by tickets alone would seat a jury");
        _ready(ID);
        _expectRevert(IDisputeCourt.CourtTooFewJurors.selector, ID, JURY);
        court.drawJury(ID);

        vm.warp(c.drawDeadline + 1);
        uint256 staked = token.balanceOf(address(staking));
        uint256[] memory stakes = new uint256[](3);
        for (uint256 i; i < 3; ++i) stakes[i] = _staked(committee[i]);
        uint256 workerStake = _staked(WORKER);
        vm.expectEmit(address(court));
        emit IDisputeCourt.CaseResolved(ID, IDisputeCourt.Outcome.Undecided, 0, 0);
        court.resolve(ID);
        (IDisputeCourt.Outcome outcome, ) = court.outcomeOf(ID);
        assertEq(uint256(outcome), uint256(IDisputeCourt.Outcome.Undecided), "undecided: the module refunds");
        assertEq(court.juryOf(ID, 1).length, 0, "no jury");
        assertEq(token.balanceOf(address(staking)), staked, "nobody slashed");
        for (uint256 i; i < 3; ++i) assertEq(_staked(committee[i]), stakes[i], "committee member unslashed");
        assertEq(_staked(WORKER), workerStake, "worker unslashed");
        assertEq(settlement.totalBonded(), 0, "no bond held");
    }

    /// @notice The same case once a ninth non-party verifier has joined: the draw waits while the snapshot is the
    ///         latest, asks for a new word once a newer snapshot holds the joiner, and draws nine seats, no party.
    function test_drawJury_escalatedCommitteeWithASmallPoolIsDrawnOnceANewVerifierIsInANewerSnapshot() public {
        vm.warp(((block.timestamp / SNAPSHOT_PERIOD) + 2) * SNAPSHOT_PERIOD - 600); // 10 minutes before an epoch ends
        address[] memory committee = _openEscalatedCommitteeCase(JURY - 1);
        _ready(ID);
        _stakeNow(address(uint160(0xF000 + JURY - 1)), VERIFIER_STAKE, ROLE_VERIFIER);
        _expectRevert(IDisputeCourt.CourtTooFewJurors.selector, ID, JURY);
        court.drawJury(ID); // the joiner is not in this snapshot
        vm.warp(block.timestamp + 601); // the next epoch, inside the draw window
        uint256 oldTicket = _case(ID).ticket;
        vm.expectEmit(address(court));
        emit IDisputeCourt.RoundOpened(ID, 1, JURY, oldTicket + 1, _case(ID).drawDeadline);
        court.drawJury(ID);
        _draw(ID);
        assertEq(court.juryOf(ID, 1).length, JURY, "nine seats");
        address[] memory parties = new address[](5);
        parties[0] = WORKER;
        parties[1] = REQUESTER;
        for (uint256 i; i < 3; ++i) parties[2 + i] = committee[i];
        _assertNoParty(ID, 1, parties);
    }

    function test_revert_drawJury_wrongPhaseOrUnknown() public {
        _expectRevert(IDisputeCourt.CourtUnknownCase.selector, ID);
        court.drawJury(ID);
        _openDefault();
        _draw(ID);
        _expectWrongPhase(IDisputeCourt.Phase.Voting);
        court.drawJury(ID);
    }

    // ------------------------------------------------------------------------------------------------- votes

    function test_voteCommitment_bindsRequestRoundJurorVoteAndSalt() public view {
        bytes32 salt = bytes32(uint256(5));
        assertEq(
            court.voteCommitment(ID, 2, address(0xA), true, salt),
            keccak256(abi.encode(ID, uint8(2), address(0xA), true, salt)),
            "commitment formula"
        );
    }

    function test_commitVote_recordsTheBallot() public {
        _openDefault();
        address[] memory jurors = _draw(ID);
        _commit(ID, jurors[0], true);
        IDisputeCourt.Ballot memory ballot = court.ballotOf(ID, 1, jurors[0]);
        assertTrue(ballot.committed, "committed");
        assertTrue(!ballot.revealed, "not revealed");
        assertEq(ballot.commitment, court.voteCommitment(ID, 1, jurors[0], true, _salt(jurors[0], 1)), "commitment");
        assertEq(_case(ID).committedSeats, ballot.seats, "committed seats");
    }

    function test_revert_commitVote_everyCheck() public {
        _expectRevert(IDisputeCourt.CourtUnknownCase.selector, ID);
        court.commitVote(ID, bytes32(uint256(1)));
        _openDefault();
        _expectWrongPhase(IDisputeCourt.Phase.Drawing);
        court.commitVote(ID, bytes32(uint256(1)));
        address[] memory jurors = _draw(ID);
        vm.prank(jurors[0]);
        vm.expectRevert(IDisputeCourt.CourtEmptyCommitment.selector);
        court.commitVote(ID, bytes32(0));
        vm.prank(STRANGER);
        _expectRevert(IDisputeCourt.CourtNotJuror.selector, ID, STRANGER);
        court.commitVote(ID, bytes32(uint256(1)));
        _commit(ID, jurors[0], true);
        vm.prank(jurors[0]);
        _expectRevert(IDisputeCourt.CourtAlreadyActed.selector, ID, jurors[0]);
        court.commitVote(ID, bytes32(uint256(2)));
        uint256 deadline = _case(ID).commitDeadline;
        vm.warp(deadline + 1);
        vm.prank(jurors[1]);
        _expectRevert(IDisputeCourt.CourtDeadlinePassed.selector, ID, deadline);
        court.commitVote(ID, bytes32(uint256(1)));
    }

    function test_commitVote_atTheCommitDeadline() public {
        _openDefault();
        address[] memory jurors = _draw(ID);
        vm.warp(_case(ID).commitDeadline);
        _commit(ID, jurors[0], true);
        assertTrue(court.ballotOf(ID, 1, jurors[0]).committed, "committed at the deadline");
    }

    function test_drawJury_atTheDrawDeadline() public {
        _openDefault();
        _ready(ID);
        vm.warp(_case(ID).drawDeadline);
        court.drawJury(ID);
        assertEq(uint256(_case(ID).phase), uint256(IDisputeCourt.Phase.Voting), "drawn at the deadline");
    }

    function test_revealVote_opensOnceEverySeatCommitted() public {
        _openDefault();
        address[] memory jurors = _draw(ID);
        for (uint256 i; i < jurors.length; ++i) _commit(ID, jurors[i], true);
        _reveal(ID, jurors[0], true); // before the commit deadline
        assertTrue(court.ballotOf(ID, 1, jurors[0]).revealed, "revealed early");
    }

    function test_revert_revealVote_everyCheck() public {
        _openDefault();
        address[] memory jurors = _draw(ID);
        _commit(ID, jurors[0], true);
        uint256 commitDeadline = _case(ID).commitDeadline;
        vm.prank(jurors[0]);
        _expectRevert(IDisputeCourt.CourtCommitPhaseOpen.selector, ID, commitDeadline);
        court.revealVote(ID, true, _salt(jurors[0], 1));
        vm.warp(commitDeadline + 1);
        vm.prank(jurors[1]);
        _expectRevert(IDisputeCourt.CourtNotCommitted.selector, ID, jurors[1]);
        court.revealVote(ID, true, _salt(jurors[1], 1));
        vm.prank(jurors[0]);
        _expectRevert(IDisputeCourt.CourtRevealMismatch.selector, ID, jurors[0]);
        court.revealVote(ID, false, _salt(jurors[0], 1));
        _reveal(ID, jurors[0], true);
        vm.prank(jurors[0]);
        _expectRevert(IDisputeCourt.CourtAlreadyActed.selector, ID, jurors[0]);
        court.revealVote(ID, true, _salt(jurors[0], 1));
    }

    function test_revert_revealVote_afterTheRevealDeadline() public {
        _openDefault();
        address[] memory jurors = _draw(ID);
        _commit(ID, jurors[0], true);
        uint256 deadline = _case(ID).revealDeadline;
        vm.warp(deadline + 1);
        vm.prank(jurors[0]);
        _expectRevert(IDisputeCourt.CourtDeadlinePassed.selector, ID, deadline);
        court.revealVote(ID, true, _salt(jurors[0], 1));
    }

    function test_revert_revealVote_wrongPhase() public {
        _openDefault();
        _expectWrongPhase(IDisputeCourt.Phase.Drawing);
        court.revealVote(ID, true, bytes32(0));
    }

    // ------------------------------------------------------------------------------------------------- resolve

    function test_revert_resolve_unknownCase() public {
        _expectRevert(IDisputeCourt.CourtUnknownCase.selector, ID);
        court.resolve(ID);
    }

    function test_revert_resolve_beforeTheRevealDeadline() public {
        _openDefault();
        address[] memory jurors = _draw(ID);
        _commit(ID, jurors[0], true);
        uint256 deadline = _case(ID).revealDeadline;
        vm.warp(deadline);
        vm.roll(block.number + 1);
        _expectRevert(IDisputeCourt.CourtDeadlineNotReached.selector, ID, deadline);
        court.resolve(ID);
    }

    function test_revert_resolve_inTheBlockOfTheDraw() public {
        _openDefault();
        address[] memory jurors = _draw(ID);
        for (uint256 i; i < jurors.length; ++i) _commit(ID, jurors[i], true);
        for (uint256 i; i < jurors.length; ++i) _reveal(ID, jurors[i], true);
        _expectRevert(IDisputeCourt.CourtSameBlock.selector, ID);
        court.resolve(ID);
        vm.warp(_case(ID).revealDeadline + 1); // still the same block
        _expectRevert(IDisputeCourt.CourtSameBlock.selector, ID);
        court.resolve(ID);
        vm.roll(block.number + 1);
        court.resolve(ID);
        assertEq(uint256(_case(ID).outcome), uint256(IDisputeCourt.Outcome.Upheld), "upheld a block later");
    }

    function test_resolve_earlyOnceEverySeatRevealed() public {
        _openDefault();
        address[] memory jurors = _draw(ID);
        for (uint256 i; i < jurors.length; ++i) _commit(ID, jurors[i], false);
        for (uint256 i; i < jurors.length; ++i) _reveal(ID, jurors[i], false);
        vm.roll(block.number + 1);
        assertTrue(block.timestamp <= _case(ID).revealDeadline, "before the reveal deadline");
        court.resolve(ID);
        assertEq(uint256(_case(ID).outcome), uint256(IDisputeCourt.Outcome.Rejected), "rejected");
    }

    function test_revert_resolve_twice() public {
        _openDefault();
        address[] memory jurors = _draw(ID);
        _vote(ID, jurors, _all(jurors.length, UPHOLD));
        court.resolve(ID);
        _expectWrongPhase(IDisputeCourt.Phase.Resolved);
        court.resolve(ID);
    }

    function test_resolve_tieAppealsToALargerJuryThenUndecided() public {
        address challenger = _openDefault();
        address[] memory jurors = _draw(ID);
        (uint8[] memory choices, uint256 side) = _tie(ID, jurors);
        _vote(ID, jurors, choices);
        vm.expectEmit(address(court));
        emit IDisputeCourt.Appealed(ID, 1, side, side);
        vm.expectEmit(address(court));
        emit IDisputeCourt.RoundOpened(ID, 2, APPEAL_JURY, randomness.lastTicket() + 1, block.timestamp + DRAW_WINDOW);
        court.resolve(ID);
        IDisputeCourt.Case memory c = _case(ID);
        assertEq(c.round, 2, "round 2");
        assertEq(c.seats, APPEAL_JURY, "appeal jury size");
        assertEq(uint256(c.phase), uint256(IDisputeCourt.Phase.Drawing), "drawing");
        assertEq(uint256(c.outcome), uint256(IDisputeCourt.Outcome.Pending), "pending");
        assertEq(c.upholdSeats + c.rejectSeats + c.revealedSeats + c.committedSeats, 0, "counters reset");

        jurors = _draw(ID);
        assertEq(court.juryOf(ID, 2).length, APPEAL_JURY, "appeal seats");
        (choices, side) = _tie(ID, jurors);
        _vote(ID, jurors, choices);
        vm.expectEmit(address(court));
        emit IDisputeCourt.CaseResolved(ID, IDisputeCourt.Outcome.Undecided, side, side);
        court.resolve(ID);
        (IDisputeCourt.Outcome outcome, ) = court.outcomeOf(ID);
        assertEq(uint256(outcome), uint256(IDisputeCourt.Outcome.Undecided), "undecided after the appeal");
        assertEq(settlement.creditsOf(challenger), BOND, "bond returned");
    }

    function test_resolve_noRevealsAppeals() public {
        _openDefault();
        address[] memory jurors = _draw(ID);
        _vote(ID, jurors, _all(jurors.length, SILENT));
        vm.expectEmit(address(court));
        emit IDisputeCourt.Appealed(ID, 1, 0, 0);
        court.resolve(ID);
        assertEq(_case(ID).round, 2, "appealed");
    }

    function test_resolve_decidedRoundOneNeverWaitsForAnAppeal() public {
        _openDefault();
        address[] memory jurors = _draw(ID);
        uint8[] memory choices = _all(jurors.length, SILENT);
        choices[0] = UPHOLD; // a single revealed seat decides
        _vote(ID, jurors, choices);
        court.resolve(ID);
        assertEq(uint256(_case(ID).phase), uint256(IDisputeCourt.Phase.Resolved), "resolved");
        assertEq(_case(ID).round, 1, "no appeal");
        assertEq(uint256(_case(ID).outcome), uint256(IDisputeCourt.Outcome.Upheld), "upheld");
    }

    function test_resolve_appealDecidedInRoundTwo() public {
        _openDefault();
        _appeal();
        address[] memory jurors = _draw(ID);
        _vote(ID, jurors, _all(jurors.length, UPHOLD));
        court.resolve(ID);
        (IDisputeCourt.Outcome outcome, address[] memory majority) = court.outcomeOf(ID);
        assertEq(uint256(outcome), uint256(IDisputeCourt.Outcome.Upheld), "upheld in round 2");
        assertEq(majority.length, APPEAL_JURY, "every round-2 seat in the majority");
        address[] memory jury = court.juryOf(ID, 2);
        for (uint256 i; i < jury.length; ++i) assertTrue(_contains(majority, jury[i]), "majority from round 2");
    }

    function test_resolve_roundTwoWithoutJuryIsUndecided() public {
        address challenger = _openDefault();
        _appeal();
        vm.warp(_case(ID).drawDeadline + 1);
        court.resolve(ID);
        assertEq(uint256(_case(ID).outcome), uint256(IDisputeCourt.Outcome.Undecided), "undecided");
        assertEq(settlement.creditsOf(challenger), BOND, "bond returned");
    }

    // ------------------------------------------------------------------------------------------------- views

    function test_outcomeOf_majorityIsOneEntryPerUpholdingSeat() public {
        (IDisputeCourt.Outcome none, ) = court.outcomeOf(ID);
        assertEq(uint256(none), uint256(IDisputeCourt.Outcome.None), "no case");
        _openDefault();
        address[] memory jurors = _draw(ID);
        uint8[] memory choices = _all(jurors.length, UPHOLD);
        uint256 minoritySeats;
        if (jurors.length > 1) {
            choices[jurors.length - 1] = REJECT;
            minoritySeats = _seats(ID, 1, jurors[jurors.length - 1]);
        }
        _vote(ID, jurors, choices);
        court.resolve(ID);
        (IDisputeCourt.Outcome outcome, address[] memory majority) = court.outcomeOf(ID);
        if (minoritySeats * 2 < JURY) {
            assertEq(uint256(outcome), uint256(IDisputeCourt.Outcome.Upheld), "upheld");
            assertEq(majority.length, JURY - minoritySeats, "majority seats");
            for (uint256 i; i < majority.length; ++i) {
                assertTrue(court.ballotOf(ID, 1, majority[i]).upholdWorker, "majority upheld");
            }
        } else {
            assertEq(uint256(outcome), uint256(IDisputeCourt.Outcome.Rejected), "rejected");
            assertEq(majority.length, 0, "no majority list when rejected");
        }
    }

    function test_isParty_coversEveryRole() public {
        address defender = address(0xD0);
        address member = address(0xE0);
        address challenger = _challenger(0);
        assertTrue(!court.isParty(ID, WORKER), "no case, no party");
        module.open(ID, _parties(COLLATERAL, _single(defender), _single(member)), challenger, 0);
        assertTrue(court.isParty(ID, WORKER), "worker");
        assertTrue(court.isParty(ID, REQUESTER), "requester");
        assertTrue(court.isParty(ID, defender), "defender");
        assertTrue(court.isParty(ID, member), "excluded");
        assertTrue(court.isParty(ID, challenger), "challenger");
        assertTrue(!court.isParty(ID, STRANGER), "stranger");
        address[] memory jurors = _draw(ID);
        assertTrue(court.isParty(ID, jurors[0]), "round-1 juror");
        _vote(ID, jurors, _all(jurors.length, SILENT));
        court.resolve(ID);
        jurors = _draw(ID);
        assertTrue(court.isParty(ID, jurors[jurors.length - 1]), "round-2 juror");
    }
}
