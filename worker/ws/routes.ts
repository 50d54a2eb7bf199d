// The WebSocket tracker's edge: `GET /:passkey/announce` with `Upgrade: websocket`, the
// same URL as the HTTP announce. The passkey is checked before the upgrade is accepted.
//
// Why the edge keeps the client's socket instead of forwarding the upgrade to one object:
// the upgrade request names no torrent (the info hash arrives in the first message), and
// WebTorrent shares one socket per tracker URL among all its torrents. So the worker holds
// the client socket and opens one internal socket per shard the client announces in; each
// message goes to the shard of its info hash, where every peer of that swarm has a socket.
// Swarms are never split between objects and no object relays for another. The objects
// hibernate between messages; the worker keeps only this routing table per connection.

import { createMiddleware } from "hono/factory";
import { TokenBucket } from "../../protocol/net/token-bucket.ts";
import { WS_MESSAGES_PER_SECOND, WS_MESSAGE_BURST, WS_RELAYS_PER_SECOND, WS_RELAY_BURST, WS_STRIKES, WS_STRIKE_REFILL_SECONDS } from "../../protocol/params.ts";
import type { Env } from "../env.ts";
import { forgetPasskey, memberRecord, registeredTorrents, torrentRecord, type MemberRecord } from "../members/lookup.ts";
import { clientRules, matchClient, refusal } from "../announce/clients.ts";
import { MAX_PEERS_PER_MEMBER_TORRENT } from "../announce/rules.ts";
import { UNREGISTERED, shardStub } from "../announce/routes.ts";
import { EV_COMPLETED, EV_NONE, EV_PAUSED, EV_STARTED, EV_STOPPED } from "../swarm/credit.ts";
import { shardOf } from "../swarm/shard.ts";
import { countInWorker, shipCounts } from "../metrics/counts.ts";
import { WsFailure, binaryToHex, failureFrame, parseClientMessage, type AnnounceMessage, type ClientMessage } from "./messages.ts";
import { MAX_PEERS_PER_SOCKET, MEMBER_HEADER, PASSKEY_HASH_HEADER, REVOKED_CLOSE_CODE, passkeyHash, wsShardName, wsShardOf } from "./swarm.ts";

/** Close code of a connection that ran out of strikes (RFC 6455: policy violation). */
export const POLICY_CLOSE_CODE = 1008;
/** Refusals only a misbehaving client earns; each costs the connection a strike (params.ts WS_STRIKES). */
const STRIKE_CODES = new Set(["malformed", "too_large", "too_many_offers", "rate_limited", "peer_id_taken"]);

/** The shard's refusals of a WebSocket announce, worded for the client (the HTTP tracker's words where they exist). */
const CREDIT_REFUSALS: Record<string, string> = {
  peer_id_taken: "this peer id is in use by another member's client in this swarm",
  too_many_peers: `you already have ${MAX_PEERS_PER_MEMBER_TORRENT} clients in this swarm; stop one of them first`,
  unregistered: UNREGISTERED,
  pending_moderation: "Torrent is waiting for moderation: it will work once a curator approves it",
  rejected: "Torrent was rejected by moderation",
  client_not_allowed: "Your client is not on the allow-list",
};

const EVENTS: Record<AnnounceMessage["event"], number> = { started: EV_STARTED, stopped: EV_STOPPED, completed: EV_COMPLETED, update: EV_NONE, paused: EV_PAUSED };

/** One client connection: its socket, its member, and its links to the shards it uses. */
class Connection {
  private readonly env: Env;
  private readonly member: MemberRecord;
  private readonly passkey: string;
  private readonly pkHash: string;
  private readonly client: WebSocket;
  private readonly waitUntil: (p: Promise<unknown>) => void;
  private readonly links = new Map<number, Promise<WebSocket>>();
  /** Messages are handled one after another, so an answer never overtakes its announce. */
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  /** Names this connection's sessions at the swarm shards, so its close ends only those. */
  private readonly id = crypto.randomUUID();
  /** Sessions credited on this connection, per WsSwarm shard: info hash (hex) + peer id → both. */
  private readonly sessions = new Map<number, Map<string, [hex: string, pid: string]>>();
  private readonly messages: TokenBucket;
  private readonly relays: TokenBucket;
  private readonly strikes: TokenBucket;

  constructor(env: Env, member: MemberRecord, passkey: string, pkHash: string, client: WebSocket, waitUntil: (p: Promise<unknown>) => void) {
    this.env = env;
    this.member = member;
    this.passkey = passkey;
    this.pkHash = pkHash;
    this.client = client;
    this.waitUntil = waitUntil;
    const now = Date.now();
    this.messages = new TokenBucket(WS_MESSAGE_BURST, WS_MESSAGES_PER_SECOND, now);
    this.relays = new TokenBucket(WS_RELAY_BURST, WS_RELAYS_PER_SECOND, now);
    this.strikes = new TokenBucket(WS_STRIKES, 1 / WS_STRIKE_REFILL_SECONDS, now);
    client.addEventListener("message", (e) => this.onFrame(e.data));
    client.addEventListener("close", () => this.close());
    client.addEventListener("error", () => this.close());
  }

