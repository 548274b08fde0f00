// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {OPGToken} from "../../../../contracts/token/OPGToken.sol";
import {Settlement} from "../../../../contracts/settlement/Settlement.sol";
import {ISettlement} from "../../../../contracts/interfaces/ISettlement.sol";
import {BaseTest} from "../../utils/BaseTest.sol";

/// @notice Drives a Settlement with the real OPG token through every entry point (as the hub, the court, governance,
///         depositors and direct token senders) and keeps independent books that SettlementInvariants.t.sol compares
///         with the contract after every call.
/// @dev Every action bounds its inputs to a valid move, so the campaign never wastes calls on reverts; refused moves
///      are exercised by `probeRefusals`, which asserts the exact error and that nothing moved.
contract SettlementHandler is BaseTest {
    bytes32 internal constant PERMIT_TYPEHASH = keccak256(
        "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
    );
    uint256 internal constant MAX_AMOUNT = 10_000e18;
    uint256 internal constant PERMIT_KEY = 0xD0;

    OPGToken public immutable token;
    Settlement public immutable settlement;
    address public immutable gov;
    address public immutable hub;
    address public immutable court;

    address[] internal _depositors; // approved the settlement; the last one uses permits only
    address[] internal _accounts; // every address that can hold a balance or credits
    address[] internal _treasuries;

    mapping(address account => uint256) public bookBalance;
    mapping(address account => uint256) public bookCredits;
    uint256 public bookLocked;
    uint256 public bookBonded;
    uint256 public bookSurplus;
    /// @notice Tokens that entered (deposits, donations) and left (withdrawals, claims) the settlement.
    uint256 public ghostIn;
    uint256 public ghostOut;
    uint256 public calls;
    uint256 internal _permitNonce;

    constructor(OPGToken token_, Settlement settlement_, address gov_, address hub_, address court_) {
        token = token_;
        settlement = settlement_;
        gov = gov_;
        hub = hub_;
        court = court_;
        for (uint256 i; i < 3; ++i) {
            address depositor = address(uint160(0xD000 + i));
            _depositors.push(depositor);
            _accounts.push(depositor);
        }
        address permitPayer = vm.addr(PERMIT_KEY);
        _depositors.push(permitPayer);
        _accounts.push(permitPayer);
        for (uint256 i; i < 3; ++i) {
            address t = address(uint160(0x7E00 + i));
            _treasuries.push(t);
            _accounts.push(t);
        }
        for (uint256 i; i < 4; ++i) _accounts.push(address(uint160(0x9000 + i))); // workers, verifiers, royalties
    }

    /// @notice Called once by the test after it funded the depositors.
    function approveAll() external {
        for (uint256 i; i < 3; ++i) {
            vm.prank(_depositors[i]);
            token.approve(address(settlement), type(uint256).max);
        }
    }

    function accounts() external view returns (address[] memory) {
        return _accounts;
    }

    // ------------------------------------------------------------------------------------------------- accounts

    function deposit(uint256 who, uint256 amount) external {
        address account = _depositors[who % 3];
        amount = bound(amount, 1, MAX_AMOUNT);
        vm.prank(account);
        settlement.deposit(amount);
        bookBalance[account] += amount;
        ghostIn += amount;
        ++calls;
    }

    function depositFor(uint256 who, uint256 to, uint256 amount) external {
        address from = _depositors[who % 3];
        address account = _accounts[to % _accounts.length];
        amount = bound(amount, 1, MAX_AMOUNT);
        vm.prank(from);
        settlement.depositFor(account, amount);
        bookBalance[account] += amount;
        ghostIn += amount;
        ++calls;
    }

    function depositWithPermit(uint256 amount, bool frontRun) external {
        address payer = _depositors[3];
        amount = bound(amount, 1, MAX_AMOUNT);
        uint256 deadline = block.timestamp + 1;
        bytes32 structHash = keccak256(
            abi.encode(PERMIT_TYPEHASH, payer, address(settlement), amount, _permitNonce++, deadline)
        );
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(PERMIT_KEY, digest);
        if (frontRun) token.permit(payer, address(settlement), amount, deadline, v, r, s);
        vm.prank(hub);
        settlement.depositWithPermit(payer, amount, deadline, v, r, s);
        bookBalance[payer] += amount;
        ghostIn += amount;
        ++calls;
    }

    function withdraw(uint256 who, uint256 amount) external {
        address account = _accounts[who % _accounts.length];
        uint256 balance = bookBalance[account];
        if (balance == 0) return;
        amount = bound(amount, 1, balance);
        vm.prank(account);
        settlement.withdraw(amount);
        bookBalance[account] -= amount;
        ghostOut += amount;
        ++calls;
    }

    function claim(uint256 who) external {
        address account = _accounts[who % _accounts.length];
        uint256 credits = bookCredits[account];
        if (credits == 0) return;
        vm.prank(account);
        uint256 paid = settlement.claim();
        assertEq(paid, credits, "claim pays the whole book");
        bookCredits[account] = 0;
        ghostOut += credits;
        ++calls;
    }

    // ------------------------------------------------------------------------------------------------- hub

    function lockFee(uint256 requestId, uint256 who, uint256 amount) external {
        address payer = _accounts[who % _accounts.length];
        amount = bound(amount, 0, bookBalance[payer]);
        vm.prank(hub);
        settlement.lockFee(requestId, payer, amount);
        bookBalance[payer] -= amount;
        bookLocked += amount;
        ++calls;
    }

    function payFee(uint256 requestId, uint256 seats, uint256 a, uint256 b, uint256 c, uint256 d) external {
        seats = bound(seats, 0, 8);
        uint256 left = bookLocked;
        uint256 perVerifier = seats == 0 ? 0 : bound(a, 0, left / seats);
        left -= perVerifier * seats;
        uint256 workerPay = bound(b, 0, left);
        left -= workerPay;
        uint256 royalty = bound(c, 0, left);
        left -= royalty;
        uint256 treasuryPay = bound(d, 0, left);
        address[] memory verifiers = new address[](seats);
        for (uint256 i; i < seats; ++i) verifiers[i] = _accounts[(a + i) % _accounts.length];
        ISettlement.FeeSplit memory split = ISettlement.FeeSplit({
            worker: _accounts[b % _accounts.length],
            workerPay: workerPay,
            royaltyRecipient: _accounts[c % _accounts.length],
            royalty: royalty,
            verifiers: verifiers,
            perVerifier: perVerifier,
            treasuryPay: treasuryPay
        });
        vm.prank(hub);
        settlement.payFee(requestId, split);
        for (uint256 i; i < seats; ++i) bookCredits[verifiers[i]] += perVerifier;
        bookCredits[split.worker] += workerPay;
        bookCredits[split.royaltyRecipient] += royalty;
        bookCredits[settlement.treasury()] += treasuryPay;
        bookLocked -= workerPay + royalty + perVerifier * seats + treasuryPay;
        ++calls;
    }

    function refundFee(uint256 requestId, uint256 who, uint256 amount) external {
        address payer = _accounts[who % _accounts.length];
        amount = bound(amount, 0, bookLocked);
        vm.prank(hub);
        settlement.refundFee(requestId, payer, amount);
        bookLocked -= amount;
        bookBalance[payer] += amount;
        ++calls;
    }

    function payLocked(uint256 requestId, uint256 who, uint256 amount) external {
        address account = _accounts[who % _accounts.length];
        amount = bound(amount, 0, bookLocked);
        vm.prank(hub);
        settlement.payLocked(requestId, account, amount);
        bookLocked -= amount;
        bookCredits[account] += amount;
        ++calls;
    }

    // ------------------------------------------------------------------------------------------------- court

    function lockBond(uint256 requestId, uint256 who, uint256 amount) external {
        address account = _accounts[who % _accounts.length];
        amount = bound(amount, 0, bookBalance[account]);
        vm.prank(court);
        settlement.lockBond(requestId, account, amount);
        bookBalance[account] -= amount;
        bookBonded += amount;
        ++calls;
    }

    function creditBonds(uint256 requestId, uint256 who, uint256 toA, uint256 toB) external {
        toA = bound(toA, 0, bookBonded);
        toB = bound(toB, 0, bookBonded - toA);
        _credit(requestId, ISettlement.Source.Bonds, who, toA, toB);
        bookBonded -= toA + toB;
    }

    /// @notice Staking sends `slashed` to the settlement, then the slasher distributes (part of) the surplus.
    function slash(uint256 requestId, uint256 who, uint256 slashed, uint256 toA, uint256 toB) external {
        slashed = bound(slashed, 0, MAX_AMOUNT);
        _transferIn(slashed);
        toA = bound(toA, 0, bookSurplus);
        toB = bound(toB, 0, bookSurplus - toA);
        _credit(requestId, ISettlement.Source.Surplus, who, toA, toB);
        bookSurplus -= toA + toB;
    }

    // ------------------------------------------------------------------------------------------------- outsiders

    /// @notice A plain transfer to the settlement (a donation, a mistaken transfer, Staking's recovered surplus).
    function donate(uint256 amount) external {
        _transferIn(bound(amount, 1, MAX_AMOUNT));
        ++calls;
    }

    // ------------------------------------------------------------------------------------------------- governance

    function recoverSurplus() external {
        if (bookSurplus == 0) return;
        vm.prank(gov);
        uint256 amount = settlement.recoverSurplus();
        assertEq(amount, bookSurplus, "recovers exactly the surplus");
        bookCredits[settlement.treasury()] += amount;
        bookSurplus = 0;
        ++calls;
    }

    function setTreasury(uint256 which) external {
        vm.prank(gov);
        settlement.setTreasury(_treasuries[which % _treasuries.length]);
        ++calls;
    }

    // ------------------------------------------------------------------------------------------------- refusals

    /// @notice One refused move (a pool overdrawn by one wei, or a caller without the permission); the exact
    ///         error is asserted, and the invariants then see that nothing moved.
    function probeRefusals(uint256 which, uint256 who) external {
        address account = _accounts[who % _accounts.length];
        which %= 6;
        if (which == 0) {
            uint256 balance = bookBalance[account];
            vm.expectRevert(
                abi.encodeWithSelector(
                    ISettlement.SettlementInsufficientBalance.selector,
                    account,
                    balance,
                    balance + 1
                )
            );
            vm.prank(account);
            settlement.withdraw(balance + 1);
        } else if (which == 1) {
            vm.expectRevert(
                abi.encodeWithSelector(ISettlement.SettlementInsufficientLocked.selector, bookLocked, bookLocked + 1)
            );
            vm.prank(hub);
            settlement.payLocked(0, account, bookLocked + 1);
        } else if (which == 2) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ISettlement.SettlementInsufficientSource.selector,
                    ISettlement.Source.Bonds,
                    bookBonded,
                    bookBonded + 1
                )
            );
            vm.prank(court);
            settlement.credit(0, ISettlement.Source.Bonds, _list(account), _list(bookBonded + 1), "bond");
        } else if (which == 3) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ISettlement.SettlementInsufficientSource.selector,
                    ISettlement.Source.Surplus,
                    bookSurplus,
                    bookSurplus + 1
                )
            );
            vm.prank(court);
            settlement.credit(0, ISettlement.Source.Surplus, _list(account), _list(bookSurplus + 1), "slash");
        } else if (which == 4) {
            vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementUnauthorized.selector, account, uint8(1)));
            vm.prank(account);
            settlement.refundFee(0, account, 0);
        } else {
            vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementUnauthorized.selector, hub, uint8(2)));
            vm.prank(hub);
            settlement.lockBond(0, account, 0);
        }
        ++calls;
    }

    // ------------------------------------------------------------------------------------------------- internal

    function _credit(uint256 requestId, ISettlement.Source source, uint256 who, uint256 toA, uint256 toB) internal {
        address a = _accounts[who % _accounts.length];
        address b = _accounts[(who >> 8) % _accounts.length];
        address[] memory to = new address[](2);
        to[0] = a;
        to[1] = b;
        uint256[] memory amounts = new uint256[](2);
        amounts[0] = toA;
        amounts[1] = toB;
        vm.prank(court);
        settlement.credit(requestId, source, to, amounts, "credit");
        bookCredits[a] += toA;
        bookCredits[b] += toB;
        ++calls;
    }

    function _transferIn(uint256 amount) internal {
        token.transfer(address(settlement), amount);
        bookSurplus += amount;
        ghostIn += amount;
    }

    function _list(address account) internal pure returns (address[] memory list) {
        list = new address[](1);
        list[0] = account;
    }

    function _list(uint256 amount) internal pure returns (uint256[] memory list) {
        list = new uint256[](1);
        list[0] = amount;
    }
}
