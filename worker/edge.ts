// What the edge sees of a connection: Cloudflare's CF-Connecting-IP, never what a client
// or node claims (TRACKER-NOTES, BEP 7). Locally wrangler dev (miniflare) sets it from the
// connection's source address, so a local node bound to 127.0.2.1 is seen there (it keeps a
// header a client sent: local dev is no trust boundary); in tests through SELF there is none.

import type { Env } from "./env.ts";

export function edgeAddress(headers: Headers, env: Env): string | undefined {
  const seen = headers.get("CF-Connecting-IP");
  if (seen) return seen.trim();
  return env.LOCAL_DEV === "1" ? "127.0.0.1" : undefined;
}
