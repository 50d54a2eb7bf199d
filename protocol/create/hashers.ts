// Streaming hashers for making and checking torrents: SHA-1 pieces (BEP 3) and SHA-256 leaves of
// 16 KiB blocks (BEP 52's trees and the storage tree, DESIGN.md "Storage root"). Each keeps at
// most one piece or one block of the payload, so a payload of any size hashes in bounded
// memory. Digests go through WebCrypto (the browser, Node and Workers alike; Node runs them on
// its thread pool, so the blocks of a chunk hash in parallel), @noble/hashes where there is none.

import { sha1 } from "@noble/hashes/legacy.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { BLOCK_SIZE } from "../params.ts";
import { HASH_SIZE, buildStorageTree, type StorageTree } from "../merkle/storage-tree.ts";

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
 * Hashes a stream in fixed-size units (the last one as it is): whole units inside a chunk are
 * hashed where they lie, a unit split across chunks is gathered into a copy first.
 */
class UnitHasher {
  private readonly carry: Uint8Array;
  private carryLength = 0;
  private readonly out: HashList;
  private readonly unit: number;
  private readonly name: DigestName;
  total = 0;

  constructor(unit: number, name: DigestName) {
    this.unit = unit;
    this.name = name;
    this.carry = new Uint8Array(unit);
    this.out = new HashList(name === "SHA-1" ? 20 : HASH_SIZE);
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
    this.out.push(await Promise.all(jobs));
  }

  /** The hashes of every unit, concatenated. */
  async finish(): Promise<Uint8Array> {
    if (this.carryLength > 0) this.out.push([await digest(this.name, this.carry.slice(0, this.carryLength))]);
    this.carryLength = 0;
    return this.out.bytes();
  }
}

/** SHA-1 of each piece (BEP 3 `pieces`), the last piece as long as it is. */
export class PieceHasher {
  private readonly units: UnitHasher;
  constructor(pieceLength: number) {
    this.units = new UnitHasher(pieceLength, "SHA-1");
  }
  update(chunk: Uint8Array): Promise<void> {
    return this.units.update(chunk);
  }
  finish(): Promise<Uint8Array> {
    return this.units.finish();
  }
}

/** The tree of 16 KiB SHA-256 leaves over what streams by: a v2 file's (BEP 52) or a v1 payload's storage tree. */
export class TreeHasher {
  private readonly units = new UnitHasher(BLOCK_SIZE, "SHA-256");
  update(chunk: Uint8Array): Promise<void> {
    return this.units.update(chunk);
  }
  get length(): number {
    return this.units.total;
  }
  /** undefined for an empty stream (an empty v2 file has no pieces root). */
  async finish(): Promise<StorageTree | undefined> {
    const leaves = await this.units.finish();
    return this.units.total === 0 ? undefined : buildStorageTree(leaves, this.units.total);
  }
}
