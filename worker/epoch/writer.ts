// The crash-safe epoch writer (docs/interfaces.md "Epoch close", docs/runbook.md). A close is a
// recorded state machine in D1, on the epoch's row:
//
//   settled -> published -> sent -> mined -> final          (halted: stopped, an operator decides)
//
// settled:   the settlement and everything it decided (leaves, inputs, faults...) stored in one
//            batch (close.ts); never recomputed, so what is posted is what was stored.
// published: the stored leaves and inputs re-read and checked to rebuild the roots and the hash.
// sent:      a signed postRoot transaction recorded (epoch_posts) BEFORE it is broadcast.
// mined:     its receipt seen (or the same roots found on-chain and adopted).
// final:     CHAIN_CONFIRMATIONS deep and the chain's roots re-read equal to ours.
//
// Each step is idempotent and every tick resumes the oldest unfinished close, reconciling with
// the chain (its lastEpoch, its roots, the receipts of every recorded attempt) before acting.
// A stuck post is replaced on the same nonce with higher fees; never a second post.

import { asc, eq, ne, sql } from "drizzle-orm";
import type { Address, Hex } from "viem";
import { buildRewardTree, type RewardLeaf } from "../../protocol/merkle/reward-tree.ts";
import { secondsVar, type Env } from "../env.ts";
import { db, schema, type Db } from "../db/client.ts";
import { HttpError, safeMessage } from "../errors.ts";
import { chainConfigured } from "../chain/client.ts";
import { inputsIntact } from "./files.ts";
import { broadcast, chainLastEpoch, chainRootOf, checkChainId, headBlock, minedNonce, postedTxOf, receiptOf, signPost, signReplacement, type PostCall } from "../chain/poster.ts";

export type EpochRow = typeof schema.epochs.$inferSelect;
export type CloseState = "settled" | "published" | "sent" | "mined" | "final" | "halted";
export const CLOSE_STATES: readonly CloseState[] = ["settled", "published", "sent", "mined", "final", "halted"];

const ZERO: Hex = `0x${"00".repeat(32)}`;

/** How long a tick waits for a receipt before leaving the post to the next tick. */
export const receiptWaitMs = (env: Env) => secondsVar(env.CHAIN_RECEIPT_WAIT_MS, 30_000);
/** A post pending this long is replaced with higher fees on its nonce. */
export const replaceAfterMs = (env: Env) => secondsVar(env.CHAIN_REPLACE_AFTER_SECONDS, 180) * 1000;
/** Blocks on top of the post (itself included) before the close is final: 1 locally, more on a public chain. */
const confirmations = (env: Env) => BigInt(Math.max(1, Math.floor(secondsVar(env.CHAIN_CONFIRMATIONS, 1))));

/** The highest maxFeePerGas a replacement may offer (wei); unset: no cap. At the cap the post waits as it is. */
export function maxFeeCap(env: Env): bigint | undefined {
  return env.CHAIN_MAX_FEE_PER_GAS && /^[0-9]{1,30}$/.test(env.CHAIN_MAX_FEE_PER_GAS) ? BigInt(env.CHAIN_MAX_FEE_PER_GAS) : undefined;
}

/** Tests only (a vitest binding, never in wrangler.jsonc): dies right after recording `state`, as a crash would. */
export function crashPoint(env: Env, state: CloseState | "settlement_sent"): void {
  if (env.TEST_CRASH_AFTER === state) throw new Error(`test crash after ${state}`);
}

/** The oldest close not yet final: it must finish before another epoch closes. */
export async function unfinishedClose(d: Db): Promise<EpochRow | undefined> {
  return d.select().from(schema.epochs).where(ne(schema.epochs.state, "final")).orderBy(asc(schema.epochs.epoch)).get();
}

/** Codes that are the writer's ordinary waiting, not failures to count. */
const WAITING = new Set(["post_pending", "epoch_halted", "nothing_earned", "close_in_progress"]);

/**
 * Runs one step of the writer; a failure is logged with its message (URLs stripped), counted by
 * code for /metrics, and rethrown as an HttpError the scheduler can report.
 */
export async function recorded<T>(env: Env, epoch: number, now: number, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    const err = asHttpError(e, epoch);
    if (!WAITING.has(err.code)) {
      console.error("epoch writer", err.code, err.message);
      await countFailure(db(env.DB), err.code, epoch, err.message, now).catch(() => {});
    }
    throw err;
  }
}

