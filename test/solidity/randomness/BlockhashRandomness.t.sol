// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BaseTest} from "../utils/BaseTest.sol";
import {BlockhashRandomness} from "../../../contracts/randomness/BlockhashRandomness.sol";
import {IRandomnessSource} from "../../../contracts/interfaces/IRandomnessSource.sol";

contract BlockhashRandomnessTest is BaseTest {
    BlockhashRandomness internal randomness;

    uint256 internal constant HEIGHT = 1_000;
    bytes32 internal constant HASH = keccak256("block 1001");
    bytes32 internal constant CONTEXT = keccak256("opg:assign");
    uint256 internal constant RANDAO = 0x5eed;

    function setUp() public {
        randomness = new BlockhashRandomness(1);
        vm.roll(HEIGHT);
    }

    function _status(uint256 ticket) internal view returns (IRandomnessSource.Status status, uint256 word) {
        return randomness.read(ticket);
    }

    function _assertStatus(uint256 ticket, IRandomnessSource.Status expected, string memory message) internal view {
        (IRandomnessSource.Status status, uint256 word) = _status(ticket);
        assertEq(uint256(status), uint256(expected), message);
        if (expected != IRandomnessSource.Status.Ready) assertEq(word, 0, "no word unless Ready");
    }

    /// @dev The documented formula from explicit values.
    function _word(bytes32 hash, uint256 ticket) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(hash, ticket)));
    }

    // ------------------------------------------------------------------------------------------ request

    function test_request_isNextBlock() public view {
        assertEq(randomness.request(), HEIGHT + 1, "ticket = block.number + 1");
        assertEq(randomness.BLOCKHASH_WINDOW(), 256, "window");
    }

    function test_request_delayedTicket_pendingUntilItsBlockIsPast() public {
        BlockhashRandomness delayed = new BlockhashRandomness(96);
        uint256 ticket = delayed.request();
        assertEq(ticket, block.number + 96, "ticket = now + delay");
        vm.roll(block.number + 96);
        (IRandomnessSource.Status status, ) = delayed.read(ticket);
        assertTrue(status == IRandomnessSource.Status.Pending, "pending while the ticket block is current");
        vm.roll(block.number + 1);
        (status, ) = delayed.read(ticket);
        assertTrue(status == IRandomnessSource.Status.Ready, "ready after it");
    }

    function test_revert_constructor_delayOutOfBounds() public {
        vm.expectRevert(abi.encodeWithSelector(BlockhashRandomness.RandomnessInvalidDelay.selector, 0, 128));
        new BlockhashRandomness(0);
        vm.expectRevert(abi.encodeWithSelector(BlockhashRandomness.RandomnessInvalidDelay.selector, 129, 128));
        new BlockhashRandomness(129);
    }

    function test_request_sameBlockSameTicket() public view {
        assertEq(randomness.request(), randomness.request(), "one ticket per block");
    }

    function test_request_viaInterface() public {
        uint256 ticket = IRandomnessSource(address(randomness)).request();
        assertEq(ticket, HEIGHT + 1, "interface call (non-view in the interface)");
    }

    function test_deployedSize_withinLimit() public view {
        assertLe(address(randomness).code.length, 20_480, "BlockhashRandomness <= 20 KB");
    }

    // ------------------------------------------------------------------------------------------ read

    function test_read_pendingInRequestBlock() public view {
        _assertStatus(randomness.request(), IRandomnessSource.Status.Pending, "same block");
    }

    function test_read_pendingWhileTicketBlockIsCurrent() public {
        uint256 ticket = randomness.request();
        vm.roll(ticket);
        _assertStatus(ticket, IRandomnessSource.Status.Pending, "ticket block not finished");
    }

    function test_read_readyInNextBlock() public {
        uint256 ticket = randomness.request();
        vm.roll(ticket + 1);
        vm.setBlockhash(ticket, HASH);
        (IRandomnessSource.Status status, uint256 word) = _status(ticket);
        assertEq(uint256(status), uint256(IRandomnessSource.Status.Ready), "ready");
        assertEq(word, _word(HASH, ticket), "word = keccak256(abi.encode(blockhash(ticket), ticket))");
        assertEq(word, _word(blockhash(ticket), ticket), "formula over the served hash");
    }

    function test_read_readyWithTheChainsOwnHash() public {
        uint256 ticket = randomness.request();
        vm.roll(ticket + 5);
        (IRandomnessSource.Status status, uint256 word) = _status(ticket);
        assertEq(uint256(status), uint256(IRandomnessSource.Status.Ready), "ready");
        assertTrue(blockhash(ticket) != bytes32(0), "hash served");
        assertEq(word, _word(blockhash(ticket), ticket), "formula");
    }

    function test_read_readyAtLastBlockOfWindow() public {
        uint256 ticket = randomness.request();
        vm.roll(ticket + 256);
        vm.setBlockhash(ticket, HASH);
        (IRandomnessSource.Status status, uint256 word) = _status(ticket);
        assertEq(uint256(status), uint256(IRandomnessSource.Status.Ready), "still ready 256 blocks later");
        assertEq(word, _word(HASH, ticket), "word");
    }

    function test_read_expiredAfterWindow() public {
        uint256 ticket = randomness.request();
        vm.roll(ticket + 257);
        vm.setBlockhash(ticket, HASH);
        _assertStatus(ticket, IRandomnessSource.Status.Expired, "257 blocks later");
    }

    function test_read_wordIsStableWhileReady() public {
        uint256 ticket = randomness.request();
        vm.roll(ticket + 1);
        vm.setBlockhash(ticket, HASH);
        (, uint256 first) = _status(ticket);
        vm.roll(ticket + 200);
        vm.setBlockhash(ticket, HASH);
        (, uint256 later) = _status(ticket);
        assertEq(first, later, "same word across the window");
    }

    function test_read_zeroHashReadsExpired() public {
        uint256 ticket = randomness.request();
        vm.roll(ticket + 1);
        vm.setBlockhash(ticket, bytes32(0));
        _assertStatus(ticket, IRandomnessSource.Status.Expired, "an unserved hash is never a word");
    }

    function test_read_differentTicketsDifferentWords() public {
        uint256 a = randomness.request();
        vm.roll(a);
        uint256 b = randomness.request();
        vm.roll(b + 1);
        vm.setBlockhash(a, HASH);
        vm.setBlockhash(b, HASH);
        (, uint256 wa) = _status(a);
        (, uint256 wb) = _status(b);
        assertTrue(wa != wb, "the ticket is mixed in even for equal hashes");
    }

    function test_read_futureTicketPending() public view {
        _assertStatus(type(uint256).max, IRandomnessSource.Status.Pending, "far future");
    }

    function test_read_ticketZeroExpired() public view {
        _assertStatus(0, IRandomnessSource.Status.Expired, "genesis is out of the window at height 1000");
    }

    /// @notice Pending for `ticket - now + 1` blocks, Ready for 256, Expired after.
    function testFuzz_read_statusByAge(uint256 requestHeight, uint256 later) public {
        requestHeight = bound(requestHeight, 1, type(uint32).max);
        later = bound(later, 0, 600);
        vm.roll(requestHeight);
        uint256 ticket = randomness.request();
        vm.roll(requestHeight + later);
        if (ticket <= block.number) vm.setBlockhash(ticket, HASH); // a hash can only be set for a past block
        (IRandomnessSource.Status status, uint256 word) = _status(ticket);
        if (requestHeight + later <= ticket) {
            assertEq(uint256(status), uint256(IRandomnessSource.Status.Pending), "pending");
            assertEq(word, 0, "no word");
        } else if (requestHeight + later - ticket <= 256) {
            assertEq(uint256(status), uint256(IRandomnessSource.Status.Ready), "ready");
            assertEq(word, _word(HASH, ticket), "word");
        } else {
            assertEq(uint256(status), uint256(IRandomnessSource.Status.Expired), "expired");
            assertEq(word, 0, "no word");
        }
    }

    function testFuzz_read_wordMatchesFormula(bytes32 hash, uint256 age) public {
        vm.assume(hash != bytes32(0));
        age = bound(age, 1, 256);
        uint256 ticket = randomness.request();
        vm.roll(ticket + age);
        vm.setBlockhash(ticket, hash);
        (IRandomnessSource.Status status, uint256 word) = _status(ticket);
        assertEq(uint256(status), uint256(IRandomnessSource.Status.Ready), "ready");
        assertEq(word, _word(hash, ticket), "formula");
    }

    // ------------------------------------------------------------------------------------------ instantSeed

    function test_instantSeed_matchesFormula() public {
        vm.prevrandao(bytes32(RANDAO));
        assertEq(
            randomness.instantSeed(CONTEXT),
            uint256(keccak256(abi.encode(RANDAO, HEIGHT, CONTEXT))),
            "keccak256(abi.encode(prevrandao, number, context))"
        );
    }

    function test_instantSeed_changesWithContextBlockAndRandao() public {
        vm.prevrandao(bytes32(RANDAO));
        uint256 base = randomness.instantSeed(CONTEXT);
        assertTrue(base != randomness.instantSeed(bytes32(uint256(CONTEXT) ^ 1)), "context");
        vm.roll(HEIGHT + 1);
        assertTrue(base != randomness.instantSeed(CONTEXT), "block number");
        vm.roll(HEIGHT);
        vm.prevrandao(bytes32(RANDAO + 1));
        assertTrue(base != randomness.instantSeed(CONTEXT), "prevrandao");
    }

    function testFuzz_instantSeed_matchesFormula(bytes32 context, uint256 prevrandao, uint256 height) public {
        height = bound(height, 1, type(uint64).max);
        vm.prevrandao(bytes32(prevrandao));
        vm.roll(height);
        assertEq(
            randomness.instantSeed(context),
            uint256(keccak256(abi.encode(prevrandao, height, context))),
            "formula over all inputs"
        );
    }
}
