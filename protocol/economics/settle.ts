// Settling an epoch: the one entry point the edge calls when it closes an epoch (and that
// `vidya verify` and the simulation re-run). Plain data in, every amount out:
//
//   challenges ─ evaluate.ts ─▶ proven replicas; vetting.ts ─▶ passed audits (vetting ramps)
//   carried replica streaks ─ replica-faults.ts ─▶ suspended replicas (not nodes)
//   proven replicas + subnets + locations + seniority + ramps + surge ─ hosting-rewards.ts ─▶ hosting
//   missed replicas × their expected reward ─ replica-faults.ts ─▶ fault fees, slashed leaves
//   per (member, torrent) paid/free bytes, receipts, proven hosts + surge ─ upload-rewards.ts ─▶ upload, spent
//   bounty balances + counted replicas ─ bounties.ts ─▶ draws and their split
//   earned = hosting + upload + bounty shares ─▶ cumulative earned leaves (format unchanged)
//
// Conservation, per epoch: Σ earned = emission − unspent + Σ bounty draws, where the upload
// pool's unpaid part goes to the hosting pool of the same epoch and `unspent` is only what
// nobody could be paid (no proven replica at all) and the rounding dust. Nothing is minted for
// it: the contract mints the growth of the earned total (EpochRewards.postRoot).

import type { Address } from "viem";
import { BPS, EMISSION_PER_EPOCH, HOSTING_POOL_BPS } from "../params.ts";
import { provenBytes, type EvaluatedChallenge, type FaultState, type HostingInput, type TorrentLength } from "../epoch/evaluate.ts";
import { isSuspended, missedReplicas, nodeStreaks, replicaPenalties, suspendedNodes, suspendedReplicas, tally, type ReplicaFaultState, type ReplicaPenalty } from "../epoch/replica-faults.ts";
import { nextVetting, type VettingState } from "../epoch/vetting.ts";
import type { RewardLeaf } from "../merkle/reward-tree.ts";
import type { AccessRoute } from "./access.ts";
import { bountyPayouts, type BountyDraw, type BountyResult } from "./bounties.ts";
import { heldPart } from "./holdback.ts";
import { hostingRewards, replicasFromChallenges, replicaWeight, vettingBps, type HostingResult, type ProvenReplica } from "./hosting-rewards.ts";
import { addTo } from "./math.ts";
import { uploadRewards, type ReceiptBytes, type Transfer, type UploadResult } from "./upload-rewards.ts";

export interface SettleTorrent extends TorrentLength {
  /** The torrent's surge multiplier for the epoch (surge.ts `epochSurgeBps`); 1× when absent. */
  surgeBps?: bigint;
  /** What is left of its bounty on-chain (HostingBounties.bountyOf); none when absent. */
  bounty?: bigint;
}

/** Where the edge saw a node (request.cf latitude and longitude). */
export interface NodeLocation {
  node: string;
  lat: number;
  lon: number;
}

/** The first epoch of a node's unbroken run of proofs of a torrent. */
export interface Seniority {
  node: string;
  infoHash: string;
  since: number;
}

export interface PreviousSettlement {
  earned?: RewardLeaf[];
  slashed?: RewardLeaf[];
  spent?: RewardLeaf[];
  faults?: FaultState[];
  seniority?: Seniority[];
  /** Replica fault streaks (replica-faults.ts); absent: none. */
  replicaFaults?: ReplicaFaultState[];
  /** Passed audits per node (vetting.ts); absent: every node is new. */
  vetting?: VettingState[];
}

export interface SettleInputs {
  epoch: number;
  /** The access route in force (access.ts); prices paid bytes that come without `charged`. */
  route?: AccessRoute;
  /** The epoch's challenge transcripts (node, infoHash, verdict, host). */
  challenges: readonly EvaluatedChallenge[];
  /** Every torrent challenged or transferred this epoch. */
  torrents: readonly SettleTorrent[];
  locations?: readonly NodeLocation[];
  transfers?: readonly Transfer[];
  /** Receipted bytes per (downloader, uploader, torrent) this epoch (receipts.ts receiptBytes). */
  receipts?: readonly ReceiptBytes[];
  previous?: PreviousSettlement;
  /** The epoch's budget; EMISSION_PER_EPOCH when absent. */
  emission?: bigint;
}

export interface Pools {
  emission: bigint;
  /** HOSTING_POOL_BPS of the emission, plus what the upload pool did not pay. */
  hostingPool: bigint;
  uploadPool: bigint;
  hostingPaid: bigint;
  uploadPaid: bigint;
  /** The upload pool's unpaid part, moved to the hosting pool. */
  uploadToHosting: bigint;
  bountyDrawn: bigint;
  /** Emission nobody was paid: no counted replica, and rounding dust. Not minted. */
  unspent: bigint;
  /** Σ earned this epoch = emission − unspent + bountyDrawn. */
  paid: bigint;
}

