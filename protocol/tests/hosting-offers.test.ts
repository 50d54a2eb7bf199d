import { describe, expect, it } from "vitest";
import { HOSTING_POOL } from "../params.ts";
import { BYTES_PER_GB, hostingOffers, offer, provenReplicas, scarcityWeightBps } from "../hosting/offers.ts";

const GB = Number(BYTES_PER_GB);

describe("scarcityWeightBps", () => {
  it("weighs the first replica 3×, the third 1×, and never less than 0.25×", () => {
    expect([0, 1, 2, 5, 11, 1000].map(scarcityWeightBps)).toEqual([30_000n, 15_000n, 10_000n, 5_000n, 2_500n, 2_500n]);
    for (let r = 0; r < 50; r++) expect(scarcityWeightBps(r + 1) <= scarcityWeightBps(r)).toBe(true);
    expect(() => scarcityWeightBps(-1)).toThrow(RangeError);
  });
});

describe("offer", () => {
  it("pays a lone first replica the whole pool per GB of its torrent, times the scarcity weight", () => {
    const o = offer({ infoHash: "a", name: "A", length: GB, replicas: 0 }, { provenBytes: 0n, pool: 700n });
    expect(o.expectedRewardPerGB).toBe(700n * 3n);
    expect(o.scarcityWeightBps).toBe(30_000n);
  });

  it("is the pool share a new replica would win: HOSTING_POOL × GB ÷ (proven bytes + length) × weight", () => {
    const length = 250_000_000;
    const proven = 4_750_000_000n;
    const o = offer({ infoHash: "a", name: "A", length, replicas: 2 }, { provenBytes: proven });
    expect(o.expectedRewardPerGB).toBe((HOSTING_POOL * BYTES_PER_GB) / (proven + BigInt(length)));
  });

  it("values a torrent the node already holds as if its replica were the one joining", () => {
    let seed = 11;
    const rnd = (n: number) => ((seed = (seed * 48271) % 2147483647) % n);
    for (let i = 0; i < 300; i++) {
      const length = 1 + rnd(10 * GB);
      const replicas = 1 + rnd(15);
      const others = BigInt(rnd(100 * GB));
      const mine = offer({ infoHash: "a", name: "A", length, replicas, mine: true }, { provenBytes: others + BigInt(length) });
      const fresh = offer({ infoHash: "a", name: "A", length, replicas: replicas - 1 }, { provenBytes: others });
      expect(mine.expectedRewardPerGB).toBe(fresh.expectedRewardPerGB);
    }
  });

  it("never pays more per GB for a torrent more nodes hold", () => {
    for (let r = 0; r < 30; r++) {
      const a = offer({ infoHash: "a", name: "A", length: 1e8, replicas: r }, { provenBytes: 10n ** 10n });
      const b = offer({ infoHash: "a", name: "A", length: 1e8, replicas: r + 1 }, { provenBytes: 10n ** 10n });
      expect(b.expectedRewardPerGB <= a.expectedRewardPerGB).toBe(true);
    }
  });

  it("scales with surge and adds a bounty split among the replicas, per GB", () => {
    const base = offer({ infoHash: "a", name: "A", length: GB / 2, replicas: 1 }, { provenBytes: BYTES_PER_GB, pool: 1_000_000n });
    const surged = offer({ infoHash: "a", name: "A", length: GB / 2, replicas: 1, surgeBps: 20_000n }, { provenBytes: BYTES_PER_GB, pool: 1_000_000n });
    expect(surged.expectedRewardPerGB).toBe(2n * base.expectedRewardPerGB);
    const bountied = offer({ infoHash: "a", name: "A", length: GB / 2, replicas: 1, bountyPerEpoch: 1_000n }, { provenBytes: BYTES_PER_GB, pool: 1_000_000n });
    // 1,000 split between the two replicas, for half a GB: 1,000 per GB each.
    expect(bountied.expectedRewardPerGB - base.expectedRewardPerGB).toBe(1_000n);
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
