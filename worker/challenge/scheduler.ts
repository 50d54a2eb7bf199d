// The challenge scheduler (DESIGN.md flow 4): one Durable Object coordinates every round,
// the opening of epochs (seed drawn and committed) and their closing (seed revealed), so
// these never race. It is not on any hot path: the cron wakes it every minute, its alarm
// fires when the next round of some node is due (protocol/challenge/schedule.ts roundDueAt),
// and admins can force a round. Its SQLite keeps, per node of the open epoch, the next round
// and when it is due, indexed by that time: an alarm reads only the nodes due, never the
// whole network.

import { DurableObject } from "cloudflare:workers";
import type { Hex } from "viem";
import { roundDueAt } from "../../protocol/challenge/schedule.ts";
import { CHALLENGE_RETRY_BACKOFF_MS, EPOCH_SECONDS } from "../../protocol/params.ts";
import { chainId, secondsVar, type Env } from "../env.ts";
import { db, type Db } from "../db/client.ts";
import { HttpError } from "../errors.ts";
import { closeEpoch, resumeClose, type EpochJson } from "../epoch/close.ts";
import { isFrozen } from "../epoch/frozen.ts";
import { ensureOpen, roundsPerEpoch, scheduleOf, type SeedRow } from "../epoch/seed.ts";
import { beaconReader, readBeacon, type Beacon } from "./beacon.ts";
import { deadlineOf, dialTcp, hostingNodes, loadNodes, openEpoch, retriesOf, runRounds, storeTranscripts, type Dial, type RoundContext, type Transcript } from "./round.ts";
import { transcriptSigner } from "./signer.ts";

/** The one scheduler object: a single unit of coordination, nothing else opens or closes epochs. */
export const SCHEDULER_NAME = "challenge-scheduler";

/** At most this many node rounds per alarm; the rest run at the next alarm. */
export const MAX_ROUNDS_PER_ALARM = 60;
/** Alarms at most this often: rounds due within it run together. */
export const MIN_ALARM_GAP_MS = 1_000;

export interface TickResult {
  epoch: number;
  /** Transcripts made by this call (the cron makes none: alarms run the rounds). */
  challenged: number;
  /** When the alarm will run the next round due, null without nodes (or with scheduled rounds off). */
  nextRoundAt: number | null;
  closed?: number;
  skipped?: string;
  /** A close whose post waits to be mined (resumed at the next tick). */
  pending?: string;
  /** A close that failed or is halted (logged and counted in /metrics by the writer). */
  closeError?: { code: string; message: string };
}

/** The scheduler's alarm as /metrics shows it: how late the last one fired (platform or queue delay). */
export interface AlarmMetrics {
  /** Milliseconds between the last alarm's scheduled time and when it ran; null before any alarm. */
  lastLagMs: number | null;
  lastFiredAt: number | null;
  /** When the next alarm is set for; null without one. */
  nextAt: number | null;
}

/** Storage keys: the time the alarm was set for (getAlarm() is cleared once it fires) and the last lag. */
const ALARM_AT = "alarm_at";
const ALARM_LAG = "alarm_lag";

/** Errors cross the RPC boundary as values: a thrown HttpError would lose its status and code. */
type Result<T> = { ok: true; value: T } | { ok: false; status: HttpError["status"]; code: string; message: string };

async function asResult<T>(f: () => Promise<T>): Promise<Result<T>> {
  try {
    return { ok: true, value: await f() };
  } catch (e) {
    if (e instanceof HttpError) return { ok: false, status: e.status, code: e.code, message: e.message };
    throw e;
  }
}

export function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw new HttpError(r.status, r.code, r.message);
  return r.value;
}

export function scheduler(env: Env) {
  return env.SCHEDULER.get(env.SCHEDULER.idFromName(SCHEDULER_NAME));
}

