// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SortitionTree} from "../../../contracts/libraries/SortitionTree.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice Exposes the `added` results of {SortitionTree.excludeMember} and {SortitionTree.excludeRange}, which the
///         shared harness drops.
contract ExclusionProbe {
    using SortitionTree for SortitionTree.Tree;
    using SortitionTree for SortitionTree.Exclusions;

    SortitionTree.Tree internal _tree;

    function set(address member, uint64 weight) external {
        _tree.set(member, weight, 2);
    }

    /// @notice Excludes `members` in order into one list; each call's result, then the list's intervals and tickets.
    function excludeMembers(
        address[] calldata members
    ) external view returns (bool[] memory added, uint256 count, uint256 tickets) {
        SortitionTree.Exclusions memory ex = SortitionTree.newExclusions(members.length);
        added = new bool[](members.length);
        for (uint256 i; i < members.length; ++i) added[i] = _tree.excludeMember(ex, members[i]);
        return (added, ex.count, ex.tickets);
    }

    /// @notice Excludes the intervals `[starts[i], starts[i] + lengths[i])` in order into one list.
    function excludeRanges(
        uint256[] calldata starts,
        uint256[] calldata lengths
    ) external pure returns (bool[] memory added, uint256 count, uint256 tickets) {
        SortitionTree.Exclusions memory ex = SortitionTree.newExclusions(starts.length);
        added = new bool[](starts.length);
        for (uint256 i; i < starts.length; ++i) added[i] = ex.excludeRange(starts[i], lengths[i]);
        return (added, ex.count, ex.tickets);
    }
}

/// @notice Tests written against mutants of `SortitionTree.sol` that the other suites let survive (docs/TESTING.md).
contract SortitionTreeMutantsTest is BaseTest {
    ExclusionProbe internal probe;

    address internal constant A = address(0xA1);
    address internal constant B = address(0xB2);
    address internal constant C = address(0xC3);

    function setUp() public {
        probe = new ExclusionProbe();
        probe.set(A, 3);
        probe.set(B, 5);
    }

    function _list(address x) internal pure returns (address[] memory list) {
        list = new address[](1);
        list[0] = x;
    }

    function test_excludeMember_nonMemberAddsNothing() public view {
        (bool[] memory added, uint256 count, uint256 tickets) = probe.excludeMembers(_list(C));
        assertFalse(added[0], "non-member: nothing added");
        assertEq(count, 0, "no interval");
        assertEq(tickets, 0, "no ticket");
    }

    function test_excludeMember_addsEachMemberOnceAndReportsDuplicates() public view {
        address[] memory members = new address[](3);
        members[0] = A;
        members[1] = B;
        members[2] = A;
        (bool[] memory added, uint256 count, uint256 tickets) = probe.excludeMembers(members);
        assertTrue(added[0], "A added");
        assertTrue(added[1], "B added");
        assertFalse(added[2], "A again: already excluded");
        assertEq(count, 2, "two intervals");
        assertEq(tickets, 8, "A's 3 and B's 5 tickets");
    }

    function test_excludeRange_emptyAndRepeatedIntervalsAddNothing() public view {
        uint256[] memory starts = new uint256[](3);
        uint256[] memory lengths = new uint256[](3);
        (starts[0], lengths[0]) = (4, 2);
        (starts[1], lengths[1]) = (9, 0);
        (starts[2], lengths[2]) = (4, 2);
        (bool[] memory added, uint256 count, uint256 tickets) = probe.excludeRanges(starts, lengths);
        assertTrue(added[0], "first interval added");
        assertFalse(added[1], "empty interval");
        assertFalse(added[2], "same interval again");
        assertEq(count, 1, "one interval");
        assertEq(tickets, 2, "its two tickets");
    }
}
