// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {InferenceHub} from "../../../contracts/inference/InferenceHub.sol";
import {ICommitteeModule} from "../../../contracts/interfaces/ICommitteeModule.sol";
import {IDisputeCourt} from "../../../contracts/interfaces/IDisputeCourt.sol";
import {IInferenceConsumer} from "../../../contracts/interfaces/IInferenceConsumer.sol";
import {IInferenceHub} from "../../../contracts/interfaces/IInferenceHub.sol";
import {ISettlement} from "../../../contracts/interfaces/ISettlement.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {IVerificationModule} from "../../../contracts/interfaces/IVerificationModule.sol";
import {ModelRegistry} from "../../../contracts/registry/ModelRegistry.sol";
import {Settlement} from "../../../contracts/settlement/Settlement.sol";
import {Staking} from "../../../contracts/staking/Staking.sol";
import {OPGToken} from "../../../contracts/token/OPGToken.sol";
import {CommitteeModule} from "../../../contracts/verification/CommitteeModule.sol";
import {DisputeCourt} from "../../../contracts/verification/DisputeCourt.sol";
import {OptimisticModule} from "../../../contracts/verification/OptimisticModule.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {ProtocolV2Deployer} from "../utils/ProtocolV2Deployer.sol";
import {Vm} from "../utils/Vm.sol";

/// @notice A consumer contract requester: its callback succeeds, reverts or burns all its gas, as the campaign says.
contract CampaignConsumer is IInferenceConsumer {
    address public immutable hub;
    uint8 public behaviour; // 0 records, 1 reverts, 2 burns its gas
    mapping(uint256 requestId => uint256) public calls;

    constructor(address hub_) {
        hub = hub_;
    }

    function setBehaviour(uint8 behaviour_) external {
        behaviour = behaviour_ % 3;
    }

    function onInferenceSettled(uint256 requestId, bool, bytes32, bool) external {
        require(msg.sender == hub, "not hub");
        if (behaviour == 1) revert("consumer refuses");
        if (behaviour == 2) {
            uint256 x;
            for (uint256 i; i < type(uint256).max; ++i) x = uint256(keccak256(abi.encode(x, i)));
        }
        ++calls[requestId];
    }
}

