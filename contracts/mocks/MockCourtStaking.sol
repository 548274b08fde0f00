// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title MockCourtStaking
/// @notice Temporary test double of the parts of {IStaking} the dispute court uses, until the real Staking lands:
///         stakes by whole-OPG tickets, collateral locks, slashes sent to the settlement contract, and panels drawn
///         by ticket without replacement (O(operators × seats), fine for tests). Never deploy outside tests.
/// @dev Stricter than needed on purpose: {drawPanel} reverts on a duplicate exclusion, so the court's lists are
///      checked to be duplicate-free.
contract MockCourtStaking {
    using SafeERC20 for IERC20;

    struct Operator {
        uint128 active;
        uint128 locked;
        uint128 unbonding;
        uint64 unbondingReleaseAt;
        uint64 jailedUntil;
        uint8 roles;
    }

    uint8 public constant ROLE_WORKER = 1;
    uint8 public constant ROLE_VERIFIER = 2;
    uint8 public constant LOCKER = 1;
    uint8 public constant SLASHER = 2;
    uint256 public constant TICKET = 1e18;
    uint256 public constant MAX_PANEL_SEATS = 31;
    uint256 public constant MAX_EXCLUDED = 48;
    uint256 public constant JAIL = 1 days;

    IERC20 public immutable token;
    uint256 public minVerifierStake = 500e18;
    uint256 public minWorkerStake = 1_000e18;
    address public settlement;
    mapping(address => uint8) public permissionsOf;
    mapping(address => Operator) internal _operators;
    address[] internal _list;

    error StakingUnauthorized(address caller, uint8 permission);
    error StakingPanelTooLarge(uint256 seats, uint256 excluded);
    error MockDuplicateExclusion(address account);

    constructor(IERC20 token_) {
        token = token_;
    }

    function setSettlement(address settlement_) external {
        settlement = settlement_;
    }

    function setPermissions(address account, uint8 permissions) external {
        permissionsOf[account] = permissions;
    }

    function stake(uint256 amount, uint8 roles) external {
        token.safeTransferFrom(msg.sender, address(this), amount);
        Operator storage op = _operators[msg.sender];
        if (op.roles == 0 && op.active == 0) _list.push(msg.sender);
        op.active += uint128(amount);
        op.roles = roles;
    }

    function unstake(uint256 amount) external {
        Operator storage op = _operators[msg.sender];
        op.active -= uint128(amount);
        op.unbonding += uint128(amount);
        op.unbondingReleaseAt = uint64(block.timestamp + 7 days);
    }

    function assignWorker(uint256, address excludeA, address excludeB, uint256 collateral) external returns (address) {
        if (permissionsOf[msg.sender] & LOCKER == 0) revert StakingUnauthorized(msg.sender, LOCKER);
        for (uint256 i; i < _list.length; ++i) {
            address account = _list[i];
            Operator storage op = _operators[account];
            if (account == excludeA || account == excludeB || !isEligible(account, ROLE_WORKER)) continue;
            if (op.active - op.locked < collateral) continue;
            op.locked += uint128(collateral);
            return account;
        }
        return address(0);
    }

    function slash(address operator, uint256 amount, uint256 releasedCollateral, bool jail) external returns (uint256) {
        if (permissionsOf[msg.sender] & SLASHER == 0) revert StakingUnauthorized(msg.sender, SLASHER);
        Operator storage op = _operators[operator];
        op.locked -= uint128(releasedCollateral);
        uint256 free = op.active - op.locked;
        uint256 fromActive = amount < free ? amount : free;
        uint256 rest = amount - fromActive;
        uint256 fromUnbonding = rest < op.unbonding ? rest : op.unbonding;
        op.active -= uint128(fromActive);
        op.unbonding -= uint128(fromUnbonding);
        if (jail) op.jailedUntil = uint64(block.timestamp + JAIL);
        uint256 slashed = fromActive + fromUnbonding;
        if (slashed > 0) token.safeTransfer(settlement, slashed);
        return slashed;
    }

    function drawPanel(
        uint8 role,
        uint256 seed,
        uint256 seats,
        address[] calldata excluded
    ) external view returns (address[] memory members) {
        if (seats > MAX_PANEL_SEATS || excluded.length > MAX_EXCLUDED) {
            revert StakingPanelTooLarge(seats, excluded.length);
        }
        for (uint256 i; i < excluded.length; ++i) {
            for (uint256 j; j < i; ++j) if (excluded[i] == excluded[j]) revert MockDuplicateExclusion(excluded[i]);
        }
        uint256 n = _list.length;
        uint256[] memory tickets = new uint256[](n);
        uint256 remaining;
        for (uint256 i; i < n; ++i) {
            address account = _list[i];
            if (!isEligible(account, role) || _contains(excluded, account)) continue;
            tickets[i] = _operators[account].active / TICKET;
            remaining += tickets[i];
        }
        if (remaining < seats) return members;
        members = new address[](seats);
        for (uint256 s; s < seats; ++s) {
            uint256 r = uint256(keccak256(abi.encode(seed, s))) % remaining;
            for (uint256 i; i < n; ++i) {
                if (r < tickets[i]) {
                    members[s] = _list[i];
                    --tickets[i];
                    --remaining;
                    break;
                }
                r -= tickets[i];
            }
        }
    }

    function slashableStake(address operator, uint256 releasedCollateral) external view returns (uint256) {
        Operator storage op = _operators[operator];
        uint256 released = releasedCollateral < op.locked ? releasedCollateral : op.locked;
        return released + op.active - op.locked + op.unbonding;
    }

    function isEligible(address operator, uint8 role) public view returns (bool) {
        Operator storage op = _operators[operator];
        uint256 min = role == ROLE_WORKER ? minWorkerStake : minVerifierStake;
        return op.roles & role != 0 && block.timestamp >= op.jailedUntil && op.active >= min;
    }

    function getOperator(address operator) external view returns (Operator memory) {
        return _operators[operator];
    }

    function freeStake(address operator) external view returns (uint256) {
        Operator storage op = _operators[operator];
        return op.active - op.locked;
    }

    function _contains(address[] calldata list, address account) private pure returns (bool) {
        for (uint256 i; i < list.length; ++i) if (list[i] == account) return true;
        return false;
    }
}
