// The members' site (issue: "The members' web app"): server-rendered pages over the same
// D1 tables and functions as the JSON API. Handlers read, call, render; sign-in is EIP-4361.

import { Hono } from "hono";
import { eq } from "drizzle-orm";
import type { Env } from "../env.ts";
import { db, schema } from "../db/client.ts";
import { HttpError, safeMessage } from "../errors.ts";
import { closeSession, issueNonce, loadSession, openSession, sameOrigin, siteOrigin, verifySignIn, type SiteVars } from "./session.ts";
import { securityHeaders } from "./headers.ts";
import { epochPage, epochsPage } from "./pages/epochs.ts";
import { nodePage } from "./pages/node.ts";
import { signInPage } from "./pages/signin.ts";
import { walletPage } from "./pages/wallet.ts";
import { faucetEnabled } from "./pages/first-steps.ts";
import { DEV_FAUCET_WEI, devFaucet } from "../chain/faucet.ts";
import type { Address } from "viem";
import { indexPage } from "./pages/index.ts";
import { torrentPage } from "./pages/torrent.ts";
import { uploadPage } from "./pages/upload.ts";
import { moderationPage } from "./pages/moderation.ts";
import { profilePage } from "./pages/profile.ts";
import { joinPage } from "./pages/join.ts";
import { accessNow } from "../economics/access.ts";
import { html } from "hono/html";
import { page, type PageOptions } from "./layout.ts";
import { parseFilters } from "../torrents/search.ts";
import { addTorrent, infoHashParam, memberTorrentFile, moderate, setFlags } from "../torrents/routes.ts";
import { admit } from "../members/routes.ts";
import { createInvite } from "../members/invites.ts";
import { resetPasskey } from "../members/passkey-reset.ts";
import { LISTS, type ListName } from "../members/stats.ts";

export type Site = { Bindings: Env; Variables: SiteVars };

export const site = new Hono<Site>();

// The session is read for any path that reaches the site; the Origin check is on the site's
// own form posts only, so an unknown route elsewhere is still a 404.
site.use("*", securityHeaders, loadSession);

type Who = Pick<PageOptions, "account" | "member" | "curator">;
type Ctx = { env: Env; get(key: "account"): string | null };

/** What every page's shell needs to know of the visitor. */
export async function visitor(c: Ctx): Promise<Who> {
  const account = c.get("account");
  if (!account) return { account: null, member: false, curator: false };
  const row = await db(c.env.DB).select({ curator: schema.members.curator }).from(schema.members).where(eq(schema.members.account, account)).get();
  return { account, member: Boolean(row), curator: row?.curator === true };
}

/** The signed-in member and their passkey, or a 401/403 page saying what to do. */
async function requireMember(c: Ctx): Promise<Who & { account: string; passkey: string }> {
  const account = c.get("account");
  if (!account) throw new HttpError(401, "sign_in", "sign in with your wallet first (Sign in, top right)");
  const row = await db(c.env.DB).select({ passkey: schema.members.passkey, curator: schema.members.curator }).from(schema.members).where(eq(schema.members.account, account)).get();
  if (!row) throw new HttpError(403, "not_member", "this account is not a member yet: join with an invite or your stake at /join");
  return { account, member: true, curator: row.curator, passkey: row.passkey };
}

async function requireCurator(c: Ctx) {
  const who = await requireMember(c);
  if (!who.curator) throw new HttpError(403, "not_curator", "only curators moderate uploads and set credit flags");
  return who;
}

// What a form post did, shown on the page it redirects to (post / redirect / get: a reload
// never posts twice). Only these fixed messages: nothing from the query reaches the page.
const DONE: Record<string, NonNullable<PageOptions["notice"]>> = {
  uploaded: { kind: "ok", text: "Uploaded. A curator will review it; meanwhile you can download it and seed it." },
  published: { kind: "ok", text: "Uploaded and approved." },
  flags: { kind: "ok", text: "Credit flags saved: the swarm applies them from its next announce." },
  approved: { kind: "ok", text: "Approved: it is in the index and its announces are accepted." },
  rejected: { kind: "ok", text: "Rejected." },
  passkey: { kind: "ok", text: "Your passkey is new; the old one stopped working. Download your .torrent files again." },
  invite: { kind: "ok", text: "Invite made: send its code or link to the person you invite." },
  joined: { kind: "ok", text: "Welcome: you are a member. Your passkey is below." },
  faucet: { kind: "ok", text: "The dev faucet sent your address 1 test ETH: enough gas for many transactions, and some to buy VIDYA with." },
};
const done = (key: string | undefined) => (key && Object.hasOwn(DONE, key) ? DONE[key] : undefined);

