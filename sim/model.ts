// The agent-based model behind `npm run simulate` (docs/economics/report.md). Every amount the
// protocol decides comes from the same protocol/ functions the edge runs: saturation and surge
// per 5-minute window, the access route's prices and gate, the freemium allotment, and one
// `settleEpoch` per hourly epoch (hosting, upload and bounty rewards, spending, slashes), then
// the held-back earnings of every claim. What the protocol cannot decide is modelled here:
// members who want torrents, swarms that move bytes, nodes that choose what to host by the
// published offers and leave when they lose money, and attackers.

import type { Address } from "viem";
import { BPS, EMISSION_PER_EPOCH, ONE_TOKEN, SURGE_WINDOW_SECONDS } from "../protocol/params.ts";
import { downloadCharge, gateStake, initialAccess, joinFee, nextAccess, pricePerGB, type AccessRoute, type AccessState } from "../protocol/economics/access.ts";
import { buyVidya, poolAt, sellVidya, spotPrice } from "./pool.ts";
import { EMPTY_ALLOTMENT, freeRemaining, splitDownload, type AllotmentState } from "../protocol/economics/allotment.ts";
import { claimWithHoldback, EMPTY_HELD, slashHeld, type HeldSchedule } from "../protocol/economics/holdback.ts";
import { WEIGHT_SCALE } from "../protocol/economics/hosting-rewards.ts";
import { EMPTY_FORECAST, forecast, networkSaturationBps, observeWindow, saturationBps, type ForecastState } from "../protocol/economics/saturation.ts";
import { settleEpoch, type PreviousSettlement, type Settlement } from "../protocol/economics/settle.ts";
import { epochSurgeBps, nextSurgeBps, NEUTRAL_SURGE_BPS } from "../protocol/economics/surge.ts";
import type { Transfer } from "../protocol/economics/upload-rewards.ts";
import type { EvaluatedChallenge } from "../protocol/epoch/evaluate.ts";
import { hostingOffers, type OfferInput } from "../protocol/hosting/offers.ts";
import type { SimConfig } from "./config.ts";
import { Random } from "./random.ts";
import { relayPassRate } from "./measured.ts";

const GB = 1e9;
const EPOCH_SECONDS = 3_600;
const WINDOWS = EPOCH_SECONDS / SURGE_WINDOW_SECONDS;
const HOURS_PER_MONTH = 720;
const toTokens = (wei: bigint): number => Number(wei) / 1e18;

/** Regions nodes and members live in (latitude, longitude, share of nodes). */
const REGIONS = [
  { name: "Frankfurt", lat: 50.11, lon: 8.68, share: 0.22 },
  { name: "Paris", lat: 48.86, lon: 2.35, share: 0.1 },
  { name: "London", lat: 51.51, lon: -0.13, share: 0.1 },
  { name: "New York", lat: 40.71, lon: -74.01, share: 0.15 },
  { name: "San Francisco", lat: 37.77, lon: -122.42, share: 0.1 },
  { name: "São Paulo", lat: -23.55, lon: -46.63, share: 0.06 },
  { name: "Tokyo", lat: 35.68, lon: 139.69, share: 0.09 },
  { name: "Singapore", lat: 1.35, lon: 103.82, share: 0.06 },
  { name: "Sydney", lat: -33.87, lon: 151.21, share: 0.05 },
  { name: "Warsaw", lat: 52.23, lon: 21.01, share: 0.07 },
];

export type NodeKind = "honest" | "twin" | "self-trader" | "sybil-subnet" | "sybil-vpn" | "sybil-free" | "relay" | "geo-claim" | "geo-vpn";

interface SimNode {
  id: number;
  account: string;
  kind: NodeKind;
  /** Attackers and their honest twins share a group name. */
  group?: string;
  /** Identities behind one disk: only the first of a group serves bytes; the others copy its plan. */
  follows?: SimNode;
  ip: string;
  /** Hour of the day at which it plans (attackers and their twins plan at the same hour). */
  planHour: number;
  /** Where the edge sees the node (what settles the geo boost), and where it says it is. */
  seen: { lat: number; lon: number };
  claimed: { lat: number; lon: number };
  diskGB: number;
  uplink: number;
  /** torrent id → epoch from which the node holds it fully and can prove it. */
  hosted: Map<number, number>;
  interests: number[];
  active: boolean;
  joined: number;
  offlineUntil: number;
  missChance: number;
  vpnAddresses: number;
  earned: bigint;
  claimed_: bigint;
  held: HeldSchedule;
  received: bigint;
  slashOwed: bigint;
  slashedTaken: bigint;
  costUsd: number;
  uploadedEpoch: Map<number, number>;
  /** Per day: earned tokens and costs, for the exit decision and the report. */
  dayEarned: number;
  dayCost: number;
  dayHostedGB: number;
  trail: { earned: number; cost: number }[];
}

interface SimMember {
  id: number;
  account: string;
  demandGBPerDay: number;
  deposit: boolean;
  stake: number;
  joined: number;
  liar: boolean;
  /** Seeds the swarms the liar lies in, for real, at the rate the liar claims. */
  honestUploader: boolean;
  /** The member account of a self-trading node. */
  selfTrader?: SimNode;
  allot: AllotmentState;
  recent: Map<number, number>;
  downloading: number;
  acc: Map<number, { paid: number; free: number; uploaded: number; charged: bigint }>;
  charged: bigint;
  refunds: number;
  gb: number;
  paidGB: number;
  earned: bigint;
  costUsd: number;
  uploadedGB: number;
}

interface Download {
  member: SimMember;
  left: number;
  /** Served only by this node (self-trading). */
  from?: SimNode;
}

interface SimTorrent {
  id: number;
  infoHash: string;
  length: number;
  rank: number;
  popularity: number;
  forecast: ForecastState;
  surge: bigint;
  windowSurges: bigint[];
  bounty: bigint;
  leechers: Download[];
  seeds: { member: SimMember; until: number }[];
  lastSaturation: bigint;
}

