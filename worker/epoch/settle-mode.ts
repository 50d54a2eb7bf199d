// Which settlement the close runs (issue 13 part 3). EPOCH_SETTLE "whole": settleEpoch over the
// whole epoch at once. Unset or "paged" (the default): the same settlement in sweeps over pages
// of whole torrents (protocol/economics/settle-paged.ts), equal to settleEpoch to the wei, each page's challenges
// read from D1 by a range of info hashes once per sweep (pages.ts), each page's result stored in
// the scratch table so a close that dies between pages resumes at the page it was on. Both read
// the close's frozen challenges (frozen.ts).

import type { Env } from "../env.ts";
import { SETTLE_PAGES_PER_TICK, SETTLE_PAGE_TORRENTS } from "../../protocol/params.ts";
import type { Db } from "../db/client.ts";
import { settleEpoch, type SettleInputs, type Settlement } from "../../protocol/economics/settle.ts";
import { streamedInputsHash } from "../../protocol/epoch/stream.ts";
import { settleFromD1Streamed, type Sweep } from "./pages.ts";
import type { PublishedLists } from "../../protocol/economics/published.ts";
import { allChallenges, type Frozen } from "./frozen.ts";
import type { CompactTransfers } from "../../protocol/economics/compact-transfers.ts";


/** Paged unless EPOCH_SETTLE is "whole" (kept selectable: the reference the paged sweeps equal). */
export function settleMode(env: Env): "whole" | "paged" {
  return env.EPOCH_SETTLE === "whole" ? "whole" : "paged";
}

/**
 * The epoch's settlement, by the mode in force, of the close's frozen challenges (frozen.ts):
 * paged, read from D1 a page of torrents at a time, its replicas, credits and swarms left in the
 * stored pages and read again as they are published (`lists`); whole, read all at once for settleEpoch.
 */
export async function settleForClose(env: Env, d: Db, inputs: CloseInputs, frozen: Frozen, fingerprint = fingerprintOf(inputs, frozen)): Promise<{ settlement: Settlement; lists: PublishedLists }> {
  if (settleMode(env) === "whole") {
    const settlement = settleEpoch({ ...inputs, transfers: inputs.transfers.all(), challenges: await allChallenges(d, frozen) });
    return { settlement, lists: { replicas: settlement.hosting.replicas, credits: settlement.upload.credits, swarms: settlement.upload.swarms } };
  }
  const perPage = Number(env.EPOCH_SETTLE_PAGE_TORRENTS);
  const pages = Number.isSafeInteger(perPage) && perPage > 0 ? perPage : SETTLE_PAGE_TORRENTS;
  const { epoch, route, locations, previous, emission } = inputs;
  return settleFromD1Streamed(
    d,
    { epoch, route, locations, previous, emission },
    inputs.torrents,
    { transfers: inputs.transfers, receipts: inputs.receipts ?? [] },
    pages,
    { fingerprint: streamedInputsHash({ fingerprint, perPage: pages }), frozen, keep: true, budget: pagesPerTick(env), onStored: (sweep, page) => crashAfterPage(env, sweep, page) },
  );
}

/** Page results one invocation computes at most (EPOCH_SETTLE_PAGES_PER_TICK, default SETTLE_PAGES_PER_TICK): the close goes on at the next tick. */
export function pagesPerTick(env: Env): number {
  const n = Number(env.EPOCH_SETTLE_PAGES_PER_TICK);
  return Number.isSafeInteger(n) && n > 0 ? n : SETTLE_PAGES_PER_TICK;
}

/** The close's inputs but its challenges, which are read from D1 (the frozen rows), with its transfers compact (transfers.ts). */
export type CloseInputs = Omit<SettleInputs, "challenges" | "transfers"> & { transfers: CompactTransfers };

/** Bumped when a page's stored result changes shape or meaning: a deploy between invocations never mixes the two. */
const STEP_FORMAT = 3;

/**
 * Names everything the paged settlement reads: a stored page is reused only for the same inputs
 * (a close retried after the chain's deposits moved starts afresh). The transfers are named by
 * their digest (compact-transfers.ts), the challenges by
 * their freeze (frozen.ts: the epoch's rows up to a rowid, and their count), not listed: no row of
 * the epoch is written while it is frozen, and rows are never rewritten, so the same freeze is
 * the same transcripts; a deletion changes the count.
 */
export function fingerprintOf(inputs: CloseInputs, frozen: Frozen): string {
  // Hashed piece by piece (stream.ts): the canonical text of 10,000 nodes' transfers is never held whole.
  return streamedInputsHash({ ...inputs, challenges: { cutoff: frozen.cutoff, count: frozen.count }, transfers: inputs.transfers.digest(), format: STEP_FORMAT });
}

/** Tests only: TEST_CRASH_AFTER="page B1" dies once sweep B's page 1 is stored, as a dying invocation would. */
function crashAfterPage(env: Env, sweep: Sweep, page: number): void {
  if (env.TEST_CRASH_AFTER === `page ${sweep}${page}`) throw new Error(`test crash after page ${sweep}${page}`);
}
