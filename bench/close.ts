// npm run bench:close — the epoch close at production size (issue 13 part 3), two ways:
//
//   1. In workerd under the D1 guard: test/worker/epoch-scale.test.ts at SCALE_NODES ×
//      SCALE_TORRENTS (transcripts and ledgers generated into local D1, then the real close
//      through the ChallengeScheduler). It prints the close's wall time, its D1 queries and the
//      largest D1 value, and every D1 limit it breaks; workerd's CPU time and peak RSS over the
//      close are read from /proc here (its own workerd processes only). It runs under a Worker's
//      128 MB heap (MINIFLARE_WORKERD_V8_FLAGS, as the worker suite) with V8's GC trace, and prints
//      the most live heap after a mark-compact before the close and in each invocation: workerd
//      reports no heap to code inside (process.memoryUsage and node:v8 answer zeros). The close
//      runs in the test's isolate, so the figures include the test's own modules and data.
//   2. In Node: the same pure code the close runs, as the close runs it (the default, paged): the
//      transfers made a page of members at a time into compact arrays, the three sweeps over pages
//      of torrents whose transcripts are made when the page is read (as D1 serves them, by the
//      info-hash index), the settlement assembled, the three trees, and the inputs hashed and cut
//      in parts with the challenges and transfers streamed a page at a time. The V8 heap after
//      each step, the most within any page, and the process's peak RSS: the isolate's 128 MB is
//      the bound to compare.
//
// Options: --nodes N (default 10 000), --torrents N per node (default 50), --node-only, --workerd-only,
// --paged N torrents a page (default 1,000, as SETTLE_PAGE_TORRENTS), --whole: in Node, the old
// whole close instead (every transcript and transfer held, settleEpoch, the inputs streamed from
// memory).

import { spawn } from "node:child_process";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { readFileSync, readdirSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Address } from "viem";
import { canonicalParts, canonicalPartsAsync, StreamedArray, streamedInputsHash, streamedInputsHashAsync } from "../protocol/epoch/stream.ts";
import { settleEpoch, type SettleTorrent } from "../protocol/economics/settle.ts";
import { addPageWeights, noWeights, pageLists, pageWeights, settleContext, settlePage, SettlementFold, settleTotals, tallyPages, type PageSettlement, type SettlementLists, type SettlePage } from "../protocol/economics/settle-paged.ts";
import { decodeStep, encodeStep } from "../protocol/economics/paged-json.ts";
import { CompactTransfers } from "../protocol/economics/compact-transfers.ts";
import type { Tally } from "../protocol/epoch/replica-faults.ts";
import { CHALLENGE_PAGE_ROWS, LEDGER_PAGE_MEMBERS, SETTLE_PAGE_TORRENTS } from "../protocol/params.ts";
import { settlementJson } from "../protocol/economics/published.ts";
import { buildRewardTree } from "../protocol/merkle/reward-tree.ts";
import type { Transfer } from "../protocol/economics/upload-rewards.ts";
import { madeTranscript } from "../test/worker/support/transcripts.ts";
import { memberOf, nodeOf, scaleShape, torrentIndexOf, torrentOf } from "../test/worker/support/scale-shape.ts";

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "10000" },
    torrents: { type: "string", default: "50" },
    "node-only": { type: "boolean", default: false },
    "workerd-only": { type: "boolean", default: false },
    "edge-only": { type: "boolean", default: false },
    "edge-heap-mb": { type: "string" },
    paged: { type: "string" },
    whole: { type: "boolean", default: false },
  },
});
const NODES = Number(values.nodes);
const TORRENTS = Number(values.torrents);
// The scale test's epoch (test/worker/support/scale-shape.ts), remade in Node.
const SHAPE = scaleShape(NODES, TORRENTS);
const { rounds: ROUNDS, pool: POOL } = SHAPE;
const MB = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