/** One line per day (and a few per epoch) of what the report plots. */
export interface DayMetrics {
  day: number;
  nodes: number;
  members: number;
  replicasP10: number;
  replicasMedian: number;
  replicasP90: number;
  withReplica: number;
  withThree: number;
  serviceRatio: number;
  earnPerGBMedian: number;
  earnPerGBP10: number;
  earnPerGBP90: number;
  nodeProfitMedianUsd: number;
  memberCostPerGB: number;
  pricePerPaidGB: number;
  paidShare: number;
  feesIn: number;
  feesOut: number;
  bountyDrawn: number;
  hostingPaid: number;
  uploadPaid: number;
  unspent: number;
  minted: number;
  burned: number;
  schedule: number;
  gate: number;
  downloadedGB: number;
  /** The pool's price at the day's end: ETH per VIDYA, and dollars at the config's ETH price. */
  priceEth: number;
  priceUsd: number;
  /** Honest nodes' median earnings per GB-month, in ETH at the day's mean pool price. */
  ethPerGBMonthMedian: number;
  /** Join fees paid in (to the stakers' stream), and VIDYA members bought and nodes sold in the pool, per day. */
  joinFees: number;
  vidyaBought: number;
  vidyaSold: number;
}

export interface EpochMetrics {
  epoch: number;
  shockSurge: number[];
  shockReplicas: number[];
  shockSaturation: number[];
  networkSaturation: number;
}

export interface ActorResult {
  name: string;
  kind: string;
  group: string;
  revenueTokens: number;
  revenueUsd: number;
  costUsd: number;
  profitUsd: number;
  profitPerCost: number;
  note: string;
}

export interface SimResult {
  config: SimConfig;
  days: DayMetrics[];
  epochs: EpochMetrics[];
  actors: ActorResult[];
  finalReplicasByRank: { rank: number; replicas: number; sizeGB: number; surge: number }[];
  shockRanks: number[];
  /** The pool: ETH members paid for VIDYA and nodes received for theirs; the price at the start and the end, ETH per VIDYA. */
  market: { ethIn: number; ethOut: number; vidyaBought: number; vidyaSold: number; startPriceEth: number; endPriceEth: number; poolVidya: number; poolEth: number };
  totals: { epochs: number; settlements: number; millis: number; bountyFunded: number; bountyDrawn: number; members: number; nodesEver: number; selfTrade: { paidTokens: number; earnedTokens: number } };
}

const hex40 = (prefix: number, i: number): string => `0x${prefix.toString(16).padStart(4, "0")}${i.toString(16).padStart(36, "0")}`;

