// claim, verify and join through bin/vidya against the real edge (the worker in workerd)
// with a real anvil and the real contracts: a node seeds, passes a real challenge round,
// and the worker closes the epoch and posts its root itself. Lies are told by a named
// adversary in front of the worker (node/testing/lying-edge.ts), never by a copy of it.

import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Address, Hex } from "viem";
import { ACCESS_STAKE, HOLDBACK_NEW_BPS, EMISSION_PER_EPOCH, JOIN_FEE_BPS } from "../../protocol/params.ts";
import { ROOT, bin, clients } from "../../scripts/network/chain.ts";
import { waitFor } from "../../scripts/network/processes.ts";
import type { EpochInfo, EpochProof, NodeInfo } from "../api.ts";
import { makeFixture } from "../testing/fixtures.ts";
import { startTestEdge, type TestEdge } from "../testing/edge.ts";
import { inflateLeaf, inflateProof, startLyingEdge, type LyingEdge } from "../testing/lying-edge.ts";
import { epochRewardsAbi, stakingAbi, erc20Abi } from "./abi.ts";
import { runVidya, walletAddressOf } from "../testing/cli.ts";

const vidya = runVidya;
const addressOf = walletAddressOf;

/**
 * Short, so waiting it out is quick. The claims made inside the window see it open however
 * slow the machine: anvil answers calls at its latest block's time and mines only on demand.
 */
const DISPUTE_DELAY_SECONDS = 3n;

