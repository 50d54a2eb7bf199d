// Reading epoch roots and claiming against them (contracts/src/EpochRewards.sol).

import { BaseError, ContractFunctionRevertedError, type Address, type ContractFunctionReturnType, type Hex } from "viem";
import { rewardLeafHash, verifyRewardProof } from "../../protocol/merkle/reward-tree.ts";
import { CliError } from "../errors.ts";
import { epochRewardsAbi } from "./abi.ts";
import type { ChainClients } from "./clients.ts";

/** What EpochRewards.rootOf holds for an epoch (all zero when nothing was posted), typed from the ABI. */
export type OnChainRoot = ContractFunctionReturnType<typeof epochRewardsAbi, "view", "rootOf">;

export async function onChainRoot(c: ChainClients, epoch: bigint): Promise<OnChainRoot> {
  return c.publicClient.readContract({ address: c.info.epochRewards, abi: epochRewardsAbi, functionName: "rootOf", args: [epoch] });
}

export async function lastEpoch(c: ChainClients): Promise<bigint> {
  return c.publicClient.readContract({ address: c.info.epochRewards, abi: epochRewardsAbi, functionName: "lastEpoch" });
}

export async function isFinal(c: ChainClients, epoch: bigint): Promise<boolean> {
  return c.publicClient.readContract({ address: c.info.epochRewards, abi: epochRewardsAbi, functionName: "isFinal", args: [epoch] });
}

export async function claimedOf(c: ChainClients, account: Address): Promise<bigint> {
  return c.publicClient.readContract({ address: c.info.epochRewards, abi: epochRewardsAbi, functionName: "claimedOf", args: [account] });
}

/** The newest epoch whose root is final (0n when none is): claims go against it. */
export async function latestFinalEpoch(c: ChainClients): Promise<bigint> {
  for (let e = await lastEpoch(c); e > 0n; e--) if (await isFinal(c, e)) return e;
  return 0n;
}

export interface ClaimArgs {
  epoch: bigint;
  account: Address;
  cumulative: bigint;
  proof: Hex[];
}

/** Checks the proof against the on-chain root before spending gas on it. */
export function proofMatchesRoot(root: Hex, a: ClaimArgs): boolean {
  return verifyRewardProof(root, rewardLeafHash(a.epoch, a.account, a.cumulative), a.proof);
}

/** Sends claim() and waits for its receipt; reverts become CliErrors naming the contract error. */
export async function sendClaim(c: ChainClients, a: ClaimArgs): Promise<{ txHash: Hex }> {
  if (!c.walletClient) throw new Error("claim needs a wallet");
  try {
    const { request } = await c.publicClient.simulateContract({
      account: c.walletClient.account,
      address: c.info.epochRewards,
      abi: epochRewardsAbi,
      functionName: "claim",
      args: [a.epoch, a.account, a.cumulative, a.proof],
    });
    const txHash = await c.walletClient.writeContract(request);
    const receipt = await c.publicClient.waitForTransactionReceipt({ hash: txHash });
    if (receipt.status !== "success") throw new CliError(`claim transaction ${txHash} reverted`);
    return { txHash };
  } catch (e) {
    throw chainError(e, "claim");
  }
}

/** A revert's custom error name and arguments, or viem's short message. */
export function chainError(e: unknown, what: string): Error {
  if (e instanceof CliError) return e;
  if (e instanceof BaseError) {
    const revert = e.walk((x) => x instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError && revert.data?.errorName) {
      const args = (revert.data.args ?? []).map(String).join(", ");
      return new CliError(`${what} reverted: ${revert.data.errorName}(${args})`);
    }
    return new CliError(`${what} failed: ${e.shortMessage}`);
  }
  return new CliError(`${what} failed: ${(e as Error).message}`);
}
