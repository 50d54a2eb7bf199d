// A torrent's payload on disk: data/<name> for a single file, data/<name>/<path…> for many,
// as webtorrent lays it out with `path: data/`. The storage tree is built by streaming the
// files in info-dict order (DESIGN.md "Storage root"), never holding a payload in memory.

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, rm, rmdir, stat } from "node:fs/promises";
import { dirname, join, sep } from "node:path";
import { asBytes, asDict, asInt, decode } from "../../protocol/bencode.ts";
import { buildStorageTree, HASH_SIZE, type StorageTree } from "../../protocol/merkle/storage-tree.ts";
import { BLOCK_SIZE } from "../../protocol/params.ts";

export interface PayloadLayout {
  name: string;
  files: { path: string; length: number }[];
}

/** Absolute paths of the payload's files, in info-dict order. */
export function payloadPaths(dataDir: string, t: PayloadLayout): string[] {
  if (t.files.length === 1 && (t.files[0]!.path === "" || t.files[0]!.path === t.name)) return [join(dataDir, t.name)];
  return t.files.map((f) => join(dataDir, t.name, ...f.path.split("/")));
}

/** True when every file exists with its exact length (a cheap check before hashing). */
export async function payloadPresent(dataDir: string, t: PayloadLayout): Promise<boolean> {
  const paths = payloadPaths(dataDir, t);
  // Every challenge asks this first: files are stat'ed 32 at a time, not one after another
  // (a many-file torrent waited one threadpool round per file), nor all at once (the block
  // reads share that threadpool).
  const isThere = (p: string, i: number) =>
    stat(p).then(
      (s) => s.isFile() && s.size === t.files[i]!.length,
      () => false,
    );
  for (let i = 0; i < paths.length; i += 32) {
    const batch = await Promise.all(paths.slice(i, i + 32).map((p, j) => isThere(p, i + j)));
    if (!batch.every(Boolean)) return false;
  }
  return true;
}

/**
 * Payload bytes on disk: the real sizes of the payload's files that exist (a partial
 * download counts for what webtorrent has written, sparse files at their apparent size).
 */
export async function payloadBytesOnDisk(dataDir: string, t: PayloadLayout): Promise<number> {
  let n = 0;
  for (const p of payloadPaths(dataDir, t)) {
    try {
      const s = await stat(p);
      if (s.isFile()) n += s.size;
    } catch {
      // absent: nothing on disk
    }
  }
  return n;
}

/**
 * Deletes the payload's files, then the folders they leave empty up to data/<name>; other
 * files in those folders are left alone.
 */
export async function deletePayload(dataDir: string, t: PayloadLayout): Promise<void> {
  const paths = payloadPaths(dataDir, t);
  for (const p of paths) await rm(p, { force: true });
  const top = join(dataDir, t.name);
  const dirs = new Set<string>();
  for (const p of paths) for (let d = dirname(p); d === top || d.startsWith(top + sep); d = dirname(d)) dirs.add(d);
  // Deepest first; rmdir fails (and is ignored) on a folder that still holds something.
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) await rmdir(d).catch(() => {});
}

/**
 * Streams the files through the storage tree (the same tree as protocol's StorageTreeBuilder,
 * leaves hashed by node:crypto: several times faster); `onChunk` sees every chunk (progress,
 * and the v1 piece check of the same pass: PieceCheck).
 */
