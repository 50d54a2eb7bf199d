// The epoch close at production sizes under D1's limits (support/d1-guard.ts): transcripts and
// ledgers generated straight into D1 (batches within the limits), then the real close through
// the ChallengeScheduler, over as many invocations as its page budget makes it take. The suite runs a small size; `npm run bench:close`
// runs 10,000 nodes × 50 torrents (SCALE_NODES, SCALE_TORRENTS). Timings are printed, never
// asserted: the test asserts the guard and the close's correctness.

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eq, getTableColumns, type Table } from "drizzle-orm";
import type { Address } from "viem";
import { canonicalJson, inputsHashOfJson } from "../../protocol/epoch/inputs.ts";
import { buildRewardTree } from "../../protocol/merkle/reward-tree.ts";
import { EMISSION_PER_EPOCH } from "../../protocol/params.ts";
import { openEpoch, transcriptRow } from "../../worker/challenge/round.ts";
import { chunk, db, schema } from "../../worker/db/client.ts";
import { inputsJson } from "../../worker/epoch/files.ts";
import type { Env } from "../../worker/env.ts";
import { tick } from "../../worker/scheduled.ts";
import { D1_LIMITS, takeInvocations, throwOnBreach, violationsSoFar } from "./support/d1-guard.ts";
import { madeTranscript } from "./support/transcripts.ts";
import { admin } from "./support/worker.ts";

const NODES = Number(env.SCALE_NODES) || 60;
const TORRENTS = Number(env.SCALE_TORRENTS) || 5;
/** Challenge rounds per node per epoch (wrangler.jsonc CHALLENGE_ROUNDS). */
const ROUNDS = 6;
/** Each torrent is hosted by about 10 nodes. */
const POOL = Math.max(TORRENTS, Math.ceil((NODES * TORRENTS) / 10));

const hex = (i: number, len: number) => i.toString(16).padStart(len, "0");
const nodeOf = (i: number) => `0x${hex(0xe000000 + i, 40)}`;
const memberOf = (i: number) => `0x${hex(0xf000000 + i, 40)}`;
const torrentOf = (i: number) => hex(0xd000000 + i, 40);

/** Rows into D1 as the limits allow: under 100 bound parameters a statement, 200 statements a batch. */
async function insertAll<T extends Record<string, unknown>>(table: Parameters<ReturnType<typeof db>["insert"]>[0], rows: T[]): Promise<void> {
  if (!rows.length) return;
  const d = db(env.DB);
  // Drizzle binds every column (defaults too).
  const perInsert = Math.max(1, Math.floor(99 / Object.keys(getTableColumns(table as Table)).length));
  for (const batch of chunk(chunk(rows, perInsert), 200)) {
    const statements = batch.map((part) => d.insert(table).values(part as never));
    await d.batch(statements as [(typeof statements)[0], ...typeof statements]);
  }
}

