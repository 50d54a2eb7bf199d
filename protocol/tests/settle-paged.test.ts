import { describe, expect, it } from "vitest";
import { BYTES_PER_GB, ONE_TOKEN } from "../params.ts";
import type { EvaluatedChallenge } from "../epoch/evaluate.ts";
import { buildRewardTree } from "../merkle/reward-tree.ts";
import { hostingRewards } from "../economics/hosting-rewards.ts";
import { settleEpoch, type PreviousSettlement, type SettleInputs, type SettleTorrent } from "../economics/settle.ts";
import { addPageWeights, assembleSettlement, firstHostsOf, noWeights, pageWeights, settleContext, settleInPages, settlePage, settlePaged, settleTotals, tallyPages, type SettlePage } from "../economics/settle-paged.ts";
import { settlementJson } from "../economics/published.ts";
import { canonicalJson } from "../epoch/inputs.ts";
import type { ReceiptBytes, Transfer } from "../economics/upload-rewards.ts";
import { rng } from "./random.ts";

const GB = BYTES_PER_GB;
const node = (i: number) => `0x${(0x1000 + i).toString(16).padStart(40, "0")}`;
const member = (i: number) => `0x${(0x2000 + i).toString(16).padStart(40, "0")}`;
const hash = (i: number) => (0xa0 + i).toString(16).repeat(20);

/** A random small epoch with every feature settleEpoch reads: statuses, surges, bounties, receipts, charges, carried faults and ramps. */
function randomEpoch(seed: number, epoch: number, previous: PreviousSettlement = {}): SettleInputs {
  const r = rng(seed);
  const torrents: SettleTorrent[] = Array.from({ length: 2 + r.int(7) }, (_, i) => {
    const t: SettleTorrent = { infoHash: hash(i), length: r.next() < 0.05 ? 0 : 100_000_000 + r.int(4_000_000_000), rootStatus: r.pick(["published", "confirmed", "confirmed", "contested"] as const) };
    if (r.next() < 0.5) t.surgeBps = 10_000n + r.big(30_000n);
    if (r.next() < 0.4) t.bounty = r.big(1_000n * ONE_TOKEN);
    return t;
  });
  // An unknown torrent's challenges: proven bytes and replicas skip it, the tally counts it.
  const hashes = [...torrents.map((t) => t.infoHash), hash(15)];
  const nodes = 3 + r.int(30);
  const challenges: EvaluatedChallenge[] = [];
  for (let round = 0; round < 3; round++) {
    for (let n = 0; n < nodes; n++) {
      for (const h of hashes) {
        if ((n * 7 + h.charCodeAt(0)) % 3 === 0 || r.next() < 0.3) continue;
        // Mostly one address per node; sometimes a move, so a node's first host differs between pages.
        const host = r.next() < 0.15 ? `10.9.${r.int(4)}.${r.int(250)}` : `10.${n % 4}.${(n >> 2) % 3}.${1 + n}`;
        challenges.push({ node: r.next() < 0.1 ? node(n).toUpperCase().replace("0X", "0x") : node(n), infoHash: h, verdict: r.next() < 0.85 ? "pass" : r.pick(["timeout", "fail", "refused"]), host });
      }
    }
  }
  // Challenges in the order the edge stored them: rounds interleave torrents and nodes.
  for (let i = challenges.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [challenges[i], challenges[j]] = [challenges[j]!, challenges[i]!];
  }
  const transfers = new Map<string, Transfer>();
  const receipts: ReceiptBytes[] = [];
  for (let m = 0; m < r.int(25); m++) {
    for (const t of torrents) {
      if (r.next() < 0.5) continue;
      const who = r.next() < 0.2 ? node(r.int(nodes)) : member(m);
      const x: Transfer = { member: who, infoHash: t.infoHash, paidDownloaded: r.big(20n * GB), freeDownloaded: r.big(5n * GB), uploaded: r.big(30n * GB) };
      if (r.next() < 0.5) x.charged = r.big(50n * ONE_TOKEN);
      transfers.set(`${who}${t.infoHash}`, x);
      for (let k = 0; k < r.int(3); k++) receipts.push({ infoHash: t.infoHash, uploader: node(r.int(nodes)), downloader: who, bytes: r.big(15n * GB) });
    }
  }
  const extra: PreviousSettlement = {
    faults: Array.from({ length: r.int(nodes) }, (_, i) => ({ node: node(i), streak: r.int(4) })),
    replicaFaults: Array.from({ length: r.int(nodes) }, (_, i) => ({ node: node(i), infoHash: r.pick(hashes), streak: 1 + r.int(4) })),
    vetting: Array.from({ length: r.int(nodes) }, (_, i) => ({ node: node(i), audits: r.int(150) })),
  };
  const dedup = <T extends { node: string; infoHash?: string }>(xs: T[]) => [...new Map(xs.map((x) => [`${x.node}${x.infoHash ?? ""}`, x])).values()];
  return {
    epoch,
    route: r.next() < 0.5 ? "fixed-gate" : "dynamic-gate",
    challenges,
    torrents,
    transfers: [...transfers.values()],
    receipts,
    locations: Array.from({ length: nodes }, (_, n) => ({ node: node(n), lat: r.next() * 100 - 50, lon: r.next() * 300 - 150 })).filter(() => r.next() < 0.7),
    previous: {
      ...previous,
      faults: dedup([...(previous.faults ?? []), ...(extra.faults ?? [])]),
      replicaFaults: dedup([...(previous.replicaFaults ?? []), ...(extra.replicaFaults ?? [])]),
      vetting: previous.vetting ?? dedup(extra.vetting ?? []),
    },
  };
}

