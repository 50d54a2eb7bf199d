// claim, verify and join against a real anvil with the real contracts, through bin/vidya.

import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import type { Address, Hex } from "viem";
import { ACCESS_STAKE } from "../../protocol/params.ts";
import { buildRewardTree } from "../../protocol/merkle/reward-tree.ts";
import { inputsHash } from "../../protocol/epoch/inputs.ts";
import { startTestChain, type TestChain } from "../testing/anvil.ts";
import { startFakeTracker, type FakeTracker } from "../testing/fake-tracker.ts";
import { epochRewardsAbi, stakingAbi, erc20Abi } from "./abi.ts";

const VIDYA = join(import.meta.dirname, "..", "..", "bin", "vidya");
const run = promisify(execFile);

async function vidya(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(VIDYA, args);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

async function addressOf(home: string): Promise<Address> {
  const { privateKey } = JSON.parse(await readFile(join(home, "wallet.json"), "utf8")) as { privateKey: Hex };
  return privateKeyToAccount(privateKey).address;
}

describe("rewards on-chain through the CLI", () => {
  let dir: string;
  let chain: TestChain;
  let tracker: FakeTracker;
  let nodeHome: string;
  let node: Address;
  const other = "0x00000000000000000000000000000000000000aa" as Address;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "vidya-chain-"));
    chain = await startTestChain(60n);
    tracker = await startFakeTracker();
    tracker.chain = { chainId: chain.chainId, rpcUrl: chain.rpcUrl, token: chain.token, staking: chain.staking, epochRewards: chain.epochRewards };
    nodeHome = join(dir, "node");
    expect((await vidya(["--home", nodeHome, "node", "init", "--tracker", tracker.url])).code).toBe(0);
    node = await addressOf(nodeHome);
    await chain.fund(node, "1");

    // Epoch 1 as the edge would publish and post it.
    const leaves = [
      { account: node, cumulative: 123_000_000_000_000_000_000n },
      { account: other, cumulative: 7n },
    ];
    const tree = buildRewardTree(1, leaves);
    const inputs = { epoch: 1, challenges: [{ node: node.toLowerCase(), verdict: "pass" }], hosting: [{ node: node.toLowerCase(), provenBytes: 1000 }] };
    const ih = inputsHash(inputs);
    tracker.epochs.set(1, {
      leaves: { epoch: 1, root: tree.root, leaves: leaves.map((l) => ({ account: l.account, cumulative: l.cumulative.toString() })) },
      inputs: { ...inputs, inputsHash: ih },
      proofs: new Map(leaves.map((l) => [l.account.toLowerCase(), { cumulative: l.cumulative.toString(), proof: tree.proof(l.account) }])),
    });
    const hash = await chain.deployer.writeContract({
      address: chain.epochRewards,
      abi: chain.abis.epochRewards,
      functionName: "postRoot",
      args: [1n, tree.root, ih, 123_000_000_000_000_000_007n],
      account: chain.deployer.account!,
      chain: foundry,
    });
    await chain.publicClient.waitForTransactionReceipt({ hash });
  }, 120_000);

  afterAll(async () => {
    await tracker?.close();
    await chain?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("says there is nothing to claim while the root is in its dispute window", async () => {
    const r = await vidya(["--home", nodeHome, "claim"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/not final/);
  });

  it("refuses --epoch for a root that is not final, with a non-zero exit", async () => {
    const r = await vidya(["--home", nodeHome, "claim", "--epoch", "1"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not final/);
  });

  it("claims exactly the committed cumulative amount once the root is final", async () => {
    await chain.advance(61);
    const r = await vidya(["--home", nodeHome, "--json", "claim"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ epoch: 1, amount: "123000000000000000000", cumulative: "123000000000000000000" });
    expect(out.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await chain.publicClient.readContract({ address: chain.epochRewards, abi: epochRewardsAbi, functionName: "claimedOf", args: [node] })).toBe(123_000_000_000_000_000_000n);
    expect(await chain.publicClient.readContract({ address: chain.token, abi: erc20Abi, functionName: "balanceOf", args: [node] })).toBe(123_000_000_000_000_000_000n);
  });

  it("says there is nothing left to claim after claiming", async () => {
    const r = await vidya(["--home", nodeHome, "--json", "claim"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ amount: "0", txHash: null });
  });

  it("refuses to send a claim whose proof does not match the on-chain root", async () => {
    const e = tracker.epochs.get(1)!;
    const good = e.proofs.get(node.toLowerCase())!;
    e.proofs.set(node.toLowerCase(), { ...good, cumulative: "999000000000000000000" });
    try {
      const r = await vidya(["--home", nodeHome, "claim", "--epoch", "1"]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/does not match the on-chain root/);
    } finally {
      e.proofs.set(node.toLowerCase(), good);
    }
  });

  it("verifies an epoch's root and inputs hash from the published data", async () => {
    const r = await vidya(["--home", join(dir, "anyone"), "--json", "verify", "1", "--tracker", tracker.url]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.verified).toBe(true);
    expect(out.inputsVerified).toBe(true);
    expect(out.recomputedRoot).toBe(out.onChainRoot);
  });

  it("reports MISMATCH and exits 1 when the published leaves do not rebuild the on-chain root", async () => {
    const e = tracker.epochs.get(1)!;
    const saved = e.leaves;
    e.leaves = { ...saved, leaves: saved.leaves.map((l, i) => (i === 1 ? { ...l, cumulative: "8" } : l)) };
    try {
      const r = await vidya(["--home", nodeHome, "verify", "1"]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/MISMATCH/);
    } finally {
      e.leaves = saved;
    }
  });

  it("join stakes the access stake, then joins with a signed MemberJoin", async () => {
    const home = join(dir, "member");
    expect((await vidya(["--home", home, "wallet", "init"])).code).toBe(0);
    const member = await addressOf(home);
    await chain.fund(member, "1");
    const hash = await chain.deployer.writeContract({ address: chain.token, abi: erc20Abi, functionName: "transfer", args: [member, ACCESS_STAKE], account: chain.deployer.account!, chain: foundry });
    await chain.publicClient.waitForTransactionReceipt({ hash });
    tracker.admit = async (a) =>
      (await chain.publicClient.readContract({ address: chain.staking, abi: stakingAbi, functionName: "stakeOf", args: [a as Address] })) >= ACCESS_STAKE;
    const r = await vidya(["--home", home, "join", "--tracker", tracker.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(await chain.publicClient.readContract({ address: chain.staking, abi: stakingAbi, functionName: "stakeOf", args: [member] })).toBe(ACCESS_STAKE);
    expect(JSON.parse(await readFile(join(home, "config.json"), "utf8")).passkey).toBe(tracker.members.get(member.toLowerCase()));
    // Joining again does not stake again.
    expect((await vidya(["--home", home, "join"])).code).toBe(0);
    expect(await chain.publicClient.readContract({ address: chain.staking, abi: stakingAbi, functionName: "stakeOf", args: [member] })).toBe(ACCESS_STAKE);
  });
});
