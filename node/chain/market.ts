// The token's market from the CLI (DESIGN.md "The token's market is Uniswap"): the VIDYA/WETH
// pool's spot price and TWAP, QuoterV2's quotes, and swaps through Uniswap's SwapRouter or
// HostingRouter with a slippage bound and a deadline. The maths is protocol/market/price.ts.

import { BaseError, ContractFunctionRevertedError, encodeFunctionData, type Address, type Hex } from "viem";
import { POOL_FEE, SWAP_DEADLINE_SECONDS, TWAP_WINDOW_SECONDS, UNISWAP_GAS_HEADROOM_PERCENT } from "../../protocol/params.ts";
import { maximumSent, minimumReceived, priceFromSqrtX96, priceImpactPpm, twapPrice, vidyaIsToken0 } from "../../protocol/market/price.ts";
import { CliError } from "../errors.ts";
import { erc20Abi, hostingRouterAbi, quoterV2Abi, swapRouterAbi, uniswapV3PoolAbi } from "./abi.ts";
import type { ChainClients } from "./clients.ts";

export interface MarketInfo {
  token: Address;
  weth: Address;
  router: Address;
  quoter: Address;
  pool: Address;
  fee: number;
  /** Swap-and-fund / swap-and-stake in one transaction; null where the deployment has none. */
  hostingRouter: Address | null;
  vidyaToken0: boolean;
}

/** The market the tracker publishes (GET /api/chain), or a readable error where it has none. */
export function marketOf(c: ChainClients): MarketInfo {
  const i = c.info;
  if (!i.weth || !i.uniswapRouter || !i.uniswapQuoter || !i.vidyaWethPool) {
    throw new CliError("this tracker publishes no VIDYA/WETH market (no Uniswap addresses in /api/chain): get VIDYA from a member, or join with an invite");
  }
  return {
    token: i.token,
    weth: i.weth,
    router: i.uniswapRouter,
    quoter: i.uniswapQuoter,
    pool: i.vidyaWethPool,
    fee: i.poolFee ?? POOL_FEE,
    hostingRouter: i.hostingRouter ?? null,
    vidyaToken0: vidyaIsToken0(i.token, i.weth),
  };
}

export interface PoolPrice {
  sqrtPriceX96: bigint;
  tick: number;
  /** Wei of ETH one VIDYA is worth now (slot0): moved by any trade, so never a valuation. */
  spot: bigint;
}

export async function poolPrice(c: ChainClients, m: MarketInfo): Promise<PoolPrice> {
  const slot0 = await c.publicClient.readContract({ address: m.pool, abi: uniswapV3PoolAbi, functionName: "slot0" });
  const [sqrtPriceX96, tick] = slot0;
  return { sqrtPriceX96, tick, spot: priceFromSqrtX96(sqrtPriceX96, m.vidyaToken0) };
}

/**
 * The pool's time-weighted average price over `seconds` (Uniswap's oracle: observe()), in wei
 * of ETH per VIDYA; null when the pool's observations do not reach that far back yet ("OLD").
 */
export async function poolTwap(c: ChainClients, m: MarketInfo, seconds = TWAP_WINDOW_SECONDS): Promise<bigint | null> {
  try {
    const [cumulatives] = await c.publicClient.readContract({ address: m.pool, abi: uniswapV3PoolAbi, functionName: "observe", args: [[seconds, 0]] });
    return twapPrice([cumulatives[0]!, cumulatives[1]!], seconds, m.vidyaToken0);
  } catch (e) {
    if (revertReason(e) === "OLD") return null;
    throw e;
  }
}

export interface Quote {
  /** What goes in and what comes out, exact on one side (the quote) and bounded on the other. */
  vidyaIn: boolean;
  exactIn: boolean;
  amountIn: bigint;
  amountOut: bigint;
  /** The bound the swap is sent with: the minimum received (exact in) or the maximum sent (exact out). */
  bound: bigint;
  slippageBps: number;
  priceImpactPpm: number;
  fee: number;
  spot: bigint;
}

