// The page shell of the members' site: server-rendered HTML that browses without
// JavaScript. /static/app.js (worker/web/client/) only adds what needs a wallet, on the
// elements that ask for it with data-* attributes.

import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface PageOptions {
  title: string;
  /** The signed-in account (lowercase), or null. */
  account: string | null;
  /** Whether the account is an admitted member (it may have signed in without being one yet). */
  member?: boolean;
  /** Whether the account may moderate uploads. */
  curator?: boolean;
  /** Which nav entry is current. */
  nav?: "index" | "upload" | "moderation" | "epochs" | "wallet" | "node" | "profile" | "signin" | "join";
  /** A message shown above the page, e.g. the outcome of a form post. */
  notice?: { kind: "ok" | "error"; text: string };
  body: Html;
}

const navItem = (href: string, label: string, current: boolean) =>
  html`<a href="${href}"${current ? raw(' aria-current="page"') : ""}>${label}</a>`;

export function page(o: PageOptions): Html {
  const short = o.account ? `${o.account.slice(0, 6)}…${o.account.slice(-4)}` : "";
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · Vidya</title>
<link rel="stylesheet" href="/static/site.css">
<script type="module" src="/static/app.js"></script>
</head>
<body>
<header class="top">
  <a class="brand" href="/">Vidya</a>
  <nav>
    ${navItem("/", "Index", o.nav === "index")}
    ${o.member ? navItem("/upload", "Upload", o.nav === "upload") : ""}
    ${o.curator ? navItem("/moderation", "Moderation", o.nav === "moderation") : ""}
    ${navItem("/epochs", "Epochs", o.nav === "epochs")}
    ${!o.member ? navItem("/join", "Join", o.nav === "join") : ""}
    ${o.account ? navItem("/wallet", "Wallet", o.nav === "wallet") : ""}
    ${o.account ? navItem(`/nodes/${o.account}`, "My node", o.nav === "node") : ""}
  </nav>
  <div class="who">
    ${o.account
      ? html`<a href="/me"${o.nav === "profile" ? raw(' aria-current="page"') : ""} title="${o.account}">${short}</a>
        <form method="post" action="/signout" class="inline"><button type="submit" class="link">Sign out</button></form>`
      : html`<a class="button" href="/signin">Sign in</a>`}
  </div>
</header>
<main>
${o.notice ? html`<p class="notice ${o.notice.kind}" role="${o.notice.kind === "error" ? "alert" : "status"}">${o.notice.text}</p>` : ""}
${o.body}
</main>
<footer><p>Vidya: a private tracker whose seeders prove what they host. Every epoch's rewards are one root on-chain; <a href="/epochs">check any of them</a>.</p></footer>
</body>
</html>`;
}

/** A short form of a long hex value, with the whole of it in the title. */
export function shortHex(hex: string, head = 10, tail = 6): Html {
  return hex.length <= head + tail + 1 ? html`<code>${hex}</code>` : html`<code title="${hex}">${hex.slice(0, head)}…${hex.slice(-tail)}</code>`;
}

export function when(ms: number | null | undefined): Html {
  if (!ms) return html`—`;
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace("T", " ")} UTC</time>`;
}
