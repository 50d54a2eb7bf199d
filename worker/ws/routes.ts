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
import type { Env } from "../env.ts";
import { forgetPasskey, memberRecord, registeredTorrents, torrentRecord, type MemberRecord } from "../members/lookup.ts";
import { clientRules, matchClient, refusal } from "../announce/clients.ts";
import { UNREGISTERED, shardStub } from "../announce/routes.ts";
import { EV_COMPLETED, EV_NONE, EV_PAUSED, EV_STARTED, EV_STOPPED } from "../swarm/credit.ts";
import { shardOf } from "../swarm/shard.ts";
import { countInWorker, shipCounts } from "../metrics/counts.ts";
import { WsFailure, binaryToHex, failureFrame, parseClientMessage, type AnnounceMessage, type ClientMessage } from "./messages.ts";
import { MEMBER_HEADER, PASSKEY_HASH_HEADER, REVOKED_CLOSE_CODE, passkeyHash, wsShardName, wsShardOf } from "./swarm.ts";

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

  constructor(env: Env, member: MemberRecord, passkey: string, pkHash: string, client: WebSocket, waitUntil: (p: Promise<unknown>) => void) {
    this.env = env;
    this.member = member;
    this.passkey = passkey;
    this.pkHash = pkHash;
    this.client = client;
    this.waitUntil = waitUntil;
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
    let m: ClientMessage;
    try {
      m = parseClientMessage(frame);
    } catch (e) {
      if (e instanceof WsFailure) return this.reply(failureFrame(e));
      throw e;
    }
    this.queue = this.queue.then(() =>
      this.handle(m).catch((e: unknown) => {
        if (e instanceof WsFailure) {
          countInWorker(`ws_failure_${e.code}`);
          return this.reply(failureFrame(e));
        }
        // Internals stay in the logs, by name only.
        console.error("ws tracker error", e instanceof Error ? e.name : typeof e);
        const action = m.action === "scrape" ? "scrape" : "announce";
        this.reply(failureFrame(new WsFailure("tracker error, retry later", action, m.action === "scrape" ? undefined : m.info_hash)));
      }),
    );
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
      // Credited like an HTTP announce, from the counters WebTorrent reports (its torrent's
      // uploaded and downloaded); the swarm shard refuses a reset passkey at once.
      const credit = shardStub(this.env, shardOf(hex)).creditWs({
        ih: hex,
        pid: m.peer_id,
        pk: this.passkey,
        up: m.uploaded,
        down: m.downloaded,
        left: Number.isFinite(m.left) ? m.left : Number.MAX_SAFE_INTEGER,
        ev: EVENTS[m.event],
        now: Date.now(),
      });
      this.waitUntil(credit);
      const relay = this.closed ? undefined : this.link(wsShardOf(hex)).then((ws) => ws.send(JSON.stringify(m)));
      const [credited] = await Promise.all([credit, relay]);
      if (!credited.ok && (credited.code === "revoked_passkey" || credited.code === "unknown_passkey")) {
        forgetPasskey(this.passkey);
        this.reply(failureFrame(new WsFailure("this passkey was reset: download the .torrent again from the site", "announce", m.info_hash, "revoked_passkey")));
        return this.close(REVOKED_CLOSE_CODE, "passkey reset");
      }
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

  /** The client left (or its passkey was reset): close every shard link, so each shard reaps this client's peers at once. */
  private close(code = 1000, reason = "closed"): void {
    if (this.closed) return;
    this.closed = true;
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
