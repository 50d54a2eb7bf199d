// Operations (issue 13 part 5, docs/runbook.md): an overdue epoch is said, with why, by GET
// /api/epochs/open, GET /api/epochs/overdue, the site's /epochs page and index, and /metrics;
// /metrics counts the open epoch's challenge outcomes by reason class and the scheduler's
// alarm lag. Storage is shared by the tests of this file: they run in order, one epoch each.

import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import type { Env } from "../../worker/env.ts";
import type { Overdue } from "../../protocol/epoch/overdue.ts";
import { EPOCH_OVERDUE_GRACE_SECONDS } from "../../protocol/params.ts";
import { closeEpoch } from "../../worker/epoch/close.ts";
import { ensureOpen, scheduleOf } from "../../worker/epoch/seed.ts";
import { tick } from "../../worker/scheduled.ts";
import { scheduler } from "../../worker/challenge/scheduler.ts";
import { db, schema } from "../../worker/db/client.ts";
import { openEpoch, transcriptRow } from "../../worker/challenge/round.ts";
import { fixture } from "./support/fixture.ts";
import { madeTranscript } from "./support/transcripts.ts";
import { ADMIN_TOKEN, call, uploadTorrent } from "./support/worker.ts";

const node = "0x00000000000000000000000000000000000e0c0d";
const t = fixture(40_000, 9131, "operations.bin");
const d = () => db(env.DB);
const wenv = env as unknown as Env;
const grace = EPOCH_OVERDUE_GRACE_SECONDS * 1000;

async function earnIn(): Promise<number> {
  const epoch = await openEpoch(d());
  await d().insert(schema.challenges).values(transcriptRow(madeTranscript(epoch, node, t.infoHash, "pass", { host: "10.78.0.13" })));
  return epoch;
}

