// The market's forms (pages/market.ts): each amount is quoted with Uniswap's QuoterV2 as it is
// typed (expected amount, price impact against the pool's price, minimum received under the
// slippage bound), and the swap is sent with that minimum and a deadline taken from the chain's
// clock, then shown until it is mined. Buy and sell go through Uniswap's SwapRouter; stake-to-join
// and buy-hosting through Vidya's HostingRouter, one transaction each.

import { decodeFunctionResult, encodeFunctionData, erc20Abi, parseUnits, type Address, type Hex } from "viem";
import { hostingRouterAbi } from "../../../contracts/abi.ts";
import { quoterV2Abi, swapRouterAbi, uniswapV3PoolAbi as uniswapPoolAbi } from "../../../contracts/uniswap-abi.ts";
import { formatPpm, maximumSent, parseSlippage, minimumReceived, priceImpactPpm } from "../../../protocol/market/price.ts";
import { formatEth, formatVidya } from "../../../protocol/format.ts";
import { connect, ethCall, rpc } from "./wallet.ts";
import { sendAndWatch } from "./tx.ts";
import { describe, say, statusFor } from "./status.ts";
import { refreshBalances } from "./tx-form.ts";

interface Quote {
  /** What goes in and what comes out (wei-like units), as quoted. */
  amountIn: bigint;
  amountOut: bigint;
  impactPpm: number;
  /** The bound the transaction carries: the least out (exact in), or the most in (exact out). */
  bound: bigint;
}

const data = (form: HTMLFormElement) => form.dataset as Record<string, string>;

function slippageBps(form: HTMLFormElement): number {
  return parseSlippage((new FormData(form).get("slippage") ?? "").toString());
}

function amountOf(form: HTMLFormElement): bigint {
  const d = data(form);
  if (d.kind === "stake") return BigInt(d.need!);
  const raw = (new FormData(form).get("amount") ?? "").toString().trim();
  if (!/^[0-9]+(\.[0-9]{1,18})?$/.test(raw)) throw new Error(d.kind === "sell" ? "An amount is a number of VIDYA, e.g. 100 or 2.5." : "An amount is a number of ETH, e.g. 0.05.");
  const v = parseUnits(raw, 18);
  if (v === 0n) throw new Error("Enter an amount above zero.");
  return v;
}

async function quote(form: HTMLFormElement): Promise<Quote> {
  const d = data(form);
  const token = d.token as Address;
  const weth = d.weth as Address;
  const fee = Number(d.fee);
  const selling = d.kind === "sell";
  const [tokenIn, tokenOut] = selling ? [token, weth] : [weth, token];
  const vidyaToken0 = BigInt(token) < BigInt(weth);
  const amount = amountOf(form);
  const slip = slippageBps(form);
  const slot0 = decodeFunctionResult({ abi: uniswapPoolAbi, functionName: "slot0", data: await ethCall(d.pool as Address, encodeFunctionData({ abi: uniswapPoolAbi, functionName: "slot0" })) });
  const sqrtBefore = slot0[0];
  if (d.kind === "stake") {
    const call = encodeFunctionData({ abi: quoterV2Abi, functionName: "quoteExactOutputSingle", args: [{ tokenIn, tokenOut, amount, fee, sqrtPriceLimitX96: 0n }] });
    const [amountIn] = decodeFunctionResult({ abi: quoterV2Abi, functionName: "quoteExactOutputSingle", data: await ethCall(d.quoter as Address, call) });
    return { amountIn, amountOut: amount, impactPpm: priceImpactPpm({ amountIn, amountOut: amount, sqrtPriceX96: sqrtBefore, vidyaIn: false, vidyaToken0, fee }), bound: maximumSent(amountIn, slip) };
  }
  const call = encodeFunctionData({ abi: quoterV2Abi, functionName: "quoteExactInputSingle", args: [{ tokenIn, tokenOut, amountIn: amount, fee, sqrtPriceLimitX96: 0n }] });
  const [amountOut] = decodeFunctionResult({ abi: quoterV2Abi, functionName: "quoteExactInputSingle", data: await ethCall(d.quoter as Address, call) });
  return { amountIn: amount, amountOut, impactPpm: priceImpactPpm({ amountIn: amount, amountOut, sqrtPriceX96: sqrtBefore, vidyaIn: selling, vidyaToken0, fee }), bound: minimumReceived(amountOut, slip) };
}

function describeQuote(form: HTMLFormElement, q: Quote): string {
  const d = data(form);
  const impact = `price impact ${formatPpm(q.impactPpm)}`;
  if (d.kind === "stake") return `Buys ${formatVidya(q.amountOut)} for ≈ ${formatEth(q.amountIn)} · ${impact} · sends at most ${formatEth(q.bound)}; what is not spent comes back.`;
  const out = d.kind === "sell" ? formatEth : formatVidya;
  return `You receive ≈ ${out(q.amountOut)} · ${impact} · minimum received ${out(q.bound)}${d.kind === "bounty" ? ", all of it added to the bounty" : ""}.`;
}

