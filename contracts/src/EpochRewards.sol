// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IEpochSource} from "./IEpochSource.sol";
import {VidyaToken} from "./VidyaToken.sol";

/// @title EpochRewards
/// @notice One commitment per epoch (DESIGN.md, flow 6): the poster (the edge's chain writer)
/// posts the merkle root of every account's cumulative earnings, beside the hash of the
/// epoch's published inputs. After `disputeDelay` seconds the root is final and accounts claim
/// against it; until then, and afterwards, the guardian can disable a bad root.
///
/// Leaves are OpenZeppelin StandardMerkleTree leaves of types `(uint64 epoch, address account,
/// uint256 cumulative)`: `keccak256(bytes.concat(keccak256(abi.encode(epoch, account,
/// cumulative))))`, with sorted pairs (protocol/merkle/reward-tree.ts builds them). Amounts are
/// cumulative, so a claim against the newest final root pays everything not yet claimed.
///
/// Emission is bounded twice: a root's `totalEarned` may not exceed `emissionPerEpoch × epoch`,
/// and the token refuses to mint past `emissionPerEpoch × committedEpochs()` whatever roots say.
contract EpochRewards is IEpochSource {
    /// @notice What is stored for each posted epoch.
    struct EpochRoot {
        bytes32 earnedRoot; // merkle root of (epoch, account, cumulativeEarned) leaves
        bytes32 inputsHash; // hash of the epoch's published inputs, so anyone can re-run it
        uint256 totalEarned; // sum of the cumulative amounts of every leaf
        uint64 postedAt; // block timestamp of postRoot; final at postedAt + disputeDelay
        bool disabled; // set by the guardian; a disabled root pays nothing
    }

    /// @notice The caller is not the poster.
    error NotPoster(address caller);
    /// @notice The caller is not the guardian.
    error NotGuardian(address caller);
    /// @notice Epochs are posted in order: the next one is `expected`.
    error EpochOutOfOrder(uint64 epoch, uint64 expected);
    /// @notice The root is zero, which no proof can reach: an encoder bug, refused early.
    error ZeroRoot();
    /// @notice `totalEarned` went down from the previous (not disabled) root.
    error TotalEarnedDecreased(uint256 totalEarned, uint256 previous);
    /// @notice `totalEarned` exceeds what `epoch` epochs of emission allow.
    error TotalEarnedAboveEmission(uint256 totalEarned, uint256 cap);
    /// @notice No root was posted for this epoch.
    error UnknownEpoch(uint64 epoch);
    /// @notice The root was disabled by the guardian.
    error DisabledRoot(uint64 epoch);
    /// @notice The root's dispute window has not ended; it is final at `activatesAt`.
    error RootNotFinal(uint64 epoch, uint256 activatesAt);
    /// @notice The proof does not lead from this leaf to the epoch's root.
    error InvalidProof();
    /// @notice The account already claimed `cumulative` or more.
    error NothingToClaim(address account, uint256 cumulative, uint256 claimed);
    /// @notice A zero address was given where an account is required.
    error ZeroAddress();

    /// @notice The root of `epoch` was posted; it becomes final at `activatesAt`.
    event RootPosted(
        uint64 indexed epoch, bytes32 earnedRoot, bytes32 inputsHash, uint256 totalEarned, uint256 activatesAt
    );
    /// @notice The guardian disabled the root of `epoch`.
    event RootDisabled(uint64 indexed epoch);
    /// @notice `amount` was paid to `account`, whose claimed total is now `cumulative`.
    event Claimed(uint64 indexed epoch, address indexed account, uint256 amount, uint256 cumulative);

    VidyaToken private immutable _token;
    address private immutable _poster;
    address private immutable _guardian;
    uint256 private immutable _disputeDelay;
    uint256 private immutable _emissionPerEpoch;

    mapping(uint64 epoch => EpochRoot) private _roots;
    // totalEarned of the latest root not disabled when `epoch` was posted: restored if the
    // guardian disables `epoch` while it is the latest, so a bad total does not bind the next one.
    mapping(uint64 epoch => uint256) private _priorTotalEarned;
    mapping(address account => uint256) private _claimed;
    uint64 private _lastEpoch;
    uint256 private _lastTotalEarned;

    /// @param token_ the $VIDYA token; this contract must be its minter.
    /// @param poster_ the only account that may post roots (the worker's chain writer).
    /// @param guardian_ the only account that may disable roots.
    /// @param disputeDelay_ seconds between posting a root and claims against it.
    constructor(VidyaToken token_, address poster_, address guardian_, uint256 disputeDelay_) {
        if (address(token_) == address(0) || poster_ == address(0) || guardian_ == address(0)) {
            revert ZeroAddress();
        }
        _token = token_;
        _poster = poster_;
        _guardian = guardian_;
        _disputeDelay = disputeDelay_;
        _emissionPerEpoch = token_.emissionPerEpoch();
    }

    /// @notice Commits `epoch`: the root of its cumulative-earnings leaves, the hash of its
    /// inputs, and the sum of its leaves. Only the poster; `epoch` must be `lastEpoch() + 1`.
    /// @dev `totalEarned` cannot be checked against the leaves here; it is a declared bound that
    /// anyone can verify from the published leaves. The token's cap holds regardless.
    function postRoot(uint64 epoch, bytes32 earnedRoot, bytes32 inputsHash, uint256 totalEarned) external {
        if (msg.sender != _poster) revert NotPoster(msg.sender);
        uint64 expected = _lastEpoch + 1;
        if (epoch != expected) revert EpochOutOfOrder(epoch, expected);
        if (earnedRoot == bytes32(0)) revert ZeroRoot();
        uint256 previous = _lastTotalEarned;
        if (totalEarned < previous) revert TotalEarnedDecreased(totalEarned, previous);
        uint256 cap = _emissionPerEpoch * epoch;
        if (totalEarned > cap) revert TotalEarnedAboveEmission(totalEarned, cap);

        // casting to 'uint64' is safe because block timestamps fit in 64 bits for billions of years
        // forge-lint: disable-next-line(unsafe-typecast)
        uint64 postedAt = uint64(block.timestamp);
        _roots[epoch] = EpochRoot({
            earnedRoot: earnedRoot,
            inputsHash: inputsHash,
            totalEarned: totalEarned,
            postedAt: postedAt,
            disabled: false
        });
        _priorTotalEarned[epoch] = previous;
        _lastEpoch = epoch;
        _lastTotalEarned = totalEarned;
        emit RootPosted(epoch, earnedRoot, inputsHash, totalEarned, block.timestamp + _disputeDelay);
    }

    /// @notice Disables the root of `epoch` for good: claims against it revert. Only the guardian.
    /// Works before and after the root is final; claims already paid under it stand, and the
    /// epoch stays committed (its emission is carried by the next root, amounts being cumulative).
    function disableRoot(uint64 epoch) external {
        if (msg.sender != _guardian) revert NotGuardian(msg.sender);
        EpochRoot storage root = _roots[epoch];
        if (root.postedAt == 0) revert UnknownEpoch(epoch);
        if (root.disabled) revert DisabledRoot(epoch);
        root.disabled = true;
        if (epoch == _lastEpoch) _lastTotalEarned = _priorTotalEarned[epoch];
        emit RootDisabled(epoch);
    }

    /// @notice Pays `account` what its leaf in `epoch` holds beyond what it has claimed. Anyone
    /// may submit it; the tokens always go to `account`.
    /// @dev Claim against the newest final root: an older root's smaller cumulative amount pays
    /// nothing once a newer one was claimed, and reverts with {NothingToClaim}.
    function claim(uint64 epoch, address account, uint256 cumulative, bytes32[] calldata proof)
        external
        returns (uint256 amount)
    {
        EpochRoot storage root = _roots[epoch];
        if (root.postedAt == 0) revert UnknownEpoch(epoch);
        if (root.disabled) revert DisabledRoot(epoch);
        uint256 activatesAt = uint256(root.postedAt) + _disputeDelay;
        if (block.timestamp < activatesAt) revert RootNotFinal(epoch, activatesAt);
        if (!MerkleProof.verifyCalldata(proof, root.earnedRoot, leafHash(epoch, account, cumulative))) {
            revert InvalidProof();
        }
        uint256 claimed = _claimed[account];
        if (cumulative <= claimed) revert NothingToClaim(account, cumulative, claimed);
        // Cannot underflow: cumulative > claimed was just checked.
        unchecked {
            amount = cumulative - claimed;
        }
        _claimed[account] = cumulative;
        emit Claimed(epoch, account, amount, cumulative);
        _token.mint(account, amount);
    }

    /// @notice The leaf of `(epoch, account, cumulative)` as OpenZeppelin's StandardMerkleTree
    /// hashes it: twice, over the ABI encoding.
    function leafHash(uint64 epoch, address account, uint256 cumulative) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(epoch, account, cumulative))));
    }

    /// @notice What was posted for `epoch` (all zero if nothing was).
    function rootOf(uint64 epoch) external view returns (EpochRoot memory) {
        return _roots[epoch];
    }

    /// @notice True when `epoch` has a root that is past its dispute window and not disabled:
    /// claims against it are accepted.
    function isFinal(uint64 epoch) external view returns (bool) {
        EpochRoot storage root = _roots[epoch];
        return root.postedAt != 0 && !root.disabled && block.timestamp >= uint256(root.postedAt) + _disputeDelay;
    }

    /// @notice The newest posted epoch (0 before the first).
    function lastEpoch() external view returns (uint64) {
        return _lastEpoch;
    }

    /// @inheritdoc IEpochSource
    /// @dev Every posted epoch counts, disabled or not: cumulative amounts carry a disabled
    /// epoch's earnings into the next root.
    function committedEpochs() external view returns (uint64) {
        return _lastEpoch;
    }

    /// @notice The cumulative amount `account` has been paid.
    function claimedOf(address account) external view returns (uint256) {
        return _claimed[account];
    }

    function token() external view returns (address) {
        return address(_token);
    }

    function poster() external view returns (address) {
        return _poster;
    }

    function guardian() external view returns (address) {
        return _guardian;
    }

    function disputeDelay() external view returns (uint256) {
        return _disputeDelay;
    }

    function emissionPerEpoch() external view returns (uint256) {
        return _emissionPerEpoch;
    }
}
