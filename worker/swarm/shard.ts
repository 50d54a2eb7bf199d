// Swarm state for a fixed shard of info hashes (TRACKER-NOTES "Scale on Workers"): sessions in
// memory, keyed by (member, peer id) so one client session is one record whatever its
// endpoints; credit computed here (credit.ts). Each alarm seals the changed sessions, with
// their credit not yet in D1, into one journal row of the object's own SQLite (journal.ts),
// and in the same transaction the numbered D1 batch (flush.ts) of the sessions whose credit is
// due there (ended, completed, past a bound, or old): a shard evicted from memory (after
// seconds idle, while clients announce every half hour) still knows its peers, their
// baselines and their unsent credit, and a crash neither loses nor repeats a credit. The
// journal is read back when the object starts; the hot path never reads storage.

import { DurableObject } from "cloudflare:workers";
import { ANNOUNCE_INTERVAL_SECONDS, SURGE_WINDOW_SECONDS } from "../../protocol/params.ts";
import { EMPTY_FORECAST, forecast, observeWindow, saturationBps, type ForecastState } from "../../protocol/economics/saturation.ts";
import { NEUTRAL_SURGE_BPS, nextSurgeBps } from "../../protocol/economics/surge.ts";
import { binaryToBytes, bytesToBinary, fromHex, toHex } from "../../protocol/hex.ts";
import type { Env } from "../env.ts";
import { HOT_MAX_SEEDERS, MAX_PEERS_PER_MEMBER_TORRENT, MIN_ANNOUNCE_GAP_MS, NEWCOMER_MS, SLOWED_NUMWANT, WARN_TOO_SOON } from "../announce/rules.ts";
import { Directory, MISS, type MemberInfo, type TorrentInfo } from "./directory.ts";
import { EV_COMPLETED, EV_NONE, EV_PAUSED, EV_STOPPED, creditAnnounce, type Credit } from "./credit.ts";
import { boundLeft } from "../../protocol/accounting/bounds.ts";
import { DOWNLOADER, PARTIAL_SEED, SEED, Session, Swarm, kindOf, type Acc, type Peer } from "./swarm.ts";
import { FIRST_SIGHTING, NO_CREDIT, UnsentCredit } from "./unsent.ts";
import { ENDED_SESSIONS, alreadyApplied, batchSql, type AccRow, type Batch, type EndedRow, type SurgeRow, type SwarmRow } from "./flush.ts";
import {
  COUNTS_EVERY_MS, JOURNAL_MS, JOURNAL_SLACK, RECORDS_PER_ROW, SEND_CHARGED_MAX_AGE_MS, SEND_MAX_AGE_MS, SURGE_SEND_STEP_BPS, SURGE_SEND_WINDOWS, accOf, creditDue, endUrgent, isTombstone, recordOf, sessionKey, shouldSend,
  type JournalBody, type SessionRecord, type SwarmRecord, type Tombstone,
} from "./journal.ts";

/** Fixed for the life of the deployment: changing it would move swarms between objects. */
export const SWARM_SHARDS = 64;

/** Shard of an info hash: its first byte (uniform, since info hashes are SHA-1). */
export function shardOf(infoHashHex: string): number {
  return parseInt(infoHashHex.slice(0, 2), 16) % SWARM_SHARDS;
}

export function shardName(shard: number): string {
  return `swarm-${shard}`;
}

/** How often pending accounting is written to D1 (Ocelot and UNIT3D flush every few seconds). */
export const FLUSH_MS = 5_000;
/** Peers unseen for twice the interval are gone: `stopped` is not guaranteed. */
export const PEER_TTL_MS = 2 * ANNOUNCE_INTERVAL_SECONDS * 1_000;
/** WebSocket (WebTorrent) sessions announce every 2 minutes (ws/messages.ts): gone after two missed. */
export const WS_SESSION_TTL_MS = 5 * 60_000;
/** Stale stored sessions ended (and folded in D1) per reap: one batch's worth, the rest at the next reap. */
const STALE_PER_REAP = 2_000;
/** Counters alone are journaled at most this often (a row is written for them only when nothing else is). */
const COUNTERS_EVERY_MS = 10 * 60_000;
const REAP_EVERY_MS = 60_000;
/** Batches sent to D1 per alarm; more wait for the next alarm (they keep their order). */
const BATCHES_PER_ALARM = 8;
/** How long a reset passkey is refused here: longer than any isolate caches it (members/lookup.ts). */
export const REVOCATION_MS = 10 * 60_000;

export interface AnnounceInput {
  /** Info hash, 40 lowercase hex. */
  ih: string;
  /** Peer id, 20 bytes as a binary string. */
  pid: string;
  /** The passkey used: the shard resolves the member (directory.ts) and refuses a reset one at once. */
  pk: string;
  /** Whether the client's peer id is on the allow-list (the worker holds the list and words the refusal). */
  client: boolean;
  /** The endpoint the edge saw, compact: 6 bytes (IPv4) or 18 (IPv6), binary string. */
  ep: string;
  up: number;
  down: number;
  left: number;
  /** EV_* (credit.ts). */
  ev: number;
  /** Peers wanted (already bounded by the worker). */
  nw: number;
  now: number;
  /** The tracker id the client echoed, 0 for none. */
  tid: number;
  /** Also return the peers' ids (BEP 3 dictionary model). */
  ids: boolean;
}

export type AnnounceOutput =
  | {
      ok: true;
      complete: number;
      incomplete: number;
      downloaded: number;
      /** Compact IPv4 and IPv6 peers, binary strings. */
      peers: string;
      peers6: string;
      /** With `ids`: the peer ids of `peers` and `peers6`, 20 bytes each, in the same order. */
      ids4?: string;
      ids6?: string;
      /** The session's tracker id. */
      tid: number;
      /** WARN_* bits (rules.ts). */
      warn: number;
      /** The member is slowed (fewer peers were given; the worker sets a longer interval and says why). */
      slowed: boolean;
    }
  | { ok: false; code: RefusalCode };

/** Why the shard refused an announce; the worker words it (announce/routes.ts). */
export type RefusalCode = "unknown_passkey" | "revoked_passkey" | "client_not_allowed" | "unregistered" | "pending_moderation" | "rejected" | "too_many_peers" | "not_hosted";

/** An announce of WebTorrent's WebSocket tracker, for accounting only (its peers live in ws/swarm.ts). */
export interface WsCreditInput {
  ih: string;
  pid: string;
  pk: string;
  /** The edge connection the announce came on (routes.ts), so its close ends only its own sessions. */
  conn: string;
  up: number;
  down: number;
  left: number;
  ev: number;
  now: number;
}

/** Why the shard refused a WebSocket announce: an HTTP refusal, or the peer id is another member's live session. */
export type WsRefusalCode = RefusalCode | "peer_id_taken";

export interface SwarmStats {
  complete: number;
  incomplete: number;
  downloaded: number;
  /** BEP 21: leechers that are not partial seeds. */
  downloaders: number;
}

export interface MemberSession {
  /** 40 hex. */
  peerId: string;
  left: number;
  state: "seeding" | "partial" | "leeching";
  lastAnnounce: number;
}

/** A member's credit a shard holds for one torrent, not yet in D1 (journal.ts): what its stats add to D1's rows. */
export interface MemberUnsent {
  uploaded: number;
  downloaded: number;
  creditedUploaded: number;
  creditedDownloaded: number;
  seedSeconds: number;
  announces: number;
  lastAnnounceAt: number;
  /** Live sessions D1 has no row of yet. */
  newSessions: number;
  /** Their clients' peer ids, 40 hex. */
  peerIds: string[];
  /** The earliest completion (ms) the shard holds and D1 has not seen yet, else null. */
  completedAt: number | null;
}

/** What a shard reports to /metrics (worker/metrics). Counters since the object started. */
export interface ShardMetrics {
  shard: number;
  counters: Record<string, number>;
  gauges: Record<string, number>;
}

