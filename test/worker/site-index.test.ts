// The members' site's index, torrent pages, uploads, moderation, profile and joining, in
// workerd with real D1 and swarm shards. The same pages in a real browser: test/web/.

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { decode, asDict, asBytes } from "../../protocol/bencode.ts";
import { db, schema } from "../../worker/db/client.ts";
import { fixture, makeTorrent, payload } from "./support/fixture.ts";
import { ORIGIN, addMember, admin, announce, call, declareLength, flushShard, peerId, text } from "./support/worker.ts";
import { signIn } from "./support/site.ts";
import { faucetEnabled } from "../../worker/web/pages/first-steps.ts";

const GB = 1e9; // decimal, as the site shows sizes

async function publish(name: string, length: number, seed: number, query = "") {
  const t = fixture(length, seed, name);
  const res = await admin(`/api/torrents?storageRoot=${t.storageRoot}${query}`, { body: t.torrent, headers: { "Content-Type": "application/x-bittorrent" } });
  expect(res.status).toBe(201);
  return t;
}

/** A signed-in member: its session cookie and passkey. */
async function member(opts: { curator?: boolean } = {}) {
  const key = generatePrivateKey();
  const account = privateKeyToAccount(key).address.toLowerCase();
  const passkey = await addMember(account);
  if (opts.curator) await db(env.DB).update(schema.members).set({ curator: true }).where(eq(schema.members.account, account));
  const { cookie } = await signIn(key);
  return { account, passkey, cookie };
}

const get = (path: string, cookie?: string) => call(path, { headers: cookie ? { Cookie: cookie } : {}, redirect: "manual" });
const form = (path: string, cookie: string, body: FormData | Record<string, string>) =>
  call(path, { method: "POST", headers: { Cookie: cookie, Origin: ORIGIN }, body: body instanceof FormData ? body : new URLSearchParams(body), redirect: "manual" });

describe("the index", () => {
  it("searches by words and filters by category, size, seeders and freeleech, as the API does", async () => {
    const film = await publish("Night of the Living Dead 1968.mkv", 300_000, 1, "&category=video");
    const album = await publish("Goldberg Variations (Gould 1981).flac", 90_000, 2, "&category=audio");
    await publish("Night Sky Atlas.pdf", 40_000, 3, "&category=books");
    await admin(`/admin/torrents/${album.infoHash}/flags`, { body: JSON.stringify({ freeleech: true }), headers: { "Content-Type": "application/json" } });

    const names = async (q: string) => {
      const html = await (await get(`/${q}`)).text();
      return [...html.matchAll(/<a href="\/torrents\/([0-9a-f]{40})">/g)].map((m) => m[1]);
    };
    expect(await names("?q=night")).toHaveLength(2);
    expect(await names("?q=night+living")).toEqual([film.infoHash]);
    expect(await names("?category=audio")).toEqual([album.infoHash]);
    expect(await names("?min_size=100+KB")).toEqual([film.infoHash]);
    expect(await names("?max_size=50000")).not.toContain(film.infoHash);
    expect(await names("?freeleech=1")).toEqual([album.infoHash]);
    // Nothing has seeders yet: every torrent is hot, none has 1 seeder.
    expect(await names("?min_seeders=1&q=night")).toEqual([]);
    expect(await names("?hot=1&q=night")).toHaveLength(2);
    // A LIKE wildcard in the words matches itself, not everything.
    expect(await names("?q=%25")).toEqual([]);

    const api = (await (await call("/api/torrents/search?q=night&sort=size&order=asc")).json()) as { total: number; torrents: { infoHash: string }[] };
    expect(api.total).toBe(2);
    expect(api.torrents[1]!.infoHash).toBe(film.infoHash);
  });

  it("answers a bad filter with a 400 page naming it, and the API with a JSON error", async () => {
    const page = await get("/?min_size=lots");
    expect(page.status).toBe(400);
    expect(page.headers.get("Content-Type")).toMatch(/text\/html/);
    expect(await page.text()).toContain("min_size must be a size such as 700 MB");
    const api = await call("/api/torrents/search?category=films");
    expect(api.status).toBe(400);
    expect(await api.json()).toMatchObject({ error: { code: "bad_filter", message: expect.stringContaining("category must be one of") } });
  });

  it("answers a search word past D1's 50-byte LIKE pattern with a page, never a 500 (attack: a long search word answers 500)", async () => {
    // instr, not LIKE (worker/torrents/search.ts): no pattern limit applies, and % or _ are plain text.
    for (const q of ["a".repeat(49), "%".repeat(30), "\u00e9".repeat(30)]) {
      const api = await call(`/api/torrents/search?q=${encodeURIComponent(q)}`);
      expect(api.status).toBe(200);
      expect(await api.json()).toMatchObject({ total: 0 });
      expect((await get(`/?q=${encodeURIComponent(q)}`)).status).toBe(200);
    }
  });

  it("refuses an upload in an unknown category, storing nothing", async () => {
    const t = fixture(20_000, 9, "misfiled.bin");
    const res = await admin(`/api/torrents?storageRoot=${t.storageRoot}&category=warez`, { body: t.torrent });
    expect(res.status).toBe(400);
    expect((await call(`/api/torrents/${t.infoHash}`)).status).toBe(404);
  });
});

