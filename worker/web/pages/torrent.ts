// A torrent's page: what it is (files, version, storage root), its swarm, its market (surge,
// price per GB, what uploading and hosting it earn, replicas, bounty), and the download of
// its .torrent with the member's own announce URL. Curators set its credit flags here.

import { eq } from "drizzle-orm";
import { html, raw } from "hono/html";
import { formatBytes, formatEthWorth, formatVidya } from "../../../protocol/format.ts";
import { vidyaToEth, type Twap } from "../../../protocol/market/twap.ts";
import { marketOf, readTwap } from "../../chain/market.ts";
import { buyHostingForm } from "./market.ts";
import type { TorrentFile } from "../../../protocol/torrent.ts";
import type { Env } from "../../env.ts";
import { db, schema } from "../../db/client.ts";
import { notFound } from "../../errors.ts";
import { accessRoute } from "../../env.ts";
import { torrentEconomics, type TorrentEconomics } from "../../economics/torrent.ts";
import { page, shortHex, when, type Html, type PageOptions } from "../layout.ts";
import { flagTags } from "./index.ts";

type Who = Pick<PageOptions, "account" | "member" | "curator">;

/** Files listed on the page; a torrent of thousands lists the first ones and says so. */
const MAX_FILES_SHOWN = 500;

const multiplier = (bps: number) => `${(bps / 10_000).toFixed(2)}×`;

// The figures are the worker's own (worker/economics/torrent.ts): the surge its shard last
// stepped, prices under the access route in force, the last settlement's replicas and quote.
function marketFacts(m: TorrentEconomics, route: string, twap: Twap | undefined, buyHere: boolean): Html {
  // The ETH figure at the pool's TWAP, beside the VIDYA one (never instead of it).
  const eth = (wei: string) => (twap && BigInt(wei) !== 0n ? html` ≈ ${formatEthWorth(vidyaToEth(twap, BigInt(wei)))}` : "");
  return html`<div class="stats" data-testid="market">
<div><span class="label">Saturation</span><span class="value" data-testid="saturation">${(m.saturationBps / 100).toFixed(0)}%</span><span class="sub">forecast demand ÷ upload capacity, next 15 min</span></div>
<div><span class="label">Surge</span><span class="value" data-testid="surge">${multiplier(m.surgeBps)}</span><span class="sub">0.5× idle … 4× saturated, one step per 5 min</span></div>
<div><span class="label">Price per paid GB</span><span class="value" data-testid="price">${formatVidya(BigInt(m.pricePerGBWei))}</span><span class="sub">${eth(m.pricePerGBWei)}${twap && BigInt(m.pricePerGBWei) !== 0n ? " · " : ""}${route}; your free allotment first</span></div>
<div><span class="label">Upload reward</span><span class="value" data-testid="upload-multiplier">${multiplier(m.uploadRewardMultiplierBps)}</span><span class="sub">per paid byte you upload</span></div>
<div><span class="label">Replicas</span><span class="value" data-testid="replicas">${m.replicas}</span><span class="sub">counted in the last epoch (one per subnet)</span></div>
<div><span class="label">Hosting pays</span><span class="value" data-testid="hosting-reward">${formatVidya(BigInt(m.expectedRewardPerGBWei))}</span><span class="sub">per GB per epoch for one more replica${eth(m.expectedRewardPerGBWei)}</span></div>
<div><span class="label">Bounty</span><span class="value" data-testid="bounty">${formatVidya(BigInt(m.bountyWei))}</span><span class="sub" data-testid="bounty-eth">${twap && BigInt(m.bountyWei) !== 0n ? html`${eth(m.bountyWei)} · ` : ""}<a href="${buyHere ? "#buy-hosting" : "/wallet#bounty"}">fund it</a></span></div>
</div>`;
}

function filesTable(files: TorrentFile[]): Html {
  const shown = files.slice(0, MAX_FILES_SHOWN);
  return html`<table class="grid" data-testid="files"><thead><tr><th>File</th><th class="num">Size</th></tr></thead><tbody>
${shown.map((f) => html`<tr><td>${f.path}</td><td class="num">${formatBytes(f.length)}</td></tr>`)}
</tbody></table>${files.length > shown.length ? html`<p class="muted">and ${files.length - shown.length} more files.</p>` : ""}`;
}

function flagsForm(infoHash: string, t: { freeleech: boolean; neutral: boolean; doubleUpload: boolean }): Html {
  const box = (name: string, label: string, on: boolean) => html`<label><input type="checkbox" name="${name}" value="1"${on ? raw(" checked") : ""}> ${label}</label>`;
  return html`<section class="card"><h2>Curator</h2>
<form class="row" method="post" action="/torrents/${infoHash}/flags">
${box("freeleech", "freeleech", t.freeleech)} ${box("neutral", "neutral", t.neutral)} ${box("doubleUpload", "double upload", t.doubleUpload)}
<button type="submit">Save flags</button></form>
<p class="muted">Applied to credit from the swarm's next announce.</p></section>`;
}

