// The epoch ledger that the swarm shards fill (worker/swarm/flush.ts) and an epoch's close
// reads (docs/interfaces.md "Accounting ledger"). Rows are stamped with the epoch open when
// their batch reaches D1: open = max(last closed, last sealed) + 1. An epoch's close must
// seal it first: from then on new batches go to the next epoch, and the sealed epoch's rows
// no longer move while the close reads them, posts the root and stores the epoch.

import { and, eq, sql } from "drizzle-orm";
import { db, schema } from "../db/client.ts";
import { OPEN_EPOCH_SQL } from "../swarm/flush.ts";

/** The epoch new accounting batches are stamped with now. */
export async function ledgerEpoch(d1: D1Database): Promise<number> {
  const row = await d1.prepare(`${OPEN_EPOCH_SQL} AS epoch`).first<{ epoch: number }>();
  return row?.epoch ?? 1;
}

/** Seals `epoch`'s ledger (idempotent): batches from now on are stamped `epoch + 1` or later. */
export async function sealLedger(d1: D1Database, epoch: number, now = Date.now()): Promise<void> {
  await db(d1).insert(schema.ledgerSeals).values({ epoch, sealedAt: now }).onConflictDoNothing();
}

export interface LedgerRow {
  member: string;
  infoHash: string;
  uploaded: number;
  downloaded: number;
  creditedUploaded: number;
  creditedDownloaded: number;
  seedSeconds: number;
}

/** Every (member, info hash) row of an epoch. */
export async function ledgerOf(d1: D1Database, epoch: number): Promise<LedgerRow[]> {
  const l = schema.ledger;
  return db(d1)
    .select({
      member: l.member,
      infoHash: l.infoHash,
      uploaded: l.uploaded,
      downloaded: l.downloaded,
      creditedUploaded: l.creditedUploaded,
      creditedDownloaded: l.creditedDownloaded,
      seedSeconds: l.seedSeconds,
    })
    .from(l)
    .where(eq(l.epoch, epoch))
    .orderBy(l.member, l.infoHash)
    .all();
}

/** Every torrent's swarm totals of an epoch. */
export async function swarmLedgerOf(d1: D1Database, epoch: number, infoHash?: string) {
  const s = schema.swarmLedger;
  return db(d1)
    .select()
    .from(s)
    .where(infoHash ? and(eq(s.epoch, epoch), eq(s.infoHash, infoHash)) : eq(s.epoch, epoch))
    .orderBy(s.infoHash)
    .all();
}

/** A member's credited totals in an epoch (what the economics charge and pay from). */
export async function memberEpochTotals(d1: D1Database, epoch: number, member: string) {
  const l = schema.ledger;
  return db(d1)
    .select({
      uploaded: sql<number>`coalesce(sum(${l.uploaded}), 0)`,
      downloaded: sql<number>`coalesce(sum(${l.downloaded}), 0)`,
      creditedUploaded: sql<number>`coalesce(sum(${l.creditedUploaded}), 0)`,
      creditedDownloaded: sql<number>`coalesce(sum(${l.creditedDownloaded}), 0)`,
    })
    .from(l)
    .where(and(eq(l.epoch, epoch), eq(l.member, member)))
    .get();
}
