// Bindings, vars and secrets of the worker (wrangler.jsonc, docs/interfaces.md).

import type { SwarmShard } from "./swarm/shard.ts";
import type { WsSwarm } from "./ws/swarm.ts";
import type { ChallengeScheduler } from "./challenge/scheduler.ts";
import type { AccessRoute } from "../protocol/economics/access.ts";
import { POOL_FEE } from "../protocol/params.ts";

export interface Env {
  DB: D1Database;
  SWARM: DurableObjectNamespace<SwarmShard>;
  /** WebSocket (WebTorrent) swarms, WS_SHARDS fixed shards: worker/ws/. */
  WS_SWARM: DurableObjectNamespace<WsSwarm>;
  /** The challenge scheduler: one object coordinates rounds (alarms), epoch opening and closing. */
  SCHEDULER: DurableObjectNamespace<ChallengeScheduler>;
  /** Published epoch files (worker/epoch/files.ts): each epoch's inputs under their hash, readable by anyone. */
  EPOCH_FILES: R2Bucket;
  /** The members' site's static files (worker/web/public), served before the worker runs. */
  ASSETS?: Fetcher;
  /** Secrets: `.dev.vars` locally, `wrangler secret put` in production. */
  ADMIN_TOKEN?: string;
  /** Bearer token of GET /metrics (ADMIN_TOKEN when unset), so a scraper holds no admin power. */
  METRICS_TOKEN?: string;
  CHAIN_PRIVATE_KEY?: string;
  /** Signs challenge transcripts (EIP-712); CHAIN_PRIVATE_KEY when absent, unsigned when both are. */
  TRANSCRIPT_PRIVATE_KEY?: string;
  /** Vars. Chain access is optional: without CHAIN_RPC_URL epochs close without posting. */
  CHAIN_RPC_URL?: string;
  /** Expected chain id, checked against the RPC's eth_chainId before any read that settles or any post. */
  CHAIN_ID?: string;
  /** An RPC URL safe to publish (GET /api/chain, the site's reads, the CLI's default): never a keyed provider URL. Unset: none is published. */
  PUBLIC_RPC_URL?: string;
  /** Blocks on top of an epoch's post before its close is final (default 1; more on a public chain). */
  CHAIN_CONFIRMATIONS?: string;
  /** How long one tick waits for a post's receipt, in ms (default 30,000); the next tick checks again. */
  CHAIN_RECEIPT_WAIT_MS?: string;
  /** A post pending this long is replaced with higher fees on the same nonce (default 180). */
  CHAIN_REPLACE_AFTER_SECONDS?: string;
  /** The highest maxFeePerGas (wei) a replacement may offer; unset: no cap. */
  CHAIN_MAX_FEE_PER_GAS?: string;
  /** Multicall3 (aggregate3) for the close's many reads; default MULTICALL3_ADDRESS (protocol/multicall.ts), the same on every major chain. */
  MULTICALL3_ADDRESS?: string;
  TOKEN_ADDRESS?: string;
  STAKING_ADDRESS?: string;
  EPOCH_REWARDS_ADDRESS?: string;
  /** HostingBounties (created by EpochRewards): balances read at each close (absent → no bounties are drawn) and the site's bounty forms. */
  BOUNTIES_ADDRESS?: string;
  /** Escrow: members with a deposit there are charged past the allotment (absent → they are slowed instead); the site's deposit forms. */
  ESCROW_ADDRESS?: string;
  /** HostingBadges: the site's badge claims. */
  BADGES_ADDRESS?: string;
  /** The token's market (contracts/uniswap.ts; contracts/worker-config.ts marketVars): Uniswap v3 and WETH9, published by GET /api/chain for the site and the CLI to quote and swap. */
  WETH_ADDRESS?: string;
  UNISWAP_FACTORY_ADDRESS?: string;
  UNISWAP_ROUTER_ADDRESS?: string;
  /** Uniswap's QuoterV2: quotes, price impact and the minimum received. */
  UNISWAP_QUOTER_ADDRESS?: string;
  UNISWAP_POSITION_MANAGER_ADDRESS?: string;
  /** The VIDYA/WETH pool: spot price (slot0) and its TWAP (observe). */
  VIDYA_WETH_POOL_ADDRESS?: string;
  /** The pool's fee tier in hundredths of a basis point (default POOL_FEE, 3000). */
  VIDYA_WETH_POOL_FEE?: string;
  /** HostingRouter: swap ETH for VIDYA and fund a bounty or stake to join, in one transaction. */
  HOSTING_ROUTER_ADDRESS?: string;
  /** The access route (protocol/economics/access.ts): "fixed-gate" (default) or "dynamic-gate". */
  ACCESS_ROUTE?: string;
  EPOCH_SECONDS?: string;
  /** Challenge rounds per node per epoch (default CHALLENGE_ROUNDS_PER_EPOCH); "0" runs admin rounds only. */
  CHALLENGE_ROUNDS?: string;
  /** Seconds between two reachability checks of one node (default NODE_CHECK_INTERVAL_SECONDS). */
  NODE_CHECK_INTERVAL_SECONDS?: string;
  /** Retries of a challenge that did not pass before it counts (default CHALLENGE_RETRIES). */
  CHALLENGE_RETRIES?: string;
  /** A challenge's (and a check's) deadline in ms (default CHALLENGE_DEADLINE_MS): shorter only in tests, to wait out a silent node sooner. */
  CHALLENGE_DEADLINE_MS?: string;
  /** How long after an epoch closes disputes of its transcripts are accepted (default DISPUTE_DELAY_SECONDS). */
  DISPUTE_WINDOW_SECONDS?: string;
  /** The members' site's origin (https://host): the EIP-4361 domain and URI sign-ins are for (worker/web/session.ts). */
  SITE_ORIGIN?: string;
  LOCAL_DEV?: string;
  /** The close's settlement (worker/epoch/settle-mode.ts): "paged" (default, settle-paged.ts sweeps) or "whole" (settleEpoch at once). */
  EPOCH_SETTLE?: string;
  /** Torrents per page of a "paged" settlement (default SETTLE_PAGE_TORRENTS). */
  EPOCH_SETTLE_PAGE_TORRENTS?: string;
  /** Inputs larger than this (bytes) are hashed, written, then checked and posted in ticks of their own (default close.ts SPLIT_INPUTS_BYTES). */
  EPOCH_SPLIT_INPUTS_BYTES?: string;
  /** Page results a paged close computes in one invocation before it stops for the next tick (default SETTLE_PAGES_PER_TICK). */
  EPOCH_SETTLE_PAGES_PER_TICK?: string;
  /** Tests only (a vitest binding, never in wrangler.jsonc): "1" lets `X-Test-Now` set a request's clock. */
  TEST_CLOCK?: string;
  /** Tests only (never in wrangler.jsonc): the epoch writer dies right after recording this state (writer.ts crashPoint). */
  TEST_CRASH_AFTER?: string;
}

export function chainId(env: Env): number {
  const id = Number(env.CHAIN_ID ?? "31337");
  return Number.isSafeInteger(id) && id > 0 ? id : 31337;
}

/** The pool's fee tier: VIDYA_WETH_POOL_FEE, else POOL_FEE. */
export function poolFee(env: Env): number {
  const fee = Number(env.VIDYA_WETH_POOL_FEE);
  return Number.isSafeInteger(fee) && fee > 0 && fee < 1_000_000 ? fee : POOL_FEE;
}

export function secondsVar(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** The access route in force; an unknown value falls back to the default, `fixed-gate`. */
export function accessRoute(env: Env): AccessRoute {
  return env.ACCESS_ROUTE === "dynamic-gate" ? "dynamic-gate" : "fixed-gate";
}
