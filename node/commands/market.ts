// vidya buy | sell | bounty: the token's market from the terminal. Each quotes with Uniswap's
// QuoterV2, shows the price impact and the bound (minimum received or maximum sent), then sends
// the swap with that bound and a deadline and shows its hash until it is mined. --quote stops
// after the quote. Amounts are read and printed in VIDYA and ETH with decimals, never wei.

import { parseArgs } from "node:util";
import type { Hex } from "viem";
import { DEFAULT_SLIPPAGE_BPS, TWAP_WINDOW_SECONDS } from "../../protocol/params.ts";
import { formatEth, formatPrice, parseAmount } from "../../protocol/market/amounts.ts";
import { formatPpm, parseSlippage } from "../../protocol/market/price.ts";
import { TrackerApi } from "../api.ts";
import { chainClients, type ChainClients } from "../chain/clients.ts";
import { marketOf, poolTwap, quote, sendBuy, sendBuyBounty, sendSell, type MarketInfo, type Quote } from "../chain/market.ts";
import { tokenBalance } from "../chain/stake.ts";
import { normaliseTracker, readJsonFile, type Config } from "../config.ts";
import { CliError } from "../errors.ts";
import { hostingBountiesAbi } from "../../contracts/abi.ts";
import { loadOrCreateWallet } from "../wallet.ts";
import { formatVidya, type Ctx } from "./context.ts";

const COMMON = { tracker: { type: "string" }, rpc: { type: "string" }, slippage: { type: "string" }, quote: { type: "boolean", default: false } } as const;

/** The chain and market the tracker (flag or config) publishes, with this home's wallet. */
export async function marketClients(ctx: Ctx, values: { tracker?: string; rpc?: string }): Promise<{ c: ChainClients; m: MarketInfo }> {
  const config = await readJsonFile<Partial<Config>>(ctx.home.config);
  const trackerUrl = values.tracker ?? config?.tracker;
  if (!trackerUrl) throw new CliError("needs --tracker URL (or a home with a config: vidya join or vidya node init)");
  const { account, created } = await loadOrCreateWallet(ctx.home);
  if (created) ctx.log(`created wallet ${account.address} in ${ctx.home.wallet}`);
  const c = chainClients(await new TrackerApi(normaliseTracker(trackerUrl)).chain(), account, values.rpc ?? config?.rpcUrl);
  return { c, m: marketOf(c) };
}

function slippageOf(text: string | undefined): number {
  try {
    return text === undefined ? DEFAULT_SLIPPAGE_BPS : parseSlippage(text);
  } catch (e) {
    throw new CliError((e as Error).message, 2);
  }
}

function amountOf(text: string, what: string): bigint {
  try {
    return parseAmount(text, what);
  } catch (e) {
    throw new CliError((e as Error).message, 2);
  }
}

/** The pool's 30-minute TWAP beside its spot price: a spot far from it is a price someone just moved. */
async function twapLine(c: ChainClients, m: MarketInfo): Promise<string> {
  const twap = await poolTwap(c, m);
  const window = `${TWAP_WINDOW_SECONDS / 60}-minute average price`;
  return twap === null ? `${window}: not yet (the pool's oracle is younger than that)` : `${window} ${formatPrice(twap)}`;
}

/** The quote as people read it: what goes in and out, the pool's price, the impact and the bound. */
export function describeQuote(q: Quote): string[] {
  const fmt = (amount: bigint, vidya: boolean) => (vidya ? formatVidya(amount) : formatEth(amount));
  const slip = `slippage ${(q.slippageBps / 100).toFixed(2)}%`;
  return [
    `quote: ${fmt(q.amountIn, q.vidyaIn)} for ${fmt(q.amountOut, !q.vidyaIn)} (pool price ${formatPrice(q.spot)})`,
    `price impact ${formatPpm(q.priceImpactPpm)} (the pool's ${(q.fee / 10_000).toFixed(2)}% fee apart)`,
    q.exactIn ? `minimum received ${fmt(q.bound, !q.vidyaIn)} (${slip})` : `maximum sent ${fmt(q.bound, q.vidyaIn)} (${slip})`,
  ];
}

function quoteJson(q: Quote): Record<string, string | number | boolean> {
  return {
    amountIn: q.amountIn.toString(),
    amountOut: q.amountOut.toString(),
    [q.exactIn ? "minimumReceived" : "maximumSent"]: q.bound.toString(),
    priceImpactPpm: q.priceImpactPpm,
    slippageBps: q.slippageBps,
    spotWeiPerVidya: q.spot.toString(),
  };
}

