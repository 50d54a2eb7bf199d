// Writes protocol/vectors/*.json: the shared test vectors that the TypeScript tests and the
// Solidity tests both check. Deterministic: run it again and nothing changes.
//   node scripts/gen-vectors.ts

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { keccak256, toHex as viemHex, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import * as params from "../protocol/params.ts";
import { encode } from "../protocol/bencode.ts";
import { fromHex, toHex } from "../protocol/hex.ts";
import { answerFor, leafHash } from "../protocol/challenge/answer.ts";
import { fraudEvidenceFor } from "../protocol/challenge/fraud.ts";
import { buildRewardTree } from "../protocol/merkle/reward-tree.ts";
import { claimWithHoldback, EMPTY_HELD, release, slashHeld, vestedAt, type HeldSchedule } from "../protocol/economics/holdback.ts";
import { StorageTreeBuilder, storageProof } from "../protocol/merkle/storage-tree.ts";
import { receiptToJson, signChallengeAnswer, signReceipt, signReport, reportToJson } from "../protocol/reports/eip712.ts";

const dir = join(import.meta.dirname, "..", "protocol", "vectors");
const write = (name: string, value: unknown) =>
  writeFileSync(join(dir, name), JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n");

/** Deterministic pseudo-random bytes: keccak of a label and a counter. */
export function detBytes(label: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0, o = 0; o < length; i++) {
    const h = Buffer.from(keccak256(viemHex(`${label}:${i}`)).slice(2), "hex");
    out.set(h.subarray(0, Math.min(32, length - o)), o);
    o += 32;
  }
  return out;
}
const detAddress = (label: string) => viemHex(detBytes(label, 20)) as Address;

// params.json: constants Solidity tests and deploy scripts share.
write("params.json", {
  BLOCK_SIZE: params.BLOCK_SIZE,
  GENESIS_SUPPLY: params.GENESIS_SUPPLY,
  EMISSION_PER_EPOCH: params.EMISSION_PER_EPOCH,
  HOSTING_POOL: params.HOSTING_POOL,
  ACCESS_STAKE: params.ACCESS_STAKE,
  EPOCH_SECONDS: params.EPOCH_SECONDS,
  DISPUTE_DELAY_SECONDS: params.DISPUTE_DELAY_SECONDS,
  UNBONDING_DELAY_SECONDS: params.UNBONDING_DELAY_SECONDS,
  MAX_LOCK_SECONDS: params.MAX_LOCK_SECONDS,
  LOCK_BOOST_CAP: params.LOCK_BOOST_CAP,
  FEE_STREAM_SECONDS: params.FEE_STREAM_SECONDS,
  ESCROW_WITHDRAWAL_DELAY_SECONDS: params.ESCROW_WITHDRAWAL_DELAY_SECONDS,
  HOLDBACK_BPS: params.HOLDBACK_BPS,
  HOLDBACK_VESTING_SECONDS: params.HOLDBACK_VESTING_SECONDS,
  HOLDBACK_NEW_BPS: params.HOLDBACK_NEW_BPS,
  HOLDBACK_NEW_VESTING_SECONDS: params.HOLDBACK_NEW_VESTING_SECONDS,
  HOLDBACK_AGE_RAMP_SECONDS: params.HOLDBACK_AGE_RAMP_SECONDS,
  FRAUD_SLASH: params.FRAUD_SLASH,
  FRAUD_REWARD_BPS: params.FRAUD_REWARD_BPS,
});

// reward-tree.json: leaves, hashes and proofs for several tree sizes (odd sizes included).
const rewardCases = [1, 2, 3, 5, 8, 13].map((n, c) => {
  const epoch = c + 1;
  const leaves = Array.from({ length: n }, (_, i) => ({
    account: detAddress(`reward-account-${c}-${i}`),
    // 11 bytes: below 2^88, the most an account's claimed total may be (contracts/src/HeldEarnings.sol).
    cumulative: BigInt(toHex(detBytes(`reward-amount-${c}-${i}`, 11)).replace(/^/, "0x")),
  }));
  const tree = buildRewardTree(epoch, leaves);
  return {
    epoch,
    root: tree.root,
    leaves: tree.leaves.map((l) => ({ account: l.account, cumulative: l.cumulative.toString(), leafHash: l.hash, proof: tree.proof(l.account) })),
  };
});
write("reward-tree.json", { description: "keccak256(keccak256(abi.encode(uint64 epoch, address account, uint256 cumulative))), OpenZeppelin StandardMerkleTree layout", cases: rewardCases });

// storage-tree.json: payload lengths around block and power-of-two edges.
const storageCases = [1, 16383, 16384, 16385, 3 * 16384, 5 * 16384 + 7].map((len) => {
  const payload = detBytes(`storage-${len}`, len);
  const tree = new StorageTreeBuilder().update(payload).finish();
  const last = tree.leafCount - 1;
  return {
    length: len,
    payloadLabel: `storage-${len}`,
    firstLeaf: toHex(tree.levels[0]!.subarray(0, 32)),
    root: toHex(tree.root),
    proofs: [0, last].filter((v, i, a) => a.indexOf(v) === i).map((b) => ({ block: b, path: storageProof(tree, b).map(toHex) })),
  };
});
write("storage-tree.json", { description: "payload = detBytes(payloadLabel, length); 16 KiB SHA-256 leaves, zero-padded to a power of two, parent = SHA-256(left||right)", cases: storageCases });

// holdback.json: claims, releases and slashes of held-back earnings at given times, with what the
// contract must pay, hold and take (protocol/economics/holdback.ts mirrors contracts/src/HeldEarnings.sol).
// The Solidity test posts every epoch's single-leaf earned and slashed trees at START, so times
// begin after one dispute delay.
const START = 1_700_000_000;
const t0 = START + params.DISPUTE_DELAY_SECONDS;
const DAY = 86_400;
type HoldStep = { at: number; op: "claim"; epoch: number } | { at: number; op: "release" } | { at: number; op: "slash"; epoch: number };
const holdCases = [
  {
    name: "claims, a release, a slash, vesting to the end",
    epochs: [
      { cumulative: 100n * params.ONE_TOKEN, slashed: 0n },
      { cumulative: 250n * params.ONE_TOKEN, slashed: 0n },
      { cumulative: 250n * params.ONE_TOKEN, slashed: 40n * params.ONE_TOKEN },
      { cumulative: 300n * params.ONE_TOKEN, slashed: 40n * params.ONE_TOKEN },
    ],
    steps: [
      { at: t0, op: "claim", epoch: 1 },
      { at: t0 + 10 * DAY, op: "release" },
      { at: t0 + 20 * DAY, op: "claim", epoch: 2 },
      { at: t0 + 25 * DAY + 7, op: "slash", epoch: 3 },
      { at: t0 + 40 * DAY, op: "claim", epoch: 4 },
      { at: t0 + 100 * DAY, op: "release" },
    ] as HoldStep[],
  },
  {
    name: "odd wei amounts, claims minutes apart, a slash larger than what is held",
    epochs: [
      { cumulative: 1_000_000_007n, slashed: 0n },
      { cumulative: 3_333_333_333_333n, slashed: 0n },
      { cumulative: 3_333_333_333_333n, slashed: 10n ** 20n },
      { cumulative: 5_000_000_000_001n, slashed: 10n ** 20n },
    ],
    steps: [
      { at: t0 + 1, op: "claim", epoch: 1 },
      { at: t0 + 61, op: "claim", epoch: 2 },
      { at: t0 + 3 * DAY + 13, op: "slash", epoch: 3 },
      { at: t0 + 31 * DAY, op: "claim", epoch: 4 },
      { at: t0 + 45 * DAY + 1, op: "release" },
    ] as HoldStep[],
  },
  {
    name: "a new node ages past the ramp: each claim holds back less, for less long",
    epochs: [
      { cumulative: 100n * params.ONE_TOKEN, slashed: 0n },
      { cumulative: 200n * params.ONE_TOKEN, slashed: 0n },
      { cumulative: 300n * params.ONE_TOKEN, slashed: 0n },
      { cumulative: 300n * params.ONE_TOKEN, slashed: 10n * params.ONE_TOKEN },
      { cumulative: 400n * params.ONE_TOKEN, slashed: 10n * params.ONE_TOKEN },
    ],
    steps: [
      { at: t0 + 5, op: "claim", epoch: 1 },
      { at: t0 + 60 * DAY + 17, op: "claim", epoch: 2 },
      { at: t0 + 120 * DAY + 3_600, op: "claim", epoch: 3 },
      { at: t0 + 150 * DAY, op: "slash", epoch: 4 },
      { at: t0 + 200 * DAY, op: "claim", epoch: 5 },
      { at: t0 + 260 * DAY, op: "release" },
    ] as HoldStep[],
  },
].map((c) => {
  let s: HeldSchedule = EMPTY_HELD;
  let claimed = 0n;
  let slashedDone = 0n;
  let balance = 0n;
  const steps = c.steps.map((step) => {
    let paid = 0n;
    let held = 0n;
    let taken = 0n;
    if (step.op === "claim") {
      const o = claimWithHoldback(s, c.epochs[step.epoch - 1]!.cumulative - claimed, step.at);
      claimed = c.epochs[step.epoch - 1]!.cumulative;
      ({ schedule: s, paid, held } = o);
    } else if (step.op === "release") {
      ({ schedule: s, paid } = release(s, step.at));
    } else {
      const o = slashHeld(s, c.epochs[step.epoch - 1]!.slashed - slashedDone, step.at);
      ({ schedule: s, paid, taken } = o);
      slashedDone += taken;
    }
    balance += paid;
    const vested = vestedAt(s, step.at);
    return { ...step, paid, held, taken, balance, unvested: s.unvested - vested, vested, vestEnd: s.vestEnd };
  });
  return {
    name: c.name,
    start: START,
    holdbackBps: params.HOLDBACK_BPS,
    vestingSeconds: params.HOLDBACK_VESTING_SECONDS,
    newHoldbackBps: params.HOLDBACK_NEW_BPS,
    newVestingSeconds: params.HOLDBACK_NEW_VESTING_SECONDS,
    ageRampSeconds: params.HOLDBACK_AGE_RAMP_SECONDS,
    epochs: c.epochs,
    steps,
  };
});
write("holdback.json", { description: "held-back earnings: each step's amounts after it runs at `at` (Unix seconds); balance = everything paid to the node so far", cases: holdCases });

// bencode.json: canonical encodings.
const bencodeCases: { name: string; hex: string }[] = [
  { name: "integer", hex: toHex(encode(-42)) },
  { name: "big integer", hex: toHex(encode(2n ** 70n)) },
  { name: "binary string", hex: toHex(encode(Uint8Array.from({ length: 256 }, (_, i) => i))) },
  { name: "sorted dict", hex: toHex(encode({ zeta: 1, alpha: [1, "two", { b: 2, a: 1 }], "": "" })) },
  { name: "empty peers", hex: toHex(encode({ interval: 1800, peers: new Uint8Array(0) })) },
];
write("bencode.json", { cases: bencodeCases });

// eip712.json: a signature per report type from a key derived from a public label (a test
// vector, never a real key).
const account = privateKeyToAccount(keccak256(viemHex("vidya eip712 test vector key")));
const chainId = 31337;
const messages = {
  NodeRegistration: { node: account.address, port: 6881, nonce: 1n, expiry: 1_900_000_000n },
  HostedSubset: { node: account.address, infoHashes: [viemHex(detBytes("ih-1", 20)), viemHex(detBytes("ih-2", 20))], nonce: 2n, expiry: 1_900_000_000n },
  MemberJoin: { member: account.address, nonce: 3n, expiry: 1_900_000_000n },
} as const;
const eipCases = [];
for (const [type, message] of Object.entries(messages)) {
  const signature = await signReport(account, chainId, type as keyof typeof messages, message as never);
  eipCases.push({ type, chainId, signer: account.address, message: reportToJson(message as never), signature });
}
// An upload receipt (no nonce or expiry: cumulative and bound to an epoch), signed by the same key as the downloader.
const receipt = { infoHash: viemHex(detBytes("ih-1", 20)), uploader: privateKeyToAccount(keccak256(viemHex("vidya eip712 test vector node"))).address, downloader: account.address, cumulative: 64n * 1024n * 1024n, session: keccak256(viemHex("vidya receipt session")), epoch: 7n };
const receiptCases = [{ type: "UploadReceipt", chainId, signer: account.address, message: receiptToJson(receipt), signature: await signReceipt(account, chainId, receipt) }];
write("eip712.json", { keyLabel: "keccak256(utf8('vidya eip712 test vector key'))", cases: eipCases, receipts: receiptCases });

// fraud.json: a node's signed challenge answers over a 6-block payload, one honest, one naming a
// wrong hash for its first block, with the true block and its path (contracts/test/FraudEvidence.t.sol).
{
  const payload = detBytes("fraud-payload", 5 * 16384 + 7);
  const tree = new StorageTreeBuilder().update(payload).finish();
  const node = privateKeyToAccount(keccak256(viemHex("vidya fraud vector node")));
  const challenge = { node: fromHex(node.address.slice(2)), chainId, epoch: 0, round: 0, beacon: new Uint8Array(32), nonce: detBytes("fraud-nonce", 32) };
  const infoHash = toHex(detBytes("fraud-ih", 20));
  const blocks = [3, 5, 0];
  const leaves = blocks.map((b) => leafHash(tree, b));
  const wrong = [toHex(detBytes("fraud-wrong", 32)), ...leaves.slice(1)];
  const cases = [];
  const again = { ...challenge, nonce: detBytes("fraud-nonce-2", 32) };
  for (const [label, c, hashes] of [["honest", challenge, leaves], ["wrong hash at position 0", challenge, wrong], ["the same wrong hash, another challenge", again, wrong]] as const) {
    const answer = answerFor(node.address, infoHash, c, tree.root, blocks, [...hashes], 1_700_000_000_000);
    const signature = await signChallengeAnswer(node, chainId, answer);
    cases.push({ label, evidence: fraudEvidenceFor(answer, signature, 0, payload.subarray(3 * 16384, 4 * 16384), storageProof(tree, 3), chainId) });
  }
  write("fraud.json", { description: "payload = detBytes('fraud-payload', 5 * 16384 + 7); node key = keccak256(utf8('vidya fraud vector node'))", node: node.address, root: `0x${toHex(tree.root)}`, leaves: Array.from({ length: tree.leafCount }, (_, i) => `0x${leafHash(tree, i)}`), cases });
}
console.log(`wrote vectors to ${dir}`);
