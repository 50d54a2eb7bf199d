// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {HostingBounties} from "./HostingBounties.sol";
import {Staking} from "./Staking.sol";

/// @notice The part of Uniswap v3's SwapRouter (v3-periphery 1.x) this contract calls.
interface ISwapRouterV3 {
    struct ExactInputSingleParams {
        address tokenIn;
        address tokenOut;
        uint24 fee;
        address recipient;
        uint256 deadline;
        uint256 amountIn;
        uint256 amountOutMinimum;
        uint160 sqrtPriceLimitX96;
    }

    struct ExactOutputSingleParams {
        address tokenIn;
        address tokenOut;
        uint24 fee;
        address recipient;
        uint256 deadline;
        uint256 amountOut;
        uint256 amountInMaximum;
        uint160 sqrtPriceLimitX96;
    }

    function exactInputSingle(ExactInputSingleParams calldata params) external payable returns (uint256 amountOut);
    function exactOutputSingle(ExactOutputSingleParams calldata params) external payable returns (uint256 amountIn);
}

/// @notice WETH9: wrapped ether.
interface IWETH9 is IERC20 {
    function deposit() external payable;
    function withdraw(uint256 amount) external;
}

/// @title HostingRouter
/// @notice Buy hosting or access with ETH in one transaction (DESIGN.md, "The token's market is
/// Uniswap"): swaps ETH for $VIDYA in the VIDYA/WETH pool through Uniswap v3's SwapRouter, with a
/// slippage bound and a deadline the caller sets, then funds a torrent's bounty
/// ({buyBounty}) or stakes and pays the join fee for the caller ({buyStake}). ETH not spent goes back to the caller.
///
/// It holds nothing between calls: every token it buys leaves in the same call, and it pulls
/// nothing from its caller but the ETH sent. Quote off-chain (Uniswap's QuoterV2) and derive the
/// bound from the quote: a bound of zero lets a sandwich take the whole trade.
contract HostingRouter {
    using SafeERC20 for IERC20;

    /// @notice No ETH was sent.
    error NoEthSent();
    /// @notice A zero address was given where a contract is required.
    error ZeroAddress();
    /// @notice Only WETH may send this contract ether (when unwrapping the unspent rest).
    error UnexpectedEther(address from);
    /// @notice Neither a stake nor a join fee was asked for.
    error NothingToBuy();
    /// @notice Sending the unspent ETH back to the caller failed.
    error RefundFailed(address to, uint256 amount);

    /// @notice `buyer` paid `ethIn` for `vidyaOut`, all of it added to the bounty of `infoHash`.
    event BountyBought(address indexed buyer, bytes20 indexed infoHash, uint256 ethIn, uint256 vidyaOut);
    /// @notice `buyer` paid `ethIn` for `staked + joinFee` VIDYA: `staked` became the access stake of
    /// `buyer`, `joinFee` its join fee to stakers.
    event StakeBought(address indexed buyer, uint256 ethIn, uint256 staked, uint256 joinFee);

    IERC20 private immutable _token;
    IWETH9 private immutable _weth;
    ISwapRouterV3 private immutable _router;
    Staking private immutable _staking;
    HostingBounties private immutable _bounties;
    uint24 private immutable _fee;

    /// @param fee_ the VIDYA/WETH pool's fee tier (3000: 0.3%).
    constructor(IERC20 token_, IWETH9 weth_, ISwapRouterV3 router_, Staking staking_, HostingBounties bounties_, uint24 fee_) {
        if (
            address(token_) == address(0) || address(weth_) == address(0) || address(router_) == address(0)
                || address(staking_) == address(0) || address(bounties_) == address(0)
        ) revert ZeroAddress();
        _token = token_;
        _weth = weth_;
        _router = router_;
        _staking = staking_;
        _bounties = bounties_;
        _fee = fee_;
    }

    /// @notice Swaps all the ETH sent for at least `amountOutMinimum` VIDYA (else the swap
    /// reverts: "Too little received") before `deadline`, and adds it to the bounty of `infoHash`.
    /// A bounty is a payment, not a deposit ({HostingBounties-fund}).
    function buyBounty(bytes20 infoHash, uint256 amountOutMinimum, uint256 deadline)
        external
        payable
        returns (uint256 vidyaOut)
    {
        if (msg.value == 0) revert NoEthSent();
        _weth.deposit{value: msg.value}();
        IERC20(address(_weth)).forceApprove(address(_router), msg.value);
        vidyaOut = _router.exactInputSingle(
            ISwapRouterV3.ExactInputSingleParams({
                tokenIn: address(_weth),
                tokenOut: address(_token),
                fee: _fee,
                recipient: address(this),
                deadline: deadline,
                amountIn: msg.value,
                amountOutMinimum: amountOutMinimum,
                sqrtPriceLimitX96: 0
            })
        );
        _token.forceApprove(address(_bounties), vidyaOut);
        _bounties.fund(infoHash, vidyaOut);
        emit BountyBought(msg.sender, infoHash, msg.value, vidyaOut);
    }

    /// @notice Buys exactly `amount + joinFee` VIDYA for at most the ETH sent (else the swap
    /// reverts: "Too much requested") before `deadline`, stakes `amount` as the caller's access
    /// stake ({Staking-stakeFor}), pays `joinFee` as the caller's join fee to stakers
    /// ({FeePool-payJoinFeeFor}) and sends back the ETH not spent: a wallet holding only ETH
    /// joins by stake in one transaction. Either part may be zero, not both.
    function buyStake(uint256 amount, uint256 joinFee, uint256 deadline) external payable returns (uint256 ethIn) {
        if (msg.value == 0) revert NoEthSent();
        uint256 total = amount + joinFee;
        if (total == 0) revert NothingToBuy();
        _weth.deposit{value: msg.value}();
        IERC20(address(_weth)).forceApprove(address(_router), msg.value);
        ethIn = _router.exactOutputSingle(
            ISwapRouterV3.ExactOutputSingleParams({
                tokenIn: address(_weth),
                tokenOut: address(_token),
                fee: _fee,
                recipient: address(this),
                deadline: deadline,
                amountOut: total,
                amountInMaximum: msg.value,
                sqrtPriceLimitX96: 0
            })
        );
        // An allowance the router did not use must not outlive the call.
        IERC20(address(_weth)).forceApprove(address(_router), 0);
        _token.forceApprove(address(_staking), total);
        if (amount != 0) _staking.stakeFor(msg.sender, amount);
        if (joinFee != 0) _staking.payJoinFeeFor(msg.sender, joinFee);
        emit StakeBought(msg.sender, ethIn, amount, joinFee);
        uint256 rest = msg.value - ethIn;
        if (rest != 0) {
            _weth.withdraw(rest);
            (bool ok,) = msg.sender.call{value: rest}("");
            if (!ok) revert RefundFailed(msg.sender, rest);
        }
    }

    /// @dev Ether arrives only from WETH, when the unspent rest is unwrapped.
    receive() external payable {
        if (msg.sender != address(_weth)) revert UnexpectedEther(msg.sender);
    }

    function token() external view returns (address) {
        return address(_token);
    }

    function weth() external view returns (address) {
        return address(_weth);
    }

    function router() external view returns (address) {
        return address(_router);
    }

    function staking() external view returns (address) {
        return address(_staking);
    }

    function bounties() external view returns (address) {
        return address(_bounties);
    }

    function fee() external view returns (uint24) {
        return _fee;
    }
}
