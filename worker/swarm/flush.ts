// A shard's accounting batch and how it reaches D1 (TRACKER-NOTES: batch accounting to D1
// every few seconds, never a write per announce). The shard seals the credit due into a
// numbered batch in its own SQLite, in the same transaction as the journal row of its sessions
// (journal.ts), then sends batches to D1 in order. Each D1 batch is one transaction that first records
// (shard, seq) in `flushes`: a batch sent again after a crash or a lost reply fails on that
// key and is dropped, so a batch is applied exactly once and stored baselines never run
// ahead of, nor behind, the credit that D1 holds.
//
// The statements carry their values as SQL literals (validated hex and safe integers, quoted
// anyway): hundreds of rows per statement instead of D1's 100 bound parameters.

/** Accounting of one session: what the batch adds to its `accounting` row. */
export type AccRow = [
  member: string,
  infoHash: string,
  peerIdHex: string,
  up: number,
  down: number,
  cup: number,
  cdown: number,
  seed: number,
  announces: number,
  last: number,
  completedAt: number,
];

/** One swarm's part of a batch. */
export type SwarmRow = [
  infoHash: string,
  seeders: number,
  leechers: number,
  partialSeeds: number,
  snatches: number,
  /** Whether its size changed since the last batch (the `swarms` row is written only then). */
  changed: 0 | 1,
  up: number,
  down: number,
  cup: number,
  cdown: number,
  announces: number,
  newSnatches: number,
];

/**
 * One swarm's surge (shard.ts surgeWindow): the controller's latest output and the swarm's size,
 * and the sum and count of the windows since the swarm's last row (one window when absent).
 */
export type SurgeRow = [
  infoHash: string,
  saturationBps: number,
  surgeBps: number,
  seeders: number,
  leechers: number,
  partialSeeds: number,
  snatches: number,
  surgeSum?: number,
  surgeWindows?: number,
  /** The 15-minute demand and capacity forecasts summed over those windows, bytes (the dynamic gate's measure; absent in batches sealed before it). */
  demandSum?: number,
  capacitySum?: number,
];

/** A session that ended (stopped, or reaped after PEER_TTL_MS): its row is folded into its member's ENDED_SESSIONS row. */
export type EndedRow = [member: string, infoHash: string, peerIdHex: string];

/**
 * The `peer_id` of the row that holds the totals of a member's ended sessions of a torrent.
 * A client that takes a new peer id at every announce would otherwise leave one row per id:
 * with the fold, a (member, info hash) has its live sessions' rows (at most
 * MAX_PEERS_PER_MEMBER_TORRENT over HTTP) and this one. Never a real peer id (those are 40 hex).
 */
export const ENDED_SESSIONS = "";

export interface Batch {
  shard: number;
  seq: number;
  at: number;
  acc: AccRow[];
  /** Sessions that ended since the last batch (absent in batches sealed before the fold existed). */
  ended?: EndedRow[];
  swarms: SwarmRow[];
  /** Surge windows closed since the last batch (absent in batches sealed before surge existed). */
  surge?: SurgeRow[];
}

/**
 * The epoch a batch is stamped with: the open one when it reaches D1. Open = last closed + 1
 * (worker/epoch), or the one after the last sealed, whichever is later: an epoch's close seals
 * its ledger first (sealLedger in worker/accounting/ledger.ts), so its rows stop moving.
 */
export const OPEN_EPOCH_SQL =
  "SELECT max(coalesce((SELECT max(epoch) FROM epochs), 0), coalesce((SELECT max(epoch) FROM ledger_seals), 0)) + 1";

const ROWS_PER_STATEMENT = 200;
const HEX = /^(0x)?[0-9a-f]+$/;

function text(s: string): string {
  // Values are lowercase hex; quoting keeps any other string inert as well.
  return HEX.test(s) ? `'${s}'` : `'${s.replaceAll("'", "''")}'`;
}

function num(n: number): string {
  if (Number.isSafeInteger(n)) return String(n);
  // One row's bad number costs that value, never the batch (every shard's accounting rides on it).
  console.warn(`flush: ${n} is not a safe integer, written as 0`);
  return "0";
}

function chunks<T>(xs: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += ROWS_PER_STATEMENT) out.push(xs.slice(i, i + ROWS_PER_STATEMENT));
  return out;
}

