// vidya node status: what this node hosts on disk, what the tracker credits it with, and
// what it has claimed on-chain.

import { ApiError, TrackerApi, type NodeInfo } from "../api.ts";
import { loadConfig, readJsonFile } from "../config.ts";
import { chainClients } from "../chain/clients.ts";
import { claimedOf } from "../chain/rewards.ts";
import { loadWallet } from "../wallet.ts";
import type { HostedTorrent } from "../seed/host.ts";
import { formatBytes, formatVidya, type Ctx } from "./context.ts";

export async function nodeStatus(ctx: Ctx, _argv: string[]): Promise<void> {
  const config = await loadConfig(ctx.home);
  const account = await loadWallet(ctx.home);
  const api = new TrackerApi(config.tracker);
  const state = await readJsonFile<{ hosted?: HostedTorrent[]; hostedBytes?: number; port?: number; pid?: number; startedAt?: string; stoppedAt?: string }>(ctx.home.state);
  const running = state?.pid !== undefined && isAlive(state.pid);

  let tracker: NodeInfo | undefined;
  let trackerError: string | undefined;
  try {
    tracker = await api.node(account.address);
  } catch (e) {
    trackerError = e instanceof ApiError && e.status === 404 ? "not registered yet (run vidya node start)" : (e as Error).message;
  }
  let claimed: bigint | undefined;
  let chainError: string | undefined;
  try {
    const c = chainClients(await api.chain(), undefined, config.rpcUrl);
    claimed = await claimedOf(c, account.address);
  } catch (e) {
    chainError = (e as Error).message.split("\n")[0];
  }

  ctx.say(`node      ${account.address}`);
  ctx.say(`home      ${ctx.home.dir}`);
  ctx.say(`tracker   ${config.tracker}`);
  ctx.say(`running   ${running ? `yes (pid ${state!.pid}, port ${state!.port}, since ${state!.startedAt})` : "no"}`);
  ctx.say(`hosting   ${state?.hosted?.length ?? 0} torrent(s), ${formatBytes(state?.hostedBytes ?? 0)} (last start)`);
  for (const h of state?.hosted ?? []) ctx.say(`  ${h.infoHash}  ${h.name}  ${formatBytes(h.length)}`);
  if (tracker) {
    ctx.say(`tracker sees ${tracker.hosted.length} hosted torrent(s)${tracker.hostedBytes !== undefined ? `, ${formatBytes(tracker.hostedBytes)}` : ""}; endpoint ${tracker.endpoint ? `${tracker.endpoint.host}:${tracker.endpoint.port}` : "-"}`);
    for (const e of tracker.epochs) ctx.say(`  epoch ${e.epoch}: ${e.passed} passed, ${e.failed} failed, earned ${formatVidya(BigInt(e.earned))}`);
    ctx.say(`earned    ${formatVidya(BigInt(tracker.cumulativeEarned))} (cumulative)`);
  } else ctx.say(`tracker   ${trackerError}`);
  ctx.say(claimed !== undefined ? `claimed   ${formatVidya(claimed)} on-chain` : `claimed   unknown (${chainError})`);
  ctx.result({
    address: account.address,
    running,
    local: { hosted: state?.hosted ?? [], hostedBytes: state?.hostedBytes ?? 0, port: state?.port },
    tracker: tracker ?? null,
    trackerError,
    claimed: claimed?.toString() ?? null,
    chainError,
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
