import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { eq } from "drizzle-orm";
import { nextSeederAccount } from "./support/seeder-keys.ts";
import { CHALLENGE_BLOCKS } from "../../protocol/params.ts";
import type { Hex } from "viem";
import { deriveRound, revealMatches, roundDueAt, seedCommitment, type ScheduleParams } from "../../protocol/challenge/schedule.ts";
import type { Transcript } from "../../protocol/challenge/transcript.ts";
import { db, schema } from "../../worker/db/client.ts";
import { scheduler } from "../../worker/challenge/scheduler.ts";
import { tick } from "../../worker/scheduled.ts";
import { fixture, PIECE_LENGTH } from "./support/fixture.ts";
import { admin, call, CHAIN_ID, nowSeconds, signed, uploadTorrent } from "./support/worker.ts";
import { checkInputs } from "../../protocol/epoch/check.ts";

const f = fixture();
const other = fixture(70_000, 77, "other.bin");

interface OpenEpoch {
  epoch: number;
  openedAt: number;
  closesAt: number;
  seedCommitment: Hex;
  schedule: ScheduleParams & { challengeBlocks: number };
}

async function openEpoch(): Promise<OpenEpoch> {
  const res = await call("/api/epochs/open");
  expect(res.status).toBe(200);
  return (await res.json()) as OpenEpoch;
}

