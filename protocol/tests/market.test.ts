import { describe, expect, it } from "vitest";
import { ethToVidya, quoteAtTick, vidyaToEth, type Twap } from "../market/twap.ts";
import { MAX_TICK, MIN_TICK, meanTick, sqrtRatioAtTick } from "../market/price.ts";
import { formatEth, formatEthWorth, formatToken, formatVidya } from "../format.ts";
import { ACCESS_STAKE, ONE_TOKEN } from "../params.ts";

const Q96 = 1n << 96n;

describe("TWAP conversions (Uniswap v3 TickMath and OracleLibrary, ported)", () => {
  it("gives TickMath's own bounds and 1.0 at tick 0 (vectors from TickMath.sol)", () => {
    expect(sqrtRatioAtTick(0)).toBe(Q96);
    expect(sqrtRatioAtTick(MIN_TICK)).toBe(4295128739n); // TickMath.MIN_SQRT_RATIO
    expect(sqrtRatioAtTick(MAX_TICK)).toBe(1461446703485210103287273052203988822378723970342n); // MAX_SQRT_RATIO
    expect(() => sqrtRatioAtTick(MAX_TICK + 1)).toThrow(/out of range/);
    expect(() => sqrtRatioAtTick(1.5)).toThrow(/out of range/);
  });

  it("matches sqrt(1.0001^tick) across the range", () => {
    for (const tick of [-200_000, -50_001, -1, 1, 7, 46_054, 92_108, 300_000]) {
      const exact = Math.sqrt(1.0001 ** tick);
      const got = Number(sqrtRatioAtTick(tick)) / 2 ** 96;
      expect(Math.abs(got / exact - 1), String(tick)).toBeLessThan(1e-9);
    }
  });

  it("averages the window, so a tick pushed for the last second barely moves it (attack: one-block price push)", () => {
    // 1,799 s at tick 1000, then 1 s at tick 200,000 (a flash push): the mean stays near 1000.
    const then = 5_000_000n;
    const now = then + 1_799n * 1000n + 200_000n;
    const t = meanTick([then, now], 1_800);
    expect(t).toBe(1110);
    expect(t).toBeLessThan(2_000);
  });

  it("rounds a negative mean toward negative infinity, as OracleLibrary.consult does", () => {
    expect(meanTick([0n, -7n], 2)).toBe(-4);
    expect(meanTick([0n, -8n], 2)).toBe(-4);
    expect(meanTick([0n, 7n], 2)).toBe(3);
    expect(() => meanTick([0n, 0n], 0)).toThrow(/positive/);
  });

  it("quotes both directions at a tick, each the inverse of the other within rounding", () => {
    // tick 23,027 ≈ price 10 (token1 per token0).
    const out = quoteAtTick(23_027, ONE_TOKEN, true);
    expect(Number(out) / 1e18).toBeCloseTo(10, 3);
    const back = quoteAtTick(23_027, out, false);
    expect(Number(back) / 1e18).toBeCloseTo(1, 6);
    expect(() => quoteAtTick(0, -1n, true)).toThrow(RangeError);
  });

  it("converts VIDYA to ETH whichever of the two has the lower address", () => {
    const low = "0x1000000000000000000000000000000000000000";
    const high = "0x9000000000000000000000000000000000000000";
    // 1 VIDYA = 0.0001 ETH: tick ≈ ln(1e-4)/ln(1.0001) = -92,108 when VIDYA is token0.
    const vidyaFirst: Twap = { vidya: low, weth: high, secondsAgo: 1_800, tick: -92_108 };
    const wethFirst: Twap = { vidya: high, weth: low, secondsAgo: 1_800, tick: 92_108 };
    for (const t of [vidyaFirst, wethFirst]) {
      const eth = vidyaToEth(t, ACCESS_STAKE);
      expect(Number(eth) / 1e18).toBeCloseTo(0.01, 5);
      expect(Number(ethToVidya(t, eth)) / 1e18).toBeCloseTo(100, 3);
    }
    // A genesis supply's worth (past a uint128 in wei-like units) still converts.
    expect(vidyaToEth(vidyaFirst, 10n ** 39n) > 0n).toBe(true);
  });
});

describe("amounts for people", () => {
  it("prints VIDYA and ETH with decimals, never wei (finding: 'needs 100000000000000000000 more VIDYA (wei)')", () => {
    expect(formatVidya(ACCESS_STAKE)).toBe("100.0000 VIDYA");
    expect(formatVidya(12_345_678n * 10n ** 14n)).toBe("1234.5678 VIDYA");
    expect(formatEth(10n ** 16n)).toBe("0.010000 ETH");
    expect(formatVidya(-(ONE_TOKEN / 2n))).toBe("-0.5000 VIDYA");
  });

  it("never prints a non-zero amount as zero (finding: a shortfall of a few wei read as 0.0000)", () => {
    expect(formatVidya(5n)).toBe("<0.0001 VIDYA");
    expect(formatEth(1n)).toBe("<0.000001 ETH");
    expect(formatToken(0n, "VIDYA")).toBe("0.0000 VIDYA");
  });

  it("shows an ETH worth with three significant digits, so a GB's price does not read as 0.000009 (finding: ETH figures rounded to nothing)", () => {
    expect(formatEthWorth(9_999_000_000_000n)).toBe("0.00000999 ETH");
    expect(formatEthWorth(10n ** 16n)).toBe("0.010000 ETH");
    expect(formatEthWorth(123n)).toBe("0.000000000000000123 ETH");
    expect(formatEthWorth(0n)).toBe("0.000000 ETH");
  });
});
