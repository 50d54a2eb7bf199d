// HTTP peer-id churn (issue 10, finding 8): a member announcing with a new peer id every time
// left one `accounting` row per id in D1, without bound. A (member, info hash) now keeps its
// live sessions' rows (at most MAX_PEERS_PER_MEMBER_TORRENT, as for peers) and one row of its
// ended sessions' totals (worker/swarm/flush.ts ENDED_SESSIONS): a session that stops, or is
// reaped after twice the interval, is folded into it. Nothing credited is lost or doubled.

import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_PEERS_PER_MEMBER_TORRENT } from "../../worker/announce/rules.ts";
import { ENDED_SESSIONS } from "../../worker/swarm/flush.ts";
import { PEER_TTL_MS, shardName, shardOf, type SwarmShard } from "../../worker/swarm/shard.ts";
import { fixture } from "./support/fixture.ts";
import { accountingRows, addMember, announce, credited, flushShard, peerId, text, uploadTorrent } from "./support/worker.ts";

const churner = "0x00000000000000000000000000000000c4c4c401";
const honest = "0x00000000000000000000000000000000a0a0a001";
const ROW_BOUND = MAX_PEERS_PER_MEMBER_TORRENT + 1;

const shardFor = (infoHash: string) => env.SWARM.get(env.SWARM.idFromName(shardName(shardOf(infoHash))));

/**
 * The shard's alarm now, with its reaper due (it runs at most once a minute) and its periodic
 * row too (JOURNAL_MS: reaped ends carry nothing the journal lacks, so they wait for it).
 */
async function reapAndFlush(infoHash: string): Promise<void> {
  await runInDurableObject(shardFor(infoHash), async (shard: SwarmShard) => {
    (shard as unknown as { lastReap: number; lastSealAt: number }).lastReap = 0;
    (shard as unknown as { lastSealAt: number }).lastSealAt = 0;
    await shard.alarm();
  });
}

