// `vidya torrent create`'s core (protocol/create/): the torrents it makes against libtorrent's
// (protocol/vectors/bep52, the BEP 52 reference) and its v1 storage roots against the shared
// storage-tree vectors; the check the upload page runs before it sends a root.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { keccak256, toHex as viemHex } from "viem";
import { asDict, decode, encode } from "../bencode.ts";
import { fromHex, toHex } from "../hex.ts";
import { sha1 } from "@noble/hashes/legacy.js";
import { buildStorageTree, storageRoot } from "../merkle/storage-tree.ts";
import { parseTorrent, pieceLayer } from "../torrent.ts";
import { sha256 } from "@noble/hashes/sha2.js";
import { TreeHasher } from "../create/hashers.ts";
import { checkPayload, layoutOf } from "../create/check.ts";
import { choosePieceLength, createTorrent, type CreateInput } from "../create/metainfo.ts";
import { PayloadSizeError, type ReadFile } from "../create/layout.ts";
import reference from "../vectors/bep52/libtorrent.json" with { type: "json" };
import storageVectors from "../vectors/storage-tree.json" with { type: "json" };

const dir = join(import.meta.dirname, "../vectors/bep52");
const gen = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 9)) & 0xff);

/** The storage-tree vectors' payloads (scripts/gen-vectors.ts). */
function detBytes(label: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0, o = 0; o < length; i++) {
    const h = fromHex(keccak256(viemHex(`${label}:${i}`)));
    out.set(h.subarray(0, Math.min(32, length - o)), o);
    o += 32;
  }
  return out;
}

/** Files in memory, streamed in chunks of `chunk` bytes (odd sizes cross every block and piece boundary). */
function memory(files: Map<string, Uint8Array>, chunk = 7_777): ReadFile {
  return async function* (entry) {
    const data = files.get(entry.path.join("/"))!;
    for (let o = 0; o < data.length; o += chunk) yield data.subarray(o, o + chunk);
  };
}

const libtorrentFiles = new Map(reference.files.map((f) => [f.path, gen(f.length, f.seed)]));
const libtorrentInput = (version: CreateInput["version"]): CreateInput => ({
  name: "hybrid-set",
  files: reference.files.map((f) => ({ path: f.path.split("/"), length: f.length })),
  singleFile: false,
  version,
  pieceLength: reference.pieceLength,
});

/** The info dict's bytes of a .torrent, as its info hash covers them. */
const infoOf = (t: Uint8Array) => encode(asDict(decode(t), "torrent").info as never);

describe("torrent create against libtorrent (BEP 52)", () => {
  it("makes libtorrent's hybrid torrent: the same info dict, both info hashes, pieces roots and piece layers", async () => {
    const made = await createTorrent(libtorrentInput("hybrid"), memory(libtorrentFiles));
    const theirs = readFileSync(join(dir, "hybrid.torrent"));
    expect(made.meta.version).toBe("hybrid");
    expect(made.meta.infoHash).toBe(reference.hybrid.infoHashV1);
    expect(made.meta.infoHashV2).toBe(reference.hybrid.infoHashV2);
    expect(toHex(infoOf(made.torrent))).toBe(toHex(infoOf(theirs)));
    const layers = (t: Uint8Array) => encode(asDict(decode(t), "torrent")["piece layers"] as never);
    expect(toHex(layers(made.torrent))).toBe(toHex(layers(theirs)));
    expect(made.storageRoot).toBe(""); // the per-file roots are the commitment
  });

  it("makes libtorrent's v2-only torrent: the same SHA-256 info hash and pieces roots", async () => {
    const made = await createTorrent(libtorrentInput("v2"), memory(libtorrentFiles));
    expect(made.meta.version).toBe("v2");
    expect(made.meta.infoHashV2).toBe(reference.v2.infoHashV2);
    expect(made.meta.v2Files!.map((f) => f.piecesRoot)).toEqual(parseTorrent(readFileSync(join(dir, "v2.torrent"))).v2Files!.map((f) => f.piecesRoot));
  });

  it("a v1 torrent of the same files has SHA-1 pieces over the files concatenated and no v2 keys", async () => {
    const made = await createTorrent(libtorrentInput("v1"), memory(libtorrentFiles));
    expect(made.meta.version).toBe("v1");
    expect(made.meta.private).toBe(true);
    const payload = new Uint8Array([...libtorrentFiles.get("disc/track01.bin")!, ...libtorrentFiles.get("readme.txt")!]);
    const info = asDict(decode(made.torrent), "torrent").info as Record<string, Uint8Array>;
    expect(toHex(info.pieces!.subarray(0, 20))).toBe(toHex(sha1(payload.subarray(0, reference.pieceLength))));
    expect(info["meta version"]).toBeUndefined();
    expect(made.storageRoot).toBe(toHex(storageRoot(payload)));
  });
});

