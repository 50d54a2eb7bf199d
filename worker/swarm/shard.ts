// Swarm state for a fixed shard of info hashes (TRACKER-NOTES "Scale on Workers"): sessions in
// memory, keyed by (member, peer id) so one client session is one record whatever its
// endpoints; credit computed here (credit.ts) and flushed to D1 in numbered batches by the
// alarm (flush.ts), never a D1 write per announce. Each alarm also writes the changed
// sessions behind to the object's own SQLite, in the same transaction as the batch it seals,
// so a shard evicted from memory (after seconds idle, while clients announce every half
// hour) still knows its peers and their baselines, and a crash neither loses nor repeats a
// credit. The hot path reads storage only when a swarm is first used after a restart.

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
import { DOWNLOADER, PARTIAL_SEED, SEED, Swarm, kindOf, type Acc, type Peer } from "./swarm.ts";
import { alreadyApplied, batchSql, type AccRow, type Batch, type EndedRow, type SurgeRow, type SwarmRow } from "./flush.ts";

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
/** Stale stored sessions deleted (and folded in D1) per reap: one batch's worth, the rest at the next reap. */
const STALE_PER_REAP = 2_000;
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

/** What a shard reports to /metrics (worker/metrics). Counters since the object started. */
export interface ShardMetrics {
  shard: number;
  counters: Record<string, number>;
  gauges: Record<string, number>;
}

const KIND_STATE = ["leeching", "partial", "seeding"] as const;

type PeerRow = {
  member: string;
  peer_id: string;
  v4: ArrayBuffer | null;
  v4_seen: number;
  v6: ArrayBuffer | null;
  v6_seen: number;
  left_bytes: number;
  uploaded: number;
  downloaded: number;
  session: number;
  last_credit: number;
  kind: number;
  free: number;
  ws: number;
};

const SCHEMA = `
DROP TABLE IF EXISTS peers;
CREATE TABLE IF NOT EXISTS peer_rows (
  ih TEXT NOT NULL, member TEXT NOT NULL, peer_id TEXT NOT NULL, ws INTEGER NOT NULL,
  v4 BLOB, v4_seen INTEGER NOT NULL, v6 BLOB, v6_seen INTEGER NOT NULL, seen INTEGER NOT NULL,
  left_bytes INTEGER NOT NULL, uploaded INTEGER NOT NULL, downloaded INTEGER NOT NULL,
  session INTEGER NOT NULL, last_credit INTEGER NOT NULL, kind INTEGER NOT NULL, free INTEGER NOT NULL,
  PRIMARY KEY (ih, member, peer_id, ws)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS peer_rows_seen ON peer_rows (seen);
CREATE TABLE IF NOT EXISTS swarm_counts (ih TEXT PRIMARY KEY, snatches INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, body TEXT NOT NULL, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS revoked (passkey TEXT PRIMARY KEY, until INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state (k TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS surge (ih TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;`;

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

const blob = (s: string | undefined): ArrayBuffer | null => (s ? (binaryToBytes(s).buffer as ArrayBuffer) : null);
const unblob = (b: ArrayBuffer | null): string | undefined => (b ? bytesToBinary(new Uint8Array(b)) : undefined);

/**
 * A session's first sighting, over HTTP or the WebSocket tracker: its counters are only the
 * baseline (nothing credited). A WebSocket peer's socket is its endpoint, seen now.
 */
function newSession(s: Swarm, key: string, member: number, peerId: string, c: { left: number; up: number; down: number }, now: number, o: { newcomer: boolean; paused: boolean; ws: boolean }): Peer {
  return {
    key,
    ih: s.ih,
    member,
    peerId,
    v4: undefined,
    v6: undefined,
    v4Seen: o.ws ? now : 0,
    v6Seen: 0,
    left: c.left,
    uploaded: c.up,
    downloaded: c.down,
    session: now,
    lastCredit: now,
    kind: kindOf(c.left, o.paused),
    at: 0,
    // Newcomers download what needs seeders and is wanted, without charge (rules.ts HOT_MAX_SEEDERS).
    free: o.newcomer && c.left > 0 && s.seeds < HOT_MAX_SEEDERS && s.downloaders > 0,
    gone: false,
    ws: o.ws,
    acc: undefined,
  };
}

function newAcc(now: number): Acc {
  return { up: 0, down: 0, cup: 0, cdown: 0, seed: 0, announces: 0, last: now, completedAt: 0 };
}

