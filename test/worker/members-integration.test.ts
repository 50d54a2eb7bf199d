// What a private tracker gives its members beyond announces: invites within a quota and the
// invite tree, passkey reset (the old passkey stops at once, in the swarm shards too),
// snatched/seeding/leeching lists and the ratio, and the hot list newcomers seed from.

import { SELF, env, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { bytesToBinary, fromHex } from "../../protocol/hex.ts";
import { EV_NONE } from "../../worker/swarm/credit.ts";
import { shardName, shardOf, type SwarmShard } from "../../worker/swarm/shard.ts";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { fixture } from "./support/fixture.ts";
import type { LocalAccount } from "viem";
import { ORIGIN, addMember, admin, announce, call, credited, flushShard, memberAction, nowSeconds, peerId, signed, text, tick, uploadTorrent } from "./support/worker.ts";

const acct = (n: number) => `0x${(0x3e00 + n).toString(16).padStart(40, "0")}`;
const json = (body: unknown): RequestInit => ({ method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });

async function join(invite: string): Promise<{ account: string; passkey: string; wallet: LocalAccount }> {
  const wallet = privateKeyToAccount(generatePrivateKey());
  const res = await call("/api/members/join", await signed(wallet, "MemberJoin", { member: wallet.address, nonce: 1n, expiry: nowSeconds() + 600n }, { invite }));
  expect(res.status).toBe(200);
  return { ...((await res.json()) as { account: string; passkey: string }), wallet };
}

// Invites and passkey resets are signed by the member's wallet (a MemberAction), never made with the passkey.
const invite = async (m: { wallet: LocalAccount }) => call("/api/members/invites", await memberAction(m.wallet, "invite"));

describe("invites and the invite tree", () => {
  it("lets a member make invites up to their quota, and records who brought whom", async () => {
    const root = await (await admin("/admin/invites")).json() as { invite: string };
    const alice = await join(root.invite);

    const made: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await invite(alice);
      expect(res.status).toBe(201);
      made.push(((await res.json()) as { invite: string }).invite);
    }
    const over = await invite(alice);
    expect(over.status).toBe(403);
    expect(await over.json()).toMatchObject({ error: { code: "invite_quota" } });

    const bob = await join(made[0]!);
    const bobsInvite = ((await (await invite(bob)).json()) as { invite: string }).invite;
    const carol = await join(bobsInvite);

    const mine = (await (await call("/api/members/invites/list", await memberAction(alice.wallet, "list-invites"))).json()) as { quota: number; remaining: number; invites: { code: string; usedBy: string | null }[]; invited: { account: string; invited: { account: string }[] }[] };
    expect(mine).toMatchObject({ quota: 2, remaining: 0 });
    expect(mine.invites.map((i) => [i.code, i.usedBy])).toEqual([
      [made[0], bob.account],
      [made[1], null],
    ]);
    expect(mine.invited).toMatchObject([{ account: bob.account, invited: [{ account: carol.account, invited: [] }] }]);

    const tree = (await (await admin(`/admin/invite-tree?account=${alice.account}`, { method: "GET" })).json()) as { tree: unknown[] };
    expect(tree.tree).toMatchObject([{ account: alice.account, admission: "invite", invited: [{ account: bob.account, invited: [{ account: carol.account }] }] }]);

    // Admins raise a quota.
    expect((await admin(`/admin/members/${alice.account}`, json({ inviteQuota: 3 }))).status).toBe(200);
    expect((await invite(alice)).status).toBe(201);
  });
});

