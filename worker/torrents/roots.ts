// Confirming v1 storage roots (DESIGN.md "Storage root"): the curator's root is `published`
// until ROOT_CONFIRMATIONS nodes on distinct subnets report the same root, computed from a
// payload whose v1 piece hashes they checked; it is `contested` when as many agree on another
// root and fewer on the curator's. Challenges against a published root pay but never slash;
// against a contested one they count for nothing (protocol/epoch/evaluate.ts).

import { and, eq, inArray } from "drizzle-orm";
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

/** Recomputes and stores a v1 torrent's root status after new reports; v2 roots need none. */
export async function refreshRootStatus(d: Db, infoHash: string, now: number): Promise<RootStatus | undefined> {
  return (await refreshRootStatuses(d, [infoHash], now)).get(infoHash);
}

/**
 * The same for many torrents in a bounded number of queries (D1 allows 1,000 per invocation):
 * reads in chunks, then one update per changed torrent in one batch. Unknown torrents are absent.
 */
export async function refreshRootStatuses(d: Db, infoHashes: string[], now: number): Promise<Map<string, RootStatus>> {
  const torrents = await inChunks(infoHashes, (part) =>
    d.select({ infoHash: schema.torrents.infoHash, storageRoot: schema.torrents.storageRoot, version: schema.torrents.version, status: schema.torrents.rootStatus, confirmedAt: schema.torrents.rootConfirmedAt }).from(schema.torrents).where(inArray(schema.torrents.infoHash, part)),
  );
  const v1 = torrents.filter((t) => t.version === "v1").map((t) => t.infoHash);
  const reportsOf = new Map<string, { root: string; subnet: string }[]>();
  for (const r of await inChunks(v1, (part) => d.select({ infoHash: schema.rootReports.infoHash, root: schema.rootReports.root, subnet: schema.rootReports.subnet }).from(schema.rootReports).where(inArray(schema.rootReports.infoHash, part))))
    reportsOf.set(r.infoHash, [...(reportsOf.get(r.infoHash) ?? []), r]);
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
