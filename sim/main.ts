// `npm run simulate`: the agent-based model of the token economics (sim/model.ts) run for both
// access routes, side by side on two worker threads, from one seed; writes
// docs/economics/report.md with its SVG plots and prints a summary.
//   npm run simulate -- [--days 45] [--seed 20261202] [--out docs/economics]

import { join } from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { DEFAULT_CONFIG, type SimConfig } from "./config.ts";
import type { SimResult } from "./model.ts";
import { runAttacks } from "./attacks.ts";
import { writeReport } from "./report.ts";

const ROOT = join(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    days: { type: "string", default: String(DEFAULT_CONFIG.days) },
    seed: { type: "string", default: String(DEFAULT_CONFIG.seed) },
    out: { type: "string", default: join(ROOT, "docs", "economics") },
  },
});
const days = Number(values.days);
const seed = Number(values.seed);
if (!Number.isSafeInteger(days) || days < 3) {
  console.error("simulate: --days must be an integer of at least 3");
  process.exit(2);
}

const started = performance.now();
const run = (config: SimConfig) =>
  new Promise<SimResult>((resolve, reject) => {
    const worker = new Worker(new URL("./route-worker.ts", import.meta.url), { workerData: config });
    worker.once("message", resolve);
    worker.once("error", reject);
  });
const [a, b] = await Promise.all([run({ ...DEFAULT_CONFIG, days, seed, route: "fixed-gate" }), run({ ...DEFAULT_CONFIG, days, seed, route: "dynamic-gate" })]);
// Attack by attack (sim/attacks.ts): small, so on this thread, after the two routes.
const attackConfig = { ...DEFAULT_CONFIG, seed };
const attackEpochs = Math.min(days, 10) * 24;
const attacks = { fixed: runAttacks(attackConfig, "fixed-gate", attackEpochs), dynamic: runAttacks(attackConfig, "dynamic-gate", attackEpochs), epochs: attackEpochs };
const seconds = (performance.now() - started) / 1000;
const { summary } = writeReport(a, b, values.out!, seconds, attacks);
console.log(summary);
console.log(`simulate: ${days} days × 2 routes (${a.totals.settlements + b.totals.settlements} settlements) in ${seconds.toFixed(1)} s; report in ${values.out}/report.md`);
