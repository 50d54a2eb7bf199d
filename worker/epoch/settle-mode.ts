// Which settlement the close runs (issue 13 part 3). EPOCH_SETTLE unset or "whole": settleEpoch,
// today's close. "paged": the same settlement in sweeps over pages of whole torrents
// (protocol/economics/settle-paged.ts), equal to settleEpoch to the wei, each page's challenges
// read from D1 by a range of info hashes once per sweep (pages.ts). The close still loads the
// whole epoch for the inputs file it publishes; resumable steps across invocations are not done
// yet. Off by default.

import type { Env } from "../env.ts";
import type { Db } from "../db/client.ts";
import { settleEpoch, type SettleInputs, type Settlement } from "../../protocol/economics/settle.ts";
import { settleFromD1 } from "./pages.ts";

/** Torrents per page when EPOCH_SETTLE_PAGE_TORRENTS is not set. */
export const SETTLE_PAGE_TORRENTS = 1_000;

export function settleMode(env: Env): "whole" | "paged" {
  return env.EPOCH_SETTLE === "paged" ? "paged" : "whole";
}

/** The epoch's settlement, by the mode in force; paged, `inputs.challenges` must be the epoch's rows in D1 (close.ts reads them). */
export async function settleForClose(env: Env, d: Db, inputs: SettleInputs): Promise<Settlement> {
  if (settleMode(env) === "whole") return settleEpoch(inputs);
  const perPage = Number(env.EPOCH_SETTLE_PAGE_TORRENTS);
  const { epoch, route, locations, previous, emission } = inputs;
  return settleFromD1(
    d,
    { epoch, route, locations, previous, emission },
    inputs.torrents,
    { transfers: inputs.transfers ?? [], receipts: inputs.receipts ?? [] },
    Number.isSafeInteger(perPage) && perPage > 0 ? perPage : SETTLE_PAGE_TORRENTS,
  );
}
