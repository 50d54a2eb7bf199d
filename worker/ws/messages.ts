// The WebSocket tracker protocol that WebTorrent speaks (bittorrent-tracker's
// lib/client/websocket-tracker.js and lib/server/parse-websocket.js): JSON text frames in
// which info hashes, peer ids and offer ids are 20-byte binary strings, one char per byte
// (U+0000–U+00FF). They are kept as those strings end to end, never re-encoded, so every
// byte value round-trips; hex appears only where D1 and the shard choice need it.

import { binaryToBytes, toHex } from "../../protocol/hex.ts";
import { WS_MAX_SDP_BYTES } from "../../protocol/params.ts";

/** Seconds between announces we ask for; bittorrent-tracker's server uses 2 minutes for WebSocket peers. */
export const WS_ANNOUNCE_INTERVAL_SECONDS = 120;
/** Offers in one announce at most; more are refused (WebTorrent sends up to 5; bittorrent-tracker's server caps at 82). */
export const MAX_OFFERS = 10;
/** Info hashes in one scrape at most, as for the HTTP scrape. */
export const MAX_SCRAPE_HASHES = 100;
/** Largest frame read: five SDP offers are a few KiB; anything far bigger is not a tracker message. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

export type WsEvent = "started" | "stopped" | "completed" | "update" | "paused";

export interface Offer {
  offer: unknown;
  offer_id: string;
}

export interface AnnounceMessage {
  action: "announce";
  info_hash: string;
  peer_id: string;
  /** 0 for a seed; unknown or unparsable counts as a leecher, as bittorrent-tracker does. */
  left: number;
  /** The session's counters, as in an HTTP announce (WebTorrent sends its torrent's totals); 0 when absent or invalid. */
  uploaded: number;
  downloaded: number;
  event: WsEvent;
  offers: Offer[];
}

/** A peer's answer to a relayed offer, to be relayed back to the offerer. */
export interface AnswerMessage {
  action: "answer";
  info_hash: string;
  peer_id: string;
  to_peer_id: string;
  offer_id: string;
  answer: unknown;
}

export interface ScrapeMessage {
  action: "scrape";
  info_hash: string[];
}

export type ClientMessage = AnnounceMessage | AnswerMessage | ScrapeMessage;

/** A refused message; `action` and `info_hash` let the client route the failure to its torrent. */
export class WsFailure extends Error {
  override name = "WsFailure";
  readonly action: "announce" | "scrape" | undefined;
  readonly infoHash: string | undefined;
  /** Reason code for /metrics. */
  readonly code: string;
  constructor(message: string, action?: "announce" | "scrape", infoHash?: string, code = "malformed") {
    super(message);
    this.action = action;
    this.infoHash = infoHash;
    this.code = code;
  }
}

/** A 20-byte binary string: exactly 20 chars, each one byte. */
export function isBinary20(v: unknown): v is string {
  if (typeof v !== "string" || v.length !== 20) return false;
  for (let i = 0; i < 20; i++) if (v.charCodeAt(i) > 0xff) return false;
  return true;
}

export function binaryToHex(s: string): string {
  return toHex(binaryToBytes(s));
}

