// The node dashboard: what a node hosts, how it answered its challenges, what it earned per
// epoch (a plot), and a claim button for what the newest final epoch owes it.

import { desc, eq } from "drizzle-orm";
import { html } from "hono/html";
import type { Address } from "viem";
import { formatBytes, formatVidya } from "../../../protocol/format.ts";
import { readTwap } from "../../chain/market.ts";
import { vidyaWithEth } from "./intro.ts";
import { HOLDBACK_AGE_RAMP_SECONDS, HOLDBACK_BPS, HOLDBACK_NEW_BPS, HOLDBACK_NEW_VESTING_SECONDS, HOLDBACK_VESTING_SECONDS, ONE_TOKEN } from "../../../protocol/params.ts";
import { chainId, type Env } from "../../env.ts";
import { db, schema } from "../../db/client.ts";
import { badRequest } from "../../errors.ts";
import { chainConfigured, claimedOf, heldOf, isFinal } from "../../chain/client.ts";
import { nodeStatus } from "../../nodes/status.ts";
import { barChart } from "../plot.ts";
import { page, when, type PageOptions } from "../layout.ts";

type Who = Pick<PageOptions, "account" | "member">;

/** Final epochs are looked for among this many newest leaves: one is normally enough. */
const FINALITY_LOOKBACK = 8;

export interface ClaimState {
  claimed: bigint;
  /** Held back from earlier claims: the node's bond, vesting; `vested` can be released now. */
  held: { unvested: bigint; vested: bigint; vestEnd: bigint };
  /** The newest final epoch with a leaf for the node, and the leaf's cumulative amount. */
  final?: { epoch: number; cumulative: bigint };
  /** Posted but still inside the dispute window. */
  pending?: { epoch: number; cumulative: bigint };
}

async function claimState(env: Env, node: string): Promise<ClaimState | undefined> {
  if (!chainConfigured(env) || !env.EPOCH_REWARDS_ADDRESS) return undefined;
  const leaves = await db(env.DB).select({ epoch: schema.leaves.epoch, cumulative: schema.leaves.cumulative }).from(schema.leaves).where(eq(schema.leaves.account, node)).orderBy(desc(schema.leaves.epoch)).limit(FINALITY_LOOKBACK);
  try {
    const [claimed, held] = await Promise.all([claimedOf(env, node as Address), heldOf(env, node as Address)]);
    const state: ClaimState = { claimed, held };
    for (const l of leaves) {
      if (await isFinal(env, l.epoch)) {
        state.final = { epoch: l.epoch, cumulative: BigInt(l.cumulative) };
        break;
      }
      state.pending ??= { epoch: l.epoch, cumulative: BigInt(l.cumulative) };
    }
    return state;
  } catch {
    // The dashboard still shows everything the edge knows when the chain cannot be read.
    return undefined;
  }
}

const percent = (passed: number, total: number) => (total === 0 ? "—" : `${((100 * passed) / total).toFixed(1)}%`);