site.get("/", async (c) => c.html(await indexPage(c.env, await visitor(c), parseFilters(c.req.query()))));

site.get("/torrents/:infoHash", async (c) => c.html(await torrentPage(c.env, await visitor(c), infoHashParam(c.req.param("infoHash")), done(c.req.query("done")))));

// The .torrent carries the member's passkey: the page links here, never to the passkey URL.
site.get("/torrents/:infoHash/download", async (c) => {
  const who = await requireMember(c);
  return memberTorrentFile(c.env, who.account, who.passkey, infoHashParam(c.req.param("infoHash")), new URL(c.req.url).origin);
});

site.post("/torrents/:infoHash/flags", sameOrigin, async (c) => {
  await requireCurator(c);
  const infoHash = infoHashParam(c.req.param("infoHash"));
  const form = await c.req.parseBody();
  // Unchecked boxes are not sent: every flag is set, to what the form shows.
  await setFlags(c.env, infoHash, { freeleech: form.freeleech === "1", neutral: form.neutral === "1", doubleUpload: form.doubleUpload === "1" });
  return c.redirect(`/torrents/${infoHash}?done=flags`, 303);
});

site.get("/upload", async (c) => {
  const who = await requireMember(c);
  return c.html(uploadPage(c.env, who));
});

site.post("/upload", sameOrigin, async (c) => {
  const who = await requireMember(c);
  const form = await c.req.parseBody();
  const field = (k: string) => (typeof form[k] === "string" ? (form[k] as string) : undefined);
  const details = { category: field("category"), description: field("description"), storageRoot: field("storageRoot") };
  const file = form.torrent;
  try {
    if (!(file instanceof File) || file.size === 0) throw new HttpError(400, "invalid_torrent", "choose a .torrent file");
    // Curators' own uploads need no second curator.
    const status = who.curator ? "approved" : "pending";
    const t = await addTorrent(c.env, new Uint8Array(await file.arrayBuffer()), details, { status, uploadedBy: who.account });
    return c.redirect(`/torrents/${t.infoHash}?done=${status === "approved" ? "published" : "uploaded"}`, 303);
  } catch (e) {
    // The form comes back as it was, with what to fix; nothing was stored.
    if (e instanceof HttpError && e.status < 500) return c.html(uploadPage(c.env, who, details, { kind: "error", text: e.message }), e.status);
    throw e;
  }
});

site.get("/moderation", async (c) => c.html(await moderationPage(c.env, await requireCurator(c), done(c.req.query("done")))));

site.post("/moderation/:infoHash", sameOrigin, async (c) => {
  await requireCurator(c);
  const decision = (await c.req.parseBody()).decision;
  if (decision !== "approve" && decision !== "reject") throw new HttpError(400, "bad_request", "decision must be approve or reject");
  await moderate(c.env, infoHashParam(c.req.param("infoHash")), decision === "approve" ? "approved" : "rejected");
  return c.redirect(`/moderation?done=${decision === "approve" ? "approved" : "rejected"}`, 303);
});

site.get("/me", async (c) => {
  const who = await visitor(c);
  if (!who.account) return c.redirect("/signin?next=/me", 303);
  const list = (c.req.query("list") ?? "snatched") as ListName;
  if (!LISTS.includes(list)) throw new HttpError(400, "bad_request", "list must be snatched, seeding or leeching");
  c.header("Cache-Control", "private, no-store"); // the page shows the passkey
  return c.html(await profilePage(c.env, who, new URL(c.req.url).origin, list, done(c.req.query("done"))));
});

