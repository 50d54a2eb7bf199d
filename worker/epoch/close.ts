// Closing an epoch (DESIGN.md flow 6, docs/interfaces.md "Epochs"): challenge transcripts
// become proven bytes and penalties per node (protocol/epoch/evaluate.ts), those become
// cumulative earned and slashed leaves, the leaves two trees whose roots are stored and
// posted on-chain together beside the hash of the inputs. The inputs reveal the epoch's
// challenge seed, and the next epoch's seed is committed in the same transaction.
// Everything here is recomputable from the published inputs and leaves.

import { asc, eq, inArray } from "drizzle-orm";
import type { Address, Hex } from "viem";
import { canonicalJson, inputsHash } from "../../protocol/epoch/inputs.ts";
import { buildRewardTree, type RewardLeaf } from "../../protocol/merkle/reward-tree.ts";
import { evaluateEpoch, type FaultState, type RootStatus, type TorrentLength } from "../../protocol/epoch/evaluate.ts";
import type { Env } from "../env.ts";
import { db, schema } from "../db/client.ts";
import { HttpError } from "../errors.ts";
import { chainConfigured, lastPostedEpoch, postRoot } from "../chain/client.ts";
import { openEpoch, transcriptFromRow } from "../challenge/round.ts";
import { transcriptSigner } from "../challenge/signer.ts";
import { ensureOpen, newSeedRow, scheduleOf } from "./seed.ts";

export const ZERO_ROOT: Hex = `0x${"00".repeat(32)}`;

export interface EpochJson {
  epoch: number;
  root: string;
  slashedRoot: string;
  inputsHash: string;
  txHash: string | null;
  totalEarned: string;
  totalSlashed: string;
  seedCommitment: string | null;
  closedAt: number;
  leafCount: number;
}

export function epochJson(r: typeof schema.epochs.$inferSelect): EpochJson {
  return {
    epoch: r.epoch,
    root: r.root,
    slashedRoot: r.slashedRoot,
    inputsHash: r.inputsHash,
    txHash: r.txHash,
    totalEarned: r.totalEarned,
    totalSlashed: r.totalSlashed,
    seedCommitment: r.seedCommitment,
    closedAt: r.closedAt,
    leafCount: r.leafCount,
  };
}

/** Root of a leaf set, the zero bytes32 for none (a tree needs a leaf; nobody slashed is a valid epoch). */
export function rootOf(epoch: number, leaves: RewardLeaf[]): Hex {
  return leaves.length ? buildRewardTree(epoch, leaves).root : ZERO_ROOT;
}

