// An epoch's settlement as the edge publishes it (GET /api/epochs/:epoch/inputs, hashed into
// the inputs hash committed on-chain) and as `vidya verify` reads it back to re-run
// settleEpoch. Canonical JSON writes bigints as decimal strings (protocol/epoch/inputs.ts), so
// reading turns them back into bigints; one place for both directions.

import type { EvaluatedChallenge, FaultState, RootStatus } from "../epoch/evaluate.ts";
import type { ReplicaFaultState } from "../epoch/replica-faults.ts";
import type { VettingState } from "../epoch/vetting.ts";
import type { RewardLeaf } from "../merkle/reward-tree.ts";
import type { AccessRoute } from "./access.ts";
import { receiptBytes, type PublishedReceipt } from "./receipts.ts";
import type { ReplicaOutcome } from "./hosting-rewards.ts";
import type { SwarmCredit, UploadCredit } from "./upload-rewards.ts";
import type { StreamedArray } from "../epoch/stream.ts";
import type { NodeLocation, Seniority, SettleInputs, Settlement } from "./settle.ts";

type Num = string | number | bigint;

/** The settlement's own inputs among an epoch's published inputs (the rest: seed, schedule, signer). */
export interface PublishedSettleInputs {
  epoch: number;
  route?: AccessRoute;
  emission?: Num;
  challenges?: EvaluatedChallenge[];
  torrents?: { infoHash: string; length: number; rootStatus: RootStatus; surgeBps?: Num; bounty?: Num }[];
  locations?: NodeLocation[];
  transfers?: { member: string; infoHash: string; paidDownloaded: Num; freeDownloaded?: Num; uploaded: Num; charged?: Num }[];
  /** Upload receipts (receipts.ts), published beside the transcripts. */
  receipts?: PublishedReceipt[];
  previousFaults?: FaultState[];
  previousSeniority?: Seniority[];
  previousReplicaFaults?: ReplicaFaultState[];
  previousVetting?: VettingState[];
}

const big = (v: Num | undefined): bigint | undefined => (v === undefined ? undefined : BigInt(v));

/** settleEpoch's inputs from published ones and the previous epoch's published leaves. */
export function settleInputsOf(p: PublishedSettleInputs, previous: { earned?: RewardLeaf[]; slashed?: RewardLeaf[]; spent?: RewardLeaf[] } = {}): SettleInputs {
  const out: SettleInputs = {
    epoch: Number(p.epoch),
    challenges: p.challenges ?? [],
    torrents: (p.torrents ?? []).map((t) => ({
      infoHash: t.infoHash,
      length: Number(t.length),
      rootStatus: t.rootStatus,
      ...(t.surgeBps !== undefined ? { surgeBps: BigInt(t.surgeBps) } : {}),
      ...(t.bounty !== undefined ? { bounty: BigInt(t.bounty) } : {}),
    })),
    locations: (p.locations ?? []).map((l) => ({ node: l.node, lat: Number(l.lat), lon: Number(l.lon) })),
    transfers: (p.transfers ?? []).map((t) => {
      const x: NonNullable<SettleInputs["transfers"]>[number] = { member: t.member, infoHash: t.infoHash, paidDownloaded: BigInt(t.paidDownloaded), uploaded: BigInt(t.uploaded) };
      if (t.freeDownloaded !== undefined) x.freeDownloaded = big(t.freeDownloaded)!;
      if (t.charged !== undefined) x.charged = big(t.charged)!;
      return x;
    }),
    receipts: receiptBytes(p.receipts ?? []),
    previous: {
      earned: previous.earned ?? [],
      slashed: previous.slashed ?? [],
      spent: previous.spent ?? [],
      faults: p.previousFaults ?? [],
      seniority: p.previousSeniority ?? [],
      replicaFaults: (p.previousReplicaFaults ?? []).map((f) => ({ node: f.node, infoHash: f.infoHash, streak: Number(f.streak) })),
      vetting: (p.previousVetting ?? []).map((v) => ({ node: v.node, audits: Number(v.audits) })),
    },
  };
  if (p.route !== undefined) out.route = p.route;
  if (p.emission !== undefined) out.emission = BigInt(p.emission);
  return out;
}

const sortedObject = (m: ReadonlyMap<string, bigint>): Record<string, bigint> => Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * The settlement's long lists as published: the Settlement's own, or read a page at a time
 * (StreamedArray, protocol/epoch/stream.ts) by a close that does not hold them (worker/epoch/pages.ts).
 */
export interface PublishedLists {
  replicas: readonly ReplicaOutcome[] | StreamedArray<ReplicaOutcome>;
  credits: readonly UploadCredit[] | StreamedArray<UploadCredit>;
  swarms: readonly SwarmCredit[] | StreamedArray<SwarmCredit>;
}

/**
 * The breakdowns published beside the inputs (engine.md "settleEpoch"): every pool, every
 * replica's weight and reward, every swarm's paid bytes and credited uploads, the bounty draws.
 * Informational (verify recomputes them), but covered by the inputs hash.
 */
export function settlementJson(s: Settlement, lists: PublishedLists = { replicas: s.hosting.replicas, credits: s.upload.credits, swarms: s.upload.swarms }) {
  return {
    pools: s.pools,
    hosting: { totalWeight: s.hosting.totalWeight, paid: s.hosting.paid, replicas: lists.replicas },
    upload: { swarms: lists.swarms, credits: lists.credits, perMember: sortedObject(s.upload.perMember), paid: s.upload.paid, unspent: s.upload.unspent },
    bounties: { draws: s.bounties.draws, perNode: sortedObject(s.bounties.perNode), drawn: s.bounties.drawn },
    earned: sortedObject(s.earned),
    spent: sortedObject(s.spent),
    heldBack: sortedObject(s.heldBack),
    penalties: s.penalties,
    suspended: s.suspended,
  };
}
