// Held-back earnings (DESIGN.md "Stake without buying the token"), as the contract computes
// them (contracts/src/HeldEarnings.sol), for the node's status, the edge's API and the
// simulation: each claim holds back HOLDBACK_BPS of its amount; held amounts vest linearly; a
// new held amount merges with the unvested rest, vesting until the amount-weighted mean of
// their remaining times; slashes take unvested held earnings first (after paying out what
// vested). Times are Unix seconds. protocol/vectors/holdback.json holds cases the Solidity
// tests replay against the contract.

import { BPS, HOLDBACK_BPS, HOLDBACK_VESTING_SECONDS } from "../params.ts";
import { min, requireNonNegative } from "./math.ts";

export interface HeldSchedule {
  /** Held and not vested as of `updatedAt`. */
  unvested: bigint;
  updatedAt: number;
  vestEnd: number;
}

export const EMPTY_HELD: HeldSchedule = { unvested: 0n, updatedAt: 0, vestEnd: 0 };

export interface HoldbackParams {
  holdbackBps: bigint;
  vestingSeconds: number;
}

export const HOLDBACK: HoldbackParams = { holdbackBps: HOLDBACK_BPS, vestingSeconds: HOLDBACK_VESTING_SECONDS };

/** The part of the schedule's unvested amount vested by `now`. */
export function vestedAt(s: HeldSchedule, now: number): bigint {
  if (s.unvested === 0n) return 0n;
  if (now >= s.vestEnd) return s.unvested;
  return (s.unvested * BigInt(now - s.updatedAt)) / BigInt(s.vestEnd - s.updatedAt);
}

/** The held part of a claim of `amount`. */
export function heldPart(amount: bigint, p: HoldbackParams = HOLDBACK): bigint {
  requireNonNegative("amount", amount);
  return (amount * p.holdbackBps) / BPS;
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
  const held = heldPart(amount, p);
  let vestEnd = s.vestEnd;
  if (held > 0n) {
    const remaining = BigInt(vestEnd > now ? vestEnd - now : 0);
    vestEnd = now + Number((unvested * remaining + held * BigInt(p.vestingSeconds)) / (unvested + held));
    unvested += held;
  }
  return { schedule: { unvested, updatedAt: now, vestEnd }, held, paid: amount - held + vested };
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
  return { schedule: { unvested: unvested - taken, updatedAt: vested > 0n ? now : s.updatedAt, vestEnd: s.vestEnd }, taken, paid: vested };
}
