// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "./utils/Test.sol";
import {Deployment} from "./utils/Deployment.sol";
import {MerkleBuilder} from "./utils/MerkleBuilder.sol";
import {VidyaToken} from "../src/VidyaToken.sol";
import {EpochRewards} from "../src/EpochRewards.sol";
import {Staking} from "../src/Staking.sol";
import {HostingBounties} from "../src/HostingBounties.sol";

/// @notice Drives held-back earnings as nodes, sponsors and the edge do: epochs whose earned and
/// slashed trees both grow, claims (by anyone), releases of vested earnings, sponsor bonds and
/// unbonds, slashes by final and by disabled roots, and time, from hours to whole vesting periods.
contract HeldHandler is Test {
    VidyaToken internal immutable token;
    EpochRewards internal immutable rewards;
    Staking internal immutable staking;
    address internal immutable poster;
    address internal immutable guardian;

    address[2] internal nodes = [address(0x6C1), address(0x6C2)];
    address[2] internal sponsors = [address(0x6B1), address(0x6B2)];
    mapping(uint64 epoch => uint256[2]) internal _earned;
    mapping(uint64 epoch => uint256[2]) internal _slashes;
    mapping(uint64 epoch => bytes32[]) internal _earnedLeaves;
    mapping(uint64 epoch => bytes32[]) internal _slashedLeaves;
    mapping(uint64 epoch => bool) internal _finalBeforeDisabled;

    /// Every token slashes burned, from held earnings and pools alike.
    uint256 public totalSlashed;
    /// Slashes above what was slashable, or above the leaf: must stay zero.
    uint256 public slashedBeyondBond;
    /// Slashes or claims that succeeded against a disabled root: must stay zero.
    uint256 public actedOnDisabled;
    /// A node's balance went down (a slash took vested earnings, or anything took paid ones): must stay zero.
    uint256 public nodeBalanceFell;
    uint256 public paidClaims;
    uint256 public paidSlashes;

    constructor(Staking staking_, address poster_, address guardian_) {
        staking = staking_;
        rewards = EpochRewards(staking_.rewards());
        token = VidyaToken(staking_.token());
        poster = poster_;
        guardian = guardian_;
    }

    /// The edge closes an epoch: both nodes' earned and slashed totals grow.
    function post(uint256[2] memory earned, uint256[2] memory slashed) external {
        uint64 epoch = rewards.lastEpoch() + 1;
        uint256 emission = rewards.emissionPerEpoch();
        bytes32[] memory e = new bytes32[](2);
        bytes32[] memory s = new bytes32[](2);
        uint256 total;
        for (uint256 i; i < 2; ++i) {
            _earned[epoch][i] = _earned[epoch - 1][i] + bound(earned[i], 0, emission / 2);
            _slashes[epoch][i] = _slashes[epoch - 1][i] + bound(slashed[i], 0, emission / 4);
            total += _earned[epoch][i];
            e[i] = keccak256(bytes.concat(keccak256(abi.encode(epoch, nodes[i], _earned[epoch][i]))));
            s[i] = keccak256(bytes.concat(keccak256(abi.encode(epoch, nodes[i], _slashes[epoch][i]))));
        }
        _earnedLeaves[epoch] = e;
        _slashedLeaves[epoch] = s;
        vm.prank(poster);
        rewards.postRoot(
            epoch, MerkleBuilder.root(e), MerkleBuilder.root(s), 0, keccak256(abi.encode(epoch)), total, new HostingBounties.Draw[](0)
        );
    }

    function claim(uint256 epochSeed, uint256 nodeSeed) external {
        uint64 last = rewards.lastEpoch();
        if (last == 0) return;
        uint64 epoch = _recentEpoch(epochSeed, last);
        uint256 i = nodeSeed % 2;
        bool disabled = rewards.rootOf(epoch).disabled;
        uint256 before = token.balanceOf(nodes[i]);
        try rewards.claim(epoch, nodes[i], _earned[epoch][i], MerkleBuilder.proof(_earnedLeaves[epoch], i)) {
            ++paidClaims;
            if (disabled) ++actedOnDisabled;
        } catch {}
        if (token.balanceOf(nodes[i]) < before) ++nodeBalanceFell;
    }

    function release(uint256 nodeSeed) external {
        try rewards.releaseVested(nodes[nodeSeed % 2]) {} catch {}
    }

    function bond(uint256 who, uint256 nodeSeed, uint256 amount) external {
        vm.prank(sponsors[who % 2]);
        staking.bond(nodes[nodeSeed % 2], bound(amount, 1, 500 ether));
    }

    function requestUnbond(uint256 who, uint256 nodeSeed, uint256 amount) external {
        address sponsor = sponsors[who % 2];
        address node = nodes[nodeSeed % 2];
        uint256 held = staking.sponsoredBondOf(sponsor, node);
        if (held == 0) return;
        vm.prank(sponsor);
        try staking.requestUnbond(node, bound(amount, 1, held)) {} catch {}
    }

    function withdrawBond(uint256 who, uint256 nodeSeed) external {
        vm.prank(sponsors[who % 2]);
        try staking.withdrawBond(nodes[nodeSeed % 2]) {} catch {}
    }

    function slash(uint256 epochSeed, uint256 nodeSeed) external {
        uint64 last = rewards.lastEpoch();
        if (last == 0) return;
        uint64 epoch = _recentEpoch(epochSeed, last);
        uint256 i = nodeSeed % 2;
        address node = nodes[i];
        uint256 slashable = staking.slashableOf(node);
        uint256 executed = staking.slashExecutedOf(node);
        uint256 before = token.balanceOf(node);
        bool disabled = rewards.rootOf(epoch).disabled;
        try staking.slash(epoch, node, _slashes[epoch][i], MerkleBuilder.proof(_slashedLeaves[epoch], i)) returns (
            uint256 amount
        ) {
            ++paidSlashes;
            totalSlashed += amount;
            if (amount > slashable || executed + amount > _slashes[epoch][i]) ++slashedBeyondBond;
            if (disabled) ++actedOnDisabled;
        } catch {}
        if (token.balanceOf(node) < before) ++nodeBalanceFell;
    }

    function disable(uint256 epochSeed) external {
        uint64 last = rewards.lastEpoch();
        if (last == 0 || epochSeed % 4 != 0) return;
        uint64 epoch = uint64(bound(epochSeed / 4, 1, last));
        bool wasFinal = rewards.isFinal(epoch);
        vm.prank(guardian);
        try rewards.disableRoot(epoch) {
            if (wasFinal) _finalBeforeDisabled[epoch] = true;
        } catch {}
    }

    /// Mostly within a dispute delay; one call in eight lets held earnings vest for up to a whole period.
    function wait(uint256 seconds_) external {
        uint256 most = seconds_ % 8 == 0 ? rewards.vestingPeriod() : 2 * rewards.disputeDelay();
        vm.warp(block.timestamp + bound(seconds_ / 8, 0, most));
    }

    function _recentEpoch(uint256 seed, uint64 last) internal pure returns (uint64) {
        uint64 back = uint64(seed % 4 == 0 ? seed / 4 : seed % 2) % last;
        return last - back;
    }

    function nodeAt(uint256 i) external view returns (address) {
        return nodes[i];
    }

    function sponsorAt(uint256 i) external view returns (address) {
        return sponsors[i];
    }

    /// The largest amount of node `i` in a tree that is final, or was when it was disabled.
    function finalised(uint256 i, bool slashedTree) external view returns (uint256 best) {
        for (uint64 e = 1; e <= rewards.lastEpoch(); ++e) {
            uint256 v = slashedTree ? _slashes[e][i] : _earned[e][i];
            if ((rewards.isFinal(e) || _finalBeforeDisabled[e]) && v > best) best = v;
        }
    }
}

