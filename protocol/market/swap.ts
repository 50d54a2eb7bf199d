// What a swap form shows before the wallet signs: the least it may receive (quote less the
// slippage bound) and how far the quote is from the pool's price before the swap (price impact).
// Pure, so the site and the CLI show the same figures for the same quote.

import { DEFAULT_SLIPPAGE_BPS, SWAP_DEADLINE_SECONDS } from "../params.ts";

const Q192 = 1n << 192n;

/** The quote less `slippageBps` (rounded down): the swap's amountOutMinimum. */
export function minimumReceived(quotedOut: bigint, slippageBps = DEFAULT_SLIPPAGE_BPS): bigint {
  if (!Number.isInteger(slippageBps) || slippageBps < 0 || slippageBps >= 10_000) throw new RangeError("slippage is 0 to 9,999 basis points");
  return (quotedOut * BigInt(10_000 - slippageBps)) / 10_000n;
}

/** The unix second after which the swap must not fill. */
export function swapDeadline(nowSeconds: number, seconds = SWAP_DEADLINE_SECONDS): bigint {
  return BigInt(Math.floor(nowSeconds) + seconds);
}

/**
 * Price impact in basis points: how much less `amountOut` is than `amountIn` at the pool's price
 * before the swap (slot0's sqrtPriceX96), after the pool's fee (`feePips`, 3000 = 0.3%), which
 * is a cost of its own and not the swap moving the price. `zeroForOne`: token0 goes in.
 */
export function priceImpactBps(amountIn: bigint, amountOut: bigint, sqrtPriceX96Before: bigint, zeroForOne: boolean, feePips: number): number {
  if (amountIn <= 0n || sqrtPriceX96Before <= 0n) return 0;
  const ratioX192 = sqrtPriceX96Before * sqrtPriceX96Before;
  const atMid = zeroForOne ? (amountIn * ratioX192) / Q192 : (amountIn * Q192) / ratioX192;
  const ideal = (atMid * BigInt(1_000_000 - feePips)) / 1_000_000n;
  if (ideal <= 0n || amountOut >= ideal) return 0;
  return Number(((ideal - amountOut) * 10_000n) / ideal);
}

/** Basis points as a percentage for people: 37 → "0.37%". */
export function formatBps(bps: number): string {
  return `${(bps / 100).toFixed(2)}%`;
}
