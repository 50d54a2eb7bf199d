// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Aggregate3
/// @notice Our own minimal stand-in for Multicall3 on local chains (PLATFORM.md: reads of many
/// accounts go through Multicall3, deployed at the same address on every major chain). It has
/// Multicall3's `aggregate3` interface only, which is all viem's `multicall` calls; scripts
/// deploy it and copy its runtime code to Multicall3's address on anvil. Written here from the
/// interface, not copied. Public chains already have the real Multicall3 at that address.
/// @dev Read-only use: it is not payable and keeps no state, so a call through it can move no
/// value; `msg.sender` of each inner call is this contract.
contract Aggregate3 {
    struct Call3 {
        address target;
        bool allowFailure;
        bytes callData;
    }

    struct Result {
        bool success;
        bytes returnData;
    }

    /// @notice A call that was not allowed to fail did: its index.
    error CallFailed(uint256 index);

    /// @notice Runs `calls` in order and returns each one's success and return data; reverts
    /// when a call with `allowFailure` false reverts.
    function aggregate3(Call3[] calldata calls) external returns (Result[] memory results) {
        results = new Result[](calls.length);
        for (uint256 i = 0; i < calls.length; ++i) {
            (bool ok, bytes memory data) = calls[i].target.call(calls[i].callData);
            if (!ok && !calls[i].allowFailure) revert CallFailed(i);
            results[i] = Result(ok, data);
        }
    }
}
