// Upload rewards (DESIGN.md "The mechanism"): the upload pool is shared by paid uploaded bytes
// times the torrent's upload multiplier (its surge), with two caps that make cheating pointless.
//
// 1. Per swarm, credited upload ≤ what its paying downloaders downloaded. The tracker cannot see
//    who sent bytes to whom, only what each client reports; downloaders pay for what they report,
//    uploaders do not. So a swarm's paid downloads are the credit to share, among its uploaders
//    by max-min fairness (water-filling): each is credited its report up to a common level,
//    chosen so the credits add up to the paid downloads. A member is never credited for bytes it
//    paid for itself, and free-allotment or slowed downloads create no credit. A client that
//    lies about `uploaded` creates nothing: it can only reach the level the honest uploaders of
//    a swarm with real paying downloaders are cut to, and then it competes with them for it.
// 2. Per uploader, reward ≤ UPLOAD_PRICE_SHARE_BPS of what its credited bytes were paid. Trading
//    with yourself (download what your own node uploads) costs the price and returns at most 80%
//    of it, so it never pays, at any surge.
//
// Within these caps the pool is shared by weight = Σ credited bytes × upload multiplier; members
// whose share would exceed their cap get the cap, and the rest of the pool is shared again
// among the others (water-filling once more). What the pool does not pay is returned to the
// caller (settle.ts adds it to the hosting pool of the same epoch).

import { BPS, UPLOAD_PRICE_SHARE_BPS } from "../params.ts";
import { downloadCharge, pricePerGB, uploadMultiplierBps, type AccessRoute } from "./access.ts";
import { addTo, min, requireNonNegative } from "./math.ts";

/** One member's accounting in one swarm for the epoch (the tracker's credited deltas). */
export interface Transfer {
  member: string;
  infoHash: string;
  /** Bytes downloaded and charged to the member's deposit. */
  paidDownloaded: bigint;
  /** Bytes downloaded within the free allotment, or slowed past it: earn their uploaders nothing. */
  freeDownloaded?: bigint;
  /** Bytes the member's clients reported uploading. */
  uploaded: bigint;
  /**
   * What the paid bytes were actually charged, wei (the close sets it: at most the member's
   * available Escrow balance, allotment.ts). Absent (the simulation): priced at the torrent's
   * epoch surge (access.ts), which is only right when `paidDownloaded` is already covered.
   */
  charged?: bigint;
  /** The tracker's own bound on `uploaded`, if it keeps one (e.g. the time the member seeded × a rate). */
  uploadCap?: bigint;
}

export interface SwarmPricing {
  infoHash: string;
  /** The torrent's surge multiplier for the epoch (1× when absent). */
  surgeBps?: bigint;
}

export interface UploadCredit {
  member: string;
  infoHash: string;
  reported: bigint;
  /** `reported`, bounded by the tracker's cap and by what the other members paid for. */
  eligible: bigint;
  credited: bigint;
}

export interface SwarmCredit {
  infoHash: string;
  /** Paid downloads in the swarm (bytes) and what they were charged (wei). */
  paid: bigint;
  charged: bigint;
  /** Σ reported uploads, and Σ credited (≤ paid). */
  reported: bigint;
  credited: bigint;
  uploadMultiplierBps: bigint;
}

export interface UploadResult {
  credits: UploadCredit[];
  swarms: SwarmCredit[];
  /** Reward per member (lowercase), members with a positive reward only. */
  perMember: Map<string, bigint>;
  /** The price cap of each credited member (wei). */
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

/** Upload rewards and spending of an epoch under `route`. */
export function uploadRewards(transfers: readonly Transfer[], swarms: readonly SwarmPricing[], pool: bigint, route: AccessRoute = "fixed-gate"): UploadResult {
  requireNonNegative("pool", pool);
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

  const credits: UploadCredit[] = [];
  const swarmCredits: SwarmCredit[] = [];
  const spent = new Map<string, bigint>();
  const weightOf = new Map<string, bigint>();
  const caps = new Map<string, bigint>();
  for (const infoHash of [...bySwarm.keys()].sort()) {
    const list = bySwarm.get(infoHash)!.sort((a, b) => (a.member < b.member ? -1 : 1));
    const surge = surgeOf.get(infoHash) ?? BPS;
    const price = pricePerGB(route, surge);
    let paid = 0n;
    let charged = 0n;
    for (const t of list) {
      const c = t.charged ?? downloadCharge(t.paidDownloaded, price);
      paid += t.paidDownloaded;
      charged += c;
      if (c > 0n) addTo(spent, t.member, c);
    }
    const eligible = list.map((t) => {
      let e = min(t.uploaded, paid - t.paidDownloaded);
      if (t.uploadCap !== undefined) e = min(e, t.uploadCap);
      return e;
    });
    const credited = waterFill(eligible, paid);
    const multiplier = uploadMultiplierBps(route, surge);
    let reported = 0n;
    let creditedSum = 0n;
    list.forEach((t, i) => {
      reported += t.uploaded;
      creditedSum += credited[i]!;
      if (t.uploaded > 0n) credits.push({ member: t.member, infoHash, reported: t.uploaded, eligible: eligible[i]!, credited: credited[i]! });
      if (credited[i]! === 0n) return;
      addTo(weightOf, t.member, credited[i]! * multiplier);
      // What these bytes were paid, on average in this swarm, times the share: the most they may earn.
      addTo(caps, t.member, (credited[i]! * charged * UPLOAD_PRICE_SHARE_BPS) / (paid * BPS));
    });
    swarmCredits.push({ infoHash, paid, charged, reported, credited: creditedSum, uploadMultiplierBps: multiplier });
  }

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
  return { credits, swarms: swarmCredits, perMember, caps, spent, paid: paidOut, unspent: pool - paidOut };
}
