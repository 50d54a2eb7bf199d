// settleEpoch (settle.ts) split for a close that never holds the whole epoch (issue 13 part 3):
// the epoch is read in pages of whole torrents (every challenge, transfer and receipt of a
// torrent in one page), three times, each sweep keeping only what is per node or per epoch:
//
//   A  tallyPages       per (node, torrent) challenge counts ─▶ settleContext: node streaks, suspensions
//   B  pageWeights      per page: hosting weights, missed replicas' weights, upload credits per node
//      settleTotals     Σ of the pages ─▶ pools, each member's upload share, fault fees and slashes
//   C  settlePage       per page: each node's hosting reward (pool × weight ÷ the epoch's Σ) and bounty shares
//      finishPaged      Σ of the pages + upload shares ─▶ the cumulative leaves, pools and draws
//
// Every reward is a per-torrent quantity over an epoch-wide scalar (Σ weights, the upload cut), so
// the pages' sums equal settleEpoch's to the wei: same leaves, same roots (settle-paged.test.ts).
// assembleSettlement rebuilds settleEpoch's whole Settlement (the published breakdown, the carried
// state) from the pages; settleInPages runs it all on in-memory inputs (the close's EPOCH_SETTLE=paged).
// The tally (sweep A) is still one entry per (node, torrent): the worker may build it by SQL.
// Transfers come with `charged` set: the allotment that sets it runs per member across torrents
// (worker/epoch/transfers.ts transfersOf), a member-paged step before these torrent-paged sweeps.

import { BPS, EMISSION_PER_EPOCH, HOSTING_POOL_BPS, VETTING_AUDITS } from "../params.ts";
import { provenBytes, type EvaluatedChallenge } from "../epoch/evaluate.ts";
import { isSuspended, missedReplicas, nodeStreaks, replicaPenalties, suspendedNodes, suspendedReplicas, tally, type Tally } from "../epoch/replica-faults.ts";
import { nextVetting } from "../epoch/vetting.ts";
import type { RewardLeaf } from "../merkle/reward-tree.ts";
import { bountyPayouts, type BountyDraw } from "./bounties.ts";
import { heldPart } from "./holdback.ts";
import { hostingRewards, replicasFromChallenges, replicaWeight, vettingBps, type HostingResult, type ProvenReplica, type ReplicaOutcome } from "./hosting-rewards.ts";
import { addTo } from "./math.ts";
import { cumulativeLeaves, type Pools, type Seniority, type SettleInputs, type Settlement, type SettleTorrent } from "./settle.ts";
import { shareUploadPool, uploadCredits, type ReceiptBytes, type SwarmCredit, type Transfer, type UploadCredit, type UploadCredits } from "./upload-rewards.ts";

/** Whole torrents: a torrent's challenges, transfers and receipts are all in the page that lists it. */
export interface SettlePage {
  torrents: readonly SettleTorrent[];
  challenges: readonly EvaluatedChallenge[];
  transfers?: readonly Transfer[];
  receipts?: readonly ReceiptBytes[];
}

/** What settleEpoch reads beyond the pages: the epoch, route, locations, carried state, emission. */
export type SettleCommon = Omit<SettleInputs, "challenges" | "torrents" | "transfers" | "receipts">;

const key = (node: string, infoHash: string) => `${node}\n${infoHash}`;

/**
 * Sweep A: the epoch's tally, page by page. A node's host (its subnet for correlated slashes) is
 * that of its first challenge in the epoch's order, which pages by torrent do not keep: pass
 * `firstHosts` (node lowercase → host; the worker reads it per node) to match settleEpoch.
 */
