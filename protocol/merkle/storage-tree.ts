// The storage tree (DESIGN.md "Storage root"): the payload, files concatenated in info-dict
// order, split into 16 KiB blocks; leaf = SHA-256(block), the last block hashed as it is;
// leaves padded with zero hashes to a power of two; parent = SHA-256(left ‖ right).
// This is BEP 52's per-file tree applied to the whole v1 payload.

import { sha256 } from "@noble/hashes/sha2.js";
import { BLOCK_SIZE } from "../params.ts";
import { bytesEqual, concatBytes } from "../hex.ts";
import { sha256Pair } from "./sha256-pair.ts";

export const HASH_SIZE = 32;
const ZERO_HASH = new Uint8Array(HASH_SIZE);

export function blockCount(totalLength: number): number {
  if (!Number.isSafeInteger(totalLength) || totalLength <= 0) throw new RangeError("payload length must be a positive integer");
  return Math.ceil(totalLength / BLOCK_SIZE);
}

/** Length of block `index`: BLOCK_SIZE except for a shorter last block. */
export function blockLength(totalLength: number, index: number): number {
  const n = blockCount(totalLength);
  if (!Number.isInteger(index) || index < 0 || index >= n) throw new RangeError(`block ${index} out of range (0..${n - 1})`);
  return index === n - 1 ? totalLength - index * BLOCK_SIZE : BLOCK_SIZE;
}

/** Depth of the tree (length of every proof) for a payload of this length. */
export function treeDepth(totalLength: number): number {
  const n = blockCount(totalLength);
  return n <= 1 ? 0 : Math.ceil(Math.log2(n));
}

export function hashBlock(block: Uint8Array): Uint8Array {
  return sha256(block);
}

/**
 * SHA-256 of a block with the platform's native digest (WebCrypto, in Workers and Node alike),
 * about twenty times faster than hashing 16 KiB in JavaScript; @noble/hashes where there is none.
 */
export async function hashBlockAsync(block: Uint8Array): Promise<Uint8Array> {
  const subtle = typeof crypto === "undefined" ? undefined : crypto.subtle;
  if (!subtle) return sha256(block);
  return new Uint8Array(await subtle.digest("SHA-256", block as Uint8Array<ArrayBuffer>));
}

export function hashPair(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256Pair(left, right);
}

/** All levels, leaves first; each level is its hashes concatenated (32 bytes each). */
export interface StorageTree {
  totalLength: number;
  leafCount: number;
  levels: Uint8Array[];
  root: Uint8Array;
}

export function buildStorageTree(leafHashes: Uint8Array[] | Uint8Array, totalLength: number): StorageTree {
  const flat = leafHashes instanceof Uint8Array ? leafHashes : concatBytes(...leafHashes);
  const leafCount = flat.length / HASH_SIZE;
  if (leafCount !== blockCount(totalLength)) throw new RangeError(`expected ${blockCount(totalLength)} leaves, got ${leafCount}`);
  const width = 1 << treeDepth(totalLength);
  let level = new Uint8Array(width * HASH_SIZE); // zero-padded to a power of two
  level.set(flat);
  const levels = [level];
  while (level.length > HASH_SIZE) {
    const next = new Uint8Array(level.length / 2);
    for (let i = 0; i < next.length / HASH_SIZE; i++) {
      const l = level.subarray(2 * i * HASH_SIZE, (2 * i + 1) * HASH_SIZE);
      const r = level.subarray((2 * i + 1) * HASH_SIZE, (2 * i + 2) * HASH_SIZE);
      next.set(hashPair(l, r), i * HASH_SIZE);
    }
    levels.push(next);
    level = next;
  }
  return { totalLength, leafCount, levels, root: level.slice(0, HASH_SIZE) };
}

/** Builds the tree from the payload as it streams by, one chunk at a time (any chunk sizes). */
export class StorageTreeBuilder {
  private readonly hashes: Uint8Array[] = [];
  private readonly pending = new Uint8Array(BLOCK_SIZE);
  private pendingLength = 0;
  private total = 0;

  update(chunk: Uint8Array): this {
    let o = 0;
    while (o < chunk.length) {
      const take = Math.min(BLOCK_SIZE - this.pendingLength, chunk.length - o);
      this.pending.set(chunk.subarray(o, o + take), this.pendingLength);
      this.pendingLength += take;
      o += take;
      if (this.pendingLength === BLOCK_SIZE) {
        this.hashes.push(hashBlock(this.pending));
        this.pendingLength = 0;
      }
    }
    this.total += chunk.length;
    return this;
  }

  finish(): StorageTree {
    if (this.pendingLength > 0) this.hashes.push(hashBlock(this.pending.subarray(0, this.pendingLength)));
    return buildStorageTree(this.hashes, this.total);
  }
}

export function storageRoot(payload: Uint8Array): Uint8Array {
  return new StorageTreeBuilder().update(payload).finish().root;
}

/** Sibling hashes from the leaf up to (not including) the root. */
export function storageProof(tree: StorageTree, index: number): Uint8Array[] {
  if (!Number.isInteger(index) || index < 0 || index >= tree.leafCount) throw new RangeError(`block ${index} out of range`);
  const proof: Uint8Array[] = [];
  let i = index;
  for (let d = 0; d < tree.levels.length - 1; d++) {
    const sibling = i ^ 1;
    proof.push(tree.levels[d]!.slice(sibling * HASH_SIZE, (sibling + 1) * HASH_SIZE));
    i >>= 1;
  }
  return proof;
}

/**
 * Checks a block against the storage root. The expected depth and block length come from
 * the torrent's length, so a short or padded proof and a truncated block are rejected.
 */
export function verifyBlockProof(root: Uint8Array, totalLength: number, index: number, block: Uint8Array, proof: Uint8Array[]): boolean {
  if (!Number.isInteger(index) || index < 0 || index >= blockCount(totalLength)) return false;
  if (block.length !== blockLength(totalLength, index)) return false;
  return verifyLeafProof(root, totalLength, index, hashBlock(block), proof);
}

/** The same check with the block hashed natively (what the edge runs on every challenged block). */
export async function verifyBlockProofAsync(root: Uint8Array, totalLength: number, index: number, block: Uint8Array, proof: Uint8Array[]): Promise<boolean> {
  if (!Number.isInteger(index) || index < 0 || index >= blockCount(totalLength)) return false;
  if (block.length !== blockLength(totalLength, index)) return false;
  return verifyLeafProof(root, totalLength, index, await hashBlockAsync(block), proof);
}

/**
 * Checks a leaf hash (SHA-256 of a block whose length the caller checked) against the root:
 * the path's length must be the tree's depth for this payload length.
 */
export function verifyLeafProof(root: Uint8Array, totalLength: number, index: number, leaf: Uint8Array, proof: Uint8Array[]): boolean {
  if (!Number.isInteger(index) || index < 0 || index >= blockCount(totalLength)) return false;
  if (leaf.length !== HASH_SIZE || proof.length !== treeDepth(totalLength)) return false;
  let node = leaf;
  let i = index;
  for (const sibling of proof) {
    if (sibling.length !== HASH_SIZE) return false;
    node = i & 1 ? hashPair(sibling, node) : hashPair(node, sibling);
    i >>= 1;
  }
  return bytesEqual(node, root);
}

export { ZERO_HASH };
