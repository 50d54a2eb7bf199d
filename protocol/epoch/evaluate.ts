// An epoch's evaluation (DESIGN.md flow 6, "The mechanism"): published inputs in, reward
// and slash leaves out. The worker closes epochs with it and `vidya verify` re-runs it, so
// anyone can check that the leaves follow from the transcripts, not only that the roots
// follow from the leaves.
//
// Consequences ("Unavailable is not fraud"): a torrent earns only when every challenge of the
// epoch for it passed; a node that misses in consecutive epochs pays an escalating, capped
// fault fee; a signed answer that fails verification against a confirmed root is fraud and is
// slashed (a fail the node did not sign is a miss); nodes of one subnet that fault in the same
// epoch pay a correlation multiplier.
// settleEpoch now sizes fault fees per replica (replica-faults.ts); `penalties` and
// `evaluateEpoch` keep the node-wide rule for epochs closed before the settlement, which
// `vidya verify` re-runs as they were closed. provenBytes, correlationBps and the types are shared.

import { countsAsPass, signedFail } from "../challenge/transcript.ts";
import type { Address } from "viem";
import { CORRELATION_CAP_BPS, CORRELATION_STEP_BPS, FAULT_FEE_BASE, FAULT_FEE_CAP, FRAUD_SLASH, HOSTING_POOL } from "../params.ts";
import { addCumulative, hostingRewards } from "../rewards.ts";
import type { RewardLeaf } from "../merkle/reward-tree.ts";
import { subnetOf } from "../net/subnet.ts";

/** The fields of a challenge transcript that the evaluation reads. */
export interface EvaluatedChallenge {
  node: string;
  infoHash: string;
  verdict: string;
  /** The node's address as the edge saw it: correlated faults are counted per subnet. */
  host?: string;
  /** The node's signed answer: a pass without it (null) is a miss, and so is a fail without it (never fraud). */
  nodeSignature?: string | null;
}

/**
 * Where a torrent's storage root stands (published inputs). `published`: the curator's v1
 * root, not yet confirmed by independent nodes; challenges against it pay, and a failed
 * answer counts as a miss, never as fraud. `confirmed`: confirmed by ROOT_CONFIRMATIONS
 * nodes, or committed in a v2/hybrid info dict; a failed answer is fraud. `contested`: nodes
 * agree on another root; its challenges neither pay nor count against anyone.
 */
export type RootStatus = "published" | "confirmed" | "contested";

export interface TorrentLength {
  infoHash: string;
  length: number;
  /** Absent in epochs published before root confirmation existed: treated as `published`. */
  rootStatus?: RootStatus;
}

export interface HostingInput {
  node: string;
  provenBytes: bigint;
}

/**
 * Proven bytes per challenged node: the lengths of the torrents for which every challenge
 * of the epoch passed (and at least one was made). Nodes that failed everything appear with
 * zero, so the inputs show them. Challenges of contested torrents prove nothing. Sorted by node.
 */
export function provenBytes(challenges: EvaluatedChallenge[], torrents: TorrentLength[]): HostingInput[] {
  const byHash = new Map(torrents.map((t) => [t.infoHash, t]));
  const perNode = new Map<string, Map<string, boolean>>();
  for (const c of challenges) {
    const node = c.node.toLowerCase();
    const byTorrent = perNode.get(node) ?? new Map<string, boolean>();
    byTorrent.set(c.infoHash, (byTorrent.get(c.infoHash) ?? true) && countsAsPass(c));
    perNode.set(node, byTorrent);
  }
  return [...perNode.keys()].sort().map((node) => {
    let bytes = 0n;
    for (const [infoHash, allPassed] of perNode.get(node)!) {
      const t = byHash.get(infoHash);
      // A torrent without a valid record proves no bytes (hostingRewards skips its replicas alike).
      if (t === undefined || !Number.isSafeInteger(t.length) || t.length <= 0) continue;
      if (allPassed && t.rootStatus !== "contested") bytes += BigInt(t.length);
    }
    return { node, provenBytes: bytes };
  });
}

/** A node's run of consecutive epochs with a missed challenge, carried from epoch to epoch. */
export interface FaultState {
  node: string;
  streak: number;
}

/** What the previous epoch left: its cumulative slashed leaves and fault streaks. */
export interface PreviousState {
  slashed: RewardLeaf[];
  faults: FaultState[];
}

/** One node's consequences in one epoch (published beside the slashed leaves). */
export interface NodePenalty {
  node: string;
  subnet: string | null;
  /** Challenges that counted as misses (timeout, refused, failed without the node's signature or against an unconfirmed root). */
  missed: number;
  /** Challenges whose answer, signed by the node, failed verification against a confirmed root. */
  frauds: number;
  /** Consecutive epochs with a miss, this one included. */
  streak: number;
  faultFee: bigint;
  fraudSlash: bigint;
  /** Faulty nodes in the same subnet this epoch, this one included. */
  faultyInSubnet: number;
  correlationBps: bigint;
  /** (faultFee + fraudSlash) × correlationBps / 10 000. */
  slashed: bigint;
}

export interface Evaluation {
  hosting: HostingInput[];
  /** This epoch's earnings per account (lowercase), zero included for challenged nodes. */
  earned: Map<string, bigint>;
  /** Cumulative leaves with a positive amount, sorted by account. */
  leaves: RewardLeaf[];
  /** Nodes with a fault this epoch, sorted by node. */
  penalties: NodePenalty[];
  /** This epoch's slashed amount per penalised node (lowercase). */
  slashed: Map<string, bigint>;
  /** Cumulative slashed leaves with a positive amount, sorted by account. */
  slashedLeaves: RewardLeaf[];
  /** Streaks to carry into the next epoch (positive only), sorted by node. */
  faults: FaultState[];
}

