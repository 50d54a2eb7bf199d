// A member's own accounting, authenticated by the passkey like the tracker routes:
//   GET /:passkey/stats              totals (actual and credited, ratio, seed time) and per torrent
//   GET /:passkey/torrents/:list     snatched, seeding or leeching (Gazelle's lists)
// Totals come from D1 plus the credit the swarm shards hold and have not sent yet (they send
// it lazily, worker/swarm/journal.ts): every shard is asked once; whether a session is in a
// swarm now, and how much it lacks, comes from the shards themselves.

import { Hono } from "hono";
import { and, desc, eq, gt, inArray, isNotNull, sql } from "drizzle-orm";
import { bytesToBinary, fromHex } from "../../protocol/hex.ts";
import type { Env } from "../env.ts";
import { db, schema } from "../db/client.ts";
import { HttpError } from "../errors.ts";
import { clientTag } from "../announce/clients.ts";
import { shardStub } from "../announce/routes.ts";
import { PEER_TTL_MS, SWARM_SHARDS, shardOf, type MemberSession, type MemberUnsent } from "../swarm/shard.ts";
import { SEND_MAX_AGE_MS } from "../swarm/journal.ts";
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

/**
 * The credit every shard holds for `account`, not yet in D1, by info hash. Every shard is asked
 * (64 Durable Object requests): a session whose credit was never sent is known to its shard
 * alone. A page showing the stats and a list asks once and hands the answer to both.
 */
export async function unsentOf(env: Env, account: string): Promise<Map<string, MemberUnsent>> {
  const out = new Map<string, MemberUnsent>();
  for (const part of await Promise.all(Array.from({ length: SWARM_SHARDS }, (_, i) => shardStub(env, i).unsentOf(account))))
    for (const [h, u] of Object.entries(part)) out.set(h, u);
  return out;
}

type PerTorrent = {
  infoHash: string;
  name: string | null;
  uploaded: number;
  downloaded: number;
  creditedUploaded: number;
  creditedDownloaded: number;
  seedSeconds: number;
  announces: number;
  sessions: number;
  clients: string | null;
  lastAnnounceAt: number;
  completedAt: number | null;
};

