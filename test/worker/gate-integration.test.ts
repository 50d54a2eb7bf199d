// The gate holds (issue 10, findings 1, 6 and 8): a node key is not a membership, a passkey is
// not an account credential, the site's headers and sign-in do not trust the request, one
// endpoint belongs to one node, and only proven hosts move a storage root's status. Each test
// tries the attack and checks that honest members and nodes carry on meanwhile.

import { SELF, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import type { LocalAccount } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { asBytes, asDict, decode } from "../../protocol/bencode.ts";
import { MAX_FETCHING } from "../../protocol/params.ts";
import { fromHex } from "../../protocol/hex.ts";
import { db, schema } from "../../worker/db/client.ts";
import { fixture } from "./support/fixture.ts";
import { messageFor, post, signIn, challenge } from "./support/site.ts";
import {
  ORIGIN,
  addMember,
  admin,
  announce,
  call,
  memberAction,
  nowSeconds,
  peerId,
  pct,
  peerList,
  proveHosts,
  signed,
  signedUpload,
  text,
  uploadTorrent,
} from "./support/worker.ts";

const hex0x = (h: string) => `0x${h}` as `0x${string}`;
let nonce = 1n;
const next = () => nonce++;

async function registerNode(opts: { port?: number; ip?: string; wallet?: LocalAccount } = {}): Promise<{ wallet: LocalAccount; address: string; key: string; res: Response }> {
  const wallet = opts.wallet ?? privateKeyToAccount(generatePrivateKey());
  const init = await signed(wallet, "NodeRegistration", { node: wallet.address, port: opts.port ?? 6881, nonce: next(), expiry: nowSeconds() + 600n });
  const res = await call("/api/nodes/register", { ...init, headers: { ...(init.headers as Record<string, string>), ...(opts.ip ? { "CF-Connecting-IP": opts.ip } : {}) } });
  const key = res.status === 200 ? ((await res.clone().json()) as { passkey: string }).passkey : "";
  return { wallet, address: wallet.address.toLowerCase(), key, res };
}

const report = async (wallet: LocalAccount, type: "HostedSubset" | "FetchSubset", hashes: string[]) =>
  call(type === "HostedSubset" ? "/api/nodes/hosted" : "/api/nodes/fetching", await signed(wallet, type, { node: wallet.address, infoHashes: hashes.map(hex0x), nonce: next(), expiry: nowSeconds() + 600n }));

/** A member who seeds `infoHash` from `ip`, so swarms have someone to hand out. */
async function seeder(infoHash: string, ip: string): Promise<string> {
  const wallet = privateKeyToAccount(generatePrivateKey());
  const pk = await addMember(wallet.address);
  const r = await announce(pk, { infoHash, peerId: peerId(`sd${ip.slice(-2)}`), left: 0, event: "started", ip });
  expect(r.body["failure reason"]).toBeUndefined();
  return pk;
}

describe("the access gate: a node key is not a membership", () => {
  it("gives a freshly registered node key no membership, site, invites, uploads or stats (attack: open access gate)", async () => {
    const node = await registerNode({ port: 7010 });
    expect(node.res.status).toBe(200);
    expect(node.key).toMatch(/^[0-9a-f]{32}$/);
    // No member row, so nothing a member has.
    expect(await db(env.DB).select().from(schema.members).where(eq(schema.members.account, node.address)).get()).toBeUndefined();
    expect((await call(`/${node.key}/stats`)).status).toBe(403);
    expect((await call(`/${node.key}/torrents/snatched`)).status).toBe(403);
    const invite = await call("/api/members/invites", await memberAction(node.wallet, "invite"));
    expect(invite.status).toBe(403);
    expect(await invite.json()).toMatchObject({ error: { code: "not_member" } });
    expect((await call("/api/members/passkey", await memberAction(node.wallet, "reset-passkey"))).status).toBe(403);
    expect((await signedUpload(node.wallet, fixture(20_000, 1_001, "node-upload.bin").torrent)).status).toBe(403);
    // Joining needs an invite or the stake: a node key has neither.
    const join = await call("/api/members/join", await signed(node.wallet, "MemberJoin", { member: node.wallet.address, nonce: 1n, expiry: nowSeconds() + 600n }));
    expect(join.status).toBe(403);

    // Meanwhile an honest member makes an invite and announces.
    const honest = privateKeyToAccount(generatePrivateKey());
    const pk = await addMember(honest.address);
    expect((await call("/api/members/invites", await memberAction(honest, "invite"))).status).toBe(201);
    const t = fixture(30_000, 1_002, "gate-honest.bin");
    expect((await uploadTorrent(t)).status).toBe(201);
    expect((await announce(pk, { infoHash: t.infoHash, peerId: peerId("hon1"), left: 30_000, event: "started", ip: "10.70.0.1" })).body["failure reason"]).toBeUndefined();
  });

  it("keeps a node's wallet out of the members' pages after it signs in (attack: open access gate)", async () => {
    const key = generatePrivateKey();
    const node = await registerNode({ wallet: privateKeyToAccount(key), port: 7011 });
    expect(node.res.status).toBe(200);
    const { res, cookie } = await signIn(key);
    expect(await res.json()).toMatchObject({ member: false });
    const upload = await call("/upload", { headers: { Cookie: cookie } });
    expect(upload.status).toBe(403);
    const t = fixture(20_000, 1_003, "gate-site.bin");
    expect((await uploadTorrent(t)).status).toBe(201);
    expect((await call(`/torrents/${t.infoHash}/download`, { headers: { Cookie: cookie } })).status).toBe(403);
  });

  it("refuses a node key's announce and .torrent download of a torrent it neither hosts nor fetches (attack: open access gate)", async () => {
    const t = fixture(30_000, 1_004, "gate-other.bin");
    expect((await uploadTorrent(t)).status).toBe(201);
    await seeder(t.infoHash, "10.71.0.1");
    const node = await registerNode({ port: 7012 });
    const r = await announce(node.key, { infoHash: t.infoHash, peerId: peerId("nd1"), left: 30_000, event: "started", ip: "10.71.0.2" });
    expect(text(r.body["failure reason"])).toMatch(/node key covers only/);
    expect(r.body.peers).toBeUndefined();
    expect((await call(`/${node.key}/torrent/${t.infoHash}`)).status).toBe(403);
    // Scrapes are for members.
    const scrape = asDict(decode(new Uint8Array(await (await call(`/${node.key}/scrape?info_hash=${pct(fromHex(t.infoHash))}`)).arrayBuffer())), "scrape");
    expect(text(scrape["failure reason"])).toMatch(/passkey/);

    // A member sees the seeder.
    const m = await addMember(privateKeyToAccount(generatePrivateKey()).address);
    const ok = await announce(m, { infoHash: t.infoHash, peerId: peerId("mem1"), left: 30_000, event: "started", ip: "10.71.0.3" });
    expect(peerList(ok.body)).toEqual(["10.71.0.1:6881"]);
    expect((await call(`/${m}/torrent/${t.infoHash}`)).status).toBe(200);
  });

  it("lets a node key download, announce and seed what it reported fetching or hosting, and nothing past MAX_FETCHING", async () => {
    const [fetchT, hostT, pendingT] = [fixture(30_000, 1_005, "gate-fetch.bin"), fixture(30_000, 1_006, "gate-host.bin"), fixture(30_000, 1_007, "gate-pending.bin")];
    for (const t of [fetchT, hostT]) expect((await uploadTorrent(t)).status).toBe(201);
    const uploader = privateKeyToAccount(generatePrivateKey());
    await addMember(uploader.address);
    expect((await signedUpload(uploader, pendingT.torrent, `?storageRoot=${pendingT.storageRoot}`)).status).toBe(201);
    await seeder(fetchT.infoHash, "10.72.0.1");
    const node = await registerNode({ port: 7013 });

    const fetching = await report(node.wallet, "FetchSubset", [fetchT.infoHash, pendingT.infoHash]);
    expect(fetching.status).toBe(200);
    // A pending torrent is not opened to a node key.
    expect(await fetching.json()).toEqual({ node: node.address, fetching: [fetchT.infoHash] });
    const file = await call(`/${node.key}/torrent/${fetchT.infoHash}`);
    expect(file.status).toBe(200);
    const meta = asDict(decode(new Uint8Array(await file.arrayBuffer())), "metainfo");
    expect(new TextDecoder().decode(asBytes(meta.announce, "announce"))).toBe(`${ORIGIN}/${node.key}/announce`);
    expect((await call(`/${node.key}/torrent/${pendingT.infoHash}`)).status).toBe(403);
    const got = await announce(node.key, { infoHash: fetchT.infoHash, peerId: peerId("nd2"), left: 30_000, event: "started", ip: "10.72.0.2" });
    expect(got.body["failure reason"]).toBeUndefined();
    expect(peerList(got.body)).toEqual(["10.72.0.1:6881"]);

    expect((await report(node.wallet, "HostedSubset", [hostT.infoHash])).status).toBe(200);
    const seeds = await announce(node.key, { infoHash: hostT.infoHash, peerId: peerId("nd3"), left: 0, event: "started", ip: "10.72.0.2" });
    expect(seeds.body["failure reason"]).toBeUndefined();

    const tooMany = await report(node.wallet, "FetchSubset", Array.from({ length: MAX_FETCHING + 1 }, (_, i) => i.toString(16).padStart(40, "0")));
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({ error: { code: "too_many_fetching" } });
    // An unregistered key cannot report what it fetches.
    const stranger = privateKeyToAccount(generatePrivateKey());
    expect((await report(stranger, "FetchSubset", [fetchT.infoHash])).status).toBe(409);
  });

  it("migrates node-members: their member row goes and their key moves to the node; an operator who is a member keeps membership (attack: open access gate)", async () => {
    const legacy = privateKeyToAccount(generatePrivateKey()).address.toLowerCase();
    const operator = privateKeyToAccount(generatePrivateKey()).address.toLowerCase();
    const d = db(env.DB);
    const now = Date.now();
    // The state migration 0005 finds: a node-member made by the open gate, and a staked member who also runs a node.
    await d.insert(schema.members).values([
      { account: legacy, passkey: "1a".repeat(16), admission: "node", createdAt: now },
      { account: operator, passkey: "2b".repeat(16), admission: "stake", createdAt: now },
    ]);
    await env.DB.prepare("UPDATE nodes SET passkey = NULL WHERE address IN (?, ?)").bind(legacy, operator).run();
    await d.insert(schema.nodes).values([
      { address: legacy, host: "10.73.0.1", port: 7014, registeredAt: now, updatedAt: now },
      { address: operator, host: "10.73.0.2", port: 7015, registeredAt: now, updatedAt: now },
    ]);
    await d.insert(schema.invites).values({ code: "legacy-node-invite", createdBy: legacy, createdAt: now });
    await d.insert(schema.sessions).values({ idHash: "ab".repeat(32), account: legacy, createdAt: now, expiresAt: now + 3_600_000 });

    // The migration's data statements, as written (its schema statements already ran).
    const m = env.TEST_MIGRATIONS.find((x) => x.name.startsWith("0005"))!;
    for (const q of m.queries.filter((q) => /^\s*(--[^\n]*\n\s*)*(UPDATE|DELETE)/i.test(q))) await env.DB.prepare(q).run();

    expect(await d.select().from(schema.members).where(eq(schema.members.account, legacy)).get()).toBeUndefined();
    expect((await d.select({ passkey: schema.nodes.passkey }).from(schema.nodes).where(eq(schema.nodes.address, legacy)).get())!.passkey).toBe("1a".repeat(16));
    expect(await d.select().from(schema.invites).where(eq(schema.invites.code, "legacy-node-invite")).get()).toBeUndefined();
    expect(await d.select().from(schema.sessions).where(eq(schema.sessions.account, legacy)).get()).toBeUndefined();
    expect((await d.select().from(schema.members).where(eq(schema.members.account, operator)).get())!.passkey).toBe("2b".repeat(16));
    const opKey = (await d.select({ passkey: schema.nodes.passkey }).from(schema.nodes).where(eq(schema.nodes.address, operator)).get())!.passkey!;
    expect(opKey).toMatch(/^[0-9a-f]{32}$/);
    expect(opKey).not.toBe("2b".repeat(16));
    // The old key is a node key now: no stats, and announces only for what the node hosts.
    expect((await call(`/${"1a".repeat(16)}/stats`)).status).toBe(403);
    expect((await call(`/${"2b".repeat(16)}/stats`)).status).toBe(200);
  });
});

describe("a passkey is not an account credential", () => {
  it("refuses invites, uploads and passkey resets made with a passkey alone (attack: passkey lifted from a .torrent)", async () => {
    const wallet = privateKeyToAccount(generatePrivateKey());
    const pk = await addMember(wallet.address);
    const t = fixture(30_000, 1_010, "gate-lifted.bin");
    expect((await uploadTorrent(t)).status).toBe(201);
    // Whoever holds the passkey: none of these routes exist any more.
    expect((await call(`/${pk}/invites`, { method: "POST" })).status).toBe(404);
    expect((await call(`/${pk}/invites`)).status).toBe(404);
    expect((await call(`/${pk}/passkey`, { method: "POST" })).status).toBe(404);
    expect((await call(`/${pk}/upload`, { method: "POST", body: fixture(20_000, 1_011).torrent })).status).toBe(404);
    // The API wants the wallet's signature, over the right action and the right content.
    const thief = privateKeyToAccount(generatePrivateKey());
    const forged = await signed(thief, "MemberAction", { member: wallet.address, action: "reset-passkey", subject: hex0x("00".repeat(32)), nonce: next(), expiry: nowSeconds() + 600n });
    expect((await call("/api/members/passkey", forged)).status).toBe(400);
    const wrongAction = await call("/api/members/passkey", await memberAction(wallet, "invite"));
    expect(wrongAction.status).toBe(400);
    expect(await wrongAction.json()).toMatchObject({ error: { code: "wrong_action" } });
    expect((await call("/api/torrents/upload", { method: "POST", body: fixture(20_000, 1_012).torrent })).status).toBe(401);
    const other = fixture(20_000, 1_013, "gate-swap.bin");
    const signedForOther = await signedUpload(wallet, other.torrent, `?storageRoot=${other.storageRoot}`);
    expect(signedForOther.status).toBe(201);
    // The passkey still works for the tracker, and was not reset by any of the above.
    expect((await announce(pk, { infoHash: t.infoHash, peerId: peerId("lift"), left: 0, event: "started", ip: "10.74.0.1" })).body["failure reason"]).toBeUndefined();
    expect((await call(`/${pk}/torrent/${t.infoHash}`)).status).toBe(200);

    // The member's own signed reset hands the new passkey to the wallet, and stops the old one.
    const reset = await call("/api/members/passkey", await memberAction(wallet, "reset-passkey"));
    expect(reset.status).toBe(200);
    const fresh = ((await reset.json()) as { passkey: string }).passkey;
    expect(fresh).not.toBe(pk);
    expect(text((await announce(pk, { infoHash: t.infoHash, peerId: peerId("lift"), left: 0, ip: "10.74.0.1" })).body["failure reason"])).toMatch(/reset/);
    expect((await announce(fresh, { infoHash: t.infoHash, peerId: peerId("lift"), left: 0, ip: "10.74.0.1" })).body["failure reason"]).toBeUndefined();
  });

  it("refuses an upload whose signed subject is another .torrent (attack: swapped upload body)", async () => {
    const wallet = privateKeyToAccount(generatePrivateKey());
    await addMember(wallet.address);
    const a = fixture(20_000, 1_014, "gate-a.bin");
    const b = fixture(20_000, 1_015, "gate-b.bin");
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", a.torrent));
    const subject = hex0x(Array.from(digest, (x) => x.toString(16).padStart(2, "0")).join(""));
    const init = await signed(wallet, "MemberAction", { member: wallet.address, action: "upload", subject, nonce: BigInt(Date.now()) * 10_000n, expiry: nowSeconds() + 600n });
    const { message, signature } = JSON.parse(init.body as string) as { message: unknown; signature: string };
    const res = await call("/api/torrents/upload", { method: "POST", body: b.torrent, headers: { "X-Vidya-Action": JSON.stringify(message), "X-Vidya-Signature": signature } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "wrong_subject" } });
    expect((await call(`/api/torrents/${b.infoHash}`)).status).toBe(404);
  });
});

