// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BaseTest} from "../utils/BaseTest.sol";
import {PrevrandaoRandomness} from "../../../contracts/v1/PrevrandaoRandomness.sol";
import {IRandomnessSourceV1} from "../../../contracts/v1/interfaces/IRandomnessSourceV1.sol";

contract PrevrandaoRandomnessTest is BaseTest {
    PrevrandaoRandomness internal randomness;

    bytes32 internal constant CONTEXT = keccak256("opg:test-context");
    uint256 internal constant RANDAO = 0x5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed;
    uint256 internal constant HEIGHT = 1_234_567;

    function setUp() public {
        randomness = new PrevrandaoRandomness();
    }

    /// @dev The documented formula, computed from explicit values (not from `block.*`), so a cheatcode that did not
    ///      take effect is caught as well.
    function _expected(uint256 prevrandao, uint256 height, bytes32 context) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(prevrandao, height, context)));
    }

    function _at(uint256 prevrandao, uint256 height) internal {
        vm.prevrandao(bytes32(prevrandao));
        vm.roll(height);
        assertEq(block.prevrandao, prevrandao, "vm.prevrandao took effect");
        assertEq(block.number, height, "vm.roll took effect");
    }

    // ------------------------------------------------------------------------------------------ formula

    function test_seed_matchesFormula() public {
        _at(RANDAO, HEIGHT);
        uint256 seed = randomness.seed(CONTEXT);
        assertEq(seed, _expected(RANDAO, HEIGHT, CONTEXT), "seed == keccak256(abi.encode(prevrandao, number, ctx))");
        assertEq(
            seed,
            uint256(keccak256(abi.encode(block.prevrandao, block.number, CONTEXT))),
            "seed == formula over block values"
        );
    }

    function test_seed_viaInterface() public {
        _at(RANDAO, HEIGHT);
        assertEq(
            IRandomnessSourceV1(address(randomness)).seed(CONTEXT),
            _expected(RANDAO, HEIGHT, CONTEXT),
            "interface call"
        );
    }

    function test_seed_zeroContext() public {
        _at(RANDAO, HEIGHT);
        assertEq(randomness.seed(bytes32(0)), _expected(RANDAO, HEIGHT, bytes32(0)), "zero context");
    }

    function test_seed_isStableWithinABlock() public {
        _at(RANDAO, HEIGHT);
        assertEq(randomness.seed(CONTEXT), randomness.seed(CONTEXT), "same block, same context, same seed");
    }

    // ------------------------------------------------------------------------------------------ sensitivity

    function test_seed_changesWithContext() public {
        _at(RANDAO, HEIGHT);
        assertTrue(randomness.seed(CONTEXT) != randomness.seed(bytes32(uint256(CONTEXT) ^ 1)), "context bit flip");
        assertTrue(randomness.seed(bytes32(0)) != randomness.seed(bytes32(uint256(1))), "context 0 vs 1");
    }

    function test_seed_changesWithPrevrandao() public {
        _at(RANDAO, HEIGHT);
        uint256 before = randomness.seed(CONTEXT);
        _at(RANDAO + 1, HEIGHT);
        uint256 afterChange = randomness.seed(CONTEXT);
        assertTrue(before != afterChange, "prevrandao + 1");
        assertEq(afterChange, _expected(RANDAO + 1, HEIGHT, CONTEXT), "formula after prevrandao change");
    }

    function test_seed_changesWithBlockNumber() public {
        _at(RANDAO, HEIGHT);
        uint256 before = randomness.seed(CONTEXT);
        _at(RANDAO, HEIGHT + 1);
        uint256 afterChange = randomness.seed(CONTEXT);
        assertTrue(before != afterChange, "block number + 1");
        assertEq(afterChange, _expected(RANDAO, HEIGHT + 1, CONTEXT), "formula after roll");
    }

    /// @dev The three inputs are ABI-encoded as separate words, so shifting value between them cannot collide
    ///      (unlike a packed encoding).
    function test_seed_inputsAreNotInterchangeable() public {
        _at(uint256(CONTEXT), HEIGHT);
        uint256 a = randomness.seed(bytes32(RANDAO));
        _at(RANDAO, HEIGHT);
        uint256 b = randomness.seed(CONTEXT);
        assertTrue(a != b, "prevrandao and context swapped");
    }

    // ------------------------------------------------------------------------------------------ fuzz

    function testFuzz_seed_matchesFormula(bytes32 context) public {
        _at(RANDAO, HEIGHT);
        assertEq(randomness.seed(context), _expected(RANDAO, HEIGHT, context), "formula over context");
    }

    function testFuzz_seed_matchesFormulaEverywhere(bytes32 context, uint256 prevrandao, uint256 height) public {
        height = bound(height, 1, type(uint64).max);
        _at(prevrandao, height);
        assertEq(randomness.seed(context), _expected(prevrandao, height, context), "formula over all inputs");
    }

    function testFuzz_seed_distinctContextsDiffer(bytes32 a, bytes32 b) public {
        vm.assume(a != b);
        _at(RANDAO, HEIGHT);
        assertTrue(randomness.seed(a) != randomness.seed(b), "distinct contexts");
    }

    function testFuzz_seed_distinctPrevrandaoDiffer(bytes32 context, uint256 r1, uint256 r2) public {
        vm.assume(r1 != r2);
        _at(r1, HEIGHT);
        uint256 s1 = randomness.seed(context);
        _at(r2, HEIGHT);
        assertTrue(s1 != randomness.seed(context), "distinct prevrandao");
    }

    function testFuzz_seed_distinctBlocksDiffer(bytes32 context, uint256 h1, uint256 h2) public {
        h1 = bound(h1, 1, type(uint64).max);
        h2 = bound(h2, 1, type(uint64).max);
        vm.assume(h1 != h2);
        _at(RANDAO, h1);
        uint256 s1 = randomness.seed(context);
        _at(RANDAO, h2);
        assertTrue(s1 != randomness.seed(context), "distinct block numbers");
    }
}
