// The node that earns, against the real edge (the worker in workerd): it chooses what to host
// from the interest list and the tracker's offers (GET /api/hosting/offers), never keeps more
// payload bytes on disk than its cap, drops the least valuable torrent to make room, and
// resumes after a restart without downloading again.

import { cp, mkdir, open } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { provenReplicas, type ReplicaChallenge } from "../../protocol/hosting/offers.ts";
import { TrackerApi, type HostingOffers, type NodeInfo } from "../api.ts";
import { main } from "../cli.ts";
import { loadConfig, resolveHome } from "../config.ts";
import { loadWallet } from "../wallet.ts";
import { payloadBytesOnDisk, payloadPresent } from "../storage/payload.ts";
import { makeFixture, type Fixture } from "../testing/fixtures.ts";
import { startTestEdge, type TestEdge } from "../testing/edge.ts";
import { startHosting, type HostOptions, type RunningNode } from "./host.ts";

const LENGTH = 60_000;

describe("a node that earns", () => {
  let edge: TestEdge;
  let api: TrackerApi;
  let alpha: Fixture;
  let beta: Fixture;
  let gamma: Fixture;
  let seeder: RunningNode;
  let second: RunningNode;
  let node: RunningNode | undefined;
  const running: RunningNode[] = [];
  const home = () => resolveHome(join(edge.dir, "earner"));
  /** Largest payload total seen on the earner's disk, sampled every few milliseconds. */
  let diskHighWater = 0;
  let sampler: ReturnType<typeof setInterval> | undefined;

  const start = async (o: Omit<HostOptions, "api">) => {
    const n = await startHosting({ api, ...o });
    running.push(n);
    return n;
  };
  const startEarner = async () => {
    const config = await loadConfig(home());
    node = await start({ account: await loadWallet(home()), dataDir: home().data, port: 0, storageCap: config.storageCap, interests: config.interests, fill: config.fill });
    await node.settled();
    return node;
  };
  const trackerHosted = async (n: RunningNode) => (await edge.api<NodeInfo>(`/api/nodes/${n.address}`)).hosted;

  beforeAll(async () => {
    edge = await startTestEdge("node-seed-earn");
    api = new TrackerApi(edge.url);
    const source = join(edge.dir, "seeder", "data");
    alpha = await makeFixture(source, "Alpha Archive", [{ path: "alpha.bin", length: LENGTH }]);
    beta = await makeFixture(source, "Beta Archive", [{ path: "beta.bin", length: LENGTH }]);
    gamma = await makeFixture(join(edge.dir, "gamma-source"), "Gamma Collection", [{ path: "g/one.bin", length: 700_000 }, { path: "g/two.bin", length: 500_000 }]);
    await cp(join(edge.dir, "gamma-source", "Gamma Collection"), join(source, "Gamma Collection"), { recursive: true });
    for (const fx of [alpha, beta, gamma]) await edge.publish(fx);
    // Two replicas of Alpha, one of Beta and Gamma: Beta pays more per GB than Alpha.
    seeder = await start({ account: privateKeyToAccount(generatePrivateKey()), dataDir: source, port: 0, storageCap: 10_000_000 });
    const secondData = join(edge.dir, "second", "data");
    await mkdir(secondData, { recursive: true });
    await cp(join(source, "Alpha Archive"), join(secondData, "Alpha Archive"), { recursive: true });
    second = await start({ account: privateKeyToAccount(generatePrivateKey()), dataDir: secondData, port: 0, storageCap: 10_000_000 });
    expect(seeder.hosted).toHaveLength(3);
    expect(second.hosted.map((h) => h.infoHash)).toEqual([alpha.meta.infoHash]);

    // The earner: room for exactly one of Alpha and Beta, and Alpha already on its disk.
    expect(await main(["--home", home().dir, "--json", "node", "init", "--tracker", edge.url, "--port", "0", "--storage-cap", String(LENGTH)])).toBe(0);
    await cp(join(source, "Alpha Archive"), join(home().data, "Alpha Archive"), { recursive: true });
    sampler = setInterval(() => {
      void (async () => {
        let total = 0;
        for (const fx of [alpha, beta, gamma]) total += await payloadBytesOnDisk(home().data, fx.meta);
        diskHighWater = Math.max(diskHighWater, total);
      })();
    }, 5);
  });

  afterAll(async () => {
    if (sampler) clearInterval(sampler);
    for (const n of running) await n.stop();
    await edge?.stop();
  });

  it("publishes each torrent's expected reward per GB, scarcer torrents paying more", async () => {
    const o = await api.hostingOffers();
    const of = (fx: Fixture) => o.offers.find((x) => x.infoHash === fx.meta.infoHash)!;
    expect(o.basis).toBe("hosted");
    expect(of(alpha)).toMatchObject({ hostedReplicas: 2, replicas: 2, scarcityWeight: 1 });
    expect(of(beta)).toMatchObject({ hostedReplicas: 1, replicas: 1, scarcityWeight: 1.5 });
    expect(BigInt(of(beta).expectedRewardPerGB)).toBeGreaterThan(BigInt(of(alpha).expectedRewardPerGB));
  });

  it("drops the least valuable torrent for a more valuable one, never holding more than its cap", async () => {
    const n = await startEarner();
    expect(n.hosted.map((h) => h.infoHash)).toEqual([beta.meta.infoHash]);
    expect(await payloadPresent(home().data, beta.meta)).toBe(true);
    expect(await payloadBytesOnDisk(home().data, alpha.meta)).toBe(0);
    expect(await trackerHosted(n)).toEqual([beta.meta.infoHash]);
    expect(n.lastPlan()!.dropped.map((d) => d.infoHash)).toEqual([alpha.meta.infoHash]);
    expect(diskHighWater).toBeGreaterThan(0);
    expect(diskHighWater).toBeLessThanOrEqual(LENGTH);
  });

  it("hosts what the interest list names over what pays more, unhosting and deleting the other", async () => {
    const n = node!;
    expect(await main(["--home", home().dir, "--json", "node", "want", "alpha*"])).toBe(0);
    expect((await loadConfig(home())).interests).toEqual(["alpha*"]);
    // Beta still pays the earner more (one other replica against Alpha's two), but Alpha is wanted.
    const offers = (await api.hostingOffers(n.address as Address)).offers;
    const reward = (fx: Fixture) => BigInt(offers.find((x) => x.infoHash === fx.meta.infoHash)!.expectedRewardPerGB);
    expect(offers.find((x) => x.infoHash === beta.meta.infoHash)).toMatchObject({ replicas: 2, mine: true });
    expect(reward(beta)).toBeGreaterThan(reward(alpha));
    const plan = await n.replan({ interests: (await loadConfig(home())).interests });
    expect(plan.selected.map((s) => [s.infoHash, s.wanted])).toEqual([[alpha.meta.infoHash, true]]);
    await n.settled();
    expect(n.hosted.map((h) => h.infoHash)).toEqual([alpha.meta.infoHash]);
    expect(await payloadBytesOnDisk(home().data, beta.meta)).toBe(0);
    expect(await trackerHosted(n)).toEqual([alpha.meta.infoHash]);
    expect(diskHighWater).toBeLessThanOrEqual(LENGTH);
  });

  it("resumes after a restart without downloading anything again", async () => {
    await node!.stop();
    const n = await startEarner();
    expect(n.hosted.map((h) => h.infoHash)).toEqual([alpha.meta.infoHash]);
    expect(n.lastPlan()!.selected).toMatchObject([{ infoHash: alpha.meta.infoHash, action: "host" }]);
    expect(n.receivedBytes()).toBe(0);
    expect(await trackerHosted(n)).toEqual([alpha.meta.infoHash]);
    expect(diskHighWater).toBeLessThanOrEqual(LENGTH);
    expect(await main(["--home", home().dir, "--json", "node", "unwant", "alpha*"])).toBe(0);
    expect((await loadConfig(home())).interests).toEqual([]);
  });

  it("resumes a partial download where it stopped", async () => {
    const data = join(edge.dir, "resumer", "data");
    await mkdir(data, { recursive: true });
    const account = privateKeyToAccount(generatePrivateKey());
    const opts = { account, dataDir: data, port: 0, storageCap: 2_000_000, interests: [gamma.meta.infoHash] };
    // Slow the only seeder so the download can be stopped halfway.
    seeder.client.throttleUpload(300_000);
    try {
      const first = await start(opts);
      const end = Date.now() + 20_000;
      while ((first.downloads()[0]?.have ?? 0) < gamma.meta.length / 3) {
        if (Date.now() > end) throw new Error(`the download did not start: ${JSON.stringify(first.downloads())}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await first.stop();
      const before = first.receivedBytes();
      expect(before).toBeGreaterThan(0);
      expect(before).toBeLessThan(gamma.meta.length);
      seeder.client.throttleUpload(-1);
      const again = await start(opts);
      await again.settled();
      expect(again.hosted.map((h) => h.infoHash)).toEqual([gamma.meta.infoHash]);
      // Pieces verified on disk are not fetched again: the two runs together fetch the payload
      // about once (a piece in flight when stopped is fetched twice at most per connection).
      expect(again.receivedBytes()).toBeLessThan(gamma.meta.length);
      expect(before + again.receivedBytes()).toBeLessThan(gamma.meta.length + 4 * gamma.meta.pieceLength);
    } finally {
      seeder.client.throttleUpload(-1);
    }
  });

  it("fetches only the missing pieces of a payload of full size with a hole in it", async () => {
    const data = join(edge.dir, "repairer", "data");
    await cp(join(edge.dir, "seeder", "data", "Alpha Archive"), join(data, "Alpha Archive"), { recursive: true });
    // What webtorrent leaves when its last piece landed before a stop: full size, zeros inside.
    const fh = await open(join(data, "Alpha Archive", "alpha.bin"), "r+");
    await fh.write(new Uint8Array(alpha.meta.pieceLength), 0, alpha.meta.pieceLength, 0);
    await fh.close();
    const n = await start({ account: privateKeyToAccount(generatePrivateKey()), dataDir: data, port: 0, storageCap: LENGTH, interests: [alpha.meta.infoHash] });
    await n.settled();
    expect(n.hosted.map((h) => h.infoHash)).toEqual([alpha.meta.infoHash]);
    expect(n.receivedBytes()).toBeGreaterThan(0);
    expect(n.receivedBytes()).toBeLessThanOrEqual(2 * alpha.meta.pieceLength);
  });

  it("prices by the replicas proven in the last closed epoch once one has closed", async () => {
    const round = await edge.runChallenges();
    expect(round.length).toBeGreaterThan(0);
    expect(round.filter((t) => t.verdict !== "pass")).toEqual([]);
    const { epoch } = await edge.closeEpoch();
    const o = await edge.api<HostingOffers>("/api/hosting/offers");
    expect(o).toMatchObject({ basis: "epoch", epoch });
    // The scheduler may have run rounds of its own: count from everything the epoch published.
    const inputs = await edge.api<{ challenges: ReplicaChallenge[] }>(`/api/epochs/${epoch}/inputs`);
    const proven = provenReplicas(inputs.challenges);
    for (const fx of [alpha, beta, gamma]) expect(o.offers.find((x) => x.infoHash === fx.meta.infoHash)!.provenReplicas).toBe(proven.get(fx.meta.infoHash)?.size ?? 0);
    expect(proven.get(alpha.meta.infoHash)?.size).toBeGreaterThanOrEqual(1);
  });
});
