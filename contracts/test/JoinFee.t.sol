// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Deployment} from "./utils/Deployment.sol";
import {FeePool} from "../src/FeePool.sol";

/// @notice Join fees (DESIGN.md "Fees to stakers come from joiners and downloaders"): paid on-chain
/// by whoever joins by stake, counted per member for the edge, and streamed to stakers with the
/// download fees over FEE_STREAM: never a lump that a staker arriving just before can take.
contract JoinFeeTest is Deployment {
    address internal joiner = makeAddr("joiner");
    address internal staker = makeAddr("staker");
    address internal sniper = makeAddr("sniper");
    address internal router = makeAddr("router");

    function setUp() public override {
        super.setUp();
        address[4] memory funded = [joiner, staker, sniper, router];
        for (uint256 i; i < funded.length; ++i) {
            _fund(funded[i], 1_000_000 ether, address(staking));
        }
    }

    function test_joinFee_countsForTheMemberAndStreamsToStakers() public {
        vm.prank(staker);
        staking.stake(100 ether);
        vm.expectEmit(true, true, false, true, address(staking));
        emit FeePool.JoinFeePaid(joiner, joiner, 10 ether, 10 ether);
        vm.prank(joiner);
        staking.payJoinFee(10 ether);
        vm.assertEq(staking.joinFeePaidOf(joiner), 10 ether, "counted for the joiner");
        (uint256 added,) = staking.feeTotals();
        vm.assertEq(added, 10 ether, "a fee like any other");
        (uint256 rate, uint256 finish) = staking.feeStream();
        vm.assertEq(finish, START + FEE_STREAM, "streamed over the window");
        vm.assertEq(rate, 10 ether * WAD / FEE_STREAM, "at an even rate");
        vm.assertEq(staking.feesOf(staker), 0, "nothing at once");
        vm.warp(START + FEE_STREAM / 4);
        _assertApprox(staking.feesOf(staker), 2.5 ether, "a quarter after a quarter of the window");
        vm.warp(START + FEE_STREAM);
        _assertApprox(staking.feesOf(staker), 10 ether, "all of it by the end");
    }

    function test_joinFee_paidForAnotherCountsForThemAlone() public {
        vm.prank(router);
        staking.payJoinFeeFor(joiner, 7 ether);
        vm.assertEq(staking.joinFeePaidOf(joiner), 7 ether, "the member's");
        vm.assertEq(staking.joinFeePaidOf(router), 0, "not the payer's");
        vm.prank(joiner);
        staking.payJoinFee(3 ether);
        vm.assertEq(staking.joinFeePaidOf(joiner), 10 ether, "payments add up");
    }

    function test_joinFee_refusesZeroAndTheZeroAddress() public {
        vm.startPrank(joiner);
        vm.expectRevert(FeePool.ZeroFees.selector);
        staking.payJoinFee(0);
        vm.expectRevert(FeePool.InvalidFeePool.selector);
        staking.payJoinFeeFor(address(0), 1 ether);
        vm.stopPrank();
        vm.assertEq(staking.joinFeePaidOf(joiner), 0, "nothing counted");
    }

    function test_joinFee_needsApproval() public {
        address stranger = makeAddr("stranger");
        vm.prank(treasury);
        vm.assertTrue(token.transfer(stranger, 10 ether), "funded");
        vm.expectRevert();
        vm.prank(stranger);
        staking.payJoinFee(10 ether);
        vm.assertEq(staking.joinFeePaidOf(stranger), 0, "no fee without the tokens");
    }

    /// Attack: fee sniping. A whale stakes `whale` just before a join fee lands and leaves
    /// `stay` seconds later; it earns at most the stream's rate over its stay (its weight's
    /// share of it), never the lump, and the honest staker keeps the rest.
    function testFuzz_joinFee_stakingJustBeforeAJoinEarnsOnlyTheStayNotTheLump(
        uint256 whale,
        uint256 fee,
        uint256 stay
    ) public {
        whale = bound(whale, 1 ether, 1_000_000 ether);
        fee = bound(fee, 1 ether, 100_000 ether);
        stay = bound(stay, 1, UNBONDING_DELAY);
        _fund(sniper, whale, address(staking));
        vm.prank(staker);
        staking.stake(100 ether);
        vm.warp(START + 1 days);

        vm.prank(sniper);
        staking.stake(whale);
        vm.prank(joiner);
        staking.payJoinFee(fee);
        vm.warp(block.timestamp + stay);
        vm.prank(sniper);
        staking.requestUnstake(whale);
        vm.warp(START + 1 days + 2 * FEE_STREAM);

        uint256 sniped = staking.feesOf(sniper);
        // The stream pays fee × stay / FEE_STREAM over the stay, to everyone staked.
        vm.assertLe(sniped, fee * stay / FEE_STREAM + 1, "the sniper took more than the stream paid while it stayed");
        vm.assertGe(staking.feesOf(staker) + sniped, fee - 1e9, "the fee reaches the stakers, but for rounding dust");
        vm.assertLe(staking.feesOf(staker) + sniped, fee, "never more than the fee");
        // A stay shorter than the window leaves the honest staker most of it, whatever the whale's size.
        if (stay <= FEE_STREAM / 10) vm.assertGe(staking.feesOf(staker), fee * 89 / 100, "the honest staker lost the lump");
    }

    /// Rounding always favours the pool: within a millionth below, never above.
    function _assertApprox(uint256 actual, uint256 expected, string memory message) internal pure {
        vm.assertLe(actual, expected, message);
        vm.assertGe(actual, expected - expected / 1e6, message);
    }
}
