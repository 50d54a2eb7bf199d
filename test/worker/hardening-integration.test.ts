// Issue 10 ("Hardening"), findings 2, 5 and parts of 8: one party's crafted torrent, report or
// request never stops the service for the others. Each test tries the attack on the real stack
// (workerd, D1, the scheduler Durable Object, real TCP seeders) and checks that honest members,
// nodes and challenges carry on while it is tried.

import { env } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { eq } from "drizzle-orm";
import { privateKeyToAccount } from "viem/accounts";
import { asDict, decode, encode } from "../../protocol/bencode.ts";
import { parseTorrent } from "../../protocol/torrent.ts";
import type { Transcript } from "../../protocol/challenge/transcript.ts";
import { db, schema } from "../../worker/db/client.ts";
import { addTorrent } from "../../worker/torrents/routes.ts";
import { batchSql, type AccRow } from "../../worker/swarm/flush.ts";
import { fixture } from "./support/fixture.ts";
import { nextSeederAccount } from "./support/seeder-keys.ts";
import { addMember, admin, announce, call, nowSeconds, peerId, registerHosting, signed, uploadTorrent } from "./support/worker.ts";

const f = fixture();
const d = () => db(env.DB);

async function round(node?: string): Promise<Transcript[]> {
  const res = await admin(`/admin/challenges/run${node ? `?node=${node}` : ""}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { results: Transcript[] }).results;
}

async function adminUpload(bytes: Uint8Array, query = ""): Promise<Response> {
  return admin(`/api/torrents${query}`, { body: bytes, headers: { "Content-Type": "application/x-bittorrent" } });
}

/** A torrent row as an upload before this fix could have stored it (the bounds now refuse such files). */
async function insertRow(infoHash: string, o: { length: number; status?: string; uploadedBy?: string | null; name?: string }) {
  await d()
    .insert(schema.torrents)
    .values({
      infoHash,
      name: o.name ?? `legacy-${infoHash.slice(0, 6)}`,
      length: o.length,
      pieceLength: 2 ** 50,
      files: "[]",
      storageRoot: "ab".repeat(32),
      metainfo: new Uint8Array([0x64, 0x65]),
      status: o.status ?? "approved",
      uploadedBy: o.uploadedBy ?? null,
      createdAt: Date.now(),
    });
}

let nonce = 10n;
async function reportHosted(node: ReturnType<typeof privateKeyToAccount>, infoHashes: string[]): Promise<Response> {
  return call("/api/nodes/hosted", await signed(node, "HostedSubset", { node: node.address, infoHashes: infoHashes.map((h) => `0x${h}` as const), nonce: nonce++, expiry: nowSeconds() + 600n }));
}

async function registerOnly(port: number) {
  // A key the test seeders hold: a pass needs the node's signed answer (issue 12).
  const node = nextSeederAccount();
  const reg = await call("/api/nodes/register", await signed(node, "NodeRegistration", { node: node.address, port, nonce: 1n, expiry: nowSeconds() + 600n }));
  expect(reg.status).toBe(200);
  return node;
}

describe("hardening: crafted torrents, reports and requests stop nobody else", () => {
  let honest: string;
  let crafted: string;
  let suspended: string;

  it("refuses a v1 torrent whose files sum past 2^53 bytes with a 400 (attack: one crafted upload stops every challenge)", async () => {
    // The original attack: two safe lengths summing past 2^53, a huge piece length so 9 pieces "cover" it.
    const info = { name: "sum", "piece length": 2 ** 50, private: 1, pieces: new Uint8Array(20 * 9), files: [{ path: ["a"], length: 2 ** 52 + 1 }, { path: ["b"], length: 2 ** 52 + 1 }] };
    const res = await adminUpload(encode({ info }), `?storageRoot=${"ab".repeat(32)}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "invalid_torrent" });
    // An honest upload goes on as before.
    expect((await uploadTorrent(f)).status).toBe(201);
  });

  it("refuses the v2 piece-layer bomb and a wrapped piece length with a 400 (attack: v2 piece-layer bomb)", async () => {
    const root = new Uint8Array(32).fill(7);
    const bomb = (pieceLength: number) =>
      encode({
        info: { name: "bomb", "piece length": pieceLength, "meta version": 2, private: 1, "file tree": { "f.bin": { "": { length: pieceLength + 1, "pieces root": root } } } },
        "piece layers": { [String.fromCharCode(...root)]: new Uint8Array(64) },
      });
    for (const pl of [2 ** 36, 2 ** 32 + 16384]) {
      const bytes = bomb(pl);
      expect(bytes.length).toBeLessThan(400);
      const res = await adminUpload(bytes);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/piece length/);
    }
    expect((await call(`/api/torrents/${f.infoHash}`)).status).toBe(200);
  });

  it("refuses names with control or bidi-override characters, in the name and inside files (attack: a name that reads as another)", async () => {
    const pieces = new Uint8Array(20);
    const cases = [
      { name: "holiday\u202Egpj.exe", length: 1, pieces, "piece length": 16384, private: 1 },
      { name: "set", pieces, "piece length": 16384, private: 1, files: [{ path: ["ok", "bad\u0007name"], length: 1 }] },
    ];
    for (const info of cases) {
      const res = await adminUpload(encode({ info }), `?storageRoot=${"ab".repeat(32)}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/control or bidirectional/);
    }
  });

  it("accepts hosted subsets naming only approved torrents (attack: hosting a pending upload to draw rounds and rewards)", async () => {
    const pending = fixture(40_000, 11, "pending.bin");
    await insertRow(pending.infoHash, { length: 40_000, status: "pending", uploadedBy: "0x" + "11".repeat(20) });
    const node = await registerOnly(inject("honestSeederPort"));
    const res = await reportHosted(node, [f.infoHash, pending.infoHash]);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { hosted: string[] }).hosted).toEqual([f.infoHash]);
    honest = node.address.toLowerCase();
  });

  it("keeps challenging honest nodes while another hosts a torrent of unsafe length: its round is skipped and logged (attack: one crafted upload stops every challenge)", async () => {
    crafted = "cc".repeat(20);
    await insertRow(crafted, { length: 2 ** 53 + 2 });
    // One endpoint per node (gate): the attacker's round is skipped before any dial, so a closed port does.
    const attacker = await registerHosting(inject("closedPort"), crafted);
    const results = await round();
    const mine = results.filter((t) => t.node === honest);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ verdict: "pass", infoHash: f.infoHash });
    expect(results.filter((t) => t.node === attacker)).toEqual([]);
    // Its next rounds are skipped too, and never take the honest node's with them.
    const again = await round();
    expect(again.filter((t) => t.node === honest).map((t) => t.verdict)).toEqual(["pass"]);
  });

  it("answers GET /api/hosting/offers for everyone while a torrent of unsafe length is in the index (attack: one crafted upload stops every challenge)", async () => {
    const res = await call("/api/hosting/offers");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { offers: { infoHash: string }[] };
    expect(body.offers.map((o) => o.infoHash)).toContain(f.infoHash);
    expect(body.offers.map((o) => o.infoHash)).not.toContain(crafted);
  });

  it("suspends a node: no rounds, no offers, no hosted reports, its passes of the open epoch withdrawn; the honest node goes on (attack: a node an admin must stop)", async () => {
    // The honest seeder's endpoint is the honest node's: this one serves the same data from the flaky seeder (its retry passes).
    const node = await registerOnly(inject("flakySeederPort"));
    expect((await reportHosted(node, [f.infoHash])).status).toBe(200);
    suspended = node.address.toLowerCase();
    expect((await round(suspended)).map((t) => t.verdict)).toEqual(["pass"]);

    expect((await admin(`/admin/nodes/${suspended}/suspend`, { body: JSON.stringify({ reason: "test" }) })).status).toBe(200);
    expect(await d().select().from(schema.challenges).where(eq(schema.challenges.node, suspended))).toEqual([]);
    expect(await round(suspended)).toEqual([]);
    expect((await round()).some((t) => t.node === suspended)).toBe(false);
    expect((await call(`/api/hosting/offers?node=${suspended}`)).status).toBe(403);
    const report = await reportHosted(node, [f.infoHash]);
    expect(report.status).toBe(403);
    expect(((await report.json()) as { error: { code: string } }).error.code).toBe("node_suspended");
    expect((await admin("/admin/nodes/0xnot-an-address/suspend")).status).toBe(400);
    expect((await admin(`/admin/nodes/${"0x" + "99".repeat(20)}/suspend`)).status).toBe(404);
    // The honest node is challenged and offered as before.
    expect((await round(honest)).map((t) => t.verdict)).toEqual(["pass"]);
    expect((await call(`/api/hosting/offers?node=${honest}`)).status).toBe(200);
  });

  it("removes a torrent: it leaves the index, every hosted subset and the rounds; announces are refused (attack: a torrent an admin must take down)", async () => {
    const g = fixture(30_000, 7, "removable.bin");
    expect((await uploadTorrent(g)).status).toBe(201);
    const host = await registerHosting(inject("corruptSeederPort"), g.infoHash);
    const removed = await admin(`/admin/torrents/${g.infoHash}/remove`);
    expect(removed.status).toBe(200);
    expect(await removed.json()).toMatchObject({ status: "removed", unhostedBy: [host] });
    expect((await call(`/api/torrents/${g.infoHash}`)).status).toBe(404);
    expect(((await (await call("/api/torrents")).json()) as { infoHash: string }[]).map((t) => t.infoHash)).not.toContain(g.infoHash);
    expect(await d().select().from(schema.hosted).where(eq(schema.hosted.infoHash, g.infoHash))).toEqual([]);
    expect(await round(host)).toEqual([]);
    const member = "0x" + "42".repeat(20);
    const passkey = await addMember(member);
    const a = await announce(passkey, { infoHash: g.infoHash, peerId: peerId("removed"), left: 30_000 });
    expect(a.body["failure reason"]).toBeDefined();
    expect((await call(`/${passkey}/torrent/${g.infoHash}`)).status).toBe(404);
    // The index and its honest torrent are untouched.
    const ok = await announce(passkey, { infoHash: f.infoHash, peerId: peerId("honest"), left: f.data.length });
    expect(ok.body["failure reason"]).toBeUndefined();
  });

  it("closes the epoch while a transcript names a torrent of unsafe length: that replica is skipped, the honest node is paid (attack: one crafted upload stops every challenge)", async () => {
    const [mine] = await d().select().from(schema.challenges).where(eq(schema.challenges.node, honest)).limit(1);
    await d()
      .insert(schema.challenges)
      .values({ ...mine!, id: `0x${"ee".repeat(32)}`, node: "0x" + "ee".repeat(20), infoHash: crafted });
    const res = await admin("/admin/epochs/close");
    expect(res.status).toBe(200);
    const status = (await (await call(`/api/nodes/${honest}`)).json()) as { cumulativeEarned: string };
    expect(BigInt(status.cumulativeEarned)).toBeGreaterThan(0n);
  });

  it("strips web seeds and DHT nodes from an uploaded private torrent, keeping its info hash (attack: peer sources beside the tracker, BEP 27)", async () => {
    const h = fixture(20_000, 5, "seeded.bin");
    const root = asDict(decode(h.torrent), "t");
    const withSeeds = encode({ ...(root as Record<string, Uint8Array>), "url-list": ["http://203.0.113.9/x"], httpseeds: ["http://203.0.113.9/y"], nodes: [["203.0.113.9", 6881]] });
    const res = await adminUpload(withSeeds, `?storageRoot=${h.storageRoot}`);
    expect(res.status).toBe(201);
    expect(((await res.json()) as { infoHash: string }).infoHash).toBe(h.infoHash);
    const [row] = await d().select({ metainfo: schema.torrents.metainfo }).from(schema.torrents).where(eq(schema.torrents.infoHash, h.infoHash));
    const stored = asDict(decode(row!.metainfo), "stored");
    expect(Object.keys(stored).filter((k) => ["url-list", "httpseeds", "nodes"].includes(k))).toEqual([]);
    expect(parseTorrent(row!.metainfo).infoHash).toBe(h.infoHash);
  });

  it("lets the curators upload an info hash a member's pending upload holds, even after a reject (attack: squatting an info hash)", async () => {
    const q = fixture(25_000, 9, "squatted.bin");
    const squatter = "0x" + "5a".repeat(20);
    await addTorrent(env, q.torrent, { storageRoot: q.storageRoot }, { status: "pending", uploadedBy: squatter });
    // Another member's upload of the same hash is still refused: the first pending one waits for a curator.
    await expect(addTorrent(env, q.torrent, { storageRoot: q.storageRoot }, { status: "pending", uploadedBy: "0x" + "5b".repeat(20) })).rejects.toMatchObject({ status: 409 });
    expect((await admin(`/admin/torrents/${q.infoHash}/reject`)).status).toBe(200);
    const res = await uploadTorrent(q);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ infoHash: q.infoHash, status: "approved", uploadedBy: null });
    // Once a curator approved it, nobody else's upload replaces it, curators' included.
    await expect(addTorrent(env, q.torrent, { storageRoot: q.storageRoot }, { status: "pending", uploadedBy: squatter })).rejects.toMatchObject({ status: 409 });
    expect((await uploadTorrent(q)).status).toBe(409);
  });

  it("answers a search for a word past D1's 50-byte LIKE pattern limit with results, never 500 (attack: long search word)", async () => {
    const word = "x".repeat(30) + "LongWord" + "y".repeat(30);
    const long = fixture(21_000, 3, `${word}.bin`);
    expect((await uploadTorrent(long)).status).toBe(201);
    const hit = await call(`/api/torrents/search?q=${encodeURIComponent(word.toLowerCase())}`);
    expect(hit.status).toBe(200);
    expect(((await hit.json()) as { torrents: { infoHash: string }[] }).torrents.map((t) => t.infoHash)).toEqual([long.infoHash]);
    const miss = await call(`/api/torrents/search?q=${"z".repeat(150)}%25_`);
    expect(miss.status).toBe(200);
    expect(((await miss.json()) as { total: number }).total).toBe(0);
  });

  it("applies a flush batch whose one row carries an unsafe counter: that value is written as 0, every other row lands (attack: one member's bad state stops a shard's flush)", async () => {
    const good = "0x" + "61".repeat(20);
    const bad = "0x" + "62".repeat(20);
    const row = (member: string, up: number): AccRow => [member, f.infoHash, "aa".repeat(20), up, 0, up, 0, 0, 1, Date.now(), 0];
    const sql = batchSql({ shard: 999, seq: 1, at: Date.now(), acc: [row(good, 1_000), row(bad, 2 ** 53 + 2)], swarms: [] });
    await env.DB.batch(sql.map((q) => env.DB.prepare(q)));
    const rows = await d().select({ member: schema.accounting.member, uploaded: schema.accounting.uploaded }).from(schema.accounting).where(eq(schema.accounting.infoHash, f.infoHash));
    expect(rows.find((r) => r.member === good)?.uploaded).toBe(1_000);
    expect(rows.find((r) => r.member === bad)?.uploaded).toBe(0);
  });
});

