// The economics engine at the edge (docs/economics/engine.md "How the worker uses it"): surge
// stepped per swarm by its shard every window and flushed to D1, the freemium allotment and
// the slowdown past it decided at close from the ledger, settleEpoch run by the real close
// path, and the hosting offers and a torrent's economics quoting from the result.

import { env, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import type { Address, Hex } from "viem";
import { inputsHash } from "../../protocol/epoch/inputs.ts";
import { settleEpoch } from "../../protocol/economics/settle.ts";
import { settleInputsOf, type PublishedSettleInputs } from "../../protocol/economics/published.ts";
import { buildRewardTree } from "../../protocol/merkle/reward-tree.ts";
import { BPS, DOWNLOAD_PRICE_PER_GB, EMISSION_PER_EPOCH, FREE_ALLOTMENT_BYTES, SURGE_CAP_BPS, SURGE_STEP_DENOMINATOR, SURGE_WINDOW_SECONDS } from "../../protocol/params.ts";
import { db, schema } from "../../worker/db/client.ts";
import { shardName, shardOf, type SurgeSample, type SwarmShard } from "../../worker/swarm/shard.ts";
import { torrentEconomics } from "../../worker/economics/torrent.ts";
import { transcriptRow } from "../../worker/challenge/round.ts";
import { fixture } from "./support/fixture.ts";
import { madeTranscript } from "./support/transcripts.ts";
import { addMember, admin, announce, call, declareLength, flushShard, peerId, uploadTorrent } from "./support/worker.ts";

const shardFor = (ih: string) => env.SWARM.get(env.SWARM.idFromName(shardName(shardOf(ih))));
const GB = 1_000_000_000;

/** Closes one surge window at `now` in the shards of these torrents (each once) and flushes them to D1. */
async function window(ihs: string[], now: number): Promise<SurgeSample[]> {
  const out: SurgeSample[] = [];
  for (const shard of new Set(ihs.map(shardOf))) {
    const ih = ihs.find((h) => shardOf(h) === shard)!;
    out.push(...(await runInDurableObject(shardFor(ih), (s: SwarmShard) => s.surgeWindow(now, SURGE_WINDOW_SECONDS))));
    await flushShard(ih);
  }
  return out;
}

const swarmRow = (ih: string) => db(env.DB).select().from(schema.swarms).where(eq(schema.swarms.infoHash, ih)).get();

interface OffersJson {
  basis: string;
  hostingPool: string;
  offers: { infoHash: string; surgeMultiplier: number; expectedRewardPerGB: string; replicas: number }[];
}

const nodeA = "0x00000000000000000000000000000000000e00aa";
const nodeB = "0x00000000000000000000000000000000000e00bb";
const heavy = "0x00000000000000000000000000000000000e0001";
const light = "0x00000000000000000000000000000000000e0002";
const seeder = "0x00000000000000000000000000000000000e0003";
const hot = fixture(70_000, 7001, "hot.bin");
const calm = fixture(70_000, 7002, "calm.bin");
const other = fixture(70_000, 7003, "other.bin");

describe("surge, allotment and settlement through the worker", () => {
  const pk: Record<string, string> = {};
  beforeAll(async () => {
    for (const m of [heavy, light, seeder]) pk[m] = await addMember(m);
    for (const f of [hot, calm]) expect((await uploadTorrent(f)).status).toBe(201);
    // The swarms move GBs: their recorded length allows it (the counters are bounded by it).
    for (const f of [hot, calm]) await declareLength(f.infoHash, 20 * GB);
  });

  it("raises a saturated swarm's surge window by window, one bounded step (1/8) at most, up to the cap", async () => {
    // One seeder, three leechers each lacking 2 GB: demand over the next 15 minutes far above
    // what one seeder (at the floor rate) can upload.
    await announce(pk[seeder]!, { infoHash: hot.infoHash, peerId: peerId("ec-s"), left: 0, event: "started", ip: "10.80.0.1" });
    for (const [i, m] of [heavy, light, seeder].entries())
      await announce(pk[m]!, { infoHash: hot.infoHash, peerId: peerId(`ec-l${i}`), left: 2 * GB, event: "started", ip: `10.80.0.${10 + i}` });
    // A calm swarm: one seeder, nobody lacking anything.
    await announce(pk[seeder]!, { infoHash: calm.infoHash, peerId: peerId("ec-c"), left: 0, event: "started", ip: "10.80.0.1" });

    let now = Date.now();
    let previous = 10_000;
    const steps: number[] = [];
    for (let w = 0; w < 14; w++) {
      now += SURGE_WINDOW_SECONDS * 1000;
      const s = (await window([hot.infoHash, calm.infoHash], now)).find((x) => x.infoHash === hot.infoHash)!;
      expect(s.leechers).toBe(3);
      expect(s.seeders).toBe(1);
      expect(s.left).toBe(6 * GB);
      expect(s.saturationBps).toBeGreaterThan(8_000);
      // Never more than one step of 1/8 a window, never above the cap.
      expect(s.surgeBps).toBeLessThanOrEqual(Math.min(previous + Math.floor(previous / Number(SURGE_STEP_DENOMINATOR)), Number(SURGE_CAP_BPS)));
      expect(s.surgeBps).toBeGreaterThanOrEqual(previous);
      steps.push(s.surgeBps);
      previous = s.surgeBps;
    }
    expect(steps[0]).toBe(11_250);
    expect(steps.at(-1)).toBe(Number(SURGE_CAP_BPS));
    // Where the rest of the worker reads it: the `swarms` row, written with the flush batch.
    expect(await swarmRow(hot.infoHash)).toMatchObject({ surgeBps: Number(SURGE_CAP_BPS), seeders: 1, leechers: 3 });
    expect((await swarmRow(hot.infoHash))!.saturationBps).toBeGreaterThan(8_000);
    // The calm swarm has no demand: its multiplier falls toward the floor, one step at a time.
    const calmRow = await swarmRow(calm.infoHash);
    expect(calmRow!.saturationBps).toBe(0);
    expect(calmRow!.surgeBps).toBeLessThan(10_000);
    // The epoch's windows are summed where its close reads their mean.
    const ledger = await db(env.DB).select().from(schema.swarmLedger).where(eq(schema.swarmLedger.infoHash, hot.infoHash)).get();
    expect(ledger).toMatchObject({ surgeWindows: 14, surgeSum: steps.reduce((a, b) => a + b, 0) });
  });

  it("quotes the surge in the hosting offers and the torrent's economics", async () => {
    // Ten nodes report hosting a third torrent: the quotes' denominator is no longer one replica.
    expect((await uploadTorrent(other)).status).toBe(201);
    await declareLength(other.infoHash, 20 * GB);
    const now = Date.now();
    await db(env.DB).insert(schema.hosted).values(Array.from({ length: 10 }, (_, i) => ({ node: `0x${String(i).padStart(40, "7")}`, infoHash: other.infoHash, addedAt: now })));
    const o = (await (await call("/api/hosting/offers")).json()) as OffersJson;
    const h = o.offers.find((x) => x.infoHash === hot.infoHash)!;
    const c = o.offers.find((x) => x.infoHash === calm.infoHash)!;
    expect(h.surgeMultiplier).toBe(4);
    expect(c.surgeMultiplier).toBeLessThan(1);
    // Same length, no replicas either: the demand weight (surge within 1×–2×, so 2× at a 4×
    // surge and 1× below 1×) makes the hot one pay twice as much.
    expect(BigInt(h.expectedRewardPerGB)).toBeGreaterThan(BigInt(c.expectedRewardPerGB));
    expect(Number(BigInt(h.expectedRewardPerGB) * 1000n / BigInt(c.expectedRewardPerGB)) / 1000).toBeCloseTo(2, 2);
    const e = (await torrentEconomics(env, hot.infoHash))!;
    expect(e).toMatchObject({ surgeBps: 40_000, uploadRewardMultiplierBps: 40_000, replicas: 0, bountyWei: "0", expectedRewardPerGBWei: h.expectedRewardPerGB });
    expect(e.pricePerGBWei).toBe(((DOWNLOAD_PRICE_PER_GB * 40_000n) / BPS).toString());
    expect(await torrentEconomics(env, "ff".repeat(20))).toBeUndefined();
  });

  it("slows a member past the free allotment without a deposit and charges nothing; one under it is neither slowed nor charged", async () => {
    // heavy downloads 11 GB (past the 10 GB allotment), light 1 GB.
    await announce(pk[heavy]!, { infoHash: hot.infoHash, peerId: peerId("ec-l0"), left: 2 * GB, downloaded: 11 * GB, ip: "10.80.0.10" });
    await announce(pk[light]!, { infoHash: hot.infoHash, peerId: peerId("ec-l1"), left: 2 * GB, downloaded: 1 * GB, ip: "10.80.0.11" });
    await announce(pk[seeder]!, { infoHash: hot.infoHash, peerId: peerId("ec-s"), left: 0, uploaded: 12 * GB, ip: "10.80.0.1" });
    await flushShard(hot.infoHash);
    // Nodes proved the hot torrent, so someone earns and the epoch can close; b is far from a.
    const d = db(env.DB);
    const now = Date.now();
    await d.insert(schema.nodes).values([
      { address: nodeA, host: "10.81.0.1", port: 6881, lat: 48.85, lon: 2.35, colo: "CDG", registeredAt: now, updatedAt: now },
      { address: nodeB, host: "10.82.0.1", port: 6881, lat: 35.68, lon: 139.69, colo: "NRT", registeredAt: now, updatedAt: now },
    ]);
    for (const [node, host] of [[nodeA, "10.81.0.1"], [nodeB, "10.82.0.1"]] as const)
      for (let i = 0; i < 2; i++) await d.insert(schema.challenges).values(transcriptRow(madeTranscript(1, node, hot.infoHash, "pass", { host })));
    const res = await admin("/admin/epochs/close");
    expect(res.status).toBe(200);

    const slowed = async (m: string) => (await d.select({ slowed: schema.members.slowed }).from(schema.members).where(eq(schema.members.account, m)).get())!.slowed;
    expect(await slowed(heavy)).toBe(true);
    expect(await slowed(light)).toBe(false);
    // The tracker honours it at once: the slowed member is told so, with a longer interval.
    const r = await announce(pk[heavy]!, { infoHash: hot.infoHash, peerId: peerId("ec-l0"), left: 2 * GB, downloaded: 11 * GB, ip: "10.80.0.10" });
    expect(new TextDecoder().decode(r.body["warning message"] as Uint8Array)).toMatch(/slowed/);
    const ok = await announce(pk[light]!, { infoHash: hot.infoHash, peerId: peerId("ec-l1"), left: 2 * GB, downloaded: 1 * GB, ip: "10.80.0.11" });
    expect(Number(ok.body.interval)).toBeLessThan(Number(r.body.interval));

    const inputs = (await (await call("/api/epochs/1/inputs")).json()) as { allotment: { members: { member: string; free: string; paid: string; slowed: string; slowedNow: boolean }[] }; transfers: { member: string; paidDownloaded: string; freeDownloaded: string }[] };
    expect(inputs.allotment.members.find((m) => m.member === heavy)).toMatchObject({ free: FREE_ALLOTMENT_BYTES.toString(), paid: "0", slowed: String(BigInt(11 * GB) - FREE_ALLOTMENT_BYTES), slowedNow: true });
    expect(inputs.allotment.members.find((m) => m.member === light)).toMatchObject({ free: String(GB), paid: "0", slowed: "0", slowedNow: false });
    // No deposit anywhere (no chain here): nothing is paid, nobody is charged, the spent root is zero.
    expect(inputs.transfers.every((t) => t.paidDownloaded === "0")).toBe(true);
    const spent = (await (await call("/api/epochs/1/spent")).json()) as { spentRoot: Hex; leaves: unknown[] };
    expect(spent).toEqual({ epoch: 1, spentRoot: `0x${"00".repeat(32)}`, leaves: [] });
    // The allotment's days are kept for the next close.
    expect(await d.select().from(schema.allotments).where(eq(schema.allotments.member, heavy))).toEqual([{ member: heavy, day: expect.any(Number), bytes: Number(FREE_ALLOTMENT_BYTES) }]);
  });

  it("closes through the real path to roots whose leaves are settleEpoch's on the published inputs, with emission conserved", async () => {
    const epoch = (await (await call("/api/epochs/1")).json()) as { root: Hex; slashedRoot: Hex; spentRoot: Hex; inputsHash: Hex; totalEarned: string };
    const { inputsHash: published, ...hashed } = (await (await call("/api/epochs/1/inputs")).json()) as Record<string, unknown> & { inputsHash: Hex };
    expect(inputsHash(hashed)).toBe(epoch.inputsHash);
    expect(published).toBe(epoch.inputsHash);
    const p = hashed as unknown as PublishedSettleInputs & { settlement: { pools: Record<string, string> } };
    // The epoch's surge is the mean of its windows, as flushed by the shard.
    const row = (await db(env.DB).select().from(schema.swarmLedger).where(eq(schema.swarmLedger.infoHash, hot.infoHash)).get())!;
    expect(p.torrents!.find((t) => t.infoHash === hot.infoHash)!.surgeBps).toBe(String(Math.floor(row.surgeSum / row.surgeWindows)));
    expect(p.locations).toEqual([
      { node: nodeA, lat: 48.85, lon: 2.35 },
      { node: nodeB, lat: 35.68, lon: 139.69 },
    ]);

    const s = settleEpoch(settleInputsOf(p));
    const leaves = (await (await call("/api/epochs/1/leaves")).json()) as { leaves: { account: Address; cumulative: string }[] };
    expect(leaves.leaves).toEqual(s.leaves.map((l) => ({ account: l.account, cumulative: l.cumulative.toString() })));
    expect(buildRewardTree(1, s.leaves).root).toBe(epoch.root);
    expect(epoch.totalEarned).toBe(s.totalEarned.toString());
    expect(epoch.slashedRoot).toBe(`0x${"00".repeat(32)}`);
    expect(s.spentLeaves).toEqual([]);
    // Two counted replicas on two subnets, far apart: both boosted alike, equal shares.
    expect(s.hosting.replicas.map((r) => [r.node, r.counted, r.boost])).toEqual([
      [nodeA, true, "far"],
      [nodeB, true, "far"],
    ]);
    expect(s.earned.get(nodeA)).toBe(s.earned.get(nodeB));
    // Conservation: Σ earned = emission − unspent + bounty draws (none here), as published.
    const paid = [...s.earned.values()].reduce((a, b) => a + b, 0n);
    expect(paid).toBe(EMISSION_PER_EPOCH - s.pools.unspent + s.pools.bountyDrawn);
    expect(BigInt(p.settlement.pools.paid!)).toBe(paid);
    expect(BigInt(epoch.totalEarned)).toBe(paid);
    expect(s.pools.unspent).toBeLessThan(2n); // rounding dust only
  });

  it("carries seniority and cumulative totals into the next close, and the offers quote the last settlement", async () => {
    const d = db(env.DB);
    await d.insert(schema.challenges).values(transcriptRow(madeTranscript(2, nodeA, hot.infoHash, "pass", { host: "10.81.0.1" })));
    expect((await admin("/admin/epochs/close")).status).toBe(200);
    const seniority = await d.select().from(schema.seniority).where(eq(schema.seniority.epoch, 2));
    expect(seniority).toEqual([{ epoch: 2, infoHash: hot.infoHash, node: nodeA, since: 1 }]);
    const prev = (await (await call("/api/epochs/1/leaves")).json()) as { leaves: { account: Address; cumulative: string }[] };
    const { inputsHash: _, ...p } = (await (await call("/api/epochs/2/inputs")).json()) as Record<string, unknown>;
    const s = settleEpoch(settleInputsOf(p as unknown as PublishedSettleInputs, { earned: prev.leaves.map((l) => ({ account: l.account, cumulative: BigInt(l.cumulative) })) }));
    const leaves = (await (await call("/api/epochs/2/leaves")).json()) as { leaves: { account: Address; cumulative: string }[] };
    expect(leaves.leaves).toEqual(s.leaves.map((l) => ({ account: l.account, cumulative: l.cumulative.toString() })));
    const before = prev.leaves.reduce((t, l) => t + BigInt(l.cumulative), 0n);
    expect(s.totalEarned).toBe(before + EMISSION_PER_EPOCH - s.pools.unspent + s.pools.bountyDrawn);

    const o = (await (await call("/api/hosting/offers")).json()) as OffersJson;
    expect(o.basis).toBe("epoch");
    expect(o.hostingPool).toBe(s.pools.hostingPool.toString());
    expect(o.offers.find((x) => x.infoHash === hot.infoHash)!.replicas).toBe(1);
  });
});
