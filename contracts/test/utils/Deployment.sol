// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "./Test.sol";
import {VidyaToken} from "../../src/VidyaToken.sol";
import {EpochRewards} from "../../src/EpochRewards.sol";
import {HostingBounties} from "../../src/HostingBounties.sol";
import {Staking} from "../../src/Staking.sol";
import {Escrow} from "../../src/Escrow.sol";
import {HostingBadges} from "../../src/HostingBadges.sol";

/// @notice The contracts wired as contracts/deploy.ts wires them, with the parameters of
/// protocol/params.ts read from protocol/vectors/params.json (one fact, one place). Before the
/// vectors are generated, the same production values are used from here.
abstract contract Deployment is Test {
    string internal constant PARAMS = "protocol/vectors/params.json";
    uint256 internal constant START = 1_700_000_000;
    uint256 internal constant WAD = 1e18;

    uint256 internal GENESIS_SUPPLY = 100_000_000 ether;
    uint256 internal EMISSION_PER_EPOCH = 570_776_255_707_762_557_077;
    uint256 internal EPOCH = 1 hours;
    uint256 internal DISPUTE_DELAY = 6 hours;
    uint256 internal UNBONDING_DELAY = 7 days;
    uint256 internal MAX_LOCK = 730 days;
    uint256 internal LOCK_BOOST_CAP = 3 * WAD;
    uint256 internal FEE_STREAM = 30 days;
    uint256 internal WITHDRAWAL_DELAY = 31 hours;
    uint256 internal HOLDBACK_BPS = 5_000;
    uint256 internal HOLDBACK_VESTING = 30 days;
    uint256 internal HOLDBACK_NEW_BPS = 7_500;
    uint256 internal HOLDBACK_NEW_VESTING = 90 days;
    uint256 internal HOLDBACK_AGE_RAMP = 180 days;

    VidyaToken internal token;
    EpochRewards internal rewards;
    HostingBounties internal bounties;
    Staking internal staking;
    Escrow internal escrow;
    HostingBadges internal badges;

    address internal treasury = makeAddr("treasury");
    address internal poster = makeAddr("poster");
    address internal guardian = makeAddr("guardian");

    function setUp() public virtual {
        if (vm.exists(PARAMS)) {
            string memory json = vm.readFile(PARAMS);
            GENESIS_SUPPLY = vm.parseJsonUint(json, ".GENESIS_SUPPLY");
            EMISSION_PER_EPOCH = vm.parseJsonUint(json, ".EMISSION_PER_EPOCH");
            DISPUTE_DELAY = vm.parseJsonUint(json, ".DISPUTE_DELAY_SECONDS");
            EPOCH = _jsonUintOr(json, ".EPOCH_SECONDS", EPOCH);
            UNBONDING_DELAY = vm.parseJsonUint(json, ".UNBONDING_DELAY_SECONDS");
            MAX_LOCK = _jsonUintOr(json, ".MAX_LOCK_SECONDS", MAX_LOCK);
            LOCK_BOOST_CAP = _jsonUintOr(json, ".LOCK_BOOST_CAP", LOCK_BOOST_CAP);
            FEE_STREAM = _jsonUintOr(json, ".FEE_STREAM_SECONDS", FEE_STREAM);
            WITHDRAWAL_DELAY = _jsonUintOr(json, ".ESCROW_WITHDRAWAL_DELAY_SECONDS", WITHDRAWAL_DELAY);
            HOLDBACK_BPS = _jsonUintOr(json, ".HOLDBACK_BPS", HOLDBACK_BPS);
            HOLDBACK_VESTING = _jsonUintOr(json, ".HOLDBACK_VESTING_SECONDS", HOLDBACK_VESTING);
            HOLDBACK_NEW_BPS = _jsonUintOr(json, ".HOLDBACK_NEW_BPS", HOLDBACK_NEW_BPS);
            HOLDBACK_NEW_VESTING = _jsonUintOr(json, ".HOLDBACK_NEW_VESTING_SECONDS", HOLDBACK_NEW_VESTING);
            HOLDBACK_AGE_RAMP = _jsonUintOr(json, ".HOLDBACK_AGE_RAMP_SECONDS", HOLDBACK_AGE_RAMP);
        }
        vm.warp(START);
        token = new VidyaToken(treasury, GENESIS_SUPPLY, EMISSION_PER_EPOCH, address(0));
        rewards = new EpochRewards(token, poster, guardian, DISPUTE_DELAY, _holdback());
        token.setMinter(address(rewards));
        bounties = HostingBounties(rewards.bounties());
        staking = new Staking(token, rewards, UNBONDING_DELAY, MAX_LOCK, LOCK_BOOST_CAP, FEE_STREAM);
        rewards.setStaking(address(staking));
        escrow = new Escrow(token, rewards, staking, WITHDRAWAL_DELAY);
        badges = new HostingBadges(rewards, "https://vidya.example/badges/{id}.json");
    }

    /// The holdback schedule deployed: flat (every account aged) for the tests of other rules, so
    /// `_paidNow` holds at any age; the holdback tests override it with the age schedule of
    /// protocol/params.ts (`_agedHoldback`).
    function _holdback() internal view virtual returns (uint256[5] memory) {
        return [HOLDBACK_BPS, HOLDBACK_VESTING, HOLDBACK_BPS, HOLDBACK_VESTING, uint256(0)];
    }

    /// The production schedule: new accounts hold back more, for longer (contracts/src/HeldEarnings.sol).
    function _agedHoldback() internal view returns (uint256[5] memory) {
        return [HOLDBACK_BPS, HOLDBACK_VESTING, HOLDBACK_NEW_BPS, HOLDBACK_NEW_VESTING, HOLDBACK_AGE_RAMP];
    }

    function _leaf(uint64 epoch, address account, uint256 cumulative) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(epoch, account, cumulative))));
    }

    /// Posts an epoch with an earned root only, as the edge does before it computes slashes and spending.
    function _post(uint64 epoch, bytes32 earnedRoot, uint256 totalEarned) internal {
        _postRoots(epoch, earnedRoot, bytes32(0), bytes32(0), totalEarned);
    }

    function _postRoots(uint64 epoch, bytes32 earnedRoot, bytes32 slashedRoot, bytes32 spentRoot, uint256 totalEarned)
        internal
    {
        vm.prank(poster);
        rewards.postRoot(
            epoch,
            earnedRoot,
            slashedRoot,
            spentRoot,
            keccak256(abi.encode("inputs", epoch)),
            totalEarned,
            new HostingBounties.Draw[](0)
        );
    }

    /// The part of a claim of `amount` paid at once; the rest is held back (contracts/src/HeldEarnings.sol).
    function _paidNow(uint256 amount) internal view returns (uint256) {
        return amount - amount * HOLDBACK_BPS / 10_000;
    }

    /// Everything claims gave `account` and no slash took: its balance and its held earnings, vested or not.
    function _claimedValue(address account) internal view returns (uint256) {
        (uint256 unvested, uint256 vested,) = rewards.heldOf(account);
        return token.balanceOf(account) + unvested + vested;
    }

    function _finalise() internal {
        vm.warp(block.timestamp + DISPUTE_DELAY);
    }

    /// Sends `amount` from the treasury to `account` and approves `spender` for everything.
    function _fund(address account, uint256 amount, address spender) internal {
        vm.prank(treasury);
        vm.assertTrue(token.transfer(account, amount), "funded");
        vm.prank(account);
        token.approve(spender, type(uint256).max);
    }

    function _jsonUintOr(string memory json, string memory key, uint256 fallback_) private view returns (uint256) {
        return vm.keyExistsJson(json, key) ? vm.parseJsonUint(json, key) : fallback_;
    }
}
