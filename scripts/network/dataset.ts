// The sample dataset: a few torrents of deterministic bytes (tens of MB in all), shaped like
// the community's archives (multi-file packs and single files). Same bytes, same info hashes,
// same storage roots on every machine.

import { mkdirSync, writeFileSync, existsSync, readFileSync, createReadStream, renameSync } from "node:fs";
import { join, dirname } from "node:path";
import createTorrent from "create-torrent";
import { parseTorrent } from "../../protocol/torrent.ts";
import { StorageTreeBuilder } from "../../protocol/merkle/storage-tree.ts";
import { toHex } from "../../protocol/hex.ts";

export interface SampleTorrent {
  name: string;
  infoHash: string;
  length: number;
  storageRoot: string;
  torrentPath: string;
  /** Folder holding the payload: `<dataDir>/<name>` is the file or folder named in the info dict. */
  dataDir: string;
}

const MB = 1024 * 1024;
/** name → files (path inside the torrent, size). A single entry with path "" is a single-file torrent. */
export const SAMPLE_LAYOUT: Record<string, { path: string; size: number }[]> = {
  "retro-arcade-pack": [
    { path: "roms/alpha.bin", size: 5 * MB + 12_345 },
    { path: "roms/beta.bin", size: 4 * MB },
    { path: "README.txt", size: 2_000 },
  ],
  "shareware-classics": [
    { path: "disk1.img", size: 3 * MB + 777 },
    { path: "disk2.img", size: 3 * MB },
  ],
  "demo-scene-2001.iso": [{ path: "", size: 6 * MB + 4_321 }],
  "homebrew-tools": [
    { path: "bin/tool-a", size: 2 * MB + 99 },
    { path: "docs/manual.pdf", size: 1 * MB },
  ],
};

/** The index's category of each sample (worker/torrents/categories.ts). */
export const SAMPLE_CATEGORY: Record<string, string> = {
  "retro-arcade-pack": "games",
  "shareware-classics": "software",
  "demo-scene-2001.iso": "video",
  "homebrew-tools": "software",
};

/** Deterministic bytes from a label (xorshift32 seeded by FNV-1a of the label): fast for MBs. */
export function sampleBytes(label: string, size: number): Buffer {
  let s = 2166136261;
  for (const c of label) s = Math.imul(s ^ c.charCodeAt(0), 16777619) >>> 0;
  if (s === 0) s = 1;
  const out = Buffer.allocUnsafe(size + 3);
  for (let o = 0; o < size; o += 4) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out.writeUInt32LE(s, o);
  }
  return out.subarray(0, size);
}

function torrentFor(root: string, name: string): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    createTorrent(
      join(root, name),
      { name, private: true, pieceLength: 256 * 1024, announceList: [], urlList: [], createdBy: "vidya", creationDate: 1_700_000_000, comment: "Vidya sample dataset" },
      (err: Error | null, t: Buffer) => (err ? reject(err) : resolve(t)),
    ),
  );
}

/** Several runs may generate the dataset at once: a file appears whole or not at all. */
function writeAtomically(path: string, data: Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export async function storageRootOfFiles(paths: string[]): Promise<string> {
  const b = new StorageTreeBuilder();
  for (const p of paths) for await (const chunk of createReadStream(p, { highWaterMark: 1 << 20 })) b.update(chunk as Buffer);
  return toHex(b.finish().root);
}

/** Writes the dataset under `dir` (payloads in dir/data, .torrent files in dir/torrents) unless it is there already. */
export async function generateDataset(dir: string): Promise<SampleTorrent[]> {
  const dataDir = join(dir, "data");
  const torrentDir = join(dir, "torrents");
  mkdirSync(torrentDir, { recursive: true });
  const out: SampleTorrent[] = [];
  for (const [name, files] of Object.entries(SAMPLE_LAYOUT)) {
    const paths: string[] = [];
    for (const f of files) {
      const p = f.path ? join(dataDir, name, f.path) : join(dataDir, name);
      paths.push(p);
      if (!existsSync(p)) {
        mkdirSync(dirname(p), { recursive: true });
        writeAtomically(p, sampleBytes(`${name}/${f.path}`, f.size));
      }
    }
    const torrentPath = join(torrentDir, `${name}.torrent`);
    if (!existsSync(torrentPath)) writeAtomically(torrentPath, await torrentFor(dataDir, name));
    const meta = parseTorrent(new Uint8Array(readFileSync(torrentPath)));
    // Storage order is info-dict order, which create-torrent may sort: hash in that order.
    const ordered = meta.files.map((f) => join(dataDir, name, f.path));
    out.push({ name, infoHash: meta.infoHash, length: meta.length, storageRoot: await storageRootOfFiles(ordered), torrentPath, dataDir });
  }
  return out;
}
