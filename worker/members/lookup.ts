// Passkey and torrent look-ups on the announce path, cached per isolate for a short while so
// a busy swarm does not cost a D1 read per announce. Members and registered torrents are
// cached for a minute; unknown info hashes for a few seconds (so a torrent just uploaded is
// seen soon, and random hashes cannot fill the cache for long). A passkey reset stops the old
// passkey at once: this isolate forgets it, and the swarm shards refuse it while other
// isolates may still hold it (worker/members/passkey-reset.ts).

import { eq, inArray } from "drizzle-orm";
import { sha256 } from "@noble/hashes/sha2.js";
import { toHex } from "../../protocol/hex.ts";
import { db, schema } from "../db/client.ts";
import { HttpError } from "../errors.ts";
import { DOUBLE_UPLOAD, FREELEECH, NEUTRAL } from "../announce/rules.ts";

const TTL_MS = 60_000;
const UNKNOWN_TTL_MS = 5_000;
const MAX_ENTRIES = 50_000;

export const PASSKEY = /^[0-9a-f]{32}$/;

/** What a log may say of a passkey: the first 8 hex digits of its SHA-256, never the passkey. */
export function passkeyTag(passkey: string): string {
  return toHex(sha256(new TextEncoder().encode(passkey))).slice(0, 8);
}

export interface MemberRecord {
  account: string;
  createdAt: number;
  slowed: boolean;
}

export interface TorrentRecord {
  /** "approved", "pending" or "rejected". */
  status: string;
  /** FREELEECH | NEUTRAL | DOUBLE_UPLOAD (announce/rules.ts). */
  flags: number;
}

const members = new Map<string, { m: MemberRecord; at: number }>();
const torrents = new Map<string, { t: TorrentRecord | undefined; at: number }>();

function trim<V>(m: Map<string, V>) {
  if (m.size > MAX_ENTRIES) m.clear();
}

export async function memberRecord(d1: D1Database, passkey: string, now = Date.now()): Promise<MemberRecord | undefined> {
  if (!PASSKEY.test(passkey)) return undefined;
  const hit = members.get(passkey);
  if (hit && now - hit.at < TTL_MS) return hit.m;
  const row = await db(d1)
    .select({ account: schema.members.account, createdAt: schema.members.createdAt, slowed: schema.members.slowed })
    .from(schema.members)
    .where(eq(schema.members.passkey, passkey))
    .get();
  if (!row) return undefined;
  trim(members);
  members.set(passkey, { m: row, at: now });
  return row;
}

export async function memberByPasskey(d1: D1Database, passkey: string, now = Date.now()): Promise<string | undefined> {
  return (await memberRecord(d1, passkey, now))?.account;
}

/** The member a passkey route is for, or the JSON API's 403: every `/:passkey/…` route but the tracker's. */
export async function requirePasskey(d1: D1Database, passkey: string): Promise<string> {
  const account = await memberByPasskey(d1, passkey);
  if (!account) throw new HttpError(403, "unknown_passkey", "unknown passkey");
  return account;
}

/** This isolate forgets a passkey (reset) or a member's cached record (slowed changed). */
export function forgetPasskey(passkey: string): void {
  members.delete(passkey);
}

export function torrentFlags(t: { freeleech: boolean; neutral: boolean; doubleUpload: boolean }): number {
  return (t.freeleech ? FREELEECH : 0) | (t.neutral ? NEUTRAL : 0) | (t.doubleUpload ? DOUBLE_UPLOAD : 0);
}

const torrentColumns = {
  infoHash: schema.torrents.infoHash,
  status: schema.torrents.status,
  freeleech: schema.torrents.freeleech,
  neutral: schema.torrents.neutral,
  doubleUpload: schema.torrents.doubleUpload,
};

/** The torrents of these info hashes (40 hex) that are in the index, whatever their status. */
export async function torrentRecords(d1: D1Database, infoHashes: string[], now = Date.now()): Promise<Map<string, TorrentRecord>> {
  const out = new Map<string, TorrentRecord>();
  const missing: string[] = [];
  for (const h of infoHashes) {
    const hit = torrents.get(h);
    if (hit && now - hit.at < (hit.t ? TTL_MS : UNKNOWN_TTL_MS)) {
      if (hit.t) out.set(h, hit.t);
    } else missing.push(h);
  }
  const d = db(d1);
  for (let i = 0; i < missing.length; i += 90) {
    const part = missing.slice(i, i + 90);
    const rows = await d.select(torrentColumns).from(schema.torrents).where(inArray(schema.torrents.infoHash, part)).all();
    trim(torrents);
    const found = new Set<string>();
    for (const r of rows) {
      const t = { status: r.status, flags: torrentFlags(r) };
      out.set(r.infoHash, t);
      torrents.set(r.infoHash, { t, at: now });
      found.add(r.infoHash);
    }
    for (const h of part) if (!found.has(h)) torrents.set(h, { t: undefined, at: now });
  }
  return out;
}

export async function torrentRecord(d1: D1Database, infoHash: string, now = Date.now()): Promise<TorrentRecord | undefined> {
  const hit = torrents.get(infoHash);
  if (hit && now - hit.at < (hit.t ? TTL_MS : UNKNOWN_TTL_MS)) return hit.t;
  return (await torrentRecords(d1, [infoHash], now)).get(infoHash);
}

/** Which of these info hashes are approved torrents (announces and scrapes are answered for these). */
export async function registeredTorrents(d1: D1Database, infoHashes: string[], now = Date.now()): Promise<Set<string>> {
  const known = new Set<string>();
  for (const [h, t] of await torrentRecords(d1, infoHashes, now)) if (t.status === "approved") known.add(h);
  return known;
}

/** This isolate forgets a torrent (uploaded, moderated, flags changed); others within a minute. */
export function forgetTorrent(infoHash: string): void {
  torrents.delete(infoHash);
}
