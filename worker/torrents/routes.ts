// The private index: admins upload .torrent files (BEP 27 private only); members fetch
// them back carrying their own announce URL.

import { Hono } from "hono";
import { eq } from "drizzle-orm";
import { BencodeError } from "../../protocol/bencode.ts";
import { isInfoHashHex } from "../../protocol/hex.ts";
import { parseTorrent, withAnnounce, type TorrentFile, type TorrentFileV2 } from "../../protocol/torrent.ts";
import type { Env } from "../env.ts";
import { db, schema } from "../db/client.ts";
import { HttpError, badRequest, notFound } from "../errors.ts";
import { requireAdmin } from "../admin.ts";
import { memberByPasskey } from "../members/lookup.ts";

/** D1 stores at most 2 MB in one value; real .torrent files are far smaller. */
const MAX_TORRENT_BYTES = 2_000_000;

type TorrentRow = typeof schema.torrents.$inferSelect;

export function torrentJson(t: Omit<TorrentRow, "metainfo" | "createdAt">) {
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
};

export const torrentsApi = new Hono<{ Bindings: Env }>();

torrentsApi.get("/", async (c) => {
  const rows = await db(c.env.DB).select(listColumns).from(schema.torrents).orderBy(schema.torrents.createdAt);
  return c.json(rows.map(torrentJson));
});

torrentsApi.get("/:infoHash", async (c) => {
  const infoHash = c.req.param("infoHash").toLowerCase();
  if (!isInfoHashHex(infoHash)) throw badRequest("info hash must be 40 hex digits");
  const row = await db(c.env.DB).select(listColumns).from(schema.torrents).where(eq(schema.torrents.infoHash, infoHash)).get();
  if (!row) throw notFound("no such torrent");
  return c.json(torrentJson(row));
});

// v1: the curator supplies the storage root (query `storageRoot`); it is `published` until
// ROOT_CONFIRMATIONS nodes confirm it (POST /api/nodes/roots). v2 and hybrid (BEP 52): the
// per-file roots in the info dict are the commitment, confirmed by the info hash itself.
torrentsApi.post("/", requireAdmin, async (c) => {
  const storageRoot = (c.req.query("storageRoot") ?? "").replace(/^0x/, "").toLowerCase();
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.length === 0) throw badRequest("body must be the raw .torrent file", "invalid_torrent");
  if (bytes.length > MAX_TORRENT_BYTES) throw new HttpError(413, "too_large", `a .torrent may be at most ${MAX_TORRENT_BYTES} bytes`);
  let meta;
  try {
    meta = parseTorrent(bytes);
  } catch (e) {
    if (e instanceof BencodeError) throw badRequest(`not a valid .torrent: ${e.message}`, "invalid_torrent");
    throw e;
  }
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
    createdAt: now,
  };
  const inserted = await db(c.env.DB).insert(schema.torrents).values(row).onConflictDoNothing().returning({ infoHash: schema.torrents.infoHash });
  if (inserted.length === 0) throw new HttpError(409, "already_exists", `torrent ${meta.infoHash} is already in the index`);
  return c.json(torrentJson(row), 201);
});

/** GET /:passkey/torrent/:infoHash: the .torrent with this member's announce URL. */
export const torrentDownload = new Hono<{ Bindings: Env }>();

torrentDownload.get("/:passkey/torrent/:infoHash", async (c) => {
  const passkey = c.req.param("passkey");
  const infoHash = c.req.param("infoHash").toLowerCase().replace(/\.torrent$/, "");
  if (!(await memberByPasskey(c.env.DB, passkey))) throw new HttpError(403, "unknown_passkey", "unknown passkey");
  if (!isInfoHashHex(infoHash)) throw badRequest("info hash must be 40 hex digits");
  const row = await db(c.env.DB).select({ name: schema.torrents.name, metainfo: schema.torrents.metainfo }).from(schema.torrents).where(eq(schema.torrents.infoHash, infoHash)).get();
  if (!row) throw notFound("no such torrent");
  const announce = `${new URL(c.req.url).origin}/${passkey}/announce`;
  const body = withAnnounce(row.metainfo, announce);
  const filename = `${row.name.replace(/[^\w.\- ]+/g, "_")}.torrent`;
  return new Response(body, {
    headers: { "Content-Type": "application/x-bittorrent", "Content-Disposition": `attachment; filename="${filename}"`, "Cache-Control": "private, no-store" },
  });
});
