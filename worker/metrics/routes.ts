// GET /metrics: Prometheus text format (exposition format 0.0.4), protected by a bearer
// token (METRICS_TOKEN, else ADMIN_TOKEN). The counters live where the work happens, in the
// swarm shards (and, for requests refused before any shard, in the isolates that ship them
// to a shard: counts.ts); a scrape asks every shard and prints one series per shard, so each
// series only grows and sum() by reason or outcome is the tracker's total. Nothing here
// writes anywhere.

import { Hono } from "hono";
import type { Env } from "../env.ts";
import { HttpError, safeMessage } from "../errors.ts";
import { writerStatus, type WriterStatus } from "../epoch/status.ts";
import { CLOSE_STATES } from "../epoch/writer.ts";
import { tokenMatches } from "../admin.ts";
import { SWARM_SHARDS, shardName, type ShardMetrics } from "../swarm/shard.ts";
import { WS_SHARDS, wsShardName } from "../ws/swarm.ts";
import { shipCounts } from "./counts.ts";
import { challengeOutcomes, type ChallengeOutcome } from "./challenges.ts";
import { scheduler, type AlarmMetrics } from "../challenge/scheduler.ts";
import { openEpoch } from "../challenge/round.ts";
import { db } from "../db/client.ts";

interface Family {
  name: string;
  type: "counter" | "gauge";
  help: string;
  samples: string[];
}

/** Shard counter name → metric family and labels. */
function counterFamily(key: string): { name: string; help: string; labels: Record<string, string> } {
  let m: RegExpExecArray | null;
  if ((m = /^worker_(announce|scrape|ws)_failure_([a-z0-9_]+)$/.exec(key)))
    return { name: `vidya_${m[1]}_failures_total`, help: `${m[1]} requests refused, by reason`, labels: { reason: m[2]! } };
  if ((m = /^worker_(announce|scrape|ws)_ok$/.exec(key))) return { name: `vidya_${m[1]}_requests_total`, help: `${m[1]} requests answered by the worker without a failure`, labels: {} };
  if ((m = /^failures_([a-z_]+)$/.exec(key))) return { name: "vidya_announce_failures_total", help: "announce requests refused, by reason", labels: { reason: m[1]! } };
  if ((m = /^announces_(credited|duplicate|stale|new_session)$/.exec(key)))
    return { name: "vidya_announce_outcomes_total", help: "announces of known sessions by how their counters were taken (swarm/credit.ts)", labels: { outcome: m[1]! } };
  if ((m = /^clamped_(uploaded|downloaded|left)$/.exec(key)))
    return { name: "vidya_counter_clamps_total", help: "announces whose reported counter was bounded by the torrent's size or the session's time (protocol/accounting/bounds.ts)", labels: { counter: m[1]! } };
  if ((m = /^clamped_(uploaded|downloaded)_bytes$/.exec(key)))
    return { name: "vidya_clamped_bytes_total", help: "reported bytes refused by the counter bounds (never credited)", labels: { direction: m[1]! } };
  if ((m = /^(credited_)?(uploaded|downloaded)_bytes$/.exec(key)))
    return { name: "vidya_bytes_total", help: "bytes reported by clients (actual) and credited after the torrents' flags", labels: { direction: m[2]!, figure: m[1] ? "credited" : "actual" } };
  const known: Record<string, string> = {
    announces: "announces that reached a swarm shard",
    ws_announces: "WebSocket announces credited by the swarm shards",
    scrapes: "scrape requests answered by a swarm shard",
    too_soon: "announces sooner than min interval from the same endpoint (answered without peers)",
    sessions_started: "client sessions that joined a swarm",
    reaped: "sessions dropped after twice the interval without an announce",
    snatches: "completed downloads",
    flushes: "accounting batches applied to D1",
    flush_failures: "accounting batches D1 refused (retried)",
    flush_replays: "accounting batches found already applied when sent again",
    flushed_sessions: "session accounting rows sent to D1",
    d1_rows_written: "rows written to D1 by accounting batches (D1's own count)",
    do_rows_written: "rows written to the shards' own SQLite (write-behind and outbox)",
    directory_misses: "announces whose member or torrent the shard had to read from D1",
    directory_queries: "D1 reads of members and torrents by the shards (misses are batched)",
    worker_ws_closed_for_abuse: "WebSocket tracker connections closed for sending refused messages (out of strikes)",
  };
  return { name: `vidya_${key}_total`, help: known[key] ?? key.replace(/_/g, " "), labels: {} };
}