  private reply(frame: string): void {
    try {
      this.client.send(frame);
    } catch {
      this.close();
    }
  }

  private onFrame(frame: string | ArrayBuffer): void {
    if (this.closed) return;
    let m: ClientMessage;
    try {
      m = parseClientMessage(frame);
      // Limited after parsing (its cost is bounded by the frame size), so a refusal names its torrent.
      const now = Date.now();
      const action = m.action === "scrape" ? "scrape" : "announce";
      const ih = m.action === "scrape" ? undefined : m.info_hash;
      if (!this.messages.take(1, now)) throw new WsFailure(`too many messages on this connection (at most ${WS_MESSAGES_PER_SECOND} a second)`, action, ih, "rate_limited");
      const relayed = m.action === "announce" ? m.offers.length : m.action === "answer" ? 1 : 0;
      if (relayed > 0 && !this.relays.take(relayed, now)) throw new WsFailure(`too many offers and answers on this connection (at most ${WS_RELAYS_PER_SECOND} a second)`, action, ih, "rate_limited");
    } catch (e) {
      if (e instanceof WsFailure) return this.refuse(e);
      // Whatever else a frame breaks (a binary frame of another type, say) is the client's bad
      // input too: refused and logged, never a dead socket (bench/fuzz.ts found the 1006 closes).
      console.warn("ws tracker: frame refused", e instanceof Error ? `${e.name}: ${e.message}` : typeof e);
      return this.refuse(new WsFailure("invalid message"));
    }
    this.queue = this.queue.then(() =>
      this.handle(m).catch((e: unknown) => {
        if (e instanceof WsFailure) return this.refuse(e);
        // Internals stay in the logs, by name only.
        console.error("ws tracker error", e instanceof Error ? e.name : typeof e);
        const action = m.action === "scrape" ? "scrape" : "announce";
        this.reply(failureFrame(new WsFailure("tracker error, retry later", action, m.action === "scrape" ? undefined : m.info_hash)));
      }),
    );
  }

  /** A refused message: the client reads why; one that keeps earning strikes is closed. */
  private refuse(e: WsFailure): void {
    countInWorker(`ws_failure_${e.code}`);
    shipCounts(this.env, this.waitUntil);
    if (this.closed) return;
    this.reply(failureFrame(e));
    if (STRIKE_CODES.has(e.code) && !this.strikes.take(1, Date.now())) {
      countInWorker("ws_closed_for_abuse");
      console.warn("ws tracker: closing a connection that kept sending refused messages", this.member.account, e.code);
      this.close(POLICY_CLOSE_CODE, "too many refused messages");
    }
  }

  private async handle(m: ClientMessage): Promise<void> {
    // A client that leaves sends `stopped` and closes at once: its announces still count
    // (their credit), though nothing is relayed to or from a closed connection.
    if (this.closed && m.action !== "announce") return;
    if (m.action === "scrape") {
      const byHex = new Map(m.info_hash.map((ih) => [binaryToHex(ih), ih]));
      const known = await registeredTorrents(this.env.DB, [...byHex.keys()]);
      if (known.size === 0) throw new WsFailure(UNREGISTERED, "scrape");
      // Unregistered hashes are left out, as in the HTTP scrape; each shard answers for its own.
      const byShard = new Map<number, string[]>();
      for (const hex of known) {
        const shard = wsShardOf(hex);
        byShard.set(shard, [...(byShard.get(shard) ?? []), byHex.get(hex)!]);
      }
      for (const [shard, hashes] of byShard) (await this.link(shard)).send(JSON.stringify({ action: "scrape", info_hash: hashes }));
      return;
    }
    const hex = binaryToHex(m.info_hash);
    const torrent = await torrentRecord(this.env.DB, hex);
    if (!torrent) throw new WsFailure(UNREGISTERED, "announce", m.info_hash, "unregistered");
    if (torrent.status === "pending") throw new WsFailure("Torrent is waiting for moderation: it will work once a curator approves it", "announce", m.info_hash, "pending_moderation");
    if (torrent.status !== "approved") throw new WsFailure("Torrent was rejected by moderation", "announce", m.info_hash, "rejected");
    if (m.action === "announce") {
      const rules = await clientRules(this.env.DB);
      if (!matchClient(rules, m.peer_id)?.allowed) throw new WsFailure(refusal(rules, m.peer_id), "announce", m.info_hash, "client_not_allowed");
      const wsShard = wsShardOf(hex);
      const mine = this.sessions.get(wsShard) ?? new Map<string, [string, string]>();
      const key = hex + m.peer_id;
      if (!mine.has(key) && m.event !== "stopped" && mine.size >= MAX_PEERS_PER_SOCKET)
        throw new WsFailure(`too many torrents on one connection (at most ${MAX_PEERS_PER_SOCKET} per shard)`, "announce", m.info_hash, "too_many_torrents");
      // Credited like an HTTP announce, from the counters WebTorrent reports (its torrent's
      // uploaded and downloaded). The shard decides first: it refuses a reset passkey, a peer id
      // that is another member's, and a member's sessions past HTTP's limit; only what it
      // accepted reaches the swarm, so a refused announce costs no session and takes no place.
      const credited = await shardStub(this.env, shardOf(hex)).creditWs({
        ih: hex,
        pid: m.peer_id,
        pk: this.passkey,
        conn: this.id,
        up: m.uploaded,
        down: m.downloaded,
        left: Number.isFinite(m.left) ? m.left : Number.MAX_SAFE_INTEGER,
        ev: EVENTS[m.event],
        now: Date.now(),
      });
      if (!credited.ok && (credited.code === "revoked_passkey" || credited.code === "unknown_passkey")) {
        forgetPasskey(this.passkey);
        this.reply(failureFrame(new WsFailure("this passkey was reset: download the .torrent again from the site", "announce", m.info_hash, "revoked_passkey")));
        return this.close(REVOKED_CLOSE_CODE, "passkey reset");
      }
      if (!credited.ok) throw new WsFailure(CREDIT_REFUSALS[credited.code] ?? "announce refused", "announce", m.info_hash, credited.code);
      if (m.event === "stopped") mine.delete(key);
      else mine.set(key, [hex, m.peer_id]);
      this.sessions.set(wsShard, mine);
      if (!this.closed) (await this.link(wsShard)).send(JSON.stringify(m));
      countInWorker("ws_ok");
      shipCounts(this.env, this.waitUntil);
      return;
    }
    (await this.link(wsShardOf(hex))).send(JSON.stringify(m));
  }

