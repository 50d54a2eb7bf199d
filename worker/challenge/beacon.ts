// The chain's part of a round's randomness (protocol/challenge/schedule.ts, beacon.ts): the
// first block at or after the round's derived due time, so the edge cannot pick it (it knows
// the seed, hence which blocks a given chain block would challenge). A round forced by an admin
// before its due time has no such block yet and takes the latest; `vidya verify` rejects those
// unless told to allow them (development networks). Read with viem directly (not through the
// poster in worker/chain/): a read needs no key.

import { createPublicClient, http, type Hex, type PublicClient } from "viem";
import { ZERO_BLOCK_HASH } from "../../protocol/challenge/schedule.ts";
import { firstBlockAtOrAfter, type ChainBlock } from "../../protocol/challenge/beacon.ts";
import type { Env } from "../env.ts";
import { HttpError } from "../errors.ts";

export interface Beacon {
  blockNumber: number | null;
  blockHash: Hex;
}

const client = (env: Env) => createPublicClient({ transport: http(env.CHAIN_RPC_URL, { retryCount: 1, timeout: 5_000 }) }) as PublicClient;

async function blockOf(c: PublicClient, n?: number): Promise<ChainBlock> {
  const b = n === undefined ? await c.getBlock({ blockTag: "latest" }) : await c.getBlock({ blockNumber: BigInt(n) });
  if (!b.hash || b.number === null) throw new Error("block has no hash");
  return { number: Number(b.number), hash: b.hash, timestamp: Number(b.timestamp) };
}

/** The latest block: the beacon of a round forced before its due time. */
export async function readBeacon(env: Env): Promise<Beacon> {
  if (!env.CHAIN_RPC_URL) return { blockNumber: null, blockHash: ZERO_BLOCK_HASH };
  try {
    const b = await blockOf(client(env));
    return { blockNumber: b.number, blockHash: b.hash };
  } catch (e) {
    // No round without its block: a round on a zero hash would be the edge's choice alone.
    throw new HttpError(503, "chain_unavailable", `cannot read the latest block for the challenge randomness: ${(e as Error).message}`);
  }
}

/**
 * The beacons of one run of rounds: the head read once and blocks cached, so rounds due close
 * together share their reads (a Worker's subrequests per invocation are limited). `at(due)` is
 * the first block at or after `due`, null while the chain has not reached it.
 */
export function beaconReader(env: Env): { at(dueAtMs: number): Promise<Beacon | null> } {
  if (!env.CHAIN_RPC_URL) return { at: async () => ({ blockNumber: null, blockHash: ZERO_BLOCK_HASH }) };
  const c = client(env);
  const cache = new Map<number, Promise<ChainBlock>>();
  let head: Promise<ChainBlock> | undefined;
  const cached = (n: number) => {
    let b = cache.get(n);
    if (!b) cache.set(n, (b = blockOf(c, n)));
    return b;
  };
  return {
    async at(dueAtMs) {
      try {
        const b = await firstBlockAtOrAfter(dueAtMs, await (head ??= blockOf(c)), cached);
        return b ? { blockNumber: b.number, blockHash: b.hash } : null;
      } catch (e) {
        head = undefined;
        throw new HttpError(503, "chain_unavailable", `cannot read the chain for the challenge randomness: ${(e as Error).message}`);
      }
    },
  };
}
