// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "./Test.sol";
import {VidyaToken} from "../../src/VidyaToken.sol";
import {EpochRewards} from "../../src/EpochRewards.sol";
import {Staking} from "../../src/Staking.sol";

/// @notice The three contracts wired as contracts/deploy.ts wires them, with the parameters of
/// protocol/params.ts read from protocol/vectors/params.json (one fact, one place). Before the
/// vectors are generated, the same production values are used from here.
abstract contract Deployment is Test {
    string internal constant PARAMS = "protocol/vectors/params.json";
    uint256 internal constant START = 1_700_000_000;

    uint256 internal GENESIS_SUPPLY = 100_000_000 ether;
    uint256 internal EMISSION_PER_EPOCH = 570_776_255_707_762_557_077;
    uint256 internal DISPUTE_DELAY = 6 hours;
    uint256 internal UNBONDING_DELAY = 7 days;

    VidyaToken internal token;
    EpochRewards internal rewards;
    Staking internal staking;

    address internal treasury = makeAddr("treasury");
    address internal poster = makeAddr("poster");
    address internal guardian = makeAddr("guardian");

    function setUp() public virtual {
        if (vm.exists(PARAMS)) {
            string memory json = vm.readFile(PARAMS);
            GENESIS_SUPPLY = vm.parseJsonUint(json, ".GENESIS_SUPPLY");
            EMISSION_PER_EPOCH = vm.parseJsonUint(json, ".EMISSION_PER_EPOCH");
            DISPUTE_DELAY = vm.parseJsonUint(json, ".DISPUTE_DELAY_SECONDS");
            UNBONDING_DELAY = vm.parseJsonUint(json, ".UNBONDING_DELAY_SECONDS");
        }
        vm.warp(START);
        token = new VidyaToken(treasury, GENESIS_SUPPLY, EMISSION_PER_EPOCH, address(0));
        rewards = new EpochRewards(token, poster, guardian, DISPUTE_DELAY);
        token.setMinter(address(rewards));
        staking = new Staking(token, UNBONDING_DELAY);
    }

    function _leaf(uint64 epoch, address account, uint256 cumulative) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(epoch, account, cumulative))));
    }

    function _post(uint64 epoch, bytes32 root, uint256 totalEarned) internal {
        vm.prank(poster);
        rewards.postRoot(epoch, root, keccak256(abi.encode("inputs", epoch)), totalEarned);
    }

    function _finalise() internal {
        vm.warp(block.timestamp + DISPUTE_DELAY);
    }
}
