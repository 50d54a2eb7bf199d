// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "./utils/Test.sol";
import {Deployment} from "./utils/Deployment.sol";
import {MerkleBuilder} from "./utils/MerkleBuilder.sol";
import {VidyaToken} from "../src/VidyaToken.sol";
import {EpochRewards} from "../src/EpochRewards.sol";
import {HostingBounties} from "../src/HostingBounties.sol";
import {Escrow} from "../src/Escrow.sol";

/// @notice Drives Escrow as members, gift givers and the edge's spent trees do: deposits,
/// settlements by final, unfinished and disabled roots, withdrawal requests, cancellations,
/// withdrawals, and time.
contract EscrowHandler is Test {
    VidyaToken internal immutable token;
    EpochRewards internal immutable rewards;
    Escrow internal immutable escrow;
    address internal immutable poster;
    address internal immutable guardian;

    address[3] internal members = [address(0xE1), address(0xE2), address(0xE3)];
    mapping(uint64 epoch => uint256[3]) internal _spent;
    mapping(uint64 epoch => bytes32[]) internal _leaves;
    mapping(uint64 epoch => bool) internal _finalBeforeDisabled;
    mapping(address member => uint256) public deposited;
    mapping(address member => uint256) public withdrawn;

    /// When each member last asked to withdraw (0: never).
    mapping(address member => uint256) internal _requestedAt;
    /// Withdrawals that succeeded while a root posted before the request was not yet final
    /// (neither final nor disabled): the charge in it could not have been settled. Must stay zero.
    uint256 public withdrawnBeforeFinal;

    /// Settlements that succeeded against a disabled root: must stay zero.
    uint256 public settledByDisabled;
    uint256 public paidSettlements;

    constructor(Escrow escrow_, address poster_, address guardian_) {
        escrow = escrow_;
        rewards = EpochRewards(escrow_.rewards());
        token = VidyaToken(escrow_.token());
        poster = poster_;
        guardian = guardian_;
    }

    function deposit(uint256 who, uint256 amount) external {
        amount = bound(amount, 1, 1_000 ether);
        address member = members[who % 3];
        vm.prank(member);
        escrow.deposit(amount);
        deposited[member] += amount;
    }

    /// One member pays into another's deposit.
    function depositFor(uint256 from, uint256 to, uint256 amount) external {
        amount = bound(amount, 1, 1_000 ether);
        address member = members[to % 3];
        vm.prank(members[from % 3]);
        escrow.depositFor(member, amount);
        deposited[member] += amount;
    }

    /// The edge closes an epoch whose spent tree grows each member's cumulative spending.
    function postSpending(uint256[3] memory raises) external {
        uint64 epoch = rewards.lastEpoch() + 1;
        bytes32[] memory leaves = new bytes32[](3);
        for (uint256 i; i < 3; ++i) {
            _spent[epoch][i] = _spent[epoch - 1][i] + bound(raises[i], 0, 300 ether);
            leaves[i] = keccak256(bytes.concat(keccak256(abi.encode(epoch, members[i], _spent[epoch][i]))));
        }
        _leaves[epoch] = leaves;
        bytes32 root = MerkleBuilder.root(leaves);
        vm.prank(poster);
        rewards.postRoot(epoch, 0, 0, root, keccak256(abi.encode(epoch)), 0, new HostingBounties.Draw[](0));
    }

    function settle(uint256 epochSeed, uint256 who) external {
        uint64 last = rewards.lastEpoch();
        if (last == 0) return;
        uint64 epoch = _recentEpoch(epochSeed, last);
        uint256 i = who % 3;
        bool disabled = rewards.rootOf(epoch).disabled;
        try escrow.settle(epoch, members[i], _spent[epoch][i], MerkleBuilder.proof(_leaves[epoch], i)) {
            ++paidSettlements;
            if (disabled) ++settledByDisabled;
        } catch {}
    }

    function requestWithdrawal(uint256 who) external {
        address member = members[who % 3];
        vm.prank(member);
        escrow.requestWithdrawal();
        _requestedAt[member] = block.timestamp;
    }

    function cancelWithdrawal(uint256 who) external {
        vm.prank(members[who % 3]);
        try escrow.cancelWithdrawal() {} catch {}
    }

    function withdraw(uint256 who) external {
        address member = members[who % 3];
        vm.prank(member);
        try escrow.withdraw() returns (uint256 amount) {
            withdrawn[member] += amount;
            // Every root posted up to the request charged this balance: each must be settleable by now.
            for (uint64 e = 1; e <= rewards.lastEpoch(); ++e) {
                EpochRewards.EpochRoot memory r = rewards.rootOf(e);
                if (r.postedAt <= _requestedAt[member] && !r.disabled && !rewards.isFinal(e)) ++withdrawnBeforeFinal;
            }
        } catch {}
    }

    function disable(uint256 epochSeed) external {
        uint64 last = rewards.lastEpoch();
        if (last == 0) return;
        // One call in four disables: a guardian acts on the rare bad root, not on most.
        if (epochSeed % 4 != 0) return;
        uint64 epoch = uint64(bound(epochSeed / 4, 1, last));
        // What a root paid while final stands after it is disabled (DESIGN.md: the guardian
        // stops a bad root; it does not claw back).
        bool wasFinal = rewards.isFinal(epoch);
        vm.prank(guardian);
        try rewards.disableRoot(epoch) {
            if (wasFinal) _finalBeforeDisabled[epoch] = true;
        } catch {}
    }

    /// Mostly the newest epochs, which are the ones that still pay; sometimes any older one.
    function _recentEpoch(uint256 seed, uint64 last) internal pure returns (uint64) {
        uint64 back = uint64(seed % 4 == 0 ? seed / 4 : seed % 2) % last;
        return last - back;
    }

    function wait(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 0, 2 days));
    }

    function memberAt(uint256 i) external view returns (address) {
        return members[i];
    }

    /// The largest cumulative spending of member `i` in a root that is final, or was when it was disabled.
    function finalisedSpent(uint256 i) external view returns (uint256 best) {
        for (uint64 e = 1; e <= rewards.lastEpoch(); ++e) {
            if ((rewards.isFinal(e) || _finalBeforeDisabled[e]) && _spent[e][i] > best) best = _spent[e][i];
        }
    }
}

