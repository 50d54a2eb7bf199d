// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {EpochRewards} from "./EpochRewards.sol";

/// @title HostingBadges
/// @notice Soulbound ERC-1155 badges (DESIGN.md: a badge for having hosted in an epoch, with a
/// proof from that epoch's leaves). Badge id `N` is epoch `N`'s: an account may claim one copy
/// by proving a leaf with a positive amount in epoch `N`'s earned tree, once the epoch is final
/// and not disabled.
///
/// What the badge certifies, exactly: the account is among epoch `N`'s rewarded hosts, as the
/// committed earned tree says. Earned leaves are cumulative and the edge carries every account
/// that ever earned into later trees, so this reads "a rewarded host by epoch `N`", not "earned
/// during `N` and not before"; that stricter claim would need a proof that the account is
/// absent from epoch `N − 1`'s tree, which trees sorted by hash cannot give.
///
/// Badges cannot be transferred, approved or burned: every balance change but a mint reverts.
contract HostingBadges is ERC1155 {
    /// @notice Badges cannot change hands.
    error Soulbound();
    /// @notice `account` already holds the badge of `epoch`.
    error AlreadyClaimed(uint64 epoch, address account);
    /// @notice A leaf with a zero amount earned nothing.
    error NothingEarned();
    /// @notice A zero address was given where a contract is required.
    error ZeroAddress();

    EpochRewards private immutable _rewards;

    /// @param rewards_ EpochRewards, whose final earned trees prove the badges.
    /// @param uri_ ERC-1155 metadata URI with the `{id}` placeholder (the id is the epoch).
    constructor(EpochRewards rewards_, string memory uri_) ERC1155(uri_) {
        if (address(rewards_) == address(0)) revert ZeroAddress();
        _rewards = rewards_;
    }

    /// @notice Mints the badge of `epoch` to `account`, which has the earned leaf
    /// `(epoch, account, cumulative)`. Anyone may submit it; the badge always goes to `account`.
    /// @dev Reverts with EpochRewards' errors when the leaf is not final
    /// ({EpochRewards-verifyFinalLeaf}). A contract account must accept ERC-1155 tokens
    /// ({IERC1155Receiver}), or the mint reverts.
    function claim(uint64 epoch, address account, uint256 cumulative, bytes32[] calldata proof) external {
        if (cumulative == 0) revert NothingEarned();
        if (balanceOf(account, epoch) != 0) revert AlreadyClaimed(epoch, account);
        _rewards.verifyFinalLeaf(EpochRewards.Tree.Earned, epoch, account, cumulative, proof);
        _mint(account, epoch, 1, "");
    }

    /// @notice Always reverts: badges are soulbound, there is nothing to approve.
    function setApprovalForAll(address, bool) public pure override {
        revert Soulbound();
    }

    function rewards() external view returns (address) {
        return address(_rewards);
    }

    /// @dev Only mints pass: transfers and burns revert.
    function _update(address from, address to, uint256[] memory ids, uint256[] memory values) internal override {
        if (from != address(0)) revert Soulbound();
        super._update(from, to, ids, values);
    }
}
