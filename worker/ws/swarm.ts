// WebSocket swarms (WebTorrent's tracker protocol) for a fixed shard of info hashes, on the
// WebSocket Hibernation API. Each socket here is one client connection's link for this
// shard (the edge worker keeps one per shard a client announces in, see routes.ts).
//
// What is kept where:
// - the socket's attachment (serializeAttachment: survives hibernation, no storage write):
//   the member, a connection id, and per (swarm, peer id) the seed flag and last announce.
//   One connection may carry several peers, even in one swarm: bittorrent-tracker's client
//   shares one socket per tracker URL among every client of a page or process;
// - memory: an index (info hash → peers → socket) rebuilt from the attachments after a wake;
// - SQLite storage: only the per-swarm count of completed downloads (one row write per
//   `completed`, never one per announce).
// Peers leave with their socket (webSocketClose); an alarm reaps those that stopped
// announcing without closing.

import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { MAX_PEERS_PER_MEMBER_TORRENT } from "../announce/rules.ts";
import { WS_ANNOUNCE_INTERVAL_SECONDS, binaryToHex, type AnnounceMessage, type AnswerMessage, type ClientMessage, type ScrapeMessage } from "./messages.ts";

/** Fixed for the life of the deployment: changing it would split swarms between objects. */
export const WS_SHARDS = 16;

export function wsShardOf(infoHashHex: string): number {
  return parseInt(infoHashHex.slice(0, 2), 16) % WS_SHARDS;
}

export function wsShardName(shard: number): string {
  return `ws-${shard}`;
}

/** A peer that has not announced for two intervals (plus slack) is gone, socket or not. */
export const WS_PEER_TTL_MS = (2 * WS_ANNOUNCE_INTERVAL_SECONDS + 60) * 1_000;
const REAP_EVERY_MS = WS_ANNOUNCE_INTERVAL_SECONDS * 1_000;
/**
 * Peers (swarm, peer id) one connection may hold in one shard: its attachment must fit the
 * runtime's 16 KiB (about 60 bytes a peer; a test checks the worst case). Over 16 shards that
 * is a couple of thousand torrents on one WebTorrent connection.
 */
export const MAX_PEERS_PER_SOCKET = 128;

/** Headers the edge worker sets on its internal upgrade; clients never reach this object. */
export const MEMBER_HEADER = "X-Vidya-Member";
export const PASSKEY_HASH_HEADER = "X-Vidya-Passkey-Hash";

/** Close code of a link (and then of the client's socket) whose passkey was reset. */
export const REVOKED_CLOSE_CODE = 4001;