/** An `accounting` row receiving more of the same session's (or ended sessions') totals. */
const ADD_TO_ACCOUNTING =
  " ON CONFLICT (member, info_hash, peer_id) DO UPDATE SET uploaded = uploaded + excluded.uploaded, downloaded = downloaded + excluded.downloaded," +
  " credited_uploaded = credited_uploaded + excluded.credited_uploaded, credited_downloaded = credited_downloaded + excluded.credited_downloaded," +
  " seed_seconds = seed_seconds + excluded.seed_seconds, announces = announces + excluded.announces," +
  " last_announce_at = max(last_announce_at, excluded.last_announce_at), completed_at = coalesce(completed_at, excluded.completed_at)";

/**
 * Rows of the same `accounting` key summed into one: the ended sessions of a member's torrent
 * all go to its ENDED_SESSIONS row, and D1 bills each upsert of a key as a row written.
 */
export function mergeAcc(rows: AccRow[]): AccRow[] {
  const byKey = new Map<string, AccRow>();
  for (const r of rows) {
    const k = `${r[0]} ${r[1]} ${r[2]}`;
    const m = byKey.get(k);
    if (!m) {
      byKey.set(k, [...r] as AccRow);
      continue;
    }
    for (let i = 3; i < 9; i++) m[i] = (m[i] as number) + (r[i] as number);
    m[9] = Math.max(m[9], r[9]);
    // The row keeps the first completion it was given (coalesce): the earliest sent first.
    if (!m[10]) m[10] = r[10];
  }
  return [...byKey.values()];
}