const GAUGES: Record<string, string> = {
  swarms: "swarms in memory",
  peers: "HTTP sessions in the swarms",
  seeders: "seeding sessions",
  leechers: "leeching sessions (partial seeds included)",
  partial_seeds: "BEP 21 partial seeds",
  ws_sessions: "WebSocket sessions credited by the shard",
  pending_sessions: "sessions changed since the shard's last journal row",
  unsent_credit_sessions: "sessions holding credit not yet sent to D1 (journaled, sent when due: worker/swarm/journal.ts)",
  credit_slots: "sessions holding unsent credit in a slot of the shard's compact store (a first sighting holds none: worker/swarm/unsent.ts)",
  outbox_batches: "sealed batches not yet applied to D1",
  journal_rows: "rows of the shard's journal",
  journal_records: "session and swarm records in the shard's journal (current and superseded)",
  flush_lag_seconds: "age of the oldest urgent change or batch not yet in D1",
  last_flush_duration_seconds: "duration of the last batch sent to D1",
  last_flush_age_seconds: "time since the last batch was applied (-1: none yet)",
  revoked_passkeys: "reset passkeys still refused by the shard",
  cached_members: "passkeys the shard knows without reading D1",
  cached_torrents: "torrents the shard knows without reading D1",
};

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/[\\"\n]/g, "_")}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

/** What the scrape read beside the shards; each part is absent when its source failed (logged). */
export interface Extras {
  writer?: WriterStatus;
  outcomes?: ChallengeOutcome[];
  alarm?: AlarmMetrics;
}

export function renderMetrics(shards: ShardMetrics[], ws: { shard: number; sockets: number; peers: number; refused?: number }[], unreachable: number, extras: Extras = {}): string {
  const { writer, outcomes, alarm } = extras;
  const families = new Map<string, Family>();
  const family = (name: string, type: Family["type"], help: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, type, help, samples: [] }));
    return f;
  };
  for (const s of shards) {
    const shard = String(s.shard);
    for (const [k, v] of Object.entries(s.counters)) {
      const f = counterFamily(k);
      family(f.name, "counter", f.help).samples.push(`${f.name}${labelText({ ...f.labels, shard })} ${v}`);
    }
    for (const [k, v] of Object.entries(s.gauges)) {
      const name = `vidya_${k}`;
      family(name, "gauge", GAUGES[k] ?? k).samples.push(`${name}${labelText({ shard })} ${v}`);
    }
  }
  for (const w of ws) {
    family("vidya_ws_sockets", "gauge", "WebSocket tracker connections (edge links) per WsSwarm shard").samples.push(`vidya_ws_sockets{ws_shard="${w.shard}"} ${w.sockets}`);
    family("vidya_ws_peers", "gauge", "WebTorrent peers in the WebSocket swarms").samples.push(`vidya_ws_peers{ws_shard="${w.shard}"} ${w.peers}`);
    // Since the object last woke (it hibernates): the edge's refusals are in vidya_ws_failures_total.
    family("vidya_ws_swarm_refusals_total", "counter", "WebSocket announces refused by the swarm object itself (peer-id owner, per-member and per-connection limits)").samples.push(
      `vidya_ws_swarm_refusals_total{ws_shard="${w.shard}"} ${w.refused ?? 0}`,
    );
  }
  family("vidya_metrics_unreachable_shards", "gauge", "shards that did not answer this scrape").samples.push(`vidya_metrics_unreachable_shards ${unreachable}`);
  if (writer) writerFamilies(writer, family);
  if (outcomes) {
    // A gauge: the open epoch's transcripts, so it restarts from 0 when the next epoch opens.
    const f = family("vidya_challenge_outcomes", "gauge", "challenge transcripts of the open epoch by verdict and reason class (protocol/challenge/reason-class.ts)");
    for (const o of outcomes) f.samples.push(`vidya_challenge_outcomes${labelText({ verdict: o.verdict, reason: o.reason })} ${o.count}`);
  }
  if (alarm) {
    if (alarm.lastLagMs !== null)
      family("vidya_challenge_alarm_lag_seconds", "gauge", "how late the challenge scheduler's last alarm fired after its scheduled time").samples.push(`vidya_challenge_alarm_lag_seconds ${alarm.lastLagMs / 1000}`);
    if (alarm.lastFiredAt !== null)
      family("vidya_challenge_alarm_last_fired_timestamp_seconds", "gauge", "when the challenge scheduler's last alarm fired (unix seconds)").samples.push(
        `vidya_challenge_alarm_last_fired_timestamp_seconds ${Math.floor(alarm.lastFiredAt / 1000)}`,
      );
  }
  let out = "";
  // A family without samples (no failures yet, no transcripts yet) is left out: an empty line is not valid exposition.
  for (const f of families.values()) if (f.samples.length) out += `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n${f.samples.join("\n")}\n`;
  return out;
}

