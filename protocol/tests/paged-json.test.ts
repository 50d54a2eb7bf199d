import { describe, expect, it } from "vitest";
import { decodeStep, encodeStep } from "../economics/paged-json.ts";

describe("paged close scratch JSON", () => {
  it("reads back a page's result to the wei, Maps and bigints nested (attack: a resumed close paying rounded or dropped amounts)", () => {
    const page = {
      totalWeight: 2n ** 200n + 1n,
      missed: new Map([["0xabc\n00ff", 123456789012345678901234567890n]]),
      tally: new Map([["0xabc", { host: "10.0.0.1", torrents: new Map([["00ff", { counted: 2, missed: 1, frauds: 0 }]]) }]]),
      replicas: [{ node: "0xabc", infoHash: "00ff", weight: 0n, reward: -1n }],
    };
    const back = decodeStep<typeof page>(encodeStep(page));
    expect(back).toEqual(page);
    expect(back.totalWeight).toBe(2n ** 200n + 1n);
    expect(back.tally.get("0xabc")!.torrents.get("00ff")!.missed).toBe(1);
  });

  it("leaves objects that merely carry a tag key alongside others as they are (attack: data smuggled into a bigint)", () => {
    const v = { a: { $big: "5", extra: 1 }, b: { $map: "x" } };
    expect(decodeStep(encodeStep(v))).toEqual(v);
  });

  it("writes ASCII only, so parts cut by length never split a character (attack: a host name or reason corrupting a stored page)", () => {
    const v = { reason: "nœud hors ligne 🚫", host: "例え.jp" };
    const json = encodeStep(v);
    expect(/^[\x00-\x7f]*$/.test(json)).toBe(true);
    expect(decodeStep(json)).toEqual(v);
  });
});
