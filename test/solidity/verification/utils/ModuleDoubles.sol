// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IDisputeCourt} from "../../../../contracts/interfaces/IDisputeCourt.sol";
import {IRandomnessSource} from "../../../../contracts/interfaces/IRandomnessSource.sol";
import {ISettlement} from "../../../../contracts/interfaces/ISettlement.sol";
import {IStaking} from "../../../../contracts/interfaces/IStaking.sol";

// Test doubles of the protocol contracts the verification modules call, used until the real Staking, Settlement,
// DisputeCourt and BlockhashRandomness reach main (only ModuleTestBase deploys them). Each implements the calls the
// modules make with the interfaces' errors and semantics, plus a few controls for the tests. Never deploy outside
// tests.

/// @notice BlockhashRandomness semantics: ticket = next block; Ready from the block after it for 256 blocks.
contract RandomnessDouble is IRandomnessSource {
    uint256 public constant WINDOW = 256;

    function request() external view returns (uint256 ticket) {
        return block.number + 1;
    }

    function read(uint256 ticket) external view returns (Status status, uint256 word) {
        if (block.number <= ticket) return (Status.Pending, 0);
        if (block.number > ticket + WINDOW) return (Status.Expired, 0);
        return (Status.Ready, uint256(keccak256(abi.encode(blockhash(ticket), ticket))));
    }

    function instantSeed(bytes32 context) external view returns (uint256) {
        return uint256(keccak256(abi.encode(block.prevrandao, block.number, context)));
    }
}

/// @notice Stakes, eligibility, slashing (to the settlement contract) and ticket sortition without replacement, over
///         a short operator list.
contract StakingDouble {
    uint8 public constant ROLE_WORKER = 1;
    uint8 public constant ROLE_VERIFIER = 2;
    uint8 public constant SLASHER = 2;
    uint256 public constant TICKET = 1e18;

    IERC20 public immutable token;
    address public settlement;
    uint256 public minWorkerStake = 1_000e18;
    uint256 public minVerifierStake = 500e18;
    uint256 public jailDuration = 1 days;

    mapping(address => IStaking.Operator) internal _ops;
    mapping(address => uint8) public permissionsOf;
    address[] internal _operators;

    event Slashed(address indexed operator, address indexed slasher, uint256 fromActive, uint256 fromUnbonding);

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
        token.transferFrom(msg.sender, address(this), amount);
        IStaking.Operator storage op = _ops[msg.sender];
        if (op.roles == 0 && op.active == 0) _operators.push(msg.sender);
        op.active += uint128(amount);
        op.roles = roles;
    }

    function unstake(uint256 amount) external {
        IStaking.Operator storage op = _ops[msg.sender];
        op.active -= uint128(amount);
        op.unbonding += uint128(amount);
    }

    /// @notice Test control: jail `operator` until `until`.
    function jail(address operator, uint64 until) external {
        _ops[operator].jailedUntil = until;
    }

    /// @notice Test control: lock `amount` of `operator`'s stake as job collateral.
    function lock(address operator, uint128 amount) external {
        _ops[operator].locked += amount;
    }

    function slash(
        address operator,
        uint256 amount,
        uint256 releasedCollateral,
        bool jailIt
    ) external returns (uint256 slashed) {
        if (permissionsOf[msg.sender] & SLASHER == 0) revert IStaking.StakingUnauthorized(msg.sender, SLASHER);
        IStaking.Operator storage op = _ops[operator];
        op.locked -= uint128(releasedCollateral);
        uint256 free = op.active - op.locked;
        uint256 fromActive = amount < free ? amount : free;
        uint256 rest = amount - fromActive;
        uint256 fromUnbonding = rest < op.unbonding ? rest : op.unbonding;
        op.active -= uint128(fromActive);
        op.unbonding -= uint128(fromUnbonding);
        if (jailIt) op.jailedUntil = uint64(block.timestamp + jailDuration);
        slashed = fromActive + fromUnbonding;
        emit Slashed(operator, msg.sender, fromActive, fromUnbonding);
        if (slashed > 0) token.transfer(settlement, slashed);
    }

    function drawPanel(
        uint8 role,
        uint256 seed,
        uint256 seats,
        address[] calldata excluded
    ) external view returns (address[] memory members) {
        uint256 n = _operators.length;
        uint256[] memory weights = new uint256[](n);
        uint256 total;
        for (uint256 i; i < n; ++i) {
            address op = _operators[i];
            if (!isEligible(op, role)) continue;
            bool out;
            for (uint256 j; j < excluded.length; ++j) out = out || excluded[j] == op;
            if (out) continue;
            weights[i] = _ops[op].active / TICKET;
            total += weights[i];
        }
        if (total < seats) return new address[](0);
        members = new address[](seats);
        for (uint256 s; s < seats; ++s) {
            uint256 r = uint256(keccak256(abi.encode(seed, s))) % total;
            for (uint256 i; i < n; ++i) {
                if (r < weights[i]) {
                    members[s] = _operators[i];
                    --weights[i];
                    --total;
                    break;
                }
                r -= weights[i];
            }
        }
    }

    function isEligible(address operator, uint8 role) public view returns (bool) {
        IStaking.Operator storage op = _ops[operator];
        uint256 min = role == ROLE_WORKER ? minWorkerStake : minVerifierStake;
        return op.roles & role != 0 && block.timestamp >= op.jailedUntil && op.active >= min;
    }

    function slashableStake(address operator, uint256 releasedCollateral) external view returns (uint256) {
        IStaking.Operator storage op = _ops[operator];
        return releasedCollateral + op.active - op.locked + op.unbonding;
    }

    function getOperator(address operator) external view returns (IStaking.Operator memory) {
        return _ops[operator];
    }
}

