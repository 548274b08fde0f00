// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDisputeCourt} from "../../../contracts/interfaces/IDisputeCourt.sol";
import {CourtFixture} from "./utils/CourtFixture.sol";

/// @notice The economics of every outcome, checked to the wei against an independent re-computation of the
///         IDisputeCourt NatSpec: worker and defender slashes, pro-rata challenger rewards, per-seat voter rewards,
///         minority and non-reveal penalties, explicit remainders, bonds returned or forfeited; plus fuzzing of the
///         splits (sum of credits == slashed + bonds, exactly) and the gas of resolution at every bound.
contract DisputeCourtEconomicsTest is CourtFixture {
    uint256 internal constant ID = 7;
    uint256 internal constant BLOCK_GAS_BUDGET = 15_000_000;

    /// @dev Expected credits and slashes per account.
    struct Book {
        address[] accounts;
        uint256[] credit;
        uint256[] slash;
        uint256 n;
    }

    address[] internal defenders;

    function setUp() public override {
        super.setUp();
        _addVerifiers(20, VERIFIER_STAKE);
        _stakeWorker(WORKER_STAKE, ROLE_WORKER | ROLE_VERIFIER, COLLATERAL);
    }

    // ------------------------------------------------------------------------------------------------- book

    function _newBook() internal pure returns (Book memory b) {
        b.accounts = new address[](128);
        b.credit = new uint256[](128);
        b.slash = new uint256[](128);
    }

    function _at(Book memory b, address account) internal pure returns (uint256 i) {
        for (; i < b.n; ++i) if (b.accounts[i] == account) return i;
        b.accounts[b.n] = account;
        return b.n++;
    }

    function _addCredit(Book memory b, address account, uint256 amount) internal pure {
        b.credit[_at(b, account)] += amount;
    }

    function _addSlash(Book memory b, address account, uint256 amount) internal pure {
        b.slash[_at(b, account)] += amount;
    }

    // ------------------------------------------------------------------------------------------------- expectations

    /// @dev Re-computes the resolution of the current round from `choices` (one per unique juror, as voted), resolves,
    ///      and checks every credit and slash to the wei, the conservation of tokens and the bonds released.
    function _resolveAndCheck(uint8[] memory choices) internal returns (IDisputeCourt.Outcome outcome) {
        IDisputeCourt.Case memory c = _case(ID);
        address[] memory jurors = _jurorsOf(ID, c.round);
        Book memory b = _newBook();
        _at(b, TREASURY);
        _at(b, WORKER);
        uint256 majoritySeats;
        (outcome, majoritySeats) = _expectedOutcome(c, jurors, choices);
        _bookJurors(b, c, jurors, choices, outcome);
        if (outcome == IDisputeCourt.Outcome.Rejected) _bookRejected(b, c, jurors, choices, majoritySeats);
        else if (outcome == IDisputeCourt.Outcome.Upheld) _bookUpheld(b, c, jurors, choices, majoritySeats);
        else if (outcome == IDisputeCourt.Outcome.Undecided) _bookBonds(b);

        uint256[] memory creditsBefore = new uint256[](b.n);
        uint256[] memory stakeBefore = new uint256[](b.n);
        for (uint256 i; i < b.n; ++i) {
            creditsBefore[i] = settlement.creditsOf(b.accounts[i]);
            stakeBefore[i] = _staked(b.accounts[i]);
        }
        uint256 stakingBalance = token.balanceOf(address(staking));
        uint256 bonded = settlement.totalBonded();
        uint256 totalCredits = settlement.totalCredits();
        uint256 workerLocked = _locked(WORKER);

        court.resolve(ID);

        for (uint256 i; i < b.n; ++i) {
            assertEq(settlement.creditsOf(b.accounts[i]) - creditsBefore[i], b.credit[i], "credit to the wei");
            assertEq(stakeBefore[i] - _staked(b.accounts[i]), b.slash[i], "slash to the wei");
        }
        uint256 slashed = stakingBalance - token.balanceOf(address(staking));
        uint256 bondsReleased = bonded - settlement.totalBonded();
        assertEq(settlement.totalCredits() - totalCredits, slashed + bondsReleased, "credits == slashed + bonds");
        assertEq(settlement.surplus(), 0, "nothing left undistributed");
        bool ended = outcome != IDisputeCourt.Outcome.Pending;
        assertEq(bondsReleased, ended ? c.totalBond : 0, "bonds released once, at the end");
        assertEq(uint256(_case(ID).outcome), uint256(outcome), "outcome");
        if (outcome == IDisputeCourt.Outcome.Rejected) {
            assertEq(workerLocked - _locked(WORKER), c.collateral, "job collateral released by the slash");
            assertTrue(!staking.isEligible(WORKER, ROLE_WORKER), "worker jailed");
        } else {
            assertEq(_locked(WORKER), workerLocked, "collateral untouched");
        }
    }

    function _expectedOutcome(
        IDisputeCourt.Case memory c,
        address[] memory jurors,
        uint8[] memory choices
    ) internal view returns (IDisputeCourt.Outcome outcome, uint256 majoritySeats) {
        uint256 uphold;
        uint256 reject;
        for (uint256 i; i < jurors.length; ++i) {
            uint256 seats = _seats(ID, c.round, jurors[i]);
            if (choices[i] == UPHOLD) uphold += seats;
            else if (choices[i] == REJECT) reject += seats;
        }
        if (uphold > reject) return (IDisputeCourt.Outcome.Upheld, uphold);
        if (reject > uphold) return (IDisputeCourt.Outcome.Rejected, reject);
        return (c.round == 1 ? IDisputeCourt.Outcome.Pending : IDisputeCourt.Outcome.Undecided, 0);
    }

    /// @dev Silent seats lose nonRevealPenaltyBps each, minority seats of a decided round minorityPenaltyBps each;
    ///      both to the treasury.
    function _bookJurors(
        Book memory b,
        IDisputeCourt.Case memory c,
        address[] memory jurors,
        uint8[] memory choices,
        IDisputeCourt.Outcome outcome
    ) internal view {
        IDisputeCourt.CourtParams memory p = court.params();
        bool decided = outcome == IDisputeCourt.Outcome.Upheld || outcome == IDisputeCourt.Outcome.Rejected;
        uint8 majority = outcome == IDisputeCourt.Outcome.Upheld ? UPHOLD : REJECT;
        for (uint256 i; i < jurors.length; ++i) {
            uint256 seats = _seats(ID, c.round, jurors[i]);
            uint256 penalty;
            if (choices[i] == SILENT) penalty = _penaltyOf(jurors[i], p.nonRevealPenaltyBps, seats);
            else if (decided && choices[i] != majority) penalty = _penaltyOf(jurors[i], p.minorityPenaltyBps, seats);
            _addSlash(b, jurors[i], penalty);
            _addCredit(b, TREASURY, penalty);
        }
    }

    /// @dev pool = worker slash + defender slashes; challengers share challengerRewardBps by weight, majority seats
    ///      voterRewardBps per seat; the treasury takes the rest; bonds are returned.
    function _bookRejected(
        Book memory b,
        IDisputeCourt.Case memory c,
        address[] memory jurors,
        uint8[] memory choices,
        uint256 majoritySeats
    ) internal view {
        IDisputeCourt.CourtParams memory p = court.params();
        uint256 pool = _workerSlashOf(c.collateral);
        _addSlash(b, WORKER, pool);
        for (uint256 i; i < defenders.length; ++i) {
            if (b.slash[_at(b, defenders[i])] != 0) continue; // listed twice, slashed once
            uint256 slash = _penaltyOf(defenders[i], p.defenderSlashBps, 1);
            _addSlash(b, defenders[i], slash);
            pool += slash;
        }
        uint256 paid;
        IDisputeCourt.Challenger[] memory challengers = court.challengersOf(ID);
        uint256 challengerPool = (pool * p.challengerRewardBps) / BPS;
        for (uint256 i; i < challengers.length; ++i) {
            uint256 reward = (challengerPool * challengers[i].weight) / c.challengerWeight;
            _addCredit(b, challengers[i].account, reward);
            paid += reward;
        }
        paid += _bookVoters(b, c, jurors, choices, REJECT, (pool * p.voterRewardBps) / BPS, majoritySeats);
        _addCredit(b, TREASURY, pool - paid);
        _bookBonds(b);
    }

    /// @dev Bonds forfeited and stake-backed challengers slashed their weight; of each pool the majority seats share
    ///      voterRewardBps per seat and the treasury (never the worker) takes the rest.
    function _bookUpheld(
        Book memory b,
        IDisputeCourt.Case memory c,
        address[] memory jurors,
        uint8[] memory choices,
        uint256 majoritySeats
    ) internal view {
        uint256 voterBps = court.params().voterRewardBps;
        IDisputeCourt.Challenger[] memory challengers = court.challengersOf(ID);
        uint256 stakePool;
        for (uint256 i; i < challengers.length; ++i) {
            if (challengers[i].bond != 0) continue;
            uint256 slashable = staking.slashableStake(challengers[i].account, 0);
            uint256 slash = challengers[i].weight < slashable ? challengers[i].weight : slashable;
            _addSlash(b, challengers[i].account, slash);
            stakePool += slash;
        }
        uint256 bondPool = c.totalBond;
        uint256 paid = _bookVoters(b, c, jurors, choices, UPHOLD, (bondPool * voterBps) / BPS, majoritySeats);
        _addCredit(b, TREASURY, bondPool - paid);
        paid = _bookVoters(b, c, jurors, choices, UPHOLD, (stakePool * voterBps) / BPS, majoritySeats);
        _addCredit(b, TREASURY, stakePool - paid);
    }

    function _bookVoters(
        Book memory b,
        IDisputeCourt.Case memory c,
        address[] memory jurors,
        uint8[] memory choices,
        uint8 majority,
        uint256 voterPool,
        uint256 majoritySeats
    ) internal view returns (uint256 paid) {
        uint256 perSeat = voterPool / majoritySeats;
        for (uint256 i; i < jurors.length; ++i) {
            if (choices[i] != majority) continue;
            uint256 amount = perSeat * _seats(ID, c.round, jurors[i]);
            _addCredit(b, jurors[i], amount);
            paid += amount;
        }
    }

    function _bookBonds(Book memory b) internal view {
        IDisputeCourt.Challenger[] memory challengers = court.challengersOf(ID);
        for (uint256 i; i < challengers.length; ++i) _addCredit(b, challengers[i].account, challengers[i].bond);
    }

    // ------------------------------------------------------------------------------------------------- scenarios

    function _challenger(uint256 index, uint256 stake) internal returns (address account) {
        account = address(uint160(0xC000 + index));
        _stakeNow(account, stake, ROLE_VERIFIER);
    }

    /// @dev OPTIMISTIC-like case: a bonded first challenger, a second with a larger bond, a stake-backed third.
    function _openOptimistic() internal {
        _openBonded(ID, _challenger(0, VERIFIER_STAKE), BOND);
        _joinBonded(ID, _challenger(1, VERIFIER_STAKE), 250e18 + 7);
        module.join(ID, _challenger(2, VERIFIER_STAKE), 0);
    }

    /// @dev COMMITTEE-like case: `agreeing` defenders, `disagreeing` stake-backed challengers, the whole committee
    ///      excluded (defenders listed twice).
    function _openCommittee(uint256 agreeing, uint256 disagreeing) internal {
        uint256 members = agreeing + disagreeing;
        address[] memory committee = new address[](members);
        for (uint256 i; i < members; ++i) {
            committee[i] = address(uint160(0xD000 + i));
            _stake(committee[i], 2_000e18 + i * 1e18, ROLE_VERIFIER);
            if (i < agreeing) defenders.push(committee[i]);
        }
        module.open(
            ID,
            _parties(COLLATERAL, defenders, committee),
            disagreeing == 0 ? address(0) : committee[agreeing],
            0
        );
        for (uint256 i = agreeing + 1; i < members; ++i) module.join(ID, committee[i], 0);
    }

    function _voteAndCheck(uint8 majority) internal returns (IDisputeCourt.Outcome outcome) {
        address[] memory jurors = _draw(ID);
        uint8[] memory choices = _decided(ID, jurors, majority);
        _vote(ID, jurors, choices);
        outcome = _resolveAndCheck(choices);
    }

    function test_rejected_optimisticCreditsToTheWei() public {
        _openOptimistic();
        IDisputeCourt.Outcome outcome = _voteAndCheck(REJECT);
        assertEq(uint256(outcome), uint256(IDisputeCourt.Outcome.Rejected), "rejected");
    }

    function test_upheld_optimisticCreditsToTheWei() public {
        _openOptimistic();
        IDisputeCourt.Outcome outcome = _voteAndCheck(UPHOLD);
        assertEq(uint256(outcome), uint256(IDisputeCourt.Outcome.Upheld), "upheld");
    }

    function test_rejected_committeeDefendersSlashedOnce() public {
        _openCommittee(2, 1);
        uint256 before = _staked(defenders[0]);
        IDisputeCourt.Outcome outcome = _voteAndCheck(REJECT);
        assertEq(uint256(outcome), uint256(IDisputeCourt.Outcome.Rejected), "rejected");
        assertEq(before - _staked(defenders[0]), (before * 1_000 + BPS - 1) / BPS, "defender lost defenderSlashBps");
    }

    function test_upheld_committeeStakeBackedChallengersSlashed() public {
        _openCommittee(1, 2);
        address challenger = court.challengersOf(ID)[1].account;
        uint256 before = _staked(challenger);
        IDisputeCourt.Outcome outcome = _voteAndCheck(UPHOLD);
        assertEq(uint256(outcome), uint256(IDisputeCourt.Outcome.Upheld), "upheld");
        assertEq(before - _staked(challenger), 100e18, "stake-backed challenger lost challengeBond");
        assertEq(_staked(defenders[0]), 2_000e18, "defender of a right result keeps its stake");
    }

    function test_rejected_withoutChallengerTreasuryTakesTheirShare() public {
        _openCommittee(3, 0);
        IDisputeCourt.Outcome outcome = _voteAndCheck(REJECT);
        assertEq(uint256(outcome), uint256(IDisputeCourt.Outcome.Rejected), "rejected");
    }

    function test_upheld_withoutChallengerOnlyPenalties() public {
        _openCommittee(3, 0);
        IDisputeCourt.Outcome outcome = _voteAndCheck(UPHOLD);
        assertEq(uint256(outcome), uint256(IDisputeCourt.Outcome.Upheld), "upheld");
    }

    function test_appealThenUndecided_bondsBackSilentSeatsPenalisedEachRound() public {
        _openOptimistic();
        address[] memory jurors = _draw(ID);
        (uint8[] memory choices, ) = _tie(ID, jurors);
        _vote(ID, jurors, choices);
        assertEq(uint256(_resolveAndCheck(choices)), uint256(IDisputeCourt.Outcome.Pending), "appealed");
        jurors = _draw(ID);
        (choices, ) = _tie(ID, jurors);
        _vote(ID, jurors, choices);
        assertEq(uint256(_resolveAndCheck(choices)), uint256(IDisputeCourt.Outcome.Undecided), "undecided");
    }

    function test_appealThenRejected_roundTwoSharesTheRewards() public {
        _openOptimistic();
        address[] memory jurors = _draw(ID);
        _vote(ID, jurors, _all(jurors.length, SILENT));
        assertEq(uint256(_resolveAndCheck(_all(jurors.length, SILENT))), uint256(IDisputeCourt.Outcome.Pending), "");
        assertEq(uint256(_voteAndCheck(REJECT)), uint256(IDisputeCourt.Outcome.Rejected), "rejected in round 2");
    }

    function test_workerSlash_isAtLeastTheCollateral() public {
        // Job B's 9,000 OPG collateral is more than 10 % of the 9,700 OPG slashable for it; job A keeps its 300.
        assertEq(staking.assignWorker(2, address(0), address(0), 9_000e18), WORKER, "job B assigned");
        _fundBond(address(0xC0), BOND);
        module.open(ID, _parties(9_000e18, new address[](0), new address[](0)), address(0xC0), BOND);
        uint256 before = _staked(WORKER);
        assertEq(uint256(_voteAndCheck(REJECT)), uint256(IDisputeCourt.Outcome.Rejected), "rejected");
        assertEq(before - _staked(WORKER), 9_000e18, "slashed the whole collateral");
        assertEq(_locked(WORKER), COLLATERAL, "the other job keeps its collateral");
    }

    function test_workerSlash_reachesUnbondingStake() public {
        vm.prank(WORKER);
        staking.unstake(5_000e18);
        _openOptimistic();
        assertEq(uint256(_voteAndCheck(REJECT)), uint256(IDisputeCourt.Outcome.Rejected), "rejected");
    }

    function test_penalty_isPerSeatAndCappedAtTheWholeStake() public {
        IDisputeCourt.CourtParams memory p = _defaultParams();
        p.jurySize = 15;
        p.appealJurySize = 31;
        p.nonRevealPenaltyBps = 1_000;
        court.setParams(p);
        address whale = address(0x3A1E);
        _stake(whale, 200_000e18, ROLE_VERIFIER);
        _openOptimistic();
        address[] memory jurors = _draw(ID);
        uint8[] memory choices = _all(jurors.length, REJECT);
        for (uint256 i; i < jurors.length; ++i) if (jurors[i] == whale) choices[i] = SILENT;
        assertGe(_seats(ID, 1, whale), 11, "the whale holds more than ten seats");
        _vote(ID, jurors, choices);
        _resolveAndCheck(choices);
        assertEq(_staked(whale), 0, "more than 10 silent seats at 10 % each take the whole stake");
    }

    // ------------------------------------------------------------------------------------------------- fuzz

    /// @notice Any parameters, stakes, bonds, challengers, defenders and votes: every credit matches the NatSpec to
    ///         the wei and the credits sum to the slashed stake plus the released bonds.
    function testFuzz_splitsAreExact(
        uint16[6] memory bps,
        uint96 workerStake,
        uint96 collateral,
        uint8 challengerCount,
        uint8 defenderCount,
        uint256 bondSeed,
        uint256 voteSeed
    ) public {
        IDisputeCourt.CourtParams memory p = _defaultParams();
        p.slashBps = uint16(bound(bps[0], 100, 10_000));
        p.defenderSlashBps = uint16(bound(bps[1], 100, 10_000));
        p.challengerRewardBps = uint16(bound(bps[2], 0, 5_000));
        p.voterRewardBps = uint16(bound(bps[3], 0, 5_000));
        p.nonRevealPenaltyBps = uint16(bound(bps[4], 1, 1_000));
        p.minorityPenaltyBps = uint16(bound(bps[5], 0, p.nonRevealPenaltyBps));
        court.setParams(p);

        uint256 extra = bound(workerStake, 0, 50_000_000e18);
        if (extra != 0) _stake(WORKER, extra, ROLE_WORKER | ROLE_VERIFIER);
        collateral = uint96(bound(collateral, 0, staking.freeStake(WORKER)));
        if (collateral != 0) staking.assignWorker(2, address(0), address(0), collateral);

        defenderCount = uint8(bound(defenderCount, 0, 4));
        address[] memory defenderList = new address[](defenderCount);
        for (uint256 i; i < defenderCount; ++i) {
            defenderList[i] = address(uint160(0xD000 + i));
            _stake(defenderList[i], 500e18 + (uint256(keccak256(abi.encode(bondSeed, "d", i))) % 10_000e18), 2);
            defenders.push(defenderList[i]);
        }
        IDisputeCourt.Parties memory parties = _parties(collateral, defenderList, new address[](0));
        challengerCount = uint8(bound(challengerCount, 0, 8));
        _openFuzzCase(parties, challengerCount, bondSeed);

        address[] memory jurors = _draw(ID);
        uint8[] memory choices = new uint8[](jurors.length);
        for (uint256 i; i < jurors.length; ++i) choices[i] = uint8(uint256(keccak256(abi.encode(voteSeed, i))) % 3);
        _vote(ID, jurors, choices);
        IDisputeCourt.Outcome outcome = _resolveAndCheck(choices);
        if (outcome == IDisputeCourt.Outcome.Pending) {
            jurors = _draw(ID);
            choices = new uint8[](jurors.length);
            for (uint256 i; i < jurors.length; ++i) {
                choices[i] = uint8(uint256(keccak256(abi.encode(voteSeed, "appeal", i))) % 3);
            }
            _vote(ID, jurors, choices);
            _resolveAndCheck(choices);
        }
    }

    function _openFuzzCase(IDisputeCourt.Parties memory parties, uint256 count, uint256 bondSeed) internal {
        if (count == 0) {
            module.open(ID, parties, address(0), 0);
            return;
        }
        for (uint256 i; i < count; ++i) {
            uint256 r = uint256(keccak256(abi.encode(bondSeed, i)));
            address challenger = _challenger(i, 500e18 + (r % 1_000e18));
            uint96 bond = r % 3 == 0 ? 0 : uint96(1 + (r % 1_000_000e18));
            if (bond != 0) _fundBond(challenger, bond);
            if (i == 0) module.open(ID, parties, challenger, bond);
            else module.join(ID, challenger, bond);
        }
    }

    // ------------------------------------------------------------------------------------------------- gas

    /// @notice Resolution at every bound (16 challengers, 30 listed parties, a 31-seat appeal jury with silent,
    ///         minority and majority seats) fits well inside a block.
    function test_gas_resolveAtTheBounds() public {
        IDisputeCourt.CourtParams memory p = _defaultParams();
        p.jurySize = 15;
        p.appealJurySize = 31;
        p.maxChallengers = 16;
        court.setParams(p);
        _addVerifiers(40, VERIFIER_STAKE);
        address[] memory committee = new address[](15);
        for (uint256 i; i < 15; ++i) {
            committee[i] = address(uint160(0xD000 + i));
            _stake(committee[i], 2_000e18, ROLE_VERIFIER);
            defenders.push(committee[i]);
        }
        address[] memory excluded = new address[](15);
        for (uint256 i; i < 15; ++i) excluded[i] = address(uint160(0xE000 + i));
        module.open(ID, _parties(COLLATERAL, committee, excluded), _challenger(0, VERIFIER_STAKE), 0);
        for (uint256 i = 1; i < 16; ++i) {
            address challenger = _challenger(i, VERIFIER_STAKE);
            if (i % 2 == 0) module.join(ID, challenger, 0);
            else _joinBonded(ID, challenger, BOND);
        }

        _ready(ID);
        uint256 gasBefore = gasleft();
        court.drawJury(ID);
        uint256 drawGas = gasBefore - gasleft();
        address[] memory jurors = _jurorsOf(ID, 1);
        _vote(ID, jurors, _all(jurors.length, SILENT));
        gasBefore = gasleft();
        court.resolve(ID);
        uint256 appealGas = gasBefore - gasleft();

        _ready(ID);
        court.drawJury(ID);
        jurors = _jurorsOf(ID, 2);
        assertGe(jurors.length, 20, "many distinct jurors");
        uint8[] memory choices = _decided(ID, jurors, REJECT);
        _vote(ID, jurors, choices);
        gasBefore = gasleft();
        court.resolve(ID);
        uint256 resolveGas = gasBefore - gasleft();
        assertEq(uint256(_case(ID).outcome), uint256(IDisputeCourt.Outcome.Rejected), "rejected");
        assertLe(drawGas, BLOCK_GAS_BUDGET, "draw gas");
        assertLe(appealGas, BLOCK_GAS_BUDGET, "appeal gas");
        assertLe(resolveGas, BLOCK_GAS_BUDGET / 2, "resolve gas at the bounds");
    }
}