const signature = `0x${"ab".repeat(65)}` as const;
/** Transcript k of the epoch (node k ÷ ROUNDS, its round k mod ROUNDS), made the same each time it is read, in the epoch's order by k. */
const torrentIndexOfK = (k: number) => torrentIndexOf(SHAPE, Math.floor(k / ROUNDS), k % ROUNDS);
function transcript(k: number) {
  const n = Math.floor(k / ROUNDS);
  const r = k % ROUNDS;
  return madeTranscript(1, nodeOf(n), torrentOf(torrentIndexOfK(k)), (n + r) % 20 === 0 ? "fail" : "pass", {
    round: r,
    host: `10.${(n >> 8) & 255}.${n & 255}.1`,
    blockHashes: ["aa".repeat(32), "bb".repeat(32), "cc".repeat(32)],
    signer: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
    signature,
    startedAt: 1_700_000_000_000 + k,
    answeredAt: (n + r) % 20 === 0 ? null : 1_700_000_000_100 + k,
  });
}
const torrentsOf = (): SettleTorrent[] => Array.from({ length: POOL }, (_, i) => ({ infoHash: torrentOf(i), length: 1 << 30, rootStatus: "published" as const, surgeBps: 12_000n }));
/** Member m's transfers, torrents in info-hash order (as the allotment makes them). */
const transfersOfMember = (m: number): Transfer[] =>
  [...new Set(Array.from({ length: TORRENTS }, (_, k) => (m * 7 + k) % POOL))]
    .sort((a, b) => a - b)
    .map((t) => ({ member: memberOf(m), infoHash: torrentOf(t), paidDownloaded: 0n, freeDownloaded: 200_000_000n, uploaded: 100_000_000n, charged: 0n }));

// The live heap, not the garbage a collection would free: heap figures are taken after a full GC.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const live = () => {
  gc();
  return process.memoryUsage().heapUsed;
};
/** Bytes of Buffers standing for D1's scratch table (not the close's memory). */
let offIsolate = 0;
/**
 * Typed arrays' memory (the compact transfers, the parts being cut): outside V8's heap, so outside
 * workerd's --max-old-space-size, but inside a Worker's 128 MB.
 */
const typedArrays = () => process.memoryUsage().arrayBuffers - offIsolate;

/**
 * The live heap after each step and the CPU it took (the collections excluded), the most live heap
 * after any page within a step: the isolate's 128 MB and 30 s are the bounds to compare.
 */
function marks() {
  const heap: [string, number, number, number, number][] = [];
  let most = 0;
  let mostTyped = 0;
  let work = 0;
  let total = 0;
  let last = process.cpuUsage();
  const spent = () => {
    const now = process.cpuUsage();
    const ms = (now.user - last.user + now.system - last.system) / 1e3;
    last = now;
    return ms;
  };
  /** The heap after a collection, the collection's CPU left out of the step's. */
  const measure = () => {
    work += spent();
    const used = live();
    spent();
    return used;
  };
  return {
    /** A live heap sample inside a step (after a page). */
    sample: () => {
      most = Math.max(most, measure());
      mostTyped = Math.max(mostTyped, typedArrays());
    },
    mark: (step: string) => {
      const used = measure();
      heap.push([step, used, Math.max(most, used), work, Math.max(mostTyped, typedArrays())]);
      mostTyped = 0;
      total += work;
      work = 0;
      most = 0;
    },
    /** The most typed-array bytes at any mark or sample. */
    typedMost: () => Math.max(0, ...heap.map((h) => h[4])),
    print: (title: string, tail: string[]) => {
      const cpu = { user: total * 1e3, system: 0 };
      console.log(title);
      for (const [step, bytes, peak, ms, typed] of heap)
        console.log(`  heap after ${step.padEnd(52)} ${MB(bytes).padStart(9)}  (most within ${MB(peak).padStart(9)}; typed arrays ${MB(typed).padStart(8)})  step CPU ${ms.toFixed(0)} ms`);
      console.log(`  peak RSS ${MB(process.resourceUsage().maxRSS * 1024)}; CPU ${((cpu.user + cpu.system) / 1e3).toFixed(0)} ms (collections for the heap figures left out)`);
      for (const t of tail) console.log(`  ${t}`);
    },
  };
}

const rootOf = (leaves: { account: string; cumulative: bigint }[]) => (leaves.length ? buildRewardTree(1, leaves.map((x) => ({ account: x.account as Address, cumulative: x.cumulative }))).root : null);

