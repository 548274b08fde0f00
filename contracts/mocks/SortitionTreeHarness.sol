// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {SortitionTree} from "../libraries/SortitionTree.sol";

/// @title SortitionTreeHarness
/// @notice Exposes {SortitionTree} over one storage tree, for tests and the sortition benchmark. Never deploy outside
///         tests.
contract SortitionTreeHarness {
    using SortitionTree for SortitionTree.Tree;
    using SortitionTree for SortitionTree.Exclusions;

    SortitionTree.Tree internal _tree;
    /// @notice The epoch that {set} and {addMany} write in (tests move it forward with {setEpoch}).
    uint256 public epoch = 2;

    /// @notice Emitted by the non-view draw wrappers (so a transaction or `estimateGas` measures them).
    event Drawn(uint256 count);

    // ----------------------------------------------------------------------------------------------- updates

    /// @notice Sets the weight of `member`.
    function set(address member, uint256 weight) external {
        _tree.set(member, SafeCast.toUint64(weight), epoch);
    }

    /// @notice Sets the weights of the synthetic members `memberOf(startIndex) .. memberOf(startIndex + count - 1)`.
    function addMany(uint256 startIndex, uint256 count, uint256 weight) external {
        uint64 weight64 = SafeCast.toUint64(weight);
        for (uint256 i = startIndex; i < startIndex + count; ++i) {
            _tree.set(memberOf(i), weight64, epoch);
        }
    }

    /// @notice Sets the epoch of later writes (the library rejects going back).
    function setEpoch(uint256 epoch_) external {
        epoch = epoch_;
    }

    // ----------------------------------------------------------------------------------------------- draws

    /// @notice The owner of `ticket` and the start of its interval.
    function drawTicket(uint256 ticket) external view returns (address member, uint256 start) {
        return _tree.drawTicket(ticket);
    }

    /// @notice The owner of ticket `randomness % total` (address(0) when the tree is empty).
    function draw(uint256 randomness) public view returns (address member) {
        uint256 total_ = _tree.total();
        if (total_ == 0) return address(0);
        (member, ) = _tree.drawTicket(randomness % total_);
    }

    /// @notice A panel of `seats` distinct live tickets, none of an `excluded` member.
    function drawPanel(
        uint256 seed,
        uint256 seats,
        address[] calldata excluded
    ) public view returns (address[] memory members) {
        return _tree.drawPanel(seed, seats, excluded, SortitionTree.CURRENT, 0);
    }

    /// @notice A panel from the weights at the end of epoch `atEpoch`.
    function drawPanelAt(
        uint256 seed,
        uint256 seats,
        address[] calldata excluded,
        uint256 atEpoch
    ) external view returns (address[] memory members) {
        return _tree.drawPanel(seed, seats, excluded, atEpoch, 0);
    }

    /// @notice A panel from the weights at the end of epoch `atEpoch`, drawn only when at least `minMembers`
    ///         members outside `excluded` held weight then.
    function drawPanelAmong(
        uint256 seed,
        uint256 seats,
        address[] calldata excluded,
        uint256 atEpoch,
        uint256 minMembers
    ) external view returns (address[] memory members) {
        return _tree.drawPanel(seed, seats, excluded, atEpoch, minMembers);
    }

    /// @notice {draw} in a transaction (for gas measurements).
    function drawTx(uint256 randomness) external returns (address member) {
        member = draw(randomness);
        emit Drawn(1);
    }

    /// @notice {drawPanel} in a transaction (for gas measurements).
    function drawPanelTx(
        uint256 seed,
        uint256 seats,
        address[] calldata excluded
    ) external returns (address[] memory members) {
        members = drawPanel(seed, seats, excluded);
        emit Drawn(members.length);
    }

    /// @notice The `r`-th non-excluded ticket after excluding the given intervals in order.
    function ticketAfterExclusions(
        uint256[] calldata starts,
        uint256[] calldata lengths,
        uint256 r
    ) external pure returns (uint256 ticket, uint256 excludedTickets) {
        SortitionTree.Exclusions memory ex = SortitionTree.newExclusions(starts.length);
        for (uint256 i = 0; i < starts.length; ++i) {
            ex.excludeRange(starts[i], lengths[i]);
        }
        return (ex.ticketAt(r), ex.tickets);
    }

    /// @notice Adds `count` intervals to an exclusion list with room for `maxIntervals` (reverts when full).
    function fillExclusions(uint256 maxIntervals, uint256 count) external pure returns (uint256 intervals) {
        SortitionTree.Exclusions memory ex = SortitionTree.newExclusions(maxIntervals);
        for (uint256 i = 0; i < count; ++i) {
            ex.excludeRange(i * 2, 1);
        }
        return ex.count;
    }

    // ----------------------------------------------------------------------------------------------- views

    /// @notice The synthetic member of index `i` used by {addMany}.
    function memberOf(uint256 i) public pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode("sortition-member", i)))));
    }

    function total() external view returns (uint256) {
        return _tree.total();
    }

    function weightOf(address member) external view returns (uint256) {
        return _tree.weightOf(member);
    }

    function weightAt(address member, uint256 atEpoch) external view returns (uint256) {
        return _tree.weightAt(member, atEpoch);
    }

    function totalAt(uint256 atEpoch) external view returns (uint256) {
        return _tree.totalAt(atEpoch);
    }

    function prefixSumAt(uint256 slot, uint256 atEpoch) external view returns (uint256) {
        return _tree.prefixSumAt(slot, atEpoch);
    }

    function slotOf(address member) external view returns (uint256) {
        return _tree.slotOf(member);
    }

    function size() external view returns (uint256) {
        return _tree.size();
    }

    function membersAt(uint256 atEpoch) external view returns (uint256) {
        return _tree.membersAt(atEpoch);
    }

    function capacity() external view returns (uint256) {
        return _tree.capacity();
    }

    function prefixSum(uint256 slot) external view returns (uint256) {
        return _tree.prefixSum(slot);
    }
}
