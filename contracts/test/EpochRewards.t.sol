// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Deployment} from "./utils/Deployment.sol";
import {MerkleBuilder} from "./utils/MerkleBuilder.sol";
import {EpochRewards} from "../src/EpochRewards.sol";
import {VidyaToken} from "../src/VidyaToken.sol";
import {HostingBounties} from "../src/HostingBounties.sol";

contract EpochRewardsTest is Deployment {
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal carol = makeAddr("carol");
    address internal mallory = makeAddr("mallory");

    /// A three-leaf tree for `epoch`: alice, bob, carol with the given cumulative amounts.
    function _tree(uint64 epoch, uint256 a, uint256 b, uint256 c)
        internal
        view
        returns (bytes32 root, bytes32[] memory leaves)
    {
        leaves = new bytes32[](3);
        leaves[0] = _leaf(epoch, alice, a);
        leaves[1] = _leaf(epoch, bob, b);
        leaves[2] = _leaf(epoch, carol, c);
        root = MerkleBuilder.root(leaves);
    }

    function _postTree(uint64 epoch, uint256 a, uint256 b, uint256 c) internal returns (bytes32[] memory leaves) {
        bytes32 root;
        (root, leaves) = _tree(epoch, a, b, c);
        _post(epoch, root, a + b + c);
    }

    // ---------------------------------------------------------------- postRoot

    function test_postRoot_storesAndEmits() public {
        (bytes32 root,) = _tree(1, 100, 200, 0);
        bytes32 slashed = keccak256("slashed");
        bytes32 spent = keccak256("spent");
        bytes32 inputs = keccak256("inputs");
        vm.expectEmit(true, false, false, true, address(rewards));
        emit EpochRewards.RootPosted(1, root, slashed, spent, inputs, 300, 300, 0, START + DISPUTE_DELAY);
        vm.prank(poster);
        rewards.postRoot(1, root, slashed, spent, inputs, 300, new HostingBounties.Draw[](0));

        EpochRewards.EpochRoot memory stored = rewards.rootOf(1);
        vm.assertEq(stored.earnedRoot, root, "earnedRoot");
        vm.assertEq(stored.slashedRoot, slashed, "slashedRoot");
        vm.assertEq(stored.spentRoot, spent, "spentRoot");
        vm.assertEq(stored.inputsHash, inputs, "inputsHash");
        vm.assertEq(stored.totalEarned, 300, "totalEarned");
        vm.assertEq(stored.postedAt, START, "postedAt");
        vm.assertFalse(stored.disabled, "disabled");
        vm.assertEq(rewards.lastEpoch(), 1, "lastEpoch");
        vm.assertEq(rewards.committedEpochs(), 1, "committedEpochs");
        vm.assertFalse(rewards.isFinal(1), "final too early");
        vm.warp(START + DISPUTE_DELAY - 1);
        vm.assertFalse(rewards.isFinal(1), "final one second early");
        vm.warp(START + DISPUTE_DELAY);
        vm.assertTrue(rewards.isFinal(1), "final at activation");
        vm.assertFalse(rewards.isFinal(2), "unposted epoch final");
    }

    function test_postRoot_mintsTheGrowthOfTheEarnedTotal() public {
        _post(1, bytes32(uint256(1)), 300);
        vm.assertEq(token.balanceOf(address(rewards)), 300, "minted to back epoch 1");
        vm.assertEq(rewards.totalBacked(), 300, "backed");
        _post(2, bytes32(uint256(2)), 300);
        vm.assertEq(token.balanceOf(address(rewards)), 300, "no growth, no mint");
        _post(3, bytes32(uint256(3)), 1000);
        vm.assertEq(token.balanceOf(address(rewards)), 1000, "growth minted");
        vm.assertEq(token.totalEmitted(), 1000, "emitted");
        vm.assertEq(token.totalSupply(), GENESIS_SUPPLY + 1000, "supply");
    }

    function test_postRoot_zeroRootsMeanNoLeaves() public {
        _post(1, bytes32(0), 0);
        _finalise();
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.EmptyTree.selector, 1, EpochRewards.Tree.Earned));
        rewards.claim(1, alice, 0, new bytes32[](0));
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.EmptyTree.selector, 1, EpochRewards.Tree.Slashed));
        rewards.verifyFinalLeaf(EpochRewards.Tree.Slashed, 1, alice, 0, new bytes32[](0));
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.EmptyTree.selector, 1, EpochRewards.Tree.Spent));
        rewards.verifyFinalLeaf(EpochRewards.Tree.Spent, 1, alice, 0, new bytes32[](0));
    }

    function test_malicious_totalWithoutLeaves() public {
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.TotalWithoutLeaves.selector, 1));
        _post(1, bytes32(0), 1);
    }

    function test_verifyFinalLeaf_eachTreeAgainstItsOwnRoot() public {
        (bytes32 earned, bytes32[] memory earnedLeaves) = _tree(1, 100, 200, 50);
        (bytes32 slashed, bytes32[] memory slashedLeaves) = _tree(1, 7, 8, 9);
        (bytes32 spent, bytes32[] memory spentLeaves) = _tree(1, 10, 20, 30);
        _postRoots(1, earned, slashed, spent, 350);
        _finalise();
        rewards.verifyFinalLeaf(EpochRewards.Tree.Earned, 1, alice, 100, MerkleBuilder.proof(earnedLeaves, 0));
        rewards.verifyFinalLeaf(EpochRewards.Tree.Slashed, 1, bob, 8, MerkleBuilder.proof(slashedLeaves, 1));
        rewards.verifyFinalLeaf(EpochRewards.Tree.Spent, 1, carol, 30, MerkleBuilder.proof(spentLeaves, 2));
        // A slashed leaf is no earned leaf, and the reverse.
        vm.expectRevert(EpochRewards.InvalidProof.selector);
        rewards.verifyFinalLeaf(EpochRewards.Tree.Earned, 1, bob, 8, MerkleBuilder.proof(slashedLeaves, 1));
        vm.expectRevert(EpochRewards.InvalidProof.selector);
        rewards.verifyFinalLeaf(EpochRewards.Tree.Slashed, 1, alice, 100, MerkleBuilder.proof(earnedLeaves, 0));
        vm.expectRevert(EpochRewards.InvalidProof.selector);
        rewards.claim(1, carol, 30, MerkleBuilder.proof(spentLeaves, 2));
    }

    function test_malicious_postByNonPoster() public {
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.NotPoster.selector, mallory));
        vm.prank(mallory);
        rewards.postRoot(1, bytes32(uint256(1)), 0, 0, 0, 0, new HostingBounties.Draw[](0));
    }

    function test_malicious_skipEpoch() public {
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.EpochOutOfOrder.selector, 2, 1));
        _post(2, bytes32(uint256(1)), 0);
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.EpochOutOfOrder.selector, 0, 1));
        _post(0, bytes32(uint256(1)), 0);
    }

    function test_malicious_repostEpoch() public {
        _post(1, bytes32(uint256(1)), 10);
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.EpochOutOfOrder.selector, 1, 2));
        _post(1, bytes32(uint256(2)), 10);
    }

    function test_postRoot_totalEarnedNonDecreasing() public {
        _post(1, bytes32(uint256(1)), 100);
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.TotalEarnedDecreased.selector, 99, 100));
        _post(2, bytes32(uint256(2)), 99);
        _post(2, bytes32(uint256(2)), 100);
    }

    function test_postRoot_totalEarnedWithinEmission() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                EpochRewards.TotalEarnedAboveCap.selector, EMISSION_PER_EPOCH + 1, EMISSION_PER_EPOCH
            )
        );
        _post(1, bytes32(uint256(1)), EMISSION_PER_EPOCH + 1);
        _post(1, bytes32(uint256(1)), EMISSION_PER_EPOCH);
        _post(2, bytes32(uint256(2)), 2 * EMISSION_PER_EPOCH);
    }

    // ---------------------------------------------------------------- claim

    function test_claim_paysAndRecords() public {
        bytes32[] memory leaves = _postTree(1, 100, 200, 50);
        _finalise();
        uint256 held = 200 - _paidNow(200);
        vm.expectEmit(true, true, false, true, address(rewards));
        emit EpochRewards.Claimed(1, bob, 200, 200, 200 - held);
        uint256 claimed = rewards.claim(1, bob, 200, MerkleBuilder.proof(leaves, 1));
        vm.assertEq(claimed, 200, "claimed");
        vm.assertEq(token.balanceOf(bob), 200 - held, "balance: the claim less what is held back");
        (uint256 unvested, uint256 vested, uint256 vestEnd) = rewards.heldOf(bob);
        vm.assertEq(unvested, held, "held, unvested");
        vm.assertEq(vested, 0, "nothing vested yet");
        vm.assertEq(vestEnd, block.timestamp + HOLDBACK_VESTING, "vests over the period");
        vm.assertEq(rewards.claimedOf(bob), 200, "claimedOf");
        vm.assertEq(token.balanceOf(address(rewards)), 150 + held, "the rest stays for the others, and the held part");
        vm.assertEq(token.totalSupply(), GENESIS_SUPPLY + 350, "supply: the root's total, minted when posted");
    }

    function test_claim_byThirdPartyPaysTheAccount() public {
        bytes32[] memory leaves = _postTree(1, 100, 200, 50);
        _finalise();
        vm.prank(mallory);
        rewards.claim(1, alice, 100, MerkleBuilder.proof(leaves, 0));
        vm.assertEq(token.balanceOf(alice), _paidNow(100), "alice paid");
        vm.assertEq(_claimedValue(alice), 100, "alice holds the rest");
        vm.assertEq(token.balanceOf(mallory), 0, "submitter unpaid");
        vm.assertEq(_claimedValue(mallory), 0, "submitter holds nothing");
    }

    function test_claim_singleLeafTree() public {
        bytes32 leaf = _leaf(1, alice, 42);
        _post(1, leaf, 42);
        _finalise();
        rewards.claim(1, alice, 42, new bytes32[](0));
        vm.assertEq(token.balanceOf(alice), _paidNow(42), "paid");
        vm.assertEq(_claimedValue(alice), 42, "paid and held");
    }

    function test_claim_cumulativeAcrossEpochs() public {
        bytes32[] memory first = _postTree(1, 100, 0, 0);
        _finalise();
        rewards.claim(1, alice, 100, MerkleBuilder.proof(first, 0));
        bytes32[] memory second = _postTree(2, 350, 10, 0);
        _finalise();
        // The first claim's held part vests a little during the dispute delay; it is paid with the second.
        (, uint256 vested,) = rewards.heldOf(alice);
        vm.expectEmit(true, true, false, true, address(rewards));
        emit EpochRewards.Claimed(2, alice, 250, 350, _paidNow(250) + vested);
        rewards.claim(2, alice, 350, MerkleBuilder.proof(second, 0));
        vm.assertEq(token.balanceOf(alice), _paidNow(100) + _paidNow(250) + vested, "paid in total");
        vm.assertEq(_claimedValue(alice), 350, "paid and held in total");

        // The older root's smaller amount pays nothing any more.
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.NothingToClaim.selector, alice, 100, 350));
        rewards.claim(1, alice, 100, MerkleBuilder.proof(first, 0));
    }

    function test_malicious_claimTwice() public {
        bytes32[] memory leaves = _postTree(1, 100, 200, 50);
        _finalise();
        rewards.claim(1, alice, 100, MerkleBuilder.proof(leaves, 0));
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.NothingToClaim.selector, alice, 100, 100));
        rewards.claim(1, alice, 100, MerkleBuilder.proof(leaves, 0));
    }

    function test_malicious_claimBeforeActivation() public {
        bytes32[] memory leaves = _postTree(1, 100, 200, 50);
        vm.warp(START + DISPUTE_DELAY - 1);
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.RootNotFinal.selector, 1, START + DISPUTE_DELAY));
        rewards.claim(1, alice, 100, MerkleBuilder.proof(leaves, 0));
        vm.warp(START + DISPUTE_DELAY);
        rewards.claim(1, alice, 100, MerkleBuilder.proof(leaves, 0));
    }

    function test_malicious_claimUnknownEpoch() public {
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.UnknownEpoch.selector, 1));
        rewards.claim(1, alice, 100, new bytes32[](0));
    }

    function test_malicious_forgedProof() public {
        bytes32[] memory leaves = _postTree(1, 100, 200, 50);
        _finalise();
        bytes32[] memory forged = MerkleBuilder.proof(leaves, 0);
        forged[0] = keccak256("forged");
        vm.expectRevert(EpochRewards.InvalidProof.selector);
        rewards.claim(1, alice, 100, forged);
    }

    function test_malicious_inflatedAmount() public {
        bytes32[] memory leaves = _postTree(1, 100, 200, 50);
        _finalise();
        vm.expectRevert(EpochRewards.InvalidProof.selector);
        rewards.claim(1, alice, 101, MerkleBuilder.proof(leaves, 0));
    }

    function test_malicious_proofForAnotherAccount() public {
        bytes32[] memory leaves = _postTree(1, 100, 200, 50);
        _finalise();
        // Bob's proof and amount, claimed for mallory.
        vm.expectRevert(EpochRewards.InvalidProof.selector);
        rewards.claim(1, mallory, 200, MerkleBuilder.proof(leaves, 1));
        // Bob's proof and amount, for alice.
        vm.expectRevert(EpochRewards.InvalidProof.selector);
        rewards.claim(1, alice, 200, MerkleBuilder.proof(leaves, 1));
    }

    function test_malicious_leafOfAnotherEpoch() public {
        _postTree(1, 100, 200, 50);
        // Epoch 2's root over epoch-1 leaves: the epoch in the leaf must match.
        (bytes32 root, bytes32[] memory leaves) = _tree(1, 100, 200, 50);
        _post(2, root, 350);
        _finalise();
        vm.expectRevert(EpochRewards.InvalidProof.selector);
        rewards.claim(2, alice, 100, MerkleBuilder.proof(leaves, 0));
    }

    function test_malicious_internalNodeAsLeaf() public {
        bytes32[] memory leaves = _postTree(1, 100, 200, 50);
        _finalise();
        // Double hashing: an inner node cannot pass as a leaf of any (epoch, account, amount).
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = leaves[2];
        vm.expectRevert(EpochRewards.InvalidProof.selector);
        rewards.claim(1, alice, uint256(keccak256(abi.encode(leaves[0], leaves[1]))), proof);
    }

    // ---------------------------------------------------------------- disableRoot

    function test_disableRoot_beforeActivation() public {
        bytes32[] memory leaves = _postTree(1, 100, 200, 50);
        vm.expectEmit(true, false, false, true, address(rewards));
        emit EpochRewards.RootDisabled(1);
        vm.prank(guardian);
        rewards.disableRoot(1);
        _finalise();
        vm.assertFalse(rewards.isFinal(1), "disabled root final");
        vm.assertTrue(rewards.rootOf(1).disabled, "disabled flag");
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.DisabledRoot.selector, 1));
        rewards.claim(1, alice, 100, MerkleBuilder.proof(leaves, 0));
    }

    function test_disableRoot_afterActivation() public {
        bytes32[] memory leaves = _postTree(1, 100, 200, 50);
        _finalise();
        rewards.claim(1, alice, 100, MerkleBuilder.proof(leaves, 0));
        vm.prank(guardian);
        rewards.disableRoot(1);
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.DisabledRoot.selector, 1));
        rewards.claim(1, bob, 200, MerkleBuilder.proof(leaves, 1));
        vm.assertEq(_claimedValue(alice), 100, "earlier claim stands");
        vm.assertEq(rewards.committedEpochs(), 1, "epoch stays committed");
    }

    function test_disableRoot_onlyGuardian() public {
        _post(1, bytes32(uint256(1)), 0);
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.NotGuardian.selector, poster));
        vm.prank(poster);
        rewards.disableRoot(1);
    }

    function test_disableRoot_unknownOrTwice() public {
        vm.startPrank(guardian);
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.UnknownEpoch.selector, 1));
        rewards.disableRoot(1);
        vm.stopPrank();
        _post(1, bytes32(uint256(1)), 0);
        vm.startPrank(guardian);
        rewards.disableRoot(1);
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.DisabledRoot.selector, 1));
        rewards.disableRoot(1);
        vm.stopPrank();
    }

    function test_disableRoot_latestReleasesItsTotal() public {
        _post(1, bytes32(uint256(1)), 100);
        _post(2, bytes32(uint256(2)), 900); // a bad, inflated total
        vm.prank(guardian);
        rewards.disableRoot(2);
        _post(3, bytes32(uint256(3)), 150); // measured against epoch 1 again
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.TotalEarnedDecreased.selector, 149, 150));
        _post(4, bytes32(uint256(4)), 149);
    }

    function test_constructor_refusesZeroAddresses() public {
        vm.expectRevert(EpochRewards.ZeroAddress.selector);
        new EpochRewards(token, address(0), guardian, DISPUTE_DELAY, _holdback());
        vm.expectRevert(EpochRewards.ZeroAddress.selector);
        new EpochRewards(token, poster, address(0), DISPUTE_DELAY, _holdback());
        vm.expectRevert(EpochRewards.ZeroAddress.selector);
        new EpochRewards(VidyaToken(address(0)), poster, guardian, DISPUTE_DELAY, _holdback());
    }

    function test_leafHash_matchesStandardMerkleTree() public view {
        vm.assertEq(rewards.leafHash(3, alice, 123), _leaf(3, alice, 123), "leafHash");
    }

    // ---------------------------------------------------------------- fuzz

    /// Fuzzed amounts and a fuzzed leaf set: every claim pays its cumulative amount once, and
    /// a second claim of any kind pays nothing.
    function testFuzz_claimNeverPaysTwice(uint256[6] memory amounts, uint256 who) public {
        (bytes32 root, bytes32[] memory leaves, address[] memory accounts, uint256 total) =
            _fuzzTree(1, amounts, EMISSION_PER_EPOCH);
        _post(1, root, total);
        _finalise();
        uint256 i = bound(who, 0, leaves.length - 1);
        uint256 cumulative = bound(amounts[i], 1, EMISSION_PER_EPOCH / leaves.length);
        rewards.claim(1, accounts[i], cumulative, MerkleBuilder.proof(leaves, i));
        vm.assertEq(_claimedValue(accounts[i]), cumulative, "paid once");
        vm.expectRevert(
            abi.encodeWithSelector(EpochRewards.NothingToClaim.selector, accounts[i], cumulative, cumulative)
        );
        rewards.claim(1, accounts[i], cumulative, MerkleBuilder.proof(leaves, i));
        vm.assertEq(_claimedValue(accounts[i]), cumulative, "not paid twice");
    }

    /// Over two epochs with growing cumulative amounts and claims in any order, no account
    /// is ever paid more than the largest cumulative amount committed for it, and claiming the
    /// newest root pays exactly that.
    function testFuzz_claimedNeverExceedsCommitted(uint256[6] memory amounts, uint256[6] memory raises, uint8 order)
        public
    {
        uint256 per = EMISSION_PER_EPOCH / 12;
        uint256 count = 1 + (amounts[0] % 6);
        uint256[6] memory first;
        uint256[6] memory grown;
        for (uint256 i; i < count; ++i) {
            first[i] = bound(amounts[i], 1, per);
            grown[i] = first[i] + bound(raises[i], 0, per);
        }
        (bytes32 root1, bytes32[] memory leaves1, address[] memory accounts, uint256 total1) =
            _fuzzTreeExact(1, first, count);
        _post(1, root1, total1);
        (bytes32 root2, bytes32[] memory leaves2,, uint256 total2) = _fuzzTreeExact(2, grown, count);
        _post(2, root2, total2);
        _finalise();

        for (uint256 i; i < count; ++i) {
            if ((order >> i) & 1 == 1) {
                // Newest first: the old root then pays nothing.
                rewards.claim(2, accounts[i], grown[i], MerkleBuilder.proof(leaves2, i));
                vm.expectRevert(
                    abi.encodeWithSelector(EpochRewards.NothingToClaim.selector, accounts[i], first[i], grown[i])
                );
                rewards.claim(1, accounts[i], first[i], MerkleBuilder.proof(leaves1, i));
            } else {
                rewards.claim(1, accounts[i], first[i], MerkleBuilder.proof(leaves1, i));
                if (grown[i] > first[i]) rewards.claim(2, accounts[i], grown[i], MerkleBuilder.proof(leaves2, i));
            }
            vm.assertEq(_claimedValue(accounts[i]), grown[i], "paid the newest cumulative");
            vm.assertEq(rewards.claimedOf(accounts[i]), grown[i], "claimedOf");
        }
        vm.assertEq(token.totalEmitted(), total2, "paid the root's total");
    }

    /// A disabled root pays nothing, to anyone, at any time.
    function testFuzz_disabledRootPaysNothing(uint256[6] memory amounts, uint256 who, uint256 wait, bool early) public {
        (bytes32 root, bytes32[] memory leaves, address[] memory accounts, uint256 total) =
            _fuzzTree(1, amounts, EMISSION_PER_EPOCH);
        _post(1, root, total);
        if (!early) _finalise();
        vm.prank(guardian);
        rewards.disableRoot(1);
        vm.warp(block.timestamp + bound(wait, 0, 3650 days));
        uint256 i = bound(who, 0, leaves.length - 1);
        uint256 cumulative = bound(amounts[i], 1, EMISSION_PER_EPOCH / leaves.length);
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.DisabledRoot.selector, 1));
        rewards.claim(1, accounts[i], cumulative, MerkleBuilder.proof(leaves, i));
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.DisabledRoot.selector, 1));
        rewards.verifyFinalLeaf(EpochRewards.Tree.Earned, 1, accounts[i], cumulative, MerkleBuilder.proof(leaves, i));
        vm.assertEq(_claimedValue(accounts[i]), 0, "nothing paid");
        vm.assertEq(token.balanceOf(address(rewards)), total, "everything still held");
    }

    /// Any proof not built from the committed leaf fails, whatever the fuzzer picks.
    function testFuzz_randomProofFails(address account, uint256 cumulative, bytes32[] memory proof) public {
        (bytes32 root,) = _tree(1, 100, 200, 50);
        _post(1, root, 350);
        _finalise();
        vm.assume(!(account == alice && cumulative == 100));
        vm.assume(!(account == bob && cumulative == 200));
        vm.assume(!(account == carol && cumulative == 50));
        vm.expectRevert(EpochRewards.InvalidProof.selector);
        rewards.claim(1, account, cumulative, proof);
    }

    /// The contract's assembly proof loop computes exactly what OpenZeppelin's MerkleProof does,
    /// for any leaf and any proof.
    function testFuzz_processProofMatchesOpenZeppelin(bytes32 leaf, bytes32[] memory proof) public view {
        vm.assertEq(rewards.processProof(proof, leaf), MerkleProof.processProof(proof, leaf), "differs from OpenZeppelin");
    }

    /// The edge cases of a sorted pair: equal words, and siblings on either side.
    function test_processProof_equalAndOrderedPairs() public view {
        bytes32[] memory proof = new bytes32[](3);
        bytes32 leaf = keccak256("leaf");
        proof[0] = leaf; // equal words
        proof[1] = bytes32(0); // smaller than anything
        proof[2] = bytes32(type(uint256).max); // larger than anything
        vm.assertEq(rewards.processProof(proof, leaf), MerkleProof.processProof(proof, leaf), "differs from OpenZeppelin");
        vm.assertEq(rewards.processProof(new bytes32[](0), leaf), leaf, "empty proof: the leaf is the root");
    }

    // ---------------------------------------------------------------- helpers

    /// Between 1 and 6 distinct accounts with amounts in [1, budget / count].
    function _fuzzTree(uint64 epoch, uint256[6] memory amounts, uint256 budget)
        internal
        pure
        returns (bytes32 root, bytes32[] memory leaves, address[] memory accounts, uint256 total)
    {
        uint256 count = 1 + (amounts[0] % 6);
        uint256[6] memory exact;
        for (uint256 i; i < count; ++i) {
            exact[i] = bound(amounts[i], 1, budget / count);
        }
        return _fuzzTreeExact(epoch, exact, count);
    }

    function _fuzzTreeExact(uint64 epoch, uint256[6] memory amounts, uint256 count)
        internal
        pure
        returns (bytes32 root, bytes32[] memory leaves, address[] memory accounts, uint256 total)
    {
        leaves = new bytes32[](count);
        accounts = new address[](count);
        for (uint256 i; i < count; ++i) {
            // casting to 'uint160' is safe because i < 6
            // forge-lint: disable-next-line(unsafe-typecast)
            accounts[i] = address(uint160(0x1000 + i));
            leaves[i] = _leaf(epoch, accounts[i], amounts[i]);
            total += amounts[i];
        }
        root = MerkleBuilder.root(leaves);
    }
}
