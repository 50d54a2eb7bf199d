// Upload: a member sends a private .torrent with its category and description; it waits for
// a curator (its announces are told to retry meanwhile). A plain multipart form, no script.

import { html, raw } from "hono/html";
import type { Env } from "../../env.ts";
import { CATEGORIES } from "../../torrents/categories.ts";
import { MAX_DESCRIPTION_CHARS } from "../../torrents/routes.ts";
import { page, type PageOptions } from "../layout.ts";

type Who = Pick<PageOptions, "account" | "member" | "curator">;

export interface UploadForm {
  category?: string;
  description?: string;
  storageRoot?: string;
}

export function uploadPage(_env: Env, who: Who, form: UploadForm = {}, notice?: PageOptions["notice"]) {
  const body = html`<h1>Upload a torrent</h1>
<p>The index takes <strong>private</strong> torrents only (BEP 27: <code>info.private = 1</code>), so clients use this tracker alone.
Make one with your client's "create torrent" and tick "private" (the tracker URL does not matter: each member's download carries their own).
A curator approves it before others can find it; until then you can download it from its page and seed it.</p>
<form class="card" method="post" action="/upload" enctype="multipart/form-data" data-testid="upload-form">
<p><label>.torrent file <input type="file" name="torrent" accept=".torrent,application/x-bittorrent" required></label></p>
<p><label>Category <select name="category" required>${CATEGORIES.map((c) => html`<option${form.category === c ? raw(" selected") : ""}>${c}</option>`)}</select></label></p>
<p><label>Description<br><textarea name="description" rows="5" cols="70" maxlength="${MAX_DESCRIPTION_CHARS}" placeholder="What it is, its source, its quality">${form.description ?? ""}</textarea></label></p>
<p><label>Storage root <input name="storageRoot" value="${form.storageRoot ?? ""}" size="70" pattern="(0x)?[0-9a-fA-F]{64}" placeholder="64 hex digits: v1 torrents only"></label><br>
<span class="muted">v1 torrents need the root of the payload's storage tree (what nodes prove they hold; DESIGN.md), confirmed later by nodes that check the pieces.
v2 and hybrid torrents (BEP 52) carry their roots in the info dict: leave it empty.</span></p>
<p><button type="submit" class="primary">Upload</button></p>
</form>`;
  return page({ title: "Upload", nav: "upload", notice, ...who, body });
}