const KIND_STATE = ["leeching", "partial", "seeding"] as const;

// `journal` holds the shard's durable state (journal.ts); `meta` the last batch D1 applied.
// The tables of the row-per-session design are read once into the journal, then dropped.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, body TEXT NOT NULL, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS revoked (passkey TEXT PRIMARY KEY, until INTEGER NOT NULL) WITHOUT ROWID;`;

/** A swarm's pricing state between surge windows (protocol/economics/saturation.ts, surge.ts). */
export interface SurgeState {
  forecast: ForecastState;
  saturationBps: bigint;
  surgeBps: bigint;
}

/** What one surge window of a swarm gave (tests and the shard's batch). */
export interface SurgeSample {
  infoHash: string;
  seconds: number;
  downloaded: number;
  uploaded: number;
  left: number;
  leechers: number;
  seeders: number;
  saturationBps: number;
  surgeBps: number;
}

const NEUTRAL_SURGE: SurgeState = { forecast: EMPTY_FORECAST, saturationBps: 0n, surgeBps: NEUTRAL_SURGE_BPS };
/** A window's length is the time since the last one, within these bounds (an evicted shard's gap is not a rate). */
const MAX_WINDOW_SECONDS = 12 * SURGE_WINDOW_SECONDS;

const surgeJson = (st: SurgeState): string =>
  JSON.stringify({ ...st.forecast, demandRate: String(st.forecast.demandRate), seederRate: String(st.forecast.seederRate), left: String(st.forecast.left), saturationBps: String(st.saturationBps), surgeBps: String(st.surgeBps) });

function surgeFromJson(json: string): SurgeState {
  const o = JSON.parse(json) as Record<string, string | number>;
  return {
    forecast: { demandRate: BigInt(o.demandRate!), seederRate: BigInt(o.seederRate!), left: BigInt(o.left!), leechers: Number(o.leechers), seeders: Number(o.seeders), windows: Number(o.windows) },
    saturationBps: BigInt(o.saturationBps!),
    surgeBps: BigInt(o.surgeBps!),
  };
}


/**
 * A session's first sighting, over HTTP or the WebSocket tracker: its counters are only the
 * baseline (nothing credited). A WebSocket peer's socket is its endpoint, seen now.
 */
function newSession(s: Swarm, key: string, member: number, peerId: string, c: { left: number; up: number; down: number }, now: number, o: { newcomer: boolean; paused: boolean; ws: boolean }): Peer {
  const p = new Session(key, s.ih, member, peerId);
  p.v4Seen = o.ws ? now : 0;
  p.left = c.left;
  p.uploaded = c.up;
  p.downloaded = c.down;
  p.session = now;
  p.lastCredit = now;
  p.kind = kindOf(c.left, o.paused);
  // Newcomers download what needs seeders and is wanted, without charge (rules.ts HOT_MAX_SEEDERS).
  p.free = o.newcomer && c.left > 0 && s.seeds < HOT_MAX_SEEDERS && s.downloaders > 0;
  p.ws = o.ws;
  return p;
}

function newAcc(now: number): Acc {
  return { up: 0, down: 0, cup: 0, cdown: 0, seed: 0, announces: 0, last: now, completedAt: 0, first: now };
}

/** A journaled session of a swarm not in memory, and the journal row that holds it. */
interface StoredSession {
  r: SessionRecord;
  jseq: number;
}

const NO_SWARM_RECORD = (ih: string): SwarmRecord => ({ ih, snatches: 0, unsent: 0, surgeSum: 0, surgeWindows: 0, surgeSent: -1 });

