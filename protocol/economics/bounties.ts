// Bounty payouts (DESIGN.md "Buy hosting"): anyone funds a bounty on a torrent in the
// HostingBounties contract; each epoch the edge draws BOUNTY_DRAW_BPS of what is left and pays
// it in equal parts to the torrent's counted proven replicas (hosting-rewards.ts: one per
// subnet). A bounty on a torrent nobody proves waits: nothing is drawn, so a bounty buys
// hosting rather than paying whoever held the torrent when it was funded. Drawing a share of
// the balance pays early hosts most; at least BOUNTY_MIN_DRAW an epoch (or what is left) ends
// a bounty instead of letting it dwindle forever. The draws go on-chain with the epoch's roots (postRoot's
// `bountyDraws`), each exactly what the earned leaves pay out of that bounty.

import { BOUNTY_DRAW_BPS, BOUNTY_MIN_DRAW, BPS } from "../params.ts";
import { addTo, max, min, requireNonNegative } from "./math.ts";

export interface Bounty {
  infoHash: string;
  /** What is left of the torrent's bounty on-chain (HostingBounties.bountyOf). */
  balance: bigint;
}

export interface BountyDraw {
  infoHash: string;
  amount: bigint;
}

/** What an epoch draws from a bounty of `balance` if the torrent has proven hosts. */
export function bountyDrawOf(balance: bigint): bigint {
  requireNonNegative("balance", balance);
  return min(balance, max((balance * BOUNTY_DRAW_BPS) / BPS, BOUNTY_MIN_DRAW));
}

export interface BountyResult {
  /** Sorted by info hash; only positive draws. */
  draws: BountyDraw[];
  /** Bounty earnings per node (lowercase). */
  perNode: Map<string, bigint>;
  drawn: bigint;
}

/** This epoch's draws and their split, given each torrent's counted replicas (nodes). */
export function bountyPayouts(bounties: readonly Bounty[], counted: ReadonlyMap<string, readonly string[]>): BountyResult {
  const draws: BountyDraw[] = [];
  const perNode = new Map<string, bigint>();
  let drawn = 0n;
  const seen = new Set<string>();
  for (const b of [...bounties].sort((x, y) => (x.infoHash < y.infoHash ? -1 : x.infoHash > y.infoHash ? 1 : 0))) {
    if (seen.has(b.infoHash)) throw new RangeError(`bounty of ${b.infoHash} listed twice`);
    seen.add(b.infoHash);
    const hosts = counted.get(b.infoHash) ?? [];
    if (hosts.length === 0 || b.balance <= 0n) continue;
    const each = bountyDrawOf(b.balance) / BigInt(hosts.length);
    if (each === 0n) continue;
    const amount = each * BigInt(hosts.length);
    for (const node of hosts) addTo(perNode, node.toLowerCase(), each);
    draws.push({ infoHash: b.infoHash, amount });
    drawn += amount;
  }
  return { draws, perNode, drawn };
}
