// Consequences per replica (DESIGN.md "Unavailable is not fraud"), as settleEpoch applies them:
// a replica (node, torrent) that misses in consecutive epochs pays a fault fee sized by its own
// expected reward (FAULT_FEE_EPOCHS_BASE epochs of it for the second in a row, doubling, at most
// FAULT_FEE_EPOCHS_CAP), so an outage costs every node the same multiple of its income whatever
// its size; after REPLICA_SUSPENSION_STREAK faulty epochs in a row that replica, not the node, is
// suspended. Fraud (the node's signed answer failing against a confirmed root; an unsigned fail
// is a miss, evaluate.ts classify) stays per node (FRAUD_SLASH), and nodes of one subnet
// faulting together pay the correlation multiplier on their total.
// The streaks are carried from epoch to epoch in the published settlement state.

import { BPS, FAULT_FEE_EPOCHS_BASE, FAULT_FEE_EPOCHS_CAP, FRAUD_SLASH, NODE_FAULT_RATE_BPS, REPLICA_SUSPENSION_STREAK, SUSPENSION_STREAK } from "../params.ts";
import { subnetOf } from "../net/subnet.ts";
import { classify, correlationBps, type EvaluatedChallenge, type FaultState, type NodePenalty, type TorrentLength } from "./evaluate.ts";

/** A replica's run of consecutive epochs with a miss, carried from epoch to epoch. */
export interface ReplicaFaultState {
  node: string;
  infoHash: string;
  streak: number;
}

/** One faulty replica of a node in one epoch (published in its NodePenalty). */
export interface ReplicaFault {
  infoHash: string;
  missed: number;
  /** Consecutive epochs with a miss, this one included. */
  streak: number;
  /** What the replica would have earned this epoch had it proved (the fee's unit). */
  expected: bigint;
  fee: bigint;
}

export interface ReplicaPenalty extends NodePenalty {
  replicas: ReplicaFault[];
}

/** The fee of a replica in its `streak`-th faulty epoch in a row, whose expected reward is `expected`. */
export function replicaFaultFee(streak: number, expected: bigint): bigint {
  if (streak < 2 || expected <= 0n) return 0n;
  const epochs = FAULT_FEE_EPOCHS_BASE << BigInt(Math.min(streak - 2, 64));
  return expected * (epochs > FAULT_FEE_EPOCHS_CAP ? FAULT_FEE_EPOCHS_CAP : epochs);
}

const key = (node: string, infoHash: string) => `${node}\n${infoHash}`;

/** Replicas suspended this epoch: those whose carried streak reached REPLICA_SUSPENSION_STREAK. */
export function suspendedReplicas(previous: readonly ReplicaFaultState[]): Set<string> {
  return new Set(previous.filter((f) => f.streak >= REPLICA_SUSPENSION_STREAK).map((f) => key(f.node.toLowerCase(), f.infoHash)));
}

/** Whether (node, infoHash) is in a set built by suspendedReplicas. */
export function isSuspended(set: ReadonlySet<string>, node: string, infoHash: string): boolean {
  return set.has(key(node.toLowerCase(), infoHash));
}

/** The replicas (node lowercase, torrent) with a missed challenge this epoch (contested roots and fraud aside). */
export function missedReplicas(challenges: readonly EvaluatedChallenge[], torrents: readonly TorrentLength[]): { node: string; infoHash: string }[] {
  const status = new Map(torrents.map((t) => [t.infoHash, t.rootStatus]));
  const seen = new Set<string>();
  const out: { node: string; infoHash: string }[] = [];
  for (const c of challenges) {
    if (classify(c, status.get(c.infoHash)) !== "miss") continue;
    const node = c.node.toLowerCase();
    const k = key(node, c.infoHash);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ node, infoHash: c.infoHash });
  }
  return out;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Per node (lowercase): its address as the edge saw it, and per torrent its counted, missed and fraudulent challenges. */
export type Tally = Map<string, { host?: string; torrents: Map<string, { counted: number; missed: number; frauds: number }> }>;

/** Counts an epoch's challenges per node and torrent (contested roots count for nothing). */
export function tally(challenges: readonly EvaluatedChallenge[], torrents: readonly TorrentLength[]): Tally {
  const status = new Map(torrents.map((t) => [t.infoHash, t.rootStatus]));
  const perNode: Tally = new Map();
  const lower = new Map<string, string>();
  for (const c of challenges) {
    let node = lower.get(c.node);
    if (node === undefined) lower.set(c.node, (node = c.node.toLowerCase()));
    let n = perNode.get(node);
    if (!n) perNode.set(node, (n = { torrents: new Map() }));
    n.host ??= c.host;
    let r = n.torrents.get(c.infoHash);
    if (!r) n.torrents.set(c.infoHash, (r = { counted: 0, missed: 0, frauds: 0 }));
    const kind = classify(c, status.get(c.infoHash));
    if (kind === "ignored") continue;
    r.counted++;
    if (kind === "fraud") r.frauds++;
    else if (kind === "miss") r.missed++;
  }
  return perNode;
}

