// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "./utils/Test.sol";
import {VidyaToken} from "../src/VidyaToken.sol";
import {IEpochSource} from "../src/IEpochSource.sol";

/// @notice A minter whose committed epochs the test sets, to drive the token's cap directly.
contract EpochSourceMock is IEpochSource {
    uint64 public committedEpochs;
    VidyaToken public token;

    function setToken(VidyaToken token_) external {
        token = token_;
    }

    function commit(uint64 epochs) external {
        committedEpochs = epochs;
    }

    function mint(address to, uint256 amount) external {
        token.mint(to, amount);
    }
}

contract VidyaTokenTest is Test {
    uint256 internal constant GENESIS = 1_000_000 ether;
    uint256 internal constant EMISSION = 500 ether;

    VidyaToken internal token;
    EpochSourceMock internal minter;
    address internal holder = makeAddr("holder");
    address internal alice = makeAddr("alice");

    function setUp() public {
        minter = new EpochSourceMock();
        token = new VidyaToken(holder, GENESIS, EMISSION, address(minter));
        minter.setToken(token);
    }

    function test_genesisMintedOnceToHolder() public view {
        vm.assertEq(token.name(), "Vidya", "name");
        vm.assertEq(token.symbol(), "VIDYA", "symbol");
        vm.assertEq(token.decimals(), 18, "decimals");
        vm.assertEq(token.balanceOf(holder), GENESIS, "holder balance");
        vm.assertEq(token.totalSupply(), GENESIS, "supply");
        vm.assertEq(token.genesisSupply(), GENESIS, "genesisSupply");
        vm.assertEq(token.emissionPerEpoch(), EMISSION, "emissionPerEpoch");
        vm.assertEq(token.minter(), address(minter), "minter");
    }

    function test_mint_onlyMinter() public {
        minter.commit(1);
        vm.expectRevert(abi.encodeWithSelector(VidyaToken.UnauthorizedMinter.selector, alice));
        vm.prank(alice);
        token.mint(alice, 1);
    }

    function test_mint_refusedPastCommittedEmission() public {
        vm.expectRevert(abi.encodeWithSelector(VidyaToken.EmissionExceeded.selector, 1, 0));
        minter.mint(alice, 1);

        minter.commit(2);
        minter.mint(alice, EMISSION);
        vm.expectRevert(abi.encodeWithSelector(VidyaToken.EmissionExceeded.selector, EMISSION + 1, EMISSION));
        minter.mint(alice, EMISSION + 1);
        minter.mint(alice, EMISSION);
        vm.assertEq(token.totalEmitted(), 2 * EMISSION, "emitted");
        vm.assertEq(token.totalSupply(), GENESIS + 2 * EMISSION, "supply");
    }

    function test_setMinter_onceByDeployerOnly() public {
        VidyaToken late = new VidyaToken(holder, GENESIS, EMISSION, address(0));
        vm.assertEq(late.emissionCap(), 0, "no cap without a minter");

        vm.expectRevert(VidyaToken.MinterLocked.selector);
        vm.prank(alice);
        late.setMinter(alice);

        vm.expectRevert(VidyaToken.ZeroAddress.selector);
        late.setMinter(address(0));

        late.setMinter(address(minter));
        vm.assertEq(late.minter(), address(minter), "minter set");

        vm.expectRevert(VidyaToken.MinterLocked.selector);
        late.setMinter(alice);
    }

    function test_setMinter_refusedWhenSetInConstructor() public {
        vm.expectRevert(VidyaToken.MinterLocked.selector);
        token.setMinter(alice);
    }

    function test_constructor_refusesZeroHolder() public {
        vm.expectRevert(VidyaToken.ZeroAddress.selector);
        new VidyaToken(address(0), GENESIS, EMISSION, address(minter));
    }

    function test_permit() public {
        uint256 ownerKey = 0xA11CE;
        address owner = vm.addr(ownerKey);
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"),
                owner,
                alice,
                7 ether,
                token.nonces(owner),
                deadline
            )
        );
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ownerKey, digest);
        token.permit(owner, alice, 7 ether, deadline, v, r, s);
        vm.assertEq(token.allowance(owner, alice), 7 ether, "allowance");
        vm.assertEq(token.nonces(owner), 1, "nonce");
    }

    function test_burn_lowersSupplyAndNeverRaisesTheCap() public {
        minter.commit(1);
        minter.mint(alice, EMISSION);
        vm.prank(alice);
        token.burn(EMISSION / 2);
        vm.assertEq(token.totalSupply(), GENESIS + EMISSION / 2, "supply after burn");
        vm.assertEq(token.totalEmitted(), EMISSION, "emitted unchanged");
        // Burned tokens do not make room for more emission.
        vm.expectRevert(abi.encodeWithSelector(VidyaToken.EmissionExceeded.selector, 1, 0));
        minter.mint(alice, 1);
    }

    /// Supply never exceeds genesis + emission × committed epochs, whatever is asked to be minted.
    function testFuzz_supplyWithinSchedule(uint64 epochs, uint256[8] memory amounts) public {
        epochs = uint64(bound(epochs, 0, 1_000_000));
        minter.commit(epochs);
        for (uint256 i; i < amounts.length; ++i) {
            uint256 amount = bound(amounts[i], 0, EMISSION * 4);
            try minter.mint(alice, amount) {} catch {}
            vm.assertLe(token.totalSupply(), GENESIS + EMISSION * epochs, "supply over schedule");
        }
        vm.assertEq(token.totalSupply(), GENESIS + token.totalEmitted(), "supply = genesis + emitted");
    }
}
