// The epoch explorer's proof check, in the browser: the leaf is hashed and the proof walked
// with protocol/merkle/reward-tree.ts (the code the worker builds trees with), and the root it
// reaches is compared with the root the contract stores for the epoch.

import { decodeFunctionResult, encodeFunctionData, type Address, type Hex } from "viem";
import { rewardLeafHash, verifyRewardProof } from "../../../protocol/merkle/reward-tree.ts";
import { formatVidya } from "../../../protocol/format.ts";
import { epochRewardsAbi } from "../../../contracts/abi.ts";
import { ethCall } from "./wallet.ts";
import { describe, say, statusFor } from "./status.ts";

interface ProofJson {
  epoch: number;
  account: Address;
  cumulative: string;
  proof: Hex[];
}

export async function checkProof(form: HTMLFormElement): Promise<void> {
  const status = statusFor("check-proof");
  const epoch = Number(form.dataset.epoch);
  const account = (new FormData(form).get("account") ?? "").toString().trim();
  try {
    if (!/^0x[0-9a-fA-F]{40}$/.test(account)) throw new Error("An account is 0x and 40 hex digits.");
    say(status, "Fetching the leaf and its proof…");
    const res = await fetch(`/api/epochs/${epoch}/proof/${account}`);
    const body = (await res.json()) as ProofJson & { error?: { message: string } };
    if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
    const leaf = rewardLeafHash(epoch, body.account, BigInt(body.cumulative));
    const address = form.dataset.epochRewards as Address | undefined;
    if (!address) throw new Error("This site has no EpochRewards contract configured to check against.");
    say(status, "Reading the root stored on-chain…");
    const data = encodeFunctionData({ abi: epochRewardsAbi, functionName: "rootOf", args: [BigInt(epoch)] });
    const result = await ethCall(address, data, form.dataset.rpcUrl ?? "");
    const root = decodeFunctionResult({ abi: epochRewardsAbi, functionName: "rootOf", data: result }).earnedRoot;
    if (/^0x0+$/.test(root)) throw new Error(`Epoch ${epoch} has no root on-chain.`);
    const ok = verifyRewardProof(root, leaf, body.proof);
    say(
      status,
      ok
        ? `Verified: ${body.account} holds ${formatVidya(BigInt(body.cumulative))} to date in epoch ${epoch}; its leaf ${leaf} and ${body.proof.length} proof hashes lead to the on-chain root ${root}.`
        : `NOT verified: the proof for ${body.account} does not lead to the on-chain root ${root} of epoch ${epoch}.`,
      ok ? "ok" : "error",
    );
    form.dataset.verified = String(ok);
  } catch (e) {
    say(status, describe(e), "error");
    form.dataset.verified = "error";
  }
}
