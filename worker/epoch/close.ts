// Closing an epoch (DESIGN.md flow 6, docs/interfaces.md "Epochs", docs/economics/engine.md):
// the ledger is sealed, then challenge transcripts, the epoch's ledger (paid and free bytes,
// uploads), each torrent's mean surge, on-chain bounty balances, node locations and the
// previous settlement's carried state go through settleEpoch (protocol/economics/settle.ts),
// whose earned, slashed and spent leaves become three trees; their roots, the total earned and
// the bounty draws are posted on-chain in one transaction beside the hash of the inputs: stored
// in D1 first, then posted by the crash-safe epoch writer (writer.ts), which resumes them. The
// inputs reveal the epoch's challenge seed, and the next epoch's seed is committed in the same
// transaction. Everything here is recomputable from the published inputs and leaves.

import { asc, eq, lt, lte } from "drizzle-orm";
import type { Address, Hex } from "viem";
import { canonicalJson } from "../../protocol/epoch/inputs.ts";
import { buildRewardTree, type RewardLeaf } from "../../protocol/merkle/reward-tree.ts";
import type { FaultState, RootStatus } from "../../protocol/epoch/evaluate.ts";
import { receiptBytes } from "../../protocol/economics/receipts.ts";
import { receiptsOf } from "../receipts/routes.ts";
import { type NodeLocation, type Seniority, type SettleTorrent } from "../../protocol/economics/settle.ts";
import { settlementJson } from "../../protocol/economics/published.ts";
import { dayOf } from "../../protocol/economics/allotment.ts";
import { pricePerGB } from "../../protocol/economics/access.ts";
import { BPS, EMISSION_PER_EPOCH, FREE_ALLOTMENT_DAYS } from "../../protocol/params.ts";
import { accessRoute, type Env } from "../env.ts";
import { db, inJson, inJsonChunks, jsonChunks, jsonInsert, schema, statementOf, type Db } from "../db/client.ts";
import { HttpError, safeMessage } from "../errors.ts";
import { bountiesOf, chainConfigured } from "../chain/client.ts";
import { checkChainId } from "../chain/poster.ts";
import { advanceClose, crashPoint, recorded, unfinishedClose, type EpochRow } from "./writer.ts";
import { followSettlements, settleFinalCharges } from "../chain/escrow.ts";
import { openEpoch } from "../challenge/round.ts";
import { transcriptSigner } from "../challenge/signer.ts";
import { sealLedger, swarmLedgerOf } from "../accounting/ledger.ts";
import { forgetPasskey } from "../members/lookup.ts";
import { SWARM_SHARDS } from "../swarm/shard.ts";
import { shardStub } from "../announce/routes.ts";
import { ensureOpen, newSeedRow, scheduleOf, type SeedRow } from "./seed.ts";
import { fingerprintOf, settleForClose } from "./settle-mode.ts";
import { publishInputsInTicks } from "./files.ts";
import { transfersOf } from "./transfers.ts";
import { challengePages, challengeSets, freezeChallenges, frozenRead, thawChallenges, type Frozen } from "./frozen.ts";
import { StreamedArray, streamedInputsHash } from "../../protocol/epoch/stream.ts";
import { closeAccess } from "../economics/access.ts";

export const ZERO_ROOT: Hex = `0x${"00".repeat(32)}`;

export interface EpochJson {
  epoch: number;
  root: string;
  slashedRoot: string;
  inputsHash: string;
  txHash: string | null;
  /** Where the close stands (writer.ts): settled, published, sent, mined, final or halted. */
  state: string;
  /** Why the writer stopped on this epoch, when halted. */
  haltReason: string | null;
  totalEarned: string;
  totalSlashed: string;
  spentRoot: string;
  totalSpent: string;
  seedCommitment: string | null;
  closedAt: number;
  leafCount: number;
  /** The network's saturation over the epoch and the gate multiplier its close set (protocol/economics/gate.ts), basis points. */
  saturationBps: number;
  gateBps: number;
}

