// Hashing fixed-size runs of a payload laid out over several files: v1 pieces (SHA-1, the
// .torrent's piece length) and storage-tree blocks (SHA-256, 16 KiB) alike. Only the runs
// asked for are read, so a restart re-hashes what changed and nothing else (resume.ts).
// node:crypto hashes natively, several times faster than @noble/hashes on 16 KiB blocks.

import { createHash } from "node:crypto";
import { open } from "node:fs/promises";

/** The payload's files in order with their lengths: the concatenation that is hashed. */
export interface Layout {
  paths: string[];
  lengths: number[];
}

export const totalLength = (l: Layout): number => l.lengths.reduce((s, n) => s + n, 0);

/** Byte offset of each file in the concatenation. */
export function fileOffsets(l: Layout): number[] {
  let o = 0;
  return l.lengths.map((n) => ((o += n), o - n));
}

/** Indices of the `size`-byte units that hold any byte of file `i` (none for an empty file). */
export function unitsOfFile(l: Layout, i: number, size: number): number[] {
  const start = fileOffsets(l)[i]!;
  const len = l.lengths[i]!;
  if (len === 0) return [];
  const out: number[] = [];
  for (let u = Math.floor(start / size); u <= Math.floor((start + len - 1) / size); u++) out.push(u);
  return out;
}

/** Counters of what was hashed: the restart test pins that unchanged files cost nothing. */
export interface HashCount {
  units: number;
  bytes: number;
}

/** Reads bytes [start, end) of the concatenation, in chunks of at most 1 MiB. */
async function* readSpan(l: Layout, start: number, end: number): AsyncGenerator<Buffer> {
  const offsets = fileOffsets(l);
  for (let i = 0; i < l.paths.length && start < end; i++) {
    const fStart = offsets[i]!;
    const fEnd = fStart + l.lengths[i]!;
    if (fEnd <= start || fStart >= end) continue;
    const fh = await open(l.paths[i]!, "r");
    try {
      let pos = Math.max(start, fStart);
      const stop = Math.min(end, fEnd);
      while (pos < stop) {
        const buf = Buffer.allocUnsafe(Math.min(1 << 20, stop - pos));
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos - fStart);
        if (bytesRead === 0) throw new Error(`${l.paths[i]} is shorter than its ${l.lengths[i]} bytes`);
        yield buf.subarray(0, bytesRead);
        pos += bytesRead;
      }
    } finally {
      await fh.close();
    }
  }
}

/**
 * Hashes the `size`-byte units `indices` (any order; the last unit may be short) with `algo`,
 * reading each contiguous run once. Returns each unit's digest by index.
 */
export async function hashUnits(l: Layout, size: number, indices: Iterable<number>, algo: "sha1" | "sha256", count?: HashCount): Promise<Map<number, Buffer>> {
  const total = totalLength(l);
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const out = new Map<number, Buffer>();
  for (let r = 0; r < sorted.length; ) {
    let last = r;
    while (last + 1 < sorted.length && sorted[last + 1] === sorted[last]! + 1) last++;
    const first = sorted[r]!;
    let unit = first;
    let hash = createHash(algo);
    let filled = 0;
    const unitEnd = (u: number) => Math.min((u + 1) * size, total) - u * size;
    for await (const chunk of readSpan(l, first * size, Math.min((sorted[last]! + 1) * size, total))) {
      for (let o = 0; o < chunk.length; ) {
        const n = Math.min(unitEnd(unit) - filled, chunk.length - o);
        hash.update(chunk.subarray(o, o + n));
        filled += n;
        o += n;
        if (filled === unitEnd(unit)) {
          out.set(unit++, hash.digest());
          hash = createHash(algo);
          filled = 0;
        }
      }
      if (count) count.bytes += chunk.length;
    }
    if (count) count.units += last - r + 1;
    r = last + 1;
  }
  return out;
}
