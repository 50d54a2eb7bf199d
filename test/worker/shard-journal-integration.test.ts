// The bill (issue 13 part 6): a shard journals its sessions, with their credit not yet in D1,
// one row per seal, and sends credit to D1 only when a session ends, completes, passes a bound
// or grows old (worker/swarm/journal.ts). These pin that the saving loses and repeats nothing
// across an eviction or a crash (the object's memory dropped between announces), and that
// rows written do not grow with the sessions that announced.

import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { bytesToBinary } from "../../protocol/hex.ts";
import { beforeAll, describe, expect, it } from "vitest";
import { ENDED_SESSIONS } from "../../worker/swarm/flush.ts";
import { JOURNAL_SLACK } from "../../worker/swarm/journal.ts";
import { PEER_TTL_MS, shardName, shardOf, type SwarmShard } from "../../worker/swarm/shard.ts";
import { fixture } from "./support/fixture.ts";
import { accountingRows, addMember, announce, credited, flushShard, peerId, tick, uploadTorrent } from "./support/worker.ts";

const seeder = "0x00000000000000000000000000000000b111e501";
const leecher = "0x00000000000000000000000000000000b111e502";
const many = Array.from({ length: 40 }, (_, i) => `0x00000000000000000000000000000000b1110${(100 + i).toString(16).padStart(3, "0")}`);

const shardFor = (infoHash: string) => env.SWARM.get(env.SWARM.idFromName(shardName(shardOf(infoHash))));
const counters = (infoHash: string) => runInDurableObject(shardFor(infoHash), (s: SwarmShard) => s.metrics(0));

