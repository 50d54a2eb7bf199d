// The contract ABIs the CLI calls, generated from contracts/src into contracts/abi.ts (errors
// included, so reverts decode to their names). ERC-20 calls use viem's standard ABI.

export { erc20Abi } from "viem";
export { epochRewardsAbi, stakingAbi, hostingRouterAbi } from "../../contracts/abi.ts";
export { quoterV2Abi, swapRouterAbi, uniswapV3PoolAbi } from "../../contracts/uniswap-abi.ts";
