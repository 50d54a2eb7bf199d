// The node's side of the `vidya_proof` BEP 10 extension (DESIGN.md flow 4): after the
// challenger has fetched blocks with ordinary requests, it asks for their merkle paths in
// the storage tree (v1), or in one file's tree named by its pieces root (v2 and hybrid, BEP
// 52); we answer from the trees built over our files. Runs inside webtorrent's wire, so it
// never throws: a bad request gets a reject message, a broken wire is ignored.

import type { ExtensionConstructor, Wire } from "webtorrent";
import { CHALLENGE_BLOCKS, PROOF_EXTENSION } from "../../protocol/params.ts";
import { storageProof, type StorageTree } from "../../protocol/merkle/storage-tree.ts";
import { decodeProofMessage, encodeProofMessage, type ProofMessage } from "../../protocol/challenge/proof-extension.ts";
import { toHex } from "../../protocol/hex.ts";
import type { LocalAccount } from "viem";
import { signAnswer } from "../../protocol/challenge/answer.ts";
import { createHash } from "node:crypto";

/**
 * Where the extension finds a tree of a torrent: the whole payload's (v1) when `root` is
 * absent, else the v2 file tree with that pieces root (64 hex, BEP 52); undefined when we do
 * not host it (now). May be async: the node checks that the payload is still on disk first.
 */
export type TreeLookup = (infoHash: string, root?: string) => StorageTree | undefined | Promise<StorageTree | undefined>;

/** The answer to one proof message from the challenger; undefined for messages that need none. */
export async function answerProof(lookup: TreeLookup, infoHash: string, payload: Uint8Array, signer?: LocalAccount, served: string[] = []): Promise<ProofMessage | undefined> {
  let msg: ProofMessage;
  try {
    msg = decodeProofMessage(payload);
  } catch (e) {
    return { type: "reject", reason: `malformed request: ${(e as Error).message}` };
  }
  if (msg.type !== "request" && msg.type !== "tree-request") return undefined; // only challengers send requests; ignore the rest
  const tree = msg.type === "request" ? await lookup(infoHash) : await lookup(infoHash, toHex(msg.root));
  const answer = answerWith(tree, msg.blocks, msg.type === "tree-request");
  // Sign what we served, bound to the challenge: a pass needs it (DESIGN.md "Trust model"). A
  // block served from a corrupted disk is signed as served: a provable false statement (fraud).
  if (answer.type === "response" && tree && signer && msg.challenge) answer.answer = await signAnswer(signer, infoHash, msg.challenge, tree, msg.blocks, Date.now(), served);
  return answer;
}

/** The answer to a proof request for `payload`, from the whole payload's tree (pure, for tests). */
export function answerProofRequest(tree: StorageTree | undefined, payload: Uint8Array): ProofMessage | undefined {
  let msg: ProofMessage;
  try {
    msg = decodeProofMessage(payload);
  } catch (e) {
    return { type: "reject", reason: `malformed request: ${(e as Error).message}` };
  }
  if (msg.type !== "request") return undefined;
  return answerWith(tree, msg.blocks, false);
}

function answerWith(tree: StorageTree | undefined, blocks: number[], named: boolean): ProofMessage {
  if (!tree) return { type: "reject", reason: named ? "no such file tree hosted" : "torrent not hosted" };
  const bad = blocks.find((b) => !Number.isInteger(b) || b < 0 || b >= tree.leafCount);
  if (bad !== undefined) return { type: "reject", reason: `block ${bad} out of range (0..${tree.leafCount - 1})` };
  return { type: "response", blocks, proofs: blocks.map((b) => storageProof(tree, b)) };
}

/**
 * A bittorrent-protocol extension class bound to one torrent. Register it on every wire in
 * the torrent's 'wire' event, which webtorrent emits before it sends our handshake on
 * incoming connections and before the peer's handshake arrives on outgoing ones, so the
 * extension is always in our extended handshake.
 */
export function proofExtension(infoHash: string, lookup: TreeLookup, onAnswer?: (m: ProofMessage, wire: Wire) => void, signer?: LocalAccount): ExtensionConstructor {
  class VidyaProof {
    wire: Wire;
    served: () => string[];
    constructor(wire: Wire) {
      this.wire = wire;
      this.served = trackServed(wire);
    }
    onMessage(buf: Uint8Array): void {
      this.answer(buf).catch(() => {
        // never throw inside the wire: a failed answer is the challenger's timeout
      });
    }
    async answer(buf: Uint8Array): Promise<void> {
      const answer = await answerProof(lookup, infoHash, buf, signer, this.served());
      if (!answer) return;
      // The peer told us its id for the extension in its extended handshake; without it there is no one to answer.
      if (!this.wire.peerExtendedMapping[PROOF_EXTENSION] || (this.wire as unknown as { destroyed?: boolean }).destroyed) return;
      this.wire.extended(PROOF_EXTENSION, encodeProofMessage(answer));
      onAnswer?.(answer, this.wire);
    }
  }
  (VidyaProof.prototype as unknown as { name: string }).name = PROOF_EXTENSION;
  return VidyaProof as unknown as ExtensionConstructor;
}

/**
 * Keeps the last CHALLENGE_BLOCKS blocks `wire` sent (webtorrent answers every request through
 * `wire.piece`): the leaf hashes of what this connection was served, oldest first, for the
 * signed answer. On a challenger's wire (the peer speaks vidya_proof) the first blocks are
 * hashed right after each is sent, while the challenger derives the next, so the answer does
 * not wait for 16 hashes (bench/proofs.ts); on other wires only when asked.
 */
export function trackServed(wire: Wire): () => string[] {
  const sent: { buffer: Uint8Array; hash?: string }[] = [];
  let count = 0;
  const w = wire as unknown as { piece: (index: number, offset: number, buffer: Uint8Array) => void };
  const piece = w.piece.bind(wire);
  w.piece = (index, offset, buffer) => {
    const entry: { buffer: Uint8Array; hash?: string } = { buffer };
    sent.push(entry);
    if (sent.length > CHALLENGE_BLOCKS) sent.shift();
    piece(index, offset, buffer);
    // Bounded per wire: a member downloading the whole torrent over vidya_proof costs 16 hashes, not one per block.
    if (++count <= CHALLENGE_BLOCKS && wire.peerExtendedMapping[PROOF_EXTENSION]) setImmediate(() => void (entry.hash ??= sha256Hex(buffer)));
  };
  return () => sent.map((e) => (e.hash ??= sha256Hex(e.buffer)));
}

const sha256Hex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
