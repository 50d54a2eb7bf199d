// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {EpochRewards} from "./EpochRewards.sol";
import {FeePool} from "./FeePool.sol";

/// @title Staking
/// @notice Two kinds of locked $VIDYA (DESIGN.md):
///
/// - A member's **access stake**, which admits them to the tracker (`stakeOf ≥ ACCESS_STAKE`).
///   It can be locked for up to `maxLock` seconds for a boost in the fee pool (see {FeePool}
///   and {boostFor}); only the access stake earns fees.
/// - A node's **bond**, which backs its hosting claims and is what slashes take. It has two
///   parts. First the node's held earnings: EpochRewards holds back a share of every claim and
///   vests it ({HeldEarnings}), so a node that never bought a token is bonded by what it earned.
///   Then a pool anyone may bond into on the node's behalf (a sponsor, who may be the node
///   itself), in which each sponsor holds shares, so a slash takes from every sponsor in proportion.
///
/// Leaving takes two steps: a request, then a withdrawal `unbondingDelay` seconds after the
/// latest request. Bonds being unbonded stay in the node's pool, and slashable, until they are
/// withdrawn: the delay must exceed an epoch plus the dispute delay, so a node cannot leave
/// between a fault and its finalised slash.
///
/// Slashing happens only by proof: a leaf of a final, not disabled slashed tree in
/// EpochRewards gives a node's cumulative slashed total, and {slash} takes `cumulative −
/// executed`: from the node's unvested held earnings first, then from its pool, up to what
/// they hold. Slashed tokens are burned: nobody profits from a slash. A shortfall stays owed:
/// a later slash with the same leaf takes it from earnings held and bonds added since, so
/// sponsors should check {slashExecutedOf} against the published leaves.
contract Staking is FeePool {
    using SafeERC20 for IERC20;

    /// @notice A zero amount was given.
    error ZeroAmount();
    /// @notice A zero address was given where an account is required.
    error ZeroAddress();
    /// @notice A constructor parameter is out of range.
    error InvalidParameter();
    /// @notice The request exceeds the caller's stake (or its bond on this node).
    error InsufficientStake(uint256 requested, uint256 available);
    /// @notice Nothing is pending for the caller.
    error NothingToWithdraw();
    /// @notice The pending amount is released at `releaseAt`.
    error StillUnbonding(uint256 releaseAt);
    /// @notice The stake is locked until `lockEnd`.
    error StakeLocked(uint256 lockEnd);
    /// @notice A lock may last at most `maxLock` seconds.
    error LockTooLong(uint256 duration, uint256 maxLock);
    /// @notice A lock can only be extended: it would end at `lockEnd`, before the current `currentEnd`.
    error LockShortened(uint256 lockEnd, uint256 currentEnd);
    /// @notice Only a stake can be locked.
    error NoStake();
    /// @notice The account has no expired boost to remove.
    error NothingToKick(address account);
    /// @notice The bond is so small against the pool's value that it would buy no share.
    error ZeroShares();
    /// @notice The node's slashes up to `cumulative` were already executed (`executed`), or its pool is empty.
    error NothingToSlash(address node, uint256 cumulative, uint256 executed);

    /// @notice `account` added `amount` to its access stake.
    event Staked(address indexed account, uint256 amount);
    /// @notice `account` locked its stake until `lockEnd`; its fee weight is now `weight`.
    event LockSet(address indexed account, uint256 lockEnd, uint256 weight);
    /// @notice The expired lock boost of `account` was removed; its weight is its stake again.
    event BoostExpired(address indexed account, uint256 weight);
    /// @notice `account` started unstaking `amount`; its pending total is released at `releaseAt`.
    event UnstakeRequested(address indexed account, uint256 amount, uint256 releaseAt);
    /// @notice `account` withdrew `amount` of unstaked tokens.
    event Withdrawn(address indexed account, uint256 amount);
    /// @notice `sponsor` added `amount` to the bond of `node`, for `shares` of its pool.
    event Bonded(address indexed sponsor, address indexed node, uint256 amount, uint256 shares);
    /// @notice `sponsor` started unbonding `shares` (worth `amount` now) from `node`, released at `releaseAt`.
    event UnbondRequested(
        address indexed sponsor, address indexed node, uint256 amount, uint256 shares, uint256 releaseAt
    );
    /// @notice `sponsor` withdrew `amount` of its unbonded shares of `node`.
    event BondWithdrawn(address indexed sponsor, address indexed node, uint256 amount);
    /// @notice `amount` of the bond of `node` was slashed (burned) by its leaf in `epoch`,
    /// `fromHeld` of it from its held earnings and the rest from its pool; `executed` of its
    /// cumulative slashed total has now been taken.
    event Slashed(uint64 indexed epoch, address indexed node, uint256 amount, uint256 fromHeld, uint256 executed);
    /// @notice A slash emptied the pool of `node`: every share of it, unbonding ones included, is void.
    event BondWiped(address indexed node, uint64 era);

    /// @notice An account's pending unstake: one running total, released `unbondingDelay` after the latest request.
    struct Pending {
        uint256 amount;
        uint256 releaseAt;
    }

    /// @notice A node's bond pool. `tokens` back all `shares`, unbonding ones included.
    struct BondPool {
        uint256 tokens;
        uint256 shares;
        uint256 unbondingShares;
        uint64 era; // bumped when a slash empties the pool: older positions are worth nothing
    }

    /// @notice A sponsor's shares of one node's pool.
    struct BondPosition {
        uint256 shares;
        uint256 unbondingShares;
        uint64 era;
        uint64 releaseAt;
    }

    EpochRewards private immutable _rewards;
    uint256 private immutable _unbondingDelay;
    uint256 private immutable _maxLock;
    uint256 private immutable _maxBoost;

    mapping(address account => uint256) private _stakes;
    mapping(address account => uint64) private _lockEnds;
    mapping(address account => Pending) private _pending;
    mapping(address node => BondPool) private _pools;
    mapping(address sponsor => mapping(address node => BondPosition)) private _bondPositions;
    mapping(address node => uint256) private _slashExecuted;
    uint256 private _totalStaked;
    uint256 private _totalPending;
    uint256 private _totalBonded;

    /// @param token_ the $VIDYA token (burnable: slashed bonds are burned).
    /// @param rewards_ EpochRewards, whose final slashed trees authorise slashes.
    /// @param unbondingDelay_ seconds between the latest unstake/unbond request and its withdrawal;
    /// keep it above an epoch plus the dispute delay.
    /// @param maxLock_ the longest lock, which earns `maxBoost_`.
    /// @param maxBoost_ the boost cap, 18-decimal fixed point (3e18: a maximal lock weighs 3×).
    /// @param feeStreamDuration_ seconds over which fees are streamed to stakers.
    constructor(
        ERC20Burnable token_,
        EpochRewards rewards_,
        uint256 unbondingDelay_,
        uint256 maxLock_,
        uint256 maxBoost_,
        uint256 feeStreamDuration_
    ) FeePool(IERC20(address(token_)), feeStreamDuration_) {
        if (address(rewards_) == address(0)) revert ZeroAddress();
        // The boost is stored only through weights, but 100× is already beyond any sane curve.
        if (maxLock_ == 0 || maxLock_ > type(uint64).max || maxBoost_ < WAD || maxBoost_ > 100 * WAD) {
            revert InvalidParameter();
        }
        _rewards = rewards_;
        _unbondingDelay = unbondingDelay_;
        _maxLock = maxLock_;
        _maxBoost = maxBoost_;
    }

    // ------------------------------------------------------------------ access stake and locks

    /// @notice Adds `amount` to the caller's access stake. The caller must have approved this
    /// contract for `amount` first (ERC-20 `approve`, or an EIP-2612 permit).
    /// @dev While the stake is locked the new tokens join the lock until its end, weighted by
    /// the boost of the time left ({boostFor}), not by the boost the lock started with.
    function stake(uint256 amount) external {
        _stake(msg.sender, amount);
    }

    /// @notice Adds `amount` from the caller to the access stake of `account`, which alone can
    /// unstake it (a swap-and-stake router buys the tokens and stakes them for its caller).
    /// The tokens come from the caller, never from `account`: nobody can lock another's tokens.
    /// @dev A gift joins the account's lock like its own top-up ({stake}).
    function stakeFor(address account, uint256 amount) external {
        if (account == address(0)) revert ZeroAddress();
        _stake(account, amount);
    }

    /// @dev Credits `account` with `amount` pulled from the caller.
    function _stake(address account, uint256 amount) private {
        if (amount == 0) revert ZeroAmount();
        _checkpoint(account);
        uint256 staked = _stakes[account] + amount;
        uint256 lockEnd = _lockEnds[account];
        uint256 weight = block.timestamp < lockEnd
            ? weightOf(account) + Math.mulDiv(amount, boostFor(lockEnd - block.timestamp), WAD)
            : staked;
        _stakes[account] = staked;
        _totalStaked += amount;
        _setWeight(account, weight);
        emit Staked(account, amount);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Locks the caller's whole stake (and whatever it adds before the end) until
    /// `block.timestamp + duration`, for a fee weight of `stake × boostFor(duration)`.
    /// A lock can be extended, never shortened: `duration` must reach at least the current end.
    /// @dev Relocking prices the new lock by its own duration: extending a long lock that is
    /// nearly over by a short time lowers its boost. Locked stake cannot be unstaken.
    function lock(uint256 duration) external {
        if (duration > _maxLock) revert LockTooLong(duration, _maxLock);
        address account = msg.sender;
        uint256 staked = _stakes[account];
        if (staked == 0) revert NoStake();
        uint256 lockEnd = block.timestamp + duration;
        uint256 currentEnd = _lockEnds[account];
        if (lockEnd < currentEnd) revert LockShortened(lockEnd, currentEnd);
        _checkpoint(account);
        uint256 weight = Math.mulDiv(staked, boostFor(duration), WAD);
        // casting to 'uint64' is safe because duration ≤ maxLock ≤ type(uint64).max and timestamps are small
        // forge-lint: disable-next-line(unsafe-typecast)
        _lockEnds[account] = uint64(lockEnd);
        _setWeight(account, weight);
        emit LockSet(account, lockEnd, weight);
    }

    /// @notice Removes the boost of an expired lock: the account's weight becomes its stake.
    /// Anyone may call it, so a stale boost cannot keep earning (as Curve's gauge `kick`).
    function kick(address account) external {
        uint256 staked = _stakes[account];
        if (block.timestamp < _lockEnds[account] || weightOf(account) == staked) revert NothingToKick(account);
        _checkpoint(account);
        _setWeight(account, staked);
        emit BoostExpired(account, staked);
    }

    /// @notice Moves `amount` of the caller's access stake to its pending withdrawal, which
    /// restarts the delay for the whole pending amount. The stake stops counting at once, for
    /// access and for fees. Reverts with {StakeLocked} while a lock runs.
    function requestUnstake(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        address account = msg.sender;
        uint256 lockEnd = _lockEnds[account];
        if (block.timestamp < lockEnd) revert StakeLocked(lockEnd);
        uint256 available = _stakes[account];
        if (amount > available) revert InsufficientStake(amount, available);
        _checkpoint(account);
        uint256 staked;
        // Cannot underflow: amount ≤ available = this account's part of the total.
        unchecked {
            staked = available - amount;
            _totalStaked -= amount;
        }
        _stakes[account] = staked;
        _setWeight(account, staked);
        uint256 releaseAt = block.timestamp + _unbondingDelay;
        Pending storage pending = _pending[account];
        pending.amount += amount;
        pending.releaseAt = releaseAt;
        _totalPending += amount;
        emit UnstakeRequested(account, amount, releaseAt);
    }

    /// @notice Pays the caller its whole pending unstake once its delay has passed.
    function withdraw() external returns (uint256 amount) {
        Pending memory pending = _pending[msg.sender];
        if (pending.amount == 0) revert NothingToWithdraw();
        if (block.timestamp < pending.releaseAt) revert StillUnbonding(pending.releaseAt);
        amount = pending.amount;
        delete _pending[msg.sender];
        // Cannot underflow: this account's pending amount is part of the total.
        unchecked {
            _totalPending -= amount;
        }
        emit Withdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @notice The fee weight of a lock of `duration` seconds, per token, 18-decimal fixed
    /// point: `1 + (maxBoost − 1) × √(duration / maxLock)`, capped at `maxBoost` from `maxLock` on.
    /// A power law with exponent ½: the first months of a lock earn most of the boost, and
    /// doubling a lock never doubles the reward, so splitting a stake across lock lengths gains nothing.
    function boostFor(uint256 duration) public view returns (uint256) {
        if (duration >= _maxLock) return _maxBoost;
        // √(duration / maxLock) in 18 decimals: √(duration × 10^36 / maxLock).
        uint256 root = Math.sqrt(Math.mulDiv(duration, WAD * WAD, _maxLock));
        return WAD + Math.mulDiv(_maxBoost - WAD, root, WAD);
    }

    // ------------------------------------------------------------------ node bonds

    /// @notice Adds `amount` from the caller to the bond of `node`, for shares of its pool at
    /// the pool's current value. The caller keeps the right to unbond them; the node cannot
    /// take them. A slash of `node` takes from them in proportion, owed slashes included:
    /// check the node's published slashed leaves before sponsoring it.
    function bond(address node, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        if (node == address(0)) revert ZeroAddress();
        BondPool storage pool = _pools[node];
        BondPosition storage position = _position(msg.sender, node, pool);
        // An empty pool has no shares (a slash that empties it voids them), so the first bond sets the price.
        uint256 shares = pool.shares == 0 ? amount : Math.mulDiv(amount, pool.shares, pool.tokens);
        if (shares == 0) revert ZeroShares();
        pool.tokens += amount;
        pool.shares += shares;
        position.shares += shares;
        _totalBonded += amount;
        emit Bonded(msg.sender, node, amount, shares);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Starts unbonding `amount` (at the pool's current value) of the caller's bond on
    /// `node`; the delay restarts for all its unbonding shares of `node`. They stop counting
    /// toward {bondOf} at once but stay slashable until {withdrawBond}, which pays their value then.
    function requestUnbond(address node, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        BondPool storage pool = _pools[node];
        BondPosition storage position = _position(msg.sender, node, pool);
        uint256 held = position.shares;
        uint256 available = held == 0 ? 0 : Math.mulDiv(held, pool.tokens, pool.shares);
        if (amount > available) revert InsufficientStake(amount, available);
        // Rounded up so a sponsor never leaves with more than it asked for; all of it when it asks for all.
        uint256 shares =
            amount == available ? held : Math.min(held, Math.mulDiv(amount, pool.shares, pool.tokens, Math.Rounding.Ceil));
        // Cannot underflow: shares ≤ held, the sponsor's part of the pool's shares.
        unchecked {
            position.shares = held - shares;
        }
        position.unbondingShares += shares;
        pool.unbondingShares += shares;
        uint256 releaseAt = block.timestamp + _unbondingDelay;
        // casting to 'uint64' is safe because timestamps plus any sane delay fit in 64 bits
        // forge-lint: disable-next-line(unsafe-typecast)
        position.releaseAt = uint64(releaseAt);
        emit UnbondRequested(msg.sender, node, amount, shares, releaseAt);
    }

    /// @notice Pays the caller the value its unbonding shares of `node` have now (less than
    /// requested if the node was slashed since) once the delay has passed.
    function withdrawBond(address node) external returns (uint256 amount) {
        BondPool storage pool = _pools[node];
        BondPosition storage position = _position(msg.sender, node, pool);
        uint256 shares = position.unbondingShares;
        if (shares == 0) revert NothingToWithdraw();
        if (block.timestamp < position.releaseAt) revert StillUnbonding(position.releaseAt);
        // Rounded down, so the pool keeps enough for every other share.
        amount = Math.mulDiv(shares, pool.tokens, pool.shares);
        // Cannot underflow: the shares are part of the pool's (unbonding) shares, and amount ≤
        // tokens because shares ≤ pool.shares; the pool's tokens are part of the total bonded.
        unchecked {
            position.unbondingShares = 0;
            pool.unbondingShares -= shares;
            pool.shares -= shares;
            pool.tokens -= amount;
            _totalBonded -= amount;
        }
        emit BondWithdrawn(msg.sender, node, amount);
        if (amount != 0) _token.safeTransfer(msg.sender, amount);
    }

    /// @notice Slashes `node` by its leaf in the slashed tree of a final epoch: burns
    /// `cumulative − executed`, taken from the node's unvested held earnings first (EpochRewards
    /// burns those, after paying the node what had vested), then from its pool (unbonding shares
    /// included), up to what they hold. Anyone may submit it.
    /// @dev Reverts with EpochRewards' errors when the leaf is not final ({EpochRewards-verifyFinalLeaf}),
    /// and with {NothingToSlash} when nothing is owed or nothing is held. Use the newest final epoch.
    function slash(uint64 epoch, address node, uint256 cumulative, bytes32[] calldata proof)
        external
        returns (uint256 amount)
    {
        _rewards.verifyFinalLeaf(EpochRewards.Tree.Slashed, epoch, node, cumulative, proof);
        uint256 executed = _slashExecuted[node];
        if (cumulative <= executed) revert NothingToSlash(node, cumulative, executed);
        uint256 owed;
        // Cannot underflow: cumulative > executed was just checked.
        unchecked {
            owed = cumulative - executed;
        }
        // The node's own bond before its sponsors': EpochRewards burns what it takes.
        uint256 fromHeld = _rewards.slashHeld(node, owed);
        BondPool storage pool = _pools[node];
        uint256 tokens = pool.tokens;
        uint256 fromPool;
        // Cannot underflow: fromHeld ≤ owed (slashHeld takes at most what it is asked), and
        // fromPool ≤ tokens, a part of the total.
        unchecked {
            fromPool = Math.min(owed - fromHeld, tokens);
            amount = fromHeld + fromPool;
            tokens -= fromPool;
            _totalBonded -= fromPool;
        }
        if (amount == 0) revert NothingToSlash(node, cumulative, executed);
        executed += amount;
        _slashExecuted[node] = executed;
        pool.tokens = tokens;
        emit Slashed(epoch, node, amount, fromHeld, executed);
        if (fromPool != 0 && tokens == 0) {
            pool.shares = 0;
            pool.unbondingShares = 0;
            uint64 era = ++pool.era;
            emit BondWiped(node, era);
        }
        if (fromPool != 0) ERC20Burnable(address(_token)).burn(fromPool);
    }

    // ------------------------------------------------------------------ views

    /// @notice The access stake of `account` (pending withdrawals excluded).
    function stakeOf(address account) external view returns (uint256) {
        return _stakes[account];
    }

    /// @notice When the lock of `account` ends (0 or past: unlocked).
    function lockEndOf(address account) external view returns (uint256) {
        return _lockEnds[account];
    }

    /// @notice The active bond of `node`, from every sponsor (unbonding shares excluded).
    function bondOf(address node) external view returns (uint256) {
        BondPool storage pool = _pools[node];
        return pool.shares == 0 ? 0 : Math.mulDiv(pool.shares - pool.unbondingShares, pool.tokens, pool.shares);
    }

    /// @notice What a slash of `node` can take now: its unvested held earnings and its whole
    /// pool, unbonding shares included.
    function slashableOf(address node) external view returns (uint256) {
        (uint256 unvested,,) = _rewards.heldOf(node);
        return unvested + _pools[node].tokens;
    }

    /// @notice What a slash of `node` can take from its pool alone (sponsors' bonds, unbonding included).
    function pooledOf(address node) external view returns (uint256) {
        return _pools[node].tokens;
    }

    /// @notice The value of the active part of the bond of `node` that `sponsor` holds.
    function sponsoredBondOf(address sponsor, address node) external view returns (uint256) {
        BondPool storage pool = _pools[node];
        BondPosition storage position = _bondPositions[sponsor][node];
        if (position.era != pool.era || pool.shares == 0) return 0;
        return Math.mulDiv(position.shares, pool.tokens, pool.shares);
    }

    /// @notice The value of the unbonding shares of `node` that `sponsor` holds, and when they are released.
    function unbondingOf(address sponsor, address node) external view returns (uint256 amount, uint256 releaseAt) {
        BondPool storage pool = _pools[node];
        BondPosition storage position = _bondPositions[sponsor][node];
        if (position.era != pool.era || pool.shares == 0) return (0, 0);
        return (Math.mulDiv(position.unbondingShares, pool.tokens, pool.shares), position.releaseAt);
    }

    /// @notice The pool of `node`: tokens, shares, unbonding shares and era.
    function bondPoolOf(address node) external view returns (BondPool memory) {
        return _pools[node];
    }

    /// @notice How much of the cumulative slashed total of `node` has been taken.
    function slashExecutedOf(address node) external view returns (uint256) {
        return _slashExecuted[node];
    }

    /// @notice The pending unstake of `account` and when it is released.
    function pendingOf(address account) external view returns (uint256 amount, uint256 releaseAt) {
        Pending memory pending = _pending[account];
        return (pending.amount, pending.releaseAt);
    }

    /// @notice Access stake, pending unstakes and bond pools held here (fees aside: see {FeePool}).
    function totals() external view returns (uint256 staked, uint256 pending, uint256 bonded) {
        return (_totalStaked, _totalPending, _totalBonded);
    }

    function rewards() external view returns (address) {
        return address(_rewards);
    }

    function unbondingDelay() external view returns (uint256) {
        return _unbondingDelay;
    }

    function maxLock() external view returns (uint256) {
        return _maxLock;
    }

    function maxBoost() external view returns (uint256) {
        return _maxBoost;
    }

    /// @dev The sponsor's position in `pool`, emptied first if a slash wiped the pool since it was last touched.
    function _position(address sponsor, address node, BondPool storage pool)
        private
        returns (BondPosition storage position)
    {
        position = _bondPositions[sponsor][node];
        uint64 era = pool.era;
        if (position.era != era) {
            position.shares = 0;
            position.unbondingShares = 0;
            position.releaseAt = 0;
            position.era = era;
        }
    }
}
