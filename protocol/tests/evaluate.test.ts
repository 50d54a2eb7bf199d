import { describe, expect, it } from "vitest";
import type { Address } from "viem";
import { classify, correlationBps, evaluateEpoch, provenBytes } from "../epoch/evaluate.ts";
import { CORRELATION_CAP_BPS, FAULT_FEE_BASE, FAULT_FEE_CAP, FRAUD_SLASH, HOSTING_POOL } from "../params.ts";
import { subnetOf } from "../net/subnet.ts";

const A = "0x00000000000000000000000000000000000000aa";
const B = "0x00000000000000000000000000000000000000bb";
const torrents = [
  { infoHash: "11".repeat(20), length: 1_000 },
  { infoHash: "22".repeat(20), length: 3_000 },
];
const pass = (node: string, i: number) => ({ node, infoHash: torrents[i]!.infoHash, verdict: "pass" });
const fail = (node: string, i: number) => ({ node, infoHash: torrents[i]!.infoHash, verdict: "timeout" });

describe("epoch evaluation", () => {
  it("counts a torrent only when every challenge of the epoch passed", () => {
    const h = provenBytes([pass(A, 0), pass(A, 1), fail(A, 1), pass(B, 1)], torrents);
    expect(h).toEqual([
      { node: A, provenBytes: 1_000n },
      { node: B, provenBytes: 3_000n },
    ]);
  });

  it("gives a node that failed everything zero and no leaf", () => {
    const e = evaluateEpoch([pass(A, 0), fail(B, 0), fail(B, 1)], torrents, []);
    expect(e.earned.get(B)).toBe(0n);
    expect(e.earned.get(A)).toBe(HOSTING_POOL);
    expect(e.leaves).toEqual([{ account: A, cumulative: HOSTING_POOL }]);
  });

  it("carries earlier cumulative amounts forward, even for accounts not challenged this epoch", () => {
    const e = evaluateEpoch([pass(A, 0)], torrents, [{ account: B as Address, cumulative: 5n }, { account: A as Address, cumulative: 7n }]);
    expect(e.leaves).toEqual([
      { account: A, cumulative: 7n + HOSTING_POOL },
      { account: B, cumulative: 5n },
    ]);
  });

  it("proves no bytes for a torrent whose length is not published or not safe, and still counts the others (attack: one crafted upload stops every close)", () => {
    const bad = [...torrents, { infoHash: "44".repeat(20), length: 2 ** 53 + 2, rootStatus: "published" as const }];
    const out = provenBytes([{ node: A, infoHash: "33".repeat(20), verdict: "pass" }, { node: A, infoHash: "44".repeat(20), verdict: "pass" }, { node: A, infoHash: torrents[0]!.infoHash, verdict: "pass" }], bad);
    expect(out).toEqual([{ node: A.toLowerCase(), provenBytes: BigInt(torrents[0]!.length) }]);
  });
});

