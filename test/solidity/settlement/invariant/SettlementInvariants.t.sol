// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {OPGToken} from "../../../../contracts/token/OPGToken.sol";
import {Settlement} from "../../../../contracts/settlement/Settlement.sol";
import {BaseTest} from "../../utils/BaseTest.sol";
import {SettlementHandler} from "./SettlementHandler.sol";

/// @notice PROTOCOL.md invariant 1 (solvency) for the settlement layer, checked after every call of a stateful
///         campaign over every entry point, the permit path (with front-run permits), direct token transfers,
///         slash distributions, surplus recoveries and treasury changes mid-campaign.
/// @dev Run this file together with its handler (EDR finds the fuzz target by its artifact):
///      `npx hardhat test solidity test/solidity/settlement/invariant`
contract SettlementInvariantsTest is BaseTest {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    OPGToken internal token;
    Settlement internal settlement;
    SettlementHandler internal handler;

    function setUp() public {
        address gov = address(0x60F);
        address hub = address(0x4B);
        address court = address(0xC0);
        token = new OPGToken(address(this), 1_000_000_000e18);
        settlement = new Settlement(token, address(0x7E00), gov);
        handler = new SettlementHandler(token, settlement, gov, hub, court);
        vm.startPrank(gov);
        settlement.setPermissions(hub, settlement.FEES());
        settlement.setPermissions(court, settlement.BONDS());
        vm.stopPrank();
        address[] memory accounts = handler.accounts();
        for (uint256 i; i < 4; ++i) token.transfer(accounts[i], 10_000_000e18);
        token.transfer(address(handler), 100_000_000e18);
        handler.approveAll();
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](16);
        selectors[0] = SettlementHandler.deposit.selector;
        selectors[1] = SettlementHandler.depositFor.selector;
        selectors[2] = SettlementHandler.depositWithPermit.selector;
        selectors[3] = SettlementHandler.withdraw.selector;
        selectors[4] = SettlementHandler.claim.selector;
        selectors[5] = SettlementHandler.lockFee.selector;
        selectors[6] = SettlementHandler.payFee.selector;
        selectors[7] = SettlementHandler.refundFee.selector;
        selectors[8] = SettlementHandler.payLocked.selector;
        selectors[9] = SettlementHandler.lockBond.selector;
        selectors[10] = SettlementHandler.creditBonds.selector;
        selectors[11] = SettlementHandler.slash.selector;
        selectors[12] = SettlementHandler.donate.selector;
        selectors[13] = SettlementHandler.recoverSurplus.selector;
        selectors[14] = SettlementHandler.setTreasury.selector;
        selectors[15] = SettlementHandler.probeRefusals.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector({addr: address(handler), selectors: selectors});
    }

    /// @notice token.balanceOf(settlement) == totalBalances + totalLocked + totalBonded + totalCredits + surplus,
    ///         with the surplus exactly what arrived outside the accounted paths and was not credited yet; and the
    ///         token flows in and out explain the balance.
    function invariant_solvencyExact() public view {
        uint256 held = token.balanceOf(address(settlement));
        uint256 accounted =
            settlement.totalBalances() +
                settlement.totalLocked() +
                settlement.totalBonded() +
                settlement.totalCredits();
        assertEq(held, accounted + settlement.surplus(), "held == totals + surplus");
        assertEq(settlement.surplus(), handler.bookSurplus(), "surplus == uncredited outside transfers");
        assertEq(held, handler.ghostIn() - handler.ghostOut(), "held == tokens in - tokens out");
    }

    /// @notice Every account's free balance and credits equal the books, and each total is the sum of its accounts.
    function invariant_totalsAreSumsOfAccounts() public view {
        address[] memory accounts = handler.accounts();
        uint256 balances;
        uint256 credits;
        for (uint256 i; i < accounts.length; ++i) {
            assertEq(settlement.balanceOf(accounts[i]), handler.bookBalance(accounts[i]), "balance == book");
            assertEq(settlement.creditsOf(accounts[i]), handler.bookCredits(accounts[i]), "credits == book");
            balances += handler.bookBalance(accounts[i]);
            credits += handler.bookCredits(accounts[i]);
        }
        assertEq(settlement.totalBalances(), balances, "totalBalances == sum of balances");
        assertEq(settlement.totalCredits(), credits, "totalCredits == sum of credits");
        assertEq(settlement.totalLocked(), handler.bookLocked(), "totalLocked == locked fees");
        assertEq(settlement.totalBonded(), handler.bookBonded(), "totalBonded == bonds");
    }
}