/** QuoterV2's quote for a swap of exact input (`amount` in) or exact output (`amount` out). */
export async function quote(c: ChainClients, m: MarketInfo, q: { vidyaIn: boolean; exactIn: boolean; amount: bigint; slippageBps: number }): Promise<Quote> {
  const tokenIn = q.vidyaIn ? m.token : m.weth;
  const tokenOut = q.vidyaIn ? m.weth : m.token;
  const before = await poolPrice(c, m);
  let amountIn: bigint;
  let amountOut: bigint;
  try {
    if (q.exactIn) {
      const { result } = await c.publicClient.simulateContract({ address: m.quoter, abi: quoterV2Abi, functionName: "quoteExactInputSingle", args: [{ tokenIn, tokenOut, amountIn: q.amount, fee: m.fee, sqrtPriceLimitX96: 0n }] });
      [amountIn, amountOut] = [q.amount, result[0]];
    } else {
      const { result } = await c.publicClient.simulateContract({ address: m.quoter, abi: quoterV2Abi, functionName: "quoteExactOutputSingle", args: [{ tokenIn, tokenOut, amount: q.amount, fee: m.fee, sqrtPriceLimitX96: 0n }] });
      [amountIn, amountOut] = [result[0], q.amount];
    }
  } catch (e) {
    throw marketError(e, "quote");
  }
  return {
    vidyaIn: q.vidyaIn,
    exactIn: q.exactIn,
    amountIn,
    amountOut,
    bound: q.exactIn ? minimumReceived(amountOut, q.slippageBps) : maximumSent(amountIn, q.slippageBps),
    slippageBps: q.slippageBps,
    priceImpactPpm: priceImpactPpm({ amountIn, amountOut, sqrtPriceX96: before.sqrtPriceX96, vidyaIn: q.vidyaIn, vidyaToken0: m.vidyaToken0, fee: m.fee }),
    fee: m.fee,
    spot: before.spot,
  };
}

/** A swap's deadline: the chain's own clock (its latest block), not this machine's, plus SWAP_DEADLINE_SECONDS. */
export async function swapDeadline(c: ChainClients): Promise<bigint> {
  return (await c.publicClient.getBlock()).timestamp + BigInt(SWAP_DEADLINE_SECONDS);
}

export type Log = (line: string) => void;

/** Sends a prepared call and reports its hash until it is mined; reverts become readable errors. */
async function send(c: ChainClients, log: Log, what: string, call: { address: Address; data: Hex; value?: bigint }): Promise<Hex> {
  const w = c.walletClient;
  if (!w) throw new Error(`${what} needs a wallet`);
  let hash: Hex;
  try {
    // A dry run first: a swap that would break its bound fails here, before any gas is spent.
    await c.publicClient.call({ account: w.account, to: call.address, data: call.data, value: call.value });
    const estimate = await c.publicClient.estimateGas({ account: w.account, to: call.address, data: call.data, value: call.value });
    hash = await w.sendTransaction({ to: call.address, data: call.data, value: call.value, gas: (estimate * UNISWAP_GAS_HEADROOM_PERCENT) / 100n });
  } catch (e) {
    throw marketError(e, what);
  }
  log(`${what}: sent transaction ${hash}, waiting for it to be mined`);
  const timer = setInterval(() => log(`${what}: transaction ${hash} still pending`), 10_000);
  try {
    const receipt = await c.publicClient.waitForTransactionReceipt({ hash, timeout: 600_000 });
    if (receipt.status !== "success") throw new CliError(`${what}: transaction ${hash} reverted`);
    log(`${what}: mined in block ${receipt.blockNumber}`);
  } finally {
    clearInterval(timer);
  }
  return hash;
}

async function approve(c: ChainClients, log: Log, token: Address, spender: Address, amount: bigint): Promise<Hex | null> {
  const owner = c.walletClient!.account.address;
  const allowance = await c.publicClient.readContract({ address: token, abi: erc20Abi, functionName: "allowance", args: [owner, spender] });
  if (allowance >= amount) return null;
  return send(c, log, "approve", { address: token, data: encodeFunctionData({ abi: erc20Abi, functionName: "approve", args: [spender, amount] }) });
}

/** Buys VIDYA with ETH through SwapRouter: exact ETH in (bound: minimum received) or exact VIDYA out (bound: maximum sent, the rest refunded). */
export async function sendBuy(c: ChainClients, m: MarketInfo, q: Quote, log: Log): Promise<Hex[]> {
  const recipient = c.walletClient!.account.address;
  const deadline = await swapDeadline(c);
  const base = { tokenIn: m.weth, tokenOut: m.token, fee: m.fee, recipient, deadline, sqrtPriceLimitX96: 0n };
  if (q.exactIn) {
    const data = encodeFunctionData({ abi: swapRouterAbi, functionName: "exactInputSingle", args: [{ ...base, amountIn: q.amountIn, amountOutMinimum: q.bound }] });
    return [await send(c, log, "swap", { address: m.router, data, value: q.amountIn })];
  }
  // ETH left in the router after an exact-output swap is its caller's only if refunded in the same transaction.
  const swap = encodeFunctionData({ abi: swapRouterAbi, functionName: "exactOutputSingle", args: [{ ...base, amountOut: q.amountOut, amountInMaximum: q.bound }] });
  const refund = encodeFunctionData({ abi: swapRouterAbi, functionName: "refundETH" });
  const data = encodeFunctionData({ abi: swapRouterAbi, functionName: "multicall", args: [[swap, refund]] });
  return [await send(c, log, "swap", { address: m.router, data, value: q.bound })];
}

