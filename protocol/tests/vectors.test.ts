// The shared vectors (protocol/vectors, written by scripts/gen-vectors.ts) recomputed here;
// contracts/test reads the same files, so TypeScript and Solidity agree on every format.
import { describe, expect, it } from "vitest";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { keccak256, toHex as viemHex, type Address, type Hex } from "viem";
import { encode } from "../bencode.ts";
import { fromHex, toHex } from "../hex.ts";
import { buildRewardTree, rewardLeafHash, verifyRewardProof } from "../merkle/reward-tree.ts";
import { StorageTreeBuilder, storageProof, verifyBlockProof, blockLength } from "../merkle/storage-tree.ts";
import { receiptFromJson, reportFromJson, verifyReceipt, verifyReport, type ReportType } from "../reports/eip712.ts";
import * as params from "../params.ts";
import rewardVectors from "../vectors/reward-tree.json" with { type: "json" };
import storageVectors from "../vectors/storage-tree.json" with { type: "json" };
import bencodeVectors from "../vectors/bencode.json" with { type: "json" };
import eipVectors from "../vectors/eip712.json" with { type: "json" };
import paramVectors from "../vectors/params.json" with { type: "json" };

function detBytes(label: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0, o = 0; o < length; i++) {
    const h = fromHex(keccak256(viemHex(`${label}:${i}`)));
    out.set(h.subarray(0, Math.min(32, length - o)), o);
    o += 32;
  }
  return out;
}

describe("reward tree vectors", () => {
  for (const c of rewardVectors.cases) {
    it(`epoch ${c.epoch}: ${c.leaves.length} leaves give the committed root and proofs`, () => {
      const leaves = c.leaves.map((l) => ({ account: l.account as Address, cumulative: BigInt(l.cumulative) }));
      const tree = buildRewardTree(c.epoch, leaves);
      expect(tree.root).toBe(c.root);
      for (const l of c.leaves) {
        expect(rewardLeafHash(c.epoch, l.account as Address, BigInt(l.cumulative))).toBe(l.leafHash);
        expect(tree.proof(l.account as Address)).toEqual(l.proof);
        expect(verifyRewardProof(c.root as Hex, l.leafHash as Hex, l.proof as Hex[])).toBe(true);
      }
    });

    it(`epoch ${c.epoch}: OpenZeppelin's StandardMerkleTree builds the same root`, () => {
      const oz = StandardMerkleTree.of(
        c.leaves.map((l) => [String(c.epoch), l.account, l.cumulative]),
        ["uint64", "address", "uint256"],
      );
      expect(oz.root).toBe(c.root);
    });
  }

  it("rejects a proof for another amount or another epoch", () => {
    const c = rewardVectors.cases[3]!;
    const l = c.leaves[0]!;
    const forgedAmount = rewardLeafHash(c.epoch, l.account as Address, BigInt(l.cumulative) + 1n);
    const otherEpoch = rewardLeafHash(c.epoch + 1, l.account as Address, BigInt(l.cumulative));
    expect(verifyRewardProof(c.root as Hex, forgedAmount, l.proof as Hex[])).toBe(false);
    expect(verifyRewardProof(c.root as Hex, otherEpoch, l.proof as Hex[])).toBe(false);
  });
});

describe("storage tree vectors", () => {
  for (const c of storageVectors.cases) {
    it(`a ${c.length}-byte payload has the committed root, and its paths verify`, () => {
      const payload = detBytes(c.payloadLabel, c.length);
      // Feed in odd chunk sizes: the streaming builder must not depend on chunking.
      const b = new StorageTreeBuilder();
      for (let o = 0; o < payload.length; o += 7_777) b.update(payload.subarray(o, o + 7_777));
      const tree = b.finish();
      expect(toHex(tree.root)).toBe(c.root);
      expect(toHex(tree.levels[0]!.subarray(0, 32))).toBe(c.firstLeaf);
      for (const p of c.proofs) {
        expect(storageProof(tree, p.block).map(toHex)).toEqual(p.path);
        const start = p.block * params.BLOCK_SIZE;
        const block = payload.subarray(start, start + blockLength(c.length, p.block));
        expect(verifyBlockProof(tree.root, c.length, p.block, block, p.path.map(fromHex))).toBe(true);
      }
    });
  }
});

