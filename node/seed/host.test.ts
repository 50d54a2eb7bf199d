// A node against the real edge (the worker in workerd, local D1, Durable Objects): it
// registers, hosts exactly the payloads that match the index, reports them, announces them,
// passes the edge's challenges on the port it announced, and serves a member's download.

import { readFile, rm, stat, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { TrackerApi, type NodeInfo } from "../api.ts";
import { main } from "../cli.ts";
import { startHosting, type RunningNode } from "./host.ts";
import { makeFixture, type Fixture } from "../testing/fixtures.ts";
import { startTestEdge, type TestEdge } from "../testing/edge.ts";

describe("vidya node against the edge", () => {
  let edge: TestEdge;
  let api: TrackerApi;
  let node: RunningNode;
  let good: Fixture;
  let absent: Fixture;
  let tampered: Fixture;
  const account = privateKeyToAccount(generatePrivateKey());
  const nodeInfo = (address: string) => edge.api<NodeInfo>(`/api/nodes/${address}`);

  beforeAll(async () => {
    edge = await startTestEdge("node-seed-host");
    api = new TrackerApi(edge.url);
    const data = join(edge.dir, "node", "data");
    good = await makeFixture(data, "Shareware Classics", [
      { path: "a/one.bin", length: 70_000 },
      { path: "b/two.bin", length: 50_123 },
    ]);
    absent = await makeFixture(join(edge.dir, "elsewhere"), "Not Here", [{ path: "x.bin", length: 20_000 }]);
    tampered = await makeFixture(data, "Tampered", [{ path: "t.bin", length: 40_000 }]);
    for (const fx of [good, absent, tampered]) await edge.publish(fx);
    // Same length, other bytes: present on disk but not what the index committed to.
    await writeFile(join(data, "Tampered", "t.bin"), randomBytes(40_000));
    node = await startHosting({ api, account, dataDir: data, port: 0, storageCap: 10_000_000 });
  });

  afterAll(async () => {
    await node?.stop();
    await edge?.stop();
  });

  it("registers its wallet and port with a signed registration", async () => {
    expect((await nodeInfo(account.address)).endpoint).toEqual({ host: "127.0.0.1", port: node.port });
  });

  it("reports exactly the payloads whose storage root matches the index", async () => {
    expect(node.hosted.map((h) => h.infoHash)).toEqual([good.meta.infoHash]);
    expect((await nodeInfo(account.address)).hosted).toEqual([good.meta.infoHash]);
  });

  it("announces the torrents it seeds to the tracker with its passkey and port", async () => {
    // The swarm only holds peers that announced with a valid passkey; a member sees the node in it.
    const { passkey } = await api.join(privateKeyToAccount(generatePrivateKey()), (await api.chain()).chainId, await edge.invite());
    await waitFor(async () => (await edge.peersOf(passkey, good.meta.infoHash)).includes(`127.0.0.1:${node.port}`));
    expect(await edge.peersOf(passkey, tampered.meta.infoHash)).toEqual([]);
  });

  it("passes the edge's challenge on the port it announced", async () => {
    const mine = (await edge.runChallenges()).filter((t) => t.node === account.address.toLowerCase());
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ infoHash: good.meta.infoHash, host: "127.0.0.1", port: node.port, verdict: "pass", attempts: 1 });
  });

  it("lets a member join with an invite and download the torrent with vidya get", async () => {
    const home = join(edge.dir, "member");
    expect(await main(["--home", home, "join", "--tracker", edge.url, "--invite", await edge.invite()])).toBe(0);
    const config = JSON.parse(await readFile(join(home, "config.json"), "utf8"));
    expect(config.passkey).toMatch(/^[0-9a-f]{32}$/);
    expect((await stat(join(home, "config.json"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, "wallet.json"))).mode & 0o777).toBe(0o600);
    const out = join(edge.dir, "downloads");
    await mkdir(out);
    expect(await main(["--home", home, "get", `magnet:?xt=urn:btih:${good.meta.infoHash}`, "--out", out])).toBe(0);
    const got = Buffer.concat([await readFile(join(out, good.meta.name, "a", "one.bin")), await readFile(join(out, good.meta.name, "b", "two.bin"))]);
    expect(got.equals(Buffer.from(good.payload))).toBe(true);
  });

  it("downloads a --host torrent through the tracker, then hosts and proves it", async () => {
    const second = privateKeyToAccount(generatePrivateKey());
    const data = join(edge.dir, "second", "data");
    await mkdir(data, { recursive: true });
    const other = await startHosting({ api, account: second, dataDir: data, port: 0, storageCap: 10_000_000, host: [good.meta.infoHash] });
    try {
      await other.settled();
      expect(other.hosted.map((h) => h.infoHash)).toEqual([good.meta.infoHash]);
      expect((await nodeInfo(second.address)).hosted).toEqual([good.meta.infoHash]);
      const mine = (await edge.runChallenges()).filter((t) => t.node === second.address.toLowerCase());
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ infoHash: good.meta.infoHash, port: other.port, verdict: "pass" });
    } finally {
      await other.stop();
    }
  });

  it("stops proving a torrent whose payload was deleted while it runs", async () => {
    await rm(join(edge.dir, "node", "data", good.meta.name), { recursive: true, force: true });
    const mine = (await edge.runChallenges()).filter((t) => t.node === account.address.toLowerCase());
    expect(mine).toHaveLength(1);
    expect(mine[0]!.infoHash).toBe(good.meta.infoHash);
    expect(mine[0]!.verdict).not.toBe("pass");
    expect(node.trees.has(good.meta.infoHash)).toBe(false);
  });
});

async function waitFor(cond: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}