/** Splits an epoch into `n` pages of whole torrents, each keeping the epoch's order of its rows. */
function pagesOf(inputs: SettleInputs, n: number, seed: number): SettlePage[] {
  const r = rng(seed);
  const pageOf = new Map<string, number>();
  for (const t of inputs.torrents) pageOf.set(t.infoHash, r.int(n));
  const at = (infoHash: string) => pageOf.get(infoHash) ?? 0;
  return Array.from({ length: n }, (_, i) => ({
    torrents: inputs.torrents.filter((t) => at(t.infoHash) === i),
    challenges: inputs.challenges.filter((c) => at(c.infoHash) === i),
    transfers: (inputs.transfers ?? []).filter((t) => at(t.infoHash) === i),
    receipts: (inputs.receipts ?? []).filter((x) => at(x.infoHash) === i),
  }));
}

// As the close's rootOf: the zero root for no leaves.
const root = (epoch: number, leaves: Parameters<typeof buildRewardTree>[1]) => (leaves.length ? buildRewardTree(epoch, leaves).root : "0x0");

describe("settlePaged", () => {
  it("commits the same earned, spent and slashed leaves and roots as settleEpoch however the epoch is paged (attack: a paged close posting a root `vidya verify` does not recompute)", () => {
    let compared = 0;
    let suspended = 0;
    let slashed = 0;
    let uploadPaid = 0n;
    let bountyDrawn = 0n;
    for (let seed = 1; seed <= 40; seed++) {
      const first = randomEpoch(seed, 1);
      const one = settleEpoch(first);
      const second = randomEpoch(seed + 1000, 2, { earned: one.leaves, spent: one.spentLeaves, slashed: one.slashedLeaves, faults: one.faults, replicaFaults: one.replicaFaults, seniority: one.seniority, vetting: one.vetting });
      for (const inputs of [first, second]) {
        const whole = settleEpoch(inputs);
        suspended += whole.suspended.length;
        slashed += whole.slashed.size;
        uploadPaid += whole.pools.uploadPaid;
        bountyDrawn += whole.pools.bountyDrawn;
        const { challenges, epoch, route, locations, previous, emission } = inputs;
        const common = { epoch, route, locations, previous, emission };
        for (const n of [1, 2, 3, 7]) {
          const paged = settlePaged(common, pagesOf(inputs, n, seed * 31 + n), firstHostsOf(challenges));
          expect(paged.leaves).toEqual(whole.leaves);
          expect(paged.spentLeaves).toEqual(whole.spentLeaves);
          expect(paged.slashedLeaves).toEqual(whole.slashedLeaves);
          expect(root(inputs.epoch, paged.leaves)).toBe(root(inputs.epoch, whole.leaves));
          expect(root(inputs.epoch, paged.slashedLeaves)).toBe(root(inputs.epoch, whole.slashedLeaves));
          expect(paged.pools).toEqual(whole.pools);
          expect(paged.bountyDraws).toEqual(whole.bountyDraws);
          expect(paged.totals.penalties).toEqual(whole.penalties);
          expect(paged.totals.faults).toEqual(whole.faults);
          expect(paged.totals.replicaFaults).toEqual(whole.replicaFaults);
          expect(paged.totals.totalWeight).toBe(whole.hosting.totalWeight);
          const positive = (m: Map<string, bigint>) => new Map([...m].filter(([, v]) => v > 0n).sort(([a], [b]) => (a < b ? -1 : 1)));
          expect(positive(paged.earned)).toEqual(positive(whole.earned));
          compared++;
        }
      }
    }
    expect(compared).toBe(40 * 2 * 4);
    // The random epochs reach every path pages could change: suspensions, slashes, upload shares, bounties.
    expect(suspended).toBeGreaterThan(0);
    expect(slashed).toBeGreaterThan(0);
    expect(uploadPaid).toBeGreaterThan(0n);
    expect(bountyDrawn).toBeGreaterThan(0n);
  });

  it("publishes the same settlement breakdown and carried state as settleEpoch, pages in any order (attack: inputs whose bytes and hash differ from what `vidya verify` rebuilds)", () => {
    let compared = 0;
    for (let seed = 1; seed <= 25; seed++) {
      const one = settleEpoch(randomEpoch(seed, 1));
      const inputs = randomEpoch(seed + 2000, 2, { earned: one.leaves, spent: one.spentLeaves, slashed: one.slashedLeaves, faults: one.faults, replicaFaults: one.replicaFaults, seniority: one.seniority, vetting: one.vetting });
      const whole = settleEpoch(inputs);
      const { challenges, epoch, route, locations, previous, emission } = inputs;
      for (const n of [1, 4]) {
        const pages = pagesOf(inputs, n, seed).reverse();
        const ctx = settleContext({ epoch, route, locations, previous, emission }, tallyPages(pages, firstHostsOf(challenges)));
        const totals = settleTotals(ctx, pages.reduce((acc, p) => addPageWeights(acc, pageWeights(ctx, p)), noWeights()));
        const paged = assembleSettlement(ctx, totals, pages.map((p) => settlePage(ctx, totals, p)));
        expect(canonicalJson(settlementJson(paged))).toBe(canonicalJson(settlementJson(whole)));
        expect(paged.provenBytes).toEqual(whole.provenBytes);
        expect(paged.seniority).toEqual(whole.seniority);
        expect(paged.vetting).toEqual(whole.vetting);
        expect(paged.suspended).toEqual(whole.suspended);
        expect(paged.totalEarned).toBe(whole.totalEarned);
        compared++;
      }
      // The close's entry point: pages cut by pagesOf, two torrents each.
      expect(canonicalJson(settlementJson(settleInPages(inputs, 2)))).toBe(canonicalJson(settlementJson(whole)));
    }
    expect(compared).toBe(50);
  });

  it("refuses pages that cut a torrent's challenges in two (attack: a replica counted twice, or its misses split so it is never suspended)", () => {
    const inputs = randomEpoch(7, 1);
    const h = inputs.torrents[0]!.infoHash;
    const mine = inputs.challenges.filter((c) => c.infoHash === h);
    const first = mine[0]!.node.toLowerCase();
    const split = [
      { torrents: inputs.torrents, challenges: mine.filter((c) => c.node.toLowerCase() === first).slice(0, 1) },
      { torrents: [], challenges: mine.filter((c) => c.node.toLowerCase() === first).slice(1).concat([{ node: first, infoHash: h, verdict: "timeout" }]) },
    ];
    expect(() => tallyPages(split)).toThrow(/two pages/);
  });

  it("refuses an epoch weight below the page's own (attack: a wrong total paying one page more than the pool)", () => {
    const replicas = [{ node: node(1), infoHash: hash(0), since: 1 }];
    const torrents = [{ infoHash: hash(0), length: 1_000_000 }];
    const alone = hostingRewards(replicas, torrents, 1_000n);
    expect(alone.paid).toBe(1_000n);
    // Half the epoch's weight in this page: half the pool, whatever the page holds.
    expect(hostingRewards(replicas, torrents, 1_000n, alone.totalWeight * 2n).paid).toBe(500n);
    expect(() => hostingRewards(replicas, torrents, 1_000n, alone.totalWeight - 1n)).toThrow(/below this page/);
  });
});
