// The private index: admins upload .torrent files (BEP 27: private only), approved at once;
// members upload too, and their torrents wait for a curator (moderation, as UNIT3D's
// pending/approved/rejected); members fetch them back carrying their own announce URL.
// Curators set the credit flags (freeleech, neutral, double upload) that the swarm shards
// apply when they credit; the hot list shows what needs seeders.

import { Hono } from "hono";
import { and, asc, desc, eq, sql } from "drizzle-orm";
import { BencodeError } from "../../protocol/bencode.ts";
import { isInfoHashHex } from "../../protocol/hex.ts";
import { parseTorrent, withAnnounce, withoutPeerSources, type TorrentFile, type TorrentFileV2 } from "../../protocol/torrent.ts";
import type { Env } from "../env.ts";
import { db, schema } from "../db/client.ts";
import { HttpError, badRequest, notFound } from "../errors.ts";
import { requireAdmin } from "../admin.ts";
import { HOT_MAX_SEEDERS } from "../announce/rules.ts";
import { CATEGORIES, isCategory, type Category } from "./categories.ts";
import { PAGE_SIZE, needsSeeders, parseFilters, searchTorrents } from "./search.ts";
import { forgetTorrent, memberByPasskey } from "../members/lookup.ts";
import { nodeByKey, nodeCovers } from "../nodes/access.ts";
import { requireMemberAction, signedFromHeaders, uploadSubject } from "../members/actions.ts";
import { shardStub } from "../announce/routes.ts";
import { shardOf } from "../swarm/shard.ts";

/** This isolate and the torrent's swarm shard read it again at once; other isolates within their cache's minute. */
async function changedTorrent(env: Env, infoHash: string): Promise<void> {
  forgetTorrent(infoHash);
  await shardStub(env, shardOf(infoHash)).forgetTorrent(infoHash);
}

/** D1 stores at most 2 MB in one value; real .torrent files are far smaller. */
const MAX_TORRENT_BYTES = 2_000_000;

type TorrentRow = typeof schema.torrents.$inferSelect;
type Listed = Omit<TorrentRow, "metainfo" | "createdAt" | "moderatedAt"> & { seeders?: number | null; leechers?: number | null; snatches?: number | null };

export function torrentJson(t: Listed) {
  const v2Files = JSON.parse(t.v2Files) as TorrentFileV2[];
  return {
    infoHash: t.infoHash,
    name: t.name,
    length: t.length,
    pieceLength: t.pieceLength,
    /** "" for v2 and hybrid torrents: their per-file roots (`v2Files`) are the commitment. */
    storageRoot: t.storageRoot,
    files: JSON.parse(t.files) as TorrentFile[],
    version: t.version,
    rootStatus: t.rootStatus,
    rootConfirmedAt: t.rootConfirmedAt,
    ...(v2Files.length ? { v2Files } : {}),
    status: t.status,
    category: t.category,
    description: t.description,
    uploadedBy: t.uploadedBy,
    freeleech: t.freeleech,
    neutral: t.neutral,
    doubleUpload: t.doubleUpload,
    seeders: t.seeders ?? 0,
    leechers: t.leechers ?? 0,
    snatches: t.snatches ?? 0,
  };
}

const listColumns = {
  infoHash: schema.torrents.infoHash,
  name: schema.torrents.name,
  length: schema.torrents.length,
  pieceLength: schema.torrents.pieceLength,
  storageRoot: schema.torrents.storageRoot,
  files: schema.torrents.files,
  version: schema.torrents.version,
  v2Files: schema.torrents.v2Files,
  rootStatus: schema.torrents.rootStatus,
  rootConfirmedAt: schema.torrents.rootConfirmedAt,
  status: schema.torrents.status,
  category: schema.torrents.category,
  description: schema.torrents.description,
  uploadedBy: schema.torrents.uploadedBy,
  freeleech: schema.torrents.freeleech,
  neutral: schema.torrents.neutral,
  doubleUpload: schema.torrents.doubleUpload,
  seeders: schema.swarms.seeders,
  leechers: schema.swarms.leechers,
  snatches: schema.swarms.snatches,
};

function listed(d1: D1Database) {
  return db(d1).select(listColumns).from(schema.torrents).leftJoin(schema.swarms, eq(schema.swarms.infoHash, schema.torrents.infoHash));
}

export function infoHashParam(raw: string): string {
  const infoHash = raw.toLowerCase();
  if (!isInfoHashHex(infoHash)) throw badRequest("info hash must be 40 hex digits");
  return infoHash;
}

/** A description is a paragraph or a few, not a file. */
export const MAX_DESCRIPTION_CHARS = 4_000;

