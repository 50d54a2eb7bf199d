// npm run bench:node — the seeding node's footprint and speed (issue 15 part 3), measured on
// the real thing: `vidya node start` (node/cli.ts) in its own process against the worker in
// workerd (node/testing/edge.ts), hosting a payload of each size.
//
//   1. RSS seeding 1 GiB and 5 GiB: the process's resident set (/proc/<pid>/status VmRSS)
//      idle after it reported the payload, after a challenge round, and its peak (VmHWM) over
//      the first start, which hashes everything. Target ≤ 150 MB idle at 5 GiB.
//   2. Restart: SIGTERM, start again, time until the node logs that it seeds the payload
//      (saved piece state, node/storage/resume.ts) beside the first start's full hash.
//   3. node → client transfer on this machine: a Transmission leecher (Debian's
//      transmission-daemon) downloads the 1 GiB torrent from the node, then a fresh one from a
//      Transmission seeder, each through the tracker with a member's passkey, timed from its
//      first byte to its last. Target node ≥ 0.5× Transmission's rate.
//
// Payloads are sparse files (zeros): reading them costs no disk, the hashing and the wire are
// the same as for any bytes. Options: --sizes 1,5 (GiB), --transfer-gib N (default 1; 0 skips),
// --idle-seconds N (default 15), --package (the packed package under the system's Node, as
// users run it, instead of node/cli.ts under the repository's Node 24).

import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, ftruncateSync, linkSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, networkInterfaces } from "node:os";
import { delimiter, join } from "node:path";
import { parseArgs } from "node:util";
import createTorrent from "create-torrent";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { TrackerApi, type IndexTorrent } from "../node/api.ts";
import { storageTreeFromFiles } from "../node/storage/payload.ts";
import { startTestEdge, type TestEdge } from "../node/testing/edge.ts";
import { toHex } from "../protocol/hex.ts";
import { parseTorrent } from "../protocol/torrent.ts";
import { ROOT, bin } from "../scripts/network/chain.ts";
import { freePort, run, waitFor } from "../scripts/network/processes.ts";
import { Transmission } from "../test/interop/support/bt-clients.ts";
import { buildPackage } from "../scripts/build-package.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "1,5" },
    "transfer-gib": { type: "string", default: "1" },
    "idle-seconds": { type: "string", default: "15" },
    /** Run the installed package (scripts/build-package.ts) under the system's Node instead of node/cli.ts under Node 24. */
    package: { type: "boolean", default: false },
  },
});
const GiB = 1024 ** 3;
const MB = 1e6;
const sizes = values.sizes.split(",").map(Number);
const idleMs = Number(values["idle-seconds"]) * 1000;
/** The `vidya` command the nodes run: node/cli.ts under the repository's Node 24, or the installed package (--package). */
let vidya: string[] = [bin("node"), join(ROOT, "node", "cli.ts")];

/** Packs and installs the package into `dir` as a user would; its bin under the first `node` on PATH outside node_modules. */
async function installPackage(dir: string): Promise<string[]> {
  const built = await buildPackage(join(dir, "build"));
  const prefix = join(dir, "install");
  mkdirSync(prefix, { recursive: true });
  await run("npm", ["install", "--omit=dev", "--offline", "--no-audit", "--no-fund", "--prefix", prefix, built.tarball]);
  const node = (process.env.PATH ?? "").split(delimiter).filter((d) => d && !d.includes("node_modules")).map((d) => join(d, "node")).find((p) => existsSync(p));
  if (!node) throw new Error("no node on PATH outside node_modules");
  return [node, join(prefix, "node_modules", "vidya", "bin", "vidya.js")];
}

/** VmRSS and VmHWM of a process, bytes. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? 0) * 1024;
  return { rss: kb("VmRSS"), peak: kb("VmHWM") };
}

/** A sparse file of `bytes` zeros. */
function sparseFile(path: string, bytes: number): void {
  const fd = openSync(path, "w");
  ftruncateSync(fd, bytes);
  closeSync(fd);
}

function makeTorrent(path: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) =>
    createTorrent(path, { private: true, announceList: [["http://127.0.0.1:9/announce"]], urlList: [] }, (err: Error | null, t: Buffer) => (err ? reject(err) : resolve(new Uint8Array(t)))),
  );
}

interface Payload {
  name: string;
  path: string;
  bytes: number;
  torrentFile: Uint8Array;
  indexed: IndexTorrent;
}

async function publish(edge: TestEdge, dir: string, gib: number): Promise<Payload> {
  const name = `bench-${gib}gib.bin`;
  const path = join(dir, name);
  const bytes = Math.round(gib * GiB);
  if (!existsSync(path)) sparseFile(path, bytes);
  const torrentFile = await makeTorrent(path);
  const root = toHex((await storageTreeFromFiles([path])).root);
  const indexed = await edge.api<IndexTorrent>(`/api/torrents?storageRoot=${root}`, { method: "POST", admin: true, headers: { "content-type": "application/x-bittorrent" }, body: new Uint8Array(torrentFile) });
  return { name, path, bytes, torrentFile, indexed };
}

