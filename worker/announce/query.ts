// Raw query decoding for the tracker (TRACKER-NOTES "Reading the request"). info_hash and
// peer_id are 20 raw bytes escaped byte by byte; URLSearchParams would decode them as UTF-8
// (U+FFFD for invalid bytes) and turn `+` into a space, so two torrents could collide.
// Decoded bytes are kept as binary strings (one char per byte, U+0000–U+00FF): every byte
// value round-trips, and the hot path makes no arrays. One pass over the query finds the
// parameters we read; unknown ones are skipped unread, never decoded (so never rejected).

import { DEFAULT_NUMWANT, MAX_NUMWANT } from "../../protocol/params.ts";
import { binaryToBytes } from "../../protocol/hex.ts";

export class QueryError extends Error {
  override name = "QueryError";
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/** UTF-8 bytes of a non-ASCII char, as binary-string chars (a raw query should hold none). */
function utf8Chars(code: number): string {
  if (code < 0x800) return String.fromCharCode(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
  if (code < 0x10000) return String.fromCharCode(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
  return String.fromCharCode(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
}

/**
 * Percent-decodes `s[start, end)` into a binary string; `undefined` on a malformed escape.
 * `+` is a literal plus. Non-ASCII characters stand for their UTF-8 bytes.
 */
export function decodeComponent(s: string, start = 0, end = s.length): string | undefined {
  let out = "";
  let run = start; // start of the current run of characters copied as they are
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      const hi = i + 2 < end ? hexValue(s.charCodeAt(i + 1)) : -1;
      const lo = hi >= 0 ? hexValue(s.charCodeAt(i + 2)) : -1;
      if (lo < 0) return undefined;
      out += s.slice(run, i) + String.fromCharCode((hi << 4) | lo);
      i += 2;
      run = i + 1;
    } else if (c > 0x7f) {
      let code = c;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          code = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        }
      }
      out += s.slice(run, code > 0xffff ? i - 1 : i) + utf8Chars(code);
      run = i + 1;
    }
  }
  return run === start ? s.slice(start, end) : out + s.slice(run, end);
}

/** Decodes one percent-escaped component into raw bytes; throws QueryError on a malformed escape. */
export function percentDecodeBytes(s: string): Uint8Array {
  const d = decodeComponent(s);
  if (d === undefined) throw new QueryError("malformed percent-escape in query");
  return binaryToBytes(d);
}

/** The query part of a request URL exactly as sent (no decoding), without `?` and `#…`. */
export function rawQueryOf(url: string): string {
  const q = url.indexOf("?");
  if (q < 0) return "";
  const h = url.indexOf("#", q);
  return url.slice(q + 1, h < 0 ? undefined : h);
}

/** Every parameter decoded to raw bytes (names as binary strings); throws on any malformed escape. */
export function parseRawQuery(raw: string): Map<string, Uint8Array[]> {
  const params = new Map<string, Uint8Array[]>();
  if (!raw) return params;
  for (const part of raw.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const name = decodeComponent(eq < 0 ? part : part.slice(0, eq));
    if (name === undefined) throw new QueryError("malformed percent-escape in query");
    const value = percentDecodeBytes(eq < 0 ? "" : part.slice(eq + 1));
    const list = params.get(name);
    if (list) list.push(value);
    else params.set(name, [value]);
  }
  return params;
}

export type AnnounceEvent = "started" | "completed" | "stopped" | "paused" | "";

export interface AnnounceQuery {
  /** 20 raw bytes as a binary string. */
  infoHash: string;
  /** 20 raw bytes as a binary string. */
  peerId: string;
  port: number;
  uploaded: number;
  downloaded: number;
  left: number;
  event: AnnounceEvent;
  numwant: number;
  /** `compact=0` asks for BEP 3's dictionary model; anything else (or nothing) gets compact peers. */
  compact: boolean;
  /** `no_peer_id=1`: the dictionary model without `peer id`. */
  noPeerId: boolean;
  /** The `tracker id` we gave this session, echoed (0 when absent or not ours). */
  trackerId: number;
}

// Parameters read by the tracker, by name as sent (escaped names are decoded first).
const READ = ["info_hash", "peer_id", "port", "uploaded", "downloaded", "left", "event", "numwant", "compact", "no_peer_id", "trackerid"] as const;
type ReadName = (typeof READ)[number];
const READ_INDEX = new Map<string, number>(READ.map((n, i) => [n, i]));

/**
 * Calls `visit` with each `name=value` pair of a raw query, in order: the name decoded
 * (undefined when its escapes are malformed) and where the still-escaped value lies in `raw`.
 * Empty pairs (`&&`) are skipped; a pair without `=` has an empty value.
 */
