// BEP 52 v2 and hybrid torrents against the reference: torrents made by libtorrent 2.0.8
// (protocol/vectors/bep52/), whose info hashes and per-file `pieces root`s our parser and
// storage tree must reproduce, and whose files map onto the piece space the wire uses.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { encode } from "../bencode.ts";
import { BLOCK_SIZE } from "../params.ts";
import { toHex } from "../hex.ts";
import { buildStorageTree, storageRoot } from "../merkle/storage-tree.ts";
import { TorrentBoundError, parseTorrent, zeroSubtreeRoot } from "../torrent.ts";
import { treeBlockLocation } from "../challenge/client.ts";
import { deriveChallenge } from "../challenge/schedule.ts";
import reference from "../vectors/bep52/libtorrent.json" with { type: "json" };
import { makeV2Torrent, sampleHybrid } from "../../test/worker/support/v2-torrent.ts";

const dir = join(import.meta.dirname, "../vectors/bep52");
const gen = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 9)) & 0xff);
const payloads = reference.files.map((f) => gen(f.length, f.seed));

describe("BEP 52 torrents (libtorrent's as the reference)", () => {
  it("parses libtorrent's hybrid torrent: both info hashes, the file tree, the pieces roots of the payload", () => {
    const meta = parseTorrent(readFileSync(join(dir, "hybrid.torrent")));
    expect(meta.version).toBe("hybrid");
    expect(meta.infoHash).toBe(reference.hybrid.infoHashV1);
    expect(meta.infoHashV2).toBe(reference.hybrid.infoHashV2);
    expect(meta.private).toBe(true);
    expect(meta.v2Files!.map((f) => [f.path, f.length, f.offset])).toEqual([
      ["disc/track01.bin", 83_154, 0],
      ["readme.txt", 20_000, 98_304], // 83 154 rounded up to 3 pieces of 32 KiB
    ]);
    // The per-file root is our storage tree over that file alone: BEP 52's tree.
    meta.v2Files!.forEach((f, i) => expect(f.piecesRoot).toBe(toHex(storageRoot(payloads[i]!))));
  });

  it("parses libtorrent's v2-only torrent: the truncated SHA-256 is the info hash", () => {
    const meta = parseTorrent(readFileSync(join(dir, "v2.torrent")));
    expect(meta.version).toBe("v2");
    expect(meta.infoHashV2).toBe(reference.v2.infoHashV2);
    expect(meta.infoHash).toBe(reference.v2.infoHashV2.slice(0, 40));
    expect(meta.length).toBe(103_154);
    expect(meta.v2Files!.map((f) => f.piecesRoot)).toEqual(payloads.map((p) => toHex(storageRoot(p))));
  });

  it("our test builder writes the same pieces roots as libtorrent for the same files", () => {
    const ours = sampleHybrid().meta;
    const theirs = parseTorrent(readFileSync(join(dir, "hybrid.torrent")));
    expect(ours.v2Files!.map((f) => [f.path, f.piecesRoot, f.offset])).toEqual(theirs.v2Files!.map((f) => [f.path, f.piecesRoot, f.offset]));
  });

  it("maps a v2 file's blocks to the piece space: a file's block 0 is at its piece-aligned offset", () => {
    const meta = parseTorrent(readFileSync(join(dir, "hybrid.torrent")));
    const readme = meta.v2Files![1]!;
    const spec = { offset: readme.offset, pieceLength: meta.pieceLength, totalLength: readme.length };
    expect(treeBlockLocation(spec, 0)).toEqual({ piece: 3, begin: 0, length: BLOCK_SIZE });
    expect(treeBlockLocation(spec, 1)).toEqual({ piece: 3, begin: BLOCK_SIZE, length: 20_000 - BLOCK_SIZE });
    // The whole-payload mapping (offset 0) is the v1 one.
    expect(treeBlockLocation({ pieceLength: meta.pieceLength, totalLength: 83_154 }, 5)).toEqual({ piece: 2, begin: BLOCK_SIZE, length: 83_154 - 5 * BLOCK_SIZE });
  });

  it("derives v2 challenges in one file's tree, weighted by blocks, never the whole payload", () => {
    const meta = parseTorrent(readFileSync(join(dir, "hybrid.torrent")));
    const files = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const r = `0x${i.toString(16).padStart(64, "0")}` as const;
      const c = deriveChallenge(r, { infoHash: meta.infoHash, length: meta.length, storageRoot: "", v2Files: meta.v2Files });
      expect(c.root).toBe(meta.v2Files![c.file!]!.piecesRoot);
      expect(c.offset).toBe(meta.v2Files![c.file!]!.offset);
      expect(Math.max(...c.blocks)).toBeLessThan(Math.ceil(c.treeLength / BLOCK_SIZE));
      files.add(c.file!);
    }
    expect([...files].sort()).toEqual([0, 1]);
  });

  it("rejects a hybrid whose v1 files and file tree disagree, and a piece layer that does not hash to its root", () => {
    const good = makeV2Torrent([{ path: ["a.bin"], data: gen(70_000, 3) }, { path: ["b.bin"], data: gen(10, 4) }], { name: "x", pieceLength: 32_768, hybrid: true });
    const bad = new Uint8Array(good.torrent);
    // Flip a byte of the piece layer (outside the info dict, so the info hash is unchanged).
    const at = Buffer.from(bad).indexOf(Buffer.from("12:piece layers")) + 60;
    bad[at] = bad[at]! ^ 1;
    expect(() => parseTorrent(bad)).toThrow(/piece layer/);
    const info = { name: "x", "piece length": 32_768, "meta version": 2, "file tree": { "a.bin": { "": { length: 10, "pieces root": new Uint8Array(32) } } }, pieces: new Uint8Array(20), length: 11 };
    expect(() => parseTorrent(encode({ info }))).toThrow(/different payloads/);
  });
});

