// vidya verify <epoch>: rebuild the epoch's reward root from the published leaves and its
// inputs hash from the published inputs, and compare both with what is on-chain. Anyone can
// run it: it needs no wallet (DESIGN.md "Trust model").

import { parseArgs } from "node:util";
import type { Address, Hex } from "viem";
import { inputsHash } from "../../protocol/epoch/inputs.ts";
import { evaluateEpoch, type EvaluatedChallenge, type TorrentLength } from "../../protocol/epoch/evaluate.ts";
import { checkInputs, type PublishedInputs } from "../../protocol/epoch/check.ts";
import { buildRewardTree } from "../../protocol/merkle/reward-tree.ts";
import { TrackerApi } from "../api.ts";
import { chainClients } from "../chain/clients.ts";
import { onChainRoot } from "../chain/rewards.ts";
import { normaliseTracker, readJsonFile, type Config } from "../config.ts";
import { CliError } from "../errors.ts";
import type { Ctx } from "./context.ts";

const ZERO = `0x${"0".repeat(64)}` as Hex;

export async function verify(ctx: Ctx, argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: { tracker: { type: "string" }, rpc: { type: "string" } }, allowPositionals: true, strict: true });
  if (positionals.length !== 1 || !/^[1-9][0-9]*$/.test(positionals[0]!)) throw new CliError("usage: vidya verify <epoch> [--tracker URL]");
  const epoch = BigInt(positionals[0]!);
  const config = await readJsonFile<Partial<Config>>(ctx.home.config);
  const trackerUrl = values.tracker ?? config?.tracker;
  if (!trackerUrl) throw new CliError("verify needs --tracker URL (or a home with a config)");
  const api = new TrackerApi(normaliseTracker(trackerUrl));
  const chainInfo = await api.chain();
  const c = chainClients(chainInfo, undefined, values.rpc ?? config?.rpcUrl);

  const published = await api.epochLeaves(epoch);
  const leaves = published.leaves.map((l) => ({ account: l.account as Address, cumulative: BigInt(l.cumulative) }));
  const recomputedRoot = leaves.length ? buildRewardTree(epoch, leaves).root : ZERO;
  const onChain = await onChainRoot(c, epoch);
  if (onChain.postedAt === 0n) throw new CliError(`epoch ${epoch} has no root on-chain`);
  const verified = recomputedRoot.toLowerCase() === onChain.earnedRoot.toLowerCase();
  const totalOfLeaves = leaves.reduce((s, l) => s + l.cumulative, 0n);

  // The inputs hash covers the published inputs without the hash field itself.
  const inputs = await api.epochInputs(epoch);
  const { inputsHash: publishedInputsHash, ...rest } = inputs;
  const recomputedInputsHash = inputsHash(rest);
  const inputsVerified = recomputedInputsHash.toLowerCase() === onChain.inputsHash.toLowerCase();

  // Re-run the evaluation: the published transcripts and the previous epoch's leaves must
  // give exactly the published leaves (the edge cannot pay anyone the inputs do not support).
  const previous = epoch > 1n ? (await api.epochLeaves(epoch - 1n)).leaves.map((l) => ({ account: l.account as Address, cumulative: BigInt(l.cumulative) })) : [];
  const evaluation = evaluateEpoch((rest.challenges ?? []) as EvaluatedChallenge[], (rest.torrents ?? []) as TorrentLength[], previous);
  const key = (ls: { account: string; cumulative: bigint }[]) => ls.map((l) => `${l.account.toLowerCase()}:${l.cumulative}`).sort().join(",");
  const evaluationVerified = key(evaluation.leaves) === key(leaves);

  // The challenges themselves: the revealed seed matches its commitment, every block follows
  // from it (the edge did not choose them), every transcript is signed by the edge's key.
  // Epochs closed before seeds were committed have nothing to check here.
  const hasSeed = typeof rest.seed === "string";
  const challenges = hasSeed ? await checkInputs({ ...(rest as unknown as PublishedInputs), epoch: Number(epoch) }, chainInfo.chainId) : undefined;
  const challengesVerified = !challenges || (challenges.seedRevealed && challenges.underived.length === 0 && challenges.unsigned.length === 0);

  ctx.say(`epoch ${epoch}: ${leaves.length} leaves, total ${totalOfLeaves} (on-chain totalEarned ${onChain.totalEarned})`);
  ctx.say(`recomputed root    ${recomputedRoot}`);
  ctx.say(`on-chain root      ${onChain.earnedRoot}${onChain.disabled ? " (DISABLED by the guardian)" : ""}`);
  ctx.say(`root               ${verified ? "verified" : "MISMATCH"}`);
  ctx.say(`recomputed inputs  ${recomputedInputsHash}`);
  ctx.say(`on-chain inputs    ${onChain.inputsHash}`);
  ctx.say(`inputs             ${inputsVerified ? "verified" : "MISMATCH"}`);
  ctx.say(`leaves from inputs ${evaluationVerified ? "verified (re-evaluated from the transcripts)" : "MISMATCH"}`);
  if (challenges)
    ctx.say(
      `challenges         ${challengesVerified ? "verified (seed revealed, blocks derived, transcripts signed)" : `MISMATCH (seed ${challenges.seedRevealed ? "ok" : "does not match its commitment"}, ${challenges.underived.length} not derived, ${challenges.unsigned.length} unsigned)`}`,
    );
  ctx.result({
    epoch: Number(epoch),
    recomputedRoot,
    onChainRoot: onChain.earnedRoot,
    publishedRoot: published.root,
    verified,
    recomputedInputsHash,
    onChainInputsHash: onChain.inputsHash,
    publishedInputsHash,
    inputsVerified,
    evaluationVerified,
    challengesVerified,
    leafCount: leaves.length,
    totalOfLeaves: totalOfLeaves.toString(),
    onChainTotalEarned: onChain.totalEarned.toString(),
    disabled: onChain.disabled,
  });
  if (!verified || !inputsVerified || !evaluationVerified || !challengesVerified) process.exitCode = 1;
}
