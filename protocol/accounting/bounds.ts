// Bounds on client-reported counters (DESIGN.md "No client-reported number moves money unless
// payment or proof backs it"; TRACKER-NOTES "Accounting"). `uploaded` and `downloaded` are
// cumulative for the client's session; the tracker credits the increase since the last credited
// announce. A client can report anything, so the increase is bounded by physics:
//   - either counter grows at most MAX_SESSION_BYTES_PER_SECOND × (elapsed + COUNTER_BURST_SECONDS);
//   - `downloaded` reaches at most the torrent's length + re-request slack in one session;
//   - `left` is at most the torrent's length.
// A bounded counter becomes the session's baseline, so bytes refused now are never credited
// later beyond what the rate allows then: over a session, credit ≤ rate × its duration.
// Pure and in plain numbers (bytes fit a double exactly below 2⁵³ ≈ 9 PB).

import { COUNTER_BURST_SECONDS, DOWNLOAD_SLACK_BPS, DOWNLOAD_SLACK_MIN_BYTES, MAX_SESSION_BYTES_PER_SECOND } from "../params.ts";

/** The most `downloaded` one session of a torrent of `length` bytes can reach (0: length unknown, no bound). */
export function maxSessionDownloaded(length: number): number {
  if (!(length > 0)) return Number.MAX_SAFE_INTEGER;
  return length + Math.max(Math.floor((length * DOWNLOAD_SLACK_BPS) / 10_000), DOWNLOAD_SLACK_MIN_BYTES);
}

/** The most either counter can grow in `elapsedMs` milliseconds. */
export function maxDelta(elapsedMs: number): number {
  const seconds = Math.max(0, elapsedMs) / 1_000 + COUNTER_BURST_SECONDS;
  return Math.floor(seconds * MAX_SESSION_BYTES_PER_SECOND);
}

/** `left` as the torrent allows it: never negative, never above its length (when known). */
export function boundLeft(left: number, length: number): number {
  if (!(left > 0)) return 0;
  return length > 0 ? Math.min(left, length) : left;
}

export interface BoundedCounters {
  /** The counters to credit up to and keep as the baseline (≥ the previous baseline). */
  up: number;
  down: number;
  /** Bytes of the reported increase refused by the bounds. */
  refusedUp: number;
  refusedDown: number;
}

/**
 * Bounds a session's reported counters against its baseline (`base`, never above the report:
 * the caller handles lower counters as a new session) for a torrent of `length` bytes, `elapsedMs`
 * after the last credited announce.
 */
export function boundCounters(base: { up: number; down: number }, report: { up: number; down: number }, length: number, elapsedMs: number): BoundedCounters {
  const step = maxDelta(elapsedMs);
  const up = Math.max(base.up, Math.min(report.up, base.up + step));
  const down = Math.max(base.down, Math.min(report.down, base.down + step, maxSessionDownloaded(length)));
  return { up, down, refusedUp: report.up - up, refusedDown: report.down - down };
}
