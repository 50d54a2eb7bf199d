// Challenge rounds (DESIGN.md flow 4). A node's round challenges the targets and blocks that
// protocol/challenge/schedule.ts derives from the epoch's committed seed, the chain's latest
// block, the node and the round number. For each: dial the node's BitTorrent port as the edge
// saw it, fetch the blocks with ordinary requests, then their merkle paths
// (protocol/challenge/client.ts). A try that does not pass is retried with the same blocks
// after a short backoff; the transcript of the last try, with the earlier ones, is signed and
// kept as an input of the open epoch. The ChallengeScheduler decides when rounds run.

import { connect } from "cloudflare:sockets";
import { and, eq, inArray, isNull, max, ne } from "drizzle-orm";
import type { Hex, LocalAccount } from "viem";
import { runChallenge, type ByteStream, type ChallengeOutcome } from "../../protocol/challenge/client.ts";
import { deriveRound, transcriptId, type ChallengeableTorrent, type DerivedChallenge } from "../../protocol/challenge/schedule.ts";
import { recordedAnswer, type ChallengeTry, type Transcript, type UnsignedTranscript } from "../../protocol/challenge/transcript.ts";
import { signTranscript } from "../../protocol/reports/eip712.ts";
import { fromHex, binaryToBytes, toHex } from "../../protocol/hex.ts";
import { CHALLENGE_DEADLINE_MS, CHALLENGE_RETRIES } from "../../protocol/params.ts";
import type { TorrentFileV2 } from "../../protocol/torrent.ts";
import type { Env } from "../env.ts";
import { schema, type Db } from "../db/client.ts";
import type { Beacon } from "./beacon.ts";
import type { EpochSchedule } from "../epoch/seed.ts";
import { transcriptRow } from "./transcript-rows.ts";
export { transcriptFromRow, transcriptRow } from "./transcript-rows.ts";

export type { Transcript };

/** A torrent as a node hosts it, with what the wire needs beside the derivation's inputs. */
export interface HostedTorrent extends ChallengeableTorrent {
  pieceLength: number;
}

/** A registered node with a non-empty hosted subset: what a round needs of it. */
export interface NodeTargets {
  node: string;
  host: string;
  port: number;
  hosted: HostedTorrent[];
}

/** A connection to a node; the worker dials with cloudflare:sockets. */
/** `opened`, when given, settles once the TCP connection is made or has failed (a reachability check waits for it). */
export type Dial = (host: string, port: number) => ByteStream & { close(): void; opened?: Promise<unknown> };

export const dialTcp: Dial = (hostname, port) => {
  // connect() takes an IPv6 literal in brackets, as in a URL; bare, it cannot connect.
  const socket = connect({ hostname: hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname, port });
  socket.opened.catch(() => {}); // a refused connection surfaces through the streams
  return { readable: socket.readable, writable: socket.writable, close: () => void socket.close().catch(() => {}), opened: socket.opened };
};

/** Workers allow six simultaneous outgoing connections per invocation. */
const CONCURRENCY = 6;

/** The open epoch: one after the last closed (epochs are numbered 1, 2, 3…). */
export async function openEpoch(d: Db): Promise<number> {
  const row = await d.select({ last: max(schema.epochs.epoch) }).from(schema.epochs).get();
  return (row?.last ?? 0) + 1;
}

const ALNUM = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** A fresh peer id in qBittorrent's style: a challenge must look like any download. */
export function challengerPeerId(): Uint8Array {
  const r = crypto.getRandomValues(new Uint8Array(12));
  return binaryToBytes("-qB4650-" + Array.from(r, (b) => ALNUM[b % ALNUM.length]).join(""));
}

/** Registered, unsuspended nodes that host an approved torrent: who the schedule has rounds for. */
export async function hostingNodes(d: Db): Promise<string[]> {
  const rows = await d
    .selectDistinct({ node: schema.hosted.node })
    .from(schema.hosted)
    .innerJoin(schema.nodes, eq(schema.nodes.address, schema.hosted.node))
    .innerJoin(schema.torrents, eq(schema.torrents.infoHash, schema.hosted.infoHash))
    .where(and(isNull(schema.nodes.suspendedAt), eq(schema.torrents.status, "approved")));
  return rows.map((r) => r.node).sort();
}

/**
 * Registered nodes (all, or those named) with their hosted torrents, sorted by node. Contested
 * roots, torrents no longer approved (removed, or hosted before subsets were limited to the
 * index) and suspended nodes are not challenged.
 */
