// A node's public record: endpoint, hosted subset, challenge verdicts and earnings per epoch.
// Read by GET /api/nodes/:address and by the node dashboard page.

import { desc, eq, sql } from "drizzle-orm";
import { schema, type Db } from "../db/client.ts";

export interface NodeEpoch {
  epoch: number;
  passed: number;
  failed: number;
  /** Earned in this epoch alone, wei-like decimal string. */
  earned: string;
}

export interface NodeStatus {
  node: string;
  endpoint: { host: string; port: number };
  hosted: { infoHash: string; name: string; length: number }[];
  hostedBytes: number;
  epochs: NodeEpoch[];
  cumulativeEarned: string;
  /** The node's last reachability check (POST /api/nodes/check), null before the first. */
  lastCheck: { checkedAt: number; verdict: string | null; reason: string | null } | null;
  /** The newest closed epoch with a leaf for this node (its proof claims everything to date). */
  latestLeafEpoch: number | null;
}

/** `node` is a lowercase address; undefined when it never registered. */
export async function nodeStatus(d: Db, node: string): Promise<NodeStatus | undefined> {
  const row = await d.select().from(schema.nodes).where(eq(schema.nodes.address, node)).get();
  if (!row) return undefined;
  const hosted = await d
    .select({ infoHash: schema.hosted.infoHash, name: schema.torrents.name, length: schema.torrents.length })
    .from(schema.hosted)
    .innerJoin(schema.torrents, eq(schema.torrents.infoHash, schema.hosted.infoHash))
    .where(eq(schema.hosted.node, node))
    .orderBy(schema.torrents.name);
  const verdicts = await d
    .select({ epoch: schema.challenges.epoch, passed: sql<number>`sum(${schema.challenges.verdict} = 'pass')`, total: sql<number>`count(*)` })
    .from(schema.challenges)
    .where(eq(schema.challenges.node, node))
    .groupBy(schema.challenges.epoch);
  const earnedRows = await d.select().from(schema.leaves).where(eq(schema.leaves.account, node)).orderBy(desc(schema.leaves.epoch));
  const earnedBy = new Map(earnedRows.map((l) => [l.epoch, l.earned]));
  // Every epoch with a verdict or an earning: a node paid for uploads alone still shows.
  const epochNumbers = [...new Set([...verdicts.map((v) => v.epoch), ...earnedRows.map((l) => l.epoch)])].sort((a, b) => a - b);
  const verdictBy = new Map(verdicts.map((v) => [v.epoch, v]));
  const epochs = epochNumbers.map((epoch) => {
    const v = verdictBy.get(epoch);
    const passed = Number(v?.passed ?? 0);
    return { epoch, passed, failed: Number(v?.total ?? 0) - passed, earned: earnedBy.get(epoch) ?? "0" };
  });
  return {
    node,
    endpoint: { host: row.host, port: row.port },
    hosted,
    hostedBytes: hosted.reduce((s, h) => s + h.length, 0),
    epochs,
    cumulativeEarned: earnedRows[0]?.cumulative ?? "0",
    latestLeafEpoch: earnedRows[0]?.epoch ?? null,
    lastCheck: row.checkedAt !== null ? { checkedAt: row.checkedAt, verdict: row.checkVerdict, reason: row.checkReason } : null,
  };
}
