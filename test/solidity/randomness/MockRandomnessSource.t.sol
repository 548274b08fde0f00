// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BaseTest} from "../utils/BaseTest.sol";
import {MockRandomnessSource} from "../../../contracts/mocks/MockRandomnessSource.sol";
import {IRandomnessSource} from "../../../contracts/interfaces/IRandomnessSource.sol";

/// @notice The test double behaves as documented, so other suites can rely on it.
contract MockRandomnessSourceTest is BaseTest {
    MockRandomnessSource internal randomness;

    function setUp() public {
        randomness = new MockRandomnessSource();
    }

    function _read(uint256 ticket) internal view returns (uint256 status, uint256 word) {
        (IRandomnessSource.Status s, uint256 w) = randomness.read(ticket);
        return (uint256(s), w);
    }

    function test_request_consecutiveTicketsFromOne() public {
        vm.expectEmit(address(randomness));
        emit MockRandomnessSource.RandomnessRequested(1, address(this));
        assertEq(randomness.request(), 1, "first");
        assertEq(randomness.request(), 2, "second");
        assertEq(randomness.lastTicket(), 2, "last");
    }

    function test_read_pendingUntilSet() public {
        uint256 ticket = randomness.request();
        (uint256 status, uint256 word) = _read(ticket);
        assertEq(status, uint256(IRandomnessSource.Status.Pending), "pending");
        assertEq(word, 0, "no word");
    }

    function test_setReady_returnsWord() public {
        uint256 ticket = randomness.request();
        randomness.setReady(ticket, 42);
        (uint256 status, uint256 word) = _read(ticket);
        assertEq(status, uint256(IRandomnessSource.Status.Ready), "ready");
        assertEq(word, 42, "word");
    }

    function test_setExpired_hidesWord() public {
        uint256 ticket = randomness.request();
        randomness.setReady(ticket, 42);
        randomness.setExpired(ticket);
        (uint256 status, uint256 word) = _read(ticket);
        assertEq(status, uint256(IRandomnessSource.Status.Expired), "expired");
        assertEq(word, 0, "no word");
    }

    function test_setTicket_anyStatus() public {
        randomness.setTicket(9, IRandomnessSource.Status.Pending, 7);
        (uint256 status, uint256 word) = _read(9);
        assertEq(status, uint256(IRandomnessSource.Status.Pending), "pending");
        assertEq(word, 0, "word hidden while pending");
        randomness.setTicket(9, IRandomnessSource.Status.Ready, 7);
        (status, word) = _read(9);
        assertEq(status, uint256(IRandomnessSource.Status.Ready), "ready");
        assertEq(word, 7, "word");
    }

    function test_instantSeed_formulaFixedAndCleared() public {
        vm.prevrandao(bytes32(uint256(5)));
        bytes32 context = keccak256("ctx");
        uint256 formula = uint256(keccak256(abi.encode(uint256(5), block.number, context)));
        assertEq(randomness.instantSeed(context), formula, "formula by default");
        randomness.setInstantSeed(123);
        assertEq(randomness.instantSeed(context), 123, "fixed");
        assertEq(randomness.instantSeed(bytes32(0)), 123, "fixed for every context");
        randomness.clearInstantSeed();
        assertEq(randomness.instantSeed(context), formula, "formula again");
    }
}
