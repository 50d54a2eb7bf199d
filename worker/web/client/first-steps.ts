// The wallet page's next step (pages/first-steps.ts): the server picked one from the account's
// balances; a missing wallet or a wallet on another chain comes before any of them, and only the
// browser can see those. Re-checked when the wallet switches chains.

import { switchChain } from "./wallet.ts";
import { describe, say, statusFor } from "./status.ts";

function show(panel: HTMLElement, step: string | null): void {
  for (const el of panel.querySelectorAll<HTMLElement>("[data-step]")) el.hidden = step === null ? el.dataset.serverHidden === "true" : el.dataset.step !== step;
  panel.dataset.stepShown = step ?? panel.dataset.stepServer ?? "";
}

async function check(panel: HTMLElement): Promise<void> {
  if (!window.ethereum) return show(panel, "no-wallet");
  const wanted = Number(panel.dataset.chainId);
  const current = Number(await window.ethereum.request({ method: "eth_chainId" }));
  if (current !== wanted) {
    const name = panel.querySelector("[data-current-chain]");
    if (name) name.textContent = `chain ${current}`;
    return show(panel, "wrong-network");
  }
  show(panel, null);
}

export function wireFirstSteps(panel: HTMLElement): void {
  // What the server showed, to come back to once the wallet is right.
  for (const el of panel.querySelectorAll<HTMLElement>("[data-step]")) el.dataset.serverHidden = String(el.hidden);
  panel.querySelector<HTMLButtonElement>('button[data-action="switch-network"]')?.addEventListener("click", async () => {
    const status = statusFor("switch-network", panel);
    try {
      say(status, "Confirm the switch in your wallet…");
      await switchChain(Number(panel.dataset.chainId), { name: panel.dataset.chainName ?? "", rpcUrl: panel.dataset.rpcUrl ?? "" });
      say(status, "Switched.", "ok");
    } catch (e) {
      say(status, describe(e), "error");
    }
    await check(panel);
  });
  window.ethereum?.on?.("chainChanged", () => void check(panel));
  void check(panel).catch(() => show(panel, null));
}
