// The shard's view of members (by passkey) and torrents (by info hash), read from D1 and
// kept. Isolates come and go and each would read D1 for the members it has not seen, which
// on a tracker whose clients announce every half hour is nearly every announce; the 64
// shards live long, so a member's passkey is read once per shard it announces to and then
// served from memory. Misses that arrive together are read in one query (the loader waits one
// turn of the event loop to gather them), so a burst of new sessions costs a few D1 reads, not
// one each. Changes reach the shard at once: a passkey reset revokes (shard.ts), a member's or
// torrent's change is forgotten here by the route that made it; the TTLs bound anything missed.

import { torrentFlags } from "../members/lookup.ts";
import { nodeCovers } from "../nodes/access.ts";

export interface MemberInfo {
  account: string;
  createdAt: number;
  slowed: boolean;
  /** A node's tracker key (nodes.passkey), not a member's passkey: it covers only its hosted and fetching torrents. */
  node: boolean;
}

export interface TorrentInfo {
  /** "approved", "pending" or "rejected". */
  status: string;
  /** FREELEECH | NEUTRAL | DOUBLE_UPLOAD (announce/rules.ts). */
  flags: number;
  /** Payload bytes: bounds `left` and a session's `downloaded` (protocol/accounting/bounds.ts). */
  length: number;
}

const MEMBER_TTL_MS = 60 * 60_000;
/** A node's coverage of a torrent: a torrent dropped from its subset stops being covered within this. */
const COVER_TTL_MS = 5 * 60_000;
const TORRENT_TTL_MS = 10 * 60_000;
/** Unknown passkeys and info hashes are remembered briefly: a new member or upload is seen soon. */
const UNKNOWN_TTL_MS = 5_000;
const MAX_ENTRIES = 200_000;
/** D1 allows 100 bound parameters a query. */
const KEYS_PER_QUERY = 90;

/** Not cached (or expired): the caller loads it. */
export const MISS = Symbol("miss");

interface Entry<T> {
  v: T | undefined;
  at: number;
}

/** Loads keys in batches: every miss of one turn of the event loop goes in the same query. */
class BatchLoader<T> {
  private queue = new Map<string, ((v: T | undefined) => void)[]>();
  private failures = new Map<string, ((e: unknown) => void)[]>();
  private scheduled = false;
  private readonly loadMany: (keys: string[]) => Promise<Map<string, T>>;

  constructor(loadMany: (keys: string[]) => Promise<Map<string, T>>) {
    this.loadMany = loadMany;
  }

  load(key: string): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      const waiting = this.queue.get(key);
      if (waiting) {
        waiting.push(resolve);
        this.failures.get(key)!.push(reject);
      } else {
        this.queue.set(key, [resolve]);
        this.failures.set(key, [reject]);
      }
      if (!this.scheduled) {
        this.scheduled = true;
        setTimeout(() => void this.run(), 0);
      }
    });
  }

  private async run(): Promise<void> {
    this.scheduled = false;
    const queue = this.queue;
    const failures = this.failures;
    this.queue = new Map();
    this.failures = new Map();
    const keys = [...queue.keys()];
    await Promise.all(
      Array.from({ length: Math.ceil(keys.length / KEYS_PER_QUERY) }, async (_, i) => {
        const part = keys.slice(i * KEYS_PER_QUERY, (i + 1) * KEYS_PER_QUERY);
        try {
          const found = await this.loadMany(part);
          for (const k of part) for (const resolve of queue.get(k)!) resolve(found.get(k));
        } catch (e) {
          for (const k of part) for (const reject of failures.get(k)!) reject(e);
        }
      }),
    );
  }
}

