// What /metrics says about epochs and the writer (docs/runbook.md): the open epoch's age, the
// last epoch final in D1 and the last on-chain, the unfinished close's state, post attempts and
// failures by code, the poster's gas balance. Counters come from D1 rows that only grow (epoch_posts, close_errors).

import { count, desc, eq, max } from "drizzle-orm";
import { overdueOf, type Overdue } from "../../protocol/epoch/overdue.ts";
import { EPOCH_OVERDUE_GRACE_SECONDS } from "../../protocol/params.ts";
import type { Env } from "../env.ts";
import { db, schema, type Db } from "../db/client.ts";
import { openEpoch } from "../challenge/round.ts";
import { chainConfigured } from "../chain/client.ts";
import { chainLastEpoch, posterBalance } from "../chain/poster.ts";
import { scheduleOf, seedOf, type SeedRow } from "./seed.ts";
import { unfinishedClose, type EpochRow } from "./writer.ts";

export interface WriterStatus {
  openEpoch: number;
  /** Seconds since the open epoch opened; null before the scheduler opened it. */
  openAgeSeconds: number | null;
  lastFinalEpoch: number;
  closing: { epoch: number; state: string } | null;
  postAttempts: number;
  /** Escrow settlement transactions recorded by state (sent: pending on the poster key; chain/escrow.ts). */
  settlements: { state: string; count: number }[];
  failures: { code: string; count: number }[];
  /** Whether an epoch is late and why (protocol/epoch/overdue.ts). */
  overdue: Overdue;
  /** The chain's last posted epoch; absent without a chain, null when the RPC did not answer in time. */
  chainLastEpoch?: number | null;
  /** The poster's balance in wei; absent without a chain or a key, null when the RPC did not answer in time. */
  posterBalanceWei?: bigint | null;
}

/** A scrape must not hang on a dead RPC. */
const CHAIN_READ_MS = 3_000;

export async function writerStatus(env: Env, now = Date.now()): Promise<WriterStatus> {
  const d = db(env.DB);
  const open = await openEpoch(d);
  const [seed, final, closing, attempts, failures, settlements] = await Promise.all([
    seedOf(d, open),
    d.select({ last: max(schema.epochs.epoch) }).from(schema.epochs).where(eq(schema.epochs.state, "final")).get(),
    unfinishedClose(d),
    d.select({ n: count() }).from(schema.epochPosts).get(),
    d.select({ code: schema.closeErrors.code, count: schema.closeErrors.count }).from(schema.closeErrors),
    d.select({ state: schema.escrowSettlements.state, count: count() }).from(schema.escrowSettlements).groupBy(schema.escrowSettlements.state),
  ]);
  const status: WriterStatus = {
    openEpoch: open,
    openAgeSeconds: seed ? Math.max(0, Math.floor((now - seed.openedAt) / 1000)) : null,
    lastFinalEpoch: final?.last ?? 0,
    closing: closing ? { epoch: closing.epoch, state: closing.state } : null,
    postAttempts: attempts?.n ?? 0,
    settlements: settlements.sort((a, b) => (a.state < b.state ? -1 : 1)),
    failures: failures.sort((a, b) => (a.code < b.code ? -1 : 1)),
    overdue: await overdueFrom(d, open, seed, closing, now),
  };
  if (chainConfigured(env)) {
    const timeout = new Promise<null>((r) => setTimeout(() => r(null), CHAIN_READ_MS));
    const [last, balance] = await Promise.all([
      Promise.race([chainLastEpoch(env).then(Number, () => null), timeout]),
      env.CHAIN_PRIVATE_KEY ? Promise.race([posterBalance(env).catch(() => null), timeout]) : Promise.resolve(undefined),
    ]);
    status.chainLastEpoch = last;
    if (balance !== undefined) status.posterBalanceWei = balance;
  }
  return status;
}

/** Is an epoch overdue, and why: D1 only (no chain read), cheap enough for every page view. */
export async function epochOverdue(env: Env, now = Date.now()): Promise<Overdue> {
  const d = db(env.DB);
  const open = await openEpoch(d);
  const [seed, closing] = await Promise.all([seedOf(d, open), unfinishedClose(d)]);
  return overdueFrom(d, open, seed, closing, now);
}

async function overdueFrom(d: Db, open: number, seed: SeedRow | undefined, closing: EpochRow | undefined, now: number): Promise<Overdue> {
  const [lastError, leaf] = await Promise.all([
    d.select().from(schema.closeErrors).orderBy(desc(schema.closeErrors.at)).limit(1).get(),
    d.select({ epoch: schema.leaves.epoch }).from(schema.leaves).limit(1).get(),
  ]);
  return overdueOf({
    now,
    open: seed ? { epoch: open, openedAt: seed.openedAt, epochMs: scheduleOf(seed).epochMs } : null,
    closing: closing ? { epoch: closing.epoch, state: closing.state, closedAt: closing.closedAt, haltReason: closing.haltReason } : null,
    lastError: lastError ?? null,
    everEarned: leaf !== undefined,
    graceMs: EPOCH_OVERDUE_GRACE_SECONDS * 1000,
  });
}