describe("a torrent's page and its download", () => {
  it("shows files, swarm and market, and gives a member the .torrent with their own passkey", async () => {
    const t = await publish("Public Domain Reel.mp4", 120_000, 11, "&category=video&description=" + encodeURIComponent("Restored <b>1929</b> newsreel"));
    const m = await member();
    // A seed in the swarm, flushed, so the page's swarm counts are what the shard wrote.
    await announce(m.passkey, { infoHash: t.infoHash, peerId: peerId("seedpage"), left: 0, event: "started" });
    await flushShard(t.infoHash);

    const html = await (await get(`/torrents/${t.infoHash}`, m.cookie)).text();
    expect(html).toContain("Public Domain Reel.mp4");
    expect(html).toContain("Restored &lt;b&gt;1929&lt;/b&gt; newsreel"); // the description is text, never markup
    expect(html).toMatch(/data-testid="swarm">\s*<div><span class="label">Seeders<\/span><span class="value">1</);
    expect(html).toContain('data-testid="price"');
    expect(html).toContain(`href="/torrents/${t.infoHash}/download"`);
    expect(html).not.toContain(m.passkey); // the page links to the download, never to the passkey URL

    const res = await get(`/torrents/${t.infoHash}/download`, m.cookie);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/x-bittorrent");
    const meta = asDict(decode(new Uint8Array(await res.arrayBuffer())), "torrent");
    expect(new TextDecoder().decode(asBytes(meta.announce, "announce"))).toBe(`${ORIGIN}/${m.passkey}/announce`);
  });

  it("sends someone signed out to sign in, and tells a non-member to join", async () => {
    const t = await publish("Members Only.bin", 20_000, 12);
    const out = await get(`/torrents/${t.infoHash}/download`);
    expect(out.status).toBe(401);
    const { cookie } = await signIn();
    const stranger = await get(`/torrents/${t.infoHash}/download`, cookie);
    expect(stranger.status).toBe(403);
    expect(await stranger.text()).toContain("join with an invite or your stake");
  });
});