/** A running `vidya node start`, its log lines collected. */
class NodeProcess {
  readonly lines: string[] = [];
  readonly child: ChildProcess;
  private constructor(child: ChildProcess) {
    this.child = child;
    for (const s of [child.stdout!, child.stderr!]) {
      let rest = "";
      s.setEncoding("utf8").on("data", (d: string) => {
        const parts = (rest + d).split("\n");
        rest = parts.pop()!;
        this.lines.push(...parts);
      });
    }
  }

  static start(home: string): NodeProcess {
    return new NodeProcess(spawn(vidya[0]!, [...vidya.slice(1), "--home", home, "node", "start"], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] }));
  }

  /** Milliseconds from `since` until a log line matches. */
  async until(re: RegExp, since: number, timeoutMs = 600_000): Promise<number> {
    await waitFor(`the node to log ${re}`, async () => {
      if (this.child.exitCode !== null) throw new Error(`the node exited:\n${this.lines.slice(-20).join("\n")}`);
      return this.lines.some((l) => re.test(l)) ? true : undefined;
    }, timeoutMs, 100);
    return Date.now() - since;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.kill("SIGTERM");
    await exited;
  }
}

/** The highest RSS seen over `ms`, sampled every 250 ms. */
async function idleRss(pid: number, ms: number): Promise<number> {
  let max = 0;
  for (const end = Date.now() + ms; Date.now() < end; ) {
    max = Math.max(max, memoryOf(pid).rss);
    await new Promise((r) => setTimeout(r, 250));
  }
  return max;
}

interface SizeResult {
  gib: number;
  firstStartMs: number;
  peakFirst: number;
  idle: number;
  afterChallenge: number;
  restartMs: number;
  idleAfterRestart: number;
  peakRestart: number;
  resumedLine: string;
}

async function measureSize(edge: TestEdge, work: string, p: Payload, host: string | undefined): Promise<{ result: SizeResult; node: NodeProcess; home: string }> {
  const home = join(work, `node-${p.name}`);
  const port = await freePort();
  await run(vidya[0]!, [...vidya.slice(1), "--home", home, "node", "init", "--tracker", edge.url, "--port", String(port), "--no-fill", "--storage-cap", `${Math.ceil(p.bytes / GiB) + 1}GiB`, ...(host ? ["--bind", host] : [])], { cwd: ROOT });
  mkdirSync(join(home, "data"), { recursive: true });
  linkSync(p.path, join(home, "data", p.name));
  const seeding = new RegExp(`seeding ${p.name.replace(/\./g, "\\.")}`);

  let t0 = Date.now();
  let node = NodeProcess.start(home);
  const firstStartMs = await node.until(seeding, t0);
  const peakFirst = memoryOf(node.child.pid!).peak;
  const idle = await idleRss(node.child.pid!, idleMs);
  const rounds = await edge.runChallenges();
  if (!rounds.some((r) => r.verdict === "pass")) throw new Error(`the node failed its challenges: ${JSON.stringify(rounds)}`);
  const afterChallenge = Math.max(idle, await idleRss(node.child.pid!, 3_000));
  await node.stop();

  t0 = Date.now();
  node = NodeProcess.start(home);
  const restartMs = await node.until(seeding, t0);
  const resumedLine = node.lines.find((l) => seeding.test(l)) ?? "";
  if (!/resumed from saved piece state/.test(resumedLine)) throw new Error(`the restart did not resume: ${resumedLine}`);
  const idleAfterRestart = await idleRss(node.child.pid!, idleMs);
  const peakRestart = memoryOf(node.child.pid!).peak;
  return { result: { gib: p.bytes / GiB, firstStartMs, peakFirst, idle, afterChallenge, restartMs, idleAfterRestart, peakRestart, resumedLine }, node, home };
}

/**
 * Transmission 3 never dials a 127.0.0.0/8 peer (libtransmission's martian check), so the
 * transfer runs on this machine's own non-loopback address, which Linux still delivers
 * through the loopback device: every party binds it and announces from it.
 */
function hostAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
}

/** A fresh Transmission leecher of `p` (a member's passkey), in the swarm before any seeder. */
async function leecher(edge: TestEdge, api: TrackerApi, dir: string, p: Payload, host: string): Promise<{ tr: Transmission; id: number }> {
  const member = privateKeyToAccount(generatePrivateKey());
  const { passkey } = await api.join(member, (await api.chain()).chainId, await edge.invite());
  const torrent = await api.torrentFile(passkey, p.indexed.infoHash);
  mkdirSync(join(dir, "downloads"), { recursive: true });
  const tr = await Transmission.start(edge.group, dir, host);
  const id = await tr.add(torrent, join(dir, "downloads"));
  await waitFor("the leecher's first announce", async () => ((await tr.tracker(id)).hasAnnounced ? true : undefined), 60_000, 100);
  return { tr, id };
}

