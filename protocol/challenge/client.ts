// The challenger's side of a challenge (DESIGN.md flow 4), over any byte stream: the worker
// passes a `cloudflare:sockets` connection, tests and benchmarks a Node socket as web streams.
// Handshake for the info hash (liveness), blocks by ordinary `request` messages, then their
// merkle paths by the `vidya_proof` extension (availability), all under one deadline.

import { sha256 } from "@noble/hashes/sha2.js";
import { encode, asDict, asInt, decode } from "../bencode.ts";
import { BLOCK_SIZE, PROOF_EXTENSION } from "../params.ts";
import { bytesEqual, toHex } from "../hex.ts";
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
  /** Block indices in that tree. */
  blocks: number[];
  deadlineMs: number;
  /** Where the tree's bytes start in the torrent's piece space (a v2 file's offset); 0 for v1. */
  offset?: number;
  /** Ask for paths in the tree named by `storageRoot` (a v2 file) instead of the whole payload's. */
  namedTree?: boolean;
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
  /** SHA-256 of each block as received, hex, in request order (the transcript's answer). */
  blockHashes: string[];
  /** SHA-256 of the node's proof answer as received (its extension payload), hex. */
  proofHash?: string;
  handshakeMs?: number;
  blocksMs?: number;
  durationMs: number;
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
  let proofHash: string | undefined;
  let handshakeMs: number | undefined;
  let blocksMs: number | undefined;
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
    const locations = spec.blocks.map((b) => treeBlockLocation(spec, b));
    await send(encodeHandshake(spec.infoHash, spec.peerId));
    let hs = wire.takeHandshake();
    while (!hs) {
      await fill();
      hs = wire.takeHandshake();
    }
    if (!bytesEqual(hs.infoHash, spec.infoHash)) throw new ChallengeError("refused", "handshake for another info hash");
    if (!hs.supportsExtensions) throw new ChallengeError("refused", "node does not speak the extension protocol");
    handshakeMs = now() - started;
    await send(encodeExtended(EXTENDED_HANDSHAKE_ID, encode({ m: { [PROOF_EXTENSION]: LOCAL_PROOF_ID }, v: "vidya-edge" })));
    await send(encodeInterested());

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

    for (const loc of locations) await send(encodeRequest(loc.piece, loc.begin, loc.length));
    const received = new Map<number, Uint8Array>();
    while (received.size < locations.length) {
      const m = await nextMessage();
      if (m.type === "choke") throw new ChallengeError("refused", "node choked before sending every block");
      if (m.type !== "piece") continue;
      const i = locations.findIndex((l, k) => l.piece === m.piece && l.begin === m.begin && !received.has(k));
      if (i < 0) continue;
      if (m.block.length !== locations[i]!.length) throw new ChallengeError("fail", `block ${spec.blocks[i]} has ${m.block.length} bytes, expected ${locations[i]!.length}`);
      received.set(i, m.block);
    }
    blocksMs = now() - started;
    // Each block is hashed once, natively: the hash is both the transcript's answer and the leaf to verify.
    const leaves = await Promise.all(locations.map((_, i) => hashBlockAsync(received.get(i)!)));
    for (const leaf of leaves) blockHashes.push(toHex(leaf));

    const request: ProofMessage = spec.namedTree ? { type: "tree-request", root: spec.storageRoot, blocks: spec.blocks } : { type: "request", blocks: spec.blocks };
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
      for (let i = 0; i < spec.blocks.length; i++) {
        const k = answer.blocks.indexOf(spec.blocks[i]!);
        const proof = k >= 0 ? answer.proofs[k] : undefined;
        if (!proof) throw new ChallengeError("fail", `no path for block ${spec.blocks[i]}`);
        if (!verifyLeafProof(spec.storageRoot, spec.totalLength, spec.blocks[i]!, leaves[i]!, proof))
          throw new ChallengeError("fail", `block ${spec.blocks[i]} does not verify against the storage root`);
      }
      return { verdict: "pass", reason: "all blocks verified", blockHashes, proofHash, handshakeMs, blocksMs, durationMs: now() - started };
    }
  } catch (e) {
    const verdict = e instanceof ChallengeError ? e.verdict : "refused";
    return { verdict, reason: (e as Error).message, blockHashes, proofHash, handshakeMs, blocksMs, durationMs: now() - started };
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
