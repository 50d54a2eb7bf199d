// Upload receipts at the edge (DESIGN.md "Upload rewards are paid for served bytes that someone
// paid for"): either side may submit one (the downloader, or the uploader node it was sent to);
// the downloader is a member (`vidya get`) or a node fetching to host;
// the downloader's signature is the authority, so no other credential is needed. Kept per
// (epoch, downloader, uploader, torrent, session) with the highest cumulative, published with
// the epoch's inputs at the close (worker/epoch/close.ts) and settled by protocol/economics.

import { Hono } from "hono";
import { and, count, eq, lt, max, sql } from "drizzle-orm";
import type { Hex } from "viem";
import { MAX_RECEIPTS_PER_MEMBER_EPOCH } from "../../protocol/params.ts";
import { receiptFromJson, receiptToJson, ReportError, verifyReceipt } from "../../protocol/reports/eip712.ts";
import type { PublishedReceipt } from "../../protocol/economics/receipts.ts";
import { openEpoch } from "../challenge/round.ts";
import { db, schema, type Db } from "../db/client.ts";
import { chainId, type Env } from "../env.ts";
import { HttpError, badRequest } from "../errors.ts";
import { nodeCovers } from "../nodes/access.ts";
import { readJson } from "../reports.ts";
import { isFrozen } from "../epoch/frozen.ts";

export const receiptsApi = new Hono<{ Bindings: Env }>();

receiptsApi.post("/", async (c) => {
  const body = await readJson(c.req);
  let receipt;
  try {
    receipt = receiptFromJson(body?.message);
  } catch (e) {
    throw badRequest(e instanceof ReportError ? e.message : "invalid receipt", "invalid_receipt");
  }
  if (typeof body.signature !== "string" || !/^0x[0-9a-fA-F]{130}$/.test(body.signature)) throw badRequest("signature must be 65 bytes of 0x-prefixed hex", "invalid_receipt");
  if (!(await verifyReceipt(chainId(c.env), receipt, body.signature as Hex))) throw badRequest("signature is not the downloader's over this receipt", "bad_signature");
  // Stored as an integer: beyond 2^53 bytes no real transfer is meant.
  if (receipt.cumulative > BigInt(Number.MAX_SAFE_INTEGER)) throw badRequest("cumulative is beyond any real transfer", "invalid_receipt");
  const d = db(c.env.DB);
  const epoch = await openEpoch(d);
  if (receipt.epoch !== BigInt(epoch)) throw new HttpError(409, "wrong_epoch", `receipts are for the open epoch ${epoch}, not ${receipt.epoch}`);
  // Its close has started (worker/epoch/frozen.ts): what it settles and publishes no longer moves.
  // The session's later receipts for the next epoch count these bytes (from their base).
  if (await isFrozen(d, epoch)) throw new HttpError(409, "epoch_closing", `epoch ${epoch} is closing: send the session's receipts again once epoch ${epoch + 1} opens`);
  const downloader = receipt.downloader.toLowerCase();
  const uploader = receipt.uploader.toLowerCase();
  // A member (paid bytes may earn its uploaders) or a registered node fetching to host (unpaid:
  // its receipts earn nothing, upload-rewards.ts caps them at what it paid, but show who served).
  // A node counts only for a torrent it fetches or hosts (nodes/access.ts): a free node key
  // cannot fill the published inputs with receipts for torrents it never took.
  const infoHash = receipt.infoHash.slice(2);
  const member = await d.select({ account: schema.members.account }).from(schema.members).where(eq(schema.members.account, downloader)).get();
  if (!member && !(await nodeCovers(c.env.DB, downloader, infoHash))) {
    throw new HttpError(403, "not_a_member", "the downloader is neither a member nor a node fetching this torrent to host it");
  }
  const node = await d.select({ address: schema.nodes.address }).from(schema.nodes).where(eq(schema.nodes.address, uploader)).get();
  if (!node) throw new HttpError(403, "not_a_node", "the uploader is not a registered node");
  const stored = await storeReceipt(d, { epoch, downloader, uploader, infoHash, session: receipt.session, cumulative: Number(receipt.cumulative), signature: body.signature.toLowerCase() });
  return c.json({ receipt: { ...receiptToJson(receipt), signature: stored.signature, cumulative: String(stored.cumulative), base: String(stored.base), accepted: stored.accepted } }, stored.accepted ? 201 : 200);
});

interface NewReceipt {
  epoch: number;
  downloader: string;
  uploader: string;
  infoHash: string;
  session: string;
  cumulative: number;
  signature: string;
}

/**
 * Keeps the highest cumulative per key: a lower or equal one is ignored (answered with what is
 * stored), never an error, since receipts can arrive out of order from two submitters.
 */
async function storeReceipt(d: Db, r: NewReceipt): Promise<{ cumulative: number; base: number; signature: string; accepted: boolean }> {
  const t = schema.receipts;
  const key = and(eq(t.epoch, r.epoch), eq(t.downloader, r.downloader), eq(t.uploader, r.uploader), eq(t.infoHash, r.infoHash), eq(t.session, r.session));
  const existing = await d.select().from(t).where(key).get();
  if (existing) {
    if (r.cumulative <= existing.cumulative) return { cumulative: existing.cumulative, base: existing.base, signature: existing.signature, accepted: false };
    // Conditional: a concurrent higher one wins.
    await d.update(t).set({ cumulative: r.cumulative, signature: r.signature, updatedAt: Date.now() }).where(and(key, lt(t.cumulative, r.cumulative)));
    return { cumulative: r.cumulative, base: existing.base, signature: r.signature, accepted: true };
  }
  const held = await d.select({ n: count() }).from(t).where(and(eq(t.epoch, r.epoch), eq(t.downloader, r.downloader))).get();
  if ((held?.n ?? 0) >= MAX_RECEIPTS_PER_MEMBER_EPOCH) throw new HttpError(429, "too_many_receipts", `a member holds at most ${MAX_RECEIPTS_PER_MEMBER_EPOCH} receipts an epoch`);
  // The session's bytes already credited in earlier epochs.
  const prior = await d
    .select({ m: max(t.cumulative) })
    .from(t)
    .where(and(lt(t.epoch, r.epoch), eq(t.downloader, r.downloader), eq(t.uploader, r.uploader), eq(t.infoHash, r.infoHash), eq(t.session, r.session)))
    .get();
  const base = prior?.m ?? 0;
  await d
    .insert(t)
    .values({ ...r, base, updatedAt: Date.now() })
    .onConflictDoUpdate({ target: [t.epoch, t.downloader, t.uploader, t.infoHash, t.session], set: { cumulative: sql`excluded.cumulative`, signature: sql`excluded.signature`, updatedAt: sql`excluded.updated_at` }, setWhere: sql`${t.cumulative} < excluded.cumulative` });
  return { cumulative: r.cumulative, base, signature: r.signature, accepted: true };
}

/** An epoch's receipts as published with its inputs, in key order. */
export async function receiptsOf(d: Db, epoch: number): Promise<PublishedReceipt[]> {
  const t = schema.receipts;
  const rows = await d.select().from(t).where(eq(t.epoch, epoch)).orderBy(t.downloader, t.uploader, t.infoHash, t.session);
  return rows.map((r) => ({ infoHash: r.infoHash, uploader: r.uploader, downloader: r.downloader, cumulative: String(r.cumulative), base: String(r.base), session: r.session, epoch: String(r.epoch), signature: r.signature }));
}
