// Test fixtures: a private multi-file torrent generated on disk, with its storage root.

import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
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

/**
 * libtorrent's private hybrid torrent (BEP 52, protocol/vectors/bep52/hybrid.torrent) with its
 * payload written under dataDir: the real files from the vector's generator, the BEP 47 pad
 * files as zeros (webtorrent, which knows only v1, stores and checks them like any file).
 */
export async function hybridFixture(dataDir: string): Promise<Fixture> {
  const vectors = join(import.meta.dirname, "..", "..", "protocol", "vectors", "bep52");
  const torrentFile = new Uint8Array(await readFile(join(vectors, "hybrid.torrent")));
  const reference = JSON.parse(await readFile(join(vectors, "libtorrent.json"), "utf8")) as { files: { path: string; length: number; seed: number }[] };
  const gen = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 9)) & 0xff);
  const meta = parseTorrent(torrentFile);
  const parts: Uint8Array[] = [];
  for (const f of meta.files) {
    const ref = reference.files.find((r) => r.path === f.path);
    const bytes = ref ? gen(ref.length, ref.seed) : new Uint8Array(f.length);
    const p = join(dataDir, meta.name, ...f.path.split("/"));
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, bytes);
    parts.push(bytes);
  }
  return { torrentFile, meta, payload: concatBytes(...parts), dataDir };
}
