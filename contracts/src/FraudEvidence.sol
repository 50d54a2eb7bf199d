// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title FraudEvidence
/// @notice Fraud slashes by evidence anyone can submit (DESIGN.md "Anyone can audit", "Unavailable
/// is not fraud"): a node's signed challenge answer (EIP-712 `ChallengeAnswer`, protocol/reports/
/// eip712.ts) that names, for block `i` of the storage tree with root `R`, a SHA-256 hash that is
/// not block `i`'s. The submitter shows the true block `i` (its bytes) and its path to `R`.
///
/// The root is the one the node signed, so nothing about the torrent needs committing on-chain:
/// under one root one index has one leaf (SHA-256 collision resistance), so a node that signs
/// another hash for it signed something false, whatever the torrent is. The block's bytes, not
/// its leaf hash, are required, and never 64 bytes long: an inner node is the hash of 64 bytes,
/// so a shorter path from an inner node cannot pass for a leaf's and the tree's depth needs no
/// commitment either.
///
/// One slash per offence: the same false statement (node, root, block, hash), signed again for
/// another challenge, is not slashed twice. Each takes `FRAUD_SLASH`, at most what the node's bond
/// holds, and pays `FRAUD_REWARD_BPS` of what it took to the submitter; the rest is burned.
/// A fraud slash is executed here, apart from the epoch's slashed tree: the edge's evaluation does
/// not also charge the same answer (it sees only the answers the edge itself challenged).
abstract contract FraudEvidence {
    /// @notice What one fraud offence takes (protocol/params.ts FRAUD_SLASH; params.json checks it).
    uint256 public constant FRAUD_SLASH = 50 ether;
    /// @notice The submitter's share of what a fraud slash takes (protocol/params.ts FRAUD_REWARD_BPS).
    uint256 public constant FRAUD_REWARD_BPS = 1_000;
    uint256 private constant BPS = 10_000;
    uint256 private constant BLOCK_SIZE = 16_384;
    uint256 private constant INNER_NODE_PREIMAGE = 64;

    bytes32 private constant DOMAIN_TYPEHASH = keccak256("EIP712Domain(string name,string version,uint256 chainId)");
    bytes32 private constant ANSWER_TYPEHASH = keccak256(
        "ChallengeAnswer(address node,bytes20 infoHash,uint64 epoch,uint32 round,bytes32 beacon,bytes32 nonce,bytes32 root,uint32[] blocks,bytes32[] blockHashes,uint64 answeredAt)"
    );

    /// @notice A node's answer to a challenge, as it signed it (protocol/reports/eip712.ts).
    struct ChallengeAnswer {
        address node;
        bytes20 infoHash;
        uint64 epoch;
        uint32 round;
        bytes32 beacon;
        bytes32 nonce;
        bytes32 root;
        uint32[] blocks;
        bytes32[] blockHashes;
        uint64 answeredAt;
    }

    /// @notice The signature is not `node`'s over the answer.
    error NotSignedByNode(address node);
    /// @notice `position` is not one of the answer's blocks (or blocks and hashes differ in number).
    error NoSuchPosition(uint256 position);
    /// @notice A block is 1 to 16,384 bytes, and 64 bytes is refused (see the contract's notice).
    error BadBlockLength(uint256 length);
    /// @notice The path does not lead from the block to the root the node signed.
    error NotInRoot(bytes32 root);
    /// @notice The node's hash for the block is the block's: the answer is true.
    error NotFraud(uint32 blockIndex);
    /// @notice This false statement was already slashed.
    error OffenceAlreadySlashed(bytes32 offence);
    /// @notice The node has no bond to take from (the evidence stays valid for later).
    error NothingToTake(address node);

    /// @notice `node` signed `offence` (a wrong hash for a block of `root`); `amount` of its bond was
    /// taken, `reward` of it paid to `submitter` and the rest burned.
    event FraudSlashed(
        address indexed node, bytes32 indexed offence, address indexed submitter, bytes32 root, uint32 blockIndex, uint256 amount, uint256 reward
    );

    mapping(bytes32 offence => bool) private _slashedOffences;

    /// @notice Slashes `answer.node` for its signed `answer`, whose hash at `position` is not the
    /// hash of `blockData`, block `answer.blocks[position]` of `answer.root` by `path` (sibling
    /// hashes from the leaf up, as the storage tree's proofs). Anyone may submit it and is paid
    /// `FRAUD_REWARD_BPS` of what is taken.
    /// @dev Reverts without taking anything when the evidence does not prove fraud, when the offence
    /// was already slashed, or when the node's bond is empty ({NothingToTake}: submit it later).
    function slashFraud(
        ChallengeAnswer calldata answer,
        bytes calldata signature,
        uint256 position,
        bytes calldata blockData,
        bytes32[] calldata path
    ) external returns (uint256 amount, uint256 reward) {
        bytes32 offence = checkFraud(answer, signature, position, blockData, path);
        if (_slashedOffences[offence]) revert OffenceAlreadySlashed(offence);
        _slashedOffences[offence] = true;
        (amount, reward) = _takeForFraud(answer.node, msg.sender);
        if (amount == 0) revert NothingToTake(answer.node);
        emit FraudSlashed(answer.node, offence, msg.sender, answer.root, answer.blocks[position], amount, reward);
    }

    /// @notice The offence `answer` commits at `position`, or a revert saying why it is not fraud.
    /// Free to call: `vidya slash` checks its evidence with it before sending.
    function checkFraud(
        ChallengeAnswer calldata answer,
        bytes calldata signature,
        uint256 position,
        bytes calldata blockData,
        bytes32[] calldata path
    ) public view returns (bytes32 offence) {
        if (position >= answer.blocks.length || answer.blocks.length != answer.blockHashes.length) {
            revert NoSuchPosition(position);
        }
        if (blockData.length == 0 || blockData.length > BLOCK_SIZE || blockData.length == INNER_NODE_PREIMAGE) {
            revert BadBlockLength(blockData.length);
        }
        if (ECDSA.recover(_digest(answer), signature) != answer.node) revert NotSignedByNode(answer.node);
        uint32 index = answer.blocks[position];
        bytes32 leaf = sha256(blockData);
        if (_rootOf(leaf, index, path) != answer.root) revert NotInRoot(answer.root);
        bytes32 signed = answer.blockHashes[position];
        if (signed == leaf) revert NotFraud(index);
        return keccak256(abi.encode(answer.node, answer.root, index, signed));
    }

    /// @notice Whether `offence` (see {checkFraud}) was slashed.
    function isOffenceSlashed(bytes32 offence) external view returns (bool) {
        return _slashedOffences[offence];
    }

    /// @dev Takes up to `FRAUD_SLASH` of `node`'s bond, pays `reward` of it to `submitter` and
    /// burns the rest. Returns (0, 0) when there is nothing to take.
    function _takeForFraud(address node, address submitter) internal virtual returns (uint256 amount, uint256 reward);

    /// @dev The submitter's share of `amount`.
    function _fraudReward(uint256 amount) internal pure returns (uint256) {
        return amount * FRAUD_REWARD_BPS / BPS;
    }

    /// @dev BEP 52's tree: parent = SHA-256(left ‖ right), the index's bits (lowest first) saying
    /// which side the node is on. The index must fit the path, so one index has one position.
    function _rootOf(bytes32 leaf, uint256 index, bytes32[] calldata path) private pure returns (bytes32 node) {
        if (index >> path.length != 0) return bytes32(0);
        node = leaf;
        for (uint256 i; i < path.length; ++i) {
            node = (index >> i) & 1 == 0 ? sha256(abi.encodePacked(node, path[i])) : sha256(abi.encodePacked(path[i], node));
        }
    }

    function _digest(ChallengeAnswer calldata a) private view returns (bytes32) {
        bytes32 domain = keccak256(abi.encode(DOMAIN_TYPEHASH, keccak256("Vidya"), keccak256("1"), block.chainid));
        bytes32 structHash = keccak256(
            abi.encode(
                ANSWER_TYPEHASH,
                a.node,
                a.infoHash,
                a.epoch,
                a.round,
                a.beacon,
                a.nonce,
                a.root,
                keccak256(abi.encodePacked(_widen(a.blocks))),
                keccak256(abi.encodePacked(a.blockHashes)),
                a.answeredAt
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }

    /// @dev EIP-712 encodes each array element as a 32-byte word: uint32s widened.
    function _widen(uint32[] calldata v) private pure returns (uint256[] memory out) {
        out = new uint256[](v.length);
        for (uint256 i; i < v.length; ++i) {
            out[i] = v[i];
        }
    }
}