export function tallyPages(pages: Iterable<SettlePage>, firstHosts?: ReadonlyMap<string, string>): Tally {
  const out: Tally = new Map();
  for (const page of pages) {
    for (const [node, n] of tally(page.challenges as EvaluatedChallenge[], page.torrents as SettleTorrent[])) {
      let m = out.get(node);
      if (!m) out.set(node, (m = { torrents: new Map() }));
      m.host ??= n.host;
      for (const [infoHash, r] of n.torrents) {
        if (m.torrents.has(infoHash)) throw new RangeError(`challenges of ${node} in ${infoHash} are in two pages: a page must hold whole torrents`);
        m.torrents.set(infoHash, r);
      }
    }
  }
  if (firstHosts) for (const [node, n] of out) n.host = firstHosts.get(node) ?? n.host;
  return out;
}

/** Node-level state every page needs: suspensions and streaks (from the whole tally), ramps, seniority, locations. */
export interface SettleContext {
  epoch: number;
  emission: bigint;
  hostingBase: bigint;
  uploadPool: bigint;
  common: SettleCommon;
  tally: Tally;
  streaks: Map<string, number>;
  badNodes: Set<string>;
  suspendedSet: Set<string>;
  since: Map<string, Map<string, number>>;
  located: Map<string, { lat: number; lon: number }>;
  audits: Map<string, number>;
}

export function settleContext(common: SettleCommon, t: Tally): SettleContext {
  const { epoch } = common;
  if (!Number.isSafeInteger(epoch) || epoch < 1) throw new RangeError(`epoch must be a positive integer, got ${epoch}`);
  const previous = common.previous ?? {};
  const emission = common.emission ?? EMISSION_PER_EPOCH;
  const hostingBase = (emission * HOSTING_POOL_BPS) / BPS;
  const since = new Map<string, Map<string, number>>();
  for (const s of previous.seniority ?? []) {
    let nodes = since.get(s.infoHash);
    if (!nodes) since.set(s.infoHash, (nodes = new Map()));
    nodes.set(s.node.toLowerCase(), s.since);
  }
  const streaks = nodeStreaks(t, previous.faults ?? [], previous.replicaFaults ?? []);
  return {
    epoch,
    emission,
    hostingBase,
    uploadPool: emission - hostingBase,
    common,
    tally: t,
    streaks,
    badNodes: suspendedNodes(streaks),
    suspendedSet: suspendedReplicas(previous.replicaFaults ?? []),
    since,
    located: new Map((common.locations ?? []).map((l) => [l.node.toLowerCase(), { lat: l.lat, lon: l.lon }])),
    audits: new Map((previous.vetting ?? []).map((v) => [v.node.toLowerCase(), v.audits])),
  };
}

const rampOf = (ctx: SettleContext, node: string) => vettingBps(ctx.audits.get(node) ?? 0);

/** The page's proven replicas that count (suspended ones dropped), as settleEpoch builds them. */
function activeReplicas(ctx: SettleContext, page: SettlePage): ProvenReplica[] {
  return provenReplicas(ctx, page).filter((r) => !ctx.badNodes.has(r.node) && !isSuspended(ctx.suspendedSet, r.node, r.infoHash));
}

/** The page's proven replicas with seniority, ramp and location, (torrent, node) order. */
function provenReplicas(ctx: SettleContext, page: SettlePage): ProvenReplica[] {
  const out: ProvenReplica[] = [];
  for (const r of replicasFromChallenges(page.challenges, page.torrents)) {
    const p: ProvenReplica = { node: r.node, infoHash: r.infoHash, since: ctx.since.get(r.infoHash)?.get(r.node) ?? ctx.epoch, vettingBps: rampOf(ctx, r.node) };
    if (r.host !== undefined) p.host = r.host;
    const location = ctx.located.get(r.node);
    if (location) p.location = location;
    out.push(p);
  }
  return out;
}

