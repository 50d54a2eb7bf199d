// Sign in with a wallet (EIP-4361). The page works without JavaScript only to say why it
// cannot: signing needs the wallet, which lives in the browser.

import { html } from "hono/html";
import { page, type PageOptions } from "../layout.ts";

export function signInPage(o: Pick<PageOptions, "account" | "member"> & { next: string }) {
  const body = html`<h1>Sign in</h1>
<p>Vidya members sign in with an Ethereum wallet: your wallet signs a short message
(<a href="https://eips.ethereum.org/EIPS/eip-4361">Sign-In with Ethereum</a>) naming this site,
a one-time code and an expiry. Signing costs nothing and moves no tokens.</p>
${o.account ? html`<p>You are signed in as <code>${o.account}</code>.</p>` : ""}
<p><button type="button" class="primary" data-action="signin" data-next="${o.next}">Sign in with your wallet</button></p>
<p class="status" data-status="signin" role="status" aria-live="polite"></p>
<noscript><p class="notice error">Signing in needs your wallet, and the wallet needs JavaScript. The index and the epoch explorer browse without it.</p></noscript>
<h2>New here?</h2>
<p>You need a browser wallet (MetaMask, Rabby, Frame…): it holds your key and signs for you.
After signing in you can join with an invite from a member, or by staking the access stake
in the staking contract and paying the join fee to stakers; with ETH and no VIDYA, the
<a href="/wallet">wallet page</a> buys both, stakes the one and pays the other, in one transaction. Both routes give you a personal passkey for your
BitTorrent client. <a href="/join">How joining works</a>.</p>`;
  return page({ title: "Sign in", nav: "signin", ...o, body });
}
