// The simulation's assumptions, in one place (docs/economics/report.md prints them). Physical
// quantities are plain numbers (bytes, seconds, US dollars); everything the protocol decides
// goes through protocol/ as bigint wei.

import type { AccessRoute } from "../protocol/economics/access.ts";

export interface SimConfig {
  seed: number;
  route: AccessRoute;
  days: number;
  /**
   * The simulated network is a sample of a larger one: it is paid this fraction of the epoch
   * emission, so each node earns what a node of the full network would (emission per node is
   * what matters to a node; a 1% sample of a 20,000-node network is 200 nodes).
   */
  emissionScale: number;
  /**
   * The token's price at the start, dollars. From then on the price is the VIDYA/ETH pool's
   * (sim/pool.ts: x·y = k, 0.3% fee) times `ethUsd`: members buy there to join and to pay,
   * nodes sell `nodeSellShare` of what they claim, stakers hold.
   */
  tokenPriceUsd: number;
  /** ETH's price in dollars (held constant: the pool moves VIDYA's price in ETH). */
  ethUsd: number;
  /** VIDYA in the pool at the start (the sample's share of the treasury's liquidity); ETH at the start price. */
  poolVidya: number;
  /** Share of each claim a node sells for ETH at once (the rest, and its held-back part, it holds). */
  nodeSellShare: number;

  torrents: number;
  /** Torrent sizes: log-normal, median and log-space deviation, clamped (GB). */
  torrentMedianGB: number;
  torrentSigma: number;
  torrentMinGB: number;
  torrentMaxGB: number;
  /** Zipf exponent of torrent popularity. */
  zipf: number;

  initialNodes: number;
  maxNodes: number;
  /** Prospective nodes per day, each joining when the offers beat its costs by `entryMargin`. */
  candidatesPerDay: number;
  entryMargin: number;
  /** A node leaves when its trailing three days earned less than this share of its costs. */
  exitMargin: number;
  /** Disk offered (GB): log-normal around the design's 5 GB, clamped. */
  diskMedianGB: number;
  diskSigma: number;
  diskMaxGB: number;
  /** Upload capacity (bytes/s) range. */
  uplinkMin: number;
  uplinkMax: number;
  /** Costs: dollars per GB-month of disk used, per GB uploaded, per node-month (power, wear). */
  diskUsdPerGBMonth: number;
  bandwidthUsdPerGB: number;
  fixedUsdPerMonth: number;
  /** A VPN or proxy address in another /24 or region, per month. */
  vpnUsdPerMonth: number;
  /** Chance per epoch that an honest node goes offline, and for how many epochs at most. */
  offlineChance: number;
  offlineMaxEpochs: number;
  /** Chance an online honest node fails a challenge anyway (network trouble). */
  honestMissChance: number;
  /** Hours between two hosting plans of a node (staggered over the nodes). */
  replanHours: number;
  /** A torrent already held is valued this much higher when planning (node/hosting/plan.ts keeps 20%). */
  keepBias: number;
  /** Hours between a node's claims. */
  claimHours: number;

  initialMembers: number;
  membersPerDay: number;
  /** Downloads per member per day: log-normal median (GB/day) and deviation. */
  demandMedianGBPerDay: number;
  demandSigma: number;
  /** Share of members with a deposit in escrow (the rest are slowed past the allotment). */
  depositShare: number;
  /** The most a prospective member will put in to join, stake and join fee (VIDYA): log-normal median and deviation. */
  willingnessMedian: number;
  willingnessSigma: number;
  /** A leecher's download rate (bytes/s), and how long a member seeds after completing (hours). */
  leechRate: number;
  memberSeedHours: number;
  memberUplink: number;
  /** The yearly return a member forgoes on staked tokens. */
  stakeOpportunityPerYear: number;

  /**
   * Hot-torrent shocks: at `day` the torrent of popularity rank `rank` becomes `boost`× as
   * wanted, decaying with `halfLifeHours`, and a `burst` share of the members start fetching it
   * within its first `burstHours` (a new release everyone wants at once). Its size is `sizeGB`.
   */
  shocks: { day: number; rank: number; boost: number; halfLifeHours: number; burst: number; burstHours: number; sizeGB: number }[];
  /** Bounties funded: at `day` on the torrent of rank `rank`, `amount` VIDYA. */
  bounties: { day: number; rank: number; amount: number }[];
}

export const DEFAULT_CONFIG: Omit<SimConfig, "route"> = {
  seed: 20_261_202,
  days: 60,
  emissionScale: 0.01,
  tokenPriceUsd: 0.1,
  ethUsd: 3_000,
  poolVidya: 150_000,
  nodeSellShare: 0.5,

  torrents: 120,
  torrentMedianGB: 1.5,
  torrentSigma: 1.0,
  torrentMinGB: 0.05,
  torrentMaxGB: 25,
  zipf: 0.9,

  initialNodes: 140,
  maxNodes: 400,
  candidatesPerDay: 8,
  entryMargin: 1.3,
  exitMargin: 0.9,
  diskMedianGB: 10,
  diskSigma: 0.6,
  diskMaxGB: 100,
  uplinkMin: 1_000_000,
  uplinkMax: 10_000_000,
  diskUsdPerGBMonth: 0.02,
  bandwidthUsdPerGB: 0.002,
  fixedUsdPerMonth: 1.5,
  vpnUsdPerMonth: 5,
  offlineChance: 0.002,
  offlineMaxEpochs: 4,
  honestMissChance: 0.002,
  replanHours: 24,
  keepBias: 1.2,
  claimHours: 24,

  initialMembers: 500,
  membersPerDay: 6,
  demandMedianGBPerDay: 0.6,
  demandSigma: 1.0,
  depositShare: 0.6,
  willingnessMedian: 160,
  willingnessSigma: 0.8,
  leechRate: 4_000_000,
  memberSeedHours: 12,
  memberUplink: 500_000,
  stakeOpportunityPerYear: 0.05,

  shocks: [
    { day: 12, rank: 40, boost: 20, halfLifeHours: 24, burst: 0.4, burstHours: 2, sizeGB: 8 },
    { day: 33, rank: 7, boost: 5, halfLifeHours: 48, burst: 0.25, burstHours: 3, sizeGB: 4 },
  ],
  bounties: [{ day: 20, rank: 110, amount: 400 }],
};
