// Transcripts made by hand for tests that exercise the epoch's evaluation through the worker
// without dialling anyone: the shape the challenger writes, with test defaults.

import { ZERO_BLOCK_HASH, transcriptId } from "../../../protocol/challenge/schedule.ts";
import type { Transcript } from "../../../protocol/challenge/transcript.ts";

let seq = 0;

export function madeTranscript(epoch: number, node: string, infoHash: string, verdict: Transcript["verdict"], extra: Partial<Transcript> = {}): Transcript {
  seq++;
  const round = extra.round ?? 1_000 + seq;
  return {
    id: transcriptId(epoch, node, round, infoHash),
    epoch,
    node,
    round,
    infoHash,
    host: "127.0.0.1",
    port: 6881,
    blockNumber: null,
    blockHash: ZERO_BLOCK_HASH,
    hostedHash: ZERO_BLOCK_HASH,
    file: null,
    root: "00".repeat(32),
    treeLength: 0,
    offset: 0,
    blocks: [0, 1, 2],
    startedAt: 1_700_000_000_000 + seq,
    durationMs: 40,
    verdict,
    reason: verdict === "pass" ? "all blocks verified" : "block 1 does not verify against the storage root",
    blockHashes: ["aa".repeat(32)],
    proofHash: null,
    attempts: verdict === "pass" ? 1 : 3,
    tries: [],
    nonce: ZERO_BLOCK_HASH,
    // A pass counts only with the node's signed answer: a placeholder the evaluation accepts
    // (it checks presence; `vidya verify`'s checkInputs would reject it, these are never verified).
    answeredAt: verdict === "pass" ? 1_700_000_000_100 + seq : null,
    nodeSignature: verdict === "pass" ? (`0x${"11".repeat(65)}` as Transcript["nodeSignature"]) : null,
    signer: null,
    signature: null,
    ...extra,
  };
}
