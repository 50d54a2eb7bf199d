// The close's chain reads go through Multicall3's aggregate3 (worker/chain/client.ts), on the
// global setup's anvil where the deploy put our Aggregate3 at MULTICALL3_ADDRESS: a few
// eth_calls whatever the number of torrents or members, not one (or two) each.

import { env } from "cloudflare:test";
import { afterEach, describe, expect, inject, it } from "vitest";
import type { Env } from "../../worker/env.ts";
import { bountiesOf, chargeableDeposits } from "../../worker/chain/client.ts";

const c = inject("chain");
const chainEnv: Env = {
  ...(env as unknown as Env),
  CHAIN_RPC_URL: c.rpcUrl,
  CHAIN_ID: String(c.chainId),
  BOUNTIES_ADDRESS: c.addresses.bounties,
  ESCROW_ADDRESS: c.addresses.escrow,
};

const realFetch = globalThis.fetch;
/** JSON-RPC methods sent from this isolate while `f` runs. */
async function rpcCalls(f: () => Promise<unknown>): Promise<string[]> {
  const methods: string[] = [];
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    if (typeof init?.body === "string") {
      const body = JSON.parse(init.body) as { method: string } | { method: string }[];
      for (const m of Array.isArray(body) ? body : [body]) methods.push(m.method);
    }
    return realFetch(input, init);
  }) as typeof fetch;
  try {
    await f();
  } finally {
    globalThis.fetch = realFetch;
  }
  return methods;
}

afterEach(() => {
  globalThis.fetch = realFetch;
});

describe("chain reads through Multicall3", () => {
  it("reads 2,000 members' deposits and 2,000 bounties in a handful of eth_calls (attack: one eth_call per torrent and two per member exhaust the RPC and the subrequests)", async () => {
    const members = Array.from({ length: 2_000 }, (_, i) => `0x${(0xa11ce000 + i).toString(16).padStart(40, "0")}`);
    const hashes = Array.from({ length: 2_000 }, (_, i) => (0xb0b000 + i).toString(16).padStart(40, "0"));
    let deposits: Map<string, bigint> | undefined;
    let bounties: Map<string, bigint> | undefined;
    const calls = await rpcCalls(async () => {
      deposits = await chargeableDeposits(chainEnv, members);
      bounties = await bountiesOf(chainEnv, hashes);
    });
    // Nobody here deposited or funded a bounty: every deposit can pay 0, no bounty is left; read all the same.
    expect(deposits!.size).toBe(2_000);
    expect([...deposits!.values()].every((v) => v === 0n)).toBe(true);
    expect(bounties!.size).toBe(0);
    const ethCalls = calls.filter((m) => m === "eth_call").length;
    console.log(`4,000 reads: ${ethCalls} eth_call(s)`);
    expect(ethCalls).toBeGreaterThan(0);
    expect(ethCalls).toBeLessThanOrEqual(10);
  });

  it("fails the read rather than guess when Multicall3 is missing (attack: deposits silently read as none)", async () => {
    await expect(chargeableDeposits({ ...chainEnv, MULTICALL3_ADDRESS: "0x000000000000000000000000000000000000dead" }, ["0x00000000000000000000000000000000000a11ce"])).rejects.toThrow();
  });
});
