// npm run bench:proofs — the cost of proof of hosting (issue 4), in three numbers:
//
//   1. proof verifications per second per core in workerd: verifyBlockProof on 16 KiB blocks
//      of a 4 GiB payload (bench/workerd/proof-worker.ts, bundled with esbuild and run by
//      Miniflare), timed from outside over n verifications minus an n = 0 request, and by
//      workerd's own CPU time (/proc), which other load on the machine does not inflate;
//      Node's rate on this machine beside it. Target ≥ 20 000/s.
//   2. a node's answer latency: a real webtorrent seeding node (node/seed/client.ts with the
//      vidya_proof extension, in its own process: bench/support/seed-node.ts) challenged
//      repeatedly over loopback TCP by protocol's runChallenge (the challenger the edge runs),
//      handshake to verified paths. Target p99 ≤ 50 ms. The bytes each challenge put on the wire
//      are counted at the socket and compared with the model used in 3.
//   3. challenge bytes per epoch as a share of the data a node hosts, from the schedule's
//      parameters (protocol/params.ts) and the wire's message sizes.
//
// Options: --verifications N (default 40 000), --challenges N (default 1 000), --payload-mb N
// (default 128), --profile-node DIR (a V8 CPU profile of the seeding node).

import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:net";
import { Duplex } from "node:stream";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { BLOCK_SIZE, CHALLENGE_BLOCKS, CHALLENGE_DEADLINE_MS, CHALLENGE_ROUNDS_PER_EPOCH, CHALLENGE_SPOT_CHECKS, EPOCH_SECONDS } from "../protocol/params.ts";
import { fromHex, toHex } from "../protocol/hex.ts";
import type { Hex } from "viem";
import { buildStorageTree, hashBlock, storageProof, treeDepth, verifyBlockProofAsync } from "../protocol/merkle/storage-tree.ts";
import { runChallenge, type ByteStream } from "../protocol/challenge/client.ts";

const ROOT = join(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    verifications: { type: "string", default: "40000" },
    challenges: { type: "string", default: "1000" },
    "payload-mb": { type: "string", default: "128" },
    /** Write a V8 CPU profile of the seeding node to this folder (open it in Chrome's DevTools). */
    "profile-node": { type: "string" },
  },
});
const log = (s: string) => process.stderr.write(`${s}\n`);

interface Row {
  measure: string;
  ours: string;
  target: string;
  ratio: string;
}
const rows: Row[] = [];
const fmt = (n: number, d = 0) => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });

// ---------------------------------------------------------------------------------------
// 1. verifications per second per core, in workerd

/** The workerd process Miniflare started (a child of this one), if /proc and ps can tell. */
function workerdPid(): number | undefined {
  try {
    const out = execFileSync("ps", ["--ppid", String(process.pid), "-o", "pid=,comm="], { encoding: "utf8" });
    const line = out.split("\n").find((l) => l.trim().endsWith("workerd"));
    return line ? Number(line.trim().split(/\s+/)[0]) : undefined;
  } catch {
    return undefined;
  }
}

/** User + system CPU time of a process in ms (/proc/<pid>/stat, clock ticks of 10 ms). */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

