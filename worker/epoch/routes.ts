// Published epochs: every leaf and every input, so anyone can rebuild the roots.

import { Hono } from "hono";
import { asc, eq } from "drizzle-orm";
import type { Address } from "viem";
import { buildRewardTree } from "../../protocol/merkle/reward-tree.ts";
import type { Env } from "../env.ts";
import { db, schema, type Db } from "../db/client.ts";
import { badRequest, notFound } from "../errors.ts";
import { epochJson } from "./close.ts";

export const epochsApi = new Hono<{ Bindings: Env }>();

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

epochsApi.get("/:epoch/inputs", async (c) => {
  const row = await epochRow(db(c.env.DB), c.req.param("epoch"));
  // Exactly what was hashed, plus the hash: the verifier drops `inputsHash` and rehashes.
  const inputs = JSON.parse(row.inputs) as Record<string, unknown>;
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
