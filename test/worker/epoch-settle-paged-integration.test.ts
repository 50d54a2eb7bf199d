// The close with EPOCH_SETTLE=paged (worker/epoch/settle-mode.ts): the settlement computed in
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
});
