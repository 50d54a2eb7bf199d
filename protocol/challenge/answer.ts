// The node's signed answer (protocol/reports/eip712.ts ChallengeAnswer), built from the tree it
// serves: the leaf hashes of the blocks asked for are in the tree, so signing reads no data.
// Shared by the node (node/challenge/proof-extension.ts), the test seeders and the adversaries.

import type { Hex, LocalAccount } from "viem";
import type { StorageTree } from "../merkle/storage-tree.ts";
import { HASH_SIZE } from "../merkle/storage-tree.ts";
import { fromHex, toHex } from "../hex.ts";
import { signChallengeAnswer, type ChallengeAnswer } from "../reports/eip712.ts";
import type { ChallengeContext, SignedAnswer } from "./proof-extension.ts";

export function leafHash(tree: StorageTree, index: number): string {
  return toHex(tree.levels[0]!.slice(index * HASH_SIZE, (index + 1) * HASH_SIZE));
}

/** The answer as the node signs it: its own address, whatever the challenger expected. */
export function answerFor(node: string, infoHash: string, c: ChallengeContext, root: Uint8Array, blocks: number[], blockHashes: string[], at: number): ChallengeAnswer {
  return { node: node.toLowerCase(), infoHash, epoch: c.epoch, round: c.round, beacon: `0x${toHex(c.beacon)}` as Hex, nonce: `0x${toHex(c.nonce)}` as Hex, root: toHex(root), blocks, blockHashes, answeredAt: at };
}

/**
 * Signs the answer for `blocks`. `served` are the leaf hashes of the blocks this connection was
 * last sent, oldest first: the node signs what it served (issue 12 part 3), so a block served
 * wrong is a signed false statement anyone can submit (protocol/challenge/fraud.ts); without
 * them (no block fetched on this wire) it signs its tree's leaves.
 */
export async function signAnswer(account: LocalAccount, infoHash: string, c: ChallengeContext, tree: StorageTree, blocks: number[], now = Date.now(), served: string[] = []): Promise<SignedAnswer> {
  const a = answerFor(account.address, infoHash, c, tree.root, blocks, servedHashes(tree, blocks, served), now);
  const sig = await signChallengeAnswer(account, c.chainId, a);
  return { at: now, sig: fromHex(sig.slice(2)) };
}

/** The hashes an answer for `blocks` signs: the last `blocks.length` served, aligned from the end, the tree's leaves where none was served. */
export function servedHashes(tree: StorageTree, blocks: number[], served: string[]): string[] {
  const skip = served.length - blocks.length;
  return blocks.map((b, i) => served[skip + i] ?? leafHash(tree, b));
}

