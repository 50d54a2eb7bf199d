// Settling members' charges in Escrow (DESIGN.md "A deposit backs only what it can pay"): once an
// epoch's roots are final, `Escrow.settle` moves each member's `cumulative spent − settled` from
// its deposit to the fee pool. Anyone may submit it; the edge does, after each close, so that a
// charge is collected well within the withdrawal delay (ESCROW_WITHDRAWAL_DELAY_SECONDS: a member
// who asks to withdraw right after being charged finds the charge already taken).

import { desc, eq, lte } from "drizzle-orm";
import { createWalletClient, http, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { buildRewardTree, type RewardLeaf } from "../../protocol/merkle/reward-tree.ts";
import { db, schema } from "../db/client.ts";
import type { Env } from "../env.ts";
import { safeMessage } from "../errors.ts";
import { escrowAbi } from "./abi.ts";
import { chainConfigured, isFinal, publicClient } from "./client.ts";

/** Settlements sent per close at most: each is a read and a transaction (subrequests); the rest wait for the next close. */
const MAX_SETTLEMENTS_PER_CLOSE = 50;
/** Closed epochs looked back at for the newest final one (the dispute delay spans a few epochs). */
const LOOKBACK_EPOCHS = 48;

/**
 * Settles, for the newest final epoch at or before `epoch`, every member whose spent leaf exceeds
 * what Escrow has settled and who still holds a balance. Returns how many were settled. One
 * member's failure is logged and skipped; none stops the others (or the close that called this).
 */
export async function settleFinalCharges(env: Env, epoch: number): Promise<number> {
  const address = env.ESCROW_ADDRESS;
  const key = env.CHAIN_PRIVATE_KEY;
  if (!chainConfigured(env) || !address || !/^0x[0-9a-fA-F]{40}$/.test(address) || !key || !/^0x[0-9a-fA-F]{64}$/.test(key)) return 0;
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
  const tree = buildRewardTree(final, leaves);
  const client = publicClient(env);
  const wallet = createWalletClient({ account: privateKeyToAccount(key as Hex), chain: client.chain, transport: http(env.CHAIN_RPC_URL!) });
  let settled = 0;
  for (const l of leaves) {
    if (settled >= MAX_SETTLEMENTS_PER_CLOSE) break;
    try {
      const account = await client.readContract({ address: address as Address, abi: escrowAbi, functionName: "accountOf", args: [l.account] });
      if (l.cumulative <= account.settled || account.balance === 0n) continue;
      const hash = await wallet.writeContract({ address: address as Address, abi: escrowAbi, functionName: "settle", args: [BigInt(final), l.account, l.cumulative, tree.proof(l.account)] });
      // Bounded: a settlement left pending must not hold the close (the writer signs its post on the next nonce).
      const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 250, timeout: 30_000 });
      if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
      settled++;
    } catch (e) {
      console.warn(`escrow: settling ${l.account} for epoch ${final} failed: ${safeMessage(e)}`);
      // One member's revert is skipped; a chain that does not answer now will not for the next member either.
      if (/Timeout|HttpRequest/.test((e as Error).name ?? "")) break;
    }
  }
  return settled;
}
