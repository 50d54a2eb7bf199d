import { describe, expect, it } from "vitest";
import { BPS, BYTES_PER_GB, DOWNLOAD_PRICE_PER_GB, SURGE_CAP_BPS, SURGE_FLOOR_BPS, UPLOAD_PRICE_SHARE_BPS } from "../params.ts";
import { downloadCharge, pricePerGB, type AccessRoute } from "../economics/access.ts";
import { cappedShares, uploadRewards, waterFill, type ReceiptBytes, type Transfer } from "../economics/upload-rewards.ts";
import { settleEpoch } from "../economics/settle.ts";
import { rng } from "./random.ts";

const GB = BYTES_PER_GB;
const POOL = 171n * 10n ** 18n;
const t = (member: string, infoHash: string, paidDownloaded: bigint, uploaded: bigint, extra: Partial<Transfer> = {}): Transfer => ({ member, infoHash, paidDownloaded, uploaded, ...extra });

describe("waterFill", () => {
  it("credits everything that fits, else every claim up to one common level", () => {
    expect(waterFill([3n, 5n], 10n)).toEqual([3n, 5n]);
    expect(waterFill([2n, 100n, 9n], 15n)).toEqual([2n, 6n, 6n]);
    expect(waterFill([], 5n)).toEqual([]);
  });

  it("never credits more than the capacity nor more than claimed, and gives the level to every big claim", () => {
    const r = rng(31);
    for (let i = 0; i < 500; i++) {
      const claims = Array.from({ length: 1 + r.int(12) }, () => r.big(1000n));
      const cap = r.big(3000n);
      const out = waterFill(claims, cap);
      const total = out.reduce((a, b) => a + b, 0n);
      expect(total).toBeLessThanOrEqual(cap);
      out.forEach((c, k) => expect(c).toBeLessThanOrEqual(claims[k]!));
      const level = out.reduce((a, b) => (b > a ? b : a), 0n);
      out.forEach((c, k) => expect(c === claims[k]! || c === level).toBe(true));
    }
  });
});

describe("cappedShares", () => {
  it("shares by weight, nobody above its cap, the capped part shared again among the rest", () => {
    expect(cappedShares([1n, 1n], [10n, 1000n], 100n)).toEqual([10n, 90n]);
    expect(cappedShares([1n, 3n], [1000n, 1000n], 100n)).toEqual([25n, 75n]);
    expect(cappedShares([1n, 1n], [5n, 5n], 100n)).toEqual([5n, 5n]);
    const r = rng(41);
    for (let i = 0; i < 300; i++) {
      const n = 1 + r.int(10);
      const w = Array.from({ length: n }, () => r.big(10n ** 12n));
      const c = Array.from({ length: n }, () => r.big(10n ** 9n));
      const pool = r.big(10n ** 10n);
      const out = cappedShares(w, c, pool);
      expect(out.reduce((a, b) => a + b, 0n)).toBeLessThanOrEqual(pool);
      out.forEach((x, k) => expect(x).toBeLessThanOrEqual(w[k] === 0n ? 0n : c[k]!));
    }
  });
});

