// A deterministic test torrent (private, 3 pieces, a short last block) with its storage
// tree, built the same way on the Node side (the TCP seeder) and inside workerd (tests).

import { sha1 } from "@noble/hashes/legacy.js";
import { encode } from "../../../protocol/bencode.ts";
import { BLOCK_SIZE } from "../../../protocol/params.ts";
import { concatBytes, toHex } from "../../../protocol/hex.ts";
import { StorageTreeBuilder, type StorageTree } from "../../../protocol/merkle/storage-tree.ts";
import { parseTorrent } from "../../../protocol/torrent.ts";

export const PIECE_LENGTH = 2 * BLOCK_SIZE;

/** Bytes from a fixed xorshift stream: the same payload on every run and on both sides. */
export function payload(length: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export interface Fixture {
  data: Uint8Array;
  torrent: Uint8Array;
  infoHash: string;
  tree: StorageTree;
  storageRoot: string;
}

export function makeTorrent(data: Uint8Array, opts: { name?: string; private?: boolean; pieceLength?: number } = {}): Uint8Array {
  const pieceLength = opts.pieceLength ?? PIECE_LENGTH;
  const pieces: Uint8Array[] = [];
  for (let o = 0; o < data.length; o += pieceLength) pieces.push(sha1(data.subarray(o, o + pieceLength)));
  return encode({
    announce: "http://tracker.invalid/announce",
    info: { name: opts.name ?? "fixture.bin", "piece length": pieceLength, length: data.length, pieces: concatBytes(...pieces), private: opts.private === false ? undefined : 1 },
  });
}

export function fixture(length = 5 * BLOCK_SIZE + 1_000, seed?: number, name?: string): Fixture {
  const data = payload(length, seed);
  const torrent = makeTorrent(data, { name });
  const tree = new StorageTreeBuilder().update(data).finish();
  return { data, torrent, infoHash: parseTorrent(torrent).infoHash, tree, storageRoot: toHex(tree.root) };
}
