import { describe, expect, it } from "vitest";
import { TokenBucket } from "../net/token-bucket.ts";

describe("TokenBucket", () => {
  it("allows a burst, then refuses until time refills it at the stated rate", () => {
    const b = new TokenBucket(3, 2, 0);
    expect([b.take(1, 0), b.take(1, 0), b.take(1, 0), b.take(1, 0)]).toEqual([true, true, true, false]);
    expect(b.take(1, 400)).toBe(false); // 0.8 of a token
    expect(b.take(1, 500)).toBe(true); // 1 token after half a second at 2/s
    expect(b.take(1, 500)).toBe(false);
  });

  it("never holds more than its burst, however long it idles", () => {
    const b = new TokenBucket(5, 10, 0);
    expect(b.take(5, 0)).toBe(true);
    expect(b.take(6, 3_600_000)).toBe(false);
    expect(b.take(5, 3_600_000)).toBe(true);
  });

  it("takes nothing from a refused request, and a clock that goes back mints nothing", () => {
    const b = new TokenBucket(4, 1, 10_000);
    expect(b.take(5, 10_000)).toBe(false);
    expect(b.take(4, 10_000)).toBe(true);
    expect(b.take(1, 0)).toBe(false);
    expect(b.take(1, 9_000)).toBe(false);
    expect(b.take(1, 11_000)).toBe(true);
  });
});
