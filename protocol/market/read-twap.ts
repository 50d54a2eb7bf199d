// Reading the VIDYA/WETH pool's TWAP with viem, shared by the worker (site pages) and the CLI
// (`vidya node status`): observe() over the window, or over all the history the pool keeps when
// it is younger than the window (a new pool), never slot0's spot price (twap.ts says why).

import { parseAbi, type Address, type PublicClient } from "viem";
import { meanTick } from "./price.ts";
import type { Twap } from "./twap.ts";

// The three reads of Uniswap v3's pool this needs (IUniswapV3PoolState / IUniswapV3PoolDerivedState).
const poolAbi = parseAbi([
  "function slot0() view returns (uint160 sqrtPriceX96, int24 tick, uint16 observationIndex, uint16 observationCardinality, uint16 observationCardinalityNext, uint8 feeProtocol, bool unlocked)",
  "function observations(uint256 index) view returns (uint32 blockTimestamp, int56 tickCumulative, uint160 secondsPerLiquidityCumulativeX128, bool initialized)",
  "function observe(uint32[] secondsAgos) view returns (int56[] tickCumulatives, uint160[] secondsPerLiquidityCumulativeX128s)",
]);

export interface PoolRef {
  pool: Address;
  vidya: Address;
  weth: Address;
}

/** The pool's TWAP over `windowSeconds` (or its whole history when shorter); undefined when it has none yet. */
export async function readTwap(client: PublicClient, p: PoolRef, windowSeconds: number): Promise<Twap | undefined> {
  const observe = async (secondsAgo: number): Promise<Twap> => {
    const [cumulatives] = await client.readContract({ address: p.pool, abi: poolAbi, functionName: "observe", args: [[secondsAgo, 0]] });
    return { vidya: p.vidya, weth: p.weth, secondsAgo, tick: meanTick([cumulatives[0]!, cumulatives[1]!], secondsAgo) };
  };
  try {
    return await observe(windowSeconds);
  } catch {
    // Younger than the window (the pool reverts "OLD"): average from its oldest observation.
    const oldest = await oldestObservationAge(client, p.pool);
    return oldest > 0 ? observe(Math.min(oldest, windowSeconds)) : undefined;
  }
}

/** Seconds since the pool's oldest stored observation (OracleLibrary.getOldestObservationSecondsAgo). */
async function oldestObservationAge(client: PublicClient, pool: Address): Promise<number> {
  const [, , index, cardinality] = await client.readContract({ address: pool, abi: poolAbi, functionName: "slot0" });
  if (cardinality === 0) return 0;
  let [ts, , , initialized] = await client.readContract({ address: pool, abi: poolAbi, functionName: "observations", args: [BigInt((index + 1) % cardinality)] });
  if (!initialized) [ts] = await client.readContract({ address: pool, abi: poolAbi, functionName: "observations", args: [0n] });
  const block = await client.getBlock();
  return Math.max(0, Number(block.timestamp) - ts);
}
