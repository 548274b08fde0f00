// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IStaking
/// @notice Operator stakes (WORKER and/or VERIFIER roles), unbonding, per-job collateral, slashing, jailing by time,
///         and stake-weighted sortition of workers and of panels.
/// @dev Sortition counts stake in whole-OPG tickets (`TICKET` wei each): a panel of n seats is n distinct tickets
///      drawn without replacement, so an operator holding several drawn tickets holds several seats, and splitting
///      a stake over many addresses never adds expected seats (it can only lose the fractional ticket of each).
///      The trees grow without a fixed capacity; draws and weight updates are O(log n).
///      Collateral: the inference hub locks a job's exact collateral on assignment and releases exactly that amount
///      when the job ends (it derives the amount from the job's terms). A slash for a fault on one job releases
///      that job's collateral and then takes from free active stake and unbonding stake, never from the collateral
///      of the operator's other open jobs: so `locked` always equals the sum of open jobs' collateral, exactly.
///      Protocol calls (lock, unlock, slash) never revert for a state the protocol can reach.
interface IStaking {
    // ------------------------------------------------------------------------------------------------- types

    /// @notice Governance parameters; each has hard bounds.
    /// @notice State of a panel snapshot, see {snapshotOf}.
    enum Snapshot {
        Unavailable,
        Latest,
        Superseded
    }

    struct StakingParams {
        uint128 minWorkerStake; // least active stake to be drawn as a worker
        uint128 minVerifierStake; // least active stake to be drawn for a panel or to challenge
        uint32 unbondingDelay; // seconds before unbonding stake can be withdrawn; > the longest request lifecycle
        uint32 jailDuration; // seconds an operator cannot be drawn after a fault; ends by itself
    }

    /// @notice One operator's position.
    struct Operator {
        uint128 active; // bonded stake, drawn upon and slashable
        uint128 locked; // part of `active` backing open jobs (sum of their collateral); cannot be unstaked
        uint128 unbonding; // stake waiting for `unbondingReleaseAt`; still slashable
        uint64 unbondingReleaseAt; // when `unbonding` becomes withdrawable
        uint64 jailedUntil; // the operator cannot be drawn before this time
        uint8 roles; // ROLE_WORKER | ROLE_VERIFIER
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
    /// @notice `amount` of the operator's stake was locked as collateral of a job (`locked` is the new total).
    event CollateralLocked(address indexed operator, uint256 amount, uint256 locked);
    /// @notice `amount` of job collateral was released (`locked` is the new total).
    event CollateralUnlocked(address indexed operator, uint256 amount, uint256 locked);
    /// @notice Stake was slashed and sent to the settlement contract, which distributes it.
    event Slashed(address indexed operator, address indexed slasher, uint256 fromActive, uint256 fromUnbonding);
    /// @notice The operator cannot be drawn before `until`.
    event Jailed(address indexed operator, uint256 until);
    /// @notice The sortition weight (in tickets) of `operator` in `role` changed.
    event WeightUpdated(address indexed operator, uint8 indexed role, uint256 tickets);
    /// @notice Governance changed the parameters.
    event ParamsUpdated(StakingParams params);
    /// @notice Governance granted or revoked protocol permissions (`LOCKER`, `SLASHER` bits) of `account`.
    event PermissionsSet(address indexed account, uint8 permissions);
    /// @notice The settlement contract (recipient of slashes and recovered tokens) was set.
    event SettlementSet(address settlement);
    /// @notice The contract whose `maxLifecycleDuration` bounds the unbonding delay was set.
    event LifecycleSourceSet(address source);
    /// @notice Tokens held beyond all stakes were sent to the settlement contract for the treasury.
    event SurplusRecovered(uint256 amount);

    // ------------------------------------------------------------------------------------------------- errors

