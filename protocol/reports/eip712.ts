// Signed reports (DESIGN.md): EIP-712 typed data with a chain id, a nonce and an expiry,
// signed by the node's or member's wallet. The edge is not a contract, so the domain has
// no verifyingContract; the chain id keeps a signature from replaying across networks.

import { verifyTypedData, type Address, type Hex, type LocalAccount } from "viem";

export const DOMAIN_NAME = "Vidya";
export const DOMAIN_VERSION = "1";

export function vidyaDomain(chainId: number) {
  return { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId } as const;
}

export const reportTypes = {
  NodeRegistration: [
    { name: "node", type: "address" },
    { name: "port", type: "uint16" },
    { name: "nonce", type: "uint64" },
    { name: "expiry", type: "uint64" },
  ],
  HostedSubset: [
    { name: "node", type: "address" },
    { name: "infoHashes", type: "bytes20[]" },
    { name: "nonce", type: "uint64" },
    { name: "expiry", type: "uint64" },
  ],
  MemberJoin: [
    { name: "member", type: "address" },
    { name: "nonce", type: "uint64" },
    { name: "expiry", type: "uint64" },
  ],
} as const;

export interface NodeRegistration { node: Address; port: number; nonce: bigint; expiry: bigint }
export interface HostedSubset { node: Address; infoHashes: Hex[]; nonce: bigint; expiry: bigint }
export interface MemberJoin { member: Address; nonce: bigint; expiry: bigint }

export interface ReportMessages {
  NodeRegistration: NodeRegistration;
  HostedSubset: HostedSubset;
  MemberJoin: MemberJoin;
}
export type ReportType = keyof ReportMessages;

/** The account a report speaks for: the field its signature must recover to. */
export function reportSigner<T extends ReportType>(type: T, message: ReportMessages[T]): Address {
  return type === "MemberJoin" ? (message as MemberJoin).member : (message as NodeRegistration | HostedSubset).node;
}

/** Longest a report may be valid for, so a leaked one cannot be replayed for long. */
export const MAX_REPORT_LIFETIME_SECONDS = 3_600n;

export async function signReport<T extends ReportType>(account: LocalAccount, chainId: number, type: T, message: ReportMessages[T]): Promise<Hex> {
  return account.signTypedData({ domain: vidyaDomain(chainId), types: reportTypes, primaryType: type, message } as never);
}

/** JSON carries uint64 fields as decimal strings. */
export function reportToJson<T extends ReportType>(message: ReportMessages[T]): Record<string, unknown> {
  return JSON.parse(JSON.stringify(message, (_, v) => (typeof v === "bigint" ? v.toString() : v)));
}

export class ReportError extends Error {
  override name = "ReportError";
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const UINT = /^[0-9]{1,20}$/;
function field<T>(cond: boolean, name: string, value: T): T {
  if (!cond) throw new ReportError(`invalid or missing field "${name}"`);
  return value;
}
function uint64(v: unknown, name: string): bigint {
  const s = typeof v === "number" ? String(v) : v;
  field(typeof s === "string" && UINT.test(s) && BigInt(s) < 2n ** 64n, name, s);
  return BigInt(s as string);
}
function address(v: unknown, name: string): Address {
  return field(typeof v === "string" && ADDRESS.test(v), name, (v as string).toLowerCase() as Address);
}

/** Parses the JSON form of a report strictly; throws ReportError naming the bad field. */
export function reportFromJson<T extends ReportType>(type: T, json: unknown): ReportMessages[T] {
  if (!json || typeof json !== "object") throw new ReportError("message must be an object");
  const j = json as Record<string, unknown>;
  const nonce = uint64(j.nonce, "nonce");
  const expiry = uint64(j.expiry, "expiry");
  if (type === "MemberJoin") return { member: address(j.member, "member"), nonce, expiry } as ReportMessages[T];
  const node = address(j.node, "node");
  if (type === "NodeRegistration") {
    const port = field(typeof j.port === "number" && Number.isInteger(j.port) && j.port > 0 && j.port < 65536, "port", j.port as number);
    return { node, port, nonce, expiry } as ReportMessages[T];
  }
  const list = field(Array.isArray(j.infoHashes) && j.infoHashes.length <= 10_000, "infoHashes", j.infoHashes as unknown[]);
  const infoHashes = list.map((h) => field(typeof h === "string" && /^0x[0-9a-fA-F]{40}$/.test(h), "infoHashes", (h as string).toLowerCase() as Hex));
  return { node, infoHashes, nonce, expiry } as ReportMessages[T];
}

/**
 * Verifies signature, signer and expiry. Nonce freshness (strictly greater than the last
 * accepted nonce of this signer and type) needs state, so the caller checks it.
 */
export async function verifyReport<T extends ReportType>(
  chainId: number,
  type: T,
  message: ReportMessages[T],
  signature: Hex,
  nowSeconds: bigint,
): Promise<Address> {
  if (message.expiry <= nowSeconds) throw new ReportError("report has expired");
  if (message.expiry > nowSeconds + MAX_REPORT_LIFETIME_SECONDS) throw new ReportError("report expiry is too far in the future");
  const signer = reportSigner(type, message);
  let ok = false;
  try {
    ok = await verifyTypedData({ address: signer, domain: vidyaDomain(chainId), types: reportTypes, primaryType: type, message, signature } as never);
  } catch {
    ok = false;
  }
  if (!ok) throw new ReportError("signature does not match the report's account");
  return signer;
}
