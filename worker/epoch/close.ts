// Closing an epoch (DESIGN.md flow 6, docs/interfaces.md "Epochs"): challenge transcripts
// become proven bytes per node, proven bytes a share of the hosting pool, shares cumulative
// leaves, leaves a reward tree whose root is posted on-chain beside the hash of the inputs.
// Everything here is recomputable from the published inputs and leaves.

import { asc, eq, inArray } from "drizzle-orm";
import type { Address, Hex } from "viem";
import { canonicalJson, inputsHash } from "../../protocol/epoch/inputs.ts";
import { buildRewardTree } from "../../protocol/merkle/reward-tree.ts";
import { evaluateEpoch } from "../../protocol/epoch/evaluate.ts";
import type { Env } from "../env.ts";
import { db, schema } from "../db/client.ts";
import { HttpError } from "../errors.ts";
import { chainConfigured, lastPostedEpoch, postRoot } from "../chain/client.ts";
import { openEpoch, transcriptFromRow, type Transcript } from "../challenge/round.ts";

export interface EpochJson {
  epoch: number;
  root: string;
  inputsHash: string;
  txHash: string | null;
  totalEarned: string;
  closedAt: number;
  leafCount: number;
}

export function epochJson(r: typeof schema.epochs.$inferSelect): EpochJson {
  return { epoch: r.epoch, root: r.root, inputsHash: r.inputsHash, txHash: r.txHash, totalEarned: r.totalEarned, closedAt: r.closedAt, leafCount: r.leafCount };
}

export async function closeEpoch(env: Env, now = Date.now()): Promise<EpochJson> {
  const d = db(env.DB);
  const epoch = await openEpoch(d);
  const rows = await d.select().from(schema.challenges).where(eq(schema.challenges.epoch, epoch)).orderBy(asc(schema.challenges.startedAt), asc(schema.challenges.id));
  const transcripts = rows.map(transcriptFromRow);
  const infoHashes = [...new Set(transcripts.map((t) => t.infoHash))];
  const lengths = new Map<string, number>();
  for (let i = 0; i < infoHashes.length; i += 90) {
    const part = await d.select({ infoHash: schema.torrents.infoHash, length: schema.torrents.length }).from(schema.torrents).where(inArray(schema.torrents.infoHash, infoHashes.slice(i, i + 90)));
    for (const r of part) lengths.set(r.infoHash, r.length);
  }
  const torrents = infoHashes.sort().map((infoHash) => ({ infoHash, length: lengths.get(infoHash) ?? 0 }));
  const previousRows = await d.select().from(schema.leaves).where(eq(schema.leaves.epoch, epoch - 1));
  const previous = previousRows.map((l) => ({ account: l.account as Address, cumulative: BigInt(l.cumulative) }));
  const { hosting, earned, leaves } = evaluateEpoch(transcripts, torrents, previous);
  // A reward tree needs a leaf: until someone has earned, the epoch stays open (its
  // challenges keep accumulating) and nothing is posted.
  if (leaves.length === 0) throw new HttpError(409, "nothing_earned", `epoch ${epoch} cannot close: no account has earned anything yet`);

  const tree = buildRewardTree(epoch, leaves);
  // Everything the evaluation read is published, so `vidya verify` can re-run it.
  const inputs = { epoch, challenges: transcripts, torrents, hosting };
  const hash = inputsHash(inputs);
  const totalEarned = leaves.reduce((s, l) => s + l.cumulative, 0n);

  let txHash: Hex | null = null;
  if (chainConfigured(env)) {
    const onChain = await lastPostedEpoch(env);
    if (onChain !== BigInt(epoch - 1))
      throw new HttpError(409, "chain_out_of_step", `the chain's last epoch is ${onChain} but the worker would post epoch ${epoch}`);
    txHash = await postRoot(env, epoch, tree.root, hash, totalEarned);
  }

  const row = { epoch, root: tree.root, inputsHash: hash, inputs: canonicalJson(inputs), totalEarned: totalEarned.toString(), leafCount: leaves.length, txHash, closedAt: now };
  const leafRows = leaves.map((l) => ({ epoch, account: l.account, cumulative: l.cumulative.toString(), earned: (earned.get(l.account) ?? 0n).toString() }));
  // One transaction: an epoch is stored with all its leaves or not at all.
  const statements = [d.insert(schema.epochs).values(row), ...chunk(leafRows, 20).map((part) => d.insert(schema.leaves).values(part))];
  await d.batch(statements as [(typeof statements)[0], ...typeof statements]);
  return epochJson(row);
}

function chunk<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}
