import { env, runDurableObjectAlarm } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { shardName, shardOf } from "../../worker/swarm/shard.ts";
import type { TorrentStats } from "../../worker/members/stats.ts";
import { fixture } from "./support/fixture.ts";
import { addMember, announce, call, peerId, uploadTorrent } from "./support/worker.ts";

interface Stats {
  account: string;
  uploaded: number;
  downloaded: number;
  seedSeconds: number;
  torrents: TorrentStats[];
}

const carol = "0x00000000000000000000000000000000000ca201";
const dave = "0x00000000000000000000000000000000000da7e1";

async function flush(infoHash: string) {
  await runDurableObjectAlarm(env.SWARM.get(env.SWARM.idFromName(shardName(shardOf(infoHash)))));
}

describe("GET /:passkey/stats", () => {
  const a = fixture(40_000, 41, "stats-a.bin");
  const b = fixture(40_000, 42, "stats-b.bin");
  let pk: string;

  beforeAll(async () => {
    pk = await addMember(carol);
    for (const t of [a, b]) expect((await uploadTorrent(t)).status).toBe(201);
  });

  it("answers the member's credited totals per torrent and whether a session is seeding or leeching now", async () => {
    // Torrent a: downloaded in full by one session, which now seeds.
    await announce(pk, { infoHash: a.infoHash, peerId: peerId("c1"), left: 40_000, event: "started", ip: "10.4.0.1" });
    await announce(pk, { infoHash: a.infoHash, peerId: peerId("c1"), left: 0, downloaded: 40_000, uploaded: 1_000, event: "completed", ip: "10.4.0.1" });
    // Torrent b: one session uploaded and stopped, another is still leeching.
    await announce(pk, { infoHash: b.infoHash, peerId: peerId("c2"), left: 0, event: "started", ip: "10.4.0.1" });
    await announce(pk, { infoHash: b.infoHash, peerId: peerId("c2"), left: 0, uploaded: 25_000, event: "stopped", port: 0, ip: "10.4.0.1" });
    await announce(pk, { infoHash: b.infoHash, peerId: peerId("c3"), left: 30_000, event: "started", ip: "10.4.0.2" });
    await announce(pk, { infoHash: b.infoHash, peerId: peerId("c3"), left: 12_000, downloaded: 18_000, ip: "10.4.0.2" });
    await flush(a.infoHash);
    await flush(b.infoHash);

    const res = await call(`/${pk}/stats`);
    expect(res.status).toBe(200);
    const s = (await res.json()) as Stats;
    expect(s).toMatchObject({ account: carol, uploaded: 26_000, downloaded: 58_000 });
    const of = (h: string) => s.torrents.find((t) => t.infoHash === h);
    expect(of(a.infoHash)).toMatchObject({ name: "stats-a.bin", uploaded: 1_000, downloaded: 40_000, announces: 2, sessions: 1, state: "seeding", left: 0 });
    expect(of(b.infoHash)).toMatchObject({ name: "stats-b.bin", uploaded: 25_000, downloaded: 18_000, announces: 4, sessions: 2, state: "leeching", left: 12_000 });
  });

  it("shows a torrent as inactive once every session stopped", async () => {
    await announce(pk, { infoHash: b.infoHash, peerId: peerId("c3"), left: 12_000, downloaded: 18_000, event: "stopped", port: 0, ip: "10.4.0.2" });
    await flush(b.infoHash);
    const s = (await (await call(`/${pk}/stats`)).json()) as Stats;
    expect(s.torrents.find((t) => t.infoHash === b.infoHash)).toMatchObject({ state: "inactive", left: null, downloaded: 18_000 });
  });

  it("shows a completion the shard has not sent to D1 yet: completedAt, the snatch count and the snatched list (finding: a finished download read as never completed)", async () => {
    const e = fixture(40_000, 43, "stats-e.bin");
    expect((await uploadTorrent(e)).status).toBe(201);
    const pkE = await addMember("0x00000000000000000000000000000000000e1e01");
    await announce(pkE, { infoHash: e.infoHash, peerId: peerId("e1"), left: 40_000, event: "started", ip: "10.4.0.5" });
    await announce(pkE, { infoHash: e.infoHash, peerId: peerId("e1"), left: 0, downloaded: 40_000, event: "completed", ip: "10.4.0.5" });
    // No alarm has run: D1 has no row of this session, the shard holds the completion.
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM accounting WHERE info_hash = ? AND completed_at IS NOT NULL").bind(e.infoHash).first<{ n: number }>();
    expect(rows?.n).toBe(0);
    const s = (await (await call(`/${pkE}/stats`)).json()) as Stats & { snatched: number };
    expect(s.snatched).toBe(1);
    expect(s.torrents.find((t) => t.infoHash === e.infoHash)?.completedAt).toBeGreaterThan(0);
    const list = (await (await call(`/${pkE}/torrents/snatched`)).json()) as { torrents: { infoHash: string; downloaded: number }[] };
    expect(list.torrents.map((t) => t.infoHash)).toEqual([e.infoHash]);
    expect(list.torrents[0]!.downloaded).toBe(40_000);
  });

  it("answers a member who never announced with empty totals", async () => {
    const pkD = await addMember(dave);
    const s = (await (await call(`/${pkD}/stats`)).json()) as Stats;
    expect(s).toEqual({ account: dave, uploaded: 0, downloaded: 0, creditedUploaded: 0, creditedDownloaded: 0, seedSeconds: 0, snatched: 0, ratio: null, torrents: [] });
  });

  it("refuses an unknown passkey with a JSON error", async () => {
    const res = await call("/0123456789abcdef0123456789abcdef/stats");
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: { code: "unknown_passkey", message: "unknown passkey" } });
  });
});