async function showQuote(form: HTMLFormElement): Promise<Quote | undefined> {
  const line = document.querySelector<HTMLElement>(`[data-quote="${data(form).kind}"]`);
  try {
    const q = await quote(form);
    if (line) {
      line.textContent = describeQuote(form, q);
      line.dataset.kind = q.impactPpm >= 50_000 ? "error" : "ok";
    }
    form.dataset.quotedOut = q.amountOut.toString();
    form.dataset.bound = q.bound.toString();
    return q;
  } catch (e) {
    if (line) {
      line.textContent = `No quote: ${describe(e)}`;
      line.dataset.kind = "error";
    }
    return undefined;
  }
}

/** The chain's clock, not the browser's: a local chain may run ahead (tests move time). */
async function deadline(form: HTMLFormElement): Promise<bigint> {
  const block = await rpc<{ timestamp: Hex }>("eth_getBlockByNumber", ["latest", false]);
  return BigInt(block.timestamp) + BigInt(data(form).deadlineSeconds!);
}

async function submitSwap(form: HTMLFormElement): Promise<void> {
  const d = data(form);
  const status = statusFor(d.statusName!);
  const button = form.querySelector<HTMLButtonElement>("button[type=submit]");
  if (button) button.disabled = true;
  try {
    say(status, "Quoting…");
    const q = await quote(form);
    const line = document.querySelector<HTMLElement>(`[data-quote="${d.kind}"]`);
    if (line) line.textContent = describeQuote(form, q);
    form.dataset.bound = q.bound.toString();
    const me = await connect();
    const chainId = Number(d.chainId);
    const until = await deadline(form);
    const token = d.token as Address;
    const weth = d.weth as Address;
    const fee = Number(d.fee);
    let ok: boolean;
    switch (d.kind) {
      case "buy":
        ok = await sendAndWatch({ chainId, address: d.router as Address, abi: swapRouterAbi, functionName: "exactInputSingle", args: [{ tokenIn: weth, tokenOut: token, fee, recipient: me, deadline: until, amountIn: q.amountIn, amountOutMinimum: q.bound, sqrtPriceLimitX96: 0n }], value: q.amountIn, label: d.label! }, status);
        break;
      case "sell": {
        // The router receives the WETH and unwraps it to the seller: ETH, not WETH, arrives.
        const router = d.router as Address;
        const approved = await sendAndWatch({ chainId, address: token, abi: erc20Abi, functionName: "approve", args: [router, q.amountIn], label: "Approve" }, status, false);
        if (!approved) return;
        const swap = encodeFunctionData({ abi: swapRouterAbi, functionName: "exactInputSingle", args: [{ tokenIn: token, tokenOut: weth, fee, recipient: router, deadline: until, amountIn: q.amountIn, amountOutMinimum: q.bound, sqrtPriceLimitX96: 0n }] });
        const unwrap = encodeFunctionData({ abi: swapRouterAbi, functionName: "unwrapWETH9", args: [q.bound, me] });
        ok = await sendAndWatch({ chainId, address: router, abi: swapRouterAbi, functionName: "multicall", args: [[swap, unwrap]], label: d.label! }, status);
        break;
      }
      case "stake":
        ok = await sendAndWatch({ chainId, address: d.hostingRouter as Address, abi: hostingRouterAbi, functionName: "buyStake", args: [BigInt(d.stake!), BigInt(d.joinFee!), until], value: q.bound, label: d.label! }, status);
        break;
      case "bounty":
        ok = await sendAndWatch({ chainId, address: d.hostingRouter as Address, abi: hostingRouterAbi, functionName: "buyBounty", args: [`0x${d.infoHash!.toLowerCase()}` as Hex, q.bound, until], value: q.amountIn, label: d.label! }, status);
        break;
      default:
        throw new Error(`unknown swap ${d.kind}`);
    }
    if (!ok) return;
    form.dataset.done = "true";
    // A newcomer's stake is in: join now, as the button said.
    const join = d.join === "1" ? document.querySelector<HTMLFormElement>("form[data-join-after]") : null;
    if (join) {
      say(status, `${d.label}: staked, join fee paid; joining…`, "busy");
      join.submit();
      return;
    }
    await refreshBalances();
  } catch (e) {
    say(status, describe(e), "error");
  } finally {
    if (button) button.disabled = false;
  }
}

export function wireSwap(form: HTMLFormElement): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const requote = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void showQuote(form), 300);
  };
  form.addEventListener("input", requote);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void submitSwap(form);
  });
  // The stake's amount is fixed: quote it at once.
  if (form.dataset.kind === "stake") void showQuote(form);
}


