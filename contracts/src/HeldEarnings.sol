// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title HeldEarnings
/// @notice Held-back earnings as a bond (DESIGN.md "Stake without buying the token"): each
/// claim pays `holdbackBps` of what it claims later, not now. The held amount stays in this
/// contract and vests linearly; until it vests it is the node's slashable bond (Staking takes
/// it first, {_slashHeld}), so a node that starts with no tokens is bonded by its own earnings.
/// Storj holds back 75% → 0% of a new node's earnings over its first months, Filecoin vests 75%
/// of block rewards over 180 days as collateral; here one rate holds for every claim and the
/// vesting period is short enough for small nodes to live on their income.
///
/// One schedule per account. A new held amount merges with what has not vested yet: the sum
/// vests linearly until an end placed at the amount-weighted mean of the two remaining times,
/// so no held token's expected vesting time moves, however often the account claims. What has
/// vested is paid with the next claim, or at any time by {releaseVested}.
///
/// Every field of an account lives in one storage slot with its cumulative claimed amount, so
/// holding back costs a claim no extra storage write (the 100,000-gas first-claim target).
/// Amounts are uint96 (7.9 × 10^28, far above any supply this token reaches; SafeCast reverts
/// beyond), times uint32 seconds (until 2106).
abstract contract HeldEarnings {
    uint256 internal constant BPS = 10_000;

    /// @notice An account's claims and held earnings, one slot.
    struct HeldAccount {
        uint96 claimed; // cumulative earned amount claimed: paid out, held, or slashed from held
        uint96 unvested; // held and not vested as of `updatedAt`
        uint32 updatedAt; // when `unvested` was last settled
        uint32 vestEnd; // when all of `unvested` has vested
    }

    /// @notice The holdback rate is above 100%, or a holdback has no vesting period.
    error InvalidHoldback(uint256 holdbackBps, uint256 vestingPeriod);
    /// @notice The account has nothing vested to release.
    error NothingVested(address account);

    /// @notice `amount` of held earnings vested and was paid to `account`.
    event HeldReleased(address indexed account, uint256 amount);
    /// @notice `amount` of the unvested earnings of `account` was slashed (burned); `unvested` is left.
    event HeldSlashed(address indexed account, uint256 amount, uint256 unvested);

    uint256 private immutable _holdbackBps;
    uint256 private immutable _vestingPeriod;

    mapping(address account => HeldAccount) internal _heldAccounts;
    uint256 private _totalHeldSlashed;

    /// @param holdbackBps_ share of every claim held back, in basis points (0: none).
    /// @param vestingPeriod_ seconds over which a held amount vests.
    constructor(uint256 holdbackBps_, uint256 vestingPeriod_) {
        if (holdbackBps_ > BPS || (holdbackBps_ != 0 && vestingPeriod_ == 0) || vestingPeriod_ > type(uint32).max) {
            revert InvalidHoldback(holdbackBps_, vestingPeriod_);
        }
        _holdbackBps = holdbackBps_;
        _vestingPeriod = vestingPeriod_;
    }

    /// @notice What `account` holds now: not yet vested (slashable), vested and not yet paid,
    /// and when the rest will have vested.
    function heldOf(address account) external view returns (uint256 unvested, uint256 vested, uint256 vestEnd) {
        HeldAccount memory a = _heldAccounts[account];
        vested = _vestedOf(a);
        return (a.unvested - vested, vested, a.vestEnd);
    }

    /// @notice Pays `account` its held earnings that have vested. Anyone may call it; the
    /// tokens always go to `account`.
    function releaseVested(address account) external returns (uint256 amount) {
        HeldAccount storage a = _heldAccounts[account];
        amount = _vestedOf(a);
        if (amount == 0) revert NothingVested(account);
        _settleVested(a, amount);
        emit HeldReleased(account, amount);
        _payOut(account, amount);
    }

    /// @notice Share of every claim held back, in basis points.
    function holdbackBps() external view returns (uint256) {
        return _holdbackBps;
    }

    /// @notice Seconds over which a held amount vests.
    function vestingPeriod() external view returns (uint256) {
        return _vestingPeriod;
    }

    /// @notice Held earnings ever slashed (and burned).
    function totalHeldSlashed() external view returns (uint256) {
        return _totalHeldSlashed;
    }

    /// @dev Records a claim that raises `account`'s claimed total to `cumulative` (already checked
    /// to be above it): holds back its share, and returns what to pay now, the claim's unheld
    /// part plus everything vested so far. The caller transfers it and emits the claim (one
    /// event: a second would cost the claim gas it does not have).
    function _claimAndHold(address account, uint256 cumulative)
        internal
        returns (uint256 amount, uint256 held, uint256 payout)
    {
        HeldAccount storage slot = _heldAccounts[account];
        HeldAccount memory a = slot;
        // Every amount below is at most `cumulative` (held ≤ claimed), so this one check bounds them all.
        if (cumulative > type(uint96).max) revert SafeCast.SafeCastOverflowedUintDowncast(96, cumulative);
        uint256 vested = _vestedOf(a);
        uint256 unvested;
        uint256 vestEnd = a.vestEnd;
        // Cannot underflow: the caller checked cumulative > claimed, vested ≤ unvested and held ≤
        // amount (holdbackBps ≤ BPS). Cannot overflow: amounts are below 2^96, rates ≤ BPS, times
        // below 2^33.
        unchecked {
            amount = cumulative - a.claimed;
            unvested = a.unvested - vested;
            held = amount * _holdbackBps / BPS;
            if (held != 0) {
                uint256 remaining = vestEnd > block.timestamp ? vestEnd - block.timestamp : 0;
                // Amount-weighted mean of the remaining times: held tokens keep their expected vesting time.
                vestEnd = block.timestamp + (unvested * remaining + held * _vestingPeriod) / (unvested + held);
                unvested += held;
            }
            payout = amount - held + vested;
        }
        // The uint96 casts are safe (checked above); the uint32 ones hold until 2106.
        // forge-lint: disable-next-line(unsafe-typecast)
        slot.claimed = uint96(cumulative);
        // forge-lint: disable-next-line(unsafe-typecast)
        slot.unvested = uint96(unvested);
        // forge-lint: disable-next-line(unsafe-typecast)
        slot.updatedAt = uint32(block.timestamp);
        // forge-lint: disable-next-line(unsafe-typecast)
        slot.vestEnd = uint32(vestEnd);
    }

    /// @dev Takes up to `max` of `account`'s unvested earnings and burns them, or sends them to
    /// `to` when it is not zero (a fraud slash, which pays its submitter from them); what had
    /// vested is paid to the account first, as it is the account's own. Returns the amount taken.
    function _slashHeld(address account, uint256 max, address to) internal returns (uint256 taken) {
        HeldAccount storage a = _heldAccounts[account];
        uint256 vested = _vestedOf(a);
        if (vested != 0) _settleVested(a, vested);
        uint256 unvested = a.unvested;
        taken = Math.min(max, unvested);
        if (taken == 0) {
            if (vested != 0) {
                emit HeldReleased(account, vested);
                _payOut(account, vested);
            }
            return 0;
        }
        // Cannot underflow: taken ≤ unvested. The uint96 cast is safe: the result is below a uint96.
        unchecked {
            unvested -= taken;
            // forge-lint: disable-next-line(unsafe-typecast)
            a.unvested = uint96(unvested);
        }
        _totalHeldSlashed += taken;
        emit HeldSlashed(account, taken, unvested);
        if (vested != 0) {
            emit HeldReleased(account, vested);
            _payOut(account, vested);
        }
        if (to == address(0)) _burnHeld(taken);
        else _payOut(to, taken);
    }

    /// @dev The part of `a.unvested` vested by now: linear from `updatedAt` to `vestEnd`, rounded down.
    function _vestedOf(HeldAccount memory a) internal view returns (uint256) {
        uint256 unvested = a.unvested;
        if (unvested == 0) return 0;
        uint256 end = a.vestEnd;
        if (block.timestamp >= end) return unvested;
        uint256 start = a.updatedAt;
        return Math.mulDiv(unvested, block.timestamp - start, end - start);
    }

    /// @dev Marks `vested` (≤ unvested) as paid; the rest keeps vesting toward the same end.
    function _settleVested(HeldAccount storage a, uint256 vested) private {
        // Cannot underflow: vested ≤ unvested. The casts are safe: a smaller uint96 and the current time.
        unchecked {
            // forge-lint: disable-next-line(unsafe-typecast)
            a.unvested = uint96(a.unvested - vested);
        }
        a.updatedAt = SafeCast.toUint32(block.timestamp);
    }

    /// @dev Transfers `amount` held by this contract to `account`.
    function _payOut(address account, uint256 amount) internal virtual;

    /// @dev Burns `amount` held by this contract.
    function _burnHeld(uint256 amount) internal virtual;
}
