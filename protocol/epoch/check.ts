// What anyone can check of a closed epoch's published inputs beyond the leaves (DESIGN.md
// "Trust model"): the revealed seed matches the commitment published when the epoch opened,
// every challenged block (and, given the index, the file and root) was derived from that seed
// and the recorded block hash (the edge did not choose it), the transcripts of one round share
// one block and one hosted subset, rounds ran no earlier than the schedule placed them, every
// transcript carries the edge's signature over its fields, every pass the node's signed answer
// over the blocks and leaf hashes recorded (each chained block follows from the last), and every
// fail charged as the node's (a signature recorded, so fraud against a confirmed root) carries
// that node's valid signature over the block hashes it served: the edge cannot brand a node a
// fraud on its word. That a signed hash is wrong anyone holding the torrent can check, and
// submit as fraud evidence (protocol/challenge/fraud.ts).
// Target selection needs the node's hosted subset, which the node itself knows: it re-runs
// deriveRound (protocol/challenge/schedule.ts) and compares with `hostedHash` and its transcripts.
// That the recorded block hash is the chain's block at that number needs the chain: `vidya
// verify` checks it. Every published upload receipt must carry its downloader's signature over
// its fields, for this epoch (protocol/economics/receipts.ts): the edge cannot invent one.

import type { Address, Hex } from "viem";
import { deriveChallenge, revealMatches, roundDueAt, roundRandomness, transcriptId, type ChallengeableTorrent, type ScheduleParams } from "../challenge/schedule.ts";
import { signedFail, type Transcript } from "../challenge/transcript.ts";
import { nodeSigned, verifyTranscript } from "../reports/eip712.ts";
import { followsChain } from "../challenge/chain.ts";
import { CHALLENGE_BLOCKS } from "../params.ts";
import { unsignedReceipts, type PublishedReceipt } from "../economics/receipts.ts";

export interface PublishedInputs {
  epoch: number;
  challenges: Transcript[];
  seed?: Hex;
  seedCommitment?: Hex;
  schedule?: Partial<ScheduleParams> & { challengeBlocks?: number };
  transcriptSigner?: string | null;
  receipts?: PublishedReceipt[];
}

export interface InputsCheck {
  /** keccak256(seed) is the commitment; false when the inputs predate commitments. */
  seedRevealed: boolean;
  /** Transcripts whose id, blocks, or (given the torrents) file and root do not follow from the seed and their round. */
  underived: string[];
  /** Transcripts of one (node, round) that disagree on the block hash or the hosted subset: one round has one randomness. */
  inconsistent: string[];
  /**
   * Transcripts that started before their round's derived time: forced by an admin
   * (POST /admin/challenges/run), which lets the operator pick the moment, hence the block.
   * Listed, not failed: development networks force rounds.
   */
  early: string[];
  /** Transcripts without a valid signature by the published transcript signer. */
  unsigned: string[];
  /** Upload receipts without their downloader's valid signature, or for another epoch (downloader:uploader:infoHash:session). */
  unsignedReceipts: string[];
  /** Passes without the node's valid signed answer over the blocks and hashes recorded: the edge cannot pass a node that did not answer. */
  unproven: string[];
  /** Fails recorded with a node signature that is not the node's over the blocks and hashes recorded: fraud the node never signed. */
  unprovenFrauds: string[];
}

/**
 * `torrents`, when given (the index's torrents, GET /api/torrents), lets the check re-derive
 * each challenge whole: which v2 file, its root and place, and the blocks; without it only the
 * blocks are re-derived from the tree length the transcript names.
 */
export async function checkInputs(inputs: PublishedInputs, chainId: number, torrents?: Map<string, ChallengeableTorrent>): Promise<InputsCheck> {
  const seedRevealed = Boolean(inputs.seed && inputs.seedCommitment && revealMatches(inputs.seed, inputs.seedCommitment));
  const underived: string[] = [];
  const inconsistent: string[] = [];
  const early: string[] = [];
  const unsigned: string[] = [];
  const unproven: string[] = [];
  const unprovenFrauds: string[] = [];
  const count = inputs.schedule?.challengeBlocks ?? CHALLENGE_BLOCKS;
  const s = inputs.schedule;
  const timed = s && typeof s.openedAt === "number" && typeof s.epochMs === "number" && typeof s.roundsPerEpoch === "number" ? (s as ScheduleParams) : undefined;
  const rounds = new Map<string, { blockHash: string; hostedHash: string }>();
  for (const t of inputs.challenges) {
    if (t.id !== transcriptId(inputs.epoch, t.node, t.round, t.infoHash) || !inputs.seed) underived.push(t.id);
    else {
      const randomness = roundRandomness({ seed: inputs.seed, epoch: inputs.epoch, node: t.node, round: t.round, blockHash: t.blockHash });
      const torrent = torrents?.get(t.infoHash.toLowerCase());
      let same: boolean;
      try {
        const expected = torrent ? deriveChallenge(randomness, torrent, count) : { file: t.file, root: t.root, treeLength: t.treeLength, offset: t.offset };
        // Block k+1 follows from block k's leaf hash (protocol/challenge/chain.ts): re-derived from the transcript alone.
        same =
          expected.file === t.file &&
          expected.root.toLowerCase() === t.root.toLowerCase() &&
          expected.treeLength === t.treeLength &&
          expected.offset === t.offset &&
          followsChain(randomness, t.infoHash, t.treeLength, t.blocks, t.blockHashes, count, t.verdict === "pass");
      } catch {
        same = false;
      }
      if (!same) underived.push(t.id);
      if (timed && t.startedAt < roundDueAt(timed, inputs.seed, inputs.epoch, t.node, t.round)) early.push(t.id);
    }
    const key = `${t.node.toLowerCase()}:${t.round}`;
    const r = rounds.get(key);
    if (!r) rounds.set(key, { blockHash: t.blockHash.toLowerCase(), hostedHash: t.hostedHash.toLowerCase() });
    else if (r.blockHash !== t.blockHash.toLowerCase() || r.hostedHash !== t.hostedHash.toLowerCase()) inconsistent.push(t.id);
    if (!inputs.transcriptSigner || !(await verifyTranscript(chainId, t, inputs.transcriptSigner as Address))) unsigned.push(t.id);
    if (t.verdict === "pass" && !(await nodeSigned(chainId, t))) unproven.push(t.id);
    if (signedFail(t) && !(await nodeSigned(chainId, t))) unprovenFrauds.push(t.id);
  }
  return { seedRevealed, underived, inconsistent, early, unsigned, unproven, unprovenFrauds, unsignedReceipts: await unsignedReceipts(inputs.receipts ?? [], chainId, inputs.epoch) };
}

/** Whether a check leaves nothing to object to (early rounds are reported, not objected to). */
export function inputsCheckPassed(c: InputsCheck): boolean {
  return c.seedRevealed && c.underived.length === 0 && c.inconsistent.length === 0 && c.unsigned.length === 0 && c.unproven.length === 0 && c.unprovenFrauds.length === 0 && c.unsignedReceipts.length === 0;
}
