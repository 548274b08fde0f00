// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BaseTest} from "../../utils/BaseTest.sol";
import {OPGToken} from "../../../../contracts/token/OPGToken.sol";
import {Settlement} from "../../../../contracts/settlement/Settlement.sol";
import {DisputeCourt} from "../../../../contracts/verification/DisputeCourt.sol";
import {IDisputeCourt} from "../../../../contracts/interfaces/IDisputeCourt.sol";
import {IStaking} from "../../../../contracts/interfaces/IStaking.sol";
import {MockCourtModule} from "../../../../contracts/mocks/MockCourtModule.sol";
import {MockRandomnessSource} from "../../../../contracts/mocks/MockRandomnessSource.sol";
import {Staking} from "../../../../contracts/staking/Staking.sol";

/// @notice The dispute court on the real token, Settlement and Staking, with a randomness source the tests steer,
///         a test module that opens cases, and the helpers the court suites share: staking, bonding, opening,
///         drawing, voting, and an independent re-computation of every slash and credit.
abstract contract CourtFixture is BaseTest {
    uint256 internal constant T0 = 1_000_000;
    uint256 internal constant BPS = 10_000;
    uint256 internal constant SUPPLY = 1_000_000_000e18;
    uint256 internal constant VERIFIER_STAKE = 1_000e18;
    uint256 internal constant WORKER_STAKE = 10_000e18;
    uint256 internal constant COLLATERAL = 300e18;
    uint96 internal constant BOND = 100e18;
    /// @dev The shipped court defaults (ignition/defaults.ts).
    uint8 internal constant JURY = 9;
    uint8 internal constant APPEAL_JURY = 15;
    uint32 internal constant DRAW_WINDOW = 1_800;
    uint8 internal constant ROLE_WORKER = 1;
    uint8 internal constant ROLE_VERIFIER = 2;
    uint8 internal constant SILENT = 0;
    uint8 internal constant UPHOLD = 1;
    uint8 internal constant REJECT = 2;

    address internal constant TREASURY = address(0x7EA5);
    address internal constant WORKER = address(0x1000);
    address internal constant REQUESTER = address(0x3000);
    address internal constant STRANGER = address(0x5757);

    OPGToken internal token;
    Settlement internal settlement;
    Staking internal staking;
    MockRandomnessSource internal randomness;
    DisputeCourt internal court;
    MockCourtModule internal module;
    MockCourtModule internal otherModule;

    address[] internal verifiers;
    uint256 internal wordNonce;

    function setUp() public virtual {
        vm.warp(T0);
        vm.roll(100);
        token = new OPGToken(address(this), SUPPLY);
        settlement = new Settlement(token, TREASURY, address(this));
        staking = new Staking(
            token,
            IStaking.StakingParams({
                minWorkerStake: 1_000e18,
                minVerifierStake: 500e18,
                unbondingDelay: 7 days,
                jailDuration: 1 days
            }),
            SNAPSHOT_PERIOD,
            address(this)
        );
        randomness = new MockRandomnessSource();
        court = new DisputeCourt(staking, settlement, randomness, _defaultParams(), address(this));
        module = new MockCourtModule(court, settlement);
        otherModule = new MockCourtModule(court, settlement);
        staking.setSettlement(address(settlement));
        staking.setPermissions(address(court), staking.SLASHER());
        staking.setPermissions(address(this), staking.LOCKER());
        settlement.setPermissions(address(court), settlement.BONDS());
        settlement.setPermissions(address(module), settlement.BONDS());
        settlement.setPermissions(address(otherModule), settlement.BONDS());
        court.setModule(address(module), true);
        court.setModule(address(otherModule), true);
    }

    // ------------------------------------------------------------------------------------------------- params

    /// @dev Shipped defaults (ignition/defaults.ts, DisputeCourt).
    function _defaultParams() internal pure returns (IDisputeCourt.CourtParams memory) {
        return
            IDisputeCourt.CourtParams({
                jurySize: JURY,
                appealJurySize: APPEAL_JURY,
                maxChallengers: 8,
                slashBps: 1_000,
                defenderSlashBps: 1_000,
                challengerRewardBps: 1_500,
                voterRewardBps: 1_000,
                minorityPenaltyBps: 50,
                nonRevealPenaltyBps: 100,
                drawWindow: DRAW_WINDOW,
                commitWindow: 300,
                revealWindow: 300,
                challengeBond: 100e18
            });
    }

    // ------------------------------------------------------------------------------------------------- actors

    /// @dev Stakes, then lets one snapshot epoch pass so that panels drawn from now on see the stake.
    function _stake(address account, uint256 amount, uint8 roles) internal {
        _stakeNow(account, amount, roles);
        vm.warp(block.timestamp + SNAPSHOT_PERIOD);
    }

    /// @dev Stakes without waiting: panels whose randomness is requested in this epoch do not see it.
    function _stakeNow(address account, uint256 amount, uint8 roles) internal {
        token.transfer(account, amount);
        vm.startPrank(account);
        token.approve(address(staking), amount);
        staking.stake(amount, roles);
        vm.stopPrank();
    }

    /// @dev `count` new verifiers staking `stakeEach` each; returns them (also appended to `verifiers`).
    function _addVerifiers(uint256 count, uint256 stakeEach) internal returns (address[] memory added) {
        added = new address[](count);
        for (uint256 i; i < count; ++i) {
            address verifier = address(uint160(0x20000 + verifiers.length));
            verifiers.push(verifier);
            _stakeNow(verifier, stakeEach, ROLE_VERIFIER);
            added[i] = verifier;
        }
        vm.warp(block.timestamp + SNAPSHOT_PERIOD);
    }

    /// @dev Stakes the worker (`roles`) and locks `collateral` of it as one job's collateral.
    function _stakeWorker(uint256 amount, uint8 roles, uint256 collateral) internal {
        _stake(WORKER, amount, roles);
        address assigned = staking.assignWorker(1, address(0), address(0), collateral);
        assertEq(assigned, WORKER, "worker assigned");
    }

    function _fundBond(address account, uint256 amount) internal {
        token.transfer(account, amount);
        vm.startPrank(account);
        token.approve(address(settlement), amount);
        settlement.deposit(amount);
        vm.stopPrank();
    }

    function _parties(
        uint256 collateral,
        address[] memory defenders,
        address[] memory excluded
    ) internal pure returns (IDisputeCourt.Parties memory) {
        return
            IDisputeCourt.Parties({
                worker: WORKER,
                requester: REQUESTER,
                collateral: collateral,
                defenders: defenders,
                excluded: excluded
            });
    }

    function _plainParties() internal pure returns (IDisputeCourt.Parties memory) {
        return _parties(COLLATERAL, new address[](0), new address[](0));
    }

    /// @dev Opens `requestId` with a bonded challenger (bond funded here).
    function _openBonded(uint256 requestId, address challenger, uint96 bond) internal {
        _fundBond(challenger, bond);
        module.open(requestId, _plainParties(), challenger, bond);
    }

    function _joinBonded(uint256 requestId, address challenger, uint96 bond) internal {
        _fundBond(challenger, bond);
        module.join(requestId, challenger, bond);
    }

    // ------------------------------------------------------------------------------------------------- rounds

    function _case(uint256 requestId) internal view returns (IDisputeCourt.Case memory) {
        return court.getCase(requestId);
    }

    /// @dev Moves one block on and makes the current round's ticket Ready with a fresh word.
    function _ready(uint256 requestId) internal {
        vm.roll(block.number + 1);
        randomness.setReady(_case(requestId).ticket, uint256(keccak256(abi.encode("word", ++wordNonce))));
    }

    function _draw(uint256 requestId) internal returns (address[] memory jurors) {
        _ready(requestId);
        court.drawJury(requestId);
        jurors = _jurorsOf(requestId, _case(requestId).round);
    }

    /// @dev Unique jurors of `round`, in order of their first seat.
    function _jurorsOf(uint256 requestId, uint8 round) internal view returns (address[] memory unique) {
        address[] memory seats = court.juryOf(requestId, round);
        unique = new address[](seats.length);
        uint256 n;
        for (uint256 i; i < seats.length; ++i) {
            bool seen;
            for (uint256 j; j < n; ++j) if (unique[j] == seats[i]) seen = true;
            if (!seen) unique[n++] = seats[i];
        }
        assembly ("memory-safe") {
            mstore(unique, n)
        }
    }

    function _seats(uint256 requestId, uint8 round, address juror) internal view returns (uint256) {
        return court.ballotOf(requestId, round, juror).seats;
    }

    function _salt(address juror, uint8 round) internal pure returns (bytes32) {
        return keccak256(abi.encode("salt", juror, round));
    }

    function _commit(uint256 requestId, address juror, bool uphold) internal {
        uint8 round = _case(requestId).round;
        bytes32 commitment = court.voteCommitment(requestId, round, juror, uphold, _salt(juror, round));
        vm.prank(juror);
        court.commitVote(requestId, commitment);
    }

    function _reveal(uint256 requestId, address juror, bool uphold) internal {
        uint8 round = _case(requestId).round;
        vm.prank(juror);
        court.revealVote(requestId, uphold, _salt(juror, round));
    }

    /// @dev Each juror `i` votes `choices[i]` (SILENT: commits nothing); then the round's reveal window passes.
    function _vote(uint256 requestId, address[] memory jurors, uint8[] memory choices) internal {
        for (uint256 i; i < jurors.length; ++i) {
            if (choices[i] != SILENT) _commit(requestId, jurors[i], choices[i] == UPHOLD);
        }
        vm.warp(_case(requestId).commitDeadline + 1);
        for (uint256 i; i < jurors.length; ++i) {
            if (choices[i] != SILENT) _reveal(requestId, jurors[i], choices[i] == UPHOLD);
        }
        vm.warp(_case(requestId).revealDeadline + 1);
        vm.roll(block.number + 1);
    }

    function _all(uint256 count, uint8 choice) internal pure returns (uint8[] memory choices) {
        choices = new uint8[](count);
        for (uint256 i; i < count; ++i) choices[i] = choice;
    }

    /// @dev A tie whatever the seat counts: jurors with equal seats pair up (one upholds, one rejects), the rest
    ///      stay silent. Returns the choices and the seats on each side.
    function _tie(
        uint256 requestId,
        address[] memory jurors
    ) internal view returns (uint8[] memory choices, uint256 sideSeats) {
        uint8 round = _case(requestId).round;
        choices = new uint8[](jurors.length);
        bool[] memory used = new bool[](jurors.length);
        for (uint256 i; i < jurors.length; ++i) {
            if (used[i]) continue;
            uint256 seats = _seats(requestId, round, jurors[i]);
            for (uint256 j = i + 1; j < jurors.length; ++j) {
                if (used[j] || _seats(requestId, round, jurors[j]) != seats) continue;
                used[i] = used[j] = true;
                choices[i] = UPHOLD;
                choices[j] = REJECT;
                sideSeats += seats;
                break;
            }
        }
    }

    // ------------------------------------------------------------------------------------------------- expectations

    /// @dev ceil(stake × min(bps × seats, BPS) / BPS) of `account`'s slashable stake (the court's penalty).
    function _penaltyOf(address account, uint256 bps, uint256 seats) internal view returns (uint256) {
        uint256 share = bps * seats > BPS ? BPS : bps * seats;
        uint256 stake = staking.slashableStake(account, 0);
        return (stake * share + BPS - 1) / BPS;
    }

    function _workerSlashOf(uint256 collateral) internal view returns (uint256 amount) {
        uint256 slashable = staking.slashableStake(WORKER, collateral);
        amount = (slashable * court.params().slashBps + BPS - 1) / BPS;
        if (amount < collateral) amount = collateral;
        if (amount > slashable) amount = slashable;
    }

    /// @dev Active + unbonding stake (what slashes take from).
    function _staked(address account) internal view returns (uint256) {
        IStaking.Operator memory op = staking.getOperator(account);
        return uint256(op.active) + op.unbonding;
    }

    function _locked(address account) internal view returns (uint256) {
        return staking.getOperator(account).locked;
    }

    /// @dev A decided round whatever the seat counts: the juror with the fewest seats votes against `majority`, the
    ///      next one stays silent (when there are three jurors or more), the others vote `majority`.
    function _decided(
        uint256 requestId,
        address[] memory jurors,
        uint8 majority
    ) internal view returns (uint8[] memory choices) {
        uint8 round = _case(requestId).round;
        uint256 n = jurors.length;
        choices = _all(n, majority);
        if (n < 2) return choices;
        uint256 smallest;
        for (uint256 i = 1; i < n; ++i) {
            if (_seats(requestId, round, jurors[i]) < _seats(requestId, round, jurors[smallest])) smallest = i;
        }
        choices[smallest] = majority == UPHOLD ? REJECT : UPHOLD;
        if (n < 3) return choices;
        uint256 next = smallest == 0 ? 1 : 0;
        for (uint256 i; i < n; ++i) {
            if (i == smallest) continue;
            if (_seats(requestId, round, jurors[i]) < _seats(requestId, round, jurors[next])) next = i;
        }
        choices[next] = SILENT;
        // Equal seats everywhere (e.g. 3 × 3): the would-be minority stays silent too, so the round is decided.
        uint256 minority = _seats(requestId, round, jurors[smallest]);
        uint256 majoritySeats;
        for (uint256 i; i < n; ++i) if (choices[i] == majority) majoritySeats += _seats(requestId, round, jurors[i]);
        if (majoritySeats <= minority) choices[smallest] = SILENT;
    }

    function _credits(address[] memory accounts) internal view returns (uint256[] memory amounts) {
        amounts = new uint256[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) amounts[i] = settlement.creditsOf(accounts[i]);
    }

    function _sum(uint256[] memory amounts) internal pure returns (uint256 total) {
        for (uint256 i; i < amounts.length; ++i) total += amounts[i];
    }

    function _contains(address[] memory list, address account) internal pure returns (bool) {
        for (uint256 i; i < list.length; ++i) if (list[i] == account) return true;
        return false;
    }

    function _single(address account) internal pure returns (address[] memory list) {
        list = new address[](1);
        list[0] = account;
    }
}
