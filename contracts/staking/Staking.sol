// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IInferenceHub} from "../interfaces/IInferenceHub.sol";
import {IStaking} from "../interfaces/IStaking.sol";
import {SortitionTree} from "../libraries/SortitionTree.sol";

/// @title Staking
/// @notice OPG stake of workers and verifiers: bonding, unbonding, per-job collateral, slashing, jailing by time and
///         stake-weighted sortition in whole-OPG tickets. Parameters are owned by governance within hard bounds.
/// @dev Accepted risks and design choices:
///      - Sortition weight = `active / TICKET` while the operator is eligible in the role, else 0. Weights are
///        rewritten on every change of the operator (stake, setRoles, unstake, slash) and by the permissionless
///        {refresh}. Two events do not touch the operator and leave a weight stale until {refresh}: the end of a jail
///        (the operator is eligible but has no weight yet) and a change of a minimum stake. {assignWorker} checks
///        eligibility exactly: a stale weight can cost a redraw, never assign an ineligible worker.
///      - Panels ({drawPanel}) are drawn from the weights frozen at the start of the snapshot epoch in which their
///        randomness was requested (epochs of `snapshotPeriod` seconds), never from live weights: once a word is
///        known, no stake, unstake, role change, refresh or slash can move the ticket intervals it is mapped onto.
///        A member is seated by its frozen tickets even if it has since unstaked, been slashed or jailed: skipping it
///        would let an operator redraw a seat by making itself ineligible after seeing the word. Its unbonding stake
///        stays slashable for the panel's whole lifecycle (the unbonding delay exceeds it by two epochs).
///      - A panel is drawn only from a pool in which every seat could go to a different operator: the snapshot holds
///        at least `seats` members (addresses with weight) besides the excluded ones. A smaller pool gives no panel,
///        exactly like too few tickets, so a jury is never one or two addresses after the parties are excluded. The
///        count reads the same snapshot and does not depend on the word, so it is no re-roll anyone can choose. It
///        counts addresses: one holder of several addresses counts several times (that only helps it to a seat it
///        would hold by its tickets anyway; capture by stake share is the hypergeometric residual).
///      - Weights include locked stake: a drawn worker whose free stake cannot cover the collateral is skipped.
///      - Unbonding stake remains slashable until it is withdrawn, even after its release time.
///      - `locked` is the exact sum of open jobs' collateral: {assignWorker} adds the job's amount, {unlockCollateral}
///        and {slash} (its `releasedCollateral`) subtract it, and a slash takes only from free active stake
///        (`active - locked`) and unbonding stake. Hence `locked <= active` always.
///      - The token is assumed to be OPG: a standard ERC-20 without transfer fees or rebasing. The OPG supply (1e27)
///        fits 96 bits (2^96 is about 7.9e28), so stake amounts are stored as uint96 (user input is narrowed with
///        SafeCast).
contract Staking is IStaking, Ownable, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using SortitionTree for SortitionTree.Tree;
    using SortitionTree for SortitionTree.Exclusions;

    // ------------------------------------------------------------------------------------------------- constants

    /// @inheritdoc IStaking
    uint8 public constant ROLE_WORKER = 1;
    /// @inheritdoc IStaking
    uint8 public constant ROLE_VERIFIER = 2;
    /// @notice All valid role bits.
    uint8 public constant ALL_ROLES = ROLE_WORKER | ROLE_VERIFIER;
    /// @notice Stake per sortition ticket (one whole OPG).
    uint256 public constant TICKET = 1e18;

    /// @notice Permission to assign workers and release their collateral (the inference hub).
    uint8 public constant LOCKER = 1;
    /// @notice Permission to slash and jail (the hub, the dispute court, the committee module).
    uint8 public constant SLASHER = 2;
    /// @notice All valid permission bits.
    uint8 public constant ALL_PERMISSIONS = LOCKER | SLASHER;

    /// @notice Most candidates {assignWorker} rejects before it gives up (drawing one of its two excluded members
    ///         does not count).
    uint256 public constant MAX_WORKER_DRAWS = 8;
    /// @notice Largest panel {drawPanel} draws.
    uint256 public constant MAX_PANEL_SEATS = 31;
    /// @notice Longest exclusion list {drawPanel} accepts.
    uint256 public constant MAX_EXCLUDED = 48;
    /// @notice Shortest allowed snapshot period.
    uint256 public constant SNAPSHOT_PERIOD_LOWER_BOUND = 1 minutes;
    /// @notice Longest allowed snapshot period.
    uint256 public constant SNAPSHOT_PERIOD_UPPER_BOUND = 1 days;

    /// @notice Lowest allowed minimum stake (both roles): one ticket.
    uint256 public constant MIN_STAKE_LOWER_BOUND = 1e18;
    /// @notice Highest allowed minimum stake (both roles).
    uint256 public constant MIN_STAKE_UPPER_BOUND = 10_000_000e18;
    /// @notice Shortest allowed unbonding delay (it must also exceed the lifecycle source's longest lifecycle).
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
    /// @inheritdoc IStaking
    uint256 public immutable snapshotPeriod;

    // ------------------------------------------------------------------------------------------------- types

    /// @dev Storage form of an operator ({getOperator} returns it as {IStaking.Operator}). The first slot holds all a
    ///      draw reads of a candidate (stake, collateral, jail, roles), so eligibility and the collateral lock cost one
    ///      slot access; unbonding, which draws never read, is in the second.
    struct OperatorRecord {
        uint96 active;
        uint96 locked;
        uint40 jailedUntil;
        uint8 roles;
        uint96 unbonding;
        uint64 unbondingReleaseAt;
    }

    // ------------------------------------------------------------------------------------------------- state

    StakingParams private _params;
    address private _settlement;
    address private _lifecycleSource;
    uint256 private _totalStaked;
    mapping(address account => uint8 permissions) private _permissions;
    mapping(address operator => OperatorRecord) private _operators;
    SortitionTree.Tree private _workerTree;
    SortitionTree.Tree private _verifierTree;

    // ------------------------------------------------------------------------------------------------- modifiers

    modifier onlyPermission(uint8 permission) {
        if (_permissions[msg.sender] & permission == 0) revert StakingUnauthorized(msg.sender, permission);
        _;
    }

    // ------------------------------------------------------------------------------------------------- constructor

    /// @param token_ The staked token (OPG); must not be the zero address.
    /// @param params_ Initial parameters, checked against the hard bounds.
    /// @param snapshotPeriod_ Seconds per snapshot epoch (see {drawPanel}); at least every panel draw window.
    /// @param initialOwner The owner (deployer first, then the governance timelock).
    constructor(
        IERC20 token_,
        StakingParams memory params_,
        uint256 snapshotPeriod_,
        address initialOwner
    ) Ownable(initialOwner) {
        if (address(token_) == address(0)) revert StakingZeroAddress();
        _checkBounds("snapshotPeriod", snapshotPeriod_, SNAPSHOT_PERIOD_LOWER_BOUND, SNAPSHOT_PERIOD_UPPER_BOUND);
        token = token_;
        snapshotPeriod = snapshotPeriod_;
        _setParams(params_);
    }

    // -------------------------------------------------------------------------------------------- operators

    /// @inheritdoc IStaking
    /// @dev Reverts with {StakingZeroAmount} when `amount` is zero (use {setRoles} to change roles alone) and with
    ///      {StakingInvalidRoles} unless `roles` is a non-empty subset of `ROLE_WORKER | ROLE_VERIFIER`.
    function stake(uint256 amount, uint8 roles) external nonReentrant {
        if (amount == 0) revert StakingZeroAmount();
        if (roles == 0 || roles & ~ALL_ROLES != 0) revert StakingInvalidRoles(roles);

        OperatorRecord storage op = _operators[msg.sender];
        op.active = SafeCast.toUint96(uint256(op.active) + amount);
        op.roles = roles;
        _totalStaked += amount;
        emit Staked(msg.sender, amount, roles);
        _refreshWeights(msg.sender, op);

        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IStaking
    function setRoles(uint8 roles) external {
        if (roles & ~ALL_ROLES != 0) revert StakingInvalidRoles(roles);
        OperatorRecord storage op = _operators[msg.sender];
        op.roles = roles;
        emit RolesUpdated(msg.sender, roles);
        _refreshWeights(msg.sender, op);
    }

    /// @inheritdoc IStaking
    /// @dev The whole unbonding amount (earlier unbonding included) restarts its clock: it is released together at
    ///      `now + unbondingDelay`. Operators who want staggered releases withdraw before unstaking again.
    function unstake(uint256 amount) external {
        if (amount == 0) revert StakingZeroAmount();
        OperatorRecord storage op = _operators[msg.sender];
        uint256 available = uint256(op.active) - op.locked;
        if (amount > available) revert StakingInsufficientFreeStake(amount, available);

        op.active -= uint96(amount); // amount <= active - locked
        op.unbonding = SafeCast.toUint96(uint256(op.unbonding) + amount);
        uint256 releaseAt = block.timestamp + _params.unbondingDelay;
        op.unbondingReleaseAt = SafeCast.toUint64(releaseAt);
        emit UnbondingStarted(msg.sender, amount, releaseAt);
        _refreshWeights(msg.sender, op);
    }

    /// @inheritdoc IStaking
    function withdraw() external nonReentrant returns (uint256 amount) {
        OperatorRecord storage op = _operators[msg.sender];
        amount = op.unbonding;
        uint256 releaseAt = op.unbondingReleaseAt;
        if (amount == 0 || block.timestamp < releaseAt) revert StakingNothingToWithdraw(releaseAt);

        op.unbonding = 0;
        _totalStaked -= amount;
        emit StakeWithdrawn(msg.sender, amount);

        token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IStaking
    function refresh(address operator) external {
        _refreshWeights(operator, _operators[operator]);
    }

    // -------------------------------------------------------------------------------------------- protocol

    /// @inheritdoc IStaking
    /// @dev Draws tickets of the worker tree without replacement: the tickets of every rejected candidate are excluded
    ///      from later draws, so each attempt looks at a new operator. Attempt `i` uses `keccak256(abi.encode(seed,
    ///      i))`. A candidate is rejected when it is `excludeA` or `excludeB` (zero addresses and non-members never
    ///      match), when it is not eligible (stale weight) or when its free stake is below `collateral`; after
    ///      `MAX_WORKER_DRAWS` rejections of candidates other than `excludeA` and `excludeB` the draw gives up.
    ///      Rejecting the two excluded members when they are drawn, instead of excluding them up front, gives every
    ///      other operator the same probability (a redraw conditioned on missing them) and saves their two storage
    ///      lookups in the usual case, where neither is drawn. Locking zero collateral is allowed (and emitted).
    function assignWorker(
        uint256 seed,
        address excludeA,
        address excludeB,
        uint256 collateral
    ) external onlyPermission(LOCKER) returns (address worker) {
        SortitionTree.Tree storage tree = _workerTree;
        SortitionTree.Exclusions memory ex = SortitionTree.newExclusions(2 + MAX_WORKER_DRAWS);
        uint256 total_ = tree.total();
        uint256 minStake = _params.minWorkerStake;
        uint256 rejected;

        // Each excluded member is drawn at most once (its tickets are excluded after), hence the two extra draws.
        for (uint256 i = 0; i < MAX_WORKER_DRAWS + 2; ++i) {
            uint256 remaining = total_ - ex.tickets;
            if (remaining == 0) break;
            uint256 ticket = ex.ticketAt(uint256(keccak256(abi.encode(seed, i))) % remaining);
            (address candidate, uint256 start) = tree.drawTicket(ticket);
            if (candidate != excludeA && candidate != excludeB) {
                if (_lockIfAble(candidate, minStake, collateral)) return candidate;
                if (++rejected == MAX_WORKER_DRAWS) break;
            }
            ex.excludeRange(start, tree.weightOf(candidate));
        }
        return address(0);
    }

    /// @inheritdoc IStaking
    /// @dev Reverts with {StakingCollateralUnderflow} when `amount` exceeds the operator's locked stake: `locked` is
    ///      the exact sum of open jobs' collateral, so this only happens if the caller's accounting is wrong.
    ///      Releasing zero is a no-op.
    function unlockCollateral(address operator, uint256 amount) external onlyPermission(LOCKER) {
        if (amount == 0) return;
        OperatorRecord storage op = _operators[operator];
        uint256 locked = op.locked;
        if (amount > locked) revert StakingCollateralUnderflow(operator, amount, locked);
        locked -= amount;
        op.locked = uint96(locked);
        emit CollateralUnlocked(operator, amount, locked);
    }

    /// @inheritdoc IStaking
    /// @dev `releasedCollateral` is capped at `locked` (never reverts). Unbonding stake is slashable until it is
    ///      withdrawn, even after its release time. `Slashed` is emitted on every call (also when nothing was left to
    ///      take). Jailing (also with nothing to slash) extends the jail to `now + jailDuration`, never shortens it.
    ///      Reverts with {StakingSettlementNotSet} only if tokens must move and no settlement contract was set.
    function slash(
        address operator,
        uint256 amount,
        uint256 releasedCollateral,
        bool jail
    ) external onlyPermission(SLASHER) nonReentrant returns (uint256 slashed) {
        OperatorRecord storage op = _operators[operator];
        slashed = _take(operator, op, amount, releasedCollateral);
        if (jail) _jail(operator, op);
        _refreshWeights(operator, op);

        if (slashed > 0) {
            address settlement_ = _settlement;
            if (settlement_ == address(0)) revert StakingSettlementNotSet();
            token.safeTransfer(settlement_, slashed);
        }
    }

    // -------------------------------------------------------------------------------------------- sortition

    /// @inheritdoc IStaking
    /// @dev Reverts with {StakingInvalidRoles} unless `role` is exactly one role and with {StakingPanelTooLarge} beyond
    ///      `MAX_PANEL_SEATS` or `MAX_EXCLUDED`. Seat `i` is drawn with `keccak256(abi.encode(seed, i))` from the
    ///      weights at the end of the epoch before `requestedAt`'s. The distinct operators of the pool are counted in
    ///      the same snapshot: the tree's member count at that epoch minus the excluded addresses that held weight
    ///      then (one storage read more than the draw itself).
    function drawPanel(
        uint8 role,
        uint256 seed,
        uint256 seats,
        address[] calldata excluded,
        uint256 requestedAt
    ) external view returns (address[] memory members, Snapshot snapshot) {
        SortitionTree.Tree storage tree = _tree(role);
        if (seats > MAX_PANEL_SEATS || excluded.length > MAX_EXCLUDED) {
            revert StakingPanelTooLarge(seats, excluded.length);
        }
        snapshot = snapshotOf(requestedAt);
        if (snapshot == Snapshot.Unavailable) return (new address[](0), snapshot);
        // Every seat could go to a different operator: at least `seats` non-excluded members in the snapshot.
        members = tree.drawPanel(seed, seats, excluded, _epochOf(requestedAt) - 1, seats);
    }

    /// @inheritdoc IStaking
    function snapshotAvailable(uint256 requestedAt) public view returns (bool) {
        return requestedAt <= block.timestamp && _epochOf(block.timestamp) <= _epochOf(requestedAt) + 1;
    }

    /// @inheritdoc IStaking
    function snapshotOf(uint256 requestedAt) public view returns (Snapshot) {
        if (!snapshotAvailable(requestedAt)) return Snapshot.Unavailable;
        return _epochOf(block.timestamp) == _epochOf(requestedAt) ? Snapshot.Latest : Snapshot.Superseded;
    }

    /// @inheritdoc IStaking
    function panelWeightOf(address operator, uint8 role, uint256 requestedAt) external view returns (uint256) {
        SortitionTree.Tree storage tree = _tree(role);
        if (!snapshotAvailable(requestedAt)) revert StakingSnapshotUnavailable(requestedAt, block.timestamp);
        return tree.weightAt(operator, _epochOf(requestedAt) - 1);
    }

    // -------------------------------------------------------------------------------------------- governance

    /// @inheritdoc IStaking
    /// @dev When a lifecycle source is set, the unbonding delay must also exceed its `maxLifecycleDuration()`.
    ///      A change of a minimum stake does not rewrite existing weights (see {refresh} and the contract notes).
    function setParams(StakingParams calldata params_) external onlyOwner {
        _setParams(params_);
    }

    /// @inheritdoc IStaking
    /// @dev Reverts with {StakingParamOutOfBounds} ("permissions") for unknown bits.
    function setPermissions(address account, uint8 permissions) external onlyOwner {
        if (account == address(0)) revert StakingZeroAddress();
        if (permissions & ~ALL_PERMISSIONS != 0) {
            revert StakingParamOutOfBounds("permissions", permissions, 0, ALL_PERMISSIONS);
        }
        _permissions[account] = permissions;
        emit PermissionsSet(account, permissions);
    }

    /// @inheritdoc IStaking
    function setSettlement(address settlement_) external onlyOwner {
        if (settlement_ == address(0)) revert StakingZeroAddress();
        _settlement = settlement_;
        emit SettlementSet(settlement_);
    }

    /// @inheritdoc IStaking
    /// @dev The current unbonding delay must exceed `source.maxLifecycleDuration()`.
    function setLifecycleSource(address source) external onlyOwner {
        if (source == address(0)) revert StakingZeroAddress();
        _checkUnbondingDelay(source, _params.unbondingDelay);
        _lifecycleSource = source;
        emit LifecycleSourceSet(source);
    }

    /// @inheritdoc IStaking
    /// @dev Returns 0 (and emits nothing) when there is no surplus.
    function recoverSurplus() external onlyOwner nonReentrant returns (uint256 amount) {
        address settlement_ = _settlement;
        if (settlement_ == address(0)) revert StakingSettlementNotSet();
        uint256 balance = token.balanceOf(address(this));
        uint256 owed = _totalStaked;
        if (balance <= owed) return 0;
        amount = balance - owed;
        emit SurplusRecovered(amount);
        token.safeTransfer(settlement_, amount);
    }

    // -------------------------------------------------------------------------------------------- views

    /// @inheritdoc IStaking
    function params() external view returns (StakingParams memory) {
        return _params;
    }

    /// @inheritdoc IStaking
    function getOperator(address operator) external view returns (Operator memory) {
        OperatorRecord storage op = _operators[operator];
        return Operator(op.active, op.locked, op.unbonding, op.unbondingReleaseAt, op.jailedUntil, op.roles);
    }

    /// @inheritdoc IStaking
    /// @dev `releasedCollateral` is capped at the operator's locked stake, as in {slash}.
    function slashableStake(address operator, uint256 releasedCollateral) external view returns (uint256) {
        OperatorRecord storage op = _operators[operator];
        uint256 locked = op.locked;
        uint256 released = releasedCollateral < locked ? releasedCollateral : locked;
        return uint256(op.active) - locked + released + op.unbonding;
    }

    /// @inheritdoc IStaking
    function freeStake(address operator) external view returns (uint256) {
        OperatorRecord storage op = _operators[operator];
        return uint256(op.active) - op.locked;
    }

    /// @inheritdoc IStaking
    /// @dev Exact at any time (it does not read the sortition weight). Reverts with {StakingInvalidRoles} unless
    ///      `role` is exactly one role.
    function isEligible(address operator, uint8 role) external view returns (bool) {
        _tree(role); // validates the role
        return _eligible(_operators[operator], role, _minStake(role));
    }

    /// @inheritdoc IStaking
    /// @dev As of the operator's last update (see the contract notes). Reverts with {StakingInvalidRoles} unless
    ///      `role` is exactly one role (also in {totalWeight} and {operatorCount}).
    function weightOf(address operator, uint8 role) external view returns (uint256) {
        return _tree(role).weightOf(operator);
    }

    /// @inheritdoc IStaking
    function totalWeight(uint8 role) external view returns (uint256) {
        return _tree(role).total();
    }

    /// @inheritdoc IStaking
    function operatorCount(uint8 role) external view returns (uint256) {
        return _tree(role).size();
    }

    /// @inheritdoc IStaking
    function totalStaked() external view returns (uint256) {
        return _totalStaked;
    }

    /// @inheritdoc IStaking
    function settlement() external view returns (address) {
        return _settlement;
    }

    /// @inheritdoc IStaking
    function permissionsOf(address account) external view returns (uint8) {
        return _permissions[account];
    }

    /// @notice The contract whose `maxLifecycleDuration()` bounds the unbonding delay (zero until set).
    function lifecycleSource() external view returns (address) {
        return _lifecycleSource;
    }

    // -------------------------------------------------------------------------------------------- internal

    /// @dev Checks every parameter against its hard bounds (and the lifecycle source), stores them and emits.
    function _setParams(StakingParams memory p) internal {
        _checkBounds("minWorkerStake", p.minWorkerStake, MIN_STAKE_LOWER_BOUND, MIN_STAKE_UPPER_BOUND);
        _checkBounds("minVerifierStake", p.minVerifierStake, MIN_STAKE_LOWER_BOUND, MIN_STAKE_UPPER_BOUND);
        _checkBounds("unbondingDelay", p.unbondingDelay, UNBONDING_DELAY_LOWER_BOUND, UNBONDING_DELAY_UPPER_BOUND);
        _checkBounds("jailDuration", p.jailDuration, JAIL_DURATION_LOWER_BOUND, JAIL_DURATION_UPPER_BOUND);
        address source = _lifecycleSource;
        if (source != address(0)) _checkUnbondingDelay(source, p.unbondingDelay);
        _params = p;
        emit ParamsUpdated(p);
    }

    /// @dev Releases up to `releasedCollateral` of `locked`, then takes up to `amount` from free active stake first
    ///      and unbonding stake second. Never reverts.
    function _take(
        address operator,
        OperatorRecord storage op,
        uint256 amount,
        uint256 releasedCollateral
    ) internal returns (uint256 slashed) {
        uint256 active = op.active;
        uint256 locked = op.locked;
        uint256 unbonding = op.unbonding;

        uint256 released = releasedCollateral < locked ? releasedCollateral : locked;
        if (released > 0) {
            locked -= released;
            op.locked = uint96(locked);
            emit CollateralUnlocked(operator, released, locked);
        }

        uint256 free = active - locked;
        uint256 fromActive = amount < free ? amount : free;
        uint256 rest = amount - fromActive;
        uint256 fromUnbonding = rest < unbonding ? rest : unbonding;
        slashed = fromActive + fromUnbonding;

        op.active = uint96(active - fromActive);
        op.unbonding = uint96(unbonding - fromUnbonding);
        _totalStaked -= slashed;
        emit Slashed(operator, msg.sender, fromActive, fromUnbonding);
    }

    /// @dev Locks `collateral` of `candidate` if it is an eligible worker whose free stake covers it.
    function _lockIfAble(address candidate, uint256 minStake, uint256 collateral) internal returns (bool) {
        OperatorRecord storage op = _operators[candidate];
        uint256 locked = op.locked;
        if (!_eligible(op, ROLE_WORKER, minStake) || op.active - locked < collateral) return false;
        locked += collateral; // <= active
        op.locked = uint96(locked);
        emit CollateralLocked(candidate, collateral, locked);
        return true;
    }

    /// @dev Jails until `now + jailDuration`, or keeps a later end.
    function _jail(address operator, OperatorRecord storage op) internal {
        uint256 until = block.timestamp + _params.jailDuration;
        uint256 current = op.jailedUntil;
        if (until < current) until = current;
        op.jailedUntil = uint40(until); // a timestamp plus a bounded duration fits 40 bits (until the year 36812)
        emit Jailed(operator, until);
    }

    /// @dev Recomputes the operator's weight in both roles and writes the ones that changed.
    function _refreshWeights(address operator, OperatorRecord storage op) internal {
        _refreshWeight(operator, op, ROLE_WORKER, _workerTree, _params.minWorkerStake);
        _refreshWeight(operator, op, ROLE_VERIFIER, _verifierTree, _params.minVerifierStake);
    }

    function _refreshWeight(
        address operator,
        OperatorRecord storage op,
        uint8 role,
        SortitionTree.Tree storage tree,
        uint256 minStake
    ) internal {
        // The OPG supply (1e27) is 1e9 tickets: the cast only fails for a token far beyond it, and never on a decrease.
        uint64 tickets = _eligible(op, role, minStake) ? SafeCast.toUint64(op.active / TICKET) : 0;
        if (tree.weightOf(operator) == tickets) return;
        tree.set(operator, tickets, _epochOf(block.timestamp));
        emit WeightUpdated(operator, role, tickets);
    }

    /// @dev Holds `role`, is out of jail and has at least `minStake` active.
    function _eligible(OperatorRecord storage op, uint8 role, uint256 minStake) internal view returns (bool) {
        return op.roles & role != 0 && block.timestamp >= op.jailedUntil && op.active >= minStake;
    }

    function _minStake(uint8 role) internal view returns (uint256) {
        return role == ROLE_WORKER ? _params.minWorkerStake : _params.minVerifierStake;
    }

    /// @dev The tree of `role`; reverts unless `role` is exactly one role.
    function _tree(uint8 role) internal view returns (SortitionTree.Tree storage) {
        if (role == ROLE_WORKER) return _workerTree;
        if (role == ROLE_VERIFIER) return _verifierTree;
        revert StakingInvalidRoles(role);
    }

    /// @dev Snapshot epoch of `timestamp`, numbered from 2 so that "two epochs before" never underflows.
    function _epochOf(uint256 timestamp) internal view returns (uint256) {
        return timestamp / snapshotPeriod + 2;
    }

    /// @dev A panel member may have unstaked up to two epochs before its draw: the unbonding delay must cover them
    ///      and the longest lifecycle, so its stake is still slashable when the panel is judged.
    function _checkUnbondingDelay(address source, uint256 unbondingDelay) internal view {
        uint256 maxLifecycle = IInferenceHub(source).maxLifecycleDuration() + 2 * snapshotPeriod;
        if (unbondingDelay <= maxLifecycle) revert StakingUnbondingTooShort(unbondingDelay, maxLifecycle);
    }

    function _checkBounds(string memory name, uint256 value, uint256 min, uint256 max) internal pure {
        if (value < min || value > max) revert StakingParamOutOfBounds(name, value, min, max);
    }
}
