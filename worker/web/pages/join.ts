// Joining: a signed-in account becomes a member by an invite, or by holding the access stake
// on-chain (the wallet page stakes it). The session already proves the account.

import { html } from "hono/html";
import { formatVidya } from "../../../protocol/format.ts";
import { ACCESS_STAKE } from "../../../protocol/params.ts";
import type { Env } from "../../env.ts";
import { page, type PageOptions } from "../layout.ts";

type Who = Pick<PageOptions, "account" | "member" | "curator">;

export function joinPage(_env: Env, who: Who, invite = "", notice?: PageOptions["notice"]) {
  const body = !who.account
    ? html`<h1>Join</h1><p><a href="/signin?next=/join${invite ? `?invite=${encodeURIComponent(invite)}` : ""}">Sign in</a> with your wallet first: your membership is your address.</p>`
    : who.member
      ? html`<h1>Join</h1><p>You are a member. Your passkey is on <a href="/me">your profile</a>.</p>`
      : html`<h1>Join</h1>
<section class="card"><h2>With an invite</h2>
<form class="row" method="post" action="/join"><label>Invite code <input name="invite" value="${invite}" required size="28" autocomplete="off"></label>
<button type="submit" class="primary" name="route" value="invite">Join</button></form>
<p class="muted">A member who invites you becomes your parent in the invite tree.</p></section>
<section class="card"><h2>With your stake</h2>
<p>Stake at least ${formatVidya(ACCESS_STAKE)} on <a href="/wallet">your wallet page</a>, then:</p>
<form method="post" action="/join"><button type="submit" name="route" value="stake">Join with my stake</button></form></section>`;
  return page({ title: "Join", notice, ...who, body });
}
