// Chained challenge blocks (DESIGN.md "Challenges a relay cannot pass cheaply"): block 0 of a
// challenge comes from the round's randomness; block k+1 from the round's randomness and the
// SHA-256 leaf hash of block k's bytes. A node without the data cannot know which block comes
// next until it has block k, so a relay pays one full fetch from its source per block, one
// after another, inside the challenge's budget. The chaining input is the leaf hash (not the
// bytes) so anyone holding only a transcript, whose leaves the merkle paths checked against the
// root, can re-derive the chain.

import { encodeAbiParameters, keccak256, type Hex } from "viem";
import { blockCount } from "../merkle/storage-tree.ts";

const ZERO32: Hex = `0x${"00".repeat(32)}`;
const bytes20 = (infoHash: string): Hex => `0x${infoHash.replace(/^0x/, "").toLowerCase()}`;
const bytes32 = (h: string): Hex => `0x${h.replace(/^0x/, "").toLowerCase()}`;

/** Block `k` of the chain in a tree of `treeLength` bytes; `previousLeaf` is block k-1's leaf hash (hex), null for k = 0. */
export function chainedBlock(randomness: Hex, infoHash: string, treeLength: number, k: number, previousLeaf: string | null): number {
  if ((k === 0) !== (previousLeaf === null)) throw new RangeError("block 0 has no previous leaf; every later block has one");
  const h = keccak256(
    encodeAbiParameters(
      [{ type: "bytes32" }, { type: "string" }, { type: "bytes20" }, { type: "uint32" }, { type: "bytes32" }],
      [randomness, "vidya.challenge.chain", bytes20(infoHash), k, previousLeaf === null ? ZERO32 : bytes32(previousLeaf)],
    ),
  );
  return Number(BigInt(h) % BigInt(blockCount(treeLength)));
}

/**
 * The blocks a chain of `count` names given the leaf hashes served so far: block 0, then one
 * more per leaf (at most `count`). A transcript's `blocks` must equal this for its `blockHashes`.
 */
export function chainedBlocks(randomness: Hex, infoHash: string, treeLength: number, leaves: string[], count: number): number[] {
  const out = [chainedBlock(randomness, infoHash, treeLength, 0, null)];
  for (let k = 1; k < count && k <= leaves.length; k++) out.push(chainedBlock(randomness, infoHash, treeLength, k, leaves[k - 1]!));
  return out;
}

/** Whether `blocks` is exactly the chain `blockHashes` implies (a full chain of `count` when `complete`). */
export function followsChain(randomness: Hex, infoHash: string, treeLength: number, blocks: number[], blockHashes: string[], count: number, complete: boolean): boolean {
  if (blocks.length === 0 || blocks.length > count || blockHashes.length > blocks.length) return false;
  if (complete && (blocks.length !== count || blockHashes.length !== count)) return false;
  const expected = chainedBlocks(randomness, infoHash, treeLength, blockHashes, count);
  // The last requested block may have no hash yet (its answer never came): compare the prefix.
  return blocks.every((b, i) => b === expected[i]);
}