export interface Settlement {
  epoch: number;
  pools: Pools;
  /** Proven bytes per challenged node (evaluate.ts), published with the inputs. */
  provenBytes: HostingInput[];
  hosting: HostingResult;
  upload: UploadResult;
  bounties: BountyResult;
  /** This epoch's earnings per account (lowercase): hosting + upload + bounty shares; challenged nodes appear with 0. */
  earned: Map<string, bigint>;
  /** Cumulative earned leaves with a positive amount, sorted by account (DESIGN.md "Reward leaves"). */
  leaves: RewardLeaf[];
  totalEarned: bigint;
  /** This epoch's spending per member, and the cumulative spent leaves (Escrow.settle). */
  spent: Map<string, bigint>;
  spentLeaves: RewardLeaf[];
  /** Penalties, this epoch's slashes, cumulative slashed leaves and the fault streaks to carry (evaluate.ts). */
  penalties: ReplicaPenalty[];
  slashed: Map<string, bigint>;
  slashedLeaves: RewardLeaf[];
  faults: FaultState[];
  /** Replica streaks and passed audits to carry into the next epoch. */
  replicaFaults: ReplicaFaultState[];
  vetting: VettingState[];
  /** postRoot's `bountyDraws`. */
  bountyDraws: BountyDraw[];
  /** Of this epoch's earnings, the least a claim of them will hold back (an aged node's HOLDBACK_BPS; a younger node's claim holds back more, holdback.ts; informational). */
  heldBack: Map<string, bigint>;
  /** Seniority to carry into the next epoch: every replica proven in this one. */
  seniority: Seniority[];
  /** Replicas suspended this epoch (carried streak ≥ REPLICA_SUSPENSION_STREAK): no hosting reward, no bounty share. */
  suspended: { node: string; infoHash: string }[];
}

/** Positive cumulative leaves, sorted by account: previous + this epoch. */
export function cumulativeLeaves(previous: readonly RewardLeaf[] | undefined, added: ReadonlyMap<string, bigint>): RewardLeaf[] {
  const out = new Map<string, bigint>();
  for (const l of previous ?? []) addTo(out, l.account.toLowerCase(), l.cumulative);
  for (const [k, v] of added) addTo(out, k, v);
  return [...out]
    .filter(([, v]) => v > 0n)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([account, cumulative]) => ({ account: account as Address, cumulative }));
}

