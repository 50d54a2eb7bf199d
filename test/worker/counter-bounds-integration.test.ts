// Bounded counters on the real stack (issue #11 part 2): an announce that reports more bytes than
// the torrent's size or the time since the session's last announce allows is credited only what
// is physically possible (protocol/accounting/bounds.ts), and the clamp shows in /metrics.

import { env, runInDurableObject } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { COUNTER_BURST_SECONDS, MAX_SESSION_BYTES_PER_SECOND, SURGE_WINDOW_SECONDS } from "../../protocol/params.ts";
import { maxSessionDownloaded } from "../../protocol/accounting/bounds.ts";
import { ledgerOf } from "../../worker/accounting/ledger.ts";
import { openEpoch } from "../../worker/challenge/round.ts";
import { db, schema } from "../../worker/db/client.ts";
import { shardName, shardOf, type SwarmShard } from "../../worker/swarm/shard.ts";
import { fixture } from "./support/fixture.ts";
import { ADMIN_TOKEN, addMember, announce, call, flushShard, peerId, tick, uploadTorrent } from "./support/worker.ts";

const GB = 1_000_000_000;
const LENGTH = 30_000;

/** Sum of a metric family's samples whose labels include `match`. */
async function metric(name: string, match: Record<string, string> = {}): Promise<number> {
  const text = await (await call("/metrics", { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    const m = /^([a-z_][a-z0-9_]*)(\{[^}]*\})? (-?[0-9.e+-]+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = Object.fromEntries([...(m[2] ?? "").matchAll(/([a-z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(match).every(([k, v]) => labels[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

async function rowOf(member: string, infoHash: string) {
  const epoch = await openEpoch(db(env.DB));
  return (await ledgerOf(env.DB, epoch)).find((r) => r.member === member && r.infoHash === infoHash);
}

describe("bounded counters", () => {
  const f = fixture(LENGTH, 9701, "bounded.bin");
  const leecher = "0x00000000000000000000000000000000000b0001";
  const seeder = "0x00000000000000000000000000000000000b0002";
  const pk: Record<string, string> = {};
  beforeAll(async () => {
    expect((await uploadTorrent(f)).status).toBe(201);
    pk.leecher = await addMember(leecher);
    pk.seeder = await addMember(seeder);
  });

  it("credits a download at most the torrent's length plus slack, and counts the clamp in /metrics (attack: inflated counters)", async () => {
    const before = await metric("vidya_clamped_bytes_total", { direction: "downloaded" });
    const clampsBefore = await metric("vidya_counter_clamps_total", { counter: "downloaded" });
    await announce(pk.leecher!, { infoHash: f.infoHash, peerId: peerId("cb-l"), left: LENGTH, event: "started", ip: "10.95.0.1" });
    // A day later (time is no limit here), 100,000 GB "downloaded" of a 30 kB torrent.
    await announce(pk.leecher!, { infoHash: f.infoHash, peerId: peerId("cb-l"), left: 0, downloaded: 100_000 * GB, event: "completed", ip: "10.95.0.1", now: tick(86_400_000) });
    // And more of it later in the same session: nothing more is credited.
    await announce(pk.leecher!, { infoHash: f.infoHash, peerId: peerId("cb-l"), left: 0, downloaded: 200_000 * GB, ip: "10.95.0.1", now: tick(86_400_000) });
    await flushShard(f.infoHash);
    const row = await rowOf(leecher, f.infoHash);
    expect(row!.downloaded).toBe(maxSessionDownloaded(LENGTH));
    expect(row!.creditedDownloaded).toBe(maxSessionDownloaded(LENGTH));
    // Refused: each report's excess over the credited baseline (which the first clamp left at the cap).
    expect((await metric("vidya_clamped_bytes_total", { direction: "downloaded" })) - before).toBe(300_000 * GB - 2 * maxSessionDownloaded(LENGTH));
    expect((await metric("vidya_counter_clamps_total", { counter: "downloaded" })) - clampsBefore).toBe(2);
  });

  it("credits an upload at most 1 Gbit/s for the time since the last announce, and counts the clamp in /metrics (attack: inflated counters)", async () => {
    const before = await metric("vidya_clamped_bytes_total", { direction: "uploaded" });
    const t0 = tick();
    await announce(pk.seeder!, { infoHash: f.infoHash, peerId: peerId("cb-s"), left: 0, event: "started", ip: "10.95.0.2", now: t0 });
    // 60 s later: 100,000 GB "uploaded".
    await announce(pk.seeder!, { infoHash: f.infoHash, peerId: peerId("cb-s"), left: 0, uploaded: 100_000 * GB, ip: "10.95.0.2", now: t0 + 60_000 });
    await flushShard(f.infoHash);
    const allowed = (60 + COUNTER_BURST_SECONDS) * MAX_SESSION_BYTES_PER_SECOND;
    const row = await rowOf(seeder, f.infoHash);
    expect(row!.uploaded).toBe(allowed);
    expect((await metric("vidya_clamped_bytes_total", { direction: "uploaded" })) - before).toBe(100_000 * GB - allowed);
    expect(await metric("vidya_counter_clamps_total", { counter: "uploaded" })).toBeGreaterThanOrEqual(1);
  });

  it("bounds `left` by the torrent's length and counts it (attack: inflated demand)", async () => {
    const before = await metric("vidya_counter_clamps_total", { counter: "left" });
    await announce(pk.leecher!, { infoHash: f.infoHash, peerId: peerId("cb-l2"), left: 1e15, event: "started", ip: "10.95.0.3" });
    await flushShard(f.infoHash);
    expect((await metric("vidya_counter_clamps_total", { counter: "left" })) - before).toBe(1);
  });

  it("credits an honest client's counters in full", async () => {
    const honest = "0x00000000000000000000000000000000000b0003";
    const pkh = await addMember(honest);
    const t0 = tick();
    await announce(pkh, { infoHash: f.infoHash, peerId: peerId("cb-h"), left: LENGTH, event: "started", ip: "10.95.0.4", now: t0 });
    await announce(pkh, { infoHash: f.infoHash, peerId: peerId("cb-h"), left: 0, downloaded: LENGTH, uploaded: 2 * LENGTH, event: "completed", ip: "10.95.0.4", now: t0 + 1_000 });
    await flushShard(f.infoHash);
    expect(await rowOf(honest, f.infoHash)).toMatchObject({ downloaded: LENGTH, uploaded: 2 * LENGTH });
  });

  it("counts only paying or free-allotment leechers as surge demand: a slowed member's idle leecher adds none (attack: fake demand)", async () => {
    const g = fixture(50_000, 9702, "demand.bin");
    expect((await uploadTorrent(g)).status).toBe(201);
    const slowed = "0x00000000000000000000000000000000000b0004";
    const paying = "0x00000000000000000000000000000000000b0005";
    const pks = await addMember(slowed);
    const pkp = await addMember(paying);
    // Past its allotment with nothing to pay: the close marked it slowed.
    await db(env.DB).update(schema.members).set({ slowed: true }).where(eq(schema.members.account, slowed));
    await announce(pk.seeder!, { infoHash: g.infoHash, peerId: peerId("cd-s"), left: 0, event: "started", ip: "10.95.0.5" });
    await announce(pks, { infoHash: g.infoHash, peerId: peerId("cd-x"), left: 50_000, event: "started", ip: "10.95.0.6" });
    await announce(pkp, { infoHash: g.infoHash, peerId: peerId("cd-p"), left: 20_000, event: "started", ip: "10.95.0.7" });
    const shard = env.SWARM.get(env.SWARM.idFromName(shardName(shardOf(g.infoHash))));
    const samples = await runInDurableObject(shard, (s: SwarmShard) => s.surgeWindow(tick(), SURGE_WINDOW_SECONDS));
    expect(samples.find((x) => x.infoHash === g.infoHash)).toMatchObject({ leechers: 1, seeders: 1, left: 20_000 });
  });
});