describe("torrent create's storage roots (protocol/vectors/storage-tree.json)", () => {
  for (const c of storageVectors.cases) {
    it(`${c.length} bytes: the v1 storage root is the vector's, in one file or split across three`, async () => {
      const payload = detBytes(c.payloadLabel, c.length);
      const one = await createTorrent({ name: "p.bin", files: [{ path: ["p.bin"], length: c.length }], singleFile: true, version: "v1" }, memory(new Map([["p.bin", payload]])));
      expect(one.storageRoot).toBe(c.root);
      // Files concatenated in info-dict order (DESIGN.md): where the files split does not move the root.
      const a = Math.floor(c.length / 3), b = Math.floor((2 * c.length) / 3);
      const parts = new Map([["a", payload.subarray(0, a)], ["b", payload.subarray(a, b)], ["c", payload.subarray(b)]]);
      const three = await createTorrent({ name: "p", files: [...parts].map(([k, v]) => ({ path: [k], length: v.length })), singleFile: false, version: "v1" }, memory(parts, 1_000));
      expect(three.storageRoot).toBe(c.root);
    });
  }

  it("a single-file v2 torrent's pieces root is the storage root of its payload (BEP 52's tree is the storage tree)", async () => {
    const c = storageVectors.cases.at(-1)!;
    const made = await createTorrent({ name: "p.bin", files: [{ path: ["p.bin"], length: c.length }], singleFile: true, version: "v2" }, memory(new Map([["p.bin", detBytes(c.payloadLabel, c.length)]])));
    expect(made.meta.v2Files![0]!.piecesRoot).toBe(c.root);
  });
});

describe("the streaming tree (O(log n) memory)", () => {
  it("gives buildStorageTree's root for every leaf count from 1 to 70, and torrent.ts's piece layer", async () => {
    for (let blocks = 1; blocks <= 70; blocks++) {
      const length = blocks * 16_384 - (blocks % 3) * 1_000;
      const data = gen(length, blocks);
      const hasher = new TreeHasher(4 * 16_384);
      for (let o = 0; o < length; o += 50_000) await hasher.update(data.subarray(o, o + 50_000));
      const got = (await hasher.finish())!;
      const leaves = Array.from({ length: blocks }, (_, i) => sha256(data.subarray(i * 16_384, (i + 1) * 16_384)));
      expect(toHex(got.root), `${blocks} blocks`).toBe(toHex(buildStorageTree(leaves, length).root));
      if (length > 4 * 16_384) expect(toHex(got.pieceLayer!), `${blocks} blocks`).toBe(toHex(pieceLayer(leaves, 4 * 16_384)));
      else expect(got.pieceLayer).toBeUndefined();
    }
  });
});

describe("torrent create's single files", () => {
  it("a single-file hybrid has `length`, no pad file, and its v2 file named by the torrent (one path for v1 and v2 clients)", async () => {
    const data = gen(100_001, 8);
    const made = await createTorrent({ name: "image.iso", files: [{ path: ["image.iso"], length: data.length }], singleFile: true, version: "hybrid", pieceLength: 32_768 }, memory(new Map([["image.iso", data]])));
    const info = asDict(decode(made.torrent), "torrent").info as Record<string, unknown>;
    expect(info.length).toBe(100_001);
    expect(info.files).toBeUndefined();
    expect(made.meta.version).toBe("hybrid");
    expect(made.meta.v2Files).toEqual([{ path: "image.iso", length: 100_001, offset: 0, piecesRoot: toHex(storageRoot(data)) }]);
    expect((await checkPayload(layoutOf(made.torrent), memory(new Map([["image.iso", data]])))).ok).toBe(true);
  });
});

