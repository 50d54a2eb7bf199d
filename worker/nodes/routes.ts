// Nodes (DESIGN.md flow 3): register a wallet and BitTorrent port, then report the hosted
// subset, both as signed EIP-712 reports. The endpoint host is what the edge sees.

import { Hono } from "hono";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { MAX_FETCHING } from "../../protocol/params.ts";
import { subnetOf } from "../../protocol/net/subnet.ts";
import { DEV_LOCATION_HEADER } from "../../protocol/net/dev-location.ts";
import { openEpoch, transcriptFromRow } from "../challenge/round.ts";
import { noBonds, refreshRootStatuses, type BondCheck } from "../torrents/roots.ts";
import { bondOf, chainConfigured } from "../chain/client.ts";
import type { Env } from "../env.ts";
import type { BatchItem } from "drizzle-orm/batch";
import { chunk, db, inChunks, schema, type Db } from "../db/client.ts";
import { HttpError, badRequest, notFound } from "../errors.ts";
import { acceptReport, readJson } from "../reports.ts";
import { edgeAddress } from "../edge.ts";
import { newPasskey } from "../members/passkey.ts";
import { nodeStatus } from "./status.ts";
import { checkNode } from "./check.ts";

export const nodesApi = new Hono<{ Bindings: Env }>();

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * request.cf's latitude, longitude (strings) and colo, when the edge gives them. Locally
 * (LOCAL_DEV=1) miniflare hands every request one placeholder place (Austin, "DFW"): ignored;
 * the local network's nodes say their place in DEV_LOCATION_HEADER instead, so the geo boost
 * runs locally. That header is honoured ONLY under LOCAL_DEV=1: in production a node's word
 * about its place counts for nothing (DESIGN.md "Hosting rewards").
 */
export function edgeLocation(req: Request, env: Env): { lat: number | null; lon: number | null; colo: string | null } {
  const cf =
    env.LOCAL_DEV === "1"
      ? devLocation(req.headers.get(DEV_LOCATION_HEADER))
      : (req as Request & { cf?: { latitude?: unknown; longitude?: unknown; colo?: unknown } }).cf;
  const lat = Number(cf?.latitude);
  const lon = Number(cf?.longitude);
  const ok = cf?.latitude !== undefined && cf?.longitude !== undefined && Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180;
  return { lat: ok ? lat : null, lon: ok ? lon : null, colo: typeof cf?.colo === "string" ? cf.colo : null };
}

function devLocation(header: string | null): { latitude?: string; longitude?: string; colo?: string } | undefined {
  const [latitude, longitude] = (header ?? "").split(",").map((x) => x.trim());
  return latitude && longitude ? { latitude, longitude, colo: "LOCAL" } : undefined;
}

/** Stake bonded on a node, read once per report from the Staking contract; none without a chain. */
function bondCheck(env: Env): BondCheck {
  if (!chainConfigured(env) || !env.STAKING_ADDRESS) return noBonds;
  const known = new Map<string, Promise<boolean>>();
  return (node) => {
    let b = known.get(node);
    if (!b) {
      b = bondOf(env, node as `0x${string}`).then(
        (v) => v > 0n,
        (e: unknown) => {
          // The chain being down never stops a report: the node counts as unbonded this time.
          console.warn("bondOf failed", e instanceof Error ? e.message.slice(0, 120) : typeof e);
          return false;
        },
      );
      known.set(node, b);
    }
    return b;
  };
}

nodesApi.post("/register", async (c) => {
  const host = edgeAddress(c.req.raw.headers, c.env);
  if (!host) throw badRequest("cannot determine the address the edge sees", "no_endpoint");
  const message = await acceptReport(c.env, "NodeRegistration", await readJson(c.req));
  const node = message.node.toLowerCase();
  const now = Date.now();
  // Where Cloudflare's edge saw the connection (DESIGN.md "Hosting rewards": never what the node
  // claims). Locally the dev stand-in, or null: then the node gets no distance boost.
  const location = edgeLocation(c.req.raw, c.env);
  const d = db(c.env.DB);
  // One endpoint, one node: another key registering a port it does not own would pass that
  // node's challenges. Checked inside the one statement that writes (D1 runs statements one at a
  // time), so two keys racing for one endpoint cannot both get it: the insert or the move is
  // skipped, and the row read back says who holds it.
  const taken = sql`EXISTS (SELECT 1 FROM nodes o WHERE o.host = ${host} AND o.port = ${message.port} AND o.address <> ${node})`;
  await d.run(sql`
    INSERT INTO nodes (address, passkey, host, port, lat, lon, colo, registered_at, updated_at)
    SELECT ${node}, ${newPasskey()}, ${host}, ${message.port}, ${location.lat}, ${location.lon}, ${location.colo}, ${now}, ${now} WHERE NOT ${taken}
    ON CONFLICT (address) DO UPDATE SET host = excluded.host, port = excluded.port, lat = excluded.lat, lon = excluded.lon, colo = excluded.colo, updated_at = excluded.updated_at,
      passkey = coalesce(nodes.passkey, excluded.passkey)
    WHERE NOT ${taken}`);
  const row = await d.select({ passkey: schema.nodes.passkey, host: schema.nodes.host, port: schema.nodes.port }).from(schema.nodes).where(eq(schema.nodes.address, node)).get();
  if (!row || row.host !== host || row.port !== message.port) throw new HttpError(409, "endpoint_taken", `${host}:${message.port} is registered to another node`);
  // The node's tracker key, not a membership (DESIGN.md "Identities cost something"): it
  // announces and downloads only what the node hosts or fetches to host (nodes/access.ts).
  return c.json({ node, passkey: row.passkey!, endpoint: { host, port: message.port } });
});