describe("BEP 52 bounds", () => {
  /** A v2-only torrent of one file of `length` bytes with a piece layer of `pieces` hashes: ~300 bytes whatever the numbers. */
  const crafted = (pieceLength: number, length: number, pieces: number) => {
    const root = new Uint8Array(32).fill(7);
    const info = { name: "bomb", "piece length": pieceLength, "meta version": 2, private: 1, "file tree": { "f.bin": { "": { length, "pieces root": root } } } };
    return encode({ info, "piece layers": { [String.fromCharCode(...root)]: new Uint8Array(32 * pieces) } });
  };
  const refusal = (bytes: Uint8Array) => {
    try {
      parseTorrent(bytes);
    } catch (e) {
      return e;
    }
    return undefined;
  };

  it("refuses the piece-layer bomb (piece length 2^36) with the piece-length bound, before any tree is built (attack: v2 piece-layer bomb)", () => {
    const bytes = crafted(2 ** 36, 2 ** 36 + 1, 2);
    expect(bytes.length).toBeLessThan(400);
    const e = refusal(bytes);
    // The bound's own error, thrown where the piece length is read: the file tree and its piece
    // layer (where the zero-piece tree was built) are never reached.
    expect(e).toBeInstanceOf(TorrentBoundError);
    expect((e as TorrentBoundError).field).toBe("piece length");
  });

  it("refuses a v2 piece length of 2^32 + 16384, which a 32-bit power-of-two test passes (attack: wrapped piece length)", () => {
    expect(((2 ** 32 + 16384) & (2 ** 32 + 16383)) === 0).toBe(true); // the old test's blind spot
    const e = refusal(crafted(2 ** 32 + 16384, 2 ** 33, 2));
    expect(e).toBeInstanceOf(TorrentBoundError);
    expect((e as TorrentBoundError).field).toBe("piece length");
  });

  it("refuses a v2 file tree whose lengths sum past the payload bound (attack: unsafe summed length)", () => {
    const root = new Uint8Array(32).fill(1);
    const file = (n: number) => ({ "": { length: n, "pieces root": root } });
    const info = { name: "big", "piece length": 16384, "meta version": 2, private: 1, "file tree": { a: file(2 ** 47), b: file(2 ** 47), c: file(2 ** 47) } };
    const e = refusal(encode({ info }));
    expect(e).toBeInstanceOf(TorrentBoundError);
    expect((e as TorrentBoundError).field).toBe("length");
  });

  it("the zero piece's root is log2 hashes, equal to the tree of zero leaves it replaces", () => {
    for (const leaves of [1, 2, 8, 64]) expect(toHex(zeroSubtreeRoot(leaves))).toBe(toHex(buildStorageTree(new Uint8Array(32 * leaves), leaves * BLOCK_SIZE).root));
  });

  it("still accepts the largest piece length (256 MiB) for an honest v2 torrent", () => {
    const t = makeV2Torrent([{ path: ["a.bin"], data: gen(50_000, 5) }], { name: "x", pieceLength: 2 ** 28 });
    expect(parseTorrent(t.torrent).pieceLength).toBe(2 ** 28);
  });
});
