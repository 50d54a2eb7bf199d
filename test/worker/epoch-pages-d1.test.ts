// The paged close's pages read from D1 (worker/epoch/pages.ts): each page's challenges by a
// range of info hashes, once per sweep. Every row must land in exactly one page, and the
// settlement from D1 pages must equal settleEpoch over the whole epoch to the wei.

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { asc, eq } from "drizzle-orm";
import { settlementJson } from "../../protocol/economics/published.ts";
import { canonicalPartsAsync } from "../../protocol/epoch/stream.ts";
import { settleEpoch, type SettleInputs, type SettleTorrent } from "../../protocol/economics/settle.ts";
import type { ReceiptBytes, Transfer } from "../../protocol/economics/upload-rewards.ts";
import { canonicalJson } from "../../protocol/epoch/inputs.ts";
import { transcriptFromRow, transcriptRow } from "../../worker/challenge/round.ts";
import { db, schema } from "../../worker/db/client.ts";
import { firstHostsIn, pageRanges, readPage, settleFromD1, settleFromD1Streamed, type Sweep } from "../../worker/epoch/pages.ts";
import { transfersOf } from "../../worker/epoch/transfers.ts";
import { CompactTransfers } from "../../protocol/economics/compact-transfers.ts";
import type { Env } from "../../worker/env.ts";
import { madeTranscript } from "./support/transcripts.ts";

const d = () => db(env.DB);
const EPOCH = 7;
const node = (i: number) => `0x${(0xd1a900 + i).toString(16).padStart(40, "0")}`;
const member = (i: number) => `0x${(0xbe0000 + i).toString(16).padStart(40, "0")}`;
const hash = (i: number) => (0x5a00 + i).toString(16).padStart(40, "0");
const torrents: SettleTorrent[] = Array.from({ length: 5 }, (_, i) => ({
  infoHash: hash(i),
  length: 50_000 + 7_000 * i,
  rootStatus: i === 2 ? "published" : "confirmed",
  ...(i === 1 ? { surgeBps: 14_000n } : {}),
  ...(i === 3 ? { bounty: 5n * 10n ** 18n } : {}),
}));

/** Nodes on shared subnets whose first challenge is not on their first torrent, some failing, some missing. */
async function seed(epoch: number): Promise<void> {
  const rows = [];
  // Torrents in reverse order of time, so a node's first challenge is on a later page.
  for (let round = 0; round < 2; round++)
    for (let k = torrents.length - 1; k >= 0; k--)
      for (let n = 0; n < 6; n++) {
        if ((n + k) % 4 === 3) continue;
        const verdict = n === 2 && k === 0 && round === 1 ? "timeout" : n === 4 && k === 3 ? "fail" : "pass";
        rows.push(transcriptRow(madeTranscript(epoch, node(n), torrents[k]!.infoHash, verdict, { round: round * 10 + k, host: `10.${k}.${n % 3}.1` })));
      }
  // A row a statement: D1 binds at most 100 parameters (the test guard).
  for (const r of rows) await d().insert(schema.challenges).values(r);
}

const transfers: Transfer[] = torrents.flatMap((t, k) => [0, 1].map((m) => ({ member: member(m), infoHash: t.infoHash, paidDownloaded: BigInt(10_000 * (k + 1) * (m + 1)), freeDownloaded: 3_000n, uploaded: 0n, charged: BigInt(10 ** 12 * (k + 1)) })));
const receipts: ReceiptBytes[] = torrents.map((t, k) => ({ infoHash: t.infoHash, uploader: node(k % 6), downloader: member(k % 2), bytes: BigInt(4_000 * (k + 1)) }));

