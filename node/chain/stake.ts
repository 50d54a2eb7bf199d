// Access stake (DESIGN.md flow 1): approve the staking contract, then stake the shortfall.

import type { Address, Hex } from "viem";
import { erc20Abi, stakingAbi } from "./abi.ts";
import { chainError } from "./rewards.ts";
import type { ChainClients } from "./clients.ts";
import { CliError } from "../errors.ts";
import { formatVidya } from "../../protocol/format.ts";

export async function stakeOf(c: ChainClients, account: Address): Promise<bigint> {
  return c.publicClient.readContract({ address: c.info.staking, abi: stakingAbi, functionName: "stakeOf", args: [account] });
}

export async function tokenBalance(c: ChainClients, account: Address): Promise<bigint> {
  return c.publicClient.readContract({ address: c.info.token, abi: erc20Abi, functionName: "balanceOf", args: [account] });
}

/** The join fees ever paid for `account` (Staking.joinFeePaidOf): the edge admits a staker once they reach the fee in force. */
export async function joinFeePaidOf(c: ChainClients, account: Address): Promise<bigint> {
  return c.publicClient.readContract({ address: c.info.staking, abi: stakingAbi, functionName: "joinFeePaidOf", args: [account] });
}

/** Brings the account's stake up to `target`; returns the transactions sent (none if already there). */
export async function ensureStake(c: ChainClients, target: bigint): Promise<{ staked: bigint; txs: Hex[] }> {
  const w = c.walletClient;
  if (!w) throw new Error("staking needs a wallet");
  const current = await stakeOf(c, w.account.address);
  if (current >= target) return { staked: 0n, txs: [] };
  const need = target - current;
  return { staked: need, txs: await payStaking(c, "stake", need, { short: "the access stake", sent: "stake", failed: "staking" }) };
}

/**
 * Brings the join fees paid for the account up to `fee` (Staking.payJoinFee: streamed to
 * stakers, never refunded); returns the transactions sent (none if already paid).
 */
export async function ensureJoinFee(c: ChainClients, fee: bigint): Promise<{ paid: bigint; txs: Hex[] }> {
  const w = c.walletClient;
  if (!w) throw new Error("paying the join fee needs a wallet");
  const already = await joinFeePaidOf(c, w.account.address);
  if (already >= fee) return { paid: 0n, txs: [] };
  const need = fee - already;
  return { paid: need, txs: await payStaking(c, "payJoinFee", need, { short: "the join fee", sent: "join fee", failed: "paying the join fee" }) };
}

/** Pays `amount` of the wallet's VIDYA into Staking's `fn` (approving it first when needed); the transactions sent. */
async function payStaking(c: ChainClients, fn: "stake" | "payJoinFee", amount: bigint, words: { short: string; sent: string; failed: string }): Promise<Hex[]> {
  const w = c.walletClient!;
  const account = w.account.address;
  const balance = await tokenBalance(c, account);
  if (balance < amount) throw new CliError(`${words.short} needs ${formatVidya(amount)} more but ${account} holds ${formatVidya(balance)}`);
  const txs: Hex[] = [];
  try {
    const allowance = await c.publicClient.readContract({ address: c.info.token, abi: erc20Abi, functionName: "allowance", args: [account, c.info.staking] });
    if (allowance < amount) {
      const approve = await w.writeContract({ address: c.info.token, abi: erc20Abi, functionName: "approve", args: [c.info.staking, amount] });
      await wait(c, approve, "approve");
      txs.push(approve);
    }
    const { request } = await c.publicClient.simulateContract({ account: w.account, address: c.info.staking, abi: stakingAbi, functionName: fn, args: [amount] });
    const sent = await w.writeContract(request);
    await wait(c, sent, words.sent);
    txs.push(sent);
  } catch (e) {
    throw chainError(e, words.failed);
  }
  return txs;
}

async function wait(c: ChainClients, hash: Hex, what: string): Promise<void> {
  const r = await c.publicClient.waitForTransactionReceipt({ hash });
  if (r.status !== "success") throw new CliError(`${what} transaction ${hash} reverted`);
}
