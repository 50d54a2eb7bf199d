// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {HeldEarnings} from "./HeldEarnings.sol";
import {HostingBounties} from "./HostingBounties.sol";
import {IEpochSource} from "./IEpochSource.sol";
import {VidyaToken} from "./VidyaToken.sol";

/// @title EpochRewards
/// @notice One commitment per epoch (DESIGN.md, flow 6): in one transaction the poster (the
/// edge's chain writer) posts three merkle roots of cumulative per-account totals and the hash
/// of the epoch's published inputs. After `disputeDelay` seconds the roots are final; until
/// then, and afterwards, the guardian can disable them.
///
/// The three trees, one leaf format (protocol/merkle/reward-tree.ts builds all three):
///
/// | tree    | account | cumulative amount                                   | used by                 |
/// | ------- | ------- | --------------------------------------------------- | ----------------------- |
/// | earned  | node    | every reward earned, hosting + upload + bounty share | {claim}, HostingBadges |
/// | slashed | node    | every fault fee and slash assessed on its bond      | Staking.slash           |
/// | spent   | member  | every paid download, charged to its deposit         | Escrow.settle           |
///
/// Leaf: `keccak256(bytes.concat(keccak256(abi.encode(uint64 epoch, address account,
/// uint256 cumulative))))`, OpenZeppelin's StandardMerkleTree with sorted pairs, verified as
/// OpenZeppelin's `MerkleProof.verifyCalldata` verifies it (see {processProof}). A leaf is only
/// ever checked against the root of the tree it is presented for, so the trees cannot be mixed
/// up. A zero root means "no leaves": nothing can be claimed, slashed or settled against it.
///
/// Amounts are cumulative, so acting on the newest final root settles every earlier epoch, and
/// each consumer pays `cumulative − already done`, never an epoch twice.
///
/// Money: each root mints, to this contract, the growth of the earned total that drawn
/// bounties do not already cover; claims are paid from this balance. A share of every claim is
/// held back here and vests ({HeldEarnings}); until it vests it is the node's slashable bond,
/// which Staking takes first when it executes a slash ({slashHeld}). Emission is bounded three
/// times: a root's `totalEarned` may not exceed `emissionPerEpoch × epoch + bounties drawn`,
/// minting covers only the growth of that total, and the token refuses to mint past
/// `emissionPerEpoch × committedEpochs()` whatever this contract asks.
contract EpochRewards is IEpochSource, HeldEarnings {
    using SafeERC20 for IERC20;

    /// @notice Which of an epoch's trees a leaf is proved against.
    enum Tree {
        Earned,
        Slashed,
        Spent
    }

    /// @notice What is stored for each posted epoch.
    struct EpochRoot {
        bytes32 earnedRoot; // (epoch, node, cumulativeEarned) leaves; zero: no leaves
        bytes32 slashedRoot; // (epoch, node, cumulativeSlashed) leaves; zero: no leaves
        bytes32 spentRoot; // (epoch, member, cumulativeSpent) leaves; zero: no leaves
        bytes32 inputsHash; // hash of the epoch's published inputs, so anyone can re-run it
        uint256 totalEarned; // sum of the earned tree's cumulative amounts
        uint64 postedAt; // block timestamp of postRoot; final at postedAt + disputeDelay
        bool disabled; // set by the guardian; a disabled epoch's trees pay and take nothing
    }

    /// @notice The caller is not the poster.
    error NotPoster(address caller);
    /// @notice The caller is not the guardian.
    error NotGuardian(address caller);
    /// @notice Epochs are posted in order: the next one is `expected`.
    error EpochOutOfOrder(uint64 epoch, uint64 expected);
    /// @notice A zero earned root (no leaves) was posted with a non-zero total.
    error TotalWithoutLeaves(uint256 totalEarned);
    /// @notice `totalEarned` went down from the previous (not disabled) root.
    error TotalEarnedDecreased(uint256 totalEarned, uint256 previous);
    /// @notice `totalEarned` exceeds `epoch` epochs of emission plus every bounty drawn.
    error TotalEarnedAboveCap(uint256 totalEarned, uint256 cap);
    /// @notice No root was posted for this epoch.
    error UnknownEpoch(uint64 epoch);
    /// @notice The epoch's roots were disabled by the guardian.
    error DisabledRoot(uint64 epoch);
    /// @notice The epoch's dispute window has not ended; its roots are final at `activatesAt`.
    error RootNotFinal(uint64 epoch, uint256 activatesAt);
    /// @notice The epoch's `tree` has no leaves (its root is zero).
    error EmptyTree(uint64 epoch, Tree tree);
    /// @notice The proof does not lead from this leaf to the tree's root.
    error InvalidProof();
    /// @notice The account already claimed `cumulative` or more.
    error NothingToClaim(address account, uint256 cumulative, uint256 claimed);
    /// @notice A zero address was given where an account is required.
    error ZeroAddress();
    /// @notice Only the deployer may wire Staking, once; or it was already wired.
    error StakingLocked();
    /// @notice Staking is not wired yet: no root may be posted, as claims would hold back earnings nothing could slash.
    error StakingNotSet();
    /// @notice Only Staking takes held earnings.
    error NotStaking(address caller);

    /// @notice The roots of `epoch` were posted; they become final at `activatesAt`. `minted`
    /// new tokens and `bountyDrawn` bounty tokens now back the earned total.
    event RootPosted(
        uint64 indexed epoch,
        bytes32 earnedRoot,
        bytes32 slashedRoot,
        bytes32 spentRoot,
        bytes32 inputsHash,
        uint256 totalEarned,
        uint256 minted,
        uint256 bountyDrawn,
        uint256 activatesAt
    );
    /// @notice The guardian disabled the roots of `epoch`.
    event RootDisabled(uint64 indexed epoch);
    /// @notice `account` claimed `amount` of its leaf in `epoch`, so its claimed total is now
    /// `cumulative`; the share its age sets ({holdbackOf}) of it is held back ({heldOf}), and `paid`
    /// went to the account: the rest of the claim plus held earnings that had vested.
    event Claimed(uint64 indexed epoch, address indexed account, uint256 amount, uint256 cumulative, uint256 paid);
    /// @notice Staking, which alone takes held earnings when it slashes, was wired.
    event StakingSet(address indexed staking);

    VidyaToken private immutable _token;
    HostingBounties private immutable _bounties;
    address private immutable _deployer;
    address private immutable _poster;
    address private immutable _guardian;
    uint256 private immutable _disputeDelay;
    uint256 private immutable _emissionPerEpoch;

    mapping(uint64 epoch => EpochRoot) private _roots;
    // totalEarned of the latest root not disabled when `epoch` was posted: restored if the
    // guardian disables `epoch` while it is the latest, so a bad total does not bind the next one.
    mapping(uint64 epoch => uint256) private _priorTotalEarned;
    address private _staking;
    uint64 private _lastEpoch;
    uint256 private _lastTotalEarned;
    // Tokens ever put in to pay earned leaves: minted emission plus drawn bounties.
    uint256 private _backed;
    uint256 private _bountyDrawn;

    /// @param token_ the $VIDYA token; this contract must be its minter.
    /// @param poster_ the only account that may post roots (the worker's chain writer).
    /// @param guardian_ the only account that may disable roots.
    /// @param disputeDelay_ seconds between posting roots and acting on them.
    /// @param holdback the node's bond, held back from its claims by its age ({HeldEarnings}):
    /// [aged bps, aged vesting seconds, new bps, new vesting seconds, age ramp seconds].
    constructor(
        VidyaToken token_,
        address poster_,
        address guardian_,
        uint256 disputeDelay_,
        uint256[5] memory holdback
    ) HeldEarnings(holdback[0], holdback[1], holdback[2], holdback[3], holdback[4]) {
        if (address(token_) == address(0) || poster_ == address(0) || guardian_ == address(0)) {
            revert ZeroAddress();
        }
        _deployer = msg.sender;
        _token = token_;
        _poster = poster_;
        _guardian = guardian_;
        _disputeDelay = disputeDelay_;
        _emissionPerEpoch = token_.emissionPerEpoch();
        _bounties = new HostingBounties(token_);
    }

    /// @notice Commits `epoch`: the roots of its earned, slashed and spent cumulative totals
    /// (zero for a tree with no leaves), the hash of its inputs, the sum of its earned leaves,
    /// and the bounty amounts its earned leaves pay out. Only the poster; `epoch` must be
    /// `lastEpoch() + 1`. Gas does not depend on the number of accounts.
    /// @dev `totalEarned` cannot be checked against the leaves here; it is a declared bound that
    /// anyone can verify from the published leaves, and it decides what is minted. Leaves that
    /// add up to more than it are a bad root for the guardian to disable: claims are paid from
    /// this contract's balance, first come, and the token's cap holds regardless.
    /// Each draw must fit what is left of that torrent's bounty (see {HostingBounties-draw}).
    function postRoot(
        uint64 epoch,
        bytes32 earnedRoot,
        bytes32 slashedRoot,
        bytes32 spentRoot,
        bytes32 inputsHash,
        uint256 totalEarned,
        HostingBounties.Draw[] calldata bountyDraws
    ) external {
        if (msg.sender != _poster) revert NotPoster(msg.sender);
        // No root before Staking is wired, so no claim holds back what nothing could slash.
        // (`_staking` shares a slot with `_lastEpoch`: the check costs no extra storage read.)
        if (_staking == address(0)) revert StakingNotSet();
        uint64 expected = _lastEpoch + 1;
        if (epoch != expected) revert EpochOutOfOrder(epoch, expected);
        if (earnedRoot == bytes32(0) && totalEarned != 0) revert TotalWithoutLeaves(totalEarned);
        (uint256 minted, uint256 drawn) = _backEarned(epoch, totalEarned, bountyDraws);
        _storeRoot(epoch, earnedRoot, slashedRoot, spentRoot, inputsHash, totalEarned);
        _lastEpoch = epoch;
        _emitRootPosted(epoch, minted, drawn);
        // Both calls go to contracts fixed at construction, which call nothing back but views.
        if (drawn != 0) _bounties.draw(epoch, bountyDraws);
        if (minted != 0) _token.mint(address(this), minted);
    }

    /// @notice Disables the roots of `epoch` for good: claims, slashes and settlements against
    /// them revert. Only the guardian. Works before and after they are final; what was already
    /// paid under them stands, and the epoch stays committed (amounts being cumulative, the
    /// next roots carry the corrected totals; tokens minted or drawn for it back those).
    function disableRoot(uint64 epoch) external {
        if (msg.sender != _guardian) revert NotGuardian(msg.sender);
        EpochRoot storage root = _roots[epoch];
        if (root.postedAt == 0) revert UnknownEpoch(epoch);
        if (root.disabled) revert DisabledRoot(epoch);
        root.disabled = true;
        if (epoch == _lastEpoch) _lastTotalEarned = _priorTotalEarned[epoch];
        emit RootDisabled(epoch);
    }

    /// @notice Fixes Staking, the only contract that may take held earnings ({slashHeld}). Only
    /// the deployer, only once (Staking needs this contract's address first, as the token's
    /// minter does). Roots cannot be posted until it is set.
    function setStaking(address staking_) external {
        if (msg.sender != _deployer || _staking != address(0)) revert StakingLocked();
        if (staking_ == address(0)) revert ZeroAddress();
        _staking = staking_;
        emit StakingSet(staking_);
    }

    /// @notice Claims for `account` what its earned leaf in `epoch` holds beyond what it has
    /// claimed: the share its age sets ({holdbackOf}) of it is held back and vests ({heldOf}), the rest is paid now
    /// together with held earnings that have vested. Anyone may submit it; the tokens always go
    /// to `account`. Returns the amount claimed (paid and held).
    /// @dev Claim against the newest final root: an older root's smaller cumulative amount pays
    /// nothing once a newer one was claimed, and reverts with {NothingToClaim}. Held parts are
    /// backed by this contract's balance as long as each root's leaves add up to its declared
    /// total; a root whose leaves add up to more is paid first come, held parts included, and is
    /// the guardian's to disable (see {postRoot}).
    function claim(uint64 epoch, address account, uint256 cumulative, bytes32[] calldata proof)
        external
        returns (uint256 amount)
    {
        _verifyFinalLeaf(Tree.Earned, epoch, account, cumulative, proof);
        uint256 claimed = _heldAccounts[account].claimed;
        if (cumulative <= claimed) revert NothingToClaim(account, cumulative, claimed);
        uint256 paid;
        (amount,, paid) = _claimAndHold(account, cumulative);
        emit Claimed(epoch, account, amount, cumulative, paid);
        if (paid != 0) IERC20(address(_token)).safeTransfer(account, paid);
    }

    /// @notice Takes up to `max` of the unvested held earnings of `node` and burns them; pays
    /// the node what had vested first. Only Staking, when it executes a final slashed leaf:
    /// held earnings are a node's bond, taken before its sponsors' pool.
    function slashHeld(address node, uint256 max) external returns (uint256 taken) {
        if (msg.sender != _staking) revert NotStaking(msg.sender);
        return _slashHeld(node, max, address(0));
    }

    /// @notice As {slashHeld}, but sends what it takes to Staking instead of burning it: a fraud
    /// slash ({FraudEvidence}) pays its submitter's reward from it and burns the rest.
    function takeHeld(address node, uint256 max) external returns (uint256 taken) {
        if (msg.sender != _staking) revert NotStaking(msg.sender);
        return _slashHeld(node, max, msg.sender);
    }

    /// @notice Reverts unless `(epoch, account, cumulative)` is a leaf of `tree` in `epoch`'s
    /// roots and those roots are final and not disabled. Staking (slashed tree), Escrow (spent
    /// tree) and HostingBadges (earned tree) act only on leaves that pass this check.
    /// @dev Reverts with {UnknownEpoch}, {DisabledRoot}, {RootNotFinal}, {EmptyTree} or
    /// {InvalidProof}. It says nothing about what was already acted on: callers keep their own
    /// cumulative counters.
    function verifyFinalLeaf(Tree tree, uint64 epoch, address account, uint256 cumulative, bytes32[] calldata proof)
        external
        view
    {
        _verifyFinalLeaf(tree, epoch, account, cumulative, proof);
    }

    /// @notice The leaf of `(epoch, account, cumulative)` as OpenZeppelin's StandardMerkleTree
    /// hashes it: twice, over the ABI encoding. The same for all three trees.
    function leafHash(uint64 epoch, address account, uint256 cumulative) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(epoch, account, cumulative))));
    }

    /// @notice The root that `proof` leads to from `leaf`: OpenZeppelin's
    /// `MerkleProof.processProofCalldata` (each step hashes the sorted pair with keccak256,
    /// `Hashes.commutativeKeccak256`), written as one assembly loop as Solady's `MerkleProofLib`
    /// does. It costs about 60 gas a step instead of 200, which keeps a claim against a
    /// 2^20-leaf tree (20 steps) under 100,000 gas; a differential fuzz test checks it against
    /// OpenZeppelin's library (contracts/test/EpochRewards.t.sol).
    function processProof(bytes32[] calldata proof, bytes32 leaf) public pure returns (bytes32 computed) {
        assembly ("memory-safe") {
            computed := leaf
            let end := add(proof.offset, shl(5, proof.length))
            for { let offset := proof.offset } lt(offset, end) { offset := add(offset, 0x20) } {
                let sibling := calldataload(offset)
                // Smaller word first: at 0x00 when it is `computed`, at 0x20 when it is `sibling`.
                let siblingFirst := gt(computed, sibling)
                mstore(shl(5, siblingFirst), computed)
                mstore(shl(5, iszero(siblingFirst)), sibling)
                computed := keccak256(0x00, 0x40)
            }
        }
    }

    /// @notice What was posted for `epoch` (all zero if nothing was).
    function rootOf(uint64 epoch) external view returns (EpochRoot memory) {
        return _roots[epoch];
    }

    /// @notice True when `epoch` has roots that are past their dispute window and not disabled:
    /// claims, slashes and settlements against them are accepted.
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

    /// @notice The cumulative amount `account` has claimed: paid to it, held back, or slashed from what was held.
    function claimedOf(address account) external view returns (uint256) {
        return _heldAccounts[account].claimed;
    }

    /// @notice Staking, which alone takes held earnings; zero until {setStaking}.
    function staking() external view returns (address) {
        return _staking;
    }

    /// @notice Tokens ever put into this contract to pay earned leaves (emission minted plus
    /// bounties drawn). Claims can never have paid more.
    function totalBacked() external view returns (uint256) {
        return _backed;
    }

    /// @notice Bounty tokens ever drawn into earned totals.
    function totalBountyDrawn() external view returns (uint256) {
        return _bountyDrawn;
    }

    function token() external view returns (address) {
        return address(_token);
    }

    /// @notice The HostingBounties contract this one created and alone draws from.
    function bounties() external view returns (address) {
        return address(_bounties);
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

    function _verifyFinalLeaf(
        Tree tree,
        uint64 epoch,
        address account,
        uint256 cumulative,
        bytes32[] calldata proof
    ) private view {
        EpochRoot storage root = _roots[epoch];
        uint256 postedAt = root.postedAt;
        if (postedAt == 0) revert UnknownEpoch(epoch);
        if (root.disabled) revert DisabledRoot(epoch);
        uint256 activatesAt = postedAt + _disputeDelay;
        if (block.timestamp < activatesAt) revert RootNotFinal(epoch, activatesAt);
        bytes32 treeRoot = tree == Tree.Earned ? root.earnedRoot : tree == Tree.Slashed ? root.slashedRoot : root.spentRoot;
        if (treeRoot == bytes32(0)) revert EmptyTree(epoch, tree);
        if (processProof(proof, leafHash(epoch, account, cumulative)) != treeRoot) revert InvalidProof();
    }

    function _storeRoot(
        uint64 epoch,
        bytes32 earnedRoot,
        bytes32 slashedRoot,
        bytes32 spentRoot,
        bytes32 inputsHash,
        uint256 totalEarned
    ) private {
        EpochRoot storage root = _roots[epoch];
        // Slots left at zero are not written: an empty tree costs nothing to commit.
        if (earnedRoot != bytes32(0)) root.earnedRoot = earnedRoot;
        if (slashedRoot != bytes32(0)) root.slashedRoot = slashedRoot;
        if (spentRoot != bytes32(0)) root.spentRoot = spentRoot;
        root.inputsHash = inputsHash;
        root.totalEarned = totalEarned;
        // casting to 'uint64' is safe because block timestamps fit in 64 bits for billions of years
        // forge-lint: disable-next-line(unsafe-typecast)
        root.postedAt = uint64(block.timestamp);
    }

    /// @dev Checks `totalEarned` against the last total and the cap, and records what backs it:
    /// the bounty draws, then a mint of whatever growth they do not cover.
    function _backEarned(uint64 epoch, uint256 totalEarned, HostingBounties.Draw[] calldata draws)
        private
        returns (uint256 minted, uint256 drawn)
    {
        uint256 previous = _lastTotalEarned;
        if (totalEarned < previous) revert TotalEarnedDecreased(totalEarned, previous);
        drawn = _sumDraws(draws);
        uint256 bountyDrawn = _bountyDrawn + drawn;
        uint256 cap = _emissionPerEpoch * epoch + bountyDrawn;
        if (totalEarned > cap) revert TotalEarnedAboveCap(totalEarned, cap);
        uint256 backed = _backed + drawn;
        if (totalEarned > backed) {
            // Cannot underflow: totalEarned > backed was just checked.
            unchecked {
                minted = totalEarned - backed;
            }
            backed = totalEarned;
        }
        _priorTotalEarned[epoch] = previous;
        _lastTotalEarned = totalEarned;
        _backed = backed;
        _bountyDrawn = bountyDrawn;
    }

    function _emitRootPosted(uint64 epoch, uint256 minted, uint256 drawn) private {
        EpochRoot storage root = _roots[epoch];
        emit RootPosted(
            epoch,
            root.earnedRoot,
            root.slashedRoot,
            root.spentRoot,
            root.inputsHash,
            root.totalEarned,
            minted,
            drawn,
            block.timestamp + _disputeDelay
        );
    }

    function _payOut(address account, uint256 amount) internal override {
        IERC20(address(_token)).safeTransfer(account, amount);
    }

    function _burnHeld(uint256 amount) internal override {
        _token.burn(amount);
    }

    function _sumDraws(HostingBounties.Draw[] calldata draws) private pure returns (uint256 total) {
        for (uint256 i; i < draws.length; ++i) {
            total += draws[i].amount;
        }
    }
}
