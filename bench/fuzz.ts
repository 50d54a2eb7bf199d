// `npm run fuzz`: a million hostile requests against the real edge (DESIGN "one party's bad
// input never stops the service for others"). The production build of the worker runs on
// workerd (bench/support/workerd.ts: D1 with every migration, SQLite Durable Objects), with a
// few members, torrents and nodes in it; then, over loopback only and a bounded number in
// flight, it gets mutated announce and scrape queries (the announce fuzz test's generator),
// WebSocket tracker messages over real WebSockets, crafted and mutated torrent uploads, and
// garbage calls to every route under /api, /admin, the passkey routes and the site.
// Every answer is checked:
//   - no status 5xx, and the worker never goes away (a refused or reset connection is a crash);
//   - announce and scrape: HTTP 200 with a bencoded dictionary, a `failure reason` with its
//     retry timers or a valid answer (test/worker/support/tracker-answer.ts);
//   - JSON API: a status >= 400 carries JSON `{ error: { code } }`; a 2xx JSON answer parses;
//   - WebSocket: every frame is a JSON object; no "tracker error" (the socket's 500); the
//     socket is never closed abnormally (1006, 1011).
// Cases are pure functions of (seed, index): the seed is printed, and --seed replays a run.
// Exits non-zero on any violation, after printing the first few (minimised: query parameters
// dropped and bodies cut while the violation stays).
//   npm run fuzz -- [--seed N] [--requests 1000000] [--concurrency 48]

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { encode } from "../protocol/bencode.ts";
import { bytesToBinary, fromHex, toHex } from "../protocol/hex.ts";
import { Rng, caseSeed, generateCase, makeWorld } from "../test/worker/support/announce-fuzz-cases.ts";
import { readAnswer } from "../test/worker/support/tracker-answer.ts";
import { apiCase, uploadCase, wsBarrier, wsFrame, type FuzzWorld, type HttpCase } from "./support/fuzz-cases.ts";
import { buildWorker, startWorkerd, type Workerd } from "./support/workerd.ts";

const ROOT = join(import.meta.dirname, "..");
const OUT = join(ROOT, ".tmp", "fuzz");

const { values: flags } = parseArgs({
  options: {
    seed: { type: "string" },
    requests: { type: "string", default: "1000000" },
    concurrency: { type: "string", default: "48" },
    /** WebSocket frames per burst (each burst ends with a scrape whose answer marks it done). */
    burst: { type: "string", default: "8" },
    /** Stop handing out requests after this long (a run on a busy machine still reports). */
    "max-seconds": { type: "string" },
  },
});
const SEED = flags.seed === undefined ? (Math.random() * 2 ** 32) >>> 0 : Number(flags.seed) >>> 0;
const REQUESTS = Number(flags.requests);
const CONCURRENCY = Math.max(1, Number(flags.concurrency));
const BURST = Math.max(1, Number(flags.burst));
const MAX_MS = flags["max-seconds"] === undefined ? Infinity : Number(flags["max-seconds"]) * 1000;
const ADMIN_TOKEN = "fuzz-admin-token-" + SEED.toString(16);
const MEMBERS = 12; // 8 for the tracker cases, 4 spare for passkey resets and admin edits
const TORRENTS = 16;
const NODES = 4;

type Kind = "announce" | "scrape" | "ws" | "upload" | "api" | "site";
const KINDS: Kind[] = ["announce", "scrape", "ws", "upload", "api", "site"];

interface Violation {
  index: number;
  kind: Kind;
  what: string;
  request: string;
  /** For HTTP cases: the case, to minimise. */
  http?: HttpCase | { method: "GET"; url: string; headers: Record<string, string>; kind: "announce" | "scrape" };
}

const counts = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
const fives = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
const invalid = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
let crashes = 0;
let wsStalls = 0;
let wsReconnects = 0;
/** Requests whose connection closed once without an answer and that were answered when sent again. */
let dropped = 0;
const violations: Violation[] = [];
const statuses = new Map<number, number>();
/** Wall time spent waiting for answers, per kind (shows where a slow run goes). */
const waited = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;

