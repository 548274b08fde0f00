// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

import {ISettlement} from "../../../contracts/interfaces/ISettlement.sol";
import {Settlement} from "../../../contracts/settlement/Settlement.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice A token whose next transfer out of `settlement` calls back into it (once), bubbling any revert.
contract ReentrantToken is ERC20 {
    address public target;
    bytes public callData;

    constructor() ERC20("Reentrant", "RE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address target_, bytes calldata callData_) external {
        target = target_;
        callData = callData_;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        address t = target;
        if (t != address(0) && from == t) {
            target = address(0);
            (bool ok, bytes memory ret) = t.call(callData);
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(ret, 32), mload(ret))
                }
            }
        }
    }
}

/// @notice Tests written against mutants of `Settlement.sol` that the other suites let survive (docs/TESTING.md).
contract SettlementMutantsTest is BaseTest {
    ReentrantToken internal token;
    Settlement internal settlement;
    address internal alice = address(0xA11CE);

    function setUp() public {
        token = new ReentrantToken();
        settlement = new Settlement(token, address(0x7EA5), address(this));
        token.mint(alice, 100e18);
        vm.startPrank(alice);
        token.approve(address(settlement), type(uint256).max);
        settlement.deposit(10e18);
        vm.stopPrank();
    }

    function test_revert_withdraw_reentryFromTheTokenHitsTheLock() public {
        token.arm(address(settlement), abi.encodeCall(ISettlement.withdraw, (1)));
        vm.expectRevert(abi.encodeWithSelector(ISettlement.SettlementReentrantCall.selector));
        vm.prank(alice);
        settlement.withdraw(1e18);
    }

    function test_withdraw_succeedsWhenTheTokenDoesNotReenter() public {
        vm.prank(alice);
        settlement.withdraw(1e18);
        assertEq(settlement.balanceOf(alice), 9e18, "balance");
        assertEq(token.balanceOf(alice), 91e18, "tokens back");
    }
}
