// vidya slash: execute nodes' slashes on-chain (DESIGN.md flow 6, "Unavailable is not
// fraud"). Permissionless, like a claim: anyone with gas submits a node's cumulative slashed
// leaf of a final epoch with its proof, and Staking.slash burns what is owed beyond what was
// already taken, at most the node's bond. The tracker's proof is checked against the on-chain
// slashed root before any transaction.
//
// `vidya slash <evidence.json>`: a fraud slash by evidence (protocol/challenge/fraud.ts, written
// by `vidya audit`): a node's signed answer with a wrong block hash takes FRAUD_SLASH from its
// bond at once, no epoch needed, and pays the submitter FRAUD_REWARD_BPS of it.

import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { getAddress, isAddress, type Address, type Hex } from "viem";
import { ApiError, TrackerApi } from "../api.ts";
import { chainClients } from "../chain/clients.ts";
import { isFinal, lastEpoch, latestFinalEpoch, onChainRoot } from "../chain/rewards.ts";
import { bondState, sendSlash, slashProofMatchesRoot } from "../chain/slash.ts";
import { checkFraudOnChain, isOffenceSlashed, sendFraudSlash } from "../chain/fraud.ts";
import { checkFraudEvidence, parseFraudEvidence } from "../../protocol/challenge/fraud.ts";
import { normaliseTracker, readJsonFile, type Config } from "../config.ts";
import { CliError } from "../errors.ts";
import { loadWallet } from "../wallet.ts";
import { formatVidya, type Ctx } from "./context.ts";

const ZERO_ROOT = `0x${"0".repeat(64)}`;

export interface SlashOutcome {
  node: Address;
  /** The node's cumulative slashed leaf in the epoch (0 when it has none). */
  cumulative: string;
  /** Taken before this command ran. */
  executedBefore: string;
  /** Burnt by this command's transaction (0 when none was sent). */
  amount: string;
  /** Still owed afterwards: the bond could not cover it. */
  owed: string;
  bondAfter: string;
  txHash: Hex | null;
  message: string;
}

export async function slash(ctx: Ctx, argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: { epoch: { type: "string" }, tracker: { type: "string" }, rpc: { type: "string" } }, allowPositionals: true, strict: true });
  const files = positionals.filter((p) => !isAddress(p, { strict: false }));
  for (const f of files) if (!existsSync(f)) throw new CliError(`not a node address: ${f} (nor an evidence file)`);
  const nodes = positionals.filter((p) => isAddress(p, { strict: false })).map((p) => getAddress(p));
  const config = await readJsonFile<Partial<Config>>(ctx.home.config);
  const trackerUrl = values.tracker ?? config?.tracker;
  if (!trackerUrl) throw new CliError("slash needs --tracker URL (or a home with a config)");
  const account = await loadWallet(ctx.home).catch(() => {
    throw new CliError(`slash sends a transaction and needs a wallet for gas in ${ctx.home.dir} (vidya wallet init)`);
  });
  const api = new TrackerApi(normaliseTracker(trackerUrl));
  const c = chainClients(await api.chain(), account, values.rpc ?? config?.rpcUrl);
  if (files.length) {
    const frauds: FraudOutcome[] = [];
    for (const f of files) frauds.push(await slashFraud(c, f));
    for (const o of frauds) ctx.say(`${o.node}: ${o.message}`);
    if (!nodes.length) return ctx.result({ frauds });
  }

  let epoch: bigint;
  if (values.epoch !== undefined) {
    if (!/^[1-9][0-9]*$/.test(values.epoch)) throw new CliError(`--epoch must be a positive integer, got ${values.epoch}`);
    epoch = BigInt(values.epoch);
    if (!(await isFinal(c, epoch))) {
      const last = await lastEpoch(c);
      throw new CliError(epoch > last ? `epoch ${epoch} has no root on-chain yet (last posted: ${last})` : `the roots of epoch ${epoch} are not final yet (dispute window) or were disabled`);
    }
  } else {
    epoch = await latestFinalEpoch(c);
    if (epoch === 0n) throw new CliError(`no epoch is final yet (last posted: ${await lastEpoch(c)}); slashes wait out the dispute window`);
  }
  const root = await onChainRoot(c, epoch);
  const published = await api.epochSlashed(epoch);
  if (published.slashedRoot.toLowerCase() !== root.slashedRoot.toLowerCase())
    throw new CliError(`the tracker's slashed root for epoch ${epoch} (${published.slashedRoot}) is not the one on-chain (${root.slashedRoot}); not slashing`);
  const targets = nodes.length ? nodes : published.leaves.map((l) => getAddress(l.account));

  const outcomes: SlashOutcome[] = [];
  for (const node of targets) outcomes.push(await slashOne(api, c, epoch, root.slashedRoot, node));
  if (targets.length === 0) ctx.say(`epoch ${epoch}: nobody has a slashed leaf`);
  for (const o of outcomes) ctx.say(`${o.node}: ${o.message}`);
  ctx.result({ epoch: Number(epoch), slashedRoot: root.slashedRoot, slashes: outcomes });
}

