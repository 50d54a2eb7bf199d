// What the edge sees of a connection: Cloudflare's CF-Connecting-IP, never what a client
// or node claims (TRACKER-NOTES, BEP 7). Locally there is no such header.

import type { Env } from "./env.ts";

export function edgeAddress(headers: Headers, env: Env): string | undefined {
  const seen = headers.get("CF-Connecting-IP");
  if (seen) return seen.trim();
  return env.LOCAL_DEV === "1" ? "127.0.0.1" : undefined;
}
