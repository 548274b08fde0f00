// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SortitionTreeV1} from "../../../contracts/v1/libraries/SortitionTreeV1.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice Exposes the library over one storage tree.
contract SortitionTreeHarness {
    using SortitionTreeV1 for SortitionTreeV1.Tree;

    SortitionTreeV1.Tree internal _tree;

    function set(address member, uint256 weight) external returns (bool) {
        return _tree.set(member, weight);
    }

    function draw(uint256 randomness) external view returns (address) {
        return _tree.draw(randomness);
    }

    function total() external view returns (uint256) {
        return _tree.total();
    }

    function weightOf(address member) external view returns (uint256) {
        return _tree.weightOf(member);
    }

    function slotOf(address member) external view returns (uint256) {
        return _tree.slotOf(member);
    }

    function size() external view returns (uint256) {
        return _tree.size();
    }

    function prefixSum(uint256 slot) external view returns (uint256) {
        return _tree.prefixSum(slot);
    }
}

contract SortitionTreeTest is BaseTest {
    uint256 internal constant CAPACITY = 1024;

    SortitionTreeHarness internal tree;

    function setUp() public {
        tree = new SortitionTreeHarness();
    }

    function _member(uint256 i) internal pure returns (address) {
        return address(uint160(0x1000 + i));
    }

    /// @dev Linear reference: walk slots in order and return the member whose interval contains `r % total`.
    function _linearDraw(address[] memory members, uint256 randomness) internal view returns (address) {
        uint256 sum;
        for (uint256 i = 0; i < members.length; i++) sum += tree.weightOf(members[i]);
        if (sum == 0) return address(0);
        uint256 r = randomness % sum;
        uint256 cumulative;
        for (uint256 slot = 1; slot <= CAPACITY; slot++) {
            for (uint256 i = 0; i < members.length; i++) {
                if (tree.slotOf(members[i]) != slot) continue;
                cumulative += tree.weightOf(members[i]);
                if (r < cumulative) return members[i];
            }
        }
        revert("unreachable");
    }

    // ----------------------------------------------------------------------------------------------- set

    function test_set_allocatesSequentialSlots() public {
        assertTrue(tree.set(_member(1), 10), "set 1");
        assertTrue(tree.set(_member(2), 20), "set 2");
        assertEq(tree.slotOf(_member(1)), 1, "slot 1");
        assertEq(tree.slotOf(_member(2)), 2, "slot 2");
        assertEq(tree.weightOf(_member(1)), 10, "weight 1");
        assertEq(tree.weightOf(_member(2)), 20, "weight 2");
        assertEq(tree.total(), 30, "total");
        assertEq(tree.size(), 2, "size");
    }

    function test_set_zeroWeightForNonMemberIsNoop() public {
        assertTrue(tree.set(_member(1), 0), "set 0");
        assertEq(tree.slotOf(_member(1)), 0, "no slot");
        assertEq(tree.size(), 0, "size");
        assertEq(tree.total(), 0, "total");
    }

    function test_set_increaseAndDecreaseKeepSlot() public {
        tree.set(_member(1), 10);
        tree.set(_member(2), 5);
        assertTrue(tree.set(_member(1), 25), "increase");
        assertEq(tree.total(), 30, "total after increase");
        assertTrue(tree.set(_member(1), 3), "decrease");
        assertEq(tree.total(), 8, "total after decrease");
        assertTrue(tree.set(_member(1), 3), "same");
        assertEq(tree.total(), 8, "total unchanged");
        assertEq(tree.slotOf(_member(1)), 1, "slot kept");
        assertEq(tree.weightOf(_member(1)), 3, "weight");
    }

    function test_set_zeroReleasesSlotAndReusesLifo() public {
        tree.set(_member(1), 10);
        tree.set(_member(2), 20);
        tree.set(_member(3), 30);
        tree.set(_member(1), 0);
        tree.set(_member(3), 0);
        assertEq(tree.slotOf(_member(1)), 0, "1 released");
        assertEq(tree.weightOf(_member(1)), 0, "1 weight");
        assertEq(tree.size(), 1, "size");
        assertEq(tree.total(), 20, "total");
        tree.set(_member(4), 4);
        tree.set(_member(5), 5);
        assertEq(tree.slotOf(_member(4)), 3, "last freed first");
        assertEq(tree.slotOf(_member(5)), 1, "then earlier");
        tree.set(_member(6), 6);
        assertEq(tree.slotOf(_member(6)), 4, "fresh slot");
        assertEq(tree.total(), 35, "total");
    }

    function test_revert_set_zeroMember() public {
        vm.expectRevert(abi.encodeWithSelector(SortitionTreeV1.SortitionTreeZeroMember.selector));
        tree.set(address(0), 1);
    }

    function test_set_capacityFullReturnsFalseThenReusesFreedSlot() public {
        for (uint256 i = 1; i <= CAPACITY; i++) {
            assertTrue(tree.set(_member(i), i), "fill");
        }
        assertEq(tree.size(), CAPACITY, "full");
        uint256 totalBefore = tree.total();
        assertEq(totalBefore, (CAPACITY * (CAPACITY + 1)) / 2, "total");

        assertTrue(!tree.set(_member(CAPACITY + 1), 7), "full returns false");
        assertEq(tree.slotOf(_member(CAPACITY + 1)), 0, "no slot");
        assertEq(tree.total(), totalBefore, "no state change");

        // Existing members still change weight when full.
        assertTrue(tree.set(_member(CAPACITY), 1), "lower when full");
        assertTrue(tree.set(_member(CAPACITY), CAPACITY), "raise when full");

        tree.set(_member(500), 0);
        assertTrue(tree.set(_member(CAPACITY + 1), 7), "reuses freed");
        assertEq(tree.slotOf(_member(CAPACITY + 1)), 500, "slot 500");
        assertEq(tree.total(), totalBefore - 500 + 7, "total");
        // The last slot is drawable.
        assertEq(tree.draw(totalBefore - 500 + 6), _member(CAPACITY), "last slot drawn");
    }

    // ----------------------------------------------------------------------------------------------- draw

    function test_draw_emptyReturnsZero() public view {
        assertEq(tree.draw(0), address(0), "empty");
        assertEq(tree.draw(type(uint256).max), address(0), "empty max");
    }

    function test_draw_afterAllRemovedReturnsZero() public {
        tree.set(_member(1), 10);
        tree.set(_member(1), 0);
        assertEq(tree.draw(3), address(0), "empty");
    }

    function test_draw_intervalBoundaries() public {
        tree.set(_member(1), 10); // [0, 10)
        tree.set(_member(2), 7);
        tree.set(_member(2), 0); // slot 2 empty
        tree.set(_member(3), 0); // never a member
        tree.set(_member(4), 5); // slot 2 again: [10, 15)
        tree.set(_member(5), 1); // slot 3: [15, 16)
        assertEq(tree.draw(0), _member(1), "0");
        assertEq(tree.draw(9), _member(1), "9");
        assertEq(tree.draw(10), _member(4), "10");
        assertEq(tree.draw(14), _member(4), "14");
        assertEq(tree.draw(15), _member(5), "15");
        assertEq(tree.draw(16), _member(1), "wraps");
        assertEq(tree.draw(type(uint256).max), _member(5), "max % 16 == 15");
    }

    function test_draw_frequencyMatchesWeights() public {
        tree.set(_member(1), 1);
        tree.set(_member(2), 3);
        tree.set(_member(3), 6);
        uint256[4] memory counts;
        for (uint256 r = 0; r < 10; r++) {
            address m = tree.draw(r);
            counts[uint160(m) - 0x1000]++;
        }
        assertEq(counts[1], 1, "member 1");
        assertEq(counts[2], 3, "member 2");
        assertEq(counts[3], 6, "member 3");
    }

    // ----------------------------------------------------------------------------------------------- views

    function test_prefixSum_clampsToCapacity() public {
        tree.set(_member(1), 4);
        tree.set(_member(2), 6);
        assertEq(tree.prefixSum(0), 0, "0");
        assertEq(tree.prefixSum(1), 4, "1");
        assertEq(tree.prefixSum(2), 10, "2");
        assertEq(tree.prefixSum(CAPACITY + 5), 10, "clamped");
    }

    // ----------------------------------------------------------------------------------------------- fuzz

    /// @dev Random sets (including removals) on a few members; draw must equal the linear reference.
    function testFuzz_draw_matchesLinearReference(uint256 seed, uint256 randomness) public {
        uint256 n = bound(seed % 997, 1, 12);
        address[] memory members = new address[](n);
        for (uint256 i = 0; i < n; i++) members[i] = _member(i + 1);

        for (uint256 step = 0; step < 24; step++) {
            uint256 h = uint256(keccak256(abi.encode(seed, step)));
            uint256 i = h % n;
            // One step in four removes, the others set a weight up to 2^96.
            uint256 w = (h >> 8) % 4 == 0 ? 0 : bound(h >> 16, 1, 1 << 96);
            assertTrue(tree.set(members[i], w), "set");
        }

        uint256 sum;
        for (uint256 i = 0; i < n; i++) sum += tree.weightOf(members[i]);
        assertEq(tree.total(), sum, "total == sum of weights");

        assertEq(tree.draw(randomness), _linearDraw(members, randomness), "draw == linear reference");
        // Interval edges of a random member.
        for (uint256 i = 0; i < n; i++) {
            uint256 slot = tree.slotOf(members[i]);
            if (slot == 0) continue;
            uint256 start = tree.prefixSum(slot - 1);
            uint256 end = tree.prefixSum(slot);
            assertEq(end - start, tree.weightOf(members[i]), "interval width");
            assertEq(tree.draw(start), members[i], "interval start");
            assertEq(tree.draw(end - 1), members[i], "interval end");
        }
    }

    /// @dev Over one full cycle of r in [0, total) each member is drawn exactly `weight` times.
    function testFuzz_draw_exactFrequency(uint8[6] memory weights) public {
        for (uint256 i = 0; i < 6; i++) tree.set(_member(i), uint256(weights[i]) % 24);
        uint256 sum = tree.total();
        uint256[6] memory counts;
        for (uint256 r = 0; r < sum; r++) {
            counts[uint160(tree.draw(r)) - 0x1000]++;
        }
        for (uint256 i = 0; i < 6; i++) assertEq(counts[i], uint256(weights[i]) % 24, "frequency == weight");
    }

    /// @dev A slot released by a member whose weight went to 0 is the next slot handed out.
    function testFuzz_set_slotReuse(uint256 count, uint256 leaver, uint256 weight) public {
        count = bound(count, 1, 40);
        leaver = bound(leaver, 1, count);
        weight = bound(weight, 1, type(uint128).max);
        for (uint256 i = 1; i <= count; i++) tree.set(_member(i), weight);
        uint256 freed = tree.slotOf(_member(leaver));
        tree.set(_member(leaver), 0);
        assertEq(tree.size(), count - 1, "size after leave");
        assertEq(tree.total(), (count - 1) * weight, "total after leave");
        tree.set(_member(1000), weight);
        assertEq(tree.slotOf(_member(1000)), freed, "freed slot reused");
        assertEq(tree.size(), count, "size after join");
        assertEq(tree.total(), count * weight, "total after join");
    }
}