/**
 * Node streaks: consecutive epochs in which at least NODE_FAULT_RATE_BPS of the node's
 * challenged replicas newly missed (missed, having passed or not been challenged the epoch
 * before). A node whose streak reaches SUSPENSION_STREAK is suspended for the epoch (settle.ts):
 * a relay that answers most challenges by fetching blocks from the swarm misses a fresh share of
 * them every epoch, while a replica that keeps failing is new only once (it is suspended alone),
 * and an honest node's rare misses (0.2% of 1,000 replicas) stay far below the rate. A node not
 * challenged keeps its streak.
 */
export function nodeStreaks(t: Tally, previous: readonly FaultState[] = [], previousReplicaFaults: readonly ReplicaFaultState[] = []): Map<string, number> {
  const streaks = new Map(previous.map((f) => [f.node.toLowerCase(), f.streak]));
  const failing = new Set(previousReplicaFaults.filter((f) => f.streak > 0).map((f) => key(f.node.toLowerCase(), f.infoHash)));
  for (const [node, n] of t) {
    let replicas = 0n;
    let missed = 0n;
    for (const [infoHash, r] of n.torrents) {
      if (r.counted === 0) continue;
      replicas++;
      if (r.missed > 0 && !failing.has(key(node, infoHash))) missed++;
    }
    if (replicas === 0n) continue;
    streaks.set(node, missed * BPS >= NODE_FAULT_RATE_BPS * replicas && missed > 0n ? (streaks.get(node) ?? 0) + 1 : 0);
  }
  return streaks;
}

/** Nodes suspended this epoch: their streak (nodeStreaks) reached SUSPENSION_STREAK. */
export function suspendedNodes(streaks: ReadonlyMap<string, number>): Set<string> {
  return new Set([...streaks].filter(([, v]) => v >= SUSPENSION_STREAK).map(([k]) => k));
}

/**
 * Per-replica penalties of an epoch from its tally and the node streaks (nodeStreaks).
 * `expected(node, infoHash)` prices a missing replica (settle.ts derives it from the epoch's
 * hosting weights). Returns the faulty nodes' penalties, the node streaks and the replica
 * streaks to carry. A replica not challenged (or only on contested torrents) keeps its streak.
 */
export function replicaPenalties(
  perNode: Tally,
  streaks: ReadonlyMap<string, number>,
  previousReplicaFaults: readonly ReplicaFaultState[],
  expected: (node: string, infoHash: string) => bigint,
): { penalties: ReplicaPenalty[]; faults: FaultState[]; replicaFaults: ReplicaFaultState[] } {
  const replicaStreaks = new Map(previousReplicaFaults.map((f) => [key(f.node.toLowerCase(), f.infoHash), f.streak]));
  const faulty: { node: string; subnet: string | null; missed: number; frauds: number; replicas: ReplicaFault[] }[] = [];
  for (const [node, n] of perNode) {
    let missed = 0;
    let frauds = 0;
    const replicas: ReplicaFault[] = [];
    for (const [infoHash, r] of n.torrents) {
      missed += r.missed;
      frauds += r.frauds;
      if (r.counted === 0) continue;
      const k = key(node, infoHash);
      if (r.missed > 0) {
        const streak = (replicaStreaks.get(k) ?? 0) + 1;
        replicaStreaks.set(k, streak);
        const exp = expected(node, infoHash);
        replicas.push({ infoHash, missed: r.missed, streak, expected: exp, fee: replicaFaultFee(streak, exp) });
      } else if (r.frauds === 0) replicaStreaks.delete(k);
    }
    if (missed > 0 || frauds > 0) faulty.push({ node, subnet: n.host ? subnetOf(n.host) : null, missed, frauds, replicas: replicas.sort((a, b) => byString(a.infoHash, b.infoHash)) });
  }

  const inSubnet = new Map<string, number>();
  for (const f of faulty) if (f.subnet) inSubnet.set(f.subnet, (inSubnet.get(f.subnet) ?? 0) + 1);
  const penalties: ReplicaPenalty[] = faulty
    .sort((a, b) => byString(a.node, b.node))
    .map((f) => {
      let fee = 0n;
      for (const r of f.replicas) fee += r.fee;
      const fraud = f.frauds > 0 ? FRAUD_SLASH : 0n;
      const n = f.subnet ? inSubnet.get(f.subnet)! : 1;
      const bps = correlationBps(n);
      return {
        node: f.node,
        subnet: f.subnet,
        missed: f.missed,
        frauds: f.frauds,
        streak: streaks.get(f.node) ?? 0,
        faultFee: fee,
        fraudSlash: fraud,
        faultyInSubnet: n,
        correlationBps: bps,
        slashed: ((fee + fraud) * bps) / 10_000n,
        replicas: f.replicas,
      };
    });
  const faults = [...streaks]
    .filter(([, v]) => v > 0)
    .sort(([a], [b]) => byString(a, b))
    .map(([node, streak]) => ({ node, streak }));
  const replicaFaults = [...replicaStreaks]
    .filter(([, v]) => v > 0)
    .map(([k, streak]) => {
      const [node, infoHash] = k.split("\n") as [string, string];
      return { node, infoHash, streak };
    })
    .sort((a, b) => byString(a.node, b.node) || byString(a.infoHash, b.infoHash));
  return { penalties, faults, replicaFaults };
}