/** Seconds from the first byte to the last of the leecher's download. */
async function downloadSeconds(l: { tr: Transmission; id: number }): Promise<number> {
  let first: number | undefined;
  await waitFor("the download", async () => {
    const t = await l.tr.torrent(l.id);
    if (t.error) throw new Error(`transmission: ${t.error}`);
    if (first === undefined && t.progress > 0) first = Date.now();
    return t.progress >= 1 ? true : undefined;
  }, 1_800_000, 50);
  await l.tr.remove(l.id);
  return (Date.now() - first!) / 1000;
}

/** A Transmission seeding `p` from a hard link of the payload. */
async function transmissionSeeder(edge: TestEdge, api: TrackerApi, dir: string, p: Payload, host: string): Promise<void> {
  const member = privateKeyToAccount(generatePrivateKey());
  const { passkey } = await api.join(member, (await api.chain()).chainId, await edge.invite());
  const torrent = await api.torrentFile(passkey, p.indexed.infoHash);
  mkdirSync(join(dir, "downloads"), { recursive: true });
  linkSync(p.path, join(dir, "downloads", p.name));
  const tr = await Transmission.start(edge.group, dir, host);
  await tr.add(torrent, join(dir, "downloads"));
}

const mb = (n: number) => `${(n / MB).toFixed(0)} MB`;

async function main(): Promise<void> {
  const edge = await startTestEdge("bench-node");
  const work = join(edge.dir, "work");
  mkdirSync(work, { recursive: true });
  const api = new TrackerApi(edge.url);
  if (values.package) vidya = await installPackage(join(work, "package"));
  const nodeVersion = (await run(vidya[0]!, ["--version"])).stdout.trim();
  const results: SizeResult[] = [];
  const host = hostAddress();
  if (!host && Number(values["transfer-gib"]) > 0) process.stderr.write("no non-loopback IPv4 address: skipping the transfer (Transmission dials no 127/8 peer)\n");
  let transfer: { node: number; transmission: number; gib: number } | undefined;
  try {
    const payloads = new Map<number, Payload>();
    for (const gib of new Set([...sizes, Number(values["transfer-gib"])].filter((g) => g > 0))) {
      process.stderr.write(`writing and publishing a ${gib} GiB payload\n`);
      payloads.set(gib, await publish(edge, work, gib));
    }
    for (const gib of sizes) {
      process.stderr.write(`measuring a node hosting ${gib} GiB\n`);
      const { result, node, home } = await measureSize(edge, work, payloads.get(gib)!, host);
      results.push(result);
      process.stderr.write(`${JSON.stringify(result)}\n`);
      const tg = Number(values["transfer-gib"]);
      if (tg === gib && host) {
        await node.stop();
        process.stderr.write(`transfer: Transmission downloads ${gib} GiB from the node\n`);
        const a = await leecher(edge, api, join(work, "leech-node"), payloads.get(gib)!, host);
        const seeder = NodeProcess.start(home);
        const fromNode = await downloadSeconds(a);
        await seeder.stop();
        process.stderr.write(`transfer: Transmission downloads ${gib} GiB from Transmission\n`);
        const b = await leecher(edge, api, join(work, "leech-tr"), payloads.get(gib)!, host);
        await transmissionSeeder(edge, api, join(work, "seed-tr"), payloads.get(gib)!, host);
        const fromTr = await downloadSeconds(b);
        transfer = { node: fromNode, transmission: fromTr, gib };
      } else await node.stop();
    }
  } finally {
    await edge.stop();
    // The payloads are sparse, but the leechers' copies are not: the logs stay, the data goes.
    rmSync(work, { recursive: true, force: true });
  }

  const lines = [
    `${values.package ? "the installed package" : "node/cli.ts"} under Node ${nodeVersion}, ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}; payloads are sparse files; RSS from /proc/<pid>/status.`,
    "",
    "| hosted | first start (hash all) | peak RSS, first start | idle RSS | RSS after a challenge round | restart to seeding | idle RSS after restart | target |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...results.map((r) => `| ${r.gib} GiB | ${(r.firstStartMs / 1000).toFixed(1)} s | ${mb(r.peakFirst)} | ${mb(r.idle)} | ${mb(r.afterChallenge)} | ${(r.restartMs / 1000).toFixed(1)} s | ${mb(r.idleAfterRestart)} | idle ≤ 150 MB |`),
  ];
  if (transfer) {
    const rate = (s: number) => (transfer!.gib * GiB) / s / MB;
    lines.push(
      "",
      `| ${transfer.gib} GiB over loopback to Transmission 3 | seconds | MB/s | ratio | target |`,
      "| --- | --- | --- | --- | --- |",
      `| from the vidya node | ${transfer.node.toFixed(1)} | ${rate(transfer.node).toFixed(0)} | ${(rate(transfer.node) / rate(transfer.transmission)).toFixed(2)}× | ≥ 0.5× |`,
      `| from Transmission 3 | ${transfer.transmission.toFixed(1)} | ${rate(transfer.transmission).toFixed(0)} | 1× | |`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

await main();
