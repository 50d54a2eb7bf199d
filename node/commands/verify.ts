// vidya verify <epoch>: rebuild the epoch's earned, slashed and spent roots from the published
// leaves and its inputs hash from the published inputs, and compare them with what is
// on-chain; re-run the settlement (protocol/economics/settle.ts) on the published inputs to
// check that the leaves follow from the transcripts, the ledger, surge and bounties; and
// check the challenges themselves: the seed's reveal, the derivation of every block, the
// edge's signatures, and that each round's block hash is the chain's. Anyone can run it: it
// needs no wallet (DESIGN.md "Trust model").

import { parseArgs } from "node:util";
import type { Address, Hex } from "viem";
import { inputsHash, inputsHashOfJson } from "../../protocol/epoch/inputs.ts";
import { evaluateEpoch, type EvaluatedChallenge, type FaultState, type TorrentLength } from "../../protocol/epoch/evaluate.ts";
import { settleEpoch } from "../../protocol/economics/settle.ts";
import { settleInputsOf, type PublishedSettleInputs } from "../../protocol/economics/published.ts";
import { overcharged, type ChargeOutcome } from "../../protocol/economics/allotment.ts";
import { checkEpochAccess, type PublishedAccess } from "../../protocol/economics/gate.ts";
import { BPS } from "../../protocol/params.ts";
import { checkInputs, inputsCheckPassed, type PublishedInputs } from "../../protocol/epoch/check.ts";
import type { ChallengeableTorrent } from "../../protocol/challenge/schedule.ts";
import { checkBeacons, type BeaconCheck, type ChainBlock } from "../../protocol/challenge/beacon.ts";
import { roundDueAt, type ScheduleParams } from "../../protocol/challenge/schedule.ts";
import { buildRewardTree, type RewardLeaf } from "../../protocol/merkle/reward-tree.ts";
import { TrackerApi } from "../api.ts";
import { chainClients, type ChainClients } from "../chain/clients.ts";
import { onChainRoot } from "../chain/rewards.ts";
import { normaliseTracker, readJsonFile, type Config } from "../config.ts";
import { CliError } from "../errors.ts";
import type { Ctx } from "./context.ts";

const ZERO = `0x${"0".repeat(64)}` as Hex;

const toLeaves = (ls: { account: string; cumulative: string }[]): RewardLeaf[] => ls.map((l) => ({ account: l.account as Address, cumulative: BigInt(l.cumulative) }));
const rootOf = (epoch: bigint, leaves: RewardLeaf[]): Hex => (leaves.length ? buildRewardTree(epoch, leaves).root : ZERO);
const key = (ls: RewardLeaf[]) => ls.map((l) => `${l.account.toLowerCase()}:${l.cumulative}`).sort().join(",");

