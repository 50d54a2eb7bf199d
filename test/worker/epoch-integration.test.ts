import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Address, Hex } from "viem";
import { inputsHash } from "../../protocol/epoch/inputs.ts";
import { buildRewardTree, rewardLeafHash, verifyRewardProof } from "../../protocol/merkle/reward-tree.ts";
import { EMISSION_PER_EPOCH } from "../../protocol/params.ts";
import { db, schema } from "../../worker/db/client.ts";
import { transcriptRow, type Transcript } from "../../worker/challenge/round.ts";
import { fixture } from "./support/fixture.ts";
import { madeTranscript } from "./support/transcripts.ts";
import { admin, call, uploadTorrent } from "./support/worker.ts";

const nodeA = "0x00000000000000000000000000000000000000aa";
const nodeB = "0x00000000000000000000000000000000000000bb";
const t1 = fixture(60_000, 51, "e1.bin");
const t2 = fixture(90_000, 52, "e2.bin");

function transcript(epoch: number, node: string, infoHash: string, verdict: Transcript["verdict"]): Transcript {
  return madeTranscript(epoch, node, infoHash, verdict);
}

async function insert(ts: Transcript[]) {
  const d = db(env.DB);
  for (const t of ts) await d.insert(schema.challenges).values(transcriptRow(t));
}

async function closeNow() {
  const res = await admin("/admin/epochs/close");
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("epoch close (no chain configured)", () => {
  it("refuses to close while nobody has earned anything", async () => {
    const { status, body } = await closeNow();
    expect(status).toBe(409);
    expect(body).toMatchObject({ error: { code: "nothing_earned" } });
    expect(await (await call("/api/epochs")).json()).toEqual([]);
  });

  it("gives the whole emission (the hosting pool and the upload pool nobody earned) to the node whose challenges all passed, nothing to the failing one", async () => {
    await uploadTorrent(t1);
    await uploadTorrent(t2);
    await insert([
      transcript(1, nodeA, t1.infoHash, "pass"),
      transcript(1, nodeA, t1.infoHash, "pass"),
      transcript(1, nodeB, t2.infoHash, "pass"),
      transcript(1, nodeB, t2.infoHash, "fail"),
    ]);
    const { status, body } = await closeNow();
    expect(status).toBe(200);
    expect(body).toMatchObject({ epoch: 1, txHash: null, leafCount: 1, totalEarned: EMISSION_PER_EPOCH.toString() });

    const leaves = (await (await call("/api/epochs/1/leaves")).json()) as { root: Hex; leaves: { account: Address; cumulative: string }[] };
    expect(leaves.leaves).toEqual([{ account: nodeA, cumulative: EMISSION_PER_EPOCH.toString() }]);
    const rebuilt = buildRewardTree(1, leaves.leaves.map((l) => ({ account: l.account, cumulative: BigInt(l.cumulative) })));
    expect(rebuilt.root).toBe(body.root);
    expect(leaves.root).toBe(body.root);

    const inputs = (await (await call("/api/epochs/1/inputs")).json()) as {
      inputsHash: Hex;
      challenges: unknown[];
      torrents: { infoHash: string; length: number }[];
      hosting: { node: string; provenBytes: string }[];
    };
    expect(inputs.hosting).toEqual([
      { node: nodeA, provenBytes: "60000" },
      { node: nodeB, provenBytes: "0" },
    ]);
    expect(inputs.challenges).toHaveLength(4);
    expect(inputs.torrents.map((t) => t.length).sort()).toEqual([t1.data.length, t2.data.length].sort());
    const { inputsHash: published, ...hashed } = inputs;
    expect(inputsHash(hashed)).toBe(body.inputsHash);
    expect(inputs.inputsHash).toBe(body.inputsHash);
  });

  it("serves a proof that verifies against the posted root", async () => {
    const { root } = (await (await call("/api/epochs/1")).json()) as { root: Hex };
    const p = (await (await call(`/api/epochs/1/proof/${nodeA}`)).json()) as { cumulative: string; proof: Hex[]; account: Address };
    expect(p.cumulative).toBe(EMISSION_PER_EPOCH.toString());
    expect(verifyRewardProof(root, rewardLeafHash(1, p.account, BigInt(p.cumulative)), p.proof)).toBe(true);
    expect((await call(`/api/epochs/1/proof/${nodeB}`)).status).toBe(404);
    expect((await call("/api/epochs/9")).status).toBe(404);
  });

  it("carries cumulative totals into the next epoch and splits by proven bytes", async () => {
    await insert([transcript(2, nodeA, t1.infoHash, "timeout"), transcript(2, nodeB, t2.infoHash, "pass")]);
    const { status, body } = await closeNow();
    expect(status).toBe(200);
    expect(body).toMatchObject({ epoch: 2, leafCount: 2, totalEarned: (2n * EMISSION_PER_EPOCH).toString() });
    const leaves = (await (await call("/api/epochs/2/leaves")).json()) as { leaves: { account: string; cumulative: string }[] };
    expect(leaves.leaves).toEqual([
      { account: nodeA, cumulative: EMISSION_PER_EPOCH.toString() },
      { account: nodeB, cumulative: EMISSION_PER_EPOCH.toString() },
    ]);
    const list = (await (await call("/api/epochs")).json()) as { epoch: number }[];
    expect(list.map((e) => e.epoch)).toEqual([1, 2]);
  });
});
