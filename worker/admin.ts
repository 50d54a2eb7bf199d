// Bearer ADMIN_TOKEN for the admin routes, compared in constant time (over SHA-256 digests
// so the lengths never leak either).

import { createMiddleware } from "hono/factory";
import type { Env } from "./env.ts";
import { HttpError } from "./errors.ts";

async function digest(s: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
}

export async function tokenMatches(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export const requireAdmin = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  const header = c.req.header("Authorization") ?? "";
  const given = header.startsWith("Bearer ") ? header.slice(7) : "";
  if (!expected || !given || !(await tokenMatches(given, expected))) throw new HttpError(401, "unauthorized", "admin token required");
  await next();
});
