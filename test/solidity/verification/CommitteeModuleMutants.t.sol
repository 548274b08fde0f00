// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICommitteeModule} from "../../../contracts/interfaces/ICommitteeModule.sol";
import {CommitteeModule} from "../../../contracts/verification/CommitteeModule.sol";
import {ModuleTestBase} from "./utils/ModuleTestBase.sol";

/// @notice Tests written against mutants of `CommitteeModule.sol` that the other suites let survive
///         (docs/TESTING.md): parameter bounds as numbers, not as the contract's own constants.
contract CommitteeModuleMutantsTest is ModuleTestBase {
    uint16 internal constant MIN_SILENCE_BPS = 10;
    uint16 internal constant MAX_SILENCE_BPS = 1_000;

    CommitteeModule internal module;

    function setUp() public {
        _deployProtocol();
        module = new CommitteeModule(
            _hub(),
            _court(),
            _settlement(),
            _staking(),
            _randomness(),
            _params(100),
            address(this)
        );
    }

    function _params(uint16 silenceBps) internal pure returns (ICommitteeModule.CommitteeParams memory) {
        return
            ICommitteeModule.CommitteeParams({
                committeeSize: 3,
                quorum: 2,
                silencePenaltyBps: silenceBps,
                drawWindow: 1_800,
                commitWindow: 300,
                revealWindow: 300
            });
    }

    function _silenceError(uint256 value) internal pure returns (bytes memory) {
        return
            abi.encodeWithSelector(
                ICommitteeModule.CommitteeParamOutOfBounds.selector,
                "silencePenaltyBps",
                value,
                MIN_SILENCE_BPS,
                MAX_SILENCE_BPS
            );
    }

    function test_setParams_acceptsSilencePenaltyOfTenPercent() public {
        module.setParams(_params(MAX_SILENCE_BPS));
        assertEq(module.params().silencePenaltyBps, MAX_SILENCE_BPS, "10 %");
    }

    function test_setParams_acceptsSilencePenaltyOfTenBps() public {
        module.setParams(_params(MIN_SILENCE_BPS));
        assertEq(module.params().silencePenaltyBps, MIN_SILENCE_BPS, "0.1 %");
    }

    function test_revert_setParams_silencePenaltyAboveTenPercent() public {
        vm.expectRevert(_silenceError(MAX_SILENCE_BPS + 1));
        module.setParams(_params(MAX_SILENCE_BPS + 1));
    }
}
