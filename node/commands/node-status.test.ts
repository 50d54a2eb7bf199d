// `vidya node status`'s epoch lines: the overdue notice and its reason as the edge gives them
// (GET /api/epochs/open or /api/epochs/overdue; the edge's side is test/worker/operations-integration.test.ts).

import { describe, expect, it } from "vitest";
import { epochLines } from "./node-status.ts";

const now = Date.parse("2026-12-06T03:00:00Z");
const open = { epoch: 7, openedAt: now - 3_000_000, closesAt: now + 600_000 };

describe("vidya node status: epoch lines", () => {
  it("prints the overdue notice with the edge's reason (finding: status silent about a halted epoch)", () => {
    const overdue = { overdue: true, epoch: 6, since: now - 30 * 60_000, reason: "the close of epoch 6 is halted (an operator decides, docs/runbook.md): root_mismatch: another root on-chain" };
    const lines = epochLines({ ...open, overdue }, overdue, undefined, now);
    expect(lines[0]).toBe("next epoch 7 closes at 2026-12-06T03:10:00.000Z (in 10 min)");
    expect(lines[1]).toBe(`OVERDUE    epoch 6 is overdue for 30 min: ${overdue.reason}`);
  });

  it("prints the notice even when no epoch is open, and nothing when none is late", () => {
    const overdue = { overdue: true, epoch: 6, since: now - 60_000, reason: "halted" };
    expect(epochLines(undefined, overdue, "no epoch is open yet", now)).toEqual(["next epoch unknown (no epoch is open yet)", "OVERDUE    epoch 6 is overdue for 1 min: halted"]);
    expect(epochLines(open, { overdue: false, epoch: null, since: null, reason: null }, undefined, now)).toHaveLength(1);
  });
});
