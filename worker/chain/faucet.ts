// The local chain's faucet: anvil's anvil_setBalance adds test ETH to an address. Only the site's
// POST /faucet calls it, and only under LOCAL_DEV=1 on chain 31337 (pages/first-steps.ts
// faucetEnabled); it sends no transaction, so the epoch writer's nonce is untouched.

import type { Address } from "viem";
import type { Env } from "../env.ts";
import { HttpError, safeMessage } from "../errors.ts";
import { publicClient } from "./client.ts";

export const DEV_FAUCET_WEI = 10n ** 18n;

export async function devFaucet(env: Env, account: Address, amount: bigint): Promise<void> {
  const client = publicClient(env);
  try {
    const balance = await client.getBalance({ address: account });
    await client.request({ method: "anvil_setBalance" as never, params: [account, `0x${(balance + amount).toString(16)}`] as never });
  } catch (e) {
    console.warn("dev faucet failed", safeMessage(e));
    throw new HttpError(502, "faucet_failed", "the dev faucet could not reach the local chain");
  }
}
