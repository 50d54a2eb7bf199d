// Signed reports (DESIGN.md): EIP-712 typed data with a chain id, a nonce and an expiry,
// signed by the node's or member's wallet. The edge is not a contract, so the domain has
// no verifyingContract; the chain id keeps a signature from replaying across networks.

import { recoverAddress, verifyTypedData, type Address, type Hex, type LocalAccount } from "viem";
import { challengeAnswerDigest } from "./answer-digest.ts";
import type { Transcript, UnsignedTranscript } from "../challenge/transcript.ts";

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
  /**
   * What a node is about to fetch (or check on disk) to host: its tracker key covers these
   * torrents as well as its hosted subset, for a while (FETCH_ACCESS_SECONDS).
   */
  FetchSubset: [
    { name: "node", type: "address" },
    { name: "infoHashes", type: "bytes20[]" },
    { name: "nonce", type: "uint64" },
    { name: "expiry", type: "uint64" },
  ],
  /**
   * A member's account action through the API (an invite, a passkey reset, an upload): the
   * passkey authorises tracker use only, so these need the wallet's signature. `subject`
   * binds the action's content (an upload's SHA-256; zero when there is none).
   */
  MemberAction: [
    { name: "member", type: "address" },
    { name: "action", type: "string" },
    { name: "subject", type: "bytes32" },
    { name: "nonce", type: "uint64" },
    { name: "expiry", type: "uint64" },
  ],
  /**
   * The storage roots a node computed from payloads whose v1 piece hashes it checked: the
   * edge confirms a curator's root when ROOT_CONFIRMATIONS distinct nodes agree with it.
   */
  StorageRoots: [
    { name: "node", type: "address" },
    { name: "infoHashes", type: "bytes20[]" },
    { name: "roots", type: "bytes32[]" },
    { name: "nonce", type: "uint64" },
    { name: "expiry", type: "uint64" },
  ],
  /** A node asks the edge to dial it back as a challenge would (`vidya node check`). */
  NodeCheck: [
    { name: "node", type: "address" },
    { name: "nonce", type: "uint64" },
    { name: "expiry", type: "uint64" },
  ],
  /** A node contests one of its transcripts within the epoch's dispute window. */
  Dispute: [
    { name: "node", type: "address" },
    { name: "epoch", type: "uint64" },
    { name: "transcriptId", type: "bytes32" },
    { name: "reason", type: "string" },
    { name: "nonce", type: "uint64" },
    { name: "expiry", type: "uint64" },
  ],
} as const;

export interface NodeRegistration { node: Address; port: number; nonce: bigint; expiry: bigint }
export interface HostedSubset { node: Address; infoHashes: Hex[]; nonce: bigint; expiry: bigint }
export interface MemberJoin { member: Address; nonce: bigint; expiry: bigint }
export interface FetchSubset { node: Address; infoHashes: Hex[]; nonce: bigint; expiry: bigint }
export interface MemberAction { member: Address; action: string; subject: Hex; nonce: bigint; expiry: bigint }
/** The actions a MemberAction may name. */
export const MEMBER_ACTIONS = ["invite", "list-invites", "reset-passkey", "upload"] as const;
export interface StorageRoots { node: Address; infoHashes: Hex[]; roots: Hex[]; nonce: bigint; expiry: bigint }
export interface NodeCheck { node: Address; nonce: bigint; expiry: bigint }
export interface Dispute { node: Address; epoch: bigint; transcriptId: Hex; reason: string; nonce: bigint; expiry: bigint }

export interface ReportMessages {
  NodeRegistration: NodeRegistration;
  HostedSubset: HostedSubset;
  MemberJoin: MemberJoin;
  FetchSubset: FetchSubset;
  MemberAction: MemberAction;
  StorageRoots: StorageRoots;
  Dispute: Dispute;
  NodeCheck: NodeCheck;
}
export type ReportType = keyof ReportMessages;

