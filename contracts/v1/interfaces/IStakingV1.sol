// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IStakingV1
/// @notice One OPG stake per operator, usable for the WORKER and/or VERIFIER role. Stake backs work: the hub locks
///         collateral per active job, slashes faults, and draws workers and verifier committees by stake weight.
/// @dev Stake moves `active -> unbonding -> withdrawn`. Unbonding stake stays slashable until it is withdrawn,
///      and the unbonding delay is always longer than the longest request lifecycle of the hub, so nobody escapes a
///      slash by unbonding. Sortition uses one Fenwick (binary indexed) tree per role: O(log n) per draw and per
///      weight update, with a hard cap of {MAX_OPERATORS_PER_ROLE} weighted operators per role.
///      Collateral locks and releases are reported by the hub, in the same transaction, with the request they
///      belong to (`WorkerAssigned` carries the amount; `RequestFinalized`, `RequestRejected`, `RequestExpired` and
///      `WorkerTimedOut` release it). StakingV1 does not repeat them: that saves ~2,800 gas per inference.
interface IStakingV1 {
    /// @notice Role bit flags.
    /// @dev ROLE_WORKER = 1, ROLE_VERIFIER = 2; an operator may hold both.
    function ROLE_WORKER() external view returns (uint8);
    function ROLE_VERIFIER() external view returns (uint8);

    /// @notice Governance parameters (hard bounds in the implementation's constants).
    struct StakingParams {
        uint96 minWorkerStake; // active stake needed to be drawn as a worker
        uint96 minVerifierStake; // active stake needed to verify, challenge or be drawn as a verifier
        uint32 unbondingDelay; // seconds from unstake to withdrawability; > hub.maxLifecycleDuration()
        uint32 jailDuration; // seconds an operator is excluded from sortition after a slash
    }

    /// @notice One operator's position.
    struct Operator {
        uint128 active; // bonded stake, drawn upon and slashable
        uint128 locked; // part of `active` backing open jobs; cannot be unstaked
        uint128 unbonding; // stake waiting for `unbondingReleaseAt`; still slashable
        uint64 unbondingReleaseAt; // when `unbonding` becomes withdrawable
        uint64 jailedUntil; // sortition excludes the operator until this time (and until `unjail`)
        uint8 roles; // ROLE_WORKER | ROLE_VERIFIER
        bool jailed; // set by a slash, cleared by `unjail` after `jailedUntil`
    }

    // ------------------------------------------------------------------------------------------------- events

    /// @notice `amount` was added to the operator's active stake and its roles set to `roles`.
    event Staked(address indexed operator, uint256 amount, uint8 roles);
    /// @notice The operator's roles changed.
    event RolesUpdated(address indexed operator, uint8 roles);
    /// @notice `amount` moved from active to unbonding; all unbonding stake is released at `releaseAt`.
    event UnbondingStarted(address indexed operator, uint256 amount, uint256 releaseAt);
    /// @notice Released unbonding stake was paid out.
    event StakeWithdrawn(address indexed operator, uint256 amount);
    /// @notice Stake was slashed and sent to the hub for distribution.
    event Slashed(address indexed operator, uint256 fromActive, uint256 fromUnbonding);
    /// @notice The operator is excluded from sortition until `until` and a later `unjail`.
    event Jailed(address indexed operator, uint256 until);
    /// @notice The operator rejoined sortition.
    event Unjailed(address indexed operator);
    /// @notice The sortition weight of `operator` in `role` changed.
    event WeightUpdated(address indexed operator, uint8 indexed role, uint256 weight);
    /// @notice Governance changed the parameters.
    event ParamsUpdated(StakingParams params);
    /// @notice The hub (the only slasher and collateral manager) was set, once.
    event HubSet(address hub);

    // ------------------------------------------------------------------------------------------------- errors