const EVENTS = new Set(["started", "stopped", "completed", "update", "paused"]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An offer or answer bigger than any real SDP (the frame's own bound keeps this cheap). */
function tooLarge(sdp: Record<string, unknown>): boolean {
  return JSON.stringify(sdp).length > WS_MAX_SDP_BYTES;
}

/**
 * Parses and validates one client frame. Throws WsFailure with what a client can read.
 * Unknown fields are ignored, as trackers ignore unknown announce parameters.
 */
export function parseClientMessage(frame: string | ArrayBuffer): ClientMessage {
  // The tracker protocol is JSON text; a binary frame (of whatever runtime type) is refused as such.
  if (typeof frame !== "string") throw new WsFailure("binary frames are not part of the tracker protocol: send JSON text");
  if (frame.length > MAX_MESSAGE_BYTES) throw new WsFailure(`message too large (at most ${MAX_MESSAGE_BYTES} bytes)`, undefined, undefined, "too_large");
  const text = frame;
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    throw new WsFailure("invalid JSON");
  }
  if (!isObject(m)) throw new WsFailure("invalid message: expected a JSON object");

  if (m.action === "scrape") {
    const raw = m.info_hash;
    const hashes = typeof raw === "string" ? [raw] : raw;
    // A private tracker does not hand out its whole index (BEP 48 full scrape).
    if (!Array.isArray(hashes) || hashes.length === 0) throw new WsFailure("full scrape is not allowed: name the info_hash", "scrape");
    if (hashes.length > MAX_SCRAPE_HASHES) throw new WsFailure(`too many info_hash values (at most ${MAX_SCRAPE_HASHES})`, "scrape");
    if (!hashes.every(isBinary20)) throw new WsFailure("invalid info_hash", "scrape");
    return { action: "scrape", info_hash: [...new Set(hashes as string[])] };
  }

  if (m.action !== "announce") throw new WsFailure(`invalid action: ${String(m.action).slice(0, 32)}`);
  if (!isBinary20(m.info_hash)) throw new WsFailure("invalid info_hash", "announce");
  const infoHash = m.info_hash;
  if (!isBinary20(m.peer_id)) throw new WsFailure("invalid peer_id", "announce", infoHash);

  if (m.answer !== undefined) {
    if (!isBinary20(m.to_peer_id)) throw new WsFailure("invalid to_peer_id (required with answer)", "announce", infoHash);
    if (!isBinary20(m.offer_id)) throw new WsFailure("invalid offer_id", "announce", infoHash);
    if (!isObject(m.answer)) throw new WsFailure("invalid answer", "announce", infoHash);
    if (tooLarge(m.answer)) throw new WsFailure(`answer too large (at most ${WS_MAX_SDP_BYTES} bytes)`, "announce", infoHash, "too_large");
    return { action: "answer", info_hash: infoHash, peer_id: m.peer_id, to_peer_id: m.to_peer_id, offer_id: m.offer_id, answer: m.answer };
  }

  const event = m.event === undefined || m.event === "" || m.event === "empty" ? "update" : m.event;
  if (typeof event !== "string" || !EVENTS.has(event)) throw new WsFailure("invalid event", "announce", infoHash);
  const left = Number(m.left);
  const counter = (v: unknown) => (typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : 0);
  const offers: Offer[] = [];
  if (m.offers !== undefined) {
    if (!Array.isArray(m.offers)) throw new WsFailure("invalid offers", "announce", infoHash);
    if (m.offers.length > MAX_OFFERS) throw new WsFailure(`too many offers (at most ${MAX_OFFERS})`, "announce", infoHash, "too_many_offers");
    for (const o of m.offers) {
      if (!isObject(o) || !isObject(o.offer) || !isBinary20(o.offer_id)) throw new WsFailure("invalid offer", "announce", infoHash);
      if (tooLarge(o.offer)) throw new WsFailure(`offer too large (at most ${WS_MAX_SDP_BYTES} bytes)`, "announce", infoHash, "too_large");
      offers.push({ offer: o.offer, offer_id: o.offer_id });
    }
  }
  return {
    action: "announce",
    info_hash: infoHash,
    peer_id: m.peer_id,
    left: Number.isFinite(left) && left >= 0 ? left : Number.POSITIVE_INFINITY,
    uploaded: counter(m.uploaded),
    downloaded: counter(m.downloaded),
    event: event as WsEvent,
    // A stopped or completed announce carries no offers (websocket-tracker.js), and none are relayed.
    offers: event === "stopped" ? [] : offers,
  };
}

/** The JSON a client reads as a failure: bittorrent-tracker routes it by action and info_hash. */
export function failureFrame(e: WsFailure): string {
  return JSON.stringify({
    ...(e.action ? { action: e.action } : {}),
    "failure reason": e.message,
    ...(e.infoHash !== undefined ? { info_hash: e.infoHash } : {}),
  });
}
