// Adversarial nodes against the real edge (the worker in workerd) and a real anvil with the
// contracts: honest nodes are real webtorrent nodes (node/seed/host.ts); the adversaries are
// named in node/testing/adversaries.ts. Every challenge is the worker's own, over real TCP.
// Each node is seen by the edge on its own /24 (CF-Connecting-IP, as Cloudflare would set
// it), so v1 roots can be confirmed by independent nodes and no correlation multiplier
// applies. Scheduled rounds are off (CHALLENGE_ROUNDS=0): the test runs each round itself.

import { cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { parseUnits, type Address, type Hex } from "viem";
import { CHALLENGE_BLOCKS, EMISSION_PER_EPOCH, FRAUD_REWARD_BPS, FRAUD_SLASH, GEO_BOOST_BPS, ONE_TOKEN } from "../../protocol/params.ts";
import { reportToJson, signReport } from "../../protocol/reports/eip712.ts";
import { clients } from "../../scripts/network/chain.ts";
import { waitFor } from "../../scripts/network/processes.ts";
import { TrackerApi, type EpochSlashed, type IndexTorrent } from "../../node/api.ts";
import { epochRewardsAbi, erc20Abi, stakingAbi } from "../../node/chain/abi.ts";
import { startHosting, type RunningNode } from "../../node/seed/host.ts";
import { storageTreeOfPayload } from "../../node/storage/payload.ts";
import { storageRoot } from "../../protocol/merkle/storage-tree.ts";
import { toHex } from "../../protocol/hex.ts";
import { hybridFixture, makeFixture, type Fixture } from "../../node/testing/fixtures.ts";
import { startTestEdge, type TestEdge, type Transcript } from "../../node/testing/edge.ts";
import { fetchSeenFrom, startFlakyProxy, startForgingSeeder, startRelayNode, type FlakyProxy, type ForgingSeeder, type Forgery, type RelayNode } from "../../node/testing/adversaries.ts";
import { runVidya } from "../../node/testing/cli.ts";

const vidya = runVidya;

// Long enough for the deleter's dispute after the close (the edge's window equals it).
const DISPUTE_DELAY_SECONDS = 15n;
const FILES = [
  { path: "disc/game.bin", length: 70_000 },
  { path: "disc/notes.txt", length: 30_000 },
];

describe("adversarial nodes, challenged by the real edge", () => {
  let edge: TestEdge;
  let chain: NonNullable<TestEdge["chain"]>;
  let publicClient: ReturnType<typeof clients>["publicClient"];
  let deployer: ReturnType<typeof clients>["deployer"];
  let fx: Fixture;
  let chainId: number;
  const running: RunningNode[] = [];
  const stops: (() => Promise<unknown>)[] = [];
  /** Signed report bodies the honest node sent, by path: what an eavesdropper could replay. */
  const captured = new Map<string, string[]>();

  let honest: RunningNode;
  let corrupt: RunningNode;
  let deleter: RunningNode;
  let flakyNode: RunningNode;
  let flaky: FlakyProxy;
  let relay: RelayNode;
  let forger: ForgingSeeder;
  let hybrid: Fixture;
  let hybridHonest: RunningNode;
  let hybridCorrupt: RunningNode;
  const relayAccount = privateKeyToAccount(generatePrivateKey());
  const forgerAccount = privateKeyToAccount(generatePrivateKey());
  const honestAccount = privateKeyToAccount(generatePrivateKey());
  const corruptAccount = privateKeyToAccount(generatePrivateKey());
  const flakyAccount = privateKeyToAccount(generatePrivateKey());
  const deleterKey = generatePrivateKey();
  const deleterAccount = privateKeyToAccount(deleterKey);

  /** A real node on its own copy of a fixture's payload, seen by the edge at `ip`. */
  const startNode = async (name: string, ip: string, account = privateKeyToAccount(generatePrivateKey()), of: Fixture = fx) => {
    const dataDir = join(edge.dir, name, "data");
    await cp(join(of.dataDir, of.meta.name), join(dataDir, of.meta.name), { recursive: true });
    const record = (path: string, body: string | undefined) => body && captured.set(`${name}:${path}`, [...(captured.get(`${name}:${path}`) ?? []), body]);
    const n = await startHosting({ api: new TrackerApi(edge.url, fetchSeenFrom(ip, record)), account, dataDir, port: 0, storageCap: 10_000_000, interests: [of.meta.infoHash], fill: false });
    running.push(n);
    return n;
  };
  /** Registers an adversary's endpoint and a subset it claims to host, as a node would, seen at `ip`. */
  const pretendToHost = async (account: ReturnType<typeof privateKeyToAccount>, ip: string, port: number) => {
    const api = new TrackerApi(edge.url, fetchSeenFrom(ip));
    await api.register(account, chainId, port);
    expect((await api.reportHosted(account, chainId, [fx.meta.infoHash])).hosted).toEqual([fx.meta.infoHash]);
  };
  const round = async (node: string): Promise<Transcript> => {
    const ts = await edge.runChallenges(node);
    expect(ts).toHaveLength(1);
    return ts[0]!;
  };
  const read = <T>(address: Address, abi: unknown, functionName: string, args: unknown[] = []) =>
    publicClient.readContract({ address, abi: abi as typeof stakingAbi, functionName: functionName as "bondOf", args: args as [Address] }) as Promise<T>;
  const waitFinal = (epoch: bigint) =>
    waitFor(`epoch ${epoch} to become final`, async () => {
      // anvil mines on demand: a block moves its clock past the dispute delay.
      await publicClient.request({ method: "evm_mine" as never });
      return (await read<boolean>(chain.addresses.epochRewards, epochRewardsAbi, "isFinal", [epoch])) ? true : undefined;
    }, 30_000, 500);

  let sponsorHome: string;
  let keeperHome: string;

  beforeAll(async () => {
    // A silent try (the deleter's, the flaky proxy's first) ends at 5 s, not the edge's 10: still
    // well over the far relay's whole chain (~2 s), which must miss its budget, not the deadline.
    edge = await startTestEdge("adversarial-nodes", { chain: { disputeDelaySeconds: DISPUTE_DELAY_SECONDS }, vars: { CHALLENGE_ROUNDS: "0", CHALLENGE_DEADLINE_MS: "5000" } });
    chain = edge.chain!;
    ({ publicClient, deployer } = clients(chain));
    chainId = chain.chainId;
    fx = await makeFixture(join(edge.dir, "source"), "Arcade Archive", FILES);
    await edge.publish(fx);
    // A sponsor who bonds stake on nodes, and a keeper who executes slashes: anyone may.
    sponsorHome = join(edge.dir, "sponsor");
    keeperHome = join(edge.dir, "keeper");
    for (const home of [sponsorHome, keeperHome]) expect((await vidya(["--home", home, "node", "init", "--tracker", edge.url, "--port", "0"])).code).toBe(0);
    const addressOf = async (home: string) => privateKeyToAccount((JSON.parse(await readFile(join(home, "wallet.json"), "utf8")) as { privateKey: Hex }).privateKey).address;
    await chain.fund(await addressOf(sponsorHome), "1");
    await chain.fund(await addressOf(keeperHome), "1");
    const hash = await deployer.writeContract({ address: chain.addresses.token, abi: erc20Abi, functionName: "transfer", args: [await addressOf(sponsorHome), 200n * ONE_TOKEN] });
    await publicClient.waitForTransactionReceipt({ hash });
  }, 240_000);

  afterAll(async () => {
    for (const n of running) await n.stop().catch(() => {});
    for (const s of stops) await s().catch(() => {});
    await edge?.stop();
  });

  it("confirms the curator's v1 root once proven, bonded nodes on two subnets have checked the piece hashes and report it", async () => {
    const rootStatus = async () => (await edge.api<IndexTorrent & { rootStatus: string }>(`/api/torrents/${fx.meta.infoHash}`)).rootStatus;
    honest = await startNode("honest", "127.0.1.1", honestAccount);
    expect(honest.hosted.map((h) => h.infoHash)).toEqual([fx.meta.infoHash]);
    expect(await rootStatus()).toBe("published");
    corrupt = await startNode("corrupt", "127.0.2.1", corruptAccount);
    // Fresh keys move nothing (worker/torrents/roots.ts): a node must pass a challenge and be bonded.
    expect(await rootStatus()).toBe("published");
    expect(await round(honest.address)).toMatchObject({ verdict: "pass", host: "127.0.1.1", attempts: 1 });
    expect(await round(corrupt.address)).toMatchObject({ verdict: "pass", host: "127.0.2.1" });
    for (const n of [honest, corrupt]) {
      const r = await vidya(["--home", sponsorHome, "--json", "bond", "1", "--node", n.address]);
      expect(r.code, r.stderr).toBe(0);
    }
    // They report their roots again (as a node does on its next start), and now they count.
    const { storageRoot: root } = await edge.api<IndexTorrent>(`/api/torrents/${fx.meta.infoHash}`);
    for (const [account, ip] of [[honestAccount, "127.0.1.1"], [corruptAccount, "127.0.2.1"]] as const)
      await new TrackerApi(edge.url, fetchSeenFrom(ip)).reportRoots(account, chainId, [{ infoHash: fx.meta.infoHash, root }]);
    expect(await rootStatus()).toBe("confirmed");
  });

  it("fails a node that deleted a file of a torrent it still claims", async () => {
    deleter = await startNode("deleter", "127.0.3.1", deleterAccount);
    await rm(join(edge.dir, "deleter", "data", "Arcade Archive", "disc", "notes.txt"));
    const t = await round(deleter.address);
    expect(t.verdict).not.toBe("pass");
    expect(t.attempts).toBe(3);
    expect(t.tries.map((x) => x.verdict)).not.toContain("pass");
  });

  it("relays blocks from another node unnoticed next door (the trust model's limit), but misses the chain's budget when its source is 100 ms away (attack: relay)", async () => {
    // The relay signs the answers it relays with its own registered key, as a real relay would.
    relay = await startRelayNode({ infoHash: fx.meta.infoHash, upstream: { host: "127.0.0.1", port: honest.port }, delayMs: 0, account: relayAccount, root: toHex(storageRoot(fx.payload)) });
    stops.push(() => relay.close());
    await pretendToHost(relayAccount, "127.0.4.1", relay.port);
    // A relay next door is indistinguishable from a copy: proofs of hosting prove access, not a distinct disk.
    expect(await round(relayAccount.address)).toMatchObject({ verdict: "pass" });
    expect(relay.relayed.blocks).toBe(CHALLENGE_BLOCKS);
    expect(relay.relayed.proofs).toBe(1);
    // One internet round trip to its source per chained block overruns the per-block budget.
    relay.delayMs = 100;
    const slow = await round(relayAccount.address);
    // Not retried: the retry would ask for the same chain, which the relay has fetched by then.
    expect(slow).toMatchObject({ verdict: "timeout", attempts: 1, tries: [] });
    expect(slow.reason).toMatch(/over their budget/);
  });

  it("fails a node answering through another node's port: the answer is signed with the other node's key (attack: port sharing)", async () => {
    const borrower = privateKeyToAccount(generatePrivateKey());
    await pretendToHost(borrower, "127.0.4.2", honest.port);
    const t = await round(borrower.address);
    expect(t).toMatchObject({ verdict: "refused", nodeSignature: expect.stringMatching(/^0x/) });
    expect(t.reason).toMatch(/not signed by node/);
  });

  it("lets anyone audit with `vidya audit`: the same chained challenge passes the honest node with its signature and fails the far relay (attack: relay)", async () => {
    const audit = (node: string) => vidya(["--home", join(edge.dir, "auditor"), "--json", "audit", node, "--torrent", fx.meta.infoHash, "--tracker", edge.url]);
    const ok = await audit(honest.address);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const a = JSON.parse(ok.stdout);
    expect(a).toMatchObject({ verdict: "pass", node: honest.address.toLowerCase(), infoHash: fx.meta.infoHash });
    expect(a.blocks).toHaveLength(CHALLENGE_BLOCKS);
    expect(a.nodeSignature).toMatch(/^0x[0-9a-f]{130}$/);
    // The relay's source is still 100 ms away (the relay test above).
    const far = await audit(relayAccount.address);
    expect(far.code).toBe(1);
    expect(JSON.parse(far.stdout)).toMatchObject({ verdict: "timeout" });
  });

  it("rejects forged merkle paths: another block's path, a truncated path, a path in another tree", async () => {
    const tree = await storageTreeOfPayload(fx.dataDir, fx.meta);
    const otherFx = await makeFixture(join(edge.dir, "other-data"), "Arcade Archive", FILES);
    const other = await storageTreeOfPayload(otherFx.dataDir, otherFx.meta);
    const dataDir = join(edge.dir, "forger", "data");
    await cp(join(fx.dataDir, "Arcade Archive"), join(dataDir, "Arcade Archive"), { recursive: true });
    forger = await startForgingSeeder({ torrentFile: fx.torrentFile, dataDir, tree, other, forgery: "another block's path" });
    stops.push(() => forger.stop());
    await pretendToHost(forgerAccount, "127.0.5.1", forger.port);
    for (const forgery of ["another block's path", "truncated path", "path in another tree"] as Forgery[]) {
      forger.forgery = forgery;
      const t = await round(forgerAccount.address);
      expect(t, forgery).toMatchObject({ verdict: "fail", attempts: 3 });
      expect(t.reason).toMatch(/does not verify/);
      // It never signs its answers: the fail rests on the edge's word, so it is recorded without a node signature (a miss, not fraud).
      expect((t as Transcript & { nodeSignature?: string | null }).nodeSignature, forgery).toBeNull();
    }
  });

  it("does not penalise an honest node whose first try met a transient timeout: the retry passes", async () => {
    flakyNode = await startNode("flaky", "127.0.6.1", flakyAccount);
    flaky = await startFlakyProxy({ host: "127.0.0.1", port: flakyNode.port }, { silentFirst: 1 });
    stops.push(() => flaky.close());
    // The node's endpoint is now the proxy: the edge's first connection meets silence.
    await new TrackerApi(edge.url, fetchSeenFrom("127.0.6.1")).register(flakyAccount, chainId, flaky.port);
    const t = await round(flakyNode.address);
    expect(t).toMatchObject({ verdict: "pass", attempts: 2 });
    expect(t.tries.map((x) => x.verdict)).toEqual(["timeout"]);
    expect(flaky.connections).toBe(2);
  });

  it("rejects a real node's signed reports replayed, and one expired", async () => {
    const hosted = captured.get("honest:/api/nodes/hosted")!;
    const roots = captured.get("honest:/api/nodes/roots")!;
    expect(hosted.length).toBeGreaterThan(0);
    expect(roots.length).toBeGreaterThan(0);
    for (const [path, body] of [["/api/nodes/hosted", hosted.at(-1)!], ["/api/nodes/roots", roots.at(-1)!]] as const) {
      const res = await fetch(`${edge.url}${path}`, { method: "POST", headers: { "content-type": "application/json", "CF-Connecting-IP": "127.0.1.1" }, body });
      expect(res.status, path).toBe(409);
      expect(await res.json()).toMatchObject({ error: { code: "stale_nonce" } });
    }
    // A report signed with a fresh nonce but an expiry in the past is refused as well.
    const message = { node: honestAccount.address, infoHashes: [] as Hex[], nonce: BigInt(Date.now()) * 10n, expiry: BigInt(Math.floor(Date.now() / 1000) - 1) };
    const expired = await fetch(`${edge.url}/api/nodes/hosted`, {
      method: "POST",
      headers: { "content-type": "application/json", "CF-Connecting-IP": "127.0.1.1" },
      body: JSON.stringify({ message: reportToJson(message), signature: await signReport(honestAccount, chainId, "HostedSubset", message) }),
    });
    expect(expired.status).toBe(400);
    expect(await expired.json()).toMatchObject({ error: { code: "invalid_report", message: expect.stringMatching(/expired/) } });
    // Neither changed what the node hosts.
    expect((await edge.api<{ hosted: string[] }>(`/api/nodes/${honest.address}`)).hosted).toEqual([fx.meta.infoHash]);
  });

  it("hosts a hybrid torrent (BEP 52) in its files' own trees; a corrupted copy is fraud at once, its roots committed by the info hash", async () => {
    hybrid = await hybridFixture(join(edge.dir, "hybrid-source"));
    expect(await edge.publish(hybrid)).toMatchObject({ version: "hybrid", rootStatus: "confirmed" });
    hybridHonest = await startNode("hybrid-honest", "127.0.7.1", undefined, hybrid);
    hybridCorrupt = await startNode("hybrid-corrupt", "127.0.8.1", undefined, hybrid);
    for (const n of [hybridHonest, hybridCorrupt]) expect(n.hosted.map((h) => h.infoHash)).toEqual([hybrid.meta.infoHash]);
    for (const f of hybrid.meta.v2Files!) await writeFile(join(edge.dir, "hybrid-corrupt", "data", hybrid.meta.name, ...f.path.split("/")), randomBytes(f.length));
    const good = await round(hybridHonest.address);
    expect(good).toMatchObject({ verdict: "pass", infoHash: hybrid.meta.infoHash, attempts: 1 });
    // Checked in one file's tree, against that file's pieces root from the info dict.
    expect(hybrid.meta.v2Files!.map((f) => f.piecesRoot)).toContain(good.root);
    expect(good.file).not.toBeNull();
    const bad = await round(hybridCorrupt.address);
    expect(bad).toMatchObject({ verdict: "fail", attempts: 3 });
    expect(bad.reason).toMatch(/does not verify/);
  });

  /** The deleter disputes its failed transcript of epoch 1 with `vidya dispute` (inside the window). */
  async function disputeAsDeleter(): Promise<string> {
    const home = join(edge.dir, "deleter-home");
    await mkdir(home, { recursive: true });
    await writeFile(join(home, "wallet.json"), JSON.stringify({ privateKey: deleterKey }), { mode: 0o600 });
    await writeFile(join(home, "config.json"), JSON.stringify({ tracker: edge.url }), { mode: 0o600 });
    let r = await vidya(["--home", home, "--json", "dispute", "--epoch", "1"]);
    expect(r.code, r.stderr).toBe(0);
    const failed = (JSON.parse(r.stdout) as { failed: { id: Hex; infoHash: string; signedByEdge: boolean }[] }).failed;
    expect(failed).toEqual([expect.objectContaining({ infoHash: fx.meta.infoHash, signedByEdge: true })]);
    r = await vidya(["--home", home, "--json", "dispute", failed[0]!.id, "--epoch", "1", "--reason", "the disk was remounted read-only for a minute"]);
    expect(r.code, r.stderr).toBe(0);
    const listed = await edge.api<{ disputes: { node: string; transcriptId: string; reason: string }[] }>("/api/epochs/1/disputes");
    expect(listed.disputes).toEqual([expect.objectContaining({ node: deleterAccount.address.toLowerCase(), transcriptId: failed[0]!.id, reason: "the disk was remounted read-only for a minute" })]);
    // Only its own transcripts: another node's id is refused before anything is signed.
    const other = await vidya(["--home", home, "dispute", `0x${"ab".repeat(32)}`, "--epoch", "1", "--reason", "x"]);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/no transcript/);
    return home;
  }

  it("slashes the node that served corrupted blocks against the confirmed root, and the bond pays it on-chain after the dispute delay", async () => {
    const c = corrupt.address as Address;
    let r = await vidya(["--home", sponsorHome, "--json", "bond", "80", "--node", c]);
    expect(r.code, r.stderr).toBe(0);
    // 1 bonded when it was proven (first test) and 80 now.
    expect(JSON.parse(r.stdout)).toMatchObject({ node: c, amount: parseUnits("80", 18).toString(), bond: parseUnits("81", 18).toString() });
    // Overwrite the payload in place (same sizes): every block it serves is wrong.
    for (const f of FILES) await writeFile(join(edge.dir, "corrupt", "data", "Arcade Archive", ...f.path.split("/")), randomBytes(f.length));
    const t = await round(c);
    expect(t).toMatchObject({ verdict: "fail", attempts: 3 });
    expect(t.reason).toMatch(/does not verify/);

    const closed = await edge.closeEpoch();
    expect(closed.epoch).toBe(1);
    expect(closed.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    // The node that lost its file disputes its failed transcript while the window is open (the
    // window ends when the roots become final: protocol/epoch/dispute-window.ts).
    await disputeAsDeleter();
    const slashed = await edge.api<EpochSlashed>("/api/epochs/1/slashed");
    const leaf = (a: string) => slashed.leaves.find((l) => l.account === a.toLowerCase())?.cumulative;
    // Fraud (a failing answer the node signed, against a confirmed root) is slashed; a miss is not, the first time.
    expect(leaf(c)).toBe(FRAUD_SLASH.toString());
    expect(leaf(hybridCorrupt.address)).toBe(FRAUD_SLASH.toString());
    for (const a of [honest.address, deleter.address, relayAccount.address, flakyNode.address, hybridHonest.address, forgerAccount.address]) expect(leaf(a), a).toBeUndefined();
    const penalty = (a: string) => slashed.penalties.find((p) => p.node === a.toLowerCase());
    expect(penalty(c)).toMatchObject({ frauds: 1, missed: 0, correlationBps: "10000" });
    expect(penalty(deleter.address)).toMatchObject({ frauds: 0, missed: 1, slashed: "0" });
    expect(penalty(relayAccount.address)).toMatchObject({ frauds: 0, missed: 1, slashed: "0" });
    // The forger's paths failed (three forgeries, three challenges) but it signed nothing: misses,
    // never fraud on the edge's word alone (attack: edge brands an honest node a fraud without its signature).
    expect(penalty(forgerAccount.address)).toMatchObject({ frauds: 0, missed: 3, slashed: "0" });
    expect(penalty(honest.address)).toBeUndefined();
    expect(penalty(flakyNode.address)).toBeUndefined();
    // Only the honest nodes and the one with a transient timeout earn; the last two alike but for
    // the first-seeders' boost (+15% for the first third of a torrent's counted seeders, by
    // seniority then address: both proved it first in this epoch).
    const earned = await edge.api<{ leaves: { account: string; cumulative: string }[] }>("/api/epochs/1/leaves");
    const paid = new Map(earned.leaves.map((l) => [l.account, BigInt(l.cumulative)]));
    expect([...paid.keys()].sort()).toEqual([honest.address, flakyNode.address, hybridHonest.address].map((a) => a.toLowerCase()).sort());
    const [lo, hi] = [paid.get(flakyNode.address.toLowerCase())!, paid.get(honest.address.toLowerCase())!].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    const boosted = (lo! * (10_000n + GEO_BOOST_BPS)) / 10_000n;
    expect(hi! - boosted <= 2n && boosted - hi! <= 2n).toBe(true);
    for (const v of paid.values()) expect(v).toBeGreaterThan(0n);
    expect([...paid.values()].reduce((a, b) => a + b, 0n)).toBeLessThanOrEqual(EMISSION_PER_EPOCH);
    const onChain = await read<{ slashedRoot: Hex }>(chain.addresses.epochRewards, epochRewardsAbi, "rootOf", [1n]);
    expect(onChain.slashedRoot).toBe(slashed.slashedRoot);

    // Inside the dispute window nothing can be executed.
    r = await vidya(["--home", keeperHome, "slash", c]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no epoch is final yet/);

    await waitFinal(1n);
    const supply = await read<bigint>(chain.addresses.token, erc20Abi, "totalSupply");
    r = await vidya(["--home", keeperHome, "--json", "slash"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { epoch: number; slashes: { node: string; amount: string; owed: string; bondAfter: string; txHash: string | null; message: string }[] };
    const of = (a: string) => out.slashes.find((s) => s.node.toLowerCase() === a.toLowerCase())!;
    expect(out.epoch).toBe(1);
    expect(of(c)).toMatchObject({ amount: FRAUD_SLASH.toString(), owed: "0", bondAfter: (81n * ONE_TOKEN - FRAUD_SLASH).toString() });
    expect(of(c).txHash).toMatch(/^0x[0-9a-f]{64}$/);
    // The corrupted hybrid node has no bond: its slash stays owed, and no transaction is sent for it.
    expect(of(hybridCorrupt.address)).toMatchObject({ amount: "0", owed: FRAUD_SLASH.toString(), txHash: null });
    expect(of(hybridCorrupt.address).message).toMatch(/no bond/);
    expect(out.slashes.find((s) => s.node.toLowerCase() === forgerAccount.address.toLowerCase())).toBeUndefined();
    expect(await read<bigint>(chain.addresses.staking, stakingAbi, "bondOf", [c])).toBe(81n * ONE_TOKEN - FRAUD_SLASH);
    expect(await read<bigint>(chain.addresses.staking, stakingAbi, "slashExecutedOf", [c])).toBe(FRAUD_SLASH);
    // Slashed stake is burnt.
    expect(await read<bigint>(chain.addresses.token, erc20Abi, "totalSupply")).toBe(supply - FRAUD_SLASH);
    // Executing again takes nothing more.
    r = await vidya(["--home", keeperHome, "--json", "slash", c]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).slashes[0]).toMatchObject({ amount: "0", txHash: null });
  });

  it("refuses a dispute once the window closed with the roots' finality (attack: disputes accepted after the guardian can no longer disable the root)", async () => {
    const r = await vidya(["--home", join(edge.dir, "deleter-home"), "--json", "dispute", "--epoch", "1"]);
    expect(r.code, r.stderr).toBe(0);
    const failed = (JSON.parse(r.stdout) as { failed: { id: Hex }[] }).failed;
    const late = await vidya(["--home", join(edge.dir, "deleter-home"), "dispute", failed[0]!.id, "--epoch", "1", "--reason", "too late"]);
    expect(late.code).not.toBe(0);
    expect(late.stderr).toMatch(/dispute window of epoch 1 ended/);
  });

  it("takes at most the bond: a second fraud leaves the rest owed", async () => {
    const c = corrupt.address as Address;
    expect(await round(c)).toMatchObject({ verdict: "fail" });
    expect(await round(honest.address)).toMatchObject({ verdict: "pass" });
    expect((await edge.closeEpoch()).epoch).toBe(2);
    await waitFinal(2n);
    const r = await vidya(["--home", keeperHome, "--json", "slash", c, "--epoch", "2"]);
    expect(r.code, r.stderr).toBe(0);
    const bondLeft = 81n * ONE_TOKEN - FRAUD_SLASH;
    expect(JSON.parse(r.stdout).slashes[0]).toMatchObject({ cumulative: (2n * FRAUD_SLASH).toString(), amount: bondLeft.toString(), owed: (2n * FRAUD_SLASH - 81n * ONE_TOKEN).toString(), bondAfter: "0" });
    expect(await read<bigint>(chain.addresses.staking, stakingAbi, "bondOf", [c])).toBe(0n);
    expect(await read<bigint>(chain.addresses.staking, stakingAbi, "slashExecutedOf", [c])).toBe(81n * ONE_TOKEN);
  });

  it("lets a third party's audit catch the corrupted node's signed block and slash it on-chain with `vidya slash <evidence>`, rewarding the submitter once (attack: serving corrupted data)", async () => {
    const c = corrupt.address as Address;
    // Its bond was emptied above; a sponsor bonds again.
    let r = await vidya(["--home", sponsorHome, "--json", "bond", "60", "--node", c]);
    expect(r.code, r.stderr).toBe(0);
    const evidence = join(edge.dir, "auditor", "evidence.json");
    r = await vidya(["--home", join(edge.dir, "auditor"), "--json", "audit", c, "--torrent", fx.meta.infoHash, "--source", `127.0.0.1:${honest.port}`, "--evidence", evidence, "--tracker", edge.url]);
    expect(r.code).toBe(1);
    const a = JSON.parse(r.stdout);
    expect(a).toMatchObject({ verdict: "fail", evidence });
    expect(a.reason).toMatch(/the node signed it/);
    const file = JSON.parse(await readFile(evidence, "utf8"));
    expect(file).toMatchObject({ kind: "vidya.fraud-evidence/1", chainId, position: 0, answer: { node: c.toLowerCase(), infoHash: `0x${fx.meta.infoHash}` } });
    // The honest node's audit writes none.
    r = await vidya(["--home", join(edge.dir, "auditor"), "--json", "audit", honest.address, "--torrent", fx.meta.infoHash, "--source", `127.0.0.1:${honest.port}`, "--tracker", edge.url]);
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: "pass", evidence: null });

    const keeper = privateKeyToAccount((JSON.parse(await readFile(join(keeperHome, "wallet.json"), "utf8")) as { privateKey: Hex }).privateKey).address;
    const [supply, keeperBefore] = await Promise.all([read<bigint>(chain.addresses.token, erc20Abi, "totalSupply"), read<bigint>(chain.addresses.token, erc20Abi, "balanceOf", [keeper])]);
    r = await vidya(["--home", keeperHome, "--json", "slash", evidence]);
    expect(r.code, r.stderr).toBe(0);
    const reward = (FRAUD_SLASH * FRAUD_REWARD_BPS) / 10_000n;
    const out = JSON.parse(r.stdout) as { frauds: { node: string; amount: string; reward: string; txHash: string | null; message: string }[] };
    expect(out.frauds[0]).toMatchObject({ node: c, amount: FRAUD_SLASH.toString(), reward: reward.toString(), txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
    expect(await read<bigint>(chain.addresses.staking, stakingAbi, "bondOf", [c])).toBe(60n * ONE_TOKEN - FRAUD_SLASH);
    expect(await read<bigint>(chain.addresses.token, erc20Abi, "balanceOf", [keeper])).toBe(keeperBefore + reward);
    expect(await read<bigint>(chain.addresses.token, erc20Abi, "totalSupply")).toBe(supply - (FRAUD_SLASH - reward));
    // The same evidence again takes nothing and sends nothing.
    r = await vidya(["--home", keeperHome, "--json", "slash", evidence]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).frauds[0]).toMatchObject({ amount: "0", txHash: null, message: expect.stringMatching(/already slashed/) });
    expect(await read<bigint>(chain.addresses.staking, stakingAbi, "bondOf", [c])).toBe(60n * ONE_TOKEN - FRAUD_SLASH);
  });

  it("`vidya verify` recomputes both roots and re-derives every challenge of both epochs", async () => {
    const forced = new Map<string, number>();
    for (const epoch of ["1", "2"]) {
      const r = await vidya(["--home", join(edge.dir, "anyone"), "--json", "verify", epoch, "--tracker", edge.url, "--allow-forced"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const v = JSON.parse(r.stdout);
      expect(v).toMatchObject({ verified: true, slashedVerified: true, inputsVerified: true, evaluationVerified: true, challengesVerified: true });
      expect(v.challenges).toMatchObject({ seedRevealed: true, underived: [], inconsistent: [], unsigned: [], unproven: [], unanchored: [] });
      forced.set(epoch, v.challenges.forced.length);
    }
    // A forced round whose latest block happens to be the first at or after its due time (a
    // transaction of this suite mined in between) is anchored, not forced: count both epochs.
    const [epoch, most] = [...forced].sort((x, y) => y[1] - x[1])[0]!;
    expect(most).toBeGreaterThan(0);
    // Forced rounds ran on the latest block, not the first at or after their due time: without
    // --allow-forced, verify rejects every one (attack: a transcript made with a chosen past block).
    const strict = await vidya(["--home", join(edge.dir, "anyone"), "--json", "verify", epoch, "--tracker", edge.url]);
    expect(strict.code).toBe(1);
    const s = JSON.parse(strict.stdout);
    expect(s).toMatchObject({ verified: true, challengesVerified: false });
    expect(s.challenges.unanchored.length).toBeGreaterThan(0);
    expect(s.challenges.forced).toEqual([]);
  });
});
