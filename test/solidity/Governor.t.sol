// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BaseTest} from "./utils/BaseTest.sol";
import {OPGToken} from "../../contracts/token/OPGToken.sol";
import {OPGGovernor} from "../../contracts/governance/OPGGovernor.sol";
import {OPGTimelock} from "../../contracts/governance/OPGTimelock.sol";
import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

contract GovernorTest is BaseTest {
    uint256 internal constant SUPPLY = 1_000_000_000e18;
    uint48 internal constant VOTING_DELAY = 1;
    uint32 internal constant VOTING_PERIOD = 50;
    uint256 internal constant THRESHOLD = 1_000e18;
    uint256 internal constant QUORUM_PERCENT = 4;
    uint256 internal constant TIMELOCK_DELAY = 2 days;

    OPGToken internal token;
    OPGTimelock internal timelock;
    OPGGovernor internal governor;
    address internal voter = address(0x70E5);
    address internal small = address(0x5A11);
    address internal recipient = address(0xBEEF);

    function setUp() public {
        vm.roll(10);
        vm.warp(1_000_000);
        token = new OPGToken(address(this), SUPPLY);
        timelock = new OPGTimelock(TIMELOCK_DELAY, new address[](0), new address[](1), address(this));
        governor = new OPGGovernor(
            IVotes(address(token)),
            TimelockController(payable(address(timelock))),
            VOTING_DELAY,
            VOTING_PERIOD,
            THRESHOLD,
            QUORUM_PERCENT
        );
        timelock.grantRole(timelock.PROPOSER_ROLE(), address(governor));
        timelock.grantRole(timelock.CANCELLER_ROLE(), address(governor));
        timelock.renounceRole(timelock.DEFAULT_ADMIN_ROLE(), address(this));

        token.transfer(voter, 100_000_000e18); // 10 % of the supply
        token.transfer(small, 999e18);
        token.transfer(address(timelock), 1_000e18);
        vm.prank(voter);
        token.delegate(voter);
        vm.prank(small);
        token.delegate(small);
        vm.roll(block.number + 1);
    }

    function _proposal()
        internal
        view
        returns (address[] memory targets, uint256[] memory values, bytes[] memory calldatas, string memory desc)
    {
        targets = new address[](1);
        values = new uint256[](1);
        calldatas = new bytes[](1);
        targets[0] = address(token);
        calldatas[0] = abi.encodeCall(IERC20.transfer, (recipient, 1_000e18));
        desc = "Pay 1000 OPG from the treasury";
    }

    function test_settings() public view {
        assertEq(governor.votingDelay(), VOTING_DELAY, "delay");
        assertEq(governor.votingPeriod(), VOTING_PERIOD, "period");
        assertEq(governor.proposalThreshold(), THRESHOLD, "threshold");
        assertEq(governor.quorumNumerator(), QUORUM_PERCENT, "quorum numerator");
        assertEq(governor.quorum(block.number - 1), (SUPPLY * QUORUM_PERCENT) / 100, "quorum");
        assertEq(governor.timelock(), address(timelock), "timelock");
        assertEq(address(governor.token()), address(token), "token");
        assertEq(keccak256(bytes(governor.name())), keccak256("OPG Governor"), "name");
        assertTrue(governor.proposalNeedsQueuing(0), "queuing");
        assertTrue(timelock.hasRole(timelock.EXECUTOR_ROLE(), address(0)), "open executor");
        assertTrue(!timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), address(this)), "admin renounced");
        assertEq(timelock.getMinDelay(), TIMELOCK_DELAY, "timelock delay");
    }

    function test_proposal_fullLifecycleThroughTimelock() public {
        (address[] memory targets, uint256[] memory values, bytes[] memory calldatas, string memory desc) = _proposal();
        vm.prank(voter);
        uint256 id = governor.propose(targets, values, calldatas, desc);
        assertTrue(governor.state(id) == IGovernor.ProposalState.Pending, "pending");

        vm.roll(block.number + VOTING_DELAY + 1);
        assertTrue(governor.state(id) == IGovernor.ProposalState.Active, "active");
        vm.prank(voter);
        governor.castVote(id, 1);
        (uint256 against, uint256 forVotes, uint256 abstain) = governor.proposalVotes(id);
        assertEq(forVotes, 100_000_000e18, "for");
        assertEq(against + abstain, 0, "no other votes");

        vm.roll(block.number + VOTING_PERIOD);
        assertTrue(governor.state(id) == IGovernor.ProposalState.Succeeded, "succeeded");
        bytes32 descHash = keccak256(bytes(desc));
        governor.queue(targets, values, calldatas, descHash);
        assertTrue(governor.state(id) == IGovernor.ProposalState.Queued, "queued");

        vm.warp(block.timestamp + TIMELOCK_DELAY + 1);
        governor.execute(targets, values, calldatas, descHash);
        assertTrue(governor.state(id) == IGovernor.ProposalState.Executed, "executed");
        assertEq(token.balanceOf(recipient), 1_000e18, "paid by the timelock");
    }

    function test_proposal_defeatedWithoutQuorum() public {
        (address[] memory targets, uint256[] memory values, bytes[] memory calldatas, string memory desc) = _proposal();
        vm.prank(voter);
        uint256 id = governor.propose(targets, values, calldatas, desc);
        vm.roll(block.number + VOTING_DELAY + 1);
        vm.prank(small);
        governor.castVote(id, 1);
        vm.roll(block.number + VOTING_PERIOD);
        assertTrue(governor.state(id) == IGovernor.ProposalState.Defeated, "defeated");
    }

    function test_cancel_beforeVoting() public {
        (address[] memory targets, uint256[] memory values, bytes[] memory calldatas, string memory desc) = _proposal();
        vm.prank(voter);
        uint256 id = governor.propose(targets, values, calldatas, desc);
        vm.prank(voter);
        governor.cancel(targets, values, calldatas, keccak256(bytes(desc)));
        assertTrue(governor.state(id) == IGovernor.ProposalState.Canceled, "canceled");
    }

    function test_revert_propose_belowThreshold() public {
        (address[] memory targets, uint256[] memory values, bytes[] memory calldatas, string memory desc) = _proposal();
        vm.expectRevert(
            abi.encodeWithSelector(IGovernor.GovernorInsufficientProposerVotes.selector, small, 999e18, THRESHOLD)
        );
        vm.prank(small);
        governor.propose(targets, values, calldatas, desc);
    }

    function test_revert_timelock_directCallNotProposer() public {
        vm.expectRevert(
            abi.encodeWithSignature(
                "AccessControlUnauthorizedAccount(address,bytes32)",
                address(this),
                timelock.PROPOSER_ROLE()
            )
        );
        timelock.schedule(address(token), 0, "", bytes32(0), bytes32(0), TIMELOCK_DELAY);
    }

    function test_revert_relay_onlyGovernance() public {
        vm.expectRevert(abi.encodeWithSelector(IGovernor.GovernorOnlyExecutor.selector, address(this)));
        governor.relay(address(token), 0, "");
    }
}
