// One swarm in memory: its sessions keyed by (member, peer id), each in one of three lists
// (downloaders, BEP 21 partial seeds, seeds) so that counts are O(1) and a peer list is a
// sample of numwant entries, never a scan of the swarm. Pure: no runtime imports, so the
// same class is weighed in Node (bench/peer-memory.ts) and run in the shard.

/** Which list a session is in. */
export const DOWNLOADER = 0;
export const PARTIAL_SEED = 1;
export const SEED = 2;
export type Kind = 0 | 1 | 2;

/** What a session has not yet flushed to D1 (kept in memory in unsent.ts's slots, materialized to read). */
export interface Acc {
  up: number;
  down: number;
  cup: number;
  cdown: number;
  seed: number; // seconds
  announces: number;
  last: number; // ms of the latest announce
  completedAt: number; // ms, 0 when not completed in this batch
  first: number; // ms of the first announce not yet sent: its age bounds how long credit waits (journal.ts)
}

/** One client session: (member, peer id) in one swarm, with up to one IPv4 and one IPv6 endpoint. */
export interface Peer {
  /** Map key: member index in the shard, `:`, peer id. */
  key: string;
  ih: string; // info hash, 40 hex (shared with the swarm's)
  member: number;
  /** 20 bytes as a binary string. */
  peerId: string;
  /** BEP 23 compact IPv4 endpoint (6 chars) and BEP 7 compact IPv6 endpoint (18 chars). */
  v4: string | undefined;
  v6: string | undefined;
  v4Seen: number;
  v6Seen: number;
  left: number;
  /** The session's counters as last credited: the baseline of the next delta (never moves down within a session). */
  uploaded: number;
  downloaded: number;
  /** When this counter session began (ms): the `tracker id` we hand out. */
  session: number;
  /** The last credited announce (ms): duplicate lock, seed time, stale requests. */
  lastCredit: number;
  kind: Kind;
  /** Index in its kind's list. */
  at: number;
  /** A newcomer's session that started on a hot torrent: its downloads are not charged. */
  free: boolean;
  /** Left the swarm (stopped or reaped): its pending credit is still flushed, then its stored row deleted. */
  gone: boolean;
  /** A WebSocket (WebTorrent) session: accounting only, never in the lists. */
  ws: boolean;
  /** A WebSocket session's edge connection (memory only): its close ends the session, unless another connection took it over. */
  conn?: string;
  /** Its unsent credit: a slot of the shard's UnsentCredit, or NO_CREDIT / FIRST_SIGHTING (unsent.ts). */
  ai: number;
  /** The journal row holding its latest record (0: none yet); the journal's cleaning moves it forward. */
  jseq: number;
  /** D1 holds a row of its own for this session: its end folds that row (flush.ts ENDED_SESSIONS). */
  inD1: boolean;
  /**
   * The member is slowed (past its allotment, no deposit to pay): its `left` is no demand anyone
   * pays for, so it does not feed surge (DESIGN.md "demand ... comes from leechers that pay").
   * Memory only: a restored session counts until its next announce.
   */
  slowed: boolean;
}

const FREE = 1;
const GONE = 2;
const WS = 4;
const IN_D1 = 8;
const SLOWED = 16;

/**
 * A Peer as the shard keeps it: its five flags in one small integer (8 bytes, where five
 * boolean fields took 40: memory per peer is what bounds a shard, docs/capacity.md). Every
 * field is set here, so all sessions share one shape.
 */
export class Session implements Peer {
  key: string;
  ih: string;
  member: number;
  peerId: string;
  v4: string | undefined = undefined;
  v6: string | undefined = undefined;
  v4Seen = 0;
  v6Seen = 0;
  left = 0;
  uploaded = 0;
  downloaded = 0;
  session = 0;
  lastCredit = 0;
  kind: Kind = DOWNLOADER;
  at = 0;
  ai = 0;
  jseq = 0;
  declare conn?: string;
  private flags = 0;

  constructor(key: string, ih: string, member: number, peerId: string) {
    this.key = key;
    this.ih = ih;
    this.member = member;
    this.peerId = peerId;
  }

  private flag(bit: number, on: boolean): void {
    this.flags = on ? this.flags | bit : this.flags & ~bit;
  }
  get free(): boolean {
    return (this.flags & FREE) !== 0;
  }
  set free(v: boolean) {
    this.flag(FREE, v);
  }
  get gone(): boolean {
    return (this.flags & GONE) !== 0;
  }
  set gone(v: boolean) {
    this.flag(GONE, v);
  }
  get ws(): boolean {
    return (this.flags & WS) !== 0;
  }
  set ws(v: boolean) {
    this.flag(WS, v);
  }
  get inD1(): boolean {
    return (this.flags & IN_D1) !== 0;
  }
  set inD1(v: boolean) {
    this.flag(IN_D1, v);
  }
  get slowed(): boolean {
    return (this.flags & SLOWED) !== 0;
  }
  set slowed(v: boolean) {
    this.flag(SLOWED, v);
  }
}

