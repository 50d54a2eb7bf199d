// Chain access with viem: reads. The worker is the single writer of epoch roots (poster.ts):
// one key, one nonce owner (STYLE.md, viem's habits).

import { createPublicClient, defineChain, http, type Address, type Hex } from "viem";
import { availableBalance } from "../../protocol/economics/allotment.ts";
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

/** Stake bonded on a node (its own or a sponsor's): the Staking contract's bond, which slashes draw on. */
export async function bondOf(env: Env, node: Address): Promise<bigint> {
  const staking = requireAddress(env.STAKING_ADDRESS, "STAKING_ADDRESS");
  return publicClient(env).readContract({ address: staking, abi: stakingAbi, functionName: "bondOf", args: [node] });
}

function optionalAddress(value: string | undefined): Address | undefined {
  return !value || !/^0x[0-9a-fA-F]{40}$/.test(value) ? undefined : (value as Address);
}

/** Reads run a few at a time: one RPC endpoint, and an epoch may read hundreds. */
async function inParallel<T, R>(xs: readonly T[], f: (x: T) => Promise<R>, width = 8): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < xs.length; i += width) out.push(...(await Promise.all(xs.slice(i, i + width).map(f))));
  return out;
}

/**
 * What is left of each torrent's hosting bounty on-chain (HostingBounties.bountyOf), for the
 * info hashes given (40 hex). Empty without a chain or without BOUNTIES_ADDRESS: no bounties.
 */
export async function bountiesOf(env: Env, infoHashes: readonly string[]): Promise<Map<string, bigint>> {
  const address = optionalAddress(env.BOUNTIES_ADDRESS);
  if (!chainConfigured(env) || !address || infoHashes.length === 0) return new Map();
  const client = publicClient(env);
  const balances = await inParallel(infoHashes, (h) => client.readContract({ address, abi: hostingBountiesAbi, functionName: "bountyOf", args: [`0x${h}` as Hex] }));
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
  const client = publicClient(env);
  const available = await inParallel(members, async (m) => {
    const account = await client.readContract({ address, abi: escrowAbi, functionName: "accountOf", args: [m as Address] });
    if (account.withdrawableAt !== 0n) return 0n;
    return availableBalance(account.balance, account.settled, spentBefore.get(m.toLowerCase()) ?? 0n);
  });
  return new Map(members.map((m, i) => [m, available[i]!]));
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

