// vidya bond: put stake behind a node (DESIGN.md "Stake without buying the token"): the
// wallet's tokens join the node's bond pool in Staking, which slashes take from. A node may
// bond itself, or a sponsor may bond on its behalf and keep the right to unbond.

import { parseArgs } from "node:util";
import { getAddress, isAddress, parseUnits } from "viem";
import { TOKEN_DECIMALS } from "../../protocol/params.ts";
import { TrackerApi } from "../api.ts";
import { chainClients } from "../chain/clients.ts";
import { bondState, sendBond } from "../chain/slash.ts";
import { normaliseTracker, readJsonFile, type Config } from "../config.ts";
import { CliError } from "../errors.ts";
import { loadWallet } from "../wallet.ts";
import { formatVidya, type Ctx } from "./context.ts";

export async function bond(ctx: Ctx, argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: { node: { type: "string" }, tracker: { type: "string" }, rpc: { type: "string" } }, allowPositionals: true, strict: true });
  if (positionals.length !== 1 || !/^[0-9]+(\.[0-9]{1,18})?$/.test(positionals[0]!)) throw new CliError("usage: vidya bond <amount in VIDYA, e.g. 100 or 2.5> [--node ADDRESS]");
  const amount = parseUnits(positionals[0]!, TOKEN_DECIMALS);
  if (amount === 0n) throw new CliError("the amount must be above zero");
  const config = await readJsonFile<Partial<Config>>(ctx.home.config);
  const trackerUrl = values.tracker ?? config?.tracker;
  if (!trackerUrl) throw new CliError("bond needs --tracker URL (or a home with a config)");
  const account = await loadWallet(ctx.home);
  if (values.node !== undefined && !isAddress(values.node, { strict: false })) throw new CliError(`not a node address: ${values.node}`);
  const node = values.node ? getAddress(values.node) : account.address;
  const c = chainClients(await new TrackerApi(normaliseTracker(trackerUrl)).chain(), account, values.rpc ?? config?.rpcUrl);
  const { txs } = await sendBond(c, node, amount);
  const after = await bondState(c, node);
  ctx.say(`bonded ${formatVidya(amount)} on ${node}${node === account.address ? " (itself)" : ""} in tx ${txs.at(-1)}; its bond is now ${formatVidya(after.bond)}`);
  ctx.result({ node, sponsor: account.address, amount: amount.toString(), bond: after.bond.toString(), txs });
}
