// Reward trees of a million leaves for the benchmarks: the same leaves and the same
// OpenZeppelin StandardMerkleTree layout as protocol/merkle/reward-tree.ts (leaf =
// keccak256(keccak256(abi.encode(uint64 epoch, address account, uint256 cumulative))), leaves
// sorted by hash at the end of a complete binary tree, sorted pairs), but over flat byte
// arrays instead of hex strings, so 2^20 leaves build in seconds. bench/chain.ts checks it
// against protocol/merkle/reward-tree.ts before trusting it.

import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, hexToBytes, type Address, type Hex } from "viem";

export interface FastLeaf {
  account: Address;
  cumulative: bigint;
}

export interface FastTree {
  root: Hex;
  leafCount: number;
  /** Proof of the leaf at `index` in the caller's order. */
  proof(index: number): Hex[];
}

function leafHash(epoch: bigint, account: Uint8Array, cumulative: bigint, scratch: Uint8Array): Uint8Array {
  scratch.fill(0);
  const view = new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength);
  view.setBigUint64(24, epoch); // uint64 in the first word, right-aligned
  scratch.set(account, 44); // address in the second word, right-aligned
  for (let i = 0, v = cumulative; i < 32; i++, v >>= 8n) scratch[95 - i] = Number(v & 0xffn);
  return keccak_256(keccak_256(scratch));
}

function compare(a: Uint8Array, ai: number, b: Uint8Array, bi: number): number {
  for (let k = 0; k < 32; k++) {
    const d = a[ai + k]! - b[bi + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

export function buildFastRewardTree(epoch: number | bigint, leaves: FastLeaf[]): FastTree {
  const n = leaves.length;
  if (n === 0) throw new RangeError("a reward tree needs at least one leaf");
  const e = BigInt(epoch);
  const hashes = new Uint8Array(n * 32);
  const scratch = new Uint8Array(96);
  for (let i = 0; i < n; i++) hashes.set(leafHash(e, hexToBytes(leaves[i]!.account), leaves[i]!.cumulative, scratch), i * 32);

  // Leaves sorted by hash, as numbers (big-endian bytes compare the same way).
  const order = Array.from({ length: n }, (_, i) => i);
  const keys = new Float64Array(n);
  const view = new DataView(hashes.buffer);
  // 53 leading bits are exact in a double; ties fall back to the full 32 bytes.
  for (let i = 0; i < n; i++) keys[i] = view.getUint32(i * 32) * 2 ** 21 + (view.getUint32(i * 32 + 4) >>> 11);
  order.sort((a, b) => keys[a]! - keys[b]! || compare(hashes, a * 32, hashes, b * 32));

  const size = 2 * n - 1;
  const tree = new Uint8Array(size * 32);
  const position = new Int32Array(n);
  order.forEach((leaf, rank) => {
    const at = size - 1 - rank;
    tree.set(hashes.subarray(leaf * 32, leaf * 32 + 32), at * 32);
    position[leaf] = at;
  });
  const pair = new Uint8Array(64);
  for (let i = size - 1 - n; i >= 0; i--) {
    const l = (2 * i + 1) * 32;
    const r = (2 * i + 2) * 32;
    const leftFirst = compare(tree, l, tree, r) <= 0;
    pair.set(tree.subarray(leftFirst ? l : r, (leftFirst ? l : r) + 32), 0);
    pair.set(tree.subarray(leftFirst ? r : l, (leftFirst ? r : l) + 32), 32);
    tree.set(keccak_256(pair), i * 32);
  }
  const node = (i: number): Hex => bytesToHex(tree.subarray(i * 32, i * 32 + 32));
  return {
    root: node(0),
    leafCount: n,
    proof(index: number): Hex[] {
      const proof: Hex[] = [];
      for (let i = position[index]!; i > 0; i = (i - 1) >> 1) proof.push(node(i % 2 === 1 ? i + 1 : i - 1));
      return proof;
    },
  };
}

/** `count` distinct deterministic accounts: 0x…0001, 0x…0002, … with a fixed high prefix. */
export function benchAccounts(count: number): Address[] {
  return Array.from({ length: count }, (_, i) => `0x5eed${(i + 1).toString(16).padStart(36, "0")}` as Address);
}