/** What an uploader says about a torrent besides the file itself. */
export interface UploadDetails {
  /** Hex storage root of a v1 payload (DESIGN.md); ignored for v2 and hybrid. */
  storageRoot?: string;
  /** One of CATEGORIES; "other" when not given. */
  category?: string;
  description?: string;
}

/** Parses, checks and stores an uploaded .torrent: the API's admin and member uploads and the site's form. */
export async function addTorrent(env: Env, bytes: Uint8Array, details: UploadDetails, who: { status: "approved" | "pending"; uploadedBy: string | null }) {
  const storageRoot = (details.storageRoot ?? "").trim().replace(/^0x/, "").toLowerCase();
  const category: Category | undefined = details.category === undefined || details.category === "" ? "other" : isCategory(details.category) ? details.category : undefined;
  if (!category) throw badRequest(`category must be one of ${CATEGORIES.join(", ")}`, "invalid_category");
  const description = (details.description ?? "").trim();
  if (description.length > MAX_DESCRIPTION_CHARS) throw badRequest(`description may be at most ${MAX_DESCRIPTION_CHARS} characters`, "invalid_description");
  if (bytes.length === 0) throw badRequest("body must be the raw .torrent file", "invalid_torrent");
  if (bytes.length > MAX_TORRENT_BYTES) throw new HttpError(413, "too_large", `a .torrent may be at most ${MAX_TORRENT_BYTES} bytes`);
  let meta;
  try {
    meta = parseTorrent(bytes);
    // BEP 27: the tracker is a private torrent's only peer source. Web seeds and DHT nodes sit
    // outside the info dict, so dropping them keeps the info hash (protocol/torrent.ts).
    bytes = withoutPeerSources(bytes);
  } catch (e) {
    if (e instanceof BencodeError) throw badRequest(`not a valid .torrent: ${e.message}`, "invalid_torrent");
    throw e;
  }
  // BEP 27: a private torrent makes clients use only this tracker (no DHT, PEX or LSD).
  if (!meta.private) throw badRequest("torrent must be private (BEP 27: info.private = 1) so clients use only this tracker", "not_private");
  const v1 = meta.version === "v1";
  if (v1 && !/^[0-9a-f]{64}$/.test(storageRoot)) throw badRequest("query storageRoot must be 64 hex digits", "invalid_storage_root");
  const now = Date.now();
  const row = {
    infoHash: meta.infoHash,
    name: meta.name,
    length: meta.length,
    pieceLength: meta.pieceLength,
    files: JSON.stringify(meta.files),
    storageRoot: v1 ? storageRoot : "",
    version: meta.version,
    v2Files: JSON.stringify(meta.v2Files ?? []),
    rootStatus: v1 ? "published" : "confirmed",
    rootConfirmedAt: v1 ? null : now,
    metainfo: bytes,
    status: who.status,
    category,
    description,
    uploadedBy: who.uploadedBy,
    freeleech: false,
    neutral: false,
    doubleUpload: false,
    createdAt: now,
  };
  // An info hash is reserved by a curator's decision, not by a pending upload: a curator's upload
  // replaces a member's pending (or rejected, or removed) one; only an approved torrent is taken.
  const curator = who.status === "approved";
  const inserted = await db(env.DB)
    .insert(schema.torrents)
    .values(row)
    .onConflictDoUpdate({ target: schema.torrents.infoHash, set: { ...row, moderatedAt: now }, setWhere: curator ? sql`${schema.torrents.status} <> 'approved'` : sql`0` })
    .returning({ infoHash: schema.torrents.infoHash });
  if (inserted.length === 0) throw new HttpError(409, "already_exists", `torrent ${meta.infoHash} is already in the index`);
  await changedTorrent(env, meta.infoHash);
  return torrentJson(row);
}

export const torrentsApi = new Hono<{ Bindings: Env }>();

/** Approved torrents only: pending and rejected ones are not in the index. */
torrentsApi.get("/", async (c) => {
  const rows = await listed(c.env.DB).where(eq(schema.torrents.status, "approved")).orderBy(schema.torrents.createdAt);
  return c.json(rows.map(torrentJson));
});

/**
 * GET /api/torrents/hot: approved torrents that need seeders (fewer than HOT_MAX_SEEDERS),
 * most wanted first (leechers, then snatches). Newcomers who download one of these while it
 * is hot are not charged for it, so they can seed it and earn their first credit.
 */
torrentsApi.get("/hot", async (c) => {
  const rows = await listed(c.env.DB)
    .where(and(eq(schema.torrents.status, "approved"), needsSeeders))
    .orderBy(desc(sql`coalesce(${schema.swarms.leechers}, 0)`), desc(sql`coalesce(${schema.swarms.snatches}, 0)`), asc(sql`coalesce(${schema.swarms.seeders}, 0)`))
    .limit(200);
  return c.json({ maxSeeders: HOT_MAX_SEEDERS, torrents: rows.map(torrentJson) });
});

