// Typed client of the worker's HTTP API (docs/interfaces.md "Worker HTTP API"). Errors carry
// the API's `{ error: { code, message } }` so the CLI can print what went wrong.

import type { Address, Hex, LocalAccount } from "viem";
import type { Transcript } from "../protocol/challenge/transcript.ts";
import type { Overdue } from "../protocol/epoch/overdue.ts";
import type { CheckAnswer } from "../protocol/net/reachability.ts";
import type { Dispute, HostedSubset, FetchSubset, MemberAction, MemberJoin, NodeCheck, NodeRegistration, ReportMessages, ReportType, StorageRoots } from "../protocol/reports/eip712.ts";

export interface ChainInfo {
  chainId: number;
  /** The tracker's public RPC URL (its PUBLIC_RPC_URL); null when it publishes none: pass --rpc or set rpcUrl in config.json. */
  rpcUrl: string | null;
  token: Address;
  staking: Address;
  epochRewards: Address;
  /** The key that signs challenge transcripts; null when the edge keeps them unsigned. */
  transcriptSigner?: Address | null;
  bounties?: Address | null;
  /** The token's market (GET /api/chain; contracts/uniswap.ts): null or absent where the deployment has none. */
  weth?: Address | null;
  uniswapRouter?: Address | null;
  uniswapQuoter?: Address | null;
  vidyaWethPool?: Address | null;
  poolFee?: number;
  hostingRouter?: Address | null;
}

export interface IndexTorrent {
  infoHash: string;
  name: string;
  length: number;
  pieceLength: number;
  storageRoot: string;
  files: { path: string; length: number }[];
  version?: "v1" | "v2" | "hybrid";
  /** v2 and hybrid torrents (BEP 52): the per-file roots, the commitment instead of `storageRoot`. */
  v2Files?: { path: string; length: number; piecesRoot?: string; offset: number }[];
}

export interface NodeInfo {
  node: Address;
  endpoint?: { host: string; port: number } | null;
  hosted: string[];
  hostedBytes?: number;
  epochs: { epoch: number; passed: number; failed: number; earned: string }[];
  cumulativeEarned: string;
  claimed?: string;
  /** The node's last dial-back check (absent from edges older than it). */
  lastCheck?: { checkedAt: number; verdict: string | null; reason: string | null } | null;
}

export interface EpochInfo {
  epoch: number;
  root: Hex;
  inputsHash: Hex;
  txHash?: Hex | null;
  totalEarned: string;
  closedAt: string | number;
  leafCount: number;
}

export interface EpochLeaves {
  epoch: number;
  root: Hex;
  leaves: { account: Address; cumulative: string }[];
}

/** GET /api/epochs/:epoch/slashed: the slashed tree's leaves and what made this epoch's. */
export interface EpochSlashed {
  epoch: number;
  slashedRoot: Hex;
  leaves: { account: Address; cumulative: string }[];
  penalties: { node: string; subnet: string | null; missed: number; frauds: number; streak: number; faultFee: string; fraudSlash: string; faultyInSubnet: number; correlationBps: string; slashed: string }[];
  faults: { node: string; streak: number }[];
}

export interface EpochProof {
  epoch: number;
  account: Address;
  cumulative: string;
  proof: Hex[];
}

/** GET /api/hosting/offers: what hosting each torrent is expected to pay (protocol/hosting/offers.ts). */
export interface HostingOffer {
  infoHash: string;
  name: string;
  length: number;
  provenReplicas: number;
  hostedReplicas: number;
  replicas: number;
  mine: boolean;
  scarcityWeight: number;
  surgeMultiplier: number;
  bountyPerEpoch: string;
  expectedRewardPerGB: string;
}

export interface HostingOffers {
  basis: "epoch" | "hosted";
  epoch: number | null;
  hostingPool: string;
  provenBytes: string;
  node: string | null;
  offers: HostingOffer[];
}

