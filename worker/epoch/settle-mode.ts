// Which settlement the close runs (issue 13 part 3). EPOCH_SETTLE unset or "whole": settleEpoch,
// today's close. "paged": the same settlement in sweeps over pages of whole torrents
// (protocol/economics/settle-paged.ts), equal to settleEpoch to the wei. The pages are still cut
// from the arrays the close holds: the switch proves the paged path on real closes before the
// close reads its pages from D1 step by step (not done yet). Off by default.

import type { Env } from "../env.ts";
import { addPageWeights, assembleSettlement, firstHostsOf, noWeights, pageWeights, settleContext, settlePage, settleTotals, tallyPages, type SettlePage } from "../../protocol/economics/settle-paged.ts";
import { settleEpoch, type SettleInputs, type Settlement } from "../../protocol/economics/settle.ts";

/** Torrents per page when EPOCH_SETTLE_PAGE_TORRENTS is not set. */
export const SETTLE_PAGE_TORRENTS = 1_000;

export function settleMode(env: Env): "whole" | "paged" {
  return env.EPOCH_SETTLE === "paged" ? "paged" : "whole";
}

/** The epoch's settlement, by the mode in force. */
export function settleForClose(env: Env, inputs: SettleInputs): Settlement {
  if (settleMode(env) === "whole") return settleEpoch(inputs);
  const perPage = Number(env.EPOCH_SETTLE_PAGE_TORRENTS);
  const pages = pagesOfInputs(inputs, Number.isSafeInteger(perPage) && perPage > 0 ? perPage : SETTLE_PAGE_TORRENTS);
  const { epoch, route, locations, previous, emission } = inputs;
  const ctx = settleContext({ epoch, route, locations, previous, emission }, tallyPages(pages, firstHostsOf(inputs.challenges)));
  let weights = noWeights();
  for (const p of pages) weights = addPageWeights(weights, pageWeights(ctx, p));
  const totals = settleTotals(ctx, weights);
  return assembleSettlement(ctx, totals, pages.map((p) => settlePage(ctx, totals, p)));
}

/** Pages of `perPage` torrents (info-hash order), each with every challenge, transfer and receipt of its torrents. */
export function pagesOfInputs(inputs: SettleInputs, perPage: number): SettlePage[] {
  const torrents = [...inputs.torrents].sort((a, b) => (a.infoHash < b.infoHash ? -1 : 1));
  const pages: { torrents: SettleInputs["torrents"][number][]; challenges: SettleInputs["challenges"][number][]; transfers: NonNullable<SettleInputs["transfers"]>[number][]; receipts: NonNullable<SettleInputs["receipts"]>[number][] }[] = [];
  const pageOf = new Map<string, number>();
  torrents.forEach((t, i) => {
    const k = Math.floor(i / perPage);
    pages[k] ??= { torrents: [], challenges: [], transfers: [], receipts: [] };
    pages[k].torrents.push(t);
    pageOf.set(t.infoHash, k);
  });
  pages[0] ??= { torrents: [], challenges: [], transfers: [], receipts: [] };
  // A row of a torrent the close did not list (none today) goes to the first page: all of its rows together.
  const at = (infoHash: string) => pages[pageOf.get(infoHash) ?? 0]!;
  for (const c of inputs.challenges) at(c.infoHash).challenges.push(c);
  for (const t of inputs.transfers ?? []) at(t.infoHash).transfers.push(t);
  for (const r of inputs.receipts ?? []) at(r.infoHash).receipts.push(r);
  return pages;
}
