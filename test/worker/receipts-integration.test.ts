// Upload receipts at the edge (issue 11 part 3; worker/receipts/routes.ts): POST /api/receipts
// takes a downloader's signed cumulative bytes from either side, keeps the highest per
// (epoch, downloader, uploader, torrent, session), and the close publishes them with the inputs.
// That a close pays the receipted node is pinned on a real chain (paid bytes need a deposit):
// economics-chain-integration.test.ts.

import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { receiptToJson, signReceipt, type UploadReceipt } from "../../protocol/reports/eip712.ts";
import { unsignedReceipts, type PublishedReceipt } from "../../protocol/economics/receipts.ts";
import { checkInputs, inputsCheckPassed, type PublishedInputs } from "../../protocol/epoch/check.ts";
import { db, schema } from "../../worker/db/client.ts";
import { transcriptRow } from "../../worker/challenge/round.ts";
import { closeEpoch } from "../../worker/epoch/close.ts";
import type { Env } from "../../worker/env.ts";
import { fixture } from "./support/fixture.ts";
import { madeTranscript } from "./support/transcripts.ts";
import { addMember, CHAIN_ID, call, nowSeconds, registerHosting, signed, uploadTorrent } from "./support/worker.ts";

const downloader = privateKeyToAccount(generatePrivateKey());
const stranger = privateKeyToAccount(generatePrivateKey());
const f = fixture(40_000, 9101, "receipted.bin");
const session = `0x${"5e".repeat(32)}` as Hex;
let node: string;

async function submit(r: Partial<UploadReceipt>, signer = downloader): Promise<Response> {
  const receipt: UploadReceipt = { infoHash: `0x${f.infoHash}`, uploader: node as Hex, downloader: downloader.address, cumulative: 1_000n, session, epoch: 1n, ...r };
  const signature = await signReceipt(signer, CHAIN_ID, receipt);
  return call("/api/receipts", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ message: receiptToJson(receipt), signature }) });
}
const stored = () => db(env.DB).select().from(schema.receipts).all();

