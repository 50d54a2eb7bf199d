// The canonical JSON of an epoch's inputs (inputs.ts) in pieces, and its keccak256 fed piece by
// piece: the same bytes and the same inputsHash as canonicalJson, without ever holding the whole
// text (at 10,000 nodes × 50 torrents it is hundreds of MB, past a Worker's 128 MB).

import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, hexToBytes, type Hex } from "viem";
import { canonicalJson } from "./inputs.ts";

/** Objects and arrays down to this depth are split; deeper values (one transcript, one leaf) are one piece. */
const SPLIT_DEPTH = 2;

/** Yields pieces whose concatenation is exactly canonicalJson(value). */
export function* canonicalPieces(value: unknown, depth = 0): Generator<string> {
  if (depth > SPLIT_DEPTH || value === null || typeof value !== "object") {
    yield canonicalJson(value);
    return;
  }
  if (Array.isArray(value)) {
    yield "[";
    for (let i = 0; i < value.length; i++) {
      if (i) yield ",";
      yield* canonicalPieces(value[i], depth + 1);
    }
    yield "]";
    return;
  }
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  yield "{";
  for (let i = 0; i < entries.length; i++) {
    yield `${i ? "," : ""}${JSON.stringify(entries[i]![0])}:`;
    yield* canonicalPieces(entries[i]![1], depth + 1);
  }
  yield "}";
}

/** Cuts UTF-8 text fed piece by piece into parts of exactly `partBytes`, the last one smaller or equal. */
class PartCutter {
  private readonly utf8 = new TextEncoder();
  private buf: Uint8Array;
  private fill = 0;
  private pending: string[] = [];
  private chars = 0;
  /** Parts completed and not yet taken. */
  readonly done: Uint8Array[] = [];
  private readonly partBytes: number;
  constructor(partBytes: number) {
    this.partBytes = partBytes;
    this.buf = new Uint8Array(partBytes);
  }
  push(piece: string): void {
    this.pending.push(piece);
    this.chars += piece.length;
    // Pieces are joined a few KB at a time (encoding each one alone is slow), then copied into the part.
    if (this.chars >= 65_536) this.flush();
  }
  private flush(): void {
    let bytes = this.utf8.encode(this.pending.join(""));
    this.pending = [];
    this.chars = 0;
    while (bytes.length) {
      const n = Math.min(bytes.length, this.partBytes - this.fill);
      this.buf.set(bytes.subarray(0, n), this.fill);
      this.fill += n;
      bytes = bytes.subarray(n);
      if (this.fill === this.partBytes) {
        this.done.push(this.buf);
        this.buf = new Uint8Array(this.partBytes);
        this.fill = 0;
      }
    }
  }
  end(): void {
    this.flush();
    if (this.fill) this.done.push(this.buf.subarray(0, this.fill));
  }
}

/**
 * UTF-8 parts of exactly `partBytes` each, the last one smaller or equal: R2's multipart upload
 * wants every part but the last of one size (at least 5 MiB).
 */
export function* canonicalParts(value: unknown, partBytes: number): Generator<Uint8Array> {
  const cut = new PartCutter(partBytes);
  for (const piece of canonicalPieces(value)) {
    cut.push(piece);
    if (cut.done.length) yield* cut.done.splice(0);
  }
  cut.end();
  yield* cut.done.splice(0);
}

/** keccak256 of the canonical JSON, streamed: equal to inputsHash(value). */
export function streamedInputsHash(value: unknown, partBytes = 1 << 20): Hex {
  const h = keccak_256.create();
  for (const part of canonicalParts(value, partBytes)) h.update(part);
  return bytesToHex(h.digest());
}

/**
 * An array in a value to publish whose items are read page by page (from D1) each time the value
 * is written: canonicalPartsAsync serialises it as the array of all its pages' items, never held
 * whole. `pages` must give the same items each time (the close's frozen challenges).
 */
export class StreamedArray<T = unknown> {
  readonly pages: () => AsyncIterable<readonly T[]>;
  constructor(pages: () => AsyncIterable<readonly T[]>) {
    this.pages = pages;
  }
}