export async function nodePage(env: Env, who: Who, raw: string) {
  if (!/^0x[0-9a-fA-F]{40}$/.test(raw)) throw badRequest("a node is named by its 0x address");
  const node = raw.toLowerCase();
  const status = await nodeStatus(db(env.DB), node);
  const mine = who.account === node;
  if (!status) {
    const body = html`<h1>Node <code>${node}</code></h1>
<p>This address has not registered a node.${mine
      ? html` Run one with <code>vidya node init</code> and <code>vidya node start</code>: it registers, chooses what to host within its storage cap, seeds it and answers challenges.`
      : ""}</p>`;
    return page({ title: "Node", nav: mine ? "node" : undefined, ...who, body });
  }
  const passed = status.epochs.reduce((s, e) => s + e.passed, 0);
  const failed = status.epochs.reduce((s, e) => s + e.failed, 0);
  const [claim, twap] = await Promise.all([claimState(env, node), readTwap(env)]);
  const claimable = claim?.final ? claim.final.cumulative - claim.claimed : 0n;
  const chart = barChart({
    title: "Earned per epoch ($VIDYA)",
    bars: status.epochs.map((e) => ({ label: String(e.epoch), value: Number(BigInt(e.earned) * 10_000n / ONE_TOKEN) / 10_000, detail: formatVidya(BigInt(e.earned)) })),
  });
  const body = html`<h1>Node <code>${node}</code></h1>
<div class="stats">
<div><span class="label">Hosting</span><span class="value">${formatBytes(status.hostedBytes)}</span><span class="sub">${status.hosted.length} torrents</span></div>
<div><span class="label">Challenges passed</span><span class="value" data-testid="pass-rate">${percent(passed, passed + failed)}</span><span class="sub">${passed} passed, ${failed} failed</span></div>
<div><span class="label">Reachable</span><span class="value" data-testid="reachable">${status.lastCheck ? (status.lastCheck.verdict === "pass" || status.lastCheck.verdict === "open" ? "yes" : "no") : "—"}</span><span class="sub">${status.lastCheck ? html`last dial-back ${status.lastCheck.verdict ?? ""} ${when(status.lastCheck.checkedAt)}` : html`not checked yet: <code>vidya node check</code>`}</span></div>
<div><span class="label">Earned to date</span><span class="value">${formatVidya(BigInt(status.cumulativeEarned))}</span>${twap ? html`<span class="sub" data-testid="earned-eth">${vidyaWithEth(BigInt(status.cumulativeEarned), twap)}</span>` : ""}</div>
<div><span class="label">Claimable now</span><span class="value" data-testid="claimable">${claim ? formatVidya(claimable) : "—"}</span><span class="sub">${claim ? `claimed ${formatVidya(claim.claimed)}` : "no chain configured"}</span></div>
${claim ? html`<div><span class="label">Held back (bond)</span><span class="value" data-testid="held">${formatVidya(claim.held.unvested)}</span><span class="sub">${claim.held.unvested > 0n ? html`vesting until ${when(Number(claim.held.vestEnd) * 1000)}` : "nothing vesting"}${claim.held.vested > 0n ? ` · ${formatVidya(claim.held.vested)} vested` : ""}</span></div>` : ""}
</div>

<h2>Earnings per epoch</h2>
<figure>${chart}<figcaption>Hosting and upload rewards committed for this node in each closed epoch.</figcaption></figure>

${claim
  ? html`<section class="card">
<h2>Claim</h2>
${claim.final && claimable > 0n
  ? html`<p>Epoch ${claim.final.epoch} is final and owes this node ${formatVidya(claimable)} (cumulative ${formatVidya(claim.final.cumulative)}, claimed ${formatVidya(claim.claimed)}).
Anyone may send the claim; the tokens go to the node, part now and part held back as its slashable bond by its age since its first claim:
${HOLDBACK_NEW_BPS / 100n}% vesting over ${Math.round(HOLDBACK_NEW_VESTING_SECONDS / 86_400)} days for a new node, falling to ${HOLDBACK_BPS / 100n}% over
${Math.round(HOLDBACK_VESTING_SECONDS / 86_400)} days at ${Math.round(HOLDBACK_AGE_RAMP_SECONDS / 86_400)} days.</p>
<p><button type="button" class="primary" data-action="claim" data-account="${node}" data-epoch="${claim.final.epoch}" data-cumulative="${claim.final.cumulative.toString()}"
  data-chain-id="${chainId(env)}" data-epoch-rewards="${env.EPOCH_REWARDS_ADDRESS ?? ""}">Claim ${formatVidya(claimable)}</button></p>
<p class="status" data-status="claim" role="status" aria-live="polite"></p>`
  : html`<p>Nothing to claim now.</p>`}
${claim.held.vested > 0n
  ? html`<p><button type="button" data-action="release" data-account="${node}" data-chain-id="${chainId(env)}" data-epoch-rewards="${env.EPOCH_REWARDS_ADDRESS ?? ""}">Release ${formatVidya(claim.held.vested)} vested</button></p>
<p class="status" data-status="release" role="status" aria-live="polite"></p>`
  : ""}
${claim.pending ? html`<p class="muted">Epoch ${claim.pending.epoch} (cumulative ${formatVidya(claim.pending.cumulative)}) becomes claimable when its dispute window ends.</p>` : ""}
</section>`
  : ""}

<h2>Hosted torrents</h2>
${status.hosted.length === 0
  ? html`<p>Nothing hosted right now.</p>`
  : html`<table class="grid"><thead><tr><th>Torrent</th><th class="num">Size</th></tr></thead><tbody>
${status.hosted.map((h) => html`<tr><td><a href="/torrents/${h.infoHash}">${h.name}</a></td><td class="num">${formatBytes(h.length)}</td></tr>`)}
</tbody></table>`}

<h2>Challenges by epoch</h2>
<table class="grid"><thead><tr><th>Epoch</th><th class="num">Passed</th><th class="num">Failed</th><th class="num">Pass rate</th><th class="num">Earned</th></tr></thead><tbody>
${[...status.epochs].reverse().map(
  (e) => html`<tr><td><a href="/epochs/${e.epoch}?account=${node}#check">${e.epoch}</a></td><td class="num">${e.passed}</td><td class="num">${e.failed}</td><td class="num">${percent(e.passed, e.passed + e.failed)}</td><td class="num">${formatVidya(BigInt(e.earned))}</td></tr>`,
)}
</tbody></table>
<p class="muted">Endpoint as the edge sees it: <code>${status.endpoint.host}:${status.endpoint.port}</code> · <a href="/api/nodes/${node}">JSON</a> · <a href="/api/nodes/${node}/transcripts">signed transcripts of the open epoch</a></p>`;
  return page({ title: "Node", nav: mine ? "node" : undefined, ...who, body });
}