describe("POST /api/receipts", () => {
  beforeAll(async () => {
    expect((await uploadTorrent(f)).status).toBe(201);
    await addMember(downloader.address);
    node = await registerHosting(7101, f.infoHash);
  });

  it("keeps a member's signed receipt for a registered node in the open epoch", async () => {
    const res = await submit({ cumulative: 5_000n });
    expect(res.status).toBe(201);
    expect(await stored()).toEqual([expect.objectContaining({ epoch: 1, downloader: downloader.address.toLowerCase(), uploader: node, infoHash: f.infoHash, session, cumulative: 5_000, base: 0 })]);
  });

  it("refuses a receipt not signed by its downloader with 400 (attack: forged receipt)", async () => {
    const res = await submit({ cumulative: 9_000n }, stranger);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("bad_signature");
    expect((await stored())[0]!.cumulative).toBe(5_000);
  });

  it("refuses a receipt by a downloader who is not a member with 403 (attack: receipts from free identities)", async () => {
    const res = await submit({ downloader: stranger.address, cumulative: 9_000n }, stranger);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_a_member");
  });

  it("keeps the receipt of a node fetching the torrent to host it, refuses one by a node that neither fetches nor hosts it (attack: a free node key filling the inputs)", async () => {
    const fetcher = privateKeyToAccount(generatePrivateKey());
    const idle = privateKeyToAccount(generatePrivateKey());
    for (const [k, port] of [[fetcher, 7201], [idle, 7202]] as const) {
      expect((await call("/api/nodes/register", await signed(k, "NodeRegistration", { node: k.address, port, nonce: 1n, expiry: nowSeconds() + 600n }))).status).toBe(200);
    }
    const fetching = await call("/api/nodes/fetching", await signed(fetcher, "FetchSubset", { node: fetcher.address, infoHashes: [`0x${f.infoHash}`], nonce: 2n, expiry: nowSeconds() + 600n }));
    expect(((await fetching.json()) as { fetching: string[] }).fetching).toEqual([f.infoHash]);
    const fetched = await submit({ downloader: fetcher.address, cumulative: 40_000n }, fetcher);
    expect(fetched.status).toBe(201);
    expect((await stored()).find((r) => r.downloader === fetcher.address.toLowerCase())).toMatchObject({ uploader: node, cumulative: 40_000 });
    const refused = await submit({ downloader: idle.address, cumulative: 40_000n }, idle);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("not_a_member");
    expect((await stored()).some((r) => r.downloader === idle.address.toLowerCase())).toBe(false);
  });

  it("refuses a receipt naming an uploader that is not a registered node with 403", async () => {
    const res = await submit({ uploader: stranger.address, cumulative: 9_000n });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_a_node");
  });

  it("ignores a cumulative that does not grow, keeps the highest (attack: replaying an older receipt)", async () => {
    const lower = await submit({ cumulative: 2_000n });
    expect(lower.status).toBe(200);
    expect(((await lower.json()) as { receipt: { accepted: boolean; cumulative: string } }).receipt).toMatchObject({ accepted: false, cumulative: "5000" });
    expect((await stored())[0]!.cumulative).toBe(5_000);
    expect((await submit({ cumulative: 7_000n })).status).toBe(201);
    expect((await stored())[0]!.cumulative).toBe(7_000);
  });

  it("refuses a receipt for another epoch with 409, and malformed ones with 400", async () => {
    expect((await submit({ epoch: 2n })).status).toBe(409);
    const bad = await call("/api/receipts", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ message: { infoHash: "zz" }, signature: "0x00" }) });
    expect(bad.status).toBe(400);
  });

  it("publishes the epoch's receipts with its inputs, each verifiable, and credits a session across a close only once", async () => {
    await db(env.DB).insert(schema.challenges).values(transcriptRow(madeTranscript(1, node, f.infoHash, "pass")));
    const closed = await closeEpoch(env as unknown as Env);
    expect(closed.epoch).toBe(1);
    const inputs = (await (await call("/api/epochs/1/inputs")).json()) as { receipts: PublishedReceipt[] };
    // The member's receipt and the fetching node's (an earlier test), both verifiable.
    expect(inputs.receipts).toHaveLength(2);
    const mine = inputs.receipts.find((r) => r.downloader === downloader.address.toLowerCase());
    expect(mine).toEqual(expect.objectContaining({ uploader: node, cumulative: "7000", base: "0", session }));
    expect(await unsignedReceipts(inputs.receipts, CHAIN_ID, 1)).toEqual([]);
    // A tampered one is caught, by `vidya verify`'s check of the inputs too (protocol/epoch/check.ts;
    // the hand-made transcripts here have no tree to re-derive, so only the receipts are checked).
    expect(await unsignedReceipts([{ ...mine!, cumulative: "70000" }], CHAIN_ID, 1)).toHaveLength(1);
    const tampered = await checkInputs({ ...(inputs as unknown as PublishedInputs), epoch: 1, challenges: [], receipts: [{ ...mine!, uploader: stranger.address.toLowerCase() }] }, CHAIN_ID);
    expect(tampered.unsignedReceipts).toHaveLength(1);
    expect(inputsCheckPassed(tampered)).toBe(false);
    expect((await checkInputs({ ...(inputs as unknown as PublishedInputs), epoch: 1, challenges: [] }, CHAIN_ID)).unsignedReceipts).toEqual([]);
    // The same session goes on in epoch 2: only the bytes beyond epoch 1's cumulative count there.
    expect((await submit({ epoch: 2n, cumulative: 9_000n })).status).toBe(201);
    expect((await stored()).find((r) => r.epoch === 2 && r.downloader === downloader.address.toLowerCase())).toMatchObject({ cumulative: 9_000, base: 7_000 });
  });

  it("refuses receipts for an epoch whose close has started with 409 epoch_closing, and keeps them again once it is lifted (attack: a receipt moving what a close spanning ticks settles and publishes)", async () => {
    await db(env.DB).insert(schema.epochCloseFreeze).values({ epoch: 2, challengeCutoff: 0, challenges: 0, frozenAt: Date.now() });
    const before = await stored();
    const res = await submit({ epoch: 2n, cumulative: 10_000n });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("epoch_closing");
    expect(await stored()).toEqual(before);
    await db(env.DB).delete(schema.epochCloseFreeze);
    expect((await submit({ epoch: 2n, cumulative: 10_000n })).status).toBe(201);
    expect((await stored()).map((r) => r.cumulative)).toContain(10_000);
  });
});