/// @notice Drives the real v2 protocol (ProtocolV2Deployer) along every external path with bounded random inputs and
///         keeps ghost books, rebuilt from the events of successful calls only, that ProtocolV2Invariants compares
///         with on-chain state after every call.
/// @dev Rules of the handler:
///      - Every protocol call sits in try/catch (`failOnRevert` is false, but an unexpected revert of the handler
///        itself would hide a finding, so ghost arithmetic never reverts: `_sub` flags an underflow instead).
///      - EDR's recorded logs include the logs of calls that reverted, so logs are drained before each protocol call
///        (`_flush`: replayed, they belong to calls that succeeded) and right after it (`_flush` on success,
///        `_discard` on failure).
///      - Per-call properties are checked in the `tracked` modifier (every slash credited in the same call, the
///        surpluses move only by donations and recoveries, a credit falls only by its owner's claim); per-event
///        properties while replaying (panels, deadlines, finality, penalties, double settlement); the first
///        violation of each category is kept in `violation` for the invariants to report.
///      - Block time and height live in `currentTime` / `currentBlock` and are re-applied at the start of every
///        action; actions move them forward only.
contract ProtocolV2Handler is BaseTest {
    // ------------------------------------------------------------------------------------------------- constants

    uint256 public constant MAX_REQUESTS = 48;
    uint256 internal constant BPS = 10_000;
    uint8 internal constant ROLE_WORKER = 1;
    uint8 internal constant ROLE_VERIFIER = 2;
    uint8 internal constant MODE_NONE = 0;
    uint8 internal constant MODE_OPTIMISTIC = 1;
    uint8 internal constant MODE_COMMITTEE = 2;
    uint256 public constant PERMIT_KEY = 0xA11CE;
    uint256 internal constant FORGER_KEY = 0xBAD;
    bytes32 internal constant PERMIT_TYPEHASH = keccak256(
        "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
    );

    bytes internal constant RIGHT_OUTPUT = hex"4f50470101800600000000000000000f4240";
    bytes internal constant WRONG_OUTPUT = hex"4f50470101800600000000000000001e8480";

    bytes32 internal constant R_WORKER = "worker";
    bytes32 internal constant R_DEFENDER = "defender";
    bytes32 internal constant R_CHALLENGER = "challenger";

    /// @notice Violation categories; each must stay empty (see ProtocolV2Invariants).
    uint8 public constant V_SOLVENCY = 1; // a surplus moved other than by a donation or a recovery
    uint8 public constant V_CONSERVATION = 2; // a slash was not credited in its own call
    uint8 public constant V_SETTLE = 3; // a second terminal transition, settlement, callback or slash for one fault
    uint8 public constant V_STAKE = 4; // locked stake unstaked, unbonding withdrawn early, collateral books broken
    uint8 public constant V_ACCESS = 5; // an outsider slashed, locked, moved funds or set parameters
    uint8 public constant V_PANEL = 6; // a panel of the wrong size, with a party or an ineligible member
    uint8 public constant V_LIFECYCLE = 7; // finality early or without quorum, action after deadline, party vote
    uint8 public constant V_BOOKS = 8; // the ghost books cannot explain an event

    // ------------------------------------------------------------------------------------------------- system

    OPGToken public immutable token;
    Staking public immutable staking;
    Settlement public immutable settlement;
    ModelRegistry public immutable registry;
    InferenceHub public immutable hub;
    DisputeCourt public immutable court;
    OptimisticModule public immutable optimistic;
    CommitteeModule public immutable committee;
    address public immutable noneModule;
    address public immutable treasury;
    address public immutable governance;
    CampaignConsumer public immutable consumer;
    address public immutable modelOwner;
    address public immutable permitRequester;
    address public constant OUTSIDER = address(0x0D7);

    address[] internal _operators;
    uint8[] internal _homeRoles;
    address[] internal _verifiers; // operators that hold VERIFIER at home
    address[] internal _requesters;
    address[] internal _accounts;
    uint256[3] internal _models; // NONE, OPTIMISTIC, COMMITTEE

    // ------------------------------------------------------------------------------------------------- ghosts

    struct Ghost {
        address requester;
        uint8 mode;
        bool wrong; // the posted output is the wrong one
        bool submitted;
        address holder; // operator whose stake backs the job now (0: none)
        uint256 collateral; // collateral of the current assignment
        uint64 responseDeadline;
        uint64 windowEnd; // the module's deadline returned at submission
        uint256 fee; // model fee + protocol fee, snapshotted
        uint256 callbackFee;
        uint256 feeLocked; // FeeLocked
        uint256 splitPaid; // FeeSplitPaid totals
        uint256 refunded; // FeeRefunded (fee refunds and callback refunds)
        uint256 callbackRefund; // CallbackCancelled
        uint256 callbackPaid; // FeeCredited (the callback fee to its deliverer)
        uint256 bondLocked; // BondLocked
        uint256 credited; // Credited (slash and bond distributions)
        uint256 slashed; // stake slashed in the calls that credited this request
        bool caseOpened;
        bool caseResolved;
        uint8 outcome; // IDisputeCourt.Outcome at CaseResolved
        uint8 terminalEvents;
        uint8 terminalStatus;
        uint8 workerSlashes;
        uint8 callbacks; // CallbackDelivered + CallbackCancelled
    }

    uint256 public currentTime;
    uint256 public currentBlock;
    bytes32 public salt;

    uint256[] internal _ids;
    mapping(uint256 requestId => Ghost) internal _g;
    mapping(address account => uint256) public ghostBalance;
    uint256 public ghostCredits;
    uint256 public ghostSettlementIn;
    uint256 public ghostSettlementOut;
    uint256 public ghostSettlementSurplus;
    uint256 public ghostStakingIn;
    uint256 public ghostStakingOut;
    uint256 public ghostStakingSurplus;
    uint256 public ghostSlashed;
    uint256 internal _pendingSlash;
    address internal _claimer;

    mapping(uint256 requestId => mapping(address account => mapping(bytes32 reason => uint256))) public penalties;
    mapping(uint256 requestId => mapping(address member => uint256)) public silencePenalties;
    /// @dev Vote of (request, round, voter): round 0 is the committee attestation.
    mapping(uint256 requestId => mapping(uint8 round => mapping(address voter => bytes32))) internal _salts;
    mapping(uint256 requestId => mapping(uint8 round => mapping(address voter => bool))) internal _choices;

    mapping(uint8 category => string) public violation;
    mapping(bytes32 action => uint256) public successes;

    // ------------------------------------------------------------------------------------------------- setup

    struct Actors {
        address[] operators;
        uint8[] homeRoles;
        address[] requesters; // includes the consumer and the permit requester
        address modelOwner;
        address permitRequester;
        uint256[3] models;
    }

    constructor(ProtocolV2Deployer.ProtocolV2 memory p, CampaignConsumer consumer_, Actors memory actors) {
        token = p.token;
        staking = p.staking;
        settlement = p.settlement;
        registry = p.registry;
        hub = p.hub;
        court = p.court;
        optimistic = p.optimistic;
        committee = p.committee;
        noneModule = address(p.none);
        treasury = p.treasury;
        governance = msg.sender;
        consumer = consumer_;
        modelOwner = actors.modelOwner;
        permitRequester = actors.permitRequester;
        _operators = actors.operators;
        _homeRoles = actors.homeRoles;
        _requesters = actors.requesters;
        _models = actors.models;
        for (uint256 i; i < actors.operators.length; ++i) {
            if (actors.homeRoles[i] & ROLE_VERIFIER != 0) _verifiers.push(actors.operators[i]);
            _addAccount(actors.operators[i]);
        }
        for (uint256 i; i < actors.requesters.length; ++i) _addAccount(actors.requesters[i]);
        _addAccount(actors.modelOwner);
        _addAccount(p.treasury);
        _addAccount(OUTSIDER);
        _addAccount(address(this));
        for (uint256 i; i < _accounts.length; ++i) {
            ghostBalance[_accounts[i]] = settlement.balanceOf(_accounts[i]);
            ghostCredits += settlement.creditsOf(_accounts[i]);
        }
        ghostSettlementIn = token.balanceOf(address(settlement));
        ghostStakingIn = token.balanceOf(address(staking));
        currentTime = block.timestamp;
        currentBlock = block.number;
        salt = keccak256("campaign");
    }

    /// @notice Approvals the handler needs for donations and deposits on behalf of others.
    function approveAll() external {
        token.approve(address(settlement), type(uint256).max);
    }

    // ------------------------------------------------------------------------------------------------- modifiers

    modifier tracked() {
        vm.warp(currentTime);
        vm.roll(currentBlock);
        vm.recordLogs();
        vm.getRecordedLogs();
        uint256[] memory creditsBefore = _creditsSnapshot();
        _;
        _flush();
        if (_pendingSlash != 0) {
            _flag(V_CONSERVATION, "slashed stake not credited in the call that slashed it");
            _pendingSlash = 0;
        }
        _checkCall(creditsBefore);
        _claimer = address(0);
    }

    // ------------------------------------------------------------------------------------------ actions: balances

    function deposit(uint256 actorSeed, uint256 amount) external tracked {
        address actor = _payer(actorSeed);
        amount = bound(amount, 1, 2_000e18);
        if (actor == permitRequester || actor == address(consumer)) {
            // The permit requester never approves and the consumer cannot: others top them up with depositFor.
            _before();
            try settlement.depositFor(actor, amount) {
                _ok("depositFor");
            } catch {
                _discard();
            }
            return;
        }
        _before();
        vm.prank(actor);
        try settlement.deposit(amount) {
            _ok("deposit");
        } catch {
            _discard();
        }
    }

    function withdraw(uint256 actorSeed, uint256 amount) external tracked {
        address actor = _payer(actorSeed);
        uint256 balance = settlement.balanceOf(actor);
        if (balance == 0) return;
        amount = bound(amount, 1, balance);
        uint256 walletBefore = token.balanceOf(actor);
        _before();
        vm.prank(actor);
        try settlement.withdraw(amount) {
            _ok("withdraw");
            if (token.balanceOf(actor) != walletBefore + amount) _flag(V_BOOKS, "withdraw paid a different amount");
        } catch {
            _discard();
        }
    }

    function claim(uint256 actorSeed) external tracked {
        address actor = _accounts[actorSeed % _accounts.length];
        uint256 credits = settlement.creditsOf(actor);
        uint256 walletBefore = token.balanceOf(actor);
        _claimer = actor;
        _before();
        vm.prank(actor);
        try settlement.claim() returns (uint256 amount) {
            _ok("claim");
            if (amount != credits || token.balanceOf(actor) != walletBefore + credits) {
                _flag(V_BOOKS, "claim paid other than the owner's credit");
            }
        } catch {
            _discard();
        }
    }

    // ------------------------------------------------------------------------------------------ actions: requests

    function request(uint256 requesterSeed, uint256 modelSeed, uint256 feeSeed, uint256 callbackSeed) external tracked {
        _repriceMaybe(modelSeed, feeSeed);
        _request(_requesters[requesterSeed % _requesters.length], _models[modelSeed % 3], feeSeed, callbackSeed);
    }

    /// @notice 2 to 5 requests of one requester, to random models, in one call.
    function requestBatch(uint256 requesterSeed, uint256 count, uint256 seed) external tracked {
        if (_ids.length + 5 > MAX_REQUESTS) return;
        address requester = _requesters[requesterSeed % _requesters.length];
        if (requester == permitRequester) requester = _requesters[0];
        IInferenceHub.RequestParams[] memory batch = new IInferenceHub.RequestParams[](bound(count, 2, 5));
        uint256 total;
        for (uint256 i; i < batch.length; ++i) {
            uint256 c = uint256(keccak256(abi.encode(seed, i)));
            batch[i] = _requestParams(_models[c % 3], c, 0);
            total += batch[i].maxFee;
        }
        _ensureBalance(requester, total);
        _before();
        vm.prank(requester);
        try hub.requestBatch(batch) returns (uint256 first) {
            _flush();
            for (uint256 i; i < batch.length; ++i) _recordRequest(first + i, requester);
            successes["requestBatch"]++;
        } catch {
            _discard();
        }
    }

    /// @notice The permit requester funds its request in the same call with an ERC-2612 permit signed by
    ///         vm.sign; a permit signed by another key must not move its tokens.
    function requestWithPermit(uint256 modelSeed, uint256 extra, bool forged) external tracked {
        if (_ids.length >= MAX_REQUESTS) return;
        address requester = permitRequester;
        IInferenceHub.RequestParams memory params = _requestParams(_models[modelSeed % 3], extra, 0);
        uint256 amount = params.maxFee + bound(extra, 0, 20e18);
        uint256 permitDeadline = currentTime + 1 hours;
        bytes32 digest = keccak256(
            abi.encodePacked(
                "\x19\x01",
                token.DOMAIN_SEPARATOR(),
                keccak256(
                    abi.encode(
                        PERMIT_TYPEHASH,
                        requester,
                        address(settlement),
                        amount,
                        token.nonces(requester),
                        permitDeadline
                    )
                )
            )
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(forged ? FORGER_KEY : PERMIT_KEY, digest);
        _before();
        vm.prank(requester);
        try hub.requestWithPermit(params, amount, permitDeadline, v, r, s) returns (uint256 id) {
            _flush();
            if (forged) _flag(V_ACCESS, "a permit signed by another key moved the requester's tokens");
            _recordRequest(id, requester);
            successes["requestWithPermit"]++;
        } catch {
            _discard();
        }
    }

    function submit(uint256 requestSeed, bool wrong, bool isError) external tracked {
        (uint256 id, bool found) = _pick(requestSeed, K_REQUESTED);
        if (found) _submit(id, wrong, isError);
    }

    /// @notice The worker of a random open job submits all its open jobs (up to 5) in one call.
    function submitBatch(uint256 requestSeed, uint256 wrongMask) external tracked {
        (uint256 id, bool found) = _pick(requestSeed, K_REQUESTED);
        if (!found) return;
        address worker = hub.getRequest(id).worker;
        uint256[] memory ids = new uint256[](5);
        uint256 n;
        for (uint256 i; i < _ids.length && n < 5; ++i) {
            IInferenceHub.Request memory r = hub.getRequest(_ids[i]);
            if (r.status == IInferenceHub.Status.Requested && r.worker == worker && currentTime <= r.deadline) {
                ids[n++] = _ids[i];
            }
        }
        if (n == 0) return;
        uint256[] memory batchIds = new uint256[](n);
        bytes[] memory outputs = new bytes[](n);
        bool[] memory errors = new bool[](n);
        for (uint256 i; i < n; ++i) {
            batchIds[i] = ids[i];
            outputs[i] = (wrongMask >> i) & 1 == 1 ? WRONG_OUTPUT : RIGHT_OUTPUT;
        }
        _before();
        vm.prank(worker);
        try hub.submitResultBatch(batchIds, outputs, errors) {
            for (uint256 i; i < n; ++i) _g[batchIds[i]].wrong = (wrongMask >> i) & 1 == 1;
            _ok("submitBatch");
        } catch {
            _discard();
        }
    }

    /// @notice A worker tries to submit after its deadline: must revert.
    function submitLate(uint256 requestSeed) external tracked {
        (uint256 id, bool found) = _pick(requestSeed, K_REQUESTED);
        if (!found) return;
        IInferenceHub.Request memory r = hub.getRequest(id);
        _warpPast(r.deadline);
        _before();
        vm.prank(r.worker);
        try hub.submitResult(id, RIGHT_OUTPUT, false) {
            _flush();
            _flag(V_LIFECYCLE, "a result was accepted after the response deadline");
        } catch {
            _discard();
            successes["submitLateRefused"]++;
        }
    }

    function decline(uint256 requestSeed) external tracked {
        (uint256 id, bool found) = _pick(requestSeed, K_REQUESTED);
        if (found) _decline(id);
    }

    /// @notice The model owner lifts a suspension (after declines) or moves the model; or, one time in four,
    ///         deactivates or reactivates it (open requests are unaffected).
    function resumeModel(uint256 modelSeed, bool moveUri) external tracked {
        uint256 modelId = _models[modelSeed % 3];
        if ((modelSeed >> 8) % 4 == 0) {
            bool active = registry.getModel(modelId).active;
            _before();
            vm.prank(modelOwner);
            try registry.setActive(modelId, !active || (modelSeed >> 16) % 2 == 0) {
                _ok("setActive");
            } catch {
                _discard();
            }
            return;
        }
        if (!registry.getModel(modelId).suspended) return;
        _before();
        vm.prank(modelOwner);
        if (moveUri) {
            try registry.setUri(modelId, "ipfs://moved", "") {
                _ok("setUri");
            } catch {
                _discard();
            }
        } else {
            try registry.resume(modelId) {
                _ok("resume");
            } catch {
                _discard();
            }
        }
    }

    function reassign(uint256 requestSeed, bool lateFirst, uint256 callerSeed) external tracked {
        (uint256 id, bool found) = _pick(requestSeed, K_REQUESTED);
        if (!found) return;
        if (lateFirst) _warpPast(hub.getRequest(id).deadline);
        _reassign(id, callerSeed);
    }

    /// @notice processBatch over up to 10 known ids (duplicates, terminal and not-due ones included).
    function processBatch(uint256 seed, uint256 count, bool lateFirst) external tracked {
        uint256 n = _ids.length;
        if (n == 0) return;
        uint256[] memory ids = new uint256[](bound(count, 1, 10));
        for (uint256 i; i < ids.length; ++i) ids[i] = _ids[uint256(keccak256(abi.encode(seed, i))) % n];
        (uint256 open, bool found) = _pick(seed, K_OPEN);
        if (found) ids[0] = open; // at least one that may be due
        if (lateFirst) _warpPast(hub.getRequest(ids[0]).deadline);
        _before();
        vm.prank(_anyone(seed));
        try hub.processBatch(ids) returns (uint256 done) {
            _flush();
            if (done > 0) successes["processBatch"]++;
        } catch {
            _discard();
        }
    }

    function finalize(uint256 requestSeed, bool lateFirst) external tracked {
        (uint256 id, bool found) = _pick(requestSeed, K_SUBMITTED);
        if (found) _finalize(id, lateFirst);
    }

    // -------------------------------------------------------------------------------------- actions: verification

    function challenge(uint256 requestSeed, uint256 challengerSeed) external tracked {
        (uint256 id, bool found) = _pick(requestSeed, K_OPTIMISTIC);
        if (found) _challenge(id, challengerSeed);
    }

    function drawCommittee(uint256 requestSeed) external tracked {
        (uint256 id, bool found) = _pick(requestSeed, K_COMMITTEE);
        if (found) _drawCommittee(id);
    }

    /// @param behaviour 0-5 honest, 6 colluding (always agrees), 7 random.
    function commitAttestation(uint256 requestSeed, uint256 memberSeed, uint8 behaviour) external tracked {
        (uint256 id, bool found) = _pick(requestSeed, K_COMMITTEE);
        if (!found) return;
        address[] memory members = committee.committeeOf(id);
        if (members.length == 0) return;
        _commitAttestation(id, members[memberSeed % members.length], behaviour, memberSeed);
    }

    function revealAttestation(uint256 requestSeed, uint256 memberSeed, bool afterCommitPhase) external tracked {
        (uint256 id, bool found) = _pick(requestSeed, K_COMMITTEE);
        if (!found) return;
        address[] memory members = committee.committeeOf(id);
        if (members.length == 0) return;
        if (afterCommitPhase) _warpPast(committee.roundOf(id).commitDeadline);
        _revealAttestation(id, members[memberSeed % members.length]);
    }

    function escalate(uint256 requestSeed, bool lateFirst) external tracked {
        (uint256 id, bool found) = _pick(requestSeed, K_COMMITTEE);
        if (!found) return;
        if (lateFirst) _warpPast(committee.roundOf(id).revealDeadline);
        _escalate(id);
    }

    function drawJury(uint256 requestSeed) external tracked {
        (uint256 id, bool found) = _pick(requestSeed, K_CASE);
        if (found) _drawJury(id);
    }

    /// @param behaviour 0-4 honest, 5 colluding with the worker (always upholds), 6-7 random.
    function commitVote(uint256 requestSeed, uint256 jurorSeed, uint8 behaviour) external tracked {
        (uint256 id, bool found) = _pick(requestSeed, K_CASE);
        if (!found) return;
        IDisputeCourt.Case memory c = court.getCase(id);
        address[] memory jurors = court.juryOf(id, c.round);
        if (jurors.length == 0) return;
        _commitVote(id, c.round, jurors[jurorSeed % jurors.length], behaviour, jurorSeed);
    }

    function revealVote(uint256 requestSeed, uint256 jurorSeed, bool afterCommitPhase) external tracked {
        (uint256 id, bool found) = _pick(requestSeed, K_CASE);
        if (!found) return;
        IDisputeCourt.Case memory c = court.getCase(id);
        address[] memory jurors = court.juryOf(id, c.round);
        if (jurors.length == 0) return;
        if (afterCommitPhase) _warpPast(c.commitDeadline);
        _revealVote(id, c.round, jurors[jurorSeed % jurors.length]);
    }

    function resolve(uint256 requestSeed, bool lateFirst) external tracked {
        (uint256 id, bool found) = _pick(requestSeed, K_CASE);
        if (!found) return;
        if (lateFirst) {
            IDisputeCourt.Case memory c = court.getCase(id);
            _warpPast(c.phase == IDisputeCourt.Phase.Drawing ? c.drawDeadline : c.revealDeadline);
            _nextBlock();
        }
        _resolve(id);
    }

    /// @notice Moves one open request (or a new one) 4 to 19 lifecycle steps along a fuzzed path, one block per
    ///         step, so that deep paths (disputes, appeals, escalations, rejections, penalties) are reached at the
    ///         default depth. See `_step`.
    function advance(uint256 requestSeed, uint256 choices) external tracked {
        _advance(requestSeed, choices);
    }

    /// @notice {advance} under more selectors: EDR picks a target selector uniformly, so these weight the campaign
    ///         towards multi-step lifecycles (disputes, appeals, escalations) at the default depth of 40 calls.
    function advance1(uint256 requestSeed, uint256 choices) external tracked {
        _advance(requestSeed, choices);
    }

    function advance2(uint256 requestSeed, uint256 choices) external tracked {
        _advance(requestSeed, choices);
    }

    function advance3(uint256 requestSeed, uint256 choices) external tracked {
        _advance(requestSeed, choices);
    }

    function advance4(uint256 requestSeed, uint256 choices) external tracked {
        _advance(requestSeed, choices);
    }

    function advance5(uint256 requestSeed, uint256 choices) external tracked {
        _advance(requestSeed, choices);
    }

    function advance6(uint256 requestSeed, uint256 choices) external tracked {
        _advance(requestSeed, choices);
    }

    function advance7(uint256 requestSeed, uint256 choices) external tracked {
        _advance(requestSeed, choices);
    }

    function advance8(uint256 requestSeed, uint256 choices) external tracked {
        _advance(requestSeed, choices);
    }

    function advance9(uint256 requestSeed, uint256 choices) external tracked {
        _advance(requestSeed, choices);
    }

    function _advance(uint256 requestSeed, uint256 choices) internal {
        successes["advanceCalls"]++;
        uint256 n = _ids.length;
        uint256 id;
        bool found;
        for (uint256 k; k < n && !found; ++k) {
            id = _ids[(requestSeed + k) % n];
            found = !_isTerminal(_storedStatus(id));
        }
        if (!found) {
            _request(
                _requesters[choices % _requesters.length],
                _models[(choices >> 8) % 3],
                choices >> 16,
                choices >> 32
            );
            if (_ids.length == n) return;
            id = _ids[n];
        }
        uint256 steps = 4 + (choices % 16);
        for (uint256 step; step < steps; ++step) {
            _nextBlock();
            if (!_step(id, uint256(keccak256(abi.encode(choices, step))))) return;
        }
    }

    // ------------------------------------------------------------------------------------------ actions: callbacks

    function deliverCallback(uint256 requestSeed, uint256 callerSeed) external tracked {
        (uint256 id, bool found) = _pick(requestSeed, K_CALLBACK);
        if (!found) return;
        uint256 before = consumer.calls(id);
        _before();
        vm.prank(_anyone(callerSeed));
        try hub.deliverCallback(id) {
            _ok("deliverCallback");
            if (consumer.calls(id) > before + 1 || consumer.calls(id) > 1) {
                _flag(V_SETTLE, "a callback ran twice");
            }
        } catch {
            _discard();
        }
    }

    function cancelCallback(uint256 requestSeed, bool asOutsider) external tracked {
        (uint256 id, bool found) = _pick(requestSeed, K_CALLBACK);
        if (!found) return;
        address caller = asOutsider ? OUTSIDER : _g[id].requester;
        _before();
        vm.prank(caller);
        try hub.cancelCallback(id) {
            _ok("cancelCallback");
            if (caller != _g[id].requester) _flag(V_ACCESS, "someone other than the requester cancelled a callback");
        } catch {
            _discard();
        }
    }

    // ------------------------------------------------------------------------------------------- actions: staking

    function stake(uint256 operatorSeed, uint256 amount) external tracked {
        uint256 i = operatorSeed % _operators.length;
        address operator = _operators[i];
        uint8 roles = staking.getOperator(operator).roles;
        if (roles == 0) roles = _homeRoles[i];
        amount = bound(amount, 1, 3_000e18);
        _before();
        vm.prank(operator);
        try staking.stake(amount, roles) {
            _ok("stake");
        } catch {
            _discard();
        }
    }

    /// @notice Unstakes up to the whole active stake: more than the free stake must fail (locked collateral).
    function unstake(uint256 operatorSeed, uint256 amount) external tracked {
        address operator = _operators[operatorSeed % _operators.length];
        IStaking.Operator memory op = staking.getOperator(operator);
        if (op.active == 0) return;
        amount = bound(amount, 1, op.active);
        uint256 free = uint256(op.active) - op.locked;
        _before();
        vm.prank(operator);
        try staking.unstake(amount) {
            _ok("unstake");
            if (amount > free) _flag(V_STAKE, "locked collateral was unstaked");
        } catch {
            _discard();
        }
    }

    function withdrawStake(uint256 operatorSeed, bool lateFirst) external tracked {
        address operator = _operators[operatorSeed % _operators.length];
        IStaking.Operator memory op = staking.getOperator(operator);
        if (op.unbonding == 0) return;
        if (lateFirst) _warpTo(op.unbondingReleaseAt);
        uint256 walletBefore = token.balanceOf(operator);
        _before();
        vm.prank(operator);
        try staking.withdraw() returns (uint256 amount) {
            _ok("withdrawStake");
            if (block.timestamp < op.unbondingReleaseAt) _flag(V_STAKE, "unbonding stake withdrawn before release");
            if (amount != op.unbonding || token.balanceOf(operator) != walletBefore + amount) {
                _flag(V_STAKE, "stake withdrawal paid a different amount");
            }
        } catch {
            _discard();
        }
    }

    /// @notice Mostly back to the operator's home roles; one time in three any roles (none included).
    function setRoles(uint256 operatorSeed, uint8 rolesSeed) external tracked {
        uint256 i = operatorSeed % _operators.length;
        uint8 roles = rolesSeed % 3 == 0 ? (rolesSeed >> 2) % 4 : _homeRoles[i];
        _before();
        vm.prank(_operators[i]);
        try staking.setRoles(roles) {
            _ok("setRoles");
        } catch {
            _discard();
        }
    }

    function refresh(uint256 operatorSeed, uint256 callerSeed) external tracked {
        _before();
        vm.prank(_anyone(callerSeed));
        try staking.refresh(_operators[operatorSeed % _operators.length]) {
            _ok("refresh");
        } catch {
            _discard();
        }
    }

    // --------------------------------------------------------------------------------------- actions: environment

    function warp(uint256 seconds_, uint256 blocks) external tracked {
        currentTime += bound(seconds_, 1, 1_200);
        currentBlock += bound(blocks, 1, 30);
        vm.warp(currentTime);
        vm.roll(currentBlock);
    }

    /// @notice A long run of blocks: expires unread randomness tickets (> 256 blocks).
    function roll(uint256 blocks) external tracked {
        currentBlock += bound(blocks, 200, 600);
        currentTime += 12;
        vm.warp(currentTime);
        vm.roll(currentBlock);
    }

    function reseed(bytes32 salt_) external tracked {
        salt = salt_;
    }

    /// @notice Direct token transfers to Settlement or Staking (outside every accounted path).
    function donate(uint256 amount, bool toStaking) external tracked {
        amount = bound(amount, 1, 500e18);
        address to = toStaking ? address(staking) : address(settlement);
        token.transfer(to, amount);
        if (toStaking) {
            ghostStakingIn += amount;
            ghostStakingSurplus += amount;
        } else {
            ghostSettlementIn += amount;
            ghostSettlementSurplus += amount;
        }
        successes["donate"]++;
    }

    /// @notice Governance recovers the surplus of Staking (to Settlement) or of Settlement (to the treasury).
    function recoverSurplus(bool fromStaking) external tracked {
        _before();
        vm.prank(governance);
        if (fromStaking) {
            try staking.recoverSurplus() {
                _ok("recoverStaking");
            } catch {
                _discard();
            }
        } else {
            try settlement.recoverSurplus() {
                _ok("recoverSettlement");
            } catch {
                _discard();
            }
        }
    }

    /// @notice Governance changes parameters mid-campaign, within the hard bounds (and so that panels stay
    ///         drawable): hub, court, committee module, optimistic module or staking.
    function govern(uint256 which, uint256 seed) external tracked {
        which %= 5;
        if (seed % 64 == 0)
            _disableMode(uint8((seed >> 8) % 3)); // rare: a mode closes for good
        else if (which == 0) _governHub(seed);
        else if (which == 1) _governCourt(seed);
        else if (which == 2) _governCommittee(seed);
        else if (which == 3) _governOptimistic(seed);
        else _governStaking(seed);
    }

    // ------------------------------------------------------------------------------------------ actions: probes

    /// @notice Invariant 5: protocol-only and owner-only functions called by anyone else must revert.
    function probeAccess(uint256 which, uint256 callerSeed, uint256 amount) external tracked {
        uint256 n = _accounts.length;
        address caller = callerSeed % (n + 1) == n ? address(this) : _accounts[callerSeed % (n + 1)];
        if (caller == address(this)) caller = OUTSIDER;
        address victim = _operators[amount % _operators.length];
        amount = bound(amount, 1, 1_000e18);
        uint256 id = _ids.length == 0 ? 1 : _ids[callerSeed % _ids.length];
        bool succeeded = _probe(which % 16, caller, victim, amount, id);
        if (succeeded) {
            _flush();
            _flag(V_ACCESS, "a protocol-only or owner-only function accepted an outsider");
        } else {
            _discard();
        }
        successes["probe"]++;
    }

    /// @notice A party of a request (worker, requester, challenger; committee members for the jury) tries to vote
    ///         or attest on it: must revert (parties are never drawn).
    function partyVote(uint256 requestSeed, uint256 partySeed) external tracked {
        (uint256 id, bool found) = _pick(requestSeed, K_SUBMITTED);
        if (!found) return;
        IDisputeCourt.Case memory c = court.getCase(id);
        address worker = hub.getRequest(id).worker;
        if (c.phase == IDisputeCourt.Phase.Voting) {
            address party = _partyOf(id, c, partySeed);
            bytes32 commitment = court.voteCommitment(id, c.round, party, true, salt);
            _before();
            vm.prank(party);
            try court.commitVote(id, commitment) {
                _flush();
                _flag(V_LIFECYCLE, "a party voted on its own request");
            } catch {
                _discard();
                successes["partyVoteRefused"]++;
            }
            return;
        }
        if (_g[id].mode != MODE_COMMITTEE || committee.roundOf(id).seats == 0) return;
        address member = partySeed % 2 == 0 ? worker : _g[id].requester;
        _before();
        vm.prank(member);
        try committee.commitAttestation(id, keccak256(abi.encode(id, member))) {
            _flush();
            _flag(V_LIFECYCLE, "a party attested on its own request");
        } catch {
            _discard();
            successes["partyAttestRefused"]++;
        }
    }

    /// @notice Tries to settle an already terminal request again through every entry point; none may succeed.
    function resettle(uint256 requestSeed, uint256 which) external tracked {
        uint256 n = _ids.length;
        if (n == 0) return;
        uint256 id = _ids[requestSeed % n];
        if (!_isTerminal(_storedStatus(id))) return;
        address worker = hub.getRequest(id).worker;
        bool succeeded;
        which %= 6;
        uint256[] memory ids = new uint256[](1);
        ids[0] = id;
        _before();
        vm.prank(which == 1 || which == 2 ? worker : _anyone(requestSeed));
        if (which == 0) {
            try hub.finalize(id) {
                succeeded = true;
            } catch {}
        } else if (which == 1) {
            try hub.submitResult(id, RIGHT_OUTPUT, false) {
                succeeded = true;
            } catch {}
        } else if (which == 2) {
            try hub.decline(id, "again") {
                succeeded = true;
            } catch {}
        } else if (which == 3) {
            try hub.reassign(id) {
                succeeded = true;
            } catch {}
        } else if (which == 4) {
            try hub.processBatch(ids) returns (uint256 done) {
                succeeded = done != 0;
            } catch {}
        } else {
            try court.resolve(id) {
                succeeded = true;
            } catch {}
        }
        if (succeeded) {
            _flush();
            _flag(V_SETTLE, "a terminal request was settled again");
        } else {
            _discard();
        }
        successes["resettle"]++;
    }

    // ------------------------------------------------------------------------------------------------- views

    function requestIds() external view returns (uint256[] memory) {
        return _ids;
    }

    function accounts() external view returns (address[] memory) {
        return _accounts;
    }

    function operators() external view returns (address[] memory) {
        return _operators;
    }

    function ghost(uint256 requestId) external view returns (Ghost memory) {
        return _g[requestId];
    }

    /// @notice Σ the ghost collateral of the jobs `operator` backs now (from WorkerAssigned and the releases).
    function ghostLocked(address operator) external view returns (uint256 sum) {
        for (uint256 i; i < _ids.length; ++i) {
            Ghost storage g = _g[_ids[i]];
            if (g.holder == operator) sum += g.collateral;
        }
    }

    // ===================================================================================== internal: lifecycle steps

    uint8 internal constant K_REQUESTED = 0;
    uint8 internal constant K_SUBMITTED = 1;
    uint8 internal constant K_OPTIMISTIC = 2;
    uint8 internal constant K_COMMITTEE = 3;
    uint8 internal constant K_CASE = 4;
    uint8 internal constant K_CALLBACK = 5;
    uint8 internal constant K_OPEN = 6;

    /// @dev One step of request `id` along a path chosen by `c`; false once it is terminal.
    function _step(uint256 id, uint256 c) internal returns (bool) {
        IInferenceHub.Status status = _storedStatus(id);
        if (_isTerminal(status)) return false;
        if (status == IInferenceHub.Status.Requested) {
            uint256 r = c % 10;
            if (r == 0) _decline(id);
            else if (r == 1) {
                _warpPast(hub.getRequest(id).deadline);
                _reassign(id, c >> 8);
            } else {
                _submit(id, (c >> 8) % 3 == 0, (c >> 16) % 10 == 0);
            }
            return true;
        }
        (IDisputeCourt.Outcome outcome, ) = court.outcomeOf(id);
        if (outcome == IDisputeCourt.Outcome.Pending) {
            _stepCase(id, c);
        } else if (outcome != IDisputeCourt.Outcome.None) {
            _finalize(id, false);
        } else if (_g[id].mode == MODE_OPTIMISTIC) {
            if (c % 8 < (_g[id].wrong ? 6 : 1)) _challenge(id, c >> 8);
            else _finalize(id, true);
        } else if (_g[id].mode == MODE_COMMITTEE) {
            _stepCommittee(id, c);
        } else {
            _finalize(id, false);
        }
        return true;
    }

    function _stepCommittee(uint256 id, uint256 c) internal {
        ICommitteeModule.Round memory round = committee.roundOf(id);
        if (round.seats == 0) {
            if (c % 10 == 0)
                _finalize(id, true); // nobody draws in time: Refunded
            else _drawCommittee(id);
            return;
        }
        address[] memory members = committee.committeeOf(id);
        if (currentTime <= round.commitDeadline && c % 12 != 0) {
            for (uint256 i; i < members.length; ++i) {
                address m = members[(i + (c >> 8)) % members.length];
                if (committee.attestationOf(id, m).committed) continue;
                _commitAttestation(id, m, uint8(c >> 16), c >> 24);
                return;
            }
        }
        if (currentTime <= round.revealDeadline && c % 12 != 1) {
            for (uint256 i; i < members.length; ++i) {
                address m = members[(i + (c >> 8)) % members.length];
                ICommitteeModule.Attestation memory a = committee.attestationOf(id, m);
                if (!a.committed || a.revealed) continue;
                if (round.committedSeats < round.seats) _warpPast(round.commitDeadline);
                _revealAttestation(id, m);
                return;
            }
        }
        if (round.revealedSeats < round.seats) _warpPast(round.revealDeadline);
        round = committee.roundOf(id);
        if (round.agreeSeats >= round.quorum && round.disagreeSeats == 0) _finalize(id, false);
        else _escalate(id);
    }

    function _stepCase(uint256 id, uint256 c) internal {
        IDisputeCourt.Case memory cs = court.getCase(id);
        if (cs.phase == IDisputeCourt.Phase.Drawing) {
            if (c % 12 == 0) {
                _warpPast(cs.drawDeadline); // nobody draws in time: Undecided
                _resolve(id);
            } else if (c % 5 == 0 && _g[id].mode == MODE_OPTIMISTIC && cs.round == 1) {
                _challenge(id, c >> 8); // a later challenger joins
            } else {
                _drawJury(id);
            }
            return;
        }
        address[] memory jurors = court.juryOf(id, cs.round);
        if (c % 7 == 0 || (cs.committedSeats == 0 && c % 3 == 0)) {
            // The rest of the jury stays silent: with no vote yet this is a tie (appeal, or Undecided in round 2).
            _warpPast(cs.revealDeadline);
            _resolve(id);
            return;
        }
        if (currentTime <= cs.commitDeadline && c % 10 != 0) {
            if (c % 7 == 0 && _g[id].mode == MODE_OPTIMISTIC && cs.round == 1) {
                _challenge(id, c >> 8);
                return;
            }
            for (uint256 i; i < jurors.length; ++i) {
                address j = jurors[(i + (c >> 8)) % jurors.length];
                if (court.ballotOf(id, cs.round, j).committed) continue;
                _commitVote(id, cs.round, j, uint8(c >> 16), c >> 24);
                return;
            }
        }
        if (currentTime <= cs.revealDeadline && c % 10 != 1) {
            for (uint256 i; i < jurors.length; ++i) {
                address j = jurors[(i + (c >> 8)) % jurors.length];
                IDisputeCourt.Ballot memory b = court.ballotOf(id, cs.round, j);
                if (!b.committed || b.revealed) continue;
                if (cs.committedSeats < cs.seats) _warpPast(cs.commitDeadline);
                _revealVote(id, cs.round, j);
                return;
            }
        }
        if (cs.revealedSeats < cs.seats) _warpPast(cs.revealDeadline);
        _resolve(id);
    }

    // ===================================================================================== internal: protocol calls

    function _request(address requester, uint256 modelId, uint256 seed, uint256 callbackSeed) internal {
        if (_ids.length >= MAX_REQUESTS) return;
        uint32 callbackGas;
        if (requester == address(consumer)) {
            consumer.setBehaviour(uint8(callbackSeed));
            callbackGas = uint32(bound(callbackSeed >> 8, 0, 150_000));
            uint32 maxGas = hub.params().maxCallbackGas;
            if (callbackGas > maxGas) callbackGas = maxGas;
        }
        IInferenceHub.RequestParams memory params = _requestParams(modelId, seed, callbackGas);
        if (requester == permitRequester) requester = _requesters[0];
        _ensureBalance(requester, params.maxFee);
        _before();
        vm.prank(requester);
        try hub.request(params) returns (uint256 id) {
            _flush();
            _recordRequest(id, requester);
            successes["request"]++;
        } catch {
            _discard();
        }
    }

    function _requestParams(
        uint256 modelId,
        uint256 seed,
        uint32 callbackGas
    ) internal view returns (IInferenceHub.RequestParams memory params) {
        (uint256 modelFee, uint256 protocolFee) = hub.quote(modelId);
        params.modelId = modelId;
        if (seed % 5 == 0) {
            params.inputUri = "ipfs://input";
            params.inputHash = keccak256(abi.encode(seed));
        } else {
            params.input = abi.encodePacked(bytes5(0x4f50470101), seed);
        }
        params.callbackGasLimit = callbackGas;
        params.maxFee = modelFee + protocolFee + uint256(callbackGas) * hub.params().callbackFeePerGas;
    }

    function _recordRequest(uint256 id, address requester) internal {
        IInferenceHub.Request memory r = hub.getRequest(id);
        Ghost storage g = _g[id];
        g.requester = requester;
        g.mode = r.mode;
        g.fee = uint256(r.modelFee) + r.protocolFee;
        g.callbackFee = r.callbackFee;
        if (r.requester != requester) _flag(V_BOOKS, "request recorded for another requester");
        _ids.push(id);
    }

    function _repriceMaybe(uint256 modelSeed, uint256 feeSeed) internal {
        if (feeSeed % 4 != 0) return;
        uint96 fee = uint96(bound(feeSeed >> 8, registry.minFee(), 20e18));
        uint256 modelId = _models[modelSeed % 3];
        vm.prank(modelOwner);
        try registry.setFee(modelId, fee) {
            successes["setFee"]++;
        } catch {}
    }

    function _submit(uint256 id, bool wrong, bool isError) internal {
        address worker = hub.getRequest(id).worker;
        _before();
        vm.prank(worker);
        try hub.submitResult(id, wrong ? WRONG_OUTPUT : RIGHT_OUTPUT, isError) {
            _g[id].wrong = wrong;
            _ok("submit");
        } catch {
            _discard();
            return;
        }
        // A worker that posted a wrong result tries to escape its slash: it unbonds all its free stake.
        uint256 free = staking.freeStake(worker);
        if (!wrong || uint256(keccak256(abi.encode(salt, id))) % 2 == 0 || free == 0) return;
        _before();
        vm.prank(worker);
        try staking.unstake(free) {
            _ok("flee");
        } catch {
            _discard();
        }
    }

    function _decline(uint256 id) internal {
        address worker = hub.getRequest(id).worker;
        _before();
        vm.prank(worker);
        try hub.decline(id, "unreachable") {
            _ok("decline");
        } catch {
            _discard();
        }
    }

    function _reassign(uint256 id, uint256 callerSeed) internal {
        _before();
        vm.prank(_anyone(callerSeed));
        try hub.reassign(id) {
            _ok("reassign");
        } catch {
            _discard();
        }
    }

    function _finalize(uint256 id, bool lateFirst) internal {
        if (lateFirst) _warpPast(hub.getRequest(id).deadline);
        _before();
        vm.prank(OUTSIDER);
        try hub.finalize(id) {
            _ok("finalize");
        } catch {
            _discard();
        }
    }

    /// @dev Any verifier-capable operator (the worker or the requester included: they must be refused).
    function _challenge(uint256 id, uint256 seed) internal {
        address challenger = _verifiers[seed % _verifiers.length];
        address worker = hub.getRequest(id).worker;
        _ensureBalance(challenger, court.params().challengeBond);
        _before();
        vm.prank(challenger);
        try optimistic.challenge(id) {
            _ok("challenge");
            if (challenger == worker || challenger == _g[id].requester) {
                _flag(V_PANEL, "a party of the request challenged it");
            }
        } catch {
            _discard();
        }
    }

    function _drawCommittee(uint256 id) internal {
        uint256 ticket = committee.roundOf(id).ticket;
        _readyTicket(ticket);
        _before();
        vm.prank(OUTSIDER);
        try committee.drawCommittee(id) {
            _ok("drawCommittee");
        } catch {
            _discard();
        }
    }

    function _commitAttestation(uint256 id, address member, uint8 behaviour, uint256 seed) internal {
        bool agree;
        behaviour %= 8;
        if (behaviour < 6) agree = !_g[id].wrong;
        else if (behaviour == 6) agree = true;
        else agree = seed % 2 == 0;
        bytes32 s = keccak256(abi.encode(salt, id, member, seed));
        bytes32 commitment = committee.attestationCommitment(id, member, agree, s);
        _before();
        vm.prank(member);
        try committee.commitAttestation(id, commitment) {
            _salts[id][0][member] = s;
            _choices[id][0][member] = agree;
            _ok("commitAttestation");
        } catch {
            _discard();
        }
    }

    function _revealAttestation(uint256 id, address member) internal {
        _before();
        vm.prank(member);
        try committee.revealAttestation(id, _choices[id][0][member], _salts[id][0][member]) {
            _ok("revealAttestation");
        } catch {
            _discard();
        }
    }

    function _escalate(uint256 id) internal {
        _before();
        vm.prank(OUTSIDER);
        try committee.escalate(id) {
            _ok("escalate");
        } catch {
            _discard();
        }
    }

    function _drawJury(uint256 id) internal {
        _readyTicket(court.getCase(id).ticket);
        _before();
        vm.prank(OUTSIDER);
        try court.drawJury(id) {
            _ok("drawJury");
        } catch {
            _discard();
        }
    }

    function _commitVote(uint256 id, uint8 round, address juror, uint8 behaviour, uint256 seed) internal {
        bool uphold;
        behaviour %= 8;
        if (behaviour < 5) uphold = !_g[id].wrong;
        else if (behaviour == 5) uphold = true;
        else uphold = seed % 2 == 0;
        bytes32 s = keccak256(abi.encode(salt, id, round, juror, seed));
        bytes32 commitment = court.voteCommitment(id, round, juror, uphold, s);
        _before();
        vm.prank(juror);
        try court.commitVote(id, commitment) {
            _salts[id][round][juror] = s;
            _choices[id][round][juror] = uphold;
            _ok("commitVote");
        } catch {
            _discard();
        }
    }

    function _revealVote(uint256 id, uint8 round, address juror) internal {
        _before();
        vm.prank(juror);
        try court.revealVote(id, _choices[id][round][juror], _salts[id][round][juror]) {
            _ok("revealVote");
        } catch {
            _discard();
        }
    }

    /// @dev On a rejection, checks invariant 4's "unbonding stake stays slashable": the worker loses exactly
    ///      max(⌈slashBps × slashable⌉, collateral), capped at its slashable stake (collateral + free active +
    ///      unbonding), whatever it moved to unbonding after posting the wrong result.
    function _resolve(uint256 id) internal {
        IDisputeCourt.Case memory c = court.getCase(id);
        uint256 slashable = staking.slashableStake(c.worker, c.collateral);
        uint256 unbonding = staking.getOperator(c.worker).unbonding;
        uint256 slashBps = court.params().slashBps;
        _before();
        vm.prank(OUTSIDER);
        try court.resolve(id) {
            _ok("resolve");
        } catch {
            _discard();
            return;
        }
        (IDisputeCourt.Outcome outcome, ) = court.outcomeOf(id);
        if (outcome != IDisputeCourt.Outcome.Rejected) return;
        uint256 expected = (slashable * slashBps + BPS - 1) / BPS;
        if (expected < c.collateral) expected = c.collateral;
        if (expected > slashable) expected = slashable;
        uint256 after_ = staking.slashableStake(c.worker, 0);
        if (after_ > slashable || slashable - after_ != expected) {
            _flag(V_STAKE, "worker slash differs from max(slashBps of slashable stake, collateral)");
        }
        if (staking.getOperator(c.worker).jailedUntil < block.timestamp + staking.params().jailDuration) {
            _flag(V_LIFECYCLE, "a rejected worker was not jailed");
        }
        if (unbonding != 0) successes["rejectedWithUnbonding"]++;
    }

    // ===================================================================================== internal: governance

    function _governHub(uint256 seed) internal {
        IInferenceHub.InferenceParams memory p = hub.params();
        p.protocolFeeBps = uint16(bound(seed, 0, 2_000));
        p.verifierShareBps = uint16(bound(seed >> 16, 0, 5_000));
        p.stakeToFeeRatio = uint16(bound(seed >> 32, 1, 20));
        p.livenessPenaltyBps = uint16(bound(seed >> 48, 0, 5_000));
        p.maxAttempts = uint8(bound(seed >> 64, 1, 5));
        p.declineThreshold = uint8(bound(seed >> 72, 1, 6));
        p.responseTimeout = uint32(bound(seed >> 80, 10, 900));
        p.maxCallbackGas = uint32(bound(seed >> 112, 0, 500_000));
        p.callbackFeePerGas = uint96(bound(seed >> 144, 0, 1e11));
        _before();
        vm.prank(governance);
        try hub.setParams(p) {
            _ok("governHub");
        } catch {
            _discard();
        }
    }

    function _governCourt(uint256 seed) internal {
        IDisputeCourt.CourtParams memory p = court.params();
        p.jurySize = uint8(5 + 2 * (seed % 4));
        p.appealJurySize = uint8(p.jurySize + 2 * bound(seed >> 8, 1, 4));
        p.maxChallengers = uint8(bound(seed >> 16, 1, 8));
        p.slashBps = uint16(bound(seed >> 24, 100, 10_000));
        p.defenderSlashBps = uint16(bound(seed >> 40, 100, 10_000));
        p.challengerRewardBps = uint16(bound(seed >> 56, 0, 5_000));
        p.voterRewardBps = uint16(bound(seed >> 72, 0, 5_000));
        p.nonRevealPenaltyBps = uint16(bound(seed >> 88, 1, 1_000));
        p.minorityPenaltyBps = uint16(bound(seed >> 104, 0, p.nonRevealPenaltyBps));
        p.drawWindow = uint32(bound(seed >> 120, 1_200, 3_600)); // longer than the randomness delay (96 blocks)
        p.commitWindow = uint32(bound(seed >> 136, 60, 1_200));
        p.revealWindow = uint32(bound(seed >> 152, 60, 1_200));
        p.challengeBond = uint96(bound(seed >> 168, 1e18, 200e18));
        _before();
        vm.prank(governance);
        try court.setParams(p) {
            _ok("governCourt");
        } catch {
            _discard();
        }
    }

    function _governCommittee(uint256 seed) internal {
        ICommitteeModule.CommitteeParams memory p;
        p.committeeSize = uint8(1 + 2 * (seed % 3));
        p.quorum = uint8(bound(seed >> 8, p.committeeSize / 2 + 1, p.committeeSize));
        p.silencePenaltyBps = uint16(bound(seed >> 16, 10, 1_000));
        p.drawWindow = uint32(bound(seed >> 32, 1_200, 3_600)); // longer than the randomness delay (96 blocks)
        p.commitWindow = uint32(bound(seed >> 64, 60, 900));
        p.revealWindow = uint32(bound(seed >> 96, 60, 900));
        _before();
        vm.prank(governance);
        try committee.setParams(p) {
            _ok("governCommittee");
        } catch {
            _discard();
        }
    }

    /// @dev New requests of the mode are refused from now on; open ones keep their module (liveness checks it).
    function _disableMode(uint8 mode) internal {
        _before();
        vm.prank(governance);
        try hub.disableModule(mode) {
            _ok("disableModule");
        } catch {
            _discard();
        }
    }

    function _governOptimistic(uint256 seed) internal {
        _before();
        vm.prank(governance);
        try optimistic.setChallengeWindow(uint32(bound(seed, 60, 1_800))) {
            _ok("governOptimistic");
        } catch {
            _discard();
        }
    }

    function _governStaking(uint256 seed) internal {
        IStaking.StakingParams memory p;
        p.minWorkerStake = uint128(bound(seed, 500e18, 2_500e18));
        p.minVerifierStake = uint128(bound(seed >> 72, 100e18, 1_500e18));
        p.unbondingDelay = uint32(bound(seed >> 144, 1 days, 14 days));
        p.jailDuration = uint32(bound(seed >> 176, 60, 2 days));
        _before();
        vm.prank(governance);
        try staking.setParams(p) {
            _ok("governStaking");
        } catch {
            _discard();
        }
    }

    // ===================================================================================== internal: probes

    function _probe(uint256 which, address caller, address victim, uint256 amount, uint256 id) internal returns (bool) {
        address[] memory one = new address[](1);
        one[0] = caller;
        uint256[] memory amounts = new uint256[](1);
        amounts[0] = amount;
        IInferenceHub.InferenceParams memory hubParams = hub.params();
        IStaking.StakingParams memory stakingParams = staking.params();
        IDisputeCourt.CourtParams memory courtParams = court.params();
        IDisputeCourt.Parties memory parties;
        parties.worker = victim;
        parties.requester = caller;
        IVerificationModule.Job memory job;
        job.worker = victim;
        job.requester = caller;
        _before();
        vm.prank(caller);
        if (which == 0) {
            try staking.slash(victim, amount, 0, true) {
                return true;
            } catch {}
        } else if (which == 1) {
            try staking.assignWorker(amount, address(0), address(0), 0) {
                return true;
            } catch {}
        } else if (which == 2) {
            try staking.unlockCollateral(victim, amount) {
                return true;
            } catch {}
        } else if (which == 3) {
            try settlement.credit(id, ISettlement.Source.Surplus, one, amounts, "probe") {
                return true;
            } catch {}
        } else if (which == 4) {
            try settlement.lockFee(id, victim, amount) {
                return true;
            } catch {}
        } else if (which == 5) {
            try settlement.lockBond(id, victim, amount) {
                return true;
            } catch {}
        } else if (which == 6) {
            try settlement.refundFee(id, caller, amount) {
                return true;
            } catch {}
        } else if (which == 7) {
            try settlement.payLocked(id, caller, amount) {
                return true;
            } catch {}
        } else if (which == 8) {
            try court.open(id, parties, caller, 0) {
                return true;
            } catch {}
        } else if (which == 9) {
            try court.join(id, caller, 0) {
                return true;
            } catch {}
        } else if (which == 10) {
            try registry.suspend(_models[amount % 3]) {
                return true;
            } catch {}
        } else if (which == 11) {
            try hub.setParams(hubParams) {
                return true;
            } catch {}
        } else if (which == 12) {
            try staking.setParams(stakingParams) {
                return true;
            } catch {}
        } else if (which == 13) {
            try court.setParams(courtParams) {
                return true;
            } catch {}
        } else if (which == 14) {
            try committee.onResult(id, job) {
                return true;
            } catch {}
        } else {
            try settlement.setPermissions(caller, 3) {
                return true;
            } catch {}
        }
        return false;
    }

    function _partyOf(uint256 id, IDisputeCourt.Case memory c, uint256 seed) internal view returns (address) {
        uint256 k = seed % 4;
        if (k == 0) return c.worker;
        if (k == 1) return c.requester;
        IDisputeCourt.Challenger[] memory challengers = court.challengersOf(id);
        if (k == 2 && challengers.length > 0) return challengers[seed % challengers.length].account;
        if (_g[id].mode == MODE_COMMITTEE) {
            address[] memory members = committee.committeeOf(id);
            if (members.length > 0) return members[seed % members.length];
        }
        return c.worker;
    }

    // ===================================================================================== internal: log replay

    function _before() internal {
        _flush();
    }

    function _ok(bytes32 action) internal {
        _flush();
        successes[action]++;
    }

    function _flush() internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory log = logs[i];
            if (log.topics.length == 0) continue;
            if (log.emitter == address(settlement)) _onSettlement(log);
            else if (log.emitter == address(staking)) _onStaking(log);
            else if (log.emitter == address(hub)) _onHub(log);
            else if (log.emitter == address(court)) _onCourt(log);
            else if (log.emitter == address(committee)) _onCommittee(log);
        }
    }

    function _discard() internal {
        vm.getRecordedLogs();
    }

    function _onSettlement(Vm.Log memory log) internal {
        bytes32 sig = log.topics[0];
        if (sig == ISettlement.Deposited.selector) {
            uint256 amount = abi.decode(log.data, (uint256));
            ghostBalance[_topicAddress(log, 1)] += amount;
            ghostSettlementIn += amount;
        } else if (sig == ISettlement.Withdrawn.selector) {
            uint256 amount = abi.decode(log.data, (uint256));
            address account = _topicAddress(log, 1);
            ghostBalance[account] = _sub(ghostBalance[account], amount, "withdrawn beyond the books");
            ghostSettlementOut += amount;
        } else if (sig == ISettlement.CreditsClaimed.selector) {
            uint256 amount = abi.decode(log.data, (uint256));
            ghostCredits = _sub(ghostCredits, amount, "claimed beyond the books");
            ghostSettlementOut += amount;
        } else if (sig == ISettlement.FeeLocked.selector) {
            uint256 amount = abi.decode(log.data, (uint256));
            address payer = _topicAddress(log, 2);
            ghostBalance[payer] = _sub(ghostBalance[payer], amount, "fee locked beyond the books");
            _g[uint256(log.topics[1])].feeLocked += amount;
        } else if (sig == ISettlement.FeeSplitPaid.selector) {
            (uint256 workerPay, uint256 royalty, uint256 verifierPay, uint256 treasuryPay) = abi.decode(
                log.data,
                (uint256, uint256, uint256, uint256)
            );
            uint256 total = workerPay + royalty + verifierPay + treasuryPay;
            _g[uint256(log.topics[1])].splitPaid += total;
            ghostCredits += total;
        } else if (sig == ISettlement.FeeRefunded.selector) {
            uint256 amount = abi.decode(log.data, (uint256));
            ghostBalance[_topicAddress(log, 2)] += amount;
            _g[uint256(log.topics[1])].refunded += amount;
        } else if (sig == ISettlement.FeeCredited.selector) {
            uint256 amount = abi.decode(log.data, (uint256));
            _g[uint256(log.topics[1])].callbackPaid += amount;
            ghostCredits += amount;
        } else if (sig == ISettlement.BondLocked.selector) {
            uint256 amount = abi.decode(log.data, (uint256));
            address account = _topicAddress(log, 2);
            ghostBalance[account] = _sub(ghostBalance[account], amount, "bond locked beyond the books");
            _g[uint256(log.topics[1])].bondLocked += amount;
        } else if (sig == ISettlement.Credited.selector) {
            uint256 amount = abi.decode(log.data, (uint256));
            Ghost storage g = _g[uint256(log.topics[1])];
            g.credited += amount;
            g.slashed += _pendingSlash;
            _pendingSlash = 0;
            ghostCredits += amount;
        } else if (sig == ISettlement.SurplusRecovered.selector) {
            uint256 amount = abi.decode(log.data, (uint256));
            ghostCredits += amount;
            ghostSettlementSurplus = _sub(ghostSettlementSurplus, amount, "settlement recovered beyond surplus");
        }
    }

    function _onStaking(Vm.Log memory log) internal {
        bytes32 sig = log.topics[0];
        if (sig == IStaking.Slashed.selector) {
            (uint256 fromActive, uint256 fromUnbonding) = abi.decode(log.data, (uint256, uint256));
            address slasher = _topicAddress(log, 2);
            if (slasher != address(hub) && slasher != address(court) && slasher != address(committee)) {
                _flag(V_ACCESS, "stake slashed by a non-protocol contract");
            }
            uint256 amount = fromActive + fromUnbonding;
            _pendingSlash += amount;
            ghostSlashed += amount;
            ghostStakingOut += amount;
            ghostSettlementIn += amount;
        } else if (sig == IStaking.Staked.selector) {
            (uint256 amount, ) = abi.decode(log.data, (uint256, uint8));
            ghostStakingIn += amount;
        } else if (sig == IStaking.StakeWithdrawn.selector) {
            ghostStakingOut += abi.decode(log.data, (uint256));
        } else if (sig == IStaking.SurplusRecovered.selector) {
            uint256 amount = abi.decode(log.data, (uint256));
            ghostStakingSurplus = _sub(ghostStakingSurplus, amount, "staking recovered beyond surplus");
            ghostStakingOut += amount;
            ghostSettlementIn += amount;
            ghostSettlementSurplus += amount;
        }
    }

    function _onHub(Vm.Log memory log) internal {
        if (log.topics.length < 2) return; // parameter and wiring events
        bytes32 sig = log.topics[0];
        uint256 id = uint256(log.topics[1]);
        Ghost storage g = _g[id];
        if (sig == IInferenceHub.WorkerAssigned.selector) {
            address worker = _topicAddress(log, 2);
            (, uint256 deadline, uint256 collateral) = abi.decode(log.data, (uint256, uint256, uint256));
            if (g.holder != address(0)) _flag(V_STAKE, "a job was assigned while its collateral was held");
            if (worker == hub.getRequest(id).requester || worker == address(0)) {
                _flag(V_PANEL, "the requester was assigned its own job");
            }
            // Role only: a later step of the same call (processBatch) may jail the worker after its assignment.
            if (staking.getOperator(worker).roles & ROLE_WORKER == 0) _flag(V_PANEL, "a non-worker was assigned");
            if (collateral != hub.collateralOf(id)) _flag(V_STAKE, "assigned collateral differs from the terms");
            g.holder = worker;
            g.collateral = collateral;
            g.responseDeadline = uint64(deadline);
        } else if (sig == IInferenceHub.WorkerDeclined.selector) {
            if (g.holder != _topicAddress(log, 2)) _flag(V_BOOKS, "decline by a worker that holds no job");
            if (block.timestamp > g.responseDeadline) _flag(V_LIFECYCLE, "a decline after the response deadline");
            g.holder = address(0);
            successes["declined"]++;
        } else if (sig == IInferenceHub.WorkerTimedOut.selector) {
            _onTimeOut(g, _topicAddress(log, 2), abi.decode(log.data, (uint256)));
        } else if (sig == IInferenceHub.ResultSubmitted.selector) {
            (, , , uint256 deadline) = abi.decode(log.data, (bytes32, bool, bytes, uint256));
            if (block.timestamp > g.responseDeadline) _flag(V_LIFECYCLE, "a result after the response deadline");
            if (g.holder != _topicAddress(log, 2)) _flag(V_BOOKS, "a result by a worker that holds no job");
            g.submitted = true;
            g.windowEnd = uint64(deadline);
        } else if (sig == IInferenceHub.RequestFinalized.selector) {
            _terminal(g, IInferenceHub.Status.Finalized);
            _checkFinality(id, g);
            if (g.holder != _topicAddress(log, 2)) _flag(V_STAKE, "finalized job's collateral not held");
            g.holder = address(0);
        } else if (sig == IInferenceHub.RequestRejected.selector) {
            _terminal(g, IInferenceHub.Status.Rejected);
            if (g.holder != address(0)) _flag(V_STAKE, "rejected job's collateral not released by the court");
            if (!g.caseResolved || g.outcome != uint8(IDisputeCourt.Outcome.Rejected)) {
                _flag(V_LIFECYCLE, "rejected without a court decision");
            }
        } else if (sig == IInferenceHub.RequestExpired.selector) {
            _terminal(g, IInferenceHub.Status.Expired);
            if (g.holder != address(0)) _flag(V_STAKE, "expired job's collateral still held");
        } else if (sig == IInferenceHub.RequestRefunded.selector) {
            _terminal(g, IInferenceHub.Status.Refunded);
            _checkRefund(id, g);
            if (g.holder != _topicAddress(log, 2)) _flag(V_STAKE, "refunded job's collateral not held");
            g.holder = address(0);
        } else if (sig == IInferenceHub.CallbackDelivered.selector) {
            if (++g.callbacks > 1) _flag(V_SETTLE, "a callback was delivered or cancelled twice");
        } else if (sig == IInferenceHub.CallbackCancelled.selector) {
            if (++g.callbacks > 1) _flag(V_SETTLE, "a callback was delivered or cancelled twice");
            g.callbackRefund += abi.decode(log.data, (uint256));
        }
    }

    /// @dev A late worker is penalised exactly `livenessPenaltyBps` of its job's collateral and jailed.
    function _onTimeOut(Ghost storage g, address worker, uint256 penalty) internal {
        if (g.holder != worker) _flag(V_BOOKS, "time-out of a worker that holds no job");
        if (block.timestamp <= g.responseDeadline) _flag(V_LIFECYCLE, "a worker timed out before its deadline");
        if (penalty != (g.collateral * hub.params().livenessPenaltyBps) / BPS) {
            _flag(V_LIFECYCLE, "a late worker's penalty differs from livenessPenaltyBps of its collateral");
        }
        if (staking.getOperator(worker).jailedUntil < block.timestamp + staking.params().jailDuration) {
            _flag(V_LIFECYCLE, "a late worker was not jailed");
        }
        g.holder = address(0);
        successes["timedOut"]++;
    }

    function _terminal(Ghost storage g, IInferenceHub.Status status) internal {
        if (++g.terminalEvents == 1) g.terminalStatus = uint8(status);
        else _flag(V_SETTLE, "a second terminal transition");
        successes[keccak256(abi.encode("terminal", status))]++;
    }

    /// @dev Invariant 8: no finality before the window ends or without the quorum.
    function _checkFinality(uint256 id, Ghost storage g) internal {
        if (g.mode == MODE_OPTIMISTIC) {
            (IDisputeCourt.Outcome outcome, ) = court.outcomeOf(id);
            if (outcome == IDisputeCourt.Outcome.None && block.timestamp <= g.windowEnd) {
                _flag(V_LIFECYCLE, "OPTIMISTIC finalized inside its challenge window");
            }
            if (outcome != IDisputeCourt.Outcome.None && outcome != IDisputeCourt.Outcome.Upheld) {
                _flag(V_LIFECYCLE, "OPTIMISTIC finalized against the court");
            }
        } else if (g.mode == MODE_COMMITTEE) {
            ICommitteeModule.Round memory r = committee.roundOf(id);
            if (r.escalated) {
                (IDisputeCourt.Outcome outcome, ) = court.outcomeOf(id);
                if (outcome != IDisputeCourt.Outcome.Upheld) _flag(V_LIFECYCLE, "COMMITTEE finalized against court");
            } else {
                if (r.seats == 0 || r.agreeSeats < r.quorum || r.disagreeSeats != 0) {
                    _flag(V_LIFECYCLE, "COMMITTEE finalized without a quorum of agreement");
                }
                if (block.number <= r.drawnAtBlock) _flag(V_LIFECYCLE, "COMMITTEE finalized in its draw block");
                if (r.revealedSeats < r.seats && block.timestamp <= r.revealDeadline) {
                    _flag(V_LIFECYCLE, "COMMITTEE finalized while reveals were open");
                }
            }
        }
    }

    function _checkRefund(uint256 id, Ghost storage g) internal {
        (IDisputeCourt.Outcome outcome, ) = court.outcomeOf(id);
        if (outcome == IDisputeCourt.Outcome.Undecided) return;
        if (g.mode == MODE_COMMITTEE) {
            ICommitteeModule.Round memory r = committee.roundOf(id);
            if (r.seats == 0 && block.timestamp > r.drawDeadline) return;
        }
        _flag(V_LIFECYCLE, "refunded without an undecided case or a missed committee draw");
    }

    function _onCourt(Vm.Log memory log) internal {
        if (log.topics.length < 2) return; // parameter and wiring events
        bytes32 sig = log.topics[0];
        uint256 id = uint256(log.topics[1]);
        Ghost storage g = _g[id];
        if (sig == IDisputeCourt.CaseOpened.selector) {
            address module = _topicAddress(log, 2);
            address expected = g.mode == MODE_OPTIMISTIC ? address(optimistic) : address(committee);
            if (module != expected) _flag(V_ACCESS, "a case was opened by another module");
            if (g.caseOpened) _flag(V_SETTLE, "a second case for one request");
            g.caseOpened = true;
            successes["caseOpened"]++;
        } else if (sig == IDisputeCourt.RoundOpened.selector) {
            (uint8 round, uint256 seats, , ) = abi.decode(log.data, (uint8, uint256, uint256, uint256));
            IDisputeCourt.CourtParams memory p = court.params();
            if (seats != (round == 1 ? p.jurySize : p.appealJurySize)) {
                _flag(V_PANEL, "a jury round opened with other than its configured seats");
            }
            if (round == 2) successes["appealed"]++;
        } else if (sig == IDisputeCourt.JuryDrawn.selector) {
            (, address[] memory seats, , ) = abi.decode(log.data, (uint8, address[], uint256, uint256));
            _checkJury(id, g, seats);
        } else if (sig == IDisputeCourt.ChallengerJoined.selector) {
            address challenger = _topicAddress(log, 2);
            if (challenger == g.requester || challenger == court.getCase(id).worker) {
                _flag(V_PANEL, "a party became a challenger of its own request");
            }
        } else if (sig == IDisputeCourt.CaseResolved.selector) {
            (uint8 outcome, uint256 uphold, uint256 reject) = abi.decode(log.data, (uint8, uint256, uint256));
            _onResolved(id, g, outcome, uphold, reject);
        } else if (sig == IDisputeCourt.Appealed.selector) {
            (uint8 round, uint256 uphold, uint256 reject) = abi.decode(log.data, (uint8, uint256, uint256));
            if (round != 1 || uphold != reject) _flag(V_LIFECYCLE, "an appeal of a decided or second round");
        } else if (sig == IDisputeCourt.Penalised.selector) {
            address account = _topicAddress(log, 2);
            bytes32 reason = log.topics[3];
            uint256 count = ++penalties[id][account][reason];
            bool once = reason == R_WORKER || reason == R_DEFENDER || reason == R_CHALLENGER;
            if (count > (once ? 1 : 2)) _flag(V_SETTLE, "an account was slashed twice for one fault");
            if (reason == R_WORKER) ++g.workerSlashes;
            successes[reason]++;
        }
    }

    /// @dev Invariant 7: exactly the round's seats, no party, only eligible verifiers.
    function _checkJury(uint256 id, Ghost storage g, address[] memory seats) internal {
        IDisputeCourt.Case memory c = court.getCase(id);
        if (seats.length != c.seats) _flag(V_PANEL, "a jury of other than its round's seats");
        IDisputeCourt.Challenger[] memory challengers = court.challengersOf(id);
        address[] memory members = g.mode == MODE_COMMITTEE ? committee.committeeOf(id) : new address[](0);
        for (uint256 i; i < seats.length; ++i) {
            address seat = seats[i];
            if (seat == c.worker || seat == c.requester || seat == g.requester) {
                _flag(V_PANEL, "the worker or the requester sits on its jury");
            }
            for (uint256 k; k < challengers.length; ++k) {
                if (seat == challengers[k].account) _flag(V_PANEL, "a challenger sits on its jury");
            }
            for (uint256 k; k < members.length; ++k) {
                if (seat == members[k]) _flag(V_PANEL, "a committee member sits on the jury");
            }
            if (staking.panelWeightOf(seat, ROLE_VERIFIER, c.ticketRequestedAt) == 0) {
                _flag(V_PANEL, "a juror without tickets in the draw's snapshot");
            }
        }
        successes["juryDrawn"]++;
    }

    function _onResolved(uint256 id, Ghost storage g, uint8 outcome, uint256 uphold, uint256 reject) internal {
        IDisputeCourt.Case memory c = court.getCase(id);
        if (g.caseResolved) _flag(V_SETTLE, "a case resolved twice");
        g.caseResolved = true;
        g.outcome = outcome;
        if (outcome == uint8(IDisputeCourt.Outcome.Upheld) && uphold <= reject) {
            _flag(V_LIFECYCLE, "upheld without a majority");
        }
        if (outcome == uint8(IDisputeCourt.Outcome.Rejected)) {
            if (reject <= uphold) _flag(V_LIFECYCLE, "rejected without a majority");
            if (g.holder != c.worker) _flag(V_STAKE, "rejected job's collateral not held by its worker");
            g.holder = address(0); // the worker's slash released it
            successes["rejected"]++;
        }
        if (outcome == uint8(IDisputeCourt.Outcome.Undecided)) {
            if (uphold != reject) _flag(V_LIFECYCLE, "undecided with a majority");
            if (uphold + reject > 0 && c.round != 2) _flag(V_LIFECYCLE, "undecided after round 1 only");
            successes["undecided"]++;
        }
        if (uphold + reject > 0 && block.number <= c.drawnAtBlock) {
            _flag(V_LIFECYCLE, "a case resolved in the block of its draw");
        }
    }

    function _onCommittee(Vm.Log memory log) internal {
        if (log.topics.length < 2) return; // parameter and wiring events
        bytes32 sig = log.topics[0];
        uint256 id = uint256(log.topics[1]);
        if (sig == ICommitteeModule.CommitteeDrawn.selector) {
            (address[] memory seats, , ) = abi.decode(log.data, (address[], uint256, uint256));
            if (seats.length != committee.params().committeeSize) {
                _flag(V_PANEL, "a committee of other than its configured seats");
            }
            address worker = hub.getRequest(id).worker;
            for (uint256 i; i < seats.length; ++i) {
                if (seats[i] == worker || seats[i] == _g[id].requester) {
                    _flag(V_PANEL, "the worker or the requester sits on its committee");
                }
                if (staking.panelWeightOf(seats[i], ROLE_VERIFIER, committee.roundOf(id).ticketRequestedAt) == 0) {
                    _flag(V_PANEL, "a member without tickets in the draw's snapshot");
                }
            }
            if (block.timestamp > committee.roundOf(id).drawDeadline) {
                _flag(V_LIFECYCLE, "a committee drawn after its draw deadline");
            }
            successes["committeeDrawn"]++;
        } else if (sig == ICommitteeModule.SilencePenalised.selector) {
            if (++silencePenalties[id][_topicAddress(log, 2)] > 1) _flag(V_SETTLE, "a member penalised twice");
            successes["silencePenalised"]++;
        } else if (sig == ICommitteeModule.Escalated.selector) {
            (uint256 agree, uint256 disagree) = abi.decode(log.data, (uint256, uint256));
            if (agree >= committee.roundOf(id).quorum && disagree == 0) {
                _flag(V_LIFECYCLE, "an approved committee round was escalated");
            }
            successes["escalated"]++;
        }
    }

    // ===================================================================================== internal: helpers

    /// @dev Per call: every surplus moves only by donations and recoveries; a credit falls only by its owner's claim.
    function _checkCall(uint256[] memory creditsBefore) internal {
        if (settlement.surplus() != ghostSettlementSurplus) {
            _flag(V_SOLVENCY, "Settlement surplus moved other than by a donation or a recovery");
        }
        uint256 stakingBalance = token.balanceOf(address(staking));
        uint256 owed = staking.totalStaked();
        if (stakingBalance < owed || stakingBalance - owed != ghostStakingSurplus) {
            _flag(V_SOLVENCY, "Staking surplus moved other than by a donation or a recovery");
        }
        for (uint256 i; i < creditsBefore.length; ++i) {
            address account = _accounts[i];
            uint256 credits = settlement.creditsOf(account);
            if (credits < creditsBefore[i] && !(account == _claimer && credits == 0)) {
                _flag(V_ACCESS, "a credit fell other than by its owner's claim");
            }
        }
    }

    function _creditsSnapshot() internal view returns (uint256[] memory credits) {
        credits = new uint256[](_accounts.length);
        for (uint256 i; i < credits.length; ++i) credits[i] = settlement.creditsOf(_accounts[i]);
    }

    function _pick(uint256 seed, uint8 kind) internal view returns (uint256 id, bool found) {
        uint256 n = _ids.length;
        if (n == 0) return (0, false);
        uint256 start = seed % n;
        for (uint256 k; k < n; ++k) {
            id = _ids[(start + k) % n];
            if (_matches(id, kind)) return (id, true);
        }
        return (0, false);
    }

    function _matches(uint256 id, uint8 kind) internal view returns (bool) {
        IInferenceHub.Status status = _storedStatus(id);
        if (kind == K_REQUESTED) return status == IInferenceHub.Status.Requested;
        if (kind == K_CALLBACK) return hub.getRequest(id).callbackPending;
        if (kind == K_OPEN) return !_isTerminal(status);
        if (status != IInferenceHub.Status.Submitted) return false;
        if (kind == K_SUBMITTED) return true;
        if (kind == K_OPTIMISTIC) return _g[id].mode == MODE_OPTIMISTIC;
        if (kind == K_COMMITTEE) return _g[id].mode == MODE_COMMITTEE;
        IDisputeCourt.Phase phase = court.getCase(id).phase;
        return phase == IDisputeCourt.Phase.Drawing || phase == IDisputeCourt.Phase.Voting;
    }

    function _storedStatus(uint256 id) internal view returns (IInferenceHub.Status status) {
        (, status, , ) = hub.jobOf(id);
    }

    function _isTerminal(IInferenceHub.Status status) internal pure returns (bool) {
        return uint8(status) >= uint8(IInferenceHub.Status.Finalized);
    }

    /// @dev Requesters and verifiers hold free balance (fees, bonds).
    function _payer(uint256 seed) internal view returns (address) {
        uint256 n = _requesters.length + _verifiers.length;
        uint256 i = seed % n;
        return i < _requesters.length ? _requesters[i] : _verifiers[i - _requesters.length];
    }

    function _anyone(uint256 seed) internal view returns (address) {
        return _accounts[seed % _accounts.length];
    }

    /// @dev Tops up `account`'s free balance to `amount` (the permit requester through depositFor).
    function _ensureBalance(address account, uint256 amount) internal {
        uint256 balance = settlement.balanceOf(account);
        if (balance >= amount) return;
        if (account == permitRequester || account == address(consumer)) {
            settlement.depositFor(account, amount - balance);
        } else {
            vm.prank(account);
            settlement.deposit(amount - balance);
        }
    }

    /// @dev Makes a randomness ticket readable: the chain moves past it, and its block gets a hash from `salt`.
    function _readyTicket(uint256 ticket) internal {
        if (currentBlock <= ticket) {
            currentTime += 12 * (ticket + 1 - currentBlock);
            currentBlock = ticket + 1;
            vm.roll(currentBlock);
            vm.warp(currentTime);
        }
        if (currentBlock - ticket <= 256) vm.setBlockhash(ticket, keccak256(abi.encode(salt, ticket)));
    }

    function _nextBlock() internal {
        currentBlock += 1;
        currentTime += 12;
        vm.roll(currentBlock);
        vm.warp(currentTime);
    }

    function _warpPast(uint256 timestamp) internal {
        if (currentTime <= timestamp) {
            currentTime = timestamp + 1;
            vm.warp(currentTime);
        }
    }

    function _warpTo(uint256 timestamp) internal {
        if (currentTime < timestamp) {
            currentTime = timestamp;
            vm.warp(currentTime);
        }
    }

    function _addAccount(address account) internal {
        for (uint256 i; i < _accounts.length; ++i) if (_accounts[i] == account) return;
        _accounts.push(account);
    }

    function _topicAddress(Vm.Log memory log, uint256 i) internal pure returns (address) {
        return address(uint160(uint256(log.topics[i])));
    }

    function _sub(uint256 a, uint256 b, string memory what) internal returns (uint256) {
        if (b > a) {
            _flag(V_BOOKS, what);
            return 0;
        }
        return a - b;
    }

    function _flag(uint8 category, string memory what) internal {
        if (bytes(violation[category]).length == 0) violation[category] = what;
    }
}
