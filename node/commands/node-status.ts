// vidya node status: what this node hosts and downloads (state.json, written by the running
// node), what the tracker credits it with (challenges passed, earned), what it can claim
// on-chain (the newest final epoch's cumulative leaf minus what it has claimed), its bond and
// what was slashed from it, and when the open epoch closes. Every source is optional: what
// cannot be reached is said, not fatal.

import type { Address } from "viem";
import { ApiError, TrackerApi, type NodeInfo, type OpenEpoch } from "../api.ts";
import { loadConfig, readJsonFile } from "../config.ts";
import type { BondState } from "../chain/slash.ts";
import { walletAddress } from "../wallet.ts";
import type { DownloadStatus, HostedTorrent, PlanSummary } from "../seed/host.ts";
import { formatBytes, formatVidya, type Ctx } from "./context.ts";
import type { PublicClient } from "viem";
import { formatEthWorth } from "../../protocol/format.ts";
import { formatPrice } from "../../protocol/market/amounts.ts";
import { vidyaToEth, type Twap } from "../../protocol/market/twap.ts";
import { ONE_TOKEN, TWAP_WINDOW_SECONDS } from "../../protocol/params.ts";
import { overdueText, type Overdue } from "../../protocol/epoch/overdue.ts";
import type { MappingFacts } from "../../protocol/net/reachability.ts";
import { mappingText, type ReachabilityReport } from "../nat/check.ts";

interface State {
  hosted?: HostedTorrent[];
  hostedBytes?: number;
  downloads?: DownloadStatus[];
  plan?: PlanSummary;
  port?: number;
  pid?: number;
  startedAt?: string;
  updatedAt?: string;
  stoppedAt?: string;
  nat?: MappingFacts;
  reachability?: ReachabilityReport;
}

