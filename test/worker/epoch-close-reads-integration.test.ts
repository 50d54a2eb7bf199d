// The chain reads a paged close keeps across its ticks (worker/epoch/frozen.ts frozenRead), on
// real D1 under the test guard (support/d1-guard.ts fails any value or row over D1's 2 MB): kept
// in parts, so a community of tens of thousands of paying members does not wedge the close.

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { db, schema } from "../../worker/db/client.ts";
import { freezeChallenges, frozenRead, thawChallenges } from "../../worker/epoch/frozen.ts";
import { D1_LIMITS } from "./support/d1-guard.ts";

const d = () => db(env.DB);
const account = (i: number) => `0x${i.toString(16).padStart(40, "0")}`;
const readsOf = (epoch: number) => d().select().from(schema.epochCloseReads).where(eq(schema.epochCloseReads.epoch, epoch));
const never = async (): Promise<Map<string, bigint>> => {
  throw new Error("the chain was read again");
};

describe("kept chain reads of a paged close", () => {
  it("keeps 40,000 deposits across ticks under D1's 2 MB a value (attack: a community past ~25,000 paying members wedging every close)", async () => {
    const epoch = 910;
    await freezeChallenges(d(), epoch, Date.now());
    const deposits = new Map<string, bigint>();
    for (let i = 1; i <= 40_000; i++) deposits.set(account(i), 10n ** 18n * BigInt(i) + 123_456_789n);
    deposits.set(account(0), 0n);
    // The old single value ({name: entries} in epoch_close_freeze.chain_reads) would pass the limit.
    const entries = [...deposits].filter(([, v]) => v !== 0n).map(([k, v]) => [k, v.toString()]);
    expect(JSON.stringify({ deposits: entries }).length).toBeGreaterThan(D1_LIMITS.valueBytes);

    let reads = 0;
    const first = await frozenRead(d(), epoch, "deposits", async () => (reads++, deposits));
    expect(first).toBe(deposits);
    const rows = await readsOf(epoch);
    expect(rows.length).toBeGreaterThan(1);
    expect(Math.max(...rows.map((r) => r.data.length))).toBeLessThanOrEqual(D1_LIMITS.valueBytes / 2);

    // The next tick: read back in part order, the chain not asked again, the zero left out.
    const again = await frozenRead(d(), epoch, "deposits", never);
    expect(reads).toBe(1);
    expect(again.size).toBe(40_000);
    expect(again.has(account(0))).toBe(false);
    expect([...again]).toEqual(entries.map(([k, v]) => [k, BigInt(v!)]));

    // A close given up lifts the freeze and its reads with it: the next close reads afresh.
    await thawChallenges(d(), epoch);
    expect(await readsOf(epoch)).toEqual([]);
  });

  it("keeps an all-zero read as read, and keeps nothing for an epoch whose close is not frozen (attack: a given-up close's stale balances reused)", async () => {
    const epoch = 911;
    let reads = 0;
    const zero = async () => (reads++, new Map([["ab", 0n]]));
    // Not frozen: nothing kept, each call reads.
    await frozenRead(d(), epoch, "bounties", zero);
    await frozenRead(d(), epoch, "bounties", zero);
    expect(reads).toBe(2);
    expect(await readsOf(epoch)).toEqual([]);
    await freezeChallenges(d(), epoch, Date.now());
    expect((await frozenRead(d(), epoch, "bounties", zero)).get("ab")).toBe(0n);
    const kept = await frozenRead(d(), epoch, "bounties", never);
    expect(kept.size).toBe(0);
    expect(reads).toBe(3);
    await thawChallenges(d(), epoch);
  });

  it("keeps the first of two concurrent ticks' reads whole, never a mix of both (attack: a close settling with parts of two different reads)", async () => {
    const epoch = 912;
    await freezeChallenges(d(), epoch, Date.now());
    const small = new Map([[account(1), 7n]]);
    const big = new Map<string, bigint>();
    for (let i = 1; i <= 30_000; i++) big.set(account(i), 10n ** 20n + BigInt(i));
    // Both ticks find nothing kept; the small one writes first, the big one (several parts) after.
    let entered!: () => void;
    const bigEntered = new Promise<void>((r) => (entered = r));
    const a = frozenRead(d(), epoch, "deposits", async () => (await bigEntered, small));
    const b = frozenRead(d(), epoch, "deposits", async () => (entered(), await a, big));
    expect(await a).toBe(small);
    expect(await b).toBe(big);
    expect(await readsOf(epoch)).toHaveLength(1);
    expect([...(await frozenRead(d(), epoch, "deposits", never))]).toEqual([...small]);
    await thawChallenges(d(), epoch);
  });
});
