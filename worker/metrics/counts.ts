// Counts made in the worker isolates (requests answered before any shard: a malformed query,
// an unknown passkey, an unregistered torrent, a refused client). An isolate keeps them in
// memory and hands them to one swarm shard at most every SHIP_MS, in the background of a
// request (waitUntil): no D1 write, no extra round trip on the answer's path. Each isolate
// always ships to the same shard, so every series in /metrics only grows (a shard evicted
// from memory restarts its series at zero, which Prometheus reads as a counter reset).

import type { Env } from "../env.ts";
import { SWARM_SHARDS, shardName } from "../swarm/shard.ts";

const SHIP_MS = 10_000;
const pending = new Map<string, number>();
let lastShip = Date.now();
const shipShard = Math.floor(Math.random() * SWARM_SHARDS);

export function countInWorker(name: string, n = 1): void {
  pending.set(name, (pending.get(name) ?? 0) + n);
}

/** Ships this isolate's counts when due (or now, with `force`); call with the request's waitUntil. */
export function shipCounts(env: Env, waitUntil: (p: Promise<unknown>) => void, force = false): Promise<void> | undefined {
  const now = Date.now();
  if (pending.size === 0 || (!force && now - lastShip < SHIP_MS)) return undefined;
  lastShip = now;
  const counts = Object.fromEntries(pending);
  pending.clear();
  const ns = env.SWARM;
  const shipped = ns
    .get(ns.idFromName(shardName(shipShard)))
    .addCounts(counts)
    .catch(() => {
      // Lost counts are put back for the next ship.
      for (const [k, v] of Object.entries(counts)) countInWorker(k, v);
    });
  waitUntil(shipped);
  return shipped;
}
