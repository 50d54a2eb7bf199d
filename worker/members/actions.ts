// Account actions through the API (issue 10, finding 6): a passkey authorises tracker use
// only (announce, scrape, .torrent download), so invites, passkey resets and uploads need the
// member's wallet signature: a MemberAction report (EIP-712, protocol/reports/eip712.ts) naming
// the action, with a fresh nonce. The site does the same with its signed-in session.
//   POST /api/members/invites        { message: MemberAction "invite", signature } → { invite, remaining }
//   POST /api/members/invites/list   { message: MemberAction "list-invites", signature } → invites and tree
//   POST /api/members/passkey        { message: MemberAction "reset-passkey", signature } → { account, passkey }
// An upload (worker/torrents/routes.ts) carries the report in headers, its subject the body's SHA-256.

import { Hono } from "hono";
import { eq } from "drizzle-orm";
import { sha256 } from "@noble/hashes/sha2.js";
import { toHex } from "../../protocol/hex.ts";
import type { MemberAction } from "../../protocol/reports/eip712.ts";
import type { Env } from "../env.ts";
import { db, schema } from "../db/client.ts";
import { HttpError, badRequest } from "../errors.ts";
import { acceptReport, readJson, type SignedBody } from "../reports.ts";
import { createInvite, invitesOf } from "./invites.ts";
import { resetPasskey } from "./passkey-reset.ts";

export const ZERO_SUBJECT = `0x${"00".repeat(32)}`;

/** The subject of an upload's MemberAction: SHA-256 of the .torrent's bytes, 0x hex. */
export function uploadSubject(bytes: Uint8Array): string {
  return `0x${toHex(sha256(bytes))}`;
}

/**
 * Verifies a signed MemberAction for `action` (and `subject`), spends its nonce, and returns
 * the member it speaks for with their passkey; 403 when the signer is not a member.
 */
export async function requireMemberAction(env: Env, body: SignedBody, action: MemberAction["action"], subject = ZERO_SUBJECT): Promise<{ account: string; passkey: string }> {
  const message = await acceptReport(env, "MemberAction", body);
  if (message.action !== action) throw badRequest(`this route takes a MemberAction "${action}", not "${message.action}"`, "wrong_action");
  if (message.subject !== subject.toLowerCase()) throw badRequest("the MemberAction's subject does not match the request", "wrong_subject");
  const account = message.member.toLowerCase();
  const row = await db(env.DB).select({ passkey: schema.members.passkey }).from(schema.members).where(eq(schema.members.account, account)).get();
  if (!row) throw new HttpError(403, "not_member", "this account is not a member: join with an invite or the access stake");
  return { account, passkey: row.passkey };
}

/** A MemberAction sent in headers (for a raw body such as an upload): X-Vidya-Action (its JSON) and X-Vidya-Signature. */
export function signedFromHeaders(headers: Headers): SignedBody {
  const raw = headers.get("X-Vidya-Action");
  const signature = headers.get("X-Vidya-Signature");
  if (!raw || !signature) throw new HttpError(401, "signature_required", "sign a MemberAction with your wallet (X-Vidya-Action, X-Vidya-Signature): a passkey does not authorise this");
  let message: unknown;
  try {
    message = JSON.parse(raw);
  } catch {
    throw badRequest("X-Vidya-Action is not valid JSON");
  }
  return { message, signature };
}

export const memberActionsApi = new Hono<{ Bindings: Env }>();

memberActionsApi.post("/invites", async (c) => {
  const { account } = await requireMemberAction(c.env, await readJson(c.req), "invite");
  return c.json(await createInvite(c.env, account), 201);
});

memberActionsApi.post("/invites/list", async (c) => {
  const { account } = await requireMemberAction(c.env, await readJson(c.req), "list-invites");
  return c.json(await invitesOf(c.env, account));
});

// The new passkey goes to the wallet's owner only: whoever holds the old passkey cannot reset it.
memberActionsApi.post("/passkey", async (c) => {
  const { account, passkey } = await requireMemberAction(c.env, await readJson(c.req), "reset-passkey");
  return c.json({ account, passkey: await resetPasskey(c.env, account, passkey) });
});
