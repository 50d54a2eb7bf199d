// Which challenges the edge makes, and when (DESIGN.md flow 4, "Trust model"). Everything is
// derived from a seed the edge commits to when the epoch opens (keccak256(seed) is published)
// and reveals when it closes (the seed is in the published inputs), mixed with a block hash
// read from the chain when each round runs. Nodes cannot predict a challenge before it
// comes (the seed is secret, the block hash not yet mined); after the reveal anyone can
// recompute every round's targets and blocks and see that the edge did not choose them.

import { concat, encodeAbiParameters, keccak256, type Hex } from "viem";
import { pickBlocks } from "./client.ts";
import { chainedBlock } from "./chain.ts";
import { blockCount } from "../merkle/storage-tree.ts";
import { CHALLENGE_BLOCKS, CHALLENGE_SPAN_BPS, CHALLENGE_SPOT_CHECKS } from "../params.ts";
import { fromHex, toHex } from "../hex.ts";

/** The block hash recorded when no chain is configured (tests, a chainless dev edge). */
export const ZERO_BLOCK_HASH: Hex = `0x${"00".repeat(32)}`;

export function newSeed(random: Uint8Array): Hex {
  if (random.length !== 32) throw new RangeError("a seed is 32 random bytes");
  return `0x${toHex(random)}`;
}

/** What is published when the epoch opens. */
export function seedCommitment(seed: Hex): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(seed)) throw new RangeError("a seed is 32 bytes of hex");
  return keccak256(seed.toLowerCase() as Hex);
}

/** The reveal check anyone runs on a closed epoch's inputs. */
export function revealMatches(seed: Hex, commitment: Hex): boolean {
  try {
    return seedCommitment(seed) === commitment.toLowerCase();
  } catch {
    return false;
  }
}

/** The parameters of an epoch's schedule, fixed when it opens and published with its inputs. */
export interface ScheduleParams {
  /** When the epoch opened (unix ms): rounds are placed from here. */
  openedAt: number;
  /** The nominal epoch length (ms); an epoch that stays open longer repeats the pattern. */
  epochMs: number;
  roundsPerEpoch: number;
  /** Share of each epoch, in basis points, over which rounds are spread. */
  spanBps?: number;
  /** Extra random torrents per round beyond the coverage slice. */
  spotChecks?: number;
}

export interface RoundKey {
  seed: Hex;
  epoch: number;
  node: string;
  round: number;
  /** The chain's block hash read when the round ran; ZERO_BLOCK_HASH without a chain. */
  blockHash: Hex;
}

const bytes20 = (infoHash: string): Hex => `0x${infoHash.replace(/^0x/, "").toLowerCase()}`;

/** The randomness of one round of one node: everything its targets and blocks come from. */
export function roundRandomness(k: RoundKey): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "string" }, { type: "uint64" }, { type: "bytes32" }, { type: "bytes32" }, { type: "address" }, { type: "uint32" }],
      ["vidya.challenge.round", BigInt(k.epoch), k.seed, k.blockHash, k.node as Hex, k.round],
    ),
  );
}

/**
 * When round `round` of `node` is due. Round r falls at a random moment of slice r mod R of
 * the epoch's span (so rounds are spread, and due times grow with r); an epoch still open
 * after its nominal length repeats the pattern, so a late close never starves the schedule.
 * Depends on the seed only: the time must be known before the block hash is read.
 */
export function roundDueAt(p: ScheduleParams, seed: Hex, epoch: number, node: string, round: number): number {
  const R = p.roundsPerEpoch;
  if (!Number.isInteger(R) || R <= 0) throw new RangeError("roundsPerEpoch must be a positive integer");
  const slice = Math.floor((p.epochMs * (p.spanBps ?? CHALLENGE_SPAN_BPS)) / 10_000 / R);
  const h = keccak256(
    encodeAbiParameters([{ type: "string" }, { type: "uint64" }, { type: "bytes32" }, { type: "address" }, { type: "uint32" }], ["vidya.challenge.time", BigInt(epoch), seed, node as Hex, round]),
  );
  const u = Number(BigInt(h.slice(0, 10))) / 2 ** 32;
  return p.openedAt + Math.floor(round / R) * p.epochMs + (round % R) * slice + Math.floor(u * slice);
}