/// @notice Whatever the sequence: the escrow holds exactly every member's balance; each
/// member's deposits = balance + settled + withdrawn; nobody is charged beyond its finalised
/// spending; everything settled reached the fee pool; a disabled root settles nothing.
contract EscrowInvariantTest is Deployment {
    EscrowHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new EscrowHandler(escrow, poster, guardian);
        for (uint256 i; i < 3; ++i) {
            _fund(handler.memberAt(i), 10_000_000 ether, address(escrow));
        }
    }

    function targetContracts() public view override returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function invariant_escrowSolvent() public view {
        uint256 balances;
        for (uint256 i; i < 3; ++i) {
            balances += escrow.balanceOf(handler.memberAt(i));
        }
        vm.assertEq(escrow.totalBalance(), balances, "balances add up");
        vm.assertEq(token.balanceOf(address(escrow)), balances, "held = every member's balance");
    }

    function invariant_depositsAccountedFor() public view {
        for (uint256 i; i < 3; ++i) {
            address member = handler.memberAt(i);
            Escrow.Account memory account = escrow.accountOf(member);
            vm.assertEq(
                handler.deposited(member),
                account.balance + account.settled + handler.withdrawn(member),
                "deposits = balance + settled + withdrawn"
            );
            vm.assertLe(account.settled, handler.finalisedSpent(i), "charged above finalised spending");
        }
    }

    /// The issue's invariant (#11): settled charges never exceed deposits, per member and in all.
    function invariant_settledNeverExceedsDeposited() public view {
        uint256 deposited;
        for (uint256 i; i < 3; ++i) {
            address member = handler.memberAt(i);
            vm.assertLe(escrow.accountOf(member).settled, handler.deposited(member), "settled above deposited");
            deposited += handler.deposited(member);
        }
        vm.assertLe(escrow.totalSettled(), deposited, "total settled above total deposited");
    }

    /// The withdrawal delay outlasts finality: no balance leaves before a root that charged it is final.
    function invariant_noWithdrawalBeforeChargesAreFinal() public view {
        vm.assertEq(handler.withdrawnBeforeFinal(), 0, "withdrew before a charge was final");
    }

    function invariant_settledReachedTheFeePool() public view {
        (uint256 added,) = staking.feeTotals();
        vm.assertEq(added, escrow.totalSettled(), "fee pool got every settlement");
        vm.assertEq(handler.settledByDisabled(), 0, "a disabled root settled");
    }
}
