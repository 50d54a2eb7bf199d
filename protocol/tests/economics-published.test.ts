import { describe, expect, it } from "vitest";
import type { Address } from "viem";
import { BYTES_PER_GB, ONE_TOKEN } from "../params.ts";
import { canonicalJson } from "../epoch/inputs.ts";
import type { EvaluatedChallenge } from "../epoch/evaluate.ts";
import { settleEpoch, type SettleInputs, type SettleTorrent } from "../economics/settle.ts";
import { settleInputsOf, settlementJson, type PublishedSettleInputs } from "../economics/published.ts";
import { rng } from "./random.ts";

const node = (i: number) => `0x${(0x3000 + i).toString(16).padStart(40, "0")}`;
const member = (i: number) => `0x${(0x4000 + i).toString(16).padStart(40, "0")}`;
const torrents: SettleTorrent[] = [
  { infoHash: "e".repeat(40), length: 3_000_000_000, rootStatus: "confirmed", surgeBps: 31_250n },
  { infoHash: "f".repeat(40), length: 900_000_000, rootStatus: "published", surgeBps: 6_000n, bounty: 250n * ONE_TOKEN },
];

function randomEpoch(seed: number): SettleInputs {
  const r = rng(seed);
  const challenges: EvaluatedChallenge[] = [];
  for (let n = 0; n < 2 + r.int(12); n++) {
    const host = `10.${r.int(3)}.${r.int(3)}.${1 + r.int(250)}`;
    for (const t of torrents) if (r.next() < 0.7) challenges.push({ node: node(n), infoHash: t.infoHash, verdict: r.next() < 0.85 ? "pass" : "timeout", host });
  }
  const transfers = [];
  for (let m = 0; m < 1 + r.int(12); m++)
    for (const t of torrents) if (r.next() < 0.6) transfers.push({ member: member(m), infoHash: t.infoHash, paidDownloaded: r.big(9n * BYTES_PER_GB), freeDownloaded: r.big(BYTES_PER_GB), uploaded: r.big(12n * BYTES_PER_GB) });
  const locations = Array.from({ length: 14 }, (_, n) => ({ node: node(n), lat: r.next() * 120 - 60, lon: r.next() * 340 - 170 }));
  const previous = { earned: [{ account: node(0) as Address, cumulative: 7n * ONE_TOKEN }], spent: [{ account: member(0) as Address, cumulative: ONE_TOKEN }], faults: [{ node: node(1), streak: 1 }], seniority: [{ node: node(2), infoHash: torrents[0]!.infoHash, since: 1 }], replicaFaults: [{ node: node(1), infoHash: torrents[0]!.infoHash, streak: 1 + r.int(4) }, { node: node(3), infoHash: torrents[1]!.infoHash, streak: 3 }], vetting: Array.from({ length: 8 }, (_, n) => ({ node: node(n), audits: r.int(130) })) };
  return { epoch: 2, route: seed % 2 ? "fixed-gate" : "dynamic-gate", emission: 1_000n * ONE_TOKEN, challenges, torrents, transfers, locations, previous };
}

describe("published settlement inputs", () => {
  it("settle to the same leaves after a trip through canonical JSON, as `vidya verify` reads them (carried streaks, replica streaks and vetting included)", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const inputs = randomEpoch(seed);
      const direct = settleEpoch(inputs);
      // What worker/epoch/close.ts publishes: the inputs, the previous streaks and seniority, the breakdowns.
      const published = JSON.parse(
        canonicalJson({ ...inputs, previous: undefined, previousFaults: inputs.previous!.faults, previousSeniority: inputs.previous!.seniority, previousReplicaFaults: inputs.previous!.replicaFaults, previousVetting: inputs.previous!.vetting, settlement: settlementJson(direct) }),
      ) as PublishedSettleInputs;
      const again = settleEpoch(settleInputsOf(published, { earned: inputs.previous!.earned, spent: inputs.previous!.spent }));
      expect(again.leaves).toEqual(direct.leaves);
      expect(again.spentLeaves).toEqual(direct.spentLeaves);
      expect(again.slashedLeaves).toEqual(direct.slashedLeaves);
      expect(again.bountyDraws).toEqual(direct.bountyDraws);
      expect(again.seniority).toEqual(direct.seniority);
      // The carried state (replica streaks, passed audits) goes on to the next epoch unchanged.
      expect(again.replicaFaults).toEqual(direct.replicaFaults);
      expect(again.vetting).toEqual(direct.vetting);
      expect(again.suspended).toEqual(direct.suspended);
      expect(canonicalJson(settlementJson(again))).toBe(canonicalJson(settlementJson(direct)));
    }
  });
});
