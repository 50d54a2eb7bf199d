// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "./utils/Test.sol";
import {Deployment} from "./utils/Deployment.sol";
import {MerkleBuilder} from "./utils/MerkleBuilder.sol";
import {VidyaToken} from "../src/VidyaToken.sol";
import {EpochRewards} from "../src/EpochRewards.sol";

/// @notice Drives EpochRewards the way the edge and the nodes do, and also the way a buggy or
/// hostile poster could: roots whose leaves add up to more than the declared total.
contract EpochHandler is Test {
    VidyaToken internal immutable token;
    EpochRewards internal immutable rewards;
    address internal immutable poster;
    address internal immutable guardian;
    uint256 internal immutable disputeDelay;

    address[4] internal accounts = [address(0xA1), address(0xA2), address(0xA3), address(0xA4)];
    mapping(uint64 epoch => uint256[4]) internal _amounts;
    mapping(address account => uint256) public maxCommitted;
    /// Claims that paid something: shows the campaign reaches the paying path.
    uint256 public paidClaims;

    constructor(VidyaToken token_, EpochRewards rewards_, address poster_, address guardian_, uint256 delay_) {
        token = token_;
        rewards = rewards_;
        poster = poster_;
        guardian = guardian_;
        disputeDelay = delay_;
    }

    function post(uint256[4] memory raises, bool overstate) external {
        uint64 epoch = rewards.lastEpoch() + 1;
        uint256[4] memory previous = _amounts[epoch - 1];
        uint256 emission = rewards.emissionPerEpoch();
        bytes32[] memory leaves = new bytes32[](4);
        uint256 total;
        for (uint256 i; i < 4; ++i) {
            // An overstating poster hands out up to three epochs' emission in one leaf.
            uint256 raise = bound(raises[i], 0, overstate ? 3 * emission : emission / 4);
            _amounts[epoch][i] = previous[i] + raise;
            total += _amounts[epoch][i];
            leaves[i] = keccak256(bytes.concat(keccak256(abi.encode(epoch, accounts[i], _amounts[epoch][i]))));
            if (_amounts[epoch][i] > maxCommitted[accounts[i]]) maxCommitted[accounts[i]] = _amounts[epoch][i];
        }
        uint256 declared = total > emission * epoch ? emission * epoch : total;
        declared = declared < _lastDeclared ? _lastDeclared : declared;
        vm.prank(poster);
        rewards.postRoot(epoch, MerkleBuilder.root(leaves), bytes32(0), declared);
        _lastDeclared = declared;
        _leaves[epoch] = leaves;
    }

    uint256 internal _lastDeclared;
    mapping(uint64 epoch => bytes32[]) internal _leaves;

    function claim(uint256 epochSeed, uint256 who) external {
        uint64 last = rewards.lastEpoch();
        if (last == 0) return;
        uint64 epoch = uint64(bound(epochSeed, 1, last));
        uint256 i = bound(who, 0, 3);
        try rewards.claim(epoch, accounts[i], _amounts[epoch][i], MerkleBuilder.proof(_leaves[epoch], i)) {
            ++paidClaims;
        } catch {}
    }

    function disable(uint256 epochSeed) external {
        uint64 last = rewards.lastEpoch();
        if (last == 0) return;
        vm.prank(guardian);
        try rewards.disableRoot(uint64(bound(epochSeed, 1, last))) {} catch {}
    }

    function wait(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 0, 2 * disputeDelay));
    }

    function account(uint256 i) external view returns (address) {
        return accounts[i];
    }
}

/// @notice Supply ≤ genesis + emission schedule, and no account is paid beyond its largest
/// committed cumulative amount, whatever sequence of posts, claims, disables and waits.
contract EmissionInvariantTest is Deployment {
    EpochHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new EpochHandler(token, rewards, poster, guardian, DISPUTE_DELAY);
    }

    function targetContracts() public view override returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function invariant_supplyWithinSchedule() public view {
        vm.assertLe(
            token.totalSupply(),
            GENESIS_SUPPLY + EMISSION_PER_EPOCH * rewards.committedEpochs(),
            "supply above genesis + schedule"
        );
        vm.assertEq(token.totalSupply(), GENESIS_SUPPLY + token.totalEmitted(), "supply = genesis + emitted");
    }

    function invariant_claimedWithinCommitted() public view {
        uint256 claimedTotal;
        for (uint256 i; i < 4; ++i) {
            address account = handler.account(i);
            uint256 claimed = rewards.claimedOf(account);
            vm.assertLe(claimed, handler.maxCommitted(account), "claimed above committed");
            vm.assertEq(token.balanceOf(account), claimed, "balance = claimed");
            claimedTotal += claimed;
        }
        vm.assertEq(claimedTotal, token.totalEmitted(), "emitted = sum of claims");
    }
}
