// The dynamic gate's epoch step (DESIGN.md "Access and downloads", issue 11 part 6): at each
// close the edge measures the network's saturation over the epoch (Σ demand ÷ Σ capacity of
// every swarm's surge windows, saturation.ts networkSaturationBps) and moves the join stake one
// bounded step toward the target (access.ts nextAccess). What it measured and what it decided
// are published with the epoch's inputs, so anyone recomputes the gate (`vidya verify`).

import { BPS } from "../params.ts";
import { ACCESS_ROUTES, gateStake, joinFee, nextAccess, type AccessRoute } from "./access.ts";
import { networkSaturationBps } from "./saturation.ts";

/** One swarm's load over an epoch: Σ over its surge windows of the 15-minute demand and capacity forecasts, bytes. */
export interface SwarmLoad {
  infoHash: string;
  demand: bigint;
  capacity: bigint;
}

/** The access policy an epoch ran under and the one its close set for the next. */
export interface EpochAccess {
  route: AccessRoute;
  /** The gate multiplier in force during the epoch (the previous close's nextGateBps; BPS at first). */
  gateBps: bigint;
  /** Every swarm's load, by info hash. */
  swarms: SwarmLoad[];
  /** The network's saturation over the epoch: Σ demand ÷ Σ capacity, basis points. */
  saturationBps: bigint;
  /** The gate multiplier from this close on (unchanged on the fixed gate). */
  nextGateBps: bigint;
  /** What joining costs from this close on, wei: the stake to hold and the join fee to pay. */
  nextGateStake: bigint;
  nextJoinFee: bigint;
}

/** The close's access step: the saturation of `swarms` moves `gateBps` (dynamic gate only). */
export function epochAccess(route: AccessRoute, gateBps: bigint, swarms: readonly SwarmLoad[]): EpochAccess {
  if (!ACCESS_ROUTES.includes(route)) throw new RangeError(`unknown access route ${String(route)}`);
  if (gateBps <= 0n) throw new RangeError(`gate multiplier must be positive, got ${gateBps}`);
  for (const s of swarms) if (s.demand < 0n || s.capacity < 0n) throw new RangeError(`swarm ${s.infoHash}: negative load`);
  const sorted = [...swarms].sort((a, b) => (a.infoHash < b.infoHash ? -1 : a.infoHash > b.infoHash ? 1 : 0));
  const saturationBps = networkSaturationBps(sorted);
  const next = nextAccess({ route, gateBps }, saturationBps);
  return { route, gateBps, swarms: sorted, saturationBps, nextGateBps: next.gateBps, nextGateStake: gateStake(next), nextJoinFee: joinFee(next) };
}

type Num = string | number | bigint;

/** An epoch's published `access` section (canonical JSON writes bigints as strings). */
export interface PublishedAccess {
  route: AccessRoute;
  gateBps: Num;
  swarms: { infoHash: string; demand: Num; capacity: Num }[];
  saturationBps: Num;
  nextGateBps: Num;
  nextGateStake: Num;
  nextJoinFee: Num;
}

/**
 * Why a published access step does not follow from its own measurements (empty: it does).
 * `previousNextGateBps` is the previous epoch's published nextGateBps (BPS when it had none):
 * the gate an epoch ran under must be the one the close before it set.
 */
export function checkEpochAccess(p: PublishedAccess, previousNextGateBps: bigint = BPS): string[] {
  const problems: string[] = [];
  let again: EpochAccess;
  try {
    again = epochAccess(p.route, BigInt(p.gateBps), p.swarms.map((s) => ({ infoHash: s.infoHash, demand: BigInt(s.demand), capacity: BigInt(s.capacity) })));
  } catch (e) {
    return [`unreadable: ${e instanceof Error ? e.message : String(e)}`];
  }
  // The fixed gate is always neutral; the dynamic one starts where the previous close left it.
  const expected = p.route === "fixed-gate" ? BPS : previousNextGateBps;
  if (again.gateBps !== expected) problems.push(`gate ${again.gateBps} is not the ${expected} the previous close set`);
  if (again.saturationBps !== BigInt(p.saturationBps)) problems.push(`saturation ${p.saturationBps} recomputes to ${again.saturationBps}`);
  if (again.nextGateBps !== BigInt(p.nextGateBps)) problems.push(`next gate ${p.nextGateBps} recomputes to ${again.nextGateBps}`);
  if (again.nextGateStake !== BigInt(p.nextGateStake) || again.nextJoinFee !== BigInt(p.nextJoinFee)) problems.push("next gate stake or join fee does not follow from the next gate");
  return problems;
}
