// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ISettlement
/// @notice The settlement layer: the only contract that holds requesters' funds. Free balances, locked request fees,
///         challenge bonds, pull-payment credits (treasury included) and the fee split of every settled request.
/// @dev Solvency (docs/PROTOCOL.md invariant 1): `token.balanceOf(this) == totalBalances + totalLocked +
///      totalBonded + totalCredits + surplus`, where `surplus` is what arrived outside the accounted paths (slashed
///      stake waiting to be distributed in the same transaction, or a donation), recoverable to the treasury.
///      Protocol contracts (the inference hub, verification modules, the court) are granted permissions by
///      governance; they pass exact amounts, and every move keeps the sums exact to the wei.
interface ISettlement {
    // ------------------------------------------------------------------------------------------------- types

    /// @notice How the fee of a finalized request is paid out. `perVerifier` is paid once per entry of `verifiers`
    ///         (an address holding several seats appears several times).
    struct FeeSplit {
        address worker;
        uint256 workerPay;
        address royaltyRecipient;
        uint256 royalty;
        address[] verifiers;
        uint256 perVerifier;
        uint256 treasuryPay;
    }

    /// @notice Where the tokens of a {credit} come from.
    enum Source {
        Bonds, // challenge bonds held here
        Surplus // tokens that arrived outside the accounted paths: slashed stake sent by Staking
    }

    // ------------------------------------------------------------------------------------------------- events

    event Deposited(address indexed account, address indexed from, uint256 amount);
    event Withdrawn(address indexed account, uint256 amount);
    event CreditsClaimed(address indexed account, uint256 amount);
    /// @notice `amount` of `payer`'s free balance was locked for `requestId`.
    event FeeLocked(uint256 indexed requestId, address indexed payer, uint256 amount);
    /// @notice The locked fee of `requestId` was split as credits; the amounts sum to the locked fee paid out
    ///         (`verifierPay` = perVerifier × seats).
    event FeeSplitPaid(
        uint256 indexed requestId,
        address indexed worker,
        address indexed royaltyRecipient,
        uint256 workerPay,
        uint256 royalty,
        uint256 verifierPay,
        uint256 treasuryPay
    );
    /// @notice `amount` of a locked fee went back to `payer`'s free balance.
    event FeeRefunded(uint256 indexed requestId, address indexed payer, uint256 amount);
    /// @notice `amount` of `account`'s free balance was bonded for a challenge of `requestId`.
    event BondLocked(uint256 indexed requestId, address indexed account, uint256 amount);
    /// @notice `amount` was credited to `account` for `reason` (every credit other than a fee split).
    event Credited(uint256 indexed requestId, address indexed account, uint256 amount, bytes32 indexed reason);
    /// @notice A share of a locked fee was credited to `account` (the callback fee to its deliverer).
    event FeeCredited(uint256 indexed requestId, address indexed account, uint256 amount);
    /// @notice Tokens beyond the accounted sums were credited to the treasury.
    event SurplusRecovered(uint256 amount);
    event TreasurySet(address treasury);
    /// @notice Governance granted or revoked protocol permissions (bit set) of `account`.
    event PermissionsSet(address indexed account, uint8 permissions);

    // ------------------------------------------------------------------------------------------------- errors

    error SettlementZeroAmount();
    /// @notice A guarded function was entered again during its own call.
    error SettlementReentrantCall();
    error SettlementZeroAddress();
    error SettlementInsufficientBalance(address account, uint256 balance, uint256 needed);
    error SettlementNoCredits(address account);
    /// @notice The caller lacks the protocol permission `permission`.
    error SettlementUnauthorized(address caller, uint8 permission);
    /// @notice A payout would take more than its source holds.
    error SettlementInsufficientSource(Source source, uint256 available, uint256 needed);
    error SettlementLengthMismatch();
    error SettlementInsufficientLocked(uint256 locked, uint256 needed);
    /// @notice A {credit} batch or a fee split's verifier list is longer than `maxLength` (`MAX_CREDIT_BATCH`).
    error SettlementBatchTooLarge(uint256 length, uint256 maxLength);
    /// @notice `permissions` has bits other than FEES and BONDS.
    error SettlementInvalidPermissions(uint8 permissions);

    // ------------------------------------------------------------------------------------------------- accounts

    /// @notice Pulls `amount` OPG from the caller into its free balance.
    function deposit(uint256 amount) external;

    /// @notice Pulls `amount` OPG from the caller into `account`'s free balance.
    function depositFor(address account, uint256 amount) external;

    /// @notice Sends `amount` of the caller's free (unlocked) balance to it.
    function withdraw(uint256 amount) external;

    /// @notice Sends all of the caller's credits to it.
    function claim() external returns (uint256 amount);

    // ------------------------------------------------------------------------------------------------- protocol

    /// @notice Pulls `amount` from `payer` with an ERC-2612 permit (a front-run permit is tolerated when the
    ///         allowance is there) into its free balance. FEES permission (the hub's `requestWithPermit`).
    function depositWithPermit(address payer, uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;

    /// @notice Locks `amount` of `payer`'s free balance for `requestId`. FEES permission.
    function lockFee(uint256 requestId, address payer, uint256 amount) external;

    /// @notice Pays a locked fee out as credits. FEES permission.
    function payFee(uint256 requestId, FeeSplit calldata split) external;

    /// @notice Returns `amount` of a locked fee to `payer`'s free balance. FEES permission.
    function refundFee(uint256 requestId, address payer, uint256 amount) external;

    /// @notice Credits `amount` of a locked fee to `account` (e.g. the prepaid callback fee). FEES permission.
    function payLocked(uint256 requestId, address account, uint256 amount) external;

    /// @notice Bonds `amount` of `account`'s free balance for a challenge of `requestId`. BONDS permission.
    function lockBond(uint256 requestId, address account, uint256 amount) external;

    /// @notice Credits `amounts[i]` to `accounts[i]` out of `source`. BONDS permission.
    function credit(
        uint256 requestId,
        Source source,
        address[] calldata accounts,
        uint256[] calldata amounts,
        bytes32 reason
    ) external;

    // ------------------------------------------------------------------------------------------------- governance

    function setTreasury(address treasury) external;

    /// @notice Grants `permissions` (bit set of FEES, BONDS) to a protocol contract; zero revokes.
    function setPermissions(address account, uint8 permissions) external;

    /// @notice Credits the surplus (tokens beyond the accounted sums) to the treasury.
    function recoverSurplus() external returns (uint256 amount);

    // ------------------------------------------------------------------------------------------------- views

    function balanceOf(address account) external view returns (uint256);

    function creditsOf(address account) external view returns (uint256);

    function treasury() external view returns (address);

    function totalBalances() external view returns (uint256);

    function totalLocked() external view returns (uint256);

    function totalBonded() external view returns (uint256);

    function totalCredits() external view returns (uint256);

    /// @notice Tokens held beyond balances, locked fees, bonds and credits.
    function surplus() external view returns (uint256);

    function permissionsOf(address account) external view returns (uint8);
}
