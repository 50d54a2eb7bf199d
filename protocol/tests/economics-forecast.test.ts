import { describe, expect, it } from "vitest";
import { BPS, SATURATION_MAX_BPS, SATURATION_TARGET_BPS, SEEDER_RATE_FLOOR, SURGE_CAP_BPS, SURGE_FLOOR_BPS, SURGE_HORIZON_SECONDS, SURGE_WINDOW_SECONDS } from "../params.ts";
import { EMPTY_FORECAST, forecast, networkSaturationBps, observeWindow, saturationBps, type ForecastState, type SwarmWindow } from "../economics/saturation.ts";
import { epochSurgeBps, nextSurgeBps } from "../economics/surge.ts";
import { rng } from "./random.ts";

const MB = 1_000_000n;
const window = (w: Partial<SwarmWindow>): SwarmWindow => ({ seconds: SURGE_WINDOW_SECONDS, downloaded: 0n, uploaded: 0n, left: 0n, leechers: 0, seeders: 0, ...w });
const run = (windows: SwarmWindow[], s: ForecastState = EMPTY_FORECAST) => windows.reduce(observeWindow, s);

describe("saturation", () => {
  it("is zero without demand and capped without capacity", () => {
    expect(saturationBps({ demand: 0n, capacity: 0n })).toBe(0n);
    expect(saturationBps({ demand: 0n, capacity: 10n })).toBe(0n);
    expect(saturationBps({ demand: 1n, capacity: 0n })).toBe(SATURATION_MAX_BPS);
    expect(saturationBps({ demand: 10n ** 30n, capacity: 1n })).toBe(SATURATION_MAX_BPS);
    expect(saturationBps({ demand: 3n, capacity: 4n })).toBe(7_500n);
  });

  it("forecasts the backlog plus the arrival rate over the horizon, against seeders × their rate", () => {
    // Two seeders; leechers lack 900 MB at the end and downloaded 300 MB in the window.
    const s = run([window({ downloaded: 300n * MB, uploaded: 300n * MB, left: 900n * MB, leechers: 3, seeders: 2 })]);
    const f = forecast(s);
    const h = BigInt(SURGE_HORIZON_SECONDS);
    const arrivals = (300n * MB + 900n * MB) / BigInt(SURGE_WINDOW_SECONDS);
    expect(f.demand).toBe(900n * MB + arrivals * h);
    // 300 MB over 300 s by two seeders is 0.5 MB/s each, below the floor: the floor stands.
    expect(f.capacity).toBe(2n * SEEDER_RATE_FLOOR * h);
  });

  it("sees a flash crowd in the window it arrives, through the backlog", () => {
    const quiet = run(Array.from({ length: 12 }, () => window({ downloaded: 10n * MB, uploaded: 10n * MB, left: 0n, leechers: 0, seeders: 4 })));
    const before = saturationBps(forecast(quiet));
    const crowd = observeWindow(quiet, window({ downloaded: 50n * MB, uploaded: 50n * MB, left: 200_000n * MB, leechers: 200, seeders: 4 }));
    const after = saturationBps(forecast(crowd));
    expect(before).toBeLessThan(SATURATION_TARGET_BPS);
    expect(after).toBeGreaterThan(10n * BPS);
  });

  it("rises with demand and falls with seeders, whatever the swarm (monotonicity)", () => {
    const r = rng(7);
    for (let i = 0; i < 300; i++) {
      const base = window({ downloaded: r.big(10_000n * MB), uploaded: r.big(10_000n * MB), left: r.big(50_000n * MB), leechers: 1 + r.int(100), seeders: 1 + r.int(50) });
      const s0 = run([window({ left: r.big(1_000n * MB), leechers: 1, seeders: 1 })]);
      const more = { ...base, left: base.left + 1n + r.big(10_000n * MB) };
      expect(saturationBps(forecast(observeWindow(s0, more)))).toBeGreaterThanOrEqual(saturationBps(forecast(observeWindow(s0, base))));
      const seeded = observeWindow(s0, base);
      const moreSeeders = { ...seeded, seeders: seeded.seeders + 1 + r.int(10) };
      expect(saturationBps(forecast(moreSeeders))).toBeLessThanOrEqual(saturationBps(forecast(seeded)));
    }
  });

  it("learns the seeders' rate only when leechers were left wanting", () => {
    const busy = run([window({ uploaded: 30n * SEEDER_RATE_FLOOR * 300n, left: 1n, leechers: 5, seeders: 10 })]);
    expect(busy.seederRate).toBe(3n * SEEDER_RATE_FLOOR);
    const idle = observeWindow(busy, window({ uploaded: 0n, left: 0n, leechers: 0, seeders: 10 }));
    expect(idle.seederRate).toBe(busy.seederRate);
  });

  it("converges to a steady arrival rate (EWMA)", () => {
    const steady = run(Array.from({ length: 60 }, () => window({ downloaded: 60n * MB, uploaded: 60n * MB, left: 0n, leechers: 1, seeders: 1 })));
    expect(steady.demandRate).toBeGreaterThanOrEqual(199_000n);
    expect(steady.demandRate).toBeLessThanOrEqual(200_000n);
  });

  it("takes the network's saturation over all swarms' demand and capacity", () => {
    expect(networkSaturationBps([{ demand: 1n, capacity: 4n }, { demand: 5n, capacity: 4n }])).toBe(7_500n);
  });

  it("refuses a window without time or with negative counts", () => {
    expect(() => observeWindow(EMPTY_FORECAST, window({ seconds: 0 }))).toThrow(RangeError);
    expect(() => observeWindow(EMPTY_FORECAST, window({ downloaded: -1n }))).toThrow(RangeError);
  });
});

