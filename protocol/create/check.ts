// Checking local files against a .torrent and computing its storage root from them: what the
// upload page runs in the browser before it sends a torrent. A v1 root is only worth sending
// when the bytes it was computed from are the bytes the torrent's SHA-1 pieces describe;
// v2 and hybrid files are checked against their BEP 52 pieces roots as well.

import { asBytes, asDict, asList, decode } from "../bencode.ts";
import { bytesEqual, toHex, utf8Decode } from "../hex.ts";
import { parseTorrent, type TorrentMeta } from "../torrent.ts";
import { hashPayload, type LayoutEntry, type Progress, type ReadFile } from "./layout.ts";

export interface TorrentLayout {
  meta: TorrentMeta;
  /** The piece space's entries in order (v1 and hybrid: info.files with pad files; v2: the file tree). */
  entries: LayoutEntry[];
  /** Concatenated SHA-1 piece hashes (v1 and hybrid). */
  pieces?: Uint8Array;
}

export interface PayloadCheck {
  ok: boolean;
  /** Indices of v1 pieces whose SHA-1 differs. */
  badPieces: number[];
  /** Paths of files whose BEP 52 pieces root differs. */
  badFiles: string[];
  /** The storage root (hex) of a v1 torrent's payload; "" for v2 and hybrid. */
  storageRoot: string;
}

/** Reads a .torrent's layout (throws BencodeError as parseTorrent does on a bad one). */
export function layoutOf(torrent: Uint8Array): TorrentLayout {
  const meta = parseTorrent(torrent);
  const info = asDict(asDict(decode(torrent), "torrent").info, "info");
  if (meta.version === "v2") return { meta, entries: meta.v2Files!.map((f) => ({ path: f.path.split("/"), length: f.length, pad: false })) };
  const pieces = asBytes(info.pieces, "info.pieces");
  if (info.files === undefined) return { meta, entries: [{ path: [meta.name], length: meta.length, pad: false }], pieces };
  const entries = asList(info.files, "info.files").map((f, i) => {
    const d = asDict(f, `info.files[${i}]`);
    const attr = d.attr instanceof Uint8Array ? utf8Decode(d.attr) : "";
    return { path: meta.files[i]!.path.split("/"), length: meta.files[i]!.length, pad: attr.includes("p") };
  });
  return { meta, entries, pieces };
}

/** Hashes the local files in one pass and compares them with the torrent. */
export async function checkPayload(layout: TorrentLayout, read: ReadFile, progress?: Progress): Promise<PayloadCheck> {
  const { meta, entries } = layout;
  const v1 = meta.version === "v1";
  const hashes = await hashPayload(entries, read, { pieceLength: meta.pieceLength, pieces: layout.pieces !== undefined, storageTree: v1, fileTrees: !v1 }, progress);
  const badPieces: number[] = [];
  if (layout.pieces) {
    for (let i = 0; i * 20 < layout.pieces.length; i++)
      if (!bytesEqual(layout.pieces.subarray(i * 20, i * 20 + 20), hashes.pieces!.subarray(i * 20, i * 20 + 20))) badPieces.push(i);
  }
  const badFiles: string[] = [];
  if (!v1) {
    const roots = new Map(meta.v2Files!.map((f) => [f.path, f.piecesRoot ?? ""]));
    entries.forEach((e, i) => {
      if (e.pad) return;
      const tree = hashes.fileTrees[i];
      if ((tree ? toHex(tree.root) : "") !== roots.get(e.path.join("/"))) badFiles.push(e.path.join("/"));
    });
  }
  const ok = badPieces.length === 0 && badFiles.length === 0;
  return { ok, badPieces, badFiles, storageRoot: v1 && ok ? toHex(hashes.storageTree!.root) : "" };
}
