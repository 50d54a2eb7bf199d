import { describe, expect, it } from "vitest";
import { ACCESS_STAKE, BPS, BYTES_PER_GB, DEFAULT_NUMWANT, DOWNLOAD_PRICE_PER_GB, FREE_ALLOTMENT_BYTES, GATE_CAP_BPS, GATE_FLOOR_BPS, SATURATION_MAX_BPS, SLOW_INTERVAL_SECONDS, SLOW_NUMWANT } from "../params.ts";
import { downloadCharge, gateStake, initialAccess, joinShortfall, nextAccess, pricePerGB, uploadMultiplierBps } from "../economics/access.ts";
import { announcePace, dayOf, EMPTY_ALLOTMENT, freeRemaining, splitDownload } from "../economics/allotment.ts";
import { rng } from "./random.ts";

const GB = BYTES_PER_GB;

describe("access routes", () => {
  it("fixed gate: the access stake to join, downloads priced by surge", () => {
    const a = initialAccess("fixed-gate");
    expect(gateStake(a)).toBe(ACCESS_STAKE);
    expect(pricePerGB("fixed-gate", BPS)).toBe(DOWNLOAD_PRICE_PER_GB);
    expect(pricePerGB("fixed-gate", 25_000n)).toBe((DOWNLOAD_PRICE_PER_GB * 5n) / 2n);
    expect(nextAccess(a, SATURATION_MAX_BPS)).toEqual(a);
  });

  it("dynamic gate: downloads at a flat price, the gate moving one bounded step an epoch", () => {
    let a = initialAccess("dynamic-gate");
    expect(pricePerGB("dynamic-gate", 40_000n)).toBe(DOWNLOAD_PRICE_PER_GB);
    const r = rng(5);
    for (let i = 0; i < 2_000; i++) {
      const next = nextAccess(a, r.next() < 0.5 ? SATURATION_MAX_BPS : r.big(8_000n));
      const step = next.gateBps > a.gateBps ? next.gateBps - a.gateBps : a.gateBps - next.gateBps;
      expect(step * 8n).toBeLessThanOrEqual(a.gateBps);
      expect(next.gateBps >= GATE_FLOOR_BPS && next.gateBps <= GATE_CAP_BPS).toBe(true);
      a = next;
    }
    expect(gateStake({ route: "dynamic-gate", gateBps: 20_000n })).toBe(2n * ACCESS_STAKE);
  });

  it("asks a joiner for the stake and the fee it lacks, never less after a raised gate nor a negative rest (attack: join on an old, lower gate)", () => {
    const need = { gateStake: ACCESS_STAKE, joinFee: ACCESS_STAKE / 10n };
    expect(joinShortfall({ staked: 0n, joinFeePaid: 0n }, need)).toEqual({ stake: ACCESS_STAKE, fee: ACCESS_STAKE / 10n });
    expect(joinShortfall({ staked: ACCESS_STAKE * 2n, joinFeePaid: ACCESS_STAKE }, need)).toEqual({ stake: 0n, fee: 0n });
    // Paid in full at the old gate, the raised one asks only the difference of each.
    const raised = { gateStake: (ACCESS_STAKE * 9n) / 8n, joinFee: (ACCESS_STAKE * 9n) / 80n };
    expect(joinShortfall({ staked: ACCESS_STAKE, joinFeePaid: ACCESS_STAKE / 10n }, raised)).toEqual({ stake: ACCESS_STAKE / 8n, fee: ACCESS_STAKE / 80n });
  });

  it("pays uploaders by the surge on both routes", () => {
    expect(uploadMultiplierBps("fixed-gate", 30_000n)).toBe(30_000n);
    expect(uploadMultiplierBps("dynamic-gate", 30_000n)).toBe(30_000n);
  });

  it("charges bytes × price per GB, never more, and grows with bytes (monotonicity)", () => {
    expect(downloadCharge(GB / 2n, DOWNLOAD_PRICE_PER_GB)).toBe(DOWNLOAD_PRICE_PER_GB / 2n);
    const r = rng(9);
    for (let i = 0; i < 300; i++) {
      const b = r.big(100n * GB);
      const p = r.big(10n ** 19n);
      expect(downloadCharge(b + 1n, p)).toBeGreaterThanOrEqual(downloadCharge(b, p));
      expect(downloadCharge(b, p) * GB).toBeLessThanOrEqual(b * p);
    }
    expect(() => initialAccess("open" as never)).toThrow(RangeError);
  });
});

describe("freemium allotment", () => {
  it("gives 10 GB free in any 30 days, then charges a member with a deposit", () => {
    const d = dayOf(1_700_000_000);
    const a = splitDownload(EMPTY_ALLOTMENT, d, 6n * GB, true);
    expect(a).toMatchObject({ free: 6n * GB, paid: 0n, slowed: 0n });
    const b = splitDownload(a.state, d + 10, 6n * GB, true);
    expect(b).toMatchObject({ free: 4n * GB, paid: 2n * GB, slowed: 0n });
    expect(freeRemaining(b.state, d + 29)).toBe(0n);
    // Day d's 6 GB leave the window on day d + 30; day d + 10's 4 GB on d + 40.
    expect(freeRemaining(b.state, d + 30)).toBe(6n * GB);
    expect(freeRemaining(b.state, d + 40)).toBe(FREE_ALLOTMENT_BYTES);
  });

  it("slows a member without a deposit past the allotment instead of charging", () => {
    const s = splitDownload(EMPTY_ALLOTMENT, 100, 12n * GB, false);
    expect(s).toMatchObject({ free: FREE_ALLOTMENT_BYTES, paid: 0n, slowed: 2n * GB });
    expect(announcePace(true)).toEqual({ numwant: SLOW_NUMWANT, interval: SLOW_INTERVAL_SECONDS, minInterval: expect.any(Number) });
    expect(announcePace(false).numwant).toBe(DEFAULT_NUMWANT);
    expect(announcePace(true).numwant).toBeLessThan(announcePace(false).numwant);
  });

  it("never hands out more than the allotment in any 30-day window, and leaves the caller's state alone", () => {
    const r = rng(21);
    let s = EMPTY_ALLOTMENT;
    const free: bigint[] = [];
    for (let day = 0; day < 200; day++) {
      const before = JSON.stringify(s, (_, v) => (typeof v === "bigint" ? String(v) : v));
      const x = splitDownload(s, day, r.big(3n * GB), r.next() < 0.5);
      expect(JSON.stringify(s, (_, v) => (typeof v === "bigint" ? String(v) : v))).toBe(before);
      expect(x.free + x.paid + x.slowed >= x.free).toBe(true);
      free[day] = x.free;
      s = x.state;
      const window = free.slice(Math.max(0, day - 29), day + 1).reduce((a, b) => a + b, 0n);
      expect(window).toBeLessThanOrEqual(FREE_ALLOTMENT_BYTES);
    }
  });
});