describe("upload rewards", () => {
  // Nodes (hosts) and members (downloaders) are different keys: node keys are not members.
  const hosts = (m: Record<string, string[]>) => new Map(Object.entries(m));
  const rc = (downloader: string, uploader: string, bytes: bigint, infoHash = "aa"): ReceiptBytes => ({ infoHash, uploader, downloader, bytes });

  it("pays a receipted upload to the receipted node, no more per GB than 80% of what the bytes were charged", () => {
    const out = uploadRewards([t("0xd1", "aa", 10n * GB, 0n)], [{ infoHash: "aa" }], POOL, "fixed-gate", { receipts: [rc("0xd1", "0xn1", 10n * GB)], hosts: hosts({ aa: ["0xn1", "0xn2"] }) });
    const charged = downloadCharge(10n * GB, DOWNLOAD_PRICE_PER_GB);
    expect(out.spent.get("0xd1")).toBe(charged);
    expect(out.perMember.get("0xn1")).toBe((charged * UPLOAD_PRICE_SHARE_BPS) / BPS);
    expect(out.perMember.has("0xn2")).toBe(false);
    expect(out.unspent).toBe(POOL - out.paid);
  });

  it("shares paid bytes that no receipt names among the torrent's proven hosts, equally", () => {
    const out = uploadRewards([t("0xd1", "aa", 10n * GB, 0n)], [{ infoHash: "aa" }], POOL, "fixed-gate", { receipts: [rc("0xd1", "0xn1", 4n * GB)], hosts: hosts({ aa: ["0xn1", "0xn2"] }) });
    expect(out.credits).toEqual([
      expect.objectContaining({ node: "0xn1", receipted: 4n * GB, unreceipted: 3n * GB }),
      expect.objectContaining({ node: "0xn2", receipted: 0n, unreceipted: 3n * GB }),
    ]);
    expect(out.perMember.get("0xn1")).toBe((out.perMember.get("0xn2")! * 7n) / 3n);
  });

  it("a client lying about `uploaded` earns no tokens (attack: lying uploader)", () => {
    const honest = [t("0xd1", "aa", 10n * GB, 0n)];
    const h = hosts({ aa: ["0xn1"] });
    const truthful = uploadRewards(honest, [{ infoHash: "aa" }], POOL, "fixed-gate", { hosts: h });
    for (const lie of [1n * GB, 10n * GB, 1_000n * GB, 10n ** 30n]) {
      const out = uploadRewards([...honest, t("0xliar", "aa", 0n, lie)], [{ infoHash: "aa" }], POOL, "fixed-gate", { hosts: h });
      expect(out.perMember.get("0xliar") ?? 0n).toBe(0n);
      // The honest host's reward is unchanged by the lie.
      expect(out.perMember.get("0xn1")).toBe(truthful.perMember.get("0xn1"));
    }
    // A swarm without paying downloaders pays nobody, whatever is claimed.
    const empty = uploadRewards([t("0xliar", "bb", 0n, 10n ** 20n)], [{ infoHash: "bb" }], POOL, "fixed-gate", { hosts: hosts({ bb: ["0xliar"] }) });
    expect(empty.paid).toBe(0n);
  });

  it("credits free-allotment downloads nothing, receipted or not", () => {
    const out = uploadRewards([t("0xd1", "aa", 0n, 0n, { freeDownloaded: 10n * GB })], [{ infoHash: "aa" }], POOL, "fixed-gate", { receipts: [rc("0xd1", "0xn1", 10n * GB)], hosts: hosts({ aa: ["0xn1"] }) });
    expect(out.credits).toEqual([]);
    expect(out.paid).toBe(0n);
  });

  it("a node's receipts for what it fetched to host pay nothing, and leave the honest uploader's reward unchanged (attack: a node fetching from its own node to farm upload rewards)", () => {
    const h = hosts({ aa: ["0xn1", "0xmine"] });
    const honest = [t("0xd1", "aa", 10n * GB, 0n)];
    const before = uploadRewards(honest, [{ infoHash: "aa" }], POOL, "fixed-gate", { receipts: [rc("0xd1", "0xn1", 10n * GB)], hosts: h });
    // 0xfetcher, a node, has no transfer of paid bytes: its fetches are unpaid.
    const after = uploadRewards(honest, [{ infoHash: "aa" }], POOL, "fixed-gate", { receipts: [rc("0xd1", "0xn1", 10n * GB), rc("0xfetcher", "0xmine", 1_000n * GB)], hosts: h });
    expect(after.perMember.get("0xmine") ?? 0n).toBe(0n);
    expect(after.perMember).toEqual(before.perMember);
    expect(after.paid).toBe(before.paid);
  });

  it("receipts of one downloader never pay more than it paid for (attack: self-dealing receipts)", () => {
    const h = hosts({ aa: ["0xn1", "0xmine"] });
    // The downloader paid for 10 GB and signs 1,000 GB to its own node and 10 GB to the honest one.
    const out = uploadRewards([t("0xd1", "aa", 10n * GB, 0n)], [{ infoHash: "aa" }], POOL, "fixed-gate", { receipts: [rc("0xd1", "0xmine", 1_000n * GB), rc("0xd1", "0xn1", 10n * GB)], hosts: h });
    const credited = out.credits.reduce((s, c) => s + c.receipted + c.unreceipted, 0n);
    expect(credited).toBeLessThanOrEqual(10n * GB);
    // Scaled down proportionally: 1000:10 of the 10 GB paid.
    expect(out.credits.find((c) => c.node === "0xmine")!.receipted).toBe((1_000n * GB * 10n * GB) / (1_010n * GB));
    const charged = out.spent.get("0xd1")!;
    expect(out.paid * BPS).toBeLessThanOrEqual(charged * UPLOAD_PRICE_SHARE_BPS);
    // Property: whatever the receipts, the nodes earn ≤ 80% of what was charged, so self-dealing never pays.
    const r = rng(61);
    for (let i = 0; i < 300; i++) {
      const paid = r.big(100n * GB);
      const receipts = Array.from({ length: 1 + r.int(4) }, (_, k) => rc("0xd1", k % 2 ? "0xn1" : "0xmine", r.big(10n ** 15n)));
      const x = uploadRewards([t("0xd1", "aa", paid, 0n)], [{ infoHash: "aa", surgeBps: SURGE_FLOOR_BPS + r.big(SURGE_CAP_BPS - SURGE_FLOOR_BPS) }], r.big(POOL * 10n), "fixed-gate", { receipts, hosts: h });
      expect(x.credits.reduce((s, c) => s + c.receipted + c.unreceipted, 0n)).toBeLessThanOrEqual(paid);
      expect(x.paid * BPS).toBeLessThanOrEqual((x.spent.get("0xd1") ?? 0n) * UPLOAD_PRICE_SHARE_BPS);
    }
  });

  it("a receipt naming an unchallenged node pays nothing", () => {
    const out = uploadRewards([t("0xd1", "aa", 10n * GB, 0n)], [{ infoHash: "aa" }], POOL, "fixed-gate", { receipts: [rc("0xd1", "0xstranger", 10n * GB)], hosts: hosts({ aa: ["0xn1"] }) });
    expect(out.perMember.has("0xstranger")).toBe(false);
    // Its bytes count as unreceipted: the proven host gets them.
    expect(out.credits).toEqual([expect.objectContaining({ node: "0xn1", receipted: 0n, unreceipted: 10n * GB })]);
    // A node proven for another torrent is not a host of this one.
    const other = uploadRewards([t("0xd1", "aa", 10n * GB, 0n)], [{ infoHash: "aa" }], POOL, "fixed-gate", { receipts: [rc("0xd1", "0xn9", 10n * GB)], hosts: hosts({ bb: ["0xn9"] }) });
    expect(other.paid).toBe(0n);
  });

  it("the honest uploader's reward is unchanged by the attack (self-dealing receipts in another torrent)", () => {
    const h = hosts({ aa: ["0xhonest"], bb: ["0xmine"] });
    const honest = [t("0xd1", "aa", 10n * GB, 0n)];
    const receipts = [rc("0xd1", "0xhonest", 10n * GB)];
    const before = uploadRewards(honest, [{ infoHash: "aa" }, { infoHash: "bb" }], POOL, "fixed-gate", { receipts, hosts: h });
    // The attacker pays for 5 GB of its own torrent and receipts 10^6 GB to its own node.
    const after = uploadRewards([...honest, t("0xself", "bb", 5n * GB, 0n)], [{ infoHash: "aa" }, { infoHash: "bb" }], POOL, "fixed-gate", {
      receipts: [...receipts, rc("0xself", "0xmine", 1_000_000n * GB, "bb")],
      hosts: h,
    });
    expect(after.perMember.get("0xhonest")).toBe(before.perMember.get("0xhonest"));
    expect((after.perMember.get("0xmine") ?? 0n) * BPS).toBeLessThanOrEqual(after.spent.get("0xself")! * UPLOAD_PRICE_SHARE_BPS);
  });

  it("never pays self-trading: what a pair of identities earns is below what they paid, on every route and surge", () => {
    const r = rng(51);
    for (let i = 0; i < 400; i++) {
      const route: AccessRoute = r.next() < 0.5 ? "fixed-gate" : "dynamic-gate";
      const surge = SURGE_FLOOR_BPS + r.big(SURGE_CAP_BPS - SURGE_FLOOR_BPS);
      const bytes = 1n + r.big(500n * GB);
      const others: Transfer[] = Array.from({ length: r.int(5) }, (_, k) => t(`0xo${k}`, "aa", r.big(50n * GB), r.big(50n * GB)));
      const pool = r.big(POOL * 10n);
      const h = hosts({ aa: ["0xseller", "0xh2"] });
      const without = uploadRewards(others, [{ infoHash: "aa", surgeBps: surge }], pool, route, { hosts: h });
      const out = uploadRewards([...others, t("0xbuyer", "aa", bytes, 0n)], [{ infoHash: "aa", surgeBps: surge }], pool, route, { receipts: [rc("0xbuyer", "0xseller", bytes)], hosts: h });
      const paid = out.spent.get("0xbuyer") ?? 0n;
      // What the seller earns because of the trade (it also earns its share of the others' bytes).
      const earned = (out.perMember.get("0xseller") ?? 0n) - (without.perMember.get("0xseller") ?? 0n);
      expect(earned).toBeLessThanOrEqual(paid);
    }
  });

  it("pays more for a hotter swarm's bytes, within the same caps (monotonicity)", () => {
    const cold = uploadRewards([t("0xd1", "aa", 10n * GB, 0n), t("0xd2", "bb", 10n * GB, 0n)], [{ infoHash: "aa" }, { infoHash: "bb", surgeBps: 30_000n }], 10n ** 18n, "dynamic-gate", { hosts: hosts({ aa: ["0xu1"], bb: ["0xu2"] }) });
    expect(cold.perMember.get("0xu2")!).toBeGreaterThan(cold.perMember.get("0xu1")!);
    expect(pricePerGB("dynamic-gate", 30_000n)).toBe(DOWNLOAD_PRICE_PER_GB);
  });

  it("honours a charge given by the edge, and refuses a member listed twice in a swarm", () => {
    const out = uploadRewards([t("0xd1", "aa", 10n * GB, 0n, { charged: 7n })], [{ infoHash: "aa" }], POOL, "fixed-gate", { hosts: hosts({ aa: ["0xu1"] }) });
    expect(out.spent.get("0xd1")).toBe(7n);
    expect(out.perMember.get("0xu1")).toBe((7n * UPLOAD_PRICE_SHARE_BPS) / BPS);
    expect(() => uploadRewards([t("0xd1", "aa", 1n, 0n), t("0xD1", "aa", 1n, 0n)], [{ infoHash: "aa" }], POOL)).toThrow(RangeError);
  });
});