export async function loadNodes(d: Db, only?: string[]): Promise<NodeTargets[]> {
  if (only && only.length > 90) {
    const parts: NodeTargets[] = [];
    for (let i = 0; i < only.length; i += 90) parts.push(...(await loadNodes(d, only.slice(i, i + 90))));
    return parts.sort((a, b) => (a.node < b.node ? -1 : 1));
  }
  const q = d
    .select({
      node: schema.nodes.address,
      host: schema.nodes.host,
      port: schema.nodes.port,
      infoHash: schema.torrents.infoHash,
      length: schema.torrents.length,
      pieceLength: schema.torrents.pieceLength,
      storageRoot: schema.torrents.storageRoot,
      v2Files: schema.torrents.v2Files,
    })
    .from(schema.hosted)
    .innerJoin(schema.nodes, eq(schema.nodes.address, schema.hosted.node))
    .innerJoin(schema.torrents, eq(schema.torrents.infoHash, schema.hosted.infoHash));
  const contested = and(ne(schema.torrents.rootStatus, "contested"), eq(schema.torrents.status, "approved"), isNull(schema.nodes.suspendedAt));
  if (only && only.length === 0) return [];
  const rows = await (only ? q.where(and(contested, inArray(schema.nodes.address, only))) : q.where(contested));
  const byNode = new Map<string, NodeTargets>();
  for (const r of rows) {
    const n = byNode.get(r.node) ?? { node: r.node, host: r.host, port: r.port, hosted: [] };
    byNode.set(r.node, n);
    let files: TorrentFileV2[];
    try {
      files = JSON.parse(r.v2Files) as TorrentFileV2[];
    } catch (e) {
      console.warn(`torrent ${r.infoHash} not challenged: its file tree record is unreadable (${(e as Error).message})`);
      continue;
    }
    n.hosted.push({ infoHash: r.infoHash, length: r.length, pieceLength: r.pieceLength, storageRoot: r.storageRoot, v2Files: files.length ? files : undefined });
  }
  return [...byNode.values()].sort((a, b) => (a.node < b.node ? -1 : 1));
}

/** What binds a challenge to its round: the node signs its answer over it (protocol/reports/eip712.ts). */
export interface ChallengeBinding {
  chainId: number;
  epoch: number;
  round: number;
  randomness: Hex;
  beacon: Hex;
}

export async function challengeOnce(
  n: NodeTargets,
  t: HostedTorrent,
  c: DerivedChallenge,
  dial: Dial,
  b: ChallengeBinding,
  now: () => number = Date.now,
  deadlineMs: number = CHALLENGE_DEADLINE_MS,
): Promise<{ startedAt: number; nonce: Hex; outcome: ChallengeOutcome }> {
  const startedAt = now();
  // A fresh nonce per try: the node's signature cannot have been made before we asked.
  const nonce = `0x${toHex(crypto.getRandomValues(new Uint8Array(32)))}` as Hex;
  let conn: ReturnType<Dial> | undefined;
  try {
    conn = dial(n.host, n.port);
    const outcome = await runChallenge(conn, {
      infoHash: fromHex(t.infoHash),
      peerId: challengerPeerId(),
      storageRoot: fromHex(c.root),
      totalLength: c.treeLength,
      pieceLength: t.pieceLength,
      offset: c.offset,
      namedTree: c.file !== null,
      chain: { randomness: b.randomness, infoHash: c.infoHash, count: c.count },
      challenge: { node: n.node, chainId: b.chainId, epoch: b.epoch, round: b.round, beacon: b.beacon, nonce },
      deadlineMs,
    });
    return { startedAt, nonce, outcome };
  } catch (e) {
    return { startedAt, nonce, outcome: { verdict: "refused", reason: `could not connect: ${(e as Error).message}`, blocks: [], blockHashes: [], durationMs: now() - startedAt } };
  } finally {
    conn?.close();
  }
}

export interface RoundContext {
  epoch: number;
  seed: Hex;
  schedule: EpochSchedule;
  signer?: LocalAccount;
  chainId: number;
  dial: Dial;
  retries: number;
  backoffMs: number;
  /** Default CHALLENGE_DEADLINE_MS (deadlineOf). */
  deadlineMs?: number;
}

export function retriesOf(env: Env): number {
  const n = Number(env.CHALLENGE_RETRIES ?? CHALLENGE_RETRIES);
  return Number.isInteger(n) && n >= 0 && n <= 5 ? n : CHALLENGE_RETRIES;
}

/** The deadline of a challenge: CHALLENGE_DEADLINE_MS, or the shorter one a test's edge sets. */
export function deadlineOf(env: Env): number {
  const n = Number(env.CHALLENGE_DEADLINE_MS ?? CHALLENGE_DEADLINE_MS);
  return Number.isInteger(n) && n >= 500 && n <= CHALLENGE_DEADLINE_MS ? n : CHALLENGE_DEADLINE_MS;
}

