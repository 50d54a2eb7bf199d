// The upload form's storage root, computed here from the member's local files: the .torrent is
// read with the protocol's parser, the files are streamed through WebCrypto in one pass
// (protocol/create/check.ts, the same code as `vidya torrent create`), every v1 piece (and every
// BEP 52 pieces root) is compared with the torrent's, and only then is the root put in the form.
// Files that do not match the torrent give no root, and the form is not sent with one.

import { layoutOf, checkPayload, type TorrentLayout } from "../../../protocol/create/check.ts";
import type { LayoutEntry } from "../../../protocol/create/layout.ts";
import { describe, say, statusFor } from "./status.ts";

/** A chosen file's path inside the torrent: a folder's files lose the folder's own name. */
function relativePath(f: File): string {
  const rel = (f as File & { webkitRelativePath?: string }).webkitRelativePath;
  return rel ? rel.split("/").slice(1).join("/") : f.name;
}

/** The chosen file for each real entry: by path under the torrent's folder, else by a name no other chosen file has. */
function matchFiles(layout: TorrentLayout, chosen: File[]): Map<number, File> {
  const byPath = new Map(chosen.map((f) => [relativePath(f), f]));
  const byName = new Map<string, File | null>();
  for (const f of chosen) byName.set(f.name, byName.has(f.name) ? null : f);
  const out = new Map<number, File>();
  const missing: string[] = [];
  layout.entries.forEach((e, i) => {
    if (e.pad) return;
    const path = e.path.join("/");
    const f = byPath.get(path) ?? byName.get(e.path.at(-1)!) ?? undefined;
    if (f) out.set(i, f);
    else missing.push(path);
  });
  if (missing.length) throw new Error(`choose the torrent's files: ${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ` and ${missing.length - 3} more` : ""} not among them`);
  return out;
}

class Superseded extends Error {}

/** A file's bytes as they stream from disk; stops when `current()` turns false (other files were chosen). */
async function* streamOf(file: Blob, current: () => boolean): AsyncIterable<Uint8Array> {
  const reader = file.stream().getReader();
  try {
    for (;;) {
      if (!current()) throw new Superseded();
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    void reader.cancel().catch(() => {});
  }
}

export function wireUpload(form: HTMLFormElement): void {
  const torrentInput = form.querySelector<HTMLInputElement>('input[name="torrent"]')!;
  const rootInput = form.querySelector<HTMLInputElement>('input[name="storageRoot"]')!;
  const payloadInputs = [...form.querySelectorAll<HTMLInputElement>("input[data-payload]")];
  const bar = form.querySelector<HTMLProgressElement>("progress[data-root-progress]")!;
  const status = statusFor("storage-root", form);
  let run = 0;
  let pending: Promise<boolean> | undefined;

  const compute = async (): Promise<boolean> => {
    const mine = ++run;
    const torrent = torrentInput.files?.[0];
    const chosen = payloadInputs.flatMap((i) => [...(i.files ?? [])]);
    delete form.dataset.verified;
    if (!torrent || chosen.length === 0) return true;
    try {
      const layout = layoutOf(new Uint8Array(await torrent.arrayBuffer()));
      const files = matchFiles(layout, chosen);
      bar.hidden = false;
      bar.max = Math.max(1, layout.meta.length);
      say(status, `Checking ${layout.meta.name} against the torrent's pieces…`);
      const read = (_e: LayoutEntry, i: number) => streamOf(files.get(i)!, () => mine === run);
      let shown = 0;
      const check = await checkPayload(layout, read, (done, total) => {
        bar.value = done;
        const pct = Math.floor((100 * done) / Math.max(1, total));
        if (pct !== shown) say(status, `Checking ${layout.meta.name} against the torrent's pieces… ${(shown = pct)}%`);
      });
      if (mine !== run) return false;
      form.dataset.verified = String(check.ok);
      if (!check.ok) {
        if (layout.meta.version === "v1") rootInput.value = "";
        const what = check.badFiles.length ? `files ${check.badFiles.slice(0, 3).join(", ")}` : `${check.badPieces.length} piece(s) (first: ${check.badPieces[0]})`;
        say(status, `These files are not the torrent's: ${what} differ. No storage root.`, "error");
        return false;
      }
      if (layout.meta.version === "v1") {
        rootInput.value = check.storageRoot;
        say(status, `Every piece matches. Storage root ${check.storageRoot}.`, "ok");
      } else say(status, `Every file matches its BEP 52 pieces root: a ${layout.meta.version} torrent needs no storage root.`, "ok");
      return true;
    } catch (e) {
      if (e instanceof Superseded) return false;
      if (mine === run) {
        form.dataset.verified = "false";
        say(status, describe(e), "error");
      }
      return false;
    }
  };

  const start = () => {
    pending = compute();
  };
  torrentInput.addEventListener("change", start);
  for (const i of payloadInputs) i.addEventListener("change", start);
  // Sent only once the chosen files have been checked; without chosen files, as typed. The
  // submit event comes after the browser's own validation, so submit() skips nothing.
  form.addEventListener("submit", (e) => {
    if (!pending) return;
    e.preventDefault();
    void pending.then((ok) => {
      if (ok) form.submit();
    });
  });
}
