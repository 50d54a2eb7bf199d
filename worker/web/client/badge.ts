// Claims a soulbound hosting badge (HostingBadges, id = epoch) with the account's earned
// leaf of that epoch and its proof from the published leaves.

import type { Address, Hex } from "viem";
import { hostingBadgesAbi } from "../../../contracts/abi.ts";
import { sendAndWatch } from "./tx.ts";
import { describe, say, statusFor } from "./status.ts";

export async function claimBadge(form: HTMLFormElement): Promise<void> {
  const status = statusFor("badge");
  const select = form.querySelector("select")!;
  const epoch = select.value;
  const cumulative = select.selectedOptions[0]?.dataset.cumulative ?? "0";
  const account = form.dataset.account as Address;
  try {
    const res = await fetch(`/api/epochs/${epoch}/proof/${account}`);
    const body = (await res.json()) as { proof: Hex[]; error?: { message: string } };
    if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
    const ok = await sendAndWatch(
      { chainId: Number(form.dataset.chainId), address: form.dataset.to as Address, abi: hostingBadgesAbi, functionName: "claim", args: [BigInt(epoch), account, BigInt(cumulative), body.proof], label: `Badge for epoch ${epoch}` },
      status,
    );
    if (ok) form.dataset.done = "true";
  } catch (e) {
    say(status, describe(e), "error");
  }
}
