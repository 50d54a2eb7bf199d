// Attacks on the WebSocket tracker (issue 10, findings 3 and 4), through the worker's front
// door with real upgrades, the real WsSwarm and SwarmShard objects and D1. Each test tries
// the attack beside an honest seed and leecher, and asserts that the attack fails and that
// the honest members' places, offers, answers and credit carry on.

import { SELF, env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { binaryToBytes, bytesToBinary, fromHex, toHex } from "../../protocol/hex.ts";
import { WS_MAX_SDP_BYTES, WS_MESSAGE_BURST, WS_RELAY_BURST, WS_STRIKES } from "../../protocol/params.ts";
import { MAX_PEERS_PER_MEMBER_TORRENT } from "../../worker/announce/rules.ts";
import { shardName, shardOf, type SwarmShard } from "../../worker/swarm/shard.ts";
import { MAX_MESSAGE_BYTES, MAX_OFFERS } from "../../worker/ws/messages.ts";
import { POLICY_CLOSE_CODE } from "../../worker/ws/routes.ts";
import { wsShardName, wsShardOf, type WsSwarm } from "../../worker/ws/swarm.ts";
import { fixture } from "./support/fixture.ts";
import { Client, isAnnounceReply, isAnswer, isOffer, type Json } from "./support/ws-client.ts";
import { ADMIN_TOKEN, ORIGIN, accountingRows, addMember, call, flushShard } from "./support/worker.ts";

const open: Client[] = [];

async function connect(passkey: string): Promise<Client> {
  const res = await SELF.fetch(`${ORIGIN}/${passkey}/announce`, { headers: { Upgrade: "websocket" } });
  expect(res.status).toBe(101);
  const c = new Client(res.webSocket!);
  open.push(c);
  return c;
}

/** A WebTorrent peer id (on the allow-list) with binary bytes after its prefix. */
function peerIdWs(n: number): string {
  return "-WW0208-" + bytesToBinary(Uint8Array.from({ length: 12 }, (_, i) => (n * 7 + i * 31) & 0xff));
}

function offerId(n: number): string {
  return bytesToBinary(Uint8Array.from({ length: 20 }, (_, i) => (n + i * 17) & 0xff));
}

const isFailure = (m: Json) => "failure reason" in m;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function wsStub(infoHashHex: string): DurableObjectStub<WsSwarm> {
  return env.WS_SWARM.get(env.WS_SWARM.idFromName(wsShardName(wsShardOf(infoHashHex))));
}

function creditStub(infoHashHex: string): DurableObjectStub<SwarmShard> {
  return env.SWARM.get(env.SWARM.idFromName(shardName(shardOf(infoHashHex))));
}

/** WebSocket accounting sessions the credit shard holds now. */
async function creditSessions(infoHashHex: string): Promise<number> {
  return (await creditStub(infoHashHex).metrics(shardOf(infoHashHex))).gauges.ws_sessions!;
}

let accounts = 0;
async function member(): Promise<{ account: string; pk: string }> {
  const account = `0x${(0xa77ac0000 + ++accounts).toString(16).padStart(40, "0")}`;
  return { account, pk: await addMember(account) };
}

describe("WebSocket tracker under attack", () => {
  const f = fixture(40_000, 77, "ws-attacks.bin");
  const ih = bytesToBinary(fromHex(f.infoHash));
  const sdp = { type: "offer", sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n" };

  beforeAll(async () => {
    const res = await SELF.fetch(`${ORIGIN}/api/torrents?storageRoot=${f.storageRoot}`, {
      method: "POST",
      body: f.torrent,
      headers: { Authorization: "Bearer test-admin-token", "Content-Type": "application/x-bittorrent" },
    });
    expect(res.status).toBe(201);
  });

  // Each test starts with an empty swarm and no live accounting session.
  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    for (let i = 0; i < 200; i++) {
      const s = await wsStub(f.infoHash).stats(ih);
      if (s.complete + s.incomplete === 0 && (await creditSessions(f.infoHash)) === 0) return;
      await sleep(20);
    }
    throw new Error("the swarm and its sessions were not emptied after the test's sockets closed");
  });

  const announce = (c: Client, peerId: string, left: number, extra: Json = {}) =>
    c.send({ action: "announce", info_hash: ih, peer_id: peerId, left, uploaded: 0, downloaded: 0, event: "started", offers: [], ...extra });

  it("refuses another member's announce of a live peer id; the victim keeps its place, its answers and its credit (attack: WebSocket peer-id takeover)", async () => {
    const victim = await member();
    const attacker = await member();
    const honest = await member();
    const victimPeer = peerIdWs(1);
    const v = await connect(victim.pk);
    announce(v, victimPeer, 0);
    expect(await v.next(isAnnounceReply)).toMatchObject({ complete: 1, incomplete: 0 });

    // The attacker announces the victim's peer id, as a seed and then as a leecher with offers.
    const a = await connect(attacker.pk);
    announce(a, victimPeer, 0);
    expect(await a.next()).toEqual({ action: "announce", "failure reason": "this peer id is in use by another member's client in this swarm", info_hash: ih });
    announce(a, victimPeer, 10, { event: "update", offers: [{ offer: sdp, offer_id: offerId(1) }] });
    expect(await a.next(isFailure)).toMatchObject({ "failure reason": expect.stringMatching(/in use by another member/) });
    // Nor may it answer, or stop the victim, in the victim's name.
    a.send({ action: "announce", info_hash: ih, peer_id: victimPeer, to_peer_id: victimPeer, offer_id: offerId(2), answer: { type: "answer", sdp: "x" } });
    expect(await a.next(isFailure)).toMatchObject({ "failure reason": expect.stringMatching(/announce to this swarm before answering/) });
    announce(a, victimPeer, 0, { event: "stopped" });
    await a.next();

    // The victim is still the only seed, and an honest leecher's offer reaches it, not the attacker.
    const l = await connect(honest.pk);
    const leechPeer = peerIdWs(2);
    announce(l, leechPeer, 40_000, { offers: [{ offer: sdp, offer_id: offerId(3) }] });
    expect(await l.next(isAnnounceReply)).toMatchObject({ complete: 1, incomplete: 1 });
    expect(await v.next(isOffer)).toMatchObject({ offer_id: offerId(3), peer_id: leechPeer });
    expect(await a.quiet(isOffer)).toBe(true);
    v.send({ action: "announce", info_hash: ih, peer_id: victimPeer, to_peer_id: leechPeer, offer_id: offerId(3), answer: { type: "answer", sdp: "y" } });
    expect(await l.next(isAnswer)).toMatchObject({ offer_id: offerId(3), peer_id: victimPeer });
    expect(await a.quiet(isAnswer)).toBe(true);

    // The victim's session is credited as before; the attacker got no session for that peer id.
    await sleep(1_100); // past the duplicate lock (announce/rules.ts)
    announce(v, victimPeer, 0, { event: "update", uploaded: 5_000 });
    expect(await v.next(isAnnounceReply)).toMatchObject({ complete: 1, incomplete: 1 });
    await flushShard(f.infoHash);
    const pid = toHex(binaryToBytes(victimPeer));
    expect((await accountingRows(victim.account, f.infoHash)).find((r) => r.peerId === pid)).toMatchObject({ uploaded: 5_000, creditedUploaded: 5_000, announces: 2 });
    expect(await accountingRows(attacker.account, f.infoHash)).toEqual([]);
  });

  it("lets the same member take over its own peer id from a new connection, and the old connection's close leaves it be (a reconnect)", async () => {
    const seeder = await member();
    const honest = await member();
    const seedPeer = peerIdWs(3);
    const old = await connect(seeder.pk);
    announce(old, seedPeer, 0);
    await old.next(isAnnounceReply);
    const fresh = await connect(seeder.pk);
    announce(fresh, seedPeer, 0);
    expect(await fresh.next(isAnnounceReply)).toMatchObject({ complete: 1, incomplete: 0 });

    const l = await connect(honest.pk);
    announce(l, peerIdWs(4), 40_000, { offers: [{ offer: sdp, offer_id: offerId(5) }] });
    expect(await fresh.next(isOffer)).toMatchObject({ offer_id: offerId(5) });
    expect(await old.quiet(isOffer)).toBe(true);

    // The old socket's close does not end the session the new one holds now.
    old.close();
    await sleep(300);
    await sleep(1_100);
    announce(fresh, seedPeer, 0, { event: "update", uploaded: 7_000 });
    expect(await fresh.next(isAnnounceReply)).toMatchObject({ complete: 1, incomplete: 1 });
    await flushShard(f.infoHash);
    const pid = toHex(binaryToBytes(seedPeer));
    expect((await accountingRows(seeder.account, f.infoHash)).find((r) => r.peerId === pid)).toMatchObject({ uploaded: 7_000, creditedUploaded: 7_000 });
  });

  it("gives one member no more WebSocket clients in a swarm than HTTP allows, however many sockets it opens (attack: five sockets, twenty seeds)", async () => {
    const greedy = await member();
    const honest = await member();
    const sockets = await Promise.all(Array.from({ length: 5 }, () => connect(greedy.pk)));
    let accepted = 0;
    let refused = 0;
    for (const [s, c] of sockets.entries())
      for (let i = 0; i < 4; i++) {
        announce(c, peerIdWs(100 + s * 4 + i), 0);
        const r = await c.next();
        if (isAnnounceReply(r)) accepted++;
        else {
          expect(r).toEqual({ action: "announce", "failure reason": `you already have ${MAX_PEERS_PER_MEMBER_TORRENT} clients in this swarm; stop one of them first`, info_hash: ih });
          refused++;
        }
      }
    expect(accepted).toBe(MAX_PEERS_PER_MEMBER_TORRENT);
    expect(refused).toBe(20 - MAX_PEERS_PER_MEMBER_TORRENT);
    expect(await wsStub(f.infoHash).stats(ih)).toMatchObject({ complete: MAX_PEERS_PER_MEMBER_TORRENT });
    expect(await creditSessions(f.infoHash)).toBe(MAX_PEERS_PER_MEMBER_TORRENT);

    // An honest member joins and is answered as usual.
    const l = await connect(honest.pk);
    announce(l, peerIdWs(5), 40_000);
    expect(await l.next(isAnnounceReply)).toMatchObject({ complete: MAX_PEERS_PER_MEMBER_TORRENT, incomplete: 1 });
  });

  it("creates no accounting session for refused peer ids (attack: one socket, a thousand credit sessions)", async () => {
    const flooder = await member();
    const c = await connect(flooder.pk);
    // Within the message budget, so only the per-member limit stops them.
    const tries = WS_MESSAGE_BURST - 10;
    for (let i = 0; i < tries; i++) announce(c, peerIdWs(200 + i), 0);
    const replies: Json[] = [];
    for (let i = 0; i < tries; i++) replies.push(await c.next());
    expect(replies.filter(isAnnounceReply)).toHaveLength(MAX_PEERS_PER_MEMBER_TORRENT);
    expect(replies.filter(isFailure)).toHaveLength(tries - MAX_PEERS_PER_MEMBER_TORRENT);
    expect(await creditSessions(f.infoHash)).toBe(MAX_PEERS_PER_MEMBER_TORRENT);
    await flushShard(f.infoHash);
    expect(await accountingRows(flooder.account, f.infoHash)).toHaveLength(MAX_PEERS_PER_MEMBER_TORRENT);
  });

  it("ends a connection's sessions when it closes, so the member's reloaded page is not refused by the limit", async () => {
    const m = await member();
    const first = await connect(m.pk);
    for (let i = 0; i < MAX_PEERS_PER_MEMBER_TORRENT; i++) {
      announce(first, peerIdWs(300 + i), 0);
      await first.next(isAnnounceReply);
    }
    first.close();
    for (let i = 0; i < 100 && (await creditSessions(f.infoHash)) > 0; i++) await sleep(20);
    expect(await creditSessions(f.infoHash)).toBe(0);
    const second = await connect(m.pk);
    announce(second, peerIdWs(310), 0);
    expect(await second.next()).toMatchObject({ action: "announce", complete: 1 });
  });

  it("ends a closed connection's sessions even after the accounting shard was evicted from memory", async () => {
    const m = await member();
    const first = await connect(m.pk);
    for (let i = 0; i < MAX_PEERS_PER_MEMBER_TORRENT; i++) {
      announce(first, peerIdWs(320 + i), 0);
      await first.next(isAnnounceReply);
    }
    await flushShard(f.infoHash); // the sessions are written behind, as the alarm does
    await evictDurableObject(creditStub(f.infoHash));
    first.close();
    const second = await connect(m.pk);
    let reply: Json = {};
    for (let i = 0; i < 40; i++) {
      announce(second, peerIdWs(330), 0);
      reply = await second.next();
      if (isAnnounceReply(reply)) break;
      await sleep(50);
    }
    expect(reply).toMatchObject({ action: "announce", complete: 1 });
  });

  it("refuses oversized frames, oversized offers and too many offers, relaying none of them, and keeps the socket (attack: message size)", async () => {
    const seeder = await member();
    const attacker = await member();
    const s = await connect(seeder.pk);
    announce(s, peerIdWs(400), 0);
    await s.next(isAnnounceReply);

    const a = await connect(attacker.pk);
    const attackerPeer = peerIdWs(401);
    a.ws.send(JSON.stringify({ action: "announce", info_hash: ih, peer_id: attackerPeer, left: 5, offers: [], pad: "x".repeat(MAX_MESSAGE_BYTES) }));
    expect(await a.next()).toEqual({ "failure reason": `message too large (at most ${MAX_MESSAGE_BYTES} bytes)` });
    // A binary frame is refused like any bad frame, and the socket lives (bench/fuzz.ts found it closed with 1006).
    a.ws.send(new Uint8Array([1]));
    expect(await a.next()).toHaveProperty("failure reason");
    announce(a, attackerPeer, 5, { offers: [{ offer: { type: "offer", sdp: "v".repeat(WS_MAX_SDP_BYTES) }, offer_id: offerId(9) }] });
    expect(await a.next()).toEqual({ action: "announce", "failure reason": `offer too large (at most ${WS_MAX_SDP_BYTES} bytes)`, info_hash: ih });
    announce(a, attackerPeer, 5, { offers: Array.from({ length: MAX_OFFERS + 1 }, (_, i) => ({ offer: sdp, offer_id: offerId(20 + i) })) });
    expect(await a.next()).toEqual({ action: "announce", "failure reason": `too many offers (at most ${MAX_OFFERS})`, info_hash: ih });
    a.send({ action: "announce", info_hash: ih, peer_id: attackerPeer, to_peer_id: peerIdWs(400), offer_id: offerId(8), answer: { type: "answer", sdp: "a".repeat(WS_MAX_SDP_BYTES) } });
    expect(await a.next()).toMatchObject({ "failure reason": `answer too large (at most ${WS_MAX_SDP_BYTES} bytes)` });
    expect(await s.quiet(isOffer)).toBe(true);
    expect(await s.quiet(isAnswer)).toBe(true);

    // A few refusals do not close the socket: a well-formed announce is served, its offer relayed.
    announce(a, attackerPeer, 5, { offers: [{ offer: sdp, offer_id: offerId(10) }] });
    expect(await a.next(isAnnounceReply)).toMatchObject({ complete: 1, incomplete: 1 });
    expect(await s.next(isOffer)).toMatchObject({ offer_id: offerId(10) });
    expect(a.closedWith).toBeUndefined();
  });

  it("rate-limits a connection's announces and offers and closes it when it keeps flooding, while the honest seed is served (attack: offer flood)", async () => {
    const seeder = await member();
    const flooder = await member();
    const honest = await member();
    const seedPeer = peerIdWs(500);
    const s = await connect(seeder.pk);
    announce(s, seedPeer, 0);
    await s.next(isAnnounceReply);

    const a = await connect(flooder.pk);
    const flooderPeer = peerIdWs(501);
    const withOffers = (i: number) => ({ event: "update", offers: Array.from({ length: 5 }, (_, k) => ({ offer: sdp, offer_id: offerId(i * 5 + k) })) });
    // Offers first: the relay budget admits its burst (five an announce) and refuses the rest, by name.
    const tries = WS_RELAY_BURST / 5 + 6;
    for (let i = 0; i < tries; i++) announce(a, flooderPeer, 5, withOffers(i));
    const replies: Json[] = [];
    for (let i = 0; i < tries; i++) replies.push(await a.next());
    const served = replies.filter(isAnnounceReply).length;
    const limited = replies.filter(isFailure);
    expect(served).toBeGreaterThanOrEqual(WS_RELAY_BURST / 5);
    expect(served).toBeLessThanOrEqual(WS_RELAY_BURST / 5 + 2);
    expect(limited).toHaveLength(tries - served);
    for (const r of limited) expect(r).toEqual({ action: "announce", "failure reason": "too many offers and answers on this connection (at most 5 a second)", info_hash: ih });
    // The seed, the only other peer, got one offer per announce served and none of the refused ones.
    for (let i = 0; i < served; i++) await s.next(isOffer);
    expect(await s.quiet(isOffer)).toBe(true);
    expect(a.closedWith).toBeUndefined();

    // Then a flood of plain announces: refused past the message budget, each refusal a strike, and closed.
    for (let i = 0; i < 3 * WS_MESSAGE_BURST; i++) announce(a, flooderPeer, 5, { event: "update" });
    expect(await a.closed).toEqual({ code: POLICY_CLOSE_CODE, reason: "too many refused messages" });
    const refused = a.drain(isFailure);
    expect(refused.length).toBeGreaterThanOrEqual(WS_STRIKES - limited.length);
    expect(refused.at(-1)).toMatchObject({ "failure reason": expect.stringMatching(/too many messages on this connection/), info_hash: ih });

    // The flooder's peer left with its socket; the honest seed and a new leecher trade offers and answers.
    const l = await connect(honest.pk);
    const leechPeer = peerIdWs(502);
    announce(l, leechPeer, 40_000, { offers: [{ offer: sdp, offer_id: offerId(999) }] });
    expect(await l.next(isAnnounceReply)).toMatchObject({ complete: 1 });
    expect(await s.next((m) => isOffer(m) && m.offer_id === offerId(999))).toMatchObject({ peer_id: leechPeer });
    s.send({ action: "announce", info_hash: ih, peer_id: seedPeer, to_peer_id: leechPeer, offer_id: offerId(999), answer: { type: "answer", sdp: "z" } });
    expect(await l.next(isAnswer)).toMatchObject({ peer_id: seedPeer });
    await runInDurableObject(wsStub(f.infoHash), (instance: WsSwarm) => {
      expect(instance.stats(ih)).toMatchObject({ complete: 1, incomplete: 1 });
    });
  });

  it("shows the refusals in /metrics by reason, while the victim stays in its swarm (finding 4: refusals are visible)", async () => {
    const victim = await member();
    const attacker = await member();
    const victimPeer = peerIdWs(600);
    const v = await connect(victim.pk);
    announce(v, victimPeer, 0);
    await v.next(isAnnounceReply);
    const a = await connect(attacker.pk);
    // An isolate ships its counts at most every 10 s (metrics/counts.ts): refuse once a second
    // (under the strike budget) until a scrape shows them.
    let count = 0;
    for (let i = 0; i < 20 && count === 0; i++) {
      announce(a, victimPeer, 0);
      expect(await a.next(isFailure)).toMatchObject({ "failure reason": expect.stringMatching(/in use by another member/) });
      const text = await (await call("/metrics", { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
      for (const line of text.split("\n")) {
        const m = /^vidya_ws_failures_total\{reason="peer_id_taken",shard="\d+"\} (\d+)$/.exec(line);
        if (m) count += Number(m[1]);
      }
      if (count === 0) await sleep(1_000);
    }
    expect(count).toBeGreaterThan(0);
    expect(a.closedWith).toBeUndefined();
    expect(await wsStub(f.infoHash).stats(ih)).toMatchObject({ complete: 1 });
  }, 40_000);
});
