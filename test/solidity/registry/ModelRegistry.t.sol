// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {ModelRegistry} from "../../../contracts/registry/ModelRegistry.sol";
import {IModelRegistry, IModelTermsListener} from "../../../contracts/interfaces/IModelRegistry.sol";

/// @dev A suspender contract that records what the registry tells it, and can be made to fail.
contract RecordingListener is IModelTermsListener {
    uint256[] internal _changed;
    address[] internal _suspenders;
    bool internal _failing;

    function setFailing(bool failing) external {
        _failing = failing;
    }

    function onModelTermsChanged(uint256 modelId) external {
        require(!_failing, "listener failed");
        _changed.push(modelId);
    }

    function onSuspenderChanged(address suspender) external {
        require(!_failing, "listener failed");
        _suspenders.push(suspender);
    }

    function changed() external view returns (uint256[] memory) {
        return _changed;
    }

    function suspenders() external view returns (address[] memory) {
        return _suspenders;
    }
}

contract ModelRegistryTest is BaseTest {
    ModelRegistry internal registry;
    address internal gov = address(0x60F);
    address internal hub = address(0x4B);
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    address internal royaltyTo = address(0xFEE);
    uint96 internal constant MIN_FEE = 0.01e18;
    // keccak256, not sha256: a precompile call would consume `vm.prank`.
    bytes32 internal constant CONTENT = keccak256("model.onnx bytes");
    bytes32 internal constant SCHEMA = keccak256("schema");
    bytes32 internal constant TOKENIZER = keccak256("tokenizer.json bytes");

    function setUp() public {
        registry = new ModelRegistry(gov, MIN_FEE);
        vm.prank(gov);
        registry.setSuspender(hub);
    }

    function _params() internal view returns (IModelRegistry.ModelParams memory p) {
        p.contentHash = CONTENT;
        p.uri = "ipfs://bafy-model";
        p.fee = 10e18;
        p.mode = 1;
        p.outputDecimals = 6;
        p.tolerance = 5;
        p.royaltyRecipient = royaltyTo;
        p.royaltyBps = 1_000;
        p.schemaDigest = SCHEMA;
        p.kind = IModelRegistry.ModelKind.TENSOR;
    }

    function _lmParams() internal view returns (IModelRegistry.ModelParams memory p) {
        p = _params();
        p.kind = IModelRegistry.ModelKind.CAUSAL_LM;
        p.tokenizerHash = TOKENIZER;
        p.tokenizerUri = "ipfs://bafy-tokenizer";
        p.contextLength = 512;
        p.eosTokenId = 2;
        p.outputDecimals = 4;
    }

    function _register() internal returns (uint256 id) {
        vm.prank(alice);
        id = registry.registerModel(_params());
    }

    function _registerLm() internal returns (uint256 id) {
        vm.prank(alice);
        id = registry.registerModel(_lmParams());
    }

    function _suspend(uint256 id) internal {
        vm.prank(hub);
        registry.suspend(id);
    }

    function _uri(uint256 length) internal pure returns (string memory) {
        bytes memory b = new bytes(length);
        for (uint256 i; i < length; ++i) b[i] = "a";
        return string(b);
    }

    function _expectRegisterRevert(IModelRegistry.ModelParams memory p, bytes memory err) internal {
        vm.expectRevert(err);
        registry.registerModel(p);
    }

    // ------------------------------------------------------------------------------------------ constructor

    function test_constructor_setsOwnerMinFeeAndConstants() public view {
        assertEq(registry.owner(), gov, "owner");
        assertEq(registry.minFee(), MIN_FEE, "min fee");
        assertEq(registry.suspender(), hub, "suspender");
        assertEq(registry.modelCount(), 0, "no models");
        assertEq(registry.MAX_FEE(), 1_000_000e18, "MAX_FEE");
        assertEq(registry.MIN_MIN_FEE(), 1e12, "MIN_MIN_FEE");
        assertEq(registry.MAX_MIN_FEE(), 1_000e18, "MAX_MIN_FEE");
        assertEq(registry.MAX_OUTPUT_DECIMALS(), 18, "MAX_OUTPUT_DECIMALS");
        assertEq(registry.MAX_ROYALTY_BPS(), 5_000, "MAX_ROYALTY_BPS");
        assertEq(registry.MAX_URI_LENGTH(), 512, "MAX_URI_LENGTH");
        assertEq(registry.MAX_MODES(), 8, "MAX_MODES");
    }

    function test_constructor_emitsMinFeeSet() public {
        vm.expectEmit();
        emit IModelRegistry.MinFeeSet(MIN_FEE);
        new ModelRegistry(gov, MIN_FEE);
    }

    function test_constructor_acceptsMinFeeBounds() public {
        assertEq(new ModelRegistry(gov, 1e12).minFee(), 1e12, "lowest");
        assertEq(new ModelRegistry(gov, 1_000e18).minFee(), 1_000e18, "highest");
    }

    function test_revert_constructor_minFeeBelowBound() public {
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistry.RegistryParamOutOfBounds.selector, "minFee", 1e12 - 1, 1e12, 1_000e18)
        );
        new ModelRegistry(gov, 1e12 - 1);
    }

    function test_revert_constructor_minFeeAboveBound() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IModelRegistry.RegistryParamOutOfBounds.selector,
                "minFee",
                1_000e18 + 1,
                1e12,
                1_000e18
            )
        );
        new ModelRegistry(gov, 1_000e18 + 1);
    }

    function test_revert_constructor_zeroOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableInvalidOwner.selector, address(0)));
        new ModelRegistry(address(0), MIN_FEE);
    }

    function test_deployedSize_withinLimit() public view {
        assertLe(address(registry).code.length, 20_480, "ModelRegistry <= 20 KB");
    }

    // ------------------------------------------------------------------------------------------ registerModel

    function test_registerModel_storesTensorModel() public {
        vm.expectEmit(address(registry));
        emit IModelRegistry.ModelRegistered(
            1,
            alice,
            CONTENT,
            "ipfs://bafy-model",
            10e18,
            1,
            6,
            5,
            SCHEMA,
            IModelRegistry.ModelKind.TENSOR
        );
        vm.expectEmit(address(registry));
        emit IModelRegistry.ModelRoyaltyUpdated(1, royaltyTo, 1_000);
        vm.recordLogs();
        uint256 id = _register();
        assertEq(vm.getRecordedLogs().length, 2, "no LM event for a tensor model");
        assertEq(id, 1, "ids start at 1");
        assertEq(registry.modelCount(), 1, "count");

        IModelRegistry.Model memory m = registry.getModel(id);
        assertEq(m.owner, alice, "owner");
        assertEq(m.fee, 10e18, "fee");
        assertEq(m.royaltyRecipient, royaltyTo, "royalty recipient");
        assertEq(m.royaltyBps, 1_000, "royalty bps");
        assertEq(m.mode, 1, "mode");
        assertEq(m.outputDecimals, 6, "decimals");
        assertTrue(m.active, "active");
        assertTrue(!m.suspended, "not suspended");
        assertTrue(m.kind == IModelRegistry.ModelKind.TENSOR, "kind");
        assertEq(m.epoch, 0, "epoch");
        assertEq(m.tolerance, 5, "tolerance");
        assertEq(m.contextLength, 0, "context");
        assertEq(m.eosTokenId, 0, "eos");
        assertEq(m.contentHash, CONTENT, "content");
        assertEq(m.schemaDigest, SCHEMA, "schema");
        assertEq(m.tokenizerHash, bytes32(0), "tokenizer hash");
        assertEq(keccak256(bytes(m.uri)), keccak256("ipfs://bafy-model"), "uri");
        assertEq(bytes(m.tokenizerUri).length, 0, "tokenizer uri");
    }

    function test_registerModel_storesLanguageModel() public {
        vm.expectEmit(address(registry));
        emit IModelRegistry.ModelRegistered(
            1,
            alice,
            CONTENT,
            "ipfs://bafy-model",
            10e18,
            1,
            4,
            5,
            SCHEMA,
            IModelRegistry.ModelKind.CAUSAL_LM
        );
        vm.expectEmit(address(registry));
        emit IModelRegistry.LanguageModelRegistered(1, TOKENIZER, "ipfs://bafy-tokenizer", 512, 2);
        vm.expectEmit(address(registry));
        emit IModelRegistry.ModelRoyaltyUpdated(1, royaltyTo, 1_000);
        uint256 id = _registerLm();
        IModelRegistry.Model memory m = registry.getModel(id);
        assertTrue(m.kind == IModelRegistry.ModelKind.CAUSAL_LM, "kind");
        assertEq(m.tokenizerHash, TOKENIZER, "tokenizer hash");
        assertEq(keccak256(bytes(m.tokenizerUri)), keccak256("ipfs://bafy-tokenizer"), "tokenizer uri");
        assertEq(m.contextLength, 512, "context");
        assertEq(m.eosTokenId, 2, "eos");
        assertEq(m.outputDecimals, 4, "logit decimals");
    }

    function test_registerModel_idsIncrement() public {
        _register();
        vm.prank(bob);
        uint256 id = registry.registerModel(_lmParams());
        assertEq(id, 2, "second id");
        assertEq(registry.getModel(2).owner, bob, "owner of 2");
        assertEq(registry.modelCount(), 2, "count");
    }

    function test_registerModel_acceptsBounds() public {
        IModelRegistry.ModelParams memory p = _lmParams();
        p.fee = registry.MAX_FEE();
        p.outputDecimals = 18;
        p.royaltyBps = 5_000;
        p.uri = _uri(512);
        p.tokenizerUri = _uri(512);
        p.mode = 7;
        p.tolerance = type(uint64).max;
        p.contextLength = type(uint32).max;
        p.eosTokenId = type(uint32).max;
        uint256 id = registry.registerModel(p);
        IModelRegistry.Model memory m = registry.getModel(id);
        assertEq(m.fee, 1_000_000e18, "fee");
        assertEq(m.mode, 7, "highest mode id");
        assertEq(bytes(m.tokenizerUri).length, 512, "tokenizer uri length");
        assertEq(m.contextLength, type(uint32).max, "context");
        p.fee = MIN_FEE;
        p.royaltyBps = 0;
        p.mode = 0;
        p.uri = "x";
        assertEq(registry.getModel(registry.registerModel(p)).fee, MIN_FEE, "min fee accepted");
    }

    function test_revert_registerModel_emptyContentHash() public {
        IModelRegistry.ModelParams memory p = _params();
        p.contentHash = bytes32(0);
        _expectRegisterRevert(p, abi.encodeWithSelector(IModelRegistry.RegistryEmptyContentHash.selector));
    }

    function test_revert_registerModel_emptyUri() public {
        IModelRegistry.ModelParams memory p = _params();
        p.uri = "";
        _expectRegisterRevert(p, abi.encodeWithSelector(IModelRegistry.RegistryInvalidUri.selector, 0, 512));
    }

    function test_revert_registerModel_uriTooLong() public {
        IModelRegistry.ModelParams memory p = _params();
        p.uri = _uri(513);
        _expectRegisterRevert(p, abi.encodeWithSelector(IModelRegistry.RegistryInvalidUri.selector, 513, 512));
    }

    function test_revert_registerModel_feeTooHigh() public {
        IModelRegistry.ModelParams memory p = _params();
        p.fee = 1_000_000e18 + 1;
        _expectRegisterRevert(
            p,
            abi.encodeWithSelector(IModelRegistry.RegistryFeeTooHigh.selector, 1_000_000e18 + 1, 1_000_000e18)
        );
    }

    function test_revert_registerModel_feeBelowMinimum() public {
        IModelRegistry.ModelParams memory p = _params();
        p.fee = MIN_FEE - 1;
        _expectRegisterRevert(
            p,
            abi.encodeWithSelector(IModelRegistry.RegistryFeeTooLow.selector, MIN_FEE - 1, MIN_FEE)
        );
    }

    function test_revert_registerModel_zeroFee() public {
        IModelRegistry.ModelParams memory p = _params();
        p.fee = 0;
        _expectRegisterRevert(p, abi.encodeWithSelector(IModelRegistry.RegistryFeeTooLow.selector, 0, MIN_FEE));
    }

    function test_revert_registerModel_decimalsTooHigh() public {
        IModelRegistry.ModelParams memory p = _params();
        p.outputDecimals = 19;
        _expectRegisterRevert(
            p,
            abi.encodeWithSelector(IModelRegistry.RegistryDecimalsTooHigh.selector, uint8(19), uint8(18))
        );
    }

    function test_revert_registerModel_modeNotBelowMaxModes() public {
        IModelRegistry.ModelParams memory p = _params();
        p.mode = 8;
        _expectRegisterRevert(
            p,
            abi.encodeWithSelector(IModelRegistry.RegistryInvalidMode.selector, uint8(8), uint8(8))
        );
    }

    function test_revert_registerModel_royaltyTooHigh() public {
        IModelRegistry.ModelParams memory p = _params();
        p.royaltyBps = 5_001;
        _expectRegisterRevert(
            p,
            abi.encodeWithSelector(IModelRegistry.RegistryRoyaltyTooHigh.selector, uint16(5_001), uint16(5_000))
        );
    }

    function test_revert_registerModel_zeroRoyaltyRecipient() public {
        IModelRegistry.ModelParams memory p = _params();
        p.royaltyRecipient = address(0);
        _expectRegisterRevert(p, abi.encodeWithSelector(IModelRegistry.RegistryZeroAddress.selector));
    }

    function test_revert_registerModel_languageModelWithoutTokenizerHash() public {
        IModelRegistry.ModelParams memory p = _lmParams();
        p.tokenizerHash = bytes32(0);
        _expectRegisterRevert(p, abi.encodeWithSelector(IModelRegistry.RegistryInvalidLanguageModel.selector));
    }

    function test_revert_registerModel_languageModelWithoutTokenizerUri() public {
        IModelRegistry.ModelParams memory p = _lmParams();
        p.tokenizerUri = "";
        _expectRegisterRevert(p, abi.encodeWithSelector(IModelRegistry.RegistryInvalidLanguageModel.selector));
    }

    function test_revert_registerModel_languageModelTokenizerUriTooLong() public {
        IModelRegistry.ModelParams memory p = _lmParams();
        p.tokenizerUri = _uri(513);
        _expectRegisterRevert(p, abi.encodeWithSelector(IModelRegistry.RegistryInvalidUri.selector, 513, 512));
    }

    function test_revert_registerModel_languageModelWithoutContextLength() public {
        IModelRegistry.ModelParams memory p = _lmParams();
        p.contextLength = 0;
        _expectRegisterRevert(p, abi.encodeWithSelector(IModelRegistry.RegistryInvalidLanguageModel.selector));
    }

    function test_revert_registerModel_tensorWithTokenizerHash() public {
        IModelRegistry.ModelParams memory p = _params();
        p.tokenizerHash = TOKENIZER;
        _expectRegisterRevert(p, abi.encodeWithSelector(IModelRegistry.RegistryInvalidLanguageModel.selector));
    }

    function test_revert_registerModel_tensorWithTokenizerUri() public {
        IModelRegistry.ModelParams memory p = _params();
        p.tokenizerUri = "ipfs://tok";
        _expectRegisterRevert(p, abi.encodeWithSelector(IModelRegistry.RegistryInvalidLanguageModel.selector));
    }

    function test_revert_registerModel_tensorWithContextLength() public {
        IModelRegistry.ModelParams memory p = _params();
        p.contextLength = 1;
        _expectRegisterRevert(p, abi.encodeWithSelector(IModelRegistry.RegistryInvalidLanguageModel.selector));
    }

    function test_revert_registerModel_tensorWithEosToken() public {
        IModelRegistry.ModelParams memory p = _params();
        p.eosTokenId = 1;
        _expectRegisterRevert(p, abi.encodeWithSelector(IModelRegistry.RegistryInvalidLanguageModel.selector));
    }

    function test_revert_registerModel_unknownKind() public {
        bytes memory callData = abi.encodeCall(ModelRegistry.registerModel, (_params()));
        // `kind` is the 10th head word of the tuple: selector + offset word + 9 words.
        uint256 kindOffset = 4 + 32 + 9 * 32;
        callData[kindOffset + 31] = bytes1(uint8(2));
        (bool ok, ) = address(registry).call(callData);
        assertTrue(!ok, "invalid enum must revert");
        assertEq(registry.modelCount(), 0, "nothing registered");
    }

    function testFuzz_registerModel_bounds(
        uint96 fee,
        uint8 decimals,
        uint8 mode,
        uint16 royaltyBps,
        uint16 uriLength
    ) public {
        IModelRegistry.ModelParams memory p = _params();
        p.fee = fee;
        p.outputDecimals = decimals;
        p.mode = mode;
        p.royaltyBps = royaltyBps;
        uriLength = uint16(bound(uriLength, 0, 600));
        p.uri = _uri(uriLength);
        bytes memory expected;
        if (uriLength == 0 || uriLength > 512) {
            expected = abi.encodeWithSelector(IModelRegistry.RegistryInvalidUri.selector, uriLength, 512);
        } else if (fee > 1_000_000e18) {
            expected = abi.encodeWithSelector(IModelRegistry.RegistryFeeTooHigh.selector, fee, 1_000_000e18);
        } else if (fee < MIN_FEE) {
            expected = abi.encodeWithSelector(IModelRegistry.RegistryFeeTooLow.selector, fee, MIN_FEE);
        } else if (decimals > 18) {
            expected = abi.encodeWithSelector(IModelRegistry.RegistryDecimalsTooHigh.selector, decimals, uint8(18));
        } else if (mode >= 8) {
            expected = abi.encodeWithSelector(IModelRegistry.RegistryInvalidMode.selector, mode, uint8(8));
        } else if (royaltyBps > 5_000) {
            expected = abi.encodeWithSelector(IModelRegistry.RegistryRoyaltyTooHigh.selector, royaltyBps, 5_000);
        }
        if (expected.length != 0) {
            _expectRegisterRevert(p, expected);
        } else {
            uint256 id = registry.registerModel(p);
            IModelRegistry.Model memory m = registry.getModel(id);
            assertEq(m.fee, fee, "fee stored");
            assertEq(m.mode, mode, "mode stored");
        }
    }

    // ------------------------------------------------------------------------------------------ setFee

    function test_setFee_updates() public {
        uint256 id = _register();
        vm.expectEmit(address(registry));
        emit IModelRegistry.ModelFeeUpdated(id, 10e18, 1_000_000e18);
        vm.prank(alice);
        registry.setFee(id, 1_000_000e18);
        assertEq(registry.getModel(id).fee, 1_000_000e18, "fee");
    }

    function test_setFee_toMinimum() public {
        uint256 id = _register();
        vm.prank(alice);
        registry.setFee(id, MIN_FEE);
        assertEq(registry.getModel(id).fee, MIN_FEE, "fee");
    }

    function test_revert_setFee_tooHigh() public {
        uint256 id = _register();
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistry.RegistryFeeTooHigh.selector, 1_000_000e18 + 1, 1_000_000e18)
        );
        vm.prank(alice);
        registry.setFee(id, 1_000_000e18 + 1);
    }

    function test_revert_setFee_belowMinimum() public {
        uint256 id = _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryFeeTooLow.selector, MIN_FEE - 1, MIN_FEE));
        vm.prank(alice);
        registry.setFee(id, MIN_FEE - 1);
    }

    function test_revert_setFee_notOwner() public {
        uint256 id = _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryNotModelOwner.selector, id, bob));
        vm.prank(bob);
        registry.setFee(id, 1e18);
    }

    function test_revert_setFee_unknownModel() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryUnknownModel.selector, 1));
        vm.prank(alice);
        registry.setFee(1, 1e18);
    }

    // ------------------------------------------------------------------------------------------ setRoyalty

    function test_setRoyalty_updates() public {
        uint256 id = _register();
        vm.expectEmit(address(registry));
        emit IModelRegistry.ModelRoyaltyUpdated(id, bob, 5_000);
        vm.prank(alice);
        registry.setRoyalty(id, bob, 5_000);
        IModelRegistry.Model memory m = registry.getModel(id);
        assertEq(m.royaltyRecipient, bob, "recipient");
        assertEq(m.royaltyBps, 5_000, "bps");
        assertEq(registry.royaltyRecipientOf(id), bob, "royaltyRecipientOf");
    }

    function test_revert_setRoyalty_tooHigh() public {
        uint256 id = _register();
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistry.RegistryRoyaltyTooHigh.selector, uint16(5_001), uint16(5_000))
        );
        vm.prank(alice);
        registry.setRoyalty(id, bob, 5_001);
    }

    function test_revert_setRoyalty_zeroRecipient() public {
        uint256 id = _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryZeroAddress.selector));
        vm.prank(alice);
        registry.setRoyalty(id, address(0), 1);
    }

    function test_revert_setRoyalty_notOwner() public {
        uint256 id = _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryNotModelOwner.selector, id, bob));
        vm.prank(bob);
        registry.setRoyalty(id, bob, 1);
    }

    function test_revert_setRoyalty_unknownModel() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryUnknownModel.selector, 7));
        registry.setRoyalty(7, bob, 1);
    }

    // ------------------------------------------------------------------------------------------ setUri

    function test_setUri_updatesAndStartsEpoch() public {
        uint256 id = _register();
        string memory uri = _uri(512);
        vm.expectEmit(address(registry));
        emit IModelRegistry.ModelUriUpdated(id, uri, "", 1);
        vm.recordLogs();
        vm.prank(alice);
        registry.setUri(id, uri, "");
        assertEq(vm.getRecordedLogs().length, 1, "no ModelResumed when not suspended");
        IModelRegistry.Model memory m = registry.getModel(id);
        assertEq(keccak256(bytes(m.uri)), keccak256(bytes(uri)), "uri");
        assertEq(m.epoch, 1, "epoch bumped");
    }

    function test_setUri_liftsSuspension() public {
        uint256 id = _register();
        _suspend(id);
        vm.expectEmit(address(registry));
        emit IModelRegistry.ModelUriUpdated(id, "https://mirror", "", 1);
        vm.expectEmit(address(registry));
        emit IModelRegistry.ModelResumed(id, 1);
        vm.prank(alice);
        registry.setUri(id, "https://mirror", "");
        IModelRegistry.Model memory m = registry.getModel(id);
        assertTrue(!m.suspended, "suspension lifted");
        assertEq(m.epoch, 1, "new epoch");
        (, , , bool available, uint32 epoch, ) = registry.requestTerms(id);
        assertTrue(available, "available again");
        assertEq(epoch, 1, "terms epoch");
    }

    function test_setUri_languageModelMovesTokenizer() public {
        uint256 id = _registerLm();
        vm.expectEmit(address(registry));
        emit IModelRegistry.ModelUriUpdated(id, "https://m", "https://t", 1);
        vm.prank(alice);
        registry.setUri(id, "https://m", "https://t");
        IModelRegistry.Model memory m = registry.getModel(id);
        assertEq(keccak256(bytes(m.tokenizerUri)), keccak256("https://t"), "tokenizer uri");
        assertEq(m.tokenizerHash, TOKENIZER, "tokenizer hash immutable");
    }

    function test_setUri_epochsAccumulate() public {
        uint256 id = _register();
        for (uint256 i; i < 3; ++i) {
            vm.prank(alice);
            registry.setUri(id, "https://x", "");
        }
        assertEq(registry.getModel(id).epoch, 3, "three epochs");
    }

    function test_revert_setUri_tooLong() public {
        uint256 id = _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryInvalidUri.selector, 513, 512));
        vm.prank(alice);
        registry.setUri(id, _uri(513), "");
    }

    function test_revert_setUri_empty() public {
        uint256 id = _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryInvalidUri.selector, 0, 512));
        vm.prank(alice);
        registry.setUri(id, "", "");
    }

    function test_revert_setUri_tensorWithTokenizerUri() public {
        uint256 id = _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryInvalidLanguageModel.selector));
        vm.prank(alice);
        registry.setUri(id, "https://m", "https://t");
    }

    function test_revert_setUri_languageModelWithoutTokenizerUri() public {
        uint256 id = _registerLm();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryInvalidLanguageModel.selector));
        vm.prank(alice);
        registry.setUri(id, "https://m", "");
    }

    function test_revert_setUri_languageModelTokenizerUriTooLong() public {
        uint256 id = _registerLm();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryInvalidUri.selector, 513, 512));
        vm.prank(alice);
        registry.setUri(id, "https://m", _uri(513));
    }

    function test_revert_setUri_notOwner() public {
        uint256 id = _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryNotModelOwner.selector, id, bob));
        vm.prank(bob);
        registry.setUri(id, "https://x", "");
    }

    function test_revert_setUri_unknownModel() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryUnknownModel.selector, 0));
        registry.setUri(0, "https://x", "");
    }

    // ------------------------------------------------------------------------------------------ setActive

    function test_setActive_togglesFlag() public {
        uint256 id = _register();
        vm.expectEmit(address(registry));
        emit IModelRegistry.ModelActiveSet(id, false);
        vm.prank(alice);
        registry.setActive(id, false);
        assertTrue(!registry.getModel(id).active, "inactive");
        (, , , bool available, , ) = registry.requestTerms(id);
        assertTrue(!available, "inactive: unavailable");
        vm.prank(alice);
        registry.setActive(id, true);
        assertTrue(registry.getModel(id).active, "active again");
    }

    function test_setActive_doesNotLiftSuspension() public {
        uint256 id = _register();
        _suspend(id);
        vm.prank(alice);
        registry.setActive(id, true);
        (, , , bool available, uint32 epoch, ) = registry.requestTerms(id);
        assertTrue(!available, "still suspended");
        assertEq(epoch, 0, "same epoch");
    }

    function test_revert_setActive_notOwner() public {
        uint256 id = _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryNotModelOwner.selector, id, bob));
        vm.prank(bob);
        registry.setActive(id, false);
    }

    function test_revert_setActive_unknownModel() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryUnknownModel.selector, 2));
        registry.setActive(2, false);
    }

    // ------------------------------------------------------------------------------------------ suspend / resume

    function test_suspend_bySuspender() public {
        uint256 id = _register();
        vm.expectEmit(address(registry));
        emit IModelRegistry.ModelSuspended(id, 0);
        _suspend(id);
        IModelRegistry.Model memory m = registry.getModel(id);
        assertTrue(m.suspended, "suspended");
        assertTrue(m.active, "active flag untouched");
        (, , , bool available, , ) = registry.requestTerms(id);
        assertTrue(!available, "unavailable");
    }

    function test_suspend_isIdempotent() public {
        uint256 id = _register();
        _suspend(id);
        vm.recordLogs();
        _suspend(id);
        assertEq(vm.getRecordedLogs().length, 0, "no second event");
        assertTrue(registry.getModel(id).suspended, "still suspended");
    }

    function test_suspend_inactiveModel() public {
        uint256 id = _register();
        vm.prank(alice);
        registry.setActive(id, false);
        _suspend(id);
        assertTrue(registry.getModel(id).suspended, "suspended while inactive");
    }

    function test_revert_suspend_notSuspender() public {
        uint256 id = _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryNotSuspender.selector, alice));
        vm.prank(alice);
        registry.suspend(id);
    }

    function test_revert_suspend_governanceIsNotSuspender() public {
        uint256 id = _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryNotSuspender.selector, gov));
        vm.prank(gov);
        registry.suspend(id);
    }

    function test_revert_suspend_unknownModel() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryUnknownModel.selector, 9));
        vm.prank(hub);
        registry.suspend(9);
    }

    function test_resume_liftsSuspensionAndStartsEpoch() public {
        uint256 id = _register();
        _suspend(id);
        vm.expectEmit(address(registry));
        emit IModelRegistry.ModelResumed(id, 1);
        vm.prank(alice);
        registry.resume(id);
        IModelRegistry.Model memory m = registry.getModel(id);
        assertTrue(!m.suspended, "lifted");
        assertEq(m.epoch, 1, "epoch");
        assertEq(keccak256(bytes(m.uri)), keccak256("ipfs://bafy-model"), "uri unchanged");
    }

    function test_resume_thenSuspendAgainInNewEpoch() public {
        uint256 id = _register();
        _suspend(id);
        vm.prank(alice);
        registry.resume(id);
        vm.expectEmit(address(registry));
        emit IModelRegistry.ModelSuspended(id, 1);
        _suspend(id);
        vm.prank(alice);
        registry.resume(id);
        assertEq(registry.getModel(id).epoch, 2, "second epoch");
    }

    function test_revert_resume_notSuspended() public {
        uint256 id = _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryNotSuspended.selector, id));
        vm.prank(alice);
        registry.resume(id);
    }

    function test_revert_resume_notOwner() public {
        uint256 id = _register();
        _suspend(id);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryNotModelOwner.selector, id, bob));
        vm.prank(bob);
        registry.resume(id);
    }

    function test_revert_resume_unknownModel() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryUnknownModel.selector, 4));
        registry.resume(4);
    }

    // ------------------------------------------------------------------------------------------ ownership

    function test_transferModelOwnership_handsOver() public {
        uint256 id = _register();
        vm.expectEmit(address(registry));
        emit IModelRegistry.ModelOwnershipTransferred(id, alice, bob);
        vm.prank(alice);
        registry.transferModelOwnership(id, bob);
        assertEq(registry.getModel(id).owner, bob, "new owner");

        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryNotModelOwner.selector, id, alice));
        vm.prank(alice);
        registry.setFee(id, 1e18);

        vm.prank(bob);
        registry.setFee(id, 1e18);
        assertEq(registry.getModel(id).fee, 1e18, "new owner manages");
    }

    function test_revert_transferModelOwnership_zeroAddress() public {
        uint256 id = _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryZeroAddress.selector));
        vm.prank(alice);
        registry.transferModelOwnership(id, address(0));
    }

    function test_revert_transferModelOwnership_notOwner() public {
        uint256 id = _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryNotModelOwner.selector, id, bob));
        vm.prank(bob);
        registry.transferModelOwnership(id, bob);
    }

    function test_revert_transferModelOwnership_unknownModel() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryUnknownModel.selector, 3));
        registry.transferModelOwnership(3, bob);
    }

    // ------------------------------------------------------------------------------------------ governance

    function test_setMinFee_updatesWithinBounds() public {
        vm.expectEmit(address(registry));
        emit IModelRegistry.MinFeeSet(1e18);
        vm.prank(gov);
        registry.setMinFee(1e18);
        assertEq(registry.minFee(), 1e18, "min fee");
        IModelRegistry.ModelParams memory p = _params();
        p.fee = 1e18 - 1;
        _expectRegisterRevert(p, abi.encodeWithSelector(IModelRegistry.RegistryFeeTooLow.selector, 1e18 - 1, 1e18));
    }

    function test_setMinFee_leavesRegisteredModels() public {
        uint256 id = _register(); // fee 10 OPG
        vm.prank(gov);
        registry.setMinFee(100e18);
        (uint96 fee, , , bool available, , ) = registry.requestTerms(id);
        assertEq(fee, 10e18, "fee unchanged");
        assertTrue(available, "still available (the hub compares with minFee)");
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryFeeTooLow.selector, 10e18, 100e18));
        vm.prank(alice);
        registry.setFee(id, 10e18);
    }

    function test_setMinFee_acceptsBounds() public {
        vm.startPrank(gov);
        registry.setMinFee(1e12);
        assertEq(registry.minFee(), 1e12, "lowest");
        registry.setMinFee(1_000e18);
        assertEq(registry.minFee(), 1_000e18, "highest");
        vm.stopPrank();
    }

    function test_revert_setMinFee_belowBound() public {
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistry.RegistryParamOutOfBounds.selector, "minFee", 0, 1e12, 1_000e18)
        );
        vm.prank(gov);
        registry.setMinFee(0);
    }

    function test_revert_setMinFee_aboveBound() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IModelRegistry.RegistryParamOutOfBounds.selector,
                "minFee",
                1_000e18 + 1,
                1e12,
                1_000e18
            )
        );
        vm.prank(gov);
        registry.setMinFee(1_000e18 + 1);
    }

    function test_revert_setMinFee_notOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        vm.prank(alice);
        registry.setMinFee(1e18);
    }

    function testFuzz_setMinFee_bounds(uint96 value) public {
        if (value < 1e12 || value > 1_000e18) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IModelRegistry.RegistryParamOutOfBounds.selector,
                    "minFee",
                    value,
                    1e12,
                    1_000e18
                )
            );
            vm.prank(gov);
            registry.setMinFee(value);
        } else {
            vm.prank(gov);
            registry.setMinFee(value);
            assertEq(registry.minFee(), value, "stored");
        }
    }

    function test_setSuspender_replacesAndDisables() public {
        uint256 id = _register();
        vm.expectEmit(address(registry));
        emit IModelRegistry.SuspenderSet(bob);
        vm.prank(gov);
        registry.setSuspender(bob);
        assertEq(registry.suspender(), bob, "suspender");
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryNotSuspender.selector, hub));
        vm.prank(hub);
        registry.suspend(id);
        vm.prank(bob);
        registry.suspend(id);
        assertTrue(registry.getModel(id).suspended, "new suspender suspends");

        vm.prank(gov);
        registry.setSuspender(address(0));
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryNotSuspender.selector, bob));
        vm.prank(bob);
        registry.suspend(id);
    }

    function test_revert_setSuspender_notOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, hub));
        vm.prank(hub);
        registry.setSuspender(hub);
    }

    // ------------------------------------------------------------------------------------------ views

    function test_requestTerms_returnsHubFields() public {
        uint256 id = _registerLm();
        (uint96 fee, uint8 mode, uint16 royaltyBps, bool available, uint32 epoch, address recipient) = registry
            .requestTerms(id);
        assertEq(recipient, royaltyTo, "royalty recipient");
        assertEq(fee, 10e18, "fee");
        assertEq(mode, 1, "mode");
        assertEq(royaltyBps, 1_000, "royalty");
        assertTrue(available, "available");
        assertEq(epoch, 0, "epoch");
    }

    function test_requestTerms_readsTwoSlots() public {
        uint256 id = _register();
        vm.record();
        registry.requestTerms(id);
        (bytes32[] memory reads, ) = vm.accesses(address(registry));
        uint256 distinct;
        for (uint256 i; i < reads.length; ++i) {
            bool seen;
            for (uint256 j; j < i; ++j) if (reads[j] == reads[i]) seen = true;
            if (!seen) ++distinct;
        }
        assertEq(distinct, 2, "two storage slots");
    }

    function test_revert_requestTerms_unknownModel() public {
        _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryUnknownModel.selector, 2));
        registry.requestTerms(2);
    }

    function test_revert_requestTerms_idZero() public {
        _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryUnknownModel.selector, 0));
        registry.requestTerms(0);
    }

    function test_revert_getModel_unknownModel() public {
        _register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryUnknownModel.selector, 0));
        registry.getModel(0);
    }

    function test_revert_royaltyRecipientOf_unknownModel() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.RegistryUnknownModel.selector, 1));
        registry.royaltyRecipientOf(1);
    }

    function test_royaltyRecipientOf_returnsRecipient() public {
        uint256 id = _register();
        assertEq(registry.royaltyRecipientOf(id), royaltyTo, "recipient");
    }

    /// @notice Every owner action that starts an epoch bumps it by exactly one; suspension follows the last action.
    function testFuzz_epochCountsOwnerActions(uint8 actions, uint256 pattern) public {
        uint256 id = _register();
        actions = uint8(bound(actions, 0, 20));
        uint32 expected;
        for (uint256 i; i < actions; ++i) {
            uint256 op = (pattern >> (i * 2)) % 3;
            if (op == 0) {
                _suspend(id);
            } else if (op == 1) {
                vm.prank(alice);
                registry.setUri(id, "https://x", "");
                ++expected;
            } else if (registry.getModel(id).suspended) {
                vm.prank(alice);
                registry.resume(id);
                ++expected;
            }
        }
        (, , , , uint32 epoch, ) = registry.requestTerms(id);
        assertEq(epoch, expected, "epoch == number of setUri + resume");
    }

    // ------------------------------------------------------------------------------------------ terms listener

    /// The suspender, when it is a contract, hears of every change of a model's request terms and of nothing else.
    function test_listener_hearsOfEveryChangeOfRequestTerms() public {
        RecordingListener listener = new RecordingListener();
        vm.prank(gov);
        registry.setSuspender(address(listener));
        uint256 id = _register();
        assertEq(listener.changed().length, 0, "a registration is no change");
        vm.startPrank(alice);
        registry.setFee(id, 11e18);
        registry.setRoyalty(id, bob, 500);
        registry.setUri(id, "ipfs://bafy-moved", "");
        registry.setActive(id, false);
        registry.setActive(id, true);
        registry.transferModelOwnership(id, bob); // not a request term
        vm.stopPrank();
        vm.prank(address(listener));
        registry.suspend(id);
        vm.prank(address(listener));
        registry.suspend(id); // already suspended: nothing changes
        vm.prank(bob);
        registry.resume(id);
        uint256[] memory changed = listener.changed();
        assertEq(changed.length, 7, "fee, royalty, uri, active twice, suspend, resume");
        for (uint256 i; i < changed.length; ++i) assertEq(changed[i], id, "model id");
    }

    /// A suspender change is told to the previous suspender and to the new one, each once.
    function test_listener_setSuspenderTellsThePreviousAndTheNew() public {
        RecordingListener first = new RecordingListener();
        RecordingListener second = new RecordingListener();
        vm.startPrank(gov);
        registry.setSuspender(address(first));
        registry.setSuspender(address(first));
        registry.setSuspender(address(second));
        registry.setSuspender(address(0));
        vm.stopPrank();
        address[] memory toFirst = first.suspenders();
        assertEq(toFirst.length, 3, "first: set, set again, replaced");
        assertEq(toFirst[0], address(first), "set");
        assertEq(toFirst[1], address(first), "set again");
        assertEq(toFirst[2], address(second), "replaced");
        address[] memory toSecond = second.suspenders();
        assertEq(toSecond.length, 2, "second: set, removed");
        assertEq(toSecond[0], address(second), "set");
        assertEq(toSecond[1], address(0), "removed");
    }

    /// A listener that fails reverts the change: the registry never holds terms its listener did not hear of.
    function test_revert_listener_failureRevertsTheChange() public {
        RecordingListener listener = new RecordingListener();
        vm.prank(gov);
        registry.setSuspender(address(listener));
        uint256 id = _register();
        listener.setFailing(true);
        vm.prank(alice);
        vm.expectRevert(bytes("listener failed"));
        registry.setFee(id, 11e18);
        assertEq(registry.getModel(id).fee, 10e18, "unchanged");
        vm.prank(gov);
        vm.expectRevert(bytes("listener failed"));
        registry.setSuspender(address(0));
        assertEq(registry.suspender(), address(listener), "suspender unchanged");
    }
}