/// @notice Free balances, bonds and credits, with the surplus (tokens beyond them) as the source of slashed stake.
contract SettlementDouble {
    uint8 public constant FEES = 1;
    uint8 public constant BONDS = 2;

    IERC20 public immutable token;
    address public treasury;
    mapping(address => uint256) public balanceOf;
    mapping(address => uint256) public creditsOf;
    mapping(address => uint8) public permissionsOf;
    mapping(uint256 => uint256) public bondsOf;
    uint256 public totalBalances;
    uint256 public totalBonded;
    uint256 public totalCredits;

    event BondLocked(uint256 indexed requestId, address indexed account, uint256 amount);
    event Credited(uint256 indexed requestId, address indexed account, uint256 amount, bytes32 indexed reason);

    constructor(IERC20 token_, address treasury_) {
        token = token_;
        treasury = treasury_;
    }

    function setPermissions(address account, uint8 permissions) external {
        permissionsOf[account] = permissions;
    }

    function deposit(uint256 amount) external {
        token.transferFrom(msg.sender, address(this), amount);
        balanceOf[msg.sender] += amount;
        totalBalances += amount;
    }

    function lockBond(uint256 requestId, address account, uint256 amount) external {
        if (permissionsOf[msg.sender] & BONDS == 0) revert ISettlement.SettlementUnauthorized(msg.sender, BONDS);
        if (amount == 0) revert ISettlement.SettlementZeroAmount();
        uint256 balance = balanceOf[account];
        if (balance < amount) revert ISettlement.SettlementInsufficientBalance(account, balance, amount);
        balanceOf[account] = balance - amount;
        totalBalances -= amount;
        bondsOf[requestId] += amount;
        totalBonded += amount;
        emit BondLocked(requestId, account, amount);
    }

    function credit(
        uint256 requestId,
        ISettlement.Source source,
        address[] calldata accounts,
        uint256[] calldata amounts,
        bytes32 reason
    ) external {
        if (permissionsOf[msg.sender] & BONDS == 0) revert ISettlement.SettlementUnauthorized(msg.sender, BONDS);
        if (accounts.length != amounts.length) revert ISettlement.SettlementLengthMismatch();
        uint256 sum;
        for (uint256 i; i < amounts.length; ++i) sum += amounts[i];
        uint256 available = source == ISettlement.Source.Surplus ? surplus() : bondsOf[requestId];
        if (available < sum) revert ISettlement.SettlementInsufficientSource(source, available, sum);
        if (source == ISettlement.Source.Bonds) {
            bondsOf[requestId] -= sum;
            totalBonded -= sum;
        }
        for (uint256 i; i < accounts.length; ++i) {
            creditsOf[accounts[i]] += amounts[i];
            emit Credited(requestId, accounts[i], amounts[i], reason);
        }
        totalCredits += sum;
    }

    function surplus() public view returns (uint256) {
        return token.balanceOf(address(this)) - totalBalances - totalBonded - totalCredits;
    }
}

