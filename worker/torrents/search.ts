// Searching the index: one parser for the filters (the API's query string and the site's form
// are the same names) and one query. Filters are checked, not guessed: a bad value is a 400
// naming it, so a typo never silently widens a search.

import { and, asc, desc, eq, gte, lt, lte, or, isNull, sql, type SQL } from "drizzle-orm";
import { db, schema } from "../db/client.ts";
import { badRequest } from "../errors.ts";
import { HOT_MAX_SEEDERS } from "../announce/rules.ts";
import { CATEGORIES, isCategory, type Category } from "./categories.ts";

export const SORTS = ["added", "name", "size", "seeders", "leechers", "snatches"] as const;
export type Sort = (typeof SORTS)[number];

export interface TorrentFilters {
  /** Words that must all appear in the name (case-insensitive). */
  q: string;
  category: Category | null;
  minBytes: number | null;
  maxBytes: number | null;
  minSeeders: number | null;
  /** Only torrents that need seeders (the hot list's rule). */
  hot: boolean;
  freeleech: boolean;
  sort: Sort;
  order: "asc" | "desc";
  page: number;
}

export const PAGE_SIZE = 50;
const MAX_QUERY_LENGTH = 200;
/** D1 refuses a LIKE pattern past 50 bytes (PLATFORM.md): a word's pattern is `%word%`, escaped. */
const MAX_LIKE_PATTERN_BYTES = 50;

// Decimal units, as the site shows sizes (protocol/format.ts); KiB, MiB, GiB, TiB for binary.
const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** "700 MB", "1.5g", "4 GiB", "4096" → bytes; null when empty. */
export function parseSize(name: string, raw: string | undefined): number | null {
  if (raw === undefined || raw.trim() === "") return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(raw);
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw badRequest(`${name} must be a size such as 700 MB or 1.5 GB`, "bad_filter");
  const bytes = Math.round(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes)) throw badRequest(`${name} is too large`, "bad_filter");
  return bytes;
}

function flag(name: string, raw: string | undefined): boolean {
  if (raw === undefined || raw === "" || raw === "0" || raw === "false") return false;
  if (raw === "1" || raw === "true" || raw === "on") return true;
  throw badRequest(`${name} must be 1 or 0`, "bad_filter");
}

function count(name: string, raw: string | undefined): number | null {
  if (raw === undefined || raw.trim() === "") return null;
  if (!/^\d{1,9}$/.test(raw.trim())) throw badRequest(`${name} must be a whole number`, "bad_filter");
  return Number(raw.trim());
}

/** Reads the filters from a query (`q`, `category`, `min_size`, `max_size`, `min_seeders`, `hot`, `freeleech`, `sort`, `order`, `page`). */
export function parseFilters(query: Record<string, string | undefined>): TorrentFilters {
  const q = (query.q ?? "").trim();
  if (q.length > MAX_QUERY_LENGTH) throw badRequest(`q may be at most ${MAX_QUERY_LENGTH} characters`, "bad_filter");
  for (const word of q.split(/\s+/))
    if (new TextEncoder().encode(likePattern(word)).length > MAX_LIKE_PATTERN_BYTES)
      throw badRequest(`each word of q may be at most ${MAX_LIKE_PATTERN_BYTES - 2} bytes`, "bad_filter");
  const category = query.category === undefined || query.category === "" ? null : query.category;
  if (category !== null && !isCategory(category)) throw badRequest(`category must be one of ${CATEGORIES.join(", ")}`, "bad_filter");
  const sort = (query.sort || "added") as Sort;
  if (!SORTS.includes(sort)) throw badRequest(`sort must be one of ${SORTS.join(", ")}`, "bad_filter");
  const order = query.order || (sort === "name" ? "asc" : "desc");
  if (order !== "asc" && order !== "desc") throw badRequest("order must be asc or desc", "bad_filter");
  const minBytes = parseSize("min_size", query.min_size);
  const maxBytes = parseSize("max_size", query.max_size);
  if (minBytes !== null && maxBytes !== null && minBytes > maxBytes) throw badRequest("min_size is above max_size", "bad_filter");
  return {
    q,
    category,
    minBytes,
    maxBytes,
    minSeeders: count("min_seeders", query.min_seeders),
    hot: flag("hot", query.hot),
    freeleech: flag("freeleech", query.freeleech),
    sort,
    order,
    page: count("page", query.page) ?? 0,
  };
}