function forEachParam(raw: string, visit: (name: string | undefined, valueStart: number, valueEnd: number) => void): void {
  const n = raw.length;
  let start = 0;
  while (start <= n) {
    let end = raw.indexOf("&", start);
    if (end < 0) end = n;
    if (end > start) {
      let eq = raw.indexOf("=", start);
      if (eq < 0 || eq > end) eq = end;
      let name: string | undefined = raw.slice(start, eq);
      if (name.includes("%")) name = decodeComponent(name);
      visit(name, eq < end ? eq + 1 : end, end);
    }
    start = end + 1;
  }
}

/** The raw (still escaped) first value of each parameter we read, by READ index. */
function scan(raw: string, wanted: Set<ReadName> | undefined): (string | undefined)[] {
  const found: (string | undefined)[] = new Array(READ.length);
  forEachParam(raw, (name, from, to) => {
    const k = name === undefined ? undefined : READ_INDEX.get(name);
    // A repeated parameter counts once, as sent first.
    if (k !== undefined && found[k] === undefined && (!wanted || wanted.has(READ[k]!))) found[k] = raw.slice(from, to);
  });
  return found;
}

function decoded(v: string, name: string): string {
  const d = decodeComponent(v);
  if (d === undefined) throw new QueryError(`malformed percent-escape in ${name}`);
  return d;
}

/** Decimal digits as a number; leading zeros are allowed; undefined if not all digits. */
function digits(s: string): number | undefined {
  if (s.length === 0) return undefined;
  let i = 0;
  while (i < s.length - 1 && s.charCodeAt(i) === 0x30) i++;
  if (s.length - i > 16) {
    for (let j = i; j < s.length; j++) {
      const c = s.charCodeAt(j);
      if (c < 0x30 || c > 0x39) return undefined;
    }
    return Infinity;
  }
  let v = 0;
  for (let j = i; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c < 0x30 || c > 0x39) return undefined;
    v = v * 10 + (c - 0x30);
  }
  return v;
}

function counter(v: string | undefined, name: string, required: boolean): number {
  if (v === undefined || v === "") {
    if (required) throw new QueryError(`missing ${name}`);
    return 0;
  }
  // Some clients send negative `left` for unknown sizes; anything but digits is refused.
  const n = digits(decoded(v, name));
  if (n === undefined || !Number.isSafeInteger(n)) throw new QueryError(`invalid ${name}`);
  return n;
}

function twentyBytes(v: string | undefined, name: string): string {
  if (v === undefined) throw new QueryError(`missing ${name}`);
  const d = decoded(v, name);
  if (d.length !== 20) throw new QueryError(`invalid ${name}: expected 20 bytes, got ${d.length}`);
  return d;
}

const EVENTS = new Set(["started", "completed", "stopped", "paused", ""]);

export function parseAnnounce(raw: string): AnnounceQuery {
  const f = scan(raw, undefined);
  const infoHash = twentyBytes(f[0], "info_hash");
  const peerId = twentyBytes(f[1], "peer_id");
  const event = f[6] === undefined ? "" : decoded(f[6], "event");
  if (!EVENTS.has(event)) throw new QueryError("invalid event");
  const port = counter(f[2], "port", true);
  // BEP 3 allows port=0 with event=stopped (TRACKER-NOTES); a listening peer needs a real port.
  if (port > 65535 || (port === 0 && event !== "stopped")) throw new QueryError("invalid port");
  let numwant = DEFAULT_NUMWANT;
  if (f[7] !== undefined && f[7] !== "") {
    // A wish, not a command: an absurd number gets the most we give, garbage the default.
    const d = decodeComponent(f[7]);
    if (d === undefined) throw new QueryError("malformed percent-escape in numwant");
    const n = digits(d);
    if (n !== undefined) numwant = Math.min(n, MAX_NUMWANT);
  }
  // Optional flags: a malformed value means the flag's default, never a failure.
  const flag = (v: string | undefined) => (v === undefined ? undefined : decodeComponent(v));
  const tid = flag(f[10]);
  const trackerId = tid === undefined ? 0 : (digits(tid) ?? 0);
  return {
    infoHash,
    peerId,
    port,
    uploaded: counter(f[3], "uploaded", false),
    downloaded: counter(f[4], "downloaded", false),
    left: counter(f[5], "left", true),
    event: event as AnnounceEvent,
    numwant,
    compact: flag(f[8]) !== "0",
    noPeerId: flag(f[9]) === "1",
    trackerId: Number.isSafeInteger(trackerId) ? trackerId : 0,
  };
}

/** Every info_hash of a scrape (BEP 48), each exactly 20 bytes, as binary strings. */
export function parseScrape(raw: string): string[] {
  const hashes: string[] = [];
  forEachParam(raw, (name, from, to) => {
    if (name !== "info_hash") return;
    const d = decodeComponent(raw, from, to);
    if (d === undefined) throw new QueryError("malformed percent-escape in info_hash");
    if (d.length !== 20) throw new QueryError(`invalid info_hash: expected 20 bytes, got ${d.length}`);
    hashes.push(d);
  });
  return hashes;
}
