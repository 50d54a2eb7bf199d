// Random and malformed tracker requests for the announce fuzz, and a reference model of the
// query rules written independently of worker/announce/query.ts (TRACKER-NOTES "Reading the
// request"): the fuzz checks the parser against the model and the HTTP answers against the
// response rules. Every case is a pure function of (seed, index), so one failure reproduces.

import { DEFAULT_NUMWANT, MAX_NUMWANT } from "../../../protocol/params.ts";

// ---------------------------------------------------------------------------------------
// PRNG: sfc32 seeded through splitmix32, fast and reproducible in every runtime.

function splitmix32(x: number): () => number {
  return () => {
    x = (x + 0x9e3779b9) | 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    const s = splitmix32(seed >>> 0);
    this.a = s();
    this.b = s();
    this.c = s();
    this.d = s();
  }
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 0x1_0000_0000) * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
  /** Picks by weight: [[weight, value], …]. */
  weighted<T>(table: readonly (readonly [number, T])[]): T {
    let total = 0;
    for (const [w] of table) total += w;
    let r = this.u32() / 0x1_0000_0000 * total;
    for (const [w, v] of table) {
      if ((r -= w) < 0) return v;
    }
    return table[table.length - 1]![1];
  }
}

/** The seed of case `index`: each case can be regenerated alone. */
export function caseSeed(seed: number, index: number): number {
  return splitmix32((seed ^ Math.imul(index + 1, 0x27d4eb2d)) >>> 0)();
}

// ---------------------------------------------------------------------------------------
// Reference model of the query rules, applied to the query as the worker sees it (after the
// WHATWG URL parser escaped non-ASCII and dropped tabs and newlines).

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const KNOWN_EVENTS = ["started", "completed", "stopped", "paused", ""];

const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/** Strict percent-decoding: every `%` must start two hex digits; `+` is a literal plus. */
export function refDecode(s: string): Uint8Array | "malformed" {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch === 0x25) {
      if (!isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2))) return "malformed";
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (ch < 0x80) out.push(ch);
    else for (const b of new TextEncoder().encode(s[i]!)) out.push(b);
  }
  return Uint8Array.from(out);
}

function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

export interface RefAnnounce {
  infoHash: Uint8Array;
  peerId: Uint8Array;
  port: number;
  uploaded: number;
  downloaded: number;
  left: number;
  event: string;
  numwant: number;
}

export type RefResult<T> = { ok: true; value: T } | { ok: false; why: string };