  /** The socket to a shard, opened on first use and again after the object closed it. */
  private link(shard: number): Promise<WebSocket> {
    let p = this.links.get(shard);
    if (!p) {
      const opening = this.open(shard);
      const gone = () => {
        if (this.links.get(shard) === opening) this.links.delete(shard);
      };
      opening.then((ws) => {
        ws.addEventListener("close", gone);
        ws.addEventListener("error", gone);
      }, gone);
      this.links.set(shard, (p = opening));
    }
    return p;
  }

  private async open(shard: number): Promise<WebSocket> {
    const ns = this.env.WS_SWARM;
    const res = await ns.get(ns.idFromName(wsShardName(shard))).fetch("https://ws-swarm.internal/connect", {
      headers: { Upgrade: "websocket", [MEMBER_HEADER]: this.member.account, [PASSKEY_HASH_HEADER]: this.pkHash },
    });
    const ws = res.webSocket;
    if (!ws) throw new Error(`shard ${shard} refused the upgrade: HTTP ${res.status}`);
    ws.accept();
    ws.addEventListener("message", (e) => this.reply(typeof e.data === "string" ? e.data : new TextDecoder().decode(e.data)));
    // The shard closes links of a reset passkey: the client's connection goes with them.
    ws.addEventListener("close", (e) => {
      if (e.code === REVOKED_CLOSE_CODE) this.close(REVOKED_CLOSE_CODE, "passkey reset");
    });
    if (this.closed) ws.close(1000, "client closed");
    return ws;
  }

  /**
   * The client left (or was closed): close every shard link, so each swarm drops this client's
   * peers at once, and end its accounting sessions (after the messages still queued, whose
   * credit counts), so the member's next connection is not refused by the per-member limit.
   */
  private close(code = 1000, reason = "closed"): void {
    if (this.closed) return;
    this.closed = true;
    this.waitUntil(this.queue.then(() => this.endSessions()));
    for (const p of this.links.values())
      p.then(
        (ws) => ws.close(1000, "client closed"),
        () => {},
      );
    this.links.clear();
    try {
      this.client.close(code, reason);
    } catch {
      // Already closed.
    }
  }

  private async endSessions(): Promise<void> {
    const byShard = new Map<number, [string, string][]>();
    for (const mine of this.sessions.values())
      for (const [hex, pid] of mine.values()) {
        const shard = shardOf(hex);
        byShard.set(shard, [...(byShard.get(shard) ?? []), [hex, pid]]);
      }
    this.sessions.clear();
    await Promise.all(
      [...byShard].map(([shard, list]) =>
        shardStub(this.env, shard)
          .endWs(this.member.account, this.id, list)
          // The sessions then end by TTL (swarm/shard.ts WS_SESSION_TTL_MS).
          .catch((e: unknown) => console.warn("ws tracker: ending sessions failed", e instanceof Error ? e.name : typeof e)),
      ),
    );
  }
}

/**
 * Middleware for `GET /:passkey/announce`: WebSocket upgrades are the WebSocket tracker's;
 * every other request falls through to the HTTP tracker.
 */
export const webSocketTracker = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") return next();
  const passkey = c.req.param("passkey") ?? "";
  const member = await memberRecord(c.env.DB, passkey);
  // Refused before any socket exists: the client sees a failed handshake and backs off.
  if (!member) return c.json({ error: { code: "unknown_passkey", message: "unknown passkey: get your torrent from the site again" } }, 403);
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  server.accept();
  new Connection(c.env, member, passkey, await passkeyHash(passkey), server, (p) => c.executionCtx.waitUntil(p));
  return new Response(null, { status: 101, webSocket: client });
});
