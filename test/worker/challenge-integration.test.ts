import { describe, expect, inject, it } from "vitest";
import type { Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { CHALLENGE_BLOCKS, EMISSION_PER_EPOCH } from "../../protocol/params.ts";
import { nodeSigned, verifyTranscript } from "../../protocol/reports/eip712.ts";
import type { Transcript } from "../../protocol/challenge/transcript.ts";
import { fixture } from "./support/fixture.ts";
import { admin, call, CHAIN_ID, registerHosting, TRANSCRIPT_KEY, uploadTorrent } from "./support/worker.ts";

// The global setup serves fixture() over TCP on 127.0.0.1: honestly, corrupted, flakily, and not at all.
const f = fixture();
const edge = privateKeyToAccount(TRANSCRIPT_KEY);

async function round(node?: string): Promise<Transcript[]> {
  const res = await admin(`/admin/challenges/run${node ? `?node=${node}` : ""}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { results: Transcript[] }).results;
}

describe("challenge rounds over real TCP (cloudflare:sockets)", () => {
  let honest: string, corrupt: string, dead: string, flaky: string;

  it("passes an honest seeder, fails a corrupted one after its retries, and counts a dead port as refused", async () => {
    expect((await uploadTorrent(f)).status).toBe(201);
    honest = await registerHosting(inject("honestSeederPort"), f.infoHash);
    corrupt = await registerHosting(inject("corruptSeederPort"), f.infoHash);
    dead = await registerHosting(inject("closedPort"), f.infoHash);
    flaky = await registerHosting(inject("flakySeederPort"), f.infoHash);

    const results = await round();
    const by = (n: string) => results.find((r) => r.node === n)!;
    expect(results).toHaveLength(4);

    expect(by(honest)).toMatchObject({ verdict: "pass", attempts: 1, tries: [], epoch: 1, round: 0, infoHash: f.infoHash, root: f.storageRoot, file: null });
    expect(by(honest).blocks).toHaveLength(CHALLENGE_BLOCKS);
    expect(by(honest).blockHashes).toHaveLength(CHALLENGE_BLOCKS);
    // The node signed what it served with its registered key, bound to the edge's nonce.
    expect(await nodeSigned(CHAIN_ID, by(honest))).toBe(true);
    expect(by(honest).proofHash).toMatch(/^[0-9a-f]{64}$/);

    // CHALLENGE_RETRIES = 2: three tries, the same blocks each time, before a failure counts.
    expect(by(corrupt)).toMatchObject({ verdict: "fail", attempts: 3 });
    expect(by(corrupt).reason).toMatch(/does not verify/);
    expect(by(corrupt).tries.map((t) => t.verdict)).toEqual(["fail", "fail"]);
    // Its answer signed the corrupted blocks' hashes: the edge keeps that signature, the fraud's proof.
    expect(await nodeSigned(CHAIN_ID, by(corrupt))).toBe(true);

    expect(by(dead)).toMatchObject({ attempts: 3 });
    expect(by(dead).verdict).not.toBe("pass");
    expect(by(dead)).toMatchObject({ nodeSignature: null, answeredAt: null });
  });

  it("does not penalise an honest node whose first try met a transient failure: the retry passes", async () => {
    const [t] = await round(flaky);
    expect(t).toMatchObject({ node: flaky, verdict: "pass", attempts: 2, round: 1 });
    expect(t!.tries).toHaveLength(1);
    expect(t!.tries[0]).toMatchObject({ verdict: "refused" });
  });

  it("signs every transcript with the edge's transcript key (EIP-712), over every field", async () => {
    const chain = (await (await call("/api/chain")).json()) as { transcriptSigner: Address };
    expect(chain.transcriptSigner).toBe(edge.address.toLowerCase());
    const mine = (await (await call(`/api/nodes/${honest}/transcripts`)).json()) as { transcripts: Transcript[] };
    expect(mine.transcripts).toHaveLength(1);
    const t = mine.transcripts[0]!;
    expect(t.signer).toBe(edge.address.toLowerCase());
    expect(await verifyTranscript(CHAIN_ID, t, edge.address)).toBe(true);
    expect(await verifyTranscript(CHAIN_ID, { ...t, verdict: "timeout" }, edge.address)).toBe(false);
  });

  it("proves the honest and the flaky node alike, counts them as one replica on one subnet; the failing ones earn nothing", async () => {
    const closed = (await (await admin("/admin/epochs/close")).json()) as { epoch: number; totalEarned: string };
    // Both seeders listen on 127.0.0.1: one /24, so one replica counts (DESIGN.md "at most one
    // replica per torrent per /24"), the lower address at equal seniority, and it is paid the
    // whole emission (nobody uploaded, so the upload pool joins the hosting pool).
    expect(closed).toMatchObject({ epoch: 1, totalEarned: EMISSION_PER_EPOCH.toString() });
    const [first, second] = [honest, flaky].sort();
    const earned = (n: string) => (n === first ? EMISSION_PER_EPOCH : 0n).toString();
    expect(second).toBeDefined();
    const status = (await (await call(`/api/nodes/${honest}`)).json()) as { epochs: unknown[]; cumulativeEarned: string };
    expect(status.epochs).toEqual([{ epoch: 1, passed: 1, failed: 0, earned: earned(honest) }]);
    const flakyStatus = (await (await call(`/api/nodes/${flaky}`)).json()) as { epochs: unknown[] };
    expect(flakyStatus.epochs).toEqual([{ epoch: 1, passed: 2, failed: 0, earned: earned(flaky) }]);
    // Missing once is not a fault fee yet, and an unconfirmed root is never grounds for a slash.
    const slashed = (await (await call("/api/epochs/1/slashed")).json()) as { leaves: unknown[]; penalties: { node: string; missed: number; slashed: string }[] };
    expect(slashed.leaves).toEqual([]);
    expect(slashed.penalties.map((p) => [p.node, p.missed, p.slashed]).sort()).toEqual([[corrupt, 1, "0"], [dead, 1, "0"]].sort());
  });
});
