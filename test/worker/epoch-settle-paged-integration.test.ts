// The close with EPOCH_SETTLE=paged, the default (worker/epoch/settle-mode.ts): the settlement computed in
// pages of whole torrents must commit exactly what `vidya verify` rebuilds with settleEpoch from
// the published inputs (node/commands/verify.ts), on a real close in workerd.

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import type { Address } from "viem";
import { settleInputsOf, settlementJson, type PublishedSettleInputs } from "../../protocol/economics/published.ts";
import { settleEpoch } from "../../protocol/economics/settle.ts";
import { canonicalJson, inputsHashOfJson } from "../../protocol/epoch/inputs.ts";
import { openEpoch, transcriptRow } from "../../worker/challenge/round.ts";
import { db, schema } from "../../worker/db/client.ts";
import type { Env } from "../../worker/env.ts";
import { closeEpoch, rootOf } from "../../worker/epoch/close.ts";
import { inputsJson } from "../../worker/epoch/files.ts";
import { tick } from "../../worker/scheduled.ts";
import { freezeChallenges, frozenRead, isFrozen, thawChallenges } from "../../worker/epoch/frozen.ts";
import { fixture } from "./support/fixture.ts";
import { madeTranscript } from "./support/transcripts.ts";
import { uploadTorrent } from "./support/worker.ts";

const d = () => db(env.DB);
const node = (i: number) => `0x${(0xe0f100 + i).toString(16).padStart(40, "0")}`;
const torrents = [fixture(40_000, 9401, "paged-a.bin"), fixture(60_000, 9402, "paged-b.bin"), fixture(30_000, 9403, "paged-c.bin")];

