import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { D1_LIMITS, invocation, takeInvocations, takeViolations } from "./support/d1-guard.ts";
import { call } from "./support/worker.ts";

// The guard itself (support/d1-guard.ts): each limit trips, and the worker's invocations are counted.
describe("D1 guard", () => {
  it("refuses a value over 2,000,000 bytes (attack: an epoch's inputs stored as one D1 value)", () => {
    expect(() => env.DB.prepare("SELECT ? AS v").bind("x".repeat(D1_LIMITS.valueBytes + 1))).toThrow(/2000001 bytes/);
    // Values under the limit that make a row over it together.
    const half = "y".repeat(D1_LIMITS.valueBytes / 2 + 1);
    expect(() => env.DB.prepare("SELECT ?, ?").bind(half, half)).toThrow(/values together/);
    expect(takeViolations()).toHaveLength(2);
  });

  it("refuses a statement over 100 KB and more than 100 bound parameters", () => {
    expect(() => env.DB.prepare(`SELECT '${"x".repeat(D1_LIMITS.statementBytes)}'`)).toThrow(/statement of/);
    expect(() => env.DB.prepare("SELECT 1").bind(...Array.from({ length: 101 }, (_, i) => i))).toThrow(/101 bound parameters/);
    expect(takeViolations()).toHaveLength(2);
  });

  it("counts every statement of a batch and refuses the 1,001st query of one invocation", async () => {
    const owner = {};
    await expect(
      invocation("test", owner, async () => {
        await env.DB.batch(Array.from({ length: 999 }, () => env.DB.prepare("SELECT 1")));
        await env.DB.prepare("SELECT 1").all();
        await env.DB.prepare("SELECT 1").all();
      }),
    ).rejects.toThrow(/1001 queries in one invocation/);
    expect(takeViolations()).toHaveLength(1);
    expect(takeInvocations().find((i) => i.label === "test")?.queries).toBe(1001);
  });

  it("counts the queries of a request to the worker as one invocation", async () => {
    takeInvocations();
    const res = await call("/api/epochs");
    expect(res.status).toBe(200);
    const inv = takeInvocations().find((i) => i.label === "GET /api/epochs");
    expect(inv?.queries).toBeGreaterThan(0);
  });
});
