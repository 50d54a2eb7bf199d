import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import type { Address, Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { buildRewardTree, rewardLeafHash, verifyRewardProof } from "../../protocol/merkle/reward-tree.ts";
import { EMISSION_PER_EPOCH, FRAUD_SLASH } from "../../protocol/params.ts";
import type { Transcript } from "../../protocol/challenge/transcript.ts";
import { db, schema } from "../../worker/db/client.ts";
import { transcriptRow } from "../../worker/challenge/round.ts";
import { checkInputs, inputsCheckPassed } from "../../protocol/epoch/check.ts";
import { fixture } from "./support/fixture.ts";
import { madeTranscript } from "./support/transcripts.ts";
import { admin, call, nowSeconds, proveHosts, signed, uploadTorrent } from "./support/worker.ts";

const t = fixture(80_000, 91, "consequences.bin");
const honest = "0x00000000000000000000000000000000000000a1";
const missing = "0x00000000000000000000000000000000000000b1";
const sybils = ["0x00000000000000000000000000000000000000c1", "0x00000000000000000000000000000000000000c2", "0x00000000000000000000000000000000000000c3"];
const fraudster = privateKeyToAccount(generatePrivateKey());
const fraud = fraudster.address.toLowerCase();
/** A signed wrong block as the close sees it: the node's signature is present (`vidya verify` checks its validity). */
const SIGNED = { answeredAt: 1_700_000_000_200, nodeSignature: `0x${"11".repeat(65)}` as Hex };

async function insert(ts: Transcript[]) {
  const d = db(env.DB);
  for (const x of ts) await d.insert(schema.challenges).values(transcriptRow(x));
}

async function close(): Promise<{ epoch: number; slashedRoot: Hex; totalSlashed: string }> {
  const res = await admin("/admin/epochs/close");
  expect(res.status).toBe(200);
  return (await res.json()) as { epoch: number; slashedRoot: Hex; totalSlashed: string };
}

async function slashedOf(epoch: number) {
  return (await (await call(`/api/epochs/${epoch}/slashed`)).json()) as {
    slashedRoot: Hex;
    leaves: { account: Address; cumulative: string }[];
    penalties: { node: string; missed: number; frauds: number; streak: number; faultFee: string; correlationBps: string; slashed: string; replicas: { infoHash: string; streak: number; expected: string; fee: string }[] }[];
    faults: { node: string; streak: number }[];
  };
}

async function registerAt(ip: string) {
  const node = privateKeyToAccount(generatePrivateKey());
  const init = await signed(node, "NodeRegistration", { node: node.address, port: 6881, nonce: 1n, expiry: nowSeconds() + 600n });
  expect((await call("/api/nodes/register", { ...init, headers: { ...init.headers, "CF-Connecting-IP": ip } })).status).toBe(200);
  return node;
}

async function reportRoot(node: ReturnType<typeof privateKeyToAccount>, root: string, nonce: bigint) {
  const res = await call("/api/nodes/roots", await signed(node, "StorageRoots", { node: node.address, infoHashes: [`0x${t.infoHash}`], roots: [`0x${root}`], nonce, expiry: nowSeconds() + 600n }));
  expect(res.status).toBe(200);
  return ((await res.json()) as { accepted: { rootStatus: string }[] }).accepted[0]!.rootStatus;
}

describe("consequences: storage roots, slashing, fault fees, correlation, disputes", () => {
  it("confirms a curator's root once nodes on two distinct subnets report the same root", async () => {
    expect((await uploadTorrent(t)).status).toBe(201);
    const [a, b, c] = [await registerAt("198.51.100.7"), await registerAt("198.51.100.8"), await registerAt("203.0.113.9")];
    // Only proven, bonded hosts move a root's status (worker/torrents/roots.ts).
    await proveHosts([a, b, c].map((n) => n.address), t.infoHash);
    expect(await reportRoot(a, t.storageRoot, 1n)).toBe("published");
    // A second node of the same /24 is not independent.
    expect(await reportRoot(b, t.storageRoot, 1n)).toBe("published");
    expect(await reportRoot(c, t.storageRoot, 1n)).toBe("confirmed");
    expect(await (await call(`/api/torrents/${t.infoHash}`)).json()).toMatchObject({ rootStatus: "confirmed", version: "v1" });
  });

  it("slashes a failed answer against the confirmed root as fraud; nodes of one subnet failing together pay a multiplier", async () => {
    await insert([
      madeTranscript(1, honest, t.infoHash, "pass", { host: "192.0.2.1" }),
      madeTranscript(1, fraud, t.infoHash, "fail", { host: "192.0.2.50", ...SIGNED }),
      ...sybils.map((s, i) => madeTranscript(1, s, t.infoHash, "fail", { host: `10.9.9.${i + 1}`, ...SIGNED })),
      madeTranscript(1, missing, t.infoHash, "timeout", { host: "172.16.0.1" }),
    ]);
    const closed = await close();
    const s = await slashedOf(1);
    const leaf = (a: string) => s.leaves.find((l) => l.account === a)?.cumulative;
    expect(leaf(fraud)).toBe(FRAUD_SLASH.toString());
    // Three faulty nodes in 10.9.9.0/24: × (1 + 0.5 × 2).
    for (const x of sybils) expect(leaf(x)).toBe((2n * FRAUD_SLASH).toString());
    expect(s.penalties.find((p) => p.node === sybils[0])).toMatchObject({ frauds: 1, correlationBps: "20000" });
    // A first missed epoch costs the reward only; the honest node is not touched.
    expect(leaf(missing)).toBeUndefined();
    expect(leaf(honest)).toBeUndefined();
    expect(s.faults).toContainEqual({ node: missing, streak: 1 });

    const root = buildRewardTree(1, s.leaves.map((l) => ({ account: l.account, cumulative: BigInt(l.cumulative) }))).root;
    expect(closed.slashedRoot).toBe(root);
    expect(s.slashedRoot).toBe(root);
    expect(closed.totalSlashed).toBe((FRAUD_SLASH + 6n * FRAUD_SLASH).toString());
    const p = (await (await call(`/api/epochs/1/slashed/proof/${fraud}`)).json()) as { cumulative: string; proof: Hex[] };
    expect(verifyRewardProof(root, rewardLeafHash(1, fraudster.address, BigInt(p.cumulative)), p.proof)).toBe(true);
  });

  it("grows the fault fee of a replica that misses epoch after epoch, sized by its expected reward, up to the cap, cumulatively", async () => {
    // Per replica since issue 11: the fee is a multiple of what the missing replica would have
    // earned that epoch (its weight beside the torrent's counted replicas), not an absolute amount.
    const cumulative: bigint[] = [];
    const fees: bigint[] = [];
    for (let epoch = 2; epoch <= 7; epoch++) {
      await insert([madeTranscript(epoch, honest, t.infoHash, "pass", { host: "192.0.2.1" }), madeTranscript(epoch, missing, t.infoHash, "timeout", { host: "172.16.0.1" })]);
      expect((await close()).epoch).toBe(epoch);
      const s = await slashedOf(epoch);
      cumulative.push(BigInt(s.leaves.find((l) => l.account === missing)?.cumulative ?? "0"));
      // The node's streak counts fresh misses (a replica failing again is not fresh): 1, then 0.
      expect(s.faults.find((f) => f.node === missing)).toBeUndefined();
      const replica = s.penalties.find((p) => p.node === missing)!.replicas[0]!;
      expect(replica).toMatchObject({ infoHash: t.infoHash, streak: epoch });
      // Streaks 2..7 pay 2, 4, 8, 16, 24, 24 (capped) epochs of the replica's expected reward.
      const multiple = [2n, 4n, 8n, 16n, 24n, 24n][epoch - 2]!;
      expect(BigInt(replica.expected)).toBeGreaterThan(0n);
      expect(BigInt(replica.expected)).toBeLessThan(EMISSION_PER_EPOCH);
      expect(BigInt(replica.fee)).toBe(multiple * BigInt(replica.expected));
      fees.push(BigInt(replica.fee));
    }
    expect(cumulative).toEqual(fees.map((_, i) => fees.slice(0, i + 1).reduce((a, b) => a + b, 0n)));
    // The inputs carry the previous epoch's fault state (node and replica streaks, audits), so the evaluation can be re-run.
    const inputs = (await (await call("/api/epochs/7/inputs")).json()) as {
      previousFaults: { node: string; streak: number }[];
      previousReplicaFaults: { node: string; infoHash: string; streak: number }[];
      previousVetting: { node: string; audits: number }[];
    };
    expect(inputs.previousReplicaFaults).toContainEqual({ node: missing, infoHash: t.infoHash, streak: 6 });
    expect(inputs.previousVetting.find((v) => v.node === honest)?.audits).toBeGreaterThanOrEqual(6);
    expect(inputs.previousVetting.find((v) => v.node === missing)).toBeUndefined();
  });

  it("records a node's signed dispute of its transcript within the window, once", async () => {
    const transcriptId = (await db(env.DB).select({ id: schema.challenges.id }).from(schema.challenges).where(eq(schema.challenges.node, fraud)).get())!.id as Hex;
    const dispute = (nonce: bigint, id: Hex = transcriptId) =>
      signed(fraudster, "Dispute", { node: fraudster.address, epoch: 1n, transcriptId: id, reason: "my answer verifies: see block hashes", nonce, expiry: nowSeconds() + 600n });
    const res = await call("/api/disputes", await dispute(1n));
    expect(res.status).toBe(201);
    expect((await call("/api/disputes", await dispute(1n))).status).toBe(409); // replayed nonce
    expect((await call("/api/disputes", await dispute(2n, `0x${"11".repeat(32)}`))).status).toBe(404);
    const listed = (await (await call("/api/epochs/1/disputes")).json()) as { windowEndsAt: number; disputes: { node: string; transcriptId: string; reason: string }[] };
    expect(listed.disputes).toEqual([expect.objectContaining({ node: fraud, transcriptId, reason: "my answer verifies: see block hashes" })]);
    expect(listed.windowEndsAt).toBeGreaterThan(Date.now());
    // After the window, the edge no longer records disputes of the epoch.
    await db(env.DB).update(schema.epochs).set({ closedAt: Date.now() - 7 * 24 * 3_600_000 }).where(eq(schema.epochs.epoch, 1));
    const late = await call("/api/disputes", await dispute(3n));
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ error: { code: "dispute_window_closed" } });
  });

  it("charges a fail without the node's signature as a miss, and `vidya verify`'s check names a fraud whose signature is not the node's (attack: edge brands an honest node a fraud without its signature)", async () => {
    const victim = privateKeyToAccount(generatePrivateKey()).address.toLowerCase();
    const framed = privateKeyToAccount(generatePrivateKey()).address.toLowerCase();
    const bare = madeTranscript(8, victim, t.infoHash, "fail", { host: "198.18.1.1" });
    const forged = madeTranscript(8, framed, t.infoHash, "fail", { host: "198.18.2.1", ...SIGNED });
    await insert([madeTranscript(8, honest, t.infoHash, "pass", { host: "192.0.2.1" }), bare, forged]);
    expect((await close()).epoch).toBe(8);
    const s = await slashedOf(8);
    // The root is confirmed, yet the unsigned fail is the edge's word alone: a miss, no fraud slash.
    expect(s.penalties.find((p) => p.node === victim)).toMatchObject({ missed: 1, frauds: 0, slashed: "0" });
    expect(s.leaves.find((l) => l.account === victim)).toBeUndefined();
    // A signature the close takes at its word is re-checked from the published inputs: not the node's, named.
    expect(s.penalties.find((p) => p.node === framed)).toMatchObject({ frauds: 1 });
    const published = (await (await call("/api/epochs/8/inputs")).json()) as { challenges: Transcript[] };
    expect(published.challenges.find((c) => c.node === victim)).toMatchObject({ verdict: "fail", nodeSignature: null });
    const check = await checkInputs({ epoch: 8, challenges: published.challenges }, 31337);
    expect(check.unprovenFrauds).toEqual([forged.id]);
    expect(inputsCheckPassed(check)).toBe(false);
  });
});
