// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {Deployment} from "./utils/Deployment.sol";
import {EpochRewards} from "../src/EpochRewards.sol";

/// @notice A claim at 2^20 leaves, and a guard on its gas. The proof is synthetic: the claimed
/// leaf and 20 random sibling hashes, which is exactly what a 2^20-leaf tree's proof looks like
/// to the contract. Gas is counted as a transaction pays it: 21,000 + calldata + execution.
/// Inside one forge test every storage write after the first in the transaction is priced as
/// a rewrite, so these figures are lower bounds: the guard catches a regression past the
/// targets, and bench/chain.ts measures real transactions on anvil (`npm run bench:chain`).
contract ClaimGasTest is Deployment {
    uint256 internal constant DEPTH = 20;
    uint256 internal constant FIRST_CLAIM_TARGET = 100_000;
    uint256 internal constant REPEAT_CLAIM_TARGET = 70_000;

    address internal host = makeAddr("host");

    /// Gas as deployed: the holdback by age runs on every claim.
    function _holdback() internal view override returns (uint256[5] memory) {
        return _agedHoldback();
    }

    function test_gas_claimAt2pow20Leaves() public {
        (bytes32 root1, bytes32[] memory proof1) = _syntheticTree(1, 300 ether);
        _post(1, root1, 300 ether);
        (bytes32 root2, bytes32[] memory proof2) = _syntheticTree(2, 450 ether);
        _post(2, root2, 450 ether);
        _finalise();

        uint256 first = _claimGas(1, 300 ether, proof1);
        uint256 repeat = _claimGas(2, 450 ether, proof2);
        vm.assertEq(_claimedValue(host), 450 ether, "paid and held");
        emit log_named_uint("first claim gas (2^20 leaves)", first);
        emit log_named_uint("repeat claim gas (2^20 leaves)", repeat);
        vm.assertLe(first, FIRST_CLAIM_TARGET, "first claim above target");
        vm.assertLe(proof1.length, DEPTH, "a 2^20-leaf proof");
        vm.assertLe(repeat, REPEAT_CLAIM_TARGET, "repeat claim above target");
    }

    function _claimGas(uint64 epoch, uint256 cumulative, bytes32[] memory proof) internal returns (uint256) {
        bytes memory data = abi.encodeCall(EpochRewards.claim, (epoch, host, cumulative, proof));
        // Cold accounts and slots, as at the start of a transaction.
        vm.cool(address(rewards));
        vm.cool(address(token));
        uint256 before = gasleft();
        (bool ok,) = address(rewards).call(data);
        uint256 used = before - gasleft();
        vm.assertTrue(ok, "claim reverted");
        return 21_000 + _calldataGas(data) + used;
    }

    /// A leaf of `host` and 20 pseudo-random siblings: the root of a 2^20-leaf tree in which
    /// every other subtree is an arbitrary hash.
    function _syntheticTree(uint64 epoch, uint256 cumulative) internal view returns (bytes32 root, bytes32[] memory proof) {
        proof = new bytes32[](DEPTH);
        root = _leaf(epoch, host, cumulative);
        for (uint256 i; i < DEPTH; ++i) {
            proof[i] = keccak256(abi.encode("sibling", epoch, i));
            root = Hashes.commutativeKeccak256(root, proof[i]);
        }
    }

    /// EIP-2028 calldata cost: 4 per zero byte, 16 per other byte.
    function _calldataGas(bytes memory data) internal pure returns (uint256 gas) {
        for (uint256 i; i < data.length; ++i) {
            gas += data[i] == 0 ? 4 : 16;
        }
    }
}
