// The paged close's pages read from D1 (issue 13 part 3): each page of whole torrents is read
// with its own bounded queries (challenges by a range of info hashes, index
// 0025_epoch_pages), once per sweep, so the settlement never holds more than one page of rows.
// Ranges are contiguous and half-open, [first of the page, first of the next), the first page
// open below and the last open above: every row of the epoch is in exactly one page.
// Only the challenges are read per page. Transfers are still cut from the close's list: the
// allotment that sets their charge runs per member across torrents (close.ts transfersOf), a
// member-paged step not yet split off. Receipts too: they are updated in place while the epoch
// is open (receipts/routes.ts), so a re-read could differ from what the close publishes; they
// need a snapshot (the scratch table) before they can be read per page. Challenges cannot move:
// only the scheduler writes them, and it is the one running the close.

import { and, asc, eq, gte, lt, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import {
  addPageWeights,
  assembleSettlement,
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
import { transcriptFromRow } from "../challenge/round.ts";

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

/** What the close holds in memory and cuts per page: the allotment's transfers and the receipts it read. */
export interface HeldRows {
  transfers: readonly Transfer[];
  receipts: readonly ReceiptBytes[];
}

/** A page's challenges read from D1 (the epoch's order: started, id), its transfers and receipts cut from `held`. */
export async function readPage(d: Db, epoch: number, r: PageRange, held: HeldRows): Promise<SettlePage> {
  const c = schema.challenges;
  const rows = await d
    .select()
    .from(c)
    .where(and(eq(c.epoch, epoch), ...inRange(c.infoHash, r)))
    .orderBy(asc(c.startedAt), asc(c.id));
  const within = (infoHash: string) => (r.from === undefined || infoHash >= r.from) && (r.to === undefined || infoHash < r.to);
  return { torrents: r.torrents, challenges: rows.map(transcriptFromRow), transfers: held.transfers.filter((x) => within(x.infoHash)), receipts: held.receipts.filter((x) => within(x.infoHash)) };
}

/**
 * Each node's (lowercase) host of its first challenge in the epoch (started, id): tallyPages'
 * firstHosts, one query whatever the pages, a row per node.
 */
export async function firstHostsIn(d: Db, epoch: number): Promise<Map<string, string>> {
  const rows = await d.all<{ node: string; host: string }>(sql`
    SELECT node, host FROM (
      SELECT lower(node) AS node, host, ROW_NUMBER() OVER (PARTITION BY lower(node) ORDER BY started_at, id) AS n
      FROM challenges WHERE epoch = ${epoch}
    ) WHERE n = 1`);
  return new Map(rows.map((r) => [r.node, r.host]));
}

/**
 * settleEpoch's Settlement in three sweeps over pages read from D1 (settle-paged.ts A, B, C):
 * equal to the wei to settleEpoch over the whole epoch. The pages' settlements are kept
 * (they are the published breakdown); the pages' rows are dropped after each page.
 */
export async function settleFromD1(d: Db, common: SettleCommon, torrents: readonly SettleTorrent[], held: HeldRows, perPage: number): Promise<Settlement> {
  const ranges = pageRanges(torrents, perPage);
  const read = (r: PageRange) => readPage(d, common.epoch, r, held);
  // Sweep A keeps only the tally, page by page (pages hold whole torrents: no (node, torrent) twice).
  const tallied: Tally = new Map();
  for (const r of ranges) {
    const t = tallyPages([await read(r)]);
    for (const [node, n] of t) {
      const m = tallied.get(node);
      if (!m) tallied.set(node, n);
      else for (const [k, v] of n.torrents) m.torrents.set(k, v);
    }
  }
  const hosts = await firstHostsIn(d, common.epoch);
  for (const [node, n] of tallied) n.host = hosts.get(node) ?? n.host;
  const ctx = settleContext(common, tallied);
  let weights = noWeights();
  for (const r of ranges) weights = addPageWeights(weights, pageWeights(ctx, await read(r)));
  const totals = settleTotals(ctx, weights);
  const settled = [];
  for (const r of ranges) settled.push(settlePage(ctx, totals, await read(r)));
  return assembleSettlement(ctx, totals, settled);
}