export async function nodeStatus(ctx: Ctx, _argv: string[]): Promise<void> {
  const config = await loadConfig(ctx.home);
  const account = { address: await walletAddress(ctx.home) };
  const api = new TrackerApi(config.tracker);
  const state = await readJsonFile<State>(ctx.home.state);
  const running = state?.pid !== undefined && isAlive(state.pid);
  const errors: Record<string, string> = {};
  const reason = (e: unknown) => (e as Error).message.split("\n")[0]!;

  let tracker: NodeInfo | undefined;
  try {
    tracker = await api.node(account.address);
  } catch (e) {
    errors.tracker = e instanceof ApiError && e.status === 404 ? "not registered yet (run vidya node start)" : reason(e);
  }

  let nextEpoch: OpenEpoch | undefined;
  try {
    nextEpoch = await api.openEpoch();
  } catch (e) {
    errors.epoch = e instanceof ApiError && e.status === 404 ? "no epoch is open yet" : reason(e);
  }
  // Whether an epoch is late and why: with the open epoch, else asked alone (a halted close can leave none open).
  let overdue: Overdue | undefined = nextEpoch?.overdue;
  if (!nextEpoch) overdue = await api.epochOverdue().catch(() => undefined);

  // Claimable = the cumulative leaf of the newest final epoch − what the contract has paid out.
  let claimed: bigint | undefined;
  let finalEpoch: number | undefined;
  let finalCumulative: bigint | undefined;
  let bond: BondState | undefined;
  let twap: Twap | undefined;
  try {
    const info = await api.chain();
    if (!(config.rpcUrl ?? info.rpcUrl) || !info.epochRewards) throw new Error("the tracker names no chain (GET /api/chain has no RPC URL or rewards contract)");
    // viem is loaded only when there is a chain to read (start-up of `node status` ≤ 0.5 s).
    const [{ chainClients }, { claimedOf, latestFinalEpoch }, { bondState }] = await Promise.all([import("../chain/clients.ts"), import("../chain/rewards.ts"), import("../chain/slash.ts")]);
    const c = chainClients(info, undefined, config.rpcUrl);
    claimed = await claimedOf(c, account.address);
    finalEpoch = Number(await latestFinalEpoch(c));
    finalCumulative = finalEpoch > 0 ? await leafOf(api, finalEpoch, account.address) : 0n;
    bond = await bondState(c, account.address);
    if (info.vidyaWethPool && info.weth) {
      const { readTwap } = await import("../../protocol/market/read-twap.ts");
      twap = await readTwap(c.publicClient as PublicClient, { pool: info.vidyaWethPool, vidya: info.token, weth: info.weth }, TWAP_WINDOW_SECONDS).catch((e: unknown) => {
        errors.price = reason(e);
        return undefined;
      });
    }
  } catch (e) {
    errors.chain = reason(e);
  }
  // VIDYA with its worth in ETH at the pool's TWAP, when there is one.
  const vidya = (wei: bigint) => `${formatVidya(wei)}${twap && wei !== 0n ? ` (≈ ${formatEthWorth(vidyaToEth(twap, wei))})` : ""}`;

  // Slashed to date: this node's leaf in the newest closed epoch's slashed tree (cumulative).
  let slashed: bigint | undefined;
  try {
    const last = (await api.epochs()).at(-1);
    slashed = last ? await slashedLeafOf(api, last.epoch, account.address) : 0n;
  } catch (e) {
    errors.slashed = reason(e);
  }
  const claimable = claimed !== undefined && finalCumulative !== undefined ? (finalCumulative > claimed ? finalCumulative - claimed : 0n) : undefined;
  const earned = tracker ? BigInt(tracker.cumulativeEarned) : undefined;
  const pending = earned !== undefined && finalCumulative !== undefined && earned > finalCumulative ? earned - finalCumulative : earned !== undefined && finalCumulative !== undefined ? 0n : undefined;

  const passed = tracker?.epochs.reduce((s, e) => s + e.passed, 0) ?? 0;
  const failed = tracker?.epochs.reduce((s, e) => s + e.failed, 0) ?? 0;
  const passRate = passed + failed > 0 ? passed / (passed + failed) : null;
  const planned = new Map((state?.plan?.selected ?? []).map((p) => [p.infoHash, p]));
  const hosted = (state?.hosted ?? []).map((h) => ({ ...h, wanted: planned.get(h.infoHash)?.wanted ?? false, expectedRewardPerGB: planned.get(h.infoHash)?.rewardPerGB ?? null }));
  const downloads = running ? (state?.downloads ?? []).map((d) => ({ ...d, progress: d.length > 0 ? d.have / d.length : 0 })) : [];
  const hostedBytes = hosted.reduce((s, h) => s + h.length, 0);

  ctx.say(`node       ${account.address}`);
  ctx.say(`home       ${ctx.home.dir}`);
  ctx.say(`tracker    ${config.tracker}`);
  ctx.say(`running    ${running ? `yes (pid ${state!.pid}, port ${state!.port}, since ${state!.startedAt})` : state?.stoppedAt ? `no (stopped ${state.stoppedAt})` : "no"}`);
  for (const line of reachabilityLines(state?.reachability, state?.nat, tracker?.lastCheck ?? null)) ctx.say(line);
  ctx.say(`storage    ${formatBytes(hostedBytes)} hosted of a ${formatBytes(config.storageCap)} cap; ${config.fill ? "fills the rest with what pays most per GB" : "downloads only what is wanted"}`);
  ctx.say(`interests  ${config.interests.length ? config.interests.join(", ") : "none (vidya node want <infohash|pattern>)"}`);
  ctx.say(`hosting    ${hosted.length} torrent(s)${running ? "" : " (when it last ran)"}`);
  for (const h of hosted) ctx.say(`  ${h.infoHash}  ${h.name}  ${formatBytes(h.length)}${h.expectedRewardPerGB ? `  ${vidya(BigInt(h.expectedRewardPerGB))}/GB/epoch` : ""}${h.wanted ? "  (wanted)" : ""}`);
  for (const d of downloads) ctx.say(`  downloading ${d.infoHash}  ${d.name}  ${(d.progress * 100).toFixed(1)}% of ${formatBytes(d.length)}`);
  if (tracker) {
    ctx.say(`tracker    sees ${tracker.hosted.length} hosted torrent(s)${tracker.hostedBytes !== undefined ? `, ${formatBytes(tracker.hostedBytes)}` : ""}; endpoint ${tracker.endpoint ? `${tracker.endpoint.host}:${tracker.endpoint.port}` : "-"}`);
    ctx.say(`challenges ${passed} passed, ${failed} failed${passRate !== null ? ` (pass rate ${(passRate * 100).toFixed(1)}%)` : ""}`);
    for (const e of tracker.epochs) ctx.say(`  epoch ${e.epoch}: ${e.passed} passed, ${e.failed} failed, earned ${formatVidya(BigInt(e.earned))}`);
    ctx.say(`earned     ${vidya(earned!)} (cumulative, closed epochs)`);
  } else ctx.say(`tracker    ${errors.tracker}`);
  if (claimable !== undefined) {
    ctx.say(`claimable  ${vidya(claimable)} (final up to epoch ${finalEpoch}: ${formatVidya(finalCumulative!)}; claimed ${formatVidya(claimed!)})`);
    if (pending) ctx.say(`pending    ${formatVidya(pending)} (in epochs still in their dispute window)`);
  } else ctx.say(`claimable  unknown (${errors.chain})`);
  if (bond) ctx.say(`bond       ${formatVidya(bond.bond)}; slashed ${slashed !== undefined ? formatVidya(slashed) : "unknown"} to date, ${formatVidya(bond.executed)} taken from the bond`);
  if (twap) ctx.say(`price      ${formatPrice(vidyaToEth(twap, ONE_TOKEN))} (the Uniswap pool's ${Math.round(twap.secondsAgo / 60)}-minute average, not its spot price)`);
  for (const line of epochLines(nextEpoch, overdue, errors.epoch, Date.now())) ctx.say(line);

  const str = (v: bigint | undefined) => (v === undefined ? null : v.toString());
  ctx.result({
    address: account.address,
    home: ctx.home.dir,
    trackerUrl: config.tracker,
    running,
    pid: running ? state!.pid : null,
    port: state?.port ?? null,
    storageCap: config.storageCap,
    fill: config.fill,
    interests: config.interests,
    hosted,
    hostedBytes,
    downloads,
    challenges: { passed, failed, passRate },
    earned: str(earned),
    finalEpoch: finalEpoch ?? null,
    finalCumulative: str(finalCumulative),
    claimed: str(claimed),
    claimable: str(claimable),
    pending: str(pending),
    bond: str(bond?.bond),
    slashed: str(slashed),
    slashExecuted: str(bond?.executed),
    nextEpoch: nextEpoch ? { epoch: nextEpoch.epoch, openedAt: nextEpoch.openedAt, closesAt: nextEpoch.closesAt } : null,
    overdue: overdue?.overdue ? overdue : null,
    // ETH per VIDYA (wei) at the pool's TWAP, and the TWAP's window and tick.
    price: twap ? { weiPerVidya: vidyaToEth(twap, ONE_TOKEN).toString(), secondsAgo: twap.secondsAgo, tick: twap.tick } : null,
    earnedEth: twap && earned !== undefined ? vidyaToEth(twap, earned).toString() : null,
    tracker: tracker ?? null,
    nat: state?.nat ?? null,
    reachability: state?.reachability ?? null,
    errors,
  });
}