describe("upload rewards in the settlement", () => {
  const ih = "e".repeat(40);
  const torrents = [{ infoHash: ih, length: 4_000_000_000, rootStatus: "confirmed" as const }];
  const pass = (node: string, host: string) => ({ node, infoHash: ih, verdict: "pass" as const, host });
  const buyer = "0x00000000000000000000000000000000000000b1";
  const honest = "0x00000000000000000000000000000000000000a1";
  const sybils = ["0x00000000000000000000000000000000000000c1", "0x00000000000000000000000000000000000000c2", "0x00000000000000000000000000000000000000c3"];
  const transfers = [t(buyer, ih, 10n * GB, 0n)];

  it("extra identities on one subnet add no share of unreceipted paid bytes (attack: Sybil replicas)", () => {
    const one = settleEpoch({ epoch: 1, torrents, transfers, challenges: [pass(honest, "10.1.0.1"), pass(sybils[0]!, "10.2.0.1")] });
    const many = settleEpoch({ epoch: 1, torrents, transfers, challenges: [pass(honest, "10.1.0.1"), ...sybils.map((s, k) => pass(s, `10.2.0.${k + 1}`))] });
    const sybilTake = (s: typeof many) => sybils.reduce((n, x) => n + (s.upload.perMember.get(x) ?? 0n), 0n);
    expect(many.upload.perMember.get(honest)).toBe(one.upload.perMember.get(honest));
    expect(sybilTake(many)).toBe(sybilTake(one));
  });

  it("pays a node that failed a challenge of the torrent this epoch nothing for its receipts (attack: receipts for an unproven node)", () => {
    const s = settleEpoch({
      epoch: 2,
      torrents,
      transfers,
      receipts: [{ infoHash: ih, uploader: sybils[0]!, downloader: buyer, bytes: 10n * GB }],
      challenges: [pass(honest, "10.1.0.1"), pass(sybils[0]!, "10.2.0.1"), { node: sybils[0]!, infoHash: ih, verdict: "fail", host: "10.2.0.1" }],
    });
    expect(s.upload.perMember.get(sybils[0]!) ?? 0n).toBe(0n);
    // Its receipted bytes count as unreceipted: the honest host gets them.
    expect(s.upload.credits).toEqual([expect.objectContaining({ node: honest, unreceipted: 10n * GB })]);
  });
});
