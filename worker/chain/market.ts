// The VIDYA/WETH pool as the site reads it: its time-weighted average tick over TWAP_WINDOW_SECONDS
// (or over all the history the pool keeps, when that is shorter), through the pool's own
// oracle, never slot0's spot price (protocol/market/twap.ts says why).

import type { Address } from "viem";
import { uniswapV3PoolAbi as uniswapPoolAbi } from "../../contracts/uniswap-abi.ts";
import { meanTick } from "../../protocol/market/price.ts";
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
export async function readTwap(env: Env): Promise<Twap | undefined> {
  const m = marketOf(env);
  if (!m) return undefined;
  try {
    const client = publicClient(env);
    const observe = async (secondsAgo: number) => {
      const [cumulatives] = await client.readContract({ address: m.pool, abi: uniswapPoolAbi, functionName: "observe", args: [[secondsAgo, 0]] });
      return { vidya: m.token, weth: m.weth, secondsAgo, tick: meanTick([cumulatives[0]!, cumulatives[1]!], secondsAgo) } satisfies Twap;
    };
    try {
      return await observe(TWAP_WINDOW_SECONDS);
    } catch {
      // Younger than the window ("OLD"): average over all it keeps, from its oldest observation.
      const oldest = await oldestObservationAge(env, m.pool);
      return oldest > 0 ? await observe(Math.min(oldest, TWAP_WINDOW_SECONDS)) : undefined;
    }
  } catch (e) {
    console.warn("TWAP unavailable", safeMessage(e));
    return undefined;
  }
}

/** Seconds since the pool's oldest stored observation (OracleLibrary.getOldestObservationSecondsAgo). */
async function oldestObservationAge(env: Env, pool: Address): Promise<number> {
  const client = publicClient(env);
  const [, , index, cardinality] = await client.readContract({ address: pool, abi: uniswapPoolAbi, functionName: "slot0" });
  if (cardinality === 0) return 0;
  let [ts, , , initialized] = await client.readContract({ address: pool, abi: uniswapPoolAbi, functionName: "observations", args: [BigInt((index + 1) % cardinality)] });
  if (!initialized) [ts] = await client.readContract({ address: pool, abi: uniswapPoolAbi, functionName: "observations", args: [0n] });
  const block = await client.getBlock();
  return Math.max(0, Number(block.timestamp) - ts);
}
