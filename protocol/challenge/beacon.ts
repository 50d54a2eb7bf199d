// Which chain block a round's randomness comes from (DESIGN.md "Challenges a relay cannot pass
// cheaply"): the first block whose timestamp is at or after the round's derived due time
// (schedule.ts roundDueAt). The due time follows from the committed seed, the block from the
// chain, so neither the edge nor a node can pick it; the edge (worker/challenge/beacon.ts) and
// `vidya verify` find it the same way, by binary search over block numbers.

import type { Hex } from "viem";

export interface ChainBlock {
  number: number;
  hash: Hex;
  /** Unix seconds. */
  timestamp: number;
}

/** Seconds a block must reach to be the beacon of a round due at `dueAtMs`. */
export const beaconSecond = (dueAtMs: number): number => Math.ceil(dueAtMs / 1000);

/**
 * The first block at or after `dueAtMs`, given the head and a reader of blocks by number;
 * null when the chain has none yet (the round waits for one). Timestamps never decrease along
 * the chain: gallop back from the head (a round runs soon after it is due, so its block is
 * near the head), then binary search: about 2 × log2(blocks since the due time) reads, which
 * keeps a Worker's subrequests per round small.
 */
export async function firstBlockAtOrAfter(dueAtMs: number, head: ChainBlock, blockAt: (n: number) => Promise<ChainBlock>): Promise<ChainBlock | null> {
  const want = beaconSecond(dueAtMs);
  if (head.timestamp < want) return null;
  // Invariant: `hi` reaches the due time; every block at or below `lo` does not (lo = -1: none known).
  let hi = head;
  let lo = -1;
  for (let step = 1; ; step *= 2) {
    const n = Math.max(0, head.number - step);
    if (n >= hi.number) break;
    const b = await blockAt(n);
    if (b.timestamp < want) {
      lo = n;
      break;
    }
    hi = b;
    if (n === 0) break;
  }
  while (hi.number - lo > 1) {
    const mid = Math.floor((lo + hi.number) / 2);
    const b = await blockAt(mid);
    if (b.timestamp >= want) hi = b;
    else lo = mid;
  }
  return hi;
}

/** Clocks of the edge and the chain may differ a little: a forced round's block may look this much younger than the round. */
export const CLOCK_SLACK_MS = 5_000;

export interface BeaconCheck {
  /** Transcripts whose block is not their round's (the first at or after its due time), and not an allowed forced round's. */
  unanchored: string[];
  /** Transcripts on another block accepted as forced rounds (only with `allowForced`). */
  forced: string[];
}

interface AnchoredTranscript {
  id: string;
  node: string;
  round: number;
  startedAt: number;
  blockNumber: number | null;
  blockHash: string;
}

/**
 * What `vidya verify` checks of every transcript's block: it is the first block at or after the
 * round's due time (`dueAt`), so the edge could not choose it, early or late. With
 * `allowForced` (development networks, whose admins force rounds), a block the chain has that was
 * mined before the round started is accepted instead, and counted. Chainless transcripts
 * (block number null) have nothing to anchor.
 */
export async function checkBeacons(
  transcripts: AnchoredTranscript[],
  dueAt: (t: AnchoredTranscript) => number,
  head: ChainBlock,
  blockAt: (n: number) => Promise<ChainBlock | undefined>,
  allowForced = false,
): Promise<BeaconCheck> {
  const unanchored: string[] = [];
  const forced: string[] = [];
  const bySecond = new Map<number, Promise<ChainBlock | null>>();
  const must = async (n: number) => {
    const b = await blockAt(n);
    if (!b) throw new Error(`the chain has no block ${n}`);
    return b;
  };
  for (const t of transcripts) {
    if (t.blockNumber === null) continue;
    const due = dueAt(t);
    const second = beaconSecond(due);
    if (!bySecond.has(second)) bySecond.set(second, firstBlockAtOrAfter(due, head, must));
    const expected = await bySecond.get(second)!;
    if (expected && expected.number === t.blockNumber && expected.hash.toLowerCase() === t.blockHash.toLowerCase()) continue;
    if (allowForced) {
      const b = await blockAt(t.blockNumber);
      if (b && b.hash.toLowerCase() === t.blockHash.toLowerCase() && b.timestamp * 1000 <= t.startedAt + CLOCK_SLACK_MS) {
        forced.push(t.id);
        continue;
      }
    }
    unanchored.push(t.id);
  }
  return { unanchored, forced };
}
