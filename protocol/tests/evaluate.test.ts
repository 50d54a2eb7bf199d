import { describe, expect, it } from "vitest";
import type { Address } from "viem";
import { evaluateEpoch, provenBytes } from "../epoch/evaluate.ts";
import { HOSTING_POOL } from "../params.ts";

const A = "0x00000000000000000000000000000000000000aa";
const B = "0x00000000000000000000000000000000000000bb";
const torrents = [
  { infoHash: "11".repeat(20), length: 1_000 },
  { infoHash: "22".repeat(20), length: 3_000 },
];
const pass = (node: string, i: number) => ({ node, infoHash: torrents[i]!.infoHash, verdict: "pass" });
const fail = (node: string, i: number) => ({ node, infoHash: torrents[i]!.infoHash, verdict: "timeout" });

describe("epoch evaluation", () => {
  it("counts a torrent only when every challenge of the epoch passed", () => {
    const h = provenBytes([pass(A, 0), pass(A, 1), fail(A, 1), pass(B, 1)], torrents);
    expect(h).toEqual([
      { node: A, provenBytes: 1_000n },
      { node: B, provenBytes: 3_000n },
    ]);
  });

  it("gives a node that failed everything zero and no leaf", () => {
    const e = evaluateEpoch([pass(A, 0), fail(B, 0), fail(B, 1)], torrents, []);
    expect(e.earned.get(B)).toBe(0n);
    expect(e.earned.get(A)).toBe(HOSTING_POOL);
    expect(e.leaves).toEqual([{ account: A, cumulative: HOSTING_POOL }]);
  });

  it("carries earlier cumulative amounts forward, even for accounts not challenged this epoch", () => {
    const e = evaluateEpoch([pass(A, 0)], torrents, [{ account: B as Address, cumulative: 5n }, { account: A as Address, cumulative: 7n }]);
    expect(e.leaves).toEqual([
      { account: A, cumulative: 7n + HOSTING_POOL },
      { account: B, cumulative: 5n },
    ]);
  });

  it("refuses a transcript for a torrent whose length is not published", () => {
    expect(() => provenBytes([{ node: A, infoHash: "33".repeat(20), verdict: "pass" }], torrents)).toThrow(/no length/);
  });
});