export class Directory {
  private readonly members = new Map<string, Entry<MemberInfo>>();
  private readonly torrents = new Map<string, Entry<TorrentInfo>>();
  private readonly memberLoader: BatchLoader<MemberInfo>;
  private readonly torrentLoader: BatchLoader<TorrentInfo>;
  private readonly coverage = new Map<string, Entry<boolean>>();
  private readonly d1: D1Database;
  private readonly onQuery: () => void;
  constructor(d1: D1Database, onQuery: () => void = () => {}) {
    this.d1 = d1;
    this.onQuery = onQuery;
    this.memberLoader = new BatchLoader(async (passkeys) => {
      onQuery();
      // Numbered parameters: both halves share the same bindings (D1 allows 100 a query).
      const list = passkeys.map((_, i) => `?${i + 1}`).join(", ");
      const { results } = await d1
        .prepare(
          `SELECT passkey, account, created_at, slowed, 0 AS node FROM members WHERE passkey IN (${list}) ` +
            `UNION ALL SELECT passkey, address, registered_at, 0, 1 FROM nodes WHERE passkey IN (${list})`,
        )
        .bind(...passkeys)
        .all<{ passkey: string; account: string; created_at: number; slowed: number; node: number }>();
      return new Map(results.map((r) => [r.passkey, { account: r.account, createdAt: r.created_at, slowed: r.slowed === 1, node: r.node === 1 }]));
    });
    this.torrentLoader = new BatchLoader(async (hashes) => {
      onQuery();
      const { results } = await d1
        .prepare(`SELECT info_hash, status, freeleech, neutral, double_upload, length FROM torrents WHERE info_hash IN (${hashes.map(() => "?").join(", ")})`)
        .bind(...hashes)
        .all<{ info_hash: string; status: string; freeleech: number; neutral: number; double_upload: number; length: number }>();
      return new Map(
        results.map((r) => [r.info_hash, { status: r.status, flags: torrentFlags({ freeleech: r.freeleech === 1, neutral: r.neutral === 1, doubleUpload: r.double_upload === 1 }), length: r.length }]),
      );
    });
  }

  private cached<T>(m: Map<string, Entry<T>>, key: string, ttl: number, now: number): T | undefined | typeof MISS {
    const e = m.get(key);
    if (!e || now - e.at >= (e.v === undefined ? UNKNOWN_TTL_MS : ttl)) return MISS;
    return e.v;
  }

  private store<T>(m: Map<string, Entry<T>>, key: string, v: T | undefined, now: number): void {
    if (m.size >= MAX_ENTRIES) m.clear();
    m.set(key, { v, at: now });
  }

  /** The member of a passkey now, or MISS when it must be loaded. */
  memberNow(passkey: string, now: number): MemberInfo | undefined | typeof MISS {
    return this.cached(this.members, passkey, MEMBER_TTL_MS, now);
  }

  async loadMember(passkey: string, now: number): Promise<MemberInfo | undefined> {
    const m = await this.memberLoader.load(passkey);
    this.store(this.members, passkey, m, now);
    return m;
  }

  torrentNow(infoHash: string, now: number): TorrentInfo | undefined | typeof MISS {
    return this.cached(this.torrents, infoHash, TORRENT_TTL_MS, now);
  }

  async loadTorrent(infoHash: string, now: number): Promise<TorrentInfo | undefined> {
    const t = await this.torrentLoader.load(infoHash);
    this.store(this.torrents, infoHash, t, now);
    return t;
  }

  /** Whether a node's key covers this torrent now (cached), or MISS. */
  coversNow(node: string, infoHash: string, now: number): boolean | typeof MISS {
    const v = this.cached(this.coverage, `${node}:${infoHash}`, COVER_TTL_MS, now);
    return v === undefined ? MISS : v;
  }

  async loadCovers(node: string, infoHash: string, now: number): Promise<boolean> {
    this.onQuery();
    const v = await nodeCovers(this.d1, node, infoHash, now);
    // Refusals are remembered briefly (as unknown keys are): a fresh FetchSubset report is seen soon.
    this.store(this.coverage, `${node}:${infoHash}`, v ? true : undefined, now);
    return v;
  }

  forgetMember(passkey: string): void {
    this.members.delete(passkey);
  }

  forgetTorrent(infoHash: string): void {
    this.torrents.delete(infoHash);
  }

  get size(): { members: number; torrents: number } {
    return { members: this.members.size, torrents: this.torrents.size };
  }
}
