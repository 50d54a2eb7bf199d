// Raw query decoding for the tracker (TRACKER-NOTES "Reading the request"). info_hash and
// peer_id are 20 raw bytes escaped byte by byte; URLSearchParams would decode them as UTF-8
// (U+FFFD for invalid bytes) and turn `+` into a space, so two torrents could collide.

import { DEFAULT_NUMWANT, MAX_NUMWANT } from "../../protocol/params.ts";
import { bytesToBinary, utf8Encode } from "../../protocol/hex.ts";

export class QueryError extends Error {
  override name = "QueryError";
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/** Decodes one percent-escaped component into raw bytes. `+` is a literal plus. */
export function percentDecodeBytes(s: string): Uint8Array {
  // Non-ASCII characters should not appear in a raw query; if they do, take their UTF-8.
  const src = utf8Encode(s);
  const out = new Uint8Array(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c !== 0x25) {
      out[n++] = c;
      continue;
    }
    const hi = i + 2 < src.length ? hexValue(src[i + 1]!) : -1;
    const lo = hi >= 0 ? hexValue(src[i + 2]!) : -1;
    if (hi < 0 || lo < 0) throw new QueryError("malformed percent-escape in query");
    out[n++] = (hi << 4) | lo;
    i += 2;
  }
  return out.slice(0, n);
}

/** The query part of a request URL exactly as sent (no decoding), without `?` and `#…`. */
export function rawQueryOf(url: string): string {
  const q = url.indexOf("?");
  if (q < 0) return "";
  const h = url.indexOf("#", q);
  return url.slice(q + 1, h < 0 ? undefined : h);
}

/**
 * Parameters by name, values still escaped, in order. Only the values a handler reads are
 * decoded, strictly: a malformed escape in a parameter we ignore (a client's `key`, an
 * `ipv6=fe80::1%eth0`) must not fail the announce, since unknown parameters are ignored,
 * never rejected (TRACKER-NOTES). A name with a malformed escape is kept raw and so matches
 * no parameter we read.
 */
export function splitRawQuery(raw: string): Map<string, string[]> {
  const params = new Map<string, string[]>();
  if (!raw) return params;
  for (const part of raw.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const rawName = eq < 0 ? part : part.slice(0, eq);
    let name = rawName;
    if (rawName.includes("%")) {
      try {
        name = bytesToBinary(percentDecodeBytes(rawName));
      } catch {
        name = rawName;
      }
    }
    const value = eq < 0 ? "" : part.slice(eq + 1);
    const list = params.get(name);
    if (list) list.push(value);
    else params.set(name, [value]);
  }
  return params;
}

/** Every parameter decoded to raw bytes (names as binary strings); throws on any malformed escape. */
export function parseRawQuery(raw: string): Map<string, Uint8Array[]> {
  const params = new Map<string, Uint8Array[]>();
  if (!raw) return params;
  for (const part of raw.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const name = bytesToBinary(percentDecodeBytes(eq < 0 ? part : part.slice(0, eq)));
    const value = percentDecodeBytes(eq < 0 ? "" : part.slice(eq + 1));
    const list = params.get(name);
    if (list) list.push(value);
    else params.set(name, [value]);
  }
  return params;
}

export type AnnounceEvent = "started" | "completed" | "stopped" | "paused" | "";

export interface AnnounceQuery {
  infoHash: Uint8Array;
  peerId: Uint8Array;
  port: number;
  uploaded: number;
  downloaded: number;
  left: number;
  event: AnnounceEvent;
  numwant: number;
}

/** The first value of a parameter, decoded; a repeated parameter counts once, as sent first. */
function first(params: Map<string, string[]>, name: string): Uint8Array | undefined {
  const v = params.get(name)?.[0];
  return v === undefined ? undefined : percentDecodeBytes(v);
}

function ascii(b: Uint8Array): string {
  return bytesToBinary(b);
}

/** Decimal digits as a number; leading zeros are allowed, more than 16 significant digits are not. */
function decimal(s: string): number | undefined {
  if (!/^[0-9]+$/.test(s)) return undefined;
  const significant = s.replace(/^0+(?=.)/, "");
  return significant.length <= 16 ? Number(significant) : Infinity;
}

function counter(params: Map<string, string[]>, name: string, required: boolean): number {
  const v = first(params, name);
  if (v === undefined || v.length === 0) {
    if (required) throw new QueryError(`missing ${name}`);
    return 0;
  }
  // Some clients send negative `left` for unknown sizes; anything but digits is refused.
  const n = decimal(ascii(v));
  if (n === undefined || !Number.isSafeInteger(n)) throw new QueryError(`invalid ${name}`);
  return n;
}

function twentyBytes(params: Map<string, string[]>, name: string): Uint8Array {
  const v = first(params, name);
  if (!v) throw new QueryError(`missing ${name}`);
  if (v.length !== 20) throw new QueryError(`invalid ${name}: expected 20 bytes, got ${v.length}`);
  return v;
}

const EVENTS = new Set(["started", "completed", "stopped", "paused", ""]);

export function parseAnnounce(raw: string): AnnounceQuery {
  const params = splitRawQuery(raw);
  const infoHash = twentyBytes(params, "info_hash");
  const peerId = twentyBytes(params, "peer_id");
  const eventBytes = first(params, "event");
  const event = eventBytes ? ascii(eventBytes) : "";
  if (!EVENTS.has(event)) throw new QueryError("invalid event");
  const port = counter(params, "port", true);
  // BEP 3 allows port=0 with event=stopped (TRACKER-NOTES); a listening peer needs a real port.
  if (port > 65535 || (port === 0 && event !== "stopped")) throw new QueryError("invalid port");
  const numwantRaw = first(params, "numwant");
  let numwant = DEFAULT_NUMWANT;
  if (numwantRaw && numwantRaw.length) {
    // A wish, not a command: an absurd number gets the most we give, garbage the default.
    const n = decimal(ascii(numwantRaw));
    numwant = n === undefined ? DEFAULT_NUMWANT : Math.min(n, MAX_NUMWANT);
  }
  return {
    infoHash,
    peerId,
    port,
    uploaded: counter(params, "uploaded", false),
    downloaded: counter(params, "downloaded", false),
    left: counter(params, "left", true),
    event: event as AnnounceEvent,
    numwant,
  };
}

/** Every info_hash of a scrape (BEP 48), each exactly 20 bytes. */
export function parseScrape(raw: string): Uint8Array[] {
  const hashes = (splitRawQuery(raw).get("info_hash") ?? []).map(percentDecodeBytes);
  for (const h of hashes) if (h.length !== 20) throw new QueryError(`invalid info_hash: expected 20 bytes, got ${h.length}`);
  return hashes;
}