/** Closes the open epoch. Only the ChallengeScheduler calls this, so it never races a round. */
export async function closeEpoch(env: Env, now = Date.now()): Promise<EpochJson> {
  const d = db(env.DB);
  const epoch = await openEpoch(d);
  const seedRow = await ensureOpen(env, d, epoch, now);
  const rows = await d.select().from(schema.challenges).where(eq(schema.challenges.epoch, epoch)).orderBy(asc(schema.challenges.startedAt), asc(schema.challenges.id));
  const transcripts = rows.map(transcriptFromRow);
  const infoHashes = [...new Set(transcripts.map((t) => t.infoHash))];
  const known = new Map<string, { length: number; rootStatus: RootStatus }>();
  for (let i = 0; i < infoHashes.length; i += 90) {
    const part = await d
      .select({ infoHash: schema.torrents.infoHash, length: schema.torrents.length, rootStatus: schema.torrents.rootStatus })
      .from(schema.torrents)
      .where(inArray(schema.torrents.infoHash, infoHashes.slice(i, i + 90)));
    for (const r of part) known.set(r.infoHash, { length: r.length, rootStatus: r.rootStatus as RootStatus });
  }
  // The root's status when the epoch closes is what counts (a fail is fraud only against a confirmed root).
  const torrents: TorrentLength[] = infoHashes.sort().map((infoHash) => ({ infoHash, length: known.get(infoHash)?.length ?? 0, rootStatus: known.get(infoHash)?.rootStatus ?? "published" }));
  const previousRows = await d.select().from(schema.leaves).where(eq(schema.leaves.epoch, epoch - 1));
  const previous = previousRows.map((l) => ({ account: l.account as Address, cumulative: BigInt(l.cumulative) }));
  const previousSlashed = (await d.select().from(schema.slashed).where(eq(schema.slashed.epoch, epoch - 1))).map((l) => ({ account: l.account as Address, cumulative: BigInt(l.cumulative) }));
  const previousFaults: FaultState[] = (await d.select().from(schema.faults).where(eq(schema.faults.epoch, epoch - 1)))
    .filter((f) => f.streak > 0)
    .map((f) => ({ node: f.node, streak: f.streak }))
    .sort((a, b) => (a.node < b.node ? -1 : 1));
  const evaluation = evaluateEpoch(transcripts, torrents, previous, { slashed: previousSlashed, faults: previousFaults });
  const { hosting, earned, leaves, penalties, slashed, slashedLeaves, faults } = evaluation;
  // A reward tree needs a leaf: until someone has earned, the epoch stays open (its
  // challenges keep accumulating) and nothing is posted.
  if (leaves.length === 0) throw new HttpError(409, "nothing_earned", `epoch ${epoch} cannot close: no account has earned anything yet`);

  const tree = buildRewardTree(epoch, leaves);
  const slashedRoot = rootOf(epoch, slashedLeaves);
  const schedule = scheduleOf(seedRow);
  // Everything the evaluation read is published, so `vidya verify` can re-run it; the seed
  // is revealed so anyone can re-derive every challenge (protocol/challenge/schedule.ts).
  const inputs = {
    epoch,
    challenges: transcripts,
    torrents,
    hosting,
    previousFaults,
    seed: seedRow.seed,
    seedCommitment: seedRow.commitment,
    schedule,
    transcriptSigner: transcriptSigner(env)?.address.toLowerCase() ?? null,
  };
  const hash = inputsHash(inputs);
  const totalEarned = leaves.reduce((s, l) => s + l.cumulative, 0n);
  const totalSlashed = slashedLeaves.reduce((s, l) => s + l.cumulative, 0n);

  let txHash: Hex | null = null;
  if (chainConfigured(env)) {
    const onChain = await lastPostedEpoch(env);
    if (onChain !== BigInt(epoch - 1))
      throw new HttpError(409, "chain_out_of_step", `the chain's last epoch is ${onChain} but the worker would post epoch ${epoch}`);
    // The slashed root goes on-chain beside the earned one: Staking.slash acts only on a final posted root.
    txHash = await postRoot(env, epoch, tree.root, hash, totalEarned, { slashedRoot });
  }

  const row = {
    epoch,
    root: tree.root,
    slashedRoot,
    inputsHash: hash,
    inputs: canonicalJson(inputs),
    totalEarned: totalEarned.toString(),
    totalSlashed: totalSlashed.toString(),
    seedCommitment: seedRow.commitment,
    leafCount: leaves.length,
    txHash,
    closedAt: now,
  };
  const leafRows = leaves.map((l) => ({ epoch, account: l.account, cumulative: l.cumulative.toString(), earned: (earned.get(l.account) ?? 0n).toString() }));
  const slashedRows = slashedLeaves.map((l) => ({ epoch, account: l.account, cumulative: l.cumulative.toString(), slashed: (slashed.get(l.account) ?? 0n).toString() }));
  const penaltyOf = new Map(penalties.map((p) => [p.node, p]));
  const faultNodes = [...new Set([...faults.map((f) => f.node), ...penalties.map((p) => p.node)])].sort();
  const streakOf = new Map(faults.map((f) => [f.node, f.streak]));
  const faultRows = faultNodes.map((node) => ({ epoch, node, streak: streakOf.get(node) ?? 0, penalty: penaltyOf.has(node) ? canonicalJson(penaltyOf.get(node)) : null }));
  // One transaction: an epoch is stored with all its leaves, and the next one opens, or nothing is.
  const statements = [
    d.insert(schema.epochs).values(row),
    ...chunk(leafRows, 20).map((part) => d.insert(schema.leaves).values(part)),
    ...chunk(slashedRows, 20).map((part) => d.insert(schema.slashed).values(part)),
    ...chunk(faultRows, 20).map((part) => d.insert(schema.faults).values(part)),
    d.insert(schema.epochSeeds).values(newSeedRow(env, epoch + 1, now)).onConflictDoNothing(),
  ];
  await d.batch(statements as [(typeof statements)[0], ...typeof statements]);
  return epochJson(row);
}

function chunk<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}
