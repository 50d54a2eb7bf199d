// The HTTP tracker (BEP 3, 7, 21, 23, 27, 48). Every answer is HTTP 200 and bencoded:
// libtorrent reads `failure reason` from no other status (TRACKER-NOTES "Writing the
// response"). The worker authenticates and checks the torrent and the client from isolate
// caches, then one RPC to the swarm shard of the info hash does the rest; the shard's answer
// is written here, so the single-threaded shard does as little as possible.

import { Hono, type Context } from "hono";
import { ANNOUNCE_INTERVAL_SECONDS, ANNOUNCE_MIN_INTERVAL_SECONDS } from "../../protocol/params.ts";
import { toHex } from "../../protocol/hex.ts";
import type { Env } from "../env.ts";
import { edgeAddress } from "../edge.ts";
import { PASSKEY, forgetPasskey, memberRecord, passkeyTag, torrentRecords, type MemberRecord } from "../members/lookup.ts";
import { compactEndpoint, parseIp } from "../swarm/ip.ts";
import { EVENT_CODES } from "../swarm/credit.ts";
import { SWARM_SHARDS, shardName, shardOf, type RefusalCode, type SwarmStats, type SwarmShard } from "../swarm/shard.ts";
import { countInWorker, shipCounts } from "../metrics/counts.ts";
import { clientRules, matchClient, refusal, type ClientRule } from "./clients.ts";
import { QueryError, parseAnnounce, parseScrape, rawQueryOf } from "./query.ts";
import { announceBody, bencodedResponse, endpointText, failureBody, scrapeBody, type DictPeer, type ScrapeFile } from "./response.ts";
import { MAX_PEERS_PER_MEMBER_TORRENT, MODERATION_RETRY_SECONDS, PERMANENT_RETRY_SECONDS, SLOWED_INTERVAL_FACTOR, TRANSIENT_RETRY_SECONDS, WARN_TOO_SOON } from "./rules.ts";

/** A refusal clients can read, with its retry timer and a reason code for /metrics. */
export class TrackerFailure extends Error {
  readonly retrySeconds: number;
  readonly code: string;
  readonly never: boolean;
  /** Already counted where it was decided (a swarm shard's refusal). */
  counted = false;
  constructor(code: string, message: string, retrySeconds: number, never = false) {
    super(message);
    this.code = code;
    this.retrySeconds = retrySeconds;
    this.never = never;
  }
}

export const UNREGISTERED = "Unregistered torrent";

function failure(kind: "announce" | "scrape", e: unknown): Response {
  if (e instanceof TrackerFailure) {
    if (!e.counted) countInWorker(`${kind}_failure_${e.code}`);
    return bencodedResponse(failureBody(e.message, e.retrySeconds, e.never));
  }
  if (e instanceof QueryError) {
    countInWorker(`${kind}_failure_malformed`);
    return bencodedResponse(failureBody(e.message, PERMANENT_RETRY_SECONDS));
  }
  countInWorker(`${kind}_failure_internal`);
  console.error("tracker error", e instanceof Error ? `${e.name}: ${e.message.slice(0, 120)}` : typeof e);
  return bencodedResponse(failureBody("tracker error, retry later", TRANSIENT_RETRY_SECONDS));
}

/** The interval with jitter, so a swarm's clients do not announce in lockstep (Ocelot, UNIT3D). */
function jitteredInterval(slowed: boolean): number {
  const base = ANNOUNCE_INTERVAL_SECONDS * (slowed ? SLOWED_INTERVAL_FACTOR : 1);
  return base + Math.floor(Math.random() * (ANNOUNCE_INTERVAL_SECONDS / 10));
}

/** Shard ids per isolate (idFromName hashes the name every call). */
const shardIds: (DurableObjectId | undefined)[] = new Array(SWARM_SHARDS);
export function shardStub(env: Env, shard: number): DurableObjectStub<SwarmShard> {
  const id = (shardIds[shard] ??= env.SWARM.idFromName(shardName(shard)));
  return env.SWARM.get(id);
}

/** Tests only (TEST_CLOCK=1, a vitest binding): the request's clock from `X-Test-Now`, so rules about time can be checked. */
export function requestNow(c: Context<{ Bindings: Env }>): number {
  if (c.env.TEST_CLOCK === "1") {
    const t = Number(c.req.header("X-Test-Now"));
    if (Number.isSafeInteger(t) && t > 0) return t;
  }
  return Date.now();
}

async function authenticate(env: Env, passkey: string): Promise<MemberRecord> {
  const member = await memberRecord(env.DB, passkey);
  if (!member) throw new TrackerFailure("unknown_passkey", UNKNOWN_PASSKEY, PERMANENT_RETRY_SECONDS, true);
  return member;
}

