// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Deployment} from "./utils/Deployment.sol";
import {VidyaToken} from "../src/VidyaToken.sol";
import {EpochRewards} from "../src/EpochRewards.sol";

/// @notice The reward-leaf vectors that protocol/ writes (DESIGN.md: test vectors are checked by
/// the TypeScript tests and by the Solidity tests alike): each leaf hashed here must equal the
/// vector's `leafHash`, each proof must verify against the case's `root` with OpenZeppelin's
/// MerkleProof, and the deployed contract must pay it. Set VIDYA_REWARD_VECTORS to read
/// another file (a path under an fs_permissions entry of foundry.toml).
contract RewardVectorsTest is Deployment {
    function test_rewardTreeVectors() public view {
        string memory path = vm.envOr("VIDYA_REWARD_VECTORS", string("protocol/vectors/reward-tree.json"));
        string memory json = vm.readFile(path);
        uint256 cases;
        uint256 leavesChecked;
        for (; vm.keyExistsJson(json, _key(".cases", cases, "")); ++cases) {
            string memory c = _key(".cases", cases, "");
            // Numbers may be JSON numbers or decimal strings; parseJsonUint reads both.
            uint64 epoch = uint64(vm.parseJsonUint(json, string.concat(c, ".epoch")));
            bytes32 root = vm.parseJsonBytes32(json, string.concat(c, ".root"));
            for (uint256 j; vm.keyExistsJson(json, _key(string.concat(c, ".leaves"), j, "")); ++j) {
                string memory l = _key(string.concat(c, ".leaves"), j, "");
                address account = vm.parseJsonAddress(json, string.concat(l, ".account"));
                uint256 cumulative = vm.parseJsonUint(json, string.concat(l, ".cumulative"));
                bytes32 expected = vm.parseJsonBytes32(json, string.concat(l, ".leafHash"));
                bytes32[] memory proof = vm.parseJsonBytes32Array(json, string.concat(l, ".proof"));

                bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(epoch, account, cumulative))));
                vm.assertEq(leaf, expected, string.concat(l, ": leafHash"));
                vm.assertEq(
                    rewards.leafHash(epoch, account, cumulative), expected, string.concat(l, ": contract leafHash")
                );
                vm.assertTrue(MerkleProof.verify(proof, root, leaf), string.concat(l, ": proof"));
                ++leavesChecked;
            }
        }
        vm.assertTrue(cases > 0 && leavesChecked > 0, "no vectors read");
    }

    /// A deployment pays each vector leaf through claim(): filler roots are posted up to the
    /// case's epoch (cases beyond epoch 64 are skipped), then the case's root. Vector amounts are
    /// arbitrary, so this deployment emits 2^200 per epoch. Zero leaves are skipped.
    function test_rewardTreeVectors_claimable() public {
        string memory path = vm.envOr("VIDYA_REWARD_VECTORS", string("protocol/vectors/reward-tree.json"));
        string memory json = vm.readFile(path);
        uint256 claims;
        for (uint256 i; vm.keyExistsJson(json, _key(".cases", i, "")); ++i) {
            string memory c = _key(".cases", i, "");
            uint64 epoch = uint64(vm.parseJsonUint(json, string.concat(c, ".epoch")));
            if (epoch == 0 || epoch > 64) continue;
            // A fresh deployment per case, with room for any vector amount.
            token = new VidyaToken(treasury, 0, 2 ** 200, address(0));
            rewards = new EpochRewards(token, poster, guardian, DISPUTE_DELAY);
            token.setMinter(address(rewards));
            for (uint64 e = 1; e < epoch; ++e) {
                _post(e, bytes32(uint256(e)), 0);
            }
            _post(epoch, vm.parseJsonBytes32(json, string.concat(c, ".root")), 0);
            _finalise();
            for (uint256 j; vm.keyExistsJson(json, _key(string.concat(c, ".leaves"), j, "")); ++j) {
                string memory l = _key(string.concat(c, ".leaves"), j, "");
                address account = vm.parseJsonAddress(json, string.concat(l, ".account"));
                uint256 cumulative = vm.parseJsonUint(json, string.concat(l, ".cumulative"));
                if (cumulative == 0) continue;
                bytes32[] memory proof = vm.parseJsonBytes32Array(json, string.concat(l, ".proof"));
                rewards.claim(epoch, account, cumulative, proof);
                vm.assertEq(rewards.claimedOf(account), cumulative, string.concat(l, ": claimed"));
                vm.assertEq(token.balanceOf(account), cumulative, string.concat(l, ": paid"));
                ++claims;
            }
        }
        vm.assertTrue(claims > 0, "no vector leaf claimed");
    }

    function _key(string memory prefix, uint256 index, string memory suffix) private pure returns (string memory) {
        return string.concat(prefix, "[", vm.toString(index), "]", suffix);
    }
}
