// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {IInferenceConsumerV1} from "./interfaces/IInferenceConsumerV1.sol";
import {IHubParamsBounds} from "./interfaces/IHubParamsBounds.sol";
import {IInferenceHubV1} from "./interfaces/IInferenceHubV1.sol";
import {IModelRegistryV1} from "./interfaces/IModelRegistryV1.sol";
import {IStakingV1} from "./interfaces/IStakingV1.sol";

/// @title InferenceHubV1
/// @notice Escrows request fees in OPG, assigns workers by stake, runs verification and disputes, and settles every
///         request exactly once into pull-payment credits.
/// @dev Token custody: the hub holds free balances, locked fees, challenge bonds and unclaimed credits (treasury
///      included); StakingV1 holds stakes and sends slashed stake here. Solvency (PROTOCOL.md invariant 1) is
///      `token.balanceOf(hub) == Σ balances + Σ locked fees + Σ open bonds + Σ credits`.
///      StakingV1, registry and randomness are trusted protocol contracts; the only untrusted external call is the
///      consumer callback, made last, with bounded gas, and its failure ignored.
///      Accepted risks are listed in docs/THREAT_MODEL.md.
contract InferenceHubV1 is IInferenceHubV1, Ownable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    // ------------------------------------------------------------------------------------------------- constants

    uint256 public constant BPS = 10_000;
    /// @notice Most ids one `finalizeBatch` call accepts.
    uint256 public constant MAX_BATCH = 100;
    /// @notice Draws tried before a request finds no worker (a drawn worker may lack free stake or be ineligible).
    uint256 internal constant MAX_WORKER_DRAWS = 8;
    /// @notice Draws tried per committee seat before the committee stays smaller.
    uint256 internal constant DRAWS_PER_SEAT = 4;
    /// @notice Gas kept back around a consumer callback for the code that follows it.
    uint256 internal constant CALLBACK_GAS_RESERVE = 20_000;

    bytes32 internal constant VERIFIER_PAY = "verifier";
    bytes32 internal constant REMAINDER = "remainder";
    bytes32 internal constant BOND_RETURN = "bond-return";
    bytes32 internal constant BOND_FORFEIT = "bond-forfeit";
    bytes32 internal constant CHALLENGER_REWARD = "challenger-reward";
    bytes32 internal constant VOTER_REWARD = "voter-reward";
    bytes32 internal constant PENALTY = "penalty";

    // ------------------------------------------------------------------------------------------------- immutables

    IERC20 public immutable token;
    IStakingV1 public immutable staking;
    IModelRegistryV1 public immutable registry;
    /// @notice The hard bounds every parameter is checked against (constructor and `setParams`).
    IHubParamsBounds public immutable bounds;
    uint8 internal immutable _roleWorker;
    uint8 internal immutable _roleVerifier;

    // ------------------------------------------------------------------------------------------------- types

    /// @dev Storage form of a request: two slots at request time, a third (the result hash) at submission. The
    ///      public {IInferenceHubV1.Request} view joins it with its {Terms}.
    struct RequestRecord {
        // slot 0
        address requester;
        uint40 modelId;
        Status status;
        IModelRegistryV1.VerificationMode mode;
        uint8 attempts;
        bool isError;
        bool hasDispute;
        uint8 attestations;
        uint8 committeeSize;
        // slot 1
        address worker;
        uint40 deadline;
        uint24 callbackGasLimit; // ≤ MAX_CALLBACK_GAS (2,000,000) < 2^24
        uint32 termsId;
        // slot 2
        bytes32 resultHash;
    }

    /// @dev The economic terms a request was made under, snapshotted at request time and shared by every request
    ///      made under the same terms (a fee or parameter change creates a new record), so a request stores a
    ///      32-bit id instead of a slot of its own.
    struct Terms {
        uint96 modelFee;
        uint96 protocolFee;
        uint16 stakeToFeeRatio;
        uint16 verifierShareBps;
        uint16 royaltyBps;
    }

    // ------------------------------------------------------------------------------------------------- state

    HubParams internal _params;
    uint256 internal _requestCount;
    mapping(uint256 requestId => RequestRecord) internal _requests;
    mapping(uint256 termsId => Terms) internal _terms;
    mapping(uint256 modelId => uint32 termsId) internal _latestTerms;
    uint32 internal _termsCount;
    mapping(uint256 requestId => Dispute) internal _disputes;
    mapping(uint256 requestId => address[]) internal _committees;
    mapping(uint256 requestId => address[]) internal _jurors;
    mapping(uint256 requestId => mapping(address verifier => Ballot)) internal _attestations;
    mapping(uint256 requestId => mapping(address juror => Ballot)) internal _ballots;
    mapping(address account => uint256) internal _balances;
    mapping(address account => uint256) internal _credits;

    // ------------------------------------------------------------------------------------------------- constructor

    constructor(
        IERC20 token_,
        IStakingV1 staking_,
        IModelRegistryV1 registry_,
        IHubParamsBounds bounds_,
        HubParams memory params_,
        address initialOwner
    ) Ownable(initialOwner) {
        if (
            address(token_) == address(0) ||
            address(staking_) == address(0) ||
            address(registry_) == address(0) ||
            address(bounds_) == address(0)
        ) revert HubZeroAddress();
        token = token_;
        staking = staking_;
        registry = registry_;
        bounds = bounds_;
        _roleWorker = staking_.ROLE_WORKER();
        _roleVerifier = staking_.ROLE_VERIFIER();
        _setParams(params_);
    }

    // ------------------------------------------------------------------------------------------------- balances

    /// @inheritdoc IInferenceHubV1
    function deposit(uint256 amount) external nonReentrant {
        _deposit(msg.sender, amount);
    }

    /// @inheritdoc IInferenceHubV1
    function depositFor(address account, uint256 amount) external nonReentrant {
        if (account == address(0)) revert HubZeroAddress();
        _deposit(account, amount);
    }

    /// @inheritdoc IInferenceHubV1
    function withdraw(uint256 amount) external nonReentrant {
        if (amount == 0) revert HubZeroAmount();
        uint256 balance = _balances[msg.sender];
        if (balance < amount) revert HubInsufficientBalance(msg.sender, balance, amount);
        _balances[msg.sender] = balance - amount;
        emit Withdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IInferenceHubV1
    function claimCredits() external nonReentrant returns (uint256 amount) {
        amount = _credits[msg.sender];
        if (amount == 0) revert HubNoCredits(msg.sender);
        _credits[msg.sender] = 0;
        emit CreditsClaimed(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    // ------------------------------------------------------------------------------------------------- requests

    /// @inheritdoc IInferenceHubV1
    function request(RequestParams calldata params_) external nonReentrant returns (uint256 requestId) {
        return _request(params_);
    }

    /// @inheritdoc IInferenceHubV1
    function requestWithPermit(
        RequestParams calldata params_,
        uint256 permitAmount,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant returns (uint256 requestId) {
        // A permit front-run by a third party consumes the nonce but still sets the allowance: ignore its failure
        // and let the transfer below decide.
        try
            IERC20Permit(address(token)).permit(msg.sender, address(this), permitAmount, permitDeadline, v, r, s)
        {} catch {} // solhint-disable-line no-empty-blocks
        _deposit(msg.sender, permitAmount);
        return _request(params_);
    }

    /// @inheritdoc IInferenceHubV1
    function requestBatch(RequestParams[] calldata batch) external nonReentrant returns (uint256 firstRequestId) {
        uint256 length = batch.length;
        if (length == 0 || length > MAX_BATCH) revert HubBatchTooLarge(length, MAX_BATCH);
        firstRequestId = _request(batch[0]);
        for (uint256 i = 1; i < length; ++i) _request(batch[i]);
    }

    /// @inheritdoc IInferenceHubV1
    function submitResult(uint256 requestId, bytes calldata output, bool isError) external nonReentrant {
        _submit(requestId, output, isError);
    }

    /// @inheritdoc IInferenceHubV1
    function submitResultBatch(
        uint256[] calldata requestIds,
        bytes[] calldata outputs,
        bool[] calldata isError
    ) external nonReentrant {
        uint256 length = requestIds.length;
        if (length > MAX_BATCH) revert HubBatchTooLarge(length, MAX_BATCH);
        if (outputs.length != length || isError.length != length) revert HubBatchLengthMismatch();
        for (uint256 i; i < length; ++i) _submit(requestIds[i], outputs[i], isError[i]);
    }

    /// @inheritdoc IInferenceHubV1
    function reassign(uint256 requestId) external nonReentrant {
        RequestRecord storage req = _requireStatus(requestId, Status.Requested);
        if (block.timestamp <= req.deadline) revert HubDeadlineNotReached(requestId, req.deadline);

        address late = req.worker;
        uint256 collateral = _collateral(req);
        req.worker = address(0);
        staking.unlockCollateral(late, collateral);
        // Jailing the late worker also keeps it out of the redraw below.
        uint256 penalty = staking.slash(late, (collateral * _params.livenessPenaltyBps) / BPS, true);
        _credit(requestId, _params.treasury, penalty, PENALTY);
        emit WorkerTimedOut(requestId, late, penalty);

        if (req.attempts >= _params.maxAttempts || !_assignWorker(requestId, req)) {
            _expire(requestId, req);
        }
    }

    // ------------------------------------------------------------------------------------------------- verification

    /// @inheritdoc IInferenceHubV1
    function attest(uint256 requestId, bool agree) external nonReentrant {
        RequestRecord storage req = _requireStatus(requestId, Status.Submitted);
        if (req.mode != IModelRegistryV1.VerificationMode.COMMITTEE) revert HubWrongMode(requestId, req.mode);
        if (block.timestamp > req.deadline) revert HubDeadlinePassed(requestId, req.deadline);
        Ballot storage ballot = _attestations[requestId][msg.sender];
        if (!ballot.drawn) revert HubNotCommitteeMember(requestId, msg.sender);
        if (ballot.acted) revert HubAlreadyActed(requestId, msg.sender);

        ballot.acted = true;
        ballot.vote = agree;
        emit Attested(requestId, msg.sender, agree);

        if (!agree) {
            _openDispute(requestId, req, msg.sender);
        } else if (++req.attestations >= req.committeeSize / 2 + 1) {
            _finalize(requestId, req);
        }
    }

    /// @inheritdoc IInferenceHubV1
    function challenge(uint256 requestId) external nonReentrant {
        RequestRecord storage req = _requireStatus(requestId, Status.Submitted);
        if (req.mode != IModelRegistryV1.VerificationMode.OPTIMISTIC) revert HubWrongMode(requestId, req.mode);
        if (block.timestamp > req.deadline) revert HubDeadlinePassed(requestId, req.deadline);
        if (msg.sender == req.worker || msg.sender == req.requester) revert HubPartyToRequest(requestId, msg.sender);
        if (!staking.isEligible(msg.sender, _roleVerifier)) revert HubNotEligibleVerifier(msg.sender);
        _openDispute(requestId, req, msg.sender);
    }

    /// @inheritdoc IInferenceHubV1
    function commitVote(uint256 requestId, bytes32 commitment) external nonReentrant {
        _requireStatus(requestId, Status.Disputed);
        if (commitment == bytes32(0)) revert HubEmptyCommitment();
        Dispute storage dispute = _disputes[requestId];
        if (block.timestamp > dispute.commitDeadline) revert HubDeadlinePassed(requestId, dispute.commitDeadline);
        Ballot storage ballot = _ballots[requestId][msg.sender];
        if (!ballot.drawn) revert HubNotCommitteeMember(requestId, msg.sender);
        if (ballot.acted) revert HubAlreadyActed(requestId, msg.sender);

        ballot.acted = true;
        ballot.commitment = commitment;
        ++dispute.commits;
        emit VoteCommitted(requestId, msg.sender);
    }

    /// @inheritdoc IInferenceHubV1
    function revealVote(uint256 requestId, bool upholdWorker, bytes32 salt) external nonReentrant {
        _requireStatus(requestId, Status.Disputed);
        Dispute storage dispute = _disputes[requestId];
        Ballot storage ballot = _ballots[requestId][msg.sender];
        if (!ballot.acted) revert HubNotCommitted(requestId, msg.sender);
        if (ballot.revealed) revert HubAlreadyActed(requestId, msg.sender);
        if (block.timestamp <= dispute.commitDeadline && dispute.commits < dispute.jurorCount) {
            revert HubCommitPhaseOpen(requestId, dispute.commitDeadline);
        }
        if (block.timestamp > dispute.revealDeadline) revert HubDeadlinePassed(requestId, dispute.revealDeadline);
        if (voteCommitment(requestId, msg.sender, upholdWorker, salt) != ballot.commitment) {
            revert HubRevealMismatch(requestId, msg.sender);
        }

        ballot.revealed = true;
        ballot.vote = upholdWorker;
        ++dispute.reveals;
        if (upholdWorker) ++dispute.upholdVotes;
        else ++dispute.rejectVotes;
        emit VoteRevealed(requestId, msg.sender, upholdWorker);
    }

    /// @inheritdoc IInferenceHubV1
    function resolveDispute(uint256 requestId) external nonReentrant {
        RequestRecord storage req = _requireStatus(requestId, Status.Disputed);
        Dispute storage dispute = _disputes[requestId];
        if (block.timestamp <= dispute.revealDeadline && dispute.reveals < dispute.jurorCount) {
            revert HubDeadlineNotReached(requestId, dispute.revealDeadline);
        }
        _penaliseSilentJurors(requestId);

        // Ties (including no revealed vote) leave the worker's result standing: the challenger carries the burden
        // of proof, but gets its bond back because the committee did not decide against it.
        bool upheld = dispute.upholdVotes >= dispute.rejectVotes;
        emit DisputeResolved(requestId, upheld, dispute.upholdVotes, dispute.rejectVotes);
        if (upheld) {
            _settleLostChallenge(requestId, req, dispute);
            _finalize(requestId, req);
        } else {
            _reject(requestId, req, dispute);
        }
    }

    // ------------------------------------------------------------------------------------------------- settlement

    /// @inheritdoc IInferenceHubV1
    function finalize(uint256 requestId) external nonReentrant {
        RequestRecord storage req = _requireStatus(requestId, Status.Submitted);
        if (block.timestamp <= req.deadline) revert HubDeadlineNotReached(requestId, req.deadline);
        _finalize(requestId, req);
    }

    /// @inheritdoc IInferenceHubV1
    function finalizeBatch(uint256[] calldata requestIds) external nonReentrant returns (uint256 finalized) {
        uint256 length = requestIds.length;
        if (length > MAX_BATCH) revert HubBatchTooLarge(length, MAX_BATCH);
        for (uint256 i; i < length; ++i) {
            uint256 requestId = requestIds[i];
            RequestRecord storage req = _requests[requestId];
            if (req.status == Status.Submitted && block.timestamp > req.deadline) {
                _finalize(requestId, req);
                ++finalized;
            }
        }
    }

    // ------------------------------------------------------------------------------------------------- governance

    /// @inheritdoc IInferenceHubV1
    function setParams(HubParams calldata params_) external onlyOwner {
        _setParams(params_);
    }

    // ------------------------------------------------------------------------------------------------- views

    /// @inheritdoc IInferenceHubV1
    function params() external view returns (HubParams memory) {
        return _params;
    }

    /// @inheritdoc IInferenceHubV1
    function getRequest(uint256 requestId) external view returns (Request memory view_) {
        RequestRecord storage req = _requests[requestId];
        Terms storage terms = _terms[req.termsId];
        view_ = Request({
            requester: req.requester,
            modelId: req.modelId,
            status: req.status,
            mode: req.mode,
            attempts: req.attempts,
            isError: req.isError,
            hasDispute: req.hasDispute,
            worker: req.worker,
            deadline: req.deadline,
            callbackGasLimit: req.callbackGasLimit,
            modelFee: terms.modelFee,
            protocolFee: terms.protocolFee,
            stakeToFeeRatio: terms.stakeToFeeRatio,
            verifierShareBps: terms.verifierShareBps,
            royaltyBps: terms.royaltyBps,
            attestations: req.attestations,
            committeeSize: req.committeeSize,
            resultHash: req.resultHash
        });
    }

    /// @inheritdoc IInferenceHubV1
    function getDispute(uint256 requestId) external view returns (Dispute memory) {
        return _disputes[requestId];
    }

    /// @inheritdoc IInferenceHubV1
    function committeeOf(uint256 requestId) external view returns (address[] memory) {
        return _committees[requestId];
    }

    /// @inheritdoc IInferenceHubV1
    function jurorsOf(uint256 requestId) external view returns (address[] memory) {
        return _jurors[requestId];
    }

    /// @inheritdoc IInferenceHubV1
    function attestationOf(uint256 requestId, address verifier) external view returns (Ballot memory) {
        return _attestations[requestId][verifier];
    }

    /// @inheritdoc IInferenceHubV1
    function ballotOf(uint256 requestId, address juror) external view returns (Ballot memory) {
        return _ballots[requestId][juror];
    }

    /// @inheritdoc IInferenceHubV1
    function collateralOf(uint256 requestId) external view returns (uint256) {
        RequestRecord storage req = _requests[requestId];
        return req.worker == address(0) ? 0 : _collateral(req);
    }

    /// @inheritdoc IInferenceHubV1
    function balanceOf(address account) external view returns (uint256) {
        return _balances[account];
    }

    /// @inheritdoc IInferenceHubV1
    function creditsOf(address account) external view returns (uint256) {
        return _credits[account];
    }

    /// @inheritdoc IInferenceHubV1
    function requestCount() external view returns (uint256) {
        return _requestCount;
    }

    /// @inheritdoc IInferenceHubV1
    function quote(uint256 modelId) external view returns (uint256 modelFee, uint256 protocolFee) {
        (uint96 fee, , , ) = registry.requestTerms(modelId);
        modelFee = fee;
        protocolFee = (modelFee * _params.protocolFeeBps) / BPS;
    }

    /// @inheritdoc IInferenceHubV1
    function maxLifecycleDuration() public view returns (uint256) {
        HubParams storage p = _params;
        return uint256(p.responseTimeout) + p.challengeWindow + p.commitWindow + p.revealWindow;
    }

    /// @inheritdoc IInferenceHubV1
    function voteCommitment(
        uint256 requestId,
        address juror,
        bool upholdWorker,
        bytes32 salt
    ) public pure returns (bytes32) {
        return keccak256(abi.encode(requestId, juror, upholdWorker, salt));
    }

    // ------------------------------------------------------------------------------------------------ internal: flow

    function _deposit(address account, uint256 amount) internal {
        if (amount == 0) revert HubZeroAmount();
        _balances[account] += amount;
        emit Deposited(account, msg.sender, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    function _request(RequestParams calldata rp) internal returns (uint256 requestId) {
        HubParams storage p = _params;
        (uint96 modelFee, IModelRegistryV1.VerificationMode mode, uint16 royaltyBps, bool active) = registry
            .requestTerms(rp.modelId);
        if (!active) revert HubModelInactive(rp.modelId);
        uint256 protocolFee = (uint256(modelFee) * p.protocolFeeBps) / BPS;
        uint256 total = modelFee + protocolFee;
        if (total < p.minRequestFee) revert HubFeeBelowMin(total, p.minRequestFee);
        if (total > rp.maxFee) revert HubFeeAboveMax(total, rp.maxFee);
        if (rp.callbackGasLimit > p.maxCallbackGas) revert HubCallbackGasTooHigh(rp.callbackGasLimit, p.maxCallbackGas);
        bytes32 inputHash = _checkInput(rp, p.maxInputBytes);

        uint256 balance = _balances[msg.sender];
        if (balance < total) revert HubInsufficientBalance(msg.sender, balance, total);
        _balances[msg.sender] = balance - total;

        requestId = ++_requestCount;
        RequestRecord storage req = _requests[requestId];
        req.requester = msg.sender;
        req.modelId = uint40(rp.modelId);
        req.status = Status.Requested;
        req.mode = mode;
        req.callbackGasLimit = uint24(rp.callbackGasLimit);
        req.termsId = _termsFor(rp.modelId, modelFee, uint96(protocolFee), royaltyBps);
        _emitRequested(requestId, rp, inputHash, modelFee, protocolFee);
        if (!_assignWorker(requestId, req)) revert HubNoWorkerAvailable(rp.modelId);
    }

    /// @dev Separate frame for the event's ten values (stack depth).
    function _emitRequested(
        uint256 requestId,
        RequestParams calldata rp,
        bytes32 inputHash,
        uint256 modelFee,
        uint256 protocolFee
    ) internal {
        emit InferenceRequested(
            requestId,
            rp.modelId,
            msg.sender,
            rp.input,
            rp.inputUri,
            inputHash,
            modelFee,
            protocolFee,
            rp.callbackGasLimit
        );
    }

    /// @dev Inline input is hashed here; input by URI must come with its hash (workers check it off-chain).
    function _checkInput(RequestParams calldata rp, uint256 maxBytes) internal pure returns (bytes32) {
        uint256 uriLength = bytes(rp.inputUri).length;
        if (rp.input.length != 0) {
            if (uriLength != 0) revert HubInvalidInput();
            if (rp.input.length > maxBytes) revert HubInputTooLarge(rp.input.length, maxBytes);
            return keccak256(rp.input);
        }
        if (uriLength == 0 || rp.inputHash == bytes32(0)) revert HubInvalidInput();
        if (uriLength > maxBytes) revert HubInputTooLarge(uriLength, maxBytes);
        return rp.inputHash;
    }

    function _submit(uint256 requestId, bytes calldata output, bool isError) internal {
        RequestRecord storage req = _requireStatus(requestId, Status.Requested);
        if (msg.sender != req.worker) revert HubNotAssignedWorker(requestId, msg.sender, req.worker);
        if (block.timestamp > req.deadline) revert HubDeadlinePassed(requestId, req.deadline);
        HubParams storage p = _params;
        if (output.length > p.maxOutputBytes) revert HubOutputTooLarge(output.length, p.maxOutputBytes);

        bytes32 resultHash = keccak256(output);
        req.resultHash = resultHash;
        req.isError = isError;

        if (req.mode == IModelRegistryV1.VerificationMode.NONE) {
            emit ResultSubmitted(requestId, msg.sender, resultHash, isError, output, block.timestamp);
            _finalize(requestId, req);
            return;
        }
        uint40 windowEnd = uint40(block.timestamp + p.challengeWindow);
        req.status = Status.Submitted;
        req.deadline = windowEnd;
        emit ResultSubmitted(requestId, msg.sender, resultHash, isError, output, windowEnd);

        if (req.mode == IModelRegistryV1.VerificationMode.COMMITTEE) {
            address[] storage members = _committees[requestId];
            _drawPanel(requestId, req, "committee", _attestations[requestId], members, address(0), p.committeeSize);
            req.committeeSize = uint8(members.length);
            emit CommitteeDrawn(requestId, members);
        }
    }

    /// @dev Draws workers by stake until one is not the requester, is eligible and can lock the collateral.
    function _assignWorker(uint256 requestId, RequestRecord storage req) internal returns (bool) {
        uint256 collateral = _collateral(req);
        uint8 attempt = req.attempts + 1;
        uint256 seed = _params.randomness.seed(keccak256(abi.encode(requestId, attempt, "worker")));
        for (uint256 i; i < MAX_WORKER_DRAWS; ++i) {
            address worker = staking.draw(_roleWorker, uint256(keccak256(abi.encode(seed, i))));
            if (worker == address(0)) return false;
            // lockCollateral also checks that the worker is eligible (role, minimum stake, not jailed).
            if (worker != req.requester && staking.lockCollateral(worker, collateral)) {
                uint40 deadline = uint40(block.timestamp + _params.responseTimeout);
                req.worker = worker;
                req.deadline = deadline;
                req.attempts = attempt;
                emit WorkerAssigned(requestId, worker, attempt, deadline, collateral);
                return true;
            }
        }
        return false;
    }

    /// @dev Draws up to `size` distinct eligible verifiers, excluding the requester, the worker and `exclude`.
    ///      Bounded by `size * DRAWS_PER_SEAT` draws; with too few verifiers the panel is smaller.
    function _drawPanel(
        uint256 requestId,
        RequestRecord storage req,
        bytes32 purpose,
        mapping(address => Ballot) storage ballots,
        address[] storage members,
        address exclude,
        uint256 size
    ) internal {
        uint256 seed = _params.randomness.seed(keccak256(abi.encode(requestId, purpose)));
        uint256 maxDraws = size * DRAWS_PER_SEAT;
        for (uint256 i; i < maxDraws && members.length < size; ++i) {
            address verifier = staking.draw(_roleVerifier, uint256(keccak256(abi.encode(seed, i))));
            if (verifier == address(0)) return;
            if (verifier == req.requester || verifier == req.worker || verifier == exclude) continue;
            Ballot storage ballot = ballots[verifier];
            if (ballot.drawn || !staking.isEligible(verifier, _roleVerifier)) continue;
            ballot.drawn = true;
            members.push(verifier);
        }
    }

    function _openDispute(uint256 requestId, RequestRecord storage req, address challenger) internal {
        HubParams storage p = _params;
        uint96 bond = p.challengeBond;
        uint256 balance = _balances[challenger];
        if (balance < bond) revert HubInsufficientBalance(challenger, balance, bond);
        _balances[challenger] = balance - bond;

        req.status = Status.Disputed;
        req.hasDispute = true;
        Dispute storage dispute = _disputes[requestId];
        dispute.challenger = challenger;
        dispute.bond = bond;
        uint64 commitDeadline = uint64(block.timestamp + p.commitWindow);
        dispute.commitDeadline = commitDeadline;
        dispute.revealDeadline = commitDeadline + p.revealWindow;
        address[] storage jurors = _jurors[requestId];
        _drawPanel(requestId, req, "dispute", _ballots[requestId], jurors, challenger, p.committeeSize);
        dispute.jurorCount = uint8(jurors.length);

        emit Challenged(requestId, challenger, bond);
        emit DisputeOpened(requestId, jurors, commitDeadline, dispute.revealDeadline);
    }

    /// @dev Jurors who did not reveal (committed-only or silent) lose `nonRevealPenaltyBps` of their stake.
    ///      Bounded by `committeeSize` (≤ 15).
    function _penaliseSilentJurors(uint256 requestId) internal {
        address[] storage jurors = _jurors[requestId];
        uint256 bps = _params.nonRevealPenaltyBps;
        uint256 length = jurors.length;
        for (uint256 i; i < length; ++i) {
            address juror = jurors[i];
            if (_ballots[requestId][juror].revealed) continue;
            uint256 penalty = staking.slash(juror, (staking.slashableStake(juror) * bps) / BPS, false);
            _credit(requestId, _params.treasury, penalty, PENALTY);
            emit JurorPenalised(requestId, juror, penalty);
        }
    }

    /// @dev Worker upheld. A decided vote forfeits the bond: majority voters share `voterRewardBps` of it and the
    ///      worker gets the rest (including division remainders). A tie returns the bond.
    function _settleLostChallenge(uint256 requestId, RequestRecord storage req, Dispute storage dispute) internal {
        uint256 bond = dispute.bond;
        uint256 winners = dispute.upholdVotes;
        if (winners == dispute.rejectVotes) {
            _credit(requestId, dispute.challenger, bond, BOND_RETURN);
            return;
        }
        uint256 perVoter = (bond * _params.voterRewardBps) / BPS / winners;
        _creditMajority(requestId, true, perVoter, VOTER_REWARD);
        _credit(requestId, req.worker, bond - perVoter * winners, BOND_FORFEIT);
    }

    /// @dev Worker wrong: slash it (at least its collateral), pay challenger and majority voters from the slash,
    ///      the rest to the treasury, and refund the requester in full.
    function _reject(uint256 requestId, RequestRecord storage req, Dispute storage dispute) internal {
        req.status = Status.Rejected;
        address worker = req.worker;
        uint256 collateral = _collateral(req);
        uint256 refund = _totalFee(req);
        _balances[req.requester] += refund;

        staking.unlockCollateral(worker, collateral);
        uint256 proportional = (staking.slashableStake(worker) * _params.slashBps) / BPS;
        uint256 slashed = staking.slash(worker, proportional > collateral ? proportional : collateral, true);
        emit WorkerSlashed(requestId, worker, slashed);

        uint256 challengerReward = (slashed * _params.challengerRewardBps) / BPS;
        uint256 perVoter = (slashed * _params.voterRewardBps) / BPS / dispute.rejectVotes;
        _credit(requestId, dispute.challenger, dispute.bond, BOND_RETURN);
        _credit(requestId, dispute.challenger, challengerReward, CHALLENGER_REWARD);
        _creditMajority(requestId, false, perVoter, VOTER_REWARD);
        _credit(requestId, _params.treasury, slashed - challengerReward - perVoter * dispute.rejectVotes, REMAINDER);

        emit RequestRejected(requestId, worker, refund);
        _notify(requestId, req, false);
    }

    function _expire(uint256 requestId, RequestRecord storage req) internal {
        req.status = Status.Expired;
        uint256 refund = _totalFee(req);
        _balances[req.requester] += refund;
        emit RequestExpired(requestId, refund);
        _notify(requestId, req, false);
    }

    /// @dev Splits the locked fee: royalty and verifier shares round down; the worker is the residual claimant of
    ///      the model fee and the treasury of per-verifier division remainders, so no wei is created or lost.
    ///      With no verifier work on record the verifier share goes to the worker, whose stake was the only security.
    function _finalize(uint256 requestId, RequestRecord storage req) internal {
        req.status = Status.Finalized;
        address worker = req.worker;
        staking.unlockCollateral(worker, _collateral(req));

        Terms storage terms = _terms[req.termsId];
        uint256 modelFee = terms.modelFee;
        uint256 royalty = (modelFee * terms.royaltyBps) / BPS;
        uint256 verifierPay = (modelFee * terms.verifierShareBps) / BPS;
        uint256 verifiers = _verifierCount(requestId, req);
        if (verifiers == 0) verifierPay = 0;
        uint256 workerPay = modelFee - royalty - verifierPay;

        uint256 treasuryPay = terms.protocolFee;
        if (verifiers != 0) {
            uint256 perVerifier = verifierPay / verifiers;
            _creditVerifiers(requestId, req, perVerifier);
            treasuryPay += verifierPay - perVerifier * verifiers;
            verifierPay = perVerifier * verifiers; // as paid: the event's four amounts sum to the fee exactly
        }
        // The three standard credits are reported by `RequestFinalized` alone (one event instead of four).
        address royaltyRecipient = registry.royaltyRecipientOf(req.modelId);
        _credits[royaltyRecipient] += royalty;
        _credits[worker] += workerPay;
        _credits[_params.treasury] += treasuryPay;
        emit RequestFinalized(
            requestId,
            worker,
            royaltyRecipient,
            req.resultHash,
            req.isError,
            royalty,
            workerPay,
            verifierPay,
            treasuryPay
        );
        _notify(requestId, req, true);
    }

    /// @dev The verifiers whose work the outcome rests on: the majority of a decided dispute, else the agreeing
    ///      attesters of a committee.
    function _verifierCount(uint256 requestId, RequestRecord storage req) internal view returns (uint256) {
        if (req.hasDispute) {
            Dispute storage dispute = _disputes[requestId];
            return dispute.upholdVotes > dispute.rejectVotes ? dispute.upholdVotes : 0;
        }
        return req.attestations;
    }

    function _creditVerifiers(uint256 requestId, RequestRecord storage req, uint256 amount) internal {
        if (req.hasDispute) {
            _creditMajority(requestId, true, amount, VERIFIER_PAY);
            return;
        }
        address[] storage members = _committees[requestId];
        uint256 length = members.length;
        for (uint256 i; i < length; ++i) {
            Ballot storage ballot = _attestations[requestId][members[i]];
            if (ballot.acted && ballot.vote) _credit(requestId, members[i], amount, VERIFIER_PAY);
        }
    }

    function _creditMajority(uint256 requestId, bool side, uint256 amount, bytes32 reason) internal {
        address[] storage jurors = _jurors[requestId];
        uint256 length = jurors.length;
        for (uint256 i; i < length; ++i) {
            Ballot storage ballot = _ballots[requestId][jurors[i]];
            if (ballot.revealed && ballot.vote == side) _credit(requestId, jurors[i], amount, reason);
        }
    }

    function _credit(uint256 requestId, address account, uint256 amount, bytes32 reason) internal {
        if (amount == 0) return;
        _credits[account] += amount;
        emit Credited(requestId, account, amount, reason);
    }

    /// @dev Last step of every terminal transition. The consumer gets exactly `callbackGasLimit`: the caller must
    ///      forward enough gas (EIP-150 keeps 1/64 back), else the whole call reverts and can be retried with more
    ///      gas. The callee's revert, gas exhaustion or return data cannot affect settlement.
    function _notify(uint256 requestId, RequestRecord storage req, bool finalized) internal {
        uint256 gasLimit = req.callbackGasLimit;
        address consumer = req.requester;
        if (gasLimit == 0 || consumer.code.length == 0) return;
        uint256 needed = (gasLimit * 64) / 63 + CALLBACK_GAS_RESERVE;
        if (gasleft() < needed) revert HubInsufficientCallbackGas(gasleft(), needed);
        bytes memory data = abi.encodeCall(
            IInferenceConsumerV1.onInferenceSettled,
            (requestId, finalized, finalized ? req.resultHash : bytes32(0), req.isError)
        );
        bool success;
        assembly ("memory-safe") {
            success := call(gasLimit, consumer, 0, add(data, 0x20), mload(data), 0, 0)
        }
        emit CallbackResult(requestId, consumer, success);
    }

    // --------------------------------------------------------------------------------------------- internal: helpers

    function _requireStatus(uint256 requestId, Status status) internal view returns (RequestRecord storage req) {
        req = _requests[requestId];
        if (req.status == Status.None) revert HubUnknownRequest(requestId);
        if (req.status != status) revert HubInvalidStatus(requestId, req.status);
    }

    function _collateral(RequestRecord storage req) internal view returns (uint256) {
        Terms storage terms = _terms[req.termsId];
        return (uint256(terms.modelFee) + terms.protocolFee) * terms.stakeToFeeRatio;
    }

    function _totalFee(RequestRecord storage req) internal view returns (uint256) {
        Terms storage terms = _terms[req.termsId];
        return uint256(terms.modelFee) + terms.protocolFee;
    }

    /// @dev Reuses the model's latest terms record when nothing changed (two warm-able reads instead of a new
    ///      slot per request); otherwise records the new terms.
    function _termsFor(
        uint256 modelId,
        uint96 modelFee,
        uint96 protocolFee,
        uint16 royaltyBps
    ) internal returns (uint32 termsId) {
        HubParams storage p = _params;
        termsId = _latestTerms[modelId];
        Terms storage latest = _terms[termsId];
        if (
            termsId != 0 &&
            latest.modelFee == modelFee &&
            latest.protocolFee == protocolFee &&
            latest.royaltyBps == royaltyBps &&
            latest.stakeToFeeRatio == p.stakeToFeeRatio &&
            latest.verifierShareBps == p.verifierShareBps
        ) return termsId;
        termsId = ++_termsCount;
        _terms[termsId] = Terms(modelFee, protocolFee, p.stakeToFeeRatio, p.verifierShareBps, royaltyBps);
        _latestTerms[modelId] = termsId;
    }

    function _setParams(HubParams memory p) internal {
        bounds.check(p, staking.params().unbondingDelay);
        _params = p;
        emit ParamsUpdated(p);
    }
}
