// A node restarted against the real edge (the worker in workerd): it resumes from its saved
// piece state (node/storage/resume.ts), seeding unchanged payloads without hashing a byte,
// re-hashing only a file that changed, refusing a file corrupted behind a restored mtime, and
// passing the edge's challenges on what it resumed.

import { readFile, utimes, writeFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { TrackerApi } from "../api.ts";
import { startHosting, type RunningNode } from "./host.ts";
import { makeFixture, type Fixture } from "../testing/fixtures.ts";
import { startTestEdge, type TestEdge } from "../testing/edge.ts";

describe("a node restarted on its saved piece state", () => {
  let edge: TestEdge;
  let api: TrackerApi;
  let pack: Fixture;
  let other: Fixture;
  let data: string;
  let node: RunningNode | undefined;
  const account = privateKeyToAccount(generatePrivateKey());
  const start = () => startHosting({ api, account, dataDir: data, stateDir: join(edge.dir, "node", "resume"), port: 0, storageCap: 10_000_000 });
  const restart = async () => {
    await node?.stop();
    node = await start();
    return node;
  };
  const torrentOf = (n: RunningNode, ih: string) => n.client.torrents.find((t) => t.infoHash === ih);
  const passes = async (n: RunningNode) => (await edge.runChallenges(account.address.toLowerCase())).filter((t) => t.node === account.address.toLowerCase());

  beforeAll(async () => {
    edge = await startTestEdge("node-seed-restart");
    api = new TrackerApi(edge.url);
    data = join(edge.dir, "node", "data");
    // 32 KiB pieces: b.bin (bytes 70,001..120,123) lies in pieces 2 and 3 of five.
    pack = await makeFixture(data, "Pack", [
      { path: "a.bin", length: 70_001 },
      { path: "b.bin", length: 50_123 },
      { path: "c.bin", length: 40_000 },
    ]);
    other = await makeFixture(data, "Other", [{ path: "o.bin", length: 90_000 }]);
    for (const fx of [pack, other]) await edge.publish(fx);
    node = await start();
  });

  afterAll(async () => {
    await node?.stop();
    await edge?.stop();
  });

  it("reads every payload once on its first start, with no saved state: its pieces checked in the storage tree's pass, none again by webtorrent", () => {
    expect(node!.hosted.map((h) => h.infoHash).sort()).toEqual([pack.meta.infoHash, other.meta.infoHash].sort());
    expect(node!.diskChecks.get(pack.meta.infoHash)).toMatchObject({ resumed: false, hashed: { bytes: pack.meta.length } });
    expect(torrentOf(node!, pack.meta.infoHash)!.skipVerify).toBe(true);
  });

  it("seeds unchanged payloads after a restart without hashing a byte, and passes the edge's challenges on them (finding: a restart re-hashed every byte, 10.4 s per GiB)", async () => {
    const n = await restart();
    for (const fx of [pack, other]) {
      expect(n.diskChecks.get(fx.meta.infoHash)).toEqual({ resumed: true, changedFiles: 0, hashed: { units: 0, bytes: 0 } });
      // webtorrent was told the pieces are checked: it verified none of them.
      expect(torrentOf(n, fx.meta.infoHash)!.skipVerify).toBe(true);
      expect(torrentOf(n, fx.meta.infoHash)!.done).toBe(true);
    }
    expect(n.hosted.map((h) => h.infoHash).sort()).toEqual([pack.meta.infoHash, other.meta.infoHash].sort());
    const mine = await passes(n);
    expect(mine.length).toBe(2);
    expect(mine.every((t) => t.verdict === "pass"), JSON.stringify(mine)).toBe(true);
  });

  it("re-hashes only the pieces and blocks of the one file that changed since the save", async () => {
    await node!.stop();
    const b = join(data, "Pack", "b.bin");
    await writeFile(b, await readFile(b)); // same bytes, new mtime and ctime
    const n = await restart();
    const check = n.diskChecks.get(pack.meta.infoHash)!;
    expect(check.resumed).toBe(true);
    expect(check.changedFiles).toBe(1);
    // Pieces 2 and 3 (64 KiB) and blocks 4..7 (64 KiB) of b.bin, not the payload's 160,124 bytes twice.
    expect(check.hashed).toEqual({ units: 2 + 4, bytes: 2 * 32_768 + 4 * 16_384 });
    expect(n.diskChecks.get(other.meta.infoHash)!.hashed.bytes).toBe(0);
    expect(n.hosted.map((h) => h.infoHash)).toContain(pack.meta.infoHash);
    // The next restart trusts the new stamp.
    expect((await restart()).diskChecks.get(pack.meta.infoHash)!.hashed.bytes).toBe(0);
  });

  it("refuses to seed a file corrupted with its old mtime put back (attack: touch -d to pass changed data as unchanged)", async () => {
    await node!.stop();
    const c = join(data, "Pack", "c.bin");
    const before = await stat(c);
    const bytes = await readFile(c);
    bytes[100] = bytes[100]! ^ 0xff;
    await writeFile(c, bytes);
    await utimes(c, before.atime, before.mtime);
    const n = await restart();
    expect(n.hosted.map((h) => h.infoHash)).toEqual([other.meta.infoHash]);
    expect(n.diskChecks.get(pack.meta.infoHash)!.resumed).toBe(false);
    expect(n.trees.has(pack.meta.infoHash)).toBe(false);
  });
});
