// The paged close's pages read from D1 (issue 13 part 3): each page of whole torrents is read
// with its own bounded queries (challenges by a range of info hashes, index
// 0025_epoch_pages), once per sweep, so the sweeps never hold more than one page of challenges.
// Ranges are contiguous and half-open, [first of the page, first of the next), the first page
// open below and the last open above: every row of the epoch is in exactly one page.
// Only the challenges are read per page. Transfers are cut from the close's compact list: the
// allotment that sets their charge runs per member across torrents (transfers.ts, a page of
// members at a time), so they are made before the torrent pages. Receipts are cut from the list
// the close read: they are refused for an epoch whose close has started (receipts/routes.ts), but
// they are not yet read per page (all of them in one query). Challenges cannot move within an
// invocation: only the scheduler writes them, and it is the one running the close. Between
// invocations the epoch is frozen (frozen.ts): the scheduler runs no round for it and every read
// here is of the rows frozen when the close started.

import type { Transcript } from "../../protocol/challenge/transcript.ts";
import { and, asc, eq, gte, lt, ne, sql, type SQL } from "drizzle-orm";
import { decodeStep, encodeStep } from "../../protocol/economics/paged-json.ts";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import {
  addPageWeights,
  pageLists,
  SettlementFold,
  type PageSettlement,
  type SettlementLists,
  noWeights,
  pageWeights,
  settleContext,
  settlePage,
  settleTotals,
  tallyPages,
  type SettleCommon,
  type SettlePage,
} from "../../protocol/economics/settle-paged.ts";
import type { Tally } from "../../protocol/epoch/replica-faults.ts";
import type { Settlement, SettleTorrent } from "../../protocol/economics/settle.ts";
import type { ReceiptBytes, Transfer } from "../../protocol/economics/upload-rewards.ts";
import { schema, type Db } from "../db/client.ts";
import { HttpError } from "../errors.ts";
import { transcriptFromRow } from "../challenge/round.ts";
import { frozenRows, type Frozen } from "./frozen.ts";
import { CompactTransfers } from "../../protocol/economics/compact-transfers.ts";
import type { PublishedLists } from "../../protocol/economics/published.ts";
import { StreamedArray } from "../../protocol/epoch/stream.ts";

/** One page: its torrents and the info-hash range its rows are read from. */
export interface PageRange {
  torrents: SettleTorrent[];
  /** Inclusive lower bound, none on the first page. */
  from?: string;
  /** Exclusive upper bound, none on the last page. */
  to?: string;
}

/** The epoch's torrents (any order) in pages of `perPage`, info-hash order, with the ranges that cover every row. */
export function pageRanges(torrents: readonly SettleTorrent[], perPage: number): PageRange[] {
  if (!Number.isSafeInteger(perPage) || perPage < 1) throw new RangeError(`perPage must be a positive integer, got ${perPage}`);
  const sorted = [...torrents].sort((a, b) => (a.infoHash < b.infoHash ? -1 : a.infoHash > b.infoHash ? 1 : 0));
  const out: PageRange[] = [];
  for (let i = 0; i < sorted.length; i += perPage) out.push({ torrents: sorted.slice(i, i + perPage) });
  if (out.length === 0) out.push({ torrents: [] });
  out.forEach((p, k) => {
    if (k > 0) p.from = p.torrents[0]!.infoHash;
    if (k + 1 < out.length) p.to = out[k + 1]!.torrents[0]!.infoHash;
  });
  return out;
}

function inRange(column: SQLiteColumn, r: PageRange): SQL[] {
  const out: SQL[] = [];
  if (r.from !== undefined) out.push(gte(column, r.from));
  if (r.to !== undefined) out.push(lt(column, r.to));
  return out;
}

/** What the close holds in memory and cuts per page: the allotment's transfers (compact, or a list) and the receipts it read. */
export interface HeldRows {
  transfers: readonly Transfer[] | CompactTransfers;
  receipts: readonly ReceiptBytes[];
}

/** The epoch's rows, those of the close's freeze (frozen.ts) when given. */
const epochRows = (epoch: number, frozen?: Frozen): SQL => (frozen ? frozenRows(frozen) : eq(schema.challenges.epoch, epoch));