/** The close as it runs now (paged, the default): nothing of the epoch held whole but the compact transfers. */
/** Returns the most typed-array bytes it held (the close's memory outside V8's heap). */
async function closeRun(perPage: number): Promise<number> {
  const m = marks();
  m.mark("start");
  const transfers = new CompactTransfers();
  for (let m0 = 0; m0 < NODES; m0 += LEDGER_PAGE_MEMBERS) {
    for (let k = m0; k < Math.min(NODES, m0 + LEDGER_PAGE_MEMBERS); k++) for (const t of transfersOfMember(k)) transfers.push(t);
    m.sample();
  }
  m.mark("transfers, member pages, compact");
  // D1's (epoch, info_hash) index: transcript numbers by torrent (a counting sort), each page's made when read.
  const count = NODES * ROUNDS;
  const start = new Uint32Array(POOL + 1);
  for (let k = 0; k < count; k++) start[torrentIndexOfK(k) + 1]!++;
  for (let i = 0; i < POOL; i++) start[i + 1]! += start[i]!;
  const next = start.slice(0, POOL);
  const byTorrent = new Uint32Array(count);
  for (let k = 0; k < count; k++) byTorrent[next[torrentIndexOfK(k)]!++] = k;
  const torrents = torrentsOf();
  const pages = Math.max(1, Math.ceil(POOL / perPage));
  const read = (p: number): SettlePage => {
    const [a, b] = [p * perPage, Math.min(POOL, (p + 1) * perPage)];
    const ks = [...byTorrent.subarray(start[a]!, start[b]!)].sort((x, y) => x - y);
    return { torrents: torrents.slice(a, b), challenges: ks.map(transcript), transfers: transfers.inRange(p ? torrentOf(a) : undefined, b < POOL ? torrentOf(b) : undefined), receipts: [] };
  };
  // One row per node: its first challenge's host (pages.ts firstHostsIn).
  const firstHosts = new Map(Array.from({ length: NODES }, (_, n) => [nodeOf(n).toLowerCase(), `10.${(n >> 8) & 255}.${n & 255}.1`]));
  m.mark(`the torrent index; ${pages} pages of ${perPage} torrents`);
  const tallied: Tally = new Map();
  for (let p = 0; p < pages; p++) {
    for (const [node, n] of tallyPages([read(p)])) {
      const t = tallied.get(node);
      if (!t) tallied.set(node, n);
      else for (const [h, v] of n.torrents) t.torrents.set(h, v);
    }
    m.sample();
  }
  for (const [node, n] of tallied) n.host = firstHosts.get(node) ?? n.host;
  const ctx = settleContext({ epoch: 1 }, tallied);
  m.mark("sweep A: tally, streaks, suspensions");
  let weights = noWeights();
  for (let p = 0; p < pages; p++) {
    weights = addPageWeights(weights, pageWeights(ctx, read(p)));
    m.sample();
  }
  const totals = settleTotals(ctx, weights);
  m.mark("sweep B: weights and upload credits, totals");
  // Sweep C as the close runs it (worker/epoch/pages.ts): each page's result stored (here in an
  // off-heap Buffer standing for the D1 scratch table, not counted in the heap) and folded in,
  // its lists dropped; the lists read back a page at a time when the inputs are hashed and cut.
  const stored: Buffer[] = [];
  const fold = new SettlementFold(ctx, totals, false);
  for (let p = 0; p < pages; p++) {
    const page = settlePage(ctx, totals, read(p));
    stored.push(Buffer.from(encodeStep(page)));
    offIsolate += stored.at(-1)!.byteLength;
    fold.add(page);
    m.sample();
  }
  m.mark("sweep C: rewards per page, stored and folded");
  const settlement = fold.settlement();
  m.mark("settlement assembled (lists left in the stored pages)");
  const roots = [settlement.leaves, settlement.slashedLeaves, settlement.spentLeaves].map(rootOf);
  m.mark("three reward trees");
  const list = <K extends keyof SettlementLists>(name: K) =>
    new StreamedArray<SettlementLists[K][number]>(async function* () {
      for (const b of stored) yield pageLists(decodeStep<PageSettlement>(b.toString()))[name];
    });
  const inputs = {
    epoch: 1,
    challenges: new StreamedArray(async function* () {
      for (let k = 0; k < count; k += CHALLENGE_PAGE_ROWS) yield Array.from({ length: Math.min(CHALLENGE_PAGE_ROWS, count - k) }, (_, i) => transcript(k + i));
    }),
    torrents,
    transfers: new StreamedArray(async function* () {
      yield* transfers.pages();
    }),
    hosting: settlement.provenBytes,
    settlement: settlementJson(settlement, { replicas: list("replicas"), credits: list("credits"), swarms: list("swarms") }),
  };
  m.mark("the settlement's published breakdown");
  const hash = await streamedInputsHashAsync(inputs);
  m.mark("inputs hash, streamed (challenges made per page)");
  let jsonBytes = 0;
  for await (const part of canonicalPartsAsync(inputs, 5 * 1024 * 1024)) {
    jsonBytes += part.length;
    m.sample();
  }
  m.mark("inputs cut in 5 MiB parts");
  m.print(`Node, the close as it runs (paged), ${NODES} nodes × ${TORRENTS} torrents: ${count} transcripts, ${transfers.length} transfers, ${POOL} torrents`, [
    `inputs JSON ${MB(jsonBytes)}; ${settlement.leaves.length} earned leaves; root ${roots[0]}; inputsHash ${hash}`,
  ]);
  return m.typedMost();
}

