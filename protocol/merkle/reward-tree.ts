// Reward leaves (DESIGN.md): keccak256 over abi.encode(epoch, account, cumulative), hashed
// twice and built as OpenZeppelin's StandardMerkleTree builds it (leaves sorted by hash,
// sorted pairs), so OpenZeppelin's MerkleProof verifies our proofs on-chain. Tested against
// @openzeppelin/merkle-tree and against the contract through protocol/vectors.

import { concat, encodeAbiParameters, keccak256, type Address, type Hex } from "viem";

export interface RewardLeaf {
  account: Address;
  cumulative: bigint;
}

const LEAF_TYPES = [{ type: "uint64" }, { type: "address" }, { type: "uint256" }] as const;

export function rewardLeafHash(epoch: number | bigint, account: Address, cumulative: bigint): Hex {
  return keccak256(keccak256(encodeAbiParameters(LEAF_TYPES, [BigInt(epoch), account, cumulative])));
}

function hashPair(a: Hex, b: Hex): Hex {
  return keccak256(a.toLowerCase() < b.toLowerCase() ? concat([a, b]) : concat([b, a]));
}

export interface RewardTree {
  epoch: bigint;
  root: Hex;
  /** Leaves in the caller's order, with their hashes. */
  leaves: (RewardLeaf & { hash: Hex })[];
  proof(account: Address): Hex[];
}

export function buildRewardTree(epoch: number | bigint, leaves: RewardLeaf[]): RewardTree {
  if (leaves.length === 0) throw new RangeError("a reward tree needs at least one leaf");
  const seen = new Set<string>();
  const hashed = leaves.map((l) => {
    const key = l.account.toLowerCase();
    if (seen.has(key)) throw new RangeError(`account ${l.account} appears twice`);
    seen.add(key);
    if (l.cumulative < 0n) throw new RangeError("negative cumulative amount");
    return { ...l, hash: rewardLeafHash(epoch, l.account, l.cumulative) };
  });
  // OpenZeppelin's layout: a complete binary tree in an array, leaves sorted by hash at the end.
  const sorted = hashed.map((l) => l.hash).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
  const tree: Hex[] = new Array(2 * sorted.length - 1);
  sorted.forEach((h, i) => (tree[tree.length - 1 - i] = h));
  for (let i = tree.length - 1 - sorted.length; i >= 0; i--) tree[i] = hashPair(tree[2 * i + 1]!, tree[2 * i + 2]!);
  const position = new Map(sorted.map((h, i) => [h, tree.length - 1 - i]));
  const byAccount = new Map(hashed.map((l) => [l.account.toLowerCase(), l.hash]));
  return {
    epoch: BigInt(epoch),
    root: tree[0]!,
    leaves: hashed,
    proof(account: Address): Hex[] {
      const h = byAccount.get(account.toLowerCase());
      if (!h) throw new RangeError(`no leaf for ${account}`);
      const proof: Hex[] = [];
      for (let i = position.get(h)!; i > 0; i = Math.floor((i - 1) / 2)) proof.push(tree[i % 2 === 1 ? i + 1 : i - 1]!);
      return proof;
    },
  };
}

export function verifyRewardProof(root: Hex, leafHash: Hex, proof: Hex[]): boolean {
  let h = leafHash;
  for (const p of proof) h = hashPair(h, p);
  return h.toLowerCase() === root.toLowerCase();
}
