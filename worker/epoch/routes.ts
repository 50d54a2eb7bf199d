// Published epochs: every leaf and every input, so anyone can rebuild the roots.

import { Hono } from "hono";
import { asc, eq } from "drizzle-orm";
import type { Address } from "viem";
import { buildRewardTree } from "../../protocol/merkle/reward-tree.ts";
import type { Env } from "../env.ts";
import { db, schema, type Db } from "../db/client.ts";
import { badRequest, notFound } from "../errors.ts";
import { epochJson, rootOf } from "./close.ts";
import { openEpoch } from "../challenge/round.ts";
import { scheduleOf, seedOf } from "./seed.ts";
import { disputeWindowMs } from "../disputes/routes.ts";
import { inputsJson, inputsKey } from "./files.ts";
import { epochOverdue } from "./status.ts";

export const epochsApi = new Hono<{ Bindings: Env }>();

// The open epoch and its seed commitment (never the seed: that is revealed at close), and
// whether an epoch is overdue and why (protocol/epoch/overdue.ts).
epochsApi.get("/open", async (c) => {
  const d = db(c.env.DB);
  const epoch = await openEpoch(d);
  const row = await seedOf(d, epoch);
  if (!row) throw notFound(`epoch ${epoch} has not opened yet (the scheduler opens it at its next tick)`, "not_open");
  const schedule = scheduleOf(row);
  const overdue = await epochOverdue(c.env);
  return c.json({ epoch, openedAt: row.openedAt, closesAt: row.openedAt + schedule.epochMs, seedCommitment: row.commitment, schedule, overdue });
});

// The same verdict alone, answered even before the open epoch's seed exists (a halted close).
epochsApi.get("/overdue", async (c) => c.json(await epochOverdue(c.env)));

async function epochRow(d: Db, raw: string) {
  if (!/^[1-9][0-9]{0,9}$/.test(raw)) throw badRequest("epoch must be a positive integer");
  const row = await d.select().from(schema.epochs).where(eq(schema.epochs.epoch, Number(raw))).get();
  if (!row) throw notFound(`epoch ${raw} is not closed`);
  return row;
}

async function leavesOf(d: Db, epoch: number) {
  return d.select({ account: schema.leaves.account, cumulative: schema.leaves.cumulative }).from(schema.leaves).where(eq(schema.leaves.epoch, epoch)).orderBy(asc(schema.leaves.account));
}

epochsApi.get("/", async (c) => {
  const rows = await db(c.env.DB).select().from(schema.epochs).orderBy(asc(schema.epochs.epoch));
  return c.json(rows.map(epochJson));
});

epochsApi.get("/:epoch", async (c) => c.json(epochJson(await epochRow(db(c.env.DB), c.req.param("epoch")))));

epochsApi.get("/:epoch/leaves", async (c) => {
  const d = db(c.env.DB);
  const row = await epochRow(d, c.req.param("epoch"));
  return c.json({ epoch: row.epoch, root: row.root, leaves: await leavesOf(d, row.epoch) });
});

// A published file by its hash (the inputsHash committed on-chain): anyone can fetch and rehash it.
epochsApi.get("/files/inputs/:hash", async (c) => {
  const hash = c.req.param("hash");
  if (!/^0x[0-9a-f]{64}$/.test(hash)) throw badRequest("hash must be 0x and 64 lowercase hex digits");
  const obj = await c.env.EPOCH_FILES.get(inputsKey(hash));
  if (!obj) throw notFound(`no published file ${hash}`);
  // Content-addressed: the bytes under a name never change.
  return new Response(obj.body, { headers: { "Content-Type": "application/json", "Cache-Control": "public, max-age=31536000, immutable" } });
});

epochsApi.get("/:epoch/inputs", async (c) => {
  const row = await epochRow(db(c.env.DB), c.req.param("epoch"));
  // Exactly what was hashed, plus the hash: the verifier drops `inputsHash` and rehashes.
  const inputs = JSON.parse(await inputsJson(c.env, row)) as Record<string, unknown>;
  return c.json({ ...inputs, inputsHash: row.inputsHash });
});

epochsApi.get("/:epoch/proof/:account", async (c) => {
  const account = c.req.param("account");
  if (!/^0x[0-9a-fA-F]{40}$/.test(account)) throw badRequest("account must be 0x and 40 hex digits");
  const d = db(c.env.DB);
  const row = await epochRow(d, c.req.param("epoch"));
  const leaves = await leavesOf(d, row.epoch);
  const mine = leaves.find((l) => l.account === account.toLowerCase());
  if (!mine) throw notFound(`no leaf for ${account} in epoch ${row.epoch}`);
  const tree = buildRewardTree(row.epoch, leaves.map((l) => ({ account: l.account as Address, cumulative: BigInt(l.cumulative) })));
  return c.json({ epoch: row.epoch, account: mine.account, cumulative: mine.cumulative, proof: tree.proof(mine.account as Address) });
});

