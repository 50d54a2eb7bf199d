import { describe, expect, inject, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { HOSTING_POOL } from "../../protocol/params.ts";
import type { Transcript } from "../../worker/challenge/round.ts";
import { fixture } from "./support/fixture.ts";
import { admin, call, nowSeconds, signed, uploadTorrent } from "./support/worker.ts";

// The global setup serves fixture() over TCP on 127.0.0.1: honestly, corrupted, and not at all.
const f = fixture();

async function registerHosting(port: number) {
  const node = privateKeyToAccount(generatePrivateKey());
  const reg = await call("/api/nodes/register", await signed(node, "NodeRegistration", { node: node.address, port, nonce: 1n, expiry: nowSeconds() + 600n }));
  expect(reg.status).toBe(200);
  const hosted = await call("/api/nodes/hosted", await signed(node, "HostedSubset", { node: node.address, infoHashes: [`0x${f.infoHash}`], nonce: 1n, expiry: nowSeconds() + 600n }));
  expect(await hosted.json()).toMatchObject({ hosted: [f.infoHash] });
  return node.address.toLowerCase();
}

describe("challenge round over real TCP (cloudflare:sockets)", () => {
  it("passes an honest seeder, fails a corrupted one after a retry, and counts a dead port as refused", async () => {
    expect((await uploadTorrent(f)).status).toBe(201);
    const honest = await registerHosting(inject("honestSeederPort"));
    const corrupt = await registerHosting(inject("corruptSeederPort"));
    const dead = await registerHosting(inject("closedPort"));

    const res = await admin("/admin/challenges/run");
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as { results: Transcript[] };
    const by = (n: string) => results.find((r) => r.node === n)!;
    expect(results).toHaveLength(3);

    expect(by(honest)).toMatchObject({ verdict: "pass", attempts: 1, epoch: 1, infoHash: f.infoHash });
    expect(by(honest).blocks).toHaveLength(3);
    expect(by(honest).blockHashes).toHaveLength(3);

    expect(by(corrupt)).toMatchObject({ verdict: "fail", attempts: 2 });
    expect(by(corrupt).reason).toMatch(/does not verify/);

    expect(by(dead)).toMatchObject({ attempts: 2 });
    expect(by(dead).verdict).not.toBe("pass");

    const closed = (await (await admin("/admin/epochs/close")).json()) as { epoch: number; totalEarned: string };
    expect(closed).toMatchObject({ epoch: 1, totalEarned: HOSTING_POOL.toString() });
    const status = (await (await call(`/api/nodes/${honest}`)).json()) as { epochs: unknown[]; cumulativeEarned: string };
    expect(status.epochs).toEqual([{ epoch: 1, passed: 1, failed: 0, earned: HOSTING_POOL.toString() }]);
    expect(status.cumulativeEarned).toBe(HOSTING_POOL.toString());
  });
});
