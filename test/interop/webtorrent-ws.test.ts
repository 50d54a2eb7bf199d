// WebTorrent (Node) over our WebSocket tracker, in the real local network (worker in workerd
// through wrangler dev, D1, Durable Objects, anvil; members who joined with the access
// stake). Two members, each with a webtorrent 3 client, hermetic (no DHT, LSD, PEX, NAT
// traversal, web seeds), share one private torrent whose only tracker is the member's own
// `ws://…/<passkey>/announce` (two URLs, so two sockets: bittorrent-tracker pools sockets
// by URL, and the relay must cross connections inside the tracker). Node has
// WebRTC here through webrtc-polyfill → node-datachannel (prebuilt libdatachannel), so the
// bytes move over a WebRTC data channel whose offer and answer went through our tracker.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import WebTorrent, { type Torrent } from "webtorrent";
import { LocalNetwork, type Member } from "../../scripts/network/network.ts";
import { waitFor } from "../../scripts/network/processes.ts";
import { makeFixture, type Fixture } from "../../node/testing/fixtures.ts";
import { StorageTreeBuilder } from "../../protocol/merkle/storage-tree.ts";
import { bytesToBinary, fromHex, toHex } from "../../protocol/hex.ts";
import { withAnnounce } from "../../protocol/torrent.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const RUN_DIR = join(ROOT, ".vidya", "interop-webtorrent");

/** Our tracker is the only source of peers (STYLE.md: hermetic clients). No STUN: loopback needs none. */
function hermeticClient(): WebTorrent {
  return new WebTorrent({
    dht: false,
    lsd: false,
    utPex: false,
    natUpnp: false,
    natPmp: false,
    webSeeds: false,
    utp: false,
    tracker: { rtcConfig: { iceServers: [] } },
  });
}

function whenDone(t: Torrent, ms: number, why: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (t.done) return resolve();
    const timer = setTimeout(() => reject(new Error(`not done after ${ms} ms (${t.numPeers} peers, ${t.downloaded} bytes): ${why()}`)), ms);
    t.once("done", () => {
      clearTimeout(timer);
      resolve();
    });
    t.once("error", (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

function whenReady(t: Torrent): Promise<void> {
  return new Promise((resolve, reject) => {
    if (t.ready) return resolve();
    t.once("ready", () => resolve());
    t.once("error", (e: Error) => reject(e));
  });
}

/** One scrape over a plain Node WebSocket, as bittorrent-tracker sends it (binary info hash). */
async function wsScrape(url: string, infoHashHex: string): Promise<Record<string, unknown>> {
  const ws = new WebSocket(url);
  try {
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error("cannot open the tracker socket"));
    });
    const ih = bytesToBinary(fromHex(infoHashHex));
    const reply = new Promise<Record<string, unknown>>((resolve) => {
      ws.onmessage = (e) => resolve(JSON.parse(String(e.data)));
    });
    ws.send(JSON.stringify({ action: "scrape", info_hash: [ih] }));
    const r = await reply;
    return (r.files as Record<string, Record<string, unknown>>)?.[ih] ?? r;
  } finally {
    ws.close();
  }
}

/** The member's WebSocket announce URL: the HTTP one with the ws scheme. */
async function wsAnnounceOf(net: LocalNetwork, member: Member): Promise<string> {
  const { passkey } = JSON.parse(await readFile(join(member.home, "config.json"), "utf8")) as { passkey: string };
  expect(passkey).toMatch(/^[0-9a-f]{32}$/);
  return `${net.trackerUrl.replace(/^http/, "ws")}/${passkey}/announce`;
}