export class ChallengeScheduler extends DurableObject<Env> {
  private queue: Promise<unknown> = Promise.resolve();
  /** How rounds dial nodes (a test can replace it; RPC cannot carry a function). */
  dial: Dial = dialTcp;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(
        "CREATE TABLE IF NOT EXISTS progress (epoch INTEGER NOT NULL, node TEXT NOT NULL, next_round INTEGER NOT NULL, due_at INTEGER NOT NULL, PRIMARY KEY (epoch, node))",
      );
      ctx.storage.sql.exec("CREATE INDEX IF NOT EXISTS progress_due ON progress (epoch, due_at)");
    });
  }

  /** Rounds, closes and alarms one at a time: a round in flight finishes before its epoch closes. */
  private exclusive<T>(f: () => Promise<T>): Promise<T> {
    const run = this.queue.then(f, f);
    this.queue = run.catch(() => {});
    return run;
  }

  private async open(d: Db, now: number): Promise<SeedRow> {
    return ensureOpen(this.env, d, await openEpoch(d), now);
  }

  private dueAt(seedRow: SeedRow, node: string, round: number): number {
    return roundDueAt(scheduleOf(seedRow), seedRow.seed as Hex, seedRow.epoch, node, round);
  }

  /** Adds every hosting node the schedule does not know yet (round 0 at its derived time); forgets past epochs. */
  private async sync(d: Db, seedRow: SeedRow): Promise<void> {
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM progress WHERE epoch <> ?", seedRow.epoch);
    const known = new Set(sql.exec<{ node: string }>("SELECT node FROM progress WHERE epoch = ?", seedRow.epoch).toArray().map((r) => r.node));
    for (const node of await hostingNodes(d))
      if (!known.has(node)) sql.exec("INSERT INTO progress (epoch, node, next_round, due_at) VALUES (?, ?, 0, ?)", seedRow.epoch, node, this.dueAt(seedRow, node, 0));
  }

  private nextRound(epoch: number, node: string): number {
    return this.ctx.storage.sql.exec<{ next_round: number }>("SELECT next_round FROM progress WHERE epoch = ? AND node = ?", epoch, node).toArray()[0]?.next_round ?? 0;
  }

  private advance(seedRow: SeedRow, node: string, round: number): void {
    this.ctx.storage.sql.exec(
      "INSERT INTO progress (epoch, node, next_round, due_at) VALUES (?, ?, ?, ?) ON CONFLICT (epoch, node) DO UPDATE SET next_round = excluded.next_round, due_at = excluded.due_at",
      seedRow.epoch,
      node,
      round + 1,
      this.dueAt(seedRow, node, round + 1),
    );
  }

  /** Sets the alarm to the earliest next round; none without nodes or with scheduled rounds off. */
  private async rearm(seedRow: SeedRow, now: number): Promise<number | null> {
    const next = this.ctx.storage.sql.exec<{ at: number | null }>("SELECT MIN(due_at) AS at FROM progress WHERE epoch = ?", seedRow.epoch).one().at;
    if (roundsPerEpoch(this.env) === 0 || next === null) {
      await this.ctx.storage.deleteAlarm();
      await this.ctx.storage.delete(ALARM_AT);
      return null;
    }
    const at = Math.max(next, now + MIN_ALARM_GAP_MS);
    await this.ctx.storage.setAlarm(at);
    await this.ctx.storage.put(ALARM_AT, at);
    return at;
  }

  private async context(seedRow: SeedRow): Promise<RoundContext> {
    return {
      epoch: seedRow.epoch,
      seed: seedRow.seed as Hex,
      schedule: scheduleOf(seedRow),
      signer: transcriptSigner(this.env),
      chainId: chainId(this.env),
      dial: this.dial,
      retries: retriesOf(this.env),
      backoffMs: CHALLENGE_RETRY_BACKOFF_MS,
      deadlineMs: deadlineOf(this.env),
    };
  }

  /**
   * Each round's beacon: the first chain block at or after its due time (protocol/challenge/
   * beacon.ts). A round forced by an admin whose block is not mined yet takes the latest block
   * (`vidya verify` rejects it unless told to allow forced rounds). A scheduled round whose block
   * the chain has not mined yet waits: null.
   */
  /** Rounds already logged as waiting for their block (in memory: a restart logs them again). */
  private readonly waiting = new Set<string>();

  private async beaconOf(seedRow: SeedRow, node: string, round: number, now: number, forced: boolean, reader: ReturnType<typeof beaconReader>, latest: () => Promise<Beacon>): Promise<Beacon | null> {
    // The due time the schedule stored for this round (derived when it was armed).
    const stored = this.ctx.storage.sql.exec<{ due_at: number }>("SELECT due_at FROM progress WHERE epoch = ? AND node = ? AND next_round = ?", seedRow.epoch, node, round).toArray()[0];
    const due = stored?.due_at ?? this.dueAt(seedRow, node, round);
    const b = now < due ? null : await reader.at(due);
    // A forced round does not wait for its block (development networks mine only on demand).
    return b ?? (forced ? latest() : null);
  }

  /** Runs the next round of each named node; nodes that no longer host anything leave the schedule. */
  private async runFor(d: Db, seedRow: SeedRow, nodes: string[], forced = false): Promise<Transcript[]> {
    // A close of this epoch has started (worker/epoch/frozen.ts): its transcripts are frozen, its rounds over.
    if (await isFrozen(d, seedRow.epoch)) return [];
    const targets = await loadNodes(d, nodes);
    const now = Date.now();
    let latest: Promise<Beacon> | undefined;
    const reader = beaconReader(this.env);
    const rounds: { node: (typeof targets)[number]; round: number; beacon: Beacon }[] = [];
    for (const n of targets) {
      const round = this.nextRound(seedRow.epoch, n.node);
      const beacon = await this.beaconOf(seedRow, n.node, round, now, forced, reader, () => (latest ??= readBeacon(this.env)));
      if (beacon) rounds.push({ node: n, round, beacon });
      else if (!this.waiting.has(`${n.node}:${round}`)) {
        // Logged once: the alarm looks again every second until the block is mined.
        this.waiting.add(`${n.node}:${round}`);
        console.warn(`challenge round ${round} of node ${n.node} waits: the chain has no block at or after its due time yet`);
      }
    }
    const transcripts = rounds.length ? await runRounds(await this.context(seedRow), rounds) : [];
    await storeTranscripts(d, transcripts);
    for (const r of rounds) this.advance(seedRow, r.node.node, r.round);
    const gone = nodes.filter((n) => !targets.some((t) => t.node === n));
    for (const n of gone) this.ctx.storage.sql.exec("DELETE FROM progress WHERE epoch = ? AND node = ?", seedRow.epoch, n);
    return transcripts;
  }

  override async alarm(): Promise<void> {
    // Lag measured before waiting for the queue: how late the platform woke us.
    const firedAt = Date.now();
    const scheduledAt = await this.ctx.storage.get<number>(ALARM_AT);
    if (scheduledAt !== undefined) await this.ctx.storage.put(ALARM_LAG, { lagMs: firedAt - scheduledAt, firedAt });
    await this.exclusive(async () => {
      const d = db(this.env.DB);
      const seedRow = await this.open(d, Date.now());
      // A close of this epoch has started (worker/epoch/frozen.ts): no round runs until it settles
      // (or gives up); the alarm is not re-armed to look every second meanwhile, the cron's tick re-arms it.
      if (await isFrozen(d, seedRow.epoch)) {
        await this.ctx.storage.deleteAlarm();
        await this.ctx.storage.delete(ALARM_AT);
        return;
      }
      if (roundsPerEpoch(this.env) > 0) {
        const due = this.ctx.storage.sql
          .exec<{ node: string }>("SELECT node FROM progress WHERE epoch = ? AND due_at <= ? ORDER BY due_at LIMIT ?", seedRow.epoch, Date.now(), MAX_ROUNDS_PER_ALARM)
          .toArray()
          .map((r) => r.node);
        if (due.length) await this.runFor(d, seedRow, due);
      }
      await this.rearm(seedRow, Date.now());
    });
  }

  /** The cron: open the epoch if needed, learn new nodes, close the epoch when it is due, re-arm. */
  async tick(now = Date.now()): Promise<Result<TickResult>> {
    return asResult(() =>
      this.exclusive(async () => {
        const d = db(this.env.DB);
        let seedRow = await this.open(d, now);
        const result: TickResult = { epoch: seedRow.epoch, challenged: 0, nextRoundAt: null };
        try {
          // An unfinished close (a post not mined yet, a crash mid-close) is resumed on every
          // tick, whatever the open epoch's age (worker/epoch/writer.ts).
          const resumed = await resumeClose(this.env, now);
          if (resumed) result.closed = resumed.epoch;
          if (now - seedRow.openedAt >= secondsVar(this.env.EPOCH_SECONDS, EPOCH_SECONDS) * 1000) result.closed = (await closeEpoch(this.env, now)).epoch;
        } catch (e) {
          if (!(e instanceof HttpError)) throw e;
          // Not errors of the cron: the epoch stays open until someone has earned; a post
          // waits for its block; a halted or failing close is logged and counted by the writer.
          if (e.code === "nothing_earned") result.skipped = e.message;
          else if (e.code === "post_pending" || e.code === "close_in_progress") result.pending = e.message;
          else result.closeError = { code: e.code, message: e.message };
        }
        seedRow = await this.open(d, now);
        result.epoch = seedRow.epoch;
        await this.sync(d, seedRow);
        result.nextRoundAt = await this.rearm(seedRow, now);
        return result;
      }),
    );
  }

  /** For GET /metrics (worker/metrics/routes.ts). */
  async alarmMetrics(): Promise<AlarmMetrics> {
    const last = await this.ctx.storage.get<{ lagMs: number; firedAt: number }>(ALARM_LAG);
    return { lastLagMs: last?.lagMs ?? null, lastFiredAt: last?.firedAt ?? null, nextAt: await this.ctx.storage.getAlarm() };
  }

  /**
   * A round now for every hosting node (or one): its next round number, the same derivation
   * as scheduled rounds. Admin only (POST /admin/challenges/run); scripts and tests use it.
   */
  async runRound(only?: string): Promise<Result<Transcript[]>> {
    return asResult(() =>
      this.exclusive(async () => {
        const d = db(this.env.DB);
        const seedRow = await this.open(d, Date.now());
        await this.sync(d, seedRow);
        const nodes = only ? [only.toLowerCase()] : await hostingNodes(d);
        const transcripts = await this.runFor(d, seedRow, nodes, true);
        await this.rearm(seedRow, Date.now());
        return transcripts;
      }),
    );
  }

  /** Closes the open epoch (after any round in flight); the close opens the next. */
  async close(now = Date.now()): Promise<Result<EpochJson>> {
    return asResult(() =>
      this.exclusive(async () => {
        const d = db(this.env.DB);
        await this.open(d, now);
        const closed = await closeEpoch(this.env, now);
        const next = await this.open(d, now);
        await this.sync(d, next);
        await this.rearm(next, now);
        return closed;
      }),
    );
  }
}
