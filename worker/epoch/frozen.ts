// The challenges a close reads, frozen when it starts (issue 13 part 3). A close may span several
// invocations (a paged close resumed after a crash or a spent budget), and the epoch stays open
// until its settled record is stored: without a freeze, the scheduler's rounds between two ticks
// would add transcripts the earlier pages never saw, and the published file would list rows the
// settlement did not. So the close records, at its start, the table's highest rowid and the
// epoch's count, and every read of the close (the sets it needs, the pages, the published
// inputs) is of the epoch's rows at or below that rowid.
//
// Why that is sound: the scheduler runs no round for a frozen epoch (scheduler.ts runFor asks
// isFrozen before each round), so no row of this epoch is written while it is frozen, and rows
// of the next epoch never match its number. Rows are never rewritten (round.ts storeTranscripts
// inserts or ignores). The cutoff is a second fence: SQLite gives a new row max(rowid) + 1, above
// the cutoff, unless the highest row was deleted first (only an admin deletes challenges,
// nodes/admin.ts); any delete changes the count, which the fingerprint names (settle-mode.ts),
// so stored pages of another set are never reused.

import { and, asc, eq, gt, lte, or, sql, type SQL } from "drizzle-orm";
import type { Transcript } from "../../protocol/challenge/transcript.ts";
import { jsonChunks, schema, type Db } from "../db/client.ts";
import { transcriptFromRow } from "../challenge/round.ts";
import { CHALLENGE_PAGE_ROWS } from "../../protocol/params.ts";

export interface Frozen {
  epoch: number;
  /** The challenges table's highest rowid when the close started: later rows are not this close's. */
  cutoff: number;
  /** The epoch's rows then. */
  count: number;
}

const c = schema.challenges;
const rowid = sql`"challenges"."rowid"`;

/** The epoch's frozen rows: the condition every read of the close adds. */
export function frozenRows(f: Frozen): SQL {
  return and(eq(c.epoch, f.epoch), lte(rowid, f.cutoff))!;
}

/** Freezes the epoch's challenges for its close, or returns the freeze an earlier invocation of the same close recorded. */
export async function freezeChallenges(d: Db, epoch: number, now: number): Promise<Frozen> {
  const t = schema.epochCloseFreeze;
  await d.run(sql`INSERT INTO epoch_close_freeze (epoch, challenge_cutoff, challenges, frozen_at)
    SELECT ${epoch}, (SELECT coalesce(max(rowid), 0) FROM challenges), (SELECT count(*) FROM challenges WHERE epoch = ${epoch}), ${now}
    ON CONFLICT (epoch) DO NOTHING`);
  const row = (await d.select().from(t).where(eq(t.epoch, epoch)).get())!;
  return { epoch, cutoff: row.challengeCutoff, count: row.challenges };
}

/** Lifts the freeze: the close gave up without settling (nothing earned yet), the epoch goes on collecting rounds. */
export async function thawChallenges(d: Db, epoch: number): Promise<void> {
  await d.batch([d.delete(schema.epochCloseFreeze).where(eq(schema.epochCloseFreeze.epoch, epoch)), d.delete(schema.epochCloseReads).where(eq(schema.epochCloseReads.epoch, epoch))]);
}

/** Whether a close of `epoch` has started and not settled: its rounds are over. */
export async function isFrozen(d: Db, epoch: number): Promise<boolean> {
  return (await d.select({ epoch: schema.epochCloseFreeze.epoch }).from(schema.epochCloseFreeze).where(eq(schema.epochCloseFreeze.epoch, epoch)).get()) !== undefined;
}

/** What the close needs of its challenges as sets, from SQL: torrents challenged, nodes (lowercase), torrents proved. */
export async function challengeSets(d: Db, f: Frozen): Promise<{ challenged: string[]; nodes: string[]; proved: string[] }> {
  const [challenged, nodes, proved] = await d.batch([
    d.selectDistinct({ v: c.infoHash }).from(c).where(frozenRows(f)),
    d.selectDistinct({ v: sql<string>`lower(${c.node})` }).from(c).where(frozenRows(f)),
    d.selectDistinct({ v: c.infoHash }).from(c).where(and(frozenRows(f), eq(c.verdict, "pass"))),
  ]);
  const sorted = (rows: { v: string }[]) => rows.map((r) => r.v).sort();
  return { challenged: sorted(challenged), nodes: sorted(nodes), proved: sorted(proved) };
}


