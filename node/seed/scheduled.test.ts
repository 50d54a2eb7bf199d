// The challenge schedule as it runs, in real time, against the real edge: no admin rounds.
// The cron (wrangler's /__scheduled) opens an epoch; the ChallengeScheduler's alarms then
// challenge a real node once in each slice of the epoch, at the moments the committed seed
// chose; the next cron after EPOCH_SECONDS closes the epoch and reveals the seed, from which
// anyone re-derives every round's time, targets and blocks.

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { Hex } from "viem";
import { deriveRound, roundDueAt, type ScheduleParams } from "../../protocol/challenge/schedule.ts";
import type { Transcript } from "../../protocol/challenge/transcript.ts";
import { checkInputs } from "../../protocol/epoch/check.ts";
import { waitFor } from "../../scripts/network/processes.ts";
import { TrackerApi, type EpochInfo } from "../api.ts";
import { makeFixture, type Fixture } from "../testing/fixtures.ts";
import { startTestEdge, type TestEdge } from "../testing/edge.ts";
import { startHosting, type RunningNode } from "./host.ts";

const EPOCH_SECONDS = 15;
const ROUNDS = 3;

describe("the schedule in real time", () => {
  let edge: TestEdge;
  let node: RunningNode;
  let fx: Fixture;
  let other: Fixture;
  const cron = async () => {
    const res = await fetch(`${edge.url}/__scheduled?cron=*+*+*+*+*`);
    expect(res.status).toBe(200);
  };

  beforeAll(async () => {
    edge = await startTestEdge("node-seed-scheduled", { vars: { EPOCH_SECONDS: String(EPOCH_SECONDS), CHALLENGE_ROUNDS: String(ROUNDS) } });
    const data = join(edge.dir, "node", "data");
    fx = await makeFixture(data, "Scheduled One", [{ path: "one.bin", length: 60_000 }]);
    other = await makeFixture(data, "Scheduled Two", [{ path: "two.bin", length: 40_000 }]);
    for (const f of [fx, other]) await edge.publish(f);
    node = await startHosting({ api: new TrackerApi(edge.url), account: privateKeyToAccount(generatePrivateKey()), dataDir: data, port: 0, storageCap: 1_000_000 });
    expect(node.hosted).toHaveLength(2);
  });

  afterAll(async () => {
    await node?.stop();
    await edge?.stop();
  });

  it("challenges a node once in each slice of the epoch, at the times its committed seed chose, with no admin round", async () => {
    await cron(); // opens epoch 1: seed drawn, commitment published, the node's round 0 armed
    const open = await edge.api<{ epoch: number; openedAt: number; seedCommitment: Hex; schedule: ScheduleParams & { challengeBlocks: number } }>("/api/epochs/open");
    expect(open).toMatchObject({ epoch: 1, schedule: { roundsPerEpoch: ROUNDS, epochMs: EPOCH_SECONDS * 1000 } });
    let transcripts: Transcript[] = [];
    await waitFor(
      "the scheduler's rounds",
      async () => {
        transcripts = (await edge.api<{ transcripts: Transcript[] }>(`/api/nodes/${node.address}/transcripts?epoch=1`)).transcripts;
        return new Set(transcripts.map((t) => t.round)).size >= ROUNDS ? true : undefined;
      },
      (EPOCH_SECONDS + 20) * 1000,
      250,
    );
    // Round r, in slice r of the epoch's first 90%, covers part of the subset: together every torrent.
    expect([...new Set(transcripts.map((t) => t.round))].sort()).toEqual([0, 1, 2]);
    expect(new Set(transcripts.map((t) => t.infoHash))).toEqual(new Set([fx.meta.infoHash, other.meta.infoHash]));
    expect(transcripts.every((t) => t.verdict === "pass")).toBe(true);
    const slice = (open.schedule.epochMs * 0.9) / ROUNDS;
    for (const r of [0, 1, 2]) {
      const started = Math.min(...transcripts.filter((t) => t.round === r).map((t) => t.startedAt));
      expect(started).toBeGreaterThanOrEqual(open.openedAt + r * slice);
    }

    // The next cron after EPOCH_SECONDS closes the epoch and reveals the seed.
    await new Promise((r) => setTimeout(r, Math.max(0, open.openedAt + EPOCH_SECONDS * 1000 - Date.now() + 200)));
    await cron();
    const closed = await waitFor("epoch 1 to close", async () => (await edge.api<EpochInfo[]>("/api/epochs"))[0], 20_000, 250);
    expect(closed.epoch).toBe(1);
    const inputs = await edge.api<{ seed: Hex; seedCommitment: Hex; schedule: ScheduleParams & { challengeBlocks: number }; challenges: Transcript[]; transcriptSigner: string | null }>("/api/epochs/1/inputs");
    const check = await checkInputs({ ...inputs, epoch: 1 }, (await new TrackerApi(edge.url).chain()).chainId, new Map([fx, other].map((f) => [f.meta.infoHash, { infoHash: f.meta.infoHash, length: f.meta.length, storageRoot: node.hosted.find((h) => h.infoHash === f.meta.infoHash)!.storageRoot }])));
    // Every round ran at or after its derived time: none was forced early.
    expect(check).toMatchObject({ seedRevealed: true, underived: [], inconsistent: [], early: [] });
    const mine = inputs.challenges.filter((t) => t.node === node.address.toLowerCase());
    for (const t of mine) expect(t.startedAt).toBeGreaterThanOrEqual(roundDueAt(inputs.schedule, inputs.seed, 1, t.node, t.round));
    // And the node, who knows its subset, re-derives each round's targets.
    const hosted = node.hosted.map((h) => ({ infoHash: h.infoHash, length: h.length, storageRoot: h.storageRoot }));
    for (const r of new Set(mine.map((t) => t.round))) {
      const ts = mine.filter((t) => t.round === r);
      const derived = deriveRound({ seed: inputs.seed, epoch: 1, node: node.address.toLowerCase(), round: r, blockHash: ts[0]!.blockHash }, hosted, inputs.schedule, inputs.schedule.challengeBlocks);
      expect(ts.map((t) => t.infoHash).sort()).toEqual(derived.challenges.map((c) => c.infoHash).sort());
      expect(ts[0]!.hostedHash).toBe(derived.hostedHash);
    }
  }, 120_000);
});
