// Identity costs and penalties per replica (issue 11 parts 4 and 5), each test named for the
// attack or finding it pins: the attacker's profit per unit of cost is at most its honest twin's,
// and honest rewards are unchanged by the attack.

import { describe, expect, it } from "vitest";
import { BPS, BYTES_PER_GB, FAULT_FEE_EPOCHS_BASE, FAULT_FEE_EPOCHS_CAP, HOLDBACK_AGE_RAMP_SECONDS, HOLDBACK_BPS, HOLDBACK_NEW_BPS, HOLDBACK_NEW_VESTING_SECONDS, HOLDBACK_VESTING_SECONDS, EPOCH_SECONDS, ONE_TOKEN, REPLICA_SUSPENSION_STREAK, VETTING_AUDITS, VETTING_START_BPS } from "../params.ts";
import type { EvaluatedChallenge } from "../epoch/evaluate.ts";
import { replicaFaultFee } from "../epoch/replica-faults.ts";
import { nextVetting } from "../epoch/vetting.ts";
import { hostingRewards, vettingBps, type HostedTorrent, type ProvenReplica } from "../economics/hosting-rewards.ts";
import { claimWithHoldback, EMPTY_HELD, HOLDBACK, holdbackAt, vestedAt, type HeldSchedule } from "../economics/holdback.ts";
import { settleEpoch, type PreviousSettlement, type SettleTorrent } from "../economics/settle.ts";
import { rng } from "./random.ts";

const GB = Number(BYTES_PER_GB);
const POOL = 1_000n * ONE_TOKEN;
const honest = (i: number) => `0x${(0x5000 + i).toString(16).padStart(40, "0")}`;
const sybil = (i: number) => `0x${(0x6000 + i).toString(16).padStart(40, "0")}`;
const X = "1".repeat(40);
const Y = "2".repeat(40);
const T: HostedTorrent[] = [
  { infoHash: X, length: 4 * GB },
  { infoHash: Y, length: 7 * GB },
];
const rep = (node: string, infoHash: string, host: string, vetting: bigint = BPS, since = 1): ProvenReplica => ({ node, infoHash, host, since, vettingBps: vetting });
// Honest replicas: two of X, three of Y, on distinct IPv4 /24s, vetted.
const HONEST = [rep(honest(1), X, "10.1.0.1"), rep(honest(2), X, "10.2.0.1"), rep(honest(3), Y, "10.3.0.1"), rep(honest(4), Y, "10.4.0.1"), rep(honest(5), Y, "10.5.0.1")];
const torrentPaid = (r: ReturnType<typeof hostingRewards>, infoHash: string) => r.replicas.filter((o) => o.infoHash === infoHash).reduce((s, o) => s + o.reward, 0n);
const torrentWeight = (r: ReturnType<typeof hostingRewards>, infoHash: string) => r.replicas.filter((o) => o.infoHash === infoHash).reduce((s, o) => s + o.weight, 0n);
const earnedBy = (r: ReturnType<typeof hostingRewards>, nodes: string[]) => nodes.reduce((s, n) => s + (r.perNode.get(n) ?? 0n), 0n);

