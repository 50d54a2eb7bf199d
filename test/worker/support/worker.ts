// Helpers for tests that drive the worker through its HTTP surface (SELF) and its D1.

import { SELF, env, runInDurableObject } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import type { LocalAccount } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { nextSeederAccount } from "./seeder-keys.ts";
import { asDict, decode, type BDict } from "../../../protocol/bencode.ts";
import { fromHex } from "../../../protocol/hex.ts";
import { signReport, reportToJson, type ReportMessages, type ReportType } from "../../../protocol/reports/eip712.ts";
import { db, schema } from "../../../worker/db/client.ts";
import { newPasskey } from "../../../worker/members/passkey.ts";
import { shardName, shardOf, type SwarmShard } from "../../../worker/swarm/shard.ts";
import type { Fixture } from "./fixture.ts";

export const ADMIN_TOKEN = "test-admin-token";
/** The worker's transcript key in tests (anvil's second well-known key, public). */
export const TRANSCRIPT_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
export const ORIGIN = "http://tracker.test";
export const CHAIN_ID = 31337;

export function call(path: string, init?: RequestInit): Promise<Response> {
  return SELF.fetch(ORIGIN + path, init);
}

export function admin(path: string, init: RequestInit = {}): Promise<Response> {
  return call(path, { method: "POST", ...init, headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, ...(init.headers ?? {}) } });
}

/** A member who joined long enough ago not to be a newcomer (announce/rules.ts NEWCOMER_MS), unless `joinedAt` says otherwise. */
export async function addMember(account: string, opts: { joinedAt?: number; inviter?: string } = {}): Promise<string> {
  const passkey = newPasskey();
  await db(env.DB)
    .insert(schema.members)
    .values({ account: account.toLowerCase(), passkey, admission: "invite", inviter: opts.inviter ?? null, createdAt: opts.joinedAt ?? Date.now() - 60 * 86_400_000 });
  return passkey;
}

/**
 * The clock announces carry (X-Test-Now, honoured because TEST_CLOCK=1): unless a test sets
 * `now`, each announce is 400 s after the previous one, past min interval and every window of
 * the duplicate lock, as real clients' announces are.
 */
let clock = Date.now();
export function tick(ms = 400_000): number {
  clock = Math.max(clock + ms, Date.now());
  return clock;
}

/**
 * A test torrent's recorded length, for tests of transfers larger than its small payload: the
 * tracker bounds `left` and a session's `downloaded` by it (protocol/accounting/bounds.ts). Set
 * it before the torrent's first announce, so the shards read it with the torrent.
 */
export async function declareLength(infoHash: string, length: number): Promise<void> {
  await env.DB.prepare("UPDATE torrents SET length = ? WHERE info_hash = ?").bind(length, infoHash).run();
}

export async function uploadTorrent(f: Pick<Fixture, "torrent" | "storageRoot">): Promise<Response> {
  return admin(`/api/torrents?storageRoot=${f.storageRoot}`, { body: f.torrent, headers: { "Content-Type": "application/x-bittorrent" } });
}

/** Every byte escaped, in the given hex case: what a strict client sends. */
export function pct(bytes: Uint8Array, upper = false): string {
  return Array.from(bytes, (b) => "%" + b.toString(16).padStart(2, "0")[upper ? "toUpperCase" : "toLowerCase"]()).join("");
}

export interface AnnounceArgs {
  infoHash: Uint8Array | string;
  peerId: Uint8Array;
  port?: number;
  uploaded?: number;
  downloaded?: number;
  left?: number;
  event?: string;
  ip?: string;
  extra?: string;
  /** The request's clock (ms); default: tick(). */
  now?: number;
}

export async function announce(passkey: string, a: AnnounceArgs): Promise<{ status: number; body: BDict }> {
  const ih = typeof a.infoHash === "string" ? fromHex(a.infoHash) : a.infoHash;
  const q = [
    `info_hash=${pct(ih)}`,
    `peer_id=${pct(a.peerId)}`,
    `port=${a.port ?? 6881}`,
    `uploaded=${a.uploaded ?? 0}`,
    `downloaded=${a.downloaded ?? 0}`,
    `left=${a.left ?? 0}`,
    a.extra?.includes("compact=") ? "" : "compact=1",
    a.event ? `event=${a.event}` : "",
    a.extra ?? "",
  ].filter(Boolean);
  const headers: Record<string, string> = { "X-Test-Now": String(a.now ?? tick()) };
  if (a.ip) headers["CF-Connecting-IP"] = a.ip;
  const res = await call(`/${passkey}/announce?${q.join("&")}`, { headers });
  return { status: res.status, body: asDict(decode(new Uint8Array(await res.arrayBuffer())), "announce response") };
}

export function peerId(tag: string): Uint8Array {
  const b = new TextEncoder().encode(`-qB4650-${tag}`.padEnd(20, "x").slice(0, 20));
  return b;
}

export async function signed<T extends ReportType>(account: LocalAccount, type: T, message: ReportMessages[T], extra: Record<string, unknown> = {}): Promise<RequestInit> {
  const signature = await signReport(account, CHAIN_ID, type, message);
  return { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ message: reportToJson(message), signature, ...extra }) };
}

export const nowSeconds = () => BigInt(Math.floor(Date.now() / 1000));

let actionSeq = 0n;
/** A fresh nonce for a member's MemberAction (strictly increasing within a test file). */
const actionNonce = () => BigInt(Date.now()) * 1_000n + ++actionSeq;

