// A challenge transcript (DESIGN.md flow 4, "Trust model"): what the edge asked, when, what
// came back and the verdict, signed by the edge's transcript key (EIP-712, see
// protocol/reports/eip712.ts) and published with the epoch's inputs. Anyone can check the
// signature; after the seed is revealed anyone can check that the blocks were derived and
// not chosen (protocol/challenge/schedule.ts); a node holding the torrent can check the
// block hashes against the public data.

import type { Hex } from "viem";
import type { ChallengeOutcome, Verdict } from "./client.ts";

/** An earlier try of the same challenge that did not pass (the retry is what counts). */
export interface ChallengeTry {
  verdict: Verdict;
  reason: string;
  startedAt: number;
  durationMs: number;
}

export interface Transcript {
  /** transcriptId(epoch, node, round, infoHash): one per challenge. */
  id: Hex;
  epoch: number;
  /** Lowercase 0x address. */
  node: string;
  round: number;
  /** 40 hex. */
  infoHash: string;
  /** The node's endpoint as the edge saw it at registration. */
  host: string;
  port: number;
  /** The chain block mixed into the round's randomness; null and zero hash without a chain. */
  blockNumber: number | null;
  blockHash: Hex;
  /** keccak256 of the node's hosted subset the round drew from (protocol/challenge/schedule.ts). */
  hostedHash: Hex;
  /** v2 file index in the torrent's file tree, or null for the whole-payload (v1) tree. */
  file: number | null;
  /** Root the blocks were checked against, 64 hex. */
  root: string;
  /** Bytes of that tree, and where they start in the torrent's piece space. */
  treeLength: number;
  offset: number;
  blocks: number[];
  startedAt: number;
  durationMs: number;
  verdict: Verdict;
  reason: string;
  /** SHA-256 of each block as received (hex), in request order; fewer when the answer stopped. */
  blockHashes: string[];
  /** SHA-256 of the proof answer as received (hex), null when none came. */
  proofHash: string | null;
  /** Tries made, this one included (1 when the first passed). */
  attempts: number;
  /** The earlier tries, oldest first. */
  tries: ChallengeTry[];
  /** The edge's fresh random challenge nonce (bytes32), bound into the node's signed answer. */
  nonce: Hex;
  /** The node's clock when it signed its answer (unix ms); null when no signed answer came. */
  answeredAt: number | null;
  /** The node's EIP-712 ChallengeAnswer signature (protocol/reports/eip712.ts) over the blocks and hashes it served; a pass needs it. */
  nodeSignature: Hex | null;
  /** The edge's transcript key and its EIP-712 signature; null when the edge has no key. */
  signer: Hex | null;
  signature: Hex | null;
}

export type UnsignedTranscript = Omit<Transcript, "signer" | "signature">;

/**
 * Whether a challenge counts as passed: the edge's verdict and the node's signed answer. An
 * explicit null signature (a pass the node did not sign) is a miss; that a present signature is
 * valid is checked by `vidya verify` (protocol/epoch/check.ts), which is async.
 */
export function countsAsPass(c: { verdict: string; nodeSignature?: string | null }): boolean {
  return c.verdict === "pass" && c.nodeSignature !== null;
}

/**
 * Whether a failed challenge carries the node's signed answer (fraud needs it, issue 12 part 3):
 * a fail without it (no answer, unsigned, cut short) is the edge's word alone and counts as a
 * miss. Presence only, as for a pass; `vidya verify` checks the signature (protocol/epoch/check.ts).
 */
export function signedFail(c: { verdict: string; nodeSignature?: string | null }): boolean {
  return c.verdict === "fail" && typeof c.nodeSignature === "string" && c.nodeSignature !== "";
}

/**
 * The node's answer a transcript records: on a fail, only a valid signature over a block that
 * did not verify (the outcome's signedFailure), so a recorded signature on a fail always means
 * a signed wrong block; otherwise what came, for the pass check and for the record.
 */
export function recordedAnswer(o: Pick<ChallengeOutcome, "verdict" | "answeredAt" | "nodeSignature" | "signedFailure">): { answeredAt: number | null; nodeSignature: `0x${string}` | null } {
  if (o.verdict === "fail" && o.signedFailure === undefined) return { answeredAt: null, nodeSignature: null };
  return { answeredAt: o.answeredAt ?? null, nodeSignature: o.nodeSignature ?? null };
}