/** The epoch writer (worker/epoch/status.ts): an overdue epoch, a stuck post or a halt shows here. */
function writerFamilies(w: WriterStatus, family: (name: string, type: Family["type"], help: string) => Family): void {
  family("vidya_epoch_open", "gauge", "the open epoch").samples.push(`vidya_epoch_open ${w.openEpoch}`);
  if (w.openAgeSeconds !== null) family("vidya_epoch_open_age_seconds", "gauge", "seconds since the open epoch opened").samples.push(`vidya_epoch_open_age_seconds ${w.openAgeSeconds}`);
  const last = family("vidya_epoch_last", "gauge", "the last epoch final in D1 and the last posted on-chain (-1: the RPC did not answer)");
  last.samples.push(`vidya_epoch_last{source="d1"} ${w.lastFinalEpoch}`);
  if (w.chainLastEpoch !== undefined) last.samples.push(`vidya_epoch_last{source="chain"} ${w.chainLastEpoch ?? -1}`);
  if (w.posterBalanceWei !== undefined)
    family("vidya_chain_poster_balance_wei", "gauge", "the epoch poster's balance for gas (-1: the RPC did not answer)").samples.push(`vidya_chain_poster_balance_wei ${w.posterBalanceWei ?? -1}`);
  family("vidya_epoch_closing", "gauge", "the epoch whose close is unfinished (0: none)").samples.push(`vidya_epoch_closing ${w.closing?.epoch ?? 0}`);
  const state = family("vidya_epoch_close_state", "gauge", "1 for the state the unfinished close is in (worker/epoch/writer.ts)");
  for (const s of CLOSE_STATES.filter((x) => x !== "final")) state.samples.push(`vidya_epoch_close_state${labelText({ state: s })} ${w.closing?.state === s ? 1 : 0}`);
  family("vidya_epoch_post_attempts_total", "counter", "postRoot transactions signed and recorded (replacements included)").samples.push(`vidya_epoch_post_attempts_total ${w.postAttempts}`);
  const settlements = family("vidya_escrow_settlements", "gauge", "Escrow settle transactions recorded by state (sent: pending on the poster key, followed each tick)");
  for (const s of ["sent", "mined", "reverted", "dropped"]) settlements.samples.push(`vidya_escrow_settlements${labelText({ state: s })} ${w.settlements.find((x) => x.state === s)?.count ?? 0}`);
  const failures = family("vidya_epoch_close_failures_total", "counter", "failures of the epoch writer by code (chain_error, chain_id_mismatch, bad_root...)");
  for (const f of w.failures) failures.samples.push(`vidya_epoch_close_failures_total${labelText({ code: f.code })} ${f.count}`);
  family("vidya_epoch_overdue", "gauge", "1 when an epoch is overdue (open past its length and the grace, or its close unfinished or halted)").samples.push(`vidya_epoch_overdue ${w.overdue.overdue ? 1 : 0}`);
  if (w.overdue.overdue)
    family("vidya_epoch_overdue_info", "gauge", "the overdue epoch, since when (unix seconds) and why: the writer's state, halt reason or last error").samples.push(
      `vidya_epoch_overdue_info${labelText({ epoch: String(w.overdue.epoch), since: String(Math.floor((w.overdue.since ?? 0) / 1000)), reason: (w.overdue.reason ?? "").slice(0, 300) })} 1`,
    );
}

export const metricsRoute = new Hono<{ Bindings: Env }>();

metricsRoute.get("/metrics", async (c) => {
  const expected = c.env.METRICS_TOKEN || c.env.ADMIN_TOKEN;
  const header = c.req.header("Authorization") ?? "";
  const given = header.startsWith("Bearer ") ? header.slice(7) : "";
  if (!expected || !given || !(await tokenMatches(given, expected))) throw new HttpError(401, "unauthorized", "metrics token required");
  // This isolate's own counts first, so they are in what it answers.
  await shipCounts(c.env, (p) => c.executionCtx.waitUntil(p), true);
  const ns = c.env.SWARM;
  const wsNs = c.env.WS_SWARM;
  const logged = (what: string) => (e: unknown) => {
    console.error(`metrics: ${what} failed`, safeMessage(e));
    return undefined;
  };
  const [shards, ws, writer, outcomes, alarm] = await Promise.all([
    Promise.allSettled(Array.from({ length: SWARM_SHARDS }, (_, i) => ns.get(ns.idFromName(shardName(i))).metrics(i))),
    Promise.allSettled(Array.from({ length: WS_SHARDS }, (_, i) => wsNs.get(wsNs.idFromName(wsShardName(i))).metrics(i))),
    writerStatus(c.env).catch(logged("epoch writer status")),
    openEpoch(db(c.env.DB))
      .then((epoch) => challengeOutcomes(db(c.env.DB), epoch))
      .catch(logged("challenge outcomes")),
    scheduler(c.env).alarmMetrics().catch(logged("challenge alarm")),
  ]);
  const ok = <T>(r: PromiseSettledResult<T>[]) => r.filter((x): x is PromiseFulfilledResult<T> => x.status === "fulfilled").map((x) => x.value);
  const unreachable = shards.length + ws.length - ok(shards).length - ok(ws).length;
  return new Response(renderMetrics(ok(shards) as ShardMetrics[], ok(ws), unreachable, { writer, outcomes, alarm }), {
    headers: { "Content-Type": "text/plain; version=0.0.4; charset=utf-8", "Cache-Control": "no-store" },
  });
});
