// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BaseTest} from "./utils/BaseTest.sol";
import {OPGToken} from "../../contracts/token/OPGToken.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {Votes} from "@openzeppelin/contracts/governance/utils/Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

contract OPGTokenTest is BaseTest {
    uint256 internal constant SUPPLY = 1_000_000_000e18;
    bytes32 internal constant PERMIT_TYPEHASH = keccak256(
        "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant DELEGATION_TYPEHASH = keccak256(
        "Delegation(address delegatee,uint256 nonce,uint256 expiry)"
    );

    OPGToken internal token;
    uint256 internal ownerKey = 0xA11CE;
    address internal owner;
    address internal treasury = address(0x7EA5);
    address internal bob = address(0xB0B);
    address internal carol = address(0xCA201);

    function setUp() public {
        owner = vm.addr(ownerKey);
        token = new OPGToken(treasury, SUPPLY);
        vm.prank(treasury);
        token.transfer(owner, 1_000e18);
    }

    // ------------------------------------------------------------------------------------------ constructor

    function test_constructor_mintsFixedSupplyOnce() public view {
        assertEq(token.totalSupply(), SUPPLY, "supply");
        assertEq(token.balanceOf(treasury), SUPPLY - 1_000e18, "treasury balance");
        assertEq(keccak256(bytes(token.name())), keccak256("OPG Token"), "name");
        assertEq(keccak256(bytes(token.symbol())), keccak256("OPG"), "symbol");
        assertEq(token.decimals(), 18, "decimals");
    }

    function test_revert_constructor_zeroRecipient() public {
        vm.expectRevert(abi.encodeWithSelector(OPGToken.OPGTokenZeroRecipient.selector));
        new OPGToken(address(0), SUPPLY);
    }

    function test_revert_constructor_zeroSupply() public {
        vm.expectRevert(abi.encodeWithSelector(OPGToken.OPGTokenZeroSupply.selector));
        new OPGToken(treasury, 0);
    }

    function test_revert_constructor_supplyAboveVotesCap() public {
        uint256 cap = type(uint208).max;
        vm.expectRevert(abi.encodeWithSignature("ERC20ExceededSafeSupply(uint256,uint256)", cap + 1, cap));
        new OPGToken(treasury, cap + 1);
    }

    function testFuzz_constructor_anySupply(uint256 supply) public {
        supply = bound(supply, 1, type(uint208).max);
        OPGToken t = new OPGToken(bob, supply);
        assertEq(t.totalSupply(), supply, "supply");
        assertEq(t.balanceOf(bob), supply, "balance");
    }

    // ------------------------------------------------------------------------------------------ ERC-20

    function test_transfer_movesBalance() public {
        vm.prank(owner);
        assertTrue(token.transfer(bob, 10e18), "transfer");
        assertEq(token.balanceOf(bob), 10e18, "bob");
        assertEq(token.balanceOf(owner), 990e18, "owner");
    }

    function test_revert_transfer_insufficientBalance() public {
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, bob, uint256(0), uint256(1))
        );
        vm.prank(bob);
        token.transfer(carol, 1);
    }

    function test_revert_transferFrom_insufficientAllowance() public {
        vm.prank(owner);
        token.approve(bob, 5);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, bob, uint256(5), uint256(6))
        );
        vm.prank(bob);
        token.transferFrom(owner, carol, 6);
    }

    // ------------------------------------------------------------------------------------------ permit

    function _permitDigest(
        address holder,
        address spender,
        uint256 value,
        uint256 nonce,
        uint256 deadline
    ) internal view returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(PERMIT_TYPEHASH, holder, spender, value, nonce, deadline));
        return keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash));
    }

    function test_permit_setsAllowanceAndBumpsNonce() public {
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ownerKey, _permitDigest(owner, bob, 100e18, 0, deadline));
        token.permit(owner, bob, 100e18, deadline, v, r, s);
        assertEq(token.allowance(owner, bob), 100e18, "allowance");
        assertEq(token.nonces(owner), 1, "nonce");

        vm.prank(bob);
        token.transferFrom(owner, carol, 100e18);
        assertEq(token.balanceOf(carol), 100e18, "carol");
    }

    function test_revert_permit_replay() public {
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 digest = _permitDigest(owner, bob, 100e18, 0, deadline);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ownerKey, digest);
        token.permit(owner, bob, 100e18, deadline, v, r, s);

        // The replay is checked against nonce 1, so the signature recovers to some other address.
        address recovered = ecrecover(_permitDigest(owner, bob, 100e18, 1, deadline), v, r, s);
        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612InvalidSigner.selector, recovered, owner));
        token.permit(owner, bob, 100e18, deadline, v, r, s);
    }

    function test_revert_permit_expired() public {
        vm.warp(10_000);
        uint256 deadline = block.timestamp - 1;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ownerKey, _permitDigest(owner, bob, 1, 0, deadline));
        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612ExpiredSignature.selector, deadline));
        token.permit(owner, bob, 1, deadline, v, r, s);
    }

    function test_revert_permit_wrongSigner() public {
        uint256 deadline = block.timestamp + 1;
        uint256 otherKey = 0xB0B0;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(otherKey, _permitDigest(owner, bob, 1, 0, deadline));
        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612InvalidSigner.selector, vm.addr(otherKey), owner));
        token.permit(owner, bob, 1, deadline, v, r, s);
    }

    function testFuzz_permit_anyValue(uint256 value, uint256 deadlineOffset) public {
        uint256 deadline = block.timestamp + bound(deadlineOffset, 0, 365 days);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ownerKey, _permitDigest(owner, bob, value, 0, deadline));
        token.permit(owner, bob, value, deadline, v, r, s);
        assertEq(token.allowance(owner, bob), value, "allowance");
    }

    // ------------------------------------------------------------------------------------------ votes

    function test_votes_requireDelegation() public view {
        assertEq(token.getVotes(owner), 0, "no votes before delegating");
        assertEq(token.delegates(owner), address(0), "no delegate");
    }

    function test_delegate_selfGivesVotes() public {
        vm.prank(owner);
        token.delegate(owner);
        assertEq(token.getVotes(owner), 1_000e18, "votes");
        assertEq(token.delegates(owner), owner, "delegate");
        assertEq(token.numCheckpoints(owner), 1, "checkpoints");
    }

    function test_delegate_transferMovesVotes() public {
        vm.prank(owner);
        token.delegate(bob);
        vm.prank(carol);
        token.delegate(carol);
        vm.prank(owner);
        token.transfer(carol, 400e18);
        assertEq(token.getVotes(bob), 600e18, "bob votes");
        assertEq(token.getVotes(carol), 400e18, "carol votes");
    }

    function test_getPastVotes_checkpointsByBlock() public {
        vm.roll(100);
        vm.prank(owner);
        token.delegate(owner);
        vm.roll(101);
        vm.prank(owner);
        token.transfer(bob, 250e18);
        vm.roll(102);
        assertEq(token.getPastVotes(owner, 100), 1_000e18, "at 100");
        assertEq(token.getPastVotes(owner, 101), 750e18, "at 101");
        assertEq(token.getPastVotes(owner, 99), 0, "at 99");
        assertEq(token.getPastTotalSupply(101), SUPPLY, "past supply");
        assertEq(token.clock(), 102, "clock is the block number");
        assertEq(keccak256(bytes(token.CLOCK_MODE())), keccak256("mode=blocknumber&from=default"), "clock mode");
    }

    function test_revert_getPastVotes_futureLookup() public {
        vm.roll(50);
        vm.expectRevert(abi.encodeWithSelector(Votes.ERC5805FutureLookup.selector, uint256(50), uint48(50)));
        token.getPastVotes(owner, 50);
    }

    function test_delegateBySig_delegates() public {
        uint256 expiry = block.timestamp + 1 days;
        bytes32 structHash = keccak256(abi.encode(DELEGATION_TYPEHASH, carol, uint256(0), expiry));
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ownerKey, digest);
        token.delegateBySig(carol, 0, expiry, v, r, s);
        assertEq(token.delegates(owner), carol, "delegate");
        assertEq(token.getVotes(carol), 1_000e18, "votes");

        vm.expectRevert(abi.encodeWithSelector(Nonces.InvalidAccountNonce.selector, owner, uint256(1)));
        token.delegateBySig(carol, 0, expiry, v, r, s);
    }
}
