// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Deployment} from "./utils/Deployment.sol";
import {MerkleBuilder} from "./utils/MerkleBuilder.sol";
import {EpochRewards} from "../src/EpochRewards.sol";
import {Escrow} from "../src/Escrow.sol";

contract EscrowTest is Deployment {
    address internal member = makeAddr("member");
    address internal friend = makeAddr("friend");
    address internal mallory = makeAddr("mallory");
    address internal staker = makeAddr("staker");

    function setUp() public override {
        super.setUp();
        _fund(member, 1_000 ether, address(escrow));
        _fund(friend, 1_000 ether, address(escrow));
        _fund(mallory, 1_000 ether, address(escrow));
        _fund(staker, 1_000 ether, address(staking));
    }

    function test_deposit() public {
        vm.expectEmit(true, true, false, true, address(escrow));
        emit Escrow.Deposited(member, member, 100 ether, 100 ether);
        vm.prank(member);
        escrow.deposit(100 ether);
        vm.prank(friend);
        escrow.depositFor(member, 50 ether);
        vm.assertEq(escrow.balanceOf(member), 150 ether, "balance");
        vm.assertEq(escrow.balanceOf(friend), 0, "a gift is the member's");
        vm.assertEq(escrow.totalBalance(), 150 ether, "total");
        vm.assertEq(token.balanceOf(address(escrow)), 150 ether, "held");
    }

    function test_deposit_refusesZero() public {
        vm.startPrank(member);
        vm.expectRevert(Escrow.ZeroAmount.selector);
        escrow.deposit(0);
        vm.expectRevert(Escrow.ZeroAddress.selector);
        escrow.depositFor(address(0), 1);
        vm.stopPrank();
    }

    function test_settle_paysSpendingToTheFeePool() public {
        vm.prank(member);
        escrow.deposit(100 ether);
        vm.prank(staker);
        staking.stake(10 ether);
        bytes32[] memory proof = _postSpending(1, 30 ether);
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.RootNotFinal.selector, 1, START + DISPUTE_DELAY));
        escrow.settle(1, member, 30 ether, proof);
        _finalise();
        vm.expectEmit(true, true, false, true, address(escrow));
        emit Escrow.Settled(1, member, 30 ether, 30 ether);
        vm.prank(mallory);
        vm.assertEq(escrow.settle(1, member, 30 ether, proof), 30 ether, "settled");
        vm.assertEq(escrow.balanceOf(member), 70 ether, "deposit minus spending");
        vm.assertEq(escrow.accountOf(member).settled, 30 ether, "settled total");
        (uint256 added,) = staking.feeTotals();
        vm.assertEq(added, 30 ether, "fees added to the pool");
        vm.assertEq(token.balanceOf(mallory), 1_000 ether, "the submitter gains nothing");
        vm.warp(block.timestamp + FEE_STREAM);
        vm.assertGe(staking.feesOf(staker), 30 ether - 30 ether / 1e6, "streamed to the staker");
    }

    function test_settle_takesCumulativeMinusSettled() public {
        vm.prank(member);
        escrow.deposit(100 ether);
        bytes32[] memory first = _postSpending(1, 30 ether);
        bytes32[] memory second = _postSpending(2, 45 ether);
        _finalise();
        escrow.settle(1, member, 30 ether, first);
        vm.assertEq(escrow.settle(2, member, 45 ether, second), 15 ether, "only the growth");
        vm.expectRevert(abi.encodeWithSelector(Escrow.NothingToSettle.selector, member, 30 ether, 45 ether));
        escrow.settle(1, member, 30 ether, first);
    }

    function test_malicious_settleTwice() public {
        vm.prank(member);
        escrow.deposit(100 ether);
        bytes32[] memory proof = _postSpending(1, 30 ether);
        _finalise();
        escrow.settle(1, member, 30 ether, proof);
        vm.expectRevert(abi.encodeWithSelector(Escrow.NothingToSettle.selector, member, 30 ether, 30 ether));
        escrow.settle(1, member, 30 ether, proof);
        vm.assertEq(escrow.balanceOf(member), 70 ether, "charged once");
    }

    function test_malicious_settleByADisabledRoot() public {
        vm.prank(member);
        escrow.deposit(100 ether);
        bytes32[] memory proof = _postSpending(1, 30 ether);
        vm.prank(guardian);
        rewards.disableRoot(1);
        _finalise();
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.DisabledRoot.selector, 1));
        escrow.settle(1, member, 30 ether, proof);
    }

    function test_malicious_settleWithAnEarnedLeaf() public {
        vm.prank(member);
        escrow.deposit(100 ether);
        bytes32[] memory leaves = new bytes32[](2);
        leaves[0] = _leaf(1, member, 30 ether);
        leaves[1] = _leaf(1, friend, 1);
        _postRoots(1, MerkleBuilder.root(leaves), bytes32(0), bytes32(0), 30 ether + 1);
        _finalise();
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.EmptyTree.selector, 1, EpochRewards.Tree.Spent));
        escrow.settle(1, member, 30 ether, MerkleBuilder.proof(leaves, 0));
    }

    /// Spending beyond the deposit takes the deposit and stays owed: the next deposit pays it.
    function test_settle_cappedAtTheBalance() public {
        vm.prank(member);
        escrow.deposit(20 ether);
        bytes32[] memory proof = _postSpending(1, 50 ether);
        _finalise();
        vm.assertEq(escrow.settle(1, member, 50 ether, proof), 20 ether, "the whole balance, no more");
        vm.expectRevert(abi.encodeWithSelector(Escrow.NothingToSettle.selector, member, 50 ether, 20 ether));
        escrow.settle(1, member, 50 ether, proof);
        vm.prank(member);
        escrow.deposit(100 ether);
        vm.assertEq(escrow.settle(1, member, 50 ether, proof), 30 ether, "the rest");
        vm.assertEq(escrow.balanceOf(member), 70 ether, "balance");
    }

    function test_withdraw_afterRequestAndDelay() public {
        vm.prank(member);
        escrow.deposit(100 ether);
        bytes32[] memory proof = _postSpending(1, 30 ether);
        vm.expectEmit(true, false, false, true, address(escrow));
        emit Escrow.WithdrawalRequested(member, START + WITHDRAWAL_DELAY);
        vm.prank(member);
        escrow.requestWithdrawal();
        vm.assertTrue(escrow.withdrawalRequested(member), "the edge stops charging");
        _finalise();
        escrow.settle(1, member, 30 ether, proof);
        vm.warp(START + WITHDRAWAL_DELAY - 1);
        vm.expectRevert(abi.encodeWithSelector(Escrow.WithdrawalNotReady.selector, START + WITHDRAWAL_DELAY));
        vm.prank(member);
        escrow.withdraw();
        vm.warp(START + WITHDRAWAL_DELAY);
        vm.prank(member);
        vm.assertEq(escrow.withdraw(), 70 ether, "deposit minus finalised spending");
        vm.assertEq(token.balanceOf(member), 970 ether, "member paid");
        vm.assertFalse(escrow.withdrawalRequested(member), "request used up");
        vm.expectRevert(abi.encodeWithSelector(Escrow.WithdrawalNotRequested.selector, member));
        vm.prank(member);
        escrow.withdraw();
    }

    function test_malicious_withdrawWithoutRequest() public {
        vm.prank(member);
        escrow.deposit(100 ether);
        vm.warp(START + 365 days);
        vm.expectRevert(abi.encodeWithSelector(Escrow.WithdrawalNotRequested.selector, member));
        vm.prank(member);
        escrow.withdraw();
    }

    /// A gift to a member is the member's: the giver, or anyone else, withdraws nothing of it.
    function test_malicious_withdrawSomeoneElsesDeposit() public {
        vm.prank(friend);
        escrow.depositFor(member, 100 ether);
        vm.prank(mallory);
        escrow.requestWithdrawal();
        vm.prank(friend);
        escrow.requestWithdrawal();
        vm.warp(START + WITHDRAWAL_DELAY);
        vm.expectRevert(Escrow.NothingToWithdraw.selector);
        vm.prank(mallory);
        escrow.withdraw();
        vm.expectRevert(Escrow.NothingToWithdraw.selector);
        vm.prank(friend);
        escrow.withdraw();
        vm.assertEq(escrow.balanceOf(member), 100 ether, "still the member's");
    }

    function test_cancelWithdrawal() public {
        vm.prank(member);
        escrow.deposit(100 ether);
        vm.expectRevert(abi.encodeWithSelector(Escrow.WithdrawalNotRequested.selector, member));
        vm.prank(member);
        escrow.cancelWithdrawal();
        vm.prank(member);
        escrow.requestWithdrawal();
        vm.prank(member);
        escrow.cancelWithdrawal();
        vm.assertFalse(escrow.withdrawalRequested(member), "cancelled");
        vm.warp(START + WITHDRAWAL_DELAY);
        vm.expectRevert(abi.encodeWithSelector(Escrow.WithdrawalNotRequested.selector, member));
        vm.prank(member);
        escrow.withdraw();
    }

    function test_withdrawalDelayCoversAnEpochAndItsDisputeWindow() public view {
        // protocol/params.ts: a charge made at an epoch's start is final EPOCH + DISPUTE_DELAY later.
        vm.assertGe(escrow.withdrawalDelay(), EPOCH + DISPUTE_DELAY + 1, "delay too short to settle");
    }

    /// A delay within the dispute window would let a charged balance leave before its root is final.
    function test_malicious_constructorRefusesDelayWithinDisputeWindow() public {
        vm.expectRevert(abi.encodeWithSelector(Escrow.WithdrawalDelayTooShort.selector, DISPUTE_DELAY, DISPUTE_DELAY));
        new Escrow(token, rewards, staking, DISPUTE_DELAY);
        vm.expectRevert(abi.encodeWithSelector(Escrow.WithdrawalDelayTooShort.selector, 0, DISPUTE_DELAY));
        new Escrow(token, rewards, staking, 0);
    }

    /// Attack: download on a deposit, ask to withdraw at once, and take the balance out before
    /// the epoch that charged it settles. The withdrawal is refused until after the charge is
    /// final and settleable; settled, the charge is paid in full and only the rest comes back.
    function test_malicious_withdrawBeforeSettlementFails() public {
        vm.prank(member);
        escrow.deposit(10 ether);
        // The epoch of the download closes and charges 10 ether; the member asks to leave right away.
        bytes32[] memory proof = _postSpending(1, 10 ether);
        vm.prank(member);
        escrow.requestWithdrawal();
        // Every moment until the root is final: no withdrawal, no settlement yet.
        for (uint256 t = 0; t < DISPUTE_DELAY; t += DISPUTE_DELAY / 4) {
            vm.warp(START + t);
            vm.expectRevert(abi.encodeWithSelector(Escrow.WithdrawalNotReady.selector, START + WITHDRAWAL_DELAY));
            vm.prank(member);
            escrow.withdraw();
        }
        vm.warp(START + DISPUTE_DELAY);
        vm.expectRevert(abi.encodeWithSelector(Escrow.WithdrawalNotReady.selector, START + WITHDRAWAL_DELAY));
        vm.prank(member);
        escrow.withdraw();
        vm.assertEq(escrow.settle(1, member, 10 ether, proof), 10 ether, "the charge is collected in full");
        vm.warp(START + WITHDRAWAL_DELAY);
        vm.prank(member);
        vm.expectRevert(Escrow.NothingToWithdraw.selector);
        escrow.withdraw();
        vm.assertEq(escrow.accountOf(member).settled, 10 ether, "settled = charged <= deposited");
    }

    /// Whatever is deposited and spent, a member gets back exactly deposits minus settled
    /// spending, the fee pool gets exactly the settled spending, and the escrow holds the rest.
    function testFuzz_withdrawnPlusSettledEqualsDeposits(uint96 deposited, uint96 topUp, uint96 spent1, uint96 spent2)
        public
    {
        uint256 d = bound(deposited, 1, 500 ether);
        uint256 t = bound(topUp, 0, 400 ether);
        uint256 s1 = bound(spent1, 1, 1_000 ether);
        uint256 s2 = bound(spent2, s1, 1_000 ether);
        vm.prank(member);
        escrow.deposit(d);
        bytes32[] memory proof1 = _postSpending(1, s1);
        _finalise();
        escrow.settle(1, member, s1, proof1);
        if (t != 0) {
            vm.prank(member);
            escrow.deposit(t);
        }
        bytes32[] memory proof2 = _postSpending(2, s2);
        _finalise();
        try escrow.settle(2, member, s2, proof2) {} catch {}
        uint256 settled = escrow.accountOf(member).settled;
        vm.assertLe(settled, s2, "never more than the spending");
        vm.assertLe(settled, d + t, "never more than the deposits");
        vm.prank(member);
        escrow.requestWithdrawal();
        vm.warp(block.timestamp + WITHDRAWAL_DELAY);
        uint256 withdrawn;
        if (escrow.balanceOf(member) != 0) {
            vm.prank(member);
            withdrawn = escrow.withdraw();
        }
        vm.assertEq(withdrawn + settled, d + t, "withdrawn + settled = deposits");
        (uint256 added,) = staking.feeTotals();
        vm.assertEq(added, settled, "fee pool got the settled spending");
        vm.assertEq(token.balanceOf(address(escrow)), 0, "nothing left behind");
    }

    /// Posts epoch `epoch` with a spent tree of (member, cumulative) and (friend, 1); returns the member's proof.
    function _postSpending(uint64 epoch, uint256 cumulative) internal returns (bytes32[] memory) {
        bytes32[] memory leaves = new bytes32[](2);
        leaves[0] = _leaf(epoch, member, cumulative);
        leaves[1] = _leaf(epoch, friend, 1);
        _postRoots(epoch, bytes32(0), bytes32(0), MerkleBuilder.root(leaves), 0);
        return MerkleBuilder.proof(leaves, 0);
    }
}