export async function torrentPage(env: Env, who: Who, infoHash: string, notice?: PageOptions["notice"]) {
  const t = await db(env.DB)
    .select({
      infoHash: schema.torrents.infoHash,
      name: schema.torrents.name,
      length: schema.torrents.length,
      pieceLength: schema.torrents.pieceLength,
      files: schema.torrents.files,
      version: schema.torrents.version,
      storageRoot: schema.torrents.storageRoot,
      rootStatus: schema.torrents.rootStatus,
      status: schema.torrents.status,
      category: schema.torrents.category,
      description: schema.torrents.description,
      uploadedBy: schema.torrents.uploadedBy,
      freeleech: schema.torrents.freeleech,
      neutral: schema.torrents.neutral,
      doubleUpload: schema.torrents.doubleUpload,
      createdAt: schema.torrents.createdAt,
      seeders: schema.swarms.seeders,
      leechers: schema.swarms.leechers,
      partialSeeds: schema.swarms.partialSeeds,
      snatches: schema.swarms.snatches,
      swarmAt: schema.swarms.updatedAt,
    })
    .from(schema.torrents)
    .leftJoin(schema.swarms, eq(schema.swarms.infoHash, schema.torrents.infoHash))
    .where(eq(schema.torrents.infoHash, infoHash))
    .get();
  // Pending and rejected uploads are the uploader's and the curators' business only.
  if (!t || (t.status !== "approved" && !who.curator && t.uploadedBy !== who.account)) throw notFound("no such torrent");
  const files = JSON.parse(t.files) as TorrentFile[];
  const [market, twap] = await Promise.all([torrentEconomics(env, infoHash).then((m) => m!), readTwap(env)]);
  // Buying hosting with ETH needs the market's HostingRouter and a signed-in wallet.
  const buyForm = buyHostingForm(env, marketOf(env), infoHash);
  const seeders = t.seeders ?? 0;
  const body = html`<h1>${t.name} ${flagTags({ ...t, seeders })}</h1>
${t.status !== "approved" ? html`<p class="notice" data-testid="moderation-status">This upload is <strong>${t.status}</strong>${t.status === "pending" ? " until a curator approves it; until then its announces are told to retry in a minute" : ""}.</p>` : ""}
<div class="row">
${who.member
  ? html`<a class="button primary" href="/torrents/${infoHash}/download" download data-testid="download">Download .torrent</a>
<span class="muted">Its announce URL carries your passkey: keep the file to yourself.</span>`
  : who.account
    ? html`<a class="button" href="/join">Join to download</a>`
    : html`<a class="button" href="/signin?next=/torrents/${infoHash}">Sign in to download</a>`}
</div>
${t.description ? html`<p class="description">${t.description}</p>` : ""}
<dl class="facts">
<dt>Info hash</dt><dd><code data-testid="info-hash">${t.infoHash}</code></dd>
<dt>Category</dt><dd>${t.category}</dd>
<dt>Size</dt><dd>${formatBytes(t.length)} in ${files.length} file${files.length === 1 ? "" : "s"}, pieces of ${formatBytes(t.pieceLength)}</dd>
<dt>Format</dt><dd>${t.version === "v1" ? "BitTorrent v1" : t.version === "v2" ? "BitTorrent v2 (BEP 52)" : "hybrid v1 + v2 (BEP 52)"}, private (BEP 27)</dd>
<dt>Storage root</dt><dd>${t.version === "v1" ? html`${shortHex(t.storageRoot)} (${t.rootStatus})` : "the v2 piece-layer roots in its info dict"}</dd>
<dt>Added</dt><dd>${when(t.createdAt)}${t.uploadedBy ? html` by ${shortHex(t.uploadedBy)}` : " by the curators"}</dd>
</dl>

<h2>Swarm</h2>
<div class="stats" data-testid="swarm">
<div><span class="label">Seeders</span><span class="value">${seeders}</span></div>
<div><span class="label">Leechers</span><span class="value">${t.leechers ?? 0}</span><span class="sub">${t.partialSeeds ? `${t.partialSeeds} partial seeds` : ""}</span></div>
<div><span class="label">Snatches</span><span class="value">${t.snatches ?? 0}</span></div>
</div>
<p class="muted">As the swarm's shard last wrote it${t.swarmAt ? html` (${when(t.swarmAt)})` : ""}; clients announce every half hour.</p>

<h2>Market</h2>
${marketFacts(market, accessRoute(env), twap, Boolean(who.account && buyForm))}
${who.account ? buyForm : ""}

<h2>Files</h2>
${filesTable(files)}
${who.curator ? flagsForm(infoHash, t) : ""}`;
  return page({ title: t.name, nav: "index", notice, ...who, body });
}
