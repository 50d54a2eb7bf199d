// The pass rates the adversarial suite measured on the real stack (DESIGN.md "Trust model": the
// simulation uses measured rates, never assumed ones): sim/measured/proofs.json, written by
// test/adversarial/relay-latency.test.ts and partial-storage.test.ts with VIDYA_WRITE_MEASURED=1.

import measured from "./measured/proofs.json" with { type: "json" };

export interface RelayRow {
  sourceRttMs: number;
  passed: number;
  tries: number;
  passRate: number;
}
export interface PartialRow {
  keep: number;
  challenges: number;
  caught: number;
  catchRate: number;
  expectedCatchRate: number;
}

export const measuredRelay: readonly RelayRow[] = [...measured.relay.rows].sort((a, b) => a.sourceRttMs - b.sourceRttMs);
export const measuredPartial: readonly PartialRow[] = measured.partialStorage.rows.filter((r) => r.keep < 1);

/** A relay's pass rate for a source `rttMs` away: linear between the measured round trips, the last one's beyond. */
export function relayPassRate(rttMs: number): number {
  const rows = measuredRelay;
  if (rttMs <= rows[0]!.sourceRttMs) return rows[0]!.passRate;
  for (let i = 1; i < rows.length; i++) {
    const [a, b] = [rows[i - 1]!, rows[i]!];
    if (rttMs <= b.sourceRttMs) return a.passRate + ((b.passRate - a.passRate) * (rttMs - a.sourceRttMs)) / (b.sourceRttMs - a.sourceRttMs);
  }
  return rows.at(-1)!.passRate;
}

/** The share of challenges a node keeping `keep` of a torrent passed (measured at 50%, 90%, 99%). */
export function partialPassRate(keep: number): number {
  const row = measuredPartial.find((r) => r.keep === keep);
  if (!row) throw new RangeError(`no measurement for keeping ${keep} of a torrent (measured: ${measuredPartial.map((r) => r.keep).join(", ")})`);
  return 1 - row.catchRate;
}
