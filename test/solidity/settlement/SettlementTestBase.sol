// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BaseTest} from "../utils/BaseTest.sol";
import {OPGToken} from "../../../contracts/token/OPGToken.sol";
import {Settlement} from "../../../contracts/settlement/Settlement.sol";
import {ISettlement} from "../../../contracts/interfaces/ISettlement.sol";

/// @notice Deploys the real OPG token and a Settlement with a FEES caller (`hub`) and a BONDS caller (`court`),
///         and offers the helpers the settlement suites share.
abstract contract SettlementTestBase is BaseTest {
    uint256 internal constant SUPPLY = 1_000_000_000e18;
    bytes32 internal constant PERMIT_TYPEHASH = keccak256(
        "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
    );

    /// @dev Settlement's storage layout, read raw by the tests of the packed fields: Ownable's `_owner` (slot 0),
    ///      `_balances`, `_credits`, `_permissions`, then the fee path's slot (`_totalLocked`, `_totalCredits`,
    ///      `_treasuryAccrued`: 96, 96 and 64 bits), `_totalHeld` and `_totalBonded`, and `_treasury`.
    uint256 internal constant CREDITS_SLOT = 2;
    uint256 internal constant FEE_SLOT = 4;
    uint256 internal constant HELD_SLOT = 5;
    uint256 internal constant TREASURY_SLOT = 6;

    OPGToken internal token;
    Settlement internal settlement;

    address internal gov = address(0x60F);
    address internal treasury = address(0x7EA5);
    address internal hub = address(0x4B);
    address internal court = address(0xC0);
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    address internal carol = address(0xCA201);
    address internal worker = address(0x3011);
    address internal royaltyTo = address(0xFEE);
    address internal stranger = address(0x5757);

    function setUp() public virtual {
        token = new OPGToken(address(this), SUPPLY);
        settlement = new Settlement(token, treasury, gov);
        vm.startPrank(gov);
        settlement.setPermissions(hub, settlement.FEES());
        settlement.setPermissions(court, settlement.BONDS());
        vm.stopPrank();
        token.transfer(alice, 1_000_000e18);
        token.transfer(bob, 1_000_000e18);
        vm.prank(alice);
        token.approve(address(settlement), type(uint256).max);
        vm.prank(bob);
        token.approve(address(settlement), type(uint256).max);
    }

    // ------------------------------------------------------------------------------------------ helpers

    function _deposit(address account, uint256 amount) internal {
        vm.prank(account);
        settlement.deposit(amount);
    }

    function _lockFee(uint256 requestId, address payer, uint256 amount) internal {
        vm.prank(hub);
        settlement.lockFee(requestId, payer, amount);
    }

    function _lockBond(uint256 requestId, address account, uint256 amount) internal {
        vm.prank(court);
        settlement.lockBond(requestId, account, amount);
    }

    function _donate(uint256 amount) internal {
        token.transfer(address(settlement), amount);
    }

    function _split(
        uint256 workerPay,
        uint256 royalty,
        uint256 seats,
        uint256 perVerifier,
        uint256 treasuryPay
    ) internal view returns (ISettlement.FeeSplit memory split) {
        address[] memory verifiers = new address[](seats);
        for (uint256 i; i < seats; ++i) verifiers[i] = address(uint160(0x9000 + (i % 3)));
        split = ISettlement.FeeSplit({
            worker: worker,
            workerPay: workerPay,
            royaltyRecipient: royaltyTo,
            royalty: royalty,
            verifiers: verifiers,
            perVerifier: perVerifier,
            treasuryPay: treasuryPay
        });
    }

    function _one(address account) internal pure returns (address[] memory accounts) {
        accounts = new address[](1);
        accounts[0] = account;
    }

    function _one(uint256 amount) internal pure returns (uint256[] memory amounts) {
        amounts = new uint256[](1);
        amounts[0] = amount;
    }

    function _two(address a, address b) internal pure returns (address[] memory accounts) {
        accounts = new address[](2);
        accounts[0] = a;
        accounts[1] = b;
    }

    function _two(uint256 a, uint256 b) internal pure returns (uint256[] memory amounts) {
        amounts = new uint256[](2);
        amounts[0] = a;
        amounts[1] = b;
    }

    function _permitDigest(
        address holder,
        address spender,
        uint256 value,
        uint256 nonce,
        uint256 deadline
    ) internal view returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(PERMIT_TYPEHASH, holder, spender, value, nonce, deadline));
        return keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash));
    }

    /// @dev The stored `_credits[account]`, without the treasury's accrued shares that {creditsOf} adds.
    function _rawCredits(address account) internal view returns (uint256) {
        return uint256(vm.load(address(settlement), keccak256(abi.encode(account, CREDITS_SLOT))));
    }

    /// @dev The stored `_treasuryAccrued` (the top 64 bits of the fee path's slot).
    function _rawAccrued() internal view returns (uint256) {
        return uint256(vm.load(address(settlement), bytes32(FEE_SLOT))) >> 192;
    }

    /// @dev token.balanceOf(settlement) == Σ totals + surplus, and the surplus is what nobody accounted for.
    function _assertSolvent(uint256 expectedSurplus) internal view {
        uint256 accounted =
            settlement.totalBalances() +
                settlement.totalLocked() +
                settlement.totalBonded() +
                settlement.totalCredits();
        assertEq(token.balanceOf(address(settlement)), accounted + settlement.surplus(), "solvency");
        assertEq(settlement.surplus(), expectedSurplus, "surplus");
    }
}