describe("paged settlement in the close", () => {
  it("commits the roots and publishes the settlement `vidya verify` recomputes with settleEpoch, one torrent a page (attack: a paged close posting roots nobody can rebuild)", async () => {
    for (const t of torrents) expect((await uploadTorrent(t)).status).toBe(201);
    const epoch = await openEpoch(d());
    // Nodes on shared and separate subnets, some failing (fault fees, a slash), some torrents shared.
    const rows = [];
    for (let n = 0; n < 7; n++) {
      for (const [k, t] of torrents.entries()) {
        if ((n + k) % 3 === 2) continue;
        for (let round = 0; round < 2; round++) {
          const verdict = n === 3 && k === 0 && round === 1 ? "timeout" : n === 5 && k === 1 ? "fail" : "pass";
          rows.push(transcriptRow(madeTranscript(epoch, node(n), t.infoHash, verdict, { round, host: `10.80.${n % 5}.${n + 1}` })));
        }
      }
    }
    // A row a statement: D1 binds at most 100 parameters (the test guard).
    for (const r of rows) await d().insert(schema.challenges).values(r);
    const paged = { ...(env as unknown as Env), EPOCH_SETTLE: "paged", EPOCH_SETTLE_PAGE_TORRENTS: "1" };
    expect(await closeEpoch(paged)).toMatchObject({ epoch, state: "final" });
    // The settled batch took the freeze and the chain reads it kept (frozen.ts frozenRead) with it.
    expect(await d().select().from(schema.epochCloseReads).where(eq(schema.epochCloseReads.epoch, epoch))).toEqual([]);

    const row = (await d().select().from(schema.epochs).where(eq(schema.epochs.epoch, epoch)).get())!;
    const json = await inputsJson(env as unknown as Env, row);
    expect(inputsHashOfJson(json)).toBe(row.inputsHash);
    const published = JSON.parse(json) as PublishedSettleInputs & { settlement: unknown };
    expect(published.challenges).toHaveLength(rows.length);
    const s = settleEpoch(settleInputsOf(published));
    expect(s.leaves.length).toBeGreaterThan(3);
    expect(s.penalties.length).toBeGreaterThan(0);
    expect(rootOf(epoch, s.leaves)).toBe(row.root);
    expect(rootOf(epoch, s.slashedLeaves)).toBe(row.slashedRoot);
    expect(rootOf(epoch, s.spentLeaves)).toBe(row.spentRoot);
    expect(s.totalEarned.toString()).toBe(row.totalEarned);
    // The published breakdown is settleEpoch's, byte for byte: the inputs hash covers it.
    expect(canonicalJson(settlementJson(s))).toBe(canonicalJson(published.settlement));
    const stored = await d().select().from(schema.leaves).where(eq(schema.leaves.epoch, epoch));
    expect(stored.map((l) => ({ account: l.account as Address, cumulative: BigInt(l.cumulative) })).sort((a, b) => (a.account < b.account ? -1 : 1))).toEqual(s.leaves);
  });

  it("resumes a paged close that died between pages, of the challenges frozen at its start, and commits what `vidya verify` recomputes (attack: a crashed close posting roots from half its pages, or a round between ticks mixed into its pages)", async () => {
    const more = [fixture(45_000, 9411, "paged-d.bin"), fixture(35_000, 9412, "paged-e.bin"), fixture(55_000, 9413, "paged-f.bin")];
    for (const t of more) expect((await uploadTorrent(t)).status).toBe(201);
    const epoch = await openEpoch(d());
    for (let n = 0; n < 5; n++)
      for (const [k, t] of more.entries()) {
        const verdict = n === 1 && k === 2 ? "fail" : "pass";
        await d().insert(schema.challenges).values(transcriptRow(madeTranscript(epoch, node(20 + n), t.infoHash, verdict, { round: k, host: `10.81.${n}.${k + 1}` })));
      }
    const paged = { ...(env as unknown as Env), EPOCH_SETTLE: "paged", EPOCH_SETTLE_PAGE_TORRENTS: "1" };
    // Dies once sweep B's second page is stored: nothing is settled, the pages so far are kept.
    await expect(closeEpoch({ ...paged, TEST_CRASH_AFTER: "page B1" })).rejects.toThrow("test crash after page B1");
    expect(await d().select().from(schema.epochs).where(eq(schema.epochs.epoch, epoch)).get()).toBeUndefined();
    const kept = await d().select().from(schema.epochSettlePages).where(eq(schema.epochSettlePages.epoch, epoch));
    expect(kept.map((p) => `${p.sweep}${p.page}`).sort()).toEqual(["A0", "A1", "A2", "B0", "B1"]);
    // The epoch's challenges were frozen when the close started (worker/epoch/frozen.ts): the
    // scheduler runs no round for it, and a row written anyway is not this close's.
    expect(await isFrozen(d(), epoch)).toBe(true);
    const late = madeTranscript(epoch, node(20), more[0]!.infoHash, "fail", { round: 9, host: "10.81.0.9" });
    await d().insert(schema.challenges).values(transcriptRow(late));
    // The resumed close reuses the stored pages: the same fingerprint, not one naming the late row.
    await expect(closeEpoch({ ...paged, TEST_CRASH_AFTER: "page B2" })).rejects.toThrow("test crash after page B2");
    const again = await d().select().from(schema.epochSettlePages).where(eq(schema.epochSettlePages.epoch, epoch));
    expect(new Set(again.map((p) => p.fingerprint))).toEqual(new Set([kept[0]!.fingerprint]));

    expect(await closeEpoch(paged)).toMatchObject({ epoch, state: "final" });
    expect(await isFrozen(d(), epoch)).toBe(false);
    const row = (await d().select().from(schema.epochs).where(eq(schema.epochs.epoch, epoch)).get())!;
    const json = await inputsJson(env as unknown as Env, row);
    expect(inputsHashOfJson(json)).toBe(row.inputsHash);
    const published = JSON.parse(json) as PublishedSettleInputs & { settlement: unknown };
    expect(published.challenges).toHaveLength(15);
    expect((published.challenges as unknown as { id: string }[]).map((c) => c.id)).not.toContain(late.id);
    // `vidya verify` adds the previous epoch's leaves (cumulative): the first test closed one.
    const leavesOf = async (t: typeof schema.leaves | typeof schema.slashed | typeof schema.spent) =>
      (await d().select().from(t).where(eq(t.epoch, epoch - 1))).map((l) => ({ account: l.account as Address, cumulative: BigInt(l.cumulative) }));
    const s = settleEpoch(settleInputsOf(published, { earned: await leavesOf(schema.leaves), slashed: await leavesOf(schema.slashed), spent: await leavesOf(schema.spent) }));
    expect(s.penalties.length).toBeGreaterThan(0);
    expect(rootOf(epoch, s.leaves)).toBe(row.root);
    expect(rootOf(epoch, s.slashedLeaves)).toBe(row.slashedRoot);
    expect(canonicalJson(settlementJson(s))).toBe(canonicalJson(published.settlement));
    // The scratch is gone once the settlement is assembled.
    expect(await d().select().from(schema.epochSettlePages).where(eq(schema.epochSettlePages.epoch, epoch))).toHaveLength(0);
  });

  it("clears a crashed paged close's scratch when the epoch is then closed whole (attack: stale pages left to a later close)", async () => {
    const t = fixture(42_000, 9421, "paged-g.bin");
    expect((await uploadTorrent(t)).status).toBe(201);
    const epoch = await openEpoch(d());
    for (let n = 0; n < 3; n++) await d().insert(schema.challenges).values(transcriptRow(madeTranscript(epoch, node(40 + n), t.infoHash, "pass", { round: 0 })));
    const paged = { ...(env as unknown as Env), EPOCH_SETTLE: "paged", EPOCH_SETTLE_PAGE_TORRENTS: "1" };
    await expect(closeEpoch({ ...paged, TEST_CRASH_AFTER: "page A0" })).rejects.toThrow("test crash after page A0");
    expect(await d().select().from(schema.epochSettlePages).where(eq(schema.epochSettlePages.epoch, epoch))).toHaveLength(1);
    expect(await closeEpoch({ ...(env as unknown as Env), EPOCH_SETTLE: "whole" })).toMatchObject({ epoch, state: "final" });
    expect(await d().select().from(schema.epochSettlePages)).toHaveLength(0);
  });

  it("closes the same epoch whole and paged (the default) to the same roots and the same published bytes (attack: the default close committing other roots or inputs than settleEpoch's)", async () => {
    const ts = [fixture(41_000, 9431, "paged-h.bin"), fixture(52_000, 9432, "paged-i.bin")];
    for (const t of ts) expect((await uploadTorrent(t)).status).toBe(201);
    const epoch = await openEpoch(d());
    for (let n = 0; n < 6; n++)
      for (const [k, t] of ts.entries())
        for (let round = 0; round < 2; round++)
          await d()
            .insert(schema.challenges)
            .values(transcriptRow(madeTranscript(epoch, node(60 + n), t.infoHash, n === 2 && round === 1 ? "fail" : "pass", { round: round * 2 + k, host: `10.82.${n % 2}.${n + 1}` })));
    const member = (i: number) => `0x${(0xbe7700 + i).toString(16).padStart(40, "0")}`;
    for (let m = 0; m < 4; m++)
      for (const t of ts) await d().insert(schema.ledger).values({ epoch, member: member(m), infoHash: t.infoHash, downloaded: 3e9, creditedDownloaded: 3e9 + m, uploaded: 1e6 * m, creditedUploaded: 0, seedSeconds: 60 });
    const closed = async (mode: string) => {
      const out = await closeEpoch({ ...(env as unknown as Env), EPOCH_SETTLE: mode, EPOCH_SETTLE_PAGE_TORRENTS: "1" });
      const row = (await d().select().from(schema.epochs).where(eq(schema.epochs.epoch, epoch)).get())!;
      return { out, row, json: await inputsJson(env as unknown as Env, row) };
    };
    const whole = await closed("whole");
    expect(whole.out).toMatchObject({ epoch, state: "final" });
    // Undo the close (its records and the allotment it wrote) and close the same epoch again, paged.
    for (const t of [schema.epochs, schema.leaves, schema.slashed, schema.spent, schema.seniority, schema.faults, schema.replicaFaults, schema.vetting]) await d().delete(t).where(eq(t.epoch, epoch));
    await d().delete(schema.allotments);
    const paged = await closed("");
    for (const k of ["root", "slashedRoot", "spentRoot", "inputsHash", "totalEarned", "leafCount", "bountyDraws"] as const) expect(paged.row[k], k).toBe(whole.row[k]);
    expect(paged.json).toBe(whole.json);
    const published = JSON.parse(paged.json) as { challenges: unknown[]; transfers: unknown[] };
    expect(published.challenges).toHaveLength(24);
    expect(published.transfers).toHaveLength(8);
  });

  it("spreads a paged close over several ticks, a budget of pages each, and commits what one invocation would (attack: a close past a Worker's 30 s of CPU dying at the same page every tick)", async () => {
    const ts = [fixture(43_000, 9441, "paged-j.bin"), fixture(47_000, 9442, "paged-k.bin"), fixture(39_000, 9443, "paged-l.bin")];
    for (const t of ts) expect((await uploadTorrent(t)).status).toBe(201);
    const epoch = await openEpoch(d());
    for (let n = 0; n < 5; n++)
      for (const [k, t] of ts.entries())
        await d()
          .insert(schema.challenges)
          .values(transcriptRow(madeTranscript(epoch, node(80 + n), t.infoHash, n === 3 && k === 1 ? "fail" : "pass", { round: k, host: `10.83.${n}.1` })));
    // 3 pages × 3 sweeps = 9 page results, 2 an invocation: four invocations stop, the fifth settles.
    const budget = { ...(env as unknown as Env), EPOCH_SETTLE_PAGE_TORRENTS: "1", EPOCH_SETTLE_PAGES_PER_TICK: "2" };
    const stored = async () => (await d().select().from(schema.epochSettlePages).where(eq(schema.epochSettlePages.epoch, epoch))).length;
    for (let tick = 1; tick <= 4; tick++) {
      const e = await closeEpoch(budget).then(
        () => undefined,
        (x: unknown) => x as { code?: string },
      );
      expect(e?.code, `tick ${tick}`).toBe("close_in_progress");
      expect(await stored()).toBe(2 * tick);
      expect(await d().select().from(schema.epochs).where(eq(schema.epochs.epoch, epoch)).get()).toBeUndefined();
    }
    expect(await closeEpoch(budget)).toMatchObject({ epoch, state: "final" });
    const row = (await d().select().from(schema.epochs).where(eq(schema.epochs.epoch, epoch)).get())!;
    const published = JSON.parse(await inputsJson(env as unknown as Env, row)) as PublishedSettleInputs & { settlement: unknown };
    expect(published.challenges).toHaveLength(15);
    const leavesOf = async (t: typeof schema.leaves | typeof schema.slashed | typeof schema.spent) =>
      (await d().select().from(t).where(eq(t.epoch, epoch - 1))).map((l) => ({ account: l.account as Address, cumulative: BigInt(l.cumulative) }));
    const s = settleEpoch(settleInputsOf(published, { earned: await leavesOf(schema.leaves), slashed: await leavesOf(schema.slashed), spent: await leavesOf(schema.spent) }));
    expect(rootOf(epoch, s.leaves)).toBe(row.root);
    expect(rootOf(epoch, s.slashedLeaves)).toBe(row.slashedRoot);
    expect(canonicalJson(settlementJson(s))).toBe(canonicalJson(published.settlement));
  });

  it("hashes large inputs in one tick, writes them under the recorded hash in the next, and checks and posts them in a third (attack: one invocation passing over hundreds of MB of inputs three times)", async () => {
    const t = fixture(44_000, 9451, "paged-m.bin");
    expect((await uploadTorrent(t)).status).toBe(201);
    const epoch = await openEpoch(d());
    for (let n = 0; n < 3; n++) await d().insert(schema.challenges).values(transcriptRow(madeTranscript(epoch, node(90 + n), t.infoHash, "pass", { round: 0, host: `10.84.${n}.1` })));
    const big = { ...(env as unknown as Env), EPOCH_SPLIT_INPUTS_BYTES: "1" };
    const stopped = async () =>
      closeEpoch(big).then(
        () => undefined,
        (x: unknown) => x as { code?: string; message?: string },
      );
    const state = async () => (await d().select().from(schema.epochs).where(eq(schema.epochs.epoch, epoch)).get())?.state;
    // First tick: the inputs hashed, the hash recorded, nothing written.
    const hashed = await stopped();
    expect(hashed?.code).toBe("close_in_progress");
    expect(hashed?.message).toContain("hashed");
    expect(await state()).toBeUndefined();
    const recorded = (await d().select().from(schema.epochCloseFreeze).where(eq(schema.epochCloseFreeze.epoch, epoch)).get())!;
    expect(recorded.inputsHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await env.EPOCH_FILES.head(`inputs/${recorded.inputsHash}.json`)).toBeNull();
    // A hash recorded for other inputs (another key: a deposit moved between ticks) is not used: hashed again.
    await d().update(schema.epochCloseFreeze).set({ inputsKey: "0xother", inputsHash: `0x${"11".repeat(32)}` }).where(eq(schema.epochCloseFreeze.epoch, epoch));
    expect((await stopped())?.message).toContain("hashed");
    expect(await state()).toBeUndefined();
    expect((await d().select().from(schema.epochCloseFreeze).where(eq(schema.epochCloseFreeze.epoch, epoch)).get())!.inputsHash).toBe(recorded.inputsHash);
    // Second: written under the recorded hash, settled; its check and post left to the next tick.
    expect((await stopped())?.code).toBe("close_in_progress");
    expect(await state()).toBe("settled");
    const row = (await d().select().from(schema.epochs).where(eq(schema.epochs.epoch, epoch)).get())!;
    expect(row.inputsHash).toBe(recorded.inputsHash);
    expect(inputsHashOfJson(await inputsJson(env as unknown as Env, row))).toBe(row.inputsHash);
    // The cron's next tick resumes the recorded close: checked, then final (no chain here).
    const result = await tick(big, Date.now());
    expect(result.closeError).toBeUndefined();
    expect(result.closed).toBe(epoch);
    expect(await state()).toBe("final");
  });

  it("settles a close spanning ticks with the chain's deposits and bounties as its first invocation read them (attack: a deposit moved between ticks dropping every stored page, a close that never finishes)", async () => {
    const epoch = 900;
    await freezeChallenges(d(), epoch, Date.now());
    let reads = 0;
    const chain = (balances: [string, bigint][]) => async () => (reads++, new Map(balances));
    const first = await frozenRead(d(), epoch, "deposits", chain([["0xa", 5n * 10n ** 18n], ["0xb", 0n]]));
    expect(first.get("0xa")).toBe(5n * 10n ** 18n);
    // The next tick: the chain says otherwise now, the close keeps what it read.
    const again = await frozenRead(d(), epoch, "deposits", chain([["0xa", 1n], ["0xb", 9n]]));
    expect(reads).toBe(1);
    expect(again.get("0xa")).toBe(5n * 10n ** 18n);
    expect(again.get("0xb") ?? 0n).toBe(0n);
    // Bounties are kept apart; a close given up (nothing earned) reads afresh next time.
    expect((await frozenRead(d(), epoch, "bounties", chain([["ab", 3n]]))).get("ab")).toBe(3n);
    await thawChallenges(d(), epoch);
    await freezeChallenges(d(), epoch, Date.now());
    expect((await frozenRead(d(), epoch, "deposits", chain([["0xa", 1n]]))).get("0xa")).toBe(1n);
    expect(reads).toBe(3);
  });
});
