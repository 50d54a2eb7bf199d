// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "./utils/Test.sol";
import {Deployment} from "./utils/Deployment.sol";
import {MerkleBuilder} from "./utils/MerkleBuilder.sol";
import {VidyaToken} from "../src/VidyaToken.sol";
import {EpochRewards} from "../src/EpochRewards.sol";
import {HostingBounties} from "../src/HostingBounties.sol";

/// @notice Drives EpochRewards and HostingBounties the way the edge, funders and nodes do, and
/// also the way a buggy or hostile poster could: roots whose leaves add up to more than the
/// declared total, claims against old, disabled and unfinished roots.
contract EpochHandler is Test {
    VidyaToken internal immutable token;
    EpochRewards internal immutable rewards;
    HostingBounties internal immutable bounties;
    address internal immutable poster;
    address internal immutable guardian;
    address internal immutable funder;
    uint256 internal immutable disputeDelay;

    address[4] internal accounts = [address(0xA1), address(0xA2), address(0xA3), address(0xA4)];
    bytes20[2] internal torrents = [bytes20(uint160(0xB1)), bytes20(uint160(0xB2))];
    mapping(uint64 epoch => uint256[4]) internal _amounts;
    mapping(uint64 epoch => bytes32[]) internal _leaves;
    mapping(uint64 epoch => bool) internal _finalBeforeDisabled;
    uint256 internal _lastDeclared;
    /// A root whose leaves add up to more than its declared total was posted (a bad root).
    bool public overstated;

    /// Claims that paid something: shows the campaign reaches the paying path.
    uint256 public paidClaims;
    /// Claims that paid against a root disabled at the time: must stay zero.
    uint256 public paidFromDisabled;
    /// Claims that paid an amount already paid (cumulative not above the claimed total): must stay zero.
    uint256 public paidTwice;

    constructor(EpochRewards rewards_, address poster_, address guardian_, address funder_) {
        rewards = rewards_;
        token = VidyaToken(rewards_.token());
        bounties = HostingBounties(rewards_.bounties());
        poster = poster_;
        guardian = guardian_;
        funder = funder_;
        disputeDelay = rewards_.disputeDelay();
    }

    /// The edge closes an epoch: every account's cumulative amount grows, account 0 is paid a
    /// draw from a bounty, and an overstating poster hands out up to three epochs' emission in
    /// one leaf while declaring a total within the cap.
    function post(uint256[4] memory raises, bool overstate, uint256 torrentSeed, uint256 drawSeed) external {
        uint64 epoch = rewards.lastEpoch() + 1;
        uint256 emission = rewards.emissionPerEpoch();
        bytes20 torrent = torrents[torrentSeed % 2];
        uint256 draw = bound(drawSeed, 0, bounties.bountyOf(torrent));
        bytes32[] memory leaves = new bytes32[](4);
        uint256 total;
        for (uint256 i; i < 4; ++i) {
            uint256 raise = bound(raises[i], 0, overstate ? 3 * emission : emission / 4);
            if (i == 0) raise += draw;
            _amounts[epoch][i] = _amounts[epoch - 1][i] + raise;
            total += _amounts[epoch][i];
            leaves[i] = keccak256(bytes.concat(keccak256(abi.encode(epoch, accounts[i], _amounts[epoch][i]))));
        }
        uint256 cap = emission * epoch + rewards.totalBountyDrawn() + draw;
        uint256 declared = total > cap ? cap : total;
        if (declared < _lastDeclared) declared = _lastDeclared;
        if (total > declared) overstated = true;
        HostingBounties.Draw[] memory draws = new HostingBounties.Draw[](draw == 0 ? 0 : 1);
        if (draw != 0) draws[0] = HostingBounties.Draw(torrent, draw);
        vm.prank(poster);
        rewards.postRoot(epoch, MerkleBuilder.root(leaves), 0, 0, keccak256(abi.encode(epoch)), declared, draws);
        _lastDeclared = declared;
        _leaves[epoch] = leaves;
    }

    function fund(uint256 torrentSeed, uint256 amount) external {
        amount = bound(amount, 1, 200 ether);
        vm.prank(funder);
        bounties.fund(torrents[torrentSeed % 2], amount);
    }

    function claim(uint256 epochSeed, uint256 who) external {
        uint64 last = rewards.lastEpoch();
        if (last == 0) return;
        uint64 epoch = _recentEpoch(epochSeed, last);
        uint256 i = bound(who, 0, 3);
        bool disabled = rewards.rootOf(epoch).disabled;
        uint256 before = rewards.claimedOf(accounts[i]);
        uint256 cumulative = _amounts[epoch][i];
        try rewards.claim(epoch, accounts[i], cumulative, MerkleBuilder.proof(_leaves[epoch], i)) {
            ++paidClaims;
            if (disabled) ++paidFromDisabled;
            if (cumulative <= before) ++paidTwice;
        } catch {}
    }

    /// A node (or anyone for it) takes its vested held earnings between claims.
    function release(uint256 who) external {
        try rewards.releaseVested(accounts[bound(who, 0, 3)]) {} catch {}
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

    /// Mostly within a dispute delay; one call in eight lets held earnings vest for weeks.
    function wait(uint256 seconds_) external {
        uint256 most = seconds_ % 8 == 0 ? rewards.vestingPeriod() : 2 * disputeDelay;
        vm.warp(block.timestamp + bound(seconds_ / 8, 0, most));
    }

    function accountAt(uint256 i) external view returns (address) {
        return accounts[i];
    }

    /// The largest cumulative amount of account `i` in a root that is final, or was when it was disabled: what it has
    /// provably earned.
    function finalisedEarned(uint256 i) external view returns (uint256 best) {
        for (uint64 e = 1; e <= rewards.lastEpoch(); ++e) {
            if ((rewards.isFinal(e) || _finalBeforeDisabled[e]) && _amounts[e][i] > best) best = _amounts[e][i];
        }
    }
}

/// @notice Whatever sequence of posts, bounty fundings and draws, claims, disables and waits:
/// supply stays within genesis + schedule; nobody is paid beyond what a final root gives it;
/// no claim pays twice; a disabled root pays nothing; bounties pay out no more than funded.
contract EpochInvariantTest is Deployment {
    EpochHandler internal handler;

    function setUp() public override {
        super.setUp();
        address funder = makeAddr("funder");
        handler = new EpochHandler(rewards, poster, guardian, funder);
        _fund(funder, 1_000_000 ether, address(bounties));
    }

    function targetContracts() public view override returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function invariant_supplyWithinSchedule() public view {
        vm.assertLe(
            token.totalSupply(),
            GENESIS_SUPPLY + EMISSION_PER_EPOCH * rewards.committedEpochs(),
            "supply above genesis + schedule"
        );
        vm.assertEq(token.totalSupply(), GENESIS_SUPPLY + token.totalEmitted(), "supply = genesis + emitted");
        vm.assertLe(
            rewards.totalBacked(),
            EMISSION_PER_EPOCH * rewards.committedEpochs() + rewards.totalBountyDrawn(),
            "backing above emission + bounties"
        );
    }

    function invariant_claimedWithinFinalisedEarned() public view {
        uint256 claimedTotal;
        uint256 heldTotal;
        for (uint256 i; i < 4; ++i) {
            address account = handler.accountAt(i);
            uint256 claimed = rewards.claimedOf(account);
            vm.assertLe(claimed, handler.finalisedEarned(i), "claimed above finalised earned");
            (uint256 unvested, uint256 vested,) = rewards.heldOf(account);
            vm.assertEq(token.balanceOf(account) + unvested + vested, claimed, "paid + held = claimed");
            vm.assertLe(unvested + vested, claimed * HOLDBACK_BPS / 10_000, "held above the holdback share");
            claimedTotal += claimed;
            heldTotal += unvested + vested;
        }
        // What left the contract: never more than what backs the roots, whatever the roots say.
        uint256 paidOut = claimedTotal - heldTotal;
        vm.assertLe(paidOut, rewards.totalBacked(), "paid above what backs the roots");
        vm.assertEq(token.balanceOf(address(rewards)), rewards.totalBacked() - paidOut, "held here = backed - paid");
        // With honest roots (leaves adding up to the declared total) every held amount is backed
        // too. A bad root's claims are paid first come, held parts included: the guardian's to stop.
        if (!handler.overstated()) vm.assertLe(claimedTotal, rewards.totalBacked(), "claimed above what backs the roots");
    }

    function invariant_noClaimTwiceAndDisabledPaysNothing() public view {
        vm.assertEq(handler.paidTwice(), 0, "a claim paid twice");
        vm.assertEq(handler.paidFromDisabled(), 0, "a disabled root paid");
    }

    function invariant_bountiesPayNoMoreThanFunded() public view {
        vm.assertLe(bounties.totalDrawn(), bounties.totalFunded(), "drawn above funded");
        vm.assertEq(bounties.totalDrawn(), rewards.totalBountyDrawn(), "both books agree");
        vm.assertEq(
            token.balanceOf(address(bounties)), bounties.totalFunded() - bounties.totalDrawn(), "held = funded - drawn"
        );
    }
}
