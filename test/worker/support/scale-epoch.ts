// The scale test's epoch, generated inside D1 (INSERT … SELECT over a recursive series): the rows
// never pass through the test's JS, whose isolate is the close's (@cloudflare/vitest-plugin). Rows
// built in JS stayed live after their insert (a suspended async frame keeps its last loop's array:
// ~10 MB of ledger rows and 3 MB of transcripts at 10,000 × 50), heap the close on Cloudflare
// would not share. Only the transcript ids (keccak, not in SQL) are made here, 10,000 a statement.

import { getTableColumns } from "drizzle-orm";
import { transcriptId } from "../../../protocol/challenge/schedule.ts";
import { transcriptRow } from "../../../worker/challenge/transcript-rows.ts";
import { schema } from "../../../worker/db/client.ts";
import { madeTranscript } from "./transcripts.ts";
import { MEMBER_BASE, NODE_BASE, nodeOf, TORRENT_BASE, torrentIndexOf, torrentOf, type ScaleShape } from "./scale-shape.ts";

// The mapping (scale-shape.ts), as SQL over an integer column i: node n, member m, torrent t.
const NODE = (n: string) => `printf('0x%040x', ${NODE_BASE} + ${n})`;
const MEMBER = (m: string) => `printf('0x%040x', ${MEMBER_BASE} + ${m})`;
const TORRENT = (t: string) => `printf('%040x', ${TORRENT_BASE} + ${t})`;

/** Integers i in [from, to) as a CTE named s. */
const series = (from: number, to: number) => `WITH RECURSIVE s(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM s WHERE i + 1 < ${to})`;

/** Rows of a statement: D1 answers in its 30 s a statement well within these. */
const ROWS_A_STATEMENT = 50_000;
/** Transcript ids bound as one JSON array: 69 bytes each, 690 KB a value (D1: 2 MB). */
const IDS_A_STATEMENT = 10_000;

async function inRanges(db: D1Database, total: number, per: number, sql: (from: number, to: number) => string): Promise<void> {
  for (let from = 0; from < total; from += per) await db.prepare(sql(from, Math.min(total, from + per))).run();
}

/**
 * The epoch's torrents and swarm ledger, members and ledger, and each node's `rounds` transcripts
 * (one in 20 failed), the same rows the test once built in JS (madeTranscript's fields, its
 * startedAt and answeredAt sequence from 1).
 */
export async function generateScaleEpoch(db: D1Database, epoch: number, s: ScaleShape): Promise<void> {
  await inRanges(
    db,
    s.pool,
    ROWS_A_STATEMENT,
    (a, b) => `${series(a, b)} INSERT INTO torrents (info_hash, name, length, piece_length, files, storage_root, metainfo, created_at)
      SELECT ${TORRENT("i")}, 't' || i, ${2 ** 30}, ${2 ** 20}, '[]', printf('%064x', i), X'00', 0 FROM s`,
  );
  await inRanges(
    db,
    s.pool,
    ROWS_A_STATEMENT,
    (a, b) => `${series(a, b)} INSERT INTO swarm_ledger (epoch, info_hash, downloaded, credited_downloaded, uploaded, surge_sum, surge_windows)
      SELECT ${epoch}, ${TORRENT("i")}, 1000000000, 1000000000, 1000000000, ${12_000 * 4}, 4 FROM s`,
  );
  await inRanges(
    db,
    s.nodes,
    ROWS_A_STATEMENT,
    (a, b) => `${series(a, b)} INSERT INTO members (account, passkey, admission, created_at) SELECT ${MEMBER("i")}, printf('%032x', i), 'invite', 0 FROM s`,
  );
  // Each member downloaded and uploaded on `torrents` torrents: member m's k-th is (7m + k) mod pool.
  await inRanges(
    db,
    s.nodes,
    Math.max(1, Math.floor(ROWS_A_STATEMENT / s.torrents)),
    (a, b) => `${series(a, b)}, k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j + 1 < ${s.torrents})
      INSERT INTO ledger (epoch, member, info_hash, downloaded, credited_downloaded, uploaded, credited_uploaded, seed_seconds)
      SELECT ${epoch}, ${MEMBER("i")}, ${TORRENT(`(i * 7 + j) % ${s.pool}`)}, 200000000, 200000000, 100000000, 100000000, 3600 FROM s, k`,
  );
  await generateTranscripts(db, epoch, s);
}

/**
 * Transcript k is node k ÷ rounds's round k mod rounds. Columns the verdict decides come from a
 * pass and a fail template (transcriptRow(madeTranscript(…)), as the worker stores them), the
 * others are one constant or the mapping.
 */
async function generateTranscripts(db: D1Database, epoch: number, s: ScaleShape): Promise<void> {
  const extra = { round: 0, host: "", blockHashes: ["aa".repeat(32), "bb".repeat(32), "cc".repeat(32)], signer: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8" as const, signature: `0x${"ab".repeat(65)}` as const };
  const pass = transcriptRow(madeTranscript(epoch, nodeOf(0), torrentOf(0), "pass", extra));
  const fail = transcriptRow(madeTranscript(epoch, nodeOf(0), torrentOf(0), "fail", extra));
  const columns = getTableColumns(schema.challenges);
  const n = `(k / ${s.rounds})`;
  const r = `(k % ${s.rounds})`;
  const failed = `((${n} + ${r}) % 20 = 0)`;
  // madeTranscript numbers its transcripts from 1: startedAt and answeredAt count on from there.
  const made: Record<string, string> = {
    id: "id",
    epoch: String(epoch),
    node: NODE(n),
    infoHash: TORRENT(`(${n} * ${s.torrents} + (${r} % ${s.torrents})) % ${s.pool}`),
    round: r,
    host: `'10.' || ((${n} >> 8) & 255) || '.' || (${n} & 255) || '.1'`,
    startedAt: `1700000000000 + k + 1`,
    answeredAt: `CASE WHEN ${failed} THEN NULL ELSE 1700000000100 + k + 1 END`,
  };
  const names: string[] = [];
  const values: string[] = [];
  const binds: unknown[] = [];
  for (const [key, v] of Object.entries(pass)) {
    const column = columns[key as keyof typeof columns];
    if (!column) throw new Error(`challenges has no column for the transcript's ${key}`);
    names.push(column.name);
    const f = fail[key as keyof typeof fail];
    if (made[key]) values.push(made[key]);
    else if (v === f) values.push(v === null || v === undefined ? "NULL" : (binds.push(v), "?"));
    else {
      values.push(`CASE WHEN ${failed} THEN ? ELSE ? END`);
      binds.push(f ?? null, v ?? null);
    }
  }
  const sql = `INSERT INTO challenges (${names.join(", ")}) SELECT ${values.join(", ")} FROM (SELECT CAST(key AS INTEGER) + CAST(? AS INTEGER) AS k, value AS id FROM json_each(?))`;
  const count = s.nodes * s.rounds;
  for (let from = 0; from < count; from += IDS_A_STATEMENT) {
    const ids = Array.from({ length: Math.min(count, from + IDS_A_STATEMENT) - from }, (_, i) => {
      const k = from + i;
      const node = Math.floor(k / s.rounds);
      return transcriptId(epoch, nodeOf(node), k % s.rounds, torrentOf(torrentIndexOf(s, node, k % s.rounds)));
    });
    await db
      .prepare(sql)
      .bind(...binds, from, JSON.stringify(ids))
      .run();
  }
}