/** D1's rows with the shards' unsent credit added, and a row for each torrent only the shards know yet. */
async function withUnsent(env: Env, rows: PerTorrent[], unsent: Map<string, MemberUnsent>): Promise<PerTorrent[]> {
  const out = rows.map((r) => ({ ...r }));
  const byHash = new Map(out.map((r) => [r.infoHash, r]));
  const missing = [...unsent.keys()].filter((h) => !byHash.has(h));
  const names = new Map<string, string>();
  for (let i = 0; i < missing.length; i += 90)
    for (const t of await db(env.DB).select({ infoHash: schema.torrents.infoHash, name: schema.torrents.name }).from(schema.torrents).where(inArray(schema.torrents.infoHash, missing.slice(i, i + 90))))
      names.set(t.infoHash, t.name);
  for (const [h, u] of unsent) {
    let r = byHash.get(h);
    if (!r) {
      r = { infoHash: h, name: names.get(h) ?? null, uploaded: 0, downloaded: 0, creditedUploaded: 0, creditedDownloaded: 0, seedSeconds: 0, announces: 0, sessions: 0, clients: null, lastAnnounceAt: 0, completedAt: null };
      byHash.set(h, r);
      out.push(r);
    }
    r.uploaded += u.uploaded;
    r.downloaded += u.downloaded;
    r.creditedUploaded += u.creditedUploaded;
    r.creditedDownloaded += u.creditedDownloaded;
    r.seedSeconds += u.seedSeconds;
    r.announces += u.announces;
    r.sessions += u.newSessions;
    r.lastAnnounceAt = Math.max(r.lastAnnounceAt, u.lastAnnounceAt);
    if (u.peerIds.length) r.clients = [r.clients, ...u.peerIds.map((p) => p.slice(0, 20))].filter(Boolean).join(",");
    if (u.completedAt !== null) r.completedAt = r.completedAt === null ? u.completedAt : Math.min(r.completedAt, u.completedAt);
  }
  return out.sort((x, y) => y.lastAnnounceAt - x.lastAnnounceAt);
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

/**
 * A member's totals (actual and credited, ratio, seed time, snatches) and the latest torrents
 * they announced; `shards`: the shards' part (unsentOf), when the caller already asked for it.
 */
export async function statsOf(env: Env, member: string, shards?: Promise<Map<string, MemberUnsent>>) {
  const d = db(env.DB);
  const [stored, [totals], unsent] = await Promise.all([
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
    shards ?? unsentOf(env, member),
  ]);
  // A completion the shards hold and D1 has not seen adds a snatch (judged on D1's page of rows,
  // which holds the recent torrents an unsent completion belongs to).
  const completedInD1 = new Set(stored.filter((r) => r.completedAt !== null).map((r) => r.infoHash));
  const unsentSnatches = [...unsent].filter(([h, u]) => u.completedAt !== null && !completedInD1.has(h)).length;
  const rows = (await withUnsent(env, stored, unsent)).slice(0, PAGE);
  const live = await liveSessions(env, member, rows.map((r) => r.infoHash));
  const torrents: TorrentStats[] = rows.map((r) => {
    const active = live.get(r.infoHash) ?? [];
    const left = active.length ? Math.min(...active.map((s) => s.left)) : null;
    return { ...r, clients: clientsOf(r.clients), state: left === null ? "inactive" : left === 0 ? "seeding" : "leeching", left };
  });
  const t = { ...(totals ?? { uploaded: 0, downloaded: 0, creditedUploaded: 0, creditedDownloaded: 0, seedSeconds: 0, snatched: 0 }) };
  for (const u of unsent.values()) {
    t.uploaded += u.uploaded;
    t.downloaded += u.downloaded;
    t.creditedUploaded += u.creditedUploaded;
    t.creditedDownloaded += u.creditedDownloaded;
    t.seedSeconds += u.seedSeconds;
  }
  t.snatched += unsentSnatches;
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
export async function listOf(env: Env, member: string, list: ListName, page = 0, shards?: Promise<Map<string, MemberUnsent>>) {
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
    // The newest snatches may still be in the shards (journal.ts): they lead the first page.
    let merged: PerTorrent[] = rows;
    if (page === 0) {
      const unsent = await (shards ?? unsentOf(env, member));
      const fresh = new Map([...unsent].filter(([h, u]) => u.completedAt !== null && !rows.some((r) => r.infoHash === h)));
      if (fresh.size) {
        // D1's rows of those torrents (credit sent before they completed), then the shards' part.
        const before = await d.select(perTorrent).from(a).leftJoin(schema.torrents, eq(schema.torrents.infoHash, a.infoHash)).where(and(eq(a.member, member), inArray(a.infoHash, [...fresh.keys()].slice(0, 90)))).groupBy(a.infoHash);
        merged = (await withUnsent(env, [...rows, ...before], unsent)).filter((r) => r.completedAt !== null).sort((x, y) => y.completedAt! - x.completedAt!).slice(0, PAGE);
      }
    }
    return { account: member, list, page, torrents: merged.map((r) => ({ ...r, clients: clientsOf(r.clients), left: null as number | null })) };
  }
  // Candidates: torrents the member announced recently (a session not seen for the TTL is gone;
  // D1's last announce trails by up to SEND_MAX_AGE_MS), and those only the shards know yet.
  const [stored, unsent] = await Promise.all([
    d
      .select(perTorrent)
      .from(a)
      .leftJoin(schema.torrents, eq(schema.torrents.infoHash, a.infoHash))
      .where(and(eq(a.member, member), gt(a.lastAnnounceAt, Date.now() - SEND_MAX_AGE_MS - PEER_TTL_MS - 60_000)))
      .groupBy(a.infoHash)
      .orderBy(desc(perTorrent.lastAnnounceAt)),
    shards ?? unsentOf(env, member),
  ]);
  const recent = await withUnsent(env, stored, unsent);
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
