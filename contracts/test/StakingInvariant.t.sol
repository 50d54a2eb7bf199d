// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "./utils/Test.sol";
import {Deployment} from "./utils/Deployment.sol";
import {MerkleBuilder} from "./utils/MerkleBuilder.sol";
import {VidyaToken} from "../src/VidyaToken.sol";
import {EpochRewards} from "../src/EpochRewards.sol";
import {Staking} from "../src/Staking.sol";
import {HostingBounties} from "../src/HostingBounties.sol";

/// @notice Drives Staking as members, sponsors, nodes, fee payers and the edge's slashed trees
/// do: stakes, locks, kicks, unstakes, fee payments and claims, bonds, unbonds, slashes by
/// final and by disabled or unfinished roots, and time.
contract StakingHandler is Test {
    VidyaToken internal immutable token;
    EpochRewards internal immutable rewards;
    Staking internal immutable staking;
    address internal immutable poster;
    address internal immutable guardian;
    address internal immutable payer;

    address[3] internal stakers = [address(0x5A1), address(0x5A2), address(0x5A3)];
    address[3] internal sponsors = [address(0x5B1), address(0x5B2), address(0x5B3)];
    address[2] internal nodes = [address(0x5C1), address(0x5C2)];
    mapping(uint64 epoch => uint256[2]) internal _slashes;
    mapping(uint64 epoch => bytes32[]) internal _leaves;
    mapping(uint64 epoch => bool) internal _finalBeforeDisabled;

    uint256 public totalSlashed;
    /// Slashes that took more than the pool held, or than the leaf allowed: must stay zero.
    uint256 public slashedBeyondBond;
    /// Slashes that succeeded against a disabled root: must stay zero.
    uint256 public slashedByDisabled;
    uint256 public paidSlashes;
    /// Join fees paid through the handler.
    uint256 public joinFeesPaid;

    constructor(Staking staking_, address poster_, address guardian_, address payer_) {
        staking = staking_;
        rewards = EpochRewards(staking_.rewards());
        token = VidyaToken(staking_.token());
        poster = poster_;
        guardian = guardian_;
        payer = payer_;
    }

    function stake(uint256 who, uint256 amount) external {
        vm.prank(stakers[who % 3]);
        staking.stake(bound(amount, 1, 1_000 ether));
    }

    function lock(uint256 who, uint256 duration) external {
        vm.prank(stakers[who % 3]);
        try staking.lock(bound(duration, 0, staking.maxLock())) {} catch {}
    }

    function kick(uint256 who) external {
        try staking.kick(stakers[who % 3]) {} catch {}
    }

    function requestUnstake(uint256 who, uint256 amount) external {
        address account = stakers[who % 3];
        uint256 staked = staking.stakeOf(account);
        if (staked == 0) return;
        vm.prank(account);
        try staking.requestUnstake(bound(amount, 1, staked)) {} catch {}
    }

    function withdraw(uint256 who) external {
        vm.prank(stakers[who % 3]);
        try staking.withdraw() {} catch {}
    }

    function addFees(uint256 amount) external {
        vm.prank(payer);
        staking.addFees(bound(amount, 1, 1_000 ether));
    }

    /// Join fees, for a staker or for anyone (a joiner who never stakes here).
    function payJoinFee(uint256 who, uint256 amount) external {
        amount = bound(amount, 1, 100 ether);
        if (who % 2 == 0) {
            vm.prank(stakers[who % 3]);
            staking.payJoinFee(amount);
        } else {
            vm.prank(payer);
            staking.payJoinFeeFor(stakers[who % 3], amount);
        }
        joinFeesPaid += amount;
    }

    function claimFees(uint256 who) external {
        vm.prank(stakers[who % 3]);
        try staking.claimFees() {} catch {}
    }

    function bond(uint256 who, uint256 nodeSeed, uint256 amount) external {
        vm.prank(sponsors[who % 3]);
        try staking.bond(nodes[nodeSeed % 2], bound(amount, 1, 1_000 ether)) {} catch {}
    }

    function requestUnbond(uint256 who, uint256 nodeSeed, uint256 amount) external {
        address sponsor = sponsors[who % 3];
        address node = nodes[nodeSeed % 2];
        uint256 held = staking.sponsoredBondOf(sponsor, node);
        if (held == 0) return;
        vm.prank(sponsor);
        try staking.requestUnbond(node, bound(amount, 1, held)) {} catch {}
    }

    function withdrawBond(uint256 who, uint256 nodeSeed) external {
        vm.prank(sponsors[who % 3]);
        try staking.withdrawBond(nodes[nodeSeed % 2]) {} catch {}
    }

    /// The edge closes an epoch whose slashed tree grows each node's cumulative slashed total.
    function postSlashes(uint256[2] memory raises) external {
        uint64 epoch = rewards.lastEpoch() + 1;
        bytes32[] memory leaves = new bytes32[](2);
        for (uint256 i; i < 2; ++i) {
            _slashes[epoch][i] = _slashes[epoch - 1][i] + bound(raises[i], 0, 400 ether);
            leaves[i] = keccak256(bytes.concat(keccak256(abi.encode(epoch, nodes[i], _slashes[epoch][i]))));
        }
        _leaves[epoch] = leaves;
        bytes32 root = MerkleBuilder.root(leaves);
        vm.prank(poster);
        rewards.postRoot(epoch, 0, root, 0, keccak256(abi.encode(epoch)), 0, new HostingBounties.Draw[](0));
    }

    function slash(uint256 epochSeed, uint256 nodeSeed) external {
        uint64 last = rewards.lastEpoch();
        if (last == 0) return;
        uint64 epoch = _recentEpoch(epochSeed, last);
        uint256 i = nodeSeed % 2;
        address node = nodes[i];
        uint256 pool = staking.slashableOf(node);
        uint256 executed = staking.slashExecutedOf(node);
        bool disabled = rewards.rootOf(epoch).disabled;
        try staking.slash(epoch, node, _slashes[epoch][i], MerkleBuilder.proof(_leaves[epoch], i)) returns (
            uint256 amount
        ) {
            ++paidSlashes;
            totalSlashed += amount;
            if (amount > pool || executed + amount > _slashes[epoch][i]) ++slashedBeyondBond;
            if (disabled) ++slashedByDisabled;
        } catch {}
    }

    function disable(uint256 epochSeed) external {
        uint64 last = rewards.lastEpoch();
        if (last == 0) return;
        // One call in four disables: a guardian acts on the rare bad root, not on most.
        if (epochSeed % 4 != 0) return;
        uint64 epoch = uint64(bound(epochSeed / 4, 1, last));
        // What a root paid while final stands after it is disabled (DESIGN.md: the guardian
        // stops a bad root; it does not claw back).
        bool wasFinal = rewards.isFinal(epoch);
        vm.prank(guardian);
        try rewards.disableRoot(epoch) {
            if (wasFinal) _finalBeforeDisabled[epoch] = true;
        } catch {}
    }

    /// Mostly the newest epochs, which are the ones that still pay; sometimes any older one.
    function _recentEpoch(uint256 seed, uint64 last) internal pure returns (uint64) {
        uint64 back = uint64(seed % 4 == 0 ? seed / 4 : seed % 2) % last;
        return last - back;
    }

    function wait(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 0, 10 days));
    }

    function stakerAt(uint256 i) external view returns (address) {
        return stakers[i];
    }

    function sponsorAt(uint256 i) external view returns (address) {
        return sponsors[i];
    }

    function nodeAt(uint256 i) external view returns (address) {
        return nodes[i];
    }

    /// The largest cumulative slashed total of node `i` in a root that is final, or was when it was disabled.
    function finalisedSlashed(uint256 i) external view returns (uint256 best) {
        for (uint64 e = 1; e <= rewards.lastEpoch(); ++e) {
            if ((rewards.isFinal(e) || _finalBeforeDisabled[e]) && _slashes[e][i] > best) best = _slashes[e][i];
        }
    }
}