/** Violations by kind and what (numbers blanked): the summary's list of distinct findings. */
const distinct = new Map<string, number>();

function violate(v: Violation, five: boolean): void {
  const key = `${v.kind}: ${v.what.replace(/\d+/g, "N").slice(0, 80)}`;
  distinct.set(key, (distinct.get(key) ?? 0) + 1);
  if (five) fives[v.kind]++;
  else invalid[v.kind]++;
  if (distinct.get(key)! <= 2 && violations.length < 200) violations.push(v);
}

const log = (m: string) => console.log(`[fuzz] ${m}`);

// ---------------------------------------------------------------------------------------
// Set-up: members (long-standing, so no newcomer rule), torrents through the admin API, nodes.

function makeTorrent(i: number): Uint8Array {
  const pieces = new Uint8Array(20);
  new DataView(pieces.buffer).setUint32(0, i);
  pieces[4] = SEED & 0xff;
  return encode({ announce: "http://127.0.0.1/announce", info: { name: `fuzz-${i}.bin`, "piece length": 16_384, length: 16_384, pieces, private: 1 } });
}

async function setUp(edge: Workerd): Promise<FuzzWorld> {
  const joined = Date.now() - 90 * 86_400_000;
  const members = Array.from({ length: MEMBERS }, (_, j) => ({ account: "0x" + (0xf00 + j).toString(16).padStart(40, "0"), passkey: (0xf00 + j).toString(16).padStart(8, "0").repeat(4) }));
  const insert = edge.d1.prepare("INSERT INTO members (account, passkey, admission, created_at) VALUES (?, ?, 'invite', ?)");
  await edge.d1.batch(members.map((m) => insert.bind(m.account, m.passkey, joined)));
  const torrents: string[] = [];
  for (let i = 0; i < TORRENTS; i++) {
    const res = await fetch(`${edge.url}/api/torrents?storageRoot=${"00".repeat(32)}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "application/x-bittorrent" },
      body: makeTorrent(i) as Uint8Array<ArrayBuffer>,
    });
    if (res.status !== 201) throw new Error(`registering torrent ${i}: HTTP ${res.status} ${await res.text()}`);
    torrents.push(((await res.json()) as { infoHash: string }).infoHash);
  }
  // Nodes as their signed registration would leave them: a row, and a hosted subset (port 9: nothing listens).
  const nodes = Array.from({ length: NODES }, (_, j) => "0x" + (0xa00 + j).toString(16).padStart(40, "0"));
  const now = Date.now();
  await edge.d1.batch([
    ...nodes.map((n) => edge.d1.prepare("INSERT INTO nodes (address, host, port, registered_at, updated_at) VALUES (?, '127.0.0.1', 9, ?, ?)").bind(n, now, now)),
    ...nodes.flatMap((n, j) => torrents.slice(j, j + 4).map((ih) => edge.d1.prepare("INSERT INTO hosted (node, info_hash, added_at) VALUES (?, ?, ?)").bind(n, ih, now))),
  ]);
  return {
    origin: edge.url,
    adminToken: ADMIN_TOKEN,
    passkeys: members.slice(0, 8).map((m) => m.passkey),
    spare: members.slice(8),
    accounts: members.map((m) => m.account),
    torrents,
    nodes,
  };
}

// ---------------------------------------------------------------------------------------
// Checks

type Verdict = { five: boolean; what: string } | undefined;

function checkHttp(kind: Kind, status: number, type: string, body: Uint8Array, method = "GET"): Verdict {
  if (status >= 500) return { five: true, what: `HTTP ${status} ${new TextDecoder().decode(body.slice(0, 200))}` };
  if (kind === "announce" || kind === "scrape") {
    const a = readAnswer(kind, status, body);
    return a.problem ? { five: false, what: a.problem } : undefined;
  }
  if (kind === "site" || method === "HEAD") return undefined; // pages, redirects and HEAD (no body): the status is the check
  const json = type.includes("json");
  if (status >= 400) {
    try {
      const e = JSON.parse(new TextDecoder().decode(body)) as { error?: { code?: unknown } };
      if (typeof e?.error?.code !== "string") return { five: false, what: `HTTP ${status} without error.code` };
    } catch {
      return { five: false, what: `HTTP ${status} whose body is not JSON (${type})` };
    }
  } else if (json) {
    try {
      JSON.parse(new TextDecoder().decode(body));
    } catch {
      return { five: false, what: `HTTP ${status} with a JSON content type whose body does not parse` };
    }
  }
  return undefined;
}

class Crash extends Error {}

/** Whether the worker still answers (the edge's cheapest route). */
async function alive(url: string): Promise<boolean> {
  try {
    return (await fetch(new URL("/api/chain", url), { signal: AbortSignal.timeout(10_000) })).ok;
  } catch {
    return false;
  }
}

async function send(c: { method: string; url: string; headers: Record<string, string>; body?: Uint8Array }): Promise<{ status: number; type: string; body: Uint8Array }> {
  let res: Response;
  try {
    res = await fetch(c.url, { method: c.method, headers: c.headers, body: c.body as Uint8Array<ArrayBuffer> | undefined, redirect: "manual", signal: AbortSignal.timeout(60_000) });
  } catch (e) {
    throw new Crash(`no answer: ${(e as Error).message} ${String((e as { cause?: unknown }).cause ?? "")}`);
  }
  return { status: res.status, type: res.headers.get("content-type") ?? "", body: new Uint8Array(await res.arrayBuffer()) };
}

function describe(c: { method: string; url: string; headers: Record<string, string>; body?: Uint8Array }): string {
  const body = c.body ? ` body(${c.body.length} B): ${JSON.stringify(new TextDecoder().decode(c.body.slice(0, 160)))}` : "";
  const headers = Object.keys(c.headers).length ? ` headers ${JSON.stringify(c.headers).slice(0, 200)}` : "";
  return `${c.method} ${c.url.slice(0, 400)}${headers}${body}`;
}

// ---------------------------------------------------------------------------------------
// HTTP cases

async function runHttp(index: number, w: FuzzWorld, tw: ReturnType<typeof makeWorld>): Promise<void> {
  const rng = new Rng(caseSeed(SEED, index));
  const pick = rng.u32() / 2 ** 32;
  let c: { kind: Kind; method: string; url: string; headers: Record<string, string>; body?: Uint8Array };
  // pick >= 0.2: below is the WebSocket share (main's isWs).
  if (pick < 0.62) {
    // Its own stream: the generator's first draw (announce or scrape) must not be the kind's.
    const g = generateCase(tw, SEED ^ 0x5ca1ab1e, index).c;
    c = { kind: g.kind, method: "GET", url: g.url, headers: g.headers };
  } else if (pick < 0.74) c = uploadCase(w, rng);
  else c = apiCase(w, rng);
  counts[c.kind]++;
  const t0 = performance.now();
  let r: Awaited<ReturnType<typeof send>>;
  try {
    r = await send(c);
  } catch (e) {
    if (!(e instanceof Crash)) throw e;
    // A closed connection: the worker gone (a crash), or this one request dropped (a keep-alive
    // race, or the request itself). Sent again on a fresh connection, a request that is
    // dropped twice while the worker still answers is a violation of its own.
    if (!(await alive(c.url))) throw e;
    try {
      r = await send(c);
      dropped++;
    } catch (again) {
      if (!(again instanceof Crash) || !(await alive(c.url))) throw again;
      violate({ index, kind: c.kind, what: `no answer twice: ${again.message}`, request: describe(c), http: c as Violation["http"] }, true);
      return;
    }
  }
  waited[c.kind] += performance.now() - t0;
  statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  const v = checkHttp(c.kind, r.status, r.type, r.body, c.method);
  if (v) violate({ index, kind: c.kind, what: v.what, request: describe(c), http: c as Violation["http"] }, v.five);
}

/** Drops query parameters and cuts the body while the same kind of violation stays. */
async function minimise(v: Violation): Promise<string> {
  if (!v.http) return v.request;
  let c = { ...v.http } as { kind: Kind; method: string; url: string; headers: Record<string, string>; body?: Uint8Array };
  const still = async (d: typeof c) => {
    try {
      const r = await send(d);
      return checkHttp(d.kind, r.status, r.type, r.body, d.method) !== undefined;
    } catch {
      return false;
    }
  };
  const [base, query] = c.url.split(/\?(.*)/s) as [string, string | undefined];
  if (query) {
    let params = query.split("&");
    for (let i = params.length - 1; i >= 0; i--) {
      const fewer = params.filter((_, j) => j !== i);
      if (await still({ ...c, url: fewer.length ? `${base}?${fewer.join("&")}` : base })) params = fewer;
    }
    c = { ...c, url: params.length ? `${base}?${params.join("&")}` : base };
  }
  for (const h of Object.keys(c.headers)) {
    const { [h]: _, ...rest } = c.headers;
    if (await still({ ...c, headers: rest })) c = { ...c, headers: rest };
  }
  while (c.body && c.body.length > 1 && (await still({ ...c, body: c.body.slice(0, c.body.length >> 1) }))) c = { ...c, body: c.body.slice(0, c.body.length >> 1) };
  return describe(c);
}

// ---------------------------------------------------------------------------------------
// WebSocket cases: a slot holds one socket of one member and sends bursts of frames, each
// ended by a scrape of the barrier torrent (never named by the frames), whose answer comes
// after every frame before it was handled (the connection handles messages in order).

class WsSlot {
  private ws?: WebSocket;
  private readonly slot: number;
  private readonly peerIds: string[];
  private waiting?: () => void;
  private readonly w: FuzzWorld;
  private readonly barrierHash: string;
  private sentSinceOpen: { index: number; frame: string }[] = [];
  private readonly abandoned = new WeakSet<WebSocket>();

  constructor(slot: number, w: FuzzWorld) {
    this.slot = slot;
    this.w = w;
    const rng = new Rng(caseSeed(SEED ^ 0x77, slot));
    this.peerIds = Array.from({ length: 3 }, () => bytesToBinary(rng.bytes(20)));
    this.barrierHash = bytesToBinary(fromHex(w.torrents[0]!));
  }

  private open(): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const pk = this.w.passkeys[this.slot % this.w.passkeys.length]!;
      const ws = new WebSocket(`${this.w.origin.replace("http", "ws")}/${pk}/announce`);
      ws.binaryType = "arraybuffer";
      ws.onopen = () => resolve(ws);
      ws.onerror = () => reject(new Crash("the WebSocket upgrade failed"));
      ws.onmessage = (e) => this.onFrame(e.data as string | ArrayBuffer);
      ws.onclose = (e) => {
        if (this.ws === ws) this.ws = undefined;
        // A socket this side closed (a stalled burst) may end without the server's close frame.
        if (this.abandoned.has(ws)) return void this.abandoned.delete(ws);
        if (e.code === 1006 || e.code === 1011) {
          const last = this.sentSinceOpen.at(-1);
          violate({ index: last?.index ?? -1, kind: "ws", what: `socket closed with ${e.code} ${e.reason}`, request: `frames since open (last 3): ${this.sentSinceOpen.slice(-3).map((f) => f.frame.slice(0, 200)).join(" | ")}` }, e.code === 1011);
        }
        this.waiting?.();
      };
    });
  }

  private onFrame(data: string | ArrayBuffer): void {
    const last = this.sentSinceOpen.at(-1);
    const bad = (what: string, five = false) => violate({ index: last?.index ?? -1, kind: "ws", what, request: `frame ${typeof data === "string" ? data.slice(0, 300) : "binary"}; last sent ${last?.frame.slice(0, 200)}` }, five);
    if (typeof data !== "string") return bad("a binary frame from the tracker");
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(data) as Record<string, unknown>;
    } catch {
      return bad("a frame that is not JSON");
    }
    if (typeof m !== "object" || m === null || Array.isArray(m)) return bad("a frame that is not a JSON object");
    if ("failure reason" in m) {
      if (typeof m["failure reason"] !== "string") return bad("failure reason is not a string");
      if (/tracker error/i.test(m["failure reason"])) return bad(`internal error: ${m["failure reason"]}`, true);
    } else if (m.action === "announce" && !("offer" in m) && !("answer" in m)) {
      if (typeof m.interval !== "number" || typeof m.complete !== "number" || typeof m.incomplete !== "number") return bad("an announce answer without interval, complete and incomplete");
    }
    if (m.action === "scrape" && typeof m.files === "object" && m.files !== null && this.barrierHash in (m.files as object)) this.waiting?.();
  }

  /** Sends frames for indices `[from, from + n)` and waits for the burst's barrier. */
  async burst(indices: number[]): Promise<void> {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      if (this.ws) wsReconnects++;
      this.ws = await this.open();
      this.sentSinceOpen = [];
    }
    const ws = this.ws;
    const done = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 5_000);
      this.waiting = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
    for (const index of indices) {
      const rng = new Rng(caseSeed(SEED, index));
      rng.u32(); // the kind's draw
      let f = wsFrame(this.w, rng, this.peerIds);
      // The barrier torrent is the burst's marker: frames name the others.
      if (typeof f === "string" && f.includes(JSON.stringify(this.barrierHash).slice(1, -1))) f = wsBarrier({ ...this.w, torrents: this.w.torrents.slice(1) }, rng);
      counts.ws++;
      if (this.sentSinceOpen.length > 64) this.sentSinceOpen.shift();
      this.sentSinceOpen.push({ index, frame: typeof f === "string" ? f : `binary ${toHex(f).slice(0, 64)}` });
      try {
        ws.send(f as string | Uint8Array<ArrayBuffer>);
      } catch {
        break;
      }
    }
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ action: "scrape", info_hash: this.barrierHash }));
    const answered = await done;
    this.waiting = undefined;
    if (!answered && ws.readyState === WebSocket.OPEN) {
      wsStalls++;
      this.abandoned.add(ws);
      ws.close();
    }
  }
}

// ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  log(`seed ${SEED} (replay: npm run fuzz -- --seed ${SEED} --requests ${REQUESTS})`);
  log("building the worker (wrangler deploy --dry-run --minify) and starting it on workerd");
  // Configured as production is: SITE_ORIGIN names the site (without it sign-in answers 503 by design).
  const edge = await startWorkerd(await buildWorker(join(OUT, "build")), ADMIN_TOKEN, { SITE_ORIGIN: "https://vidya.example" });
  running = edge;
  let exitCode = 0;
  try {
    const w = await setUp(edge);
    const tw = makeWorld(SEED, edge.url, w.passkeys, w.torrents.map((h) => fromHex(h)));
    log(`${MEMBERS} members, ${TORRENTS} torrents, ${NODES} nodes; ${REQUESTS.toLocaleString("en")} requests, ${CONCURRENCY} in flight`);

    // Indices are handed out in order; one in five goes to the WebSocket slots, in bursts.
    const WS_SHARE = 0.2;
    let next = 0;
    let crashed: string | undefined;
    const started = performance.now();
    let lastReport = started;
    const report = () => {
      const now = performance.now();
      if (now - lastReport < 15_000) return;
      lastReport = now;
      const done = KINDS.reduce((n, k) => n + counts[k], 0);
      log(`${done.toLocaleString("en")} sent, ${Math.round(done / ((now - started) / 1000))}/s, violations ${[...distinct.values()].reduce((a, b) => a + b, 0)}`);
    };
    const timeUp = () => performance.now() - started > MAX_MS;
    const isWs = (i: number) => new Rng(caseSeed(SEED, i)).u32() / 2 ** 32 < WS_SHARE;
    const httpWorker = async () => {
      while (!crashed) {
        if (timeUp()) return;
        const i = next++;
        if (i >= REQUESTS) return;
        if (isWs(i)) {
          // The WebSocket slots take what they can; a backlog left at the end is dropped, not sent.
          wsQueue.push(i);
          continue;
        }
        try {
          await runHttp(i, w, tw);
        } catch (e) {
          if (!(e instanceof Crash)) throw e;
          crashes++;
          crashed = `request ${i}: ${e.message}`;
        }
        report();
      }
    };
    const wsQueue: number[] = [];
    let httpDone = false;
    const wsSlots = Math.max(1, Math.round(CONCURRENCY / 6));
    const wsWorker = async (slot: number) => {
      const s = new WsSlot(slot, w);
      while (!crashed) {
        if (wsQueue.length < BURST && !httpDone) {
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        const batch = wsQueue.splice(0, BURST);
        if (batch.length === 0 || timeUp()) return;
        try {
          await s.burst(batch);
        } catch (e) {
          if (!(e instanceof Crash)) throw e;
          crashes++;
          crashed = `WebSocket slot ${slot}: ${e.message}`;
        }
      }
    };
    const wsDone = Promise.all(Array.from({ length: wsSlots }, (_, s) => wsWorker(s)));
    await Promise.all(Array.from({ length: CONCURRENCY }, httpWorker));
    httpDone = true;
    await wsDone;
    const seconds = (performance.now() - started) / 1000;

    // The worker is still there and still answers.
    try {
      const alive = await fetch(`${edge.url}/api/chain`, { signal: AbortSignal.timeout(10_000) });
      if (!alive.ok) throw new Error(`HTTP ${alive.status}`);
    } catch (e) {
      crashes++;
      crashed ??= `the worker no longer answers: ${(e as Error).message}`;
    }

    const total = KINDS.reduce((n, k) => n + counts[k], 0);
    console.log("");
    if (total < REQUESTS && !crashed) console.log(`stopped by --max-seconds after ${total.toLocaleString("en")} of ${REQUESTS.toLocaleString("en")} requests`);
    console.log(`seed ${SEED}; ${total.toLocaleString("en")} requests in ${seconds.toFixed(1)} s (${Math.round(total / seconds).toLocaleString("en")}/s), ${CONCURRENCY} HTTP in flight + ${wsSlots} WebSockets`);
    console.log("");
    console.log("| kind | requests | 5xx | invalid answers | mean wait (ms) |");
    console.log("| --- | ---: | ---: | ---: | ---: |");
    for (const k of KINDS) console.log(`| ${k} | ${counts[k].toLocaleString("en")} | ${fives[k]} | ${invalid[k]} | ${k === "ws" ? "-" : (waited[k] / Math.max(1, counts[k])).toFixed(1)} |`);
    const f = KINDS.reduce((n, k) => n + fives[k], 0);
    const inv = KINDS.reduce((n, k) => n + invalid[k], 0);
    console.log(`| all | ${total.toLocaleString("en")} | ${f} | ${inv} | |`);
    console.log("");
    console.log(`crashes ${crashes}${crashed ? ` (${crashed})` : ""}; requests dropped once and answered when sent again ${dropped}; WebSocket bursts unanswered within 5 s ${wsStalls}, sockets reopened ${wsReconnects}`);
    console.log(`statuses: ${[...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(" ")}`);
    if (violations.length || crashes) {
      exitCode = 1;
      console.log("\nviolations by kind:");
      for (const [k, n] of [...distinct].sort((a, b) => b[1] - a[1])) console.log(`  ${n}× ${k}`);
      console.log("\nfirst violations (minimised):");
      const seen = new Set<string>();
      let shown = 0;
      for (const v of violations) {
        const key = `${v.kind} ${v.what.replace(/\d+/g, "N").slice(0, 60)}`;
        if (seen.has(key) || shown >= 12) continue;
        seen.add(key);
        shown++;
        console.log(`- #${v.index} ${v.kind}: ${v.what}\n    ${await minimise(v)}`);
      }
    }
  } finally {
    await edge.mf.dispose();
  }
  process.exit(exitCode);
}

let running: Workerd | undefined;
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, () => {
    void (running?.mf.dispose() ?? Promise.resolve()).finally(() => process.exit(130));
  });
await main();
