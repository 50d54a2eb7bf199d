// Vetting (DESIGN.md "Identities cost something"): each node's count of passed challenges, capped
// at VETTING_AUDITS, carried from epoch to epoch in the published settlement state. The count a
// node brings into an epoch sets its ramp (hosting-rewards.ts `vettingBps`) for that epoch.

import { VETTING_AUDITS } from "../params.ts";
import type { EvaluatedChallenge, TorrentLength } from "./evaluate.ts";

export interface VettingState {
  node: string;
  /** Challenges passed so far (on uncontested torrents), at most VETTING_AUDITS. */
  audits: number;
}

/** The counts to carry: `previous` plus this epoch's passed challenges; positive only, sorted by node. */
export function nextVetting(previous: readonly VettingState[], challenges: readonly EvaluatedChallenge[], torrents: readonly TorrentLength[]): VettingState[] {
  const contested = new Set(torrents.filter((t) => t.rootStatus === "contested").map((t) => t.infoHash));
  const audits = new Map<string, number>();
  for (const v of previous) {
    if (!Number.isSafeInteger(v.audits) || v.audits < 0) throw new RangeError(`audits of ${v.node} must be a non-negative integer, got ${v.audits}`);
    audits.set(v.node.toLowerCase(), Math.min(v.audits, VETTING_AUDITS));
  }
  for (const c of challenges) {
    if (c.verdict !== "pass" || contested.has(c.infoHash)) continue;
    const node = c.node.toLowerCase();
    const a = audits.get(node) ?? 0;
    if (a < VETTING_AUDITS) audits.set(node, a + 1);
  }
  return [...audits]
    .filter(([, a]) => a > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([node, a]) => ({ node, audits: a }));
}
