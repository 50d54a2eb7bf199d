import { describe, expect, it } from "vitest";
import { amountIn, amountOut, buyVidya, POOL_FEE, poolAt, sellVidya, spotPrice } from "./pool.ts";
import { Random } from "./random.ts";

const k = (p: { vidya: number; eth: number }) => p.vidya * p.eth;

describe("the constant-product pool (x·y = k, 0.3% fee)", () => {
  it("quotes Uniswap v2's getAmountOut and getAmountIn", () => {
    // 1 ETH into 100 ETH / 1,000,000 VIDYA: 997/1000 of it at the curve.
    expect(amountOut(1, 100, 1_000_000)).toBeCloseTo((0.997 * 1_000_000) / 100.997, 9);
    // Inverse: what it takes to get that out is the 1 ETH back.
    expect(amountIn(amountOut(1, 100, 1_000_000), 100, 1_000_000)).toBeCloseTo(1, 9);
    expect(amountIn(1_000_000, 100, 1_000_000)).toBe(Infinity);
  });

  it("raises the price when members buy and lowers it when nodes sell, k growing by the fee only", () => {
    const p = poolAt(1_000_000, 0.00005);
    expect(spotPrice(p)).toBeCloseTo(0.00005, 12);
    const b = buyVidya(p, 10_000);
    expect(b.pool.vidya).toBe(990_000);
    expect(spotPrice(b.pool)).toBeGreaterThan(spotPrice(p));
    // A buyer pays more than the spot price: the curve's slippage and the fee.
    expect(b.eth / b.vidya).toBeGreaterThan(spotPrice(p) * (1 + POOL_FEE));
    expect(k(b.pool)).toBeGreaterThan(k(p));
    const s = sellVidya(b.pool, 10_000);
    expect(spotPrice(s.pool)).toBeLessThan(spotPrice(b.pool));
    expect(s.eth).toBeLessThan(b.eth); // a round trip loses the fees and the slippage
    expect(k(s.pool)).toBeGreaterThan(k(b.pool));
  });

  it("never pays out a reserve, whatever the trades (property: reserves stay positive, k never falls)", () => {
    const r = new Random(7);
    let p = poolAt(500_000, 0.0001);
    for (let i = 0; i < 5_000; i++) {
      const before = k(p);
      const size = p.vidya * r.next() * 0.2;
      p = r.chance(0.5) ? buyVidya(p, size).pool : sellVidya(p, size).pool;
      expect(p.vidya).toBeGreaterThan(0);
      expect(p.eth).toBeGreaterThan(0);
      expect(k(p)).toBeGreaterThanOrEqual(before * (1 - 1e-12));
    }
  });

  it("refuses to buy the whole reserve, negative amounts and an empty pool", () => {
    const p = poolAt(1_000, 1);
    expect(() => buyVidya(p, 1_000)).toThrow(RangeError);
    expect(() => sellVidya(p, -1)).toThrow(RangeError);
    expect(() => poolAt(0, 1)).toThrow(RangeError);
    expect(() => buyVidya({ vidya: 1, eth: Number.NaN }, 0.5)).toThrow(RangeError);
  });
});