function asHttpError(e: unknown, epoch: number): HttpError {
  if (e instanceof HttpError) return new HttpError(e.status, e.code, safeMessage(e.message.startsWith("epoch ") ? e.message : `epoch ${epoch}: ${e.message}`, 600));
  // viem's errors carry a shortMessage; anything else (D1, a test crash) is the close's own.
  const viem = e instanceof Error && typeof (e as { shortMessage?: unknown }).shortMessage === "string";
  const message = viem ? (e as unknown as { shortMessage: string }).shortMessage : e instanceof Error ? e.message : String(e);
  return new HttpError(503, viem ? "chain_error" : "close_failed", `epoch ${epoch}: ${safeMessage(message)}`);
}

async function countFailure(d: Db, code: string, epoch: number, message: string, now: number): Promise<void> {
  await d
    .insert(schema.closeErrors)
    .values({ code, count: 1, epoch, message, at: now })
    .onConflictDoUpdate({ target: schema.closeErrors.code, set: { count: sql`${schema.closeErrors.count} + 1`, epoch, message, at: now } });
}

async function setState(d: Db, epoch: number, state: CloseState, extra: Partial<EpochRow> = {}): Promise<EpochRow> {
  return (await d.update(schema.epochs).set({ ...extra, state }).where(eq(schema.epochs.epoch, epoch)).returning().get())!;
}

/** Stops the writer on this epoch for good (until an operator clears it): logged, counted, shown. */
async function halt(env: Env, d: Db, row: EpochRow, code: string, reason: string, now: number): Promise<never> {
  await setState(d, row.epoch, "halted", { haltReason: `${code}: ${reason}` });
  console.error("epoch writer halted", code, `epoch ${row.epoch}`, reason);
  await countFailure(d, code, row.epoch, reason, now);
  throw new HttpError(503, "epoch_halted", `epoch ${row.epoch} is halted (${code}): ${reason}`);
}

/** Drives a stored close as far as it can go now; returns the row once final, else throws post_pending. */
export async function advanceClose(env: Env, row: EpochRow, now: number): Promise<EpochRow> {
  return recorded(env, row.epoch, now, () => steps(env, db(env.DB), row, now));
}

async function steps(env: Env, d: Db, row: EpochRow, now: number): Promise<EpochRow> {
  if (row.state === "halted") throw new HttpError(503, "epoch_halted", `epoch ${row.epoch} is halted: ${row.haltReason ?? "no reason recorded"} (docs/runbook.md)`);
  if (row.state === "settled") {
    await checkStored(env, d, row, now);
    row = await setState(d, row.epoch, "published");
    crashPoint(env, "published");
  }
  if (!chainConfigured(env)) {
    if (row.state !== "published") throw new HttpError(503, "chain_not_configured", `epoch ${row.epoch} is ${row.state} on a chain but CHAIN_RPC_URL is not configured`);
    return setState(d, row.epoch, "final");
  }
  // The RPC's chain id is checked before every write, on every tick (configuration can change).
  await checkChainId(env);
  if (row.state === "published") row = await send(env, d, row, now);
  if (row.state === "sent") row = await follow(env, d, row, now);
  if (row.state === "mined") {
    crashPoint(env, "mined");
    row = await confirm(env, d, row, now);
  }
  if (row.state !== "final") throw new HttpError(503, "post_pending", `epoch ${row.epoch} is ${row.state}; the next tick goes on`);
  return row;
}

const toLeaves = (rows: { account: string; cumulative: string }[]): RewardLeaf[] => rows.map((l) => ({ account: l.account as Address, cumulative: BigInt(l.cumulative) }));
const rootOfLeaves = (epoch: number, leaves: RewardLeaf[]): Hex => (leaves.length ? buildRewardTree(epoch, leaves).root : ZERO);

/** What was stored is what will be posted: the leaves rebuild the roots, the inputs rehash to their hash. */
async function checkStored(env: Env, d: Db, row: EpochRow, now: number): Promise<void> {
  const [earned, slashed, spent] = await Promise.all([
    d.select({ account: schema.leaves.account, cumulative: schema.leaves.cumulative }).from(schema.leaves).where(eq(schema.leaves.epoch, row.epoch)),
    d.select({ account: schema.slashed.account, cumulative: schema.slashed.cumulative }).from(schema.slashed).where(eq(schema.slashed.epoch, row.epoch)),
    d.select({ account: schema.spent.account, cumulative: schema.spent.cumulative }).from(schema.spent).where(eq(schema.spent.epoch, row.epoch)),
  ]);
  const bad: string[] = [];
  if (rootOfLeaves(row.epoch, toLeaves(earned)) !== row.root) bad.push("earned leaves");
  if (rootOfLeaves(row.epoch, toLeaves(slashed)) !== row.slashedRoot) bad.push("slashed leaves");
  if (rootOfLeaves(row.epoch, toLeaves(spent)) !== row.spentRoot) bad.push("spent leaves");
  if (!(await inputsIntact(env, row))) bad.push("inputs");
  if (bad.length) await halt(env, d, row, "stored_mismatch", `the stored ${bad.join(", ")} do not rebuild the settled commitment`, now);
}

