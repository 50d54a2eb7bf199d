// The members' site's only script. Pages mark what needs a wallet with data-action; this
// wires those elements and nothing else, so every page reads the same without it.

import { signIn } from "./signin.ts";
import { checkProof } from "./explorer.ts";
import { claim, release } from "./claim.ts";
import { submitTx } from "./tx-form.ts";
import { claimBadge } from "./badge.ts";
import { wireUpload } from "./upload.ts";
import { wireFirstSteps } from "./first-steps.ts";
import { wireSwap } from "./market.ts";

function wire(): void {
  for (const el of document.querySelectorAll<HTMLButtonElement>('button[data-action="signin"]')) el.addEventListener("click", () => void signIn(el));
  for (const el of document.querySelectorAll<HTMLButtonElement>('button[data-action="claim"]')) el.addEventListener("click", () => void claim(el));
  for (const el of document.querySelectorAll<HTMLButtonElement>('button[data-action="release"]')) el.addEventListener("click", () => void release(el));
  for (const form of document.querySelectorAll<HTMLFormElement>('form[data-action="check-proof"]')) {
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void checkProof(form);
    });
    // Arriving with ?account=… (a link from a leaf) runs the check at once.
    if (new URLSearchParams(location.search).has("account")) void checkProof(form);
  }
  for (const form of document.querySelectorAll<HTMLFormElement>('form[data-action="upload"]')) wireUpload(form);
  const forms: [string, (f: HTMLFormElement) => Promise<void>][] = [["tx", submitTx], ["badge", claimBadge]];
  for (const [action, run] of forms)
    for (const form of document.querySelectorAll<HTMLFormElement>(`form[data-action="${action}"]`))
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        void run(form);
      });
  for (const panel of document.querySelectorAll<HTMLElement>("[data-first-steps]")) wireFirstSteps(panel);
  for (const form of document.querySelectorAll<HTMLFormElement>('form[data-action="swap"]')) wireSwap(form);
  document.documentElement.dataset.ready = "true";
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wire);
else wire();