/** Sweep B's result for a page (or the sum of several: addPageWeights). */
export interface PageWeights {
  /** Σ counted replicas' hosting weights. */
  totalWeight: bigint;
  /** Σ missed replicas' weights, and each one's (node\ninfoHash → weight): fault fees are priced by it. */
  missedWeight: bigint;
  missed: Map<string, bigint>;
  /** Upload credits per node: weight and price cap; spending per member. */
  uploadWeights: Map<string, bigint>;
  uploadCaps: Map<string, bigint>;
  spent: Map<string, bigint>;
}

export const noWeights = (): PageWeights => ({ totalWeight: 0n, missedWeight: 0n, missed: new Map(), uploadWeights: new Map(), uploadCaps: new Map(), spent: new Map() });

export function pageWeights(ctx: SettleContext, page: SettlePage): PageWeights {
  const active = activeReplicas(ctx, page);
  const weighed = hostingRewards(active, page.torrents, 0n);
  const byHash = new Map(page.torrents.map((t) => [t.infoHash, t]));
  const missed = new Map<string, bigint>();
  let missedWeight = 0n;
  for (const r of missedReplicas(page.challenges as EvaluatedChallenge[], page.torrents as SettleTorrent[])) {
    const t = byHash.get(r.infoHash);
    const w = t ? replicaWeight(t.length, t.surgeBps, weighed.vetted.get(r.infoHash) ?? 0n, rampOf(ctx, r.node)) : 0n;
    missed.set(key(r.node, r.infoHash), w);
    missedWeight += w;
  }
  const credits = pageCredits(ctx, page, active, weighed.counted);
  return { totalWeight: weighed.totalWeight, missedWeight, missed, uploadWeights: credits.weights, uploadCaps: credits.caps, spent: credits.spent };
}

/** The page's upload credits: receipted bytes to its active hosts, the rest shared by the counted ones. */
function pageCredits(ctx: SettleContext, page: SettlePage, active: readonly ProvenReplica[], counted?: ReadonlyMap<string, readonly string[]>): UploadCredits {
  const hosts = new Map<string, string[]>();
  for (const r of active) hosts.set(r.infoHash, [...(hosts.get(r.infoHash) ?? []), r.node]);
  const transfers = page.transfers ?? [];
  const sharers = transfers.length === 0 ? new Map() : (counted ?? hostingRewards(active, page.torrents, 0n).counted);
  return uploadCredits(transfers, page.torrents, ctx.common.route ?? "fixed-gate", { receipts: page.receipts ?? [], hosts, sharers });
}

/** Adds page `b`'s weights into `a` (pages hold disjoint torrents). */
export function addPageWeights(a: PageWeights, b: PageWeights): PageWeights {
  a.totalWeight += b.totalWeight;
  a.missedWeight += b.missedWeight;
  for (const [k, v] of b.missed) a.missed.set(k, v);
  for (const [k, v] of b.uploadWeights) addTo(a.uploadWeights, k, v);
  for (const [k, v] of b.uploadCaps) addTo(a.uploadCaps, k, v);
  for (const [k, v] of b.spent) addTo(a.spent, k, v);
  return a;
}

/** The epoch-wide figures every page's rewards are computed from, and what is settled per node from the tally alone. */
export interface SettleTotals {
  hostingPool: bigint;
  totalWeight: bigint;
  missedWeight: bigint;
  upload: { perMember: Map<string, bigint>; paid: bigint; unspent: bigint };
  spent: Map<string, bigint>;
  penalties: ReturnType<typeof replicaPenalties>["penalties"];
  slashed: Map<string, bigint>;
  faults: ReturnType<typeof replicaPenalties>["faults"];
  replicaFaults: ReturnType<typeof replicaPenalties>["replicaFaults"];
}

