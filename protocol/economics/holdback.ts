// Held-back earnings (DESIGN.md "Stake without buying the token"), as the contract computes
// them (contracts/src/HeldEarnings.sol), for the node's status, the edge's API and the
// simulation: each claim holds back a share of its amount set by the node's age since its first
// claim (HOLDBACK_NEW_BPS over HOLDBACK_NEW_VESTING_SECONDS for a new node, falling linearly to
// HOLDBACK_BPS over HOLDBACK_VESTING_SECONDS at HOLDBACK_AGE_RAMP_SECONDS); held amounts vest linearly; a
// new held amount merges with the unvested rest, vesting until the amount-weighted mean of
// their remaining times; slashes take unvested held earnings first (after paying out what
// vested). Times are Unix seconds. protocol/vectors/holdback.json holds cases the Solidity
// tests replay against the contract.

import { BPS, HOLDBACK_AGE_RAMP_SECONDS, HOLDBACK_BPS, HOLDBACK_NEW_BPS, HOLDBACK_NEW_VESTING_SECONDS, HOLDBACK_VESTING_SECONDS } from "../params.ts";
import { min, requireNonNegative } from "./math.ts";

export interface HeldSchedule {
  /** Held and not vested as of `updatedAt`. */
  unvested: bigint;
  updatedAt: number;
  vestEnd: number;
  /** The day (Unix seconds ÷ 86,400) of the first claim; 0 before it. The node's age counts from it. */
  sinceDay: number;
}

export const EMPTY_HELD: HeldSchedule = { unvested: 0n, updatedAt: 0, vestEnd: 0, sinceDay: 0 };

const DAY = 86_400;

export interface HoldbackParams {
  /** An aged node's share and vesting period. */
  holdbackBps: bigint;
  vestingSeconds: number;
  /** A new node's (at its first claim). */
  newHoldbackBps: bigint;
  newVestingSeconds: number;
  /** Age at which the aged figures apply; 0: always. */
  ageRampSeconds: number;
}

export const HOLDBACK: HoldbackParams = {
  holdbackBps: HOLDBACK_BPS,
  vestingSeconds: HOLDBACK_VESTING_SECONDS,
  newHoldbackBps: HOLDBACK_NEW_BPS,
  newVestingSeconds: HOLDBACK_NEW_VESTING_SECONDS,
  ageRampSeconds: HOLDBACK_AGE_RAMP_SECONDS,
};

/** The share held back and the vesting period at `age` seconds since the first claim (HeldEarnings._holdbackAt). */
export function holdbackAt(age: number, p: HoldbackParams = HOLDBACK): { bps: bigint; vestingSeconds: number } {
  if (age >= p.ageRampSeconds) return { bps: p.holdbackBps, vestingSeconds: p.vestingSeconds };
  const left = BigInt(p.ageRampSeconds - age);
  const ramp = BigInt(p.ageRampSeconds);
  return {
    bps: p.holdbackBps + ((p.newHoldbackBps - p.holdbackBps) * left) / ramp,
    vestingSeconds: p.vestingSeconds + Number((BigInt(p.newVestingSeconds - p.vestingSeconds) * left) / ramp),
  };
}

/** The node's age at `now` as the contract counts it: whole days since its first claim (0 before one). */
export function ageAt(s: HeldSchedule, now: number): number {
  return s.sinceDay === 0 ? 0 : (Math.floor(now / DAY) - s.sinceDay) * DAY;
}

/** The part of the schedule's unvested amount vested by `now`. */
export function vestedAt(s: HeldSchedule, now: number): bigint {
  if (s.unvested === 0n) return 0n;
  if (now >= s.vestEnd) return s.unvested;
  return (s.unvested * BigInt(now - s.updatedAt)) / BigInt(s.vestEnd - s.updatedAt);
}

/** The held part of a claim of `amount` by a node of `age` seconds (default: aged, the least held). */
export function heldPart(amount: bigint, age = Infinity, p: HoldbackParams = HOLDBACK): bigint {
  requireNonNegative("amount", amount);
  return (amount * holdbackAt(age, p).bps) / BPS;
}

export interface ClaimOutcome {
  schedule: HeldSchedule;
  held: bigint;
  /** Paid to the node now: the claim's unheld part plus what had vested. */
  paid: bigint;
}

/** A claim of `amount` at `now`. */
export function claimWithHoldback(s: HeldSchedule, amount: bigint, now: number, p: HoldbackParams = HOLDBACK): ClaimOutcome {
  const vested = vestedAt(s, now);
  let unvested = s.unvested - vested;
  const sinceDay = s.sinceDay === 0 ? Math.floor(now / DAY) : s.sinceDay;
  const { bps, vestingSeconds } = holdbackAt(ageAt({ ...s, sinceDay }, now), p);
  requireNonNegative("amount", amount);
  const held = (amount * bps) / BPS;
  let vestEnd = s.vestEnd;
  if (held > 0n) {
    const remaining = BigInt(vestEnd > now ? vestEnd - now : 0);
    vestEnd = now + Number((unvested * remaining + held * BigInt(vestingSeconds)) / (unvested + held));
    unvested += held;
  }
  return { schedule: { unvested, updatedAt: now, vestEnd, sinceDay }, held, paid: amount - held + vested };
}

/** Pays what vested by `now` (releaseVested, which reverts when nothing has: so does this). */
export function release(s: HeldSchedule, now: number): { schedule: HeldSchedule; paid: bigint } {
  const vested = vestedAt(s, now);
  if (vested === 0n) throw new RangeError("nothing vested to release");
  return { schedule: { ...s, unvested: s.unvested - vested, updatedAt: vested > 0n ? now : s.updatedAt }, paid: vested };
}

/** A slash of up to `max` at `now`: what vested is paid first, then unvested held earnings are taken. */
export function slashHeld(s: HeldSchedule, max: bigint, now: number): { schedule: HeldSchedule; taken: bigint; paid: bigint } {
  const vested = vestedAt(s, now);
  const unvested = s.unvested - vested;
  const taken = min(max, unvested);
  return { schedule: { unvested: unvested - taken, updatedAt: vested > 0n ? now : s.updatedAt, vestEnd: s.vestEnd, sinceDay: s.sinceDay }, taken, paid: vested };
}
