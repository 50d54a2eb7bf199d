// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Deployment} from "./utils/Deployment.sol";
import {FraudEvidence} from "../src/FraudEvidence.sol";

/// @notice Fraud slashes by evidence (contracts/src/FraudEvidence.sol) with answers that viem
/// signed (protocol/vectors/fraud.json, scripts/gen-vectors.ts): the on-chain EIP-712 digest, the
/// SHA-256 path and the offence rules against the formats the node and `vidya slash` use.
contract FraudEvidenceTest is Deployment {
    string internal constant VECTORS = "protocol/vectors/fraud.json";
    string internal json;
    address internal node;
    address internal sponsor = makeAddr("sponsor");
    address internal watcher = makeAddr("watcher");

    function setUp() public override {
        super.setUp();
        json = vm.readFile(VECTORS);
        node = vm.parseJsonAddress(json, ".node");
        _fund(sponsor, 1_000 ether, address(staking));
    }

    struct Evidence {
        FraudEvidence.ChallengeAnswer answer;
        bytes signature;
        uint256 position;
        bytes blockData;
        bytes32[] path;
    }

    function _evidence(uint256 i) internal view returns (Evidence memory e) {
        string memory p = string.concat(".cases[", vm.toString(i), "].evidence");
        string memory a = string.concat(p, ".answer");
        e.answer.node = vm.parseJsonAddress(json, string.concat(a, ".node"));
        e.answer.infoHash = bytes20(vm.parseJsonBytes(json, string.concat(a, ".infoHash")));
        e.answer.epoch = uint64(vm.parseJsonUint(json, string.concat(a, ".epoch")));
        e.answer.round = uint32(vm.parseJsonUint(json, string.concat(a, ".round")));
        e.answer.beacon = vm.parseJsonBytes32(json, string.concat(a, ".beacon"));
        e.answer.nonce = vm.parseJsonBytes32(json, string.concat(a, ".nonce"));
        e.answer.root = vm.parseJsonBytes32(json, string.concat(a, ".root"));
        uint256[] memory blocks = vm.parseJsonUintArray(json, string.concat(a, ".blocks"));
        e.answer.blocks = new uint32[](blocks.length);
        for (uint256 k; k < blocks.length; ++k) {
            e.answer.blocks[k] = uint32(blocks[k]);
        }
        e.answer.blockHashes = vm.parseJsonBytes32Array(json, string.concat(a, ".blockHashes"));
        e.answer.answeredAt = uint64(vm.parseJsonUint(json, string.concat(a, ".answeredAt")));
        e.signature = vm.parseJsonBytes(json, string.concat(p, ".signature"));
        e.position = vm.parseJsonUint(json, string.concat(p, ".position"));
        e.blockData = vm.parseJsonBytes(json, string.concat(p, ".block"));
        e.path = vm.parseJsonBytes32Array(json, string.concat(p, ".path"));
    }

    function _submit(Evidence memory e) internal returns (uint256 amount, uint256 reward) {
        vm.prank(watcher);
        return staking.slashFraud(e.answer, e.signature, e.position, e.blockData, e.path);
    }

    function _bond(uint256 amount) internal {
        vm.prank(sponsor);
        staking.bond(node, amount);
    }

    function test_paramsMatchProtocol() public view {
        string memory params = vm.readFile(PARAMS);
        vm.assertEq(staking.FRAUD_SLASH(), vm.parseJsonUint(params, ".FRAUD_SLASH"), "FRAUD_SLASH");
        vm.assertEq(staking.FRAUD_REWARD_BPS(), vm.parseJsonUint(params, ".FRAUD_REWARD_BPS"), "FRAUD_REWARD_BPS");
    }

    function test_slashesASignedWrongBlockHash_andPaysTheSubmitter() public {
        _bond(200 ether);
        uint256 supply = token.totalSupply();
        Evidence memory e = _evidence(1);
        bytes32 offence = keccak256(abi.encode(node, e.answer.root, e.answer.blocks[0], e.answer.blockHashes[0]));
        vm.expectEmit(true, true, true, true, address(staking));
        emit FraudEvidence.FraudSlashed(node, offence, watcher, e.answer.root, 3, 50 ether, 5 ether);
        (uint256 amount, uint256 reward) = _submit(e);
        vm.assertEq(amount, 50 ether, "FRAUD_SLASH taken");
        vm.assertEq(reward, 5 ether, "10% to the submitter");
        vm.assertEq(token.balanceOf(watcher), 5 ether, "submitter paid");
        vm.assertEq(staking.pooledOf(node), 150 ether, "bond reduced");
        vm.assertEq(supply - token.totalSupply(), 45 ether, "the rest burned");
        vm.assertTrue(staking.isOffenceSlashed(offence), "offence recorded");
    }

    function test_malicious_honestAnswerIsNotFraud() public {
        _bond(200 ether);
        Evidence memory e = _evidence(0);
        vm.expectRevert(abi.encodeWithSelector(FraudEvidence.NotFraud.selector, uint32(3)));
        _submit(e);
    }

    function test_malicious_replayedEvidenceSlashesOnce() public {
        _bond(200 ether);
        Evidence memory e = _evidence(1);
        _submit(e);
        bytes32 offence = keccak256(abi.encode(node, e.answer.root, e.answer.blocks[0], e.answer.blockHashes[0]));
        vm.expectRevert(abi.encodeWithSelector(FraudEvidence.OffenceAlreadySlashed.selector, offence));
        _submit(e);
        vm.assertEq(staking.pooledOf(node), 150 ether, "one slash");
    }

    function test_malicious_sameFalseHashInAnotherChallengeIsOneOffence() public {
        _bond(200 ether);
        _submit(_evidence(1));
        Evidence memory again = _evidence(2);
        vm.assertTrue(again.answer.nonce != _evidence(1).answer.nonce, "another challenge");
        staking.checkFraud(again.answer, again.signature, again.position, again.blockData, again.path);
        bytes32 offence = keccak256(abi.encode(node, again.answer.root, again.answer.blocks[0], again.answer.blockHashes[0]));
        vm.expectRevert(abi.encodeWithSelector(FraudEvidence.OffenceAlreadySlashed.selector, offence));
        _submit(again);
        vm.assertEq(staking.pooledOf(node), 150 ether, "farming audits of one bad block pays once");
    }

    function test_malicious_answerNotSignedByTheNamedNode() public {
        _bond(200 ether);
        Evidence memory e = _evidence(1);
        e.answer.node = sponsor; // pin another node's bond on this signature
        vm.expectRevert(abi.encodeWithSelector(FraudEvidence.NotSignedByNode.selector, sponsor));
        _submit(e);
    }

    function test_malicious_alteredAnswerIsNotTheNodes() public {
        _bond(200 ether);
        Evidence memory e = _evidence(0);
        e.answer.blockHashes[0] = keccak256("forged"); // make an honest answer look false
        vm.expectRevert(abi.encodeWithSelector(FraudEvidence.NotSignedByNode.selector, node));
        _submit(e);
    }

    function test_malicious_anotherBlockIsNotInTheRoot() public {
        _bond(200 ether);
        Evidence memory e = _evidence(1);
        e.blockData[0] = e.blockData[0] ^ 0x01;
        vm.expectRevert(abi.encodeWithSelector(FraudEvidence.NotInRoot.selector, e.answer.root));
        _submit(e);
        e = _evidence(1);
        e.path[1] = keccak256("another sibling");
        vm.expectRevert(abi.encodeWithSelector(FraudEvidence.NotInRoot.selector, e.answer.root));
        _submit(e);
    }

    /// An inner node's 64-byte preimage with the shorter path above it reaches the same root: it
    /// would "prove" that the honest leaf at index 0 is wrong. Blocks of 64 bytes are refused.
    function test_malicious_innerNodePassedOffAsABlock() public {
        _bond(200 ether);
        Evidence memory e = _evidence(0);
        bytes32[] memory leaves = vm.parseJsonBytes32Array(json, ".leaves");
        bytes memory inner = abi.encodePacked(leaves[0], leaves[1]);
        bytes32 n23 = sha256(abi.encodePacked(leaves[2], leaves[3]));
        bytes32 n47 = sha256(abi.encodePacked(sha256(abi.encodePacked(leaves[4], leaves[5])), sha256(abi.encodePacked(bytes32(0), bytes32(0)))));
        vm.assertEq(sha256(abi.encodePacked(sha256(abi.encodePacked(sha256(inner), n23)), n47)), e.answer.root, "the attack's path is real");
        e.position = 2; // block 0, honestly hashed
        e.blockData = inner;
        e.path = new bytes32[](2);
        e.path[0] = n23;
        e.path[1] = n47;
        vm.expectRevert(abi.encodeWithSelector(FraudEvidence.BadBlockLength.selector, 64));
        _submit(e);
    }

    function test_malicious_positionOutOfRange() public {
        Evidence memory e = _evidence(1);
        e.position = 3;
        vm.expectRevert(abi.encodeWithSelector(FraudEvidence.NoSuchPosition.selector, 3));
        _submit(e);
    }

    function test_boundedByTheBond() public {
        _bond(10 ether);
        (uint256 amount, uint256 reward) = _submit(_evidence(1));
        vm.assertEq(amount, 10 ether, "at most the bond");
        vm.assertEq(reward, 1 ether, "reward from what was taken");
        vm.assertEq(staking.pooledOf(node), 0, "bond emptied");
        vm.assertEq(staking.sponsoredBondOf(sponsor, node), 0, "sponsor's shares void");
    }

    function test_noBond_revertsAndTheEvidenceStaysGood() public {
        Evidence memory e = _evidence(1);
        vm.expectRevert(abi.encodeWithSelector(FraudEvidence.NothingToTake.selector, node));
        _submit(e);
        _bond(100 ether);
        (uint256 amount,) = _submit(e);
        vm.assertEq(amount, 50 ether, "slashed once the node is bonded");
    }

    function test_takesHeldEarningsFirst_andPaysTheRewardFromThem() public {
        // The node claims 100: 50 paid, 50 held (HOLDBACK_BPS) and slashable.
        bytes32 leaf = _leaf(1, node, 100 ether);
        _post(1, leaf, 100 ether);
        _finalise();
        rewards.claim(1, node, 100 ether, new bytes32[](0));
        (uint256 heldBefore,,) = rewards.heldOf(node);
        vm.assertTrue(heldBefore > 0, "held earnings");
        _bond(100 ether);
        (uint256 amount, uint256 reward) = _submit(_evidence(1));
        (uint256 heldAfter,,) = rewards.heldOf(node);
        uint256 fromHeld = heldBefore - heldAfter;
        vm.assertEq(fromHeld, heldBefore < 50 ether ? heldBefore : 50 ether, "held first");
        vm.assertEq(staking.pooledOf(node), 100 ether - (50 ether - fromHeld), "pool for the rest");
        vm.assertEq(amount, 50 ether, "FRAUD_SLASH");
        vm.assertEq(token.balanceOf(watcher), reward, "submitter paid");
        vm.assertEq(token.balanceOf(address(staking)), 100 ether - (50 ether - fromHeld), "staking keeps only the pool");
    }

    function testFuzz_malicious_noBlockMakesAnHonestAnswerFraud(bytes memory blockData, uint8 position) public {
        _bond(200 ether);
        Evidence memory e = _evidence(0);
        e.position = position % 3;
        e.blockData = blockData;
        vm.expectRevert();
        _submit(e);
    }
}
