// Signed reports on the way in: strict JSON parsing, EIP-712 signature and expiry
// (protocol/reports/eip712.ts), then the nonce, which must be strictly greater than the last
// accepted one of the same signer and report type, so a captured report cannot be replayed.

import { sql } from "drizzle-orm";
import type { Hex } from "viem";
import { reportFromJson, verifyReport, type ReportMessages, type ReportType } from "../protocol/reports/eip712.ts";
import { chainId, type Env } from "./env.ts";
import { db, schema } from "./db/client.ts";
import { HttpError, badRequest } from "./errors.ts";

export interface SignedBody {
  message?: unknown;
  signature?: unknown;
}

function nonceText(n: bigint): string {
  return n.toString().padStart(20, "0");
}

/** Records the nonce if it is fresh; false when it is not greater than the last one. */
export async function consumeNonce(d1: D1Database, signer: string, type: ReportType, nonce: bigint, now = Date.now()): Promise<boolean> {
  const t = schema.reportNonces;
  const rows = await db(d1)
    .insert(t)
    .values({ signer: signer.toLowerCase(), type, nonce: nonceText(nonce), updatedAt: now })
    .onConflictDoUpdate({
      target: [t.signer, t.type],
      set: { nonce: sql`excluded.nonce`, updatedAt: sql`excluded.updated_at` },
      setWhere: sql`${t.nonce} < excluded.nonce`,
    })
    .returning({ signer: t.signer });
  return rows.length === 1;
}

export async function acceptReport<T extends ReportType>(env: Env, type: T, body: SignedBody): Promise<ReportMessages[T]> {
  if (!body || typeof body !== "object") throw badRequest("body must be { message, signature }");
  const message = reportFromJson(type, body.message);
  if (typeof body.signature !== "string" || !/^0x[0-9a-fA-F]+$/.test(body.signature)) throw badRequest("signature must be 0x-prefixed hex", "invalid_report");
  const signer = await verifyReport(chainId(env), type, message, body.signature as Hex, BigInt(Math.floor(Date.now() / 1000)));
  if (!(await consumeNonce(env.DB, signer, type, message.nonce)))
    throw new HttpError(409, "stale_nonce", `nonce must be greater than the last ${type} nonce accepted for this account`);
  return message;
}

export async function readJson(req: { json(): Promise<unknown> }): Promise<SignedBody> {
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    throw badRequest("body is not valid JSON");
  }
  // `null`, a number or an array parse too; every caller reads fields of an object.
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw badRequest("body must be a JSON object");
  return body as SignedBody;
}
