// Helpers for tests that drive the worker through its HTTP surface (SELF) and its D1.

import { SELF, env } from "cloudflare:test";
import type { LocalAccount } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { asDict, decode, type BDict } from "../../../protocol/bencode.ts";
import { fromHex } from "../../../protocol/hex.ts";
import { signReport, reportToJson, type ReportMessages, type ReportType } from "../../../protocol/reports/eip712.ts";
import { db, schema } from "../../../worker/db/client.ts";
import { newPasskey } from "../../../worker/members/passkey.ts";
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

export async function addMember(account: string): Promise<string> {
  const passkey = newPasskey();
  await db(env.DB).insert(schema.members).values({ account: account.toLowerCase(), passkey, admission: "invite", createdAt: Date.now() });
  return passkey;
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
    "compact=1",
    a.event ? `event=${a.event}` : "",
    a.extra ?? "",
  ].filter(Boolean);
  const res = await call(`/${passkey}/announce?${q.join("&")}`, { headers: a.ip ? { "CF-Connecting-IP": a.ip } : {} });
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

export function text(b: unknown): string {
  return new TextDecoder().decode(b as Uint8Array);
}

/** A fresh node registered at `port` on 127.0.0.1 (the edge's view locally), hosting one torrent. */
export async function registerHosting(port: number, infoHash: string): Promise<string> {
  const node = privateKeyToAccount(generatePrivateKey());
  const reg = await call("/api/nodes/register", await signed(node, "NodeRegistration", { node: node.address, port, nonce: 1n, expiry: nowSeconds() + 600n }));
  if (reg.status !== 200) throw new Error(`register: HTTP ${reg.status}`);
  const hosted = (await (await call("/api/nodes/hosted", await signed(node, "HostedSubset", { node: node.address, infoHashes: [`0x${infoHash}`], nonce: 1n, expiry: nowSeconds() + 600n }))).json()) as { hosted: string[] };
  if (hosted.hosted[0] !== infoHash) throw new Error("hosted subset not accepted");
  return node.address.toLowerCase();
}
