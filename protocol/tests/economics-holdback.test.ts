import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BPS, HOLDBACK_AGE_RAMP_SECONDS, HOLDBACK_BPS, HOLDBACK_NEW_BPS, HOLDBACK_NEW_VESTING_SECONDS, HOLDBACK_VESTING_SECONDS } from "../params.ts";
import { claimWithHoldback, EMPTY_HELD, heldPart, release, slashHeld, vestedAt } from "../economics/holdback.ts";
import { rng } from "./random.ts";

const vectors = JSON.parse(readFileSync(join(import.meta.dirname, "..", "vectors", "holdback.json"), "utf8")) as {
  cases: { holdbackBps: string; newHoldbackBps: string; vestingSeconds: number; epochs: { cumulative: string; slashed: string }[]; steps: { at: number; op: string; epoch?: number; paid: string; held: string; taken: string; unvested: string; vested: string; vestEnd: number }[] }[];
};

describe("held-back earnings", () => {
  it("holds back HOLDBACK_NEW_BPS of a new node's first claim and vests it linearly over the new period", () => {
    const now = 1_800_000_000;
    const c = claimWithHoldback(EMPTY_HELD, 1000n, now);
    expect(c).toEqual({ schedule: { unvested: 750n, updatedAt: now, vestEnd: now + HOLDBACK_NEW_VESTING_SECONDS, sinceDay: Math.floor(now / 86_400) }, held: 750n, paid: 250n });
    expect(vestedAt(c.schedule, now + HOLDBACK_NEW_VESTING_SECONDS / 2)).toBe(375n);
    expect(vestedAt(c.schedule, now + 2 * HOLDBACK_NEW_VESTING_SECONDS)).toBe(750n);
  });

  it("holds back HOLDBACK_BPS of an aged node's claim over HOLDBACK_VESTING_SECONDS", () => {
    const now = 1_800_000_000;
    const aged = { ...EMPTY_HELD, sinceDay: Math.floor((now - HOLDBACK_AGE_RAMP_SECONDS) / 86_400) };
    const c = claimWithHoldback(aged, 1000n, now);
    expect(c.held).toBe((1000n * HOLDBACK_BPS) / BPS);
    expect(c.schedule.vestEnd).toBe(now + HOLDBACK_VESTING_SECONDS);
    expect(c.schedule.sinceDay).toBe(aged.sinceDay);
    expect(heldPart(999n)).toBe((999n * HOLDBACK_BPS) / BPS);
    expect(heldPart(999n, 0)).toBe((999n * HOLDBACK_NEW_BPS) / BPS);
  });

  it("conserves every wei and only ever vests forward, whatever the claims, releases and slashes", () => {
    const r = rng(61);
    for (let run = 0; run < 100; run++) {
      let s = EMPTY_HELD;
      let now = 1_000_000;
      let claimed = 0n;
      let paid = 0n;
      let slashed = 0n;
      for (let k = 0; k < 30; k++) {
        now += r.int(HOLDBACK_VESTING_SECONDS / 3);
        const op = r.int(3);
        if (op === 0) {
          const amount = r.big(10n ** 21n);
          const o = claimWithHoldback(s, amount, now);
          expect(o.held + (o.paid - vestedAt(s, now))).toBe(amount);
          expect(o.schedule.vestEnd).toBeLessThanOrEqual(now + HOLDBACK_NEW_VESTING_SECONDS);
          claimed += amount;
          paid += o.paid;
          s = o.schedule;
        } else if (op === 1 && vestedAt(s, now) > 0n) {
          const before = vestedAt(s, now);
          const o = release(s, now);
          expect(o.paid).toBe(before);
          paid += o.paid;
          s = o.schedule;
        } else if (op === 2) {
          const o = slashHeld(s, r.big(10n ** 21n), now);
          expect(o.taken).toBeLessThanOrEqual(s.unvested - vestedAt(s, now));
          paid += o.paid;
          slashed += o.taken;
          s = o.schedule;
        }
        expect(paid + s.unvested + slashed).toBe(claimed);
        const later = now + r.int(HOLDBACK_VESTING_SECONDS);
        expect(vestedAt(s, later)).toBeGreaterThanOrEqual(vestedAt(s, now));
        expect(vestedAt(s, later)).toBeLessThanOrEqual(s.unvested);
      }
    }
  });

  it("refuses a release with nothing vested, as the contract does", () => {
    expect(() => release(EMPTY_HELD, 5)).toThrow(RangeError);
  });

  it("matches the vectors the contract replays (protocol/vectors/holdback.json)", () => {
    expect(vectors.cases.length).toBeGreaterThan(0);
    for (const c of vectors.cases) {
      expect(BigInt(c.holdbackBps)).toBe(HOLDBACK_BPS);
      expect(BigInt(c.newHoldbackBps)).toBe(HOLDBACK_NEW_BPS);
      let s = EMPTY_HELD;
      let claimed = 0n;
      let slashedDone = 0n;
      for (const step of c.steps) {
        let paid = 0n;
        if (step.op === "claim") {
          const cumulative = BigInt(c.epochs[step.epoch! - 1]!.cumulative);
          const o = claimWithHoldback(s, cumulative - claimed, step.at);
          claimed = cumulative;
          s = o.schedule;
          paid = o.paid;
          expect(o.held).toBe(BigInt(step.held));
        } else if (step.op === "release") {
          ({ schedule: s, paid } = release(s, step.at));
        } else {
          const o = slashHeld(s, BigInt(c.epochs[step.epoch! - 1]!.slashed) - slashedDone, step.at);
          s = o.schedule;
          paid = o.paid;
          slashedDone += o.taken;
          expect(o.taken).toBe(BigInt(step.taken));
        }
        expect(paid).toBe(BigInt(step.paid));
        expect(s.unvested - vestedAt(s, step.at)).toBe(BigInt(step.unvested));
        expect(s.vestEnd).toBe(step.vestEnd);
      }
    }
  });
});
