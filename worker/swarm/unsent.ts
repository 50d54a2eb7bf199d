// The shard's unsent credit (journal.ts: it waits in memory until it goes to D1), kept compact:
// memory per peer is what bounds a shard (docs/capacity.md), and an object per session cost
// about 130 bytes (a header, nine fields, boxed timestamps). Here a session that holds credit
// owns a slot of ACC_FIELDS doubles in paged Float64Arrays (72 bytes, nothing boxed); one
// whose only unsent fact is its first sighting owns none (FIRST_SIGHTING: the announce's count
// and time are the session's own start); the others hold 0. Free slots are chained through
// the arrays themselves. Pure: weighed in Node by bench/peer-memory.ts like swarm.ts.

import { creditUrgent } from "./journal.ts";
import type { Acc } from "./swarm.ts";

/** A Peer's `ai`: no unsent credit. */
export const NO_CREDIT = 0;
/** A Peer's `ai`: its only unsent credit is its first announce, at `session` (one announce, no bytes). */
export const FIRST_SIGHTING = -1;

const UP = 0;
const DOWN = 1;
const CUP = 2;
const CDOWN = 3;
const SEED = 4;
const ANNOUNCES = 5;
const LAST = 6;
const COMPLETED_AT = 7;
const FIRST = 8;
const ACC_FIELDS = 9;

const PAGE_BITS = 12;
/** Slots per page: the store grows a page (295 KB) at a time, never doubling past its need. */
const PAGE = 1 << PAGE_BITS;

export class UnsentCredit {
  private readonly pages: Float64Array[] = [];
  /** Slots handed out so far (slot 0 is never used: `ai` 0 means none). */
  private top = 1;
  /** Head of the free slots' chain (0: empty); a free slot's UP field holds the next one. */
  private freeHead = 0;
  /** Slots in use (metrics, tests). */
  size = 0;

  private page(i: number): Float64Array {
    return this.pages[i >>> PAGE_BITS]!;
  }

  /** A new slot holding `a`. */
  alloc(a: Acc): number {
    let i = this.freeHead;
    if (i) this.freeHead = this.page(i)[(i & (PAGE - 1)) * ACC_FIELDS + UP]!;
    else {
      i = this.top++;
      if (i >>> PAGE_BITS >= this.pages.length) this.pages.push(new Float64Array(PAGE * ACC_FIELDS));
    }
    this.size++;
    this.write(i, a);
    return i;
  }

  release(i: number): void {
    const f = this.page(i);
    const o = (i & (PAGE - 1)) * ACC_FIELDS;
    f.fill(0, o, o + ACC_FIELDS);
    f[o + UP] = this.freeHead;
    this.freeHead = i;
    this.size--;
  }

  read(i: number): Acc {
    const f = this.page(i);
    const o = (i & (PAGE - 1)) * ACC_FIELDS;
    return { up: f[o + UP]!, down: f[o + DOWN]!, cup: f[o + CUP]!, cdown: f[o + CDOWN]!, seed: f[o + SEED]!, announces: f[o + ANNOUNCES]!, last: f[o + LAST]!, completedAt: f[o + COMPLETED_AT]!, first: f[o + FIRST]! };
  }

  write(i: number, a: Acc): void {
    const f = this.page(i);
    const o = (i & (PAGE - 1)) * ACC_FIELDS;
    f[o + UP] = a.up;
    f[o + DOWN] = a.down;
    f[o + CUP] = a.cup;
    f[o + CDOWN] = a.cdown;
    f[o + SEED] = a.seed;
    f[o + ANNOUNCES] = a.announces;
    f[o + LAST] = a.last;
    f[o + COMPLETED_AT] = a.completedAt;
    f[o + FIRST] = a.first;
  }

  /** One announce's credit (the hot path: no object made). */
  add(i: number, now: number, up: number, down: number, cup: number, cdown: number, seed: number): void {
    const f = this.page(i);
    const o = (i & (PAGE - 1)) * ACC_FIELDS;
    f[o + UP] = f[o + UP]! + up;
    f[o + DOWN] = f[o + DOWN]! + down;
    f[o + CUP] = f[o + CUP]! + cup;
    f[o + CDOWN] = f[o + CDOWN]! + cdown;
    f[o + SEED] = f[o + SEED]! + seed;
    f[o + ANNOUNCES] = f[o + ANNOUNCES]! + 1;
    f[o + LAST] = now;
  }

  /** journal.ts creditUrgent of a slot, without making its object. */
  urgent(i: number): boolean {
    const f = this.page(i);
    const o = (i & (PAGE - 1)) * ACC_FIELDS;
    return creditUrgent(f[o + COMPLETED_AT]!, f[o + UP]! + f[o + DOWN]!, f[o + CDOWN]!);
  }

  completed(i: number, at: number): void {
    this.page(i)[(i & (PAGE - 1)) * ACC_FIELDS + COMPLETED_AT] = at;
  }
}
