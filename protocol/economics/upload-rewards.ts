// Upload rewards (DESIGN.md "The mechanism"): paid for served bytes that someone paid for,
// never for a claim. A client's `uploaded` counter earns ratio only (the tracker's reputation):
// nothing here reads it. Tokens go to bonded, challenged nodes (a node that passed a challenge
// for the torrent this epoch and is not suspended: `hosts`), two ways:
//
// 1. Receipted bytes: a paying downloader signed the cumulative bytes it received from a node
//    (protocol/reports/eip712.ts UploadReceipt). They credit that node, if it is a host of the
//    torrent; a receipt naming anyone else is ignored (its bytes count as unreceipted). One
//    downloader's receipts in a torrent never credit more than it paid for there: beyond, they
//    are scaled down proportionally, so self-dealing receipts can only divide paid bytes.
// 2. Paid bytes that no receipt names (third-party clients) credit the torrent's hosts, equally:
//    each proved the whole torrent, so each holds the same proven share (settle.ts passes the
//    counted replicas, one per subnet, as `sharers`).
//
// Each credited byte is worth what its downloader was actually charged per byte; a node's reward
// is at most UPLOAD_PRICE_SHARE_BPS of the worth of its credited bytes, so the reward per GB never
// exceeds the price per GB collected and trading with yourself never pays, at any surge. Within
// these caps the pool is shared by weight = Σ credited bytes × upload multiplier (cappedShares);
// what it does not pay is returned to the caller (settle.ts adds it to the hosting pool).

import { BPS, UPLOAD_PRICE_SHARE_BPS } from "../params.ts";
import { downloadCharge, pricePerGB, uploadMultiplierBps, type AccessRoute } from "./access.ts";
import { addTo, requireNonNegative } from "./math.ts";

/** One member's accounting in one swarm for the epoch (the tracker's credited deltas). */
export interface Transfer {
  member: string;
  infoHash: string;
  /** Bytes downloaded and charged to the member's deposit. */
  paidDownloaded: bigint;
  /** Bytes downloaded within the free allotment, or slowed past it: earn their uploaders nothing. */
  freeDownloaded?: bigint;
  /** Bytes the member's clients reported uploading: ratio only, never tokens (not read here). */
  uploaded: bigint;
  /**
   * What the paid bytes were actually charged, wei (the close sets it: at most the member's
   * available Escrow balance, allotment.ts). Absent (the simulation): priced at the torrent's
   * epoch surge (access.ts), which is only right when `paidDownloaded` is already covered.
   */
  charged?: bigint;
}

export interface SwarmPricing {
  infoHash: string;
  /** The torrent's surge multiplier for the epoch (1× when absent). */
  surgeBps?: bigint;
}

/** Bytes one downloader receipted to one uploader in one torrent this epoch (Σ over its sessions). */
export interface ReceiptBytes {
  infoHash: string;
  uploader: string;
  downloader: string;
  bytes: bigint;
}

export interface UploadCredit {
  /** The node credited (lowercase). */
  node: string;
  infoHash: string;
  /** Paid bytes credited by receipts naming it (after the per-downloader cap). */
  receipted: bigint;
  /** Its share of the torrent's paid bytes that no receipt names. */
  unreceipted: bigint;
  /** What those bytes were charged, wei: the most it may earn is UPLOAD_PRICE_SHARE_BPS of it. */
  worth: bigint;
}

export interface SwarmCredit {
  infoHash: string;
  /** Paid downloads in the swarm (bytes) and what they were charged (wei). */
  paid: bigint;
  charged: bigint;
  /** Σ receipted paid bytes credited to hosts (≤ paid), and Σ credited (receipted + unreceipted shares). */
  receipted: bigint;
  credited: bigint;
  uploadMultiplierBps: bigint;
}

export interface UploadResult {
  credits: UploadCredit[];
  swarms: SwarmCredit[];
  /** Reward per node (lowercase), nodes with a positive reward only. */
  perMember: Map<string, bigint>;
  /** The price cap of each credited node (wei). */
  caps: Map<string, bigint>;
  /** Spending per member this epoch (wei): Σ charged. */
  spent: Map<string, bigint>;
  paid: bigint;
  unspent: bigint;
}

/**
 * Max-min fair credit: every amount in `eligible` is credited in full up to a common level, the
 * level chosen so the credits add up to `capacity` (or everything is credited if it fits).
 * Integer: the level is rounded down, the dust is not credited. Order of the input kept.
 */
export function waterFill(eligible: readonly bigint[], capacity: bigint): bigint[] {
  requireNonNegative("capacity", capacity);
  let total = 0n;
  for (const e of eligible) total += e;
  if (total <= capacity) return [...eligible];
  const order = eligible.map((_, i) => i).sort((a, b) => (eligible[a]! < eligible[b]! ? -1 : eligible[a]! > eligible[b]! ? 1 : a - b));
  const out = new Array<bigint>(eligible.length).fill(0n);
  let remaining = capacity;
  let k = BigInt(eligible.length);
  for (let x = 0; x < order.length; x++) {
    const e = eligible[order[x]!]!;
    if (e * k <= remaining) {
      out[order[x]!] = e;
      remaining -= e;
      k--;
      continue;
    }
    const level = remaining / k;
    for (let y = x; y < order.length; y++) out[order[y]!] = level;
    break;
  }
  return out;
}

