// npm run bench:close — the epoch close at production size (issue 13 part 3), two ways:
//
//   1. In workerd under the D1 guard: test/worker/epoch-scale.test.ts at SCALE_NODES ×
//      SCALE_TORRENTS (transcripts and ledgers generated into local D1, then the real close
//      through the ChallengeScheduler). It prints the close's wall time, its D1 queries and the
//      largest D1 value, and every D1 limit it breaks; workerd's CPU time and peak RSS over the
//      close are read from /proc here. workerd reports no heap figure inside (process.memoryUsage
//      and node:v8 answer zeros there), hence 2.
//   2. In Node: the same pure code the close runs (settleEpoch, the three reward trees, the
//      inputs' canonical JSON and hash) on inputs of the same shape and size, with the V8 heap
//      after each step and the process's peak RSS: the isolate's 128 MB is the bound to compare.
//
// Options: --nodes N (default 10 000), --torrents N per node (default 50), --node-only,
// --paged N: in Node, settle in pages of N torrents (settle-paged.ts) first, a heap mark per sweep
// and the most one page added, then settleEpoch, and check both give the same roots.

import { spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Address } from "viem";
import { canonicalParts, streamedInputsHash } from "../protocol/epoch/stream.ts";
import { settleEpoch, type SettleInputs, type SettleTorrent } from "../protocol/economics/settle.ts";
import { addPageWeights, finishPaged, firstHostsOf, noWeights, pageWeights, pagesOf, settleContext, settlePage, settleTotals, tallyPages } from "../protocol/economics/settle-paged.ts";
import { settlementJson } from "../protocol/economics/published.ts";
import { buildRewardTree } from "../protocol/merkle/reward-tree.ts";
import type { Transfer } from "../protocol/economics/upload-rewards.ts";
import { madeTranscript } from "../test/worker/support/transcripts.ts";

const { values } = parseArgs({ options: { nodes: { type: "string", default: "10000" }, torrents: { type: "string", default: "50" }, "node-only": { type: "boolean", default: false }, paged: { type: "string" } } });
const NODES = Number(values.nodes);
const TORRENTS = Number(values.torrents);
const ROUNDS = 6; // as epoch-scale.test.ts
const POOL = Math.max(TORRENTS, Math.ceil((NODES * TORRENTS) / 10));
const MB = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

function nodeRun(): void {
  const hex = (i: number, len: number) => i.toString(16).padStart(len, "0");
  const nodeOf = (i: number) => `0x${hex(0xe000000 + i, 40)}`;
  const memberOf = (i: number) => `0x${hex(0xf000000 + i, 40)}`;
  const torrentOf = (i: number) => hex(0xd000000 + i, 40);
  const heap: [string, number, number][] = [];
  let last = process.cpuUsage();
  // Heap after each step and the CPU it took: the isolate's 128 MB and 30 s are the bounds to compare.
  const mark = (step: string) => {
    const now = process.cpuUsage();
    heap.push([step, process.memoryUsage().heapUsed, (now.user - last.user + now.system - last.system) / 1e3]);
    last = now;
  };
  const cpu0 = process.cpuUsage();
  mark("start");
  const signature = `0x${"ab".repeat(65)}` as const;
  const challenges = Array.from({ length: NODES * ROUNDS }, (_, k) => {
    const n = Math.floor(k / ROUNDS);
    const r = k % ROUNDS;
    return madeTranscript(1, nodeOf(n), torrentOf((n * TORRENTS + (r % TORRENTS)) % POOL), (n + r) % 20 === 0 ? "fail" : "pass", {
      round: r,
      host: `10.${(n >> 8) & 255}.${n & 255}.1`,
      blockHashes: ["aa".repeat(32), "bb".repeat(32), "cc".repeat(32)],
      signer: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
      signature,
    });
  });
  const torrents: SettleTorrent[] = Array.from({ length: POOL }, (_, i) => ({ infoHash: torrentOf(i), length: 1 << 30, rootStatus: "published" as const, surgeBps: 12_000n }));
  const transfers: Transfer[] = [];
  for (let m = 0; m < NODES; m++)
    for (let k = 0; k < TORRENTS; k++) transfers.push({ member: memberOf(m), infoHash: torrentOf((m * 7 + k) % POOL), paidDownloaded: 0n, freeDownloaded: 200_000_000n, uploaded: 100_000_000n });
  mark("inputs read (transcripts, torrents, transfers)");
  const pagedRoot = values.paged ? pagedRun({ epoch: 1, challenges, torrents, transfers }, Number(values.paged), mark) : undefined;
  const settlement = settleEpoch({ epoch: 1, challenges, torrents, transfers });
  mark("settleEpoch");
  const roots = [settlement.leaves, settlement.slashedLeaves, settlement.spentLeaves].map((l) => (l.length ? buildRewardTree(1, l.map((x) => ({ account: x.account as Address, cumulative: x.cumulative }))).root : null));
  mark("three reward trees");
  const inputs = { epoch: 1, challenges, torrents, transfers, hosting: settlement.provenBytes, settlement: settlementJson(settlement) };
  // As the close publishes them (worker/epoch/files.ts): hashed streamed, then cut in 8 MiB parts
  // (each one R2 multipart part, dropped here once counted), never one string.
  const hash = streamedInputsHash(inputs);
  mark("inputs hash, streamed");
  let jsonBytes = 0;
  for (const part of canonicalParts(inputs, 8 * 1024 * 1024)) jsonBytes += part.length;
  mark("inputs cut in 8 MiB parts");
  const cpu = process.cpuUsage(cpu0);
  console.log(`Node (pure settle code), ${NODES} nodes × ${TORRENTS} torrents: ${challenges.length} transcripts, ${transfers.length} transfers, ${POOL} torrents`);
  for (const [step, bytes, ms] of heap) console.log(`  heap after ${step.padEnd(48)} ${MB(bytes).padStart(10)}  step CPU ${ms.toFixed(0)} ms`);
  console.log(`  peak RSS ${MB(process.resourceUsage().maxRSS * 1024)}; CPU ${((cpu.user + cpu.system) / 1e3).toFixed(0)} ms`);
  console.log(`  inputs JSON ${MB(jsonBytes)} (D1 caps a value at 2 MB); ${settlement.leaves.length} earned leaves; root ${roots[0]}; inputsHash ${hash}`);
  if (pagedRoot !== undefined) console.log(`  paged settlement's earned root ${pagedRoot}: ${pagedRoot === roots[0] ? "the same" : "DIFFERENT"} as settleEpoch's`);
}

