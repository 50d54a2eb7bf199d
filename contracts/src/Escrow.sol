// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EpochRewards} from "./EpochRewards.sol";
import {FeePool} from "./FeePool.sol";

/// @title Escrow
/// @notice Members' download deposits (DESIGN.md: past the free allotment, members pay from an
/// on-chain deposit). The edge charges paid downloads against a member's deposit off-chain and
/// commits every member's cumulative spending in each epoch's spent tree. Once an epoch is
/// final, anyone (the edge, in practice) settles a member: `cumulative − settled` moves from the
/// deposit to the fee pool, where it streams to stakers.
///
/// A member leaves in two steps: {requestWithdrawal}, then {withdraw} of the whole balance
/// (deposit minus settled spending) `withdrawalDelay` seconds later. From the request on, the
/// edge stops charging the deposit; the delay covers the close of the epoch of the last paid
/// download, its dispute window and its settlement. Spending not settled by then is the
/// edge's loss, never another member's: each member's balance is its own.
contract Escrow {
    using SafeERC20 for IERC20;

    /// @notice A zero amount was given.
    error ZeroAmount();
    /// @notice A zero address was given where an account is required.
    error ZeroAddress();
    /// @notice Nothing to settle: the member's settled spending already reaches `cumulative`
    /// (`settled`), or its balance is empty.
    error NothingToSettle(address member, uint256 cumulative, uint256 settled);
    /// @notice The member has not asked to withdraw.
    error WithdrawalNotRequested(address member);
    /// @notice The balance is withdrawable at `withdrawableAt`.
    error WithdrawalNotReady(uint256 withdrawableAt);
    /// @notice The balance is empty.
    error NothingToWithdraw();
    /// @notice `withdrawalDelay` does not outlast EpochRewards' `disputeDelay`: a member could
    /// withdraw a charged balance before the root that charges it is final.
    error WithdrawalDelayTooShort(uint256 withdrawalDelay, uint256 disputeDelay);

    /// @notice `from` deposited `amount` for `member`, whose balance is now `balance`.
    event Deposited(address indexed member, address indexed from, uint256 amount, uint256 balance);
    /// @notice `amount` of the member's deposit paid for its spending in `epoch`'s tree went to
    /// the fee pool; `settled` of its cumulative spending has now been paid.
    event Settled(uint64 indexed epoch, address indexed member, uint256 amount, uint256 settled);
    /// @notice `member` asked to withdraw; its balance is withdrawable at `withdrawableAt`.
    event WithdrawalRequested(address indexed member, uint256 withdrawableAt);
    /// @notice `member` cancelled its withdrawal request.
    event WithdrawalCancelled(address indexed member);
    /// @notice `member` withdrew `amount`, its whole balance.
    event Withdrawn(address indexed member, uint256 amount);

    /// @notice A member's escrow account.
    struct Account {
        uint256 balance; // deposits minus settled spending minus withdrawals
        uint256 settled; // cumulative spending paid to the fee pool
        uint256 withdrawableAt; // 0: no withdrawal requested
    }

    IERC20 private immutable _token;
    EpochRewards private immutable _rewards;
    FeePool private immutable _feePool;
    uint256 private immutable _withdrawalDelay;

    mapping(address member => Account) private _accounts;
    uint256 private _totalBalance;
    uint256 private _totalSettled;

    /// @param token_ the $VIDYA token.
    /// @param rewards_ EpochRewards, whose final spent trees authorise settlements.
    /// @param feePool_ where settled spending goes (Staking).
    /// @param withdrawalDelay_ seconds between a withdrawal request and the withdrawal; keep it
    /// above an epoch plus the dispute delay plus the time the edge needs to settle
    /// (protocol/params.ts ESCROW_WITHDRAWAL_DELAY_SECONDS). The contract cannot know the epoch's
    /// length, so it enforces the part it can read: more than `rewards_.disputeDelay()`.
    constructor(IERC20 token_, EpochRewards rewards_, FeePool feePool_, uint256 withdrawalDelay_) {
        if (address(token_) == address(0) || address(rewards_) == address(0) || address(feePool_) == address(0)) {
            revert ZeroAddress();
        }
        // A charge is made before the request (the edge stops charging at it) and becomes
        // settleable `disputeDelay` after its epoch's root is posted: the delay must outlast that,
        // or the charged balance could leave first (settled > what is still held).
        uint256 disputeDelay = rewards_.disputeDelay();
        if (withdrawalDelay_ <= disputeDelay) revert WithdrawalDelayTooShort(withdrawalDelay_, disputeDelay);
        _token = token_;
        _rewards = rewards_;
        _feePool = feePool_;
        _withdrawalDelay = withdrawalDelay_;
    }

    /// @notice Adds `amount` from the caller to its own deposit.
    function deposit(uint256 amount) external {
        _deposit(msg.sender, amount);
    }

    /// @notice Adds `amount` from the caller to the deposit of `member` (a gift: only `member`
    /// can withdraw it).
    function depositFor(address member, uint256 amount) external {
        if (member == address(0)) revert ZeroAddress();
        _deposit(member, amount);
    }

    /// @notice Pays the fee pool what `member` spent according to its leaf in the spent tree
    /// of a final epoch: `cumulative − settled`, or the whole balance if it holds less (the
    /// rest stays owed). Anyone may submit it.
    /// @dev Reverts with EpochRewards' errors when the leaf is not final
    /// ({EpochRewards-verifyFinalLeaf}). Use the newest final epoch.
    function settle(uint64 epoch, address member, uint256 cumulative, bytes32[] calldata proof)
        external
        returns (uint256 amount)
    {
        _rewards.verifyFinalLeaf(EpochRewards.Tree.Spent, epoch, member, cumulative, proof);
        Account storage account = _accounts[member];
        uint256 settled = account.settled;
        uint256 balance = account.balance;
        if (cumulative <= settled || balance == 0) revert NothingToSettle(member, cumulative, settled);
        // Cannot underflow: cumulative > settled was just checked; amount ≤ balance, a part of
        // the total. Cannot overflow: settled + amount ≤ cumulative.
        unchecked {
            uint256 due = cumulative - settled;
            amount = due < balance ? due : balance;
            settled += amount;
            account.balance = balance - amount;
            _totalBalance -= amount;
        }
        account.settled = settled;
        _totalSettled += amount;
        emit Settled(epoch, member, amount, settled);
        _token.forceApprove(address(_feePool), amount);
        _feePool.addFees(amount);
    }

    /// @notice Starts the caller's withdrawal: its whole balance is withdrawable after
    /// `withdrawalDelay`. Asking again restarts the delay; deposits made meanwhile are
    /// withdrawn with the rest. {cancelWithdrawal} undoes it.
    /// @dev The edge stops charging the deposit from this point; members who keep downloading
    /// afterwards are served from the free allotment or slowed, as with no deposit.
    function requestWithdrawal() external returns (uint256 withdrawableAt) {
        withdrawableAt = block.timestamp + _withdrawalDelay;
        _accounts[msg.sender].withdrawableAt = withdrawableAt;
        emit WithdrawalRequested(msg.sender, withdrawableAt);
    }

    /// @notice Cancels the caller's withdrawal request: the edge may charge its deposit again.
    function cancelWithdrawal() external {
        if (_accounts[msg.sender].withdrawableAt == 0) revert WithdrawalNotRequested(msg.sender);
        _accounts[msg.sender].withdrawableAt = 0;
        emit WithdrawalCancelled(msg.sender);
    }

    /// @notice Pays the caller its whole balance: deposits minus settled spending. Only after
    /// {requestWithdrawal} and its delay; the request is then used up.
    function withdraw() external returns (uint256 amount) {
        Account storage account = _accounts[msg.sender];
        uint256 withdrawableAt = account.withdrawableAt;
        if (withdrawableAt == 0) revert WithdrawalNotRequested(msg.sender);
        if (block.timestamp < withdrawableAt) revert WithdrawalNotReady(withdrawableAt);
        amount = account.balance;
        if (amount == 0) revert NothingToWithdraw();
        account.balance = 0;
        account.withdrawableAt = 0;
        // Cannot underflow: the member's balance is part of the total.
        unchecked {
            _totalBalance -= amount;
        }
        emit Withdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @notice The escrow account of `member`.
    function accountOf(address member) external view returns (Account memory) {
        return _accounts[member];
    }

    /// @notice What `member` could withdraw now if its request were ready: deposits minus settled
    /// spending (spending not yet settled is not deducted).
    function balanceOf(address member) external view returns (uint256) {
        return _accounts[member].balance;
    }

    /// @notice True when `member` has asked to withdraw: the edge must not charge its deposit.
    function withdrawalRequested(address member) external view returns (bool) {
        return _accounts[member].withdrawableAt != 0;
    }

    /// @notice Every member's balance, summed; this contract holds at least as much.
    function totalBalance() external view returns (uint256) {
        return _totalBalance;
    }

    /// @notice Everything ever settled to the fee pool.
    function totalSettled() external view returns (uint256) {
        return _totalSettled;
    }

    function token() external view returns (address) {
        return address(_token);
    }

    function rewards() external view returns (address) {
        return address(_rewards);
    }

    function feePool() external view returns (address) {
        return address(_feePool);
    }

    function withdrawalDelay() external view returns (uint256) {
        return _withdrawalDelay;
    }

    function _deposit(address member, uint256 amount) private {
        if (amount == 0) revert ZeroAmount();
        uint256 balance = _accounts[member].balance + amount;
        _accounts[member].balance = balance;
        _totalBalance += amount;
        emit Deposited(member, msg.sender, amount, balance);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }
}
