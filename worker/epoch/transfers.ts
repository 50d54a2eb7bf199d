// The epoch's transfers from its ledger, in bounded memory (issue 13 part 3): the ledger read a
// page of members at a time (each member's rows whole: its allotment runs across its torrents),
// the transfers kept compact (protocol/economics/compact-transfers.ts, 40 bytes each) for the
// torrent pages of the settlement and the published list. Kept in memory rather than in a
// scratch table: 500,000 rows at 10,000 × 50 are 20 MB here, where a table would write them (and
// an index) to D1 at every close, $1 a close in rows written and ~100 more queries; an
// invocation that resumes the close recomputes them (a few dozen queries), and the paged
// fingerprint names their digest, so pages of other transfers are never reused.

import { eq, sql } from "drizzle-orm";
import { freeRemaining, splitDownload, type AllotmentState } from "../../protocol/economics/allotment.ts";
import { CompactTransfers } from "../../protocol/economics/compact-transfers.ts";
import type { Env } from "../env.ts";
import { schema, type Db } from "../db/client.ts";
import { allotmentStates } from "../economics/allotment.ts";
import { chargeableDeposits } from "../chain/client.ts";
import { frozenRead } from "./frozen.ts";
import { LEDGER_PAGE_MEMBERS } from "../../protocol/params.ts";

/** What the allotment decided for one member at this close (published with the inputs). */
export interface AllotmentOutcome {
  member: string;
  free: bigint;
  paid: bigint;
  slowed: bigint;
  /** Free bytes left in the rolling window after this epoch. */
  remaining: bigint;
  /** Whether the member had anything to charge (balance > 0). */
  deposit: boolean;
  /** What its deposit could pay at this close, wei: Escrow balance − earlier unsettled charges; 0 once it asked to withdraw. */
  balance: bigint;
  /** What this close charged it, wei (≤ balance): the spent leaf grows by exactly this. */
  charged: bigint;
  /** Bytes past the allotment its balance did not cover: not paid, slowed, earning no upload reward. */
  uncovered: bigint;
  /** Whether the member is slowed from now on (past the allotment, and its balance ran out or covers nothing more). */
  slowedNow: boolean;
}


/**
 * The epoch's transfers from its ledger: each member's downloaded bytes split free first, then
 * paid from its deposit as far as its available balance covers them at the torrent's price
 * (DESIGN.md "A deposit backs only what it can pay"), the rest slowed (allotment.ts), torrent by
 * torrent in info-hash order. Each transfer carries what was actually charged, so upload caps
 * follow the money collected, never a nominal price. Charged are the credited bytes (freeleech
 * and newcomers' free sessions are not charged); uploads are the actual bytes reported, published
 * for ratio only: they earn no tokens (upload tokens follow receipts and proofs, upload-rewards.ts).
 * Members in address order, a page of them a query; the same transfers, in the same order, as
 * one pass over the whole ledger.
 */
export async function transfersOf(
  env: Env,
  d: Db,
  epoch: number,
  day: number,
  priceOf: (infoHash: string) => bigint,
  spentBefore: ReadonlyMap<string, bigint>,
  pageMembers = LEDGER_PAGE_MEMBERS,
): Promise<{ transfers: CompactTransfers; outcomes: AllotmentOutcome[]; days: Map<string, AllotmentState> }> {
  const l = schema.ledger;
  // Each member's credited download of the epoch, summed in SQL (as text: exact past 2^53).
  const downloaded = new Map(
    (
      await d
        .select({ member: l.member, bytes: sql<string>`CAST(sum(${l.creditedDownloaded}) AS TEXT)` })
        .from(l)
        .where(eq(l.epoch, epoch))
        .groupBy(l.member)
    ).map((r) => [r.member, BigInt(r.bytes)]),
  );
  // Members slowed before, who downloaded nothing since, are looked at again: their window may have rolled on.
  const slowedBefore = (await d.select({ account: schema.members.account }).from(schema.members).where(eq(schema.members.slowed, true))).map((m) => m.account);
  const members = [...new Set([...downloaded.keys(), ...slowedBefore])].sort();
  const state = await allotmentStates(d, members, day);
  // Only members past their allotment need the chain: what can their deposit pay for the rest?
  const past = members.filter((m) => (downloaded.get(m) ?? 0n) >= freeRemaining(state.get(m)!, day));
  // Read once per close (frozen.ts): a close spanning ticks settles with the same balances throughout.
  const deposits = await frozenRead(d, epoch, "deposits", () => chargeableDeposits(env, past, spentBefore));
  const transfers = new CompactTransfers();
  const outcomes: AllotmentOutcome[] = [];
  for (let i = 0; i < members.length; i += pageMembers) {
    const page = members.slice(i, i + pageMembers);
    const rows = await d
      .select({ member: l.member, infoHash: l.infoHash, uploaded: l.uploaded, creditedDownloaded: l.creditedDownloaded })
      .from(l)
      .where(sql`${l.epoch} = ${epoch} AND ${l.member} >= ${page[0]!} AND ${l.member} <= ${page[page.length - 1]!}`)
      .orderBy(l.member, l.infoHash);
    let at = 0;
    for (const m of page) {
      let st = state.get(m)!;
      const balance = deposits.get(m) ?? 0n;
      const o: AllotmentOutcome = { member: m, free: 0n, paid: 0n, slowed: 0n, remaining: 0n, deposit: balance > 0n, balance, charged: 0n, uncovered: 0n, slowedNow: false };
      // The rows are in (member, info hash) order: this member's are the next ones.
      for (; at < rows.length && rows[at]!.member === m; at++) {
        const r = rows[at]!;
        const split = splitDownload(st, day, BigInt(r.creditedDownloaded), { available: balance - o.charged, pricePerGB: priceOf(r.infoHash) });
        st = split.state;
        o.free += split.free;
        o.paid += split.paid;
        o.slowed += split.slowed;
        o.charged += split.charged;
        if (split.paid || split.free || split.slowed || r.uploaded)
          transfers.push({ member: m, infoHash: r.infoHash, paidDownloaded: split.paid, freeDownloaded: split.free + split.slowed, uploaded: BigInt(r.uploaded), charged: split.charged });
      }
      state.set(m, st);
      o.uncovered = o.slowed;
      o.remaining = freeRemaining(st, day);
      o.slowedNow = o.remaining === 0n && (o.uncovered > 0n || o.charged === balance);
      outcomes.push(o);
    }
    if (at !== rows.length) throw new Error(`ledger page of epoch ${epoch}: ${rows.length - at} rows of members outside ${page[0]}..${page[page.length - 1]}`);
  }
  return { transfers, outcomes, days: state };
}