/**
 * The frozen challenges in the epoch's order (started, id), a page at a time: each page one query
 * (keyset on the index challenges_epoch_started), so the inputs file is written without holding them.
 */
export async function* challengePages(d: Db, f: Frozen, rows = CHALLENGE_PAGE_ROWS): AsyncGenerator<Transcript[]> {
  let after: { startedAt: number; id: string } | undefined;
  for (;;) {
    const page = await d
      .select()
      .from(c)
      .where(and(frozenRows(f), after ? or(gt(c.startedAt, after.startedAt), and(eq(c.startedAt, after.startedAt), gt(c.id, after.id))) : undefined))
      .orderBy(asc(c.startedAt), asc(c.id))
      .limit(rows);
    if (page.length) yield page.map(transcriptFromRow);
    if (page.length < rows) return;
    const last = page[page.length - 1]!;
    after = { startedAt: last.startedAt, id: last.id };
  }
}

/** Every frozen challenge at once, in the epoch's order: only the whole settlement (EPOCH_SETTLE=whole) needs them so. */
export async function allChallenges(d: Db, f: Frozen): Promise<Transcript[]> {
  const out: Transcript[] = [];
  for await (const page of challengePages(d, f)) out.push(...page);
  return out;
}

/**
 * A chain read the close settles with (deposits, bounties: non-zero balances), made once in its
 * first invocation and reused by the next ones: read afresh each tick, a deposit moving between
 * ticks would change the transfers' digest and drop every stored page, and a close of many ticks
 * on a busy chain might never finish. As stale as a one-invocation close's reads are by the time
 * its post is mined: a withdrawal requested meanwhile is covered the same way (Escrow's delay).
 *
 * Kept in epoch_close_reads as JSON arrays of [key, decimal] entries, cut between entries into
 * parts under D1's 2 MB a value (client.ts jsonChunks): one value passed it at about 25,000
 * paying members. Each part parses alone, so no string of the whole read is built to read it.
 * Read back with one select; only kept while the epoch's close is frozen.
 */
export async function frozenRead(d: Db, epoch: number, name: "deposits" | "bounties", read: () => Promise<Map<string, bigint>>): Promise<Map<string, bigint>> {
  const t = schema.epochCloseReads;
  const parts = await d.select({ data: t.data }).from(t).where(and(eq(t.epoch, epoch), eq(t.name, name))).orderBy(asc(t.part));
  if (parts.length) {
    const kept = new Map<string, bigint>();
    for (const p of parts) for (const [k, v] of JSON.parse(p.data) as [string, string][]) kept.set(k, BigInt(v));
    return kept;
  }
  const fresh = await read();
  const entries = [...fresh].filter(([, v]) => v !== 0n).map(([k, v]) => [k, v.toString()] as const);
  // At least one part, so an all-zero read is kept as read. One batch (a transaction): a crash
  // leaves all of the read or none. Each part is written only while the close is frozen (a close
  // given up keeps nothing) and no part 0 of this read exists: part 0 goes last, so a concurrent
  // close that wrote the read first makes this whole batch a no-op, never a mix of the two.
  const chunks = jsonChunks(entries);
  if (!chunks.length) chunks.push([]);
  const inserts = chunks
    .map((part, k) => ({ part, k }))
    .reverse()
    .map(({ part, k }) =>
      // Columns in the table's order (epoch, name, part, data).
      d.insert(t).select(sql`SELECT ${epoch}, ${name}, ${k}, ${JSON.stringify(part)}
        WHERE EXISTS (SELECT 1 FROM epoch_close_freeze WHERE epoch = ${epoch})
          AND NOT EXISTS (SELECT 1 FROM epoch_close_reads WHERE epoch = ${epoch} AND name = ${name} AND part = 0)`),
    );
  await d.batch(inserts as [(typeof inserts)[0], ...typeof inserts]);
  return fresh;
}
