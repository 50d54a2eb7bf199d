import { describe, expect, it } from "vitest";
import { BLOCK_SIZE } from "../params.ts";
import { blockCount, blockLength, storageProof, storageRoot, StorageTreeBuilder, treeDepth, verifyBlockProof } from "../merkle/storage-tree.ts";
import { blockLocation } from "../wire/messages.ts";

const payload = Uint8Array.from({ length: 5 * BLOCK_SIZE + 123 }, (_, i) => (i * 31 + (i >> 8)) & 0xff);
const tree = new StorageTreeBuilder().update(payload).finish();
const block = (i: number) => payload.subarray(i * BLOCK_SIZE, i * BLOCK_SIZE + blockLength(payload.length, i));

describe("storage tree", () => {
  it("counts blocks and depth at the edges", () => {
    expect([blockCount(1), blockCount(BLOCK_SIZE), blockCount(BLOCK_SIZE + 1)]).toEqual([1, 1, 2]);
    expect([treeDepth(1), treeDepth(2 * BLOCK_SIZE), treeDepth(3 * BLOCK_SIZE), treeDepth(5 * BLOCK_SIZE)]).toEqual([0, 1, 2, 3]);
    expect(() => blockCount(0)).toThrow(RangeError);
  });

  it("verifies every block's path, including the short last block", () => {
    for (let i = 0; i < tree.leafCount; i++) expect(verifyBlockProof(tree.root, payload.length, i, block(i), storageProof(tree, i))).toBe(true);
  });

  it("rejects a corrupted block, a path for another block, a truncated block and a short path", () => {
    const bad = block(2).slice();
    bad[100] = bad[100]! ^ 1;
    expect(verifyBlockProof(tree.root, payload.length, 2, bad, storageProof(tree, 2))).toBe(false);
    expect(verifyBlockProof(tree.root, payload.length, 2, block(2), storageProof(tree, 3))).toBe(false);
    expect(verifyBlockProof(tree.root, payload.length, 5, block(5).subarray(1), storageProof(tree, 5))).toBe(false);
    expect(verifyBlockProof(tree.root, payload.length, 2, block(2), storageProof(tree, 2).slice(1))).toBe(false);
    expect(verifyBlockProof(tree.root, payload.length, 99, block(2), storageProof(tree, 2))).toBe(false);
  });

  it("a padded zero leaf cannot be claimed as a block", () => {
    // Leaves 6 and 7 are zero padding: no block index maps there, so no proof can name them.
    expect(() => storageProof(tree, 6)).toThrow(RangeError);
    expect(verifyBlockProof(tree.root, payload.length, 6, new Uint8Array(0), [])).toBe(false);
  });

  it("streaming and one-shot builds agree", () => {
    expect(storageRoot(payload)).toEqual(tree.root);
  });

  it("maps blocks onto v1 pieces", () => {
    expect(blockLocation(0, BLOCK_SIZE, 4 * BLOCK_SIZE, payload.length)).toEqual({ piece: 0, begin: 0, length: BLOCK_SIZE });
    expect(blockLocation(5, BLOCK_SIZE, 4 * BLOCK_SIZE, payload.length)).toEqual({ piece: 1, begin: BLOCK_SIZE, length: 123 });
    expect(() => blockLocation(6, BLOCK_SIZE, 4 * BLOCK_SIZE, payload.length)).toThrow(RangeError);
  });
});
