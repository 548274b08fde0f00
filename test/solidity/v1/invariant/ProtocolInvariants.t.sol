// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IInferenceHubV1} from "../../../../contracts/v1/interfaces/IInferenceHubV1.sol";
import {IModelRegistryV1} from "../../../../contracts/v1/interfaces/IModelRegistryV1.sol";
import {IStakingV1} from "../../../../contracts/v1/interfaces/IStakingV1.sol";
import {MockConsumerV1} from "../../../../contracts/v1/mocks/MockConsumerV1.sol";
import {ProtocolDeployer} from "../utils/ProtocolDeployer.sol";
import {ProtocolHandler} from "./ProtocolHandler.sol";

/// @notice PROTOCOL.md "Invariants", one `invariant_*` each, checked after every handler call of a stateful campaign
///         against the real token, registry, staking and hub (see ProtocolHandler for the actions and ghost books).
/// @dev Campaign size comes from hardhat.config.ts (48 runs x depth 40 by default; `npm run test:deep` raises it).
///      EDR finds the fuzz target by its artifact, and a partial build only writes artifacts of the files named, so
///      run this file together with its handler (or after a full `npx hardhat compile`):
///      `npx hardhat test solidity test/solidity/invariant/ProtocolInvariants.t.sol \
///          test/solidity/invariant/ProtocolHandler.sol`
contract ProtocolInvariantsTest is ProtocolDeployer {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    uint256 internal constant T0 = 1_000_000;
    uint256 internal constant LIVENESS_ROUNDS = 6;

    Protocol internal p;
    MockConsumerV1 internal consumer;
    ProtocolHandler internal handler;

    function setUp() public {
        vm.warp(T0);
        vm.roll(100);
        p = _deployProtocol();
        consumer = new MockConsumerV1(p.hub);
        vm.label(address(consumer), "consumer");

        ProtocolHandler.Actors memory actors;
        actors.workers = new address[](4);
        actors.verifiers = new address[](4);
        actors.requesters = new address[](2);
        actors.modelOwner = address(0x40DE1);
        _fund(p, actors.modelOwner, 0);
        for (uint256 i; i < 4; ++i) {
            address worker = address(uint160(0x1000 + i));
            address verifier = address(uint160(0x2000 + i));
            actors.workers[i] = worker;
            actors.verifiers[i] = verifier;
            vm.label(worker, "worker");
            vm.label(verifier, "verifier");
            _fund(p, worker, 1_000_000e18);
            _fund(p, verifier, 1_000_000e18);
            _stake(p, worker, 2_000e18 + i * 1_000e18, ROLE_WORKER);
            _stake(p, verifier, 1_000e18 + i * 250e18, ROLE_VERIFIER);
            _deposit(p, verifier, 100e18);
        }
        actors.requesters[0] = address(0x3000);
        actors.requesters[1] = address(consumer);
        for (uint256 i; i < 2; ++i) {
            _fund(p, actors.requesters[i], 1_000_000e18);
            _deposit(p, actors.requesters[i], 200e18);
        }
        actors.models[0] = _registerModel(p, actors.modelOwner, IModelRegistryV1.VerificationMode.NONE, 1e18, 1_000);
        actors.models[1] = _registerModel(
            p,
            actors.modelOwner,
            IModelRegistryV1.VerificationMode.OPTIMISTIC,
            2e18,
            500
        );
        actors.models[2] = _registerModel(
            p,
            actors.modelOwner,
            IModelRegistryV1.VerificationMode.COMMITTEE,
            3e18,
            2_000
        );

        handler = new ProtocolHandler(p, consumer, actors);
        vm.label(address(handler), "handler");
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @notice Only the handler's actions (not its ghost getters) are fuzzed.
    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](22);
        selectors[0] = ProtocolHandler.deposit.selector;
        selectors[1] = ProtocolHandler.withdraw.selector;
        selectors[2] = ProtocolHandler.claimCredits.selector;
        selectors[3] = ProtocolHandler.request.selector;
        selectors[4] = ProtocolHandler.submit.selector;
        selectors[5] = ProtocolHandler.reassign.selector;
        selectors[6] = ProtocolHandler.challenge.selector;
        selectors[7] = ProtocolHandler.attest.selector;
        selectors[8] = ProtocolHandler.commitVote.selector;
        selectors[9] = ProtocolHandler.revealVote.selector;
        selectors[10] = ProtocolHandler.resolve.selector;
        selectors[11] = ProtocolHandler.finalize.selector;
        selectors[12] = ProtocolHandler.finalizeBatch.selector;
        selectors[13] = ProtocolHandler.resettle.selector;
        selectors[14] = ProtocolHandler.stake.selector;
        selectors[15] = ProtocolHandler.unstake.selector;
        selectors[16] = ProtocolHandler.withdrawStake.selector;
        selectors[17] = ProtocolHandler.unjail.selector;
        selectors[18] = ProtocolHandler.warp.selector;
        selectors[19] = ProtocolHandler.reseed.selector;
        selectors[20] = ProtocolHandler.probeAccessControl.selector;
        selectors[21] = ProtocolHandler.advance.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector({addr: address(handler), selectors: selectors});
    }

    // ------------------------------------------------------------------------------------------------- 1. solvency

    /// @notice OPG held by the hub == free balances + locked fees of open requests + open bonds + unclaimed credits
    ///         (treasury included); OPG held by staking == Σ (active + unbonding). Exactly, after every call.
    ///         The token flows recorded by the handler (deposits, withdrawals, claims, stakes, stake withdrawals,
    ///         slashes moved from staking to the hub) explain both balances too.
    function invariant_solvency() public view {
        _checkSolvency();
        assertEq(
            p.token.balanceOf(address(p.hub)),
            handler.ghostDeposited() + handler.ghostSlashedTotal() - handler.ghostWithdrawn() - handler.ghostClaimed(),
            "hub OPG == deposits + slashes - withdrawals - claims"
        );
        assertEq(
            p.token.balanceOf(address(p.staking)),
            handler.ghostStaked() - handler.ghostStakeWithdrawn() - handler.ghostSlashedTotal(),
            "staking OPG == stakes - withdrawals - slashes"
        );
    }

    // ------------------------------------------------------------------------------------------------- 2. conservation

    /// @notice For each terminal request the payer's debit (model fee + protocol fee, as observed on its balance)
    ///         equals the fee-split credits (Finalized) or the refund (Rejected / Expired), to the wei; bond and slash
    ///         credits of a request equal what was bonded and slashed for it; balances and credits match the books.
    function invariant_conservation() public view {
        uint256[] memory ids = handler.requestIds();
        for (uint256 i; i < ids.length; ++i) {
            IInferenceHubV1.Request memory req = p.hub.getRequest(ids[i]);
            ProtocolHandler.GhostRequest memory g = handler.ghost(ids[i]);
            assertEq(g.debit, uint256(req.modelFee) + req.protocolFee, "debit == snapshotted fee");
            bool terminal = _isTerminal(req.status);
            if (req.status == IInferenceHubV1.Status.Finalized) {
                assertEq(g.feeCredits, g.debit, "finalized: fee credits == payer debit");
                assertEq(g.refund, 0, "finalized: no refund");
            } else if (terminal) {
                assertEq(g.refund, g.debit, "refunded: refund == payer debit");
                assertEq(g.feeCredits, 0, "refunded: no fee credits");
            } else {
                assertEq(g.feeCredits + g.refund, 0, "open: nothing paid out of the fee");
            }
            assertEq(g.otherCredits, g.slashed + (terminal ? g.bond : 0), "bond and slash credits == bond + slashed");
        }
        address[] memory accounts = handler.accounts();
        for (uint256 i; i < accounts.length; ++i) {
            assertEq(p.hub.balanceOf(accounts[i]), handler.ghostBalance(accounts[i]), "free balance == books");
            assertEq(p.hub.creditsOf(accounts[i]), handler.ghostCredits(accounts[i]), "credits == books");
        }
        assertEq(bytes(handler.violation(handler.V_BOOKS())).length, 0, handler.violation(handler.V_BOOKS()));
    }

    // ------------------------------------------------------------------------------------------------- 3. terminal

    /// @notice A request reports exactly one terminal transition once terminal (none before), its terminal state
    ///         never changes, no entry point settles it again, and its worker is slashed at most once (only when
    ///         Rejected); no juror is penalised twice for one dispute.
    function invariant_exactlyOneTerminalState() public view {
        uint256[] memory ids = handler.requestIds();
        for (uint256 i; i < ids.length; ++i) {
            IInferenceHubV1.Status status = p.hub.getRequest(ids[i]).status;
            ProtocolHandler.GhostRequest memory g = handler.ghost(ids[i]);
            if (_isTerminal(status)) {
                assertEq(g.terminalEvents, 1, "one terminal transition");
                assertEq(uint256(g.terminalStatus), uint256(status), "terminal state unchanged");
            } else {
                assertEq(g.terminalEvents, 0, "no terminal transition while open");
            }
            assertLe(g.workerSlashes, 1, "at most one worker slash per request");
            if (g.workerSlashes == 1) {
                assertEq(uint256(status), uint256(IInferenceHubV1.Status.Rejected), "worker slashed only on reject");
            }
        }
        assertEq(bytes(handler.violation(handler.V_SETTLE())).length, 0, handler.violation(handler.V_SETTLE()));
    }

    // ------------------------------------------------------------------------------------------------- 4. stake

    /// @notice locked <= active, free == active - locked and slashable == active + unbonding for every operator;
    ///         locked equals the collateral of its open jobs (at most, once slashed); locked stake was never unstaked,
    ///         unbonding stake never withdrawn early, and every worker slash reached its unbonding stake.
    function invariant_unbondingSlashableAndLockedCovered() public view {
        address[] memory operators = handler.operators();
        for (uint256 i; i < operators.length; ++i) {
            address operator = operators[i];
            IStakingV1.Operator memory op = p.staking.getOperator(operator);
            assertLe(op.locked, op.active, "locked <= active");
            assertEq(p.staking.freeStake(operator), uint256(op.active) - op.locked, "free == active - locked");
            assertEq(p.staking.slashableStake(operator), uint256(op.active) + op.unbonding, "slashable");
            uint256 open = handler.openCollateralOf(operator);
            if (handler.ghostEverSlashed(operator)) {
                assertLe(op.locked, open, "locked <= open collateral after a slash");
            } else {
                assertEq(op.locked, open, "locked == open collateral");
            }
        }
        assertEq(bytes(handler.violation(handler.V_STAKE())).length, 0, handler.violation(handler.V_STAKE()));
    }

    // ------------------------------------------------------------------------------------------------- 5. access

    /// @notice Only the hub slashes / locks / unlocks, only the owner sets parameters, and a credit only falls by
    ///         its owner's claim.
    function invariant_accessControl() public view {
        assertEq(bytes(handler.violation(handler.V_ACCESS())).length, 0, handler.violation(handler.V_ACCESS()));
        assertEq(bytes(handler.violation(handler.V_CREDIT())).length, 0, handler.violation(handler.V_CREDIT()));
        assertEq(p.staking.hub(), address(p.hub), "staking hub unchanged");
        assertEq(p.hub.owner(), address(this), "hub owner unchanged");
        assertEq(p.staking.owner(), address(this), "staking owner unchanged");
        assertEq(p.hub.params().treasury, TREASURY, "hub params unchanged");
    }

    // ------------------------------------------------------------------------------------------------- 6. liveness

    /// @notice From the current state, time plus the permissionless time-based calls (reassign, finalize,
    ///         resolveDispute) by an outsider bring every request to a terminal state, and the books still balance.
    /// @dev Mutates state; the campaign discards it after the check.
    function invariant_liveness() public {
        uint256[] memory ids = handler.requestIds();
        uint256 t = handler.currentTime();
        address outsider = address(0x0D7);
        bool open = true;
        for (uint256 round; round < LIVENESS_ROUNDS && open; ++round) {
            t += 1 hours;
            vm.warp(t);
            open = false;
            for (uint256 i; i < ids.length; ++i) {
                IInferenceHubV1.Status status = p.hub.getRequest(ids[i]).status;
                if (_isTerminal(status)) continue;
                vm.prank(outsider);
                if (status == IInferenceHubV1.Status.Requested) {
                    p.hub.reassign(ids[i]);
                } else if (status == IInferenceHubV1.Status.Submitted) {
                    p.hub.finalize(ids[i]);
                } else {
                    p.hub.resolveDispute(ids[i]);
                }
                if (!_isTerminal(p.hub.getRequest(ids[i]).status)) open = true;
            }
        }
        for (uint256 i; i < ids.length; ++i) {
            assertTrue(_isTerminal(p.hub.getRequest(ids[i]).status), "time-based calls reach a terminal state");
        }
        _checkSolvency();
    }

    // ------------------------------------------------------------------------------------------------- helpers

    function _checkSolvency() internal view {
        uint256 owed;
        address[] memory accounts = handler.accounts();
        for (uint256 i; i < accounts.length; ++i) {
            owed += p.hub.balanceOf(accounts[i]) + p.hub.creditsOf(accounts[i]);
        }
        uint256[] memory ids = handler.requestIds();
        for (uint256 i; i < ids.length; ++i) {
            IInferenceHubV1.Request memory req = p.hub.getRequest(ids[i]);
            if (_isTerminal(req.status)) continue;
            owed += uint256(req.modelFee) + req.protocolFee;
            if (req.status == IInferenceHubV1.Status.Disputed) owed += p.hub.getDispute(ids[i]).bond;
        }
        assertEq(p.token.balanceOf(address(p.hub)), owed, "hub OPG == balances + locked fees + bonds + credits");

        uint256 staked;
        address[] memory operators = handler.operators();
        for (uint256 i; i < operators.length; ++i) staked += p.staking.slashableStake(operators[i]);
        assertEq(p.token.balanceOf(address(p.staking)), staked, "staking OPG == active + unbonding");
    }

    function _isTerminal(IInferenceHubV1.Status status) internal pure returns (bool) {
        return uint8(status) >= uint8(IInferenceHubV1.Status.Finalized);
    }
}
