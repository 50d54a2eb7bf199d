// The WebSocket tracker (WebTorrent's protocol) through the worker's front door: the same
// /:passkey/announce URL with `Upgrade: websocket`, messages as bittorrent-tracker's
// websocket-tracker.js sends them, binary strings compared char for char.

import { SELF, env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { binaryToBytes, bytesToBinary, fromHex, toHex } from "../../protocol/hex.ts";
import { WS_ANNOUNCE_INTERVAL_SECONDS } from "../../worker/ws/messages.ts";
import { MAX_PEERS_PER_MEMBER_TORRENT } from "../../worker/announce/rules.ts";
import { MAX_PEERS_PER_SOCKET, peerKey, wsShardName, wsShardOf, type Attachment, type WsSwarm } from "../../worker/ws/swarm.ts";
import { shardName, shardOf } from "../../worker/swarm/shard.ts";
import { fixture } from "./support/fixture.ts";
import { ENDED_SESSIONS } from "../../worker/swarm/flush.ts";
import { Client, isAnnounceReply, isAnswer, isOffer, type Json } from "./support/ws-client.ts";
import { ORIGIN, accountingRows, addMember, announce as httpAnnounce, flushShard, peerId as httpPeerId } from "./support/worker.ts";

const open: Client[] = [];

async function connect(passkey: string): Promise<Client> {
  const res = await SELF.fetch(`${ORIGIN}/${passkey}/announce`, { headers: { Upgrade: "websocket" } });
  expect(res.status).toBe(101);
  const c = new Client(res.webSocket!);
  open.push(c);
  return c;
}

/** 20 bytes as a binary string, covering NUL, control, DEL and high bytes. */
function binaryId(first: number): string {
  return bytesToBinary(Uint8Array.from({ length: 20 }, (_, i) => (first + i * 13) & 0xff));
}

/** A WebTorrent peer id (on the allow-list) whose other 12 bytes cover NUL, control and high bytes. */
function peerIdWs(first: number): string {
  return "-WW0208-" + binaryId(first).slice(8);
}


function stubFor(infoHashHex: string): DurableObjectStub<WsSwarm> {
  return env.WS_SWARM.get(env.WS_SWARM.idFromName(wsShardName(wsShardOf(infoHashHex))));
}

async function scrape(c: Client, ...hashes: string[]): Promise<Record<string, Json>> {
  c.send({ action: "scrape", info_hash: hashes });
  const r = await c.next((m) => m.action === "scrape");
  return r.files as Record<string, Json>;
}

describe("WebSocket tracker", () => {
  const f = fixture(60_000, 31, "ws.bin");
  const ih = bytesToBinary(fromHex(f.infoHash));
  const seedId = peerIdWs(0x00); // its random part runs through NUL and 0x80–0xff
  const leechId = peerIdWs(0xf0);
  let pkA: string;
  let pkB: string;

  beforeAll(async () => {
    pkA = await addMember("0x00000000000000000000000000000000000005a1");
    pkB = await addMember("0x00000000000000000000000000000000000005b2");
    const res = await SELF.fetch(`${ORIGIN}/api/torrents?storageRoot=${f.storageRoot}`, {
      method: "POST",
      body: f.torrent,
      headers: { Authorization: "Bearer test-admin-token", "Content-Type": "application/x-bittorrent" },
    });
    expect(res.status).toBe(201);
  });

  // Each test starts from an empty swarm: close its sockets and wait for the shards to reap them
  // (the swarm's peers, and the accounting sessions that count toward the per-member limit).
  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    const credit = env.SWARM.get(env.SWARM.idFromName(shardName(shardOf(f.infoHash))));
    for (let i = 0; i < 100; i++) {
      const s = await stubFor(f.infoHash).stats(ih);
      if (s.complete + s.incomplete === 0 && (await credit.metrics(shardOf(f.infoHash))).gauges.ws_sessions === 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error("the swarm was not emptied after the test's sockets closed");
  });

  it("refuses the upgrade for a wrong passkey, before any socket exists", async () => {
    for (const pk of ["ffffffffffffffffffffffffffffffff", "not-a-passkey"]) {
      const res = await SELF.fetch(`${ORIGIN}/${pk}/announce`, { headers: { Upgrade: "websocket" } });
      expect(res.status).toBe(403);
      expect(res.webSocket).toBeNull();
      expect(await res.json()).toMatchObject({ error: { code: "unknown_passkey" } });
    }
  });

  it("leaves the plain HTTP announce on the same URL to the HTTP tracker", async () => {
    const { status, body } = await httpAnnounce(pkA, { infoHash: f.infoHash, peerId: httpPeerId("http"), left: 5, ip: "10.9.0.1" });
    expect(status).toBe(200);
    expect(body["failure reason"]).toBeUndefined();
    expect(body.peers).toBeInstanceOf(Uint8Array);
  });

  it("relays a leecher's offer to the seed and the seed's answer back, binary ids intact", async () => {
    const seed = await connect(pkA);
    const leech = await connect(pkB);

    seed.send({ action: "announce", info_hash: ih, peer_id: seedId, numwant: 5, uploaded: 0, downloaded: 0, left: 0, event: "started", offers: [] });
    const r1 = await seed.next(isAnnounceReply);
    expect(r1).toEqual({ action: "announce", interval: WS_ANNOUNCE_INTERVAL_SECONDS, info_hash: ih, complete: 1, incomplete: 0 });

    const offer = { type: "offer", sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n" };
    const offerId = binaryId(0x7f);
    leech.send({ action: "announce", info_hash: ih, peer_id: leechId, numwant: 5, uploaded: 0, downloaded: 0, left: 60_000, event: "started", offers: [{ offer, offer_id: offerId }] });
    const r2 = await leech.next(isAnnounceReply);
    expect(r2).toMatchObject({ info_hash: ih, complete: 1, incomplete: 1 });

    const relayed = await seed.next(isOffer);
    expect(relayed).toEqual({ action: "announce", offer, offer_id: offerId, peer_id: leechId, info_hash: ih });
    // Binary strings arrive char for char: 20 chars, each the byte that was sent.
    expect([...(relayed.peer_id as string)].map((c) => c.charCodeAt(0))).toEqual([...leechId].map((c) => c.charCodeAt(0)));
    expect(relayed.info_hash).toBe(ih);

    const answer = { type: "answer", sdp: "v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n" };
    seed.send({ action: "announce", info_hash: ih, peer_id: seedId, to_peer_id: leechId, answer, offer_id: offerId });
    const back = await leech.next(isAnswer);
    expect(back).toEqual({ action: "announce", answer, offer_id: offerId, peer_id: seedId, info_hash: ih });
    // An answer gets no reply of its own (as bittorrent-tracker's server does).
    expect(await seed.quiet(isAnnounceReply)).toBe(true);
    // Nobody is offered to itself.
    expect(await leech.quiet(isOffer)).toBe(true);
  });

  it("relays between two clients sharing one socket, as bittorrent-tracker's socket pool does", async () => {
    const shared = await connect(pkA);
    shared.send({ action: "announce", info_hash: ih, peer_id: seedId, left: 0, event: "started", offers: [] });
    expect(await shared.next(isAnnounceReply)).toMatchObject({ complete: 1, incomplete: 0 });
    const offerId = binaryId(0x55);
    shared.send({ action: "announce", info_hash: ih, peer_id: leechId, left: 9, event: "started", offers: [{ offer: { type: "offer", sdp: "z" }, offer_id: offerId }] });
    expect(await shared.next(isAnnounceReply)).toMatchObject({ complete: 1, incomplete: 1 });
    expect(await shared.next(isOffer)).toMatchObject({ offer_id: offerId, peer_id: leechId });
    shared.send({ action: "announce", info_hash: ih, peer_id: seedId, to_peer_id: leechId, answer: { type: "answer", sdp: "z" }, offer_id: offerId });
    expect(await shared.next(isAnswer)).toMatchObject({ offer_id: offerId, peer_id: seedId });
    // A few peer ids per member and swarm (HTTP's limit), not a flood.
    for (let i = 2; i < MAX_PEERS_PER_MEMBER_TORRENT; i++) {
      shared.send({ action: "announce", info_hash: ih, peer_id: peerIdWs(0x60 + i), left: 9, event: "started", offers: [] });
      expect(await shared.next(isAnnounceReply)).toMatchObject({ incomplete: i });
    }
    shared.send({ action: "announce", info_hash: ih, peer_id: peerIdWs(0x70), left: 9, event: "started", offers: [] });
    expect(await shared.next()).toMatchObject({ "failure reason": expect.stringMatching(/already have 3 clients/), info_hash: ih });
  });

  it("does not relay a seed's offers to other seeds", async () => {
    const s1 = await connect(pkA);
    const s2 = await connect(pkB);
    s1.send({ action: "announce", info_hash: ih, peer_id: peerIdWs(0x11), left: 0, event: "started", offers: [] });
    await s1.next(isAnnounceReply);
    s2.send({ action: "announce", info_hash: ih, peer_id: peerIdWs(0x22), left: 0, event: "started", offers: [{ offer: { type: "offer", sdp: "x" }, offer_id: binaryId(0x33) }] });
    expect(await s2.next(isAnnounceReply)).toMatchObject({ complete: 2, incomplete: 0 });
    expect(await s1.quiet(isOffer)).toBe(true);
  });

  it("fails an announce for an unregistered torrent with the info hash it named", async () => {
    const c = await connect(pkA);
    const unknown = binaryId(0xab);
    c.send({ action: "announce", info_hash: unknown, peer_id: seedId, left: 0, event: "started", offers: [] });
    expect(await c.next()).toEqual({ action: "announce", "failure reason": "Unregistered torrent", info_hash: unknown });
  });

  it("fails malformed messages readably and keeps the socket open", async () => {
    const c = await connect(pkA);
    c.ws.send("{not json");
    expect(await c.next()).toEqual({ "failure reason": "invalid JSON" });
    c.send({ action: "announce", info_hash: ih, peer_id: "short", left: 0 });
    expect(await c.next()).toEqual({ action: "announce", "failure reason": "invalid peer_id", info_hash: ih });
    c.send({ action: "announce", info_hash: "\u0100".repeat(20), peer_id: seedId, left: 0 });
    expect(await c.next()).toMatchObject({ action: "announce", "failure reason": "invalid info_hash" });
    c.send({ action: "scrape" });
    expect(await c.next()).toMatchObject({ action: "scrape", "failure reason": expect.stringMatching(/full scrape/) });
    // Still usable.
    c.send({ action: "announce", info_hash: ih, peer_id: seedId, left: 0, event: "started", offers: [] });
    expect(await c.next(isAnnounceReply)).toMatchObject({ complete: 1 });
  });

  it("scrapes registered torrents over the socket, leaving unregistered ones out", async () => {
    const seed = await connect(pkA);
    const leech = await connect(pkB);
    seed.send({ action: "announce", info_hash: ih, peer_id: seedId, left: 0, event: "started", offers: [] });
    await seed.next(isAnnounceReply);
    leech.send({ action: "announce", info_hash: ih, peer_id: leechId, left: 10, event: "started", offers: [] });
    await leech.next(isAnnounceReply);
    const before = (await scrape(leech, ih, binaryId(0xab)))[ih] as Json;
    expect(await scrape(leech, ih, binaryId(0xab))).not.toHaveProperty([binaryId(0xab)]);
    leech.send({ action: "announce", info_hash: ih, peer_id: leechId, left: 0, event: "completed" });
    expect(await leech.next(isAnnounceReply)).toMatchObject({ complete: 2, incomplete: 0 });
    const files = await scrape(leech, ih);
    expect(Object.keys(files)).toEqual([ih]);
    expect(files[ih]).toEqual({ complete: 2, incomplete: 0, downloaded: (before.downloaded as number) + 1 });
    expect(before).toMatchObject({ complete: 1, incomplete: 1 });
  });

  // Found with real WebTorrent clients: a seeder sends `completed` when it adds a whole torrent,
  // and it can arrive before its `started` (which waits for WebRTC offers).
  it("does not count a download for a completed from a peer never seen leeching", async () => {
    const c = await connect(pkA);
    const before = (await scrape(c, ih))[ih] as Json;
    c.send({ action: "announce", info_hash: ih, peer_id: seedId, left: 0, event: "completed" });
    expect(await c.next(isAnnounceReply)).toMatchObject({ complete: 1, incomplete: 0 });
    c.send({ action: "announce", info_hash: ih, peer_id: seedId, left: 0, event: "started", offers: [] });
    await c.next(isAnnounceReply);
    expect((await scrape(c, ih))[ih]).toEqual({ complete: 1, incomplete: 0, downloaded: before.downloaded });
  });

  it("reaps a peer when its socket closes, and on stopped", async () => {
    const watcher = await connect(pkA);
    const leech = await connect(pkB);
    leech.send({ action: "announce", info_hash: ih, peer_id: leechId, left: 10, event: "started", offers: [] });
    expect(await leech.next(isAnnounceReply)).toMatchObject({ incomplete: 1 });
    leech.close();
    let files: Record<string, Json> = {};
    for (let i = 0; i < 50; i++) {
      files = await scrape(watcher, ih);
      if (files[ih]!.incomplete === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(files[ih]).toMatchObject({ complete: 0, incomplete: 0 });

    watcher.send({ action: "announce", info_hash: ih, peer_id: seedId, left: 0, event: "started", offers: [] });
    expect(await watcher.next(isAnnounceReply)).toMatchObject({ complete: 1 });
    watcher.send({ action: "announce", info_hash: ih, peer_id: seedId, left: 0, event: "stopped" });
    expect(await watcher.next(isAnnounceReply)).toMatchObject({ complete: 0, incomplete: 0 });
  });

  it("keeps swarms across hibernation: the object is evicted, the sockets and peers stay", async () => {
    const seed = await connect(pkA);
    const leech = await connect(pkB);
    seed.send({ action: "announce", info_hash: ih, peer_id: seedId, left: 0, event: "started", offers: [] });
    await seed.next(isAnnounceReply);

    await evictDurableObject(stubFor(f.infoHash));

    const offerId = binaryId(0x44);
    leech.send({ action: "announce", info_hash: ih, peer_id: leechId, left: 10, event: "started", offers: [{ offer: { type: "offer", sdp: "y" }, offer_id: offerId }] });
    expect(await leech.next(isAnnounceReply)).toMatchObject({ complete: 1, incomplete: 1 });
    expect(await seed.next(isOffer)).toMatchObject({ offer_id: offerId, peer_id: leechId });
  });

  it("reaps, by alarm, peers that stopped announcing without closing", async () => {
    const seed = await connect(pkA);
    seed.send({ action: "announce", info_hash: ih, peer_id: seedId, left: 0, event: "started", offers: [] });
    await seed.next(isAnnounceReply);
    const stub = stubFor(f.infoHash);
    // Age every membership past the TTL, as if the last announce were long ago.
    await runInDurableObject(stub, (_instance: WsSwarm, state) => {
      for (const ws of state.getWebSockets()) {
        const a = ws.deserializeAttachment() as Attachment;
        for (const m of Object.values(a.peers)) m[1] = 0;
        ws.serializeAttachment(a);
      }
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await scrape(seed, ih))[ih]).toMatchObject({ complete: 0, incomplete: 0 });
  });

  it("refuses a client not on the allow-list, as the HTTP tracker does", async () => {
    const c = await connect(pkA);
    c.send({ action: "announce", info_hash: ih, peer_id: binaryId(0x31), left: 0, event: "started", offers: [] });
    const r = await c.next((m) => "failure reason" in m);
    expect(r).toMatchObject({ action: "announce", info_hash: ih });
    expect(r["failure reason"]).toMatch(/^Your client is not on the allow-list/);
  });

  it("credits a WebTorrent session from the counters it reports, as an HTTP session (actual and credited)", async () => {
    // Earlier tests' sessions of this member ended too (their sockets closed): only this session's share counts.
    await flushShard(f.infoHash);
    const ended = async () => (await accountingRows("0x00000000000000000000000000000000000005b2", f.infoHash)).find((r) => r.peerId === ENDED_SESSIONS);
    const before = (await ended()) ?? { uploaded: 0, downloaded: 0, creditedUploaded: 0, creditedDownloaded: 0, announces: 0 };
    const c = await connect(pkB);
    const pid = peerIdWs(0x41);
    c.send({ action: "announce", info_hash: ih, peer_id: pid, left: 60_000, uploaded: 0, downloaded: 0, event: "started", offers: [] });
    await c.next(isAnnounceReply);
    c.send({ action: "announce", info_hash: ih, peer_id: pid, left: 0, uploaded: 1_234, downloaded: 60_000, event: "stopped" });
    await c.next(isAnnounceReply);
    await flushShard(f.infoHash);
    const rows = await accountingRows("0x00000000000000000000000000000000000005b2", f.infoHash);
    // A stopped session's row is folded into the member's ended-sessions row (worker/swarm/flush.ts).
    expect(rows.find((r) => r.peerId === toHex(binaryToBytes(pid)))).toBeUndefined();
    const after = (await ended())!;
    const delta = (k: keyof typeof before) => after[k] - before[k];
    expect({ uploaded: delta("uploaded"), downloaded: delta("downloaded"), creditedUploaded: delta("creditedUploaded"), creditedDownloaded: delta("creditedDownloaded"), announces: delta("announces") }).toEqual({
      uploaded: 1_234,
      downloaded: 60_000,
      creditedUploaded: 1_234,
      creditedDownloaded: 60_000,
      announces: 2,
    });
  });

  it("fits a connection at its peer cap in the runtime's attachment limit", async () => {
    const c = await connect(pkA);
    c.send({ action: "announce", info_hash: ih, peer_id: seedId, left: 0, event: "started", offers: [] });
    await c.next(isAnnounceReply);
    await runInDurableObject(stubFor(f.infoHash), (_instance: WsSwarm, state) => {
      const [ws] = state.getWebSockets();
      const a = ws!.deserializeAttachment() as Attachment;
      // Worst case: info hashes and peer ids of high bytes, the largest timestamps.
      const peers: Attachment["peers"] = {};
      for (let i = 0; i < MAX_PEERS_PER_SOCKET; i++) peers[peerKey(binaryId(0x80 + i), binaryId(0xff - i))] = [1, 2 ** 40];
      expect(Object.keys(peers)).toHaveLength(MAX_PEERS_PER_SOCKET);
      expect(() => ws!.serializeAttachment({ ...a, peers })).not.toThrow();
      ws!.serializeAttachment(a);
    });
  });
});
