// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IRandomnessSourceV1} from "../interfaces/IRandomnessSourceV1.sol";

/// @notice Deterministic entropy for tests: `keccak256(salt, context)`, with a salt anyone can set.
/// @dev Lets invariant campaigns and fuzz tests steer sortition reproducibly (no dependence on prevrandao).
contract MockRandomnessV1 is IRandomnessSourceV1 {
    bytes32 public salt;

    event SaltSet(bytes32 salt);

    function setSalt(bytes32 salt_) external {
        salt = salt_;
        emit SaltSet(salt_);
    }

    /// @inheritdoc IRandomnessSourceV1
    function seed(bytes32 context) external view returns (uint256) {
        return uint256(keccak256(abi.encode(salt, context)));
    }
}
