// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Deployment} from "./utils/Deployment.sol";
import {Staking} from "../src/Staking.sol";

contract StakingTest is Deployment {
    address internal member = makeAddr("member");
    address internal node = makeAddr("node");
    address internal sponsor = makeAddr("sponsor");
    address internal mallory = makeAddr("mallory");

    function setUp() public override {
        super.setUp();
        address[3] memory funded = [member, node, sponsor];
        for (uint256 i; i < funded.length; ++i) {
            vm.prank(treasury);
            vm.assertTrue(token.transfer(funded[i], 1_000 ether), "funded");
            vm.prank(funded[i]);
            token.approve(address(staking), type(uint256).max);
        }
    }

    function test_stake() public {
        vm.expectEmit(true, false, false, true, address(staking));
        emit Staking.Staked(member, 100 ether);
        vm.prank(member);
        staking.stake(100 ether);
        vm.assertEq(staking.stakeOf(member), 100 ether, "stakeOf");
        vm.assertEq(token.balanceOf(address(staking)), 100 ether, "held");
        vm.assertEq(token.balanceOf(member), 900 ether, "member balance");
    }

    function test_stake_needsApproval() public {
        vm.prank(treasury);
        vm.assertTrue(token.transfer(mallory, 10 ether), "funded");
        vm.expectRevert();
        vm.prank(mallory);
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
        vm.stopPrank();
    }

    function test_bond_bySponsorAndNode() public {
        vm.prank(node);
        staking.bond(node, 10 ether);
        vm.expectEmit(true, true, false, true, address(staking));
        emit Staking.Bonded(sponsor, node, 30 ether);
        vm.prank(sponsor);
        staking.bond(node, 30 ether);
        vm.assertEq(staking.bondOf(node), 40 ether, "bondOf");
        vm.assertEq(staking.sponsoredBondOf(sponsor, node), 30 ether, "sponsor part");
        vm.assertEq(staking.sponsoredBondOf(node, node), 10 ether, "own part");
        vm.assertEq(staking.stakeOf(node), 0, "bond is not access stake");
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

    function test_unbondThenWithdraw() public {
        vm.startPrank(sponsor);
        staking.bond(node, 30 ether);
        staking.requestUnbond(node, 30 ether);
        vm.assertEq(staking.bondOf(node), 0, "bond drops at once");
        vm.warp(START + UNBONDING_DELAY);
        staking.withdraw();
        vm.stopPrank();
        vm.assertEq(token.balanceOf(sponsor), 1_000 ether, "sponsor paid back");
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

    /// Withdrawing before the delay after the latest request always fails; at or after it, it
    /// pays exactly what was requested.
    function testFuzz_unbondingDelayRespected(
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
        uint256 releaseAt = block.timestamp + UNBONDING_DELAY;
        vm.warp(block.timestamp + wait);
        if (block.timestamp < releaseAt) {
            vm.expectRevert(abi.encodeWithSelector(Staking.StillUnbonding.selector, releaseAt));
            staking.withdraw();
        } else {
            vm.assertEq(staking.withdraw(), unstakeAmount + unbondAmount, "withdrawn");
        }
        vm.stopPrank();
        vm.assertEq(staking.stakeOf(sponsor), stakeAmount - unstakeAmount, "stake left");
        vm.assertEq(staking.bondOf(node), bondAmount - unbondAmount, "bond left");
        (uint256 pending,) = staking.pendingOf(sponsor);
        vm.assertEq(
            token.balanceOf(address(staking)),
            staking.stakeOf(sponsor) + staking.bondOf(node) + pending,
            "held = stake + bond + pending"
        );
    }
}