describe("passkey reset", () => {
  const f = fixture(30_000, 920, "reset.bin");
  beforeAll(async () => {
    expect((await uploadTorrent(f)).status).toBe(201);
  });

  it("stops the old passkey at once, at the worker and in the swarm shards, and the new one works", async () => {
    const wallet = privateKeyToAccount(generatePrivateKey());
    const old = await addMember(wallet.address);
    expect((await announce(old, { infoHash: f.infoHash, peerId: peerId("rst"), left: 0, event: "started", ip: "10.60.0.1" })).body["failure reason"]).toBeUndefined();
    const res = await call("/api/members/passkey", await memberAction(wallet, "reset-passkey"));
    expect(res.status).toBe(200);
    const { passkey } = (await res.json()) as { passkey: string };
    expect(passkey).toMatch(/^[0-9a-f]{32}$/);
    expect(passkey).not.toBe(old);

    const refused = await announce(old, { infoHash: f.infoHash, peerId: peerId("rst"), left: 0, ip: "10.60.0.1" });
    expect(text(refused.body["failure reason"])).toMatch(/passkey/);
    expect((await call(`/${old}/stats`)).status).toBe(403);
    expect((await announce(passkey, { infoHash: f.infoHash, peerId: peerId("rst"), left: 0, ip: "10.60.0.1" })).body["failure reason"]).toBeUndefined();

    // An isolate that still caches the old passkey reaches the shard, which refuses it.
    const shard = env.SWARM.get(env.SWARM.idFromName(shardName(shardOf(f.infoHash))));
    const r = await runInDurableObject(shard, (s: SwarmShard) =>
      s.announce({ ih: f.infoHash, pid: bytesToBinary(peerId("rst")), pk: old, client: true, ep: "\x0a\x3c\x00\x01\x1a\xe1", up: 0, down: 0, left: 0, ev: EV_NONE, nw: 50, now: tick(), tid: 0, ids: false }),
    );
    expect(r).toMatchObject({ ok: false, code: "revoked_passkey" });
  });

  it("closes a WebTorrent connection made with the old passkey", async () => {
    const old = await addMember(acct(2));
    const up = await SELF.fetch(`${ORIGIN}/${old}/announce`, { headers: { Upgrade: "websocket" } });
    expect(up.status).toBe(101);
    const ws = up.webSocket!;
    ws.accept();
    const closed = new Promise<number>((resolve) => ws.addEventListener("close", (e) => resolve(e.code)));
    const replies: unknown[] = [];
    ws.addEventListener("message", (e) => replies.push(JSON.parse(e.data as string)));
    ws.send(JSON.stringify({ action: "announce", info_hash: bytesToBinary(fromHex(f.infoHash)), peer_id: "-WW0208-resetresetre", left: 0, event: "started", numwant: 0, offers: [] }));
    for (let i = 0; i < 100 && replies.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(replies[0]).toMatchObject({ action: "announce", complete: 1 });

    expect((await admin(`/admin/members/${acct(2)}/passkey`)).status).toBe(200);
    expect(await closed).toBe(4001);
  });
});

describe("a member's lists, ratio and the hot list", () => {
  const a = fixture(40_000, 930, "lists-a.bin");
  const b = fixture(40_000, 931, "lists-b.bin");
  const c = fixture(40_000, 932, "lists-c.bin");
  let pk: string;
  beforeAll(async () => {
    pk = await addMember(acct(3));
    for (const t of [a, b, c]) expect((await uploadTorrent(t)).status).toBe(201);
  });

  it("lists snatched, seeding and leeching torrents, and the ratio of credited bytes", async () => {
    // a: downloaded in full, now seeding; b: snatched, then stopped; c: leeching.
    await announce(pk, { infoHash: a.infoHash, peerId: peerId("la"), left: 40_000, event: "started", ip: "10.61.0.1" });
    await announce(pk, { infoHash: a.infoHash, peerId: peerId("la"), left: 0, downloaded: 40_000, uploaded: 20_000, event: "completed", ip: "10.61.0.1" });
    await announce(pk, { infoHash: b.infoHash, peerId: peerId("lb"), left: 40_000, event: "started", ip: "10.61.0.1" });
    await announce(pk, { infoHash: b.infoHash, peerId: peerId("lb"), left: 0, downloaded: 40_000, uploaded: 60_000, event: "stopped", port: 0, ip: "10.61.0.1" });
    await announce(pk, { infoHash: c.infoHash, peerId: peerId("lc"), left: 40_000, event: "started", ip: "10.61.0.1" });
    await announce(pk, { infoHash: c.infoHash, peerId: peerId("lc"), left: 30_000, downloaded: 10_000, ip: "10.61.0.1" });
    for (const t of [a, b, c]) await flushShard(t.infoHash);

    const list = async (name: string) => ((await (await call(`/${pk}/torrents/${name}`)).json()) as { torrents: { infoHash: string; left?: number | null; clients: string[] }[] }).torrents;
    expect((await list("snatched")).map((t) => t.infoHash).sort()).toEqual([a.infoHash, b.infoHash].sort());
    expect(await list("seeding")).toMatchObject([{ infoHash: a.infoHash, left: 0, clients: ["-qB4650-"] }]);
    expect(await list("leeching")).toMatchObject([{ infoHash: c.infoHash, left: 30_000 }]);
    expect((await call(`/${pk}/torrents/everything`)).status).toBe(404);

    const stats = (await (await call(`/${pk}/stats`)).json()) as Record<string, unknown>;
    expect(stats).toMatchObject({ uploaded: 80_000, downloaded: 90_000, creditedUploaded: 80_000, creditedDownloaded: 90_000, snatched: 2 });
    expect(stats.ratio).toBeCloseTo(80_000 / 90_000, 10);
  });

  it("lists torrents that need seeders, and a newcomer who downloads one others are waiting for is not charged for it but is credited for seeding it", async () => {
    const hot = fixture(40_000, 933, "hot.bin");
    expect((await uploadTorrent(hot)).status).toBe(201);
    const veteran = await addMember(acct(4));
    await announce(veteran, { infoHash: hot.infoHash, peerId: peerId("hv"), left: 0, event: "started", ip: "10.62.0.1" });
    await announce(veteran, { infoHash: hot.infoHash, peerId: peerId("hw"), left: 40_000, event: "started", ip: "10.62.0.2" });
    await flushShard(hot.infoHash);
    const list = (await (await call("/api/torrents/hot")).json()) as { maxSeeders: number; torrents: { infoHash: string; seeders: number; leechers: number }[] };
    expect(list.torrents.find((t) => t.infoHash === hot.infoHash)).toMatchObject({ seeders: 1, leechers: 1 });

    const newcomer = await addMember(acct(5), { joinedAt: Date.now() });
    const t0 = tick();
    await announce(newcomer, { infoHash: hot.infoHash, peerId: peerId("nc"), left: 40_000, event: "started", ip: "10.62.1.1", now: t0 });
    await announce(newcomer, { infoHash: hot.infoHash, peerId: peerId("nc"), left: 0, downloaded: 40_000, event: "completed", ip: "10.62.1.1", now: t0 + 400_000 });
    await announce(newcomer, { infoHash: hot.infoHash, peerId: peerId("nc"), left: 0, downloaded: 40_000, uploaded: 15_000, ip: "10.62.1.1", now: t0 + 800_000 });
    await flushShard(hot.infoHash);
    expect(await credited(acct(5), hot.infoHash)).toMatchObject({ downloaded: 40_000, creditedDownloaded: 0, uploaded: 15_000, creditedUploaded: 15_000 });

    // A veteran pays for the same download.
    await announce(veteran, { infoHash: hot.infoHash, peerId: peerId("hw"), left: 0, downloaded: 40_000, ip: "10.62.0.2" });
    await flushShard(hot.infoHash);
    expect(await credited(acct(4), hot.infoHash)).toMatchObject({ creditedDownloaded: 40_000 });

    // A torrent with few seeds that nobody is waiting for is not free, even for a newcomer.
    const quiet = fixture(40_000, 934, "quiet.bin");
    expect((await uploadTorrent(quiet)).status).toBe(201);
    await announce(veteran, { infoHash: quiet.infoHash, peerId: peerId("qv"), left: 0, event: "started", ip: "10.62.2.1" });
    const t1 = tick();
    await announce(newcomer, { infoHash: quiet.infoHash, peerId: peerId("nq"), left: 40_000, event: "started", ip: "10.62.2.2", now: t1 });
    await announce(newcomer, { infoHash: quiet.infoHash, peerId: peerId("nq"), left: 0, downloaded: 40_000, event: "completed", ip: "10.62.2.2", now: t1 + 400_000 });
    await flushShard(quiet.infoHash);
    expect(await credited(acct(5), quiet.infoHash)).toMatchObject({ downloaded: 40_000, creditedDownloaded: 40_000 });
  });
});
