// Making a private .torrent (BEP 3, BEP 27; BEP 52 for v2 and hybrid) and its storage root, as
// `vidya torrent create` does. The layout follows libtorrent, the BEP 52 reference: files in the
// file tree's order (path elements compared as UTF-8 bytes) for every version, and in a hybrid
// torrent a BEP 47 pad file after every file that does not end on a piece boundary, so each
// v2 file starts a piece (its per-file tree then covers whole pieces of the v1 space).

import { encode, type BInput } from "../bencode.ts";
import { bytesToBinary, toHex, utf8Encode } from "../hex.ts";
import { BLOCK_SIZE, MAX_TORRENT_LENGTH } from "../params.ts";
import { checkPieceLength, hasUnsafeChars, parseTorrent, type MetaVersion, type TorrentMeta } from "../torrent.ts";
import { hashPayload, type LayoutEntry, type Progress, type ReadFile } from "./layout.ts";

export interface CreateInput {
  /** info.name: the file's name for a single file, the folder's otherwise. */
  name: string;
  /** Paths under the name with their lengths; a single file is [{ path: [name], length }] with `singleFile`. */
  files: { path: string[]; length: number }[];
  singleFile: boolean;
  version: MetaVersion;
  /** Bytes; default choosePieceLength(total). */
  pieceLength?: number;
  announce?: string;
  createdBy?: string;
}

export interface Created {
  torrent: Uint8Array;
  meta: TorrentMeta;
  /** Hex root of the storage tree for v1; "" for v2 and hybrid, whose per-file roots are the commitment. */
  storageRoot: string;
}

/** Keys of bencoded dictionaries are binary strings; path elements are UTF-8. */
const key = (s: string) => bytesToBinary(utf8Encode(s));

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The file tree's order: path element by element, each compared as UTF-8 bytes, a folder's files after its shorter prefixes. */
export function treeOrder<T extends { path: string[] }>(files: T[]): T[] {
  return [...files].sort((a, b) => {
    for (let i = 0; i < Math.min(a.path.length, b.path.length); i++) {
      const c = compareBytes(key(a.path[i]!), key(b.path[i]!));
      if (c !== 0) return c;
    }
    return a.path.length - b.path.length;
  });
}

/**
 * A piece length for `total` bytes, as libtorrent picks one: about a thousand pieces, a power of
 * two between 16 KiB and 16 MiB (a power of two fits every version: BEP 52 needs one).
 */
export function choosePieceLength(total: number): number {
  let p = BLOCK_SIZE;
  while (p < 16 * 1024 * 1024 && total / p > 1024) p *= 2;
  return p;
}

/** Refuses what parseTorrent (and the index) would refuse, before any byte is hashed. */
export function checkCreateInput(input: CreateInput): void {
  const bad = (s: string) => !s || s === "." || s === ".." || s.includes("/") || hasUnsafeChars(s);
  if (bad(input.name)) throw new Error(`"${input.name}" cannot be a torrent's name (empty, . or .., a slash, or a control character)`);
  if (input.files.length === 0) throw new Error("nothing to put in the torrent: no files");
  for (const f of input.files) if (f.path.length === 0 || f.path.some(bad)) throw new Error(`"${f.path.join("/")}" cannot be a path in a torrent (a control or bidirectional character, or . or ..)`);
  if (input.singleFile && (input.files.length !== 1 || input.files[0]!.path.join("/") !== input.name)) throw new Error("a single-file torrent's one file is named by the torrent's name");
  const total = input.files.reduce((s, f) => s + f.length, 0);
  if (total <= 0) throw new Error("nothing to put in the torrent: every file is empty");
  if (total > MAX_TORRENT_LENGTH) throw new Error(`the payload may be at most ${MAX_TORRENT_LENGTH} bytes`);
  if (input.pieceLength !== undefined) checkPieceLength(input.pieceLength, input.version !== "v1");
}

/** The entries of the piece space in order: the files, with pad files between them in a multi-file hybrid. */
export function createLayout(input: CreateInput, pieceLength: number): LayoutEntry[] {
  const files = treeOrder(input.files);
  const entries: LayoutEntry[] = [];
  for (const f of files) {
    entries.push({ path: f.path, length: f.length, pad: false });
    const rest = f.length % pieceLength;
    // libtorrent pads the last file too; a single file needs no pad (nothing follows it).
    if (input.version === "hybrid" && !input.singleFile && rest > 0) entries.push({ path: [".pad", String(pieceLength - rest)], length: pieceLength - rest, pad: true });
  }
  return entries;
}

/** Hashes the payload (one pass, `read` streams each file) and encodes the torrent. */
export async function createTorrent(input: CreateInput, read: ReadFile, progress?: Progress): Promise<Created> {
  checkCreateInput(input);
  const total = input.files.reduce((s, f) => s + f.length, 0);
  const pieceLength = input.pieceLength ?? choosePieceLength(total);
  checkPieceLength(pieceLength, input.version !== "v1");
  const entries = createLayout(input, pieceLength);
  const v1 = input.version !== "v2";
  const v2 = input.version !== "v1";
  const hashes = await hashPayload(entries, read, { pieceLength, pieces: v1, storageTree: input.version === "v1", fileTrees: v2 }, progress);

  const info: Record<string, BInput> = { name: input.name, "piece length": pieceLength, private: 1 };
  const top: Record<string, BInput> = {};
  if (v1) {
    info.pieces = hashes.pieces!;
    if (input.singleFile) info.length = entries[0]!.length;
    else info.files = entries.map((e) => (e.pad ? { attr: "p", length: e.length, path: e.path } : { length: e.length, path: e.path }));
  }
  if (v2) {
    const tree: Record<string, BInput> = {};
    const layers: Record<string, BInput> = {};
    entries.forEach((e, i) => {
      if (e.pad) return;
      const t = hashes.fileTrees[i];
      let dir = tree;
      for (const el of e.path.slice(0, -1)) dir = (dir[key(el)] ??= {}) as Record<string, BInput>;
      dir[key(e.path.at(-1)!)] = { "": t ? { length: e.length, "pieces root": t.root } : { length: 0 } };
      // BEP 52: piece layers for files larger than one piece; smaller ones are their own layer.
      if (t?.pieceLayer) layers[bytesToBinary(t.root)] = t.pieceLayer;
    });
    info["meta version"] = 2;
    info["file tree"] = tree;
    top["piece layers"] = layers;
  }
  if (input.announce) top.announce = input.announce;
  if (input.createdBy) top["created by"] = input.createdBy;
  const torrent = encode({ ...top, info });
  // What we wrote must read back as the index will read it.
  const meta = parseTorrent(torrent);
  return { torrent, meta, storageRoot: hashes.storageTree ? toHex(hashes.storageTree.root) : "" };
}
