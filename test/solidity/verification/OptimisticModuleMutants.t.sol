// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IOptimisticModule} from "../../../contracts/interfaces/IOptimisticModule.sol";
import {OptimisticModule} from "../../../contracts/verification/OptimisticModule.sol";
import {ModuleTestBase} from "./utils/ModuleTestBase.sol";

/// @notice Tests written against mutants of `OptimisticModule.sol` that the other suites let survive
///         (docs/TESTING.md): the challenge window's bounds as numbers, not as the contract's own constants.
contract OptimisticModuleMutantsTest is ModuleTestBase {
    uint32 internal constant ONE_MINUTE = 60;
    uint32 internal constant THREE_DAYS = 259_200;

    function setUp() public {
        _deployProtocol();
    }

    function _deploy(uint32 window) internal returns (OptimisticModule) {
        return new OptimisticModule(_hub(), _court(), _settlement(), _staking(), window, address(this));
    }

    function _windowError(uint256 value) internal pure returns (bytes memory) {
        return
            abi.encodeWithSelector(
                IOptimisticModule.OptimisticParamOutOfBounds.selector,
                "challengeWindow",
                value,
                ONE_MINUTE,
                THREE_DAYS
            );
    }

    function test_constructor_acceptsOneMinuteWindow() public {
        assertEq(_deploy(ONE_MINUTE).challengeWindow(), ONE_MINUTE, "one minute");
    }

    function test_constructor_acceptsThreeDayWindow() public {
        assertEq(_deploy(THREE_DAYS).challengeWindow(), THREE_DAYS, "three days");
    }

    function test_revert_constructor_windowOneSecondShortOfOneMinute() public {
        vm.expectRevert(_windowError(ONE_MINUTE - 1));
        _deploy(ONE_MINUTE - 1);
    }

    function test_revert_constructor_windowOneSecondPastThreeDays() public {
        vm.expectRevert(_windowError(THREE_DAYS + 1));
        _deploy(THREE_DAYS + 1);
    }
}