/** A signed MemberAction (invite, list-invites, reset-passkey) as the JSON API takes it. */
export function memberAction(wallet: LocalAccount, action: string, subject = `0x${"00".repeat(32)}`): Promise<RequestInit> {
  return signed(wallet, "MemberAction", { member: wallet.address, action, subject: subject as `0x${string}`, nonce: actionNonce(), expiry: nowSeconds() + 600n });
}

/** A member's upload through the API: the .torrent as the body, a MemberAction "upload" over its SHA-256 in headers. */
export async function signedUpload(wallet: LocalAccount, torrent: Uint8Array, query = "", as: LocalAccount = wallet): Promise<Response> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", torrent));
  const subject = `0x${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")}` as `0x${string}`;
  const message = { member: as.address, action: "upload", subject, nonce: actionNonce(), expiry: nowSeconds() + 600n };
  const signature = await signReport(wallet, CHAIN_ID, "MemberAction", message);
  return call(`/api/torrents/upload${query}`, {
    method: "POST",
    body: torrent,
    headers: { "Content-Type": "application/x-bittorrent", "X-Vidya-Action": JSON.stringify(reportToJson(message)), "X-Vidya-Signature": signature },
  });
}

/**
 * Makes these nodes proven, bonded hosts (worker/torrents/roots.ts): each passed a challenge in
 * a closed epoch. Epoch 0 is recorded as closed, so the open epoch stays 1.
 */
export async function proveHosts(nodes: string[], infoHash: string): Promise<void> {
  const d = db(env.DB);
  await d
    .insert(schema.epochs)
    .values({ epoch: 0, root: `0x${"00".repeat(32)}`, inputsHash: `0x${"00".repeat(32)}`, inputs: "{}", totalEarned: "0", leafCount: 0, closedAt: Date.now() })
    .onConflictDoNothing();
  for (const node of nodes)
    await env.DB.prepare(
      "INSERT INTO challenges (id, epoch, node, info_hash, host, port, blocks, started_at, duration_ms, verdict, reason, block_hashes, attempts) VALUES (?, 0, ?, ?, '127.0.0.1', 6881, '[]', ?, 40, 'pass', 'all blocks verified', '[]', 1)",
    )
      .bind(`proven-${node.toLowerCase()}-${infoHash}`, node.toLowerCase(), infoHash, Date.now())
      .run();
}

export function text(b: unknown): string {
  return new TextDecoder().decode(b as Uint8Array);
}

/** A fresh node registered at `port` on 127.0.0.1 (the edge's view locally), hosting one torrent. */
export async function registerHosting(port: number, infoHash: string): Promise<string> {
  // A key the test seeders hold, so the seeder on `port` can sign its answers as this node.
  const node = nextSeederAccount();
  const reg = await call("/api/nodes/register", await signed(node, "NodeRegistration", { node: node.address, port, nonce: 1n, expiry: nowSeconds() + 600n }));
  if (reg.status !== 200) throw new Error(`register: HTTP ${reg.status}`);
  const hosted = (await (await call("/api/nodes/hosted", await signed(node, "HostedSubset", { node: node.address, infoHashes: [`0x${infoHash}`], nonce: 1n, expiry: nowSeconds() + 600n }))).json()) as { hosted: string[] };
  if (hosted.hosted[0] !== infoHash) throw new Error("hosted subset not accepted");
  return node.address.toLowerCase();
}

/** Seals and sends the shard's pending accounting to D1 now (what its alarm does every FLUSH_MS). */
export async function flushShard(infoHash: string): Promise<void> {
  const stub = env.SWARM.get(env.SWARM.idFromName(shardName(shardOf(infoHash))));
  await runInDurableObject(stub, (shard: SwarmShard) => shard.flush());
}

/** Compact peers (BEP 23, BEP 7) as "ip:port" strings. */
export function peerList(body: BDict): string[] {
  const out: string[] = [];
  const v4 = (body.peers as Uint8Array | undefined) ?? new Uint8Array(0);
  for (let i = 0; i + 6 <= v4.length; i += 6) out.push(`${v4[i]}.${v4[i + 1]}.${v4[i + 2]}.${v4[i + 3]}:${(v4[i + 4]! << 8) | v4[i + 5]!}`);
  const v6 = (body.peers6 as Uint8Array | undefined) ?? new Uint8Array(0);
  for (let i = 0; i + 18 <= v6.length; i += 18) out.push(`[${Array.from(v6.slice(i, i + 16), (b) => b.toString(16).padStart(2, "0")).join("")}]:${(v6[i + 16]! << 8) | v6[i + 17]!}`);
  return out.sort();
}

/** The member's accounting rows for a torrent (one per peer id). */
export async function accountingRows(member: string, infoHash: string) {
  return db(env.DB)
    .select()
    .from(schema.accounting)
    .where(and(eq(schema.accounting.member, member.toLowerCase()), eq(schema.accounting.infoHash, infoHash)))
    .all();
}

/** Sums of a member's accounting rows for a torrent. */
export async function credited(member: string, infoHash: string) {
  const rows = await accountingRows(member, infoHash);
  const sum = (k: "uploaded" | "downloaded" | "creditedUploaded" | "creditedDownloaded" | "seedSeconds" | "announces") => rows.reduce((n, r) => n + r[k], 0);
  return {
    uploaded: sum("uploaded"),
    downloaded: sum("downloaded"),
    creditedUploaded: sum("creditedUploaded"),
    creditedDownloaded: sum("creditedDownloaded"),
    seedSeconds: sum("seedSeconds"),
    announces: sum("announces"),
  };
}
