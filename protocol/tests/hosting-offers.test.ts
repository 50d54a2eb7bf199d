import { describe, expect, it } from "vitest";
import { BPS, BYTES_PER_GB, GEO_BOOST_BPS, HOSTING_POOL } from "../params.ts";
import { hostingOffers, offer, provenReplicas, scarcityWeightBps } from "../hosting/offers.ts";
import { shareWeight } from "../economics/hosting-rewards.ts";
import { bountyDrawOf } from "../economics/bounties.ts";
import { rng } from "./random.ts";

const GB = Number(BYTES_PER_GB);

describe("scarcityWeightBps", () => {
  it("weighs the first replica 3×, the third 1×, the twelfth 0.25× and less beyond (a torrent's total stops growing)", () => {
    expect([0, 1, 2, 5, 11, 1000].map(scarcityWeightBps)).toEqual([30_000n, 15_000n, 10_000n, 5_000n, 2_500n, 29n]);
    for (let r = 0; r < 50; r++) expect(scarcityWeightBps(r + 1) <= scarcityWeightBps(r)).toBe(true);
    expect(() => scarcityWeightBps(-1)).toThrow(RangeError);
  });
});

describe("offer", () => {
  it("pays a lone first replica in an empty network the whole pool, per GB of its torrent", () => {
    const o = offer({ infoHash: "a", name: "A", length: GB, replicas: 0 }, { provenBytes: 0n, pool: 700n });
    expect(o.expectedRewardPerGB).toBe(700n);
    expect(o.scarcityWeightBps).toBe(30_000n);
  });

  it("without the settlement's total weight, is the first cut's pool share: pool × GB ÷ (proven bytes + length) × scarcity", () => {
    const length = 250_000_000;
    const proven = 4_750_000_000n;
    const o = offer({ infoHash: "a", name: "A", length, replicas: 2 }, { provenBytes: proven });
    // A third replica, the first of the three boosted (+15%): scarcity 3 ÷ 3.15.
    expect(o.scarcityWeightBps).toBe(10_000n);
    const w = shareWeight(BigInt(length), 31_500n, BPS, BPS, BPS);
    expect(o.expectedRewardPerGB).toBe((HOSTING_POOL * w * BYTES_PER_GB) / ((proven + BigInt(length)) * BPS * BPS * BPS * BigInt(length)));
  });

  it("with it, is the pool share of the new replica's weight: pool × w ÷ (W + ΔW) × GB ÷ length", () => {
    const length = 250_000_000;
    const W = 4_750_000_000n;
    // A third replica: weight 3 ÷ 3.15 (the first of three is boosted), and three replicas weigh what two did (ΔW = 0).
    const o = offer({ infoHash: "a", name: "A", length, replicas: 2 }, { provenBytes: 0n, totalWeight: W });
    expect(o.expectedRewardPerGB).toBe((HOSTING_POOL * shareWeight(BigInt(length), 31_500n, BPS, BPS, BPS) * BYTES_PER_GB) / (W * BPS * BPS * BPS * BigInt(length)));
    // The first replica of a torrent adds its own 3× weight to the total.
    const first = offer({ infoHash: "a", name: "A", length, replicas: 0 }, { provenBytes: 0n, totalWeight: W });
    expect(first.expectedRewardPerGB).toBe((HOSTING_POOL * 3n * BigInt(length) * BYTES_PER_GB) / ((W + 3n * BigInt(length)) * BigInt(length)));
    const half = offer({ infoHash: "a", name: "A", length, replicas: 2 }, { provenBytes: 0n, totalWeight: 2n * W });
    expect(o.expectedRewardPerGB / 2n).toBe(half.expectedRewardPerGB);
  });

  it("values a torrent the node already holds as if its replica were the one joining (proven bytes)", () => {
    const r = rng(11);
    for (let i = 0; i < 300; i++) {
      const length = 1 + r.int(10 * GB);
      const replicas = 1 + r.int(15);
      const others = BigInt(r.int(100 * GB));
      const mine = offer({ infoHash: "a", name: "A", length, replicas, mine: true }, { provenBytes: others + BigInt(length) });
      const fresh = offer({ infoHash: "a", name: "A", length, replicas: replicas - 1 }, { provenBytes: others });
      expect(mine.expectedRewardPerGB).toBe(fresh.expectedRewardPerGB);
    }
  });

  it("values a torrent the node already holds as if its replica were the one joining (total weight)", () => {
    const r = rng(12);
    for (let i = 0; i < 300; i++) {
      const length = 1 + r.int(10 * GB);
      const replicas = 1 + r.int(15);
      const others = BigInt(r.int(100 * GB));
      const fresh = offer({ infoHash: "a", name: "A", length, replicas: replicas - 1 }, { provenBytes: 0n, totalWeight: others });
      // The holder's total already counts its replica: the others' weight plus what joining added.
      const L = BigInt(length);
      const k = BigInt(replicas - 1);
      // A torrent weighs 3 × its length from one replica on: joining adds only to an empty torrent.
      const added = replicas === 1 ? 3n * L * BPS * BPS : 0n;
      const mine = offer({ infoHash: "a", name: "A", length, replicas, mine: true }, { provenBytes: 0n, totalWeight: others + added / (BPS * BPS) });
      const diff = mine.expectedRewardPerGB - fresh.expectedRewardPerGB;
      expect(diff < 0n ? -diff : diff).toBeLessThanOrEqual(fresh.expectedRewardPerGB / 1_000_000n + 1n);
    }
  });

  it("never pays more per GB for a torrent more nodes hold (monotonicity)", () => {
    for (let r = 0; r < 30; r++) {
      const a = offer({ infoHash: "a", name: "A", length: 1e8, replicas: r }, { provenBytes: 10n ** 10n });
      const b = offer({ infoHash: "a", name: "A", length: 1e8, replicas: r + 1 }, { provenBytes: 10n ** 10n });
      expect(b.expectedRewardPerGB <= a.expectedRewardPerGB).toBe(true);
    }
  });

  it("pays more for demand above capacity and for the geo boost, and adds a bounty split among the replicas", () => {
    const ctx = { provenBytes: 100n * BYTES_PER_GB, pool: 1_000_000_000n };
    const base = offer({ infoHash: "a", name: "A", length: GB / 2, replicas: 1 }, ctx);
    const surged = offer({ infoHash: "a", name: "A", length: GB / 2, replicas: 1, surgeBps: 20_000n }, ctx);
    const cold = offer({ infoHash: "a", name: "A", length: GB / 2, replicas: 1, surgeBps: 5_000n }, ctx);
    const far = offer({ infoHash: "a", name: "A", length: GB / 2, replicas: 1, geoBoost: true }, ctx);
    expect(surged.expectedRewardPerGB).toBeGreaterThan(base.expectedRewardPerGB);
    expect(cold.expectedRewardPerGB).toBe(base.expectedRewardPerGB);
    // The boost moves share within the torrent (its total stays 3 × length): a far second replica
    // weighs 1.15 ÷ 2.3 of it rather than 1 ÷ 2.15.
    expect(Number(far.expectedRewardPerGB) / Number(base.expectedRewardPerGB)).toBeCloseTo((1.15 / 2.3) * 2.15, 2);
    const bountied = offer({ infoHash: "a", name: "A", length: GB / 2, replicas: 1, bountyPerEpoch: 1_000n }, ctx);
    // 1,000 split between the two replicas, for half a GB: 1,000 per GB each.
    expect(bountied.expectedRewardPerGB - base.expectedRewardPerGB).toBe(1_000n);
    const fromBalance = offer({ infoHash: "a", name: "A", length: GB, replicas: 0, bounty: 10n ** 21n }, ctx);
    expect(fromBalance.bountyPerEpoch).toBe(bountyDrawOf(10n ** 21n));
  });

  it("rejects a torrent without bytes", () => {
    expect(() => offer({ infoHash: "a", name: "A", length: 0, replicas: 0 }, { provenBytes: 0n })).toThrow(RangeError);
  });
});

