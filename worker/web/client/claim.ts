// The node dashboard's claim button: the proof comes from the published leaves, the claim
// goes to EpochRewards through the wallet (anyone may send it; the tokens go to the node).

import type { Address, Hex } from "viem";
import { epochRewardsAbi } from "../../../contracts/abi.ts";
import { sendAndWatch } from "./tx.ts";
import { describe, say, statusFor } from "./status.ts";

export async function claim(button: HTMLButtonElement): Promise<void> {
  const status = statusFor("claim");
  const { account, epoch, cumulative, chainId, epochRewards } = button.dataset;
  button.disabled = true;
  try {
    const res = await fetch(`/api/epochs/${epoch}/proof/${account}`);
    const body = (await res.json()) as { proof: Hex[]; error?: { message: string } };
    if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
    const ok = await sendAndWatch(
      { chainId: Number(chainId), address: epochRewards as Address, abi: epochRewardsAbi, functionName: "claim", args: [BigInt(epoch!), account as Address, BigInt(cumulative!), body.proof], label: "Claim" },
      status,
    );
    if (!ok) button.disabled = false;
  } catch (e) {
    say(status, describe(e), "error");
    button.disabled = false;
  }
}

/** Pays a node the part of its held-back earnings that has vested (anyone may send it). */
export async function release(button: HTMLButtonElement): Promise<void> {
  const { account, chainId, epochRewards } = button.dataset;
  button.disabled = true;
  const ok = await sendAndWatch({ chainId: Number(chainId), address: epochRewards as Address, abi: epochRewardsAbi, functionName: "releaseVested", args: [account as Address], label: "Release" }, statusFor("release"));
  if (!ok) button.disabled = false;
}
