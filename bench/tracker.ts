// `npm run bench:tracker`: the same announce load (wrk + bench/announce.lua: many torrents,
// peers re-announcing with compact=1, keep-alive where the server allows) against, one after
// another:
//   vidya               our worker, production build (wrangler deploy --dry-run --minify) run by
//                       Miniflare on workerd, local D1 with migrations and SQLite Durable Objects;
//                       10,000 members (one passkey each) and the torrents registered first
//   trivial worker      bench/trivial-worker.ts on the same workerd: the ceiling; and the same
//                       with one Durable Object RPC per request (the hop every announce pays)
//   opentracker         Debian's /usr/bin/opentracker (whitelist build: the torrents are listed)
//   bittorrent-tracker  webtorrent's, from npm, HTTP only, in its own Node process
// then one hot swarm (every announce to one info hash) on each tracker, each the median of
// --runs runs; then, on ours, a mostly-idle-seeder mix (9 in 10 peers seeds whose counters do
// not move); the D1 and shard-SQLite rows our worker wrote per announce in each mix, from its
// own counters in /metrics (D1's rows_written, SQLite's rowsWritten), during the runs and once
// the credit the shards hold is sent (POST /admin/swarms/flush), and the dollars per million
// announces at list prices (bench/support/prices.ts); and
// memory per peer of the real SwarmShard class, in Node (bench/peer-memory.ts: workerd's own
// heap figures, through its inspector or its resident memory, did not isolate the shards').
// The peers are pools written to files here (peer ids, ports, torrents, members); before a
// measurement every peer of the pool announces once (the steady state of a tracker whose
// clients are all known), then wrk re-announces random ones for --seconds.
// Everything listens on 127.0.0.1 and every process started is stopped at the end.
//   npm run bench:tracker -- [--seconds 10] [--connections 32] [--threads 2] [--torrents 1000]
//                            [--pool 10000] [--runs 3] [--only vidya,trivial,opentracker,bittorrent-tracker]

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import ts from "typescript";
import { encode } from "../protocol/bencode.ts";
import { fromHex } from "../protocol/hex.ts";
import { ProcessGroup, freePort, run, waitFor } from "../scripts/network/processes.ts";
import { buildWorker as buildProductionWorker, startWorkerd, wranglerConfig } from "./support/workerd.ts";
import { dollarsPerMillion } from "./support/prices.ts";

const ROOT = join(import.meta.dirname, "..");
const OUT = join(ROOT, ".tmp", "bench");
const BIN = join(ROOT, "node_modules", ".bin");
const LUA = join(ROOT, "bench", "announce.lua");

const { values: flags } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    connections: { type: "string", default: "32" },
    threads: { type: "string", default: "2" },
    torrents: { type: "string", default: "1000" },
    pool: { type: "string", default: "10000" },
    runs: { type: "string", default: "3" },
    only: { type: "string", default: "vidya,trivial,opentracker,bittorrent-tracker" },
  },
});
const SECONDS = Number(flags.seconds);
const CONNECTIONS = Number(flags.connections);
const THREADS = Number(flags.threads);
const TORRENTS = Number(flags.torrents);
const POOL = Number(flags.pool); // peers in a pool
/** Runs per measurement; the median (by announces/s) is reported, this machine being shared. */
const RUNS = Math.max(1, Number(flags.runs));
const ONLY = new Set(flags.only.split(","));
const ADMIN_TOKEN = "bench-admin-token";
const PASSKEY = "0123456789abcdef0123456789abcdef";
/** Members announcing (one passkey each): enough that none has more than a few sessions in one swarm, even the hot one. */
const MEMBERS = 10_000;

interface WrkResult {
  requests: number;
  duration_us: number;
  p50_us: number;
  p99_us: number;
  max_us: number;
  ok: number;
  failures: number;
  other: number;
  connect_errors: number;
  read_errors: number;
  write_errors: number;
  status_errors: number;
  timeouts: number;
}

interface Row {
  server: string;
  load: PoolKind;
  result?: WrkResult;
  note?: string;
}

const rows: Row[] = [];
const group = new ProcessGroup(join(OUT, "logs"));
const miniflares = new Set<Miniflare>();