export function postCallOf(row: EpochRow): PostCall {
  const draws = JSON.parse(row.bountyDraws) as { infoHash: Hex; amount: string }[];
  return {
    epoch: row.epoch,
    earnedRoot: row.root as Hex,
    slashedRoot: row.slashedRoot as Hex,
    spentRoot: row.spentRoot as Hex,
    inputsHash: row.inputsHash as Hex,
    totalEarned: BigInt(row.totalEarned),
    bountyDraws: draws.map((b) => ({ infoHash: b.infoHash, amount: BigInt(b.amount) })),
  };
}

/**
 * Where the chain stands against this close before it posts: already holding this epoch
 * (adopted when the roots are ours, halted when not), one behind (post), or further behind
 * than D1 (a wrong contract or a reset chain: halted).
 */
async function reconcile(env: Env, d: Db, row: EpochRow, now: number): Promise<EpochRow | "post"> {
  const last = await chainLastEpoch(env);
  if (last >= BigInt(row.epoch)) return adopt(env, d, row, now);
  if (last < BigInt(row.epoch - 1))
    return halt(env, d, row, "chain_behind", `the chain's last epoch is ${last} but epoch ${row.epoch - 1} is final here: wrong EPOCH_REWARDS_ADDRESS or a reset chain`, now);
  return "post";
}

/** A root already on-chain for this epoch: ours is adopted (never posted again), another halts. */
async function adopt(env: Env, d: Db, row: EpochRow, now: number, known?: { txHash: Hex; block: bigint }): Promise<EpochRow> {
  await sameRoots(env, d, row, now);
  const tx = known ?? (await postedTxOf(env, row.epoch).catch(() => null));
  if (!tx) console.warn("epoch writer", `epoch ${row.epoch}: roots already on-chain and equal to ours; adopted without finding their transaction`);
  return setState(d, row.epoch, "mined", { txHash: tx?.txHash ?? null, minedBlock: tx ? Number(tx.block) : null });
}

async function sameRoots(env: Env, d: Db, row: EpochRow, now: number): Promise<void> {
  const r = await chainRootOf(env, row.epoch);
  const lc = (h: string) => h.toLowerCase();
  const equal =
    lc(r.earnedRoot) === lc(row.root) &&
    lc(r.slashedRoot) === lc(row.slashedRoot) &&
    lc(r.spentRoot) === lc(row.spentRoot) &&
    lc(r.inputsHash) === lc(row.inputsHash) &&
    r.totalEarned === BigInt(row.totalEarned);
  if (!equal)
    await halt(
      env,
      d,
      row,
      "bad_root",
      `the chain holds other roots for epoch ${row.epoch} (earned ${r.earnedRoot}, inputs ${r.inputsHash}) than this worker settled (earned ${row.root}, inputs ${row.inputsHash}): not posting`,
      now,
    );
}

/** published -> sent: sign, record, then broadcast. A crash after the record re-broadcasts the same bytes. */
async function send(env: Env, d: Db, row: EpochRow, now: number): Promise<EpochRow> {
  const next = await reconcile(env, d, row, now);
  if (next !== "post") return next;
  const signed = await signPost(env, postCallOf(row));
  // Attempts of a halt an operator cleared stay on record; this one follows them.
  const attempt = ((await postsOf(d, row.epoch)).at(-1)?.attempt ?? 0) + 1;
  await d.batch([
    d.insert(schema.epochPosts).values({
      epoch: row.epoch,
      attempt,
      nonce: signed.nonce,
      txHash: signed.txHash,
      rawTx: signed.rawTx,
      maxFeePerGas: signed.maxFeePerGas.toString(),
      maxPriorityFeePerGas: signed.maxPriorityFeePerGas.toString(),
      sentAt: now,
    }),
    d.update(schema.epochs).set({ state: "sent" }).where(eq(schema.epochs.epoch, row.epoch)),
  ]);
  console.log("epoch writer", `epoch ${row.epoch}: post recorded`, signed.txHash, `nonce ${signed.nonce}`);
  crashPoint(env, "sent");
  await broadcast(env, signed.rawTx);
  return { ...row, state: "sent" };
}

type PostRow = typeof schema.epochPosts.$inferSelect;

async function postsOf(d: Db, epoch: number): Promise<PostRow[]> {
  return d.select().from(schema.epochPosts).where(eq(schema.epochPosts.epoch, epoch)).orderBy(asc(schema.epochPosts.attempt));
}

