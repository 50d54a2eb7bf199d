// Upload receipts on the wire (node/seed/receipts.ts) with real webtorrent: a node names its
// address in its BEP 10 extended handshake, the downloader signs the cumulative bytes it received
// from that node, and the signature verifies as the downloader's.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { receiptFromJson, verifyReceipt } from "../../protocol/reports/eip712.ts";
import { makeFixture } from "../testing/fixtures.ts";
import { createClient, destroyClient, downloadTorrent, seedTorrent } from "./client.ts";
import { nodeAddressOf, ReceiptSigner, type WireReceipt } from "./receipts.ts";

const CHAIN = 31337;
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("upload receipts over webtorrent", () => {
  it("reads a node address only from 20 bytes under vidya_node (a peer naming nothing is not receipted)", () => {
    expect(nodeAddressOf({ vidya_node: new Uint8Array(20).fill(0xab) })).toBe(`0x${"ab".repeat(20)}`);
    expect(nodeAddressOf({ vidya_node: new Uint8Array(19) })).toBeUndefined();
    expect(nodeAddressOf({ vidya_node: "0xabc" })).toBeUndefined();
    expect(nodeAddressOf(undefined)).toBeUndefined();
  });

  it("signs, for the node that sent the bytes, the cumulative bytes received, verifiable as the downloader's, and hands it to the node over vidya_receipt", async () => {
    const seedDir = await mkdtemp(join(tmpdir(), "vidya-rc-seed-"));
    const getDir = await mkdtemp(join(tmpdir(), "vidya-rc-get-"));
    dirs.push(seedDir, getDir);
    const f = await makeFixture(seedDir, "receipted", [{ path: "a.bin", length: 300_000 }]);
    const node = privateKeyToAccount(generatePrivateKey());
    const member = privateKeyToAccount(generatePrivateKey());
    const seeder = await createClient({ port: 0 });
    const leecher = await createClient({ port: 0 });
    const submitted: { message: Record<string, string>; signature: Hex }[] = [];
    const handed: WireReceipt[] = [];
    try {
      await seedTorrent(seeder, f.torrentFile, { path: seedDir, lookup: () => undefined, nodeAddress: node.address, onReceipt: (r) => handed.push(r) });
      const signer = new ReceiptSigner(f.meta.infoHash, member, { chainId: CHAIN, openEpoch: async () => 3, submit: async (message, signature) => void submitted.push({ message, signature }) });
      const torrent = await downloadTorrent(leecher, f.torrentFile, {
        path: getDir,
        onTorrent: (t) => {
          signer.attach(t);
          t.on("ready", () => t.addPeer(`127.0.0.1:${seeder.torrentPort}`));
          if (t.ready) t.addPeer(`127.0.0.1:${seeder.torrentPort}`);
        },
      });
      expect(torrent.done).toBe(true);
      expect(await signer.flush(true)).toBe(1);
      // The handed receipt travels over the wire: give it a moment.
      for (let i = 0; i < 50 && handed.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      // Nothing grew since: nothing more to sign.
      expect(await signer.flush(true)).toBe(0);
    } finally {
      await destroyClient(leecher);
      await destroyClient(seeder);
    }
    expect(submitted).toHaveLength(1);
    const r = receiptFromJson(submitted[0]!.message);
    expect(r).toMatchObject({ uploader: node.address.toLowerCase(), downloader: member.address.toLowerCase(), epoch: 3n, infoHash: `0x${f.meta.infoHash}` });
    // Every payload byte came from the one node (piece data only; re-requests could add a little).
    expect(r.cumulative).toBeGreaterThanOrEqual(300_000n);
    expect(r.cumulative).toBeLessThan(400_000n);
    expect(await verifyReceipt(CHAIN, r, submitted[0]!.signature)).toBe(true);
    // The node was handed the same signed receipt over vidya_receipt, so it can submit it too.
    expect(handed).toEqual([submitted[0]]);
  });
});
