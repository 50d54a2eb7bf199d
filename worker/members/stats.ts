// A member's own accounting, authenticated by the passkey like the tracker routes:
//   GET /:passkey/stats              totals (actual and credited, ratio, seed time) and per torrent
//   GET /:passkey/torrents/:list     snatched, seeding or leeching (Gazelle's lists)
// Totals come from D1 (flushed by the swarm shards every FLUSH_MS, so they trail the last
// announce by a few seconds); whether a session is in a swarm now, and how much it lacks,
// comes from the shards themselves.

import { Hono } from "hono";
import { and, desc, eq, gt, isNotNull, sql } from "drizzle-orm";
import { bytesToBinary, fromHex } from "../../protocol/hex.ts";
import type { Env } from "../env.ts";
import { db, schema } from "../db/client.ts";
import { HttpError } from "../errors.ts";
import { clientTag } from "../announce/clients.ts";
import { shardStub } from "../announce/routes.ts";
import { PEER_TTL_MS, shardOf, type MemberSession } from "../swarm/shard.ts";
import { requirePasskey } from "./lookup.ts";

/** A page of torrents, most recent first; the totals cover every torrent. */
const PAGE = 500;

export interface TorrentStats {
  infoHash: string;
  name: string | null;
  /** Actual bytes, as the member's clients reported them. */
  uploaded: number;
  downloaded: number;
  /** After the torrent's flags (freeleech, neutral, double upload) and the newcomer rule. */
  creditedUploaded: number;
  creditedDownloaded: number;
  seedSeconds: number;
  announces: number;
  /** Client sessions (peer ids) that ever announced this torrent for the member. */
  sessions: number;
  /** Their clients, by peer-id prefix (`-qB4520-`, `A2-1-36-0-`). */
  clients: string[];
  lastAnnounceAt: number;
  /** When the member first finished downloading it (a snatch), or null. */
  completedAt: number | null;
  /** "seeding" or "leeching" while a session is in the swarm, else "inactive". */
  state: "seeding" | "leeching" | "inactive";
  /** Bytes the most complete active session still lacks; null when none is active. */
  left: number | null;
}


/** Live sessions of `account` in these swarms, asking each shard once. */
async function liveSessions(env: Env, account: string, infoHashes: string[]): Promise<Map<string, MemberSession[]>> {
  const byShard = new Map<number, string[]>();
  for (const h of infoHashes) {
    const list = byShard.get(shardOf(h));
    if (list) list.push(h);
    else byShard.set(shardOf(h), [h]);
  }
  const live = new Map<string, MemberSession[]>();
  await Promise.all(
    [...byShard].map(async ([s, hashes]) => {
      const r = await shardStub(env, s).sessions(account, hashes);
      for (const [h, list] of Object.entries(r)) live.set(h, list);
    }),
  );
  return live;
}

const clientsOf = (prefixes: string | null) =>
  [...new Set((prefixes ?? "").split(",").filter(Boolean).map((h) => clientTag(bytesToBinary(fromHex(h)))))].sort();

const a = schema.accounting;
const perTorrent = {
  infoHash: a.infoHash,
  name: schema.torrents.name,
  uploaded: sql<number>`sum(${a.uploaded})`,
  downloaded: sql<number>`sum(${a.downloaded})`,
  creditedUploaded: sql<number>`sum(${a.creditedUploaded})`,
  creditedDownloaded: sql<number>`sum(${a.creditedDownloaded})`,
  seedSeconds: sql<number>`sum(${a.seedSeconds})`,
  announces: sql<number>`sum(${a.announces})`,
  sessions: sql<number>`count(*)`,
  clients: sql<string | null>`group_concat(DISTINCT substr(${a.peerId}, 1, 20))`,
  lastAnnounceAt: sql<number>`max(${a.lastAnnounceAt})`,
  completedAt: sql<number | null>`min(${a.completedAt})`,
};

export const memberStats = new Hono<{ Bindings: Env }>();