async function verificationsInWorkerd(n: number, mode: "async" | "sync"): Promise<{ perSecond: number; perCpuSecond?: number; depth: number }> {
  const out = join(ROOT, ".tmp", "bench-proofs");
  mkdirSync(out, { recursive: true });
  await build({ entryPoints: [join(ROOT, "bench/workerd/proof-worker.ts")], bundle: true, format: "esm", platform: "neutral", target: "es2022", outfile: join(out, "proof-worker.js"), logLevel: "error" });
  const mf = new Miniflare(convertV4MiniflareOptions({ name: "proofs", modules: true, scriptPath: join(out, "proof-worker.js"), compatibilityDate: "2026-11-01" }));
  try {
    const run = async (k: number) => {
      const t = performance.now();
      const r = (await (await mf.dispatchFetch(`http://bench/?n=${k}&mode=${mode}`)).json()) as { ok: number; depth: number };
      if (r.ok !== k) throw new Error(`only ${r.ok} of ${k} proofs verified`);
      return { ms: performance.now() - t, depth: r.depth };
    };
    const { depth } = await run(0); // builds the tree
    await run(Math.min(n, 2_000)); // warm the JIT
    // Wall time suffers from whatever else the machine runs; workerd's own CPU time (from
    // /proc, Linux) does not: verifications per CPU-second are per core whatever the load.
    const pid = workerdPid();
    let best = Infinity;
    let bestCpu = Infinity;
    for (let i = 0; i < 3; i++) {
      const empty = await run(0);
      const c0 = cpuMs(pid);
      const full = await run(n);
      const c1 = cpuMs(pid);
      best = Math.min(best, full.ms - empty.ms);
      if (c0 !== undefined && c1 !== undefined) bestCpu = Math.min(bestCpu, c1 - c0);
    }
    return { perSecond: (n / best) * 1000, perCpuSecond: Number.isFinite(bestCpu) ? (n / bestCpu) * 1000 : undefined, depth };
  } finally {
    await mf.dispose();
  }
}

async function verificationsInNode(n: number): Promise<number> {
  const total = 4 * 1024 ** 3;
  const leaves = new Uint8Array((total / BLOCK_SIZE) * 32);
  const block = new Uint8Array(BLOCK_SIZE).fill(9);
  leaves.set(hashBlock(block), 7 * 32);
  const tree = buildStorageTree(leaves, total);
  const proof = storageProof(tree, 7);
  for (let i = 0; i < 2_000; i++) await verifyBlockProofAsync(tree.root, total, 7, block, proof);
  const t = performance.now();
  for (let i = 0; i < n; i++) if (!(await verifyBlockProofAsync(tree.root, total, 7, block, proof))) throw new Error("proof failed");
  return (n / (performance.now() - t)) * 1000;
}

// ---------------------------------------------------------------------------------------
// 2. a webtorrent node's answer latency over loopback

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface LatencyResult {
  p50: number;
  p99: number;
  max: number;
  failed: number;
  depth: number;
  /** Mean bytes on the wire per challenge, BitTorrent framing included, measured at the challenger's socket. */
  toNode: number;
  fromNode: number;
  /** Medians of the three stages: handshake, blocks (after the handshake), paths (after the blocks). */
  stages: { handshake: number; blocks: number; paths: number };
  /** CPU ms per challenge of the node's process (/proc) and of this one, the challenger: what other load does not inflate much. */
  nodeCpuMs?: number;
  challengerCpuMs: number;
  /** 1-minute load average before and after the challenges. */
  load: [number, number];
}