/** The whole close (EPOCH_SETTLE=whole, and the close before the paged one): every transcript and transfer held, settleEpoch. */
function wholeRun(): void {
  const m = marks();
  m.mark("start");
  const challenges = Array.from({ length: NODES * ROUNDS }, (_, k) => transcript(k));
  const torrents = torrentsOf();
  const transfers: Transfer[] = [];
  for (let k = 0; k < NODES; k++) transfers.push(...transfersOfMember(k));
  m.mark("inputs read (transcripts, torrents, transfers)");
  const settlement = settleEpoch({ epoch: 1, challenges, torrents, transfers });
  m.mark("settleEpoch");
  const roots = [settlement.leaves, settlement.slashedLeaves, settlement.spentLeaves].map(rootOf);
  m.mark("three reward trees");
  const inputs = { epoch: 1, challenges, torrents, transfers, hosting: settlement.provenBytes, settlement: settlementJson(settlement) };
  // As the close published them before: hashed streamed, then cut in 5 MiB parts, never one string.
  const hash = streamedInputsHash(inputs);
  m.mark("inputs hash, streamed");
  let jsonBytes = 0;
  for (const part of canonicalParts(inputs, 5 * 1024 * 1024)) jsonBytes += part.length;
  m.mark("inputs cut in 5 MiB parts");
  m.print(`Node, the whole close, ${NODES} nodes × ${TORRENTS} torrents: ${challenges.length} transcripts, ${transfers.length} transfers, ${POOL} torrents`, [
    `inputs JSON ${MB(jsonBytes)}; ${settlement.leaves.length} earned leaves; root ${roots[0]}; inputsHash ${hash}`,
  ]);
}

