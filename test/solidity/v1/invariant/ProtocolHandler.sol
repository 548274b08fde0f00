// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {InferenceHubV1} from "../../../../contracts/v1/InferenceHubV1.sol";
import {ModelRegistryV1} from "../../../../contracts/v1/ModelRegistryV1.sol";
import {OPGToken} from "../../../../contracts/token/OPGToken.sol";
import {StakingV1} from "../../../../contracts/v1/StakingV1.sol";
import {IInferenceHubV1} from "../../../../contracts/v1/interfaces/IInferenceHubV1.sol";
import {IModelRegistryV1} from "../../../../contracts/v1/interfaces/IModelRegistryV1.sol";
import {IStakingV1} from "../../../../contracts/v1/interfaces/IStakingV1.sol";
import {MockConsumerV1} from "../../../../contracts/v1/mocks/MockConsumerV1.sol";
import {MockRandomnessV1} from "../../../../contracts/v1/mocks/MockRandomnessV1.sol";
import {BaseTest} from "../../utils/BaseTest.sol";
import {ProtocolDeployer} from "../utils/ProtocolDeployer.sol";
import {Vm} from "../../utils/Vm.sol";

/// @notice Drives the real protocol (token, registry, staking, hub, deterministic randomness) with a fixed actor set
///         and keeps ghost books that the invariants in ProtocolInvariants.t.sol compare with on-chain state.
/// @dev Every action bounds its fuzzed inputs, never reverts on an expected failure path (protocol calls sit in
///      try/catch) and is wrapped in `tracked`, which replays the recorded events into the ghost books and checks the
///      per-call properties (credits only fall by their owner's claim; slashes belong to a request).
///      Block time is kept in `currentTime` and re-applied at the start of every action.
contract ProtocolHandler is BaseTest {
    // ------------------------------------------------------------------------------------------------- constants

    uint256 public constant MAX_REQUESTS = 30;
    uint256 internal constant MAX_MODEL_FEE = 50e18;
    uint256 internal constant MAX_WARP = 700;
    uint256 internal constant BPS = 10_000;
    uint8 internal constant ROLE_WORKER = 1;
    uint8 internal constant ROLE_VERIFIER = 2;

    bytes32 internal constant VERIFIER_PAY = "verifier";

    bytes internal constant RIGHT_OUTPUT = hex"4f50470101800600000000000000000f4240";
    bytes internal constant WRONG_OUTPUT = hex"4f50470101800600000000000000001e8480";

    /// @notice Violation categories; each must stay empty (see ProtocolInvariants).
    uint8 public constant V_ACCESS = 1; // a non-hub slashed/locked/unlocked, or a non-owner set parameters
    uint8 public constant V_CREDIT = 2; // a credit fell other than by its owner's claim, or a claim paid wrongly
    uint8 public constant V_STAKE = 3; // locked stake unstaked, unbonding withdrawn early, or a slash missed stake
    uint8 public constant V_SETTLE = 4; // a terminal request settled again, or a worker slashed twice for one fault
    uint8 public constant V_BOOKS = 5; // a debit or slash the ghost books cannot attribute

    // ------------------------------------------------------------------------------------------------- system

    OPGToken public immutable token;
    ModelRegistryV1 public immutable registry;
    StakingV1 public immutable staking;
    InferenceHubV1 public immutable hub;
    MockRandomnessV1 public immutable randomness;
    MockConsumerV1 public immutable consumer;
    address public immutable treasury;
    address public immutable modelOwner;

    address[] internal _workers;
    address[] internal _verifiers;
    address[] internal _requesters;
    address[] internal _operators;
    address[] internal _accounts;
    uint256[3] internal _models;

    // ------------------------------------------------------------------------------------------------- ghosts

    struct GhostRequest {
        address requester;
        uint256 debit; // requester's free-balance decrease at request time
        uint256 feeCredits; // fee-split credits: RequestFinalized's royalty, worker and treasury pay + verifier Credited
        uint256 otherCredits; // credits with a bond/slash reason (bond-*, *-reward, remainder, penalty)
        uint256 refund; // refund reported by RequestRejected / RequestExpired
        uint256 bond; // bond posted by the challenger
        uint256 slashed; // stake slashed in calls on this request (liveness, juror and worker slashes)
        uint256 terminalEvents; // RequestFinalized + RequestRejected + RequestExpired
        IInferenceHubV1.Status terminalStatus; // the first terminal status reported
        uint256 workerSlashes; // WorkerSlashed events
        bool wrong; // the posted output was the wrong one
    }

    uint256 public currentTime;
    uint256 public ghostDeposited;
    uint256 public ghostWithdrawn;
    uint256 public ghostClaimed;
    uint256 public ghostStaked;
    uint256 public ghostStakeWithdrawn;
    uint256 public ghostSlashedTotal;

    uint256[] internal _requestIds;
    mapping(uint256 requestId => GhostRequest) internal _ghosts;
    mapping(uint256 requestId => mapping(address juror => uint256)) public ghostJurorPenalties;
    mapping(uint256 requestId => mapping(address juror => bytes32)) internal _salts;
    mapping(uint256 requestId => mapping(address juror => bool)) internal _votes;
    /// @notice Expected free hub balance: deposits − withdrawals − request debits − bonds + refunds.
    mapping(address account => uint256) public ghostBalance;
    /// @notice Expected credits: Σ Credited events − claims.
    mapping(address account => uint256) public ghostCredits;
    mapping(address operator => bool) public ghostEverSlashed;
    mapping(uint8 category => string) public violation;
    mapping(bytes32 action => uint256) public successes;

    /// @dev Request the current action is about (0: none); slashes are booked against it.
    uint256 internal _context;

    // ------------------------------------------------------------------------------------------------- setup

    struct Actors {
        address[] workers;
        address[] verifiers;
        address[] requesters; // the last one is `consumer`
        address modelOwner;
        uint256[3] models; // NONE, OPTIMISTIC, COMMITTEE
    }

    constructor(ProtocolDeployer.Protocol memory p, MockConsumerV1 consumer_, Actors memory actors) {
        token = p.token;
        registry = p.registry;
        staking = p.staking;
        hub = p.hub;
        randomness = p.randomness;
        treasury = p.treasury;
        consumer = consumer_;
        modelOwner = actors.modelOwner;
        _workers = actors.workers;
        _verifiers = actors.verifiers;
        _requesters = actors.requesters;
        _models = actors.models;
        for (uint256 i; i < actors.workers.length; ++i) _operators.push(actors.workers[i]);
        for (uint256 i; i < actors.verifiers.length; ++i) _operators.push(actors.verifiers[i]);
        for (uint256 i; i < _operators.length; ++i) _accounts.push(_operators[i]);
        for (uint256 i; i < actors.requesters.length; ++i) _accounts.push(actors.requesters[i]);
        _accounts.push(actors.modelOwner);
        _accounts.push(p.treasury);
        // Balances and credits that exist before the campaign (setup deposits).
        for (uint256 i; i < _accounts.length; ++i) {
            ghostBalance[_accounts[i]] = hub.balanceOf(_accounts[i]);
            ghostCredits[_accounts[i]] = hub.creditsOf(_accounts[i]);
            ghostDeposited += ghostBalance[_accounts[i]];
        }
        for (uint256 i; i < _operators.length; ++i) {
            IStakingV1.Operator memory op = staking.getOperator(_operators[i]);
            ghostStaked += uint256(op.active) + op.unbonding;
        }
        currentTime = block.timestamp;
    }

    // ------------------------------------------------------------------------------------------------- modifiers

    modifier tracked(address claimer) {
        vm.warp(currentTime);
        uint256[] memory creditsBefore = _creditsSnapshot();
        vm.recordLogs();
        _;
        _replayLogs();
        _checkCredits(creditsBefore, claimer);
        _context = 0;
    }

    // ----------------------------------------------------------------------------------------------- actions: balances

    function deposit(uint256 actorSeed, uint256 amount) external tracked(address(0)) {
        address actor = _payer(actorSeed);
        amount = bound(amount, 1, 1_000e18);
        vm.prank(actor);
        try hub.deposit(amount) {
            _booked(actor, amount);
            successes["deposit"]++;
        } catch {}
    }

    function withdraw(uint256 actorSeed, uint256 amount) external tracked(address(0)) {
        address actor = _payer(actorSeed);
        uint256 balance = hub.balanceOf(actor);
        if (balance == 0) return;
        amount = bound(amount, 1, balance);
        uint256 walletBefore = token.balanceOf(actor);
        vm.prank(actor);
        try hub.withdraw(amount) {
            ghostWithdrawn += amount;
            ghostBalance[actor] -= amount;
            if (token.balanceOf(actor) != walletBefore + amount) _flag(V_BOOKS, "withdraw paid a different amount");
            successes["withdraw"]++;
        } catch {}
    }

    function claimCredits(uint256 actorSeed) external tracked(_accounts[actorSeed % _accounts.length]) {
        address actor = _accounts[actorSeed % _accounts.length];
        uint256 credits = hub.creditsOf(actor);
        uint256 walletBefore = token.balanceOf(actor);
        vm.prank(actor);
        try hub.claimCredits() returns (uint256 amount) {
            if (amount != credits || token.balanceOf(actor) != walletBefore + credits) {
                _flag(V_CREDIT, "claim paid other than the owner's credit");
            }
            ghostClaimed += amount;
            ghostCredits[actor] -= amount;
            successes["claim"]++;
        } catch {}
    }

    // ----------------------------------------------------------------------------------------------- actions: requests

    /// @param feeSeed The model owner first reprices the model to a fee in [0, 50 OPG] (fee changes apply only to
    ///        requests made afterwards).
    function request(
        uint256 requesterSeed,
        uint256 modeSeed,
        uint256 feeSeed,
        uint256 callbackSeed
    ) external tracked(address(0)) {
        _request(requesterSeed, modeSeed, feeSeed, callbackSeed);
    }

    function _request(uint256 requesterSeed, uint256 modeSeed, uint256 feeSeed, uint256 callbackSeed) internal {
        if (_requestIds.length >= MAX_REQUESTS) return;
        address requester = _requesters[requesterSeed % _requesters.length];
        uint256 modelId = _models[modeSeed % 3];
        uint96 fee = uint96(bound(feeSeed, 0, MAX_MODEL_FEE));
        vm.prank(modelOwner);
        registry.setFee(modelId, fee);

        uint32 callbackGas;
        if (requester == address(consumer)) {
            consumer.setBehaviour(MockConsumerV1.Behaviour(callbackSeed % 4));
            callbackGas = uint32(bound(callbackSeed >> 8, 10_000, 200_000));
        }
        (uint256 modelFee, uint256 protocolFee) = hub.quote(modelId);
        uint256 total = modelFee + protocolFee;
        uint256 balance = hub.balanceOf(requester);
        if (balance < total) {
            vm.prank(requester);
            hub.deposit(total - balance);
            _booked(requester, total - balance);
        }

        IInferenceHubV1.RequestParams memory params = IInferenceHubV1.RequestParams({
            modelId: modelId,
            input: abi.encodePacked(bytes5(0x4f50470101), feeSeed),
            inputUri: "",
            inputHash: bytes32(0),
            callbackGasLimit: callbackGas,
            maxFee: total
        });
        uint256 before = hub.balanceOf(requester);
        vm.prank(requester);
        try hub.request(params) returns (uint256 requestId) {
            IInferenceHubV1.Request memory req = hub.getRequest(requestId);
            GhostRequest storage g = _ghosts[requestId];
            g.requester = requester;
            g.debit = before - hub.balanceOf(requester);
            if (g.debit != uint256(req.modelFee) + req.protocolFee || g.debit != total) {
                _flag(V_BOOKS, "request debit differs from the snapshotted fee");
            }
            ghostBalance[requester] -= g.debit;
            _requestIds.push(requestId);
            successes["request"]++;
        } catch {}
    }

    function submit(uint256 requestSeed, bool wrong, bool isError) external tracked(address(0)) {
        (uint256 id, bool found) = _pick(requestSeed, IInferenceHubV1.Status.Requested);
        if (found) _submit(id, wrong, isError, false);
    }

    /// @param lateFirst Moves time past the response deadline first (else only an already late worker is replaced).
    function reassign(uint256 requestSeed, bool lateFirst, uint256 callerSeed) external tracked(address(0)) {
        (uint256 id, bool found) = _pick(requestSeed, IInferenceHubV1.Status.Requested);
        if (found) _reassign(id, lateFirst, callerSeed);
    }

    // ------------------------------------------------------------------------------------------- actions: verification

    function challenge(uint256 requestSeed, uint256 verifierSeed) external tracked(address(0)) {
        (uint256 id, bool found) = _pick(requestSeed, IInferenceHubV1.Status.Submitted);
        if (found) _challenge(id, _verifiers[verifierSeed % _verifiers.length]);
    }

    /// @param honest An honest attester agrees exactly when the posted output is the right one.
    function attest(uint256 requestSeed, uint256 memberSeed, bool honest, bool agree) external tracked(address(0)) {
        (uint256 id, bool found) = _pick(requestSeed, IInferenceHubV1.Status.Submitted);
        if (!found) return;
        address[] memory members = hub.committeeOf(id);
        if (members.length == 0) return;
        _attest(id, members[memberSeed % members.length], honest ? !_ghosts[id].wrong : agree);
    }

    function commitVote(
        uint256 requestSeed,
        uint256 jurorSeed,
        bool honest,
        bool uphold,
        bytes32 salt
    ) external tracked(address(0)) {
        (uint256 id, bool found) = _pick(requestSeed, IInferenceHubV1.Status.Disputed);
        if (!found) return;
        address[] memory jurors = hub.jurorsOf(id);
        if (jurors.length == 0) return;
        _commit(id, jurors[jurorSeed % jurors.length], honest ? !_ghosts[id].wrong : uphold, salt);
    }

    /// @param afterCommitPhase Moves time past the commit deadline first.
    function revealVote(uint256 requestSeed, uint256 jurorSeed, bool afterCommitPhase) external tracked(address(0)) {
        (uint256 id, bool found) = _pick(requestSeed, IInferenceHubV1.Status.Disputed);
        if (!found) return;
        address[] memory jurors = hub.jurorsOf(id);
        if (jurors.length == 0) return;
        _reveal(id, jurors[jurorSeed % jurors.length], afterCommitPhase);
    }

    /// @param lateFirst Moves time past the reveal deadline first.
    function resolve(uint256 requestSeed, bool lateFirst, uint256 callerSeed) external tracked(address(0)) {
        (uint256 id, bool found) = _pick(requestSeed, IInferenceHubV1.Status.Disputed);
        if (found) _resolve(id, lateFirst, callerSeed);
    }

    /// @param lateFirst Moves time past the challenge/attestation window first.
    function finalize(uint256 requestSeed, bool lateFirst, uint256 callerSeed) external tracked(address(0)) {
        (uint256 id, bool found) = _pick(requestSeed, IInferenceHubV1.Status.Submitted);
        if (found) _finalize(id, lateFirst, callerSeed);
    }

    /// @notice Moves one open request (or a new one) 4 to 16 lifecycle steps along a fuzzed path: submit a right,
    ///         wrong or error result (a wrong worker may try to unbond its free stake) or time out; challenge,
    ///         attest or let the window pass; jurors commit, reveal or stay silent; resolve. Deep paths (disputes,
    ///         rejections, penalties) are so reached at the default campaign depth.
    function advance(uint256 requestSeed, uint256 choices) external tracked(address(0)) {
        successes["advanceCalls"]++;
        uint256 n = _requestIds.length;
        uint256 id;
        bool found;
        for (uint256 k; k < n && !found; ++k) {
            id = _requestIds[(requestSeed + k) % n];
            found = !_isTerminal(hub.getRequest(id).status);
        }
        if (!found) {
            // Nothing open: make a request first.
            _request(requestSeed, choices, choices >> 8, choices >> 16);
            if (_requestIds.length == n) return;
            id = _requestIds[n];
        }
        uint256 steps = 4 + (choices % 13);
        for (uint256 step; step < steps; ++step) {
            IInferenceHubV1.Request memory req = hub.getRequest(id);
            if (_isTerminal(req.status)) return;
            uint256 c = uint256(keccak256(abi.encode(choices, step)));
            if (req.status == IInferenceHubV1.Status.Requested) {
                if (c % 5 == 0) _reassign(id, true, c >> 8);
                else _submit(id, c % 3 == 1, (c >> 4) % 8 == 0, (c >> 12) % 2 == 0);
            } else if (req.status == IInferenceHubV1.Status.Submitted) {
                _advanceSubmitted(id, req, c);
            } else {
                _advanceDisputed(id, c);
            }
        }
    }

    /// @notice Batch of up to 12 ids drawn from the known ids (duplicates and non-Submitted ones included).
    function finalizeBatch(uint256 seed, uint256 count, bool lateFirst) external tracked(address(0)) {
        uint256 n = _requestIds.length;
        if (n == 0) return;
        uint256[] memory ids = new uint256[](bound(count, 1, 12));
        for (uint256 i; i < ids.length; ++i) {
            ids[i] = _requestIds[uint256(keccak256(abi.encode(seed, i))) % n];
        }
        if (lateFirst) _warpPast(hub.getRequest(ids[0]).deadline);
        vm.prank(_anyone(seed));
        try hub.finalizeBatch(ids) returns (uint256 finalized) {
            if (finalized != 0) successes["finalizeBatch"]++;
        } catch {}
    }

    /// @notice Tries to settle an already terminal request again through every entry point; none may succeed.
    function resettle(uint256 requestSeed, uint256 which) external tracked(address(0)) {
        uint256 n = _requestIds.length;
        if (n == 0) return;
        uint256 id = _requestIds[requestSeed % n];
        IInferenceHubV1.Request memory req = hub.getRequest(id);
        if (uint8(req.status) < uint8(IInferenceHubV1.Status.Finalized)) return;
        _context = id;
        uint256[] memory ids = new uint256[](1);
        ids[0] = id;
        bool succeeded;
        which %= 5;
        address caller = which == 1 ? req.worker : _anyone(requestSeed);
        vm.prank(caller);
        if (which == 0) {
            try hub.finalize(id) {
                succeeded = true;
            } catch {}
        } else if (which == 1) {
            try hub.submitResult(id, RIGHT_OUTPUT, false) {
                succeeded = true;
            } catch {}
        } else if (which == 2) {
            try hub.reassign(id) {
                succeeded = true;
            } catch {}
        } else if (which == 3) {
            try hub.resolveDispute(id) {
                succeeded = true;
            } catch {}
        } else {
            try hub.finalizeBatch(ids) returns (uint256 finalized) {
                succeeded = finalized != 0;
            } catch {}
        }
        if (succeeded) _flag(V_SETTLE, "a terminal request settled again");
        successes["resettle"]++;
    }

    // ------------------------------------------------------------------------------------------------ actions: staking

    function stake(uint256 operatorSeed, uint256 amount) external tracked(address(0)) {
        uint256 i = operatorSeed % _operators.length;
        address operator = _operators[i];
        amount = bound(amount, 1, 2_000e18);
        vm.prank(operator);
        try staking.stake(amount, i < _workers.length ? ROLE_WORKER : ROLE_VERIFIER) {
            ghostStaked += amount;
            successes["stake"]++;
        } catch {}
    }

    /// @notice Unstakes up to the whole active stake: more than the free stake must fail (locked collateral).
    function unstake(uint256 operatorSeed, uint256 amount) external tracked(address(0)) {
        address operator = _operators[operatorSeed % _operators.length];
        IStakingV1.Operator memory op = staking.getOperator(operator);
        if (op.active == 0) return;
        amount = bound(amount, 1, op.active);
        uint256 free = uint256(op.active) - op.locked;
        vm.prank(operator);
        try staking.unstake(amount) {
            if (amount > free) _flag(V_STAKE, "unstaked locked collateral");
            successes["unstake"]++;
        } catch {}
    }

    function withdrawStake(uint256 operatorSeed, bool lateFirst) external tracked(address(0)) {
        address operator = _operators[operatorSeed % _operators.length];
        IStakingV1.Operator memory op = staking.getOperator(operator);
        if (op.unbonding == 0) return;
        if (lateFirst) _warpPast(op.unbondingReleaseAt);
        uint256 walletBefore = token.balanceOf(operator);
        vm.prank(operator);
        try staking.withdraw() returns (uint256 amount) {
            if (block.timestamp < op.unbondingReleaseAt) _flag(V_STAKE, "unbonding stake withdrawn before release");
            if (amount != op.unbonding || token.balanceOf(operator) != walletBefore + amount) {
                _flag(V_STAKE, "stake withdrawal paid a different amount");
            }
            ghostStakeWithdrawn += amount;
            successes["withdrawStake"]++;
        } catch {}
    }

    function unjail(uint256 operatorSeed) external tracked(address(0)) {
        address operator = _operators[operatorSeed % _operators.length];
        vm.prank(operator);
        try staking.unjail() {
            successes["unjail"]++;
        } catch {}
    }

    // -------------------------------------------------------------------------------------------- actions: environment

    function warp(uint256 seconds_) external tracked(address(0)) {
        currentTime += bound(seconds_, 1, MAX_WARP);
        vm.warp(currentTime);
    }

    function reseed(bytes32 salt) external tracked(address(0)) {
        randomness.setSalt(salt);
    }

    /// @notice Invariant 5: hub-only and owner-only functions, called by anyone else, must revert.
    function probeAccessControl(uint256 which, uint256 callerSeed, uint256 amount) external tracked(address(0)) {
        // Every actor and this handler; never the hub or the owner (the test contract).
        address caller =
            callerSeed % (_accounts.length + 1) == _accounts.length
                ? address(this)
                : _accounts[callerSeed % (_accounts.length + 1)];
        address victim = _operators[amount % _operators.length];
        amount = bound(amount, 1, 1_000e18);
        IInferenceHubV1.HubParams memory hubParams = hub.params();
        IStakingV1.StakingParams memory stakingParams = staking.params();
        bool succeeded;
        which %= 6;
        vm.prank(caller);
        if (which == 0) {
            try staking.slash(victim, amount, true) {
                succeeded = true;
            } catch {}
        } else if (which == 1) {
            try staking.lockCollateral(victim, amount) {
                succeeded = true;
            } catch {}
        } else if (which == 2) {
            try staking.unlockCollateral(victim, amount) {
                succeeded = true;
            } catch {}
        } else if (which == 3) {
            hubParams.treasury = caller;
            try hub.setParams(hubParams) {
                succeeded = true;
            } catch {}
        } else if (which == 4) {
            try staking.setParams(stakingParams) {
                succeeded = true;
            } catch {}
        } else {
            try staking.setHub(caller) {
                succeeded = true;
            } catch {}
        }
        if (succeeded) _flag(V_ACCESS, "a hub-only or owner-only function accepted another caller");
        successes["probe"]++;
    }

    // ------------------------------------------------------------------------------------------------- views

    function requestIds() external view returns (uint256[] memory) {
        return _requestIds;
    }

    function accounts() external view returns (address[] memory) {
        return _accounts;
    }

    function operators() external view returns (address[] memory) {
        return _operators;
    }

    function ghost(uint256 requestId) external view returns (GhostRequest memory) {
        return _ghosts[requestId];
    }

    /// @notice Σ the collateral of the open (non-terminal) requests assigned to `worker`.
    function openCollateralOf(address worker) external view returns (uint256 sum) {
        for (uint256 i; i < _requestIds.length; ++i) {
            IInferenceHubV1.Request memory req = hub.getRequest(_requestIds[i]);
            if (req.worker == worker && uint8(req.status) < uint8(IInferenceHubV1.Status.Finalized)) {
                sum += hub.collateralOf(_requestIds[i]);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------- internal

    /// @param flee A worker posting a wrong result then unbonds all its free stake, trying to escape the slash.
    function _submit(uint256 id, bool wrong, bool isError, bool flee) internal {
        _context = id;
        address worker = hub.getRequest(id).worker;
        bytes memory output = wrong ? WRONG_OUTPUT : RIGHT_OUTPUT;
        vm.prank(worker);
        try hub.submitResult(id, output, isError) {
            _ghosts[id].wrong = wrong;
            successes["submit"]++;
        } catch {
            return;
        }
        uint256 free = staking.freeStake(worker);
        if (!wrong || !flee || free == 0) return;
        vm.prank(worker);
        try staking.unstake(free) {
            successes["flee"]++;
        } catch {}
    }

    function _reassign(uint256 id, bool lateFirst, uint256 callerSeed) internal {
        _context = id;
        if (lateFirst) _warpPast(hub.getRequest(id).deadline);
        vm.prank(_anyone(callerSeed));
        try hub.reassign(id) {
            successes["reassign"]++;
        } catch {}
    }

    function _challenge(uint256 id, address verifier) internal {
        _context = id;
        _ensureBond(verifier);
        vm.prank(verifier);
        try hub.challenge(id) {
            successes["challenge"]++;
        } catch {}
    }

    function _attest(uint256 id, address member, bool agree) internal {
        _context = id;
        if (!agree) _ensureBond(member);
        vm.prank(member);
        try hub.attest(id, agree) {
            successes["attest"]++;
        } catch {}
    }

    function _commit(uint256 id, address juror, bool uphold, bytes32 salt) internal {
        _context = id;
        bytes32 commitment = hub.voteCommitment(id, juror, uphold, salt);
        vm.prank(juror);
        try hub.commitVote(id, commitment) {
            _salts[id][juror] = salt;
            _votes[id][juror] = uphold;
            successes["commit"]++;
        } catch {}
    }

    function _reveal(uint256 id, address juror, bool afterCommitPhase) internal {
        _context = id;
        if (afterCommitPhase) _warpPast(hub.getDispute(id).commitDeadline);
        bool vote = _votes[id][juror];
        bytes32 salt = _salts[id][juror];
        vm.prank(juror);
        try hub.revealVote(id, vote, salt) {
            successes["reveal"]++;
        } catch {}
    }

    function _resolve(uint256 id, bool lateFirst, uint256 callerSeed) internal {
        _context = id;
        if (lateFirst) _warpPast(hub.getDispute(id).revealDeadline);
        address worker = hub.getRequest(id).worker;
        uint256 slashableBefore = staking.slashableStake(worker);
        uint256 unbondingBefore = staking.getOperator(worker).unbonding;
        uint256 collateral = hub.collateralOf(id);
        uint256 slashBps = hub.params().slashBps;
        vm.prank(_anyone(callerSeed));
        try hub.resolveDispute(id) {
            successes["resolve"]++;
            if (hub.getRequest(id).status == IInferenceHubV1.Status.Rejected) {
                successes["reject"]++;
                // Invariant 4: unbonding stake is slashable; the worker loses max(slashBps of everything it has
                // bonded or unbonding, its collateral), capped at what it has.
                uint256 expected = (slashableBefore * slashBps) / BPS;
                if (expected < collateral) expected = collateral;
                if (expected > slashableBefore) expected = slashableBefore;
                if (slashableBefore - staking.slashableStake(worker) != expected) {
                    _flag(V_STAKE, "worker slash differs from max(slashBps of slashable, collateral)");
                }
                if (unbondingBefore != 0) successes["rejectWithUnbonding"]++;
            }
        } catch {}
    }

    function _finalize(uint256 id, bool lateFirst, uint256 callerSeed) internal {
        _context = id;
        if (lateFirst) _warpPast(hub.getRequest(id).deadline);
        vm.prank(_anyone(callerSeed));
        try hub.finalize(id) {
            successes["finalize"]++;
        } catch {}
    }

    /// @dev OPTIMISTIC: challenge (7/8 of wrong results, 1/4 of right ones) or let the window pass.
    ///      COMMITTEE: the next silent member attests (honestly 3 times in 4), or the window passes (1/6).
    function _advanceSubmitted(uint256 id, IInferenceHubV1.Request memory req, uint256 c) internal {
        if (req.mode == IModelRegistryV1.VerificationMode.OPTIMISTIC) {
            if (c % 8 < (_ghosts[id].wrong ? 7 : 2)) _challenge(id, _verifiers[(c >> 8) % _verifiers.length]);
            else _finalize(id, true, c >> 16);
            return;
        }
        address[] memory members = hub.committeeOf(id);
        if (c % 6 != 0) {
            for (uint256 i; i < members.length; ++i) {
                address member = members[(i + (c >> 8)) % members.length];
                if (hub.attestationOf(id, member).acted) continue;
                _attest(id, member, (c >> 16) % 4 == 0 ? (c >> 24) % 2 == 0 : !_ghosts[id].wrong);
                return;
            }
        }
        _finalize(id, true, c >> 32);
    }

    /// @dev The next juror commits (honestly 3 times in 4) while the commit phase is open, then the committed jurors
    ///      reveal; 1 time in 16 the remaining jurors stay silent and time moves on; finally anyone resolves.
    function _advanceDisputed(uint256 id, uint256 c) internal {
        address[] memory jurors = hub.jurorsOf(id);
        IInferenceHubV1.Dispute memory dispute = hub.getDispute(id);
        bool silent = c % 16 == 0;
        if (!silent && currentTime <= dispute.commitDeadline) {
            for (uint256 i; i < jurors.length; ++i) {
                if (hub.ballotOf(id, jurors[i]).acted) continue;
                bool uphold = (c >> 8) % 4 == 0 ? (c >> 16) % 2 == 0 : !_ghosts[id].wrong;
                _commit(id, jurors[i], uphold, keccak256(abi.encode(c, i)));
                return;
            }
        }
        if (!silent && currentTime <= dispute.revealDeadline) {
            for (uint256 i; i < jurors.length; ++i) {
                IInferenceHubV1.Ballot memory ballot = hub.ballotOf(id, jurors[i]);
                if (!ballot.acted || ballot.revealed) continue;
                _reveal(id, jurors[i], dispute.commits < dispute.jurorCount);
                return;
            }
        }
        _resolve(id, true, c >> 24);
    }

    function _isTerminal(IInferenceHubV1.Status status) internal pure returns (bool) {
        return uint8(status) >= uint8(IInferenceHubV1.Status.Finalized);
    }

    function _replayLogs() internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory log = logs[i];
            if (log.topics.length == 0) continue;
            if (log.emitter == address(hub)) {
                _replayHubLog(log);
            } else if (log.emitter == address(staking) && log.topics[0] == IStakingV1.Slashed.selector) {
                (uint256 fromActive, uint256 fromUnbonding) = abi.decode(log.data, (uint256, uint256));
                ghostEverSlashed[address(uint160(uint256(log.topics[1])))] = true;
                ghostSlashedTotal += fromActive + fromUnbonding;
                if (_context == 0) _flag(V_BOOKS, "slash outside a request");
                _ghosts[_context].slashed += fromActive + fromUnbonding;
            }
        }
    }

    function _replayHubLog(Vm.Log memory log) internal {
        bytes32 sig = log.topics[0];
        if (sig == IInferenceHubV1.Credited.selector) {
            GhostRequest storage g = _ghosts[uint256(log.topics[1])];
            address account = address(uint160(uint256(log.topics[2])));
            bytes32 reason = log.topics[3];
            uint256 amount = abi.decode(log.data, (uint256));
            ghostCredits[account] += amount;
            if (reason == VERIFIER_PAY) {
                g.feeCredits += amount;
            } else {
                g.otherCredits += amount;
            }
        } else if (sig == IInferenceHubV1.RequestFinalized.selector) {
            // The three standard fee credits are reported by RequestFinalized (verifier pay by Credited above).
            uint256 id = uint256(log.topics[1]);
            (, , uint256 royalty, uint256 workerPay, , uint256 treasuryPay) = abi.decode(
                log.data,
                (bytes32, bool, uint256, uint256, uint256, uint256)
            );
            ghostCredits[address(uint160(uint256(log.topics[3])))] += royalty;
            ghostCredits[address(uint160(uint256(log.topics[2])))] += workerPay;
            ghostCredits[treasury] += treasuryPay;
            _ghosts[id].feeCredits += royalty + workerPay + treasuryPay;
            _terminal(id, IInferenceHubV1.Status.Finalized, 0);
        } else if (sig == IInferenceHubV1.RequestRejected.selector) {
            _terminal(uint256(log.topics[1]), IInferenceHubV1.Status.Rejected, abi.decode(log.data, (uint256)));
        } else if (sig == IInferenceHubV1.RequestExpired.selector) {
            _terminal(uint256(log.topics[1]), IInferenceHubV1.Status.Expired, abi.decode(log.data, (uint256)));
        } else if (sig == IInferenceHubV1.Challenged.selector) {
            uint256 bond = abi.decode(log.data, (uint256));
            _ghosts[uint256(log.topics[1])].bond += bond;
            successes["dispute"]++;
            ghostBalance[address(uint160(uint256(log.topics[2])))] -= bond;
        } else if (sig == IInferenceHubV1.WorkerSlashed.selector) {
            if (++_ghosts[uint256(log.topics[1])].workerSlashes > 1) _flag(V_SETTLE, "worker slashed twice");
        } else if (sig == IInferenceHubV1.WorkerTimedOut.selector) {
            successes["timeout"]++;
        } else if (sig == IInferenceHubV1.JurorPenalised.selector) {
            successes["jurorPenalty"]++;
            if (++ghostJurorPenalties[uint256(log.topics[1])][address(uint160(uint256(log.topics[2])))] > 1) {
                _flag(V_SETTLE, "juror penalised twice");
            }
        }
    }

    function _terminal(uint256 id, IInferenceHubV1.Status status, uint256 refund) internal {
        GhostRequest storage g = _ghosts[id];
        if (++g.terminalEvents == 1) g.terminalStatus = status;
        if (refund != 0) {
            g.refund += refund;
            ghostBalance[g.requester] += refund;
        }
        successes[status == IInferenceHubV1.Status.Finalized ? bytes32("finalized") : bytes32("refunded")]++;
    }

    function _creditsSnapshot() internal view returns (uint256[] memory credits) {
        credits = new uint256[](_accounts.length);
        for (uint256 i; i < credits.length; ++i) credits[i] = hub.creditsOf(_accounts[i]);
    }

    /// @dev Invariant 5: a credit only falls by its owner's claim (to zero).
    function _checkCredits(uint256[] memory before, address claimer) internal {
        for (uint256 i; i < before.length; ++i) {
            address account = _accounts[i];
            uint256 credits = hub.creditsOf(account);
            if (credits < before[i] && !(account == claimer && credits == 0)) {
                _flag(V_CREDIT, "a credit fell other than by its owner's claim");
            }
        }
    }

    function _pick(uint256 seed, IInferenceHubV1.Status status) internal view returns (uint256 id, bool found) {
        uint256 n = _requestIds.length;
        if (n == 0) return (0, false);
        uint256 start = seed % n;
        for (uint256 k; k < n; ++k) {
            id = _requestIds[(start + k) % n];
            if (hub.getRequest(id).status == status) return (id, true);
        }
        return (0, false);
    }

    /// @dev Requesters and verifiers hold hub balance (fees, bonds).
    function _payer(uint256 seed) internal view returns (address) {
        uint256 n = _requesters.length + _verifiers.length;
        uint256 i = seed % n;
        return i < _requesters.length ? _requesters[i] : _verifiers[i - _requesters.length];
    }

    function _anyone(uint256 seed) internal view returns (address) {
        return _accounts[seed % _accounts.length];
    }

    function _ensureBond(address verifier) internal {
        uint256 bond = hub.params().challengeBond;
        uint256 balance = hub.balanceOf(verifier);
        if (balance >= bond) return;
        vm.prank(verifier);
        hub.deposit(bond - balance);
        _booked(verifier, bond - balance);
    }

    function _booked(address account, uint256 amount) internal {
        ghostDeposited += amount;
        ghostBalance[account] += amount;
    }

    function _warpPast(uint256 timestamp) internal {
        if (currentTime <= timestamp) currentTime = timestamp + 1;
        vm.warp(currentTime);
    }

    function _flag(uint8 category, string memory what) internal {
        if (bytes(violation[category]).length == 0) violation[category] = what;
    }
}