    /// @notice Amount is zero.
    error StakingZeroAmount();
    /// @notice Roles contain unknown bits, or are empty where a role is required.
    error StakingInvalidRoles(uint8 roles);
    /// @notice Unstake of more than the free (active minus locked) stake.
    error StakingInsufficientFreeStake(uint256 requested, uint256 available);
    /// @notice Nothing is unbonding, or the release time has not come.
    error StakingNothingToWithdraw(uint256 releaseAt);
    /// @notice The caller lacks the protocol permission `permission` (LOCKER or SLASHER).
    error StakingUnauthorized(address caller, uint8 permission);
    /// @notice A parameter is outside its hard bounds.
    error StakingParamOutOfBounds(string name, uint256 value, uint256 min, uint256 max);
    /// @notice The unbonding delay does not exceed `maxLifecycle`: the longest request lifecycle plus two snapshot
    ///         epochs.
    error StakingUnbondingTooShort(uint256 unbondingDelay, uint256 maxLifecycle);
    /// @notice A zero address was given.
    error StakingZeroAddress();
    /// @notice The settlement contract was not set yet.
    error StakingSettlementNotSet();
    /// @notice Release of more collateral than the operator has locked (the caller's accounting is wrong).
    error StakingCollateralUnderflow(address operator, uint256 amount, uint256 locked);
    /// @notice A panel of more than `MAX_PANEL_SEATS` seats, or an exclusion list longer than `MAX_EXCLUDED`.
    error StakingPanelTooLarge(uint256 seats, uint256 excluded);
    /// @notice The weights frozen for randomness requested at `requestedAt` can no longer be read at `timestamp`
    ///         (or `requestedAt` is in the future): ask for the weights of a newer request.
    error StakingSnapshotUnavailable(uint256 requestedAt, uint256 timestamp);

    // -------------------------------------------------------------------------------------------- operators

    /// @notice Pulls `amount` OPG from the caller into its active stake and sets its roles.
    function stake(uint256 amount, uint8 roles) external;

    /// @notice Changes the caller's roles (does not move stake). Zero leaves sortition in both roles.
    function setRoles(uint8 roles) external;

    /// @notice Moves `amount` of free active stake to unbonding; the release time of all unbonding stake becomes
    ///         `now + unbondingDelay`.
    function unstake(uint256 amount) external;

    /// @notice Pays out all unbonding stake once its release time has passed.
    function withdraw() external returns (uint256 amount);

    /// @notice Brings `operator`'s sortition weights up to date (after its jail ended, or after a change of the
    ///         minimum stakes). Permissionless and idempotent: node software and keepers call it.
    function refresh(address operator) external;

    // -------------------------------------------------------------------------------------------- protocol

    /// @notice Draws a worker by stake among eligible workers other than `excludeA` and `excludeB` whose free stake
    ///         covers `collateral`, and locks the collateral. Rejects at most `MAX_WORKER_DRAWS` other candidates.
    /// @dev LOCKER only.
    /// @return worker The assigned worker, or address(0) when none was found (nothing changes then).
    function assignWorker(
        uint256 seed,
        address excludeA,
        address excludeB,
        uint256 collateral
    ) external returns (address worker);

    /// @notice Releases exactly `amount` of `operator`'s job collateral. LOCKER only.
    function unlockCollateral(address operator, uint256 amount) external;

    /// @notice Releases `releasedCollateral` of `operator`'s locked stake (the collateral of the job being judged),
    ///         then slashes up to `amount` from its free active stake first and unbonding stake second; sends the
    ///         slashed tokens to the settlement contract; optionally jails. Never touches other jobs' collateral.
    /// @dev SLASHER only. Never reverts for amounts within the operator's position.
    /// @return slashed The amount actually taken.
    function slash(
        address operator,
        uint256 amount,
        uint256 releasedCollateral,
        bool jail
    ) external returns (uint256 slashed);

    // -------------------------------------------------------------------------------------------- sortition

    /// @notice Draws a panel of exactly `seats` seats of `role`: distinct tickets drawn by stake without replacement,
    ///         excluding every ticket of the `excluded` addresses, from the weights frozen at the start of the
    ///         snapshot epoch of `requestedAt` (the end of the epoch before it). A panel is drawn only from a pool in
    ///         which every seat could go to a different operator: at least `seats` addresses other than the
    ///         `excluded` ones hold weight in that snapshot.
    /// @dev Frozen weights are what makes a draw unsteerable: `requestedAt` is when the caller asked the randomness
    ///      source for the draw's word, so every weight the draw reads was fixed before that word existed. Available
    ///      while the current epoch is `requestedAt`'s or the next one ({snapshotAvailable}); later, the result is
    ///      empty and `snapshot` Unavailable, and the caller asks for a new word. A member is seated by its frozen
    ///      tickets even if it has since unstaked, been slashed or jailed (its unbonding stake stays slashable for
    ///      the panel's lifecycle), and counts towards the pool of that snapshot for the same reason.
    ///      The pool is the number of members with weight at that snapshot minus the `excluded` addresses that held
    ///      weight in it (duplicates counted once). It depends on the snapshot and the parties only, never on
    ///      `seed`: a pool too small for the panel is a shortage like too few tickets (the caller waits for a newer
    ///      snapshot and, by its draw deadline, refunds or ends Undecided), not a re-roll. One address holding most
    ///      tickets may still hold most seats of a panel drawn from a large enough pool: seats follow stake.
    /// @param seed Random word (from a delayed randomness source).
    /// @param seats Panel size (at most `MAX_PANEL_SEATS`).
    /// @param excluded Parties of the request (at most `MAX_EXCLUDED`); excluded with their frozen tickets, also if
    ///        they have left since.
    /// @param requestedAt Timestamp of the block in which the draw's randomness was requested.
    /// @return members One entry per seat, in draw order (an address appears once per seat it holds); empty when
    ///         fewer than `seats` non-excluded tickets or fewer than `seats` non-excluded addresses with weight exist
    ///         (the caller waits for a newer snapshot or gives up at its deadline — never a smaller panel) or the
    ///         snapshot is Unavailable.
    /// @return snapshot {snapshotOf}(`requestedAt`): with an empty panel, Superseded means a new word would draw from
    ///         a newer snapshot, Latest that nothing can change before the next epoch.
    function drawPanel(
        uint8 role,
        uint256 seed,
        uint256 seats,
        address[] calldata excluded,
        uint256 requestedAt
    ) external view returns (address[] memory members, Snapshot snapshot);

