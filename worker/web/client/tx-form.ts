// Forms that send one contract call (the wallet page): the page names the contract, the
// function and how each argument is read from the form (worker/web/pages/wallet.ts ArgSpec);
// an amount the contract will pull is first approved. After the call is mined the page's
// balances are fetched again and swapped in place.

import { erc20Abi, parseUnits, type Abi, type Address, type Hex } from "viem";
import { escrowAbi, hostingBountiesAbi, stakingAbi } from "../../../contracts/abi.ts";
import { sendAndWatch } from "./tx.ts";
import { say, statusFor } from "./status.ts";

const ABIS: Record<string, Abi> = { staking: stakingAbi, escrow: escrowAbi, bounties: hostingBountiesAbi, token: erc20Abi };

type ArgSpec = { field: string; as: "token" | "days" | "bytes20" } | { value: string };

function readArg(form: HTMLFormElement, spec: ArgSpec): unknown {
  if ("value" in spec) return spec.value;
  const raw = (new FormData(form).get(spec.field) ?? "").toString().trim();
  switch (spec.as) {
    case "token":
      if (!/^[0-9]+(\.[0-9]{1,18})?$/.test(raw)) throw new Error("An amount is a number of VIDYA, e.g. 100 or 2.5.");
      return parseUnits(raw, 18);
    case "days":
      if (!/^[0-9]+$/.test(raw)) throw new Error("A duration is a whole number of days.");
      return BigInt(raw) * 86_400n;
    case "bytes20":
      if (!/^(0x)?[0-9a-fA-F]{40}$/.test(raw)) throw new Error("An info hash is 40 hex digits.");
      return `0x${raw.replace(/^0x/, "").toLowerCase()}` as Hex;
  }
}

/** Replaces the page's balances with what the server reads now. */
export async function refreshBalances(): Promise<void> {
  const current = document.querySelector("[data-balances]");
  if (!current) return;
  const doc = new DOMParser().parseFromString(await (await fetch(location.href)).text(), "text/html");
  const fresh = doc.querySelector("[data-balances]");
  if (fresh) current.replaceWith(fresh);
}

export async function submitTx(form: HTMLFormElement): Promise<void> {
  const d = form.dataset;
  const status = statusFor(d.statusName!);
  const button = form.querySelector("button");
  if (button) button.disabled = true;
  try {
    const args = (JSON.parse(d.args ?? "[]") as ArgSpec[]).map((s) => readArg(form, s));
    const chainId = Number(d.chainId);
    if (d.approve) {
      const amount = readArg(form, { field: d.approve, as: "token" }) as bigint;
      const ok = await sendAndWatch({ chainId, address: d.token as Address, abi: erc20Abi, functionName: "approve", args: [d.to as Address, amount], label: "Approve" }, status, false);
      if (!ok) return;
    }
    const ok = await sendAndWatch({ chainId, address: d.to as Address, abi: ABIS[d.contract!]!, functionName: d.function!, args, label: d.label ?? d.function! }, status);
    if (ok) {
      form.dataset.done = "true";
      await refreshBalances();
    }
  } catch (e) {
    say(status, e instanceof Error ? e.message : String(e), "error");
  } finally {
    if (button) button.disabled = false;
  }
}