async function stopEverything(): Promise<void> {
  await Promise.allSettled([...miniflares].map((mf) => mf.dispose()));
  miniflares.clear();
  await group.stopAll();
}

for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, () => {
    console.error(`\n${signal}: stopping every process started`);
    void stopEverything().finally(() => process.exit(130));
  });

function log(message: string): void {
  console.log(`[bench] ${message}`);
}

// ---------------------------------------------------------------------------------------
// Peer pools: one peer a line, `<path> <info hash> <peer id> <port> <left>` (escaped), read by
// bench/announce.lua. The same pools for every tracker; ours carries members' passkeys.

type PoolKind = "many" | "hot" | "idle";

/** mulberry32: the same pools on every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const escapeBytes = (b: Uint8Array) => Array.from(b, (x) => "%" + x.toString(16).padStart(2, "0").toUpperCase()).join("");

/**
 * Writes a pool; with `keys`, each peer announces at a member's URL, never more than three of a
 * member in a swarm. In the idle pool 9 peers in 10 are seeds whose counters never move.
 */
function writePool(kind: PoolKind, hashes: string[], keys: string[] | undefined): string {
  const random = prng(kind === "many" ? 1 : kind === "hot" ? 2 : 3);
  const lines: string[] = [];
  for (let g = 0; g < POOL; g++) {
    const t = kind === "hot" ? 0 : Math.floor(random() * hashes.length);
    const k = g % (keys?.length ?? 1);
    const pid = new Uint8Array(20);
    pid.set(new TextEncoder().encode("-qB4650-"));
    for (let i = 8; i < 20; i++) pid[i] = Math.floor(random() * 256);
    const idle = kind === "idle" && random() < 0.9;
    const left = idle || random() < 0.25 ? 0 : 1 + Math.floor(random() * 1_000_000_000);
    lines.push(`${keys ? "/" + keys[k] : ""} ${escapeBytes(fromHex(hashes[t]!))} ${escapeBytes(pid)} ${1025 + Math.floor(random() * 64_000)} ${left}${idle ? " 1" : ""}`);
  }
  const file = join(OUT, `pool-${kind}${keys ? "-members" : ""}.txt`);
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

const randomIp = () => `10.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`;

/** Announces every peer of a pool once (`started`), CONNECTIONS at a time; returns the announces answered without a failure. */
async function warm(url: string, file: string, cf: boolean): Promise<number> {
  const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
  let next = 0;
  let ok = 0;
  const worker = async () => {
    for (let i = next++; i < lines.length; i = next++) {
      const [path, ih, pid, port, left] = lines[i]!.split(" ");
      const res = await fetch(`${url}${path}/announce?info_hash=${ih}&peer_id=${pid}&port=${port}&uploaded=0&downloaded=0&left=${left}&event=started&numwant=50&compact=1`, {
        headers: cf ? { "CF-Connecting-IP": randomIp() } : {},
      });
      const body = await res.text();
      if (res.status === 200 && !body.includes("failure reason")) ok++;
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  return ok;
}

/** Runs wrk with bench/announce.lua re-announcing random peers of a pool; returns its BENCH line. */
async function wrk(url: string, file: string, cf: boolean, seconds = SECONDS): Promise<WrkResult> {
  const args = ["-t", String(THREADS), "-c", String(CONNECTIONS), "-d", `${seconds}s`, "--timeout", "10s", "-s", LUA, url, "--", file, "loop", cf ? "cf" : "plain", String(THREADS)];
  const { stdout } = await run("wrk", args, { timeoutMs: (seconds + 60) * 1000 });
  const line = stdout.split("\n").find((l) => l.startsWith("BENCH "));
  if (!line) throw new Error(`wrk printed no BENCH line:\n${stdout}`);
  return JSON.parse(line.slice(6)) as WrkResult;
}

async function measure(server: string, url: string, pools: Partial<Record<PoolKind, string>>, cf: boolean, onWarmed?: () => Promise<void>): Promise<void> {
  for (const load of (["many", "hot", "idle"] as const).filter((l) => pools[l])) {
    const file = pools[load]!;
    // Not counted: every peer of the pool announces once (its member and torrent read, its
    // session in the swarm), then a short run for the JIT and the connections.
    log(`${server}: warming ${POOL.toLocaleString("en-US")} peers${load === "hot" ? " of one swarm" : ""}`);
    const warmed = await warm(url, file, cf);
    if (warmed < POOL * 0.99) log(`${server}: only ${warmed} of ${POOL} peers were admitted while warming`);
    await wrk(url, file, cf, 2);
    await onWarmed?.();
    log(`${server}: ${loadName(load)}, ${CONNECTIONS} connections, ${RUNS} × ${SECONDS} s`);
    const results: WrkResult[] = [];
    for (let i = 0; i < RUNS; i++) results.push(await wrk(url, file, cf));
    results.sort((a, b) => a.ok / a.duration_us - b.ok / b.duration_us);
    rows.push({ server, load, result: results[Math.floor(results.length / 2)]! });
  }
}

function loadName(load: PoolKind): string {
  return load === "hot" ? "one hot swarm" : load === "idle" ? `${TORRENTS} torrents, 90% idle seeds` : `${TORRENTS} torrents`;
}

function waitForPort(port: number): Promise<true> {
  return waitFor(`127.0.0.1:${port}`, () =>
    new Promise<true | undefined>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => (s.destroy(), resolve(true)));
      s.once("error", () => resolve(undefined));
    }),
  );
}

