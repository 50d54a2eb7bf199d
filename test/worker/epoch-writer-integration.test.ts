// The epoch writer without a chain (worker/epoch/writer.ts): the cron resumes an unfinished
// close on every tick, whatever the open epoch's age; a later close never skips an unfinished
// one; leaves changed after the settle are never published as the settled root. The chain's
// faults are in epoch-writer-chain-integration.test.ts.

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import type { Env } from "../../worker/env.ts";
import { closeEpoch } from "../../worker/epoch/close.ts";
import { tick } from "../../worker/scheduled.ts";
import { db, schema } from "../../worker/db/client.ts";
import { openEpoch, transcriptRow } from "../../worker/challenge/round.ts";
import { fixture } from "./support/fixture.ts";
import { madeTranscript } from "./support/transcripts.ts";
import { call, uploadTorrent } from "./support/worker.ts";

const node = "0x00000000000000000000000000000000000e0c02";
const t = fixture(50_000, 9102, "writer-nochain.bin");
const d = () => db(env.DB);
const rowOf = (epoch: number) => d().select().from(schema.epochs).where(eq(schema.epochs.epoch, epoch)).get();

async function earnIn(): Promise<number> {
  const epoch = await openEpoch(d());
  await d().insert(schema.challenges).values(transcriptRow(madeTranscript(epoch, node, t.infoHash, "pass", { host: "10.78.0.1" })));
  return epoch;
}

async function crashAfter(state: string): Promise<void> {
  await expect(closeEpoch({ ...(env as unknown as Env), TEST_CRASH_AFTER: state })).rejects.toThrow(`test crash after ${state}`);
}

describe("the epoch writer's record, resumed by the cron", () => {
  it("resumes a close that crashed after settling at the next tick, though the next epoch is not due (attack: a crash wedges the close until the next epoch)", async () => {
    expect((await uploadTorrent(t)).status).toBe(201);
    const epoch = await earnIn();
    await crashAfter("settled");
    expect((await rowOf(epoch))!.state).toBe("settled");
    // Settled: the next epoch is open; the explorer says the close is unfinished.
    expect(await openEpoch(d())).toBe(epoch + 1);
    const listed = (await (await call("/api/epochs")).json()) as { epoch: number; state: string }[];
    expect(listed).toEqual([expect.objectContaining({ epoch, state: "settled" })]);
    expect(await (await call("/epochs")).text()).toContain("posting: settled, not sent yet");

    const result = await tick(env as unknown as Env, Date.now());
    expect(result).toMatchObject({ closed: epoch, epoch: epoch + 1 });
    expect(result.closeError).toBeUndefined();
    expect((await rowOf(epoch))!.state).toBe("final");
  });

  it("finishes an unfinished close before closing the next epoch, never skipping it (attack: an epoch left behind)", async () => {
    const first = await earnIn();
    await crashAfter("published");
    await earnIn();
    // The admin's close: the unfinished epoch first, then the open one.
    const res = await closeEpoch(env as unknown as Env);
    expect(res).toMatchObject({ epoch: first + 1, state: "final" });
    expect((await rowOf(first))!.state).toBe("final");
    // Cumulative leaves: the second close built on the first one's stored leaves.
    const leaves = await d().select().from(schema.leaves).where(and(eq(schema.leaves.epoch, first + 1), eq(schema.leaves.account, node))).get();
    const before = await d().select().from(schema.leaves).where(and(eq(schema.leaves.epoch, first), eq(schema.leaves.account, node))).get();
    expect(BigInt(leaves!.cumulative)).toBeGreaterThan(BigInt(before!.cumulative));
  });

  it("halts rather than publish leaves changed after the settle, and every tick reports it (attack: tampered leaves posted under the settled root)", async () => {
    const epoch = await earnIn();
    await crashAfter("settled");
    await d().update(schema.leaves).set({ cumulative: "1" }).where(and(eq(schema.leaves.epoch, epoch), eq(schema.leaves.account, node)));
    const result = await tick(env as unknown as Env, Date.now());
    expect(result.closeError).toMatchObject({ code: "epoch_halted" });
    expect(result.closeError!.message).toContain("stored_mismatch");
    const row = (await rowOf(epoch))!;
    expect(row.state).toBe("halted");
    expect(row.haltReason).toContain("earned leaves");
    // Halted stays halted: no later epoch closes past it.
    await earnIn();
    await expect(closeEpoch(env as unknown as Env)).rejects.toMatchObject({ code: "epoch_halted" });
    expect(await rowOf(epoch + 1)).toBeUndefined();
    const failures = await d().select().from(schema.closeErrors).where(eq(schema.closeErrors.code, "stored_mismatch")).get();
    expect(failures!.count).toBe(1);
  });
});
