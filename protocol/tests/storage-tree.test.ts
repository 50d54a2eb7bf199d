import { describe, expect, it } from "vitest";
import { BLOCK_SIZE } from "../params.ts";
import { sha256 } from "@noble/hashes/sha2.js";
import { blockCount, blockLength, hashBlockAsync, storageProof, storageRoot, StorageTreeBuilder, treeDepth, verifyBlockProof, verifyBlockProofAsync, verifyLeafProof } from "../merkle/storage-tree.ts";
import { sha256Pair } from "../merkle/sha256-pair.ts";
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

describe("fast paths of the verifier", () => {
  it("sha256Pair is SHA-256 of the 64 bytes (against @noble/hashes)", () => {
    for (let i = 0; i < 200; i++) {
      const l = crypto.getRandomValues(new Uint8Array(32));
      const r = crypto.getRandomValues(new Uint8Array(32));
      expect(sha256Pair(l, r)).toEqual(sha256(new Uint8Array([...l, ...r])));
    }
  });

  it("verifyBlockProofAsync (WebCrypto leaf) agrees with verifyBlockProof, and rejects a changed block", async () => {
    const data = Uint8Array.from({ length: 7 * BLOCK_SIZE + 99 }, (_, i) => (i * 13) & 0xff);
    const tree = new StorageTreeBuilder().update(data).finish();
    for (const index of [0, 3, 7]) {
      const block = data.slice(index * BLOCK_SIZE, Math.min((index + 1) * BLOCK_SIZE, data.length));
      const proof = storageProof(tree, index);
      expect(await verifyBlockProofAsync(tree.root, data.length, index, block, proof)).toBe(true);
      expect(verifyLeafProof(tree.root, data.length, index, await hashBlockAsync(block), proof)).toBe(true);
      block[0] = block[0]! ^ 1;
      expect(await verifyBlockProofAsync(tree.root, data.length, index, block, proof)).toBe(false);
      expect(verifyBlockProof(tree.root, data.length, index, block, proof)).toBe(false);
    }
    expect(verifyLeafProof(tree.root, data.length, 8, new Uint8Array(32), storageProof(tree, 0))).toBe(false);
  });
});
