// Admins suspend a node (and lift the suspension): while suspended it gets no challenge
// rounds, no hosting offers and no hosting rewards, and its hosted-subset reports are refused.
// Its passing transcripts of the open epoch are withdrawn at once, so the epoch that saw the
// suspension pays it nothing; its failures stay on record.

import { Hono } from "hono";
import { and, eq } from "drizzle-orm";
import type { Env } from "../env.ts";
import { db, schema } from "../db/client.ts";
import { badRequest, notFound } from "../errors.ts";
import { requireAdmin } from "../admin.ts";
import { openEpoch } from "../challenge/round.ts";

export const nodesAdmin = new Hono<{ Bindings: Env }>();
nodesAdmin.use("*", requireAdmin);

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const MAX_REASON_CHARS = 500;

function addressParam(raw: string): string {
  if (!ADDRESS.test(raw)) throw badRequest("address must be 0x and 40 hex digits");
  return raw.toLowerCase();
}

/** POST /admin/nodes/:address/suspend { reason? } → { node, suspendedAt, reason, withdrawnTranscripts } */
nodesAdmin.post("/nodes/:address/suspend", async (c) => {
  const node = addressParam(c.req.param("address"));
  const body = (await c.req.json().catch(() => ({}))) as { reason?: unknown } | null;
  const reason = typeof body?.reason === "string" ? body.reason.slice(0, MAX_REASON_CHARS) : "";
  const d = db(c.env.DB);
  const now = Date.now();
  const rows = await d.update(schema.nodes).set({ suspendedAt: now, suspendedReason: reason }).where(eq(schema.nodes.address, node)).returning({ node: schema.nodes.address });
  if (rows.length !== 1) throw notFound("no such node");
  const epoch = await openEpoch(d);
  const withdrawn = await d
    .delete(schema.challenges)
    .where(and(eq(schema.challenges.node, node), eq(schema.challenges.epoch, epoch), eq(schema.challenges.verdict, "pass")))
    .returning({ id: schema.challenges.id });
  console.warn(`node ${node} suspended by an admin: ${reason || "no reason given"}`);
  return c.json({ node, suspendedAt: now, reason, withdrawnTranscripts: withdrawn.length });
});

/** POST /admin/nodes/:address/unsuspend → { node, suspendedAt: null }: rounds resume at the scheduler's next sync. */
nodesAdmin.post("/nodes/:address/unsuspend", async (c) => {
  const node = addressParam(c.req.param("address"));
  const rows = await db(c.env.DB).update(schema.nodes).set({ suspendedAt: null, suspendedReason: null }).where(eq(schema.nodes.address, node)).returning({ node: schema.nodes.address });
  if (rows.length !== 1) throw notFound("no such node");
  return c.json({ node, suspendedAt: null });
});