describe("the site's headers and sign-in", () => {
  it("sends a strict CSP, frame-ancestors none, nosniff and no-referrer on every page (attack: framing, injected script)", async () => {
    const { cookie } = await signIn();
    for (const [path, headers] of [["/", {}], ["/signin", {}], ["/epochs", {}], ["/torrents/" + "ab".repeat(20), {}], ["/upload", {}], ["/upload", { Cookie: cookie }], ["/me", { Cookie: cookie }]] as const) {
      const res = await call(path, { headers, redirect: "manual" });
      const csp = res.headers.get("Content-Security-Policy") ?? "";
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).toContain("default-src 'self'");
      expect(csp, path).not.toContain("unsafe-inline");
      expect(res.headers.get("X-Content-Type-Options"), path).toBe("nosniff");
      expect(res.headers.get("Referrer-Policy"), path).toBe("no-referrer");
      expect(res.headers.get("X-Frame-Options"), path).toBe("DENY");
    }
  });

  it("takes its own form posts under no-referrer (Origin: null, Sec-Fetch-Site: same-origin) and refuses forged ones (attack: cross-site form post)", async () => {
    const { cookie } = await signIn();
    const postWith = (headers: Record<string, string>) => call("/signout", { method: "POST", headers: { Cookie: cookie, ...headers }, redirect: "manual" });
    expect((await postWith({ Origin: "null", "Sec-Fetch-Site": "cross-site" })).status).toBe(403);
    expect((await postWith({ Origin: "null" })).status).toBe(403);
    expect((await postWith({ Origin: "https://evil.example", "Sec-Fetch-Site": "same-origin" })).status).toBe(403);
    expect(await (await call("/signin", { headers: { Cookie: cookie } })).text()).toContain("You are signed in");
    expect((await postWith({ Origin: "null", "Sec-Fetch-Site": "same-origin" })).status).toBe(303);
    expect(await (await call("/signin", { headers: { Cookie: cookie } })).text()).not.toContain("You are signed in");
  });

  it("names the configured site in sign-in messages whatever the Host header says (attack: spoofed Host)", async () => {
    // A request reaching the worker under another host name: the challenge still names SITE_ORIGIN.
    const res = await SELF.fetch("http://evil.example/auth/nonce", { method: "POST", headers: { Origin: ORIGIN } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ domain: new URL(ORIGIN).host, uri: ORIGIN });
    // A page on the other host cannot post to it.
    expect((await SELF.fetch("http://evil.example/auth/nonce", { method: "POST", headers: { Origin: "http://evil.example" } })).status).toBe(403);
    // A message signed for the other host is refused even when sent there.
    const wallet = privateKeyToAccount(generatePrivateKey());
    const message = messageFor(wallet.address, await challenge(), { domain: "evil.example", uri: "http://evil.example" });
    const verify = await SELF.fetch("http://evil.example/auth/verify", {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: ORIGIN },
      body: JSON.stringify({ message, signature: await wallet.signMessage({ message }) }),
    });
    expect(verify.status).toBe(401);
    // Honest sign-in carries on.
    expect((await signIn()).res.status).toBe(200);
  });

  it("refuses a sign-in message whose expiration time is not a date (attack: never-expiring sign-in)", async () => {
    const wallet = privateKeyToAccount(generatePrivateKey());
    const valid = messageFor(wallet.address, await challenge());
    const message = valid.replace(/Expiration Time: .+/, "Expiration Time: not-a-date");
    expect(message).toContain("Expiration Time: not-a-date");
    const res = await post("/auth/verify", { message, signature: await wallet.signMessage({ message }) });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "sign_in_refused", message: expect.stringMatching(/invalid time/) } });
  });
});

