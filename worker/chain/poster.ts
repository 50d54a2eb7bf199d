// The epoch poster's chain actions (PLATFORM.md "EVM chains"): the transaction is signed here
// and its hash known before anything is broadcast, so the writer (worker/epoch/writer.ts) can
// record it first; a replacement reuses the nonce with higher fees; receipts, the chain's
// last epoch and its roots are what every step reconciles with. One key, one nonce owner.

import {
  createPublicClient,
  encodeFunctionData,
  http,
  keccak256,
  parseTransaction,
  type Address,
  type ContractFunctionReturnType,
  type Hex,
  type TransactionReceipt,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { chainId, type Env } from "../env.ts";
import { HttpError } from "../errors.ts";
import { epochRewardsAbi } from "./abi.ts";
import { EMPTY_ROOT, type EpochCommitment } from "./client.ts";

/** A read or a broadcast gives up quickly: the writer retries on the next tick, never blocks it. */
function client(env: Env) {
  const url = env.CHAIN_RPC_URL;
  if (!url) throw new HttpError(503, "chain_not_configured", "CHAIN_RPC_URL is not configured");
  return createPublicClient({ transport: http(url, { retryCount: 1, timeout: 10_000 }) });
}

function rewardsAddress(env: Env): Address {
  const v = env.EPOCH_REWARDS_ADDRESS;
  if (!v || !/^0x[0-9a-fA-F]{40}$/.test(v)) throw new HttpError(503, "chain_not_configured", "EPOCH_REWARDS_ADDRESS is not configured");
  return v as Address;
}

function posterAccount(env: Env) {
  const key = env.CHAIN_PRIVATE_KEY;
  if (!key || !/^0x[0-9a-fA-F]{64}$/.test(key)) throw new HttpError(503, "chain_not_configured", "CHAIN_PRIVATE_KEY is not configured");
  return privateKeyToAccount(key as Hex);
}

/** The RPC's chain id is the truth: refuse to write anywhere else than where the configuration says. */
export async function checkChainId(env: Env): Promise<void> {
  const actual = await client(env).getChainId();
  const expected = chainId(env);
  if (actual !== expected)
    throw new HttpError(503, "chain_id_mismatch", `the RPC serves chain ${actual} but CHAIN_ID is ${expected}: refusing to read deposits or post roots there`);
}

export async function chainLastEpoch(env: Env): Promise<bigint> {
  return client(env).readContract({ address: rewardsAddress(env), abi: epochRewardsAbi, functionName: "lastEpoch" });
}

/** What the chain holds for one epoch (all zero when nothing was posted), typed from the ABI. */
export type ChainRoot = ContractFunctionReturnType<typeof epochRewardsAbi, "view", "rootOf">;

export async function chainRootOf(env: Env, epoch: number): Promise<ChainRoot> {
  return client(env).readContract({ address: rewardsAddress(env), abi: epochRewardsAbi, functionName: "rootOf", args: [BigInt(epoch)] });
}

/** The postRoot call of one epoch. */
export interface PostCall extends EpochCommitment {
  epoch: number;
  earnedRoot: Hex;
  inputsHash: Hex;
  totalEarned: bigint;
}

export interface SignedPost {
  nonce: number;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  rawTx: Hex;
  txHash: Hex;
}

/**
 * Signs a postRoot transaction without sending it: the account's next nonce, the chain's fee
 * estimate, estimated gas (so a post the contract would refuse, EpochOutOfOrder or NotPoster,
 * fails here, before anything is recorded or sent).
 */
export async function signPost(env: Env, call: PostCall): Promise<SignedPost> {
  const to = rewardsAddress(env);
  const data = encodeFunctionData({
    abi: epochRewardsAbi,
    functionName: "postRoot",
    args: [BigInt(call.epoch), call.earnedRoot, call.slashedRoot ?? EMPTY_ROOT, call.spentRoot ?? EMPTY_ROOT, call.inputsHash, call.totalEarned, call.bountyDraws ?? []],
  });
  return signCall(env, to, data);
}

/**
 * Signs any call by the poster key without sending it (the Escrow settlements too, chain/escrow.ts):
 * the given nonce or the account's next pending one, estimated gas (a call the contract would
 * refuse fails here, before anything is recorded), the chain's fees.
 */
export async function signCall(env: Env, to: Address, data: Hex, nonceAt?: number): Promise<SignedPost> {
  const c = client(env);
  const account = posterAccount(env);
  const nonce = nonceAt ?? (await c.getTransactionCount({ address: account.address, blockTag: "pending" }));
  const gas = ((await c.estimateGas({ account: account.address, to, data, blockTag: "latest" })) * 12n) / 10n;
  const { maxFeePerGas, maxPriorityFeePerGas } = await c.estimateFeesPerGas();
  const rawTx = await account.signTransaction({ type: "eip1559", chainId: chainId(env), to, data, nonce, gas, maxFeePerGas, maxPriorityFeePerGas, value: 0n });
  return { nonce, maxFeePerGas, maxPriorityFeePerGas, rawTx, txHash: keccak256(rawTx) };
}

/**
 * The same transaction (recipient, data, gas, nonce) with higher fees: nodes accept a
 * replacement only above the old fees (geth: +10%), so both are raised by a quarter, or to the
 * chain's current estimate when that is higher, up to `cap`. Not re-estimated: the pending state already
 * holds the original, against which this post would revert.
 */
export async function signReplacement(env: Env, previousRawTx: Hex, cap?: bigint): Promise<SignedPost> {
  const account = posterAccount(env);
  const old = parseTransaction(previousRawTx);
  if (old.type !== "eip1559" || old.nonce === undefined || !old.gas || !old.maxFeePerGas || old.maxPriorityFeePerGas === undefined || !old.to)
    throw new HttpError(500, "bad_record", "the recorded post is not an EIP-1559 transaction");
  const estimate = await client(env).estimateFeesPerGas();
  const bump = (x: bigint) => (x * 125n) / 100n + 1n;
  let maxPriorityFeePerGas = bigMax(bump(old.maxPriorityFeePerGas), estimate.maxPriorityFeePerGas);
  let maxFeePerGas = bigMax(bump(old.maxFeePerGas), estimate.maxFeePerGas, maxPriorityFeePerGas);
  // Capped by the operator (CHAIN_MAX_FEE_PER_GAS); the caller replaces only below the cap.
  if (cap !== undefined && maxFeePerGas > cap) {
    maxFeePerGas = cap;
    if (maxPriorityFeePerGas > cap) maxPriorityFeePerGas = cap;
  }
  const rawTx = await account.signTransaction({ type: "eip1559", chainId: chainId(env), to: old.to, data: old.data, nonce: old.nonce, gas: old.gas, maxFeePerGas, maxPriorityFeePerGas, value: 0n });
  return { nonce: old.nonce, maxFeePerGas, maxPriorityFeePerGas, rawTx, txHash: keccak256(rawTx) };
}

const bigMax = (...xs: bigint[]) => xs.reduce((a, b) => (a > b ? a : b));

/**
 * Broadcasts a signed transaction. A node that already has it, or has mined its nonce, or holds a
 * better-paid one on the nonce, is not a failure: the receipts decide what happened.
 */
export async function broadcast(env: Env, rawTx: Hex): Promise<void> {
  try {
    await client(env).sendRawTransaction({ serializedTransaction: rawTx });
  } catch (e) {
    const text = e instanceof Error ? `${e.message} ${(e as { details?: string }).details ?? ""}` : String(e);
    if (/already known|already imported|known transaction|nonce too low|underpriced|replacement/i.test(text)) return;
    throw e;
  }
}

/** The receipt of a transaction, or null while it is pending, dropped or unknown. */
export async function receiptOf(env: Env, hash: Hex): Promise<TransactionReceipt | null> {
  try {
    return await client(env).getTransactionReceipt({ hash });
  } catch (e) {
    if (e instanceof Error && e.name === "TransactionReceiptNotFoundError") return null;
    throw e;
  }
}

/** The poster's nonce as of the latest block: a recorded nonce below it has been mined by some transaction. */
export async function minedNonce(env: Env): Promise<number> {
  return client(env).getTransactionCount({ address: posterAccount(env).address, blockTag: "latest" });
}

/** The poster's gas money: a post it cannot pay for waits (docs/runbook.md "Stuck transaction"). */
export async function posterBalance(env: Env): Promise<bigint> {
  return client(env).getBalance({ address: posterAccount(env).address });
}

export async function headBlock(env: Env): Promise<bigint> {
  return client(env).getBlockNumber();
}

/**
 * The transaction that posted `epoch`, from its RootPosted event in the recent blocks (an
 * adopted post the writer has no receipt for). Null when not found in the window: providers
 * refuse log queries over unbounded ranges.
 */
export async function postedTxOf(env: Env, epoch: number, window = 50_000n): Promise<{ txHash: Hex; block: bigint } | null> {
  const c = client(env);
  const head = await c.getBlockNumber();
  const logs = await c.getContractEvents({
    address: rewardsAddress(env),
    abi: epochRewardsAbi,
    eventName: "RootPosted",
    args: { epoch: BigInt(epoch) },
    fromBlock: head > window ? head - window : 0n,
    toBlock: head,
  });
  for (const log of logs) if (log.args.epoch === BigInt(epoch) && log.transactionHash && log.blockNumber !== null) return { txHash: log.transactionHash, block: log.blockNumber };
  return null;
}
