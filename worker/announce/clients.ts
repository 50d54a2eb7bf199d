// The client allow-list by peer-id prefix (Ocelot's whitelist, UNIT3D's blacklist turned
// around): a private tracker admits the clients it knows to report honest counters. Peer ids
// follow BEP 20: Azureus style `-XXvvvv-` (qBittorrent `-qB4520-`, Transmission `-TR3000-`,
// rTorrent's libtorrent `-lt0D80-`, WebTorrent `-WW0208-`) or a client's own (aria2
// `A2-1-36-0-`). The defaults are here; admins allow, refuse or attach a warning to a prefix
// in D1 (client_rules), and the longest matching prefix decides.

import { Hono } from "hono";
import { eq } from "drizzle-orm";
import type { Env } from "../env.ts";
import { db, schema } from "../db/client.ts";
import { HttpError } from "../errors.ts";
import { requireAdmin } from "../admin.ts";

export interface ClientRule {
  prefix: string;
  name: string;
  allowed: boolean;
  /** Shown as the announce's `warning message` (for example: "this version stops working on …"). */
  warning?: string | null;
}

export const DEFAULT_CLIENTS: readonly ClientRule[] = [
  { prefix: "-qB", name: "qBittorrent", allowed: true },
  { prefix: "-TR", name: "Transmission", allowed: true },
  { prefix: "-lt", name: "rTorrent (libtorrent)", allowed: true },
  { prefix: "A2-", name: "aria2", allowed: true },
  { prefix: "-WW", name: "WebTorrent", allowed: true },
  { prefix: "-DE", name: "Deluge", allowed: true },
  { prefix: "-LT", name: "libtorrent (Rasterbar)", allowed: true },
  { prefix: "-BI", name: "BiglyBT", allowed: true },
  { prefix: "-AZ", name: "Vuze", allowed: true },
  { prefix: "-KT", name: "KTorrent", allowed: true },
];

const TTL_MS = 60_000;
let cached: { rules: ClientRule[]; at: number } | undefined;
let loading: Promise<ClientRule[]> | undefined;

/** Defaults overlaid with the admins' rules, longest prefix first. */
export function mergeRules(overrides: readonly ClientRule[]): ClientRule[] {
  const byPrefix = new Map<string, ClientRule>(DEFAULT_CLIENTS.map((r) => [r.prefix, r]));
  for (const r of overrides) byPrefix.set(r.prefix, r);
  return [...byPrefix.values()].sort((a, b) => b.prefix.length - a.prefix.length || (a.prefix < b.prefix ? -1 : 1));
}

/** The effective rules, read from D1 at most once a minute per isolate. */
export async function clientRules(d1: D1Database, now = Date.now()): Promise<ClientRule[]> {
  if (cached && now - cached.at < TTL_MS) return cached.rules;
  loading ??= db(d1)
    .select()
    .from(schema.clientRules)
    .all()
    .then((rows) => {
      const rules = mergeRules(rows);
      cached = { rules, at: now };
      return rules;
    })
    .finally(() => (loading = undefined));
  return loading;
}

/** Forget the cached rules (after an admin change, in this isolate; others within a minute). */
export function forgetClientRules(): void {
  cached = undefined;
}

/** The rule for a peer id (binary string), or undefined when no prefix matches. */
export function matchClient(rules: readonly ClientRule[], peerId: string): ClientRule | undefined {
  for (const r of rules) if (peerId.startsWith(r.prefix)) return r;
  return undefined;
}

/** The peer id's client part for messages: up to the second `-` of Azureus style, else 10 bytes, escaped. */
export function clientTag(peerId: string): string {
  const end = peerId.charCodeAt(0) === 0x2d ? peerId.indexOf("-", 1) + 1 || 8 : 10;
  return peerId.slice(0, Math.min(end, 12)).replace(/[^\x21-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** The refusal, with what is allowed (TRACKER-NOTES: a failure reason clients show). */
export function refusal(rules: readonly ClientRule[], peerId: string): string {
  const rank = (r: ClientRule) => {
    const i = DEFAULT_CLIENTS.findIndex((d) => d.prefix === r.prefix);
    return i < 0 ? DEFAULT_CLIENTS.length : i;
  };
  const names = [...new Set([...rules].filter((r) => r.allowed).sort((a, b) => rank(a) - rank(b)).map((r) => r.name))].join(", ");
  return `Your client is not on the allow-list (peer id ${clientTag(peerId)}); allowed: ${names}`;
}

// ---------------------------------------------------------------------------------------
// Admin routes: GET /admin/clients (effective list), PUT /admin/clients/:prefix
// { name, allowed, warning? }, DELETE /admin/clients/:prefix (back to the default).

export const clientsAdmin = new Hono<{ Bindings: Env }>();
clientsAdmin.use("*", requireAdmin);

function prefixParam(raw: string): string {
  // Peer-id prefixes are ASCII (BEP 20); 1 to 12 bytes.
  if (!/^[\x21-\x7e]{1,12}$/.test(raw)) throw new HttpError(400, "bad_request", "prefix must be 1 to 12 printable ASCII characters");
  return raw;
}

clientsAdmin.get("/clients", async (c) => {
  forgetClientRules();
  return c.json({ defaults: DEFAULT_CLIENTS, rules: await clientRules(c.env.DB) });
});

clientsAdmin.put("/clients/:prefix", async (c) => {
  const prefix = prefixParam(c.req.param("prefix"));
  const body = (await c.req.json().catch(() => null)) as { name?: unknown; allowed?: unknown; warning?: unknown } | null;
  if (!body || typeof body.name !== "string" || !body.name || body.name.length > 64 || typeof body.allowed !== "boolean")
    throw new HttpError(400, "bad_request", "body must be { name: string, allowed: boolean, warning?: string }");
  if (body.warning !== undefined && body.warning !== null && (typeof body.warning !== "string" || body.warning.length > 200))
    throw new HttpError(400, "bad_request", "warning must be a string of at most 200 characters");
  const rule = { prefix, name: body.name, allowed: body.allowed, warning: (body.warning as string | null | undefined) ?? null, updatedAt: Date.now() };
  await db(c.env.DB)
    .insert(schema.clientRules)
    .values(rule)
    .onConflictDoUpdate({ target: schema.clientRules.prefix, set: { name: rule.name, allowed: rule.allowed, warning: rule.warning, updatedAt: rule.updatedAt } });
  forgetClientRules();
  return c.json({ prefix, name: rule.name, allowed: rule.allowed, warning: rule.warning });
});

clientsAdmin.delete("/clients/:prefix", async (c) => {
  const prefix = prefixParam(c.req.param("prefix"));
  await db(c.env.DB).delete(schema.clientRules).where(eq(schema.clientRules.prefix, prefix));
  forgetClientRules();
  return c.json({ prefix, rules: await clientRules(c.env.DB) });
});
