// Passkey reset (Ocelot's change_passkey): a member who leaked a .torrent gets a new passkey,
// and the old one stops working at once. D1 holds the new one; this isolate forgets the old;
// every swarm shard is told to refuse it (announce, scrape, WebSocket credit) for longer than
// any other isolate may still have it cached; every WebSocket shard closes the connections
// made with it. Then the member downloads their .torrent files again.

import { Hono } from "hono";
import { eq } from "drizzle-orm";
import type { Env } from "../env.ts";
import { db, schema } from "../db/client.ts";
import { HttpError } from "../errors.ts";
import { requireAdmin } from "../admin.ts";
import { shardStub } from "../announce/routes.ts";
import { SWARM_SHARDS } from "../swarm/shard.ts";
import { WS_SHARDS, passkeyHash, wsShardName } from "../ws/swarm.ts";
import { forgetPasskey } from "./lookup.ts";
import { newPasskey } from "./passkey.ts";

/** Gives `account` a new passkey and revokes `old` everywhere; returns the new one. */
export async function resetPasskey(env: Env, account: string, old: string, now = Date.now()): Promise<string> {
  const passkey = newPasskey();
  const updated = await db(env.DB)
    .update(schema.members)
    .set({ passkey, passkeyResetAt: now })
    .where(eq(schema.members.account, account))
    .returning({ account: schema.members.account });
  if (updated.length !== 1) throw new HttpError(404, "not_found", "no such member");
  forgetPasskey(old);
  const pkh = await passkeyHash(old);
  const ws = env.WS_SWARM;
  await Promise.all([
    ...Array.from({ length: SWARM_SHARDS }, (_, i) => shardStub(env, i).revokePasskey(old, now)),
    ...Array.from({ length: WS_SHARDS }, (_, i) => ws.get(ws.idFromName(wsShardName(i))).revokePasskey(pkh)),
  ]);
  return passkey;
}

// A member resets their own passkey through the site (session) or the signed API
// (members/actions.ts): never with the passkey alone, which would hand the new one to whoever
// lifted the old one from a .torrent.

export const membersAdmin = new Hono<{ Bindings: Env }>();
membersAdmin.use("*", requireAdmin);

/** POST /admin/members/:account/passkey: an admin resets a member's passkey → { account, passkey }. */
membersAdmin.post("/members/:account/passkey", async (c) => {
  const account = c.req.param("account").toLowerCase();
  const row = await db(c.env.DB).select({ passkey: schema.members.passkey }).from(schema.members).where(eq(schema.members.account, account)).get();
  if (!row) throw new HttpError(404, "not_found", "no such member");
  return c.json({ account, passkey: await resetPasskey(c.env, account, row.passkey) });
});

/** POST /admin/members/:account { inviteQuota?, slowed?, curator? }: an admin's settings for a member. */
membersAdmin.post("/members/:account", async (c) => {
  const account = c.req.param("account").toLowerCase();
  const body = (await c.req.json().catch(() => null)) as { inviteQuota?: unknown; slowed?: unknown; curator?: unknown } | null;
  if (!body || typeof body !== "object") throw new HttpError(400, "bad_request", "body must be a JSON object");
  const set: { inviteQuota?: number; slowed?: boolean; curator?: boolean } = {};
  if (body.inviteQuota !== undefined) {
    if (!Number.isSafeInteger(body.inviteQuota) || (body.inviteQuota as number) < 0) throw new HttpError(400, "bad_request", "inviteQuota must be a whole number ≥ 0");
    set.inviteQuota = body.inviteQuota as number;
  }
  if (body.slowed !== undefined) {
    if (typeof body.slowed !== "boolean") throw new HttpError(400, "bad_request", "slowed must be true or false");
    set.slowed = body.slowed;
  }
  if (body.curator !== undefined) {
    if (typeof body.curator !== "boolean") throw new HttpError(400, "bad_request", "curator must be true or false");
    set.curator = body.curator;
  }
  if (Object.keys(set).length === 0) throw new HttpError(400, "bad_request", "nothing to set: inviteQuota, slowed or curator");
  const rows = await db(c.env.DB)
    .update(schema.members)
    .set(set)
    .where(eq(schema.members.account, account))
    .returning({ account: schema.members.account, passkey: schema.members.passkey, inviteQuota: schema.members.inviteQuota, slowed: schema.members.slowed, curator: schema.members.curator });
  if (rows.length !== 1) throw new HttpError(404, "not_found", "no such member");
  // This isolate and every swarm shard read the member again at once.
  forgetPasskey(rows[0]!.passkey);
  await Promise.all(Array.from({ length: SWARM_SHARDS }, (_, i) => shardStub(c.env, i).forgetMember(rows[0]!.passkey)));
  const { passkey: _, ...member } = rows[0]!;
  return c.json(member);
});
