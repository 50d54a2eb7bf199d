// The freemium allotment (DESIGN.md "Access and downloads"): FREE_ALLOTMENT_BYTES of downloads
// free in any FREE_ALLOTMENT_DAYS, a rolling window counted per UTC day (a token bucket would
// allow twice the allotment across a window's edge). Past it, a member with a deposit in the
// Escrow contract pays per GB, but only as many bytes as its available balance covers at the
// price in force (DESIGN.md "A deposit backs only what it can pay"); the rest, and everything of
// a member without a deposit (or who asked to withdraw), is served slowed: fewer peers, a longer
// announce interval. Free and slowed bytes earn their uploaders nothing.

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
import { BYTES_PER_GB } from "../params.ts";
import { downloadCharge } from "./access.ts";
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

/**
 * What a deposit can still pay: its on-chain balance (deposits − settled − withdrawn) minus what
 * earlier epochs charged that Escrow has not settled yet (cumulative spent leaf − settled).
 * Never negative: a member already charged its whole balance can pay nothing more.
 */
export function availableBalance(balance: bigint, settled: bigint, cumulativeSpent: bigint): bigint {
  requireNonNegative("balance", balance);
  requireNonNegative("settled", settled);
  requireNonNegative("cumulativeSpent", cumulativeSpent);
  const owed = cumulativeSpent > settled ? cumulativeSpent - settled : 0n;
  return balance > owed ? balance - owed : 0n;
}

/** The most bytes `available` wei pays for at `pricePerGBWei` (downloadCharge of them ≤ available). */
export function coveredBytes(available: bigint, pricePerGBWei: bigint): bigint {
  requireNonNegative("available", available);
  requireNonNegative("pricePerGBWei", pricePerGBWei);
  // A free price: nothing is charged, nothing can earn (upload caps are a share of the charge).
  if (pricePerGBWei === 0n) return 0n;
  return (available * BYTES_PER_GB) / pricePerGBWei;
}

/** A deposit's budget for one split: what it can still pay (wei) and the price of a GB (wei). */
export interface DepositBudget {
  available: bigint;
  pricePerGB: bigint;
}

export interface DownloadSplit {
  state: AllotmentState;
  /** Bytes within the allotment. */
  free: bigint;
  /** Bytes charged to the deposit: only those its available balance covers. */
  paid: bigint;
  /** Bytes past the allotment the deposit did not cover (or no deposit): served slowly, charged nothing. */
  slowed: bigint;
  /** What the paid bytes cost, wei (≤ the budget's `available`). */
  charged: bigint;
}

/**
 * Splits `bytes` downloaded on `day`: free first, then paid as far as the deposit's budget covers
 * them, the rest slowed. `true` is an unbounded deposit priced elsewhere (the simulation's model);
 * `false` no deposit.
 */
export function splitDownload(state: AllotmentState, day: number, bytes: bigint, deposit: boolean | DepositBudget, allotment: bigint = FREE_ALLOTMENT_BYTES): DownloadSplit {
  requireNonNegative("bytes", bytes);
  const free = min(bytes, freeRemaining(state, day, allotment));
  const rest = bytes - free;
  const paid = deposit === true ? rest : deposit === false ? 0n : min(rest, coveredBytes(deposit.available, deposit.pricePerGB));
  const charged = typeof deposit === "object" ? downloadCharge(paid, deposit.pricePerGB) : 0n;
  // A copy: the caller's state is never changed.
  const days = window(state, day).map((d) => ({ ...d }));
  if (free > 0n) {
    const today = days.find((d) => d.day === day);
    if (today) today.bytes += free;
    else days.push({ day, bytes: free });
  }
  return { state: { days }, free, paid, slowed: rest - paid, charged };
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

/** One member's published allotment outcome, as far as charges go (amounts as decimal strings or bigints). */
export interface ChargeOutcome {
  member: string;
  balance?: string | bigint;
  charged?: string | bigint;
}

/**
 * Members a close charged beyond what their deposit could pay (charged > balance), or whose
 * transfers' charges do not add up to their outcome's `charged`: a check anyone runs on the
 * published inputs (`vidya verify`). Empty when the close kept its rule. Outcomes without a
 * balance (epochs closed before the rule) are skipped.
 */
export function overcharged(transfers: readonly { member: string; charged?: string | bigint }[], outcomes: readonly ChargeOutcome[]): string[] {
  const sum = new Map<string, bigint>();
  for (const t of transfers) if (t.charged !== undefined) sum.set(t.member.toLowerCase(), (sum.get(t.member.toLowerCase()) ?? 0n) + BigInt(t.charged));
  const bad: string[] = [];
  for (const o of outcomes) {
    if (o.balance === undefined || o.charged === undefined) continue;
    const member = o.member.toLowerCase();
    const charged = BigInt(o.charged);
    if (charged > BigInt(o.balance) || (sum.get(member) ?? 0n) !== charged) bad.push(member);
  }
  return bad.sort();
}