describe("rewards on-chain through the CLI", () => {
  let edge: TestEdge;
  let liar: LyingEdge;
  let chain: NonNullable<TestEdge["chain"]>;
  let publicClient: ReturnType<typeof clients>["publicClient"];
  let deployer: ReturnType<typeof clients>["deployer"];
  let nodeHome: string;
  /** The node's wallet with the lying edge as its tracker. */
  let nodeViaLiar: string;
  let node: Address;
  let infoHash: string;
  let epoch: EpochInfo;

  beforeAll(async () => {
    edge = await startTestEdge("node-chain-rewards", { chain: { disputeDelaySeconds: DISPUTE_DELAY_SECONDS } });
    chain = edge.chain!;
    ({ publicClient, deployer } = clients(chain));
    nodeHome = join(edge.dir, "node");
    expect((await vidya(["--home", nodeHome, "node", "init", "--tracker", edge.url, "--port", "0"])).code).toBe(0);
    node = await addressOf(nodeHome);
    await chain.fund(node, "1"); // gas for its claim
    const fx = await makeFixture(join(nodeHome, "data"), "Homebrew Tools", [{ path: "tools.bin", length: 90_000 }]);
    infoHash = fx.meta.infoHash;
    await edge.publish(fx);
    const proc = edge.group.start("node", bin("node"), [join(ROOT, "node", "cli.ts"), "--home", nodeHome, "node", "start"], { cwd: ROOT });
    await waitFor("the node to report its hosted subset", async () => {
      if (proc.child.exitCode !== null) throw new Error(`the node exited; see ${proc.logPath}`);
      return (await edge.api<NodeInfo>(`/api/nodes/${node}`)).hosted.length === 1 ? true : undefined;
    }, 30_000, 100);

    liar = await startLyingEdge(edge.url, [inflateProof, inflateLeaf(node)]);
    nodeViaLiar = join(edge.dir, "node-via-liar");
    await mkdir(nodeViaLiar, { recursive: true });
    await copyFile(join(nodeHome, "wallet.json"), join(nodeViaLiar, "wallet.json"));
    const config = JSON.parse(await readFile(join(nodeHome, "config.json"), "utf8"));
    await writeFile(join(nodeViaLiar, "config.json"), JSON.stringify({ ...config, tracker: liar.url }), { mode: 0o600 });
  });

  afterAll(async () => {
    await liar?.close();
    await edge?.stop();
  });

  it("the worker posts the epoch's root after a challenge round the node passes", async () => {
    const round = await edge.runChallenges();
    expect(round.map((t) => [t.node, t.infoHash, t.verdict])).toEqual([[node.toLowerCase(), infoHash, "pass"]]);
    epoch = await edge.closeEpoch();
    expect(epoch).toMatchObject({ epoch: 1, leafCount: 1, totalEarned: EMISSION_PER_EPOCH.toString() });
    expect(epoch.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    const onChain = (await publicClient.readContract({ address: chain.addresses.epochRewards, abi: epochRewardsAbi, functionName: "rootOf", args: [1n] })) as { earnedRoot: Hex; inputsHash: Hex };
    expect(onChain.earnedRoot).toBe(epoch.root);
    expect(onChain.inputsHash).toBe(epoch.inputsHash);
  });

  it("says there is nothing to claim while the root is in its dispute window", async () => {
    const r = await vidya(["--home", nodeHome, "claim"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/not final/);
  });

  it("refuses --epoch for a root that is not final, with a non-zero exit", async () => {
    const r = await vidya(["--home", nodeHome, "claim", "--epoch", "1"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not final/);
  });

  it("node status shows the final epoch's cumulative earnings, less what is claimed, as claimable", async () => {
    // Wait out the dispute delay; anvil mines on demand, so a block is mined to move its clock.
    await waitFor("epoch 1 to become final", async () => {
      await publicClient.request({ method: "evm_mine" as never });
      return (await publicClient.readContract({ address: chain.addresses.epochRewards, abi: epochRewardsAbi, functionName: "isFinal", args: [1n] })) ? true : undefined;
    }, 30_000, 500);
    const status = await vidya(["--home", nodeHome, "--json", "node", "status"]);
    expect(status.code, status.stderr).toBe(0);
    const st = JSON.parse(status.stdout);
    expect(st).toMatchObject({
      running: true,
      hosted: [{ infoHash }],
      // The scheduler may have run rounds of its own by now; every one passed.
      challenges: { failed: 0, passRate: 1 },
      earned: EMISSION_PER_EPOCH.toString(),
      finalEpoch: 1,
      finalCumulative: EMISSION_PER_EPOCH.toString(),
      claimed: "0",
      claimable: EMISSION_PER_EPOCH.toString(),
      pending: "0",
      bond: "0",
      slashed: "0",
      slashExecuted: "0",
    });
    expect(st.nextEpoch.epoch).toBe(2);
  });

  it("claims exactly the committed cumulative amount once the root is final", async () => {
    const leaf = await edge.api<EpochProof>(`/api/epochs/1/proof/${node}`);
    // One node proved every challenged byte: it earns the whole hosting pool.
    expect(leaf.cumulative).toBe(EMISSION_PER_EPOCH.toString());
    const r = await vidya(["--home", nodeHome, "--json", "claim"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ epoch: 1, amount: leaf.cumulative, cumulative: leaf.cumulative });
    expect(out.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await publicClient.readContract({ address: chain.addresses.epochRewards, abi: epochRewardsAbi, functionName: "claimedOf", args: [node] })).toBe(EMISSION_PER_EPOCH);
    // A new node's first claim holds back HOLDBACK_NEW_BPS as its bond, vesting (contracts/src/HeldEarnings.sol).
    expect(await publicClient.readContract({ address: chain.addresses.token, abi: erc20Abi, functionName: "balanceOf", args: [node] })).toBe(EMISSION_PER_EPOCH - (EMISSION_PER_EPOCH * HOLDBACK_NEW_BPS) / 10_000n);
  });

  it("says there is nothing left to claim after claiming", async () => {
    const r = await vidya(["--home", nodeHome, "--json", "claim"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ epoch: 1, amount: "0", txHash: null });
    const status = await vidya(["--home", nodeHome, "--json", "node", "status"]);
    expect(JSON.parse(status.stdout)).toMatchObject({ claimed: EMISSION_PER_EPOCH.toString(), claimable: "0" });
  });

  it("refuses, before any transaction, a proof that does not match the on-chain root", async () => {
    const nonce = await publicClient.getTransactionCount({ address: node });
    const r = await vidya(["--home", nodeViaLiar, "claim", "--epoch", "1"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/does not match the on-chain root/);
    expect(await publicClient.getTransactionCount({ address: node })).toBe(nonce);
  });

  it("verifies an epoch's root, inputs hash and evaluation from the published data", async () => {
    const r = await vidya(["--home", join(edge.dir, "anyone"), "--json", "verify", "1", "--tracker", edge.url, "--allow-forced"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ epoch: 1, verified: true, inputsVerified: true, evaluationVerified: true, onChainRoot: epoch.root });
    expect(out.recomputedRoot).toBe(out.onChainRoot);
  });

  it("reports MISMATCH and exits 1 when the published leaves do not rebuild the on-chain root", async () => {
    const r = await vidya(["--home", join(edge.dir, "anyone"), "verify", "1", "--tracker", liar.url]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/root +MISMATCH/);
  });

  it("join stakes the access stake, pays the join fee, then joins with a signed MemberJoin", async () => {
    const home = join(edge.dir, "member");
    // The fee streamed to stakers (DESIGN.md "The mechanism"): JOIN_FEE_BPS of the stake at the neutral gate.
    const joinFeeAtNeutralGate = (ACCESS_STAKE * JOIN_FEE_BPS) / 10_000n;
    expect((await vidya(["--home", home, "wallet", "init"])).code).toBe(0);
    const member = await addressOf(home);
    await chain.fund(member, "1");
    const hash = await deployer.writeContract({ address: chain.addresses.token, abi: erc20Abi, functionName: "transfer", args: [member, ACCESS_STAKE + joinFeeAtNeutralGate] });
    await publicClient.waitForTransactionReceipt({ hash });
    const r = await vidya(["--home", home, "join", "--tracker", edge.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(await publicClient.readContract({ address: chain.addresses.staking, abi: stakingAbi, functionName: "stakeOf", args: [member] })).toBe(ACCESS_STAKE);
    expect(await publicClient.readContract({ address: chain.addresses.staking, abi: stakingAbi, functionName: "joinFeePaidOf", args: [member] })).toBe(joinFeeAtNeutralGate);
    // The saved passkey is one the tracker accepts: it serves this member the .torrent.
    const passkey = JSON.parse(await readFile(join(home, "config.json"), "utf8")).passkey as string;
    expect((await fetch(`${edge.url}/${passkey}/torrent/${infoHash}`)).status).toBe(200);
    // Joining again does not stake again and keeps the passkey.
    expect((await vidya(["--home", home, "join"])).code).toBe(0);
    expect(await publicClient.readContract({ address: chain.addresses.staking, abi: stakingAbi, functionName: "stakeOf", args: [member] })).toBe(ACCESS_STAKE);
    expect(JSON.parse(await readFile(join(home, "config.json"), "utf8")).passkey).toBe(passkey);
  });
});
