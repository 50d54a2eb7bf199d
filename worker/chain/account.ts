// An account's position across the contracts, read for the site's wallet page: token
// balance, access stake and lock, fee-pool earnings, escrow deposit, bonds. One read per
// value, in parallel; a contract that is not configured reads as absent.

import type { Address } from "viem";
import { erc20Abi } from "viem";
import type { Env } from "../env.ts";
import { escrowAbi, stakingAbi } from "./abi.ts";
import { publicClient } from "./client.ts";

export interface AccountPosition {
  /** ETH (wei): what pays gas, and what buys VIDYA on the pool. */
  eth: bigint;
  balance: bigint;
  staked: bigint;
  /** The join fees ever paid for the account (FeePool.joinFeePaidOf): joining by stake needs the fee in force. */
  joinFeePaid: bigint;
  lockEnd: bigint;
  pendingUnstake: { amount: bigint; releaseAt: bigint };
  fees: bigint;
  /** Fee-pool weight: the stake times its lock boost. */
  weight: bigint;
  escrow?: { balance: bigint; settled: bigint; withdrawableAt: bigint };
  /** The node's active bond (every sponsor's) when the account is a node. */
  bond: bigint;
}

const isAddress = (v: string | undefined): v is Address => Boolean(v && /^0x[0-9a-fA-F]{40}$/.test(v));

export async function accountPosition(env: Env, account: Address): Promise<AccountPosition | undefined> {
  if (!env.CHAIN_RPC_URL || !isAddress(env.TOKEN_ADDRESS) || !isAddress(env.STAKING_ADDRESS)) return undefined;
  const client = publicClient(env);
  const staking = env.STAKING_ADDRESS;
  const read = <T>(address: Address, abi: readonly unknown[], functionName: string, args: readonly unknown[]) =>
    client.readContract({ address, abi, functionName, args } as never) as Promise<T>;
  const [eth, balance, staked, joinFeePaid, lockEnd, pending, fees, weight, bond, escrow] = await Promise.all([
    client.getBalance({ address: account }),
    read<bigint>(env.TOKEN_ADDRESS, erc20Abi, "balanceOf", [account]),
    read<bigint>(staking, stakingAbi, "stakeOf", [account]),
    read<bigint>(staking, stakingAbi, "joinFeePaidOf", [account]),
    read<bigint>(staking, stakingAbi, "lockEndOf", [account]),
    read<readonly [bigint, bigint]>(staking, stakingAbi, "pendingOf", [account]),
    read<bigint>(staking, stakingAbi, "feesOf", [account]),
    read<bigint>(staking, stakingAbi, "weightOf", [account]),
    read<bigint>(staking, stakingAbi, "bondOf", [account]),
    isAddress(env.ESCROW_ADDRESS) ? read<{ balance: bigint; settled: bigint; withdrawableAt: bigint }>(env.ESCROW_ADDRESS, escrowAbi, "accountOf", [account]) : Promise.resolve(undefined),
  ]);
  return { eth, balance, staked, joinFeePaid, lockEnd, pendingUnstake: { amount: pending[0], releaseAt: pending[1] }, fees, weight, bond, escrow };
}
