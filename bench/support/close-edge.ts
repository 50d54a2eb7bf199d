// bench:close's third run: the close at production size in an isolate that holds only the worker,
// as on Cloudflare. The vitest run shares its isolate with the test (vitest and the test's modules,
// about 45 MB live), so it cannot show the close's own heap; here the worker runs alone under
// `wrangler dev` (scripts/network/edge.ts, real local D1, Durable Objects and R2). V8's limit
// (--max-old-space-size) leaves out typed arrays, which a Worker's 128 MB counts: the heap is
// limited to 128 MB less the typed arrays the Node run measures for the same close, so a close
// that completes here fits both together. The epoch is generated into the edge's D1 before the
// worker starts (test/worker/support/scale-epoch.ts through wrangler's platform proxy); the
// close is driven by the admin route as the scale test drives it; V8's GC trace (workerd's
// output, line-buffered by stdbuf's preload) gives the most live heap in each invocation.

import { openSync, readSync, rmSync, mkdirSync, statSync, closeSync } from "node:fs";
import { getPlatformProxy } from "wrangler";
import { join } from "node:path";
import { ProcessGroup, run } from "../../scripts/network/processes.ts";
import { ROOT, bin } from "../../scripts/network/chain.ts";
import { startEdge, WRANGLER_QUIET_ENV } from "../../scripts/network/edge.ts";
import type { ScaleShape } from "../../test/worker/support/scale-shape.ts";
/**
 * The scale test's generator, imported at run time: it is worker code (D1's types), outside this
 * Node program's types (tsconfig.json excludes worker/), and runs in Node on the platform proxy's D1.
 */
const SCALE_EPOCH = "../../test/worker/support/scale-epoch.ts";
type Generate = (db: unknown, epoch: number, s: ScaleShape) => Promise<void>;

/** The most live heap (MB) after a mark-compact in any of workerd's isolates (the worker's is the largest), in the log text since `from`. */
function liveHeapSince(logPath: string, from: number): { next: number; mostMb: number } {
  const size = statSync(logPath).size;
  const buf = Buffer.alloc(size - from);
  const fd = openSync(logPath, "r");
  readSync(fd, buf, 0, buf.length, from);
  closeSync(fd);
  let mostMb = 0;
  for (const m of buf.toString().matchAll(/^\[\d+:0x[0-9a-f]+\][^\n]*Mark-Compact[^\n]*-> ([\d.]+) \(/gm)) mostMb = Math.max(mostMb, Number(m[1]));
  return { next: size, mostMb };
}

/** CPU seconds of the workerd processes under `root` (bench/close.ts workerdNow). */
type CpuOf = (root: number) => { cpu: number };

export async function edgeRun(shape: ScaleShape, heapMb: number, cpuOf: CpuOf): Promise<boolean> {
  const dir = join(ROOT, ".vidya", "bench", "close-edge");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const state = join(dir, "wrangler-state");
  const env = { CI: "1", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", WRANGLER_LOG_PATH: join(dir, "wrangler-logs"), ...WRANGLER_QUIET_ENV };
  await run(bin("wrangler"), ["d1", "migrations", "apply", "vidya", "--local", "--persist-to", state], { cwd: ROOT, env });
  const t0 = Date.now();
  const { generateScaleEpoch } = (await import(SCALE_EPOCH)) as { generateScaleEpoch: Generate };
  // The proxy warns that it serves none of the Durable Objects: only its D1 is used.
  const proxy = await getPlatformProxy<{ DB: unknown }>({ configPath: join(ROOT, "wrangler.jsonc"), persist: { path: join(state, "v3") }, remoteBindings: false });
  try {
    await generateScaleEpoch(proxy.env.DB, 1, shape);
  } finally {
    await proxy.dispose();
  }
  console.log(`edge: epoch 1 generated into the edge's D1 in ${Date.now() - t0} ms`);

  const group = new ProcessGroup(join(dir, "logs"));
  // The worker's isolate alone under the limit; the GC trace line-buffered through wrangler to the log.
  const saved = { flags: process.env.MINIFLARE_WORKERD_V8_FLAGS, preload: process.env.LD_PRELOAD, stdbuf: process.env._STDBUF_O };
  Object.assign(process.env, { MINIFLARE_WORKERD_V8_FLAGS: `--max-old-space-size=${heapMb} --trace-gc`, LD_PRELOAD: "/usr/libexec/coreutils/libstdbuf.so", _STDBUF_O: "L" });
  try {
    const edge = await startEdge(group, { dir, vars: { CHALLENGE_ROUNDS: "0" }, logLevel: "log" });
    const root = edge.process.child.pid!;
    let at = liveHeapSince(edge.process.logPath, 0).next;
    let state = "";
    for (let i = 1; i <= 12 && state !== "final"; i++) {
      const before = cpuOf(root).cpu;
      const t = Date.now();
      const res = await fetch(`${edge.url}/admin/epochs/close`, { method: "POST", headers: { authorization: `Bearer ${edge.adminToken}` } });
      const body = (await res.json().catch(() => ({}))) as { state?: string; error?: { code?: string; message?: string } };
      const heap = liveHeapSince(edge.process.logPath, at);
      at = heap.next;
      state = ((await (await fetch(`${edge.url}/api/epochs/1`)).json().catch(() => ({}))) as { state?: string }).state ?? "";
      console.log(
        `edge: close invocation ${i}: HTTP ${res.status} ${body.error?.code ?? body.state ?? ""}, ${Date.now() - t} ms wall, workerd CPU ${(cpuOf(root).cpu - before).toFixed(1)} s, live heap at most ${heap.mostMb.toFixed(1)} MB after a mark-compact (limit ${heapMb} MB); epoch 1 ${state || "not settled"}`,
      );
      if (res.status >= 500 && body.error?.code !== "close_in_progress" && body.error?.code !== "post_pending") {
        console.log(`edge: the close failed: ${body.error?.message ?? res.status}; see ${edge.process.logPath}`);
        return false;
      }
    }
    return state === "final";
  } finally {
    await group.stopAll();
    for (const [k, v] of [["MINIFLARE_WORKERD_V8_FLAGS", saved.flags], ["LD_PRELOAD", saved.preload], ["_STDBUF_O", saved.stdbuf]] as const)
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
}
