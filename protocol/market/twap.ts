// The VIDYA/WETH pool's time-weighted average price (Uniswap v3's oracle), as pure maths: the
// mean tick from two `observe()` tick cumulatives, then an amount of one token in the other at
// that tick. A port of v3-core TickMath.getSqrtRatioAtTick and v3-periphery OracleLibrary
// (consult, getQuoteAtTick), bit for bit, so the site and the CLI convert as a contract would.
// Why TWAP, not slot0's spot price: one large swap inside a block moves the spot price at will;
// moving a 30-minute mean costs holding that price for 30 minutes against arbitrage.

export const MIN_TICK = -887272;
export const MAX_TICK = 887272;

const Q32 = 1n << 32n;
const Q64 = 1n << 64n;
const Q128 = 1n << 128n;
const Q192 = 1n << 192n;
const MAX_UINT128 = Q128 - 1n;
const MAX_UINT256 = (1n << 256n) - 1n;

// sqrt(1.0001)^-(2^i) in Q128.128, i = 0..19 (TickMath.sol).
const RATIOS = [
  0xfffcb933bd6fad37aa2d162d1a594001n, 0xfff97272373d413259a46990580e213an, 0xfff2e50f5f656932ef12357cf3c7fdccn, 0xffe5caca7e10e4e61c3624eaa0941cd0n,
  0xffcb9843d60f6159c9db58835c926644n, 0xff973b41fa98c081472e6896dfb254c0n, 0xff2ea16466c96a3843ec78b326b52861n, 0xfe5dee046a99a2a811c461f1969c3053n,
  0xfcbe86c7900a88aedcffc83b479aa3a4n, 0xf987a7253ac413176f2b074cf7815e54n, 0xf3392b0822b70005940c7a398e4b70f3n, 0xe7159475a2c29b7443b29c7fa6e889d9n,
  0xd097f3bdfd2022b8845ad8f792aa5825n, 0xa9f746462d870fdf8a65dc1f90e061e5n, 0x70d869a156d2a1b890bb3df62baf32f7n, 0x31be135f97d08fd981231505542fcfa6n,
  0x9aa508b5b7a84e1c677de54f3e99bc9n, 0x5d6af8dedb81196699c329225ee604n, 0x2216e584f5fa1ea926041bedfe98n, 0x48a170391f7dc42444e8fa2n,
];

/** sqrt(1.0001^tick) as Q64.96: token1 per token0 at `tick` (TickMath.getSqrtRatioAtTick). */
export function sqrtRatioAtTick(tick: number): bigint {
  if (!Number.isInteger(tick) || tick < MIN_TICK || tick > MAX_TICK) throw new RangeError(`tick ${tick} is outside [${MIN_TICK}, ${MAX_TICK}]`);
  const abs = Math.abs(tick);
  let ratio = abs & 1 ? RATIOS[0]! : Q128;
  for (let i = 1; i < RATIOS.length; i++) if (abs & (1 << i)) ratio = (ratio * RATIOS[i]!) >> 128n;
  if (tick > 0) ratio = MAX_UINT256 / ratio;
  return (ratio >> 32n) + (ratio % Q32 === 0n ? 0n : 1n);
}

/**
 * The arithmetic mean tick between two observations (OracleLibrary.consult): the cumulatives
 * `observe([secondsAgo, 0])` returns, rounded toward negative infinity as the library does.
 */
export function meanTick(tickCumulativeThen: bigint, tickCumulativeNow: bigint, secondsAgo: number): number {
  if (!Number.isInteger(secondsAgo) || secondsAgo <= 0) throw new RangeError("a TWAP needs a window of at least one second");
  const delta = tickCumulativeNow - tickCumulativeThen;
  const window = BigInt(secondsAgo);
  let tick = delta / window; // BigInt division truncates toward zero
  if (delta < 0n && delta % window !== 0n) tick--;
  return Number(tick);
}

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