/** The SQL of one batch, in order; run as one D1 batch (one transaction). */
export function batchSql(b: Batch): string[] {
  const sql: string[] = [
    `INSERT INTO flushes (shard, seq, flushed_at) VALUES (${num(b.shard)}, ${num(b.seq)}, ${num(b.at)})`,
    // Replays come back within seconds; a short memory of sequence numbers is enough.
    `DELETE FROM flushes WHERE shard = ${num(b.shard)} AND seq <= ${num(b.seq - 64)}`,
  ];

  for (const part of chunks(mergeAcc(b.acc)))
    sql.push(
      "INSERT INTO accounting (member, info_hash, peer_id, uploaded, downloaded, credited_uploaded, credited_downloaded, seed_seconds, announces, last_announce_at, completed_at) VALUES " +
        part
          .map((r) => `(${text(r[0])}, ${text(r[1])}, ${text(r[2])}, ${r.slice(3, 10).map((n) => num(n as number)).join(", ")}, ${r[10] ? num(r[10]) : "NULL"})`)
          .join(", ") +
        ADD_TO_ACCOUNTING,
    );

  // Ended sessions, after their last credit above: their totals are added to the member's
  // ENDED_SESSIONS row of the torrent and their own rows deleted. Idempotent: a session named
  // twice (the shard's memory and its stored rows both saw it end) is folded once.
  const accCols = "uploaded, downloaded, credited_uploaded, credited_downloaded, seed_seconds, announces, last_announce_at, completed_at";
  for (const part of chunks(b.ended ?? [])) {
    const keys = `(VALUES ${part.map((e) => `(${text(e[0])}, ${text(e[1])}, ${text(e[2])})`).join(", ")})`;
    const ended = `peer_id <> '${ENDED_SESSIONS}' AND (member, info_hash, peer_id) IN ${keys}`;
    sql.push(
      `INSERT INTO accounting (member, info_hash, peer_id, ${accCols}) SELECT member, info_hash, '${ENDED_SESSIONS}', ${accCols} FROM accounting WHERE ${ended}` +
        ADD_TO_ACCOUNTING,
    );
    sql.push(`DELETE FROM accounting WHERE ${ended}`);
  }

  // The epoch ledger: per (member, info hash), only what moved.
  const ledger = new Map<string, [string, string, number, number, number, number, number]>();
  for (const r of b.acc) {
    if (!(r[3] || r[4] || r[5] || r[6] || r[7])) continue;
    const k = `${r[0]} ${r[1]}`;
    const l = ledger.get(k);
    if (l) for (let i = 0; i < 5; i++) l[2 + i] = (l[2 + i] as number) + (r[3 + i] as number);
    else ledger.set(k, [r[0], r[1], r[3], r[4], r[5], r[6], r[7]]);
  }
  for (const part of chunks([...ledger.values()]))
    sql.push(
      `WITH e(epoch) AS (${OPEN_EPOCH_SQL}), v(member, info_hash, uploaded, downloaded, credited_uploaded, credited_downloaded, seed_seconds) AS (VALUES ` +
        part.map((l) => `(${text(l[0])}, ${text(l[1])}, ${l.slice(2).map((n) => num(n as number)).join(", ")})`).join(", ") +
        ") INSERT INTO ledger (epoch, member, info_hash, uploaded, downloaded, credited_uploaded, credited_downloaded, seed_seconds)" +
        " SELECT e.epoch, v.member, v.info_hash, v.uploaded, v.downloaded, v.credited_uploaded, v.credited_downloaded, v.seed_seconds FROM e, v WHERE true" +
        " ON CONFLICT (epoch, member, info_hash) DO UPDATE SET uploaded = uploaded + excluded.uploaded, downloaded = downloaded + excluded.downloaded," +
        " credited_uploaded = credited_uploaded + excluded.credited_uploaded, credited_downloaded = credited_downloaded + excluded.credited_downloaded," +
        " seed_seconds = seed_seconds + excluded.seed_seconds",
    );

  for (const part of chunks(b.swarms.filter((s) => s[5] === 1)))
    sql.push(
      "INSERT INTO swarms (info_hash, seeders, leechers, partial_seeds, snatches, updated_at) VALUES " +
        part.map((s) => `(${text(s[0])}, ${num(s[1])}, ${num(s[2])}, ${num(s[3])}, ${num(s[4])}, ${num(b.at)})`).join(", ") +
        " ON CONFLICT (info_hash) DO UPDATE SET seeders = excluded.seeders, leechers = excluded.leechers, partial_seeds = excluded.partial_seeds," +
        " snatches = max(snatches, excluded.snatches), updated_at = excluded.updated_at",
    );

  for (const part of chunks(b.swarms.filter((s) => s[6] || s[7] || s[8] || s[9] || s[10] || s[11] || s[5])))
    sql.push(
      `WITH e(epoch) AS (${OPEN_EPOCH_SQL}), v(info_hash, uploaded, downloaded, credited_uploaded, credited_downloaded, announces, snatches, seeders, leechers) AS (VALUES ` +
        part.map((s) => `(${text(s[0])}, ${[s[6], s[7], s[8], s[9], s[10], s[11], s[1], s[2]].map(num).join(", ")})`).join(", ") +
        ") INSERT INTO swarm_ledger (epoch, info_hash, uploaded, downloaded, credited_uploaded, credited_downloaded, announces, snatches, seeders, leechers)" +
        " SELECT e.epoch, v.* FROM e, v WHERE true" +
        " ON CONFLICT (epoch, info_hash) DO UPDATE SET uploaded = uploaded + excluded.uploaded, downloaded = downloaded + excluded.downloaded," +
        " credited_uploaded = credited_uploaded + excluded.credited_uploaded, credited_downloaded = credited_downloaded + excluded.credited_downloaded," +
        " announces = announces + excluded.announces, snatches = snatches + excluded.snatches, seeders = excluded.seeders, leechers = excluded.leechers",
    );
  // Surge: the current multiplier where the site and the offers read it, and the epoch's sum
  // and count of windows where its close reads the mean.
  for (const part of chunks(b.surge ?? [])) {
    sql.push(
      "INSERT INTO swarms (info_hash, seeders, leechers, partial_seeds, snatches, updated_at, saturation_bps, surge_bps) VALUES " +
        part.map((s) => `(${text(s[0])}, ${[s[3], s[4], s[5], s[6], b.at, s[1], s[2]].map(num).join(", ")})`).join(", ") +
        " ON CONFLICT (info_hash) DO UPDATE SET saturation_bps = excluded.saturation_bps, surge_bps = excluded.surge_bps",
    );
    sql.push(
      `WITH e(epoch) AS (${OPEN_EPOCH_SQL}), v(info_hash, surge_sum, surge_windows, seeders, leechers, demand_sum, capacity_sum) AS (VALUES ` +
        part.map((s) => `(${text(s[0])}, ${[s[7] ?? s[2], s[8] ?? 1, s[3], s[4], s[9] ?? 0, s[10] ?? 0].map(num).join(", ")})`).join(", ") +
        ") INSERT INTO swarm_ledger (epoch, info_hash, surge_sum, surge_windows, seeders, leechers, demand_sum, capacity_sum)" +
        " SELECT e.epoch, v.info_hash, v.surge_sum, v.surge_windows, v.seeders, v.leechers, v.demand_sum, v.capacity_sum FROM e, v WHERE true" +
        " ON CONFLICT (epoch, info_hash) DO UPDATE SET surge_sum = surge_sum + excluded.surge_sum, surge_windows = surge_windows + excluded.surge_windows," +
        " demand_sum = demand_sum + excluded.demand_sum, capacity_sum = capacity_sum + excluded.capacity_sum",
    );
  }
  return sql;
}

/** D1's answer to a batch replayed after it was applied: the `flushes` key already holds it. */
export function alreadyApplied(e: unknown): boolean {
  return e instanceof Error && /UNIQUE constraint failed: flushes/i.test(e.message + String((e as { cause?: unknown }).cause ?? ""));
}
