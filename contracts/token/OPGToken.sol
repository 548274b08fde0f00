// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/// @title OPGToken
/// @notice The OPG token: fees, stakes, bonds and governance votes of the OPG inference network.
/// @dev ERC-20 with ERC-2612 permit and ERC20Votes (block-number clock). The whole supply is minted once, in the
///      constructor, to `recipient`; there is no mint function, so the supply can only shrink (never, in fact: there
///      is no burn function either). Holders must delegate (to themselves or others) for their votes to count.
contract OPGToken is ERC20, ERC20Permit, ERC20Votes {
    // ----------------------------------------------------------------------------------------------- errors

    /// @notice The initial supply recipient is the zero address.
    error OPGTokenZeroRecipient();
    /// @notice The initial supply is zero.
    error OPGTokenZeroSupply();

    // ----------------------------------------------------------------------------------------------- constructor

    /// @notice Mints the fixed supply once.
    /// @param recipient Receives the whole supply (a treasury, a timelock or a distributor).
    /// @param supply The fixed total supply in wei (deployments use 1_000_000_000e18).
    constructor(address recipient, uint256 supply) ERC20("OPG Token", "OPG") ERC20Permit("OPG Token") {
        if (recipient == address(0)) revert OPGTokenZeroRecipient();
        if (supply == 0) revert OPGTokenZeroSupply();
        _mint(recipient, supply);
    }

    // ----------------------------------------------------------------------------------------------- functions

    /// @inheritdoc Nonces
    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    /// @dev Moves balances and voting units together (required override of ERC20 and ERC20Votes).
    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }
}
