// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IInferenceHub} from "../../../contracts/interfaces/IInferenceHub.sol";
import {IVerificationModule} from "../../../contracts/interfaces/IVerificationModule.sol";
import {MockModuleHub} from "../../../contracts/mocks/MockModuleHub.sol";
import {NoneModule} from "../../../contracts/verification/NoneModule.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice NONE module: final at submission, nobody to pay, never disputed.
contract NoneModuleTest is BaseTest {
    uint256 internal constant REQUEST = 3;

    NoneModule internal module;
    MockModuleHub internal hub;

    function setUp() public {
        module = new NoneModule();
        hub = new MockModuleHub();
    }

    function _job() internal pure returns (IVerificationModule.Job memory) {
        return
            IVerificationModule.Job({
                worker: address(0x1000),
                requester: address(0x3000),
                modelId: 1,
                resultHash: keccak256("output"),
                isError: false,
                collateral: 1e18,
                fee: 1e17
            });
    }

    function test_onResult_acceptedAtOnceWithoutDeadline() public {
        (IVerificationModule.Verdict verdict, uint64 deadline) = hub.submit(REQUEST, address(module), _job());
        assertEq(uint256(verdict), uint256(IVerificationModule.Verdict.Accepted), "verdict");
        assertEq(deadline, 0, "deadline");
        (, IInferenceHub.Status status, , ) = hub.jobOf(REQUEST);
        assertEq(uint256(status), uint256(IInferenceHub.Status.Finalized), "hub finalizes at submission");
    }

    function test_settle_acceptedWithoutPayees() public view {
        (IVerificationModule.Verdict verdict, address[] memory paid) = module.settle(REQUEST, _job(), 0);
        assertEq(uint256(verdict), uint256(IVerificationModule.Verdict.Accepted), "verdict");
        assertEq(paid.length, 0, "no verifier paid");
    }

    function testFuzz_settle_acceptedForAnyRequestAndDeadline(uint256 requestId, uint64 deadline) public view {
        (IVerificationModule.Verdict verdict, address[] memory paid) = module.settle(requestId, _job(), deadline);
        assertEq(uint256(verdict), uint256(IVerificationModule.Verdict.Accepted), "verdict");
        assertEq(paid.length, 0, "no verifier paid");
    }

    function test_isDisputed_false() public view {
        assertTrue(!module.isDisputed(REQUEST), "never disputed");
    }

    function test_maxVerificationDuration_zero() public view {
        assertEq(module.maxVerificationDuration(), 0, "duration");
    }
}
