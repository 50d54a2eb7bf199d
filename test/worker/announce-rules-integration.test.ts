// The HTTP tracker's rules through the worker's front door, with each announce's clock set
// (X-Test-Now): min interval, the duplicate lock, reordered and retried announces, the
// per-member session limit, BEP 21 partial seeds, numwant, the dictionary model, tracker id,
// ip= ignored, and the credit flags applied at credit time with actual figures kept apart.

import { beforeAll, describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../protocol/hex.ts";
import { ANNOUNCE_MIN_INTERVAL_SECONDS } from "../../protocol/params.ts";
import { MAX_PEERS_PER_MEMBER_TORRENT, MIN_INTERVAL_TOLERANCE_SECONDS } from "../../worker/announce/rules.ts";
import { asDict, decode, type BDict } from "../../protocol/bencode.ts";
import { fixture } from "./support/fixture.ts";
import { accountingRows, addMember, admin, announce, call, credited, flushShard, peerId, peerList, pct, text, tick, uploadTorrent } from "./support/worker.ts";

const acct = (n: number) => `0x${(0x7a00 + n).toString(16).padStart(40, "0")}`;
let nextTorrent = 0;
async function torrent(): Promise<string> {
  const f = fixture(20_000 + nextTorrent, 700 + nextTorrent, `rules-${nextTorrent++}.bin`);
  expect((await uploadTorrent(f)).status).toBe(201);
  return f.infoHash;
}

describe("announce rules", () => {
  const pk: string[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 8; i++) pk.push(await addMember(acct(i)));
  });

  it("answers an announce sooner than min interval from the same endpoint without peers and with a warning, and still counts its bytes", async () => {
    const ih = await torrent();
    await announce(pk[0]!, { infoHash: ih, peerId: peerId("mi-seed"), left: 0, event: "started", ip: "10.20.0.1" });
    const t0 = tick();
    const first = await announce(pk[1]!, { infoHash: ih, peerId: peerId("mi-leech"), left: 20_000, event: "started", ip: "10.20.0.2", now: t0 });
    expect(peerList(first.body)).toEqual(["10.20.0.1:6881"]);

    // 10 s later, no event: no peers, a warning, and a clean answer (not a failure).
    const soon = await announce(pk[1]!, { infoHash: ih, peerId: peerId("mi-leech"), left: 19_000, downloaded: 1_000, ip: "10.20.0.2", now: t0 + 10_000 });
    expect(soon.body["failure reason"]).toBeUndefined();
    expect(peerList(soon.body)).toEqual([]);
    expect(text(soon.body["warning message"])).toMatch(/min interval/);
    expect(soon.body["min interval"]).toBe(ANNOUNCE_MIN_INTERVAL_SECONDS);

    // Within the tolerance of min interval: peers again, no warning.
    const onTime = (ANNOUNCE_MIN_INTERVAL_SECONDS - MIN_INTERVAL_TOLERANCE_SECONDS + 1) * 1_000;
    const later = await announce(pk[1]!, { infoHash: ih, peerId: peerId("mi-leech"), left: 18_000, downloaded: 2_000, ip: "10.20.0.2", now: t0 + 10_000 + onTime });
    expect(peerList(later.body)).toEqual(["10.20.0.1:6881"]);
    expect(later.body["warning message"]).toBeUndefined();

    // An event is never too soon, and another endpoint of the session has its own timer.
    const completed = await announce(pk[1]!, { infoHash: ih, peerId: peerId("mi-leech"), left: 0, downloaded: 20_000, event: "completed", ip: "10.20.0.2", now: t0 + 20_000 + onTime });
    expect(completed.body["warning message"]).toBeUndefined();

    await flushShard(ih);
    expect(await credited(acct(1), ih)).toMatchObject({ downloaded: 20_000, creditedDownloaded: 20_000, announces: 4 });
  });

  it("locks duplicates: a second announce of a session within a second (IPv6 twin, retry) credits nothing more, and its bytes count at the next one", async () => {
    const ih = await torrent();
    const pid = peerId("dup");
    const t0 = tick();
    await announce(pk[2]!, { infoHash: ih, peerId: pid, left: 20_000, event: "started", ip: "10.21.0.1", now: t0 });
    const t1 = t0 + 400_000;
    await announce(pk[2]!, { infoHash: ih, peerId: pid, left: 19_000, downloaded: 1_000, uploaded: 100, ip: "10.21.0.1", now: t1 });
    // The same client over IPv6 200 ms later, its counters a little further on.
    const twin = await announce(pk[2]!, { infoHash: ih, peerId: pid, left: 18_500, downloaded: 1_500, uploaded: 150, ip: "2001:db8::21", now: t1 + 200 });
    expect(twin.body["failure reason"]).toBeUndefined();
    // And a retry of that one.
    await announce(pk[2]!, { infoHash: ih, peerId: pid, left: 18_500, downloaded: 1_500, uploaded: 150, ip: "2001:db8::21", now: t1 + 400 });
    await flushShard(ih);
    expect(await credited(acct(2), ih)).toMatchObject({ downloaded: 1_000, uploaded: 100 });

    // The next announce credits everything since the last credited one: nothing lost, nothing twice.
    await announce(pk[2]!, { infoHash: ih, peerId: pid, left: 17_000, downloaded: 3_000, uploaded: 300, ip: "10.21.0.1", now: t1 + 1_800_000 });
    await flushShard(ih);
    const rows = await accountingRows(acct(2), ih);
    expect(rows).toHaveLength(1); // one record for the session, whatever its endpoints
    expect(rows[0]).toMatchObject({ downloaded: 3_000, uploaded: 300, announces: 5 });
  });

  it("credits a completed announce at once even within a second of started (a fast download), under the flags it completed under", async () => {
    const ih = await torrent();
    const pid = peerId("fastdl");
    const t0 = tick();
    await announce(pk[2]!, { infoHash: ih, peerId: pid, left: 20_000, event: "started", ip: "10.21.0.2", now: t0 });
    await announce(pk[2]!, { infoHash: ih, peerId: pid, left: 0, downloaded: 20_000, event: "completed", ip: "10.21.0.2", now: t0 + 600 });
    // A curator makes it freeleech afterwards: the download was already charged.
    await admin(`/admin/torrents/${ih}/flags`, { body: JSON.stringify({ freeleech: true }), headers: { "Content-Type": "application/json" } });
    await announce(pk[2]!, { infoHash: ih, peerId: pid, left: 0, downloaded: 20_000, event: "stopped", ip: "10.21.0.2", now: t0 + 5_000 });
    await flushShard(ih);
    expect(await credited(acct(2), ih)).toMatchObject({ downloaded: 20_000, creditedDownloaded: 20_000 });
  });

  it("never credits twice from reordered announces: an overtaken request with lower counters is ignored", async () => {
    const ih = await torrent();
    const pid = peerId("reorder");
    const t0 = tick();
    await announce(pk[3]!, { infoHash: ih, peerId: pid, left: 0, uploaded: 0, event: "started", ip: "10.22.0.1", now: t0 });
    await announce(pk[3]!, { infoHash: ih, peerId: pid, left: 0, uploaded: 100, ip: "10.22.0.1", now: t0 + 400_000 });
    // The request sent before it arrives 5 s late (the other family of a dual-stack client).
    await announce(pk[3]!, { infoHash: ih, peerId: pid, left: 0, uploaded: 50, ip: "2001:db8::22", now: t0 + 405_000 });
    await announce(pk[3]!, { infoHash: ih, peerId: pid, left: 0, uploaded: 300, ip: "10.22.0.1", now: t0 + 800_000 });
    await flushShard(ih);
    // 0 → 100 → (50 ignored) → 300: exactly 300, where resetting the baseline to 50 would credit 350.
    expect(await credited(acct(3), ih)).toMatchObject({ uploaded: 300, creditedUploaded: 300 });
  });

  it("takes lower counters long after the last credit as a new client session, crediting zero for it", async () => {
    const ih = await torrent();
    const pid = peerId("restart");
    const t0 = tick();
    await announce(pk[3]!, { infoHash: ih, peerId: pid, left: 0, uploaded: 0, event: "started", ip: "10.22.1.1", now: t0 });
    await announce(pk[3]!, { infoHash: ih, peerId: pid, left: 0, uploaded: 5_000, ip: "10.22.1.1", now: t0 + 400_000 });
    await announce(pk[3]!, { infoHash: ih, peerId: pid, left: 0, uploaded: 200, event: "started", ip: "10.22.1.1", now: t0 + 800_000 });
    await announce(pk[3]!, { infoHash: ih, peerId: pid, left: 0, uploaded: 700, ip: "10.22.1.1", now: t0 + 1_200_000 });
    await flushShard(ih);
    expect(await credited(acct(3), ih)).toMatchObject({ uploaded: 5_500 });
  });

  it("hands out a tracker id per session and ignores a request of an older session that arrives after a restart", async () => {
    const ih = await torrent();
    const pid = peerId("tid");
    const t0 = tick();
    const a = await announce(pk[4]!, { infoHash: ih, peerId: pid, left: 0, uploaded: 0, event: "started", ip: "10.23.0.1", now: t0 });
    const oldId = text(a.body["tracker id"]);
    expect(oldId).toBe(String(t0));
    await announce(pk[4]!, { infoHash: ih, peerId: pid, left: 0, uploaded: 4_000, ip: "10.23.0.1", now: t0 + 400_000, extra: `trackerid=${oldId}` });
    // The client restarts (a new counter session), then its last request of the old session arrives.
    const b = await announce(pk[4]!, { infoHash: ih, peerId: pid, left: 0, uploaded: 0, event: "started", ip: "10.23.0.1", now: t0 + 800_000 });
    expect(text(b.body["tracker id"])).toBe(String(t0 + 800_000));
    await announce(pk[4]!, { infoHash: ih, peerId: pid, left: 0, uploaded: 4_500, ip: "10.23.0.1", now: t0 + 802_000, extra: `trackerid=${oldId}` });
    await flushShard(ih);
    expect(await credited(acct(4), ih)).toMatchObject({ uploaded: 4_000 });
  });

  it(`allows a member at most ${MAX_PEERS_PER_MEMBER_TORRENT} sessions per torrent, and another once one stops`, async () => {
    const ih = await torrent();
    for (let i = 0; i < MAX_PEERS_PER_MEMBER_TORRENT; i++) {
      const r = await announce(pk[5]!, { infoHash: ih, peerId: peerId(`lim${i}`), left: 10, event: "started", ip: `10.24.0.${i + 1}` });
      expect(r.body["failure reason"]).toBeUndefined();
    }
    const refused = await announce(pk[5]!, { infoHash: ih, peerId: peerId("lim-extra"), left: 10, event: "started", ip: "10.24.0.9" });
    expect(refused.status).toBe(200);
    expect(text(refused.body["failure reason"])).toMatch(/already have 3 clients in this swarm/);
    expect(refused.body.interval).toBeTypeOf("number");
    // Another member is not affected.
    expect((await announce(pk[6]!, { infoHash: ih, peerId: peerId("lim-other"), left: 10, event: "started", ip: "10.24.1.1" })).body["failure reason"]).toBeUndefined();
    await announce(pk[5]!, { infoHash: ih, peerId: peerId("lim0"), left: 10, event: "stopped", port: 0, ip: "10.24.0.1" });
    expect((await announce(pk[5]!, { infoHash: ih, peerId: peerId("lim-extra"), left: 10, event: "started", ip: "10.24.0.9" })).body["failure reason"]).toBeUndefined();
  });

  it("never gives a member its own sessions as peers", async () => {
    const ih = await torrent();
    await announce(pk[6]!, { infoHash: ih, peerId: peerId("own-a"), left: 0, event: "started", ip: "10.25.0.1" });
    await announce(pk[7]!, { infoHash: ih, peerId: peerId("other"), left: 0, event: "started", ip: "10.25.0.2" });
    const r = await announce(pk[6]!, { infoHash: ih, peerId: peerId("own-b"), left: 100, event: "started", ip: "10.25.0.3" });
    expect(peerList(r.body)).toEqual(["10.25.0.2:6881"]);
  });

  it("treats a partial seed (BEP 21 event=paused) as a seed for peer selection and counts it apart in scrape", async () => {
    const ih = await torrent();
    await announce(pk[0]!, { infoHash: ih, peerId: peerId("p-seed"), left: 0, event: "started", ip: "10.26.0.1" });
    await announce(pk[1]!, { infoHash: ih, peerId: peerId("p-partial"), left: 5_000, event: "paused", ip: "10.26.0.2" });
    const leech = await announce(pk[2]!, { infoHash: ih, peerId: peerId("p-leech"), left: 20_000, event: "started", ip: "10.26.0.3" });
    expect(peerList(leech.body)).toEqual(["10.26.0.1:6881", "10.26.0.2:6881"]);
    expect(leech.body).toMatchObject({ complete: 1, incomplete: 2 });
    // Partial seeds announce paused every time (BEP 21); it is given downloaders only, as a seed is.
    const partial = await announce(pk[1]!, { infoHash: ih, peerId: peerId("p-partial"), left: 5_000, event: "paused", ip: "10.26.0.2" });
    expect(peerList(partial.body)).toEqual(["10.26.0.3:6881"]);
    const seed = await announce(pk[0]!, { infoHash: ih, peerId: peerId("p-seed"), left: 0, ip: "10.26.0.1" });
    expect(peerList(seed.body)).toEqual(["10.26.0.3:6881"]);
    const res = await call(`/${pk[0]}/scrape?info_hash=${pct(fromHex(ih))}`);
    const files = asDict(asDict(decode(new Uint8Array(await res.arrayBuffer())), "scrape").files, "files");
    expect(Object.values(files)[0]).toEqual({ complete: 1, incomplete: 2, downloaded: 0, downloaders: 1 });
    // Without paused it is a downloader again.
    const resumed = await announce(pk[1]!, { infoHash: ih, peerId: peerId("p-partial"), left: 5_000, ip: "10.26.0.2" });
    expect(peerList(resumed.body)).toEqual(["10.26.0.1:6881", "10.26.0.3:6881"]);
  });

  it("bounds numwant: zero asks for none, a few get a few", async () => {
    const ih = await torrent();
    for (let i = 0; i < 6; i++) await announce(pk[i]!, { infoHash: ih, peerId: peerId(`nw${i}`), left: 0, event: "started", ip: `10.27.0.${i + 1}` });
    const none = await announce(pk[7]!, { infoHash: ih, peerId: peerId("nw-asker"), left: 10, event: "started", ip: "10.27.1.1", extra: "numwant=0" });
    expect(none.body.peers).toEqual(new Uint8Array(0)); // still present (rTorrent needs the key)
    const two = await announce(pk[7]!, { infoHash: ih, peerId: peerId("nw-asker"), left: 10, ip: "10.27.1.1", extra: "numwant=2" });
    expect(peerList(two.body)).toHaveLength(2);
    const all = await announce(pk[7]!, { infoHash: ih, peerId: peerId("nw-asker"), left: 10, ip: "10.27.1.1", extra: "numwant=99999999" });
    expect(peerList(all.body)).toHaveLength(6);
  });

  it("lists a peer at the address the edge saw, whatever ip=, ipv4= or ipv6= say (BEP 7)", async () => {
    const ih = await torrent();
    await announce(pk[0]!, { infoHash: ih, peerId: peerId("ip-liar"), left: 0, event: "started", ip: "10.28.0.1", extra: "ip=203.0.113.66&ipv4=203.0.113.67&ipv6=2001:db8::666" });
    const r = await announce(pk[1]!, { infoHash: ih, peerId: peerId("ip-asker"), left: 10, event: "started", ip: "10.28.0.2" });
    expect(peerList(r.body)).toEqual(["10.28.0.1:6881"]);
  });

  it("answers compact=0 with BEP 3 dictionaries (ip, port, peer id), and no_peer_id without the id", async () => {
    const ih = await torrent();
    const seedId = peerId("dict-seed");
    await announce(pk[0]!, { infoHash: ih, peerId: seedId, left: 0, event: "started", ip: "10.29.0.1", port: 51413 });
    await announce(pk[2]!, { infoHash: ih, peerId: peerId("dict-seed6"), left: 0, event: "started", ip: "2001:db8::29", port: 6882 });
    const r = await announce(pk[1]!, { infoHash: ih, peerId: peerId("dict-leech"), left: 10, event: "started", ip: "10.29.0.2", extra: "compact=0" });
    const peers = (r.body.peers as BDict[]).map((p) => ({ ip: text(p.ip), port: p.port as number, id: text(p["peer id"]) }));
    expect(peers.sort((x, y) => x.port - y.port)).toEqual([
      { ip: "2001:db8::29", port: 6882, id: new TextDecoder().decode(peerId("dict-seed6")) },
      { ip: "10.29.0.1", port: 51413, id: new TextDecoder().decode(seedId) },
    ]);
    const anon = await announce(pk[1]!, { infoHash: ih, peerId: peerId("dict-leech"), left: 10, ip: "10.29.0.2", extra: "compact=0&no_peer_id=1" });
    expect((anon.body.peers as BDict[]).every((p) => !("peer id" in p) && "ip" in p && "port" in p)).toBe(true);
  });

  it("applies freeleech, neutral and double upload at credit time and keeps the actual figures", async () => {
    const ih = await torrent();
    const t0 = tick();
    const run = async (tag: string, member: number, from: number, flags: Record<string, boolean>) => {
      expect((await admin(`/admin/torrents/${ih}/flags`, { body: JSON.stringify(flags), headers: { "Content-Type": "application/json" } })).status).toBe(200);
      await announce(pk[member]!, { infoHash: ih, peerId: peerId(tag), left: 10_000, event: "started", ip: `10.30.0.${member + 1}`, now: from });
      await announce(pk[member]!, { infoHash: ih, peerId: peerId(tag), left: 5_000, uploaded: 1_000, downloaded: 5_000, ip: `10.30.0.${member + 1}`, now: from + 400_000 });
    };
    await run("fl-normal", 0, t0, { freeleech: false, neutral: false, doubleUpload: false });
    await run("fl-free", 1, t0, { freeleech: true });
    await run("fl-neutral", 2, t0, { freeleech: false, neutral: true });
    await run("fl-double", 3, t0, { neutral: false, doubleUpload: true });
    await flushShard(ih);
    const actual = { uploaded: 1_000, downloaded: 5_000 };
    expect(await credited(acct(0), ih)).toMatchObject({ ...actual, creditedUploaded: 1_000, creditedDownloaded: 5_000 });
    expect(await credited(acct(1), ih)).toMatchObject({ ...actual, creditedUploaded: 1_000, creditedDownloaded: 0 });
    expect(await credited(acct(2), ih)).toMatchObject({ ...actual, creditedUploaded: 0, creditedDownloaded: 0 });
    expect(await credited(acct(3), ih)).toMatchObject({ ...actual, creditedUploaded: 2_000, creditedDownloaded: 5_000 });
    const listed = (await (await call(`/api/torrents/${ih}`)).json()) as Record<string, unknown>;
    expect(listed).toMatchObject({ freeleech: false, neutral: false, doubleUpload: true });
  });

  it("accrues seed time between a seed's announces, capped for long gaps", async () => {
    const ih = await torrent();
    const pid = peerId("seedtime");
    const t0 = tick();
    await announce(pk[4]!, { infoHash: ih, peerId: pid, left: 0, event: "started", ip: "10.31.0.1", now: t0 });
    await announce(pk[4]!, { infoHash: ih, peerId: pid, left: 0, ip: "10.31.0.1", now: t0 + 1_800_000 });
    // A gap longer than twice the interval earns nothing (the client was away).
    await announce(pk[4]!, { infoHash: ih, peerId: pid, left: 0, ip: "10.31.0.1", now: t0 + 1_800_000 + 4 * 3_600_000 });
    await flushShard(ih);
    expect(await credited(acct(4), ih)).toMatchObject({ seedSeconds: 1_800 });
  });

  it("gives a slowed member fewer peers, a longer interval and a warning", async () => {
    const ih = await torrent();
    for (let i = 0; i < 6; i++) await announce(pk[i]!, { infoHash: ih, peerId: peerId(`sl${i}`), left: 0, event: "started", ip: `10.32.0.${i + 1}` });
    const slowPk = await addMember(acct(40));
    const normal = await announce(slowPk, { infoHash: ih, peerId: peerId("slow"), left: 10, event: "started", ip: "10.32.1.1" });
    expect(normal.body.interval as number).toBeLessThan(2 * 1_800);
    expect((await admin(`/admin/members/${acct(40)}`, { body: JSON.stringify({ slowed: true }), headers: { "Content-Type": "application/json" } })).status).toBe(200);
    const slowed = await announce(slowPk, { infoHash: ih, peerId: peerId("slow"), left: 10, ip: "10.32.1.1", extra: "numwant=50" });
    expect(slowed.body.interval as number).toBeGreaterThanOrEqual(2 * 1_800);
    expect(text(slowed.body["warning message"])).toMatch(/slowed/);
    expect(peerList(slowed.body).length).toBeLessThanOrEqual(6);
  });

  it("keeps every byte of info_hash and peer_id as sent: ids differing in one high byte are two sessions", async () => {
    const ih = await torrent();
    const a = peerId("bytes");
    const b = Uint8Array.from(a);
    a[19] = 0xff;
    b[19] = 0xfe;
    await announce(pk[6]!, { infoHash: ih, peerId: a, left: 0, event: "started", ip: "10.33.0.1" });
    await announce(pk[6]!, { infoHash: ih, peerId: b, left: 0, event: "started", ip: "10.33.0.2" });
    await flushShard(ih);
    expect((await accountingRows(acct(6), ih)).map((r) => r.peerId).sort()).toEqual([toHex(b), toHex(a)].sort());
  });
});
