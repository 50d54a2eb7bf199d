// Attack by attack: each attack of issue 11 played out through the real `settleEpoch` (and the
// allotment's deposit budget) on a small network, twice with one seed: once with the attacker,
// once with its honest twin in its place. Costs are physical only (disk, bandwidth, a machine,
// charges actually paid); addresses and memberships cost nothing here (a free /48 is possible),
// so no assumed price of an identity decides a verdict. Pass rates are what the adversarial tests
// measured (docs/challenges.md): relays by their source's round trip, partial storage keep^16.

import { BPS, BYTES_PER_GB, CHALLENGE_BLOCKS, BLOCK_SIZE, CHALLENGE_ROUNDS_PER_EPOCH, EMISSION_PER_EPOCH } from "../protocol/params.ts";
import { downloadCharge, pricePerGB, type AccessRoute } from "../protocol/economics/access.ts";
import { availableBalance, EMPTY_ALLOTMENT, splitDownload, type AllotmentState } from "../protocol/economics/allotment.ts";
import { settleEpoch, type PreviousSettlement } from "../protocol/economics/settle.ts";
import type { ReceiptBytes, Transfer } from "../protocol/economics/upload-rewards.ts";
import type { EvaluatedChallenge } from "../protocol/epoch/evaluate.ts";
import type { SimConfig } from "./config.ts";
import { Random } from "./random.ts";
import { measuredPartial, measuredRelay, partialPassRate } from "./measured.ts";

const GB = Number(BYTES_PER_GB);
const HOURS_PER_MONTH = 720;
const toTokens = (wei: bigint): number => Number(wei) / 1e18;
const acct = (prefix: number, i: number) => `0x${prefix.toString(16).padStart(4, "0")}${i.toString(16).padStart(36, "0")}`;
const hash = (c: string) => c.repeat(40);

/** Torrents: A is the one attacked, I an idle one, B and C keep the rest of the network busy. */
const A = { infoHash: hash("a"), length: 4 * GB };
const B = { infoHash: hash("b"), length: 7 * GB };
const C = { infoHash: hash("c"), length: 2 * GB };
const I = { infoHash: hash("d"), length: 1 * GB };
const TORRENTS = [A, B, C, I];
/** A is busy (2× surge), so the routes' prices differ: the fixed gate charges the surge, the dynamic one does not. */
const surgeOf = (infoHash: string) => (infoHash === A.infoHash ? 2n * BPS : BPS);

/** Honest hosts: two of A (below its target of three), three of B, three of C, one of I. */
const HONEST: { node: string; host: string; torrents: string[] }[] = [
  ...[A, A, B, B, B, C, C, C, I].map((t, i) => ({ node: acct(0x5000, i), host: `10.${i + 1}.0.1`, torrents: [t.infoHash] })),
];
/** Paying members and what they download each epoch (GB), receipted to the first honest host of the torrent. */
const BUYERS = [
  { member: acct(0x3000, 1), t: A, gb: 0.2 },
  { member: acct(0x3000, 2), t: B, gb: 0.3 },
  { member: acct(0x3000, 3), t: C, gb: 0.1 },
];

/** The part of a world that a scenario adds each epoch. */
interface Extra {
  challenges: EvaluatedChallenge[];
  transfers: Transfer[];
  receipts: ReceiptBytes[];
}
/** One side of a scenario: its accounts, its costs per epoch ($), what it adds to each epoch. */
interface Side {
  accounts: string[];
  costUsd: (epoch: number) => number;
  add: (epoch: number, rnd: Random) => Extra;
}

export interface AttackRow {
  attack: string;
  attacker: { revenueTokens: number; costUsd: number; profitPerCost: number };
  twin: { revenueTokens: number; costUsd: number; profitPerCost: number };
  /** How the honest hosts' income moved with the attacker in place of the twin. */
  honestChange: number;
  note: string;
}

const none = (): Extra => ({ challenges: [], transfers: [], receipts: [] });

