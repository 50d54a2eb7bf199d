// Disputes (DESIGN.md flow 6, "Trust model"): a node that believes a transcript wrongs it
// signs an EIP-712 Dispute naming the transcript, within the epoch's dispute window. The
// edge's duty is to record it and publish it (GET /api/epochs/:n/disputes); resolving it is
// the guardian's, who can disable the epoch's roots on-chain before they become final.

import { Hono } from "hono";
import { and, eq } from "drizzle-orm";
import { keccak256, toBytes } from "viem";
import { DISPUTE_DELAY_SECONDS } from "../../protocol/params.ts";
import { secondsVar, type Env } from "../env.ts";
import { db, schema } from "../db/client.ts";
import { HttpError, notFound } from "../errors.ts";
import { acceptReport, readJson } from "../reports.ts";
import { reportFromJson } from "../../protocol/reports/eip712.ts";

export const disputesApi = new Hono<{ Bindings: Env }>();

export function disputeWindowMs(env: Env): number {
  return secondsVar(env.DISPUTE_WINDOW_SECONDS, DISPUTE_DELAY_SECONDS) * 1000;
}

disputesApi.post("/", async (c) => {
  const body = await readJson(c.req);
  const d = db(c.env.DB);
  const now = Date.now();
  // Check the target before the signature and its nonce are accepted, so a mistaken dispute
  // (wrong transcript, window passed) does not spend the nonce.
  const claimed = reportFromJson("Dispute", body.message);
  const epoch = Number(claimed.epoch);
  const node = claimed.node.toLowerCase();
  const closed = await d.select({ closedAt: schema.epochs.closedAt }).from(schema.epochs).where(eq(schema.epochs.epoch, epoch)).get();
  if (closed && now > closed.closedAt + disputeWindowMs(c.env))
    throw new HttpError(409, "dispute_window_closed", `the dispute window of epoch ${epoch} ended at ${new Date(closed.closedAt + disputeWindowMs(c.env)).toISOString()}`);
  const transcript = await d
    .select({ id: schema.challenges.id })
    .from(schema.challenges)
    .where(and(eq(schema.challenges.id, claimed.transcriptId), eq(schema.challenges.epoch, epoch), eq(schema.challenges.node, node)))
    .get();
  if (!transcript) throw notFound(`no transcript ${claimed.transcriptId} of ${node} in epoch ${epoch}`, "no_such_transcript");
  const message = await acceptReport(c.env, "Dispute", body);
  const row = {
    id: keccak256(toBytes(`${node}:${message.nonce}`)),
    epoch,
    node,
    transcriptId: message.transcriptId,
    reason: message.reason,
    nonce: message.nonce.toString(),
    expiry: message.expiry.toString(),
    signature: String(body.signature).toLowerCase(),
    receivedAt: now,
  };
  await d.insert(schema.disputes).values(row);
  return c.json({ dispute: row }, 201);
});
