import { describe, expect, it } from "vitest";
import { ONE_TOKEN } from "../params.ts";
import { decimalAmount, formatEth, formatPrice, parseAmount } from "../market/amounts.ts";
import {
  MAX_TICK,
  MIN_TICK,
  isqrt,
  maximumSent,
  meanTick,
  minimumReceived,
  parseSlippage,
  priceFromSqrtX96,
  priceFromTick,
  priceImpactPpm,
  sqrtPriceX96ForPrice,
  sqrtRatioAtTick,
  twapPrice,
  valueAt,
  vidyaIsToken0,
} from "../market/price.ts";

const Q96 = 1n << 96n;

describe("sqrtPriceX96 and ticks", () => {
  it("matches TickMath.getSqrtRatioAtTick at its known points", () => {
    // Uniswap v3-core's TickMath constants and its tests' values.
    expect(sqrtRatioAtTick(MIN_TICK)).toBe(4295128739n);
    expect(sqrtRatioAtTick(MAX_TICK)).toBe(1461446703485210103287273052203988822378723970342n);
    expect(sqrtRatioAtTick(0)).toBe(Q96);
    expect(() => sqrtRatioAtTick(MAX_TICK + 1)).toThrow(/out of range/);
  });

  it("prices one VIDYA in wei whichever side of the pair VIDYA is (finding: price inverted when VIDYA is token1)", () => {
    const price = 10n ** 14n; // 0.0001 ETH
    for (const token0 of [true, false]) {
      const sqrt = sqrtPriceX96ForPrice(price, token0);
      const back = priceFromSqrtX96(sqrt, token0);
      // √ rounds down: the round trip is within a few parts in 10^15.
      expect(Number(price - back) / Number(price)).toBeLessThan(1e-12);
      expect(back).toBeLessThanOrEqual(price + 1n);
    }
    expect(sqrtPriceX96ForPrice(price, true)).not.toBe(sqrtPriceX96ForPrice(price, false));
  });

  it("reads a tick's price as 1.0001^tick in the pool's orientation", () => {
    // tick -92109 ≈ ln(1e-4)/ln(1.0001): VIDYA token0 priced at ~0.0001 ETH.
    const p = priceFromTick(-92109, true);
    expect(Number(p) / 1e14).toBeCloseTo(1, 3);
    expect(Number(priceFromTick(92109, false)) / 1e14).toBeCloseTo(1, 3);
  });

  it("orders a pair by address as Uniswap does", () => {
    expect(vidyaIsToken0("0x0000000000000000000000000000000000000001", "0x00000000000000000000000000000000000000ff")).toBe(true);
    expect(vidyaIsToken0("0xff00000000000000000000000000000000000000", "0x00000000000000000000000000000000000000ff")).toBe(false);
  });

  it("takes exact integer square roots", () => {
    for (const n of [0n, 1n, 2n, 3n, 4n, 15n, 16n, 17n, (1n << 200n) + 12345n]) {
      const r = isqrt(n);
      expect(r * r <= n && (r + 1n) * (r + 1n) > n).toBe(true);
    }
  });
});

describe("TWAP from observe()", () => {
  it("is the mean tick over the window, rounded toward negative infinity like OracleLibrary.consult", () => {
    expect(meanTick([0n, 1800n * 100n], 1800)).toBe(100);
    expect(meanTick([1000n, 1000n - 1800n * 100n - 1n], 1800)).toBe(-101);
    expect(meanTick([0n, -1800n * 100n], 1800)).toBe(-100);
    expect(() => meanTick([0n, 0n], 0)).toThrow(/positive/);
  });

  it("weights each price by how long it held, so one block's spike moves it little (attack: spot price manipulated for one block)", () => {
    // 1790 s at tick -92109 (~0.0001 ETH), 10 s at a spike 50% higher (+4055 ticks).
    const cumulative = -92109n * 1790n + (-92109n + 4055n) * 10n;
    const twap = twapPrice([0n, cumulative], 1800, true);
    const base = priceFromTick(-92109, true);
    const spike = priceFromTick(-92109 + 4055, true);
    expect(Number(spike) / Number(base)).toBeGreaterThan(1.49);
    expect(Number(twap) / Number(base)).toBeLessThan(1.003);
  });
});

