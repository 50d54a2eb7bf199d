// Published epoch files in R2 (worker/epoch/files.ts): an epoch's inputs are one object named
// by the inputsHash committed on-chain, served to anyone, and checked before the post.

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { canonicalJson, inputsHash, inputsHashOfJson } from "../../protocol/epoch/inputs.ts";
import type { Env } from "../../worker/env.ts";
import { closeEpoch } from "../../worker/epoch/close.ts";
import { inputsIntact, inputsKey, publishInputsInTicks } from "../../worker/epoch/files.ts";
import { tick } from "../../worker/scheduled.ts";
import { db, schema } from "../../worker/db/client.ts";
import { openEpoch, transcriptRow } from "../../worker/challenge/round.ts";
import { fixture } from "./support/fixture.ts";
import { madeTranscript } from "./support/transcripts.ts";
import { call, uploadTorrent } from "./support/worker.ts";

const node = "0x00000000000000000000000000000000000e0f01";
const t = fixture(50_000, 9301, "files.bin");
const d = () => db(env.DB);

async function earnIn(): Promise<number> {
  const epoch = await openEpoch(d());
  await d().insert(schema.challenges).values(transcriptRow(madeTranscript(epoch, node, t.infoHash, "pass", { host: "10.79.0.1" })));
  return epoch;
}

describe("published epoch files", () => {
  it("stores the inputs in R2 under their hash, not in D1, and serves them to anyone byte for byte (attack: inputs capped at one 2 MB D1 value)", async () => {
    expect((await uploadTorrent(t)).status).toBe(201);
    const epoch = await earnIn();
    const closed = await closeEpoch(env as unknown as Env);
    expect(closed).toMatchObject({ epoch, state: "final" });
    const row = (await d().select().from(schema.epochs).where(eq(schema.epochs.epoch, epoch)).get())!;
    expect(row.inputs).toBe("");
    const file = await call(`/api/epochs/files/inputs/${row.inputsHash}`);
    expect(file.status).toBe(200);
    expect(file.headers.get("Cache-Control")).toContain("immutable");
    const bytes = await file.text();
    expect(inputsHashOfJson(bytes)).toBe(row.inputsHash);
    // The verifier's route: the same inputs with their hash beside them.
    const api = (await (await call(`/api/epochs/${epoch}/inputs`)).json()) as { inputsHash: string; challenges: { node: string }[] };
    expect(api.inputsHash).toBe(row.inputsHash);
    expect(api.challenges.map((c) => c.node)).toEqual([node]);
    expect((await call(`/api/epochs/files/inputs/0x${"00".repeat(32)}`)).status).toBe(404);
    expect((await call(`/api/epochs/files/inputs/../x`)).status).toBe(404);
  });

  it("halts rather than post roots whose published inputs are gone or altered (attack: a commitment nobody can check)", async () => {
    const epoch = await earnIn();
    await expect(closeEpoch({ ...(env as unknown as Env), TEST_CRASH_AFTER: "settled" })).rejects.toThrow("test crash after settled");
    const row = (await d().select().from(schema.epochs).where(eq(schema.epochs.epoch, epoch)).get())!;
    await env.EPOCH_FILES.put(inputsKey(row.inputsHash), '{"epoch":1}');
    const result = await tick(env as unknown as Env, Date.now());
    expect(result.closeError).toMatchObject({ code: "epoch_halted" });
    const after = (await d().select().from(schema.epochs).where(eq(schema.epochs.epoch, epoch)).get())!;
    expect(after.state).toBe("halted");
    expect(after.haltReason).toContain("inputs");
  });

  it("publishes inputs larger than one part through R2's multipart upload, byte for byte the canonical JSON under its inputsHash, and checks them without reading them whole (attack: a close holding hundreds of MB of inputs in one 128 MB isolate)", async () => {
    // Three parts of 5 MiB (R2's least) and a smaller last one.
    const inputs = { epoch: 999, rows: Array.from({ length: 140_000 }, (_, i) => ({ i, node: `0x${i.toString(16).padStart(40, "0")}`, note: "é漢🎉".repeat(i % 5), v: BigInt(i) * 10n ** 18n })) };
    const text = canonicalJson(inputs);
    expect(new TextEncoder().encode(text).length).toBeGreaterThan(15 * 1024 * 1024);
    // Under the split size: hashed and written in this one call (no close is frozen for epoch 999).
    const hash = await publishInputsInTicks(env as unknown as Env, d(), 999, "key", inputs, Number.POSITIVE_INFINITY);
    expect(hash).toBe(inputsHash(inputs));
    const obj = (await env.EPOCH_FILES.get(inputsKey(hash)))!;
    expect(await obj.text()).toBe(text);
    const row = { epoch: 999, inputs: "", inputsHash: hash };
    expect(await inputsIntact(env as unknown as Env, row)).toBe(true);
    // One byte changed in the stored file: the writer's check refuses it.
    await env.EPOCH_FILES.put(inputsKey(hash), text.replace('"epoch":999', '"epoch":998'));
    expect(await inputsIntact(env as unknown as Env, row)).toBe(false);
  });
});
