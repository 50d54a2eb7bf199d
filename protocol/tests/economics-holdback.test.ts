import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BPS, HOLDBACK_BPS, HOLDBACK_VESTING_SECONDS } from "../params.ts";
import { claimWithHoldback, EMPTY_HELD, heldPart, release, slashHeld, vestedAt } from "../economics/holdback.ts";
import { rng } from "./random.ts";

const vectors = JSON.parse(readFileSync(join(import.meta.dirname, "..", "vectors", "holdback.json"), "utf8")) as {
  cases: { holdbackBps: string; vestingSeconds: number; epochs: { cumulative: string; slashed: string }[]; steps: { at: number; op: string; epoch?: number; paid: string; held: string; taken: string; unvested: string; vested: string; vestEnd: number }[] }[];
};

describe("held-back earnings", () => {
  it("holds back HOLDBACK_BPS of each claim and vests it linearly over the period", () => {
    const c = claimWithHoldback(EMPTY_HELD, 1000n, 100);
    expect(c).toEqual({ schedule: { unvested: 500n, updatedAt: 100, vestEnd: 100 + HOLDBACK_VESTING_SECONDS }, held: 500n, paid: 500n });
    expect(vestedAt(c.schedule, 100 + HOLDBACK_VESTING_SECONDS / 2)).toBe(250n);
    expect(vestedAt(c.schedule, 100 + 2 * HOLDBACK_VESTING_SECONDS)).toBe(500n);
    expect(heldPart(999n)).toBe((999n * HOLDBACK_BPS) / BPS);
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
          expect(o.schedule.vestEnd).toBeLessThanOrEqual(now + HOLDBACK_VESTING_SECONDS);
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
