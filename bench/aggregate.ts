// The epoch aggregation the edge runs at close, as one pure computation for bench/chain.ts:
// settleEpoch (which evaluates the challenges: proven replicas, penalties, then hosting, upload
// and bounty rewards) over an epoch of N nodes × 24 challenges, then the three reward trees
// (earned, slashed, spent) with protocol/merkle/reward-tree.ts. The same module runs in Node and,
// bundled, inside workerd (bench/workerd/aggregate-worker.ts). Inputs are generated
// deterministically from N, so both runtimes aggregate the same epoch.

import type { Address } from "viem";
import { BYTES_PER_GB, ONE_TOKEN } from "../protocol/params.ts";
import type { EvaluatedChallenge } from "../protocol/epoch/evaluate.ts";
import { buildRewardTree, type RewardLeaf } from "../protocol/merkle/reward-tree.ts";
import { settleEpoch, type SettleInputs } from "../protocol/economics/settle.ts";
import type { Transfer } from "../protocol/economics/upload-rewards.ts";

export const CHALLENGES_PER_NODE = 24;
const TORRENTS_PER_NODE = 4;

const account = (prefix: number, i: number) => `0x${prefix.toString(16).padStart(4, "0")}${i.toString(16).padStart(36, "0")}` as Address;

/** An epoch of `nodes` nodes: each holds 4 torrents challenged in 6 rounds (24 challenges, 1% missed). */
export function generateEpoch(nodes: number, epoch = 2): SettleInputs {
  const torrentCount = Math.max(1, Math.floor(nodes / 5));
  const torrents = Array.from({ length: torrentCount }, (_, t) => ({
    infoHash: t.toString(16).padStart(40, "0"),
    length: 100_000_000 + ((t * 7_919) % 4_000) * 1_000_000,
    rootStatus: "confirmed" as const,
    surgeBps: 5_000n + BigInt((t * 31) % 30_000),
    bounty: t % 97 === 0 ? 100n * ONE_TOKEN : undefined,
  }));
  const challenges: EvaluatedChallenge[] = new Array(nodes * CHALLENGES_PER_NODE);
  const seniority = [];
  const earned: RewardLeaf[] = [];
  const locations = [];
  let c = 0;
  for (let i = 0; i < nodes; i++) {
    const node = account(0x0de0, i);
    const host = `${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.7`;
    earned.push({ account: node, cumulative: 10n ** 18n + BigInt(i) });
    locations.push({ node, lat: ((i * 37) % 160) - 80, lon: ((i * 101) % 340) - 170 });
    for (let k = 0; k < TORRENTS_PER_NODE; k++) {
      const infoHash = torrents[(i * TORRENTS_PER_NODE + k * 7_919) % torrentCount]!.infoHash;
      seniority.push({ node, infoHash, since: 1 });
      for (let round = 0; round < CHALLENGES_PER_NODE / TORRENTS_PER_NODE; round++) {
        const miss = (i * 131 + k * 17 + round) % 100 === 0;
        challenges[c++] = { node, infoHash, verdict: miss ? "timeout" : "pass", host };
      }
    }
  }
  const transfers: Transfer[] = [];
  for (let m = 0; m < nodes / 2; m++) {
    const infoHash = torrents[(m * 13) % torrentCount]!.infoHash;
    transfers.push({ member: account(0x3e3b, m), infoHash, paidDownloaded: BigInt(m % 7) * BYTES_PER_GB, freeDownloaded: BYTES_PER_GB, uploaded: BigInt(m % 5) * BYTES_PER_GB });
  }
  return { epoch, route: "fixed-gate", challenges, torrents, locations, transfers, previous: { earned, seniority } };
}

export interface AggregateSummary {
  nodes: number;
  challenges: number;
  earnedLeaves: number;
  earnedRoot: string;
  slashedRoot: string;
  spentRoot: string;
  totalEarned: string;
  paid: string;
}

/** settleEpoch, then the earned, slashed and spent trees. */
export function aggregate(inputs: SettleInputs): AggregateSummary {
  const s = settleEpoch(inputs);
  const root = (leaves: RewardLeaf[]) => (leaves.length ? buildRewardTree(inputs.epoch, leaves).root : `0x${"00".repeat(32)}`);
  return {
    nodes: s.provenBytes.length,
    challenges: inputs.challenges.length,
    earnedLeaves: s.leaves.length,
    earnedRoot: root(s.leaves),
    slashedRoot: root(s.slashedLeaves),
    spentRoot: root(s.spentLeaves),
    totalEarned: s.totalEarned.toString(),
    paid: s.pools.paid.toString(),
  };
}
