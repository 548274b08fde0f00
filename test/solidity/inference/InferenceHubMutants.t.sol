// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IInferenceHub} from "../../../contracts/interfaces/IInferenceHub.sol";
import {ProtocolV2Deployer} from "../utils/ProtocolV2Deployer.sol";

/// @notice Tests written against mutants of `InferenceHub.sol` that the other suites let survive (docs/TESTING.md).
contract InferenceHubMutantsTest is ProtocolV2Deployer {
    uint96 internal constant FEE = 1e18;
    uint256 internal constant PRICE = 1.05e18; // model fee + 5 % protocol fee

    ProtocolV2 internal p;
    address internal requester = address(0x3000);
    address internal modelOwner = address(0x40DE1);
    address internal worker = address(0x1001);
    uint256 internal modelId;

    function setUp() public {
        vm.warp(1_000_000);
        vm.roll(1_000);
        p = _deployProtocolV2();
        _fund(p, worker, 2_000e18);
        _stake(p, worker, 2_000e18, ROLE_WORKER);
        _fund(p, requester, 10e18);
        _deposit(p, requester, 10e18);
        modelId = _registerModel(p, modelOwner, MODE_NONE, FEE, 1_000);
    }

    /// @dev One request served at once (NONE finalizes at submission).
    function _serve() internal returns (uint256 id) {
        IInferenceHub.RequestParams memory rp;
        rp.modelId = modelId;
        rp.input = hex"4f50470101";
        rp.maxFee = PRICE;
        vm.prank(requester);
        id = p.hub.request(rp);
        vm.prank(p.hub.getRequest(id).worker);
        p.hub.submitResult(id, hex"01", false);
        assertEq(uint256(p.hub.getRequest(id).status), uint256(IInferenceHub.Status.Finalized), "finalized");
    }

    function test_request_afterARoyaltyChange_paysTheNewRoyalty() public {
        _serve();
        assertEq(p.settlement.creditsOf(modelOwner), FEE / 10, "10 % royalty");
        vm.prank(modelOwner);
        p.registry.setRoyalty(modelId, modelOwner, 2_000);
        _serve();
        assertEq(p.settlement.creditsOf(modelOwner), FEE / 10 + FEE / 5, "then 20 %");
    }

    function test_collateralOf_zeroOnceFinalized() public {
        uint256 id = _serve();
        assertEq(p.hub.collateralOf(id), 0, "no collateral after the terminal state");
    }
}