/** Thrown inside the model only; not an Error, so no stack is captured. */
class Refused {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

/**
 * Parameters by decoded name, values still escaped. A name with a malformed escape matches
 * nothing we read, and parameters we do not read are never decoded: unknown parameters are
 * ignored, never rejected.
 */
function refParams(query: string): Map<string, string[]> {
  const params = new Map<string, string[]>();
  for (const part of query.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = refDecode(eq < 0 ? part : part.slice(0, eq));
    if (name === "malformed") continue;
    const key = latin1(name);
    const value = eq < 0 ? "" : part.slice(eq + 1);
    const list = params.get(key);
    if (list) list.push(value);
    else params.set(key, [value]);
  }
  return params;
}

function decodedOrRefuse(raw: string, name: string): Uint8Array {
  const d = refDecode(raw);
  if (d === "malformed") throw new Refused(`malformed ${name}`);
  return d;
}

/** A counter: decimal digits (leading zeros allowed) up to 2^53 - 1. */
function refCounter(raw: string | undefined, name: string, required: boolean): number {
  if (raw === undefined || raw === "") {
    if (required) throw new Refused(`missing ${name}`);
    return 0;
  }
  const s = latin1(decodedOrRefuse(raw, name));
  if (!/^[0-9]+$/.test(s) || BigInt(s) > MAX_SAFE) throw new Refused(`invalid ${name}`);
  return Number(s);
}

export function refAnnounce(query: string): RefResult<RefAnnounce> {
  try {
    const p = refParams(query);
    const first = (n: string) => p.get(n)?.[0];
    const twenty = (n: string) => {
      const raw = first(n);
      if (raw === undefined) throw new Refused(`missing ${n}`);
      const b = decodedOrRefuse(raw, n);
      if (b.length !== 20) throw new Refused(`${n} of ${b.length} bytes`);
      return b;
    };
    const infoHash = twenty("info_hash");
    const peerId = twenty("peer_id");
    const rawEvent = first("event");
    const event = rawEvent === undefined ? "" : latin1(decodedOrRefuse(rawEvent, "event"));
    if (!KNOWN_EVENTS.includes(event)) throw new Refused("unknown event");
    const port = refCounter(first("port"), "port", true);
    if (port > 65535 || (port === 0 && event !== "stopped")) throw new Refused("invalid port");
    const left = refCounter(first("left"), "left", true);
    const uploaded = refCounter(first("uploaded"), "uploaded", false);
    const downloaded = refCounter(first("downloaded"), "downloaded", false);
    // numwant is a wish: any number of digits is clamped, anything else means the default.
    const rawNumwant = first("numwant");
    let numwant = DEFAULT_NUMWANT;
    if (rawNumwant !== undefined && rawNumwant !== "") {
      const s = latin1(decodedOrRefuse(rawNumwant, "numwant"));
      if (/^[0-9]+$/.test(s)) numwant = Number(BigInt(s) < BigInt(MAX_NUMWANT) ? BigInt(s) : BigInt(MAX_NUMWANT));
    }
    return { ok: true, value: { infoHash, peerId, port, uploaded, downloaded, left, event, numwant } };
  } catch (e) {
    if (e instanceof Refused) return { ok: false, why: e.message };
    throw e;
  }
}

export function refScrape(query: string): RefResult<Uint8Array[]> {
  const raws = refParams(query).get("info_hash") ?? [];
  const out: Uint8Array[] = [];
  for (const raw of raws) {
    const b = refDecode(raw);
    if (b === "malformed") return { ok: false, why: "malformed info_hash" };
    if (b.length !== 20) return { ok: false, why: `info_hash of ${b.length} bytes` };
    out.push(b);
  }
  return { ok: true, value: out };
}

// ---------------------------------------------------------------------------------------
// The world the fuzz announces into, and the case generator.

export interface World {
  origin: string;
  /** Passkeys of registered members. */
  passkeys: string[];
  /** Registered info hashes, 20 raw bytes each. */
  torrents: Uint8Array[];
  /** Info hashes that are not registered. */
  strangers: Uint8Array[];
  /** Peer ids per (member, torrent): a few sessions each, so re-announces happen. */
  sessions: Uint8Array[][][];
}

const CLIENT_PREFIXES = ["-qB4650-", "-TR4060-", "-lt0D90-", "-UT3600-", "-WW0208-", "A2-1-37-0-", "-DE211s-"];

export function makeWorld(seed: number, origin: string, passkeys: string[], torrents: Uint8Array[]): World {
  const rng = new Rng(seed ^ 0x5eed);
  const strangers = Array.from({ length: 32 }, () => rng.bytes(20));
  const sessions = passkeys.map(() =>
    torrents.map(() =>
      Array.from({ length: 3 }, () => {
        const prefix = new TextEncoder().encode(rng.pick(CLIENT_PREFIXES));
        const id = rng.bytes(20);
        id.set(prefix);
        return id;
      }),
    ),
  );
  return { origin, passkeys, torrents, strangers, sessions };
}

/** What a case must get back, beyond the response rules every answer obeys. */
export type Expect =
  | { answer: "failure"; why: string }
  /** A parsed, authorised request: success or a tracker-rule failure, never a parse failure. */
  | { answer: "either"; scrapeFiles?: string[] };

export interface Case {
  index: number;
  kind: "announce" | "scrape";
  url: string;
  headers: Record<string, string>;
  /** The raw query as the worker will see it. */
  seenQuery: string;
  /** What the generator meant, for messages: the mutations applied. */
  notes: string[];
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;
/** Characters a sloppy client leaves raw in a query; each decodes to itself. */
const RAW_OK = /[A-Za-z0-9\-._~!$'()*,;:@/?+]/;

function hex2(b: number, upper: boolean): string {
  const h = b.toString(16).padStart(2, "0");
  return upper ? h.toUpperCase() : h;
}

/** Escapes bytes the way some client would: all, minimal, or at random, in either hex case. */
export function escapeBytes(rng: Rng, bytes: Uint8Array): string {
  const style = rng.weighted([
    [4, "lower"],
    [3, "upper"],
    [3, "minimal"],
    [2, "mixed"],
  ] as const);
  let s = "";
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    if (style === "minimal" && UNRESERVED.test(ch)) s += ch;
    else if (style === "mixed" && RAW_OK.test(ch) && rng.chance(0.6)) s += ch;
    else s += "%" + hex2(b, style === "upper" || (style === "mixed" && rng.chance(0.5)));
  }
  return s;
}

function digits(rng: Rng, n: number): string {
  let s = String(rng.range(1, 9));
  for (let i = 1; i < n; i++) s += String(rng.int(10));
  return s;
}

function counterValue(rng: Rng): string {
  return rng.weighted([
    [6, () => String(rng.int(10_000_000))],
    [2, () => String(rng.int(2 ** 40))],
    [1, () => "0"],
    [1, () => String(Number.MAX_SAFE_INTEGER - rng.int(1000))],
  ] as const)();
}

const NASTY_NUMBERS = [
  "", "-1", "-0", "+5", "1e3", "0x10", "1.5", " 5", "5 ", "%35", "%2B5", "%2d1", "00000000000000000000005",
  "9007199254740991", "9007199254740992", "18446744073709551615", "99999999999999999999999999999", "\u0663",
  "NaN", "Infinity", "5%00", "%", "5%", "%g5", "0", "65535", "65536", "4294967296", "१२",
];

const NASTY_EVENTS = [
  "started", "completed", "stopped", "paused", "", "STARTED", "Started", "start", "empty", "none", "update", "foo",
  "%73tarted", "%73%74%6F%70%70%65%64", "started%20", "stopped%00", "started&event=stopped", "%", "%zz", "x".repeat(300), "st\u00e4rted",
];

const NASTY_NUMWANT = ["-1", "0", "1", "200", "201", "999999", "1000000", "99999999999999999999999", "abc", "", "1e2", "50.5", "%35%30", "%"];

/** A value for a 20-byte parameter that is wrong in some way (or, now and then, right). */
function nastyTwenty(rng: Rng, good: Uint8Array): string {
  return rng.weighted([
    [3, () => escapeBytes(rng, rng.bytes(rng.pick([0, 1, 19, 21, 40])))],
    [2, () => escapeBytes(rng, rng.bytes(rng.int(64)))],
    [2, () => escapeBytes(rng, good).replace(/%[0-9a-fA-F]{2}$/, "%")],
    [2, () => escapeBytes(rng, good).replace(/%([0-9a-fA-F])[0-9a-fA-F]/, "%$1")],
    [2, () => escapeBytes(rng, good).replace(/%[0-9a-fA-F]{2}/, rng.pick(["%zz", "%g0", "%%", "%u00e9", "%-1"]))],
    [2, () => "+".repeat(rng.pick([19, 20, 21]))],
    [1, () => "é".repeat(10)],
    [1, () => "\u{1F600}".repeat(5)],
    [1, () => escapeBytes(rng, good) + "%00"],
    [1, () => escapeBytes(rng, good)],
    [1, () => ""],
  ] as const)();
}

/** Junk a case can carry: parameters nobody reads, in every malformed shape. */
function junkParam(rng: Rng): string {
  return rng.weighted([
    [3, () => `${rng.pick(["key", "supportcrypto", "no_peer_id", "corrupt", "redundant", "trackerid", "requirecrypto", "azudp", "ipv6", "ip", "ipv4", "localip", "x"])}=${rng.pick(["1", "0", "", "%zz", "%", "abc%4", "fe80::1%eth0", "2001:db8::1", "10.0.0.1", "%DE%AD%BE%EF", "é", "a+b"])}`],
    [2, () => `key=${escapeBytes(rng, rng.bytes(rng.int(12)))}`],
    [1, () => rng.pick(["", "=", "==", "=x", "a==b", "&", "%zz=1", "%=%", "info_hash", "%69nfo_hash_x=1", "\u00fc=1"])],
    [1, () => `${escapeBytes(rng, rng.bytes(rng.int(8)))}=${escapeBytes(rng, rng.bytes(rng.int(8)))}`],
  ] as const)();
}

function garbageQuery(rng: Rng): string {
  return rng.weighted([
    [3, () => Array.from({ length: rng.int(300) }, () => String.fromCharCode(rng.range(0x21, 0x7e))).join("").replaceAll("#", "")],
    [2, () => escapeBytes(rng, rng.bytes(rng.int(200)))],
    [1, () => Array.from({ length: rng.int(40) }, () => String.fromCodePoint(rng.range(0xa0, 0x2fff))).join("")],
    [1, () => ""],
  ] as const)();
}

type Param = [name: string, value: string | undefined];

const joinParams = (ps: Param[], sep = "&") => ps.map(([n, v]) => (v === undefined ? n : `${n}=${v}`)).join(sep);

interface Passkey {
  segment: string;
  /** Whether the decoded segment is a registered passkey: yes, no, or cannot say. */
  known: "yes" | "no" | "maybe";
  member: number;
}

function passkeyFor(rng: Rng, w: World): Passkey {
  const member = rng.int(w.passkeys.length);
  const good = w.passkeys[member]!;
  return rng.weighted<() => Passkey>([
    [80, () => ({ segment: good, known: "yes", member })],
    [4, () => ({ segment: Array.from(rng.bytes(16), (b) => hex2(b, false)).join(""), known: "no", member })],
    [2, () => ({ segment: good.toUpperCase(), known: "no", member })],
    [2, () => ({ segment: good.slice(0, rng.int(32)) || "x", known: "no", member })],
    [1, () => ({ segment: good + "0", known: "no", member })],
    [1, () => ({ segment: "ключ-" + good, known: "no", member })],
    [1, () => ({ segment: "%FF%FE" + good, known: "maybe", member })],
    [1, () => ({ segment: good.replace(/[0-9a-f]/g, (ch) => (rng.chance(0.3) ? "%" + hex2(ch.charCodeAt(0), rng.chance(0.5)) : ch)), known: "maybe", member })],
    [1, () => ({ segment: "%zz" + good, known: "maybe", member })],
    [1, () => ({ segment: good + "%2Fx", known: "maybe", member })],
    [1, () => ({ segment: "p".repeat(rng.range(100, 6000)), known: "no", member })],
    [1, () => ({ segment: rng.pick(["pk;x", "pk:x", "pk@x", "!$&'()*+,=", "a b", "😀", "%00", "%", "~"]), known: "maybe", member })],
  ])();
}

interface Address {
  header?: string;
  valid: "yes" | "no" | "maybe";
}

function addressFor(rng: Rng): Address {
  return rng.weighted<() => Address>([
    [40, () => ({ valid: "yes" })],
    [30, () => ({ header: `10.${rng.int(256)}.${rng.int(256)}.${rng.range(1, 254)}`, valid: "yes" })],
    [15, () => ({ header: `2001:db8::${rng.range(1, 0xffff).toString(16)}`, valid: "yes" })],
    [3, () => ({ header: `::ffff:192.0.2.${rng.range(1, 254)}`, valid: "yes" })],
    [6, () => ({ header: rng.pick(["not-an-ip", "1.2.3.4, 5.6.7.8", "256.1.1.1", "::::", "[::1]", "1.2.3", "1.2.3.4.5", "x".repeat(2000), "01.2.3.4"]), valid: "no" })],
    [3, () => ({ header: rng.pick(["", " 10.0.0.1 ", "fe80::1%eth0", "::1", "0.0.0.0", "255.255.255.255", "::"]), valid: "maybe" })],
  ])();
}

export function generateCase(w: World, seed: number, index: number): { c: Case; expect: Expect } {
  const rng = new Rng(caseSeed(seed, index));
  const kind = rng.chance(0.78) ? "announce" : "scrape";
  return kind === "announce" ? announceCase(rng, w, index) : scrapeCase(rng, w, index);
}

function finish(w: World, index: number, kind: Case["kind"], pk: Passkey, query: string | undefined, addr: Address, notes: string[]): Case {
  const url = `${w.origin}/${pk.segment}/${kind}${query === undefined ? "" : "?" + query}`;
  const seen = new URL(url);
  // The generator only makes paths that stay /<one segment>/<kind> after URL normalisation.
  if (!new RegExp(`^/[^/]+/${kind}$`).test(seen.pathname)) throw new Error(`generator made path ${seen.pathname}`);
  return { index, kind, url, headers: addr.header === undefined ? {} : { "CF-Connecting-IP": addr.header }, seenQuery: seen.search.slice(1), notes };
}

function announceCase(rng: Rng, w: World, index: number): { c: Case; expect: Expect } {
  const pk = passkeyFor(rng, w);
  const addr = addressFor(rng);
  const t = rng.int(w.torrents.length);
  const registered = rng.chance(0.85);
  const infoHash = registered ? w.torrents[t]! : rng.chance(0.7) ? rng.pick(w.strangers) : rng.bytes(20);
  const peerId = rng.chance(0.9) ? rng.pick(w.sessions[pk.member]![t]!) : rng.bytes(20);
  const event = rng.weighted([
    [10, undefined],
    [3, "started"],
    [1, "completed"],
    [2, "stopped"],
    [1, "paused"],
    [1, ""],
  ] as const);
  const params: Param[] = [
    ["info_hash", escapeBytes(rng, infoHash)],
    ["peer_id", escapeBytes(rng, peerId)],
    ["port", event === "stopped" && rng.chance(0.3) ? "0" : String(rng.range(1, 65535))],
    ["uploaded", counterValue(rng)],
    ["downloaded", counterValue(rng)],
    ["left", rng.chance(0.4) ? "0" : counterValue(rng)],
    ["compact", rng.pick(["1", "1", "1", "0"])],
  ];
  if (event !== undefined) params.push(["event", event]);
  if (rng.chance(0.4)) params.push(["numwant", String(rng.pick([0, 1, 5, 30, 50, 80, 200, 500]))]);
  if (rng.chance(0.5)) params.push(["key", Array.from(rng.bytes(4), (b) => hex2(b, rng.chance(0.5))).join("")]);
  if (rng.chance(0.3)) params.push(["supportcrypto", "1"]);
  if (rng.chance(0.2)) params.push(["no_peer_id", "1"]);
  if (rng.chance(0.1)) params.push([rng.pick(["ip", "ipv4", "ipv6"]), rng.pick(["203.0.113.9", "2001:db8::9", "fe80::1%25eth0"])]);
  if (rng.chance(0.3)) shuffle(rng, params);

  const notes: string[] = [];
  let query: string | undefined;
  const mutations = rng.weighted([
    [40, 0],
    [35, 1],
    [15, 2],
    [10, rng.range(3, 6)],
  ] as const);
  let sep = "&";
  for (let m = 0; m < mutations; m++) {
    const known = ["info_hash", "peer_id", "port", "uploaded", "downloaded", "left", "event", "numwant"];
    const name = rng.pick(known);
    const nasty = (): string =>
      name === "info_hash" ? nastyTwenty(rng, infoHash)
      : name === "peer_id" ? nastyTwenty(rng, peerId)
      : name === "event" ? rng.pick(NASTY_EVENTS)
      : name === "numwant" ? rng.pick(NASTY_NUMWANT)
      : name === "port" ? rng.pick(["0", "65535", "65536", "-1", "99999999", "", "6881", "%36%38%38%31", "0x1AE1"])
      : rng.chance(0.5) ? rng.pick(NASTY_NUMBERS) : digits(rng, rng.range(1, 30));
    const op = rng.weighted([
      [3, "drop"],
      [3, "repeat"],
      [6, "replace"],
      [2, "escape"],
      [3, "junk"],
      // Rare: they cost a thousand ordinary cases each in the one isolate that runs it all.
      [0.15, "long-value"],
      [0.05, "many-params"],
      [1, "garbage"],
      [1, "no-query"],
      [1, "separator"],
      [1, "non-ascii"],
    ] as const);
    notes.push(`${op}:${name}`);
    const at = params.findIndex(([n]) => n === name);
    switch (op) {
      case "drop":
        if (at >= 0) params.splice(at, 1);
        break;
      case "repeat":
        params.splice(rng.chance(0.5) ? 0 : params.length, 0, [name, nasty()]);
        break;
      case "replace":
        if (at >= 0) params[at]![1] = nasty();
        else params.push([name, nasty()]);
        break;
      case "escape": {
        // A malformed escape in some parameter, read or not.
        const i = rng.int(params.length);
        const v = params[i]?.[1] ?? "";
        const cut = rng.int(v.length + 1);
        if (params[i]) params[i]![1] = v.slice(0, cut) + rng.pick(["%", "%z", "%4", "%G1", "%%41"]) + v.slice(cut);
        break;
      }
      case "junk":
        for (let k = rng.range(1, 4); k > 0; k--) params.splice(rng.int(params.length + 1), 0, [junkParam(rng), undefined]);
        break;
      case "long-value":
        params.push([rng.pick(["key", "x", "info_hash", "peer_id", "left"]), "A".repeat(rng.range(2_000, 20_000))]);
        break;
      case "many-params":
        for (let k = rng.range(500, 3_000); k > 0; k--) params.push([`p${k}`, String(k)]);
        break;
      case "garbage":
        query = garbageQuery(rng);
        break;
      case "no-query":
        query = rng.chance(0.5) ? undefined : "";
        break;
      case "separator":
        sep = rng.pick([";", "&&", "&amp;"]);
        break;
      case "non-ascii":
        params.splice(rng.int(params.length + 1), 0, [rng.pick(["ключ", "名前", "é", name]), rng.pick(["значение", "☃", "\u{1F600}", "é".repeat(20)])]);
        break;
    }
    if (op === "garbage" || op === "no-query") break;
  }
  if (query === undefined && !notes.some((n) => n.startsWith("no-query"))) query = joinParams(params, sep);

  const c = finish(w, index, "announce", pk, query, addr, notes);
  const ref = refAnnounce(c.seenQuery);
  let expect: Expect = { answer: "either" };
  if (!ref.ok) expect = { answer: "failure", why: ref.why };
  else if (pk.known === "no") expect = { answer: "failure", why: "unknown passkey" };
  else if (addr.valid === "no") expect = { answer: "failure", why: "no address" };
  else if (!w.torrents.some((h) => sameBytes(h, ref.value.infoHash))) expect = { answer: "failure", why: "unregistered" };
  return { c, expect };
}

function scrapeCase(rng: Rng, w: World, index: number): { c: Case; expect: Expect } {
  const pk = passkeyFor(rng, w);
  const addr = addressFor(rng);
  const n = rng.weighted<() => number>([
    [5, () => 0],
    [70, () => rng.range(1, 5)],
    [20, () => rng.range(6, 100)],
    [5, () => rng.range(101, 130)],
  ])();
  const hashes: Uint8Array[] = [];
  for (let i = 0; i < n; i++)
    hashes.push(i > 0 && rng.chance(0.1) ? hashes[i - 1]! : rng.chance(0.7) ? rng.pick(w.torrents) : rng.chance(0.5) ? rng.pick(w.strangers) : rng.bytes(20));
  const params: Param[] = hashes.map((h) => ["info_hash", escapeBytes(rng, h)]);
  const notes: string[] = [`${n} hashes`];
  if (rng.chance(0.15)) {
    const i = rng.int(params.length + 1);
    params.splice(i, 0, ["info_hash", nastyTwenty(rng, rng.pick(w.torrents))]);
    notes.push("nasty info_hash");
  }
  if (rng.chance(0.2)) {
    for (let k = rng.range(1, 3); k > 0; k--) params.splice(rng.int(params.length + 1), 0, [junkParam(rng), undefined]);
    notes.push("junk");
  }
  let query: string | undefined = joinParams(params);
  if (rng.chance(0.03)) {
    query = garbageQuery(rng);
    notes.push("garbage");
  }

  const c = finish(w, index, "scrape", pk, query, addr, notes);
  const ref = refScrape(c.seenQuery);
  let expect: Expect;
  if (!ref.ok) expect = { answer: "failure", why: ref.why };
  else if (pk.known === "no") expect = { answer: "failure", why: "unknown passkey" };
  else if (ref.value.length === 0) expect = { answer: "failure", why: "full scrape" };
  else if (ref.value.length > 100) expect = { answer: "failure", why: "too many info hashes" };
  else {
    const files = new Set<string>();
    for (const h of ref.value) if (w.torrents.some((t) => sameBytes(t, h))) files.add(latin1(h));
    expect = { answer: "either", scrapeFiles: [...files].sort() };
  }
  return { c, expect };
}

function shuffle<T>(rng: Rng, xs: T[]): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
