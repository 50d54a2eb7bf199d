// Join (DESIGN.md flow 1): a signed MemberJoin admits the account when it brings an unused
// invite, or when it holds the gate stake in force on-chain and has paid the join fee into the
// stakers' fee pool (Staking.payJoinFee; economics/access.ts); joining again returns the same
// passkey. GET /access says what joining costs now.

import { Hono } from "hono";
import { and, eq, isNull } from "drizzle-orm";
import type { Address } from "viem";
import { formatVidya } from "../../protocol/format.ts";
import type { Env } from "../env.ts";
import { db, schema } from "../db/client.ts";
import { HttpError } from "../errors.ts";
import { acceptReport, readJson } from "../reports.ts";
import { chainConfigured, joinFeePaidOf, stakeOf } from "../chain/client.ts";
import { accessJson, accessNow } from "../economics/access.ts";
import { newPasskey } from "./passkey.ts";

export const membersApi = new Hono<{ Bindings: Env }>();

/** Returns the account's passkey, creating its member row if needed (admitted by invite or stake only: nodes are not members). */
export async function ensureMember(d1: D1Database, account: string, admission: "invite" | "stake", invitedBy: string | null = null, inviter: string | null = null): Promise<string> {
  const d = db(d1);
  await d.insert(schema.members).values({ account, passkey: newPasskey(), admission, invitedBy, inviter, createdAt: Date.now() }).onConflictDoNothing({ target: schema.members.account });
  const row = await d.select({ passkey: schema.members.passkey }).from(schema.members).where(eq(schema.members.account, account)).get();
  if (!row) throw new Error("member row missing after insert");
  return row.passkey;
}

/**
 * Admits `account` by an unused invite, or by its access stake on-chain when no invite is
 * given; returns its passkey (the same one when it is already a member). Used by the signed
 * API join and by the site's join page (where the session proves the account).
 */
export async function admit(env: Env, account: string, invite: string | undefined): Promise<string> {
  const d = db(env.DB);
  const existing = await d.select({ passkey: schema.members.passkey }).from(schema.members).where(eq(schema.members.account, account)).get();
  if (existing) return existing.passkey;

  if (typeof invite === "string" && invite.length > 0) {
    // Claim the invite atomically: only an unused one flips to this account.
    const claimed = await d
      .update(schema.invites)
      .set({ usedBy: account, usedAt: Date.now() })
      .where(and(eq(schema.invites.code, invite), isNull(schema.invites.usedBy)))
      .returning({ code: schema.invites.code, createdBy: schema.invites.createdBy });
    if (claimed.length !== 1) throw new HttpError(403, "invalid_invite", "invite is unknown or already used");
    // The invite tree: whoever made the invite brought this member (admins' invites make roots).
    return ensureMember(env.DB, account, "invite", invite, claimed[0]!.createdBy);
  }

  if (!chainConfigured(env)) throw new HttpError(403, "not_admitted", "an invite is required (no chain is configured to check the access stake)");
  // The gate in force (moved by the dynamic gate at each close) and its join fee, which streams to stakers.
  const access = await accessNow(env, d);
  let stake: bigint;
  let feePaid: bigint;
  try {
    [stake, feePaid] = await Promise.all([stakeOf(env, account as Address), joinFeePaidOf(env, account as Address)]);
  } catch (e) {
    if (e instanceof HttpError) throw e;
    throw new HttpError(502, "chain_unavailable", "could not read the access stake and join fee from the chain");
  }
  if (stake < access.gateStake)
    throw new HttpError(403, "not_admitted", `access requires a stake of at least ${formatVidya(access.gateStake)} (have ${formatVidya(stake)}) and a join fee of ${formatVidya(access.joinFee)}, or an invite`);
  if (feePaid < access.joinFee)
    throw new HttpError(403, "join_fee_unpaid", `joining by stake needs a join fee of ${formatVidya(access.joinFee)} paid to the stakers' fee pool (Staking.payJoinFee; paid so far ${formatVidya(feePaid)})`);
  return ensureMember(env.DB, account, "stake");
}

membersApi.post("/join", async (c) => {
  const body = await readJson(c.req);
  const message = await acceptReport(c.env, "MemberJoin", body);
  const account = message.member.toLowerCase();
  const invite = (body as { invite?: unknown }).invite;
  return c.json({ account, passkey: await admit(c.env, account, typeof invite === "string" ? invite : undefined) });
});

/** What joining by stake costs now: the gate stake to hold and the join fee to pay (wei), and the close that set them. */
membersApi.get("/access", async (c) => c.json(accessJson(await accessNow(c.env))));
