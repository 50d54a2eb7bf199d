// The wallet page: the signed-in account's position across the contracts, and forms that
// send its transactions through the browser wallet (EIP-1193): stake, lock, unstake,
// deposit and withdraw for downloads, fund a hosting bounty, claim fees and badges. The
// page shows each transaction until it is mined (worker/web/client/tx.ts).

import { desc, eq } from "drizzle-orm";
import { html, raw } from "hono/html";
import type { Address } from "viem";
import { formatEth, formatEthWorth, formatVidya } from "../../../protocol/format.ts";
import { vidyaToEth, type Twap } from "../../../protocol/market/twap.ts";
import { joinShortfall } from "../../../protocol/economics/access.ts";
import { marketOf, readTwap } from "../../chain/market.ts";
import { firstSteps, serverStep } from "./first-steps.ts";
import { stakeAndFee } from "./intro.ts";
import { marketSections } from "./market.ts";
import { MAX_LOCK_SECONDS } from "../../../protocol/params.ts";
import { accessNow, type AccessNow } from "../../economics/access.ts";
import { chainId, type Env } from "../../env.ts";
import { db, schema } from "../../db/client.ts";
import { accountPosition, type AccountPosition } from "../../chain/account.ts";
import { isFinal } from "../../chain/client.ts";
import { page, when, type Html, type PageOptions } from "../layout.ts";

type Who = Pick<PageOptions, "account" | "member">;

/** How an argument of a form's call is read from its inputs (worker/web/client/tx-form.ts). */
export type ArgSpec =
  | { field: string; as: "token" }
  | { field: string; as: "days" }
  | { field: string; as: "bytes20" }
  | { value: string };

interface TxForm {
  id: string;
  label: string;
  contract: "staking" | "escrow" | "bounties" | "token";
  to: string;
  fn: string;
  args: ArgSpec[];
  /** The field whose amount the token must first allow `to` to take (ERC-20 approve). */
  approve?: string;
  fields: Html;
  help?: Html;
}

function txForm(env: Env, f: TxForm): Html {
  return html`<form class="row" data-action="tx" data-status-name="${f.id}" data-label="${f.label}" data-contract="${f.contract}" data-to="${f.to}" data-function="${f.fn}"
  data-args="${JSON.stringify(f.args)}" data-chain-id="${chainId(env)}"${f.approve ? raw(` data-approve="${f.approve}" data-token="${env.TOKEN_ADDRESS ?? ""}"`) : ""}>
${f.fields}<button type="submit">${f.label}</button>
</form>
${f.help ? html`<p class="muted">${f.help}</p>` : ""}
<p class="status" data-status="${f.id}" role="status" aria-live="polite"></p>`;
}

const amountField = (name = "amount", label = "Amount (VIDYA)") =>
  html`<label>${label} <input name="${name}" inputmode="decimal" pattern="[0-9]+(\\.[0-9]{1,18})?" required size="14" autocomplete="off"></label>`;

