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

import { and, eq, inArray, sql } from "drizzle-orm";
import { ROOT_CONFIRMATIONS } from "../../protocol/params.ts";
import type { RootStatus } from "../../protocol/epoch/evaluate.ts";
import { inChunks, schema, type Db } from "../db/client.ts";

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
  return (await refreshRootStatuses(d, [infoHash], now, bonded)).get(infoHash);
}

/**
 * The same for many torrents in a bounded number of queries (D1 allows 1,000 per invocation):
 * reads in chunks, then one update per changed torrent in one batch. Unknown torrents are absent.
 * Only reports of proven, bonded nodes count (the header); each node's bond is asked once.
 */
export async function refreshRootStatuses(d: Db, infoHashes: string[], now: number, bonded: BondCheck = noBonds): Promise<Map<string, RootStatus>> {
  const torrents = await inChunks(infoHashes, (part) =>
    d.select({ infoHash: schema.torrents.infoHash, storageRoot: schema.torrents.storageRoot, version: schema.torrents.version, status: schema.torrents.rootStatus, confirmedAt: schema.torrents.rootConfirmedAt }).from(schema.torrents).where(inArray(schema.torrents.infoHash, part)),
  );
  const v1 = torrents.filter((t) => t.version === "v1").map((t) => t.infoHash);
  const node = sql`${schema.rootReports.node}`;
  const rows = await inChunks(v1, (part) =>
    d
      .select({ infoHash: schema.rootReports.infoHash, root: schema.rootReports.root, subnet: schema.rootReports.subnet, node: schema.rootReports.node, held: sql<number>`${passedInClosedEpoch(node)}` })
      .from(schema.rootReports)
      .where(and(inArray(schema.rootReports.infoHash, part), passedChallenge(node))),
  );
  const qualified = new Map<string, boolean>();
  for (const r of rows) if (!qualified.has(r.node)) qualified.set(r.node, r.held === 1 || (await bonded(r.node)));
  const reportsOf = new Map<string, { root: string; subnet: string }[]>();
  for (const r of rows) if (qualified.get(r.node)) reportsOf.set(r.infoHash, [...(reportsOf.get(r.infoHash) ?? []), r]);
  const out = new Map<string, RootStatus>();
  const updates = [];
  for (const t of torrents) {
    if (t.version !== "v1") {
      out.set(t.infoHash, t.status as RootStatus);
      continue;
    }
    const status = rootStatusOf(t.storageRoot, reportsOf.get(t.infoHash) ?? []);
    out.set(t.infoHash, status);
    if (status !== t.status)
      updates.push(
        d
          .update(schema.torrents)
          .set({ rootStatus: status, rootConfirmedAt: status === "confirmed" ? (t.confirmedAt ?? now) : null })
          .where(and(eq(schema.torrents.infoHash, t.infoHash), eq(schema.torrents.rootStatus, t.status))),
      );
  }
  if (updates.length) await d.batch(updates as [(typeof updates)[0], ...typeof updates]);
  return out;
}

/** SQL: the node passed at least one challenge (proven). */
export function passedChallenge(node: ReturnType<typeof sql>) {
  return sql`EXISTS (SELECT 1 FROM ${schema.challenges} c WHERE c.node = ${node} AND c.verdict = 'pass')`;
}

/** SQL: the node passed a challenge of a closed epoch (a row in `epochs`): it has earned, so it holds an amount back. */
export function passedInClosedEpoch(node: ReturnType<typeof sql>) {
  return sql`EXISTS (SELECT 1 FROM ${schema.challenges} c JOIN ${schema.epochs} e ON e.epoch = c.epoch WHERE c.node = ${node} AND c.verdict = 'pass')`;
}
