// Real BitTorrent clients through our tracker, in the real local network (anvil, the worker in
// workerd through wrangler dev with local D1 and Durable Objects, our node through the `vidya`
// CLI). One private torrent travels a chain, each hop a download through the tracker with the
// member's own passkey announce URL:
//   our node → Transmission → aria2 (node stopped) → qBittorrent (Transmission stopped)
//   → rTorrent (aria2 stopped; the torrent made freeleech first).
// Each hop checks the bytes, the tracker status the client reports, and a scrape; at the end
// every client has announced `stopped`, the members' accounting matches what moved (actual and
// credited, freeleech applied to rTorrent's download only), and each session was recorded
// under its client's real peer id, which the allow-list admitted.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { asDict, decode } from "../../protocol/bencode.ts";
import { bytesToBinary, fromHex } from "../../protocol/hex.ts";
import { LocalNetwork, type Member } from "../../scripts/network/network.ts";
import { ProcessGroup, waitFor } from "../../scripts/network/processes.ts";
import type { SampleTorrent } from "../../scripts/network/dataset.ts";
import { Aria2, QBittorrent, QB_HERMETIC, RTorrent, Transmission, missingClients } from "./support/bt-clients.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const RUN_DIR = join(ROOT, ".vidya", "interop-clients");
const TORRENT = "homebrew-tools"; // two files, 3 MB
/** Client-reported counters may carry a few re-requested blocks on top of the payload. */
const SLACK = 1.25;

interface Holder {
  member: Member;
  passkey: string;
  torrentFile: Uint8Array;
}

interface TorrentStats {
  infoHash: string;
  uploaded: number;
  downloaded: number;
  creditedUploaded: number;
  creditedDownloaded: number;
  clients: string[];
  completedAt: number | null;
  state: string;
  left: number | null;
}
interface MemberStats {
  account: string;
  uploaded: number;
  downloaded: number;
  torrents: TorrentStats[];
}

/** The peer-id prefixes these Debian builds send (BEP 20), as the member's stats name them. */
const PEER_ID_PREFIX = { transmission: /^-TR3000-$/, aria2: /^A2-1-36-0-$/, qbittorrent: /^-qB4520-$/, rtorrent: /^-lt0D80-$/ };

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

/** Every file of the torrent's payload, byte for byte, under `downloadDir/<name>`. */
function expectSamePayload(t: SampleTorrent, downloadDir: string): void {
  const src = join(t.dataDir, t.name);
  const got = join(downloadDir, t.name);
  const want = filesUnder(src).map((f) => relative(src, f));
  expect(filesUnder(got).map((f) => relative(got, f))).toEqual(want);
  for (const f of want) expect(readFileSync(join(got, f)).equals(readFileSync(join(src, f))), f).toBe(true);
}