describe("epoch consequences", () => {
  const confirmed = [{ infoHash: "11".repeat(20), length: 1_000, rootStatus: "confirmed" as const }];
  const published = [{ infoHash: "11".repeat(20), length: 1_000, rootStatus: "published" as const }];
  // A pass or fail carries the node's signed answer (presence; `vidya verify` checks it) unless said otherwise.
  const SIG = `0x${"11".repeat(65)}`;
  const at = (node: string, verdict: string, host: string, nodeSignature: string | null = verdict === "fail" || verdict === "pass" ? SIG : null) => ({ node, infoHash: "11".repeat(20), verdict, host, nodeSignature });

  it("slashes a signed answer that fails against a confirmed root as fraud, and only counts it as a miss against an unconfirmed one", () => {
    const fraud = evaluateEpoch([at(A, "fail", "10.0.0.1")], confirmed, []);
    expect(fraud.penalties).toMatchObject([{ node: A, frauds: 1, missed: 0, fraudSlash: FRAUD_SLASH, slashed: FRAUD_SLASH }]);
    expect(fraud.slashedLeaves).toEqual([{ account: A, cumulative: FRAUD_SLASH }]);
    const miss = evaluateEpoch([at(A, "fail", "10.0.0.1")], published, []);
    expect(miss.penalties).toMatchObject([{ node: A, frauds: 0, missed: 1, slashed: 0n }]);
    expect(miss.slashedLeaves).toEqual([]);
  });

  it("counts a fail against a confirmed root without the node's signature as a miss, never fraud (attack: edge brands an honest node a fraud without its signature)", () => {
    for (const unsigned of [at(A, "fail", "10.0.0.1", null), { node: A, infoHash: "11".repeat(20), verdict: "fail", host: "10.0.0.1" }, at(A, "fail", "10.0.0.1", "")]) {
      const r = evaluateEpoch([unsigned], confirmed, []);
      expect(r.penalties).toMatchObject([{ node: A, frauds: 0, missed: 1, fraudSlash: 0n, slashed: 0n }]);
      expect(r.slashedLeaves).toEqual([]);
      expect(r.faults).toEqual([{ node: A, streak: 1 }]);
    }
  });

  it("classifies each challenge by verdict, the node's signature and the root's status", () => {
    const c = (verdict: string, nodeSignature?: string | null) => ({ node: A, infoHash: "11".repeat(20), verdict, nodeSignature });
    expect(classify(c("fail", SIG), "confirmed")).toBe("fraud");
    expect(classify(c("fail", null), "confirmed")).toBe("miss");
    expect(classify(c("fail"), "confirmed")).toBe("miss");
    expect(classify(c("fail", SIG), "published")).toBe("miss");
    expect(classify(c("fail", SIG), undefined)).toBe("miss");
    expect(classify(c("fail", SIG), "contested")).toBe("ignored");
    // A timeout or refusal is a miss even with a signature (the node's answer did not fail verification).
    expect(classify(c("timeout", SIG), "confirmed")).toBe("miss");
    expect(classify(c("refused", SIG), "confirmed")).toBe("miss");
    // A pass the node did not sign is a miss; epochs before signed answers (absent) pass as closed.
    expect(classify(c("pass", SIG), "confirmed")).toBe("pass");
    expect(classify(c("pass", null), "confirmed")).toBe("miss");
    expect(classify(c("pass"), "published")).toBe("pass");
  });

  it("grows a fault fee over consecutive epochs of misses, capped, and resets it after a clean epoch", () => {
    let faults: { node: string; streak: number }[] = [];
    const fees: bigint[] = [];
    for (let e = 0; e < 8; e++) {
      const r = evaluateEpoch([at(A, "timeout", "10.0.0.1")], published, [], { slashed: [], faults });
      fees.push(r.penalties[0]!.faultFee);
      faults = r.faults;
    }
    expect(fees).toEqual([0n, 1n, 2n, 4n, 8n, 16n, 16n, 16n].map((x) => (x * FAULT_FEE_BASE)));
    expect(FAULT_FEE_CAP).toBe(16n * FAULT_FEE_BASE);
    const clean = evaluateEpoch([at(A, "pass", "10.0.0.1")], published, [], { slashed: [], faults });
    expect(clean.faults).toEqual([]);
    expect(clean.penalties).toEqual([]);
    // A node not challenged keeps its streak: leaving does not clear it.
    expect(evaluateEpoch([], published, [], { slashed: [], faults }).faults).toEqual(faults);
  });

  it("multiplies the penalties of nodes that fault together in one /24 or /48, capped", () => {
    const C = "0x00000000000000000000000000000000000000cc";
    const D = "0x00000000000000000000000000000000000000dd";
    const r = evaluateEpoch([at(A, "fail", "10.0.0.1"), at(B, "fail", "10.0.0.2"), at(C, "fail", "10.0.0.3"), at(D, "fail", "10.0.1.1")], confirmed, []);
    const by = (n: string) => r.penalties.find((p) => p.node === n)!;
    expect(by(A)).toMatchObject({ subnet: "10.0.0.0/24", faultyInSubnet: 3, correlationBps: 20_000n, slashed: 2n * FRAUD_SLASH });
    expect(by(D)).toMatchObject({ faultyInSubnet: 1, correlationBps: 10_000n, slashed: FRAUD_SLASH });
    expect(correlationBps(2)).toBe(15_000n);
    expect(correlationBps(100)).toBe(CORRELATION_CAP_BPS);
    const v6 = evaluateEpoch([at(A, "fail", "2001:db8:1:2::a"), at(B, "fail", "2001:db8:1:2:ffff::1")], confirmed, []);
    expect(v6.penalties.map((p) => [p.subnet, p.correlationBps])).toEqual([
      ["2001:db8:1::/48", 15_000n],
      ["2001:db8:1::/48", 15_000n],
    ]);
  });

  it("adds to cumulative slashed leaves and ignores challenges of a contested root", () => {
    const r = evaluateEpoch([at(A, "fail", "10.0.0.1")], confirmed, [], { slashed: [{ account: B as Address, cumulative: 3n }, { account: A as Address, cumulative: 4n }], faults: [] });
    expect(r.slashedLeaves).toEqual([
      { account: A, cumulative: 4n + FRAUD_SLASH },
      { account: B, cumulative: 3n },
    ]);
    const contested = evaluateEpoch([at(A, "fail", "10.0.0.1"), at(B, "pass", "10.0.0.2")], [{ ...confirmed[0]!, rootStatus: "contested" }], []);
    expect(contested.penalties).toEqual([]);
    expect(contested.hosting).toEqual([
      { node: A, provenBytes: 0n },
      { node: B, provenBytes: 0n },
    ]);
  });
});

describe("subnets", () => {
  it("groups IPv4 by /24, IPv6 by /48, IPv4-mapped IPv6 as IPv4", () => {
    expect(subnetOf("192.0.2.77")).toBe("192.0.2.0/24");
    expect(subnetOf("2001:db8::1")).toBe("2001:db8:0::/48");
    expect(subnetOf("2001:db8:0:ffff::1")).toBe("2001:db8:0::/48");
    expect(subnetOf("::ffff:192.0.2.5")).toBe("192.0.2.0/24");
    expect(subnetOf("node.example")).toBe("node.example");
  });
});
