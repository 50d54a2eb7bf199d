// The whole Vidya network on one machine: anvil with the contracts, the worker in workerd
// (wrangler dev, local D1 and Durable Objects), seeding nodes and a member, each driven
// through the real `vidya` CLI. Used by `npm start` and by the end-to-end test.

import { cpSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { erc20Abi, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { epochRewardsAbi, stakingAbi } from "../../contracts/abi.ts";
import { uniswapV3PoolAbi } from "../../contracts/uniswap-abi.ts";
import { priceFromSqrtX96, vidyaIsToken0 } from "../../protocol/market/price.ts";
import { ProcessGroup, freePort, run, waitFor, type Managed } from "./processes.ts";
import { ROOT, bin, clients, startChain, type LocalChain } from "./chain.ts";
import { startEdge, type ApiInit, type Edge } from "./edge.ts";
import { SAMPLE_CATEGORY, generateDataset, type SampleTorrent } from "./dataset.ts";

export interface NetworkOptions {
  /** Working folder for this run: logs, node homes, local D1 state. Wiped at start. */
  dir: string;
  /** Folder of the generated sample dataset (kept between runs: it is deterministic). */
  datasetDir: string;
  /** For each node, the names of the sample torrents it hosts. */
  nodes: string[][];
  disputeDelaySeconds?: number;
  /** The worker's EPOCH_SECONDS (default 60: an epoch a minute). */
  epochSeconds?: number;
  /** The worker's CHALLENGE_DEADLINE_MS (default the protocol's): tests shorten it to wait out a silent node sooner. */
  challengeDeadlineMs?: number;
  log?: (line: string) => void;
  /** The `vidya` command the nodes and members run (default: node/cli.ts under the repository's Node 24). */
  vidya?: string[];
}

/**
 * Each local node's stand-in for where Cloudflare would see it (worker/nodes/routes.ts
 * edgeLocation, honoured only under LOCAL_DEV=1): far apart, so the geo boost shows.
 */
export const NODE_PLACES: { city: string; latLon: string }[] = [
  { city: "Amsterdam", latLon: "52.37,4.90" },
  { city: "Tokyo", latLon: "35.68,139.69" },
  { city: "São Paulo", latLon: "-23.55,-46.63" },
  { city: "Sydney", latLon: "-33.87,151.21" },
  { city: "Nairobi", latLon: "-1.29,36.82" },
  { city: "Toronto", latLon: "43.65,-79.38" },
];

/** Whether this machine can open a socket on `address` (a loopback alias may be missing). */
function canBind(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(0, address, () => srv.close(() => resolve(true)));
  });
}

/** Node i's own loopback /24 (127.1.0.0/24 is node 1's, …): one proven replica per /24 counts. */
export const nodeAddress = (i: number): string => `127.0.${i + 1}.1`;

export interface RunningNode {
  name: string;
  home: string;
  address: Address;
  port: number;
  /** The loopback address its connections leave from: the host the edge sees. */
  bindAddress: string;
  place: string;
  hosts: SampleTorrent[];
  process: Managed;
}

export interface Member {
  name: string;
  home: string;
  address: Address;
  /** When it joined with ETH only: its swap-stake-join transaction and the ETH the swap took (gas apart). */
  /** With `buy`: the one transaction, the ETH it spent, and what it left staked and paid as join fee (read from Staking). */
  bought?: { tx: Hex; paidEth: bigint; staked: bigint; joinFee: bigint };
}

const CLI = join(ROOT, "node", "cli.ts");

export class LocalNetwork {
  readonly group: ProcessGroup;
  readonly opts: NetworkOptions;
  chain!: LocalChain;
  edge!: Edge;
  trackerUrl!: string;
  adminToken!: string;
  dataset!: SampleTorrent[];
  nodes: RunningNode[] = [];
  private readonly log: (line: string) => void;
  private readonly vidya: string[];

  private constructor(opts: NetworkOptions) {
    this.opts = opts;
    this.log = opts.log ?? (() => {});
    this.vidya = opts.vidya ?? [bin("node"), CLI];
    rmSync(opts.dir, { recursive: true, force: true });
    mkdirSync(opts.dir, { recursive: true });
    this.group = new ProcessGroup(join(opts.dir, "logs"));
  }

