// What a shard keeps durable, and when its accounting goes to D1 (issue 13 "the bill": rows
// written, not bytes, are what Cloudflare bills). A shard's durable state is a journal of rows
// in its own SQLite, each a JSON array of the sessions (and swarms) that changed since the
// previous row: one row written per seal however many sessions announced, where one row per
// session cost a write each. A session's record carries its baseline AND its credit not yet
// sent to D1, so a crash or an eviction loses nothing whether or not the client announces
// again. The oldest rows are cleaned by copying their still-current records forward.
//
// D1 then receives a session's credit lazily (shouldSend): when the session ends or completes,
// when its unsent bytes pass a bound, or when they are old. Clients report cumulative counters,
// so holding the credit changes when it reaches the ledger, never how much.

import { EPOCH_SECONDS } from "../../protocol/params.ts";
import type { Acc, Peer } from "./swarm.ts";

/** Records per journal row: ~150 bytes each, well under a SQLite row's 2 MB. */
export const RECORDS_PER_ROW = 2_000;
/** The journal is cleaned while it holds more than twice the live records plus this slack. */
export const JOURNAL_SLACK = 4_000;

/** A session's unsent actual bytes (up + down) that send it to D1 at the next seal. */
export const SEND_BYTES = 4 * 2 ** 30;
/** A session's unsent charged download (what its member pays for) that sends it at the next seal. */
export const SEND_CHARGED_BYTES = 2 ** 30;
/** Unsent charged download waits at most an epoch: it is charged in the epoch it moved, or the next. */
export const SEND_CHARGED_MAX_AGE_MS = EPOCH_SECONDS * 1_000;
/**
 * Anything else (upload, published for ratio only; seed time; announce counts) moves no money
 * and is journaled meanwhile (members' stats add it, SwarmShard.unsentOf): it waits up to a week,
 * so an idle seed costs D1 rows about once a session, not once a day.
 */
export const SEND_MAX_AGE_MS = 7 * 24 * 3_600_000;
/** A swarm's changed seeder and leecher counts reach D1 (the site's index) at most this often. */
export const COUNTS_EVERY_MS = 5 * 60_000;
/** A swarm's surge reaches D1 when it moved this far (bps) from the value D1 shows, or with its credit. */
export const SURGE_SEND_STEP_BPS = 500;
/** Surge windows a swarm holds at most before they are sent anyway (a day's). */
export const SURGE_SEND_WINDOWS = 288;

/**
 * How often the other changed sessions are journaled. What a crash or an eviction drops of them
 * comes back with the client's next announce: its cumulative counters, and a gap since the
 * journaled announce shorter than SEED_GAP_CAP_MS (JOURNAL_MS + the interval is) for seed time.
 * Only their announce counts and last-seen stamps since the last row are lost.
 */
export const JOURNAL_MS = 10 * 60_000;

/**
 * Whether a session's change is journaled at the next alarm (FLUSH_MS): it is new (its baseline
 * is what later deltas count from), it completed, or its credit is due in D1. An end is urgent
 * only when it brings what the journal lacks (endUrgent): a session reaped, or ended with its
 * connection, or stopped with nothing new, waits for the periodic row (JOURNAL_MS), as a crash
 * before it leaves the journaled session to be reaped again, its journaled credit sent once.
 */
export function urgent(p: Peer, a: Acc | undefined): boolean {
  if (p.jseq === 0) return true;
  return !!a && creditUrgent(a.completedAt, a.up + a.down, a.cdown);
}

/**
 * Whether a `stopped` session must be journaled within FLUSH_MS: it had changes not yet
 * journaled (recoverable from a next announce, which a stopped client never makes), or its
 * stop credited bytes or seed time.
 */
export const endUrgent = (hadPending: boolean, bytes: number, seed: number): boolean => hadPending || bytes > 0 || seed > 0;