/** Byte and announce totals of a swarm not yet flushed. */
interface SwarmPending {
  up: number;
  down: number;
  cup: number;
  cdown: number;
  announces: number;
}

export class SwarmShard extends DurableObject<Env> {
  private readonly swarms = new Map<string, Swarm>();
  /** Member accounts by small index: a session holds a number, not a copy of the string. */
  private readonly memberIds = new Map<string, number>();
  private readonly memberNames: string[] = [];
  /** Sessions with something to flush or write behind. */
  private due = new Set<Peer>();
  /** Stored sessions of swarms not in memory that went stale (reap): deleted, and their accounting folded, by the next seal. */
  private staleStored: { ih: string; member: string; peerId: string; ws: number; seen: number }[] = [];
  /** Swarms with activity since the last batch, and their byte totals. */
  private active = new Map<Swarm, SwarmPending>();
  private readonly revoked = new Map<string, number>();
  private shard = -1;
  private seq = 0;
  private alarmAt: number | undefined;
  private lastReap = 0;
  /** The oldest announce not yet sealed into a batch (ms), for the flush lag. */
  private oldestDue = 0;
  private lastFlushAt = 0;
  private lastFlushMs = 0;
  private readonly c: Record<string, number> = {};
  private readonly dir: Directory;
  /** Per swarm: surge state, and the actual bytes moved since the last surge window. */
  private readonly surge = new Map<string, SurgeState>();
  private readonly windowBytes = new Map<string, { up: number; down: number }>();
  /** Surge rows for the next batch, and swarms whose surge state is to be written behind with it. */
  private pendingSurge: SurgeRow[] = [];
  private surgeDirty = new Set<string>();
  /** When the last surge window closed (ms; 0: none yet). */
  private lastWindowAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.dir = new Directory(env.DB, () => this.count("directory_queries"));
    ctx.blockConcurrencyWhile(async () => {
      const sql = ctx.storage.sql;
      sql.exec(SCHEMA);
      for (const r of sql.exec<{ k: string; v: number }>("SELECT k, v FROM meta")) {
        if (r.k === "seq") this.seq = r.v;
        if (r.k === "shard") this.shard = r.v;
        if (r.k === "window_at") this.lastWindowAt = r.v;
      }
      for (const r of sql.exec<{ ih: string; json: string }>("SELECT ih, json FROM surge")) this.surge.set(r.ih, surgeFromJson(r.json));
      // The metrics' counters survive eviction (saved by each alarm), so /metrics series only grow.
      const saved = sql.exec<{ json: string }>("SELECT json FROM state WHERE k = 'counters'").toArray()[0];
      if (saved) Object.assign(this.c, JSON.parse(saved.json) as Record<string, number>);
      const now = Date.now();
      for (const r of sql.exec<{ passkey: string; until: number }>("SELECT passkey, until FROM revoked WHERE until > ?", now)) this.revoked.set(r.passkey, r.until);
    });
  }

  private count(name: string, n = 1): void {
    this.c[name] = (this.c[name] ?? 0) + n;
    this.countersChanged = true;
  }

  private countersChanged = false;

  private saveCounters(): void {
    if (!this.countersChanged) return;
    this.countersChanged = false;
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO state (k, json) VALUES ('counters', ?)", JSON.stringify(this.c));
  }

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
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('shard', ?)", this.shard);
  }

  private swarm(ih: string, now: number): Swarm {
    let s = this.swarms.get(ih);
    if (!s) {
      s = this.load(ih, now);
      this.swarms.set(ih, s);
    }
    return s;
  }

  /** A swarm as last written behind, without the sessions gone stale meanwhile. */
  private load(ih: string, now: number): Swarm {
    const sql = this.ctx.storage.sql;
    const counted = sql.exec<{ snatches: number }>("SELECT snatches FROM swarm_counts WHERE ih = ?", ih).toArray()[0];
    const s = new Swarm(ih, counted?.snatches ?? 0);
    for (const r of sql.exec<PeerRow>(
      "SELECT member, peer_id, v4, v4_seen, v6, v6_seen, left_bytes, uploaded, downloaded, session, last_credit, kind, free, ws FROM peer_rows WHERE ih = ?",
      ih,
    )) {
      const ttl = r.ws ? WS_SESSION_TTL_MS : PEER_TTL_MS;
      const v4 = now - r.v4_seen <= ttl ? unblob(r.v4) : undefined;
      const v6 = now - r.v6_seen <= ttl ? unblob(r.v6) : undefined;
      if (!v4 && !v6 && !(r.ws && now - r.v4_seen <= ttl)) continue;
      const member = this.memberIndex(r.member);
      const peerId = bytesToBinary(fromHex(r.peer_id));
      const p: Peer = {
        key: `${member}:${peerId}`,
        ih,
        member,
        peerId,
        v4,
        v6,
        v4Seen: r.v4_seen,
        v6Seen: r.v6_seen,
        left: r.left_bytes,
        uploaded: r.uploaded,
        downloaded: r.downloaded,
        session: r.session,
        lastCredit: r.last_credit,
        kind: (r.kind as 0 | 1 | 2) ?? DOWNLOADER,
        at: 0,
        free: r.free === 1,
        gone: false,
        ws: r.ws === 1,
        acc: undefined,
      };
      if (r.ws) s.addWs(p);
      else s.add(p);
    }
    s.changed = false;
    return s;
  }

  private markDue(p: Peer, now: number): void {
    if (this.due.size === 0) this.oldestDue = now;
    this.due.add(p);
  }

  private pendingOf(s: Swarm): SwarmPending {
    let sp = this.active.get(s);
    if (!sp) this.active.set(s, (sp = { up: 0, down: 0, cup: 0, cdown: 0, announces: 0 }));
    return sp;
  }

  /** `left` within the torrent's length; a larger claim is counted (it would inflate the swarm's demand). */
  private boundedLeft(left: number, length: number): number {
    const bounded = boundLeft(left, length);
    if (bounded !== left) this.count("clamped_left");
    return bounded;
  }

  private addCredit(p: Peer, s: Swarm, cr: Credit | undefined, now: number): void {
    const acc = (p.acc ??= newAcc(now));
    acc.announces++;
    acc.last = now;
    const sp = this.pendingOf(s);
    sp.announces++;
    if (cr) {
      acc.up += cr.up;
      acc.down += cr.down;
      acc.cup += cr.cup;
      acc.cdown += cr.cdown;
      acc.seed += cr.seed;
      sp.up += cr.up;
      sp.down += cr.down;
      // A slowed member's downloads are no paying demand: they feed no surge (its uploads are supply).
      const down = p.slowed ? 0 : cr.down;
      const wb = this.windowBytes.get(s.ih);
      if (wb) {
        wb.up += cr.up;
        wb.down += down;
      } else this.windowBytes.set(s.ih, { up: cr.up, down });
      sp.cup += cr.cup;
      sp.cdown += cr.cdown;
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
    s.unflushedSnatches++;
    (p.acc ??= newAcc(now)).completedAt = now;
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
      const cr = creditAnnounce(p, { up: a.up, down: a.down, event: a.ev, trackerId: a.tid, now, torrentFlags: tf, length: r.t.length });
      this.count(`announces_${cr.outcome.replace("-", "_")}`);
      if (cr.outcome !== "stale") {
        const wasLeeching = p.left > 0;
        p.left = a.left;
        s.setKind(p, kindOf(a.left, a.ev === EV_PAUSED));
        // A snatch is a leecher becoming a seed, with or without `completed`, counted once.
        if (wasLeeching && a.left === 0) this.snatch(s, p, now);
      }
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
    this.scheduleAlarm(Date.now());
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
      const cr = creditAnnounce(p, { up: a.up, down: a.down, event: a.ev, trackerId: 0, now, torrentFlags: tf, length: r.t.length });
      if (cr.outcome !== "stale") {
        if (p.left > 0 && a.left === 0) this.snatch(s, p, now);
        p.left = a.left;
        p.kind = kindOf(a.left, false);
      }
      p.v4Seen = now;
      this.addCredit(p, s, cr.outcome === "credited" ? cr : undefined, now);
    }
    p.conn = a.conn;
    if (a.ev === EV_STOPPED) {
      s.removeWs(p);
      p.gone = true;
    }
    this.scheduleAlarm(Date.now());
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
    if (n) this.scheduleAlarm(now);
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

  /** A passkey reset: refuse the old one here at once, for longer than any isolate caches it. */
  async revokePasskey(passkey: string, now = Date.now()): Promise<void> {
    const until = now + REVOCATION_MS;
    this.dir.forgetMember(passkey);
    this.revoked.set(passkey, until);
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO revoked (passkey, until) VALUES (?, ?)", passkey, until);
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
    const outbox = this.ctx.storage.sql.exec<{ n: number; oldest: number | null }>("SELECT count(*) AS n, min(at) AS oldest FROM outbox").one();
    const oldest = Math.min(this.due.size ? this.oldestDue : now, outbox.oldest ?? now);
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
        outbox_batches: outbox.n,
        flush_lag_seconds: (now - oldest) / 1_000,
        last_flush_duration_seconds: this.lastFlushMs / 1_000,
        last_flush_age_seconds: this.lastFlushAt ? (now - this.lastFlushAt) / 1_000 : -1,
        revoked_passkeys: this.revoked.size,
        cached_members: this.dir.size.members,
        cached_torrents: this.dir.size.torrents,
      },
    };
  }

  private scheduleAlarm(now: number): void {
    // Keep a due alarm, but pull a later one (the reaper's) forward: credit waits FLUSH_MS at most.
    if (this.alarmAt !== undefined && this.alarmAt > now - FLUSH_MS && this.alarmAt <= now + FLUSH_MS) return;
    this.alarmAt = now + FLUSH_MS;
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
    this.seal(now);
    await this.send();
    this.saveCounters();
    const sql = this.ctx.storage.sql;
    // Keep ticking while anything waits, or stored peers and revocations are to expire later.
    const waiting = sql.exec("SELECT 1 FROM outbox LIMIT 1").toArray().length > 0;
    const stored = sql.exec("SELECT 1 FROM peer_rows LIMIT 1").toArray().length > 0 || this.revoked.size > 0;
    if (this.due.size > 0 || waiting || stored) {
      this.alarmAt = now + (this.due.size > 0 || waiting ? FLUSH_MS : REAP_EVERY_MS);
      await this.ctx.storage.setAlarm(this.alarmAt);
    }
  }

  /**
   * Seals what is due into the next numbered batch and writes the same sessions behind, in
   * one transaction of the object's SQLite: after a crash the stored baselines and the
   * unsent batches agree, so the next announce neither repeats nor loses a credit.
   */
  seal(now = Date.now()): number {
    if (this.due.size === 0 && this.active.size === 0 && this.pendingSurge.length === 0 && this.staleStored.length === 0) return 0;
    const due = this.due;
    const active = this.active;
    this.due = new Set();
    this.active = new Map();
    const acc: AccRow[] = [];
    const ended: EndedRow[] = [];
    const stale = this.staleStored;
    this.staleStored = [];
    const sql = this.ctx.storage.sql;
    const peerHex = new Map<Peer, string>();
    const hexOf = (p: Peer) => {
      let h = peerHex.get(p);
      if (h === undefined) peerHex.set(p, (h = toHex(binaryToBytes(p.peerId))));
      return h;
    };
    for (const p of due) {
      const a = p.acc;
      if (!a) continue;
      p.acc = undefined;
      acc.push([this.memberNames[p.member]!, p.ih, hexOf(p), a.up, a.down, a.cup, a.cdown, a.seed, a.announces, a.last, a.completedAt]);
    }
    // A session that ended leaves no row of its own in D1 (flush.ts ENDED_SESSIONS).
    for (const p of due) if (p.gone) ended.push([this.memberNames[p.member]!, p.ih, hexOf(p)]);
    const swarms: SwarmRow[] = [];
    for (const [s, sp] of active) {
      swarms.push([s.ih, s.seeds, s.incomplete, s.partialSeeds, s.snatches, s.changed ? 1 : 0, sp.up, sp.down, sp.cup, sp.cdown, sp.announces, s.unflushedSnatches]);
      s.changed = false;
    }
    const surge = this.pendingSurge;
    const surgeDirty = this.surgeDirty;
    this.pendingSurge = [];
    this.surgeDirty = new Set();
    let rows = 0;
    let batch: Batch | undefined;
    this.ctx.storage.transactionSync(() => {
      // Deleted here, in the transaction that writes the batch folding them, so a crash loses neither.
      for (const r of stale) {
        const gone = sql.exec("DELETE FROM peer_rows WHERE ih = ? AND member = ? AND peer_id = ? AND ws = ? AND seen <= ?", r.ih, r.member, r.peerId, r.ws, r.seen).rowsWritten;
        if (gone) {
          rows += gone;
          ended.push([r.member, r.ih, r.peerId]);
        }
      }
      batch =
        acc.length || swarms.length || surge.length || ended.length
          ? { shard: this.shard, seq: this.seq + 1, at: now, acc, swarms, ...(surge.length ? { surge } : {}), ...(ended.length ? { ended } : {}) }
          : undefined;
      for (const p of due) {
        rows++;
        const ws = p.ws ? 1 : 0;
        if (p.gone) {
          sql.exec("DELETE FROM peer_rows WHERE ih = ? AND member = ? AND peer_id = ? AND ws = ?", p.ih, this.memberNames[p.member]!, hexOf(p), ws);
          continue;
        }
        sql.exec(
          "INSERT OR REPLACE INTO peer_rows (ih, member, peer_id, ws, v4, v4_seen, v6, v6_seen, seen, left_bytes, uploaded, downloaded, session, last_credit, kind, free) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          p.ih, this.memberNames[p.member]!, hexOf(p), ws, blob(p.v4), p.v4Seen, blob(p.v6), p.v6Seen, Math.max(p.v4Seen, p.v6Seen),
          p.left, p.uploaded, p.downloaded, p.session, p.lastCredit, p.kind, p.free ? 1 : 0,
        );
      }
      for (const [s] of active)
        if (s.unflushedSnatches) {
          rows++;
          sql.exec("INSERT OR REPLACE INTO swarm_counts (ih, snatches) VALUES (?, ?)", s.ih, s.snatches);
          s.unflushedSnatches = 0;
        }
      // The surge state is written behind with the batch that carries its rows to D1.
      for (const ih of surgeDirty) {
        rows++;
        sql.exec("INSERT OR REPLACE INTO surge (ih, json) VALUES (?, ?)", ih, surgeJson(this.surge.get(ih)!));
      }
      if (surge.length) sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('window_at', ?)", this.lastWindowAt);
      if (batch) {
        this.seq = batch.seq;
        sql.exec("INSERT INTO outbox (seq, body, at) VALUES (?, ?, ?)", batch.seq, JSON.stringify(batch), now);
        sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('seq', ?)", batch.seq);
        rows += 2;
      }
    });
    this.count("do_rows_written", rows);
    return batch ? acc.length : 0;
  }

  /** Sends sealed batches to D1 in order; a batch that fails waits, with those after it, for the next alarm. */
  async send(): Promise<number> {
    const sql = this.ctx.storage.sql;
    const rows = sql.exec<{ seq: number; body: string }>("SELECT seq, body FROM outbox ORDER BY seq LIMIT ?", BATCHES_PER_ALARM).toArray();
    let sent = 0;
    for (const r of rows) {
      const b = JSON.parse(r.body) as Batch;
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
      sql.exec("DELETE FROM outbox WHERE seq = ?", r.seq);
      this.lastFlushAt = Date.now();
      this.lastFlushMs = this.lastFlushAt - started;
      sent++;
    }
    return sent;
  }

  /** Seals and sends now (tests and the bench; the alarm does the same every FLUSH_MS). */
  async flush(): Promise<number> {
    const n = this.seal();
    await this.send();
    this.saveCounters();
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
      this.surgeDirty.add(ih);
      // The forecast's demand and capacity too: the epoch's sums are the dynamic gate's measure (protocol/economics/gate.ts).
      this.pendingSurge.push([ih, Number(sat), Number(next.surgeBps), s?.seeds ?? 0, s?.incomplete ?? 0, s?.partialSeeds ?? 0, s?.snatches ?? 0, Number(load.demand), Number(load.capacity)]);
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
          // Its pending credit, if any, is still flushed; its stored row is deleted.
          this.markDue(p, now);
          this.pendingOf(s);
        }
      }
      for (const p of s.ws.values()) if (now - p.v4Seen > WS_SESSION_TTL_MS) this.endWsSession(s, p, now);
      if (s.size === 0 && s.ws.size === 0 && !this.active.has(s)) this.swarms.delete(ih);
    }
    const sql = this.ctx.storage.sql;
    // Stored sessions of swarms not in memory go stale too (a stale endpoint is dropped on read):
    // the next seal deletes them and folds their accounting, a bounded number per reap.
    this.staleStored = sql
      .exec<{ ih: string; member: string; peer_id: string; ws: number; seen: number }>("SELECT ih, member, peer_id, ws, seen FROM peer_rows WHERE seen < ? LIMIT ?", now - PEER_TTL_MS, STALE_PER_REAP)
      .toArray()
      .map((r) => ({ ih: r.ih, member: r.member, peerId: r.peer_id, ws: r.ws, seen: r.seen }));
    for (const [pk, until] of this.revoked)
      if (until <= now) {
        this.revoked.delete(pk);
        sql.exec("DELETE FROM revoked WHERE passkey = ?", pk);
      }
  }
}

export { SEED, PARTIAL_SEED, DOWNLOADER };
