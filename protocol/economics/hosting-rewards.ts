// Hosting rewards (DESIGN.md "The mechanism"): the hosting pool is shared by counted replicas in
// proportion to their weight,
//
//   weight = length × scarcity × demand × geo × vetting
//
//   scarcity  SCARCITY_TARGET_REPLICAS ÷ v, at most SCARCITY_MAX_BPS, where v is the torrent's
//             vetted replica count (Σ of its counted replicas' vetting ramp × geo): 3× for a
//             lone vetted replica, 1× at three, 0.25× at twelve, 0.1× at thirty. No floor: a
//             torrent's total weight (v × scarcity) is 3 × its length × demand whatever its
//             replicas, so more replicas split it, k Sybil replicas add nothing to what the
//             torrent pays (nor do their geo boosts), and a node earns most per GB on what few
//             hold. A lone replica weighs 3× whatever its boost or ramp above a third.
//   demand    the torrent's surge multiplier within [1×, DEMAND_WEIGHT_CAP_BPS]: demand above
//             capacity (saturation), not raw downloads, since a torrent many download but many
//             seed needs no more hosts.
//   geo       +GEO_BOOST_BPS (15%) for a replica more than GEO_DISTANCE_KM from every other
//             counted seed of the torrent (locations as the edge saw the connections), or among
//             the first third of its counted seeders by seniority (epochs proved without a gap).
//   vetting   the node's ramp (vettingBps): VETTING_START_BPS before any passed challenge, full
//             weight from VETTING_AUDITS on; a fresh identity weighs (and dilutes) little.
//
// A replica is a (node, torrent) the epoch proved (every challenge passed, protocol/epoch/
// evaluate.ts). At most one replica per torrent per /24 (IPv4) or /48 (IPv6), as the edge saw
// the node, counts: the most senior (ties: the lower address). Three identities behind one
// address earn what one does. Integer maths; a replica's reward is pool × weight ÷ Σ weights,
// rounded down (the dust is the epoch's unspent remainder).

import { countsAsPass } from "../challenge/transcript.ts";
import {
  BPS,
  DEMAND_WEIGHT_CAP_BPS,
  GEO_BOOST_BPS,
  GEO_DISTANCE_KM,
  GEO_FIRST_SEEDERS_DIVISOR,
  SCARCITY_MAX_BPS,
  SCARCITY_TARGET_REPLICAS,
  VETTING_AUDITS,
  VETTING_START_BPS,
} from "../params.ts";
import { subnetOf } from "../net/subnet.ts";
import { checkLocation, isolated, type Location } from "./geo.ts";
import { addTo, clamp } from "./math.ts";

/** Weights are length × three basis-point factors: ÷ WEIGHT_SCALE gives weighted bytes. */
export const WEIGHT_SCALE = BPS * BPS * BPS;

/** Scarcity weight (basis points) of a replica that has `others` counted, fully vetted companions. */
export function scarcityWeightBps(others: number): bigint {
  if (!Number.isSafeInteger(others) || others < 0) throw new RangeError(`replicas must be a non-negative integer, got ${others}`);
  return vettedScarcityBps(BigInt(others + 1) * BPS);
}

/** Scarcity weight (basis points) of a torrent whose counted replicas' vetting ramps add up to `vettedBps`. */
export function vettedScarcityBps(vettedBps: bigint): bigint {
  if (vettedBps <= 0n) return SCARCITY_MAX_BPS;
  const bps = (SCARCITY_TARGET_REPLICAS * BPS * BPS) / vettedBps;
  return bps > SCARCITY_MAX_BPS ? SCARCITY_MAX_BPS : bps;
}

/**
 * A counted replica's weight: length × scarcity(vettedBps) × demand × geo × vetting, computed
 * without rounding scarcity first, so a torrent's replicas weigh exactly 3 × length × demand.
 */
