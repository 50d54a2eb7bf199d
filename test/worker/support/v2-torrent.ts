// BEP 52 torrents made by hand with protocol/bencode.ts (no library here writes v2): a
// `file tree` of dictionaries keyed by path elements whose empty key holds `length` and
// `pieces root`, `meta version` 2, and `piece layers` for files larger than a piece. With
// `hybrid`, the same payload is also described as v1 (`files` with BEP 47 pad files so every
// file starts on a piece boundary, and SHA-1 `pieces` over that piece space).

import { sha1 } from "@noble/hashes/legacy.js";
import { encode, type BInput } from "../../../protocol/bencode.ts";
import { BLOCK_SIZE } from "../../../protocol/params.ts";
import { bytesToBinary, concatBytes, toHex, utf8Encode } from "../../../protocol/hex.ts";
import { buildStorageTree, hashBlock, type StorageTree } from "../../../protocol/merkle/storage-tree.ts";
import { parseTorrent, pieceLayer, type TorrentMeta } from "../../../protocol/torrent.ts";

export interface V2InputFile {
  path: string[];
  data: Uint8Array;
}

export interface V2Torrent {
  torrent: Uint8Array;
  meta: TorrentMeta;
  /** The payload in the torrent's piece space (each file padded to a piece boundary but the last). */
  pieceSpace: Uint8Array;
  /** Per-file trees by pieces root (hex), what a seeder answers tree requests from. */
  trees: Map<string, StorageTree>;
}

/** Keys of bencoded dictionaries are binary strings; path elements are UTF-8. */
const key = (s: string) => bytesToBinary(utf8Encode(s));

function fileTree(files: V2InputFile[]): StorageTree[] {
  return files.map((f) => {
    const leaves: Uint8Array[] = [];
    for (let o = 0; o < f.data.length; o += BLOCK_SIZE) leaves.push(hashBlock(f.data.subarray(o, o + BLOCK_SIZE)));
    return buildStorageTree(leaves, f.data.length);
  });
}

export function makeV2Torrent(input: V2InputFile[], opts: { name: string; pieceLength: number; hybrid?: boolean }): V2Torrent {
  // The file tree's order is its keys' byte order, path element by path element.
  const files = [...input].sort((a, b) => {
    for (let i = 0; i < Math.min(a.path.length, b.path.length); i++) {
      const x = key(a.path[i]!), y = key(b.path[i]!);
      if (x !== y) return x < y ? -1 : 1;
    }
    return a.path.length - b.path.length;
  });
  const trees = fileTree(files);
  const tree: Record<string, BInput> = {};
  const layers: Record<string, BInput> = {};
  files.forEach((f, i) => {
    let dir = tree;
    for (const el of f.path.slice(0, -1)) dir = (dir[key(el)] ??= {}) as Record<string, BInput>;
    const leaf: Record<string, BInput> = { length: f.data.length };
    if (f.data.length > 0) leaf["pieces root"] = trees[i]!.root;
    dir[key(f.path.at(-1)!)] = { "": leaf };
    if (f.data.length > opts.pieceLength) {
      const leafHashes = Array.from({ length: trees[i]!.leafCount }, (_, j) => trees[i]!.levels[0]!.slice(j * 32, (j + 1) * 32));
      layers[bytesToBinary(trees[i]!.root)] = pieceLayer(leafHashes, opts.pieceLength);
    }
  });
  const info: Record<string, BInput> = { name: opts.name, "piece length": opts.pieceLength, "meta version": 2, "file tree": tree, private: 1 };
  const parts: Uint8Array[] = [];
  const v1Files: BInput[] = [];
  files.forEach((f, i) => {
    parts.push(f.data);
    v1Files.push({ length: f.data.length, path: f.path });
    const pad = i < files.length - 1 && f.data.length % opts.pieceLength ? opts.pieceLength - (f.data.length % opts.pieceLength) : 0;
    if (pad > 0) {
      parts.push(new Uint8Array(pad));
      v1Files.push({ attr: "p", length: pad, path: [".pad", String(pad)] });
    }
  });
  const pieceSpace = concatBytes(...parts);
  if (opts.hybrid) {
    const pieces: Uint8Array[] = [];
    for (let o = 0; o < pieceSpace.length; o += opts.pieceLength) pieces.push(sha1(pieceSpace.subarray(o, o + opts.pieceLength)));
    info.pieces = concatBytes(...pieces);
    if (files.length === 1 && files[0]!.path.length === 1 && files[0]!.path[0] === opts.name) info.length = files[0]!.data.length;
    else info.files = v1Files;
  }
  const torrent = encode({ announce: "http://tracker.invalid/announce", info, "piece layers": layers });
  return { torrent, meta: parseTorrent(torrent), pieceSpace, trees: new Map(trees.map((t) => [toHex(t.root), t])) };
}

/** The sample hybrid torrent of the worker tests: two files, one larger than a piece, one short. */
export function sampleHybrid(): V2Torrent {
  const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 9)) & 0xff);
  return makeV2Torrent(
    [
      { path: ["disc", "track01.bin"], data: bytes(5 * BLOCK_SIZE + 1234, 1) },
      { path: ["readme.txt"], data: bytes(20_000, 2) },
    ],
    { name: "hybrid-set", pieceLength: 2 * BLOCK_SIZE, hybrid: true },
  );
}