/** Runs of pieces (each a sync iterable, consumed before the next is asked for) whose concatenation is canonicalJson of `value` with its StreamedArrays read. */
async function* pieceRuns(value: unknown, depth: number): AsyncGenerator<Iterable<string>> {
  if (value instanceof StreamedArray) {
    yield ["["];
    let first = true;
    for await (const page of value.pages()) {
      yield (function* () {
        for (const item of page) {
          if (!first) yield ",";
          first = false;
          yield* canonicalPieces(item, depth + 1);
        }
      })();
    }
    yield ["]"];
    return;
  }
  if (depth > SPLIT_DEPTH || value === null || typeof value !== "object" || !holdsStreamed(value, depth)) {
    yield canonicalPieces(value, depth);
    return;
  }
  if (Array.isArray(value)) {
    yield ["["];
    for (let i = 0; i < value.length; i++) {
      if (i) yield [","];
      yield* pieceRuns(value[i], depth + 1);
    }
    yield ["]"];
    return;
  }
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  yield ["{"];
  for (let i = 0; i < entries.length; i++) {
    yield [`${i ? "," : ""}${JSON.stringify(entries[i]![0])}:`];
    yield* pieceRuns(entries[i]![1], depth + 1);
  }
  yield ["}"];
}

/**
 * Objects are looked into for StreamedArrays down to this depth (the settlement's lists sit at
 * inputs.settlement.hosting.replicas); arrays only above SPLIT_DEPTH (long, and never holding one).
 */
const STREAM_DEPTH = 3;

function holdsStreamed(value: object, depth: number): boolean {
  if (value instanceof StreamedArray) return true;
  if (depth >= STREAM_DEPTH || (Array.isArray(value) && depth >= SPLIT_DEPTH)) return false;
  for (const v of Array.isArray(value) ? value : Object.values(value)) if (v !== null && typeof v === "object" && holdsStreamed(v, depth + 1)) return true;
  return false;
}

/** canonicalParts of a value that may hold StreamedArrays (in objects down to STREAM_DEPTH): the same bytes as canonicalParts of it with the arrays read whole. */
export async function* canonicalPartsAsync(value: unknown, partBytes: number): AsyncGenerator<Uint8Array> {
  const cut = new PartCutter(partBytes);
  for await (const run of pieceRuns(value, 0))
    for (const piece of run) {
      cut.push(piece);
      if (cut.done.length) yield* cut.done.splice(0);
    }
  cut.end();
  yield* cut.done.splice(0);
}

/** streamedInputsHash of a value that may hold StreamedArrays. */
export async function streamedInputsHashAsync(value: unknown, partBytes = 1 << 20): Promise<Hex> {
  return (await hashAndSizeAsync(value, partBytes)).hash;
}

/** The same with the canonical JSON's length in bytes. */
export async function hashAndSizeAsync(value: unknown, partBytes = 1 << 20): Promise<{ hash: Hex; bytes: number }> {
  const h = keccak_256.create();
  let bytes = 0;
  for await (const part of canonicalPartsAsync(value, partBytes)) {
    h.update(part);
    bytes += part.length;
  }
  return { hash: bytesToHex(h.digest()), bytes };
}

/** keccak256 of bytes read in chunks (a published file's body): equal to inputsHashOfJson of their text. */
export async function hashOfChunks(chunks: AsyncIterable<Uint8Array>): Promise<Hex> {
  const h = keccak_256.create();
  for await (const c of chunks) h.update(c);
  return bytesToHex(h.digest());
}

/** A keccak256 in progress, small enough to record in D1 between invocations (200 bytes of state and a position). */
export interface HashCheckpoint {
  state: Hex;
  pos: number;
}

type KeccakInternals = ReturnType<typeof keccak_256.create> & { state: Uint8Array; pos: number; finished: boolean };

/**
 * Saves a running keccak256 so a later invocation can go on with the next page's bytes: the
 * inputsHash of a file written in many bounded steps, still keccak256 of its whole bytes (the
 * commitment unchanged). Relies on @noble/hashes' Keccak fields (`state`, `pos`); pinned by
 * protocol/tests/inputs-stream.test.ts.
 */
export function checkpointOf(h: ReturnType<typeof keccak_256.create>): HashCheckpoint {
  const k = h as KeccakInternals;
  if (k.finished || !(k.state instanceof Uint8Array) || k.state.length !== 200 || !Number.isInteger(k.pos)) throw new Error("keccak state not available for a checkpoint");
  return { state: bytesToHex(k.state), pos: k.pos };
}

export function resumeHash(c: HashCheckpoint): ReturnType<typeof keccak_256.create> {
  const h = keccak_256.create() as KeccakInternals;
  const state = hexToBytes(c.state);
  if (state.length !== 200 || !Number.isInteger(c.pos) || c.pos < 0 || c.pos >= h.blockLen) throw new RangeError("not a keccak256 checkpoint");
  h.state.set(state); // state32 is a view of the same bytes
  h.pos = c.pos;
  return h;
}
