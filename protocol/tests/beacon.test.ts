import { describe, expect, it } from "vitest";
import type { Hex } from "viem";
import { checkBeacons, firstBlockAtOrAfter, type ChainBlock } from "../challenge/beacon.ts";

// A chain with irregular block times, some blocks sharing a second.
const times = [100, 112, 124, 124, 130, 131, 150, 151, 151, 170];
const chain: ChainBlock[] = times.map((timestamp, number) => ({ number, timestamp, hash: `0x${number.toString(16).padStart(64, "0")}` as Hex }));
const at = async (n: number) => chain[n]!;
const head = chain[chain.length - 1]!;

describe("the round's beacon block: first block at or after its due time", () => {
  it("finds the first block whose timestamp reaches the due time, whatever the block times (attack: edge picking a past block)", async () => {
    expect((await firstBlockAtOrAfter(124_000, head, at))!.number).toBe(2);
    expect((await firstBlockAtOrAfter(123_001, head, at))!.number).toBe(2);
    expect((await firstBlockAtOrAfter(124_001, head, at))!.number).toBe(4);
    expect((await firstBlockAtOrAfter(151_000, head, at))!.number).toBe(7);
    expect((await firstBlockAtOrAfter(0, head, at))!.number).toBe(0);
    expect((await firstBlockAtOrAfter(170_000, head, at))!.number).toBe(9);
  });

  it("has none while the chain has not reached the due time: the round waits", async () => {
    expect(await firstBlockAtOrAfter(170_001, head, at)).toBeNull();
  });

  it("reads few blocks for a round due recently, and about 2 × log2 for one long ago (a Worker's subrequests)", async () => {
    const long: ChainBlock[] = Array.from({ length: 1 << 16 }, (_, n) => ({ number: n, timestamp: 1_000 + n * 2, hash: "0x00" as Hex }));
    const last = long[long.length - 1]!;
    for (const [target, most] of [[last.number - 40, 14], [25_001, 34], [1, 36], [0, 36]] as const) {
      let reads = 0;
      const r = await firstBlockAtOrAfter((1_000 + target * 2) * 1000, last, async (n) => (reads++, long[n]!));
      expect(r!.number).toBe(target);
      expect(reads).toBeLessThanOrEqual(most);
    }
  });
});

describe("verify's beacon check", () => {
  const t = (id: string, blockNumber: number, startedAt = 200_000) => ({ id, node: "0x01", round: 0, startedAt, blockNumber, blockHash: chain[blockNumber]!.hash });
  const due = () => 124_500; // first block at or after: number 4 (second 130)
  const get = async (n: number) => chain[n];

  it("accepts the first block at or after the due time and rejects an earlier or later one (attack: a transcript made with a chosen past block)", async () => {
    const r = await firstBlockAtOrAfter(124_500, head, at);
    expect(r!.number).toBe(4);
    const c = await checkBeacons([t("right", 4), t("past", 2), t("late", 6)], due, head, get);
    expect(c).toEqual({ unanchored: ["past", "late"], forced: [] });
  });

  it("with forced rounds allowed, accepts a block mined before the round started and counts it; never a block from after", async () => {
    const c = await checkBeacons([t("past", 2), t("future", 9, 120_000)], due, head, get, true);
    expect(c).toEqual({ unanchored: ["future"], forced: ["past"] });
  });

  it("rejects a block hash the chain does not have at that number", async () => {
    const c = await checkBeacons([{ ...t("forged", 4), blockHash: `0x${"ee".repeat(32)}` }], due, head, get, true);
    expect(c.unanchored).toEqual(["forged"]);
  });
});
