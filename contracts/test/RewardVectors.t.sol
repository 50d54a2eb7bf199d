// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Deployment} from "./utils/Deployment.sol";
import {VidyaToken} from "../src/VidyaToken.sol";
import {EpochRewards} from "../src/EpochRewards.sol";
import {Staking} from "../src/Staking.sol";
import {Escrow} from "../src/Escrow.sol";

/// @notice The reward-leaf vectors that protocol/ writes (DESIGN.md: test vectors are checked by
/// the TypeScript tests and by the Solidity tests alike): each leaf hashed here must equal the
/// vector's `leafHash`, each proof must verify against the case's `root` with OpenZeppelin's
/// MerkleProof, and the deployed contract must pay it. Set VIDYA_REWARD_VECTORS to read
/// another file (a path under an fs_permissions entry of foundry.toml).
contract RewardVectorsTest is Deployment {
    function test_rewardTreeVectors() public view {
        string memory json = _vectors();
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
    /// case's epoch (cases beyond epoch 64 are skipped), then the case's root with the sum of
    /// its leaves. Vector amounts are arbitrary, so this deployment emits 2^200 per epoch.
    /// Zero leaves are skipped.
    function test_rewardTreeVectors_claimable() public {
        string memory json = _vectors();
        uint256 claims;
        for (uint256 i; vm.keyExistsJson(json, _key(".cases", i, "")); ++i) {
            string memory c = _key(".cases", i, "");
            uint64 epoch = uint64(vm.parseJsonUint(json, string.concat(c, ".epoch")));
            if (epoch == 0 || epoch > 64) continue;
            _redeploy(0);
            _postFillers(epoch);
            _post(epoch, vm.parseJsonBytes32(json, string.concat(c, ".root")), _sumLeaves(json, c));
            _finalise();
            for (uint256 j; vm.keyExistsJson(json, _key(string.concat(c, ".leaves"), j, "")); ++j) {
                (address account, uint256 cumulative, bytes32[] memory proof) = _vectorLeaf(json, c, j);
                if (cumulative == 0) continue;
                rewards.claim(epoch, account, cumulative, proof);
                vm.assertEq(rewards.claimedOf(account), cumulative, "claimed");
                vm.assertEq(_claimedValue(account), cumulative, "paid and held");
                ++claims;
            }
        }
        vm.assertTrue(claims > 0, "no vector leaf claimed");
    }

    /// The same vectors posted as an epoch's slashed and spent roots: Staking slashes each
    /// leaf's node by its amount and Escrow settles each leaf's member by its amount, so the one
    /// encoder in protocol/merkle/reward-tree.ts serves all three trees.
    function test_rewardTreeVectors_slashedAndSpentTrees() public {
        string memory json = _vectors();
        uint256 acted;
        for (uint256 i; vm.keyExistsJson(json, _key(".cases", i, "")); ++i) {
            string memory c = _key(".cases", i, "");
            uint64 epoch = uint64(vm.parseJsonUint(json, string.concat(c, ".epoch")));
            if (epoch == 0 || epoch > 64) continue;
            _redeploy(2 ** 128);
            _postFillers(epoch);
            bytes32 root = vm.parseJsonBytes32(json, string.concat(c, ".root"));
            _postRoots(epoch, bytes32(0), root, root, 0);
            _finalise();
            for (uint256 j; vm.keyExistsJson(json, _key(string.concat(c, ".leaves"), j, "")); ++j) {
                (address account, uint256 cumulative, bytes32[] memory proof) = _vectorLeaf(json, c, j);
                if (cumulative == 0) continue;
                vm.startPrank(treasury);
                staking.bond(account, cumulative);
                escrow.depositFor(account, cumulative);
                vm.stopPrank();
                vm.assertEq(staking.slash(epoch, account, cumulative, proof), cumulative, "slashed");
                vm.assertEq(escrow.settle(epoch, account, cumulative, proof), cumulative, "settled");
                ++acted;
            }
        }
        vm.assertTrue(acted > 0, "no vector leaf slashed or settled");
    }

    function _vectors() private view returns (string memory) {
        return vm.readFile(vm.envOr("VIDYA_REWARD_VECTORS", string("protocol/vectors/reward-tree.json")));
    }

    function _vectorLeaf(string memory json, string memory c, uint256 j)
        private
        pure
        returns (address account, uint256 cumulative, bytes32[] memory proof)
    {
        string memory l = _key(string.concat(c, ".leaves"), j, "");
        account = vm.parseJsonAddress(json, string.concat(l, ".account"));
        cumulative = vm.parseJsonUint(json, string.concat(l, ".cumulative"));
        proof = vm.parseJsonBytes32Array(json, string.concat(l, ".proof"));
    }

    function _sumLeaves(string memory json, string memory c) private view returns (uint256 total) {
        for (uint256 j; vm.keyExistsJson(json, _key(string.concat(c, ".leaves"), j, "")); ++j) {
            (, uint256 cumulative,) = _vectorLeaf(json, c, j);
            total += cumulative;
        }
    }

    /// A fresh deployment with room for any vector amount, the treasury holding `genesis` and
    /// approving Staking and Escrow.
    function _redeploy(uint256 genesis) private {
        token = new VidyaToken(treasury, genesis, 2 ** 200, address(0));
        rewards = new EpochRewards(token, poster, guardian, DISPUTE_DELAY, _holdback());
        token.setMinter(address(rewards));
        staking = new Staking(token, rewards, UNBONDING_DELAY, MAX_LOCK, LOCK_BOOST_CAP, FEE_STREAM);
        rewards.setStaking(address(staking));
        escrow = new Escrow(token, rewards, staking, WITHDRAWAL_DELAY);
        vm.startPrank(treasury);
        token.approve(address(staking), type(uint256).max);
        token.approve(address(escrow), type(uint256).max);
        vm.stopPrank();
    }

    function _postFillers(uint64 epoch) private {
        for (uint64 e = 1; e < epoch; ++e) {
            _post(e, bytes32(uint256(e)), 0);
        }
    }

    function _key(string memory prefix, uint256 index, string memory suffix) private pure returns (string memory) {
        return string.concat(prefix, "[", vm.toString(index), "]", suffix);
    }
}
