// Fraud evidence (protocol/challenge/fraud.ts) against the vectors the Solidity tests check
// (protocol/vectors/fraud.json, contracts/test/FraudEvidence.t.sol): the off-chain check that
// `vidya slash` runs before spending gas agrees with the contract's.

import { describe, expect, it } from "vitest";
import vectors from "../vectors/fraud.json" with { type: "json" };
import { checkFraudEvidence, parseFraudEvidence, rootOfPath, type FraudEvidence } from "../challenge/fraud.ts";
import { fromHex } from "../hex.ts";
import { sha256 } from "@noble/hashes/sha2.js";

const evidence = (i: number): FraudEvidence => parseFraudEvidence(structuredClone(vectors.cases[i]!.evidence));

describe("fraud evidence", () => {
  it("accepts a signed wrong block hash with the true block and its path", async () => {
    expect(await checkFraudEvidence(evidence(1))).toBeNull();
    expect(await checkFraudEvidence(evidence(2))).toBeNull();
  });

  it("finds no fraud in an honest answer (attack: slashing an honest node)", async () => {
    expect(await checkFraudEvidence(evidence(0))).toMatch(/no fraud/);
  });

  it("refuses an answer pinned on another node or altered (attack: forged evidence)", async () => {
    const e = evidence(1);
    e.answer.node = "0x000000000000000000000000000000000000dead";
    expect(await checkFraudEvidence(e)).toMatch(/not signed by node/);
    const f = evidence(0);
    f.answer.blockHashes[0] = `0x${"11".repeat(32)}`;
    expect(await checkFraudEvidence(f)).toMatch(/not signed by node/);
  });

  it("refuses another block, a wrong path and an inner node passed off as a block (attack: depth confusion)", async () => {
    const e = evidence(1);
    e.block = `0x${"00".repeat(16384)}`;
    expect(await checkFraudEvidence(e)).toMatch(/not block 3/);
    const leaves = vectors.leaves.map((l) => fromHex(l.slice(2)));
    // Leaves 0 and 1 concatenated hash to their parent: with the path above it, it reaches the root.
    const inner = new Uint8Array([...leaves[0]!, ...leaves[1]!]);
    const e0 = evidence(0);
    const path = e0.path; // block 3's path: [leaf 2, parent(0,1), parent(4..7)]
    const attack = { ...e0, position: 2, block: `0x${Buffer.from(inner).toString("hex")}` as const, path: [`0x${Buffer.from(sha256(new Uint8Array([...leaves[2]!, ...leaves[3]!]))).toString("hex")}`, path[2]!] as `0x${string}`[] };
    // The attack's path is real: without the length rule it would "prove" block 0 wrong.
    expect(Buffer.from(rootOfPath(sha256(inner), 0, attack.path.map((p) => fromHex(p.slice(2))))!).toString("hex")).toBe(vectors.root.slice(2));
    expect(await checkFraudEvidence(attack)).toMatch(/64 bytes cannot be evidence/);
  });

  it("names the bad field of a malformed file", () => {
    expect(() => parseFraudEvidence({ kind: "other" })).toThrow(/kind/);
    expect(() => parseFraudEvidence({ ...vectors.cases[1]!.evidence, signature: "0x12" })).toThrow(/signature/);
  });
});