export function shareWeight(length: bigint, vettedBps: bigint, demandBps: bigint, geoBps: bigint, vettingBps: bigint): bigint {
  const capped = vettedBps <= 0n || SCARCITY_TARGET_REPLICAS * BPS * BPS > SCARCITY_MAX_BPS * vettedBps;
  if (capped) return (length * SCARCITY_MAX_BPS * demandBps * geoBps * vettingBps) / BPS;
  return (length * SCARCITY_TARGET_REPLICAS * BPS * demandBps * geoBps * vettingBps) / vettedBps;
}

/** The vetting ramp (basis points) of a node that has passed `audits` challenges. */
export function vettingBps(audits: number): bigint {
  if (!Number.isSafeInteger(audits) || audits < 0) throw new RangeError(`audits must be a non-negative integer, got ${audits}`);
  const a = BigInt(Math.min(audits, VETTING_AUDITS));
  return VETTING_START_BPS + ((BPS - VETTING_START_BPS) * a) / BigInt(VETTING_AUDITS);
}

/** Demand weight (basis points) of a torrent whose surge multiplier is `surgeBps`. */
export function demandWeightBps(surgeBps: bigint = BPS): bigint {
  return clamp(surgeBps, BPS, DEMAND_WEIGHT_CAP_BPS);
}

/** How many of `n` counted seeders, the most senior first, are "among the first third". */
export function earlySeeders(n: number): number {
  return Math.ceil(n / GEO_FIRST_SEEDERS_DIVISOR);
}

/** A (node, torrent) proved this epoch. */
export interface ProvenReplica {
  node: string;
  infoHash: string;
  /** The node's address as the edge saw it (challenge transcripts' `host`); absent: a subnet of its own. */
  host?: string;
  /** First epoch of the node's unbroken run of proofs of this torrent. */
  since: number;
  /** Where the edge saw the node; absent: no distance boost. */
  location?: Location;
  /** The node's vetting ramp (vettingBps); absent: fully vetted. */
  vettingBps?: bigint;
}

export interface HostedTorrent {
  infoHash: string;
  length: number;
  /** The torrent's surge multiplier for the epoch (1× when absent). */
  surgeBps?: bigint;
}

export interface ReplicaOutcome {
  node: string;
  infoHash: string;
  subnet: string | null;
  since: number;
  /** False when another replica of the same subnet counts for this torrent (`shadowedBy`). */
  counted: boolean;
  shadowedBy?: string;
  /** Why the replica gets the geo boost: far from every other counted seed, or among the first third. */
  boost: "far" | "early" | null;
  scarcityBps: bigint;
  demandBps: bigint;
  geoBps: bigint;
  vettingBps: bigint;
  /** length × scarcity × demand × geo × vetting ÷ 10 000 (÷ WEIGHT_SCALE: weighted bytes); 0 when not counted. */
  weight: bigint;
  reward: bigint;
}

export interface HostingResult {
  /** One per proven replica, sorted by torrent then node. */
  replicas: ReplicaOutcome[];
  /** Reward per node (lowercase), nodes with counted replicas only. */
  perNode: Map<string, bigint>;
  /** Counted replicas per torrent (nodes, most senior first): bounty payouts follow them. */
  counted: Map<string, string[]>;
  /** Σ of the counted replicas' vetting ramps × geo boosts per torrent (basis points): fault fees price a missing replica with it. */
  vetted: Map<string, bigint>;
  totalWeight: bigint;
  paid: bigint;
  /** Proven replicas left out because their torrent's record cannot be weighed, with why. */
  skipped: { node: string; infoHash: string; reason: string }[];
}

const bySeniority = (a: ProvenReplica, b: ProvenReplica) => a.since - b.since || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0);

/**
 * Shares `pool` among the counted replicas of `replicas` by weight. Weights are per torrent, so a
 * page of torrents can be weighed alone: `epochWeight`, the Σ weights of every page (settle-paged.ts),
 * then pays this page's replicas exactly what the whole epoch's call would (default: this call's Σ).
 */
