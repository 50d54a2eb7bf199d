import { describe, expect, it } from "vitest";
import { keccak256, type Hex } from "viem";
import { BLOCK_SIZE } from "../params.ts";
import { challengeBlocks, coverageOrder, deriveRound, revealMatches, roundDueAt, roundRandomness, roundTargets, seedCommitment, ZERO_BLOCK_HASH } from "../challenge/schedule.ts";

const seed = keccak256("0x01");
const node = "0x00000000000000000000000000000000000000aa";
const hosted = Array.from({ length: 13 }, (_, i) => (i + 1).toString(16).padStart(40, "0"));
const key = (round: number, blockHash: Hex = ZERO_BLOCK_HASH) => ({ seed, epoch: 7, node, round, blockHash });

describe("challenge schedule", () => {
  it("commits to the seed and checks the reveal", () => {
    expect(seedCommitment(seed)).toBe(keccak256(seed));
    expect(revealMatches(seed, seedCommitment(seed))).toBe(true);
    expect(revealMatches(keccak256("0x02"), seedCommitment(seed))).toBe(false);
  });

  it("is deterministic, and every input changes the randomness", () => {
    expect(roundRandomness(key(3))).toBe(roundRandomness(key(3)));
    const variants = [key(4), key(3, keccak256("0xbb")), { ...key(3), epoch: 8 }, { ...key(3), node: "0x00000000000000000000000000000000000000ab" }, { ...key(3), seed: keccak256("0x02") }];
    for (const v of variants) expect(roundRandomness(v)).not.toBe(roundRandomness(key(3)));
  });

  it("covers every hosted torrent once in R rounds, plus a spot check per round", () => {
    const R = 6;
    const seen = new Map<string, number>();
    for (let r = 0; r < R; r++) {
      const t = roundTargets(key(r), hosted, { roundsPerEpoch: R });
      expect(t.length).toBe(Math.ceil(13 / R) + 1);
      expect(new Set(t).size).toBe(t.length);
      for (const ih of t) seen.set(ih, (seen.get(ih) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual([...hosted].sort());
    // The coverage order is the seed's secret: another seed orders differently.
    expect(coverageOrder(seed, 7, node, hosted)).not.toEqual(coverageOrder(keccak256("0x02"), 7, node, hosted));
  });

  it("challenges every torrent of a small subset every round", () => {
    expect(roundTargets(key(0), hosted.slice(0, 2), { roundsPerEpoch: 6 }).sort()).toEqual(hosted.slice(0, 2));
    expect(roundTargets(key(5), hosted.slice(0, 1), { roundsPerEpoch: 6 })).toEqual(hosted.slice(0, 1));
    expect(roundTargets(key(0), [], { roundsPerEpoch: 6 })).toEqual([]);
  });

  it("places round r at a random time inside slice r of the epoch's span, growing with r", () => {
    const p = { openedAt: 1_000_000, epochMs: 3_600_000, roundsPerEpoch: 6 };
    const slice = (3_600_000 * 0.9) / 6;
    let last = -1;
    for (let r = 0; r < 12; r++) {
      const at = roundDueAt(p, seed, 7, node, r);
      const start = p.openedAt + Math.floor(r / 6) * p.epochMs + (r % 6) * slice;
      expect(at).toBeGreaterThanOrEqual(start);
      expect(at).toBeLessThan(start + slice);
      expect(at).toBeGreaterThan(last);
      last = at;
    }
  });

  it("draws distinct blocks within the tree, the same for the same randomness", () => {
    const r = roundRandomness(key(1));
    const b = challengeBlocks(r, hosted[0]!, 10 * BLOCK_SIZE + 1, 3);
    expect(b).toEqual(challengeBlocks(r, hosted[0]!, 10 * BLOCK_SIZE + 1, 3));
    expect(new Set(b).size).toBe(3);
    expect(b.every((x) => x >= 0 && x <= 10)).toBe(true);
    expect(challengeBlocks(r, hosted[1]!, 10 * BLOCK_SIZE + 1, 3)).not.toEqual(b);
    expect(challengeBlocks(r, hosted[0]!, 100, 3)).toEqual([0]);
  });

  it("derives a whole round a verifier can recompute from the revealed seed", () => {
    const torrents = hosted.map((infoHash, i) => ({ infoHash, length: (i + 1) * BLOCK_SIZE * 4, storageRoot: "ab".repeat(32) }));
    const a = deriveRound(key(2, keccak256("0xcc")), torrents, { roundsPerEpoch: 6 });
    const b = deriveRound(key(2, keccak256("0xcc")), [...torrents].reverse(), { roundsPerEpoch: 6 });
    expect(a).toEqual(b);
    expect(a.challenges.map((c) => c.infoHash)).toEqual(roundTargets(key(2, keccak256("0xcc")), hosted, { roundsPerEpoch: 6 }));
  });

  it("skips a target whose record cannot be challenged (unsafe length) and derives the others, targets and commitment unchanged (attack: one crafted upload stops every challenge)", () => {
    const torrents = hosted.map((infoHash, i) => ({ infoHash, length: (i + 1) * BLOCK_SIZE * 4, storageRoot: "ab".repeat(32) }));
    const k = key(2, keccak256("0xcc"));
    const honest = deriveRound(k, torrents, { roundsPerEpoch: 6 });
    const victim = honest.challenges[0]!.infoHash;
    const crafted = torrents.map((t) => (t.infoHash === victim ? { ...t, length: 2 ** 53 + 2 } : t));
    const r = deriveRound(k, crafted, { roundsPerEpoch: 6 });
    expect(r.skipped).toEqual([{ infoHash: victim, reason: expect.stringMatching(/positive integer/) }]);
    expect(r.challenges).toEqual(honest.challenges.slice(1));
    expect(r.hostedHash).toBe(honest.hostedHash);
    expect(honest.skipped).toEqual([]);
  });
});