export async function buy(ctx: Ctx, argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...COMMON, spend: { type: "string" } }, allowPositionals: true, strict: true });
  if ((positionals.length === 1) === (values.spend !== undefined) || positionals.length > 1) {
    throw new CliError("usage: vidya buy <amount of VIDYA> | --spend <amount of ETH> [--slippage 0.5] [--quote]", 2);
  }
  const exactIn = values.spend !== undefined;
  const amount = exactIn ? amountOf(values.spend!, "ETH") : amountOf(positionals[0]!, "VIDYA");
  const slippageBps = slippageOf(values.slippage);
  const { c, m } = await marketClients(ctx, values);
  const q = await quote(c, m, { vidyaIn: false, exactIn, amount, slippageBps });
  for (const line of [...describeQuote(q), await twapLine(c, m)]) ctx.say(line);
  if (values.quote) return ctx.result({ quote: quoteJson(q) });
  const me = c.walletClient!.account.address;
  const before = await tokenBalance(c, me);
  const txs = await sendBuy(c, m, q, ctx.log);
  const after = await tokenBalance(c, me);
  ctx.say(`bought ${formatVidya(after - before)} in tx ${txs.at(-1)}; ${me} holds ${formatVidya(after)}`);
  ctx.result({ quote: quoteJson(q), bought: (after - before).toString(), balance: after.toString(), txs });
}

export async function sell(ctx: Ctx, argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: COMMON, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new CliError("usage: vidya sell <amount of VIDYA> [--slippage 0.5] [--quote]", 2);
  const amount = amountOf(positionals[0]!, "VIDYA");
  const slippageBps = slippageOf(values.slippage);
  const { c, m } = await marketClients(ctx, values);
  const me = c.walletClient!.account.address;
  const held = await tokenBalance(c, me);
  if (held < amount) throw new CliError(`${me} holds ${formatVidya(held)}, less than the ${formatVidya(amount)} to sell`);
  const q = await quote(c, m, { vidyaIn: true, exactIn: true, amount, slippageBps });
  for (const line of [...describeQuote(q), await twapLine(c, m)]) ctx.say(line);
  if (values.quote) return ctx.result({ quote: quoteJson(q) });
  const txs = await sendSell(c, m, q, ctx.log);
  ctx.say(`sold ${formatVidya(amount)} for at least ${formatEth(q.bound)} in tx ${txs.at(-1)}; ${me} holds ${formatVidya(await tokenBalance(c, me))}`);
  ctx.result({ quote: quoteJson(q), sold: amount.toString(), txs });
}

export async function bounty(ctx: Ctx, argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...COMMON, spend: { type: "string" } }, allowPositionals: true, strict: true });
  const infoHash = positionals[0]?.toLowerCase();
  if (positionals.length !== 1 || !/^[0-9a-f]{40}$/.test(infoHash ?? "") || values.spend === undefined) {
    throw new CliError("usage: vidya bounty <40-hex v1 infohash> --spend <amount of ETH> [--slippage 0.5] [--quote]", 2);
  }
  const spend = amountOf(values.spend, "ETH");
  const slippageBps = slippageOf(values.slippage);
  const config = await readJsonFile<Partial<Config>>(ctx.home.config);
  const trackerUrl = values.tracker ?? config?.tracker;
  // A bounty on a torrent the index does not list is never drawn and cannot be refunded: refuse it here.
  if (trackerUrl) {
    await new TrackerApi(normaliseTracker(trackerUrl)).torrent(infoHash!).catch(() => {
      throw new CliError(`the tracker lists no torrent ${infoHash}: a bounty on it would never be paid out, nor refunded`);
    });
  }
  const { c, m } = await marketClients(ctx, values);
  const q = await quote(c, m, { vidyaIn: false, exactIn: true, amount: spend, slippageBps });
  for (const line of [...describeQuote(q), await twapLine(c, m)]) ctx.say(line);
  if (values.quote) return ctx.result({ quote: quoteJson(q) });
  const bountyOf = async () => (c.info.bounties ? await c.publicClient.readContract({ address: c.info.bounties, abi: hostingBountiesAbi, functionName: "bountyOf", args: [`0x${infoHash}`] }) : 0n);
  const before = await bountyOf();
  const tx = await sendBuyBounty(c, m, `0x${infoHash}` as Hex, q, ctx.log);
  const after = await bountyOf();
  ctx.say(`bought ${formatVidya(after - before)} for ${formatEth(spend)} and added it to the bounty of ${infoHash} in one transaction, ${tx}; the bounty holds ${formatVidya(after)}`);
  ctx.result({ quote: quoteJson(q), infoHash, funded: (after - before).toString(), bounty: after.toString(), tx });
}