function balances(p: AccountPosition, twap: Twap | undefined, access: AccessNow): Html {
  const now = BigInt(Math.floor(Date.now() / 1000));
  const short = joinShortfall(p, access);
  return html`<div class="stats" data-balances>
<div><span class="label">ETH (pays gas)</span><span class="value" data-testid="eth">${formatEth(p.eth)}</span></div>
<div><span class="label">Wallet balance</span><span class="value" data-testid="balance">${formatVidya(p.balance)}</span>${twap && p.balance > 0n ? html`<span class="sub">≈ ${formatEthWorth(vidyaToEth(twap, p.balance))}</span>` : ""}</div>
<div><span class="label">Staked</span><span class="value" data-testid="staked">${formatVidya(p.staked)}</span><span class="sub">${!short.stake && !short.fee ? "holds the access stake, join fee paid" : html`access needs: ${stakeAndFee(access, twap)}`}${p.lockEnd > now ? html` · locked until ${when(Number(p.lockEnd) * 1000)}` : ""}</span></div>
<div><span class="label">Join fee paid</span><span class="value" data-testid="join-fee-paid">${formatVidya(p.joinFeePaid)}</span><span class="sub">${short.fee ? `${formatVidya(short.fee)} more to join by stake` : "covers the join fee in force"}</span></div>
<div><span class="label">Fees earned</span><span class="value">${formatVidya(p.fees)}</span><span class="sub">weight ${formatVidya(p.weight).replace(" VIDYA", "")}</span></div>
<div><span class="label">Download deposit</span><span class="value" data-testid="deposit">${p.escrow ? formatVidya(p.escrow.balance) : "—"}</span><span class="sub">${p.escrow && p.escrow.withdrawableAt > 0n ? html`withdrawable from ${when(Number(p.escrow.withdrawableAt) * 1000)}` : p.escrow ? `settled to date ${formatVidya(p.escrow.settled)}` : "no escrow configured"}</span></div>
${p.pendingUnstake.amount > 0n ? html`<div><span class="label">Unstaking</span><span class="value">${formatVidya(p.pendingUnstake.amount)}</span><span class="sub">released ${when(Number(p.pendingUnstake.releaseAt) * 1000)}</span></div>` : ""}
${p.bond > 0n ? html`<div><span class="label">Node bond</span><span class="value">${formatVidya(p.bond)}</span></div>` : ""}
</div>`;
}

/** Epochs whose earned leaf for `account` is final: each can be claimed as a soulbound badge. */
async function badgeEpochs(env: Env, account: string): Promise<{ epoch: number; cumulative: string }[]> {
  const rows = await db(env.DB).select({ epoch: schema.leaves.epoch, cumulative: schema.leaves.cumulative, earned: schema.leaves.earned }).from(schema.leaves).where(eq(schema.leaves.account, account)).orderBy(desc(schema.leaves.epoch)).limit(12);
  const out: { epoch: number; cumulative: string }[] = [];
  // A badge is for having hosted in that epoch: only epochs that paid the account something.
  for (const r of rows) if (BigInt(r.earned) > 0n && (await isFinal(env, r.epoch).catch(() => false))) out.push({ epoch: r.epoch, cumulative: r.cumulative });
  return out;
}

