import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../worker/index.ts";
import { db, schema } from "../../worker/db/client.ts";
import { transcriptRow } from "../../worker/challenge/round.ts";
import { tick } from "../../worker/scheduled.ts";
import { fixture } from "./support/fixture.ts";
import { madeTranscript } from "./support/transcripts.ts";
import { call, uploadTorrent } from "./support/worker.ts";

const node = "0x00000000000000000000000000000000000000cc";

describe("cron", () => {
  it("leaves an epoch open until EPOCH_SECONDS have passed since it opened, then closes it", async () => {
    const t = fixture(30_000, 61, "cron.bin");
    await uploadTorrent(t);
    const now = Date.now();
    await db(env.DB)
      .insert(schema.challenges)
      .values(transcriptRow(madeTranscript(1, node, t.infoHash, "pass", { startedAt: now - 60_000 })));

    // The first tick opens epoch 1 (its seed committed); nobody is registered, so no round is due.
    expect(await tick(env, now)).toMatchObject({ epoch: 1, challenged: 0, nextRoundAt: null });
    expect(await (await call("/api/epochs")).json()).toEqual([]);

    // An hour later the scheduled handler closes epoch 1.
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: now + 3_600_000 }), env, ctx);
    await waitOnExecutionContext(ctx);
    const epochs = (await (await call("/api/epochs")).json()) as { epoch: number; txHash: string | null }[];
    expect(epochs).toMatchObject([{ epoch: 1, txHash: null }]);
  });
});