describe("quotes, impact and bounds", () => {
  it("shows no price impact for a small trade in a deep pool and a growing one for larger trades", () => {
    const sqrt = sqrtPriceX96ForPrice(10n ** 14n, true);
    // ETH in (token1) for VIDYA out (token0): at 0.0001 ETH, 0.01 ETH after a 0.3% fee buys 99.7 VIDYA.
    const small = priceImpactPpm({ amountIn: 10n ** 16n, amountOut: 997n * 10n ** 17n, sqrtPriceX96: sqrt, vidyaIn: false, vidyaToken0: true, fee: 3000 });
    expect(small).toBeLessThanOrEqual(1);
    const big = priceImpactPpm({ amountIn: 10n ** 16n, amountOut: 90n * ONE_TOKEN, sqrtPriceX96: sqrt, vidyaIn: false, vidyaToken0: true, fee: 3000 });
    expect(big).toBeGreaterThan(97_000);
    expect(big).toBeLessThan(98_000);
  });

  it("bounds a swap by the slippage: minimum received rounds down, maximum sent rounds up", () => {
    expect(minimumReceived(100n * ONE_TOKEN, 50)).toBe(995n * 10n ** 17n);
    expect(maximumSent(10_000n, 50)).toBe(10_050n);
    expect(maximumSent(1n, 50)).toBe(2n);
    expect(minimumReceived(1n, 0)).toBe(1n);
    expect(() => minimumReceived(1n, 10_000)).toThrow(/slippage/);
  });

  it("reads --slippage as a percent and refuses nonsense (attack: a 100% bound that lets a sandwich take the trade)", () => {
    expect(parseSlippage("0.5")).toBe(50);
    expect(parseSlippage("1%")).toBe(100);
    expect(parseSlippage("0")).toBe(0);
    expect(() => parseSlippage("100")).toThrow(/at most 50%/);
    expect(() => parseSlippage("-1")).toThrow(/not a slippage/);
    expect(() => parseSlippage("abc")).toThrow(/not a slippage/);
  });

  it("values an amount at a price either way", () => {
    expect(valueAt(100n * ONE_TOKEN, 10n ** 14n, true)).toBe(10n ** 16n);
    expect(valueAt(10n ** 16n, 10n ** 14n, false)).toBe(100n * ONE_TOKEN);
  });
});

describe("amounts for people", () => {
  it("parses decimal amounts exactly and refuses wei-like or negative input", () => {
    expect(parseAmount("100", "VIDYA")).toBe(100n * ONE_TOKEN);
    expect(parseAmount("0.01", "ETH")).toBe(10n ** 16n);
    expect(parseAmount("1.000000000000000001", "ETH")).toBe(ONE_TOKEN + 1n);
    expect(() => parseAmount("0", "ETH")).toThrow(/more than 0/);
    expect(() => parseAmount("-1", "ETH")).toThrow(/not an amount of ETH/);
    expect(() => parseAmount("1e18", "VIDYA")).toThrow(/not an amount of VIDYA/);
    expect(() => parseAmount("0.0000000000000000001", "VIDYA")).toThrow(/not an amount/);
    for (const v of [100n * ONE_TOKEN, ONE_TOKEN + 1n, 5n * 10n ** 17n]) expect(parseAmount(decimalAmount(v), "VIDYA")).toBe(v);
    expect(decimalAmount(100n * ONE_TOKEN)).toBe("100");
  });

  it("prints ETH and prices with decimals, never wei", () => {
    expect(formatEth(10n ** 16n)).toBe("0.010000 ETH");
    expect(formatPrice(10n ** 14n)).toBe("0.00010000 ETH per VIDYA");
    // A sqrt price's rounding (…99999) reads as the price it was opened at.
    expect(formatPrice(10n ** 14n - 1n)).toBe("0.00010000 ETH per VIDYA");
    expect(formatPrice(123n * 10n ** 16n)).toBe("1.2300 ETH per VIDYA");
  });
});
