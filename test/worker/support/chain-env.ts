// The worker's bindings as deployed on one of the test chains (global-setup.ts): every contract
// address, the chain id and the poster's key, over the test's own env (D1, Durable Objects).

import { env } from "cloudflare:test";
import type { Env } from "../../../worker/env.ts";

export interface TestChain {
  rpcUrl: string;
  chainId: number;
  addresses: Record<string, string>;
  posterKey: string;
}

export function workerOnChain(c: TestChain, extra: Partial<Env> = {}): Env {
  return {
    ...(env as unknown as Env),
    CHAIN_RPC_URL: c.rpcUrl,
    CHAIN_ID: String(c.chainId),
    TOKEN_ADDRESS: c.addresses.token,
    STAKING_ADDRESS: c.addresses.staking,
    EPOCH_REWARDS_ADDRESS: c.addresses.epochRewards,
    BOUNTIES_ADDRESS: c.addresses.bounties,
    ESCROW_ADDRESS: c.addresses.escrow,
    CHAIN_PRIVATE_KEY: c.posterKey,
    ...extra,
  };
}