describe("uploads and moderation", () => {
  it("takes a member's private torrent as pending, shows it to its uploader only, and lets a curator approve it into the index", async () => {
    const uploader = await member();
    const curator = await member({ curator: true });
    const t = fixture(50_000, 21, "Fresh Upload.iso");
    const body = new FormData();
    body.set("torrent", new File([t.torrent], "fresh.torrent", { type: "application/x-bittorrent" }));
    body.set("category", "software");
    body.set("description", "a small image");
    body.set("storageRoot", t.storageRoot);
    const res = await form("/upload", uploader.cookie, body);
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe(`/torrents/${t.infoHash}?done=uploaded`);
    const row = await db(env.DB).select().from(schema.torrents).where(eq(schema.torrents.infoHash, t.infoHash)).get();
    expect(row).toMatchObject({ status: "pending", uploadedBy: uploader.account, category: "software", description: "a small image" });

    expect(await (await get(`/torrents/${t.infoHash}`, uploader.cookie)).text()).toContain("<strong>pending</strong>");
    const other = await member();
    expect((await get(`/torrents/${t.infoHash}`, other.cookie)).status).toBe(404);
    expect(await (await get("/?q=fresh")).text()).toContain("0 torrents");

    expect((await get("/moderation", uploader.cookie)).status).toBe(403);
    const queue = await (await get("/moderation", curator.cookie)).text();
    expect(queue).toContain("Fresh Upload.iso");
    const approve = await form(`/moderation/${t.infoHash}`, curator.cookie, { decision: "approve" });
    expect(approve.status).toBe(303);
    expect(await (await get("/?q=fresh")).text()).toContain(`/torrents/${t.infoHash}`);
    // The swarm accepts announces at once.
    const a = await announce(other.passkey, { infoHash: t.infoHash, peerId: peerId("afterok"), left: 50_000, event: "started" });
    expect(a.body["failure reason"]).toBeUndefined();
  });

  it("gives the form back with the reason when the torrent is not private, storing nothing", async () => {
    const m = await member();
    const data = payload(30_000, 5);
    const torrent = makeTorrent(data, { name: "public.bin", private: false });
    const body = new FormData();
    body.set("torrent", new File([torrent], "public.torrent"));
    body.set("category", "data");
    body.set("description", "kept when the form comes back");
    const res = await form("/upload", m.cookie, body);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain("torrent must be private (BEP 27");
    expect(html).toContain("kept when the form comes back");
    expect(await db(env.DB).select().from(schema.torrents).where(eq(schema.torrents.name, "public.bin")).all()).toEqual([]);
  });

  it("lets a curator set credit flags from the torrent page, and nobody else", async () => {
    const t = await publish("Flag Me.bin", 20_000, 31);
    const curator = await member({ curator: true });
    const plain = await member();
    expect((await form(`/torrents/${t.infoHash}/flags`, plain.cookie, { freeleech: "1" })).status).toBe(403);
    const res = await form(`/torrents/${t.infoHash}/flags`, curator.cookie, { freeleech: "1", doubleUpload: "1" });
    expect(res.status).toBe(303);
    const row = await db(env.DB).select().from(schema.torrents).where(eq(schema.torrents.infoHash, t.infoHash)).get();
    expect(row).toMatchObject({ freeleech: true, neutral: false, doubleUpload: true });
  });
});

