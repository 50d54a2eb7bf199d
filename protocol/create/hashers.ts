// Streaming hashers for making and checking torrents: SHA-1 pieces (BEP 3) and SHA-256 leaves of
// 16 KiB blocks (BEP 52's trees and the storage tree, README "Formats that must agree"). Each
// keeps at most one piece or one block of the payload, and a tree only its pending subtree
// roots, so a payload of any size hashes in bounded memory. Digests go through WebCrypto (the
// browser, Node and Workers alike; Node runs them on its thread pool, so the blocks of a chunk
// hash in parallel), @noble/hashes where there is none.

import { sha1 } from "@noble/hashes/legacy.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { BLOCK_SIZE } from "../params.ts";
import { HASH_SIZE } from "../merkle/storage-tree.ts";
import { sha256Pair } from "../merkle/sha256-pair.ts";

export type DigestName = "SHA-1" | "SHA-256";

export async function digest(name: DigestName, data: Uint8Array): Promise<Uint8Array> {
  const subtle = typeof crypto === "undefined" ? undefined : crypto.subtle;
  if (!subtle) return name === "SHA-1" ? sha1(data) : sha256(data);
  return new Uint8Array(await subtle.digest(name, data as Uint8Array<ArrayBuffer>));
}

/** A growable byte list of fixed-size hashes, in order. */
class HashList {
  private buf: Uint8Array;
  private readonly size: number;
  length = 0;
  constructor(size: number) {
    this.size = size;
    this.buf = new Uint8Array(size * 64);
  }
  push(hashes: Uint8Array[]): void {
    const need = this.length + hashes.length * this.size;
    if (need > this.buf.length) {
      const next = new Uint8Array(Math.max(need, this.buf.length * 2));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    for (const h of hashes) {
      this.buf.set(h, this.length);
      this.length += this.size;
    }
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/**
 * Hashes a stream in fixed-size units (the last one as it is), handing each hash to `sink` in
 * order: whole units inside a chunk are hashed where they lie, a unit split across chunks is
 * gathered into a copy first.
 */
class UnitHasher {
  private readonly carry: Uint8Array;
  private carryLength = 0;
  private readonly unit: number;
  private readonly name: DigestName;
  private readonly sink: (hash: Uint8Array) => void;
  total = 0;

  constructor(unit: number, name: DigestName, sink: (hash: Uint8Array) => void) {
    this.unit = unit;
    this.name = name;
    this.sink = sink;
    this.carry = new Uint8Array(unit);
  }

  async update(chunk: Uint8Array): Promise<void> {
    const jobs: Promise<Uint8Array>[] = [];
    let o = 0;
    if (this.carryLength > 0) {
      const take = Math.min(this.unit - this.carryLength, chunk.length);
      this.carry.set(chunk.subarray(0, take), this.carryLength);
      this.carryLength += take;
      o = take;
      // WebCrypto copies its input when called, so the carry buffer can be refilled at once.
      if (this.carryLength === this.unit) {
        jobs.push(digest(this.name, this.carry.slice()));
        this.carryLength = 0;
      }
    }
    for (; o + this.unit <= chunk.length; o += this.unit) jobs.push(digest(this.name, chunk.subarray(o, o + this.unit)));
    if (o < chunk.length) {
      this.carry.set(chunk.subarray(o), this.carryLength);
      this.carryLength += chunk.length - o;
    }
    this.total += chunk.length;
    for (const h of await Promise.all(jobs)) this.sink(h);
  }

  async finish(): Promise<void> {
    if (this.carryLength > 0) this.sink(await digest(this.name, this.carry.slice(0, this.carryLength)));
    this.carryLength = 0;
  }
}

/** Roots of all-zero subtrees by level: the padding of a tree whose leaves are not a power of two. */
const ZERO_ROOTS: Uint8Array[] = [new Uint8Array(HASH_SIZE)];
function zeroRoot(level: number): Uint8Array {
  while (ZERO_ROOTS.length <= level) ZERO_ROOTS.push(sha256Pair(ZERO_ROOTS.at(-1)!, ZERO_ROOTS.at(-1)!));
  return ZERO_ROOTS[level]!;
}

/**
 * The root of a merkle tree over leaves pushed in order, zero-padded to a power of two (the
 * storage tree and BEP 52's), keeping one pending subtree root per level: O(log n) memory.
 */
export class StreamingRoot {
  private readonly stack: { level: number; hash: Uint8Array }[] = [];
  count = 0;

  push(leaf: Uint8Array): void {
    let hash = leaf;
    let level = 0;
    while (this.stack.length && this.stack.at(-1)!.level === level) {
      hash = sha256Pair(this.stack.pop()!.hash, hash);
      level++;
    }
    this.stack.push({ level, hash });
    this.count++;
  }

  /** The root with the leaves padded to 2^minLevel or the next power of two, whichever is larger; resets. */
  root(minLevel = 0): Uint8Array {
    if (this.count === 0) throw new RangeError("a tree needs at least one leaf");
    let target = minLevel;
    while (2 ** target < this.count) target++;
    let { level, hash } = this.stack.pop()!;
    while (this.stack.length || level < target) {
      const below = this.stack.at(-1);
      if (below && below.level === level) {
        hash = sha256Pair(below.hash, hash);
        this.stack.pop();
      } else hash = sha256Pair(hash, zeroRoot(level));
      level++;
    }
    this.count = 0;
    return hash;
  }
}

/** SHA-1 of each piece (BEP 3 `pieces`), the last piece as long as it is: 20 bytes a piece. */
export class PieceHasher {
  private readonly units: UnitHasher;
  private readonly out = new HashList(20);
  constructor(pieceLength: number) {
    this.units = new UnitHasher(pieceLength, "SHA-1", (h) => this.out.push([h]));
  }
  update(chunk: Uint8Array): Promise<void> {
    return this.units.update(chunk);
  }
  async finish(): Promise<Uint8Array> {
    await this.units.finish();
    return this.out.bytes();
  }
}

/** A tree's root and, with a piece length, its BEP 52 piece layer (each piece's subtree root). */
export interface TreeHashes {
  root: Uint8Array;
  length: number;
  /** Concatenated piece roots, for a stream longer than one piece (BEP 52 `piece layers`). */
  pieceLayer?: Uint8Array;
}

/**
 * The tree of 16 KiB SHA-256 leaves over what streams by: a v2 file's (BEP 52) or a v1 payload's
 * storage tree. Only the root is kept (and a piece's root per piece for the piece layer), never
 * the leaves: memory is O(log n) plus 32 bytes a piece.
 */
export class TreeHasher {
  private readonly whole = new StreamingRoot();
  private readonly piece = new StreamingRoot();
  private readonly layer = new HashList(HASH_SIZE);
  private readonly units: UnitHasher;
  private readonly pieceLevel: number;
  private readonly blocksPerPiece: number;

  /** `pieceLength`: also build the piece layer (a power of two of at least 16 KiB). */
  constructor(pieceLength?: number) {
    this.blocksPerPiece = pieceLength ? pieceLength / BLOCK_SIZE : 0;
    this.pieceLevel = Math.log2(this.blocksPerPiece || 1);
    this.units = new UnitHasher(BLOCK_SIZE, "SHA-256", (leaf) => {
      this.whole.push(leaf);
      if (!this.blocksPerPiece) return;
      this.piece.push(leaf);
      if (this.piece.count === this.blocksPerPiece) this.layer.push([this.piece.root()]);
    });
  }
  update(chunk: Uint8Array): Promise<void> {
    return this.units.update(chunk);
  }
  get length(): number {
    return this.units.total;
  }
  /** undefined for an empty stream (an empty v2 file has no pieces root). */
  async finish(): Promise<TreeHashes | undefined> {
    await this.units.finish();
    const length = this.units.total;
    if (length === 0) return undefined;
    // The last piece's subtree is padded to a whole piece of zero leaves (BEP 52).
    if (this.piece.count > 0) this.layer.push([this.piece.root(this.pieceLevel)]);
    const root = this.whole.root();
    return this.blocksPerPiece && length > this.blocksPerPiece * BLOCK_SIZE ? { root, length, pieceLayer: this.layer.bytes() } : { root, length };
  }
}
