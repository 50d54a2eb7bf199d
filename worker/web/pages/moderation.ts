// The curators' moderation queue (UNIT3D's pending / approved / rejected): members' uploads
// waiting, each with its files and uploader, approved or rejected with one form post.

import { asc, eq } from "drizzle-orm";
import { html } from "hono/html";
import { formatBytes } from "../../../protocol/format.ts";
import type { TorrentFile } from "../../../protocol/torrent.ts";
import type { Env } from "../../env.ts";
import { db, schema } from "../../db/client.ts";
import { page, shortHex, when, type PageOptions } from "../layout.ts";

type Who = Pick<PageOptions, "account" | "member" | "curator">;

export async function moderationPage(env: Env, who: Who, notice?: PageOptions["notice"]) {
  const rows = await db(env.DB)
    .select({
      infoHash: schema.torrents.infoHash,
      name: schema.torrents.name,
      length: schema.torrents.length,
      files: schema.torrents.files,
      version: schema.torrents.version,
      category: schema.torrents.category,
      description: schema.torrents.description,
      uploadedBy: schema.torrents.uploadedBy,
      createdAt: schema.torrents.createdAt,
    })
    .from(schema.torrents)
    .where(eq(schema.torrents.status, "pending"))
    .orderBy(asc(schema.torrents.createdAt))
    .limit(200);
  const body = html`<h1>Moderation</h1>
<p class="muted" data-testid="queue-count">${rows.length} upload${rows.length === 1 ? "" : "s"} waiting, oldest first.</p>
${rows.map((t) => {
  const files = JSON.parse(t.files) as TorrentFile[];
  return html`<section class="card" data-testid="pending">
<h2><a href="/torrents/${t.infoHash}">${t.name}</a></h2>
<p>${t.category} · ${formatBytes(t.length)} in ${files.length} file${files.length === 1 ? "" : "s"} · ${t.version} · by ${t.uploadedBy ? shortHex(t.uploadedBy) : "an admin"} · ${when(t.createdAt)}</p>
${t.description ? html`<p class="description">${t.description}</p>` : ""}
<form class="row" method="post" action="/moderation/${t.infoHash}">
<button type="submit" name="decision" value="approve" class="primary">Approve</button>
<button type="submit" name="decision" value="reject">Reject</button>
</form></section>`;
})}`;
  return page({ title: "Moderation", nav: "moderation", notice, ...who, body });
}
