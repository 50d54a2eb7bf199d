// A constant-product pool (Uniswap v2's x·y = k, the 0.3% fee taken from the input and left in
// the pool): the simulation's market for $VIDYA against ETH (issue 14 part 6). Pure numbers, no
// state outside the value: each trade returns the pool after it. The reserves are in whole
// tokens and ETH (floats: the model's dollars and GB are floats too; the chain's pool is
// Uniswap's own, built by the deploy tool).

/** Uniswap v2's fee: 0.3% of the input stays in the pool. */
export const POOL_FEE = 0.003;

export interface Pool {
  /** VIDYA held by the pool. */
  vidya: number;
  /** ETH held by the pool. */
  eth: number;
}

function check(p: Pool): void {
  if (!(p.vidya > 0) || !(p.eth > 0) || !Number.isFinite(p.vidya) || !Number.isFinite(p.eth)) throw new RangeError(`pool reserves must be positive and finite, got ${p.vidya} VIDYA / ${p.eth} ETH`);
}
function amount(name: string, x: number): void {
  if (!(x >= 0) || !Number.isFinite(x)) throw new RangeError(`${name} must be a non-negative finite amount, got ${x}`);
}

/** A pool holding `vidya` at `priceEth` ETH per VIDYA. */
export function poolAt(vidya: number, priceEth: number): Pool {
  const p = { vidya, eth: vidya * priceEth };
  check(p);
  return p;
}

/** The marginal price, ETH per VIDYA (before the fee). */
export function spotPrice(p: Pool): number {
  return p.eth / p.vidya;
}

/** Uniswap v2's getAmountOut: what `amountIn` of one side buys of the other, the fee taken from the input. */
export function amountOut(amountIn: number, reserveIn: number, reserveOut: number): number {
  amount("amountIn", amountIn);
  const inWithFee = amountIn * (1 - POOL_FEE);
  return (inWithFee * reserveOut) / (reserveIn + inWithFee);
}

/** Uniswap v2's getAmountIn: what must go in to take `out` of the other side (Infinity at or beyond its reserve). */
export function amountIn(out: number, reserveIn: number, reserveOut: number): number {
  amount("amountOut", out);
  if (out >= reserveOut) return Infinity;
  return (reserveIn * out) / ((reserveOut - out) * (1 - POOL_FEE));
}

export interface Trade {
  pool: Pool;
  /** ETH paid (buy) or received (sell). */
  eth: number;
  /** VIDYA received (buy) or paid (sell). */
  vidya: number;
}

/** Buys exactly `vidya` tokens with ETH (a member buying its stake, fee or charges). */
export function buyVidya(p: Pool, vidya: number): Trade {
  check(p);
  const eth = amountIn(vidya, p.eth, p.vidya);
  if (!Number.isFinite(eth)) throw new RangeError(`the pool holds ${p.vidya} VIDYA: cannot buy ${vidya}`);
  return { pool: { vidya: p.vidya - vidya, eth: p.eth + eth }, eth, vidya };
}

/** Sells `vidya` tokens for ETH (a node selling part of its earnings). */
export function sellVidya(p: Pool, vidya: number): Trade {
  check(p);
  const eth = amountOut(vidya, p.vidya, p.eth);
  return { pool: { vidya: p.vidya + vidya, eth: p.eth - eth }, eth, vidya };
}