/** What the shards keep of a connection's passkey: enough to close it on a reset, never the secret. */
export async function passkeyHash(passkey: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`vidya.passkey:${passkey}`)));
  return Array.from(d.subarray(0, 12), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Per peer: [seed 0|1, last announce in seconds]. */
export type Membership = [0 | 1, number];

/** Attachment key of a peer: info hash and peer id, both 20-char binary strings. */
export const peerKey = (infoHash: string, peerId: string) => infoHash + peerId;
const splitKey = (key: string): [string, string] => [key.slice(0, 20), key.slice(20)];

export interface Attachment {
  /** Connection id: socket objects are not guaranteed identical across hibernation. */
  id: string;
  member: string;
  /** passkeyHash of the passkey the client connected with. */
  pkh?: string;
  /** peerKey(info hash, peer id) → membership. */
  peers: Record<string, Membership>;
}

interface Peer {
  peerId: string;
  /** The member whose peer id this is (issue 10: only that member may take it over). */
  member: string;
  conn: string;
  ws: WebSocket;
  seed: boolean;
  /** Position in `list`, for O(1) removal and uniform sampling. */
  at: number;
}

class Swarm {
  readonly byPeer = new Map<string, Peer>();
  readonly list: Peer[] = [];
  /** Peers per member: one member gets as many peers here as over HTTP (MAX_PEERS_PER_MEMBER_TORRENT). */
  readonly perMember = new Map<string, number>();
  complete = 0;
  incomplete = 0;

  put(p: Peer): void {
    this.remove(p.peerId);
    p.at = this.list.length;
    this.list.push(p);
    this.byPeer.set(p.peerId, p);
    this.perMember.set(p.member, (this.perMember.get(p.member) ?? 0) + 1);
    if (p.seed) this.complete++;
    else this.incomplete++;
  }

  remove(peerId: string): Peer | undefined {
    const p = this.byPeer.get(peerId);
    if (!p) return undefined;
    this.byPeer.delete(peerId);
    const last = this.list.pop()!;
    if (last !== p) {
      this.list[p.at] = last;
      last.at = p.at;
    }
    const n = (this.perMember.get(p.member) ?? 1) - 1;
    if (n > 0) this.perMember.set(p.member, n);
    else this.perMember.delete(p.member);
    if (p.seed) this.complete--;
    else this.incomplete--;
    return p;
  }

  /** Up to `n` peers other than `self`, uniformly; a seed is only offered to leechers. */
  sample(n: number, self: string, selfIsSeed: boolean): Peer[] {
    const out: Peer[] = [];
    const eligible = (p: Peer) => p.peerId !== self && !(selfIsSeed && p.seed);
    if (n <= 0) return out;
    if (this.list.length <= 4 * n) {
      for (const p of this.list) if (eligible(p)) out.push(p);
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out.slice(0, n);
    }
    // A large swarm: random probes, never a copy of the whole list.
    const picked = new Set<Peer>();
    for (let tries = 0; tries < 8 * n && picked.size < n; tries++) {
      const p = this.list[Math.floor(Math.random() * this.list.length)]!;
      if (eligible(p)) picked.add(p);
    }
    return [...picked];
  }
}

function send(ws: WebSocket, message: unknown): void {
  try {
    ws.send(JSON.stringify(message));
  } catch {
    // The socket is closing; its close handler reaps it.
  }
}

export class WsSwarm extends DurableObject<Env> {
  private index: Map<string, Swarm> | undefined;
  private alarmSet = false;
  /** Announces refused here since the object started (limits and peer-id ownership), for /metrics. */
  private refused = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS completed (info_hash TEXT PRIMARY KEY, count INTEGER NOT NULL)");
    });
  }

  /** The edge worker's internal upgrade, already authenticated: the member is in a header. */
  override async fetch(request: Request): Promise<Response> {
    const member = request.headers.get(MEMBER_HEADER);
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket" || !member) return new Response("expected an internal WebSocket upgrade", { status: 400 });
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server);
    const attachment: Attachment = { id: crypto.randomUUID(), member, pkh: request.headers.get(PASSKEY_HASH_HEADER) ?? undefined, peers: {} };
    server.serializeAttachment(attachment);
    await this.ensureAlarm();
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, frame: string | ArrayBuffer): Promise<void> {
    // Frames come from our own worker, already validated (messages.ts).
    const m = JSON.parse(typeof frame === "string" ? frame : new TextDecoder().decode(frame)) as ClientMessage;
    if (m.action === "announce") this.announce(ws, m);
    else if (m.action === "answer") this.answer(ws, m);
    else if (m.action === "scrape") this.scrape(ws, m);
  }

  override async webSocketClose(ws: WebSocket): Promise<void> {
    this.leaveAll(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.leaveAll(ws);
  }

  override async alarm(): Promise<void> {
    this.alarmSet = false;
    const now = Date.now();
    const sockets = this.ctx.getWebSockets();
    for (const ws of sockets) {
      const a = ws.deserializeAttachment() as Attachment | null;
      if (!a) continue;
      let changed = false;
      for (const [key, [, seen]] of Object.entries(a.peers)) {
        if (now - seen * 1_000 <= WS_PEER_TTL_MS) continue;
        this.drop(...splitKey(key), a.id);
        delete a.peers[key];
        changed = true;
      }
      if (changed) ws.serializeAttachment(a);
    }
    if (sockets.length > 0) {
      await this.ctx.storage.setAlarm(now + REAP_EVERY_MS);
      this.alarmSet = true;
    }
  }

  /** A passkey reset: close the links of connections made with it (the edge closes the clients'). */
  revokePasskey(pkh: string): number {
    let n = 0;
    for (const ws of this.ctx.getWebSockets()) {
      const a = ws.deserializeAttachment() as Attachment | null;
      if (a?.pkh !== pkh) continue;
      this.leaveAll(ws, REVOKED_CLOSE_CODE, "passkey reset");
      n++;
    }
    return n;
  }

  /** Sockets and peers, for /metrics. */
  metrics(shard: number): { shard: number; sockets: number; peers: number; refused: number } {
    let peers = 0;
    for (const s of this.swarms().values()) peers += s.byPeer.size;
    return { shard, sockets: this.ctx.getWebSockets().length, peers, refused: this.refused };
  }

  /** Swarm stats (info hash as a binary string), for scrapes and tests. */
  stats(infoHash: string): { complete: number; incomplete: number; downloaded: number } {
    const s = this.swarms().get(infoHash);
    return { complete: s?.complete ?? 0, incomplete: s?.incomplete ?? 0, downloaded: this.downloaded(infoHash) };
  }

  private announce(ws: WebSocket, m: AnnounceMessage): void {
    const a = ws.deserializeAttachment() as Attachment;
    const ih = m.info_hash;
    const key = peerKey(ih, m.peer_id);
    const swarms = this.swarms();
    const previous = a.peers[key];
    const seed = m.left === 0 || m.event === "completed";

    if (m.event === "stopped") {
      if (previous) {
        this.drop(ih, m.peer_id, a.id);
        delete a.peers[key];
        ws.serializeAttachment(a);
      }
    } else {
      const other = swarms.get(ih)?.byPeer.get(m.peer_id);
      if (!previous) {
        // The edge's accounting shard refuses these first (swarm/shard.ts creditWs); this object
        // holds the sockets, so it checks again and never relays to or for a refused peer.
        const limit =
          other && other.member !== a.member
            ? "this peer id is in use by another member's client in this swarm"
            : !other && (swarms.get(ih)?.perMember.get(a.member) ?? 0) >= MAX_PEERS_PER_MEMBER_TORRENT
              ? `you already have ${MAX_PEERS_PER_MEMBER_TORRENT} clients in this swarm; stop one of them first`
              : Object.keys(a.peers).length >= MAX_PEERS_PER_SOCKET
                ? `too many torrents on one connection (at most ${MAX_PEERS_PER_SOCKET} per shard)`
                : undefined;
        if (limit) {
          this.refused++;
          return send(ws, { action: "announce", "failure reason": limit, info_hash: ih });
        }
      }
      // A download counts only if we saw this peer leeching. WebTorrent sends `completed` for a
      // torrent already whole when added, often before its `started` (which waits for offers).
      if (m.event === "completed" && previous?.[0] === 0) this.countCompleted(ih);
      let swarm = swarms.get(ih);
      if (!swarm) swarms.set(ih, (swarm = new Swarm()));
      // The same member's peer id from another connection (a reconnect before the old close arrived): the newest wins.
      if (other && other.conn !== a.id) this.forget(other.ws, key);
      swarm.put({ peerId: m.peer_id, member: a.member, conn: a.id, ws, seed, at: 0 });
      a.peers[key] = [seed ? 1 : 0, Math.floor(Date.now() / 1_000)];
      ws.serializeAttachment(a);
    }

    const swarm = swarms.get(ih);
    send(ws, {
      action: "announce",
      interval: WS_ANNOUNCE_INTERVAL_SECONDS,
      info_hash: ih,
      complete: swarm?.complete ?? 0,
      incomplete: swarm?.incomplete ?? 0,
    });

    if (swarm && m.offers.length > 0) {
      // Each offer goes to one other peer; peers sharing this socket are other clients and count.
      swarm.sample(m.offers.length, m.peer_id, seed).forEach((p, i) => {
        const o = m.offers[i]!;
        send(p.ws, { action: "announce", offer: o.offer, offer_id: o.offer_id, peer_id: m.peer_id, info_hash: ih });
      });
    }
  }

  private answer(ws: WebSocket, m: AnswerMessage): void {
    const a = ws.deserializeAttachment() as Attachment;
    const ih = m.info_hash;
    // Only a member of the swarm may answer in it (it got the offer by being there).
    if (!a.peers[peerKey(ih, m.peer_id)]) {
      send(ws, { action: "announce", "failure reason": "announce to this swarm before answering offers", info_hash: ih });
      return;
    }
    const to = this.swarms().get(ih)?.byPeer.get(m.to_peer_id);
    // The offerer left meanwhile: nothing to do; its offer times out on its side.
    if (!to) return;
    send(to.ws, { action: "announce", answer: m.answer, offer_id: m.offer_id, peer_id: m.peer_id, info_hash: ih });
  }

  private scrape(ws: WebSocket, m: ScrapeMessage): void {
    const files: Record<string, { complete: number; incomplete: number; downloaded: number }> = {};
    for (const ih of m.info_hash) files[ih] = this.stats(ih);
    send(ws, { action: "scrape", files, flags: { min_request_interval: WS_ANNOUNCE_INTERVAL_SECONDS } });
  }

  /** The index, rebuilt from the sockets' attachments after a wake from hibernation. */
  private swarms(): Map<string, Swarm> {
    if (this.index) return this.index;
    const index = new Map<string, Swarm>();
    for (const ws of this.ctx.getWebSockets()) {
      const a = ws.deserializeAttachment() as Attachment | null;
      if (!a) continue;
      for (const [key, [seed]] of Object.entries(a.peers)) {
        const [ih, peerId] = splitKey(key);
        let s = index.get(ih);
        if (!s) index.set(ih, (s = new Swarm()));
        s.put({ peerId, member: a.member, conn: a.id, ws, seed: seed === 1, at: 0 });
      }
    }
    this.index = index;
    return index;
  }

  /** Removes a peer from a swarm if it still belongs to connection `conn`. */
  private drop(ih: string, peerId: string, conn: string): void {
    const swarms = this.swarms();
    const s = swarms.get(ih);
    if (!s || s.byPeer.get(peerId)?.conn !== conn) return;
    s.remove(peerId);
    if (s.byPeer.size === 0) swarms.delete(ih);
  }

  /** Removes a peer from another connection's attachment (it was taken over). */
  private forget(ws: WebSocket, key: string): void {
    const a = ws.deserializeAttachment() as Attachment | null;
    if (!a || !a.peers[key]) return;
    delete a.peers[key];
    try {
      ws.serializeAttachment(a);
    } catch {
      // Closed meanwhile: nothing left to forget.
    }
  }

  private leaveAll(ws: WebSocket, code = 1000, reason = "closed"): void {
    const a = ws.deserializeAttachment() as Attachment | null;
    if (!a) return;
    for (const key of Object.keys(a.peers)) this.drop(...splitKey(key), a.id);
    try {
      ws.close(code, reason);
    } catch {
      // Already closed.
    }
  }

  private countCompleted(ih: string): void {
    this.ctx.storage.sql.exec("INSERT INTO completed (info_hash, count) VALUES (?, 1) ON CONFLICT (info_hash) DO UPDATE SET count = count + 1", binaryToHex(ih));
  }

  private downloaded(ih: string): number {
    const row = this.ctx.storage.sql.exec<{ count: number }>("SELECT count FROM completed WHERE info_hash = ?", binaryToHex(ih)).toArray()[0];
    return row?.count ?? 0;
  }

  private async ensureAlarm(): Promise<void> {
    if (this.alarmSet) return;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + REAP_EVERY_MS);
    this.alarmSet = true;
  }
}