export function epochJson(r: typeof schema.epochs.$inferSelect): EpochJson {
  return {
    epoch: r.epoch,
    root: r.root,
    slashedRoot: r.slashedRoot,
    inputsHash: r.inputsHash,
    txHash: r.txHash,
    state: r.state,
    haltReason: r.haltReason,
    totalEarned: r.totalEarned,
    totalSlashed: r.totalSlashed,
    spentRoot: r.spentRoot,
    totalSpent: r.totalSpent,
    seedCommitment: r.seedCommitment,
    closedAt: r.closedAt,
    leafCount: r.leafCount,
    saturationBps: r.saturationBps,
    gateBps: r.gateBps,
  };
}

/** Root of a leaf set, the zero bytes32 for none (a tree needs a leaf; nobody slashed is a valid epoch). */
export function rootOf(epoch: number, leaves: RewardLeaf[]): Hex {
  return leaves.length ? buildRewardTree(epoch, leaves).root : ZERO_ROOT;
}

const toLeaves = (rows: { account: string; cumulative: string }[]): RewardLeaf[] => rows.map((l) => ({ account: l.account as Address, cumulative: BigInt(l.cumulative) }));

/**
 * Closes the open epoch: finishes any earlier close first, settles this one (stored before
 * anything is posted) and drives it through the writer (writer.ts). Throws post_pending while
 * its post waits to be mined: the next tick resumes it. Only the ChallengeScheduler calls
 * this, so it never races a round.
 */
export async function closeEpoch(env: Env, now = Date.now()): Promise<EpochJson> {
  await resumeClose(env, now);
  const d = db(env.DB);
  const epoch = await openEpoch(d);
  const published = { bytes: 0 };
  const row = await recorded(env, epoch, now, async () => {
    // Deposits and bounties are read from the chain the roots go to: check it is the right one.
    if (chainConfigured(env)) await checkChainId(env);
    const settled = await settleOpen(env, d, epoch, now, published);
    crashPoint(env, "settled");
    return settled;
  });
  // Large inputs were written in this invocation (hashed in the one before, files.ts): their check
  // (keccak of every byte again, writer.ts checkStored) and the post are the next tick's.
  if (published.bytes > splitInputsBytes(env))
    throw new HttpError(503, "close_in_progress", `epoch ${epoch} is settled (${Math.round(published.bytes / 2 ** 20)} MiB of inputs); the next tick checks and posts it`);
  const closed = await advanceClose(env, row, now);
  // Collect what final epochs charged before any charged deposit can be withdrawn (chain/escrow.ts),
  // once this post is mined (the key's next nonce). Recorded steps of their own: a failure here
  // is followed at the next tick, never undoes this close.
  if (chainConfigured(env)) await settleFinalCharges(env, epoch, now).catch((e: unknown) => settlementFailed(env, epoch, e));
  return epochJson(closed);
}

function settlementFailed(env: Env, epoch: number, e: unknown): void {
  if (env.TEST_CRASH_AFTER && e instanceof Error && e.message.startsWith("test crash")) throw e;
  console.warn(`escrow: settlement after epoch ${epoch} failed: ${safeMessage(e)}`);
}

/** Drives the oldest unfinished close (if any) to final: every tick calls this first. Returns it once final. */
export async function resumeClose(env: Env, now = Date.now()): Promise<EpochJson | undefined> {
  // Settlements sent earlier by the same key are followed (replaced when stuck) before anything
  // else: a stuck lower nonce would hold the epoch's post behind it.
  if (chainConfigured(env)) await followSettlements(env, now).catch((e: unknown) => settlementFailed(env, 0, e));
  const pending = await unfinishedClose(db(env.DB));
  return pending ? epochJson(await advanceClose(env, pending, now)) : undefined;
}

/**
 * Inputs larger than this take a tick for each pass over them: hashed, then written under their
 * hash, then checked (rehashed, writer.ts) and posted. 32 MiB is about 2 s of keccak.
 */
export const SPLIT_INPUTS_BYTES = 32 * 2 ** 20;

/** SPLIT_INPUTS_BYTES, or EPOCH_SPLIT_INPUTS_BYTES where set (tests split small inputs). */
const splitInputsBytes = (env: Env): number => Number(env.EPOCH_SPLIT_INPUTS_BYTES) || SPLIT_INPUTS_BYTES;