    /// @notice Whether {drawPanel} can still read the snapshot for randomness requested at `requestedAt`: it is not
    ///         in the future, and the current snapshot epoch is its epoch or the next one.
    function snapshotAvailable(uint256 requestedAt) external view returns (bool);

    /// @notice The state of the snapshot for randomness requested at `requestedAt`: Unavailable (request new
    ///         randomness), Latest (a request now would read the same snapshot) or Superseded (still readable, but a
    ///         request now would read a newer one).
    function snapshotOf(uint256 requestedAt) external view returns (Snapshot);

    /// @notice The tickets of `operator` in `role` that a panel drawn for randomness requested at `requestedAt`
    ///         would use (reverts like {drawPanel} when that snapshot is no longer available).
    function panelWeightOf(address operator, uint8 role, uint256 requestedAt) external view returns (uint256);

    /// @notice Seconds per snapshot epoch (immutable). At least the draw window of every panel, so a draw within its
    ///         window always finds its snapshot.
    function snapshotPeriod() external view returns (uint256);

    // -------------------------------------------------------------------------------------------- governance

    /// @notice Replaces all parameters; each is checked against its hard bounds.
    function setParams(StakingParams calldata params) external;

    /// @notice Grants `permissions` (bit set of `LOCKER`, `SLASHER`) to a protocol contract; zero revokes.
    function setPermissions(address account, uint8 permissions) external;

    /// @notice Sets where slashed and recovered tokens go (the settlement contract).
    function setSettlement(address settlement) external;

    /// @notice Sets the contract (the inference hub) whose `maxLifecycleDuration()` the unbonding delay must exceed.
    function setLifecycleSource(address source) external;

    /// @notice Sends tokens held beyond all stakes (direct transfers) to the settlement contract, for the treasury.
    function recoverSurplus() external returns (uint256 amount);

    // -------------------------------------------------------------------------------------------- views

    function ROLE_WORKER() external view returns (uint8);

    function ROLE_VERIFIER() external view returns (uint8);

    function params() external view returns (StakingParams memory);

    function getOperator(address operator) external view returns (Operator memory);

    /// @notice Stake a slash for a fault on a job with `releasedCollateral` can reach: that collateral + free active
    ///         + unbonding.
    function slashableStake(address operator, uint256 releasedCollateral) external view returns (uint256);

    /// @notice Active minus locked stake.
    function freeStake(address operator) external view returns (uint256);

    /// @notice Whether the operator can be drawn in `role` now: holds the role, its jail is over, and its active
    ///         stake is at least the role's minimum.
    function isEligible(address operator, uint8 role) external view returns (bool);

    /// @notice Sortition weight of `operator` in `role`, in tickets, as of its last update.
    function weightOf(address operator, uint8 role) external view returns (uint256);

    /// @notice Sum of weights (tickets) in `role`.
    function totalWeight(uint8 role) external view returns (uint256);

    /// @notice Operators holding weight in `role`.
    function operatorCount(uint8 role) external view returns (uint256);

    /// @notice Sum of all operators' active and unbonding stake (what the contract owes).
    function totalStaked() external view returns (uint256);

    function settlement() external view returns (address);

    function permissionsOf(address account) external view returns (uint8);
}