/** A page's challenges read from D1 (the epoch's order: started, id), its transfers and receipts cut from `held`. */
export async function readPage(d: Db, epoch: number, r: PageRange, held: HeldRows, frozen?: Frozen): Promise<Omit<SettlePage, "challenges"> & { challenges: Transcript[] }> {
  const c = schema.challenges;
  const rows = await d
    .select()
    .from(c)
    .where(and(epochRows(epoch, frozen), ...inRange(c.infoHash, r)))
    .orderBy(asc(c.startedAt), asc(c.id));
  const within = (infoHash: string) => (r.from === undefined || infoHash >= r.from) && (r.to === undefined || infoHash < r.to);
  const transfers = held.transfers instanceof CompactTransfers ? held.transfers.inRange(r.from, r.to) : held.transfers.filter((x) => within(x.infoHash));
  return { torrents: r.torrents, challenges: rows.map(transcriptFromRow), transfers, receipts: held.receipts.filter((x) => within(x.infoHash)) };
}

/**
 * Each node's (lowercase) host of its first challenge in the epoch (started, id): tallyPages'
 * firstHosts, one query whatever the pages, a row per node.
 */
export async function firstHostsIn(d: Db, epoch: number, frozen?: Frozen): Promise<Map<string, string>> {
  const rows = await d.all<{ node: string; host: string }>(sql`
    SELECT node, host FROM (
      SELECT lower(node) AS node, host, ROW_NUMBER() OVER (PARTITION BY lower(node) ORDER BY started_at, id) AS n
      FROM challenges WHERE ${epochRows(epoch, frozen)}
    ) WHERE n = 1`);
  return new Map(rows.map((r) => [r.node, r.host]));
}

/** Where a paged close keeps its pages' results (epoch_settle_pages) and what they came from. */
export interface Steps {
  /** Names everything the settlement reads (settle-mode.ts fingerprintOf): a result of other inputs is never reused. */
  fingerprint: string;
  /** The close's frozen challenges (frozen.ts): only those rows are read. */
  frozen?: Frozen;
  /**
   * Page results this invocation may compute (read-back ones are free): past it the close stops
   * with close_in_progress, its pages stored, and the next tick goes on (EPOCH_SETTLE_PAGES_PER_TICK).
   */
  budget?: number;
  /** Called once a page's result is stored (tests crash here, as a dying invocation would). */
  onStored?: (sweep: Sweep, page: number) => void;
  /** Keep the stored pages once assembled (the close's settled batch deletes them: a tick that stops after the settlement reads them back). */
  keep?: boolean;
  /** Page results computed so far in this invocation. */
  computed?: number;
}
export type Sweep = "A" | "B" | "C";

/** Under D1's 2 MB a value (characters: the JSON is ASCII). */
const PART_CHARS = 1_000_000;

/** A page's stored result of a sweep, if stored. */
async function storedStep<T>(d: Db, epoch: number, fingerprint: string, sweep: Sweep, page: number): Promise<T | undefined> {
  const t = schema.epochSettlePages;
  const parts = await d.select({ data: t.data }).from(t).where(and(eq(t.epoch, epoch), eq(t.sweep, sweep), eq(t.page, page), eq(t.fingerprint, fingerprint))).orderBy(asc(t.part));
  return parts.length ? decodeStep<T>(parts.map((p) => p.data).join("")) : undefined;
}

/** A page's result of a sweep: read back from the scratch table if an earlier invocation stored it, else computed and stored. */
async function step<T>(d: Db, epoch: number, steps: Steps, stored: ReadonlySet<string>, sweep: Sweep, page: number, compute: () => Promise<T>): Promise<T> {
  const t = schema.epochSettlePages;
  // Only pages listed as stored are read back: a fresh close spends no query looking.
  const kept = stored.has(`${sweep}${page}`) ? await storedStep<T>(d, epoch, steps.fingerprint, sweep, page) : undefined;
  if (kept !== undefined) return kept;
  if (steps.budget !== undefined && (steps.computed ?? 0) >= steps.budget)
    throw new HttpError(503, "close_in_progress", `epoch ${epoch}: the settlement stopped at sweep ${sweep} page ${page} after ${steps.budget} pages this invocation; the next tick goes on`);
  steps.computed = (steps.computed ?? 0) + 1;
  const value = await compute();
  const json = encodeStep(value);
  const inserts = [];
  for (let i = 0, part = 0; i < json.length || part === 0; i += PART_CHARS, part++)
    inserts.push(d.insert(t).values({ epoch, sweep, page, part, fingerprint: steps.fingerprint, data: json.slice(i, i + PART_CHARS) }));
  await d.batch(inserts as [(typeof inserts)[0], ...typeof inserts]);
  steps.onStored?.(sweep, page);
  return value;
}