export function runSimulation(config: SimConfig): SimResult {
  const started = performance.now();
  const rnd = new Random(config.seed);
  const E = config.days * 24;
  const emission = (EMISSION_PER_EPOCH * BigInt(Math.round(config.emissionScale * 1e6))) / 1_000_000n;
  // The token's price is the pool's (sim/pool.ts), moved once an epoch by what members bought
  // (to join: the gate stake and join fee; to pay their charges; to fund bounties) and what nodes
  // sold (a share of each claim); stakers hold. Costs in dollars convert at it.
  let pool = poolAt(config.poolVidya, config.tokenPriceUsd / config.ethUsd);
  let price = config.tokenPriceUsd;
  const market = { bought: 0, sold: 0, joinFees: 0, ethIn: 0, ethOut: 0, vidyaBought: 0, vidyaSold: 0 };
  const route: AccessRoute = config.route;
  let access: AccessState = initialAccess(route);

  // ------------------------------------------------------------------ torrents
  const ranks = rnd.shuffle(Array.from({ length: config.torrents }, (_, i) => i));
  const torrents: SimTorrent[] = ranks.map((rank, id) => ({
    id,
    infoHash: id.toString(16).padStart(40, "0"),
    length: Math.round(rnd.lognormal(config.torrentMedianGB, config.torrentSigma, config.torrentMinGB, config.torrentMaxGB) * GB),
    rank,
    popularity: 1 / (rank + 1) ** config.zipf,
    forecast: EMPTY_FORECAST,
    surge: NEUTRAL_SURGE_BPS,
    windowSurges: [],
    bounty: 0n,
    leechers: [],
    seeds: [],
    lastSaturation: 0n,
  }));
  const byRank = [...torrents].sort((a, b) => a.rank - b.rank);
  const shockTorrents = config.shocks.map((s) => byRank[s.rank]!);
  config.shocks.forEach((s, i) => (shockTorrents[i]!.length = Math.round(s.sizeGB * GB)));

  // ------------------------------------------------------------------ nodes
  const nodes: SimNode[] = [];
  const nodeByAccount = new Map<string, SimNode>();
  const regionCumulative = REGIONS.reduce<number[]>((acc, r) => [...acc, (acc[acc.length - 1] ?? 0) + r.share], []);
  const place = () => {
    const r = REGIONS[rnd.weighted(regionCumulative)]!;
    // Homes spread within ~150 km of the city.
    return { lat: r.lat + (rnd.next() - 0.5) * 2.6, lon: r.lon + (rnd.next() - 0.5) * 3.4 };
  };
  const newIp = () => `${11 + rnd.int(200)}.${rnd.int(256)}.${rnd.int(256)}.${1 + rnd.int(250)}`;
  const addNode = (epoch: number, kind: NodeKind, traits: Partial<SimNode> = {}): SimNode => {
    const id = nodes.length;
    const location = traits.seen ?? place();
    const n: SimNode = {
      id,
      account: hex40(0x0de0, id),
      kind,
      ip: newIp(),
      planHour: id % config.replanHours,
      seen: location,
      claimed: location,
      diskGB: rnd.lognormal(config.diskMedianGB, config.diskSigma, 5, config.diskMaxGB),
      uplink: config.uplinkMin + rnd.next() * (config.uplinkMax - config.uplinkMin),
      hosted: new Map(),
      interests: [],
      active: true,
      joined: epoch,
      offlineUntil: 0,
      missChance: config.honestMissChance,
      vpnAddresses: 0,
      earned: 0n,
      claimed_: 0n,
      held: EMPTY_HELD,
      received: 0n,
      slashOwed: 0n,
      slashedTaken: 0n,
      costUsd: 0,
      uploadedEpoch: new Map(),
      dayEarned: 0,
      dayCost: 0,
      dayHostedGB: 0,
      trail: [],
      ...traits,
    };
    // Interests: a couple of torrents the operator wants anyway, biased to popular ones.
    if (n.interests.length === 0 && kind !== "relay") n.interests = Array.from({ length: rnd.int(3) }, () => byRank[Math.min(config.torrents - 1, Math.floor(rnd.next() ** 2 * config.torrents))]!.id);
    nodes.push(n);
    nodeByAccount.set(n.account, n);
    return n;
  };
  for (let i = 0; i < config.initialNodes; i++) addNode(0, "honest");

  // Attackers, each beside an honest twin with the same disk, uplink and place.
  const twinOf = (group: string, kind: NodeKind, extra: Partial<SimNode> = {}): [SimNode, SimNode] => {
    const attacker = addNode(0, kind, { group, diskGB: 12, uplink: 5_000_000, ...extra });
    const twin = addNode(0, "twin", { group, diskGB: 12, uplink: 5_000_000, ...extra, seen: attacker.seen, claimed: attacker.seen, interests: [...attacker.interests], planHour: attacker.planHour });
    return [attacker, twin];
  };
  const [selfTrader, selfTwin] = twinOf("self-trader", "self-trader");
  const [sybilA] = twinOf("sybil-subnet", "sybil-subnet");
  for (let k = 0; k < 2; k++) addNode(0, "sybil-subnet", { group: "sybil-subnet", follows: sybilA, ip: sybilA!.ip.replace(/\.\d+$/, `.${200 + k}`), seen: sybilA!.seen, claimed: sybilA!.seen, diskGB: sybilA!.diskGB, uplink: 0 });
  const [sybilV] = twinOf("sybil-vpn", "sybil-vpn");
  for (let k = 0; k < 2; k++) addNode(0, "sybil-vpn", { group: "sybil-vpn", follows: sybilV, seen: sybilV!.seen, claimed: sybilV!.seen, diskGB: sybilV!.diskGB, uplink: 0, vpnAddresses: 1 });
  // The same with addresses that cost nothing (IPv6 /48s can be free): the verdict may not hang on a price.
  const [sybilF] = twinOf("sybil-free", "sybil-free");
  for (let k = 0; k < 2; k++) addNode(0, "sybil-free", { group: "sybil-free", follows: sybilF, seen: sybilF!.seen, claimed: sybilF!.seen, diskGB: sybilF!.diskGB, uplink: 0 });
  twinOf("relay", "relay", { diskGB: 40 });
  const [geoClaim] = twinOf("geo-claim", "geo-claim");
  // It says it is in Sydney; the edge sees where it connects from.
  geoClaim!.claimed = { lat: -33.87, lon: 151.21 };
  const home = place();
  const [geoVpn] = twinOf("geo-vpn", "geo-vpn", { seen: home });
  // The VPN exit is on another continent, so the edge sees it there; the round trips cost it some challenges.
  geoVpn!.seen = { lat: -33.87 + rnd.next(), lon: 151.21 + rnd.next() };
  geoVpn!.vpnAddresses = 1;
  geoVpn!.missChance = 0.02;
  const twinGeoVpn = nodes.find((n) => n.group === "geo-vpn" && n.kind === "twin")!;
  twinGeoVpn.seen = home;

  // ------------------------------------------------------------------ members
  const members: SimMember[] = [];
  const memberByAccount = new Map<string, SimMember>();
  const addMember = (epoch: number, traits: Partial<SimMember> = {}): SimMember | undefined => {
    const willingness = rnd.lognormal(config.willingnessMedian, config.willingnessSigma);
    const gate = toTokens(gateStake(access));
    const m: SimMember = {
      id: members.length,
      account: hex40(0x3e3b, members.length),
      demandGBPerDay: rnd.lognormal(config.demandMedianGBPerDay, config.demandSigma, 0.02, 30),
      deposit: rnd.chance(config.depositShare),
      stake: gate,
      joined: epoch,
      liar: false,
      honestUploader: false,
      allot: EMPTY_ALLOTMENT,
      recent: new Map(),
      downloading: 0,
      acc: new Map(),
      charged: 0n,
      refunds: 0,
      gb: 0,
      paidGB: 0,
      earned: 0n,
      costUsd: 0,
      uploadedGB: 0,
      ...traits,
    };
    // The gate prices joining: a prospective member joins only if it is willing to put in that
    // much, the stake and (for arrivals; the genesis members held their stake already) the join fee.
    const fee = epoch > 0 ? toTokens(joinFee(access)) : 0;
    if (!traits.liar && !traits.honestUploader && !traits.selfTrader && willingness < gate + fee) return undefined;
    // Arrivals buy their stake and the join fee in the pool; the fee joins the stakers' stream.
    market.bought += epoch > 0 ? gate + fee : 0;
    market.joinFees += fee;
    members.push(m);
    memberByAccount.set(m.account, m);
    return m;
  };
  for (let i = 0; i < config.initialMembers; i++) addMember(0);
  const liar = addMember(0, { liar: true, deposit: false, demandGBPerDay: 0 })!;
  const uploader = addMember(0, { honestUploader: true, deposit: false, demandGBPerDay: 0 })!;
  const selfMember = addMember(0, { selfTrader: selfTrader, deposit: true, demandGBPerDay: 0 })!;

  // ------------------------------------------------------------------ state
  let previous: PreviousSettlement = {};
  let last: Settlement | undefined;
  let feePool = 0;
  // The join fees' part of the stream, kept apart so a member's cost per GB counts download fees only.
  let joinPool = 0;
  let minted = 0n;
  let burned = 0n;
  let bountyFunded = 0;
  let bountyDrawnTotal = 0;
  let settlements = 0;
  const selfTrade = { paid: 0n, earned: 0 };
  const days: DayMetrics[] = [];
  const epochs: EpochMetrics[] = [];
  const day = { served: 0, wanted: 0, charged: 0n, refunds: 0, gb: 0, paidGB: 0, feesIn: 0, feesOut: 0, bounty: 0, hosting: 0, upload: 0, unspent: 0, priceEthSum: 0, joinFees: 0, bought: 0, sold: 0, downloadFeesOut: 0 };
  const resetDay = () => Object.assign(day, { served: 0, wanted: 0, charged: 0n, refunds: 0, gb: 0, paidGB: 0, feesIn: 0, feesOut: 0, bounty: 0, hosting: 0, upload: 0, unspent: 0, priceEthSum: 0, joinFees: 0, bought: 0, sold: 0, downloadFeesOut: 0 });

  const popularityAt = (t: SimTorrent, epoch: number): number => {
    let p = t.popularity;
    config.shocks.forEach((s, i) => {
      if (shockTorrents[i] !== t) return;
      const since = epoch - s.day * 24;
      if (since >= 0) p *= 1 + (s.boost - 1) * 0.5 ** (since / s.halfLifeHours);
    });
    return p;
  };
  const ready = (n: SimNode, t: SimTorrent, epoch: number) => {
    const at = n.hosted.get(t.id);
    return at !== undefined && at <= epoch;
  };
  const online = (n: SimNode, epoch: number) => n.active && n.offlineUntil <= epoch;
  const countedOf = (t: SimTorrent): string[] => last?.hosting.counted.get(t.infoHash) ?? [];

  // ------------------------------------------------------------------ planning
  const costPerGBEpochTokens = () => config.diskUsdPerGBMonth / HOURS_PER_MONTH / price;
  const offersFor = (n: SimNode | undefined) => {
    const inputs: OfferInput[] = torrents.map((t) => {
      const counted = countedOf(t);
      const mine = n !== undefined && counted.includes(n.account);
      return { infoHash: t.infoHash, name: String(t.id), length: t.length, replicas: counted.length, mine, surgeBps: last ? epochSurgeBps(t.windowSurges) : NEUTRAL_SURGE_BPS, bounty: t.bounty };
    });
    const ctx = last ? { provenBytes: 0n, totalWeight: last.hosting.totalWeight / WEIGHT_SCALE, pool: last.pools.hostingPool } : { provenBytes: 0n, pool: (emission * 7_000n) / BPS };
    return hostingOffers(inputs, ctx);
  };
  const torrentByHash = new Map(torrents.map((t) => [t.infoHash, t]));
  const plan = (n: SimNode, epoch: number) => {
    if (n.follows) {
      n.hosted = new Map(n.follows.hosted);
      return;
    }
    const offers = offersFor(n);
    const value = new Map(offers.map((o) => [o.infoHash, toTokens(o.expectedRewardPerGB)]));
    if (n.kind === "relay") {
      // Claims what many already seed (the blocks are easy to fetch in time), up to a pretend disk.
      const candidates = offers.filter((o) => o.replicas >= 3).map((o) => torrentByHash.get(o.infoHash)!);
      const next = new Map<number, number>();
      let used = 0;
      for (const t of candidates) {
        if (used + t.length / GB > n.diskGB) continue;
        used += t.length / GB;
        next.set(t.id, n.hosted.get(t.id) ?? epoch);
      }
      n.hosted = next;
      return;
    }
    const ranked = torrents
      .map((t) => ({ t, v: (value.get(t.infoHash) ?? 0) * (n.hosted.has(t.id) ? config.keepBias : 1), want: n.interests.includes(t.id) }))
      .sort((a, b) => Number(b.want) - Number(a.want) || b.v - a.v || a.t.id - b.t.id);
    const next = new Map<number, number>();
    let used = 0;
    for (const { t, v, want } of ranked) {
      const size = t.length / GB;
      if (used + size > n.diskGB) continue;
      if (!want && v < costPerGBEpochTokens()) continue;
      used += size;
      // A new torrent is fetched at the node's rate (at least an hour) before it can be proved.
      next.set(t.id, n.hosted.get(t.id) ?? epoch + 1 + Math.floor(t.length / (Math.max(n.uplink, 2e6) * EPOCH_SECONDS)));
    }
    n.hosted = next;
  };

  // ------------------------------------------------------------------ the run
  for (let epoch = 1; epoch <= E; epoch++) {
    const d = Math.floor((epoch - 1) / 24);
    const hour = (epoch - 1) % 24;
    const now = 1_800_000_000 + epoch * EPOCH_SECONDS;

    if (hour === 0) {
      // Daily: arrivals, bounties, nodes joining and leaving.
      const arrivals = epoch === 1 ? 0 : rnd.poisson(config.membersPerDay);
      for (let i = 0; i < arrivals; i++) addMember(epoch);
      for (const b of config.bounties) {
        if (b.day !== d) continue;
        byRank[b.rank]!.bounty += BigInt(b.amount) * ONE_TOKEN;
        bountyFunded += b.amount;
        market.bought += b.amount;
      }
      if (epoch > 1) {
        for (const n of nodes) {
          if (!n.active || n.kind !== "honest") continue;
          const recent = n.trail.slice(-3);
          const earned = recent.reduce((s, x) => s + x.earned, 0) * price;
          const cost = recent.reduce((s, x) => s + x.cost, 0);
          if (recent.length === 3 && earned < config.exitMargin * cost) {
            n.active = false;
            n.hosted.clear();
          }
        }
        const active = nodes.filter((n) => n.active).length;
        const offers = offersFor(undefined);
        for (let c = 0; c < config.candidatesPerDay && active + c < config.maxNodes; c++) {
          const disk = rnd.lognormal(config.diskMedianGB, config.diskSigma, 5, config.diskMaxGB);
          let used = 0;
          let expected = 0;
          for (const o of offers) {
            const size = o.length / GB;
            if (used + size > disk) continue;
            used += size;
            expected += toTokens(o.expectedRewardPerGB) * size;
          }
          const cost = config.fixedUsdPerMonth / HOURS_PER_MONTH + (used * config.diskUsdPerGBMonth) / HOURS_PER_MONTH;
          if (expected * price >= config.entryMargin * cost) plan(addNode(epoch, "honest", { diskGB: disk }), epoch);
        }
      }
    }

    for (const n of nodes) {
      if (n.active && n.kind !== "relay" && !n.follows && n.offlineUntil <= epoch && rnd.chance(config.offlineChance)) n.offlineUntil = epoch + 1 + rnd.int(config.offlineMaxEpochs);
    }

    // Members start downloads: torrents drawn by popularity (shocks included), each at most once a month.
    const cumulative: number[] = [];
    let acc = 0;
    for (const t of torrents) cumulative.push((acc += popularityAt(t, epoch)));
    for (const m of members) {
      if (m.liar || m.honestUploader || m.selfTrader) continue;
      if (m.downloading >= 2 || !rnd.chance(m.demandGBPerDay / 24 / config.torrentMedianGB)) continue;
      const t = torrents[rnd.weighted(cumulative)]!;
      const lastTime = m.recent.get(t.id);
      if (lastTime !== undefined && epoch - lastTime < 30 * 24) continue;
      m.recent.set(t.id, epoch);
      m.downloading++;
      t.leechers.push({ member: m, left: t.length });
    }
    // Shock bursts: a share of the members start the hot torrent within its first hours.
    config.shocks.forEach((s, i) => {
      const since = epoch - s.day * 24;
      if (since < 0 || since >= s.burstHours) return;
      const t = shockTorrents[i]!;
      for (const m of members) {
        if (m.liar || m.honestUploader || m.selfTrader || m.recent.has(t.id) || !rnd.chance(s.burst / s.burstHours)) continue;
        m.recent.set(t.id, epoch);
        m.downloading++;
        t.leechers.push({ member: m, left: t.length });
      }
    });
    // The self-trader's member keeps downloading the hot torrent from its own node while it is hot.
    const shock0 = config.shocks[0]!;
    const hot = shockTorrents[0]!;
    const selfWindow = epoch >= shock0.day * 24 && epoch < shock0.day * 24 + 48;
    if (selfWindow) {
      // Both it and its twin hold the hot torrent while it is hot: the twin only does not trade with itself.
      for (const n of [selfTrader!, selfTwin!]) if (!n.hosted.has(hot.id)) n.hosted.set(hot.id, epoch);
      if (selfMember.downloading === 0) {
        selfMember.downloading++;
        hot.leechers.push({ member: selfMember, left: hot.length, from: selfTrader });
      }
    }

    // ---------------------------------------------------------------- windows
    // Who can serve what this epoch: online nodes holding a torrent fully (copies behind one
    // disk and relays serve nothing).
    const nodeSeeds = new Map<number, SimNode[]>();
    for (const n of nodes) {
      if (!online(n, epoch) || n.follows || n.kind === "relay") continue;
      for (const [id, at] of n.hosted) if (at <= epoch) (nodeSeeds.get(id) ?? nodeSeeds.set(id, []).get(id)!).push(n);
    }
    for (let w = 0; w < WINDOWS; w++) {
      // A node's uplink is shared by its swarms that have leechers now.
      const busy = new Map<SimNode, number>();
      for (const t of torrents) if (t.leechers.length > 0) for (const n of nodeSeeds.get(t.id) ?? []) busy.set(n, (busy.get(n) ?? 0) + 1);
      const liarSwarms = new Set(
        torrents
          .filter((t) => t.leechers.some((l) => l.member.deposit && !l.from))
          .sort((a, b) => Number(b.surge - a.surge) || a.id - b.id)
          .slice(0, 4)
          .map((t) => t.id),
      );
      for (const t of torrents) {
        const gbPrice = pricePerGB(route, t.surge);
        const seeders: { node?: SimNode; member?: SimMember; rate: number }[] = [];
        for (const n of nodeSeeds.get(t.id) ?? []) seeders.push({ node: n, rate: n.uplink / (busy.get(n) ?? 1) });
        t.seeds = t.seeds.filter((s) => s.until > epoch);
        for (const s of t.seeds) seeders.push({ member: s.member, rate: config.memberUplink });
        if (liarSwarms.has(t.id)) seeders.push({ member: uploader, rate: 5_000_000 });
        const capacity = seeders.reduce((s, x) => s + x.rate, 0) * SURGE_WINDOW_SECONDS;
        let served = 0;
        let left = 0;
        if (t.leechers.length > 0) {
          const wants = t.leechers.map((l) => {
            if (l.from) return 0;
            const slowed = !l.member.deposit && freeRemaining(l.member.allot, d) === 0n;
            return Math.min(l.left, config.leechRate * SURGE_WINDOW_SECONDS) * (slowed ? 0.25 : 1);
          });
          const wanted = wants.reduce((s, x) => s + x, 0);
          // Wanted at the rate each may take (a slowed member a quarter): what capacity could have served.
          day.wanted += wanted;
          served = Math.min(capacity, wanted);
          day.served += served;
          const share = wanted > 0 ? served / wanted : 0;
          for (const s of seeders) {
            const up = capacity > 0 ? (s.rate * SURGE_WINDOW_SECONDS * served) / capacity : 0;
            if (s.node) s.node.uploadedEpoch.set(t.id, (s.node.uploadedEpoch.get(t.id) ?? 0) + up);
            else if (s.member) {
              accOf(s.member, t.id).uploaded += up;
              s.member.uploadedGB += up / GB;
            }
          }
          t.leechers.forEach((l, i) => {
            let got = wants[i]! * share;
            if (l.from) {
              // Self-trading: bytes from its own node only, as fast as the node sends them.
              got = Math.min(l.left, l.from.uplink * SURGE_WINDOW_SECONDS);
              l.from.uploadedEpoch.set(t.id, (l.from.uploadedEpoch.get(t.id) ?? 0) + got);
              served += got;
            }
            if (got <= 0) return;
            l.left -= got;
            const m = l.member;
            const split = splitDownload(m.allot, d, BigInt(Math.round(got)), m.deposit);
            m.allot = split.state;
            const charge = downloadCharge(split.paid, gbPrice);
            const a = accOf(m, t.id);
            a.paid += Number(split.paid);
            a.free += Number(split.free + split.slowed);
            a.charged += charge;
            m.charged += charge;
            m.gb += got / GB;
            m.paidGB += Number(split.paid) / GB;
            if (m.selfTrader) selfTrade.paid += charge;
            day.charged += charge;
            day.gb += got / GB;
            day.paidGB += Number(split.paid) / GB;
          });
          for (const l of t.leechers.filter((x) => x.left <= 1)) {
            l.member.downloading--;
            if (!l.from) t.seeds.push({ member: l.member, until: epoch + config.memberSeedHours });
          }
          t.leechers = t.leechers.filter((l) => l.left > 1);
          left = t.leechers.reduce((s, l) => s + l.left, 0);
        }
        // The lying client reports uploads in the hottest swarms with paying downloaders, uploading nothing.
        if (liarSwarms.has(t.id)) accOf(liar, t.id).uploaded += 5_000_000 * SURGE_WINDOW_SECONDS;
        t.forecast = observeWindow(t.forecast, {
          seconds: SURGE_WINDOW_SECONDS,
          downloaded: BigInt(Math.round(served)),
          uploaded: BigInt(Math.round(served)),
          left: BigInt(Math.round(left)),
          leechers: t.leechers.length,
          seeders: seeders.length,
        });
        t.lastSaturation = saturationBps(forecast(t.forecast));
        t.surge = nextSurgeBps(t.surge, t.lastSaturation);
        t.windowSurges.push(t.surge);
      }
    }

    // ---------------------------------------------------------------- epoch close
    const challenges: EvaluatedChallenge[] = [];
    for (const n of nodes) {
      if (!n.active) continue;
      const up = online(n.follows ?? n, epoch);
      for (const [id, at] of n.hosted) {
        if (at > epoch) continue;
        const t = torrents[id]!;
        let pass: boolean;
        if (n.kind === "relay") {
          // Fetches the challenged blocks from the nearest online node seeding it, passing as often as
          // the measured relay did against its source's round trip (docs/challenges.md).
          const km = Math.min(Infinity, ...(nodeSeeds.get(t.id) ?? []).map((s) => distanceKm(n.seen, s.seen)));
          pass = rnd.chance(relayPassRate(roundTripMs(km)));
        } else pass = up && !rnd.chance(n.missChance);
        challenges.push({ node: n.account, infoHash: t.infoHash, verdict: pass ? "pass" : "timeout", host: n.ip });
      }
    }
    const transfers: Transfer[] = [];
    for (const m of members) {
      for (const [id, a] of m.acc) {
        if (a.paid === 0 && a.free === 0 && a.uploaded === 0) continue;
        transfers.push({ member: m.account, infoHash: torrents[id]!.infoHash, paidDownloaded: BigInt(Math.round(a.paid)), freeDownloaded: BigInt(Math.round(a.free)), uploaded: BigInt(Math.round(a.uploaded)), charged: a.charged });
      }
      m.acc.clear();
    }
    for (const n of nodes) {
      for (const [id, up] of n.uploadedEpoch) if (up > 0) transfers.push({ member: n.account, infoHash: torrents[id]!.infoHash, paidDownloaded: 0n, uploaded: BigInt(Math.round(up)) });
    }
    const settled = settleEpoch({
      epoch,
      route,
      challenges,
      torrents: torrents.map((t) => ({ infoHash: t.infoHash, length: t.length, rootStatus: "confirmed" as const, surgeBps: epochSurgeBps(t.windowSurges), bounty: t.bounty })),
      locations: nodes.filter((n) => n.active).map((n) => ({ node: n.account, lat: n.seen.lat, lon: n.seen.lon })),
      transfers,
      previous,
      emission,
    });
    settlements++;
    last = settled;
    previous = { earned: settled.leaves, slashed: settled.slashedLeaves, spent: settled.spentLeaves, faults: settled.faults, seniority: settled.seniority, replicaFaults: settled.replicaFaults, vetting: settled.vetting };

    // Apply: earnings, claims with holdback, slashes from held earnings, bounties, fees.
    for (const [account, v] of settled.earned) {
      if (v === 0n) continue;
      const n = nodeByAccount.get(account);
      if (n) {
        n.earned += v;
        n.dayEarned += toTokens(v);
        if (n === selfTrader) {
          // Upload credits are per node since receipts (upload-rewards.ts): receipted + unreceipted shares.
          const creditedOf = (c: { receipted: bigint; unreceipted: bigint }) => c.receipted + c.unreceipted;
          const hotSwarm = settled.upload.credits.find((c) => c.node === account && c.infoHash === hot.infoHash);
          const all = settled.upload.credits.filter((c) => c.node === account).reduce((s, c) => s + creditedOf(c), 0n);
          if (hotSwarm && all > 0n) selfTrade.earned += toTokens(settled.upload.perMember.get(account) ?? 0n) * (Number(creditedOf(hotSwarm)) / Number(all));
        }
      }
      const m = memberByAccount.get(account);
      if (m) m.earned += v;
    }
    for (const n of nodes) {
      if (epoch % config.claimHours === n.id % config.claimHours && n.earned > n.claimed_) {
        const c = claimWithHoldback(n.held, n.earned - n.claimed_, now);
        n.held = c.schedule;
        n.received += c.paid;
        market.sold += config.nodeSellShare * toTokens(c.paid);
        n.claimed_ = n.earned;
      }
    }
    for (const [account, amount] of settled.slashed) {
      const n = nodeByAccount.get(account);
      if (!n) continue;
      n.slashOwed += amount;
      const s = slashHeld(n.held, n.slashOwed, now);
      n.held = s.schedule;
      n.received += s.paid;
      n.slashOwed -= s.taken;
      n.slashedTaken += s.taken;
      burned += s.taken;
    }
    for (const draw of settled.bountyDraws) torrentByHash.get(draw.infoHash)!.bounty -= draw.amount;
    bountyDrawnTotal += toTokens(settled.pools.bountyDrawn);
    minted += settled.pools.paid - settled.pools.bountyDrawn;
    const epochCharged = toTokens([...settled.spent.values()].reduce((s, x) => s + x, 0n));
    // Download fees and join fees stream to stakers together.
    feePool += epochCharged;
    joinPool += market.joinFees;
    // Members buy what their deposits paid; then the epoch's buys and sells meet the pool.
    market.bought += epochCharged;
    if (market.bought > 0) {
      const t = buyVidya(pool, market.bought);
      pool = t.pool;
      market.ethIn += t.eth;
    }
    if (market.sold > 0) {
      const t = sellVidya(pool, market.sold);
      pool = t.pool;
      market.ethOut += t.eth;
    }
    price = spotPrice(pool) * config.ethUsd;
    day.priceEthSum += spotPrice(pool);
    day.joinFees += market.joinFees;
    day.bought += market.bought;
    day.sold += market.sold;
    market.vidyaBought += market.bought;
    market.vidyaSold += market.sold;
    market.bought = 0;
    market.sold = 0;
    market.joinFees = 0;
    // The fee pool streams over FEE_STREAM_SECONDS (30 days); its stakers are the members.
    const fromDownloads = feePool / (30 * 24);
    const fromJoins = joinPool / (30 * 24);
    feePool -= fromDownloads;
    joinPool -= fromJoins;
    const out = fromDownloads + fromJoins;
    day.downloadFeesOut += fromDownloads;
    const totalStake = members.reduce((s, m) => s + m.stake, 0);
    for (const m of members) m.refunds += (out * m.stake) / totalStake;
    Object.assign(day, {
      feesIn: day.feesIn + epochCharged,
      feesOut: day.feesOut + out,
      bounty: day.bounty + toTokens(settled.pools.bountyDrawn),
      hosting: day.hosting + toTokens(settled.pools.hostingPaid),
      upload: day.upload + toTokens(settled.pools.uploadPaid),
      unspent: day.unspent + toTokens(settled.pools.unspent),
    });
    access = nextAccess(access, networkSaturationBps(torrents.map((t) => forecast(t.forecast))));

    // Costs of the epoch.
    for (const n of nodes) {
      if (!n.active) continue;
      const heldGB = n.follows || n.kind === "relay" ? 0 : [...n.hosted.keys()].reduce((s, id) => s + torrents[id]!.length / GB, 0);
      const uploadedGB = [...n.uploadedEpoch.values()].reduce((s, x) => s + x, 0) / GB;
      // Identities behind one machine share its power; each VPN address is paid for.
      const fixed = n.follows ? 0 : config.fixedUsdPerMonth / HOURS_PER_MONTH;
      const cost = fixed + (heldGB * config.diskUsdPerGBMonth) / HOURS_PER_MONTH + uploadedGB * config.bandwidthUsdPerGB + (n.vpnAddresses * config.vpnUsdPerMonth) / HOURS_PER_MONTH;
      n.costUsd += cost;
      n.dayCost += cost;
      n.dayHostedGB += [...n.hosted].filter(([, at]) => at <= epoch).reduce((s, [id]) => s + torrents[id]!.length / GB, 0) / 24;
      n.uploadedEpoch.clear();
    }
    for (const m of members) m.costUsd += (m.stake * config.stakeOpportunityPerYear * price) / (365 * 24) + (m.liar || m.honestUploader ? config.vpnUsdPerMonth / HOURS_PER_MONTH : 0);

    // Nodes plan again, a 24th of them each hour.
    for (const n of nodes) if (n.active && (n.planHour + epoch) % config.replanHours === 0) plan(n, epoch);
    for (const n of nodes) if (n.active && n.follows) plan(n, epoch);
    for (const t of torrents) t.windowSurges = [];

    epochs.push({
      epoch,
      shockSurge: shockTorrents.map((t) => Number(t.surge) / Number(BPS)),
      shockReplicas: shockTorrents.map((t) => countedOf(t).length),
      shockSaturation: shockTorrents.map((t) => Number(t.lastSaturation) / Number(BPS)),
      networkSaturation: Number(networkSaturationBps(torrents.map((t) => forecast(t.forecast)))) / Number(BPS),
    });

    if (hour === 23) {
      const counts = torrents.map((t) => countedOf(t).length).sort((a, b) => a - b);
      const honest = nodes.filter((n) => n.active && n.kind === "honest" && n.dayHostedGB > 0.01);
      const perGB = honest.map((n) => n.dayEarned / n.dayHostedGB).sort((a, b) => a - b);
      const profit = honest.map((n) => n.dayEarned * price - n.dayCost).sort((a, b) => a - b);
      // Download charges less the download fees streamed back to members as stakers (join fees apart).
      const memberCost = toTokens(day.charged) - day.downloadFeesOut;
      days.push({
        day: d + 1,
        nodes: nodes.filter((n) => n.active).length,
        members: members.length,
        replicasP10: quantile(counts, 0.1),
        replicasMedian: quantile(counts, 0.5),
        replicasP90: quantile(counts, 0.9),
        withReplica: counts.filter((c) => c >= 1).length / counts.length,
        withThree: counts.filter((c) => c >= 3).length / counts.length,
        serviceRatio: day.wanted > 0 ? day.served / day.wanted : 1,
        earnPerGBMedian: quantile(perGB, 0.5),
        earnPerGBP10: quantile(perGB, 0.1),
        earnPerGBP90: quantile(perGB, 0.9),
        nodeProfitMedianUsd: quantile(profit, 0.5),
        memberCostPerGB: day.gb > 0 ? memberCost / day.gb : NaN,
        pricePerPaidGB: day.paidGB > 0 ? toTokens(day.charged) / day.paidGB : NaN,
        paidShare: day.gb > 0 ? day.paidGB / day.gb : NaN,
        feesIn: day.feesIn,
        feesOut: day.feesOut,
        bountyDrawn: day.bounty,
        hostingPaid: day.hosting,
        uploadPaid: day.upload,
        unspent: day.unspent,
        minted: toTokens(minted),
        burned: toTokens(burned),
        schedule: toTokens(emission) * epoch,
        gate: toTokens(gateStake(access)),
        downloadedGB: day.gb,
        priceEth: spotPrice(pool),
        priceUsd: price,
        // VIDYA per GB-day × 30 days × the day's mean price.
        ethPerGBMonthMedian: quantile(perGB, 0.5) * 30 * (day.priceEthSum / 24),
        joinFees: day.joinFees,
        vidyaBought: day.bought,
        vidyaSold: day.sold,
      });
      for (const n of nodes) {
        n.trail.push({ earned: n.dayEarned, cost: n.dayCost });
        n.dayEarned = 0;
        n.dayCost = 0;
        n.dayHostedGB = 0;
      }
      resetDay();
    }
  }

  // ------------------------------------------------------------------ results
  const nodeRevenue = (n: SimNode) => toTokens(n.earned) - toTokens(n.slashedTaken);
  const actor = (name: string, kind: string, group: string, revenueTokens: number, costUsd: number, note: string): ActorResult => {
    const revenueUsd = revenueTokens * price;
    const profitUsd = revenueUsd - costUsd;
    return { name, kind, group, revenueTokens, revenueUsd, costUsd, profitUsd, profitPerCost: costUsd > 0 ? profitUsd / costUsd : NaN, note };
  };
  const groupNodes = (group: string, kind: NodeKind) => nodes.filter((n) => n.group === group && n.kind === kind);
  const sumNodes = (ns: SimNode[]) => ({ revenue: ns.reduce((s, n) => s + nodeRevenue(n), 0), cost: ns.reduce((s, n) => s + n.costUsd, 0) });
  // The honest baseline: the median, by profit per unit of cost, of honest nodes still active at
  // the end after at least 30 days.
  const ratio = (n: SimNode) => (nodeRevenue(n) * price - n.costUsd) / n.costUsd;
  const tenured = nodes.filter((n) => n.kind === "honest" && n.active && E - n.joined >= Math.min(30 * 24, E / 2));
  const honestActive = (tenured.length ? tenured : nodes.filter((n) => n.kind === "honest")).sort((a, b) => ratio(a) - ratio(b));
  const medianHonest = honestActive[Math.floor(honestActive.length / 2)]!;
  const actors: ActorResult[] = [actor("honest node (median of those active 30+ days)", "honest", "honest", nodeRevenue(medianHonest), medianHonest.costUsd, `${medianHonest.diskGB.toFixed(0)} GB disk`)];
  const pair = (group: string, attackerName: string, note: string, extraRevenue = 0, extraCost = 0) => {
    const a = sumNodes(groupNodes(group, group as NodeKind));
    const t = sumNodes(groupNodes(group, "twin"));
    actors.push(actor(attackerName, group, group, a.revenue + extraRevenue, a.cost + extraCost, note));
    actors.push(actor(`  its honest twin`, "twin", group, t.revenue, t.cost, "same disk, uplink and place, honest"));
  };
  pair("self-trader", "node trading with itself on a hot torrent", `paid ${toTokens(selfTrade.paid).toFixed(1)} VIDYA to download from itself, earned ${selfTrade.earned.toFixed(1)} back on those bytes`, selfMember.refunds, toTokens(selfMember.charged) * price + selfMember.costUsd);
  const copies = (group: string) => nodes.filter((n) => n.group === group && n.follows).reduce((s, n) => s + nodeRevenue(n), 0);
  pair("sybil-subnet", "three identities on one disk, one /24", `the two copies earned ${copies("sybil-subnet").toFixed(1)} VIDYA, only when the first identity missed a challenge they answered`);
  pair("sybil-vpn", "three identities on one disk, three /24s via VPN", `the two copies earned ${copies("sybil-vpn").toFixed(1)} VIDYA; VPN addresses at $${config.vpnUsdPerMonth}/month each`);
  pair("sybil-free", "three identities on one disk, three subnets, addresses free", `the two copies earned ${copies("sybil-free").toFixed(1)} VIDYA; no address cost`);
  pair("relay", "relaying node (stores nothing)", "fetches challenged blocks from the nearest seeding node; passes at the measured rate for that round trip");
  pair("geo-claim", "node claiming a far location", "the edge ignores what nodes claim");
  pair("geo-vpn", "node faking its location through a VPN", "edge sees the VPN exit; more missed challenges");
  actors.push(actor("client lying about uploads", "liar", "liar", toTokens(liar.earned) + liar.refunds, liar.costUsd, "reports 5 MB/s in the four hottest paid swarms, sends nothing"));
  actors.push(actor("  its honest twin", "member", "liar", toTokens(uploader.earned) + uploader.refunds, uploader.costUsd + (uploader.uploadedGB * config.bandwidthUsdPerGB), "seeds the same swarms at 5 MB/s for real"));

  const finalReplicasByRank = byRank.map((t) => ({ rank: t.rank, replicas: countedOf(t).length, sizeGB: t.length / GB, surge: Number(t.surge) / Number(BPS) }));
  return {
    config,
    days,
    epochs,
    actors,
    finalReplicasByRank,
    shockRanks: config.shocks.map((s) => s.rank),
    market: { ethIn: market.ethIn, ethOut: market.ethOut, vidyaBought: market.vidyaBought, vidyaSold: market.vidyaSold, startPriceEth: config.tokenPriceUsd / config.ethUsd, endPriceEth: spotPrice(pool), poolVidya: pool.vidya, poolEth: pool.eth },
    totals: { epochs: E, settlements, millis: performance.now() - started, bountyFunded, bountyDrawn: bountyDrawnTotal, members: members.length, nodesEver: nodes.length, selfTrade: { paidTokens: toTokens(selfTrade.paid), earnedTokens: selfTrade.earned } },
  };
}

/** Great-circle distance (km). */
export function distanceKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const r = Math.PI / 180;
  const h = Math.sin(((b.lat - a.lat) * r) / 2) ** 2 + Math.cos(a.lat * r) * Math.cos(b.lat * r) * Math.sin(((b.lon - a.lon) * r) / 2) ** 2;
  return 2 * 6_371 * Math.asin(Math.sqrt(h));
}
/** A round trip over fibre (200 km/ms) along a path 1.5× the great circle, plus 2 ms at the ends. */
export const roundTripMs = (km: number): number => 2 + (2 * 1.5 * km) / 200;
/** The relay's pass rate against its source's round trip, as the adversarial suite measured it (sim/measured.ts). */
export { relayPassRate };

function accOf(m: SimMember, id: number) {
  let a = m.acc.get(id);
  if (!a) m.acc.set(id, (a = { paid: 0, free: 0, uploaded: 0, charged: 0n }));
  return a;
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (i - lo);
}

export type { Address };