/**
 * Shares `pool` by `weights`, no one above its `caps`: proportional among those not capped,
 * repeatedly. Returns the payouts in input order.
 */
export function cappedShares(weights: readonly bigint[], caps: readonly bigint[], pool: bigint): bigint[] {
  const out = new Array<bigint>(weights.length).fill(0n);
  // Lowest cap per unit of weight first: whoever is capped at the proportional share comes first.
  const order = weights
    .map((_, i) => i)
    .filter((i) => weights[i]! > 0n)
    .sort((a, b) => {
      const l = caps[a]! * weights[b]!;
      const r = caps[b]! * weights[a]!;
      return l < r ? -1 : l > r ? 1 : a - b;
    });
  let remaining = pool;
  let weight = 0n;
  for (const i of order) weight += weights[i]!;
  for (let x = 0; x < order.length; x++) {
    const i = order[x]!;
    const share = (remaining * weights[i]!) / weight;
    if (share >= caps[i]!) {
      out[i] = caps[i]!;
      remaining -= caps[i]!;
      weight -= weights[i]!;
      continue;
    }
    // Nobody after this one hits its cap at this rate: share the rest proportionally.
    const r = remaining;
    const w = weight;
    for (let y = x; y < order.length; y++) out[order[y]!] = (r * weights[order[y]!]!) / w;
    break;
  }
  return out;
}

export interface UploadOptions {
  /** Receipted bytes of the epoch (any order; repeated keys add up). */
  receipts?: readonly ReceiptBytes[];
  /** Per torrent, the nodes that may earn for its uploads: proven, not suspended (settle.ts). */
  hosts?: ReadonlyMap<string, readonly string[]>;
  /**
   * Per torrent, the hosts that share its unreceipted paid bytes; `hosts` when absent. settle.ts
   * gives the counted replicas (one per subnet), so extra identities on one subnet add no share.
   */
  sharers?: ReadonlyMap<string, readonly string[]>;
}

/** An epoch's (or a page of swarms') credits before the pool is shared: per swarm, then per node. */
export interface UploadCredits {
  credits: UploadCredit[];
  swarms: SwarmCredit[];
  /** Per credited node: Σ credited bytes × upload multiplier, the weight it shares the pool by. */
  weights: Map<string, bigint>;
  caps: Map<string, bigint>;
  spent: Map<string, bigint>;
}

/**
 * Credits and spending of the swarms in `transfers`. Each swarm is credited on its own, so the
 * credits of disjoint sets of swarms add up (per node) to those of their union: the paged close
 * (settle-paged.ts) sums them page by page, then shares the pool once (shareUploadPool).
 */