// The edge dials the node back as a challenge would, and says how it went (worker/nodes/check.ts).
nodesApi.post("/check", async (c) => c.json(await checkNode(c)));

// What the node is about to fetch, or check on disk, to host: its tracker key covers these
// for FETCH_ACCESS_SECONDS (it needs their .torrent files and swarms before it can host them).
nodesApi.post("/fetching", async (c) => {
  const message = await acceptReport(c.env, "FetchSubset", await readJson(c.req));
  const node = message.node.toLowerCase();
  const d = db(c.env.DB);
  const registered = await d.select({ address: schema.nodes.address }).from(schema.nodes).where(eq(schema.nodes.address, node)).get();
  if (!registered) throw new HttpError(409, "not_registered", "register the node before reporting what it fetches");
  const wanted = [...new Set(message.infoHashes.map((h) => h.slice(2).toLowerCase()))];
  if (wanted.length > MAX_FETCHING) throw badRequest(`at most ${MAX_FETCHING} torrents may be fetched at a time`, "too_many_fetching");
  // Only approved torrents: a node key never opens a pending or rejected one.
  const approved = wanted.length
    ? new Set((await d.select({ infoHash: schema.torrents.infoHash }).from(schema.torrents).where(and(inArray(schema.torrents.infoHash, wanted), eq(schema.torrents.status, "approved")))).map((r) => r.infoHash))
    : new Set<string>();
  const accepted = wanted.filter((h) => approved.has(h));
  const now = Date.now();
  await d.batch([
    d.delete(schema.fetching).where(eq(schema.fetching.node, node)),
    ...accepted.map((infoHash) => d.insert(schema.fetching).values({ node, infoHash, reportedAt: now })),
  ]);
  return c.json({ node, fetching: accepted });
});

nodesApi.post("/hosted", async (c) => {
  const message = await acceptReport(c.env, "HostedSubset", await readJson(c.req));
  const node = message.node.toLowerCase();
  const d = db(c.env.DB);
  const registered = await d.select({ suspendedAt: schema.nodes.suspendedAt }).from(schema.nodes).where(eq(schema.nodes.address, node)).get();
  if (!registered) throw new HttpError(409, "not_registered", "register the node before reporting its hosted subset");
  if (registered.suspendedAt !== null) throw new HttpError(403, "node_suspended", "this node is suspended: it has no rounds, offers or hosting rewards");
  const accepted = await replaceHosted(d, node, message.infoHashes);
  return c.json({ node, hosted: accepted });
});

/**
 * Replaces a node's hosted subset as a whole, keeping only approved torrents (a pending,
 * rejected or removed torrent is not the index's: no rounds, no rewards). Statements stay
 * within D1's 100 bound parameters; kept rows keep their `addedAt`.
 */
