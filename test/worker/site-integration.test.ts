// The members' site in workerd: Sign-In with Ethereum (EIP-4361) and the pages that read
// without JavaScript. The browser side (wallet, transactions, the in-browser proof check) is
// tested in real Chromium by test/web/.

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createSiweMessage } from "viem/siwe";
import { db, schema } from "../../worker/db/client.ts";
import { SIWE_STATEMENT } from "../../worker/web/session.ts";
import { challenge, messageFor, post, signIn } from "./support/site.ts";
import { transcriptRow } from "../../worker/challenge/round.ts";
import { fixture } from "./support/fixture.ts";
import { madeTranscript } from "./support/transcripts.ts";
import { CHAIN_ID, ORIGIN, addMember, admin, call, uploadTorrent } from "./support/worker.ts";

describe("Sign-In with Ethereum", () => {
  it("issues a challenge naming this site, its chain and a fresh nonce", async () => {
    const [a, b] = [await challenge(), await challenge()];
    expect(a).toMatchObject({ domain: new URL(ORIGIN).host, uri: ORIGIN, chainId: CHAIN_ID, statement: SIWE_STATEMENT, version: "1" });
    expect(a.nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(a.nonce).not.toBe(b.nonce);
    expect(Date.parse(a.expirationTime)).toBeGreaterThan(Date.parse(a.issuedAt));
  });

  it("opens an HttpOnly session for the signer, which the pages then know", async () => {
    const { wallet, res, cookie } = await signIn();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ account: wallet.address.toLowerCase(), member: false });
    expect(res.headers.get("Set-Cookie")).toMatch(/vidya_session=[0-9a-f]{64};.*HttpOnly/i);
    const page = await (await call("/signin", { headers: { Cookie: cookie } })).text();
    expect(page).toContain(`You are signed in as <code>${wallet.address.toLowerCase()}</code>`);
    // Only the cookie's hash is stored.
    const rows = await db(env.DB).select().from(schema.sessions);
    expect(rows.some((r) => cookie.endsWith(r.idHash))).toBe(false);
  });

  it("says whether the signer is already a member", async () => {
    const key = generatePrivateKey();
    await addMember(privateKeyToAccount(key).address);
    const { res } = await signIn(key);
    expect(await res.json()).toMatchObject({ member: true });
  });

  it("refuses a replayed message: each nonce opens one session", async () => {
    const { wallet, message } = await signIn();
    const again = await post("/auth/verify", { message, signature: await wallet.signMessage({ message }) });
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ error: { code: "sign_in_refused", message: expect.stringMatching(/nonce/) } });
  });

  it("refuses a message for another site, another chain, a nonce it never issued, or an expired one", async () => {
    const wallet = privateKeyToAccount(generatePrivateKey());
    const cases: [Partial<Parameters<typeof createSiweMessage>[0]>, RegExp][] = [
      [{ domain: "evil.example" }, /not tracker\.test/],
      [{ chainId: 1 }, /chain 1/],
      [{ nonce: "0123456789abcdef0123456789abcdef" }, /nonce/],
      [{ expirationTime: new Date(Date.now() - 1000) }, /expired/],
    ];
    for (const [over, why] of cases) {
      const message = messageFor(wallet.address, await challenge(), over);
      const res = await post("/auth/verify", { message, signature: await wallet.signMessage({ message }) });
      expect(res.status, JSON.stringify(over)).toBe(401);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(why);
    }
  });

  it("refuses a signature by anyone but the message's address, and keeps the nonce usable", async () => {
    const wallet = privateKeyToAccount(generatePrivateKey());
    const other = privateKeyToAccount(generatePrivateKey());
    const message = messageFor(wallet.address, await challenge());
    const forged = await post("/auth/verify", { message, signature: await other.signMessage({ message }) });
    expect(forged.status).toBe(401);
    const honest = await post("/auth/verify", { message, signature: await wallet.signMessage({ message }) });
    expect(honest.status).toBe(200);
  });

  it("refuses malformed bodies with a readable JSON error", async () => {
    for (const body of [undefined, { message: 5, signature: "0x" }, { message: "hello", signature: `0x${"11".repeat(65)}` }]) {
      const res = await post("/auth/verify", body);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(await res.json()).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    }
  });

  it("signs out: the cookie stops working", async () => {
    const { cookie } = await signIn();
    const out = await call("/signout", { method: "POST", headers: { Cookie: cookie, Origin: ORIGIN }, redirect: "manual" });
    expect(out.status).toBe(303);
    expect(await (await call("/signin", { headers: { Cookie: cookie } })).text()).not.toContain("You are signed in");
  });

  it("refuses a form post from another origin", async () => {
    const { cookie } = await signIn();
    const res = await call("/signout", { method: "POST", headers: { Cookie: cookie, Origin: "https://evil.example" }, redirect: "manual" });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("form posts must come from this site");
  });
});

describe("pages without JavaScript", () => {
  it("lists closed epochs and shows an epoch's roots, published inputs, leaves and the proof the server built", async () => {
    const t = fixture(40_000, 71, "site.bin");
    await uploadTorrent(t);
    const node = "0x00000000000000000000000000000000000000c1";
    await db(env.DB).insert(schema.challenges).values(transcriptRow(madeTranscript(1, node, t.infoHash, "pass")));
    const closed = (await (await admin("/admin/epochs/close")).json()) as { root: string };
    const list = await (await call("/epochs")).text();
    expect(list).toContain('<a href="/epochs/1">1</a>');
    expect(list).toContain(closed.root.slice(0, 10));
    const res = await call(`/epochs/1?account=${node}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`<code>${closed.root}</code>`);
    expect(html).toContain('href="/api/epochs/1/inputs"');
    expect(html).toContain('data-action="check-proof"');
    expect(html).toMatch(/<ol class="proof">/);
  });

  it("shows a node's dashboard with its earnings plot, and explains an unregistered address", async () => {
    const unknown = await (await call("/nodes/0x00000000000000000000000000000000000000c2")).text();
    expect(unknown).toContain("has not registered a node");
    const bad = await call("/nodes/not-an-address");
    expect(bad.status).toBe(400);
    expect(bad.headers.get("Content-Type")).toMatch(/text\/html/);
  });

  it("answers an unknown epoch with a 404 page", async () => {
    const res = await call("/epochs/999");
    expect(res.status).toBe(404);
    expect(await res.text()).toContain("epoch 999 has not closed");
  });
});