describe("hostingOffers", () => {
  it("lists the best paying first, ties in info hash order", () => {
    const offers = hostingOffers(
      [
        { infoHash: "cc", name: "C", length: 1000, replicas: 4 },
        { infoHash: "bb", name: "B", length: 1000, replicas: 0 },
        { infoHash: "aa", name: "A", length: 1000, replicas: 4 },
      ],
      { provenBytes: 10_000n },
    );
    expect(offers.map((o) => o.infoHash)).toEqual(["bb", "aa", "cc"]);
  });
});

describe("provenReplicas", () => {
  it("counts the nodes whose every challenge of the torrent passed, ignoring contested torrents", () => {
    const replicas = provenReplicas(
      [
        { node: "0xA", infoHash: "t1", verdict: "pass" },
        { node: "0xa", infoHash: "t1", verdict: "pass" },
        { node: "0xb", infoHash: "t1", verdict: "pass" },
        { node: "0xb", infoHash: "t1", verdict: "timeout" },
        { node: "0xc", infoHash: "t1", verdict: "pass" },
        { node: "0xc", infoHash: "t2", verdict: "fail" },
        { node: "0xc", infoHash: "t3", verdict: "pass" },
      ],
      new Set(["t3"]),
    );
    expect([...replicas.keys()]).toEqual(["t1"]);
    expect([...replicas.get("t1")!].sort()).toEqual(["0xa", "0xc"]);
  });
});

describe("hostingOffers isolation", () => {
  it("leaves out a torrent of unsafe length with its reason and offers the others (attack: one crafted upload stops every offer)", () => {
    const skipped: { infoHash: string; reason: string }[] = [];
    const offers = hostingOffers(
      [
        { infoHash: "a", name: "A", length: GB, replicas: 0 },
        { infoHash: "b", name: "B", length: 2 ** 53 + 2, replicas: 0 },
      ],
      { provenBytes: 0n },
      skipped,
    );
    expect(offers.map((o) => o.infoHash)).toEqual(["a"]);
    expect(skipped).toEqual([{ infoHash: "b", reason: expect.stringMatching(/length/) }]);
  });
});

