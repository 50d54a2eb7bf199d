// The market as the site reads it: its addresses from the worker's vars, and the VIDYA/WETH
// pool's time-weighted average tick over TWAP_WINDOW_SECONDS (protocol/market/read-twap.ts).

import type { Address } from "viem";
import type { PublicClient } from "viem";
import { readTwap as readPoolTwap } from "../../protocol/market/read-twap.ts";
import type { Twap } from "../../protocol/market/twap.ts";
import { POOL_FEE, TWAP_WINDOW_SECONDS } from "../../protocol/params.ts";
import type { Env } from "../env.ts";
import { publicClient } from "./client.ts";
import { safeMessage } from "../errors.ts";

const isAddress = (v: string | undefined): v is Address => Boolean(v && /^0x[0-9a-fA-F]{40}$/.test(v));

/** The market's addresses, when the chain has one configured. */
export interface Market {
  token: Address;
  weth: Address;
  pool: Address;
  fee: number;
  quoter?: Address;
  router?: Address;
  hostingRouter?: Address;
}

export function marketOf(env: Env): Market | undefined {
  if (!env.CHAIN_RPC_URL || !isAddress(env.TOKEN_ADDRESS) || !isAddress(env.WETH_ADDRESS) || !isAddress(env.VIDYA_WETH_POOL_ADDRESS)) return undefined;
  const fee = Number(env.VIDYA_WETH_POOL_FEE ?? POOL_FEE);
  return {
    token: env.TOKEN_ADDRESS,
    weth: env.WETH_ADDRESS,
    pool: env.VIDYA_WETH_POOL_ADDRESS,
    fee: Number.isInteger(fee) && fee > 0 && fee < 1_000_000 ? fee : POOL_FEE,
    quoter: isAddress(env.UNISWAP_QUOTER_ADDRESS) ? env.UNISWAP_QUOTER_ADDRESS : undefined,
    router: isAddress(env.UNISWAP_ROUTER_ADDRESS) ? env.UNISWAP_ROUTER_ADDRESS : undefined,
    hostingRouter: isAddress(env.HOSTING_ROUTER_ADDRESS) ? env.HOSTING_ROUTER_ADDRESS : undefined,
  };
}

/**
 * The pool's TWAP, or undefined when there is no market or it has no history yet (a price is
 * then simply not shown: an ETH figure is a help, never a reason for a page to fail).
 */
export async function readTwap(env: Env, now = Date.now()): Promise<Twap | undefined> {
  const m = marketOf(env);
  if (!m) return undefined;
  const cached = twapCache.get(m.pool);
  if (cached && now - cached.at < TWAP_CACHE_MS) return cached.twap;
  let twap: Twap | undefined;
  try {
    twap = await readPoolTwap(publicClient(env) as PublicClient, { pool: m.pool, vidya: m.token, weth: m.weth }, TWAP_WINDOW_SECONDS);
  } catch (e) {
    console.warn("TWAP unavailable", safeMessage(e));
  }
  twapCache.set(m.pool, { at: now, twap });
  return twap;
}

// A 30-minute average barely moves in 30 s: each isolate reads it at most that often, so busy
// pages (the index for visitors) cost no chain reads per view, and a failing RPC is not retried per view.
const TWAP_CACHE_MS = 30_000;
const twapCache = new Map<string, { at: number; twap: Twap | undefined }>();
