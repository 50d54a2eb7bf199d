// Partial storage against chained challenges (docs/challenges.md "Partial storage"), measured on
// the real parts: a real webtorrent node that lost a share of a torrent's blocks (zeroed on disk
// before it started, so its piece check marks them missing and it never serves them, as a node
// that dropped them would), challenged by the exact challenger the edge runs, CHALLENGE_BLOCKS
// chained blocks with fresh randomness each time. The catch rate per challenge (a challenge
// not passed) is compared with 1 − keep^16, and per epoch by grouping the challenges in epochs of
// CHALLENGE_ROUNDS_PER_EPOCH (a node hosting one torrent meets it every round). With
// VIDYA_WRITE_MEASURED=1 the rates go to sim/measured/proofs.json, which the simulation reads.

import { cp, mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { ChallengeOutcome } from "../../protocol/challenge/client.ts";
import type { StorageTree } from "../../protocol/merkle/storage-tree.ts";
import { BLOCK_SIZE, CHALLENGE_BLOCKS, CHALLENGE_ROUNDS_PER_EPOCH } from "../../protocol/params.ts";
import { createClient, destroyClient, seedTorrent } from "../../node/seed/client.ts";
import { storageTreeOfPayload } from "../../node/storage/payload.ts";
import { makeFixture, type Fixture } from "../../node/testing/fixtures.ts";
import { recordMeasured, writingMeasured } from "./support/measured.ts";
import { challengeFixture } from "./support/challenge.ts";

// 16 MiB in 16 KiB pieces: 1,024 blocks, so 1% is ten blocks and a piece is a block.
const BLOCKS = 1024;
// A missing block never arrives, so a caught challenge waits out this deadline (the edge's is
// CHALLENGE_DEADLINE_MS): shorter here only to keep the run short; honest chains take ~0.1 s.
const DEADLINE_MS = 1_500;
const EPOCHS = writingMeasured ? 16 : 6;

interface Row {
  keep: number;
  blocksKept: number;
  challenges: number;
  caught: number;
  catchRate: number;
  expectedCatchRate: number;
  epochs: number;
  epochsCaught: number;
  epochCatchRate: number;
  expectedEpochCatchRate: number;
}

describe("partial storage against chained challenges (attack: keeping part of a torrent)", () => {
  let dir: string;
  let fx: Fixture;
  let tree: StorageTree;
  const node = privateKeyToAccount(generatePrivateKey());
  const rows: Row[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "vidya-partial-"));
    fx = await makeFixture(join(dir, "source"), "Partial Pack", [{ path: "disc.iso", length: BLOCKS * BLOCK_SIZE }], { pieceLength: BLOCK_SIZE });
    tree = await storageTreeOfPayload(fx.dataDir, fx.meta);
    expect(tree.leafCount).toBe(BLOCKS);
  });

  afterAll(async () => {
    console.table(rows);
    if (rows.length === 4) recordMeasured("partialStorage", { challengeBlocks: CHALLENGE_BLOCKS, roundsPerEpoch: CHALLENGE_ROUNDS_PER_EPOCH, deadlineMs: DEADLINE_MS, rows });
    await rm(dir, { recursive: true, force: true });
  });

  /** Challenges a node that kept `keep` of the blocks (the rest zeroed), EPOCHS × rounds times. */
  async function measure(keep: number): Promise<Row> {
    const dataDir = join(dir, `keep-${keep}`);
    await cp(join(fx.dataDir, fx.meta.name), join(dataDir, fx.meta.name), { recursive: true });
    const dropped = new Set<number>();
    while (dropped.size < BLOCKS - Math.round(keep * BLOCKS)) dropped.add(Math.floor(Math.random() * BLOCKS));
    const file = await open(join(dataDir, fx.meta.name, "disc.iso"), "r+");
    for (const b of dropped) await file.write(new Uint8Array(BLOCK_SIZE), 0, BLOCK_SIZE, b * BLOCK_SIZE);
    await file.close();
    const client = await createClient({ port: 0 });
    try {
      // It keeps the whole tree (32 bytes a block): only the data is missing.
      const t = await seedTorrent(client, fx.torrentFile, { path: dataDir, lookup: (ih) => (ih === fx.meta.infoHash ? tree : undefined), signer: node });
      expect(t.done).toBe(keep === 1);
      const challenge = (i: number) => challengeFixture(fx, tree, client.torrentPort, { node: node.address, round: i, deadlineMs: DEADLINE_MS });
      // An epoch's rounds at once, each on its own connection: a caught challenge waits out the
      // deadline, so one at a time the 50% node alone took 54 s. Each draws its own randomness, so
      // the rates are those of one at a time; the control (keep 1) runs the same way, so a
      // deadline missed under that load would show there (and the check below names it).
      const outs: ChallengeOutcome[] = [];
      for (let e = 0; e < EPOCHS; e++)
        outs.push(...(await Promise.all(Array.from({ length: CHALLENGE_ROUNDS_PER_EPOCH }, (_, r) => challenge(e * CHALLENGE_ROUNDS_PER_EPOCH + r)))));
      // A chain stops at its first missing block: every catch is one, and no pass met one.
      for (const o of outs) {
        const hit = o.blocks.some((b) => dropped.has(b));
        expect(o.verdict === "pass" ? !hit : hit, `${o.verdict}: ${o.reason}`).toBe(true);
      }
      const caught = outs.filter((o) => o.verdict !== "pass").length;
      let epochsCaught = 0;
      for (let e = 0; e < EPOCHS; e++) if (outs.slice(e * CHALLENGE_ROUNDS_PER_EPOCH, (e + 1) * CHALLENGE_ROUNDS_PER_EPOCH).some((o) => o.verdict !== "pass")) epochsCaught++;
      const kept = (BLOCKS - dropped.size) / BLOCKS;
      const row: Row = {
        keep,
        blocksKept: BLOCKS - dropped.size,
        challenges: outs.length,
        caught,
        catchRate: caught / outs.length,
        expectedCatchRate: 1 - kept ** CHALLENGE_BLOCKS,
        epochs: EPOCHS,
        epochsCaught,
        epochCatchRate: epochsCaught / EPOCHS,
        expectedEpochCatchRate: 1 - kept ** (CHALLENGE_BLOCKS * CHALLENGE_ROUNDS_PER_EPOCH),
      };
      rows.push(row);
      return row;
    } finally {
      await destroyClient(client);
    }
  }

  /** Within four standard deviations of the binomial around the table's rate (plus one challenge). */
  const consistent = (r: Row) => {
    const sd = Math.sqrt((r.expectedCatchRate * (1 - r.expectedCatchRate)) / r.challenges);
    expect(Math.abs(r.catchRate - r.expectedCatchRate), JSON.stringify(r)).toBeLessThanOrEqual(4 * sd + 1 / r.challenges);
  };

  it("passes the node that kept everything every time (the control: no catch is the load's)", async () => {
    const r = await measure(1);
    expect(r.caught).toBe(0);
  }, 300_000);

  it("catches a node keeping 50% in every challenge", async () => {
    const r = await measure(0.5);
    expect(r.caught).toBe(r.challenges);
    expect(r.epochsCaught).toBe(r.epochs);
  }, 600_000);

  it("catches a node keeping 90% in about 81.5% of challenges and nearly every epoch", async () => {
    const r = await measure(0.9);
    consistent(r);
    expect(r.epochsCaught).toBeGreaterThanOrEqual(r.epochs - 1);
  }, 600_000);

  it("catches a node keeping 99% in about 15% of challenges and most epochs of one torrent", async () => {
    const r = await measure(0.99);
    consistent(r);
    expect(r.caught).toBeGreaterThan(0);
  }, 600_000);
});
