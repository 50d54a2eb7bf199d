// Security headers on every page of the members' site (issue 10, finding 8): scripts from
// this origin only (the bundled /static/app.js; no inline script anywhere), no framing
// (clickjacking), no MIME sniffing, and no Referer, so no URL of ours leaves with a click.
// connect-src adds the chain's RPC origin, which the wallet page's script reads.

import { createMiddleware } from "hono/factory";
import type { Env } from "../env.ts";

export function contentSecurityPolicy(env: Env): string {
  let rpc = "";
  try {
    if (env.CHAIN_RPC_URL) rpc = ` ${new URL(env.CHAIN_RPC_URL).origin}`;
  } catch {
    // A malformed RPC URL adds nothing: the wallet page then cannot reach it, as without CSP.
  }
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${rpc}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export const securityHeaders = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  await next();
  c.res.headers.set("Content-Security-Policy", contentSecurityPolicy(c.env));
  c.res.headers.set("X-Frame-Options", "DENY");
  c.res.headers.set("X-Content-Type-Options", "nosniff");
  c.res.headers.set("Referrer-Policy", "no-referrer");
});
