import { describe, expect, it } from "vitest";
import { natEnabled } from "./check.ts";

describe("whether the node maps its port", () => {
  it("maps by default for a tracker on the internet (a home node)", () => {
    expect(natEnabled(undefined, "https://tracker.example")).toBe(true);
    expect(natEnabled(undefined, "http://11.77.1.1:8787")).toBe(true);
  });

  it("does not map for a tracker on this machine unless asked (finding: tests and the local network opening ports on a developer's router)", () => {
    for (const t of ["http://127.0.0.1:8787", "http://127.0.2.1:8787", "http://localhost:8787", "http://[::1]:8787"]) expect(natEnabled(undefined, t)).toBe(false);
    expect(natEnabled(true, "http://127.0.0.1:8787")).toBe(true);
  });

  it("never maps when turned off (--no-nat)", () => {
    expect(natEnabled(false, "https://tracker.example")).toBe(false);
  });
});
