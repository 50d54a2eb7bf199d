// The surge controller (DESIGN.md "Surge is a bounded controller"): each window the multiplier
// moves toward the saturation target by at most one step, the way EIP-1559 moves the base fee
// by at most 1/8 a block:
//
//   next = current × (1 + clamp((saturation − target) ÷ target, −1, +1) ÷ SURGE_STEP_DENOMINATOR)
//
// then clamped to [SURGE_FLOOR_BPS, SURGE_CAP_BPS]. The step is proportional to the deviation
// and never more than 1/8 of the multiplier, so a shock moves prices over many windows (12.5% a
// window at most: 1× to the 4× cap in twelve windows, an hour) and a lying forecast cannot jump
// them. One multiplier per torrent serves both sides: the download price multiplier (access
// route `fixed-gate`) and the upload reward multiplier, so a hot torrent costs more to fetch and
// pays its uploaders more, which draws supply.

import { BPS, SATURATION_TARGET_BPS, SURGE_CAP_BPS, SURGE_FLOOR_BPS, SURGE_STEP_DENOMINATOR } from "../params.ts";
import { clamp } from "./math.ts";

/** Neutral multiplier: 1×. */
export const NEUTRAL_SURGE_BPS = BPS;

export interface SurgeBounds {
  target: bigint;
  denominator: bigint;
  floor: bigint;
  cap: bigint;
}

export const SURGE_BOUNDS: SurgeBounds = { target: SATURATION_TARGET_BPS, denominator: SURGE_STEP_DENOMINATOR, floor: SURGE_FLOOR_BPS, cap: SURGE_CAP_BPS };

/** The multiplier for the next window, given this window's saturation (both in basis points). */
export function nextSurgeBps(current: bigint, saturationBps: bigint, b: SurgeBounds = SURGE_BOUNDS): bigint {
  if (current <= 0n) throw new RangeError(`surge must be positive, got ${current}`);
  if (saturationBps < 0n) throw new RangeError(`saturation must not be negative, got ${saturationBps}`);
  const deviation = clamp(saturationBps - b.target, -b.target, b.target);
  const step = (current * deviation) / (b.target * b.denominator);
  return clamp(current + step, b.floor, b.cap);
}

/** The multiplier an epoch's settlement uses for a torrent: the mean of its windows' (1× with none). */
export function epochSurgeBps(windows: readonly bigint[]): bigint {
  if (windows.length === 0) return NEUTRAL_SURGE_BPS;
  let s = 0n;
  for (const w of windows) s += w;
  return s / BigInt(windows.length);
}
