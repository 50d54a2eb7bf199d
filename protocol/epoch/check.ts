// What anyone can check of a closed epoch's published inputs beyond the leaves (DESIGN.md
// "Trust model"): the revealed seed matches the commitment published when the epoch opened,
// every challenged block was derived from that seed and the recorded block hash (the edge did
// not choose it), and every transcript carries the edge's signature over its fields.
// Target selection needs the node's hosted subset, which the node itself knows: it re-runs
// deriveRound (protocol/challenge/schedule.ts) and compares with `hostedHash` and its transcripts.

import type { Address, Hex } from "viem";
import { challengeBlocks, revealMatches, roundRandomness, transcriptId } from "../challenge/schedule.ts";
import type { Transcript } from "../challenge/transcript.ts";
import { verifyTranscript } from "../reports/eip712.ts";

export interface PublishedInputs {
  epoch: number;
  challenges: Transcript[];
  seed?: Hex;
  seedCommitment?: Hex;
  schedule?: { challengeBlocks: number };
  transcriptSigner?: string | null;
}

export interface InputsCheck {
  /** keccak256(seed) is the commitment; false when the inputs predate commitments. */
  seedRevealed: boolean;
  /** Transcripts whose id, or blocks, do not follow from the seed and their round. */
  underived: string[];
  /** Transcripts without a valid signature by the published transcript signer. */
  unsigned: string[];
}

export async function checkInputs(inputs: PublishedInputs, chainId: number): Promise<InputsCheck> {
  const seedRevealed = Boolean(inputs.seed && inputs.seedCommitment && revealMatches(inputs.seed, inputs.seedCommitment));
  const underived: string[] = [];
  const unsigned: string[] = [];
  const count = inputs.schedule?.challengeBlocks ?? 3;
  for (const t of inputs.challenges) {
    if (t.id !== transcriptId(inputs.epoch, t.node, t.round, t.infoHash)) underived.push(t.id);
    else if (!inputs.seed) underived.push(t.id);
    else {
      const randomness = roundRandomness({ seed: inputs.seed, epoch: inputs.epoch, node: t.node, round: t.round, blockHash: t.blockHash });
      const blocks = challengeBlocks(randomness, t.infoHash, t.treeLength, count);
      if (blocks.length !== t.blocks.length || blocks.some((b, i) => b !== t.blocks[i])) underived.push(t.id);
    }
    if (!inputs.transcriptSigner || !(await verifyTranscript(chainId, t, inputs.transcriptSigner as Address))) unsigned.push(t.id);
  }
  return { seedRevealed, underived, unsigned };
}