describe("identity costs (attack: free identities)", () => {
  it("k Sybil replicas on k /64s of one IPv6 /48 count once: together they earn what one replica does", () => {
    const one = hostingRewards([...HONEST, rep(sybil(0), X, "2001:db8:77:1::1")], T, POOL);
    for (const k of [2, 5, 20]) {
      const many = hostingRewards([...HONEST, ...Array.from({ length: k }, (_, i) => rep(sybil(i), X, `2001:db8:77:${(i + 1).toString(16)}::1`))], T, POOL);
      const sybils = Array.from({ length: k }, (_, i) => sybil(i));
      expect(earnedBy(many, sybils)).toBe(earnedBy(one, [sybil(0)]));
      // Honest rewards are those of the one-extra-replica network: the attack changes nothing.
      for (let h = 1; h <= 5; h++) expect(many.perNode.get(honest(h))).toBe(one.perNode.get(honest(h)));
    }
  });

  it("k Sybil replicas on k /48s of one IPv6 /32 add nothing to what the torrent pays, and earn no more per replica than an honest replica (profit per unit of cost ≤ honest twin's)", () => {
    const base = hostingRewards(HONEST, T, POOL);
    // The honest twin: one more honest replica of X (a third, its target replication).
    const twin = hostingRewards([...HONEST, rep(honest(9), X, "10.9.0.1")], T, POOL);
    const twinPerReplica = twin.perNode.get(honest(9))!;
    for (const k of [1, 2, 3, 10, 11, 30]) {
      const attacked = hostingRewards([...HONEST, ...Array.from({ length: k }, (_, i) => rep(sybil(i), X, `2001:db8:${(i + 1).toString(16)}::1`))], T, POOL);
      const sybils = Array.from({ length: k }, (_, i) => sybil(i));
      // The torrent's total weight stops growing at its target replication (3): 3 × length for
      // any number of vetted replicas (geo boosts move shares within it), to rounding.
      const unit = BigInt(4 * GB) * 3n * BPS * BPS * BPS;
      expect(torrentWeight(attacked, X)).toBeLessThanOrEqual(unit);
      expect(torrentWeight(attacked, X) * 10_000n).toBeGreaterThanOrEqual(unit * 9_999n);
      expect(torrentWeight(attacked, X)).toBeLessThanOrEqual((torrentWeight(twin, X) * 10_001n) / 10_000n);
      // Every replica is a disk and an identity: the Sybil's earnings per replica are at most the honest twin's.
      expect(earnedBy(attacked, sybils) / BigInt(k)).toBeLessThanOrEqual(twinPerReplica);
      // The rest of the network (torrent Y's hosts) is paid what it is without the attack (the
      // pool is shared by weight, and X weighs what it did), to rounding.
      for (const h of [3, 4, 5]) expect(Number(attacked.perNode.get(honest(h))!) / Number(base.perNode.get(honest(h))!)).toBeCloseTo(1, 3);
      expect(torrentPaid(attacked, Y)).toBeGreaterThan(0n);
    }
  });

  it("fresh identities earn on a vetting ramp and barely dilute vetted hosts (attack: a swarm of new node keys)", () => {
    expect(vettingBps(0)).toBe(VETTING_START_BPS);
    expect(vettingBps(VETTING_AUDITS / 2)).toBe((VETTING_START_BPS + BPS) / 2n);
    expect(vettingBps(VETTING_AUDITS)).toBe(BPS);
    expect(vettingBps(10 * VETTING_AUDITS)).toBe(BPS);
    const twin = hostingRewards([...HONEST, rep(honest(9), X, "10.9.0.1")], T, POOL);
    for (const k of [1, 5, 10]) {
      const attacked = hostingRewards([...HONEST, ...Array.from({ length: k }, (_, i) => rep(sybil(i), X, `10.${100 + i}.0.1`, vettingBps(0)))], T, POOL);
      const perReplica = earnedBy(attacked, Array.from({ length: k }, (_, i) => sybil(i))) / BigInt(k);
      // A fresh replica earns at most its ramp's share of what a vetted twin earns.
      expect(perReplica * BPS).toBeLessThanOrEqual((twin.perNode.get(honest(9))! * VETTING_START_BPS * 3n) / 2n);
      expect(perReplica).toBeLessThan(twin.perNode.get(honest(9))!);
      // X's honest hosts keep at least 2 ÷ (2 + k × ramp) of the torrent: fresh keys weigh a tenth each.
      const xHonest = earnedBy(attacked, [honest(1), honest(2)]);
      const xTotal = torrentPaid(attacked, X);
      expect(xHonest * (2n * BPS + BigInt(k) * VETTING_START_BPS)).toBeGreaterThanOrEqual(xTotal * 2n * BPS - 10n ** 6n);
    }
  });

  it("carries each node's passed audits from epoch to epoch, so a new node reaches full weight after VETTING_AUDITS passes", () => {
    const ch = (node: string, verdict: string, infoHash = X): EvaluatedChallenge => ({ node, infoHash, verdict, host: "10.1.0.1" });
    let state = nextVetting([], [ch(honest(1), "pass"), ch(honest(1), "pass"), ch(honest(1), "timeout"), ch(honest(2), "timeout")], [{ infoHash: X, length: 1, rootStatus: "confirmed" }]);
    expect(state).toEqual([{ node: honest(1), audits: 2 }]);
    // Passes on a contested root prove nothing and vet nothing.
    state = nextVetting(state, [ch(honest(1), "pass")], [{ infoHash: X, length: 1, rootStatus: "contested" }]);
    expect(state).toEqual([{ node: honest(1), audits: 2 }]);
    const many = Array.from({ length: 500 }, () => ch(honest(1), "pass"));
    expect(nextVetting(state, many, [])).toEqual([{ node: honest(1), audits: VETTING_AUDITS }]);
    expect(() => nextVetting([{ node: honest(1), audits: -1 }], [], [])).toThrow(RangeError);

    // Through settleEpoch: a new node's ramp rises epoch by epoch with the audits it brought in.
    const torrents: SettleTorrent[] = [{ infoHash: X, length: 4 * GB, rootStatus: "confirmed" }];
    let previous: PreviousSettlement = { vetting: [{ node: honest(1), audits: VETTING_AUDITS }] };
    const ramps: bigint[] = [];
    for (let e = 1; e <= 4; e++) {
      const challenges = [ch(honest(1), "pass"), ...Array.from({ length: 40 }, () => ({ ...ch(honest(2), "pass"), host: "10.2.0.1" }))];
      const s = settleEpoch({ epoch: e, challenges, torrents, previous });
      ramps.push(s.hosting.replicas.find((r) => r.node === honest(2))!.vettingBps);
      previous = { vetting: s.vetting, seniority: s.seniority, replicaFaults: s.replicaFaults, faults: s.faults };
    }
    expect(ramps).toEqual([vettingBps(0), vettingBps(40), vettingBps(80), BPS]);
  });
});

