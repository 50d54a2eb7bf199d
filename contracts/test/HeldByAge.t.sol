// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Deployment} from "./utils/Deployment.sol";

/// @notice Holdback by node age (DESIGN.md "Penalties scaled to the replica"; protocol/params.ts
/// HOLDBACK_*): an account's first claim starts its age; a new account holds back
/// HOLDBACK_NEW_BPS over HOLDBACK_NEW_VESTING, both falling linearly to the aged HOLDBACK_BPS over
/// HOLDBACK_VESTING at HOLDBACK_AGE_RAMP. New keys, the cheapest identities, carry the largest bond.
contract HeldByAgeTest is Deployment {
    address internal fresh = makeAddr("fresh node");
    address internal aged = makeAddr("aged node");

    function _holdback() internal view override returns (uint256[5] memory) {
        return _agedHoldback();
    }

    function test_newNode_holdsBackMoreForLonger() public {
        (uint256 bps, uint256 vesting, uint256 since) = rewards.holdbackOf(fresh);
        vm.assertEq(bps, HOLDBACK_NEW_BPS, "a new node's share");
        vm.assertEq(vesting, HOLDBACK_NEW_VESTING, "a new node's vesting");
        vm.assertEq(since, 0, "no claim yet");
        _earnBoth(1, 100 ether, 100 ether);
        rewards.claim(1, fresh, 100 ether, _proof(1, fresh));
        (uint256 unvested,, uint256 vestEnd) = rewards.heldOf(fresh);
        vm.assertEq(unvested, 100 ether * HOLDBACK_NEW_BPS / 10_000, "held at the new share");
        vm.assertEq(vestEnd, block.timestamp + HOLDBACK_NEW_VESTING, "vests over the new period");
        (,, since) = rewards.holdbackOf(fresh);
        vm.assertEq(since, block.timestamp / 1 days, "age counts from the first claim");
    }

    /// The attack pinned: a fresh key (a Sybil, a relay) that earns as much as an established
    /// node in the same epoch keeps a bond that is larger and vests later.
    function test_agedNode_holdsBackLessThanANewOneForTheSameEarnings_attackFreshKeysBondLittle() public {
        _earnBoth(1, 1 ether, 0);
        rewards.claim(1, aged, 1 ether, _proof(1, aged));
        vm.warp(block.timestamp + HOLDBACK_AGE_RAMP);
        _earnBoth(2, 101 ether, 100 ether);
        rewards.claim(2, aged, 101 ether, _proof(2, aged));
        rewards.claim(2, fresh, 100 ether, _proof(2, fresh));
        (uint256 agedHeld,, uint256 agedEnd) = rewards.heldOf(aged);
        (uint256 freshHeld,, uint256 freshEnd) = rewards.heldOf(fresh);
        // The aged node's first 1 ether vested long ago: what it holds is this claim's aged share.
        vm.assertEq(agedHeld, 100 ether * HOLDBACK_BPS / 10_000, "aged share");
        vm.assertEq(agedEnd, block.timestamp + HOLDBACK_VESTING, "aged vesting");
        vm.assertEq(freshHeld, 100 ether * HOLDBACK_NEW_BPS / 10_000, "new share");
        vm.assertEq(freshEnd, block.timestamp + HOLDBACK_NEW_VESTING, "new vesting");
        vm.assertTrue(freshHeld > agedHeld, "the new node bonds more");
        vm.assertTrue(freshEnd > agedEnd, "for longer");
    }

    function test_halfwayThroughTheRamp_holdsBackHalfwayBetween() public {
        _earnBoth(1, 1 ether, 0);
        rewards.claim(1, aged, 1 ether, _proof(1, aged));
        (,, uint256 sinceDay) = rewards.holdbackOf(aged);
        vm.warp(block.timestamp + HOLDBACK_AGE_RAMP / 2);
        (uint256 bps, uint256 vesting,) = rewards.holdbackOf(aged);
        // Age counts whole days since the first claim's day, so it is within a day of the warp.
        uint256 left = HOLDBACK_AGE_RAMP - (block.timestamp / 1 days - sinceDay) * 1 days;
        vm.assertEq(bps, HOLDBACK_BPS + (HOLDBACK_NEW_BPS - HOLDBACK_BPS) * left / HOLDBACK_AGE_RAMP, "linear share");
        vm.assertEq(vesting, HOLDBACK_VESTING + (HOLDBACK_NEW_VESTING - HOLDBACK_VESTING) * left / HOLDBACK_AGE_RAMP, "linear vesting");
        uint256 half = (HOLDBACK_BPS + HOLDBACK_NEW_BPS) / 2;
        vm.assertLe(bps > half ? bps - half : half - bps, (HOLDBACK_NEW_BPS - HOLDBACK_BPS) * 1 days / HOLDBACK_AGE_RAMP + 1, "halfway");
    }

    /// Whatever the age: the share and the vesting period lie between the aged and the new
    /// figures and never grow as the account ages.
    function testFuzz_holdbackFallsWithAge(uint32 first, uint32 second) public {
        _earnBoth(1, 1 ether, 0);
        rewards.claim(1, aged, 1 ether, _proof(1, aged));
        uint256 a = bound(first, 0, 2 * HOLDBACK_AGE_RAMP);
        uint256 b = a + bound(second, 0, HOLDBACK_AGE_RAMP);
        uint256 start = block.timestamp;
        vm.warp(start + a);
        (uint256 bpsA, uint256 vestA,) = rewards.holdbackOf(aged);
        vm.warp(start + b);
        (uint256 bpsB, uint256 vestB,) = rewards.holdbackOf(aged);
        vm.assertLe(bpsB, bpsA, "share never grows with age");
        vm.assertLe(vestB, vestA, "vesting never grows with age");
        vm.assertGe(bpsB, HOLDBACK_BPS, "at least the aged share");
        vm.assertLe(bpsA, HOLDBACK_NEW_BPS, "at most the new share");
        vm.assertGe(vestB, HOLDBACK_VESTING, "at least the aged vesting");
        vm.assertLe(vestA, HOLDBACK_NEW_VESTING, "at most the new vesting");
    }

    /// Epoch `epoch` with leaves (aged, toAged) and (fresh, toFresh), finalised.
    function _earnBoth(uint64 epoch, uint256 toAged, uint256 toFresh) internal {
        bytes32 a = _leaf(epoch, aged, toAged);
        bytes32 f = _leaf(epoch, fresh, toFresh);
        _post(epoch, a < f ? keccak256(abi.encode(a, f)) : keccak256(abi.encode(f, a)), toAged + toFresh);
        _leaves[epoch] = [a, f];
        vm.warp(block.timestamp + DISPUTE_DELAY + 1);
    }

    mapping(uint64 => bytes32[2]) internal _leaves;

    function _proof(uint64 epoch, address account) internal view returns (bytes32[] memory p) {
        p = new bytes32[](1);
        p[0] = account == aged ? _leaves[epoch][1] : _leaves[epoch][0];
    }
}