export function settleTotals(ctx: SettleContext, w: PageWeights): SettleTotals {
  const upload = shareUploadPool(w.uploadWeights, w.uploadCaps, ctx.uploadPool);
  const hostingPool = ctx.hostingBase + upload.unspent;
  const p = replicaPenalties(ctx.tally, ctx.streaks, ctx.common.previous?.replicaFaults ?? [], (node, infoHash) => {
    const weight = w.missed.get(key(node, infoHash)) ?? 0n;
    return weight === 0n ? 0n : (hostingPool * weight) / (w.totalWeight + w.missedWeight);
  });
  return {
    hostingPool,
    totalWeight: w.totalWeight,
    missedWeight: w.missedWeight,
    upload,
    spent: w.spent,
    penalties: p.penalties,
    slashed: new Map(p.penalties.filter((x) => x.slashed > 0n).map((x) => [x.node, x.slashed])),
    faults: p.faults,
    replicaFaults: p.replicaFaults,
  };
}

/**
 * Sweep C's result for a page: its nodes' hosting and bounty earnings (upload shares are in the
 * totals), and the page's part of what the close publishes and carries (assembleSettlement).
 */
export interface PageSettlement {
  earned: Map<string, bigint>;
  hostingPaid: bigint;
  bountyDrawn: bigint;
  bountyDraws: BountyDraw[];
  bountyPerNode: Map<string, bigint>;
  /** The page's replica outcomes, upload credits and swarms (torrent order within the page). */
  replicas: ReplicaOutcome[];
  skipped: HostingResult["skipped"];
  credits: UploadCredit[];
  swarms: SwarmCredit[];
  /** Proven bytes and passed audits per node on the page's torrents. */
  provenBytes: Map<string, bigint>;
  passes: Map<string, number>;
  /** Every proven replica (seniority to carry) and the suspended ones, (torrent, node) order. */
  seniority: Seniority[];
  suspended: { node: string; infoHash: string }[];
}

export function settlePage(ctx: SettleContext, totals: SettleTotals, page: SettlePage): PageSettlement {
  const all = provenReplicas(ctx, page);
  const out = (r: ProvenReplica) => ctx.badNodes.has(r.node) || isSuspended(ctx.suspendedSet, r.node, r.infoHash);
  const active = all.filter((r) => !out(r));
  const hosting = hostingRewards(active, page.torrents, totals.hostingPool, totals.totalWeight);
  const bounties = bountyPayouts(
    page.torrents.filter((t) => (t.bounty ?? 0n) > 0n).map((t) => ({ infoHash: t.infoHash, balance: t.bounty! })),
    hosting.counted,
  );
  const earned = new Map<string, bigint>();
  for (const m of [hosting.perNode, bounties.perNode]) for (const [k, v] of m) addTo(earned, k, v);
  const credits = pageCredits(ctx, page, active);
  const challenges = page.challenges as EvaluatedChallenge[];
  const torrents = page.torrents as SettleTorrent[];
  const provenBytesOf = new Map(provenBytes(challenges, torrents).map((h) => [h.node, h.provenBytes]));
  const passes = new Map<string, number>();
  for (const v of nextVetting([], challenges, torrents)) passes.set(v.node, v.audits);
  return {
    earned,
    hostingPaid: hosting.paid,
    bountyDrawn: bounties.drawn,
    bountyDraws: bounties.draws,
    bountyPerNode: bounties.perNode,
    replicas: hosting.replicas,
    skipped: hosting.skipped,
    credits: credits.credits,
    swarms: credits.swarms,
    provenBytes: provenBytesOf,
    passes,
    seniority: all.map((r) => ({ node: r.node, infoHash: r.infoHash, since: r.since })),
    suspended: all.filter(out).map((r) => ({ node: r.node, infoHash: r.infoHash })),
  };
}

/** The commitment's parts: cumulative leaves, this epoch's earnings, pools and draws. */
export interface PagedSettlement {
  pools: Pools;
  earned: Map<string, bigint>;
  leaves: RewardLeaf[];
  spentLeaves: RewardLeaf[];
  slashedLeaves: RewardLeaf[];
  bountyDraws: BountyDraw[];
  totals: SettleTotals;
}

