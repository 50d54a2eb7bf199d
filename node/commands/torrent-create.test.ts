// `vidya torrent create` as an uploader runs it (the real bin/vidya), against the real edge
// (the worker in workerd, local D1): the torrents it writes read back with the repo's parser,
// load in real clients (Transmission, aria2, and qBittorrent, whose libtorrent 2 checks the
// folder against every version's hashes), and go through the signed upload route.

import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { privateKeyToAccount } from "viem/accounts";
import type { Hex } from "viem";
import { storageRoot } from "../../protocol/merkle/storage-tree.ts";
import { toHex } from "../../protocol/hex.ts";
import { parseTorrent } from "../../protocol/torrent.ts";
import { startTestEdge, type TestEdge } from "../testing/edge.ts";
import { QBittorrent } from "../../test/interop/support/bt-clients.ts";

const VIDYA = join(import.meta.dirname, "..", "..", "bin", "vidya");
const run = promisify(execFile);

async function sh(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(cmd, args, { env: { ...process.env, PATH: "/usr/bin:/bin" }, maxBuffer: 1 << 24 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

/** The .torrent bytes the edge stored, read from its local D1 file (no route serves them unchanged). */
function storedMetainfo(edgeDir: string, infoHash: string): Uint8Array {
  const d1 = join(edgeDir, "wrangler-state", "v3", "d1", "miniflare-D1DatabaseObject");
  const file = readdirSync(d1).find((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")!;
  const db = new DatabaseSync(join(d1, file), { readOnly: true });
  try {
    return (db.prepare("SELECT metainfo FROM torrents WHERE info_hash = ?").get(infoHash) as { metainfo: Uint8Array }).metainfo;
  } finally {
    db.close();
  }
}

const gen = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 9)) & 0xff);

describe("vidya torrent create", () => {
  let edge: TestEdge;
  let home: string;
  let folder: string;
  /** The folder's files in the torrent's order (path bytes), concatenated: the v1 payload. */
  let payload: Uint8Array;

  beforeAll(async () => {
    edge = await startTestEdge("node-torrent-create");
    folder = join(edge.dir, "Homebrew Pack");
    mkdirSync(join(folder, "disc"), { recursive: true });
    const files: [string, Uint8Array][] = [["README.txt", gen(20_000, 2)], ["disc/track01.bin", gen(83_154, 1)], ["disc/track02.bin", gen(40_000, 3)]];
    for (const [p, d] of files) writeFileSync(join(folder, p), d);
    payload = new Uint8Array(files.flatMap(([, d]) => [...d])); // "README.txt" < "disc" as bytes
    home = join(edge.dir, "uploader");
    const joined = await sh(VIDYA, ["--home", home, "join", "--tracker", edge.url, "--invite", await edge.invite()]);
    expect(joined.code, joined.stderr).toBe(0);
  });
  afterAll(async () => {
    await edge?.stop();
  });

  const create = async (args: string[], h = home) => {
    const r = await sh(VIDYA, ["--home", h, "--json", "torrent", "create", folder, ...args]);
    return { ...r, json: r.code === 0 ? (JSON.parse(r.stdout) as { file: string; infoHash: string; version: string; storageRoot: string; pieceLength: number; uploaded?: { status: string; infoHash: string } }) : undefined };
  };

  it("makes v1, v2 and hybrid torrents that the repo's parser reads back, private, the v1 one with its payload's storage root", async () => {
    for (const [flag, version] of [[[], "v1"], [["--v2"], "v2"], [["--hybrid"], "hybrid"]] as const) {
      const r = await create([...flag, "--out", join(edge.dir, `pack-${version}.torrent`), "--piece-length", "32KiB"]);
      expect(r.code, r.stderr).toBe(0);
      const meta = parseTorrent(readFileSync(r.json!.file));
      expect(meta.version).toBe(version);
      expect(meta.private).toBe(true);
      expect(meta.name).toBe("Homebrew Pack");
      expect(meta.pieceLength).toBe(32_768);
      expect(meta.infoHash).toBe(r.json!.infoHash);
      if (version === "v1") expect(r.json!.storageRoot).toBe(toHex(storageRoot(payload)));
      else expect(meta.v2Files!.map((f) => f.path)).toEqual(["README.txt", "disc/track01.bin", "disc/track02.bin"]);
    }
  });

  it("loads in real clients: Transmission and aria2 read the v1 torrent's info hash and files, aria2 the hybrid's v1 side with its pad files", async () => {
    const v1 = join(edge.dir, "pack-v1.torrent");
    const meta = parseTorrent(readFileSync(v1));
    const tr = await sh("transmission-show", [v1]);
    expect(tr.code, tr.stderr).toBe(0);
    expect(tr.stdout).toContain(`Hash: ${meta.infoHash}`);
    expect(tr.stdout).toMatch(/Privacy: Private torrent/);
    for (const f of meta.files) expect(tr.stdout).toContain(`Homebrew Pack/${f.path}`);
    const ar = await sh("aria2c", ["-S", v1]);
    expect(ar.code, ar.stderr).toBe(0);
    expect(ar.stdout).toContain(`Info Hash: ${meta.infoHash}`);
    const hybrid = join(edge.dir, "pack-hybrid.torrent");
    const hy = await sh("aria2c", ["-S", hybrid]);
    expect(hy.code, hy.stderr).toBe(0);
    // aria2 has no BEP 52: it reads the v1 side (pad files as files) and re-derives an info hash
    // that is not the v1 one, for libtorrent's hybrid torrents as for ours; the files are what it must get right.
    expect(hy.stdout).toContain(`The Number of Pieces: ${parseTorrent(readFileSync(hybrid)).pieceCount}`);
    for (const p of ["README.txt", ".pad/12768", "disc/track01.bin", "disc/track02.bin"]) expect(hy.stdout).toContain(`Homebrew Pack/${p}`);
  });

  it("qBittorrent (libtorrent 2, BEP 52) loads the v1, v2 and hybrid torrents over the folder and finds every piece valid", async () => {
    const qb = await QBittorrent.start(edge.group, join(edge.dir, "qbittorrent"));
    try {
      for (const version of ["v1", "v2", "hybrid"]) {
        const meta = parseTorrent(readFileSync(join(edge.dir, `pack-${version}.torrent`)));
        await qb.add(readFileSync(join(edge.dir, `pack-${version}.torrent`)), edge.dir);
        // qBittorrent names a torrent with a v2 side by its truncated v2 info hash.
        const id = meta.infoHashV2?.slice(0, 40) ?? meta.infoHash;
        // It checks the files already there against the pieces (v1 SHA-1) or the piece layers (v2).
        const end = Date.now() + 30_000;
        let t = await qb.torrent(id);
        while (!(t && t.progress === 1) && Date.now() < end) {
          if (t?.state === "error" || t?.state === "missingFiles") break;
          await new Promise((r) => setTimeout(r, 200));
          t = await qb.torrent(id);
        }
        expect({ version, progress: t?.progress, downloaded: t?.downloaded }).toEqual({ version, progress: 1, downloaded: 0 });
      }
    } finally {
      await qb.shutdown();
    }
  });

  it("uploads each version signed by the member's wallet: stored pending, the v1 one with the root it computed, and without the uploader's passkey (attack: passkey leaked through the stored .torrent)", async () => {
    const account = privateKeyToAccount((JSON.parse(readFileSync(join(home, "wallet.json"), "utf8")) as { privateKey: Hex }).privateKey);
    for (const flag of [[], ["--v2"], ["--hybrid"]]) {
      const r = await create([...flag, "--out", join(edge.dir, "upload.torrent"), "--upload", "--category", "games", "--description", "Homebrew, dumped by the author"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json!.uploaded).toEqual({ status: "pending", infoHash: r.json!.infoHash });
      const stored = (await (await fetch(`${edge.url}/api/torrents/${r.json!.infoHash}`)).json()) as Record<string, unknown>;
      expect(stored).toMatchObject({ status: "pending", category: "games", description: "Homebrew, dumped by the author", uploadedBy: account.address.toLowerCase(), version: r.json!.version });
      expect(stored.storageRoot).toBe(r.json!.storageRoot);
      if (r.json!.version === "v1") expect(stored.storageRoot).toBe(toHex(storageRoot(payload)));
      // The file on disk announces with the uploader's passkey; the copy the site keeps does not.
      const passkey = (JSON.parse(readFileSync(join(home, "config.json"), "utf8")) as { passkey: string }).passkey;
      expect(Buffer.from(readFileSync(join(edge.dir, "upload.torrent"))).includes(passkey)).toBe(true);
      expect(Buffer.from(storedMetainfo(edge.dir, r.json!.infoHash)).includes(passkey)).toBe(false);
    }
  });

  it("refuses to upload for a wallet that is not a member (attack: upload without membership)", async () => {
    const stranger = join(edge.dir, "stranger");
    expect((await sh(VIDYA, ["--home", stranger, "wallet", "init"])).code).toBe(0);
    const r = await create(["--out", join(edge.dir, "stranger.torrent"), "--upload", "--tracker", edge.url, "--piece-length", "64KiB"], stranger);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not a member/);
  });

  it("takes human piece lengths and answers 32KB (not a multiple of 16 KiB) with how to write it", async () => {
    const r = await create(["--out", join(edge.dir, "x.torrent"), "--piece-length", "32KB"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/32000 bytes, not a multiple of 16 KiB: write it in KiB or MiB/);
    const ok = await create(["--out", join(edge.dir, "x.torrent"), "--piece-length", "1 MiB"]);
    expect(ok.json!.pieceLength).toBe(2 ** 20);
  });

  it("hashes a 256 MiB file as a stream: the process stays far below the file's size (never the whole file in memory)", async () => {
    const big = join(edge.dir, "big.bin");
    writeFileSync(big, "");
    await run("truncate", ["-s", "256M", big]);
    const r = await sh("/usr/bin/time", ["-f", "maxrss_kb=%M", VIDYA, "--home", home, "torrent", "create", big, "--out", join(edge.dir, "big.torrent")]);
    expect(r.code, r.stderr).toBe(0);
    const kb = Number(/maxrss_kb=(\d+)/.exec(r.stderr)![1]);
    expect(kb * 1024).toBeLessThan(160 * 2 ** 20);
    expect(parseTorrent(readFileSync(join(edge.dir, "big.torrent"))).length).toBe(256 * 2 ** 20);
  }, 120_000);
});