/** Sells exact VIDYA for at least the bound in ETH: the router swaps to WETH it holds, then unwraps it to the seller, in one transaction. */
export async function sendSell(c: ChainClients, m: MarketInfo, q: Quote, log: Log): Promise<Hex[]> {
  const seller = c.walletClient!.account.address;
  const txs: Hex[] = [];
  const approved = await approve(c, log, m.token, m.router, q.amountIn);
  if (approved) txs.push(approved);
  const deadline = await swapDeadline(c);
  const swap = encodeFunctionData({
    abi: swapRouterAbi,
    functionName: "exactInputSingle",
    args: [{ tokenIn: m.token, tokenOut: m.weth, fee: m.fee, recipient: m.router, deadline, amountIn: q.amountIn, amountOutMinimum: q.bound, sqrtPriceLimitX96: 0n }],
  });
  const unwrap = encodeFunctionData({ abi: swapRouterAbi, functionName: "unwrapWETH9", args: [q.bound, seller] });
  txs.push(await send(c, log, "swap", { address: m.router, data: encodeFunctionData({ abi: swapRouterAbi, functionName: "multicall", args: [[swap, unwrap]] }) }));
  return txs;
}

function needRouter(m: MarketInfo): Address {
  if (!m.hostingRouter) throw new CliError("this tracker publishes no hostingRouter: buy VIDYA first (vidya buy), then fund or stake it");
  return m.hostingRouter;
}

/** HostingRouter.buyBounty: all the ETH of the quote swapped for at least its bound and added to the bounty of `infoHash`, in one transaction. */
export async function sendBuyBounty(c: ChainClients, m: MarketInfo, infoHash: Hex, q: Quote, log: Log): Promise<Hex> {
  const data = encodeFunctionData({ abi: hostingRouterAbi, functionName: "buyBounty", args: [infoHash, q.bound, await swapDeadline(c)] });
  return send(c, log, "swap and fund the bounty", { address: needRouter(m), data, value: q.amountIn });
}

/**
 * HostingRouter.buyStake: exactly the quote's VIDYA (`stake + fee`) bought for at most its bound in ETH,
 * `stake` staked for the caller and `fee` paid as its join fee to stakers; the rest of the ETH comes back.
 */
export async function sendBuyStake(c: ChainClients, m: MarketInfo, q: Quote, parts: { stake: bigint; fee: bigint }, log: Log): Promise<Hex> {
  if (parts.stake + parts.fee !== q.amountOut) throw new Error("the quote must be for the stake and the join fee together");
  const data = encodeFunctionData({ abi: hostingRouterAbi, functionName: "buyStake", args: [parts.stake, parts.fee, await swapDeadline(c)] });
  return send(c, log, "swap, stake and pay the join fee", { address: needRouter(m), data, value: q.bound });
}

/** A revert's reason string (Uniswap reverts with strings such as "Too little received"). */
export function revertReason(e: unknown): string | undefined {
  if (!(e instanceof BaseError)) return undefined;
  const revert = e.walk((x) => x instanceof ContractFunctionRevertedError);
  if (revert instanceof ContractFunctionRevertedError) return revert.reason ?? revert.data?.errorName;
  const m = /reverted with reason string '([^']*)'|reverted: ([^\n]*)/.exec(e.message);
  return m?.[1] ?? m?.[2]?.trim();
}

/** Uniswap's revert strings in words people act on. */
const REASONS: Record<string, string> = {
  "Too little received": "the price moved past the slippage bound (fewer VIDYA/ETH than the minimum received); quote again or raise --slippage",
  "Too much requested": "the price moved past the slippage bound (more ETH than the maximum sent); quote again or raise --slippage",
  "Transaction too old": "the deadline passed before the transaction was mined; try again",
  SPL: "the trade would move the price past its limit",
  STF: "the token transfer failed: check the balance and the allowance",
};

export function marketError(e: unknown, what: string): Error {
  if (e instanceof CliError) return e;
  const reason = revertReason(e);
  if (reason) return new CliError(`${what} reverted: ${REASONS[reason] ?? reason}`);
  if (e instanceof BaseError) {
    if (/insufficient funds/i.test(e.message)) return new CliError(`${what}: this wallet has not enough ETH for the amount and the gas`);
    return new CliError(`${what} failed: ${e.shortMessage}`);
  }
  return new CliError(`${what} failed: ${(e as Error).message}`);
}
