// POST /api/nodes/check (issue 15 part 1): the edge dials a node back as a challenge would,
// over real TCP (cloudflare:sockets) to the global setup's seeders, and keeps nothing but the
// node's last verdict.
import { describe, expect, inject, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { nextSeederAccount } from "./support/seeder-keys.ts";
import { fixture } from "./support/fixture.ts";
import { call, nowSeconds, registerHosting, signed, uploadTorrent } from "./support/worker.ts";

const f = fixture();
let nonce = 1n;
const check = async (account: ReturnType<typeof privateKeyToAccount>) =>
  call("/api/nodes/check", await signed(account, "NodeCheck", { node: account.address, nonce: nonce++, expiry: nowSeconds() + 600n }));
const register = async (port: number) => {
  const node = nextSeederAccount();
  const reg = await call("/api/nodes/register", await signed(node, "NodeRegistration", { node: node.address, port, nonce: 1n, expiry: nowSeconds() + 600n }));
  expect(reg.status).toBe(200);
  return node;
};

describe("the edge's dial-back check (POST /api/nodes/check)", () => {
  it("runs a real challenge against a hosting node and reports it passed, without storing a transcript", async () => {
    expect((await uploadTorrent(f)).status).toBe(201);
    const address = await registerHosting(inject("honestSeederPort"), f.infoHash);
    const { seederKeyring } = await import("./support/seeder-keys.ts");
    const account = seederKeyring().get(address)!;
    const res = await check(account);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; verdict: string; infoHash: string; seenHost: string; endpoint: { host: string; port: number } };
    expect(body).toMatchObject({ ok: true, verdict: "pass", infoHash: f.infoHash, seenHost: "127.0.0.1", endpoint: { host: "127.0.0.1", port: inject("honestSeederPort") } });
    // A check is never a round's input (attack: checks farmed as passed challenges).
    const mine = (await (await call(`/api/nodes/${address}/transcripts`)).json()) as { transcripts: unknown[] };
    expect(mine.transcripts).toHaveLength(0);
    const status = (await (await call(`/api/nodes/${address}`)).json()) as { lastCheck: { verdict: string } | null };
    expect(status.lastCheck).toMatchObject({ verdict: "pass" });
    // The node's page says so too.
    expect(await (await call(`/nodes/${address}`)).text()).toContain('data-testid="reachable">yes<');
  });

  it("refuses a second check within the interval (attack: the edge made to dial in a loop)", async () => {
    const account = await register(inject("corruptSeederPort"));
    expect((await check(account)).status).toBe(200);
    const again = await check(account);
    expect(again.status).toBe(429);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe("check_too_soon");
  });

  it("says an open port with nothing hosted is open, and a closed port refused", async () => {
    const open = await register(inject("flakySeederPort"));
    const closed = await register(inject("closedPort"));
    const o = (await (await check(open)).json()) as { ok: boolean; verdict: string; infoHash: string | null };
    expect(o).toMatchObject({ ok: true, verdict: "open", infoHash: null });
    const c = (await (await check(closed)).json()) as { ok: boolean; verdict: string; reason: string };
    expect(c.ok).toBe(false);
    expect(c.verdict).not.toBe("open");
    expect(await (await call(`/nodes/${closed.address.toLowerCase()}`)).text()).toContain('data-testid="reachable">no<');
  });

  it("refuses an unregistered node, an unsigned body and a replayed one (attack: anyone making the edge dial)", async () => {
    const stranger = privateKeyToAccount(generatePrivateKey());
    const res = await check(stranger);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_registered");
    expect((await call("/api/nodes/check", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ message: { node: stranger.address, nonce: "1", expiry: String(nowSeconds() + 60n) }, signature: "0x00" }) })).status).toBe(400);
    const node = await register(inject("hybridSeederPort"));
    const body = await signed(node, "NodeCheck", { node: node.address, nonce: 99n, expiry: nowSeconds() + 600n });
    expect((await call("/api/nodes/check", body)).status).toBe(200);
    const replay = await call("/api/nodes/check", body);
    expect(replay.status).toBe(409);
  });
});
