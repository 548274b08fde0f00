// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {IDisputeCourt} from "../../../contracts/interfaces/IDisputeCourt.sol";
import {IInferenceHub} from "../../../contracts/interfaces/IInferenceHub.sol";
import {IOptimisticModule} from "../../../contracts/interfaces/IOptimisticModule.sol";
import {ISettlement} from "../../../contracts/interfaces/ISettlement.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {IVerificationModule} from "../../../contracts/interfaces/IVerificationModule.sol";
import {OptimisticModule} from "../../../contracts/verification/OptimisticModule.sol";
import {ModuleTestBase} from "./utils/ModuleTestBase.sol";

/// @notice OPTIMISTIC module: window edges (inclusive deadline), challenges and joins with bonds, party and
///         eligibility checks, the court outcome mapping, and governance of the challenge window.
contract OptimisticModuleTest is ModuleTestBase {
    uint32 internal constant WINDOW = 600;
    uint256 internal constant REQUEST = 7;

    OptimisticModule internal module;
    address internal alice;
    address internal bob;
    address internal carol;

    function setUp() public {
        _deployProtocol();
        module = _deploy(WINDOW);
        _allowModule(address(module));
        _addVerifiers(3, VERIFIER_STAKE);
        alice = verifiers[0];
        bob = verifiers[1];
        carol = verifiers[2];
        _fundBalance(alice, 1_000e18);
        _fundBalance(bob, 1_000e18);
        _fundBalance(carol, 1_000e18);
    }

    // ------------------------------------------------------------------------------------------------- helpers

    function _deploy(uint32 window) internal returns (OptimisticModule) {
        return new OptimisticModule(_hub(), _court(), _settlement(), _staking(), window, address(this));
    }

    function _submit() internal returns (uint64 deadline) {
        (, deadline) = hub.submit(REQUEST, address(module), _job());
    }

    function _challenge(address challenger) internal {
        vm.prank(challenger);
        module.challenge(REQUEST);
    }

    function _settleAsHub() internal returns (IVerificationModule.Verdict verdict, address[] memory paid) {
        return hub.settle(REQUEST);
    }

    // ------------------------------------------------------------------------------------------------- deployment

    function test_constructor_setsContractsWindowAndOwner() public view {
        assertEq(address(module.hub()), address(hub), "hub");
        assertEq(address(module.court()), address(court), "court");
        assertEq(address(module.settlement()), address(settlement), "settlement");
        assertEq(address(module.staking()), address(staking), "staking");
        assertEq(module.challengeWindow(), WINDOW, "challengeWindow");
        assertEq(module.owner(), address(this), "owner");
    }

    function test_revert_constructor_zeroAddress() public {
        vm.expectRevert(abi.encodeWithSelector(IVerificationModule.ModuleZeroAddress.selector));
        new OptimisticModule(IInferenceHub(address(0)), _court(), _settlement(), _staking(), WINDOW, address(this));
        vm.expectRevert(abi.encodeWithSelector(IVerificationModule.ModuleZeroAddress.selector));
        new OptimisticModule(_hub(), IDisputeCourt(address(0)), _settlement(), _staking(), WINDOW, address(this));
        vm.expectRevert(abi.encodeWithSelector(IVerificationModule.ModuleZeroAddress.selector));
        new OptimisticModule(_hub(), _court(), ISettlement(address(0)), _staking(), WINDOW, address(this));
        vm.expectRevert(abi.encodeWithSelector(IVerificationModule.ModuleZeroAddress.selector));
        new OptimisticModule(_hub(), _court(), _settlement(), IStaking(address(0)), WINDOW, address(this));
    }

    function test_revert_constructor_zeroOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableInvalidOwner.selector, address(0)));
        new OptimisticModule(_hub(), _court(), _settlement(), _staking(), WINDOW, address(0));
    }

    function test_revert_constructor_windowBelowMin() public {
        uint32 min = module.MIN_CHALLENGE_WINDOW();
        uint32 max = module.MAX_CHALLENGE_WINDOW();
        vm.expectRevert(_windowError(min - 1, min, max));
        _deploy(min - 1);
    }

    function test_revert_constructor_windowAboveMax() public {
        uint32 min = module.MIN_CHALLENGE_WINDOW();
        uint32 max = module.MAX_CHALLENGE_WINDOW();
        vm.expectRevert(_windowError(max + 1, min, max));
        _deploy(max + 1);
    }

    function test_constructor_acceptsWindowBounds() public {
        assertEq(_deploy(module.MIN_CHALLENGE_WINDOW()).challengeWindow(), module.MIN_CHALLENGE_WINDOW(), "min");
        assertEq(_deploy(module.MAX_CHALLENGE_WINDOW()).challengeWindow(), module.MAX_CHALLENGE_WINDOW(), "max");
    }

    function _windowError(uint256 value, uint256 min, uint256 max) internal pure returns (bytes memory) {
        return
            abi.encodeWithSelector(
                IOptimisticModule.OptimisticParamOutOfBounds.selector,
                "challengeWindow",
                value,
                min,
                max
            );
    }

    // ------------------------------------------------------------------------------------------------- onResult

    function test_onResult_pendingUntilWindowEnd() public {
        (IVerificationModule.Verdict verdict, uint64 deadline) = hub.submit(REQUEST, address(module), _job());
        assertEq(uint256(verdict), uint256(IVerificationModule.Verdict.Pending), "verdict");
        assertEq(deadline, block.timestamp + WINDOW, "deadline");
    }

    /// @notice An unchallenged result costs the module no storage.
    function test_onResult_writesNoStorage() public {
        IVerificationModule.Job memory job = _job();
        vm.record();
        vm.prank(address(hub));
        module.onResult(REQUEST, job);
        (, bytes32[] memory writes) = vm.accesses(address(module));
        assertEq(writes.length, 0, "no slot written");
    }

    function test_revert_onResult_notHub() public {
        IVerificationModule.Job memory job = _job();
        vm.expectRevert(abi.encodeWithSelector(IVerificationModule.ModuleNotHub.selector, address(this)));
        module.onResult(REQUEST, job);
    }

    // ------------------------------------------------------------------------------------------------- settle

    function test_settle_pendingAtDeadline() public {
        uint64 deadline = _submit();
        vm.warp(deadline);
        (IVerificationModule.Verdict verdict, ) = _settleAsHub();
        assertEq(uint256(verdict), uint256(IVerificationModule.Verdict.Pending), "verdict at deadline");
    }

    function test_settle_acceptedAfterDeadlineWithoutPayees() public {
        uint64 deadline = _submit();
        vm.warp(uint256(deadline) + 1);
        (IVerificationModule.Verdict verdict, address[] memory paid) = _settleAsHub();
        assertEq(uint256(verdict), uint256(IVerificationModule.Verdict.Accepted), "verdict");
        assertEq(paid.length, 0, "no verifier paid");
    }

    function testFuzz_settle_withoutCaseAcceptedOnlyAfterDeadline(uint256 elapsed) public {
        elapsed = bound(elapsed, 0, 10 * uint256(WINDOW));
        uint64 deadline = _submit();
        vm.warp(block.timestamp + elapsed);
        (IVerificationModule.Verdict verdict, ) = _settleAsHub();
        IVerificationModule.Verdict expected =
            block.timestamp > deadline ? IVerificationModule.Verdict.Accepted : IVerificationModule.Verdict.Pending;
        assertEq(uint256(verdict), uint256(expected), "verdict");
    }

    function test_revert_settle_notHub() public {
        uint64 deadline = _submit();
        IVerificationModule.Job memory job = _job();
        vm.expectRevert(abi.encodeWithSelector(IVerificationModule.ModuleNotHub.selector, address(this)));
        module.settle(REQUEST, job, deadline);
    }

    function test_settle_pendingWhileCaseOpenAfterDeadline() public {
        uint64 deadline = _submit();
        _challenge(alice);
        vm.warp(uint256(deadline) + 1);
        (IVerificationModule.Verdict verdict, ) = _settleAsHub();
        assertEq(uint256(verdict), uint256(IVerificationModule.Verdict.Pending), "verdict");
    }

    function test_caseBits_aChallengeMarksOnlyItsOwnRequest() public {
        // Ids around the edges of a 256-id word and of the next word: 255, 256, 257, 511, 512.
        uint256[5] memory ids = [uint256(255), 256, 257, 511, 512];
        uint64 deadline;
        for (uint256 i; i < ids.length; ++i) (, deadline) = hub.submit(ids[i], address(module), _job());
        vm.prank(alice);
        module.challenge(256);
        vm.prank(bob);
        module.challenge(511);
        for (uint256 i; i < ids.length; ++i) {
            bool challenged = ids[i] == 256 || ids[i] == 511;
            assertEq(module.isDisputed(ids[i]) ? 1 : 0, challenged ? 1 : 0, "disputed iff challenged");
        }
        vm.warp(uint256(deadline) + 1);
        for (uint256 i; i < ids.length; ++i) {
            (IVerificationModule.Verdict verdict, ) = hub.settle(ids[i]);
            bool challenged = ids[i] == 256 || ids[i] == 511;
            assertEq(
                uint256(verdict),
                uint256(challenged ? IVerificationModule.Verdict.Pending : IVerificationModule.Verdict.Accepted),
                "an open case holds only its own request"
            );
        }
    }

    function test_settle_upheldAcceptsAndPaysMajoritySeats() public {
        _submit();
        _challenge(alice);
        address[] memory majority = _decide(REQUEST, IDisputeCourt.Outcome.Upheld);
        (IVerificationModule.Verdict verdict, address[] memory paid) = _settleAsHub();
        assertEq(uint256(verdict), uint256(IVerificationModule.Verdict.Accepted), "verdict");
        assertGe(majority.length, 1, "a majority");
        assertEq(paid.length, majority.length, "one payee per majority seat");
        for (uint256 i; i < majority.length; ++i) assertEq(paid[i], majority[i], "payee");
    }

    function test_settle_rejectedWhenCourtRejects() public {
        _submit();
        _challenge(alice);
        _decide(REQUEST, IDisputeCourt.Outcome.Rejected);
        (IVerificationModule.Verdict verdict, address[] memory paid) = _settleAsHub();
        assertEq(uint256(verdict), uint256(IVerificationModule.Verdict.Rejected), "verdict");
        assertEq(paid.length, 0, "no payees");
    }

    function test_settle_refundedWhenCourtUndecided() public {
        _submit();
        _challenge(alice);
        _decide(REQUEST, IDisputeCourt.Outcome.Undecided);
        (IVerificationModule.Verdict verdict, address[] memory paid) = _settleAsHub();
        assertEq(uint256(verdict), uint256(IVerificationModule.Verdict.Refunded), "verdict");
        assertEq(paid.length, 0, "no payees");
    }

    // ------------------------------------------------------------------------------------------------- challenge

    function test_challenge_locksBondAndOpensCase() public {
        _submit();
        _challenge(alice);
        assertEq(settlement.balanceOf(alice), 1_000e18 - CHALLENGE_BOND, "bond taken from free balance");
        assertEq(settlement.totalBonded(), CHALLENGE_BOND, "bond held");
        IDisputeCourt.Case memory c = _court().getCase(REQUEST);
        assertEq(c.module, address(module), "case module");
        assertEq(c.worker, WORKER, "case worker");
        assertEq(c.requester, REQUESTER, "case requester");
        assertEq(c.collateral, COLLATERAL, "case collateral");
        IDisputeCourt.Challenger[] memory challengers = _court().challengersOf(REQUEST);
        assertEq(challengers.length, 1, "one challenger");
        assertEq(challengers[0].account, alice, "challenger");
        assertEq(challengers[0].bond, CHALLENGE_BOND, "bond");
        assertTrue(module.isDisputed(REQUEST), "disputed");
    }

    function test_challenge_opensCaseWithoutDefendersOrExclusions() public {
        _submit();
        _challenge(alice);
        assertEq(_defenders(REQUEST).length, 0, "no defenders");
        assertEq(_excluded(REQUEST).length, 0, "no further exclusions");
    }

    function test_challenge_acceptedAtDeadline() public {
        uint64 deadline = _submit();
        vm.warp(deadline);
        _challenge(alice);
        assertEq(_court().challengersOf(REQUEST).length, 1, "challenged at the deadline");
    }

    function test_revert_challenge_afterDeadline() public {
        uint64 deadline = _submit();
        vm.warp(uint256(deadline) + 1);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IOptimisticModule.OptimisticWindowClosed.selector, REQUEST, uint256(deadline))
        );
        module.challenge(REQUEST);
    }

    function test_challenge_joinsCaseAfterFirstChallenger() public {
        _submit();
        _challenge(alice);
        _challenge(bob);
        IDisputeCourt.Challenger[] memory challengers = _court().challengersOf(REQUEST);
        assertEq(challengers.length, 2, "two challengers");
        assertEq(challengers[1].account, bob, "joined");
        assertEq(challengers[1].bond, CHALLENGE_BOND, "joiner bond");
        assertEq(settlement.totalBonded(), 2 * uint256(CHALLENGE_BOND), "both bonds held");
        assertEq(settlement.balanceOf(bob), 1_000e18 - CHALLENGE_BOND, "joiner bonded");
    }

    /// @notice A first challenge at the last second locks nobody out: others join after the window while the court
    ///         admits them.
    function test_challenge_joinsAfterWindowWhileCaseOpen() public {
        uint64 deadline = _submit();
        vm.warp(deadline);
        _challenge(alice);
        vm.warp(uint256(deadline) + 1);
        _challenge(bob);
        assertEq(_court().challengersOf(REQUEST).length, 2, "joined after the window");
    }

    function test_revert_challenge_joinAfterCourtClosedJoins() public {
        _submit();
        _challenge(alice);
        bytes memory refused = _closeJoins(REQUEST);
        vm.prank(bob);
        vm.expectRevert(refused);
        module.challenge(REQUEST);
    }

    function test_revert_challenge_jurorCannotJoin() public {
        _submit();
        _challenge(alice);
        address juror = _juror(REQUEST);
        vm.prank(juror);
        vm.expectRevert(abi.encodeWithSelector(IDisputeCourt.CourtPartyConflict.selector, REQUEST, juror));
        module.challenge(REQUEST);
    }

    function test_revert_challenge_twiceBySameChallenger() public {
        _submit();
        _challenge(alice);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IDisputeCourt.CourtAlreadyChallenger.selector, REQUEST, alice));
        module.challenge(REQUEST);
    }

    function test_revert_challenge_beyondMaxChallengers() public {
        IDisputeCourt.CourtParams memory p = _defaultCourtParams();
        p.maxChallengers = 2;
        court.setParams(p);
        _submit();
        _challenge(alice);
        _challenge(bob);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IDisputeCourt.CourtTooManyChallengers.selector, REQUEST, 2));
        module.challenge(REQUEST);
    }

    function test_revert_challenge_byWorker() public {
        _stake(WORKER, VERIFIER_STAKE, ROLE_WORKER | ROLE_VERIFIER);
        _fundBalance(WORKER, 1_000e18);
        _submit();
        vm.prank(WORKER);
        vm.expectRevert(abi.encodeWithSelector(IOptimisticModule.OptimisticPartyToRequest.selector, REQUEST, WORKER));
        module.challenge(REQUEST);
    }

    function test_revert_challenge_byRequester() public {
        _stake(REQUESTER, VERIFIER_STAKE, ROLE_VERIFIER);
        _fundBalance(REQUESTER, 1_000e18);
        _submit();
        vm.prank(REQUESTER);
        vm.expectRevert(
            abi.encodeWithSelector(IOptimisticModule.OptimisticPartyToRequest.selector, REQUEST, REQUESTER)
        );
        module.challenge(REQUEST);
    }

    function test_revert_challenge_notStaked() public {
        address outsider = address(0xBEEF);
        _fundBalance(outsider, 1_000e18);
        _submit();
        vm.prank(outsider);
        vm.expectRevert(abi.encodeWithSelector(IOptimisticModule.OptimisticNotEligible.selector, outsider));
        module.challenge(REQUEST);
    }

    function test_revert_challenge_workerRoleOnly() public {
        address workerOnly = address(0xBEEF);
        _stake(workerOnly, 2_000e18, ROLE_WORKER);
        _fundBalance(workerOnly, 1_000e18);
        _submit();
        vm.prank(workerOnly);
        vm.expectRevert(abi.encodeWithSelector(IOptimisticModule.OptimisticNotEligible.selector, workerOnly));
        module.challenge(REQUEST);
    }

    function test_revert_challenge_jailedVerifier() public {
        _jail(alice);
        _submit();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IOptimisticModule.OptimisticNotEligible.selector, alice));
        module.challenge(REQUEST);
    }

    function test_revert_challenge_belowMinVerifierStake() public {
        address small = address(0xBEEF);
        _stake(small, 499e18, ROLE_VERIFIER);
        _fundBalance(small, 1_000e18);
        _submit();
        vm.prank(small);
        vm.expectRevert(abi.encodeWithSelector(IOptimisticModule.OptimisticNotEligible.selector, small));
        module.challenge(REQUEST);
    }

    function test_revert_challenge_unknownRequest() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.HubUnknownRequest.selector, REQUEST));
        module.challenge(REQUEST);
    }

    function test_revert_challenge_requestOfOtherModule() public {
        hub.setJob(REQUEST, address(0xD0D0), _job(), IInferenceHub.Status.Submitted, uint64(block.timestamp + 60));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IOptimisticModule.OptimisticUnknownRequest.selector, REQUEST));
        module.challenge(REQUEST);
    }

    function test_revert_challenge_beforeSubmission() public {
        hub.setJob(REQUEST, address(module), _job(), IInferenceHub.Status.Requested, uint64(block.timestamp + 60));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IOptimisticModule.OptimisticNotSubmitted.selector, REQUEST));
        module.challenge(REQUEST);
    }

    function test_revert_challenge_afterFinalization() public {
        uint64 deadline = _submit();
        vm.warp(uint256(deadline) + 1);
        _settleAsHub();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IOptimisticModule.OptimisticNotSubmitted.selector, REQUEST));
        module.challenge(REQUEST);
    }

    function test_revert_challenge_insufficientBalance() public {
        address poor = address(0xBEEF);
        _stake(poor, VERIFIER_STAKE, ROLE_VERIFIER);
        _fundBalance(poor, CHALLENGE_BOND - 1);
        _submit();
        vm.prank(poor);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlement.SettlementInsufficientBalance.selector,
                poor,
                CHALLENGE_BOND - 1,
                CHALLENGE_BOND
            )
        );
        module.challenge(REQUEST);
    }

    function test_challenge_bondFollowsCourtParams() public {
        IDisputeCourt.CourtParams memory p = _defaultCourtParams();
        p.challengeBond = 250e18;
        court.setParams(p);
        _submit();
        _challenge(alice);
        assertEq(settlement.balanceOf(alice), 750e18, "new bond taken");
        assertEq(_court().challengersOf(REQUEST)[0].bond, 250e18, "new bond recorded");
    }

    // ------------------------------------------------------------------------------------------------- isDisputed

    function test_isDisputed_falseWithoutCase() public {
        _submit();
        assertTrue(!module.isDisputed(REQUEST), "not disputed");
    }

    function test_isDisputed_falseOnceResolved() public {
        _submit();
        _challenge(alice);
        _decide(REQUEST, IDisputeCourt.Outcome.Upheld);
        assertTrue(!module.isDisputed(REQUEST), "resolved");
    }

    // ------------------------------------------------------------------------------------------------- governance

    function test_maxVerificationDuration_windowPlusLongestCase() public view {
        assertEq(module.maxVerificationDuration(), WINDOW + _court().maxCaseDuration(), "duration");
    }

    function test_setChallengeWindow_updatesAndEmits() public {
        vm.expectEmit(address(module));
        emit IOptimisticModule.ChallengeWindowSet(900);
        module.setChallengeWindow(900);
        assertEq(module.challengeWindow(), 900, "window");
        assertEq(module.maxVerificationDuration(), 900 + _court().maxCaseDuration(), "duration follows");
    }

    function test_setChallengeWindow_appliesToNewResultsOnly() public {
        uint64 deadline = _submit();
        module.setChallengeWindow(900);
        vm.warp(uint256(deadline) + 1);
        (IVerificationModule.Verdict verdict, ) = _settleAsHub();
        assertEq(uint256(verdict), uint256(IVerificationModule.Verdict.Accepted), "old window kept");
        (, uint64 next) = hub.submit(REQUEST + 1, address(module), _job());
        assertEq(next, block.timestamp + 900, "new window");
    }

    function test_revert_setChallengeWindow_notOwner() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        module.setChallengeWindow(900);
    }

    function test_revert_setChallengeWindow_outOfBounds() public {
        uint32 min = module.MIN_CHALLENGE_WINDOW();
        uint32 max = module.MAX_CHALLENGE_WINDOW();
        vm.expectRevert(_windowError(min - 1, min, max));
        module.setChallengeWindow(min - 1);
        vm.expectRevert(_windowError(max + 1, min, max));
        module.setChallengeWindow(max + 1);
    }

    function testFuzz_setChallengeWindow_withinBoundsOnly(uint32 window) public {
        uint32 min = module.MIN_CHALLENGE_WINDOW();
        uint32 max = module.MAX_CHALLENGE_WINDOW();
        if (window < min || window > max) {
            vm.expectRevert(_windowError(window, min, max));
            module.setChallengeWindow(window);
        } else {
            module.setChallengeWindow(window);
            assertEq(module.challengeWindow(), window, "window");
        }
    }

    function test_revert_setChallengeWindow_lifecycleTooLong() public {
        uint256 base = 900;
        uint256 caseDuration = _court().maxCaseDuration();
        uint256 unbonding = base + WINDOW + caseDuration + 100;
        hub.setLifecycle(base, unbonding);
        module.setChallengeWindow(WINDOW + 99); // still shorter than the unbonding delay
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.HubLifecycleTooLong.selector,
                base + WINDOW + 100 + caseDuration,
                unbonding
            )
        );
        module.setChallengeWindow(WINDOW + 100);
    }
}
