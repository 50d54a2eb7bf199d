// What one announce credits (TRACKER-NOTES "Accounting"; Ocelot's and UNIT3D's rules, and the
// bugs they fixed). `uploaded`/`downloaded` are cumulative for the client's session, so an
// announce credits the increase since the session's last credited counters:
// - a first sighting credits zero (its counters are only the baseline);
// - one session is one record per (member, info hash, peer id), whatever its endpoints: the
//   IPv4 and IPv6 announces of a dual-stack client, or the interfaces of a multi-homed one,
//   move one baseline, so nothing is credited twice;
// - the duplicate lock: within DUPLICATE_WINDOW_MS of the last credited announce, an announce
//   (a retry, the other family, a second request in flight) credits nothing and leaves the
//   baseline; its bytes count at the next one (`completed` and `stopped` are credited at once);
// - the baseline never moves down: lower counters soon after a credit are an overtaken
//   request (reordered, retried) and are ignored; lower counters later are a new client
//   session (credit zero); a request carrying an older session's `tracker id` just after a
//   new session began is that older session's, and is ignored;
// - the increase is bounded by what the torrent and the session make possible (size, time,
//   rate: protocol/accounting/bounds.ts); the bounded counters become the baseline, and the
//   refused bytes are reported so the shard counts them in /metrics;
// - freeleech, neutral and double upload are applied here, at credit time, to give the
//   CREDITED figures; the ACTUAL ones stay as the client reported them (within the bounds).
// Pure: the shard calls it, tests call it directly with chosen clocks.

import { boundCounters } from "../../protocol/accounting/bounds.ts";
import { DOUBLE_UPLOAD, DUPLICATE_WINDOW_MS, FREELEECH, NEUTRAL, SEED_GAP_CAP_MS, STALE_WINDOW_MS } from "../announce/rules.ts";
import { SEED, type Peer } from "./swarm.ts";

export const EV_NONE = 0;
export const EV_STARTED = 1;
export const EV_COMPLETED = 2;
export const EV_STOPPED = 3;
export const EV_PAUSED = 4;

export const EVENT_CODES: Record<string, number> = { "": EV_NONE, started: EV_STARTED, completed: EV_COMPLETED, stopped: EV_STOPPED, paused: EV_PAUSED };

/** How an announce of a known session was taken. */
export type Outcome = "credited" | "duplicate" | "stale" | "new-session";

export interface Credit {
  outcome: Outcome;
  /** Actual bytes (the client's deltas) and credited bytes (after the flags). */
  up: number;
  down: number;
  cup: number;
  cdown: number;
  /** Seed time earned by this announce, whole seconds. */
  seed: number;
  /** Reported increase refused by the bounds (bounds.ts), bytes. */
  refusedUp: number;
  refusedDown: number;
}

/** Credited figures from actual ones: the torrent's flags, and a newcomer's free session. */
export function credited(up: number, down: number, torrentFlags: number, free: boolean): { cup: number; cdown: number } {
  if (torrentFlags & NEUTRAL) return { cup: 0, cdown: 0 };
  return { cup: torrentFlags & DOUBLE_UPLOAD ? 2 * up : up, cdown: torrentFlags & FREELEECH || free ? 0 : down };
}

export interface CounterReport {
  up: number;
  down: number;
  event: number;
  /** The `tracker id` the client echoed (0: none). */
  trackerId: number;
  now: number;
  torrentFlags: number;
  /** The torrent's length in bytes (0: unknown, no size bound). */
  length: number;
}

/** Credits an announce of a session already known; moves its baseline. */
export function creditAnnounce(p: Peer, r: CounterReport): Credit {
  const none: Credit = { outcome: "duplicate", up: 0, down: 0, cup: 0, cdown: 0, seed: 0, refusedUp: 0, refusedDown: 0 };
  const sinceCredit = r.now - p.lastCredit;
  const lower = r.up < p.uploaded || r.down < p.downloaded;
  const staleTrackerId = r.trackerId !== 0 && r.trackerId < p.session && r.now - p.session < STALE_WINDOW_MS;
  if (staleTrackerId || (lower && sinceCredit < STALE_WINDOW_MS)) return { ...none, outcome: "stale" };
  if (lower) {
    p.uploaded = r.up;
    p.downloaded = r.down;
    p.session = r.now;
    p.lastCredit = r.now;
    return { ...none, outcome: "new-session" };
  }
  // `stopped` (the session's last word) and `completed` (sent once, at the moment the download
  // ends: a fast download can complete within the window of its `started`) are always
  // credited; their deltas cannot repeat a credit. Deferring `completed`'s bytes would charge
  // them under whatever flags the torrent has at the next announce.
  if (sinceCredit < DUPLICATE_WINDOW_MS && r.event !== EV_STOPPED && r.event !== EV_COMPLETED) return none;
  const b = boundCounters({ up: p.uploaded, down: p.downloaded }, r, r.length, sinceCredit);
  const up = b.up - p.uploaded;
  const down = b.down - p.downloaded;
  const seed = p.kind === SEED && sinceCredit > 0 && sinceCredit < SEED_GAP_CAP_MS ? Math.floor(sinceCredit / 1_000) : 0;
  p.uploaded = b.up;
  p.downloaded = b.down;
  p.lastCredit = r.now;
  return { outcome: "credited", up, down, ...credited(up, down, r.torrentFlags, p.free), seed, refusedUp: b.refusedUp, refusedDown: b.refusedDown };
}