describe("surge", () => {
  it("moves at most one eighth of itself a window, toward the target, within floor and cap (bounds)", () => {
    const r = rng(11);
    let m = BPS;
    for (let i = 0; i < 5_000; i++) {
      const s = r.next() < 0.1 ? SATURATION_MAX_BPS : r.big(4n * SATURATION_TARGET_BPS);
      const next = nextSurgeBps(m, s);
      const step = next > m ? next - m : m - next;
      expect(step * 8n).toBeLessThanOrEqual(m);
      expect(next).toBeGreaterThanOrEqual(SURGE_FLOOR_BPS);
      expect(next).toBeLessThanOrEqual(SURGE_CAP_BPS);
      if (s > SATURATION_TARGET_BPS) expect(next).toBeGreaterThanOrEqual(m);
      if (s < SATURATION_TARGET_BPS) expect(next).toBeLessThanOrEqual(m);
      m = next;
    }
  });

  it("holds still at the target and is monotone in saturation", () => {
    expect(nextSurgeBps(12_345n, SATURATION_TARGET_BPS)).toBe(12_345n);
    const r = rng(3);
    for (let i = 0; i < 500; i++) {
      const m = SURGE_FLOOR_BPS + r.big(SURGE_CAP_BPS - SURGE_FLOOR_BPS);
      const a = r.big(SATURATION_MAX_BPS);
      const b = a + r.big(SATURATION_MAX_BPS);
      expect(nextSurgeBps(m, b)).toBeGreaterThanOrEqual(nextSurgeBps(m, a));
    }
  });

  it("takes twelve windows (an hour) from 1× to the 4× cap under a shock, and decays to the floor when idle", () => {
    let m = BPS;
    let windows = 0;
    while (m < SURGE_CAP_BPS) {
      m = nextSurgeBps(m, SATURATION_MAX_BPS);
      windows++;
    }
    expect(windows).toBe(12);
    for (let i = 0; i < 100; i++) m = nextSurgeBps(m, 0n);
    expect(m).toBe(SURGE_FLOOR_BPS);
  });

  it("averages an epoch's windows for settlement, 1× without any", () => {
    expect(epochSurgeBps([])).toBe(BPS);
    expect(epochSurgeBps([10_000n, 20_000n, 30_001n])).toBe(20_000n);
  });
});
