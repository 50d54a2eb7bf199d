import { env, runDurableObjectAlarm } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { db, schema } from "../../worker/db/client.ts";
import { shardName, shardOf } from "../../worker/swarm/shard.ts";
import { fixture } from "./support/fixture.ts";
import { addMember, announce, call, peerId, text, uploadTorrent } from "./support/worker.ts";

const alice = "0x00000000000000000000000000000000000a11ce";
const bob = "0x0000000000000000000000000000000000000b0b";

describe("announce", () => {
  const f = fixture(100_000, 11, "announce.bin");
  let pkA: string;
  let pkB: string;

  beforeAll(async () => {
    pkA = await addMember(alice);
    pkB = await addMember(bob);
    expect((await uploadTorrent(f)).status).toBe(201);
  });

  it("answers a first announce with an empty but present peers string", async () => {
    const { status, body } = await announce(pkA, { infoHash: f.infoHash, peerId: peerId("a1"), left: 0, event: "started", ip: "10.0.0.1" });
    expect(status).toBe(200);
    expect(body["failure reason"]).toBeUndefined();
    expect(body.peers).toBeInstanceOf(Uint8Array);
    expect((body.peers as Uint8Array).length).toBe(0);
    expect(body.peers6).toBeUndefined();
    expect(body).toMatchObject({ complete: 1, incomplete: 0 });
    expect(body.interval).toBeGreaterThanOrEqual(1800);
    expect(body["min interval"]).toBe(300);
  });

  it("returns other peers in compact form, IPv6 ones in peers6", async () => {
    await announce(pkA, { infoHash: f.infoHash, peerId: peerId("a1"), left: 0, ip: "2001:db8::5", port: 6881 });
    const { body } = await announce(pkB, { infoHash: f.infoHash, peerId: peerId("b1"), left: 500, event: "started", ip: "10.0.0.2", port: 51413 });
    expect(Array.from(body.peers as Uint8Array)).toEqual([10, 0, 0, 1, 0x1a, 0xe1]);
    const v6 = body.peers6 as Uint8Array;
    expect(v6.length).toBe(18);
    expect(Array.from(v6.slice(0, 2))).toEqual([0x20, 0x01]);
    expect(Array.from(v6.slice(16))).toEqual([0x1a, 0xe1]);
    expect(body).toMatchObject({ complete: 1, incomplete: 1 });
  });

  it("credits deltas per (member, info hash, peer id) and flushes them to D1 in a batch", async () => {
    const ih = f.infoHash;
    const pid = peerId("b1"); // first seen in the previous test with zero counters
    await announce(pkB, { infoHash: ih, peerId: pid, left: 500, uploaded: 1_000, downloaded: 4_000, ip: "10.0.0.2" });
    // The same session over IPv6 with the same counters: nothing is credited twice.
    await announce(pkB, { infoHash: ih, peerId: pid, left: 500, uploaded: 1_000, downloaded: 4_000, ip: "2001:db8::b" });
    await announce(pkB, { infoHash: ih, peerId: pid, left: 0, uploaded: 1_500, downloaded: 4_500, event: "completed", ip: "10.0.0.2" });
    // A counter going down is a new session: zero credit, and the next delta counts from it.
    await announce(pkB, { infoHash: ih, peerId: pid, left: 0, uploaded: 100, downloaded: 0, ip: "10.0.0.2" });
    await announce(pkB, { infoHash: ih, peerId: pid, left: 0, uploaded: 300, downloaded: 0, ip: "10.0.0.2" });

    const rowBefore = await db(env.DB).select().from(schema.accounting).where(eq(schema.accounting.member, bob)).get();
    expect(rowBefore).toBeUndefined(); // no D1 write per announce

    const stub = env.SWARM.get(env.SWARM.idFromName(shardName(shardOf(ih))));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const row = await db(env.DB)
      .select()
      .from(schema.accounting)
      .where(and(eq(schema.accounting.member, bob), eq(schema.accounting.infoHash, ih)))
      .get();
    // uploaded: 0→1000→1000→1500, reset to 100 (zero), →300: 1000 + 500 + 200.
    expect(row).toMatchObject({ uploaded: 1_700, downloaded: 4_500, peerId: Array.from(pid, (b) => b.toString(16).padStart(2, "0")).join("") });
    expect(row!.announces).toBe(6);

    const { body } = await announce(pkA, { infoHash: ih, peerId: peerId("a1"), left: 0, ip: "10.0.0.1" });
    expect(body.downloaded).toBe(1);
    expect(body.complete).toBe(2);
  });

  it("drops a stopped peer from the swarm", async () => {
    const ih = fixture(50_000, 12, "stopped.bin");
    await uploadTorrent(ih);
    await announce(pkA, { infoHash: ih.infoHash, peerId: peerId("s1"), left: 10, ip: "10.0.0.9" });
    await announce(pkA, { infoHash: ih.infoHash, peerId: peerId("s1"), left: 10, ip: "10.0.0.9", event: "stopped", port: 0, extra: "numwant=0" });
    const { body } = await announce(pkB, { infoHash: ih.infoHash, peerId: peerId("s2"), left: 10, ip: "10.0.0.8" });
    expect((body.peers as Uint8Array).length).toBe(0);
    expect(body.incomplete).toBe(1);
  });

  it("fails with HTTP 200 and a bencoded reason for an unknown passkey", async () => {
    const { status, body } = await announce("0123456789abcdef0123456789abcdef", { infoHash: f.infoHash, peerId: peerId("x"), ip: "10.0.0.3" });
    expect(status).toBe(200);
    expect(text(body["failure reason"])).toMatch(/passkey/);
    expect(body.interval).toBeTypeOf("number");
    expect(body["min interval"]).toBeTypeOf("number");
  });

  it("fails for a torrent that is not registered", async () => {
    const { status, body } = await announce(pkA, { infoHash: "ff".repeat(20), peerId: peerId("x"), ip: "10.0.0.3" });
    expect(status).toBe(200);
    expect(text(body["failure reason"])).toBe("Unregistered torrent");
  });

  it("fails for an info_hash of the wrong length, and for a bad escape", async () => {
    const res = await call(`/${pkA}/announce?info_hash=${"%aa".repeat(19)}&peer_id=${"%bb".repeat(20)}&port=1&left=0`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/failure reason.*20 bytes/);
    const bad = await call(`/${pkA}/announce?info_hash=%zz&peer_id=${"%bb".repeat(20)}&port=1&left=0`);
    expect(bad.status).toBe(200);
    expect(await bad.text()).toMatch(/^d14:failure reason/);
  });

  it("answers a request with no query at all with a bencoded failure", async () => {
    const res = await call("/x/announce");
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^d14:failure reason/);
  });
});