export async function verify(ctx: Ctx, argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: { tracker: { type: "string" }, rpc: { type: "string" }, "allow-forced": { type: "boolean" } }, allowPositionals: true, strict: true });
  if (positionals.length !== 1 || !/^[1-9][0-9]*$/.test(positionals[0]!)) throw new CliError("usage: vidya verify <epoch> [--tracker URL] [--allow-forced]");
  const epoch = BigInt(positionals[0]!);
  const config = await readJsonFile<Partial<Config>>(ctx.home.config);
  const trackerUrl = values.tracker ?? config?.tracker;
  if (!trackerUrl) throw new CliError("verify needs --tracker URL (or a home with a config)");
  const api = new TrackerApi(normaliseTracker(trackerUrl));
  const chainInfo = await api.chain();
  const c = chainClients(chainInfo, undefined, values.rpc ?? config?.rpcUrl);

  const published = await api.epochLeaves(epoch);
  const leaves = toLeaves(published.leaves);
  const recomputedRoot = rootOf(epoch, leaves);
  const onChain = await onChainRoot(c, epoch);
  if (onChain.postedAt === 0n) throw new CliError(`epoch ${epoch} has no root on-chain`);
  const verified = recomputedRoot.toLowerCase() === onChain.earnedRoot.toLowerCase();
  const totalOfLeaves = leaves.reduce((s, l) => s + l.cumulative, 0n);

  // The slashed tree: what Staking.slash executes must be the root of the published leaves.
  const slashedLeaves = toLeaves((await api.epochSlashed(epoch)).leaves);
  const recomputedSlashedRoot = rootOf(epoch, slashedLeaves);
  const slashedVerified = recomputedSlashedRoot.toLowerCase() === onChain.slashedRoot.toLowerCase();

  // The spent tree: what Escrow.settle pays the fee pool from members' deposits.
  const spentLeaves = toLeaves((await api.epochSpent(epoch)).leaves);
  const recomputedSpentRoot = rootOf(epoch, spentLeaves);
  const spentVerified = recomputedSpentRoot.toLowerCase() === onChain.spentRoot.toLowerCase();

  // The inputs hash covers the published inputs without the hash field itself. The file named
  // by the on-chain hash is hashed as fetched; epochs closed before the files were published
  // are rehashed from the inputs route.
  const file = await api.epochInputsFile(onChain.inputsHash);
  const inputs = file !== undefined ? { ...(JSON.parse(file) as Record<string, unknown>), inputsHash: onChain.inputsHash } : await api.epochInputs(epoch);
  const { inputsHash: publishedInputsHash, ...rest } = inputs;
  const recomputedInputsHash = file !== undefined ? inputsHashOfJson(file) : inputsHash(rest);
  const inputsVerified = recomputedInputsHash.toLowerCase() === onChain.inputsHash.toLowerCase();

  // Re-run the settlement: the published transcripts, transfers, surge, bounty balances and
  // locations, the previous epoch's leaves and the streaks and seniority it carried must give
  // exactly the published earned, slashed and spent leaves, the on-chain total (the edge can
  // neither pay, charge nor slash anyone the inputs do not support). Epochs closed before the
  // settlement (no `emission` published) are re-evaluated as they were closed.
  const previous = epoch > 1n ? toLeaves((await api.epochLeaves(epoch - 1n)).leaves) : [];
  const previousSlashed = epoch > 1n ? toLeaves((await api.epochSlashed(epoch - 1n)).leaves) : [];
  let evaluationVerified: boolean;
  if (rest.emission !== undefined) {
    const previousSpent = epoch > 1n ? toLeaves((await api.epochSpent(epoch - 1n)).leaves) : [];
    const s = settleEpoch(settleInputsOf(rest as unknown as PublishedSettleInputs, { earned: previous, slashed: previousSlashed, spent: previousSpent }));
    evaluationVerified =
      key(s.leaves) === key(leaves) && key(s.slashedLeaves) === key(slashedLeaves) && key(s.spentLeaves) === key(spentLeaves) && s.totalEarned === onChain.totalEarned;
  } else {
    const previousFaults = (rest.previousFaults ?? []) as FaultState[];
    const evaluation = evaluateEpoch((rest.challenges ?? []) as EvaluatedChallenge[], (rest.torrents ?? []) as TorrentLength[], previous, { slashed: previousSlashed, faults: previousFaults });
    evaluationVerified = key(evaluation.leaves) === key(leaves) && key(evaluation.slashedLeaves) === key(slashedLeaves);
  }

  // Charges: no member charged beyond what its deposit could pay at the close, and the transfers'
  // charges add up to each member's (DESIGN.md "A deposit backs only what it can pay").
  const outcomes = ((rest.allotment as { members?: ChargeOutcome[] } | undefined)?.members ?? []) as ChargeOutcome[];
  const overchargedMembers = overcharged((rest.transfers ?? []) as { member: string; charged?: string }[], outcomes);
  const chargesVerified = overchargedMembers.length === 0;

  // The access step (protocol/economics/gate.ts): the gate the epoch ran under is the one the
  // previous close set, and the next one follows from the swarms' published load. Epochs closed
  // before the gate was published have nothing to check.
  const access = rest.access as PublishedAccess | undefined;
  let accessProblems: string[] = [];
  if (access) {
    const previousAccess = epoch > 1n ? ((await api.epochInputs(epoch - 1n)).access as PublishedAccess | undefined) : undefined;
    accessProblems = checkEpochAccess(access, previousAccess ? BigInt(previousAccess.nextGateBps) : BPS);
  }
  const accessVerified = accessProblems.length === 0;

  // The challenges themselves: the revealed seed matches its commitment, every block (file and
  // root, from the index) follows from it and the round's block (the edge did not choose them),
  // every transcript is signed by the edge's key, and each round's block is the chain's.
  // Epochs closed before seeds were committed have nothing to check here.
  const hasSeed = typeof rest.seed === "string";
  const index = new Map<string, ChallengeableTorrent>((await api.torrents()).map((t) => [t.infoHash.toLowerCase(), t]));
  const challenges = hasSeed ? await checkInputs({ ...(rest as unknown as PublishedInputs), epoch: Number(epoch) }, chainInfo.chainId, index) : undefined;
  const beacons = hasSeed ? await beaconCheck(c, { ...(rest as unknown as PublishedInputs), epoch: Number(epoch) }, values["allow-forced"] ?? false) : { unanchored: [], forced: [] };
  const unanchored = beacons.unanchored;
  const challengesVerified = !challenges || (inputsCheckPassed(challenges) && unanchored.length === 0);

  ctx.say(`epoch ${epoch}: ${leaves.length} leaves, total ${totalOfLeaves} (on-chain totalEarned ${onChain.totalEarned}); ${slashedLeaves.length} slashed leaves`);
  ctx.say(`recomputed root    ${recomputedRoot}`);
  ctx.say(`on-chain root      ${onChain.earnedRoot}${onChain.disabled ? " (DISABLED by the guardian)" : ""}`);
  ctx.say(`root               ${verified ? "verified" : "MISMATCH"}`);
  ctx.say(`slashed root       ${slashedVerified ? "verified" : `MISMATCH (recomputed ${recomputedSlashedRoot}, on-chain ${onChain.slashedRoot})`}`);
  ctx.say(`spent root         ${spentVerified ? "verified" : `MISMATCH (recomputed ${recomputedSpentRoot}, on-chain ${onChain.spentRoot})`}`);
  ctx.say(`recomputed inputs  ${recomputedInputsHash}`);
  ctx.say(`on-chain inputs    ${onChain.inputsHash}`);
  ctx.say(`inputs             ${inputsVerified ? "verified" : "MISMATCH"}`);
  ctx.say(`leaves from inputs ${evaluationVerified ? "verified (earned, slashed and spent, re-settled from the published inputs)" : "MISMATCH"}`);
  ctx.say(`charges            ${chargesVerified ? "verified (no member charged beyond its available deposit)" : `MISMATCH (${overchargedMembers.join(", ")})`}`);
  if (access)
    ctx.say(
      `access gate        ${accessVerified ? `verified (${access.route}: network saturation ${access.saturationBps} bps over ${access.swarms.length} swarms moves the gate ${access.gateBps} → ${access.nextGateBps} bps)` : `MISMATCH (${accessProblems.join("; ")})`}`,
    );
  if (challenges) {
    ctx.say(
      `challenges         ${challengesVerified ? "verified (seed revealed, chains derived, rounds consistent, transcripts signed by the edge, passes and frauds signed by their nodes, each round on the first block at or after its due time)" : `MISMATCH (seed ${challenges.seedRevealed ? "ok" : "does not match its commitment"}, ${challenges.underived.length} not derived, ${challenges.inconsistent.length} inconsistent within a round, ${challenges.unsigned.length} unsigned, ${challenges.unproven.length} passes without the node's signature, ${challenges.unprovenFrauds.length} frauds without the node's signature, ${unanchored.length} not on their round's block)`}`,
    );
    const receiptCount = ((rest.receipts as unknown[] | undefined) ?? []).length;
    ctx.say(`receipts           ${challenges.unsignedReceipts.length === 0 ? `verified (${receiptCount} upload receipts, each signed by its downloader for this epoch)` : `MISMATCH (${challenges.unsignedReceipts.length} of ${receiptCount} not signed by their downloader)`}`);
    if (beacons.forced.length) ctx.say(`                   note: ${beacons.forced.length} challenges used a block other than their round's, allowed as forced rounds (--allow-forced)`);
    if (challenges.early.length) ctx.say(`                   note: ${challenges.early.length} of ${(rest.challenges as unknown[]).length} challenges ran before their scheduled time (admin-forced rounds)`);
  }
  ctx.result({
    epoch: Number(epoch),
    recomputedRoot,
    onChainRoot: onChain.earnedRoot,
    publishedRoot: published.root,
    verified,
    recomputedSlashedRoot,
    onChainSlashedRoot: onChain.slashedRoot,
    slashedVerified,
    recomputedSpentRoot,
    onChainSpentRoot: onChain.spentRoot,
    spentVerified,
    recomputedInputsHash,
    onChainInputsHash: onChain.inputsHash,
    publishedInputsHash,
    inputsVerified,
    evaluationVerified,
    challengesVerified,
    chargesVerified,
    overcharged: overchargedMembers,
    accessVerified,
    accessProblems,
    challenges: challenges ? { ...challenges, unanchored, forced: beacons.forced } : null,
    leafCount: leaves.length,
    slashedLeafCount: slashedLeaves.length,
    totalOfLeaves: totalOfLeaves.toString(),
    onChainTotalEarned: onChain.totalEarned.toString(),
    disabled: onChain.disabled,
  });
  if (!verified || !slashedVerified || !spentVerified || !inputsVerified || !evaluationVerified || !challengesVerified || !chargesVerified || !accessVerified) process.exitCode = 1;
}

