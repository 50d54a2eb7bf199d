import { describe, expect, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { signTranscript, verifyTranscript } from "../reports/eip712.ts";
import { ZERO_BLOCK_HASH, transcriptId } from "../challenge/schedule.ts";
import { recordedAnswer, signedFail, type UnsignedTranscript } from "../challenge/transcript.ts";

const edge = privateKeyToAccount(generatePrivateKey());
const node = "0x00000000000000000000000000000000000000aa";
const t: UnsignedTranscript = {
  id: transcriptId(3, node, 1, "11".repeat(20)),
  epoch: 3,
  node,
  round: 1,
  infoHash: "11".repeat(20),
  host: "192.0.2.1",
  port: 6881,
  blockNumber: 12,
  blockHash: ZERO_BLOCK_HASH,
  hostedHash: ZERO_BLOCK_HASH,
  file: null,
  root: "ab".repeat(32),
  treeLength: 100_000,
  offset: 0,
  blocks: [1, 4, 5],
  startedAt: 1_700_000_000_000,
  durationMs: 31,
  verdict: "pass",
  reason: "all blocks verified",
  blockHashes: ["cd".repeat(32), "ef".repeat(32), "01".repeat(32)],
  proofHash: "23".repeat(32),
  attempts: 2,
  tries: [{ verdict: "refused", reason: "connection closed by the node", startedAt: 1_699_999_999_000, durationMs: 2 }],
  nonce: `0x${"77".repeat(32)}`,
  answeredAt: 1_700_000_000_020,
  nodeSignature: `0x${"88".repeat(65)}`,
};

describe("signed transcripts (EIP-712 ChallengeTranscript)", () => {
  it("verifies against the edge's key and no other, and breaks when any field changes", async () => {
    const signed = await signTranscript(edge, 31337, t);
    expect(signed.signer).toBe(edge.address.toLowerCase());
    expect(await verifyTranscript(31337, signed, edge.address)).toBe(true);
    expect(await verifyTranscript(1, signed, edge.address)).toBe(false);
    expect(await verifyTranscript(31337, signed, privateKeyToAccount(generatePrivateKey()).address)).toBe(false);
    for (const change of [{ verdict: "fail" as const }, { blocks: [1, 4, 6] }, { tries: [] }, { durationMs: 30 }, { file: 0 }])
      expect(await verifyTranscript(31337, { ...signed, ...change }, edge.address)).toBe(false);
  });
});

describe("what a transcript records of the node's answer", () => {
  const sig = `0x${"22".repeat(65)}` as const;
  it("keeps a node signature on a fail only when it signed the block that failed, so a recorded signature on a fail is a signed wrong block (attack: edge brands an honest node a fraud without its signature)", () => {
    expect(recordedAnswer({ verdict: "fail", answeredAt: 5, nodeSignature: sig, signedFailure: 2 })).toEqual({ answeredAt: 5, nodeSignature: sig });
    // Signed, but the failure is a missing path, or the signature is not the node's: not fraud, so not kept.
    expect(recordedAnswer({ verdict: "fail", answeredAt: 5, nodeSignature: sig })).toEqual({ answeredAt: null, nodeSignature: null });
    expect(recordedAnswer({ verdict: "pass", answeredAt: 5, nodeSignature: sig })).toEqual({ answeredAt: 5, nodeSignature: sig });
    expect(recordedAnswer({ verdict: "timeout" })).toEqual({ answeredAt: null, nodeSignature: null });
    expect(signedFail({ verdict: "fail", nodeSignature: sig })).toBe(true);
    expect(signedFail({ verdict: "fail", nodeSignature: null })).toBe(false);
    expect(signedFail({ verdict: "fail" })).toBe(false);
    expect(signedFail({ verdict: "timeout", nodeSignature: sig })).toBe(false);
  });
});
