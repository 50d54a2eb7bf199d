// Sign-In with Ethereum (EIP-4361) for the members' site, and the session cookie it opens.
// The worker issues the nonce and the fields it will accept; the wallet signs the message
// (personal_sign, EIP-191); the worker checks every field, spends the nonce once, recovers
// the signer and opens a session. The cookie carries a random secret; D1 keeps only its hash.

import { and, eq, gt, isNull, lt } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { getCookie, setCookie, deleteCookie } from "hono/cookie";
import { recoverMessageAddress, type Hex } from "viem";
import { parseSiweMessage } from "viem/siwe";
import { sha256 } from "@noble/hashes/sha2.js";
import { toHex as bytesToHex } from "../../protocol/hex.ts";
import { chainId, type Env } from "../env.ts";
import { db, schema } from "../db/client.ts";
import { HttpError } from "../errors.ts";

export const SESSION_COOKIE = "vidya_session";
/** A signed-in member stays signed in for a week of inactivity at most. */
export const SESSION_SECONDS = 7 * 24 * 3_600;
/** A nonce must be signed and sent back within this time (EIP-4361 expirationTime). */
export const NONCE_SECONDS = 600;
/** Clocks of browser and edge may differ a little; a message issued "in the future" by more is refused. */
const CLOCK_SKEW_MS = 60_000;
export const SIWE_STATEMENT = "Sign in to Vidya. This signature costs nothing and moves no tokens.";

export type SiteVars = { account: string | null };

function randomHex(bytes: number): string {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(bytes)));
}

function hashSecret(secret: string): string {
  return bytesToHex(sha256(new TextEncoder().encode(secret)));
}

/** What the browser puts in its EIP-4361 message: everything but the address is the worker's to choose. */
export interface SiweChallenge {
  domain: string;
  uri: string;
  chainId: number;
  nonce: string;
  statement: string;
  version: "1";
  issuedAt: string;
  expirationTime: string;
}

export async function issueNonce(env: Env, url: URL, now = Date.now()): Promise<SiweChallenge> {
  const nonce = randomHex(16);
  const d = db(env.DB);
  // Old nonces are dropped as new ones are issued; the table stays small without a cron.
  await d.batch([
    d.delete(schema.siweNonces).where(lt(schema.siweNonces.expiresAt, now)),
    d.insert(schema.siweNonces).values({ nonce, issuedAt: now, expiresAt: now + NONCE_SECONDS * 1000 }),
  ]);
  return {
    domain: url.host,
    uri: url.origin,
    chainId: chainId(env),
    nonce,
    statement: SIWE_STATEMENT,
    version: "1",
    issuedAt: new Date(now).toISOString(),
    expirationTime: new Date(now + NONCE_SECONDS * 1000).toISOString(),
  };
}

const refuse = (message: string) => new HttpError(401, "sign_in_refused", message);

/**
 * The site's origin as configured (SITE_ORIGIN in wrangler.jsonc): the EIP-4361 domain and URI
 * a wallet signs, never taken from the Host header (a proxy or a spoofed Host would make the
 * worker vouch for another domain). Only local dev (LOCAL_DEV=1) without SITE_ORIGIN falls
 * back to the request's own URL, so `wrangler dev` on any port signs in.
 */
export function siteOrigin(env: Env, requestUrl: string): URL {
  if (env.SITE_ORIGIN) {
    try {
      return new URL(new URL(env.SITE_ORIGIN).origin);
    } catch {
      throw new HttpError(500, "misconfigured", "SITE_ORIGIN is not a URL");
    }
  }
  if (env.LOCAL_DEV === "1") return new URL(new URL(requestUrl).origin);
  throw new HttpError(503, "sign_in_unavailable", "sign-in is not configured on this site (SITE_ORIGIN)");
}

/** A SIWE time field: absent, or a date that parsed (viem's parser yields Invalid Date for garbage). */
const validTime = (d: Date | undefined) => d === undefined || Number.isFinite(d.getTime());

/**
 * Checks a signed EIP-4361 message against this site and spends its nonce; returns the
 * signer's lowercase address. Every check names what failed, never the signature itself.
 */
