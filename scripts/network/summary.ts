// The table `npm start` prints: what each node hosted, proved, earned and claimed.

import { formatBytes, formatVidya } from "../../protocol/format.ts";
import type { ClaimResult, LocalNetwork, NodeStatus, RunningNode } from "./network.ts";

export interface NodeRow {
  node: string;
  address: string;
  hostedBytes: number;
  passed: number;
  failed: number;
  earned: bigint;
  claimedOnChain: bigint;
  /** Of the claims, what is held back as the node's bond, vesting (contracts/src/HeldEarnings.sol). */
  held: bigint;
  claimTx: string;
}

export async function nodeRows(net: LocalNetwork, claims: Map<string, ClaimResult>): Promise<NodeRow[]> {
  const rows: NodeRow[] = [];
  for (const n of net.nodes) {
    const s: NodeStatus = await net.status(n);
    const chain = await net.claimedOnChain(n.address);
    rows.push({
      node: n.name,
      address: n.address,
      hostedBytes: s.hostedBytes,
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


export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export function renderNodes(rows: NodeRow[]): string {
  return renderTable(
    ["node", "address", "hosted", "challenges passed/failed", "earned", "claimed on-chain", "of which held as bond", "claim tx"],
    rows.map((r) => [r.node, r.address, formatBytes(r.hostedBytes), `${r.passed}/${r.failed}`, formatVidya(r.earned), formatVidya(r.claimedOnChain), formatVidya(r.held), r.claimTx]),
  );
}

export type { RunningNode };
