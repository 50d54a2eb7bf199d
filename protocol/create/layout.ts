// A payload as a torrent lays it out, and one pass over it that computes every hash the torrent
// (or a check of it) needs: the v1 pieces over the piece space (BEP 47 pad files read as
// zeros), the storage tree over that same space (DESIGN.md "Storage root": what v1 pieces
// cover, in info-dict order), and each real file's BEP 52 tree.

import { PieceHasher, TreeHasher, type TreeHashes } from "./hashers.ts";

export interface LayoutEntry {
  /** Path elements under the torrent's name (a single-file torrent's one entry: [name]). */
  path: string[];
  length: number;
  /** A BEP 47 pad file: zeros that keep the next file on a piece boundary, never read from disk. */
  pad: boolean;
}

/** Where a real file's bytes come from: Node's file stream, a browser File, bytes in memory. */
export type ReadFile = (entry: LayoutEntry, index: number) => AsyncIterable<Uint8Array>;

export interface HashWanted {
  pieceLength: number;
  /** SHA-1 pieces over the piece space (v1 and hybrid). */
  pieces: boolean;
  /** The storage tree over the piece space (v1). */
  storageTree: boolean;
  /** Each real file's own tree and piece layer (v2 and hybrid: the piece length is a power of two). */
  fileTrees: boolean;
}

export interface PayloadHashes {
  pieces?: Uint8Array;
  storageTree?: TreeHashes;
  /** By entry index; undefined for pad files, empty files, or when not wanted. */
  fileTrees: (TreeHashes | undefined)[];
  length: number;
}

/** Bytes done and the total, after each chunk. */
export type Progress = (done: number, total: number) => void;

const ZEROS = new Uint8Array(1 << 20);

async function* zeros(length: number): AsyncIterable<Uint8Array> {
  for (let o = 0; o < length; o += ZEROS.length) yield ZEROS.subarray(0, Math.min(ZEROS.length, length - o));
}

export class PayloadSizeError extends Error {
  override name = "PayloadSizeError";
}

/** Reads every entry once, in order, feeding each hasher; a file whose size changed is refused. */
export async function hashPayload(entries: LayoutEntry[], read: ReadFile, want: HashWanted, progress?: Progress): Promise<PayloadHashes> {
  const total = entries.reduce((s, e) => s + e.length, 0);
  const pieces = want.pieces ? new PieceHasher(want.pieceLength) : undefined;
  const storage = want.storageTree ? new TreeHasher() : undefined;
  const fileTrees: (TreeHashes | undefined)[] = [];
  let done = 0;
  for (const [i, entry] of entries.entries()) {
    const own = want.fileTrees && !entry.pad ? new TreeHasher(want.pieceLength) : undefined;
    let seen = 0;
    for await (const chunk of entry.pad ? zeros(entry.length) : read(entry, i)) {
      seen += chunk.length;
      if (seen > entry.length) break;
      await Promise.all([pieces?.update(chunk), storage?.update(chunk), own?.update(chunk)]);
      done += chunk.length;
      progress?.(done, total);
    }
    if (seen !== entry.length) throw new PayloadSizeError(`${entry.path.join("/")}: expected ${entry.length} bytes, read ${seen > entry.length ? "more" : seen} (did it change?)`);
    fileTrees.push(own ? await own.finish() : undefined);
  }
  return { pieces: await pieces?.finish(), storageTree: await storage?.finish(), fileTrees, length: total };
}