/** CPU seconds (user + system) and RSS of the workerd processes descended from `root` (this run's, not other runs' on the machine). */
function workerdNow(root: number): { cpu: number; rss: number } {
  let cpu = 0;
  let rss = 0;
  const tick = 100; // USER_HZ on Linux
  const parent = new Map<number, number>();
  const pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  for (const pid of pids) {
    try {
      parent.set(Number(pid), Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const ours = (pid: number) => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = parent.get(p) ?? 0, hops++) if (p === root) return true;
    return false;
  };
  for (const pid of pids) {
    try {
      if (!ours(Number(pid)) || !readFileSync(`/proc/${pid}/comm`, "utf8").startsWith("workerd")) continue;
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
  // A Worker's 128 MB heap, as the worker suite sets it (vitest.worker.config.ts), and V8's GC trace:
  // the live heap after each mark-compact is the heap figure workerd gives (its isolates report no
  // memory to code inside them).
  const flags = process.env.MINIFLARE_WORKERD_V8_FLAGS ?? "--max-old-space-size=128";
  // stdbuf: workerd's GC trace goes to its stdout, block-buffered into a pipe (the last lines lost at exit).
  const child = spawn("stdbuf", ["-oL", "npx", "vitest", "run", "--config", "vitest.worker.config.ts", "test/worker/epoch-scale.test.ts"], {
    env: { ...process.env, SCALE_NODES: String(NODES), SCALE_TORRENTS: String(TORRENTS), MINIFLARE_WORKERD_V8_FLAGS: `${flags} --trace-gc` },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // The most live heap after a mark-compact, by phase (before the close: the test's own data and
  // modules, in the same isolate as the close), of the isolate that reached the most (the test's).
  let phase = "before the close";
  const live = new Map<string, Map<string, number>>();
  const mostLive = (p: string) => Math.max(0, ...[...live.values()].map((m) => m.get(p) ?? 0));
  /** Takes the GC trace's lines out of a stream's `text` (recorded by phase), returns the rest to print; a line cut between chunks waits for its end. */
  const carry = new Map<string, string>();
  const traced = (stream: string, text: string): string => {
    const lines = ((carry.get(stream) ?? "") + text).split("\n");
    carry.set(stream, lines.pop()!);
    return lines
      .map((line) => `${line}\n`)
      .filter((line) => {
        if (/^\[\d+:0x[0-9a-f]+\].*(Scavenge|Mark-Compact|Mark-Sweep)/.test(line)) {
          const gc = /^\[\d+:(0x[0-9a-f]+)\].*Mark-Compact.*-> ([\d.]+) \(/.exec(line);
          if (gc) {
            const byPhase = live.get(gc[1]!) ?? new Map<string, number>();
            live.set(gc[1]!, byPhase);
            byPhase.set(phase, Math.max(byPhase.get(phase) ?? 0, Number(gc[2])));
          }
          return false;
        }
        return true;
      })
      .join("");
  };
  child.stderr.on("data", (b: Buffer) => process.stderr.write(traced("stderr", b.toString())));
  let start: { cpu: number; rss: number } | undefined;
  let tick: { cpu: number; rss: number } | undefined;
  let peakRss = 0;
  const poll = setInterval(() => {
    if (start) peakRss = Math.max(peakRss, workerdNow(child.pid!).rss);
  }, 250);
  // Only this run's workerd (descendants of the vitest child): other runs on the machine are left out.
  child.stdout.on("data", (b: Buffer) => {
    const s = traced("stdout", b.toString());
    process.stdout.write(s);
    if (s.includes("scale: close starts")) {
      tick = start = workerdNow(child.pid!);
      console.log(`workerd before the close: live heap at most ${mostLive(phase).toFixed(1)} MB after a mark-compact (the test's generated data and modules)`);
      phase = "invocation 1";
    }
    for (const m of s.matchAll(/scale: tick (\d+) ends/g)) {
      const now = workerdNow(child.pid!);
      if (tick) console.log(`workerd over close invocation ${m[1]}: CPU ${(now.cpu - tick.cpu).toFixed(1)} s (this run's workerd), live heap at most ${mostLive(phase).toFixed(1)} MB after a mark-compact (limit ${flags})`);
      tick = now;
      phase = `invocation ${Number(m[1]) + 1}`;
    }
    if (s.includes("scale: close ends") && start) {
      const end = workerdNow(child.pid!);
      console.log(`workerd over the close: CPU ${(end.cpu - start.cpu).toFixed(1)} s (this run's workerd), peak RSS ${MB(Math.max(peakRss, end.rss))}`);
      start = undefined;
      phase = "after the close";
    }
  });
  const code = await new Promise<number | null>((r) => child.on("close", r));
  clearInterval(poll);
  for (const rest of carry.values()) if (rest) console.log(rest);
  console.log(`workerd run exited ${code} (non-zero when the close broke a D1 limit or failed)`);
}

let typedMost = 0;
if (values["workerd-only"] || values["edge-only"]) {
  // The Node stage skipped.
} else if (values.whole) wholeRun();
else typedMost = await closeRun(Number(values.paged ?? SETTLE_PAGE_TORRENTS));
if (!values["node-only"] && !values["edge-only"]) await workerdRun();
if (!values["node-only"] && !values["workerd-only"]) {
  // The worker alone in its isolate, its heap limited to 128 MB less the typed arrays (the Node
  // run's most, rounded up; 48 MB when it did not run): completing means both fit together.
  const heapMb = Number(values["edge-heap-mb"] ?? 128 - Math.ceil(typedMost ? typedMost / 1e6 + 1 : 48));
  // Imported only now: its modules (wrangler, the edge's) would weigh on the Node run's heap figures.
  const { edgeRun } = await import("./support/close-edge.ts");
  const ok = await edgeRun(SHAPE, heapMb, workerdNow);
  console.log(`edge run: the close ${ok ? "completed" : "did NOT complete"} with the worker alone in its isolate under a ${heapMb} MB heap (${128 - heapMb} MB left of a Worker's 128 MB for typed arrays)`);
}
