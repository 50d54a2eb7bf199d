// Passkey and torrent look-ups on the announce path, cached per isolate for a short while so
// a busy swarm does not cost a D1 read per announce. Only positive answers are cached, so a
// member who just joined or a torrent just uploaded is seen at once.

import { eq } from "drizzle-orm";
import { db, schema } from "../db/client.ts";

const TTL_MS = 60_000;
const MAX_ENTRIES = 50_000;
const members = new Map<string, { account: string; at: number }>();
const torrents = new Map<string, number>();

export const PASSKEY = /^[0-9a-f]{32}$/;

function trim<V>(m: Map<string, V>) {
  if (m.size > MAX_ENTRIES) m.clear();
}

export async function memberByPasskey(d1: D1Database, passkey: string, now = Date.now()): Promise<string | undefined> {
  if (!PASSKEY.test(passkey)) return undefined;
  const hit = members.get(passkey);
  if (hit && now - hit.at < TTL_MS) return hit.account;
  const row = await db(d1).select({ account: schema.members.account }).from(schema.members).where(eq(schema.members.passkey, passkey)).get();
  if (!row) return undefined;
  trim(members);
  members.set(passkey, { account: row.account, at: now });
  return row.account;
}

/** Which of these info hashes are registered torrents. */
export async function registeredTorrents(d1: D1Database, infoHashes: string[], now = Date.now()): Promise<Set<string>> {
  const known = new Set<string>();
  const missing: string[] = [];
  for (const h of infoHashes) {
    const at = torrents.get(h);
    if (at !== undefined && now - at < TTL_MS) known.add(h);
    else missing.push(h);
  }
  const d = db(d1);
  for (let i = 0; i < missing.length; i += 90) {
    const part = missing.slice(i, i + 90);
    const rows = await d.query.torrents.findMany({ columns: { infoHash: true }, where: (t, { inArray }) => inArray(t.infoHash, part) });
    trim(torrents);
    for (const r of rows) {
      known.add(r.infoHash);
      torrents.set(r.infoHash, now);
    }
  }
  return known;
}