/**
 * GET /api/torrents/search?q=&category=&min_size=&max_size=&min_seeders=&hot=1&freeleech=1&sort=&order=&page=
 * → { total, page, pageSize, torrents }: the index's search, the same filters as the site's.
 */
torrentsApi.get("/search", async (c) => {
  const f = parseFilters(c.req.query());
  const { total, rows } = await searchTorrents(c.env.DB, f);
  return c.json({ total, page: f.page, pageSize: PAGE_SIZE, torrents: rows });
});

torrentsApi.get("/:infoHash", async (c) => {
  const infoHash = infoHashParam(c.req.param("infoHash"));
  const row = await listed(c.env.DB).where(eq(schema.torrents.infoHash, infoHash)).get();
  if (!row || row.status === "removed") throw notFound("no such torrent");
  return c.json(torrentJson(row));
});

// v1: the uploader supplies the storage root (query `storageRoot`); it is `published` until
// ROOT_CONFIRMATIONS nodes confirm it (POST /api/nodes/roots). v2 and hybrid (BEP 52): the
// per-file roots in the info dict are the commitment, confirmed by the info hash itself.
torrentsApi.post("/", requireAdmin, async (c) => {
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  return c.json(await addTorrent(c.env, bytes, uploadDetails(c.req.query()), { status: "approved", uploadedBy: null }), 201);
});

const uploadDetails = (q: Record<string, string>): UploadDetails => ({ storageRoot: q.storageRoot, category: q.category, description: q.description });

/**
 * The .torrent of `infoHash` as `member` may fetch it, its announce URL carrying `passkey`
 * (the tracker's only way to know who announces). Until approved, only its uploader may.
 */
export async function memberTorrentFile(env: Env, member: string, passkey: string, infoHash: string, origin: string, approvedOnly = false): Promise<Response> {
  const row = await db(env.DB)
    .select({ name: schema.torrents.name, metainfo: schema.torrents.metainfo, status: schema.torrents.status, uploadedBy: schema.torrents.uploadedBy })
    .from(schema.torrents)
    .where(eq(schema.torrents.infoHash, infoHash))
    .get();
  if (!row || row.status === "removed" || (row.status !== "approved" && (approvedOnly || row.uploadedBy !== member))) throw notFound("no such torrent");
  const body = withAnnounce(row.metainfo, `${origin}/${passkey}/announce`);
  const filename = `${row.name.replace(/[^\w.\- ]+/g, "_")}.torrent`;
  return new Response(body, {
    headers: { "Content-Type": "application/x-bittorrent", "Content-Disposition": `attachment; filename="${filename}"`, "Cache-Control": "private, no-store" },
  });
}

/** GET /:passkey/torrent/:infoHash: the .torrent with this member's announce URL; POST /:passkey/upload: a member's upload. */
export const torrentDownload = new Hono<{ Bindings: Env }>();

torrentDownload.get("/:passkey/torrent/:infoHash", async (c) => {
  const passkey = c.req.param("passkey");
  const infoHash = infoHashParam(c.req.param("infoHash").replace(/\.torrent$/i, ""));
  const member = await memberByPasskey(c.env.DB, passkey);
  if (member) return memberTorrentFile(c.env, member, passkey, infoHash, new URL(c.req.url).origin);
  // A node's tracker key: only approved torrents it hosts or reported fetching (nodes/access.ts).
  const node = await nodeByKey(c.env.DB, passkey);
  if (!node) throw new HttpError(403, "unknown_passkey", "unknown passkey");
  if (!(await nodeCovers(c.env.DB, node.address, infoHash))) throw new HttpError(403, "not_hosted", "this node key covers only the torrents the node hosts or reported fetching to host");
  return memberTorrentFile(c.env, node.address, passkey, infoHash, new URL(c.req.url).origin, true);
});

/**
 * POST /api/torrents/upload[?storageRoot=…&category=…&description=…]: a member's .torrent (raw
 * body), pending until a curator approves it. Signed by the member's wallet (a MemberAction
 * "upload" in X-Vidya-Action / X-Vidya-Signature, its subject the body's SHA-256): a passkey
 * does not authorise uploads (members/actions.ts).
 */
torrentsApi.post("/upload", async (c) => {
  const signed = signedFromHeaders(c.req.raw.headers);
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.length > MAX_TORRENT_BYTES) throw new HttpError(413, "too_large", `a .torrent may be at most ${MAX_TORRENT_BYTES} bytes`);
  const { account } = await requireMemberAction(c.env, signed, "upload", uploadSubject(bytes));
  return c.json(await addTorrent(c.env, bytes, uploadDetails(c.req.query()), { status: "pending", uploadedBy: account }), 201);
});