/** Adds the pages' settlements and the upload shares into the epoch's leaves and pools (in memory: 10k accounts is small). */
export function finishPaged(ctx: SettleContext, totals: SettleTotals, pages: Iterable<PageSettlement>): PagedSettlement {
  const earned = new Map<string, bigint>();
  let hostingPaid = 0n;
  let bountyDrawn = 0n;
  const draws: BountyDraw[] = [];
  for (const p of pages) {
    for (const [k, v] of p.earned) addTo(earned, k, v);
    hostingPaid += p.hostingPaid;
    bountyDrawn += p.bountyDrawn;
    draws.push(...p.bountyDraws);
  }
  for (const [k, v] of totals.upload.perMember) addTo(earned, k, v);
  const previous = ctx.common.previous ?? {};
  const uploadPaid = totals.upload.paid;
  return {
    pools: {
      emission: ctx.emission,
      hostingPool: totals.hostingPool,
      uploadPool: ctx.uploadPool,
      hostingPaid,
      uploadPaid,
      uploadToHosting: totals.upload.unspent,
      bountyDrawn,
      unspent: ctx.emission - hostingPaid - uploadPaid,
      paid: hostingPaid + uploadPaid + bountyDrawn,
    },
    earned,
    leaves: cumulativeLeaves(previous.earned, earned),
    spentLeaves: cumulativeLeaves(previous.spent, totals.spent),
    slashedLeaves: cumulativeLeaves(previous.slashed, totals.slashed),
    bountyDraws: draws.sort((a, b) => (a.infoHash < b.infoHash ? -1 : a.infoHash > b.infoHash ? 1 : 0)),
    totals,
  };
}