/**
 * The node's hosted subset in a secret per-epoch order (seed, epoch, node): round r covers
 * slice r mod R of it, so every hosted torrent is challenged at least once in R rounds.
 */
export function coverageOrder(seed: Hex, epoch: number, node: string, infoHashes: string[]): string[] {
  const rank = (ih: string) =>
    keccak256(encodeAbiParameters([{ type: "string" }, { type: "uint64" }, { type: "bytes32" }, { type: "address" }, { type: "bytes20" }], ["vidya.challenge.order", BigInt(epoch), seed, node as Hex, bytes20(ih)]));
  return [...new Set(infoHashes.map((h) => h.replace(/^0x/, "").toLowerCase()))]
    .map((ih) => ({ ih, r: rank(ih) }))
    .sort((a, b) => (a.r < b.r ? -1 : a.r > b.r ? 1 : 0))
    .map((x) => x.ih);
}

/** A 32-bit draw from the round's randomness, for the given purpose and counter. */
function draw(randomness: Hex, purpose: string, i: number, infoHash?: string): number {
  const h = keccak256(
    encodeAbiParameters([{ type: "bytes32" }, { type: "string" }, { type: "bytes20" }, { type: "uint32" }], [randomness, purpose, bytes20(infoHash ?? "00".repeat(20)), i]),
  );
  return Number(BigInt(h.slice(0, 10)));
}

/**
 * The info hashes a round challenges: the round's coverage slice (about H / R torrents of the
 * secret order) and `spotChecks` more drawn with the block hash from the rest, so that no
 * torrent is ever safe for the rest of the epoch after its own challenge.
 */
export function roundTargets(k: RoundKey, hosted: string[], p: Pick<ScheduleParams, "roundsPerEpoch" | "spotChecks">): string[] {
  const order = coverageOrder(k.seed, k.epoch, k.node, hosted);
  const H = order.length;
  if (H === 0) return [];
  const R = p.roundsPerEpoch;
  const c = Math.ceil(H / R);
  const start = (k.round % R) * c;
  const picked: string[] = [];
  for (let j = 0; j < c; j++) {
    const ih = order[(start + j) % H]!;
    if (!picked.includes(ih)) picked.push(ih);
  }
  const rest = order.filter((ih) => !picked.includes(ih));
  const randomness = roundRandomness(k);
  for (let s = 0; s < (p.spotChecks ?? CHALLENGE_SPOT_CHECKS) && rest.length > 0; s++) {
    const [ih] = rest.splice(draw(randomness, "spot", s) % rest.length, 1);
    picked.push(ih!);
  }
  return picked;
}

/** Blocks of a tree of `treeLength` bytes to fetch: `count` distinct indices from the round's randomness. */
export function challengeBlocks(randomness: Hex, infoHash: string, treeLength: number, count: number): number[] {
  const words: Hex[] = [];
  for (let i = 0; i < Math.ceil((16 * count) / 32); i++)
    words.push(keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "string" }, { type: "bytes20" }, { type: "uint32" }], [randomness, "blocks", bytes20(infoHash), i])));
  return pickBlocks(blockCount(treeLength), count, fromHex(concat(words)));
}

/**
 * For a v2 or hybrid torrent (BEP 52), which file's tree a challenge uses: weighted by the
 * file's number of blocks, so every block of the torrent is equally likely. Empty files
 * have no tree and are never drawn. Returns an index into `fileLengths`.
 */
export function challengeFile(randomness: Hex, infoHash: string, fileLengths: number[]): number {
  const blocks = fileLengths.map((l) => (l > 0 ? blockCount(l) : 0));
  const total = blocks.reduce((s, b) => s + b, 0);
  if (total === 0) throw new RangeError("torrent has no non-empty file");
  let x = draw(randomness, "file", 0, infoHash) % total;
  for (let i = 0; i < blocks.length; i++) {
    if (x < blocks[i]!) return i;
    x -= blocks[i]!;
  }
  throw new Error("unreachable");
}