/** Whether unsent credit alone makes a session urgent: completed, or past a byte bound. */
export const creditUrgent = (completedAt: number, bytes: number, chargedDown: number): boolean =>
  completedAt > 0 || bytes >= SEND_BYTES || chargedDown >= SEND_CHARGED_BYTES;

/** Whether a session's unsent credit goes to D1 at the next seal (an ended session's always does). */
export function shouldSend(p: Peer, a: Acc, now: number): boolean {
  return p.gone || creditDue(a, now);
}

/** Whether unsent credit is due in D1 by itself (completed, a byte bound, its age): a seal is made for it. */
export function creditDue(a: Acc, now: number): boolean {
  if (a.completedAt) return true;
  if (a.up + a.down >= SEND_BYTES || a.cdown >= SEND_CHARGED_BYTES) return true;
  return now - a.first >= (a.cdown > 0 ? SEND_CHARGED_MAX_AGE_MS : SEND_MAX_AGE_MS);
}

/** A session as journaled. The member is its account; endpoints and the peer id are binary strings. */
export type SessionRecord = [
  ih: string,
  member: string,
  peerId: string,
  ws: 0 | 1,
  v4: string,
  v4Seen: number,
  v6: string,
  v6Seen: number,
  left: number,
  uploaded: number,
  downloaded: number,
  session: number,
  lastCredit: number,
  kind: number,
  free: 0 | 1,
  /** Whether D1 holds a row of its own for this session (its end must fold it). */
  inD1: 0 | 1,
  /** Its unsent credit: up, down, cup, cdown, seed, announces, last, completedAt, first; 0 for none. */
  acc: [number, number, number, number, number, number, number, number, number] | 0,
];
/** A session that ended: nothing of it is kept. */
export type Tombstone = [ih: string, member: string, peerId: string, ws: 0 | 1];

/** A swarm's durable state beside its sessions: snatches, surge controller, surge windows not yet in D1. */
export interface SwarmRecord {
  ih: string;
  snatches: number;
  /** Snatches not yet in D1's swarm ledger. */
  unsent: number;
  /** The surge controller's state (shard.ts surgeJson), absent while neutral. */
  surge?: string;
  surgeSum: number;
  surgeWindows: number;
  /** Those windows' demand and capacity forecasts summed, bytes (absent in records journaled before the dynamic gate). */
  demandSum?: number;
  capacitySum?: number;
  /** The surge D1 shows (bps), -1 before any was sent. */
  surgeSent: number;
}

/** One journal row. */
export interface JournalBody {
  recs: (SessionRecord | Tombstone)[];
  sw: SwarmRecord[];
  /** The shard, the last surge window (ms) and the metrics' counters when the row was written. */
  shard: number;
  windowAt: number;
  c?: Record<string, number>;
  /** The accounting batch for D1 sealed with this row, sent in seq order (flush.ts). */
  batch?: import("./flush.ts").Batch;
}

export const sessionKey = (ih: string, member: string, peerId: string, ws: number): string => `${ih}|${member}|${ws}|${peerId}`;

export function recordOf(p: Peer, member: string, a: Acc | undefined): SessionRecord | Tombstone {
  const ws = p.ws ? 1 : 0;
  if (p.gone) return [p.ih, member, p.peerId, ws];
  return [
    p.ih, member, p.peerId, ws, p.v4 ?? "", p.v4Seen, p.v6 ?? "", p.v6Seen, p.left, p.uploaded, p.downloaded, p.session, p.lastCredit, p.kind,
    p.free ? 1 : 0, p.inD1 ? 1 : 0,
    a ? [a.up, a.down, a.cup, a.cdown, a.seed, a.announces, a.last, a.completedAt, a.first] : 0,
  ];
}

export const isTombstone = (r: SessionRecord | Tombstone): r is Tombstone => r.length === 4;

export function accOf(r: SessionRecord): Acc | undefined {
  const a = r[16];
  return a ? { up: a[0], down: a[1], cup: a[2], cdown: a[3], seed: a[4], announces: a[5], last: a[6], completedAt: a[7], first: a[8] } : undefined;
}