describe("the paged close's pages read from D1", () => {
  it("reads every challenge of the epoch in exactly one page, whatever the page size (attack: a transcript dropped or counted twice between pages)", async () => {
    await seed(EPOCH);
    const all = await d().select({ id: schema.challenges.id }).from(schema.challenges).where(eq(schema.challenges.epoch, EPOCH));
    expect(all.length).toBeGreaterThan(30);
    for (const perPage of [1, 2, 3, 5, 9]) {
      const seen: string[] = [];
      for (const r of pageRanges(torrents, perPage)) {
        const page = await readPage(d(), EPOCH, r, { transfers, receipts });
        const listed = new Set(page.torrents.map((t) => t.infoHash));
        for (const c of page.challenges) expect(listed.has(c.infoHash)).toBe(true);
        for (const t of page.transfers ?? []) expect(listed.has(t.infoHash)).toBe(true);
        seen.push(...page.challenges.map((c) => c.id));
      }
      expect(seen.sort()).toEqual(all.map((c) => c.id).sort());
    }
    // Another epoch's rows are never read into this one's pages.
    const [first] = pageRanges(torrents, 9);
    await d().insert(schema.challenges).values(transcriptRow(madeTranscript(EPOCH + 1, node(0), torrents[0]!.infoHash, "pass")));
    expect((await readPage(d(), EPOCH, first!, { transfers: [], receipts: [] })).challenges).toHaveLength(all.length);
  });

  it("settles from D1 pages exactly as settleEpoch over the whole epoch, at every page size (attack: a paged close posting roots `vidya verify` cannot rebuild)", async () => {
    const E = EPOCH + 10;
    await seed(E);
    const rows = await d().select().from(schema.challenges).where(eq(schema.challenges.epoch, E)).orderBy(asc(schema.challenges.startedAt), asc(schema.challenges.id));
    const challenges = rows.map(transcriptFromRow);
    const inputs: SettleInputs = { epoch: E, route: "fixed-gate", challenges, torrents, transfers, receipts, previous: { faults: [{ node: node(4), streak: 1 }] } };
    const whole = settleEpoch(inputs);
    expect(whole.penalties.length).toBeGreaterThan(0);
    expect(whole.bountyDraws.length).toBeGreaterThan(0);
    expect(whole.upload.paid).toBeGreaterThan(0n);
    // The first host of a node is on a later torrent's page: the tally's host must come from firstHostsIn.
    expect((await firstHostsIn(d(), E)).get(node(1))).toBe("10.4.1.1");
    for (const perPage of [1, 2, 4, 1_000]) {
      // The close's transfers are compact (compact-transfers.ts): each page cut from them as from the list.
      const held = { transfers: perPage % 2 ? CompactTransfers.of(transfers) : transfers, receipts };
      const paged = await settleFromD1(d(), { epoch: E, route: "fixed-gate", previous: inputs.previous }, torrents, held, perPage, { fingerprint: `f${perPage}` });
      expect(canonicalJson(settlementJson(paged))).toBe(canonicalJson(settlementJson(whole)));
      expect(paged.leaves).toEqual(whole.leaves);
      expect(paged.slashedLeaves).toEqual(whole.slashedLeaves);
      expect(paged.spentLeaves).toEqual(whole.spentLeaves);
      // As the close runs it: the replicas, credits and swarms left in the stored pages, read back
      // a page at a time as they are written, the same published bytes.
      const streamed = await settleFromD1Streamed(d(), { epoch: E, route: "fixed-gate", previous: inputs.previous }, torrents, held, perPage, { fingerprint: `s${perPage}`, keep: true });
      expect(streamed.settlement.hosting.replicas).toEqual([]);
      let text = "";
      for await (const part of canonicalPartsAsync(settlementJson(streamed.settlement, streamed.lists), 4096)) text += new TextDecoder().decode(part);
      expect(text).toBe(canonicalJson(settlementJson(whole)));
      expect(streamed.settlement.leaves).toEqual(whole.leaves);
    }
  });

  it("resumes a settlement that died between pages at the page it was on, and never reuses pages of other inputs (attack: a crashed close recomputing from stale or foreign pages)", async () => {
    const E = EPOCH + 20;
    await seed(E);
    const rows = await d().select().from(schema.challenges).where(eq(schema.challenges.epoch, E)).orderBy(asc(schema.challenges.startedAt), asc(schema.challenges.id));
    const common = { epoch: E, route: "fixed-gate" as const };
    const whole = settleEpoch({ ...common, challenges: rows.map(transcriptFromRow), torrents, transfers, receipts });
    const scratch = async () => (await d().select().from(schema.epochSettlePages).where(eq(schema.epochSettlePages.epoch, E))).length;
    const crashAt = (at: string) => (sweep: Sweep, page: number) => {
      if (`${sweep}${page}` === at) throw new Error(`crash after ${at}`);
    };
    // Three pages; the first run dies once sweep C's page 1 is stored.
    await expect(settleFromD1(d(), common, torrents, { transfers, receipts }, 2, { fingerprint: "one", onStored: crashAt("C1") })).rejects.toThrow("crash after C1");
    expect(await scratch()).toBe(3 + 3 + 2);
    const computed: string[] = [];
    const resumed = await settleFromD1(d(), common, torrents, { transfers, receipts }, 2, { fingerprint: "one", onStored: (s, p) => void computed.push(`${s}${p}`) });
    expect(computed).toEqual(["C2"]);
    expect(canonicalJson(settlementJson(resumed))).toBe(canonicalJson(settlementJson(whole)));
    expect(resumed.leaves).toEqual(whole.leaves);
    expect(await scratch()).toBe(0);

    // Pages stored for other inputs (another fingerprint) are cleared, never read: a stored page
    // with a doctored reward would otherwise be paid.
    await expect(settleFromD1(d(), common, torrents, { transfers: [], receipts: [] }, 2, { fingerprint: "other", onStored: crashAt("C0") })).rejects.toThrow("crash after C0");
    await d().update(schema.epochSettlePages).set({ data: "{}" }).where(eq(schema.epochSettlePages.epoch, E));
    computed.length = 0;
    const fresh = await settleFromD1(d(), common, torrents, { transfers, receipts }, 2, { fingerprint: "one", onStored: (s, p) => void computed.push(`${s}${p}`) });
    expect(computed).toHaveLength(9);
    expect(canonicalJson(settlementJson(fresh))).toBe(canonicalJson(settlementJson(whole)));
  });

  it("makes the same transfers and allotment outcomes from the ledger read a page of members at a time as in one read (attack: a member's charge split across ledger pages, its free allotment spent twice)", async () => {
    const E = EPOCH + 30;
    const GB = 1_000_000_000;
    const rows = [];
    for (let m = 0; m < 7; m++)
      for (const [k, t] of torrents.entries())
        if ((m + k) % 3 !== 1) rows.push({ epoch: E, member: member(m), infoHash: t.infoHash, downloaded: 4 * GB, creditedDownloaded: m === 2 ? 0 : 4 * GB + m, uploaded: k * 1000, creditedUploaded: 0, seedSeconds: 60 });
    for (const r of rows) await d().insert(schema.ledger).values(r);
    const day = 20_000;
    // A member who used part of its window on earlier days, and one slowed before who downloaded nothing since.
    await d().insert(schema.allotments).values({ member: member(3), day: day - 2, bytes: 7 * GB });
    await d().insert(schema.members).values({ account: member(9), passkey: "9".repeat(32), admission: "invite", createdAt: 0, slowed: true });
    const price = (h: string) => BigInt(h.charCodeAt(39)) * 10n ** 15n;
    const one = await transfersOf(env as unknown as Env, d(), E, day, price, new Map(), 1_000);
    expect(one.transfers.length).toBeGreaterThan(15);
    expect(one.outcomes.some((o) => o.slowed > 0n)).toBe(true);
    expect(one.outcomes.map((o) => o.member)).toContain(member(9));
    for (const perPage of [1, 2, 3]) {
      const paged = await transfersOf(env as unknown as Env, d(), E, day, price, new Map(), perPage);
      expect(paged.transfers.all()).toEqual(one.transfers.all());
      expect(paged.transfers.digest()).toBe(one.transfers.digest());
      expect(paged.outcomes).toEqual(one.outcomes);
      expect([...paged.days]).toEqual([...one.days]);
    }
  });
});
