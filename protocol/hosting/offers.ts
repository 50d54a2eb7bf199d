// What hosting a torrent is expected to pay (DESIGN.md "Buy hosting"): the tracker publishes,
// per torrent, the reward per GB per epoch that one more replica would earn, and nodes choose
// what to keep by it and by their own interest. It is the settlement's own formula
// (protocol/economics/hosting-rewards.ts, bounties.ts) applied to the last closed epoch:
//
//   weight of the new replica  w = length × scarcity × demand(surge) × geo, scarcity = 3 ÷ the
//                              others + 1 replicas weighed by their geo boosts (the first third
//                              by seniority, the newcomer last: boosted alone or when far)
//   the epoch's total weight   W, plus what this replica changes: the torrent's replicas are
//                              reweighed for one more (ΔW; zero from two replicas on, where a
//                              torrent weighs 3 × its length whatever its replicas)
//   expectedRewardPerGB        = pool × w ÷ (W + ΔW) × GB ÷ length
//                              + bounty draw per epoch ÷ (others + 1) × GB ÷ length
//
// W is the last epoch's `hosting.totalWeight ÷ WEIGHT_SCALE` (weighted bytes) when the caller
// has it (`totalWeight`). Without it every proven byte is taken at weight 1× (`provenBytes`)
// and one more replica adds its bytes to W (ΔW = length), as the first cut did. A node asking
// about a torrent it already holds (`mine`) is valued as if it were joining: its replica is not
// counted against it and its weight is already in W, so keeping and fetching a torrent are
// valued alike and nodes do not swap torrents back and forth. Integer maths.

import { BPS, BYTES_PER_GB, GEO_BOOST_BPS, HOSTING_POOL, SCARCITY_MAX_BPS, SCARCITY_TARGET_REPLICAS } from "../params.ts";
import { bountyDrawOf } from "../economics/bounties.ts";
import { demandWeightBps, earlySeeders, replicasFromChallenges, scarcityWeightBps, shareWeight, WEIGHT_SCALE, type ReplicaChallenge } from "../economics/hosting-rewards.ts";
import { NEUTRAL_SURGE_BPS } from "../economics/surge.ts";

export { BYTES_PER_GB, NEUTRAL_SURGE_BPS, SCARCITY_MAX_BPS, SCARCITY_TARGET_REPLICAS, scarcityWeightBps, type ReplicaChallenge };

/**
 * Nodes that proved each torrent in an epoch: every challenge of the epoch for (node,
 * torrent) passed, as the settlement pays them. Torrents in `contested` (their root is
 * disputed) prove nothing. Node addresses lowercase.
 */
export function provenReplicas(challenges: ReplicaChallenge[], contested: ReadonlySet<string> = new Set()): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const torrents = [...contested].map((infoHash) => ({ infoHash, rootStatus: "contested" }));
  for (const r of replicasFromChallenges(challenges, torrents)) {
    const nodes = out.get(r.infoHash) ?? new Set<string>();
    nodes.add(r.node);
    out.set(r.infoHash, nodes);
  }
  return out;
}

export interface OfferInput {
  infoHash: string;
  name: string;
  length: number;
  /** Counted replicas (one per subnet) of the last epoch, the asking node's own included when `mine`. */
  replicas: number;
  /** The asking node's replica is among `replicas` and its weight in the total. */
  mine?: boolean;
  /** The torrent's surge multiplier, basis points; NEUTRAL_SURGE_BPS when absent. */
  surgeBps?: bigint;
  /** Bounty paid to the torrent's proven hosts each epoch, split among them; see `bounty`. */
  bountyPerEpoch?: bigint;
  /** What is left of the torrent's bounty on-chain: its next draw (bountyDrawOf) is used when `bountyPerEpoch` is absent. */
  bounty?: bigint;
  /** The asking node would get the +15% geo boost on this torrent (far from its other seeds, or among its first third). */
  geoBoost?: boolean;
}

