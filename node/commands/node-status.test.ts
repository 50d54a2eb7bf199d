// `vidya node status`'s epoch lines: the overdue notice and its reason as the edge gives them
// (GET /api/epochs/open or /api/epochs/overdue; the edge's side is test/worker/operations-integration.test.ts),
// then the real bin/vidya against the real edge with an epoch left open past its length.

import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEdge, type TestEdge } from "../testing/edge.ts";
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

const VIDYA = join(import.meta.dirname, "..", "..", "bin", "vidya");
const run = promisify(execFile);

describe("vidya node status against the edge", () => {
  let edge: TestEdge;
  beforeAll(async () => {
    // 2 s epochs: the grace is the epoch's length, so an epoch nobody earned in is overdue after 4 s.
    edge = await startTestEdge("node-status-overdue", { vars: { EPOCH_SECONDS: "2", CHALLENGE_ROUNDS: "0" } });
  });
  afterAll(async () => {
    await edge?.stop();
  });

  it("says the epoch is overdue and why, as the edge does (finding: node operators never told an epoch is stuck)", async () => {
    const home = join(edge.dir, "n1");
    await run(VIDYA, ["--home", home, "node", "init", "--tracker", edge.url, "--port", "0"]);
    // A round opens the epoch (the scheduler opens it on its first call); nobody hosts, so nobody earns.
    await edge.runChallenges();
    await new Promise((r) => setTimeout(r, 5_000));
    const { stdout } = await run(VIDYA, ["--home", home, "node", "status"]);
    const line = stdout.split("\n").find((l) => l.startsWith("OVERDUE"));
    expect(line, stdout).toMatch(/^OVERDUE +epoch 1 is overdue for \d+ min: epoch 1 has not closed: nobody has earned anything yet/);
    const json = JSON.parse((await run(VIDYA, ["--home", home, "--json", "node", "status"])).stdout) as { overdue: { overdue: boolean; epoch: number } | null };
    expect(json.overdue).toMatchObject({ overdue: true, epoch: 1 });
  });
});
