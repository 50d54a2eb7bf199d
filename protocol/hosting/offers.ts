// What hosting a torrent is expected to pay (DESIGN.md "Buy hosting"): the tracker publishes,
// per torrent, the reward per GB a replica would earn in an epoch, and nodes choose what to
// keep by it and by their own interest. A FIRST CUT that the economics work will replace:
//
//   expectedRewardPerGB = HOSTING_POOL × GB ÷ (provenBytes + length)   the pool share a new
//                                                                      replica's bytes would win
//                       × scarcityWeight(replicas)                     fewer replicas pay more
//                       × surgeMultiplier                              1.0 until surge lands
//                       + bountyPerEpoch ÷ (replicas + 1) × GB ÷ length  0 until bounties land
//
// where `provenBytes` is every node's proven bytes in the last closed epoch (the hosting
// pool is split in proportion to them, protocol/epoch/evaluate.ts) and `replicas` counts the
// other nodes that proved the torrent then. A node that already holds the torrent asks for
// its own offers (`mine`): its replica is not counted against it and its bytes are already
// in `provenBytes`, so keeping and fetching a torrent are valued alike and nodes do not
// swap torrents back and forth. Pure and integer: amounts are wei-like bigints.

import { HOSTING_POOL } from "../params.ts";

/** Rewards are quoted per decimal gigabyte, the unit of the storage cap (5 GB = 5 × 10⁹ bytes). */
export const BYTES_PER_GB = 1_000_000_000n;

/**
 * Scarcity weight, in basis points, for a replica joining `others` existing ones:
 * SCARCITY_TARGET_REPLICAS ÷ (others + 1), within [SCARCITY_MIN_BPS, SCARCITY_MAX_BPS]. The
 * first replica weighs 3×, the third 1×, the twelfth and later 0.25×: data that few nodes
 * hold pays more, data that many hold still pays something.
 */
export const SCARCITY_TARGET_REPLICAS = 3n;
export const SCARCITY_MAX_BPS = 30_000n;
export const SCARCITY_MIN_BPS = 2_500n;
/** 1.0×: surge is neutral until the economics engine prices it. */
export const NEUTRAL_SURGE_BPS = 10_000n;

export function scarcityWeightBps(others: number): bigint {
  if (!Number.isSafeInteger(others) || others < 0) throw new RangeError(`replicas must be a non-negative integer, got ${others}`);
  const w = (SCARCITY_TARGET_REPLICAS * 10_000n) / BigInt(others + 1);
  return w > SCARCITY_MAX_BPS ? SCARCITY_MAX_BPS : w < SCARCITY_MIN_BPS ? SCARCITY_MIN_BPS : w;
}

/** The fields of a challenge transcript that replica counting reads (a subset of the evaluation's). */
export interface ReplicaChallenge {
  node: string;
  infoHash: string;
  verdict: string;
}

/**
 * Nodes that proved each torrent in an epoch: every challenge of the epoch for (node,
 * torrent) passed, as the evaluation pays them. Torrents in `contested` (their root is
 * disputed) prove nothing. Node addresses lowercase.
 */
export function provenReplicas(challenges: ReplicaChallenge[], contested: ReadonlySet<string> = new Set()): Map<string, Set<string>> {
  const passedAll = new Map<string, boolean>();
  for (const c of challenges) {
    const key = `${c.infoHash}\n${c.node.toLowerCase()}`;
    passedAll.set(key, (passedAll.get(key) ?? true) && c.verdict === "pass");
  }
  const out = new Map<string, Set<string>>();
  for (const [key, ok] of passedAll) {
    const [infoHash, node] = key.split("\n") as [string, string];
    if (!ok || contested.has(infoHash)) continue;
    const nodes = out.get(infoHash) ?? new Set<string>();
    nodes.add(node);
    out.set(infoHash, nodes);
  }
  return out;
}

export interface OfferInput {
  infoHash: string;
  name: string;
  length: number;
  /** Replicas counted for scarcity (the asking node's own included when `mine`). */
  replicas: number;
  /** The asking node's replica is among `replicas` and its bytes among `provenBytes`. */
  mine?: boolean;
  /** Basis points; NEUTRAL_SURGE_BPS when absent. */
  surgeBps?: bigint;
  /** Bounty paid to the torrent's proven hosts each epoch, split among them; 0 when absent. */
  bountyPerEpoch?: bigint;
}

export interface OfferContext {
  /** Every node's proven bytes in the last closed epoch (or hosted bytes before any closed). */
  provenBytes: bigint;
  pool?: bigint;
}

export interface Offer {
  infoHash: string;
  name: string;
  length: number;
  replicas: number;
  scarcityWeightBps: bigint;
  surgeBps: bigint;
  bountyPerEpoch: bigint;
  /** What one replica of this torrent is expected to earn per epoch, per GB (wei-like). */
  expectedRewardPerGB: bigint;
}

export function offer(t: OfferInput, ctx: OfferContext): Offer {
  if (!Number.isSafeInteger(t.length) || t.length <= 0) throw new RangeError(`length must be a positive integer, got ${t.length}`);
  const length = BigInt(t.length);
  const mine = t.mine === true && t.replicas > 0;
  const others = mine ? t.replicas - 1 : t.replicas;
  // A replica already counted has its bytes in the total; a new one adds them. Never less
  // than the torrent itself: one replica cannot win more than the whole pool.
  let denominator = ctx.provenBytes + (mine ? 0n : length);
  if (denominator < length) denominator = length;
  const weight = scarcityWeightBps(others);
  const surgeBps = t.surgeBps ?? NEUTRAL_SURGE_BPS;
  const bountyPerEpoch = t.bountyPerEpoch ?? 0n;
  const pool = ctx.pool ?? HOSTING_POOL;
  const fromPool = (pool * BYTES_PER_GB * weight * surgeBps) / (denominator * 10_000n * 10_000n);
  const fromBounty = (bountyPerEpoch * BYTES_PER_GB) / (BigInt(others + 1) * length);
  return { infoHash: t.infoHash, name: t.name, length: t.length, replicas: t.replicas, scarcityWeightBps: weight, surgeBps, bountyPerEpoch, expectedRewardPerGB: fromPool + fromBounty };
}

/** Offers for every torrent, best paying first (ties by info hash, so the order is stable). */
export function hostingOffers(torrents: OfferInput[], ctx: OfferContext): Offer[] {
  return torrents
    .map((t) => offer(t, ctx))
    .sort((a, b) => (a.expectedRewardPerGB === b.expectedRewardPerGB ? (a.infoHash < b.infoHash ? -1 : a.infoHash > b.infoHash ? 1 : 0) : a.expectedRewardPerGB > b.expectedRewardPerGB ? -1 : 1));
}