const UNKNOWN_PASSKEY = "unknown passkey: download the .torrent again from the site";

/** A shard's refusal in words clients show, with the retry timer that fits it. */
export function refusalFailure(code: RefusalCode, passkey: string, rules: readonly ClientRule[], peerId: string): TrackerFailure {
  switch (code) {
    case "unknown_passkey":
      return new TrackerFailure(code, UNKNOWN_PASSKEY, PERMANENT_RETRY_SECONDS, true);
    case "revoked_passkey":
      forgetPasskey(passkey);
      // A reset passkey still in use is a leaked .torrent or a stale client: worth a warning, by hash only.
      console.warn("announce refused: passkey was reset", `sha256:${passkeyTag(passkey)}`);
      return new TrackerFailure(code, "this passkey was reset: download the .torrent again from the site", PERMANENT_RETRY_SECONDS, true);
    case "client_not_allowed":
      return new TrackerFailure(code, refusal(rules, peerId), PERMANENT_RETRY_SECONDS, true);
    case "unregistered":
      return new TrackerFailure(code, UNREGISTERED, PERMANENT_RETRY_SECONDS);
    case "pending_moderation":
      // UNIT3D's moderation states; a short retry (TRACKER-NOTES): it clears once a curator acts.
      return new TrackerFailure(code, "Torrent is waiting for moderation: it will work once a curator approves it", MODERATION_RETRY_SECONDS);
    case "rejected":
      return new TrackerFailure(code, "Torrent was rejected by moderation", PERMANENT_RETRY_SECONDS, true);
    case "not_hosted":
      return new TrackerFailure(code, "this node key covers only the torrents the node hosts or reported fetching to host", MODERATION_RETRY_SECONDS);
    case "too_many_peers":
      return new TrackerFailure(code, `you already have ${MAX_PEERS_PER_MEMBER_TORRENT} clients in this swarm; stop one of them first`, ANNOUNCE_MIN_INTERVAL_SECONDS);
  }
}

/**
 * One announce: parse, check the client against the allow-list (cached per isolate), and one
 * RPC to the swarm shard, which resolves the passkey and the torrent from its own memory
 * (swarm/directory.ts), credits, and picks the peers. No D1 read or write on this path.
 */
export async function announceRequest(url: string, headers: Headers, passkey: string, env: Env, waitUntil: (p: Promise<unknown>) => void, now: number): Promise<Response> {
  try {
    const q = parseAnnounce(rawQueryOf(url));
    // A passkey that cannot be one is refused here; any other is the shard's to check.
    if (!PASSKEY.test(passkey)) throw new TrackerFailure("unknown_passkey", UNKNOWN_PASSKEY, PERMANENT_RETRY_SECONDS, true);
    const rules = await clientRules(env.DB, now);
    const client = matchClient(rules, q.peerId);
    const ih = toHex(binary(q.infoHash));
    // The address the edge saw; ip=, ipv4= and ipv6= are never read (BEP 7: they would let
    // anyone point a swarm at a victim).
    const address = edgeAddress(headers, env);
    const ip = address ? parseIp(address) : undefined;
    if (!ip) throw new TrackerFailure("no_address", "cannot determine your address", TRANSIENT_RETRY_SECONDS);
    const r = await shardStub(env, shardOf(ih)).announce({
      ih,
      pid: q.peerId,
      pk: passkey,
      client: client?.allowed === true,
      ep: compactEndpoint(ip, q.port),
      up: q.uploaded,
      down: q.downloaded,
      left: q.left,
      ev: EVENT_CODES[q.event]!,
      nw: q.numwant,
      now,
      tid: q.trackerId,
      ids: !q.compact,
    });
    if (!r.ok) {
      const f = refusalFailure(r.code, passkey, rules, q.peerId);
      f.counted = true;
      throw f;
    }
    const warnings: string[] = [];
    if (r.warn & WARN_TOO_SOON)
      warnings.push(`announced again before the min interval (${ANNOUNCE_MIN_INTERVAL_SECONDS} s) from the same address: no peers this time`);
    if (r.slowed) warnings.push("your account is slowed (fewer peers, longer interval): see your allotment on the site");
    if (client?.warning) warnings.push(client.warning);
    countInWorker("announce_ok");
    shipCounts(env, waitUntil);
    return bencodedResponse(
      announceBody({
        complete: r.complete,
        incomplete: r.incomplete,
        downloaded: r.downloaded,
        interval: jitteredInterval(r.slowed),
        minInterval: ANNOUNCE_MIN_INTERVAL_SECONDS,
        peers: q.compact ? r.peers : [...dictPeers(r.peers, r.ids4 ?? "", 6, q.noPeerId), ...dictPeers(r.peers6, r.ids6 ?? "", 18, q.noPeerId)],
        peers6: q.compact ? r.peers6 : undefined,
        trackerId: r.tid ? String(r.tid) : undefined,
        warning: warnings.join("; ") || undefined,
      }),
    );
  } catch (e) {
    shipCounts(env, waitUntil);
    return failure("announce", e);
  }
}