/** The settlement of the open epoch, stored with everything it decided (the writer's "settled"). */
async function settleOpen(env: Env, d: Db, epoch: number, now: number, published: { bytes: number }): Promise<EpochRow> {
  const seedRow = await ensureOpen(env, d, epoch, now);
  // Sealed first: from here on the shards' batches are stamped with the next epoch, so the
  // ledger read below no longer moves. A close that then fails leaves later bytes to the next.
  await sealLedger(env.DB, epoch, now);
  // The transcripts are never held whole: frozen for this close (frozen.ts: the scheduler adds no
  // round to it, every read is of the rows frozen now), what the close needs of them as sets from
  // SQL, the settlement's pages and the published file read from D1 a page at a time.
  const frozen = await freezeChallenges(d, epoch, now);
  // Settled and published in a function of its own: what only the settlement and the published
  // file read (the transfers, torrents, locations, receipts: tens of MB at production size) is
  // garbage before the settled batch below is built.
  const { row, settlement, outcomes, days, day } = await settleAndPublish(env, d, epoch, now, seedRow, frozen, published);
  const { earned, leaves, slashed, slashedLeaves, spent, spentLeaves, penalties, faults } = settlement;
  const leafRows = leaves.map((l) => ({ epoch, account: l.account, cumulative: l.cumulative.toString(), earned: (earned.get(l.account) ?? 0n).toString() }));
  const slashedRows = slashedLeaves.map((l) => ({ epoch, account: l.account, cumulative: l.cumulative.toString(), slashed: (slashed.get(l.account) ?? 0n).toString() }));
  const spentRows = spentLeaves.map((l) => ({ epoch, account: l.account, cumulative: l.cumulative.toString(), spent: (spent.get(l.account) ?? 0n).toString() }));
  const seniorityRows = settlement.seniority.map((s) => ({ epoch, infoHash: s.infoHash, node: s.node, since: s.since }));
  const replicaFaultRows = settlement.replicaFaults.map((f) => ({ epoch, node: f.node, infoHash: f.infoHash, streak: f.streak }));
  const vettingRows = settlement.vetting.map((v) => ({ epoch, node: v.node, audits: v.audits }));
  const penaltyOf = new Map(penalties.map((p) => [p.node, p]));
  const faultNodes = [...new Set([...faults.map((f) => f.node), ...penalties.map((p) => p.node)])].sort();
  const streakOf = new Map(faults.map((f) => [f.node, f.streak]));
  const faultRows = faultNodes.map((node) => ({ epoch, node, streak: streakOf.get(node) ?? 0, penalty: penaltyOf.has(node) ? canonicalJson(penaltyOf.get(node)) : null }));
  // The allotment's days (the rolling window only) and who is slowed from now on.
  const allotmentRows = [...days].flatMap(([member, st]) => st.days.filter((x) => x.bytes > 0n).map((x) => ({ member, day: x.day, bytes: Number(x.bytes) })));
  const members = outcomes.map((o) => o.member);
  const wasSlowed = new Set(
    (await inJsonChunks(members, (part) => d.select({ account: schema.members.account, slowed: schema.members.slowed }).from(schema.members).where(inJson(schema.members.account, part))))
      .filter((m) => m.slowed)
      .map((m) => m.account),
  );
  const changed = outcomes.filter((o) => o.slowedNow !== wasSlowed.has(o.member));
  // One transaction: an epoch is stored with all its leaves, and the next one opens, or nothing is.
  // This is the writer's "settled" record: nothing is posted before it exists (writer.ts).
  // Rows go in as JSON parameters (db/client.ts jsonInsert): tens of statements at 10,000 nodes,
  // within D1's 1,000 queries an invocation, where a statement per 20 rows made 14,000.
  const D = env.DB;
  const slowedChanges = [true, false].flatMap((slowed) =>
    jsonChunks(changed.filter((o) => o.slowedNow === slowed).map((o) => o.member)).map((part) => statementOf(D, d.update(schema.members).set({ slowed }).where(inJson(schema.members.account, part)))),
  );
  const statements = [
    statementOf(D, d.insert(schema.epochs).values(row)),
    ...jsonInsert(D, schema.leaves, leafRows),
    ...jsonInsert(D, schema.slashed, slashedRows),
    ...jsonInsert(D, schema.spent, spentRows),
    ...jsonInsert(D, schema.seniority, seniorityRows),
    ...jsonInsert(D, schema.faults, faultRows),
    ...jsonInsert(D, schema.replicaFaults, replicaFaultRows),
    ...jsonInsert(D, schema.vetting, vettingRows),
    statementOf(D, d.delete(schema.allotments).where(lt(schema.allotments.day, day - FREE_ALLOTMENT_DAYS + 1))),
    ...jsonInsert(D, schema.allotments, allotmentRows, `("member", "day") DO UPDATE SET "bytes" = excluded."bytes"`),
    ...slowedChanges,
    statementOf(D, d.insert(schema.epochSeeds).values(newSeedRow(env, epoch + 1, now)).onConflictDoNothing()),
    // A paged close's scratch left by a crash (pages.ts), even if the close then ran whole.
    statementOf(D, d.delete(schema.epochSettlePages).where(lte(schema.epochSettlePages.epoch, epoch))),
    // Settled: the freeze has done its work (the next epoch's rounds are the next epoch's).
    statementOf(D, d.delete(schema.epochCloseFreeze).where(lte(schema.epochCloseFreeze.epoch, epoch))),
    statementOf(D, d.delete(schema.epochCloseReads).where(lte(schema.epochCloseReads.epoch, epoch))),
  ];
  await D.batch(statements);
  if (changed.length) await announceSlowed(env, changed.map((o) => o.member));
  return { ...row, minedBlock: null, haltReason: null };
}