async function leafOf(api: TrackerApi, epoch: number, account: Address): Promise<bigint> {
  try {
    return BigInt((await api.epochProof(epoch, account)).cumulative);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return 0n;
    throw e;
  }
}

async function slashedLeafOf(api: TrackerApi, epoch: number, account: Address): Promise<bigint> {
  try {
    return BigInt((await api.slashedProof(epoch, account)).cumulative);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return 0n;
    throw e;
  }
}

/** What the last check found (`vidya node check`, or the check at start), the mapping, and the edge's own record. */
export function reachabilityLines(r: ReachabilityReport | undefined, nat: MappingFacts | undefined, edge: { checkedAt: number; verdict: string | null } | null): string[] {
  const lines: string[] = [];
  if (r) {
    lines.push(`reachable  ${r.verdict === "reachable" ? "yes" : `NO (${r.verdict})`} at ${r.checkedAt}: ${r.summary}`);
    if (r.verdict !== "reachable") lines.push(`  what to do: ${r.advice}`);
  } else lines.push(`reachable  unknown (run "vidya node check" while the node runs)`);
  if (nat) lines.push(`mapping    ${mappingText(nat)}`);
  // The edge's record outlives this machine's state.json: a check made elsewhere still shows.
  if (edge && (!r || Date.parse(r.checkedAt) < edge.checkedAt)) lines.push(`edge check ${edge.verdict ?? "?"} at ${new Date(edge.checkedAt).toISOString()}`);
  return lines;
}

/** The open epoch's line, and the overdue notice (with the edge's reason) when an epoch is late. */
export function epochLines(open: OpenEpoch | undefined, overdue: Overdue | undefined, error: string | undefined, now: number): string[] {
  const lines = [open ? `next epoch ${open.epoch} closes at ${new Date(open.closesAt).toISOString()} (${untilText(open.closesAt - now)})` : `next epoch unknown (${error})`];
  if (overdue?.overdue) lines.push(`OVERDUE    ${overdueText(overdue, now)}`);
  return lines;
}

function untilText(ms: number): string {
  if (ms <= 0) return "due now";
  const s = Math.round(ms / 1000);
  return s < 120 ? `in ${s} s` : s < 7200 ? `in ${Math.round(s / 60)} min` : `in ${(s / 3600).toFixed(1)} h`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
