// Uniswap's own artifacts, as their npm packages ship them (contracts/uniswap.ts deploys them
// locally; scripts/gen-abi.ts types their ABIs). Paths under node_modules/.
export const UNISWAP_ARTIFACTS = {
  UniswapV3Factory: "@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json",
  UniswapV3Pool: "@uniswap/v3-core/artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json",
  SwapRouter: "@uniswap/v3-periphery/artifacts/contracts/SwapRouter.sol/SwapRouter.json",
  QuoterV2: "@uniswap/v3-periphery/artifacts/contracts/lens/QuoterV2.sol/QuoterV2.json",
  NonfungiblePositionManager: "@uniswap/v3-periphery/artifacts/contracts/NonfungiblePositionManager.sol/NonfungiblePositionManager.json",
  WETH9: "@uniswap/v2-periphery/build/WETH9.json",
} as const;
