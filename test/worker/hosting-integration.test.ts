// GET /api/hosting/offers: the expected reward per GB of every registered torrent, from the
// replicas nodes report (before any epoch has closed) or prove (after), computed by
// protocol/hosting/offers.ts.

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { canonicalJson } from "../../protocol/epoch/inputs.ts";
import { offer } from "../../protocol/hosting/offers.ts";
import { HOSTING_POOL } from "../../protocol/params.ts";
import { db, schema } from "../../worker/db/client.ts";
import { fixture } from "./support/fixture.ts";
import { call, nowSeconds, signed, uploadTorrent } from "./support/worker.ts";

interface OfferJson {
  infoHash: string;
  name: string;
  length: number;
  provenReplicas: number;
  hostedReplicas: number;
  replicas: number;
  mine: boolean;
  scarcityWeight: number;
  surgeMultiplier: number;
  bountyPerEpoch: string;
  expectedRewardPerGB: string;
}
interface OffersJson {
  basis: "epoch" | "hosted";
  epoch: number | null;
  hostingPool: string;
  provenBytes: string;
  node: string | null;
  offers: OfferJson[];
}

const a = privateKeyToAccount(generatePrivateKey());
const b = privateKeyToAccount(generatePrivateKey());
const popular = fixture(70_000, 61, "popular.bin");
const rare = fixture(50_000, 62, "rare.bin");
const unheld = fixture(30_000, 63, "unheld.bin");
let nonce = 1n;

// One endpoint, one node (a second node on a held host:port is refused): each account its own port.
const ports = new Map<string, number>();
const portOf = (address: string) => ports.get(address) ?? ports.set(address, 6881 + ports.size).get(address)!;

async function host(account: typeof a, torrents: { infoHash: string }[]) {
  const expiry = nowSeconds() + 600n;
  expect((await call("/api/nodes/register", await signed(account, "NodeRegistration", { node: account.address, port: portOf(account.address), nonce: nonce++, expiry }))).status).toBe(200);
  const infoHashes = torrents.map((t) => `0x${t.infoHash}` as const);
  expect((await call("/api/nodes/hosted", await signed(account, "HostedSubset", { node: account.address, infoHashes, nonce: nonce++, expiry }))).status).toBe(200);
}

async function offers(query = ""): Promise<OffersJson> {
  const res = await call(`/api/hosting/offers${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as OffersJson;
}

const byHash = (o: OffersJson, f: { infoHash: string }) => o.offers.find((x) => x.infoHash === f.infoHash)!;

describe("GET /api/hosting/offers", () => {
  it("lists every registered torrent with neutral surge and no bounty", async () => {
    for (const f of [popular, rare, unheld]) expect((await uploadTorrent(f)).status).toBe(201);
    const o = await offers();
    expect(o).toMatchObject({ basis: "hosted", epoch: null, hostingPool: HOSTING_POOL.toString(), provenBytes: "0", node: null });
    expect(o.offers.map((x) => x.infoHash).sort()).toEqual([popular, rare, unheld].map((f) => f.infoHash).sort());
    for (const x of o.offers) expect(x).toMatchObject({ replicas: 0, provenReplicas: 0, hostedReplicas: 0, mine: false, scarcityWeight: 3, surgeMultiplier: 1, bountyPerEpoch: "0" });
  });

  it("before any epoch closes, counts the nodes reporting a torrent and pays the scarcer one more per GB", async () => {
    await host(a, [popular, rare]);
    await host(b, [popular]);
    const o = await offers();
    const provenBytes = 2n * BigInt(popular.data.length) + BigInt(rare.data.length);
    expect(o.provenBytes).toBe(provenBytes.toString());
    expect(byHash(o, popular)).toMatchObject({ hostedReplicas: 2, replicas: 2, scarcityWeight: 1 });
    expect(byHash(o, rare)).toMatchObject({ hostedReplicas: 1, replicas: 1, scarcityWeight: 1.5 });
    // Best paying first: nobody holds `unheld`, one node holds `rare`, two hold `popular`.
    expect(o.offers.map((x) => x.infoHash)).toEqual([unheld.infoHash, rare.infoHash, popular.infoHash]);
    for (const f of [popular, rare, unheld]) {
      const x = byHash(o, f);
      expect(x.expectedRewardPerGB).toBe(offer({ infoHash: f.infoHash, name: x.name, length: f.data.length, replicas: x.replicas }, { provenBytes }).expectedRewardPerGB.toString());
    }
  });

  it("does not count the asking node's own replica against it", async () => {
    const o = await offers(`?node=${b.address}`);
    expect(o.node).toBe(b.address.toLowerCase());
    expect(byHash(o, popular)).toMatchObject({ replicas: 2, mine: true, scarcityWeight: 1.5 });
    expect(byHash(o, rare)).toMatchObject({ replicas: 1, mine: false });
    // Keeping `popular` is worth what fetching it would be if b did not hold it.
    const provenBytes = 2n * BigInt(popular.data.length) + BigInt(rare.data.length);
    const asNew = offer({ infoHash: popular.infoHash, name: "", length: popular.data.length, replicas: 1 }, { provenBytes: provenBytes - BigInt(popular.data.length) });
    expect(byHash(o, popular).expectedRewardPerGB).toBe(asNew.expectedRewardPerGB.toString());
  });

  it("after an epoch closes, counts the replicas proven in it, not the ones reported", async () => {
    const na = a.address.toLowerCase();
    const nb = b.address.toLowerCase();
    const challenges = [
      { node: na, infoHash: popular.infoHash, verdict: "pass" },
      { node: na, infoHash: rare.infoHash, verdict: "pass" },
      { node: nb, infoHash: popular.infoHash, verdict: "pass" },
      { node: nb, infoHash: popular.infoHash, verdict: "timeout" },
    ];
    const hosting = [
      { node: na, provenBytes: String(popular.data.length + rare.data.length) },
      { node: nb, provenBytes: "0" },
    ];
    // The inputs exactly as worker/epoch/close.ts publishes them.
    const inputs = canonicalJson({ epoch: 1, challenges, torrents: [popular, rare].map((f) => ({ infoHash: f.infoHash, length: f.data.length })), hosting });
    await db(env.DB).insert(schema.epochs).values({ epoch: 1, root: `0x${"11".repeat(32)}`, inputsHash: `0x${"22".repeat(32)}`, inputs, totalEarned: HOSTING_POOL.toString(), leafCount: 1, txHash: null, closedAt: Date.now() });

    const o = await offers(`?node=${b.address}`);
    expect(o).toMatchObject({ basis: "epoch", epoch: 1, provenBytes: String(popular.data.length + rare.data.length) });
    // b reported `popular` but one of its challenges timed out: only a proved it.
    expect(byHash(o, popular)).toMatchObject({ provenReplicas: 1, hostedReplicas: 2, replicas: 1, mine: false });
    expect(byHash(o, rare)).toMatchObject({ provenReplicas: 1, replicas: 1 });
    expect(byHash(o, unheld)).toMatchObject({ provenReplicas: 0, replicas: 0, scarcityWeight: 3 });
    const mineForA = byHash(await offers(`?node=${a.address}`), rare);
    expect(mineForA).toMatchObject({ replicas: 1, mine: true, scarcityWeight: 3 });
  });

  it("rejects a malformed node address with a readable error", async () => {
    const res = await call("/api/hosting/offers?node=0x1234");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "bad_request" } });
  });
});