export function settleEpoch(inputs: SettleInputs): Settlement {
  const { epoch } = inputs;
  if (!Number.isSafeInteger(epoch) || epoch < 1) throw new RangeError(`epoch must be a positive integer, got ${epoch}`);
  const previous = inputs.previous ?? {};
  const emission = inputs.emission ?? EMISSION_PER_EPOCH;
  const hostingBase = (emission * HOSTING_POOL_BPS) / BPS;
  const uploadPool = emission - hostingBase;

  // Replicas: proven (every challenge passed, root not contested), with host, location, seniority.
  const since = new Map<string, Map<string, number>>();
  for (const s of previous.seniority ?? []) {
    let nodes = since.get(s.infoHash);
    if (!nodes) since.set(s.infoHash, (nodes = new Map()));
    nodes.set(s.node.toLowerCase(), s.since);
  }
  const located = new Map((inputs.locations ?? []).map((l) => [l.node.toLowerCase(), { lat: l.lat, lon: l.lon }]));
  // Vetting ramps from the audits each node brought into this epoch.
  const audits = new Map((previous.vetting ?? []).map((v) => [v.node.toLowerCase(), v.audits]));
  const ramp = (node: string) => vettingBps(audits.get(node) ?? 0);
  const replicas: ProvenReplica[] = replicasFromChallenges(inputs.challenges, inputs.torrents).map((r) => {
    const out: ProvenReplica = { node: r.node, infoHash: r.infoHash, since: since.get(r.infoHash)?.get(r.node) ?? epoch, vettingBps: ramp(r.node) };
    if (r.host !== undefined) out.host = r.host;
    const location = located.get(r.node);
    if (location) out.location = location;
    return out;
  });

  // A replica that missed REPLICA_SUSPENSION_STREAK epochs in a row is suspended: it neither
  // counts nor earns this epoch (a clean epoch reinstates it); the node's other replicas do.
  // evaluate.ts reads, never changes, its arrays: no copies of an epoch's millions of challenges.
  const challenges = inputs.challenges as EvaluatedChallenge[];
  const torrents = inputs.torrents as SettleTorrent[];
  // A node missing NODE_FAULT_RATE_BPS or more of its replicas SUSPENSION_STREAK epochs running
  // (a relay, a machine often down) is suspended whole for the epoch.
  const counts = tally(challenges, torrents);
  const streaks = nodeStreaks(counts, previous.faults ?? [], previous.replicaFaults ?? []);
  const badNodes = suspendedNodes(streaks);
  const suspendedSet = suspendedReplicas(previous.replicaFaults ?? []);
  const suspended = badNodes.size || suspendedSet.size ? replicas.filter((r) => badNodes.has(r.node) || isSuspended(suspendedSet, r.node, r.infoHash)) : [];

  // Upload tokens go to bonded, challenged nodes only: proven replicas of the torrent, not
  // suspended, for receipted bytes; the counted ones (one per subnet) share unreceipted bytes.
  const active = suspended.length ? replicas.filter((r) => !badNodes.has(r.node) && !isSuspended(suspendedSet, r.node, r.infoHash)) : replicas;
  const hosts = new Map<string, string[]>();
  for (const r of active) hosts.set(r.infoHash, [...(hosts.get(r.infoHash) ?? []), r.node]);
  const sharers = (inputs.transfers ?? []).length > 0 ? hostingRewards(active, inputs.torrents, 0n).counted : new Map<string, string[]>();
  const upload = uploadRewards(inputs.transfers ?? [], inputs.torrents, uploadPool, inputs.route ?? "fixed-gate", { receipts: inputs.receipts ?? [], hosts, sharers });
  const hostingPool = hostingBase + upload.unspent;
  const hosting = hostingRewards(active, inputs.torrents, hostingPool);
  // A missed replica's fee is sized by what it would have earned: its weight beside the
  // torrent's counted replicas, in this epoch's pool had every missed replica proved (so a big
  // node's outage is priced as its healthy income is, not against a network without it).
  const byHash = new Map(inputs.torrents.map((t) => [t.infoHash, t]));
  const weightOf = (node: string, infoHash: string) => {
    const t = byHash.get(infoHash);
    return t ? replicaWeight(t.length, t.surgeBps, hosting.vetted.get(infoHash) ?? 0n, ramp(node)) : 0n;
  };
  const missedWeight = missedReplicas(challenges, torrents).reduce((sum, r) => sum + weightOf(r.node, r.infoHash), 0n);
  const p = replicaPenalties(counts, streaks, previous.replicaFaults ?? [], (node, infoHash) => {
    const w = weightOf(node, infoHash);
    return w === 0n ? 0n : (hostingPool * w) / (hosting.totalWeight + missedWeight);
  });
  const bounties = bountyPayouts(
    inputs.torrents.filter((t) => (t.bounty ?? 0n) > 0n).map((t) => ({ infoHash: t.infoHash, balance: t.bounty! })),
    hosting.counted,
  );

  const proven = provenBytes(challenges, torrents);
  const earned = new Map<string, bigint>(proven.map((h) => [h.node, 0n]));
  for (const m of [hosting.perNode, upload.perMember, bounties.perNode]) for (const [k, v] of m) addTo(earned, k, v);
  const leaves = cumulativeLeaves(previous.earned, earned);
  const spentLeaves = cumulativeLeaves(previous.spent, upload.spent);

  const slashed = new Map(p.penalties.filter((x) => x.slashed > 0n).map((x) => [x.node, x.slashed]));
  const slashedLeaves = cumulativeLeaves(previous.slashed, slashed);

  const heldBack = new Map<string, bigint>();
  for (const [k, v] of earned) if (v > 0n) heldBack.set(k, heldPart(v));

  const paid = hosting.paid + upload.paid + bounties.drawn;
  const pools: Pools = {
    emission,
    hostingPool,
    uploadPool,
    hostingPaid: hosting.paid,
    uploadPaid: upload.paid,
    uploadToHosting: upload.unspent,
    bountyDrawn: bounties.drawn,
    unspent: emission - hosting.paid - upload.paid,
    paid,
  };
  return {
    epoch,
    pools,
    provenBytes: proven,
    hosting,
    upload,
    bounties,
    earned,
    leaves,
    totalEarned: leaves.reduce((s, l) => s + l.cumulative, 0n),
    spent: upload.spent,
    spentLeaves,
    penalties: p.penalties,
    slashed,
    slashedLeaves,
    faults: p.faults,
    replicaFaults: p.replicaFaults,
    vetting: nextVetting(previous.vetting ?? [], challenges, torrents),
    bountyDraws: bounties.draws,
    heldBack,
    // Already in (torrent, node) order: replicasFromChallenges sorts them.
    seniority: replicas.map((r) => ({ node: r.node, infoHash: r.infoHash, since: r.since })),
    suspended: suspended.map((r) => ({ node: r.node, infoHash: r.infoHash })),
  };
}
