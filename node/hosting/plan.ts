// What a node hosts (DESIGN.md "Buy hosting": own interest, then expected reward per GB),
// as a pure function of what is on disk, what the member wants and what the tracker offers.
//
// The rule:
//   1. Wanted torrents (the interest list, and `--host`) come first, whatever they pay: the
//      interest list wins over reward. Among themselves they are ranked like the rest.
//   2. Then, by expected reward per GB from GET /api/hosting/offers, data already on disk
//      counting up to KEEP_BONUS_BPS more in proportion to how much of it is there (keeping
//      costs nothing, fetching costs bandwidth and time, so nodes do not churn over small
//      differences). Ties: more on disk, then smaller, then info hash.
//   3. Down that ranking, each torrent that fits in what is left of the storage cap is taken;
//      one that does not fit is passed over for smaller ones further down. A torrent that must
//      be downloaded is a candidate only when wanted or when the node fills its cap (`fill`).
//   4. The cap counts real payload bytes on disk, partial downloads included: a torrent being
//      fetched reserves its full length. Before anything is fetched, payloads that were not
//      taken are deleted, partial ones first, then the least valuable, until everything fits.
//      Nothing is deleted when nothing needs the room; payloads not taken then simply stop
//      being hosted.

/** Up to +20% for a torrent whose payload is already on disk. */
export const KEEP_BONUS_BPS = 2_000n;

export interface Candidate {
  infoHash: string;
  name: string;
  length: number;
  /** Payload bytes on disk now (the files' real sizes), complete or partial. */
  onDisk: number;
  /** Every piece is on disk (verified, or of the right sizes and not yet found wrong). */
  complete: boolean;
  /** On the interest list (or named by --host). */
  wanted: boolean;
  /** The tracker's expected reward per epoch per GB (wei-like), 0n when it publishes none. */
  rewardPerGB: bigint;
  /** Its payload never matched the index's storage root: never taken. */
  unhostable?: boolean;
}

export interface PlanOptions {
  storageCap: number;
  fill: boolean;
}

export interface HostingPlan {
  /** Taken, best first. */
  selected: Candidate[];
  /** Taken and complete on disk: host it. */
  keep: string[];
  /** Taken and not complete: download it (resuming what is on disk). */
  fetch: string[];
  /** Not taken and deleted to make room, in the order to delete them. */
  drop: string[];
  /** Wanted but not taken, with the reason. */
  passedOver: { infoHash: string; name: string; reason: string }[];
  /** Bytes of the taken torrents: what the node will host once fetched. */
  hostedBytes: number;
  /** Payload bytes on disk once the drops are done and the fetches complete (≤ cap when fetching). */
  diskBytes: number;
}

/** Expected reward per GB with the on-disk bonus: the ranking key within a class. */
export function effectiveValue(c: Candidate): bigint {
  const held = BigInt(Math.min(Math.max(c.onDisk, 0), c.length));
  return (c.rewardPerGB * (10_000n * BigInt(c.length) + KEEP_BONUS_BPS * held)) / (10_000n * BigInt(c.length));
}

export function rank(candidates: readonly Candidate[]): Candidate[] {
  const value = new Map(candidates.map((c) => [c.infoHash, effectiveValue(c)]));
  return [...candidates].sort((a, b) => {
    if (a.wanted !== b.wanted) return a.wanted ? -1 : 1;
    const va = value.get(a.infoHash)!;
    const vb = value.get(b.infoHash)!;
    if (va !== vb) return va > vb ? -1 : 1;
    if (a.onDisk !== b.onDisk) return b.onDisk - a.onDisk;
    if (a.length !== b.length) return a.length - b.length;
    return a.infoHash < b.infoHash ? -1 : a.infoHash > b.infoHash ? 1 : 0;
  });
}

/** Room a torrent takes once complete: its length, or more if odd files on disk are larger. */
const room = (c: Candidate) => Math.max(c.length, c.onDisk);

export function planHosting(candidates: readonly Candidate[], o: PlanOptions): HostingPlan {
  const selected: Candidate[] = [];
  const passedOver: HostingPlan["passedOver"] = [];
  let left = o.storageCap;
  for (const c of rank(candidates)) {
    if (c.unhostable) {
      if (c.wanted) passedOver.push({ infoHash: c.infoHash, name: c.name, reason: "its payload does not match the index's storage root" });
      continue;
    }
    if (!c.complete && !c.wanted && !o.fill) continue;
    if (room(c) > left) {
      if (c.wanted) passedOver.push({ infoHash: c.infoHash, name: c.name, reason: `needs ${room(c)} bytes, ${left} left under the storage cap of ${o.storageCap}` });
      continue;
    }
    selected.push(c);
    left -= room(c);
  }
  const taken = new Set(selected.map((c) => c.infoHash));
  const keep = selected.filter((c) => c.complete).map((c) => c.infoHash);
  const fetch = selected.filter((c) => !c.complete).map((c) => c.infoHash);
  const hostedBytes = selected.reduce((s, c) => s + c.length, 0);
  const others = candidates.filter((c) => !taken.has(c.infoHash) && c.onDisk > 0);
  let diskBytes = selected.reduce((s, c) => s + room(c), 0) + others.reduce((s, c) => s + c.onDisk, 0);
  const drop: string[] = [];
  if (fetch.length > 0) {
    // Partial payloads first (useless until complete), then the least valuable, the largest first among equals.
    const order = [...others].sort((a, b) => {
      if (a.complete !== b.complete) return a.complete ? 1 : -1;
      const va = effectiveValue(a);
      const vb = effectiveValue(b);
      if (va !== vb) return va < vb ? -1 : 1;
      return b.onDisk - a.onDisk;
    });
    for (const c of order) {
      if (diskBytes <= o.storageCap) break;
      drop.push(c.infoHash);
      diskBytes -= c.onDisk;
    }
  } else diskBytes = candidates.reduce((s, c) => s + Math.max(c.onDisk, 0), 0);
  return { selected, keep, fetch, drop, passedOver, hostedBytes, diskBytes };
}