/** A network: `nodes` each holding torrents of `length`; node i on its own /24. */
function network(sizes: { node: string; torrents: number; length: number }[]) {
  const torrents: SettleTorrent[] = [];
  const holdings: { node: string; infoHash: string; host: string }[] = [];
  sizes.forEach((n, i) => {
    for (let t = 0; t < n.torrents; t++) {
      const infoHash = `${i.toString(16).padStart(4, "0")}${t.toString(16).padStart(36, "0")}`;
      torrents.push({ infoHash, length: n.length, rootStatus: "confirmed" });
      holdings.push({ node: n.node, infoHash, host: `10.${i}.0.1` });
    }
  });
  const vetting = sizes.map((n) => ({ node: n.node, audits: VETTING_AUDITS }));
  return { torrents, holdings, vetting };
}

/** Settles `epochs` epochs; `verdict(node, infoHash, epoch)` for each holding. Returns per-epoch settlements. */
function run(net: ReturnType<typeof network>, epochs: number, verdict: (node: string, infoHash: string, epoch: number) => string) {
  let previous: PreviousSettlement = { vetting: net.vetting };
  const out = [];
  for (let e = 1; e <= epochs; e++) {
    const challenges = net.holdings.map((h) => ({ ...h, verdict: verdict(h.node, h.infoHash, e) }));
    const s = settleEpoch({ epoch: e, challenges, torrents: net.torrents, previous });
    out.push(s);
    previous = { vetting: s.vetting, seniority: s.seniority, replicaFaults: s.replicaFaults, faults: s.faults, slashed: s.slashedLeaves };
  }
  return out;
}

