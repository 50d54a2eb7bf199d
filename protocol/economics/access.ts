// Access routes (DESIGN.md "Access and downloads"): the proposal's two ways to admit members and
// price downloads, as policies the edge switches between.
//
//   fixed-gate (default)  join with ACCESS_STAKE; each paid GB costs DOWNLOAD_PRICE_PER_GB × the
//                         torrent's surge multiplier: scarcity is priced per download.
//   dynamic-gate          join with ACCESS_STAKE × a gate multiplier that moves once an epoch
//                         toward the network's saturation target (EIP-1559's bounded step again,
//                         within [GATE_FLOOR_BPS, GATE_CAP_BPS]); each paid GB costs
//                         DOWNLOAD_PRICE_PER_GB flat: scarcity is priced at the door.
//
// In both, the upload reward multiplier is the torrent's surge (hot torrents pay their
// uploaders more) and no uploader earns more per GB than UPLOAD_PRICE_SHARE_BPS of what the GB
// was paid (upload-rewards.ts). A member already admitted keeps access whatever the gate does
// later: the gate prices joining, not staying. Joining by stake also pays a join fee (joinFee,
// a share of the gate stake) into the stakers' fee pool.

import {
  ACCESS_STAKE,
  BPS,
  BYTES_PER_GB,
  DOWNLOAD_PRICE_PER_GB,
  GATE_CAP_BPS,
  GATE_FLOOR_BPS,
  JOIN_FEE_BPS,
  SATURATION_TARGET_BPS,
  SURGE_STEP_DENOMINATOR,
} from "../params.ts";
import { requireNonNegative } from "./math.ts";
import { nextSurgeBps, NEUTRAL_SURGE_BPS } from "./surge.ts";

export type AccessRoute = "fixed-gate" | "dynamic-gate";
export const ACCESS_ROUTES: readonly AccessRoute[] = ["fixed-gate", "dynamic-gate"];

/** The access policy in force: its route and, for `dynamic-gate`, the gate multiplier. */
export interface AccessState {
  route: AccessRoute;
  /** Multiplier of ACCESS_STAKE for joining (always 1× on the fixed gate). */
  gateBps: bigint;
}

export function initialAccess(route: AccessRoute = "fixed-gate"): AccessState {
  if (!ACCESS_ROUTES.includes(route)) throw new RangeError(`unknown access route ${String(route)}`);
  return { route, gateBps: NEUTRAL_SURGE_BPS };
}

/** The stake a new member must hold to join. */
export function gateStake(state: AccessState): bigint {
  return (ACCESS_STAKE * state.gateBps) / BPS;
}

/** The join fee a new member pays into the fee pool when it joins by stake (a share of the gate stake). */
export function joinFee(state: AccessState): bigint {
  return (gateStake(state) * JOIN_FEE_BPS) / BPS;
}

/**
 * What an account still lacks to join by stake: the stake short of the gate stake and the join fee
 * not yet paid (each zero when covered). The site and `vidya join` buy `stake + fee` in one transaction.
 */
export function joinShortfall(have: { staked: bigint; joinFeePaid: bigint }, need: { gateStake: bigint; joinFee: bigint }): { stake: bigint; fee: bigint } {
  return {
    stake: need.gateStake > have.staked ? need.gateStake - have.staked : 0n,
    fee: need.joinFee > have.joinFeePaid ? need.joinFee - have.joinFeePaid : 0n,
  };
}

/** What one paid GB of a torrent with multiplier `surgeBps` costs under `route`. */
export function pricePerGB(route: AccessRoute, surgeBps: bigint): bigint {
  return route === "fixed-gate" ? (DOWNLOAD_PRICE_PER_GB * surgeBps) / BPS : DOWNLOAD_PRICE_PER_GB;
}

/** The upload reward multiplier of a torrent with multiplier `surgeBps` (both routes: the surge). */
export function uploadMultiplierBps(_route: AccessRoute, surgeBps: bigint): bigint {
  return surgeBps;
}

/** The charge for `bytes` paid bytes at `pricePerGBWei` (rounded down: a member never pays for a partial wei). */
export function downloadCharge(bytes: bigint, pricePerGBWei: bigint): bigint {
  requireNonNegative("bytes", bytes);
  return (bytes * pricePerGBWei) / BYTES_PER_GB;
}

/** The policy for the next epoch, given the network's saturation over this one (saturation.ts). */
export function nextAccess(state: AccessState, networkSaturationBps: bigint): AccessState {
  if (state.route === "fixed-gate") return state;
  const gateBps = nextSurgeBps(state.gateBps, networkSaturationBps, {
    target: SATURATION_TARGET_BPS,
    denominator: SURGE_STEP_DENOMINATOR,
    floor: GATE_FLOOR_BPS,
    cap: GATE_CAP_BPS,
  });
  return { route: state.route, gateBps };
}
