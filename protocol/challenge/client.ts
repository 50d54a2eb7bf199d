// The challenger's side of a challenge (DESIGN.md flow 4), over any byte stream: the worker
// passes a `cloudflare:sockets` connection, tests and benchmarks a Node socket as web streams.
// Handshake for the info hash (liveness, and the round trip the budget is based on), chained
// blocks by ordinary `request` messages one after another (chain.ts), within a per-block budget,
// then their merkle paths and the node's signed answer by the `vidya_proof` extension.

import { sha256 } from "@noble/hashes/sha2.js";
import { encode, asDict, asInt, decode } from "../bencode.ts";
import { BLOCK_SIZE, CHALLENGE_BLOCK_SLACK_MS, CHALLENGE_RTT_CAP_MS, PROOF_EXTENSION } from "../params.ts";
import { bytesEqual, concatBytes, fromHex, toHex } from "../hex.ts";
import { hashBlockAsync, verifyLeafProof } from "../merkle/storage-tree.ts";
import {
  EXTENDED_HANDSHAKE_ID,
  WireReader,
  blockLocation,
  encodeExtended,
  encodeHandshake,
  encodeInterested,
  encodeRequest,
  type WireMessage,
} from "../wire/messages.ts";
import { decodeProofMessage, encodeProofMessage, type ProofMessage } from "./proof-extension.ts";
import { chainedBlock } from "./chain.ts";
import { verifyChallengeAnswer } from "../reports/eip712.ts";
import type { Hex } from "viem";

export interface ByteStream {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
}

export interface ChallengeSpec {
  infoHash: Uint8Array;
  /** Our peer id on the wire: an ordinary-looking client id, so a challenge looks like a download. */
  peerId: Uint8Array;
  /** Root of the tree the blocks are checked against: the storage root (v1) or a v2 file's pieces root. */
  storageRoot: Uint8Array;
  /** Bytes that tree covers: the whole payload (v1) or the one file (v2). */
  totalLength: number;
  pieceLength: number;
  /** Fixed block indices in that tree (tests, benchmarks); a challenge proper uses `chain`. */
  blocks?: number[];
  /** Chained blocks (chain.ts): block k+1 follows from block k's leaf hash, so they are fetched one after another. */
  chain?: { randomness: Hex; infoHash: string; count: number };
  /** The challenge the node signs its answer for; when given, a pass needs the node's signature. */
  challenge?: { node: string; chainId: number; epoch: number; round: number; beacon: Hex; nonce: Hex };
  /** The whole exchange's cap. */
  deadlineMs: number;
  /** Per-block budget: one round trip (as the handshake measured it, at most `rttCapMs`) plus `slackMs` for the disk. */
  budget?: { rttCapMs: number; slackMs: number };
  /** Where the tree's bytes start in the torrent's piece space (a v2 file's offset); 0 for v1. */
  offset?: number;
  /** Ask for paths in the tree named by `storageRoot` (a v2 file) instead of the whole payload's. */
  namedTree?: boolean;
  /** Return the blocks' bytes and verified paths (`vidya audit` fetching a true block for fraud evidence). */
  keepBlocks?: boolean;
}

/**
 * pass: every block arrived and verified. fail: the node answered with data or a path that
 * does not verify (objectively provable, the slashable kind). timeout: not all in time.
 * refused: the node closed, refused the info hash or rejected the proof request.
 */
export type Verdict = "pass" | "fail" | "timeout" | "refused";

export interface ChallengeOutcome {
  verdict: Verdict;
  reason: string;
  /** Block indices requested, in order (a chain's as far as it got). */
  blocks: number[];
  /** The node's signed answer, when one came. */
  answeredAt?: number;
  nodeSignature?: Hex;
  /** Handshake round trip (ms), the base of the blocks' budget. */
  rttMs?: number;
  /** Every block arrived, but the chain took longer than its budget: not worth a retry (the blocks are known now; a relay has them). */
  overBudget?: boolean;
  /** SHA-256 of each block as received, hex, in request order (the transcript's answer). */
  blockHashes: string[];
  /** SHA-256 of the node's proof answer as received (its extension payload), hex. */
  proofHash?: string;
  handshakeMs?: number;
  blocksMs?: number;
  durationMs: number;
  /** A fail whose answer the node signed: the position of the first block that failed (fraud evidence, protocol/challenge/fraud.ts). */
  signedFailure?: number;
  /** With `keepBlocks`, on a pass: the blocks' bytes and their paths, in request order. */
  blockData?: Uint8Array[];
  proofs?: Uint8Array[][];
}

const LOCAL_PROOF_ID = 1;

class ChallengeError extends Error {
  readonly verdict: Verdict;
  constructor(verdict: Verdict, message: string) {
    super(message);
    this.verdict = verdict;
  }
}

