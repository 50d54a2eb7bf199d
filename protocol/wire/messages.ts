// BitTorrent peer wire protocol (BEP 3) and the extension protocol (BEP 10): just what a
// challenger needs to speak to an ordinary client, as pure encoders and an incremental reader.

import { binaryToBytes, bytesEqual, concatBytes } from "../hex.ts";

export const PROTOCOL_NAME = binaryToBytes("BitTorrent protocol");
export const HANDSHAKE_LENGTH = 68;

export const MessageId = {
  choke: 0,
  unchoke: 1,
  interested: 2,
  notInterested: 3,
  have: 4,
  bitfield: 5,
  request: 6,
  piece: 7,
  cancel: 8,
  port: 9,
  extended: 20,
} as const;

/** BEP 10: the extension handshake is extended message 0. */
export const EXTENDED_HANDSHAKE_ID = 0;

export interface Handshake {
  infoHash: Uint8Array;
  peerId: Uint8Array;
  reserved: Uint8Array;
  supportsExtensions: boolean;
}

export function encodeHandshake(infoHash: Uint8Array, peerId: Uint8Array): Uint8Array {
  if (infoHash.length !== 20 || peerId.length !== 20) throw new RangeError("info hash and peer id are 20 bytes");
  const out = new Uint8Array(HANDSHAKE_LENGTH);
  out[0] = 19;
  out.set(PROTOCOL_NAME, 1);
  out[20 + 5] = 0x10; // BEP 10: reserved bit 20 from the right announces the extension protocol
  out.set(infoHash, 28);
  out.set(peerId, 48);
  return out;
}

export function parseHandshake(b: Uint8Array): Handshake {
  if (b.length < HANDSHAKE_LENGTH) throw new Error("short handshake");
  if (b[0] !== 19 || !bytesEqual(b.subarray(1, 20), PROTOCOL_NAME)) throw new Error("not a BitTorrent handshake");
  const reserved = b.slice(20, 28);
  return { reserved, supportsExtensions: (reserved[5]! & 0x10) !== 0, infoHash: b.slice(28, 48), peerId: b.slice(48, 68) };
}

function frame(id: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  new DataView(out.buffer).setUint32(0, 1 + payload.length);
  out[4] = id;
  out.set(payload, 5);
  return out;
}

function u32s(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => v.setUint32(i * 4, x));
  return out;
}

export const encodeInterested = () => frame(MessageId.interested);
export const encodeUnchoke = () => frame(MessageId.unchoke);
export const encodeRequest = (piece: number, begin: number, length: number) => frame(MessageId.request, u32s(piece, begin, length));
export const encodePiece = (piece: number, begin: number, block: Uint8Array) => frame(MessageId.piece, concatBytes(u32s(piece, begin), block));
export const encodeExtended = (extId: number, payload: Uint8Array) => frame(MessageId.extended, concatBytes(Uint8Array.of(extId), payload));

export type WireMessage =
  | { type: "keepalive" }
  | { type: "choke" | "unchoke" | "interested" | "notInterested" }
  | { type: "have"; piece: number }
  | { type: "bitfield"; bitfield: Uint8Array }
  | { type: "request" | "cancel"; piece: number; begin: number; length: number }
  | { type: "piece"; piece: number; begin: number; block: Uint8Array }
  | { type: "extended"; extId: number; payload: Uint8Array }
  | { type: "other"; id: number; payload: Uint8Array };

/** Largest message we accept: a 16 KiB block plus header, or an extension message with proofs. */
export const MAX_MESSAGE_LENGTH = 1 << 20;

/**
 * Incremental reader: push() bytes as they arrive, then take handshake and messages out.
 * Unread bytes are kept as a view of what was pushed (chunks read from a stream belong to
 * the reader, and are not written to here); each message's payload is copied once, when it
 * is decoded, so a 16 KiB block costs one copy, not three.
 */
export class WireReader {
  private buf: Uint8Array = new Uint8Array(0);
  private handshakeDone = false;

  push(chunk: Uint8Array): void {
    this.buf = this.buf.length ? concatBytes(this.buf, chunk) : chunk;
  }

  /** The peer's handshake once 68 bytes are in, else undefined. */
  takeHandshake(): Handshake | undefined {
    if (this.handshakeDone || this.buf.length < HANDSHAKE_LENGTH) return undefined;
    const hs = parseHandshake(this.buf.subarray(0, HANDSHAKE_LENGTH));
    this.buf = this.buf.subarray(HANDSHAKE_LENGTH);
    this.handshakeDone = true;
    return hs;
  }

  takeMessage(): WireMessage | undefined {
    if (!this.handshakeDone || this.buf.length < 4) return undefined;
    const view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    const len = view.getUint32(0);
    if (len > MAX_MESSAGE_LENGTH) throw new Error(`peer sent a ${len}-byte message`);
    if (this.buf.length < 4 + len) return undefined;
    const body = this.buf.subarray(4, 4 + len);
    this.buf = this.buf.subarray(4 + len);
    return decodeMessage(body);
  }
}

function decodeMessage(body: Uint8Array): WireMessage {
  if (body.length === 0) return { type: "keepalive" };
  const id = body[0]!;
  const p = body.subarray(1);
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const need = (n: number) => {
    if (p.length < n) throw new Error(`message ${id} too short`);
  };
  switch (id) {
    case MessageId.choke: return { type: "choke" };
    case MessageId.unchoke: return { type: "unchoke" };
    case MessageId.interested: return { type: "interested" };
    case MessageId.notInterested: return { type: "notInterested" };
    case MessageId.have: need(4); return { type: "have", piece: v.getUint32(0) };
    case MessageId.bitfield: return { type: "bitfield", bitfield: p.slice() };
    case MessageId.request:
    case MessageId.cancel:
      need(12);
      return { type: id === MessageId.request ? "request" : "cancel", piece: v.getUint32(0), begin: v.getUint32(4), length: v.getUint32(8) };
    case MessageId.piece: need(8); return { type: "piece", piece: v.getUint32(0), begin: v.getUint32(4), block: p.slice(8) };
    case MessageId.extended: need(1); return { type: "extended", extId: p[0]!, payload: p.slice(1) };
    default: return { type: "other", id, payload: p.slice() };
  }
}

/** Where storage block `index` sits in v1 pieces: piece lengths are multiples of 16 KiB. */
export function blockLocation(index: number, blockSize: number, pieceLength: number, totalLength: number): { piece: number; begin: number; length: number } {
  if (pieceLength % blockSize !== 0) throw new RangeError("piece length is not a multiple of the block size");
  const offset = index * blockSize;
  if (offset >= totalLength || index < 0) throw new RangeError(`block ${index} is past the payload`);
  return { piece: Math.floor(offset / pieceLength), begin: offset % pieceLength, length: Math.min(blockSize, totalLength - offset) };
}
