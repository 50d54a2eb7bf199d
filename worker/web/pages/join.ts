// Joining: a signed-in account becomes a member by an invite, or by holding the gate stake in
// force on-chain and paying the join fee to stakers (the wallet page does both; the dynamic gate
// moves them at each close: economics/access.ts). The session already proves the account.

import { html } from "hono/html";
import { formatVidya } from "../../../protocol/format.ts";
import type { Env } from "../../env.ts";
import type { AccessNow } from "../../economics/access.ts";
import { page, type PageOptions } from "../layout.ts";
import { introCard, stakeAndFee } from "./intro.ts";
import { marketOf, readTwap } from "../../chain/market.ts";
import type { Twap } from "../../../protocol/market/twap.ts";

type Who = Pick<PageOptions, "account" | "member" | "curator">;

/** What joining by stake costs now, in every state of the page. */
const cost = (a: AccessNow, twap: Twap | undefined) =>
  html`<p data-testid="join-cost">Joining by stake: ${stakeAndFee(a, twap)}; the fee is streamed to stakers${a.route === "dynamic-gate" ? html` (the dynamic gate: set by the close of epoch ${a.setBy} from the network's saturation)` : ""}.</p>`;

export async function joinPage(env: Env, who: Who, access: AccessNow, invite = "", notice?: PageOptions["notice"]) {
  const twap = who.member ? undefined : await readTwap(env);
  const market = marketOf(env);
  const body = !who.account
    ? html`<h1>Join</h1>
<p class="notice"><a class="button primary" href="/signin?next=/join${invite ? `?invite=${encodeURIComponent(invite)}` : ""}" data-testid="join-signin">Sign in with your wallet</a> first: your membership is your address.</p>
${introCard({ signedIn: false, twap, market: Boolean(market?.hostingRouter), access })}`
    : who.member
      ? html`<h1>Join</h1><p>You are a member. Your passkey is on <a href="/me">your profile</a>.</p>`
      : html`<h1>Join</h1>
<section class="card"><h2>With an invite</h2>
<form class="row" method="post" action="/join"><label>Invite code <input name="invite" value="${invite}" required size="28" autocomplete="off"></label>
<button type="submit" class="primary" name="route" value="invite">Join</button></form>
<p class="muted">A member who invites you becomes your parent in the invite tree.</p></section>
<section class="card"><h2>With your stake</h2>
${cost(access, twap)}
<p>Stake at least ${formatVidya(access.gateStake)} and pay the join fee on <a href="/wallet">your wallet page</a>${market?.hostingRouter ? html` (no VIDYA? <a href="/wallet#stake-to-join" data-testid="stake-to-join-link">buy both with ETH, stake and pay, in one transaction</a>)` : ""}, then:</p>
<form method="post" action="/join"><button type="submit" name="route" value="stake">Join with my stake</button></form></section>`;
  return page({ title: "Join", nav: "join", notice, ...who, body });
}