/** A member's totals (actual and credited, ratio, seed time, snatches) and the latest torrents they announced. */
export async function statsOf(env: Env, member: string) {
  const d = db(env.DB);
  const [rows, [totals]] = await Promise.all([
    d
      .select(perTorrent)
      .from(a)
      .leftJoin(schema.torrents, eq(schema.torrents.infoHash, a.infoHash))
      .where(eq(a.member, member))
      .groupBy(a.infoHash)
      .orderBy(desc(perTorrent.lastAnnounceAt))
      .limit(PAGE),
    d
      .select({
        uploaded: sql<number>`coalesce(sum(${a.uploaded}), 0)`,
        downloaded: sql<number>`coalesce(sum(${a.downloaded}), 0)`,
        creditedUploaded: sql<number>`coalesce(sum(${a.creditedUploaded}), 0)`,
        creditedDownloaded: sql<number>`coalesce(sum(${a.creditedDownloaded}), 0)`,
        seedSeconds: sql<number>`coalesce(sum(${a.seedSeconds}), 0)`,
        snatched: sql<number>`count(DISTINCT CASE WHEN ${a.completedAt} IS NOT NULL THEN ${a.infoHash} END)`,
      })
      .from(a)
      .where(eq(a.member, member)),
  ]);
  const live = await liveSessions(env, member, rows.map((r) => r.infoHash));
  const torrents: TorrentStats[] = rows.map((r) => {
    const active = live.get(r.infoHash) ?? [];
    const left = active.length ? Math.min(...active.map((s) => s.left)) : null;
    return { ...r, clients: clientsOf(r.clients), state: left === null ? "inactive" : left === 0 ? "seeding" : "leeching", left };
  });
  const t = totals ?? { uploaded: 0, downloaded: 0, creditedUploaded: 0, creditedDownloaded: 0, seedSeconds: 0, snatched: 0 };
  return {
    account: member,
    ...t,
    // Credited upload over credited download; null before anything was credited as downloaded.
    ratio: t.creditedDownloaded > 0 ? t.creditedUploaded / t.creditedDownloaded : null,
    torrents,
  };
}

memberStats.get("/:passkey/stats", async (c) => c.json(await statsOf(c.env, await requirePasskey(c.env.DB, c.req.param("passkey")))));

export const LISTS = ["snatched", "seeding", "leeching"] as const;
export type ListName = (typeof LISTS)[number];

/**
 * GET /:passkey/torrents/:list[?page=n]: `snatched` (finished downloads, newest first, with
 * what the member uploaded since), `seeding` and `leeching` (in a swarm now, per the shards).
 */
memberStats.get("/:passkey/torrents/:list", async (c) => {
  const list = c.req.param("list") as ListName;
  if (!LISTS.includes(list)) throw new HttpError(404, "not_found", "lists are snatched, seeding and leeching");
  const member = await requirePasskey(c.env.DB, c.req.param("passkey"));
  const page = Math.max(0, Math.floor(Number(c.req.query("page") ?? 0)) || 0);
  return c.json(await listOf(c.env, member, list, page));
});

/** One of a member's lists, a page of it. */
export async function listOf(env: Env, member: string, list: ListName, page = 0) {
  const d = db(env.DB);
  if (list === "snatched") {
    const rows = await d
      .select(perTorrent)
      .from(a)
      .leftJoin(schema.torrents, eq(schema.torrents.infoHash, a.infoHash))
      .where(eq(a.member, member))
      .groupBy(a.infoHash)
      .having(isNotNull(perTorrent.completedAt))
      .orderBy(desc(perTorrent.completedAt))
      .limit(PAGE)
      .offset(page * PAGE);
    return { account: member, list, page, torrents: rows.map((r) => ({ ...r, clients: clientsOf(r.clients), left: null as number | null })) };
  }
  // Candidates: torrents the member announced recently (a session not seen for the TTL is gone).
  const recent = await d
    .select(perTorrent)
    .from(a)
    .leftJoin(schema.torrents, eq(schema.torrents.infoHash, a.infoHash))
    .where(and(eq(a.member, member), gt(a.lastAnnounceAt, Date.now() - PEER_TTL_MS - 60_000)))
    .groupBy(a.infoHash)
    .orderBy(desc(perTorrent.lastAnnounceAt));
  const live = await liveSessions(env, member, recent.map((r) => r.infoHash));
  const torrents = recent
    .map((r) => {
      const sessions = (live.get(r.infoHash) ?? []).map((s) => ({ ...s, client: clientTag(bytesToBinary(fromHex(s.peerId))) }));
      const left = sessions.length ? Math.min(...sessions.map((s) => s.left)) : null;
      return { ...r, clients: clientsOf(r.clients), left, sessions };
    })
    .filter((t) => t.left !== null && (list === "seeding" ? t.left === 0 : t.left > 0))
    .slice(page * PAGE, (page + 1) * PAGE);
  return { account: member, list, page, torrents };
}
