// Saved piece state (issue 15 part 3). When the node seeds a payload it has checked (every v1
// piece and the storage root), it saves each file's size, mtime and ctime and the storage
// trees over the files. On restart, files with the same stamps are trusted as they were: the
// payload seeds at once (webtorrent's skipVerify) from the saved trees. A file whose stamp
// moved, at the same size, has only its own pieces and blocks hashed again. ctime moves on
// every write and every utimes, so data rewritten with its old mtime put back is still caught.

import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildStorageTree, HASH_SIZE, treeDepth, type StorageTree } from "../../protocol/merkle/storage-tree.ts";
import { BLOCK_SIZE } from "../../protocol/params.ts";
import { hashUnits, unitsOfFile, type HashCount, type Layout } from "./spans.ts";

export interface FileStamp {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

/** A storage tree over some of the payload's files in order (v1: all of them; hybrid: one each). */
export interface TreeUnit {
  files: number[];
  tree: StorageTree;
}

interface ResumeRecord {
  version: 1;
  infoHash: string;
  files: FileStamp[];
  units: { files: number[]; totalLength: number }[];
}

/** Each file's stamp now; undefined when one is missing or not a regular file. */
export async function stampFiles(paths: string[]): Promise<FileStamp[] | undefined> {
  const out: FileStamp[] = [];
  for (const p of paths) {
    const s = await stat(p).catch(() => undefined);
    if (!s?.isFile()) return undefined;
    out.push({ size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs });
  }
  return out;
}

const recordPath = (dir: string, ih: string) => join(dir, `${ih}.json`);
const treesPath = (dir: string, ih: string) => join(dir, `${ih}.trees`);

/**
 * Saves the state of a checked payload: `stamps` taken before it was checked, so a write
 * during the check leaves a stamp that no longer matches. The record is written last, by
 * rename: a record on disk always has its trees beside it.
 */
export async function saveResume(dir: string, infoHash: string, stamps: FileStamp[], units: TreeUnit[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  // The old record goes first: a crash while the trees are rewritten leaves no record at all.
  await rm(recordPath(dir, infoHash), { force: true });
  const record: ResumeRecord = { version: 1, infoHash, files: stamps, units: units.map((u) => ({ files: u.files, totalLength: u.tree.totalLength })) };
  // Level by level: a copy of all of them at once would be the tree's size again in memory.
  const fh = await open(treesPath(dir, infoHash), "w");
  try {
    for (const u of units) for (const level of u.tree.levels) await fh.write(level);
  } finally {
    await fh.close();
  }
  await writeFile(`${recordPath(dir, infoHash)}.tmp`, JSON.stringify(record));
  await rename(`${recordPath(dir, infoHash)}.tmp`, recordPath(dir, infoHash));
}

export async function forgetResume(dir: string, infoHash: string): Promise<void> {
  await rm(recordPath(dir, infoHash), { force: true });
  await rm(treesPath(dir, infoHash), { force: true });
}

export interface Resumed {
  /** The trees as saved: those over changed files still to be refreshed (refreshUnits). */
  units: TreeUnit[];
  /** Indices of the files whose stamp moved since the save (same size). */
  changed: number[];
  /** The stamps now, to save once the changed files are checked. */
  stamps: FileStamp[];
}

/**
 * The saved state of `infoHash` if it still describes the files at `paths`: same count, every
 * size equal. undefined otherwise (no record, a file gone or resized, a damaged trees file):
 * the caller checks the payload from scratch.
 */
export async function loadResume(dir: string, infoHash: string, paths: string[]): Promise<Resumed | undefined> {
  let record: ResumeRecord;
  try {
    record = JSON.parse(await readFile(recordPath(dir, infoHash), "utf8")) as ResumeRecord;
  } catch {
    return undefined;
  }
  const stamps = await stampFiles(paths);
  if (record.version !== 1 || record.infoHash !== infoHash || !stamps || record.files.length !== stamps.length) return undefined;
  if (stamps.some((s, i) => s.size !== record.files[i]!.size)) return undefined;
  const units = await readTrees(treesPath(dir, infoHash), record.units).catch(() => undefined);
  if (!units) return undefined;
  const changed = stamps.flatMap((s, i) => (s.mtimeMs !== record.files[i]!.mtimeMs || s.ctimeMs !== record.files[i]!.ctimeMs ? [i] : []));
  return { units, changed, stamps };
}

/** The saved levels read straight into each tree's own arrays; undefined when the file's size is not theirs. */
async function readTrees(path: string, saved: ResumeRecord["units"]): Promise<TreeUnit[] | undefined> {
  const fh = await open(path, "r");
  try {
    const units: TreeUnit[] = [];
    let at = 0;
    for (const u of saved) {
      const levels: Uint8Array[] = [];
      for (let width = (1 << treeDepth(u.totalLength)) * HASH_SIZE; width >= HASH_SIZE; width /= 2) {
        const level = new Uint8Array(width);
        if ((await fh.read(level, 0, width, at)).bytesRead !== width) return undefined;
        at += width;
        levels.push(level);
      }
      const leafCount = Math.ceil(u.totalLength / BLOCK_SIZE);
      units.push({ files: u.files, tree: { totalLength: u.totalLength, leafCount, levels, root: levels[levels.length - 1]!.slice(0, HASH_SIZE) } });
    }
    return at === (await fh.stat()).size ? units : undefined;
  } finally {
    await fh.close();
  }
}

/**
 * True when every v1 piece holding a byte of a changed file matches the .torrent's SHA-1
 * (`pieces`: the info dict's 20-byte hashes); only those pieces are read.
 */
export async function changedPiecesValid(layout: Layout, pieceLength: number, pieces: Uint8Array, changed: number[], count?: HashCount): Promise<boolean> {
  const indices = new Set(changed.flatMap((i) => unitsOfFile(layout, i, pieceLength)));
  const digests = await hashUnits(layout, pieceLength, indices, "sha1", count);
  for (const [i, d] of digests) if (!d.equals(pieces.subarray(i * 20, i * 20 + 20))) return false;
  return digests.size === indices.size;
}

/** Re-hashes the blocks of each tree that hold a byte of a changed file, and rebuilds those trees. */
export async function refreshUnits(layout: Layout, units: TreeUnit[], changed: number[], count?: HashCount): Promise<TreeUnit[]> {
  const out: TreeUnit[] = [];
  for (const u of units) {
    const mine = changed.filter((i) => u.files.includes(i)).map((i) => u.files.indexOf(i));
    if (mine.length === 0) {
      out.push(u);
      continue;
    }
    const sub: Layout = { paths: u.files.map((i) => layout.paths[i]!), lengths: u.files.map((i) => layout.lengths[i]!) };
    const leaves = u.tree.levels[0]!.slice(0, u.tree.leafCount * HASH_SIZE);
    const digests = await hashUnits(sub, BLOCK_SIZE, mine.flatMap((i) => unitsOfFile(sub, i, BLOCK_SIZE)), "sha256", count);
    for (const [b, d] of digests) leaves.set(d, b * HASH_SIZE);
    out.push({ files: u.files, tree: buildStorageTree(leaves, u.tree.totalLength) });
  }
  return out;
}