describe("torrent create's refusals", () => {
  const one = (name: string, path = [name]): CreateInput => ({ name, files: [{ path, length: 10 }], singleFile: false, version: "v1" });
  const read = memory(new Map([["x", new Uint8Array(10)]]));

  it("refuses names the index would refuse: a bidirectional override hides the real extension (attack: spoofed file name)", async () => {
    await expect(createTorrent(one("movie\u202Efdp.exe"), read)).rejects.toThrow(/control character/);
    await expect(createTorrent(one("pack", ["..", "x"]), read)).rejects.toThrow(/cannot be a path/);
  });

  it("refuses an empty payload and a piece length BEP 52 does not allow", async () => {
    await expect(createTorrent({ name: "e", files: [{ path: ["x"], length: 0 }], singleFile: false, version: "v1" }, read)).rejects.toThrow(/empty/);
    await expect(createTorrent({ ...one("p", ["x"]), version: "v2", pieceLength: 48 * 1024 }, read)).rejects.toThrow(/power of two/);
  });

  it("refuses a file that grew or shrank while it was hashed, rather than hashing other bytes than it lists", async () => {
    const grown = memory(new Map([["x", new Uint8Array(11)]]));
    await expect(createTorrent(one("p", ["x"]), grown)).rejects.toBeInstanceOf(PayloadSizeError);
    const shrunk = memory(new Map([["x", new Uint8Array(9)]]));
    await expect(createTorrent(one("p", ["x"]), shrunk)).rejects.toThrow(/expected 10 bytes, read 9/);
  });

  it("picks about a thousand power-of-two pieces, between 16 KiB and 16 MiB", () => {
    expect(choosePieceLength(1)).toBe(16 * 1024);
    expect(choosePieceLength(2 ** 30)).toBe(2 ** 20);
    expect(choosePieceLength(2 ** 45)).toBe(16 * 2 ** 20);
  });
});

describe("the upload page's check (protocol/create/check.ts)", () => {
  it("gives the storage root of a v1 torrent's payload when every piece matches", async () => {
    const made = await createTorrent(libtorrentInput("v1"), memory(libtorrentFiles));
    const check = await checkPayload(layoutOf(made.torrent), memory(libtorrentFiles, 65_536));
    expect(check).toEqual({ ok: true, badPieces: [], badFiles: [], storageRoot: made.storageRoot });
  });

  it("gives no root for files that differ from the torrent's pieces (attack: a root of other bytes than the torrent's)", async () => {
    const made = await createTorrent(libtorrentInput("v1"), memory(libtorrentFiles));
    const other = new Map(libtorrentFiles);
    const readme = other.get("readme.txt")!.slice();
    readme[19_999]! ^= 1;
    other.set("readme.txt", readme);
    const check = await checkPayload(layoutOf(made.torrent), memory(other));
    expect(check.ok).toBe(false);
    expect(check.badPieces).toEqual([3]); // 83 154 + 20 000 bytes: the last byte is in piece 3
    expect(check.storageRoot).toBe("");
  });

  it("checks libtorrent's hybrid torrent (pad files read as zeros) and names the file whose pieces root differs", async () => {
    const layout = layoutOf(readFileSync(join(dir, "hybrid.torrent")));
    expect(layout.entries.filter((e) => e.pad).map((e) => e.length)).toEqual([15_150, 12_768]);
    expect((await checkPayload(layout, memory(libtorrentFiles))).ok).toBe(true);
    const other = new Map(libtorrentFiles);
    other.set("disc/track01.bin", new Uint8Array(83_154));
    const check = await checkPayload(layout, memory(other));
    expect(check.badFiles).toEqual(["disc/track01.bin"]);
    expect(check.badPieces).toEqual([0, 1, 2]);
  });
});
