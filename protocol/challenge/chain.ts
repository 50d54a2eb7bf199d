// Chained challenge blocks (DESIGN.md "Challenges a relay cannot pass cheaply"): block 0 of a
// challenge comes from the round's randomness; block k+1 from the round's randomness and the
// SHA-256 leaf hash of block k's bytes. A node without the data cannot know which block comes
// next until it has block k, so a relay pays one full fetch from its source per block, one
// after another, inside the challenge's budget. The chaining input is the leaf hash (not the
// bytes) so anyone holding only a transcript, whose leaves the merkle paths checked against the
// root, can re-derive the chain.

import { encodeAbiParameters, hexToBytes, keccak256, type Hex } from "viem";
import { blockCount } from "../merkle/storage-tree.ts";

const ZERO32: Hex = `0x${"00".repeat(32)}`;
const CHAIN_TAG = "vidya.challenge.chain";
const bytes20 = (infoHash: string): Hex => `0x${infoHash.replace(/^0x/, "").toLowerCase()}`;
const bytes32 = (h: string): Hex => `0x${h.replace(/^0x/, "").toLowerCase()}`;

/** Block `k` of the chain in a tree of `treeLength` bytes; `previousLeaf` is block k-1's leaf hash (hex), null for k = 0. */
export function chainedBlock(randomness: Hex, infoHash: string, treeLength: number, k: number, previousLeaf: string | null): number {
  if ((k === 0) !== (previousLeaf === null)) throw new RangeError("block 0 has no previous leaf; every later block has one");
  const leaf = previousLeaf === null ? ZERO32 : bytes32(previousLeaf);
  const h = HEX32.test(randomness) && HEX20.test(bytes20(infoHash)) && HEX32.test(leaf) && Number.isInteger(k) && k >= 0 && k <= 0xffff_ffff ? chainHashFast(randomness, bytes20(infoHash), k, leaf) : chainHashAbi(randomness, infoHash, k, leaf);
  return Number(BigInt(h) % BigInt(blockCount(treeLength)));
}

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const HEX20 = /^0x[0-9a-fA-F]{40}$/;
/** abi.encode(bytes32, string, bytes20, uint32, bytes32): five head words, the string's length and its one padded word. */
const TEMPLATE = hexToBytes(encodeAbiParameters(
  [{ type: "bytes32" }, { type: "string" }, { type: "bytes20" }, { type: "uint32" }, { type: "bytes32" }],
  [ZERO32, CHAIN_TAG, `0x${"00".repeat(20)}`, 0, ZERO32],
));

/** The chain's hash written straight into the ABI words: the edge derives 16 per challenge, `vidya verify` every transcript's. */
function chainHashFast(randomness: Hex, infoHash: Hex, k: number, leaf: Hex): Hex {
  const w = TEMPLATE.slice();
  w.set(hexToBytes(randomness), 0);
  w.set(hexToBytes(infoHash), 64);
  new DataView(w.buffer).setUint32(124, k);
  w.set(hexToBytes(leaf), 128);
  return keccak256(w);
}

/** The reference encoding (viem), which also refuses malformed input as before. */
function chainHashAbi(randomness: Hex, infoHash: string, k: number, leaf: Hex): Hex {
  return keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "string" }, { type: "bytes20" }, { type: "uint32" }, { type: "bytes32" }], [randomness, CHAIN_TAG, bytes20(infoHash), k, leaf]));
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

/** For tests: the reference encoding beside the fast one. */
export const chainHashForTests = { fast: chainHashFast, abi: chainHashAbi };
