// Invites and the invite tree (Gazelle's invite tree: who brought whom, so a community can
// see where a ring of cheaters came from). Admins make invites freely; a member makes up to
// their quota (members.invite_quota, 2 by default, set by admins). Whoever's invite admits a
// member is recorded as their inviter when they join (members/routes.ts).

import { Hono } from "hono";
import { and, count, eq, isNotNull } from "drizzle-orm";
import type { Env } from "../env.ts";
import { db, schema } from "../db/client.ts";
import { HttpError } from "../errors.ts";
import { requireAdmin } from "../admin.ts";

function inviteCode(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
}


export interface InviteTreeNode {
  account: string;
  admission: string;
  joinedAt: number;
  invited: InviteTreeNode[];
}

/** Everyone under `roots` (or every tree when omitted), nested; members without an inviter are roots. */
export async function inviteTree(d1: D1Database, root?: string): Promise<InviteTreeNode[]> {
  const rows = await db(d1)
    .select({ account: schema.members.account, inviter: schema.members.inviter, admission: schema.members.admission, joinedAt: schema.members.createdAt })
    .from(schema.members)
    .orderBy(schema.members.createdAt)
    .all();
  const nodes = new Map<string, InviteTreeNode>(rows.map((r) => [r.account, { account: r.account, admission: r.admission, joinedAt: r.joinedAt, invited: [] }]));
  const roots: InviteTreeNode[] = [];
  for (const r of rows) {
    const parent = r.inviter ? nodes.get(r.inviter) : undefined;
    if (parent && r.inviter !== r.account) parent.invited.push(nodes.get(r.account)!);
    else roots.push(nodes.get(r.account)!);
  }
  if (root === undefined) return roots;
  const n = nodes.get(root);
  return n ? [n] : [];
}

/** `account` makes an invite, within its quota (checked in the insert itself, so two requests cannot both take the last one). */
export async function createInvite(env: Env, account: string): Promise<{ invite: string; remaining: number }> {
  const code = inviteCode();
  const r = await env.DB.prepare(
    "INSERT INTO invites (code, created_by, created_at) SELECT ?1, ?2, ?3 WHERE (SELECT count(*) FROM invites WHERE created_by = ?2) < (SELECT invite_quota FROM members WHERE account = ?2)",
  )
    .bind(code, account, Date.now())
    .run();
  const row = await db(env.DB).select({ quota: schema.members.inviteQuota }).from(schema.members).where(eq(schema.members.account, account)).get();
  const made = await db(env.DB).select({ n: count() }).from(schema.invites).where(eq(schema.invites.createdBy, account)).get();
  const quota = row?.quota ?? 0;
  if (r.meta.changes !== 1) throw new HttpError(403, "invite_quota", `you have made all ${quota} of your invites`);
  return { invite: code, remaining: Math.max(0, quota - (made?.n ?? 0)) };
}

/** The member's invites (used or not) and the members they brought, with theirs. */
export async function invitesOf(env: Env, account: string) {
  const d = db(env.DB);
  const [row, invites, tree] = await Promise.all([
    d.select({ quota: schema.members.inviteQuota }).from(schema.members).where(eq(schema.members.account, account)).get(),
    d
      .select({ code: schema.invites.code, createdAt: schema.invites.createdAt, usedBy: schema.invites.usedBy, usedAt: schema.invites.usedAt })
      .from(schema.invites)
      .where(eq(schema.invites.createdBy, account))
      .orderBy(schema.invites.createdAt)
      .all(),
    inviteTree(env.DB, account),
  ]);
  return { account, quota: row?.quota ?? 0, remaining: Math.max(0, (row?.quota ?? 0) - invites.length), invites, invited: tree[0]?.invited ?? [] };
}

// Members make and list invites through the site (session) or the signed API (members/actions.ts), never by passkey.

export const invitesAdmin = new Hono<{ Bindings: Env }>();
invitesAdmin.use("*", requireAdmin);

/** POST /admin/invites: an admin's invite (no quota; its members are roots of the tree). */
invitesAdmin.post("/invites", async (c) => {
  const code = inviteCode();
  await db(c.env.DB).insert(schema.invites).values({ code, createdAt: Date.now() });
  return c.json({ invite: code }, 201);
});

/** GET /admin/invite-tree[?account=0x…]: the whole forest, or one member's subtree. */
invitesAdmin.get("/invite-tree", async (c) => {
  const account = c.req.query("account")?.toLowerCase();
  const [tree, used] = await Promise.all([
    inviteTree(c.env.DB, account),
    db(c.env.DB).select({ n: count() }).from(schema.invites).where(and(isNotNull(schema.invites.usedBy))).get(),
  ]);
  if (account && tree.length === 0) throw new HttpError(404, "not_found", "no such member");
  return c.json({ tree, invitesUsed: used?.n ?? 0 });
});