describe(`epoch close at scale (${NODES} nodes × ${TORRENTS} torrents)`, () => {
  it("closes an epoch of generated transcripts and ledgers within D1's limits, with a root rebuilt from its stored leaves", { timeout: 3_600_000 }, async () => {
    const d = db(env.DB);
    const epoch = await openEpoch(d);
    const t0 = Date.now();
    await insertAll(
      schema.torrents,
      Array.from({ length: POOL }, (_, i) => ({ infoHash: torrentOf(i), name: `t${i}`, length: 1 << 30, pieceLength: 1 << 20, files: "[]", storageRoot: hex(i, 64), metainfo: new Uint8Array(1), createdAt: 0 })),
    );
    await insertAll(
      schema.swarmLedger,
      Array.from({ length: POOL }, (_, i) => ({ epoch, infoHash: torrentOf(i), downloaded: 1e9, creditedDownloaded: 1e9, uploaded: 1e9, surgeSum: 12_000 * 4, surgeWindows: 4 })),
    );
    await insertAll(
      schema.members,
      Array.from({ length: NODES }, (_, i) => ({ account: memberOf(i), passkey: hex(i, 32), admission: "invite", createdAt: 0 })),
    );
    // Each node hosts TORRENTS torrents of the pool and is challenged ROUNDS times; one in 20 fails.
    const signature = `0x${"ab".repeat(65)}`;
    for (const part of chunk(Array.from({ length: NODES }, (_, i) => i), 500)) {
      const ts = part.flatMap((n) =>
        Array.from({ length: ROUNDS }, (_, r) =>
          transcriptRow(
            madeTranscript(epoch, nodeOf(n), torrentOf((n * TORRENTS + (r % TORRENTS)) % POOL), (n + r) % 20 === 0 ? "fail" : "pass", {
              round: r,
              host: `10.${(n >> 8) & 255}.${n & 255}.1`,
              blockHashes: ["aa".repeat(32), "bb".repeat(32), "cc".repeat(32)],
              signer: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
              signature: signature as `0x${string}`,
            }),
          ),
        ),
      );
      await insertAll(schema.challenges, ts);
    }
    // Each member downloaded and uploaded on TORRENTS torrents.
    for (const part of chunk(Array.from({ length: NODES }, (_, i) => i), 1000)) {
      const rows = part.flatMap((m) =>
        Array.from({ length: TORRENTS }, (_, k) => ({ epoch, member: memberOf(m), infoHash: torrentOf((m * 7 + k) % POOL), downloaded: 2e8, creditedDownloaded: 2e8, uploaded: 1e8, creditedUploaded: 1e8, seedSeconds: 3600 })),
      );
      await insertAll(schema.ledger, rows);
    }
    const generated = Date.now() - t0;

    takeInvocations();
    // A sized run lists every limit the close breaks, not only the first (the test still fails).
    if (env.SCALE_NODES) throwOnBreach(false);
    console.log("scale: close starts"); // bench/close.ts reads workerd's CPU at these marks
    const t1 = Date.now();
    // A paged close computes a budget of pages an invocation (EPOCH_SETTLE_PAGES_PER_TICK), then
    // stops with close_in_progress for the next tick: called again, as the cron would. Once
    // settled, large inputs are checked and posted by the next tick (close.ts SPLIT_INPUTS_BYTES).
    let res: Response;
    let body: { epoch: number; root: string; leafCount: number; totalEarned: string; state: string; error?: { code?: string } };
    let ticks = 0;
    const settled = async () => (await d.select({ state: schema.epochs.state }).from(schema.epochs).where(eq(schema.epochs.epoch, epoch)).get())?.state;
    try {
      for (;;) {
        res = await admin("/admin/epochs/close");
        body = (await res.json()) as typeof body;
        ticks++;
        console.log(`scale: tick ${ticks} ends`);
        if (body.error?.code !== "close_in_progress" || ticks >= 50) break;
        if ((await settled()) !== undefined) {
          const result = await tick(env as unknown as Env, Date.now());
          ticks++;
          console.log(`scale: tick ${ticks} ends`);
          expect(result.closeError, JSON.stringify(result.closeError)).toBeUndefined();
          res = new Response(null, { status: 200 });
          body = { epoch, state: (await settled())! } as typeof body;
          break;
        }
      }
    } finally {
      throwOnBreach(true);
    }
    const closeMs = Date.now() - t1;
    console.log("scale: close ends");
    const invocations = takeInvocations();
    const closes = invocations.filter((i) => i.label === "ChallengeScheduler.close" || i.label === "ChallengeScheduler.tick");
    console.log(
      [
        `epoch close at ${NODES} nodes × ${TORRENTS} torrents (${NODES * ROUNDS} transcripts, ${NODES * TORRENTS} ledger rows, ${POOL} torrents):`,
        `  generated in ${generated} ms; close ${closeMs} ms wall in ${ticks} invocations (workerd, local D1), HTTP ${res.status}`,
        `  D1 queries in the close's invocations: ${closes.map((i) => i.queries).join(", ")}; largest D1 value or row: ${Math.max(...closes.map((i) => i.largestValue))} bytes`,
        // Every invocation the close made (the scheduler's, the shards' it called), each within D1's 1,000 queries.
        ...invocations.filter((i) => i.queries > 0).map((i) => `  invocation ${i.label}: ${i.queries} D1 queries, largest value ${i.largestValue} bytes`),
        ...violationsSoFar().map((v) => `  BREACH: ${v.slice(0, 300)}`),
      ].join("\n"),
    );
    expect(res.status, JSON.stringify(body.error)).toBe(200);
    for (const i of invocations) expect(i.queries, i.label).toBeLessThanOrEqual(D1_LIMITS.queriesPerInvocation);
    expect(body).toMatchObject({ epoch, state: "final" });

    // Correct: the stored leaves rebuild the root, the earned total is the emission at most,
    // and the stored inputs hash to the committed inputsHash.
    const row = (await d.select().from(schema.epochs).where(eq(schema.epochs.epoch, epoch)).get())!;
    const leaves = await d.select().from(schema.leaves).where(eq(schema.leaves.epoch, epoch));
    expect(leaves).toHaveLength(row.leafCount);
    expect(buildRewardTree(epoch, leaves.map((l) => ({ account: l.account as Address, cumulative: BigInt(l.cumulative) }))).root).toBe(row.root);
    expect(BigInt(row.totalEarned)).toBeLessThanOrEqual(EMISSION_PER_EPOCH);
    // The inputs are an R2 file named by their hash, not a D1 value.
    expect(row.inputs).toBe("");
    const json = await inputsJson(env, row);
    expect(inputsHashOfJson(json)).toBe(row.inputsHash);
    expect(canonicalJson(JSON.parse(json))).toBe(json);
    console.log(`  published inputs: ${json.length} bytes in R2`);
    expect(leaves.map((l) => l.account)).toContain(nodeOf(1));
  });
});