/** GET /api/epochs/open: the open epoch, when it is due to close, and whether an epoch is overdue and why. */
export interface OpenEpoch {
  epoch: number;
  openedAt: number;
  closesAt: number;
  /** Absent from edges older than this field. */
  overdue?: Overdue;
}

export class ApiError extends Error {
  override name = "ApiError";
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Reports live ten minutes: long enough for a slow link, short enough not to matter if leaked. */
export const REPORT_LIFETIME_SECONDS = 600n;

export class TrackerApi {
  readonly base: string;
  private readonly fetchImpl: typeof fetch;

  constructor(base: string, fetchImpl: typeof fetch = fetch) {
    this.base = base.replace(/\/+$/, "");
    this.fetchImpl = fetchImpl;
  }

  private async request(method: string, path: string, body?: unknown): Promise<Response> {
    let res: Response;
    try {
      res = await this.fetchImpl(this.base + path, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(0, "unreachable", `cannot reach the tracker at ${this.base}: ${(e as Error).message}`);
    }
    if (!res.ok) {
      let code = `http_${res.status}`;
      let message = `${method} ${redact(path)} failed with HTTP ${res.status}`;
      try {
        const j = (await res.json()) as { error?: { code?: string; message?: string } };
        if (j.error?.code) code = j.error.code;
        if (j.error?.message) message = `${message}: ${j.error.message}`;
      } catch {
        // not JSON: keep the status line
      }
      throw new ApiError(res.status, code, message);
    }
    return res;
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request(method, path, body);
    try {
      return (await res.json()) as T;
    } catch {
      throw new ApiError(res.status, "bad_json", `${method} ${redact(path)}: the tracker answered with something other than JSON`);
    }
  }

  chain(): Promise<ChainInfo> {
    return this.json("GET", "/api/chain");
  }

  /** What joining by stake costs now (worker/economics/access.ts): the gate stake and the join fee, wei as decimal strings. */
  access(): Promise<{ route: string; gateBps: string; gateStake: string; joinFee: string; setBy: number; saturationBps: string }> {
    return this.json("GET", "/api/members/access");
  }

  torrents(): Promise<IndexTorrent[]> {
    return this.json("GET", "/api/torrents");
  }

  torrent(infoHash: string): Promise<IndexTorrent> {
    return this.json("GET", `/api/torrents/${infoHash}`);
  }

  /** The .torrent with `announce` set to this passkey's announce URL. */
  async torrentFile(passkey: string, infoHash: string): Promise<Uint8Array> {
    const res = await this.request("GET", `/${passkey}/torrent/${infoHash}`);
    return new Uint8Array(await res.arrayBuffer());
  }

  announceUrl(passkey: string): string {
    return `${this.base}/${passkey}/announce`;
  }

  node(address: Address): Promise<NodeInfo> {
    return this.json("GET", `/api/nodes/${address.toLowerCase()}`);
  }

  /** With `node`, that node's own replicas are not counted against it. */
  hostingOffers(node?: Address): Promise<HostingOffers> {
    return this.json("GET", `/api/hosting/offers${node ? `?node=${node.toLowerCase()}` : ""}`);
  }

  /** An upload receipt signed by its downloader (protocol/reports/eip712.ts UploadReceipt). */
  async submitReceipt(message: Record<string, string>, signature: string): Promise<void> {
    await this.request("POST", "/api/receipts", { message, signature });
  }

  openEpoch(): Promise<OpenEpoch> {
    return this.json("GET", "/api/epochs/open");
  }

  /** GET /api/epochs/overdue: whether an epoch is overdue and why, answered even when no epoch is open. */
  epochOverdue(): Promise<Overdue> {
    return this.json("GET", "/api/epochs/overdue");
  }

  epochs(): Promise<EpochInfo[]> {
    return this.json("GET", "/api/epochs");
  }

  epoch(n: number | bigint): Promise<EpochInfo> {
    return this.json("GET", `/api/epochs/${n}`);
  }

  epochLeaves(n: number | bigint): Promise<EpochLeaves> {
    return this.json("GET", `/api/epochs/${n}/leaves`);
  }

  epochInputs(n: number | bigint): Promise<Record<string, unknown> & { inputsHash: Hex }> {
    return this.json("GET", `/api/epochs/${n}/inputs`);
  }

  /** The published inputs file named by its hash (the inputsHash on-chain), byte for byte; undefined when the tracker has none (epochs closed before R2). */
  async epochInputsFile(hash: Hex): Promise<string | undefined> {
    try {
      return await (await this.request("GET", `/api/epochs/files/inputs/${hash.toLowerCase()}`)).text();
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  epochProof(n: number | bigint, account: Address): Promise<EpochProof> {
    return this.json("GET", `/api/epochs/${n}/proof/${account.toLowerCase()}`);
  }

  /** A node's signed challenge transcripts of an epoch (default: the open one). */
  transcripts(address: Address, epoch?: number | bigint): Promise<{ node: string; epoch: number; transcripts: Transcript[] }> {
    return this.json("GET", `/api/nodes/${address.toLowerCase()}/transcripts${epoch !== undefined ? `?epoch=${epoch}` : ""}`);
  }

  /** Records a signed dispute of one of the node's transcripts, within the epoch's dispute window. */
  dispute(account: LocalAccount, chainId: number, d: { epoch: number | bigint; transcriptId: Hex; reason: string }): Promise<{ dispute: { id: string; epoch: number; node: string; transcriptId: string; reason: string; receivedAt: number } }> {
    const message: Dispute = { node: account.address, epoch: BigInt(d.epoch), transcriptId: d.transcriptId, reason: d.reason, ...freshness() };
    return this.signed("/api/disputes", account, chainId, "Dispute", message);
  }

  epochSlashed(n: number | bigint): Promise<EpochSlashed> {
    return this.json("GET", `/api/epochs/${n}/slashed`);
  }

  /** Members' cumulative spending: the leaves of the epoch's spent tree. */
  epochSpent(n: number | bigint): Promise<{ epoch: number; spentRoot: Hex; leaves: { account: Address; cumulative: string }[] }> {
    return this.json("GET", `/api/epochs/${n}/spent`);
  }

  /** A node's cumulative slashed leaf and its proof against the epoch's slashed root. */
  slashedProof(n: number | bigint, account: Address): Promise<EpochProof> {
    return this.json("GET", `/api/epochs/${n}/slashed/proof/${account.toLowerCase()}`);
  }

  private async signed<T extends ReportType, R>(path: string, account: LocalAccount, chainId: number, type: T, message: ReportMessages[T], extra: Record<string, unknown> = {}): Promise<R> {
    // Loaded when signing: viem's typed-data code would slow every command's start-up.
    const { reportToJson, signReport } = await import("../protocol/reports/eip712.ts");
    const signature = await signReport(account, chainId, type, message);
    return this.json("POST", path, { ...extra, message: reportToJson(message), signature });
  }

  register(account: LocalAccount, chainId: number, port: number): Promise<{ node: Address; passkey: string; endpoint: { host: string; port: number } }> {
    const message: NodeRegistration = { node: account.address, port, ...freshness() };
    return this.signed("/api/nodes/register", account, chainId, "NodeRegistration", message);
  }

  /** Asks the edge to dial this node back as a challenge would (POST /api/nodes/check). */
  checkNode(account: LocalAccount, chainId: number): Promise<CheckAnswer> {
    const message: NodeCheck = { node: account.address, ...freshness() };
    return this.signed("/api/nodes/check", account, chainId, "NodeCheck", message);
  }

  reportHosted(account: LocalAccount, chainId: number, infoHashes: string[]): Promise<{ node: Address; hosted: string[] }> {
    const message: HostedSubset = { node: account.address, infoHashes: infoHashes.map((h) => `0x${h.toLowerCase()}` as Hex), ...freshness() };
    return this.signed("/api/nodes/hosted", account, chainId, "HostedSubset", message);
  }

  /**
   * What the node is about to fetch (or check on disk) to host: its tracker key covers these
   * (their .torrent files and swarms) as well as its hosted subset.
   */
  reportFetching(account: LocalAccount, chainId: number, infoHashes: string[]): Promise<{ node: Address; fetching: string[] }> {
    const message: FetchSubset = { node: account.address, infoHashes: infoHashes.map((h) => `0x${h.toLowerCase()}` as Hex), ...freshness() };
    return this.signed("/api/nodes/fetching", account, chainId, "FetchSubset", message);
  }

  /**
   * Storage roots computed from payloads whose v1 piece hashes were checked: each confirms the
   * curator's root when it agrees, contests it when it does not (docs/interfaces.md).
   */
  reportRoots(account: LocalAccount, chainId: number, roots: { infoHash: string; root: string }[]): Promise<{ node: Address; accepted: { infoHash: string; root: string; rootStatus: string }[] }> {
    const message: StorageRoots = {
      node: account.address,
      infoHashes: roots.map((r) => `0x${r.infoHash.toLowerCase()}` as Hex),
      roots: roots.map((r) => `0x${r.root.toLowerCase()}` as Hex),
      ...freshness(),
    };
    return this.signed("/api/nodes/roots", account, chainId, "StorageRoots", message);
  }

  /**
   * POST /api/torrents/upload: a member's .torrent, raw, with its details in the query and a
   * MemberAction "upload" in headers whose subject is the body's SHA-256 (worker/members/actions.ts).
   */
  async upload(account: LocalAccount, chainId: number, torrent: Uint8Array, details: { storageRoot?: string; category?: string; description?: string }): Promise<IndexTorrent & { status: string }> {
    const { reportToJson, signReport } = await import("../protocol/reports/eip712.ts");
    const { sha256 } = await import("@noble/hashes/sha2.js");
    const { toHex } = await import("../protocol/hex.ts");
    const message: MemberAction = { member: account.address, action: "upload", subject: `0x${toHex(sha256(torrent))}`, ...freshness() };
    const signature = await signReport(account, chainId, "MemberAction", message);
    const query = new URLSearchParams(Object.entries(details).filter((e): e is [string, string] => typeof e[1] === "string" && e[1] !== ""));
    const path = `/api/torrents/upload${query.size ? `?${query}` : ""}`;
    let res: Response;
    try {
      res = await this.fetchImpl(this.base + path, {
        method: "POST",
        headers: { "content-type": "application/x-bittorrent", "X-Vidya-Action": JSON.stringify(reportToJson(message)), "X-Vidya-Signature": signature },
        body: torrent as Uint8Array<ArrayBuffer>,
      });
    } catch (e) {
      throw new ApiError(0, "unreachable", `cannot reach the tracker at ${this.base}: ${(e as Error).message}`);
    }
    const body = (await res.json().catch(() => undefined)) as (IndexTorrent & { status: string; error?: { code: string; message: string } }) | undefined;
    if (!res.ok || !body) throw new ApiError(res.status, body?.error?.code ?? `http_${res.status}`, `upload failed with HTTP ${res.status}${body?.error ? `: ${body.error.message}` : ""}`);
    return body;
  }

  join(account: LocalAccount, chainId: number, invite?: string): Promise<{ account: Address; passkey: string }> {
    const message: MemberJoin = { member: account.address, ...freshness() };
    return this.signed("/api/members/join", account, chainId, "MemberJoin", message, invite ? { invite } : {});
  }
}

let lastNonce = 0n;
/** Nonce = milliseconds since the epoch, strictly increasing within this process. */
function freshness(): { nonce: bigint; expiry: bigint } {
  let nonce = BigInt(Date.now());
  if (nonce <= lastNonce) nonce = lastNonce + 1n;
  lastNonce = nonce;
  return { nonce, expiry: BigInt(Math.floor(Date.now() / 1000)) + REPORT_LIFETIME_SECONDS };
}

/** Never echo a passkey into an error message. */
function redact(path: string): string {
  return path.replace(/^\/[^/]+\/(torrent|announce|scrape)/, "/<passkey>/$1");
}
