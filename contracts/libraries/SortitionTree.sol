// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title SortitionTree
/// @notice Stake-weighted random selection without a fixed capacity: O(log n) weight updates and draws, panel draws
///         of distinct tickets without replacement, and draws from the weights as they stood at the end of a recent
///         epoch (a snapshot), so that nobody can steer a draw by changing weights after its random word is known.
/// @dev A Fenwick (binary indexed) tree over slots `1..capacity`, where `capacity` is a power of two that doubles
///      when every slot is taken. Node `i` holds the sum of the weights of the slots `(i - lowbit(i), i]`, so node
///      `capacity` holds the total weight. Doubling is one write: the new root `2C` covers `(0, 2C]`, whose sum (and
///      its whole history) is that of the old root `C`, and every node in `(C, 2C)` covers only empty slots.
///
///      Snapshots. The caller numbers time in epochs (non-decreasing across calls, e.g. `timestamp / period`) and
///      passes the current one to {set}. Each node keeps its current value and its values at the end of the two
///      epochs before its last write (one storage word: three uint64 sums and two uint32 epochs; rewritten on every
///      update, as a plain Fenwick node would be). So the tree can answer "as at the end of epoch `q`" for any `q`
///      from `current - 2` on ({drawPanel}, {totalAt}, {weightAt}); `CURRENT` reads the live values. The number of
///      members with weight keeps the same history in one more word of the same encoding ({membersAt}; written only
///      when a member's weight goes from zero to positive or back). A slot keeps its
///      member after that member's weight drops to zero and is only handed to another member two epochs later, so
///      the member of every slot with weight in a readable snapshot is known, and a member that left since the
///      snapshot is still excluded with its snapshot tickets.
///
///      Tickets: weight `w` of the member in slot `s` is the ticket interval `[prefix(s - 1), prefix(s))` of the line
///      `[0, total)`. {drawTicket} maps a ticket to its member. A panel draw picks distinct tickets without
///      replacement: `r` uniform in `[0, remaining)` is mapped to the `r`-th ticket that is not excluded by skipping
///      the excluded intervals in ascending order ({ticketAt}); the drawn ticket is then excluded itself. Whole
///      members (parties of a request) are excluded as their full interval. Memory: one interval per excluded member
///      and per drawn ticket; a panel of s seats is O(s × log n) storage reads and O(s²) memory work. A draw may
///      also require a minimum number of distinct members outside the exclusions in its snapshot (`minMembers`): the
///      excluded members that held weight then are counted while they are excluded, so the check costs one storage
///      read ({membersAt}) and depends on the snapshot and the exclusions only, never on the seed.
///
///      Weights are uint64 and the total weight must fit uint64 (the caller counts whole tokens; an increase beyond
///      reverts, a decrease never does).
library SortitionTree {
    // ----------------------------------------------------------------------------------------------- constants

    /// @notice Epoch argument that reads the live weights.
    uint256 internal constant CURRENT = type(uint256).max;

    uint256 private constant MASK_64 = type(uint64).max;
    uint256 private constant MASK_32 = type(uint32).max;

    // ----------------------------------------------------------------------------------------------- types

    /// @notice The tree state; lives in the caller's storage.
    struct Tree {
        /// @dev Fenwick nodes, indices 1..capacity, packed: value (bits 0-63), value at the end of the epoch before
        ///      the last write (64-127), value at the end of the epoch before the write before (128-191), epoch of
        ///      the last write (192-223), epoch of the write before (224-255).
        mapping(uint256 node => uint256 packed) nodes;
        /// @dev Occupant of each slot, packed: member (bits 0-159), weight (160-223), epoch in which the weight
        ///      dropped to zero (224-255, while the weight is zero).
        mapping(uint256 slot => uint256 packed) slots;
        /// @dev Slot of each member (0 when it never had weight, or its slot went to another member).
        mapping(address member => uint256 slot) memberSlot;
        /// @dev Candidate slots for reuse, last-in first-out; an entry whose slot holds weight again is dropped.
        uint256[] freeSlots;
        /// @dev Number of slots ever handed out; slots above it have never been used.
        uint64 highestSlot;
        /// @dev Number of slots of the Fenwick tree (its capacity): 0 before the first member, then a power of two.
        uint64 fenwickSize;
        /// @dev Number of members that hold weight, with the history of a Fenwick node (same packing as `nodes`):
        ///      live count, counts at the end of the epoch before the last change and of the epoch before the change
        ///      before, and the epochs of those two changes.
        uint256 memberHistory;
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
    /// @notice An update named an epoch before the tree's last write (epochs must not go back).
    error SortitionTreeEpochInPast(uint256 epoch, uint256 lastEpoch);

    // ----------------------------------------------------------------------------------------------- updates

    /// @notice Sets the weight of `member` to `weight` in epoch `epoch`; zero removes the member.
    /// @dev Allocates a slot when a member without one gets weight (a slot released at least two epochs ago first,
    ///      else a new one, doubling the capacity when all are taken). Never fails for a decrease.
    function set(Tree storage tree, address member, uint64 weight, uint256 epoch) internal {
        if (member == address(0)) revert SortitionTreeZeroMember();
        uint32 epoch32 = SafeCast.toUint32(epoch);
        uint256 slot = tree.memberSlot[member];
        uint256 old = slot == 0 ? 0 : uint64(tree.slots[slot] >> 160);
        if (weight == old) return;
        if (slot == 0) {
            slot = _allocate(tree, epoch32);
            tree.memberSlot[member] = slot;
        }
        uint256 capacity_ = tree.fenwickSize;
        if (weight > old) {
            if (old == 0) tree.memberHistory = _written(tree.memberHistory, 1, true, epoch32);
            _update(tree, slot, weight - old, true, epoch32, capacity_);
        } else {
            if (weight == 0) tree.memberHistory = _written(tree.memberHistory, 1, false, epoch32);
            _update(tree, slot, old - weight, false, epoch32, capacity_);
        }
        if (weight == 0) {
            tree.slots[slot] = (uint256(epoch32) << 224) | uint160(member);
            tree.freeSlots.push(slot);
        } else {
            tree.slots[slot] = (uint256(weight) << 160) | uint160(member);
        }
    }

    // ----------------------------------------------------------------------------------------------- draws

    /// @notice The member whose live ticket interval contains `ticket`, and where that interval starts.
    /// @param ticket A ticket in `[0, total)`; reverts with {SortitionTreeTicketOutOfRange} otherwise.
    /// @return member The owner of the ticket.
    /// @return start The first ticket of `member` (its interval is `[start, start + weightOf(member))`).
    function drawTicket(Tree storage tree, uint256 ticket) internal view returns (address member, uint256 start) {
        (uint256 slot, uint256 start_) = _find(tree, ticket, CURRENT);
        return (address(uint160(tree.slots[slot])), start_);
    }

    /// @notice Draws `seats` distinct tickets by the weights at the end of epoch `epoch` (or live weights with
    ///         `CURRENT`), without replacement, never a ticket of an `excluded` member.
    /// @dev `epoch` must be at least the current epoch minus two (see the library notes); the caller checks it.
    /// @param seed Random word; seat `i` is drawn with `keccak256(abi.encode(seed, i))`.
    /// @param seats Tickets to draw.
    /// @param excluded Members none of whose tickets may be drawn (duplicates and non-members are ignored).
    /// @param minMembers Fewest distinct members outside `excluded` that must hold weight at the end of `epoch` (0:
    ///        no minimum). Independent of `seed`.
    /// @return members One entry per seat in draw order; empty when fewer than `seats` tickets or fewer than
    ///         `minMembers` members remain.
    function drawPanel(
        Tree storage tree,
        uint256 seed,
        uint256 seats,
        address[] memory excluded,
        uint256 epoch,
        uint256 minMembers
    ) internal view returns (address[] memory members) {
        Exclusions memory ex = newExclusions(excluded.length + seats);
        uint256 excludedMembers;
        for (uint256 i = 0; i < excluded.length; ++i) {
            if (excludeMember(tree, ex, excluded[i], epoch)) ++excludedMembers;
        }
        uint256 total_ = totalAt(tree, epoch);
        if (total_ - ex.tickets < seats) return new address[](0);
        // Every excluded member with weight at `epoch` added exactly one interval, so this never underflows.
        if (minMembers > 0 && membersAt(tree, epoch) - excludedMembers < minMembers) return new address[](0);
        members = new address[](seats);
        for (uint256 i = 0; i < seats; ++i) {
            uint256 ticket = ticketAt(ex, uint256(keccak256(abi.encode(seed, i))) % (total_ - ex.tickets));
            (uint256 slot, ) = _find(tree, ticket, epoch);
            members[i] = address(uint160(tree.slots[slot]));
            excludeRange(ex, ticket, 1);
        }
    }

    // ----------------------------------------------------------------------------------------------- exclusions

    /// @notice An empty exclusion list with room for `maxIntervals` intervals.
    function newExclusions(uint256 maxIntervals) internal pure returns (Exclusions memory ex) {
        ex.starts = new uint256[](maxIntervals);
        ex.lengths = new uint256[](maxIntervals);
    }

    /// @notice Excludes every live ticket of `member`; does nothing for a non-member or a member already excluded.
    /// @return added Whether an interval was added.
    function excludeMember(Tree storage tree, Exclusions memory ex, address member) internal view returns (bool added) {
        return excludeMember(tree, ex, member, CURRENT);
    }

    /// @notice Excludes every ticket `member` held at the end of epoch `epoch` (live ones with `CURRENT`).
    /// @return added Whether an interval was added.
    function excludeMember(
        Tree storage tree,
        Exclusions memory ex,
        address member,
        uint256 epoch
    ) internal view returns (bool added) {
        uint256 slot = tree.memberSlot[member];
        if (slot == 0) return false;
        uint256 start = prefixSumAt(tree, slot - 1, epoch);
        return excludeRange(ex, start, prefixSumAt(tree, slot, epoch) - start);
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

    /// @notice Sum of all live weights.
    function total(Tree storage tree) internal view returns (uint256) {
        return _valueAt(tree.nodes[tree.fenwickSize], CURRENT);
    }

    /// @notice Sum of all weights at the end of epoch `epoch` (at least the current epoch minus two).
    function totalAt(Tree storage tree, uint256 epoch) internal view returns (uint256) {
        return _valueAt(tree.nodes[tree.fenwickSize], epoch);
    }

    /// @notice Live weight of `member` (0 when it holds none).
    function weightOf(Tree storage tree, address member) internal view returns (uint256) {
        uint256 slot = tree.memberSlot[member];
        return slot == 0 ? 0 : uint64(tree.slots[slot] >> 160);
    }

    /// @notice Weight of `member` at the end of epoch `epoch` (at least the current epoch minus two).
    function weightAt(Tree storage tree, address member, uint256 epoch) internal view returns (uint256) {
        uint256 slot = tree.memberSlot[member];
        if (slot == 0) return 0;
        return prefixSumAt(tree, slot, epoch) - prefixSumAt(tree, slot - 1, epoch);
    }

    /// @notice Slot of `member` (0 when it never had weight, or its slot went to another member).
    function slotOf(Tree storage tree, address member) internal view returns (uint256) {
        return tree.memberSlot[member];
    }

    /// @notice Number of members that hold weight now.
    function size(Tree storage tree) internal view returns (uint256) {
        return tree.memberHistory & MASK_64;
    }

    /// @notice Number of members that held weight at the end of epoch `epoch` (at least the current epoch minus two;
    ///         the live number with `CURRENT`).
    function membersAt(Tree storage tree, uint256 epoch) internal view returns (uint256) {
        return _valueAt(tree.memberHistory, epoch);
    }

    /// @notice Number of slots of the Fenwick tree (0 before the first member, then a power of two).
    function capacity(Tree storage tree) internal view returns (uint256) {
        return tree.fenwickSize;
    }

    /// @notice Sum of the live weights of slots `1..slot` (Fenwick prefix query); slots beyond the capacity are empty.
    function prefixSum(Tree storage tree, uint256 slot) internal view returns (uint256) {
        return prefixSumAt(tree, slot, CURRENT);
    }

    /// @notice Sum of the weights of slots `1..slot` at the end of epoch `epoch` (live ones with `CURRENT`).
    function prefixSumAt(Tree storage tree, uint256 slot, uint256 epoch) internal view returns (uint256 sum) {
        uint256 capacity_ = tree.fenwickSize;
        if (slot > capacity_) slot = capacity_;
        while (slot > 0) {
            sum += _valueAt(tree.nodes[slot], epoch);
            slot &= slot - 1; // clear the lowest set bit
        }
    }

    // ----------------------------------------------------------------------------------------------- private

    /// @dev The value of a packed node at the end of epoch `epoch`: its value when it was last written in or before
    ///      `epoch`, else its value at the end of the epoch before its last write, else at the end of the epoch
    ///      before the write before — exact for `epoch >= current - 2`, because the write before that one happened
    ///      at or before `current - 2`.
    function _valueAt(uint256 node, uint256 epoch) private pure returns (uint256) {
        if (epoch >= (node >> 192) & MASK_32) return node & MASK_64;
        if (epoch >= node >> 224) return (node >> 64) & MASK_64;
        return (node >> 128) & MASK_64;
    }

    /// @dev The slot holding `ticket` at the end of `epoch` and the first ticket of that slot, by binary lifting: the
    ///      largest `pos` with prefix(pos) <= ticket, so slot `pos + 1` holds it. No `pos + bit <= capacity` check is
    ///      needed: the first step compares the root (the total, > ticket) and never moves; afterwards `pos` is a sum
    ///      of distinct powers of two between `bit` and `capacity` (both excluded), so `pos + bit < capacity`.
    function _find(
        Tree storage tree,
        uint256 ticket,
        uint256 epoch
    ) private view returns (uint256 slot, uint256 start) {
        uint256 capacity_ = tree.fenwickSize;
        uint256 total_ = _valueAt(tree.nodes[capacity_], epoch);
        if (ticket >= total_) revert SortitionTreeTicketOutOfRange(ticket, total_);
        uint256 r = ticket;
        uint256 pos = 0;
        for (uint256 bit = capacity_; bit > 0; bit >>= 1) {
            uint256 node = _valueAt(tree.nodes[pos + bit], epoch);
            if (node <= r) {
                pos += bit;
                r -= node;
            }
        }
        return (pos + 1, ticket - r);
    }

    /// @dev A slot for a new member: the last released one if it was released at least two epochs ago (so no
    ///      readable snapshot gives it weight), else a new one, doubling the capacity when all are taken. A candidate
    ///      whose slot holds weight again (its member came back) is dropped. One candidate is looked at per call.
    function _allocate(Tree storage tree, uint32 epoch) private returns (uint256 slot) {
        uint256 free = tree.freeSlots.length;
        if (free > 0) {
            uint256 candidate = tree.freeSlots[free - 1];
            uint256 occupant = tree.slots[candidate];
            if ((occupant >> 160) & MASK_64 != 0) {
                tree.freeSlots.pop();
            } else if (uint256(epoch) >= (occupant >> 224) + 2) {
                tree.freeSlots.pop();
                delete tree.memberSlot[address(uint160(occupant))];
                return candidate;
            }
        }
        uint256 highest = tree.highestSlot;
        uint256 capacity_ = tree.fenwickSize;
        if (highest == capacity_) {
            if (capacity_ == 0) {
                tree.fenwickSize = 1;
            } else {
                // The new root covers (0, 2C]: the old total and its history, since slots above C are empty.
                tree.nodes[2 * capacity_] = tree.nodes[capacity_];
                tree.fenwickSize = uint64(2 * capacity_);
            }
        }
        slot = highest + 1;
        tree.highestSlot = uint64(slot);
    }

    /// @dev Adds (or subtracts) `delta` to `slot` and every node that covers it, in epoch `epoch`.
    function _update(
        Tree storage tree,
        uint256 slot,
        uint256 delta,
        bool increase,
        uint32 epoch,
        uint256 capacity_
    ) private {
        while (slot <= capacity_) {
            tree.nodes[slot] = _written(tree.nodes[slot], delta, increase, epoch);
            unchecked {
                slot += slot & (~slot + 1); // next covering node: add the lowest set bit
            }
        }
    }

    /// @dev A node after adding or subtracting `delta` in `epoch`. The first write of an epoch shifts the history:
    ///      the value until now becomes "end of the epoch before", and the old "end of the epoch before the last
    ///      write" becomes "end of the epoch before the write before".
    function _written(uint256 node, uint256 delta, bool increase, uint32 epoch) private pure returns (uint256) {
        uint256 value = node & MASK_64;
        uint256 updated = increase ? SafeCast.toUint64(value + delta) : value - delta;
        uint256 lastEpoch = (node >> 192) & MASK_32;
        if (lastEpoch == epoch) return (node & ~MASK_64) | updated;
        if (epoch < lastEpoch) revert SortitionTreeEpochInPast(epoch, lastEpoch);
        return
            updated | (value << 64) | (((node >> 64) & MASK_64) << 128) | (uint256(epoch) << 192) | (lastEpoch << 224);
    }
}