/** Curators: moderation and credit flags. */
export const torrentsAdmin = new Hono<{ Bindings: Env }>();
torrentsAdmin.use("*", requireAdmin);

/** GET /admin/torrents?status=pending|approved|rejected (default pending): the moderation queue. */
torrentsAdmin.get("/torrents", async (c) => {
  const status = c.req.query("status") ?? "pending";
  if (!["pending", "approved", "rejected", "removed"].includes(status)) throw badRequest("status must be pending, approved, rejected or removed");
  const rows = await listed(c.env.DB).where(eq(schema.torrents.status, status)).orderBy(schema.torrents.createdAt);
  return c.json(rows.map(torrentJson));
});

/** Approves or rejects a torrent (admins through the API, curators through the site). */
export async function moderate(env: Env, infoHash: string, status: "approved" | "rejected") {
  const rows = await db(env.DB)
    .update(schema.torrents)
    .set({ status, moderatedAt: Date.now() })
    .where(eq(schema.torrents.infoHash, infoHash))
    .returning({ infoHash: schema.torrents.infoHash });
  if (rows.length !== 1) throw notFound("no such torrent");
  // Announces see the new status at once (the shard); the index's other isolates within their
  // cache's minute, the retry interval a pending torrent's announces were given.
  await changedTorrent(env, infoHash);
  return torrentJson((await listed(env.DB).where(eq(schema.torrents.infoHash, infoHash)).get())!);
}

torrentsAdmin.post("/torrents/:infoHash/approve", async (c) => c.json(await moderate(c.env, infoHashParam(c.req.param("infoHash")), "approved")));
torrentsAdmin.post("/torrents/:infoHash/reject", async (c) => c.json(await moderate(c.env, infoHashParam(c.req.param("infoHash")), "rejected")));

/**
 * Takes a torrent out of the index (admins): announces are refused, no member can fetch its
 * .torrent, it leaves every hosted subset and so every challenge round. The row stays, with
 * status "removed", so closes still find the epoch's transcripts' torrent and the info hash
 * stays reserved by this decision.
 */
export async function removeTorrent(env: Env, infoHash: string) {
  const d = db(env.DB);
  const rows = await d.update(schema.torrents).set({ status: "removed", moderatedAt: Date.now() }).where(eq(schema.torrents.infoHash, infoHash)).returning({ infoHash: schema.torrents.infoHash });
  if (rows.length !== 1) throw notFound("no such torrent");
  const unhosted = await d.delete(schema.hosted).where(eq(schema.hosted.infoHash, infoHash)).returning({ node: schema.hosted.node });
  await changedTorrent(env, infoHash);
  return { ...torrentJson((await listed(env.DB).where(eq(schema.torrents.infoHash, infoHash)).get())!), unhostedBy: unhosted.map((r) => r.node).sort() };
}

torrentsAdmin.post("/torrents/:infoHash/remove", async (c) => c.json(await removeTorrent(c.env, infoHashParam(c.req.param("infoHash")))));

export type CreditFlags = { freeleech?: boolean; neutral?: boolean; doubleUpload?: boolean };

/** Sets credit flags, applied from the torrent's next announce (admins through the API, curators through the site). */
export async function setFlags(env: Env, infoHash: string, set: CreditFlags) {
  if (Object.keys(set).length === 0) throw badRequest("nothing to set: freeleech, neutral or doubleUpload");
  const rows = await db(env.DB).update(schema.torrents).set(set).where(eq(schema.torrents.infoHash, infoHash)).returning({ infoHash: schema.torrents.infoHash });
  if (rows.length !== 1) throw notFound("no such torrent");
  await changedTorrent(env, infoHash);
  return torrentJson((await listed(env.DB).where(eq(schema.torrents.infoHash, infoHash)).get())!);
}

/** POST /admin/torrents/:infoHash/flags { freeleech?, neutral?, doubleUpload? }: applied to credit from the next announce. */
torrentsAdmin.post("/torrents/:infoHash/flags", async (c) => {
  const infoHash = infoHashParam(c.req.param("infoHash"));
  const body = (await c.req.json().catch(() => null)) as Record<string, unknown> | null;
  if (!body || typeof body !== "object") throw badRequest("body must be a JSON object");
  const set: CreditFlags = {};
  for (const k of ["freeleech", "neutral", "doubleUpload"] as const) {
    if (body[k] === undefined) continue;
    if (typeof body[k] !== "boolean") throw badRequest(`${k} must be true or false`);
    set[k] = body[k];
  }
  return c.json(await setFlags(c.env, infoHash, set));
});