/** The query string of `f` (defaults left out), for links that keep a search while changing one thing. */
export function filtersQuery(f: TorrentFilters, change: Partial<TorrentFilters> = {}): string {
  const g = { ...f, ...change };
  const p = new URLSearchParams();
  if (g.q) p.set("q", g.q);
  if (g.category) p.set("category", g.category);
  if (g.minBytes !== null) p.set("min_size", String(g.minBytes));
  if (g.maxBytes !== null) p.set("max_size", String(g.maxBytes));
  if (g.minSeeders !== null) p.set("min_seeders", String(g.minSeeders));
  if (g.hot) p.set("hot", "1");
  if (g.freeleech) p.set("freeleech", "1");
  if (g.sort !== "added") p.set("sort", g.sort);
  if (g.order !== (g.sort === "name" ? "asc" : "desc")) p.set("order", g.order);
  if (g.page) p.set("page", String(g.page));
  const s = p.toString();
  return s ? `?${s}` : "";
}

/** A torrent on the hot list: fewer than HOT_MAX_SEEDERS seeders (none flushed yet counts as none). Joined with `swarms`. */
export const needsSeeders = or(isNull(schema.swarms.seeders), lt(schema.swarms.seeders, HOT_MAX_SEEDERS))!;

const seeders = sql<number>`coalesce(${schema.swarms.seeders}, 0)`;
const leechers = sql<number>`coalesce(${schema.swarms.leechers}, 0)`;
const snatches = sql<number>`coalesce(${schema.swarms.snatches}, 0)`;

const sortColumn: Record<Sort, SQL | typeof schema.torrents.createdAt | typeof schema.torrents.name | typeof schema.torrents.length> = {
  added: schema.torrents.createdAt,
  name: schema.torrents.name,
  size: schema.torrents.length,
  seeders,
  leechers,
  snatches,
};

/** A word as a LIKE pattern matching it anywhere; LIKE's own wildcards in it match themselves. */
const likePattern = (w: string) => `%${w.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

export interface SearchRow {
  infoHash: string;
  name: string;
  category: string;
  length: number;
  fileCount: number;
  freeleech: boolean;
  neutral: boolean;
  doubleUpload: boolean;
  createdAt: number;
  seeders: number;
  leechers: number;
  snatches: number;
}

/** Approved torrents matching `f`, one page, and how many match in all. */
export async function searchTorrents(d1: D1Database, f: TorrentFilters): Promise<{ total: number; rows: SearchRow[] }> {
  const t = schema.torrents;
  const where: SQL[] = [eq(t.status, "approved")];
  for (const word of f.q.split(/\s+/).filter(Boolean).slice(0, 8)) where.push(sql`${t.name} LIKE ${likePattern(word)} ESCAPE '\\'`);
  if (f.category) where.push(eq(t.category, f.category));
  if (f.minBytes !== null) where.push(gte(t.length, f.minBytes));
  if (f.maxBytes !== null) where.push(lte(t.length, f.maxBytes));
  if (f.minSeeders !== null) where.push(gte(seeders, f.minSeeders));
  if (f.hot) where.push(needsSeeders);
  if (f.freeleech) where.push(eq(t.freeleech, true));
  const cond = and(...where);
  const d = db(d1);
  const [rows, [n]] = await Promise.all([
    d
      .select({
        infoHash: t.infoHash,
        name: t.name,
        category: t.category,
        length: t.length,
        fileCount: sql<number>`json_array_length(${t.files})`,
        freeleech: t.freeleech,
        neutral: t.neutral,
        doubleUpload: t.doubleUpload,
        createdAt: t.createdAt,
        seeders,
        leechers,
        snatches,
      })
      .from(t)
      .leftJoin(schema.swarms, eq(schema.swarms.infoHash, t.infoHash))
      .where(cond)
      .orderBy(f.order === "asc" ? asc(sortColumn[f.sort]) : desc(sortColumn[f.sort]), asc(t.infoHash))
      .limit(PAGE_SIZE)
      .offset(f.page * PAGE_SIZE),
    d.select({ n: sql<number>`count(*)` }).from(t).leftJoin(schema.swarms, eq(schema.swarms.infoHash, t.infoHash)).where(cond),
  ]);
  return { total: Number(n?.n ?? 0), rows };
}

