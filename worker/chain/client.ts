// Chain access with viem. The worker is the single writer of epoch roots: one key, one
// nonce owner (STYLE.md, viem's habits).

import { createPublicClient, createWalletClient, defineChain, http, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { chainId, type Env } from "../env.ts";
import { HttpError } from "../errors.ts";
import { epochRewardsAbi, hostingBountiesAbi, stakingAbi } from "./abi.ts";

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

export async function lastPostedEpoch(env: Env): Promise<bigint> {
  const address = requireAddress(env.EPOCH_REWARDS_ADDRESS, "EPOCH_REWARDS_ADDRESS");
  return publicClient(env).readContract({ address, abi: epochRewardsAbi, functionName: "lastEpoch" });
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

/** Posts one epoch's roots and waits for it to be mined; returns the transaction hash. */
export async function postRoot(env: Env, epoch: number, root: Hex, inputsHash: Hex, totalEarned: bigint, extra: EpochCommitment = {}): Promise<Hex> {
  const address = requireAddress(env.EPOCH_REWARDS_ADDRESS, "EPOCH_REWARDS_ADDRESS");
  const key = env.CHAIN_PRIVATE_KEY;
  if (!key || !/^0x[0-9a-fA-F]{64}$/.test(key)) throw new HttpError(503, "chain_not_configured", "CHAIN_PRIVATE_KEY is not configured");
  const url = env.CHAIN_RPC_URL!;
  const account = privateKeyToAccount(key as Hex);
  const wallet = createWalletClient({ account, chain: chain(env, url), transport: http(url) });
  const hash = await wallet.writeContract({ address, abi: epochRewardsAbi, functionName: "postRoot", args: [BigInt(epoch), root, extra.slashedRoot ?? EMPTY_ROOT, extra.spentRoot ?? EMPTY_ROOT, inputsHash, totalEarned, extra.bountyDraws ?? []] });
  const receipt = await publicClient(env).waitForTransactionReceipt({ hash, pollingInterval: 250 });
  if (receipt.status !== "success") throw new HttpError(502, "post_reverted", `postRoot for epoch ${epoch} reverted (tx ${hash})`);
  return hash;
}

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

/** What a torrent's hosting bounty holds now (contracts/src/HostingBounties.sol); 0 when no bounty contract is configured. */
export async function bountyOf(env: Env, infoHash: string): Promise<bigint> {
  if (!chainConfigured(env) || !env.BOUNTIES_ADDRESS) return 0n;
  const address = requireAddress(env.BOUNTIES_ADDRESS, "BOUNTIES_ADDRESS");
  return publicClient(env).readContract({ address, abi: hostingBountiesAbi, functionName: "bountyOf", args: [`0x${infoHash}` as Hex] });
}
