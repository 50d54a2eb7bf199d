// The epoch explorer: every closed epoch's roots, transaction, published inputs and leaves,
// and a proof check that runs in the browser (worker/web/client/explorer.ts) with the same
// leaf encoding as the worker and the contract (protocol/merkle/reward-tree.ts).

import { asc, desc, eq } from "drizzle-orm";
import { html } from "hono/html";
import type { Address } from "viem";
import { formatVidya } from "../../../protocol/format.ts";
import { buildRewardTree } from "../../../protocol/merkle/reward-tree.ts";
import { chainId, type Env } from "../../env.ts";
import { db, schema } from "../../db/client.ts";
import { badRequest, notFound, safeMessage } from "../../errors.ts";
import { openEpoch } from "../../challenge/round.ts";
import { scheduleOf, seedOf } from "../../epoch/seed.ts";
import { page, shortHex, when, type PageOptions } from "../layout.ts";
import { overdueText } from "../../../protocol/epoch/overdue.ts";
import { epochOverdue } from "../../epoch/status.ts";

type Who = Pick<PageOptions, "account" | "member">;

/** The notice the epochs page and the index show while an epoch is overdue (protocol/epoch/overdue.ts); "" otherwise. */
export async function overdueNotice(env: Env) {
  const now = Date.now();
  const o = await epochOverdue(env, now).catch((e: unknown) => {
    console.error("overdue notice failed", safeMessage(e));
    return undefined;
  });
  if (!o?.overdue) return "";
  return html`<p class="notice error" role="alert" data-testid="epoch-overdue">${overdueText(o, now)}. Rewards stay unclaimable until the epoch is closed and posted; the operator has a runbook for this.</p>`;
}

/** Leaves shown on an epoch's page; the JSON link has every one. */
const LEAVES_SHOWN = 200;

/** Where an unfinished close stands (worker/epoch/writer.ts), in words. */
function closeStateText(r: { state: string; haltReason: string | null }): string {
  if (r.state === "halted") return `halted: ${r.haltReason ?? "see the operator"}`;
  if (r.state === "sent") return "posting: transaction sent, waiting for its block";
  if (r.state === "mined") return "posting: mined, waiting for confirmations";
  return "posting: settled, not sent yet";
}

function postedCell(r: { state: string; haltReason: string | null; txHash: string | null }) {
  if (r.txHash && r.state === "final") return shortHex(r.txHash);
  if (r.state === "final") return html`<span class="muted">not posted</span>`;
  return html`<span class="muted">${closeStateText(r)}</span>`;
}

export async function epochsPage(env: Env, who: Who) {
  const d = db(env.DB);
  const rows = await d.select().from(schema.epochs).orderBy(desc(schema.epochs.epoch)).limit(500);
  const open = await openEpoch(d);
  const [seed, notice] = await Promise.all([seedOf(d, open), overdueNotice(env)]);
  const body = html`<h1>Epochs</h1>
${notice}
<p>Each epoch's rewards are committed on-chain as one merkle root over cumulative totals, with the
hash of every input that produced them. Open an epoch to read its inputs and leaves, and to check
an account's proof against the root on-chain, in your browser.</p>
${seed
  ? html`<p class="card">Epoch <strong>${open}</strong> is open: it closes at ${when(seed.openedAt + scheduleOf(seed).epochMs)}. Its challenge seed is committed as ${shortHex(seed.commitment)} and revealed at the close.</p>`
  : ""}
${rows.length === 0
  ? html`<p>No epoch has closed yet.</p>`
  : html`<table class="grid">
<thead><tr><th>Epoch</th><th>Closed</th><th>Earned root</th><th>Slashed root</th><th class="num">Earned to date</th><th class="num">Leaves</th><th>Transaction</th></tr></thead>
<tbody>
${rows.map(
  (r) => html`<tr>
<td><a href="/epochs/${r.epoch}">${r.epoch}</a></td>
<td>${when(r.closedAt)}</td>
<td>${shortHex(r.root)}</td>
<td>${/^0x0+$/.test(r.slashedRoot) ? html`<span class="muted">none</span>` : shortHex(r.slashedRoot)}</td>
<td class="num">${formatVidya(BigInt(r.totalEarned))}</td>
<td class="num">${r.leafCount}</td>
<td>${postedCell(r)}</td>
</tr>`,
)}
</tbody></table>`}`;
  return page({ title: "Epochs", nav: "epochs", ...who, body });
}

