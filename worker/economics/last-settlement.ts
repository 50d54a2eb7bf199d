// What the hosting offers and a torrent's economics are quoted from: the last closed epoch's
// published settlement (worker/epoch/close.ts), read back from its inputs. engine.md: the
// offers take `hosting.totalWeight ÷ WEIGHT_SCALE` and `pools.hostingPool` of the last
// settlement, the replicas it counted (one per subnet) and what each bounty has left after its
// draw. Before any epoch closed, or for an epoch closed before the settlement existed, the
// first cut's basis stands: replicas nodes report (or proved), proven bytes at weight 1×.

import { desc, sql } from "drizzle-orm";
import { provenReplicas, type ReplicaChallenge } from "../../protocol/hosting/offers.ts";
import { WEIGHT_SCALE } from "../../protocol/economics/hosting-rewards.ts";
import { HOSTING_POOL } from "../../protocol/params.ts";
import { schema, type Db } from "../db/client.ts";
import type { Env } from "../env.ts";
import { inputsJson } from "../epoch/files.ts";

/** The parts of an epoch's published inputs that quotes read. */
interface PublishedInputs {
  challenges?: ReplicaChallenge[];
  torrents?: { infoHash: string; rootStatus?: string; bounty?: string }[];
  hosting?: { node: string; provenBytes: string | number }[];
  settlement?: {
    pools: { hostingPool: string };
    hosting: { totalWeight: string; replicas: { node: string; infoHash: string; counted: boolean }[] };
    bounties: { draws: { infoHash: string; amount: string }[] };
  };
}

export interface QuoteBasis {
  /** "settlement": the last epoch's settlement; "epoch": an epoch closed before it (proven replicas); "hosted": no epoch yet. */
  basis: "settlement" | "epoch" | "hosted";
  epoch: number | null;
  /** Replicas per torrent (nodes) the quote counts: counted in the settlement (one per subnet), proven in the epoch, or reported hosted. */
  replicas: Map<string, Set<string>>;
  /** Replicas per torrent proven in the last epoch (every challenge passed), counted or not; empty before any epoch. */
  proven: Map<string, Set<string>>;
  /** Proven (or hosted) bytes at weight 1×: the first cut's denominator. */
  provenBytes: bigint;
  /** The settlement's total weight in weighted bytes, when there is one. */
  totalWeight?: bigint;
  pool: bigint;
  /** What each bounty had left after the last epoch's draw. */
  bountyLeft: Map<string, bigint>;
}

export async function quoteBasis(env: Env, d: Db): Promise<QuoteBasis> {
  const last = await d.select({ epoch: schema.epochs.epoch, inputs: schema.epochs.inputs, inputsHash: schema.epochs.inputsHash }).from(schema.epochs).orderBy(desc(schema.epochs.epoch)).limit(1).get();
  if (!last) {
    // Before the first close nothing is proven: what nodes claim to host stands in for it.
    const rows = await d
      .select({ infoHash: schema.hosted.infoHash, node: schema.hosted.node, length: schema.torrents.length })
      .from(schema.hosted)
      .innerJoin(schema.torrents, sql`${schema.torrents.infoHash} = ${schema.hosted.infoHash}`);
    const replicas = new Map<string, Set<string>>();
    let provenBytes = 0n;
    for (const r of rows) {
      replicas.set(r.infoHash, (replicas.get(r.infoHash) ?? new Set()).add(r.node));
      provenBytes += BigInt(r.length);
    }
    return { basis: "hosted", epoch: null, replicas, proven: new Map(), provenBytes, pool: HOSTING_POOL, bountyLeft: new Map() };
  }
  const inputs = JSON.parse(await inputsJson(env, last)) as PublishedInputs;
  const provenBytes = (inputs.hosting ?? []).reduce((s, h) => s + BigInt(h.provenBytes), 0n);
  const contested = new Set((inputs.torrents ?? []).filter((t) => t.rootStatus === "contested").map((t) => t.infoHash));
  const proven = provenReplicas(inputs.challenges ?? [], contested);
  const s = inputs.settlement;
  if (!s) return { basis: "epoch", epoch: last.epoch, replicas: proven, proven, provenBytes, pool: HOSTING_POOL, bountyLeft: new Map() };
  const replicas = new Map<string, Set<string>>();
  for (const r of s.hosting.replicas) if (r.counted) replicas.set(r.infoHash, (replicas.get(r.infoHash) ?? new Set()).add(r.node));
  const drawn = new Map(s.bounties.draws.map((b) => [b.infoHash, BigInt(b.amount)]));
  const bountyLeft = new Map<string, bigint>();
  for (const t of inputs.torrents ?? []) if (t.bounty !== undefined) bountyLeft.set(t.infoHash, BigInt(t.bounty) - (drawn.get(t.infoHash) ?? 0n));
  return {
    basis: "settlement",
    epoch: last.epoch,
    replicas,
    proven,
    provenBytes,
    totalWeight: BigInt(s.hosting.totalWeight) / WEIGHT_SCALE,
    pool: BigInt(s.pools.hostingPool),
    bountyLeft,
  };
}
