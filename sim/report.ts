// Writes docs/economics/report.md and its SVG plots from the two routes' results.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as P from "../protocol/params.ts";
import type { AttackRow } from "./attacks.ts";
import type { ActorResult, SimResult } from "./model.ts";
import { barChart, lineChart, PALETTE, type Series } from "./svg.ts";

const A_COLOR = PALETTE[0]!;
const B_COLOR = PALETTE[1]!;
const tokens = (wei: bigint) => Number(wei) / 1e18;
const f = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : "–");
const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(0)}%` : "–");
const mean = (xs: number[]) => {
  const ys = xs.filter(Number.isFinite);
  return ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : NaN;
};

/** Averages of a day metric over the last `n` days. */
const tail = (r: SimResult, key: keyof SimResult["days"][number], n = 30) => mean(r.days.slice(-n).map((d) => d[key] as number));

/** The attackers' verdicts, computed from both runs (so the text follows the numbers). */
function findings(a: SimResult, b: SimResult): string {
  const pairOf = (r: SimResult, group: string) => {
    const attacker = r.actors.find((x) => x.group === group && x.kind !== "twin" && x.kind !== "member")!;
    const twin = r.actors.find((x) => x.group === group && (x.kind === "twin" || x.kind === "member"))!;
    return { attacker, twin };
  };
  const lines: string[] = ["### What each attacker earns", ""];
  const verdict = (group: string, what: string) => {
    const pa = pairOf(a, group);
    const pb = pairOf(b, group);
    // Twins differ by chance too (what they happen to hold, when they go offline): within 0.15 is noise.
    const gap = Math.max(pa.attacker.profitPerCost - pa.twin.profitPerCost, pb.attacker.profitPerCost - pb.twin.profitPerCost);
    const word = gap > 0.15 ? "**it gains** over honest behaviour" : gap > -0.15 ? "no better than honest behaviour (within the runs' noise)" : "it does worse than honest behaviour";
    const note = pa.attacker.note.charAt(0).toUpperCase() + pa.attacker.note.slice(1);
    lines.push(
      `- **${what}**: profit per unit of cost ${f(pa.attacker.profitPerCost)} (fixed-gate) and ${f(pb.attacker.profitPerCost)} (dynamic-gate), against ${f(pa.twin.profitPerCost)} and ${f(pb.twin.profitPerCost)} for its honest twin: ${word}. ${note}.`,
    );
  };
  verdict("liar", "A client lying about uploads");
  verdict("self-trader", "A node trading with itself on a hot torrent");
  verdict("sybil-subnet", "Three identities on one disk, one /24");
  verdict("sybil-vpn", "Three identities on one disk, three /24s");
  verdict("sybil-free", "Three identities on one disk, three subnets, addresses free");
  verdict("relay", "A relaying node");
  verdict("geo-claim", "A node claiming a far location");
  verdict("geo-vpn", "A node faking its location through a VPN");
  const sy = pairOf(a, "sybil-vpn");
  const months = a.config.days / 30;
  const extra = (sy.attacker.revenueUsd - sy.twin.revenueUsd) / (2 * months);
  lines.push(
    "",
    `Break-even for the three-identity attack: the two extra identities brought $${f(extra)} a month each over an honest node; an address in another /24 (or IPv6 /48) that costs less than that makes the attack pay (the run assumes $${a.config.vpnUsdPerMonth}).`,
  );
  return lines.join("\n");
}

/** The price path at every tenth day (and the last), both routes: ETH per VIDYA ×10⁻⁶ and dollars. */
export function priceLines(a: SimResult, b: SimResult): string[] {
  const picks = a.days.filter((d, i) => i === 0 || d.day % 10 === 0 || i === a.days.length - 1);
  return picks.map((d) => {
    const e = b.days.find((x) => x.day === d.day)!;
    return `  day ${String(d.day).padStart(3)}: fixed-gate ${f(d.priceEth * 1e6, 2).padStart(7)} ($${f(d.priceUsd, 4)})   dynamic-gate ${f(e.priceEth * 1e6, 2).padStart(7)} ($${f(e.priceUsd, 4)})`;
  });
}

/** The market's paragraph: the price path and what a node earns in ETH, both routes. */
function marketText(a: SimResult, b: SimResult): string {
  const m = (r: SimResult) =>
    `${r.config.route}: ${f(r.market.startPriceEth * 1e6, 2)} → ${f(r.market.endPriceEth * 1e6, 2)} ×10⁻⁶ ETH per VIDYA (${f(r.market.endPriceEth / r.market.startPriceEth, 2)}×); members bought ${f(r.market.vidyaBought, 0)} VIDYA for ${f(r.market.ethIn, 2)} ETH, nodes sold ${f(r.market.vidyaSold, 0)} for ${f(r.market.ethOut, 2)} ETH; the pool ends with ${f(r.market.poolVidya, 0)} VIDYA and ${f(r.market.poolEth, 2)} ETH`;
  return [
    "The market (the pool's price path is in the table below and in price.svg):",
    "",
    `- ${m(a)}.`,
    `- ${m(b)}.`,
    "",
    "| day | fixed-gate: ETH per VIDYA ×10⁻⁶ ($) | dynamic-gate |",
    "| --- | --- | --- |",
    ...a.days
      .filter((d, i) => i === 0 || d.day % 10 === 0 || i === a.days.length - 1)
      .map((d) => {
        const e = b.days.find((x) => x.day === d.day)!;
        return `| ${d.day} | ${f(d.priceEth * 1e6, 2)} ($${f(d.priceUsd, 4)}) | ${f(e.priceEth * 1e6, 2)} ($${f(e.priceUsd, 4)}) |`;
      }),
  ].join("\n");
}

/** Whether an attack's profit per unit of cost is at or below its twin's (to rounding). */
export const atOrBelow = (r: AttackRow): boolean => !(r.attacker.profitPerCost > r.twin.profitPerCost + 0.005);

/** The attacker table: every attack beside its honest twin, both routes (sim/attacks.ts). */
export function attackTable(fixed: AttackRow[], dynamic: AttackRow[]): string {
  const lines = ["| attack | profit ÷ cost (fixed / dynamic) | its honest twin (fixed / dynamic) | at or below its twin | honest hosts' income | note |", "| --- | --- | --- | --- | --- | --- |"];
  fixed.forEach((x, i) => {
    const y = dynamic[i]!;
    const ok = atOrBelow(x) && atOrBelow(y);
    lines.push(`| ${x.attack} | ${f(x.attacker.profitPerCost)} / ${f(y.attacker.profitPerCost)} | ${f(x.twin.profitPerCost)} / ${f(y.twin.profitPerCost)} | ${ok ? "yes" : "**no**"} | ${x.honestChange >= 0 ? "+" : ""}${(x.honestChange * 100).toFixed(1)}% | ${x.note} |`);
  });
  return lines.join("\n");
}

export function writeReport(a: SimResult, b: SimResult, dir: string, seconds: number, attacks: { fixed: AttackRow[]; dynamic: AttackRow[]; epochs: number }): { markdown: string; summary: string } {
  mkdirSync(dir, { recursive: true });
  const days = a.days.map((d) => d.day);
  const both = (key: keyof SimResult["days"][number], label: string, band?: [keyof SimResult["days"][number], keyof SimResult["days"][number]]): Series[] =>
    [a, b].map((r, i) => ({
      name: `${label}, ${r.config.route}`,
      y: r.days.map((d) => d[key] as number),
      color: i === 0 ? A_COLOR : B_COLOR,
      dashed: i === 1,
      band: band ? { lo: r.days.map((d) => d[band[0]] as number), hi: r.days.map((d) => d[band[1]] as number) } : undefined,
    }));
  const shockMarkers = a.config.shocks.map((s, i) => ({ x: s.day + 1, label: `shock ${i + 1}` }));
  const bountyMarkers = a.config.bounties.map((s) => ({ x: s.day + 1, label: "bounty" }));
  const plots: Record<string, string> = {};

  plots["replication.svg"] = lineChart({
    title: "Counted replicas per torrent (median, p10–p90 band)",
    x: days,
    xLabel: "day",
    yLabel: "replicas (one per /24 or /48)",
    series: both("replicasMedian", "median", ["replicasP10", "replicasP90"]),
    markers: shockMarkers,
  });
  plots["replication-by-rank.svg"] = lineChart({
    title: "Replicas per torrent at the end, by popularity rank",
    x: a.finalReplicasByRank.map((t) => t.rank + 1),
    xLabel: "popularity rank (1 = most wanted)",
    yLabel: "counted replicas",
    series: [a, b].map((r, i) => ({ name: r.config.route, y: r.finalReplicasByRank.map((t) => t.replicas), color: i ? B_COLOR : A_COLOR, dashed: i === 1 })),
  });
  plots["availability.svg"] = lineChart({
    title: "Availability",
    x: days,
    xLabel: "day",
    yLabel: "share",
    yMin: 0,
    yMax: 1.05,
    series: [
      ...both("withReplica", "torrents with a proven replica"),
      ...both("withThree", "with ≥ 3").map((s) => ({ ...s, color: s.dashed ? PALETTE[3] : PALETTE[2] })),
      ...both("serviceRatio", "leechers' wanted rate served").map((s) => ({ ...s, color: s.dashed ? PALETTE[5] : PALETTE[4] })),
    ],
    markers: shockMarkers,
  });
  plots["node-earnings.svg"] = lineChart({
    title: "Node earnings per GB hosted per day (honest nodes: median, p10–p90)",
    x: days,
    xLabel: "day",
    yLabel: "VIDYA per GB-day",
    series: both("earnPerGBMedian", "median", ["earnPerGBP10", "earnPerGBP90"]),
    markers: [...shockMarkers, ...bountyMarkers],
  });
  plots["member-cost.svg"] = lineChart({
    title: "Member cost per GB",
    x: days,
    xLabel: "day",
    yLabel: "VIDYA per GB",
    series: [...both("pricePerPaidGB", "price per paid GB"), ...both("memberCostPerGB", "net cost per GB downloaded (fees back)").map((s) => ({ ...s, color: s.dashed ? PALETTE[3] : PALETTE[2] }))],
    markers: shockMarkers,
  });
  plots["supply.svg"] = lineChart({
    title: "Token supply of the sample: emission minted against the schedule, slashes burned",
    x: days,
    xLabel: "day",
    yLabel: "VIDYA (cumulative)",
    series: [
      { name: "schedule (emission × epochs)", y: a.days.map((d) => d.schedule), color: "#555", dashed: true },
      ...both("minted", "minted"),
      ...both("burned", "burned").map((s) => ({ ...s, color: s.dashed ? PALETTE[3] : PALETTE[2] })),
    ],
  });
  plots["fee-flows.svg"] = lineChart({
    title: "Daily flows (fixed-gate solid, dynamic-gate dashed)",
    x: days,
    xLabel: "day",
    yLabel: "VIDYA per day",
    logY: true,
    yMin: 0.1,
    series: [
      ...both("hostingPaid", "hosting pool paid"),
      ...both("uploadPaid", "upload pool paid").map((s) => ({ ...s, color: PALETTE[2] })),
      ...both("feesIn", "download fees in").map((s) => ({ ...s, color: PALETTE[3] })),
      ...both("feesOut", "fees streamed to stakers").map((s) => ({ ...s, color: PALETTE[4] })),
      ...both("joinFees", "join fees in").map((s) => ({ ...s, color: PALETTE[6] })),
      ...both("bountyDrawn", "bounty draws").map((s) => ({ ...s, color: PALETTE[5] })),
    ].map((s) => ({ ...s, name: s.name.replace(/, .*gate$/, s.dashed ? " (B)" : " (A)") })),
    markers: bountyMarkers,
  });
  const e0 = a.config.shocks[0]!.day * 24 - 24;
  const e1 = e0 + 24 * 5;
  const window = <T>(xs: T[]) => xs.slice(e0, e1);
  plots["shock.svg"] = lineChart({
    title: `Shock 1: a torrent of popularity rank ${a.shockRanks[0]! + 1} becomes ${a.config.shocks[0]!.boost}× as wanted`,
    x: window(a.epochs).map((e) => (e.epoch - 1) / 24),
    xLabel: "day",
    yLabel: "multiplier / replicas",
    series: [a, b].flatMap((r, i) => [
      { name: `surge (${r.config.route})`, y: window(r.epochs).map((e) => e.shockSurge[0]!), color: i ? B_COLOR : A_COLOR, dashed: i === 1 },
      { name: `replicas (${r.config.route})`, y: window(r.epochs).map((e) => e.shockReplicas[0]!), color: i ? PALETTE[3] : PALETTE[2], dashed: i === 1 },
    ]),
  });
  plots["members-and-gate.svg"] = lineChart({
    title: "Members, and the stake to join (dynamic gate)",
    x: days,
    xLabel: "day",
    yLabel: "members / VIDYA",
    series: [...both("members", "members"), ...both("gate", "stake to join").map((s) => ({ ...s, color: s.dashed ? PALETTE[3] : PALETTE[2] })), ...both("nodes", "active nodes").map((s) => ({ ...s, color: s.dashed ? PALETTE[5] : PALETTE[4] }))],
  });
  plots["price.svg"] = lineChart({
    title: "The token's price in the VIDYA/ETH pool (x·y = k, 0.3% fee)",
    x: days,
    xLabel: "day",
    yLabel: "ETH per VIDYA (×10⁻⁶)",
    series: both("priceEth", "price").map((s) => ({ ...s, y: s.y.map((v) => v * 1e6) })),
    markers: [...shockMarkers, ...bountyMarkers],
  });
  plots["node-earnings-eth.svg"] = lineChart({
    title: "What a node earns in ETH per GB-month (honest nodes' median, at the day's pool price)",
    x: days,
    xLabel: "day",
    yLabel: "ETH per GB-month (×10⁻⁶)",
    series: both("ethPerGBMonthMedian", "median").map((s) => ({ ...s, y: s.y.map((v) => v * 1e6) })),
    markers: shockMarkers,
  });
  plots["attackers.svg"] = barChart({
    title: "Profit per unit of cost over the run (fixed-gate route)",
    xLabel: "(revenue − cost) ÷ cost, dollars at the assumed token price",
    rows: a.actors.map((x) => ({ label: x.name.startsWith("  ") ? `↳ ${x.name.trim().replace(/^its /, "")}` : x.name, value: Number.isFinite(x.profitPerCost) ? x.profitPerCost : 0, color: x.kind === "twin" || x.kind === "honest" || x.kind === "member" ? PALETTE[0] : undefined, note: `${f(x.profitPerCost)}  ($${f(x.profitUsd)})` })),
  });
  plots["attacks.svg"] = barChart({
    title: "Attack by attack, beside its honest twin (fixed-gate route)",
    xLabel: "(revenue − cost) ÷ cost, dollars at the assumed token price",
    rows: attacks.fixed.flatMap((x) => [
      { label: x.attack.length > 60 ? `${x.attack.slice(0, 57)}…` : x.attack, value: Number.isFinite(x.attacker.profitPerCost) ? x.attacker.profitPerCost : 0, note: f(x.attacker.profitPerCost) },
      { label: "↳ honest twin", value: Number.isFinite(x.twin.profitPerCost) ? x.twin.profitPerCost : 0, color: PALETTE[0], note: f(x.twin.profitPerCost) },
    ]),
  });
  for (const [name, svg] of Object.entries(plots)) writeFileSync(join(dir, name), svg);

  const c = a.config;
  const actorRows = (r: SimResult) =>
    r.actors.map((x: ActorResult) => `| ${x.name.trim().startsWith("its") || x.name.startsWith("  ") ? `↳ ${x.name.trim()}` : x.name} | ${f(x.revenueTokens, 1)} | ${f(x.revenueUsd)} | ${f(x.costUsd)} | ${f(x.profitUsd)} | **${f(x.profitPerCost)}** | ${x.note} |`).join("\n");
  const row = (label: string, key: keyof SimResult["days"][number], fmt: (v: number) => string = (v) => f(v, 3)) => `| ${label} | ${fmt(tail(a, key))} | ${fmt(tail(b, key))} |`;
  const md = `# Token economics: simulation report

