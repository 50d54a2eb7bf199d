// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Deployment} from "./utils/Deployment.sol";
import {HostingBounties} from "../src/HostingBounties.sol";

/// @notice The held-back earnings vectors that protocol/ writes (protocol/vectors/holdback.json,
/// from protocol/economics/holdback.ts): the same claims, releases and slashes at the same times
/// must pay, hold and take the same wei on-chain as the TypeScript mirror the edge, the node and
/// the simulation use.
contract HoldbackVectorsTest is Deployment {
    string internal constant VECTORS = "protocol/vectors/holdback.json";
    address internal node = makeAddr("vector node");

    /// The vectors follow the production schedule: holdback by age.
    function _holdback() internal view override returns (uint256[5] memory) {
        return _agedHoldback();
    }

    function test_holdbackVectors() public {
        string memory json = vm.readFile(VECTORS);
        uint256 steps;
        for (uint256 i; vm.keyExistsJson(json, _key(".cases", i, "")); ++i) {
            string memory c = _key(".cases", i, "");
            super.setUp();
            vm.assertEq(rewards.holdbackBps(), vm.parseJsonUint(json, string.concat(c, ".holdbackBps")), "holdback rate");
            vm.assertEq(rewards.vestingPeriod(), vm.parseJsonUint(json, string.concat(c, ".vestingSeconds")), "vesting period");
            (uint256 newBps, uint256 newVesting, uint256 ramp) = rewards.newAccountHoldback();
            vm.assertEq(newBps, vm.parseJsonUint(json, string.concat(c, ".newHoldbackBps")), "new holdback rate");
            vm.assertEq(newVesting, vm.parseJsonUint(json, string.concat(c, ".newVestingSeconds")), "new vesting period");
            vm.assertEq(ramp, vm.parseJsonUint(json, string.concat(c, ".ageRampSeconds")), "age ramp");
            vm.assertEq(block.timestamp, vm.parseJsonUint(json, string.concat(c, ".start")), "start");
            _postEpochs(json, c);
            for (uint256 j; vm.keyExistsJson(json, _key(string.concat(c, ".steps"), j, "")); ++j) {
                _step(json, _key(string.concat(c, ".steps"), j, ""));
                ++steps;
            }
        }
        vm.assertTrue(steps > 0, "no vector step read");
    }

    /// Every epoch of the case, posted now: single-leaf earned and slashed trees for the node.
    function _postEpochs(string memory json, string memory c) internal {
        for (uint64 e = 1; vm.keyExistsJson(json, _key(string.concat(c, ".epochs"), e - 1, "")); ++e) {
            string memory ep = _key(string.concat(c, ".epochs"), e - 1, "");
            uint256 cumulative = vm.parseJsonUint(json, string.concat(ep, ".cumulative"));
            uint256 slashed = vm.parseJsonUint(json, string.concat(ep, ".slashed"));
            vm.prank(poster);
            rewards.postRoot(
                e,
                _leaf(e, node, cumulative),
                slashed == 0 ? bytes32(0) : _leaf(e, node, slashed),
                bytes32(0),
                keccak256(abi.encode("holdback vectors", e)),
                cumulative,
                new HostingBounties.Draw[](0)
            );
        }
    }

    function _step(string memory json, string memory s) internal {
        vm.warp(vm.parseJsonUint(json, string.concat(s, ".at")));
        string memory op = vm.parseJsonString(json, string.concat(s, ".op"));
        uint256 before = token.balanceOf(node);
        if (keccak256(bytes(op)) == keccak256("claim")) {
            uint64 epoch = uint64(vm.parseJsonUint(json, string.concat(s, ".epoch")));
            rewards.claim(epoch, node, rewards.rootOf(epoch).totalEarned, new bytes32[](0));
        } else if (keccak256(bytes(op)) == keccak256("release")) {
            rewards.releaseVested(node);
        } else {
            uint64 epoch = uint64(vm.parseJsonUint(json, string.concat(s, ".epoch")));
            uint256 cumulative = _slashedOf(json, s, epoch);
            vm.assertEq(staking.slash(epoch, node, cumulative, new bytes32[](0)), vm.parseJsonUint(json, string.concat(s, ".taken")), string.concat(s, ": taken"));
        }
        vm.assertEq(token.balanceOf(node) - before, vm.parseJsonUint(json, string.concat(s, ".paid")), string.concat(s, ": paid"));
        vm.assertEq(token.balanceOf(node), vm.parseJsonUint(json, string.concat(s, ".balance")), string.concat(s, ": balance"));
        (uint256 unvested, uint256 vested, uint256 vestEnd) = rewards.heldOf(node);
        vm.assertEq(unvested, vm.parseJsonUint(json, string.concat(s, ".unvested")), string.concat(s, ": unvested"));
        vm.assertEq(vested, vm.parseJsonUint(json, string.concat(s, ".vested")), string.concat(s, ": vested"));
        vm.assertEq(vestEnd, vm.parseJsonUint(json, string.concat(s, ".vestEnd")), string.concat(s, ": vest end"));
    }

    /// The slashed cumulative of `epoch` in the case whose step is `s` (".cases[i].steps[j]").
    function _slashedOf(string memory json, string memory s, uint64 epoch) internal view returns (uint256) {
        bytes memory path = bytes(s);
        uint256 cut;
        for (uint256 k; k + 6 < path.length; ++k) {
            if (path[k] == ".") cut = k;
        }
        bytes memory casePath = new bytes(cut);
        for (uint256 k; k < cut; ++k) {
            casePath[k] = path[k];
        }
        return vm.parseJsonUint(json, string.concat(string(casePath), ".epochs[", vm.toString(uint256(epoch) - 1), "].slashed"));
    }

    function _key(string memory prefix, uint256 index, string memory suffix) private pure returns (string memory) {
        return string.concat(prefix, "[", vm.toString(index), "]", suffix);
    }
}
