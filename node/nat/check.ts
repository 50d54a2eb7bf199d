// `vidya node check` and the check at start: the edge dials the node back as a challenge
// would (POST /api/nodes/check), and protocol/net/reachability.ts turns its answer and the
// port mapping into a verdict with the operator's next step.

import type { LocalAccount } from "viem";
import { classifyReachability, type CheckAnswer, type MappingFacts, type ReachabilityVerdict } from "../../protocol/net/reachability.ts";
import { ApiError, type TrackerApi } from "../api.ts";

export interface ReachabilityReport extends ReachabilityVerdict {
  checkedAt: string;
  dial: CheckAnswer;
  mapping: MappingFacts;
}

/**
 * One check. A check too soon after the last (the edge's per-node interval) waits its turn
 * once, unless `waitTurn` is false (start-up does not wait: a quick restart is checked later).
 */
export async function checkReachability(api: TrackerApi, account: LocalAccount, chainId: number, mapping: MappingFacts, waitTurn = true): Promise<ReachabilityReport> {
  let dial: CheckAnswer;
  try {
    dial = await api.checkNode(account, chainId);
  } catch (e) {
    const wait = e instanceof ApiError && e.code === "check_too_soon" ? Number(/in ([0-9]+) s/.exec(e.message)?.[1] ?? 0) : 0;
    if (!waitTurn || !wait || wait > 60) throw e;
    await new Promise((r) => setTimeout(r, wait * 1000));
    dial = await api.checkNode(account, chainId);
  }
  return { ...classifyReachability(dial, mapping), checkedAt: new Date(dial.checkedAt).toISOString(), dial, mapping };
}

/** Mapping is on unless turned off, or the tracker is on this machine (the local network, tests: no router between). */
export function natEnabled(setting: boolean | undefined, tracker: string): boolean {
  if (setting !== undefined) return setting;
  const host = new URL(tracker).hostname.replace(/^\[|\]$/g, "");
  return !(host === "localhost" || host === "::1" || /^127\./.test(host));
}

/** The mapping in one phrase, as `node check` and `node status` print it. */
export function mappingText(m: MappingFacts): string {
  if (m.method === "nat-pmp" || m.method === "upnp") return `${m.method}: ${m.externalHost ?? "?"}:${m.externalPort} → port ${m.internalPort}`;
  return m.method === "off" ? "off" : `none${m.error ? ` (${m.error})` : ""}`;
}