/// @notice Whatever the sequence: every claimed token is paid, held or slashed from what was
/// held, nothing else; held earnings never exceed a new node's holdback share of what was claimed; a slash
/// takes no more than what is slashable and than its final leaves, never a vested or paid token;
/// disabled roots act on nothing; every token held by the two contracts is owed to someone; and
/// supply is genesis + emission − slashes.
contract HeldInvariantTest is Deployment {
    HeldHandler internal handler;

    /// As deployed: the share held back falls with the node's age (contracts/src/HeldEarnings.sol).
    function _holdback() internal view override returns (uint256[5] memory) {
        return _agedHoldback();
    }

    function setUp() public override {
        super.setUp();
        handler = new HeldHandler(staking, poster, guardian);
        for (uint256 i; i < 2; ++i) {
            _fund(handler.sponsorAt(i), 10_000_000 ether, address(staking));
        }
    }

    function targetContracts() public view override returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function invariant_claimsArePaidHeldOrSlashed() public view {
        uint256 claimed;
        uint256 owned;
        for (uint256 i; i < 2; ++i) {
            address node = handler.nodeAt(i);
            uint256 c = rewards.claimedOf(node);
            vm.assertLe(c, handler.finalised(i, false), "claimed above the finalised earned leaves");
            (uint256 unvested, uint256 vested,) = rewards.heldOf(node);
            vm.assertLe(unvested + vested, c * HOLDBACK_NEW_BPS / 10_000, "held above a new node's holdback share");
            claimed += c;
            owned += token.balanceOf(node) + unvested + vested;
        }
        vm.assertEq(owned + rewards.totalHeldSlashed(), claimed, "claimed = paid + held + slashed from held");
    }

    function invariant_slashesWithinBondsAndFinalLeaves() public view {
        vm.assertEq(handler.slashedBeyondBond(), 0, "a slash took more than the bond or the leaf");
        vm.assertEq(handler.actedOnDisabled(), 0, "a disabled root paid or slashed");
        vm.assertEq(handler.nodeBalanceFell(), 0, "a node lost paid or vested tokens");
        uint256 executed;
        for (uint256 i; i < 2; ++i) {
            uint256 done = staking.slashExecutedOf(handler.nodeAt(i));
            vm.assertLe(done, handler.finalised(i, true), "slashed above the finalised leaves");
            executed += done;
        }
        vm.assertEq(executed, handler.totalSlashed(), "slashes add up");
    }

    function invariant_everyTokenHeldIsOwed() public view {
        uint256 paidOut;
        uint256 held;
        for (uint256 i; i < 2; ++i) {
            address node = handler.nodeAt(i);
            (uint256 unvested, uint256 vested,) = rewards.heldOf(node);
            held += unvested + vested;
            paidOut += token.balanceOf(node);
        }
        vm.assertEq(
            token.balanceOf(address(rewards)),
            rewards.totalBacked() - paidOut - rewards.totalHeldSlashed(),
            "rewards holds backed - paid - burned"
        );
        vm.assertLe(held, token.balanceOf(address(rewards)), "held earnings backed");
        (,, uint256 bonded) = staking.totals();
        vm.assertEq(token.balanceOf(address(staking)), bonded, "staking holds the pools");
        vm.assertEq(
            staking.slashableOf(handler.nodeAt(0)) + staking.slashableOf(handler.nodeAt(1)),
            bonded + _unvested(0) + _unvested(1),
            "slashable = pools + unvested held"
        );
    }

    function invariant_supplyIsGenesisPlusEmissionMinusSlashes() public view {
        vm.assertEq(
            token.totalSupply() + handler.totalSlashed(), GENESIS_SUPPLY + token.totalEmitted(), "only slashes burn"
        );
        vm.assertLe(
            token.totalEmitted(), EMISSION_PER_EPOCH * rewards.committedEpochs(), "emission within the schedule"
        );
    }

    function _unvested(uint256 i) internal view returns (uint256 unvested) {
        (unvested,,) = rewards.heldOf(handler.nodeAt(i));
    }
}
