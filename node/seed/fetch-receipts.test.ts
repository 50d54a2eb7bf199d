// A node fetching a torrent to host it is a downloader (DESIGN.md "Upload rewards"): against the
// real edge (the worker in workerd) and real webtorrent, it signs upload receipts for the node it
// fetched from, the edge keeps them and publishes them with the epoch's inputs, and the check
// `vidya verify` runs on those inputs (protocol/epoch/check.ts) finds every signature valid.

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { unsignedReceipts, type PublishedReceipt } from "../../protocol/economics/receipts.ts";
import { checkInputs, type PublishedInputs } from "../../protocol/epoch/check.ts";
import { TrackerApi } from "../api.ts";
import { makeFixture, type Fixture } from "../testing/fixtures.ts";
import { startTestEdge, type TestEdge } from "../testing/edge.ts";
import { startHosting, type RunningNode } from "./host.ts";

const LENGTH = 300_000;

describe("a node fetching to host signs upload receipts", () => {
  let edge: TestEdge;
  let api: TrackerApi;
  let fx: Fixture;
  let chainId: number;
  const running: RunningNode[] = [];
  let seeder: RunningNode;
  let fetcher: RunningNode;

  beforeAll(async () => {
    edge = await startTestEdge("node-seed-fetch-receipts");
    api = new TrackerApi(edge.url);
    chainId = (await api.chain()).chainId;
    const source = join(edge.dir, "seeder", "data");
    fx = await makeFixture(source, "Receipted Archive", [{ path: "r.bin", length: LENGTH }]);
    await edge.publish(fx);
    seeder = await startHosting({ api, account: privateKeyToAccount(generatePrivateKey()), dataDir: source, port: 0, storageCap: 10_000_000 });
    running.push(seeder);
    expect(seeder.hosted.map((h) => h.infoHash)).toEqual([fx.meta.infoHash]);
    const data = join(edge.dir, "fetcher", "data");
    await mkdir(data, { recursive: true });
    fetcher = await startHosting({ api, account: privateKeyToAccount(generatePrivateKey()), dataDir: data, port: 0, storageCap: 10_000_000, host: [fx.meta.infoHash] });
    running.push(fetcher);
    await fetcher.settled();
  });

  afterAll(async () => {
    for (const n of running) await n.stop();
    await edge?.stop();
  });

  it("fetches the torrent from the other node and hosts it", () => {
    expect(fetcher.hosted.map((h) => h.infoHash)).toEqual([fx.meta.infoHash]);
    expect(fetcher.receivedBytes()).toBeGreaterThanOrEqual(LENGTH);
  });

  it("receipts the bytes it got to the node that sent them; the edge publishes the receipt and every signature verifies (attack: an edge inventing receipts)", async () => {
    // An epoch closes once someone earned: both nodes prove their replica.
    expect((await edge.runChallenges()).length).toBeGreaterThan(0);
    const closed = await edge.closeEpoch();
    const inputs = await edge.api<PublishedInputs & { receipts: PublishedReceipt[] }>(`/api/epochs/${closed.epoch}/inputs`);
    const mine = inputs.receipts.filter((r) => r.downloader === fetcher.address.toLowerCase());
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ uploader: seeder.address.toLowerCase(), infoHash: fx.meta.infoHash, base: "0", epoch: String(closed.epoch) });
    expect(Number(mine[0]!.cumulative)).toBeGreaterThanOrEqual(LENGTH);
    // What `vidya verify` checks of the inputs: each receipt signed by its downloader for this epoch.
    expect(await unsignedReceipts(inputs.receipts, chainId, closed.epoch)).toEqual([]);
    expect((await checkInputs(inputs, chainId)).unsignedReceipts).toEqual([]);
    // A receipt the edge altered (more bytes) no longer verifies.
    expect(await unsignedReceipts([{ ...mine[0]!, cumulative: String(Number(mine[0]!.cumulative) * 10) }], chainId, closed.epoch)).toHaveLength(1);
  });
});
