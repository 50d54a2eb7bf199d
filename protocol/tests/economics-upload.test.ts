import { describe, expect, it } from "vitest";
import { BPS, BYTES_PER_GB, DOWNLOAD_PRICE_PER_GB, SURGE_CAP_BPS, SURGE_FLOOR_BPS, UPLOAD_PRICE_SHARE_BPS } from "../params.ts";
import { downloadCharge, pricePerGB, type AccessRoute } from "../economics/access.ts";
import { cappedShares, uploadRewards, waterFill, type Transfer } from "../economics/upload-rewards.ts";
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
  it("pays paid uploads, no more per GB than 80% of what they were paid", () => {
    const out = uploadRewards([t("0xd1", "aa", 10n * GB, 0n), t("0xu1", "aa", 0n, 10n * GB)], [{ infoHash: "aa" }], POOL);
    const charged = downloadCharge(10n * GB, DOWNLOAD_PRICE_PER_GB);
    expect(out.spent.get("0xd1")).toBe(charged);
    expect(out.perMember.get("0xu1")).toBe((charged * UPLOAD_PRICE_SHARE_BPS) / BPS);
    expect(out.unspent).toBe(POOL - out.paid);
  });

  it("credits free-allotment downloads nothing", () => {
    const out = uploadRewards([t("0xd1", "aa", 0n, 0n, { freeDownloaded: 10n * GB }), t("0xu1", "aa", 0n, 10n * GB)], [{ infoHash: "aa" }], POOL);
    expect(out.credits).toEqual([{ member: "0xu1", infoHash: "aa", reported: 10n * GB, eligible: 0n, credited: 0n }]);
    expect(out.paid).toBe(0n);
  });

  it("caps a lying uploader at the level the honest uploaders are cut to, and the swarm at its paid downloads", () => {
    const honest = [t("0xd1", "aa", 10n * GB, 0n), t("0xh1", "aa", 0n, 4n * GB), t("0xh2", "aa", 0n, 6n * GB)];
    const truthful = uploadRewards(honest, [{ infoHash: "aa" }], POOL);
    for (const lie of [1n * GB, 10n * GB, 1_000n * GB, 10n ** 30n]) {
      const out = uploadRewards([...honest, t("0xliar", "aa", 0n, lie)], [{ infoHash: "aa" }], POOL);
      const credited = out.swarms[0]!.credited;
      expect(credited).toBeLessThanOrEqual(10n * GB);
      const liar = out.credits.find((c) => c.member === "0xliar")!.credited;
      const most = out.credits.filter((c) => c.member !== "0xliar").reduce((m, c) => (c.credited > m ? c.credited : m), 0n);
      // No more than the largest honest credit, or the honest claims were all paid in full.
      expect(liar <= most || out.credits.filter((c) => c.member !== "0xliar").every((c) => c.credited === c.reported)).toBe(true);
      // The swarm's total reward never grows with a lie.
      expect(out.paid).toBeLessThanOrEqual(truthful.paid);
    }
    // A swarm without paying downloaders credits nobody, whatever is claimed.
    const empty = uploadRewards([t("0xliar", "bb", 0n, 10n ** 20n)], [{ infoHash: "bb" }], POOL);
    expect(empty.paid).toBe(0n);
  });

  it("never credits a member for what it paid itself", () => {
    const out = uploadRewards([t("0xself", "aa", 5n * GB, 5n * GB)], [{ infoHash: "aa" }], POOL);
    expect(out.credits[0]!.eligible).toBe(0n);
    expect(out.perMember.size).toBe(0);
  });

  it("never pays self-trading: what a pair of identities earns is below what they paid, on every route and surge", () => {
    const r = rng(51);
    for (let i = 0; i < 400; i++) {
      const route: AccessRoute = r.next() < 0.5 ? "fixed-gate" : "dynamic-gate";
      const surge = SURGE_FLOOR_BPS + r.big(SURGE_CAP_BPS - SURGE_FLOOR_BPS);
      const bytes = 1n + r.big(500n * GB);
      const others: Transfer[] = Array.from({ length: r.int(5) }, (_, k) => t(`0xo${k}`, "aa", r.big(50n * GB), r.big(50n * GB)));
      const out = uploadRewards([...others, t("0xbuyer", "aa", bytes, 0n), t("0xseller", "aa", 0n, bytes)], [{ infoHash: "aa", surgeBps: surge }], r.big(POOL * 10n));
      const paid = out.spent.get("0xbuyer") ?? 0n;
      const earned = out.perMember.get("0xseller") ?? 0n;
      expect(earned).toBeLessThanOrEqual(paid);
      expect(earned * BPS).toBeLessThanOrEqual(paid * UPLOAD_PRICE_SHARE_BPS + BPS);
    }
  });

  it("pays more for a hotter swarm's bytes, within the same caps (monotonicity)", () => {
    const cold = uploadRewards([t("0xd1", "aa", 10n * GB, 0n), t("0xu1", "aa", 0n, 10n * GB), t("0xd2", "bb", 10n * GB, 0n), t("0xu2", "bb", 0n, 10n * GB)], [{ infoHash: "aa" }, { infoHash: "bb", surgeBps: 30_000n }], 10n ** 18n, "dynamic-gate");
    expect(cold.perMember.get("0xu2")!).toBeGreaterThan(cold.perMember.get("0xu1")!);
    expect(pricePerGB("dynamic-gate", 30_000n)).toBe(DOWNLOAD_PRICE_PER_GB);
  });

  it("honours the tracker's own cap and a charge given by the edge", () => {
    const out = uploadRewards([t("0xd1", "aa", 10n * GB, 0n, { charged: 7n }), t("0xu1", "aa", 0n, 10n * GB, { uploadCap: GB })], [{ infoHash: "aa" }], POOL);
    expect(out.credits[0]!.credited).toBe(GB);
    expect(out.spent.get("0xd1")).toBe(7n);
    expect(() => uploadRewards([t("0xd1", "aa", 1n, 0n), t("0xD1", "aa", 1n, 0n)], [{ infoHash: "aa" }], POOL)).toThrow(RangeError);
  });
});
