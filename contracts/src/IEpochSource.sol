// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IEpochSource
/// @notice What the token asks its minter to bound emission: how many epochs are committed.
interface IEpochSource {
    /// @notice Number of epochs whose reward roots have been posted (epochs are numbered 1, 2, 3…).
    function committedEpochs() external view returns (uint64);
}
