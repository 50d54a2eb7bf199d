import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../worker/index.ts";
import { db, schema } from "../../worker/db/client.ts";
import { transcriptRow } from "../../worker/challenge/round.ts";
import { tick } from "../../worker/scheduled.ts";
import { fixture } from "./support/fixture.ts";
import { call, uploadTorrent } from "./support/worker.ts";

const node = "0x00000000000000000000000000000000000000cc";

describe("cron", () => {
  it("leaves an epoch open until EPOCH_SECONDS have passed since its first challenge, then closes it", async () => {
    const t = fixture(30_000, 61, "cron.bin");
    await uploadTorrent(t);
    const now = Date.now();
    await db(env.DB)
      .insert(schema.challenges)
      .values(transcriptRow({ id: crypto.randomUUID(), epoch: 1, node, infoHash: t.infoHash, host: "127.0.0.1", port: 1, blocks: [0], startedAt: now - 60_000, durationMs: 5, verdict: "pass", reason: "ok", blockHashes: [], attempts: 1 }));

    expect(await tick(env, now)).toEqual({ challenged: 0 });
    expect(await (await call("/api/epochs")).json()).toEqual([]);

    // An hour later the scheduled handler closes epoch 1.
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: now + 3_600_000 }), env, ctx);
    await waitOnExecutionContext(ctx);
    const epochs = (await (await call("/api/epochs")).json()) as { epoch: number; txHash: string | null }[];
    expect(epochs).toMatchObject([{ epoch: 1, txHash: null }]);
  });
});
