// Bencode (BEP 3). Byte strings decode to Uint8Array so that any byte value round-trips;
// dictionary keys are binary strings (one char per byte) and are written sorted by their
// raw bytes, as BEP 3 requires. Integers decode to number when safe, else bigint.

import { binaryToBytes, bytesToBinary, utf8Encode } from "./hex.ts";

export type BValue = number | bigint | Uint8Array | BValue[] | BDict;
export interface BDict {
  [key: string]: BValue;
}
/** What `encode` accepts: strings are written as UTF-8; `undefined` dict values are skipped. */
export type BInput = number | bigint | string | Uint8Array | BInput[] | { [key: string]: BInput | undefined };

export class BencodeError extends Error {
  override name = "BencodeError";
}

const D = 0x64, E = 0x65, I = 0x69, L = 0x6c, COLON = 0x3a, MINUS = 0x2d, ZERO = 0x30, NINE = 0x39;

export function encode(value: BInput): Uint8Array {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const push = (b: Uint8Array) => {
    chunks.push(b);
    size += b.length;
  };
  const ascii = (s: string) => push(binaryToBytes(s));
  const bytes = (b: Uint8Array) => {
    ascii(`${b.length}:`);
    push(b);
  };
  const walk = (v: BInput): void => {
    if (typeof v === "number") {
      if (!Number.isSafeInteger(v)) throw new BencodeError(`cannot bencode non-integer ${v}`);
      ascii(`i${v}e`);
    } else if (typeof v === "bigint") ascii(`i${v}e`);
    else if (typeof v === "string") bytes(utf8Encode(v));
    else if (v instanceof Uint8Array) bytes(v);
    else if (Array.isArray(v)) {
      ascii("l");
      for (const x of v) walk(x);
      ascii("e");
    } else if (v && typeof v === "object") {
      ascii("d");
      const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort(compareBinary);
      for (const k of keys) {
        bytes(binaryToBytes(k));
        walk(v[k] as BInput);
      }
      ascii("e");
    } else throw new BencodeError(`cannot bencode ${typeof v}`);
  };
  walk(value);
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function compareBinary(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Byte offsets [start, end) of each top-level dictionary value, e.g. to hash the raw `info`. */
export type Spans = Record<string, [number, number]>;

export function decode(data: Uint8Array): BValue {
  return decodeWithSpans(data).value;
}

export function decodeWithSpans(data: Uint8Array): { value: BValue; spans: Spans } {
  const spans: Spans = Object.create(null);
  let pos = 0;
  const fail = (what: string): never => {
    throw new BencodeError(`${what} at byte ${pos}`);
  };
  const readInt = (end: number): number | bigint => {
    const start = pos;
    const idx = data.indexOf(end, pos);
    if (idx < 0) fail("unterminated integer");
    const text = bytesToBinary(data.subarray(start, idx));
    // BEP 3: no leading zeros, no "-0", digits only.
    if (!/^(0|-?[1-9][0-9]*)$/.test(text)) fail(`invalid integer "${text.slice(0, 24)}"`);
    pos = idx + 1;
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : BigInt(text);
  };
  const readBytes = (): Uint8Array => {
    const len = readInt(COLON);
    if (typeof len !== "number" || len < 0) fail("invalid string length");
    const n = len as number;
    if (pos + n > data.length) fail("string runs past the end");
    const out = data.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const readValue = (depth: number, top: boolean): BValue => {
    if (depth > 64) fail("nesting too deep");
    const c = data[pos];
    if (c === undefined) return fail("unexpected end");
    if (c === I) {
      pos++;
      return readInt(E);
    }
    if (c >= ZERO && c <= NINE) return readBytes();
    if (c === L) {
      pos++;
      const list: BValue[] = [];
      while (data[pos] !== E) {
        if (pos >= data.length) fail("unterminated list");
        list.push(readValue(depth + 1, false));
      }
      pos++;
      return list;
    }
    if (c === D) {
      pos++;
      const dict: BDict = Object.create(null);
      let last: string | undefined;
      while (data[pos] !== E) {
        if (pos >= data.length) fail("unterminated dictionary");
        const c2 = data[pos];
        if (c2 === undefined || c2 < ZERO || c2 > NINE) fail("dictionary key is not a string");
        const key = bytesToBinary(readBytes());
        if (last !== undefined && key <= last) fail("dictionary keys not sorted or repeated");
        last = key;
        const start = pos;
        dict[key] = readValue(depth + 1, false);
        if (top) spans[key] = [start, pos];
      }
      pos++;
      return dict;
    }
    return fail(`unexpected byte 0x${c.toString(16)}`);
  };
  const value = readValue(0, true);
  if (pos !== data.length) fail("trailing bytes");
  return { value, spans };
}

/** Typed accessors: throw a BencodeError naming the field when the shape is wrong. */
export function asDict(v: BValue | undefined, what: string): BDict {
  if (!v || typeof v !== "object" || Array.isArray(v) || v instanceof Uint8Array) throw new BencodeError(`${what} is not a dictionary`);
  return v;
}
export function asBytes(v: BValue | undefined, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new BencodeError(`${what} is not a byte string`);
  return v;
}
export function asInt(v: BValue | undefined, what: string): number {
  if (typeof v !== "number") throw new BencodeError(`${what} is not a safe integer`);
  return v;
}
export function asList(v: BValue | undefined, what: string): BValue[] {
  if (!Array.isArray(v)) throw new BencodeError(`${what} is not a list`);
  return v;
}