/// @notice Cases as the modules see them: open / join with the court's refusals, and outcomes set by the test.
contract CourtDouble {
    struct CaseData {
        address module;
        address worker;
        address requester;
        uint96 collateral;
        IDisputeCourt.Phase phase;
        IDisputeCourt.Outcome outcome;
        bool joinsClosed;
        address[] defenders;
        address[] excluded;
        address[] jurors;
        address[] majority;
    }

    IDisputeCourt.CourtParams internal _params;
    mapping(address => bool) public isModule;
    mapping(uint256 => CaseData) internal _cases;
    mapping(uint256 => IDisputeCourt.Challenger[]) internal _challengers;

    event CaseOpened(uint256 indexed requestId, address indexed module, address indexed worker);
    event ChallengerJoined(uint256 indexed requestId, address indexed challenger, uint256 bond, uint256 weight);

    constructor(IDisputeCourt.CourtParams memory params_) {
        _params = params_;
    }

    function setModule(address module, bool allowed) external {
        isModule[module] = allowed;
    }

    function setParams(IDisputeCourt.CourtParams calldata params_) external {
        _params = params_;
    }

    // ----------------------------------------------------------------------------------------- module calls

    function open(uint256 requestId, IDisputeCourt.Parties calldata parties, address challenger, uint96 bond) external {
        if (!isModule[msg.sender]) revert IDisputeCourt.CourtNotModule(msg.sender);
        CaseData storage c = _cases[requestId];
        if (c.phase != IDisputeCourt.Phase.None) revert IDisputeCourt.CourtCaseExists(requestId);
        c.module = msg.sender;
        c.worker = parties.worker;
        c.requester = parties.requester;
        c.collateral = uint96(parties.collateral);
        c.phase = IDisputeCourt.Phase.Drawing;
        c.outcome = IDisputeCourt.Outcome.Pending;
        c.defenders = parties.defenders;
        c.excluded = parties.excluded;
        emit CaseOpened(requestId, msg.sender, parties.worker);
        if (challenger != address(0)) _addChallenger(requestId, challenger, bond);
    }

    function join(uint256 requestId, address challenger, uint96 bond) external {
        CaseData storage c = _cases[requestId];
        if (c.phase == IDisputeCourt.Phase.None) revert IDisputeCourt.CourtUnknownCase(requestId);
        if (msg.sender != c.module) revert IDisputeCourt.CourtNotModule(msg.sender);
        if (c.phase == IDisputeCourt.Phase.Resolved) revert IDisputeCourt.CourtWrongPhase(requestId, c.phase);
        if (c.joinsClosed) revert IDisputeCourt.CourtDeadlinePassed(requestId, 0);
        _addChallenger(requestId, challenger, bond);
    }

    function _addChallenger(uint256 requestId, address challenger, uint96 bond) internal {
        CaseData storage c = _cases[requestId];
        if (
            challenger == c.worker ||
            challenger == c.requester ||
            _contains(c.defenders, challenger) ||
            _contains(c.jurors, challenger)
        ) revert IDisputeCourt.CourtPartyConflict(requestId, challenger);
        IDisputeCourt.Challenger[] storage list = _challengers[requestId];
        for (uint256 i; i < list.length; ++i) {
            if (list[i].account == challenger) revert IDisputeCourt.CourtAlreadyChallenger(requestId, challenger);
        }
        if (list.length >= _params.maxChallengers) {
            revert IDisputeCourt.CourtTooManyChallengers(requestId, _params.maxChallengers);
        }
        uint96 weight = bond == 0 ? _params.challengeBond : bond;
        list.push(IDisputeCourt.Challenger({account: challenger, bond: bond, weight: weight}));
        emit ChallengerJoined(requestId, challenger, bond, weight);
    }

    // ----------------------------------------------------------------------------------------- test controls

    function decide(uint256 requestId, IDisputeCourt.Outcome outcome, address[] calldata majority) external {
        CaseData storage c = _cases[requestId];
        c.outcome = outcome;
        c.majority = majority;
        c.phase = outcome == IDisputeCourt.Outcome.Pending ? IDisputeCourt.Phase.Voting : IDisputeCourt.Phase.Resolved;
    }

    function closeJoins(uint256 requestId) external {
        _cases[requestId].joinsClosed = true;
    }

    function addJuror(uint256 requestId, address juror) external {
        _cases[requestId].jurors.push(juror);
    }

    function defendersOf(uint256 requestId) external view returns (address[] memory) {
        return _cases[requestId].defenders;
    }

    function excludedOf(uint256 requestId) external view returns (address[] memory) {
        return _cases[requestId].excluded;
    }

    // ----------------------------------------------------------------------------------------- views

    function params() external view returns (IDisputeCourt.CourtParams memory) {
        return _params;
    }

    function maxCaseDuration() external view returns (uint256) {
        return 2 * (uint256(_params.drawWindow) + _params.commitWindow + _params.revealWindow);
    }

    function outcomeOf(uint256 requestId) external view returns (IDisputeCourt.Outcome, address[] memory) {
        CaseData storage c = _cases[requestId];
        address[] memory majority = c.outcome == IDisputeCourt.Outcome.Upheld ? c.majority : new address[](0);
        return (c.outcome, majority);
    }

    function getCase(uint256 requestId) external view returns (IDisputeCourt.Case memory k) {
        CaseData storage c = _cases[requestId];
        k.module = c.module;
        k.worker = c.worker;
        k.requester = c.requester;
        k.collateral = c.collateral;
        k.phase = c.phase;
        k.outcome = c.outcome;
        k.round = c.phase == IDisputeCourt.Phase.None ? 0 : 1;
    }

    function challengersOf(uint256 requestId) external view returns (IDisputeCourt.Challenger[] memory) {
        return _challengers[requestId];
    }

    function isParty(uint256 requestId, address account) external view returns (bool) {
        CaseData storage c = _cases[requestId];
        if (c.phase == IDisputeCourt.Phase.None) return false;
        if (account == c.worker || account == c.requester) return true;
        if (_contains(c.defenders, account) || _contains(c.excluded, account) || _contains(c.jurors, account)) {
            return true;
        }
        IDisputeCourt.Challenger[] storage list = _challengers[requestId];
        for (uint256 i; i < list.length; ++i) if (list[i].account == account) return true;
        return false;
    }

    function _contains(address[] storage list, address account) internal view returns (bool) {
        for (uint256 i; i < list.length; ++i) if (list[i] == account) return true;
        return false;
    }
}