/**
 * Each transcript's block must be the first at or after its round's due time (protocol/
 * challenge/beacon.ts); forced rounds (an admin's, on development networks) only with
 * --allow-forced. Epochs without a published schedule are checked as forced rounds.
 */
async function beaconCheck(c: ChainClients, inputs: PublishedInputs, allowForced: boolean): Promise<BeaconCheck> {
  const s = inputs.schedule;
  const timed = s && typeof s.openedAt === "number" && typeof s.epochMs === "number" && typeof s.roundsPerEpoch === "number" ? (s as ScheduleParams) : undefined;
  const blockAt = async (n: number): Promise<ChainBlock | undefined> => {
    const b = await c.publicClient.getBlock({ blockNumber: BigInt(n) }).catch(() => undefined);
    return b?.hash ? { number: Number(b.number), hash: b.hash, timestamp: Number(b.timestamp) } : undefined;
  };
  const latest = await c.publicClient.getBlock({ blockTag: "latest" });
  const head: ChainBlock = { number: Number(latest.number), hash: latest.hash!, timestamp: Number(latest.timestamp) };
  const seed = inputs.seed;
  // Without a schedule there is no due time: no block can be the round's, so every one is checked as forced.
  const dueAt = (t: { node: string; round: number }) => (timed && seed ? roundDueAt(timed, seed, inputs.epoch, t.node, t.round) : Number.MAX_SAFE_INTEGER);
  return checkBeacons(inputs.challenges, dueAt, head, blockAt, allowForced || !timed);
}
