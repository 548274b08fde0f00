// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ISettlement} from "../interfaces/ISettlement.sol";

/// @title Settlement
/// @notice The only holder of requesters' funds: free balances, locked request fees, challenge bonds and pull-payment
///         credits (the treasury's included). Protocol contracts move funds between these buckets with exact amounts;
///         tokens leave only through {withdraw} (free balance) and {claim} (credits), to their owner.
/// @dev Solvency: `token.balanceOf(this) == totalBalances + totalLocked + totalBonded + totalCredits + surplus()`
///      after every call, where the four totals are storage sums moved together with the per-account values, and
///      `surplus()` is what arrived outside the accounted paths (slashed stake sent by Staking, waiting to be
///      distributed with {credit} in the same transaction, or a donation; governance credits it to the treasury with
///      {recoverSurplus}).
///      Locked fees and bonds are pooled: the hub and the verification layer know each request's amounts and pass
///      them exactly; this contract checks that a payout never exceeds its pool, so an error elsewhere can never
///      reach free balances or credits.
///      Stored are `totalLocked`, `totalCredits`, `totalBonded` and `totalHeld`, the sum of all four accounted
///      buckets; `totalBalances` is derived (`totalHeld - totalLocked - totalBonded - totalCredits`), so moving
///      funds between buckets never writes `totalHeld`. They are `uint96`, packed so that the fee path (lock, split,
///      refund, callback pay) touches one slot: it holds locked, credits and the treasury's fee-split shares not yet
///      moved into its credits (`uint64`), so a split writes no treasury slot; held and bonded share another.
///      `totalHeld` bounds the other three and is bounded by the token's supply (10^9 OPG = 10^27 wei < 2^96); every
///      increase of it is narrowed with SafeCast, so a sum beyond 96 bits reverts and the other casts cannot truncate.
///      Reentrancy: the five functions that move tokens ({deposit}, {depositFor}, {depositWithPermit}, {withdraw},
///      {claim}) are `nonReentrant` (a lock in transient storage) and move them after the state change
///      (checks-effects-interactions), only with the immutable `token`. The protocol functions make no external call
///      except the token's `balanceOf` (a static call), so they cannot be re-entered and carry no guard (the fee path
///      stays cheap).
contract Settlement is ISettlement, Ownable {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    // ------------------------------------------------------------------------------------------------- constants

    /// @notice Permission bit of the inference hub: fee deposits by permit, fee locks, splits, refunds.
    uint8 public constant FEES = 1;
    /// @notice Permission bit of the court and the verification modules: bonds and credits.
    uint8 public constant BONDS = 2;
    /// @notice Most entries of one {credit} call, and most verifier seats of one fee split.
    uint256 public constant MAX_CREDIT_BATCH = 64;

    /// @dev Every defined permission bit.
    uint8 private constant ALL_PERMISSIONS = FEES | BONDS;

    // ------------------------------------------------------------------------------------------------- immutables

    /// @notice The OPG token.
    IERC20 public immutable token;

    // ------------------------------------------------------------------------------------------------- state

    // The mappings come first: each takes a whole slot, so the totals below start a fresh slot instead of packing
    // into the 12 bytes that Ownable's `_owner` leaves free in slot 0 (which would split the fee path's fields over
    // two slots).
    mapping(address account => uint256) private _balances;
    mapping(address account => uint256) private _credits;
    mapping(address account => uint8) private _permissions;

    /// @dev The fee path's slot, read and written once by each of {lockFee}, {payFee}, {refundFee}, {payLocked}.
    ///      `_treasuryAccrued` is the treasury's fee-split shares not yet moved into `_credits` (kept here so that a
    ///      split touches neither `_treasury` nor the treasury's credits): counted in `_totalCredits` and in
    ///      {creditsOf}; moved into `_credits` when the treasury claims or changes, or with the share that would take
    ///      it beyond 64 bits (at most once per ~18.4 OPG of treasury income).
    uint96 private _totalLocked;
    uint96 private _totalCredits;
    uint64 private _treasuryAccrued;
    /// @dev Everything held and the bonds, one slot ({deposit}, {withdraw}, {claim}, {lockBond}, {credit}).
    uint96 private _totalHeld;
    uint96 private _totalBonded;
    /// @dev Own slot: read only to flush or claim the accrued shares, to change the treasury, and by the views.
    address private _treasury;
    /// @dev Reentrancy lock in transient storage (EIP-1153), set and cleared around every guarded call.
    bool private transient _entered;

    // ------------------------------------------------------------------------------------------------- modifiers

    modifier nonReentrant() {
        if (_entered) revert SettlementReentrantCall();
        _entered = true;
        _;
        _entered = false;
    }

    /// @dev Reverts unless the caller holds `permission`.
    modifier onlyPermitted(uint8 permission) {
        _checkPermission(permission);
        _;
    }

    // ------------------------------------------------------------------------------------------------- constructor

    /// @param token_ The OPG token.
    /// @param treasury_ The account credited with the protocol's share of fees and with recovered surplus.
    /// @param initialOwner The deployer first; governance (the timelock) afterwards.
    constructor(IERC20 token_, address treasury_, address initialOwner) Ownable(initialOwner) {
        if (address(token_) == address(0) || treasury_ == address(0)) revert SettlementZeroAddress();
        token = token_;
        _treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    // ------------------------------------------------------------------------------------------------- accounts

    /// @inheritdoc ISettlement
    function deposit(uint256 amount) external nonReentrant {
        _deposit(msg.sender, msg.sender, amount);
    }

    /// @inheritdoc ISettlement
    function depositFor(address account, uint256 amount) external nonReentrant {
        if (account == address(0)) revert SettlementZeroAddress();
        _deposit(account, msg.sender, amount);
    }

    /// @inheritdoc ISettlement
    function withdraw(uint256 amount) external nonReentrant {
        if (amount == 0) revert SettlementZeroAmount();
        uint256 balance = _balances[msg.sender];
        if (balance < amount) revert SettlementInsufficientBalance(msg.sender, balance, amount);
        _balances[msg.sender] = balance - amount;
        _totalHeld -= uint96(amount); // amount <= balance <= totalHeld < 2^96
        emit Withdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc ISettlement
    function claim() external nonReentrant returns (uint256 amount) {
        if (msg.sender == _treasury) _flushTreasury();
        amount = _credits[msg.sender];
        if (amount == 0) revert SettlementNoCredits(msg.sender);
        _credits[msg.sender] = 0;
        _totalCredits -= uint96(amount); // amount <= totalCredits <= totalHeld < 2^96
        _totalHeld -= uint96(amount);
        emit CreditsClaimed(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    // ------------------------------------------------------------------------------------------------- protocol

    /// @inheritdoc ISettlement
    /// @dev A permit front-run by a third party consumes the nonce but still sets the allowance: its failure is
    ///      ignored and the transfer decides. The tokens can only go to `payer`'s own free balance.
    function depositWithPermit(
        address payer,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant onlyPermitted(FEES) {
        if (payer == address(0)) revert SettlementZeroAddress();
        try IERC20Permit(address(token)).permit(payer, address(this), amount, deadline, v, r, s) {} catch {}
        _deposit(payer, payer, amount);
    }

    /// @inheritdoc ISettlement
    /// @dev A zero amount is accepted (and recorded), so the hub never has to special-case it.
    function lockFee(uint256 requestId, address payer, uint256 amount) external onlyPermitted(FEES) {
        uint256 balance = _balances[payer];
        if (balance < amount) revert SettlementInsufficientBalance(payer, balance, amount);
        _balances[payer] = balance - amount;
        _totalLocked += uint96(amount); // amount <= balance <= totalHeld < 2^96
        emit FeeLocked(requestId, payer, amount);
    }

    /// @inheritdoc ISettlement
    /// @dev One event for the whole split; the verifier seats are credited in one loop without events of their own
    ///      (the verification layer's events name them). Zero amounts write nothing. A non-zero amount for the zero
    ///      address reverts (it could never be claimed).
    function payFee(uint256 requestId, FeeSplit calldata split) external onlyPermitted(FEES) {
        uint256 seats = split.verifiers.length;
        if (seats > MAX_CREDIT_BATCH) revert SettlementBatchTooLarge(seats, MAX_CREDIT_BATCH);
        uint256 perVerifier = split.perVerifier;
        uint256 verifierPay = perVerifier * seats;
        uint256 total = split.workerPay + split.royalty + verifierPay + split.treasuryPay;
        // The fee path's slot is read and written once, before the mapping writes: the optimizer cannot tell a
        // mapping slot from it, so a field read or written after one would cost a second access.
        {
            // Scoped: the stack of the legacy pipeline (the test builds) has no room for these beside the event's.
            uint256 locked = _totalLocked;
            if (total > locked) revert SettlementInsufficientLocked(locked, total);
            uint256 credits = _totalCredits;
            (uint256 accrued, uint256 flushed) = _accrueTreasury(_treasuryAccrued, split.treasuryPay);
            // total <= locked, and credits + total <= totalHeld < 2^96; accrued < 2^64 (_accrueTreasury).
            _totalLocked = uint96(locked - total);
            _totalCredits = uint96(credits + total);
            _treasuryAccrued = uint64(accrued);
            if (flushed != 0) _credits[_treasury] += flushed;
        }
        _creditNonZero(split.worker, split.workerPay);
        _creditNonZero(split.royaltyRecipient, split.royalty);
        if (perVerifier != 0) {
            for (uint256 i; i < seats; ++i) {
                address verifier = split.verifiers[i];
                if (verifier == address(0)) revert SettlementZeroAddress();
                _credits[verifier] += perVerifier;
            }
        }
        emit FeeSplitPaid(
            requestId,
            split.worker,
            split.royaltyRecipient,
            split.workerPay,
            split.royalty,
            verifierPay,
            split.treasuryPay
        );
    }

    /// @inheritdoc ISettlement
    function refundFee(uint256 requestId, address payer, uint256 amount) external onlyPermitted(FEES) {
        if (payer == address(0)) revert SettlementZeroAddress();
        uint256 locked = _totalLocked;
        if (amount > locked) revert SettlementInsufficientLocked(locked, amount);
        _totalLocked = uint96(locked - amount); // <= locked
        _balances[payer] += amount;
        emit FeeRefunded(requestId, payer, amount);
    }

    /// @inheritdoc ISettlement
    function payLocked(uint256 requestId, address account, uint256 amount) external onlyPermitted(FEES) {
        if (account == address(0)) revert SettlementZeroAddress();
        // Both totals read and written together, before the mapping write: one access of the fee path's slot.
        uint256 locked = _totalLocked;
        uint256 credits = _totalCredits;
        if (amount > locked) revert SettlementInsufficientLocked(locked, amount);
        // amount <= locked, and credits + amount <= totalHeld < 2^96.
        _totalLocked = uint96(locked - amount);
        _totalCredits = uint96(credits + amount);
        _credits[account] += amount;
        emit FeeCredited(requestId, account, amount);
    }

    /// @inheritdoc ISettlement
    function lockBond(uint256 requestId, address account, uint256 amount) external onlyPermitted(BONDS) {
        uint256 balance = _balances[account];
        if (balance < amount) revert SettlementInsufficientBalance(account, balance, amount);
        _balances[account] = balance - amount;
        _totalBonded += uint96(amount); // amount <= balance <= totalHeld < 2^96
        emit BondLocked(requestId, account, amount);
    }

    /// @inheritdoc ISettlement
    /// @dev Entries with a zero amount are skipped (no write, no event). The whole batch is checked against its
    ///      source before anything moves.
    function credit(
        uint256 requestId,
        Source source,
        address[] calldata accounts,
        uint256[] calldata amounts,
        bytes32 reason
    ) external onlyPermitted(BONDS) {
        uint256 length = accounts.length;
        if (length != amounts.length) revert SettlementLengthMismatch();
        if (length > MAX_CREDIT_BATCH) revert SettlementBatchTooLarge(length, MAX_CREDIT_BATCH);
        uint256 total;
        for (uint256 i; i < length; ++i) total += amounts[i];
        uint256 available = source == Source.Bonds ? _totalBonded : _surplus();
        if (total > available) revert SettlementInsufficientSource(source, available, total);

        for (uint256 i; i < length; ++i) {
            uint256 amount = amounts[i];
            if (amount == 0) continue;
            address account = accounts[i];
            if (account == address(0)) revert SettlementZeroAddress();
            _credits[account] += amount;
            emit Credited(requestId, account, amount, reason);
        }
        if (source == Source.Bonds) {
            _totalBonded -= uint96(total); // total <= totalBonded
        } else {
            // The surplus becomes accounted: the token's balance, and so the sum, can exceed 96 bits in theory.
            _totalHeld = (_totalHeld + total).toUint96();
        }
        _totalCredits += uint96(total); // total <= totalBonded or the held increase, and credits + total <= totalHeld
    }

    // ------------------------------------------------------------------------------------------------- governance

    /// @inheritdoc ISettlement
    /// @dev Credits already held by the previous treasury stay claimable by it.
    function setTreasury(address treasury_) external onlyOwner {
        if (treasury_ == address(0)) revert SettlementZeroAddress();
        _flushTreasury();
        _treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    /// @inheritdoc ISettlement
    function setPermissions(address account, uint8 permissions) external onlyOwner {
        if (account == address(0)) revert SettlementZeroAddress();
        if (permissions & ~ALL_PERMISSIONS != 0) revert SettlementInvalidPermissions(permissions);
        _permissions[account] = permissions;
        emit PermissionsSet(account, permissions);
    }

    /// @inheritdoc ISettlement
    function recoverSurplus() external onlyOwner returns (uint256 amount) {
        amount = _surplus();
        if (amount == 0) revert SettlementZeroAmount();
        address treasury_ = _treasury;
        _credits[treasury_] += amount;
        _totalHeld = (_totalHeld + amount).toUint96(); // as in {credit}: the sum can exceed 96 bits in theory
        _totalCredits += uint96(amount); // amount <= the held increase, and credits + amount <= totalHeld
        emit SurplusRecovered(amount);
    }

    // ------------------------------------------------------------------------------------------------- views

    /// @inheritdoc ISettlement
    function balanceOf(address account) external view returns (uint256) {
        return _balances[account];
    }

    /// @inheritdoc ISettlement
    function creditsOf(address account) external view returns (uint256) {
        if (account == _treasury) return _credits[account] + _treasuryAccrued;
        return _credits[account];
    }

    /// @inheritdoc ISettlement
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc ISettlement
    function totalBalances() external view returns (uint256) {
        return uint256(_totalHeld) - _totalLocked - _totalBonded - _totalCredits;
    }

    /// @inheritdoc ISettlement
    function totalLocked() external view returns (uint256) {
        return _totalLocked;
    }

    /// @inheritdoc ISettlement
    function totalBonded() external view returns (uint256) {
        return _totalBonded;
    }

    /// @inheritdoc ISettlement
    function totalCredits() external view returns (uint256) {
        return _totalCredits;
    }

    /// @inheritdoc ISettlement
    function surplus() external view returns (uint256) {
        return _surplus();
    }

    /// @inheritdoc ISettlement
    function permissionsOf(address account) external view returns (uint8) {
        return _permissions[account];
    }

    // ------------------------------------------------------------------------------------------------- internal

    /// @dev Credits `amount` pulled from `from` to `account`'s free balance (state first, then the pull).
    function _deposit(address account, address from, uint256 amount) private {
        if (amount == 0) revert SettlementZeroAmount();
        _balances[account] += amount;
        _totalHeld = (_totalHeld + amount).toUint96(); // the bound of every other total
        emit Deposited(account, from, amount);
        token.safeTransferFrom(from, address(this), amount);
    }

    /// @dev Adds `amount` to `account`'s credits (the caller updates `_totalCredits`); nothing for a zero amount.
    function _creditNonZero(address account, uint256 amount) private {
        if (amount == 0) return;
        if (account == address(0)) revert SettlementZeroAddress();
        _credits[account] += amount;
    }

    /// @dev The treasury's accrued shares once the fee-split share `amount` is added to `accrued`, and what moves
    ///      into its `_credits` instead: the whole sum when it does not fit the 64 bits of `_treasuryAccrued` (both
    ///      stay counted in `_totalCredits`, which the caller updates).
    function _accrueTreasury(uint256 accrued, uint256 amount) private pure returns (uint256 kept, uint256 flushed) {
        uint256 sum = accrued + amount;
        if (sum <= type(uint64).max) return (sum, 0);
        return (0, sum);
    }

    /// @dev Moves the treasury's accrued shares into its `_credits`.
    function _flushTreasury() private {
        uint256 accrued = _treasuryAccrued;
        if (accrued == 0) return;
        _credits[_treasury] += accrued;
        _treasuryAccrued = 0;
    }

    /// @dev Tokens held beyond the four accounted sums.
    function _surplus() private view returns (uint256) {
        return token.balanceOf(address(this)) - _totalHeld;
    }

    /// @dev Reverts with {SettlementUnauthorized} unless the caller holds `permission`.
    function _checkPermission(uint8 permission) private view {
        if (_permissions[msg.sender] & permission == 0) revert SettlementUnauthorized(msg.sender, permission);
    }
}