export async function storageTreeFromFiles(paths: string[], onChunk?: (chunk: Uint8Array) => void): Promise<StorageTree> {
  // One read buffer and the leaves sized from the files' lengths: a 5 GiB pass allocates
  // nothing per chunk, so no freed chunks stay in the allocator's arenas (bench/node.ts RSS).
  const sizes = await Promise.all(paths.map(async (p) => (await stat(p)).size));
  let leaves = new Uint8Array(Math.max(1, Math.ceil(sizes.reduce((a, b) => a + b, 0) / BLOCK_SIZE)) * HASH_SIZE);
  let count = 0;
  let total = 0;
  const buf = Buffer.allocUnsafe(1 << 20);
  const pending = Buffer.alloc(BLOCK_SIZE);
  let filled = 0;
  const leaf = (block: Uint8Array) => {
    if ((count + 1) * HASH_SIZE > leaves.length) {
      // The file grew while read: the tree will not match, but it must still be built.
      const grown = new Uint8Array(leaves.length * 2);
      grown.set(leaves);
      leaves = grown;
    }
    leaves.set(createHash("sha256").update(block).digest(), count++ * HASH_SIZE);
  };
  for (const p of paths) {
    const fh = await open(p, "r");
    try {
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        let o = 0;
        // Whole blocks straight from the chunk; a block split across chunks or files goes through `pending`.
        if (filled > 0) {
          const n = Math.min(BLOCK_SIZE - filled, chunk.length);
          chunk.copy(pending, filled, 0, n);
          filled += n;
          o = n;
          if (filled === BLOCK_SIZE) {
            leaf(pending);
            filled = 0;
          }
        }
        for (; o + BLOCK_SIZE <= chunk.length; o += BLOCK_SIZE) leaf(chunk.subarray(o, o + BLOCK_SIZE));
        if (o < chunk.length) filled = chunk.copy(pending, 0, o);
        total += chunk.length;
        onChunk?.(chunk);
      }
    } finally {
      await fh.close();
    }
  }
  if (filled > 0) leaf(pending.subarray(0, filled));
  return buildStorageTree(leaves.subarray(0, count * HASH_SIZE), total);
}

export function storageTreeOfPayload(dataDir: string, t: PayloadLayout, onChunk?: (chunk: Uint8Array) => void): Promise<StorageTree> {
  return storageTreeFromFiles(payloadPaths(dataDir, t), onChunk);
}

/**
 * The v1 piece hashes checked as the payload streams by, in the pass that builds the storage
 * tree: the node reads its payload once at start and webtorrent, told the pieces are checked
 * (skipVerify), reads none of it again.
 */
export class PieceCheck {
  private hash = createHash("sha1");
  private filled = 0;
  private index = 0;
  private good = true;
  private readonly pieceLength: number;
  private readonly hashes: Uint8Array;
  constructor(pieceLength: number, hashes: Uint8Array) {
    this.pieceLength = pieceLength;
    this.hashes = hashes;
  }

  update(chunk: Uint8Array): void {
    for (let o = 0; o < chunk.length && this.good; ) {
      const n = Math.min(this.pieceLength - this.filled, chunk.length - o);
      this.hash.update(chunk.subarray(o, o + n));
      this.filled += n;
      o += n;
      if (this.filled === this.pieceLength) this.endPiece();
    }
  }

  /** True when every piece matched and the payload had exactly the torrent's pieces. */
  finish(): boolean {
    if (this.filled > 0) this.endPiece();
    return this.good && this.index * 20 === this.hashes.length;
  }

  private endPiece(): void {
    const want = this.hashes.subarray(this.index * 20, this.index * 20 + 20);
    if (want.length !== 20 || !this.hash.digest().equals(want)) this.good = false;
    this.index++;
    this.hash = createHash("sha1");
    this.filled = 0;
  }
}

/**
 * True when every v1 piece of the payload matches the .torrent's SHA-1 hash. Right sizes
 * are not enough: webtorrent writes pieces at their offsets, so a file of a partial download
 * reaches its full size as soon as its last piece lands.
 */
export async function piecesComplete(dataDir: string, t: PayloadLayout, torrentFile: Uint8Array): Promise<boolean> {
  if (!(await payloadPresent(dataDir, t))) return false;
  const info = asDict(asDict(decode(torrentFile), "torrent").info, "info");
  const pieceLength = asInt(info["piece length"], "piece length");
  const hashes = asBytes(info.pieces, "pieces");
  let index = 0;
  let hash = createHash("sha1");
  let filled = 0;
  let good = true;
  const endPiece = () => {
    if (!Buffer.from(hash.digest()).equals(hashes.subarray(index * 20, index * 20 + 20))) good = false;
    index++;
    hash = createHash("sha1");
    filled = 0;
  };
  for (const p of payloadPaths(dataDir, t)) {
    for await (const chunk of createReadStream(p, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      for (let o = 0; o < chunk.length && good; ) {
        const n = Math.min(pieceLength - filled, chunk.length - o);
        hash.update(chunk.subarray(o, o + n));
        filled += n;
        o += n;
        if (filled === pieceLength) endPiece();
      }
      if (!good) return false;
    }
  }
  if (filled > 0) endPiece();
  return good && index * 20 === hashes.length;
}
