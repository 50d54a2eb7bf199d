import { describe, expect, it } from "vitest";
import { ACCESS_STAKE, BPS, GATE_CAP_BPS, JOIN_FEE_BPS, SATURATION_TARGET_BPS } from "../params.ts";
import { gateStake, joinFee } from "../economics/access.ts";
import { checkEpochAccess, epochAccess, type PublishedAccess } from "../economics/gate.ts";

const GB = 1_000_000_000n;
const published = (a: ReturnType<typeof epochAccess>): PublishedAccess => JSON.parse(JSON.stringify(a, (_k, v) => (typeof v === "bigint" ? v.toString() : v))) as PublishedAccess;

describe("the dynamic gate's epoch step", () => {
  it("raises the join stake when the network is saturated, one bounded step, and lowers it when idle", () => {
    const hot = epochAccess("dynamic-gate", BPS, [{ infoHash: "aa", demand: 30n * GB, capacity: 10n * GB }]);
    expect(hot.saturationBps).toBe(30_000n);
    expect(hot.nextGateBps).toBe(BPS + BPS / 8n);
    expect(hot.nextGateStake).toBe((ACCESS_STAKE * 9n) / 8n);
    expect(hot.nextJoinFee).toBe((hot.nextGateStake * JOIN_FEE_BPS) / BPS);
    const idle = epochAccess("dynamic-gate", BPS, [{ infoHash: "aa", demand: 0n, capacity: 10n * GB }]);
    expect(idle.nextGateBps).toBe(BPS - BPS / 8n);
  });

  it("measures the network as a whole: Σ demand ÷ Σ capacity, not a mean of ratios (attack: one tiny hot swarm moving the gate)", () => {
    const a = epochAccess("dynamic-gate", BPS, [
      { infoHash: "bb", demand: 1_000n, capacity: 1n }, // a swarm of one leecher and no seeder
      { infoHash: "aa", demand: 8n * GB, capacity: 100n * GB },
    ]);
    expect(a.saturationBps).toBeLessThan(SATURATION_TARGET_BPS);
    expect(a.nextGateBps).toBeLessThan(BPS);
    expect(a.swarms.map((s) => s.infoHash)).toEqual(["aa", "bb"]);
  });

  it("never moves the fixed gate", () => {
    const a = epochAccess("fixed-gate", BPS, [{ infoHash: "aa", demand: 100n * GB, capacity: 1n }]);
    expect(a.nextGateBps).toBe(BPS);
    expect(a.nextGateStake).toBe(ACCESS_STAKE);
    expect(a.nextJoinFee).toBe(joinFee({ route: "fixed-gate", gateBps: BPS }));
  });

  it("stays within the cap however long the network is saturated", () => {
    let gate = BPS;
    for (let i = 0; i < 200; i++) gate = epochAccess("dynamic-gate", gate, [{ infoHash: "aa", demand: 1n, capacity: 0n }]).nextGateBps;
    expect(gate).toBe(GATE_CAP_BPS);
    expect(gateStake({ route: "dynamic-gate", gateBps: gate })).toBe(10n * ACCESS_STAKE);
  });

  it("verifies a published step and names each way an edge could bend it (attack: edge sets the gate at will)", () => {
    const a = epochAccess("dynamic-gate", 12_000n, [{ infoHash: "aa", demand: 20n * GB, capacity: 10n * GB }]);
    expect(checkEpochAccess(published(a), 12_000n)).toEqual([]);
    expect(checkEpochAccess({ ...published(a), nextGateBps: "50000" }, 12_000n)[0]).toMatch(/next gate 50000 recomputes to/);
    expect(checkEpochAccess({ ...published(a), saturationBps: "1" }, 12_000n)[0]).toMatch(/saturation 1 recomputes/);
    expect(checkEpochAccess(published(a), BPS)[0]).toMatch(/is not the 10000 the previous close set/);
    expect(checkEpochAccess({ ...published(a), nextJoinFee: "1" }, 12_000n)).toHaveLength(1);
    expect(checkEpochAccess({ ...published(a), route: "open" as never }, 12_000n)[0]).toMatch(/unreadable/);
  });

  it("refuses negative loads and a zero gate", () => {
    expect(() => epochAccess("dynamic-gate", 0n, [])).toThrow(RangeError);
    expect(() => epochAccess("dynamic-gate", BPS, [{ infoHash: "aa", demand: -1n, capacity: 0n }])).toThrow(RangeError);
  });
});
