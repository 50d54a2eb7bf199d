// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title Staking
/// @notice Two kinds of locked $VIDYA (DESIGN.md): a member's access stake, which admits them
/// to the tracker, and a node's bond, which backs its hosting claims. Anyone may bond on a
/// node's behalf (a sponsor); bonds are kept per (sponsor, node) and only the sponsor can
/// unbond its own part.
///
/// Leaving takes two steps: a request moves the amount out of the stake or bond at once into
/// the caller's pending withdrawal, and {withdraw} pays it `unbondingDelay` seconds after the
/// latest request. Pending amounts stay in this contract during the delay.
contract Staking {
    using SafeERC20 for IERC20;

    /// @notice A zero amount was given.
    error ZeroAmount();
    /// @notice A zero address was given where an account is required.
    error ZeroAddress();
    /// @notice The request exceeds the caller's stake (or its bond on this node).
    error InsufficientStake(uint256 requested, uint256 available);
    /// @notice Nothing is pending for the caller.
    error NothingToWithdraw();
    /// @notice The pending amount is released at `releaseAt`.
    error StillUnbonding(uint256 releaseAt);

    /// @notice `account` added `amount` to its access stake.
    event Staked(address indexed account, uint256 amount);
    /// @notice `sponsor` added `amount` to the bond of `node`.
    event Bonded(address indexed sponsor, address indexed node, uint256 amount);
    /// @notice `account` started unstaking `amount`; its pending total is released at `releaseAt`.
    event UnstakeRequested(address indexed account, uint256 amount, uint256 releaseAt);
    /// @notice `sponsor` started unbonding `amount` from `node`; its pending total is released at `releaseAt`.
    event UnbondRequested(address indexed sponsor, address indexed node, uint256 amount, uint256 releaseAt);
    /// @notice `account` withdrew `amount`.
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice An account's pending withdrawal: one running total, released `unbondingDelay` after the latest request.
    struct Pending {
        uint256 amount;
        uint256 releaseAt;
    }

    IERC20 private immutable _token;
    uint256 private immutable _unbondingDelay;

    mapping(address account => uint256) private _stakes;
    mapping(address node => uint256) private _bonds;
    mapping(address sponsor => mapping(address node => uint256)) private _sponsoredBonds;
    mapping(address account => Pending) private _pending;

    /// @param token_ the $VIDYA token.
    /// @param unbondingDelay_ seconds between the latest unstake/unbond request and {withdraw}.
    constructor(IERC20 token_, uint256 unbondingDelay_) {
        if (address(token_) == address(0)) revert ZeroAddress();
        _token = token_;
        _unbondingDelay = unbondingDelay_;
    }

    /// @notice Adds `amount` to the caller's access stake. The caller must have approved this
    /// contract for `amount` first (ERC-20 `approve`, or an EIP-2612 permit).
    function stake(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        _stakes[msg.sender] += amount;
        emit Staked(msg.sender, amount);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Adds `amount` from the caller to the bond of `node`. The caller (the sponsor,
    /// who may be the node itself) keeps the right to unbond it; the node cannot take it.
    function bond(address node, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        if (node == address(0)) revert ZeroAddress();
        _bonds[node] += amount;
        // Cannot overflow: every sponsored part is at most the node's total, checked just above.
        unchecked {
            _sponsoredBonds[msg.sender][node] += amount;
        }
        emit Bonded(msg.sender, node, amount);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Moves `amount` of the caller's access stake to its pending withdrawal, which
    /// restarts the delay for the whole pending amount. The stake stops counting at once.
    function requestUnstake(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        uint256 available = _stakes[msg.sender];
        if (amount > available) revert InsufficientStake(amount, available);
        // Cannot underflow: amount ≤ available was just checked.
        unchecked {
            _stakes[msg.sender] = available - amount;
        }
        uint256 releaseAt = _addPending(msg.sender, amount);
        emit UnstakeRequested(msg.sender, amount, releaseAt);
    }

    /// @notice Moves `amount` of the caller's bond on `node` to the caller's pending
    /// withdrawal, which restarts the delay for the whole pending amount.
    function requestUnbond(address node, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        uint256 available = _sponsoredBonds[msg.sender][node];
        if (amount > available) revert InsufficientStake(amount, available);
        // Cannot underflow: amount ≤ the sponsor's part ≤ the node's total bond.
        unchecked {
            _sponsoredBonds[msg.sender][node] = available - amount;
            _bonds[node] -= amount;
        }
        uint256 releaseAt = _addPending(msg.sender, amount);
        emit UnbondRequested(msg.sender, node, amount, releaseAt);
    }

    /// @notice Pays the caller its whole pending withdrawal once its delay has passed.
    function withdraw() external returns (uint256 amount) {
        Pending memory pending = _pending[msg.sender];
        if (pending.amount == 0) revert NothingToWithdraw();
        if (block.timestamp < pending.releaseAt) revert StillUnbonding(pending.releaseAt);
        amount = pending.amount;
        delete _pending[msg.sender];
        emit Withdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @notice The access stake of `account` (pending withdrawals excluded).
    function stakeOf(address account) external view returns (uint256) {
        return _stakes[account];
    }

    /// @notice The total bond of `node`, from every sponsor (pending withdrawals excluded).
    function bondOf(address node) external view returns (uint256) {
        return _bonds[node];
    }

    /// @notice The part of the bond of `node` that `sponsor` put up.
    function sponsoredBondOf(address sponsor, address node) external view returns (uint256) {
        return _sponsoredBonds[sponsor][node];
    }

    /// @notice The pending withdrawal of `account` and when it is released.
    function pendingOf(address account) external view returns (uint256 amount, uint256 releaseAt) {
        Pending memory pending = _pending[account];
        return (pending.amount, pending.releaseAt);
    }

    function token() external view returns (address) {
        return address(_token);
    }

    function unbondingDelay() external view returns (uint256) {
        return _unbondingDelay;
    }

    function _addPending(address account, uint256 amount) private returns (uint256 releaseAt) {
        releaseAt = block.timestamp + _unbondingDelay;
        Pending storage pending = _pending[account];
        // Cannot overflow: pending amounts are tokens held by this contract, bounded by total supply.
        unchecked {
            pending.amount += amount;
        }
        pending.releaseAt = releaseAt;
    }
}
