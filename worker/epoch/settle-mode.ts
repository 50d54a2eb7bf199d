// Which settlement the close runs (issue 13 part 3). EPOCH_SETTLE unset or "whole": settleEpoch,
// today's close. "paged": the same settlement in sweeps over pages of whole torrents
// (protocol/economics/settle-paged.ts), equal to settleEpoch to the wei. The pages are still cut
// from the arrays the close holds: the switch proves the paged path on real closes before the
// close reads its pages from D1 step by step (not done yet). Off by default.

import type { Env } from "../env.ts";
import { settleInPages } from "../../protocol/economics/settle-paged.ts";
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
  return settleInPages(inputs, Number.isSafeInteger(perPage) && perPage > 0 ? perPage : SETTLE_PAGE_TORRENTS);
}
