// Fraud evidence (DESIGN.md "Anyone can audit"; contracts/src/FraudEvidence.sol): a node's signed
// ChallengeAnswer naming, for block i of the root it signed, a hash that is not block i's, with
// the true block i and its path to that root. `vidya audit` writes it when it catches one,
// `vidya slash <file>` submits it; checkFraudEvidence runs the contract's checks off-chain first.

import { sha256 } from "@noble/hashes/sha2.js";
import type { Hex } from "viem";
import { BLOCK_SIZE } from "../params.ts";
import { bytesEqual, fromHex, toHex } from "../hex.ts";
import { hashPair } from "../merkle/storage-tree.ts";
import { answerMessage, verifyChallengeAnswer, type ChallengeAnswer } from "../reports/eip712.ts";

export const FRAUD_EVIDENCE_KIND = "vidya.fraud-evidence/1";

export interface FraudEvidence {
  kind: typeof FRAUD_EVIDENCE_KIND;
  chainId: number;
  /** The answer exactly as the node signed it (hex fields 0x-prefixed). */
  answer: ChallengeAnswer;
  signature: Hex;
  /** Which of the answer's blocks it got wrong. */
  position: number;
  /** The true block at that index (hex of its bytes) and its sibling hashes up to the signed root. */
  block: Hex;
  path: Hex[];
}

const hex0x = (h: string): Hex => `0x${h.replace(/^0x/, "").toLowerCase()}`;

export function fraudEvidenceFor(answer: ChallengeAnswer, signature: Hex, position: number, block: Uint8Array, path: Uint8Array[], chainId = 31337): FraudEvidence {
  return {
    kind: FRAUD_EVIDENCE_KIND,
    chainId,
    answer: { ...answer, infoHash: hex0x(answer.infoHash), root: hex0x(answer.root), beacon: hex0x(answer.beacon), nonce: hex0x(answer.nonce), blockHashes: answer.blockHashes.map(hex0x) },
    signature,
    position,
    block: `0x${toHex(block)}`,
    path: path.map((p) => `0x${toHex(p)}` as Hex),
  };
}

/** The positions of `answer` whose signed hash is not the hash of the block received there (`received[k]`, hex leaf). */
export function wrongPositions(answer: Pick<ChallengeAnswer, "blockHashes">, received: string[]): number[] {
  return answer.blockHashes.flatMap((h, k) => (received[k] !== undefined && hex0x(h) !== hex0x(received[k]!) ? [k] : []));
}

/** The root `path` leads `leaf` at `index` to (BEP 52's tree, the index's low bit first), or null when the index does not fit the path. */
export function rootOfPath(leaf: Uint8Array, index: number, path: Uint8Array[]): Uint8Array | null {
  if (path.length < 53 && Math.floor(index / 2 ** path.length) !== 0) return null;
  let node = leaf;
  let i = index;
  for (const sibling of path) {
    node = i & 1 ? hashPair(sibling, node) : hashPair(node, sibling);
    i = Math.floor(i / 2);
  }
  return node;
}

/**
 * Why `e` would not slash (null: it would, bond permitting), the contract's checks in its order:
 * the position, the block's length (1 to 16 KiB, never the 64 bytes of an inner node), the node's
 * signature, the true block's path to the root the node signed, and the signed hash differing.
 */
export async function checkFraudEvidence(e: FraudEvidence): Promise<string | null> {
  if (e.kind !== FRAUD_EVIDENCE_KIND) return `not fraud evidence (kind ${String(e.kind)})`;
  const a = e.answer;
  if (!Number.isInteger(e.position) || e.position < 0 || e.position >= a.blocks.length || a.blocks.length !== a.blockHashes.length) return `no block at position ${e.position}`;
  const block = fromHex(e.block.slice(2));
  if (block.length === 0 || block.length > BLOCK_SIZE || block.length === 64) return `a block of ${block.length} bytes cannot be evidence`;
  if (!(await verifyChallengeAnswer(e.chainId, a, e.signature))) return `the answer is not signed by node ${a.node}`;
  const leaf = sha256(block);
  const root = rootOfPath(leaf, a.blocks[e.position]!, e.path.map((p) => fromHex(p.slice(2))));
  if (!root || !bytesEqual(root, fromHex(a.root.replace(/^0x/, "")))) return `the block is not block ${a.blocks[e.position]} of the root the node signed`;
  if (hex0x(a.blockHashes[e.position]!) === `0x${toHex(leaf)}`) return `the node's hash for block ${a.blocks[e.position]} is right: no fraud`;
  return null;
}

/** The arguments of Staking.slashFraud / checkFraud for `e`. */
export function fraudCallArgs(e: FraudEvidence) {
  return [answerMessage(e.answer), e.signature, BigInt(e.position), e.block, e.path] as const;
}

/** Parses an evidence file's JSON, naming the first bad field. */
export function parseFraudEvidence(json: unknown): FraudEvidence {
  const j = json as Partial<FraudEvidence> | null;
  const bad = (what: string) => new Error(`fraud evidence: ${what}`);
  if (!j || typeof j !== "object" || j.kind !== FRAUD_EVIDENCE_KIND) throw bad(`kind must be ${FRAUD_EVIDENCE_KIND}`);
  if (!Number.isInteger(j.chainId)) throw bad("chainId must be an integer");
  const a = j.answer as ChallengeAnswer | undefined;
  if (!a || typeof a !== "object" || !/^0x[0-9a-fA-F]{40}$/.test(a.node)) throw bad("answer.node must be an address");
  if (!Array.isArray(a.blocks) || !Array.isArray(a.blockHashes)) throw bad("answer.blocks and answer.blockHashes must be arrays");
  if (typeof j.signature !== "string" || !/^0x[0-9a-fA-F]{130}$/.test(j.signature)) throw bad("signature must be 65 bytes of hex");
  if (typeof j.block !== "string" || !/^0x([0-9a-fA-F]{2})+$/.test(j.block)) throw bad("block must be hex bytes");
  if (!Array.isArray(j.path) || !j.path.every((p) => typeof p === "string" && /^0x[0-9a-fA-F]{64}$/.test(p))) throw bad("path must be 32-byte hex hashes");
  return j as FraudEvidence;
}
