// A challenge round (DESIGN.md flow 4): for each registered node and each torrent of its
// hosted subset, dial the node's BitTorrent port as the edge saw it, fetch a few random
// blocks with ordinary requests, then their merkle paths (protocol/challenge/client.ts).
// A round's transcripts belong to the open epoch and are its published inputs.

import { connect } from "cloudflare:sockets";
import { eq, max } from "drizzle-orm";
import { pickBlocks, runChallenge, type ByteStream, type ChallengeOutcome, type Verdict } from "../../protocol/challenge/client.ts";
import { fromHex, binaryToBytes } from "../../protocol/hex.ts";
import { blockCount } from "../../protocol/merkle/storage-tree.ts";
import { CHALLENGE_BLOCKS, CHALLENGE_DEADLINE_MS } from "../../protocol/params.ts";
import type { Env } from "../env.ts";
import { db, schema, type Db } from "../db/client.ts";

export interface Transcript {
  id: string;
  epoch: number;
  node: string;
  infoHash: string;
  host: string;
  port: number;
  blocks: number[];
  startedAt: number;
  durationMs: number;
  verdict: Verdict;
  reason: string;
  blockHashes: string[];
  attempts: number;
}

export interface ChallengeTarget {
  node: string;
  host: string;
  port: number;
  infoHash: string;
  length: number;
  pieceLength: number;
  storageRoot: string;
}

/** A connection to a node; the worker dials with cloudflare:sockets. */
export type Dial = (host: string, port: number) => ByteStream & { close(): void };

export const dialTcp: Dial = (hostname, port) => {
  const socket = connect({ hostname, port });
  socket.opened.catch(() => {}); // a refused connection surfaces through the streams
  return { readable: socket.readable, writable: socket.writable, close: () => void socket.close().catch(() => {}) };
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

export async function challengeOnce(t: ChallengeTarget, dial: Dial): Promise<{ blocks: number[]; startedAt: number; outcome: ChallengeOutcome }> {
  // 4 random bytes per pick; extra picks absorb collisions.
  const blocks = pickBlocks(blockCount(t.length), CHALLENGE_BLOCKS, crypto.getRandomValues(new Uint8Array(16 * CHALLENGE_BLOCKS)));
  const startedAt = Date.now();
  let conn: ReturnType<Dial> | undefined;
  try {
    conn = dial(t.host, t.port);
    const outcome = await runChallenge(conn, {
      infoHash: fromHex(t.infoHash),
      peerId: challengerPeerId(),
      storageRoot: fromHex(t.storageRoot),
      totalLength: t.length,
      pieceLength: t.pieceLength,
      blocks,
      deadlineMs: CHALLENGE_DEADLINE_MS,
    });
    return { blocks, startedAt, outcome };
  } catch (e) {
    return { blocks, startedAt, outcome: { verdict: "refused", reason: `could not connect: ${(e as Error).message}`, blockHashes: [], durationMs: Date.now() - startedAt } };
  } finally {
    conn?.close();
  }
}

/** One challenge as it counts: a try that does not pass is retried once with fresh blocks. */
export async function challengeTarget(t: ChallengeTarget, epoch: number, dial: Dial): Promise<Transcript> {
  let attempt = await challengeOnce(t, dial);
  let attempts = 1;
  if (attempt.outcome.verdict !== "pass") {
    attempt = await challengeOnce(t, dial);
    attempts = 2;
  }
  return {
    id: crypto.randomUUID(),
    epoch,
    node: t.node,
    infoHash: t.infoHash,
    host: t.host,
    port: t.port,
    blocks: attempt.blocks,
    startedAt: attempt.startedAt,
    durationMs: attempt.outcome.durationMs,
    verdict: attempt.outcome.verdict,
    reason: attempt.outcome.reason,
    blockHashes: attempt.outcome.blockHashes,
    attempts,
  };
}

export async function challengeTargets(d: Db, node?: string): Promise<ChallengeTarget[]> {
  const q = d
    .select({
      node: schema.nodes.address,
      host: schema.nodes.host,
      port: schema.nodes.port,
      infoHash: schema.torrents.infoHash,
      length: schema.torrents.length,
      pieceLength: schema.torrents.pieceLength,
      storageRoot: schema.torrents.storageRoot,
    })
    .from(schema.hosted)
    .innerJoin(schema.nodes, eq(schema.nodes.address, schema.hosted.node))
    .innerJoin(schema.torrents, eq(schema.torrents.infoHash, schema.hosted.infoHash));
  return node ? q.where(eq(schema.nodes.address, node)) : q;
}

export function transcriptRow(t: Transcript): typeof schema.challenges.$inferInsert {
  return { ...t, blocks: JSON.stringify(t.blocks), blockHashes: JSON.stringify(t.blockHashes) };
}

export function transcriptFromRow(r: typeof schema.challenges.$inferSelect): Transcript {
  return { ...r, verdict: r.verdict as Verdict, blocks: JSON.parse(r.blocks) as number[], blockHashes: JSON.parse(r.blockHashes) as string[] };
}

export async function runChallengeRound(env: Env, dial: Dial = dialTcp): Promise<Transcript[]> {
  const d = db(env.DB);
  const targets = await challengeTargets(d);
  const epoch = await openEpoch(d);
  const results: Transcript[] = [];
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const t = targets[next++]!;
      results.push(await challengeTarget(t, epoch, dial));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, targets.length) }, worker));
  for (let i = 0; i < results.length; i += 50) {
    const chunk = results.slice(i, i + 50).map((t) => d.insert(schema.challenges).values(transcriptRow(t)));
    if (chunk.length) await d.batch(chunk as [(typeof chunk)[0], ...typeof chunk]);
  }
  return results;
}