describe("real BitTorrent clients through our tracker", () => {
  let net: LocalNetwork;
  let clients: ProcessGroup;
  let torrent: SampleTorrent;
  const holders = new Map<string, Holder>();
  let transmission: Transmission;
  let transmissionId: number;
  let aria2: Aria2;
  let aria2Gid: string;
  let qbittorrent: QBittorrent;
  let rtorrent: RTorrent;
  let rtorrentHash: string;

  const holder = (name: string) => holders.get(name)!;
  const announceUrl = (name: string) => `${net.trackerUrl}/${holder(name).passkey}/announce`;
  const downloads = (name: string) => join(RUN_DIR, "clients", name, "downloads");

  /** A BEP 48 scrape of the torrent, through `url` or the member's derived scrape URL. */
  async function scrape(name: string, url = `${net.trackerUrl}/${holder(name).passkey}/scrape`) {
    const q = Array.from(fromHex(torrent.infoHash), (b) => "%" + b.toString(16).padStart(2, "0")).join("");
    const res = await fetch(`${url}?info_hash=${q}`);
    expect(res.status).toBe(200);
    const body = asDict(decode(new Uint8Array(await res.arrayBuffer())), "scrape");
    expect(body["failure reason"]).toBeUndefined();
    return asDict(body.files, "files")[bytesToBinary(fromHex(torrent.infoHash))] as { complete: number; incomplete: number; downloaded: number };
  }

  async function stats(name: string): Promise<{ member: MemberStats; torrent: TorrentStats | undefined }> {
    const res = await fetch(`${net.trackerUrl}/${holder(name).passkey}/stats`);
    expect(res.status).toBe(200);
    const member = (await res.json()) as MemberStats;
    return { member, torrent: member.torrents.find((t) => t.infoHash === torrent.infoHash) };
  }

  // A stopped session is folded into its member's ended-sessions row (worker/swarm/flush.ts:
  // peer-id churn leaves bounded rows), so each client's real peer id is read while it runs.
  const seenClients: Record<string, string[]> = {};
  async function recordClients(name: string): Promise<void> {
    seenClients[name] = await waitFor(`${name}'s session in its member's stats`, async () => {
      const c = (await stats(name)).torrent?.clients ?? [];
      return c.length ? c : undefined;
    }, 30_000, 500);
  }

  beforeAll(async () => {
    const missing = missingClients();
    if (missing.length) throw new Error(`not on PATH: ${missing.join(", ")}; install Debian's transmission-daemon, aria2, qbittorrent-nox and rtorrent (see .ci/run)`);
    net = await LocalNetwork.start({ dir: RUN_DIR, datasetDir: join(ROOT, ".vidya", "dataset"), nodes: [] });
    clients = new ProcessGroup(join(RUN_DIR, "logs", "clients"));
    torrent = net.dataset.find((d) => d.name === TORRENT)!;
    for (const name of ["transmission", "aria2", "qbittorrent", "rtorrent"]) {
      const member = await net.joinMember(`${name}-member`);
      const { passkey } = JSON.parse(readFileSync(join(member.home, "config.json"), "utf8")) as { passkey: string };
      const res = await fetch(`${net.trackerUrl}/${passkey}/torrent/${torrent.infoHash}`);
      expect(res.status).toBe(200);
      holders.set(name, { member, passkey, torrentFile: new Uint8Array(await res.arrayBuffer()) });
      mkdirSync(downloads(name), { recursive: true });
    }
  });

  afterAll(async () => {
    await clients?.stopAll();
    await net?.stop();
  });

  it("Transmission downloads the private torrent from our node through the tracker, and derives its scrape URL", async () => {
    transmission = await Transmission.start(clients, join(RUN_DIR, "clients", "transmission"));
    transmissionId = await transmission.add(holder("transmission").torrentFile, downloads("transmission"));
    // Transmission joins the swarm first: it will not dial a loopback peer itself, so the node,
    // started next, learns of it from its own announce and connects to it.
    await waitFor("Transmission's first announce", async () => ((await transmission.tracker(transmissionId)).hasAnnounced ? true : undefined), 30_000);
    await net.startNode("node-1", [TORRENT]);
    await waitFor("Transmission to finish", async () => {
      const t = await transmission.torrent(transmissionId);
      if (t.error) throw new Error(t.error);
      return t.progress === 1 ? t : undefined;
    }, 90_000, 250);
    expectSamePayload(torrent, downloads("transmission"));

    const tracker = await transmission.tracker(transmissionId);
    expect(tracker.announce).toBe(announceUrl("transmission"));
    expect(tracker).toMatchObject({ lastAnnounceSucceeded: true, lastAnnounceResult: "Success" });
    // Transmission derives the scrape URL only when the last path segment starts with "announce".
    expect(tracker.scrape).toBe(`${net.trackerUrl}/${holder("transmission").passkey}/scrape`);
    const s = await waitFor("Transmission's completed announce in a scrape", async () => {
      const r = await scrape("transmission", tracker.scrape);
      return r.complete === 2 ? r : undefined;
    }, 15_000);
    expect(s.incomplete).toBe(0);
    expect(s.downloaded).toBeGreaterThanOrEqual(1);
    await recordClients("transmission");
  });

  it("aria2 downloads it from Transmission, with our node stopped", async () => {
    const node = net.nodes.find((n) => n.name === "node-1")!;
    process.kill(-node.process.child.pid!, "SIGTERM");
    await node.process.exited;
    await waitFor("the node's stopped announce", async () => ((await scrape("aria2")).complete === 1 ? true : undefined), 15_000);

    // Transmission knows peers by address alone and has met a seed on 127.0.0.1 (the node): it
    // would turn aria2 away as "another seed". Re-added, it re-checks the data and seeds afresh.
    await transmission.remove(transmissionId);
    await waitFor("Transmission's stopped announce", async () => ((await scrape("aria2")).complete === 0 ? true : undefined), 15_000);
    transmissionId = await transmission.add(holder("transmission").torrentFile, downloads("transmission"));
    await waitFor("Transmission to seed again", async () => {
      const [t, tracker] = await Promise.all([transmission.torrent(transmissionId), transmission.tracker(transmissionId)]);
      return t.progress === 1 && tracker.hasAnnounced ? true : undefined;
    }, 30_000);

    aria2 = await Aria2.start(clients, join(RUN_DIR, "clients", "aria2"));
    aria2Gid = await aria2.add(holder("aria2").torrentFile);
    await waitFor("aria2 to finish", async () => {
      const t = await aria2.torrent(aria2Gid);
      if (t.status === "error") throw new Error(t.error);
      return t.progress === 1 ? t : undefined;
    }, 90_000, 250);
    expectSamePayload(torrent, downloads("aria2"));
    const s = await waitFor("aria2's completed announce in a scrape", async () => {
      const r = await scrape("aria2");
      return r.complete === 2 ? r : undefined;
    }, 15_000);
    expect(s.incomplete).toBe(0);
    await recordClients("aria2");
  });

  it("qBittorrent downloads it from aria2, with Transmission stopped, and reports the tracker working", async () => {
    const before = await scrape("qbittorrent");
    await transmission.stop(transmissionId);
    await waitFor("Transmission's stopped announce", async () => ((await scrape("qbittorrent")).complete === 1 ? true : undefined), 15_000);

    qbittorrent = await QBittorrent.start(clients, join(RUN_DIR, "clients", "qbittorrent"));
    expect(await qbittorrent.preferences()).toMatchObject(QB_HERMETIC);
    await qbittorrent.add(holder("qbittorrent").torrentFile, downloads("qbittorrent"));
    await waitFor("qBittorrent to finish", async () => {
      const t = await qbittorrent.torrent(torrent.infoHash);
      if (t?.state === "error" || t?.state === "missingFiles") throw new Error(`qBittorrent: ${t.state}`);
      return t?.progress === 1 ? t : undefined;
    }, 90_000, 250);
    expectSamePayload(torrent, downloads("qbittorrent"));

    const trackers = await waitFor("qBittorrent's announce after completing", async () => {
      const ts = await qbittorrent.trackers(torrent.infoHash);
      return ts.length > 0 && ts.every((t) => t.status === 2) ? ts : undefined;
    }, 15_000);
    expect(trackers.map(({ url, status, msg }) => ({ url, status, msg }))).toEqual([{ url: announceUrl("qbittorrent"), status: 2, msg: "" }]);
    const s = await waitFor("qBittorrent's completed announce in a scrape", async () => {
      const r = await scrape("qbittorrent");
      return r.complete === 2 ? r : undefined;
    }, 15_000);
    expect(s).toEqual({ complete: 2, incomplete: 0, downloaded: before.downloaded + 1, downloaders: 0 });
    await recordClients("qbittorrent");
  });

  it("rTorrent downloads it from qBittorrent, with aria2 stopped, after a curator made it freeleech", async () => {
    await aria2.shutdown();
    await waitFor("aria2's stopped announce", async () => ((await scrape("rtorrent")).complete === 1 ? true : undefined), 15_000);
    // Freeleech applies from the next credit on: rTorrent's download will not be charged.
    const flagged = await net.api<{ freeleech: boolean }>(`/admin/torrents/${torrent.infoHash}/flags`, {
      method: "POST",
      admin: true,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ freeleech: true }),
    });
    expect(flagged.freeleech).toBe(true);

    rtorrent = await RTorrent.start(clients, join(RUN_DIR, "clients", "rtorrent"));
    rtorrentHash = await rtorrent.add(holder("rtorrent").torrentFile, torrent.infoHash, downloads("rtorrent"));
    await waitFor("rTorrent to finish", async () => {
      const t = await rtorrent.torrent(rtorrentHash);
      return t.complete && t.progress === 1 ? t : undefined;
    }, 90_000, 250);
    expectSamePayload(torrent, downloads("rtorrent"));
    const trackers = await rtorrent.trackers(rtorrentHash);
    expect(trackers).toHaveLength(1);
    expect(trackers[0]!.url).toBe(announceUrl("rtorrent"));
    expect(trackers[0]!.success).toBeGreaterThanOrEqual(1);
    expect(trackers[0]!.failed).toBe(0);
    // rTorrent queues `completed` until min interval (300 s) has passed: ask it to announce now,
    // as a user would; the tracker takes its new state whether or not it came too soon.
    await rtorrent.announce(rtorrentHash);
    const s = await waitFor("rTorrent's announce after completing, in a scrape", async () => {
      const r = await scrape("rtorrent");
      return r.complete === 2 ? r : undefined;
    }, 15_000);
    expect((await rtorrent.trackers(rtorrentHash))[0]!.failed).toBe(0);
    expect(s.incomplete).toBe(0);
    await recordClients("rtorrent");
  });

  it("credits each member with what moved once every client has announced stopped: actual and credited, each session under its client's real peer id while it ran", async () => {
    await qbittorrent.remove(torrent.infoHash);
    await rtorrent.stop(rtorrentHash);
    const L = torrent.length;
    const names = ["transmission", "aria2", "qbittorrent", "rtorrent"] as const;
    // Shards flush accounting to D1 every few seconds: wait for the last `stopped` credits.
    const [t, a, q, r] = await waitFor("the final credits", async () => {
      const all = await Promise.all(names.map((n) => stats(n)));
      const [t, a, q, r] = all.map((s) => s.torrent);
      const settled = t && a && q && r && t.uploaded >= L && a.uploaded >= L && q.uploaded >= L && r.downloaded >= L && q.state === "inactive" && r.state === "inactive";
      return settled ? [t, a, q, r] : undefined;
    }, 30_000, 500);

    // Each downloader was credited the payload (plus a few re-sent blocks at most)…
    for (const s of [t, a, q, r]) {
      expect(s.downloaded).toBeGreaterThanOrEqual(L);
      expect(s.downloaded).toBeLessThanOrEqual(L * SLACK);
      expect(s.completedAt).not.toBeNull();
      expect(s).toMatchObject({ state: "inactive", left: null });
    }
    // …charged in full before the torrent was made freeleech, and not at all after.
    for (const s of [t, a, q]) expect(s.creditedDownloaded).toBe(s.downloaded);
    expect(r.creditedDownloaded).toBe(0);
    // Each sole seeder is credited what its one downloader received (uploads are never freeleech).
    for (const s of [t, a, q]) {
      expect(s.uploaded).toBeLessThanOrEqual(L * SLACK);
      expect(s.creditedUploaded).toBe(s.uploaded);
    }
    expect(r.uploaded).toBe(0);
    // Credited upload never exceeds what the swarm's downloaders reported (DESIGN.md).
    expect(t.uploaded + a.uploaded + q.uploaded).toBeLessThanOrEqual(t.downloaded + a.downloaded + q.downloaded + r.downloaded);

    // Every client's real peer id was admitted by the allow-list and recorded as its session.
    for (const n of names) {
      expect(seenClients[n]?.length, n).toBeGreaterThanOrEqual(1);
      for (const c of seenClients[n]!) expect(c, n).toMatch(PEER_ID_PREFIX[n]);
    }

    expect(await scrape("qbittorrent")).toMatchObject({ complete: 0, incomplete: 0 });
    await rtorrent.shutdown();
  });
});
