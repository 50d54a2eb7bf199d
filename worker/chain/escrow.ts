// Settling members' charges in Escrow (DESIGN.md "A deposit backs only what it can pay"): once an
// epoch's roots are final, `Escrow.settle` moves each member's `cumulative spent − settled` from
// its deposit to the fee pool. Anyone may submit it; the edge does, after each close, so that a
// charge is collected well within the withdrawal delay (ESCROW_WITHDRAWAL_DELAY_SECONDS: a member
// who asks to withdraw right after being charged finds the charge already taken).
//
// Sent with the poster key, so recorded as the epoch's posts are (epoch/writer.ts): each settle
// transaction is signed, stored in escrow_settlements BEFORE it is broadcast, followed on every
// tick until mined, re-broadcast byte for byte when the node lost it, replaced on the same nonce
// with higher fees when stuck. A crash between send and mined resumes from the record: never a
// second settlement, never a gap in the key's nonces that would hold the next post.

import { and, desc, eq, lte } from "drizzle-orm";
import { encodeFunctionData, type Address, type Hex } from "viem";
import { buildRewardTree, type RewardLeaf } from "../../protocol/merkle/reward-tree.ts";
import { db, schema, type Db } from "../db/client.ts";
import type { Env } from "../env.ts";
import { safeMessage } from "../errors.ts";
import { escrowAbi } from "./abi.ts";
import { chainConfigured, isFinal, publicClient } from "./client.ts";
import { broadcast, minedNonce, receiptOf, signCall, signReplacement } from "./poster.ts";
import { crashPoint, maxFeeCap, receiptWaitMs, replaceAfterMs } from "../epoch/writer.ts";

/** Settlements sent per close at most: each is a read and a transaction (subrequests); the rest wait for the next close. */
const MAX_SETTLEMENTS_PER_CLOSE = 50;
/** Closed epochs looked back at for the newest final one (the dispute delay spans a few epochs). */
const LOOKBACK_EPOCHS = 48;

type SettlementRow = typeof schema.escrowSettlements.$inferSelect;

function escrowOf(env: Env): Address | undefined {
  const address = env.ESCROW_ADDRESS;
  const key = env.CHAIN_PRIVATE_KEY;
  if (!chainConfigured(env) || !address || !/^0x[0-9a-fA-F]{40}$/.test(address) || !key || !/^0x[0-9a-fA-F]{64}$/.test(key)) return undefined;
  return address as Address;
}

/** The recorded settlements still pending, grouped per (epoch, account): every attempt shares one nonce. */
async function pendingGroups(d: Db): Promise<SettlementRow[][]> {
  const rows = await d.select().from(schema.escrowSettlements).where(eq(schema.escrowSettlements.state, "sent"));
  const groups = new Map<string, SettlementRow[]>();
  for (const r of rows) groups.set(`${r.epoch}:${r.account}`, [...(groups.get(`${r.epoch}:${r.account}`) ?? []), r]);
  return [...groups.values()].map((g) => g.sort((a, b) => a.attempt - b.attempt));
}

const markAll = (d: Db, g: SettlementRow[], state: string) =>
  d.update(schema.escrowSettlements).set({ state }).where(and(eq(schema.escrowSettlements.epoch, g[0]!.epoch), eq(schema.escrowSettlements.account, g[0]!.account)));

/** A group's mined attempt, if any: "mined" or "reverted"; else null while pending. */
async function outcomeOf(env: Env, g: SettlementRow[]): Promise<"mined" | "reverted" | null> {
  for (const r of g) {
    const receipt = await receiptOf(env, r.txHash as Hex);
    if (receipt) return receipt.status === "success" ? "mined" : "reverted";
  }
  return null;
}

/**
 * Follows every recorded pending settlement once: mined or reverted ones are marked; one whose
 * nonce another transaction took is marked dropped (the next close sends it again if still due);
 * one pending past CHAIN_REPLACE_AFTER_SECONDS is replaced on its nonce with higher fees; the
 * rest are re-broadcast as recorded. Returns how many are still pending.
 */
export async function followSettlements(env: Env, now = Date.now()): Promise<number> {
  if (!escrowOf(env)) return 0;
  const d = db(env.DB);
  const groups = await pendingGroups(d);
  if (!groups.length) return 0;
  const mined = await minedNonce(env);
  let pending = 0;
  for (const g of groups) {
    const latest = g.at(-1)!;
    const outcome = await outcomeOf(env, g);
    if (outcome) {
      await markAll(d, g, outcome);
      if (outcome === "reverted") console.warn(`escrow: settlement of ${latest.account} for epoch ${latest.epoch} reverted (nonce ${latest.nonce})`);
      continue;
    }
    if (mined > latest.nonce) {
      // Re-checked after the nonce: a receipt may have landed between the two reads.
      const late = await outcomeOf(env, g);
      await markAll(d, g, late ?? "dropped");
      if (!late) console.warn(`escrow: settlement of ${latest.account} for epoch ${latest.epoch} dropped: nonce ${latest.nonce} was taken by another transaction`);
      continue;
    }
    pending++;
    const cap = maxFeeCap(env);
    if (now - latest.sentAt >= replaceAfterMs(env) && (cap === undefined || BigInt(latest.maxFeePerGas) < cap)) {
      const signed = await signReplacement(env, latest.rawTx as Hex, cap);
      await d.insert(schema.escrowSettlements).values({ ...latest, attempt: latest.attempt + 1, txHash: signed.txHash, rawTx: signed.rawTx, maxFeePerGas: signed.maxFeePerGas.toString(), sentAt: now });
      console.warn(`escrow: settlement ${latest.txHash} of ${latest.account} pending since ${new Date(latest.sentAt).toISOString()}; replaced by ${signed.txHash} (nonce ${latest.nonce})`);
      await broadcast(env, signed.rawTx);
    } else {
      await broadcast(env, latest.rawTx as Hex);
    }
  }
  return pending;
}

