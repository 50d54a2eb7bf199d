// Routes that passed locally but break D1's production limits (support/d1-guard.ts fails them).

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { db, schema } from "../../worker/db/client.ts";
import { takeInvocations } from "./support/d1-guard.ts";
import { call, nowSeconds, signed } from "./support/worker.ts";

const hex = (i: number, len: number) => i.toString(16).padStart(len, "0");

describe("D1 limits of routes", () => {
  it("takes a storage roots report of 500 torrents in under 1,000 queries (regression: 4 queries a root broke the limit)", async () => {
    const infoHashes = Array.from({ length: 500 }, (_, i) => hex(0xa0000 + i, 40));
    const roots = infoHashes.map((_, i) => hex(0xb0000 + i, 64));
    const rows = infoHashes.map((infoHash, i) => ({ infoHash, name: `t${i}`, length: 1, pieceLength: 16384, files: "[]", storageRoot: roots[i]!, metainfo: new Uint8Array(1), createdAt: 0 }));
    const d = db(env.DB);
    for (let i = 0; i < rows.length; i += 5) await d.insert(schema.torrents).values(rows.slice(i, i + 5)); // 17 columns a row
    const node = privateKeyToAccount(generatePrivateKey());
    expect((await call("/api/nodes/register", await signed(node, "NodeRegistration", { node: node.address, port: 6881, nonce: 1n, expiry: nowSeconds() + 600n }))).status).toBe(200);
    takeInvocations();
    const res = await call("/api/nodes/roots", await signed(node, "StorageRoots", { node: node.address, infoHashes: infoHashes.map((h) => `0x${h}` as const), roots: roots.map((r) => `0x${r}` as const), nonce: 1n, expiry: nowSeconds() + 600n }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { accepted: { infoHash: string; root: string; rootStatus: string }[] };
    expect(body.accepted).toHaveLength(500);
    expect(body.accepted[499]).toEqual({ infoHash: infoHashes[499], root: roots[499], rootStatus: "published" });
    expect(await env.DB.prepare("SELECT count(*) AS n FROM root_reports WHERE node = ?").bind(node.address.toLowerCase()).first("n")).toBe(500);
    const inv = takeInvocations().find((i) => i.label === "POST /api/nodes/roots")!;
    console.log(`POST /api/nodes/roots with 500 roots: ${inv.queries} D1 queries`);
    expect(inv.queries).toBeLessThan(1_000);
  });
});
