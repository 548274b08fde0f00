// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {console} from "hardhat/console.sol";

import {ICommitteeModule} from "../../../contracts/interfaces/ICommitteeModule.sol";
import {IDisputeCourt} from "../../../contracts/interfaces/IDisputeCourt.sol";
import {IInferenceHub} from "../../../contracts/interfaces/IInferenceHub.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {ProtocolV2Deployer} from "../utils/ProtocolV2Deployer.sol";
import {CampaignConsumer, ProtocolV2Handler} from "./ProtocolV2Handler.sol";

/// @notice docs/PROTOCOL.md "Invariants" 1–8 for the whole v2 protocol, one `invariant_*` each, checked after every
///         call of a stateful campaign against the real contracts deployed and wired as Ignition does
///         (ProtocolV2Deployer); ProtocolV2Handler holds the actions and the ghost books.
/// @dev Actors: 24 operators — 4 workers, 16 verifiers, 4 dual-role (WORKER|VERIFIER), one of which also makes
///      requests; 20 verifiers so that the largest shipped panel (a 15-seat appeal jury) has 15 distinct non-party
///      verifiers besides a committee or a few challengers (IStaking.drawPanel) — 3 requesters besides it (an account, a consumer contract with callbacks, a permit signer), a model
///      owner with one model per mode. Campaign size comes from hardhat.config.ts (48 runs × depth 40;
///      `npm run test:deep` raises it). EDR finds the fuzz target by its artifact, so run this file with its
///      handler: `npx hardhat test solidity test/solidity/invariant/*.sol test/solidity/utils/*.sol`.
contract ProtocolV2InvariantsTest is ProtocolV2Deployer {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    error LivenessStuck(uint256 requestId, uint8 status, bytes lastRevert);

    uint256 internal constant T0 = 1_000_000;
    uint256 internal constant B0 = 1_000;
    uint256 internal constant LIVENESS_ROUNDS = 30;
    uint256 internal constant LIVENESS_SEEDS = 3;
    uint256 internal constant LIVENESS_ACTIONS = 120;

    ProtocolV2 internal p;
    CampaignConsumer internal consumer;
    ProtocolV2Handler internal handler;

    function setUp() public {
        vm.warp(T0);
        vm.roll(B0);
        p = _deployProtocolV2();
        consumer = new CampaignConsumer(address(p.hub));
        vm.label(address(consumer), "consumer");

        ProtocolV2Handler.Actors memory actors;
        actors.operators = new address[](24);
        actors.homeRoles = new uint8[](24);
        for (uint256 i; i < 4; ++i) {
            _operator(actors, i, address(uint160(0x1000 + i)), ROLE_WORKER, 3_000e18 + i * 1_000e18);
            _operator(actors, 4 + i, address(uint160(0x2000 + i)), ROLE_VERIFIER, 800e18 + i * 500e18);
            _operator(actors, 8 + i, address(uint160(0x4000 + i)), ROLE_BOTH, 2_500e18 + i * 500e18);
        }
        for (uint256 i; i < 12; ++i) {
            _operator(actors, 12 + i, address(uint160(0x2004 + i)), ROLE_VERIFIER, 800e18 + (i % 4) * 500e18);
        }
        actors.permitRequester = vm.addr(0xA11CE);
        actors.requesters = new address[](4);
        actors.requesters[0] = address(0x3001);
        actors.requesters[1] = address(consumer);
        actors.requesters[2] = actors.permitRequester;
        actors.requesters[3] = actors.operators[8]; // a dual-role operator that also requests
        _fund(p, address(0x3001), 1_000_000e18);
        _deposit(p, address(0x3001), 500e18);
        _deposit(p, actors.operators[8], 500e18);
        _fund(p, actors.permitRequester, 1_000_000e18); // no approval: it pays by permit only
        p.token.approve(address(p.settlement), type(uint256).max);
        p.settlement.depositFor(address(consumer), 500e18);
        vm.prank(address(0x3001));
        p.token.approve(address(p.settlement), type(uint256).max);

        actors.modelOwner = address(0x40DE1);
        actors.models[0] = _registerModel(p, actors.modelOwner, MODE_NONE, 1e18, 1_000);
        actors.models[1] = _registerModel(p, actors.modelOwner, MODE_OPTIMISTIC, 2e18, 500);
        actors.models[2] = _registerModel(p, actors.modelOwner, MODE_COMMITTEE, 3e18, 2_000);

        vm.warp(block.timestamp + SNAPSHOT_PERIOD); // panels see the stakes above from now on
        handler = new ProtocolV2Handler(p, consumer, actors);
        vm.label(address(handler), "handler");
        p.token.transfer(address(handler), 10_000_000e18);
        handler.approveAll();
    }

    function _operator(
        ProtocolV2Handler.Actors memory actors,
        uint256 i,
        address operator,
        uint8 roles,
        uint256 amount
    ) internal {
        actors.operators[i] = operator;
        actors.homeRoles[i] = roles;
        vm.label(
            operator,
            roles == ROLE_WORKER
                ? "worker"
                : roles == ROLE_VERIFIER
                    ? "verifier"
                    : "dual"
        );
        _fund(p, operator, 1_000_000e18);
        vm.startPrank(operator);
        p.token.approve(address(p.staking), type(uint256).max);
        p.token.approve(address(p.settlement), type(uint256).max);
        vm.stopPrank();
        _stake(p, operator, amount, roles);
        if (roles & ROLE_VERIFIER != 0) _deposit(p, operator, 1_000e18);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @notice Only the handler's actions (not its views) are fuzzed.
    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory s = new bytes4[](49);
        s[0] = ProtocolV2Handler.deposit.selector;
        s[1] = ProtocolV2Handler.withdraw.selector;
        s[2] = ProtocolV2Handler.claim.selector;
        s[3] = ProtocolV2Handler.request.selector;
        s[4] = ProtocolV2Handler.requestBatch.selector;
        s[5] = ProtocolV2Handler.requestWithPermit.selector;
        s[6] = ProtocolV2Handler.submit.selector;
        s[7] = ProtocolV2Handler.submitBatch.selector;
        s[8] = ProtocolV2Handler.submitLate.selector;
        s[9] = ProtocolV2Handler.decline.selector;
        s[10] = ProtocolV2Handler.resumeModel.selector;
        s[11] = ProtocolV2Handler.reassign.selector;
        s[12] = ProtocolV2Handler.processBatch.selector;
        s[13] = ProtocolV2Handler.finalize.selector;
        s[14] = ProtocolV2Handler.challenge.selector;
        s[15] = ProtocolV2Handler.drawCommittee.selector;
        s[16] = ProtocolV2Handler.commitAttestation.selector;
        s[17] = ProtocolV2Handler.revealAttestation.selector;
        s[18] = ProtocolV2Handler.escalate.selector;
        s[19] = ProtocolV2Handler.drawJury.selector;
        s[20] = ProtocolV2Handler.commitVote.selector;
        s[21] = ProtocolV2Handler.revealVote.selector;
        s[22] = ProtocolV2Handler.resolve.selector;
        s[23] = ProtocolV2Handler.advance.selector;
        s[24] = ProtocolV2Handler.deliverCallback.selector;
        s[25] = ProtocolV2Handler.cancelCallback.selector;
        s[26] = ProtocolV2Handler.stake.selector;
        s[27] = ProtocolV2Handler.unstake.selector;
        s[28] = ProtocolV2Handler.withdrawStake.selector;
        s[29] = ProtocolV2Handler.setRoles.selector;
        s[30] = ProtocolV2Handler.refresh.selector;
        s[31] = ProtocolV2Handler.warp.selector;
        s[32] = ProtocolV2Handler.roll.selector;
        s[33] = ProtocolV2Handler.reseed.selector;
        s[34] = ProtocolV2Handler.donate.selector;
        s[35] = ProtocolV2Handler.recoverSurplus.selector;
        s[36] = ProtocolV2Handler.govern.selector;
        s[37] = ProtocolV2Handler.probeAccess.selector;
        s[38] = ProtocolV2Handler.partyVote.selector;
        s[39] = ProtocolV2Handler.resettle.selector;
        s[40] = ProtocolV2Handler.advance1.selector;
        s[41] = ProtocolV2Handler.advance2.selector;
        s[42] = ProtocolV2Handler.advance3.selector;
        s[43] = ProtocolV2Handler.advance4.selector;
        s[44] = ProtocolV2Handler.advance5.selector;
        s[45] = ProtocolV2Handler.advance6.selector;
        s[46] = ProtocolV2Handler.advance7.selector;
        s[47] = ProtocolV2Handler.advance8.selector;
        s[48] = ProtocolV2Handler.advance9.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector({addr: address(handler), selectors: s});
    }

    // ------------------------------------------------------------------------------------------------- 1. solvency

    /// @notice OPG held by Settlement == free balances + locked fees + bonds + credits + surplus, and each sum equals
    ///         the ghost books (free balance per account, locked fees of the requests' open parts, bonds of
    ///         unresolved cases, credits, surplus = donations + Staking recoveries − recoveries); OPG held by Staking
    ///         == Σ (active + unbonding) + surplus; both balances explained by the recorded token flows. Exactly.
    function invariant_solvencyExact() public view {
        _checkSolvency();
    }

    // ------------------------------------------------------------------------------------------------- 2. conservation

    /// @notice For each request: the payer's debit is the snapshotted price (fee + prepaid callback fee); once
    ///         terminal, the fee went out exactly once, to the wei — as the fee split (Finalized) or as a refund
    ///         (Rejected, Expired, Refunded) — and the callback fee went to its deliverer, back to the requester or
    ///         is still locked for a pending callback; while open nothing left. Everything credited for a request
    ///         outside the fee is exactly the stake slashed for it plus (once its case is resolved) its bonds.
    function invariant_conservation() public view {
        uint256[] memory ids = handler.requestIds();
        for (uint256 i; i < ids.length; ++i) {
            IInferenceHub.Request memory req = p.hub.getRequest(ids[i]);
            ProtocolV2Handler.Ghost memory g = handler.ghost(ids[i]);
            assertEq(g.feeLocked, g.fee + g.callbackFee, "debit == fee + prepaid callback fee");
            assertEq(g.fee, uint256(req.modelFee) + req.protocolFee, "ghost fee == snapshotted fee");
            uint256 feeRefund = g.refunded - g.callbackRefund;
            if (req.status == IInferenceHub.Status.Finalized) {
                assertEq(g.splitPaid, g.fee, "finalized: fee split == fee");
                assertEq(feeRefund, 0, "finalized: no fee refund");
            } else if (_isTerminal(req.status)) {
                assertEq(g.splitPaid, 0, "refunded: no fee split");
                assertEq(feeRefund, g.fee, "refunded: refund == fee");
            } else {
                assertEq(g.splitPaid + g.refunded + g.callbackPaid, 0, "open: nothing paid out");
            }
            if (_isTerminal(req.status)) {
                uint256 pending = req.callbackPending ? req.callbackFee : 0;
                assertEq(g.callbackPaid + g.callbackRefund + pending, g.callbackFee, "callback fee accounted once");
            }
            assertEq(g.credited, g.slashed + (g.caseResolved ? g.bondLocked : 0), "credits == slashed + bonds");
        }
        _noViolation(handler.V_CONSERVATION());
        _noViolation(handler.V_BOOKS());
    }

    // ------------------------------------------------------------------------------------------------- 3. terminal

    /// @notice A terminal request reported exactly one terminal transition (an open one none) and kept its state;
    ///         no entry point settles a terminal request again; no account is slashed twice for one fault (worker
    ///         at most once per request, and only on a court rejection); a callback runs or is cancelled once.
    function invariant_exactlyOneTerminalState() public view {
        uint256[] memory ids = handler.requestIds();
        for (uint256 i; i < ids.length; ++i) {
            (, IInferenceHub.Status status, , ) = p.hub.jobOf(ids[i]);
            ProtocolV2Handler.Ghost memory g = handler.ghost(ids[i]);
            if (_isTerminal(status)) {
                assertEq(g.terminalEvents, 1, "one terminal transition");
                assertEq(g.terminalStatus, uint256(status), "terminal state unchanged");
            } else {
                assertEq(g.terminalEvents, 0, "no terminal transition while open");
            }
            assertLe(g.workerSlashes, 1, "a worker is slashed at most once per request");
            if (g.workerSlashes == 1) {
                assertEq(g.outcome, uint256(IDisputeCourt.Outcome.Rejected), "a worker is slashed only on rejection");
            }
            assertLe(g.callbacks, 1, "one callback delivery or cancellation");
        }
        _noViolation(handler.V_SETTLE());
    }

    // ------------------------------------------------------------------------------------------------- 4. stake

    /// @notice For every operator, `locked` == Σ collateral of the jobs it backs now (ghost from WorkerAssigned and
    ///         every release: decline, time-out, verdict, court rejection), exactly — also after slashes, for
    ///         dual-role operators; locked ≤ active; locked stake was never unstaked and unbonding stake never
    ///         withdrawn before its release time; Σ (active + unbonding) == totalStaked.
    function invariant_collateralExact() public view {
        address[] memory operators = handler.operators();
        for (uint256 i; i < operators.length; ++i) {
            IStaking.Operator memory op = p.staking.getOperator(operators[i]);
            assertEq(op.locked, handler.ghostLocked(operators[i]), "locked == collateral of open jobs");
            assertLe(op.locked, op.active, "locked <= active");
        }
        _noViolation(handler.V_STAKE());
    }

    // ------------------------------------------------------------------------------------------------- 5. access

    /// @notice Only protocol contracts slash or lock (every Slashed event names the hub, the court or the committee
    ///         module; outsiders' calls to slash, assignWorker, unlockCollateral, lockFee, lockBond, credit,
    ///         refundFee, payLocked, open, join, suspend, onResult revert), only governance sets parameters or
    ///         permissions, a credit falls only by its owner's claim, a forged permit moves nothing; owners and
    ///         permissions are unchanged.
    function invariant_accessControl() public view {
        _noViolation(handler.V_ACCESS());
        assertEq(p.hub.owner(), address(this), "hub owner");
        assertEq(p.staking.owner(), address(this), "staking owner");
        assertEq(p.settlement.owner(), address(this), "settlement owner");
        assertEq(p.court.owner(), address(this), "court owner");
        assertEq(p.committee.owner(), address(this), "committee owner");
        assertEq(p.optimistic.owner(), address(this), "optimistic owner");
        assertEq(p.staking.permissionsOf(address(p.hub)), LOCKER | SLASHER, "staking: hub");
        assertEq(p.staking.permissionsOf(address(p.court)), SLASHER, "staking: court");
        assertEq(p.staking.permissionsOf(address(p.committee)), SLASHER, "staking: committee");
        assertEq(p.settlement.permissionsOf(address(p.hub)), FEES | BONDS, "settlement: hub");
        assertEq(p.settlement.permissionsOf(address(p.court)), BONDS, "settlement: court");
        assertEq(p.settlement.permissionsOf(address(p.optimistic)), BONDS, "settlement: optimistic");
        assertEq(p.settlement.permissionsOf(address(p.committee)), BONDS, "settlement: committee");
        address[] memory accounts = handler.accounts();
        for (uint256 i; i < accounts.length; ++i) {
            assertEq(p.staking.permissionsOf(accounts[i]), 0, "no actor may slash or lock");
            assertEq(p.settlement.permissionsOf(accounts[i]), 0, "no actor may move funds");
        }
        assertEq(p.settlement.treasury(), TREASURY, "treasury");
        assertEq(p.registry.suspender(), address(p.hub), "suspender");
    }

    // ------------------------------------------------------------------------------------------------- 6. liveness

    /// @notice From the current state, time plus the permissionless time-based calls alone (reassign, finalize,
    ///         escalate, resolve — no draw, vote or attestation) bring every request to a terminal state, after any
    ///         parameter change and with 24 operators; the books still balance afterwards.
    /// @dev Mutates state; the campaign discards it after the check.
    function invariant_liveness() public {
        _driveToTerminal();
        _checkAllSettled();
    }

    // ------------------------------------------------------------------------------------------------- 7. panels

    /// @notice Every drawn committee and jury had exactly its configured seats (committeeSize; jurySize in round 1,
    ///         appealJurySize in round 2, as in force when the round opened), contained only eligible verifiers and no
    ///         party (worker, requester, challengers; committee members for a jury); no party challenged its own
    ///         request; no assigned worker was its own requester.
    function invariant_panels() public view {
        _noViolation(handler.V_PANEL());
    }

    // ------------------------------------------------------------------------------------------------- 8. lifecycle

    /// @notice No OPTIMISTIC finality inside its challenge window or against the court; no COMMITTEE finality
    ///         without quorum agreement, with a disagreement, while reveals are open or in its draw block; no court
    ///         decision without a majority or in its draw block; an undecided round 1 always appeals; a refund only
    ///         for an undecided case or a committee that was not drawn by its deadline; no result, decline or draw
    ///         after its deadline and no time-out before it; a late worker loses exactly livenessPenaltyBps of its
    ///         collateral and is jailed; no party votes or attests on its own request.
    function invariant_lifecycle() public view {
        _noViolation(handler.V_LIFECYCLE());
    }

    // ------------------------------------------------------------------------------------------------- dedicated

    /// @notice Liveness as the last step of long pseudo-random sequences (three seeds × 160 actions over every
    ///         kind of action), followed by every invariant above; prints how often each path was taken.
    function test_liveness_allTerminal() public {
        for (uint256 s; s < LIVENESS_SEEDS; ++s) {
            uint256 seed = uint256(keccak256(abi.encode("liveness", s)));
            for (uint256 i; i < LIVENESS_ACTIONS; ++i) _randomAction(uint256(keccak256(abi.encode(seed, i))));
        }
        invariant_solvencyExact();
        invariant_conservation();
        invariant_exactlyOneTerminalState();
        invariant_collateralExact();
        invariant_accessControl();
        invariant_panels();
        invariant_lifecycle();
        _printCoverage();
        _assertPathsTaken();
        _driveToTerminal();
        _checkAllSettled();
    }

    // ------------------------------------------------------------------------------------------------- helpers

    /// @dev After every request ended (the ghost books did not see those calls): no collateral is locked, no bond
    ///      is held, only undelivered callback fees stay locked, and both contracts hold exactly what they owe.
    function _checkAllSettled() internal view {
        uint256[] memory ids = handler.requestIds();
        uint256 pendingCallbacks;
        for (uint256 i; i < ids.length; ++i) {
            IInferenceHub.Request memory req = p.hub.getRequest(ids[i]);
            if (req.callbackPending) pendingCallbacks += req.callbackFee;
        }
        assertEq(p.settlement.totalLocked(), pendingCallbacks, "all ended: only pending callback fees locked");
        assertEq(p.settlement.totalBonded(), 0, "all ended: no bond held");
        assertEq(
            p.token.balanceOf(address(p.settlement)),
            p.settlement.totalBalances() +
                p.settlement.totalLocked() +
                p.settlement.totalBonded() +
                p.settlement.totalCredits() +
                p.settlement.surplus(),
            "settlement OPG == balances + locked + bonds + credits + surplus"
        );
        assertEq(p.settlement.surplus(), handler.ghostSettlementSurplus(), "all ended: surplus unchanged");
        address[] memory operators = handler.operators();
        uint256 staked;
        for (uint256 i; i < operators.length; ++i) {
            IStaking.Operator memory op = p.staking.getOperator(operators[i]);
            assertEq(op.locked, 0, "all ended: no collateral locked");
            staked += uint256(op.active) + op.unbonding;
        }
        assertEq(p.staking.totalStaked(), staked, "totalStaked == sum of active + unbonding");
        assertEq(
            p.token.balanceOf(address(p.staking)),
            staked + handler.ghostStakingSurplus(),
            "staking OPG == stakes + surplus"
        );
    }

    /// @dev Time-based calls by an outsider, one day and one block per round, until every request is terminal.
    function _driveToTerminal() internal {
        uint256[] memory ids = handler.requestIds();
        uint256 t = handler.currentTime();
        uint256 b = handler.currentBlock();
        address outsider = address(0x0D7);
        bytes memory lastRevert;
        bool open = true;
        for (uint256 round; round < LIVENESS_ROUNDS && open; ++round) {
            t += 1 days;
            b += 1;
            vm.warp(t);
            vm.roll(b);
            open = false;
            for (uint256 i; i < ids.length; ++i) {
                uint256 id = ids[i];
                (, IInferenceHub.Status status, , ) = p.hub.jobOf(id);
                if (_isTerminal(status)) continue;
                bytes memory reason = _timeBasedCall(id, status, outsider);
                if (reason.length > 0) lastRevert = reason;
                (, status, , ) = p.hub.jobOf(id);
                if (!_isTerminal(status)) open = true;
            }
        }
        for (uint256 i; i < ids.length; ++i) {
            (, IInferenceHub.Status status, , ) = p.hub.jobOf(ids[i]);
            if (!_isTerminal(status)) revert LivenessStuck(ids[i], uint8(status), lastRevert);
        }
    }

    /// @dev The one permissionless, time-based call that moves request `id` on; returns its revert data, if any.
    function _timeBasedCall(uint256 id, IInferenceHub.Status status, address caller) internal returns (bytes memory) {
        vm.prank(caller);
        if (status == IInferenceHub.Status.Requested) {
            try p.hub.reassign(id) {} catch (bytes memory reason) {
                return reason;
            }
            return "";
        }
        (IDisputeCourt.Outcome outcome, ) = p.court.outcomeOf(id);
        if (outcome == IDisputeCourt.Outcome.Pending) {
            try p.court.resolve(id) {} catch (bytes memory reason) {
                return reason;
            }
            return "";
        }
        (, , , address module) = p.hub.jobOf(id);
        if (module == address(p.committee) && outcome == IDisputeCourt.Outcome.None) {
            ICommitteeModule.Round memory r = p.committee.roundOf(id);
            if (r.seats != 0 && !(r.agreeSeats >= r.quorum && r.disagreeSeats == 0)) {
                try p.committee.escalate(id) {} catch (bytes memory reason) {
                    return reason;
                }
                return "";
            }
        }
        try p.hub.finalize(id) {} catch (bytes memory reason) {
            return reason;
        }
        return "";
    }

    function _checkSolvency() internal view {
        // Settlement
        uint256 balance = p.token.balanceOf(address(p.settlement));
        assertEq(
            balance,
            p.settlement.totalBalances() +
                p.settlement.totalLocked() +
                p.settlement.totalBonded() +
                p.settlement.totalCredits() +
                p.settlement.surplus(),
            "settlement OPG == balances + locked + bonds + credits + surplus"
        );
        assertEq(p.settlement.surplus(), handler.ghostSettlementSurplus(), "settlement surplus == books");
        assertEq(balance, handler.ghostSettlementIn() - handler.ghostSettlementOut(), "settlement OPG == flows");
        address[] memory accounts = handler.accounts();
        uint256 balances;
        for (uint256 i; i < accounts.length; ++i) {
            uint256 own = p.settlement.balanceOf(accounts[i]);
            assertEq(own, handler.ghostBalance(accounts[i]), "free balance == books");
            balances += own;
        }
        assertEq(p.settlement.totalBalances(), balances, "total balances == sum of actors' balances");
        uint256[] memory ids = handler.requestIds();
        uint256 locked;
        uint256 bonded;
        for (uint256 i; i < ids.length; ++i) {
            ProtocolV2Handler.Ghost memory g = handler.ghost(ids[i]);
            locked += g.feeLocked - g.splitPaid - g.refunded - g.callbackPaid;
            if (!g.caseResolved) bonded += g.bondLocked;
        }
        assertEq(p.settlement.totalLocked(), locked, "total locked == open fees of the books");
        assertEq(p.settlement.totalBonded(), bonded, "total bonded == bonds of unresolved cases");
        assertEq(p.settlement.totalCredits(), handler.ghostCredits(), "total credits == books");
        // Staking
        uint256 staked;
        address[] memory operators = handler.operators();
        for (uint256 i; i < operators.length; ++i) {
            IStaking.Operator memory op = p.staking.getOperator(operators[i]);
            staked += uint256(op.active) + op.unbonding;
        }
        assertEq(p.staking.totalStaked(), staked, "totalStaked == sum of active + unbonding");
        uint256 stakingBalance = p.token.balanceOf(address(p.staking));
        assertEq(stakingBalance, staked + handler.ghostStakingSurplus(), "staking OPG == stakes + surplus");
        assertEq(stakingBalance, handler.ghostStakingIn() - handler.ghostStakingOut(), "staking OPG == flows");
        _noViolation(handler.V_SOLVENCY());
    }

    function _randomAction(uint256 c) internal {
        uint256 a = c % 24;
        uint256 x = c >> 8;
        if (a < 7) handler.advance(x, x >> 32);
        else if (a == 7) handler.request(x, x >> 8, x >> 16, x >> 64);
        else if (a == 8) handler.requestBatch(x, x >> 8, x >> 16);
        else if (a == 9) handler.requestWithPermit(x, x >> 8, x % 7 == 0);
        else if (a == 10) handler.submitBatch(x, x >> 8);
        else if (a == 11) handler.decline(x);
        else if (a == 12) handler.processBatch(x, x >> 8, x % 2 == 0);
        else if (a == 13) handler.govern(x, x >> 8);
        else if (a == 14) handler.warp(x, x >> 32);
        else if (a == 15) handler.roll(x);
        else if (a == 16) handler.stake(x, x >> 8);
        else if (a == 17) handler.unstake(x, x >> 8);
        else if (a == 18) handler.withdrawStake(x, true);
        else if (a == 19) handler.setRoles(x, uint8(x >> 8));
        else if (a == 20) handler.donate(x, x % 2 == 0);
        else if (a == 21) handler.recoverSurplus(x % 2 == 0);
        else if (a == 22) handler.deliverCallback(x, x >> 8);
        else {
            handler.probeAccess(x, x >> 8, x >> 16);
            handler.partyVote(x, x >> 8);
            handler.resettle(x, x >> 8);
            handler.claim(x);
            handler.resumeModel(x, x % 2 == 0);
            handler.refresh(x, x >> 8);
        }
    }

    function _printCoverage() internal view {
        bytes32[30] memory keys = [
            bytes32("request"),
            "requestBatch",
            "requestWithPermit",
            "submit",
            "submitBatch",
            "decline",
            "timedOut",
            "challenge",
            "caseOpened",
            "drawCommittee",
            "commitAttestation",
            "revealAttestation",
            "escalate",
            "silencePenalised",
            "juryDrawn",
            "commitVote",
            "revealVote",
            "resolve",
            "appealed",
            "rejected",
            "undecided",
            "worker",
            "defender",
            "challenger",
            "minority",
            "nonReveal",
            "finalize",
            "processBatch",
            "governCourt",
            "deliverCallback"
        ];
        for (uint256 i; i < keys.length; ++i) console.log(_name(keys[i]), handler.successes(keys[i]));
        console.log("committeeDrawn", handler.successes("committeeDrawn"));
        console.log("declined", handler.successes("declined"));
        console.log("flee", handler.successes("flee"));
        console.log("rejectedWithUnbonding", handler.successes("rejectedWithUnbonding"));
        console.log("requests", handler.requestIds().length);
    }

    /// @dev The fixed sequences reach every deep path: a handler that stops reaching one fails here.
    function _assertPathsTaken() internal view {
        bytes22[18] memory keys = [
            bytes22("request"),
            "requestBatch",
            "requestWithPermit",
            "submitBatch",
            "declined",
            "timedOut",
            "caseOpened",
            "juryDrawn",
            "committeeDrawn",
            "escalate",
            "silencePenalised",
            "appealed",
            "rejected",
            "nonReveal",
            "finalize",
            "processBatch",
            "deliverCallback",
            "governCourt"
        ];
        for (uint256 i; i < keys.length; ++i) {
            assertGe(handler.successes(bytes32(keys[i])), 1, _name(bytes32(keys[i])));
        }
        assertGe(handler.requestIds().length, 30, "the sequences made requests");
    }

    function _name(bytes32 key) internal pure returns (string memory) {
        uint256 n;
        while (n < 32 && key[n] != 0) ++n;
        bytes memory out = new bytes(n);
        for (uint256 i; i < n; ++i) out[i] = key[i];
        return string(out);
    }

    function _noViolation(uint8 category) internal view {
        string memory what = handler.violation(category);
        assertEq(bytes(what).length, 0, what);
    }

    function _isTerminal(IInferenceHub.Status status) internal pure returns (bool) {
        return uint8(status) >= uint8(IInferenceHub.Status.Finalized);
    }
}
