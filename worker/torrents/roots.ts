// Confirming v1 storage roots (DESIGN.md "Storage root"): the curator's root is `published`
// until ROOT_CONFIRMATIONS nodes on distinct subnets report the same root, computed from a
// payload whose v1 piece hashes they checked; it is `contested` when as many agree on another
// root and fewer on the curator's. Challenges against a published root pay but never slash;
// against a contested one they count for nothing (protocol/epoch/evaluate.ts).
//
// Only proven, bonded hosts move a root's status (DESIGN.md "Identities cost something"):
// proven = the node passed at least one challenge (a recorded transcript); bonded = stake is
// bonded on it in the Staking contract (bondOf > 0, read from the chain when one is configured),
// or it passed a challenge in a closed epoch (the earnings its held amount, the slashable bond of
// protocol/economics/holdback.ts, comes from; the held amount itself is on-chain per claim).
// Reports from other nodes are kept and count once the node qualifies (at the next report of
// the torrent), but move nothing: two fresh keys cannot confirm or contest a root.

import { eq, sql } from "drizzle-orm";
import { ROOT_CONFIRMATIONS } from "../../protocol/params.ts";
import type { RootStatus } from "../../protocol/epoch/evaluate.ts";
import { schema, type Db } from "../db/client.ts";

/** Pure: the status from the curator's root and the reports (one per node, with its subnet). */
export function rootStatusOf(published: string, reports: { root: string; subnet: string }[], k = ROOT_CONFIRMATIONS): RootStatus {
  const subnets = new Map<string, Set<string>>();
  for (const r of reports) subnets.set(r.root, (subnets.get(r.root) ?? new Set()).add(r.subnet));
  const agree = subnets.get(published)?.size ?? 0;
  const bestOther = Math.max(0, ...[...subnets].filter(([root]) => root !== published).map(([, s]) => s.size));
  if (agree >= k && agree >= bestOther) return "confirmed";
  if (bestOther >= k) return "contested";
  return "published";
}

/** Whether stake is bonded on a node; without a chain, none is (closed-epoch passes still count). */
export type BondCheck = (node: string) => Promise<boolean>;
export const noBonds: BondCheck = async () => false;

/** Recomputes and stores a v1 torrent's root status after new reports; v2 roots need none. */
export async function refreshRootStatus(d: Db, infoHash: string, now: number, bonded: BondCheck = noBonds): Promise<RootStatus | undefined> {
  const t = await d.select({ storageRoot: schema.torrents.storageRoot, version: schema.torrents.version, status: schema.torrents.rootStatus, confirmedAt: schema.torrents.rootConfirmedAt }).from(schema.torrents).where(eq(schema.torrents.infoHash, infoHash)).get();
  if (!t) return undefined;
  if (t.version !== "v1") return t.status as RootStatus;
  const node = sql`${schema.rootReports.node}`;
  const rows = await d
    .select({ root: schema.rootReports.root, subnet: schema.rootReports.subnet, node: schema.rootReports.node, held: sql<number>`${passedInClosedEpoch(node)}` })
    .from(schema.rootReports)
    .where(sql`${schema.rootReports.infoHash} = ${infoHash} AND ${passedChallenge(node)}`);
  const reports: { root: string; subnet: string }[] = [];
  for (const r of rows) if (r.held === 1 || (await bonded(r.node))) reports.push(r);
  const status = rootStatusOf(t.storageRoot, reports);
  if (status !== t.status)
    await d
      .update(schema.torrents)
      .set({ rootStatus: status, rootConfirmedAt: status === "confirmed" ? (t.confirmedAt ?? now) : null })
      .where(eq(schema.torrents.infoHash, infoHash));
  return status;
}

/** SQL: the node passed at least one challenge (proven). */
export function passedChallenge(node: ReturnType<typeof sql>) {
  return sql`EXISTS (SELECT 1 FROM ${schema.challenges} c WHERE c.node = ${node} AND c.verdict = 'pass')`;
}

/** SQL: the node passed a challenge of a closed epoch (a row in `epochs`): it has earned, so it holds an amount back. */
export function passedInClosedEpoch(node: ReturnType<typeof sql>) {
  return sql`EXISTS (SELECT 1 FROM ${schema.challenges} c JOIN ${schema.epochs} e ON e.epoch = c.epoch WHERE c.node = ${node} AND c.verdict = 'pass')`;
}
