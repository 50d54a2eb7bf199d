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

/**
 * The challenge a proof request belongs to: the node signs its answer bound to it (an EIP-712
 * ChallengeAnswer, protocol/reports/eip712.ts). `node` is who the challenger expects; the node
 * signs with its own key whatever it says, so an answer through another node's port fails.
 */
export interface ChallengeContext {
  node: Uint8Array;
  chainId: number;
  epoch: number;
  round: number;
  beacon: Uint8Array;
  nonce: Uint8Array;
}

/** The node's signature over its answer, and its clock when it signed (unix ms). */
export interface SignedAnswer {
  at: number;
  sig: Uint8Array;
}

export type ProofMessage =
  | { type: "request"; blocks: number[]; challenge?: ChallengeContext }
  | { type: "tree-request"; root: Uint8Array; blocks: number[]; challenge?: ChallengeContext }
  | { type: "response"; blocks: number[]; proofs: Uint8Array[][]; answer?: SignedAnswer }
  | { type: "reject"; reason: string };

const withChallenge = (d: Record<string, unknown>, c?: ChallengeContext) =>
  c ? { ...d, challenge: { node: c.node, chain: c.chainId, epoch: c.epoch, round: c.round, beacon: c.beacon, nonce: c.nonce } } : d;

function decodeChallenge(v: unknown): ChallengeContext | undefined {
  if (v === undefined) return undefined;
  const c = asDict(v as never, "challenge");
  const fixed = (x: unknown, n: number, what: string) => {
    const b = asBytes(x as never, what);
    if (b.length !== n) throw new Error(`${what} is not ${n} bytes`);
    return b;
  };
  return {
    node: fixed(c.node, 20, "node"),
    chainId: asInt(c.chain, "chain"),
    epoch: asInt(c.epoch, "epoch"),
    round: asInt(c.round, "round"),
    beacon: fixed(c.beacon, 32, "beacon"),
    nonce: fixed(c.nonce, 32, "nonce"),
  };
}

export function encodeProofMessage(m: ProofMessage): Uint8Array {
  switch (m.type) {
    case "request":
      return encode(withChallenge({ msg_type: PROOF_REQUEST, blocks: m.blocks }, m.challenge) as never);
    case "tree-request":
      return encode(withChallenge({ msg_type: PROOF_TREE_REQUEST, root: m.root, blocks: m.blocks }, m.challenge) as never);
    case "response": {
      // Each block's path is its sibling hashes concatenated, leaf level first.
      const d = { msg_type: PROOF_RESPONSE, blocks: m.blocks, proofs: m.proofs.map((p) => concatBytes(...p)) };
      return encode((m.answer ? { ...d, answer: { at: m.answer.at, sig: m.answer.sig } } : d) as never);
    }
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
  if (type === PROOF_REQUEST) return { type: "request", blocks, challenge: decodeChallenge(d.challenge) };
  if (type === PROOF_TREE_REQUEST) {
    const root = asBytes(d.root, "root");
    if (root.length !== HASH_SIZE) throw new Error("tree root is not 32 bytes");
    return { type: "tree-request", root, blocks, challenge: decodeChallenge(d.challenge) };
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
  let answer: SignedAnswer | undefined;
  if (d.answer !== undefined) {
    const a = asDict(d.answer, "answer");
    answer = { at: asInt(a.at, "answered at"), sig: asBytes(a.sig, "signature") };
    if (answer.sig.length !== 65) throw new Error("answer signature is not 65 bytes");
  }
  return { type: "response", blocks, proofs, answer };
}
