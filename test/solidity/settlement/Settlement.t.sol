// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {MockERC20} from "../../../contracts/mocks/MockERC20.sol";
import {Settlement} from "../../../contracts/settlement/Settlement.sol";
import {ISettlement} from "../../../contracts/interfaces/ISettlement.sol";
import {OPGToken} from "../../../contracts/token/OPGToken.sol";
import {SettlementTestBase} from "./SettlementTestBase.sol";

contract SettlementTest is SettlementTestBase {
    uint256 internal constant REQUEST = 7;
    bytes32 internal constant REASON = "bond-return";

    // ------------------------------------------------------------------------------------------ constructor

    function test_constructor_setsTokenTreasuryOwnerAndConstants() public view {
        assertEq(address(settlement.token()), address(token), "token");
        assertEq(settlement.treasury(), treasury, "treasury");
        assertEq(settlement.owner(), gov, "owner");
        assertEq(settlement.FEES(), 1, "FEES");
        assertEq(settlement.BONDS(), 2, "BONDS");
        assertEq(settlement.MAX_CREDIT_BATCH(), 64, "MAX_CREDIT_BATCH");
        assertEq(settlement.permissionsOf(hub), 1, "hub permissions");
        assertEq(settlement.permissionsOf(court), 2, "court permissions");
        _assertSolvent(0);
    }

    function test_constructor_emitsTreasurySet() public {
        vm.expectEmit();
        emit ISettlement.TreasurySet(treasury);
        new Settlement(token, treasury, gov);
    }

    function test_revert_constructor_zeroToken() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementZeroAddress.selector));
        new Settlement(IERC20(address(0)), treasury, gov);
    }

    function test_revert_constructor_zeroTreasury() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementZeroAddress.selector));
        new Settlement(token, address(0), gov);
    }

    function test_revert_constructor_zeroOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableInvalidOwner.selector, address(0)));
        new Settlement(token, treasury, address(0));
    }

    function test_deployedSize_withinLimit() public view {
        assertLe(address(settlement).code.length, 20_480, "Settlement <= 20 KB");
    }

    // ------------------------------------------------------------------------------------------ deposit

    function test_deposit_creditsBalanceAndPullsTokens() public {
        uint256 before = token.balanceOf(alice);
        vm.expectEmit(address(settlement));
        emit ISettlement.Deposited(alice, alice, 100e18);
        _deposit(alice, 100e18);
        assertEq(settlement.balanceOf(alice), 100e18, "balance");
        assertEq(settlement.totalBalances(), 100e18, "total balances");
        assertEq(token.balanceOf(alice), before - 100e18, "tokens pulled");
        assertEq(token.balanceOf(address(settlement)), 100e18, "tokens held");
        _assertSolvent(0);
    }

    function test_deposit_accumulates() public {
        _deposit(alice, 1e18);
        _deposit(alice, 2e18);
        _deposit(bob, 4e18);
        assertEq(settlement.balanceOf(alice), 3e18, "alice");
        assertEq(settlement.balanceOf(bob), 4e18, "bob");
        assertEq(settlement.totalBalances(), 7e18, "total");
        _assertSolvent(0);
    }

    function test_revert_deposit_zeroAmount() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementZeroAmount.selector));
        _deposit(alice, 0);
    }

    function test_revert_deposit_withoutAllowance() public {
        token.transfer(carol, 10e18);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(settlement), 0, 1e18)
        );
        _deposit(carol, 1e18);
    }

    function test_revert_deposit_aboveUint96() public {
        MockERC20 big = new MockERC20("Big", "BIG");
        Settlement s = new Settlement(big, treasury, gov);
        uint256 amount = uint256(type(uint96).max) + 1;
        big.mint(alice, amount);
        vm.prank(alice);
        big.approve(address(s), amount);
        vm.expectRevert(abi.encodeWithSignature("SafeCastOverflowedUintDowncast(uint8,uint256)", 96, amount));
        vm.prank(alice);
        s.deposit(amount);
    }

    /// @notice The bound is on the sum held, not on one deposit: exactly 2^96 - 1 is accepted, one wei more reverts
    ///         with the SafeCast error (not an arithmetic panic).
    function test_deposit_heldAtUint96MaxThenOneWeiMoreReverts() public {
        uint256 max96 = type(uint96).max;
        _redeployWithSupply(max96 + 1);
        settlement.deposit(max96 - 1);
        settlement.deposit(1);
        assertEq(settlement.balanceOf(address(this)), max96, "balance");
        assertEq(settlement.totalBalances(), max96, "held at its 96-bit maximum");
        assertEq(uint256(vm.load(address(settlement), bytes32(HELD_SLOT))), max96, "stored held, no bonds");
        vm.expectRevert(abi.encodeWithSignature("SafeCastOverflowedUintDowncast(uint8,uint256)", 96, max96 + 1));
        settlement.deposit(1);
        _assertSolvent(0);
    }

    // ------------------------------------------------------------------------------------------ depositFor

    function test_depositFor_creditsAccountFromSender() public {
        uint256 before = token.balanceOf(alice);
        vm.expectEmit(address(settlement));
        emit ISettlement.Deposited(carol, alice, 5e18);
        vm.prank(alice);
        settlement.depositFor(carol, 5e18);
        assertEq(settlement.balanceOf(carol), 5e18, "carol credited");
        assertEq(settlement.balanceOf(alice), 0, "alice not credited");
        assertEq(token.balanceOf(alice), before - 5e18, "alice paid");
        _assertSolvent(0);
    }

    function test_revert_depositFor_zeroAccount() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementZeroAddress.selector));
        vm.prank(alice);
        settlement.depositFor(address(0), 1e18);
    }

    function test_revert_depositFor_zeroAmount() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementZeroAmount.selector));
        vm.prank(alice);
        settlement.depositFor(carol, 0);
    }

    // ------------------------------------------------------------------------------------------ withdraw

    function test_withdraw_sendsFreeBalance() public {
        _deposit(alice, 10e18);
        uint256 before = token.balanceOf(alice);
        vm.expectEmit(address(settlement));
        emit ISettlement.Withdrawn(alice, 4e18);
        vm.prank(alice);
        settlement.withdraw(4e18);
        assertEq(settlement.balanceOf(alice), 6e18, "balance left");
        assertEq(settlement.totalBalances(), 6e18, "total");
        assertEq(token.balanceOf(alice), before + 4e18, "tokens sent");
        _assertSolvent(0);
    }

    function test_withdraw_wholeBalance() public {
        _deposit(alice, 10e18);
        vm.prank(alice);
        settlement.withdraw(10e18);
        assertEq(settlement.balanceOf(alice), 0, "empty");
        assertEq(token.balanceOf(address(settlement)), 0, "nothing held");
        _assertSolvent(0);
    }

    function test_revert_withdraw_zeroAmount() public {
        _deposit(alice, 10e18);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementZeroAmount.selector));
        vm.prank(alice);
        settlement.withdraw(0);
    }

    function test_revert_withdraw_moreThanBalance() public {
        _deposit(alice, 10e18);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlement.SettlementInsufficientBalance.selector, alice, 10e18, 10e18 + 1)
        );
        vm.prank(alice);
        settlement.withdraw(10e18 + 1);
    }

    function test_revert_withdraw_lockedFee() public {
        _deposit(alice, 10e18);
        _lockFee(REQUEST, alice, 8e18);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementInsufficientBalance.selector, alice, 2e18, 3e18));
        vm.prank(alice);
        settlement.withdraw(3e18);
    }

    function test_revert_withdraw_anotherAccountsBalance() public {
        _deposit(alice, 10e18);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementInsufficientBalance.selector, bob, 0, 1));
        vm.prank(bob);
        settlement.withdraw(1);
    }

    // ------------------------------------------------------------------------------------------ claim

    function test_claim_sendsAllCredits() public {
        _deposit(alice, 10e18);
        _lockFee(REQUEST, alice, 10e18);
        vm.prank(hub);
        settlement.payLocked(REQUEST, carol, 3e18);
        vm.expectEmit(address(settlement));
        emit ISettlement.CreditsClaimed(carol, 3e18);
        vm.prank(carol);
        uint256 amount = settlement.claim();
        assertEq(amount, 3e18, "returned amount");
        assertEq(token.balanceOf(carol), 3e18, "tokens sent");
        assertEq(settlement.creditsOf(carol), 0, "credits cleared");
        assertEq(settlement.totalCredits(), 0, "total credits");
        _assertSolvent(0);
    }

    function test_claim_treasuryClaimsItsShare() public {
        _deposit(alice, 10e18);
        _lockFee(REQUEST, alice, 10e18);
        vm.prank(hub);
        settlement.payFee(REQUEST, _split(6e18, 1e18, 0, 0, 3e18));
        vm.prank(treasury);
        assertEq(settlement.claim(), 3e18, "treasury claims");
        assertEq(token.balanceOf(treasury), 3e18, "treasury paid");
        _assertSolvent(0);
    }

    function test_revert_claim_noCredits() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementNoCredits.selector, carol));
        vm.prank(carol);
        settlement.claim();
    }

    function test_revert_claim_twice() public {
        _deposit(alice, 10e18);
        _lockFee(REQUEST, alice, 10e18);
        vm.prank(hub);
        settlement.payLocked(REQUEST, carol, 3e18);
        vm.prank(carol);
        settlement.claim();
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementNoCredits.selector, carol));
        vm.prank(carol);
        settlement.claim();
    }

    // ------------------------------------------------------------------------------------------ lockFee

    function test_lockFee_movesBalanceToLocked() public {
        _deposit(alice, 10e18);
        vm.expectEmit(address(settlement));
        emit ISettlement.FeeLocked(REQUEST, alice, 4e18);
        _lockFee(REQUEST, alice, 4e18);
        assertEq(settlement.balanceOf(alice), 6e18, "balance");
        assertEq(settlement.totalBalances(), 6e18, "total balances");
        assertEq(settlement.totalLocked(), 4e18, "total locked");
        _assertSolvent(0);
    }

    function test_lockFee_zeroAmountIsRecorded() public {
        vm.expectEmit(address(settlement));
        emit ISettlement.FeeLocked(REQUEST, alice, 0);
        _lockFee(REQUEST, alice, 0);
        assertEq(settlement.totalLocked(), 0, "nothing locked");
    }

    function test_revert_lockFee_insufficientBalance() public {
        _deposit(alice, 1e18);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementInsufficientBalance.selector, alice, 1e18, 2e18));
        _lockFee(REQUEST, alice, 2e18);
    }

    function test_revert_lockFee_unauthorized() public {
        _deposit(alice, 1e18);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementUnauthorized.selector, stranger, uint8(1)));
        vm.prank(stranger);
        settlement.lockFee(REQUEST, alice, 1e18);
    }

    function test_revert_lockFee_bondsPermissionIsNotEnough() public {
        _deposit(alice, 1e18);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementUnauthorized.selector, court, uint8(1)));
        vm.prank(court);
        settlement.lockFee(REQUEST, alice, 1e18);
    }

    // ------------------------------------------------------------------------------------------ payFee

    function test_payFee_creditsEveryPartyExactly() public {
        _deposit(alice, 100e18);
        _lockFee(REQUEST, alice, 100e18);
        // 5 seats over 3 addresses: 0x9000 holds seats 0 and 3, 0x9001 seats 1 and 4, 0x9002 seat 2.
        ISettlement.FeeSplit memory split = _split(50e18, 10e18, 5, 2e18, 25e18);
        vm.expectEmit(address(settlement));
        emit ISettlement.FeeSplitPaid(REQUEST, worker, royaltyTo, 50e18, 10e18, 10e18, 25e18);
        vm.prank(hub);
        settlement.payFee(REQUEST, split);
        assertEq(settlement.creditsOf(worker), 50e18, "worker");
        assertEq(settlement.creditsOf(royaltyTo), 10e18, "royalty");
        assertEq(settlement.creditsOf(treasury), 25e18, "treasury");
        assertEq(settlement.creditsOf(address(0x9000)), 4e18, "two seats");
        assertEq(settlement.creditsOf(address(0x9001)), 4e18, "two seats");
        assertEq(settlement.creditsOf(address(0x9002)), 2e18, "one seat");
        assertEq(settlement.totalLocked(), 5e18, "remainder stays locked");
        assertEq(settlement.totalCredits(), 95e18, "total credits");
        _assertSolvent(0);
    }

    function test_payFee_wholeLockedAmount() public {
        _deposit(alice, 10e18);
        _lockFee(REQUEST, alice, 10e18);
        vm.prank(hub);
        settlement.payFee(REQUEST, _split(7e18, 1e18, 1, 1e18, 1e18));
        assertEq(settlement.totalLocked(), 0, "all paid");
        assertEq(settlement.totalCredits(), 10e18, "all credited");
        _assertSolvent(0);
    }

    function test_payFee_oneEventOnly() public {
        _deposit(alice, 10e18);
        _lockFee(REQUEST, alice, 10e18);
        vm.recordLogs();
        vm.prank(hub);
        settlement.payFee(REQUEST, _split(5e18, 1e18, 3, 1e18, 1e18));
        assertEq(vm.getRecordedLogs().length, 1, "one log per split");
    }

    function test_payFee_zeroAmountsWriteNothing() public {
        _deposit(alice, 10e18);
        _lockFee(REQUEST, alice, 10e18);
        ISettlement.FeeSplit memory split = _split(10e18, 0, 2, 0, 0);
        split.royaltyRecipient = address(0); // no royalty: no recipient needed
        split.verifiers[1] = address(0); // no verifier pay: the list is not read
        vm.prank(hub);
        settlement.payFee(REQUEST, split);
        assertEq(settlement.creditsOf(worker), 10e18, "worker");
        assertEq(settlement.creditsOf(treasury), 0, "treasury");
        assertEq(settlement.creditsOf(address(0x9000)), 0, "verifier");
        _assertSolvent(0);
    }

    function test_payFee_treasuryShareBeyond64BitsStaysExact() public {
        uint256 max64 = type(uint64).max;
        _deposit(alice, 100e18);
        _lockFee(REQUEST, alice, 100e18);
        vm.startPrank(hub);
        settlement.payFee(REQUEST, _split(0, 0, 0, 0, max64)); // the accrued share is now at its 64-bit maximum
        settlement.payFee(REQUEST + 1, _split(0, 0, 0, 0, 2)); // beyond it: moved into the treasury's credits
        settlement.payFee(REQUEST + 2, _split(0, 0, 0, 0, 5)); // accrues again
        vm.stopPrank();
        assertEq(settlement.creditsOf(treasury), max64 + 7, "every share counted");
        assertEq(settlement.totalCredits(), max64 + 7, "total credits");
        vm.prank(treasury);
        assertEq(settlement.claim(), max64 + 7, "claims everything");
        assertEq(settlement.creditsOf(treasury), 0, "nothing left");
        assertEq(_rawAccrued(), 0, "accrual cleared by the claim");
        _assertSolvent(0);
    }

    /// @notice An accrual of exactly 2^64 - 1 stays in the fee path's slot: nothing moves into the treasury's
    ///         credits, and every total is exact.
    function test_payFee_treasuryAccrualAtUint64MaxStaysAccrued() public {
        uint256 max64 = _accrueToUint64Max();
        assertEq(_rawAccrued(), max64, "accrued at its 64-bit maximum");
        assertEq(_rawCredits(treasury), 0, "nothing moved into the treasury's credits");
        assertEq(settlement.creditsOf(treasury), max64, "treasury");
        assertEq(settlement.totalCredits(), max64 + 12e18, "total credits");
        assertEq(settlement.totalLocked(), 100e18 - max64 - 12e18, "locked");
        assertEq(settlement.totalBalances(), 0, "balances");
        _assertSolvent(0);
    }

    /// @notice One wei beyond 2^64 - 1 moves the whole sum (accrued and the new share) into the treasury's credits;
    ///         the sums stay exact to the wei across the move, and later shares accrue again.
    function test_payFee_oneWeiBeyondUint64MovesTheWholeSum() public {
        uint256 max64 = _accrueToUint64Max();
        vm.prank(hub);
        settlement.payFee(3, _split(1, 0, 0, 0, 1));
        assertEq(_rawAccrued(), 0, "accrual moved");
        assertEq(_rawCredits(treasury), max64 + 1, "the whole sum in the treasury's credits");
        assertEq(settlement.creditsOf(treasury), max64 + 1, "treasury");
        assertEq(settlement.creditsOf(worker), 10e18 + 1, "worker");
        assertEq(settlement.totalCredits(), max64 + 12e18 + 2, "total credits");
        assertEq(settlement.totalLocked(), 100e18 - max64 - 12e18 - 2, "locked");
        assertEq(settlement.totalBalances(), 0, "balances");
        _assertSolvent(0);

        vm.prank(hub);
        settlement.payFee(4, _split(0, 0, 0, 0, 7));
        assertEq(_rawAccrued(), 7, "accrues again");
        assertEq(_rawCredits(treasury), max64 + 1, "credits unchanged");
        assertEq(settlement.creditsOf(treasury), max64 + 8, "treasury");
        vm.prank(treasury);
        assertEq(settlement.claim(), max64 + 8, "claims credits and accrual");
        assertEq(token.balanceOf(treasury), max64 + 8, "treasury paid");
        assertEq(_rawAccrued(), 0, "accrual cleared");
        assertEq(_rawCredits(treasury), 0, "credits cleared");
        assertEq(settlement.totalCredits(), 12e18 + 1, "the others' credits");
        _assertSolvent(0);
    }

    /// @notice The moved sum is the accrual plus the share, also when the share alone exceeds 64 bits.
    function test_payFee_shareBeyondUint64MovesWithTheAccrual() public {
        uint256 max64 = type(uint64).max;
        _deposit(alice, 100e18);
        _lockFee(1, alice, 100e18);
        vm.startPrank(hub);
        settlement.payFee(1, _split(0, 0, 0, 0, 10));
        settlement.payFee(2, _split(0, 0, 0, 0, max64 + 3));
        vm.stopPrank();
        assertEq(_rawAccrued(), 0, "accrual moved");
        assertEq(_rawCredits(treasury), max64 + 13, "accrual and share");
        assertEq(settlement.creditsOf(treasury), max64 + 13, "treasury");
        assertEq(settlement.totalCredits(), max64 + 13, "total credits");
        assertEq(settlement.totalLocked(), 100e18 - max64 - 13, "locked");
        _assertSolvent(0);
    }

    /// @notice The whole supply of a 96-bit token through the fee path: every cast at its bound is exact.
    function test_feePath_atUint96MaxStaysExact() public {
        uint256 max96 = type(uint96).max;
        uint256 max64 = type(uint64).max;
        _redeployWithSupply(max96);
        settlement.deposit(max96);
        uint256 workerPay = max96 - 5 - 3 - 6 - (max64 + 1);
        vm.startPrank(hub);
        settlement.lockFee(1, address(this), max96);
        assertEq(settlement.totalLocked(), max96, "locked at its 96-bit maximum");
        settlement.payLocked(1, carol, 5);
        settlement.payFee(1, _split(workerPay, 3, 3, 2, max64 + 1));
        vm.stopPrank();
        assertEq(settlement.totalLocked(), 0, "all paid");
        assertEq(settlement.totalCredits(), max96, "credits at the 96-bit maximum");
        assertEq(settlement.totalBalances(), 0, "balances");
        assertEq(settlement.creditsOf(worker), workerPay, "worker");
        assertEq(settlement.creditsOf(treasury), max64 + 1, "treasury");
        assertEq(_rawCredits(treasury), max64 + 1, "moved into the treasury's credits");
        assertEq(uint256(vm.load(address(settlement), bytes32(FEE_SLOT))), max96 << 96, "credits only, stored");
        _assertSolvent(0);
        vm.prank(worker);
        assertEq(settlement.claim(), workerPay, "worker claims");
        assertEq(settlement.totalCredits(), max96 - workerPay, "credits left");
        _assertSolvent(0);
    }

    /// @notice A split touches no slot of the treasury's (neither `_treasury` nor its credits): its share accrues in
    ///         the fee path's slot. (That this slot is read and written once is the IR pipeline's work, checked by
    ///         scripts/bench/gas.ts: these tests compile Settlement with the legacy pipeline.)
    function test_payFee_touchesNoTreasurySlot() public {
        _deposit(alice, 100e18);
        _lockFee(1, alice, 100e18);
        vm.prank(hub);
        settlement.payFee(1, _split(5e18, 1e18, 3, 1e18, 1e18)); // credits exist: the steady state
        ISettlement.FeeSplit memory split = _split(5e18, 1e18, 3, 1e18, 1e18);
        vm.record();
        vm.prank(hub);
        settlement.payFee(2, split);
        (bytes32[] memory reads, bytes32[] memory writes) = vm.accesses(address(settlement));
        bytes32 treasuryCredits = keccak256(abi.encode(treasury, CREDITS_SLOT));
        bool feeSlotWritten;
        for (uint256 i; i < reads.length; ++i) {
            assertTrue(reads[i] != bytes32(TREASURY_SLOT), "treasury address read");
            assertTrue(reads[i] != treasuryCredits, "treasury credits read");
        }
        for (uint256 i; i < writes.length; ++i) {
            assertTrue(writes[i] != treasuryCredits, "treasury credits written");
            if (writes[i] == bytes32(FEE_SLOT)) feeSlotWritten = true;
        }
        assertTrue(feeSlotWritten, "fee slot written");
        assertEq(_rawAccrued(), 2e18, "treasury shares accrued");
    }

    /// @notice The fee path's fields share one slot: locked (low 96 bits), credits (next 96), the treasury's
    ///         accrual (top 64); held and bonded share the next one, and the treasury has its own.
    function test_storage_layoutOfTheTotals() public {
        _deposit(alice, 100e18);
        _lockFee(1, alice, 60e18);
        _lockBond(1, alice, 30e18);
        vm.prank(hub);
        settlement.payFee(1, _split(5e18, 1e18, 3, 1e18, 2e18)); // 11e18: 2e18 accrued, 9e18 to credits
        uint256 fees = uint256(vm.load(address(settlement), bytes32(FEE_SLOT)));
        assertEq(fees, 49e18 | (11e18 << 96) | (2e18 << 192), "locked | credits | accrued");
        uint256 held = uint256(vm.load(address(settlement), bytes32(HELD_SLOT)));
        assertEq(held, 100e18 | (30e18 << 96), "held | bonded");
        bytes32 treasurySlot = vm.load(address(settlement), bytes32(TREASURY_SLOT));
        assertEq(treasurySlot, bytes32(uint256(uint160(treasury))), "treasury alone");
    }

    function test_payFee_workerIsAlsoVerifierAndTreasury() public {
        vm.prank(gov);
        settlement.setTreasury(worker);
        _deposit(alice, 10e18);
        _lockFee(REQUEST, alice, 10e18);
        ISettlement.FeeSplit memory split = _split(4e18, 1e18, 2, 1e18, 3e18);
        split.verifiers[0] = worker;
        vm.prank(hub);
        settlement.payFee(REQUEST, split);
        assertEq(settlement.creditsOf(worker), 8e18, "worker + seat + treasury");
        assertEq(settlement.totalCredits(), 10e18, "total");
        _assertSolvent(0);
    }

    function test_revert_payFee_moreThanLocked() public {
        _deposit(alice, 10e18);
        _lockFee(REQUEST, alice, 10e18);
        // 5 + 1 + 2×2 + 1 = 11 > 10
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementInsufficientLocked.selector, 10e18, 11e18));
        vm.prank(hub);
        settlement.payFee(REQUEST, _split(5e18, 1e18, 2, 2e18, 1e18));
    }

    function test_revert_payFee_freeBalancesAreNotLocked() public {
        _deposit(alice, 10e18);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementInsufficientLocked.selector, 0, 1));
        vm.prank(hub);
        settlement.payFee(REQUEST, _split(1, 0, 0, 0, 0));
    }

    function test_revert_payFee_unauthorized() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementUnauthorized.selector, court, uint8(1)));
        vm.prank(court);
        settlement.payFee(REQUEST, _split(0, 0, 0, 0, 0));
    }

    function test_revert_payFee_tooManyVerifiers() public {
        _deposit(alice, 100e18);
        _lockFee(REQUEST, alice, 100e18);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementBatchTooLarge.selector, 65, 64));
        vm.prank(hub);
        settlement.payFee(REQUEST, _split(1e18, 0, 65, 1, 0));
    }

    function test_revert_payFee_zeroWorker() public {
        _deposit(alice, 10e18);
        _lockFee(REQUEST, alice, 10e18);
        ISettlement.FeeSplit memory split = _split(1e18, 0, 0, 0, 0);
        split.worker = address(0);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementZeroAddress.selector));
        vm.prank(hub);
        settlement.payFee(REQUEST, split);
    }

    function test_revert_payFee_zeroRoyaltyRecipient() public {
        _deposit(alice, 10e18);
        _lockFee(REQUEST, alice, 10e18);
        ISettlement.FeeSplit memory split = _split(1e18, 1e18, 0, 0, 0);
        split.royaltyRecipient = address(0);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementZeroAddress.selector));
        vm.prank(hub);
        settlement.payFee(REQUEST, split);
    }

    function test_revert_payFee_zeroVerifier() public {
        _deposit(alice, 10e18);
        _lockFee(REQUEST, alice, 10e18);
        ISettlement.FeeSplit memory split = _split(1e18, 0, 3, 1e18, 0);
        split.verifiers[2] = address(0);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementZeroAddress.selector));
        vm.prank(hub);
        settlement.payFee(REQUEST, split);
    }

    /// @notice The typical split (worker, royalty, 3 verifier seats, treasury) to accounts that already hold
    ///         credits: the per-inference cost of settlement. Slots touched earlier in the test are warm, so this
    ///         measures the execution cost (≈ 11.5k); a real transaction adds ≈ 2.1k per cold slot (≈ 9 slots),
    ///         which the bound still covers.
    function test_gas_payFeeThreeSeats() public {
        _deposit(alice, 100e18);
        _lockFee(1, alice, 50e18);
        _lockFee(2, alice, 50e18);
        vm.prank(hub);
        settlement.payFee(1, _split(5e18, 1e18, 3, 1e18, 1e18));
        ISettlement.FeeSplit memory split = _split(5e18, 1e18, 3, 1e18, 1e18);
        vm.prank(hub);
        uint256 before = gasleft();
        settlement.payFee(2, split);
        uint256 used = before - gasleft();
        assertLe(used, 40_000, "payFee, 3 seats, warm accounts");
    }

    /// @notice The longest verifier list (MAX_CREDIT_BATCH seats, all distinct first-time accounts).
    function test_gas_payFeeMaxVerifiers() public {
        _deposit(alice, 100e18);
        _lockFee(REQUEST, alice, 100e18);
        ISettlement.FeeSplit memory split = _split(1e18, 1e18, 64, 1e18, 1e18);
        for (uint256 i; i < 64; ++i) split.verifiers[i] = address(uint160(0x10000 + i));
        vm.prank(hub);
        uint256 before = gasleft();
        settlement.payFee(REQUEST, split);
        uint256 used = before - gasleft();
        assertLe(used, 1_600_000, "payFee, 64 new seats");
        assertEq(settlement.creditsOf(address(0x10000 + 63)), 1e18, "last seat paid");
        _assertSolvent(0);
    }

    // ------------------------------------------------------------------------------------------ refundFee

    function test_refundFee_returnsLockedToBalance() public {
        _deposit(alice, 10e18);
        _lockFee(REQUEST, alice, 10e18);
        vm.expectEmit(address(settlement));
        emit ISettlement.FeeRefunded(REQUEST, alice, 6e18);
        vm.prank(hub);
        settlement.refundFee(REQUEST, alice, 6e18);
        assertEq(settlement.balanceOf(alice), 6e18, "balance");
        assertEq(settlement.totalLocked(), 4e18, "locked");
        assertEq(settlement.totalBalances(), 6e18, "total balances");
        _assertSolvent(0);
    }

    function test_refundFee_thenWithdraw() public {
        _deposit(alice, 10e18);
        _lockFee(REQUEST, alice, 10e18);
        vm.prank(hub);
        settlement.refundFee(REQUEST, alice, 10e18);
        vm.prank(alice);
        settlement.withdraw(10e18);
        assertEq(token.balanceOf(address(settlement)), 0, "empty");
        _assertSolvent(0);
    }

    function test_revert_refundFee_moreThanLocked() public {
        _deposit(alice, 10e18);
        _lockFee(REQUEST, alice, 3e18);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementInsufficientLocked.selector, 3e18, 3e18 + 1));
        vm.prank(hub);
        settlement.refundFee(REQUEST, alice, 3e18 + 1);
    }

    function test_revert_refundFee_unauthorized() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementUnauthorized.selector, stranger, uint8(1)));
        vm.prank(stranger);
        settlement.refundFee(REQUEST, alice, 0);
    }

    function test_revert_refundFee_zeroPayer() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementZeroAddress.selector));
        vm.prank(hub);
        settlement.refundFee(REQUEST, address(0), 0);
    }

    // ------------------------------------------------------------------------------------------ payLocked

    function test_payLocked_creditsAccount() public {
        _deposit(alice, 10e18);
        _lockFee(REQUEST, alice, 10e18);
        vm.expectEmit(address(settlement));
        emit ISettlement.FeeCredited(REQUEST, carol, 2e18);
        vm.prank(hub);
        settlement.payLocked(REQUEST, carol, 2e18);
        assertEq(settlement.creditsOf(carol), 2e18, "credits");
        assertEq(settlement.totalLocked(), 8e18, "locked");
        assertEq(settlement.totalCredits(), 2e18, "total credits");
        _assertSolvent(0);
    }

    function test_revert_payLocked_moreThanLocked() public {
        _deposit(alice, 10e18);
        _lockFee(REQUEST, alice, 1e18);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementInsufficientLocked.selector, 1e18, 2e18));
        vm.prank(hub);
        settlement.payLocked(REQUEST, carol, 2e18);
    }

    function test_revert_payLocked_unauthorized() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementUnauthorized.selector, court, uint8(1)));
        vm.prank(court);
        settlement.payLocked(REQUEST, carol, 0);
    }

    function test_revert_payLocked_zeroAccount() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementZeroAddress.selector));
        vm.prank(hub);
        settlement.payLocked(REQUEST, address(0), 0);
    }

    // ------------------------------------------------------------------------------------------ lockBond

    function test_lockBond_movesBalanceToBonded() public {
        _deposit(bob, 100e18);
        vm.expectEmit(address(settlement));
        emit ISettlement.BondLocked(REQUEST, bob, 60e18);
        _lockBond(REQUEST, bob, 60e18);
        assertEq(settlement.balanceOf(bob), 40e18, "balance");
        assertEq(settlement.totalBonded(), 60e18, "bonded");
        assertEq(settlement.totalBalances(), 40e18, "total balances");
        _assertSolvent(0);
    }

    function test_revert_lockBond_insufficientBalance() public {
        _deposit(bob, 50e18);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementInsufficientBalance.selector, bob, 50e18, 100e18));
        _lockBond(REQUEST, bob, 100e18);
    }

    function test_revert_lockBond_feesPermissionIsNotEnough() public {
        _deposit(bob, 50e18);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementUnauthorized.selector, hub, uint8(2)));
        vm.prank(hub);
        settlement.lockBond(REQUEST, bob, 1e18);
    }

    function test_lockBond_bothPermissions() public {
        vm.prank(gov);
        settlement.setPermissions(stranger, 3);
        _deposit(bob, 50e18);
        vm.prank(stranger);
        settlement.lockBond(REQUEST, bob, 1e18);
        vm.prank(stranger);
        settlement.lockFee(REQUEST, bob, 1e18);
        assertEq(settlement.totalBonded(), 1e18, "bonded");
        assertEq(settlement.totalLocked(), 1e18, "locked");
    }

    // ------------------------------------------------------------------------------------------ credit: bonds

    function test_credit_fromBonds() public {
        _deposit(bob, 100e18);
        _lockBond(REQUEST, bob, 100e18);
        vm.expectEmit(address(settlement));
        emit ISettlement.Credited(REQUEST, bob, 70e18, REASON);
        vm.expectEmit(address(settlement));
        emit ISettlement.Credited(REQUEST, worker, 30e18, REASON);
        vm.prank(court);
        settlement.credit(REQUEST, ISettlement.Source.Bonds, _two(bob, worker), _two(70e18, 30e18), REASON);
        assertEq(settlement.creditsOf(bob), 70e18, "bob");
        assertEq(settlement.creditsOf(worker), 30e18, "worker");
        assertEq(settlement.totalBonded(), 0, "bonds spent");
        assertEq(settlement.totalCredits(), 100e18, "credits");
        _assertSolvent(0);
    }

    function test_credit_skipsZeroEntries() public {
        _deposit(bob, 100e18);
        _lockBond(REQUEST, bob, 100e18);
        vm.recordLogs();
        vm.prank(court);
        settlement.credit(REQUEST, ISettlement.Source.Bonds, _two(address(0), bob), _two(0, 5e18), REASON);
        assertEq(vm.getRecordedLogs().length, 1, "one Credited event");
        assertEq(settlement.creditsOf(bob), 5e18, "bob");
        assertEq(settlement.totalBonded(), 95e18, "rest bonded");
        _assertSolvent(0);
    }

    function test_credit_emptyBatch() public {
        vm.prank(court);
        settlement.credit(REQUEST, ISettlement.Source.Bonds, new address[](0), new uint256[](0), REASON);
        assertEq(settlement.totalCredits(), 0, "nothing");
    }

    function test_revert_credit_moreThanBonded() public {
        _deposit(bob, 100e18);
        _lockBond(REQUEST, bob, 100e18);
        _donate(50e18); // a surplus does not back bond payouts
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlement.SettlementInsufficientSource.selector,
                ISettlement.Source.Bonds,
                100e18,
                100e18 + 1
            )
        );
        vm.prank(court);
        settlement.credit(REQUEST, ISettlement.Source.Bonds, _two(bob, worker), _two(100e18, 1), REASON);
    }

    function test_revert_credit_lengthMismatch() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementLengthMismatch.selector));
        vm.prank(court);
        settlement.credit(REQUEST, ISettlement.Source.Bonds, _two(bob, worker), _one(1), REASON);
    }

    function test_revert_credit_batchTooLarge() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementBatchTooLarge.selector, 65, 64));
        vm.prank(court);
        settlement.credit(REQUEST, ISettlement.Source.Bonds, new address[](65), new uint256[](65), REASON);
    }

    function test_revert_credit_unauthorized() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementUnauthorized.selector, hub, uint8(2)));
        vm.prank(hub);
        settlement.credit(REQUEST, ISettlement.Source.Bonds, new address[](0), new uint256[](0), REASON);
    }

    function test_revert_credit_zeroAccount() public {
        _deposit(bob, 100e18);
        _lockBond(REQUEST, bob, 100e18);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementZeroAddress.selector));
        vm.prank(court);
        settlement.credit(REQUEST, ISettlement.Source.Bonds, _two(bob, address(0)), _two(1, 1), REASON);
    }

    /// @notice The longest batch (MAX_CREDIT_BATCH distinct first-time accounts).
    function test_gas_creditMaxBatch() public {
        _deposit(bob, 640e18);
        _lockBond(REQUEST, bob, 640e18);
        address[] memory accounts = new address[](64);
        uint256[] memory amounts = new uint256[](64);
        for (uint256 i; i < 64; ++i) {
            accounts[i] = address(uint160(0x10000 + i));
            amounts[i] = 10e18;
        }
        vm.prank(court);
        uint256 before = gasleft();
        settlement.credit(REQUEST, ISettlement.Source.Bonds, accounts, amounts, REASON);
        uint256 used = before - gasleft();
        assertLe(used, 1_800_000, "credit, 64 new accounts");
        assertEq(settlement.totalBonded(), 0, "all paid");
        _assertSolvent(0);
    }

    // ------------------------------------------------------------------------------------------ credit: surplus

    function test_credit_fromSurplus() public {
        _deposit(alice, 10e18);
        _lockBond(REQUEST, alice, 5e18);
        _donate(30e18); // e.g. slashed stake sent by Staking
        _assertSolvent(30e18);
        vm.expectEmit(address(settlement));
        emit ISettlement.Credited(REQUEST, bob, 20e18, "slash");
        vm.prank(court);
        settlement.credit(REQUEST, ISettlement.Source.Surplus, _two(bob, treasury), _two(20e18, 10e18), "slash");
        assertEq(settlement.creditsOf(bob), 20e18, "bob");
        assertEq(settlement.creditsOf(treasury), 10e18, "treasury");
        assertEq(settlement.totalBonded(), 5e18, "bonds untouched");
        assertEq(settlement.totalBalances(), 5e18, "balances untouched");
        _assertSolvent(0);
    }

    function test_revert_credit_moreThanSurplus() public {
        _deposit(alice, 10e18);
        _lockBond(REQUEST, alice, 10e18);
        _donate(3e18);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlement.SettlementInsufficientSource.selector,
                ISettlement.Source.Surplus,
                3e18,
                3e18 + 1
            )
        );
        vm.prank(court);
        settlement.credit(REQUEST, ISettlement.Source.Surplus, _one(bob), _one(3e18 + 1), "slash");
    }

    // ------------------------------------------------------------------------------------------ depositWithPermit

    function test_depositWithPermit_pullsWithSignature() public {
        uint256 key = 0xBEEF;
        address payer = vm.addr(key);
        token.transfer(payer, 10e18);
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, _permitDigest(payer, address(settlement), 4e18, 0, deadline));
        vm.expectEmit(address(settlement));
        emit ISettlement.Deposited(payer, payer, 4e18);
        vm.prank(hub);
        settlement.depositWithPermit(payer, 4e18, deadline, v, r, s);
        assertEq(settlement.balanceOf(payer), 4e18, "balance");
        assertEq(token.balanceOf(payer), 6e18, "tokens pulled");
        assertEq(token.nonces(payer), 1, "nonce used");
        assertEq(token.allowance(payer, address(settlement)), 0, "allowance spent");
        _assertSolvent(0);
    }

    function test_depositWithPermit_toleratesFrontRunPermit() public {
        uint256 key = 0xBEEF;
        address payer = vm.addr(key);
        token.transfer(payer, 10e18);
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, _permitDigest(payer, address(settlement), 4e18, 0, deadline));
        // Someone submits the permit first: the nonce is spent, the allowance is set.
        vm.prank(stranger);
        token.permit(payer, address(settlement), 4e18, deadline, v, r, s);
        vm.prank(hub);
        settlement.depositWithPermit(payer, 4e18, deadline, v, r, s);
        assertEq(settlement.balanceOf(payer), 4e18, "deposited anyway");
        assertEq(token.balanceOf(payer), 6e18, "tokens pulled");
        _assertSolvent(0);
    }

    function test_depositWithPermit_existingAllowanceWithExpiredPermit() public {
        vm.prank(hub);
        settlement.depositWithPermit(alice, 3e18, 0, 27, bytes32(0), bytes32(0));
        assertEq(settlement.balanceOf(alice), 3e18, "allowance used");
        _assertSolvent(0);
    }

    function test_revert_depositWithPermit_badSignatureWithoutAllowance() public {
        uint256 key = 0xBEEF;
        address payer = vm.addr(key);
        token.transfer(payer, 10e18);
        uint256 deadline = block.timestamp + 1 hours;
        // Signed for 1 OPG, used for 4: the permit fails and there is no allowance.
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, _permitDigest(payer, address(settlement), 1e18, 0, deadline));
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(settlement), 0, 4e18)
        );
        vm.prank(hub);
        settlement.depositWithPermit(payer, 4e18, deadline, v, r, s);
    }

    function test_revert_depositWithPermit_unauthorized() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementUnauthorized.selector, alice, uint8(1)));
        vm.prank(alice);
        settlement.depositWithPermit(alice, 1e18, 0, 0, bytes32(0), bytes32(0));
    }

    function test_revert_depositWithPermit_zeroPayer() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementZeroAddress.selector));
        vm.prank(hub);
        settlement.depositWithPermit(address(0), 1e18, 0, 0, bytes32(0), bytes32(0));
    }

    function test_revert_depositWithPermit_zeroAmount() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementZeroAmount.selector));
        vm.prank(hub);
        settlement.depositWithPermit(alice, 0, 0, 0, bytes32(0), bytes32(0));
    }

    // ------------------------------------------------------------------------------------------ governance

    function test_setTreasury_futureSharesGoToNewTreasuryOldKeepsItsCredits() public {
        _deposit(alice, 10e18);
        _lockFee(1, alice, 5e18);
        _lockFee(2, alice, 5e18);
        vm.prank(hub);
        settlement.payFee(1, _split(4e18, 0, 0, 0, 1e18));
        vm.expectEmit(address(settlement));
        emit ISettlement.TreasurySet(carol);
        vm.prank(gov);
        settlement.setTreasury(carol);
        assertEq(settlement.treasury(), carol, "new treasury");
        vm.prank(hub);
        settlement.payFee(2, _split(3e18, 0, 0, 0, 2e18));
        assertEq(settlement.creditsOf(treasury), 1e18, "old treasury keeps its credits");
        assertEq(settlement.creditsOf(carol), 2e18, "new treasury");
        vm.prank(treasury);
        settlement.claim();
        _assertSolvent(0);
    }

    /// @notice A treasury change moves the accrual into the old treasury's credits; the new one starts from zero.
    function test_setTreasury_flushesTheAccrualToTheOldTreasury() public {
        _deposit(alice, 10e18);
        _lockFee(1, alice, 10e18);
        vm.prank(hub);
        settlement.payFee(1, _split(1e18, 0, 0, 0, 3e18));
        assertEq(_rawAccrued(), 3e18, "accrued");
        assertEq(_rawCredits(treasury), 0, "not yet in credits");
        vm.prank(gov);
        settlement.setTreasury(carol);
        assertEq(_rawAccrued(), 0, "accrual moved");
        assertEq(_rawCredits(treasury), 3e18, "into the old treasury's credits");
        assertEq(settlement.creditsOf(treasury), 3e18, "old treasury");
        assertEq(settlement.creditsOf(carol), 0, "new treasury");
        assertEq(settlement.totalCredits(), 4e18, "total credits unchanged");
        _assertSolvent(0);
        vm.prank(hub);
        settlement.payFee(2, _split(0, 0, 0, 0, 2e18));
        assertEq(settlement.creditsOf(carol), 2e18, "new treasury accrues");
        assertEq(settlement.creditsOf(treasury), 3e18, "old treasury gets none of it");
        vm.prank(treasury);
        assertEq(settlement.claim(), 3e18, "old treasury claims");
        assertEq(_rawAccrued(), 2e18, "the new treasury's accrual is not the old one's");
        vm.prank(carol);
        assertEq(settlement.claim(), 2e18, "new treasury claims");
        assertEq(settlement.totalCredits(), 1e18, "worker's credits");
        _assertSolvent(0);
    }

    function test_revert_setTreasury_notOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, hub));
        vm.prank(hub);
        settlement.setTreasury(carol);
    }

    function test_revert_setTreasury_zero() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementZeroAddress.selector));
        vm.prank(gov);
        settlement.setTreasury(address(0));
    }

    function test_setPermissions_grantsAndRevokes() public {
        vm.expectEmit(address(settlement));
        emit ISettlement.PermissionsSet(stranger, 3);
        vm.prank(gov);
        settlement.setPermissions(stranger, 3);
        assertEq(settlement.permissionsOf(stranger), 3, "granted");
        vm.expectEmit(address(settlement));
        emit ISettlement.PermissionsSet(hub, 0);
        vm.prank(gov);
        settlement.setPermissions(hub, 0);
        assertEq(settlement.permissionsOf(hub), 0, "revoked");
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementUnauthorized.selector, hub, uint8(1)));
        vm.prank(hub);
        settlement.lockFee(REQUEST, alice, 0);
    }

    function test_revert_setPermissions_notOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, hub));
        vm.prank(hub);
        settlement.setPermissions(hub, 3);
    }

    function test_revert_setPermissions_zeroAccount() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementZeroAddress.selector));
        vm.prank(gov);
        settlement.setPermissions(address(0), 1);
    }

    function test_revert_setPermissions_unknownBits() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementInvalidPermissions.selector, uint8(4)));
        vm.prank(gov);
        settlement.setPermissions(stranger, 4);
    }

    function test_recoverSurplus_creditsTreasury() public {
        _deposit(alice, 10e18);
        _lockFee(REQUEST, alice, 4e18);
        _deposit(bob, 10e18);
        _lockBond(REQUEST, bob, 6e18);
        _donate(7e18);
        _assertSolvent(7e18);
        vm.expectEmit(address(settlement));
        emit ISettlement.SurplusRecovered(7e18);
        vm.prank(gov);
        uint256 amount = settlement.recoverSurplus();
        assertEq(amount, 7e18, "returned");
        assertEq(settlement.creditsOf(treasury), 7e18, "treasury credited");
        assertEq(settlement.totalCredits(), 7e18, "total credits");
        _assertSolvent(0);
        vm.prank(treasury);
        assertEq(settlement.claim(), 7e18, "treasury claims the surplus");
        _assertSolvent(0);
    }

    function test_recoverSurplus_upToUint96Max() public {
        uint256 max96 = type(uint96).max;
        _redeployWithSupply(max96);
        settlement.deposit(max96 - 1);
        _donate(1);
        vm.prank(gov);
        assertEq(settlement.recoverSurplus(), 1, "recovered");
        assertEq(settlement.creditsOf(treasury), 1, "treasury");
        assertEq(settlement.totalCredits(), 1, "total credits");
        assertEq(uint256(vm.load(address(settlement), bytes32(HELD_SLOT))), max96, "held at its 96-bit maximum");
        _assertSolvent(0);
    }

    /// @notice A surplus that would take the sum held beyond 96 bits can be neither recovered nor credited.
    function test_revert_surplusBeyondUint96() public {
        uint256 max96 = type(uint96).max;
        _redeployWithSupply(max96 + 1);
        settlement.deposit(max96);
        _donate(1);
        bytes memory overflow = abi.encodeWithSignature("SafeCastOverflowedUintDowncast(uint8,uint256)", 96, max96 + 1);
        vm.expectRevert(overflow);
        vm.prank(gov);
        settlement.recoverSurplus();
        vm.expectRevert(overflow);
        vm.prank(court);
        settlement.credit(REQUEST, ISettlement.Source.Surplus, _one(bob), _one(1), "slash");
    }

    function test_revert_recoverSurplus_nothingToRecover() public {
        _deposit(alice, 10e18);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementZeroAmount.selector));
        vm.prank(gov);
        settlement.recoverSurplus();
    }

    function test_revert_recoverSurplus_notOwner() public {
        _donate(1e18);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, treasury));
        vm.prank(treasury);
        settlement.recoverSurplus();
    }

    // ------------------------------------------------------------------------------------------ lifecycle

    /// @notice A request's whole life: deposit, lock, callback fee, split, claims; then a refunded one.
    function test_lifecycle_conservesEveryWei() public {
        _deposit(alice, 100e18);
        _lockFee(1, alice, 11e18); // model fee 10 + protocol fee 0.5 + callback fee 0.5
        vm.prank(hub);
        settlement.payLocked(1, carol, 0.5e18);
        vm.prank(hub);
        settlement.payFee(1, _split(8e18, 1e18, 3, 333_333_333_333_333_333, 0.5e18 + 1)); // 3 seats of 1/3 OPG, 1 wei to treasury
        assertEq(settlement.totalLocked(), 0, "request 1 fully paid");
        _lockFee(2, alice, 11e18);
        vm.prank(hub);
        settlement.refundFee(2, alice, 11e18);
        assertEq(settlement.balanceOf(alice), 89e18, "payer debited exactly once");
        assertEq(settlement.totalCredits(), 11e18, "credits == request 1 fee");
        _assertSolvent(0);
    }

    // ------------------------------------------------------------------------------------------ helpers

    /// @dev Accrues exactly 2^64 - 1 for the treasury over two splits that also pay every other party (12 OPG in
    ///      all: worker 10, royalty 1, one seat 1), out of 100 OPG locked by alice; returns 2^64 - 1.
    function _accrueToUint64Max() internal returns (uint256 max64) {
        max64 = type(uint64).max;
        _deposit(alice, 100e18);
        _lockFee(1, alice, 100e18);
        vm.startPrank(hub);
        settlement.payFee(1, _split(10e18, 0, 0, 0, max64 - 5));
        settlement.payFee(2, _split(0, 1e18, 1, 1e18, 5));
        vm.stopPrank();
    }

    /// @dev A fresh token of `supply` (held by this contract, approved) and Settlement with the same permissions.
    function _redeployWithSupply(uint256 supply) internal {
        token = new OPGToken(address(this), supply);
        settlement = new Settlement(token, treasury, gov);
        uint8 fees = settlement.FEES();
        uint8 bonds = settlement.BONDS();
        vm.startPrank(gov);
        settlement.setPermissions(hub, fees);
        settlement.setPermissions(court, bonds);
        vm.stopPrank();
        token.approve(address(settlement), type(uint256).max);
    }
}
