import { describe, expect, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { fixture } from "./support/fixture.ts";
import { admin, call, nowSeconds, signed, uploadTorrent } from "./support/worker.ts";

describe("node registration", () => {
  const key = generatePrivateKey();
  const node = privateKeyToAccount(key);
  const address = node.address.toLowerCase();

  it("accepts a signed registration and takes the host the edge sees", async () => {
    const res = await call("/api/nodes/register", await signed(node, "NodeRegistration", { node: node.address, port: 6881, nonce: 1n, expiry: nowSeconds() + 600n }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { node: string; passkey: string; endpoint: { host: string; port: number } };
    expect(body.node).toBe(address);
    expect(body.passkey).toMatch(/^[0-9a-f]{32}$/);
    expect(body.endpoint).toEqual({ host: "127.0.0.1", port: 6881 });
  });

  it("uses CF-Connecting-IP over anything else and keeps the same passkey", async () => {
    const first = (await (await call("/api/nodes/register", await signed(node, "NodeRegistration", { node: node.address, port: 7000, nonce: 2n, expiry: nowSeconds() + 600n }))).json()) as { passkey: string };
    const init = await signed(node, "NodeRegistration", { node: node.address, port: 7001, nonce: 3n, expiry: nowSeconds() + 600n });
    const res = await call("/api/nodes/register", { ...init, headers: { ...(init.headers as Record<string, string>), "CF-Connecting-IP": "203.0.113.9" } });
    const body = (await res.json()) as { passkey: string; endpoint: { host: string; port: number } };
    expect(body.endpoint).toEqual({ host: "203.0.113.9", port: 7001 });
    expect(body.passkey).toBe(first.passkey);
  });

  it("rejects a replayed nonce", async () => {
    const init = await signed(node, "NodeRegistration", { node: node.address, port: 6881, nonce: 10n, expiry: nowSeconds() + 600n });
    expect((await call("/api/nodes/register", init)).status).toBe(200);
    const replay = await call("/api/nodes/register", init);
    expect(replay.status).toBe(409);
    expect(await replay.json()).toMatchObject({ error: { code: "stale_nonce" } });
    const lower = await call("/api/nodes/register", await signed(node, "NodeRegistration", { node: node.address, port: 6881, nonce: 9n, expiry: nowSeconds() + 600n }));
    expect(lower.status).toBe(409);
  });

  it("rejects an expired report", async () => {
    const res = await call("/api/nodes/register", await signed(node, "NodeRegistration", { node: node.address, port: 6881, nonce: 100n, expiry: nowSeconds() - 1n }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_report", message: expect.stringMatching(/expired/) } });
  });

  it("rejects a report signed by another account", async () => {
    const other = privateKeyToAccount(generatePrivateKey());
    const res = await call("/api/nodes/register", await signed(other, "NodeRegistration", { node: node.address, port: 6881, nonce: 101n, expiry: nowSeconds() + 600n }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_report", message: expect.stringMatching(/signature/) } });
  });

  it("rejects a malformed body with a readable error", async () => {
    const res = await call("/api/nodes/register", { method: "POST", body: "{", headers: { "Content-Type": "application/json" } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "bad_request" } });
  });

  it("replaces the hosted subset with the known torrents it names and reports it", async () => {
    const a = fixture(40_000, 31, "h1.bin");
    const b = fixture(70_000, 32, "h2.bin");
    await uploadTorrent(a);
    await uploadTorrent(b);
    const unknown = "0x" + "cd".repeat(20);
    const hosted = async (hashes: string[], nonce: bigint) =>
      call("/api/nodes/hosted", await signed(node, "HostedSubset", { node: node.address, infoHashes: hashes.map((h) => (h.startsWith("0x") ? h : "0x" + h) as `0x${string}`), nonce, expiry: nowSeconds() + 600n }));
    const r1 = await hosted([a.infoHash, b.infoHash, unknown], 1n);
    expect(r1.status).toBe(200);
    expect(((await r1.json()) as { hosted: string[] }).hosted.sort()).toEqual([a.infoHash, b.infoHash].sort());
    const r2 = await hosted([b.infoHash], 2n);
    expect(await r2.json()).toEqual({ node: address, hosted: [b.infoHash] });
    const info = (await (await call(`/api/nodes/${node.address}`)).json()) as Record<string, unknown>;
    expect(info).toMatchObject({ node: address, hosted: [b.infoHash], hostedBytes: 70_000, epochs: [], cumulativeEarned: "0" });
  });

  it("rejects a replayed hosted subset or storage roots report, and expired ones, changing nothing", async () => {
    const b = fixture(70_000, 32, "h2.bin");
    const a = fixture(40_000, 31, "h1.bin");
    // Replaying the node's earlier, larger subset would make it answer for what it dropped.
    const older = await signed(node, "HostedSubset", { node: node.address, infoHashes: [`0x${a.infoHash}`, `0x${b.infoHash}`], nonce: 1n, expiry: nowSeconds() + 600n });
    const replayed = await call("/api/nodes/hosted", older);
    expect(replayed.status).toBe(409);
    expect(await replayed.json()).toMatchObject({ error: { code: "stale_nonce" } });
    const expired = await call("/api/nodes/hosted", await signed(node, "HostedSubset", { node: node.address, infoHashes: [`0x${a.infoHash}`], nonce: 50n, expiry: nowSeconds() - 1n }));
    expect(expired.status).toBe(400);
    expect(await expired.json()).toMatchObject({ error: { code: "invalid_report", message: expect.stringMatching(/expired/) } });
    expect(((await (await call(`/api/nodes/${node.address}`)).json()) as { hosted: string[] }).hosted).toEqual([b.infoHash]);

    const roots = async (nonce: bigint, expiry = nowSeconds() + 600n) => signed(node, "StorageRoots", { node: node.address, infoHashes: [`0x${b.infoHash}`], roots: [`0x${b.storageRoot}`], nonce, expiry });
    const report = await roots(1n);
    expect((await call("/api/nodes/roots", report)).status).toBe(200);
    const again = await call("/api/nodes/roots", report);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: "stale_nonce" } });
    const late = await call("/api/nodes/roots", await roots(2n, nowSeconds() - 1n));
    expect(late.status).toBe(400);
    expect(await late.json()).toMatchObject({ error: { code: "invalid_report", message: expect.stringMatching(/expired/) } });
  });

  it("refuses a hosted subset from an unregistered node", async () => {
    const stranger = privateKeyToAccount(generatePrivateKey());
    const res = await call("/api/nodes/hosted", await signed(stranger, "HostedSubset", { node: stranger.address, infoHashes: [], nonce: 1n, expiry: nowSeconds() + 600n }));
    expect(res.status).toBe(409);
  });
});

describe("member join", () => {
  it("admits with an unused invite, returns the same passkey again, and refuses a used invite", async () => {
    const invite = ((await (await admin("/admin/invites")).json()) as { invite: string }).invite;
    const m = privateKeyToAccount(generatePrivateKey());
    const join = async (nonce: bigint, extra: Record<string, unknown> = {}, who = m) =>
      call("/api/members/join", await signed(who, "MemberJoin", { member: who.address, nonce, expiry: nowSeconds() + 600n }, extra));
    const first = await join(1n, { invite });
    expect(first.status).toBe(200);
    const { passkey, account } = (await first.json()) as { passkey: string; account: string };
    expect(account).toBe(m.address.toLowerCase());
    expect(passkey).toMatch(/^[0-9a-f]{32}$/);
    expect(((await (await join(2n)).json()) as { passkey: string }).passkey).toBe(passkey);

    const other = privateKeyToAccount(generatePrivateKey());
    const reused = await join(1n, { invite }, other);
    expect(reused.status).toBe(403);
    expect(await reused.json()).toMatchObject({ error: { code: "invalid_invite" } });
  });

  it("refuses an account with neither invite nor chain to check its stake", async () => {
    const m = privateKeyToAccount(generatePrivateKey());
    const res = await call("/api/members/join", await signed(m, "MemberJoin", { member: m.address, nonce: 1n, expiry: nowSeconds() + 600n }));
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: "not_admitted" } });
  });

  it("requires the admin token for admin routes", async () => {
    expect((await call("/admin/invites", { method: "POST" })).status).toBe(401);
    expect((await call("/admin/invites", { method: "POST", headers: { Authorization: "Bearer wrong" } })).status).toBe(401);
  });
});
