// The freemium allotment (DESIGN.md "Access and downloads"): FREE_ALLOTMENT_BYTES of downloads
// free in any FREE_ALLOTMENT_DAYS, a rolling window counted per UTC day (a token bucket would
// allow twice the allotment across a window's edge). Past it, a member with a deposit in the
// Escrow contract pays per GB; one without (or who asked to withdraw) keeps downloading, slowed:
// fewer peers, a longer announce interval. Free and slowed bytes earn their uploaders nothing.

import {
  ANNOUNCE_INTERVAL_SECONDS,
  ANNOUNCE_MIN_INTERVAL_SECONDS,
  DEFAULT_NUMWANT,
  FREE_ALLOTMENT_BYTES,
  FREE_ALLOTMENT_DAYS,
  SLOW_INTERVAL_SECONDS,
  SLOW_MIN_INTERVAL_SECONDS,
  SLOW_NUMWANT,
} from "../params.ts";
import { min, requireNonNegative } from "./math.ts";

/** Free bytes a member used per UTC day (days since the epoch of Unix time), the last FREE_ALLOTMENT_DAYS only. */
export interface AllotmentState {
  days: { day: number; bytes: bigint }[];
}

export const EMPTY_ALLOTMENT: AllotmentState = { days: [] };

/** The UTC day of a Unix time in seconds. */
export const dayOf = (unixSeconds: number): number => Math.floor(unixSeconds / 86_400);

function window(state: AllotmentState, day: number): AllotmentState["days"] {
  return state.days.filter((d) => d.day > day - FREE_ALLOTMENT_DAYS && d.day <= day);
}

/** Free bytes left on `day`. */
export function freeRemaining(state: AllotmentState, day: number, allotment: bigint = FREE_ALLOTMENT_BYTES): bigint {
  let used = 0n;
  for (const d of window(state, day)) used += d.bytes;
  return used >= allotment ? 0n : allotment - used;
}

export interface DownloadSplit {
  state: AllotmentState;
  /** Bytes within the allotment. */
  free: bigint;
  /** Bytes charged to the deposit. */
  paid: bigint;
  /** Bytes past the allotment without a deposit: served slowly, charged nothing. */
  slowed: bigint;
}

/** Splits `bytes` downloaded on `day`: free first, then paid if the member has a deposit, else slowed. */
export function splitDownload(state: AllotmentState, day: number, bytes: bigint, hasDeposit: boolean, allotment: bigint = FREE_ALLOTMENT_BYTES): DownloadSplit {
  requireNonNegative("bytes", bytes);
  const free = min(bytes, freeRemaining(state, day, allotment));
  const rest = bytes - free;
  // A copy: the caller's state is never changed.
  const days = window(state, day).map((d) => ({ ...d }));
  if (free > 0n) {
    const today = days.find((d) => d.day === day);
    if (today) today.bytes += free;
    else days.push({ day, bytes: free });
  }
  return { state: { days }, free, paid: hasDeposit ? rest : 0n, slowed: hasDeposit ? 0n : rest };
}

/** How the tracker answers a member's announces. */
export interface AnnouncePace {
  numwant: number;
  interval: number;
  minInterval: number;
}

/** Normal pace, or the slowdown for a member past the allotment without a deposit. */
export function announcePace(slowed: boolean): AnnouncePace {
  return slowed
    ? { numwant: SLOW_NUMWANT, interval: SLOW_INTERVAL_SECONDS, minInterval: SLOW_MIN_INTERVAL_SECONDS }
    : { numwant: DEFAULT_NUMWANT, interval: ANNOUNCE_INTERVAL_SECONDS, minInterval: ANNOUNCE_MIN_INTERVAL_SECONDS };
}
