// Saturation (DESIGN.md flow 5): download demand expected over the next 15 minutes ÷ upload
// capacity expected over the same 15 minutes, per torrent, forecast from the swarm's recent
// announce deltas. The surge controller (surge.ts) turns it into prices and reward multipliers.
//
// The forecaster, and why. Each SURGE_WINDOW_SECONDS the swarm reports what it saw (a
// `SwarmWindow`); the state keeps two exponentially weighted moving averages (EWMA) of rates:
//
//   demand rate  = bytes leechers asked for per second = downloaded + growth of the backlog
//   seeder rate  = bytes uploaded per seeder per second, learned only from windows that ended
//                  with leechers still lacking bytes (the seeders, not the demand, were the limit)
//
//   demand(15 min)   = backlog now (capped at what the leechers could take in 15 min)
//                    + demand rate × 15 min
//   capacity(15 min) = seeders now × max(seeder rate, SEEDER_RATE_FLOOR) × 15 min
//
// EWMA rather than a window average or a trend model (Holt, Holt–Winters), because: one number
// per rate is all a swarm's Durable Object carries from window to window; clients announce every
// 30 minutes, so a 5-minute window sees a sixth of the peers and its deltas are lumpy, which an
// EWMA smooths (weight FORECAST_ALPHA_BPS on the newest window: a half-life of three windows,
// the horizon itself); and the step response does not need the smoother: a flash crowd shows at
// once in the backlog, a level (the leechers' `left`), not a delta. A trend term would chase a
// ramp and overshoot after it, and the surge controller already bounds how fast a price moves.
//
// Integers throughout (bytes, bytes per second, basis points): anyone recomputes the same value.

import {
  BPS,
  FORECAST_ALPHA_BPS,
  LEECHER_RATE_CAP,
  SATURATION_MAX_BPS,
  SEEDER_RATE_FLOOR,
  SURGE_HORIZON_SECONDS,
} from "../params.ts";
import { max, min, requireNonNegative } from "./math.ts";

/** What a swarm saw in one window (the tracker's credited deltas and its peer table at the end). */
export interface SwarmWindow {
  /** Length of the window in seconds (SURGE_WINDOW_SECONDS). */
  seconds: number;
  /** Bytes credited as downloaded in the window, by every member, paid or free. */
  downloaded: bigint;
  /** Bytes credited as uploaded in the window. */
  uploaded: bigint;
  /** At the window's end: the bytes the swarm's leechers still lack, one figure per member. */
  left: bigint;
  leechers: number;
  seeders: number;
}

/** What a swarm carries from window to window. */
export interface ForecastState {
  /** EWMA of the demand rate, bytes per second. */
  demandRate: bigint;
  /** EWMA of the upload rate per seeder when seeders were the limit, bytes per second (0: not learned yet). */
  seederRate: bigint;
  /** Backlog, leechers and seeders at the end of the last window. */
  left: bigint;
  leechers: number;
  seeders: number;
  /** Windows observed so far (the first sets the averages instead of moving them). */
  windows: number;
}

export const EMPTY_FORECAST: ForecastState = { demandRate: 0n, seederRate: 0n, left: 0n, leechers: 0, seeders: 0, windows: 0 };

/** One EWMA step: prev + α (x − prev), α in basis points. */
export function ewma(prev: bigint, x: bigint, alphaBps: bigint = FORECAST_ALPHA_BPS): bigint {
  return prev + ((x - prev) * alphaBps) / BPS;
}

function checkWindow(w: SwarmWindow): void {
  if (!Number.isSafeInteger(w.seconds) || w.seconds <= 0) throw new RangeError(`window seconds must be a positive integer, got ${w.seconds}`);
  if (!Number.isSafeInteger(w.leechers) || w.leechers < 0 || !Number.isSafeInteger(w.seeders) || w.seeders < 0) throw new RangeError("peer counts must be non-negative integers");
  requireNonNegative("downloaded", w.downloaded);
  requireNonNegative("uploaded", w.uploaded);
  requireNonNegative("left", w.left);
}

/** The state after one more window. */
export function observeWindow(state: ForecastState, w: SwarmWindow): ForecastState {
  checkWindow(w);
  const seconds = BigInt(w.seconds);
  const grown = w.left > state.left ? w.left - state.left : 0n;
  const demandSample = (w.downloaded + grown) / seconds;
  const demandRate = state.windows === 0 ? demandSample : ewma(state.demandRate, demandSample);
  let seederRate = state.seederRate;
  // Leechers still lacking bytes at the end: the seeders were the limit, so their upload is their capacity.
  if (w.seeders > 0 && w.leechers > 0 && w.left > 0n) {
    const sample = w.uploaded / (BigInt(w.seeders) * seconds);
    seederRate = seederRate === 0n ? sample : ewma(seederRate, sample);
  }
  return { demandRate, seederRate, left: w.left, leechers: w.leechers, seeders: w.seeders, windows: state.windows + 1 };
}

export interface Forecast {
  /** Bytes leechers are expected to ask for over the horizon. */
  demand: bigint;
  /** Bytes the swarm's seeders are expected to be able to upload over the horizon. */
  capacity: bigint;
}

export function forecast(state: ForecastState, horizonSeconds: number = SURGE_HORIZON_SECONDS): Forecast {
  const h = BigInt(horizonSeconds);
  const backlog = min(state.left, BigInt(state.leechers) * LEECHER_RATE_CAP * h);
  const demand = backlog + state.demandRate * h;
  const capacity = BigInt(state.seeders) * max(state.seederRate, SEEDER_RATE_FLOOR) * h;
  return { demand, capacity };
}

/** demand ÷ capacity in basis points: 0 without demand, SATURATION_MAX_BPS without capacity, capped there. */
export function saturationBps(f: Forecast): bigint {
  if (f.demand <= 0n) return 0n;
  if (f.capacity <= 0n) return SATURATION_MAX_BPS;
  return min((f.demand * BPS) / f.capacity, SATURATION_MAX_BPS);
}

/** Saturation of a set of swarms taken together (the network, for the dynamic gate): Σ demand ÷ Σ capacity. */
export function networkSaturationBps(forecasts: Iterable<Forecast>): bigint {
  let demand = 0n;
  let capacity = 0n;
  for (const f of forecasts) {
    demand += f.demand;
    capacity += f.capacity;
  }
  return saturationBps({ demand, capacity });
}
