// Fraud slashes by evidence (contracts/src/FraudEvidence.sol through Staking): a node's signed
// challenge answer with a wrong block hash, the true block and its path. The contract's own
// checkFraud runs first (a free call), so a bad file costs no gas and says why.

import type { Hex } from "viem";
import { fraudCallArgs, type FraudEvidence } from "../../protocol/challenge/fraud.ts";
import { CliError } from "../errors.ts";
import { stakingAbi } from "./abi.ts";
import type { ChainClients } from "./clients.ts";
import { chainError } from "./rewards.ts";

/** The offence id the contract gives `e`, or a CliError naming the contract's reason it is not fraud. */
export async function checkFraudOnChain(c: ChainClients, e: FraudEvidence): Promise<Hex> {
  try {
    return await c.publicClient.readContract({ address: c.info.staking, abi: stakingAbi, functionName: "checkFraud", args: fraudCallArgs(e) });
  } catch (err) {
    throw chainError(err, "checkFraud");
  }
}

export async function isOffenceSlashed(c: ChainClients, offence: Hex): Promise<boolean> {
  return c.publicClient.readContract({ address: c.info.staking, abi: stakingAbi, functionName: "isOffenceSlashed", args: [offence] });
}

/** Sends Staking.slashFraud; returns what it took from the node's bond and the reward paid to us. */
export async function sendFraudSlash(c: ChainClients, e: FraudEvidence): Promise<{ txHash: Hex; amount: bigint; reward: bigint }> {
  const w = c.walletClient;
  if (!w) throw new Error("slashing needs a wallet to pay for gas");
  try {
    const { request, result } = await c.publicClient.simulateContract({ account: w.account, address: c.info.staking, abi: stakingAbi, functionName: "slashFraud", args: fraudCallArgs(e) });
    const txHash = await w.writeContract(request);
    const receipt = await c.publicClient.waitForTransactionReceipt({ hash: txHash });
    if (receipt.status !== "success") throw new CliError(`slashFraud transaction ${txHash} reverted`);
    return { txHash, amount: result[0], reward: result[1] };
  } catch (err) {
    throw chainError(err, "slashFraud");
  }
}