describe("challenge schedule: committed seed, derived challenges, alarms", () => {
  let node: string;
  let commitment: Hex;

  it("opens an epoch by committing to a seed it does not reveal", async () => {
    expect((await call("/api/epochs/open")).status).toBe(404);
    await uploadTorrent(f);
    await uploadTorrent(other);
    const account = nextSeederAccount();
    node = account.address.toLowerCase();
    // Hosts two torrents; the other one is not on the seeder, so it fails (a miss, not fraud).
    await call("/api/nodes/register", await signed(account, "NodeRegistration", { node: account.address, port: inject("honestSeederPort"), nonce: 1n, expiry: nowSeconds() + 600n }));
    await call("/api/nodes/hosted", await signed(account, "HostedSubset", { node: account.address, infoHashes: [`0x${f.infoHash}`, `0x${other.infoHash}`], nonce: 1n, expiry: nowSeconds() + 600n }));

    const t = await tick(env);
    expect(t.epoch).toBe(1);
    const open = await openEpoch();
    expect(open).toMatchObject({ epoch: 1, schedule: { roundsPerEpoch: 6, challengeBlocks: CHALLENGE_BLOCKS } });
    expect(open.seedCommitment).toMatch(/^0x[0-9a-f]{64}$/);
    expect(JSON.stringify(open)).not.toMatch(/"seed"/);
    commitment = open.seedCommitment;
    // The alarm is armed for the node's first round, at its derived time.
    const alarm = await runInDurableObject(scheduler(env), (_, state) => state.storage.getAlarm());
    expect(t.nextRoundAt).toBe(alarm);
    expect(alarm).toBeGreaterThanOrEqual(open.openedAt);
  });

  it("reveals the seed at close; every transcript's targets and blocks re-derive from it", async () => {
    const rounds: Transcript[] = [];
    for (let i = 0; i < 3; i++) rounds.push(...((await (await admin("/admin/challenges/run")).json()) as { results: Transcript[] }).results);
    expect(new Set(rounds.map((t) => t.round))).toEqual(new Set([0, 1, 2]));
    expect((await admin("/admin/epochs/close")).status).toBe(200);

    const epoch = (await (await call("/api/epochs/1")).json()) as { seedCommitment: Hex };
    expect(epoch.seedCommitment).toBe(commitment);
    const inputs = (await (await call("/api/epochs/1/inputs")).json()) as {
      seed: Hex;
      seedCommitment: Hex;
      schedule: ScheduleParams & { challengeBlocks: number };
      challenges: Transcript[];
      transcriptSigner: string | null;
    };
    expect(seedCommitment(inputs.seed)).toBe(commitment);
    expect(revealMatches(inputs.seed, inputs.seedCommitment)).toBe(true);

    // What a verifier (here: the node, who knows its subset) does after the reveal.
    const hosted = [f, other].map((x) => ({ infoHash: x.infoHash, length: x.data.length, storageRoot: x.storageRoot, pieceLength: PIECE_LENGTH }));
    const byRound = new Map<number, Transcript[]>();
    for (const t of inputs.challenges) byRound.set(t.round, [...(byRound.get(t.round) ?? []), t]);
    expect(byRound.size).toBe(3);
    for (const [round, ts] of byRound) {
      const derived = deriveRound({ seed: inputs.seed, epoch: 1, node, round, blockHash: ts[0]!.blockHash }, hosted, inputs.schedule, inputs.schedule.challengeBlocks);
      // The chain's first block follows from the round's randomness; the rest from the answers (checkInputs below).
      expect(ts.map((t) => [t.infoHash, t.blocks[0], t.root]).sort()).toEqual(derived.challenges.map((c) => [c.infoHash, c.blocks[0], c.root]).sort());
      expect(ts.every((t) => t.hostedHash === derived.hostedHash)).toBe(true);
    }
    // Two torrents, six rounds: every round challenges both (coverage slice plus spot check).
    expect(inputs.challenges).toHaveLength(6);
    // What anyone can check without the node's subset: the reveal, the blocks, the signatures.
    const index = new Map(hosted.map((t) => [t.infoHash, t]));
    const check = await checkInputs({ ...inputs, epoch: 1, transcriptSigner: inputs.transcriptSigner }, CHAIN_ID, index);
    expect(check).toMatchObject({ seedRevealed: true, underived: [], inconsistent: [], unsigned: [], unproven: [] });
    expect(inputs.challenges.filter((t) => t.verdict === "pass").every((t) => t.blocks.length === CHALLENGE_BLOCKS && t.nodeSignature)).toBe(true);
    // Admin rounds run now, not at their derived time: listed, so a forced moment is visible.
    const due = (t: Transcript) => roundDueAt(inputs.schedule, inputs.seed, 1, t.node, t.round);
    expect(check.early).toEqual(inputs.challenges.filter((t) => t.startedAt < due(t)).map((t) => t.id));
    expect(check.early.length).toBeGreaterThan(0);
    const p = inputs.challenges.findIndex((t) => t.verdict === "pass");
    const tampered = inputs.challenges.map((t, i) => (i === p ? { ...t, blocks: [...t.blocks].reverse() } : t));
    const bad = await checkInputs({ ...inputs, epoch: 1, challenges: tampered, transcriptSigner: inputs.transcriptSigner }, CHAIN_ID);
    expect(bad.underived).toEqual([tampered[p]!.id]);
    expect(bad.unsigned).toEqual([tampered[p]!.id]);
    expect(bad.unproven).toEqual([tampered[p]!.id]);
    // A root other than the index's, or a round whose transcripts disagree on their block, is caught too.
    const otherRoot = inputs.challenges.map((t, i) => (i === 1 ? { ...t, root: "ab".repeat(32) } : t));
    expect((await checkInputs({ ...inputs, epoch: 1, challenges: otherRoot, transcriptSigner: inputs.transcriptSigner }, CHAIN_ID, index)).underived).toEqual([otherRoot[1]!.id]);
    const sameRound = inputs.challenges.filter((t) => t.round === inputs.challenges[0]!.round);
    expect(sameRound.length).toBe(2);
    const mixed = inputs.challenges.map((t) => (t.id === sameRound[1]!.id ? { ...t, blockHash: `0x${"12".repeat(32)}` as Hex } : t));
    expect((await checkInputs({ ...inputs, epoch: 1, challenges: mixed, transcriptSigner: inputs.transcriptSigner }, CHAIN_ID)).inconsistent).toEqual([sameRound[1]!.id]);
  });

  it("commits the next epoch's seed in the same transaction as the close", async () => {
    const open = await openEpoch();
    expect(open.epoch).toBe(2);
    expect(open.seedCommitment).not.toBe(commitment);
  });

  it("keeps each node's next round at its derived time, runs it from the alarm when due, and arms the next", async () => {
    const d = db(env.DB);
    const seed = (await d.select().from(schema.epochSeeds).where(eq(schema.epochSeeds.epoch, 2)).get())!;
    const params = { ...(JSON.parse(seed.schedule) as ScheduleParams), openedAt: seed.openedAt };
    const stub = scheduler(env);
    const progress = () => runInDurableObject(stub, (_, state) => state.storage.sql.exec<{ node: string; next_round: number; due_at: number }>("SELECT node, next_round, due_at FROM progress").toArray());
    // The close learnt the node for epoch 2: round 0 at its derived time, the alarm set for it.
    expect(await progress()).toEqual([{ node, next_round: 0, due_at: roundDueAt(params, seed.seed as Hex, 2, node, 0) }]);
    const alarm = await runInDurableObject(stub, (_, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThanOrEqual(roundDueAt(params, seed.seed as Hex, 2, node, 0));
    // Make round 0 due now, as time would, and let the alarm fire.
    await runInDurableObject(stub, (_, state) => state.storage.sql.exec("UPDATE progress SET due_at = ?", Date.now() - 1));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const transcripts = await d.select().from(schema.challenges).where(eq(schema.challenges.epoch, 2));
    expect(transcripts.map((t) => t.round)).toEqual([0, 0]);
    expect(await progress()).toEqual([{ node, next_round: 1, due_at: roundDueAt(params, seed.seed as Hex, 2, node, 1) }]);
    // Round 1 falls in the epoch's second slice, minutes away: the alarm waits for it.
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBe(roundDueAt(params, seed.seed as Hex, 2, node, 1));
  });

  it("runs no round for an epoch whose close has started, from the alarm or an admin, until the freeze is lifted (attack: rounds between a paged close's ticks changing what it settles)", async () => {
    const d = db(env.DB);
    const stub = scheduler(env);
    const before = (await d.select().from(schema.challenges).where(eq(schema.challenges.epoch, 2))).length;
    await d.insert(schema.epochCloseFreeze).values({ epoch: 2, challengeCutoff: 0, challenges: before, frozenAt: Date.now() });
    await runInDurableObject(stub, (_, state) => state.storage.sql.exec("UPDATE progress SET due_at = ?", Date.now() - 1));
    await runInDurableObject(stub, (_, state) => state.storage.setAlarm(Date.now()));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    // The frozen epoch's alarm is not left firing every second: the cron's tick re-arms it.
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBeNull();
    expect((await (await admin("/admin/challenges/run")).json()) as { results: Transcript[] }).toEqual({ results: [] });
    expect(await d.select().from(schema.challenges).where(eq(schema.challenges.epoch, 2))).toHaveLength(before);
    await d.delete(schema.epochCloseFreeze).where(eq(schema.epochCloseFreeze.epoch, 2));
    expect(((await (await admin("/admin/challenges/run")).json()) as { results: Transcript[] }).results.length).toBeGreaterThan(0);
  });
});