export function hostingRewards(replicas: readonly ProvenReplica[], torrents: readonly HostedTorrent[], pool: bigint, epochWeight?: bigint): HostingResult {
  if (pool < 0n) throw new RangeError("negative pool");
  const byHash = new Map(torrents.map((t) => [t.infoHash, t]));
  const skipped: HostingResult["skipped"] = [];
  const groups = new Map<string, ProvenReplica[]>();
  const seen = new Map<string, Set<string>>();
  for (const r0 of replicas) {
    const node = r0.node.toLowerCase();
    const r = node === r0.node ? r0 : { ...r0, node };
    let nodes = seen.get(r.infoHash);
    if (!nodes) seen.set(r.infoHash, (nodes = new Set()));
    if (nodes.has(node)) throw new RangeError(`replica of ${r.infoHash} by ${r.node} listed twice`);
    nodes.add(node);
    if (!Number.isSafeInteger(r.since)) throw new RangeError(`since must be an integer epoch, got ${r.since}`);
    if (r.location) checkLocation(r.location);
    // One torrent's bad record (gone from the index, an unsafe length) costs its replicas'
    // reward, never the epoch's close: skipped with the reason, the others are paid.
    const t = byHash.get(r.infoHash);
    if (!t || !Number.isSafeInteger(t.length) || t.length <= 0) {
      skipped.push({ node, infoHash: r.infoHash, reason: t ? `torrent has no valid length (${t.length})` : "no such torrent" });
      continue;
    }
    const g = groups.get(r.infoHash) ?? [];
    g.push(r);
    groups.set(r.infoHash, g);
  }

  const outcomes: ReplicaOutcome[] = [];
  const counted = new Map<string, string[]>();
  const vetted = new Map<string, bigint>();
  for (const infoHash of [...groups.keys()].sort()) {
    const t = byHash.get(infoHash)!;
    const group = groups.get(infoHash)!.sort(bySeniority);
    const winner = new Map<string, string>();
    const kept: ProvenReplica[] = [];
    const shadowed = new Map<string, string>();
    const subnets = new Map<string, string | null>();
    for (const r of group) {
      const subnet = r.host ? subnetOf(r.host) : null;
      subnets.set(r.node, subnet);
      const first = subnet === null ? undefined : winner.get(subnet);
      if (first !== undefined) shadowed.set(r.node, first);
      else {
        if (subnet !== null) winner.set(subnet, r.node);
        kept.push(r);
      }
    }
    const n = kept.length;
    const demandBps = demandWeightBps(t.surgeBps);
    const early = earlySeeders(n);
    const located = kept.filter((r) => r.location);
    const far = new Map<string, boolean>();
    isolated(located.map((r) => r.location!), GEO_DISTANCE_KM).forEach((v, i) => far.set(located[i]!.node, v));
    const keptRank = new Map(kept.map((r, i) => [r.node, i]));
    counted.set(infoHash, kept.map((r) => r.node));
    // Far from every other counted seed (a lone located replica is far by definition), else early.
    const boostOf = (r: ProvenReplica, rank: number) => (far.get(r.node) === true && n > 1 ? "far" : rank < early ? "early" : null);
    // The torrent's vetted count, each replica weighed by its ramp and geo boost: scarcity divides
    // by it, so boosts and ramps move shares within the torrent and never grow its total.
    let vettedSum = 0n;
    kept.forEach((r, rank) => (vettedSum += ((r.vettingBps ?? BPS) * (boostOf(r, rank) ? BPS + GEO_BOOST_BPS : BPS)) / BPS));
    vetted.set(infoHash, vettedSum);
    const scarcityBps = vettedScarcityBps(vettedSum);
    for (const r of [...group].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0))) {
      const subnet = subnets.get(r.node) ?? null;
      const rank = keptRank.get(r.node);
      if (rank === undefined) {
        outcomes.push({ node: r.node, infoHash, subnet, since: r.since, counted: false, shadowedBy: shadowed.get(r.node), boost: null, scarcityBps, demandBps, geoBps: BPS, vettingBps: r.vettingBps ?? BPS, weight: 0n, reward: 0n });
        continue;
      }
      const boost = boostOf(r, rank);
      const geoBps = boost ? BPS + GEO_BOOST_BPS : BPS;
      const vettingBps = r.vettingBps ?? BPS;
      const weight = shareWeight(BigInt(t.length), vettedSum, demandBps, geoBps, vettingBps);
      outcomes.push({ node: r.node, infoHash, subnet, since: r.since, counted: true, boost, scarcityBps, demandBps, geoBps, vettingBps, weight, reward: 0n });
    }
  }
  let totalWeight = 0n;
  for (const o of outcomes) totalWeight += o.weight;
  if (epochWeight !== undefined && epochWeight < totalWeight) throw new RangeError(`epoch weight ${epochWeight} is below this page's ${totalWeight}`);
  const denominator = epochWeight ?? totalWeight;
  const perNode = new Map<string, bigint>();
  let paid = 0n;
  for (const o of outcomes) {
    if (o.weight === 0n) continue;
    o.reward = (pool * o.weight) / denominator;
    paid += o.reward;
    addTo(perNode, o.node, o.reward);
  }
  return { replicas: outcomes, perNode, counted, vetted, totalWeight, paid, skipped };
}

