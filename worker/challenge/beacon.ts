// The chain's part of a round's randomness (protocol/challenge/schedule.ts): the latest block
// when the round runs. The edge committed to its seed before this block existed, so it
// cannot have chosen a seed that hurts a given node. Read with viem directly (not through the
// poster in worker/chain/): a read needs no key.

import { createPublicClient, http, type Hex } from "viem";
import { ZERO_BLOCK_HASH } from "../../protocol/challenge/schedule.ts";
import type { Env } from "../env.ts";
import { HttpError } from "../errors.ts";

export interface Beacon {
  blockNumber: number | null;
  blockHash: Hex;
}

export async function readBeacon(env: Env): Promise<Beacon> {
  if (!env.CHAIN_RPC_URL) return { blockNumber: null, blockHash: ZERO_BLOCK_HASH };
  try {
    const client = createPublicClient({ transport: http(env.CHAIN_RPC_URL, { retryCount: 1, timeout: 5_000 }) });
    const block = await client.getBlock({ blockTag: "latest" });
    if (!block.hash || block.number === null) throw new Error("latest block has no hash");
    return { blockNumber: Number(block.number), blockHash: block.hash };
  } catch (e) {
    // No round without its block: a round on a zero hash would be the edge's choice alone.
    throw new HttpError(503, "chain_unavailable", `cannot read the latest block for the challenge randomness: ${(e as Error).message}`);
  }
}
