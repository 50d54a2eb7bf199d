// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Deployment} from "./utils/Deployment.sol";
import {MerkleBuilder} from "./utils/MerkleBuilder.sol";
import {EpochRewards} from "../src/EpochRewards.sol";
import {HostingBounties} from "../src/HostingBounties.sol";

contract HostingBountiesTest is Deployment {
    bytes20 internal constant GAME_ARCHIVE = bytes20(keccak256("game archive"));
    bytes20 internal constant OTHER_TORRENT = bytes20(keccak256("other torrent"));

    address internal funder = makeAddr("funder");
    address internal host = makeAddr("host");
    address internal mallory = makeAddr("mallory");

    function setUp() public override {
        super.setUp();
        _fund(funder, 10_000 ether, address(bounties));
    }

    function test_fund_holdsTheBounty() public {
        vm.expectEmit(true, true, false, true, address(bounties));
        emit HostingBounties.BountyFunded(GAME_ARCHIVE, funder, 100 ether, 100 ether);
        vm.prank(funder);
        bounties.fund(GAME_ARCHIVE, 100 ether);
        vm.prank(funder);
        bounties.fund(GAME_ARCHIVE, 50 ether);
        vm.assertEq(bounties.bountyOf(GAME_ARCHIVE), 150 ether, "bounty");
        vm.assertEq(bounties.totalFunded(), 150 ether, "totalFunded");
        vm.assertEq(token.balanceOf(address(bounties)), 150 ether, "held");
        vm.assertEq(bounties.epochRewards(), address(rewards), "drawer");
    }

    function test_fund_refusesZero() public {
        vm.expectRevert(HostingBounties.ZeroAmount.selector);
        vm.prank(funder);
        bounties.fund(GAME_ARCHIVE, 0);
    }

    function test_malicious_drawByAnyoneButEpochRewards() public {
        vm.prank(funder);
        bounties.fund(GAME_ARCHIVE, 100 ether);
        HostingBounties.Draw[] memory draws = _draws(GAME_ARCHIVE, 100 ether);
        vm.expectRevert(abi.encodeWithSelector(HostingBounties.NotEpochRewards.selector, poster));
        vm.prank(poster);
        bounties.draw(1, draws);
        vm.expectRevert(abi.encodeWithSelector(HostingBounties.NotEpochRewards.selector, mallory));
        vm.prank(mallory);
        bounties.draw(1, draws);
    }

    /// The edge pays a torrent's hosts from its bounty by including the payout in their earned
    /// leaves and drawing it in the same post: the drawn amount raises the epoch's cap.
    function test_postRoot_drawsBountyIntoEarnedLeaves() public {
        vm.prank(funder);
        bounties.fund(GAME_ARCHIVE, 100 ether);
        uint256 earned = EMISSION_PER_EPOCH + 40 ether; // the full emission plus a bounty share
        bytes32 root = _leaf(1, host, earned);
        _postWithDraws(1, root, earned, _draws(GAME_ARCHIVE, 40 ether));
        vm.assertEq(bounties.bountyOf(GAME_ARCHIVE), 60 ether, "bounty left");
        vm.assertEq(bounties.totalDrawn(), 40 ether, "drawn");
        vm.assertEq(rewards.totalBountyDrawn(), 40 ether, "rewards saw the draw");
        vm.assertEq(token.totalEmitted(), EMISSION_PER_EPOCH, "only the emission was minted");
        _finalise();
        rewards.claim(1, host, earned, new bytes32[](0));
        vm.assertEq(_claimedValue(host), earned, "host paid emission + bounty");
    }

    function test_malicious_overdrawABounty() public {
        vm.prank(funder);
        bounties.fund(GAME_ARCHIVE, 100 ether);
        HostingBounties.Draw[] memory draws = _draws(GAME_ARCHIVE, 100 ether + 1);
        vm.expectRevert(
            abi.encodeWithSelector(HostingBounties.BountyOverdrawn.selector, GAME_ARCHIVE, 100 ether + 1, 100 ether)
        );
        _postWithDraws(1, bytes32(uint256(1)), 0, draws);
    }

    /// Two draws on one torrent count together: together they may not exceed its bounty.
    function test_malicious_drawTheSameBountyTwiceInOnePost() public {
        vm.prank(funder);
        bounties.fund(GAME_ARCHIVE, 100 ether);
        HostingBounties.Draw[] memory draws = new HostingBounties.Draw[](2);
        draws[0] = HostingBounties.Draw(GAME_ARCHIVE, 60 ether);
        draws[1] = HostingBounties.Draw(GAME_ARCHIVE, 60 ether);
        vm.expectRevert(
            abi.encodeWithSelector(HostingBounties.BountyOverdrawn.selector, GAME_ARCHIVE, 60 ether, 40 ether)
        );
        _postWithDraws(1, bytes32(uint256(1)), 0, draws);
    }

    /// A draw from one torrent's bounty cannot take another's money.
    function test_malicious_drawAnUnfundedTorrent() public {
        vm.prank(funder);
        bounties.fund(GAME_ARCHIVE, 100 ether);
        vm.expectRevert(abi.encodeWithSelector(HostingBounties.BountyOverdrawn.selector, OTHER_TORRENT, 1, 0));
        _postWithDraws(1, bytes32(uint256(1)), 0, _draws(OTHER_TORRENT, 1));
    }

    /// Earned totals above emission + drawn bounties are refused even when bounties hold more.
    function test_malicious_earnedAboveEmissionPlusDraws() public {
        vm.prank(funder);
        bounties.fund(GAME_ARCHIVE, 100 ether);
        uint256 cap = EMISSION_PER_EPOCH + 40 ether;
        vm.expectRevert(abi.encodeWithSelector(EpochRewards.TotalEarnedAboveCap.selector, cap + 1, cap));
        _postWithDraws(1, bytes32(uint256(1)), cap + 1, _draws(GAME_ARCHIVE, 40 ether));
    }

    /// Regression: a root whose leaves add up to more than its declared total cannot reach the
    /// bounties' money; claims beyond what backs the root fail.
    function test_malicious_overstatedLeavesCannotReachBounties() public {
        vm.prank(funder);
        bounties.fund(GAME_ARCHIVE, 1_000 ether);
        bytes32[] memory leaves = new bytes32[](2);
        leaves[0] = _leaf(1, host, 10 ether);
        leaves[1] = _leaf(1, mallory, 500 ether); // not counted in the declared total
        _post(1, MerkleBuilder.root(leaves), 10 ether);
        _finalise();
        vm.expectRevert();
        rewards.claim(1, mallory, 500 ether, MerkleBuilder.proof(leaves, 1));
        vm.assertEq(token.balanceOf(address(bounties)), 1_000 ether, "bounties untouched");
    }

    /// A disabled epoch's draws stand: the tokens stay with EpochRewards and back the next root.
    function test_disabledEpoch_drawsBackTheNextRoot() public {
        vm.prank(funder);
        bounties.fund(GAME_ARCHIVE, 100 ether);
        _postWithDraws(1, _leaf(1, mallory, 40 ether), 40 ether, _draws(GAME_ARCHIVE, 40 ether));
        vm.prank(guardian);
        rewards.disableRoot(1);
        _post(2, _leaf(2, host, 40 ether), 40 ether);
        vm.assertEq(token.totalEmitted(), 0, "backed by the draw, nothing minted");
        _finalise();
        rewards.claim(2, host, 40 ether, new bytes32[](0));
        vm.assertEq(_claimedValue(host), 40 ether, "the corrected root pays the bounty");
    }

    /// Whatever the funding and the draws, the total drawn never exceeds the total funded, per
    /// torrent and overall, and the tokens are where the books say.
    function testFuzz_drawnNeverExceedsFunded(uint96[2] memory funded, uint96[4] memory asked) public {
        bytes20[2] memory torrents = [GAME_ARCHIVE, OTHER_TORRENT];
        for (uint256 i; i < 2; ++i) {
            uint256 amount = bound(funded[i], 1, 5_000 ether);
            vm.prank(funder);
            bounties.fund(torrents[i], amount);
        }
        uint256 drawnTotal;
        for (uint64 epoch = 1; epoch <= 4; ++epoch) {
            bytes20 infoHash = torrents[epoch % 2];
            uint256 amount = bound(asked[epoch - 1], 1, 3_000 ether);
            uint256 balance = bounties.bountyOf(infoHash);
            if (amount > balance) {
                vm.expectRevert(
                    abi.encodeWithSelector(HostingBounties.BountyOverdrawn.selector, infoHash, amount, balance)
                );
                _postWithDraws(epoch, bytes32(uint256(epoch)), 0, _draws(infoHash, amount));
                _post(epoch, bytes32(uint256(epoch)), 0);
            } else {
                _postWithDraws(epoch, bytes32(uint256(epoch)), 0, _draws(infoHash, amount));
                drawnTotal += amount;
            }
        }
        vm.assertEq(bounties.totalDrawn(), drawnTotal, "drawn");
        vm.assertLe(bounties.totalDrawn(), bounties.totalFunded(), "drawn <= funded");
        vm.assertEq(
            token.balanceOf(address(bounties)), bounties.totalFunded() - bounties.totalDrawn(), "held = funded - drawn"
        );
        vm.assertEq(token.balanceOf(address(rewards)), drawnTotal, "drawn tokens back the earned leaves");
    }

    function _draws(bytes20 infoHash, uint256 amount) internal pure returns (HostingBounties.Draw[] memory draws) {
        draws = new HostingBounties.Draw[](1);
        draws[0] = HostingBounties.Draw(infoHash, amount);
    }

    function _postWithDraws(uint64 epoch, bytes32 earnedRoot, uint256 totalEarned, HostingBounties.Draw[] memory draws)
        internal
    {
        vm.prank(poster);
        rewards.postRoot(epoch, earnedRoot, 0, 0, keccak256("inputs"), totalEarned, draws);
    }
}
