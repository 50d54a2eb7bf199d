// A node against a stand-in tracker: it registers, hosts exactly the payloads that match
// the index, reports them, answers a challenge, and serves a member's download.

import { connect } from "node:net";
import { Duplex } from "node:stream";
import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { runChallenge, type ByteStream } from "../../protocol/challenge/client.ts";
import { fromHex, toHex } from "../../protocol/hex.ts";
import { storageRoot } from "../../protocol/merkle/storage-tree.ts";
import { TrackerApi } from "../api.ts";
import { main } from "../cli.ts";
import { startHosting, type RunningNode } from "./host.ts";
import { makeFixture, type Fixture } from "../testing/fixtures.ts";
import { startFakeTracker, type FakeTracker } from "../testing/fake-tracker.ts";

function publish(tracker: FakeTracker, fx: Fixture) {
  tracker.torrents.set(fx.meta.infoHash, {
    file: fx.torrentFile,
    json: { infoHash: fx.meta.infoHash, name: fx.meta.name, length: fx.meta.length, pieceLength: fx.meta.pieceLength, storageRoot: toHex(storageRoot(fx.payload)), files: fx.meta.files },
  });
}

describe("vidya node against a tracker", () => {
  let dir: string;
  let tracker: FakeTracker;
  let node: RunningNode;
  let good: Fixture;
  let absent: Fixture;
  let tampered: Fixture;
  const account = privateKeyToAccount(generatePrivateKey());

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "vidya-host-"));
    tracker = await startFakeTracker();
    const data = join(dir, "node", "data");
    good = await makeFixture(data, "Shareware Classics", [
      { path: "a/one.bin", length: 70_000 },
      { path: "b/two.bin", length: 50_123 },
    ]);
    absent = await makeFixture(join(dir, "elsewhere"), "Not Here", [{ path: "x.bin", length: 20_000 }]);
    tampered = await makeFixture(data, "Tampered", [{ path: "t.bin", length: 40_000 }]);
    for (const fx of [good, absent, tampered]) publish(tracker, fx);
    // Same length, other bytes: present on disk but not what the index committed to.
    await writeFile(join(data, "Tampered", "t.bin"), randomBytes(40_000));
    node = await startHosting({ api: new TrackerApi(tracker.url), account, dataDir: data, port: 0, storageCap: 10_000_000 });
  });

  afterAll(async () => {
    await node?.stop();
    await tracker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("registers its wallet and port with a signed registration", () => {
    const reg = tracker.registered.get(account.address.toLowerCase());
    expect(reg?.port).toBe(node.port);
  });

  it("reports exactly the payloads whose storage root matches the index", () => {
    expect(node.hosted.map((h) => h.infoHash)).toEqual([good.meta.infoHash]);
    expect(tracker.hosted.get(account.address.toLowerCase())).toEqual([good.meta.infoHash]);
  });

  it("announces the torrents it seeds to the tracker with its passkey and port", async () => {
    await waitFor(() => tracker.announces.some((a) => a.infoHash === good.meta.infoHash && a.port === node.port));
  });

  it("passes a challenge from the edge's challenger on its announced port", async () => {
    const stream = Duplex.toWeb(connect(node.port, "127.0.0.1")) as unknown as ByteStream;
    const outcome = await runChallenge(stream, {
      infoHash: fromHex(good.meta.infoHash),
      peerId: new Uint8Array(randomBytes(20)),
      storageRoot: storageRoot(good.payload),
      totalLength: good.meta.length,
      pieceLength: good.meta.pieceLength,
      blocks: [0, 4, 7],
      deadlineMs: 5_000,
    });
    expect(outcome.verdict).toBe("pass");
  });

  it("lets a member join with an invite and download the torrent with vidya get", async () => {
    const home = join(dir, "member");
    expect(await main(["--home", home, "join", "--tracker", tracker.url, "--invite", "welcome"])).toBe(0);
    const config = JSON.parse(await readFile(join(home, "config.json"), "utf8"));
    expect(config.passkey).toMatch(/^pk/);
    expect((await stat(join(home, "config.json"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, "wallet.json"))).mode & 0o777).toBe(0o600);
    const out = join(dir, "downloads");
    await mkdir(out);
    expect(await main(["--home", home, "get", `magnet:?xt=urn:btih:${good.meta.infoHash}`, "--out", out])).toBe(0);
    const got = Buffer.concat([await readFile(join(out, good.meta.name, "a", "one.bin")), await readFile(join(out, good.meta.name, "b", "two.bin"))]);
    expect(got.equals(Buffer.from(good.payload))).toBe(true);
  });

  it("downloads a --host torrent through the tracker, then hosts and proves it", async () => {
    const second = privateKeyToAccount(generatePrivateKey());
    const data = join(dir, "second", "data");
    await mkdir(data, { recursive: true });
    const other = await startHosting({ api: new TrackerApi(tracker.url), account: second, dataDir: data, port: 0, storageCap: 10_000_000, host: [good.meta.infoHash] });
    try {
      expect(other.hosted.map((h) => h.infoHash)).toEqual([good.meta.infoHash]);
      expect(tracker.hosted.get(second.address.toLowerCase())).toEqual([good.meta.infoHash]);
      const stream = Duplex.toWeb(connect(other.port, "127.0.0.1")) as unknown as ByteStream;
      const outcome = await runChallenge(stream, {
        infoHash: fromHex(good.meta.infoHash),
        peerId: new Uint8Array(randomBytes(20)),
        storageRoot: storageRoot(good.payload),
        totalLength: good.meta.length,
        pieceLength: good.meta.pieceLength,
        blocks: [1, 5],
        deadlineMs: 5_000,
      });
      expect(outcome.verdict).toBe("pass");
    } finally {
      await other.stop();
    }
  });

  it("stops proving a torrent whose payload was deleted while it runs", async () => {
    await rm(join(dir, "node", "data", good.meta.name), { recursive: true, force: true });
    const stream = Duplex.toWeb(connect(node.port, "127.0.0.1")) as unknown as ByteStream;
    const outcome = await runChallenge(stream, {
      infoHash: fromHex(good.meta.infoHash),
      peerId: new Uint8Array(randomBytes(20)),
      storageRoot: storageRoot(good.payload),
      totalLength: good.meta.length,
      pieceLength: good.meta.pieceLength,
      blocks: [2],
      deadlineMs: 2_000,
    });
    expect(outcome.verdict).not.toBe("pass");
    expect(node.trees.has(good.meta.infoHash)).toBe(false);
  });
});

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}