async function slashedOf(d: Db, epoch: number) {
  return d.select({ account: schema.slashed.account, cumulative: schema.slashed.cumulative }).from(schema.slashed).where(eq(schema.slashed.epoch, epoch)).orderBy(asc(schema.slashed.account));
}

// Cumulative slashed amounts: the leaves of the epoch's slashed tree, and what made them.
epochsApi.get("/:epoch/slashed", async (c) => {
  const d = db(c.env.DB);
  const row = await epochRow(d, c.req.param("epoch"));
  const faults = await d.select().from(schema.faults).where(eq(schema.faults.epoch, row.epoch)).orderBy(asc(schema.faults.node));
  return c.json({
    epoch: row.epoch,
    slashedRoot: row.slashedRoot,
    leaves: await slashedOf(d, row.epoch),
    penalties: faults.filter((f) => f.penalty).map((f) => JSON.parse(f.penalty!) as unknown),
    faults: faults.filter((f) => f.streak > 0).map((f) => ({ node: f.node, streak: f.streak })),
  });
});

epochsApi.get("/:epoch/slashed/proof/:account", async (c) => {
  const account = c.req.param("account");
  if (!/^0x[0-9a-fA-F]{40}$/.test(account)) throw badRequest("account must be 0x and 40 hex digits");
  const d = db(c.env.DB);
  const row = await epochRow(d, c.req.param("epoch"));
  const leaves = (await slashedOf(d, row.epoch)).map((l) => ({ account: l.account as Address, cumulative: BigInt(l.cumulative) }));
  const mine = leaves.find((l) => l.account === account.toLowerCase());
  if (!mine) throw notFound(`no slashed leaf for ${account} in epoch ${row.epoch}`);
  if (rootOf(row.epoch, leaves) !== row.slashedRoot) throw new Error("stored slashed leaves do not rebuild the stored root");
  return c.json({ epoch: row.epoch, account: mine.account, cumulative: mine.cumulative.toString(), proof: buildRewardTree(row.epoch, leaves).proof(mine.account) });
});

async function spentOf(d: Db, epoch: number) {
  return d.select({ account: schema.spent.account, cumulative: schema.spent.cumulative }).from(schema.spent).where(eq(schema.spent.epoch, epoch)).orderBy(asc(schema.spent.account));
}

// Cumulative spending per member: the leaves of the epoch's spent tree (Escrow.settle pays them to the fee pool).
epochsApi.get("/:epoch/spent", async (c) => {
  const d = db(c.env.DB);
  const row = await epochRow(d, c.req.param("epoch"));
  return c.json({ epoch: row.epoch, spentRoot: row.spentRoot, leaves: await spentOf(d, row.epoch) });
});

epochsApi.get("/:epoch/spent/proof/:account", async (c) => {
  const account = c.req.param("account");
  if (!/^0x[0-9a-fA-F]{40}$/.test(account)) throw badRequest("account must be 0x and 40 hex digits");
  const d = db(c.env.DB);
  const row = await epochRow(d, c.req.param("epoch"));
  const leaves = (await spentOf(d, row.epoch)).map((l) => ({ account: l.account as Address, cumulative: BigInt(l.cumulative) }));
  const mine = leaves.find((l) => l.account === account.toLowerCase());
  if (!mine) throw notFound(`no spent leaf for ${account} in epoch ${row.epoch}`);
  if (rootOf(row.epoch, leaves) !== row.spentRoot) throw new Error("stored spent leaves do not rebuild the stored root");
  return c.json({ epoch: row.epoch, account: mine.account, cumulative: mine.cumulative.toString(), proof: buildRewardTree(row.epoch, leaves).proof(mine.account) });
});

// Disputes are recorded for the guardian, who decides them during the dispute window.
epochsApi.get("/:epoch/disputes", async (c) => {
  const d = db(c.env.DB);
  const row = await epochRow(d, c.req.param("epoch"));
  const rows = await d.select().from(schema.disputes).where(eq(schema.disputes.epoch, row.epoch)).orderBy(asc(schema.disputes.receivedAt));
  return c.json({
    epoch: row.epoch,
    windowEndsAt: row.closedAt + disputeWindowMs(c.env),
    disputes: rows.map((r) => ({ id: r.id, node: r.node, transcriptId: r.transcriptId, reason: r.reason, nonce: r.nonce, expiry: r.expiry, signature: r.signature, receivedAt: r.receivedAt })),
  });
});