export class SwarmShard extends DurableObject<Env> {
  private readonly swarms = new Map<string, Swarm>();
  /** The sessions' unsent credit (unsent.ts): a slot for each that holds some. */
  private readonly credit = new UnsentCredit();
  /** Member accounts by small index: a session holds a number, not a copy of the string. */
  private readonly memberIds = new Map<string, number>();
  private readonly memberNames: string[] = [];
  /** Sessions changed since the last seal (journaled by the next). */
  private due = new Set<Peer>();
  /** Journaled sessions of swarms not in memory, by info hash then sessionKey. */
  private readonly stored = new Map<string, Map<string, StoredSession>>();
  /** Per swarm: snatches, surge windows not yet in D1; and the journal row of its latest record. */
  private readonly swarmRecs = new Map<string, SwarmRecord>();
  private readonly swarmJseq = new Map<string, number>();
  private swarmDirty = new Set<string>();
  /** When each swarm's counts last went to D1 (memory only: after a restart they go at once). */
  private readonly countsAt = new Map<string, number>();
  /** Journal rows (seq → records in it), oldest first, and their records in all. */
  private readonly journalRows = new Map<number, number>();
  private journalRecords = 0;
  /** Sealed batches not yet applied by D1, oldest first (their rows hold them). */
  private unsent: number[] = [];
  private sentSeq = 0;
  private lastRowAt = 0;
  /** When the alarm last sealed, and whether an urgent change waits (journal.ts urgent). */
  private lastSealAt = 0;
  private urgentDue = false;
  private lastAgeScan = 0;
  private readonly revoked = new Map<string, number>();
  private shard = -1;
  private seq = 0;
  private alarmAt: number | undefined;
  private lastReap = 0;
  /** The oldest announce not yet sealed (ms), for the flush lag. */
  private oldestDue = 0;
  private lastFlushAt = 0;
  private lastFlushMs = 0;
  private readonly c: Record<string, number> = {};
  private readonly dir: Directory;
  /** Per swarm: surge state, and the actual bytes moved since the last surge window. */
  private readonly surge = new Map<string, SurgeState>();
  private readonly windowBytes = new Map<string, { up: number; down: number }>();
  /** When the last surge window closed (ms; 0: none yet). */
  private lastWindowAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.dir = new Directory(env.DB, () => this.count("directory_queries"));
    ctx.blockConcurrencyWhile(async () => {
      const sql = ctx.storage.sql;
      sql.exec(SCHEMA);
      this.importRowTables();
      for (const r of sql.exec<{ k: string; v: number }>("SELECT k, v FROM meta")) if (r.k === "sent") this.sentSeq = r.v;
      for (const r of sql.exec<{ seq: number; body: string }>("SELECT seq, body FROM journal ORDER BY seq")) this.replay(r.seq, JSON.parse(r.body) as JournalBody);
      this.seq = Math.max(this.seq, this.sentSeq);
      const now = Date.now();
      for (const r of sql.exec<{ passkey: string; until: number }>("SELECT passkey, until FROM revoked WHERE until > ?", now)) this.revoked.set(r.passkey, r.until);
    });
  }

  /** Applies one journal row to the state being rebuilt at start. */
  private replay(seq: number, b: JournalBody): void {
    this.seq = Math.max(this.seq, seq);
    this.journalRows.set(seq, b.recs.length + b.sw.length);
    this.journalRecords += b.recs.length + b.sw.length;
    for (const r of b.recs) {
      const k = sessionKey(r[0], r[1], r[2], r[3]);
      let m = this.stored.get(r[0]);
      if (isTombstone(r)) {
        m?.delete(k);
        continue;
      }
      if (!m) this.stored.set(r[0], (m = new Map()));
      m.set(k, { r, jseq: seq });
    }
    for (const w of b.sw) {
      this.swarmRecs.set(w.ih, w);
      this.swarmJseq.set(w.ih, seq);
      if (w.surge) this.surge.set(w.ih, surgeFromJson(w.surge));
      else this.surge.delete(w.ih);
    }
    if (b.shard >= 0) this.shard = b.shard;
    if (b.windowAt) this.lastWindowAt = b.windowAt;
    if (b.c) Object.assign(this.c, b.c);
    if (b.batch && seq > this.sentSeq) this.unsent.push(seq);
  }

  /**
   * A shard written by the row-per-session design (peer_rows, outbox, ...): its unsent batches
   * and stored sessions become journal rows, once, in one transaction with dropping the tables.
   */
  private importRowTables(): void {
    const sql = this.ctx.storage.sql;
    const has = (t: string) => sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", t).toArray().length > 0;
    if (!has("peer_rows") && !has("outbox")) return;
    this.ctx.storage.transactionSync(() => {
      let seq = 0;
      let shard = -1;
      let windowAt = 0;
      if (has("meta"))
        for (const r of sql.exec<{ k: string; v: number }>("SELECT k, v FROM meta")) {
          if (r.k === "seq") seq = r.v;
          if (r.k === "shard") shard = r.v;
          if (r.k === "window_at") windowAt = r.v;
        }
      const write = (body: JournalBody, at: number) => sql.exec("INSERT INTO journal (seq, body, at) VALUES (?, ?, ?)", ++seq, JSON.stringify(body), at);
      let firstUnsent = 0;
      if (has("outbox"))
        for (const r of sql.exec<{ seq: number; body: string; at: number }>("SELECT seq, body, at FROM outbox ORDER BY seq").toArray()) {
          if (!firstUnsent) firstUnsent = r.seq;
          seq = r.seq - 1;
          write({ recs: [], sw: [], shard, windowAt, batch: JSON.parse(r.body) as Batch }, r.at);
        }
      // Batches the outbox no longer held were applied by D1.
      sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('sent', ?)", firstUnsent ? firstUnsent - 1 : seq);
      const recs: SessionRecord[] = [];
      if (has("peer_rows"))
        for (const r of sql.exec<Record<string, number | string | ArrayBuffer | null>>("SELECT * FROM peer_rows")) {
          const bin = (b: unknown) => (b ? bytesToBinary(new Uint8Array(b as ArrayBuffer)) : "");
          recs.push([
            r.ih as string, r.member as string, bytesToBinary(fromHex(r.peer_id as string)), r.ws ? 1 : 0, bin(r.v4), r.v4_seen as number, bin(r.v6), r.v6_seen as number,
            r.left_bytes as number, r.uploaded as number, r.downloaded as number, r.session as number, r.last_credit as number, r.kind as number, r.free ? 1 : 0, 1, 0,
          ]);
        }
      const sw: SwarmRecord[] = [];
      const surge = has("surge") ? new Map(sql.exec<{ ih: string; json: string }>("SELECT ih, json FROM surge").toArray().map((r) => [r.ih, r.json])) : new Map<string, string>();
      const counts = has("swarm_counts") ? sql.exec<{ ih: string; snatches: number }>("SELECT ih, snatches FROM swarm_counts").toArray() : [];
      for (const ih of new Set([...surge.keys(), ...counts.map((c) => c.ih)]))
        sw.push({ ...NO_SWARM_RECORD(ih), snatches: counts.find((c) => c.ih === ih)?.snatches ?? 0, ...(surge.has(ih) ? { surge: surge.get(ih)! } : {}) });
      const saved = has("state") ? sql.exec<{ json: string }>("SELECT json FROM state WHERE k = 'counters'").toArray()[0] : undefined;
      for (let i = 0; i < Math.max(recs.length, 1); i += RECORDS_PER_ROW)
        write({ recs: recs.slice(i, i + RECORDS_PER_ROW), sw: i === 0 ? sw : [], shard, windowAt, ...(i === 0 && saved ? { c: JSON.parse(saved.json) as Record<string, number> } : {}) }, Date.now());
      for (const t of ["peer_rows", "outbox", "swarm_counts", "surge", "state"]) sql.exec(`DROP TABLE IF EXISTS ${t}`);
      sql.exec("DELETE FROM meta WHERE k <> 'sent'");
    });
  }

  private count(name: string, n = 1): void {
    this.c[name] = (this.c[name] ?? 0) + n;
    this.countersChanged = true;
  }

  /** Counters changed since they were last journaled (they ride on the next row). */
  private countersChanged = false;

  private memberIndex(account: string): number {
    let i = this.memberIds.get(account);
    if (i === undefined) {
      i = this.memberNames.length;
      this.memberNames.push(account);
      this.memberIds.set(account, i);
    }
    return i;
  }

  private learnShard(ih: string): void {
    if (this.shard >= 0) return;
    this.shard = shardOf(ih);
  }

  private swarm(ih: string, now: number): Swarm {
    let s = this.swarms.get(ih);
    if (!s) {
      s = this.load(ih, now);
      this.swarms.set(ih, s);
    }
    return s;
  }

  /** A swarm as last journaled; sessions gone stale meanwhile end (their credit still goes to D1). */
  private load(ih: string, now: number): Swarm {
    const s = new Swarm(ih, this.swarmRecs.get(ih)?.snatches ?? 0);
    const stored = this.stored.get(ih);
    this.stored.delete(ih);
    for (const e of stored?.values() ?? []) {
      const p = this.restore(e);
      const ttl = p.ws ? WS_SESSION_TTL_MS : PEER_TTL_MS;
      if (p.v4 && now - p.v4Seen > ttl) p.v4 = undefined;
      if (p.v6 && now - p.v6Seen > ttl) p.v6 = undefined;
      if (!p.v4 && !p.v6 && !(p.ws && now - p.v4Seen <= ttl)) {
        this.endStored(p, now);
        continue;
      }
      if (p.ws) s.addWs(p);
      else s.add(p);
    }
    s.changed = false;
    return s;
  }

  /** A journaled session as a live one, with its unsent credit. */
  private restore(e: StoredSession): Peer {
    const r = e.r;
    const member = this.memberIndex(r[1]);
    const p = new Session(`${member}:${r[2]}`, r[0], member, r[2]);
    p.v4 = r[4] || undefined;
    p.v6 = r[6] || undefined;
    p.v4Seen = r[5];
    p.v6Seen = r[7];
    p.left = r[8];
    p.uploaded = r[9];
    p.downloaded = r[10];
    p.session = r[11];
    p.lastCredit = r[12];
    p.kind = (r[13] as 0 | 1 | 2) ?? DOWNLOADER;
    p.free = r[14] === 1;
    p.ws = r[3] === 1;
    p.jseq = e.jseq;
    p.inD1 = r[15] === 1;
    const a = accOf(r);
    if (a) p.ai = this.credit.alloc(a);
    return p;
  }

  /**
   * Loads the swarms whose journaled sessions hold credit due in D1 (all that hold any with
   * `force`): their sessions then go the way of any in memory. Returns whether one was loaded.
   */
  private loadDueStored(now: number, force: boolean): boolean {
    const due: string[] = [];
    for (const [ih, m] of this.stored)
      for (const e of m.values()) {
        const a = e.r[16];
        if (a && (force || now - a[8] >= (a[3] > 0 ? SEND_CHARGED_MAX_AGE_MS : SEND_MAX_AGE_MS))) {
          due.push(ih);
          break;
        }
      }
    for (const ih of due) this.swarm(ih, now);
    return due.length > 0;
  }

  /** A stored session gone stale: ended by the next seal (a tombstone, its credit and fold to D1). */
  private endStored(p: Peer, now: number): void {
    p.gone = true;
    this.count("reaped");
    this.markDue(p, now);
  }

  private markDue(p: Peer, now: number): void {
    if (this.due.size === 0) this.oldestDue = now;
    this.due.add(p);
  }

  private swarmRec(ih: string): SwarmRecord {
    let w = this.swarmRecs.get(ih);
    if (!w) this.swarmRecs.set(ih, (w = NO_SWARM_RECORD(ih)));
    return w;
  }

  /** `left` within the torrent's length; a larger claim is counted (it would inflate the swarm's demand). */
  private boundedLeft(left: number, length: number): number {
    const bounded = boundLeft(left, length);
    if (bounded !== left) this.count("clamped_left");
    return bounded;
  }

  /** A session's unsent credit as an object (cold paths: seal, journal, stats), undefined for none. */
  private accOf(p: Peer): Acc | undefined {
    if (p.ai === NO_CREDIT) return undefined;
    if (p.ai === FIRST_SIGHTING) return { ...newAcc(p.session), announces: 1 };
    return this.credit.read(p.ai);
  }

  /** The session's slot of unsent credit, made now if it has none (a first sighting's becomes one). */
  private slot(p: Peer, now: number): number {
    if (p.ai > 0) return p.ai;
    p.ai = this.credit.alloc(p.ai === FIRST_SIGHTING ? { ...newAcc(p.session), announces: 1 } : newAcc(now));
    return p.ai;
  }

  /** Its credit sent (or nothing left to send): the slot is freed. */
  private clearCredit(p: Peer): void {
    if (p.ai > 0) this.credit.release(p.ai);
    p.ai = NO_CREDIT;
  }

  /** journal.ts endUrgent of a `stopped` announce, before its credit is added (`due` still tells what was pending). */
  private stopUrgent(p: Peer, cr: Credit): boolean {
    const credited = cr.outcome === "credited";
    return endUrgent(this.due.has(p), credited ? cr.up + cr.down : 0, credited ? cr.seed : 0);
  }

  /** journal.ts urgent, reading the slot in place (the announce path). */
  private urgent(p: Peer): boolean {
    return p.jseq === 0 || (p.ai > 0 && this.credit.urgent(p.ai));
  }

  private addCredit(p: Peer, s: Swarm, cr: Credit | undefined, now: number): void {
    // A first sighting holds no slot: its one announce is the session's start (unsent.ts).
    if (!cr && p.ai === NO_CREDIT && p.lastCredit === now && p.session === now) {
      p.ai = FIRST_SIGHTING;
      this.markDue(p, now);
      return;
    }
    const i = this.slot(p, now);
    this.credit.add(i, now, cr?.up ?? 0, cr?.down ?? 0, cr?.cup ?? 0, cr?.cdown ?? 0, cr?.seed ?? 0);
    if (cr) {
      // A slowed member's downloads are no paying demand: they feed no surge (its uploads are supply).
      const down = p.slowed ? 0 : cr.down;
      const wb = this.windowBytes.get(s.ih);
      if (wb) {
        wb.up += cr.up;
        wb.down += down;
      } else this.windowBytes.set(s.ih, { up: cr.up, down });
      this.count("uploaded_bytes", cr.up);
      this.count("downloaded_bytes", cr.down);
      this.count("credited_uploaded_bytes", cr.cup);
      this.count("credited_downloaded_bytes", cr.cdown);
      // Reported bytes beyond what the torrent and the session allow (protocol/accounting/bounds.ts).
      if (cr.refusedUp > 0) {
        this.count("clamped_uploaded");
        this.count("clamped_uploaded_bytes", cr.refusedUp);
      }
      if (cr.refusedDown > 0) {
        this.count("clamped_downloaded");
        this.count("clamped_downloaded_bytes", cr.refusedDown);
      }
    }
    this.markDue(p, now);
  }

  private snatch(s: Swarm, p: Peer, now: number): void {
    s.snatches++;
    const w = this.swarmRec(s.ih);
    w.snatches = s.snatches;
    w.unsent++;
    this.swarmDirty.add(s.ih);
    this.credit.completed(this.slot(p, now), now);
    this.count("snatches");
  }

  private refusedPasskey(pk: string, now: number): boolean {
    if (this.revoked.size === 0) return false;
    const until = this.revoked.get(pk);
    return until !== undefined && until > now;
  }

  /** The member and torrent of a request, from memory or (batched) D1; a refusal code otherwise. */
  private async resolve(pk: string, ih: string): Promise<{ m: MemberInfo; t: TorrentInfo } | RefusalCode> {
    const clock = Date.now();
    if (this.refusedPasskey(pk, clock)) return "revoked_passkey";
    let m = this.dir.memberNow(pk, clock);
    let t = this.dir.torrentNow(ih, clock);
    if (m === MISS || t === MISS) {
      this.count("directory_misses");
      [m, t] = await Promise.all([m === MISS ? this.dir.loadMember(pk, clock) : m, t === MISS ? this.dir.loadTorrent(ih, clock) : t]);
      // A reset may have landed while D1 answered.
      if (this.refusedPasskey(pk, Date.now())) return "revoked_passkey";
    }
    if (!m) return "unknown_passkey";
    if (!t) return "unregistered";
    if (t.status === "pending") return "pending_moderation";
    if (t.status !== "approved") return "rejected";
    if (m.node) {
      // A node's key covers only what it hosts or reported fetching (nodes/access.ts).
      let covered = this.dir.coversNow(m.account, ih, clock);
      if (covered === MISS) covered = await this.dir.loadCovers(m.account, ih, clock);
      if (!covered) return "not_hosted";
    }
    return { m, t };
  }

  async announce(a: AnnounceInput): Promise<AnnounceOutput> {
    const now = a.now;
    this.count("announces");
    const r = await this.resolve(a.pk, a.ih);
    if (typeof r === "string") {
      this.count(`failures_${r}`);
      return { ok: false, code: r };
    }
    // Passkey first, then the client (as Ocelot orders them), then the torrent's state.
    if (!a.client) {
      this.count("failures_client_not_allowed");
      return { ok: false, code: "client_not_allowed" };
    }
    const tf = r.t.flags;
    const newcomer = now - r.m.createdAt < NEWCOMER_MS;
    if (r.m.slowed) a.nw = Math.min(a.nw, SLOWED_NUMWANT);
    a.left = this.boundedLeft(a.left, r.t.length);
    this.learnShard(a.ih);
    const s = this.swarm(a.ih, now);
    const member = this.memberIndex(r.m.account);
    const key = `${member}:${a.pid}`;
    const v6 = a.ep.length === 18;
    let p = s.peers.get(key);
    let warn = 0;
    let stopUrgent = false;

    if (!p) {
      // Nothing to stop: a stopped announce of an unknown session changes nothing and credits nothing.
      if (a.ev === EV_STOPPED) return this.answer(s, undefined, a, 0, r.m.slowed);
      if ((s.perMember.get(member) ?? 0) >= MAX_PEERS_PER_MEMBER_TORRENT) {
        this.count("failures_too_many_peers");
        return { ok: false, code: "too_many_peers" };
      }
      // A first sighting credits zero: its counters are the session's baseline.
      p = newSession(s, key, member, a.pid, a, now, { newcomer, paused: a.ev === EV_PAUSED, ws: false });
      s.add(p);
      p.slowed = r.m.slowed;
      this.count("sessions_started");
      if (a.ev === EV_COMPLETED && a.left === 0) this.snatch(s, p, now);
      this.addCredit(p, s, undefined, now);
    } else {
      const sameEndpoint = (v6 ? p.v6 : p.v4) === a.ep;
      if (a.ev === EV_NONE && sameEndpoint && now - (v6 ? p.v6Seen : p.v4Seen) < MIN_ANNOUNCE_GAP_MS) {
        warn |= WARN_TOO_SOON;
        this.count("too_soon");
      }
      p.slowed = r.m.slowed;
      // A first sighting's credit is read from `session`, which a new counter session moves.
      if (p.ai === FIRST_SIGHTING) this.slot(p, now);
      const cr = creditAnnounce(p, { up: a.up, down: a.down, event: a.ev, trackerId: a.tid, now, torrentFlags: tf, length: r.t.length });
      this.count(`announces_${cr.outcome.replace("-", "_")}`);
      if (cr.outcome !== "stale") {
        const wasLeeching = p.left > 0;
        p.left = a.left;
        s.setKind(p, kindOf(a.left, a.ev === EV_PAUSED));
        // A snatch is a leecher becoming a seed, with or without `completed`, counted once.
        if (wasLeeching && a.left === 0) this.snatch(s, p, now);
      }
      if (a.ev === EV_STOPPED) stopUrgent = this.stopUrgent(p, cr);
      this.addCredit(p, s, cr.outcome === "credited" ? cr : undefined, now);
    }

    if (a.ev === EV_STOPPED) {
      if (v6) p.v6 = undefined;
      else p.v4 = undefined;
      if (!p.v4 && !p.v6) {
        s.remove(p);
        p.gone = true;
      }
    } else if (v6) {
      p.v6 = a.ep;
      p.v6Seen = now;
    } else {
      p.v4 = a.ep;
      p.v4Seen = now;
    }
    this.scheduleAlarm(Date.now(), stopUrgent || this.urgent(p));
    return this.answer(s, p, a, warn, r.m.slowed);
  }

  private answer(s: Swarm, p: Peer | undefined, a: AnnounceInput, warn: number, slowed: boolean): AnnounceOutput {
    let peers = "";
    let peers6 = "";
    let ids4 = "";
    let ids6 = "";
    // A stopped client wants none; one that came too soon gets none (what UNIT3D does).
    if (p && !p.gone && a.ev !== EV_STOPPED && !(warn & WARN_TOO_SOON)) {
      for (const q of s.sample(a.nw, p)) {
        if (q.v4) {
          peers += q.v4;
          if (a.ids) ids4 += q.peerId;
        }
        if (q.v6) {
          peers6 += q.v6;
          if (a.ids) ids6 += q.peerId;
        }
      }
    }
    return {
      ok: true,
      complete: s.seeds,
      incomplete: s.incomplete,
      downloaded: s.snatches,
      peers,
      peers6,
      ...(a.ids ? { ids4, ids6 } : {}),
      tid: p?.session ?? 0,
      warn,
      slowed,
    };
  }

  /**
   * Accounting of a WebSocket (WebTorrent) announce: the same session rules and credit as
   * HTTP, from the counters the client reports; the session is kept apart from the HTTP
   * swarm (a WebRTC peer cannot be handed to a TCP client).
   */
  async creditWs(a: WsCreditInput): Promise<{ ok: true } | { ok: false; code: WsRefusalCode }> {
    const now = a.now;
    this.count("ws_announces");
    const r = await this.resolve(a.pk, a.ih);
    if (typeof r === "string") return { ok: false, code: r };
    const tf = r.t.flags;
    const newcomer = now - r.m.createdAt < NEWCOMER_MS;
    a.left = this.boundedLeft(a.left, r.t.length);
    this.learnShard(a.ih);
    const s = this.swarm(a.ih, now);
    const member = this.memberIndex(r.m.account);
    const key = `${member}:${a.pid}`;
    let p = s.ws.get(key);
    let stopUrgent = false;
    if (!p) {
      if (a.ev === EV_STOPPED) return { ok: true };
      // A peer id belongs to the member whose live session holds it: another member announcing
      // it would take the victim's place (and its WebRTC answers) in the swarm (issue 10).
      const holder = s.wsByPeerId.get(a.pid);
      if (holder && now - holder.v4Seen > WS_SESSION_TTL_MS) this.endWsSession(s, holder, now);
      else if (holder) return { ok: false, code: "peer_id_taken" };
      // The same limit as HTTP's, so many sockets give a member no more sessions than many clients.
      if ((s.wsPerMember.get(member) ?? 0) >= MAX_PEERS_PER_MEMBER_TORRENT) return { ok: false, code: "too_many_peers" };
      p = newSession(s, key, member, a.pid, a, now, { newcomer, paused: false, ws: true });
      s.addWs(p);
      p.slowed = r.m.slowed;
      this.addCredit(p, s, undefined, now);
    } else {
      p.slowed = r.m.slowed;
      // A first sighting's credit is read from `session`, which a new counter session moves.
      if (p.ai === FIRST_SIGHTING) this.slot(p, now);
      const cr = creditAnnounce(p, { up: a.up, down: a.down, event: a.ev, trackerId: 0, now, torrentFlags: tf, length: r.t.length });
      if (cr.outcome !== "stale") {
        if (p.left > 0 && a.left === 0) this.snatch(s, p, now);
        p.left = a.left;
        p.kind = kindOf(a.left, false);
      }
      p.v4Seen = now;
      if (a.ev === EV_STOPPED) stopUrgent = this.stopUrgent(p, cr);
      this.addCredit(p, s, cr.outcome === "credited" ? cr : undefined, now);
    }
    p.conn = a.conn;
    if (a.ev === EV_STOPPED) {
      s.removeWs(p);
      p.gone = true;
    }
    this.scheduleAlarm(Date.now(), stopUrgent || this.urgent(p));
    return { ok: true };
  }

  /**
   * An edge connection closed: its WebSocket sessions end now, not a TTL later, so the member's
   * next page (a new peer id) is not refused by the per-member limit. A session another
   * connection announced since (a reconnect) is left alone. One reloaded after an eviction
   * knows no connection (`conn` is memory only) and ends too: at worst a reconnect's next
   * announce starts a new session, rather than the member's slots staying taken for a TTL.
   * Nothing is credited: the bytes since the last announce are unknown.
   */
  endWs(account: string, conn: string, sessions: [ih: string, pid: string][]): number {
    const now = Date.now();
    let n = 0;
    for (const [ih, pid] of sessions) {
      // Loading the swarm (after an eviction) teaches us the member's index.
      const s = this.swarm(ih, now);
      const member = this.memberIds.get(account);
      const p = member === undefined ? undefined : s.ws.get(`${member}:${pid}`);
      if (!p || (p.conn !== undefined && p.conn !== conn)) continue;
      this.endWsSession(s, p, now);
      n++;
    }
    // Nothing new to journal (journal.ts urgent): the ends ride on the periodic row.
    if (n) this.scheduleAlarm(now, false);
    return n;
  }

  private endWsSession(s: Swarm, p: Peer, now: number): void {
    s.removeWs(p);
    p.gone = true;
    // Its pending credit, if any, is still flushed; its stored row is deleted.
    this.markDue(p, now);
  }

  scrape(infoHashes: string[], pk: string): Record<string, SwarmStats> | { revoked: true } {
    const now = Date.now();
    this.count("scrapes");
    if (this.refusedPasskey(pk, now)) return { revoked: true };
    const out: Record<string, SwarmStats> = {};
    for (const h of infoHashes) {
      const s = this.swarm(h, now);
      out[h] = { complete: s.seeds, incomplete: s.incomplete, downloaded: s.snatches, downloaders: s.downloaders };
    }
    return out;
  }

  /** A member's sessions in these swarms now, for the member's own stats and lists. */
  sessions(member: string, infoHashes: string[]): Record<string, MemberSession[]> {
    const out: Record<string, MemberSession[]> = {};
    const now = Date.now();
    for (const h of infoHashes) {
      const s = this.swarm(h, now);
      const list: MemberSession[] = [];
      // Loading the swarm may have taught us the member's index.
      const mi = this.memberIds.get(member);
      if (mi !== undefined && s.perMember.has(mi))
        for (const p of s.peers.values())
          if (p.member === mi) list.push({ peerId: toHex(binaryToBytes(p.peerId)), left: p.left, state: KIND_STATE[p.kind], lastAnnounce: p.lastCredit });
      out[h] = list;
    }
    return out;
  }

  /**
   * The credit this shard holds for a member, per torrent, not yet sent to D1: the member's stats
   * add it to D1's totals, so a lazily sent credit (journal.ts) never shows late. A scan of the
   * shard's sessions, for a member's own page only.
   */
  unsentOf(member: string): Record<string, MemberUnsent> {
    const out: Record<string, MemberUnsent> = {};
    const add = (ih: string, peerIdBin: string, a: Acc | undefined, inD1: boolean) => {
      const u = (out[ih] ??= { uploaded: 0, downloaded: 0, creditedUploaded: 0, creditedDownloaded: 0, seedSeconds: 0, announces: 0, lastAnnounceAt: 0, newSessions: 0, peerIds: [], completedAt: null });
      if (!inD1) {
        u.newSessions++;
        u.peerIds.push(toHex(binaryToBytes(peerIdBin)));
      }
      if (!a) return;
      u.uploaded += a.up;
      u.downloaded += a.down;
      u.creditedUploaded += a.cup;
      u.creditedDownloaded += a.cdown;
      u.seedSeconds += a.seed;
      u.announces += a.announces;
      u.lastAnnounceAt = Math.max(u.lastAnnounceAt, a.last);
      if (a.completedAt) u.completedAt = u.completedAt === null ? a.completedAt : Math.min(u.completedAt, a.completedAt);
    };
    const mi = this.memberIds.get(member);
    if (mi !== undefined)
      for (const p of this.withAcc()) if (p.member === mi) add(p.ih, p.peerId, this.accOf(p), p.inD1);
    for (const m of this.stored.values())
      for (const e of m.values()) if (e.r[1] === member && e.r[16]) add(e.r[0], e.r[2], accOf(e.r), e.r[15] === 1);
    return out;
  }

  /** A passkey reset: refuse the old one here at once, for longer than any isolate caches it. */
  async revokePasskey(passkey: string, now = Date.now()): Promise<void> {
    const until = now + REVOCATION_MS;
    this.dir.forgetMember(passkey);
    this.revoked.set(passkey, until);
    this.write("INSERT OR REPLACE INTO revoked (passkey, until) VALUES (?, ?)", passkey, until);
    await this.ensureAlarm(now);
  }

  /** A member changed (slowed, say): read it again at its next announce. */
  forgetMember(passkey: string): void {
    this.dir.forgetMember(passkey);
  }

  /** Many members changed at once (an epoch's close): one call per shard, not one per member. */
  forgetMembers(passkeys: string[]): void {
    for (const pk of passkeys) this.dir.forgetMember(pk);
  }

  /** A torrent uploaded, moderated or re-flagged: read it again at its next announce. */
  forgetTorrent(infoHash: string): void {
    this.dir.forgetTorrent(infoHash);
  }

  /** Counts from the worker isolates (failures before any shard, by reason), for /metrics. */
  addCounts(counts: Record<string, number>): void {
    for (const [k, v] of Object.entries(counts)) if (Number.isFinite(v) && /^[a-z0-9_]{1,64}$/.test(k)) this.count(`worker_${k}`, v);
  }

  metrics(shard: number): ShardMetrics {
    const now = Date.now();
    let peers = 0;
    let seeds = 0;
    let partial = 0;
    let ws = 0;
    for (const s of this.swarms.values()) {
      peers += s.size;
      seeds += s.seeds;
      partial += s.partialSeeds;
      ws += s.ws.size;
    }
    const unsentAt = this.unsent.length ? this.ctx.storage.sql.exec<{ at: number }>("SELECT at FROM journal WHERE seq = ?", this.unsent[0]!).toArray()[0]?.at : undefined;
    const oldest = Math.min(this.urgentDue ? this.oldestDue : now, unsentAt ?? now);
    return {
      shard: this.shard >= 0 ? this.shard : shard,
      counters: { ...this.c },
      gauges: {
        swarms: this.swarms.size,
        peers,
        seeders: seeds,
        leechers: peers - seeds,
        partial_seeds: partial,
        ws_sessions: ws,
        pending_sessions: this.due.size,
        unsent_credit_sessions: [...this.withAcc()].length,
        credit_slots: this.credit.size,
        outbox_batches: this.unsent.length,
        journal_rows: this.journalRows.size,
        journal_records: this.journalRecords,
        flush_lag_seconds: (now - oldest) / 1_000,
        last_flush_duration_seconds: this.lastFlushMs / 1_000,
        last_flush_age_seconds: this.lastFlushAt ? (now - this.lastFlushAt) / 1_000 : -1,
        revoked_passkeys: this.revoked.size,
        cached_members: this.dir.size.members,
        cached_torrents: this.dir.size.torrents,
      },
    };
  }

  /** An alarm within FLUSH_MS for an urgent change (journal.ts urgent), else within the reaper's minute. */
  private scheduleAlarm(now: number, urgentChange: boolean): void {
    if (urgentChange) this.urgentDue = true;
    const at = now + (urgentChange ? FLUSH_MS : REAP_EVERY_MS);
    // Keep an alarm due by then, but pull a later one forward.
    if (this.alarmAt !== undefined && this.alarmAt > now - FLUSH_MS && this.alarmAt <= at) return;
    this.alarmAt = at;
    this.ctx.waitUntil(this.ctx.storage.setAlarm(this.alarmAt));
  }

  private async ensureAlarm(now: number): Promise<void> {
    if (this.alarmAt !== undefined) return;
    this.alarmAt = now + FLUSH_MS;
    await this.ctx.storage.setAlarm(this.alarmAt);
  }

  override async alarm(): Promise<void> {
    this.alarmAt = undefined;
    const now = Date.now();
    if (now - this.lastReap >= REAP_EVERY_MS) this.reap(now);
    if (this.lastWindowAt === 0) this.lastWindowAt = now;
    else if (now - this.lastWindowAt >= SURGE_WINDOW_SECONDS * 1_000) this.surgeWindow(now);
    // Urgent changes now; the rest every JOURNAL_MS (a crash or an eviction cannot lose them for good).
    let sealNow = this.urgentDue || ((this.due.size > 0 || this.swarmDirty.size > 0) && now - this.lastSealAt >= JOURNAL_MS);
    if (!sealNow && now - this.lastAgeScan >= REAP_EVERY_MS && !(sealNow = this.loadDueStored(now, false)))
      for (const p of this.withAcc())
        if (creditDue(this.accOf(p)!, now)) {
          sealNow = true;
          break;
        }
    // The metrics' counters are journaled at least every COUNTERS_EVERY_MS, so /metrics series barely step back after an eviction.
    if (sealNow || (this.countersChanged && now - this.lastRowAt >= COUNTERS_EVERY_MS)) {
      this.urgentDue = false;
      this.lastSealAt = now;
      this.seal(now);
    }
    await this.send();
    // Keep ticking while anything waits, or sessions and revocations are to expire later.
    let sessions = this.stored.size > 0 || this.revoked.size > 0 || this.due.size > 0 || this.swarmDirty.size > 0;
    for (const s of this.swarms.values()) if (s.size || s.ws.size) sessions = true;
    if (this.urgentDue || this.unsent.length > 0 || sessions) {
      this.alarmAt = now + (this.urgentDue || this.unsent.length > 0 ? FLUSH_MS : REAP_EVERY_MS);
      await this.ctx.storage.setAlarm(this.alarmAt);
    }
  }

  /**
   * Sessions in memory holding credit not yet in D1: `due` (ended ones are only there), then the
   * swarms' (a scan, once a minute: a set of them would cost every peer its entry).
   */
  private *withAcc(due: Set<Peer> = this.due): Generator<Peer> {
    for (const p of due) if (p.ai !== NO_CREDIT) yield p;
    for (const s of this.swarms.values())
      for (const list of [s.peers, s.ws]) for (const p of list.values()) if (p.ai !== NO_CREDIT && !due.has(p)) yield p;
  }

  /** Runs a statement of the shard's SQLite and counts the rows it wrote (SQLite's own count). */
  private write(query: string, ...bindings: (string | number | null)[]): void {
    this.count("do_rows_written", this.ctx.storage.sql.exec(query, ...bindings).rowsWritten);
  }

  /**
   * Seals the changed sessions and swarms into the journal (one row per RECORDS_PER_ROW
   * records), with the D1 batch of the credit due there (journal.ts shouldSend; all of it
   * with `force`), in one transaction: after a crash the journal's records and the unsent
   * batches agree, so the next announce neither repeats nor loses a credit. Returns the
   * sessions whose credit the batch carries.
   */
  seal(now = Date.now(), force = false): number {
    const ageScan = force || now - this.lastAgeScan >= REAP_EVERY_MS;
    if (ageScan) {
      this.lastAgeScan = now;
      this.loadDueStored(now, force);
    }
    const due = this.due;
    this.due = new Set();
    const journal = new Set<Peer>(due);
    const acc: AccRow[] = [];
    const ended: EndedRow[] = [];
    const sums = new Map<string, { up: number; down: number; cup: number; cdown: number; announces: number }>();
    const hex = (p: Peer) => toHex(binaryToBytes(p.peerId));
    for (const p of ageScan ? this.withAcc(due) : due) {
      const a = this.accOf(p);
      if (!a || !(force || shouldSend(p, a, now))) continue;
      this.clearCredit(p);
      // An ended session D1 never saw goes straight into its member's ended-sessions row.
      acc.push([this.memberNames[p.member]!, p.ih, p.gone && !p.inD1 ? ENDED_SESSIONS : hex(p), a.up, a.down, a.cup, a.cdown, a.seed, a.announces, a.last, a.completedAt]);
      if (!p.gone) p.inD1 = true;
      journal.add(p);
      const sum = sums.get(p.ih) ?? { up: 0, down: 0, cup: 0, cdown: 0, announces: 0 };
      sum.up += a.up;
      sum.down += a.down;
      sum.cup += a.cup;
      sum.cdown += a.cdown;
      sum.announces += a.announces;
      sums.set(p.ih, sum);
    }
    for (const p of due) if (p.gone && p.inD1) ended.push([this.memberNames[p.member]!, p.ih, hex(p)]);

    // Swarms: their credit's totals, new snatches, changed counts (at most every COUNTS_EVERY_MS), surge windows.
    const swarms: SwarmRow[] = [];
    const surge: SurgeRow[] = [];
    const ihs = new Set([...sums.keys(), ...this.swarmDirty]);
    if (ageScan) for (const [ih, s] of this.swarms) if (s.changed) ihs.add(ih);
    for (const ih of [...ihs].sort()) {
      const s = this.swarms.get(ih);
      const w = this.swarmRecs.get(ih);
      const sum = sums.get(ih);
      const counts = s?.changed && (force || now - (this.countsAt.get(ih) ?? 0) >= COUNTS_EVERY_MS) ? 1 : 0;
      const seeders = s?.seeds ?? 0;
      const leechers = s?.incomplete ?? 0;
      if (counts) {
        s!.changed = false;
        this.countsAt.set(ih, now);
      }
      if (sum || w?.unsent || counts)
        swarms.push([ih, seeders, leechers, s?.partialSeeds ?? 0, w?.snatches ?? s?.snatches ?? 0, counts, sum?.up ?? 0, sum?.down ?? 0, sum?.cup ?? 0, sum?.cdown ?? 0, sum?.announces ?? 0, w?.unsent ?? 0]);
      if (w?.unsent) {
        w.unsent = 0;
        this.swarmDirty.add(ih);
      }
      // Surge windows ride with the swarm's credit (the price of those bytes), or when the multiplier moved.
      const st = this.surge.get(ih);
      if (w && w.surgeWindows > 0 && st) {
        const bps = Number(st.surgeBps);
        if (force || sum || Math.abs(bps - w.surgeSent) >= SURGE_SEND_STEP_BPS || w.surgeWindows >= SURGE_SEND_WINDOWS) {
          surge.push([ih, Number(st.saturationBps), bps, seeders, leechers, s?.partialSeeds ?? 0, w.snatches, w.surgeSum, w.surgeWindows, w.demandSum ?? 0, w.capacitySum ?? 0]);
          w.surgeSum = 0;
          w.surgeWindows = 0;
          w.demandSum = 0;
          w.capacitySum = 0;
          w.surgeSent = bps;
          this.swarmDirty.add(ih);
        }
      }
    }
    const batch: Batch | undefined =
      acc.length || swarms.length || surge.length || ended.length
        ? { shard: this.shard, seq: 0, at: now, acc, swarms, ...(surge.length ? { surge } : {}), ...(ended.length ? { ended } : {}) }
        : undefined;

    // The journal's oldest rows, once D1 applied their batches, are cleaned: their current records are copied forward.
    const cleaned: number[] = [];
    const carried: SessionRecord[] = [];
    const carriedOwners: StoredSession[] = [];
    let live = this.stored.size ? [...this.stored.values()].reduce((n, m) => n + m.size, 0) : 0;
    for (const s of this.swarms.values()) live += s.size + s.ws.size;
    for (const [seq] of this.journalRows) {
      if (cleaned.length >= 4 || seq >= (this.unsent[0] ?? Infinity) || this.journalRecords - cleaned.reduce((n, q) => n + this.journalRows.get(q)!, 0) <= 2 * (live + this.swarmRecs.size) + JOURNAL_SLACK) break;
      const row = this.ctx.storage.sql.exec<{ body: string }>("SELECT body FROM journal WHERE seq = ?", seq).toArray()[0];
      cleaned.push(seq);
      if (!row) continue;
      const b = JSON.parse(row.body) as JournalBody;
      for (const r of b.recs) {
        if (isTombstone(r)) continue;
        const s = this.swarms.get(r[0]);
        if (s) {
          const mi = this.memberIds.get(r[1]);
          const p = mi === undefined ? undefined : (r[3] ? s.ws : s.peers).get(`${mi}:${r[2]}`);
          if (p && p.jseq === seq) journal.add(p);
        } else {
          const e = this.stored.get(r[0])?.get(sessionKey(r[0], r[1], r[2], r[3]));
          if (e && e.jseq === seq) {
            carried.push(e.r);
            carriedOwners.push(e);
          }
        }
      }
      for (const w of b.sw) if (this.swarmJseq.get(w.ih) === seq) this.swarmDirty.add(w.ih);
    }

    const recs: (SessionRecord | Tombstone)[] = [];
    const owners: (Peer | StoredSession)[] = [];
    for (const p of journal) {
      // A session that ended before it was ever journaled leaves nothing to forget.
      if (p.gone && p.jseq === 0) continue;
      recs.push(recordOf(p, this.memberNames[p.member]!, this.accOf(p)));
      owners.push(p);
    }
    for (let i = 0; i < carried.length; i++) {
      recs.push(carried[i]!);
      owners.push(carriedOwners[i]!);
    }
    const sw: SwarmRecord[] = [];
    for (const ih of this.swarmDirty) {
      const w = this.swarmRec(ih);
      const st = this.surge.get(ih);
      if (st && st !== NEUTRAL_SURGE) w.surge = surgeJson(st);
      sw.push(w);
    }
    const counters = this.countersChanged && (force || recs.length || sw.length || batch || cleaned.length || now - this.lastRowAt >= COUNTERS_EVERY_MS);
    if (!recs.length && !sw.length && !batch && !cleaned.length && !counters) return 0;
    this.swarmDirty = new Set();

    this.ctx.storage.transactionSync(() => {
      const rows = Math.max(1, Math.ceil(recs.length / RECORDS_PER_ROW));
      for (let i = 0; i < rows; i++) {
        const seq = ++this.seq;
        const last = i === rows - 1;
        const part = recs.slice(i * RECORDS_PER_ROW, (i + 1) * RECORDS_PER_ROW);
        const body: JournalBody = { recs: part, sw: last ? sw : [], shard: this.shard, windowAt: this.lastWindowAt };
        if (last && batch) {
          batch.seq = seq;
          body.batch = batch;
        }
        if (last) {
          this.countersChanged = false;
          // The rows this transaction writes, counted in: the journaled counters match what SQLite reports.
          body.c = { ...this.c, do_rows_written: (this.c.do_rows_written ?? 0) + rows + cleaned.length };
        }
        this.write("INSERT INTO journal (seq, body, at) VALUES (?, ?, ?)", seq, JSON.stringify(body), now);
        this.journalRows.set(seq, part.length + body.sw.length);
        this.journalRecords += part.length + body.sw.length;
        for (let j = 0; j < part.length; j++) {
          const o = owners[i * RECORDS_PER_ROW + j]!;
          o.jseq = seq;
        }
        if (last) for (const w of sw) this.swarmJseq.set(w.ih, seq);
        if (last && batch) this.unsent.push(seq);
      }
      for (const seq of cleaned) {
        this.write("DELETE FROM journal WHERE seq = ?", seq);
        this.journalRecords -= this.journalRows.get(seq) ?? 0;
        this.journalRows.delete(seq);
      }
    });
    this.lastRowAt = now;
    return acc.length;
  }

  /** Sends sealed batches to D1 in order; a batch that fails waits, with those after it, for the next alarm. */
  async send(): Promise<number> {
    const sql = this.ctx.storage.sql;
    let sent = 0;
    while (this.unsent.length && sent < BATCHES_PER_ALARM) {
      const seq = this.unsent[0]!;
      const row = sql.exec<{ body: string }>("SELECT body FROM journal WHERE seq = ?", seq).toArray()[0];
      const b = row ? (JSON.parse(row.body) as JournalBody).batch : undefined;
      if (b) {
        if (b.shard < 0) b.shard = this.shard;
        const started = Date.now();
        try {
          const results = await this.env.DB.batch(batchSql(b).map((s) => this.env.DB.prepare(s)));
          for (const res of results) this.count("d1_rows_written", res.meta?.rows_written ?? 0);
          this.count("flushes");
          this.count("flushed_sessions", b.acc.length);
        } catch (e) {
          if (!alreadyApplied(e)) {
            this.count("flush_failures");
            console.error("flush failed", e instanceof Error ? e.message.slice(0, 200) : typeof e);
            break;
          }
          this.count("flush_replays");
        }
        this.lastFlushAt = Date.now();
        this.lastFlushMs = this.lastFlushAt - started;
      }
      this.unsent.shift();
      this.sentSeq = seq;
      // One row a batch: which batches D1 holds, so a restart sends only the others.
      this.write("INSERT OR REPLACE INTO meta (k, v) VALUES ('sent', ?)", seq);
      sent++;
    }
    return sent;
  }

  /** Seals everything pending, all credit included, and sends it now (tests, the bench, POST /admin/swarms/flush). */
  async flush(): Promise<number> {
    const n = this.seal(Date.now(), true);
    await this.send();
    // The counters the send moved, journaled too: the bench reads them across evictions.
    this.seal(Date.now(), true);
    return n;
  }

  /**
   * Closes a surge window (DESIGN.md flow 5, docs/economics/engine.md): each swarm in memory,
   * or with bytes moved since the last window, feeds what it saw to the forecaster and steps its
   * surge multiplier once (nextSurgeBps: at most 1/8 a window). The results reach D1 with the
   * next batch (`swarms.surge_bps`, `saturation_bps`; the epoch's sum in `swarm_ledger`), never
   * from the announce path. The alarm calls it every SURGE_WINDOW_SECONDS; tests call it with
   * their own clock. Returns what each swarm saw.
   */
  surgeWindow(now = Date.now(), seconds?: number): SurgeSample[] {
    const elapsed = this.lastWindowAt ? Math.round((now - this.lastWindowAt) / 1_000) : SURGE_WINDOW_SECONDS;
    const secs = seconds ?? Math.min(Math.max(elapsed, SURGE_WINDOW_SECONDS), MAX_WINDOW_SECONDS);
    this.lastWindowAt = now;
    const out: SurgeSample[] = [];
    const ihs = new Set([...this.swarms.keys(), ...this.windowBytes.keys()]);
    for (const ih of [...ihs].sort()) {
      const s = this.swarms.get(ih);
      const bytes = this.windowBytes.get(ih) ?? { up: 0, down: 0 };
      // The backlog counts each member once (its largest `left`, within the torrent's length): one
      // member's clients want one copy. Slowed members' leechers are no paying demand: not counted.
      const leftOf = new Map<number, number>();
      let seeders = 0;
      let leechers = 0;
      for (const list of s ? [s.peers.values(), s.ws.values()] : [])
        for (const p of list) {
          if (p.left > 0) {
            if (p.slowed) continue;
            leechers++;
            leftOf.set(p.member, Math.max(leftOf.get(p.member) ?? 0, p.left));
          } else seeders++;
        }
      let left = 0n;
      for (const v of leftOf.values()) left += BigInt(v);
      const before = this.surge.get(ih) ?? NEUTRAL_SURGE;
      // An idle swarm at rest stays at rest: nothing to write.
      if (!bytes.up && !bytes.down && !seeders && !leechers && before === NEUTRAL_SURGE) continue;
      const f = observeWindow(before.forecast, { seconds: secs, downloaded: BigInt(bytes.down), uploaded: BigInt(bytes.up), left, leechers, seeders });
      const load = forecast(f);
      const sat = saturationBps(load);
      const next: SurgeState = { forecast: f, saturationBps: sat, surgeBps: nextSurgeBps(before.surgeBps, sat) };
      this.surge.set(ih, next);
      // The epoch's sums and count of windows wait in the swarm's record until sent (seal); demand and capacity are the dynamic gate's measure (protocol/economics/gate.ts).
      const w = this.swarmRec(ih);
      w.surgeSum += Number(next.surgeBps);
      w.surgeWindows++;
      w.demandSum = (w.demandSum ?? 0) + Number(load.demand);
      w.capacitySum = (w.capacitySum ?? 0) + Number(load.capacity);
      this.swarmDirty.add(ih);
      out.push({ infoHash: ih, seconds: secs, downloaded: bytes.down, uploaded: bytes.up, left: Number(left), leechers, seeders, saturationBps: Number(sat), surgeBps: Number(next.surgeBps) });
    }
    this.windowBytes.clear();
    this.count("surge_windows");
    return out;
  }

  /** A swarm's surge state now (tests, the bench). */
  surgeOf(infoHash: string): { saturationBps: number; surgeBps: number; windows: number } {
    const st = this.surge.get(infoHash) ?? NEUTRAL_SURGE;
    return { saturationBps: Number(st.saturationBps), surgeBps: Number(st.surgeBps), windows: st.forecast.windows };
  }

  private reap(now: number): void {
    this.lastReap = now;
    for (const [ih, s] of this.swarms) {
      for (const p of s.peers.values()) {
        if (p.v4 && now - p.v4Seen > PEER_TTL_MS) p.v4 = undefined;
        if (p.v6 && now - p.v6Seen > PEER_TTL_MS) p.v6 = undefined;
        if (!p.v4 && !p.v6) {
          s.remove(p);
          p.gone = true;
          this.count("reaped");
          // Its unsent credit, if any, still goes to D1; the journal forgets it.
          this.markDue(p, now);
        }
      }
      for (const p of s.ws.values()) if (now - p.v4Seen > WS_SESSION_TTL_MS) this.endWsSession(s, p, now);
      if (s.size === 0 && s.ws.size === 0 && !s.changed) this.swarms.delete(ih);
    }
    // Journaled sessions of swarms not in memory go stale too: the next seal ends them (a
    // tombstone, their unsent credit and fold to D1), a bounded number per reap.
    let ended = 0;
    for (const [ih, m] of this.stored) {
      for (const [k, e] of m) {
        if (ended >= STALE_PER_REAP) break;
        const ttl = e.r[3] ? WS_SESSION_TTL_MS : PEER_TTL_MS;
        if (now - Math.max(e.r[5], e.r[7]) <= ttl) continue;
        m.delete(k);
        this.endStored(this.restore(e), now);
        ended++;
      }
      if (m.size === 0) this.stored.delete(ih);
    }
    for (const [pk, until] of this.revoked)
      if (until <= now) {
        this.revoked.delete(pk);
        this.write("DELETE FROM revoked WHERE passkey = ?", pk);
      }
  }
}

export { SEED, PARTIAL_SEED, DOWNLOADER };
