// The accounting flush and the epoch ledger (docs/interfaces.md "Accounting ledger"): the
// shard seals what is pending into numbered batches and D1 applies each exactly once; every
// batch is stamped with the epoch open when it reaches D1 (open = max(last closed, last
// sealed) + 1), per (member, info hash) and per torrent, actual and credited.

import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { db, schema } from "../../worker/db/client.ts";
import { ledgerEpoch, ledgerOf, sealLedger, swarmLedgerOf } from "../../worker/accounting/ledger.ts";
import { shardName, shardOf, type SwarmShard } from "../../worker/swarm/shard.ts";
import { fixture } from "./support/fixture.ts";
import { addMember, admin, announce, credited, flushShard, peerId, tick, uploadTorrent } from "./support/worker.ts";

const seeder = "0x00000000000000000000000000000000000ed6e1";
const leecher = "0x00000000000000000000000000000000000ed6e2";
const shardFor = (ih: string) => env.SWARM.get(env.SWARM.idFromName(shardName(shardOf(ih))));

describe("the epoch ledger", () => {
  let pkS: string;
  let pkL: string;
  beforeAll(async () => {
    pkS = await addMember(seeder);
    pkL = await addMember(leecher);
  });

  it("stamps batches with the open epoch, per member and torrent, actual and credited; a sealed epoch stops moving", async () => {
    const f = fixture(50_000, 950, "ledger.bin");
    expect((await uploadTorrent(f)).status).toBe(201);
    expect((await admin(`/admin/torrents/${f.infoHash}/flags`, { body: JSON.stringify({ doubleUpload: true }), headers: { "Content-Type": "application/json" } })).status).toBe(200);
    const epoch = await ledgerEpoch(env.DB);
    await announce(pkS, { infoHash: f.infoHash, peerId: peerId("lg-s"), left: 0, event: "started", ip: "10.70.0.1" });
    await announce(pkL, { infoHash: f.infoHash, peerId: peerId("lg-l"), left: 50_000, event: "started", ip: "10.70.0.2" });
    await announce(pkS, { infoHash: f.infoHash, peerId: peerId("lg-s"), left: 0, uploaded: 20_000, ip: "10.70.0.1" });
    await announce(pkL, { infoHash: f.infoHash, peerId: peerId("lg-l"), left: 30_000, downloaded: 20_000, ip: "10.70.0.2" });
    // Nothing reaches D1 on the announce path.
    expect(await ledgerOf(env.DB, epoch)).toEqual([]);
    await flushShard(f.infoHash);
    expect(await ledgerOf(env.DB, epoch)).toEqual([
      { member: seeder, infoHash: f.infoHash, uploaded: 20_000, downloaded: 0, creditedUploaded: 40_000, creditedDownloaded: 0, seedSeconds: 800 },
      { member: leecher, infoHash: f.infoHash, uploaded: 0, downloaded: 20_000, creditedUploaded: 0, creditedDownloaded: 20_000, seedSeconds: 0 },
    ]);
    expect(await swarmLedgerOf(env.DB, epoch, f.infoHash)).toMatchObject([{ epoch, uploaded: 20_000, downloaded: 20_000, creditedUploaded: 40_000, creditedDownloaded: 20_000, announces: 4, snatches: 0, seeders: 1, leechers: 1 }]);

    // The close seals the epoch first: later batches belong to the next one.
    await sealLedger(env.DB, epoch);
    expect(await ledgerEpoch(env.DB)).toBe(epoch + 1);
    await announce(pkL, { infoHash: f.infoHash, peerId: peerId("lg-l"), left: 0, downloaded: 50_000, event: "completed", ip: "10.70.0.2" });
    await flushShard(f.infoHash);
    expect((await ledgerOf(env.DB, epoch)).find((r) => r.member === leecher)).toMatchObject({ downloaded: 20_000 });
    expect(await ledgerOf(env.DB, epoch + 1)).toEqual([
      { member: leecher, infoHash: f.infoHash, uploaded: 0, downloaded: 30_000, creditedUploaded: 0, creditedDownloaded: 30_000, seedSeconds: 0 },
    ]);
    expect(await swarmLedgerOf(env.DB, epoch + 1, f.infoHash)).toMatchObject([{ downloaded: 30_000, snatches: 1, seeders: 2, leechers: 0 }]);
    // The lifetime totals are the sum of the epochs.
    expect(await credited(leecher, f.infoHash)).toMatchObject({ downloaded: 50_000, creditedDownloaded: 50_000 });
    // The index shows the swarm as last flushed.
    const row = await db(env.DB).select().from(schema.swarms).where(eq(schema.swarms.infoHash, f.infoHash)).get();
    expect(row).toMatchObject({ seeders: 2, leechers: 0, snatches: 1 });
  });

  it("applies a batch once: sent again after D1 applied it (a lost reply), it is dropped", async () => {
    const f = fixture(50_000, 951, "replay.bin");
    expect((await uploadTorrent(f)).status).toBe(201);
    const pid = peerId("rp");
    await announce(pkS, { infoHash: f.infoHash, peerId: pid, left: 0, event: "started", ip: "10.71.0.1" });
    await announce(pkS, { infoHash: f.infoHash, peerId: pid, left: 0, uploaded: 7_000, ip: "10.71.0.1" });
    const shard = shardFor(f.infoHash);
    await runInDurableObject(shard, (s: SwarmShard) => s.seal(Date.now(), true));
    // The reply is lost: D1 applied the batch, the shard's record of it is gone with a crash.
    const sent = await runInDurableObject(shard, async (s: SwarmShard, state) => {
      const before = state.storage.sql.exec<{ v: number }>("SELECT v FROM meta WHERE k = 'sent'").toArray()[0]?.v ?? 0;
      await s.send();
      return before;
    });
    expect(await credited(seeder, f.infoHash)).toMatchObject({ uploaded: 7_000 });
    await runInDurableObject(shard, (_s: SwarmShard, state) => state.storage.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('sent', ?)", sent));
    await evictDurableObject(shard);
    // Restarted, the shard sends the batch again: D1's `flushes` key drops it.
    const replays = await runInDurableObject(shard, async (s: SwarmShard) => {
      await s.send();
      return s.metrics(0).counters.flush_replays;
    });
    expect(replays).toBe(1);
    expect(await credited(seeder, f.infoHash)).toMatchObject({ uploaded: 7_000, announces: 2 });
  });

  it("sends after a restart what it sealed before, and the stored baseline agrees with it (no credit lost or repeated)", async () => {
    const f = fixture(50_000, 952, "restart.bin");
    expect((await uploadTorrent(f)).status).toBe(201);
    const pid = peerId("rs");
    const t0 = tick();
    await announce(pkS, { infoHash: f.infoHash, peerId: pid, left: 0, event: "started", ip: "10.72.0.1", now: t0 });
    await announce(pkS, { infoHash: f.infoHash, peerId: pid, left: 0, uploaded: 9_000, ip: "10.72.0.1", now: t0 + 400_000 });
    const shard = shardFor(f.infoHash);
    await runInDurableObject(shard, (s: SwarmShard) => s.seal(Date.now(), true));
    await evictDurableObject(shard); // before the batch reached D1
    expect(await credited(seeder, f.infoHash)).toMatchObject({ uploaded: 0 });
    expect(await runDurableObjectAlarm(shard)).toBe(true);
    expect(await credited(seeder, f.infoHash)).toMatchObject({ uploaded: 9_000 });
    await announce(pkS, { infoHash: f.infoHash, peerId: pid, left: 0, uploaded: 10_000, ip: "10.72.0.1", now: t0 + 800_000 });
    await flushShard(f.infoHash);
    expect(await credited(seeder, f.infoHash)).toMatchObject({ uploaded: 10_000, announces: 3 });
  });
});
