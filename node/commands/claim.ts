// vidya claim: claim cumulative earnings against the newest final epoch root (or --epoch N),
// after checking the tracker's proof against the on-chain root.

import { parseArgs } from "node:util";
import type { Hex } from "viem";
import { ApiError, TrackerApi } from "../api.ts";
import { chainClients } from "../chain/clients.ts";
import { claimedOf, isFinal, latestFinalEpoch, lastEpoch, onChainRoot, proofMatchesRoot, sendClaim } from "../chain/rewards.ts";
import { loadConfig } from "../config.ts";
import { CliError } from "../errors.ts";
import { loadWallet } from "../wallet.ts";
import { formatVidya, type Ctx } from "./context.ts";

export async function claim(ctx: Ctx, argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { epoch: { type: "string" }, rpc: { type: "string" } }, strict: true });
  const config = await loadConfig(ctx.home);
  const account = await loadWallet(ctx.home);
  const api = new TrackerApi(config.tracker);
  const c = chainClients(await api.chain(), account, values.rpc ?? config.rpcUrl);

  const nothing = (epoch: bigint, message: string, cumulative = "0") => {
    ctx.say(message);
    ctx.result({ epoch: Number(epoch), account: account.address, amount: "0", cumulative, txHash: null, message });
  };

  let epoch: bigint;
  if (values.epoch !== undefined) {
    if (!/^[0-9]+$/.test(values.epoch) || BigInt(values.epoch) === 0n) throw new CliError(`--epoch must be a positive integer, got ${values.epoch}`);
    epoch = BigInt(values.epoch);
    if (!(await isFinal(c, epoch))) {
      const last = await lastEpoch(c);
      throw new CliError(epoch > last ? `epoch ${epoch} has no root on-chain yet (last posted: ${last})` : `the root of epoch ${epoch} is not final yet (dispute window) or was disabled`);
    }
  } else {
    epoch = await latestFinalEpoch(c);
    if (epoch === 0n) {
      const last = await lastEpoch(c);
      return nothing(0n, last === 0n ? "nothing to claim: no epoch has been posted yet" : `nothing to claim yet: the root of epoch ${last} is not final (dispute window)`);
    }
  }

  let proof;
  try {
    proof = await api.epochProof(epoch, account.address);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return nothing(epoch, `nothing to claim: ${account.address} has no leaf in epoch ${epoch}`);
    throw e;
  }
  const args = { epoch, account: account.address, cumulative: BigInt(proof.cumulative), proof: proof.proof as Hex[] };
  const root = await onChainRoot(c, epoch);
  if (!proofMatchesRoot(root.earnedRoot, args)) throw new CliError(`the tracker's proof for epoch ${epoch} does not match the on-chain root ${root.earnedRoot}; not claiming`);
  const claimed = await claimedOf(c, account.address);
  if (args.cumulative <= claimed) return nothing(epoch, `nothing to claim: already claimed ${formatVidya(claimed)} of ${formatVidya(args.cumulative)} earned up to epoch ${epoch}`, proof.cumulative);

  const amount = args.cumulative - claimed;
  const { txHash } = await sendClaim(c, args);
  ctx.say(`claimed ${formatVidya(amount)} for epoch ${epoch} (cumulative ${formatVidya(args.cumulative)}) in tx ${txHash}`);
  ctx.result({ epoch: Number(epoch), account: account.address, amount: amount.toString(), cumulative: proof.cumulative, txHash });
}
