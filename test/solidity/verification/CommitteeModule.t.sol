// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {ICommitteeModule} from "../../../contracts/interfaces/ICommitteeModule.sol";
import {IDisputeCourt} from "../../../contracts/interfaces/IDisputeCourt.sol";
import {IInferenceHub} from "../../../contracts/interfaces/IInferenceHub.sol";
import {IRandomnessSource} from "../../../contracts/interfaces/IRandomnessSource.sol";
import {ISettlement} from "../../../contracts/interfaces/ISettlement.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {IVerificationModule} from "../../../contracts/interfaces/IVerificationModule.sol";
import {CommitteeModule} from "../../../contracts/verification/CommitteeModule.sol";
import {Vm} from "../utils/Vm.sol";
import {ModuleTestBase} from "./utils/ModuleTestBase.sol";

/// @notice COMMITTEE module: exact committee size from delayed randomness, commit–reveal attestations, quorum
///         without disagreement as the only way to acceptance (silence never approves), escalation to the court
///         with the right parties, silence penalties, refunds when no committee can be drawn, and governance.
contract CommitteeModuleTest is ModuleTestBase {
    enum Vote {
        Silent, // never commits
        CommitOnly, // commits, never reveals
        Agree,
        Disagree
    }

    uint8 internal constant SIZE = 3;
    uint8 internal constant QUORUM = 2;
    uint16 internal constant SILENCE_BPS = 100;
    uint32 internal constant DRAW_WINDOW = 1_800;
    uint32 internal constant COMMIT_WINDOW = 300;
    uint32 internal constant REVEAL_WINDOW = 300;
    uint256 internal constant REQUEST = 7;
    address internal constant WHALE = address(0x5010);
    /// @dev A million times the minimum verifier stake: the whale holds nearly every seat of a committee.
    uint256 internal constant WHALE_STAKE = 500_000_000e18;

    CommitteeModule internal module;
    uint256 internal _nextRequest = 100;

    error NoDistinctCommittee();

    function setUp() public {
        _deployProtocol();
        module = _deploy(_defaultParams());
        _allowModule(address(module));
        _addVerifiers(10, VERIFIER_STAKE);
    }

    // ------------------------------------------------------------------------------------------------- helpers

    function _defaultParams() internal pure returns (ICommitteeModule.CommitteeParams memory) {
        return
            ICommitteeModule.CommitteeParams({
                committeeSize: SIZE,
                quorum: QUORUM,
                silencePenaltyBps: SILENCE_BPS,
                drawWindow: DRAW_WINDOW,
                commitWindow: COMMIT_WINDOW,
                revealWindow: REVEAL_WINDOW
            });
    }

    function _deploy(ICommitteeModule.CommitteeParams memory p) internal returns (CommitteeModule) {
        return new CommitteeModule(_hub(), _court(), _settlement(), _staking(), _randomness(), p, address(this));
    }

    function _submit(uint256 requestId) internal returns (uint64 deadline) {
        (, deadline) = hub.submit(requestId, address(module), _job());
    }

    /// @dev Waits for the ticket's block and draws.
    function _draw(uint256 requestId) internal returns (address[] memory seats) {
        _ready(module.roundOf(requestId).ticket);
        module.drawCommittee(requestId);
        return module.committeeOf(requestId);
    }

    /// @dev Submits and draws fresh requests until a committee of distinct members comes out (one seat each).
    function _distinctCommittee() internal returns (uint256 requestId, address[] memory seats) {
        for (uint256 i; i < 64; ++i) {
            requestId = _nextRequest++;
            _submit(requestId);
            seats = _draw(requestId);
            if (_distinct(seats)) return (requestId, seats);
        }
        revert NoDistinctCommittee();
    }

    function _distinct(address[] memory seats) internal pure returns (bool) {
        for (uint256 i; i < seats.length; ++i) {
            for (uint256 j; j < i; ++j) if (seats[i] == seats[j]) return false;
        }
        return true;
    }

    function _salt(uint256 requestId, address member) internal pure returns (bytes32) {
        return keccak256(abi.encode("salt", requestId, member));
    }

    function _commit(uint256 requestId, address member, bool agree) internal {
        bytes32 commitment = module.attestationCommitment(requestId, member, agree, _salt(requestId, member));
        vm.prank(member);
        module.commitAttestation(requestId, commitment);
    }

    function _reveal(uint256 requestId, address member, bool agree) internal {
        vm.prank(member);
        module.revealAttestation(requestId, agree, _salt(requestId, member));
    }

    /// @dev Casts `votes[i]` for the member of seat i (distinct committee): commits, then (past the commit deadline
    ///      when someone stays silent) reveals.
    function _cast(uint256 requestId, address[] memory seats, Vote[] memory votes) internal {
        bool anySilent;
        for (uint256 i; i < seats.length; ++i) {
            if (votes[i] == Vote.Silent) anySilent = true;
            else _commit(requestId, seats[i], votes[i] == Vote.Agree);
        }
        if (anySilent) vm.warp(module.roundOf(requestId).commitDeadline + 1);
        for (uint256 i; i < seats.length; ++i) {
            if (votes[i] == Vote.Agree || votes[i] == Vote.Disagree) {
                _reveal(requestId, seats[i], votes[i] == Vote.Agree);
            }
        }
    }

    function _votes(Vote a, Vote b, Vote c) internal pure returns (Vote[] memory votes) {
        votes = new Vote[](3);
        votes[0] = a;
        votes[1] = b;
        votes[2] = c;
    }

    function _afterReveals(uint256 requestId) internal {
        vm.warp(module.roundOf(requestId).revealDeadline + 1);
        vm.roll(block.number + 1);
    }

    function _settle(uint256 requestId) internal returns (IVerificationModule.Verdict verdict, address[] memory paid) {
        return hub.settle(requestId);
    }

    function _assertVerdict(IVerificationModule.Verdict verdict, IVerificationModule.Verdict expected) internal pure {
        assertEq(uint256(verdict), uint256(expected), "verdict");
    }

    function _paramError(
        string memory name,
        uint256 value,
        uint256 min,
        uint256 max
    ) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ICommitteeModule.CommitteeParamOutOfBounds.selector, name, value, min, max);
    }

    /// @dev Silence penalty: `bps` per seat (at most all) of the stake, rounded up.
    function _penalty(uint256 stake, uint256 bps, uint256 seats) internal pure returns (uint256) {
        uint256 share = bps * seats > BPS ? BPS : bps * seats;
        return (stake * share + BPS - 1) / BPS;
    }

    function _stakeOf(address operator) internal view returns (uint256) {
        return _staking().slashableStake(operator, 0);
    }

    // ------------------------------------------------------------------------------------------------- deployment

    function test_constructor_setsContractsParamsAndOwner() public view {
        assertEq(address(module.hub()), address(hub), "hub");
        assertEq(address(module.court()), address(court), "court");
        assertEq(address(module.settlement()), address(settlement), "settlement");
        assertEq(address(module.staking()), address(staking), "staking");
        assertEq(address(module.randomness()), address(randomness), "randomness");
        assertEq(module.owner(), address(this), "owner");
        ICommitteeModule.CommitteeParams memory p = module.params();
        assertEq(p.committeeSize, SIZE, "committeeSize");
        assertEq(p.quorum, QUORUM, "quorum");
        assertEq(p.silencePenaltyBps, SILENCE_BPS, "silencePenaltyBps");
        assertEq(p.drawWindow, DRAW_WINDOW, "drawWindow");
        assertEq(p.commitWindow, COMMIT_WINDOW, "commitWindow");
        assertEq(p.revealWindow, REVEAL_WINDOW, "revealWindow");
    }

    function test_revert_constructor_zeroAddress() public {
        ICommitteeModule.CommitteeParams memory p = _defaultParams();
        bytes memory err = abi.encodeWithSelector(IVerificationModule.ModuleZeroAddress.selector);
        vm.expectRevert(err);
        new CommitteeModule(IInferenceHub(address(0)), _court(), _settlement(), _staking(), _randomness(), p, OWNER_B);
        vm.expectRevert(err);
        new CommitteeModule(_hub(), IDisputeCourt(address(0)), _settlement(), _staking(), _randomness(), p, OWNER_B);
        vm.expectRevert(err);
        new CommitteeModule(_hub(), _court(), ISettlement(address(0)), _staking(), _randomness(), p, OWNER_B);
        vm.expectRevert(err);
        new CommitteeModule(_hub(), _court(), _settlement(), IStaking(address(0)), _randomness(), p, OWNER_B);
        vm.expectRevert(err);
        new CommitteeModule(_hub(), _court(), _settlement(), _staking(), IRandomnessSource(address(0)), p, OWNER_B);
    }

    function test_revert_constructor_zeroOwner() public {
        ICommitteeModule.CommitteeParams memory p = _defaultParams();
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableInvalidOwner.selector, address(0)));
        new CommitteeModule(_hub(), _court(), _settlement(), _staking(), _randomness(), p, address(0));
    }

    function test_revert_constructor_paramOutOfBounds() public {
        ICommitteeModule.CommitteeParams memory p = _defaultParams();
        p.committeeSize = 4;
        vm.expectRevert(_paramError("committeeSize", 4, 1, 15));
        _deploy(p);
    }

    function test_revert_params_committeeSizeZeroEvenOrAboveMax() public {
        ICommitteeModule.CommitteeParams memory p = _defaultParams();
        uint8[3] memory sizes = [0, 2, 17];
        for (uint256 i; i < sizes.length; ++i) {
            p.committeeSize = sizes[i];
            p.quorum = sizes[i];
            vm.expectRevert(_paramError("committeeSize", sizes[i], 1, 15));
            module.setParams(p);
        }
    }

    function test_revert_params_quorumNotAMajority() public {
        ICommitteeModule.CommitteeParams memory p = _defaultParams();
        p.committeeSize = 5;
        p.quorum = 2;
        vm.expectRevert(_paramError("quorum", 2, 3, 5));
        module.setParams(p);
    }

    function test_revert_params_quorumAboveSize() public {
        ICommitteeModule.CommitteeParams memory p = _defaultParams();
        p.quorum = 4;
        vm.expectRevert(_paramError("quorum", 4, 2, 3));
        module.setParams(p);
    }

    function test_revert_params_silencePenaltyOutOfBounds() public {
        ICommitteeModule.CommitteeParams memory p = _defaultParams();
        uint256 min = module.MIN_SILENCE_PENALTY_BPS();
        uint256 max = module.MAX_SILENCE_PENALTY_BPS();
        p.silencePenaltyBps = uint16(min - 1);
        vm.expectRevert(_paramError("silencePenaltyBps", min - 1, min, max));
        module.setParams(p);
        p.silencePenaltyBps = uint16(max + 1);
        vm.expectRevert(_paramError("silencePenaltyBps", max + 1, min, max));
        module.setParams(p);
    }

    function test_revert_params_windowsOutOfBounds() public {
        uint256 min = module.MIN_WINDOW();
        uint256 max = module.MAX_WINDOW();
        string[3] memory names;
        names[0] = "drawWindow";
        names[1] = "commitWindow";
        names[2] = "revealWindow";
        for (uint256 i; i < 3; ++i) {
            for (uint256 k; k < 2; ++k) {
                uint32 value = uint32(k == 0 ? min - 1 : max + 1);
                ICommitteeModule.CommitteeParams memory p = _defaultParams();
                if (i == 0) p.drawWindow = value;
                if (i == 1) p.commitWindow = value;
                if (i == 2) p.revealWindow = value;
                vm.expectRevert(_paramError(names[i], value, min, max));
                module.setParams(p);
            }
        }
    }

    function testFuzz_params_sizeAndQuorumBounds(uint8 size, uint8 quorum) public {
        ICommitteeModule.CommitteeParams memory p = _defaultParams();
        p.committeeSize = size;
        p.quorum = quorum;
        bool sizeOk = size >= 1 && size <= 15 && size % 2 == 1;
        bool quorumOk = quorum > size / 2 && quorum <= size;
        if (!sizeOk) vm.expectRevert(_paramError("committeeSize", size, 1, 15));
        else if (!quorumOk) vm.expectRevert(_paramError("quorum", quorum, size / 2 + 1, size));
        module.setParams(p);
        if (sizeOk && quorumOk) {
            assertEq(module.params().committeeSize, size, "size");
            assertEq(module.params().quorum, quorum, "quorum");
        }
    }

    function test_setParams_updatesEveryFieldAndEmits() public {
        ICommitteeModule.CommitteeParams memory p = ICommitteeModule.CommitteeParams({
            committeeSize: 15,
            quorum: 15,
            silencePenaltyBps: module.MAX_SILENCE_PENALTY_BPS(),
            drawWindow: module.MAX_WINDOW(),
            commitWindow: module.MIN_WINDOW(),
            revealWindow: module.MAX_WINDOW()
        });
        vm.expectEmit(address(module));
        emit ICommitteeModule.ParamsUpdated(p);
        module.setParams(p);
        ICommitteeModule.CommitteeParams memory q = module.params();
        assertEq(q.committeeSize, p.committeeSize, "committeeSize");
        assertEq(q.quorum, p.quorum, "quorum");
        assertEq(q.silencePenaltyBps, p.silencePenaltyBps, "silencePenaltyBps");
        assertEq(q.drawWindow, p.drawWindow, "drawWindow");
        assertEq(q.commitWindow, p.commitWindow, "commitWindow");
        assertEq(q.revealWindow, p.revealWindow, "revealWindow");
    }

    function test_revert_setParams_notOwner() public {
        ICommitteeModule.CommitteeParams memory p = _defaultParams();
        vm.prank(verifiers[0]);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, verifiers[0]));
        module.setParams(p);
    }

    function test_revert_setParams_lifecycleTooLong() public {
        uint256 base = 900;
        uint256 current = module.maxVerificationDuration();
        hub.setLifecycle(base, base + current + 1);
        ICommitteeModule.CommitteeParams memory p = _defaultParams();
        p.revealWindow += 1;
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.HubLifecycleTooLong.selector, base + current + 1, base + current + 1)
        );
        module.setParams(p);
    }

    function test_maxVerificationDuration_windowsPlusLongestCase() public view {
        assertEq(
            module.maxVerificationDuration(),
            uint256(DRAW_WINDOW) + COMMIT_WINDOW + REVEAL_WINDOW + _court().maxCaseDuration(),
            "duration"
        );
    }

    function test_attestationCommitment_bindsRequestMemberVoteAndSalt() public view {
        bytes32 salt = bytes32(uint256(42));
        assertEq(
            module.attestationCommitment(REQUEST, verifiers[0], true, salt),
            keccak256(abi.encode(REQUEST, verifiers[0], true, salt)),
            "commitment"
        );
    }

    // ------------------------------------------------------------------------------------------------- onResult

    function test_onResult_requestsRandomnessAndReturnsWindowEnd() public {
        uint256 ticket = block.number + 1;
        uint256 drawDeadline = block.timestamp + DRAW_WINDOW;
        vm.expectEmit(address(module));
        emit ICommitteeModule.DrawRequested(REQUEST, ticket, drawDeadline);
        (IVerificationModule.Verdict verdict, uint64 deadline) = hub.submit(REQUEST, address(module), _job());
        _assertVerdict(verdict, IVerificationModule.Verdict.Pending);
        assertEq(deadline, drawDeadline + COMMIT_WINDOW + REVEAL_WINDOW, "deadline");
        ICommitteeModule.Round memory round = module.roundOf(REQUEST);
        assertEq(round.ticket, ticket, "ticket");
        assertEq(round.drawDeadline, drawDeadline, "drawDeadline");
        assertEq(round.seats, 0, "not drawn");
    }

    function test_revert_onResult_notHub() public {
        IVerificationModule.Job memory job = _job();
        vm.expectRevert(abi.encodeWithSelector(IVerificationModule.ModuleNotHub.selector, address(this)));
        module.onResult(REQUEST, job);
    }

    // ------------------------------------------------------------------------------------------------- draw

    function test_draw_exactSizeWithoutParties() public {
        _stake(WORKER, 100_000e18, ROLE_WORKER | ROLE_VERIFIER);
        _stake(REQUESTER, 100_000e18, ROLE_VERIFIER);
        _submit(REQUEST);
        address[] memory seats = _draw(REQUEST);
        assertEq(seats.length, SIZE, "exact size");
        uint256 seatSum;
        for (uint256 i; i < seats.length; ++i) {
            assertTrue(seats[i] != WORKER && seats[i] != REQUESTER, "no party on the committee");
            bool first = true;
            for (uint256 j; j < i; ++j) if (seats[j] == seats[i]) first = false;
            if (first) seatSum += module.attestationOf(REQUEST, seats[i]).seats;
        }
        assertEq(seatSum, SIZE, "seat counts add up");
        ICommitteeModule.Round memory round = module.roundOf(REQUEST);
        assertEq(round.seats, SIZE, "round seats");
        assertEq(round.quorum, QUORUM, "round quorum");
        assertEq(round.drawnAtBlock, block.number, "drawnAtBlock");
        assertEq(round.commitDeadline, block.timestamp + COMMIT_WINDOW, "commitDeadline");
        assertEq(round.revealDeadline, block.timestamp + COMMIT_WINDOW + REVEAL_WINDOW, "revealDeadline");
    }

    function test_draw_emitsCommitteeDrawn() public {
        _submit(REQUEST);
        _ready(module.roundOf(REQUEST).ticket);
        vm.recordLogs();
        module.drawCommittee(REQUEST);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bytes32 topic = ICommitteeModule.CommitteeDrawn.selector;
        uint256 found;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(module) && logs[i].topics[0] == topic) ++found;
        }
        assertEq(found, 1, "CommitteeDrawn emitted once");
    }

    function test_draw_aLargeStakeHoldsSeveralSeats() public {
        module.setParams(
            ICommitteeModule.CommitteeParams({
                committeeSize: 5,
                quorum: 3,
                silencePenaltyBps: SILENCE_BPS,
                drawWindow: DRAW_WINDOW,
                commitWindow: COMMIT_WINDOW,
                revealWindow: REVEAL_WINDOW
            })
        );
        _deployWhalePool(5);
        _submit(REQUEST);
        address[] memory seats = _draw(REQUEST);
        assertEq(seats.length, 5, "five seats");
        uint256 held = module.attestationOf(REQUEST, WHALE).seats;
        assertGe(held, 2, "several seats");
        uint256 listed;
        for (uint256 i; i < 5; ++i) if (seats[i] == WHALE) ++listed;
        assertEq(listed, held, "one entry per seat");
    }

    /// @notice THREAT_MODEL §6.4a: a lone verifier with tickets for every seat is no committee; neither are two.
    function test_revert_draw_tooFewDistinctVerifiersWhateverTheirTickets() public {
        for (uint256 i; i < verifiers.length; ++i) _retire(verifiers[i]);
        _stake(WHALE, WHALE_STAKE, ROLE_VERIFIER);
        _stake(address(0x5011), WHALE_STAKE, ROLE_VERIFIER);
        _submit(REQUEST);
        _ready(module.roundOf(REQUEST).ticket);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeTooFewVerifiers.selector, REQUEST, SIZE));
        module.drawCommittee(REQUEST);
    }

    /// @notice Two verifiers for three seats: the draw waits; once a third verifier's stake is in a newer snapshot,
    ///         a new word draws a committee of three seats (the shortage did not depend on the word).
    function test_draw_tooFewDistinctVerifiersThenALaterSnapshotHasAThird() public {
        for (uint256 i; i < verifiers.length; ++i) _retire(verifiers[i]);
        _stake(WHALE, WHALE_STAKE, ROLE_VERIFIER);
        _stake(address(0x5011), WHALE_STAKE, ROLE_VERIFIER);
        vm.warp(((block.timestamp / SNAPSHOT_PERIOD) + 1) * SNAPSHOT_PERIOD - 600); // 10 minutes before an epoch ends
        _submit(REQUEST);
        _ready(module.roundOf(REQUEST).ticket);
        _stakeNow(address(0x5012), VERIFIER_STAKE, ROLE_VERIFIER);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeTooFewVerifiers.selector, REQUEST, SIZE));
        module.drawCommittee(REQUEST);
        vm.warp(block.timestamp + 601); // the next epoch, inside the draw window
        vm.expectEmit(address(module));
        emit ICommitteeModule.DrawRequested(REQUEST, block.number + 1, module.roundOf(REQUEST).drawDeadline);
        module.drawCommittee(REQUEST);
        assertEq(_draw(REQUEST).length, SIZE, "drawn from the newer snapshot");
    }

    /// @dev Replaces the verifier set by `count` verifiers: the whale (WHALE_STAKE) and `count - 1` at the minimum
    ///      verifier stake (a committee needs as many verifiers as seats).
    function _deployWhalePool(uint256 count) internal {
        for (uint256 i; i < verifiers.length; ++i) _retire(verifiers[i]);
        for (uint256 i = 1; i < count; ++i) _stakeNow(address(uint160(0x5010 + i)), 500e18, ROLE_VERIFIER);
        _stake(WHALE, WHALE_STAKE, ROLE_VERIFIER);
    }

    /// @dev The distinct members of `requestId`'s committee.
    function _members(uint256 requestId) internal view returns (address[] memory unique) {
        address[] memory seats = module.committeeOf(requestId);
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

    function test_gas_drawMaxCommittee() public {
        module.setParams(
            ICommitteeModule.CommitteeParams({
                committeeSize: 15,
                quorum: 8,
                silencePenaltyBps: SILENCE_BPS,
                drawWindow: DRAW_WINDOW,
                commitWindow: COMMIT_WINDOW,
                revealWindow: REVEAL_WINDOW
            })
        );
        _addVerifiers(30, VERIFIER_STAKE);
        _submit(REQUEST);
        _ready(module.roundOf(REQUEST).ticket);
        uint256 before = gasleft();
        module.drawCommittee(REQUEST);
        uint256 used = before - gasleft();
        assertEq(module.committeeOf(REQUEST).length, 15, "fifteen seats");
        assertLe(used, 2_500_000, "draw of 15 seats");
    }

    function test_revert_draw_randomnessPending() public {
        _submit(REQUEST);
        uint256 ticket = module.roundOf(REQUEST).ticket;
        vm.roll(ticket); // the ticket's own block: its hash is not known yet
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeRandomnessPending.selector, REQUEST, ticket));
        module.drawCommittee(REQUEST);
    }

    function test_draw_expiredRandomnessRequestsNewTicket() public {
        _submit(REQUEST);
        uint256 ticket = module.roundOf(REQUEST).ticket;
        vm.roll(ticket + 257);
        uint256 renewed = block.number + 1;
        vm.expectEmit(address(module));
        emit ICommitteeModule.DrawRequested(REQUEST, renewed, module.roundOf(REQUEST).drawDeadline);
        module.drawCommittee(REQUEST);
        assertEq(module.roundOf(REQUEST).ticket, renewed, "new ticket");
        assertEq(module.roundOf(REQUEST).seats, 0, "not drawn from an expired ticket");
        _ready(renewed);
        module.drawCommittee(REQUEST);
        assertEq(module.committeeOf(REQUEST).length, SIZE, "drawn from the new ticket");
    }

    function test_revert_draw_tooFewVerifiers() public {
        _deployNoOtherVerifier();
        _submit(REQUEST);
        _ready(module.roundOf(REQUEST).ticket);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeTooFewVerifiers.selector, REQUEST, SIZE));
        module.drawCommittee(REQUEST);
    }

    /// @notice The committee is drawn from the weights frozen before its ticket: a whale staking, a member unstaking
    ///         and a member leaving the role after the word is known move no seat (v1 drew from live weights, and a
    ///         worker's dummy stake could steer the committee).
    function test_draw_weightChangesAfterTheWordMoveNoSeat() public {
        _submit(REQUEST);
        ICommitteeModule.Round memory round = module.roundOf(REQUEST);
        _ready(round.ticket);
        (, uint256 word) = randomness.read(round.ticket);
        address[] memory parties = new address[](2);
        parties[0] = WORKER;
        parties[1] = REQUESTER;
        uint256 seed = uint256(keccak256(abi.encode(word, REQUEST, "committee")));
        (address[] memory expected, ) = staking.drawPanel(ROLE_VERIFIER, seed, SIZE, parties, round.ticketRequestedAt);

        _stakeNow(address(0xBADBAD), 1_000_000e18, ROLE_VERIFIER);
        vm.prank(verifiers[0]);
        staking.unstake(VERIFIER_STAKE);
        vm.prank(verifiers[1]);
        staking.setRoles(ROLE_WORKER);
        module.drawCommittee(REQUEST);
        address[] memory seats = module.committeeOf(REQUEST);
        assertEq(seats.length, SIZE, "size");
        for (uint256 i; i < SIZE; ++i) assertEq(seats[i], expected[i], "same seat");
    }

    /// @notice Too few tickets in the snapshot: the draw reverts while no later snapshot exists, then asks for a new
    ///         word once one does (the shortage did not depend on the word, so nobody chose this re-roll).
    function test_draw_tooFewVerifiersThenALaterSnapshotHasMoreStake() public {
        _deployNoOtherVerifier();
        vm.warp(((block.timestamp / SNAPSHOT_PERIOD) + 1) * SNAPSHOT_PERIOD - 600); // 10 minutes before an epoch ends
        _submit(REQUEST);
        uint256 ticket = module.roundOf(REQUEST).ticket;
        _ready(ticket);
        for (uint256 i; i < SIZE; ++i) _stakeNow(address(uint160(0x7000 + i)), VERIFIER_STAKE, ROLE_VERIFIER);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeTooFewVerifiers.selector, REQUEST, SIZE));
        module.drawCommittee(REQUEST);
        vm.warp(block.timestamp + 601); // the next epoch, inside the draw window
        vm.expectEmit(address(module));
        emit ICommitteeModule.DrawRequested(REQUEST, block.number + 1, module.roundOf(REQUEST).drawDeadline);
        module.drawCommittee(REQUEST);
        assertEq(module.roundOf(REQUEST).ticketRequestedAt, block.timestamp, "new ticket, new snapshot");
        assertEq(_draw(REQUEST).length, SIZE, "drawn from the newer snapshot");
    }

    function test_draw_staleSnapshotRequestsANewTicket() public {
        ICommitteeModule.CommitteeParams memory p = _defaultParams();
        p.drawWindow = uint32(3 * SNAPSHOT_PERIOD); // longer than the snapshot period (not what the defaults do)
        module.setParams(p);
        _submit(REQUEST);
        _ready(module.roundOf(REQUEST).ticket);
        vm.warp(module.roundOf(REQUEST).ticketRequestedAt + 2 * SNAPSHOT_PERIOD);
        vm.expectEmit(address(module));
        emit ICommitteeModule.DrawRequested(REQUEST, block.number + 1, module.roundOf(REQUEST).drawDeadline);
        module.drawCommittee(REQUEST);
        assertEq(module.roundOf(REQUEST).seats, 0, "not drawn from a snapshot that is gone");
        assertEq(_draw(REQUEST).length, SIZE, "drawn from the new ticket's snapshot");
    }

    /// @dev Only the request's parties hold verifier stake.
    function _deployNoOtherVerifier() internal {
        for (uint256 i; i < verifiers.length; ++i) _retire(verifiers[i]);
        _stake(WORKER, 100_000e18, ROLE_WORKER | ROLE_VERIFIER);
        _stake(REQUESTER, 100_000e18, ROLE_VERIFIER);
    }

    function test_revert_draw_unknownRequest() public {
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeUnknownRequest.selector, REQUEST));
        module.drawCommittee(REQUEST);
    }

    function test_revert_draw_alreadyDrawn() public {
        _submit(REQUEST);
        _draw(REQUEST);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeAlreadyDrawn.selector, REQUEST));
        module.drawCommittee(REQUEST);
    }

    function test_draw_atDrawDeadline() public {
        _submit(REQUEST);
        vm.warp(module.roundOf(REQUEST).drawDeadline);
        assertEq(_draw(REQUEST).length, SIZE, "drawn at the deadline");
    }

    function test_revert_draw_afterDrawDeadline() public {
        _submit(REQUEST);
        uint256 drawDeadline = module.roundOf(REQUEST).drawDeadline;
        vm.warp(drawDeadline + 1);
        _ready(module.roundOf(REQUEST).ticket);
        vm.expectRevert(
            abi.encodeWithSelector(ICommitteeModule.CommitteeDeadlinePassed.selector, REQUEST, drawDeadline)
        );
        module.drawCommittee(REQUEST);
    }

    function test_draw_keepsWindowsAndQuorumOfTheDraw() public {
        _submit(REQUEST);
        _draw(REQUEST);
        ICommitteeModule.Round memory before = module.roundOf(REQUEST);
        ICommitteeModule.CommitteeParams memory p = _defaultParams();
        p.quorum = 3;
        p.commitWindow = 900;
        module.setParams(p);
        ICommitteeModule.Round memory afterChange = module.roundOf(REQUEST);
        assertEq(afterChange.quorum, before.quorum, "quorum kept");
        assertEq(afterChange.commitDeadline, before.commitDeadline, "commit deadline kept");
    }

    // ------------------------------------------------------------------------------------------------- commit

    function test_commit_recordsSeatsAndEmits() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        bytes32 commitment = module.attestationCommitment(id, seats[0], true, bytes32(uint256(1)));
        vm.expectEmit(address(module));
        emit ICommitteeModule.AttestationCommitted(id, seats[0], 1);
        vm.prank(seats[0]);
        module.commitAttestation(id, commitment);
        ICommitteeModule.Attestation memory a = module.attestationOf(id, seats[0]);
        assertTrue(a.committed, "committed");
        assertEq(a.commitment, commitment, "commitment");
        assertEq(module.roundOf(id).committedSeats, 1, "committed seats");
    }

    function test_commit_atCommitDeadline() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        vm.warp(module.roundOf(id).commitDeadline);
        _commit(id, seats[0], true);
        assertTrue(module.attestationOf(id, seats[0]).committed, "committed at the deadline");
    }

    function test_revert_commit_afterCommitDeadline() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        uint256 commitDeadline = module.roundOf(id).commitDeadline;
        vm.warp(commitDeadline + 1);
        vm.prank(seats[0]);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeDeadlinePassed.selector, id, commitDeadline));
        module.commitAttestation(id, bytes32(uint256(1)));
    }

    function test_revert_commit_empty() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        vm.prank(seats[0]);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeEmptyCommitment.selector));
        module.commitAttestation(id, bytes32(0));
    }

    function test_revert_commit_notMember() public {
        (uint256 id, ) = _distinctCommittee();
        address outsider = address(0xBEEF);
        vm.prank(outsider);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeNotMember.selector, id, outsider));
        module.commitAttestation(id, bytes32(uint256(1)));
    }

    function test_revert_commit_twice() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        _commit(id, seats[0], true);
        vm.prank(seats[0]);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeAlreadyActed.selector, id, seats[0]));
        module.commitAttestation(id, bytes32(uint256(2)));
    }

    function test_revert_commit_notDrawn() public {
        _submit(REQUEST);
        vm.prank(verifiers[0]);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeNotDrawn.selector, REQUEST));
        module.commitAttestation(REQUEST, bytes32(uint256(1)));
    }

    function test_revert_commit_unknownRequest() public {
        vm.prank(verifiers[0]);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeUnknownRequest.selector, REQUEST));
        module.commitAttestation(REQUEST, bytes32(uint256(1)));
    }

    // ------------------------------------------------------------------------------------------------- reveal

    function test_reveal_countsSeatsAndEmits() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        _commit(id, seats[0], true);
        _commit(id, seats[1], false);
        _commit(id, seats[2], true);
        vm.expectEmit(address(module));
        emit ICommitteeModule.AttestationRevealed(id, seats[1], false, 1);
        _reveal(id, seats[1], false);
        _reveal(id, seats[0], true);
        ICommitteeModule.Round memory round = module.roundOf(id);
        assertEq(round.revealedSeats, 2, "revealed");
        assertEq(round.agreeSeats, 1, "agree");
        assertEq(round.disagreeSeats, 1, "disagree");
        ICommitteeModule.Attestation memory a = module.attestationOf(id, seats[1]);
        assertTrue(a.revealed && !a.agree, "disagreement recorded");
    }

    function test_revert_reveal_whileCommitPhaseOpen() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        _commit(id, seats[0], true);
        uint256 commitDeadline = module.roundOf(id).commitDeadline;
        vm.warp(commitDeadline);
        vm.prank(seats[0]);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeCommitPhaseOpen.selector, id, commitDeadline));
        module.revealAttestation(id, true, _salt(id, seats[0]));
    }

    function test_reveal_opensAfterCommitDeadline() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        _commit(id, seats[0], true);
        vm.warp(module.roundOf(id).commitDeadline + 1);
        _reveal(id, seats[0], true);
        assertEq(module.roundOf(id).revealedSeats, 1, "revealed");
    }

    function test_reveal_opensOnceEverySeatCommitted() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        for (uint256 i; i < 3; ++i) _commit(id, seats[i], true);
        _reveal(id, seats[0], true);
        assertEq(module.roundOf(id).revealedSeats, 1, "revealed before the commit deadline");
    }

    function test_reveal_atRevealDeadline() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        _commit(id, seats[0], true);
        vm.warp(module.roundOf(id).revealDeadline);
        _reveal(id, seats[0], true);
        assertEq(module.roundOf(id).revealedSeats, 1, "revealed at the deadline");
    }

    function test_revert_reveal_afterRevealDeadline() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        _commit(id, seats[0], true);
        uint256 revealDeadline = module.roundOf(id).revealDeadline;
        vm.warp(revealDeadline + 1);
        vm.prank(seats[0]);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeDeadlinePassed.selector, id, revealDeadline));
        module.revealAttestation(id, true, _salt(id, seats[0]));
    }

    function test_revert_reveal_notCommitted() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        vm.warp(module.roundOf(id).commitDeadline + 1);
        vm.prank(seats[0]);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeNotCommitted.selector, id, seats[0]));
        module.revealAttestation(id, true, _salt(id, seats[0]));
    }

    function test_revert_reveal_twice() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        for (uint256 i; i < 3; ++i) _commit(id, seats[i], true);
        _reveal(id, seats[0], true);
        vm.prank(seats[0]);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeAlreadyActed.selector, id, seats[0]));
        module.revealAttestation(id, true, _salt(id, seats[0]));
    }

    function test_revert_reveal_otherVote() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        for (uint256 i; i < 3; ++i) _commit(id, seats[i], true);
        vm.prank(seats[0]);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeRevealMismatch.selector, id, seats[0]));
        module.revealAttestation(id, false, _salt(id, seats[0]));
    }

    function test_revert_reveal_otherSalt() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        for (uint256 i; i < 3; ++i) _commit(id, seats[i], true);
        vm.prank(seats[0]);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeRevealMismatch.selector, id, seats[0]));
        module.revealAttestation(id, true, bytes32(uint256(1)));
    }

    /// @notice A member cannot copy another's commitment: the commitment binds the member.
    function test_revert_reveal_copiedCommitment() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        bytes32 salt = _salt(id, seats[0]);
        bytes32 commitment = module.attestationCommitment(id, seats[0], true, salt);
        vm.prank(seats[0]);
        module.commitAttestation(id, commitment);
        vm.prank(seats[1]);
        module.commitAttestation(id, commitment);
        _commit(id, seats[2], true);
        vm.prank(seats[1]);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeRevealMismatch.selector, id, seats[1]));
        module.revealAttestation(id, true, salt);
    }

    function test_revert_reveal_notMember() public {
        (uint256 id, ) = _distinctCommittee();
        address outsider = address(0xBEEF);
        vm.prank(outsider);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeNotMember.selector, id, outsider));
        module.revealAttestation(id, true, bytes32(0));
    }

    function test_revert_reveal_notDrawn() public {
        _submit(REQUEST);
        vm.prank(verifiers[0]);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeNotDrawn.selector, REQUEST));
        module.revealAttestation(REQUEST, true, bytes32(0));
    }

    function test_reveal_multiSeatMemberVotesWithEverySeat() public {
        _deployWhalePool(SIZE);
        _submit(REQUEST);
        _draw(REQUEST);
        uint256 held = module.attestationOf(REQUEST, WHALE).seats;
        assertGe(held, 2, "several seats");
        _commit(REQUEST, WHALE, false);
        vm.warp(module.roundOf(REQUEST).commitDeadline + 1);
        _reveal(REQUEST, WHALE, false);
        ICommitteeModule.Round memory round = module.roundOf(REQUEST);
        assertEq(round.committedSeats, held, "committed seats");
        assertEq(round.disagreeSeats, held, "disagree seats");
    }

    // ------------------------------------------------------------------------------------------------- settle

    function test_settle_quorumAcceptsAndPaysAgreeingSeats() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        _cast(id, seats, _votes(Vote.Agree, Vote.Agree, Vote.Agree));
        vm.roll(block.number + 1);
        (IVerificationModule.Verdict verdict, address[] memory paid) = _settle(id);
        _assertVerdict(verdict, IVerificationModule.Verdict.Accepted);
        assertEq(paid.length, 3, "three payees");
        for (uint256 i; i < 3; ++i) assertEq(paid[i], seats[i], "payee");
    }

    function test_settle_sameBlockAsDrawPending() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        _cast(id, seats, _votes(Vote.Agree, Vote.Agree, Vote.Agree));
        (IVerificationModule.Verdict verdict, ) = _settle(id);
        _assertVerdict(verdict, IVerificationModule.Verdict.Pending);
        vm.roll(block.number + 1);
        (verdict, ) = _settle(id);
        _assertVerdict(verdict, IVerificationModule.Verdict.Accepted);
    }

    function test_settle_quorumPendingWhileRevealsOpen() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        _cast(id, seats, _votes(Vote.Agree, Vote.Agree, Vote.CommitOnly));
        vm.roll(block.number + 1);
        vm.warp(module.roundOf(id).revealDeadline);
        (IVerificationModule.Verdict verdict, ) = _settle(id);
        _assertVerdict(verdict, IVerificationModule.Verdict.Pending);
    }

    function test_settle_quorumAfterRevealDeadlineAcceptsAndPenalisesSilentSeat() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        _cast(id, seats, _votes(Vote.Agree, Vote.Silent, Vote.Agree));
        _afterReveals(id);
        uint256 stake = _stakeOf(seats[1]);
        uint256 penalty = _penalty(stake, SILENCE_BPS, 1);
        vm.expectEmit(address(module));
        emit ICommitteeModule.SilencePenalised(id, seats[1], penalty);
        (IVerificationModule.Verdict verdict, address[] memory paid) = _settle(id);
        _assertVerdict(verdict, IVerificationModule.Verdict.Accepted);
        assertEq(paid.length, 2, "agreeing seats paid");
        assertEq(paid[0], seats[0], "payee 0");
        assertEq(paid[1], seats[2], "payee 1");
        assertEq(_stakeOf(seats[1]), stake - penalty, "silent seat slashed");
        assertEq(settlement.creditsOf(TREASURY), penalty, "treasury credited");
        assertEq(settlement.surplus(), 0, "slash fully distributed");
        assertTrue(module.roundOf(id).penalised, "penalised flag");
    }

    function test_settle_penalisesSilenceOnce() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        _cast(id, seats, _votes(Vote.Agree, Vote.Agree, Vote.Silent));
        _afterReveals(id);
        IVerificationModule.Job memory job = _job();
        vm.startPrank(address(hub));
        module.settle(id, job, 0);
        uint256 stake = _stakeOf(seats[2]);
        (IVerificationModule.Verdict verdict, ) = module.settle(id, job, 0);
        vm.stopPrank();
        _assertVerdict(verdict, IVerificationModule.Verdict.Accepted);
        assertEq(_stakeOf(seats[2]), stake, "not penalised twice");
    }

    /// @notice Silence is never approval: one agreeing seat and two silent ones never reach Accepted.
    function test_settle_silenceNeverApproves() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        _cast(id, seats, _votes(Vote.Agree, Vote.Silent, Vote.CommitOnly));
        _afterReveals(id);
        vm.warp(block.timestamp + 365 days);
        (IVerificationModule.Verdict verdict, ) = _settle(id);
        _assertVerdict(verdict, IVerificationModule.Verdict.Pending);
    }

    function test_settle_disagreementNeverAccepts() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        _cast(id, seats, _votes(Vote.Agree, Vote.Agree, Vote.Disagree));
        _afterReveals(id);
        (IVerificationModule.Verdict verdict, ) = _settle(id);
        _assertVerdict(verdict, IVerificationModule.Verdict.Pending);
    }

    function test_settle_notDrawnPendingUntilDrawDeadline() public {
        _submit(REQUEST);
        vm.warp(module.roundOf(REQUEST).drawDeadline);
        (IVerificationModule.Verdict verdict, ) = _settle(REQUEST);
        _assertVerdict(verdict, IVerificationModule.Verdict.Pending);
    }

    function test_settle_tooFewVerifiersRefundedAfterDrawDeadline() public {
        _deployNoOtherVerifier();
        _submit(REQUEST);
        _ready(module.roundOf(REQUEST).ticket);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeTooFewVerifiers.selector, REQUEST, SIZE));
        module.drawCommittee(REQUEST);
        vm.warp(module.roundOf(REQUEST).drawDeadline + 1);
        (IVerificationModule.Verdict verdict, address[] memory paid) = _settle(REQUEST);
        _assertVerdict(verdict, IVerificationModule.Verdict.Refunded);
        assertEq(paid.length, 0, "no payees");
        (, IInferenceHub.Status status, , ) = hub.jobOf(REQUEST);
        assertEq(uint256(status), uint256(IInferenceHub.Status.Refunded), "hub refunds");
    }

    function test_revert_settle_notHub() public {
        _submit(REQUEST);
        IVerificationModule.Job memory job = _job();
        vm.expectRevert(abi.encodeWithSelector(IVerificationModule.ModuleNotHub.selector, address(this)));
        module.settle(REQUEST, job, 0);
    }

    function test_revert_settle_unknownRequest() public {
        IVerificationModule.Job memory job = _job();
        vm.prank(address(hub));
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeUnknownRequest.selector, REQUEST));
        module.settle(REQUEST, job, 0);
    }

    function _escalated() internal returns (uint256 id, address[] memory seats) {
        (id, seats) = _distinctCommittee();
        _cast(id, seats, _votes(Vote.Agree, Vote.Disagree, Vote.Agree));
        vm.roll(block.number + 1);
        module.escalate(id);
    }

    function test_settle_escalatedPendingWhileCaseOpen() public {
        (uint256 id, ) = _escalated();
        (IVerificationModule.Verdict verdict, ) = _settle(id);
        _assertVerdict(verdict, IVerificationModule.Verdict.Pending);
    }

    function test_settle_upheldPaysAgreeingAndMajoritySeats() public {
        (uint256 id, address[] memory seats) = _escalated();
        address[] memory majority = _decide(id, IDisputeCourt.Outcome.Upheld);
        (IVerificationModule.Verdict verdict, address[] memory paid) = _settle(id);
        _assertVerdict(verdict, IVerificationModule.Verdict.Accepted);
        assertGe(majority.length, 1, "a majority");
        assertEq(paid.length, 2 + majority.length, "two agreeing seats + the majority seats");
        assertEq(paid[0], seats[0], "agreeing 0");
        assertEq(paid[1], seats[2], "agreeing 1");
        for (uint256 i; i < majority.length; ++i) assertEq(paid[2 + i], majority[i], "majority seat");
    }

    function test_settle_rejectedWhenCourtRejects() public {
        (uint256 id, ) = _escalated();
        _decide(id, IDisputeCourt.Outcome.Rejected);
        (IVerificationModule.Verdict verdict, address[] memory paid) = _settle(id);
        _assertVerdict(verdict, IVerificationModule.Verdict.Rejected);
        assertEq(paid.length, 0, "no payees");
    }

    function test_settle_refundedWhenCourtUndecided() public {
        (uint256 id, ) = _escalated();
        _decide(id, IDisputeCourt.Outcome.Undecided);
        (IVerificationModule.Verdict verdict, address[] memory paid) = _settle(id);
        _assertVerdict(verdict, IVerificationModule.Verdict.Refunded);
        assertEq(paid.length, 0, "no payees");
    }

    /// @notice Every vote pattern of a 3-seat committee: Accepted iff ≥ quorum agreeing seats and no disagreeing one;
    ///         every other pattern can be escalated.
    function testFuzz_settle_acceptedOnlyWithQuorumAndNoDisagreement(uint8 a, uint8 b, uint8 c) public {
        Vote[] memory votes = _votes(Vote(a % 4), Vote(b % 4), Vote(c % 4));
        (uint256 id, address[] memory seats) = _distinctCommittee();
        _cast(id, seats, votes);
        _afterReveals(id);
        uint256 agree;
        uint256 disagree;
        for (uint256 i; i < 3; ++i) {
            if (votes[i] == Vote.Agree) ++agree;
            if (votes[i] == Vote.Disagree) ++disagree;
        }
        (IVerificationModule.Verdict verdict, ) = _settle(id);
        if (agree >= QUORUM && disagree == 0) {
            _assertVerdict(verdict, IVerificationModule.Verdict.Accepted);
        } else {
            _assertVerdict(verdict, IVerificationModule.Verdict.Pending);
            module.escalate(id);
            assertTrue(module.isDisputed(id), "escalated");
        }
    }

    // ------------------------------------------------------------------------------------------------- escalate

    function test_escalate_disagreementOpensCaseWithParties() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        _cast(id, seats, _votes(Vote.Agree, Vote.Disagree, Vote.Agree));
        vm.roll(block.number + 1);
        vm.expectEmit(address(module));
        emit ICommitteeModule.Escalated(id, 2, 1);
        module.escalate(id);

        IDisputeCourt.Case memory k = _court().getCase(id);
        assertEq(k.module, address(module), "case module");
        assertEq(k.worker, WORKER, "worker");
        assertEq(k.requester, REQUESTER, "requester");
        assertEq(k.collateral, COLLATERAL, "collateral");
        IDisputeCourt.Challenger[] memory challengers = _court().challengersOf(id);
        assertEq(challengers.length, 1, "one challenger");
        assertEq(challengers[0].account, seats[1], "the disagreeing member");
        assertEq(challengers[0].bond, 0, "stake-backed");
        address[] memory defenders = _defenders(id);
        assertEq(defenders.length, 2, "two defenders");
        assertEq(defenders[0], seats[0], "defender 0");
        assertEq(defenders[1], seats[2], "defender 1");
        for (uint256 i; i < 3; ++i) assertTrue(_court().isParty(id, seats[i]), "member kept off the jury");
        assertEq(_excluded(id).length, 3, "whole committee excluded");
        assertTrue(module.roundOf(id).escalated, "escalated");
        assertTrue(module.isDisputed(id), "disputed");
    }

    function test_escalate_everyDisagreeingMemberChallenges() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        _cast(id, seats, _votes(Vote.Disagree, Vote.Agree, Vote.Disagree));
        vm.roll(block.number + 1);
        module.escalate(id);
        IDisputeCourt.Challenger[] memory challengers = _court().challengersOf(id);
        assertEq(challengers.length, 2, "two challengers");
        assertEq(challengers[0].account, seats[0], "first");
        assertEq(challengers[1].account, seats[2], "joined");
        assertEq(challengers[1].bond, 0, "stake-backed joiner");
    }

    function test_escalate_noQuorumThroughSilenceOpensCaseWithoutChallenger() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        _cast(id, seats, _votes(Vote.Agree, Vote.Silent, Vote.CommitOnly));
        _afterReveals(id);
        module.escalate(id);
        assertEq(_court().challengersOf(id).length, 0, "no challenger");
        assertEq(_defenders(id).length, 1, "the agreeing member defends");
        assertEq(_defenders(id)[0], seats[0], "defender");
        assertEq(uint256(_court().getCase(id).phase), uint256(IDisputeCourt.Phase.Drawing), "case open");
    }

    function test_escalate_penalisesSilentSeatsWithoutJailOrCollateral() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        _lockCollateral(seats[1], 100e18);
        _cast(id, seats, _votes(Vote.Agree, Vote.Silent, Vote.CommitOnly));
        _afterReveals(id);
        uint256 stake1 = _stakeOf(seats[1]);
        uint256 stake2 = _stakeOf(seats[2]);
        uint256 stake0 = _stakeOf(seats[0]);
        module.escalate(id);
        uint256 penalty1 = _penalty(stake1, SILENCE_BPS, 1);
        uint256 penalty2 = _penalty(stake2, SILENCE_BPS, 1);
        assertEq(_stakeOf(seats[1]), stake1 - penalty1, "silent seat slashed");
        assertEq(_stakeOf(seats[2]), stake2 - penalty2, "committed-only seat slashed");
        assertEq(_stakeOf(seats[0]), stake0, "revealing seat untouched");
        assertEq(_staking().getOperator(seats[1]).locked, 100e18, "collateral not released");
        assertEq(_staking().getOperator(seats[1]).jailedUntil, 0, "not jailed");
        assertEq(settlement.creditsOf(TREASURY), penalty1 + penalty2, "treasury credited");
        assertEq(settlement.surplus(), 0, "slash fully distributed");
    }

    function test_escalate_multiSeatSilentMemberPenalisedPerSeat() public {
        _deployWhalePool(SIZE);
        _submit(REQUEST);
        _draw(REQUEST);
        _afterReveals(REQUEST);
        uint256 held = module.attestationOf(REQUEST, WHALE).seats;
        assertGe(held, 2, "several seats");
        uint256 stake = _stakeOf(WHALE);
        module.escalate(REQUEST);
        assertEq(_stakeOf(WHALE), stake - _penalty(stake, SILENCE_BPS, held), "penalised for each seat");
        address[] memory excluded = _excluded(REQUEST);
        assertEq(excluded.length, _members(REQUEST).length, "each member excluded once");
        uint256 listed;
        for (uint256 i; i < excluded.length; ++i) if (excluded[i] == WHALE) ++listed;
        assertEq(listed, 1, "the multi-seat member excluded once");
    }

    function test_escalate_silencePenaltyCappedAtWholeStake() public {
        module.setParams(
            ICommitteeModule.CommitteeParams({
                committeeSize: 15,
                quorum: 8,
                silencePenaltyBps: module.MAX_SILENCE_PENALTY_BPS(),
                drawWindow: DRAW_WINDOW,
                commitWindow: COMMIT_WINDOW,
                revealWindow: REVEAL_WINDOW
            })
        );
        _deployWhalePool(15);
        _submit(REQUEST);
        _draw(REQUEST);
        _afterReveals(REQUEST);
        uint256 held = module.attestationOf(REQUEST, WHALE).seats;
        assertGe(held, 10, "ten seats or more x 10 % reach the whole stake");
        address[] memory members = _members(REQUEST);
        uint256 expected;
        for (uint256 i; i < members.length; ++i) {
            uint256 seats = module.attestationOf(REQUEST, members[i]).seats;
            expected += _penalty(_stakeOf(members[i]), module.MAX_SILENCE_PENALTY_BPS(), seats);
        }
        uint256 stake = _stakeOf(WHALE);
        module.escalate(REQUEST);
        assertEq(_stakeOf(WHALE), 0, "silent seats x 10 % take the whole stake, no more");
        assertGe(expected, stake, "the whale's penalty is its whole stake");
        assertEq(settlement.creditsOf(TREASURY), expected, "treasury credited every penalty");
    }

    function testFuzz_escalate_silencePenaltyExact(uint256 stake, uint16 bps) public {
        bps = uint16(bound(bps, module.MIN_SILENCE_PENALTY_BPS(), module.MAX_SILENCE_PENALTY_BPS()));
        stake = bound(stake, 500e18, 1_000_000_000e18 + 12_345);
        ICommitteeModule.CommitteeParams memory p = _defaultParams();
        p.silencePenaltyBps = bps;
        module.setParams(p);
        for (uint256 i; i < verifiers.length; ++i) _retire(verifiers[i]);
        for (uint256 i; i < SIZE; ++i) _stakeNow(address(uint160(0x5010 + i)), stake, ROLE_VERIFIER);
        vm.warp(block.timestamp + SNAPSHOT_PERIOD);
        _submit(REQUEST);
        _draw(REQUEST);
        _afterReveals(REQUEST);
        module.escalate(REQUEST);
        uint256 total;
        for (uint256 i; i < SIZE; ++i) {
            address member = address(uint160(0x5010 + i));
            uint256 penalty = _penalty(stake, bps, module.attestationOf(REQUEST, member).seats);
            assertEq(_stakeOf(member), stake - penalty, "stake after penalty");
            total += penalty;
        }
        assertGe(total, _penalty(stake, bps, 1), "a silent seat was penalised");
        assertEq(settlement.creditsOf(TREASURY), total, "treasury credit");
    }

    function test_escalate_onlyAfterRevealDeadline() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        _cast(id, seats, _votes(Vote.Agree, Vote.Silent, Vote.Silent));
        vm.roll(block.number + 1);
        vm.warp(module.roundOf(id).revealDeadline);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeCannotEscalate.selector, id));
        module.escalate(id);
        vm.warp(module.roundOf(id).revealDeadline + 1);
        module.escalate(id);
        assertTrue(module.roundOf(id).escalated, "escalated after the deadline");
    }

    function test_revert_escalate_whileRevealsOpen() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        _cast(id, seats, _votes(Vote.Disagree, Vote.Agree, Vote.CommitOnly));
        vm.roll(block.number + 1);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeCannotEscalate.selector, id));
        module.escalate(id);
    }

    function test_revert_escalate_approved() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        _cast(id, seats, _votes(Vote.Agree, Vote.Agree, Vote.Silent));
        _afterReveals(id);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeCannotEscalate.selector, id));
        module.escalate(id);
    }

    function test_revert_escalate_sameBlockAsDraw() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        _cast(id, seats, _votes(Vote.Agree, Vote.Disagree, Vote.Agree));
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeSameBlock.selector, id));
        module.escalate(id);
    }

    function test_revert_escalate_twice() public {
        (uint256 id, ) = _escalated();
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeCannotEscalate.selector, id));
        module.escalate(id);
    }

    function test_revert_escalate_notDrawn() public {
        _submit(REQUEST);
        vm.warp(block.timestamp + 1 days);
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeNotDrawn.selector, REQUEST));
        module.escalate(REQUEST);
    }

    function test_revert_escalate_unknownRequest() public {
        vm.expectRevert(abi.encodeWithSelector(ICommitteeModule.CommitteeUnknownRequest.selector, REQUEST));
        module.escalate(REQUEST);
    }

    function test_escalate_challengersCappedAtCourtMaximum() public {
        IDisputeCourt.CourtParams memory cp = _defaultCourtParams();
        cp.maxChallengers = 2;
        court.setParams(cp);
        (uint256 id, address[] memory seats) = _distinctCommittee();
        _cast(id, seats, _votes(Vote.Disagree, Vote.Disagree, Vote.Disagree));
        vm.roll(block.number + 1);
        module.escalate(id);
        IDisputeCourt.Challenger[] memory challengers = _court().challengersOf(id);
        assertEq(challengers.length, 2, "capped");
        assertEq(challengers[0].account, seats[0], "first in draw order");
        assertEq(challengers[1].account, seats[1], "second in draw order");
        assertTrue(_court().isParty(id, seats[2]), "the third stays off the jury");
    }

    /// @notice The heaviest escalation: 15 seats, the court's maximum of challengers, every other seat silent.
    function test_gas_escalateMaxCommittee() public {
        module.setParams(
            ICommitteeModule.CommitteeParams({
                committeeSize: 15,
                quorum: 8,
                silencePenaltyBps: SILENCE_BPS,
                drawWindow: DRAW_WINDOW,
                commitWindow: COMMIT_WINDOW,
                revealWindow: REVEAL_WINDOW
            })
        );
        _addVerifiers(90, VERIFIER_STAKE);
        (uint256 id, address[] memory seats) = _distinctCommittee();
        for (uint256 i; i < 8; ++i) _commit(id, seats[i], false);
        vm.warp(module.roundOf(id).commitDeadline + 1);
        for (uint256 i; i < 8; ++i) _reveal(id, seats[i], false);
        _afterReveals(id);
        uint256 before = gasleft();
        module.escalate(id);
        uint256 used = before - gasleft();
        assertEq(_court().challengersOf(id).length, 8, "eight challengers");
        assertEq(_excluded(id).length, 15, "fifteen excluded");
        assertLe(used, 3_000_000, "escalation of 15 seats");
    }

    // ------------------------------------------------------------------------------------------------- isDisputed

    function test_isDisputed_falseBeforeEscalation() public {
        (uint256 id, address[] memory seats) = _distinctCommittee();
        _cast(id, seats, _votes(Vote.Agree, Vote.Disagree, Vote.Agree));
        assertTrue(!module.isDisputed(id), "not yet");
    }

    function test_isDisputed_falseOnceResolved() public {
        (uint256 id, ) = _escalated();
        _decide(id, IDisputeCourt.Outcome.Rejected);
        assertTrue(!module.isDisputed(id), "resolved");
    }
}