describe("the profile", () => {
  it("shows ratio, credit and the allotment left after a download", async () => {
    const t = await publish("Counted.bin", 40_000, 41);
    // A 1 GB download needs a torrent that long: the tracker bounds `downloaded` by the length.
    await declareLength(t.infoHash, 2 * GB);
    const m = await member();
    const pid = peerId("profile1");
    await announce(m.passkey, { infoHash: t.infoHash, peerId: pid, left: 40_000, downloaded: 0, event: "started" });
    await announce(m.passkey, { infoHash: t.infoHash, peerId: pid, left: 0, downloaded: 1 * GB, uploaded: 2 * GB, event: "completed" });
    await flushShard(t.infoHash);
    const html = await (await get("/me", m.cookie)).text();
    expect(html).toContain('data-testid="ratio">2.00<');
    expect(html).toContain('data-testid="credit">1.00 GB<');
    expect(html).toContain('data-testid="allotment">9.00 GB<');
    const snatched = await (await get("/me?list=snatched", m.cookie)).text();
    expect(snatched).toContain("Counted.bin");
    const seeding = await (await get("/me?list=seeding", m.cookie)).text();
    expect(seeding).toContain("Counted.bin");
    expect(await (await get("/me?list=leeching", m.cookie)).text()).toContain('data-testid="list-empty"');
  });

  it("resets the passkey: the page shows a new one and the old one stops announcing", async () => {
    const t = await publish("Reset.bin", 20_000, 42);
    const m = await member();
    expect(await (await get("/me", m.cookie)).text()).toContain(m.passkey);
    const res = await form("/me/reset-passkey", m.cookie, {});
    expect(res.headers.get("Location")).toBe("/me?done=passkey");
    const html = await (await get("/me?done=passkey", m.cookie)).text();
    expect(html).not.toContain(m.passkey);
    expect(html).toContain("the old one stopped working");
    const old = await announce(m.passkey, { infoHash: t.infoHash, peerId: peerId("oldkey"), left: 1, event: "started" });
    expect(text(old.body["failure reason"])).toMatch(/passkey/i);
  });

  it("makes invites within the quota; the invited account joins through the site and lands in the tree", async () => {
    const m = await member();
    expect((await form("/me/invite", m.cookie, {})).status).toBe(303);
    const code = /<code>([0-9a-f]{24})<\/code>/.exec(await (await get("/me", m.cookie)).text())?.[1];
    expect(code).toBeDefined();

    const newcomer = await signIn();
    const bad = await form("/join", newcomer.cookie, { route: "invite", invite: "not-a-code" });
    expect(bad.status).toBe(403);
    expect(await bad.text()).toContain("invite is unknown or already used");
    const ok = await form("/join", newcomer.cookie, { route: "invite", invite: code! });
    expect(ok.headers.get("Location")).toBe("/me?done=joined");
    const row = await db(env.DB).select().from(schema.members).where(eq(schema.members.account, newcomer.wallet.address.toLowerCase())).get();
    expect(row).toMatchObject({ admission: "invite", inviter: m.account });
    expect(await (await get("/me", m.cookie)).text()).toContain("Members you brought");
  });

  it("sends a visitor who is not signed in to sign in", async () => {
    const res = await get("/me");
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/signin?next=/me");
  });
});

describe("first steps", () => {
  it("hands out test ETH only in local development on anvil's chain (attack: a faucet left open in production)", async () => {
    const base = { ...env, CHAIN_RPC_URL: "http://127.0.0.1:8545" };
    expect(faucetEnabled({ ...base, LOCAL_DEV: "1", CHAIN_ID: "31337" })).toBe(true);
    expect(faucetEnabled({ ...base, LOCAL_DEV: "0", CHAIN_ID: "31337" })).toBe(false);
    expect(faucetEnabled({ ...base, LOCAL_DEV: "1", CHAIN_ID: "8453" })).toBe(false);
    expect(faucetEnabled({ ...base, CHAIN_RPC_URL: undefined, LOCAL_DEV: "1", CHAIN_ID: "31337" })).toBe(false);
    // This worker has no chain: a signed-in post is refused with where ETH comes from instead.
    const { cookie } = await signIn();
    const res = await form("/faucet", cookie, {});
    expect(res.status).toBe(404);
    expect(await res.text()).toContain("get ETH from an exchange or a bridge");
  });

  it("shows a signed-out visitor what Vidya is and a Join link on every page, and the wallet page's sign-in step", async () => {
    const index = await (await get("/")).text();
    expect(index).toContain('<a href="/join">Join</a>');
    expect(index).toMatch(/What Vidya is[\s\S]*How to join[\s\S]*With an invite[\s\S]*Or with a stake[\s\S]*100\.0000 VIDYA/);
    const wallet = await (await get("/wallet")).text();
    expect(wallet).toMatch(/<div data-step="sign-in">[\s\S]*Sign in/);
    // Members are past joining: no Join link for them.
    const m = await member();
    expect(await (await get("/", m.cookie)).text()).not.toContain('<a href="/join">Join</a>');
  });
});
