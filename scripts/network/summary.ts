// The table `npm start` prints: what each node hosted, proved, earned and claimed.

import { formatBytes, formatVidya } from "../../protocol/format.ts";
import { settleInputsOf, type PublishedSettleInputs } from "../../protocol/economics/published.ts";
import { settleEpoch } from "../../protocol/economics/settle.ts";
import { GEO_BOOST_BPS } from "../../protocol/params.ts";
import type { ClaimResult, LocalNetwork, NodeStatus, RunningNode } from "./network.ts";

export interface NodeRow {
  node: string;
  address: string;
  /** Where the edge saw it: its loopback /24 and its stand-in place. */
  host: string;
  place: string;
  hostedBytes: number;
  /** Its replicas with the geo boost in the epoch shown, by why ("far", "early"). */
  geo: string;
  passed: number;
  failed: number;
  earned: bigint;
  claimedOnChain: bigint;
  /** Of the claims, what is held back as the node's bond, vesting (contracts/src/HeldEarnings.sol). */
  held: bigint;
  claimTx: string;
}

/**
 * Each node's geo-boosted replicas in `epoch`, re-derived from the epoch's published inputs by
 * the same settleEpoch the edge ran (the boost is not stored on its own).
 */
export async function geoBoosts(net: LocalNetwork, epoch: number): Promise<Map<string, string[]>> {
  const inputs = await net.api<PublishedSettleInputs>(`/api/epochs/${epoch}/inputs`);
  const out = new Map<string, string[]>();
  for (const r of settleEpoch(settleInputsOf(inputs)).hosting.replicas) {
    if (!r.boost) continue;
    const k = r.node.toLowerCase();
    out.set(k, [...(out.get(k) ?? []), r.boost]);
  }
  return out;
}

export async function nodeRows(net: LocalNetwork, claims: Map<string, ClaimResult>, epoch?: number): Promise<NodeRow[]> {
  const rows: NodeRow[] = [];
  const boosts = epoch === undefined ? new Map<string, string[]>() : await geoBoosts(net, epoch);
  for (const n of net.nodes) {
    const s: NodeStatus = await net.status(n);
    const chain = await net.claimedOnChain(n.address);
    rows.push({
      node: n.name,
      address: n.address,
      host: n.bindAddress,
      place: n.place,
      hostedBytes: s.hostedBytes,
      geo: boostLabel(boosts.get(n.address.toLowerCase()) ?? []),
      passed: s.epochs.reduce((a, e) => a + e.passed, 0),
      failed: s.epochs.reduce((a, e) => a + e.failed, 0),
      earned: BigInt(s.cumulativeEarned),
      claimedOnChain: chain.claimed,
      held: chain.held,
      claimTx: claims.get(n.name)?.txHash ?? "-",
    });
  }
  return rows;
}

function boostLabel(why: string[]): string {
  if (!why.length) return "-";
  const count = (w: string) => why.filter((x) => x === w).length;
  return ["far", "early"].filter((w) => count(w)).map((w) => `+${Number(GEO_BOOST_BPS) / 100}% ×${count(w)} (${w})`).join(", ");
}

export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export function renderNodes(rows: NodeRow[]): string {
  return renderTable(
    ["node", "address", "seen at", "place", "hosted", "challenges passed/failed", "geo boost", "earned", "claimed on-chain", "of which held as bond", "claim tx"],
    rows.map((r) => [r.node, r.address, r.host, r.place, formatBytes(r.hostedBytes), `${r.passed}/${r.failed}`, r.geo, formatVidya(r.earned), formatVidya(r.claimedOnChain), formatVidya(r.held), r.claimTx]),
  );
}

export type { RunningNode };
