// Bindings, vars and secrets of the worker (wrangler.jsonc, docs/interfaces.md).

import type { SwarmShard } from "./swarm/shard.ts";

export interface Env {
  DB: D1Database;
  SWARM: DurableObjectNamespace<SwarmShard>;
  /** Secrets: `.dev.vars` locally, `wrangler secret put` in production. */
  ADMIN_TOKEN?: string;
  CHAIN_PRIVATE_KEY?: string;
  /** Vars. Chain access is optional: without CHAIN_RPC_URL epochs close without posting. */
  CHAIN_RPC_URL?: string;
  CHAIN_ID?: string;
  TOKEN_ADDRESS?: string;
  STAKING_ADDRESS?: string;
  EPOCH_REWARDS_ADDRESS?: string;
  EPOCH_SECONDS?: string;
  /** Minimum seconds between two scheduled challenge rounds (the cron ticks every minute). */
  CHALLENGE_SECONDS?: string;
  LOCAL_DEV?: string;
}

export function chainId(env: Env): number {
  const id = Number(env.CHAIN_ID ?? "31337");
  return Number.isSafeInteger(id) && id > 0 ? id : 31337;
}

export function secondsVar(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}
