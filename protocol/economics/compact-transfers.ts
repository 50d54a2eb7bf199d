// The epoch's transfers held compact (issue 13 part 3): the allotment makes them member by
// member (a member's charge runs across its torrents in info-hash order), the paged settlement
// wants them torrent page by torrent page, and the published inputs list them in the allotment's
// order. At 10,000 members × 50 torrents that is 500,000 transfers: as Transfer objects with five
// bigints each, hundreds of MB; here 40 bytes each in typed arrays (20 MB), materialised as
// Transfer objects a page at a time. Byte counts are below 2^53 (a D1 integer read as a number),
// so a Float64Array holds them exactly; charges are wei, a BigUint64Array with the rare charge
// past 2^64 kept aside.

import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex } from "viem";
import type { Transfer } from "./upload-rewards.ts";

const U64 = 1n << 64n;

export class CompactTransfers {
  private readonly memberNames: string[] = [];
  private readonly memberIndex = new Map<string, number>();
  private readonly torrentNames: string[] = [];
  private readonly torrentIndex = new Map<string, number>();
  private n = 0;
  private member = new Uint32Array(1024);
  private torrent = new Uint32Array(1024);
  private paid = new Float64Array(1024);
  private free = new Float64Array(1024);
  private uploaded = new Float64Array(1024);
  private chargedLow = new BigUint64Array(1024);
  private readonly chargedHigh = new Map<number, bigint>();
  /** Entries in (info hash, insertion) order, and each torrent's first entry in it: built once, on the first page read. */
  private byTorrent?: { order: Uint32Array; sorted: string[]; start: Uint32Array };

  get length(): number {
    return this.n;
  }

  /** Appends a transfer (in the order the published list keeps). */
  push(t: Transfer): void {
    if (this.byTorrent) throw new Error("CompactTransfers: no push after a page was read");
    for (const [name, v] of [
      ["paidDownloaded", t.paidDownloaded],
      ["freeDownloaded", t.freeDownloaded ?? 0n],
      ["uploaded", t.uploaded],
    ] as const)
      if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`transfer ${name} ${v} is not a byte count below 2^53`);
    if (t.freeDownloaded === undefined || t.charged === undefined) throw new RangeError("a close's transfer has freeDownloaded and charged set");
    if (t.charged < 0n) throw new RangeError(`transfer charged ${t.charged} is negative`);
    if (this.n === this.member.length) this.grow();
    const i = this.n++;
    this.member[i] = indexOf(this.memberNames, this.memberIndex, t.member);
    this.torrent[i] = indexOf(this.torrentNames, this.torrentIndex, t.infoHash);
    this.paid[i] = Number(t.paidDownloaded);
    this.free[i] = Number(t.freeDownloaded);
    this.uploaded[i] = Number(t.uploaded);
    this.chargedLow[i] = t.charged % U64;
    if (t.charged >= U64) this.chargedHigh.set(i, t.charged / U64);
  }

  private grow(): void {
    const size = this.member.length * 2;
    const more = <A extends Uint32Array | Float64Array | BigUint64Array>(a: A, make: (n: number) => A): A => {
      const b = make(size);
      b.set(a as never);
      return b;
    };
    this.member = more(this.member, (k) => new Uint32Array(k));
    this.torrent = more(this.torrent, (k) => new Uint32Array(k));
    this.paid = more(this.paid, (k) => new Float64Array(k));
    this.free = more(this.free, (k) => new Float64Array(k));
    this.uploaded = more(this.uploaded, (k) => new Float64Array(k));
    this.chargedLow = more(this.chargedLow, (k) => new BigUint64Array(k));
  }

  /** The transfer at entry `i`, as the close made it. */
  at(i: number): Transfer {
    return {
      member: this.memberNames[this.member[i]!]!,
      infoHash: this.torrentNames[this.torrent[i]!]!,
      paidDownloaded: BigInt(this.paid[i]!),
      freeDownloaded: BigInt(this.free[i]!),
      uploaded: BigInt(this.uploaded[i]!),
      charged: this.chargedLow[i]! + (this.chargedHigh.get(i) ?? 0n) * U64,
    };
  }

  /** Every torrent with a transfer. */
  torrents(): string[] {
    return [...this.torrentNames];
  }

  /** All of them in order, `size` at a time (the published list, streamed). */
  *pages(size = 5_000): Generator<Transfer[]> {
    for (let i = 0; i < this.n; i += size) {
      const page: Transfer[] = [];
      for (let k = i; k < Math.min(this.n, i + size); k++) page.push(this.at(k));
      yield page;
    }
  }

  all(): Transfer[] {
    return [...this.pages(Number.MAX_SAFE_INTEGER)].flat();
  }

  /** The transfers of torrents in [from, to) (either bound open when absent), in the published order: a torrent page's. */
  inRange(from?: string, to?: string): Transfer[] {
    const { order, sorted, start } = (this.byTorrent ??= this.sortByTorrent());
    const lo = from === undefined ? 0 : lowerBound(sorted, from);
    const hi = to === undefined ? sorted.length : lowerBound(sorted, to);
    // Back in the published order across the page's torrents, as a filter of the whole list gives them.
    return [...order.subarray(start[lo]!, start[hi]!)].sort((x, y) => x - y).map((i) => this.at(i));
  }

  /** A counting sort of the entries by their torrent's rank: a page's entries are one slice of it. */
  private sortByTorrent(): { order: Uint32Array; sorted: string[]; start: Uint32Array } {
    const sorted = [...this.torrentNames].sort();
    const rank = new Uint32Array(this.torrentNames.length);
    sorted.forEach((name, r) => (rank[this.torrentIndex.get(name)!] = r));
    const start = new Uint32Array(sorted.length + 1);
    for (let i = 0; i < this.n; i++) start[rank[this.torrent[i]!]! + 1]!++;
    for (let r = 0; r < sorted.length; r++) start[r + 1]! += start[r]!;
    const next = start.slice(0, sorted.length);
    const order = new Uint32Array(this.n);
    for (let i = 0; i < this.n; i++) order[next[rank[this.torrent[i]!]!]!++] = i;
    return { order, sorted, start };
  }

  /** keccak256 of everything held: names a set of transfers in a fingerprint without listing them. */
  digest(): string {
    const h = keccak_256.create();
    const utf8 = new TextEncoder();
    h.update(utf8.encode(`${this.n}\n${this.memberNames.join(",")}\n${this.torrentNames.join(",")}\n`));
    for (const a of [this.member, this.torrent, this.paid, this.free, this.uploaded, this.chargedLow]) h.update(new Uint8Array(a.buffer, 0, this.n * a.BYTES_PER_ELEMENT));
    h.update(utf8.encode([...this.chargedHigh].map(([i, v]) => `${i}:${v}`).join(",")));
    return bytesToHex(h.digest());
  }

  static of(transfers: Iterable<Transfer>): CompactTransfers {
    const c = new CompactTransfers();
    for (const t of transfers) c.push(t);
    return c;
  }
}

function indexOf(names: string[], index: Map<string, number>, name: string): number {
  let i = index.get(name);
  if (i === undefined) {
    i = names.length;
    names.push(name);
    index.set(name, i);
  }
  return i;
}

/** The first position in `sorted` whose name is not below `key`. */
function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