export function runAttacks(config: Pick<SimConfig, "tokenPriceUsd" | "diskUsdPerGBMonth" | "bandwidthUsdPerGB" | "fixedUsdPerMonth" | "honestMissChance" | "seed">, route: AccessRoute, epochs = 240): AttackRow[] {
  const price = config.tokenPriceUsd;
  const gbPrice = pricePerGB(route, BPS);
  const priceOf = (infoHash: string) => pricePerGB(route, surgeOf(infoHash));
  // A 20,000-node network's emission per node, for this small one.
  const emission = (EMISSION_PER_EPOCH * BigInt(HONEST.length + 1)) / 20_000n;
  const machine = config.fixedUsdPerMonth / HOURS_PER_MONTH;
  const disk = (bytes: number) => ((bytes / GB) * config.diskUsdPerGBMonth) / HOURS_PER_MONTH;
  const bandwidth = (bytes: number) => (bytes / GB) * config.bandwidthUsdPerGB;
  const pass = (node: string, host: string, infoHash: string, ok: boolean): EvaluatedChallenge => ({ node, infoHash, host, verdict: ok ? "pass" : "timeout" });

  /** Runs a world: the honest network plus one side; returns earned − slashed per account. */
  const world = (side: Side): { revenue: Map<string, number>; cost: number } => {
    const rnd = new Random(config.seed);
    let previous: PreviousSettlement = {};
    const revenue = new Map<string, number>();
    let cost = 0;
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const extra = side.add(epoch, rnd);
      const challenges = [...HONEST.flatMap((h) => h.torrents.map((t) => pass(h.node, h.host, t, !rnd.chance(config.honestMissChance)))), ...extra.challenges];
      const transfers: Transfer[] = BUYERS.map((b) => {
        const bytes = BigInt(Math.round(b.gb * GB));
        return { member: b.member, infoHash: b.t.infoHash, paidDownloaded: bytes, uploaded: 0n, charged: downloadCharge(bytes, priceOf(b.t.infoHash)) };
      });
      const receipts: ReceiptBytes[] = BUYERS.map((b) => ({ infoHash: b.t.infoHash, downloader: b.member, uploader: HONEST.find((h) => h.torrents.includes(b.t.infoHash))!.node, bytes: BigInt(Math.round(b.gb * GB)) }));
      const s = settleEpoch({
        epoch,
        route,
        challenges,
        torrents: TORRENTS.map((t) => ({ ...t, rootStatus: "confirmed" as const, surgeBps: surgeOf(t.infoHash) })),
        transfers: [...transfers, ...extra.transfers],
        receipts: [...receipts, ...extra.receipts],
        previous,
        emission,
      });
      previous = { earned: s.leaves, slashed: s.slashedLeaves, spent: s.spentLeaves, faults: s.faults, seniority: s.seniority, replicaFaults: s.replicaFaults, vetting: s.vetting };
      for (const [a, v] of s.earned) revenue.set(a, (revenue.get(a) ?? 0) + toTokens(v));
      for (const [a, v] of s.slashed) revenue.set(a, (revenue.get(a) ?? 0) - toTokens(v));
      cost += side.costUsd(epoch);
    }
    return { revenue, cost };
  };

  const rows: AttackRow[] = [];
  const twinNode = acct(0x7000, 0);
  /** The honest twin: one more honest host of A on its own /24, storing it all. */
  const twin: Side = {
    accounts: [twinNode],
    costUsd: () => machine + disk(A.length),
    add: (_e, rnd) => ({ ...none(), challenges: [pass(twinNode, "10.200.0.1", A.infoHash, !rnd.chance(config.honestMissChance))] }),
  };
  const twinWorld = world(twin);
  const honestIncome = (w: { revenue: Map<string, number> }) => HONEST.reduce((s, h) => s + (w.revenue.get(h.node) ?? 0), 0);
  const ppc = (revenueTokens: number, costUsd: number) => (costUsd > 0 ? (revenueTokens * price - costUsd) / costUsd : NaN);
  const sum = (w: { revenue: Map<string, number> }, accounts: string[]) => accounts.reduce((s, a) => s + (w.revenue.get(a) ?? 0), 0);
  const row = (attack: string, side: Side, note: string, twinSide: Side = twin, twinW = twinWorld) => {
    const w = world(side);
    const ar = sum(w, side.accounts);
    const tr = sum(twinW, twinSide.accounts);
    rows.push({
      attack,
      attacker: { revenueTokens: ar, costUsd: w.cost, profitPerCost: ppc(ar, w.cost) },
      twin: { revenueTokens: tr, costUsd: twinW.cost, profitPerCost: ppc(tr, twinW.cost) },
      honestChange: honestIncome(w) / honestIncome(twinW) - 1,
      note,
    });
  };

  // Dust deposit: a 1-wei deposit claims 100,000 GB downloaded on the idle torrent I, its
  // accomplice node (a host of I) reports them uploaded and holds receipts for all of them.
  {
    const dust = acct(0x6100, 1);
    const accomplice = acct(0x6100, 2);
    const twinI = acct(0x7100, 0);
    let allot: AllotmentState = EMPTY_ALLOTMENT;
    let spent = 0n;
    const claimed = 100_000n * BYTES_PER_GB;
    const hostI = (node: string): Side => ({
      accounts: [node],
      costUsd: () => machine + disk(I.length),
      add: (_e, rnd) => ({ ...none(), challenges: [pass(node, "10.201.0.1", I.infoHash, !rnd.chance(config.honestMissChance))] }),
    });
    const twinSide = hostI(twinI);
    const attacker: Side = {
      accounts: [dust, accomplice],
      costUsd: (epoch) => machine + disk(I.length) + (epoch === 1 ? toTokens(1n) * price : 0),
      add: (epoch, rnd) => {
        const split = splitDownload(allot, Math.floor(epoch / 24), claimed, { available: availableBalance(1n, 0n, spent), pricePerGB: gbPrice });
        allot = split.state;
        spent += split.charged;
        return {
          challenges: [pass(accomplice, "10.201.0.1", I.infoHash, !rnd.chance(config.honestMissChance))],
          transfers: [
            { member: dust, infoHash: I.infoHash, paidDownloaded: split.paid, freeDownloaded: split.free + split.slowed, uploaded: 0n, charged: split.charged },
            { member: accomplice, infoHash: I.infoHash, paidDownloaded: 0n, uploaded: claimed },
          ],
          receipts: [{ infoHash: I.infoHash, downloader: dust, uploader: accomplice, bytes: claimed }],
        };
      },
    };
    row("dust deposit: 1 wei, 100,000 GB claimed downloaded on an idle torrent, accomplice host claims them uploaded (with receipts)", attacker, "the deposit covers no byte: nothing paid, nothing to credit", twinSide, world(twinSide));
  }

  // Lying uploader, without receipts: a client reports 5 MB/s uploaded in A and B, sends nothing.
  // Its twin seeds them for real. A client's `uploaded` earns ratio only: both earn no token.
  {
    const liar = acct(0x6200, 1);
    const seeder = acct(0x7200, 1);
    const perEpoch = BigInt(5_000_000 * 3_600);
    // Its cost is a machine running a client (the twin's also the bandwidth it sends).
    const liarSide: Side = { accounts: [liar], costUsd: () => machine, add: () => ({ ...none(), transfers: [A, B].map((t) => ({ member: liar, infoHash: t.infoHash, paidDownloaded: 0n, uploaded: perEpoch })) }) };
    const seederSide: Side = { accounts: [seeder], costUsd: () => machine + bandwidth(2 * Number(perEpoch)), add: () => ({ ...none(), transfers: [A, B].map((t) => ({ member: seeder, infoHash: t.infoHash, paidDownloaded: 0n, uploaded: perEpoch })) }) };
    row("lying uploader, no receipts: reports 5 MB/s uploaded in two paid swarms, sends nothing", liarSide, "uploaded earns ratio only; twin: a client seeding them for real (earns ratio only too)", seederSide, world(seederSide));
  }

  // Lying uploader with receipts: a host of A whose own member account signs receipts naming it
  // for 18 GB an epoch. Unpaid: they credit nothing. Paying 0.1 GB to sign them: capped at what it paid.
  for (const paidGB of [0, 0.1]) {
    const node = acct(0x6300, paidGB === 0 ? 1 : 2);
    const own = acct(0x6300, paidGB === 0 ? 11 : 12);
    const bytes = BigInt(Math.round(paidGB * GB));
    const charged = downloadCharge(bytes, priceOf(A.infoHash));
    const side: Side = {
      accounts: [node, own],
      costUsd: () => machine + disk(A.length) + toTokens(charged) * price,
      add: (_e, rnd) => ({
        challenges: [pass(node, "10.202.0.1", A.infoHash, !rnd.chance(config.honestMissChance))],
        transfers: [
          { member: own, infoHash: A.infoHash, paidDownloaded: bytes, uploaded: 0n, charged },
          { member: node, infoHash: A.infoHash, paidDownloaded: 0n, uploaded: 18n * BYTES_PER_GB },
        ],
        receipts: [{ infoHash: A.infoHash, downloader: own, uploader: node, bytes: 18n * BYTES_PER_GB }],
      }),
    };
    row(paidGB === 0 ? "lying uploader with receipts: a host of A signs itself receipts for 18 GB an epoch from an account that paid nothing" : "lying uploader with receipts: the same, its account paying for 0.1 GB an epoch", side, paidGB === 0 ? "receipts credit at most what their downloader paid: nothing" : "credited at most the 0.1 GB paid, rewarded at most 80% of its charge");
  }

  // Sybil replicas with free addresses: k identities on one disk, all passing (each key signs its
  // own answers from the one copy), on k distinct IPv6 /48s, or on k /64s of one /48.
  for (const [k, spread] of [
    [3, "/64"],
    [3, "/48"],
    [10, "/48"],
  ] as const) {
    const ids = Array.from({ length: k }, (_, i) => acct(0x6400 + k, i));
    const host = (i: number) => (spread === "/48" ? `2001:db8:${(i + 1).toString(16)}::1` : `2001:db8:77:${(i + 1).toString(16)}::1`);
    const side: Side = {
      accounts: ids,
      costUsd: () => machine + disk(A.length),
      add: (_e, rnd) => {
        const up = !rnd.chance(config.honestMissChance);
        return { ...none(), challenges: ids.map((id, i) => pass(id, host(i), A.infoHash, up)) };
      },
    };
    row(`Sybil: ${k} identities on one disk, ${k} ${spread === "/48" ? "distinct IPv6 /48s" : "/64s of one IPv6 /48"}, addresses free`, side, spread === "/48" ? "each /48 counts as a replica: the torrent's total is fixed beyond 3, but k identities take k shares of it" : "counted once per /48: together they earn one replica");
  }

  // Relay (stores nothing): it passes as often as the measured relay passed against its source's
  // round trip (sim/measured/proofs.json, from test/adversarial/relay-latency.test.ts).
  const fetched = CHALLENGE_ROUNDS_PER_EPOCH * CHALLENGE_BLOCKS * BLOCK_SIZE;
  const relays = [...measuredRelay.filter((m) => m.sourceRttMs > 0).reverse().map((m) => [m.sourceRttMs, m, false] as const), [0, measuredRelay[0]!, true] as const];
  for (const [rtt, m, sameSubnet] of relays) {
    const rate = m.passRate;
    const relay = acct(0x6500, rtt + (sameSubnet ? 1 : 0));
    // Its source is an honest host of A; next door on the source's /24 it is counted with it.
    const host = sameSubnet ? "10.1.0.77" : "10.203.0.1";
    const side: Side = { accounts: [relay], costUsd: () => machine + bandwidth(fetched), add: (_e, rnd) => ({ ...none(), challenges: [pass(relay, host, A.infoHash, rnd.chance(rate))] }) };
    row(`relay storing nothing, its source ${rtt} ms away${sameSubnet ? " on the same /24" : ", another subnet"}`, side, `measured pass rate ${(rate * 100).toFixed(0)}% (${m.passed}/${m.tries})${sameSubnet ? "; counted once with its source" : ""}`);
  }

  // Partial storage: keeps a share of A's blocks; passes as often as the measured partial node did
  // (test/adversarial/partial-storage.test.ts; the table's keep^16), one challenge an epoch: the
  // attacker's best case (many torrents hosted).
  for (const m of measuredPartial) {
    const keep = m.keep;
    const rate = partialPassRate(keep);
    const node = acct(0x6600, Math.round(keep * 100));
    const side: Side = { accounts: [node], costUsd: () => machine + disk(A.length * keep), add: (_e, rnd) => ({ ...none(), challenges: [pass(node, "10.204.0.1", A.infoHash, rnd.chance(rate))] }) };
    row(`partial storage: keeps ${keep * 100}% of the torrent`, side, `passed ${m.challenges - m.caught}/${m.challenges} measured challenges (${(rate * 100).toFixed(1)}%; keep^16 = ${((1 - m.expectedCatchRate) * 100).toFixed(1)}%)`);
  }
  return rows;
}