describe("penalties scaled to the replica (finding: absolute per-node fees)", () => {
  it("escalates a replica's fee from two epochs of its expected reward, doubling, capped at FAULT_FEE_EPOCHS_CAP", () => {
    const e = 1_000n;
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((s) => replicaFaultFee(s, e))).toEqual([0n, 2_000n, 4_000n, 8_000n, 16_000n, 24_000n, 24_000n, 24_000n]);
    expect(FAULT_FEE_EPOCHS_BASE).toBe(2n);
    expect(FAULT_FEE_EPOCHS_CAP).toBe(24n);
    expect(replicaFaultFee(5, 0n)).toBe(0n);
  });

  it("a 5 GB node's 8-hour outage costs in proportion to its replicas' expected reward, as a 5 TB node's does", () => {
    // Two networks alike but for the faulty node's size; the rest of the network holds ~50 TB.
    const rest = Array.from({ length: 10 }, (_, i) => ({ node: honest(20 + i), torrents: 5, length: 1_000 * GB }));
    const cost = (length: number) => {
      const small = { node: sybil(1), torrents: 5, length };
      const net = network([small, ...rest]);
      // Epochs 1-2 healthy, 3-10 (eight hourly epochs) down, 11 back.
      const epochs = run(net, 11, (node, _h, e) => (node === sybil(1) && e >= 3 && e <= 10 ? "timeout" : "pass"));
      const income = epochs[1]!.earned.get(sybil(1))!;
      const slashed = epochs.reduce((s, x) => s + (x.slashed.get(sybil(1)) ?? 0n), 0n);
      const suspendedEpochs = epochs.filter((x) => x.suspended.some((r) => r.node === sybil(1))).length;
      return { income, slashed, ratio: Number(slashed) / Number(income), suspendedEpochs };
    };
    const gb5 = cost(GB); // 5 × 1 GB
    const tb5 = cost(1_000 * GB); // 5 × 1 TB
    expect(tb5.income).toBeGreaterThan(500n * gb5.income);
    // 2 + 4 + 8 + 16 + 24 + 24 + 24 = 102 epochs of each replica's expected reward, for both
    // (a missing replica is priced without geo boost: its healthy income here had the +15% early boost).
    expect(gb5.ratio).toBeGreaterThan(102 / 1.15 - 1);
    expect(gb5.ratio).toBeLessThan(103);
    expect(Math.abs(gb5.ratio - tb5.ratio) / gb5.ratio).toBeLessThan(0.05);
    // Back online, each replica serves one unpaid epoch of suspension, then earns again.
    expect(gb5.suspendedEpochs).toBe(1);
  });

  it("a node with 1,000 torrents missing 0.2% of its challenges at random is not suspended, and keeps its income", () => {
    const r = rng(11);
    const big = { node: sybil(2), torrents: 1_000, length: GB };
    const twin = { node: honest(2), torrents: 1_000, length: GB };
    const net = network([big, twin, { node: honest(3), torrents: 50, length: 20 * GB }]);
    const epochs = run(net, 25, (node) => (node === sybil(2) && r.next() < 0.002 ? "timeout" : "pass"));
    let flaky = 0n;
    let steady = 0n;
    let fees = 0n;
    let suspendedReplicas = 0;
    for (const s of epochs) {
      flaky += s.earned.get(sybil(2)) ?? 0n;
      steady += s.earned.get(honest(2)) ?? 0n;
      fees += s.slashed.get(sybil(2)) ?? 0n;
      suspendedReplicas += s.suspended.filter((x) => x.node === sybil(2)).length;
      // Never the whole node: it earns every epoch.
      expect(s.earned.get(sybil(2))!).toBeGreaterThan(0n);
    }
    expect(suspendedReplicas).toBeLessThanOrEqual(1);
    // It loses about what it missed (0.2%), never most of its income.
    expect(Number(flaky - fees) / Number(steady)).toBeGreaterThan(0.99);
    expect(REPLICA_SUSPENSION_STREAK).toBeGreaterThanOrEqual(3);
  }, 60_000);

  it("a replica that keeps failing is suspended and pays growing fees while the node's other replicas earn in full (attack: a relay that answers only what it can fetch)", () => {
    const net = network([{ node: sybil(3), torrents: 4, length: 10 * GB }, ...Array.from({ length: 3 }, (_, i) => ({ node: honest(40 + i), torrents: 4, length: 10 * GB }))]);
    const bad = net.holdings.find((h) => h.node === sybil(3))!.infoHash;
    const epochs = run(net, 8, (node, infoHash) => (node === sybil(3) && infoHash === bad ? "timeout" : "pass"));
    const healthy = run(net, 1, () => "pass")[0]!.earned.get(sybil(3))!;
    for (const s of epochs) {
      // Three of its four replicas earn every epoch: three quarters of its healthy weight (its
      // share of the pool: 3 of the network's 15 lone replicas rather than 4 of 16, so 0.8).
      const earned = s.earned.get(sybil(3))!;
      expect(Number(earned) / Number(healthy)).toBeGreaterThan(0.79);
      expect(Number(earned) / Number(healthy)).toBeLessThan(0.81);
    }
    const fees = epochs.map((s) => s.penalties.find((p) => p.node === sybil(3))!.faultFee);
    for (let i = 2; i < fees.length; i++) expect(fees[i]!).toBeGreaterThanOrEqual(fees[i - 1]!);
    expect(fees[0]).toBe(0n);
    // At the cap: FAULT_FEE_EPOCHS_CAP epochs of the replica's expected reward (a quarter of the
    // node's healthy income: its four lone replicas each weighed 3 × length).
    expect(fees.at(-1)! * 4n).toBeGreaterThan((healthy * FAULT_FEE_EPOCHS_CAP * 85n) / 100n);
    expect(fees.at(-1)! * 4n).toBeLessThanOrEqual((healthy * FAULT_FEE_EPOCHS_CAP * 1_001n) / 1_000n);
  });
});

