// Swarm state for a fixed shard of info hashes (TRACKER-NOTES "Scale on Workers"): peers
// in memory, keyed by (member, peer id) so one client session is one record whatever its
// endpoints; accounting deltas computed here and flushed to D1 in batches by the alarm,
// never one D1 write per announce. Changed peers are written behind to the object's own
// SQLite by the same alarm, so a shard evicted from memory (after seconds of idleness,
// while clients announce every half hour) still knows its peers and their counters.

import { DurableObject } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { ANNOUNCE_INTERVAL_SECONDS } from "../../protocol/params.ts";
import { concatBytes } from "../../protocol/hex.ts";
import type { Env } from "../env.ts";
import { db, schema } from "../db/client.ts";
import { compactEndpoint } from "./ip.ts";

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
/** Seed time accrues only across gaps shorter than this (TRACKER-NOTES "Accounting"). */
export const SEED_GAP_CAP_MS = 2 * ANNOUNCE_INTERVAL_SECONDS * 1_000;
const REAP_EVERY_MS = 60_000;
const FLUSH_CHUNK = 100;

export interface AnnounceInput {
  infoHash: string; // 40 hex
  peerId: string; // 40 hex
  member: string;
  /** 4 or 16 bytes: the address the edge saw. */
  ip: Uint8Array;
  port: number;
  uploaded: number;
  downloaded: number;
  left: number;
  event: "started" | "completed" | "stopped" | "paused" | "";
  numwant: number;
  now: number;
}

export interface SwarmStats {
  complete: number;
  incomplete: number;
  downloaded: number;
}

export interface AnnounceResult extends SwarmStats {
  /** BEP 23 compact IPv4 peers, 6 bytes each; always present. */
  peers: Uint8Array;
  /** BEP 7 compact IPv6 peers, 18 bytes each; only when there are some. */
  peers6?: Uint8Array;
}

export interface MemberSession {
  peerId: string;
  left: number;
  lastAnnounce: number;
}

interface Peer {
  member: string;
  peerId: string;
  v4?: Uint8Array; // compact 6 bytes
  v4Seen: number;
  v6?: Uint8Array; // compact 18 bytes
  v6Seen: number;
  left: number;
  /** Counters of the previous announce of this session, for deltas. */
  uploaded: number;
  downloaded: number;
  lastAnnounce: number;
}

interface Swarm {
  peers: Map<string, Peer>;
  completed: number;
}

interface Pending {
  member: string;
  infoHash: string;
  peerId: string;
  uploaded: number;
  downloaded: number;
  seedSeconds: number;
  announces: number;
  lastAnnounceAt: number;
}

const COMPLETED_PREFIX = "completed:";

/** Peer rows in the object's SQLite, one per (info hash, member, peer id). */
const PEERS_SCHEMA = `CREATE TABLE IF NOT EXISTS peers (
  info_hash TEXT NOT NULL, member TEXT NOT NULL, peer_id TEXT NOT NULL,
  v4 BLOB, v4_seen INTEGER NOT NULL, v6 BLOB, v6_seen INTEGER NOT NULL,
  left_bytes INTEGER NOT NULL, uploaded INTEGER NOT NULL, downloaded INTEGER NOT NULL, last_announce INTEGER NOT NULL,
  PRIMARY KEY (info_hash, member, peer_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS peers_last_announce ON peers (last_announce);`;

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
  last_announce: number;
};

const blob = (b: Uint8Array | undefined): ArrayBuffer | null => (b ? (b.slice().buffer as ArrayBuffer) : null);