describe("HTTP peer-id churn", () => {
  let pkC: string;
  let pkH: string;

  beforeAll(async () => {
    pkC = await addMember(churner, { joinedAt: Date.now() - 90 * 86_400_000 });
    pkH = await addMember(honest, { joinedAt: Date.now() - 90 * 86_400_000 });
  });

  it("keeps a member's accounting rows bounded however many peer ids it stops, and every credit exact (attack: peer-id churn leaves accounting rows without bound)", async () => {
    const f = fixture(40_000, 71, "churn-stopped.bin");
    expect((await uploadTorrent(f)).status).toBe(201);
    const h = peerId("honest-1");
    await announce(pkH, { infoHash: f.infoHash, peerId: h, left: 0, event: "started", ip: "10.71.0.1" });
    const N = 60;
    for (let i = 0; i < N; i++) {
      const pid = peerId(`churn-${i}`);
      await announce(pkC, { infoHash: f.infoHash, peerId: pid, left: 0, event: "started", ip: "10.71.1.1" });
      await announce(pkC, { infoHash: f.infoHash, peerId: pid, left: 0, uploaded: 1_000, ip: "10.71.1.1" });
      await announce(pkC, { infoHash: f.infoHash, peerId: pid, left: 0, uploaded: 1_500, event: "stopped", port: 0, ip: "10.71.1.1" });
      // The honest seeder announces on its interval meanwhile.
      if (i % 6 === 5) await announce(pkH, { infoHash: f.infoHash, peerId: h, left: 0, uploaded: 700 * ((i + 1) / 6), ip: "10.71.0.1" });
      if (i % 10 === 9) {
        await flushShard(f.infoHash);
        expect((await accountingRows(churner, f.infoHash)).length).toBeLessThanOrEqual(ROW_BOUND);
      }
    }
    await flushShard(f.infoHash);
    const rows = await accountingRows(churner, f.infoHash);
    expect(rows.map((r) => r.peerId)).toEqual([ENDED_SESSIONS]);
    expect(await credited(churner, f.infoHash)).toMatchObject({ uploaded: 1_500 * N, announces: 3 * N });
    expect(await credited(honest, f.infoHash)).toMatchObject({ uploaded: 700 * (N / 6), announces: 1 + N / 6 });
    expect((await accountingRows(honest, f.infoHash)).map((r) => r.peerId)).toEqual([Buffer.from(h).toString("hex")]);
  });

  it("refuses a fourth live session and folds abandoned ones once reaped after twice the interval (attack: peer-id churn without stopped)", async () => {
    const f = fixture(40_000, 72, "churn-abandoned.bin");
    expect((await uploadTorrent(f)).status).toBe(201);
    const h = peerId("honest-2");
    await announce(pkH, { infoHash: f.infoHash, peerId: h, left: 0, event: "started", ip: "10.72.0.1" });
    const ROUNDS = 8;
    for (let r = 0; r < ROUNDS; r++) {
      // Three sessions that never stop, announced long enough ago to be past the reaper's TTL.
      const old = Date.now() - PEER_TTL_MS - 3_600_000 + r * 10_000;
      for (let j = 0; j < MAX_PEERS_PER_MEMBER_TORRENT; j++) {
        const pid = peerId(`gone-${r}-${j}`);
        await announce(pkC, { infoHash: f.infoHash, peerId: pid, left: 0, event: "started", ip: "10.72.1.1", now: old });
        const more = await announce(pkC, { infoHash: f.infoHash, peerId: pid, left: 0, uploaded: 2_000, ip: "10.72.1.1", now: old + 400_000 + j });
        expect(more.body["failure reason"]).toBeUndefined();
      }
      const fourth = await announce(pkC, { infoHash: f.infoHash, peerId: peerId(`gone-${r}-x`), left: 0, event: "started", ip: "10.72.1.1", now: old + 500_000 });
      expect(text(fourth.body["failure reason"])).toMatch(/already have 3 clients/);
      await reapAndFlush(f.infoHash);
      expect((await accountingRows(churner, f.infoHash)).length).toBeLessThanOrEqual(ROW_BOUND);
    }
    await announce(pkH, { infoHash: f.infoHash, peerId: h, left: 0, uploaded: 9_000, ip: "10.72.0.1" });
    await flushShard(f.infoHash);
    expect((await accountingRows(churner, f.infoHash)).map((r) => r.peerId)).toEqual([ENDED_SESSIONS]);
    expect(await credited(churner, f.infoHash)).toMatchObject({ uploaded: 2_000 * MAX_PEERS_PER_MEMBER_TORRENT * ROUNDS });
    // The honest member's live session is neither reaped nor folded, and its credit is exact.
    expect(await credited(honest, f.infoHash)).toMatchObject({ uploaded: 9_000, announces: 2 });
    expect((await accountingRows(honest, f.infoHash)).map((r) => r.peerId)).toEqual([Buffer.from(h).toString("hex")]);
  });

  it("folds abandoned sessions a shard only has in storage after an eviction (attack: peer-id churn while the swarm is out of memory)", async () => {
    const f = fixture(40_000, 73, "churn-evicted.bin");
    expect((await uploadTorrent(f)).status).toBe(201);
    const old = Date.now() - PEER_TTL_MS - 3_600_000;
    for (let j = 0; j < MAX_PEERS_PER_MEMBER_TORRENT; j++) {
      const pid = peerId(`evicted-${j}`);
      await announce(pkC, { infoHash: f.infoHash, peerId: pid, left: 0, event: "started", ip: "10.73.1.1", now: old });
      await announce(pkC, { infoHash: f.infoHash, peerId: pid, left: 0, uploaded: 3_000, ip: "10.73.1.1", now: old + 400_000 + j });
    }
    await flushShard(f.infoHash);
    expect((await accountingRows(churner, f.infoHash)).length).toBe(MAX_PEERS_PER_MEMBER_TORRENT);
    await evictDurableObject(shardFor(f.infoHash));
    await reapAndFlush(f.infoHash);
    expect((await accountingRows(churner, f.infoHash)).map((r) => r.peerId)).toEqual([ENDED_SESSIONS]);
    expect(await credited(churner, f.infoHash)).toMatchObject({ uploaded: 3_000 * MAX_PEERS_PER_MEMBER_TORRENT, announces: 2 * MAX_PEERS_PER_MEMBER_TORRENT });
  });
});