// ---------------------------------------------------------------------------------------
// Torrents: small private v1 torrents, deterministic, registered with our worker and listed
// for the other trackers.

function makeTorrent(i: number): Uint8Array<ArrayBuffer> {
  const pieces = new Uint8Array(20);
  new DataView(pieces.buffer).setUint32(0, i);
  return new Uint8Array(
    encode({
      announce: "http://127.0.0.1/announce",
      info: { name: `bench-${i}.bin`, "piece length": 16_384, length: 16_384, pieces, private: 1 },
    }),
  );
}

// ---------------------------------------------------------------------------------------
// (a) our worker on workerd

async function buildWorker(): Promise<string> {
  log("building the worker: wrangler deploy --dry-run --minify");
  return buildProductionWorker(join(OUT, "build"));
}


async function startVidya(scriptPath: string): Promise<{ mf: Miniflare; url: string; keys: string[] }> {
  const { mf, url, d1 } = await startWorkerd(scriptPath, ADMIN_TOKEN);
  miniflares.add(mf);
  // Members who joined long ago (not newcomers), one passkey each.
  const joined = Date.now() - 90 * 86_400_000;
  const keys: string[] = [];
  const insert = d1.prepare("INSERT INTO members (account, passkey, admission, created_at) VALUES (?, ?, 'invite', ?)");
  for (let i = 0; i < MEMBERS; i += 500) {
    const batch = [];
    for (let j = i; j < Math.min(MEMBERS, i + 500); j++) {
      const passkey = j === 0 ? PASSKEY : j.toString(16).padStart(8, "0").repeat(4);
      keys.push(passkey);
      batch.push(insert.bind("0x" + j.toString(16).padStart(40, "0"), passkey, joined));
    }
    await d1.batch(batch);
  }
  return { mf, url, keys };
}

