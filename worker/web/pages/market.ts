// The market's forms (buy and sell VIDYA on the Uniswap pool, buy the access stake and join fee, buy hosting
// for a torrent): server-rendered with the addresses they need; client/market.ts quotes each
// amount with QuoterV2 as it is typed (expected amount, price impact, minimum received) and
// sends the swap with that minimum and a deadline, then shows it until it is mined.

import { html, raw } from "hono/html";
import { formatVidya } from "../../../protocol/format.ts";
import { DEFAULT_SLIPPAGE_BPS, SWAP_DEADLINE_SECONDS } from "../../../protocol/params.ts";
import { chainId, type Env } from "../../env.ts";
import type { Market } from "../../chain/market.ts";
import type { Html } from "../layout.ts";

type Kind = "buy" | "sell" | "stake" | "bounty";

function swapForm(env: Env, m: Market, kind: Kind, o: { label: string; input: Html; extra?: Record<string, string> }): Html {
  const extra = Object.entries(o.extra ?? {}).map(([k, v]) => raw(` data-${k}="${v.replace(/[^0-9a-zA-Z_x.-]/g, "")}"`));
  return html`<form class="row swap" data-action="swap" data-kind="${kind}" data-status-name="${kind}" data-label="${o.label}" data-chain-id="${chainId(env)}"
  data-token="${m.token}" data-weth="${m.weth}" data-pool="${m.pool}" data-fee="${m.fee}" data-quoter="${m.quoter ?? ""}" data-router="${m.router ?? ""}" data-hosting-router="${m.hostingRouter ?? ""}" data-deadline-seconds="${SWAP_DEADLINE_SECONDS}"${extra}>
${o.input}
<label>Slippage (%) <input name="slippage" value="${(DEFAULT_SLIPPAGE_BPS / 100).toFixed(2)}" inputmode="decimal" pattern="[0-9]+(\\.[0-9]{1,2})?" size="5" required></label>
<button type="submit">${o.label}</button>
</form>
<p class="quote muted" data-quote="${kind}" aria-live="polite"></p>
<p class="status" data-status="${kind}" role="status" aria-live="polite"></p>`;
}

const ethField = (label = "Spend (ETH)") => html`<label>${label} <input name="amount" inputmode="decimal" pattern="[0-9]+(\\.[0-9]{1,18})?" required size="12" autocomplete="off"></label>`;
const vidyaField = (label = "Sell (VIDYA)") => html`<label>${label} <input name="amount" inputmode="decimal" pattern="[0-9]+(\\.[0-9]{1,18})?" required size="12" autocomplete="off"></label>`;

/** Buy and sell on the wallet page, and the one-transaction stake and join fee for an account short of them. */
export function marketSections(env: Env, m: Market, o: { needed: { stake: bigint; fee: bigint }; member: boolean }): Html {
  const need = o.needed.stake + o.needed.fee;
  if (!m.quoter || !m.router) return html``;
  return html`<section class="card" id="buy">
<h2>Buy or sell VIDYA</h2>
<p>On the VIDYA/WETH Uniswap pool (fee ${(m.fee / 10_000).toFixed(2)}%). Each amount is quoted as you type: what you should
receive, the price impact of your trade, and the minimum you accept; a swap that would give less, or that is not mined within
${Math.round(SWAP_DEADLINE_SECONDS / 60)} minutes, reverts and costs only gas.</p>
${swapForm(env, m, "buy", { label: "Buy VIDYA", input: ethField() })}
${swapForm(env, m, "sell", { label: "Sell VIDYA", input: vidyaField() })}
</section>
${m.hostingRouter && need > 0n
  ? html`<section class="card" id="stake-to-join">
<h2>Stake to join, in one step</h2>
<p>Buys exactly the VIDYA joining by stake still needs with ETH (${formatVidya(o.needed.stake)} to stake, ${formatVidya(o.needed.fee)} of join fee
to stakers: <strong data-testid="stake-to-join-need">${formatVidya(need)}</strong>), stakes the one and pays the other for you, in one transaction
(HostingRouter: swap, stake, pay the join fee); ETH not spent comes back. ${o.member ? "" : "Then you join at once."}</p>
${swapForm(env, m, "stake", { label: o.member ? "Buy and stake" : "Buy, stake and join", input: html``, extra: { need: need.toString(), stake: o.needed.stake.toString(), "join-fee": o.needed.fee.toString(), join: o.member ? "" : "1" } })}
${o.member ? "" : html`<form method="post" action="/join" data-join-after hidden><input type="hidden" name="route" value="stake"></form>`}
</section>`
  : ""}`;
}

/** Buy hosting on a torrent page: ETH swapped and added to the torrent's bounty in one transaction. */
export function buyHostingForm(env: Env, m: Market | undefined, infoHash: string): Html {
  if (!m?.quoter || !m.hostingRouter) return html``;
  return html`<section class="card" id="buy-hosting">
<h2>Buy hosting with ETH</h2>
<p>Swaps your ETH for VIDYA and adds it all to this torrent's bounty in one transaction: proven hosts of this torrent are paid
from it over the following epochs, which draws replicas. There is no refund.</p>
${swapForm(env, m, "bounty", { label: "Buy hosting", input: ethField(), extra: { "info-hash": infoHash } })}
</section>`;
}
