// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IInferenceHubV1} from "./interfaces/IInferenceHubV1.sol";
import {IStakingV1} from "./interfaces/IStakingV1.sol";
import {SortitionTreeV1} from "./libraries/SortitionTreeV1.sol";

/// @title StakingV1
/// @notice OPG stake of workers and verifiers: bonding, unbonding, job collateral, slashing, jailing and
///         stake-weighted sortition. Parameters are owned by governance (the timelock) within hard bounds.
/// @dev Accepted risks and design choices:
///      - Sortition weights are refreshed on every change of the operator concerned (stake, unstake, setRoles,
///        slash, jail, unjail). When governance raises a minimum stake, weights of operators now below it stay in the
///        tree until their next change. {isEligible} is always exact and the hub checks it after every draw (and
///        redraws), so a stale weight can only cost a redraw, never admit an ineligible operator.
///      - Weights include locked stake; the hub redraws when a drawn worker cannot lock collateral.
///      - Each role tree holds at most {MAX_OPERATORS_PER_ROLE} weighted operators. Slots are released when a weight
///        drops to zero, so exited operators never exhaust them; filling them needs that many minimum stakes.
///        Hub calls only ever lower weights and so never fail because a tree is full.
///      - Unbonding stake remains slashable until it is withdrawn, even after its release time.
///      - The token is assumed to be OPG: a standard ERC-20 without transfer fees or rebasing. The OPG supply (1e27)
///        fits uint128, so stake amounts are stored as uint128 (user input is narrowed with SafeCast).
contract StakingV1 is IStakingV1, Ownable, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using SortitionTreeV1 for SortitionTreeV1.Tree;

    // ------------------------------------------------------------------------------------------------- constants

    /// @inheritdoc IStakingV1
    uint8 public constant ROLE_WORKER = 1;
    /// @inheritdoc IStakingV1
    uint8 public constant ROLE_VERIFIER = 2;
    /// @notice All valid role bits.
    uint8 public constant ALL_ROLES = ROLE_WORKER | ROLE_VERIFIER;
    /// @notice Most operators that can hold sortition weight in one role at the same time.
    uint256 public constant MAX_OPERATORS_PER_ROLE = SortitionTreeV1.CAPACITY;

    /// @notice Lowest allowed minimum stake (both roles).
    uint256 public constant MIN_STAKE_LOWER_BOUND = 1e18;
    /// @notice Highest allowed minimum stake (both roles).
    uint256 public constant MIN_STAKE_UPPER_BOUND = 10_000_000e18;
    /// @notice Shortest allowed unbonding delay (it must also exceed the hub's longest lifecycle).
    uint256 public constant UNBONDING_DELAY_LOWER_BOUND = 10 minutes;
    /// @notice Longest allowed unbonding delay.
    uint256 public constant UNBONDING_DELAY_UPPER_BOUND = 90 days;
    /// @notice Shortest allowed jail duration.
    uint256 public constant JAIL_DURATION_LOWER_BOUND = 1 minutes;
    /// @notice Longest allowed jail duration.
    uint256 public constant JAIL_DURATION_UPPER_BOUND = 30 days;

    // ------------------------------------------------------------------------------------------------- immutables

    /// @notice The staked token (OPG).
    IERC20 public immutable token;

    // ------------------------------------------------------------------------------------------------- state

    StakingParams private _params;
    address private _hub;
    mapping(address operator => Operator) private _operators;
    SortitionTreeV1.Tree private _workerTree;
    SortitionTreeV1.Tree private _verifierTree;

    // ------------------------------------------------------------------------------------------------- modifiers

    modifier onlyHub() {
        address hub_ = _hub;
        if (hub_ == address(0)) revert StakingHubNotSet();
        if (msg.sender != hub_) revert StakingNotHub(msg.sender);
        _;
    }

    // ------------------------------------------------------------------------------------------------- constructor

    /// @param token_ The staked token (OPG); must not be the zero address.
    /// @param params_ Initial parameters, checked against the hard bounds.
    /// @param initialOwner The owner (deployer first, then the governance timelock).
    constructor(IERC20 token_, StakingParams memory params_, address initialOwner) Ownable(initialOwner) {
        if (address(token_) == address(0)) revert StakingZeroAddress();
        token = token_;
        _setParams(params_);
    }

    // -------------------------------------------------------------------------------------------- operator functions

    /// @inheritdoc IStakingV1
    /// @dev Reverts with {StakingZeroAmount} when `amount` is zero; use {setRoles} to change roles alone.
    ///      `roles` must be a non-empty subset of `ROLE_WORKER | ROLE_VERIFIER`.
    function stake(uint256 amount, uint8 roles) external nonReentrant {
        if (amount == 0) revert StakingZeroAmount();
        if (roles == 0 || roles & ~ALL_ROLES != 0) revert StakingInvalidRoles(roles);

        Operator storage op = _operators[msg.sender];
        op.active = SafeCast.toUint128(uint256(op.active) + amount);
        op.roles = roles;
        emit Staked(msg.sender, amount, roles);
        _refreshWeights(msg.sender, op);

        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IStakingV1
    /// @dev `roles` may be zero to leave sortition in both roles.
    function setRoles(uint8 roles) external {
        if (roles & ~ALL_ROLES != 0) revert StakingInvalidRoles(roles);
        Operator storage op = _operators[msg.sender];
        op.roles = roles;
        emit RolesUpdated(msg.sender, roles);
        _refreshWeights(msg.sender, op);
    }

    /// @inheritdoc IStakingV1
    /// @dev The whole unbonding amount (earlier unbonding included) restarts its clock: it is released together at
    ///      `now + unbondingDelay`. Operators who want staggered releases withdraw before unstaking again.
    function unstake(uint256 amount) external {
        if (amount == 0) revert StakingZeroAmount();
        Operator storage op = _operators[msg.sender];
        uint256 available = uint256(op.active) - op.locked;
        if (amount > available) revert StakingInsufficientFreeStake(amount, available);

        op.active -= uint128(amount); // amount <= active
        op.unbonding = SafeCast.toUint128(uint256(op.unbonding) + amount);
        uint256 releaseAt = block.timestamp + _params.unbondingDelay;
        op.unbondingReleaseAt = SafeCast.toUint64(releaseAt);
        emit UnbondingStarted(msg.sender, amount, releaseAt);
        _refreshWeights(msg.sender, op);
    }

    /// @inheritdoc IStakingV1
    function withdraw() external nonReentrant returns (uint256 amount) {
        Operator storage op = _operators[msg.sender];
        amount = op.unbonding;
        uint256 releaseAt = op.unbondingReleaseAt;
        if (amount == 0 || block.timestamp < releaseAt) revert StakingNothingToWithdraw(releaseAt);

        op.unbonding = 0;
        emit StakeWithdrawn(msg.sender, amount);

        token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IStakingV1
    function unjail() external {
        Operator storage op = _operators[msg.sender];
        uint256 jailedUntil = op.jailedUntil;
        if (!op.jailed || block.timestamp < jailedUntil) revert StakingCannotUnjail(jailedUntil);

        op.jailed = false;
        emit Unjailed(msg.sender);
        _refreshWeights(msg.sender, op);
    }

    // ------------------------------------------------------------------------------------------------- hub functions

    /// @inheritdoc IStakingV1
    /// @dev Locking zero returns true and changes nothing.
    function lockCollateral(address operator, uint256 amount) external onlyHub returns (bool ok) {
        Operator storage op = _operators[operator];
        // Only eligible workers take jobs (also for zero collateral): checked here so the hub needs one call per
        // drawn worker, not two.
        if (op.roles & ROLE_WORKER == 0 || op.jailed || op.active < _params.minWorkerStake) return false;
        if (amount == 0) return true;
        if (uint256(op.active) - op.locked < amount) return false;

        op.locked += uint128(amount); // locked + amount <= active; the hub's WorkerAssigned event reports it
        return true;
    }

    /// @inheritdoc IStakingV1
    /// @dev Unlocking zero is a no-op.
    function unlockCollateral(address operator, uint256 amount) external onlyHub {
        Operator storage op = _operators[operator];
        uint256 locked = op.locked;
        // Saturates: a slash may already have cut `locked` below the sum of open jobs' collateral, and settling
        // those jobs must never revert (liveness).
        uint256 released = amount < locked ? amount : locked;
        if (released == 0) return;

        op.locked = uint128(locked - released); // reported by the hub's settlement or timeout event
    }

    /// @inheritdoc IStakingV1
    /// @dev Unbonding stake is slashable until it is withdrawn, even after its release time. Afterwards
    ///      `locked = min(locked, active)`: collateral of open jobs beyond what is left is forgiven, which is why
    ///      {unlockCollateral} saturates. Jailing (also with nothing to slash) extends the
    ///      jail to `now + jailDuration`, never shortens it. The slashed tokens are sent to the hub.
    function slash(
        address operator,
        uint256 amount,
        bool jail
    ) external onlyHub nonReentrant returns (uint256 slashed) {
        Operator storage op = _operators[operator];
        uint256 active = op.active;
        uint256 unbonding = op.unbonding;

        uint256 fromActive = amount < active ? amount : active;
        uint256 rest = amount - fromActive;
        uint256 fromUnbonding = rest < unbonding ? rest : unbonding;
        slashed = fromActive + fromUnbonding;

        active -= fromActive;
        op.active = uint128(active);
        op.unbonding = uint128(unbonding - fromUnbonding);
        if (op.locked > active) op.locked = uint128(active);
        emit Slashed(operator, fromActive, fromUnbonding);

        if (jail) {
            uint256 until = block.timestamp + _params.jailDuration;
            if (until < op.jailedUntil) until = op.jailedUntil;
            op.jailed = true;
            op.jailedUntil = SafeCast.toUint64(until);
            emit Jailed(operator, until);
        }
        _refreshWeights(operator, op);

        if (slashed > 0) token.safeTransfer(msg.sender, slashed);
    }

    /// @inheritdoc IStakingV1
    /// @dev Reverts with {StakingInvalidRoles} unless `role` is exactly one of the two roles. The drawn operator may
    ///      have become ineligible since its last weight refresh (see the contract notes): callers check {isEligible}.
    function draw(uint8 role, uint256 randomness) external view returns (address operator) {
        return _tree(role).draw(randomness);
    }

    // ------------------------------------------------------------------------------------------------- governance

    /// @inheritdoc IStakingV1
    /// @dev When the hub is set, the unbonding delay must also exceed `hub.maxLifecycleDuration()`.
    ///      Raising a minimum does not rewrite existing weights (see the contract notes).
    function setParams(StakingParams calldata params_) external onlyOwner {
        _setParams(params_);
    }

    /// @inheritdoc IStakingV1
    /// @dev The current unbonding delay must exceed `hub.maxLifecycleDuration()`.
    function setHub(address hub_) external onlyOwner {
        if (_hub != address(0)) revert StakingHubAlreadySet(_hub);
        if (hub_ == address(0)) revert StakingZeroAddress();
        _checkUnbondingDelay(hub_, _params.unbondingDelay);
        _hub = hub_;
        emit HubSet(hub_);
    }

    // ------------------------------------------------------------------------------------------------- views

    /// @inheritdoc IStakingV1
    function params() external view returns (StakingParams memory) {
        return _params;
    }

    /// @inheritdoc IStakingV1
    function hub() external view returns (address) {
        return _hub;
    }

    /// @inheritdoc IStakingV1
    function getOperator(address operator) external view returns (Operator memory) {
        return _operators[operator];
    }

    /// @inheritdoc IStakingV1
    function slashableStake(address operator) external view returns (uint256) {
        Operator storage op = _operators[operator];
        return uint256(op.active) + op.unbonding;
    }

    /// @inheritdoc IStakingV1
    function freeStake(address operator) external view returns (uint256) {
        Operator storage op = _operators[operator];
        return uint256(op.active) - op.locked;
    }

    /// @inheritdoc IStakingV1
    /// @dev The weight in the sortition tree, as of the operator's last change (see the contract notes).
    function weightOf(address operator, uint8 role) external view returns (uint256) {
        return _tree(role).weightOf(operator);
    }

    /// @inheritdoc IStakingV1
    function totalWeight(uint8 role) external view returns (uint256) {
        return _tree(role).total();
    }

    /// @inheritdoc IStakingV1
    /// @dev Exact for both roles: has the role, is not jailed and has at least the role's current minimum active.
    ///      Reverts with {StakingInvalidRoles} unless `role` is exactly one of the two roles.
    function isEligible(address operator, uint8 role) external view returns (bool) {
        _tree(role); // validates the role
        return _eligibleWeight(_operators[operator], role) > 0;
    }

    // ------------------------------------------------------------------------------------------------- internal

    /// @dev Checks every parameter against its hard bounds (and the hub's lifecycle), stores them and emits.
    function _setParams(StakingParams memory p) internal {
        _checkBounds("minWorkerStake", p.minWorkerStake, MIN_STAKE_LOWER_BOUND, MIN_STAKE_UPPER_BOUND);
        _checkBounds("minVerifierStake", p.minVerifierStake, MIN_STAKE_LOWER_BOUND, MIN_STAKE_UPPER_BOUND);
        _checkBounds("unbondingDelay", p.unbondingDelay, UNBONDING_DELAY_LOWER_BOUND, UNBONDING_DELAY_UPPER_BOUND);
        _checkBounds("jailDuration", p.jailDuration, JAIL_DURATION_LOWER_BOUND, JAIL_DURATION_UPPER_BOUND);
        address hub_ = _hub;
        if (hub_ != address(0)) _checkUnbondingDelay(hub_, p.unbondingDelay);
        _params = p;
        emit ParamsUpdated(p);
    }

    /// @dev Recomputes the operator's weight in both roles and writes the ones that changed.
    function _refreshWeights(address operator, Operator storage op) internal {
        _refreshWeight(operator, op, ROLE_WORKER, _workerTree);
        _refreshWeight(operator, op, ROLE_VERIFIER, _verifierTree);
    }

    function _refreshWeight(
        address operator,
        Operator storage op,
        uint8 role,
        SortitionTreeV1.Tree storage tree
    ) internal {
        uint256 weight = _eligibleWeight(op, role);
        if (tree.weightOf(operator) == weight) return;
        if (!tree.set(operator, weight)) revert StakingSortitionFull(role);
        emit WeightUpdated(operator, role, weight);
    }

    /// @dev `active` when the operator has `role`, is not jailed and meets the role's minimum; otherwise 0.
    function _eligibleWeight(Operator storage op, uint8 role) internal view returns (uint256) {
        if (op.roles & role == 0 || op.jailed) return 0;
        uint256 active = op.active;
        uint256 minStake = role == ROLE_WORKER ? _params.minWorkerStake : _params.minVerifierStake;
        return active >= minStake ? active : 0;
    }

    /// @dev The tree of `role`; reverts unless `role` is exactly one role.
    function _tree(uint8 role) internal view returns (SortitionTreeV1.Tree storage) {
        if (role == ROLE_WORKER) return _workerTree;
        if (role == ROLE_VERIFIER) return _verifierTree;
        revert StakingInvalidRoles(role);
    }

    function _checkUnbondingDelay(address hub_, uint256 unbondingDelay) internal view {
        uint256 maxLifecycle = IInferenceHubV1(hub_).maxLifecycleDuration();
        if (unbondingDelay <= maxLifecycle) revert StakingUnbondingTooShort(unbondingDelay, maxLifecycle);
    }

    function _checkBounds(string memory name, uint256 value, uint256 min, uint256 max) internal pure {
        if (value < min || value > max) revert StakingParamOutOfBounds(name, value, min, max);
    }
}