async function nodeLatency(challenges: number, payloadBytes: number): Promise<LatencyResult> {
  const dir = mkdtempSync(join(tmpdir(), "vidya-bench-"));
  // The node runs in its own process, as a node does: its event loop is not the challenger's.
  const profile = values["profile-node"] ? ["--cpu-prof", `--cpu-prof-dir=${values["profile-node"]}`] : [];
  const child = spawn(process.execPath, [...profile, join(ROOT, "bench", "support", "seed-node.ts"), dir, String(payloadBytes)], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const ready = await new Promise<{ port: number; node: string; infoHash: string; root: string; length: number; pieceLength: number }>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (d) => {
        out += d;
        const nl = out.indexOf("\n");
        if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)));
      });
      child.once("exit", (code) => reject(new Error(`the seeding node exited with ${code}`)));
    });
    const times: number[] = [];
    const stages = { handshake: [] as number[], blocks: [] as number[], paths: [] as number[] };
    let failed = 0;
    let toNode = 0;
    let fromNode = 0;
    // The first challenges of a fresh process run cold code (JIT): a running node is warm.
    const warmUp = 20;
    let nodeCpu0: number | undefined;
    let ownCpu0 = process.cpuUsage();
    const load0 = loadavg()[0]!;
    for (let i = -warmUp; i < challenges; i++) {
      if (i === 0) {
        nodeCpu0 = cpuMs(child.pid);
        ownCpu0 = process.cpuUsage();
      }
      const socket = connect({ host: "127.0.0.1", port: ready.port });
      await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
      socket.setNoDelay(true);
      const stream = Duplex.toWeb(socket) as unknown as ByteStream;
      // The whole chained challenge the edge runs: CHALLENGE_BLOCKS blocks one after another, then the paths and the node's signature.
      const random = (n: number) => `0x${toHex(crypto.getRandomValues(new Uint8Array(n)))}` as Hex;
      const r = await runChallenge(stream, {
        infoHash: fromHex(ready.infoHash),
        peerId: new TextEncoder().encode("-qB4650-benchbench01"),
        storageRoot: fromHex(ready.root),
        totalLength: ready.length,
        pieceLength: ready.pieceLength,
        chain: { randomness: random(32), infoHash: ready.infoHash, count: CHALLENGE_BLOCKS },
        challenge: { node: ready.node.toLowerCase(), chainId: 31337, epoch: 1, round: i & 0xffff, beacon: random(32), nonce: random(32) },
        deadlineMs: CHALLENGE_DEADLINE_MS,
      }, () => performance.now());
      socket.destroy();
      if (i < 0) continue;
      toNode += socket.bytesWritten;
      fromNode += socket.bytesRead;
      if (r.verdict === "pass") {
        times.push(r.durationMs);
        stages.handshake.push(r.handshakeMs!);
        stages.blocks.push(r.blocksMs! - r.handshakeMs!);
        stages.paths.push(r.durationMs - r.blocksMs!);
      } else failed++;
      // webtorrent notices the close before the next connection.
      await new Promise((res) => setTimeout(res, 2));
    }
    const nodeCpu1 = cpuMs(child.pid);
    const ownCpu = process.cpuUsage(ownCpu0);
    const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
    times.sort((a, b) => a - b);
    return {
      p50: percentile(times, 50),
      p99: percentile(times, 99),
      max: times.at(-1)!,
      failed,
      depth: treeDepth(ready.length),
      toNode: toNode / challenges,
      fromNode: fromNode / challenges,
      stages: { handshake: median(stages.handshake), blocks: median(stages.blocks), paths: median(stages.paths) },
      nodeCpuMs: nodeCpu0 !== undefined && nodeCpu1 !== undefined ? (nodeCpu1 - nodeCpu0) / challenges : undefined,
      challengerCpuMs: (ownCpu.user + ownCpu.system) / 1000 / challenges,
      load: [load0, loadavg()[0]!],
    };
  } finally {
    child.kill("SIGTERM");
    await new Promise((res) => (child.exitCode !== null ? res(null) : child.once("exit", res)));
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// 3. challenge bytes per epoch, from the schedule's parameters

/** The piece length clients pick by default: a power of two giving about 1,500 pieces, 16 KiB to 16 MiB. */
function autoPieceLength(totalLength: number): number {
  let p = 16 * 1024;
  while (p < 16 * 1024 * 1024 && totalLength / p > 1_500) p *= 2;
  return p;
}

/**
 * Bytes on the wire of one challenge (both directions, BitTorrent framing included): the
 * handshakes, webtorrent's extension handshake (~130 bytes: its own extensions beside ours)
 * and bitfield, interested/unchoke, the requests and blocks, the proof request and answer.
 */
function challengeWireBytes(totalLength: number, pieceLength = autoPieceLength(totalLength)): { fromNode: number; toNode: number } {
  const depth = treeDepth(totalLength);
  const handshake = 68;
  const bitfield = 5 + Math.ceil(Math.ceil(totalLength / pieceLength) / 8);
  const toNode = handshake + (6 + 45) /* our extension handshake */ + 5 /* interested */ + CHALLENGE_BLOCKS * 17 /* requests */ + (6 + 25 + CHALLENGE_BLOCKS * 8 + 150) /* proof request with its challenge */;
  const fromNode = handshake + (6 + 130) + bitfield + 5 /* unchoke */ + CHALLENGE_BLOCKS * (13 + BLOCK_SIZE) + (6 + 45 + CHALLENGE_BLOCKS * (8 + depth * 32 + 6) + 100) /* proof answer with the node's signature */;
  return { fromNode, toNode };
}

function challengeShare(label: string, torrents: number, torrentBytes: number) {
  const R = CHALLENGE_ROUNDS_PER_EPOCH;
  const perRound = Math.ceil(torrents / R) + Math.min(CHALLENGE_SPOT_CHECKS, torrents - Math.ceil(torrents / R));
  const challengesPerEpoch = R * Math.min(perRound, torrents);
  const w = challengeWireBytes(torrentBytes);
  const perEpoch = challengesPerEpoch * (w.fromNode + w.toNode);
  const hosted = torrents * torrentBytes;
  const epochsPerDay = 86_400 / EPOCH_SECONDS;
  return { label, torrents, hosted, challengesPerEpoch, perEpoch, perDay: perEpoch * epochsPerDay, shareOfHostedPerDay: (perEpoch * epochsPerDay) / hosted, uploadPerEpoch: challengesPerEpoch * w.fromNode };
}

// ---------------------------------------------------------------------------------------

const GB = 1000 ** 3;
const MB = 1000 ** 2;

log("1/3 proof verifications: bundling the verifier and running it in workerd (Miniflare)");
const verifyLoad = loadavg()[0]!;
const workerd = await verificationsInWorkerd(Number(values.verifications), "async");
const jsOnly = await verificationsInWorkerd(Math.ceil(Number(values.verifications) / 8), "sync");
const node = await verificationsInNode(Number(values.verifications));
rows.push({ measure: `block proofs verified/s per core, workerd (16 KiB, depth ${workerd.depth}, WebCrypto leaf)`, ours: fmt(workerd.perSecond), target: "≥ 20,000", ratio: `${fmt(workerd.perSecond / 20_000, 2)}×` });
if (workerd.perCpuSecond) rows.push({ measure: "  same, per CPU-second of workerd (unaffected by other load)", ours: fmt(workerd.perCpuSecond), target: "≥ 20,000", ratio: `${fmt(workerd.perCpuSecond / 20_000, 2)}×` });
rows.push({ measure: "  load average (1 min) when it started", ours: fmt(verifyLoad, 1), target: "", ratio: "" });
rows.push({ measure: "  same, all JavaScript (@noble/hashes leaf), workerd", ours: fmt(jsOnly.perSecond), target: "", ratio: `${fmt(jsOnly.perSecond / 20_000, 2)}×` });
rows.push({ measure: "  same code in Node (reference)", ours: fmt(node), target: "", ratio: `workerd/Node ${fmt(workerd.perSecond / node, 2)}` });
rows.push({ measure: `edge CPU per challenge (${CHALLENGE_BLOCKS} blocks' paths, not the signature check), workerd`, ours: `${fmt((CHALLENGE_BLOCKS / workerd.perSecond) * 1e6)} µs`, target: "", ratio: "" });

const payloadBytes = Number(values["payload-mb"]) * 1024 * 1024;
log(`2/3 node answer latency: webtorrent seeding ${values["payload-mb"]} MiB, ${values.challenges} challenges over loopback (after 20 to warm up)`);
const lat = await nodeLatency(Number(values.challenges), payloadBytes);
rows.push({ measure: `node answer p50, handshake → verified paths (depth ${lat.depth})`, ours: `${fmt(lat.p50, 1)} ms`, target: "", ratio: "" });
rows.push({ measure: "  of which handshake / blocks / paths (medians)", ours: `${fmt(lat.stages.handshake, 1)} / ${fmt(lat.stages.blocks, 1)} / ${fmt(lat.stages.paths, 1)} ms`, target: "", ratio: "" });
rows.push({ measure: "node answer p99", ours: `${fmt(lat.p99, 1)} ms`, target: "≤ 50 ms", ratio: `${fmt(lat.p99 / 50, 2)}× of budget` });
rows.push({ measure: `  load average (1 min) before / after the challenges`, ours: `${fmt(lat.load[0], 1)} / ${fmt(lat.load[1], 1)}`, target: "", ratio: "" });
if (lat.nodeCpuMs !== undefined) rows.push({ measure: "node process CPU per challenge (webtorrent, paths, signature)", ours: `${fmt(lat.nodeCpuMs, 2)} ms`, target: "", ratio: "" });
rows.push({ measure: "challenger CPU per challenge (the edge's runChallenge, in Node, with the socket)", ours: `${fmt(lat.challengerCpuMs, 2)} ms`, target: "", ratio: "" });
rows.push({ measure: "node answer max / failed challenges", ours: `${fmt(lat.max, 1)} ms / ${lat.failed}`, target: `deadline ${CHALLENGE_DEADLINE_MS} ms`, ratio: "" });
const model = challengeWireBytes(payloadBytes, 256 * 1024);
rows.push({ measure: `bytes per challenge on the wire, node → edge (measured; model ${fmt(model.fromNode)})`, ours: fmt(lat.fromNode), target: "", ratio: `${fmt(lat.fromNode / model.fromNode, 3)}× model` });
rows.push({ measure: `bytes per challenge on the wire, edge → node (measured; model ${fmt(model.toNode)})`, ours: fmt(lat.toNode), target: "", ratio: `${fmt(lat.toNode / model.toNode, 3)}× model` });

log("3/3 challenge bytes per epoch from the schedule's parameters");
const scenarios = [
  challengeShare("5 GB node, 1 × 5 GB torrent", 1, 5 * GB),
  challengeShare("5 GB node, 5 × 1 GB torrents", 5, 1 * GB),
  challengeShare("5 GB node, 50 × 100 MB torrents", 50, 100 * MB),
  challengeShare("5 GB node, 500 × 10 MB torrents", 500, 10 * MB),
];

const width = (k: keyof Row) => Math.max(k.length, ...rows.map((r) => r[k].length));
const line = (r: Row) => `${r.measure.padEnd(width("measure"))}  ${r.ours.padStart(width("ours"))}  ${r.target.padEnd(width("target"))}  ${r.ratio}`;
console.log(`\nProof of hosting, ${new Date().toISOString().slice(0, 10)} (${process.platform} ${process.arch}, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}, Node ${process.version})\n`);
console.log(line({ measure: "measure", ours: "ours", target: "target", ratio: "ratio" }));
console.log(line({ measure: "-".repeat(width("measure")), ours: "-".repeat(width("ours")), target: "-".repeat(width("target")), ratio: "-----" }));
for (const r of rows) console.log(line(r));

console.log(`\nChallenge traffic (${CHALLENGE_ROUNDS_PER_EPOCH} rounds per ${EPOCH_SECONDS / 60}-min epoch; a round = ⌈H/${CHALLENGE_ROUNDS_PER_EPOCH}⌉ coverage + ${CHALLENGE_SPOT_CHECKS} spot check; ${CHALLENGE_BLOCKS} × 16 KiB blocks and paths each; no retries)\n`);
const head = ["scenario", "challenges/epoch", "bytes/epoch", "node upload/epoch", "bytes/day", "share of hosted, per day"];
const table = scenarios.map((s) => [s.label, fmt(s.challengesPerEpoch), `${fmt(s.perEpoch / 1024, 0)} KiB`, `${fmt(s.uploadPerEpoch / 1024, 0)} KiB`, `${fmt(s.perDay / MB, 1)} MB`, `${fmt(s.shareOfHostedPerDay * 100, 3)} %`]);
const w = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
console.log(head.map((h, i) => h.padEnd(w[i]!)).join("  "));
console.log(w.map((n) => "-".repeat(n)).join("  "));
for (const r of table) console.log(r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  "));
console.log(`\nA node that serves its hosted data once a day to members uploads 100 % of it a day; the share above is the overhead on top.`);
process.exit(0);
