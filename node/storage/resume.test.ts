// Saved piece state: what a restart trusts, what it hashes again, and that what it rebuilds is
// the tree a full hash would give. Real files in a temp folder, real SHA-1 pieces from
// create-torrent; the node's use of it against the edge is in node/seed/resume.test.ts.

import { mkdtemp, rm, utimes, writeFile, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asBytes, asDict, asInt, decode } from "../../protocol/bencode.ts";
import { toHex } from "../../protocol/hex.ts";
import { StorageTreeBuilder } from "../../protocol/merkle/storage-tree.ts";
import { makeFixture, type Fixture } from "../testing/fixtures.ts";
import { payloadPaths, PieceCheck, storageTreeFromFiles, storageTreeOfPayload } from "./payload.ts";
import { changedPiecesValid, loadResume, refreshUnits, saveResume, stampFiles } from "./resume.ts";
import type { HashCount, Layout } from "./spans.ts";

describe("saved piece state", () => {
  let dir: string;
  let fx: Fixture;
  let layout: Layout;
  let pieces: Uint8Array;
  let pieceLength: number;
  const state = () => join(dir, "resume");

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "vidya-resume-"));
    // Three files across 32 KiB pieces and 16 KiB blocks, none aligned to either.
    fx = await makeFixture(join(dir, "data"), "Pack", [
      { path: "a.bin", length: 70_001 },
      { path: "b.bin", length: 50_123 },
      { path: "c.bin", length: 40_000 },
    ]);
    layout = { paths: payloadPaths(fx.dataDir, fx.meta), lengths: fx.meta.files.map((f) => f.length) };
    const info = asDict(asDict(decode(fx.torrentFile), "torrent").info, "info");
    pieces = asBytes(info.pieces, "pieces");
    pieceLength = asInt(info["piece length"], "piece length");
    const tree = await storageTreeOfPayload(fx.dataDir, fx.meta);
    await saveResume(state(), fx.meta.infoHash, (await stampFiles(layout.paths))!, [{ files: [0, 1, 2], tree }]);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("builds the same storage tree as protocol's builder, with node:crypto leaves", async () => {
    const tree = await storageTreeOfPayload(fx.dataDir, fx.meta);
    expect(toHex(tree.root)).toBe(toHex(new StorageTreeBuilder().update(fx.payload).finish().root));
  });

  it("checks every v1 piece in the storage tree's pass, and fails on one flipped byte or a missing tail (attack: a first start that trusts the data unread)", async () => {
    const good = new PieceCheck(pieceLength, pieces);
    await storageTreeOfPayload(fx.dataDir, fx.meta, (c) => good.update(c));
    expect(good.finish()).toBe(true);
    const flipped = new PieceCheck(pieceLength, pieces);
    const bytes = Buffer.from(fx.payload);
    bytes[150_000] = bytes[150_000]! ^ 1;
    flipped.update(bytes);
    expect(flipped.finish()).toBe(false);
    const short = new PieceCheck(pieceLength, pieces);
    short.update(fx.payload.subarray(0, fx.payload.length - 1));
    expect(short.finish()).toBe(false);
  });

  it("trusts unchanged files: no file changed, the saved tree comes back whole and nothing is hashed", async () => {
    const r = (await loadResume(state(), fx.meta.infoHash, layout.paths))!;
    expect(r.changed).toEqual([]);
    const count: HashCount = { units: 0, bytes: 0 };
    expect(await changedPiecesValid(layout, pieceLength, pieces, r.changed, count)).toBe(true);
    const units = await refreshUnits(layout, r.units, r.changed, count);
    expect(count).toEqual({ units: 0, bytes: 0 });
    expect(toHex(units[0]!.tree.root)).toBe(toHex(new StorageTreeBuilder().update(fx.payload).finish().root));
  });

  it("re-hashes only the pieces and blocks of a file rewritten with its own bytes (attack: a restart that re-reads the whole payload)", async () => {
    await writeFile(layout.paths[1]!, await readFile(layout.paths[1]!));
    const r = (await loadResume(state(), fx.meta.infoHash, layout.paths))!;
    expect(r.changed).toEqual([1]);
    const count: HashCount = { units: 0, bytes: 0 };
    expect(await changedPiecesValid(layout, pieceLength, pieces, r.changed, count)).toBe(true);
    // b.bin is bytes 70,001..120,123: pieces 2 and 3 (32 KiB each), 64 KiB read, not the payload's 160 KB.
    expect(count).toEqual({ units: 2, bytes: 2 * 32_768 });
    const blocks: HashCount = { units: 0, bytes: 0 };
    const units = await refreshUnits(layout, r.units, r.changed, blocks);
    expect(blocks.units).toBe(Math.floor(120_123 / 16_384) - Math.floor(70_001 / 16_384) + 1);
    expect(toHex(units[0]!.tree.root)).toBe(toHex(new StorageTreeBuilder().update(fx.payload).finish().root));
  });

  it("catches a file rewritten with other bytes and its old mtime put back (attack: touch -d to pass a corrupted file as unchanged)", async () => {
    const before = (await stampFiles(layout.paths))![2]!;
    const bytes = await readFile(layout.paths[2]!);
    bytes[123] = bytes[123]! ^ 0xff;
    await writeFile(layout.paths[2]!, bytes);
    await utimes(layout.paths[2]!, before.mtimeMs / 1000, before.mtimeMs / 1000);
    const r = (await loadResume(state(), fx.meta.infoHash, layout.paths))!;
    expect(r.changed).toEqual([2]);
    expect(await changedPiecesValid(layout, pieceLength, pieces, r.changed)).toBe(false);
    const units = await refreshUnits(layout, r.units, r.changed);
    expect(toHex(units[0]!.tree.root)).not.toBe(toHex(new StorageTreeBuilder().update(fx.payload).finish().root));
  });

  it("keeps per-file trees (hybrid torrents, BEP 52) apart: a changed file's tree is rebuilt, the others are the saved ones", async () => {
    const units = await Promise.all([0, 1, 2].map(async (i) => ({ files: [i], tree: await storageTreeFromFiles([layout.paths[i]!]) })));
    await saveResume(state(), fx.meta.infoHash, (await stampFiles(layout.paths))!, units);
    const bytes = await readFile(layout.paths[1]!);
    bytes[7] = bytes[7]! ^ 1;
    await writeFile(layout.paths[1]!, bytes);
    const r = (await loadResume(state(), fx.meta.infoHash, layout.paths))!;
    expect(r.changed).toEqual([1]);
    const count: HashCount = { units: 0, bytes: 0 };
    const refreshed = await refreshUnits(layout, r.units, r.changed, count);
    expect(count.bytes).toBe(50_123);
    expect(refreshed.map((u) => toHex(u.tree.root))).toEqual([
      toHex(units[0]!.tree.root),
      toHex((await storageTreeFromFiles([layout.paths[1]!])).root),
      toHex(units[2]!.tree.root),
    ]);
    expect(toHex(refreshed[1]!.tree.root)).not.toBe(toHex(units[1]!.tree.root));
  });

  it("gives up the saved state when a file is resized or gone, or the trees file is damaged", async () => {
    await writeFile(join(state(), `${fx.meta.infoHash}.trees`), Buffer.alloc(100));
    expect(await loadResume(state(), fx.meta.infoHash, layout.paths)).toBeUndefined();
    await saveResume(state(), fx.meta.infoHash, (await stampFiles(layout.paths))!, [{ files: [0, 1, 2], tree: await storageTreeOfPayload(fx.dataDir, fx.meta) }]);
    expect(await loadResume(state(), fx.meta.infoHash, layout.paths)).toBeDefined();
    await writeFile(layout.paths[0]!, Buffer.alloc(10));
    expect(await loadResume(state(), fx.meta.infoHash, layout.paths)).toBeUndefined();
    await rm(layout.paths[0]!);
    expect(await loadResume(state(), fx.meta.infoHash, layout.paths)).toBeUndefined();
  });
});