async function slashOne(api: TrackerApi, c: ReturnType<typeof chainClients>, epoch: bigint, slashedRoot: Hex, node: Address): Promise<SlashOutcome> {
  const before = await bondState(c, node);
  const outcome = (cumulative: bigint, message: string, after = before, amount = 0n, txHash: Hex | null = null): SlashOutcome => ({
    node,
    cumulative: cumulative.toString(),
    executedBefore: before.executed.toString(),
    amount: amount.toString(),
    owed: (cumulative > after.executed ? cumulative - after.executed : 0n).toString(),
    bondAfter: after.bond.toString(),
    txHash,
    message,
  });
  if (slashedRoot.toLowerCase() === ZERO_ROOT) return outcome(0n, `nothing to slash: nobody has a slashed leaf in epoch ${epoch}`);
  let proof;
  try {
    proof = await api.slashedProof(epoch, node);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return outcome(0n, `nothing to slash: no slashed leaf in epoch ${epoch}`);
    throw e;
  }
  const args = { epoch, node, cumulative: BigInt(proof.cumulative), proof: proof.proof as Hex[] };
  if (!slashProofMatchesRoot(slashedRoot, args)) throw new CliError(`the tracker's slashed proof for ${node} in epoch ${epoch} does not match the on-chain root ${slashedRoot}; not slashing`);
  if (args.cumulative <= before.executed) return outcome(args.cumulative, `nothing to slash: ${formatVidya(before.executed)} of ${formatVidya(args.cumulative)} already taken`);
  if (before.slashable === 0n) return outcome(args.cumulative, `owes ${formatVidya(args.cumulative - before.executed)} but has no bond to take it from`);
  const { txHash } = await sendSlash(c, args);
  const after = await bondState(c, node);
  const amount = after.executed - before.executed;
  const owed = args.cumulative - after.executed;
  return outcome(args.cumulative, `slashed ${formatVidya(amount)} in tx ${txHash}${owed > 0n ? `; ${formatVidya(owed)} still owed (the bond is empty)` : ""}; bond now ${formatVidya(after.bond)}`, after, amount, txHash);
}

export interface FraudOutcome {
  file: string;
  node: Address;
  offence: Hex;
  /** Taken from the node's bond, and the part of it paid to this wallet (0 when none was sent). */
  amount: string;
  reward: string;
  txHash: Hex | null;
  message: string;
}

async function slashFraud(c: ReturnType<typeof chainClients>, file: string): Promise<FraudOutcome> {
  let e;
  try {
    e = parseFraudEvidence(JSON.parse(await readFile(file, "utf8")));
  } catch (err) {
    throw new CliError(`${file}: ${(err as Error).message}`);
  }
  if (e.chainId !== c.info.chainId) throw new CliError(`${file}: the answer was signed for chain ${e.chainId}, the tracker's chain is ${c.info.chainId}`);
  const why = await checkFraudEvidence(e);
  if (why) throw new CliError(`${file}: not fraud evidence: ${why}`);
  const node = getAddress(e.answer.node);
  const offence = await checkFraudOnChain(c, e);
  const outcome = (message: string, amount = 0n, reward = 0n, txHash: Hex | null = null): FraudOutcome => ({ file, node, offence, amount: amount.toString(), reward: reward.toString(), txHash, message });
  if (await isOffenceSlashed(c, offence)) return outcome(`this offence (block ${e.answer.blocks[e.position]} of root ${e.answer.root}) was already slashed`);
  if ((await bondState(c, node)).slashable === 0n) return outcome(`signed a wrong hash for block ${e.answer.blocks[e.position]}, but has no bond to take from; the evidence stays good, submit it again later`);
  const { txHash, amount, reward } = await sendFraudSlash(c, e);
  return outcome(`fraud slash: ${formatVidya(amount)} taken for a signed wrong hash of block ${e.answer.blocks[e.position]}, ${formatVidya(reward)} paid to you, the rest burned, in tx ${txHash}`, amount, reward, txHash);
}