describe("bencode vectors", () => {
  it("encodes the canonical forms", () => {
    const got = [
      toHex(encode(-42)),
      toHex(encode(2n ** 70n)),
      toHex(encode(Uint8Array.from({ length: 256 }, (_, i) => i))),
      toHex(encode({ zeta: 1, alpha: [1, "two", { b: 2, a: 1 }], "": "" })),
      toHex(encode({ interval: 1800, peers: new Uint8Array(0) })),
    ];
    expect(got).toEqual(bencodeVectors.cases.map((c) => c.hex));
    expect(Buffer.from(bencodeVectors.cases[4]!.hex, "hex").toString()).toBe("d8:intervali1800e5:peers0:e");
  });
});

describe("EIP-712 report vectors", () => {
  for (const c of eipVectors.receipts) {
    it(`${c.type} signed by the downloader verifies, and a changed field, epoch or chain does not (attack: forged or inflated receipt)`, async () => {
      const r = receiptFromJson(c.message);
      expect(r.downloader.toLowerCase()).toBe(c.signer.toLowerCase());
      expect(await verifyReceipt(c.chainId, r, c.signature as Hex)).toBe(true);
      expect(await verifyReceipt(c.chainId + 1, r, c.signature as Hex)).toBe(false);
      expect(await verifyReceipt(c.chainId, { ...r, cumulative: r.cumulative + 1n }, c.signature as Hex)).toBe(false);
      expect(await verifyReceipt(c.chainId, { ...r, epoch: r.epoch + 1n }, c.signature as Hex)).toBe(false);
      // Signed by the uploader instead of the downloader: not a receipt.
      expect(await verifyReceipt(c.chainId, { ...r, downloader: r.uploader }, c.signature as Hex)).toBe(false);
    });
  }
  for (const c of eipVectors.cases) {
    it(`${c.type} signed by the vector key verifies, and a changed field does not`, async () => {
      const type = c.type as ReportType;
      const msg = reportFromJson(type, c.message);
      const now = 1_800_000_000n;
      await expect(verifyReport(c.chainId, type, msg, c.signature as Hex, now)).rejects.toThrow(/too far/);
      // Within the lifetime window the signature verifies and recovers the signer.
      const soon = msg.expiry - 60n;
      expect((await verifyReport(c.chainId, type, msg, c.signature as Hex, soon)).toLowerCase()).toBe(c.signer.toLowerCase());
      await expect(verifyReport(c.chainId + 1, type, msg, c.signature as Hex, soon)).rejects.toThrow(/signature/);
      await expect(verifyReport(c.chainId, type, { ...msg, nonce: msg.nonce + 1n }, c.signature as Hex, soon)).rejects.toThrow(/signature/);
      await expect(verifyReport(c.chainId, type, msg, c.signature as Hex, msg.expiry)).rejects.toThrow(/expired/);
    });
  }
});

describe("params vectors", () => {
  it("params.json matches protocol/params.ts", () => {
    expect(BigInt(paramVectors.EMISSION_PER_EPOCH)).toBe(params.EMISSION_PER_EPOCH);
    expect(BigInt(paramVectors.HOSTING_POOL)).toBe(params.HOSTING_POOL);
    expect(BigInt(paramVectors.ACCESS_STAKE)).toBe(params.ACCESS_STAKE);
    expect(BigInt(paramVectors.GENESIS_SUPPLY)).toBe(params.GENESIS_SUPPLY);
    expect(paramVectors.BLOCK_SIZE).toBe(params.BLOCK_SIZE);
    expect(paramVectors.EPOCH_SECONDS).toBe(params.EPOCH_SECONDS);
    expect(paramVectors.DISPUTE_DELAY_SECONDS).toBe(params.DISPUTE_DELAY_SECONDS);
    // Escrow's withdrawal delay outlasts an epoch and its dispute window (issue #11).
    expect(paramVectors.ESCROW_WITHDRAWAL_DELAY_SECONDS).toBeGreaterThan(paramVectors.EPOCH_SECONDS + paramVectors.DISPUTE_DELAY_SECONDS);
  });
});