export interface OfferContext {
  /** Every node's proven bytes in the last closed epoch (or hosted bytes before any closed): W at weight 1×. */
  provenBytes: bigint;
  /** The last epoch's total weight in weighted bytes (settlement's `hosting.totalWeight ÷ WEIGHT_SCALE`), preferred to `provenBytes`. */
  totalWeight?: bigint;
  /** The hosting pool; HOSTING_POOL when absent. */
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
  if (!Number.isSafeInteger(t.replicas) || t.replicas < 0) throw new RangeError(`replicas must be a non-negative integer, got ${t.replicas}`);
  const length = BigInt(t.length);
  const mine = t.mine === true && t.replicas > 0;
  const others = mine ? t.replicas - 1 : t.replicas;
  const surgeBps = t.surgeBps ?? NEUTRAL_SURGE_BPS;
  const demand = demandWeightBps(surgeBps);
  // Fully vetted replicas; the first third by seniority boosted (the newcomer is the last: boosted
  // when alone, or when far from the others).
  const n = others + 1;
  const boosted = n === 1 || t.geoBoost === true;
  const boosts = BigInt(earlySeeders(n) + (boosted && n > 1 ? 1 : 0));
  const vetted = BigInt(n) * BPS + boosts * GEO_BOOST_BPS;
  const geo = boosted ? BPS + GEO_BOOST_BPS : BPS;
  // In weighted bytes × WEIGHT_SCALE, as the settlement weighs replicas.
  const w = shareWeight(length, vetted, demand, geo, BPS);
  // Reported as the plain 3 ÷ replicas (the API's scarcityWeight); boosts are in the reward.
  const scarcity = scarcityWeightBps(others);
  const weighted = ctx.totalWeight !== undefined;
  const total = (ctx.totalWeight ?? ctx.provenBytes) * WEIGHT_SCALE;
  // A replica already counted is in the total; a new one changes it only if it is the torrent's
  // first (a torrent weighs 3 × length × demand from one replica on), or by its bytes at weight 1×
  // without the settlement's total. Never less than its own weight: one replica cannot win more
  // than the whole pool.
  const delta = weighted ? (others === 0 ? w : 0n) : length * WEIGHT_SCALE;
  let denominator = mine ? total : total + delta;
  if (denominator < w) denominator = w;
  const pool = ctx.pool ?? HOSTING_POOL;
  const bountyPerEpoch = t.bountyPerEpoch ?? (t.bounty !== undefined ? bountyDrawOf(t.bounty) : 0n);
  const fromPool = (pool * w * BYTES_PER_GB) / (denominator * length);
  const fromBounty = (bountyPerEpoch * BYTES_PER_GB) / (BigInt(others + 1) * length);
  return { infoHash: t.infoHash, name: t.name, length: t.length, replicas: t.replicas, scarcityWeightBps: scarcity, surgeBps, bountyPerEpoch, expectedRewardPerGB: fromPool + fromBounty };
}

/**
 * Offers for every torrent, best paying first (ties by info hash, so the order is stable). A
 * torrent whose record cannot be valued (an unsafe length) is left out and listed in `skipped`
 * with why: one bad record never takes the others' offers down.
 */
export function hostingOffers(torrents: OfferInput[], ctx: OfferContext, skipped: { infoHash: string; reason: string }[] = []): Offer[] {
  const offers: Offer[] = [];
  for (const t of torrents) {
    try {
      offers.push(offer(t, ctx));
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      skipped.push({ infoHash: t.infoHash, reason: e.message });
    }
  }
  return offers
    .sort((a, b) => (a.expectedRewardPerGB === b.expectedRewardPerGB ? (a.infoHash < b.infoHash ? -1 : a.infoHash > b.infoHash ? 1 : 0) : a.expectedRewardPerGB > b.expectedRewardPerGB ? -1 : 1));
}