async function registerTorrents(url: string): Promise<string[]> {
  const hashes: string[] = new Array(TORRENTS);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < TORRENTS; i = next++) {
      const res = await fetch(`${url}/api/torrents?storageRoot=${"00".repeat(32)}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "application/x-bittorrent" },
        body: makeTorrent(i),
      });
      if (res.status !== 201) throw new Error(`registering torrent ${i}: HTTP ${res.status} ${await res.text()}`);
      hashes[i] = ((await res.json()) as { infoHash: string }).infoHash;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return hashes;
}


/** The V8 heap of the worker's isolate (it also runs its Durable Objects), after a full GC. */

/** Our worker's counters (GET /metrics): announces, and rows written by the shards to D1 and to their own SQLite. */
interface Counts {
  announces: number;
  d1Rows: number;
  doRows: number;
  flushes: number;
}

/**
 * Rows written per mix: in its measured runs (the steady state: every session known), during
 * its warm-up (every session new), and in all once the credit the shards held was sent.
 */
interface MixCost {
  load: PoolKind;
  warm: Counts;
  steady: Counts;
  sent: Counts;
}
const mixCosts: MixCost[] = [];

async function counts(url: string): Promise<Counts> {
  const text = await (await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
  const sum = (name: string) =>
    text
      .split("\n")
      .filter((l) => l.startsWith(name + "{") || l.startsWith(name + " "))
      .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
  return { announces: sum("vidya_announces_total"), d1Rows: sum("vidya_d1_rows_written_total"), doRows: sum("vidya_do_rows_written_total"), flushes: sum("vidya_flushes_total") };
}

const minus = (a: Counts, b: Counts): Counts => ({ announces: a.announces - b.announces, d1Rows: a.d1Rows - b.d1Rows, doRows: a.doRows - b.doRows, flushes: a.flushes - b.flushes });

/** Measures one mix on our worker and what it wrote: during the runs, then with every shard's held credit sent. */
async function flushShards(url: string): Promise<void> {
  const res = await fetch(`${url}/admin/swarms/flush`, { method: "POST", headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
  if (res.status !== 200) throw new Error(`POST /admin/swarms/flush: HTTP ${res.status}`);
}

async function measureMix(url: string, load: PoolKind, pool: string): Promise<void> {
  // Every shard's counters journaled first: one evicted meanwhile (idle) comes back with them.
  await flushShards(url);
  const before = await counts(url);
  let warmed = before;
  await measure("vidya (workerd)", url, { [load]: pool }, true, async () => void (warmed = await counts(url)));
  await new Promise((r) => setTimeout(r, 7_000)); // the shards' alarms seal and send what is urgent
  const after = await counts(url);
  await flushShards(url);
  mixCosts.push({ load, warm: minus(warmed, before), steady: minus(after, warmed), sent: minus(await counts(url), before) });
}

async function benchVidya(hashes: string[]): Promise<void> {
  const script = await buildWorker();
  log("starting the worker in Miniflare (workerd), applying migrations, registering members and torrents");
  const { mf, url, keys } = await startVidya(script);
  try {
    const registered = await registerTorrents(url);
    if (registered.join() !== hashes.join()) throw new Error("the worker computed other info hashes than the bench");
    await measureMix(url, "many", writePool("many", hashes, keys));
    await measureMix(url, "hot", writePool("hot", hashes, keys));
    await measureMix(url, "idle", writePool("idle", hashes, keys));
  } catch (e) {
    rows.push({ server: "vidya (workerd)", load: "many", note: `failed: ${(e as Error).message.split("\n")[0]}` });
    throw e;
  } finally {
    await mf.dispose();
    miniflares.delete(mf);
  }
}

// ---------------------------------------------------------------------------------------
// (b) the trivial worker on the same workerd

async function benchTrivial(pool: string): Promise<void> {
  const source = readFileSync(join(ROOT, "bench", "trivial-worker.ts"), "utf8");
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  const dir = join(OUT, "trivial");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "index.js"), js);
  // Plain, then with one Durable Object RPC per request (the hop every announce pays).
  for (const rpc of [false, true]) {
    const port = await freePort();
    const mf = new Miniflare(
      convertV4MiniflareOptions({
        name: "trivial",
        modules: true,
        scriptPath: join(dir, "index.js"),
        compatibilityDate: wranglerConfig().compatibility_date,
        host: "127.0.0.1",
        port,
        logRequests: false,
        ...(rpc ? { durableObjects: { ECHO: { className: "Echo", useSQLite: true } } } : {}),
      }),
    );
    miniflares.add(mf);
    try {
      await mf.ready;
      await measure(rpc ? "trivial worker + DO RPC" : "trivial worker (workerd)", `http://127.0.0.1:${port}`, { many: pool }, true);
    } finally {
      await mf.dispose();
      miniflares.delete(mf);
    }
  }
}

// ---------------------------------------------------------------------------------------
// (c) opentracker, (d) bittorrent-tracker

async function benchOpentracker(hashesFile: string, pools: { many: string; hot: string }): Promise<void> {
  const bin = "/usr/bin/opentracker";
  if (!existsSync(bin)) return void rows.push({ server: "opentracker", load: "many", note: "not installed (apt-get install opentracker)" });
  // Debian builds it with a whitelist: the torrents are listed, as ours are registered.
  const dir = join(OUT, "opentracker");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "whitelist.txt"), readFileSync(hashesFile));
  const port = await freePort();
  group.start("opentracker", bin, ["-i", "127.0.0.1", "-p", String(port), "-P", String(port), "-d", dir, "-w", "whitelist.txt"], { cwd: dir });
  await waitForPort(port);
  await new Promise((r) => setTimeout(r, 500)); // the whitelist is loaded by a thread of its own
  await measure("opentracker", `http://127.0.0.1:${port}`, pools, false);
  await group.stopAll();
}

