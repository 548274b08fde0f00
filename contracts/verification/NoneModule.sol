// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IVerificationModule} from "../interfaces/IVerificationModule.sol";

/// @title NoneModule
/// @notice NONE mode ("vanilla"): a posted result is final at once. The worker's stake is the only security; the
///         result is still public and on the record.
/// @dev Stateless and permissionless: every function is pure, so a call by anyone other than the hub changes
///      nothing. No verifier does work, so no verifier is paid (the hub gives the verifier share to the worker).
contract NoneModule is IVerificationModule {
    /// @inheritdoc IVerificationModule
    function onResult(uint256, Job calldata) external pure returns (Verdict verdict, uint64 deadline) {
        return (Verdict.Accepted, 0);
    }

    /// @inheritdoc IVerificationModule
    function settle(uint256, Job calldata, uint64) external pure returns (Verdict verdict, address[] memory paid) {
        return (Verdict.Accepted, new address[](0));
    }

    /// @inheritdoc IVerificationModule
    function isDisputed(uint256) external pure returns (bool) {
        return false;
    }

    /// @inheritdoc IVerificationModule
    function maxVerificationDuration() external pure returns (uint256) {
        return 0;
    }
}