site.post("/me/reset-passkey", sameOrigin, async (c) => {
  const who = await requireMember(c);
  await resetPasskey(c.env, who.account, who.passkey);
  return c.redirect("/me?done=passkey", 303);
});

site.post("/me/invite", sameOrigin, async (c) => {
  const who = await requireMember(c);
  await createInvite(c.env, who.account);
  return c.redirect("/me?done=invite", 303);
});

site.get("/join", async (c) => c.html(await joinPage(c.env, await visitor(c), await accessNow(c.env), c.req.query("invite") ?? "")));

site.post("/join", sameOrigin, async (c) => {
  const who = await visitor(c);
  if (!who.account) throw new HttpError(401, "sign_in", "sign in with your wallet first");
  const form = await c.req.parseBody();
  const invite = form.route === "invite" && typeof form.invite === "string" ? form.invite.trim() : undefined;
  try {
    await admit(c.env, who.account, invite || undefined);
  } catch (e) {
    if (e instanceof HttpError && e.status < 500) return c.html(await joinPage(c.env, who, await accessNow(c.env), invite ?? "", { kind: "error", text: e.message }), e.status);
    throw e;
  }
  return c.redirect("/me?done=joined", 303);
});

site.get("/signin", async (c) => c.html(signInPage({ ...(await visitor(c)), next: safeNext(c.req.query("next")) })));

// The fields the wallet signs, chosen here (domain, URI, chain, nonce, expiry), not by the page.
// Domain and URI come from SITE_ORIGIN (configuration), never from the request's Host header.
site.post("/auth/nonce", sameOrigin, async (c) => c.json(await issueNonce(c.env, siteOrigin(c.env, c.req.url))));

site.post("/auth/verify", sameOrigin, async (c) => {
  const body = (await c.req.json().catch(() => null)) as { message?: unknown; signature?: unknown } | null;
  if (!body) throw new HttpError(400, "bad_request", "body must be JSON { message, signature }");
  const account = await verifySignIn(c.env, siteOrigin(c.env, c.req.url), body.message as string, body.signature as string);
  await openSession(c, c.env, account);
  const member = await db(c.env.DB).select({ account: schema.members.account }).from(schema.members).where(eq(schema.members.account, account)).get();
  return c.json({ account, member: Boolean(member) });
});

site.post("/signout", sameOrigin, async (c) => {
  await closeSession(c, c.env);
  return c.redirect("/", 303);
});

site.get("/epochs", async (c) => c.html(await epochsPage(c.env, await visitor(c))));
site.get("/epochs/:epoch", async (c) => c.html(await epochPage(c.env, await visitor(c), c.req.param("epoch"), c.req.query("account"))));
site.get("/wallet", async (c) => c.html(await walletPage(c.env, await visitor(c), done(c.req.query("done")))));

// Test ETH for gas on the local chain only (anvil's anvil_setBalance): a newcomer's first step
// in development. Refused anywhere else, so no configuration mistake can open it in production.
site.post("/faucet", sameOrigin, async (c) => {
  const account = c.get("account");
  if (!account) throw new HttpError(401, "sign_in", "sign in with your wallet first");
  if (!faucetEnabled(c.env)) throw new HttpError(404, "not_found", "there is no faucet on this chain: get ETH from an exchange or a bridge");
  await devFaucet(c.env, account as Address, DEV_FAUCET_WEI);
  return c.redirect("/wallet?done=faucet", 303);
});
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
  // A chain error's message names the RPC URL, which may carry a provider's key: URLs are stripped.
  const message = known ? safeMessage(err.message, 2_000) : "internal error";
  if (!known) console.error("site error", err.name, c.req.method, c.req.routePath, safeMessage(err));
  if (new URL(c.req.url).pathname.startsWith("/auth/")) return c.json({ error: { code: known ? err.code : "internal", message } }, status);
  const body = html`<h1>${status === 404 ? "Not found" : status === 401 || status === 403 ? "Not allowed" : "Something went wrong"}</h1><p>${message}</p><p><a href="/">Back to the index</a></p>`;
  return c.html(page({ title: status === 404 ? "Not found" : "Error", account: c.get("account") ?? null, body }), status);
});