/**
 * One challenge as it counts: tries until one passes or 1 + `retries` were made, waiting
 * `backoffMs`, then twice that, between tries. The same blocks every time (as Storj
 * re-verifies the same piece), so a retry cannot turn a missing block into a lucky pass.
 */
export async function challengeWithRetries(ctx: RoundContext, n: NodeTargets, t: HostedTorrent, c: DerivedChallenge, round: number, hostedHash: Hex, randomness: Hex, beacon: Beacon): Promise<Transcript> {
  const tries: ChallengeTry[] = [];
  const binding: ChallengeBinding = { chainId: ctx.chainId, epoch: ctx.epoch, round, randomness, beacon: beacon.blockHash };
  let attempt = await challengeOnce(n, t, c, ctx.dial, binding, Date.now, ctx.deadlineMs);
  // A chain that arrived whole but over its budget is not retried: the retry would ask for the
  // same blocks, which a relay has fetched by then.
  for (let k = 0; attempt.outcome.verdict !== "pass" && !attempt.outcome.overBudget && k < ctx.retries; k++) {
    tries.push({ verdict: attempt.outcome.verdict, reason: attempt.outcome.reason, startedAt: attempt.startedAt, durationMs: attempt.outcome.durationMs });
    await new Promise((r) => setTimeout(r, ctx.backoffMs * 2 ** k));
    attempt = await challengeOnce(n, t, c, ctx.dial, binding, Date.now, ctx.deadlineMs);
  }
  const o = attempt.outcome;
  const unsigned: UnsignedTranscript = {
    id: transcriptId(ctx.epoch, n.node, round, c.infoHash),
    epoch: ctx.epoch,
    node: n.node,
    round,
    infoHash: c.infoHash,
    host: n.host,
    port: n.port,
    blockNumber: beacon.blockNumber,
    blockHash: beacon.blockHash,
    hostedHash,
    file: c.file,
    root: c.root,
    treeLength: c.treeLength,
    offset: c.offset,
    // The chain as far as it got (its first block when nothing came back).
    blocks: o.blocks.length ? o.blocks : c.blocks,
    startedAt: attempt.startedAt,
    durationMs: o.durationMs,
    verdict: o.verdict,
    reason: o.reason,
    blockHashes: o.blockHashes,
    proofHash: o.proofHash ?? null,
    attempts: tries.length + 1,
    tries,
    nonce: attempt.nonce,
    // On a fail, only a signed wrong block is kept: the close charges fraud on nothing less.
    ...recordedAnswer(o),
  };
  return ctx.signer ? signTranscript(ctx.signer, ctx.chainId, unsigned) : { ...unsigned, signer: null, signature: null };
}

/** Runs the given rounds (at most one per node, each with its beacon block) with CONCURRENCY connections; returns every transcript. */
export async function runRounds(ctx: RoundContext, rounds: { node: NodeTargets; round: number; beacon: Beacon }[]): Promise<Transcript[]> {
  const jobs: (() => Promise<Transcript>)[] = [];
  for (const { node, round, beacon } of rounds) {
    // One node's bad state is skipped and logged; the other nodes' rounds go on.
    let derived: ReturnType<typeof deriveRound>;
    try {
      derived = deriveRound({ seed: ctx.seed, epoch: ctx.epoch, node: node.node, round, blockHash: beacon.blockHash }, node.hosted, ctx.schedule, ctx.schedule.challengeBlocks);
    } catch (e) {
      console.error(`challenge round ${round} of node ${node.node} skipped: ${(e as Error).message}`);
      continue;
    }
    for (const s of derived.skipped) console.warn(`challenge of ${s.infoHash} on node ${node.node} skipped: ${s.reason}`);
    const byHash = new Map(node.hosted.map((t) => [t.infoHash, t]));
    for (const c of derived.challenges) jobs.push(() => challengeWithRetries(ctx, node, byHash.get(c.infoHash)!, c, round, derived.hostedHash, derived.randomness, beacon));
  }
  const results: Transcript[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) results.push(await jobs[next++]!());
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, jobs.length) }, worker));
  return results.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : a.startedAt - b.startedAt));
}

/** Keeps transcripts; a transcript id already recorded (a round run twice) is not written again. */
export async function storeTranscripts(d: Db, ts: Transcript[]): Promise<void> {
  // D1 binds at most 100 parameters a statement: one transcript per insert, batched.
  for (let i = 0; i < ts.length; i += 50) {
    const part = ts.slice(i, i + 50).map((t) => d.insert(schema.challenges).values(transcriptRow(t)).onConflictDoNothing());
    if (part.length) await d.batch(part as [(typeof part)[0], ...typeof part]);
  }
}
