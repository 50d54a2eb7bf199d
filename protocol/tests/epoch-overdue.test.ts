// The overdue rule (protocol/epoch/overdue.ts) the site, the API, /metrics and `vidya node status` share.

import { describe, expect, it } from "vitest";
import { overdueOf, overdueText, type OverdueFacts } from "../epoch/overdue.ts";
import { reasonClass } from "../challenge/reason-class.ts";

const HOUR = 3_600_000;
const GRACE = 600_000;
const now = 10 * HOUR;
const facts = (f: Partial<OverdueFacts>): OverdueFacts => ({ now, open: { epoch: 5, openedAt: now - HOUR / 2, epochMs: HOUR }, closing: null, lastError: null, everEarned: false, graceMs: GRACE, ...f });

describe("overdueOf", () => {
  it("is quiet while the open epoch is within its length and the grace", () => {
    expect(overdueOf(facts({ open: { epoch: 5, openedAt: now - HOUR - GRACE + 1_000, epochMs: HOUR } })).overdue).toBe(false);
  });

  it("says an open epoch past its length and the grace is overdue since it was due, with the writer's error since then (attack: an epoch never closed, unseen)", () => {
    const openedAt = now - HOUR - GRACE - 1_000;
    const stale = { code: "chain_error", epoch: 4, message: "old", at: openedAt };
    const o = overdueOf(facts({ open: { epoch: 5, openedAt, epochMs: HOUR }, lastError: stale }));
    expect(o).toMatchObject({ overdue: true, epoch: 5, since: openedAt + HOUR });
    // An error from before the epoch was due is not why it is late.
    expect(o.reason).toContain("nobody has earned");
    // Once anyone has earned, an epoch can always close: no error means no tick.
    expect(overdueOf(facts({ open: { epoch: 5, openedAt, epochMs: HOUR }, everEarned: true })).reason).toContain("is the cron running?");
    const fresh = { code: "chain_error", epoch: 5, message: "RPC timed out", at: now - 1_000 };
    expect(overdueOf(facts({ open: { epoch: 5, openedAt, epochMs: HOUR }, lastError: fresh })).reason).toContain("chain_error");
  });

  it("gives a short development epoch its own length as grace, not ten minutes", () => {
    expect(overdueOf(facts({ open: { epoch: 5, openedAt: now - 2 * 60_000 - 1_000, epochMs: 60_000 } })).overdue).toBe(true);
    expect(overdueOf(facts({ open: { epoch: 5, openedAt: now - 2 * 60_000 + 1_000, epochMs: 60_000 } })).overdue).toBe(false);
  });

  it("says a halted close is overdue at once with its halt reason (attack: a bad root halts the writer unnoticed)", () => {
    const o = overdueOf(facts({ closing: { epoch: 4, state: "halted", closedAt: now - 1_000, haltReason: "root_mismatch: the chain holds another root" } }));
    expect(o).toMatchObject({ overdue: true, epoch: 4, since: now - 1_000 });
    expect(o.reason).toContain("root_mismatch: the chain holds another root");
  });

  it("gives an unfinished close the grace, then says its state and last error (attack: a stuck post unseen)", () => {
    const closing = { epoch: 4, state: "sent", closedAt: now - GRACE + 1_000, haltReason: null };
    expect(overdueOf(facts({ closing })).overdue).toBe(false);
    const late = { ...closing, closedAt: now - GRACE - 1_000 };
    const o = overdueOf(facts({ closing: late, lastError: { code: "chain_error", epoch: 4, message: "replacement underpriced", at: now - 5_000 } }));
    expect(o.reason).toBe("the close of epoch 4 is unfinished (state sent); last error chain_error at 1970-01-01T09:59:55.000Z: replacement underpriced");
    expect(overdueText(o, now)).toBe(`epoch 4 is overdue for 10 min: ${o.reason}`);
  });
});

describe("reasonClass", () => {
  it("classes the challenger's reasons by their stable words, numbers aside", () => {
    expect(reasonClass("all blocks verified")).toBe("verified");
    expect(reasonClass("block 7 has 12 bytes, expected 16384")).toBe("short_block");
    expect(reasonClass("12 chained blocks took 9000 ms, over their budget of 100 ms (x)")).toBe("over_budget");
    expect(reasonClass("could not connect: ECONNREFUSED")).toBe("unreachable");
    expect(reasonClass("the answer is not signed by node 0xabc's key")).toBe("bad_signature");
    expect(reasonClass("something new")).toBe("other");
  });
});
