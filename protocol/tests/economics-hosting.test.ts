import { describe, expect, it } from "vitest";
import { BPS, GEO_BOOST_BPS } from "../params.ts";
import { demandWeightBps, hostingRewards, replicasFromChallenges, scarcityWeightBps, type HostedTorrent, type ProvenReplica } from "../economics/hosting-rewards.ts";
import { detCos, detSin, distanceKm, fartherThan, isolated } from "../economics/geo.ts";
import { rng } from "./random.ts";

const POOL = 1_000_000_000_000n;
const T: HostedTorrent[] = [
  { infoHash: "aa", length: 1_000_000 },
  { infoHash: "bb", length: 3_000_000, surgeBps: 15_000n },
  { infoHash: "cc", length: 2_000_000 },
];
const PARIS = { lat: 48.8566, lon: 2.3522 };
const VERSAILLES = { lat: 48.8049, lon: 2.1204 };
const LYON = { lat: 45.764, lon: 4.8357 };
const TOKYO = { lat: 35.6762, lon: 139.6503 };
const replica = (node: string, infoHash: string, host: string, since = 1, location?: { lat: number; lon: number }): ProvenReplica => ({ node, infoHash, host, since, location });

describe("geo", () => {
  it("computes sine and cosine identically to within 1e-15 of Math's, from + − × ÷ only", () => {
    for (let x = -6; x <= 6; x += 0.001) {
      expect(Math.abs(detSin(x) - Math.sin(x))).toBeLessThan(1e-15);
      expect(Math.abs(detCos(x) - Math.cos(x))).toBeLessThan(1e-15);
    }
  });

  it("tells which seeds are more than 100 km apart", () => {
    expect(distanceKm(PARIS, LYON)).toBeGreaterThan(390);
    expect(distanceKm(PARIS, LYON)).toBeLessThan(395);
    expect(fartherThan(PARIS, LYON, 100)).toBe(true);
    expect(fartherThan(PARIS, VERSAILLES, 100)).toBe(false);
    expect(isolated([PARIS, VERSAILLES, LYON, TOKYO], 100)).toEqual([false, false, true, true]);
  });
});

