// A member's profile: passkey (and its reset), ratio, credit, the free allotment left, the
// snatched / seeding / leeching lists, and invites with the members they brought. The same
// functions as the passkey-authenticated API (worker/members/), read for the session's account.

import { html, raw } from "hono/html";
import { formatBytes } from "../../../protocol/format.ts";
import { FREE_ALLOTMENT_BYTES, FREE_ALLOTMENT_DAYS } from "../../../protocol/params.ts";
import { allotmentLeft } from "../../economics/allotment.ts";
import type { Env } from "../../env.ts";
import { db, schema } from "../../db/client.ts";
import { eq } from "drizzle-orm";
import { statsOf, listOf, unsentOf, LISTS, type ListName } from "../../members/stats.ts";
import { invitesOf, type InviteTreeNode } from "../../members/invites.ts";
import { page, shortHex, when, type Html, type PageOptions } from "../layout.ts";

type Who = Pick<PageOptions, "account" | "member" | "curator">;

function duration(seconds: number): string {
  if (seconds < 3_600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400 * 2) return `${(seconds / 3_600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} days`;
}

function inviteTree(nodes: InviteTreeNode[]): Html {
  if (nodes.length === 0) return html``;
  return html`<ul>${nodes.map((n) => html`<li>${shortHex(n.account)} joined ${when(n.joinedAt)}${inviteTree(n.invited)}</li>`)}</ul>`;
}

const LIST_LABEL: Record<ListName, string> = { snatched: "Snatched", seeding: "Seeding", leeching: "Leeching" };

export async function profilePage(env: Env, who: Who, origin: string, list: ListName, notice?: PageOptions["notice"]) {
  const account = who.account!;
  const member = await db(env.DB).select({ passkey: schema.members.passkey, admission: schema.members.admission, slowed: schema.members.slowed, createdAt: schema.members.createdAt, resetAt: schema.members.passkeyResetAt }).from(schema.members).where(eq(schema.members.account, account)).get();
  if (!member) {
    const body = html`<h1>Your profile</h1><p>You are signed in as <code>${account}</code> but not a member yet. <a href="/join">Join</a> with an invite or your stake.</p>`;
    return page({ title: "Profile", nav: "profile", notice, ...who, body });
  }
  // The shards are asked once for both the stats and the list (64 requests, not 128).
  const shards = unsentOf(env, account);
  const [stats, shown, invites, left] = await Promise.all([statsOf(env, account, shards), listOf(env, account, list, 0, shards), invitesOf(env, account), allotmentLeft(env, account)]);
  const credit = stats.creditedUploaded - stats.creditedDownloaded;
  const announce = `${origin}/${member.passkey}/announce`;
  const body = html`<h1>Your profile</h1>
<p class="muted">${shortHex(account)} · member since ${when(member.createdAt)} by ${member.admission}${member.slowed ? html` · <strong>slowed</strong>: past your free allotment with no deposit left to pay (fewer peers, longer interval); <a href="/wallet">deposit</a> to lift it` : ""}</p>
<div class="stats" data-testid="profile-stats">
<div><span class="label">Ratio</span><span class="value" data-testid="ratio">${stats.ratio === null ? "∞" : stats.ratio.toFixed(2)}</span><span class="sub">credited upload ÷ download</span></div>
<div><span class="label">Credit</span><span class="value" data-testid="credit">${credit < 0 ? "−" : ""}${formatBytes(Math.abs(credit))}</span><span class="sub">uploaded ${formatBytes(stats.creditedUploaded)}, downloaded ${formatBytes(stats.creditedDownloaded)} (credited)</span></div>
<div><span class="label">Free allotment left</span><span class="value" data-testid="allotment">${formatBytes(Number(left))}</span><span class="sub">of ${formatBytes(Number(FREE_ALLOTMENT_BYTES))} per ${FREE_ALLOTMENT_DAYS} days</span></div>
<div><span class="label">Seed time</span><span class="value">${duration(stats.seedSeconds)}</span><span class="sub">${stats.snatched} snatched</span></div>
</div>
<p class="muted">Actual bytes your clients reported: ${formatBytes(stats.uploaded)} up, ${formatBytes(stats.downloaded)} down. Totals trail your last announce by a few seconds.</p>

<section class="card"><h2>Passkey</h2>
<p>Every .torrent you download announces with it. If one leaked, reset it: the old one stops working at once, and you download your .torrent files again.</p>
<details><summary>Show my passkey and announce URL</summary><p><code data-testid="passkey">${member.passkey}</code></p><p><code>${announce}</code></p></details>
${member.resetAt ? html`<p class="muted">Last reset ${when(member.resetAt)}.</p>` : ""}
<form method="post" action="/me/reset-passkey"><button type="submit" data-testid="reset-passkey">Reset my passkey</button></form>
</section>

<h2>Your torrents</h2>
<nav class="tabs">${LISTS.map((l) => html`<a href="/me?list=${l}"${l === list ? raw(' aria-current="page"') : ""}>${LIST_LABEL[l]}</a> `)}</nav>
${shown.torrents.length === 0
  ? html`<p data-testid="list-empty">Nothing ${list === "snatched" ? "snatched yet" : `${list} now`}.</p>`
  : html`<table class="grid" data-testid="list-${list}"><thead><tr><th>Torrent</th><th class="num">Uploaded</th><th class="num">Downloaded</th><th class="num">Seed time</th><th>Clients</th><th>${list === "snatched" ? "Snatched" : "Last announce"}</th></tr></thead><tbody>
${shown.torrents.map((t) => html`<tr><td><a href="/torrents/${t.infoHash}">${t.name ?? t.infoHash}</a>${list === "leeching" && t.left !== null ? html`<br><span class="muted">${formatBytes(t.left)} left</span>` : ""}</td>
<td class="num">${formatBytes(t.creditedUploaded)}</td><td class="num">${formatBytes(t.creditedDownloaded)}</td><td class="num">${duration(t.seedSeconds)}</td><td>${t.clients.join(", ")}</td><td>${when(list === "snatched" ? t.completedAt : t.lastAnnounceAt)}</td></tr>`)}
</tbody></table>`}

<section class="card"><h2>Invites</h2>
<p>${invites.remaining} of ${invites.quota} left.</p>
${invites.remaining > 0 ? html`<form method="post" action="/me/invite"><button type="submit" data-testid="make-invite">Make an invite</button></form>` : ""}
${invites.invites.length
  ? html`<table class="grid"><thead><tr><th>Code</th><th>Made</th><th>Used by</th></tr></thead><tbody>
${invites.invites.map((i) => html`<tr><td><code>${i.code}</code>${i.usedBy ? "" : html` · <a href="/join?invite=${i.code}">link</a>`}</td><td>${when(i.createdAt)}</td><td>${i.usedBy ? shortHex(i.usedBy) : "—"}</td></tr>`)}
</tbody></table>`
  : ""}
${invites.invited.length ? html`<h3>Members you brought</h3>${inviteTree(invites.invited)}` : ""}
</section>`;
  return page({ title: "Profile", nav: "profile", notice, ...who, body });
}
