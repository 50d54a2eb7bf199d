// Chain access with viem: reads. The worker is the single writer of epoch roots (poster.ts):
// one key, one nonce owner (STYLE.md, viem's habits).

import { createPublicClient, defineChain, http, type Abi, type Address, type Hex } from "viem";
import { availableBalance } from "../../protocol/economics/allotment.ts";
import { MULTICALL3_ADDRESS, MULTICALL_BATCH_BYTES } from "../../protocol/multicall.ts";
import { chainId, type Env } from "../env.ts";
import { HttpError } from "../errors.ts";
import { epochRewardsAbi, escrowAbi, hostingBountiesAbi, stakingAbi } from "./abi.ts";

function chain(env: Env, rpcUrl: string) {
  return defineChain({
    id: chainId(env),
    name: `vidya-${chainId(env)}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

export function chainConfigured(env: Env): boolean {
  return Boolean(env.CHAIN_RPC_URL);
}

function requireAddress(value: string | undefined, name: string): Address {
  if (!value || !/^0x[0-9a-fA-F]{40}$/.test(value)) throw new HttpError(503, "chain_not_configured", `${name} is not configured`);
  return value as Address;
}

export function publicClient(env: Env) {
  const url = env.CHAIN_RPC_URL;
  if (!url) throw new HttpError(503, "chain_not_configured", "CHAIN_RPC_URL is not configured");
  return createPublicClient({ chain: chain(env, url), transport: http(url) });
}

export async function stakeOf(env: Env, account: Address): Promise<bigint> {
  const staking = requireAddress(env.STAKING_ADDRESS, "STAKING_ADDRESS");
  return publicClient(env).readContract({ address: staking, abi: stakingAbi, functionName: "stakeOf", args: [account] });
}

/** The join fees ever paid for `account` into the stakers' fee pool (Staking.joinFeePaidOf). */
export async function joinFeePaidOf(env: Env, account: Address): Promise<bigint> {
  const staking = requireAddress(env.STAKING_ADDRESS, "STAKING_ADDRESS");
  return publicClient(env).readContract({ address: staking, abi: stakingAbi, functionName: "joinFeePaidOf", args: [account] });
}

/** Stake bonded on a node (its own or a sponsor's): the Staking contract's bond, which slashes draw on. */
export async function bondOf(env: Env, node: Address): Promise<bigint> {
  const staking = requireAddress(env.STAKING_ADDRESS, "STAKING_ADDRESS");
  return publicClient(env).readContract({ address: staking, abi: stakingAbi, functionName: "bondOf", args: [node] });
}

function optionalAddress(value: string | undefined): Address | undefined {
  return !value || !/^0x[0-9a-fA-F]{40}$/.test(value) ? undefined : (value as Address);
}

/** Multicall3 (MULTICALL3_ADDRESS unless the var names another): many reads, a few eth_calls. */
export function multicallAddress(env: Env): Address {
  return optionalAddress(env.MULTICALL3_ADDRESS) ?? MULTICALL3_ADDRESS;
}

/** One read per item through Multicall3's aggregate3, in calls of MULTICALL_BATCH_BYTES: a failed read fails all. */
async function readMany<R>(env: Env, contracts: readonly { address: Address; abi: Abi; functionName: string; args: readonly unknown[] }[]): Promise<R[]> {
  const client = publicClient(env);
  const out = await client.multicall({ contracts: contracts as never, allowFailure: false, multicallAddress: multicallAddress(env), batchSize: MULTICALL_BATCH_BYTES });
  return out as R[];
}

/**
 * What is left of each torrent's hosting bounty on-chain (HostingBounties.bountyOf), for the
 * info hashes given (40 hex). Empty without a chain or without BOUNTIES_ADDRESS: no bounties.
 */
export async function bountiesOf(env: Env, infoHashes: readonly string[]): Promise<Map<string, bigint>> {
  const address = optionalAddress(env.BOUNTIES_ADDRESS);
  if (!chainConfigured(env) || !address || infoHashes.length === 0) return new Map();
  const balances = await readMany<bigint>(
    env,
    infoHashes.map((h) => ({ address, abi: hostingBountiesAbi, functionName: "bountyOf", args: [`0x${h}` as Hex] })),
  );
  return new Map(infoHashes.map((h, i) => [h, balances[i]!] as const).filter(([, b]) => b > 0n));
}

/**
 * What each member's Escrow deposit can still pay (wei), for the members given: its balance
 * minus what earlier epochs charged and Escrow has not settled (`spentBefore`: the cumulative
 * spent leaves of the previous epoch; protocol/economics/allotment.ts availableBalance). Zero
 * once a withdrawal is requested (Escrow.requestWithdrawal: the edge stops charging from then
 * on, so nothing it charges can be withdrawn before it settles). Every member is in the map;
 * all zero without a chain or without ESCROW_ADDRESS: everyone past the allotment is slowed.
 */
export async function chargeableDeposits(env: Env, members: readonly string[], spentBefore: ReadonlyMap<string, bigint> = new Map()): Promise<Map<string, bigint>> {
  const address = optionalAddress(env.ESCROW_ADDRESS);
  if (!chainConfigured(env) || !address || members.length === 0) return new Map(members.map((m) => [m, 0n]));
  const accounts = await readMany<{ balance: bigint; settled: bigint; withdrawableAt: bigint }>(
    env,
    members.map((m) => ({ address, abi: escrowAbi, functionName: "accountOf", args: [m as Address] })),
  );
  return new Map(
    members.map((m, i) => {
      const a = accounts[i]!;
      return [m, a.withdrawableAt !== 0n ? 0n : availableBalance(a.balance, a.settled, spentBefore.get(m.toLowerCase()) ?? 0n)];
    }),
  );
}

/** "No leaves" for a tree (contracts/src/EpochRewards.sol): nothing can be claimed against it. */
export const EMPTY_ROOT: Hex = "0x0000000000000000000000000000000000000000000000000000000000000000";

/** What an epoch posts beside its earned root; each defaults to none. */
export interface EpochCommitment {
  /** Root of cumulative slashed totals per node. */
  slashedRoot?: Hex;
  /** Root of cumulative spending per member. */
  spentRoot?: Hex;
  /** Bounty amounts the earned leaves pay out, per info hash (20 bytes). */
  bountyDraws?: { infoHash: Hex; amount: bigint }[];
}

// Posting lives in poster.ts (the epoch writer's actions): sign, record, then broadcast.

/** Tokens `account` has claimed from EpochRewards to date. */
export async function claimedOf(env: Env, account: Address): Promise<bigint> {
  const address = requireAddress(env.EPOCH_REWARDS_ADDRESS, "EPOCH_REWARDS_ADDRESS");
  return publicClient(env).readContract({ address, abi: epochRewardsAbi, functionName: "claimedOf", args: [account] });
}

/** Whether an epoch's roots are final: posted, past the dispute delay, not disabled. */
export async function isFinal(env: Env, epoch: number): Promise<boolean> {
  const address = requireAddress(env.EPOCH_REWARDS_ADDRESS, "EPOCH_REWARDS_ADDRESS");
  return publicClient(env).readContract({ address, abi: epochRewardsAbi, functionName: "isFinal", args: [BigInt(epoch)] });
}

/** A node's held-back earnings (contracts/src/HeldEarnings.sol): its bond, vesting; `vested` is releasable now. */
export async function heldOf(env: Env, account: Address): Promise<{ unvested: bigint; vested: bigint; vestEnd: bigint }> {
  const address = requireAddress(env.EPOCH_REWARDS_ADDRESS, "EPOCH_REWARDS_ADDRESS");
  const [unvested, vested, vestEnd] = await publicClient(env).readContract({ address, abi: epochRewardsAbi, functionName: "heldOf", args: [account] });
  return { unvested, vested, vestEnd };
}

