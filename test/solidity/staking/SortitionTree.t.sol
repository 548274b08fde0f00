// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SortitionTree} from "../../../contracts/libraries/SortitionTree.sol";
import {SortitionTreeHarness} from "../../../contracts/mocks/SortitionTreeHarness.sol";
import {BaseTest} from "../utils/BaseTest.sol";

contract SortitionTreeTest is BaseTest {
    SortitionTreeHarness internal tree;

    function setUp() public {
        tree = new SortitionTreeHarness();
    }

    // ----------------------------------------------------------------------------------------------- helpers

    function _member(uint256 i) internal pure returns (address) {
        return address(uint160(0x1000 + i));
    }

    function _index(address member) internal pure returns (uint256) {
        return uint160(member) - 0x1000;
    }

    function _none() internal pure returns (address[] memory) {
        return new address[](0);
    }

    function _one(address a) internal pure returns (address[] memory list) {
        list = new address[](1);
        list[0] = a;
    }

    function _drawOf(uint256 ticket) internal view returns (address member) {
        (member, ) = tree.drawTicket(ticket);
    }

    /// @dev Linear reference: walk the members in slot order; the owner of `ticket` and its interval start.
    function _linearDraw(address[] memory members, uint256 ticket) internal view returns (address, uint256) {
        uint256 cumulative;
        uint256 highest;
        for (uint256 i = 0; i < members.length; i++) {
            if (tree.slotOf(members[i]) > highest) highest = tree.slotOf(members[i]);
        }
        for (uint256 slot = 1; slot <= highest; slot++) {
            for (uint256 i = 0; i < members.length; i++) {
                if (tree.slotOf(members[i]) != slot) continue;
                uint256 w = tree.weightOf(members[i]);
                if (ticket < cumulative + w) return (members[i], cumulative);
                cumulative += w;
            }
        }
        revert("unreachable");
    }

    function _countOf(address[] memory list, address who) internal pure returns (uint256 n) {
        for (uint256 i = 0; i < list.length; i++) if (list[i] == who) n++;
    }

    // ----------------------------------------------------------------------------------------------- set

    function test_set_allocatesSequentialSlots() public {
        tree.set(_member(1), 10);
        tree.set(_member(2), 20);
        assertEq(tree.slotOf(_member(1)), 1, "slot 1");
        assertEq(tree.slotOf(_member(2)), 2, "slot 2");
        assertEq(tree.weightOf(_member(1)), 10, "weight 1");
        assertEq(tree.weightOf(_member(2)), 20, "weight 2");
        assertEq(tree.total(), 30, "total");
        assertEq(tree.size(), 2, "size");
    }

    function test_set_zeroWeightForNonMemberIsNoop() public {
        tree.set(_member(1), 0);
        assertEq(tree.slotOf(_member(1)), 0, "no slot");
        assertEq(tree.size(), 0, "size");
        assertEq(tree.total(), 0, "total");
        assertEq(tree.capacity(), 0, "no capacity yet");
    }

    function test_set_increaseAndDecreaseKeepSlot() public {
        tree.set(_member(1), 10);
        tree.set(_member(2), 5);
        tree.set(_member(1), 25);
        assertEq(tree.total(), 30, "total after increase");
        tree.set(_member(1), 3);
        assertEq(tree.total(), 8, "total after decrease");
        tree.set(_member(1), 3);
        assertEq(tree.total(), 8, "total unchanged");
        assertEq(tree.slotOf(_member(1)), 1, "slot kept");
        assertEq(tree.weightOf(_member(1)), 3, "weight");
    }

    function test_set_zeroReleasesSlotAndReusesLifoTwoEpochsLater() public {
        tree.set(_member(1), 10);
        tree.set(_member(2), 20);
        tree.set(_member(3), 30);
        tree.set(_member(1), 0);
        tree.set(_member(3), 0);
        assertEq(tree.slotOf(_member(1)), 1, "1 keeps its slot while snapshots may hold it");
        assertEq(tree.weightOf(_member(1)), 0, "1 weight");
        assertEq(tree.size(), 1, "size");
        assertEq(tree.total(), 20, "total");
        tree.setEpoch(4);
        tree.set(_member(4), 4);
        tree.set(_member(5), 5);
        assertEq(tree.slotOf(_member(4)), 3, "last freed first");
        assertEq(tree.slotOf(_member(5)), 1, "then earlier");
        assertEq(tree.slotOf(_member(3)), 0, "3 lost its slot");
        assertEq(tree.slotOf(_member(1)), 0, "1 lost its slot");
        tree.set(_member(6), 6);
        assertEq(tree.slotOf(_member(6)), 4, "fresh slot");
        assertEq(tree.total(), 35, "total");
    }

    function test_set_releasedSlotNotReusedWithinTwoEpochs() public {
        tree.set(_member(1), 10);
        tree.set(_member(2), 20);
        tree.setEpoch(3);
        tree.set(_member(1), 0);
        tree.set(_member(3), 3);
        assertEq(tree.slotOf(_member(3)), 3, "not in the release epoch");
        tree.setEpoch(4);
        tree.set(_member(4), 4);
        assertEq(tree.slotOf(_member(4)), 4, "nor the next one");
        tree.setEpoch(5);
        tree.set(_member(5), 5);
        assertEq(tree.slotOf(_member(5)), 1, "two epochs later");
    }

    function test_set_memberComingBackReclaimsItsSlot() public {
        tree.set(_member(1), 10);
        tree.set(_member(2), 20);
        tree.set(_member(1), 0);
        tree.set(_member(1), 7);
        assertEq(tree.slotOf(_member(1)), 1, "same slot");
        assertEq(tree.size(), 2, "size");
        tree.setEpoch(9);
        tree.set(_member(3), 3);
        assertEq(tree.slotOf(_member(3)), 3, "the stale free entry is dropped, not reused");
        assertEq(tree.slotOf(_member(1)), 1, "1 keeps its slot");
        assertEq(tree.weightOf(_member(1)), 7, "1 weight");
        tree.set(_member(4), 4);
        assertEq(tree.slotOf(_member(4)), 4, "fresh slot");
    }

    function test_revert_set_epochInPast() public {
        tree.setEpoch(5);
        tree.set(_member(1), 10);
        tree.setEpoch(4);
        vm.expectRevert(abi.encodeWithSelector(SortitionTree.SortitionTreeEpochInPast.selector, 4, 5));
        tree.set(_member(1), 11);
    }

    function test_revert_set_zeroMember() public {
        vm.expectRevert(abi.encodeWithSelector(SortitionTree.SortitionTreeZeroMember.selector));
        tree.set(address(0), 1);
    }

    function test_set_maxTotalWeight() public {
        uint256 half = uint256(type(uint64).max) / 2;
        tree.set(_member(1), half);
        tree.set(_member(2), half + 1);
        assertEq(tree.weightOf(_member(1)), half, "weight");
        assertEq(tree.total(), type(uint64).max, "total");
        assertEq(_drawOf(half), _member(2), "second interval");
    }

    function test_revert_set_totalBeyondUint64() public {
        tree.set(_member(1), type(uint64).max);
        vm.expectRevert(
            abi.encodeWithSignature("SafeCastOverflowedUintDowncast(uint8,uint256)", 64, uint256(type(uint64).max) + 1)
        );
        tree.set(_member(2), 1);
    }

    // ----------------------------------------------------------------------------------------------- growth

    function test_set_capacityDoublesWhenFull() public {
        uint256[9] memory expected = [uint256(1), 2, 4, 4, 8, 8, 8, 8, 16];
        for (uint256 i = 1; i <= 9; i++) {
            tree.set(_member(i), i);
            assertEq(tree.capacity(), expected[i - 1], "capacity");
            assertEq(tree.total(), (i * (i + 1)) / 2, "total after growth");
        }
        // The member of the first slot after a doubling is drawable at the start of its interval.
        assertEq(_drawOf(36), _member(9), "slot 9 first ticket");
        assertEq(_drawOf(44), _member(9), "slot 9 last ticket");
    }

    function test_set_freeSlotReusedBeforeGrowth() public {
        for (uint256 i = 1; i <= 4; i++) tree.set(_member(i), 1);
        assertEq(tree.capacity(), 4, "full at 4");
        tree.set(_member(2), 0);
        tree.setEpoch(4);
        tree.set(_member(5), 7);
        assertEq(tree.capacity(), 4, "no growth");
        assertEq(tree.slotOf(_member(5)), 2, "reused slot 2");
        tree.set(_member(6), 1);
        assertEq(tree.capacity(), 8, "grows when no free slot");
        assertEq(tree.slotOf(_member(6)), 5, "slot 5");
    }

    /// @notice 1,100 members (capacity 2,048 after 11 doublings): totals, prefix sums and every interval stay exact.
    function test_set_growthAcrossManyDoublings() public {
        uint256 n = 1100;
        tree.addMany(0, n, 3);
        assertEq(tree.capacity(), 2048, "capacity");
        assertEq(tree.size(), n, "size");
        assertEq(tree.total(), 3 * n, "total");
        for (uint256 i = 0; i < n; i += 37) {
            address m = tree.memberOf(i);
            uint256 slot = tree.slotOf(m);
            assertEq(slot, i + 1, "slot");
            assertEq(tree.prefixSum(slot), 3 * slot, "prefix");
            (address drawn, uint256 start) = tree.drawTicket(3 * i + 2);
            assertEq(drawn, m, "draw");
            assertEq(start, 3 * i, "start");
        }
        assertEq(_drawOf(3 * n - 1), tree.memberOf(n - 1), "last ticket");
        // Weight changes anywhere keep the total exact.
        tree.set(tree.memberOf(0), 10);
        tree.set(tree.memberOf(1023), 0);
        tree.set(tree.memberOf(1099), 1);
        assertEq(tree.total(), 3 * n + 7 - 3 - 2, "total after updates");
        assertEq(tree.prefixSum(1024), 3 * 1024 + 7 - 3, "prefix over a removed slot");
    }

    // ----------------------------------------------------------------------------------------------- drawTicket

    function test_drawTicket_intervalBoundaries() public {
        tree.set(_member(1), 10); // [0, 10)
        tree.set(_member(2), 7);
        tree.set(_member(2), 0); // slot 2 empty
        tree.set(_member(3), 0); // never a member
        tree.set(_member(4), 5); // slot 2 again: [10, 15)
        tree.set(_member(5), 1); // slot 3: [15, 16)
        (address m, uint256 start) = tree.drawTicket(0);
        assertEq(m, _member(1), "0");
        assertEq(start, 0, "start 0");
        (m, start) = tree.drawTicket(9);
        assertEq(m, _member(1), "9");
        assertEq(start, 0, "start 9");
        (m, start) = tree.drawTicket(10);
        assertEq(m, _member(4), "10");
        assertEq(start, 10, "start 10");
        (m, start) = tree.drawTicket(14);
        assertEq(m, _member(4), "14");
        assertEq(start, 10, "start 14");
        (m, start) = tree.drawTicket(15);
        assertEq(m, _member(5), "15");
        assertEq(start, 15, "start 15");
    }

    function test_revert_drawTicket_outOfRange() public {
        tree.set(_member(1), 10);
        vm.expectRevert(abi.encodeWithSelector(SortitionTree.SortitionTreeTicketOutOfRange.selector, 10, 10));
        tree.drawTicket(10);
    }

    function test_revert_drawTicket_emptyTree() public {
        vm.expectRevert(abi.encodeWithSelector(SortitionTree.SortitionTreeTicketOutOfRange.selector, 0, 0));
        tree.drawTicket(0);
    }

    function test_draw_emptyReturnsZero() public view {
        assertEq(tree.draw(12345), address(0), "empty");
    }

    /// @notice Each member owns exactly `weight` of the tickets `[0, total)`: draws are proportional to weight.
    function test_drawTicket_exactFrequency() public {
        tree.set(_member(0), 1);
        tree.set(_member(1), 3);
        tree.set(_member(2), 6);
        tree.set(_member(3), 11);
        uint256[4] memory counts;
        for (uint256 r = 0; r < tree.total(); r++) counts[_index(_drawOf(r))]++;
        assertEq(counts[0], 1, "member 0");
        assertEq(counts[1], 3, "member 1");
        assertEq(counts[2], 6, "member 2");
        assertEq(counts[3], 11, "member 3");
    }

    /// @notice 4,000 hashed draws land on each member in proportion to its weight (within 4 standard deviations).
    function test_draw_randomFrequencyProportional() public {
        uint256[4] memory weights = [uint256(100), 200, 300, 400];
        for (uint256 i = 0; i < 4; i++) tree.set(_member(i), weights[i]);
        uint256 n = 4000;
        uint256[4] memory counts;
        for (uint256 k = 0; k < n; k++) counts[_index(tree.draw(uint256(keccak256(abi.encode("freq", k)))))]++;
        for (uint256 i = 0; i < 4; i++) {
            uint256 expected = (n * weights[i]) / 1000; // 400, 800, 1200, 1600; sd <= 31
            assertLe(counts[i], expected + 124, "not above expectation");
            assertGe(counts[i], expected - 124, "not below expectation");
        }
    }

    // ----------------------------------------------------------------------------------------------- views

    function test_prefixSum_clampsToCapacity() public {
        tree.set(_member(1), 4);
        tree.set(_member(2), 6);
        assertEq(tree.prefixSum(0), 0, "0");
        assertEq(tree.prefixSum(1), 4, "1");
        assertEq(tree.prefixSum(2), 10, "2");
        assertEq(tree.prefixSum(1000), 10, "clamped");
    }

    // ----------------------------------------------------------------------------------------------- exclusions

    function test_exclusions_skipIntervalsInAscendingOrder() public view {
        uint256[] memory starts = new uint256[](3);
        uint256[] memory lengths = new uint256[](3);
        // Inserted out of order: [10, 15), [2, 4), [5, 6).
        (starts[0], lengths[0]) = (10, 5);
        (starts[1], lengths[1]) = (2, 2);
        (starts[2], lengths[2]) = (5, 1);
        uint256[8] memory expected = [uint256(0), 1, 4, 6, 7, 8, 9, 15];
        for (uint256 r = 0; r < 8; r++) {
            (uint256 ticket, uint256 excludedTickets) = tree.ticketAfterExclusions(starts, lengths, r);
            assertEq(ticket, expected[r], "ticket");
            assertEq(excludedTickets, 8, "excluded");
        }
    }

    function test_exclusions_duplicateIgnored() public view {
        uint256[] memory starts = new uint256[](2);
        uint256[] memory lengths = new uint256[](2);
        (starts[0], lengths[0]) = (3, 4);
        (starts[1], lengths[1]) = (3, 4);
        (uint256 ticket, uint256 excludedTickets) = tree.ticketAfterExclusions(starts, lengths, 3);
        assertEq(ticket, 7, "skips once");
        assertEq(excludedTickets, 4, "counted once");
    }

    function test_exclusions_zeroLengthIgnored() public view {
        uint256[] memory starts = new uint256[](1);
        uint256[] memory lengths = new uint256[](1);
        (uint256 ticket, uint256 excludedTickets) = tree.ticketAfterExclusions(starts, lengths, 0);
        assertEq(ticket, 0, "nothing skipped");
        assertEq(excludedTickets, 0, "nothing excluded");
    }

    function test_exclusions_fillToCapacity() public view {
        assertEq(tree.fillExclusions(5, 5), 5, "full");
    }

    function test_revert_exclusions_overCapacity() public {
        vm.expectRevert(abi.encodeWithSelector(SortitionTree.SortitionTreeExclusionsFull.selector, 5));
        tree.fillExclusions(5, 6);
    }

    // ----------------------------------------------------------------------------------------------- panels

    function test_drawPanel_exactSize() public {
        for (uint256 i = 0; i < 10; i++) tree.set(_member(i), 5);
        for (uint256 k = 0; k < 20; k++) {
            assertEq(tree.drawPanel(k, 11, _none()).length, 11, "11 seats");
        }
    }

    function test_drawPanel_zeroSeatsIsEmpty() public {
        tree.set(_member(0), 5);
        assertEq(tree.drawPanel(1, 0, _none()).length, 0, "empty");
    }

    function test_drawPanel_emptyTreeIsEmpty() public view {
        assertEq(tree.drawPanel(1, 1, _none()).length, 0, "empty");
    }

    function test_drawPanel_unitWeightsNeverRepeat() public {
        for (uint256 i = 0; i < 12; i++) tree.set(_member(i), 1);
        for (uint256 k = 0; k < 20; k++) {
            address[] memory panel = tree.drawPanel(k, 11, _none());
            for (uint256 i = 0; i < 12; i++) assertLe(_countOf(panel, _member(i)), 1, "distinct tickets");
        }
    }

    /// @notice Drawing every ticket gives each member exactly its weight in seats.
    function test_drawPanel_allTicketsGivesEachItsWeight() public {
        tree.set(_member(0), 1);
        tree.set(_member(1), 4);
        tree.set(_member(2), 2);
        tree.set(_member(3), 6);
        address[] memory panel = tree.drawPanel(7, 13, _none());
        assertEq(panel.length, 13, "size");
        assertEq(_countOf(panel, _member(0)), 1, "member 0");
        assertEq(_countOf(panel, _member(1)), 4, "member 1");
        assertEq(_countOf(panel, _member(2)), 2, "member 2");
        assertEq(_countOf(panel, _member(3)), 6, "member 3");
    }

    function test_drawPanel_excludedNeverDrawn() public {
        tree.set(_member(0), 1000);
        for (uint256 i = 1; i < 6; i++) tree.set(_member(i), 1);
        for (uint256 k = 0; k < 10; k++) {
            address[] memory panel = tree.drawPanel(k, 5, _one(_member(0)));
            assertEq(panel.length, 5, "size");
            assertEq(_countOf(panel, _member(0)), 0, "excluded");
        }
    }

    function test_drawPanel_tooFewTicketsAfterExclusionIsEmpty() public {
        tree.set(_member(0), 10);
        tree.set(_member(1), 2);
        tree.set(_member(2), 2);
        assertEq(tree.drawPanel(1, 5, _one(_member(0))).length, 0, "4 tickets < 5 seats");
        assertEq(tree.drawPanel(1, 4, _one(_member(0))).length, 4, "4 tickets == 4 seats");
    }

    function test_drawPanel_duplicateAndNonMemberExclusionsIgnored() public {
        tree.set(_member(0), 3);
        tree.set(_member(1), 3);
        address[] memory excluded = new address[](4);
        excluded[0] = _member(0);
        excluded[1] = _member(0);
        excluded[2] = _member(9); // no weight
        excluded[3] = address(0);
        address[] memory panel = tree.drawPanel(1, 3, excluded);
        assertEq(panel.length, 3, "member 1's three tickets remain");
        assertEq(_countOf(panel, _member(1)), 3, "all member 1");
    }

    function test_drawPanel_deterministicInSeed() public {
        for (uint256 i = 0; i < 8; i++) tree.set(_member(i), i + 1);
        address[] memory a = tree.drawPanel(42, 5, _none());
        address[] memory b = tree.drawPanel(42, 5, _none());
        for (uint256 i = 0; i < 5; i++) assertEq(a[i], b[i], "same seed, same panel");
    }

    // ----------------------------------------------------------------------------------------------- snapshots

    function test_snapshot_readsTheEndOfEachOfTheLastTwoEpochs() public {
        tree.set(_member(1), 10); // epoch 2
        tree.set(_member(2), 20);
        tree.setEpoch(3);
        tree.set(_member(1), 15);
        tree.set(_member(3), 30);
        tree.setEpoch(4);
        tree.set(_member(2), 0);
        tree.set(_member(1), 1);
        assertEq(tree.totalAt(2), 30, "end of epoch 2");
        assertEq(tree.totalAt(3), 65, "end of epoch 3");
        assertEq(tree.totalAt(SortitionTree.CURRENT), 31, "live");
        assertEq(tree.weightAt(_member(1), 2), 10, "1 at 2");
        assertEq(tree.weightAt(_member(1), 3), 15, "1 at 3");
        assertEq(tree.weightAt(_member(2), 3), 20, "2 at 3, although it left since");
        assertEq(tree.weightAt(_member(3), 2), 0, "3 joined after 2");
        assertEq(tree.weightAt(_member(1), 4), 1, "epoch 4 so far == live");
    }

    function test_snapshot_panelIgnoresChangesAfterTheEpoch() public {
        for (uint256 i = 0; i < 6; i++) tree.set(_member(i), 5);
        tree.setEpoch(3);
        address[] memory before = tree.drawPanelAt(7, 5, _none(), 2);
        // Everything an attacker who knows the seed could do in epoch 3: join, leave, grow, shrink.
        tree.set(_member(50), 1_000);
        tree.set(_member(0), 0);
        tree.set(_member(1), 500);
        for (uint256 i = 100; i < 140; i++) tree.set(_member(i), 1); // two doublings
        address[] memory after_ = tree.drawPanelAt(7, 5, _none(), 2);
        for (uint256 i = 0; i < 5; i++) assertEq(after_[i], before[i], "same seat");
        assertEq(tree.totalAt(2), 30, "frozen total");
    }

    function test_snapshot_memberThatLeftIsStillExcludedWithItsFrozenTickets() public {
        tree.set(_member(0), 1_000);
        tree.set(_member(1), 3);
        tree.setEpoch(3);
        tree.set(_member(0), 0); // the party leaves after the snapshot
        for (uint256 k = 0; k < 10; k++) {
            address[] memory panel = tree.drawPanelAt(k, 3, _one(_member(0)), 2);
            assertEq(_countOf(panel, _member(1)), 3, "only member 1 is drawn");
        }
        assertEq(tree.drawPanelAt(1, 3, _none(), 2).length, 3, "not excluded: its frozen tickets count");
    }

    function test_snapshot_slotReusedTwoEpochsLaterDoesNotChangeTheSnapshot() public {
        tree.set(_member(0), 4);
        tree.set(_member(1), 4);
        tree.setEpoch(3);
        tree.set(_member(0), 0);
        tree.setEpoch(5);
        tree.set(_member(9), 8); // takes slot 1
        assertEq(tree.slotOf(_member(9)), 1, "reused");
        assertEq(tree.weightAt(_member(9), 3), 0, "no weight in the epoch-3 snapshot");
        assertEq(tree.totalAt(3), 4, "epoch 3: member 1 only");
        address[] memory panel = tree.drawPanelAt(3, 4, _none(), 3);
        assertEq(_countOf(panel, _member(1)), 4, "all four seats are member 1's");
    }

    /// @notice The member count keeps the same two-epoch history as a Fenwick node: it changes when a weight goes from
    ///         zero to positive or back, never on another weight change.
    function test_membersAt_countsMembersWithWeightAtTheEndOfEachOfTheLastTwoEpochs() public {
        tree.set(_member(1), 10); // epoch 2
        tree.set(_member(2), 20);
        tree.setEpoch(3);
        tree.set(_member(1), 15); // a weight change: same members
        tree.set(_member(3), 30);
        tree.setEpoch(4);
        tree.set(_member(2), 0);
        tree.set(_member(4), 1);
        tree.set(_member(4), 0); // joined and left within the epoch
        tree.set(_member(1), 1);
        assertEq(tree.membersAt(2), 2, "end of epoch 2");
        assertEq(tree.membersAt(3), 3, "end of epoch 3");
        assertEq(tree.membersAt(4), 2, "epoch 4 so far == live");
        assertEq(tree.membersAt(SortitionTree.CURRENT), 2, "live");
        assertEq(tree.size(), 2, "size == live count");
    }

    function test_membersAt_emptyBeforeTheFirstMemberAndAfterTheLast() public {
        assertEq(tree.membersAt(SortitionTree.CURRENT), 0, "empty tree");
        tree.set(_member(1), 10);
        tree.setEpoch(3);
        tree.set(_member(1), 0);
        assertEq(tree.membersAt(2), 1, "end of epoch 2");
        assertEq(tree.membersAt(SortitionTree.CURRENT), 0, "the last member left");
        assertEq(tree.size(), 0, "size");
    }

    /// @notice A minimum number of members: enough tickets for every seat is not enough when fewer members than
    ///         `minMembers` hold them.
    function test_drawPanelAmong_tooFewMembersIsEmptyWhateverTheTickets() public {
        tree.set(_member(0), 100);
        tree.set(_member(1), 100);
        tree.setEpoch(3);
        assertEq(tree.drawPanelAmong(1, 3, _none(), 2, 3).length, 0, "200 tickets, 2 members < 3");
        assertEq(tree.drawPanelAmong(1, 3, _none(), 2, 2).length, 3, "2 members >= 2: drawn");
        assertEq(tree.drawPanelAt(1, 3, _none(), 2).length, 3, "no minimum: drawn");
    }

    function test_drawPanelAmong_exactlyMinMembersIsDrawn() public {
        for (uint256 i = 0; i < 3; i++) tree.set(_member(i), 1);
        tree.set(_member(3), 50);
        tree.setEpoch(3);
        address[] memory panel = tree.drawPanelAmong(5, 4, _none(), 2, 4);
        assertEq(panel.length, 4, "4 members, 4 required");
        assertEq(tree.drawPanelAmong(5, 4, _none(), 2, 5).length, 0, "4 members, 5 required");
    }

    /// @notice Excluded members that hold weight in the snapshot do not count; duplicates, non-members and members
    ///         without weight in the snapshot are not subtracted.
    function test_drawPanelAmong_excludedMembersDoNotCount() public {
        for (uint256 i = 0; i < 5; i++) tree.set(_member(i), 10);
        tree.setEpoch(3);
        tree.set(_member(8), 10); // joins after the snapshot
        address[] memory excluded = new address[](5);
        excluded[0] = _member(0);
        excluded[1] = _member(1);
        excluded[2] = _member(0); // duplicate
        excluded[3] = _member(8); // no weight in the snapshot
        excluded[4] = _member(9); // never a member
        assertEq(tree.drawPanelAmong(1, 3, excluded, 2, 3).length, 3, "5 members - 2 excluded == 3");
        assertEq(tree.drawPanelAmong(1, 4, excluded, 2, 4).length, 0, "3 members left < 4");
    }

    /// @notice The count is the snapshot's: a member that left after it still counts (it is seated by its frozen
    ///         tickets), a member that joined after it does not.
    function test_drawPanelAmong_countsTheMembersOfTheSnapshot() public {
        for (uint256 i = 0; i < 3; i++) tree.set(_member(i), 10);
        tree.setEpoch(3);
        tree.set(_member(0), 0); // leaves after the snapshot
        tree.set(_member(7), 10); // joins after it
        tree.set(_member(8), 10);
        assertEq(tree.membersAt(2), 3, "snapshot");
        assertEq(tree.size(), 4, "live");
        address[] memory panel = tree.drawPanelAmong(3, 3, _none(), 2, 3);
        assertEq(panel.length, 3, "the leaver still counts in its snapshot");
        for (uint256 s = 0; s < 3; s++) assertTrue(panel[s] != _member(7) && panel[s] != _member(8), "not a joiner");
        assertEq(tree.drawPanelAmong(3, 4, _none(), 2, 4).length, 0, "the joiners do not count");
    }

    function test_snapshot_capacityDoubledSinceKeepsTheFrozenTree() public {
        for (uint256 i = 0; i < 4; i++) tree.set(_member(i), i + 1);
        assertEq(tree.capacity(), 4, "full");
        tree.setEpoch(3);
        tree.set(_member(4), 100);
        assertEq(tree.capacity(), 8, "doubled");
        assertEq(tree.totalAt(2), 10, "frozen total under the new root");
        assertEq(tree.prefixSumAt(3, 2), 6, "frozen prefix");
        address[] memory panel = tree.drawPanelAt(11, 10, _none(), 2);
        for (uint256 i = 0; i < 4; i++) assertEq(_countOf(panel, _member(i)), i + 1, "every frozen ticket once");
    }

    /// @dev Random weight changes over several epochs, against a reference of every member's weight at the end of
    ///      each epoch: the tree's snapshots of the last two epochs (and the live values) agree with it exactly.
    function testFuzz_snapshot_matchesReplayedHistory(uint256 seed) public {
        uint256 n = 1 + (seed % 20);
        uint256[][] memory history = new uint256[][](8); // history[e][i]: weight of member i at the end of epoch e
        uint256[] memory live = new uint256[](n);
        uint256 epoch = 2;
        for (uint256 step = 0; step < 60; step++) {
            uint256 h = uint256(keccak256(abi.encode(seed, step)));
            if (h % 5 == 0 && epoch < 7) {
                history[epoch] = _copy(live);
                epoch += 1 + ((h >> 8) % 2); // sometimes an epoch without writes
                if (epoch > 7) epoch = 7;
                for (uint256 e = 2; e < epoch; e++) if (history[e].length == 0) history[e] = _copy(live);
                tree.setEpoch(epoch);
            }
            uint256 i = (h >> 16) % n;
            uint256 w = (h >> 32) % 3 == 0 ? 0 : 1 + ((h >> 40) % 50);
            tree.set(_member(i), w);
            live[i] = w;
        }
        for (uint256 q = epoch >= 4 ? epoch - 2 : 2; q < epoch; q++) {
            uint256 sum;
            uint256 members;
            for (uint256 i = 0; i < n; i++) {
                assertEq(tree.weightAt(_member(i), q), history[q][i], "weight at q");
                sum += history[q][i];
                if (history[q][i] > 0) members++;
            }
            assertEq(tree.totalAt(q), sum, "total at q");
            assertEq(tree.membersAt(q), members, "members at q");
        }
        uint256 liveSum;
        uint256 liveMembers;
        for (uint256 i = 0; i < n; i++) {
            assertEq(tree.weightOf(_member(i)), live[i], "live weight");
            liveSum += live[i];
            if (live[i] > 0) liveMembers++;
        }
        assertEq(tree.total(), liveSum, "live total");
        assertEq(tree.size(), liveMembers, "live members");
        assertEq(tree.membersAt(SortitionTree.CURRENT), liveMembers, "live members by membersAt");
        assertEq(tree.membersAt(epoch), liveMembers, "the current epoch so far == live");
    }

    function _copy(uint256[] memory a) internal pure returns (uint256[] memory b) {
        b = new uint256[](a.length);
        for (uint256 i = 0; i < a.length; i++) b[i] = a[i];
    }

    // ----------------------------------------------------------------------------------------------- fuzz

    /// @dev Random sets (including removals); the total is the sum of the weights and every ticket maps to the
    ///      linear reference's owner and start.
    function testFuzz_drawTicket_matchesLinearReference(uint256 seed, uint256 randomness) public {
        uint256 n = bound(seed % 997, 1, 12);
        address[] memory members = new address[](n);
        for (uint256 i = 0; i < n; i++) members[i] = _member(i + 1);

        for (uint256 step = 0; step < 24; step++) {
            uint256 h = uint256(keccak256(abi.encode(seed, step)));
            // One step in four removes, the others set a weight up to 2^59 (12 of them fit the uint64 total).
            uint256 w = (h >> 8) % 4 == 0 ? 0 : bound(h >> 16, 1, 2 ** 59);
            tree.set(members[h % n], w);
        }

        uint256 sum;
        for (uint256 i = 0; i < n; i++) sum += tree.weightOf(members[i]);
        assertEq(tree.total(), sum, "total == sum of weights");
        vm.assume(sum > 0);

        uint256 ticket = randomness % sum;
        (address m, uint256 start) = tree.drawTicket(ticket);
        (address refM, uint256 refStart) = _linearDraw(members, ticket);
        assertEq(m, refM, "member == linear reference");
        assertEq(start, refStart, "start == linear reference");
        for (uint256 i = 0; i < n; i++) {
            uint256 slot = tree.slotOf(members[i]);
            if (tree.weightOf(members[i]) == 0) continue;
            uint256 s = tree.prefixSum(slot - 1);
            uint256 e = tree.prefixSum(slot);
            assertEq(e - s, tree.weightOf(members[i]), "interval width");
            assertEq(_drawOf(s), members[i], "interval start");
            assertEq(_drawOf(e - 1), members[i], "interval end");
        }
    }

    /// @dev Many members and removals across doublings: total and size stay exact.
    function testFuzz_set_totalEqualsSum(uint256 seed) public {
        uint256 n = bound(seed, 1, 80);
        uint256 sum;
        for (uint256 i = 0; i < n; i++) {
            uint256 w = uint256(keccak256(abi.encode(seed, i))) % 50;
            tree.set(_member(i), w);
            sum += w;
        }
        uint256 members;
        for (uint256 i = 0; i < n; i++) if (tree.weightOf(_member(i)) > 0) members++;
        for (uint256 i = 0; i < n; i += 3) {
            sum -= tree.weightOf(_member(i));
            if (tree.weightOf(_member(i)) > 0) members--;
            tree.set(_member(i), 0);
        }
        assertEq(tree.total(), sum, "total");
        assertEq(tree.size(), members, "size");
        assertEq(tree.prefixSum(type(uint256).max), sum, "prefix of all");
    }

    /// @dev Up to 300 members across up to 9 doublings, with removals and slot reuse: every member's interval is
    ///      where the prefix sums say, is drawn at both of its ends, and the intervals tile `[0, total)`.
    function testFuzz_set_intervalsExactAcrossGrowth(uint256 seed) public {
        uint256 n = bound(seed, 1, 300);
        for (uint256 i = 0; i < n; i++) tree.set(_member(i), 1 + (uint256(keccak256(abi.encode(seed, i))) % 9));
        for (uint256 i = 0; i < n; i += 4) tree.set(_member(i), 0); // release slots
        tree.setEpoch(4); // two epochs later they may be handed out again
        for (uint256 i = 0; i < n; i += 8) tree.set(_member(n + i), 3); // reuse some of them
        uint256 sum;
        for (uint256 i = 0; i < 2 * n; i++) {
            address m = _member(i);
            uint256 w = tree.weightOf(m);
            if (w == 0) continue;
            sum += w;
            uint256 slot = tree.slotOf(m);
            uint256 start = tree.prefixSum(slot - 1);
            assertEq(tree.prefixSum(slot) - start, w, "interval width");
            (address first, uint256 s) = tree.drawTicket(start);
            assertEq(first, m, "first ticket");
            assertEq(s, start, "start");
            assertEq(_drawOf(start + w - 1), m, "last ticket");
        }
        assertEq(tree.total(), sum, "intervals tile [0, total)");
    }

    /// @dev A slot released by a member whose weight went to 0 is the next slot handed out two epochs later.
    function testFuzz_set_slotReuse(uint256 count, uint256 leaver, uint256 weight) public {
        count = bound(count, 1, 40);
        leaver = bound(leaver, 1, count);
        weight = bound(weight, 1, type(uint64).max / 40);
        for (uint256 i = 1; i <= count; i++) tree.set(_member(i), weight);
        uint256 capacityBefore = tree.capacity();
        uint256 freed = tree.slotOf(_member(leaver));
        tree.set(_member(leaver), 0);
        assertEq(tree.size(), count - 1, "size after leave");
        assertEq(tree.total(), (count - 1) * weight, "total after leave");
        tree.setEpoch(4);
        tree.set(_member(1000), weight);
        assertEq(tree.slotOf(_member(1000)), freed, "freed slot reused");
        assertEq(tree.capacity(), capacityBefore, "no growth");
        assertEq(tree.size(), count, "size after join");
        assertEq(tree.total(), count * weight, "total after join");
    }

    /// @dev Any tree, exclusion list and seat count: the panel has exactly `seats` entries when enough tickets
    ///      remain (else none), never an excluded member, and no address more often than its weight.
    function testFuzz_drawPanel_properties(uint256 seed, uint256 seats, uint256 excludeMask) public {
        uint256 n = bound(seed % 1009, 1, 40);
        seats = bound(seats, 1, 31);
        uint256 remaining;
        uint256 excludedCount;
        for (uint256 i = 0; i < n; i++) {
            uint256 w = uint256(keccak256(abi.encode(seed, i))) % 6; // some zero
            tree.set(_member(i), w);
            if ((excludeMask >> i) & 1 == 1) excludedCount++;
            else remaining += w;
        }
        address[] memory excluded = new address[](excludedCount);
        excludedCount = 0;
        for (uint256 i = 0; i < n; i++) if ((excludeMask >> i) & 1 == 1) excluded[excludedCount++] = _member(i);

        address[] memory panel = tree.drawPanel(seed, seats, excluded);
        if (remaining < seats) {
            assertEq(panel.length, 0, "empty when too few tickets");
            return;
        }
        assertEq(panel.length, seats, "exact size");
        for (uint256 i = 0; i < n; i++) {
            uint256 c = _countOf(panel, _member(i));
            if ((excludeMask >> i) & 1 == 1) assertEq(c, 0, "excluded never drawn");
            assertLe(c, tree.weightOf(_member(i)), "no more seats than tickets");
        }
        for (uint256 s = 0; s < seats; s++) assertTrue(panel[s] != address(0), "seat filled");
    }

    /// @dev Any tree, changes after its snapshot, exclusion list (with duplicates), seat count and member minimum:
    ///      the snapshot's panel is empty exactly when fewer than `seats` tickets or fewer than `minMembers` members
    ///      outside the exclusions held weight in the snapshot; otherwise it is full and has no excluded member.
    function testFuzz_drawPanelAmong_emptyExactlyWhenTheSnapshotPoolIsTooSmall(
        uint256 seed,
        uint256 seats,
        uint256 minMembers,
        uint256 excludeMask
    ) public {
        uint256 n = bound(seed % 1013, 1, 24);
        seats = bound(seats, 1, 31);
        minMembers = bound(minMembers, 0, 26);
        uint256[] memory frozen = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            frozen[i] = uint256(keccak256(abi.encode(seed, i))) % 4; // some zero
            tree.set(_member(i), frozen[i]);
        }
        tree.setEpoch(3);
        for (uint256 i = 0; i < n; i++) {
            uint256 h = uint256(keccak256(abi.encode(seed, "after", i)));
            if (h % 3 == 0) tree.set(_member(i), (h >> 8) % 4); // leaves, joins or changes after the snapshot
        }
        uint256 excludedCount;
        for (uint256 i = 0; i < n; i++) if ((excludeMask >> i) & 1 == 1) excludedCount++;
        address[] memory excluded = new address[](2 * excludedCount);
        uint256 k;
        for (uint256 i = 0; i < n; i++) {
            if ((excludeMask >> i) & 1 == 0) continue;
            excluded[k++] = _member(i);
            excluded[k++] = _member(i); // every one twice
        }
        uint256 tickets;
        uint256 members;
        for (uint256 i = 0; i < n; i++) {
            if ((excludeMask >> i) & 1 == 1 || frozen[i] == 0) continue;
            tickets += frozen[i];
            members++;
        }

        address[] memory panel = tree.drawPanelAmong(seed, seats, excluded, 2, minMembers);
        if (tickets < seats || members < minMembers) {
            assertEq(panel.length, 0, "empty when the pool is too small");
            return;
        }
        assertEq(panel.length, seats, "exact size");
        for (uint256 i = 0; i < n; i++) {
            uint256 c = _countOf(panel, _member(i));
            if ((excludeMask >> i) & 1 == 1) assertEq(c, 0, "excluded never drawn");
            assertLe(c, frozen[i], "no more seats than frozen tickets");
        }
    }
}