/** The open epoch's settlement, its inputs published under their hash, and the epochs row that records them (the writer's "settled"). */
async function settleAndPublish(env: Env, d: Db, epoch: number, now: number, seedRow: SeedRow, frozen: Frozen, published: { bytes: number }) {
  const sets = await challengeSets(d, frozen);
  const surgeOf = await surgesOf(env, epoch);
  const day = dayOf(Math.floor(now / 1000));
  const route = accessRoute(env);
  // Paid bytes are priced at the torrent's epoch surge (the mean of its windows), and charged
  // against what each deposit can pay beyond the charges not yet settled (the previous spent leaves).
  const previousSpent = toLeaves(await d.select().from(schema.spent).where(eq(schema.spent.epoch, epoch - 1)));
  const spentBefore = new Map(previousSpent.map((l) => [l.account.toLowerCase(), l.cumulative]));
  const priceOf = (infoHash: string) => pricePerGB(route, surgeOf.get(infoHash) ?? BPS);
  // The ledger read a page of members at a time, its transfers kept compact (transfers.ts).
  const { transfers, outcomes, days } = await transfersOf(env, d, epoch, day, priceOf, spentBefore);
  // The dynamic gate's step: the epoch's measured saturation moves the join stake (gate.ts).
  const access = await closeAccess(env, d, epoch);
  // Upload receipts of the epoch (worker/receipts/routes.ts): published beside the transcripts.
  // One landing between this read and the stored close is never published; the session's next
  // receipt counts from it (its base), so the race can only under-pay, never pay twice.
  const receipts = await receiptsOf(d, epoch);

  // Every torrent challenged or traded, with its root status, surge and bounty.
  const torrents = await torrentsOfClose(env, d, epoch, [...new Set([...sets.challenged, ...transfers.torrents()])].sort(), surgeOf, sets.proved);

  // Where the edge saw each challenged node register (request.cf); none locally.
  const nodes = sets.nodes;
  const locations: NodeLocation[] = (
    await inJsonChunks(nodes, (part) => d.select({ node: schema.nodes.address, lat: schema.nodes.lat, lon: schema.nodes.lon }).from(schema.nodes).where(inJson(schema.nodes.address, part)))
  )
    .filter((n) => n.lat !== null && n.lon !== null)
    .map((n) => ({ node: n.node, lat: n.lat!, lon: n.lon! }))
    .sort((a, b) => (a.node < b.node ? -1 : 1));

  const previousEarned = toLeaves(await d.select().from(schema.leaves).where(eq(schema.leaves.epoch, epoch - 1)));
  const previousSlashed = toLeaves(await d.select().from(schema.slashed).where(eq(schema.slashed.epoch, epoch - 1)));
  const previousFaults: FaultState[] = (await d.select().from(schema.faults).where(eq(schema.faults.epoch, epoch - 1)))
    .filter((f) => f.streak > 0)
    .map((f) => ({ node: f.node, streak: f.streak }))
    .sort((a, b) => (a.node < b.node ? -1 : 1));
  const previousSeniority: Seniority[] = (await d.select().from(schema.seniority).where(eq(schema.seniority.epoch, epoch - 1)).orderBy(asc(schema.seniority.infoHash), asc(schema.seniority.node))).map((s) => ({
    node: s.node,
    infoHash: s.infoHash,
    since: s.since,
  }));

  const previousReplicaFaults = (
    await d.select().from(schema.replicaFaults).where(eq(schema.replicaFaults.epoch, epoch - 1)).orderBy(asc(schema.replicaFaults.node), asc(schema.replicaFaults.infoHash))
  ).map((f) => ({ node: f.node, infoHash: f.infoHash, streak: f.streak }));
  const previousVetting = (await d.select().from(schema.vetting).where(eq(schema.vetting.epoch, epoch - 1)).orderBy(asc(schema.vetting.node))).map((v) => ({ node: v.node, audits: v.audits }));

  const emission = EMISSION_PER_EPOCH;
  // settleEpoch, or the same settlement paged (EPOCH_SETTLE, settle-mode.ts).
  const settleInputs = {
    epoch,
    route,
    emission,
    torrents,
    locations,
    transfers,
    receipts: receiptBytes(receipts),
    previous: { earned: previousEarned, slashed: previousSlashed, spent: previousSpent, faults: previousFaults, seniority: previousSeniority, replicaFaults: previousReplicaFaults, vetting: previousVetting },
  };
  // Names what the settlement reads (its result is a function of it): the paged steps and the published inputs' recorded hash are keyed by it.
  const fingerprint = fingerprintOf(settleInputs, frozen);
  const { settlement, lists } = await settleForClose(env, d, settleInputs, frozen, fingerprint);
  const { leaves, slashedLeaves, spentLeaves } = settlement;
  for (const s of settlement.hosting.skipped) console.warn(`epoch ${epoch}: replica of ${s.infoHash} by ${s.node} not rewarded: ${s.reason}`);
  // A reward tree needs a leaf: until someone has earned, the epoch stays open (its
  // challenges keep accumulating) and nothing is posted.
  if (leaves.length === 0) {
    await thawChallenges(d, epoch);
    throw new HttpError(409, "nothing_earned", `epoch ${epoch} cannot close: no account has earned anything yet`);
  }

  const tree = buildRewardTree(epoch, leaves);
  const slashedRoot = rootOf(epoch, slashedLeaves);
  const spentRoot = rootOf(epoch, spentLeaves);
  const schedule = scheduleOf(seedRow);
  // Everything the settlement read is published, so `vidya verify` can re-run it; the seed
  // is revealed so anyone can re-derive every challenge (protocol/challenge/schedule.ts). The
  // breakdowns and the allotment's decisions ride along, covered by the same hash.
  const inputs = {
    epoch,
    route,
    emission,
    // Read from D1 a page at a time in each pass of the publish (the same frozen rows each time).
    challenges: new StreamedArray(() => challengePages(d, frozen)),
    receipts,
    torrents,
    locations,
    transfers: new StreamedArray(async function* () {
      yield* transfers.pages();
    }),
    previousFaults,
    previousSeniority,
    previousReplicaFaults,
    previousVetting,
    hosting: settlement.provenBytes,
    settlement: settlementJson(settlement, lists),
    allotment: { day, members: outcomes },
    access,
    seed: seedRow.seed,
    seedCommitment: seedRow.commitment,
    schedule,
    transcriptSigner: transcriptSigner(env)?.address.toLowerCase() ?? null,
  };
  // The inputs go to R2 under their hash before the settled record exists (D1 caps a value at
  // 2 MB); a put left by a crashed settle is a harmless orphan (files.ts).
  // Streamed (files.ts): hashed, then put in parts, never one string of hundreds of MB.
  // Large inputs take a tick to hash and the next to write (files.ts): recorded under a key of
  // everything they hold. The fingerprint already names what the settlement read (its torrents,
  // locations, previous state, frozen challenges, transfers' digest), and the published
  // settlement, hosting and previous* lists are functions of it: only the rest is hashed again.
  const { allotment, seed, seedCommitment, transcriptSigner: signer } = inputs;
  const key = streamedInputsHash({ fingerprint, receipts, allotment, access, seed, seedCommitment, schedule, transcriptSigner: signer, format: 2 });
  const hash = await publishInputsInTicks(env, d, epoch, key, inputs, splitInputsBytes(env), published);
  const { totalEarned } = settlement;
  const totalSlashed = slashedLeaves.reduce((s, l) => s + l.cumulative, 0n);
  const totalSpent = spentLeaves.reduce((s, l) => s + l.cumulative, 0n);

  const row = {
    epoch,
    root: tree.root,
    slashedRoot,
    spentRoot,
    inputsHash: hash,
    inputs: "",
    totalEarned: totalEarned.toString(),
    totalSlashed: totalSlashed.toString(),
    totalSpent: totalSpent.toString(),
    seedCommitment: seedRow.commitment,
    leafCount: leaves.length,
    txHash: null,
    closedAt: now,
    // Recorded with the roots: the post sends exactly these, whenever it happens (writer.ts).
    bountyDraws: JSON.stringify(settlement.bountyDraws.map((b) => ({ infoHash: `0x${b.infoHash}`, amount: b.amount.toString() }))),
    state: "settled" as const,
    saturationBps: Number(access.saturationBps),
    gateBps: Number(access.nextGateBps),
  };
  return { row, settlement, outcomes, days, day };
}

