// Test fixtures: a private multi-file torrent generated on disk, with its storage root.

import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import createTorrent from "create-torrent";
import { parseTorrent, type TorrentMeta } from "../../protocol/torrent.ts";
import { concatBytes } from "../../protocol/hex.ts";

export interface Fixture {
  torrentFile: Uint8Array;
  meta: TorrentMeta;
  payload: Uint8Array;
  /** data/ folder holding data/<name>/<files…> */
  dataDir: string;
}

/** Writes random files under dataDir/name and makes a private v1 torrent of them (no trackers unless given). */
export async function makeFixture(
  dataDir: string,
  name: string,
  files: { path: string; length: number }[],
  opts: { pieceLength?: number; announce?: string } = {},
): Promise<Fixture> {
  const parts: Uint8Array[] = [];
  for (const f of files) {
    const bytes = new Uint8Array(randomBytes(f.length));
    const p = join(dataDir, name, ...f.path.split("/"));
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, bytes);
    parts.push(bytes);
  }
  const torrentFile = await new Promise<Uint8Array>((resolve, reject) =>
    createTorrent(
      join(dataDir, name),
      {
        name,
        private: true,
        pieceLength: opts.pieceLength ?? 32 * 1024,
        announceList: opts.announce ? [[opts.announce]] : [],
        urlList: [],
        createdBy: "vidya-test",
      },
      (err, t) => (err ? reject(err) : resolve(new Uint8Array(t))),
    ),
  );
  return { torrentFile, meta: parseTorrent(torrentFile), payload: concatBytes(...parts), dataDir };
}
