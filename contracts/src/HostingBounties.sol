// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title HostingBounties
/// @notice Buy hosting (DESIGN.md, the mechanism): anyone funds a bounty on a torrent, keyed by
/// its 20-byte v1 info hash; the torrent's proven hosts are paid from it over the following
/// epochs.
///
/// The payout rule lives at the edge, with the rest of the reward maths; this contract only
/// holds the money and caps what can be taken. Each epoch the poster may draw from bounties in
/// the same transaction that posts the epoch's roots ({EpochRewards-postRoot}); the drawn tokens
/// move to EpochRewards and are paid out through the epoch's earned leaves, which include every
/// host's bounty share. A draw never exceeds what is left of that torrent's bounty, so the total
/// drawn never exceeds the total funded, per torrent and overall.
///
/// A bounty is a payment, not a deposit: funders cannot take it back, so nobody can attract
/// hosts with a bounty and withdraw it once they came. A draw stands even if the guardian later
/// disables the epoch's roots: the tokens are already with EpochRewards and the next root's
/// cumulative leaves pay them.
///
/// EpochRewards creates this contract in its constructor and is its only drawer.
contract HostingBounties {
    using SafeERC20 for IERC20;

    /// @notice One draw: `amount` taken from the bounty of `infoHash` for this epoch's hosts.
    struct Draw {
        bytes20 infoHash;
        uint256 amount;
    }

    /// @notice A zero amount was given.
    error ZeroAmount();
    /// @notice A zero address was given where a contract is required.
    error ZeroAddress();
    /// @notice Only EpochRewards draws.
    error NotEpochRewards(address caller);
    /// @notice The draw exceeds what is left of the bounty.
    error BountyOverdrawn(bytes20 infoHash, uint256 amount, uint256 balance);

    /// @notice `funder` added `amount` to the bounty of `infoHash`, which now holds `balance`.
    event BountyFunded(bytes20 indexed infoHash, address indexed funder, uint256 amount, uint256 balance);
    /// @notice `amount` of the bounty of `infoHash` went into the earned totals of `epoch`;
    /// `balance` is left.
    event BountyDrawn(uint64 indexed epoch, bytes20 indexed infoHash, uint256 amount, uint256 balance);

    IERC20 private immutable _token;
    address private immutable _epochRewards;

    mapping(bytes20 infoHash => uint256) private _balances;
    uint256 private _totalFunded;
    uint256 private _totalDrawn;

    /// @param token_ the $VIDYA token. The deployer (EpochRewards) becomes the only drawer.
    constructor(IERC20 token_) {
        if (address(token_) == address(0)) revert ZeroAddress();
        _token = token_;
        _epochRewards = msg.sender;
    }

    /// @notice Adds `amount` from the caller to the bounty of `infoHash`, for good: there is no
    /// refund. The caller must have approved this contract for `amount` first.
    /// @dev The info hash is not checked against the index: a bounty on a torrent the tracker
    /// does not list is never drawn, and stays here.
    function fund(bytes20 infoHash, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        uint256 balance = _balances[infoHash] + amount;
        _balances[infoHash] = balance;
        _totalFunded += amount;
        emit BountyFunded(infoHash, msg.sender, amount, balance);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Takes `draws` for `epoch` and sends their sum to EpochRewards. Only EpochRewards,
    /// from {EpochRewards-postRoot}. Reverts with {BountyOverdrawn} if any draw exceeds what is
    /// left of its bounty (the same info hash may appear twice; both draws count).
    function draw(uint64 epoch, Draw[] calldata draws) external returns (uint256 total) {
        if (msg.sender != _epochRewards) revert NotEpochRewards(msg.sender);
        for (uint256 i; i < draws.length; ++i) {
            Draw calldata d = draws[i];
            if (d.amount == 0) revert ZeroAmount();
            uint256 balance = _balances[d.infoHash];
            if (d.amount > balance) revert BountyOverdrawn(d.infoHash, d.amount, balance);
            // Cannot underflow: d.amount ≤ balance was just checked. Cannot overflow: the sum
            // of draws is at most the sum of balances, tokens held here.
            unchecked {
                balance -= d.amount;
                total += d.amount;
            }
            _balances[d.infoHash] = balance;
            emit BountyDrawn(epoch, d.infoHash, d.amount, balance);
        }
        _totalDrawn += total;
        _token.safeTransfer(msg.sender, total);
    }

    /// @notice What is left of the bounty of `infoHash`.
    function bountyOf(bytes20 infoHash) external view returns (uint256) {
        return _balances[infoHash];
    }

    /// @notice Everything ever funded, over every torrent.
    function totalFunded() external view returns (uint256) {
        return _totalFunded;
    }

    /// @notice Everything ever drawn into earned totals; never more than {totalFunded}.
    function totalDrawn() external view returns (uint256) {
        return _totalDrawn;
    }

    function token() external view returns (address) {
        return address(_token);
    }

    function epochRewards() external view returns (address) {
        return _epochRewards;
    }
}
