// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Deployment} from "./utils/Deployment.sol";
import {MerkleBuilder} from "./utils/MerkleBuilder.sol";
import {Staking} from "../src/Staking.sol";
import {FeePool} from "../src/FeePool.sol";
import {EpochRewards} from "../src/EpochRewards.sol";

contract StakingTest is Deployment {
    address internal member = makeAddr("member");
    address internal node = makeAddr("node");
    address internal sponsor = makeAddr("sponsor");
    address internal mallory = makeAddr("mallory");
    address internal other = makeAddr("other");

    function setUp() public override {
        super.setUp();
        address[5] memory funded = [member, node, sponsor, mallory, other];
        for (uint256 i; i < funded.length; ++i) {
            _fund(funded[i], 1_000 ether, address(staking));
        }
        vm.prank(treasury);
        token.approve(address(staking), type(uint256).max);
    }

    // ---------------------------------------------------------------- access stake

    function test_stake() public {
        vm.expectEmit(true, false, false, true, address(staking));
        emit Staking.Staked(member, 100 ether);
        vm.prank(member);
        staking.stake(100 ether);
        vm.assertEq(staking.stakeOf(member), 100 ether, "stakeOf");
        vm.assertEq(staking.weightOf(member), 100 ether, "unlocked weight = stake");
        vm.assertEq(token.balanceOf(address(staking)), 100 ether, "held");
        vm.assertEq(token.balanceOf(member), 900 ether, "member balance");
    }

    function test_stake_needsApproval() public {
        address stranger = makeAddr("stranger");
        vm.prank(treasury);
        vm.assertTrue(token.transfer(stranger, 10 ether), "funded");
        vm.expectRevert();
        vm.prank(stranger);
        staking.stake(10 ether);
    }

    function test_zeroAmountsRefused() public {
        vm.startPrank(member);
        vm.expectRevert(Staking.ZeroAmount.selector);
        staking.stake(0);
        vm.expectRevert(Staking.ZeroAmount.selector);
        staking.bond(node, 0);
        vm.expectRevert(Staking.ZeroAmount.selector);
        staking.requestUnstake(0);
        vm.expectRevert(Staking.ZeroAmount.selector);
        staking.requestUnbond(node, 0);
        vm.expectRevert(Staking.ZeroAddress.selector);
        staking.bond(address(0), 1);
        vm.expectRevert(FeePool.ZeroFees.selector);
        staking.addFees(0);
        vm.stopPrank();
    }

    function test_malicious_unstakeMoreThanStaked() public {
        vm.prank(member);
        staking.stake(100 ether);
        vm.expectRevert(abi.encodeWithSelector(Staking.InsufficientStake.selector, 101 ether, 100 ether));
        vm.prank(member);
        staking.requestUnstake(101 ether);
    }

    function test_unstakeThenWithdrawAfterDelay() public {
        vm.startPrank(member);
        staking.stake(100 ether);
        vm.expectEmit(true, false, false, true, address(staking));
        emit Staking.UnstakeRequested(member, 40 ether, START + UNBONDING_DELAY);
        staking.requestUnstake(40 ether);
        vm.assertEq(staking.stakeOf(member), 60 ether, "stake drops at once");
        vm.assertEq(staking.weightOf(member), 60 ether, "weight drops at once");
        (uint256 amount, uint256 releaseAt) = staking.pendingOf(member);
        vm.assertEq(amount, 40 ether, "pending");
        vm.assertEq(releaseAt, START + UNBONDING_DELAY, "releaseAt");

        vm.warp(START + UNBONDING_DELAY - 1);
        vm.expectRevert(abi.encodeWithSelector(Staking.StillUnbonding.selector, START + UNBONDING_DELAY));
        staking.withdraw();

        vm.warp(START + UNBONDING_DELAY);
        vm.expectEmit(true, false, false, true, address(staking));
        emit Staking.Withdrawn(member, 40 ether);
        staking.withdraw();
        vm.assertEq(token.balanceOf(member), 940 ether, "paid back");
        vm.expectRevert(Staking.NothingToWithdraw.selector);
        staking.withdraw();
        vm.stopPrank();
    }

    function test_newRequestRestartsTheDelay() public {
        vm.startPrank(member);
        staking.stake(100 ether);
        staking.requestUnstake(10 ether);
        vm.warp(START + UNBONDING_DELAY - 1);
        staking.requestUnstake(10 ether);
        vm.warp(START + UNBONDING_DELAY);
        vm.expectRevert(abi.encodeWithSelector(Staking.StillUnbonding.selector, START + 2 * UNBONDING_DELAY - 1));
        staking.withdraw();
        vm.warp(START + 2 * UNBONDING_DELAY - 1);
        vm.assertEq(staking.withdraw(), 20 ether, "whole pending paid");
        vm.stopPrank();
    }

    // ---------------------------------------------------------------- locks and boost

    function test_boostFor_curve() public view {
        vm.assertEq(staking.boostFor(0), WAD, "no lock: 1x");
        vm.assertEq(staking.boostFor(MAX_LOCK), LOCK_BOOST_CAP, "max lock: the cap");
        vm.assertEq(staking.boostFor(10 * MAX_LOCK), LOCK_BOOST_CAP, "capped beyond");
        // A quarter of the longest lock earns half the extra boost: the square root.
        vm.assertEq(staking.boostFor(MAX_LOCK / 4), WAD + (LOCK_BOOST_CAP - WAD) / 2, "quarter lock");
    }

    /// The boost never falls as a lock grows, never exceeds the cap, and is concave: doubling
    /// a lock never doubles the extra boost.
    function testFuzz_boostMonotoneCappedConcave(uint256 a, uint256 b) public view {
        a = bound(a, 0, 2 * MAX_LOCK);
        b = bound(b, a, 2 * MAX_LOCK);
        uint256 boostA = staking.boostFor(a);
        uint256 boostB = staking.boostFor(b);
        vm.assertLe(boostA, boostB, "monotone");
        vm.assertLe(boostB, LOCK_BOOST_CAP, "capped");
        vm.assertGe(boostA, WAD, "at least 1x");
        if (a > 0 && 2 * a <= MAX_LOCK) {
            vm.assertLe(staking.boostFor(2 * a) - WAD, 2 * (boostA - WAD), "concave");
        }
    }

    function test_lock_setsWeightAndBlocksUnstake() public {
        vm.startPrank(member);
        staking.stake(100 ether);
        vm.expectEmit(true, false, false, true, address(staking));
        emit Staking.LockSet(member, START + MAX_LOCK, 300 ether);
        staking.lock(MAX_LOCK);
        vm.assertEq(staking.weightOf(member), 100 ether * LOCK_BOOST_CAP / WAD, "boosted weight");
        vm.assertEq(staking.totalWeight(), 300 ether, "total weight");
        vm.assertEq(staking.lockEndOf(member), START + MAX_LOCK, "lockEnd");
        vm.expectRevert(abi.encodeWithSelector(Staking.StakeLocked.selector, START + MAX_LOCK));
        staking.requestUnstake(1 ether);
        vm.warp(START + MAX_LOCK);
        staking.requestUnstake(40 ether);
        vm.assertEq(staking.weightOf(member), 60 ether, "boost gone with the lock");
        vm.stopPrank();
    }

    function test_malicious_shortenLock() public {
        vm.startPrank(member);
        staking.stake(100 ether);
        staking.lock(30 days);
        vm.expectRevert(abi.encodeWithSelector(Staking.LockShortened.selector, START + 29 days, START + 30 days));
        staking.lock(29 days);
        vm.expectRevert(abi.encodeWithSelector(Staking.LockTooLong.selector, MAX_LOCK + 1, MAX_LOCK));
        staking.lock(MAX_LOCK + 1);
        vm.stopPrank();
        vm.expectRevert(Staking.NoStake.selector);
        vm.prank(other);
        staking.lock(30 days);
    }

    /// Regression: topping up a long lock on its last day must not buy the full boost for the
    /// new tokens. They are weighted by the boost of the time left.
    function test_malicious_topUpAtTheEndOfALock() public {
        vm.startPrank(member);
        staking.stake(1 ether);
        staking.lock(MAX_LOCK);
        vm.warp(START + MAX_LOCK - 1 days);
        staking.stake(900 ether);
        vm.stopPrank();
        uint256 expected = 3 ether + 900 ether * staking.boostFor(1 days) / WAD;
        vm.assertEq(staking.weightOf(member), expected, "top-up weighted by the day left");
        vm.assertLe(staking.weightOf(member), 3 ether + 900 ether * 11 / 10, "far from 3x");
    }

    function test_kick_removesAnExpiredBoost() public {
        vm.prank(member);
        staking.stake(100 ether);
        vm.prank(member);
        staking.lock(30 days);
        vm.expectRevert(abi.encodeWithSelector(Staking.NothingToKick.selector, member));
        staking.kick(member);
        vm.warp(START + 30 days);
        vm.expectEmit(true, false, false, true, address(staking));
        emit Staking.BoostExpired(member, 100 ether);
        vm.prank(mallory);
        staking.kick(member);
        vm.assertEq(staking.weightOf(member), 100 ether, "weight = stake");
        vm.expectRevert(abi.encodeWithSelector(Staking.NothingToKick.selector, member));
        staking.kick(member);
    }

    // ---------------------------------------------------------------- fee pool

    function test_fees_streamLinearlyToTheOnlyStaker() public {
        vm.prank(member);
        staking.stake(100 ether);
        vm.expectEmit(true, false, false, true, address(staking));
        emit FeePool.FeesAdded(treasury, 1_000 ether, 1_000 ether * WAD / FEE_STREAM, START + FEE_STREAM);
        vm.prank(treasury);
        staking.addFees(1_000 ether);
        vm.warp(START + FEE_STREAM / 2);
        _assertApprox(staking.feesOf(member), 500 ether, "half the window, half the fees");
        vm.warp(START + 2 * FEE_STREAM);
        _assertApprox(staking.feesOf(member), 1_000 ether, "all of it after the window");
        vm.prank(member);
        uint256 paid = staking.claimFees();
        vm.assertEq(token.balanceOf(member), 900 ether + paid, "paid");
        vm.assertLe(paid, 1_000 ether, "never more than added");
        vm.expectRevert(abi.encodeWithSelector(FeePool.NoFees.selector, member));
        vm.prank(member);
        staking.claimFees();
    }

    function test_fees_splitByBoostedWeight() public {
        vm.prank(member);
        staking.stake(100 ether);
        vm.prank(member);
        staking.lock(MAX_LOCK); // weight 300
        vm.prank(other);
        staking.stake(100 ether); // weight 100
        vm.prank(treasury);
        staking.addFees(400 ether);
        vm.warp(START + FEE_STREAM);
        _assertApprox(staking.feesOf(member), 300 ether, "locked staker: 3/4");
        _assertApprox(staking.feesOf(other), 100 ether, "unlocked staker: 1/4");
    }

    function test_fees_pauseWhileNobodyStakes() public {
        vm.prank(treasury);
        staking.addFees(1_000 ether);
        vm.warp(START + 10 days);
        vm.prank(member);
        staking.stake(1 ether);
        (, uint256 finish) = staking.feeStream();
        vm.assertEq(finish, START + 10 days + FEE_STREAM, "stream restarted when someone staked");
        vm.warp(block.timestamp + FEE_STREAM);
        _assertApprox(staking.feesOf(member), 1_000 ether, "nothing lost to the empty days");
    }

    function test_fees_newFeesMergeWithTheUnpaidRest() public {
        vm.prank(member);
        staking.stake(1 ether);
        vm.prank(treasury);
        staking.addFees(600 ether);
        vm.warp(START + FEE_STREAM / 3); // 200 paid, 400 left
        vm.prank(treasury);
        staking.addFees(200 ether);
        (uint256 rate, uint256 finish) = staking.feeStream();
        vm.assertEq(finish, START + FEE_STREAM / 3 + FEE_STREAM, "window restarts");
        _assertApprox(rate * FEE_STREAM / WAD, 600 ether, "rest + new over a fresh window");
        vm.warp(finish);
        _assertApprox(staking.feesOf(member), 800 ether, "everything paid");
    }

    /// Staking just before a large fee and leaving just after earns a sliver: the fee is
    /// streamed over the window, not handed to whoever holds weight at that instant.
    function test_malicious_sandwichALargeFee() public {
        vm.prank(member);
        staking.stake(100 ether);
        vm.warp(START + 1 days);
        vm.prank(mallory);
        staking.stake(900 ether);
        vm.prank(treasury);
        staking.addFees(10_000 ether);
        vm.warp(block.timestamp + 1 hours);
        vm.prank(mallory);
        staking.requestUnstake(900 ether);
        uint256 sandwich = staking.feesOf(mallory);
        vm.assertLe(sandwich, 10_000 ether * 1 hours / FEE_STREAM, "an hour's stream at most");
        vm.warp(block.timestamp + FEE_STREAM);
        _assertApprox(staking.feesOf(member) + sandwich, 10_000 ether, "the member gets the rest");
    }

    // ---------------------------------------------------------------- bonds

    function test_bond_bySponsorAndNode() public {
        vm.prank(node);
        staking.bond(node, 10 ether);
        vm.expectEmit(true, true, false, true, address(staking));
        emit Staking.Bonded(sponsor, node, 30 ether, 30 ether);
        vm.prank(sponsor);
        staking.bond(node, 30 ether);
        vm.assertEq(staking.bondOf(node), 40 ether, "bondOf");
        vm.assertEq(staking.sponsoredBondOf(sponsor, node), 30 ether, "sponsor part");
        vm.assertEq(staking.sponsoredBondOf(node, node), 10 ether, "own part");
        vm.assertEq(staking.stakeOf(node), 0, "bond is not access stake");
        vm.assertEq(staking.weightOf(sponsor), 0, "bonds earn no fees");
    }

    function test_malicious_nodeCannotUnbondSponsorsBond() public {
        vm.prank(sponsor);
        staking.bond(node, 30 ether);
        vm.expectRevert(abi.encodeWithSelector(Staking.InsufficientStake.selector, 1, 0));
        vm.prank(node);
        staking.requestUnbond(node, 1);
        vm.expectRevert(abi.encodeWithSelector(Staking.InsufficientStake.selector, 1, 0));
        vm.prank(mallory);
        staking.requestUnbond(node, 1);
    }

    function test_unbondThenWithdraw() public {
        vm.startPrank(sponsor);
        staking.bond(node, 30 ether);
        staking.requestUnbond(node, 30 ether);
        vm.assertEq(staking.bondOf(node), 0, "bond drops at once");
        vm.assertEq(staking.slashableOf(node), 30 ether, "but stays slashable");
        vm.expectRevert(abi.encodeWithSelector(Staking.StillUnbonding.selector, START + UNBONDING_DELAY));
        staking.withdrawBond(node);
        vm.warp(START + UNBONDING_DELAY);
        vm.assertEq(staking.withdrawBond(node), 30 ether, "paid");
        vm.expectRevert(Staking.NothingToWithdraw.selector);
        staking.withdrawBond(node);
        vm.stopPrank();
        vm.assertEq(token.balanceOf(sponsor), 1_000 ether, "sponsor paid back");
    }

    // ---------------------------------------------------------------- slashing

    function test_slash_byAFinalLeaf() public {
        _bond(sponsor, 100 ether);
        bytes32[] memory proof = _postSlashes(1, 30 ether, 0);
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.RootNotFinal.selector, 1, START + DISPUTE_DELAY));
        staking.slash(1, node, 30 ether, proof);
        _finalise();
        uint256 supply = token.totalSupply();
        vm.expectEmit(true, true, false, true, address(staking));
        emit Staking.Slashed(1, node, 30 ether, 0, 30 ether);
        vm.prank(mallory);
        vm.assertEq(staking.slash(1, node, 30 ether, proof), 30 ether, "slashed");
        vm.assertEq(staking.bondOf(node), 70 ether, "bond");
        vm.assertEq(staking.slashExecutedOf(node), 30 ether, "executed");
        vm.assertEq(token.totalSupply(), supply - 30 ether, "burned");
        vm.assertEq(token.balanceOf(mallory), 1_000 ether, "nobody profits");
    }

    function test_malicious_slashTwiceWithTheSameLeaf() public {
        _bond(sponsor, 100 ether);
        bytes32[] memory proof = _postSlashes(1, 30 ether, 0);
        _finalise();
        staking.slash(1, node, 30 ether, proof);
        vm.expectRevert(abi.encodeWithSelector(Staking.NothingToSlash.selector, node, 30 ether, 30 ether));
        staking.slash(1, node, 30 ether, proof);
        vm.assertEq(staking.bondOf(node), 70 ether, "slashed once");
    }

    function test_slash_takesCumulativeMinusExecuted() public {
        _bond(sponsor, 100 ether);
        bytes32[] memory first = _postSlashes(1, 30 ether, 0);
        _finalise();
        staking.slash(1, node, 30 ether, first);
        bytes32[] memory second = _postSlashes(2, 45 ether, 0);
        _finalise();
        vm.assertEq(staking.slash(2, node, 45 ether, second), 15 ether, "only the growth");
        vm.assertEq(staking.bondOf(node), 55 ether, "bond");
        // The older, smaller leaf takes nothing more.
        vm.expectRevert(abi.encodeWithSelector(Staking.NothingToSlash.selector, node, 30 ether, 45 ether));
        staking.slash(1, node, 30 ether, first);
    }

    function test_malicious_slashByADisabledRoot() public {
        _bond(sponsor, 100 ether);
        bytes32[] memory proof = _postSlashes(1, 30 ether, 0);
        vm.prank(guardian);
        rewards.disableRoot(1);
        _finalise();
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.DisabledRoot.selector, 1));
        staking.slash(1, node, 30 ether, proof);
    }

    function test_malicious_slashWithAnEarnedLeaf() public {
        _bond(sponsor, 100 ether);
        // The node's earned leaf, posted as the earned root; no slashed tree at all.
        _post(1, _leaf(1, node, 30 ether), 30 ether);
        _finalise();
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.EmptyTree.selector, 1, EpochRewards.Tree.Slashed));
        staking.slash(1, node, 30 ether, new bytes32[](0));
    }

    function test_malicious_slashAnotherNodesLeaf() public {
        _bond(sponsor, 100 ether);
        bytes32[] memory proof = _postSlashes(1, 0, 30 ether); // `other` is slashed, not `node`
        _finalise();
        vm.expectRevert(EpochRewards.InvalidProof.selector);
        staking.slash(1, node, 30 ether, proof);
    }

    function test_slash_cappedAtTheBondAndTheRestStaysOwed() public {
        _bond(sponsor, 20 ether);
        bytes32[] memory proof = _postSlashes(1, 50 ether, 0);
        _finalise();
        vm.assertEq(staking.slash(1, node, 50 ether, proof), 20 ether, "the whole bond, no more");
        vm.assertEq(staking.bondOf(node), 0, "empty");
        vm.expectRevert(abi.encodeWithSelector(Staking.NothingToSlash.selector, node, 50 ether, 20 ether));
        staking.slash(1, node, 50 ether, proof);
        // A new bond pays the 30 still owed.
        _bond(other, 100 ether);
        vm.assertEq(staking.slash(1, node, 50 ether, proof), 30 ether, "the rest");
        vm.assertEq(staking.bondOf(node), 70 ether, "bond after");
    }

    function test_slash_fromEverySponsorInProportion() public {
        _bond(sponsor, 75 ether);
        _bond(node, 25 ether);
        bytes32[] memory proof = _postSlashes(1, 40 ether, 0);
        _finalise();
        staking.slash(1, node, 40 ether, proof);
        vm.assertEq(staking.sponsoredBondOf(sponsor, node), 45 ether, "sponsor lost 30");
        vm.assertEq(staking.sponsoredBondOf(node, node), 15 ether, "node lost 10");
    }

    /// Unbonding does not escape a fault: unbonding shares stay slashable until withdrawn.
    function test_malicious_unbondToEscapeASlash() public {
        _bond(sponsor, 100 ether);
        vm.prank(sponsor);
        staking.requestUnbond(node, 100 ether);
        bytes32[] memory proof = _postSlashes(1, 60 ether, 0);
        _finalise();
        staking.slash(1, node, 60 ether, proof);
        vm.warp(START + UNBONDING_DELAY);
        vm.prank(sponsor);
        vm.assertEq(staking.withdrawBond(node), 40 ether, "paid what is left");
    }

    function test_slash_emptyingThePoolVoidsItsShares() public {
        _bond(sponsor, 10 ether);
        vm.prank(sponsor);
        staking.requestUnbond(node, 4 ether);
        bytes32[] memory proof = _postSlashes(1, 10 ether, 0);
        _finalise();
        vm.expectEmit(true, false, false, true, address(staking));
        emit Staking.BondWiped(node, 1);
        staking.slash(1, node, 10 ether, proof);
        vm.assertEq(staking.bondPoolOf(node).shares, 0, "shares void");
        vm.assertEq(staking.sponsoredBondOf(sponsor, node), 0, "sponsor holds nothing");
        (uint256 unbonding,) = staking.unbondingOf(sponsor, node);
        vm.assertEq(unbonding, 0, "unbonding part void too");
        // A new bond starts a fresh pool at one share per token.
        _bond(other, 5 ether);
        vm.assertEq(staking.sponsoredBondOf(other, node), 5 ether, "fresh pool");
        vm.assertEq(staking.sponsoredBondOf(sponsor, node), 0, "old shares stay void");
        vm.warp(START + UNBONDING_DELAY);
        vm.expectRevert(Staking.NothingToWithdraw.selector);
        vm.prank(sponsor);
        staking.withdrawBond(node);
    }

    function test_malicious_slashAnEmptyPool() public {
        bytes32[] memory proof = _postSlashes(1, 10 ether, 0);
        _finalise();
        vm.expectRevert(abi.encodeWithSelector(Staking.NothingToSlash.selector, node, 10 ether, 0));
        staking.slash(1, node, 10 ether, proof);
    }

    /// A slash takes min(cumulative − executed, pool), never more than the pool holds, and
    /// every sponsor keeps its proportional part of what is left, within rounding.
    function testFuzz_slashNeverExceedsTheBond(uint256 own, uint256 sponsored, uint256 first, uint256 second)
        public
    {
        own = bound(own, 1, 500 ether);
        sponsored = bound(sponsored, 1, 500 ether);
        first = bound(first, 1, 2_000 ether);
        second = bound(second, first, 2_000 ether);
        _bond(node, own);
        _bond(sponsor, sponsored);
        uint256 supply = token.totalSupply();

        bytes32[] memory proof1 = _postSlashes(1, first, 0);
        _finalise();
        uint256 pool = own + sponsored;
        uint256 taken1 = staking.slash(1, node, first, proof1);
        vm.assertEq(taken1, first < pool ? first : pool, "first slash");
        if (staking.slashableOf(node) != 0 && second > first) {
            bytes32[] memory proof2 = _postSlashes(2, second, 0);
            _finalise();
            uint256 left = pool - taken1;
            uint256 taken2 = staking.slash(2, node, second, proof2);
            vm.assertEq(taken2, second - first < left ? second - first : left, "second slash");
        }
        uint256 slashed = staking.slashExecutedOf(node);
        vm.assertLe(slashed, pool, "never more than the bond");
        vm.assertLe(slashed, second, "never more than the leaves");
        vm.assertEq(token.totalSupply(), supply - slashed, "burned exactly");
        _assertProportional(own, sponsored, pool - slashed);
    }

    function _assertProportional(uint256 own, uint256 sponsored, uint256 remaining) internal view {
        uint256 pool = own + sponsored;
        vm.assertEq(staking.slashableOf(node), remaining, "pool");
        uint256 ownLeft = staking.sponsoredBondOf(node, node);
        uint256 sponsorLeft = staking.sponsoredBondOf(sponsor, node);
        vm.assertLe(ownLeft + sponsorLeft, remaining, "sponsors never hold more than the pool");
        vm.assertLe(ownLeft, own * remaining / pool + 1, "node's part proportional");
        vm.assertLe(sponsorLeft, sponsored * remaining / pool + 1, "sponsor's part proportional");
    }

    /// Withdrawing before the delay after the latest request always fails; at or after it, it
    /// pays exactly what was requested.
    function testFuzz_unbondingDelayEnforced(
        uint256 stakeAmount,
        uint256 unstakeAmount,
        uint256 bondAmount,
        uint256 unbondAmount,
        uint256 gap,
        uint256 wait
    ) public {
        stakeAmount = bound(stakeAmount, 1, 500 ether);
        unstakeAmount = bound(unstakeAmount, 1, stakeAmount);
        bondAmount = bound(bondAmount, 1, 500 ether);
        unbondAmount = bound(unbondAmount, 1, bondAmount);
        gap = bound(gap, 0, 30 days);
        wait = bound(wait, 0, 2 * UNBONDING_DELAY);

        vm.startPrank(sponsor);
        staking.stake(stakeAmount);
        staking.bond(node, bondAmount);
        staking.requestUnstake(unstakeAmount);
        vm.warp(block.timestamp + gap);
        staking.requestUnbond(node, unbondAmount);
        vm.warp(block.timestamp + wait);
        _withdrawBoth(START + UNBONDING_DELAY, START + gap + UNBONDING_DELAY, unstakeAmount, unbondAmount);
        vm.stopPrank();
        vm.assertEq(staking.stakeOf(sponsor), stakeAmount - unstakeAmount, "stake left");
        vm.assertEq(staking.bondOf(node), bondAmount - unbondAmount, "bond left");
        (uint256 staked, uint256 pending, uint256 bonded) = staking.totals();
        vm.assertEq(token.balanceOf(address(staking)), staked + pending + bonded, "held = stake + pending + bonds");
    }

    function _withdrawBoth(uint256 unstakeRelease, uint256 unbondRelease, uint256 unstaked, uint256 unbonded)
        internal
    {
        if (block.timestamp < unstakeRelease) {
            vm.expectRevert(abi.encodeWithSelector(Staking.StillUnbonding.selector, unstakeRelease));
            staking.withdraw();
        } else {
            vm.assertEq(staking.withdraw(), unstaked, "unstaked");
        }
        if (block.timestamp < unbondRelease) {
            vm.expectRevert(abi.encodeWithSelector(Staking.StillUnbonding.selector, unbondRelease));
            staking.withdrawBond(node);
        } else {
            vm.assertEq(staking.withdrawBond(node), unbonded, "unbonded");
        }
    }

    // ---------------------------------------------------------------- helpers

    function _bond(address from, uint256 amount) internal {
        vm.prank(from);
        staking.bond(node, amount);
    }

    /// Posts epoch `epoch` with a slashed tree of two leaves, (node, toNode) and (other, toOther),
    /// and returns the proof of the node's leaf.
    function _postSlashes(uint64 epoch, uint256 toNode, uint256 toOther) internal returns (bytes32[] memory) {
        bytes32[] memory leaves = new bytes32[](2);
        leaves[0] = _leaf(epoch, node, toNode);
        leaves[1] = _leaf(epoch, other, toOther);
        _postRoots(epoch, bytes32(0), MerkleBuilder.root(leaves), bytes32(0), 0);
        return MerkleBuilder.proof(leaves, 0);
    }

    /// Within a millionth: streams lose dust to rounding, never more.
    function _assertApprox(uint256 actual, uint256 expected, string memory message) internal pure {
        vm.assertLe(actual, expected, message);
        vm.assertGe(actual, expected - expected / 1e6, message);
    }

    // ---------------------------------------------------------------- stakeFor (swap-and-stake routers)

    function test_stakeFor_creditsTheAccountWithThePayersTokens() public {
        vm.expectEmit(true, false, false, true, address(staking));
        emit Staking.Staked(member, 100 ether);
        vm.prank(sponsor);
        staking.stakeFor(member, 100 ether);
        vm.assertEq(staking.stakeOf(member), 100 ether, "the account's stake");
        vm.assertEq(staking.stakeOf(sponsor), 0, "the payer stakes nothing");
        vm.assertEq(token.balanceOf(sponsor), 900 ether, "paid by the payer");
        vm.assertEq(token.balanceOf(member), 1_000 ether, "the account's tokens untouched");
    }

    /// Attack: lock a victim's approved tokens by staking "for" the victim.
    function test_malicious_stakeForNeverPullsTheAccountsTokens() public {
        address broke = makeAddr("broke");
        vm.prank(broke);
        token.approve(address(staking), type(uint256).max);
        // mallory holds tokens but stakes for member, who approved staking: only mallory pays.
        vm.prank(mallory);
        staking.stakeFor(member, 10 ether);
        vm.assertEq(token.balanceOf(member), 1_000 ether, "member's approved tokens untouched");
        vm.assertEq(token.balanceOf(mallory), 990 ether, "mallory paid");
        // A payer with no tokens cannot stake for an account that has some.
        vm.expectRevert();
        vm.prank(broke);
        staking.stakeFor(member, 1 ether);
    }

    /// Attack: the payer of a gift takes it back; only the account can unstake it.
    function test_malicious_payerCannotUnstakeAGift() public {
        vm.prank(sponsor);
        staking.stakeFor(member, 100 ether);
        vm.expectRevert(abi.encodeWithSelector(Staking.InsufficientStake.selector, 100 ether, 0));
        vm.prank(sponsor);
        staking.requestUnstake(100 ether);
        vm.prank(member);
        staking.requestUnstake(100 ether);
        vm.warp(block.timestamp + UNBONDING_DELAY);
        vm.prank(member);
        vm.assertEq(staking.withdraw(), 100 ether, "the account withdraws the gift");
        vm.assertEq(token.balanceOf(member), 1_100 ether, "member holds it");
    }

    function test_stakeFor_refusesZeroAddressAndZeroAmount() public {
        vm.startPrank(sponsor);
        vm.expectRevert(Staking.ZeroAddress.selector);
        staking.stakeFor(address(0), 1 ether);
        vm.expectRevert(Staking.ZeroAmount.selector);
        staking.stakeFor(member, 0);
        vm.stopPrank();
    }

    function test_stakeFor_joinsARunningLockAtTheBoostOfTheTimeLeft() public {
        vm.startPrank(member);
        staking.stake(100 ether);
        staking.lock(MAX_LOCK);
        vm.stopPrank();
        uint256 before = staking.weightOf(member);
        vm.warp(block.timestamp + MAX_LOCK / 2);
        vm.prank(sponsor);
        staking.stakeFor(member, 100 ether);
        vm.assertEq(staking.weightOf(member), before + 100 ether * staking.boostFor(MAX_LOCK / 2) / WAD, "boost of the time left");
        vm.expectRevert();
        vm.prank(member);
        staking.requestUnstake(200 ether);
    }
}