export async function runChallenge(stream: ByteStream, spec: ChallengeSpec, now: () => number = () => Date.now()): Promise<ChallengeOutcome> {
  const started = now();
  const blockHashes: string[] = [];
  const blocks: number[] = [];
  let answeredAt: number | undefined;
  let nodeSignature: Hex | undefined;
  let rttMs: number | undefined;
  let overBudget = false;
  let proofHash: string | undefined;
  let handshakeMs: number | undefined;
  let blocksMs: number | undefined;
  let signedFailure: number | undefined;
  const blockData: Uint8Array[] = [];
  const proofs: Uint8Array[][] = [];
  const reader = stream.readable.getReader();
  const writer = stream.writable.getWriter();
  const wire = new WireReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ChallengeError("timeout", `no complete answer within ${spec.deadlineMs} ms`)), spec.deadlineMs);
  });

  // Writes race the deadline too: a peer that stops reading must not stall the challenger.
  const send = (bytes: Uint8Array) => Promise.race([writer.write(bytes), deadline]);
  const fill = async () => {
    const r = await Promise.race([reader.read(), deadline]);
    if (r.done) throw new ChallengeError("refused", "connection closed by the node");
    wire.push(r.value);
  };
  const nextMessage = async (): Promise<WireMessage> => {
    for (;;) {
      const m = wire.takeMessage();
      if (m) return m;
      await fill();
    }
  };

  try {
    const count = spec.chain ? spec.chain.count : (spec.blocks?.length ?? 0);
    if (count <= 0) throw new ChallengeError("refused", "challenge names no blocks");
    const blockAt = (k: number): number => (spec.chain ? chainedBlock(spec.chain.randomness, spec.chain.infoHash, spec.totalLength, k, k === 0 ? null : blockHashes[k - 1]!) : spec.blocks![k]!);
    const sentAt = now();
    await send(encodeHandshake(spec.infoHash, spec.peerId));
    let hs = wire.takeHandshake();
    while (!hs) {
      await fill();
      hs = wire.takeHandshake();
    }
    if (!bytesEqual(hs.infoHash, spec.infoHash)) throw new ChallengeError("refused", "handshake for another info hash");
    if (!hs.supportsExtensions) throw new ChallengeError("refused", "node does not speak the extension protocol");
    handshakeMs = now() - started;
    rttMs = now() - sentAt;
    // One write, one segment: the extension handshake and interested go together.
    await send(concatBytes(encodeExtended(EXTENDED_HANDSHAKE_ID, encode({ m: { [PROOF_EXTENSION]: LOCAL_PROOF_ID }, v: "vidya-edge" })), encodeInterested()));

    let remoteProofId: number | undefined;
    let unchoked = false;
    while (remoteProofId === undefined || !unchoked) {
      const m = await nextMessage();
      if (m.type === "unchoke") unchoked = true;
      else if (m.type === "choke") unchoked = false;
      else if (m.type === "extended" && m.extId === EXTENDED_HANDSHAKE_ID) {
        const hsDict = asDict(decode(m.payload), "extension handshake");
        const mm = hsDict.m ? asDict(hsDict.m, "m") : {};
        const id = mm[PROOF_EXTENSION];
        if (id === undefined) throw new ChallengeError("refused", `node does not support ${PROOF_EXTENSION}`);
        remoteProofId = asInt(id, "extension id");
      }
    }

    // One block at a time: the next index depends on this block's leaf hash (chain.ts), so a
    // node without the data pays a full fetch from elsewhere per block, in sequence.
    const budget = spec.budget ?? { rttCapMs: CHALLENGE_RTT_CAP_MS, slackMs: CHALLENGE_BLOCK_SLACK_MS };
    const perBlock = Math.min(rttMs, budget.rttCapMs) + budget.slackMs;
    const blocksStarted = now();
    const leaves: Uint8Array[] = [];
    for (let k = 0; k < count; k++) {
      const index = blockAt(k);
      blocks.push(index);
      const loc = treeBlockLocation(spec, index);
      await send(encodeRequest(loc.piece, loc.begin, loc.length));
      let block: Uint8Array | undefined;
      while (!block) {
        const m = await nextMessage();
        if (m.type === "choke") throw new ChallengeError("refused", "node choked before sending every block");
        if (m.type === "piece" && m.piece === loc.piece && m.begin === loc.begin) block = m.block;
      }
      if (block.length !== loc.length) throw new ChallengeError("fail", `block ${index} has ${block.length} bytes, expected ${loc.length}`);
      // Hashed once, natively: the leaf is the transcript's answer, the path's start and the next link.
      const leaf = await hashBlockAsync(block);
      leaves.push(leaf);
      if (spec.keepBlocks) blockData.push(block);
      blockHashes.push(toHex(leaf));
    }
    blocksMs = now() - started;
    const chainMs = now() - blocksStarted;
    if (chainMs > count * perBlock) {
      overBudget = true;
      throw new ChallengeError("timeout", `${count} chained blocks took ${chainMs} ms, over their budget of ${count * perBlock} ms (${count} × (round trip ${Math.min(rttMs, budget.rttCapMs)} + ${budget.slackMs}) ms)`);
    }

    const c = spec.challenge;
    const context = c ? { node: fromHex(c.node.replace(/^0x/, "")), chainId: c.chainId, epoch: c.epoch, round: c.round, beacon: fromHex(c.beacon.slice(2)), nonce: fromHex(c.nonce.slice(2)) } : undefined;
    const request: ProofMessage = spec.namedTree ? { type: "tree-request", root: spec.storageRoot, blocks, challenge: context } : { type: "request", blocks, challenge: context };
    await send(encodeExtended(remoteProofId, encodeProofMessage(request)));
    for (;;) {
      const m = await nextMessage();
      if (m.type !== "extended" || m.extId !== LOCAL_PROOF_ID) continue;
      proofHash = toHex(sha256(m.payload));
      let answer;
      try {
        answer = decodeProofMessage(m.payload);
      } catch (e) {
        throw new ChallengeError("fail", `malformed proof answer: ${(e as Error).message}`);
      }
      if (answer.type === "reject") throw new ChallengeError("refused", `node rejected the proof request: ${answer.reason}`);
      if (answer.type !== "response") continue;
      if (answer.answer) {
        answeredAt = answer.answer.at;
        nodeSignature = `0x${toHex(answer.answer.sig)}` as Hex;
      }
      // The registered node's key over exactly what we received, bound to our nonce: another
      // node answering through this port, or no answer, is not a pass; a signed answer whose
      // block fails is the node's own false statement (protocol/challenge/fraud.ts).
      const signedByNode =
        !!c && !!answer.answer &&
        (await verifyChallengeAnswer(c.chainId, { node: c.node, infoHash: spec.chain?.infoHash ?? toHex(spec.infoHash), epoch: c.epoch, round: c.round, beacon: c.beacon, nonce: c.nonce, root: toHex(spec.storageRoot), blocks, blockHashes, answeredAt: answer.answer.at }, nodeSignature));
      for (let i = 0; i < blocks.length; i++) {
        const k = answer.blocks.indexOf(blocks[i]!);
        const proof = k >= 0 ? answer.proofs[k] : undefined;
        if (!proof) throw new ChallengeError("fail", `no path for block ${blocks[i]}`);
        if (!verifyLeafProof(spec.storageRoot, spec.totalLength, blocks[i]!, leaves[i]!, proof)) {
          if (signedByNode) signedFailure = i;
          throw new ChallengeError("fail", `block ${blocks[i]} does not verify against the storage root${signedByNode ? " (the node signed it)" : ""}`);
        }
        if (spec.keepBlocks) proofs.push(proof);
      }
      if (c) {
        if (!answer.answer) throw new ChallengeError("refused", "the node did not sign its answer");
        if (!signedByNode) throw new ChallengeError("refused", `the answer is not signed by node ${c.node}'s key`);
      }
      return { verdict: "pass", reason: "all blocks verified", blocks, blockHashes, proofHash, answeredAt, nodeSignature, rttMs, handshakeMs, blocksMs, durationMs: now() - started, ...(spec.keepBlocks ? { blockData, proofs } : {}) };
    }
  } catch (e) {
    const verdict = e instanceof ChallengeError ? e.verdict : "refused";
    return { verdict, reason: (e as Error).message, blocks, blockHashes, proofHash, answeredAt, nodeSignature, rttMs, overBudget, handshakeMs, blocksMs, durationMs: now() - started, signedFailure };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    reader.cancel().catch(() => {});
    writer.close().catch(() => {});
  }
}

