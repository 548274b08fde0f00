// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ISettlement} from "../../../contracts/interfaces/ISettlement.sol";
import {SettlementTestBase} from "./SettlementTestBase.sol";

/// @notice Fuzz properties of the settlement sums: after random sequences of every accounted move (and of refused
///         ones, and of direct token transfers), `token.balanceOf(settlement) == Σ totals + surplus` exactly, every
///         account's balance and credits equal an independent book, the totals equal the sums of the books, and the
///         surplus equals what arrived outside the accounted paths and was not yet credited.
contract SettlementFuzzTest is SettlementTestBase {
    uint256 internal constant STEPS = 40;
    uint256 internal constant OPS = 15;
    uint256 internal constant MAX_AMOUNT = 1_000e18;

    address[] internal actors;
    uint256[] internal actorKeys;
    address[] internal accounts; // every address that can ever hold a balance or credits here

    mapping(address account => uint256) internal bookBalance;
    mapping(address account => uint256) internal bookCredits;
    uint256 internal bookLocked;
    uint256 internal bookBonded;
    uint256 internal bookSurplus;
    uint256 internal permitNonce;

    function setUp() public override {
        super.setUp();
        for (uint256 i; i < 4; ++i) {
            uint256 key = 0xA0 + i;
            address actor = vm.addr(key);
            actors.push(actor);
            actorKeys.push(key);
            accounts.push(actor);
            token.transfer(actor, 1_000_000e18);
            if (i < 3) {
                vm.prank(actor);
                token.approve(address(settlement), type(uint256).max);
            } // actor 3 deposits by permit only
        }
        accounts.push(treasury);
        accounts.push(worker);
        accounts.push(royaltyTo);
        for (uint256 i; i < 3; ++i) accounts.push(address(uint160(0x9000 + i)));
    }

    // ------------------------------------------------------------------------------------------ simple properties

    function testFuzz_depositThenWithdraw(uint256 amount, uint256 out) public {
        amount = bound(amount, 1, 1_000_000e18);
        out = bound(out, 1, amount);
        _deposit(alice, amount);
        vm.prank(alice);
        settlement.withdraw(out);
        assertEq(settlement.balanceOf(alice), amount - out, "balance");
        assertEq(token.balanceOf(address(settlement)), amount - out, "held");
        _assertSolvent(0);
    }

    function testFuzz_revert_withdrawAboveBalance(uint256 amount, uint256 out) public {
        amount = bound(amount, 1, 1_000_000e18);
        out = bound(out, amount + 1, type(uint256).max);
        _deposit(alice, amount);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementInsufficientBalance.selector, alice, amount, out));
        vm.prank(alice);
        settlement.withdraw(out);
    }

    /// @notice A split moves exactly its sum from locked to credits, whatever the amounts and the seat count.
    function testFuzz_payFee_movesExactlyTheSplit(
        uint256 locked,
        uint256 workerPay,
        uint256 royalty,
        uint256 seats,
        uint256 perVerifier,
        uint256 treasuryPay
    ) public {
        locked = bound(locked, 0, 1_000_000e18);
        seats = bound(seats, 0, 64);
        perVerifier = bound(perVerifier, 0, seats == 0 ? locked : locked / seats);
        uint256 left = locked - perVerifier * seats;
        workerPay = bound(workerPay, 0, left);
        left -= workerPay;
        royalty = bound(royalty, 0, left);
        left -= royalty;
        treasuryPay = bound(treasuryPay, 0, left);
        uint256 total = workerPay + royalty + perVerifier * seats + treasuryPay;
        if (locked != 0) {
            _deposit(alice, locked);
            _lockFee(1, alice, locked);
        }
        vm.prank(hub);
        settlement.payFee(1, _split(workerPay, royalty, seats, perVerifier, treasuryPay));
        assertEq(settlement.totalLocked(), locked - total, "locked - split");
        assertEq(settlement.totalCredits(), total, "credits == split");
        assertEq(settlement.creditsOf(worker), workerPay, "worker");
        assertEq(settlement.creditsOf(royaltyTo), royalty, "royalty");
        assertEq(settlement.creditsOf(treasury), treasuryPay, "treasury");
        uint256 seatsOfFirst = seats == 0 ? 0 : (seats + 2) / 3;
        assertEq(settlement.creditsOf(address(0x9000)), perVerifier * seatsOfFirst, "first verifier's seats");
        _assertSolvent(0);
    }

    /// @notice The treasury's shares across the 64-bit accrual bound: {creditsOf} and `totalCredits` are always their
    ///         sum, and the stored accrual and credits follow the rule (the whole sum moves into the credits once it
    ///         would exceed 2^64 - 1). A third of the shares land the sum on 2^64 - 1, 2^64 or 2^64 + 1 exactly.
    function testFuzz_treasuryAccrual_exactAcrossTheUint64Bound(uint256 seed) public {
        uint256 max64 = type(uint64).max;
        _deposit(alice, 1_000_000e18);
        _lockFee(1, alice, 1_000_000e18);
        uint256 accrued;
        uint256 moved;
        uint256 paid;
        for (uint256 i; i < 8; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            uint256 share;
            if (r % 3 == 0) share = max64 - accrued + ((r >> 8) % 3);
            else if (r % 3 == 1) share = (r >> 8) % (max64 + 2);
            else share = (r >> 8) % 1e18;
            vm.prank(hub);
            settlement.payFee(i, _split(0, 0, 0, 0, share));
            uint256 sum = accrued + share;
            if (sum <= max64) {
                accrued = sum;
            } else {
                moved += sum;
                accrued = 0;
            }
            paid += share;
            assertEq(_rawAccrued(), accrued, "stored accrual");
            assertEq(_rawCredits(treasury), moved, "stored credits");
            assertEq(settlement.creditsOf(treasury), paid, "treasury");
            assertEq(settlement.totalCredits(), paid, "total credits");
            _assertSolvent(0);
        }
        vm.prank(treasury);
        assertEq(settlement.claim(), paid, "claims every share");
        assertEq(settlement.totalCredits(), 0, "nothing left");
        _assertSolvent(0);
    }

    /// @notice A split above the locked pool is refused with the exact figures and moves nothing.
    function testFuzz_revert_payFeeAboveLocked(uint256 locked, uint256 excess) public {
        locked = bound(locked, 0, 1_000_000e18);
        excess = bound(excess, 1, 1_000_000e18);
        if (locked != 0) {
            _deposit(alice, locked);
            _lockFee(1, alice, locked);
        }
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.SettlementInsufficientLocked.selector, locked, locked + excess)
        );
        vm.prank(hub);
        settlement.payFee(1, _split(locked + excess, 0, 0, 0, 0));
    }

    /// @notice Direct transfers become surplus, exactly, and all of it is recoverable to the treasury.
    function testFuzz_donationsAreRecoverable(uint256 deposit_, uint256 donationA, uint256 donationB) public {
        deposit_ = bound(deposit_, 1, 1_000_000e18);
        donationA = bound(donationA, 1, 1_000_000e18);
        donationB = bound(donationB, 0, 1_000_000e18);
        _deposit(alice, deposit_);
        _donate(donationA);
        _lockFee(1, alice, deposit_ / 2);
        _donate(donationB);
        _assertSolvent(donationA + donationB);
        vm.prank(gov);
        assertEq(settlement.recoverSurplus(), donationA + donationB, "recovered");
        assertEq(settlement.creditsOf(treasury), donationA + donationB, "treasury credited");
        _assertSolvent(0);
        vm.prank(treasury);
        settlement.claim();
        assertEq(token.balanceOf(treasury), donationA + donationB, "treasury paid");
        _assertSolvent(0);
    }

    /// @notice A slash distribution can spend the surplus up to the wei, never a wei more.
    function testFuzz_creditSurplus_boundedBySurplus(uint256 slashed, uint256 toA, uint256 bonded) public {
        slashed = bound(slashed, 0, 1_000_000e18);
        toA = bound(toA, 0, slashed);
        bonded = bound(bonded, 1, 1_000_000e18);
        _deposit(bob, bonded);
        _lockBond(1, bob, bonded);
        _donate(slashed);
        vm.prank(court);
        settlement.credit(1, ISettlement.Source.Surplus, _two(alice, bob), _two(toA, slashed - toA), "slash");
        assertEq(settlement.totalBonded(), bonded, "bonds untouched");
        _assertSolvent(0);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.SettlementInsufficientSource.selector, ISettlement.Source.Surplus, 0, 1)
        );
        vm.prank(court);
        settlement.credit(1, ISettlement.Source.Surplus, _one(alice), _one(1), "slash");
    }

    // ------------------------------------------------------------------------------------------ random sequences

    /// @notice `STEPS` random moves (deposits, permits, withdrawals, claims, fee locks, splits, refunds, callback
    ///         fees, bonds, bond and slash credits, donations, recoveries, refused overdraws); the books are checked
    ///         after every step.
    function testFuzz_randomSequence_keepsSumsExact(uint256 seed) public {
        for (uint256 step; step < STEPS; ++step) {
            seed = uint256(keccak256(abi.encode(seed, step)));
            _step(seed);
            _checkBooks();
        }
    }

    function _step(uint256 seed) internal {
        uint256 op = seed % OPS;
        uint256 r = seed >> 8;
        if (op == 0) _opDeposit(r);
        else if (op == 1) _opDepositFor(r);
        else if (op == 2) _opDepositWithPermit(r);
        else if (op == 3) _opWithdraw(r);
        else if (op == 4) _opClaim(r);
        else if (op == 5) _opLockFee(r);
        else if (op == 6) _opPayFee(r);
        else if (op == 7) _opRefundFee(r);
        else if (op == 8) _opPayLocked(r);
        else if (op == 9) _opLockBond(r);
        else if (op == 10) _opCreditBonds(r);
        else if (op == 11) _opSlash(r);
        else if (op == 12) _opDonate(r);
        else if (op == 13) _opRecover();
        else _opRefusedOverdraw(r);
    }

    function _actor(uint256 r) internal view returns (address) {
        return actors[r % actors.length];
    }

    function _account(uint256 r) internal view returns (address) {
        return accounts[r % accounts.length];
    }

    function _amount(uint256 r, uint256 max) internal pure returns (uint256) {
        return max == 0 ? 0 : r % (max + 1);
    }

    function _opDeposit(uint256 r) internal {
        address actor = actors[r % 3];
        uint256 amount = 1 + _amount(r >> 8, MAX_AMOUNT);
        _deposit(actor, amount);
        bookBalance[actor] += amount;
    }

    function _opDepositFor(uint256 r) internal {
        address from = actors[r % 3];
        address to = _account(r >> 8);
        uint256 amount = 1 + _amount(r >> 16, MAX_AMOUNT);
        vm.prank(from);
        settlement.depositFor(to, amount);
        bookBalance[to] += amount;
    }

    function _opDepositWithPermit(uint256 r) internal {
        address payer = actors[3];
        uint256 amount = 1 + _amount(r, MAX_AMOUNT);
        uint256 deadline = block.timestamp + 1;
        bytes32 digest = _permitDigest(payer, address(settlement), amount, permitNonce, deadline);
        (uint8 v, bytes32 rr, bytes32 s) = vm.sign(actorKeys[3], digest);
        ++permitNonce;
        if ((r >> 128) % 2 == 0) {
            vm.prank(stranger); // front-run: the permit is already used when the hub submits it
            token.permit(payer, address(settlement), amount, deadline, v, rr, s);
        }
        vm.prank(hub);
        settlement.depositWithPermit(payer, amount, deadline, v, rr, s);
        bookBalance[payer] += amount;
    }

    function _opWithdraw(uint256 r) internal {
        address actor = _actor(r);
        uint256 balance = bookBalance[actor];
        if (balance == 0) return;
        uint256 amount = 1 + _amount(r >> 8, balance - 1);
        vm.prank(actor);
        settlement.withdraw(amount);
        bookBalance[actor] -= amount;
    }

    function _opClaim(uint256 r) internal {
        address account = _account(r);
        uint256 credits = bookCredits[account];
        if (credits == 0) return;
        uint256 before = token.balanceOf(account);
        vm.prank(account);
        assertEq(settlement.claim(), credits, "claimed == book");
        assertEq(token.balanceOf(account), before + credits, "claim paid");
        bookCredits[account] = 0;
    }

    function _opLockFee(uint256 r) internal {
        address actor = _actor(r);
        uint256 amount = _amount(r >> 8, bookBalance[actor]);
        _lockFee(r >> 100, actor, amount);
        bookBalance[actor] -= amount;
        bookLocked += amount;
    }

    function _opPayFee(uint256 r) internal {
        uint256 seats = r % 6;
        uint256 left = bookLocked;
        uint256 perVerifier = seats == 0 ? 0 : _amount(r >> 8, left / seats);
        left -= perVerifier * seats;
        uint256 workerPay = _amount(r >> 72, left);
        left -= workerPay;
        uint256 royalty = _amount(r >> 136, left);
        left -= royalty;
        uint256 treasuryPay = _amount(r >> 200, left);
        vm.prank(hub);
        settlement.payFee(r, _split(workerPay, royalty, seats, perVerifier, treasuryPay));
        for (uint256 i; i < seats; ++i) bookCredits[address(uint160(0x9000 + (i % 3)))] += perVerifier;
        bookCredits[worker] += workerPay;
        bookCredits[royaltyTo] += royalty;
        bookCredits[treasury] += treasuryPay;
        bookLocked -= workerPay + royalty + perVerifier * seats + treasuryPay;
    }

    function _opRefundFee(uint256 r) internal {
        address payer = _actor(r);
        uint256 amount = _amount(r >> 8, bookLocked);
        vm.prank(hub);
        settlement.refundFee(r, payer, amount);
        bookLocked -= amount;
        bookBalance[payer] += amount;
    }

    function _opPayLocked(uint256 r) internal {
        address account = _account(r);
        uint256 amount = _amount(r >> 8, bookLocked);
        vm.prank(hub);
        settlement.payLocked(r, account, amount);
        bookLocked -= amount;
        bookCredits[account] += amount;
    }

    function _opLockBond(uint256 r) internal {
        address actor = _actor(r);
        uint256 amount = _amount(r >> 8, bookBalance[actor]);
        _lockBond(r, actor, amount);
        bookBalance[actor] -= amount;
        bookBonded += amount;
    }

    function _opCreditBonds(uint256 r) internal {
        address a = _account(r);
        address b = _account(r >> 8);
        uint256 toA = _amount(r >> 16, bookBonded);
        uint256 toB = _amount(r >> 80, bookBonded - toA);
        vm.prank(court);
        settlement.credit(r, ISettlement.Source.Bonds, _two(a, b), _two(toA, toB), "bond");
        bookBonded -= toA + toB;
        bookCredits[a] += toA;
        bookCredits[b] += toB;
    }

    /// @dev Staking sends slashed stake, then the slasher distributes (part of) the surplus in the same call chain.
    function _opSlash(uint256 r) internal {
        uint256 slashed = _amount(r, MAX_AMOUNT);
        _donate(slashed);
        bookSurplus += slashed;
        address a = _account(r >> 80);
        address b = _account(r >> 88);
        uint256 toA = _amount(r >> 96, bookSurplus);
        uint256 toB = _amount(r >> 160, bookSurplus - toA);
        vm.prank(court);
        settlement.credit(r, ISettlement.Source.Surplus, _two(a, b), _two(toA, toB), "slash");
        bookSurplus -= toA + toB;
        bookCredits[a] += toA;
        bookCredits[b] += toB;
    }

    function _opDonate(uint256 r) internal {
        uint256 amount = 1 + _amount(r, MAX_AMOUNT);
        _donate(amount);
        bookSurplus += amount;
    }

    function _opRecover() internal {
        if (bookSurplus == 0) {
            vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementZeroAmount.selector));
            vm.prank(gov);
            settlement.recoverSurplus();
            return;
        }
        vm.prank(gov);
        assertEq(settlement.recoverSurplus(), bookSurplus, "recovered == book");
        bookCredits[treasury] += bookSurplus;
        bookSurplus = 0;
    }

    /// @dev Each pool refuses a payout one wei above it; nothing moves.
    function _opRefusedOverdraw(uint256 r) internal {
        uint256 which = r % 5;
        address actor = _actor(r >> 8);
        if (which == 0) {
            uint256 balance = bookBalance[actor];
            vm.expectRevert(
                abi.encodeWithSelector(ISettlement.SettlementInsufficientBalance.selector, actor, balance, balance + 1)
            );
            vm.prank(actor);
            settlement.withdraw(balance + 1);
        } else if (which == 1) {
            vm.expectRevert(
                abi.encodeWithSelector(ISettlement.SettlementInsufficientLocked.selector, bookLocked, bookLocked + 1)
            );
            vm.prank(hub);
            settlement.payFee(r, _split(bookLocked + 1, 0, 0, 0, 0));
        } else if (which == 2) {
            vm.expectRevert(
                abi.encodeWithSelector(ISettlement.SettlementInsufficientLocked.selector, bookLocked, bookLocked + 1)
            );
            vm.prank(hub);
            settlement.refundFee(r, actor, bookLocked + 1);
        } else if (which == 3) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ISettlement.SettlementInsufficientSource.selector,
                    ISettlement.Source.Bonds,
                    bookBonded,
                    bookBonded + 1
                )
            );
            vm.prank(court);
            settlement.credit(r, ISettlement.Source.Bonds, _one(actor), _one(bookBonded + 1), "bond");
        } else {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ISettlement.SettlementInsufficientSource.selector,
                    ISettlement.Source.Surplus,
                    bookSurplus,
                    bookSurplus + 1
                )
            );
            vm.prank(court);
            settlement.credit(r, ISettlement.Source.Surplus, _one(actor), _one(bookSurplus + 1), "slash");
        }
    }

    function _checkBooks() internal view {
        uint256 sumBalances;
        uint256 sumCredits;
        for (uint256 i; i < accounts.length; ++i) {
            address account = accounts[i];
            assertEq(settlement.balanceOf(account), bookBalance[account], "balance == book");
            assertEq(settlement.creditsOf(account), bookCredits[account], "credits == book");
            sumBalances += bookBalance[account];
            sumCredits += bookCredits[account];
        }
        assertEq(settlement.totalBalances(), sumBalances, "totalBalances == sum of balances");
        assertEq(settlement.totalCredits(), sumCredits, "totalCredits == sum of credits");
        assertEq(settlement.totalLocked(), bookLocked, "totalLocked == book");
        assertEq(settlement.totalBonded(), bookBonded, "totalBonded == book");
        assertEq(
            token.balanceOf(address(settlement)),
            sumBalances + bookLocked + bookBonded + sumCredits + bookSurplus,
            "held == balances + locked + bonded + credits + surplus"
        );
        _assertSolvent(bookSurplus);
    }
}