/** (torrent, node) order: settleEpoch's order of replicas, credits, seniority and suspensions. */
export const byTorrent = <T extends { infoHash: string; node: string }>(xs: T[]): T[] =>
  xs.sort((a, b) => (a.infoHash < b.infoHash ? -1 : a.infoHash > b.infoHash ? 1 : a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
/** Info-hash order: settleEpoch's order of swarms. */
export const bySwarm = (xs: SwarmCredit[]): SwarmCredit[] => xs.sort((a, b) => (a.infoHash < b.infoHash ? -1 : 1));

/** The per-replica and per-swarm lists of a Settlement: a page's share of each, in (torrent, node) order within it. */
export type SettlementLists = Pick<PageSettlement, "replicas" | "credits" | "swarms">;

/**
 * Folds sweep C's pages into the Settlement, a page at a time. With `keepLists` false the
 * replicas, credits and swarms are dropped as each page is added (the Settlement's lists come
 * out empty): a close that cannot hold them reads them again from its stored pages when it
 * publishes them. Pages ranged by info hash and added in range order need no sort across pages.
 */
export class SettlementFold {
  private readonly earnedOnPages = new Map<string, bigint>();
  private hostingPaid = 0n;
  private bountyDrawn = 0n;
  private readonly draws: BountyDraw[] = [];
  private readonly proven: Map<string, bigint>;
  private readonly passes = new Map<string, number>();
  private readonly bountyPerNode = new Map<string, bigint>();
  private readonly perNode = new Map<string, bigint>();
  private totalWeight = 0n;
  private readonly skipped: HostingResult["skipped"] = [];
  private readonly seniority: Seniority[] = [];
  private readonly suspended: { node: string; infoHash: string }[] = [];
  private readonly lists: SettlementLists = { replicas: [], credits: [], swarms: [] };
  private readonly ctx: SettleContext;
  private readonly totals: SettleTotals;
  private readonly keepLists: boolean;
  constructor(ctx: SettleContext, totals: SettleTotals, keepLists = true) {
    this.ctx = ctx;
    this.totals = totals;
    this.keepLists = keepLists;
    this.proven = new Map([...ctx.tally.keys()].map((n) => [n, 0n]));
  }

  add(p: PageSettlement): void {
    for (const [k, v] of p.earned) addTo(this.earnedOnPages, k, v);
    this.hostingPaid += p.hostingPaid;
    this.bountyDrawn += p.bountyDrawn;
    this.draws.push(...p.bountyDraws);
    for (const [k, v] of p.provenBytes) addTo(this.proven, k, v);
    for (const [k, v] of p.passes) this.passes.set(k, (this.passes.get(k) ?? 0) + v);
    for (const [k, v] of p.bountyPerNode) addTo(this.bountyPerNode, k, v);
    for (const r of p.replicas) {
      this.totalWeight += r.weight;
      if (r.weight > 0n) addTo(this.perNode, r.node, r.reward);
    }
    this.skipped.push(...p.skipped);
    this.seniority.push(...p.seniority);
    this.suspended.push(...p.suspended);
    if (this.keepLists) {
      this.lists.replicas.push(...p.replicas);
      this.lists.credits.push(...p.credits);
      this.lists.swarms.push(...p.swarms);
    }
  }

  /** The Settlement of the pages added, as settleEpoch returns it (`counted`, `vetted` and `caps`, read within a page and never published, left empty). */
  settlement(): Settlement {
    const { ctx, totals } = this;
    // The pages' sums as one page: finishPaged adds and sorts the same either way.
    const f = finishPaged(ctx, totals, [
      { earned: this.earnedOnPages, hostingPaid: this.hostingPaid, bountyDrawn: this.bountyDrawn, bountyDraws: this.draws, bountyPerNode: new Map(), replicas: [], skipped: [], credits: [], swarms: [], provenBytes: new Map(), passes: new Map(), seniority: [], suspended: [] },
    ]);
    // Every challenged node is listed with its earnings, 0 included (settleEpoch's provenBytes nodes).
    const earned = new Map<string, bigint>([...this.proven.keys()].sort().map((n) => [n, 0n]));
    for (const [k, v] of f.earned) addTo(earned, k, v);
    const audits = new Map(nextVetting(ctx.common.previous?.vetting ?? [], [], []).map((v) => [v.node, v.audits]));
    for (const [k, v] of this.passes) audits.set(k, Math.min(VETTING_AUDITS, (audits.get(k) ?? 0) + v));
    const heldBack = new Map<string, bigint>();
    for (const [k, v] of earned) if (v > 0n) heldBack.set(k, heldPart(v));
    return {
      epoch: ctx.epoch,
      pools: f.pools,
      provenBytes: [...this.proven.keys()].sort().map((node) => ({ node, provenBytes: this.proven.get(node)! })),
      hosting: {
        replicas: byTorrent(this.lists.replicas),
        perNode: this.perNode,
        counted: new Map(),
        vetted: new Map(),
        totalWeight: this.totalWeight,
        paid: f.pools.hostingPaid,
        skipped: this.skipped,
      },
      upload: { credits: byTorrent(this.lists.credits), swarms: bySwarm(this.lists.swarms), perMember: totals.upload.perMember, caps: new Map(), spent: totals.spent, paid: totals.upload.paid, unspent: totals.upload.unspent },
      bounties: { draws: f.bountyDraws, perNode: this.bountyPerNode, drawn: f.pools.bountyDrawn },
      earned,
      leaves: f.leaves,
      totalEarned: f.leaves.reduce((s, l) => s + l.cumulative, 0n),
      spent: totals.spent,
      spentLeaves: f.spentLeaves,
      penalties: totals.penalties,
      slashed: totals.slashed,
      slashedLeaves: f.slashedLeaves,
      faults: totals.faults,
      replicaFaults: totals.replicaFaults,
      vetting: [...audits].filter(([, a]) => a > 0).sort(([a], [b]) => (a < b ? -1 : 1)).map(([node, a]) => ({ node, audits: a })),
      bountyDraws: f.bountyDraws,
      heldBack,
      seniority: byTorrent(this.seniority),
      suspended: byTorrent(this.suspended),
    };
  }
}

/**
 * The whole Settlement from its pages, as settleEpoch returns it: what the close publishes
 * (settlementJson) and carries. Pages may come in any order.
 */
export function assembleSettlement(ctx: SettleContext, totals: SettleTotals, pages: readonly PageSettlement[]): Settlement {
  const fold = new SettlementFold(ctx, totals);
  for (const p of pages) fold.add(p);
  return fold.settlement();
}

/** A page's lists in the order settleEpoch publishes them: the page's share of the whole, when pages come in info-hash order. */
export function pageLists(p: SettlementLists): SettlementLists {
  return { replicas: byTorrent([...p.replicas]), credits: byTorrent([...p.credits]), swarms: bySwarm([...p.swarms]) };
}

/** The three sweeps over in-memory pages, for tests and `vidya verify`-style re-runs; the worker runs them as resumable steps. */
export function settlePaged(common: SettleCommon, pages: readonly SettlePage[], firstHosts?: ReadonlyMap<string, string>): PagedSettlement {
  const ctx = settleContext(common, tallyPages(pages, firstHosts));
  const totals = settleTotals(ctx, pages.reduce((acc, p) => addPageWeights(acc, pageWeights(ctx, p)), noWeights()));
  return finishPaged(ctx, totals, pages.map((p) => settlePage(ctx, totals, p)));
}

/** Each node's (lowercase) host of its first challenge in `challenges`' order (tallyPages' `firstHosts`). */
export function firstHostsOf(challenges: Iterable<EvaluatedChallenge>): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of challenges) {
    const node = c.node.toLowerCase();
    if (c.host !== undefined && !out.has(node)) out.set(node, c.host);
  }
  return out;
}

