// vidya node check: the edge dials the running node back exactly as a challenge would and
// says whether it is reachable, or why not (no mapping, CGNAT, firewall, IPv6 only) and what
// to do (docs/reachability.md). Exit 1 unless reachable.

import { TrackerApi } from "../api.ts";
import { loadConfig, readJsonFile, writeJsonFile } from "../config.ts";
import { CliError } from "../errors.ts";
import { loadWallet } from "../wallet.ts";
import { installNetworkIdentity } from "../net/bound-fetch.ts";
import type { MappingFacts } from "../../protocol/net/reachability.ts";
import { checkReachability, mappingText } from "../nat/check.ts";
import type { Ctx } from "./context.ts";

export async function nodeCheck(ctx: Ctx, argv: string[]): Promise<void> {
  if (argv.length) throw new CliError(`node check takes no arguments, got ${argv.join(" ")}`, 2);
  const config = await loadConfig(ctx.home);
  const state = await readJsonFile<Record<string, unknown> & { pid?: number; nat?: MappingFacts; port?: number }>(ctx.home.state);
  if (state?.pid === undefined || !alive(state.pid)) throw new CliError('the node is not running: start it ("vidya node start"), then check it; the check is what a challenge would see', 1);
  // The check leaves from where the node's own connections do: the edge compares what it sees.
  installNetworkIdentity({ bindAddress: config.bindAddress, devLocation: process.env.VIDYA_DEV_LOCATION });
  const account = await loadWallet(ctx.home);
  const api = new TrackerApi(config.tracker);
  const mapping: MappingFacts = state.nat ?? { method: "off" };
  const r = await checkReachability(api, account, (await api.chain()).chainId, mapping);
  // The running node's state.json keeps the newest verdict, for `vidya node status`.
  const now = await readJsonFile<Record<string, unknown>>(ctx.home.state);
  if (now) await writeJsonFile(ctx.home.state, { ...now, reachability: r }).catch(() => {});
  ctx.say(`reachable  ${r.verdict === "reachable" ? "yes" : `NO (${r.verdict})`}`);
  ctx.say(`           ${r.summary}`);
  ctx.say(`mapping    ${mappingText(mapping)}`);
  ctx.say(`edge sees  ${r.dial.seenHost}; dialled ${r.dial.endpoint.host}:${r.dial.endpoint.port} (${r.dial.verdict}${r.dial.reason ? `: ${r.dial.reason}` : ""})`);
  if (r.verdict !== "reachable") ctx.say(`what to do ${r.advice}`);
  ctx.result(r);
  if (r.verdict !== "reachable") process.exitCode = 1;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