export class SwarmShard extends DurableObject<Env> {
  private readonly swarms = new Map<string, Swarm>();
  private pending = new Map<string, Pending>();
  /** Peers changed since the last write-behind: info hash → peer keys. */
  private dirty = new Map<string, Set<string>>();
  private completedCounts = new Map<string, number>();
  private alarmAt: number | undefined;
  private lastReap = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Swarm download counts and peers survive eviction; swarms are read back one at a time.
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(PEERS_SCHEMA);
      const stored = await ctx.storage.list<number>({ prefix: COMPLETED_PREFIX });
      for (const [k, v] of stored) this.completedCounts.set(k.slice(COMPLETED_PREFIX.length), v);
    });
  }

  private swarm(infoHash: string, now: number): Swarm {
    let s = this.swarms.get(infoHash);
    if (!s) {
      s = { peers: this.storedPeers(infoHash, now), completed: this.completedCounts.get(infoHash) ?? 0 };
      this.swarms.set(infoHash, s);
    }
    return s;
  }

  /** The swarm's peers as last written behind, without those gone stale meanwhile. */
  private storedPeers(infoHash: string, now: number): Map<string, Peer> {
    const peers = new Map<string, Peer>();
    const rows = this.ctx.storage.sql.exec<PeerRow>(
      "SELECT member, peer_id, v4, v4_seen, v6, v6_seen, left_bytes, uploaded, downloaded, last_announce FROM peers WHERE info_hash = ?",
      infoHash,
    );
    for (const r of rows) {
      const v4 = r.v4 && now - r.v4_seen <= PEER_TTL_MS ? new Uint8Array(r.v4) : undefined;
      const v6 = r.v6 && now - r.v6_seen <= PEER_TTL_MS ? new Uint8Array(r.v6) : undefined;
      if (!v4 && !v6) continue;
      peers.set(`${r.member}:${r.peer_id}`, {
        member: r.member,
        peerId: r.peer_id,
        v4,
        v4Seen: r.v4_seen,
        v6,
        v6Seen: r.v6_seen,
        left: r.left_bytes,
        uploaded: r.uploaded,
        downloaded: r.downloaded,
        lastAnnounce: r.last_announce,
      });
    }
    return peers;
  }

  private markDirty(infoHash: string, key: string): void {
    let keys = this.dirty.get(infoHash);
    if (!keys) this.dirty.set(infoHash, (keys = new Set()));
    keys.add(key);
  }

  async announce(a: AnnounceInput): Promise<AnnounceResult> {
    const swarm = this.swarm(a.infoHash, a.now);
    const key = `${a.member}:${a.peerId}`;
    const isV6 = a.ip.length === 16;
    let peer = swarm.peers.get(key);
    let upDelta = 0;
    let downDelta = 0;
    let seedMs = 0;
    if (peer) {
      // A counter that goes down is a new client session: it credits zero (TRACKER-NOTES).
      if (a.uploaded >= peer.uploaded) upDelta = a.uploaded - peer.uploaded;
      if (a.downloaded >= peer.downloaded) downDelta = a.downloaded - peer.downloaded;
      const gap = a.now - peer.lastAnnounce;
      if (peer.left === 0 && gap > 0 && gap < SEED_GAP_CAP_MS) seedMs = gap;
    } else {
      peer = { member: a.member, peerId: a.peerId, v4Seen: 0, v6Seen: 0, left: a.left, uploaded: 0, downloaded: 0, lastAnnounce: a.now };
    }
    peer.uploaded = a.uploaded;
    peer.downloaded = a.downloaded;
    peer.lastAnnounce = a.now;
    const wasLeeching = peer.left > 0;
    peer.left = a.left;
    this.credit(key, a, upDelta, downDelta, Math.floor(seedMs / 1000));

    if (a.event === "completed" && (wasLeeching || !swarm.peers.has(key))) {
      swarm.completed++;
      this.completedCounts.set(a.infoHash, swarm.completed);
      await this.ctx.storage.put(COMPLETED_PREFIX + a.infoHash, swarm.completed);
    }

    if (a.event === "stopped") {
      if (isV6) peer.v6 = undefined;
      else peer.v4 = undefined;
      if (!peer.v4 && !peer.v6) swarm.peers.delete(key);
      else swarm.peers.set(key, peer);
    } else {
      if (isV6) {
        peer.v6 = compactEndpoint(a.ip, a.port);
        peer.v6Seen = a.now;
      } else {
        peer.v4 = compactEndpoint(a.ip, a.port);
        peer.v4Seen = a.now;
      }
      swarm.peers.set(key, peer);
    }

    this.markDirty(a.infoHash, key);

    const wanted = a.event === "stopped" ? 0 : a.numwant;
    const result = this.selectPeers(swarm, key, a.left === 0, wanted);
    this.scheduleAlarm(a.now);
    return result;
  }

  scrape(infoHashes: string[]): Record<string, SwarmStats> {
    const out: Record<string, SwarmStats> = {};
    const now = Date.now();
    for (const h of infoHashes) out[h] = this.stats(this.swarm(h, now));
    return out;
  }

  /** A member's sessions in these swarms now (peer id and bytes left), for the member's own stats. */
  sessions(member: string, infoHashes: string[]): Record<string, MemberSession[]> {
    const out: Record<string, MemberSession[]> = {};
    const now = Date.now();
    for (const h of infoHashes) {
      const list: MemberSession[] = [];
      for (const p of this.swarm(h, now).peers.values()) if (p.member === member) list.push({ peerId: p.peerId, left: p.left, lastAnnounce: p.lastAnnounce });
      out[h] = list;
    }
    return out;
  }

  private stats(swarm: Swarm): SwarmStats {
    let complete = 0;
    let incomplete = 0;
    for (const p of swarm.peers.values()) p.left === 0 ? complete++ : incomplete++;
    return { complete, incomplete, downloaded: swarm.completed };
  }

  private selectPeers(swarm: Swarm, self: string, selfIsSeed: boolean, numwant: number): AnnounceResult {
    const candidates: Peer[] = [];
    let complete = 0;
    let incomplete = 0;
    for (const [k, p] of swarm.peers) {
      if (p.left === 0) complete++;
      else incomplete++;
      // Seeds have nothing to give each other.
      if (k === self || (selfIsSeed && p.left === 0)) continue;
      candidates.push(p);
    }
    const v4: Uint8Array[] = [];
    const v6: Uint8Array[] = [];
    // Partial Fisher-Yates: a uniform sample of the swarm, different for each announce.
    for (let i = 0; i < candidates.length && v4.length + v6.length < numwant; i++) {
      const j = i + Math.floor(Math.random() * (candidates.length - i));
      const p = candidates[j]!;
      candidates[j] = candidates[i]!;
      candidates[i] = p;
      if (p.v4) v4.push(p.v4);
      if (p.v6 && v4.length + v6.length < numwant) v6.push(p.v6);
    }
    return {
      peers: concatBytes(...v4),
      ...(v6.length ? { peers6: concatBytes(...v6) } : {}),
      complete,
      incomplete,
      downloaded: swarm.completed,
    };
  }

  private credit(key: string, a: AnnounceInput, uploaded: number, downloaded: number, seedSeconds: number): void {
    const k = `${a.infoHash}:${key}`;
    const p = this.pending.get(k);
    if (p) {
      p.uploaded += uploaded;
      p.downloaded += downloaded;
      p.seedSeconds += seedSeconds;
      p.announces++;
      p.lastAnnounceAt = a.now;
    } else {
      this.pending.set(k, { member: a.member, infoHash: a.infoHash, peerId: a.peerId, uploaded, downloaded, seedSeconds, announces: 1, lastAnnounceAt: a.now });
    }
  }

  private scheduleAlarm(now: number): void {
    // Keep a due alarm, but pull a later one (the reaper's) forward: credit waits FLUSH_MS at most.
    if (this.alarmAt !== undefined && this.alarmAt > now - FLUSH_MS && this.alarmAt <= now + FLUSH_MS) return;
    this.alarmAt = now + FLUSH_MS;
    this.ctx.waitUntil(this.ctx.storage.setAlarm(this.alarmAt));
  }

  override async alarm(): Promise<void> {
    this.alarmAt = undefined;
    const now = Date.now();
    if (now - this.lastReap >= REAP_EVERY_MS) this.reap(now);
    await this.flush();
    // Only once their credit is in D1: stored counters never run ahead of credited bytes, so
    // after a crash the next announce's delta covers whatever was not yet written.
    this.writeBehind();
    // Keep ticking while there is anything to flush, or stored peers to reap later.
    const stored = this.ctx.storage.sql.exec("SELECT 1 FROM peers LIMIT 1").toArray().length > 0;
    if (this.pending.size > 0 || stored) {
      this.alarmAt = now + (this.pending.size > 0 ? FLUSH_MS : REAP_EVERY_MS);
      await this.ctx.storage.setAlarm(this.alarmAt);
    }
  }

  /** Writes the peers changed since the last alarm to the object's SQLite, in one transaction. */
  writeBehind(): number {
    if (this.dirty.size === 0) return 0;
    const dirty = this.dirty;
    this.dirty = new Map();
    const sql = this.ctx.storage.sql;
    let n = 0;
    this.ctx.storage.transactionSync(() => {
      for (const [infoHash, keys] of dirty) {
        const swarm = this.swarms.get(infoHash);
        for (const key of keys) {
          n++;
          const p = swarm?.peers.get(key);
          const [member, peerId] = key.split(":") as [string, string];
          if (!p) {
            sql.exec("DELETE FROM peers WHERE info_hash = ? AND member = ? AND peer_id = ?", infoHash, member, peerId);
            continue;
          }
          sql.exec(
            "INSERT OR REPLACE INTO peers (info_hash, member, peer_id, v4, v4_seen, v6, v6_seen, left_bytes, uploaded, downloaded, last_announce) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            infoHash, p.member, p.peerId, blob(p.v4), p.v4Seen, blob(p.v6), p.v6Seen, p.left, p.uploaded, p.downloaded, p.lastAnnounce,
          );
        }
      }
    });
    return n;
  }

  /** Writes pending accounting deltas to D1 in one batch; on failure they wait for the next alarm. */
  async flush(): Promise<number> {
    if (this.pending.size === 0) return 0;
    const batch = this.pending;
    this.pending = new Map();
    const d = db(this.env.DB);
    const t = schema.accounting;
    const entries = [...batch];
    const upsert = (p: Pending) =>
      d
        .insert(t)
        .values(p)
        .onConflictDoUpdate({
          target: [t.member, t.infoHash, t.peerId],
          set: {
            uploaded: sql`${t.uploaded} + excluded.uploaded`,
            downloaded: sql`${t.downloaded} + excluded.downloaded`,
            seedSeconds: sql`${t.seedSeconds} + excluded.seed_seconds`,
            announces: sql`${t.announces} + excluded.announces`,
            lastAnnounceAt: sql`excluded.last_announce_at`,
          },
        });
    // A D1 batch is one transaction: a chunk is written whole or not at all.
    for (let i = 0; i < entries.length; i += FLUSH_CHUNK) {
      const chunk = entries.slice(i, i + FLUSH_CHUNK).map(([, p]) => upsert(p));
      try {
        await d.batch(chunk as [(typeof chunk)[0], ...typeof chunk]);
      } catch (e) {
        // Put the unwritten rest back (merged with anything credited since) for the next alarm.
        for (const [k, p] of entries.slice(i)) {
          const q = this.pending.get(k);
          if (q) {
            q.uploaded += p.uploaded;
            q.downloaded += p.downloaded;
            q.seedSeconds += p.seedSeconds;
            q.announces += p.announces;
          } else this.pending.set(k, p);
        }
        throw e;
      }
    }
    return batch.size;
  }

  private reap(now: number): void {
    this.lastReap = now;
    for (const [ih, swarm] of this.swarms) {
      for (const [k, p] of swarm.peers) {
        if (p.v4 && now - p.v4Seen > PEER_TTL_MS) p.v4 = undefined;
        if (p.v6 && now - p.v6Seen > PEER_TTL_MS) p.v6 = undefined;
        if (!p.v4 && !p.v6) swarm.peers.delete(k);
      }
      if (swarm.peers.size === 0 && !this.dirty.has(ih)) this.swarms.delete(ih);
    }
    // Stored peers of swarms not in memory go stale too (a stale endpoint is dropped on read).
    this.ctx.storage.sql.exec("DELETE FROM peers WHERE last_announce < ?", now - PEER_TTL_MS);
  }
}