describe("suspension of a whole node (attack: a relay that stores nothing)", () => {
  it("a relay that misses a fresh 15% of its replicas every epoch is suspended whole and earns a fraction of its honest twin", () => {
    const r = rng(23);
    const relay = { node: sybil(5), torrents: 40, length: GB };
    const twin = { node: honest(5), torrents: 40, length: GB };
    const net = network([relay, twin, { node: honest(6), torrents: 40, length: GB }]);
    const epochs = run(net, 20, (node) => (node === sybil(5) && r.next() < 0.15 ? "timeout" : "pass"));
    const total = (n: string) => epochs.reduce((s, x) => s + (x.earned.get(n) ?? 0n) - (x.slashed.get(n) ?? 0n), 0n);
    const suspendedEpochs = epochs.filter((x) => x.suspended.some((s) => s.node === sybil(5))).length;
    expect(suspendedEpochs).toBeGreaterThanOrEqual(15);
    // Its profit per replica claimed is well below its twin's (which stores what it claims).
    expect(Number(total(sybil(5))) / Number(total(honest(5)))).toBeLessThan(0.25);
    // The twin is never suspended.
    expect(epochs.every((x) => !x.suspended.some((s) => s.node === honest(5)))).toBe(true);
  });
});

describe("held-back bond by node age (finding: docs overstated it; issue 11 part 5: holdback by node age)", () => {
  const T0 = 1_800_000_000;
  const DAY = 86_400;
  const perEpoch = 3n * ONE_TOKEN;
  /** A node that made its first claim long before T0: past the age ramp. */
  const agedStart: HeldSchedule = { ...EMPTY_HELD, sinceDay: Math.floor(T0 / DAY) - 1_000 };
  const heldNow = (s: HeldSchedule, now: number) => s.unvested - vestedAt(s, now);

  it("holds, for an aged node at a steady income, income × HOLDBACK_BPS × (vesting + one epoch) ÷ 2: half of income × vesting × HOLDBACK_BPS", () => {
    let s = agedStart;
    for (let e = 1; e <= 24 * 120; e++) s = claimWithHoldback(s, perEpoch, T0 + e * EPOCH_SECONDS).schedule;
    const epochsVesting = BigInt(HOLDBACK_VESTING_SECONDS / EPOCH_SECONDS);
    const expected = (perEpoch * HOLDBACK_BPS * (epochsVesting + 1n)) / BPS / 2n;
    expect(Number(s.unvested) / Number(expected)).toBeGreaterThan(0.99);
    expect(Number(s.unvested) / Number(expected)).toBeLessThan(1.01);
    // The old comment's figure (income × vesting × HOLDBACK_BPS) is about twice what is held.
    expect(Number((perEpoch * HOLDBACK_BPS * epochsVesting) / BPS) / Number(s.unvested)).toBeGreaterThan(1.95);
  });

  it("holds a new node's bond at income × HOLDBACK_NEW_BPS × (new vesting + one epoch) ÷ 2 while it stays new (33.8 days of income, params.ts)", () => {
    const young = { ...HOLDBACK, ageRampSeconds: Number.MAX_SAFE_INTEGER };
    let s = EMPTY_HELD;
    for (let e = 1; e <= 24 * 300; e++) s = claimWithHoldback(s, perEpoch, T0 + e * EPOCH_SECONDS, young).schedule;
    const expected = (perEpoch * HOLDBACK_NEW_BPS * BigInt(HOLDBACK_NEW_VESTING_SECONDS / EPOCH_SECONDS + 1)) / BPS / 2n;
    expect(Number(s.unvested) / Number(expected)).toBeGreaterThan(0.99);
    expect(Number(s.unvested) / Number(expected)).toBeLessThan(1.01);
    expect(Number(s.unvested) / Number(perEpoch * 24n)).toBeCloseTo(33.8, 0);
  });

  it("a new node earning what an aged one earns holds a larger bond for longer, then converges to the aged one (attack: fresh keys bond little)", () => {
    let fresh = EMPTY_HELD;
    let aged = agedStart;
    const agedSteady = Number((perEpoch * HOLDBACK_BPS * BigInt(HOLDBACK_VESTING_SECONDS / EPOCH_SECONDS + 1)) / BPS / 2n);
    let peak = 0n;
    const days = (HOLDBACK_AGE_RAMP_SECONDS + HOLDBACK_NEW_VESTING_SECONDS) / DAY + 30;
    for (let e = 1; e <= 24 * days; e++) {
      const now = T0 + e * EPOCH_SECONDS;
      fresh = claimWithHoldback(fresh, perEpoch, now).schedule;
      aged = claimWithHoldback(aged, perEpoch, now).schedule;
      const day = e / 24;
      if (day >= 7 && day <= HOLDBACK_AGE_RAMP_SECONDS / DAY && e % 24 === 0) {
        expect(heldNow(fresh, now)).toBeGreaterThan(heldNow(aged, now));
        // Its bond also vests later, until the ramp's last weeks bring its period near the aged one.
        if (day <= 150) expect(fresh.vestEnd).toBeGreaterThan(aged.vestEnd);
      }
      if (heldNow(fresh, now) > peak) peak = heldNow(fresh, now);
    }
    // The fresh node's bond peaks near three times the aged one's, and is the aged one's once aged.
    expect(Number(peak) / agedSteady).toBeGreaterThan(2.5);
    const end = T0 + 24 * days * EPOCH_SECONDS;
    expect(Number(heldNow(fresh, end)) / Number(heldNow(aged, end))).toBeCloseTo(1, 1);
    // The share it holds back falls with age: the new share at the first claim, the aged one past the ramp.
    expect(holdbackAt(0).bps).toBe(HOLDBACK_NEW_BPS);
    expect(holdbackAt(HOLDBACK_AGE_RAMP_SECONDS).bps).toBe(HOLDBACK_BPS);
    expect(holdbackAt(HOLDBACK_AGE_RAMP_SECONDS / 2).vestingSeconds).toBe((HOLDBACK_VESTING_SECONDS + HOLDBACK_NEW_VESTING_SECONDS) / 2);
  });
});