export function kindOf(left: number, paused: boolean): Kind {
  return left === 0 ? SEED : paused ? PARTIAL_SEED : DOWNLOADER;
}

export class Swarm {
  readonly ih: string;
  readonly peers = new Map<string, Peer>();
  readonly lists: [Peer[], Peer[], Peer[]] = [[], [], []];
  /** Sessions per member index, for the per-member limit. */
  readonly perMember = new Map<number, number>();
  /** WebSocket sessions of this torrent, for accounting only (their peers live in ws/swarm.ts); change them with addWs and removeWs. */
  readonly ws = new Map<string, Peer>();
  /** WebSocket sessions by peer id (a peer id belongs to the member whose session holds it) and per member index, for the limits. */
  readonly wsByPeerId = new Map<string, Peer>();
  readonly wsPerMember = new Map<number, number>();
  /** Completed downloads ever (snatches), and those not yet flushed. */
  snatches = 0;
  unflushedSnatches = 0;
  /** Counts changed since the last flush (the swarms table is written only then). */
  changed = false;

  constructor(ih: string, snatches = 0) {
    this.ih = ih;
    this.snatches = snatches;
  }

  get seeds(): number {
    return this.lists[SEED].length;
  }
  get partialSeeds(): number {
    return this.lists[PARTIAL_SEED].length;
  }
  get downloaders(): number {
    return this.lists[DOWNLOADER].length;
  }
  /** Leechers as BEP 3 counts them: everyone incomplete, partial seeds included (BEP 21). */
  get incomplete(): number {
    return this.lists[DOWNLOADER].length + this.lists[PARTIAL_SEED].length;
  }
  get size(): number {
    return this.peers.size;
  }

  add(p: Peer): void {
    this.peers.set(p.key, p);
    const list = this.lists[p.kind];
    p.at = list.length;
    list.push(p);
    this.perMember.set(p.member, (this.perMember.get(p.member) ?? 0) + 1);
    this.changed = true;
  }

  private unlist(p: Peer): void {
    const list = this.lists[p.kind];
    const last = list.pop()!;
    if (last !== p) {
      list[p.at] = last;
      last.at = p.at;
    }
  }

  remove(p: Peer): void {
    if (this.peers.get(p.key) !== p) return;
    this.peers.delete(p.key);
    this.unlist(p);
    const n = (this.perMember.get(p.member) ?? 1) - 1;
    if (n > 0) this.perMember.set(p.member, n);
    else this.perMember.delete(p.member);
    this.changed = true;
  }

  addWs(p: Peer): void {
    this.ws.set(p.key, p);
    if (!this.wsByPeerId.has(p.peerId)) this.wsByPeerId.set(p.peerId, p);
    this.wsPerMember.set(p.member, (this.wsPerMember.get(p.member) ?? 0) + 1);
  }

  removeWs(p: Peer): void {
    if (this.ws.get(p.key) !== p) return;
    this.ws.delete(p.key);
    if (this.wsByPeerId.get(p.peerId) === p) this.wsByPeerId.delete(p.peerId);
    const n = (this.wsPerMember.get(p.member) ?? 1) - 1;
    if (n > 0) this.wsPerMember.set(p.member, n);
    else this.wsPerMember.delete(p.member);
  }

  setKind(p: Peer, kind: Kind): void {
    if (p.kind === kind) return;
    this.unlist(p);
    p.kind = kind;
    const list = this.lists[kind];
    p.at = list.length;
    list.push(p);
    this.changed = true;
  }

  /**
   * Up to `n` sessions for `self` to connect to, uniformly at random, never the member's own
   * (a member trading with itself is how ratio is faked). Downloaders get anyone; seeds and
   * partial seeds have nothing to fetch, so they get downloaders only (BEP 21).
   */
  sample(n: number, self: Peer): Peer[] {
    const out: Peer[] = [];
    if (n <= 0) return out;
    const lists = self.kind === DOWNLOADER ? this.lists : [this.lists[DOWNLOADER]];
    let total = 0;
    for (const l of lists) total += l.length;
    const own = this.perMember.get(self.member) ?? 0;
    if (total - (self.kind === DOWNLOADER ? own : 0) <= 0) return out;
    if (total <= 2 * n + own) {
      for (const l of lists) for (const p of l) if (p.member !== self.member) out.push(p);
      // Partial Fisher-Yates: the first n are a uniform sample.
      const k = Math.min(n, out.length);
      for (let i = 0; i < k; i++) {
        const j = i + Math.floor(Math.random() * (out.length - i));
        const t = out[i]!;
        out[i] = out[j]!;
        out[j] = t;
      }
      out.length = k;
      return out;
    }
    // A large swarm: random probes, never a copy of it.
    const picked = new Set<Peer>();
    for (let tries = 0; tries < 4 * n && picked.size < n; tries++) {
      let r = Math.floor(Math.random() * total);
      let p: Peer | undefined;
      for (const l of lists) {
        if (r < l.length) {
          p = l[r];
          break;
        }
        r -= l.length;
      }
      if (p && p.member !== self.member) picked.add(p);
    }
    for (const p of picked) out.push(p);
    return out;
  }
}
