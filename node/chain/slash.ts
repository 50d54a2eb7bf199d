// Bonds and slashes (contracts/src/Staking.sol, docs/interfaces.md "Contracts"): anyone may
// bond stake on a node's behalf, and anyone may execute a node's slash once the epoch whose
// slashed tree holds its leaf is final. The contract burns `cumulative − executed`, at most
// the node's whole pool; what it could not take stays owed for a later slash.

import type { Address, Hex } from "viem";
import { rewardLeafHash, verifyRewardProof } from "../../protocol/merkle/reward-tree.ts";
import { CliError } from "../errors.ts";
import { formatVidya } from "../../protocol/format.ts";
import { erc20Abi, stakingAbi } from "./abi.ts";
import type { ChainClients } from "./clients.ts";
import { chainError } from "./rewards.ts";
import { tokenBalance } from "./stake.ts";

export interface BondState {
  /** Active bond (unbonding shares excluded): Staking.bondOf. */
  bond: bigint;
  /** What a slash can take now, unbonding shares included: Staking.slashableOf. */
  slashable: bigint;
  /** Cumulative slashed amount already taken: Staking.slashExecutedOf. */
  executed: bigint;
}

export async function bondState(c: ChainClients, node: Address): Promise<BondState> {
  const read = (functionName: "bondOf" | "slashableOf" | "slashExecutedOf") => c.publicClient.readContract({ address: c.info.staking, abi: stakingAbi, functionName, args: [node] });
  const [bond, slashable, executed] = await Promise.all([read("bondOf"), read("slashableOf"), read("slashExecutedOf")]);
  return { bond, slashable, executed };
}

export interface SlashArgs {
  epoch: bigint;
  node: Address;
  cumulative: bigint;
  proof: Hex[];
}

/** Checks the tracker's slashed proof against the on-chain slashed root before spending gas on it. */
export function slashProofMatchesRoot(slashedRoot: Hex, a: SlashArgs): boolean {
  return verifyRewardProof(slashedRoot, rewardLeafHash(a.epoch, a.node, a.cumulative), a.proof);
}

/** Sends Staking.slash and waits for its receipt; reverts become CliErrors naming the contract error. */
export async function sendSlash(c: ChainClients, a: SlashArgs): Promise<{ txHash: Hex }> {
  const w = c.walletClient;
  if (!w) throw new Error("slashing needs a wallet to pay for gas");
  try {
    const { request } = await c.publicClient.simulateContract({ account: w.account, address: c.info.staking, abi: stakingAbi, functionName: "slash", args: [a.epoch, a.node, a.cumulative, a.proof] });
    const txHash = await w.writeContract(request);
    const receipt = await c.publicClient.waitForTransactionReceipt({ hash: txHash });
    if (receipt.status !== "success") throw new CliError(`slash transaction ${txHash} reverted`);
    return { txHash };
  } catch (e) {
    throw chainError(e, "slash");
  }
}

/** Approves the staking contract if needed and bonds `amount` of the wallet's tokens on `node`. */
export async function sendBond(c: ChainClients, node: Address, amount: bigint): Promise<{ txs: Hex[] }> {
  const w = c.walletClient;
  if (!w) throw new Error("bonding needs a wallet");
  const me = w.account.address;
  const balance = await tokenBalance(c, me);
  if (balance < amount) throw new CliError(`bonding ${formatVidya(amount)} needs that many but ${me} holds ${formatVidya(balance)}`);
  const txs: Hex[] = [];
  try {
    const allowance = await c.publicClient.readContract({ address: c.info.token, abi: erc20Abi, functionName: "allowance", args: [me, c.info.staking] });
    if (allowance < amount) {
      const approve = await w.writeContract({ address: c.info.token, abi: erc20Abi, functionName: "approve", args: [c.info.staking, amount] });
      if ((await c.publicClient.waitForTransactionReceipt({ hash: approve })).status !== "success") throw new CliError(`approve transaction ${approve} reverted`);
      txs.push(approve);
    }
    const { request } = await c.publicClient.simulateContract({ account: w.account, address: c.info.staking, abi: stakingAbi, functionName: "bond", args: [node, amount] });
    const tx = await w.writeContract(request);
    if ((await c.publicClient.waitForTransactionReceipt({ hash: tx })).status !== "success") throw new CliError(`bond transaction ${tx} reverted`);
    txs.push(tx);
  } catch (e) {
    throw chainError(e, "bond");
  }
  return { txs };
}