/** Each torrent's epoch surge, the mean of its windows (basis points), for those with a window. */
async function surgesOf(env: Env, epoch: number): Promise<Map<string, bigint>> {
  const swarmLedger = await swarmLedgerOf(env.DB, epoch);
  return new Map(swarmLedger.filter((s) => s.surgeWindows > 0).map((s) => [s.infoHash, BigInt(s.surgeSum) / BigInt(s.surgeWindows)]));
}

/**
 * The torrents the settlement reads, each with its root status when the epoch closes (a fail is
 * fraud only against a confirmed root), its epoch surge and its bounty. A function of its own: what
 * it reads to make them (a row per torrent, 50,000 at production size) is garbage once it returns,
 * where settleOpen's own variables live until its inputs are written.
 */
async function torrentsOfClose(env: Env, d: Db, epoch: number, infoHashes: string[], surgeOf: ReadonlyMap<string, bigint>, proved: string[]): Promise<SettleTorrent[]> {
  const known = new Map<string, { length: number; rootStatus: RootStatus }>();
  for (const r of await inJsonChunks(infoHashes, (part) =>
    d.select({ infoHash: schema.torrents.infoHash, length: schema.torrents.length, rootStatus: schema.torrents.rootStatus }).from(schema.torrents).where(inJson(schema.torrents.infoHash, part)),
  ))
    known.set(r.infoHash, { length: r.length, rootStatus: r.rootStatus as RootStatus });
  // Bounties are drawn only for torrents someone proved: read only those.
  const bounties = await frozenRead(d, epoch, "bounties", () => bountiesOf(env, proved));
  return infoHashes.map((infoHash) => {
    const t: SettleTorrent = { infoHash, length: known.get(infoHash)?.length ?? 0, rootStatus: known.get(infoHash)?.rootStatus ?? "published" };
    const surge = surgeOf.get(infoHash);
    if (surge !== undefined) t.surgeBps = surge;
    const bounty = bounties.get(infoHash);
    if (bounty !== undefined) t.bounty = bounty;
    return t;
  });
}

/** Members slowed or released: every shard and this isolate read them again at their next announce. */
async function announceSlowed(env: Env, accounts: string[]): Promise<void> {
  const rows = await inJsonChunks(accounts, (part) => db(env.DB).select({ passkey: schema.members.passkey }).from(schema.members).where(inJson(schema.members.account, part)));
  for (const r of rows) forgetPasskey(r.passkey);
  // The shards in parallel, each told once: 64 calls whatever the number of members.
  const passkeys = rows.map((r) => r.passkey);
  await Promise.all(Array.from({ length: SWARM_SHARDS }, (_, i) => shardStub(env, i).forgetMembers(passkeys)));
}