export async function epochPage(env: Env, who: Who, raw: string, account: string | undefined) {
  if (!/^[1-9][0-9]{0,9}$/.test(raw)) throw badRequest("epoch must be a positive integer");
  const d = db(env.DB);
  const row = await d.select().from(schema.epochs).where(eq(schema.epochs.epoch, Number(raw))).get();
  if (!row) throw notFound(`epoch ${raw} has not closed`);
  const leaves = await d.select().from(schema.leaves).where(eq(schema.leaves.epoch, row.epoch)).orderBy(asc(schema.leaves.account));
  const wanted = account && /^0x[0-9a-fA-F]{40}$/.test(account) ? account.toLowerCase() : undefined;
  // Without JavaScript the page still shows the proof the server builds; the script checks it.
  let proof: string[] | undefined;
  const mine = wanted ? leaves.find((l) => l.account === wanted) : undefined;
  if (mine) proof = buildRewardTree(row.epoch, leaves.map((l) => ({ account: l.account as Address, cumulative: BigInt(l.cumulative) }))).proof(mine.account as Address);
  const body = html`<h1>Epoch ${row.epoch}</h1>
<dl class="facts">
<dt>Closed</dt><dd>${when(row.closedAt)}</dd>
<dt>Earned root</dt><dd><code>${row.root}</code></dd>
<dt>Slashed root</dt><dd><code>${row.slashedRoot}</code></dd>
<dt>Inputs hash</dt><dd><code>${row.inputsHash}</code></dd>
<dt>Seed commitment</dt><dd><code>${row.seedCommitment ?? "—"}</code></dd>
<dt>Posted in</dt><dd>${row.txHash ? html`<code>${row.txHash}</code>` : html`<span class="muted">${row.state === "final" ? "not posted (no chain configured)" : closeStateText(row)}</span>`}</dd>
<dt>Earned to date</dt><dd>${formatVidya(BigInt(row.totalEarned))} over ${row.leafCount} accounts</dd>
<dt>Slashed to date</dt><dd>${formatVidya(BigInt(row.totalSlashed))}</dd>
</dl>
<p>Published: <a href="/api/epochs/${row.epoch}/inputs">inputs</a> (challenge transcripts, torrents,
hosting, the revealed seed) · <a href="/api/epochs/${row.epoch}/leaves">earned leaves</a> ·
<a href="/api/epochs/${row.epoch}/slashed">slashed leaves and penalties</a> ·
<a href="/api/epochs/${row.epoch}/disputes">disputes</a>. Anyone can rebuild the roots from them
(<code>vidya verify ${row.epoch}</code> does).</p>

<section class="card" id="check">
<h2>Check a proof</h2>
<p>Your browser fetches the account's leaf and proof, hashes the leaf as the contract does
(keccak256 of keccak256(abi.encode(epoch, account, cumulative)), sorted pairs), and compares the
root it gets with the root stored on-chain for epoch ${row.epoch}.</p>
<form method="get" action="/epochs/${row.epoch}#check" data-action="check-proof" data-epoch="${row.epoch}"
  data-chain-id="${chainId(env)}" data-epoch-rewards="${env.EPOCH_REWARDS_ADDRESS ?? ""}" data-rpc-url="${env.PUBLIC_RPC_URL ?? ""}">
<label>Account <input name="account" value="${wanted ?? who.account ?? ""}" pattern="0x[0-9a-fA-F]{40}" required size="44" autocomplete="off"></label>
<button type="submit">Check</button>
</form>
<div class="status" data-status="check-proof" role="status" aria-live="polite"></div>
${wanted && !mine ? html`<p class="notice error">No leaf for <code>${wanted}</code> in epoch ${row.epoch}.</p>` : ""}
${mine && proof
  ? html`<noscript><p>Leaf: <code>${mine.account}</code>, cumulative ${formatVidya(BigInt(mine.cumulative))}. Proof (${proof.length} hashes):</p><ol class="proof">${proof.map((p) => html`<li><code>${p}</code></li>`)}</ol></noscript>`
  : ""}
</section>

<h2>Leaves</h2>
<table class="grid">
<thead><tr><th>Account</th><th class="num">Cumulative</th><th class="num">This epoch</th></tr></thead>
<tbody>
${leaves.slice(0, LEAVES_SHOWN).map(
  (l) => html`<tr><td><a href="/epochs/${row.epoch}?account=${l.account}#check"><code>${l.account}</code></a></td><td class="num">${formatVidya(BigInt(l.cumulative))}</td><td class="num">${formatVidya(BigInt(l.earned))}</td></tr>`,
)}
</tbody></table>
${leaves.length > LEAVES_SHOWN ? html`<p class="muted">${leaves.length - LEAVES_SHOWN} more in <a href="/api/epochs/${row.epoch}/leaves">the JSON</a>.</p>` : ""}`;
  return page({ title: `Epoch ${row.epoch}`, nav: "epochs", ...who, body });
}
