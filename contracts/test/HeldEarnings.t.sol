// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Deployment} from "./utils/Deployment.sol";
import {MerkleBuilder} from "./utils/MerkleBuilder.sol";
import {VidyaToken} from "../src/VidyaToken.sol";
import {EpochRewards} from "../src/EpochRewards.sol";
import {HeldEarnings} from "../src/HeldEarnings.sol";
import {HostingBounties} from "../src/HostingBounties.sol";
import {Staking} from "../src/Staking.sol";

/// @notice Held-back earnings as a bond (DESIGN.md "Stake without buying the token"): a claim
/// holds back HOLDBACK_BPS of its amount, which vests linearly and is the node's slashable bond,
/// taken before its sponsors' pool.
contract HeldEarningsTest is Deployment {
    address internal node = makeAddr("node");
    address internal other = makeAddr("other");
    address internal sponsor = makeAddr("sponsor");
    address internal mallory = makeAddr("mallory");

    function setUp() public override {
        super.setUp();
        _fund(sponsor, 1_000 ether, address(staking));
    }

    // ---------------------------------------------------------------- holding back and vesting

    function test_claim_holdsBackItsShareAndVestsItLinearly() public {
        _earn(1, 100 ether);
        rewards.claim(1, node, 100 ether, new bytes32[](0));
        uint256 held = 100 ether * HOLDBACK_BPS / 10_000;
        vm.assertEq(token.balanceOf(node), 100 ether - held, "the rest paid at once");
        _assertHeld(held, 0, block.timestamp + HOLDBACK_VESTING);

        vm.warp(block.timestamp + HOLDBACK_VESTING / 4);
        _assertHeld(held - held / 4, held / 4, block.timestamp + HOLDBACK_VESTING * 3 / 4);
        vm.prank(mallory);
        vm.assertEq(rewards.releaseVested(node), held / 4, "a quarter released, to the node");
        vm.assertEq(token.balanceOf(node), 100 ether - held + held / 4, "node paid");
        vm.assertEq(token.balanceOf(mallory), 0, "the caller gains nothing");
        vm.expectRevert(abi.encodeWithSelector(HeldEarnings.NothingVested.selector, node));
        rewards.releaseVested(node);

        vm.warp(block.timestamp + HOLDBACK_VESTING);
        _assertHeld(0, held - held / 4, block.timestamp - HOLDBACK_VESTING / 4);
        rewards.releaseVested(node);
        vm.assertEq(token.balanceOf(node), 100 ether, "everything paid once vested");
        vm.assertEq(rewards.claimedOf(node), 100 ether, "claimed");
    }

    function test_claim_paysWhatVestedWithTheNextClaim() public {
        _earn(1, 100 ether);
        rewards.claim(1, node, 100 ether, new bytes32[](0));
        vm.warp(block.timestamp + HOLDBACK_VESTING);
        _earn(2, 300 ether);
        uint256 before = token.balanceOf(node);
        rewards.claim(2, node, 300 ether, new bytes32[](0));
        vm.assertEq(token.balanceOf(node) - before, _paidNow(200 ether) + (100 ether - _paidNow(100 ether)), "new part + vested");
    }

    /// A new held amount vests until the amount-weighted mean of the remaining times, so no held
    /// token waits longer or shorter on average for being merged.
    function test_claim_mergesAtTheWeightedMeanEnd() public {
        _earn(1, 100 ether);
        rewards.claim(1, node, 100 ether, new bytes32[](0));
        uint256 start = block.timestamp;
        vm.warp(start + HOLDBACK_VESTING / 2);
        _earn(2, 400 ether);
        (uint256 unvested,,) = rewards.heldOf(node);
        rewards.claim(2, node, 400 ether, new bytes32[](0));
        uint256 held = 300 ether * HOLDBACK_BPS / 10_000;
        (uint256 left, uint256 vested, uint256 vestEnd) = rewards.heldOf(node);
        vm.assertEq(vested, 0, "vested part paid with the claim");
        // The previous remainder had HOLDBACK_VESTING / 2 (minus the dispute delay) left.
        uint256 remaining = start + HOLDBACK_VESTING - block.timestamp;
        vm.assertEq(left, unvested + held, "merged");
        vm.assertEq(vestEnd, block.timestamp + (unvested * remaining + held * HOLDBACK_VESTING) / (unvested + held), "end");
    }

    function test_nodeWithoutTokensIsBondedByItsEarnings() public {
        vm.assertEq(token.balanceOf(node), 0, "no tokens");
        vm.assertEq(staking.slashableOf(node), 0, "no bond");
        _earn(1, 100 ether);
        rewards.claim(1, node, 100 ether, new bytes32[](0));
        vm.assertEq(staking.slashableOf(node), 100 ether - _paidNow(100 ether), "held earnings are its bond");
        vm.assertEq(staking.pooledOf(node), 0, "nobody sponsored it");
    }

    // ---------------------------------------------------------------- slashing held earnings

    function test_slash_takesHeldEarningsBeforeTheSponsorsPool() public {
        _earn(1, 100 ether);
        rewards.claim(1, node, 100 ether, new bytes32[](0));
        uint256 claimedAt = block.timestamp;
        uint256 held = 100 ether - _paidNow(100 ether);
        vm.prank(sponsor);
        staking.bond(node, 100 ether);
        bytes32[] memory proof = _slashes(2, held + 30 ether);
        uint256 supply = token.totalSupply();
        uint256 paidBefore = token.balanceOf(node);
        (, uint256 vested,) = rewards.heldOf(node);
        vm.assertTrue(vested > 0, "some vested during the dispute delay");
        vm.expectEmit(true, true, false, true, address(staking));
        emit Staking.Slashed(2, node, held + 30 ether, held - vested, held + 30 ether);
        // The node's own vested part is paid out, not slashed; the pool covers the rest.
        uint256 taken = staking.slash(2, node, held + 30 ether, proof);
        vm.assertEq(taken, held + 30 ether, "the whole leaf");
        _assertHeld(0, 0, claimedAt + HOLDBACK_VESTING);
        vm.assertEq(token.balanceOf(node), paidBefore + vested, "what had vested was paid, not slashed");
        vm.assertEq(staking.pooledOf(node), 100 ether - 30 ether - vested, "the pool covered the rest");
        vm.assertEq(token.totalSupply(), supply - taken, "all of it burned");
        vm.assertEq(rewards.totalHeldSlashed(), held - vested, "held slashed first");
        vm.assertEq(staking.slashExecutedOf(node), taken, "executed");
    }

    function test_slash_ofHeldEarningsAlone() public {
        _earn(1, 100 ether);
        rewards.claim(1, node, 100 ether, new bytes32[](0));
        bytes32[] memory proof = _slashes(2, 10 ether);
        vm.assertEq(staking.slash(2, node, 10 ether, proof), 10 ether, "slashed");
        (uint256 unvested, uint256 vested,) = rewards.heldOf(node);
        vm.assertEq(unvested + vested + 10 ether, 100 ether - _paidNow(100 ether) - _releasedSoFar(), "held less the slash");
        vm.assertEq(staking.pooledOf(node), 0, "no pool touched");
        vm.assertEq(_claimedValue(node) + 10 ether, 100 ether, "claimed = owned + slashed");
    }

    function test_slash_nothingHeldNothingPooled() public {
        bytes32[] memory proof = _slashes(1, 10 ether);
        vm.expectRevert(abi.encodeWithSelector(Staking.NothingToSlash.selector, node, 10 ether, 0));
        staking.slash(1, node, 10 ether, proof);
    }

    function test_malicious_slashHeldOnlyByStaking() public {
        _earn(1, 100 ether);
        rewards.claim(1, node, 100 ether, new bytes32[](0));
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.NotStaking.selector, mallory));
        vm.prank(mallory);
        rewards.slashHeld(node, 1 ether);
    }

    // ---------------------------------------------------------------- wiring

    function test_setStaking_onlyTheDeployerOnce() public {
        vm.expectRevert(EpochRewards.StakingLocked.selector);
        rewards.setStaking(address(1));
        VidyaToken fresh = new VidyaToken(treasury, 0, EMISSION_PER_EPOCH, address(0));
        EpochRewards unwired = new EpochRewards(fresh, poster, guardian, DISPUTE_DELAY, _holdback());
        vm.expectRevert(EpochRewards.StakingLocked.selector);
        vm.prank(mallory);
        unwired.setStaking(mallory);
        vm.expectRevert(EpochRewards.ZeroAddress.selector);
        unwired.setStaking(address(0));
    }

    function test_postRoot_refusedUntilStakingIsWired() public {
        VidyaToken fresh = new VidyaToken(treasury, 0, EMISSION_PER_EPOCH, address(0));
        EpochRewards unwired = new EpochRewards(fresh, poster, guardian, DISPUTE_DELAY, _holdback());
        fresh.setMinter(address(unwired));
        vm.expectRevert(EpochRewards.StakingNotSet.selector);
        vm.prank(poster);
        unwired.postRoot(1, bytes32(uint256(1)), 0, 0, 0, 1, new HostingBounties.Draw[](0));
        unwired.setStaking(address(staking));
        vm.prank(poster);
        unwired.postRoot(1, bytes32(uint256(1)), 0, 0, 0, 1, new HostingBounties.Draw[](0));
        vm.assertEq(unwired.lastEpoch(), 1, "posted once wired");
    }

    function test_constructor_refusesABadHoldback() public {
        vm.expectRevert(abi.encodeWithSelector(HeldEarnings.InvalidHoldback.selector, 10_001, 1 days));
        new EpochRewards(token, poster, guardian, DISPUTE_DELAY, [uint256(10_001), 1 days, 10_001, 1 days, 0]);
        vm.expectRevert(abi.encodeWithSelector(HeldEarnings.InvalidHoldback.selector, 5_000, 0));
        new EpochRewards(token, poster, guardian, DISPUTE_DELAY, [uint256(5_000), 0, 5_000, 0, 0]);
        // A new account may not hold back less, or for less long, than an aged one.
        vm.expectRevert(abi.encodeWithSelector(HeldEarnings.InvalidHoldback.selector, 4_000, 1 days));
        new EpochRewards(token, poster, guardian, DISPUTE_DELAY, [uint256(5_000), 1 days, 4_000, 1 days, 30 days]);
        vm.expectRevert(abi.encodeWithSelector(HeldEarnings.InvalidHoldback.selector, 5_000, 1 days));
        new EpochRewards(token, poster, guardian, DISPUTE_DELAY, [uint256(5_000), 2 days, 5_000, 1 days, 30 days]);
        // No holdback needs no vesting period.
        new EpochRewards(token, poster, guardian, DISPUTE_DELAY, [uint256(0), 0, 0, 0, 0]);
    }

    // ---------------------------------------------------------------- fuzz

    /// Whatever the amounts and the times of two claims and a release: every claim is split into
    /// a part paid and a part held of exactly HOLDBACK_BPS; vesting only ever grows, never past
    /// what was held, and is complete at the end; nothing is lost or created.
    function testFuzz_heldEarningsAddUpAndVestMonotonically(uint96 first, uint96 second, uint32 gap, uint32 later)
        public
    {
        uint256 a = bound(first, 1, EMISSION_PER_EPOCH);
        uint256 b = a + bound(second, 0, EMISSION_PER_EPOCH);
        _earn(1, a);
        rewards.claim(1, node, a, new bytes32[](0));
        vm.assertEq(token.balanceOf(node), _paidNow(a), "first split");
        vm.warp(block.timestamp + bound(gap, 0, 2 * HOLDBACK_VESTING));
        _earn(2, b);
        if (b > a) rewards.claim(2, node, b, new bytes32[](0));
        uint256 heldTotal = (a - _paidNow(a)) + (b - a - _paidNow(b - a));
        vm.assertEq(_claimedValue(node), b, "paid + held = claimed");

        uint256 lastVested;
        uint256 paid = token.balanceOf(node);
        for (uint256 step; step < 4; ++step) {
            vm.warp(block.timestamp + bound(uint256(keccak256(abi.encode(later, step))), 0, HOLDBACK_VESTING / 2));
            (uint256 unvested, uint256 vested,) = rewards.heldOf(node);
            vm.assertGe(paid - _paidNow(a) - _paidNow(b - a) + vested, lastVested, "vesting never goes back");
            lastVested = paid - _paidNow(a) - _paidNow(b - a) + vested;
            vm.assertLe(lastVested, heldTotal, "never more vests than was held");
            vm.assertEq(paid + unvested + vested, b, "conserved");
            if (step == 1 && vested != 0) {
                rewards.releaseVested(node);
                paid = token.balanceOf(node);
            }
        }
        vm.warp(block.timestamp + 2 * HOLDBACK_VESTING);
        (uint256 rest, uint256 due,) = rewards.heldOf(node);
        vm.assertEq(rest, 0, "all vested at the end");
        vm.assertEq(token.balanceOf(node) + due, b, "and all of it the node's");
    }

    /// A slash takes at most what is slashable (unvested held + pool) and at most what the leaf
    /// says, never anything that had vested.
    function testFuzz_slashWithinHeldAndPool(uint96 earned, uint96 bonded, uint96 owed, uint32 wait) public {
        uint256 e = bound(earned, 1, EMISSION_PER_EPOCH);
        _earn(1, e);
        rewards.claim(1, node, e, new bytes32[](0));
        uint256 b = bound(bonded, 0, 1_000 ether);
        if (b != 0) {
            vm.prank(sponsor);
            staking.bond(node, b);
        }
        uint256 o = bound(owed, 1, 2_000 ether);
        bytes32[] memory proof = _slashes(2, o);
        vm.warp(block.timestamp + bound(wait, 0, HOLDBACK_VESTING));
        uint256 slashable = staking.slashableOf(node);
        (, uint256 vested,) = rewards.heldOf(node);
        uint256 balance = token.balanceOf(node);
        if (slashable == 0) {
            vm.expectRevert(abi.encodeWithSelector(Staking.NothingToSlash.selector, node, o, 0));
            staking.slash(2, node, o, proof);
            return;
        }
        uint256 taken = staking.slash(2, node, o, proof);
        vm.assertEq(taken, o < slashable ? o : slashable, "min(owed, slashable)");
        vm.assertEq(token.balanceOf(node), balance + vested, "vested earnings paid, not slashed");
        vm.assertEq(staking.slashableOf(node), slashable - taken, "slashable fell by what was taken");
    }

    // ---------------------------------------------------------------- helpers

    /// Posts epoch `epoch` in which `node` has earned `cumulative` (a one-leaf earned tree) and finalises it.
    function _earn(uint64 epoch, uint256 cumulative) internal {
        _post(epoch, _leaf(epoch, node, cumulative), cumulative);
        _finalise();
    }

    /// Posts epoch `epoch` with a slashed tree of (node, toNode) and (other, 1), finalises it, and
    /// returns the node's proof.
    function _slashes(uint64 epoch, uint256 toNode) internal returns (bytes32[] memory) {
        bytes32[] memory leaves = new bytes32[](2);
        leaves[0] = _leaf(epoch, node, toNode);
        leaves[1] = _leaf(epoch, other, 1);
        // Earned leaves are cumulative: the node's carries forward beside the slashed tree.
        uint256 earned = rewards.rootOf(epoch - 1).totalEarned;
        _postRoots(epoch, earned == 0 ? bytes32(0) : _leaf(epoch, node, earned), MerkleBuilder.root(leaves), bytes32(0), earned);
        _finalise();
        return MerkleBuilder.proof(leaves, 0);
    }

    function _assertHeld(uint256 unvested, uint256 vested, uint256 vestEnd) internal view {
        (uint256 u, uint256 v, uint256 end) = rewards.heldOf(node);
        vm.assertEq(u, unvested, "unvested");
        vm.assertEq(v, vested, "vested");
        vm.assertEq(end, vestEnd, "vest end");
    }

    function _releasedSoFar() internal view returns (uint256) {
        return token.balanceOf(node) - _paidNow(100 ether);
    }
}
