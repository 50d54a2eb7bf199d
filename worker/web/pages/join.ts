// Joining: a signed-in account becomes a member by an invite, or by holding the gate stake in
// force on-chain and paying the join fee to stakers (the wallet page does both; the dynamic gate
// moves them at each close: economics/access.ts). The session already proves the account.

import { html } from "hono/html";
import { formatVidya } from "../../../protocol/format.ts";
import type { Env } from "../../env.ts";
import type { AccessNow } from "../../economics/access.ts";
import { page, type PageOptions } from "../layout.ts";

type Who = Pick<PageOptions, "account" | "member" | "curator">;

/** What joining by stake costs now, in every state of the page. */
const cost = (a: AccessNow) =>
  html`<p data-testid="join-cost">Joining by stake: hold <strong>${formatVidya(a.gateStake)}</strong> staked and pay a join fee of <strong>${formatVidya(a.joinFee)}</strong>, which is streamed to stakers${a.route === "dynamic-gate" ? html` (the dynamic gate: set by the close of epoch ${a.setBy} from the network's saturation)` : ""}.</p>`;

export function joinPage(_env: Env, who: Who, access: AccessNow, invite = "", notice?: PageOptions["notice"]) {
  const body = !who.account
    ? html`<h1>Join</h1>${cost(access)}<p><a href="/signin?next=/join${invite ? `?invite=${encodeURIComponent(invite)}` : ""}">Sign in</a> with your wallet first: your membership is your address.</p>`
    : who.member
      ? html`<h1>Join</h1><p>You are a member. Your passkey is on <a href="/me">your profile</a>.</p>`
      : html`<h1>Join</h1>
<section class="card"><h2>With an invite</h2>
<form class="row" method="post" action="/join"><label>Invite code <input name="invite" value="${invite}" required size="28" autocomplete="off"></label>
<button type="submit" class="primary" name="route" value="invite">Join</button></form>
<p class="muted">A member who invites you becomes your parent in the invite tree.</p></section>
<section class="card"><h2>With your stake</h2>
${cost(access)}
<p>Stake at least ${formatVidya(access.gateStake)} and pay the join fee on <a href="/wallet">your wallet page</a>, then:</p>
<form method="post" action="/join"><button type="submit" name="route" value="stake">Join with my stake</button></form></section>`;
  return page({ title: "Join", notice, ...who, body });
}
