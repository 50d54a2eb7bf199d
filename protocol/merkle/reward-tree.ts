// Reward leaves (DESIGN.md): keccak256 over abi.encode(epoch, account, cumulative), hashed
// twice and built as OpenZeppelin's StandardMerkleTree builds it (leaves sorted by hash,
// sorted pairs), so OpenZeppelin's MerkleProof verifies our proofs on-chain. Tested against
// @openzeppelin/merkle-tree and against the contract through protocol/vectors.
//
// Built over flat byte arrays with @noble/hashes' keccak (no hex round trips): an epoch of a
// hundred thousand accounts is a few hundred milliseconds, in Node and in workerd
// (`npm run bench:chain` times the edge's whole aggregation).

import { keccak_256 } from "@noble/hashes/sha3.js";
import type { Address, Hex } from "viem";

export interface RewardLeaf {
  account: Address;
  cumulative: bigint;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function toHex(bytes: Uint8Array, offset = 0, length = bytes.length - offset): Hex {
  let s = "0x";
  for (let i = offset; i < offset + length; i++) s += HEX[bytes[i]!];
  return s as Hex;
}

function fromHex(hex: string, out: Uint8Array, offset: number): void {
  for (let i = 0; i < (hex.length - 2) / 2; i++) {
    const byte = parseInt(hex.slice(2 + 2 * i, 4 + 2 * i), 16);
    if (Number.isNaN(byte)) throw new RangeError(`not hex: ${hex}`);
    out[offset + i] = byte;
  }
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const MAX_UINT256 = (1n << 256n) - 1n;

/** The 32-byte leaf hash into `out` at `offset`: keccak256(keccak256(abi.encode(uint64, address, uint256))). */
function leafHashInto(epoch: bigint, account: string, cumulative: bigint, scratch: Uint8Array, out: Uint8Array, offset: number): void {
  if (!ADDRESS.test(account)) throw new RangeError(`not an address: ${account}`);
  if (cumulative < 0n || cumulative > MAX_UINT256) throw new RangeError("cumulative amount out of range");
  scratch.fill(0);
  // uint64 epoch, right-aligned in the first word.
  for (let i = 0, v = epoch; i < 8; i++, v >>= 8n) scratch[31 - i] = Number(v & 0xffn);
  fromHex(account, scratch, 44);
  for (let i = 0, v = cumulative; i < 32 && v > 0n; i++, v >>= 8n) scratch[95 - i] = Number(v & 0xffn);
  out.set(keccak_256(keccak_256(scratch)), offset);
}

function checkEpoch(epoch: number | bigint): bigint {
  const e = BigInt(epoch);
  if (e < 0n || e >= 1n << 64n) throw new RangeError(`epoch out of range: ${epoch}`);
  return e;
}

export function rewardLeafHash(epoch: number | bigint, account: Address, cumulative: bigint): Hex {
  const out = new Uint8Array(32);
  leafHashInto(checkEpoch(epoch), account, cumulative, new Uint8Array(96), out, 0);
  return toHex(out);
}

function compare(a: Uint8Array, ai: number, b: Uint8Array, bi: number): number {
  for (let k = 0; k < 32; k++) {
    const d = a[ai + k]! - b[bi + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

function hashPair(a: Hex, b: Hex): Hex {
  const pair = new Uint8Array(64);
  fromHex(a.toLowerCase() < b.toLowerCase() ? a : b, pair, 0);
  fromHex(a.toLowerCase() < b.toLowerCase() ? b : a, pair, 32);
  return toHex(keccak_256(pair));
}

export interface RewardTree {
  epoch: bigint;
  root: Hex;
  /** Leaves in the caller's order, with their hashes. */
  leaves: (RewardLeaf & { hash: Hex })[];
  proof(account: Address): Hex[];
}

export function buildRewardTree(epoch: number | bigint, leaves: RewardLeaf[]): RewardTree {
  const n = leaves.length;
  if (n === 0) throw new RangeError("a reward tree needs at least one leaf");
  const e = checkEpoch(epoch);
  const index = new Map<string, number>();
  const hashes = new Uint8Array(n * 32);
  const scratch = new Uint8Array(96);
  leaves.forEach((l, i) => {
    const key = l.account.toLowerCase();
    if (index.has(key)) throw new RangeError(`account ${l.account} appears twice`);
    if (l.cumulative < 0n) throw new RangeError("negative cumulative amount");
    index.set(key, i);
    leafHashInto(e, l.account, l.cumulative, scratch, hashes, i * 32);
  });

  // OpenZeppelin's layout: a complete binary tree in an array, the leaves sorted by hash at its
  // end. Sorted as numbers: 53 leading bits are exact in a double; ties compare all 32 bytes.
  const order = Array.from({ length: n }, (_, i) => i);
  const keys = new Float64Array(n);
  const view = new DataView(hashes.buffer);
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
  const node = (i: number): Hex => toHex(tree, i * 32, 32);
  return {
    epoch: e,
    root: node(0),
    leaves: leaves.map((l, i) => ({ ...l, hash: toHex(hashes, i * 32, 32) })),
    proof(account: Address): Hex[] {
      const i = index.get(account.toLowerCase());
      if (i === undefined) throw new RangeError(`no leaf for ${account}`);
      const proof: Hex[] = [];
      for (let p = position[i]!; p > 0; p = (p - 1) >> 1) proof.push(node(p % 2 === 1 ? p + 1 : p - 1));
      return proof;
    },
  };
}

export function verifyRewardProof(root: Hex, leafHash: Hex, proof: Hex[]): boolean {
  let h = leafHash;
  for (const p of proof) h = hashPair(h, p);
  return h.toLowerCase() === root.toLowerCase();
}