  static async start(opts: NetworkOptions): Promise<LocalNetwork> {
    const net = new LocalNetwork(opts);
    try {
      await net.boot();
    } catch (e) {
      await net.stop();
      throw e;
    }
    return net;
  }

  private async boot(): Promise<void> {
    this.log("generating the sample dataset");
    this.dataset = await generateDataset(this.opts.datasetDir);
    this.log("starting anvil and deploying the contracts");
    this.chain = await startChain(this.group, { disputeDelaySeconds: BigInt(this.opts.disputeDelaySeconds ?? 5) });
    // anvil mines only on transactions; a public chain makes a block every few seconds. A round's
    // randomness is the first block at or after its due time, so without blocks scheduled rounds
    // would wait for the next transaction: an empty block every 2 s, as a chain's heartbeat.
    const rpcUrl = this.chain.rpcUrl;
    this.heartbeat = setInterval(() => {
      void fetch(rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "evm_mine", params: [] }) })
        .then((r) => r.body?.cancel())
        .catch(() => {});
    }, 2_000);
    this.log("starting the worker in workerd");
    await this.startEdge();
    this.log("publishing the sample torrents to the index");
    for (const t of this.dataset) await this.publish(t);
    for (let i = 0; i < this.opts.nodes.length; i++) await this.startNode(`node-${i + 1}`, this.opts.nodes[i]!);
  }

  private async startEdge(): Promise<void> {
    const vars: Record<string, string> = { EPOCH_SECONDS: String(this.opts.epochSeconds ?? 60) };
    if (this.opts.challengeDeadlineMs !== undefined) vars.CHALLENGE_DEADLINE_MS = String(this.opts.challengeDeadlineMs);
    this.edge = await startEdge(this.group, { dir: this.opts.dir, chain: this.chain, vars });
    this.trackerUrl = this.edge.url;
    this.adminToken = this.edge.adminToken;
  }

  async api<T>(path: string, init: ApiInit = {}): Promise<T> {
    return this.edge.api<T>(path, init);
  }

  private async publish(t: SampleTorrent): Promise<void> {
    await this.api(`/api/torrents?storageRoot=${t.storageRoot}&category=${SAMPLE_CATEGORY[t.name] ?? "other"}`, {
      method: "POST",
      admin: true,
      headers: { "content-type": "application/x-bittorrent" },
      body: readFileSync(t.torrentPath),
    });
  }

  /** Runs `vidya --home <home> …args` and returns its stdout; throws with its output on failure. */
  async cli(home: string, args: string[], timeoutMs = 300_000): Promise<string> {
    const [cmd, ...pre] = this.vidya;
    const { stdout } = await run(cmd!, [...pre, "--home", home, ...args], { cwd: ROOT, timeoutMs, env: { NO_COLOR: "1" } });
    return stdout;
  }

  private walletAddress(home: string): Address {
    // Read only to learn the address; the key itself is never printed or passed on.
    const { privateKey } = JSON.parse(readFileSync(join(home, "wallet.json"), "utf8")) as { privateKey: Hex };
    return privateKeyToAccount(privateKey).address;
  }

  async startNode(name: string, torrentNames: string[]): Promise<RunningNode> {
    this.log(`starting ${name} hosting ${torrentNames.join(", ")}`);
    const home = join(this.opts.dir, "nodes", name);
    const port = await freePort();
    const i = this.nodes.length;
    // Linux routes all of 127/8 to loopback; macOS has only 127.0.0.1 unless aliased
    // (`sudo ifconfig lo0 alias 127.0.2.1`): there the nodes share one /24, as before.
    const bindAddress = (await canBind(nodeAddress(i))) ? nodeAddress(i) : "127.0.0.1";
    if (bindAddress !== nodeAddress(i)) this.log(`warning: cannot bind ${nodeAddress(i)}; ${name} connects from 127.0.0.1 and shares its /24 with the others`);
    const place = NODE_PLACES[i % NODE_PLACES.length]!;
    // --no-fill: each node hosts the subset it is given, not what pays most (the demo's replicas stay as set).
    await this.cli(home, ["node", "init", "--tracker", this.trackerUrl, "--port", String(port), "--bind", bindAddress, "--no-fill"]);
    const address = this.walletAddress(home);
    await this.chain.fund(address, "10"); // gas for its claims
    const hosts = torrentNames.map((n) => {
      const t = this.dataset.find((d) => d.name === n);
      if (!t) throw new Error(`no sample torrent named ${n}`);
      cpSync(join(t.dataDir, t.name), join(home, "data", t.name), { recursive: true });
      return t;
    });
    const [cmd, ...pre] = this.vidya;
    const proc = this.group.start(name, cmd!, [...pre, "--home", home, "node", "start"], { cwd: ROOT, env: { VIDYA_DEV_LOCATION: place.latLon } });
    await waitFor(`${name} to report its hosted subset`, async () => {
      if (proc.child.exitCode !== null) throw new Error(`${name} exited; see ${proc.logPath}`);
      const s = await this.api<{ hosted: string[] }>(`/api/nodes/${address}`);
      return s.hosted.length === hosts.length ? true : undefined;
    }, 120_000, 500);
    const node = { name, home, address, port, bindAddress, place: place.city, hosts, process: proc };
    this.nodes.push(node);
    return node;
  }

  /**
   * A member with a fresh wallet, joined through `vidya join`. By default the genesis holder
   * gives it what joining by stake costs now (GET /api/members/access: the gate stake and the join
   * fee); with `buy` it starts with ETH only and `vidya join --buy` buys both on Uniswap, stakes the
   * one and pays the other in one transaction (HostingRouter.buyStake), as a newcomer would.
   */
  async joinMember(name: string, opts: { buy?: boolean } = {}): Promise<Member> {
    const home = join(this.opts.dir, "members", name);
    await this.cli(home, ["wallet", "init"]);
    const address = this.walletAddress(home);
    await this.chain.fund(address, "10");
    const { publicClient, deployer } = clients(this.chain);
    if (!opts.buy) {
      const access = (await (await fetch(`${this.trackerUrl}/api/members/access`)).json()) as { gateStake: string; joinFee: string };
      const tx = await deployer.writeContract({ address: this.chain.addresses.token, abi: erc20Abi, functionName: "transfer", args: [address, BigInt(access.gateStake) + BigInt(access.joinFee)] });
      await publicClient.waitForTransactionReceipt({ hash: tx });
      await this.cli(home, ["join", "--tracker", this.trackerUrl]);
      return { name, home, address };
    }
    const before = await publicClient.getBalance({ address });
    const { stakeTxs } = JSON.parse(await this.cli(home, ["--json", "join", "--tracker", this.trackerUrl, "--buy"])) as { stakeTxs: Hex[] };
    const receipt = await publicClient.waitForTransactionReceipt({ hash: stakeTxs[0]! });
    const paidEth = before - (await publicClient.getBalance({ address })) - receipt.gasUsed * receipt.effectiveGasPrice;
    const [staked, joinFee] = await Promise.all(
      (["stakeOf", "joinFeePaidOf"] as const).map((functionName) => publicClient.readContract({ address: this.chain.addresses.staking, abi: stakingAbi, functionName, args: [address] })),
    );
    return { name, home, address, bought: { tx: stakeTxs[0]!, paidEth, staked: staked!, joinFee: joinFee! } };
  }

  /** The VIDYA/WETH pool's spot price (slot0): wei of ETH per VIDYA. */
  async poolPrice(): Promise<bigint> {
    const { publicClient } = clients(this.chain);
    const [sqrtPriceX96] = await publicClient.readContract({ address: this.chain.market.pool, abi: uniswapV3PoolAbi, functionName: "slot0" });
    return priceFromSqrtX96(sqrtPriceX96, vidyaIsToken0(this.chain.addresses.token, this.chain.market.weth));
  }

  async download(member: Member, infoHash: string, outDir: string): Promise<string> {
    return this.cli(member.home, ["get", infoHash, "--out", outDir], 300_000);
  }

  /**
   * wrangler dev fires the cron only on request (`--test-scheduled`): hit /__scheduled every
   * `everyMs` as Cloudflare's `* * * * *` would, so epochs keep closing while the network runs.
   * A minute and half a second: a tick's time is when wrangler got the request, so at exactly
   * 60 s the jitter would leave every other 60 s epoch a few ms short and open a minute more.
   */
  startCron(everyMs = 60_500): void {
    if (this.cron) return;
    const fire = () => {
      void fetch(`${this.trackerUrl}/__scheduled?cron=${encodeURIComponent("* * * * *")}`)
        .then((r) => r.body?.cancel())
        .catch((e: Error) => this.log(`cron: ${e.message}`));
    };
    this.cron = setInterval(fire, everyMs);
    fire();
  }

  private cron: ReturnType<typeof setInterval> | undefined;

  /** The closed epochs, oldest first (GET /api/epochs). */
  async epochs(): Promise<EpochInfo[]> {
    return this.api<EpochInfo[]>("/api/epochs");
  }

  async runChallenges(): Promise<ChallengeTranscript[]> {
    const r = await this.api<{ results: ChallengeTranscript[] }>("/admin/challenges/run", { method: "POST", admin: true });
    return r.results;
  }

  async closeEpoch(): Promise<EpochInfo> {
    return this.api<EpochInfo>("/admin/epochs/close", { method: "POST", admin: true });
  }

  /** Waits out the dispute delay; anvil mines on demand, so a block is mined to move its clock. */
  async waitFinal(epoch: number): Promise<void> {
    const { publicClient } = clients(this.chain);
    await waitFor(`epoch ${epoch} to become final`, async () => {
      await publicClient.request({ method: "evm_mine" as never });
      const final = await publicClient.readContract({ address: this.chain.addresses.epochRewards, abi: epochRewardsAbi, functionName: "isFinal", args: [BigInt(epoch)] });
      return final ? true : undefined;
    }, 120_000, 1_000);
  }

  async claim(node: RunningNode): Promise<ClaimResult> {
    return JSON.parse(await this.cli(node.home, ["claim", "--json"])) as ClaimResult;
  }

  async verify(epoch: number): Promise<VerifyResult> {
    const home = this.nodes[0]?.home ?? join(this.opts.dir, "verifier");
    // Development networks force rounds (POST /admin/challenges/run): allowed, and counted.
    return JSON.parse(await this.cli(home, ["verify", String(epoch), "--json", "--allow-forced"])) as VerifyResult;
  }

  async status(node: RunningNode): Promise<NodeStatus> {
    return this.api<NodeStatus>(`/api/nodes/${node.address}`);
  }

  /** What `address` claimed from EpochRewards, its token balance, and the part of its claims held back as its bond (HeldEarnings). */
  async claimedOnChain(address: Address): Promise<{ claimed: bigint; balance: bigint; held: bigint }> {
    const { publicClient } = clients(this.chain);
    const [claimed, balance, held] = await Promise.all([
      publicClient.readContract({ address: this.chain.addresses.epochRewards, abi: epochRewardsAbi, functionName: "claimedOf", args: [address] }),
      publicClient.readContract({ address: this.chain.addresses.token, abi: erc20Abi, functionName: "balanceOf", args: [address] }),
      publicClient.readContract({ address: this.chain.addresses.epochRewards, abi: epochRewardsAbi, functionName: "heldOf", args: [address] }),
    ]);
    const [unvested, vested] = held as readonly [bigint, bigint, bigint];
    return { claimed: claimed as bigint, balance, held: unvested + vested };
  }

  private heartbeat: ReturnType<typeof setInterval> | undefined;

  async stop(): Promise<void> {
    clearInterval(this.cron);
    clearInterval(this.heartbeat);
    await this.group.stopAll();
  }
}

export interface ChallengeTranscript {
  node: string;
  infoHash: string;
  verdict: string;
  reason?: string;
  durationMs?: number;
}
export interface EpochInfo {
  epoch: number;
  root: Hex;
  inputsHash: Hex;
  txHash: Hex | null;
  totalEarned: string;
  leafCount: number;
}
export interface ClaimResult {
  epoch: number;
  account: Address;
  amount: string;
  cumulative: string;
  txHash: Hex | null;
}
export interface VerifyResult {
  epoch: number;
  recomputedRoot: Hex;
  onChainRoot: Hex;
  verified: boolean;
  slashedVerified: boolean;
  spentVerified: boolean;
  inputsVerified: boolean;
  evaluationVerified: boolean;
  challengesVerified: boolean;
}
export interface NodeStatus {
  node: string;
  hosted: string[];
  hostedBytes: number;
  epochs: { epoch: number; passed: number; failed: number; earned: string }[];
  cumulativeEarned: string;
}
