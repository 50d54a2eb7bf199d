import { describe, expect, it } from "vitest";
import { hashTypedData, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount, toAccount } from "viem/accounts";
import { answerTypes, challengeAnswerHash, signChallengeAnswer, verifyChallengeAnswer, vidyaDomain, type ChallengeAnswer } from "../reports/eip712.ts";

const hex = (n: number) => `0x${Buffer.from(crypto.getRandomValues(new Uint8Array(n))).toString("hex")}` as Hex;
const viemHash = (chainId: number, a: ChallengeAnswer) =>
  hashTypedData({
    domain: vidyaDomain(chainId),
    types: answerTypes,
    primaryType: "ChallengeAnswer",
    message: { ...a, node: a.node as Hex, infoHash: `0x${a.infoHash.replace(/^0x/, "")}` as Hex, root: `0x${a.root.replace(/^0x/, "")}` as Hex, epoch: BigInt(a.epoch), answeredAt: BigInt(a.answeredAt), blockHashes: a.blockHashes.map((h) => `0x${h.replace(/^0x/, "")}` as Hex) },
  });

function randomAnswer(): ChallengeAnswer {
  const n = 1 + Math.floor(Math.random() * 16);
  return {
    node: hex(20),
    infoHash: hex(20).slice(2),
    epoch: Math.floor(Math.random() * 2 ** 40),
    round: Math.floor(Math.random() * 2 ** 32),
    beacon: hex(32),
    nonce: hex(32),
    root: hex(32).slice(2),
    blocks: Array.from({ length: n }, () => Math.floor(Math.random() * 2 ** 32)),
    blockHashes: Array.from({ length: n }, () => hex(32).slice(2)),
    answeredAt: Date.now() + Math.floor(Math.random() * 1e6),
  };
}

describe("ChallengeAnswer digest, encoded as bytes", () => {
  it("equals viem's EIP-712 hash for random answers and chain ids (attack: a signature the contract and verify read differently)", () => {
    for (let i = 0; i < 100; i++) {
      const a = randomAnswer();
      const chainId = [1, 31337, 8453, 2 ** 40][i % 4]!;
      expect(challengeAnswerHash(chainId, a)).toBe(viemHash(chainId, a));
    }
  });

  it("hands odd input (checksummed address, 0x on the info hash, empty lists) to viem with the same result", () => {
    const a = { ...randomAnswer(), node: "0x52908400098527886E0F7030069857D2E4169EE7", infoHash: hex(20), blocks: [], blockHashes: [] };
    expect(challengeAnswerHash(5, a)).toBe(viemHash(5, a));
  });

  it("signs the same signature as signTypedData and verifies it; a changed field or another key fails (attack: forged or altered answer)", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const a = { ...randomAnswer(), node: account.address.toLowerCase() };
    const sig = await signChallengeAnswer(account, 31337, a);
    // An account without a raw `sign` (a wallet) signs the typed data: the same bytes.
    const wallet = toAccount({ address: account.address, signMessage: account.signMessage, signTransaction: account.signTransaction, signTypedData: account.signTypedData });
    expect(await signChallengeAnswer(wallet, 31337, a)).toBe(sig);
    expect(await verifyChallengeAnswer(31337, a, sig)).toBe(true);
    expect(await verifyChallengeAnswer(31337, { ...a, blocks: [...a.blocks.slice(1), 7] }, sig)).toBe(false);
    expect(await verifyChallengeAnswer(31337, { ...a, node: hex(20) }, sig)).toBe(false);
    expect(await verifyChallengeAnswer(1, a, sig)).toBe(false);
    expect(await verifyChallengeAnswer(31337, { ...a, blockHashes: a.blockHashes.map(() => "zz") }, sig)).toBe(false);
  });
});