describe("node endpoints and storage roots", () => {
  it("refuses registering an endpoint another node holds, with a clear 409 (attack: port hijack on a shared IP)", async () => {
    const owner = await registerNode({ ip: "198.51.100.40", port: 7020 });
    expect(owner.res.status).toBe(200);
    const hijack = await registerNode({ ip: "198.51.100.40", port: 7020 });
    expect(hijack.res.status).toBe(409);
    expect(await hijack.res.json()).toMatchObject({ error: { code: "endpoint_taken" } });
    const row = await db(env.DB).select({ address: schema.nodes.address }).from(schema.nodes).where(eq(schema.nodes.port, 7020)).all();
    expect(row.map((r) => r.address)).toEqual([owner.address]);
    // The hijacker may use its own port; the owner re-registers its own endpoint.
    expect((await registerNode({ wallet: hijack.wallet, ip: "198.51.100.40", port: 7021 })).res.status).toBe(200);
    expect((await registerNode({ wallet: owner.wallet, ip: "198.51.100.40", port: 7020 })).res.status).toBe(200);
  });

  it("gives one endpoint to one of several keys registering it at the same moment (attack: racing the endpoint check)", async () => {
    // Eight keys at once. Local workerd happened to serialize these requests, so this pins the
    // outcome; the check now sits inside the write's own statement (nodes/routes.ts), which is
    // what holds when requests do interleave across isolates in production.
    const racers = await Promise.all(Array.from({ length: 8 }, () => registerNode({ ip: "198.51.100.41", port: 7030 })));
    expect(racers.map((r) => r.res.status).sort()).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
    const rows = await db(env.DB).select({ address: schema.nodes.address }).from(schema.nodes).where(and(eq(schema.nodes.host, "198.51.100.41"), eq(schema.nodes.port, 7030))).all();
    expect(rows.map((r) => r.address)).toEqual([racers.find((r) => r.res.status === 200)!.address]);
    // A registered node cannot move onto it either, and keeps its own endpoint.
    const other = await registerNode({ ip: "198.51.100.41", port: 7031 });
    expect(other.res.status).toBe(200);
    expect((await registerNode({ wallet: other.wallet, ip: "198.51.100.41", port: 7030 })).res.status).toBe(409);
    expect(await db(env.DB).select({ port: schema.nodes.port }).from(schema.nodes).where(eq(schema.nodes.address, other.address)).get()).toEqual({ port: 7031 });
  });

  it("lets only proven, bonded hosts confirm or contest a root; others' reports are kept (attack: two fresh keys contest a root)", async () => {
    const t = fixture(40_000, 1_020, "gate-root.bin");
    expect((await uploadTorrent(t)).status).toBe(201);
    const roots = async (wallet: LocalAccount, root: string) => {
      const res = await call("/api/nodes/roots", await signed(wallet, "StorageRoots", { node: wallet.address, infoHashes: [hex0x(t.infoHash)], roots: [hex0x(root)], nonce: next(), expiry: nowSeconds() + 600n }));
      expect(res.status).toBe(200);
      return ((await res.json()) as { accepted: { rootStatus: string }[] }).accepted[0]!.rootStatus;
    };
    const wrong = "ee".repeat(32);
    const [s1, s2] = [await registerNode({ ip: "203.0.113.71" }), await registerNode({ ip: "198.18.0.71" })];
    expect(await roots(s1.wallet, wrong)).toBe("published");
    expect(await roots(s2.wallet, wrong)).toBe("published");
    expect((await (await call(`/api/torrents/${t.infoHash}`)).json()) as object).toMatchObject({ rootStatus: "published" });
    expect(await db(env.DB).select().from(schema.rootReports).where(eq(schema.rootReports.infoHash, t.infoHash)).all()).toHaveLength(2);

    // Two proven hosts confirm the curator's root.
    const [h1, h2] = [await registerNode({ ip: "192.0.2.71" }), await registerNode({ ip: "100.64.0.71" })];
    await proveHosts([h1.address, h2.address], t.infoHash);
    expect(await roots(h1.wallet, t.storageRoot)).toBe("published");
    expect(await roots(h2.wallet, t.storageRoot)).toBe("confirmed");
    // Once proven, the other keys count too: a later proof brings their reports in.
    await proveHosts([s1.address, s2.address], t.infoHash);
    expect(await roots(s1.wallet, wrong)).toBe("confirmed"); // a tie keeps the curator's root
  });
});
