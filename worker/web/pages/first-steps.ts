// The wallet page's next step, whatever is missing: a wallet (what to install and why), the
// right network (switch or add it), ETH for gas (where it comes from on this chain), VIDYA (buy
// it), the stake and the join fee (what the gate in force asks: economics/access.ts), the join. The server knows the account's balances and picks the step; the
// script (client/first-steps.ts) puts "no wallet", "wrong network" or "another account" first
// when it sees them.

import { html, raw } from "hono/html";
import { formatEth, formatVidya } from "../../../protocol/format.ts";
import { joinShortfall } from "../../../protocol/economics/access.ts";
import { chainId, type Env } from "../../env.ts";
import type { AccountPosition } from "../../chain/account.ts";
import type { Html } from "../layout.ts";

export type Step = "no-wallet" | "wrong-network" | "wrong-account" | "no-eth" | "no-vidya" | "stake" | "join" | "ready";

/** Chains whose names and gas sources people know; anything else is named by its id. */
const CHAINS: Record<number, { name: string; gas: string }> = {
  31337: { name: "the local development chain (anvil)", gas: "the dev faucet below sends test ETH to your address" },
  8453: { name: "Base", gas: "bridge ETH from Ethereum to Base (the Base bridge, or superbridge.app), or withdraw ETH to Base from an exchange that supports it" },
  84532: { name: "Base Sepolia (testnet)", gas: "a Base Sepolia faucet (docs.base.org lists them) gives test ETH for free" },
  1: { name: "Ethereum", gas: "buy ETH on an exchange and withdraw it to your address" },
};

export function chainName(env: Env): string {
  return CHAINS[chainId(env)]?.name ?? `chain ${chainId(env)}`;
}

/** Whether this site may hand out test ETH: local development on anvil only. */
export function faucetEnabled(env: Env): boolean {
  return env.LOCAL_DEV === "1" && chainId(env) === 31337 && Boolean(env.CHAIN_RPC_URL);
}

/** The step the server can see for a signed-in account (the script may put a wallet step first). */
export function serverStep(p: AccountPosition | undefined, member: boolean, access: Access): Step {
  if (!p) return "ready";
  if (p.eth === 0n) return "no-eth";
  if (member) return "ready";
  const short = joinShortfall(p, access);
  if (!short.stake && !short.fee) return "join";
  return p.balance >= short.stake + short.fee ? "stake" : "no-vidya";
}

/** What joining by stake costs now: the gate stake and the join fee in force. */
type Access = { gateStake: bigint; joinFee: bigint };

const hidden = (on: boolean) => (on ? "" : raw(" hidden"));

export function firstSteps(env: Env, o: { signedIn: boolean; account?: string; step: Step; position?: AccountPosition; access?: Access; market: boolean }): Html {
  const id = chainId(env);
  const chain = CHAINS[id];
  const s = o.step;
  // Signed out, nothing below names an amount (the steps that do are hidden).
  const access = o.access ?? { gateStake: 0n, joinFee: 0n };
  const short = joinShortfall(o.position ?? { staked: 0n, joinFeePaid: 0n }, access);
  const need = short.stake + short.fee;
  return html`<section class="card steps-card" data-first-steps data-step-server="${s}" data-chain-id="${id}" data-chain-name="${chainName(env)}" data-rpc-url="${env.PUBLIC_RPC_URL ?? ""}" data-account="${o.account ?? ""}" aria-live="polite">
<h2>Next step</h2>
<div data-step="no-wallet"${hidden(false)}>
<p><strong>Install a browser wallet.</strong> Vidya has no passwords: your Ethereum address is your membership, and a
wallet extension (MetaMask, Rabby, Frame…) holds its key and signs for you, so this site never sees it. Install one,
create or import an account, then reload this page.</p>
</div>
<div data-step="wrong-network"${hidden(false)}>
<p><strong>Switch your wallet to ${chainName(env)}.</strong> Vidya's contracts live there (chain id ${id}); your wallet is on
<span data-current-chain>another chain</span>.</p>
<p><button type="button" class="primary" data-action="switch-network">Switch to ${chainName(env)}</button></p>
<p class="status" data-status="switch-network" role="status"></p>
</div>
<div data-step="wrong-account" hidden>
<p><strong>Your wallet is on another account</strong> (<code data-wallet-account></code>) than the one signed in here
(<code>${o.account ?? ""}</code>): what you sign now would come from it. Switch accounts in your wallet, or sign out and sign in with this one.</p>
</div>
<div data-step="sign-in"${hidden(!o.signedIn)}>
<p><strong>Sign in</strong> with your wallet: it signs a message, which costs nothing. <a class="button primary" href="/signin?next=/wallet">Sign in</a></p>
</div>
<div data-step="no-eth"${hidden(s === "no-eth")}>
<p><strong>Get ETH for gas.</strong> Every transaction on ${chainName(env)} pays a small fee in ETH, and ETH is also what buys VIDYA. Your address holds ${formatEth(o.position?.eth ?? 0n)}. Where it comes from: ${chain?.gas ?? "any exchange or bridge that sends ETH on this chain"}.</p>
${faucetEnabled(env) ? html`<form method="post" action="/faucet" class="row"><button type="submit" class="primary" data-testid="faucet">Send me 1 test ETH</button></form>` : ""}
</div>
<div data-step="no-vidya"${hidden(s === "no-vidya")}>
<p><strong>Get VIDYA.</strong> Access without an invite takes a stake of ${formatVidya(access.gateStake)} and a join fee of ${formatVidya(access.joinFee)} to stakers; you need ${formatVidya(need)} more.
${o.market ? html`<a href="#stake-to-join">Buy it with ETH, stake it and pay the fee in one transaction</a>, or <a href="#buy">buy VIDYA</a> to hold.` : "Buy it on the token's market, or ask a member for an invite."}</p>
</div>
<div data-step="stake"${hidden(s === "stake")}>
<p><strong>${short.stake ? html`Stake ${formatVidya(short.stake)}` : ""}${short.stake && short.fee ? " and p" : short.fee ? "P" : ""}${short.fee ? html`ay the join fee of ${formatVidya(short.fee)}` : ""}</strong> (below, under Stake): your wallet holds enough. Then join.</p>
</div>
<div data-step="join"${hidden(s === "join")}>
<p><strong>Join.</strong> Your stake covers the access stake and your join fee is paid.</p>
<form method="post" action="/join" class="row"><button type="submit" class="primary" name="route" value="stake" data-testid="join-with-stake">Join with my stake</button></form>
</div>
<div data-step="ready"${hidden(s === "ready" && o.signedIn)}>
<p>You are all set: <a href="/">browse the index</a>.</p>
</div>
</section>`;
}
