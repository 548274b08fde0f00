// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IVerificationModule} from "./IVerificationModule.sol";

/// @title IOptimisticModule
/// @notice OPTIMISTIC mode: a result is final after its challenge window unless challenged. Any eligible verifier
///         that is not a party may challenge with a bond inside the window, and others may join the same case with
///         their own bond until the jury's commit deadline (the first challenger cannot lock anyone out). The case
///         goes to the dispute court.
interface IOptimisticModule is IVerificationModule {
    event ChallengeWindowSet(uint32 challengeWindow);

    error OptimisticUnknownRequest(uint256 requestId);
    error OptimisticNotSubmitted(uint256 requestId);
    error OptimisticWindowClosed(uint256 requestId, uint256 deadline);
    error OptimisticPartyToRequest(uint256 requestId, address account);
    error OptimisticNotEligible(address account);
    error OptimisticParamOutOfBounds(string name, uint256 value, uint256 min, uint256 max);

    /// @notice Challenges the result of `requestId` (or joins its case), bonding `challengeBond` from the caller's
    ///         free balance in the settlement contract.
    function challenge(uint256 requestId) external;

    function setChallengeWindow(uint32 challengeWindow) external;

    function challengeWindow() external view returns (uint32);
}
