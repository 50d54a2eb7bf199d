// Messages of the `vidya_proof` BEP 10 extension. The challenger first fetches blocks with
// ordinary `request` messages (a challenge looks like a download), then asks for their
// merkle paths in the storage tree with one extension message.

import { asBytes, asDict, asInt, asList, decode, encode } from "../bencode.ts";
import { HASH_SIZE } from "../merkle/storage-tree.ts";
import { concatBytes, utf8Decode } from "../hex.ts";

export const PROOF_REQUEST = 0;
export const PROOF_RESPONSE = 1;
export const PROOF_REJECT = 2;
/**
 * A request for paths in a named tree: a v2 file's tree (BEP 52), by its `pieces root`. A
 * separate type, so a node that only knows whole-payload trees ignores it (the challenge times
 * out) rather than answering with paths of another tree.
 */
export const PROOF_TREE_REQUEST = 3;

/** At most this many blocks per proof request: bounds the work a request can cause. */
export const MAX_PROOF_BLOCKS = 64;

export type ProofMessage =
  | { type: "request"; blocks: number[] }
  | { type: "tree-request"; root: Uint8Array; blocks: number[] }
  | { type: "response"; blocks: number[]; proofs: Uint8Array[][] }
  | { type: "reject"; reason: string };

export function encodeProofMessage(m: ProofMessage): Uint8Array {
  switch (m.type) {
    case "request":
      return encode({ msg_type: PROOF_REQUEST, blocks: m.blocks });
    case "tree-request":
      return encode({ msg_type: PROOF_TREE_REQUEST, root: m.root, blocks: m.blocks });
    case "response":
      // Each block's path is its sibling hashes concatenated, leaf level first.
      return encode({ msg_type: PROOF_RESPONSE, blocks: m.blocks, proofs: m.proofs.map((p) => concatBytes(...p)) });
    case "reject":
      return encode({ msg_type: PROOF_REJECT, reason: m.reason });
  }
}

export function decodeProofMessage(payload: Uint8Array): ProofMessage {
  const d = asDict(decode(payload), "proof message");
  const type = asInt(d.msg_type, "msg_type");
  if (type === PROOF_REJECT) return { type: "reject", reason: utf8Decode(asBytes(d.reason, "reason")) };
  const blocks = asList(d.blocks, "blocks").map((b) => asInt(b, "block index"));
  if (blocks.length === 0 || blocks.length > MAX_PROOF_BLOCKS) throw new Error(`proof message names ${blocks.length} blocks`);
  if (type === PROOF_REQUEST) return { type: "request", blocks };
  if (type === PROOF_TREE_REQUEST) {
    const root = asBytes(d.root, "root");
    if (root.length !== HASH_SIZE) throw new Error("tree root is not 32 bytes");
    return { type: "tree-request", root, blocks };
  }
  if (type !== PROOF_RESPONSE) throw new Error(`unknown proof msg_type ${type}`);
  const proofs = asList(d.proofs, "proofs").map((p) => {
    const bytes = asBytes(p, "proof");
    if (bytes.length % HASH_SIZE !== 0) throw new Error("proof length is not a multiple of 32");
    const path: Uint8Array[] = [];
    for (let o = 0; o < bytes.length; o += HASH_SIZE) path.push(bytes.slice(o, o + HASH_SIZE));
    return path;
  });
  if (proofs.length !== blocks.length) throw new Error("proof count does not match block count");
  return { type: "response", blocks, proofs };
}
