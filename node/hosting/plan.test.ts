// The hosting rule (node/hosting/plan.ts) and the interest list, as pure functions.

import { describe, expect, it } from "vitest";
import { effectiveValue, planHosting, type Candidate } from "./plan.ts";
import { interestMatcher, matchesInterest, normaliseInterest } from "./interests.ts";

function c(infoHash: string, o: Partial<Candidate> = {}): Candidate {
  return { infoHash, name: infoHash.toUpperCase(), length: 100, onDisk: 0, complete: false, wanted: false, rewardPerGB: 10n, ...o };
}
const held = (infoHash: string, o: Partial<Candidate> = {}) => c(infoHash, { onDisk: o.length ?? 100, complete: true, ...o });

describe("planHosting", () => {
  it("takes torrents up to the storage cap to the byte, never past it", () => {
    const cands = [held("a", { length: 100, rewardPerGB: 30n }), held("b", { length: 50, rewardPerGB: 20n })];
    expect(planHosting(cands, { storageCap: 150, fill: true }).keep).toEqual(["a", "b"]);
    const tight = planHosting(cands, { storageCap: 149, fill: true });
    expect(tight.keep).toEqual(["a"]);
    expect(tight.hostedBytes).toBe(100);
  });

  it("passes over a torrent that does not fit for a smaller one further down", () => {
    const p = planHosting([c("big", { length: 90, rewardPerGB: 50n }), c("small", { length: 30, rewardPerGB: 10n }), held("mid", { length: 60, rewardPerGB: 20n })], { storageCap: 100, fill: true });
    expect(p.selected.map((x) => x.infoHash)).toEqual(["big"]);
    expect(p.fetch).toEqual(["big"]);
    expect(p.drop).toEqual(["mid"]);
    expect(p.diskBytes).toBe(90);
  });

  it("drops the least valuable held torrent to fetch a more valuable one, and deletes it before fetching", () => {
    const p = planHosting([held("low", { rewardPerGB: 10n }), held("lower", { rewardPerGB: 5n }), c("high", { rewardPerGB: 100n })], { storageCap: 200, fill: true });
    expect(p.keep).toEqual(["low"]);
    expect(p.fetch).toEqual(["high"]);
    expect(p.drop).toEqual(["lower"]);
    expect(p.diskBytes).toBe(200);
  });

  it("keeps what is on disk over a torrent that pays less than 20% more", () => {
    expect(planHosting([held("mine", { rewardPerGB: 100n }), c("other", { rewardPerGB: 119n })], { storageCap: 100, fill: true }).keep).toEqual(["mine"]);
    expect(planHosting([held("mine", { rewardPerGB: 100n }), c("other", { rewardPerGB: 121n })], { storageCap: 100, fill: true }).fetch).toEqual(["other"]);
  });

  it("puts the interest list before any reward", () => {
    const p = planHosting([held("rich", { rewardPerGB: 1_000_000n }), c("loved", { rewardPerGB: 1n, wanted: true })], { storageCap: 100, fill: true });
    expect(p.fetch).toEqual(["loved"]);
    expect(p.drop).toEqual(["rich"]);
  });

  it("says why a wanted torrent is not taken", () => {
    const p = planHosting([c("huge", { length: 500, wanted: true }), c("bad", { wanted: true, unhostable: true })], { storageCap: 100, fill: true });
    expect(p.selected).toEqual([]);
    const why = new Map(p.passedOver.map((x) => [x.infoHash, x.reason]));
    expect(why.get("huge")).toMatch(/needs 500 bytes, 100 left/);
    expect(why.get("bad")).toMatch(/storage root/);
  });

  it("without fill, downloads only what is wanted and still hosts what is on disk", () => {
    const p = planHosting([held("disk"), c("paying", { rewardPerGB: 1000n }), c("wanted", { wanted: true, rewardPerGB: 1n })], { storageCap: 1000, fill: false });
    expect(p.keep).toEqual(["disk"]);
    expect(p.fetch).toEqual(["wanted"]);
  });

  it("counts partial downloads against the cap and resumes the one it keeps", () => {
    const p = planHosting([c("partial", { onDisk: 60, rewardPerGB: 50n }), c("stale", { onDisk: 70, rewardPerGB: 1n }), held("kept", { rewardPerGB: 40n })], { storageCap: 200, fill: true });
    expect(p.fetch).toEqual(["partial"]);
    expect(p.keep).toEqual(["kept"]);
    // 100 (kept) + 100 (partial, reserved in full) + 70 (stale) > 200: the stale partial goes.
    expect(p.drop).toEqual(["stale"]);
    expect(p.diskBytes).toBe(200);
  });

  it("deletes nothing when nothing needs the room", () => {
    const p = planHosting([held("a", { rewardPerGB: 9n }), held("b", { rewardPerGB: 8n }), held("c", { rewardPerGB: 7n })], { storageCap: 200, fill: true });
    expect(p.keep).toEqual(["a", "b"]);
    expect(p.drop).toEqual([]);
    expect(p.diskBytes).toBe(300);
  });

  it("on random inputs: never hosts or reserves past the cap, and wanted torrents only miss when they cannot fit", () => {
    let seed = 42;
    const rnd = (n: number) => ((seed = (seed * 48271) % 2147483647) % n);
    for (let i = 0; i < 500; i++) {
      const cands = Array.from({ length: 1 + rnd(12) }, (_, k) => {
        const length = 1 + rnd(1000);
        const complete = rnd(3) === 0;
        return c(`t${k}`, { length, complete, onDisk: complete ? length : rnd(2) ? rnd(length) : 0, wanted: rnd(4) === 0, rewardPerGB: BigInt(rnd(1000)) });
      });
      const storageCap = rnd(3000);
      const p = planHosting(cands, { storageCap, fill: rnd(2) === 0 });
      expect(p.selected.reduce((s, x) => s + x.length, 0)).toBeLessThanOrEqual(storageCap);
      if (p.fetch.length) expect(p.diskBytes).toBeLessThanOrEqual(storageCap);
      const left = storageCap - p.hostedBytes;
      for (const w of cands.filter((x) => x.wanted && !p.selected.includes(x))) expect(w.length).toBeGreaterThan(left);
      for (const d of p.drop) expect(p.selected.some((x) => x.infoHash === d)).toBe(false);
    }
  });

  it("values data on disk up to 20% more, in proportion to how much is there", () => {
    expect(effectiveValue(c("x", { rewardPerGB: 1000n }))).toBe(1000n);
    expect(effectiveValue(c("x", { rewardPerGB: 1000n, onDisk: 50 }))).toBe(1100n);
    expect(effectiveValue(held("x", { rewardPerGB: 1000n }))).toBe(1200n);
  });
});

