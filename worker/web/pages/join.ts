// Joining: a signed-in account becomes a member by an invite, or by holding the access stake
// on-chain (the wallet page stakes it). The session already proves the account.

import { html } from "hono/html";
import { ACCESS_STAKE } from "../../../protocol/params.ts";
import type { Env } from "../../env.ts";
import { page, type PageOptions } from "../layout.ts";
import { introCard, vidyaWithEth } from "./intro.ts";
import { marketOf, readTwap } from "../../chain/market.ts";

type Who = Pick<PageOptions, "account" | "member" | "curator">;

export async function joinPage(env: Env, who: Who, invite = "", notice?: PageOptions["notice"]) {
  const twap = who.member ? undefined : await readTwap(env);
  const market = marketOf(env);
  const body = !who.account
    ? html`<h1>Join</h1>
<p class="notice"><a class="button primary" href="/signin?next=/join${invite ? `?invite=${encodeURIComponent(invite)}` : ""}" data-testid="join-signin">Sign in with your wallet</a> first: your membership is your address.</p>
${introCard({ signedIn: false, twap, market: Boolean(market?.hostingRouter) })}`
    : who.member
      ? html`<h1>Join</h1><p>You are a member. Your passkey is on <a href="/me">your profile</a>.</p>`
      : html`<h1>Join</h1>
<section class="card"><h2>With an invite</h2>
<form class="row" method="post" action="/join"><label>Invite code <input name="invite" value="${invite}" required size="28" autocomplete="off"></label>
<button type="submit" class="primary" name="route" value="invite">Join</button></form>
<p class="muted">A member who invites you becomes your parent in the invite tree.</p></section>
<section class="card"><h2>With your stake</h2>
<p>Stake at least ${vidyaWithEth(ACCESS_STAKE, twap)} on <a href="/wallet">your wallet page</a>${market?.hostingRouter ? html` (no VIDYA? <a href="/wallet#stake-to-join" data-testid="stake-to-join-link">buy it with ETH and stake it in one transaction</a>)` : ""}, then:</p>
<form method="post" action="/join"><button type="submit" name="route" value="stake">Join with my stake</button></form></section>`;
  return page({ title: "Join", nav: "join", notice, ...who, body });
}
