// The members' site (issue: "The members' web app"): server-rendered pages over the same
// D1 tables and functions as the JSON API. Handlers read, call, render; sign-in is EIP-4361.

import { Hono } from "hono";
import { eq } from "drizzle-orm";
import type { Env } from "../env.ts";
import { db, schema } from "../db/client.ts";
import { HttpError } from "../errors.ts";
import { closeSession, issueNonce, loadSession, openSession, sameOrigin, verifySignIn, type SiteVars } from "./session.ts";
import { epochPage, epochsPage } from "./pages/epochs.ts";
import { nodePage } from "./pages/node.ts";
import { signInPage } from "./pages/signin.ts";
import { walletPage } from "./pages/wallet.ts";
import { html } from "hono/html";
import { page, type PageOptions } from "./layout.ts";

export type Site = { Bindings: Env; Variables: SiteVars };

export const site = new Hono<Site>();

site.use("*", loadSession, sameOrigin);

/** What every page's shell needs to know of the visitor. */
export async function visitor(c: { env: Env; get(key: "account"): string | null }): Promise<Pick<PageOptions, "account" | "member">> {
  const account = c.get("account");
  if (!account) return { account: null, member: false };
  const row = await db(c.env.DB).select({ account: schema.members.account }).from(schema.members).where(eq(schema.members.account, account)).get();
  return { account, member: Boolean(row) };
}

site.get("/signin", async (c) => c.html(signInPage({ ...(await visitor(c)), next: safeNext(c.req.query("next")) })));

// The fields the wallet signs, chosen here (domain, URI, chain, nonce, expiry), not by the page.
site.post("/auth/nonce", async (c) => c.json(await issueNonce(c.env, new URL(c.req.url))));

site.post("/auth/verify", async (c) => {
  const body = (await c.req.json().catch(() => null)) as { message?: unknown; signature?: unknown } | null;
  if (!body) throw new HttpError(400, "bad_request", "body must be JSON { message, signature }");
  const account = await verifySignIn(c.env, new URL(c.req.url), body.message as string, body.signature as string);
  await openSession(c, c.env, account);
  const member = await db(c.env.DB).select({ account: schema.members.account }).from(schema.members).where(eq(schema.members.account, account)).get();
  return c.json({ account, member: Boolean(member) });
});

site.post("/signout", async (c) => {
  await closeSession(c, c.env);
  return c.redirect("/", 303);
});

site.get("/epochs", async (c) => c.html(await epochsPage(c.env, await visitor(c))));
site.get("/epochs/:epoch", async (c) => c.html(await epochPage(c.env, await visitor(c), c.req.param("epoch"), c.req.query("account"))));
site.get("/wallet", async (c) => c.html(await walletPage(c.env, await visitor(c))));
site.get("/nodes/:address", async (c) => c.html(await nodePage(c.env, await visitor(c), c.req.param("address"))));

/** Only a local path may follow a sign-in (no open redirect). */
export function safeNext(next: string | undefined): string {
  return next && /^\/(?!\/)[\w\-./?=&%]*$/.test(next) ? next : "/me";
}

// Pages fail as pages, with the status and a message a person can act on; the JSON routes
// the site's script calls (/auth/*) fail as the API does.
site.onError((err, c) => {
  const known = err instanceof HttpError;
  const status = known ? err.status : 500;
  const message = known ? err.message : "internal error";
  if (!known) console.error("site error", err.name, c.req.method, c.req.routePath);
  if (new URL(c.req.url).pathname.startsWith("/auth/")) return c.json({ error: { code: known ? err.code : "internal", message } }, status);
  const body = html`<h1>${status === 404 ? "Not found" : status === 401 || status === 403 ? "Not allowed" : "Something went wrong"}</h1><p>${message}</p><p><a href="/">Back to the index</a></p>`;
  return c.html(page({ title: status === 404 ? "Not found" : "Error", account: c.get("account") ?? null, body }), status);
});