describe("the interest list", () => {
  const t = { infoHash: "ab".repeat(20), name: "Retro Arcade Pack" };

  it("matches info hashes exactly and names by case-insensitive globs over the whole name", () => {
    expect(matchesInterest("ab".repeat(20), t)).toBe(true);
    expect(matchesInterest("retro*", t)).toBe(true);
    expect(matchesInterest("*ARCADE*", t)).toBe(true);
    expect(matchesInterest("Retro Arcade Pac?", t)).toBe(true);
    expect(matchesInterest("arcade", t)).toBe(false);
    expect(matchesInterest("Retro (Arcade)*", t)).toBe(false);
    expect(interestMatcher(["cd".repeat(20), "*pack"])(t)).toBe(true);
    expect(interestMatcher(["cd".repeat(20)])(t)).toBe(false);
  });

  it("normalises info hashes and magnet links to lowercase hex and keeps patterns as typed", () => {
    expect(normaliseInterest(` ${"AB".repeat(20)} `)).toBe("ab".repeat(20));
    expect(normaliseInterest(`magnet:?xt=urn:btih:${"CD".repeat(20)}&dn=x`)).toBe("cd".repeat(20));
    expect(normaliseInterest("Retro*")).toBe("Retro*");
    expect(() => normaliseInterest("  ")).toThrow(/empty/);
  });
});