/** The account a report speaks for: the field its signature must recover to. */
export function reportSigner<T extends ReportType>(type: T, message: ReportMessages[T]): Address {
  return type === "MemberJoin" || type === "MemberAction" ? (message as MemberJoin).member : (message as NodeRegistration | HostedSubset | StorageRoots | Dispute | NodeCheck).node;
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
  if (type === "MemberAction") {
    const action = field(typeof j.action === "string" && (MEMBER_ACTIONS as readonly string[]).includes(j.action), "action", j.action as string);
    const subject = field(typeof j.subject === "string" && /^0x[0-9a-fA-F]{64}$/.test(j.subject), "subject", (j.subject as string).toLowerCase() as Hex);
    return { member: address(j.member, "member"), action, subject, nonce, expiry } as ReportMessages[T];
  }
  const node = address(j.node, "node");
  if (type === "NodeRegistration") {
    const port = field(typeof j.port === "number" && Number.isInteger(j.port) && j.port > 0 && j.port < 65536, "port", j.port as number);
    return { node, port, nonce, expiry } as ReportMessages[T];
  }
  if (type === "NodeCheck") return { node, nonce, expiry } as ReportMessages[T];
  if (type === "Dispute") {
    const epoch = uint64(j.epoch, "epoch");
    const transcriptId = field(typeof j.transcriptId === "string" && /^0x[0-9a-fA-F]{64}$/.test(j.transcriptId), "transcriptId", (j.transcriptId as string).toLowerCase() as Hex);
    const reason = field(typeof j.reason === "string" && j.reason.length <= 2_000, "reason", j.reason as string);
    return { node, epoch, transcriptId, reason, nonce, expiry } as ReportMessages[T];
  }
  const list = field(Array.isArray(j.infoHashes) && j.infoHashes.length <= 10_000, "infoHashes", j.infoHashes as unknown[]);
  const infoHashes = list.map((h) => field(typeof h === "string" && /^0x[0-9a-fA-F]{40}$/.test(h), "infoHashes", (h as string).toLowerCase() as Hex));
  if (type === "StorageRoots") {
    const rootList = field(Array.isArray(j.roots) && j.roots.length === infoHashes.length, "roots", j.roots as unknown[]);
    const roots = rootList.map((r) => field(typeof r === "string" && /^0x[0-9a-fA-F]{64}$/.test(r), "roots", (r as string).toLowerCase() as Hex));
    return { node, infoHashes, roots, nonce, expiry } as ReportMessages[T];
  }
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

// Challenge transcripts, signed by the edge's transcript key (TRANSCRIPT_PRIVATE_KEY, else the
// chain poster's key). Every field of the published transcript is signed; the signature
// makes the edge answerable for what it published (DESIGN.md "Trust model").

export const transcriptTypes = {
  ChallengeTranscript: [
    { name: "id", type: "bytes32" },
    { name: "epoch", type: "uint64" },
    { name: "node", type: "address" },
    { name: "round", type: "uint32" },
    { name: "infoHash", type: "bytes20" },
    { name: "host", type: "string" },
    { name: "port", type: "uint16" },
    { name: "blockNumber", type: "uint64" },
    { name: "blockHash", type: "bytes32" },
    { name: "hostedHash", type: "bytes32" },
    { name: "file", type: "int32" },
    { name: "root", type: "bytes32" },
    { name: "treeLength", type: "uint64" },
    { name: "offset", type: "uint64" },
    { name: "blocks", type: "uint32[]" },
    { name: "startedAt", type: "uint64" },
    { name: "durationMs", type: "uint32" },
    { name: "verdict", type: "string" },
    { name: "reason", type: "string" },
    { name: "blockHashes", type: "bytes32[]" },
    { name: "proofHash", type: "bytes32" },
    { name: "attempts", type: "uint8" },
    { name: "tries", type: "ChallengeTry[]" },
    { name: "nonce", type: "bytes32" },
    { name: "answeredAt", type: "uint64" },
    { name: "nodeSignature", type: "bytes" },
  ],
  ChallengeTry: [
    { name: "verdict", type: "string" },
    { name: "reason", type: "string" },
    { name: "startedAt", type: "uint64" },
    { name: "durationMs", type: "uint32" },
  ],
} as const;

const ZERO32 = `0x${"00".repeat(32)}` as Hex;
const hex0x = (h: string): Hex => (h.startsWith("0x") ? h : `0x${h}`).toLowerCase() as Hex;

/** The typed-data message of a transcript: absent values as zero (file −1), hashes as 0x hex. */
export function transcriptMessage(t: UnsignedTranscript) {
  return {
    id: t.id,
    epoch: BigInt(t.epoch),
    node: t.node as Address,
    round: t.round,
    infoHash: hex0x(t.infoHash),
    host: t.host,
    port: t.port,
    blockNumber: BigInt(t.blockNumber ?? 0),
    blockHash: t.blockHash,
    hostedHash: t.hostedHash,
    file: t.file ?? -1,
    root: t.root ? hex0x(t.root) : ZERO32,
    treeLength: BigInt(t.treeLength),
    offset: BigInt(t.offset),
    blocks: t.blocks,
    startedAt: BigInt(t.startedAt),
    durationMs: Math.min(t.durationMs, 2 ** 32 - 1),
    verdict: t.verdict,
    reason: t.reason,
    blockHashes: t.blockHashes.map(hex0x),
    proofHash: t.proofHash ? hex0x(t.proofHash) : ZERO32,
    attempts: t.attempts,
    tries: t.tries.map((x) => ({ verdict: x.verdict, reason: x.reason, startedAt: BigInt(x.startedAt), durationMs: Math.min(x.durationMs, 2 ** 32 - 1) })),
    nonce: t.nonce ?? ZERO32,
    answeredAt: BigInt(t.answeredAt ?? 0),
    nodeSignature: t.nodeSignature ?? "0x",
  };
}

function unsigned(t: UnsignedTranscript | Transcript): UnsignedTranscript {
  const { signer: _s, signature: _g, ...rest } = t as Transcript;
  return rest;
}

export async function signTranscript(account: LocalAccount, chainId: number, t: UnsignedTranscript): Promise<Transcript> {
  const signature = await account.signTypedData({ domain: vidyaDomain(chainId), types: transcriptTypes, primaryType: "ChallengeTranscript", message: transcriptMessage(unsigned(t)) } as never);
  return { ...unsigned(t), signer: account.address.toLowerCase() as Hex, signature };
}

/** True when the transcript carries a signature by `signer` over exactly its fields. */
export async function verifyTranscript(chainId: number, t: Transcript, signer: Address): Promise<boolean> {
  if (!t.signature || !t.signer || t.signer.toLowerCase() !== signer.toLowerCase()) return false;
  try {
    return await verifyTypedData({ address: signer, domain: vidyaDomain(chainId), types: transcriptTypes, primaryType: "ChallengeTranscript", message: transcriptMessage(unsigned(t)), signature: t.signature } as never);
  } catch {
    return false;
  }
}

// Upload receipts (DESIGN.md "Upload rewards are paid for served bytes that someone paid for"):
// the downloader's member key signs the cumulative bytes it received from one uploader node in
// one torrent and one session. Cumulative, so a newer receipt supersedes an older one and a
// replay adds nothing; the epoch binds it to one settlement, the domain's chain id to one network.

export const receiptTypes = {
  UploadReceipt: [
    { name: "infoHash", type: "bytes20" },
    { name: "uploader", type: "address" },
    { name: "downloader", type: "address" },
    { name: "cumulative", type: "uint64" },
    { name: "session", type: "bytes32" },
    { name: "epoch", type: "uint64" },
  ],
} as const;

export interface UploadReceipt {
  /** 0x-prefixed, lowercase. */
  infoHash: Hex;
  /** The node that served the bytes. */
  uploader: Address;
  /** The member that received (and paid for) them: the signer. */
  downloader: Address;
  /** Bytes received from `uploader` in this torrent since the session began. */
  cumulative: bigint;
  /** Random per download session (32 bytes), so two sessions never supersede each other. */
  session: Hex;
  epoch: bigint;
}

export async function signReceipt(account: LocalAccount, chainId: number, receipt: UploadReceipt): Promise<Hex> {
  return account.signTypedData({ domain: vidyaDomain(chainId), types: receiptTypes, primaryType: "UploadReceipt", message: receipt } as never);
}

/** True when `signature` is the downloader's over exactly this receipt on `chainId`. */
export async function verifyReceipt(chainId: number, receipt: UploadReceipt, signature: Hex): Promise<boolean> {
  try {
    return await verifyTypedData({ address: receipt.downloader, domain: vidyaDomain(chainId), types: receiptTypes, primaryType: "UploadReceipt", message: receipt, signature } as never);
  } catch {
    return false;
  }
}

// The node's signed answer to a challenge (DESIGN.md "Challenges a relay cannot pass cheaply"):
// what it served (indices and leaf hashes, in order, against which root) bound to the edge's
// challenge (round, randomness block, the edge's fresh nonce) and signed by the registered node
// key. A pass needs it, so the edge cannot pass a node that did not answer, and a node answering
// through another node's port signs with the wrong key.

export const answerTypes = {
  ChallengeAnswer: [
    { name: "node", type: "address" },
    { name: "infoHash", type: "bytes20" },
    { name: "epoch", type: "uint64" },
    { name: "round", type: "uint32" },
    { name: "beacon", type: "bytes32" },
    { name: "nonce", type: "bytes32" },
    { name: "root", type: "bytes32" },
    { name: "blocks", type: "uint32[]" },
    { name: "blockHashes", type: "bytes32[]" },
    { name: "answeredAt", type: "uint64" },
  ],
} as const;

export interface ChallengeAnswer {
  node: string;
  /** 40 hex, with or without 0x. */
  infoHash: string;
  epoch: number;
  round: number;
  /** The randomness block's hash (ZERO without a chain). */
  beacon: Hex;
  nonce: Hex;
  /** 64 hex, with or without 0x. */
  root: string;
  blocks: number[];
  blockHashes: string[];
  /** The node's clock when it signed (unix ms). */
  answeredAt: number;
}

/** The answer as EIP-712 signs it and as the contracts take it (Staking.slashFraud's first argument). */
export function answerMessage(a: ChallengeAnswer) {
  return {
    node: a.node as Address,
    infoHash: hex0x(a.infoHash),
    epoch: BigInt(a.epoch),
    round: a.round,
    beacon: hex0x(a.beacon),
    nonce: hex0x(a.nonce),
    root: hex0x(a.root),
    blocks: a.blocks,
    blockHashes: a.blockHashes.map(hex0x),
    answeredAt: BigInt(a.answeredAt),
  };
}

const answerTypedData = (chainId: number, a: ChallengeAnswer) => ({ domain: vidyaDomain(chainId), types: answerTypes, primaryType: "ChallengeAnswer", message: answerMessage(a) }) as never;

/** The EIP-712 digest of `a` (answer-digest.ts: bytes, not viem's generic encoder, on the challenge's hot path). */
export function challengeAnswerHash(chainId: number, a: ChallengeAnswer): Hex {
  return challengeAnswerDigest(chainId, DOMAIN_NAME, DOMAIN_VERSION, a, () => answerTypedData(chainId, a));
}

export async function signChallengeAnswer(account: LocalAccount, chainId: number, a: ChallengeAnswer): Promise<Hex> {
  // The same signature as signTypedData (RFC 6979 over the same digest), without re-encoding.
  if (account.sign) return account.sign({ hash: challengeAnswerHash(chainId, a) });
  return account.signTypedData(answerTypedData(chainId, a));
}

/** True when `signature` is `a.node`'s over exactly `a`. */
export async function verifyChallengeAnswer(chainId: number, a: ChallengeAnswer, signature: Hex | null | undefined): Promise<boolean> {
  if (!signature || !/^0x[0-9a-fA-F]{40}$/.test(a.node)) return false;
  try {
    return (await recoverAddress({ hash: challengeAnswerHash(chainId, a), signature })).toLowerCase() === a.node.toLowerCase();
  } catch {
    return false;
  }
}

/** Parses the JSON form of a receipt strictly (uint64 as decimal strings); throws ReportError naming the bad field. */
export function receiptFromJson(json: unknown): UploadReceipt {
  if (!json || typeof json !== "object") throw new ReportError("receipt must be an object");
  const j = json as Record<string, unknown>;
  const infoHash = field(typeof j.infoHash === "string" && /^(0x)?[0-9a-fA-F]{40}$/.test(j.infoHash), "infoHash", hex0x(j.infoHash as string));
  const session = field(typeof j.session === "string" && /^0x[0-9a-fA-F]{64}$/.test(j.session), "session", (j.session as string).toLowerCase() as Hex);
  return { infoHash, uploader: address(j.uploader, "uploader"), downloader: address(j.downloader, "downloader"), cumulative: uint64(j.cumulative, "cumulative"), session, epoch: uint64(j.epoch, "epoch") };
}

export function receiptToJson(r: UploadReceipt): Record<string, string> {
  return { infoHash: r.infoHash, uploader: r.uploader.toLowerCase(), downloader: r.downloader.toLowerCase(), cumulative: r.cumulative.toString(), session: r.session, epoch: r.epoch.toString() };
}

/** The answer a transcript records the node as having signed. */
export function answerOfTranscript(t: UnsignedTranscript): ChallengeAnswer | null {
  if (t.answeredAt === null) return null;
  return { node: t.node, infoHash: t.infoHash, epoch: t.epoch, round: t.round, beacon: t.blockHash, nonce: t.nonce, root: t.root, blocks: t.blocks, blockHashes: t.blockHashes, answeredAt: t.answeredAt };
}

/** A pass counts only with the node's valid signature over what the transcript says it served. */
export async function nodeSigned(chainId: number, t: Transcript | UnsignedTranscript): Promise<boolean> {
  const a = answerOfTranscript(t);
  return a !== null && (await verifyChallengeAnswer(chainId, a, t.nodeSignature));
}