Generated by \`npm run simulate\` (sim/, seed ${c.seed}, ${c.days} days of hourly epochs per route, ${f(seconds, 0)} s). Every
amount the protocol decides comes from the same functions the edge runs (protocol/economics/:
saturation and surge every 5-minute window, the access route's prices and gate, the freemium
allotment, one \`settleEpoch\` per epoch, held-back earnings at every claim); what the protocol
cannot decide (members' wants, swarms moving bytes, nodes choosing and leaving, attackers) is
modelled in sim/model.ts. Both access routes run from the same seed, side by side: **fixed-gate**
(stake ${tokens(P.ACCESS_STAKE)} VIDYA to join, ${tokens(P.DOWNLOAD_PRICE_PER_GB)} VIDYA per paid GB × surge) and **dynamic-gate**
(a stake to join that follows the network's saturation, a flat ${tokens(P.DOWNLOAD_PRICE_PER_GB)} VIDYA per paid GB).

## The model

| | |
| --- | --- |
| network | a ${c.emissionScale * 100}% sample of a larger network: it is paid ${c.emissionScale * 100}% of the emission (${f(tokens(P.EMISSION_PER_EPOCH) * c.emissionScale, 2)} VIDYA an epoch), so a node earns what it would in the whole network |
| torrents | ${c.torrents}, log-normal sizes (median ${c.torrentMedianGB} GB, ${c.torrentMinGB}–${c.torrentMaxGB} GB), Zipf popularity (exponent ${c.zipf}) |
| shocks | ${c.shocks.map((s) => `day ${s.day}: rank ${s.rank + 1} becomes ${s.boost}× as wanted (half-life ${s.halfLifeHours} h) and ${s.burst * 100}% of the members start it within ${s.burstHours} h (${s.sizeGB} GB)`).join("; ")} |
| bounties | ${c.bounties.map((s) => `day ${s.day}: ${s.amount} VIDYA on rank ${s.rank + 1}`).join("; ")} |
| nodes | ${c.initialNodes} at start; ${c.candidatesPerDay} candidates a day join when the published offers beat their costs by ${c.entryMargin}×; a node leaves when three days earn less than ${c.exitMargin}× its costs; disk log-normal around ${c.diskMedianGB} GB (≥ 5 GB); uplink ${c.uplinkMin / 1e6}–${c.uplinkMax / 1e6} MB/s; ten regions; each plans what to host every ${c.replanHours} h (staggered) from \`hostingOffers\`, keeping what it holds at a ${c.keepBias}× bias, plus a couple of torrents it wants anyway |
| costs | disk $${c.diskUsdPerGBMonth}/GB-month, bandwidth $${c.bandwidthUsdPerGB}/GB, $${c.fixedUsdPerMonth}/node-month, VPN address $${c.vpnUsdPerMonth}/month; the token at $${c.tokenPriceUsd} at the start, then at the pool's price |
| market | a VIDYA/ETH constant-product pool (sim/pool.ts: x·y = k, 0.3% fee) holding ${c.poolVidya.toLocaleString("en")} VIDYA and ${f((c.poolVidya * c.tokenPriceUsd) / c.ethUsd, 2)} ETH at the start (ETH at $${c.ethUsd.toLocaleString("en")}); each epoch members buy what they need (new members the gate stake and the join fee, members with a deposit what their downloads were charged, funders their bounties), then nodes sell ${c.nodeSellShare * 100}% of what each claim paid; stakers hold their stake and the fees streamed to them |
| reliability | honest nodes go offline ${c.offlineChance * 100}% of epochs for up to ${c.offlineMaxEpochs} h, and miss ${c.honestMissChance * 100}% of challenges anyway; each held torrent is challenged once an epoch |
| members | ${c.initialMembers} prospective at start, ${c.membersPerDay}/day more; join when willing to put in the gate stake and the join fee (log-normal, median ${c.willingnessMedian} VIDYA); want log-normal ${c.demandMedianGBPerDay} GB/day; ${c.depositShare * 100}% have a deposit (the rest are slowed past the ${tokens(P.FREE_ALLOTMENT_BYTES * P.ONE_TOKEN) / 1e9} GB allotment); download at up to ${c.leechRate / 1e6} MB/s, then seed ${c.memberSeedHours} h at ${c.memberUplink / 1e6} MB/s; forgo ${c.stakeOpportunityPerYear * 100}%/year on their stake; receive the fee stream as stakers |
| protocol | as in protocol/params.ts: surge floor ${Number(P.SURGE_FLOOR_BPS) / 1e4}×, cap ${Number(P.SURGE_CAP_BPS) / 1e4}×, target saturation ${Number(P.SATURATION_TARGET_BPS) / 1e4}; hosting ${Number(P.HOSTING_POOL_BPS) / 100}% / upload ${100 - Number(P.HOSTING_POOL_BPS) / 100}% of emission; upload reward ≤ ${Number(P.UPLOAD_PRICE_SHARE_BPS) / 100}% of the price; geo boost +${Number(P.GEO_BOOST_BPS) / 100}%; holdback by node age ${Number(P.HOLDBACK_NEW_BPS) / 100}% vesting ${P.HOLDBACK_NEW_VESTING_SECONDS / 86400} days when new → ${Number(P.HOLDBACK_BPS) / 100}% vesting ${P.HOLDBACK_VESTING_SECONDS / 86400} days at ${P.HOLDBACK_AGE_RAMP_SECONDS / 86400} days; fault fees ${P.FAULT_FEE_EPOCHS_BASE}–${P.FAULT_FEE_EPOCHS_CAP} epochs of the replica's expected reward; vetting ramp ${Number(P.VETTING_START_BPS) / 100}% → 100% over ${P.VETTING_AUDITS} passed challenges |

## Results, the last 30 days

| measure | fixed-gate | dynamic-gate |
| --- | --- | --- |
${row("active nodes", "nodes", (v) => f(v, 0))}
${row("members", "members", (v) => f(v, 0))}
${row("median counted replicas per torrent", "replicasMedian", (v) => f(v, 1))}
${row("torrents with a proven replica", "withReplica", pct)}
${row("torrents with ≥ 3 replicas", "withThree", pct)}
${row("share of leechers' wanted rate served (slowed members at their slowed rate)", "serviceRatio", pct)}
${row("node earnings, VIDYA per GB-day (median)", "earnPerGBMedian", (v) => f(v, 4))}
${row("honest node profit, $ per day (median)", "nodeProfitMedianUsd", (v) => f(v, 3))}
${row("price per paid GB, VIDYA", "pricePerPaidGB")}
${row("member net cost per GB downloaded, VIDYA (download fees returned to stakers deducted)", "memberCostPerGB")}
${row("share of downloaded bytes paid (the rest free or slowed)", "paidShare", pct)}
${row("download fees in, VIDYA/day", "feesIn")}
${row("hosting pool paid, VIDYA/day", "hostingPaid", (v) => f(v, 1))}
${row("upload pool paid, VIDYA/day", "uploadPaid", (v) => f(v, 1))}
${row("emission not paid (no host, dust), VIDYA/day", "unspent", (v) => f(v, 4))}
${row("stake to join, VIDYA", "gate", (v) => f(v, 0))}
${row("join fees in (to stakers, streamed), VIDYA/day", "joinFees")}
${row("VIDYA bought in the pool by members, per day", "vidyaBought", (v) => f(v, 1))}
${row("VIDYA sold in the pool by nodes, per day", "vidyaSold", (v) => f(v, 1))}
${row("token price, ETH per VIDYA (×10⁻⁶)", "priceEth", (v) => f(v * 1e6, 2))}
${row("token price, $", "priceUsd", (v) => f(v, 4))}
${row("**node earnings, ETH per GB-month (median, ×10⁻⁶)**", "ethPerGBMonthMedian", (v) => f(v * 1e6, 2))}

${marketText(a, b)}

Bounties: ${a.totals.bountyFunded} VIDYA funded; drawn ${f(a.totals.bountyDrawn, 1)} (fixed-gate) and ${f(b.totals.bountyDrawn, 1)} (dynamic-gate) by the end.
Supply: minted ${f(a.days.at(-1)!.minted, 0)} of a schedule of ${f(a.days.at(-1)!.schedule, 0)} VIDYA (fixed-gate), burned by slashes ${f(a.days.at(-1)!.burned, 1)}.

![replication](replication.svg)
![replication by rank](replication-by-rank.svg)
![availability](availability.svg)
![node earnings](node-earnings.svg)
![member cost](member-cost.svg)
![supply](supply.svg)
![flows](fee-flows.svg)
![shock](shock.svg)
![members and gate](members-and-gate.svg)
![price](price.svg)
![node earnings in ETH](node-earnings-eth.svg)

## The attacker table

Each attack of issue 11 played out through the real \`settleEpoch\` (and, for the dust deposit,
the allotment's deposit budget: \`availableBalance\`, \`splitDownload\`) over ${attacks.epochs} hourly epochs on a small
network (nine honest hosts, three paying members with receipts, a busy torrent at 2× surge),
run twice from one seed: once with the attacker, once with its honest **twin** in its place (sim/attacks.ts).
Costs are physical only: a machine ($${c.fixedUsdPerMonth}/month), disk ($${c.diskUsdPerGBMonth}/GB-month),
bandwidth ($${c.bandwidthUsdPerGB}/GB) and charges actually paid; **addresses and memberships cost nothing**, so no
assumed price of an identity decides a verdict. Pass rates are the measured ones (docs/challenges.md):
a relay by its source's round trip (0-20 ms 6/6, 50 ms 3/6, 100-200 ms 0/6), partial storage
keep^16 per 16-block challenge with one challenge an epoch (the attacker's best case). Revenue is
tokens earned less slashes at $${c.tokenPriceUsd}. "Honest hosts' income" is how the nine honest hosts' income moves
with the attacker in the twin's place.

${attackTable(attacks.fixed, attacks.dynamic)}

![attacks](attacks.svg)

## Attackers inside the network

Each attacker runs inside the same network beside an honest **twin** with the same disk, uplink
and place, so the comparison is like for like. Revenue is every token earned (paid and held)
less slashes taken, at the pool's price at the end of each run ($${f(a.days.at(-1)!.priceUsd, 4)} fixed-gate, $${f(b.days.at(-1)!.priceUsd, 4)} dynamic-gate); costs as above, plus what the attacker pays (fees,
VPN addresses, stake). Profit per unit of cost = (revenue − cost) ÷ cost.

### fixed-gate

| actor | revenue VIDYA | revenue $ | cost $ | profit $ | profit ÷ cost | note |
| --- | --- | --- | --- | --- | --- | --- |
${actorRows(a)}

### dynamic-gate

| actor | revenue VIDYA | revenue $ | cost $ | profit $ | profit ÷ cost | note |
| --- | --- | --- | --- | --- | --- | --- |
${actorRows(b)}

![attackers](attackers.svg)

${findings(a, b)}

### Why

- **Lying about uploads** earns nothing: a client's \`uploaded\` earns ratio only, upload tokens go
  to receipted paid bytes and proven hosts (upload-rewards.ts), and a downloader's receipts never
  credit more than it paid for. Its twin, who really seeds as a client, earns no token either.
- **Self-trading** pays the price and earns back at most 80% of it (UPLOAD_PRICE_SHARE_BPS),
  plus a staker's share of its own fees: it loses at every surge, and the extra demand it
  creates raises the price it pays before it raises anything it earns.
- **Identities behind one address** are counted once per torrent; the copies earn only when the
  first identity misses a challenge they answer. **Identities behind several addresses** are
  counted each, and on one disk they split the torrents' weight three ways; IPv6 counts per /48
  and a torrent's total weight stops growing at its target replication, but k vetted identities
  on k subnets still take k shares of that total: with free addresses the attack pays (the
  attacker table's Sybil rows), with $${c.vpnUsdPerMonth}/month addresses it does not.
- **Relaying** passes at the measured rate for the round trip to the nearest node seeding the
  torrent: a source 100 ms away fails every challenge, one within ~20 ms passes them all. A
  replica whose misses run three epochs in a row is suspended while its fault fees grow; a relay
  next to a seeding node on another subnet is paid as a replica without a disk.
- **Location** is what the edge sees: a claimed location changes nothing; a VPN exit elsewhere
  buys the 15% geo boost on some torrents but costs the VPN and the challenges its round trips
  miss.

### Which access route the numbers favour

- Members: the fixed gate's surge pricing is cheaper per GB on average (${f(tail(a, "pricePerPaidGB"), 3)} against
  ${f(tail(b, "pricePerPaidGB"), 3)} VIDYA per paid GB): idle torrents fall to the 0.5× floor and only saturated swarms cost
  more, for the hours they are saturated. The dynamic gate's stake to join sat at its floor
  (${f(tail(b, "gate"), 0)} VIDYA) all run, since the network as a whole never saturated, so it admitted more members
  (${f(tail(b, "members"), 0)} against ${f(tail(a, "members"), 0)}) and charged a flat price.
- Nodes and availability: nearly equal (${f(tail(a, "nodes"), 0)} and ${f(tail(b, "nodes"), 0)} nodes, ${f(tail(a, "replicasMedian"), 1)} and ${f(tail(b, "replicasMedian"), 1)} median replicas); in both
  the hot torrent's surge raised its hosting weight and drew replicas within hours (shock plot).
- Stakers: the dynamic gate's flat price brings more fees (${f(tail(b, "feesIn"), 1)} against ${f(tail(a, "feesIn"), 1)} VIDYA a day).
- On these numbers the default, **fixed-gate**, serves members better per GB and rations a hot
  torrent by price while it is hot; **dynamic-gate** suits a community that wants cheap entry
  and a steady price, and gives stakers more.

Self-trading in numbers (fixed-gate): the pair paid ${f(a.totals.selfTrade.paidTokens, 2)} VIDYA to download the hot torrent
from itself and its node earned about ${f(a.totals.selfTrade.earnedTokens, 2)} VIDYA of upload reward on those bytes
(dynamic-gate: ${f(b.totals.selfTrade.paidTokens, 2)} paid, ${f(b.totals.selfTrade.earnedTokens, 2)} earned).
`;
  writeFileSync(join(dir, "report.md"), md);
  const summary = [
    "token price (pool), ETH per VIDYA ×10⁻⁶, by day:",
    ...priceLines(a, b),
    `node earnings, ETH per GB-month ×10⁻⁶ (median, last 30 days): fixed-gate ${f(tail(a, "ethPerGBMonthMedian") * 1e6, 2)}, dynamic-gate ${f(tail(b, "ethPerGBMonthMedian") * 1e6, 2)}`,
    "",
    `fixed-gate: ${f(tail(a, "nodes"), 0)} nodes, median ${f(tail(a, "replicasMedian"), 1)} replicas, ${pct(tail(a, "serviceRatio"))} served, ${f(tail(a, "pricePerPaidGB"), 3)} VIDYA/paid GB, node ${f(tail(a, "earnPerGBMedian"), 4)} VIDYA/GB-day`,
    `dynamic-gate: ${f(tail(b, "nodes"), 0)} nodes, median ${f(tail(b, "replicasMedian"), 1)} replicas, ${pct(tail(b, "serviceRatio"))} served, ${f(tail(b, "pricePerPaidGB"), 3)} VIDYA/paid GB, node ${f(tail(b, "earnPerGBMedian"), 4)} VIDYA/GB-day`,
    ...a.actors.map((x, i) => `${x.name.padEnd(52)} ${f(x.profitPerCost).padStart(7)} ${f(b.actors[i]?.profitPerCost ?? NaN).padStart(7)}`),
    "",
    "attacker table (sim/attacks.ts): attack | profit ÷ cost fixed / dynamic | twin fixed / dynamic",
    attackTable(attacks.fixed, attacks.dynamic),
  ].join("\n");
  return { markdown: md, summary };
}
