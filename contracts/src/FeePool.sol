// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title FeePool
/// @notice Fees to stakers (DESIGN.md): join fees ({payJoinFee}: a member joining by stake pays
/// one, which the edge reads from {joinFeePaidOf}) and download fees (members' spending, settled
/// by Escrow) are streamed to stakers in proportion to their weight, a stake times its lock
/// boost. Staking inherits it and sets weights; Synthetix's StakingRewards is the model.
///
/// The curve: each {addFees} merges the new amount with what the running stream has not paid
/// yet and spreads the sum evenly over the next `streamDuration` seconds. A single payment is
/// thus paid linearly over the window; a steady flow of fees reaches a steady rate, and a
/// burst raises the rate for a window instead of paying whoever is staked at that instant,
/// so staking just before a large fee and leaving just after earns almost nothing.
///
/// Whoever holds weight at a moment earns `rate × weight / totalWeight` for it: an accumulator
/// of fees per unit of weight, checkpointed per account before its weight changes. While no
/// one holds weight the stream pauses instead of paying nobody: its end moves forward.
/// Every division rounds down, so the pool never owes more than it was paid; the dust stays.
abstract contract FeePool {
    using SafeERC20 for IERC20;

    uint256 internal constant WAD = 1e18;

    /// @notice The caller has no fees to claim.
    error NoFees(address account);
    /// @notice A zero amount of fees was added.
    error ZeroFees();
    /// @notice The stream duration is zero, or the token is the zero address.
    error InvalidFeePool();

    /// @notice `from` added `amount` of fees; the stream now pays `rate` (18-decimal tokens per
    /// second) until `periodFinish`.
    event FeesAdded(address indexed from, uint256 amount, uint256 rate, uint256 periodFinish);
    /// @notice `account` was paid `amount` of fees.
    event FeesClaimed(address indexed account, uint256 amount);
    /// @notice `from` paid `amount` of join fee for `member`, whose join fees now total `total`.
    event JoinFeePaid(address indexed member, address indexed from, uint256 amount, uint256 total);

    IERC20 internal immutable _token;
    uint256 private immutable _streamDuration;

    uint256 private _totalWeight;
    uint256 private _rate; // tokens per second × WAD
    uint256 private _periodFinish;
    uint256 private _lastUpdate;
    uint256 private _feesPerWeight; // fees per unit of weight × WAD, since the start
    uint256 private _feesAdded;
    uint256 private _feesPaid;
    mapping(address account => uint256) private _weights;
    mapping(address account => uint256) private _feesPerWeightPaid;
    mapping(address account => uint256) private _feesOwed;
    mapping(address member => uint256) private _joinFeesPaid;

    constructor(IERC20 token_, uint256 streamDuration_) {
        if (address(token_) == address(0) || streamDuration_ == 0) revert InvalidFeePool();
        _token = token_;
        _streamDuration = streamDuration_;
    }

    /// @notice Adds `amount` of fees from the caller to the stream. Anyone may pay in: the edge
    /// for join fees, Escrow for settled download spending. The caller must have approved this
    /// contract for `amount` first.
    function addFees(uint256 amount) external {
        _addFees(amount);
    }

    /// @notice Pays `amount` of join fee for the caller: it joins the stream like any fee (so a
    /// staker who arrives just before a join earns only its share of the window it stays for),
    /// and counts towards the caller's {joinFeePaidOf}. The caller must have approved this
    /// contract for `amount` first.
    function payJoinFee(uint256 amount) external {
        _payJoinFee(msg.sender, amount);
    }

    /// @notice Pays `amount` of join fee for `member` (a router that swaps and joins, a friend):
    /// it counts for `member` alone and cannot be taken back.
    function payJoinFeeFor(address member, uint256 amount) external {
        if (member == address(0)) revert InvalidFeePool();
        _payJoinFee(member, amount);
    }

    /// @notice The join fees ever paid for `member`. The edge admits a staker whose total reaches
    /// the join fee in force (protocol/economics/access.ts joinFee); fees paid once are not refunded.
    function joinFeePaidOf(address member) external view returns (uint256) {
        return _joinFeesPaid[member];
    }

    function _payJoinFee(address member, uint256 amount) private {
        if (amount == 0) revert ZeroFees();
        uint256 total = _joinFeesPaid[member] + amount;
        _joinFeesPaid[member] = total;
        emit JoinFeePaid(member, msg.sender, amount, total);
        // Last: it pulls the tokens (checks, effects, then the transfer).
        _addFees(amount);
    }

    function _addFees(uint256 amount) private {
        if (amount == 0) revert ZeroFees();
        _updateStream();
        uint256 duration = _streamDuration;
        uint256 finish = _periodFinish;
        // What the running stream has not paid yet is merged into the new one.
        uint256 unpaid = block.timestamp < finish ? (finish - block.timestamp) * _rate : 0;
        uint256 rate = (amount * WAD + unpaid) / duration;
        finish = block.timestamp + duration;
        _rate = rate;
        _periodFinish = finish;
        _lastUpdate = block.timestamp;
        _feesAdded += amount;
        emit FeesAdded(msg.sender, amount, rate, finish);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Pays the caller every fee it has earned so far.
    function claimFees() external returns (uint256 amount) {
        _checkpoint(msg.sender);
        amount = _feesOwed[msg.sender];
        if (amount == 0) revert NoFees(msg.sender);
        _feesOwed[msg.sender] = 0;
        _feesPaid += amount;
        emit FeesClaimed(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @notice The fees `account` can claim now.
    function feesOf(address account) external view returns (uint256) {
        return _feesOwed[account] + _earnedSince(account, _currentFeesPerWeight());
    }

    /// @notice The fee weight of `account`: its stake times its lock boost.
    function weightOf(address account) public view returns (uint256) {
        return _weights[account];
    }

    function totalWeight() external view returns (uint256) {
        return _totalWeight;
    }

    /// @notice The stream: its rate (18-decimal tokens per second) and when it ends if nobody
    /// adds fees (later if nobody holds weight meanwhile).
    function feeStream() external view returns (uint256 rate, uint256 periodFinish) {
        return (_rate, _periodFinish);
    }

    /// @notice Fees ever added and ever paid; the difference is held here.
    function feeTotals() external view returns (uint256 added, uint256 paid) {
        return (_feesAdded, _feesPaid);
    }

    function streamDuration() external view returns (uint256) {
        return _streamDuration;
    }

    function token() external view returns (address) {
        return address(_token);
    }

    /// @dev Credits `account` with what its current weight earned up to now. Call before any
    /// change to its weight.
    function _checkpoint(address account) internal {
        _updateStream();
        uint256 perWeight = _feesPerWeight;
        uint256 earned = _earnedSince(account, perWeight);
        if (earned != 0) _feesOwed[account] += earned;
        _feesPerWeightPaid[account] = perWeight;
    }

    /// @dev Sets the weight of `account`, already checkpointed.
    function _setWeight(address account, uint256 weight) internal {
        _totalWeight = _totalWeight - _weights[account] + weight;
        _weights[account] = weight;
    }

    function _updateStream() private {
        uint256 last = _lastUpdate;
        uint256 finish = _periodFinish;
        if (last < finish) {
            uint256 total = _totalWeight;
            if (total == 0) {
                // Nobody to pay: the rest of the stream starts again from now.
                _periodFinish = block.timestamp + (finish - last);
            } else {
                uint256 until = Math.min(block.timestamp, finish);
                _feesPerWeight += ((until - last) * _rate) / total;
            }
        }
        _lastUpdate = block.timestamp;
    }

    function _currentFeesPerWeight() private view returns (uint256) {
        uint256 last = _lastUpdate;
        uint256 finish = _periodFinish;
        uint256 total = _totalWeight;
        if (last >= finish || total == 0) return _feesPerWeight;
        return _feesPerWeight + ((Math.min(block.timestamp, finish) - last) * _rate) / total;
    }

    function _earnedSince(address account, uint256 perWeight) private view returns (uint256) {
        return Math.mulDiv(_weights[account], perWeight - _feesPerWeightPaid[account], WAD);
    }
}