/**
 * Settles, for the newest final epoch at or before `epoch`, every member whose spent leaf exceeds
 * what Escrow has settled and who still holds a balance. Earlier settlements still pending are
 * followed first, and while any is, nothing new is sent (the key's nonces stay in order). Returns
 * how many were sent and mined in this call. One member's failure is logged and skipped; none
 * stops the others (or the close that called this).
 */
export async function settleFinalCharges(env: Env, epoch: number, now = Date.now()): Promise<number> {
  const address = escrowOf(env);
  if (!address) return 0;
  if ((await followSettlements(env, now)) > 0) return 0;
  const d = db(env.DB);
  // Newest first: the first final epoch with spending settles every earlier one (cumulative leaves).
  const epochs = await d.selectDistinct({ epoch: schema.spent.epoch }).from(schema.spent).where(lte(schema.spent.epoch, epoch)).orderBy(desc(schema.spent.epoch)).limit(LOOKBACK_EPOCHS);
  let final: number | undefined;
  for (const e of epochs) {
    if (await isFinal(env, e.epoch)) {
      final = e.epoch;
      break;
    }
  }
  if (final === undefined) return 0;
  const leaves: RewardLeaf[] = (await d.select().from(schema.spent).where(eq(schema.spent.epoch, final))).map((l) => ({ account: l.account as Address, cumulative: BigInt(l.cumulative) }));
  if (leaves.length === 0) return 0;
  // Already recorded for this epoch (mined, or reverted: not retried against the same leaf).
  const done = new Set(
    (await d.select({ account: schema.escrowSettlements.account }).from(schema.escrowSettlements).where(eq(schema.escrowSettlements.epoch, final))).map((r) => r.account.toLowerCase()),
  );
  const dropped = new Set(
    (await d.select({ account: schema.escrowSettlements.account }).from(schema.escrowSettlements).where(and(eq(schema.escrowSettlements.epoch, final), eq(schema.escrowSettlements.state, "dropped")))).map((r) => r.account.toLowerCase()),
  );
  const tree = buildRewardTree(final, leaves);
  const client = publicClient(env);
  const sent: SettlementRow[][] = [];
  let nonce: number | undefined;
  for (const l of leaves) {
    if (sent.length >= MAX_SETTLEMENTS_PER_CLOSE) break;
    const account = l.account.toLowerCase();
    if (done.has(account) && !dropped.has(account)) continue;
    try {
      const held = await client.readContract({ address, abi: escrowAbi, functionName: "accountOf", args: [l.account] });
      if (l.cumulative <= held.settled || held.balance === 0n) continue;
      const data = encodeFunctionData({ abi: escrowAbi, functionName: "settle", args: [BigInt(final), l.account, l.cumulative, tree.proof(l.account)] });
      const signed = await signCall(env, address, data, nonce);
      const attempt = ((await d.select({ attempt: schema.escrowSettlements.attempt }).from(schema.escrowSettlements).where(and(eq(schema.escrowSettlements.epoch, final), eq(schema.escrowSettlements.account, account))).orderBy(desc(schema.escrowSettlements.attempt)).get())?.attempt ?? 0) + 1;
      const row: SettlementRow = { epoch: final, account, attempt, cumulative: l.cumulative.toString(), nonce: signed.nonce, txHash: signed.txHash, rawTx: signed.rawTx, maxFeePerGas: signed.maxFeePerGas.toString(), sentAt: now, state: "sent" };
      // Recorded before it is broadcast: a crash from here on resumes this transaction, never signs another.
      await d.insert(schema.escrowSettlements).values(row);
      nonce = signed.nonce + 1;
      crashPoint(env, "settlement_sent");
      await broadcast(env, signed.rawTx);
      sent.push([row]);
    } catch (e) {
      console.warn(`escrow: settling ${l.account} for epoch ${final} failed: ${safeMessage(e)}`);
      if (e instanceof Error && e.message.startsWith("test crash")) throw e;
      // One member's revert is skipped; a chain that does not answer now will not for the next member either.
      if (/Timeout|HttpRequest/.test((e as Error).name ?? "")) break;
    }
  }
  // Bounded wait: what is not mined by then is followed on the next tick, never sent again.
  const deadline = Date.now() + receiptWaitMs(env);
  let settled = 0;
  let waiting = sent;
  for (;;) {
    const still: SettlementRow[][] = [];
    for (const g of waiting) {
      const outcome = await outcomeOf(env, g);
      if (!outcome) still.push(g);
      else {
        await markAll(d, g, outcome);
        if (outcome === "mined") settled++;
        else console.warn(`escrow: settlement of ${g[0]!.account} for epoch ${final} reverted`);
      }
    }
    waiting = still;
    if (!waiting.length || Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return settled;
}