    /// @notice Amount is zero.
    error StakingZeroAmount();
    /// @notice Roles contain unknown bits or are empty where a role is required.
    error StakingInvalidRoles(uint8 roles);
    /// @notice Unstake of more than the free (active minus locked) stake.
    error StakingInsufficientFreeStake(uint256 requested, uint256 available);
    /// @notice Nothing is unbonding, or the release time has not come.
    error StakingNothingToWithdraw(uint256 releaseAt);
    /// @notice The caller is not the hub.
    error StakingNotHub(address caller);
    /// @notice The hub has already been set.
    error StakingHubAlreadySet(address hub);
    /// @notice The hub has not been set yet.
    error StakingHubNotSet();
    /// @notice A parameter is outside its hard bounds.
    error StakingParamOutOfBounds(string name, uint256 value, uint256 min, uint256 max);
    /// @notice The unbonding delay does not exceed the hub's longest lifecycle.
    error StakingUnbondingTooShort(uint256 unbondingDelay, uint256 maxLifecycle);
    /// @notice The operator is not jailed, or its jail time has not passed.
    error StakingCannotUnjail(uint256 jailedUntil);
    /// @notice Sortition is full for this role.
    error StakingSortitionFull(uint8 role);
    /// @notice A zero address was given.
    error StakingZeroAddress();

    // -------------------------------------------------------------------------------------------- operator functions

    /// @notice Pulls `amount` OPG from the caller into its active stake and sets its roles.
    /// @dev `amount` must be non-zero; use {setRoles} to only change roles.
    function stake(uint256 amount, uint8 roles) external;

    /// @notice Changes the caller's roles (does not move stake).
    function setRoles(uint8 roles) external;

    /// @notice Moves `amount` of free active stake to unbonding; the release time of all unbonding stake becomes
    ///         `now + unbondingDelay`.
    function unstake(uint256 amount) external;

    /// @notice Pays out all unbonding stake once its release time has passed.
    function withdraw() external returns (uint256 amount);

    /// @notice Rejoins sortition after the jail time.
    function unjail() external;

    // ------------------------------------------------------------------------------------------------- hub functions

    /// @notice Locks `amount` of a worker's free active stake as job collateral.
    /// @return ok False (and no state change) when the operator is not an eligible worker (WORKER role, not
    ///         jailed, active stake at least the worker minimum) or its free stake does not cover `amount`.
    function lockCollateral(address operator, uint256 amount) external returns (bool ok);

    /// @notice Releases up to `amount` of job collateral; saturates at the locked amount, because a slash may have
    ///         already cut `locked` below the open jobs' collateral and settlement must never revert.
    function unlockCollateral(address operator, uint256 amount) external;

    /// @notice Slashes up to `amount` from active stake first, then unbonding stake; sends it to the hub.
    /// @param jail Whether to exclude the operator from sortition for `jailDuration`.
    /// @return slashed The amount actually taken (less than `amount` only when the stake is exhausted).
    function slash(address operator, uint256 amount, bool jail) external returns (uint256 slashed);

    /// @notice Draws an operator of `role` with probability proportional to its weight.
    /// @return operator The drawn operator, or address(0) when nobody has weight.
    function draw(uint8 role, uint256 randomness) external view returns (address operator);

    // ------------------------------------------------------------------------------------------------- governance

    /// @notice Replaces all parameters; each is checked against its hard bounds.
    function setParams(StakingParams calldata params) external;

    /// @notice Sets the hub once; only the hub can lock, unlock and slash.
    function setHub(address hub) external;

    // ------------------------------------------------------------------------------------------------- views

    function params() external view returns (StakingParams memory);

    function hub() external view returns (address);

    function getOperator(address operator) external view returns (Operator memory);

    /// @notice Active plus unbonding stake: everything that can still be slashed.
    function slashableStake(address operator) external view returns (uint256);

    /// @notice Active minus locked stake.
    function freeStake(address operator) external view returns (uint256);

    /// @notice Sortition weight of `operator` in `role` (0 when not eligible).
    function weightOf(address operator, uint8 role) external view returns (uint256);

    /// @notice Sum of weights in `role`.
    function totalWeight(uint8 role) external view returns (uint256);

    /// @notice Whether the operator can currently act in `role`: holds the role, is not jailed, and its active stake
    ///         is at least that role's minimum.
    function isEligible(address operator, uint8 role) external view returns (bool);
}
