// Regressions found by real clients (test/interop): a swarm shard keeps its peers in memory,
// and workerd evicts an idle Durable Object after seconds (Cloudflare after a minute or two)
// while clients announce every half hour. Transmission got no peers from a node that had
// announced twelve seconds earlier, and a seeder's `stopped` announce was taken for a new
// session and credited nothing.

import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { db, schema } from "../../worker/db/client.ts";
import { FLUSH_MS, shardName, shardOf } from "../../worker/swarm/shard.ts";
import { fixture } from "./support/fixture.ts";
import { addMember, announce, peerId, uploadTorrent } from "./support/worker.ts";

const seeder = "0x00000000000000000000000000000000005eed01";
const leecher = "0x000000000000000000000000000000000011ec01";

const shardFor = (infoHash: string) => env.SWARM.get(env.SWARM.idFromName(shardName(shardOf(infoHash))));

describe("a swarm shard evicted from memory", () => {
  let pkS: string;
  let pkL: string;

  beforeAll(async () => {
    pkS = await addMember(seeder);
    pkL = await addMember(leecher);
  });

  it("still hands out a seed that announced before the eviction (regression: peers lost after seconds idle)", async () => {
    const f = fixture(30_000, 31, "evicted-seed.bin");
    expect((await uploadTorrent(f)).status).toBe(201);
    await announce(pkS, { infoHash: f.infoHash, peerId: peerId("seed"), left: 0, event: "started", ip: "10.9.0.1", port: 51413 });
    const shard = shardFor(f.infoHash);
    expect(await runDurableObjectAlarm(shard)).toBe(true);
    await evictDurableObject(shard);

    const { body } = await announce(pkL, { infoHash: f.infoHash, peerId: peerId("leech"), left: 30_000, event: "started", ip: "10.9.0.2" });
    expect(Array.from(body.peers as Uint8Array)).toEqual([10, 9, 0, 1, 51413 >> 8, 51413 & 0xff]);
    expect(body).toMatchObject({ complete: 1, incomplete: 1 });
  });

  it("credits the first announce after the eviction as a delta, not as a new session (regression: stopped credited zero)", async () => {
    const f = fixture(30_000, 32, "evicted-credit.bin");
    expect((await uploadTorrent(f)).status).toBe(201);
    const pid = peerId("credit");
    await announce(pkS, { infoHash: f.infoHash, peerId: pid, left: 0, uploaded: 0, event: "started", ip: "10.9.0.3" });
    const shard = shardFor(f.infoHash);
    expect(await runDurableObjectAlarm(shard)).toBe(true);
    await evictDurableObject(shard);

    await announce(pkS, { infoHash: f.infoHash, peerId: pid, left: 0, uploaded: 30_000, event: "stopped", port: 0, ip: "10.9.0.3" });
    expect(await runDurableObjectAlarm(shard)).toBe(true);
    const row = await db(env.DB)
      .select()
      .from(schema.accounting)
      .where(and(eq(schema.accounting.member, seeder), eq(schema.accounting.infoHash, f.infoHash)))
      .get();
    expect(row).toMatchObject({ uploaded: 30_000, announces: 2 });

    // The stopped session is gone from the stored swarm too.
    await evictDurableObject(shard);
    const { body } = await announce(pkL, { infoHash: f.infoHash, peerId: peerId("after"), left: 30_000, ip: "10.9.0.4" });
    expect((body.peers as Uint8Array).length).toBe(0);
    expect(body).toMatchObject({ complete: 0, incomplete: 1 });
  });

  it("flushes credit within FLUSH_MS while the reaper's minute-long alarm is pending (regression: credit waited up to 60 s)", async () => {
    const f = fixture(30_000, 33, "alarm-forward.bin");
    expect((await uploadTorrent(f)).status).toBe(201);
    const pid = peerId("alarm");
    await announce(pkL, { infoHash: f.infoHash, peerId: pid, left: 30_000, event: "started", ip: "10.9.0.5" });
    const shard = shardFor(f.infoHash);
    expect(await runDurableObjectAlarm(shard)).toBe(true);
    // Nothing pending, peers stored: the next alarm is the reaper's, a minute out.
    const reaperAt = await runInDurableObject(shard, (_, state) => state.storage.getAlarm());
    expect(reaperAt).toBeGreaterThan(Date.now() + FLUSH_MS);

    await announce(pkL, { infoHash: f.infoHash, peerId: pid, left: 0, downloaded: 30_000, event: "completed", ip: "10.9.0.5" });
    const flushAt = await runInDurableObject(shard, (_, state) => state.storage.getAlarm());
    expect(flushAt).not.toBeNull();
    expect(flushAt!).toBeLessThanOrEqual(Date.now() + FLUSH_MS);
    expect(await runDurableObjectAlarm(shard)).toBe(true);
    const row = await db(env.DB)
      .select()
      .from(schema.accounting)
      .where(and(eq(schema.accounting.member, leecher), eq(schema.accounting.infoHash, f.infoHash)))
      .get();
    expect(row?.downloaded).toBe(30_000);
  });
});