export async function verifySignIn(env: Env, url: URL, message: string, signature: string, now = Date.now()): Promise<string> {
  if (typeof message !== "string" || message.length > 4_000) throw refuse("the message is missing or too long");
  if (typeof signature !== "string" || !/^0x[0-9a-fA-F]{130}$/.test(signature)) throw refuse("the signature must be 65 bytes of hex");
  const m = parseSiweMessage(message);
  if (!m.address || !m.nonce || !m.domain || !m.uri || m.version !== "1") throw refuse("not an EIP-4361 message");
  if (m.domain !== url.host) throw refuse(`the message is for ${m.domain}, not ${url.host}`);
  if (new URL(m.uri).origin !== url.origin) throw refuse("the message's URI is not this site");
  if (m.chainId !== chainId(env)) throw refuse(`the message is for chain ${m.chainId}, this site uses chain ${chainId(env)}`);
  if (!validTime(m.expirationTime) || !validTime(m.issuedAt) || !validTime(m.notBefore)) throw refuse("the message has an invalid time field");
  if (!m.expirationTime || m.expirationTime.getTime() <= now) throw refuse("the message has expired: sign in again");
  if (m.issuedAt && m.issuedAt.getTime() > now + CLOCK_SKEW_MS) throw refuse("the message was issued in the future");
  if (m.notBefore && m.notBefore.getTime() > now + CLOCK_SKEW_MS) throw refuse("the message is not valid yet");
  const signer = await recoverMessageAddress({ message, signature: signature as Hex }).catch(() => undefined);
  if (!signer || signer.toLowerCase() !== m.address.toLowerCase()) throw refuse("the signature is not the message's address");
  // Spent only now, atomically: a nonce opens at most one session, and only before it expires.
  const spent = await db(env.DB)
    .update(schema.siweNonces)
    .set({ usedAt: now })
    .where(and(eq(schema.siweNonces.nonce, m.nonce), isNull(schema.siweNonces.usedAt), gt(schema.siweNonces.expiresAt, now)))
    .returning({ nonce: schema.siweNonces.nonce });
  if (spent.length !== 1) throw refuse("unknown, expired or already used nonce: sign in again");
  return m.address.toLowerCase();
}

/** Opens a session for `account`; the cookie is HttpOnly, SameSite=Lax, Secure off localhost. */
export async function openSession(c: Parameters<typeof setCookie>[0], env: Env, account: string, now = Date.now()): Promise<void> {
  const secret = randomHex(32);
  const d = db(env.DB);
  await d.batch([
    d.delete(schema.sessions).where(lt(schema.sessions.expiresAt, now)),
    d.insert(schema.sessions).values({ idHash: hashSecret(secret), account, createdAt: now, expiresAt: now + SESSION_SECONDS * 1000 }),
  ]);
  setCookie(c, SESSION_COOKIE, secret, {
    path: "/",
    httpOnly: true,
    sameSite: "Lax",
    secure: new URL(c.req.url).protocol === "https:",
    maxAge: SESSION_SECONDS,
  });
}

export async function closeSession(c: Parameters<typeof deleteCookie>[0], env: Env): Promise<void> {
  const secret = getCookie(c, SESSION_COOKIE);
  if (secret) await db(env.DB).delete(schema.sessions).where(eq(schema.sessions.idHash, hashSecret(secret)));
  deleteCookie(c, SESSION_COOKIE, { path: "/" });
}

/** Sets `account` (lowercase, or null) from the session cookie on every site request. */
export const loadSession = createMiddleware<{ Bindings: Env; Variables: SiteVars }>(async (c, next) => {
  const secret = getCookie(c, SESSION_COOKIE);
  let account: string | null = null;
  if (secret && /^[0-9a-f]{64}$/.test(secret)) {
    const row = await db(c.env.DB).select({ account: schema.sessions.account, expiresAt: schema.sessions.expiresAt }).from(schema.sessions).where(eq(schema.sessions.idHash, hashSecret(secret))).get();
    if (row && row.expiresAt > Date.now()) account = row.account;
  }
  c.set("account", account);
  await next();
});

/**
 * Form posts must come from this site: SameSite=Lax already keeps the cookie off cross-site
 * posts, and the Origin check refuses the rest. Under the site's `Referrer-Policy: no-referrer`
 * a browser sends `Origin: null` on its own form posts, so then Fetch Metadata decides:
 * `Sec-Fetch-Site: same-origin` (a header no page can set) is this site's own form.
 */
export const sameOrigin = createMiddleware<{ Bindings: Env; Variables: SiteVars }>(async (c, next) => {
  if (c.req.method !== "GET" && c.req.method !== "HEAD") {
    const origin = c.req.header("Origin");
    const ours = origin === siteOrigin(c.env, c.req.url).origin || (origin === "null" && c.req.header("Sec-Fetch-Site") === "same-origin");
    if (!ours) throw new HttpError(403, "cross_origin", "form posts must come from this site");
  }
  await next();
});
