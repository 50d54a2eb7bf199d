// A torrent's payload on disk: data/<name> for a single file, data/<name>/<path…> for many,
// as webtorrent lays it out with `path: data/`. The storage tree is built by streaming the
// files in info-dict order (DESIGN.md "Storage root"), never holding a payload in memory.

import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { StorageTreeBuilder, type StorageTree } from "../../protocol/merkle/storage-tree.ts";

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
  for (let i = 0; i < paths.length; i++) {
    try {
      const s = await stat(paths[i]!);
      if (!s.isFile() || s.size !== t.files[i]!.length) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Streams the files through the storage-tree builder; `onBytes` reports progress. */
export async function storageTreeFromFiles(paths: string[], onBytes?: (n: number) => void): Promise<StorageTree> {
  const builder = new StorageTreeBuilder();
  for (const p of paths) {
    for await (const chunk of createReadStream(p, { highWaterMark: 1 << 20 })) {
      builder.update(chunk as Buffer);
      onBytes?.((chunk as Buffer).length);
    }
  }
  return builder.finish();
}

export function storageTreeOfPayload(dataDir: string, t: PayloadLayout, onBytes?: (n: number) => void): Promise<StorageTree> {
  return storageTreeFromFiles(payloadPaths(dataDir, t), onBytes);
}