/**
 * settleEpoch's Settlement in three sweeps over pages read from D1 (settle-paged.ts A, B, C):
 * equal to the wei to settleEpoch over the whole epoch. Each page's result is stored as it is
 * made (step): a close that dies between pages resumes at the page it was on, and another
 * close's leftovers (another fingerprint) are cleared first. The scratch is deleted once the
 * settlement is assembled, unless `steps.keep`.
 */
export async function settleFromD1(d: Db, common: SettleCommon, torrents: readonly SettleTorrent[], held: HeldRows, perPage: number, steps: Steps): Promise<Settlement> {
  return (await sweepsFromD1(d, common, torrents, held, perPage, steps, true)).settlement;
}

/**
 * settleFromD1 for a close that cannot hold the settlement's long lists (issue 13: at 10,000
 * nodes × 50 torrents its replicas, credits and swarms are a third of the close's heap): the
 * Settlement with those lists empty, and the lists as published (settlementJson's `lists`), each
 * read back from the stored pages of sweep C, a page at a time, every time it is written (a
 * query a page a list a pass). The scratch must outlive the call (`steps.keep`).
 */
export async function settleFromD1Streamed(
  d: Db,
  common: SettleCommon,
  torrents: readonly SettleTorrent[],
  held: HeldRows,
  perPage: number,
  steps: Steps,
): Promise<{ settlement: Settlement; lists: PublishedLists }> {
  if (!steps.keep) throw new TypeError("settleFromD1Streamed reads the stored pages again: steps.keep must be set");
  const { settlement, pages } = await sweepsFromD1(d, common, torrents, held, perPage, steps, false);
  const { epoch } = common;
  const list = <K extends keyof SettlementLists>(name: K) =>
    new StreamedArray<SettlementLists[K][number]>(async function* () {
      for (let k = 0; k < pages; k++) {
        const page = await storedStep<PageSettlement>(d, epoch, steps.fingerprint, "C", k);
        if (!page) throw new HttpError(503, "close_in_progress", `epoch ${epoch}: sweep C page ${k} is no longer stored; the next tick settles again`);
        yield pageLists(page)[name];
      }
    });
  return { settlement, lists: { replicas: list("replicas"), credits: list("credits"), swarms: list("swarms") } };
}

/** The three sweeps; sweep C's pages folded as they come, their lists kept or not (SettlementFold). */
async function sweepsFromD1(d: Db, common: SettleCommon, torrents: readonly SettleTorrent[], held: HeldRows, perPage: number, steps: Steps, keepLists: boolean): Promise<{ settlement: Settlement; pages: number }> {
  const { epoch } = common;
  const t = schema.epochSettlePages;
  await d.delete(t).where(and(eq(t.epoch, epoch), ne(t.fingerprint, steps.fingerprint)));
  const stored = new Set(
    (await d.select({ sweep: t.sweep, page: t.page }).from(t).where(and(eq(t.epoch, epoch), eq(t.fingerprint, steps.fingerprint), eq(t.part, 0)))).map((r) => `${r.sweep}${r.page}`),
  );
  const ranges = pageRanges(torrents, perPage);
  const read = (r: PageRange) => readPage(d, epoch, r, held, steps.frozen);
  // Sweep A keeps only the tally, page by page (pages hold whole torrents: no (node, torrent) twice).
  const tallied: Tally = new Map();
  for (const [k, r] of ranges.entries()) {
    const page = await step(d, epoch, steps, stored, "A", k, async () => tallyPages([await read(r)]));
    for (const [node, n] of page) {
      const m = tallied.get(node);
      if (!m) tallied.set(node, n);
      else for (const [h, v] of n.torrents) m.torrents.set(h, v);
    }
  }
  const hosts = await firstHostsIn(d, epoch, steps.frozen);
  for (const [node, n] of tallied) n.host = hosts.get(node) ?? n.host;
  const ctx = settleContext(common, tallied);
  let weights = noWeights();
  for (const [k, r] of ranges.entries()) weights = addPageWeights(weights, await step(d, epoch, steps, stored, "B", k, async () => pageWeights(ctx, await read(r))));
  const totals = settleTotals(ctx, weights);
  // In range order: each page's lists are its share of the whole in the published order.
  const fold = new SettlementFold(ctx, totals, keepLists);
  for (const [k, r] of ranges.entries()) fold.add(await step(d, epoch, steps, stored, "C", k, async () => settlePage(ctx, totals, await read(r))));
  if (!steps.keep) await d.delete(t).where(eq(t.epoch, epoch));
  return { settlement: fold.settlement(), pages: ranges.length };
}
