// The access policy in force (protocol/economics/access.ts, gate.ts): the route from the
// configuration, the gate multiplier from the last close (epochs.gate_bps), and what they make
// joining cost. The join route, the site and `vidya join` read it here; closes move it.

import { desc } from "drizzle-orm";
import { gateStake, joinFee, type AccessRoute } from "../../protocol/economics/access.ts";
import { epochAccess, type EpochAccess } from "../../protocol/economics/gate.ts";
import { BPS } from "../../protocol/params.ts";
import { db, schema, type Db } from "../db/client.ts";
import { accessRoute, type Env } from "../env.ts";
import { swarmLedgerOf } from "../accounting/ledger.ts";

export interface AccessNow {
  route: AccessRoute;
  gateBps: bigint;
  /** The stake to hold and the join fee to have paid, wei. */
  gateStake: bigint;
  joinFee: bigint;
  /** The close that set the gate and the saturation it measured (0 and 0 before any close). */
  setBy: number;
  saturationBps: bigint;
}

/** The gate in force: the fixed gate is always neutral; the dynamic one is what the newest close set. */
export async function accessNow(env: Env, d: Db = db(env.DB)): Promise<AccessNow> {
  const route = accessRoute(env);
  const last = await d.select({ epoch: schema.epochs.epoch, gateBps: schema.epochs.gateBps, saturationBps: schema.epochs.saturationBps }).from(schema.epochs).orderBy(desc(schema.epochs.epoch)).limit(1).get();
  const gateBps = route === "fixed-gate" || !last ? BPS : BigInt(last.gateBps);
  const state = { route, gateBps };
  return { route, gateBps, gateStake: gateStake(state), joinFee: joinFee(state), setBy: last?.epoch ?? 0, saturationBps: BigInt(last?.saturationBps ?? 0) };
}

export const accessJson = (a: AccessNow) => ({
  route: a.route,
  gateBps: a.gateBps.toString(),
  gateStake: a.gateStake.toString(),
  joinFee: a.joinFee.toString(),
  setBy: a.setBy,
  saturationBps: a.saturationBps.toString(),
});

/**
 * The close's access step for `epoch`: the gate the previous close set (neutral on the fixed
 * gate or at the first close), the swarms' loads from the epoch's sealed swarm ledger, and the
 * gate they set for the next epoch. Published whole with the inputs.
 */
export async function closeAccess(env: Env, d: Db, epoch: number): Promise<EpochAccess> {
  const route = accessRoute(env);
  const previous = await d.select({ gateBps: schema.epochs.gateBps }).from(schema.epochs).orderBy(desc(schema.epochs.epoch)).limit(1).get();
  const gateBps = route === "fixed-gate" || !previous ? BPS : BigInt(previous.gateBps);
  const swarms = (await swarmLedgerOf(env.DB, epoch))
    .filter((s) => s.demandSum > 0 || s.capacitySum > 0)
    .map((s) => ({ infoHash: s.infoHash, demand: BigInt(s.demandSum), capacity: BigInt(s.capacitySum) }));
  return epochAccess(route, gateBps, swarms);
}
