import { describe, expect, it } from "vitest";
import { addCumulative, hostingRewards } from "../rewards.ts";

describe("hostingRewards", () => {
  it("pays in proportion to proven bytes and never more than the pool", () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    for (let t = 0; t < 200; t++) {
      const hosts = Array.from({ length: 1 + Math.floor(rnd() * 20) }, (_, i) => ({ account: `0x${i}`, provenBytes: BigInt(Math.floor(rnd() * 1e12)) }));
      const pool = BigInt(Math.floor(rnd() * 1e18));
      const out = hostingRewards(hosts, pool);
      const sum = [...out.values()].reduce((a, b) => a + b, 0n);
      expect(sum <= pool).toBe(true);
      expect(pool - sum < BigInt(hosts.length)).toBe(true); // only rounding dust is left
      for (const a of hosts) for (const b of hosts) if (a.provenBytes >= b.provenBytes) expect(out.get(a.account)! >= out.get(b.account)!).toBe(true);
    }
  });

  it("gives nothing to a node with nothing proven", () => {
    const out = hostingRewards([{ account: "0xA", provenBytes: 0n }, { account: "0xB", provenBytes: 10n }], 1000n);
    expect(out.get("0xa")).toBe(0n);
    expect(out.get("0xb")).toBe(1000n);
    expect(hostingRewards([{ account: "0xA", provenBytes: 0n }], 1000n).get("0xa")).toBe(0n);
  });

  it("cumulative totals only grow", () => {
    const prev = new Map([["0xa", 5n]]);
    const next = addCumulative(prev, new Map([["0xa", 2n], ["0xb", 3n]]));
    expect([...next]).toEqual([["0xa", 7n], ["0xb", 3n]]);
    expect(prev.get("0xa")).toBe(5n);
  });
});
