import { describe, expect, it } from "vitest";
import { disputeWindowProblem } from "../epoch/dispute-window.ts";
import { DISPUTE_DELAY_SECONDS } from "../params.ts";

describe("the edge's dispute window against the chain's dispute delay", () => {
  it("refuses a window that outlives the chain's finality (attack: disputes accepted after the guardian can no longer disable the root)", () => {
    // What `npm start` ran with: the edge's default six hours, the chain's five seconds.
    expect(disputeWindowProblem(DISPUTE_DELAY_SECONDS, 5)).toMatch(/at most 5\)/);
    expect(disputeWindowProblem(6, 5)).toBeDefined();
    expect(disputeWindowProblem(0, 5)).toBeDefined();
    expect(disputeWindowProblem(Number.NaN, 5)).toBeDefined();
  });

  it("takes a window that ends when the roots become final, or sooner", () => {
    expect(disputeWindowProblem(5, 5)).toBeUndefined();
    expect(disputeWindowProblem(DISPUTE_DELAY_SECONDS, DISPUTE_DELAY_SECONDS)).toBeUndefined();
    expect(disputeWindowProblem(1, DISPUTE_DELAY_SECONDS)).toBeUndefined();
  });
});
