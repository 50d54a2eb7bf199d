// GET /:passkey/stats: a member's own accounting, authenticated by the passkey like the
// tracker routes. Credited totals come from D1 (flushed by the swarm shards every FLUSH_MS,
// so they trail the last announce by a few seconds); whether a session is in a swarm now,
// and how much it still lacks, comes from the shards themselves.

import { Hono } from "hono";
import { desc, eq, sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { db, schema } from "../db/client.ts";
import { HttpError } from "../errors.ts";
import { shardName, shardOf, type MemberSession } from "../swarm/shard.ts";
import { memberByPasskey } from "./lookup.ts";

/** A page of torrents, most recently announced first; the totals cover every torrent. */
const MAX_TORRENTS = 500;

export interface TorrentStats {
  infoHash: string;
  name: string | null;
  uploaded: number;
  downloaded: number;
  seedSeconds: number;
  announces: number;
  /** Client sessions (peer ids) that ever announced this torrent for the member. */
  sessions: number;
  lastAnnounceAt: number;
  /** "seeding" or "leeching" while a session is in the swarm, else "inactive". */
  state: "seeding" | "leeching" | "inactive";
  /** Bytes the most complete active session still lacks; null when none is active. */
  left: number | null;
}

export const memberStats = new Hono<{ Bindings: Env }>();

memberStats.get("/:passkey/stats", async (c) => {
  const account = await memberByPasskey(c.env.DB, c.req.param("passkey"));
  if (!account) throw new HttpError(403, "unknown_passkey", "unknown passkey");
  const a = schema.accounting;
  const lastAnnounceAt = sql<number>`max(${a.lastAnnounceAt})`;
  const d = db(c.env.DB);
  const [rows, [totals]] = await Promise.all([
    d
      .select({
        infoHash: a.infoHash,
        name: schema.torrents.name,
        uploaded: sql<number>`sum(${a.uploaded})`,
        downloaded: sql<number>`sum(${a.downloaded})`,
        seedSeconds: sql<number>`sum(${a.seedSeconds})`,
        announces: sql<number>`sum(${a.announces})`,
        sessions: sql<number>`count(*)`,
        lastAnnounceAt,
      })
      .from(a)
      .leftJoin(schema.torrents, eq(schema.torrents.infoHash, a.infoHash))
      .where(eq(a.member, account))
      .groupBy(a.infoHash)
      .orderBy(desc(lastAnnounceAt))
      .limit(MAX_TORRENTS),
    d
      .select({
        uploaded: sql<number>`coalesce(sum(${a.uploaded}), 0)`,
        downloaded: sql<number>`coalesce(sum(${a.downloaded}), 0)`,
        seedSeconds: sql<number>`coalesce(sum(${a.seedSeconds}), 0)`,
      })
      .from(a)
      .where(eq(a.member, account)),
  ]);

  const byShard = new Map<number, string[]>();
  for (const r of rows) byShard.set(shardOf(r.infoHash), [...(byShard.get(shardOf(r.infoHash)) ?? []), r.infoHash]);
  const live = new Map<string, MemberSession[]>();
  await Promise.all(
    [...byShard].map(async ([s, hashes]) => {
      const r = await c.env.SWARM.get(c.env.SWARM.idFromName(shardName(s))).sessions(account, hashes);
      for (const [h, list] of Object.entries(r)) live.set(h, list);
    }),
  );

  const torrents: TorrentStats[] = rows.map((r) => {
    const active = live.get(r.infoHash) ?? [];
    const left = active.length ? Math.min(...active.map((s) => s.left)) : null;
    return {
      infoHash: r.infoHash,
      name: r.name,
      uploaded: r.uploaded,
      downloaded: r.downloaded,
      seedSeconds: r.seedSeconds,
      announces: r.announces,
      sessions: r.sessions,
      lastAnnounceAt: r.lastAnnounceAt,
      state: left === null ? "inactive" : left === 0 ? "seeding" : "leeching",
      left,
    };
  });
  return c.json({ account, uploaded: totals?.uploaded ?? 0, downloaded: totals?.downloaded ?? 0, seedSeconds: totals?.seedSeconds ?? 0, torrents });
});