/**
 * The weight one more replica of a torrent (length, surge) would have, from a node with ramp
 * `vettingBps`, beside counted replicas whose ramps add up to `vettedOthers` (no geo boost):
 * what a missing replica is priced at (fault fees, protocol/epoch/replica-faults.ts).
 */
export function replicaWeight(length: number, surgeBps: bigint | undefined, vettedOthers: bigint, vettingBps: bigint = BPS): bigint {
  if (!Number.isSafeInteger(length) || length <= 0) return 0n;
  return shareWeight(BigInt(length), vettedOthers + vettingBps, demandWeightBps(surgeBps), BPS, vettingBps);
}

/** The fields of a challenge transcript that replica counting reads. */
export interface ReplicaChallenge {
  node: string;
  infoHash: string;
  verdict: string;
  host?: string;
  nodeSignature?: string | null;
}

/**
 * The (node, torrent) pairs an epoch proved: every challenge of the epoch for the pair passed
 * (and there was one), and the torrent's root is not contested (protocol/epoch/evaluate.ts pays
 * the same pairs). Each with the host of its last challenge. Sorted by torrent, then node.
 */
export function replicasFromChallenges(
  challenges: readonly ReplicaChallenge[],
  torrents: readonly { infoHash: string; rootStatus?: string }[] = [],
): { node: string; infoHash: string; host?: string }[] {
  const contested = new Set(torrents.filter((t) => t.rootStatus === "contested").map((t) => t.infoHash));
  // Nested maps, node then torrent: no key strings built per challenge (an epoch has millions).
  const lower = new Map<string, string>();
  const byNode = new Map<string, Map<string, { passed: boolean; host?: string }>>();
  for (const c of challenges) {
    let node = lower.get(c.node);
    if (node === undefined) lower.set(c.node, (node = c.node.toLowerCase()));
    let torrents = byNode.get(node);
    if (!torrents) byNode.set(node, (torrents = new Map()));
    const p = torrents.get(c.infoHash);
    if (p === undefined) torrents.set(c.infoHash, { passed: countsAsPass(c), host: c.host });
    else {
      p.passed &&= countsAsPass(c);
      if (c.host) p.host = c.host;
    }
  }
  const out: { node: string; infoHash: string; host?: string }[] = [];
  for (const [node, torrents] of byNode) {
    for (const [infoHash, p] of torrents) {
      if (!p.passed || contested.has(infoHash)) continue;
      out.push(p.host === undefined ? { node, infoHash } : { node, infoHash, host: p.host });
    }
  }
  return out.sort((a, b) => (a.infoHash < b.infoHash ? -1 : a.infoHash > b.infoHash ? 1 : a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
}