/// @notice Whatever the sequence: Staking holds exactly stakes + pending + bonds + unpaid fees;
/// fees paid and owed never exceed fees added; weights add up; a slash never takes more than
/// the node's pool nor more than its finalised leaves; a disabled root slashes nothing.
contract StakingInvariantTest is Deployment {
    StakingHandler internal handler;

    function setUp() public override {
        super.setUp();
        address payer = makeAddr("payer");
        handler = new StakingHandler(staking, poster, guardian, payer);
        _fund(payer, 10_000_000 ether, address(staking));
        for (uint256 i; i < 3; ++i) {
            _fund(handler.stakerAt(i), 10_000_000 ether, address(staking));
            _fund(handler.sponsorAt(i), 10_000_000 ether, address(staking));
        }
    }

    function targetContracts() public view override returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function invariant_stakingSolvent() public view {
        (uint256 staked, uint256 pending, uint256 bonded) = staking.totals();
        (uint256 added, uint256 paid) = staking.feeTotals();
        vm.assertEq(
            token.balanceOf(address(staking)), staked + pending + bonded + added - paid, "held = owed to everyone"
        );
        uint256 stakes;
        for (uint256 i; i < 3; ++i) {
            stakes += staking.stakeOf(handler.stakerAt(i));
        }
        vm.assertEq(stakes, staked, "stakes add up");
        uint256 pools;
        for (uint256 n; n < 2; ++n) {
            pools += staking.slashableOf(handler.nodeAt(n));
        }
        vm.assertEq(pools, bonded, "pools add up");
    }

    function invariant_feesNeverExceedWhatWasAdded() public view {
        (uint256 added, uint256 paid) = staking.feeTotals();
        uint256 owed;
        for (uint256 i; i < 3; ++i) {
            owed += staking.feesOf(handler.stakerAt(i));
        }
        vm.assertLe(owed + paid, added, "fees owed + paid above fees added");
    }

    /// Join fees are counted per member exactly as paid, and are part of the fees streamed (so the
    /// invariant above, owed + paid ≤ added, covers them).
    function invariant_joinFeesCountedAndStreamed() public view {
        uint256 counted;
        for (uint256 i; i < 3; ++i) {
            counted += staking.joinFeePaidOf(handler.stakerAt(i));
        }
        vm.assertEq(counted, handler.joinFeesPaid(), "join fees counted per member");
        (uint256 added,) = staking.feeTotals();
        vm.assertLe(counted, added, "join fees outside the stream");
    }

    function invariant_weightsAddUpWithinTheBoostCap() public view {
        uint256 total;
        for (uint256 i; i < 3; ++i) {
            address account = handler.stakerAt(i);
            uint256 weight = staking.weightOf(account);
            uint256 staked = staking.stakeOf(account);
            vm.assertGe(weight, staked, "weight below stake");
            vm.assertLe(weight, staked * LOCK_BOOST_CAP / WAD, "weight above the boost cap");
            total += weight;
        }
        vm.assertEq(total, staking.totalWeight(), "weights add up");
    }

    function invariant_bondPoolsConsistent() public view {
        for (uint256 n; n < 2; ++n) {
            address node = handler.nodeAt(n);
            Staking.BondPool memory pool = staking.bondPoolOf(node);
            vm.assertEq(pool.tokens == 0, pool.shares == 0, "tokens without shares or shares without tokens");
            vm.assertLe(pool.unbondingShares, pool.shares, "unbonding above shares");
            uint256 held;
            for (uint256 s; s < 3; ++s) {
                (uint256 unbonding,) = staking.unbondingOf(handler.sponsorAt(s), node);
                held += staking.sponsoredBondOf(handler.sponsorAt(s), node) + unbonding;
            }
            vm.assertLe(held, pool.tokens, "sponsors hold more than the pool");
        }
    }

    function invariant_slashWithinBondAndFinalisedLeaves() public view {
        vm.assertEq(handler.slashedBeyondBond(), 0, "a slash took more than the bond or the leaf");
        vm.assertEq(handler.slashedByDisabled(), 0, "a disabled root slashed");
        uint256 executed;
        for (uint256 n; n < 2; ++n) {
            uint256 done = staking.slashExecutedOf(handler.nodeAt(n));
            vm.assertLe(done, handler.finalisedSlashed(n), "slashed above the finalised leaves");
            executed += done;
        }
        vm.assertEq(executed, handler.totalSlashed(), "slashes add up");
        vm.assertEq(
            token.totalSupply() + handler.totalSlashed(),
            GENESIS_SUPPLY + token.totalEmitted(),
            "every slashed token burned, nothing else"
        );
    }
}
