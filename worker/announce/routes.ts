// The HTTP tracker (BEP 3, 7, 23, 48). Every answer is HTTP 200 and bencoded: libtorrent
// reads `failure reason` from no other status (TRACKER-NOTES "Writing the response").

import { Hono } from "hono";
import { encode } from "../../protocol/bencode.ts";
import { bytesToBinary, fromHex, toHex } from "../../protocol/hex.ts";
import { ANNOUNCE_INTERVAL_SECONDS, ANNOUNCE_MIN_INTERVAL_SECONDS } from "../../protocol/params.ts";
import type { Env } from "../env.ts";
import { edgeAddress } from "../edge.ts";
import { memberByPasskey, registeredTorrents } from "../members/lookup.ts";
import { parseIp } from "../swarm/ip.ts";
import { shardName, shardOf, type SwarmStats } from "../swarm/shard.ts";
import { QueryError, parseAnnounce, parseScrape, rawQueryOf } from "./query.ts";

/** Retry timers for failures: long when only a human can fix it, short when it clears soon. */
const PERMANENT_RETRY_SECONDS = ANNOUNCE_INTERVAL_SECONDS;
const TRANSIENT_RETRY_SECONDS = ANNOUNCE_MIN_INTERVAL_SECONDS;

class TrackerFailure extends Error {
  readonly retrySeconds: number;
  constructor(message: string, retrySeconds: number) {
    super(message);
    this.retrySeconds = retrySeconds;
  }
}

function bencoded(body: Uint8Array): Response {
  return new Response(body, { status: 200, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" } });
}

export function failure(reason: string, retrySeconds = PERMANENT_RETRY_SECONDS): Response {
  return bencoded(encode({ "failure reason": reason, interval: retrySeconds, "min interval": retrySeconds }));
}

function toFailure(e: unknown): Response {
  if (e instanceof TrackerFailure) return failure(e.message, e.retrySeconds);
  if (e instanceof QueryError) return failure(e.message);
  console.error("tracker error", e instanceof Error ? e.name : typeof e);
  return failure("tracker error, retry later", TRANSIENT_RETRY_SECONDS);
}

/** The interval with a little jitter, so a swarm's clients do not announce in lockstep. */
function jitteredInterval(): number {
  return ANNOUNCE_INTERVAL_SECONDS + Math.floor(Math.random() * (ANNOUNCE_INTERVAL_SECONDS / 10));
}

async function authenticate(env: Env, passkey: string): Promise<string> {
  const member = await memberByPasskey(env.DB, passkey);
  if (!member) throw new TrackerFailure("unknown passkey: get your torrent from the site again", PERMANENT_RETRY_SECONDS);
  return member;
}

export const tracker = new Hono<{ Bindings: Env }>();

tracker.get("/:passkey/announce", async (c) => {
  try {
    const q = parseAnnounce(rawQueryOf(c.req.url));
    const member = await authenticate(c.env, c.req.param("passkey"));
    const infoHash = toHex(q.infoHash);
    if (!(await registeredTorrents(c.env.DB, [infoHash])).has(infoHash))
      throw new TrackerFailure("torrent not registered with this tracker", TRANSIENT_RETRY_SECONDS);
    const address = edgeAddress(c.req.raw.headers, c.env);
    const ip = address ? parseIp(address) : undefined;
    if (!ip) throw new TrackerFailure("cannot determine your address", TRANSIENT_RETRY_SECONDS);
    const stub = c.env.SWARM.get(c.env.SWARM.idFromName(shardName(shardOf(infoHash))));
    const r = await stub.announce({
      infoHash,
      peerId: toHex(q.peerId),
      member,
      ip,
      port: q.port,
      uploaded: q.uploaded,
      downloaded: q.downloaded,
      left: q.left,
      event: q.event,
      numwant: q.numwant,
      now: Date.now(),
    });
    return bencoded(
      encode({
        complete: r.complete,
        incomplete: r.incomplete,
        downloaded: r.downloaded,
        interval: jitteredInterval(),
        "min interval": ANNOUNCE_MIN_INTERVAL_SECONDS,
        peers: r.peers,
        peers6: r.peers6,
      }),
    );
  } catch (e) {
    return toFailure(e);
  }
});

tracker.get("/:passkey/scrape", async (c) => {
  try {
    const hashes = parseScrape(rawQueryOf(c.req.url));
    await authenticate(c.env, c.req.param("passkey"));
    // A private tracker does not hand out its whole index (BEP 48 full scrape).
    if (hashes.length === 0) throw new TrackerFailure("full scrape is not allowed: name the info_hash", PERMANENT_RETRY_SECONDS);
    if (hashes.length > 100) throw new TrackerFailure("too many info_hash values (at most 100)", PERMANENT_RETRY_SECONDS);
    const wanted = [...new Set(hashes.map(toHex))];
    const known = await registeredTorrents(c.env.DB, wanted);
    const byShard = new Map<number, string[]>();
    for (const h of wanted) {
      if (!known.has(h)) continue;
      const s = shardOf(h);
      byShard.set(s, [...(byShard.get(s) ?? []), h]);
    }
    const results = await Promise.all(
      [...byShard].map(([s, list]) => c.env.SWARM.get(c.env.SWARM.idFromName(shardName(s))).scrape(list)),
    );
    const files: Record<string, { complete: number; incomplete: number; downloaded: number }> = {};
    for (const r of results)
      for (const [h, st] of Object.entries(r) as [string, SwarmStats][])
        files[bytesToBinary(fromHex(h))] = { complete: st.complete, incomplete: st.incomplete, downloaded: st.downloaded };
    return bencoded(encode({ files, flags: { min_request_interval: ANNOUNCE_MIN_INTERVAL_SECONDS } }));
  } catch (e) {
    return toFailure(e);
  }
});
