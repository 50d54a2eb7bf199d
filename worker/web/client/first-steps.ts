// The wallet page's next step (pages/first-steps.ts): the server picked one from the account's
// balances; a missing wallet, a wallet on another chain or on another account than the one signed
// in comes before any of them, and only the browser can see those. Re-checked when the wallet
// switches chains or accounts.

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
  // Signed in as one account, the wallet on another: a transaction would come from the wrong one.
  const signedIn = panel.dataset.account;
  const [current0] = (await window.ethereum.request({ method: "eth_accounts" })) as string[];
  if (signedIn && current0 && current0.toLowerCase() !== signedIn.toLowerCase()) {
    const shown = panel.querySelector("[data-wallet-account]");
    if (shown) shown.textContent = current0;
    return show(panel, "wrong-account");
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
  window.ethereum?.on?.("accountsChanged", () => void check(panel));
  void check(panel).catch(() => show(panel, null));
}