/** Pages of `perPage` torrents (info-hash order), each with every challenge, transfer and receipt of its torrents. */
export function pagesOf(inputs: SettleInputs, perPage: number): SettlePage[] {
  const torrents = [...inputs.torrents].sort((a, b) => (a.infoHash < b.infoHash ? -1 : 1));
  const pages: { torrents: SettleInputs["torrents"][number][]; challenges: SettleInputs["challenges"][number][]; transfers: NonNullable<SettleInputs["transfers"]>[number][]; receipts: NonNullable<SettleInputs["receipts"]>[number][] }[] = [];
  const pageOf = new Map<string, number>();
  torrents.forEach((t, i) => {
    const k = Math.floor(i / perPage);
    pages[k] ??= { torrents: [], challenges: [], transfers: [], receipts: [] };
    pages[k].torrents.push(t);
    pageOf.set(t.infoHash, k);
  });
  pages[0] ??= { torrents: [], challenges: [], transfers: [], receipts: [] };
  // A row of a torrent the close did not list (none today) goes to the first page: all of its rows together.
  const at = (infoHash: string) => pages[pageOf.get(infoHash) ?? 0]!;
  for (const c of inputs.challenges) at(c.infoHash).challenges.push(c);
  for (const t of inputs.transfers ?? []) at(t.infoHash).transfers.push(t);
  for (const r of inputs.receipts ?? []) at(r.infoHash).receipts.push(r);
  return pages;
}

/** settleEpoch's Settlement computed in pages of `perPage` torrents (the close's EPOCH_SETTLE=paged). */
export function settleInPages(inputs: SettleInputs, perPage: number): Settlement {
  const pages = pagesOf(inputs, perPage);
  const { epoch, route, locations, previous, emission } = inputs;
  const ctx = settleContext({ epoch, route, locations, previous, emission }, tallyPages(pages, firstHostsOf(inputs.challenges)));
  let weights = noWeights();
  for (const p of pages) weights = addPageWeights(weights, pageWeights(ctx, p));
  const totals = settleTotals(ctx, weights);
  return assembleSettlement(ctx, totals, pages.map((p) => settlePage(ctx, totals, p)));
}