describe("a shard's journal and its lazy D1 credit", () => {
  let pkS: string;
  let pkL: string;
  const pkMany: string[] = [];

  beforeAll(async () => {
    const joined = Date.now() - 90 * 86_400_000;
    pkS = await addMember(seeder, { joinedAt: joined });
    pkL = await addMember(leecher, { joinedAt: joined });
    for (const m of many) pkMany.push(await addMember(m, { joinedAt: joined }));
  });

  it("credits a session exactly once when the shard is evicted after journaling credit D1 has not seen (attack: accounting lost or repeated across an eviction)", async () => {
    const f = fixture(60_000, 1301, "journal-evicted.bin");
    expect((await uploadTorrent(f)).status).toBe(201);
    const pid = peerId("jr-evict");
    await announce(pkS, { infoHash: f.infoHash, peerId: pid, left: 0, event: "started", ip: "10.130.0.1", now: tick() });
    await announce(pkS, { infoHash: f.infoHash, peerId: pid, left: 0, uploaded: 10_000, ip: "10.130.0.1", now: tick() });
    const shard = shardFor(f.infoHash);
    expect(await runDurableObjectAlarm(shard)).toBe(true);
    // Journaled, not sent: an idle seed's credit waits in the shard (journal.ts SEND_MAX_AGE_MS).
    expect(await accountingRows(seeder, f.infoHash)).toEqual([]);
    await evictDurableObject(shard);

    await announce(pkS, { infoHash: f.infoHash, peerId: pid, left: 0, uploaded: 25_000, ip: "10.130.0.1", now: tick() });
    await flushShard(f.infoHash);
    expect(await credited(seeder, f.infoHash)).toMatchObject({ uploaded: 25_000, announces: 3 });
    // Evicted again after the send: nothing is sent twice.
    await evictDurableObject(shard);
    await flushShard(f.infoHash);
    expect(await credited(seeder, f.infoHash)).toMatchObject({ uploaded: 25_000, announces: 3 });
  });

  it("recovers credit from the client's cumulative counters when the shard crashed before journaling it (attack: accounting lost in a crash between announces)", async () => {
    const f = fixture(60_000, 1302, "journal-crash.bin");
    expect((await uploadTorrent(f)).status).toBe(201);
    const pid = peerId("jr-crash");
    await announce(pkS, { infoHash: f.infoHash, peerId: pid, left: 0, event: "started", ip: "10.130.0.2", now: tick() });
    const shard = shardFor(f.infoHash);
    expect(await runDurableObjectAlarm(shard)).toBe(true);
    // Credited in memory, then the object's memory is dropped before any alarm journals it.
    await announce(pkS, { infoHash: f.infoHash, peerId: pid, left: 0, uploaded: 8_000, ip: "10.130.0.2", now: tick() });
    await runInDurableObject(shard, (_s: SwarmShard, state) => state.storage.deleteAlarm());
    await evictDurableObject(shard);

    // The next announce carries the cumulative total again: its delta runs from the journaled baseline.
    await announce(pkS, { infoHash: f.infoHash, peerId: pid, left: 0, uploaded: 12_000, event: "stopped", port: 0, ip: "10.130.0.2", now: tick() });
    expect(await runDurableObjectAlarm(shard)).toBe(true);
    expect(await credited(seeder, f.infoHash)).toMatchObject({ uploaded: 12_000 });
    // Ended before D1 ever saw it: its totals went straight into the ended-sessions row.
    expect((await accountingRows(seeder, f.infoHash)).map((r) => r.peerId)).toEqual([ENDED_SESSIONS]);
  });

  it("keeps journaled credit of a client that never announces again, and sends it once (attack: a crash drops the credit of a client that left)", async () => {
    const f = fixture(60_000, 1303, "journal-left.bin");
    expect((await uploadTorrent(f)).status).toBe(201);
    const pid = peerId("jr-left");
    await announce(pkL, { infoHash: f.infoHash, peerId: pid, left: 60_000, event: "started", ip: "10.130.0.3", now: tick() });
    await announce(pkL, { infoHash: f.infoHash, peerId: pid, left: 30_000, downloaded: 30_000, ip: "10.130.0.3", now: tick() });
    const shard = shardFor(f.infoHash);
    expect(await runDurableObjectAlarm(shard)).toBe(true);
    expect(await accountingRows(leecher, f.infoHash)).toEqual([]);
    await evictDurableObject(shard);
    await flushShard(f.infoHash);
    expect(await credited(leecher, f.infoHash)).toMatchObject({ downloaded: 30_000, creditedDownloaded: 30_000, announces: 2 });
    await evictDurableObject(shard);
    await flushShard(f.infoHash);
    expect(await credited(leecher, f.infoHash)).toMatchObject({ downloaded: 30_000, announces: 2 });
  });

  it("journals forty sessions' announces in one row and writes nothing to D1 for them until they end (finding: a row written per announce)", async () => {
    const f = fixture(60_000, 1304, "journal-batch.bin");
    expect((await uploadTorrent(f)).status).toBe(201);
    const shard = shardFor(f.infoHash);
    await runDurableObjectAlarm(shard);
    const before = (await counters(f.infoHash)).counters;
    const t0 = tick();
    for (let i = 0; i < many.length; i++)
      await announce(pkMany[i]!, { infoHash: f.infoHash, peerId: peerId(`jr-b${i}`), left: 0, event: "started", ip: `10.131.0.${i + 1}`, now: t0 + i });
    for (let i = 0; i < many.length; i++)
      await announce(pkMany[i]!, { infoHash: f.infoHash, peerId: peerId(`jr-b${i}`), left: 0, uploaded: 1_000 + i, ip: `10.131.0.${i + 1}`, now: t0 + 400_000 + i });
    expect(await runDurableObjectAlarm(shard)).toBe(true);
    const after = (await counters(f.infoHash)).counters;
    // 80 announces of 40 sessions: one journal row (the row-per-session design wrote 80).
    expect((after.do_rows_written ?? 0) - (before.do_rows_written ?? 0)).toBeLessThanOrEqual(2);
    // D1 got at most the swarm's new size (the site's index, with its indexes) and the batch's key, no accounting.
    expect((after.d1_rows_written ?? 0) - (before.d1_rows_written ?? 0)).toBeLessThanOrEqual(10);
    for (const m of many.slice(0, 3)) expect(await accountingRows(m, f.infoHash)).toEqual([]);

    // One stops: its credit, and only its, goes to D1 at the next alarm.
    await announce(pkMany[0]!, { infoHash: f.infoHash, peerId: peerId("jr-b0"), left: 0, uploaded: 5_000, event: "stopped", port: 0, ip: "10.131.0.1", now: tick() });
    expect(await runDurableObjectAlarm(shard)).toBe(true);
    expect(await credited(many[0]!, f.infoHash)).toMatchObject({ uploaded: 5_000, announces: 3 });
    expect(await accountingRows(many[1]!, f.infoHash)).toEqual([]);

    // Forced (the bench, tests): every session's credit lands, once.
    await flushShard(f.infoHash);
    await flushShard(f.infoHash);
    for (let i = 1; i < many.length; i++) expect(await credited(many[i]!, f.infoHash)).toMatchObject({ uploaded: 1_000 + i, announces: 2 });
  });

  it("journals a reaped session's end with the periodic row, and after a crash before that row still sends its credit once (attack: accounting lost or repeated when an end waits to be batched)", async () => {
    const f = fixture(60_000, 1307, "journal-reaped.bin");
    expect((await uploadTorrent(f)).status).toBe(201);
    const pid = peerId("jr-reaped");
    // Announced long enough ago that the next reaper ends it (unseen for twice the interval).
    const old = Date.now() - PEER_TTL_MS - 3_600_000;
    await announce(pkS, { infoHash: f.infoHash, peerId: pid, left: 0, event: "started", ip: "10.130.0.9", now: old });
    await announce(pkS, { infoHash: f.infoHash, peerId: pid, left: 0, uploaded: 7_000, ip: "10.130.0.9", now: old + 400_000 });
    const shard = shardFor(f.infoHash);
    // Journaled (a new session is urgent) by an alarm whose reaper already ran this minute.
    await runInDurableObject(shard, async (s: SwarmShard) => {
      (s as unknown as { lastReap: number }).lastReap = Date.now();
      await s.alarm();
    });
    const before = (await counters(f.infoHash)).counters;
    // The reaper ends it in memory; nothing new to journal, so no row is written for the end yet.
    await runInDurableObject(shard, async (s: SwarmShard) => {
      (s as unknown as { lastReap: number }).lastReap = 0;
      await s.alarm();
    });
    const after = (await counters(f.infoHash)).counters;
    expect(after.reaped! - (before.reaped ?? 0)).toBe(1);
    expect((after.do_rows_written ?? 0) - (before.do_rows_written ?? 0)).toBe(0);
    expect(await accountingRows(seeder, f.infoHash)).toEqual([]);

    // The object crashes before the periodic row: the journal still holds the session and its credit.
    await runInDurableObject(shard, (_s: SwarmShard, state) => state.storage.deleteAlarm());
    await evictDurableObject(shard);
    await runInDurableObject(shard, async (s: SwarmShard) => {
      (s as unknown as { lastReap: number }).lastReap = 0;
      await s.alarm();
    });
    await flushShard(f.infoHash);
    expect(await credited(seeder, f.infoHash)).toMatchObject({ uploaded: 7_000, announces: 2 });
    expect((await accountingRows(seeder, f.infoHash)).map((r) => r.peerId)).toEqual([ENDED_SESSIONS]);
    // Every slot of unsent credit is freed once its credit is sent (worker/swarm/unsent.ts).
    expect((await counters(f.infoHash)).gauges.credit_slots).toBe(0);
    await evictDurableObject(shard);
    await flushShard(f.infoHash);
    expect(await credited(seeder, f.infoHash)).toMatchObject({ uploaded: 7_000, announces: 2 });
  });

  it("journals an unsent snatch and its swarm's count across an eviction (attack: a completed download lost from the swarm ledger)", async () => {
    const f = fixture(60_000, 1305, "journal-snatch.bin");
    expect((await uploadTorrent(f)).status).toBe(201);
    const pid = peerId("jr-snatch");
    await announce(pkL, { infoHash: f.infoHash, peerId: pid, left: 60_000, event: "started", ip: "10.130.0.5", now: tick() });
    await announce(pkL, { infoHash: f.infoHash, peerId: pid, left: 0, downloaded: 60_000, event: "completed", ip: "10.130.0.5", now: tick() });
    const shard = shardFor(f.infoHash);
    // Sealed (journal and batch in one transaction), then evicted before the batch reached D1.
    await runInDurableObject(shard, (s: SwarmShard) => s.seal());
    await evictDurableObject(shard);
    const { body } = await announce(pkS, { infoHash: f.infoHash, peerId: peerId("jr-snatch-s"), left: 0, event: "started", ip: "10.130.0.6", now: tick() });
    expect(body).toMatchObject({ downloaded: 1, complete: 2 });
    await flushShard(f.infoHash);
    expect(await credited(leecher, f.infoHash)).toMatchObject({ downloaded: 60_000 });
    const [row] = await accountingRows(leecher, f.infoHash);
    expect(row?.completedAt).not.toBeNull();
  });

  it("keeps the journal bounded over thousands of seals and rebuilds the exact credit from it (attack: a journal that grows without bound, or cleaning that drops a live session)", async () => {
    const f = fixture(60_000, 1306, "journal-clean.bin");
    expect((await uploadTorrent(f)).status).toBe(201);
    const pid = peerId("jr-clean");
    await announce(pkS, { infoHash: f.infoHash, peerId: pid, left: 0, event: "started", ip: "10.130.0.7", now: tick() });
    const shard = shardFor(f.infoHash);
    await runDurableObjectAlarm(shard);
    const seals = JOURNAL_SLACK + 600;
    const t0 = tick();
    const gauges = await runInDurableObject(shard, async (s: SwarmShard) => {
      for (let i = 1; i <= seals; i++) {
        const out = await s.announce({
          ih: f.infoHash, pid: bytesToBinary(pid), pk: pkS, client: true, ep: bytesToBinary(new Uint8Array([10, 130, 0, 7, 0x1a, 0xe1])),
          up: 10 * i, down: 0, left: 0, ev: 0, nw: 0, now: t0 + 2_000 * i, tid: 0, ids: false,
        });
        if (!out.ok) throw new Error(out.code);
        s.seal(Date.now());
      }
      return s.metrics(0).gauges;
    });
    // One record changes per seal: cleaning keeps the rows near twice the live records plus the slack, not one per seal.
    expect(gauges.journal_records!).toBeLessThanOrEqual(2 * 100 + JOURNAL_SLACK + 8);
    expect(gauges.journal_rows!).toBeLessThan(seals);
    await evictDurableObject(shard);
    await flushShard(f.infoHash);
    expect(await credited(seeder, f.infoHash)).toMatchObject({ uploaded: 10 * seals, announces: seals + 1 });
  });

  it("imports a shard written by the row-per-session design: its unsent batch is applied once and its sessions still known (attack: an upgrade that drops stored peers or sealed credit)", async () => {
    const f = fixture(60_000, 1307, "journal-import.bin");
    expect((await uploadTorrent(f)).status).toBe(201);
    const legacy = env.SWARM.get(env.SWARM.idFromName("legacy-row-tables"));
    const pidHex = Buffer.from(peerId("jr-legacy")).toString("hex");
    const now = Date.now();
    const batch = { shard: 77, seq: 5, at: now, acc: [[leecher, f.infoHash, pidHex, 4_000, 9_000, 4_000, 9_000, 0, 2, now, 0]], swarms: [] };
    await runInDurableObject(legacy, (_s: SwarmShard, state) => {
      const sql = state.storage.sql;
      sql.exec(`CREATE TABLE peer_rows (ih TEXT NOT NULL, member TEXT NOT NULL, peer_id TEXT NOT NULL, ws INTEGER NOT NULL, v4 BLOB, v4_seen INTEGER NOT NULL, v6 BLOB, v6_seen INTEGER NOT NULL, seen INTEGER NOT NULL,
        left_bytes INTEGER NOT NULL, uploaded INTEGER NOT NULL, downloaded INTEGER NOT NULL, session INTEGER NOT NULL, last_credit INTEGER NOT NULL, kind INTEGER NOT NULL, free INTEGER NOT NULL,
        PRIMARY KEY (ih, member, peer_id, ws)) WITHOUT ROWID`);
      sql.exec("CREATE TABLE outbox (seq INTEGER PRIMARY KEY, body TEXT NOT NULL, at INTEGER NOT NULL)");
      sql.exec("CREATE TABLE swarm_counts (ih TEXT PRIMARY KEY, snatches INTEGER NOT NULL) WITHOUT ROWID");
      sql.exec("CREATE TABLE state (k TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID");
      sql.exec(
        "INSERT INTO peer_rows VALUES (?, ?, ?, 0, ?, ?, NULL, 0, ?, 30000, 4000, 9000, ?, ?, 0, 0)",
        f.infoHash, leecher, pidHex, new Uint8Array([10, 130, 0, 9, 0x1a, 0xe1]).buffer, now, now, now - 600_000, now,
      );
      sql.exec("INSERT INTO outbox VALUES (5, ?, ?)", JSON.stringify(batch), now);
      sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('seq', 5), ('shard', 77)");
      sql.exec("INSERT INTO swarm_counts VALUES (?, 3)", f.infoHash);
      sql.exec("INSERT INTO state VALUES ('counters', ?)", JSON.stringify({ announces: 41 }));
    });
    await evictDurableObject(legacy);
    const seen = await runInDurableObject(legacy, async (s: SwarmShard, state) => {
      await s.send();
      const tables = state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").toArray().map((t) => t.name);
      return { tables, sessions: s.sessions(leecher, [f.infoHash])[f.infoHash], scrape: s.scrape([f.infoHash], "-"), counters: s.metrics(0).counters };
    });
    expect(seen.tables).toEqual(["journal", "meta", "revoked"]);
    expect(seen.sessions).toEqual([{ peerId: pidHex, left: 30_000, state: "leeching", lastAnnounce: now }]);
    expect(seen.scrape).toMatchObject({ [f.infoHash]: { downloaded: 3, incomplete: 1 } });
    expect(seen.counters.announces).toBe(41);
    expect(await credited(leecher, f.infoHash)).toMatchObject({ uploaded: 4_000, downloaded: 9_000 });
    // Restarted again: the imported batch is not sent twice.
    await evictDurableObject(legacy);
    await runInDurableObject(legacy, (s: SwarmShard) => s.flush());
    expect(await credited(leecher, f.infoHash)).toMatchObject({ uploaded: 4_000, downloaded: 9_000 });
  });
});