/**
 * Where block `index` of the challenged tree is on the wire: the tree's bytes start at
 * `offset` in the piece space (v2 files start on piece boundaries), blocks are 16 KiB and
 * the tree's last one is shorter.
 */
export function treeBlockLocation(spec: Pick<ChallengeSpec, "offset" | "pieceLength" | "totalLength">, index: number): { piece: number; begin: number; length: number } {
  const inTree = blockLocation(index, BLOCK_SIZE, spec.pieceLength, spec.totalLength);
  const at = (spec.offset ?? 0) + index * BLOCK_SIZE;
  return { piece: Math.floor(at / spec.pieceLength), begin: at % spec.pieceLength, length: inTree.length };
}

/** Picks `count` distinct block indices uniformly from random bytes (the scheduler's randomness). */
export function pickBlocks(totalBlocks: number, count: number, random: Uint8Array): number[] {
  const want = Math.min(count, totalBlocks);
  const picked: number[] = [];
  const view = new DataView(random.buffer, random.byteOffset, random.byteLength);
  for (let o = 0; picked.length < want && o + 4 <= random.length; o += 4) {
    const b = view.getUint32(o) % totalBlocks;
    if (!picked.includes(b)) picked.push(b);
  }
  for (let b = 0; picked.length < want; b++) if (!picked.includes(b)) picked.push(b);
  return picked;
}
