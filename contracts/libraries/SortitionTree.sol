// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title SortitionTree
/// @notice Stake-weighted random selection without a fixed capacity: O(log n) weight updates and draws, and panel
///         draws of distinct tickets without replacement.
/// @dev A Fenwick (binary indexed) tree over slots `1..capacity`, where `capacity` is a power of two that doubles
///      when every slot is taken. `nodes[i]` holds the sum of the weights of the slots `(i - lowbit(i), i]`, so
///      `nodes[capacity]` is the total weight. Doubling is one write: the new root `nodes[2C]` covers `(0, 2C]`, whose
///      sum is the old total `nodes[C]`, and every node in `(C, 2C)` covers only empty slots and stays zero.
///      A member gets a slot when its weight becomes non-zero (a released slot is reused first, from a stack) and
///      gives it back when its weight becomes zero. So {set} never fails for a non-zero member.
///
///      Tickets: weight `w` of the member in slot `s` is the ticket interval `[prefixSum(s - 1), prefixSum(s))` of the
///      line `[0, total)`. {drawTicket} maps a ticket to its member. A panel draw picks distinct tickets without
///      replacement: `r` uniform in `[0, remaining)` is mapped to the `r`-th ticket that is not excluded by skipping
///      the excluded intervals in ascending order ({ticketAt}); the drawn ticket is then excluded itself. Whole
///      members (parties of a request, or members the caller rejects) are excluded as their full interval.
///      Memory: one interval per excluded member and per drawn ticket; each draw costs O(log n) storage reads plus
///      O(k) memory operations for k intervals, so a panel of s seats is O(s × log n) reads and O(s²) memory work.
///
///      Weights are uint96 (the caller counts whole tokens; 2^96 tickets exceed any token supply), so the sum of all
///      weights cannot overflow the uint256 nodes.
library SortitionTree {
    // ----------------------------------------------------------------------------------------------- types

    /// @notice The tree state; lives in the caller's storage.
    struct Tree {
        /// @dev Fenwick nodes, indices 1..capacity.
        mapping(uint256 node => uint256 partialSum) nodes;
        /// @dev Occupant of each slot, packed: member address in the low 160 bits, weight in the high 96 bits.
        mapping(uint256 slot => uint256 packed) slots;
        /// @dev Slot of each member (0 when the member has no weight).
        mapping(address member => uint256 slot) memberSlot;
        /// @dev Released slots, reused last-in first-out.
        uint256[] freeSlots;
        /// @dev Number of slots ever handed out; slots above it have never been used.
        uint128 highestSlot;
        /// @dev Number of slots of the Fenwick tree (its capacity): 0 before the first member, then a power of two.
        uint128 fenwickSize;
    }

    /// @notice Ticket intervals excluded from a draw, in memory, sorted by start and pairwise disjoint.
    struct Exclusions {
        uint256[] starts;
        uint256[] lengths;
        uint256 count; // intervals in use
        uint256 tickets; // sum of their lengths
    }

    // ----------------------------------------------------------------------------------------------- errors

    /// @notice The zero address cannot be a member (it is the "nobody" result of draws).
    error SortitionTreeZeroMember();
    /// @notice A ticket at or beyond the total weight was asked for.
    error SortitionTreeTicketOutOfRange(uint256 ticket, uint256 total);
    /// @notice More exclusion intervals than the capacity given to {newExclusions}.
    error SortitionTreeExclusionsFull(uint256 capacity);

    // ----------------------------------------------------------------------------------------------- updates

    /// @notice Sets the weight of `member` to `weight`; zero removes the member.
    /// @dev Allocates a slot when the weight goes from zero to non-zero (a released one first, else a new one,
    ///      doubling the capacity when all are taken) and releases it when the weight goes to zero. Never fails for
    ///      a non-zero member.
    function set(Tree storage tree, address member, uint96 weight) internal {
        if (member == address(0)) revert SortitionTreeZeroMember();
        uint256 slot = tree.memberSlot[member];
        if (slot == 0) {
            if (weight == 0) return;
            slot = _allocate(tree);
            tree.memberSlot[member] = slot;
            tree.slots[slot] = _pack(member, weight);
            _add(tree, slot, weight, tree.fenwickSize);
            return;
        }

        uint256 old = tree.slots[slot] >> 160;
        if (weight == old) return;
        uint256 capacity_ = tree.fenwickSize;
        if (weight > old) {
            _add(tree, slot, weight - old, capacity_);
        } else {
            _sub(tree, slot, old - weight, capacity_);
        }
        if (weight == 0) {
            delete tree.memberSlot[member];
            delete tree.slots[slot];
            tree.freeSlots.push(slot);
        } else {
            tree.slots[slot] = _pack(member, weight);
        }
    }

    // ----------------------------------------------------------------------------------------------- draws

    /// @notice The member whose ticket interval contains `ticket`, and where that interval starts.
    /// @param ticket A ticket in `[0, total)`; reverts with {SortitionTreeTicketOutOfRange} otherwise.
    /// @return member The owner of the ticket.
    /// @return start The first ticket of `member` (its interval is `[start, start + weightOf(member))`).
    function drawTicket(Tree storage tree, uint256 ticket) internal view returns (address member, uint256 start) {
        (uint256 slot, uint256 start_) = _find(tree, ticket);
        return (address(uint160(tree.slots[slot])), start_);
    }

    /// @notice Draws `seats` distinct tickets by weight without replacement, never a ticket of an `excluded` member.
    /// @param seed Random word; seat draws use `keccak256(abi.encode(seed, i))` for attempt `i`.
    /// @param seats Tickets to draw.
    /// @param excluded Members none of whose tickets may be drawn (duplicates and non-members are ignored).
    /// @return members One entry per seat in draw order; empty when fewer than `seats` tickets remain.
    function drawPanel(
        Tree storage tree,
        uint256 seed,
        uint256 seats,
        address[] memory excluded
    ) internal view returns (address[] memory members) {
        return drawPanel(tree, seed, seats, excluded, _always, 0);
    }

    /// @notice As {drawPanel}, but a drawn member for which `eligible` is false is excluded with all its tickets and
    ///         the seat is drawn again, at most `maxRejections` times in all.
    /// @return members One entry per seat in draw order; empty when fewer than `seats` tickets remain, or when more
    ///         than `maxRejections` drawn members were not eligible.
    function drawPanel(
        Tree storage tree,
        uint256 seed,
        uint256 seats,
        address[] memory excluded,
        function(address) view returns (bool) eligible,
        uint256 maxRejections
    ) internal view returns (address[] memory members) {
        Exclusions memory ex = newExclusions(excluded.length + seats + maxRejections);
        for (uint256 i = 0; i < excluded.length; ++i) {
            excludeMember(tree, ex, excluded[i]);
        }
        members = new address[](seats);
        uint256 drawn;
        uint256 rejections;
        // Every attempt either fills a seat or spends a rejection, so there are at most seats + maxRejections.
        for (uint256 attempt = 0; drawn < seats; ++attempt) {
            if (total(tree) - ex.tickets < seats - drawn) return new address[](0);
            address member = _attempt(tree, ex, uint256(keccak256(abi.encode(seed, attempt))), eligible);
            if (member != address(0)) {
                members[drawn++] = member;
            } else {
                if (rejections == maxRejections) return new address[](0);
                ++rejections;
            }
        }
    }

    // ----------------------------------------------------------------------------------------------- exclusions

    /// @notice An empty exclusion list with room for `maxIntervals` intervals.
    function newExclusions(uint256 maxIntervals) internal pure returns (Exclusions memory ex) {
        ex.starts = new uint256[](maxIntervals);
        ex.lengths = new uint256[](maxIntervals);
    }

    /// @notice Excludes every ticket of `member`; does nothing for a non-member or a member already excluded whole.
    /// @return added Whether an interval was added.
    function excludeMember(Tree storage tree, Exclusions memory ex, address member) internal view returns (bool added) {
        uint256 slot = tree.memberSlot[member];
        if (slot == 0) return false;
        return excludeRange(ex, prefixSum(tree, slot - 1), tree.slots[slot] >> 160);
    }

    /// @notice Excludes the tickets `[start, start + length)`.
    /// @dev The interval must be disjoint from the excluded ones or equal to one of them (then nothing is added):
    ///      whole members and single drawn tickets of other members satisfy this.
    /// @return added Whether an interval was added.
    function excludeRange(Exclusions memory ex, uint256 start, uint256 length) internal pure returns (bool added) {
        if (length == 0) return false;
        uint256 n = ex.count;
        uint256[] memory starts = ex.starts;
        uint256[] memory lengths = ex.lengths;
        uint256 i = n;
        while (i > 0 && starts[i - 1] > start) --i;
        if (i > 0 && starts[i - 1] == start) return false; // already excluded
        if (n == starts.length) revert SortitionTreeExclusionsFull(n);
        // Shift the larger starts up by one to keep the list sorted.
        for (uint256 j = n; j > i; --j) {
            starts[j] = starts[j - 1];
            lengths[j] = lengths[j - 1];
        }
        starts[i] = start;
        lengths[i] = length;
        ex.count = n + 1;
        ex.tickets += length;
        return true;
    }

    /// @notice The `r`-th ticket (from 0) that is not excluded.
    /// @dev Skips the excluded intervals in ascending order; `r` must be below `total - ex.tickets`.
    function ticketAt(Exclusions memory ex, uint256 r) internal pure returns (uint256 ticket) {
        ticket = r;
        uint256 n = ex.count;
        uint256[] memory starts = ex.starts;
        uint256[] memory lengths = ex.lengths;
        for (uint256 i = 0; i < n; ++i) {
            if (starts[i] > ticket) break;
            ticket += lengths[i];
        }
    }

    // ----------------------------------------------------------------------------------------------- views

    /// @notice Sum of all weights.
    function total(Tree storage tree) internal view returns (uint256) {
        return tree.nodes[tree.fenwickSize];
    }

    /// @notice Weight of `member` (0 when it holds no slot).
    function weightOf(Tree storage tree, address member) internal view returns (uint256) {
        uint256 slot = tree.memberSlot[member];
        return slot == 0 ? 0 : tree.slots[slot] >> 160;
    }

    /// @notice Slot of `member`, 0 when it has no weight.
    function slotOf(Tree storage tree, address member) internal view returns (uint256) {
        return tree.memberSlot[member];
    }

    /// @notice Number of members that currently hold weight.
    function size(Tree storage tree) internal view returns (uint256) {
        return tree.highestSlot - tree.freeSlots.length;
    }

    /// @notice Number of slots of the Fenwick tree (0 before the first member, then a power of two).
    function capacity(Tree storage tree) internal view returns (uint256) {
        return tree.fenwickSize;
    }

    /// @notice Sum of the weights of slots `1..slot` (Fenwick prefix query); slots beyond the capacity are empty.
    function prefixSum(Tree storage tree, uint256 slot) internal view returns (uint256 sum) {
        uint256 capacity_ = tree.fenwickSize;
        if (slot > capacity_) slot = capacity_;
        while (slot > 0) {
            sum += tree.nodes[slot];
            slot &= slot - 1; // clear the lowest set bit
        }
    }

    // ----------------------------------------------------------------------------------------------- private

    /// @dev The slot holding `ticket` and the first ticket of that slot, by binary lifting: the largest `pos` with
    ///      prefix(pos) <= ticket, so slot `pos + 1` holds it. No `pos + bit <= capacity` check is needed: the first
    ///      step compares nodes[capacity] == total > ticket and never moves; afterwards `pos` is a sum of distinct
    ///      powers of two between `bit` and `capacity` (both excluded), so `pos + bit < capacity`.
    function _find(Tree storage tree, uint256 ticket) private view returns (uint256 slot, uint256 start) {
        uint256 capacity_ = tree.fenwickSize;
        uint256 total_ = tree.nodes[capacity_];
        if (ticket >= total_) revert SortitionTreeTicketOutOfRange(ticket, total_);
        uint256 r = ticket;
        uint256 pos = 0;
        for (uint256 bit = capacity_; bit > 0; bit >>= 1) {
            uint256 node = tree.nodes[pos + bit];
            if (node <= r) {
                pos += bit;
                r -= node;
            }
        }
        return (pos + 1, ticket - r);
    }

    /// @dev Draws the `randomness % remaining`-th ticket not in `ex` (at least one must remain). When its member is
    ///      eligible, excludes that ticket and returns the member; otherwise excludes all the member's tickets and
    ///      returns address(0). Eligibility must not change during a panel draw, so a rejected member never had a
    ///      ticket drawn before and its interval is disjoint from the excluded ones.
    function _attempt(
        Tree storage tree,
        Exclusions memory ex,
        uint256 randomness,
        function(address) view returns (bool) eligible
    ) private view returns (address member) {
        uint256 ticket = ticketAt(ex, randomness % (total(tree) - ex.tickets));
        (uint256 slot, uint256 start) = _find(tree, ticket);
        uint256 packed = tree.slots[slot];
        member = address(uint160(packed));
        if (eligible(member)) {
            excludeRange(ex, ticket, 1);
            return member;
        }
        excludeRange(ex, start, packed >> 160);
        return address(0);
    }

    /// @dev A free slot: the last released one, else the next new one (doubling the capacity when all are taken).
    function _allocate(Tree storage tree) private returns (uint256 slot) {
        uint256 free = tree.freeSlots.length;
        if (free > 0) {
            slot = tree.freeSlots[free - 1];
            tree.freeSlots.pop();
            return slot;
        }
        uint256 highest = tree.highestSlot;
        uint256 capacity_ = tree.fenwickSize;
        if (highest == capacity_) {
            if (capacity_ == 0) {
                tree.fenwickSize = 1;
            } else {
                // The new root covers (0, 2C]: the old total, since slots above C are empty.
                tree.nodes[2 * capacity_] = tree.nodes[capacity_];
                tree.fenwickSize = uint128(2 * capacity_);
            }
        }
        slot = highest + 1;
        tree.highestSlot = uint128(slot);
    }

    /// @dev Adds `delta` to `slot` and every node that covers it.
    function _add(Tree storage tree, uint256 slot, uint256 delta, uint256 capacity_) private {
        while (slot <= capacity_) {
            tree.nodes[slot] += delta;
            unchecked {
                slot += slot & (~slot + 1); // next covering node: add the lowest set bit
            }
        }
    }

    /// @dev Subtracts `delta` from `slot` and every node that covers it.
    function _sub(Tree storage tree, uint256 slot, uint256 delta, uint256 capacity_) private {
        while (slot <= capacity_) {
            tree.nodes[slot] -= delta;
            unchecked {
                slot += slot & (~slot + 1);
            }
        }
    }

    function _pack(address member, uint96 weight) private pure returns (uint256) {
        return (uint256(weight) << 160) | uint160(member);
    }

    function _always(address) private pure returns (bool) {
        return true;
    }
}
