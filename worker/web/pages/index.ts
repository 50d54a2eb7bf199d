// The index: the curated torrents, searched and filtered without JavaScript (a GET form whose
// names are the API's: worker/torrents/search.ts), with each row's swarm and credit flags.

import { html, raw } from "hono/html";
import { formatBytes } from "../../../protocol/format.ts";
import type { Env } from "../../env.ts";
import { CATEGORIES } from "../../torrents/categories.ts";
import { PAGE_SIZE, SORTS, filtersQuery, searchTorrents, type SearchRow, type TorrentFilters } from "../../torrents/search.ts";
import { HOT_MAX_SEEDERS } from "../../announce/rules.ts";
import { page, when, type Html, type PageOptions } from "../layout.ts";
import { overdueNotice } from "./epochs.ts";
import { introCard } from "./intro.ts";
import { marketOf, readTwap } from "../../chain/market.ts";
import { accessNow } from "../../economics/access.ts";

type Who = Pick<PageOptions, "account" | "member" | "curator">;

const selected = (on: boolean) => (on ? raw(" selected") : "");
const checked = (on: boolean) => (on ? raw(" checked") : "");

/** Sizes in the form as a person typed them: whole decimal units where they divide evenly. */
function sizeValue(bytes: number | null): string {
  if (bytes === null) return "";
  for (const [unit, n] of [["GB", 1e9], ["MB", 1e6], ["KB", 1e3]] as const) if (bytes >= n && bytes % n === 0) return `${bytes / n} ${unit}`;
  return String(bytes);
}

export function flagTags(t: { freeleech: boolean; neutral: boolean; doubleUpload: boolean; seeders?: number }): Html {
  return html`${t.freeleech ? html`<span class="tag" title="downloads are not counted">freeleech</span>` : ""}${t.neutral ? html`<span class="tag" title="neither uploads nor downloads are counted">neutral</span>` : ""}${t.doubleUpload ? html`<span class="tag" title="uploads count twice">2× upload</span>` : ""}${t.seeders !== undefined && t.seeders < HOT_MAX_SEEDERS ? html`<span class="tag hot" title="needs seeders: newcomers download it free and seed it">hot</span>` : ""}`;
}

function filtersForm(f: TorrentFilters): Html {
  return html`<form class="filters" method="get" action="/" role="search">
<label>Search <input type="search" name="q" value="${f.q}" placeholder="words in the name" maxlength="200"></label>
<label>Category <select name="category"><option value="">any</option>${CATEGORIES.map((c) => html`<option${selected(f.category === c)}>${c}</option>`)}</select></label>
<label>Size from <input name="min_size" value="${sizeValue(f.minBytes)}" placeholder="e.g. 100 MB" size="9"></label>
<label>to <input name="max_size" value="${sizeValue(f.maxBytes)}" placeholder="e.g. 4 GB" size="9"></label>
<label>Seeders ≥ <input name="min_seeders" value="${f.minSeeders ?? ""}" inputmode="numeric" size="4"></label>
<label><input type="checkbox" name="hot" value="1"${checked(f.hot)}> hot</label>
<label><input type="checkbox" name="freeleech" value="1"${checked(f.freeleech)}> freeleech</label>
<label>Sort <select name="sort">${SORTS.map((s) => html`<option${selected(f.sort === s)}>${s}</option>`)}</select></label>
<button type="submit" class="primary">Search</button>
</form>`;
}

function sortLink(f: TorrentFilters, sort: TorrentFilters["sort"], label: string): Html {
  const current = f.sort === sort;
  const order = current ? (f.order === "asc" ? "desc" : "asc") : sort === "name" ? "asc" : "desc";
  return html`<a href="/${filtersQuery(f, { sort, order, page: 0 })}"${current ? raw(` aria-sort="${f.order === "asc" ? "ascending" : "descending"}"`) : ""}>${label}${current ? (f.order === "asc" ? " ▲" : " ▼") : ""}</a>`;
}

function row(t: SearchRow, member: boolean): Html {
  return html`<tr>
<td><a href="/torrents/${t.infoHash}">${t.name}</a> ${flagTags(t)}<br><span class="muted">${t.fileCount} file${t.fileCount === 1 ? "" : "s"} · added ${when(t.createdAt)}</span></td>
<td>${t.category}</td>
<td class="num">${formatBytes(t.length)}</td>
<td class="num">${t.seeders}</td><td class="num">${t.leechers}</td><td class="num">${t.snatches}</td>
<td>${member ? html`<a class="button" href="/torrents/${t.infoHash}/download" download>.torrent</a>` : ""}</td>
</tr>`;
}

export async function indexPage(env: Env, who: Who, f: TorrentFilters) {
  // Only a visitor who is not a member yet is shown the stake and join fee in force, so only they wait for the pool (and a signed-out one for the gate).
  const [{ total, rows }, overdue, twap, access] = await Promise.all([searchTorrents(env.DB, f), overdueNotice(env), who.member ? undefined : readTwap(env), who.account ? undefined : accessNow(env)]);
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const body = html`<h1>The index</h1>
${overdue}
${who.account && !who.member ? html`<p class="notice">You are signed in but not a member yet: <a href="/join">join</a> with an invite or your stake to download.</p>` : ""}
${!who.account ? html`<p class="muted">Browse freely; members download with their passkey.</p>${introCard({ signedIn: false, twap, market: Boolean(marketOf(env)?.hostingRouter), access: access! })}` : ""}
${filtersForm(f)}
<p class="muted" data-testid="result-count">${total} torrent${total === 1 ? "" : "s"}${f.page > 0 ? `, page ${f.page + 1} of ${pages}` : ""}</p>
${rows.length === 0
  ? html`<p>Nothing matches. Widen the filters, or <a href="/">see everything</a>.</p>`
  : html`<table class="grid" data-testid="torrents"><thead><tr>
<th>${sortLink(f, "name", "Name")}</th><th>Category</th><th class="num">${sortLink(f, "size", "Size")}</th>
<th class="num">${sortLink(f, "seeders", "Seeders")}</th><th class="num">${sortLink(f, "leechers", "Leechers")}</th><th class="num">${sortLink(f, "snatches", "Snatches")}</th><th></th>
</tr></thead><tbody>${rows.map((t) => row(t, who.member === true))}</tbody></table>`}
<nav class="pager">${f.page > 0 ? html`<a href="/${filtersQuery(f, { page: f.page - 1 })}">← previous</a>` : ""} ${f.page + 1 < pages ? html`<a href="/${filtersQuery(f, { page: f.page + 1 })}">next →</a>` : ""}</nav>`;
  return page({ title: "Index", nav: "index", ...who, body });
}
