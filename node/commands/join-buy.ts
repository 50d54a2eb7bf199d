// `vidya join` for a wallet without enough VIDYA (issue 14, "the first steps"): with --buy it
// buys the shortfall with ETH, stakes its stake part and pays its join fee part to stakers, in
// one transaction (HostingRouter.buyStake);
// without, it says what the wallet holds and the ways in: --buy at the quoted price, vidya
// buy, or an invite. Where the wallet has no ETH, it says where gas comes from.

import type { Hex } from "viem";
import { DEFAULT_SLIPPAGE_BPS } from "../../protocol/params.ts";
import { decimalAmount, formatEth } from "../../protocol/market/amounts.ts";
import { parseSlippage } from "../../protocol/market/price.ts";
import type { ChainClients } from "../chain/clients.ts";
import { marketOf, quote, sendBuyStake } from "../chain/market.ts";
import { CliError } from "../errors.ts";
import { formatVidya, type Ctx } from "./context.ts";
import { describeQuote } from "./market.ts";

/** `parts`: what to buy, the stake's shortfall and the join fee's (either may be zero, not both). */
export async function buyToJoin(ctx: Ctx, c: ChainClients, parts: { stake: bigint; fee: bigint }, held: bigint, opts: { buy: boolean; slippage?: string }): Promise<Hex[]> {
  const shortfall = parts.stake + parts.fee;
  const what = parts.fee ? (parts.stake ? `the access stake and the join fee need` : `the join fee needs`) : `the access stake needs`;
  const me = c.walletClient!.account.address;
  const eth = await c.publicClient.getBalance({ address: me });
  const holds = `${me} holds ${formatVidya(held)} and ${formatEth(eth)}`;
  let market;
  try {
    market = marketOf(c);
  } catch {
    throw new CliError(`${what} ${formatVidya(shortfall)} more: ${holds}. This tracker publishes no market: get VIDYA from a member, or join with an invite (--invite CODE)`);
  }
  let slippageBps = DEFAULT_SLIPPAGE_BPS;
  try {
    if (opts.slippage !== undefined) slippageBps = parseSlippage(opts.slippage);
  } catch (e) {
    throw new CliError((e as Error).message, 2);
  }
  const q = await quote(c, market, { vidyaIn: false, exactIn: false, amount: shortfall, slippageBps });
  if (!opts.buy) {
    const gas = eth === 0n ? ` It has no ETH for gas either: send ETH on chain ${c.info.chainId} to ${me} first (from an exchange, a bridge or a faucet on a test network).` : "";
    throw new CliError(
      `${what} ${formatVidya(shortfall)} more: ${holds}.${gas} Ways in:\n` +
        `  vidya join --buy      buy ${formatVidya(shortfall)} with about ${formatEth(q.amountIn)} (at most ${formatEth(q.bound)}), stake ${formatVidya(parts.stake)} and pay the ${formatVidya(parts.fee)} join fee, in one transaction\n` +
        `  vidya buy ${decimalAmount(shortfall)}   buy the VIDYA first, then vidya join\n` +
        `  vidya join --invite CODE   join with a member's invite`,
    );
  }
  if (eth < q.bound) throw new CliError(`buying ${formatVidya(shortfall)} may take up to ${formatEth(q.bound)} plus gas: ${holds}. Send ETH on chain ${c.info.chainId} to ${me} first`);
  for (const line of describeQuote(q)) ctx.log(line);
  const tx = await sendBuyStake(c, market, q, parts, ctx.log);
  ctx.log(`bought ${formatVidya(shortfall)}, staked ${formatVidya(parts.stake)} and paid the ${formatVidya(parts.fee)} join fee to stakers, in one transaction (${tx})`);
  return [tx];
}