export async function replaceHosted(d: Db, node: string, infoHashes: string[]): Promise<string[]> {
  const wanted = [...new Set(infoHashes.map((h) => h.replace(/^0x/, "").toLowerCase()))];
  const known = new Set<string>();
  for (let i = 0; i < wanted.length; i += 90) {
    const rows = await d
      .select({ infoHash: schema.torrents.infoHash })
      .from(schema.torrents)
      .where(and(inArray(schema.torrents.infoHash, wanted.slice(i, i + 90)), eq(schema.torrents.status, "approved")));
    for (const r of rows) known.add(r.infoHash);
  }
  const accepted = wanted.filter((h) => known.has(h));
  const keep = new Set(accepted);
  const current = await d.select({ infoHash: schema.hosted.infoHash }).from(schema.hosted).where(eq(schema.hosted.node, node));
  const dropped = current.map((r) => r.infoHash).filter((h) => !keep.has(h));
  const now = Date.now();
  const statements: BatchItem<"sqlite">[] = [];
  for (let i = 0; i < dropped.length; i += 90) statements.push(d.delete(schema.hosted).where(and(eq(schema.hosted.node, node), inArray(schema.hosted.infoHash, dropped.slice(i, i + 90)))));
  for (let i = 0; i < accepted.length; i += 30)
    statements.push(d.insert(schema.hosted).values(accepted.slice(i, i + 30).map((infoHash) => ({ node, infoHash, addedAt: now }))).onConflictDoNothing());
  // One transaction: the subset is replaced as a whole.
  if (statements.length) await d.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  return accepted;
}

// Storage roots a node computed from payloads whose v1 piece hashes it verified: each is a
// confirmation (or a contradiction) of the curator's root (worker/torrents/roots.ts).
nodesApi.post("/roots", async (c) => {
  const message = await acceptReport(c.env, "StorageRoots", await readJson(c.req));
  const node = message.node.toLowerCase();
  const d = db(c.env.DB);
  const registered = await d.select({ host: schema.nodes.host }).from(schema.nodes).where(eq(schema.nodes.address, node)).get();
  if (!registered) throw new HttpError(409, "not_registered", "register the node before reporting storage roots");
  if (message.infoHashes.length > 500) throw badRequest("at most 500 roots per report");
  const subnet = subnetOf(registered.host);
  const now = Date.now();
  // One report per torrent (the last wins), in a bounded number of queries whatever the count:
  // D1 allows 1,000 per invocation and a query each was 4 per root.
  const rootOf = new Map<string, string>();
  for (let i = 0; i < message.infoHashes.length; i++) rootOf.set(message.infoHashes[i]!.slice(2).toLowerCase(), message.roots[i]!.slice(2).toLowerCase());
  const known = new Set(
    (await inChunks([...rootOf.keys()], (part) => d.select({ infoHash: schema.torrents.infoHash }).from(schema.torrents).where(inArray(schema.torrents.infoHash, part)))).map((t) => t.infoHash),
  );
  const reports = [...rootOf].filter(([infoHash]) => known.has(infoHash)).map(([infoHash, root]) => ({ infoHash, node, root, subnet, reportedAt: now }));
  // 5 columns a row: 16 rows stay under D1's 100 bound parameters.
  const inserts = chunk(reports, 16).map((part) =>
    d
      .insert(schema.rootReports)
      .values(part)
      .onConflictDoUpdate({ target: [schema.rootReports.infoHash, schema.rootReports.node], set: { root: sql`excluded.root`, subnet: sql`excluded.subnet`, reportedAt: sql`excluded.reported_at` } }),
  );
  if (inserts.length) await d.batch(inserts as [(typeof inserts)[0], ...typeof inserts]);
  const statuses = await refreshRootStatuses(d, reports.map((r) => r.infoHash), now, bondCheck(c.env));
  const accepted = reports.map((r) => ({ infoHash: r.infoHash, root: r.root, rootStatus: statuses.get(r.infoHash)! }));
  return c.json({ node, accepted });
});

// A node's signed transcripts of an epoch (default: the open one), so it holds them before
// they are published and can dispute within the window.
nodesApi.get("/:address/transcripts", async (c) => {
  const address = c.req.param("address");
  if (!ADDRESS.test(address)) throw badRequest("address must be 0x and 40 hex digits");
  const d = db(c.env.DB);
  const raw = c.req.query("epoch");
  if (raw !== undefined && !/^[1-9][0-9]{0,9}$/.test(raw)) throw badRequest("epoch must be a positive integer");
  const epoch = raw ? Number(raw) : await openEpoch(d);
  const rows = await d
    .select()
    .from(schema.challenges)
    .where(and(eq(schema.challenges.node, address.toLowerCase()), eq(schema.challenges.epoch, epoch)))
    .orderBy(asc(schema.challenges.startedAt));
  return c.json({ node: address.toLowerCase(), epoch, transcripts: rows.map(transcriptFromRow) });
});

nodesApi.get("/:address", async (c) => {
  const address = c.req.param("address");
  if (!ADDRESS.test(address)) throw badRequest("address must be 0x and 40 hex digits");
  const status = await nodeStatus(db(c.env.DB), address.toLowerCase());
  if (!status) throw notFound("no such node");
  const { hosted, latestLeafEpoch: _latest, ...rest } = status;
  return c.json({ ...rest, hosted: hosted.map((h) => h.infoHash) });
});