/** A transcript's id: one per (epoch, node, round, torrent), so a round cannot be recorded twice. */
export function transcriptId(epoch: number, node: string, round: number, infoHash: string): Hex {
  return keccak256(
    encodeAbiParameters([{ type: "string" }, { type: "uint64" }, { type: "address" }, { type: "uint32" }, { type: "bytes20" }], ["vidya.challenge.transcript", BigInt(epoch), node as Hex, round, bytes20(infoHash)]),
  );
}

/** Commitment to the hosted subset a round drew from (sorted info hashes, packed). */
export function hostedHash(infoHashes: string[]): Hex {
  const sorted = [...new Set(infoHashes.map((h) => h.replace(/^0x/, "").toLowerCase()))].sort();
  return keccak256(sorted.length ? (`0x${sorted.join("")}` as Hex) : "0x");
}

/** What a torrent offers to be challenged on: its whole-payload tree (v1) or its files' trees (v2, hybrid). */
export interface ChallengeableTorrent {
  infoHash: string;
  /** Payload bytes the v1 storage tree covers. */
  length: number;
  /** The v1 storage root (64 hex); unused when `v2Files` is present. */
  storageRoot: string;
  /** BEP 52 files in tree order; their per-file roots are the commitment. */
  v2Files?: { length: number; piecesRoot?: string; offset: number }[];
}

/** One challenge as derived: the tree it checks against, where that tree sits, which blocks. */
export interface DerivedChallenge {
  infoHash: string;
  /** Index into the torrent's v2 files, or null for the v1 whole-payload tree. */
  file: number | null;
  /** Root of the challenged tree, 64 hex. */
  root: string;
  /** Bytes the challenged tree covers. */
  treeLength: number;
  /** Where those bytes start in the torrent's piece space. */
  offset: number;
  /** The chain's first block, fixed by the randomness; the rest follow from the answers (chain.ts). */
  blocks: number[];
  /** Blocks in the whole chain. */
  count: number;
}

export function deriveChallenge(randomness: Hex, t: ChallengeableTorrent, count = CHALLENGE_BLOCKS): DerivedChallenge {
  const infoHash = t.infoHash.replace(/^0x/, "").toLowerCase();
  if (t.v2Files && t.v2Files.length > 0) {
    const file = challengeFile(randomness, infoHash, t.v2Files.map((f) => f.length));
    const f = t.v2Files[file]!;
    if (!f.piecesRoot) throw new RangeError(`file ${file} of ${infoHash} has no pieces root`);
    return { infoHash, file, root: f.piecesRoot.toLowerCase(), treeLength: f.length, offset: f.offset, blocks: [chainedBlock(randomness, infoHash, f.length, 0, null)], count };
  }
  return { infoHash, file: null, root: t.storageRoot.toLowerCase(), treeLength: t.length, offset: 0, blocks: [chainedBlock(randomness, infoHash, t.length, 0, null)], count };
}

export interface DerivedRound {
  randomness: Hex;
  hostedHash: Hex;
  challenges: DerivedChallenge[];
  /** Targets whose stored record cannot be challenged (an unsafe length, a missing root), with why. */
  skipped: { infoHash: string; reason: string }[];
}

/**
 * A whole round of one node, from the round key and the node's hosted subset at that time.
 * The edge runs exactly this; after the reveal the node (who knows its subset) or anyone
 * given it re-runs it and compares with the transcripts.
 */
export function deriveRound(k: RoundKey, hosted: ChallengeableTorrent[], p: Pick<ScheduleParams, "roundsPerEpoch" | "spotChecks">, count = CHALLENGE_BLOCKS): DerivedRound {
  const byHash = new Map(hosted.map((t) => [t.infoHash.replace(/^0x/, "").toLowerCase(), t]));
  const randomness = roundRandomness(k);
  const targets = roundTargets(k, [...byHash.keys()], p);
  // One torrent's bad record costs that torrent's challenge, never the round: the targets and
  // the hosted commitment stay what they are, so anyone re-deriving the round agrees.
  const challenges: DerivedChallenge[] = [];
  const skipped: DerivedRound["skipped"] = [];
  for (const ih of targets) {
    try {
      challenges.push(deriveChallenge(randomness, byHash.get(ih)!, count));
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      skipped.push({ infoHash: ih, reason: e.message });
    }
  }
  return { randomness, hostedHash: hostedHash([...byHash.keys()]), challenges, skipped };
}
