// `npm test`: every suite (types, protocol, the simulation's pure parts and node in Node, the
// worker inside workerd, the contracts under forge, adversarial nodes, real BitTorrent clients,
// the site in Chromium, then the end-to-end network), then one summary line. Suites in one
// phase run at once: only those with no timing to miss (the typecheck and forge; the clients
// and the site, whose waits poll), never the adversarial or e2e suites, whose relay budgets
// and challenge deadlines a busy machine could break. The Node and worker suites run two
// files at a time at least (below).
//   npm test                 all suites
//   npm test -- --skip e2e   leave out a suite by name

import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const BIN = join(ROOT, "node_modules", ".bin");
const OUT = join(ROOT, ".tmp", "test-results");
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

interface Counts { passed: number; failed: number; skipped: number }
interface Suite { name: string; cmd: string; args: string[]; counts: (stdout: string) => Counts }

function vitestCounts(file: string) {
  return (): Counts => {
    const r = JSON.parse(readFileSync(file, "utf8")) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number };
    return { passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + r.numTodoTests };
  };
}
const vitest = (name: string, config: string, extra: string[] = []): Suite => {
  const file = join(OUT, `${name}.json`);
  return { name, cmd: join(BIN, "vitest"), args: ["run", "--config", config, ...extra, "--reporter=default", "--reporter=json", `--outputFile.json=${file}`], counts: vitestCounts(file) };
};

// Vitest runs cores − 1 files at once: one on a 2-core CI machine, where the node tests' files
// mostly wait on their edge's and anvil's start and the worker's on workerd's (measured there:
// node 230 s one at a time, 113 s two at a time; worker 211 s and 107 s). At least two, as on
// any 3-core machine. The adversarial, e2e, interop and web projects stay one file at a time.
const workers = `--maxWorkers=${Math.max(2, availableParallelism() - 1)}`;

const phases: Suite[][] = [
  [
    { name: "types", cmd: join(BIN, "node"), args: [join(ROOT, "scripts", "typecheck.ts")], counts: () => ({ passed: 3, failed: 0, skipped: 0 }) },
    {
      name: "contracts",
      cmd: join(BIN, "node"),
      args: [join(ROOT, "scripts", "forge.ts"), "test"],
      counts: (out) => {
        // forge ends with "Ran N test suites in …: P tests passed, F failed, S skipped (T total tests)"
        const m = /(\d+) tests passed, (\d+) failed, (\d+) skipped/.exec(out);
        if (!m) throw new Error("no forge summary");
        return { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3]) };
      },
    },
  ],
  [vitest("protocol-and-node", "vitest.node.config.ts", ["--project", "protocol", "--project", "sim", "--project", "node", workers])],
  [vitest("worker", "vitest.worker.config.ts", [workers])],
  // Relays, forgers, corrupted and deleted data against the real edge, slashed on anvil.
  [vitest("adversarial", "vitest.node.config.ts", ["--project", "adversarial"])],
  [
    // Real BitTorrent clients (Debian's Transmission, aria2, qBittorrent-nox, rTorrent; .ci/run installs them).
    vitest("interop", "vitest.node.config.ts", ["--project", "interop"]),
    // The members' site in Debian's headless Chromium against anvil, workerd and a node.
    vitest("web", "vitest.node.config.ts", ["--project", "web"]),
  ],
  [vitest("e2e", "vitest.node.config.ts", ["--project", "e2e"])],
];

const skip = new Set<string>();
for (let i = 2; i < process.argv.length; i++) if (process.argv[i] === "--skip") skip.add(process.argv[++i] ?? "");

/** Runs one suite; `quiet` keeps its output (stdout and stderr) to print as one block when it ends, for suites run at once. */
function runSuite(s: Suite, quiet = false): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    if (!quiet) console.log(`\n=== ${s.name} ===`);
    const child = spawn(s.cmd, s.args, { cwd: ROOT, stdio: ["ignore", "pipe", quiet ? "pipe" : "inherit"], env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" } });
    let stdout = "";
    let block = "";
    child.stdout?.on("data", (d) => {
      stdout += d;
      if (quiet) block += d;
      else process.stdout.write(d);
    });
    child.stderr?.on("data", (d) => (block += d));
    child.on("exit", (code) => {
      if (quiet) process.stdout.write(`\n=== ${s.name} ===\n${block}`);
      resolve({ code: code ?? 1, stdout });
    });
  });
}

// Build first: the node's chain tests and the end-to-end network deploy the forge artifacts;
// the site's pages load its bundled browser script.
const none = () => ({ passed: 0, failed: 0, skipped: 0 });
const build = await runSuite({ name: "build contracts", cmd: join(BIN, "node"), args: [join(ROOT, "scripts", "forge.ts"), "build"], counts: none });
const buildWeb = build.code === 0 ? await runSuite({ name: "build site script", cmd: join(BIN, "node"), args: [join(ROOT, "scripts", "build-web.ts")], counts: none }) : build;
if (build.code !== 0 || buildWeb.code !== 0) {
  console.log("tests: 0 passed, 1 failed, 0 skipped");
  process.exit(1);
}

const total: Counts = { passed: 0, failed: 0, skipped: 0 };
const lines: string[] = [];
const started = Date.now();
async function timed(s: Suite, quiet: boolean): Promise<string> {
  const t = Date.now();
  const { code, stdout } = await runSuite(s, quiet);
  let c: Counts;
  try {
    c = s.counts(stdout);
  } catch {
    c = { passed: 0, failed: 1, skipped: 0 };
  }
  // A runner that failed without counting a failure (crash, type error) still fails the run.
  if (code !== 0 && c.failed === 0) c.failed = 1;
  total.passed += c.passed;
  total.failed += c.failed;
  total.skipped += c.skipped;
  return `${s.name.padEnd(18)} ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped  (${((Date.now() - t) / 1000).toFixed(0)} s${quiet ? ", run at once with its phase" : ""}, exit ${code})`;
}
for (const phase of phases) {
  for (const s of phase) if (skip.has(s.name)) lines.push(`${s.name.padEnd(18)} skipped by --skip`);
  const run = phase.filter((s) => !skip.has(s.name));
  const quiet = run.length > 1;
  if (quiet) console.log(`\n=== ${run.map((s) => s.name).join(" and ")}, at once (each one's output when it ends) ===`);
  lines.push(...(await Promise.all(run.map((s) => timed(s, quiet)))));
}
console.log(`\n=== summary ===\n${lines.join("\n")}\nall suites: ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(total.failed > 0 ? 1 : 0);
