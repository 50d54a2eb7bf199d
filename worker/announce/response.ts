// Bencoded tracker answers written directly (TRACKER-NOTES "Writing the response"): keys in
// byte order, lengths in bytes, always HTTP 200. The announce path writes a handful of known
// keys, so a writer over binary strings beats the general encoder (protocol/bencode.ts) and
// makes one allocation per answer.

import { binaryToBytes } from "../../protocol/hex.ts";

const HEADERS = { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" };

export function bencodedResponse(body: string): Response {
  return new Response(binaryToBytes(body), { status: 200, headers: HEADERS });
}

/** A byte string (binary string in, one char per byte). */
export const str = (s: string) => `${s.length}:${s}`;
export const int = (n: number) => `i${Math.trunc(n)}e`;

/** ASCII only: user-facing text we write ourselves; anything else becomes `?`. */
export function ascii(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, "?");
}

/**
 * A failure clients read (BEP 3 `failure reason`) with its retry timers: libtorrent and
 * Transmission use `interval`/`min interval` as the retry timer, and BEP 31's `retry in`
 * (`never` for what only a person can fix) where supported.
 */
export function failureBody(reason: string, retrySeconds: number, never = false): string {
  return `d14:failure reason${str(ascii(reason))}8:interval${int(retrySeconds)}12:min interval${int(retrySeconds)}8:retry in${never ? "5:never" : int(retrySeconds)}e`;
}

export interface AnnounceAnswer {
  complete: number;
  incomplete: number;
  downloaded: number;
  interval: number;
  minInterval: number;
  /** BEP 23 compact IPv4 peers (6 bytes each) or, for `compact=0`, the dictionary model. */
  peers: string | DictPeer[];
  /** BEP 7 compact IPv6 peers (18 bytes each); left out when empty. */
  peers6?: string;
  trackerId?: string;
  warning?: string;
}

/** BEP 3's dictionary model of a peer: `ip` as text, `peer id` unless `no_peer_id`. */
export interface DictPeer {
  ip: string;
  port: number;
  peerId?: string;
}

function dictPeers(list: DictPeer[]): string {
  let s = "l";
  for (const p of list) s += `d2:ip${str(p.ip)}${p.peerId === undefined ? "" : `7:peer id${str(p.peerId)}`}4:port${int(p.port)}e`;
  return s + "e";
}

export function announceBody(a: AnnounceAnswer): string {
  return (
    `d8:complete${int(a.complete)}10:downloaded${int(a.downloaded)}10:incomplete${int(a.incomplete)}` +
    `8:interval${int(a.interval)}12:min interval${int(a.minInterval)}` +
    `5:peers${typeof a.peers === "string" ? str(a.peers) : dictPeers(a.peers)}` +
    (a.peers6 ? `6:peers6${str(a.peers6)}` : "") +
    (a.trackerId !== undefined ? `10:tracker id${str(a.trackerId)}` : "") +
    (a.warning ? `15:warning message${str(ascii(a.warning))}` : "") +
    "e"
  );
}

export interface ScrapeFile {
  complete: number;
  incomplete: number;
  downloaded: number;
  /** BEP 21: leechers that are not partial seeds. */
  downloaders: number;
}

/** BEP 48 scrape; `files` keyed by the 20-byte info hash as a binary string. */
export function scrapeBody(files: Map<string, ScrapeFile>, minRequestInterval: number): string {
  let s = "d5:filesd";
  for (const k of [...files.keys()].sort()) {
    const f = files.get(k)!;
    s += `${str(k)}d8:complete${int(f.complete)}10:downloaded${int(f.downloaded)}11:downloaders${int(f.downloaders)}10:incomplete${int(f.incomplete)}e`;
  }
  return s + `e5:flagsd20:min_request_interval${int(minRequestInterval)}ee`;
}

/** Compact IPv4 entry to dotted text, IPv6 entry to RFC 5952-ish text (for the dictionary model). */
export function endpointText(e: string): { ip: string; port: number } {
  const port = (e.charCodeAt(e.length - 2) << 8) | e.charCodeAt(e.length - 1);
  if (e.length === 6) return { ip: `${e.charCodeAt(0)}.${e.charCodeAt(1)}.${e.charCodeAt(2)}.${e.charCodeAt(3)}`, port };
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((e.charCodeAt(i) << 8) | e.charCodeAt(i + 1)).toString(16));
  return { ip: groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::").replace(/:{3,}/, "::"), port };
}
