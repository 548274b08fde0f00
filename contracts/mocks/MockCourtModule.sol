// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IDisputeCourt} from "../interfaces/IDisputeCourt.sol";
import {ISettlement} from "../interfaces/ISettlement.sol";

/// @title MockCourtModule
/// @notice A verification module reduced to what the dispute court sees: it bonds a challenger's stake in the
///         settlement contract (when `bond` > 0) and opens or joins the court case. Never deploy outside tests.
contract MockCourtModule {
    IDisputeCourt public immutable court;
    ISettlement public immutable settlement;

    constructor(IDisputeCourt court_, ISettlement settlement_) {
        court = court_;
        settlement = settlement_;
    }

    function open(uint256 requestId, IDisputeCourt.Parties calldata parties, address challenger, uint96 bond) external {
        if (bond != 0) settlement.lockBond(requestId, challenger, bond);
        court.open(requestId, parties, challenger, bond);
    }

    function join(uint256 requestId, address challenger, uint96 bond) external {
        if (bond != 0) settlement.lockBond(requestId, challenger, bond);
        court.join(requestId, challenger, bond);
    }
}
