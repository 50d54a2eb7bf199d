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
/// of block rewards over 180 days as collateral. Here the rate and the vesting period follow the
/// account's age (since its first claim): a new account holds back `newHoldbackBps` over
/// `newVestingPeriod`, both falling linearly to `holdbackBps` over `vestingPeriod` at `ageRamp`
/// (protocol/params.ts HOLDBACK_*). New nodes, the cheapest identities, carry the largest bond.
///
/// One schedule per account. A new held amount merges with what has not vested yet: the sum
/// vests linearly until an end placed at the amount-weighted mean of the two remaining times,
/// so no held token's expected vesting time moves, however often the account claims. What has
/// vested is paid with the next claim, or at any time by {releaseVested}.
///
/// Every field of an account lives in one storage slot with its cumulative claimed amount, so
/// holding back costs a claim no extra storage write (the 100,000-gas first-claim target).
/// Amounts are uint88 (3.1 × 10^26: three times the genesis supply, which 5% a year of it takes
/// four decades to mint; SafeCast reverts beyond), times uint32 seconds (until 2106), the first
/// claim's day uint16 (days since 1970, until 2149).
abstract contract HeldEarnings {
    uint256 internal constant BPS = 10_000;

    /// @notice An account's claims and held earnings, one slot.
    struct HeldAccount {
        uint88 claimed; // cumulative earned amount claimed: paid out, held, or slashed from held
        uint88 unvested; // held and not vested as of `updatedAt`
        uint32 updatedAt; // when `unvested` was last settled
        uint32 vestEnd; // when all of `unvested` has vested
        uint16 sinceDay; // block.timestamp / 1 days at the first claim: the account's age
    }

    /// @notice A holdback rate is above 100% or below the aged one, a holdback has no vesting
    /// period, or a new account's vesting is shorter than an aged one's.
    error InvalidHoldback(uint256 holdbackBps, uint256 vestingPeriod);
    /// @notice The account has nothing vested to release.
    error NothingVested(address account);

    /// @notice `amount` of held earnings vested and was paid to `account`.
    event HeldReleased(address indexed account, uint256 amount);
    /// @notice `amount` of the unvested earnings of `account` was slashed (burned); `unvested` is left.
    event HeldSlashed(address indexed account, uint256 amount, uint256 unvested);

    uint256 private immutable _holdbackBps;
    uint256 private immutable _vestingPeriod;
    uint256 private immutable _newHoldbackBps;
    uint256 private immutable _newVestingPeriod;
    uint256 private immutable _ageRamp;

    mapping(address account => HeldAccount) internal _heldAccounts;
    uint256 private _totalHeldSlashed;

    /// @param holdbackBps_ share of an aged account's claims held back, in basis points (0: none).
    /// @param vestingPeriod_ seconds over which an aged account's held amount vests.
    /// @param newHoldbackBps_ share held back of a new account's claims (≥ holdbackBps_).
    /// @param newVestingPeriod_ seconds over which a new account's held amount vests (≥ vestingPeriod_).
    /// @param ageRamp_ age in seconds (since the first claim) at which the aged figures apply; 0: always.
    constructor(uint256 holdbackBps_, uint256 vestingPeriod_, uint256 newHoldbackBps_, uint256 newVestingPeriod_, uint256 ageRamp_) {
        if (
            newHoldbackBps_ > BPS || holdbackBps_ > newHoldbackBps_ || vestingPeriod_ > newVestingPeriod_
                || (holdbackBps_ != 0 && vestingPeriod_ == 0) || (newHoldbackBps_ != 0 && newVestingPeriod_ == 0)
                || newVestingPeriod_ > type(uint32).max
                || ageRamp_ > type(uint32).max
        ) {
            revert InvalidHoldback(newHoldbackBps_, newVestingPeriod_);
        }
        _holdbackBps = holdbackBps_;
        _vestingPeriod = vestingPeriod_;
        _newHoldbackBps = newHoldbackBps_;
        _newVestingPeriod = newVestingPeriod_;
        _ageRamp = ageRamp_;
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

    /// @notice Share of an aged account's claims held back, in basis points.
    function holdbackBps() external view returns (uint256) {
        return _holdbackBps;
    }

    /// @notice Seconds over which an aged account's held amount vests.
    function vestingPeriod() external view returns (uint256) {
        return _vestingPeriod;
    }

    /// @notice A new account's holdback and vesting period, and the age at which the aged ones apply.
    function newAccountHoldback() external view returns (uint256 bps, uint256 vesting, uint256 ageRamp) {
        return (_newHoldbackBps, _newVestingPeriod, _ageRamp);
    }

    /// @notice What a claim by `account` now holds back and for how long, from its age, and the
    /// day of its first claim (0: none yet, so it is new).
    function holdbackOf(address account) external view returns (uint256 bps, uint256 vesting, uint256 sinceDay) {
        sinceDay = _heldAccounts[account].sinceDay;
        (bps, vesting) = _holdbackAt(sinceDay == 0 ? 0 : (block.timestamp / 1 days - sinceDay) * 1 days);
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
        if (cumulative > type(uint88).max) revert SafeCast.SafeCastOverflowedUintDowncast(88, cumulative);
        uint256 vested = _vestedOf(a);
        uint256 today = block.timestamp / 1 days;
        uint256 sinceDay = a.sinceDay == 0 ? today : a.sinceDay;
        (uint256 bps, uint256 vestingPeriod_) = _holdbackAt((today - sinceDay) * 1 days);
        uint256 unvested;
        uint256 vestEnd = a.vestEnd;
        // Cannot underflow: the caller checked cumulative > claimed, vested ≤ unvested and held ≤
        // amount (bps ≤ BPS). Cannot overflow: amounts are below 2^88, rates ≤ BPS, times below 2^33.
        unchecked {
            amount = cumulative - a.claimed;
            unvested = a.unvested - vested;
            held = amount * bps / BPS;
            if (held != 0) {
                uint256 remaining = vestEnd > block.timestamp ? vestEnd - block.timestamp : 0;
                // Amount-weighted mean of the remaining times: held tokens keep their expected vesting time.
                vestEnd = block.timestamp + (unvested * remaining + held * vestingPeriod_) / (unvested + held);
                unvested += held;
            }
            payout = amount - held + vested;
        }
        // The uint88 casts are safe (checked above); the uint32 ones hold until 2106, uint16 days until 2149.
        // forge-lint: disable-next-line(unsafe-typecast)
        slot.claimed = uint88(cumulative);
        // forge-lint: disable-next-line(unsafe-typecast)
        slot.unvested = uint88(unvested);
        // forge-lint: disable-next-line(unsafe-typecast)
        slot.updatedAt = uint32(block.timestamp);
        // forge-lint: disable-next-line(unsafe-typecast)
        slot.vestEnd = uint32(vestEnd);
        // forge-lint: disable-next-line(unsafe-typecast)
        slot.sinceDay = uint16(sinceDay);
    }

    /// @dev The holdback rate and vesting period at `age` seconds since the first claim: the new
    /// account's figures, falling linearly to the aged ones at `_ageRamp`.
    function _holdbackAt(uint256 age) internal view returns (uint256 bps, uint256 vesting) {
        uint256 ramp = _ageRamp;
        if (age >= ramp) return (_holdbackBps, _vestingPeriod);
        uint256 left = ramp - age;
        // Cannot underflow: the constructor checked new ≥ aged. Cannot overflow: BPS and uint32 times.
        unchecked {
            bps = _holdbackBps + (_newHoldbackBps - _holdbackBps) * left / ramp;
            vesting = _vestingPeriod + (_newVestingPeriod - _vestingPeriod) * left / ramp;
        }
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
        // Cannot underflow: taken ≤ unvested. The uint88 cast is safe: the result is below a uint88.
        unchecked {
            unvested -= taken;
            // forge-lint: disable-next-line(unsafe-typecast)
            a.unvested = uint88(unvested);
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
        // Cannot underflow: vested ≤ unvested. The casts are safe: a smaller uint88 and the current time.
        unchecked {
            // forge-lint: disable-next-line(unsafe-typecast)
            a.unvested = uint88(a.unvested - vested);
        }
        a.updatedAt = SafeCast.toUint32(block.timestamp);
    }

    /// @dev Transfers `amount` held by this contract to `account`.
    function _payOut(address account, uint256 amount) internal virtual;

    /// @dev Burns `amount` held by this contract.
    function _burnHeld(uint256 amount) internal virtual;
}
