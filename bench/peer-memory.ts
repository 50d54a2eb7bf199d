// Memory per peer in a SwarmShard: the real class from worker/swarm/shard.ts, run in Node
// with a do-nothing Durable Object context, fed 100,000 announces of distinct peers (IPv4,
// 1,000 swarms of 100 in the one shard), measured as the V8 heap growth after full GCs
// (process.memoryUsage() heapUsed + arrayBuffers deltas); each announce brings its own strings, as RPC does. Three figures: right after the announces, when the
// shard also holds their pending accounting and write-behind marks; after its alarm has
// journaled those, when only the peers remain (each a first sighting: no unsent credit held);
// and after every peer announced again 31 minutes later with bytes moved, when each also holds
// unsent credit (worker/swarm/unsent.ts), as a shard's sessions do between their start and end. Node's V8 here runs without pointer compression
// and workerd's with it, so workerd needs less than this for the same objects.
//   node --expose-gc bench/peer-memory.ts [peers] [swarms]   (prints one "PEER_MEMORY {json}" line)

import { registerHooks } from "node:module";

const PEERS = Number(process.argv[2] ?? 100_000);
const SWARMS = Number(process.argv[3] ?? 1_000);

// `cloudflare:workers` exists only in workerd: the class needs just a base that keeps ctx and env.
registerHooks({
  resolve(specifier, context, next) {
    if (specifier === "cloudflare:workers")
      return { url: "data:text/javascript,export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }", shortCircuit: true };
    return next(specifier, context);
  },
});

/** Answers any property read, call or await with itself, iterates as empty: storage, SQL, waitUntil. */
const nothing: unknown = new Proxy(function () {}, {
  get: (_t, key) => (key === Symbol.iterator ? function* () {} : key === "then" ? undefined : key === "toArray" ? () => [] : nothing),
  apply: () => nothing,
});

/**
 * A D1 that accepts every statement (the alarm's accounting flush writes into it) and knows
 * every passkey and info hash the shard's directory asks for (members and approved torrents).
 */
function fakeD1(): unknown {
  const empty = { success: true, results: [] as unknown[], meta: { changes: 0, duration: 0 } };
  const prepare = (sql: string) => {
    let keys: string[] = [];
    const statement: Record<string, unknown> = {
      bind: (...k: string[]) => ((keys = k), statement),
      run: async () => empty,
      all: async () => {
        if (sql.includes("FROM members")) return { ...empty, results: keys.map((k) => ({ passkey: k, account: `0x${k.padStart(40, "0")}`, created_at: 0, slowed: 0 })) };
        if (sql.includes("FROM torrents")) return { ...empty, results: keys.map((k) => ({ info_hash: k, status: "approved", freeleech: 0, neutral: 0, double_upload: 0 })) };
        return empty;
      },
      raw: async () => [],
      first: async () => null,
    };
    return statement;
  };
  return { prepare, batch: async (s: unknown[]) => s.map(() => empty), exec: async () => ({ count: 0, duration: 0 }) };
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");
function heap(): number {
  for (let i = 0; i < 4; i++) gc!();
  // Typed arrays keep their bytes outside the V8 heap (the shard's unsent credit is one): counted too.
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

// Worker code is typed by worker/tsconfig.json, not by this Node project: import it by a
// computed name and describe the little used here.
interface Shard {
  announce(a: ReturnType<typeof input>): Promise<unknown>;
  alarm(): Promise<void>;
  scrape(infoHashes: string[], pk: string): Record<string, { complete: number; incomplete: number }>;
}
const shardModule = "../worker/swarm/shard.ts";
const { SwarmShard } = (await import(shardModule)) as { SwarmShard: new (ctx: unknown, env: unknown) => Shard };
const ctx = new Proxy(
  { blockConcurrencyWhile: async (f: () => Promise<unknown>) => f(), waitUntil: () => {} },
  { get: (t, k) => (k in t ? t[k as keyof typeof t] : (nothing as never)) },
);
const shard = new SwarmShard(ctx as never, { DB: fakeD1() } as never);
await new Promise((r) => setTimeout(r, 10));

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");
/**
 * The i-th announce as the shard receives it over RPC: every string a fresh copy, as
 * deserialisation makes them, so what the shard keeps of them is counted.
 */
const input = (i: number, later = 0) => ({
  ih: hex(i % SWARMS, 8).repeat(5),
  // A qBittorrent-style id: 8 bytes of client, 12 of this peer.
  pid: ["-qB4650-", hex(i, 12)].join(""),
  // One member per SWARMS peers: each member has one session in every swarm (the limit is per swarm).
  pk: hex(Math.floor(i / SWARMS), 32),
  client: true,
  ep: String.fromCharCode(10, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, (1025 + (i % 60_000)) >> 8, (1025 + (i % 60_000)) & 0xff),
  up: i * 1_000 + later * 7_000,
  down: i * 2_000 + (i % 4 === 0 ? 0 : later * 5_000),
  left: i % 4 === 0 ? 0 : 1_000_000,
  ev: later ? 0 : 1, // started, then a regular announce
  nw: 50,
  now: Date.now() + later * 31 * 60_000,
  tid: 0,
  ids: false,
});
const firstInfoHash = input(0).ih;

const before = heap();
for (let i = 0; i < PEERS; i++) {
  const r = (await shard.announce(input(i))) as { ok: boolean; code?: string };
  if (!r.ok) throw new Error(`announce ${i} refused: ${r.code}`);
}
const afterAnnounces = heap();
let afterFlush: number | undefined;
try {
  await shard.alarm();
  afterFlush = heap();
} catch (e) {
  console.error("alarm failed in the fake context, reporting the first figure only:", (e as Error).message);
}
// Every session announces again with bytes: each now holds unsent credit until it ends.
let withCredit: number | undefined;
if (afterFlush !== undefined) {
  for (let i = 0; i < PEERS; i++) {
    const r = (await shard.announce(input(i, 1))) as { ok: boolean; code?: string };
    if (!r.ok) throw new Error(`second announce ${i} refused: ${r.code}`);
  }
  try {
    await shard.alarm();
    withCredit = heap();
  } catch (e) {
    console.error("second alarm failed in the fake context:", (e as Error).message);
  }
}
const stats = shard.scrape([firstInfoHash], "");
const inSwarm = Object.values(stats).reduce((n, s) => n + s.complete + s.incomplete, 0) * SWARMS;
if (inSwarm !== PEERS) throw new Error(`expected ${PEERS} peers in the shard, found about ${inSwarm}`);

const perPeer = (bytes: number) => Math.round(bytes / PEERS);
console.log(
  "PEER_MEMORY " +
    JSON.stringify({
      peers: PEERS,
      swarms: SWARMS,
      bytesPerPeerWithPending: perPeer(afterAnnounces - before),
      bytesPerPeer: afterFlush === undefined ? null : perPeer(afterFlush - before),
      bytesPerPeerWithCredit: withCredit === undefined ? null : perPeer(withCredit - before),
      method: "node heapUsed + arrayBuffers delta, real SwarmShard class, fake DO context",
    }),
);
