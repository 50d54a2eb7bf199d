// The close's transfers held compact (protocol/economics/compact-transfers.ts): every page of
// torrents must get exactly the transfers the whole list filtered would give, in the same order,
// and the published list must come back value for value.

import { describe, expect, it } from "vitest";
import { CompactTransfers } from "../economics/compact-transfers.ts";
import type { Transfer } from "../economics/upload-rewards.ts";

const hash = (i: number) => (0xab00 + i).toString(16).padStart(40, "0");
const member = (i: number) => `0x${(0xbe00 + i).toString(16).padStart(40, "0")}`;

/** Members in order, each on torrents in info-hash order (as the allotment makes them), a few charged past 2^64 wei. */
function made(): Transfer[] {
  const out: Transfer[] = [];
  for (let m = 0; m < 40; m++)
    for (const k of [...new Set([m % 13, (m * 7) % 13, (m * 3 + 1) % 13])].sort((a, b) => a - b))
      out.push({
        member: member(m),
        infoHash: hash(k),
        paidDownloaded: BigInt(m * 1_000_003 + k),
        freeDownloaded: BigInt(2 ** 52 + m),
        uploaded: BigInt(k * 17),
        charged: m % 9 === 0 ? (1n << 70n) + BigInt(m) : BigInt(m) * 10n ** 15n,
      });
  return out;
}

describe("compact transfers", () => {
  it("gives each torrent page exactly the transfers of its range, in the published order, at every page cut (attack: an upload credit paid twice or dropped between pages)", () => {
    const all = made();
    const c = CompactTransfers.of(all);
    expect(c.length).toBe(all.length);
    expect(c.all()).toEqual(all);
    expect([...c.pages(7)].flat()).toEqual(all);
    const names = [...new Set(all.map((t) => t.infoHash))].sort();
    for (const cuts of [[], [names[3]!], [names[0]!, names[5]!, names[12]!], ["0", hash(6) + "0", "z"]]) {
      const bounds = [undefined, ...cuts, undefined];
      const seen: Transfer[] = [];
      for (let p = 0; p + 1 < bounds.length; p++) {
        const [from, to] = [bounds[p], bounds[p + 1]];
        const page = c.inRange(from, to);
        expect(page).toEqual(all.filter((t) => (from === undefined || t.infoHash >= from) && (to === undefined || t.infoHash < to)));
        seen.push(...page);
      }
      expect(seen).toHaveLength(all.length);
    }
  });

  it("names its contents in a digest that any changed byte count or charge changes (attack: a resumed close reusing pages settled on other transfers)", () => {
    const all = made();
    const d = CompactTransfers.of(all).digest();
    expect(CompactTransfers.of(made()).digest()).toBe(d);
    const charged = made();
    charged[0] = { ...charged[0]!, charged: charged[0]!.charged! + (1n << 64n) };
    const uploaded = made();
    uploaded[5] = { ...uploaded[5]!, uploaded: uploaded[5]!.uploaded + 1n };
    expect(CompactTransfers.of(charged).digest()).not.toBe(d);
    expect(CompactTransfers.of(uploaded).digest()).not.toBe(d);
    expect(CompactTransfers.of(all.slice(1)).digest()).not.toBe(d);
  });

  it("refuses what it cannot hold exactly (attack: a byte count past 2^53 silently rounded)", () => {
    const c = new CompactTransfers();
    expect(() => c.push({ member: member(1), infoHash: hash(1), paidDownloaded: 2n ** 53n, freeDownloaded: 0n, uploaded: 0n, charged: 0n })).toThrow(RangeError);
    expect(() => c.push({ member: member(1), infoHash: hash(1), paidDownloaded: 1n, uploaded: 0n })).toThrow(RangeError);
  });
});