export function uploadCredits(transfers: readonly Transfer[], swarms: readonly SwarmPricing[], route: AccessRoute = "fixed-gate", options: UploadOptions = {}): UploadCredits {
  const surgeOf = new Map(swarms.map((s) => [s.infoHash, s.surgeBps ?? BPS]));
  const bySwarm = new Map<string, Transfer[]>();
  const seen = new Set<string>();
  for (const t0 of transfers) {
    const t = { ...t0, member: t0.member.toLowerCase() };
    requireNonNegative("paidDownloaded", t.paidDownloaded);
    requireNonNegative("uploaded", t.uploaded);
    if (t.freeDownloaded !== undefined) requireNonNegative("freeDownloaded", t.freeDownloaded);
    if (t.charged !== undefined) requireNonNegative("charged", t.charged);
    const key = `${t.infoHash}\n${t.member}`;
    if (seen.has(key)) throw new RangeError(`transfers of ${t.member} in ${t.infoHash} listed twice`);
    seen.add(key);
    const list = bySwarm.get(t.infoHash) ?? [];
    list.push(t);
    bySwarm.set(t.infoHash, list);
  }
  const hostsOf = new Map<string, string[]>();
  for (const [infoHash, nodes] of options.hosts ?? []) hostsOf.set(infoHash, [...new Set(nodes.map((n) => n.toLowerCase()))].sort());
  const sharersOf = new Map<string, string[]>();
  for (const [infoHash, nodes] of options.sharers ?? options.hosts ?? []) sharersOf.set(infoHash, [...new Set(nodes.map((n) => n.toLowerCase()))].sort());
  // infoHash → downloader → uploader → bytes, only for uploaders that are hosts of the torrent.
  const receipted = new Map<string, Map<string, Map<string, bigint>>>();
  for (const r of options.receipts ?? []) {
    requireNonNegative("receipt bytes", r.bytes);
    const uploader = r.uploader.toLowerCase();
    const downloader = r.downloader.toLowerCase();
    if (r.bytes === 0n || uploader === downloader || !hostsOf.get(r.infoHash)?.includes(uploader)) continue;
    let byDownloader = receipted.get(r.infoHash);
    if (!byDownloader) receipted.set(r.infoHash, (byDownloader = new Map()));
    let byUploader = byDownloader.get(downloader);
    if (!byUploader) byDownloader.set(downloader, (byUploader = new Map()));
    addTo(byUploader, uploader, r.bytes);
  }

  const credits: UploadCredit[] = [];
  const swarmCredits: SwarmCredit[] = [];
  const spent = new Map<string, bigint>();
  const weightOf = new Map<string, bigint>();
  const caps = new Map<string, bigint>();
  for (const infoHash of [...bySwarm.keys()].sort()) {
    const list = bySwarm.get(infoHash)!.sort((a, b) => (a.member < b.member ? -1 : 1));
    const surge = surgeOf.get(infoHash) ?? BPS;
    const price = pricePerGB(route, surge);
    const hosts = sharersOf.get(infoHash) ?? [];
    const byNode = new Map<string, UploadCredit>();
    const credit = (node: string, bytes: bigint, worth: bigint, isReceipted: boolean) => {
      let c = byNode.get(node);
      if (!c) byNode.set(node, (c = { node, infoHash, receipted: 0n, unreceipted: 0n, worth: 0n }));
      if (isReceipted) c.receipted += bytes;
      else c.unreceipted += bytes;
      c.worth += worth;
    };
    let paid = 0n;
    let charged = 0n;
    let receiptedSum = 0n;
    for (const t of list) {
      const c = t.charged ?? downloadCharge(t.paidDownloaded, price);
      paid += t.paidDownloaded;
      charged += c;
      if (c > 0n) addTo(spent, t.member, c);
      if (t.paidDownloaded === 0n) continue;
      // This downloader's receipts, scaled down to its paid bytes if they claim more.
      const mine = [...(receipted.get(infoHash)?.get(t.member) ?? [])].sort(([a], [b]) => (a < b ? -1 : 1));
      let claimed = 0n;
      for (const [, b] of mine) claimed += b;
      let covered = 0n;
      for (const [node, b] of mine) {
        const bytes = claimed > t.paidDownloaded ? (b * t.paidDownloaded) / claimed : b;
        if (bytes === 0n) continue;
        covered += bytes;
        credit(node, bytes, (bytes * c) / t.paidDownloaded, true);
      }
      receiptedSum += covered;
      // The rest of its paid bytes: no receipt names them; the torrent's hosts share them equally.
      const rest = t.paidDownloaded - covered;
      if (rest === 0n || hosts.length === 0) continue;
      const each = rest / BigInt(hosts.length);
      const worth = (each * c) / t.paidDownloaded;
      if (each > 0n) for (const node of hosts) credit(node, each, worth, false);
    }
    const multiplier = uploadMultiplierBps(route, surge);
    let creditedSum = 0n;
    for (const c of [...byNode.values()].sort((a, b) => (a.node < b.node ? -1 : 1))) {
      const bytes = c.receipted + c.unreceipted;
      creditedSum += bytes;
      credits.push(c);
      addTo(weightOf, c.node, bytes * multiplier);
      addTo(caps, c.node, (c.worth * UPLOAD_PRICE_SHARE_BPS) / BPS);
    }
    swarmCredits.push({ infoHash, paid, charged, receipted: receiptedSum, credited: creditedSum, uploadMultiplierBps: multiplier });
  }
  return { credits, swarms: swarmCredits, weights: weightOf, caps, spent };
}

/** Shares `pool` among credited nodes by weight, no one above its cap: per node (positive only), paid and unspent. */
export function shareUploadPool(weightOf: ReadonlyMap<string, bigint>, caps: ReadonlyMap<string, bigint>, pool: bigint): { perMember: Map<string, bigint>; paid: bigint; unspent: bigint } {
  requireNonNegative("pool", pool);
  const members = [...weightOf.keys()].sort();
  const shares = cappedShares(
    members.map((m) => weightOf.get(m)!),
    members.map((m) => caps.get(m) ?? 0n),
    pool,
  );
  const perMember = new Map<string, bigint>();
  let paidOut = 0n;
  members.forEach((m, i) => {
    if (shares[i]! > 0n) perMember.set(m, shares[i]!);
    paidOut += shares[i]!;
  });
  return { perMember, paid: paidOut, unspent: pool - paidOut };
}

/** Upload rewards and spending of an epoch under `route`. */
export function uploadRewards(transfers: readonly Transfer[], swarms: readonly SwarmPricing[], pool: bigint, route: AccessRoute = "fixed-gate", options: UploadOptions = {}): UploadResult {
  requireNonNegative("pool", pool);
  const c = uploadCredits(transfers, swarms, route, options);
  const shared = shareUploadPool(c.weights, c.caps, pool);
  return { credits: c.credits, swarms: c.swarms, perMember: shared.perMember, caps: c.caps, spent: c.spent, paid: shared.paid, unspent: shared.unspent };
}