async function benchBittorrentTracker(hashesFile: string, pools: { many: string; hot: string }): Promise<void> {
  const port = await freePort();
  group.start("bittorrent-tracker", process.execPath, [join(ROOT, "bench", "bittorrent-tracker-server.ts"), String(port), hashesFile], { cwd: ROOT });
  await waitForPort(port);
  await measure("bittorrent-tracker (Node)", `http://127.0.0.1:${port}`, pools, false);
  await group.stopAll();
}

async function nodePeerMemory(): Promise<{ bytesPerPeer: number | null; bytesPerPeerWithPending: number; bytesPerPeerWithCredit?: number | null; peers: number } | undefined> {
  try {
    const { stdout } = await run(process.execPath, ["--expose-gc", join(ROOT, "bench", "peer-memory.ts")], { cwd: ROOT, timeoutMs: 300_000 });
    const line = stdout.split("\n").find((l) => l.startsWith("PEER_MEMORY "));
    return line ? JSON.parse(line.slice(12)) : undefined;
  } catch (e) {
    log(`peer-memory failed: ${(e as Error).message.split("\n")[0]}`);
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------

function table(): string {
  const perSecond = (r: WrkResult) => r.ok / (r.duration_us / 1e6);
  const ms = (us: number) => (us / 1000).toFixed(2);
  const lines = [
    ["server", "load", "announces/s", "p50 ms", "p99 ms", "failures", "errors"],
    ...rows.map((r) =>
      r.result
        ? [
            r.server,
            loadName(r.load),
            Math.round(perSecond(r.result)).toLocaleString("en-US"),
            ms(r.result.p50_us),
            ms(r.result.p99_us),
            String(r.result.failures + r.result.other),
            String(r.result.connect_errors + r.result.read_errors + r.result.write_errors + r.result.timeouts),
          ]
        : [r.server, r.load, r.note ?? "-", "", "", "", ""],
    ),
  ];
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l, n) => l.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ") + (n === 0 ? "\n" + widths.map((w) => "-".repeat(w)).join("  ") : "")).join("\n");
}

function ratios(memory: Awaited<ReturnType<typeof nodePeerMemory>>): string {
  const rate = (server: string, load: "many" | "hot") => {
    const r = rows.find((x) => x.server.startsWith(server) && x.load === load)?.result;
    return r ? r.ok / (r.duration_us / 1e6) : undefined;
  };
  const ours = rate("vidya", "many");
  const oursRow = rows.find((x) => x.server.startsWith("vidya") && x.load === "many")?.result;
  const out: string[] = [];
  const ratio = (label: string, other: number | undefined, target?: number) => {
    if (ours === undefined || other === undefined) return out.push(`${label.padEnd(34)} -`);
    const x = ours / other;
    out.push(`${label.padEnd(34)} ${x.toFixed(2)}×${target ? `   target ≥ ${target}×  ${x >= target ? "met" : "NOT met"}` : ""}`);
  };
  ratio("vidya ÷ trivial worker", rate("trivial worker (workerd)", "many"), 0.8);
  ratio("vidya ÷ trivial worker + DO RPC", rate("trivial worker + DO RPC", "many"));
  ratio("vidya ÷ bittorrent-tracker", rate("bittorrent-tracker", "many"), 0.5);
  ratio("vidya ÷ opentracker", rate("opentracker", "many"));
  if (oursRow) {
    const p99 = oursRow.p99_us / 1000;
    out.push(`${"vidya p99 at " + CONNECTIONS + " connections".padEnd(20)}`.padEnd(34) + ` ${p99.toFixed(2)} ms   target ≤ 20 ms  ${p99 <= 20 ? "met" : "NOT met"}`);
  }
  const hot = rate("vidya", "hot");
  if (hot !== undefined) out.push(`${"vidya one hot swarm".padEnd(34)} ${Math.round(hot).toLocaleString("en-US")}/s   target ≥ 2,000/s  ${hot >= 2000 ? "met" : "NOT met"}`);
  const p99 = (server: string, load: PoolKind) => rows.find((x) => x.server.startsWith(server) && x.load === load)?.result?.p99_us;
  const hotP99 = p99("vidya", "hot");
  const trivialP99 = p99("trivial worker (workerd)", "many");
  if (hotP99 !== undefined && trivialP99 !== undefined) {
    const x = hotP99 / trivialP99;
    out.push(`${"hot swarm p99 ÷ trivial worker p99".padEnd(34)} ${x.toFixed(2)}×   (${(hotP99 / 1000).toFixed(1)} ms ÷ ${(trivialP99 / 1000).toFixed(1)} ms)   target ≤ 2×  ${x <= 2 ? "met" : "NOT met"}`);
  }
  for (const m of mixCosts) {
    const per = (c: Counts) => ({ d1: c.d1Rows / Math.max(1, c.announces), sq: c.doRows / Math.max(1, c.announces) });
    const line = (label: string, c: Counts, target: boolean, note: string) => {
      const r = per(c);
      out.push(
        `${label.padEnd(34)} ${(r.d1 + r.sq).toFixed(4)} (D1 ${r.d1.toFixed(4)} + shard SQLite ${r.sq.toFixed(4)}) over ${c.announces.toLocaleString("en-US")} announces` +
          `${target ? `   target ≤ 0.05  ${r.d1 + r.sq <= 0.05 ? "met" : "NOT met"}` : ""};  $${dollarsPerMillion(r.d1, r.sq).toFixed(3)} per 10⁶ announces${note}`,
      );
    };
    const name = m.load === "many" ? "bench mix" : m.load === "idle" ? "idle-seeder mix" : "hot swarm";
    line(`rows/announce, ${name}`, m.steady, true, ", measured runs (every session known)");
    line("  warm-up", m.warm, false, ", every session new (started)");
    line("  all, with the held credit sent", m.sent, false, ": warm-up, runs, and every session's credit written once as if all ended now");
  }
  if (memory)
    out.push(
      `${"memory per peer, SwarmShard in Node".padEnd(34)} ${memory.bytesPerPeer ?? "?"} B (${memory.bytesPerPeerWithPending} B before the flush, ${memory.bytesPerPeerWithCredit ?? "?"} B with every session holding unsent credit)` +
        `   (heapUsed + arrayBuffers delta over ${memory.peers.toLocaleString("en-US")} peers; Node has no pointer compression: an upper bound)`,
    );
  return out.join("\n");
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  for (const tool of ["wrk"]) await run("sh", ["-c", `command -v ${tool}`]).catch(() => Promise.reject(new Error(`${tool} is not installed (apt-get install ${tool})`)));
  // The torrents' info hashes, computed here; our worker registers the same torrents and the
  // other trackers list them.
  const { parseTorrent } = await import("../protocol/torrent.ts");
  const hashes = Array.from({ length: TORRENTS }, (_, i) => parseTorrent(makeTorrent(i)).infoHash);
  const hashesFile = join(OUT, "torrents.txt");
  writeFileSync(hashesFile, hashes.join("\n") + "\n");
  const pools = { many: writePool("many", hashes, undefined), hot: writePool("hot", hashes, undefined) };
  log(`${TORRENTS} torrents, pools of ${POOL.toLocaleString("en-US")} peers, ${THREADS} wrk threads, ${CONNECTIONS} connections, ${SECONDS} s per run`);
  try {
    if (ONLY.has("vidya")) await benchVidya(hashes);
    if (ONLY.has("trivial")) await benchTrivial(pools.many);
    if (ONLY.has("opentracker")) await benchOpentracker(hashesFile, pools);
    if (ONLY.has("bittorrent-tracker")) await benchBittorrentTracker(hashesFile, pools);
  } finally {
    await stopEverything();
  }
  const memory = ONLY.has("vidya") ? await nodePeerMemory() : undefined;
  console.log("\n" + table() + "\n");
  console.log(ratios(memory));
  console.log(`\nannounces/s counts answers with peers only (failures apart); wrk and the servers share this machine's ${(await import("node:os")).availableParallelism()} cores.`);
}

await main().catch(async (e) => {
  await stopEverything();
  console.error(e);
  process.exit(1);
});
