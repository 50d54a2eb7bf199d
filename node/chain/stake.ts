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

/** Brings the account's stake up to `target`; returns the transactions sent (none if already there). */
export async function ensureStake(c: ChainClients, target: bigint): Promise<{ staked: bigint; txs: Hex[] }> {
  const w = c.walletClient;
  if (!w) throw new Error("staking needs a wallet");
  const account = w.account.address;
  const current = await stakeOf(c, account);
  if (current >= target) return { staked: 0n, txs: [] };
  const need = target - current;
  const balance = await tokenBalance(c, account);
  if (balance < need) throw new CliError(`the access stake needs ${formatVidya(need)} more but ${account} holds ${formatVidya(balance)}`);
  const txs: Hex[] = [];
  try {
    const allowance = await c.publicClient.readContract({ address: c.info.token, abi: erc20Abi, functionName: "allowance", args: [account, c.info.staking] });
    if (allowance < need) {
      const approve = await w.writeContract({ address: c.info.token, abi: erc20Abi, functionName: "approve", args: [c.info.staking, need] });
      await wait(c, approve, "approve");
      txs.push(approve);
    }
    const { request } = await c.publicClient.simulateContract({ account: w.account, address: c.info.staking, abi: stakingAbi, functionName: "stake", args: [need] });
    const stake = await w.writeContract(request);
    await wait(c, stake, "stake");
    txs.push(stake);
  } catch (e) {
    throw chainError(e, "staking");
  }
  return { staked: need, txs };
}

async function wait(c: ChainClients, hash: Hex, what: string): Promise<void> {
  const r = await c.publicClient.waitForTransactionReceipt({ hash });
  if (r.status !== "success") throw new CliError(`${what} transaction ${hash} reverted`);
}
