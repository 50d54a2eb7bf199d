// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Deployment} from "./utils/Deployment.sol";
import {MerkleBuilder} from "./utils/MerkleBuilder.sol";
import {EpochRewards} from "../src/EpochRewards.sol";
import {HostingBadges} from "../src/HostingBadges.sol";

contract HostingBadgesTest is Deployment {
    address internal host = makeAddr("host");
    address internal otherHost = makeAddr("otherHost");
    address internal mallory = makeAddr("mallory");

    bytes32[] internal leaves;

    function setUp() public override {
        super.setUp();
        leaves.push(_leaf(1, host, 100));
        leaves.push(_leaf(1, otherHost, 50));
        _post(1, MerkleBuilder.root(leaves), 150);
    }

    function test_claim_mintsTheEpochsBadge() public {
        _finalise();
        vm.prank(mallory);
        badges.claim(1, host, 100, MerkleBuilder.proof(leaves, 0));
        vm.assertEq(badges.balanceOf(host, 1), 1, "badge of epoch 1");
        vm.assertEq(badges.balanceOf(mallory, 1), 0, "the submitter gets nothing");
        vm.assertEq(badges.uri(1), "https://vidya.example/badges/{id}.json", "uri");
    }

    function test_malicious_claimTwice() public {
        _finalise();
        badges.claim(1, host, 100, MerkleBuilder.proof(leaves, 0));
        vm.expectRevert(abi.encodeWithSelector(HostingBadges.AlreadyClaimed.selector, 1, host));
        badges.claim(1, host, 100, MerkleBuilder.proof(leaves, 0));
        vm.assertEq(badges.balanceOf(host, 1), 1, "one badge");
    }

    function test_malicious_claimBeforeFinal() public {
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.RootNotFinal.selector, 1, START + DISPUTE_DELAY));
        badges.claim(1, host, 100, MerkleBuilder.proof(leaves, 0));
    }

    function test_malicious_claimFromADisabledRoot() public {
        vm.prank(guardian);
        rewards.disableRoot(1);
        _finalise();
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.DisabledRoot.selector, 1));
        badges.claim(1, host, 100, MerkleBuilder.proof(leaves, 0));
    }

    function test_malicious_claimWithoutALeaf() public {
        _finalise();
        vm.expectRevert(EpochRewards.InvalidProof.selector);
        badges.claim(1, mallory, 100, MerkleBuilder.proof(leaves, 0));
        vm.expectRevert(HostingBadges.NothingEarned.selector);
        badges.claim(1, mallory, 0, new bytes32[](0));
    }

    function test_malicious_claimWithASlashedLeaf() public {
        bytes32 slashed = _leaf(2, mallory, 7);
        _postRoots(2, MerkleBuilder.root(leaves), slashed, bytes32(0), 150);
        _finalise();
        vm.expectRevert(EpochRewards.InvalidProof.selector);
        badges.claim(2, mallory, 7, new bytes32[](0));
    }

    function test_malicious_transferABadge() public {
        _finalise();
        badges.claim(1, host, 100, MerkleBuilder.proof(leaves, 0));
        vm.startPrank(host);
        vm.expectRevert(HostingBadges.Soulbound.selector);
        badges.safeTransferFrom(host, mallory, 1, 1, "");
        uint256[] memory ids = new uint256[](1);
        ids[0] = 1;
        uint256[] memory values = new uint256[](1);
        values[0] = 1;
        vm.expectRevert(HostingBadges.Soulbound.selector);
        badges.safeBatchTransferFrom(host, mallory, ids, values, "");
        vm.expectRevert(HostingBadges.Soulbound.selector);
        badges.setApprovalForAll(mallory, true);
        vm.stopPrank();
        vm.assertEq(badges.balanceOf(host, 1), 1, "still the host's");
        vm.assertEq(badges.balanceOf(mallory, 1), 0, "never moved");
    }

    /// Any account with a positive leaf gets exactly one badge of the epoch; any other account
    /// or amount gets none.
    function testFuzz_badgeOnlyForALeaf(address account, uint256 cumulative) public {
        _finalise();
        bool isLeaf = (account == host && cumulative == 100) || (account == otherHost && cumulative == 50);
        vm.assume(account != address(0) && account.code.length == 0);
        if (!isLeaf) {
            vm.expectRevert();
            badges.claim(1, account, cumulative, MerkleBuilder.proof(leaves, 0));
            vm.assertEq(badges.balanceOf(account, 1), 0, "no badge");
        } else {
            badges.claim(1, account, cumulative, MerkleBuilder.proof(leaves, account == host ? 0 : 1));
            vm.assertEq(badges.balanceOf(account, 1), 1, "badge");
        }
    }
}
