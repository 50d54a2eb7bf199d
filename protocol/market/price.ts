// Uniswap v3 price maths for the VIDYA/WETH pool, pure and exact (bigint): the pool's
// sqrtPriceX96 and ticks to a price in wei of ETH per VIDYA, the time-weighted average from
// observe()'s tick cumulatives, price impact, and the slippage bounds a swap is sent with.
// Both tokens have 18 decimals, so raw amounts and whole tokens share one ratio.

import { ONE_TOKEN } from "../params.ts";

const Q96 = 1n << 96n;
const Q192 = 1n << 192n;
/** Uniswap v3's tick range (TickMath.MIN_TICK / MAX_TICK). */
export const MIN_TICK = -887_272;
export const MAX_TICK = 887_272;
/** Fees are in hundredths of a basis point (3000 = 0.3%). */
const FEE_DENOMINATOR = 1_000_000n;

/** Whether VIDYA is the pool's token0: Uniswap orders a pair's tokens by address. */
export function vidyaIsToken0(vidya: string, weth: string): boolean {
  return BigInt(vidya) < BigInt(weth);
}

/** ⌊√n⌋ of a non-negative bigint (Newton's method). */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new Error("square root of a negative number");
  if (n < 2n) return n;
  let x = 1n << BigInt((n.toString(2).length + 1) >> 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** The sqrtPriceX96 a pool opens at so that one VIDYA costs `weiPerVidya` wei of ETH. */
export function sqrtPriceX96ForPrice(weiPerVidya: bigint, vidyaToken0: boolean): bigint {
  if (weiPerVidya <= 0n) throw new Error("a price must be positive");
  // price = token1 per token0 in raw units; sqrtPriceX96 = √price × 2^96 = √(price × 2^192).
  return vidyaToken0 ? isqrt((weiPerVidya * Q192) / ONE_TOKEN) : isqrt((ONE_TOKEN * Q192) / weiPerVidya);
}

/** Wei of ETH one VIDYA is worth at `sqrtPriceX96` (the pool's slot0), rounded down. */
export function priceFromSqrtX96(sqrtPriceX96: bigint, vidyaToken0: boolean): bigint {
  if (sqrtPriceX96 <= 0n) throw new Error("sqrtPriceX96 must be positive");
  const sq = sqrtPriceX96 * sqrtPriceX96;
  return vidyaToken0 ? (sq * ONE_TOKEN) / Q192 : (Q192 * ONE_TOKEN) / sq;
}

/** TickMath.getSqrtRatioAtTick, bit for bit: √(1.0001^tick) × 2^96, rounded up. */
export function sqrtRatioAtTick(tick: number): bigint {
  if (!Number.isInteger(tick) || tick < MIN_TICK || tick > MAX_TICK) throw new Error(`tick out of range: ${tick}`);
  const abs = BigInt(Math.abs(tick));
  let ratio = abs & 0x1n ? 0xfffcb933bd6fad37aa2d162d1a594001n : 0x100000000000000000000000000000000n;
  const steps: [bigint, bigint][] = [
    [0x2n, 0xfff97272373d413259a46990580e213an],
    [0x4n, 0xfff2e50f5f656932ef12357cf3c7fdccn],
    [0x8n, 0xffe5caca7e10e4e61c3624eaa0941cd0n],
    [0x10n, 0xffcb9843d60f6159c9db58835c926644n],
    [0x20n, 0xff973b41fa98c081472e6896dfb254c0n],
    [0x40n, 0xff2ea16466c96a3843ec78b326b52861n],
    [0x80n, 0xfe5dee046a99a2a811c461f1969c3053n],
    [0x100n, 0xfcbe86c7900a88aedcffc83b479aa3a4n],
    [0x200n, 0xf987a7253ac413176f2b074cf7815e54n],
    [0x400n, 0xf3392b0822b70005940c7a398e4b70f3n],
    [0x800n, 0xe7159475a2c29b7443b29c7fa6e889d9n],
    [0x1000n, 0xd097f3bdfd2022b8845ad8f792aa5825n],
    [0x2000n, 0xa9f746462d870fdf8a65dc1f90e061e5n],
    [0x4000n, 0x70d869a156d2a1b890bb3df62baf32f7n],
    [0x8000n, 0x31be135f97d08fd981231505542fcfa6n],
    [0x10000n, 0x9aa508b5b7a84e1c677de54f3e99bc9n],
    [0x20000n, 0x5d6af8dedb81196699c329225ee604n],
    [0x40000n, 0x2216e584f5fa1ea926041bedfe98n],
    [0x80000n, 0x48a170391f7dc42444e8fa2n],
  ];
  for (const [bit, factor] of steps) if (abs & bit) ratio = (ratio * factor) >> 128n;
  if (tick > 0) ratio = ((1n << 256n) - 1n) / ratio;
  // Q128.128 to Q64.96, rounding up.
  return (ratio >> 32n) + (ratio % (1n << 32n) === 0n ? 0n : 1n);
}

/** Wei of ETH one VIDYA is worth at `tick`. */
export function priceFromTick(tick: number, vidyaToken0: boolean): bigint {
  return priceFromSqrtX96(sqrtRatioAtTick(tick), vidyaToken0);
}

/**
 * The arithmetic-mean tick between two observations (OracleLibrary.consult): the tick
 * cumulatives from `observe([secondsAgo, 0])`, rounded toward negative infinity.
 */
export function meanTick(tickCumulatives: readonly [bigint, bigint], secondsAgo: number): number {
  if (!Number.isInteger(secondsAgo) || secondsAgo <= 0) throw new Error("the TWAP window must be a positive number of seconds");
  const delta = tickCumulatives[1] - tickCumulatives[0];
  const window = BigInt(secondsAgo);
  let tick = delta / window;
  if (delta < 0n && delta % window !== 0n) tick--;
  return Number(tick);
}

/** The pool's time-weighted average price over `secondsAgo`: wei of ETH per VIDYA. */
export function twapPrice(tickCumulatives: readonly [bigint, bigint], secondsAgo: number, vidyaToken0: boolean): bigint {
  return priceFromTick(meanTick(tickCumulatives, secondsAgo), vidyaToken0);
}

/** What `amountIn` of one side is worth in the other at `weiPerVidya`, before fees: VIDYA→ETH or ETH→VIDYA. */
export function valueAt(amountIn: bigint, weiPerVidya: bigint, vidyaIn: boolean): bigint {
  if (weiPerVidya <= 0n) throw new Error("a price must be positive");
  return vidyaIn ? (amountIn * weiPerVidya) / ONE_TOKEN : (amountIn * ONE_TOKEN) / weiPerVidya;
}

/**
 * Price impact of a quoted swap, in parts per million: how much less it gets than the mid price
 * (slot0) would give for the amount left after the pool's fee. The fee is shown apart.
 * Computed from the sqrt price, not a rounded price, so a small trade in a deep pool reads 0.
 */
export function priceImpactPpm(q: { amountIn: bigint; amountOut: bigint; sqrtPriceX96: bigint; vidyaIn: boolean; vidyaToken0: boolean; fee: number }): number {
  const afterFee = (q.amountIn * (FEE_DENOMINATOR - BigInt(q.fee))) / FEE_DENOMINATOR;
  // token0 in: out = in × price; token1 in: out = in / price (price = token1 per token0 = sqrtP² / 2^192).
  const zeroForOne = q.vidyaIn === q.vidyaToken0;
  const sq = q.sqrtPriceX96 * q.sqrtPriceX96;
  const atMid = zeroForOne ? (afterFee * sq) / Q192 : (afterFee * Q192) / sq;
  if (atMid <= 0n || q.amountOut >= atMid) return 0;
  return Number(((atMid - q.amountOut) * 1_000_000n) / atMid);
}

/** The least a swap of exact input may return: the quote less the slippage bound (basis points), rounded down. */
export function minimumReceived(quotedOut: bigint, slippageBps: number): bigint {
  checkSlippage(slippageBps);
  return (quotedOut * BigInt(10_000 - slippageBps)) / 10_000n;
}

/** The most a swap of exact output may take: the quote plus the slippage bound, rounded up. */
export function maximumSent(quotedIn: bigint, slippageBps: number): bigint {
  checkSlippage(slippageBps);
  return (quotedIn * BigInt(10_000 + slippageBps) + 9_999n) / 10_000n;
}

function checkSlippage(bps: number): void {
  if (!Number.isInteger(bps) || bps < 0 || bps >= 10_000) throw new Error(`slippage must be whole basis points in [0, 10000): ${bps}`);
}

/** `--slippage` as people write it: "0.5", "0.5%", "1%" (percent), to basis points; at most 50%. */
export function parseSlippage(text: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]{1,2})?)\s*%?\s*$/.exec(text);
  const bps = m ? Math.round(Number(m[1]) * 100) : NaN;
  if (!m || !(bps >= 0 && bps <= 5_000)) throw new Error(`not a slippage: "${text}" (write a percent such as 0.5 or 1%, at most 50%)`);
  return bps;
}

/** Parts per million as a percent for people: 1234 → "0.12%". */
export function formatPpm(ppm: number): string {
  return `${(ppm / 10_000).toFixed(2)}%`;
}