export const tracker = new Hono<{ Bindings: Env }>();

tracker.get("/:passkey/announce", (c) =>
  announceRequest(c.req.url, c.req.raw.headers, c.req.param("passkey"), c.env, (p) => c.executionCtx.waitUntil(p), requestNow(c)),
);

/**
 * The announce without the router: `GET /<passkey>/announce?…` is most of a tracker's traffic,
 * so the worker's fetch answers it before Hono sees it (the same handler as the route above).
 */
export function announceFastPath(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> | undefined {
  if (request.method !== "GET" || request.headers.has("Upgrade")) return undefined;
  const url = request.url;
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const q = url.indexOf("?", start);
  const path = q < 0 ? url.slice(start) : url.slice(start, q);
  if (path.length !== 42 || !path.endsWith("/announce")) return undefined;
  const passkey = path.slice(1, 33);
  if (!PASSKEY.test(passkey)) return undefined;
  let now = Date.now();
  if (env.TEST_CLOCK === "1") {
    const t = Number(request.headers.get("X-Test-Now"));
    if (Number.isSafeInteger(t) && t > 0) now = t;
  }
  return announceRequest(url, request.headers, passkey, env, (p) => ctx.waitUntil(p), now);
}

/** BEP 3's dictionary model from compact entries (IPv6 peers are listed too, as text addresses). */
function dictPeers(compact: string, ids: string, size: number, noPeerId: boolean): DictPeer[] {
  const out: DictPeer[] = [];
  for (let i = 0, j = 0; i + size <= compact.length; i += size, j += 20) {
    const { ip, port } = endpointText(compact.slice(i, i + size));
    out.push({ ip, port, ...(noPeerId ? {} : { peerId: ids.slice(j, j + 20) }) });
  }
  return out;
}

function binary(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Info hashes per scrape at most (a client scrapes its torrents in batches). */
export const MAX_SCRAPE_HASHES = 100;

tracker.get("/:passkey/scrape", async (c) => {
  const now = requestNow(c);
  try {
    const hashes = parseScrape(rawQueryOf(c.req.url));
    const passkey = c.req.param("passkey");
    await authenticate(c.env, passkey);
    // A private tracker does not hand out its whole index (BEP 48 full scrape).
    if (hashes.length === 0) throw new TrackerFailure("full_scrape", "full scrape is not allowed: name the info_hash", PERMANENT_RETRY_SECONDS);
    if (hashes.length > MAX_SCRAPE_HASHES) throw new TrackerFailure("too_many_hashes", `too many info_hash values (at most ${MAX_SCRAPE_HASHES})`, PERMANENT_RETRY_SECONDS);
    const byHex = new Map<string, string>();
    for (const h of hashes) byHex.set(toHex(binary(h)), h);
    const known = await torrentRecords(c.env.DB, [...byHex.keys()], now);
    // Unregistered and unapproved torrents are left out, as BEP 48 leaves out unknown ones.
    const byShard = new Map<number, string[]>();
    for (const [h, t] of known) {
      if (t.status !== "approved") continue;
      const s = shardOf(h);
      const list = byShard.get(s);
      if (list) list.push(h);
      else byShard.set(s, [h]);
    }
    const results = await Promise.all([...byShard].map(([s, list]) => shardStub(c.env, s).scrape(list, passkey)));
    const files = new Map<string, ScrapeFile>();
    for (const r of results) {
      if ("revoked" in r) {
        forgetPasskey(passkey);
        throw new TrackerFailure("revoked_passkey", "this passkey was reset: download the .torrent again from the site", PERMANENT_RETRY_SECONDS, true);
      }
      for (const [h, st] of Object.entries(r) as [string, SwarmStats][]) files.set(byHex.get(h)!, st);
    }
    countInWorker("scrape_ok");
    shipCounts(c.env, (p) => c.executionCtx.waitUntil(p));
    return bencodedResponse(scrapeBody(files, ANNOUNCE_MIN_INTERVAL_SECONDS));
  } catch (e) {
    shipCounts(c.env, (p) => c.executionCtx.waitUntil(p));
    return failure("scrape", e);
  }
});