/**
 * The three sweeps of settle-paged.ts over pages of `perPage` torrents, as the paged close would
 * run them one page an invocation: the heap after each sweep, and the most one page's work added
 * (heap right after it, less before: what a page costs on top of what the sweeps keep).
 */
function pagedRun(inputs: SettleInputs, perPage: number, mark: (step: string) => void): string {
  const pages = pagesOf(inputs, perPage);
  mark(`paged: ${pages.length} pages of ${perPage} torrents cut`);
  const ctx = settleContext({ epoch: inputs.epoch }, tallyPages(pages, firstHostsOf(inputs.challenges)));
  mark("paged A: tally, streaks, suspensions");
  let most = 0;
  const page = <T>(f: () => T): T => {
    const before = process.memoryUsage().heapUsed;
    const out = f();
    most = Math.max(most, process.memoryUsage().heapUsed - before);
    return out;
  };
  let weights = noWeights();
  for (const p of pages) weights = addPageWeights(weights, page(() => pageWeights(ctx, p)));
  const totals = settleTotals(ctx, weights);
  mark("paged B: weights and upload credits, totals");
  const settled = pages.map((p) => page(() => settlePage(ctx, totals, p)));
  mark("paged C: rewards per page");
  const f = finishPaged(ctx, totals, settled);
  mark("paged: leaves");
  console.log(`  paged: the most one page's work added to the heap: ${MB(most)}`);
  return buildRewardTree(inputs.epoch, f.leaves).root;
}

/** CPU seconds (user + system) and RSS of every workerd process now running. */
function workerdNow(): { cpu: number; rss: number } {
  let cpu = 0;
  let rss = 0;
  const tick = 100; // USER_HZ on Linux
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/comm`, "utf8").startsWith("workerd")) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      cpu += (Number(stat[11]) + Number(stat[12])) / tick;
      rss += Number(stat[21]) * 4096;
    } catch {
      // gone meanwhile
    }
  }
  return { cpu, rss };
}

async function workerdRun(): Promise<void> {
  const child = spawn("npx", ["vitest", "run", "--config", "vitest.worker.config.ts", "test/worker/epoch-scale.test.ts"], {
    env: { ...process.env, SCALE_NODES: String(NODES), SCALE_TORRENTS: String(TORRENTS) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let start: { cpu: number; rss: number } | undefined;
  let peakRss = 0;
  const poll = setInterval(() => {
    if (start) peakRss = Math.max(peakRss, workerdNow().rss);
  }, 250);
  // Other engineers' workerd processes count too: run this on a quiet machine for clean figures.
  child.stdout.on("data", (b: Buffer) => {
    const s = b.toString();
    process.stdout.write(s);
    if (s.includes("scale: close starts")) start = workerdNow();
    if (s.includes("scale: close ends") && start) {
      const end = workerdNow();
      console.log(`workerd over the close: CPU ${(end.cpu - start.cpu).toFixed(1)} s (all workerd processes), peak RSS ${MB(Math.max(peakRss, end.rss))}`);
      start = undefined;
    }
  });
  const code = await new Promise<number | null>((r) => child.on("exit", r));
  clearInterval(poll);
  console.log(`workerd run exited ${code} (non-zero when the close broke a D1 limit or failed)`);
}

nodeRun();
if (!values["node-only"]) await workerdRun();