/** Waits until a scrape over the socket counts `n` seeds (the tracker has their announces). */
async function waitForSeeds(url: string, infoHashHex: string, n: number): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (((await wsScrape(url, infoHashHex)).complete as number) >= n) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the tracker never counted ${n} seeds of ${infoHashHex}`);
}

describe("WebTorrent over the WebSocket tracker", () => {
  let net: LocalNetwork;
  let seederUrl: string;
  let leecherUrl: string;
  let fx: Fixture;
  const clients: WebTorrent[] = [];
  const warnings: string[] = [];

  beforeAll(async () => {
    net = await LocalNetwork.start({ dir: RUN_DIR, datasetDir: join(ROOT, ".vidya", "dataset"), nodes: [] });
    seederUrl = await wsAnnounceOf(net, await net.joinMember("webtorrent-seeder"));
    leecherUrl = await wsAnnounceOf(net, await net.joinMember("webtorrent-leecher"));
    expect(leecherUrl).not.toBe(seederUrl);

    // A small private torrent; each member's copy names only that member's WebSocket URL.
    fx = await makeFixture(join(RUN_DIR, "seed"), "webrtc-sample", [
      { path: "game.bin", length: 700_000 },
      { path: "readme.txt", length: 3_333 },
    ], { pieceLength: 64 * 1024 });
    const storageRoot = toHex(new StorageTreeBuilder().update(fx.payload).finish().root);
    await net.api(`/api/torrents?storageRoot=${storageRoot}`, {
      method: "POST",
      admin: true,
      headers: { "content-type": "application/x-bittorrent" },
      body: new Uint8Array(fx.torrentFile),
    });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => new Promise<void>((resolve) => c.destroy(() => resolve()))));
    await net?.stop();
  });

  it("refuses a socket with a wrong passkey", async () => {
    const ws = new WebSocket(seederUrl.replace(/[0-9a-f]{32}/, "f".repeat(32)));
    const outcome = await new Promise<string>((resolve) => {
      ws.onopen = () => resolve("open");
      ws.onerror = () => resolve("refused");
    });
    expect(outcome).toBe("refused");
  });

  it("downloads a private torrent from another WebTorrent client over WebRTC, signalled through the tracker", async () => {
    const seeder = hermeticClient();
    const leecher = hermeticClient();
    clients.push(seeder, leecher);

    const seeding = seeder.add(withAnnounce(fx.torrentFile, seederUrl), { path: join(RUN_DIR, "seed") });
    seeding.on("warning", (e: Error) => warnings.push(`seeder: ${e.message}`));
    await whenReady(seeding);
    expect(seeding.done).toBe(true);
    // The seeder must be in the swarm before the leecher's first announce: the tracker relays
    // offers to the peers it has, and the leecher offers again only a whole interval (120 s)
    // later. A client that finds nobody simply waits that long; the test would time out.
    await waitForSeeds(leecherUrl, fx.meta.infoHash, 1);

    const out = join(RUN_DIR, "download");
    const downloading = leecher.add(withAnnounce(fx.torrentFile, leecherUrl), { path: out });
    downloading.on("warning", (e: Error) => warnings.push(`leecher: ${e.message}`));
    await whenDone(downloading, 120_000, () => warnings.join("; ") || "no warnings");

    // Every wire was a WebRTC one: the torrent names no other tracker and DHT/LSD/PEX are off.
    const types = downloading.wires.map((w) => (w as unknown as { type: string }).type);
    expect(types.length).toBeGreaterThan(0);
    expect(new Set(types)).toEqual(new Set(["webrtc"]));
    expect(warnings.filter((w) => /failure|Unregistered|passkey/i.test(w))).toEqual([]);

    const got = Buffer.concat([
      await readFile(join(out, "webrtc-sample", "game.bin")),
      await readFile(join(out, "webrtc-sample", "readme.txt")),
    ]);
    expect(got.equals(Buffer.from(fx.payload))).toBe(true);
  });

  it("counts both clients as seeds and one completed download in a scrape over the socket", async () => {
    let stats: Record<string, unknown> = {};
    // The leecher's `completed` announce follows its last piece by a moment.
    for (let i = 0; i < 50; i++) {
      stats = await wsScrape(leecherUrl, fx.meta.infoHash);
      if (stats.complete === 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(stats).toEqual({ complete: 2, incomplete: 0, downloaded: 1 });
  });

  it("credits both members for the WebRTC transfer, from the counters WebTorrent reports, as HTTP sessions are", async () => {
    // Each client announces its counters now (as it does every interval), then leaves.
    for (const c of clients) for (const t of c.torrents) (t as unknown as { discovery: { tracker: { update(): void } } }).discovery.tracker.update();
    const L = fx.payload.length;
    const statsOf = async (url: string) => {
      const res = await fetch(url.replace(/^ws/, "http").replace(/\/announce$/, "/stats"));
      expect(res.status).toBe(200);
      const s = (await res.json()) as { torrents: { infoHash: string; uploaded: number; downloaded: number; creditedUploaded: number; creditedDownloaded: number; clients: string[]; state: string }[] };
      return s.torrents.find((t) => t.infoHash === fx.meta.infoHash);
    };
    // The shards flush accounting to D1 every few seconds.
    let last: unknown;
    const [seeder, leecher] = await waitFor("the WebTorrent credits", async () => {
      const [s, l] = await Promise.all([statsOf(seederUrl), statsOf(leecherUrl)]);
      last = { seeder: s, leecher: l };
      return s && l && s.uploaded >= L && l.downloaded >= L ? [s, l] : undefined;
    }, 30_000, 500).catch((e: Error) => {
      throw new Error(`${e.message}; last seen ${JSON.stringify(last)}`);
    });
    await Promise.all(clients.splice(0).map((c) => new Promise<void>((resolve) => c.destroy(() => resolve()))));
    if (!seeder || !leecher) throw new Error("no stats");
    expect(leecher.downloaded).toBeLessThanOrEqual(L * 1.25);
    expect(leecher.creditedDownloaded).toBe(leecher.downloaded);
    expect(seeder.uploaded).toBeLessThanOrEqual(L * 1.25);
    expect(seeder.creditedUploaded).toBe(seeder.uploaded);
    // The leecher had nothing the seed lacked: what WebTorrent counts as its upload is under a block.
    expect(leecher.uploaded).toBeLessThan(16 * 1024);
    for (const s of [seeder, leecher]) for (const c of s.clients) expect(c).toMatch(/^-WW\d{4}-$/);
  });
});
