// Amounts converted at the VIDYA/WETH pool's time-weighted average tick (price.ts meanTick, from
// two `observe()` tick cumulatives): OracleLibrary.getQuoteAtTick ported bit for bit, so the site
// and the CLI convert the access stake, prices, bounties and earnings as a contract would.
// Why TWAP, not slot0's spot price: one large swap inside a block moves the spot price at will;
// moving a 30-minute mean costs holding that price for 30 minutes against arbitrage.

import { sqrtRatioAtTick } from "./price.ts";

const Q64 = 1n << 64n;
const Q128 = 1n << 128n;
const Q192 = 1n << 192n;
const MAX_UINT128 = Q128 - 1n;

/**
 * `baseAmount` of the base token in the quote token at `tick` (OracleLibrary.getQuoteAtTick).
 * `baseIsToken0`: the base token is the pool's token0 (the lower address).
 */
export function quoteAtTick(tick: number, baseAmount: bigint, baseIsToken0: boolean): bigint {
  if (baseAmount < 0n || baseAmount > MAX_UINT128) throw new RangeError("the base amount must fit in a uint128");
  const sqrt = sqrtRatioAtTick(tick);
  if (sqrt <= MAX_UINT128) {
    const ratioX192 = sqrt * sqrt;
    return baseIsToken0 ? (ratioX192 * baseAmount) / Q192 : (Q192 * baseAmount) / ratioX192;
  }
  const ratioX128 = (sqrt * sqrt) / Q64;
  return baseIsToken0 ? (ratioX128 * baseAmount) / Q128 : (Q128 * baseAmount) / ratioX128;
}

/** Whether `a` sorts before `b` as Uniswap orders a pool's tokens (by address, as a number). */
export function isToken0(a: string, b: string): boolean {
  return BigInt(a) < BigInt(b);
}

/** What the TWAP is over, and what it converts: one read of the pool, kept with the numbers it gave. */
export interface Twap {
  /** The pool's VIDYA and WETH addresses (the pool orders them by address). */
  vidya: string;
  weth: string;
  /** The window in seconds and its mean tick. */
  secondsAgo: number;
  tick: number;
}

/** VIDYA (wei-like units) in ETH (wei) at the TWAP. */
export function vidyaToEth(t: Twap, vidya: bigint): bigint {
  return convert(t, vidya, isToken0(t.vidya, t.weth));
}

/** ETH (wei) in VIDYA at the TWAP. */
export function ethToVidya(t: Twap, eth: bigint): bigint {
  return convert(t, eth, isToken0(t.weth, t.vidya));
}

// Amounts past a uint128 (3.4e20 tokens) are split so a total supply's worth still converts.
function convert(t: Twap, amount: bigint, baseIsToken0: boolean): bigint {
  if (amount < 0n) return -convert(t, -amount, baseIsToken0);
  let out = 0n;
  for (let rest = amount; rest > 0n; rest -= rest > MAX_UINT128 ? MAX_UINT128 : rest) out += quoteAtTick(t.tick, rest > MAX_UINT128 ? MAX_UINT128 : rest, baseIsToken0);
  return out;
}
