// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title SortitionTreeV1
/// @notice Stake-weighted random selection over at most {CAPACITY} members, with O(log n) weight updates and draws.
/// @dev A Fenwick (binary indexed) tree over slots `1..CAPACITY`. `nodes[i]` holds the sum of the weights of the
///      slots `(i - lowbit(i), i]`, so `nodes[CAPACITY]` is the total weight (CAPACITY is a power of two).
///      A member gets a slot when its weight becomes non-zero (a freed slot is reused first, from a stack) and gives
///      it back when its weight becomes zero, so members that leave never exhaust the capacity.
///      A draw maps `r = randomness % total` to the slot whose cumulative-weight interval
///      `[prefix(slot - 1), prefix(slot))` contains `r`; slots with zero weight have an empty interval and are never
///      drawn. Weights must fit the caller's token supply: the sum of all weights must not overflow uint256.
library SortitionTreeV1 {
    // ----------------------------------------------------------------------------------------------- types

    /// @notice The tree state; lives in the caller's storage.
    struct Tree {
        /// @dev Fenwick nodes, indices 1..CAPACITY.
        mapping(uint256 slot => uint256 partialSum) nodes;
        /// @dev Exact weight of each occupied slot.
        mapping(uint256 slot => uint256 weight) slotWeight;
        /// @dev Member occupying each slot (address(0) when free).
        mapping(uint256 slot => address member) memberAt;
        /// @dev Slot of each member (0 when the member has no weight).
        mapping(address member => uint256 slot) memberSlot;
        /// @dev Released slots, reused last-in first-out.
        uint256[] freeSlots;
        /// @dev Number of slots ever handed out; slots above it have never been used.
        uint256 highestSlot;
    }

    // ----------------------------------------------------------------------------------------------- constants

    /// @notice Number of slots, i.e. the most members that can hold weight at the same time. A power of two.
    uint256 internal constant CAPACITY = 1024;

    // ----------------------------------------------------------------------------------------------- errors

    /// @notice The zero address cannot be a member (it is the "nobody" result of {draw}).
    error SortitionTreeZeroMember();

    // ----------------------------------------------------------------------------------------------- functions

    /// @notice Sets the weight of `member` to `weight`.
    /// @dev Allocates a slot when the weight goes from zero to non-zero and releases it when it goes to zero.
    ///      Lowering a weight, or changing a non-zero weight, never needs a new slot and so never fails.
    /// @param tree The tree.
    /// @param member The member; must not be the zero address.
    /// @param weight The new weight; zero removes the member.
    /// @return ok False, with no state change, when `member` needs a slot and all {CAPACITY} slots are taken.
    function set(Tree storage tree, address member, uint256 weight) internal returns (bool ok) {
        if (member == address(0)) revert SortitionTreeZeroMember();
        uint256 slot = tree.memberSlot[member];
        if (slot == 0) {
            if (weight == 0) return true;
            uint256 free = tree.freeSlots.length;
            if (free > 0) {
                slot = tree.freeSlots[free - 1];
                tree.freeSlots.pop();
            } else {
                if (tree.highestSlot == CAPACITY) return false;
                slot = ++tree.highestSlot;
            }
            tree.memberSlot[member] = slot;
            tree.memberAt[slot] = member;
            tree.slotWeight[slot] = weight;
            _add(tree, slot, weight);
            return true;
        }

        uint256 old = tree.slotWeight[slot];
        if (weight > old) {
            _add(tree, slot, weight - old);
        } else if (weight < old) {
            _sub(tree, slot, old - weight);
        }
        if (weight == 0) {
            delete tree.memberSlot[member];
            delete tree.memberAt[slot];
            delete tree.slotWeight[slot];
            tree.freeSlots.push(slot);
        } else {
            tree.slotWeight[slot] = weight;
        }
        return true;
    }

    /// @notice Draws a member with probability proportional to its weight.
    /// @param tree The tree.
    /// @param randomness Any uniformly random word; reduced modulo the total weight.
    /// @return member The member whose cumulative-weight interval contains `randomness % total`, or address(0) when
    ///         the total weight is zero.
    function draw(Tree storage tree, uint256 randomness) internal view returns (address member) {
        uint256 sum = tree.nodes[CAPACITY];
        if (sum == 0) return address(0);
        uint256 r = randomness % sum;
        // Binary lifting: find the largest `pos` with prefix(pos) <= r; slot `pos + 1` then holds r.
        // No `pos + bit <= CAPACITY` check is needed: the first step compares nodes[CAPACITY] == sum > r and so never
        // moves; afterwards `pos` is a sum of distinct powers of two between `bit` and CAPACITY (both excluded), so
        // `pos + bit < CAPACITY`.
        uint256 pos = 0;
        for (uint256 bit = CAPACITY; bit > 0; bit >>= 1) {
            uint256 node = tree.nodes[pos + bit];
            if (node <= r) {
                pos += bit;
                r -= node;
            }
        }
        return tree.memberAt[pos + 1];
    }

    /// @notice Sum of all weights.
    function total(Tree storage tree) internal view returns (uint256) {
        return tree.nodes[CAPACITY];
    }

    /// @notice Weight of `member` (0 when it holds no slot).
    function weightOf(Tree storage tree, address member) internal view returns (uint256) {
        uint256 slot = tree.memberSlot[member];
        return slot == 0 ? 0 : tree.slotWeight[slot];
    }

    /// @notice Slot of `member`, 0 when it has no weight.
    function slotOf(Tree storage tree, address member) internal view returns (uint256) {
        return tree.memberSlot[member];
    }

    /// @notice Number of members that currently hold weight.
    function size(Tree storage tree) internal view returns (uint256) {
        return tree.highestSlot - tree.freeSlots.length;
    }

    /// @notice Sum of the weights of slots `1..slot` (Fenwick prefix query).
    function prefixSum(Tree storage tree, uint256 slot) internal view returns (uint256 sum) {
        if (slot > CAPACITY) slot = CAPACITY;
        while (slot > 0) {
            sum += tree.nodes[slot];
            slot &= slot - 1; // clear the lowest set bit
        }
    }

    /// @dev Adds `delta` to `slot` and every node that covers it.
    function _add(Tree storage tree, uint256 slot, uint256 delta) private {
        while (slot <= CAPACITY) {
            tree.nodes[slot] += delta;
            unchecked {
                slot += slot & (~slot + 1); // next covering node: add the lowest set bit
            }
        }
    }

    /// @dev Subtracts `delta` from `slot` and every node that covers it.
    function _sub(Tree storage tree, uint256 slot, uint256 delta) private {
        while (slot <= CAPACITY) {
            tree.nodes[slot] -= delta;
            unchecked {
                slot += slot & (~slot + 1);
            }
        }
    }
}
