// libtorrent's BEP 52 hybrid torrent (protocol/vectors/bep52/) and its payload, laid out in
// the torrent's piece space (v1 files with their pad files), for a seeder on the Node side.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { concatBytes, fromHex, toHex } from "../../../protocol/hex.ts";
import { StorageTreeBuilder, type StorageTree } from "../../../protocol/merkle/storage-tree.ts";
import { parseTorrent } from "../../../protocol/torrent.ts";
import reference from "../../../protocol/vectors/bep52/libtorrent.json" with { type: "json" };
import type { SeederOptions } from "./seeder.ts";

const gen = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 9)) & 0xff);

export function hybridSeederOptions(): { torrent: Uint8Array; options: SeederOptions } {
  const torrent = new Uint8Array(readFileSync(join(import.meta.dirname, "../../../protocol/vectors/bep52/hybrid.torrent")));
  const meta = parseTorrent(torrent);
  const byPath = new Map(reference.files.map((f) => [f.path, gen(f.length, f.seed)]));
  // Pad files are zeros; real files are the reference payload.
  const data = concatBytes(...meta.files.map((f) => byPath.get(f.path) ?? new Uint8Array(f.length)));
  const trees = new Map<string, StorageTree>();
  for (const f of meta.v2Files!) {
    const tree = new StorageTreeBuilder().update(byPath.get(f.path)!).finish();
    if (toHex(tree.root) !== f.piecesRoot) throw new Error(`payload of ${f.path} does not match its pieces root`);
    trees.set(toHex(tree.root), tree);
  }
  const tree = new StorageTreeBuilder().update(data).finish();
  return { torrent, options: { infoHash: fromHex(meta.infoHash), data, pieceLength: meta.pieceLength, tree, trees } };
}