/** The first mined receipt among every recorded attempt (they share one nonce: at most one mines). */
async function minedAttempt(env: Env, posts: PostRow[]) {
  for (const p of posts) {
    const receipt = await receiptOf(env, p.txHash as Hex);
    if (receipt) return { post: p, receipt };
  }
  return undefined;
}

/** sent -> mined: a receipt, or the roots on-chain; else re-broadcast, replace when stuck, and wait a while. */
async function follow(env: Env, d: Db, row: EpochRow, now: number): Promise<EpochRow> {
  let posts = await postsOf(d, row.epoch);
  const latest = posts.at(-1);
  if (!latest) return setState(d, row.epoch, "published"); // a state without its record cannot happen in one batch; start the post again
  const onReceipt = async (m: NonNullable<Awaited<ReturnType<typeof minedAttempt>>>) => {
    if (m.receipt.status === "success") return adopt(env, d, row, now, { txHash: m.post.txHash as Hex, block: m.receipt.blockNumber });
    // Reverted: someone else's root may be there (adopted if it is ours), else the contract refused ours.
    if ((await chainLastEpoch(env)) >= BigInt(row.epoch)) return adopt(env, d, row, now);
    return halt(env, d, row, "post_reverted", `postRoot for epoch ${row.epoch} reverted (tx ${m.post.txHash}, block ${m.receipt.blockNumber})`, now);
  };
  // The nonce first, then the receipts: a nonce mined before we look means some receipt exists.
  const nonceMined = (await minedNonce(env)) > latest.nonce;
  const mined = await minedAttempt(env, posts);
  if (mined) return onReceipt(mined);
  if ((await chainLastEpoch(env)) >= BigInt(row.epoch)) return adopt(env, d, row, now);
  if (nonceMined)
    return halt(env, d, row, "nonce_taken", `nonce ${latest.nonce} was mined by a transaction this worker did not record (is another writer using CHAIN_PRIVATE_KEY?); epoch ${row.epoch} is not on-chain`, now);

  const cap = maxFeeCap(env);
  if (now - latest.sentAt >= replaceAfterMs(env) && (cap === undefined || BigInt(latest.maxFeePerGas) < cap)) {
    const signed = await signReplacement(env, latest.rawTx as Hex, cap);
    const replacement: PostRow = {
      epoch: row.epoch,
      attempt: latest.attempt + 1,
      nonce: latest.nonce,
      txHash: signed.txHash,
      rawTx: signed.rawTx,
      maxFeePerGas: signed.maxFeePerGas.toString(),
      maxPriorityFeePerGas: signed.maxPriorityFeePerGas.toString(),
      sentAt: now,
    };
    await d.insert(schema.epochPosts).values(replacement);
    console.warn("epoch writer", `epoch ${row.epoch}: post ${latest.txHash} pending since ${new Date(latest.sentAt).toISOString()}; replaced by ${signed.txHash} (nonce ${latest.nonce}, max fee ${signed.maxFeePerGas})`);
    posts = [...posts, replacement];
    await broadcast(env, signed.rawTx);
  } else {
    // A node that lost it (restart, outage) gets the same bytes again; one that has it ignores them.
    await broadcast(env, latest.rawTx as Hex);
  }

  const deadline = Date.now() + receiptWaitMs(env);
  for (;;) {
    const m = await minedAttempt(env, posts);
    if (m) return onReceipt(m);
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const last = posts.at(-1)!;
  throw new HttpError(503, "post_pending", `epoch ${row.epoch}: post ${last.txHash} (nonce ${last.nonce}, attempt ${last.attempt}) is not mined yet; the next tick checks again`);
}

/** mined -> final: deep enough, still there after any reorg, and the chain's roots are ours. */
async function confirm(env: Env, d: Db, row: EpochRow, now: number): Promise<EpochRow> {
  if (row.txHash && row.minedBlock !== null) {
    const receipt = await receiptOf(env, row.txHash as Hex);
    if (!receipt) {
      // Reorganised away: back to following the recorded posts (the same nonce, the same bytes).
      console.warn("epoch writer", `epoch ${row.epoch}: post ${row.txHash} no longer mined (reorg); following it again`);
      await setState(d, row.epoch, "sent", { txHash: null, minedBlock: null });
      throw new HttpError(503, "post_pending", `epoch ${row.epoch}: post ${row.txHash} was reorganised away; the next tick follows it again`);
    }
    const depth = (await headBlock(env)) - receipt.blockNumber + 1n;
    if (depth < confirmations(env))
      throw new HttpError(503, "post_pending", `epoch ${row.epoch}: post ${row.txHash} is ${depth} of ${confirmations(env)} blocks deep; the next tick checks again`);
  }
  await sameRoots(env, d, row, now);
  return setState(d, row.epoch, "final");
}
