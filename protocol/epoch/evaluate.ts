// An epoch's evaluation (DESIGN.md flow 6): published inputs in, reward leaves out. The
// worker closes epochs with it and `vidya verify` re-runs it, so anyone can check that the
// leaves follow from the transcripts, not only that the root follows from the leaves.

import type { Address } from "viem";
import { HOSTING_POOL } from "../params.ts";
import { addCumulative, hostingRewards } from "../rewards.ts";
import type { RewardLeaf } from "../merkle/reward-tree.ts";

/** The fields of a challenge transcript that the evaluation reads. */
export interface EvaluatedChallenge {
  node: string;
  infoHash: string;
  verdict: string;
}

export interface TorrentLength {
  infoHash: string;
  length: number;
}

export interface HostingInput {
  node: string;
  provenBytes: bigint;
}

/**
 * Proven bytes per challenged node: the lengths of the torrents for which every challenge
 * of the epoch passed (and at least one was made). Nodes that failed everything appear with
 * zero, so the inputs show them. Sorted by node.
 */
export function provenBytes(challenges: EvaluatedChallenge[], torrents: TorrentLength[]): HostingInput[] {
  const lengths = new Map(torrents.map((t) => [t.infoHash, t.length]));
  const perNode = new Map<string, Map<string, boolean>>();
  for (const c of challenges) {
    const node = c.node.toLowerCase();
    const byTorrent = perNode.get(node) ?? new Map<string, boolean>();
    byTorrent.set(c.infoHash, (byTorrent.get(c.infoHash) ?? true) && c.verdict === "pass");
    perNode.set(node, byTorrent);
  }
  return [...perNode.keys()].sort().map((node) => {
    let bytes = 0n;
    for (const [infoHash, allPassed] of perNode.get(node)!) {
      const length = lengths.get(infoHash);
      if (length === undefined) throw new RangeError(`no length for challenged torrent ${infoHash}`);
      if (allPassed) bytes += BigInt(length);
    }
    return { node, provenBytes: bytes };
  });
}

export interface Evaluation {
  hosting: HostingInput[];
  /** This epoch's earnings per account (lowercase), zero included for challenged nodes. */
  earned: Map<string, bigint>;
  /** Cumulative leaves with a positive amount, sorted by account. */
  leaves: RewardLeaf[];
}

export function evaluateEpoch(challenges: EvaluatedChallenge[], torrents: TorrentLength[], previous: RewardLeaf[]): Evaluation {
  const hosting = provenBytes(challenges, torrents);
  const earned = hostingRewards(hosting.map((h) => ({ account: h.node, provenBytes: h.provenBytes })), HOSTING_POOL);
  const prior = new Map(previous.map((l) => [l.account.toLowerCase(), l.cumulative]));
  const leaves = [...addCumulative(prior, earned)]
    .filter(([, v]) => v > 0n)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([account, cumulative]) => ({ account: account as Address, cumulative }));
  return { hosting, earned, leaves };
}
