// End to end, every part real: anvil with the contracts, the worker in workerd, two seeding
// nodes on webtorrent and a member, all driven through the `vidya` CLI (the `npm start` flow).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Address, Hex } from "viem";
import { LocalNetwork, nodeAddress, type ChallengeTranscript, type ClaimResult, type EpochInfo, type VerifyResult } from "../../scripts/network/network.ts";
import { geoBoosts } from "../../scripts/network/summary.ts";
import { waitFor } from "../../scripts/network/processes.ts";
import { ROOT } from "../../scripts/network/chain.ts";
import { buildRewardTree } from "../../protocol/merkle/reward-tree.ts";
import { HOLDBACK_NEW_BPS } from "../../protocol/params.ts";
import { asDict, decode } from "../../protocol/bencode.ts";

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

describe("the Vidya network, end to end", () => {
  let net: LocalNetwork;
  let challenges: ChallengeTranscript[];
  let epoch: EpochInfo;
  let claim: ClaimResult;
  let leaves: { account: Address; cumulative: string }[];
  let memberAddress: string;
  let downloadedBytes = 0;
  // A folder per run: concurrent runs (two checkouts' CI, a developer's) must not share state.
  const runDir = join(ROOT, ".vidya", `e2e-${process.pid}`);

  beforeAll(async () => {
    net = await LocalNetwork.start({
      dir: runDir,
      datasetDir: join(ROOT, ".vidya", "dataset"),
      nodes: [
        ["retro-arcade-pack", "homebrew-tools"], // honest
        ["retro-arcade-pack", "shareware-classics"], // deletes its data after reporting it
        ["retro-arcade-pack"], // honest, a second replica of node-1's torrent on its own /24
      ],
      disputeDelaySeconds: 3,
      // Short epochs so the cron closes a second one within the test (npm start: 60 s).
      epochSeconds: 20,
      // The deleter's challenges time out, three tries each: 3 s, not 10, of silence a try
      // (honest chains on loopback take well under a second).
      challengeDeadlineMs: 3_000,
    });
  });

  afterAll(async () => {
    await net?.stop();
    rmSync(runDir, { recursive: true, force: true });
  });

  it("delivers the exact bytes of a torrent to a member who joined with the access stake", async () => {
    const member = await net.joinMember("member");
    const t = net.dataset.find((d) => d.name === "retro-arcade-pack")!;
    const out = join(runDir, "downloads");
    mkdirSync(out, { recursive: true });
    const said = await net.download(member, t.infoHash, out);
    expect(said).toMatch(/upload receipts: signed for [1-9]\d* node\(s\)/);
    memberAddress = member.address.toLowerCase();
    const src = join(t.dataDir, t.name);
    const files = filesUnder(src);
    downloadedBytes = files.reduce((n, f) => n + readFileSync(f).length, 0);
    expect(files.length).toBe(3);
    for (const f of files) expect(readFileSync(join(out, t.name, f.slice(src.length))).equals(readFileSync(f))).toBe(true);
  });

  it("sees each node at the address its connections leave from, one loopback /24 each, not at a header it sets", async () => {
    for (const [i, n] of net.nodes.entries()) {
      const info = await net.api<{ endpoint: { host: string; port: number } }>(`/api/nodes/${n.address}`);
      expect(info.endpoint).toEqual({ host: nodeAddress(i), port: n.port });
    }
  });

  it("lists each node in the swarm at its bound address: webtorrent's announces leave from it too", async () => {
    const t = net.dataset.find((d) => d.name === "retro-arcade-pack")!;
    const { passkey } = JSON.parse(readFileSync(join(runDir, "members", "member", "config.json"), "utf8")) as { passkey: string };
    const pct = (b: Uint8Array) => Array.from(b, (x) => `%${x.toString(16).padStart(2, "0")}`).join("");
    const q = `info_hash=${pct(Buffer.from(t.infoHash, "hex"))}&peer_id=${pct(Buffer.from("-qB4520-e2epeers0001"))}&port=6999&uploaded=0&downloaded=0&left=${t.length}&compact=1`;
    const res = await fetch(`${net.trackerUrl}/${passkey}/announce?${q}`);
    const body = asDict(decode(new Uint8Array(await res.arrayBuffer())), "announce");
    expect(body["failure reason"], String(body["failure reason"])).toBeUndefined();
    const peers = body.peers as Uint8Array;
    const hosts = new Set<string>();
    for (let o = 0; o + 6 <= peers.length; o += 6) hosts.add(`${peers[o]}.${peers[o + 1]}.${peers[o + 2]}.${peers[o + 3]}`);
    // node-1 and node-3 host it; their announces reach the edge from 127.0.1.1 and 127.0.3.1.
    expect(hosts).toContain(nodeAddress(0));
    expect(hosts).toContain(nodeAddress(2));
  });

  it("passes every challenge of the honest node and fails the node that deleted its data", async () => {
    const [honest, deleter] = net.nodes as [(typeof net.nodes)[0], (typeof net.nodes)[0]];
    rmSync(join(deleter.home, "data"), { recursive: true, force: true });
    challenges = [...(await net.runChallenges()), ...(await net.runChallenges())];
    const of = (a: Address) => challenges.filter((c) => c.node.toLowerCase() === a.toLowerCase());
    expect(of(honest.address).length).toBeGreaterThanOrEqual(4);
    expect(of(honest.address).every((c) => c.verdict === "pass")).toBe(true);
    expect(of(deleter.address).length).toBeGreaterThanOrEqual(4);
    expect(of(deleter.address).some((c) => c.verdict === "pass")).toBe(false);
  });

  it("commits the epoch on-chain; the deleter earns nothing and the honest node the epoch's emission", async () => {
    epoch = await net.closeEpoch();
    expect(epoch.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    const res = await net.api<{ root: Hex; leaves: { account: Address; cumulative: string }[] }>(`/api/epochs/${epoch.epoch}/leaves`);
    leaves = res.leaves;
    const [honest, deleter] = net.nodes;
    const leafOf = (a: Address) => leaves.find((l) => l.account.toLowerCase() === a.toLowerCase());
    expect(BigInt(leafOf(honest!.address)?.cumulative ?? 0)).toBeGreaterThan(0n);
    expect(BigInt(leafOf(deleter!.address)?.cumulative ?? 0)).toBe(0n);
    const status = await net.status(deleter!);
    expect(BigInt(status.epochs.find((e) => e.epoch === epoch.epoch)?.earned ?? "0")).toBe(0n);
    // `vidya get` signed upload receipts for the nodes it received from; the close published them.
    const inputs = await net.api<{ receipts?: { downloader: string; uploader: string; cumulative: string }[] }>(`/api/epochs/${epoch.epoch}/inputs`);
    const receipts = inputs.receipts ?? [];
    expect(receipts.length).toBeGreaterThanOrEqual(1);
    const nodeAddresses = new Set(net.nodes.map((n) => n.address.toLowerCase()));
    for (const r of receipts) {
      expect(r.downloader).toBe(memberAddress);
      expect(nodeAddresses.has(r.uploader)).toBe(true);
    }
    expect(receipts.reduce((n, r) => n + Number(r.cumulative), 0)).toBeGreaterThanOrEqual(downloadedBytes);
    // The published leaves rebuild the committed root.
    expect(buildRewardTree(epoch.epoch, leaves.map((l) => ({ account: l.account, cumulative: BigInt(l.cumulative) }))).root).toBe(epoch.root);
  });

  it("pays every node that passed a challenge, each replica on its own /24 counted (finding: node-2 passed 6/0 and earned 0 on one /24)", async () => {
    const passers = net.nodes.filter((n) => challenges.some((c) => c.node.toLowerCase() === n.address.toLowerCase() && c.verdict === "pass"));
    expect(passers.map((n) => n.name)).toEqual(["node-1", "node-3"]);
    for (const n of passers) {
      const leaf = leaves.find((l) => l.account.toLowerCase() === n.address.toLowerCase());
      expect(BigInt(leaf?.cumulative ?? 0), `${n.name} passed and must earn`).toBeGreaterThan(0n);
    }
  });

  it("gives the geo boost to the far-apart replicas of one torrent (local places via the dev stand-in for request.cf)", async () => {
    const boosts = await geoBoosts(net, epoch.epoch);
    const [n1, , n3] = net.nodes;
    // node-1 (Amsterdam) and node-3 (São Paulo) both hold retro-arcade-pack, far more than GEO_DISTANCE_KM apart.
    expect(boosts.get(n1!.address.toLowerCase())).toContain("far");
    expect(boosts.get(n3!.address.toLowerCase())).toContain("far");
    expect(boosts.has(net.nodes[1]!.address.toLowerCase())).toBe(false);
  });

  it("lets the honest node claim exactly its committed leaf on-chain", async () => {
    await net.waitFinal(epoch.epoch);
    const honest = net.nodes[0]!;
    claim = await net.claim(honest);
    const leaf = leaves.find((l) => l.account.toLowerCase() === honest.address.toLowerCase())!;
    expect(claim.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    const onChain = await net.claimedOnChain(honest.address);
    expect(onChain.claimed).toBe(BigInt(leaf.cumulative));
    // A new node's first claim holds back HOLDBACK_NEW_BPS as its bond, vesting (contracts/src/HeldEarnings.sol).
    expect(onChain.balance).toBe(BigInt(leaf.cumulative) - (BigInt(leaf.cumulative) * HOLDBACK_NEW_BPS) / 10_000n);
    expect((await net.claimedOnChain(net.nodes[1]!.address)).claimed).toBe(0n);
  });

  it("`vidya verify` recomputes the on-chain roots, the inputs hash and the leaves from the published inputs, re-derives every challenge and checks every receipt's signature", async () => {
    const v: VerifyResult = await net.verify(epoch.epoch);
    expect(v.verified).toBe(true);
    expect(v.inputsVerified).toBe(true);
    expect(v.evaluationVerified).toBe(true);
    expect(v.slashedVerified).toBe(true);
    expect(v.spentVerified).toBe(true);
    expect(v.challengesVerified).toBe(true);
    expect(v.recomputedRoot).toBe(epoch.root);
    expect(v.onChainRoot).toBe(epoch.root);
  });

  it("closes the next epoch by the cron alone while the network runs (finding: the cron never fired after the first epoch)", async () => {
    net.startCron(5_000);
    const next = await waitFor("the cron to close the next epoch", async () => (await net.epochs()).find((e) => e.epoch > epoch.epoch), 150_000, 2_000);
    expect(next.epoch).toBe(epoch.epoch + 1);
    expect(BigInt(next.totalEarned)).toBeGreaterThan(0n);
  });
});