export async function walletPage(env: Env, who: Who, notice?: PageOptions["notice"]) {
  if (!who.account) {
    const body = html`<h1>Wallet</h1><p><a href="/signin?next=/wallet">Sign in</a> with your wallet to buy VIDYA, stake, deposit for downloads, fund bounties and claim badges.</p>
${firstSteps(env, { signedIn: false, step: "ready", market: Boolean(marketOf(env)) })}`;
    return page({ title: "Wallet", nav: "wallet", notice, ...who, body });
  }
  let position: AccountPosition | undefined;
  try {
    position = await accountPosition(env, who.account as Address);
  } catch {
    position = undefined;
  }
  if (!position) {
    const body = html`<h1>Wallet</h1><p class="notice error">The chain cannot be read right now (or none is configured), so balances and transactions are unavailable.</p>`;
    return page({ title: "Wallet", nav: "wallet", notice, ...who, body });
  }
  const staking = env.STAKING_ADDRESS!;
  const market = marketOf(env);
  const [badges, twap, access] = await Promise.all([env.BADGES_ADDRESS ? badgeEpochs(env, who.account) : [], readTwap(env), accessNow(env)]);
  const short = joinShortfall(position, access);
  const body = html`<h1>Wallet</h1>
<p>Every action below is a transaction your wallet signs and sends; the page shows it until it is mined. Amounts are in VIDYA${twap ? html`; ETH figures are at the pool's ${Math.round(twap.secondsAgo / 60)}-minute average price` : ""}.</p>
${firstSteps(env, { signedIn: true, account: who.account, step: serverStep(position, who.member === true, access), position, access, market: Boolean(market?.hostingRouter) })}
${balances(position, twap, access)}
${market ? marketSections(env, market, { needed: short, member: who.member === true }) : ""}

<section class="card" id="stake">
<h2>Stake</h2>
<p>Staking at least ${formatVidya(access.gateStake)} and paying the join fee of ${formatVidya(access.joinFee)} admits you without an invite. Stakers share the join and download fees, streamed over time; a lock raises your share (up to ${Math.round(MAX_LOCK_SECONDS / 86_400)} days for the largest boost).</p>
${txForm(env, { id: "stake", label: "Stake", contract: "staking", to: staking, fn: "stake", args: [{ field: "amount", as: "token" }], approve: "amount", fields: amountField() })}
${txForm(env, { id: "join-fee", label: "Pay the join fee", contract: "staking", to: staking, fn: "payJoinFee", args: [{ field: "amount", as: "token" }], approve: "amount", fields: amountField(), help: html`The join fee in force is ${formatVidya(access.joinFee)}: it goes to the stakers' fee pool, streamed over time, and is not refunded.` })}
${txForm(env, { id: "lock", label: "Lock", contract: "staking", to: staking, fn: "lock", args: [{ field: "days", as: "days" }], fields: html`<label>Lock for (days) <input name="days" inputmode="numeric" pattern="[0-9]+" required size="6"></label>`, help: html`A lock can be extended, never shortened; while it runs the stake cannot be withdrawn.` })}
${txForm(env, { id: "unstake", label: "Request unstake", contract: "staking", to: staking, fn: "requestUnstake", args: [{ field: "amount", as: "token" }], fields: amountField() })}
${txForm(env, { id: "withdraw-stake", label: "Withdraw unstaked", contract: "staking", to: staking, fn: "withdraw", args: [], fields: html`` })}
${txForm(env, { id: "claim-fees", label: "Claim fees", contract: "staking", to: staking, fn: "claimFees", args: [], fields: html`` })}
</section>

${env.ESCROW_ADDRESS
  ? html`<section class="card">
<h2>Download deposit</h2>
<p>Past the free allotment, downloads are paid from this deposit, settled once per epoch against its final spending root. A withdrawal waits until the last charges are settled.</p>
${txForm(env, { id: "deposit", label: "Deposit", contract: "escrow", to: env.ESCROW_ADDRESS, fn: "deposit", args: [{ field: "amount", as: "token" }], approve: "amount", fields: amountField() })}
${txForm(env, { id: "request-withdrawal", label: "Request withdrawal", contract: "escrow", to: env.ESCROW_ADDRESS, fn: "requestWithdrawal", args: [], fields: html`` })}
${txForm(env, { id: "withdraw-deposit", label: "Withdraw deposit", contract: "escrow", to: env.ESCROW_ADDRESS, fn: "withdraw", args: [], fields: html`` })}
</section>`
  : ""}

${env.BOUNTIES_ADDRESS
  ? html`<section class="card" id="bounty">
<h2>Fund a hosting bounty</h2>
<p>A bounty on a torrent is paid to its proven hosts over the following epochs: it buys replicas. There is no refund.</p>
${txForm(env, {
  id: "bounty",
  label: "Fund bounty",
  contract: "bounties",
  to: env.BOUNTIES_ADDRESS,
  fn: "fund",
  args: [{ field: "infoHash", as: "bytes20" }, { field: "amount", as: "token" }],
  approve: "amount",
  fields: html`<label>Info hash <input name="infoHash" pattern="[0-9a-fA-F]{40}" required size="42" autocomplete="off"></label>${amountField()}`,
})}
</section>`
  : ""}

${env.BADGES_ADDRESS
  ? html`<section class="card">
<h2>Hosting badges</h2>
<p>A soulbound badge (ERC-1155, id = epoch) for each final epoch in which you were paid for hosting, claimed with your leaf's proof.</p>
${badges.length === 0
  ? html`<p class="muted">No final epoch has paid this account yet.</p>`
  : html`<form class="row" data-action="badge" data-account="${who.account}" data-chain-id="${chainId(env)}" data-to="${env.BADGES_ADDRESS}">
<label>Epoch <select name="epoch">${badges.map((b) => html`<option value="${b.epoch}" data-cumulative="${b.cumulative}">${b.epoch}</option>`)}</select></label>
<button type="submit">Claim badge</button></form>
<p class="status" data-status="badge" role="status" aria-live="polite"></p>`}
</section>`
  : ""}`;
  return page({ title: "Wallet", nav: "wallet", notice, ...who, body });
}