describe("hosting rewards", () => {
  it("weighs scarcity 3× alone, 1× at three, 0.25× at twelve and less beyond (no floor); demand from 1× to 2×", () => {
    expect([0, 1, 2, 5, 11, 1000].map(scarcityWeightBps)).toEqual([30_000n, 15_000n, 10_000n, 5_000n, 2_500n, 29n]);
    expect([5_000n, 10_000n, 15_000n, 40_000n].map(demandWeightBps)).toEqual([10_000n, 10_000n, 15_000n, 20_000n]);
  });

  it("counts one replica per /24 (or /48): three identities on one address earn what one does", () => {
    const alone = hostingRewards([replica("0x01", "aa", "10.0.0.1"), replica("0x09", "aa", "192.168.7.1")], T, POOL);
    const sybil = hostingRewards(
      [replica("0x01", "aa", "10.0.0.1"), replica("0x02", "aa", "10.0.0.2"), replica("0x03", "aa", "10.0.0.99"), replica("0x09", "aa", "192.168.7.1")],
      T,
      POOL,
    );
    const earnedBy = (r: typeof sybil, nodes: string[]) => nodes.reduce((s, n) => s + (r.perNode.get(n) ?? 0n), 0n);
    expect(earnedBy(sybil, ["0x01", "0x02", "0x03"])).toBe(earnedBy(alone, ["0x01"]));
    expect(sybil.replicas.filter((r) => !r.counted).map((r) => [r.node, r.shadowedBy])).toEqual([["0x02", "0x01"], ["0x03", "0x01"]]);
    const v6 = hostingRewards([replica("0x01", "aa", "2001:db8:1:2::1"), replica("0x02", "aa", "2001:db8:1:2:ffff::9"), replica("0x03", "aa", "2001:db8:1:3::1")], T, POOL);
    // 2001:db8:1:2:: and 2001:db8:1:3:: are two /64s of one /48: one counts.
    expect(v6.replicas.map((r) => r.counted)).toEqual([true, false, false]);
  });

  it("keeps the most senior replica of a subnet, whatever the order given", () => {
    const r = hostingRewards([replica("0x01", "aa", "10.0.0.1", 9), replica("0x02", "aa", "10.0.0.2", 3)], T, POOL);
    expect(r.counted.get("aa")).toEqual(["0x02"]);
  });

  it("boosts by 15% a replica more than 100 km from every other seed, or among the first third", () => {
    const r = hostingRewards(
      [
        replica("0x01", "cc", "1.0.0.1", 1, PARIS),
        replica("0x02", "cc", "2.0.0.1", 2, VERSAILLES),
        replica("0x03", "cc", "3.0.0.1", 3, LYON),
        replica("0x04", "cc", "4.0.0.1", 4, VERSAILLES),
        replica("0x05", "cc", "5.0.0.1", 5),
      ],
      T,
      POOL,
    );
    const boost = Object.fromEntries(r.replicas.map((o) => [o.node, o.boost]));
    // 0x01 and 0x02 are the first third (⌈5/3⌉ = 2) but 0x01 is near Versailles; 0x03 is far from all.
    expect(boost).toEqual({ "0x01": "early", "0x02": "early", "0x03": "far", "0x04": null, "0x05": null });
    const w = Object.fromEntries(r.replicas.map((o) => [o.node, o.weight]));
    // 1.15 × the weight of an unboosted replica of the same torrent, to rounding (weights are exact quotients).
    const diff = w["0x03"]! * BPS - w["0x04"]! * (BPS + GEO_BOOST_BPS);
    expect(diff < 0n ? -diff : diff).toBeLessThanOrEqual(2n * (BPS + GEO_BOOST_BPS));
  });

  it("never pays more than the pool, loses less than one wei a replica, and pays nothing without replicas (conservation)", () => {
    const r = rng(17);
    for (let i = 0; i < 200; i++) {
      const replicas: ProvenReplica[] = [];
      const seen = new Set<string>();
      for (let k = 0; k < 1 + r.int(40); k++) {
        const node = `0x${r.int(30).toString(16).padStart(2, "0")}`;
        const t = r.pick(T).infoHash;
        if (seen.has(node + t)) continue;
        seen.add(node + t);
        replicas.push(replica(node, t, `${r.int(5)}.${r.int(3)}.0.${r.int(200)}`, r.int(10), r.next() < 0.5 ? { lat: r.next() * 120 - 60, lon: r.next() * 360 - 180 } : undefined));
      }
      const pool = r.big(10n ** 24n);
      const out = hostingRewards(replicas, T, pool);
      const counted = out.replicas.filter((o) => o.counted).length;
      expect(out.paid).toBeLessThanOrEqual(pool);
      expect(pool - out.paid).toBeLessThan(BigInt(counted));
      expect([...out.perNode.values()].reduce((a, b) => a + b, 0n)).toBe(out.paid);
    }
    expect(hostingRewards([], T, POOL)).toMatchObject({ paid: 0n, totalWeight: 0n });
  });

  it("pays more to a node for more bytes, more demand, fewer companions (monotonicity)", () => {
    const base = [replica("0x01", "aa", "1.0.0.1"), replica("0x02", "cc", "2.0.0.1"), replica("0x03", "cc", "3.0.0.1")];
    const r0 = hostingRewards(base, T, POOL).perNode.get("0x01")!;
    const bigger = hostingRewards(base, [{ ...T[0]!, length: 2_000_000 }, T[1]!, T[2]!], POOL).perNode.get("0x01")!;
    const hotter = hostingRewards(base, [{ ...T[0]!, surgeBps: 18_000n }, T[1]!, T[2]!], POOL).perNode.get("0x01")!;
    const crowded = hostingRewards([...base, replica("0x04", "aa", "4.0.0.1")], T, POOL).perNode.get("0x01")!;
    expect(bigger).toBeGreaterThan(r0);
    expect(hotter).toBeGreaterThan(r0);
    expect(crowded).toBeLessThan(r0);
  });

  it("derives proven replicas from transcripts: every challenge passed, contested roots excluded", () => {
    const pairs = replicasFromChallenges(
      [
        { node: "0xA", infoHash: "t1", verdict: "pass", host: "1.1.1.1" },
        { node: "0xa", infoHash: "t1", verdict: "pass", host: "1.1.1.2" },
        { node: "0xb", infoHash: "t1", verdict: "timeout" },
        { node: "0xc", infoHash: "t3", verdict: "pass" },
      ],
      [{ infoHash: "t3", rootStatus: "contested" }],
    );
    expect(pairs).toEqual([{ node: "0xa", infoHash: "t1", host: "1.1.1.2" }]);
  });

  it("refuses a replica listed twice", () => {
    expect(() => hostingRewards([replica("0x01", "aa", "1.1.1.1"), replica("0x01", "aa", "1.1.1.1")], T, POOL)).toThrow(RangeError);
  });

  it("skips a replica of an unknown torrent or of one with an unsafe length, and pays the others (attack: one crafted upload stops every close)", () => {
    const bad = [...T, { infoHash: "dd", length: 2 ** 53 + 2 }];
    const r = hostingRewards([replica("0x01", "zz", "1.1.1.1"), replica("0x02", "dd", "2.2.2.2"), replica("0x03", "aa", "3.3.3.3")], bad as typeof T, POOL);
    expect(r.skipped.map((s) => [s.node, s.infoHash])).toEqual([["0x01", "zz"], ["0x02", "dd"]]);
    expect(r.skipped[1]!.reason).toMatch(/valid length/);
    expect([...r.perNode.keys()]).toEqual(["0x03"]);
    expect(r.paid).toBeGreaterThan(0n);
  });
});
