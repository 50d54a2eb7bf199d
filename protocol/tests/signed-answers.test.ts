// What `vidya verify` (protocol/epoch/check.ts) and the evaluation make of an edge that claims
// passes: a pass needs the node's signed answer over the chained blocks it served.
import { describe, expect, it } from "vitest";
import type { Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { sha256 } from "@noble/hashes/sha2.js";
import { checkInputs } from "../epoch/check.ts";
import { evaluateEpoch } from "../epoch/evaluate.ts";
import { chainedBlock } from "../challenge/chain.ts";
import { roundRandomness, seedCommitment, transcriptId } from "../challenge/schedule.ts";
import type { Transcript, UnsignedTranscript } from "../challenge/transcript.ts";
import { signChallengeAnswer, signTranscript } from "../reports/eip712.ts";
import { StorageTreeBuilder } from "../merkle/storage-tree.ts";
import { toHex } from "../hex.ts";
import { BLOCK_SIZE, CHALLENGE_BLOCKS } from "../params.ts";

const CHAIN = 31337;
const edge = privateKeyToAccount(generatePrivateKey());
const node = privateKeyToAccount(generatePrivateKey());
const seed = `0x${"3c".repeat(32)}` as Hex;
const payload = Uint8Array.from({ length: 40 * BLOCK_SIZE + 123 }, (_, i) => (i * 31 + 7) & 0xff);
const tree = new StorageTreeBuilder().update(payload).finish();
const infoHash = "ab".repeat(20);
const blockHash = `0x${"0f".repeat(32)}` as Hex;

/** A transcript as the honest edge writes it for an honest node: the chain served, the node's signature, the edge's. */
async function honestTranscript(round: number): Promise<Transcript> {
  const n = node.address.toLowerCase();
  const randomness = roundRandomness({ seed, epoch: 1, node: n, round, blockHash });
  const blocks: number[] = [];
  const hashes: string[] = [];
  for (let k = 0; k < CHALLENGE_BLOCKS; k++) {
    const b = chainedBlock(randomness, infoHash, payload.length, k, k ? hashes[k - 1]! : null);
    blocks.push(b);
    hashes.push(toHex(sha256(payload.subarray(b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE))));
  }
  const nonce = `0x${"5e".repeat(32)}` as Hex;
  const answeredAt = 1_700_000_000_500;
  const root = toHex(tree.root);
  const nodeSignature = await signChallengeAnswer(node, CHAIN, { node: n, infoHash, epoch: 1, round, beacon: blockHash, nonce, root, blocks, blockHashes: hashes, answeredAt });
  const t: UnsignedTranscript = {
    id: transcriptId(1, n, round, infoHash),
    epoch: 1, node: n, round, infoHash, host: "192.0.2.7", port: 6881, blockNumber: 9, blockHash, hostedHash: blockHash,
    file: null, root, treeLength: payload.length, offset: 0, blocks, startedAt: 1_700_000_000_000, durationMs: 40,
    verdict: "pass", reason: "all blocks verified", blockHashes: hashes, proofHash: "11".repeat(32), attempts: 1, tries: [],
    nonce, answeredAt, nodeSignature,
  };
  return signTranscript(edge, CHAIN, t);
}

const inputs = (challenges: Transcript[]) => ({ epoch: 1, challenges, seed, seedCommitment: seedCommitment(seed), transcriptSigner: edge.address.toLowerCase() });

describe("a pass needs the node's signed answer", () => {
  it("verifies an honest pass: the chain re-derives from its leaf hashes and the node signed it", async () => {
    const c = await checkInputs(inputs([await honestTranscript(0)]), CHAIN);
    expect(c).toMatchObject({ seedRevealed: true, underived: [], unsigned: [], unproven: [] });
  });

  it("rejects a pass the edge wrote without the node's signature, though the edge signed it (attack: edge passing a node that did not answer)", async () => {
    const { signer: _s, signature: _g, ...t } = await honestTranscript(1);
    const forged = await signTranscript(edge, CHAIN, { ...t, nodeSignature: null, answeredAt: null });
    const c = await checkInputs(inputs([forged]), CHAIN);
    expect(c.unsigned).toEqual([]);
    expect(c.unproven).toEqual([forged.id]);
    // And the evaluation pays it nothing: a pass without the node's signature is a miss.
    const e = evaluateEpoch([forged], [{ infoHash, length: payload.length }], []);
    expect(e.leaves).toEqual([]);
  });

  it("rejects a pass whose node signature is the edge's own, or over other blocks (attack: edge forging the node's answer)", async () => {
    const { signer: _s, signature: _g, ...t } = await honestTranscript(2);
    const byEdge = await signChallengeAnswer(edge, CHAIN, { node: t.node, infoHash, epoch: 1, round: 2, beacon: blockHash, nonce: t.nonce, root: t.root, blocks: t.blocks, blockHashes: t.blockHashes, answeredAt: t.answeredAt! });
    const forged = await signTranscript(edge, CHAIN, { ...t, nodeSignature: byEdge });
    const otherNonce = await signTranscript(edge, CHAIN, { ...t, nonce: `0x${"99".repeat(32)}` });
    const c = await checkInputs(inputs([forged, otherNonce]), CHAIN);
    expect(c.unproven.sort()).toEqual([forged.id, otherNonce.id].sort());
  });

  it("rejects a pass whose blocks are not the chain its hashes imply (attack: edge choosing the blocks)", async () => {
    const { signer: _s, signature: _g, ...t } = await honestTranscript(3);
    // The second block moved off the index the first block's hash implies (never onto it: a swap
    // of two equal indices, one draw in 41, would change nothing).
    const blocksInPayload = Math.ceil(payload.length / BLOCK_SIZE);
    const swapped = await signTranscript(edge, CHAIN, { ...t, blocks: [t.blocks[0]!, (t.blocks[1]! + 1) % blocksInPayload, ...t.blocks.slice(2)] });
    const c = await checkInputs(inputs([swapped]), CHAIN);
    expect(c.underived).toEqual([swapped.id]);
  });
});

describe("fraud needs the node's signed answer", () => {
  /** A fail whose last chained block the node served wrong and signed (a corrupted copy), as the edge records it. */
  async function signedWrongBlock(round: number, by = node): Promise<Transcript> {
    const { signer: _s, signature: _g, ...t } = await honestTranscript(round);
    const blockHashes = [...t.blockHashes.slice(0, -1), "ee".repeat(32)];
    const nodeSignature = await signChallengeAnswer(by, CHAIN, { node: t.node, infoHash, epoch: 1, round, beacon: blockHash, nonce: t.nonce, root: t.root, blocks: t.blocks, blockHashes, answeredAt: t.answeredAt! });
    return signTranscript(edge, CHAIN, { ...t, verdict: "fail", reason: `block ${t.blocks.at(-1)} does not verify against the storage root (the node signed it)`, blockHashes, nodeSignature });
  }
  const confirmed = [{ infoHash, length: payload.length, rootStatus: "confirmed" as const }];

  it("accepts a fraud the node signed: its signature covers the wrong block's hash the transcript records", async () => {
    const t = await signedWrongBlock(4);
    const c = await checkInputs(inputs([t]), CHAIN);
    expect(c).toMatchObject({ underived: [], unsigned: [], unproven: [], unprovenFrauds: [] });
    expect(evaluateEpoch([t], confirmed, []).penalties).toMatchObject([{ frauds: 1, missed: 0 }]);
  });

  it("rejects a fraud whose node signature is the edge's own or over other hashes (attack: edge brands an honest node a fraud without its signature)", async () => {
    const byEdge = await signedWrongBlock(5, edge);
    const { signer: _s, signature: _g, ...t } = await signedWrongBlock(6);
    const otherHashes = await signTranscript(edge, CHAIN, { ...t, blockHashes: [...t.blockHashes.slice(0, -1), "dd".repeat(32)] });
    const c = await checkInputs(inputs([byEdge, otherHashes]), CHAIN);
    expect(c.unsigned).toEqual([]);
    expect(c.unprovenFrauds.sort()).toEqual([byEdge.id, otherHashes.id].sort());
    // Without any signature the edge's fail is only a miss: nothing for verify to object to, nothing slashed.
    const bare = await signTranscript(edge, CHAIN, { ...t, nodeSignature: null, answeredAt: null });
    expect((await checkInputs(inputs([bare]), CHAIN)).unprovenFrauds).toEqual([]);
    expect(evaluateEpoch([bare], confirmed, []).penalties).toMatchObject([{ frauds: 0, missed: 1, slashed: 0n }]);
  });
});
