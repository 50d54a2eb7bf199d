// What a visitor who is not a member yet reads first: what Vidya is and the two ways in (an
// invite, or buying VIDYA, staking it and paying the join fee), with what joining by stake costs
// now (the gate stake and the join fee in force, economics/access.ts) in VIDYA and, when the pool
// has a price, in ETH. Shown on the index and the join page to anyone signed out or not yet a member.

import { html } from "hono/html";
import { formatEthWorth, formatVidya } from "../../../protocol/format.ts";
import { vidyaToEth, type Twap } from "../../../protocol/market/twap.ts";
import type { Html } from "../layout.ts";

/** "100.0000 VIDYA (≈ 0.010000 ETH)": the ETH figure only when the pool's TWAP was read (and not for nothing). */
export function vidyaWithEth(amount: bigint, twap: Twap | undefined): Html {
  return html`${formatVidya(amount)}${twap && amount !== 0n ? html` <span class="muted" data-eth title="at the pool's ${Math.round(twap.secondsAgo / 60)}-minute average price">(≈ ${formatEthWorth(vidyaToEth(twap, amount))})</span>` : ""}`;
}

/** "stake 100.0000 VIDYA and pay a join fee of 10.0000 VIDYA (≈ 0.011000 ETH in all)": joining by stake's cost now. */
export function stakeAndFee(access: { gateStake: bigint; joinFee: bigint }, twap: Twap | undefined): Html {
  const all = access.gateStake + access.joinFee;
  return html`stake <strong data-testid="gate-stake">${formatVidya(access.gateStake)}</strong> and pay a join fee of <strong data-testid="join-fee">${formatVidya(access.joinFee)}</strong>${twap && all !== 0n ? html` <span class="muted" data-eth title="at the pool's ${Math.round(twap.secondsAgo / 60)}-minute average price">(${formatVidya(all)} in all, ≈ ${formatEthWorth(vidyaToEth(twap, all))})</span>` : ""}`;
}

export function introCard(opts: { signedIn: boolean; twap?: Twap; market: boolean; access: { gateStake: bigint; joinFee: bigint } }): Html {
  return html`<section class="card intro" data-testid="intro">
<h2>What Vidya is</h2>
<p>A private BitTorrent tracker for a curated index of large archives. Members download with a
personal passkey in any BitTorrent client; small nodes seed what they choose, prove on a schedule
that they hold it, and earn the $VIDYA token for it. Every epoch's rewards are one root on-chain
that anyone can check.</p>
<h2>How to join</h2>
<ol class="steps">
<li>${opts.signedIn ? "You have a wallet and are signed in." : html`Get an Ethereum browser wallet (MetaMask, Rabby, Frame…): your address is your membership, and the site never sees your key. Then <a href="/signin?next=/join">sign in</a>: signing costs nothing.`}</li>
<li><strong>With an invite</strong> from a member: paste its code on the <a href="/join">join page</a>. Free.</li>
<li><strong>Or with a stake</strong>: ${stakeAndFee(opts.access, opts.twap)} in the staking contract. ${opts.market ? html`No VIDYA yet? The <a href="/wallet#stake-to-join">wallet page</a> buys both with ETH on Uniswap, stakes the one and pays the other, in one transaction.` : "Buy VIDYA, then stake it and pay the fee on the wallet page."} The stake stays yours: you share the join and download fees while it is staked, and can unstake it later; the join fee goes to the stakers and is not refunded.</li>
</ol>
<p><a class="button primary" href="/join" data-testid="join-link">Join</a></p>
</section>`;
}
