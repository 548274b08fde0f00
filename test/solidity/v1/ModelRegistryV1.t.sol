// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BaseTest} from "../utils/BaseTest.sol";
import {ModelRegistryV1} from "../../../contracts/v1/ModelRegistryV1.sol";
import {IModelRegistryV1} from "../../../contracts/v1/interfaces/IModelRegistryV1.sol";

contract ModelRegistryTest is BaseTest {
    ModelRegistryV1 internal registry;
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    address internal royaltyTo = address(0xFEE);
    // keccak256, not sha256: a precompile call would consume `vm.prank`.
    bytes32 internal constant CONTENT = keccak256("model.onnx bytes");
    bytes32 internal constant SCHEMA = keccak256("schema");

    function setUp() public {
        registry = new ModelRegistryV1();
    }

    function _params() internal view returns (IModelRegistryV1.ModelParams memory) {
        return
            IModelRegistryV1.ModelParams({
                contentHash: CONTENT,
                uri: "ipfs://bafy-model",
                fee: 10e18,
                mode: IModelRegistryV1.VerificationMode.OPTIMISTIC,
                outputDecimals: 6,
                tolerance: 5,
                royaltyRecipient: royaltyTo,
                royaltyBps: 1_000,
                schemaDigest: SCHEMA
            });
    }

    function _register() internal returns (uint256 id) {
        vm.prank(alice);
        id = registry.registerModel(_params());
    }

    function _uri(uint256 length) internal pure returns (string memory) {
        bytes memory b = new bytes(length);
        for (uint256 i; i < length; ++i) b[i] = "a";
        return string(b);
    }

    // ------------------------------------------------------------------------------------------ constants

    function test_constants() public view {
        assertEq(registry.MAX_FEE(), 1_000_000e18, "MAX_FEE");
        assertEq(registry.MAX_OUTPUT_DECIMALS(), 18, "MAX_OUTPUT_DECIMALS");
        assertEq(registry.MAX_ROYALTY_BPS(), 5_000, "MAX_ROYALTY_BPS");
        assertEq(registry.MAX_URI_LENGTH(), 512, "MAX_URI_LENGTH");
        assertEq(registry.modelCount(), 0, "no models");
    }

    // ------------------------------------------------------------------------------------------ registerModel

    function test_registerModel_storesRecord() public {
        vm.expectEmit(address(registry));
        emit IModelRegistryV1.ModelRegistered(
            1,
            alice,
            CONTENT,
            "ipfs://bafy-model",
            10e18,
            IModelRegistryV1.VerificationMode.OPTIMISTIC,
            6,
            5,
            SCHEMA
        );
        vm.expectEmit(address(registry));
        emit IModelRegistryV1.ModelRoyaltyUpdated(1, royaltyTo, 1_000);
        uint256 id = _register();
        assertEq(id, 1, "ids start at 1");
        assertEq(registry.modelCount(), 1, "count");

        IModelRegistryV1.Model memory m = registry.getModel(id);
        assertEq(m.owner, alice, "owner");
        assertEq(m.fee, 10e18, "fee");
        assertEq(m.royaltyRecipient, royaltyTo, "royalty recipient");
        assertEq(m.royaltyBps, 1_000, "royalty bps");
        assertTrue(m.mode == IModelRegistryV1.VerificationMode.OPTIMISTIC, "mode");
        assertEq(m.outputDecimals, 6, "decimals");
        assertTrue(m.active, "active");
        assertEq(m.tolerance, 5, "tolerance");
        assertEq(m.contentHash, CONTENT, "content");
        assertEq(m.schemaDigest, SCHEMA, "schema");
        assertEq(keccak256(bytes(m.uri)), keccak256("ipfs://bafy-model"), "uri");
    }

    function test_registerModel_idsIncrement() public {
        _register();
        vm.prank(bob);
        uint256 id = registry.registerModel(_params());
        assertEq(id, 2, "second id");
        assertEq(registry.getModel(2).owner, bob, "owner of 2");
        assertEq(registry.modelCount(), 2, "count");
    }

    function test_registerModel_acceptsMaxBounds() public {
        IModelRegistryV1.ModelParams memory p = _params();
        p.fee = registry.MAX_FEE();
        p.outputDecimals = registry.MAX_OUTPUT_DECIMALS();
        p.royaltyBps = registry.MAX_ROYALTY_BPS();
        p.uri = _uri(512);
        p.mode = IModelRegistryV1.VerificationMode.COMMITTEE;
        p.tolerance = type(uint64).max;
        uint256 id = registry.registerModel(p);
        IModelRegistryV1.Model memory m = registry.getModel(id);
        assertEq(m.fee, 1_000_000e18, "fee");
        assertEq(m.outputDecimals, 18, "decimals");
        assertEq(m.royaltyBps, 5_000, "royalty");
        assertEq(bytes(m.uri).length, 512, "uri length");
        assertEq(m.tolerance, type(uint64).max, "tolerance");
    }

    function test_registerModel_acceptsZeroFeeAndOneByteUri() public {
        IModelRegistryV1.ModelParams memory p = _params();
        p.fee = 0;
        p.uri = "x";
        p.royaltyBps = 0;
        p.outputDecimals = 0;
        uint256 id = registry.registerModel(p);
        assertEq(registry.getModel(id).fee, 0, "fee");
    }

    function test_revert_registerModel_emptyContentHash() public {
        IModelRegistryV1.ModelParams memory p = _params();
        p.contentHash = bytes32(0);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistryV1.RegistryEmptyContentHash.selector));
        registry.registerModel(p);
    }

    function test_revert_registerModel_emptyUri() public {
        IModelRegistryV1.ModelParams memory p = _params();
        p.uri = "";
        vm.expectRevert(abi.encodeWithSelector(IModelRegistryV1.RegistryInvalidUri.selector, 0, 512));
        registry.registerModel(p);
    }

    function test_revert_registerModel_uriTooLong() public {
        IModelRegistryV1.ModelParams memory p = _params();
        p.uri = _uri(513);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistryV1.RegistryInvalidUri.selector, 513, 512));
        registry.registerModel(p);
    }

    function test_revert_registerModel_feeTooHigh() public {
        IModelRegistryV1.ModelParams memory p = _params();
        p.fee = 1_000_000e18 + 1;
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistryV1.RegistryFeeTooHigh.selector, 1_000_000e18 + 1, 1_000_000e18)
        );
        registry.registerModel(p);
    }

    function test_revert_registerModel_decimalsTooHigh() public {
        IModelRegistryV1.ModelParams memory p = _params();
        p.outputDecimals = 19;
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistryV1.RegistryDecimalsTooHigh.selector, uint8(19), uint8(18))
        );
        registry.registerModel(p);
    }

    function test_revert_registerModel_royaltyTooHigh() public {
        IModelRegistryV1.ModelParams memory p = _params();
        p.royaltyBps = 5_001;
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistryV1.RegistryRoyaltyTooHigh.selector, uint16(5_001), uint16(5_000))
        );
        registry.registerModel(p);
    }

    function test_revert_registerModel_zeroRoyaltyRecipient() public {
        IModelRegistryV1.ModelParams memory p = _params();
        p.royaltyRecipient = address(0);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistryV1.RegistryZeroAddress.selector));
        registry.registerModel(p);
    }

    function test_revert_registerModel_invalidMode() public {
        bytes memory callData = abi.encodeCall(ModelRegistryV1.registerModel, (_params()));
        // The mode is the 4th head word of the tuple: selector + offset word + 3 words.
        uint256 modeOffset = 4 + 32 + 3 * 32;
        callData[modeOffset + 31] = bytes1(uint8(3));
        (bool ok, ) = address(registry).call(callData);
        assertTrue(!ok, "invalid enum must revert");
        assertEq(registry.modelCount(), 0, "nothing registered");
    }

    function testFuzz_registerModel_bounds(uint96 fee, uint8 decimals, uint16 royaltyBps, uint16 uriLength) public {
        IModelRegistryV1.ModelParams memory p = _params();
        p.fee = fee;
        p.outputDecimals = decimals;
        p.royaltyBps = royaltyBps;
        uriLength = uint16(bound(uriLength, 0, 600));
        p.uri = _uri(uriLength);
        bytes memory expected;
        if (uriLength == 0 || uriLength > 512) {
            expected = abi.encodeWithSelector(IModelRegistryV1.RegistryInvalidUri.selector, uriLength, 512);
        } else if (fee > 1_000_000e18) {
            expected = abi.encodeWithSelector(IModelRegistryV1.RegistryFeeTooHigh.selector, fee, 1_000_000e18);
        } else if (decimals > 18) {
            expected = abi.encodeWithSelector(IModelRegistryV1.RegistryDecimalsTooHigh.selector, decimals, uint8(18));
        } else if (royaltyBps > 5_000) {
            expected = abi.encodeWithSelector(IModelRegistryV1.RegistryRoyaltyTooHigh.selector, royaltyBps, 5_000);
        }
        if (expected.length != 0) {
            vm.expectRevert(expected);
            registry.registerModel(p);
        } else {
            uint256 id = registry.registerModel(p);
            assertEq(registry.getModel(id).fee, fee, "fee stored");
        }
    }

    // ------------------------------------------------------------------------------------------ setFee

    function test_setFee_updates() public {
        uint256 id = _register();
        vm.expectEmit(address(registry));
        emit IModelRegistryV1.ModelFeeUpdated(id, 10e18, 1_000_000e18);
        vm.prank(alice);
        registry.setFee(id, 1_000_000e18);
        assertEq(registry.getModel(id).fee, 1_000_000e18, "fee");
    }

    function test_revert_setFee_tooHigh() public {
        uint256 id = _register();
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistryV1.RegistryFeeTooHigh.selector, 1_000_000e18 + 1, 1_000_000e18)
        );
        vm.prank(alice);
        registry.setFee(id, 1_000_000e18 + 1);
    }

    function test_revert_setFee_notOwner() public {
        uint256 id = _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistryV1.RegistryNotModelOwner.selector, id, bob));
        vm.prank(bob);
        registry.setFee(id, 1);
    }

    function test_revert_setFee_unknownModel() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistryV1.RegistryUnknownModel.selector, 1));
        vm.prank(alice);
        registry.setFee(1, 1);
    }

    // ------------------------------------------------------------------------------------------ setRoyalty

    function test_setRoyalty_updates() public {
        uint256 id = _register();
        vm.expectEmit(address(registry));
        emit IModelRegistryV1.ModelRoyaltyUpdated(id, bob, 5_000);
        vm.prank(alice);
        registry.setRoyalty(id, bob, 5_000);
        IModelRegistryV1.Model memory m = registry.getModel(id);
        assertEq(m.royaltyRecipient, bob, "recipient");
        assertEq(m.royaltyBps, 5_000, "bps");
    }

    function test_revert_setRoyalty_tooHigh() public {
        uint256 id = _register();
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistryV1.RegistryRoyaltyTooHigh.selector, uint16(5_001), uint16(5_000))
        );
        vm.prank(alice);
        registry.setRoyalty(id, bob, 5_001);
    }

    function test_revert_setRoyalty_zeroRecipient() public {
        uint256 id = _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistryV1.RegistryZeroAddress.selector));
        vm.prank(alice);
        registry.setRoyalty(id, address(0), 1);
    }

    function test_revert_setRoyalty_notOwner() public {
        uint256 id = _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistryV1.RegistryNotModelOwner.selector, id, bob));
        vm.prank(bob);
        registry.setRoyalty(id, bob, 1);
    }

    function test_revert_setRoyalty_unknownModel() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistryV1.RegistryUnknownModel.selector, 7));
        registry.setRoyalty(7, bob, 1);
    }

    // ------------------------------------------------------------------------------------------ setUri

    function test_setUri_updates() public {
        uint256 id = _register();
        string memory uri = _uri(512);
        vm.expectEmit(address(registry));
        emit IModelRegistryV1.ModelUriUpdated(id, uri);
        vm.prank(alice);
        registry.setUri(id, uri);
        assertEq(keccak256(bytes(registry.getModel(id).uri)), keccak256(bytes(uri)), "uri");
    }

    function test_revert_setUri_tooLong() public {
        uint256 id = _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistryV1.RegistryInvalidUri.selector, 513, 512));
        vm.prank(alice);
        registry.setUri(id, _uri(513));
    }

    function test_revert_setUri_empty() public {
        uint256 id = _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistryV1.RegistryInvalidUri.selector, 0, 512));
        vm.prank(alice);
        registry.setUri(id, "");
    }

    function test_revert_setUri_notOwner() public {
        uint256 id = _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistryV1.RegistryNotModelOwner.selector, id, bob));
        vm.prank(bob);
        registry.setUri(id, "https://x");
    }

    function test_revert_setUri_unknownModel() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistryV1.RegistryUnknownModel.selector, 0));
        registry.setUri(0, "https://x");
    }

    // ------------------------------------------------------------------------------------------ setActive

    function test_setActive_togglesFlag() public {
        uint256 id = _register();
        vm.expectEmit(address(registry));
        emit IModelRegistryV1.ModelActiveSet(id, false);
        vm.prank(alice);
        registry.setActive(id, false);
        assertTrue(!registry.getModel(id).active, "inactive");
        vm.prank(alice);
        registry.setActive(id, true);
        assertTrue(registry.getModel(id).active, "active again");
    }

    function test_revert_setActive_notOwner() public {
        uint256 id = _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistryV1.RegistryNotModelOwner.selector, id, bob));
        vm.prank(bob);
        registry.setActive(id, false);
    }

    function test_revert_setActive_unknownModel() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistryV1.RegistryUnknownModel.selector, 2));
        registry.setActive(2, false);
    }

    // ------------------------------------------------------------------------------------------ ownership

    function test_transferModelOwnership_handsOver() public {
        uint256 id = _register();
        vm.expectEmit(address(registry));
        emit IModelRegistryV1.ModelOwnershipTransferred(id, alice, bob);
        vm.prank(alice);
        registry.transferModelOwnership(id, bob);
        assertEq(registry.getModel(id).owner, bob, "new owner");

        vm.expectRevert(abi.encodeWithSelector(IModelRegistryV1.RegistryNotModelOwner.selector, id, alice));
        vm.prank(alice);
        registry.setFee(id, 1);

        vm.prank(bob);
        registry.setFee(id, 1);
        assertEq(registry.getModel(id).fee, 1, "new owner manages");
    }

    function test_revert_transferModelOwnership_zeroAddress() public {
        uint256 id = _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistryV1.RegistryZeroAddress.selector));
        vm.prank(alice);
        registry.transferModelOwnership(id, address(0));
    }

    function test_revert_transferModelOwnership_notOwner() public {
        uint256 id = _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistryV1.RegistryNotModelOwner.selector, id, bob));
        vm.prank(bob);
        registry.transferModelOwnership(id, bob);
    }

    function test_revert_transferModelOwnership_unknownModel() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistryV1.RegistryUnknownModel.selector, 3));
        registry.transferModelOwnership(3, bob);
    }

    // ------------------------------------------------------------------------------------------ views

    function test_revert_getModel_unknownModel() public {
        _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistryV1.RegistryUnknownModel.selector, 0));
        registry.getModel(0);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistryV1.RegistryUnknownModel.selector, 2));
        registry.getModel(2);
    }

    function test_immutableFieldsUnchangedByMutators() public {
        uint256 id = _register();
        vm.startPrank(alice);
        registry.setFee(id, 3);
        registry.setRoyalty(id, bob, 7);
        registry.setUri(id, "file:/m");
        registry.setActive(id, false);
        registry.transferModelOwnership(id, bob);
        vm.stopPrank();
        IModelRegistryV1.Model memory m = registry.getModel(id);
        assertEq(m.contentHash, CONTENT, "content");
        assertEq(m.schemaDigest, SCHEMA, "schema");
        assertEq(m.outputDecimals, 6, "decimals");
        assertEq(m.tolerance, 5, "tolerance");
        assertTrue(m.mode == IModelRegistryV1.VerificationMode.OPTIMISTIC, "mode");
    }
}
