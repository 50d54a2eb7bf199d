// Upload: a member sends a private .torrent with its category and description; it waits for
// a curator (its announces are told to retry meanwhile). A plain multipart form; the site's
// script (client/upload.ts) adds the storage root computed from the local files, checked
// against the .torrent's pieces first. The payload's files are never sent (their inputs have
// no name).

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
Make one with <code>vidya torrent create &lt;path&gt;</code> (it prints the storage root; <code>--upload</code> sends it from there), or with your client's "create torrent" and tick "private" (the tracker URL does not matter: each member's download carries their own).
A curator approves it before others can find it; until then you can download it from its page and seed it.</p>
<form class="card" method="post" action="/upload" enctype="multipart/form-data" data-testid="upload-form" data-action="upload">
<p><label>.torrent file <input type="file" name="torrent" accept=".torrent,application/x-bittorrent" required></label></p>
<p><label>Category <select name="category" required>${CATEGORIES.map((c) => html`<option${form.category === c ? raw(" selected") : ""}>${c}</option>`)}</select></label></p>
<p><label>Description<br><textarea name="description" rows="5" cols="70" maxlength="${MAX_DESCRIPTION_CHARS}" placeholder="What it is, its source, its quality">${form.description ?? ""}</textarea></label></p>
<fieldset><legend>Storage root</legend>
<p><label>The torrent's files <input type="file" multiple data-payload="files"></label> or its folder <input type="file" webkitdirectory data-payload="folder" aria-label="The torrent's folder"></p>
<p><progress data-root-progress value="0" max="1" hidden></progress> <span class="status" data-status="storage-root" role="status" aria-live="polite"></span></p>
<p><label>Storage root <input name="storageRoot" value="${form.storageRoot ?? ""}" size="70" pattern="(0x)?[0-9a-fA-F]{64}" placeholder="64 hex digits: v1 torrents only"></label><br>
<span class="muted">v1 torrents need the root of the payload's storage tree (what nodes prove they hold: the payload's 16 KiB blocks hashed with SHA-256 into BEP 52's merkle tree; README.md "Formats that must agree", <code>protocol/merkle/storage-tree.ts</code>), confirmed later by nodes that check the pieces.
Choose the files above and this page computes it here, in your browser, after checking them against the .torrent's pieces; nothing but the .torrent is sent.
v2 and hybrid torrents (BEP 52) carry their roots in the info dict: leave it empty.</span></p>
</fieldset>
<p><button type="submit" class="primary">Upload</button></p>
</form>`;
  return page({ title: "Upload", nav: "upload", notice, ...who, body });
}