/** The fault fee for a run of `streak` epochs with misses: none for the first, then doubling, capped. */
export function faultFee(streak: number): bigint {
  if (streak < 2) return 0n;
  const fee = FAULT_FEE_BASE << BigInt(Math.min(streak - 2, 64));
  return fee > FAULT_FEE_CAP ? FAULT_FEE_CAP : fee;
}

/** The multiplier (basis points) for `n` nodes of one subnet faulting in the same epoch. */
export function correlationBps(n: number): bigint {
  const bps = 10_000n + CORRELATION_STEP_BPS * BigInt(Math.max(n - 1, 0));
  return bps > CORRELATION_CAP_BPS ? CORRELATION_CAP_BPS : bps;
}

export type ChallengeKind = "pass" | "miss" | "fraud" | "ignored";

/**
 * What one challenge counts as, the one rule for the close and `vidya verify`. Fraud is the
 * node's own signed answer failing against a confirmed root; a fail the node did not sign (no
 * answer, timeout, unsigned) rests on the edge's word alone, so it is a miss, never fraud.
 */
export function classify(c: EvaluatedChallenge, status: RootStatus | undefined): ChallengeKind {
  if (status === "contested") return "ignored";
  if (countsAsPass(c)) return "pass";
  if (status === "confirmed" && signedFail(c)) return "fraud";
  return "miss";
}

const byAccount = ([a]: [string, bigint], [b]: [string, bigint]) => (a < b ? -1 : a > b ? 1 : 0);

function toLeaves(m: Map<string, bigint>): RewardLeaf[] {
  return [...m]
    .filter(([, v]) => v > 0n)
    .sort(byAccount)
    .map(([account, cumulative]) => ({ account: account as Address, cumulative }));
}

export function penalties(challenges: EvaluatedChallenge[], torrents: TorrentLength[], previousFaults: FaultState[]): { penalties: NodePenalty[]; faults: FaultState[] } {
  const status = new Map(torrents.map((t) => [t.infoHash, t.rootStatus]));
  const perNode = new Map<string, { missed: number; frauds: number; counted: number; host?: string }>();
  for (const c of challenges) {
    const node = c.node.toLowerCase();
    const s = perNode.get(node) ?? { missed: 0, frauds: 0, counted: 0 };
    const kind = classify(c, status.get(c.infoHash));
    if (kind !== "ignored") s.counted++;
    if (kind === "miss") s.missed++;
    if (kind === "fraud") s.frauds++;
    s.host ??= c.host;
    perNode.set(node, s);
  }
  const streaks = new Map(previousFaults.map((f) => [f.node.toLowerCase(), f.streak]));
  for (const [node, s] of perNode) {
    // A node not challenged (or only on contested torrents) keeps its streak: leaving does not clear it.
    if (s.counted === 0) continue;
    streaks.set(node, s.missed > 0 ? (streaks.get(node) ?? 0) + 1 : 0);
  }
  const faulty = [...perNode].filter(([, s]) => s.missed > 0 || s.frauds > 0);
  const inSubnet = new Map<string, number>();
  for (const [, s] of faulty) if (s.host) inSubnet.set(subnetOf(s.host), (inSubnet.get(subnetOf(s.host)) ?? 0) + 1);
  const out: NodePenalty[] = faulty
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([node, s]) => {
      const subnet = s.host ? subnetOf(s.host) : null;
      const streak = streaks.get(node) ?? 0;
      const fee = faultFee(streak);
      const fraud = s.frauds > 0 ? FRAUD_SLASH : 0n;
      const n = subnet ? inSubnet.get(subnet)! : 1;
      const bps = correlationBps(n);
      return { node, subnet, missed: s.missed, frauds: s.frauds, streak, faultFee: fee, fraudSlash: fraud, faultyInSubnet: n, correlationBps: bps, slashed: ((fee + fraud) * bps) / 10_000n };
    });
  const faults = [...streaks]
    .filter(([, v]) => v > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([node, streak]) => ({ node, streak }));
  return { penalties: out, faults };
}

/**
 * `previous` is the previous epoch's earned leaves; `state` its slashed leaves and fault
 * streaks (empty for the first epoch). Earned leaves do not depend on `state`.
 */
export function evaluateEpoch(challenges: EvaluatedChallenge[], torrents: TorrentLength[], previous: RewardLeaf[], state: PreviousState = { slashed: [], faults: [] }): Evaluation {
  const hosting = provenBytes(challenges, torrents);
  const earned = hostingRewards(hosting.map((h) => ({ account: h.node, provenBytes: h.provenBytes })), HOSTING_POOL);
  const prior = new Map(previous.map((l) => [l.account.toLowerCase(), l.cumulative]));
  const leaves = toLeaves(addCumulative(prior, earned));

  const p = penalties(challenges, torrents, state.faults);
  const slashed = new Map(p.penalties.filter((x) => x.slashed > 0n).map((x) => [x.node, x.slashed]));
  const priorSlashed = new Map(state.slashed.map((l) => [l.account.toLowerCase(), l.cumulative]));
  const slashedLeaves = toLeaves(addCumulative(priorSlashed, slashed));
  return { hosting, earned, leaves, penalties: p.penalties, slashed, slashedLeaves, faults: p.faults };
}
