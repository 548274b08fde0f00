// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IInferenceHubV1} from "./IInferenceHubV1.sol";

/// @title IHubParamsBounds
/// @notice The hard-coded bounds of every {IInferenceHubV1.HubParams} field, in one immutable, stateless contract.
/// @dev The hub calls {check} from its constructor and from `setParams`, so governance can never leave these
///      bounds. It lives apart from the hub to keep the hub under the 24 KiB code size limit; it is not on any
///      request path. Reverts with the hub's errors: `ParamOutOfBounds`, `HubZeroAddress`, `HubLifecycleTooLong`.
interface IHubParamsBounds {
    /// @notice Reverts unless every field of `params` is within its bounds and the longest request lifecycle
    ///         (responseTimeout + challengeWindow + commitWindow + revealWindow) is shorter than `unbondingDelay`.
    function check(IInferenceHubV1.HubParams calldata params, uint256 unbondingDelay) external pure;
}