const openJson = async () => (await (await call("/api/epochs/open")).json()) as { epoch: number; overdue: Overdue };
const overdueJson = async () => (await (await call("/api/epochs/overdue")).json()) as Overdue;
const metrics = async () => (await call("/metrics", { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
const sample = (text: string, line: RegExp) => text.split("\n").find((l) => line.test(l));

describe("an overdue epoch is said, with why", () => {
  it("says the open epoch is overdue once it outlives its length and the grace, on the API and the site (attack: an epoch that silently never closes)", async () => {
    const epoch = await openEpoch(d());
    const seed = await ensureOpen(wenv, d(), epoch, Date.now() - 1000);
    // Not yet: opened a second ago.
    expect((await openJson()).overdue.overdue).toBe(false);
    expect(await (await call("/epochs")).text()).not.toContain("epoch-overdue");
    // Opened long ago: past its length and the grace, and nobody has earned.
    const long = Date.now() - scheduleOf(seed).epochMs - grace - 60_000;
    await d().update(schema.epochSeeds).set({ openedAt: long }).where(eq(schema.epochSeeds.epoch, epoch));
    const o = (await openJson()).overdue;
    expect(o).toMatchObject({ overdue: true, epoch, since: long + scheduleOf(seed).epochMs });
    expect(o.reason).toContain("nobody has earned");
    const page = await (await call("/epochs")).text();
    expect(page).toContain('data-testid="epoch-overdue"');
    expect(page).toContain(`epoch ${epoch} is overdue`);
    expect(await (await call("/")).text()).toContain(`epoch ${epoch} is overdue`);
  });

  it("says a close unfinished past the grace is overdue with the writer's state and last error, and clears once the tick finishes it (attack: a wedged close nobody sees)", async () => {
    expect((await uploadTorrent(t)).status).toBe(201);
    const epoch = await earnIn();
    const started = Date.now() - grace - 120_000;
    await expect(closeEpoch({ ...wenv, TEST_CRASH_AFTER: "published" }, started)).rejects.toThrow("test crash after published");
    await ensureOpen(wenv, d(), epoch + 1, Date.now());

    const open = await openJson();
    expect(open.epoch).toBe(epoch + 1);
    expect(open.overdue).toMatchObject({ overdue: true, epoch, since: started });
    expect(open.overdue.reason).toContain("unfinished (state published)");
    expect(open.overdue.reason).toContain("close_failed");
    expect(open.overdue.reason).toContain("test crash after published");
    expect(await overdueJson()).toEqual(open.overdue);

    const text = await metrics();
    expect(sample(text, /^vidya_epoch_overdue /)).toBe("vidya_epoch_overdue 1");
    const info = sample(text, /^vidya_epoch_overdue_info\{/);
    expect(info).toContain(`epoch="${epoch}"`);
    expect(info).toContain("test crash after published");
    expect(await (await call("/")).text()).toContain(`epoch ${epoch} is overdue`);

    // The cron resumes the close: nothing is overdue any more.
    const result = await tick(wenv, Date.now());
    expect(result).toMatchObject({ closed: epoch });
    expect((await openJson()).overdue.overdue).toBe(false);
    expect(sample(await metrics(), /^vidya_epoch_overdue /)).toBe("vidya_epoch_overdue 0");
    expect(await (await call("/epochs")).text()).not.toContain("epoch-overdue");
  });

  it("says a halted close is overdue at once with its halt reason, on the API, the page and /metrics (attack: a bad root halts the writer unnoticed)", async () => {
    const epoch = await earnIn();
    await expect(closeEpoch({ ...wenv, TEST_CRASH_AFTER: "settled" })).rejects.toThrow("test crash after settled");
    // Leaves changed after the settle: the writer halts rather than post them.
    await d().update(schema.leaves).set({ cumulative: "1" }).where(and(eq(schema.leaves.epoch, epoch), eq(schema.leaves.account, node)));
    expect((await tick(wenv, Date.now())).closeError).toMatchObject({ code: "epoch_halted" });

    const o = await overdueJson();
    expect(o).toMatchObject({ overdue: true, epoch });
    expect(o.reason).toContain("halted");
    expect(o.reason).toContain("stored_mismatch");
    const page = await (await call("/epochs")).text();
    expect(page).toContain('data-testid="epoch-overdue"');
    expect(page).toContain("stored_mismatch");
    const info = sample(await metrics(), /^vidya_epoch_overdue_info\{/);
    expect(info).toContain(`epoch="${epoch}"`);
    expect(info).toContain("halted");
  });
});

describe("/metrics for operations", () => {
  it("counts the open epoch's challenge outcomes by verdict and reason class, not other epochs' (finding: no metric on challenges)", async () => {
    const epoch = await openEpoch(d());
    const rows = [
      madeTranscript(epoch, node, t.infoHash, "pass"),
      madeTranscript(epoch, node, t.infoHash, "pass"),
      madeTranscript(epoch, node, t.infoHash, "fail"),
      madeTranscript(epoch, node, t.infoHash, "timeout", { reason: "4 chained blocks took 9000 ms, over their budget of 800 ms (4 × (round trip 100 + 100) ms)" }),
      madeTranscript(epoch, node, t.infoHash, "refused", { reason: "could not connect: connection refused" }),
      madeTranscript(epoch, node, t.infoHash, "refused", { reason: "something nobody classified" }),
      // Another epoch's transcript is not the open epoch's.
      madeTranscript(epoch - 1, node, t.infoHash, "fail", { reason: "no path for block 3" }),
    ];
    for (const r of rows) await d().insert(schema.challenges).values(transcriptRow(r));
    const text = await metrics();
    const line = (verdict: string, reason: string) => sample(text, new RegExp(`^vidya_challenge_outcomes\\{verdict="${verdict}",reason="${reason}"\\} `));
    expect(line("pass", "verified")).toMatch(/ 2$/);
    expect(line("fail", "bad_block")).toMatch(/ 1$/);
    expect(line("timeout", "over_budget")).toMatch(/ 1$/);
    expect(line("refused", "unreachable")).toMatch(/ 1$/);
    expect(line("refused", "other")).toMatch(/ 1$/);
    expect(line("fail", "no_path")).toBeUndefined();
  });

  it("reports how late the scheduler's last alarm fired (finding: no alarm lag metric)", async () => {
    const stub = scheduler(wenv);
    // An alarm the platform runs 5 s after the time it was set for.
    await runInDurableObject(stub, async (_o, state) => {
      await state.storage.setAlarm(Date.now() + 60_000);
      await state.storage.put("alarm_at", Date.now() - 5_000);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const lag = Number(sample(await metrics(), /^vidya_challenge_alarm_lag_seconds /)!.split(" ")[1]);
    expect(lag).toBeGreaterThanOrEqual(5);
    expect(lag).toBeLessThan(30);
    expect(sample(await metrics(), /^vidya_challenge_alarm_last_fired_timestamp_seconds /)).toBeDefined();
  });
});
